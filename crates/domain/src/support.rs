//! The directory of commissioned support services (HMICFRS recommendation 9): what each service is, whom it
//! serves, where, for which needs, how many places it has, how to reach it, who commissions it and until when.
//! A directory entry names no one: it is reference data, not personal data.
//!
//! Also the directory's side of the commissioning gaps: contracts that end soon, and services whose places are
//! all taken. (Which children no service could take is worked out from the referrals on cases, not here.)
//!
//! Pure: entries are checked here ([`NewSupportService::check`]), read from and written to CSV, and matched to a
//! child ([`serves`]); storage and who may change what are elsewhere.

use crate::ids::OrgId;
use crate::text::{FreeText, shown};
use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use utoipa::ToSchema;

/// An entry in the directory.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(transparent)]
pub struct ServiceId(pub i64);

impl fmt::Display for ServiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The oldest age, in years, a service may list: services for young people reach 25 (care leavers, SEND).
pub const AGE_LIMIT: u8 = 25;
/// The most needs one service may list.
pub const NEEDS_LIMIT: usize = 20;
/// The most characters one need may hold ("online abuse").
pub const NEED_LIMIT: usize = 60;
/// The most areas one service may list (beyond that, it serves all areas).
pub const AREAS_LIMIT: usize = 100;
/// The most characters an area code may hold.
pub const AREA_CODE_LIMIT: usize = 60;
/// The most characters a phone number, e-mail address or web address may hold.
pub const CONTACT_LIMIT: usize = 200;
/// The most data rows one directory CSV may hold.
pub const CSV_ROW_LIMIT: usize = 2_000;
/// How far ahead, in months, a contract's end counts as a gap in commissioning.
pub const CONTRACT_WARNING_MONTHS: i32 = 6;
/// The word that stands for every area, in the areas column.
pub const ALL_AREAS: &str = "all";

/// What kind of service it is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    YoungVictims,
    Isva,
    SexualViolenceTherapy,
    SafeguardingUnit,
    OffendersFamilies,
    Other,
}

impl ServiceKind {
    pub const ALL: [ServiceKind; 6] = [
        ServiceKind::YoungVictims,
        ServiceKind::Isva,
        ServiceKind::SexualViolenceTherapy,
        ServiceKind::SafeguardingUnit,
        ServiceKind::OffendersFamilies,
        ServiceKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::YoungVictims => "young_victims",
            ServiceKind::Isva => "isva",
            ServiceKind::SexualViolenceTherapy => "sexual_violence_therapy",
            ServiceKind::SafeguardingUnit => "safeguarding_unit",
            ServiceKind::OffendersFamilies => "offenders_families",
            ServiceKind::Other => "other",
        }
    }

    /// The kind in plain words.
    pub fn label(self) -> &'static str {
        match self {
            ServiceKind::YoungVictims => "Young victims' service",
            ServiceKind::Isva => "Independent sexual violence adviser (ISVA)",
            ServiceKind::SexualViolenceTherapy => "Sexual violence therapy",
            ServiceKind::SafeguardingUnit => "Safeguarding unit",
            ServiceKind::OffendersFamilies => "Support for the families of people who offend",
            ServiceKind::Other => "Other support",
        }
    }

    pub fn parse(value: &str) -> Option<ServiceKind> {
        ServiceKind::ALL
            .into_iter()
            .find(|k| k.as_str() == value.trim())
    }
}

/// A group of people a service serves.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Serves {
    ChildrenAndYoungPeople,
    ParentsAndCarers,
    FamiliesOfSuspects,
}

impl Serves {
    pub const ALL: [Serves; 3] = [
        Serves::ChildrenAndYoungPeople,
        Serves::ParentsAndCarers,
        Serves::FamiliesOfSuspects,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Serves::ChildrenAndYoungPeople => "children_and_young_people",
            Serves::ParentsAndCarers => "parents_and_carers",
            Serves::FamiliesOfSuspects => "families_of_suspects",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Serves::ChildrenAndYoungPeople => "Children and young people",
            Serves::ParentsAndCarers => "Parents and carers",
            Serves::FamiliesOfSuspects => "Families of suspects",
        }
    }

    pub fn parse(value: &str) -> Option<Serves> {
        Serves::ALL.into_iter().find(|s| s.as_str() == value.trim())
    }
}

