//! Parsing a tool file and checking it whole: every problem is reported at once, located by its field path.

use super::tool::ToolDef;
use super::{Band, Condition, Question, QuestionKind, RiskTool, SignalId};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fmt;

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
