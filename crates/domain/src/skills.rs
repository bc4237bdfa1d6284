//! Skills and training as data: the catalogue a force keeps, who holds what and until when, the CSV a force
//! imports its training records from, and how well each team's posts are covered.
//!
//! Skills are never a Rust enum: a force adds its own (a new course, a new tool) without a code change. The
//! allocation policy (`crate::allocation`) names skills by their [`SkillCode`].

use crate::ids::{StaffId, TeamId};
use crate::text::{FreeText, shown};
use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

/// The catalogue a new force starts with: code, name, months after which the skill must be renewed. The renewal
/// periods are illustrative; a force sets its own.
pub const SKILLS_SEED: &[(&str, &str, Option<u32>)] = &[
    ("pip1", "PIP level 1", None),
    ("pip2", "PIP level 2", None),
    (
        "scaidp",
        "specialist child abuse investigators' development programme",
        None,
    ),
    ("device_triage", "device triage software", Some(12)),
    ("image_grading", "image grading", Some(12)),
    ("risk_assessor", "prioritisation-tool assessor", Some(24)),
];

/// The most characters a skill's name may hold.
pub const SKILL_NAME_LIMIT: usize = 100;
/// The most characters a skill code may hold.
pub const SKILL_CODE_LIMIT: usize = 40;
/// The longest renewal period a skill may have: fifty years, beyond which "renew" means nothing.
pub const RENEWAL_LIMIT_MONTHS: u32 = 600;
/// The most data rows one training CSV may hold; a larger file is split, so one import stays quick to check.
pub const TRAINING_CSV_ROW_LIMIT: usize = 10_000;
/// How far ahead an expiry counts as "expiring" in coverage.
pub const EXPIRING_WITHIN_DAYS: i32 = 90;
/// The training CSV's header, in order.
pub const TRAINING_CSV_HEADER: [&str; 5] =
    ["username", "skill", "achieved_on", "expires_on", "evidence"];

/// A skill's code: lower-case letters, digits and `_`, 1 to 40 characters. Stable across renames of the skill.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SkillCode(String);

impl SkillCode {
    pub fn parse(value: &str) -> Result<SkillCode, SkillError> {
        let valid = (1..=SKILL_CODE_LIMIT).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if valid {
            Ok(SkillCode(value.to_owned()))
        } else {
            Err(SkillError::Code(value.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SkillCode {
    type Error = SkillError;
    fn try_from(value: String) -> Result<SkillCode, SkillError> {
        SkillCode::parse(&value)
    }
}

impl From<SkillCode> for String {
    fn from(code: SkillCode) -> String {
        code.0
    }
}

impl fmt::Display for SkillCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkillError {
    #[error(
        "a skill code is 1 to 40 lower-case letters, digits or `_`; {:?} is not",
        shown(.0)
    )]
    Code(String),
    #[error("a skill's name must not be blank")]
    BlankName,
    #[error("a skill's name may be at most 100 characters; this one has {0}")]
    NameTooLong(usize),
    #[error("a skill's name must be one line without control characters")]
    NameControl,
    #[error("a renewal period is 1 to 600 months, not {0}")]
    Renewal(u32),
}

/// A skill in a force's catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skill {
    pub code: SkillCode,
    pub name: String,
    /// Months after it is achieved that the skill must be renewed; `None` when it never lapses.
    pub renew_after_months: Option<u32>,
}

impl Skill {
    pub fn new(
        code: &str,
        name: &str,
        renew_after_months: Option<u32>,
    ) -> Result<Skill, SkillError> {
        let code = SkillCode::parse(code)?;
        let name = name.trim();
        if name.is_empty() {
            return Err(SkillError::BlankName);
        }
        let chars = name.chars().count();
        if chars > SKILL_NAME_LIMIT {
            return Err(SkillError::NameTooLong(chars));
        }
        if name.chars().any(crate::text::needs_escape) {
            return Err(SkillError::NameControl);
        }
        if let Some(months) = renew_after_months
            && !(1..=RENEWAL_LIMIT_MONTHS).contains(&months)
        {
            return Err(SkillError::Renewal(months));
        }
        Ok(Skill {
            code,
            name: name.to_owned(),
            renew_after_months,
        })
    }

    /// When training achieved on `achieved_on` lapses, by the renewal period.
    pub fn expiry_for(&self, achieved_on: Date) -> Option<Date> {
        let months = self.renew_after_months?;
        achieved_on.checked_add(i64::from(months).months()).ok()
    }
}

/// [`SKILLS_SEED`] as skills.
pub fn seed_catalogue() -> Vec<Skill> {
    SKILLS_SEED
        .iter()
        .map(|&(code, name, renew)| {
            Skill::new(code, name, renew).expect("the seed catalogue is valid")
        })
        .collect()
}

/// One person's training in one skill. `expires_on` is the first day the training no longer counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingRecord {
    pub staff: StaffId,
    pub skill: SkillCode,
    pub achieved_on: Date,
    pub expires_on: Option<Date>,
    /// Where the proof is: a certificate number, a course reference.
    pub evidence: String,
}

impl TrainingRecord {
    /// Whether the training counts on `on`: achieved by then and not yet expired.
    pub fn in_date(&self, on: Date) -> bool {
        self.achieved_on <= on && self.expires_on.is_none_or(|expires| on < expires)
    }
}

/// Where someone stands in one skill on a given day, from all their records in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "standing")]
pub enum Standing {
    /// In date; `expires_on` is the latest expiry among the records in date (`None`: never lapses).
    InDate { expires_on: Option<Date> },
    /// Held once, every record lapsed; `since` is the latest expiry.
    Expired { since: Date },
    /// Never achieved (or achieved only after the day asked about).
    Missing,
}

impl Standing {
    /// The standing in `skill` from one person's `records` (records of other skills are passed over; records are
    /// not told apart by person, so pass only that person's).
    pub fn of<'a>(
        records: impl IntoIterator<Item = &'a TrainingRecord>,
        skill: &SkillCode,
        on: Date,
    ) -> Standing {
        let mut standing = Standing::Missing;
        for record in records {
            if &record.skill != skill || record.achieved_on > on {
                continue;
            }
            standing = standing.better(match record.expires_on {
                Some(expires) if expires <= on => Standing::Expired { since: expires },
                expires_on => Standing::InDate { expires_on },
            });
        }
        standing
    }