/// Where a service works: every area, or the local authorities listed by their codes (`bristol`,
/// `south-gloucestershire`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "areas", content = "codes")]
pub enum Areas {
    All,
    Listed(BTreeSet<String>),
}

impl Areas {
    /// Whether the service works in the local authority `code`.
    pub fn covers(&self, code: &str) -> bool {
        match self {
            Areas::All => true,
            Areas::Listed(codes) => codes.contains(code.trim()),
        }
    }

    /// `all`, or the codes separated by `;`: how the CSV and storage write them.
    pub fn joined(&self) -> String {
        match self {
            Areas::All => ALL_AREAS.to_owned(),
            Areas::Listed(codes) => codes
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(";"),
        }
    }

    /// Reads [`Areas::joined`]'s form: `all`, or area codes separated by `;`.
    pub fn parse(value: &str) -> Result<Areas, String> {
        let value = value.trim();
        if value.eq_ignore_ascii_case(ALL_AREAS) {
            return Ok(Areas::All);
        }
        let codes: BTreeSet<String> = split_list(value).map(str::to_owned).collect();
        if codes.is_empty() {
            return Err(format!(
                "give the local authorities' codes separated by \";\", or \"{ALL_AREAS}\" for every area"
            ));
        }
        if codes.len() > AREAS_LIMIT {
            return Err(format!(
                "at most {AREAS_LIMIT} areas may be listed; this lists {} (give \"{ALL_AREAS}\" instead)",
                codes.len()
            ));
        }
        if let Some(bad) = codes.iter().find(|c| !area_code_is_valid(c)) {
            return Err(format!(
                "an area code is lower-case letters, digits and \"-\" (such as south-gloucestershire); {} is not",
                quoted(bad)
            ));
        }
        Ok(Areas::Listed(codes))
    }
}

/// Whether `code` has the form of a local authority code: 1 to 60 lower-case letters, digits and `-`.
pub fn area_code_is_valid(code: &str) -> bool {
    (1..=AREA_CODE_LIMIT).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The items of a `;`-separated list, trimmed, empty ones dropped.
fn split_list(value: &str) -> impl Iterator<Item = &str> {
    value.split(';').map(str::trim).filter(|s| !s.is_empty())
}

/// A directory entry as it is given (added, changed or imported), before it has a number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NewSupportService {
    pub name: String,
    pub kind: ServiceKind,
    /// Whom the service serves: at least one group.
    pub serves: BTreeSet<Serves>,
    /// The youngest age served, in years; none when there is no lower limit.
    pub min_age: Option<u8>,
    /// The oldest age served, in years (at most 25); none when there is no upper limit.
    pub max_age: Option<u8>,
    pub areas: Areas,
    /// The crimes or needs the service takes, in a few words each ("online abuse", "exploitation"); none when
    /// it takes any.
    pub needs: BTreeSet<String>,
    /// How many people it can support at once; none when it has no fixed number of places.
    pub capacity: Option<u32>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub web: Option<String>,
    /// Who commissions it ("Office of the PCC", "NHS England with the PCC").
    pub commissioner: String,
    /// The last day of its current contract, when it has one.
    #[schema(value_type = Option<String>, format = Date)]
    pub contract_ends: Option<Date>,
    /// Whether it takes referrals; a closed service stays in the directory for the referrals that named it.
    pub active: bool,
}

/// A directory entry refused, with the field at fault (the CSV column's name) and why, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FieldError {}

