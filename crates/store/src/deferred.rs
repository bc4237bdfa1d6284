//! A read's audit entries, waiting for its commit, and the queue that hands them to the appender (see
//! `appender`, which writes them).
//!
//! Depends on the audit chain's records only.

use crate::chain::AuditRecord;
use crate::{Result, StoreError};
use severn_domain::audit::AuditKey;
use tokio::sync::{mpsc, oneshot};

/// At most this many entries per write transaction: a burst is still committed in bounded steps.
pub(crate) const MOST_PER_COMMIT: usize = 256;

/// One entry waiting to be written, and where to say how it went.
pub(crate) struct Append {
    pub(crate) key: AuditKey,
    pub(crate) record: AuditRecord,
    pub(crate) outcome: String,
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
    /// A handle and the receiving end the appender's writer takes its entries from.
    pub(crate) fn queue() -> (Appender, mpsc::Receiver<Append>) {
        let (queue, waiting) = mpsc::channel(4 * MOST_PER_COMMIT);
        (Appender { queue }, waiting)
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

/// Puts `first` and the entries waiting behind it (up to [`MOST_PER_COMMIT`]) in `batch`.
pub(crate) fn take_waiting(
    first: Append,
    waiting: &mut mpsc::Receiver<Append>,
    batch: &mut Vec<Append>,
) {
    batch.push(first);
    while batch.len() < MOST_PER_COMMIT
        && let Ok(next) = waiting.try_recv()
    {
        batch.push(next);
    }
}

/// Tells each request of `batch` how its entry's write went, and empties the batch.
pub(crate) fn answer(batch: &mut Vec<Append>, outcome: Result<(), String>) {
    for append in batch.drain(..) {
        // A request that has gone away no longer waits for its answer; its entry is written all the same.
        let _ = append.done.send(outcome.clone());
    }
}
