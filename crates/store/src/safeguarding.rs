//! Safeguarding's own storage: a force's target for sending referrals to children's social care (names no
//! one: on [`Tx`]), and each case's earliest open safeguarding deadline, which the notices look for (a case's:
//! on the gate's handle). The children, referrals, plans and support referrals themselves are events on the
//! case's timeline.

use crate::Result;
use crate::StoreError;
use crate::cases::force_condition;
use crate::conn::Built;
use crate::conn::args;
use crate::decode;
use crate::handles::Scoped;
use crate::rows::CaseRow;
use crate::scope::Reach;
use crate::sql;
use crate::tx::Tx;
use severn_domain::case::safeguarding::{AgeBand, SupportStatus, support_status};
use severn_domain::case::{Event, EventKind, Fact};
use severn_domain::ids::{CaseId, OrgId};
use std::collections::{BTreeMap, BTreeSet};

impl Tx {
    /// A force's target in working days for sending a referral, as it stood at `at` (0, the same working day,
    /// when none was set by then).
    pub async fn safeguarding_target(&mut self, org: OrgId, at: i64) -> Result<u32> {
        let days = self
            .conn()
            .optional(
                "SELECT working_days FROM safeguarding_target WHERE org_id = $1 AND set_at <= $2 \
                 ORDER BY set_at DESC, id DESC LIMIT 1",
                &args![org, at],
                |r| r.i64(0),
            )
            .await?;
        Ok(days.map_or(0, |d| u32::try_from(d).unwrap_or(0)))
    }

    /// Sets a force's target from `at` on; earlier targets are kept for figures of past dates.
    pub async fn set_safeguarding_target(
        &mut self,
        org: OrgId,
        working_days: u32,
        at: i64,
        by: &str,
    ) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO safeguarding_target (org_id, working_days, set_at, set_by) \
                 VALUES ($1, $2, $3, $4)",
                &args![org, i64::from(working_days), at, by],
            )
            .await?;
        Ok(())
    }
}

impl Scoped {
    /// Keeps when a case's earliest open safeguarding deadline ends (`None`: no open safeguarding work).
    pub async fn set_safeguarding_due(
        &mut self,
        case: &CaseRow,
        due_at: Option<i64>,
    ) -> Result<()> {
        if !self.scope().covers(case.subject_id, case.owner_org) {
            return Err(StoreError::OutOfScope);
        }
        self.conn()
            .execute(
                "UPDATE case_file SET safeguarding_due_at = $1 WHERE id = $2",
                &args![due_at, case.id],
            )
            .await?;
        Ok(())
    }

    /// The scope's force's open cases with safeguarding work whose deadline ended before `until`, with that
    /// deadline, soonest first.
    pub async fn cases_safeguarding_due_before(
        &mut self,
        until: i64,
    ) -> Result<Vec<(CaseRow, i64)>> {
        let owner = self.scope().list_owner()?;
        self.conn()
            .all(
                &format!(
                    "SELECT {}, safeguarding_due_at FROM case_file WHERE {} AND status = 'open' \
                     AND safeguarding_due_at < $2 ORDER BY safeguarding_due_at, id",
                    sql::CASE_COLUMNS,
                    force_condition(owner)
                ),
                &args![owner, until],
                |r| Ok((decode::case_file(r)?, r.i64(16)?)),
            )
            .await
    }
}

/// A child identified on a case, as the support gaps count them: where they live, their age and what support
/// came of it, without their name. The case is given only to a scope that reaches the force's cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportTally {
    pub case: Option<CaseId>,
    pub owner_org: Option<OrgId>,
    pub authority: String,
    pub authority_name: String,
    pub age: Option<u8>,
    pub age_band: AgeBand,
    /// The needs support was offered for (none: no support was offered).
    pub needs: Vec<String>,
    /// Whether a service took the child on (accepted, in progress or done).
    pub accepted: bool,
}