fn refuse(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// A value quoted for an error message, control characters escaped.
fn quoted(value: &str) -> String {
    format!("\"{}\"", shown(value))
}

/// One line of text within `limit` characters, without control characters.
fn one_line(field: &'static str, label: &str, text: &str, limit: usize) -> Result<(), FieldError> {
    let chars = text.chars().count();
    if chars > limit {
        return Err(refuse(
            field,
            format!("The {label} may be at most {limit} characters long; this one has {chars}."),
        ));
    }
    if text.chars().any(crate::text::needs_escape) {
        return Err(refuse(
            field,
            format!(
                "The {label} must be one line of text without control characters ({}).",
                quoted(text)
            ),
        ));
    }
    Ok(())
}

impl NewSupportService {
    /// The entry with its text trimmed and its empty contact details dropped, or the first field at fault.
    pub fn check(self) -> Result<NewSupportService, FieldError> {
        let trim = |s: String| s.trim().to_owned();
        let contact = |s: Option<String>| s.map(trim).filter(|s| !s.is_empty());
        let entry = NewSupportService {
            name: trim(self.name),
            commissioner: trim(self.commissioner),
            phone: contact(self.phone),
            email: contact(self.email),
            web: contact(self.web),
            needs: self
                .needs
                .into_iter()
                .map(|n| n.trim().to_lowercase())
                .filter(|n| !n.is_empty())
                .collect(),
            ..self
        };
        if entry.name.is_empty() {
            return Err(refuse("name", "The service's name must not be blank."));
        }
        one_line(
            "name",
            "service's name",
            &entry.name,
            FreeText::OrganisationName.limit(),
        )?;
        if entry.serves.is_empty() {
            return Err(refuse(
                "serves",
                "Say whom the service serves: children and young people, parents and carers, or families of \
                 suspects.",
            ));
        }
        for (field, age) in [("min_age", entry.min_age), ("max_age", entry.max_age)] {
            if let Some(age) = age
                && age > AGE_LIMIT
            {
                return Err(refuse(
                    field,
                    format!("Ages served go up to {AGE_LIMIT} years; {age} is beyond that."),
                ));
            }
        }
        if let (Some(min), Some(max)) = (entry.min_age, entry.max_age)
            && min > max
        {
            return Err(refuse(
                "max_age",
                format!("The oldest age served ({max}) is below the youngest ({min})."),
            ));
        }
        if let Areas::Listed(codes) = &entry.areas {
            if codes.is_empty() {
                return Err(refuse(
                    "areas",
                    "List the local authorities the service works in, or say it works in all areas.",
                ));
            }
            if let Some(bad) = codes.iter().find(|c| !area_code_is_valid(c)) {
                return Err(refuse(
                    "areas",
                    format!(
                        "An area code is lower-case letters, digits and \"-\" (such as south-gloucestershire); {} \
                         is not.",
                        quoted(bad)
                    ),
                ));
            }
            if codes.len() > AREAS_LIMIT {
                return Err(refuse(
                    "areas",
                    format!(
                        "At most {AREAS_LIMIT} areas may be listed; say it works in all areas instead."
                    ),
                ));
            }
        }
        if entry.needs.len() > NEEDS_LIMIT {
            return Err(refuse(
                "needs",
                format!(
                    "At most {NEEDS_LIMIT} needs may be listed; this lists {}.",
                    entry.needs.len()
                ),
            ));
        }
        for need in &entry.needs {
            one_line("needs", "need", need, NEED_LIMIT)?;
            if need.contains(';') {
                return Err(refuse(
                    "needs",
                    format!(
                        "A need may not hold \";\", which separates needs: {}.",
                        quoted(need)
                    ),
                ));
            }
        }
        if entry.capacity == Some(0) {
            return Err(refuse(
                "capacity",
                "A service with places has at least one; leave the capacity empty when it has no fixed number.",
            ));
        }
        for (field, label, value) in [
            ("phone", "phone number", &entry.phone),
            ("email", "e-mail address", &entry.email),
            ("web", "web address", &entry.web),
        ] {
            if let Some(value) = value {
                one_line(field, label, value, CONTACT_LIMIT)?;
            }
        }
        if let Some(email) = &entry.email
            && !plain_address(email)
        {
            return Err(refuse(
                "email",
                format!(
                    "{} is not an e-mail address: give one mailbox, name@domain.",
                    quoted(email)
                ),
            ));
        }
        if entry.phone.is_none() && entry.email.is_none() && entry.web.is_none() {
            return Err(refuse(
                "phone",
                "Give at least one way to reach the service: a phone number, an e-mail address or a web address.",
            ));
        }
        if entry.commissioner.is_empty() {
            return Err(refuse(
                "commissioner",
                "Say who commissions the service (for example, the Office of the PCC).",
            ));
        }
        one_line(
            "commissioner",
            "commissioner",
            &entry.commissioner,
            FreeText::OrganisationName.limit(),
        )?;
        Ok(entry)
    }
}

/// One mailbox, `name@domain`, with no spaces.
fn plain_address(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// A directory entry as stored: its number, the organisation that keeps it and its last change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SupportService {
    pub id: ServiceId,
    /// The organisation that keeps the entry: only its people may change it.
    pub owner_org: OrgId,
    #[serde(flatten)]
    pub details: NewSupportService,
    /// Seconds since 1970 (UTC) of the last change.
    pub updated_at: i64,
    /// Who made the last change.
    pub updated_by: String,
}

/// Whether `service` can take a child living in local authority `authority_code`, aged `age` (when known),
/// with the need `need` (empty: any): it is active, serves children and young people, works in the area, takes
/// the child's age and lists the need (or takes any). Places are not counted here: see [`at_capacity`].
pub fn serves(service: &SupportService, authority_code: &str, age: Option<u8>, need: &str) -> bool {
    can_serve(
        service,
        Serves::ChildrenAndYoungPeople,
        authority_code,
        age,
        need,
    )
}

/// [`serves`] for any group: a parent or carer, or the family of a suspect (whose age is not asked).
pub fn can_serve(
    service: &SupportService,
    who: Serves,
    authority_code: &str,
    age: Option<u8>,
    need: &str,
) -> bool {
    let d = &service.details;
    let need = need.trim().to_lowercase();
    d.active
        && d.serves.contains(&who)
        && d.areas.covers(authority_code)
        && age.is_none_or(|age| {
            d.min_age.is_none_or(|min| min <= age) && d.max_age.is_none_or(|max| age <= max)
        })
        && (need.is_empty() || d.needs.is_empty() || d.needs.contains(&need))
}

/// An active service whose contract ends within the warning period, or has ended already.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ContractEnding {
    pub service: ServiceId,
    pub name: String,
    #[schema(value_type = String, format = Date)]
    pub ends_on: Date,
    /// The contract's last day is before `today`: the service is listed as active without a contract.
    pub ended: bool,
}

