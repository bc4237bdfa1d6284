//! The reads of a page, on SQLite without a thread hop per statement.
//!
//! sqlx runs each SQLite connection on a thread of its own and passes every statement and every row between
//! that thread and the request's: a referral page's dozen statements cost two dozen thread switches, most of
//! its CPU time. A [`PageTx`] on a SQLite file runs the same statements on a rusqlite read-only connection,
//! on the request's own thread (each statement is a few B-tree lookups on pages the OS has cached, so this
//! does not hold the thread up longer than rendering the page does). Its audit entries go to the appender at
//! commit, as those of any SQLite read do. On PostgreSQL and on in-memory SQLite a `PageTx` is a [`Tx`].

use crate::access::{AuditRecord, Reach, Scope, parse_kind};
use crate::appender::{Appender, Deferred};
use crate::gate::{Scoped, ScopedPage};
use crate::identity::SessionRow;
use crate::rows::*;
use crate::writer::{identifier_from, known_referral_from, referral_from, subject_from};
use crate::{Result, StaffRow, StoreError, Tx};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row};
use severn_domain::access::{CaseAccess, Role};
use severn_domain::audit::AuditKey;
use severn_domain::identity::SessionStage;
use severn_domain::ids::{OrgId, ReferralId, StaffId, SubjectId, TeamId};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The statements, in SQL both backends run, with `$n` parameters (numbered in order, as rusqlite binds them);
/// the sqlx queries of `Tx` use the same text where they ask the same question.
pub(crate) mod sql {
    pub const SESSION_BY_TOKEN_HASH: &str = "SELECT id, staff_id, stage, provider, csrf_token, created_at, \
         last_seen_at, address, user_agent, ended_at, end_reason FROM session WHERE token_hash = $1";
    pub const STAFF_BY_ID: &str = "SELECT s.id, s.org_id, o.kind, s.team_id, s.username, s.display_name, \
         s.kind, s.active, s.created_at, (SELECT string_agg(role, ',') FROM staff_role r WHERE r.staff_id = s.id) \
         FROM staff s JOIN org o ON o.id = s.org_id WHERE s.id = $1";
    pub const KNOWN_REFERRAL: &str = "SELECT id, source_ref, content_sha256, version, subject_id, owner_org FROM referral WHERE source_ref = $1";
    pub const CASE_OWNER: &str = "SELECT owner_org, restricted FROM subject WHERE id = $1";
    pub const CASE_SHARES: &str =
        "SELECT staff_id FROM case_share WHERE subject_id = $1 ORDER BY staff_id";
    pub const CASE_RESTRICTED_TO: &str =
        "SELECT staff_id FROM case_restriction WHERE subject_id = $1 ORDER BY staff_id";
    pub const REFERRAL_REFS_OF_SUBJECT: &str =
        "SELECT source_ref FROM referral WHERE subject_id = $1 ORDER BY id";
    pub const LINKS_OF_SUBJECT: &str = "SELECT r.subject_id, r.source_ref, i.kind, i.service, i.value, l.weight \
         FROM referral r JOIN subject_link l ON l.referral_id = r.id JOIN identifier i ON i.id = l.identifier_id \
         WHERE r.subject_id = $1 ORDER BY r.subject_id, r.id, l.weight DESC, i.kind, i.value";
    pub const IDENTIFIERS_OF_REFERRAL: &str = "SELECT ri.referral_id, i.id, i.key, i.kind, i.service, i.value, \
         i.placeholder, i.common, i.subject_id, i.owner_org, ri.role FROM referral_identifier ri \
         JOIN identifier i ON i.id = ri.identifier_id WHERE ri.referral_id = $1 ORDER BY ri.referral_id, i.kind, i.value";
    pub const ASSESSMENTS_OF_SUBJECT: &str = "SELECT id, subject_id, tool_id, tool_version, answers, outcome, band, \
         assessor, assessed_at, override_band, override_rationale, override_by, rescored_from \
         FROM assessment WHERE subject_id = $1 ORDER BY id";
    pub const DECISIONS_OF_SUBJECT: &str = "SELECT id, kind, subject_id, other_subject_id, referrals, rationale, \
         actor, decided_at FROM subject_decision WHERE subject_id = $1 OR other_subject_id = $1 ORDER BY id";
    pub const REFERRAL_VERSIONS: &str = "SELECT version, content_sha256, received_at FROM referral_version \
         WHERE referral_id = $1 ORDER BY version";
}

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

    fn all<T>(
        &self,
        sql: &str,
        param: i64,
        row: impl FnMut(&Row) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        let rows = stmt.query_map([param], row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<T>>>()?)
    }

    fn session_by_token_hash(&self, token_hash: &str) -> Result<Option<SessionRow>> {
        let row = self
            .conn()
            .prepare_cached(sql::SESSION_BY_TOKEN_HASH)?
            .query_row([token_hash], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, Option<i64>>(9)?,
                    r.get::<_, Option<String>>(10)?,
                ))
            })
            .optional()?;
        row.map(|r| {
            Ok(SessionRow {
                id: r.0,
                staff_id: StaffId(r.1),
                stage: SessionStage::parse(&r.2)
                    .ok_or_else(|| StoreError::Corrupt(format!("session stage {:?}", r.2)))?,
                provider: r.3,
                csrf_token: r.4,
                created_at: r.5,
                last_seen_at: r.6,
                address: r.7,
                user_agent: r.8,
                ended_at: r.9,
                end_reason: r.10,
            })
        })
        .transpose()
    }

    fn staff_by_id(&self, id: StaffId) -> Result<Option<StaffRow>> {
        let row = self
            .conn()
            .prepare_cached(sql::STAFF_BY_ID)?
            .query_row([id.0], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, bool>(7)?,
                    r.get::<_, i64>(8)?,
                    r.get::<_, Option<String>>(9)?,
                ))
            })
            .optional()?;
        row.map(|r| {
            let mut roles =
                r.9.unwrap_or_default()
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(|s| s.parse::<Role>().map_err(StoreError::Corrupt))
                    .collect::<Result<Vec<Role>>>()?;
            roles.sort();
            Ok(StaffRow {
                id: StaffId(r.0),
                org_id: OrgId(r.1),
                org_kind: parse_kind(&r.2)?,
                team_id: r.3.map(TeamId),
                username: r.4,
                display_name: r.5,
                kind: r.6,
                active: r.7,
                created_at: r.8,
                roles,
            })
        })
        .transpose()
    }

    fn known_referral(&self, source_ref: &str) -> Result<Option<KnownReferral>> {
        Ok(self
            .conn()
            .prepare_cached(sql::KNOWN_REFERRAL)?
            .query_row([source_ref], known_referral_from)
            .optional()?)
    }

    fn case_access(&self, subject: SubjectId) -> Result<Option<CaseAccess>> {
        let Some((owner, restricted)) = self
            .conn()
            .prepare_cached(sql::CASE_OWNER)?
            .query_row([subject.0], |r| {
                Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, bool>(1)?))
            })
            .optional()?
        else {
            return Ok(None);
        };
        let staff = |r: &Row| r.get(0).map(StaffId);
        let shared_with = self.all(sql::CASE_SHARES, subject.0, staff)?;
        let restricted_to = if restricted {
            Some(self.all(sql::CASE_RESTRICTED_TO, subject.0, staff)?)
        } else {
            None
        };
        Ok(Some(CaseAccess {
            owner: owner.map(OrgId),
            restricted_to,
            shared_with,
        }))
    }

    fn referral(&self, id: ReferralId) -> Result<Option<ReferralRow>> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "SELECT {} FROM referral WHERE id = $1",
                crate::writer::REFERRAL_COLUMNS
            ))?
            .query_row([id.0], referral_from)
            .optional()?)
    }

    fn subject(&self, id: SubjectId) -> Result<Option<SubjectRow>> {
        Ok(self
            .conn()
            .prepare_cached(crate::writer::SUBJECT_SELECT)?
            .query_row([id.0], subject_from)
            .optional()?)
    }

    fn links_of_subject(&self, subject: SubjectId) -> Result<Vec<LinkExplained>> {
        self.all(sql::LINKS_OF_SUBJECT, subject.0, |r| {
            Ok(LinkExplained {
                referral: r.get(1)?,
                kind: r.get(2)?,
                service: r.get(3)?,
                value: r.get(4)?,
                weight: r.get(5)?,
            })
        })
    }

    fn identifiers_of_referral(
        &self,
        referral: ReferralId,
    ) -> Result<Vec<(ReferralId, IdentifierRow, String)>> {
        self.all(sql::IDENTIFIERS_OF_REFERRAL, referral.0, |r| {
            Ok((ReferralId(r.get(0)?), identifier_from(r, 1)?, r.get(10)?))
        })
    }

    fn assessments_of_subject(&self, subject: SubjectId) -> Result<Vec<AssessmentRow>> {
        self.all(sql::ASSESSMENTS_OF_SUBJECT, subject.0, |r| {
            Ok(AssessmentRow {
                id: r.get(0)?,
                subject_id: SubjectId(r.get(1)?),
                tool_id: r.get(2)?,
                tool_version: r.get(3)?,
                answers: r.get(4)?,
                outcome: r.get(5)?,
                band: r.get(6)?,
                assessor: r.get(7)?,
                assessed_at: r.get(8)?,
                override_band: r.get(9)?,
                override_rationale: r.get(10)?,
                override_by: r.get(11)?,
                rescored_from: r.get(12)?,
            })
        })
    }

    fn decisions_of_subject(&self, subject: SubjectId) -> Result<Vec<DecisionRow>> {
        self.all(sql::DECISIONS_OF_SUBJECT, subject.0, |r| {
            Ok(DecisionRow {
                id: r.get(0)?,
                kind: r.get(1)?,
                subject_id: SubjectId(r.get(2)?),
                other_subject_id: SubjectId(r.get(3)?),
                referrals: r.get(4)?,
                rationale: r.get(5)?,
                actor: r.get(6)?,
                decided_at: r.get(7)?,
            })
        })
    }

    fn referral_versions(&self, id: ReferralId) -> Result<Vec<(i32, String, i64)>> {
        self.all(sql::REFERRAL_VERSIONS, id.0, |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
    }

    async fn commit(mut self) -> Result<()> {
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
    pub async fn session_by_token_hash(&mut self, token_hash: &str) -> Result<Option<SessionRow>> {
        match self {
            PageTx::Sqlite(r) => r.session_by_token_hash(token_hash),
            PageTx::Tx(tx) => tx.session_by_token_hash(token_hash).await,
        }
    }

    pub async fn staff_by_id(&mut self, id: StaffId) -> Result<Option<StaffRow>> {
        match self {
            PageTx::Sqlite(r) => r.staff_by_id(id),
            PageTx::Tx(tx) => tx.staff_by_id(id).await,
        }
    }

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

/// A page's read past the gate: the rusqlite reader, or a scoped transaction.
pub(crate) enum ScopedRead {
    Sqlite(ReadTx),
    Tx(Scoped),
}

impl ScopedRead {
    pub(crate) fn new(page: PageTx, scope: &Scope) -> ScopedRead {
        match page {
            PageTx::Sqlite(r) => ScopedRead::Sqlite(r),
            PageTx::Tx(tx) => ScopedRead::Tx(Scoped {
                tx,
                scope: scope.clone(),
                case: None,
            }),
        }
    }

    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            ScopedRead::Sqlite(r) => r.commit().await,
            ScopedRead::Tx(tx) => tx.commit().await,
        }
    }
}

