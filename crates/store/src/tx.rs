//! A transaction on either backend: the plain `Tx` (what is not personal data) here, and the personal-data
//! queries of the gate's handle by aggregate in the modules below. The row decoders and column lists are
//! shared by all of them.

mod assessments;
mod files;
mod identifiers;
mod referrals;
mod subjects;

use crate::appender::Deferred;
use crate::gate::Scoped;
use crate::reader::sql;
use crate::rows::*;
use crate::{Packed, Result, StoreError};
use severn_domain::ids::{IdentifierId, OrgId, ReferralId, SubjectId};
// Column lists are compile-time constants, so the formatted queries below carry no outside input.
use sqlx::{AssertSqlSafe, Postgres, QueryBuilder, Row, Sqlite, Transaction};

/// The PostgreSQL advisory lock that ingest batches take in turn ("SEVERN_I" in ASCII).
const INGEST_LOCK: i64 = 0x5345_5645_524E_5F49;

/// Rows per multi-row statement: well under both backends' bind-parameter limits.
const CHUNK: usize = 400;

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

impl AsTx for Scoped {
    fn as_tx(&mut self) -> &mut Tx {
        self
    }
}

const SUBJECT_COLUMNS: &str = "id, created_at, status, merged_into, provisional_band, assessment_id, band, \
     band_reason, clock_start_at, due_at, owner_org";
const REFERRAL_COLUMNS: &str = "id, source_ref, format, source, version, content_sha256, received_at, \
     clock_start_at, nca_reference, disseminated_at, incident_type, incident_at, platform, subject_id, band, \
     outcome, signals, document, owner_org";
const ASSESSMENT_COLUMNS: &str = "id, subject_id, tool_id, tool_version, answers, outcome, band, assessor, \
     assessed_at, override_band, override_rationale, override_by, rescored_from";

/// Binds each value of a chunk into the `IN (…)` list being written.
fn push_list<'t, DB: sqlx::Database, T>(q: &mut QueryBuilder<DB>, values: impl Iterator<Item = T>)
where
    T: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut list = q.separated(", ");
    for value in values {
        list.push_bind(value);
    }
}

fn subject_from<R: Row>(row: &R) -> Result<SubjectRow>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(SubjectRow {
        id: SubjectId(row.try_get(0)?),
        created_at: row.try_get(1)?,
        status: row.try_get(2)?,
        merged_into: row.try_get::<Option<i64>, _>(3)?.map(SubjectId),
        provisional_band: row.try_get(4)?,
        assessment_id: row.try_get(5)?,
        band: row.try_get(6)?,
        band_reason: row.try_get(7)?,
        clock_start_at: row.try_get(8)?,
        due_at: row.try_get(9)?,
        owner_org: row.try_get::<Option<i64>, _>(10)?.map(OrgId),
    })
}

fn referral_from<R: Row>(row: &R) -> Result<ReferralRow>
where
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(ReferralRow {
        id: ReferralId(row.try_get(0)?),
        source_ref: row.try_get(1)?,
        format: row.try_get(2)?,
        source: row.try_get(3)?,
        version: row.try_get(4)?,
        content_sha256: row.try_get(5)?,
        received_at: row.try_get(6)?,
        clock_start_at: row.try_get(7)?,
        nca_reference: row.try_get(8)?,
        disseminated_at: row.try_get(9)?,
        incident_type: row.try_get(10)?,
        incident_at: row.try_get(11)?,
        platform: row.try_get(12)?,
        subject_id: SubjectId(row.try_get(13)?),
        band: row.try_get(14)?,
        outcome: Packed::from_stored(row.try_get(15)?),
        signals: row.try_get(16)?,
        document: Packed::from_stored(row.try_get(17)?),
        owner_org: row.try_get::<Option<i64>, _>(18)?.map(OrgId),
    })
}

fn identifier_from<R: Row>(row: &R, at: usize) -> Result<IdentifierRow>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(IdentifierRow {
        id: IdentifierId(row.try_get(at)?),
        key: row.try_get(at + 1)?,
        kind: row.try_get(at + 2)?,
        service: row.try_get(at + 3)?,
        value: row.try_get(at + 4)?,
        placeholder: row.try_get(at + 5)?,
        common: row.try_get(at + 6)?,
        subject_id: row.try_get::<Option<i64>, _>(at + 7)?.map(SubjectId),
        owner_org: row.try_get::<Option<i64>, _>(at + 8)?.map(OrgId),
    })
}

fn reject_from<R: Row>(row: &R) -> Result<RejectRow>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(RejectRow {
        id: row.try_get(0)?,
        path: row.try_get(1)?,
        location: row.try_get(2)?,
        field: row.try_get(3)?,
        reason: row.try_get(4)?,
        context: row.try_get(5)?,
        rejected_at: row.try_get(6)?,
        resolved_at: row.try_get(7)?,
    })
}

fn assessment_from<R: Row>(row: &R) -> Result<AssessmentRow>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(AssessmentRow {
        id: row.try_get(0)?,
        subject_id: SubjectId(row.try_get(1)?),
        tool_id: row.try_get(2)?,
        tool_version: row.try_get(3)?,
        answers: row.try_get(4)?,
        outcome: row.try_get(5)?,
        band: row.try_get(6)?,
        assessor: row.try_get(7)?,
        assessed_at: row.try_get(8)?,
        override_band: row.try_get(9)?,
        override_rationale: row.try_get(10)?,
        override_by: row.try_get(11)?,
        rescored_from: row.try_get(12)?,
    })
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
            let next: i64 = sqlx::query_scalar(
                "UPDATE id_alloc SET next_id = next_id + $1 WHERE name = $2 RETURNING next_id",
            )
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
                let mut q = QueryBuilder::new(
                    "SELECT id, source_ref, content_sha256, version, subject_id, owner_org FROM referral WHERE source_ref IN (",
                );
                push_list(&mut q, chunk.iter().map(|r| r.as_str()));
                q.push(")");
                for row in q.build().fetch_all(&mut *conn).await? {
                    found.push(KnownReferral {
                        id: ReferralId(row.try_get(0)?),
                        source_ref: row.try_get(1)?,
                        content_sha256: row.try_get(2)?,
                        version: row.try_get(3)?,
                        subject_id: SubjectId(row.try_get(4)?),
                        owner_org: row.try_get::<Option<i64>, _>(5)?.map(OrgId),
                    });
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
            let row = sqlx::query("SELECT tool_id, version, source, loaded_at, active FROM risk_tool WHERE active")
                .fetch_optional(&mut *conn)
                .await?;
            row.map(|r| {
                Ok(RiskToolRow {
                    tool_id: r.try_get(0)?,
                    version: r.try_get(1)?,
                    source: r.try_get(2)?,
                    loaded_at: r.try_get(3)?,
                    active: r.try_get(4)?,
                })
            })
            .transpose()
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
