//! The prioritisation tool as versioned data.
//!
//! The real KIRAT questions are police-restricted, so Severn never hard-codes a tool: questions, points, rules and
//! band thresholds are read from a TOML file (format in `docs/risk-tool.md`) and every outcome records the tool id
//! and version it came from. The tool that ships ([`ILLUSTRATIVE_TOOL_V1`]) is illustrative and labelled so.
//!
//! A band comes from points (signals read from the referral plus the assessor's answers, against the tool's
//! thresholds) raised by any rule floors that apply. Rules only ever raise a band.

mod assess;
mod band;
mod signals;
mod tool;
mod validate;

pub use assess::{Answer, AnswerError, Answers, Contribution, Outcome, SourceKind};
pub use band::{Band, Override, OverrideError, validate_override};
pub use signals::{SignalId, Signals, signals_from_report};
pub use tool::{
    AnswerOption, ClockConfig, Condition, ILLUSTRATIVE_TOOL_V1, ILLUSTRATIVE_TOOL_V2, Question,
    QuestionKind, RiskTool, Rule, SignalWeight, Step, Thresholds, Timescales,
};
pub use validate::{ToolError, ToolProblem};

#[cfg(test)]
mod tests;
