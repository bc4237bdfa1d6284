//! Notices to a case's officer in charge and supervisor before and at the breach of its deadline: when its
//! clock is due soon (a fifth of the band's timescale left) and when it is overdue; and when its safeguarding
//! work (a referral to children's social care, the authority's decision, a joint plan's action) is overdue. Each is kept in the
//! application, shown to the person, and — when the server has an SMTP relay and the person an address —
//! e-mailed. A notice names the case, its band and its deadline, nothing about the suspect.

use crate::gate::Why;
use crate::mail::{self, Relay};
use crate::time::{instant, london};
use crate::{App, Result, active_tool_in};
use jiff::Timestamp;
use serde::Serialize;
use severn_domain::access::{Action, Actor};
use severn_domain::case::{Clock, ClockState, Urgency};
use severn_domain::ids::CaseId;
use severn_store::NoticeRow;
use utoipa::ToSchema;

/// What one round of notices did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NoticeRound {
    /// New notices.
    pub given: usize,
    /// Notices handed to the relay.
    pub emailed: usize,
    /// Notices the relay did not take, with why (they are tried again next round).
    pub failed: Vec<String>,
}

/// A notice as its recipient sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoticeView {
    pub case: CaseId,
    pub urgency: Urgency,
    /// "Case 12 is overdue: enforcement action was due by 2026-12-04 09:00 GMT."
    pub text: String,
    #[schema(value_type = String, format = DateTime)]
    pub due_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub given_at: Timestamp,
    pub emailed: bool,
}

/// The kind of notice given when a case's safeguarding work (a referral to send, an authority's decision to
/// chase, a joint plan's action) is past its deadline.
const SAFEGUARDING_OVERDUE: &str = "safeguarding_overdue";

fn urgency_of(kind: &str) -> Urgency {
    if kind == Urgency::Overdue.as_str() || kind == SAFEGUARDING_OVERDUE {
        Urgency::Overdue
    } else {
        Urgency::DueSoon
    }
}

fn notice_text(n: &NoticeRow) -> String {
    if n.kind == SAFEGUARDING_OVERDUE {
        // A safeguarding deadline is a day: it ends at the midnight that starts the next.
        let day = crate::time::london_date(instant(n.due_at - 1));
        return format!(
            "Case {} has safeguarding work overdue: a referral, a decision or a joint plan's action was due by \
             the end of {day}.",
            n.case_id
        );
    }
    let due = london(instant(n.due_at));
    match urgency_of(&n.kind) {
        Urgency::Overdue => format!(
            "Case {} is overdue: enforcement action was due by {due}.",
            n.case_id
        ),
        _ => format!(
            "Case {} is due soon: enforcement action is due by {due}.",
            n.case_id
        ),
    }
}

/// The most notices e-mailed in one round; the rest wait for the next.
const EMAILS_PER_ROUND: i64 = 500;

impl App {
    /// Gives the notices due now for every case in the person's reach (an operator's: every force's), and
    /// e-mails those not yet sent when `relay` is given. `link` is the address of the case pages, for the
    /// e-mails (`https://severn.example/cases/`). Run by the server every few minutes and by `severn notices`.
    pub async fn give_notices(
        &self,
        actor: &Actor,
        relay: Option<&Relay>,
        link: &str,
    ) -> Result<NoticeRound> {
        let now = self.now();
        let tx = self.db().begin().await?;
        let mut tx = self
            .authorise(tx, actor, Action::ViewQueue, "notices", Why::default())
            .await?;
        let tool = active_tool_in(&mut tx, now).await?;
        let timescales = *tool.timescales();
        // Due soon is a fifth of the longest timescale at most.
        let longest = [
            timescales.very_high,
            timescales.high,
            timescales.medium,
            timescales.low,
        ]
        .into_iter()
        .max()
        .unwrap_or(0);
        let window = i64::from(longest) * 86_400 / 5 + 1;
        let mut round = NoticeRound::default();
        for case in tx.cases_due_before(now + window).await? {
            let severn_store::ClockSummary::Running { due_at } = case.now.clock else {
                continue;
            };
            let clock = Clock {
                band: case.now.band,
                started: instant(case.clock_start_at),
                state: ClockState::Running {
                    due: instant(due_at),
                },
            };
            let urgency = clock.urgency(&timescales, instant(now));
            if urgency == Urgency::OnTrack {
                continue;
            }
            for staff in [case.now.officer, case.now.supervisor]
                .into_iter()
                .flatten()
            {
                let added = tx
                    .add_notice(&NoticeRow {
                        id: 0,
                        case_id: case.id,
                        staff_id: staff,
                        kind: urgency.as_str().to_owned(),
                        due_at,
                        created_at: now,
                        emailed_at: None,
                    })
                    .await?;
                round.given += usize::from(added);
            }
        }
        for (case, due_at) in tx.cases_safeguarding_due_before(now).await? {
            for staff in [case.now.officer, case.now.supervisor]
                .into_iter()
                .flatten()
            {
                let added = tx
                    .add_notice(&NoticeRow {
                        id: 0,
                        case_id: case.id,
                        staff_id: staff,
                        kind: SAFEGUARDING_OVERDUE.to_owned(),
                        due_at,
                        created_at: now,
                        emailed_at: None,
                    })
                    .await?;
                round.given += usize::from(added);
            }
        }
        let unsent = match relay {
            Some(_) => tx.unsent_notices(EMAILS_PER_ROUND).await?,
            None => Vec::new(),
        };
        tx.commit().await?;
        let Some(relay) = relay else {
            return Ok(round);
        };
        // Mail goes out after the commit, so a slow relay holds no transaction; each sent notice is marked in
        // a transaction of its own.
        for (notice, address) in unsent {
            let text = notice_text(&notice);
            let body = format!("{text}\n\nOpen the case: {link}{}\n", notice.case_id);
            match mail::send(relay, &address, &text, &body).await {
                Ok(()) => {
                    let tx = self.db().begin().await?;
                    let mut tx = self
                        .authorise(tx, actor, Action::ViewQueue, "notices", Why::default())
                        .await?;
                    tx.mark_emailed(notice.id, self.now()).await?;
                    tx.commit().await?;
                    round.emailed += 1;
                }
                Err(e) => round.failed.push(format!("notice {}: {e}", notice.id)),
            }
        }
        Ok(round)
    }

    /// The person's notices, newest first.
    pub async fn my_notices(&self, actor: &Actor, limit: i64) -> Result<Vec<NoticeView>> {
        let Some(me) = actor.staff_id() else {
            return Ok(Vec::new());
        };
        let tx = self.db().begin_read().await?;
        let mut tx = self
            .authorise(tx, actor, Action::ViewQueue, "notices", Why::default())
            .await?;
        let notices = tx.notices_of(me, limit).await?;
        tx.commit().await?;
        Ok(notices
            .iter()
            .map(|n| NoticeView {
                case: n.case_id,
                urgency: urgency_of(&n.kind),
                text: notice_text(n),
                due_at: instant(n.due_at),
                given_at: instant(n.created_at),
                emailed: n.emailed_at.is_some(),
            })
            .collect())
    }
}
