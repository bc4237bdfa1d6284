//! Scoring: a band from the signals and the assessor's answers, with the explanation of how it was reached.

use super::{
    AnswerOption, Band, Condition, Question, QuestionKind, RiskTool, Rule, SignalId, SignalWeight,
    Signals,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// An assessor's answer to one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Signal,
    Question,
}

/// How one signal or answer moved the band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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

impl Outcome {
    /// What set the band: the rules that lifted it there when one did, otherwise the points.
    pub fn set_by(&self) -> Vec<&str> {
        let floor = format!("At least {}:", self.band);
        let rules: Vec<&str> = self
            .reasons
            .iter()
            .filter(|r| r.starts_with(&floor))
            .map(String::as_str)
            .collect();
        if self.band > self.points_band && !rules.is_empty() {
            rules
        } else {
            self.reasons.iter().take(1).map(String::as_str).collect()
        }
    }

    /// The signals and answers, those behind a rule that set the band first, then the most points first.
    pub fn by_weight(&self) -> Vec<&Contribution> {
        let mut ordered: Vec<&Contribution> = self.contributions.iter().collect();
        let lifted = self.band > self.points_band;
        ordered.sort_by_key(|c| {
            (
                std::cmp::Reverse(lifted && c.floor == Some(self.band)),
                std::cmp::Reverse(c.points),
            )
        });
        ordered
    }
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
        let points = match points {
            1 => "1 point".to_owned(),
            n => format!("{n} points"),
        };
        match points_band {
            Band::Low => format!(
                "{points}: below the Medium threshold of {}, so Low on points.",
                th.medium
            ),
            b => format!(
                "{points}: reaches the {b} threshold of {}.",
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
