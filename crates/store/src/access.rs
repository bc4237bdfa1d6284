//! Organisations and staff, who a case is shared with or restricted to, and the statutory audit log.
//!
//! A [`Scope`] is what reading personal data needs. Only [`Tx::audit_allowed`] makes one, after writing the
//! audit entry in the same transaction: no scope, no read; no audit entry, no scope.

use crate::appender::Append;
use crate::gate::Scoped;
use crate::reader::sql;
use crate::tx::on;
use crate::{Result, StoreError, Tx};
use severn_domain::access::{Actor, CaseAccess, OrgKind, Role};
use severn_domain::audit::{AuditEntry, AuditKey, GENESIS, mac_from_hex};
use severn_domain::ids::{OrgId, StaffId, SubjectId, TeamId};
use sqlx::{AssertSqlSafe, QueryBuilder, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRow {
    pub id: OrgId,
    pub code: String,
    pub name: String,
    pub kind: OrgKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRow {
    pub id: StaffId,
    pub org_id: OrgId,
    pub org_kind: OrgKind,
    pub team_id: Option<TeamId>,
    pub username: String,
    pub display_name: String,
    /// `person` or `service`.
    pub kind: String,
    pub active: bool,
    pub created_at: i64,
    pub roles: Vec<Role>,
}

impl StaffRow {
    /// The actor this member of staff acts as.
    pub fn actor(&self) -> Actor {
        if self.kind == "service" {
            Actor::Service {
                id: self.id,
                name: self.username.clone(),
                org: self.org_id,
            }
        } else {
            Actor::Staff {
                id: self.id,
                username: self.username.clone(),
                org: self.org_id,
                org_kind: self.org_kind,
                roles: self.roles.clone(),
            }
        }
    }
}

/// A member of staff to create.
#[derive(Debug, Clone)]
pub struct NewStaff {
    pub org_id: OrgId,
    pub team_id: Option<TeamId>,
    pub username: String,
    pub display_name: String,
    pub kind: String,
    pub roles: Vec<Role>,
    pub created_at: i64,
}

/// Someone a case is shared with, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareRow {
    pub username: String,
    pub display_name: String,
    /// The name of the organisation the person is in.
    pub org_name: String,
    pub reason: String,
    pub shared_by: String,
    pub shared_at: i64,
}

/// A named person a case is restricted to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedStaff {
    pub username: String,
    pub display_name: String,
}

/// What an audit entry records, before the log gives it its place and MAC.
#[derive(Debug, Clone, Default)]
pub struct AuditRecord {
    pub at: i64,
    pub actor: String,
    pub org: Option<OrgId>,
    pub processing: String,
    pub action: String,
    pub target: String,
    pub justification: Option<String>,
    pub recipients: Option<String>,
    pub detail: Option<String>,
}

/// How far an authorised read reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Everything: a system operator.
    Everything,
    /// The cases one force owns.
    Force(OrgId),
    /// One case.
    Case(SubjectId),
    /// Two cases (a merge).
    Cases(SubjectId, SubjectId),
    /// No personal data (aggregates, staff administration).
    NoPersonalData,
    /// The audit log's entries of one organisation (`None`: every organisation's, for an operator). An
    /// auditor reads what their own organisation's people did, not what other organisations searched for,
    /// justified or signed in from.
    AuditLog(Option<OrgId>),
}

/// Proof that an access was authorised and logged in this transaction.
#[derive(Debug, Clone)]
pub struct Scope {
    pub(crate) reach: Reach,
}

impl Scope {
    /// The scope of an access whose audit entry is written (or, in a SQLite read, waits for the commit).
    pub(crate) fn logged(reach: Reach) -> Scope {
        Scope { reach }
    }

    /// Whether the scope covers a case owned by `owner`.
    pub fn covers(&self, subject: SubjectId, owner: Option<OrgId>) -> bool {
        match self.reach {
            Reach::Everything => true,
            Reach::Force(org) => owner == Some(org),
            Reach::Case(id) => id == subject,
            Reach::Cases(a, b) => a == subject || b == subject,
            Reach::NoPersonalData | Reach::AuditLog(_) => false,
        }
    }

