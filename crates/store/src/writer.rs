//! SQLite's writing connections, on rusqlite: the database's own ([`SharedWriter`], whose transactions are
//! [`WriteTx`]), and those an ingest or the appender open for themselves ([`SqliteWriter`], [`SqliteTx`]),
//! with the audit log's append on them.
//!
//! Statements stay prepared and run one row at a time on the caller's thread: a driver that hands every
//! statement and row to a worker thread, and prepares each multi-row statement afresh, spent half of a
//! batch's time doing so. What a batch writes is in `batch`.

use crate::Result;
use crate::chain::{AuditRecord, sealed_entry};
use crate::rows::SubjectRow;
use crate::sql;
use rusqlite::{TransactionBehavior, params};
use severn_domain::audit::{AuditEntry, AuditKey};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// One rusqlite connection to a SQLite database, for writing ingest batches.
pub struct SqliteWriter {
    conn: rusqlite::Connection,
}

impl SqliteWriter {
    /// A writer on the SQLite database file `file`.
    pub(crate) fn open_file(file: &str) -> Result<SqliteWriter> {
        let conn = rusqlite::Connection::open(file)?;
        // The settings of the sqlx connections (see `Db::connect`): the same durability, lock waits and cache.
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // 96 MiB: a larger SQLite cache costs more to search than it saves (128 MiB was slower than 64), while
        // at 1 M reports pages missing from a 64 MiB cache cost this thread 4-7 % more CPU. It fits the 300 MB
        // budget only because mimalloc 2 returns freed memory promptly (docs/benchmarks.md, "Dead ends").
        conn.pragma_update(None, "cache_size", -98304)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Checkpoint from this connection only when the WAL passes 1 GiB: a page rewritten by many batches
        // is copied into the database once per checkpoint, not once per 64 MiB of WAL. The database's own
        // checkpointing thread (see `appender`) copies what it can in between without holding up commits.
        conn.pragma_update(None, "wal_autocheckpoint", 262144)?;
        // Every statement of the write path stays prepared.
        conn.set_prepared_statement_cache_capacity(64);
        Ok(SqliteWriter { conn })
    }

    /// The database's own writing connection: a larger cache, and checkpoints every 64 MiB of WAL.
    pub(crate) fn shared(self) -> Result<SharedWriter> {
        self.conn.pragma_update(None, "cache_size", -131072)?;
        self.conn.pragma_update(None, "wal_autocheckpoint", 16384)?;
        Ok(SharedWriter(Arc::new(Mutex::new(self.conn))))
    }

    /// Leaves checkpointing the WAL to another connection, so a commit here never waits for one.
    pub(crate) fn without_checkpoints(self) -> Result<SqliteWriter> {
        self.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        Ok(self)
    }

    /// Copies what it can of the WAL into the database file without waiting for readers or writers.
    pub(crate) fn checkpoint(&self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Starts a write transaction. BEGIN IMMEDIATE, as [`Db::begin`]: writers queue for the lock up front.
    pub fn begin(&mut self) -> Result<SqliteTx<'_>> {
        Ok(SqliteTx {
            tx: self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?,
        })
    }
}

/// A write transaction on a [`SqliteWriter`]; rolled back when dropped without [`SqliteTx::commit`].
pub struct SqliteTx<'c> {
    pub(crate) tx: rusqlite::Transaction<'c>,
}

impl SqliteTx<'_> {
    pub fn commit(self) -> Result<()> {
        Ok(self.tx.commit()?)
    }

    /// Runs one cached statement once per row.
    pub(crate) fn execute_each<T>(
        &self,
        sql: &str,
        rows: &[T],
        mut bind: impl FnMut(&mut rusqlite::CachedStatement<'_>, &T) -> rusqlite::Result<usize>,
    ) -> Result<()> {
        let mut stmt = self.tx.prepare_cached(sql)?;
        for row in rows {
            bind(&mut stmt, row)?;
        }
        Ok(())
    }

    pub(crate) fn write_subjects(&self, sql: &str, subjects: &[SubjectRow]) -> Result<()> {
        self.execute_each(sql, subjects, |stmt, s| {
            stmt.execute(params![
                s.id.0,
                s.created_at,
                s.status.as_str(),
                s.merged_into.map(|m| m.0),
                s.provisional_band.as_str(),
                s.assessment_id,
                s.band.as_str(),
                s.band_reason,
                s.clock_start_at,
                s.due_at,
                s.owner_org.map(|o| o.0)
            ])
        })
    }
}