    fn better(self, other: Standing) -> Standing {
        match (self, other) {
            (Standing::InDate { expires_on: None }, _)
            | (_, Standing::InDate { expires_on: None }) => Standing::InDate { expires_on: None },
            (
                Standing::InDate {
                    expires_on: Some(a),
                },
                Standing::InDate {
                    expires_on: Some(b),
                },
            ) => Standing::InDate {
                expires_on: Some(a.max(b)),
            },
            (in_date @ Standing::InDate { .. }, _) | (_, in_date @ Standing::InDate { .. }) => {
                in_date
            }
            (Standing::Expired { since: a }, Standing::Expired { since: b }) => {
                Standing::Expired { since: a.max(b) }
            }
            (expired @ Standing::Expired { .. }, Standing::Missing)
            | (Standing::Missing, expired @ Standing::Expired { .. }) => expired,
            (Standing::Missing, Standing::Missing) => Standing::Missing,
        }
    }
}

/// One bad row (or the header) of a training CSV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// A value quoted for an error message, control characters escaped.
fn quoted(value: &str) -> String {
    format!("\"{}\"", shown(value))
}

/// Reads a training CSV (header `username,skill,achieved_on,expires_on,evidence`, dates `YYYY-MM-DD`). Every row is
/// checked and every bad one reported; nothing is returned unless the whole file is good, so an import is never
/// half applied. An empty `expires_on` takes the skill's renewal period, or never lapses when it has none.
pub fn parse_training_csv(
    text: &str,
    staff_by_username: impl Fn(&str) -> Option<StaffId>,
    catalogue: &[Skill],
) -> Result<Vec<TrainingRecord>, Vec<RowError>> {
    // Spreadsheets often save a byte-order mark; it is not part of the first column's name.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let skills: HashMap<&SkillCode, &Skill> = catalogue.iter().map(|s| (&s.code, s)).collect();
    let mut errors = Vec::new();
    let mut records = Vec::new();
    let mut first_seen: HashMap<(StaffId, SkillCode, Date), usize> = HashMap::new();
    let mut rows = reader.records();
    match rows.next() {
        None => {
            return Err(vec![RowError {
                line: 1,
                field: "header",
                message: format!(
                    "the file is empty; expected {}",
                    TRAINING_CSV_HEADER.join(",")
                ),
            }]);
        }
        Some(Err(e)) => {
            return Err(vec![RowError {
                line: 1,
                field: "header",
                message: format!("not readable as CSV: {e}"),
            }]);
        }
        Some(Ok(header)) => {
            let found: Vec<&str> = header.iter().map(str::trim).collect();
            if found != TRAINING_CSV_HEADER {
                return Err(vec![RowError {
                    line: 1,
                    field: "header",
                    message: format!(
                        "expected {}; found {}",
                        TRAINING_CSV_HEADER.join(","),
                        quoted(&found.join(","))
                    ),
                }]);
            }
        }
    }
    let mut data_rows = 0;
    for row in rows {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                errors.push(RowError {
                    line,
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
        if data_rows > TRAINING_CSV_ROW_LIMIT {
            errors.push(RowError {
                line,
                field: "row",
                message: format!(
                    "a file may hold at most {TRAINING_CSV_ROW_LIMIT} rows; split it and import each part"
                ),
            });
            break;
        }
        if row.len() != TRAINING_CSV_HEADER.len() {
            errors.push(RowError {
                line,
                field: "row",
                message: format!("has {} fields; expected 5", row.len()),
            });
            continue;
        }
        let field = |i: usize| row.get(i).unwrap_or_default().trim();
        let mut bad = |field: &'static str, message: String| {
            errors.push(RowError {
                line,
                field,
                message,
            })
        };
        let staff = match field(0) {
            "" => {
                bad("username", "missing".to_owned());
                None
            }
            username => staff_by_username(username).or_else(|| {
                bad(
                    "username",
                    format!("unknown username: {}", quoted(username)),
                );
                None
            }),
        };
        let skill = match field(1) {
            "" => {
                bad("skill", "missing".to_owned());
                None
            }
            value => match SkillCode::parse(value) {
                Err(_) => {
                    bad(
                        "skill",
                        format!(
                            "not a skill code (lower-case letters, digits, _): {}",
                            quoted(value)
                        ),
                    );
                    None
                }
                Ok(code) => skills.get(&code).copied().or_else(|| {
                    bad("skill", format!("unknown skill: {}", quoted(value)));
                    None
                }),
            },
        };
        let achieved_on = match field(2) {
            "" => {
                bad("achieved_on", "missing".to_owned());
                None
            }
            value => parse_date(value).or_else(|| {
                bad(
                    "achieved_on",
                    format!("not a date (YYYY-MM-DD): {}", quoted(value)),
                );
                None
            }),
        };
        let expires_on = match field(3) {
            "" => Ok(None),
            value => parse_date(value).map(Some).ok_or_else(|| {
                bad(
                    "expires_on",
                    format!("not a date (YYYY-MM-DD): {}", quoted(value)),
                );
            }),
        };
        if let (Some(achieved), Ok(Some(expires))) = (achieved_on, expires_on)
            && expires < achieved
        {
            bad(
                "expires_on",
                format!("{expires} is before achieved_on ({achieved})"),
            );
        }
        let evidence = field(4);
        if let Err(message) = check_evidence(evidence) {
            bad("evidence", message);
        }
        if let (Some(staff), Some(skill), Some(achieved_on)) = (staff, skill, achieved_on) {
            match first_seen.entry((staff, skill.code.clone(), achieved_on)) {
                Entry::Occupied(first) => bad(
                    "row",
                    format!(
                        "repeats line {} (same person, skill and achieved_on)",
                        first.get()
                    ),
                ),
                Entry::Vacant(slot) => {
                    slot.insert(line);
                }
            }
        }
        if let (Some(staff), Some(skill), Some(achieved_on), Ok(expires_on)) =
            (staff, skill, achieved_on, expires_on)
        {
            records.push(TrainingRecord {
                staff,
                skill: skill.code.clone(),
                achieved_on,
                expires_on: expires_on.or_else(|| skill.expiry_for(achieved_on)),
                evidence: evidence.to_owned(),
            });
        }
    }
    if errors.is_empty() {
        Ok(records)
    } else {
        Err(errors)
    }
}

/// Checks a training record's evidence: the free-text limit, one line, and no leading `=`, `+`, `-` or `@`, which a
/// spreadsheet opening an exported file would run as a formula.
pub fn check_evidence(evidence: &str) -> Result<(), String> {
    FreeText::Evidence
        .check(evidence)
        .map_err(|e| e.to_string())?;
    if evidence.starts_with(['=', '+', '-', '@']) {
        return Err(format!(
            "must not start with =, +, - or @ (a spreadsheet would run it as a formula): {}",
            quoted(evidence)
        ));
    }
    Ok(())
}

/// Only the strict `YYYY-MM-DD` form: `4/5/2025` means different days in different countries.
fn parse_date(value: &str) -> Option<Date> {
    let bytes = value.as_bytes();
    let shape = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shape {
        return None;
    }
    value.parse().ok()
}

/// Writes records as a training CSV that [`parse_training_csv`] reads back; fields holding commas or quotes are
/// quoted.
pub fn training_csv(records: &[(String, TrainingRecord)]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let write = |writer: &mut csv::Writer<Vec<u8>>, row: [&str; 5]| {
        writer
            .write_record(row)
            .expect("writing CSV to memory cannot fail");
    };
    write(&mut writer, TRAINING_CSV_HEADER);
    for (username, record) in records {
        let achieved = record.achieved_on.to_string();
        let expires = record.expires_on.map(|d| d.to_string()).unwrap_or_default();
        write(
            &mut writer,
            [
                username,
                record.skill.as_str(),
                &achieved,
                &expires,
                &record.evidence,
            ],
        );
    }
    let bytes = writer
        .into_inner()
        .expect("writing CSV to memory cannot fail");
    String::from_utf8(bytes).expect("CSV written from strings is UTF-8")
}

/// What a post in a team requires, e.g. `investigator` → `pip2`, `image_grading`. Data a force keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleRequirement {
    pub role: String,
    pub skills: Vec<SkillCode>,
}

