//! Allocating a case: which skills the force's allocation policy requires for it, who among the candidates holds
//! them in date, and in what order they are offered, each with the reason for their place.
//!
//! The policy is versioned data (a TOML file, format in `docs/allocation.md`), like the risk tool: every allocation
//! records the policy id, version and content hash in force. Allocating someone who lacks a required skill is
//! allowed only with a supervisor's override and a rationale (HMICFRS recommendations 5 and 13).

use crate::ids::{StaffId, TeamId};
use crate::risk::{Band, Signals};
use crate::skills::{Skill, SkillCode, Standing, TrainingRecord};
use crate::text::{FreeText, TextError, needs_escape, shown};
use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};
use std::fmt;

/// The illustrative policy Severn ships, first version. Its requirements are invented for demonstration; a force
/// writes its own.
pub const ILLUSTRATIVE_POLICY_V1: &str = r#"id = "illustrative-allocation"
version = "1"
name = "Illustrative allocation policy"
illustrative = true
notice = "ILLUSTRATIVE: invented for demonstration and testing. Not any force's allocation policy."
large_volume_files = 1000

[[requirement]]
skills = ["pip1"]
reason = "Every case needs an investigator trained to PIP level 1."

[[requirement]]
bands = ["high", "very_high"]
skills = ["pip2"]
reason = "High and Very High cases need a PIP level 2 investigator."

[[requirement]]
features = ["children_at_risk"]
skills = ["scaidp"]
reason = "Children are at risk: a specialist child abuse investigator leads."

[[requirement]]
features = ["production", "large_volume"]
skills = ["image_grading", "device_triage"]
reason = "Possible production or a large volume of files needs image grading and device triage."
"#;

/// The most characters a requirement's reason may hold.
pub const REASON_LIMIT: usize = 300;
/// The most characters one listed offence may hold.
pub const OFFENCE_LIMIT: usize = 100;

/// Something about a case, read from its signals, that a requirement may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseFeature {
    /// Children named at risk, or the subject has access to children.
    ChildrenAtRisk,
    /// Online enticement or sextortion.
    Enticement,
    /// Files that may be the subject's own production.
    Production,
    /// At least the policy's `large_volume_files` files.
    LargeVolume,
}

impl CaseFeature {
    pub const ALL: [CaseFeature; 4] = [
        CaseFeature::ChildrenAtRisk,
        CaseFeature::Enticement,
        CaseFeature::Production,
        CaseFeature::LargeVolume,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseFeature::ChildrenAtRisk => "children_at_risk",
            CaseFeature::Enticement => "enticement",
            CaseFeature::Production => "production",
            CaseFeature::LargeVolume => "large_volume",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CaseFeature::ChildrenAtRisk => "Children at risk",
            CaseFeature::Enticement => "Enticement or sextortion",
            CaseFeature::Production => "Possible production",
            CaseFeature::LargeVolume => "Large volume of files",
        }
    }

    /// Accepts `large_volume`, `large-volume`, `Large Volume` and the like.
    pub fn parse(value: &str) -> Option<CaseFeature> {
        let folded = value.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        CaseFeature::ALL.into_iter().find(|f| f.as_str() == folded)
    }

    /// The features the signals show; `large_volume_files` is the policy's threshold for a large volume.
    pub fn from_signals(signals: &Signals, large_volume_files: u32) -> BTreeSet<CaseFeature> {
        let mut features = BTreeSet::new();
        if signals.children_at_risk > 0 || signals.access_to_children {
            features.insert(CaseFeature::ChildrenAtRisk);
        }
        if signals.online_enticement || signals.sextortion {
            features.insert(CaseFeature::Enticement);
        }
        if signals.files_possible_self_production > 0 {
            features.insert(CaseFeature::Production);
        }
        if signals.files >= large_volume_files {
            features.insert(CaseFeature::LargeVolume);
        }
        features
    }
}

impl fmt::Display for CaseFeature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The policy file as written. Lists are read as text so that validation can report every bad entry with its
/// place, rather than stopping at the first.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyDef {
    id: String,
    version: String,
    name: String,
    #[serde(default)]
    illustrative: bool,
    #[serde(default)]
    notice: String,
    /// What changed from the previous version, for the audit trail.
    #[serde(default)]
    changes: Option<String>,
    large_volume_files: u32,
    #[serde(default)]
    requirement: Vec<RequirementDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequirementDef {
    bands: Option<Vec<String>>,
    offences: Option<Vec<String>>,
    features: Option<Vec<String>>,
    skills: Vec<String>,
    reason: String,
}