impl SqliteTx<'_> {
    /// Appends an entry to the audit log, chained to the one before.
    pub(crate) fn append_audit(
        &self,
        key: &AuditKey,
        record: &AuditRecord,
        outcome: &str,
    ) -> Result<AuditEntry> {
        // SQLite's write lock (BEGIN IMMEDIATE) serialises appends, as in `Tx::audit_event`.
        let (seq, prev): (i64, String) = self
            .tx
            .prepare_cached(sql::AUDIT_HEAD)?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let entry = sealed_entry(seq, &prev, key, record, outcome)?;
        self.tx
            .prepare_cached(sql::INSERT_AUDIT_ENTRY)?
            .execute(params![
                entry.seq,
                entry.at,
                entry.actor,
                entry.org,
                entry.processing,
                entry.action,
                entry.target,
                entry.outcome,
                entry.justification,
                entry.recipients,
                entry.detail,
                entry.mac
            ])?;
        self.tx
            .prepare_cached(sql::MOVE_AUDIT_HEAD)?
            .execute(params![entry.seq, entry.mac])?;
        Ok(entry)
    }
}

/// The database's one writing connection: SQLite has one writer anyway, and a connection drops its page cache
/// whenever another has written, so alternating connections would read every page again.
#[derive(Debug, Clone)]
pub(crate) struct SharedWriter(Arc<Mutex<rusqlite::Connection>>);

impl SharedWriter {
    /// Starts a transaction: `BEGIN IMMEDIATE` takes the write lock up front, so two writers queue instead of
    /// one failing with `SQLITE_BUSY` half-way through. Waiting for another process's lock (an ingest's
    /// batch) happens on a blocking thread, so the runtime's threads go on serving reads meanwhile.
    pub(crate) async fn begin(&self, immediate: bool) -> Result<WriteTx> {
        let conn = Arc::clone(&self.0).lock_owned().await;
        let begin = if immediate { "BEGIN IMMEDIATE" } else { "BEGIN" };
        let conn = tokio::task::spawn_blocking(move || -> Result<_> {
            conn.execute_batch(begin)?;
            Ok(conn)
        })
        .await
        .map_err(|e| crate::StoreError::Corrupt(format!("a SQLite transaction did not start: {e}")))??;
        Ok(WriteTx { conn: Some(conn) })
    }

    /// Runs `work` on the connection outside any transaction (migrations, index builds, checkpoints).
    pub(crate) async fn with<T>(
        &self,
        work: impl FnOnce(&mut rusqlite::Connection) -> Result<T>,
    ) -> Result<T> {
        let mut conn = self.0.lock().await;
        work(&mut conn)
    }
}

/// A transaction on the [`SharedWriter`]; rolled back when dropped without [`WriteTx::commit`].
#[derive(Debug)]
pub struct WriteTx {
    conn: Option<OwnedMutexGuard<rusqlite::Connection>>,
}

impl WriteTx {
    pub(crate) fn conn(&mut self) -> &mut rusqlite::Connection {
        self.conn
            .as_mut()
            .expect("a transaction's connection is held until it ends")
    }

    pub(crate) fn commit(mut self) -> Result<()> {
        let conn = self
            .conn
            .take()
            .expect("a transaction's connection is held until it ends");
        if let Err(e) = conn.execute_batch("COMMIT") {
            // A failed COMMIT can leave the transaction open; the next one must not start inside it.
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e.into());
        }
        Ok(())
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let _ = conn.execute_batch("ROLLBACK");
        }
    }
}
