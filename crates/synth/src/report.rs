//! One generated CyberTip report, with every value already chosen and formatted, so that rendering it again
//! (for an exact duplicate) gives the same bytes.

use crate::names::{
    CHILD_FILE_PREFIXES, CHILD_NAMES, FIRST_NAMES, PLACEHOLDER_EMAILS, PLACEHOLDER_IMEIS,
    PLACEHOLDER_PHONE, SURNAMES,
};
use crate::population::{CGNAT_ADDRESSES, Flag, Population, VPN_ADDRESSES, splitmix};
use crate::services::{PLATFORM_SUFFIXES, SERVICES};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

pub const INCIDENT_TYPES: [&str; 8] = [
    "Child Pornography (possession, manufacture, and distribution)",
    "Child Sex Trafficking",
    "Child Sex Tourism",
    "Child Sexual Molestation",
    "Misleading Domain Name",
    "Misleading Words or Digital Images on the Internet",
    "Online Enticement of Children for Sexual Acts",
    "Unsolicited Obscene Material Sent to a Child",
];
pub const CP: usize = 0;
pub const MOLESTATION: usize = 3;
pub const ENTICEMENT: usize = 6;
pub const UNSOLICITED: usize = 7;

/// In schema order.
pub const REPORT_ANNOTATIONS: [&str; 5] = [
    "sextortion",
    "csamSolicitation",
    "minorToMinorInteraction",
    "spam",
    "sadisticOnlineExploitation",
];

/// In schema order.
pub const FILE_ANNOTATIONS: [&str; 10] = [
    "animeDrawingVirtualHentai",
    "potentialMeme",
    "viral",
    "possibleSelfProduction",
    "physicalHarm",
    "violenceGore",
    "bestiality",
    "liveStreaming",
    "infant",
    "generativeAi",
];

pub const CLASSIFICATIONS: [&str; 4] = ["A1", "A2", "B1", "B2"];

/// 2026-01-01T00:00:00Z: every timestamp is this plus a generated offset.
pub const BASE_SECONDS: i64 = 1_767_225_600;
/// Reports spread over one year.
pub const SPAN_SECONDS: i64 = 365 * 86_400;

#[derive(Clone)]
pub struct Phone {
    pub value: String,
    /// Set for the XML form `countryCallingCode="+44"` + national significant number.
    pub country_code: Option<&'static str>,
    pub mobile: bool,
}

#[derive(Clone)]
pub struct Email {
    pub value: String,
    pub verified: bool,
}

#[derive(Clone)]
pub struct IpEvent {
    pub ip: String,
    pub event: &'static str,
    pub at: i64,
    pub proxy: Option<bool>,
    pub port: Option<u16>,
}

#[derive(Clone)]
pub struct Person {
    pub first: Option<&'static str>,
    pub last: Option<&'static str>,
    pub dob_days: Option<u16>,
    pub phones: Vec<Phone>,
    pub emails: Vec<Email>,
    pub service: usize,
    pub user_id: String,
    pub screen_name: String,
    pub display_name: Option<String>,
    pub profile_url: Option<String>,
    pub ips: Vec<IpEvent>,
    pub devices: Vec<String>,
    pub prior: Vec<u64>,
    pub city: Option<u8>,
    pub group: Option<String>,
    pub access_to_children: Flag,
    pub convicted: Flag,
    /// LE JSON writes these flags as booleans, or as "Yes"/"No"/"Unknown" strings.
    pub flags_as_text: bool,
}

/// A child at risk (intended recipient or victim); children come from a pool so that one child can be
/// contacted by several unrelated suspects.
#[derive(Clone)]
pub struct Child {
    pub first: &'static str,
    pub age: u8,
    pub user_id: String,
    pub screen_name: String,
}

#[derive(Clone)]
pub struct File {
    pub file_id: String,
    pub name: String,
    pub original: String,
    pub md5: String,
    pub sha1: String,
    pub sha256: Option<String>,
    /// Bit mask over [`FILE_ANNOTATIONS`].
    pub annotations: u16,
    pub classification: Option<&'static str>,
    pub viewed: bool,
    pub upload: IpEvent,
}

#[derive(Clone)]
pub struct Report {
    pub id: u64,
    pub suspect: usize,
    pub xml: bool,
    pub received: i64,
    pub incident_at: i64,
    pub incident_type: usize,
    pub platform: String,
    /// Bit mask over [`REPORT_ANNOTATIONS`].
    pub annotations: u8,
    pub escalate: bool,
    pub person: Person,
    pub recipients: Vec<Child>,
    pub victims: Vec<Child>,
    pub files: Vec<File>,
    pub additional_info: Vec<String>,
    pub content_ref: String,
}