/// One requirement of a validated policy: when every condition given holds, the case needs `skills`. Each
/// condition is met by any one of its entries; a condition left out is met by every case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Requirement {
    pub bands: Option<BTreeSet<Band>>,
    /// As written; matched by [`offence_matches`].
    pub offences: Option<Vec<String>>,
    pub features: Option<BTreeSet<CaseFeature>>,
    pub skills: Vec<SkillCode>,
    /// Plain words, shown to the people allocating.
    pub reason: String,
}

impl Requirement {
    fn applies(&self, needs: &CaseNeeds, offence_words: Option<&[String]>) -> bool {
        self.bands
            .as_ref()
            .is_none_or(|bands| bands.contains(&needs.band))
            && self.offences.as_ref().is_none_or(|offences| {
                offence_words.is_some_and(|words| {
                    offences.iter().any(|listed| contains_phrase(words, listed))
                })
            })
            && self
                .features
                .as_ref()
                .is_none_or(|features| features.iter().any(|f| needs.features.contains(f)))
    }
}

/// Lower-case words, split at anything that is not a letter or digit.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn contains_phrase(words_of_offence: &[String], listed: &str) -> bool {
    let phrase = words(listed);
    !phrase.is_empty()
        && words_of_offence
            .windows(phrase.len())
            .any(|window| window == phrase.as_slice())
}

/// Whether a policy's listed offence matches a case's offence type: its words appear together, in order, ignoring
/// case and punctuation ("indecent images" matches "Making indecent images of children"; "image" does not).
pub fn offence_matches(case_offence: &str, listed: &str) -> bool {
    contains_phrase(&words(case_offence), listed)
}

/// Which policy an allocation was made under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRef {
    pub id: String,
    pub version: String,
    /// SHA-256 of the policy file's text.
    pub content_sha256: String,
}

/// A validated allocation policy. Built only by [`AllocationPolicy::from_toml`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AllocationPolicy {
    id: String,
    version: String,
    name: String,
    illustrative: bool,
    notice: String,
    changes: Option<String>,
    large_volume_files: u32,
    requirements: Vec<Requirement>,
    content_sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("allocation policy file could not be read: {0}")]
    Parse(String),
    #[error("allocation policy is invalid: {}", join_problems(.0))]
    Invalid(Vec<PolicyProblem>),
}

fn join_problems(problems: &[PolicyProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// One validation failure, located by its field (`requirement[2].bands`, requirements counted from 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyProblem {
    pub at: String,
    pub problem: String,
}

impl fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.problem)
    }
}

#[derive(Default)]
struct Problems(Vec<PolicyProblem>);

impl Problems {
    fn add(&mut self, at: impl Into<String>, problem: impl Into<String>) {
        self.0.push(PolicyProblem {
            at: at.into(),
            problem: problem.into(),
        });
    }
}