    /// The force a list is confined to, if any; `Err` when the scope reaches no list of cases.
    pub fn list_owner(&self) -> Result<Option<OrgId>> {
        match self.reach {
            Reach::Everything => Ok(None),
            Reach::Force(org) => Ok(Some(org)),
            Reach::Case(_) | Reach::Cases(..) | Reach::NoPersonalData | Reach::AuditLog(_) => {
                Err(StoreError::OutOfScope)
            }
        }
    }
}

/// Filter for reading the audit log back.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub target: Option<String>,
    pub actor: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub limit: i64,
}

/// The audit entry that follows the head `(seq, mac)`, sealed with `key`.
pub(crate) fn sealed_entry(
    seq: i64,
    prev: &str,
    key: &AuditKey,
    record: &AuditRecord,
    outcome: &str,
) -> Result<AuditEntry> {
    let prev: [u8; 32] = if seq == 0 {
        GENESIS
    } else {
        mac_from_hex(prev)
            .ok_or_else(|| StoreError::Corrupt("audit head MAC is not 32 bytes of hex".into()))?
    };
    let mut entry = AuditEntry {
        seq: seq + 1,
        at: record.at,
        actor: record.actor.clone(),
        org: record.org.map(|o| o.0),
        processing: record.processing.clone(),
        action: record.action.clone(),
        target: record.target.clone(),
        outcome: outcome.to_owned(),
        justification: record.justification.clone(),
        recipients: record.recipients.clone(),
        detail: record.detail.clone(),
        mac: String::new(),
    };
    entry.seal(key, &prev);
    Ok(entry)
}

pub(crate) const AUDIT_COLUMNS: &str = "seq, at, actor, org, processing, action, target, outcome, justification, recipients, detail, mac";

fn audit_from<R: Row>(row: &R) -> Result<AuditEntry>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(AuditEntry {
        seq: row.try_get(0)?,
        at: row.try_get(1)?,
        actor: row.try_get(2)?,
        org: row.try_get(3)?,
        processing: row.try_get(4)?,
        action: row.try_get(5)?,
        target: row.try_get(6)?,
        outcome: row.try_get(7)?,
        justification: row.try_get(8)?,
        recipients: row.try_get(9)?,
        detail: row.try_get(10)?,
        mac: row.try_get(11)?,
    })
}

pub(crate) fn parse_kind(kind: &str) -> Result<OrgKind> {
    kind.parse()
        .map_err(|e: String| StoreError::Corrupt(format!("organisation kind: {e}")))
}

impl Tx {
    pub async fn insert_org(&mut self, code: &str, name: &str, kind: OrgKind) -> Result<OrgId> {
        on!(self, conn => {
            let id: i64 = sqlx::query_scalar("INSERT INTO org (code, name, kind) VALUES ($1, $2, $3) RETURNING id")
                .bind(code)
                .bind(name)
                .bind(kind.as_str())
                .fetch_one(&mut *conn)
                .await?;
            Ok(OrgId(id))
        })
    }

    pub async fn orgs(&mut self) -> Result<Vec<OrgRow>> {
        on!(self, conn => {
            let rows = sqlx::query("SELECT id, code, name, kind FROM org ORDER BY id")
                .fetch_all(&mut *conn)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(OrgRow {
                        id: OrgId(r.try_get(0)?),
                        code: r.try_get(1)?,
                        name: r.try_get(2)?,
                        kind: parse_kind(&r.try_get::<String, _>(3)?)?,
                    })
                })
                .collect()
        })
    }

    pub async fn insert_team(&mut self, org: OrgId, name: &str) -> Result<TeamId> {
        on!(self, conn => {
            let id: i64 = sqlx::query_scalar("INSERT INTO team (org_id, name) VALUES ($1, $2) RETURNING id")
                .bind(org.0)
                .bind(name)
                .fetch_one(&mut *conn)
                .await?;
            Ok(TeamId(id))
        })
    }
}

