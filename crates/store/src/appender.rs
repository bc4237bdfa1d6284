//! Group commit for the audit entries of SQLite reads.
//!
//! SQLite has one writer. If every page view took the write lock to log itself, page views would run one at a
//! time. Instead a read runs in a snapshot on one of the read-only connections, and its audit entries wait in
//! the transaction ([`Tx::SqliteRead`](crate::Tx)); when it commits they go to the appender, which writes all
//! the entries that have arrived meanwhile in one write transaction on the writing connection, chained in
//! order. The read's commit returns only once its entries are committed, so no data leaves a use case whose
//! consultation is not in the log, and a failed write fails the request as it would in one transaction.

use crate::access::AuditRecord;
use crate::writer::SqliteWriter;
use crate::{Result, StoreError};
use severn_domain::audit::AuditKey;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// At most this many entries per write transaction: a burst is still committed in bounded steps.
const MOST_PER_COMMIT: usize = 256;

/// How often the WAL is copied into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// One entry waiting to be written, and where to say how it went.
struct Append {
    key: AuditKey,
    record: AuditRecord,
    outcome: String,
    done: oneshot::Sender<Result<(), String>>,
}

/// The handle reads hand their entries to. Cloned into every read transaction.
#[derive(Debug, Clone)]
pub struct Appender {
    queue: mpsc::Sender<Append>,
}

impl std::fmt::Debug for Append {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Append")
            .field("target", &self.record.target)
            .finish_non_exhaustive()
    }
}

impl Appender {
    /// Starts the appender's thread, writing on a connection of its own to the SQLite file `file`. The
    /// thread ends when the last handle is dropped.
    pub fn start(file: &str) -> Result<Appender> {
        let (queue, waiting) = mpsc::channel(4 * MOST_PER_COMMIT);
        let writer = SqliteWriter::open_file(file)?.without_checkpoints()?;
        let checkpointer = SqliteWriter::open_file(file)?;
        let (running, stopped) = std::sync::mpsc::channel::<()>();
        let failed = |e: std::io::Error| {
            StoreError::AuditWrite(format!("cannot start the audit appender: {e}"))
        };
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
                    let _ = checkpointer.checkpoint();
                }
            })
            .map_err(failed)?;
        Ok(Appender { queue })
    }
}

/// A read transaction's entries, written when it commits.
#[derive(Debug)]
pub struct Deferred {
    appender: Appender,
    pending: Vec<Append>,
}

impl Deferred {
    pub(crate) fn new(appender: Appender) -> Deferred {
        Deferred {
            appender,
            pending: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, key: &AuditKey, record: &AuditRecord, outcome: &str) {
        // The receiver is made when the entry is sent; this one is replaced there.
        let (done, _) = oneshot::channel();
        self.pending.push(Append {
            key: key.clone(),
            record: record.clone(),
            outcome: outcome.to_owned(),
            done,
        });
    }

    /// Hands every entry to the appender and waits until all are committed.
    pub(crate) async fn flush(self) -> Result<()> {
        let mut results = Vec::with_capacity(self.pending.len());
        for mut append in self.pending {
            let (done, result) = oneshot::channel();
            append.done = done;
            self.appender
                .queue
                .send(append)
                .await
                .map_err(|_| StoreError::AuditWrite("the audit appender has stopped".into()))?;
            results.push(result);
        }
        for result in results {
            result
                .await
                .map_err(|_| StoreError::AuditWrite("the audit appender has stopped".into()))?
                .map_err(StoreError::AuditWrite)?;
        }
        Ok(())
    }
}

fn run(mut writer: SqliteWriter, mut waiting: mpsc::Receiver<Append>) {
    let mut batch = Vec::with_capacity(MOST_PER_COMMIT);
    while let Some(first) = waiting.blocking_recv() {
        batch.push(first);
        while batch.len() < MOST_PER_COMMIT
            && let Ok(next) = waiting.try_recv()
        {
            batch.push(next);
        }
        let outcome = write(&mut writer, &batch).map_err(|e| e.to_string());
        for append in batch.drain(..) {
            // A request that has gone away no longer waits for its answer; its entry is written all the same.
            let _ = append.done.send(outcome.clone());
        }
    }
}

/// Writes a batch of entries in one transaction: all or none.
fn write(writer: &mut SqliteWriter, batch: &[Append]) -> Result<()> {
    let tx = writer.begin()?;
    for append in batch {
        tx.append_audit(&append.key, &append.record, &append.outcome)?;
    }
    tx.commit()
}
