//! The worklists: a person's cases, their supervised cases, the unallocated and all open or closed cases of
//! their force, a page at a time, soonest due first. Each page is one access through the gate, logged.

use crate::casework::staff_names;
use crate::gate::Why;
use crate::time::instant;
use crate::{App, AppError, Result, active_tool_in};
use jiff::Timestamp;
use serde::Serialize;
use severn_domain::access::{Action, Actor};
use severn_domain::case::{Clock, ClockState, Urgency};
use severn_domain::ids::{CaseId, StaffId, SubjectId};
use severn_domain::risk::Band;
use severn_store::{CaseList, ClockSummary};
use utoipa::ToSchema;

/// The most cases a worklist page shows.
pub const WORKLIST_PAGE: i64 = 50;

/// One line of a worklist.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorklistEntry {
    pub case: CaseId,
    pub subject: SubjectId,
    pub band: Band,
    pub band_label: &'static str,
    pub officer: Option<String>,
    pub status: &'static str,
    /// `running`, `paused`, `stopped`.
    pub clock: &'static str,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
    pub urgency: Urgency,
    pub clock_text: String,
}

/// A page of a worklist.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorklistPage {
    pub entries: Vec<WorklistEntry>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// Which worklist a person asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Worklist {
    Mine,
    Supervised,
    Unallocated,
    AllOpen,
    Closed,
}

impl Worklist {
    pub const ALL: [Worklist; 5] = [
        Worklist::Mine,
        Worklist::Supervised,
        Worklist::Unallocated,
        Worklist::AllOpen,
        Worklist::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Worklist::Mine => "mine",
            Worklist::Supervised => "supervised",
            Worklist::Unallocated => "unallocated",
            Worklist::AllOpen => "open",
            Worklist::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Worklist::Mine => "My cases",
            Worklist::Supervised => "Cases I supervise",
            Worklist::Unallocated => "Unallocated",
            Worklist::AllOpen => "All open cases",
            Worklist::Closed => "Closed",
        }
    }

    pub fn parse(value: &str) -> Option<Worklist> {
        Self::ALL.into_iter().find(|w| w.as_str() == value)
    }
}

fn summary_text(summary: ClockSummary, now: Timestamp) -> String {
    match summary {
        ClockSummary::Running { due_at } => {
            severn_domain::sla::time_left(instant(due_at), now).to_string()
        }
        ClockSummary::Paused => "paused".to_owned(),
        ClockSummary::Stopped { in_time: true, .. } => "stopped in time".to_owned(),
        ClockSummary::Stopped { in_time: false, .. } => "stopped late".to_owned(),
    }
}

impl App {
    /// A page (from 1) of a worklist in the person's force, soonest due first.
    pub async fn worklist(&self, actor: &Actor, list: Worklist, page: i64) -> Result<WorklistPage> {
        let page = page.max(1);
        let tx = self.db().begin_read().await?;
        let why = Why {
            detail: Some(format!("worklist {} page {page}", list.as_str())),
            ..Why::default()
        };
        let mut tx = self
            .authorise(tx, actor, Action::ViewQueue, "worklist", why)
            .await?;
        let me = actor.staff_id();
        let stored = match (list, me) {
            (Worklist::Mine, Some(me)) => CaseList::OfficerInCharge(me),
            (Worklist::Supervised, Some(me)) => CaseList::Supervised(me),
            (Worklist::Mine | Worklist::Supervised, None) => {
                return Err(AppError::Invalid(
                    "Only a member of staff has cases of their own.".into(),
                ));
            }
            (Worklist::Unallocated, _) => CaseList::Unallocated,
            (Worklist::AllOpen, _) => CaseList::AllOpen,
            (Worklist::Closed, _) => CaseList::Closed,
        };
        let (rows, total) = tx
            .worklist(stored, WORKLIST_PAGE, (page - 1) * WORKLIST_PAGE)
            .await?;
        let tool = active_tool_in(&mut tx, self.now()).await?;
        let officers: Vec<StaffId> = rows.iter().filter_map(|r| r.now.officer).collect();
        let names = staff_names(&mut tx, &officers).await?;
        tx.commit().await?;
        let now = instant(self.now());
        let entries = rows
            .into_iter()
            .map(|row| {
                let due_at = match row.now.clock {
                    ClockSummary::Running { due_at } => Some(instant(due_at)),
                    _ => None,
                };
                let urgency = match due_at {
                    Some(due) => Clock {
                        band: row.now.band,
                        started: now,
                        state: ClockState::Running { due },
                    }
                    .urgency(tool.timescales(), now),
                    None => Urgency::OnTrack,
                };
                WorklistEntry {
                    case: row.id,
                    subject: row.subject_id,
                    band: row.now.band,
                    band_label: row.now.band.label(),
                    officer: row.now.officer.and_then(|o| names.get(&o).cloned()),
                    status: row.now.status.as_str(),
                    clock: match row.now.clock {
                        ClockSummary::Running { .. } => "running",
                        ClockSummary::Paused => "paused",
                        ClockSummary::Stopped { .. } => "stopped",
                    },
                    due_at,
                    urgency,
                    clock_text: summary_text(row.now.clock, now),
                }
            })
            .collect();
        Ok(WorklistPage {
            entries,
            total,
            page,
            pages: (total + WORKLIST_PAGE - 1) / WORKLIST_PAGE,
        })
    }
}
