//! SQLite's read-only connections: reads run on rusqlite, on the request's own thread, beside the one writing
//! connection. A read's audit entries wait in it ([`Deferred`]) and go to the appender when it commits.
//!
//! (Each statement is a few B-tree lookups on pages the OS has cached, so running it on the request's thread
//! holds that thread no longer than rendering the page does; handing every statement and row to a driver's
//! worker thread cost a page two dozen thread switches, most of its CPU time.)

use crate::Result;
use crate::chain::AuditRecord;
use crate::deferred::{Appender, Deferred};
use rusqlite::{Connection, OpenFlags};
use severn_domain::audit::AuditKey;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Idle read-only rusqlite connections to one SQLite file.
#[derive(Debug)]
pub(crate) struct SqliteReaders {
    file: PathBuf,
    idle: Mutex<Vec<Connection>>,
    appender: Appender,
}

/// At most this many idle connections are kept; more are opened under load and closed after it.
const KEEP_IDLE: usize = 8;

impl SqliteReaders {
    pub(crate) fn new(file: PathBuf, appender: Appender) -> SqliteReaders {
        SqliteReaders {
            file,
            idle: Mutex::new(Vec::new()),
            appender,
        }
    }

    fn connection(&self) -> Result<Connection> {
        if let Some(conn) = self.idle.lock().expect("reader pool lock").pop() {
            return Ok(conn);
        }
        let conn = Connection::open_with_flags(
            &self.file,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(10))?;
        // Its cache is emptied whenever another connection has written (nearly every time: each page
        // view writes its audit entry), so a small one does.
        conn.pragma_update(None, "cache_size", -8192)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.idle.lock().expect("reader pool lock");
        if idle.len() < KEEP_IDLE {
            idle.push(conn);
        }
    }

    /// Starts a read: the snapshot is taken at its first statement.
    pub(crate) fn begin(self: &Arc<Self>) -> Result<ReadTx> {
        let conn = self.connection()?;
        conn.execute_batch("BEGIN")?;
        Ok(ReadTx {
            conn: Some(conn),
            readers: Arc::clone(self),
            deferred: Some(Deferred::new(self.appender.clone())),
        })
    }
}

/// A read on a read-only connection; rolled back (its entries dropped) when dropped without
/// [`ReadTx::commit`].
#[derive(Debug)]
pub struct ReadTx {
    conn: Option<Connection>,
    readers: Arc<SqliteReaders>,
    deferred: Option<Deferred>,
}

impl Drop for ReadTx {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take()
            && conn.execute_batch("ROLLBACK").is_ok()
        {
            self.readers.give_back(conn);
        }
    }
}

impl ReadTx {
    pub(crate) fn conn(&mut self) -> &mut Connection {
        self.conn
            .as_mut()
            .expect("a read's connection is held until it ends")
    }

    /// Keeps an audit entry for the appender, written when the read commits.
    pub(crate) fn defer(&mut self, key: &AuditKey, record: &AuditRecord, outcome: &str) {
        self.deferred
            .as_mut()
            .expect("entries are kept until the read ends")
            .push(key, record, outcome);
    }

    /// Ends the read, then hands its audit entries to the appender; returns once they are committed.
    pub(crate) async fn commit(mut self) -> Result<()> {
        let conn = self
            .conn
            .take()
            .expect("a read's connection is held until it ends");
        // The snapshot is released first; the data read is already in memory.
        conn.execute_batch("COMMIT")?;
        self.readers.give_back(conn);
        match self.deferred.take() {
            Some(deferred) => deferred.flush().await,
            None => Ok(()),
        }
    }
}
