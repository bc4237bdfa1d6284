//! A sqlx transaction on either backend, and the `on!` macro that runs one body of query code on whichever it
//! is. The plain [`Tx`] reaches what is not personal data: ids, risk tools, counts (and, in other modules,
//! sign-in, organisations and the audit log); the personal-data queries are methods of the gate's handles.

use crate::decode;
use crate::deferred::Deferred;
use crate::rows::*;
use crate::sql;
use crate::{Result, StoreError};
use sqlx::{Postgres, QueryBuilder, Row, Sqlite, Transaction};

/// The PostgreSQL advisory lock that ingest batches take in turn ("SEVERN_I" in ASCII).
const INGEST_LOCK: i64 = 0x5345_5645_524E_5F49;

/// Rows per multi-row statement: well under both backends' bind-parameter limits.
pub(crate) const CHUNK: usize = 400;

pub enum Tx {
    /// On SQLite's writing connection.
    Sqlite(Transaction<'static, Sqlite>),
    /// A read on one of SQLite's read-only connections, with the audit entries it will hand to the appender
    /// when it commits.
    SqliteRead(Transaction<'static, Sqlite>, Deferred),
    Postgres(Transaction<'static, Postgres>),
    /// A read in a read-only PostgreSQL snapshot, with the audit entries it will hand to the appender when it
    /// commits.
    PostgresRead(Transaction<'static, Postgres>, Deferred),
}

/// Runs the same query code on whichever backend the transaction is on. The body is compiled once per
/// backend, so the query builders and row decoders are typed for each.
macro_rules! on {
    ($tx:expr, $conn:ident => $body:block) => {
        match $crate::tx::AsTx::as_tx(&mut *$tx) {
            $crate::Tx::Sqlite(tx) | $crate::Tx::SqliteRead(tx, _) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::Tx::Postgres(tx) | $crate::Tx::PostgresRead(tx, _) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}
pub(crate) use on;

/// The transaction under a handle: what [`on!`] runs its queries on.
pub(crate) trait AsTx {
    fn as_tx(&mut self) -> &mut Tx;
}

impl AsTx for Tx {
    fn as_tx(&mut self) -> &mut Tx {
        self
    }
}

/// Binds each value of a chunk into the `IN (…)` list being written.
pub(crate) fn push_list<'t, DB: sqlx::Database, T>(
    q: &mut QueryBuilder<DB>,
    values: impl Iterator<Item = T>,
) where
    T: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut list = q.separated(", ");
    for value in values {
        list.push_bind(value);
    }
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::SqliteRead(tx, deferred) => {
                // The snapshot is released first; the data read is already in memory.
                tx.commit().await?;
                deferred.flush().await?;
            }
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
        on!(self, conn => {
            let next: i64 = sqlx::query_scalar(sql::ALLOC_IDS)
            .bind(count)
            .bind(name)
            .fetch_one(&mut *conn)
            .await?;
            Ok(next - count)
        })
    }

    pub async fn known_referrals(&mut self, source_refs: &[String]) -> Result<Vec<KnownReferral>> {
        let mut found = Vec::new();
        for chunk in source_refs.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(format!(
                    "SELECT {} FROM referral WHERE source_ref IN (",
                    sql::KNOWN_REFERRAL_COLUMNS
                ));
                push_list(&mut q, chunk.iter().map(|r| r.as_str()));
                q.push(")");
                for row in q.build().fetch_all(&mut *conn).await? {
                    found.push(decode::known_referral(&row)?);
                }
            })
        }
        Ok(found)
    }
}

impl Tx {
    /// Stores a risk tool version; with `activate`, makes it the one new work is assessed with.
    pub async fn save_risk_tool(&mut self, t: &RiskToolRow) -> Result<()> {
        on!(self, conn => {
            let existing: Option<String> = sqlx::query_scalar(
                "SELECT source FROM risk_tool WHERE tool_id = $1 AND version = $2",
            )
            .bind(t.tool_id.as_str())
            .bind(t.version.as_str())
            .fetch_optional(&mut *conn)
            .await?;
            // Refuse a changed tool under a known version before touching which tool is active.
            if t.active && !matches!(&existing, Some(source) if source != &t.source) {
                sqlx::query("UPDATE risk_tool SET active = FALSE").execute(&mut *conn).await?;
            }
            match existing {
                Some(source) if source != t.source => {
                    return Err(StoreError::Corrupt(format!(
                        "risk tool {} version {} is already stored with different content; give the changed tool a new version",
                        t.tool_id, t.version
                    )));
                }
                Some(_) => {
                    sqlx::query("UPDATE risk_tool SET active = $3 WHERE tool_id = $1 AND version = $2")
                        .bind(t.tool_id.as_str())
                        .bind(t.version.as_str())
                        .bind(t.active)
                        .execute(&mut *conn)
                        .await?;
                }
                None => {
                    sqlx::query(
                        "INSERT INTO risk_tool (tool_id, version, source, loaded_at, active) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(t.tool_id.as_str())
                    .bind(t.version.as_str())
                    .bind(t.source.as_str())
                    .bind(t.loaded_at)
                    .bind(t.active)
                    .execute(&mut *conn)
                    .await?;
                }
            }
        });
        Ok(())
    }

    /// Makes other ingests' batches wait until this transaction ends, and this one wait for theirs
    /// (PostgreSQL; SQLite runs one write transaction at a time). A batch looks its identifiers up and then
    /// inserts the new ones: two batches doing so side by side would both insert one new value, and the
    /// second would fail on the unique index.
    pub async fn lock_for_ingest(&mut self) -> Result<()> {
        if let Tx::Postgres(tx) = self {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(INGEST_LOCK)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Makes other transactions that install a risk tool wait until this one ends (PostgreSQL; on SQLite every
    /// write transaction already holds the database's one write lock).
    pub async fn lock_risk_tools(&mut self) -> Result<()> {
        if let Tx::Postgres(tx) = self {
            sqlx::query("LOCK TABLE risk_tool IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    pub async fn active_risk_tool(&mut self) -> Result<Option<RiskToolRow>> {
        on!(self, conn => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {} FROM risk_tool WHERE active",
                sql::RISK_TOOL_COLUMNS
            )))
            .fetch_optional(&mut *conn)
            .await?;
            row.as_ref().map(decode::risk_tool).transpose()
        })
    }

    /// Counts of referrals, live subjects, identifiers and unresolved rejects.
    pub async fn counts(&mut self) -> Result<Counts> {
        on!(self, conn => {
            let row = sqlx::query(
                "SELECT (SELECT COUNT(*) FROM referral), (SELECT COUNT(*) FROM subject WHERE status <> 'merged'), \
                 (SELECT COUNT(*) FROM identifier), (SELECT COUNT(*) FROM reject WHERE resolved_at IS NULL)",
            )
            .fetch_one(&mut *conn)
            .await?;
            Ok(Counts {
                referrals: row.try_get(0)?,
                subjects: row.try_get(1)?,
                identifiers: row.try_get(2)?,
                open_rejects: row.try_get(3)?,
            })
        })
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