/// The last day that falls within `months` of `today`: a contract ending on it or before is flagged.
pub fn warning_horizon(today: Date, months: i32) -> Date {
    today
        .checked_add(i64::from(months).months())
        .unwrap_or(Date::MAX)
}

/// Whether a contract ending on `ends_on` ends within `months` of `today` (or has ended).
pub fn ends_within(ends_on: Date, today: Date, months: i32) -> bool {
    ends_on <= warning_horizon(today, months)
}

/// The active services whose contracts end within `months` of `today` (or have ended), soonest first.
pub fn contracts_ending(
    services: &[SupportService],
    today: Date,
    months: i32,
) -> Vec<ContractEnding> {
    let mut ending: Vec<ContractEnding> = services
        .iter()
        .filter(|s| s.details.active)
        .filter_map(|s| {
            let ends_on = s.details.contract_ends?;
            ends_within(ends_on, today, months).then(|| ContractEnding {
                service: s.id,
                name: s.details.name.clone(),
                ends_on,
                ended: ends_on < today,
            })
        })
        .collect();
    ending.sort_by_key(|a| (a.ends_on, a.service));
    ending
}

/// An active service with a number of places, all of them taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AtCapacity {
    pub service: ServiceId,
    pub name: String,
    pub capacity: u32,
    /// People it is supporting now (referrals it accepted that are not yet done).
    pub in_use: u32,
}

