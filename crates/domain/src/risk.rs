//! The prioritisation tool as versioned data.
//!
//! The real KIRAT questions are police-restricted, so Severn never hard-codes a tool: questions, points, rules and
//! band thresholds are read from a TOML file (format in `docs/risk-tool.md`) and every outcome records the tool id
//! and version it came from. The tool that ships ([`ILLUSTRATIVE_TOOL_V1`]) is illustrative and labelled so.
//!
//! A band comes from points (signals read from the referral plus the assessor's answers, against the tool's
//! thresholds) raised by any rule floors that apply. Rules only ever raise a band.

use crate::report::{
    FileAnnotation, IdentifierKind, IncidentType, IndustryClassification, Report, ReportAnnotation,
};
use crate::sla::{ClockStart, StopEvent};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The illustrative tool shipped with Severn, first version.
pub const ILLUSTRATIVE_TOOL_V1: &str =
    include_str!("../../../risk-tools/kirat-illustrative-v1.toml");
/// The illustrative tool, second version: online enticement alone sets at least High.
pub const ILLUSTRATIVE_TOOL_V2: &str =
    include_str!("../../../risk-tools/kirat-illustrative-v2.toml");

/// Priority band. Ordered by urgency: `Low < Medium < High < VeryHigh`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Low,
    Medium,
    High,
    VeryHigh,
}

impl Band {
    /// Most urgent first, the order bands are shown in.
    pub const ALL: [Band; 4] = [Band::VeryHigh, Band::High, Band::Medium, Band::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Band::VeryHigh => "very_high",
            Band::High => "high",
            Band::Medium => "medium",
            Band::Low => "low",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Band::VeryHigh => "Very High",
            Band::High => "High",
            Band::Medium => "Medium",
            Band::Low => "Low",
        }
    }

    /// Accepts `very_high`, `very-high`, `Very High` and the like.
    pub fn parse(value: &str) -> Option<Band> {
        let folded = value.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Band::ALL.into_iter().find(|b| b.as_str() == folded)
    }
}

impl fmt::Display for Band {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The four steps questions are grouped in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    PreviousBehaviours,
    AccessToChildren,
    BehaviouralFacilitators,
    OtherFactors,
}

impl Step {
    pub const ALL: [Step; 4] = [
        Step::PreviousBehaviours,
        Step::AccessToChildren,
        Step::BehaviouralFacilitators,
        Step::OtherFactors,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::PreviousBehaviours => "previous_behaviours",
            Step::AccessToChildren => "access_to_children",
            Step::BehaviouralFacilitators => "behavioural_facilitators",
            Step::OtherFactors => "other_factors",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Step::PreviousBehaviours => "Step 1: previous behaviours",
            Step::AccessToChildren => "Step 2: access to children",
            Step::BehaviouralFacilitators => "Step 3: current behavioural facilitators",
            Step::OtherFactors => "Step 4: other factors",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// Options `yes` and `no`.
    YesNo,
    /// A whole number; options are ranges starting at their `at_least`.
    Count,
    /// One of the listed options.
    Choice,
}

impl QuestionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::YesNo => "yes_no",
            QuestionKind::Count => "count",
            QuestionKind::Choice => "choice",
        }
    }
}

/// What the tool can read from a referral. Flags are 1 when present, 0 when not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalId {
    OnlineEnticement,
    Sextortion,
    SadisticOnlineExploitation,
    EscalatedHighPriority,
    AccessToChildren,
    ConvictedSexOffender,
    FilesInfant,
    FilesPhysicalHarm,
    FilesLiveStreaming,
    FilesPossibleSelfProduction,
    FilesGenerativeAi,
    IndustryA1,
    IndustryA2,
    IndustryB1,
    IndustryB2,
    Files,
    PriorCybertipReports,
    ChildrenAtRisk,
    Referrals,
}

impl SignalId {
    pub const ALL: [SignalId; 19] = [
        SignalId::OnlineEnticement,
        SignalId::Sextortion,
        SignalId::SadisticOnlineExploitation,
        SignalId::EscalatedHighPriority,
        SignalId::AccessToChildren,
        SignalId::ConvictedSexOffender,
        SignalId::FilesInfant,
        SignalId::FilesPhysicalHarm,
        SignalId::FilesLiveStreaming,
        SignalId::FilesPossibleSelfProduction,
        SignalId::FilesGenerativeAi,
        SignalId::IndustryA1,
        SignalId::IndustryA2,
        SignalId::IndustryB1,
        SignalId::IndustryB2,
        SignalId::Files,
        SignalId::PriorCybertipReports,
        SignalId::ChildrenAtRisk,
        SignalId::Referrals,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SignalId::OnlineEnticement => "online_enticement",
            SignalId::Sextortion => "sextortion",
            SignalId::SadisticOnlineExploitation => "sadistic_online_exploitation",
            SignalId::EscalatedHighPriority => "escalated_high_priority",
            SignalId::AccessToChildren => "access_to_children",
            SignalId::ConvictedSexOffender => "convicted_sex_offender",
            SignalId::FilesInfant => "files_infant",
            SignalId::FilesPhysicalHarm => "files_physical_harm",
            SignalId::FilesLiveStreaming => "files_live_streaming",
            SignalId::FilesPossibleSelfProduction => "files_possible_self_production",
            SignalId::FilesGenerativeAi => "files_generative_ai",
            SignalId::IndustryA1 => "industry_a1",
            SignalId::IndustryA2 => "industry_a2",
            SignalId::IndustryB1 => "industry_b1",
            SignalId::IndustryB2 => "industry_b2",
            SignalId::Files => "files",
            SignalId::PriorCybertipReports => "prior_cybertip_reports",
            SignalId::ChildrenAtRisk => "children_at_risk",
            SignalId::Referrals => "referrals",
        }
    }

    pub fn parse(value: &str) -> Option<SignalId> {
        SignalId::ALL
            .into_iter()
            .find(|s| s.as_str() == value.trim())
    }

    /// The wording used when a tool gives no label of its own.
    pub fn default_label(self) -> &'static str {
        match self {
            SignalId::OnlineEnticement => "Reported as online enticement of a child",
            SignalId::Sextortion => "Sextortion flagged",
            SignalId::SadisticOnlineExploitation => "Sadistic online exploitation flagged",
            SignalId::EscalatedHighPriority => "Escalated as high priority",
            SignalId::AccessToChildren => "Reported access to children",
            SignalId::ConvictedSexOffender => "Reported as a convicted sex offender",
            SignalId::FilesInfant => "Files showing an infant",
            SignalId::FilesPhysicalHarm => "Files showing physical harm",
            SignalId::FilesLiveStreaming => "Files of live streaming",
            SignalId::FilesPossibleSelfProduction => "Files possibly self-produced",
            SignalId::FilesGenerativeAi => "Files generated by AI",
            SignalId::IndustryA1 => "Files classified A1 (prepubescent, sex act)",
            SignalId::IndustryA2 => "Files classified A2 (prepubescent, lascivious exhibition)",
            SignalId::IndustryB1 => "Files classified B1 (pubescent, sex act)",
            SignalId::IndustryB2 => "Files classified B2 (pubescent, lascivious exhibition)",
            SignalId::Files => "Files reported",
            SignalId::PriorCybertipReports => "Earlier CyberTipline reports",
            SignalId::ChildrenAtRisk => "Children at risk named",
            SignalId::Referrals => "Referrals about this subject",
        }
    }

    /// Flags can only be 0 or 1, so a threshold above 1 would never be met.
    pub fn is_flag(self) -> bool {
        matches!(
            self,
            SignalId::OnlineEnticement
                | SignalId::Sextortion
                | SignalId::SadisticOnlineExploitation
                | SignalId::EscalatedHighPriority
                | SignalId::AccessToChildren
                | SignalId::ConvictedSexOffender
        )
    }

    pub fn value(self, s: &Signals) -> u32 {
        match self {
            SignalId::OnlineEnticement => u32::from(s.online_enticement),
            SignalId::Sextortion => u32::from(s.sextortion),
            SignalId::SadisticOnlineExploitation => u32::from(s.sadistic_online_exploitation),
            SignalId::EscalatedHighPriority => u32::from(s.escalated_high_priority),
            SignalId::AccessToChildren => u32::from(s.access_to_children),
            SignalId::ConvictedSexOffender => u32::from(s.convicted_sex_offender),
            SignalId::FilesInfant => s.files_infant,
            SignalId::FilesPhysicalHarm => s.files_physical_harm,
            SignalId::FilesLiveStreaming => s.files_live_streaming,
            SignalId::FilesPossibleSelfProduction => s.files_possible_self_production,
            SignalId::FilesGenerativeAi => s.files_generative_ai,
            SignalId::IndustryA1 => s.industry_a1,
            SignalId::IndustryA2 => s.industry_a2,
            SignalId::IndustryB1 => s.industry_b1,
            SignalId::IndustryB2 => s.industry_b2,
            SignalId::Files => s.files,
            SignalId::PriorCybertipReports => s.prior_cybertip_reports,
            SignalId::ChildrenAtRisk => s.children_at_risk,
            SignalId::Referrals => s.referrals,
        }
    }
}