impl Scoped {
    pub async fn insert_staff(&mut self, s: &NewStaff) -> Result<StaffId> {
        let id = on!(self, conn => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO staff (org_id, team_id, username, display_name, kind, active, created_at) \
                 VALUES ($1, $2, $3, $4, $5, TRUE, $6) RETURNING id",
            )
            .bind(s.org_id.0)
            .bind(s.team_id.map(|t| t.0))
            .bind(s.username.as_str())
            .bind(s.display_name.as_str())
            .bind(s.kind.as_str())
            .bind(s.created_at)
            .fetch_one(&mut *conn)
            .await?;
            StaffId(id)
        });
        self.set_roles(id, &s.roles).await?;
        Ok(id)
    }

    pub async fn set_roles(&mut self, staff: StaffId, roles: &[Role]) -> Result<()> {
        on!(self, conn => {
            sqlx::query("DELETE FROM staff_role WHERE staff_id = $1")
                .bind(staff.0)
                .execute(&mut *conn)
                .await?;
            for role in roles {
                sqlx::query("INSERT INTO staff_role (staff_id, role) VALUES ($1, $2)")
                    .bind(staff.0)
                    .bind(role.as_str())
                    .execute(&mut *conn)
                    .await?;
            }
        });
        Ok(())
    }

    pub async fn set_staff_active(&mut self, staff: StaffId, active: bool) -> Result<()> {
        on!(self, conn => {
            sqlx::query("UPDATE staff SET active = $2 WHERE id = $1")
                .bind(staff.0)
                .bind(active)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }
}

impl Tx {
    /// Staff matching `filter` (`username = $1` or `id = $1`), with their roles.
    async fn staff_where(
        &mut self,
        by_username: Option<&str>,
        by_id: Option<StaffId>,
    ) -> Result<Vec<StaffRow>> {
        let rows = on!(self, conn => {
            let rows = sqlx::query(
                "SELECT s.id, s.org_id, o.kind, s.team_id, s.username, s.display_name, s.kind, s.active, \
                 s.created_at, (SELECT string_agg(role, ',') FROM staff_role r WHERE r.staff_id = s.id) \
                 FROM staff s JOIN org o ON o.id = s.org_id \
                 WHERE ($1 IS NULL OR s.username = $1) AND ($2 IS NULL OR s.id = $2) ORDER BY s.id",
            )
            .bind(by_username)
            .bind(by_id.map(|s| s.0))
            .fetch_all(&mut *conn)
            .await?;
            rows.iter()
                .map(|r| {
                    let roles: Option<String> = r.try_get(9)?;
                    let mut roles = roles
                        .unwrap_or_default()
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(|s| s.parse::<Role>().map_err(StoreError::Corrupt))
                        .collect::<Result<Vec<Role>>>()?;
                    roles.sort();
                    Ok(StaffRow {
                        id: StaffId(r.try_get(0)?),
                        org_id: OrgId(r.try_get(1)?),
                        org_kind: parse_kind(&r.try_get::<String, _>(2)?)?,
                        team_id: r.try_get::<Option<i64>, _>(3)?.map(TeamId),
                        username: r.try_get(4)?,
                        display_name: r.try_get(5)?,
                        kind: r.try_get(6)?,
                        active: r.try_get(7)?,
                        created_at: r.try_get(8)?,
                        roles,
                    })
                })
                .collect::<Result<Vec<StaffRow>>>()
        })?;
        Ok(rows)
    }

    pub async fn staff_by_username(&mut self, username: &str) -> Result<Option<StaffRow>> {
        Ok(self
            .staff_where(Some(username), None)
            .await?
            .into_iter()
            .next())
    }

    pub async fn staff_by_id(&mut self, id: StaffId) -> Result<Option<StaffRow>> {
        Ok(self.staff_where(None, Some(id)).await?.into_iter().next())
    }
}

impl Scoped {
    pub async fn all_staff(&mut self) -> Result<Vec<StaffRow>> {
        self.staff_where(None, None).await
    }
}

impl Tx {
    /// Who may see a case: its owner, whether it is restricted and to whom, and whom it is shared with.
    /// `None` when there is no such subject.
    pub async fn case_access(&mut self, subject: SubjectId) -> Result<Option<CaseAccess>> {
        on!(self, conn => {
            let Some(row) = sqlx::query(sql::CASE_OWNER)
                .bind(subject.0)
                .fetch_optional(&mut *conn)
                .await?
            else {
                return Ok(None);
            };
            let owner: Option<i64> = row.try_get(0)?;
            let restricted: bool = row.try_get(1)?;
            let shared: Vec<i64> = sqlx::query_scalar(sql::CASE_SHARES)
                .bind(subject.0)
                .fetch_all(&mut *conn)
                .await?;
            let restricted_to = if restricted {
                let named: Vec<i64> = sqlx::query_scalar(sql::CASE_RESTRICTED_TO)
                .bind(subject.0)
                .fetch_all(&mut *conn)
                .await?;
                Some(named.into_iter().map(StaffId).collect())
            } else {
                None
            };
            Ok(Some(CaseAccess {
                owner: owner.map(OrgId),
                restricted_to,
                shared_with: shared.into_iter().map(StaffId).collect(),
            }))
        })
    }
}

impl Scoped {
    /// Whom a case is shared with (oldest share first) and, when it is restricted, the people named.
    pub async fn case_sharing(
        &mut self,
        subject: SubjectId,
    ) -> Result<(Vec<ShareRow>, Option<Vec<NamedStaff>>)> {
        on!(self, conn => {
            let rows = sqlx::query(
                "SELECT s.username, s.display_name, o.name, c.reason, c.shared_by, c.shared_at \
                 FROM case_share c JOIN staff s ON s.id = c.staff_id JOIN org o ON o.id = s.org_id \
                 WHERE c.subject_id = $1 ORDER BY c.shared_at, s.username",
            )
            .bind(subject.0)
            .fetch_all(&mut *conn)
            .await?;
            let shares = rows
                .iter()
                .map(|r| {
                    Ok(ShareRow {
                        username: r.try_get(0)?,
                        display_name: r.try_get(1)?,
                        org_name: r.try_get(2)?,
                        reason: r.try_get(3)?,
                        shared_by: r.try_get(4)?,
                        shared_at: r.try_get(5)?,
                    })
                })
                .collect::<Result<Vec<ShareRow>>>()?;
            let restricted: Option<bool> = sqlx::query_scalar("SELECT restricted FROM subject WHERE id = $1")
                .bind(subject.0)
                .fetch_optional(&mut *conn)
                .await?;
            let named = if restricted.unwrap_or(false) {
                let rows = sqlx::query(
                    "SELECT s.username, s.display_name FROM case_restriction c JOIN staff s ON s.id = c.staff_id \
                     WHERE c.subject_id = $1 ORDER BY s.username",
                )
                .bind(subject.0)
                .fetch_all(&mut *conn)
                .await?;
                Some(
                    rows.iter()
                        .map(|r| {
                            Ok(NamedStaff {
                                username: r.try_get(0)?,
                                display_name: r.try_get(1)?,
                            })
                        })
                        .collect::<Result<Vec<NamedStaff>>>()?,
                )
            } else {
                None
            };
            Ok((shares, named))
        })
    }

    /// Open subjects in the scope's force with band `band` (any when `None`) and, when `overdue_at` is given,
    /// due before that time: soonest due first, at most `limit`. Also how many open subjects the scope's force
    /// has in all, whatever the filters.
    pub async fn queue_matching(
        &mut self,
        band: Option<&str>,
        overdue_at: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<crate::SubjectRow>, i64)> {
        let owner = self.scope().list_owner()?.map(|o| o.0);
        let (ids, open) = on!(self, conn => {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM subject WHERE status = 'open' AND ($1 IS NULL OR owner_org = $1) \
                 AND ($2 IS NULL OR band = $2) AND ($3 IS NULL OR due_at < $3) ORDER BY due_at, id LIMIT $4",
            )
            .bind(owner)
            .bind(band)
            .bind(overdue_at)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
            let open: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM subject WHERE status = 'open' AND ($1 IS NULL OR owner_org = $1)",
            )
            .bind(owner)
            .fetch_one(&mut *conn)
            .await?;
            (ids, open)
        });
        let ids: Vec<SubjectId> = ids.into_iter().map(SubjectId).collect();
        let mut rows = self.subjects(&ids).await?;
        rows.sort_by_key(|s| (s.due_at, s.id));
        Ok((rows, open))
    }

    pub async fn share_case(
        &mut self,
        subject: SubjectId,
        with: StaffId,
        reason: &str,
        by: &str,
        at: i64,
    ) -> Result<()> {
        on!(self, conn => {
            sqlx::query(
                "INSERT INTO case_share (subject_id, staff_id, reason, shared_by, shared_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (subject_id, staff_id) DO UPDATE SET reason = excluded.reason, \
                 shared_by = excluded.shared_by, shared_at = excluded.shared_at",
            )
            .bind(subject.0)
            .bind(with.0)
            .bind(reason)
            .bind(by)
            .bind(at)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Restricts a case to `named` people, or lifts the restriction when `named` is `None`.
    pub async fn restrict_case(
        &mut self,
        subject: SubjectId,
        named: Option<&[StaffId]>,
    ) -> Result<()> {
        on!(self, conn => {
            sqlx::query("DELETE FROM case_restriction WHERE subject_id = $1")
                .bind(subject.0)
                .execute(&mut *conn)
                .await?;
            for staff in named.unwrap_or_default() {
                sqlx::query("INSERT INTO case_restriction (subject_id, staff_id) VALUES ($1, $2)")
                    .bind(subject.0)
                    .bind(staff.0)
                    .execute(&mut *conn)
                    .await?;
            }
            sqlx::query("UPDATE subject SET restricted = $2 WHERE id = $1")
                .bind(subject.0)
                .bind(named.is_some())
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }
}

impl Tx {
    /// Appends an entry to the audit log, chained to the one before. Appends queue on the log's head row,
    /// so concurrent transactions chain in commit order. In a read the entry waits for the commit, which
    /// hands it to the appender (see `appender.rs`).
    async fn append_audit(
        &mut self,
        key: &AuditKey,
        record: &AuditRecord,
        outcome: &str,
    ) -> Result<()> {
        match self {
            Tx::SqliteRead(_, deferred) | Tx::PostgresRead(_, deferred) => {
                deferred.push(key, record, outcome)
            }
            Tx::Sqlite(_) | Tx::Postgres(_) => {
                self.append_now(key, record, outcome).await?;
            }
        }
        Ok(())
    }

    /// Appends an entry on a writing transaction.
    async fn append_now(
        &mut self,
        key: &AuditKey,
        record: &AuditRecord,
        outcome: &str,
    ) -> Result<AuditEntry> {
        let mut appended = self.append_entries(&[(key, record, outcome)]).await?;
        Ok(appended.pop().expect("one entry appended"))
    }

    /// Appends the appender's batch, in order, on a writing transaction.
    pub(crate) async fn append_batch(&mut self, batch: &[Append]) -> Result<()> {
        let entries: Vec<(&AuditKey, &AuditRecord, &str)> = batch
            .iter()
            .map(|a| (&a.key, &a.record, a.outcome.as_str()))
            .collect();
        self.append_entries(&entries).await?;
        Ok(())
    }

    /// Chains `entries` after the log's head, in order, and moves the head to the last: one statement for
    /// the head, one for the entries and one to move it, however many entries there are (at most a few
    /// hundred: the appender's batch).
    async fn append_entries(
        &mut self,
        entries: &[(&AuditKey, &AuditRecord, &str)],
    ) -> Result<Vec<AuditEntry>> {
        // FOR UPDATE on PostgreSQL: writes and the appender queue on the head row until the holder commits,
        // then read the head it left. SQLite's write lock (BEGIN IMMEDIATE) already serialises appends.
        let lock = matches!(self, Tx::Postgres(_));
        let (mut seq, mut prev) = on!(self, conn => {
            let sql = if lock {
                "SELECT seq, mac FROM audit_head WHERE id = 1 FOR UPDATE"
            } else {
                "SELECT seq, mac FROM audit_head WHERE id = 1"
            };
            let row = sqlx::query(sql).fetch_one(&mut *conn).await?;
            let seq: i64 = row.try_get(0)?;
            let mac: String = row.try_get(1)?;
            (seq, mac)
        });
        let mut sealed = Vec::with_capacity(entries.len());
        for (key, record, outcome) in entries {
            let entry = sealed_entry(seq, &prev, key, record, outcome)?;
            seq = entry.seq;
            prev.clone_from(&entry.mac);
            sealed.push(entry);
        }
        if sealed.is_empty() {
            return Ok(sealed);
        }
        on!(self, conn => {
            let mut q = QueryBuilder::new(format!("INSERT INTO audit_log ({AUDIT_COLUMNS}) "));
            q.push_values(&sealed, |mut b, entry| {
                b.push_bind(entry.seq)
                    .push_bind(entry.at)
                    .push_bind(entry.actor.as_str())
                    .push_bind(entry.org)
                    .push_bind(entry.processing.as_str())
                    .push_bind(entry.action.as_str())
                    .push_bind(entry.target.as_str())
                    .push_bind(entry.outcome.as_str())
                    .push_bind(entry.justification.as_deref())
                    .push_bind(entry.recipients.as_deref())
                    .push_bind(entry.detail.as_deref())
                    .push_bind(entry.mac.as_str());
            });
            q.build().execute(&mut *conn).await?;
            sqlx::query("UPDATE audit_head SET seq = $1, mac = $2 WHERE id = 1")
                .bind(seq)
                .bind(prev.as_str())
                .execute(&mut *conn)
                .await?;
        });
        Ok(sealed)
    }

    /// Logs an allowed access and returns the scope that reading the data needs.
    pub(crate) async fn audit_allowed(
        &mut self,
        key: &AuditKey,
        record: &AuditRecord,
        reach: Reach,
    ) -> Result<Scope> {
        self.append_audit(key, record, "allowed").await?;
        Ok(Scope::logged(reach))
    }

    /// Logs a refused access; `reason` says why (a `Denial` name).
    pub(crate) async fn audit_denied(
        &mut self,
        key: &AuditKey,
        record: &AuditRecord,
        reason: &str,
    ) -> Result<()> {
        self.append_audit(key, record, &format!("denied:{reason}"))
            .await
    }

    /// Logs an event that is not an access to personal data (sign-in, sign-out, account changes), on a
    /// writing transaction.
    pub(crate) async fn audit_event(
        &mut self,
        key: &AuditKey,
        record: &AuditRecord,
        outcome: &str,
    ) -> Result<AuditEntry> {
        self.append_now(key, record, outcome).await
    }

    /// Entries in sequence order from `after` (exclusive), at most `limit`: for verification.
    pub(crate) async fn audit_entries_after(
        &mut self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        on!(self, conn => {
            let rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
            )))
            .bind(after)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(audit_from).collect()
        })
    }

    /// The log's head as the database holds it: the latest sequence number and MAC.
    pub async fn audit_head(&mut self) -> Result<(i64, String)> {
        on!(self, conn => {
            let row = sqlx::query("SELECT seq, mac FROM audit_head WHERE id = 1").fetch_one(&mut *conn).await?;
            Ok((row.try_get(0)?, row.try_get(1)?))
        })
    }
}

impl Scoped {
    /// Every organisation's entries in sequence order from `after` (exclusive), at most `limit`: the whole
    /// log, for an operator's authorised `read_audit`.
    pub async fn audit_entries_after(&mut self, after: i64, limit: i64) -> Result<Vec<AuditEntry>> {
        if self.scope().reach != Reach::AuditLog(None) {
            return Err(StoreError::OutOfScope);
        }
        Tx::audit_entries_after(self, after, limit).await
    }

    /// Entries matching the query, newest first, of the organisation the scope reaches. Needs a scope from an
    /// authorised `read_audit`.
    pub async fn audit_search(&mut self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let Reach::AuditLog(org) = self.scope().reach else {
            return Err(StoreError::OutOfScope);
        };
        on!(self, conn => {
            let rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE ($1 IS NULL OR target = $1) AND ($2 IS NULL OR actor = $2) \
                 AND ($3 IS NULL OR at >= $3) AND ($4 IS NULL OR at < $4) AND ($6 IS NULL OR org = $6) \
                 ORDER BY seq DESC LIMIT $5"
            )))
            .bind(q.target.as_deref())
            .bind(q.actor.as_deref())
            .bind(q.from)
            .bind(q.to)
            .bind(q.limit)
            .bind(org.map(|o| o.0))
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(audit_from).collect()
        })
    }

    /// Referrals that carry the identifier with `key`, in the scope's force, newest first, at most `limit`:
    /// (subject, source reference, role of the identifier on the referral).
    pub async fn search_identifier(
        &mut self,
        key: &str,
        limit: i64,
    ) -> Result<Vec<(SubjectId, String, String)>> {
        let owner = self.scope().list_owner()?;
        let hashed = self.finds_identifiers_by_hash();
        on!(self, conn => {
            let by_hash = if hashed { "i.key_hash = $4 AND " } else { "" };
            let mut query = sqlx::query(AssertSqlSafe(format!(
                "SELECT r.subject_id, r.source_ref, ri.role FROM identifier i \
                 JOIN referral_identifier ri ON ri.identifier_id = i.id \
                 JOIN referral r ON r.id = ri.referral_id \
                 WHERE {by_hash}i.key = $1 AND ($2 IS NULL OR r.owner_org = $2) ORDER BY r.id DESC LIMIT $3"
            )))
            .bind(key)
            .bind(owner.map(|o| o.0))
            .bind(limit);
            if hashed {
                query = query.bind(crate::identifier_key_hash(key));
            }
            let rows = query.fetch_all(&mut *conn).await?;
            rows.iter()
                .map(|r| Ok((SubjectId(r.try_get(0)?), r.try_get(1)?, r.try_get(2)?)))
                .collect()
        })
    }

    /// Open subjects per owning force and band, with how many are overdue at `now`: figures only.
    pub async fn open_work_by_force(
        &mut self,
        now: i64,
    ) -> Result<Vec<(Option<OrgId>, String, i64, i64)>> {
        on!(self, conn => {
            let rows = sqlx::query(
                "SELECT owner_org, band, COUNT(*), SUM(CASE WHEN due_at < $1 THEN 1 ELSE 0 END) \
                 FROM subject WHERE status = 'open' GROUP BY owner_org, band ORDER BY owner_org, band",
            )
            .bind(now)
            .fetch_all(&mut *conn)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok((
                        r.try_get::<Option<i64>, _>(0)?.map(OrgId),
                        r.try_get(1)?,
                        r.try_get(2)?,
                        r.try_get::<Option<i64>, _>(3)?.unwrap_or(0),
                    ))
                })
                .collect()
        })
    }
}

impl Tx {
    pub async fn audit_count(&mut self) -> Result<i64> {
        on!(self, conn => {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM audit_log").fetch_one(&mut *conn).await?)
        })
    }
}