/// The active services with places whose places are all taken, given how many each is supporting now
/// (`in_use`; a service not named supports no one), fullest first.
pub fn at_capacity(
    services: &[SupportService],
    in_use: &BTreeMap<ServiceId, u32>,
) -> Vec<AtCapacity> {
    let mut full: Vec<AtCapacity> = services
        .iter()
        .filter(|s| s.details.active)
        .filter_map(|s| {
            let capacity = s.details.capacity?;
            let used = in_use.get(&s.id).copied().unwrap_or(0);
            (used >= capacity).then(|| AtCapacity {
                service: s.id,
                name: s.details.name.clone(),
                capacity,
                in_use: used,
            })
        })
        .collect();
    full.sort_by(|a, b| {
        (b.in_use - b.capacity)
            .cmp(&(a.in_use - a.capacity))
            .then(a.service.cmp(&b.service))
    });
    full
}

// --- CSV ---------------------------------------------------------------------------------------------------

/// The directory CSV's header, in order. Lists (`serves`, `areas`, `needs`) are separated by `;`; `areas` is
/// `all` for every area; ages, capacity and the contract's end may be empty; `active` is `yes` or `no`.
pub const CSV_HEADER: [&str; 14] = [
    "name",
    "kind",
    "serves",
    "min_age",
    "max_age",
    "areas",
    "needs",
    "capacity",
    "phone",
    "email",
    "web",
    "commissioner",
    "contract_ends",
    "active",
];

/// One bad row (or the header) of a directory CSV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RowError {
    /// 1-based line in the file; the header is line 1.
    pub line: usize,
    pub field: &'static str,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, field {}: {}",
            self.line, self.field, self.message
        )
    }
}

/// Reads a directory CSV ([`CSV_HEADER`]). Every row is checked and every bad one reported, each with its line
/// and field; nothing is returned unless the whole file is good, so an import is never half applied. Two rows
/// naming the same service (same name, ignoring case) are refused.
pub fn parse_csv(text: &str) -> Result<Vec<NewSupportService>, Vec<RowError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = reader.records();
    let header_error = |message: String| {
        Err(vec![RowError {
            line: 1,
            field: "header",
            message,
        }])
    };
    match rows.next() {
        None => {
            return header_error(format!(
                "the file is empty; expected {}",
                CSV_HEADER.join(",")
            ));
        }
        Some(Err(e)) => return header_error(format!("not readable as CSV: {e}")),
        Some(Ok(header)) => {
            let found: Vec<&str> = header.iter().map(str::trim).collect();
            if found != CSV_HEADER {
                return header_error(format!(
                    "expected {}; found {}",
                    CSV_HEADER.join(","),
                    quoted(&found.join(","))
                ));
            }
        }
    }
    let mut errors = Vec::new();
    let mut services = Vec::new();
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    let mut data_rows = 0;
    for row in rows {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                errors.push(RowError {
                    line: e.position().map_or(0, |p| p.line() as usize),
                    field: "row",
                    message: format!("not readable as CSV: {e}"),
                });
                break;
            }
        };
        let line = row.position().map_or(0, |p| p.line() as usize);
        if row.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        data_rows += 1;
        if data_rows > CSV_ROW_LIMIT {
            errors.push(RowError {
                line,
                field: "row",
                message: format!(
                    "a file may hold at most {CSV_ROW_LIMIT} rows; split it and import each part"
                ),
            });
            break;
        }
        if row.len() != CSV_HEADER.len() {
            errors.push(RowError {
                line,
                field: "row",
                message: format!("has {} fields; expected {}", row.len(), CSV_HEADER.len()),
            });
            continue;
        }
        match parse_row(&row) {
            Ok(service) => {
                let key = service.name.to_lowercase();
                if let Some(first) = names.get(&key) {
                    errors.push(RowError {
                        line,
                        field: "name",
                        message: format!("{} is already on line {first}", quoted(&service.name)),
                    });
                } else {
                    names.insert(key, line);
                    services.push(service);
                }
            }
            Err(bad) => errors.extend(bad.into_iter().map(|e| RowError {
                line,
                field: e.field,
                message: e.message,
            })),
        }
    }
    if errors.is_empty() {
        Ok(services)
    } else {
        Err(errors)
    }
}