/// What the referrals about one subject say, before any assessor answers. File counts are numbers of files
/// carrying the annotation or classification. Industry classifications are NCMEC's own A1/A2/B1/B2 and are never
/// mapped to the UK A/B/C categories.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
// Stored with each assessment; `default` lets signals saved before a new field was added still load.
#[serde(default)]
pub struct Signals {
    #[serde(skip_serializing_if = "is_default")]
    pub online_enticement: bool,
    #[serde(skip_serializing_if = "is_default")]
    pub sextortion: bool,
    #[serde(skip_serializing_if = "is_default")]
    pub sadistic_online_exploitation: bool,
    #[serde(skip_serializing_if = "is_default")]
    pub escalated_high_priority: bool,
    #[serde(skip_serializing_if = "is_default")]
    pub access_to_children: bool,
    #[serde(skip_serializing_if = "is_default")]
    pub convicted_sex_offender: bool,
    #[serde(skip_serializing_if = "is_default")]
    pub files_infant: u32,
    #[serde(skip_serializing_if = "is_default")]
    pub files_physical_harm: u32,
    #[serde(skip_serializing_if = "is_default")]
    pub files_live_streaming: u32,
    #[serde(skip_serializing_if = "is_default")]
    pub files_possible_self_production: u32,
    #[serde(skip_serializing_if = "is_default")]
    pub files_generative_ai: u32,
    #[serde(skip_serializing_if = "is_default")]
    pub industry_a1: u32,
    #[serde(skip_serializing_if = "is_default")]
    pub industry_a2: u32,
    #[serde(skip_serializing_if = "is_default")]
    pub industry_b1: u32,
    #[serde(skip_serializing_if = "is_default")]
    pub industry_b2: u32,
    #[serde(skip_serializing_if = "is_default")]
    pub files: u32,
    #[serde(skip_serializing_if = "is_default")]
    pub prior_cybertip_reports: u32,
    #[serde(skip_serializing_if = "is_default")]
    pub children_at_risk: u32,
    #[serde(skip_serializing_if = "is_default")]
    pub referrals: u32,
}

impl Signals {
    /// Combines the signals of several referrals about one subject: counts add, flags or. Prior CyberTip
    /// references seen in more than one referral count once per referral.
    pub fn merge(&mut self, other: &Signals) {
        self.online_enticement |= other.online_enticement;
        self.sextortion |= other.sextortion;
        self.sadistic_online_exploitation |= other.sadistic_online_exploitation;
        self.escalated_high_priority |= other.escalated_high_priority;
        self.access_to_children |= other.access_to_children;
        self.convicted_sex_offender |= other.convicted_sex_offender;
        let counts = [
            (&mut self.files_infant, other.files_infant),
            (&mut self.files_physical_harm, other.files_physical_harm),
            (&mut self.files_live_streaming, other.files_live_streaming),
            (
                &mut self.files_possible_self_production,
                other.files_possible_self_production,
            ),
            (&mut self.files_generative_ai, other.files_generative_ai),
            (&mut self.industry_a1, other.industry_a1),
            (&mut self.industry_a2, other.industry_a2),
            (&mut self.industry_b1, other.industry_b1),
            (&mut self.industry_b2, other.industry_b2),
            (&mut self.files, other.files),
            (
                &mut self.prior_cybertip_reports,
                other.prior_cybertip_reports,
            ),
            (&mut self.children_at_risk, other.children_at_risk),
            (&mut self.referrals, other.referrals),
        ];
        for (mine, theirs) in counts {
            *mine = mine.saturating_add(theirs);
        }
    }
}

fn count<T>(items: impl Iterator<Item = T>) -> u32 {
    u32::try_from(items.count()).unwrap_or(u32::MAX)
}