/// A person in a team, holding a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub staff: StaffId,
    pub name: String,
    pub team: TeamId,
    pub post: String,
}

/// A skill that lapsed, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lapsed {
    pub skill: SkillCode,
    pub since: Date,
}

/// A skill in date that lapses soon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expiring {
    pub skill: SkillCode,
    pub expires_on: Date,
}

/// One member's standing against their post's requirements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberCoverage {
    pub staff: StaffId,
    pub name: String,
    pub team: TeamId,
    pub post: String,
    /// False when no requirement names the post: nothing is required, which may be a misspelt post.
    pub post_has_requirements: bool,
    /// Required skills held in date (including those expiring soon).
    pub held: Vec<SkillCode>,
    pub missing: Vec<SkillCode>,
    pub expired: Vec<Lapsed>,
    /// Held in date but lapsing within 90 days.
    pub expiring: Vec<Expiring>,
    /// Every required skill held in date.
    pub covered: bool,
}

/// One team's share of members fully covered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamShare {
    pub team: TeamId,
    pub covered: usize,
    pub members: usize,
    /// `covered / members`, from 0 to 1.
    pub share: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamCoverage {
    /// In the order the members were given.
    pub members: Vec<MemberCoverage>,
    /// By team id.
    pub teams: Vec<TeamShare>,
}

