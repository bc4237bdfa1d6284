//! Cases: opening one on a subject, its timeline of events, where it stands, and the worklists.

use super::*;
use severn_domain::case::{Entry, Event, EventKind, NewEvent};
use severn_domain::ids::{CaseId, EventId};

/// Not personal data: which subject a case is on (the gate decides on that subject), and the warrant types.
impl crate::tx::Tx {
    pub async fn case_subject(&mut self, case: CaseId) -> Result<Option<SubjectId>> {
        self.conn()
            .optional(
                "SELECT subject_id FROM case_file WHERE id = $1",
                &args![case],
                |r| Ok(SubjectId(r.i64(0)?)),
            )
            .await
    }

    /// The warrant types a force may apply for: code and name.
    pub async fn warrant_types(&mut self) -> Result<Vec<(String, String)>> {
        self.conn()
            .all(
                "SELECT code, name FROM warrant_type ORDER BY name",
                &[],
                |r| Ok((r.text(0)?, r.text(1)?)),
            )
            .await
    }
}

/// The condition that confines a list of cases to the scope's force (`$1`). Written out for each case, so the
/// planner can use the force's index: SQLite does not for `($1 IS NULL OR owner_org = $1)`.
pub(crate) fn force_condition(owner: Option<OrgId>) -> &'static str {
    match owner {
        Some(_) => "owner_org = $1",
        None => "$1 IS NULL",
    }
}

/// What a case whose clock is not running sorts by in worklists: 9999-12-31, after every deadline.
const NOT_DUE: i64 = 253_402_300_799;

/// Personal data: only the gate's handle reaches it.
impl Scoped {
    fn covers_case(&self, case: &CaseRow) -> Result<()> {
        if self.scope().covers(case.subject_id, case.owner_org) {
            Ok(())
        } else {
            Err(StoreError::OutOfScope)
        }
    }

    /// Opens a case on a subject, which leaves the queue for the worklist.
    pub async fn open_case(&mut self, c: &NewCase) -> Result<CaseId> {
        if !self.scope().covers(c.subject_id, c.owner_org) {
            return Err(StoreError::OutOfScope);
        }
        let mut conn = self.conn();
        let id = conn
            .one(
                sql::INSERT_CASE,
                &args![
                    c.subject_id,
                    c.owner_org,
                    c.opened_at,
                    &c.opened_by,
                    c.received_at,
                    c.clock_start_at,
                    c.band.as_str(),
                    c.due_at
                ],
                |r| r.i64(0),
            )
            .await?;
        conn.execute(
            "UPDATE subject SET status = 'in_case' WHERE id = $1 AND status = 'open'",
            &args![c.subject_id],
        )
        .await?;
        Ok(CaseId(id))
    }

    /// A case, if the scope reaches it.
    pub async fn case(&mut self, id: CaseId) -> Result<Option<CaseRow>> {
        let case = self
            .conn()
            .optional(sql::CASE_BY_ID, &args![id], decode::case_file)
            .await?;
        if let Some(case) = &case {
            self.covers_case(case)?;
        }
        Ok(case)
    }

    /// The case opened on a subject, if any.
    pub async fn case_of_subject(&mut self, subject: SubjectId) -> Result<Option<CaseRow>> {
        let case = self
            .conn()
            .optional(sql::CASE_OF_SUBJECT, &args![subject], decode::case_file)
            .await?;
        if let Some(case) = &case {
            self.covers_case(case)?;
        }
        Ok(case)
    }

    /// Every event of a case, in the order recorded.
    pub async fn case_events(&mut self, case: &CaseRow) -> Result<Vec<Event>> {
        self.covers_case(case)?;
        let rows = self
            .conn()
            .all(sql::EVENTS_OF_CASE, &args![case.id], decode::case_event)
            .await?;
        Ok(rows.into_iter().map(|(_, event)| event).collect())
    }

    /// Appends an event to a case's timeline (checked by the domain first).
    pub async fn add_case_event(
        &mut self,
        case: &CaseRow,
        event: &NewEvent,
        entry: Entry,
        recorded_at: i64,
        recorded_by: &str,
    ) -> Result<EventId> {
        self.covers_case(case)?;
        let fact = serde_json::to_string(&event.fact)
            .map_err(|e| StoreError::Corrupt(format!("a fact that does not serialise: {e}")))?;
        let id = self
            .conn()
            .one(
                sql::INSERT_CASE_EVENT,
                &args![
                    case.id,
                    event.fact.kind().as_str(),
                    event.occurred_at.as_second(),
                    recorded_at,
                    recorded_by,
                    &fact,
                    event.supersedes,
                    event.rationale.as_deref(),
                    entry.as_str()
                ],
                |r| r.i64(0),
            )
            .await?;
        Ok(EventId(id))
    }