/// Signals are stored with every referral: values at their default are left out.
fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// The signals one referral carries. Person-level flags come from reported people only: a victim's access to
/// children says nothing about the suspect.
pub fn signals_from_report(report: &Report) -> Signals {
    let files_with =
        |a: FileAnnotation| count(report.files.iter().filter(|f| f.annotations.contains(&a)));
    let classified = |c: IndustryClassification| {
        count(
            report
                .files
                .iter()
                .filter(|f| f.industry_classification == Some(c)),
        )
    };
    let prior_reports: BTreeSet<&str> = report
        .people
        .iter()
        .flat_map(|p| &p.identifiers)
        .filter(|i| i.kind == IdentifierKind::PriorCybertip)
        .map(|i| i.value.as_str())
        .collect();
    Signals {
        online_enticement: report.incident_type == Some(IncidentType::OnlineEnticement),
        sextortion: report.annotations.contains(&ReportAnnotation::Sextortion),
        sadistic_online_exploitation: report
            .annotations
            .contains(&ReportAnnotation::SadisticOnlineExploitation),
        escalated_high_priority: report.escalate_to_high_priority,
        access_to_children: report
            .reported_people()
            .any(|p| p.access_to_children == Some(true)),
        convicted_sex_offender: report
            .reported_people()
            .any(|p| p.convicted_sex_offender == Some(true)),
        files_infant: files_with(FileAnnotation::Infant),
        files_physical_harm: files_with(FileAnnotation::PhysicalHarm),
        files_live_streaming: files_with(FileAnnotation::LiveStreaming),
        files_possible_self_production: files_with(FileAnnotation::PossibleSelfProduction),
        files_generative_ai: files_with(FileAnnotation::GenerativeAi),
        industry_a1: classified(IndustryClassification::A1),
        industry_a2: classified(IndustryClassification::A2),
        industry_b1: classified(IndustryClassification::B1),
        industry_b2: classified(IndustryClassification::B2),
        files: count(report.files.iter()),
        prior_cybertip_reports: count(prior_reports.iter()),
        children_at_risk: count(report.children_at_risk()),
        referrals: 1,
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The tool file

/// A validated risk tool. Built only by [`RiskTool::from_toml`], so every instance has passed validation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskTool {
    #[serde(flatten)]
    def: ToolDef,
    /// SHA-256 of the file text.
    content_sha256: String,
}

/// The tool file as written. Private so that nothing can deserialize a tool without validating it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolDef {
    id: String,
    version: String,
    name: String,
    illustrative: bool,
    notice: String,
    /// What changed from the previous version, for the audit trail.
    #[serde(default)]
    changes: Option<String>,
    clock: ClockConfig,
    timescales: Timescales,
    thresholds: Thresholds,
    questions: Vec<Question>,
    #[serde(default)]
    signals: Vec<SignalWeight>,
    #[serde(default)]
    rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockConfig {
    pub starts: ClockStart,
    pub stops: Vec<StopEvent>,
}

/// Days to the first enforcement action, per band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timescales {
    pub very_high: u32,
    pub high: u32,
    pub medium: u32,
    pub low: u32,
}

impl Timescales {
    pub fn days(&self, band: Band) -> u32 {
        match band {
            Band::VeryHigh => self.very_high,
            Band::High => self.high,
            Band::Medium => self.medium,
            Band::Low => self.low,
        }
    }
}

/// Points at which each band begins; below `medium` is Low.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub medium: u32,
    pub high: u32,
    pub very_high: u32,
}

impl Thresholds {
    pub fn band_for(&self, points: u32) -> Band {
        match points {
            p if p >= self.very_high => Band::VeryHigh,
            p if p >= self.high => Band::High,
            p if p >= self.medium => Band::Medium,
            _ => Band::Low,
        }
    }

