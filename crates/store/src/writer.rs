//! SQLite's writing connections, on rusqlite: the database's own ([`SharedWriter`], whose transactions are
//! [`WriteTx`]), the appender's, and the checkpointer's.
//!
//! Statements stay prepared and run on the caller's thread: a driver that hands every statement and row to a
//! worker thread, and prepares each multi-row statement afresh, spent half of an ingest batch's time doing
//! so.

use crate::Result;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// A writing connection to the SQLite database file `file`.
pub(crate) fn open(file: &str) -> Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(file)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // 96 MiB: a larger SQLite cache costs more to search than it saves (128 MiB was slower than 64), while
    // at 1 M reports pages missing from a 64 MiB cache cost an ingest 4-7 % more CPU. It fits the 300 MB
    // budget only because mimalloc 2 returns freed memory promptly (docs/benchmarks.md, "Dead ends").
    conn.pragma_update(None, "cache_size", -98304)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // Checkpoint from a writing connection only when the WAL passes 1 GiB: a page rewritten by many batches
    // is copied into the database once per checkpoint, not once per 64 MiB of WAL. The database's own
    // checkpointing thread (see `appender`) copies what it can in between without holding up commits.
    conn.pragma_update(None, "wal_autocheckpoint", 262144)?;
    // The write path's statements stay prepared: the few dozen that recur (a multi-row statement recurs at
    // its full chunk's size). A batch's last chunks, of other sizes, pass through; a larger cache kept them,
    // at up to a megabyte each.
    conn.set_prepared_statement_cache_capacity(16);
    Ok(conn)
}

/// Copies what it can of the WAL into the database file without waiting for readers or writers.
pub(crate) fn checkpoint_passive(conn: &rusqlite::Connection) -> Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
    Ok(())
}

/// The database's one writing connection: SQLite has one writer anyway, and a connection drops its page cache
/// whenever another has written, so alternating connections would read every page again.
#[derive(Debug, Clone)]
pub(crate) struct SharedWriter(Arc<Mutex<rusqlite::Connection>>);

impl SharedWriter {
    pub(crate) fn new(conn: rusqlite::Connection) -> SharedWriter {
        SharedWriter(Arc::new(Mutex::new(conn)))
    }

    /// [`SharedWriter::begin`] for a thread that may block (the appender's).
    pub(crate) fn begin_blocking(&self) -> Result<WriteTx> {
        let conn = Arc::clone(&self.0).blocking_lock_owned();
        conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(WriteTx { conn: Some(conn) })
    }

    /// Starts a transaction: `BEGIN IMMEDIATE` takes the write lock up front, so two writers queue instead of
    /// one failing with `SQLITE_BUSY` half-way through. Waiting for another process's lock (an ingest's
    /// batch) happens on a blocking thread, so the runtime's threads go on serving reads meanwhile.
    pub(crate) async fn begin(&self, immediate: bool) -> Result<WriteTx> {
        let conn = Arc::clone(&self.0).lock_owned().await;
        let begin = if immediate {
            "BEGIN IMMEDIATE"
        } else {
            "BEGIN"
        };
        let conn = tokio::task::spawn_blocking(move || -> Result<_> {
            conn.execute_batch(begin)?;
            Ok(conn)
        })
        .await
        .map_err(|e| {
            crate::StoreError::Corrupt(format!("a SQLite transaction did not start: {e}"))
        })??;
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
