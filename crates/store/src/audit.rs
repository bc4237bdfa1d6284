//! The statutory audit log: appending chained entries (at once on a writing transaction, at commit
//! through the appender in a read) and reading them back.

use crate::chain::{AuditRecord, sealed_entry};
use crate::conn::{Built, args};
use crate::decode;
use crate::deferred::Append;
use crate::handles::Scoped;
use crate::scope::{Reach, Scope};
use crate::sql;
use crate::tx::Tx;
use crate::{Result, StoreError};
use severn_domain::audit::{AuditEntry, AuditKey};

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
            Tx::SqliteRead(read) => read.defer(key, record, outcome),
            Tx::PostgresRead(_, deferred) => deferred.push(key, record, outcome),
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
        let head = if matches!(self, Tx::Postgres(_)) {
            sql::AUDIT_HEAD_FOR_UPDATE
        } else {
            sql::AUDIT_HEAD
        };
        let (mut seq, mut prev) = self
            .conn()
            .one(head, &[], |r| Ok((r.i64(0)?, r.text(1)?)))
            .await?;
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
        let mut q = Built::new(format!("INSERT INTO audit_log ({}) ", sql::AUDIT_COLUMNS));
        q.values(&sealed, |entry| {
            args![
                entry.seq,
                entry.at,
                &entry.actor,
                entry.org,
                entry.processing.as_str(),
                &entry.action,
                &entry.target,
                &entry.outcome,
                entry.justification.as_deref(),
                entry.recipients.as_deref(),
                entry.detail.as_deref(),
                &entry.mac
            ]
        });
        let mut conn = self.conn();
        conn.execute_built(&q).await?;
        conn.execute(sql::MOVE_AUDIT_HEAD, &args![seq, &prev])
            .await?;
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
        self.conn()
            .all(sql::AUDIT_AFTER, &args![after, limit], decode::audit_entry)
            .await
    }

    /// The log's head as the database holds it: the latest sequence number and MAC.
    pub async fn audit_head(&mut self) -> Result<(i64, String)> {
        self.conn()
            .one(sql::AUDIT_HEAD, &[], |r| Ok((r.i64(0)?, r.text(1)?)))
            .await
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
        let search = args![
            q.target.as_deref(),
            q.actor.as_deref(),
            q.from,
            q.to,
            q.limit,
            org
        ];
        self.conn()
            .all(sql::AUDIT_SEARCH, &search, decode::audit_entry)
            .await
    }
}

impl Tx {
    pub async fn audit_count(&mut self) -> Result<i64> {
        self.conn()
            .one("SELECT COUNT(*) FROM audit_log", &[], |r| r.i64(0))
            .await
    }
}
