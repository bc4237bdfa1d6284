//! Cases and their timelines as stored.

use severn_domain::case::{Clock, ClockState};
use severn_domain::ids::{CaseId, OrgId, StaffId, SubjectId};
use severn_domain::risk::Band;

/// Whether a case is open or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseStatus {
    Open,
    Closed,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Closed => "closed",
        }
    }

    pub fn parse(stored: &str) -> Option<CaseStatus> {
        [CaseStatus::Open, CaseStatus::Closed]
            .into_iter()
            .find(|s| s.as_str() == stored)
    }
}

/// A case to open on a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    pub subject_id: SubjectId,
    pub owner_org: Option<OrgId>,
    pub opened_at: i64,
    pub opened_by: String,
    pub received_at: i64,
    pub clock_start_at: i64,
    pub band: Band,
    pub due_at: i64,
}

/// A case as stored: what it was opened with, and where its timeline stood after the last event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRow {
    pub id: CaseId,
    pub subject_id: SubjectId,
    pub owner_org: Option<OrgId>,
    pub opened_at: i64,
    pub opened_by: String,
    pub received_at: i64,
    pub clock_start_at: i64,
    pub opening_band: Band,
    pub now: CaseNow,
}

/// Where a case stands, worked out from its events in force (see `severn_domain::case`), kept on the case row
/// so worklists can be listed by deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseNow {
    pub status: CaseStatus,
    pub officer: Option<StaffId>,
    pub supervisor: Option<StaffId>,
    pub band: Band,
    pub clock: ClockSummary,
    pub updated_at: i64,
}

/// A clock's state as the case row keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockSummary {
    Running { due_at: i64 },
    Paused,
    Stopped { at: i64, in_time: bool },
}

impl ClockSummary {
    pub fn of(clock: &Clock) -> ClockSummary {
        match &clock.state {
            ClockState::Running { due } => ClockSummary::Running {
                due_at: due.as_second(),
            },
            ClockState::Paused { .. } => ClockSummary::Paused,
            ClockState::Stopped { at, in_time, .. } => ClockSummary::Stopped {
                at: at.as_second(),
                in_time: *in_time,
            },
        }
    }

    /// The stored words and times: state, due_at, stopped_at.
    pub(crate) fn columns(self) -> (&'static str, Option<i64>, Option<i64>) {
        match self {
            ClockSummary::Running { due_at } => ("running", Some(due_at), None),
            ClockSummary::Paused => ("paused", None, None),
            ClockSummary::Stopped { at, in_time: true } => ("stopped_in_time", None, Some(at)),
            ClockSummary::Stopped { at, in_time: false } => ("stopped_late", None, Some(at)),
        }
    }

    pub(crate) fn from_columns(
        state: &str,
        due_at: Option<i64>,
        stopped_at: Option<i64>,
    ) -> Option<ClockSummary> {
        match (state, due_at, stopped_at) {
            ("running", Some(due_at), _) => Some(ClockSummary::Running { due_at }),
            ("paused", _, _) => Some(ClockSummary::Paused),
            ("stopped_in_time", _, Some(at)) => Some(ClockSummary::Stopped { at, in_time: true }),
            ("stopped_late", _, Some(at)) => Some(ClockSummary::Stopped { at, in_time: false }),
            _ => None,
        }
    }
}