impl Scoped {
    /// The children identified in `[from, to)` with what support came of them, and how many places each
    /// service holds now (referrals accepted or in progress), from the events recorded by `known_at` and in
    /// force then. A scope of one force counts its own cases; an operator's every force's; a scope without
    /// personal data every force's, and learns no case or name.
    pub async fn support_tallies(
        &mut self,
        from: i64,
        to: i64,
        known_at: i64,
    ) -> Result<(Vec<SupportTally>, BTreeMap<i64, u32>)> {
        let (owner, named) = match self.scope().reach {
            Reach::Force(org) => (Some(org), true),
            Reach::Everything => (None, true),
            Reach::NoPersonalData => (None, false),
            _ => return Err(StoreError::OutOfScope),
        };
        let kinds = [
            EventKind::ChildIdentified,
            EventKind::SupportOffered,
            EventKind::SupportUpdated,
        ];
        let mut q = Built::new(concat!(
            "SELECT e.id, e.case_id, e.kind, e.occurred_at, e.recorded_at, e.recorded_by, e.fact, ",
            "e.supersedes, e.rationale, e.entry, c.owner_org FROM case_event e JOIN case_file c ON c.id = e.case_id ",
            "WHERE e.recorded_at <= "
        ));
        q.bind(known_at)
            .push(" AND (")
            .bind(owner)
            .push(" IS NULL OR c.owner_org = ")
            .bind(owner)
            .push(") AND e.kind IN (");
        q.list(kinds.iter().map(|k| k.as_str())).push(")");
        let rows = self
            .conn()
            .all_built(&q, |r| {
                Ok((decode::case_event(r)?, r.opt_i64(10)?.map(OrgId)))
            })
            .await?;
        let superseded: BTreeSet<i64> = self
            .conn()
            .all(
                "SELECT supersedes FROM case_event WHERE supersedes IS NOT NULL AND recorded_at <= $1",
                &args![known_at],
                |r| r.i64(0),
            )
            .await?
            .into_iter()
            .collect();
        let mut by_case: BTreeMap<CaseId, (Option<OrgId>, Vec<Event>)> = BTreeMap::new();
        for ((case, event), org) in rows {
            if !superseded.contains(&event.id.0) {
                by_case
                    .entry(case)
                    .or_insert((org, Vec::new()))
                    .1
                    .push(event);
            }
        }
        let mut tallies = Vec::new();
        let mut places: BTreeMap<i64, u32> = BTreeMap::new();
        for (case, (org, mut events)) in by_case {
            events.sort_by_key(|e| (e.occurred_at, e.id));
            let events: Vec<&Event> = events.iter().collect();
            let offers: Vec<(u32, u32, i64, &str)> = events
                .iter()
                .filter_map(|e| match &e.fact {
                    Fact::SupportOffered {
                        support,
                        child,
                        service,
                        need,
                        ..
                    } => Some((*support, *child, *service, need.as_str())),
                    _ => None,
                })
                .collect();
            let status = |support: u32| support_status(&events, support);
            for (support, _, service, _) in &offers {
                if status(*support).is_some_and(SupportStatus::holds_a_place) {
                    *places.entry(*service).or_default() += 1;
                }
            }
            for e in &events {
                let Fact::ChildIdentified {
                    child,
                    age,
                    age_band,
                    authority,
                    authority_name,
                    ..
                } = &e.fact
                else {
                    continue;
                };
                let at = e.occurred_at.as_second();
                if at < from || at >= to {
                    continue;
                }
                let mine = offers.iter().filter(|(_, c, ..)| c == child);
                let accepted = mine.clone().any(|(support, ..)| {
                    matches!(
                        status(*support),
                        Some(
                            SupportStatus::ServiceAccepted
                                | SupportStatus::InProgress
                                | SupportStatus::Done
                        )
                    )
                });
                tallies.push(SupportTally {
                    case: named.then_some(case),
                    owner_org: org,
                    authority: authority.clone(),
                    authority_name: authority_name.clone(),
                    age: *age,
                    age_band: *age_band,
                    needs: mine.map(|(.., need)| (*need).to_owned()).collect(),
                    accepted,
                });
            }
        }
        Ok((tallies, places))
    }
}
