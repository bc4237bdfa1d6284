//! The statutory audit log on sqlx: appending chained entries (at once on a writing transaction, at commit
//! through the appender in a read) and reading them back.

use crate::chain::{AuditRecord, sealed_entry};
use crate::decode;
use crate::deferred::Append;
use crate::handles::Scoped;
use crate::scope::{Reach, Scope};
use crate::sql;
use crate::tx::{Tx, on};
use crate::{Result, StoreError};
use severn_domain::audit::{AuditEntry, AuditKey};
use sqlx::{AssertSqlSafe, QueryBuilder, Row};

/// Filter for reading the audit log back.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub target: Option<String>,
    pub actor: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub limit: i64,
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
            let head = if lock {
                sqlx::query(sql::AUDIT_HEAD_FOR_UPDATE)
            } else {
                sqlx::query(sql::AUDIT_HEAD)
            };
            let row = head.fetch_one(&mut *conn).await?;
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
            let mut q = QueryBuilder::new(format!("INSERT INTO audit_log ({}) ", sql::AUDIT_COLUMNS));
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
            sqlx::query(sql::MOVE_AUDIT_HEAD)
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
                "SELECT {} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
                sql::AUDIT_COLUMNS
            )))
            .bind(after)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(decode::audit_entry).collect()
        })
    }

    /// The log's head as the database holds it: the latest sequence number and MAC.
    pub async fn audit_head(&mut self) -> Result<(i64, String)> {
        on!(self, conn => {
            let row = sqlx::query(sql::AUDIT_HEAD).fetch_one(&mut *conn).await?;
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
                "SELECT {} FROM audit_log WHERE ($1 IS NULL OR target = $1) AND ($2 IS NULL OR actor = $2) \
                 AND ($3 IS NULL OR at >= $3) AND ($4 IS NULL OR at < $4) AND ($6 IS NULL OR org = $6) \
                 ORDER BY seq DESC LIMIT $5",
                sql::AUDIT_COLUMNS
            )))
            .bind(q.target.as_deref())
            .bind(q.actor.as_deref())
            .bind(q.from)
            .bind(q.to)
            .bind(q.limit)
            .bind(org.map(|o| o.0))
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(decode::audit_entry).collect()
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