/// One row's fields: every field that cannot be read is reported; a row whose fields all read is then checked
/// as an entry.
fn parse_row(row: &csv::StringRecord) -> Result<NewSupportService, Vec<FieldError>> {
    let field = |i: usize| row.get(i).unwrap_or_default().trim();
    let mut bad = Vec::new();
    let kind = ServiceKind::parse(field(1)).or_else(|| {
        bad.push(refuse(
            "kind",
            format!(
                "{} is not a kind of service; give one of {}",
                quoted(field(1)),
                ServiceKind::ALL.map(ServiceKind::as_str).join(", ")
            ),
        ));
        None
    });
    let mut serves = BTreeSet::new();
    for item in split_list(field(2)) {
        match Serves::parse(item) {
            Some(s) => {
                serves.insert(s);
            }
            None => bad.push(refuse(
                "serves",
                format!(
                    "{} is not a group served; give one or more of {}, separated by \";\"",
                    quoted(item),
                    Serves::ALL.map(Serves::as_str).join(", ")
                ),
            )),
        }
    }
    let mut age = |column: &'static str, i: usize| match field(i) {
        "" => None,
        typed => typed.parse::<u8>().ok().or_else(|| {
            bad.push(refuse(
                column,
                format!("not an age in whole years: {}", quoted(typed)),
            ));
            None
        }),
    };
    let min_age = age("min_age", 3);
    let max_age = age("max_age", 4);
    let areas = Areas::parse(field(5))
        .map_err(|message| bad.push(refuse("areas", message)))
        .ok();
    let needs: BTreeSet<String> = split_list(field(6)).map(str::to_owned).collect();
    let capacity = match field(7) {
        "" => None,
        typed => typed.parse::<u32>().ok().or_else(|| {
            bad.push(refuse(
                "capacity",
                format!("not a whole number of places: {}", quoted(typed)),
            ));
            None
        }),
    };
    let contact = |i: usize| Some(field(i).to_owned()).filter(|s| !s.is_empty());
    let contract_ends = match field(12) {
        "" => Ok(None),
        typed => parse_date(typed).map(Some).ok_or_else(|| {
            bad.push(refuse(
                "contract_ends",
                format!("not a date (YYYY-MM-DD): {}", quoted(typed)),
            ))
        }),
    };
    let active = match field(13).to_ascii_lowercase().as_str() {
        "yes" | "" => Some(true),
        "no" => Some(false),
        _ => {
            bad.push(refuse(
                "active",
                format!("give yes or no, not {}", quoted(field(13))),
            ));
            None
        }
    };
    let (Some(kind), Some(areas), Some(active), Ok(contract_ends), true) =
        (kind, areas, active, contract_ends, bad.is_empty())
    else {
        return Err(bad);
    };
    NewSupportService {
        name: field(0).to_owned(),
        kind,
        serves,
        min_age,
        max_age,
        areas,
        needs,
        capacity,
        phone: contact(8),
        email: contact(9),
        web: contact(10),
        commissioner: field(11).to_owned(),
        contract_ends,
        active,
    }
    .check()
    .map_err(|e| vec![e])
}

/// A `YYYY-MM-DD` date, and only that form.
fn parse_date(value: &str) -> Option<Date> {
    let shaped = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    shaped.then(|| value.parse().ok()).flatten()
}

/// The directory as CSV, in the columns [`parse_csv`] reads, so an export imports again.
pub fn to_csv(services: &[SupportService]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(CSV_HEADER)
        .expect("writing to memory cannot fail");
    for s in services {
        let d = &s.details;
        let number = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
        writer
            .write_record([
                d.name.as_str(),
                d.kind.as_str(),
                &d.serves
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(";"),
                &number(d.min_age.map(u32::from)),
                &number(d.max_age.map(u32::from)),
                &d.areas.joined(),
                &d.needs
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(";"),
                &number(d.capacity),
                d.phone.as_deref().unwrap_or_default(),
                d.email.as_deref().unwrap_or_default(),
                d.web.as_deref().unwrap_or_default(),
                d.commissioner.as_str(),
                &d.contract_ends.map(|d| d.to_string()).unwrap_or_default(),
                if d.active { "yes" } else { "no" },
            ])
            .expect("writing to memory cannot fail");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory cannot fail"))
        .expect("the CSV writer writes UTF-8")
}

#[cfg(test)]
mod tests;