    /// Keeps where the case stands (worked out from its events) on its row.
    pub async fn set_case_now(&mut self, case: &CaseRow, now: &CaseNow) -> Result<()> {
        self.covers_case(case)?;
        let (state, due_at, stopped_at) = now.clock.columns();
        self.conn()
            .execute(
                sql::UPDATE_CASE_NOW,
                &args![
                    now.status.as_str(),
                    now.officer,
                    now.supervisor,
                    now.band.as_str(),
                    state,
                    due_at,
                    stopped_at,
                    now.updated_at,
                    case.id,
                    due_at.unwrap_or(NOT_DUE)
                ],
            )
            .await?;
        Ok(())
    }

    /// The events of `kind` that happened in `[from, to)` on the scope's force's cases, with their case, in
    /// time order: what the audits of allocations and warrants count.
    pub async fn case_events_between(
        &mut self,
        kinds: &[EventKind],
        from: i64,
        to: i64,
    ) -> Result<Vec<(CaseId, Event)>> {
        let owner = self.scope().list_owner()?;
        let mut q = Built::new(
            "SELECT e.id, e.case_id, e.kind, e.occurred_at, e.recorded_at, e.recorded_by, e.fact, \
             e.supersedes, e.rationale, e.entry FROM case_event e JOIN case_file c ON c.id = e.case_id \
             WHERE e.occurred_at >= ",
        );
        q.bind(from)
            .push(" AND e.occurred_at < ")
            .bind(to)
            .push(" AND (")
            .bind(owner)
            .push(" IS NULL OR c.owner_org = ")
            .bind(owner)
            .push(") AND e.kind IN (");
        q.list(kinds.iter().map(|k| k.as_str()))
            .push(") ORDER BY e.occurred_at, e.id");
        self.conn().all_built(&q, decode::case_event).await
    }

    /// The events of `kinds` that happened before `before` on the given cases of the scope's force, with their
    /// case: what an audit of a period needs of what came earlier on the cases it counts.
    pub async fn case_events_before(
        &mut self,
        cases: &[CaseId],
        kinds: &[EventKind],
        before: i64,
    ) -> Result<Vec<(CaseId, Event)>> {
        let owner = self.scope().list_owner()?;
        let mut found = Vec::new();
        for chunk in cases.chunks(CHUNK) {
            let mut q = Built::new(concat!(
                "SELECT e.id, e.case_id, e.kind, e.occurred_at, e.recorded_at, e.recorded_by, e.fact, ",
                "e.supersedes, e.rationale, e.entry FROM case_event e JOIN case_file c ON c.id = e.case_id ",
                "WHERE ("
            ));
            q.bind(owner)
                .push(" IS NULL OR c.owner_org = ")
                .bind(owner)
                .push(") AND e.occurred_at < ")
                .bind(before)
                .push(" AND e.case_id IN (");
            q.list(chunk.iter().map(|c| c.0)).push(") AND e.kind IN (");
            q.list(kinds.iter().map(|k| k.as_str())).push(")");
            found.extend(self.conn().all_built(&q, decode::case_event).await?);
        }
        Ok(found)
    }

    /// The later events that supersede any of `events` (corrections and withdrawals), with their case.
    pub async fn events_superseding(&mut self, events: &[EventId]) -> Result<Vec<(CaseId, Event)>> {
        let owner = self.scope().list_owner()?;
        let mut found = Vec::new();
        for chunk in events.chunks(CHUNK) {
            let mut q = Built::new(concat!(
                "SELECT e.id, e.case_id, e.kind, e.occurred_at, e.recorded_at, e.recorded_by, e.fact, ",
                "e.supersedes, e.rationale, e.entry FROM case_event e JOIN case_file c ON c.id = e.case_id ",
                "WHERE ("
            ));
            q.bind(owner)
                .push(" IS NULL OR c.owner_org = ")
                .bind(owner)
                .push(") AND e.supersedes IN (");
            q.list(chunk.iter().copied()).push(")");
            found.extend(self.conn().all_built(&q, decode::case_event).await?);
        }
        Ok(found)
    }

    /// The scope's force's cases whose first referral arrived in `[from, to)`, oldest first.
    pub async fn cases_received_between(&mut self, from: i64, to: i64) -> Result<Vec<CaseRow>> {
        let owner = self.scope().list_owner()?;
        self.conn()
            .all(
                &format!(
                    "SELECT {} FROM case_file WHERE {} AND received_at >= $2 AND received_at < $3 \
                     ORDER BY received_at, id",
                    sql::CASE_COLUMNS,
                    force_condition(owner)
                ),
                &args![owner, from, to],
                decode::case_file,
            )
            .await
    }

    /// Every event of the given cases (all in the scope's force), in the order recorded.
    pub async fn events_of_cases(&mut self, cases: &[CaseRow]) -> Result<Vec<(CaseId, Event)>> {
        for case in cases {
            self.covers_case(case)?;
        }
        let mut found = Vec::new();
        for chunk in cases.chunks(CHUNK) {
            let mut q = Built::new(concat!(
                "SELECT id, case_id, kind, occurred_at, recorded_at, recorded_by, fact, supersedes, ",
                "rationale, entry FROM case_event WHERE case_id IN ("
            ));
            q.list(chunk.iter().map(|c| c.id)).push(") ORDER BY id");
            found.extend(self.conn().all_built(&q, decode::case_event).await?);
        }
        Ok(found)
    }
}