fn is_slug(value: &str) -> bool {
    value.starts_with(|c: char| c.is_ascii_lowercase())
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// Reads one list of a requirement: every entry parsed, the bad and the repeated reported. `None` when the key is
/// left out.
fn read_list<T: Ord>(
    entries: Option<&[String]>,
    at: &str,
    refusal: &str,
    parse: impl Fn(&str) -> Option<T>,
    p: &mut Problems,
) -> Option<BTreeSet<T>> {
    let entries = entries?;
    if entries.is_empty() {
        p.add(
            at,
            "an empty list matches no case; leave the key out to match every case",
        );
    }
    let mut set = BTreeSet::new();
    for entry in entries {
        match parse(entry) {
            None => p.add(at, format!("{refusal} {:?}", shown(entry))),
            Some(value) => {
                if !set.insert(value) {
                    p.add(at, format!("{:?} is listed twice", shown(entry)));
                }
            }
        }
    }
    Some(set)
}

impl AllocationPolicy {
    /// Parses and validates a policy file. Unknown keys are refused, so a misspelt condition cannot silently
    /// match every case; every problem is reported at once.
    pub fn from_toml(text: &str) -> Result<AllocationPolicy, PolicyError> {
        let def: PolicyDef = toml::from_str(text).map_err(|e| PolicyError::Parse(e.to_string()))?;
        let mut p = Problems::default();
        if !is_slug(&def.id) {
            p.add(
                "id",
                "must start with a lower-case letter and hold only lower-case letters, digits, `-` or `_`",
            );
        }
        if def.version.trim().is_empty() || def.version.contains(char::is_whitespace) {
            p.add("version", "must be non-empty with no spaces");
        }
        if def.name.trim().is_empty() {
            p.add("name", "must not be blank");
        }
        if def.illustrative && def.notice.trim().is_empty() {
            p.add("notice", "an illustrative policy must say so to users");
        }
        if def.large_volume_files == 0 {
            p.add(
                "large_volume_files",
                "must be at least 1, or every case is a large volume",
            );
        }
        let mut requirements: Vec<Requirement> = Vec::with_capacity(def.requirement.len());
        for (i, r) in def.requirement.iter().enumerate() {
            let at = format!("requirement[{}]", i + 1);
            let bands = read_list(
                r.bands.as_deref(),
                &format!("{at}.bands"),
                "unknown band",
                Band::parse,
                &mut p,
            );
            let features = read_list(
                r.features.as_deref(),
                &format!("{at}.features"),
                "unknown feature",
                CaseFeature::parse,
                &mut p,
            );
            let offences = read_list(
                r.offences.as_deref(),
                &format!("{at}.offences"),
                "an offence is one line of words, at most 100 characters; not",
                |o| {
                    let ok = !words(o).is_empty()
                        && o.chars().count() <= OFFENCE_LIMIT
                        && !o.chars().any(needs_escape);
                    ok.then(|| words(o))
                },
                &mut p,
            )
            .map(|_| r.offences.clone().unwrap_or_default());
            let skills_at = format!("{at}.skills");
            if r.skills.is_empty() {
                p.add(&skills_at, "must list at least one skill");
            }
            let mut skills = Vec::with_capacity(r.skills.len());
            for skill in &r.skills {
                match SkillCode::parse(skill) {
                    Err(e) => p.add(&skills_at, e.to_string()),
                    Ok(code) if skills.contains(&code) => {
                        p.add(&skills_at, format!("{:?} is listed twice", code.as_str()));
                    }
                    Ok(code) => skills.push(code),
                }
            }
            let reason = r.reason.trim();
            if reason.is_empty() {
                p.add(
                    format!("{at}.reason"),
                    "must say, in plain words, why the skills are needed",
                );
            } else if reason.chars().count() > REASON_LIMIT {
                p.add(
                    format!("{at}.reason"),
                    format!("may be at most {REASON_LIMIT} characters"),
                );
            } else if reason.chars().any(needs_escape) {
                p.add(
                    format!("{at}.reason"),
                    "must be one line without control characters",
                );
            }
            let requirement = Requirement {
                bands,
                offences,
                features,
                skills,
                reason: reason.to_owned(),
            };
            if let Some(earlier) = requirements.iter().position(|e| {
                e.bands == requirement.bands
                    && e.offences == requirement.offences
                    && e.features == requirement.features
                    && e.skills == requirement.skills
            }) {
                p.add(&at, format!("repeats requirement[{}]", earlier + 1));
            }
            requirements.push(requirement);
        }
        if !p.0.is_empty() {
            return Err(PolicyError::Invalid(p.0));
        }
        Ok(AllocationPolicy {
            id: def.id,
            version: def.version,
            name: def.name,
            illustrative: def.illustrative,
            notice: def.notice,
            changes: def.changes,
            large_volume_files: def.large_volume_files,
            requirements,
            content_sha256: hex::encode(Sha256::digest(text.as_bytes())),
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn illustrative(&self) -> bool {
        self.illustrative
    }

    /// What users are told about the policy (for an illustrative one, that it is illustrative).
    pub fn notice(&self) -> &str {
        &self.notice
    }

    pub fn changes(&self) -> Option<&str> {
        self.changes.as_deref()
    }

    pub fn large_volume_files(&self) -> u32 {
        self.large_volume_files
    }

    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    pub fn content_sha256(&self) -> &str {
        &self.content_sha256
    }

    /// The reference every allocation records.
    pub fn reference(&self) -> PolicyRef {
        PolicyRef {
            id: self.id.clone(),
            version: self.version.clone(),
            content_sha256: self.content_sha256.clone(),
        }
    }

    /// The case features the signals show, by this policy's large-volume threshold.
    pub fn features(&self, signals: &Signals) -> BTreeSet<CaseFeature> {
        CaseFeature::from_signals(signals, self.large_volume_files)
    }

    /// Skill codes the policy names that the catalogue lacks: nobody can hold them, so every case they apply to
    /// would need an override. The app refuses to publish such a policy.
    pub fn unknown_skills(&self, catalogue: &[Skill]) -> BTreeSet<SkillCode> {
        let known: BTreeSet<&SkillCode> = catalogue.iter().map(|s| &s.code).collect();
        self.requirements
            .iter()
            .flat_map(|r| &r.skills)
            .filter(|code| !known.contains(code))
            .cloned()
            .collect()
    }

    /// The skills the case needs, in policy order, each once with the reason of the first requirement that asked
    /// for it.
    pub fn required(&self, needs: &CaseNeeds) -> Vec<Required> {
        let offence_words = needs.offence.as_deref().map(words);
        let mut required: Vec<Required> = Vec::new();
        for requirement in &self.requirements {
            if !requirement.applies(needs, offence_words.as_deref()) {
                continue;
            }
            for skill in &requirement.skills {
                if !required.iter().any(|r| &r.skill == skill) {
                    required.push(Required {
                        skill: skill.clone(),
                        because: requirement.reason.clone(),
                    });
                }
            }
        }
        required
    }
}

/// What about a case decides the skills it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseNeeds {
    pub band: Band,
    /// The case's offence type as recorded, matched against requirements' `offences`.
    pub offence: Option<String>,
    pub features: BTreeSet<CaseFeature>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Required {
    pub skill: SkillCode,
    pub because: String,
}

/// The days of the week someone works. (jiff's `Weekday` has no order, so it cannot be kept in a `BTreeSet`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WorkingDays(u8);

impl WorkingDays {
    pub const MONDAY_TO_FRIDAY: WorkingDays = WorkingDays(0b0001_1111);
    pub const EVERY_DAY: WorkingDays = WorkingDays(0b0111_1111);

    pub fn of(days: impl IntoIterator<Item = Weekday>) -> WorkingDays {
        WorkingDays(days.into_iter().fold(0, |mask, day| mask | bit(day)))
    }

    pub fn contains(self, day: Weekday) -> bool {
        self.0 & bit(day) != 0
    }

    /// As stored: Monday = 1, Tuesday = 2, ... Sunday = 64.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// From the stored bits; bits above Sunday's are ignored.
    pub fn from_bits(bits: u8) -> WorkingDays {
        WorkingDays(bits & Self::EVERY_DAY.0)
    }
}

fn bit(day: Weekday) -> u8 {
    1 << day.to_monday_zero_offset()
}

/// Someone who could take the case, with what the ranking needs to know about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub staff: StaffId,
    pub name: String,
    pub team: Option<TeamId>,
    /// Their training records (any skills, any dates).
    pub held: Vec<TrainingRecord>,
    pub live_cases: u32,
    /// How many live cases they are meant to carry.
    pub capacity: u32,
    pub working_days: WorkingDays,
    /// Absences, each from its first to its last day, both included.
    pub absences: Vec<(Date, Date)>,
}

/// Whether someone can start on a case today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "last_day")]
pub enum Availability {
    Available,
    NotWorkingToday,
    /// Absent today, through the date given (the last day of absence, absences that run on joined).
    AbsentUntil(Date),
}

impl Candidate {
    pub fn availability(&self, today: Date) -> Availability {
        let Some(mut last) = self
            .absences
            .iter()
            .filter(|(first, last)| *first <= today && today <= *last)
            .map(|&(_, last)| last)
            .max()
        else {
            return if self.working_days.contains(today.weekday()) {
                Availability::Available
            } else {
                Availability::NotWorkingToday
            };
        };
        // An absence starting the day after another ends (or during it) continues it.
        loop {
            let next_day = last.tomorrow().unwrap_or(Date::MAX);
            let extended = self
                .absences
                .iter()
                .filter(|(first, end)| *first <= next_day && *end > last)
                .map(|&(_, end)| end)
                .max();
            match extended {
                Some(end) => last = end,
                None => return Availability::AbsentUntil(last),
            }
        }
    }
}

/// Required skills a candidate lacks: never held (`missing`) or held but lapsed (`expired`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("allocating this person needs a supervisor's override with a rationale: {}", describe_gaps(.missing, .expired))]
pub struct NeedsOverride {
    pub missing: Vec<SkillCode>,
    pub expired: Vec<SkillCode>,
}

fn describe_gaps(missing: &[SkillCode], expired: &[SkillCode]) -> String {
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("lacks {}", join_codes(missing)));
    }
    if !expired.is_empty() {
        parts.push(format!("expired: {}", join_codes(expired)));
    }
    parts.join("; ")
}

fn join_codes(codes: &[SkillCode]) -> String {
    codes
        .iter()
        .map(SkillCode::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A candidate's required skills that lapsed, with when.
struct Gaps {
    missing: Vec<SkillCode>,
    expired: Vec<(SkillCode, Date)>,
}

fn gaps(required: &[Required], candidate: &Candidate, today: Date) -> Gaps {
    let mut gaps = Gaps {
        missing: Vec::new(),
        expired: Vec::new(),
    };
    for r in required {
        match Standing::of(&candidate.held, &r.skill, today) {
            Standing::InDate { .. } => {}
            Standing::Expired { since } => gaps.expired.push((r.skill.clone(), since)),
            Standing::Missing => gaps.missing.push(r.skill.clone()),
        }
    }
    gaps
}

/// Whether allocating `candidate` meets the policy. When it does not, the app asks for a supervisor's override
/// with a rationale.
pub fn check(
    policy: &AllocationPolicy,
    needs: &CaseNeeds,
    candidate: &Candidate,
    today: Date,
) -> Result<(), NeedsOverride> {
    let gaps = gaps(&policy.required(needs), candidate, today);
    if gaps.missing.is_empty() && gaps.expired.is_empty() {
        Ok(())
    } else {
        Err(NeedsOverride {
            missing: gaps.missing,
            expired: gaps.expired.into_iter().map(|(skill, _)| skill).collect(),
        })
    }
}

/// A supervisor's decision to allocate someone who does not meet the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocationOverride {
    pub missing: Vec<SkillCode>,
    pub expired: Vec<SkillCode>,
    pub rationale: String,
}

/// An allocation as recorded: who, under which policy, needing which skills, and any override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub staff: StaffId,
    pub policy: PolicyRef,
    pub required: Vec<SkillCode>,
    pub overridden: Option<AllocationOverride>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    #[error(transparent)]
    NeedsOverride(NeedsOverride),
    #[error(transparent)]
    Rationale(TextError),
}

/// Allocates `candidate` under `policy`. When they do not meet it, a non-blank `override_rationale` (a
/// supervisor's) is required and recorded with what it overrode; when they do, no override is recorded.
pub fn allocate(
    policy: &AllocationPolicy,
    needs: &CaseNeeds,
    candidate: &Candidate,
    today: Date,
    override_rationale: Option<&str>,
) -> Result<Allocation, AllocationError> {
    let required = policy.required(needs);
    let overridden = match check(policy, needs, candidate, today) {
        Ok(()) => None,
        Err(needs_override) => {
            let rationale = override_rationale.map(str::trim).unwrap_or_default();
            if rationale.is_empty() {
                return Err(AllocationError::NeedsOverride(needs_override));
            }
            FreeText::Rationale
                .check(rationale)
                .map_err(AllocationError::Rationale)?;
            Some(AllocationOverride {
                missing: needs_override.missing,
                expired: needs_override.expired,
                rationale: rationale.to_owned(),
            })
        }
    };
    Ok(Allocation {
        staff: candidate.staff,
        policy: policy.reference(),
        required: required.into_iter().map(|r| r.skill).collect(),
        overridden,
    })
}

/// One candidate's place in the ranking, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ranked {
    pub staff: StaffId,
    pub name: String,
    pub team: Option<TeamId>,
    /// 1 is offered first. Every candidate has a different rank.
    pub rank: usize,
    pub meets_policy: bool,
    pub missing: Vec<SkillCode>,
    pub expired: Vec<SkillCode>,
    pub live_cases: u32,
    pub capacity: u32,
    pub available: Availability,
    /// Plain words: skills, workload, availability.
    pub reason: String,
}