    /// Points needed to reach `band` on points alone.
    pub fn points_for(&self, band: Band) -> u32 {
        match band {
            Band::VeryHigh => self.very_high,
            Band::High => self.high,
            Band::Medium => self.medium,
            Band::Low => 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub step: Step,
    /// The question in plain English.
    pub text: String,
    /// Guidance for the assessor: where to look, what counts.
    #[serde(default)]
    pub help: String,
    pub kind: QuestionKind,
    pub options: Vec<AnswerOption>,
}

impl Question {
    pub fn option(&self, value: &str) -> Option<&AnswerOption> {
        self.options.iter().find(|o| o.value == value)
    }

    /// The range a count falls in: the option with the highest `at_least` not above it.
    fn option_for_count(&self, n: u32) -> Option<&AnswerOption> {
        self.options
            .iter()
            .filter(|o| o.at_least.is_some_and(|min| min <= n))
            .max_by_key(|o| o.at_least)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerOption {
    pub value: String,
    #[serde(default)]
    pub label: Option<String>,
    pub points: u32,
    /// Count questions only: the smallest count this option covers.
    #[serde(default)]
    pub at_least: Option<u32>,
}

impl AnswerOption {
    pub fn display_label(&self) -> String {
        match &self.label {
            Some(label) => label.clone(),
            None => {
                let mut chars = self.value.chars();
                chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            }
        }
    }
}

/// Points a tool gives a signal read from the referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalWeight {
    pub id: SignalId,
    #[serde(default)]
    pub label: Option<String>,
    pub points: u32,
    /// The value from which the signal counts as present (default 1).
    #[serde(default)]
    pub at_least: Option<u32>,
}

impl SignalWeight {
    pub fn threshold(&self) -> u32 {
        self.at_least.unwrap_or(1)
    }

    pub fn display_label(&self) -> &str {
        self.label.as_deref().unwrap_or(self.id.default_label())
    }
}

/// A floor: when the conditions hold, the band is at least `floor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub floor: Band,
    /// Why, in plain English; shown in every explanation the rule appears in.
    pub reason: String,
    /// Every one of these must hold.
    #[serde(default)]
    pub all: Vec<Condition>,
    /// If given, at least one of these must hold too.
    #[serde(default)]
    pub any: Vec<Condition>,
}

/// One test on a signal or an answer. Exactly one of `signal` and `question` is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    #[serde(default)]
    pub signal: Option<SignalId>,
    #[serde(default)]
    pub question: Option<String>,
    /// For yes/no and choice questions: the option values that satisfy the condition.
    #[serde(default)]
    pub answers: Vec<String>,
    /// For count questions, and optionally signals: the smallest value that satisfies the condition.
    #[serde(default)]
    pub at_least: Option<u32>,
}

impl Condition {
    /// What the condition tests, as named in explanations.
    pub fn source(&self) -> (SourceKind, &str) {
        match (self.signal, &self.question) {
            (Some(signal), _) => (SourceKind::Signal, signal.as_str()),
            (None, question) => (
                SourceKind::Question,
                question.as_deref().unwrap_or_default(),
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToolError {
    #[error("risk tool file could not be read: {0}")]
    Parse(String),
    #[error("risk tool is invalid: {}", join_problems(.0))]
    Invalid(Vec<ToolProblem>),
}

fn join_problems(problems: &[ToolProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// One validation failure, located by the field path (`questions.grooming.options`, `rules.sextortion` ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolProblem {
    pub at: String,
    pub problem: String,
}

impl fmt::Display for ToolProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.problem)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("question `{question}` is not in this tool")]
    UnknownQuestion { question: String },
    #[error("`{given}` is not an answer to question `{question}`; expected one of: {}", .allowed.join(", "))]
    InvalidOption {
        question: String,
        given: String,
        allowed: Vec<String>,
    },
    #[error("question `{question}` needs a whole number, not `{given}`")]
    NotACount { question: String, given: String },
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing and validation

impl RiskTool {
    /// Parses and validates a tool file. Unknown fields are refused, so a misspelt key cannot silently fall back to
    /// a default.
    pub fn from_toml(text: &str) -> Result<RiskTool, ToolError> {
        let def: ToolDef = toml::from_str(text).map_err(|e| ToolError::Parse(e.to_string()))?;
        let tool = RiskTool {
            def,
            content_sha256: hex::encode(Sha256::digest(text.as_bytes())),
        };
        let problems = tool.problems();
        if !problems.is_empty() {
            return Err(ToolError::Invalid(problems));
        }
        Ok(tool)
    }

    pub fn id(&self) -> &str {
        &self.def.id
    }

    pub fn version(&self) -> &str {
        &self.def.version
    }

    pub fn name(&self) -> &str {
        &self.def.name
    }

    pub fn illustrative(&self) -> bool {
        self.def.illustrative
    }

    /// Shown to users wherever the tool's output is.
    pub fn notice(&self) -> &str {
        &self.def.notice
    }

    pub fn changes(&self) -> Option<&str> {
        self.def.changes.as_deref()
    }

    pub fn clock(&self) -> &ClockConfig {
        &self.def.clock
    }

    pub fn timescales(&self) -> &Timescales {
        &self.def.timescales
    }

    pub fn thresholds(&self) -> &Thresholds {
        &self.def.thresholds
    }

    pub fn questions(&self) -> &[Question] {
        &self.def.questions
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.def.questions.iter().find(|q| q.id == id)
    }

    pub fn questions_in(&self, step: Step) -> impl Iterator<Item = &Question> {
        self.def.questions.iter().filter(move |q| q.step == step)
    }

    pub fn signals(&self) -> &[SignalWeight] {
        &self.def.signals
    }

    pub fn rules(&self) -> &[Rule] {
        &self.def.rules
    }

    /// SHA-256 of the file text, so two files claiming the same id and version can be told apart.
    pub fn content_sha256(&self) -> &str {
        &self.content_sha256
    }

    fn problems(&self) -> Vec<ToolProblem> {
        let mut p = Problems::default();
        if !is_slug(&self.def.id, true) {
            p.add("id", "must be lower-case letters, digits, `-` or `_`");
        }
        if self.def.version.trim().is_empty() || self.def.version.contains(char::is_whitespace) {
            p.add("version", "must be non-empty with no spaces");
        }
        if self.def.name.trim().is_empty() {
            p.add("name", "must not be blank");
        }
        if self.def.illustrative && self.def.notice.trim().is_empty() {
            p.add("notice", "an illustrative tool must say so to users");
        }
        self.check_clock(&mut p);
        self.check_scales(&mut p);
        self.check_questions(&mut p);
        self.check_signals(&mut p);
        self.check_rules(&mut p);
        p.0
    }

    fn check_clock(&self, p: &mut Problems) {
        if self.def.clock.stops.is_empty() {
            p.add("clock.stops", "at least one event must stop the clock");
        }
        let mut seen = BTreeSet::new();
        for stop in &self.def.clock.stops {
            if !seen.insert(stop) {
                p.add(
                    "clock.stops",
                    format!("`{}` is listed twice", stop.as_str()),
                );
            }
        }
    }

    fn check_scales(&self, p: &mut Problems) {
        for band in Band::ALL {
            let days = self.def.timescales.days(band);
            if !(1..=366).contains(&days) {
                p.add(
                    format!("timescales.{}", band.as_str()),
                    format!("must be between 1 and 366 days, not {days}"),
                );
            }
        }
        let t = &self.def.timescales;
        if !(t.very_high <= t.high && t.high <= t.medium && t.medium <= t.low) {
            p.add(
                "timescales",
                "a more urgent band cannot have a longer timescale than a less urgent one",
            );
        }
        let th = &self.def.thresholds;
        if th.medium == 0 {
            p.add(
                "thresholds.medium",
                "must be at least 1, or nothing is ever Low",
            );
        }
        if !(th.medium < th.high && th.high < th.very_high) {
            p.add(
                "thresholds",
                format!(
                    "must ascend: medium ({}) < high ({}) < very_high ({})",
                    th.medium, th.high, th.very_high
                ),
            );
        }
    }

    fn check_questions(&self, p: &mut Problems) {
        if self.def.questions.is_empty() {
            p.add("questions", "a tool needs at least one question");
        }
        let mut ids = BTreeSet::new();
        for q in &self.def.questions {
            let at = format!("questions.{}", q.id);
            if !is_slug(&q.id, false) {
                p.add(&at, "id must be lower-case letters, digits or `_`");
            }
            if !ids.insert(q.id.as_str()) {
                p.add(&at, "duplicate question id");
            }
            if SignalId::parse(&q.id).is_some() {
                p.add(
                    &at,
                    "id is also a signal id; explanations could not tell them apart",
                );
            }
            if q.text.trim().is_empty() {
                p.add(&at, "text must not be blank");
            }
            check_options(q, &format!("{at}.options"), p);
        }
    }

    fn check_signals(&self, p: &mut Problems) {
        let mut seen = BTreeSet::new();
        for s in &self.def.signals {
            let at = format!("signals.{}", s.id.as_str());
            if !seen.insert(s.id) {
                p.add(&at, "signal listed twice");
            }
            check_signal_threshold(s.id, s.at_least, &at, p);
            if s.label.as_ref().is_some_and(|l| l.trim().is_empty()) {
                p.add(&at, "label must not be blank");
            }
        }
    }

    fn check_rules(&self, p: &mut Problems) {
        let mut ids = BTreeSet::new();
        for rule in &self.def.rules {
            let at = format!("rules.{}", rule.id);
            if !is_slug(&rule.id, false) {
                p.add(&at, "id must be lower-case letters, digits or `_`");
            }
            if !ids.insert(rule.id.as_str()) {
                p.add(&at, "duplicate rule id");
            }
            if rule.reason.trim().is_empty() {
                p.add(
                    &at,
                    "reason must not be blank: it is the explanation users see",
                );
            }
            if rule.floor == Band::Low {
                p.add(&at, "a floor of low never changes a band");
            }
            if rule.all.is_empty() && rule.any.is_empty() {
                p.add(&at, "needs at least one condition in `all` or `any`");
            }
            for (i, c) in rule.all.iter().enumerate() {
                self.check_condition(c, &format!("{at}.all[{i}]"), p);
            }
            for (i, c) in rule.any.iter().enumerate() {
                self.check_condition(c, &format!("{at}.any[{i}]"), p);
            }
        }
    }

    fn check_condition(&self, c: &Condition, at: &str, p: &mut Problems) {
        match (c.signal, &c.question) {
            (Some(signal), None) => {
                if !self.def.signals.iter().any(|s| s.id == signal) {
                    p.add(
                        at,
                        format!(
                            "signal `{}` is not declared in [[signals]]",
                            signal.as_str()
                        ),
                    );
                }
                if !c.answers.is_empty() {
                    p.add(at, "`answers` only applies to questions");
                }
                check_signal_threshold(signal, c.at_least, at, p);
            }
            (None, Some(id)) => {
                let Some(q) = self.question(id) else {
                    p.add(at, format!("refers to unknown question `{id}`"));
                    return;
                };
                match q.kind {
                    QuestionKind::Count => {
                        if c.at_least.is_none() || !c.answers.is_empty() {
                            p.add(
                                at,
                                format!("count question `{id}` needs `at_least` and no `answers`"),
                            );
                        }
                    }
                    QuestionKind::YesNo | QuestionKind::Choice => {
                        if c.answers.is_empty() || c.at_least.is_some() {
                            p.add(
                                at,
                                format!("question `{id}` needs `answers` and no `at_least`"),
                            );
                        }
                        for answer in &c.answers {
                            if q.option(answer).is_none() {
                                p.add(
                                    at,
                                    format!("`{answer}` is not an option of question `{id}`"),
                                );
                            }
                        }
                    }
                }
            }
            _ => p.add(at, "set exactly one of `signal` and `question`"),
        }
    }
}

fn check_options(q: &Question, at: &str, p: &mut Problems) {
    let mut values = BTreeSet::new();
    for o in &q.options {
        if !is_slug(&o.value, false) {
            p.add(
                at,
                format!(
                    "option `{}`: values are lower-case letters, digits or `_`",
                    o.value
                ),
            );
        }
        if !values.insert(o.value.as_str()) {
            p.add(at, format!("option `{}` is listed twice", o.value));
        }
        if o.label.as_ref().is_some_and(|l| l.trim().is_empty()) {
            p.add(at, format!("option `{}` has a blank label", o.value));
        }
        if q.kind != QuestionKind::Count && o.at_least.is_some() {
            p.add(
                at,
                format!("option `{}`: `at_least` is for count questions", o.value),
            );
        }
    }
    match q.kind {
        QuestionKind::YesNo => {
            if values != BTreeSet::from(["yes", "no"]) {
                p.add(
                    at,
                    "a yes_no question has exactly the options `yes` and `no`",
                );
            }
        }
        QuestionKind::Choice => {
            if q.options.len() < 2 {
                p.add(at, "a choice question needs at least two options");
            }
        }
        QuestionKind::Count => {
            let starts: Vec<Option<u32>> = q.options.iter().map(|o| o.at_least).collect();
            let ascending = starts.windows(2).all(|w| w[0] < w[1]);
            if starts.first() != Some(&Some(0)) || starts.contains(&None) || !ascending {
                p.add(
                    at,
                    "count options need `at_least`, starting at 0 and strictly ascending",
                );
            }
        }
    }
}

fn check_signal_threshold(signal: SignalId, at_least: Option<u32>, at: &str, p: &mut Problems) {
    match at_least {
        Some(0) => p.add(at, "`at_least` of 0 would always hold"),
        Some(n) if n > 1 && signal.is_flag() => p.add(
            at,
            format!(
                "`{}` is a yes/no flag; `at_least` can only be 1",
                signal.as_str()
            ),
        ),
        _ => {}
    }
}

fn is_slug(value: &str, allow_hyphen: bool) -> bool {
    value.starts_with(|c: char| c.is_ascii_lowercase())
        && value.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || (allow_hyphen && c == '-')
        })
}

#[derive(Default)]
struct Problems(Vec<ToolProblem>);

impl Problems {
    fn add(&mut self, at: impl Into<String>, problem: impl Into<String>) {
        self.0.push(ToolProblem {
            at: at.into(),
            problem: problem.into(),
        });
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Assessment

/// An assessor's answer to one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Count(u32),
    /// An option value: `yes`, `no`, or a choice's value. Digits are accepted for count questions.
    Choice(String),
}

impl From<u32> for Answer {
    fn from(n: u32) -> Self {
        Answer::Count(n)
    }
}

impl From<&str> for Answer {
    fn from(value: &str) -> Self {
        Answer::Choice(value.to_owned())
    }
}

/// Answers by question id. Questions may be left unanswered: they score nothing and are listed in the outcome.
pub type Answers = BTreeMap<String, Answer>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Signal,
    Question,
}

/// How one signal or answer moved the band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    pub kind: SourceKind,
    /// Signal id or question id.
    pub source: String,
    /// The signal's label or the question's text.
    pub label: String,
    /// The answer given, or the signal's value.
    pub value: String,
    pub points: u32,
    /// The highest floor set by a rule this signal or answer helped satisfy.
    pub floor: Option<Band>,
}

/// A band with its explanation, tied to the tool version that produced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub band: Band,
    pub points: u32,
    /// The band the points alone reach, before any rule floor.
    pub points_band: Band,
    /// Every signal present and every answer given; their points sum to `points`.
    pub contributions: Vec<Contribution>,
    /// In plain English: the points threshold reached, each rule that applied, and what set the band.
    pub reasons: Vec<String>,
    pub tool_id: String,
    pub tool_version: String,
    /// Question ids not answered, in tool order.
    pub unanswered: Vec<String>,
}

