//! The worklists: which cases a list holds, filtered and sorted by the database (from its indexes; see
//! migration 0011), a page at a time, with their flags; when each person last looked at each list; and each
//! person's saved filters.

use super::*;
use crate::scope::Reach;
use severn_domain::ids::{StaffId, TeamId};
use severn_domain::risk::Band;

/// Which cases a worklist shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseList {
    /// Cases whose officer in charge is this person.
    OfficerInCharge(StaffId),
    /// Cases whose officer in charge is in this team.
    Team(TeamId),
    /// Cases this person supervises.
    Supervised(StaffId),
    /// Cases of subjects shared with this person (of any force), not restricted. Only a handle the gate granted
    /// for this person's shares reaches it.
    SharedWith(StaffId),
    /// Cases with no officer in charge.
    Unallocated,
    /// Every open case of the scope's force.
    AllOpen,
    /// Closed cases of the scope's force.
    Closed,
}

/// Where a case's clock stands, as the clock filter asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockFilter {
    /// Running and past its deadline.
    Overdue,
    /// Running, not past its deadline, and within its band's warning window.
    DueSoon,
    /// Running with more time left than the warning window, or paused.
    OnTrack,
    /// Stopped (in time or late).
    Stopped,
}

/// What a worklist is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseOrder {
    /// Soonest due first; cases whose clock does not run after every deadline.
    Due,
    /// When the first referral reached the force.
    Received,
    /// Highest band first, then soonest due.
    Band,
    /// Case number.
    Number,
}

/// A worklist's query: the list, its filters and its order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseQuery {
    pub list: CaseList,
    pub band: Option<Band>,
    /// Replaces the list's own status (open, but closed for [`CaseList::Closed`]); with [`CaseList::AllOpen`]
    /// or [`CaseList::Closed`] it narrows.
    pub status: Option<CaseStatus>,
    pub clock: Option<ClockFilter>,
    /// The time the clock filter measures from, in seconds.
    pub now: i64,
    /// Each band's warning window before its deadline, in seconds (what "due soon" means).
    pub due_soon: Vec<(Band, i64)>,
    pub officer: Option<StaffId>,
    /// Only cases with a referral from this source (as referrals record it: `ncmec`, `partner_agency`, …).
    pub source: Option<String>,
    pub restricted_only: bool,
    pub shared_only: bool,
    pub order: CaseOrder,
    pub descending: bool,
    /// Count the cases opened, allocated or with an event recorded after this time.
    pub changed_since: Option<i64>,
}

impl CaseQuery {
    /// A list with no filters, soonest due first.
    pub fn of(list: CaseList, now: i64) -> CaseQuery {
        CaseQuery {
            list,
            band: None,
            status: None,
            clock: None,
            now,
            due_soon: Vec::new(),
            officer: None,
            source: None,
            restricted_only: false,
            shared_only: false,
            order: CaseOrder::Due,
            descending: false,
            changed_since: None,
        }
    }
}

/// A case as a worklist shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedCase {
    pub case: CaseRow,
    pub restricted: bool,
    pub shared: bool,
    /// The sources of its subject's referrals, as stored, each once, in order.
    pub sources: Vec<String>,
}

/// A page of a worklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CasePage {
    pub cases: Vec<ListedCase>,
    /// How many cases match, on every page.
    pub total: i64,
    /// How many of those changed after [`CaseQuery::changed_since`] (0 without it).
    pub changed: i64,
}

/// A person's saved filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedFilterRow {
    pub id: i64,
    pub name: String,
    /// The worklist address's query (`list=mine&band=high`).
    pub query: String,
    pub created_at: i64,
}

const RESTRICTED: &str =
    "EXISTS (SELECT 1 FROM subject sub WHERE sub.id = case_file.subject_id AND sub.restricted)";
const SHARED: &str =
    "EXISTS (SELECT 1 FROM case_share sh WHERE sh.subject_id = case_file.subject_id)";

