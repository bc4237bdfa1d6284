//! The tool file's shape: questions, options, signal weights, rules, thresholds and timescales, and what a
//! validated [`RiskTool`] answers about itself. Parsing and validation are in `validate`, scoring in `assess`.

use super::{Band, SignalId, SourceKind};
use crate::sla::{ClockStart, StopEvent};
use serde::{Deserialize, Serialize};

/// The illustrative tool shipped with Severn, first version.
pub const ILLUSTRATIVE_TOOL_V1: &str =
    include_str!("../../../../risk-tools/kirat-illustrative-v1.toml");
/// The illustrative tool, second version: online enticement alone sets at least High.
pub const ILLUSTRATIVE_TOOL_V2: &str =
    include_str!("../../../../risk-tools/kirat-illustrative-v2.toml");

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

/// A validated risk tool. Built only by [`RiskTool::from_toml`], so every instance has passed validation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskTool {
    #[serde(flatten)]
    pub(super) def: ToolDef,
    /// SHA-256 of the file text.
    pub(super) content_sha256: String,
}

/// The tool file as written. Private so that nothing can deserialize a tool without validating it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ToolDef {
    pub(super) id: String,
    pub(super) version: String,
    pub(super) name: String,
    pub(super) illustrative: bool,
    pub(super) notice: String,
    /// What changed from the previous version, for the audit trail.
    #[serde(default)]
    pub(super) changes: Option<String>,
    pub(super) clock: ClockConfig,
    pub(super) timescales: Timescales,
    pub(super) thresholds: Thresholds,
    pub(super) questions: Vec<Question>,
    #[serde(default)]
    pub(super) signals: Vec<SignalWeight>,
    #[serde(default)]
    pub(super) rules: Vec<Rule>,
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
    pub(super) fn option_for_count(&self, n: u32) -> Option<&AnswerOption> {
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
            None => crate::text::capitalised(&self.value),
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

impl RiskTool {
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
}