/// Personal data: only the gate's handle reaches it.
impl ScopedPage {
    /// A referral found by [`PageTx::known_referral`], when the scope covers its case.
    pub async fn referral_in_scope(&mut self, id: ReferralId) -> Result<Option<ReferralRow>> {
        let found = match &mut self.page {
            ScopedRead::Sqlite(r) => r.referral(id)?,
            ScopedRead::Tx(tx) => tx.referrals_by_id(&[id]).await?.into_iter().next(),
        };
        match found {
            Some(r) if !self.scope.covers(r.subject_id, r.owner_org) => Err(StoreError::OutOfScope),
            found => Ok(found),
        }
    }

    pub async fn subject(&mut self, id: SubjectId) -> Result<Option<SubjectRow>> {
        let found = match &mut self.page {
            ScopedRead::Sqlite(r) => r.subject(id)?,
            ScopedRead::Tx(tx) => tx.subject(id).await?,
        };
        match found {
            Some(s) if !self.scope.covers(s.id, s.owner_org) => Err(StoreError::OutOfScope),
            found => Ok(found),
        }
    }

    pub async fn referral_refs_of_subject(&mut self, subject: SubjectId) -> Result<Vec<String>> {
        match &mut self.page {
            ScopedRead::Sqlite(r) => r.all(sql::REFERRAL_REFS_OF_SUBJECT, subject.0, |r| r.get(0)),
            ScopedRead::Tx(tx) => tx.referral_refs_of_subject(subject).await,
        }
    }