/// An answer checked against its question.
struct Given<'a> {
    option: &'a AnswerOption,
    count: Option<u32>,
}

impl RiskTool {
    /// The band from the referral signals alone, before an assessor has answered anything.
    pub fn provisional(&self, signals: &Signals) -> Outcome {
        self.evaluate(signals, &BTreeMap::new())
    }

    /// The band from signals and the assessor's answers.
    pub fn assess(&self, signals: &Signals, answers: &Answers) -> Result<Outcome, AnswerError> {
        let mut given = BTreeMap::new();
        for (id, answer) in answers {
            let question = self
                .question(id)
                .ok_or_else(|| AnswerError::UnknownQuestion {
                    question: id.clone(),
                })?;
            given.insert(id.as_str(), check_answer(question, answer)?);
        }
        Ok(self.evaluate(signals, &given))
    }

    /// Reads a typed-in answer (command line, form field) for a question: digits for count questions, an option
    /// value otherwise.
    pub fn parse_answer(&self, question: &str, value: &str) -> Result<Answer, AnswerError> {
        let q = self
            .question(question)
            .ok_or_else(|| AnswerError::UnknownQuestion {
                question: question.to_owned(),
            })?;
        let given = check_answer(q, &Answer::Choice(value.to_owned()))?;
        Ok(match given.count {
            Some(n) => Answer::Count(n),
            None => Answer::Choice(given.option.value.clone()),
        })
    }

    fn evaluate(&self, signals: &Signals, given: &BTreeMap<&str, Given<'_>>) -> Outcome {
        let mut contributions = Vec::new();
        for s in &self.def.signals {
            let value = s.id.value(signals);
            if value >= s.threshold() {
                contributions.push(signal_contribution(s, value, s.points));
            }
        }
        let mut unanswered = Vec::new();
        for q in &self.def.questions {
            match given.get(q.id.as_str()) {
                Some(g) => contributions.push(Contribution {
                    kind: SourceKind::Question,
                    source: q.id.clone(),
                    label: q.text.clone(),
                    value: match g.count {
                        Some(n) => format!("{n} ({})", g.option.display_label()),
                        None => g.option.display_label(),
                    },
                    points: g.option.points,
                    floor: None,
                }),
                None => unanswered.push(q.id.clone()),
            }
        }
        let points = contributions
            .iter()
            .fold(0u32, |sum, c| sum.saturating_add(c.points));
        let points_band = self.def.thresholds.band_for(points);
        let mut band = points_band;
        let mut reasons = vec![self.points_reason(points, points_band)];

        for rule in &self.def.rules {
            let Some(held) = self.rule_holds(rule, signals, given) else {
                continue;
            };
            band = band.max(rule.floor);
            reasons.push(format!(
                "At least {}: {} (rule `{}`).",
                rule.floor, rule.reason, rule.id
            ));
            for c in held {
                let (kind, source) = c.source();
                let index = match contributions
                    .iter()
                    .position(|x| x.kind == kind && x.source == source)
                {
                    Some(i) => i,
                    // A rule can test a signal below the value at which it scores; show it, at no points.
                    None => {
                        let Some(weight) = c.signal.and_then(|s| self.signal(s)) else {
                            continue;
                        };
                        contributions.push(signal_contribution(
                            weight,
                            weight.id.value(signals),
                            0,
                        ));
                        contributions.len() - 1
                    }
                };
                let floor = &mut contributions[index].floor;
                *floor = (*floor).max(Some(rule.floor));
            }
        }
        reasons.push(if band > points_band {
            format!(
                "Band {band}: raised from {points_band} on points by a rule above that sets it at least {band}."
            )
        } else {
            format!("Band {band}: set by the points; no rule sets a higher floor.")
        });

        Outcome {
            band,
            points,
            points_band,
            contributions,
            reasons,
            tool_id: self.def.id.clone(),
            tool_version: self.def.version.clone(),
            unanswered,
        }
    }

