//! A subject's state (open while it is triaged, in a case once one is opened on it, merged once its referrals moved into another subject), and the
//! decisions investigators take about two subjects.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectStatus {
    /// In the queue, its clock running.
    Open,
    /// Investigated in a case, whose timeline carries its clock: off the queue, on the worklist.
    InCase,
    /// Merged into another subject, which carries its referrals now.
    Merged,
}

impl SubjectStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectStatus::Open => "open",
            SubjectStatus::InCase => "in_case",
            SubjectStatus::Merged => "merged",
        }
    }

    pub fn parse(value: &str) -> Option<SubjectStatus> {
        [
            SubjectStatus::Open,
            SubjectStatus::InCase,
            SubjectStatus::Merged,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
    }
}

/// An investigator's decision about two subjects: the same person (merge) or not (split).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Merge,
    Split,
}

impl DecisionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Merge => "merge",
            DecisionKind::Split => "split",
        }
    }

    /// As a page says it: "Merged by …", "Split by …".
    pub fn label(self) -> &'static str {
        match self {
            DecisionKind::Merge => "Merged",
            DecisionKind::Split => "Split",
        }
    }

    pub fn parse(value: &str) -> Option<DecisionKind> {
        [DecisionKind::Merge, DecisionKind::Split]
            .into_iter()
            .find(|k| k.as_str() == value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decision_kinds_read_back_what_they_store() {
        for kind in [DecisionKind::Merge, DecisionKind::Split] {
            assert_eq!(DecisionKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(DecisionKind::parse("Merge"), None);
    }

    #[test]
    fn statuses_read_back_what_they_store() {
        for status in [
            SubjectStatus::Open,
            SubjectStatus::InCase,
            SubjectStatus::Merged,
        ] {
            assert_eq!(SubjectStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(SubjectStatus::parse("closed"), None);
    }
}
