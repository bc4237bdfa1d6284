//! The reads of a page, on SQLite without a thread hop per statement.
//!
//! sqlx runs each SQLite connection on a thread of its own and passes every statement and every row between
//! that thread and the request's: a referral page's dozen statements cost two dozen thread switches, most of
//! its CPU time. A [`PageTx`] on a SQLite file runs the same statements on a rusqlite read-only connection,
//! on the request's own thread (each statement is a few B-tree lookups on pages the OS has cached, so this
//! does not hold the thread up longer than rendering the page does). Its audit entries go to the appender at
//! commit, as those of any SQLite read do. On PostgreSQL and on in-memory SQLite a `PageTx` is a [`Tx`].

use crate::Result;
use crate::chain::AuditRecord;
use crate::decode::{self, Columns};
use crate::deferred::{Appender, Deferred};
use crate::rows::*;
use crate::scope::{Reach, Scope};
use crate::sql;
use crate::tx::Tx;
use rusqlite::{Connection, OpenFlags, Row, ToSql};
use severn_domain::access::CaseAccess;
use severn_domain::audit::AuditKey;
use severn_domain::ids::{ReferralId, SubjectId};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Idle read-only rusqlite connections to one SQLite file.
#[derive(Debug)]
pub struct SqliteReaders {
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
        conn.set_prepared_statement_cache_capacity(32);
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

/// A read on a rusqlite connection; rolled back (its entries dropped) when dropped without [`PageTx::commit`].
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
    fn conn(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("a read's connection is held until it ends")
    }

    /// The first row `sql` finds for `param`, decoded.
    fn one<T>(
        &self,
        sql: &str,
        param: impl ToSql,
        decode: impl Fn(&Row) -> Result<T>,
    ) -> Result<Option<T>> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        let mut rows = stmt.query([param])?;
        rows.next()?.map(decode).transpose()
    }

    /// Every row `sql` finds for `param`, decoded.
    fn all<T>(&self, sql: &str, param: i64, decode: impl Fn(&Row) -> Result<T>) -> Result<Vec<T>> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        let mut rows = stmt.query([param])?;
        let mut found = Vec::new();
        while let Some(row) = rows.next()? {
            found.push(decode(row)?);
        }
        Ok(found)
    }

    pub(crate) fn session_and_staff(
        &self,
        token_hash: &str,
    ) -> Result<Option<(SessionRow, StaffRow)>> {
        self.one(sql::SESSION_AND_STAFF, token_hash, |r| {
            decode::session_and_staff(r)
        })
    }

    fn known_referral(&self, source_ref: &str) -> Result<Option<KnownReferral>> {
        self.one(sql::KNOWN_REFERRAL, source_ref, |r| {
            decode::known_referral(r)
        })
    }

    fn case_access(&self, subject: SubjectId) -> Result<Option<CaseAccess>> {
        self.one(sql::CASE_ACCESS, subject.0, |r| decode::case_access(r))
    }

    pub(crate) fn referral(&self, id: ReferralId) -> Result<Option<ReferralRow>> {
        self.one(sql::REFERRAL_BY_ID, id.0, |r| decode::referral(r))
    }

    pub(crate) fn subject(&self, id: SubjectId) -> Result<Option<SubjectRow>> {
        self.one(sql::SUBJECT_BY_ID, id.0, |r| decode::subject(r))
    }

    pub(crate) fn referral_refs_of_subject(&self, subject: SubjectId) -> Result<Vec<String>> {
        self.all(sql::REFERRAL_REFS_OF_SUBJECT, subject.0, |r| r.text(0))
    }

    pub(crate) fn links_of_subject(&self, subject: SubjectId) -> Result<Vec<LinkExplained>> {
        self.all(sql::LINKS_OF_SUBJECT, subject.0, |r| {
            Ok(decode::link_explained(r)?.1)
        })
    }

    pub(crate) fn identifiers_of_referral(
        &self,
        referral: ReferralId,
    ) -> Result<Vec<(ReferralId, IdentifierRow, String)>> {
        self.all(sql::IDENTIFIERS_OF_REFERRAL, referral.0, |r| {
            decode::identifier_on_referral(r)
        })
    }

    pub(crate) fn assessments_of_subject(&self, subject: SubjectId) -> Result<Vec<AssessmentRow>> {
        self.all(sql::ASSESSMENTS_OF_SUBJECT, subject.0, |r| {
            decode::assessment(r)
        })
    }

    pub(crate) fn decisions_of_subject(&self, subject: SubjectId) -> Result<Vec<DecisionRow>> {
        self.all(sql::DECISIONS_OF_SUBJECT, subject.0, |r| {
            decode::decision(r)
        })
    }

    pub(crate) fn referral_versions(&self, id: ReferralId) -> Result<Vec<(i32, String, i64)>> {
        self.all(sql::REFERRAL_VERSIONS, id.0, |r| {
            decode::referral_version(r)
        })
    }

    pub(crate) async fn commit(mut self) -> Result<()> {
        let conn = self
            .conn
            .take()
            .expect("a read's connection is held until it ends");
        conn.execute_batch("COMMIT")?;
        self.readers.give_back(conn);
        match self.deferred.take() {
            Some(deferred) => deferred.flush().await,
            None => Ok(()),
        }
    }
}

/// A page's read: on a rusqlite connection where that is faster (a SQLite file), otherwise a [`Tx`].
pub enum PageTx {
    Sqlite(ReadTx),
    Tx(Tx),
}

impl PageTx {
    /// The referral with this source reference, in its light form (no personal data).
    pub async fn known_referral(&mut self, source_ref: &str) -> Result<Option<KnownReferral>> {
        match self {
            PageTx::Sqlite(r) => r.known_referral(source_ref),
            PageTx::Tx(tx) => Ok(tx
                .known_referrals(std::slice::from_ref(&source_ref.to_owned()))
                .await?
                .into_iter()
                .next()),
        }
    }

    pub async fn case_access(&mut self, subject: SubjectId) -> Result<Option<CaseAccess>> {
        match self {
            PageTx::Sqlite(r) => r.case_access(subject),
            PageTx::Tx(tx) => tx.case_access(subject).await,
        }
    }

    /// Logs an allowed access (written when the read commits) and returns the scope reading needs.
    pub(crate) async fn audit_allowed(
        &mut self,
        key: &AuditKey,
        record: &AuditRecord,
        reach: Reach,
    ) -> Result<Scope> {
        match self {
            PageTx::Sqlite(r) => {
                r.deferred
                    .as_mut()
                    .expect("entries are deferred until commit")
                    .push(key, record, "allowed");
                Ok(Scope::logged(reach))
            }
            PageTx::Tx(tx) => tx.audit_allowed(key, record, reach).await,
        }
    }

    pub(crate) async fn audit_denied(
        &mut self,
        key: &AuditKey,
        record: &AuditRecord,
        reason: &str,
    ) -> Result<()> {
        match self {
            PageTx::Sqlite(r) => {
                r.deferred
                    .as_mut()
                    .expect("entries are deferred until commit")
                    .push(key, record, &format!("denied:{reason}"));
                Ok(())
            }
            PageTx::Tx(tx) => tx.audit_denied(key, record, reason).await,
        }
    }

    /// Ends the read; returns once its audit entries are committed.
    pub async fn commit(self) -> Result<()> {
        match self {
            PageTx::Sqlite(r) => r.commit().await,
            PageTx::Tx(tx) => tx.commit().await,
        }
    }
}