    fn signal(&self, id: SignalId) -> Option<&SignalWeight> {
        self.def.signals.iter().find(|s| s.id == id)
    }

    fn points_reason(&self, points: u32, points_band: Band) -> String {
        let th = &self.def.thresholds;
        match points_band {
            Band::Low => format!(
                "{points} points: below the Medium threshold of {}, so Low on points.",
                th.medium
            ),
            b => format!(
                "{points} points: reaches the {b} threshold of {}.",
                th.points_for(b)
            ),
        }
    }

    /// The conditions that held when the rule applies, `None` when it does not.
    fn rule_holds<'r>(
        &self,
        rule: &'r Rule,
        signals: &Signals,
        given: &BTreeMap<&str, Given<'_>>,
    ) -> Option<Vec<&'r Condition>> {
        let holds = |c: &Condition| self.condition_holds(c, signals, given);
        if !rule.all.iter().all(holds) {
            return None;
        }
        let any_held: Vec<&Condition> = rule.any.iter().filter(|c| holds(c)).collect();
        if !rule.any.is_empty() && any_held.is_empty() {
            return None;
        }
        Some(rule.all.iter().chain(any_held).collect())
    }

    fn condition_holds(
        &self,
        c: &Condition,
        signals: &Signals,
        given: &BTreeMap<&str, Given<'_>>,
    ) -> bool {
        if let Some(signal) = c.signal {
            let threshold = c
                .at_least
                .or_else(|| self.signal(signal).map(SignalWeight::threshold))
                .unwrap_or(1);
            return signal.value(signals) >= threshold;
        }
        let Some(g) = c.question.as_deref().and_then(|q| given.get(q)) else {
            return false;
        };
        match (g.count, c.at_least) {
            (Some(n), Some(min)) => n >= min,
            _ => c.answers.contains(&g.option.value),
        }
    }
}

fn signal_contribution(weight: &SignalWeight, value: u32, points: u32) -> Contribution {
    Contribution {
        kind: SourceKind::Signal,
        source: weight.id.as_str().to_owned(),
        label: weight.display_label().to_owned(),
        value: if weight.id.is_flag() {
            "yes".to_owned()
        } else {
            value.to_string()
        },
        points,
        floor: None,
    }
}