    pub async fn links_of_subject(&mut self, subject: SubjectId) -> Result<Vec<LinkExplained>> {
        match &mut self.page {
            ScopedRead::Sqlite(r) => r.links_of_subject(subject),
            ScopedRead::Tx(tx) => Ok(tx
                .links_of_subjects(&[subject])
                .await?
                .into_iter()
                .map(|(_, link)| link)
                .collect()),
        }
    }

    pub async fn identifiers_of_referral(
        &mut self,
        referral: ReferralId,
    ) -> Result<Vec<(ReferralId, IdentifierRow, String)>> {
        match &mut self.page {
            ScopedRead::Sqlite(r) => r.identifiers_of_referral(referral),
            ScopedRead::Tx(tx) => tx.identifiers_of_referrals(&[referral]).await,
        }
    }

    pub async fn assessments_of_subject(
        &mut self,
        subject: SubjectId,
    ) -> Result<Vec<AssessmentRow>> {
        match &mut self.page {
            ScopedRead::Sqlite(r) => r.assessments_of_subject(subject),
            ScopedRead::Tx(tx) => tx.assessments_of_subject(subject).await,
        }
    }

    pub async fn decisions_of_subject(&mut self, subject: SubjectId) -> Result<Vec<DecisionRow>> {
        match &mut self.page {
            ScopedRead::Sqlite(r) => r.decisions_of_subject(subject),
            ScopedRead::Tx(tx) => tx.decisions_of_subject(subject).await,
        }
    }

    pub async fn referral_versions(&mut self, id: ReferralId) -> Result<Vec<(i32, String, i64)>> {
        match &mut self.page {
            ScopedRead::Sqlite(r) => r.referral_versions(id),
            ScopedRead::Tx(tx) => tx.referral_versions(id).await,
        }
    }
}
