//! A transaction on either backend ([`Tx`]) and what it reaches that is not personal data: ids, risk tools,
//! counts (and, in other modules, sign-in, organisations and the audit log); the personal-data queries are
//! methods of the gate's handles. On SQLite a transaction is a rusqlite one, on PostgreSQL a sqlx one; every
//! query runs through [`Conn`].

use crate::conn::{Built, Conn, args};
use crate::decode;
use crate::deferred::Deferred;
use crate::reader::ReadTx;
use crate::rows::*;
use crate::sql;
use crate::writer::WriteTx;
use crate::{Result, StoreError};
use sqlx::{Postgres, Transaction};

/// The PostgreSQL advisory lock that ingest batches take in turn ("SEVERN_I" in ASCII).
const INGEST_LOCK: i64 = 0x5345_5645_524E_5F49;

/// Rows per multi-row statement: well under both backends' bind-parameter limits.
pub(crate) const CHUNK: usize = 400;

pub enum Tx {
    /// On SQLite's writing connection.
    Sqlite(WriteTx),
    /// A read on one of SQLite's read-only connections, with the audit entries it will hand to the appender
    /// when it commits.
    SqliteRead(ReadTx),
    Postgres(Transaction<'static, Postgres>),
    /// A read in a read-only PostgreSQL snapshot, with the audit entries it will hand to the appender when it
    /// commits.
    PostgresRead(Transaction<'static, Postgres>, Deferred),
}

impl Tx {
    /// The connection the transaction's statements run on.
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(tx) => Conn::Sqlite(tx.conn()),
            Tx::SqliteRead(read) => Conn::Sqlite(read.conn()),
            Tx::Postgres(tx) | Tx::PostgresRead(tx, _) => Conn::Postgres(tx),
        }
    }

    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self, Tx::Postgres(_) | Tx::PostgresRead(..))
    }

    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit()?,
            Tx::SqliteRead(read) => read.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
            Tx::PostgresRead(tx, deferred) => {
                // The connection goes back to the pool first: it is not needed while the entries are written.
                tx.commit().await?;
                deferred.flush().await?;
            }
        }
        Ok(())
    }

    /// Reserves `count` consecutive ids for `name` and returns the first. The row lock this takes also
    /// serialises concurrent ingests on PostgreSQL, which linking needs.
    pub async fn alloc_ids(&mut self, name: &str, count: usize) -> Result<i64> {
        let count = count as i64;
        let next = self
            .conn()
            .one(sql::ALLOC_IDS, &args![count, name], |r| r.i64(0))
            .await?;
        Ok(next - count)
    }

    /// The referral with this source reference, in its light form (no personal data).
    pub async fn known_referral(&mut self, source_ref: &str) -> Result<Option<KnownReferral>> {
        self.conn()
            .optional(
                sql::KNOWN_REFERRAL,
                &args![source_ref],
                decode::known_referral,
            )
            .await
    }

    pub async fn known_referrals(&mut self, source_refs: &[String]) -> Result<Vec<KnownReferral>> {
        let mut found = Vec::new();
        for chunk in source_refs.chunks(CHUNK) {
            let mut q = Built::new(format!(
                "SELECT {} FROM referral WHERE source_ref IN (",
                sql::KNOWN_REFERRAL_COLUMNS
            ));
            q.list(chunk).push(")");
            found.extend(self.conn().all_built(&q, decode::known_referral).await?);
        }
        Ok(found)
    }
}

impl Tx {
    /// Stores a risk tool version; with `activate`, makes it the one new work is assessed with.
    pub async fn save_risk_tool(&mut self, t: &RiskToolRow) -> Result<()> {
        let mut conn = self.conn();
        let existing = conn
            .optional(
                "SELECT source FROM risk_tool WHERE tool_id = $1 AND version = $2",
                &args![&t.tool_id, &t.version],
                |r| r.text(0),
            )
            .await?;
        // Refuse a changed tool under a known version before touching which tool is active.
        if let Some(source) = &existing
            && source != &t.source
        {
            return Err(StoreError::Corrupt(format!(
                "risk tool {} version {} is already stored with different content; give the changed tool a new version",
                t.tool_id, t.version
            )));
        }
        if t.active {
            conn.execute("UPDATE risk_tool SET active = FALSE", &[])
                .await?;
        }
        let tool = args![&t.tool_id, &t.version, t.active, &t.source, t.loaded_at];
        match existing {
            Some(_) => {
                conn.execute(
                    "UPDATE risk_tool SET active = $3 WHERE tool_id = $1 AND version = $2",
                    &tool[..3],
                )
                .await?
            }
            None => {
                conn.execute(
                    "INSERT INTO risk_tool (tool_id, version, active, source, loaded_at) VALUES ($1, $2, $3, $4, $5)",
                    &tool,
                )
                .await?
            }
        };
        Ok(())
    }

    /// Makes other ingests' batches wait until this transaction ends, and this one wait for theirs
    /// (PostgreSQL; SQLite runs one write transaction at a time). A batch looks its identifiers up and then
    /// inserts the new ones: two batches doing so side by side would both insert one new value, and the
    /// second would fail on the unique index.
    pub async fn lock_for_ingest(&mut self) -> Result<()> {
        if let Tx::Postgres(_) = self {
            self.conn()
                .execute("SELECT pg_advisory_xact_lock($1)", &args![INGEST_LOCK])
                .await?;
        }
        Ok(())
    }

    /// Makes other transactions that install a risk tool wait until this one ends (PostgreSQL; on SQLite every
    /// write transaction already holds the database's one write lock).
    pub async fn lock_risk_tools(&mut self) -> Result<()> {
        if let Tx::Postgres(_) = self {
            self.conn()
                .execute("LOCK TABLE risk_tool IN SHARE ROW EXCLUSIVE MODE", &[])
                .await?;
        }
        Ok(())
    }

    pub async fn active_risk_tool(&mut self) -> Result<Option<RiskToolRow>> {
        self.conn()
            .optional(sql::ACTIVE_RISK_TOOL, &[], decode::risk_tool)
            .await
    }

    /// Counts of referrals, live subjects, identifiers and unresolved rejects.
    pub async fn counts(&mut self) -> Result<Counts> {
        self.conn()
            .one(
                "SELECT (SELECT COUNT(*) FROM referral), (SELECT COUNT(*) FROM subject WHERE status <> 'merged'), \
                 (SELECT COUNT(*) FROM identifier), (SELECT COUNT(*) FROM reject WHERE resolved_at IS NULL)",
                &[],
                |r| {
                    Ok(Counts {
                        referrals: r.i64(0)?,
                        subjects: r.i64(1)?,
                        identifiers: r.i64(2)?,
                        open_rejects: r.i64(3)?,
                    })
                },
            )
            .await
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileDetailOutcome {
    Inserted,
    Updated,
    Duplicate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub referrals: i64,
    pub subjects: i64,
    pub identifiers: i64,
    pub open_rejects: i64,
}