fn check_answer<'q>(q: &'q Question, answer: &Answer) -> Result<Given<'q>, AnswerError> {
    let invalid = |given: String| AnswerError::InvalidOption {
        question: q.id.clone(),
        given,
        allowed: q.options.iter().map(|o| o.value.clone()).collect(),
    };
    let count = match (q.kind, answer) {
        (QuestionKind::Count, Answer::Count(n)) => *n,
        (QuestionKind::Count, Answer::Choice(text)) => {
            text.trim().parse().map_err(|_| AnswerError::NotACount {
                question: q.id.clone(),
                given: text.clone(),
            })?
        }
        (_, Answer::Count(n)) => return Err(invalid(n.to_string())),
        (_, Answer::Choice(value)) => {
            let option = q
                .option(&value.trim().to_ascii_lowercase())
                .ok_or_else(|| invalid(value.clone()))?;
            return Ok(Given {
                option,
                count: None,
            });
        }
    };
    // Validation guarantees a count option starting at 0, so every count has a range.
    let option = q
        .option_for_count(count)
        .ok_or_else(|| invalid(count.to_string()))?;
    Ok(Given {
        option,
        count: Some(count),
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Overrides

/// A supervisor's decision to set a band other than the tool's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    pub band: Band,
    pub rationale: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideError {
    #[error("an override to {0} needs a rationale saying why the tool's band is wrong")]
    MissingRationale(Band),
}

/// An override must say why: inspections found cases wrongly rated with no record of the reasoning.
pub fn validate_override(band: Band, rationale: &str) -> Result<Override, OverrideError> {
    let rationale = rationale.trim();
    if rationale.is_empty() {
        return Err(OverrideError::MissingRationale(band));
    }
    Ok(Override {
        band,
        rationale: rationale.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{
        FileInfo, Format, Identifier, Person, PersonRole, ReferralSource, SourceRef,
    };

    fn v1() -> RiskTool {
        RiskTool::from_toml(ILLUSTRATIVE_TOOL_V1).expect("v1 parses and validates")
    }

    fn v2() -> RiskTool {
        RiskTool::from_toml(ILLUSTRATIVE_TOOL_V2).expect("v2 parses and validates")
    }

    /// One reported person, one B2 file, nothing flagged.
    fn plain_report() -> Report {
        Report {
            incident_type: Some(IncidentType::ChildPornography),
            people: vec![Person::new(PersonRole::Reported)],
            files: vec![FileInfo {
                industry_classification: Some(IndustryClassification::B2),
                ..FileInfo::default()
            }],
            ..Report::new(
                SourceRef::NcmecReportId("100".to_owned()),
                Format::CybertipXml,
                ReferralSource::Ncmec,
                "0".repeat(64),
            )
        }
    }

    fn enticement_report_with_access() -> Report {
        let mut report = plain_report();
        report.incident_type = Some(IncidentType::OnlineEnticement);
        report.people[0].access_to_children = Some(true);
        report
    }

    /// The error text for a copy of v1 with one edit.
    fn error_after(from: &str, to: &str) -> String {
        assert!(ILLUSTRATIVE_TOOL_V1.contains(from), "v1 contains {from:?}");
        let text = ILLUSTRATIVE_TOOL_V1.replacen(from, to, 1);
        RiskTool::from_toml(&text)
            .expect_err("edited tool is refused")
            .to_string()
    }

    fn answers(pairs: &[(&str, Answer)]) -> Answers {
        pairs
            .iter()
            .map(|(q, a)| ((*q).to_owned(), a.clone()))
            .collect()
    }

    #[test]
    fn shipped_tools_parse_and_are_labelled_illustrative() {
        for (tool, version) in [(v1(), "1.0.0"), (v2(), "2.0.0")] {
            assert_eq!(tool.id(), "kirat-illustrative");
            assert_eq!(tool.version(), version);
            assert!(tool.illustrative());
            assert!(tool.notice().contains("ILLUSTRATIVE"));
            assert!(tool.notice().contains("not the police-restricted KIRAT"));
            assert_eq!(tool.questions().len(), 14);
            for step in Step::ALL {
                assert!(tool.questions_in(step).count() >= 3, "{step:?}");
            }
            assert_eq!(tool.clock().starts, ClockStart::ForceReceipt);
            assert_eq!(tool.clock().stops, StopEvent::ALL.to_vec());
            let days: Vec<u32> = Band::ALL
                .iter()
                .map(|b| tool.timescales().days(*b))
                .collect();
            assert_eq!(days, [1, 7, 14, 30]);
            assert_eq!(tool.content_sha256().len(), 64);
        }
        assert!(v2().changes().is_some());
        assert_ne!(v1().content_sha256(), v2().content_sha256());
    }

    #[test]
    fn band_order_and_names() {
        assert!(Band::Low < Band::Medium && Band::Medium < Band::High);
        assert!(Band::High < Band::VeryHigh);
        for band in Band::ALL {
            assert_eq!(Band::parse(band.as_str()), Some(band));
            assert_eq!(Band::parse(band.label()), Some(band));
        }
        assert_eq!(Band::VeryHigh.to_string(), "Very High");
        assert_eq!(Band::parse("urgent"), None);
    }

    #[test]
    fn unknown_field_is_refused_by_name() {
        let err = error_after(
            "id = \"grooming\"\n",
            "id = \"grooming\"\ncolour = \"red\"\n",
        );
        assert!(err.contains("colour"), "{err}");
        let err = error_after("[timescales]\n", "[timescales]\nurgent = 1\n");
        assert!(err.contains("urgent"), "{err}");
    }

    #[test]
    fn missing_timescale_is_refused_by_name() {
        let err = error_after("low = 30\n", "");
        assert!(err.contains("low"), "{err}");
    }

    #[test]
    fn duplicate_question_id_is_named() {
        let err = error_after("id = \"grooming\"\n", "id = \"incitement\"\n");
        assert!(
            err.contains("questions.incitement: duplicate question id"),
            "{err}"
        );
    }

    #[test]
    fn thresholds_out_of_order_are_refused() {
        let err = error_after(
            "[thresholds]\nmedium = 4\nhigh = 9\n",
            "[thresholds]\nmedium = 4\nhigh = 20\n",
        );
        assert!(
            err.contains("thresholds: must ascend: medium (4) < high (20) < very_high (15)"),
            "{err}"
        );
    }

    #[test]
    fn rule_referring_to_unknown_question_is_named() {
        let err = error_after(
            "{ question = \"grooming\", answers = [\"yes\"] }",
            "{ question = \"groming\", answers = [\"yes\"] }",
        );
        assert!(
            err.contains("rules.contact_with_child.any[1]: refers to unknown question `groming`"),
            "{err}"
        );
    }

    #[test]
    fn rule_conditions_are_checked_against_the_tool() {
        let err = error_after(
            "[[signals]]\nid = \"sextortion\"\nlabel = \"The service flagged sextortion\"\npoints = 3\n",
            "",
        );
        assert!(
            err.contains("rules.sextortion.all[0]: signal `sextortion` is not declared"),
            "{err}"
        );
        let err = error_after(
            "{ question = \"incitement\", answers = [\"yes\"] }",
            "{ question = \"incitement\", answers = [\"maybe\"] }",
        );
        assert!(
            err.contains("`maybe` is not an option of question `incitement`"),
            "{err}"
        );
        let err = error_after("{ signal = \"sextortion\" }", "{ signal = \"smuggling\" }");
        assert!(err.contains("smuggling"), "{err}");
    }

    #[test]
    fn malformed_options_are_named() {
        let err = error_after(
            "{ value = \"yes\", points = 2 },\n  { value = \"no\", points = 0 },",
            "{ value = \"yes\", points = 2 },\n  { value = \"yes\", points = 0 },",
        );
        assert!(
            err.contains("questions.prev_prison.options: option `yes` is listed twice"),
            "{err}"
        );
        let err = error_after(
            "{ value = \"none\", label = \"None\", at_least = 0, points = 0 }",
            "{ value = \"none\", label = \"None\", at_least = 1, points = 0 }",
        );
        assert!(
            err.contains("questions.prev_sexual_offence_count.options: count options need"),
            "{err}"
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let text = ILLUSTRATIVE_TOOL_V1
            .replacen("version = \"1.0.0\"", "version = \"\"", 1)
            .replacen("very_high = 1\n", "very_high = 0\n", 1);
        let Err(ToolError::Invalid(problems)) = RiskTool::from_toml(&text) else {
            panic!("tool with two problems is refused");
        };
        let at: Vec<&str> = problems.iter().map(|p| p.at.as_str()).collect();
        assert_eq!(at, ["version", "timescales.very_high"]);
    }

    #[test]
    fn signals_are_read_from_a_referral() {
        let mut report = enticement_report_with_access();
        report.annotations.insert(ReportAnnotation::Sextortion);
        report.escalate_to_high_priority = true;
        report.files[0].annotations.insert(FileAnnotation::Infant);
        report.files.push(FileInfo {
            industry_classification: Some(IndustryClassification::A1),
            annotations: BTreeSet::from([FileAnnotation::Infant, FileAnnotation::LiveStreaming]),
            ..FileInfo::default()
        });
        for prior in ["111", "222", "111"] {
            let id = Identifier::new(IdentifierKind::PriorCybertip, None, prior).expect("id");
            report.people[0].add_identifier(id);
        }
        let mut victim = Person::new(PersonRole::Victim);
        // A victim's flags say nothing about the suspect.
        victim.convicted_sex_offender = Some(true);
        report.people.push(victim);
        report
            .people
            .push(Person::new(PersonRole::IntendedRecipient));

        let s = signals_from_report(&report);
        assert!(s.online_enticement && s.sextortion && s.escalated_high_priority);
        assert!(s.access_to_children && !s.convicted_sex_offender);
        assert!(!s.sadistic_online_exploitation);
        assert_eq!((s.files_infant, s.files_live_streaming), (2, 1));
        assert_eq!((s.industry_a1, s.industry_b2, s.industry_a2), (1, 1, 0));
        assert_eq!(s.files, 2);
        assert_eq!(s.prior_cybertip_reports, 2);
        assert_eq!(s.children_at_risk, 2);
        assert_eq!(s.referrals, 1);
    }

    #[test]
    fn merged_signals_add_counts_and_or_flags() {
        let mut merged = signals_from_report(&plain_report());
        merged.merge(&signals_from_report(&enticement_report_with_access()));
        assert!(merged.online_enticement && merged.access_to_children);
        assert_eq!(merged.files, 2);
        assert_eq!(merged.industry_b2, 2);
        assert_eq!(merged.referrals, 2);

        let json = serde_json::to_string(&merged).expect("serialises");
        assert_eq!(
            serde_json::from_str::<Signals>(&json).expect("round trip"),
            merged
        );
        // Signals stored before a field existed still load.
        let old: Signals = serde_json::from_str(r#"{"files": 3}"#).expect("defaults");
        assert_eq!(old.files, 3);
    }

    #[test]
    fn plain_report_is_provisionally_low() {
        let outcome = v1().provisional(&signals_from_report(&plain_report()));
        assert_eq!(outcome.band, Band::Low);
        assert_eq!(outcome.points, 0);
        assert_eq!(outcome.unanswered.len(), 14);
        assert_eq!(
            (outcome.tool_id.as_str(), outcome.tool_version.as_str()),
            ("kirat-illustrative", "1.0.0")
        );
        // The B2 classification is shown even though it scores nothing.
        assert_eq!(outcome.contributions.len(), 1);
        assert_eq!(outcome.contributions[0].source, "industry_b2");
        assert!(outcome.reasons[0].contains("below the Medium threshold of 4"));
    }

    #[test]
    fn enticement_with_access_to_children_is_at_least_high() {
        let outcome = v1().provisional(&signals_from_report(&enticement_report_with_access()));
        assert_eq!(outcome.points, 6);
        assert_eq!(outcome.points_band, Band::Medium);
        assert_eq!(outcome.band, Band::High);
        assert!(
            outcome
                .reasons
                .iter()
                .any(|r| r.contains("At least High") && r.contains("enticement_with_access"))
        );
        assert!(
            outcome
                .reasons
                .last()
                .expect("final reason")
                .contains("raised from Medium")
        );
        for source in ["online_enticement", "access_to_children"] {
            let c = outcome
                .contributions
                .iter()
                .find(|c| c.source == source)
                .expect("contribution");
            assert_eq!((c.points, c.floor), (3, Some(Band::High)));
        }
    }

    #[test]
    fn infant_files_with_access_are_very_high() {
        let mut report = enticement_report_with_access();
        report.incident_type = Some(IncidentType::ChildPornography);
        report.files[0].annotations.insert(FileAnnotation::Infant);
        let outcome = v1().provisional(&signals_from_report(&report));
        assert_eq!(outcome.band, Band::VeryHigh);
        assert_eq!(outcome.points_band, Band::Medium);
    }

    #[test]
    fn assessment_explains_each_answer() {
        let tool = v1();
        let signals = signals_from_report(&plain_report());
        let given = answers(&[
            ("prev_sexual_offending", "conviction".into()),
            ("prev_sexual_offence_count", 3.into()),
            ("access_household", "Yes".into()),
            ("grooming", "no".into()),
        ]);
        let outcome = tool.assess(&signals, &given).expect("valid answers");
        assert_eq!(outcome.points, 4 + 2 + 4);
        assert_eq!(
            outcome.points,
            outcome.contributions.iter().map(|c| c.points).sum::<u32>()
        );
        assert_eq!(outcome.band, Band::High);
        assert_eq!(outcome.points_band, Band::High);
        assert_eq!(outcome.unanswered.len(), 10);
        assert!(!outcome.unanswered.contains(&"grooming".to_owned()));

        let by_source = |id: &str| {
            outcome
                .contributions
                .iter()
                .find(|c| c.source == id)
                .expect("contribution")
                .clone()
        };
        assert_eq!(
            by_source("prev_sexual_offence_count").value,
            "3 (Two or three)"
        );
        assert_eq!(by_source("prev_sexual_offending").floor, Some(Band::High));
        assert_eq!(by_source("access_household").floor, Some(Band::High));
        assert_eq!(by_source("access_household").kind, SourceKind::Question);
        assert_eq!(
            (by_source("grooming").points, by_source("grooming").floor),
            (0, None)
        );
        assert!(outcome.reasons[0].contains("10 points: reaches the High threshold of 9"));

        // Producing images with access to children raises the band past what the points reach.
        let mut more = given.clone();
        more.insert("producing_images".to_owned(), "yes".into());
        let outcome = tool.assess(&signals, &more).expect("valid answers");
        assert_eq!((outcome.points, outcome.points_band), (14, Band::High));
        assert_eq!(outcome.band, Band::VeryHigh);
        assert!(
            outcome
                .reasons
                .iter()
                .any(|r| r.contains("producing_with_access"))
        );

        let json = serde_json::to_string(&outcome).expect("serialises");
        assert!(json.contains("\"band\":\"very_high\""));
    }

    #[test]
    fn a_rule_can_use_a_signal_below_its_scoring_threshold() {
        let text = ILLUSTRATIVE_TOOL_V1.replacen(
            "all = [{ signal = \"children_at_risk\" }]",
            "all = [{ signal = \"files\", at_least = 2 }]",
            1,
        );
        let tool = RiskTool::from_toml(&text).expect("valid");
        let mut report = plain_report();
        report.files.push(FileInfo::default());
        let outcome = tool.provisional(&signals_from_report(&report));
        assert_eq!(outcome.band, Band::Medium);
        let files = outcome
            .contributions
            .iter()
            .find(|c| c.source == "files")
            .expect("shown because a rule used it");
        assert_eq!((files.points, files.floor), (0, Some(Band::Medium)));
    }

    #[test]
    fn bad_answers_are_named() {
        let tool = v1();
        let signals = Signals::default();
        let err =
            |pairs: &[(&str, Answer)]| tool.assess(&signals, &answers(pairs)).expect_err("refused");
        assert_eq!(
            err(&[("shoe_size", "yes".into())]),
            AnswerError::UnknownQuestion {
                question: "shoe_size".to_owned()
            }
        );
        let invalid = err(&[("access_work", "sometimes".into())]);
        assert_eq!(
            invalid.to_string(),
            "`sometimes` is not an answer to question `access_work`; expected one of: none, occasional, regular"
        );
        assert!(matches!(
            err(&[("grooming", 2.into())]),
            AnswerError::InvalidOption { .. }
        ));
        assert_eq!(
            err(&[("prev_sexual_offence_count", "several".into())]),
            AnswerError::NotACount {
                question: "prev_sexual_offence_count".to_owned(),
                given: "several".to_owned()
            }
        );
    }

    #[test]
    fn typed_answers_are_parsed_for_their_question() {
        let tool = v1();
        assert_eq!(
            tool.parse_answer("prev_sexual_offence_count", " 5 "),
            Ok(Answer::Count(5))
        );
        assert_eq!(
            tool.parse_answer("grooming", "YES"),
            Ok(Answer::Choice("yes".to_owned()))
        );
        assert!(tool.parse_answer("grooming", "perhaps").is_err());
        assert!(tool.parse_answer("nope", "yes").is_err());
    }

    #[test]
    fn rescoring_under_v2_applies_the_changed_rule() {
        let mut report = plain_report();
        report.incident_type = Some(IncidentType::OnlineEnticement);
        let signals = signals_from_report(&report);
        let before = v1().provisional(&signals);
        let after = v2().provisional(&signals);
        assert_eq!(before.band, Band::Low);
        assert_eq!(
            (after.band, after.tool_version.as_str()),
            (Band::High, "2.0.0")
        );
        assert_eq!(before.points, after.points);
    }

    #[test]
    fn override_needs_a_rationale() {
        assert_eq!(
            validate_override(Band::High, "  \n"),
            Err(OverrideError::MissingRationale(Band::High))
        );
        let ok = validate_override(Band::VeryHigh, " Subject lives with two children under 5. ")
            .expect("rationale given");
        assert_eq!(ok.band, Band::VeryHigh);
        assert_eq!(ok.rationale, "Subject lives with two children under 5.");
    }

    #[test]
    fn tool_serialises_for_display() {
        let json = serde_json::to_value(v1()).expect("serialises");
        assert_eq!(json["version"], "1.0.0");
        assert_eq!(json["questions"][0]["step"], "previous_behaviours");
    }
}