/// ` WHERE …` for `query` in a scope that reaches `reach`.
fn conditions<'a>(
    q: &mut Built<'a>,
    query: &'a CaseQuery,
    reach: Reach,
    changed: bool,
) -> Result<()> {
    q.push(" WHERE ");
    match (query.list, reach) {
        (CaseList::SharedWith(me), Reach::SharedWith(granted)) if me == granted => {
            q.push("case_file.subject_id IN (SELECT sw.subject_id FROM case_share sw WHERE sw.staff_id = ")
                .bind(me)
                .push(") AND NOT ")
                .push(RESTRICTED);
        }
        (CaseList::SharedWith(_), _) | (_, Reach::SharedWith(_)) => {
            return Err(StoreError::OutOfScope);
        }
        (_, Reach::Force(org)) => {
            q.push("owner_org = ").bind(org);
        }
        (_, Reach::Everything) => {
            q.push("1 = 1");
        }
        _ => return Err(StoreError::OutOfScope),
    }
    let status = match query.list {
        CaseList::AllOpen => Some(CaseStatus::Open),
        CaseList::Closed => Some(CaseStatus::Closed),
        _ => None,
    };
    let own = status.or(query.status).unwrap_or(CaseStatus::Open);
    q.push(" AND status = ").bind(own.as_str());
    if let (Some(_), Some(asked)) = (status, query.status) {
        q.push(" AND status = ").bind(asked.as_str());
    }
    match query.list {
        CaseList::OfficerInCharge(me) => {
            q.push(" AND officer_id = ").bind(me);
        }
        CaseList::Team(team) => {
            q.push(" AND officer_id IN (SELECT st.id FROM staff st WHERE st.team_id = ")
                .bind(team)
                .push(")");
        }
        CaseList::Supervised(me) => {
            q.push(" AND supervisor_id = ").bind(me);
        }
        CaseList::Unallocated => {
            q.push(" AND officer_id IS NULL");
        }
        CaseList::SharedWith(_) | CaseList::AllOpen | CaseList::Closed => {}
    }
    if let Some(band) = query.band {
        q.push(" AND band = ").bind(band.as_str());
    }
    if let Some(clock) = query.clock {
        let window = |q: &mut Built<'a>| {
            q.push("(CASE band");
            for (band, seconds) in &query.due_soon {
                q.push(" WHEN ")
                    .bind(band.as_str())
                    .push(" THEN ")
                    .bind(*seconds);
            }
            q.push(" ELSE 0 END)");
        };
        match clock {
            ClockFilter::Overdue => {
                q.push(" AND clock_state = 'running' AND due_at < ")
                    .bind(query.now);
            }
            ClockFilter::DueSoon => {
                q.push(" AND clock_state = 'running' AND due_at >= ")
                    .bind(query.now)
                    .push(" AND due_at <= ")
                    .bind(query.now)
                    .push(" + ");
                window(q);
            }
            ClockFilter::OnTrack => {
                q.push(" AND (clock_state = 'paused' OR (clock_state = 'running' AND due_at > ")
                    .bind(query.now)
                    .push(" + ");
                window(q);
                q.push("))");
            }
            ClockFilter::Stopped => {
                q.push(" AND clock_state IN ('stopped_in_time', 'stopped_late')");
            }
        }
    }
    if let Some(officer) = query.officer {
        q.push(" AND officer_id = ").bind(officer);
    }
    if let Some(source) = &query.source {
        q.push(
            " AND EXISTS (SELECT 1 FROM referral r WHERE r.subject_id = case_file.subject_id AND r.source = ",
        )
        .bind(source.as_str())
        .push(")");
    }
    if query.restricted_only {
        q.push(" AND ").push(RESTRICTED);
    }
    if query.shared_only {
        q.push(" AND ").push(SHARED);
    }
    if changed {
        q.push(" AND updated_at > ").bind(query.changed_since);
    }
    Ok(())
}