/// The candidates in the order they are offered: those meeting the policy first; then those available today;
/// then most spare capacity (everyone at or over capacity alike); then by name and staff id so the order never
/// varies. `catalogue` gives skills their names in the reasons.
pub fn rank(
    policy: &AllocationPolicy,
    needs: &CaseNeeds,
    candidates: &[Candidate],
    catalogue: &[Skill],
    today: Date,
) -> Vec<Ranked> {
    let required = policy.required(needs);
    let names: HashMap<&SkillCode, &str> = catalogue
        .iter()
        .map(|s| (&s.code, s.name.as_str()))
        .collect();
    let name_of = |code: &SkillCode| names.get(code).copied().unwrap_or(code.as_str()).to_owned();
    let mut ranked: Vec<(String, Ranked)> = candidates
        .iter()
        .map(|candidate| {
            let gaps = gaps(&required, candidate, today);
            let available = candidate.availability(today);
            let reason = reason(&required, &gaps, candidate, available, &name_of);
            let entry = Ranked {
                staff: candidate.staff,
                name: candidate.name.clone(),
                team: candidate.team,
                rank: 0,
                meets_policy: gaps.missing.is_empty() && gaps.expired.is_empty(),
                missing: gaps.missing,
                expired: gaps.expired.into_iter().map(|(skill, _)| skill).collect(),
                live_cases: candidate.live_cases,
                capacity: candidate.capacity,
                available,
                reason,
            };
            (candidate.name.to_lowercase(), entry)
        })
        .collect();
    ranked.sort_by(|(a_name, a), (b_name, b)| {
        let key = |r: &Ranked| {
            (
                !r.meets_policy,
                r.available != Availability::Available,
                Reverse(r.capacity.saturating_sub(r.live_cases)),
            )
        };
        key(a)
            .cmp(&key(b))
            .then_with(|| a_name.cmp(b_name))
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.staff.cmp(&b.staff))
    });
    ranked
        .into_iter()
        .enumerate()
        .map(|(i, (_, mut entry))| {
            entry.rank = i + 1;
            entry
        })
        .collect()
}