/// Posts are matched ignoring case and surrounding spaces, so "Investigator " is the investigator post.
fn post_key(post: &str) -> String {
    post.trim().to_lowercase()
}

/// Each member's required skills held, missing, lapsed and lapsing on `today`, and each team's share of members
/// fully covered. Requirements naming the same role add together.
pub fn coverage(
    members: &[Member],
    requirements: &[RoleRequirement],
    records: &[TrainingRecord],
    today: Date,
) -> TeamCoverage {
    let mut required_by_post: HashMap<String, BTreeSet<&SkillCode>> = HashMap::new();
    for requirement in requirements {
        required_by_post
            .entry(post_key(&requirement.role))
            .or_default()
            .extend(requirement.skills.iter());
    }
    let mut records_by_staff: HashMap<StaffId, Vec<&TrainingRecord>> = HashMap::new();
    for record in records {
        records_by_staff
            .entry(record.staff)
            .or_default()
            .push(record);
    }
    let soon = today
        .checked_add(EXPIRING_WITHIN_DAYS.days())
        .unwrap_or(Date::MAX);
    let none = Vec::new();
    let mut teams: BTreeMap<TeamId, (usize, usize)> = BTreeMap::new();
    let members = members
        .iter()
        .map(|member| {
            let required = required_by_post.get(&post_key(&member.post));
            let own = records_by_staff.get(&member.staff).unwrap_or(&none);
            let mut held = Vec::new();
            let mut missing = Vec::new();
            let mut expired = Vec::new();
            let mut expiring = Vec::new();
            for &skill in required.into_iter().flatten() {
                match Standing::of(own.iter().copied(), skill, today) {
                    Standing::InDate { expires_on } => {
                        held.push(skill.clone());
                        if let Some(expires_on) = expires_on.filter(|&d| d <= soon) {
                            expiring.push(Expiring {
                                skill: skill.clone(),
                                expires_on,
                            });
                        }
                    }
                    Standing::Expired { since } => expired.push(Lapsed {
                        skill: skill.clone(),
                        since,
                    }),
                    Standing::Missing => missing.push(skill.clone()),
                }
            }
            let covered = missing.is_empty() && expired.is_empty();
            let team = teams.entry(member.team).or_default();
            team.1 += 1;
            if covered {
                team.0 += 1;
            }
            MemberCoverage {
                staff: member.staff,
                name: member.name.clone(),
                team: member.team,
                post: member.post.clone(),
                post_has_requirements: required.is_some(),
                held,
                missing,
                expired,
                expiring,
                covered,
            }
        })
        .collect();
    let teams = teams
        .into_iter()
        .map(|(team, (covered, members))| TeamShare {
            team,
            covered,
            members,
            share: covered as f64 / members as f64,
        })
        .collect();
    TeamCoverage { members, teams }
}

#[cfg(test)]
mod tests;