/// ` ORDER BY …` for `query`.
fn order(query: &CaseQuery) -> String {
    let keys: &[&str] = match query.order {
        CaseOrder::Due => &["list_due_at", "id"],
        CaseOrder::Received => &["received_at", "id"],
        CaseOrder::Band => &[
            "CASE band WHEN 'very_high' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END",
            "list_due_at",
            "id",
        ],
        CaseOrder::Number => &["id"],
    };
    let direction = if query.descending { " DESC" } else { "" };
    let keys: Vec<String> = keys.iter().map(|k| format!("{k}{direction}")).collect();
    format!(" ORDER BY {}", keys.join(", "))
}

/// Personal data: only the gate's handle reaches it.
impl Scoped {
    /// A page of a worklist, as `query` asks, and how many cases it holds in all (and how many changed since
    /// the time it gives). The scope's force's cases, or — for [`CaseList::SharedWith`], on a handle the gate
    /// granted for that person's shares — the cases shared with them.
    pub async fn worklist(
        &mut self,
        query: &CaseQuery,
        limit: i64,
        offset: i64,
    ) -> Result<CasePage> {
        let reach = self.scope().reach;
        let mut rows = Built::new(format!("SELECT {} FROM case_file", sql::CASE_COLUMNS));
        conditions(&mut rows, query, reach, false)?;
        rows.push(&order(query)).push(" LIMIT ").bind(limit);
        rows.push(" OFFSET ").bind(offset);
        let mut conn = self.conn();
        let listed = conn.all_built(&rows, decode::case_file).await?;
        let mut count = Built::new("SELECT COUNT(*) FROM case_file");
        conditions(&mut count, query, reach, false)?;
        let total = conn.all_built(&count, |r| r.i64(0)).await?;
        let changed = match query.changed_since {
            Some(_) => {
                let mut count = Built::new("SELECT COUNT(*) FROM case_file");
                conditions(&mut count, query, reach, true)?;
                conn.all_built(&count, |r| r.i64(0)).await?
            }
            None => Vec::new(),
        };
        // The page's flags and sources, by its subjects (at most a page of them, each from an index): asked
        // for in the list's own query, PostgreSQL may read every restricted subject and every share to answer.
        let mut sources: std::collections::HashMap<SubjectId, Vec<String>> =
            std::collections::HashMap::new();
        let mut restricted = std::collections::HashSet::new();
        let mut shared = std::collections::HashSet::new();
        if !listed.is_empty() {
            let subjects = || listed.iter().map(|c| c.subject_id);
            let mut q = Built::new(
                "SELECT DISTINCT subject_id, source FROM referral WHERE subject_id IN (",
            );
            q.list(subjects()).push(") ORDER BY subject_id, source");
            for (subject, source) in conn
                .all_built(&q, |r| Ok((SubjectId(r.i64(0)?), r.text(1)?)))
                .await?
            {
                sources.entry(subject).or_default().push(source);
            }
            let mut q = Built::new("SELECT id FROM subject WHERE restricted AND id IN (");
            q.list(subjects()).push(")");
            restricted.extend(conn.all_built(&q, |r| Ok(SubjectId(r.i64(0)?))).await?);
            let mut q =
                Built::new("SELECT DISTINCT subject_id FROM case_share WHERE subject_id IN (");
            q.list(subjects()).push(")");
            shared.extend(conn.all_built(&q, |r| Ok(SubjectId(r.i64(0)?))).await?);
        }
        Ok(CasePage {
            cases: listed
                .into_iter()
                .map(|case| ListedCase {
                    sources: sources.remove(&case.subject_id).unwrap_or_default(),
                    restricted: restricted.contains(&case.subject_id),
                    shared: shared.contains(&case.subject_id),
                    case,
                })
                .collect(),
            total: total.first().copied().unwrap_or(0),
            changed: changed.first().copied().unwrap_or(0),
        })
    }
}

