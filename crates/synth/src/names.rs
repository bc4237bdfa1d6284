//! Fixed word lists. Surnames are invented so that no generated name is a likely real person.

pub const FIRST_NAMES: [&str; 48] = [
    "Alden", "Bryn", "Callum", "Darian", "Elowen", "Fenton", "Garrick", "Hollis", "Ivo", "Jory",
    "Kester", "Linus", "Marlo", "Nevin", "Orrin", "Perrin", "Quill", "Rowan", "Soren", "Tamsin",
    "Ulric", "Vance", "Wystan", "Yorick", "Ansel", "Bram", "Cedric", "Dorian", "Emrys", "Florian",
    "Gideon", "Hadley", "Idris", "Jasper", "Kenver", "Lorcan", "Merrick", "Niall", "Oswin",
    "Piran", "Ronan", "Silas", "Tobin", "Evander", "Wilder", "Alaric", "Brannock", "Corwin",
];

pub const SURNAMES: [&str; 48] = [
    "Ashcombe",
    "Brindlewood",
    "Corrowby",
    "Dunmarsh",
    "Elderwick",
    "Fallowfield",
    "Greywether",
    "Hobcroft",
    "Ivystone",
    "Jessamy",
    "Kettlewell",
    "Larkspire",
    "Mossbridge",
    "Nettlecombe",
    "Oakhurst",
    "Pennistone",
    "Quarrendon",
    "Rookwood",
    "Saltmarsh",
    "Thistleby",
    "Underhay",
    "Vellacott",
    "Wrenfield",
    "Yarrowby",
    "Applegarth",
    "Blackthorne",
    "Coldridge",
    "Dewhollow",
    "Emberley",
    "Foxcombe",
    "Gorsewick",
    "Hazeldene",
    "Inchbrook",
    "Juniperholt",
    "Kingsmere",
    "Lindenmoor",
    "Millbeck",
    "Northwold",
    "Orchardleigh",
    "Pebblecombe",
    "Ravensby",
    "Stonyhurstle",
    "Tanglewood",
    "Upperdale",
    "Wetherden",
    "Bramblecote",
    "Cindermoss",
    "Draycombe",
];

/// First names for children at risk: never suspects.
pub const CHILD_NAMES: [&str; 16] = [
    "Poppy", "Alfie", "Isla", "Freddie", "Evie", "Archie", "Ivy", "Theo", "Willow", "Reggie",
    "Maisie", "Arlo", "Daisy", "Otis", "Rosie", "Finn",
];

/// (city, region) pairs for estimated locations.
pub const CITIES: [(&str, &str); 16] = [
    ("Leeds", "England"),
    ("Bradford", "England"),
    ("Wakefield", "England"),
    ("Sheffield", "England"),
    ("Manchester", "England"),
    ("Birmingham", "England"),
    ("Bristol", "England"),
    ("Newcastle upon Tyne", "England"),
    ("Norwich", "England"),
    ("Exeter", "England"),
    ("Cardiff", "Wales"),
    ("Swansea", "Wales"),
    ("Glasgow", "Scotland"),
    ("Edinburgh", "Scotland"),
    ("Belfast", "Northern Ireland"),
    ("London", "England"),
];

pub const HANDLE_ADJECTIVES: [&str; 16] = [
    "quiet", "lucky", "silver", "rapid", "misty", "amber", "frosty", "cosmic", "velvet", "rusty",
    "hidden", "sunny", "stormy", "lazy", "brave", "gentle",
];

pub const HANDLE_NOUNS: [&str; 16] = [
    "otter", "falcon", "badger", "comet", "pixel", "harbour", "lantern", "maple", "raven",
    "cobble", "thistle", "kettle", "walrus", "beacon", "marble", "pebble",
];

/// Handles that many unrelated people pick; each is held by at most one person per service.
pub const COMMON_HANDLES: [&str; 6] = [
    "shadow_wolf",
    "dark_angel",
    "lonely_guy",
    "ghost",
    "silent_fox",
    "nightowl",
];

pub const EMAIL_DOMAINS: [&str; 5] = [
    "mail.example",
    "post.test",
    "inbox.example",
    "webmail.test",
    "freemail.example",
];

/// Placeholder e-mail addresses that services put in when they have nothing.
pub const PLACEHOLDER_EMAILS: [&str; 3] = [
    "unknown@unknown.example",
    "noreply@service.example",
    "none@none.test",
];

/// Placeholder device IDs (IMEI).
pub const PLACEHOLDER_IMEIS: [&str; 2] = ["000000000000000", "123456789012345"];

/// The placeholder phone number (first number of the Ofcom drama range; never given to a real suspect).
pub const PLACEHOLDER_PHONE: &str = "07700 900000";

/// Ofcom drama landline ranges: area code and the local prefix; each has numbers 0000–0999.
pub const LANDLINE_RANGES: [(&str, &str); 10] = [
    ("0113", "496"),
    ("0114", "496"),
    ("0115", "496"),
    ("0116", "496"),
    ("0117", "496"),
    ("0118", "496"),
    ("0121", "496"),
    ("0131", "496"),
    ("0141", "496"),
    ("0161", "496"),
];

/// Invented 8-digit type allocation codes for IMEIs.
pub const IMEI_TACS: [&str; 8] = [
    "35899104", "35467211", "35120977", "86031455", "35278810", "86754302", "35604419", "35911328",
];

pub const CHILD_FILE_PREFIXES: [&str; 4] = ["IMG_", "VID_", "Screenshot_", "PXL_"];