pub fn hex(rng: &mut ChaCha8Rng, len: usize) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(len);
    let mut bits = 0u64;
    for k in 0..len {
        if k % 16 == 0 {
            bits = rng.random();
        }
        out.push(char::from(DIGITS[(bits & 0xf) as usize]));
        bits >>= 4;
    }
    out
}

/// Hex digits derived from a pool index, for hashes of files that circulate between unrelated suspects.
pub fn pool_hex(seed: u64, index: u64, salt: u64, len: usize) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(len);
    let mut state = splitmix(seed ^ splitmix(index ^ (salt << 56)));
    let mut bits = state;
    for k in 0..len {
        if k % 16 == 0 && k > 0 {
            state = splitmix(state);
            bits = state;
        }
        out.push(char::from(DIGITS[(bits & 0xf) as usize]));
        bits >>= 4;
    }
    out
}

/// Settings and pools shared by all reports of one corpus.
pub struct Context<'a> {
    pub seed: u64,
    pub hard: bool,
    pub population: &'a Population,
    pub child_pool: u64,
    pub hash_pool: u64,
}

impl Context<'_> {
    fn child(&self, rng: &mut ChaCha8Rng, service: usize, report: u64) -> Child {
        // Without hard cases each child is unique to its report, so shared recipients never occur.
        let k = if self.hard {
            rng.random_range(0..self.child_pool)
        } else {
            self.child_pool + report
        };
        let mix = splitmix(self.seed ^ (k << 8));
        let first = CHILD_NAMES[(mix % CHILD_NAMES.len() as u64) as usize];
        Child {
            first,
            age: 11 + (mix >> 16) as u8 % 5,
            user_id: format!("{}-c{:07}", SERVICES[service].short, k),
            screen_name: format!("{}_{}", first.to_lowercase(), 1000 + k),
        }
    }

    pub fn ip_event(
        &self,
        rng: &mut ChaCha8Rng,
        suspect: usize,
        at: i64,
        event: &'static str,
    ) -> IpEvent {
        let s = &self.population.suspects[suspect];
        let roll = rng.random_range(0..100);
        let (ip, proxy, port) = if self.hard && s.vpn_user && roll < 40 {
            let ip = format!("203.0.113.{}", rng.random_range(1..=VPN_ADDRESSES));
            (ip, Some(true), None)
        } else if self.hard && (roll < 15 || (s.mobile_data && roll < 60)) {
            // CGNAT: one public address, told apart only by the source port.
            let ip = format!("198.51.100.{}", rng.random_range(1..=CGNAT_ADDRESSES));
            (ip, Some(false), Some(rng.random_range(1024..=65535)))
        } else if roll < 75 {
            let ip = match self.population.home_ipv4(suspect) {
                Some(v4) if rng.random_bool(0.5) => v4,
                _ => self.population.home_ipv6(suspect),
            };
            (ip, rng.random_bool(0.5).then_some(false), None)
        } else {
            let host = rng.random_range(1..=0xffff);
            (self.population.mobile_ipv6(suspect, host), None, None)
        };
        IpEvent {
            ip,
            event,
            at,
            proxy,
            port: port.or_else(|| rng.random_bool(0.3).then(|| rng.random_range(1024..=65535))),
        }
    }

    pub fn email_variant(&self, rng: &mut ChaCha8Rng, email: &str) -> String {
        if !self.hard {
            return email.to_owned();
        }
        match rng.random_range(0..100) {
            0..8 => title_case_email(email),
            8..13 => format!(" {email} "),
            13..16 => email.to_uppercase(),
            _ => email.to_owned(),
        }
    }

    pub fn mobile_variant(&self, rng: &mut ChaCha8Rng, xml: bool, last3: u16) -> Phone {
        let n = format!("{last3:03}");
        let (value, country_code) = if !self.hard {
            (format!("07700900{n}"), None)
        } else {
            match rng.random_range(0..100) {
                0..30 => (format!("07700900{n}"), None),
                30..50 => (format!("07700 900{n}"), None),
                50..65 => (format!("+44 7700 900{n}"), None),
                65..75 => (format!("0044 7700900{n}"), None),
                75..85 => (format!("+447700900{n}"), None),
                _ if xml => (format!("7700900{n}"), Some("+44")),
                _ => (format!("+44 7700900{n}"), None),
            }
        };
        Phone {
            value,
            country_code,
            mobile: true,
        }
    }

    /// Builds the reported person as seen on `service` in one report.
    fn person(
        &self,
        rng: &mut ChaCha8Rng,
        suspect: usize,
        service: usize,
        xml: bool,
        at: i64,
        last_report: u64,
    ) -> Person {
        let pop = self.population;
        let s = &pop.suspects[suspect];
        let named = rng.random_bool(0.45);
        let mut phones = Vec::new();
        if s.placeholder_phone && rng.random_bool(0.7) {
            phones.push(Phone {
                value: PLACEHOLDER_PHONE.to_owned(),
                country_code: None,
                mobile: true,
            });
        } else if let Some(m) = pop.mobile(suspect)
            && rng.random_bool(0.75)
        {
            phones.push(self.mobile_variant(rng, xml, m));
        }
        if let Some(l) = pop.landline(suspect)
            && rng.random_bool(0.2)
        {
            phones.push(Phone {
                value: l,
                country_code: None,
                mobile: false,
            });
        }
        let mut emails = Vec::new();
        if s.placeholder_email != 0 && rng.random_bool(0.7) {
            emails.push(Email {
                value: PLACEHOLDER_EMAILS[usize::from(s.placeholder_email - 1)].to_owned(),
                verified: false,
            });
        } else if let Some(e) = pop.email(suspect)
            && rng.random_bool(0.8)
        {
            emails.push(Email {
                value: self.email_variant(rng, &e),
                verified: rng.random_bool(0.6),
            });
        }
        let mut devices = Vec::new();
        if s.placeholder_imei != 0 && rng.random_bool(0.7) {
            devices.push(PLACEHOLDER_IMEIS[usize::from(s.placeholder_imei - 1)].to_owned());
        } else if rng.random_bool(0.6) {
            devices = pop.imeis(suspect);
        }
        let screen_name = pop.screen_name(suspect, service);
        let mut ips = Vec::new();
        let captures = rng.random_range(1..=3);
        for k in 0..captures {
            let event = ["Login", "Upload", "Registration", "Other"][rng.random_range(0..4)];
            let when = at - rng.random_range(0..86_400) * i64::from(k + 1);
            ips.push(self.ip_event(rng, suspect, when, event));
        }
        let mut prior = Vec::new();
        if last_report != 0 && rng.random_bool(0.4) {
            prior.push(last_report);
        }
        Person {
            first: named.then(|| FIRST_NAMES[usize::from(s.first)]),
            last: named.then(|| SURNAMES[usize::from(s.last)]),
            dob_days: (named && rng.random_bool(0.5)).then_some(s.dob_days),
            phones,
            emails,
            service,
            user_id: pop.user_id(suspect, service),
            display_name: rng.random_bool(0.6).then(|| {
                format!(
                    "{} {}.",
                    FIRST_NAMES[usize::from(s.first)],
                    &SURNAMES[usize::from(s.last)][..1]
                )
            }),
            profile_url: rng
                .random_bool(0.5)
                .then(|| format!("https://{}/u/{screen_name}", SERVICES[service].domain)),
            screen_name,
            ips,
            devices,
            prior,
            city: rng.random_bool(0.7).then_some(s.city),
            group: rng.random_bool(0.05).then(|| {
                format!(
                    "{}-grp-{:04}",
                    SERVICES[service].short,
                    rng.random_range(0..500)
                )
            }),
            access_to_children: s.access_to_children,
            convicted: s.convicted,
            flags_as_text: rng.random_bool(0.5),
        }
    }

    fn file(&self, rng: &mut ChaCha8Rng, report: &Report, n: usize) -> File {
        let circulating = self.hard && rng.random_bool(0.3);
        let (md5, sha1, sha256) = if circulating {
            let k = rng.random_range(0..self.hash_pool);
            (
                pool_hex(self.seed, k, 1, 32),
                pool_hex(self.seed, k, 2, 40),
                Some(pool_hex(self.seed, k, 3, 64)),
            )
        } else {
            (
                hex(rng, 32),
                hex(rng, 40),
                rng.random_bool(0.3).then(|| hex(rng, 64)),
            )
        };
        let mut annotations = 0u16;
        for (bit, p) in [
            (0, 0.01),
            (1, 0.03),
            (2, 0.04),
            (3, 0.08),
            (4, 0.05),
            (5, 0.02),
            (6, 0.005),
            (7, 0.04),
            (8, 0.04),
            (9, 0.03),
        ] {
            if rng.random_bool(p) {
                annotations |= 1 << bit;
            }
        }
        let prefix = CHILD_FILE_PREFIXES[rng.random_range(0..CHILD_FILE_PREFIXES.len())];
        let ext = if prefix == "VID_" { "mp4" } else { "jpg" };
        let upload_at = report.incident_at - rng.random_range(0..3_600);
        File {
            file_id: hex(rng, 32),
            name: format!("{}-{n}.{ext}", report.id),
            original: format!("{prefix}{:04}.{ext}", rng.random_range(0..10_000)),
            md5,
            sha1,
            sha256,
            annotations,
            classification: rng
                .random_bool(0.7)
                .then(|| CLASSIFICATIONS[rng.random_range(0..4)]),
            viewed: rng.random_bool(0.8),
            upload: self.ip_event(rng, report.suspect, upload_at, "Upload"),
        }
    }

    /// Generates report `index` (0-based) about `suspect`, whose previous report (0: none) was `last_report`.
    pub fn report(
        &self,
        rng: &mut ChaCha8Rng,
        index: u64,
        total: u64,
        suspect: usize,
        last_report: u64,
    ) -> Report {
        let pop = self.population;
        let s = &pop.suspects[suspect];
        let id = 100_000_001 + index;
        let xml = rng.random_bool(0.6);
        // A suspect's first report is on the primary service; later ones on any of theirs.
        let service = if last_report == 0 || s.services.count_ones() == 1 {
            usize::from(s.primary)
        } else {
            let picks: Vec<usize> = (0..SERVICES.len())
                .filter(|b| s.services & (1 << b) != 0)
                .collect();
            picks[rng.random_range(0..picks.len())]
        };
        let slot = SPAN_SECONDS * index as i64 / total.max(1) as i64;
        let incident_at = BASE_SECONDS + slot - rng.random_range(0..2 * 86_400);
        let received = incident_at + rng.random_range(3_600..3 * 86_400);
        let incident_type = if s.enticer && rng.random_bool(0.5) {
            ENTICEMENT
        } else {
            match rng.random_range(0..1000) {
                0..750 => CP,
                750..870 => ENTICEMENT,
                870..920 => UNSOLICITED,
                920..940 => MOLESTATION,
                940..950 => 1,
                950..955 => 2,
                955..965 => 4,
                _ => 5,
            }
        };
        let mut annotations = 0u8;
        if incident_type == ENTICEMENT && rng.random_bool(0.3) {
            annotations |= 1;
        }
        for (bit, p) in [(1, 0.1), (2, 0.03), (3, 0.01), (4, 0.01)] {
            if rng.random_bool(p) {
                annotations |= 1 << bit;
            }
        }
        let platform = format!(
            "{} {}",
            SERVICES[service].name,
            PLATFORM_SUFFIXES[rng.random_range(0..PLATFORM_SUFFIXES.len())]
        );
        let person = self.person(rng, suspect, service, xml, incident_at, last_report);
        let mut recipients = Vec::new();
        if matches!(incident_type, ENTICEMENT | UNSOLICITED) || rng.random_bool(0.05) {
            for _ in 0..rng.random_range(1..=2) {
                recipients.push(self.child(rng, service, index));
            }
        }
        let mut victims = Vec::new();
        if matches!(incident_type, MOLESTATION | ENTICEMENT) && rng.random_bool(0.4) {
            victims.push(self.child(rng, service, index));
        }
        let mut additional_info = vec![format!(
            "Account {} reported by {} trust and safety.",
            person.screen_name, SERVICES[service].name
        )];
        if s.access_to_children == Flag::Yes && rng.random_bool(0.4) {
            additional_info
                .push("User states in chat that they coach a youth football team.".to_owned());
        }
        if !person.emails.is_empty() && rng.random_bool(0.1) {
            additional_info.push(format!(
                "Recovery contact on file: {}.",
                person.emails[0].value.trim()
            ));
        }
        let mut report = Report {
            id,
            suspect,
            xml,
            received,
            incident_at,
            incident_type,
            platform,
            annotations,
            escalate: false,
            person,
            recipients,
            victims,
            files: Vec::new(),
            additional_info,
            content_ref: format!(
                "https://{}/content/{}",
                SERVICES[service].domain,
                hex(rng, 12)
            ),
        };
        let file_count = match incident_type {
            CP => rng.random_range(0..=3),
            ENTICEMENT | UNSOLICITED => rng.random_range(0..=1),
            _ => 0,
        };
        for n in 1..=file_count {
            let file = self.file(rng, &report, n);
            report.files.push(file);
        }
        let infant = report.files.iter().any(|f| f.annotations & (1 << 8) != 0);
        report.escalate = infant || (annotations & 1 != 0 && rng.random_bool(0.5));
        report
    }

    /// A changed version of a known report: the ESP sends a supplement with a new capture and note.
    pub fn new_version(&self, rng: &mut ChaCha8Rng, report: &Report) -> Report {
        let mut changed = report.clone();
        let at = report.incident_at + rng.random_range(3_600..5 * 86_400);
        let event = self.ip_event(rng, report.suspect, at, "Login");
        changed.person.ips.push(event);
        changed.received = report.received + rng.random_range(86_400..10 * 86_400);
        changed.additional_info.push(format!(
            "Supplemental report: further login captured ({}).",
            crate::render::timestamp(at)
        ));
        changed
    }
}

fn title_case_email(email: &str) -> String {
    let mut out = String::with_capacity(email.len());
    let mut start = true;
    for c in email.chars() {
        if start {
            out.push(c.to_ascii_uppercase());
        } else {
            out.push(c);
        }
        start = matches!(c, '.' | '@');
    }
    out
}