impl Scoped {
    /// The officers in charge of the scope's force's open cases: whom the worklist's officer filter offers.
    pub async fn officers_in_charge(&mut self) -> Result<Vec<StaffId>> {
        let owner = self.scope().list_owner()?;
        self.conn()
            .all(
                &format!(
                    "SELECT DISTINCT officer_id FROM case_file WHERE {} AND status = 'open' \
                     AND officer_id IS NOT NULL ORDER BY officer_id",
                    force_condition(owner)
                ),
                &args![owner],
                |r| Ok(StaffId(r.i64(0)?)),
            )
            .await
    }
}

/// Not personal data: a person's own visits to their lists and their saved filters, always by their own id.
impl crate::tx::Tx {
    /// When the person last looked at page 1 of a list, if ever.
    pub async fn worklist_visit(&mut self, staff: StaffId, list: &str) -> Result<Option<i64>> {
        self.conn()
            .optional(
                "SELECT visited_at FROM worklist_visit WHERE staff_id = $1 AND list = $2",
                &args![staff, list],
                |r| r.i64(0),
            )
            .await
    }

    /// Records that the person looked at page 1 of a list at `at`.
    pub async fn set_worklist_visit(&mut self, staff: StaffId, list: &str, at: i64) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO worklist_visit (staff_id, list, visited_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (staff_id, list) DO UPDATE SET visited_at = excluded.visited_at",
                &args![staff, list, at],
            )
            .await?;
        Ok(())
    }

    /// The person's saved filters, by name.
    pub async fn saved_filters(&mut self, staff: StaffId) -> Result<Vec<SavedFilterRow>> {
        self.conn()
            .all(
                "SELECT id, name, query, created_at FROM saved_filter WHERE staff_id = $1 ORDER BY name, id",
                &args![staff],
                |r| {
                    Ok(SavedFilterRow {
                        id: r.i64(0)?,
                        name: r.text(1)?,
                        query: r.text(2)?,
                        created_at: r.i64(3)?,
                    })
                },
            )
            .await
    }

    /// Saves a filter under a name, replacing the person's filter of that name if they have one.
    pub async fn save_filter(
        &mut self,
        staff: StaffId,
        name: &str,
        query: &str,
        at: i64,
    ) -> Result<i64> {
        self.conn()
            .one(
                "INSERT INTO saved_filter (staff_id, name, query, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (staff_id, name) DO UPDATE SET query = excluded.query, \
                 created_at = excluded.created_at RETURNING id",
                &args![staff, name, query, at],
                |r| r.i64(0),
            )
            .await
    }

    /// Deletes one of the person's saved filters; `false` when they have none of that number.
    pub async fn delete_saved_filter(&mut self, staff: StaffId, id: i64) -> Result<bool> {
        let deleted = self
            .conn()
            .execute(
                "DELETE FROM saved_filter WHERE id = $1 AND staff_id = $2",
                &args![id, staff],
            )
            .await?;
        Ok(deleted > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descending_reverses_every_key() {
        let mut query = CaseQuery::of(CaseList::AllOpen, 0);
        query.order = CaseOrder::Received;
        query.descending = true;
        assert_eq!(order(&query), " ORDER BY received_at DESC, id DESC");
    }

    #[test]
    fn a_shared_list_needs_the_share_handle_and_the_share_handle_reaches_no_other_list() {
        let mut q = Built::new("");
        let shared = CaseQuery::of(CaseList::SharedWith(StaffId(1)), 0);
        assert!(conditions(&mut q, &shared, Reach::Force(OrgId(1)), false).is_err());
        assert!(conditions(&mut q, &shared, Reach::SharedWith(StaffId(2)), false).is_err());
        let open = CaseQuery::of(CaseList::AllOpen, 0);
        assert!(conditions(&mut q, &open, Reach::SharedWith(StaffId(1)), false).is_err());
        assert!(conditions(&mut q, &open, Reach::Case(SubjectId(1)), false).is_err());
    }
}