fn reason(
    required: &[Required],
    gaps: &Gaps,
    candidate: &Candidate,
    available: Availability,
    name_of: &impl Fn(&SkillCode) -> String,
) -> String {
    let mut parts = Vec::new();
    let expired = gaps
        .expired
        .iter()
        .map(|(skill, since)| format!("{} since {since}", name_of(skill)))
        .collect::<Vec<_>>()
        .join(", ");
    match (gaps.missing.is_empty(), gaps.expired.is_empty()) {
        (true, true) if required.is_empty() => {
            parts.push("The policy requires no skills for this case".to_owned())
        }
        (true, true) => parts.push("Holds every required skill in date".to_owned()),
        (false, _) => {
            let missing = gaps.missing.iter().map(name_of).collect::<Vec<_>>();
            parts.push(format!("Lacks {} (needs override)", missing.join(", ")));
            if !gaps.expired.is_empty() {
                parts.push(format!("expired: {expired}"));
            }
        }
        (true, false) => parts.push(format!("Expired: {expired} (needs override)")),
    }
    let (live, capacity) = (candidate.live_cases, candidate.capacity);
    parts.push(if capacity == 0 {
        format!("takes no cases (capacity 0, {live} live)")
    } else if live < capacity {
        format!("{live} of {capacity} cases")
    } else if live == capacity {
        format!("at capacity ({live} of {capacity})")
    } else {
        format!("over capacity ({live} of {capacity})")
    });
    parts.push(match available {
        Availability::Available => "available".to_owned(),
        Availability::NotWorkingToday => "not working today".to_owned(),
        Availability::AbsentUntil(last) => format!("absent until {last}"),
    });
    parts.join("; ")
}

#[cfg(test)]
mod tests;
