//! Group commit for the audit entries of reads, on both backends.
//!
//! Every entry is chained to the one before, so appending one takes the log's head: SQLite's one write lock,
//! PostgreSQL's `audit_head` row lock, held until the commit. If every page view appended its own entry in
//! its own transaction, page views would run one at a time. Instead a read runs in a snapshot (on SQLite one
//! of the read-only connections, on PostgreSQL a `REPEATABLE READ, READ ONLY` transaction) and its audit
//! entries wait in the transaction ([`Tx::SqliteRead`](crate::Tx), [`Tx::PostgresRead`](crate::Tx)); when it
//! commits they go to the appender, which writes all the entries that have arrived meanwhile in one write
//! transaction on a connection of its own, chained in order. The read's commit returns only once its entries
//! are committed, so no data leaves a use case whose consultation is not in the log, and a failed write fails
//! the request as it would in one transaction. Writes append their entry in their own transaction, under the
//! same head, so they chain with the appender's in commit order.

use crate::deferred::{Append, Appender, MOST_PER_COMMIT, answer, take_waiting};
use crate::writer::{self, SharedWriter};
use crate::{Result, StoreError, Tx};
use sqlx::PgPool;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;
use tokio::sync::mpsc;

/// How often the WAL is copied into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Starts the appender's thread, writing on a connection of its own to the SQLite file `file`. The
/// thread ends when the last handle is dropped.
pub(crate) fn start_sqlite(file: &str) -> Result<Appender> {
    let (appender, waiting) = Appender::queue();
    let conn = writer::open(file)?;
    // Checkpointing is the checkpointer's, so a commit here never waits for one.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    let writer = SharedWriter::new(conn);
    let checkpointer = writer::open(file)?;
    let (running, stopped) = std::sync::mpsc::channel::<()>();
    let failed =
        |e: std::io::Error| StoreError::AuditWrite(format!("cannot start the audit appender: {e}"));
    std::thread::Builder::new()
        .name("severn-audit".into())
        .spawn(move || {
            run(writer, waiting);
            drop(running);
        })
        .map_err(failed)?;
    // The appender's commits would otherwise, every few thousand, copy the WAL into the database file
    // and wait for the disk while every page view waits for them.
    std::thread::Builder::new()
        .name("severn-checkpoint".into())
        .spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_EVERY) {
                // A failed checkpoint is retried at the next tick; the WAL only grows meanwhile.
                let _ = writer::checkpoint_passive(&checkpointer);
            }
        })
        .map_err(failed)?;
    Ok(appender)
}

/// Starts the appender's task on the current runtime, writing on `pool`'s connection (a pool of one, so
/// that a connection lost is replaced). The task ends when the last handle is dropped.
pub(crate) fn start_postgres(pool: PgPool) -> Appender {
    let (appender, mut waiting) = Appender::queue();
    tokio::spawn(async move {
        let mut batch = Vec::with_capacity(MOST_PER_COMMIT);
        while let Some(first) = waiting.recv().await {
            take_waiting(first, &mut waiting, &mut batch);
            let outcome = write_postgres(&pool, &batch)
                .await
                .map_err(|e| e.to_string());
            answer(&mut batch, outcome);
        }
    });
    appender
}

fn run(writer: SharedWriter, mut waiting: mpsc::Receiver<Append>) {
    // Runs the store's statements, which on SQLite never wait on anything but the calling thread.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime for the audit appender's thread");
    let mut batch = Vec::with_capacity(MOST_PER_COMMIT);
    while let Some(first) = waiting.blocking_recv() {
        take_waiting(first, &mut waiting, &mut batch);
        let outcome = writer
            .begin_blocking()
            .and_then(|tx| runtime.block_on(write(Tx::Sqlite(tx), &batch)))
            .map_err(|e| e.to_string());
        answer(&mut batch, outcome);
    }
}

async fn write_postgres(pool: &PgPool, batch: &[Append]) -> Result<()> {
    write(Tx::Postgres(pool.begin().await?), batch).await
}

/// Writes a batch of entries in one transaction: all or none.
async fn write(mut tx: Tx, batch: &[Append]) -> Result<()> {
    tx.append_batch(batch).await?;
    tx.commit().await
}
