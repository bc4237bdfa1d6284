//! A transaction on either backend, with every query Severn makes.

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

/// Personal data: only the gate's handle reaches it.
impl Scoped {
    /// Inserts identifiers not seen before, with the subject they already point at and their common flag.
    pub async fn insert_identifiers(&mut self, rows: &[IdentifierRow]) -> Result<()> {
        let hashed = self.finds_identifiers_by_hash();
        for chunk in rows.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(
                    "INSERT INTO identifier (id, key, kind, service, value, placeholder, common, subject_id, owner_org",
                );
                q.push(if hashed { ", key_hash) " } else { ") " });
                q.push_values(chunk, |mut b, r| {
                    b.push_bind(r.id.0)
                        .push_bind(r.key.as_str())
                        .push_bind(r.kind.as_str())
                        .push_bind(r.service.as_deref())
                        .push_bind(r.value.as_str())
                        .push_bind(r.placeholder)
                        .push_bind(r.common)
                        .push_bind(r.subject_id.map(|s| s.0))
                        .push_bind(r.owner_org.map(|o| o.0));
                    if hashed {
                        b.push_bind(identifier_key_hash(&r.key));
                    }
                });
                q.build().execute(&mut *conn).await?;
            })
        }
        Ok(())
    }

    /// SQLite indexes identifiers by the hash of their key, PostgreSQL by the key (migration 0005).
    pub(crate) fn finds_identifiers_by_hash(&self) -> bool {
        !matches!(**self, Tx::Postgres(_) | Tx::PostgresRead(..))
    }

    /// The identifiers with these keys, of every owner: one row per key and owning force.
    pub async fn identifiers_by_key(&mut self, keys: &[String]) -> Result<Vec<IdentifierRow>> {
        let hashed = self.finds_identifiers_by_hash();
        let mut rows = Vec::new();
        for chunk in keys.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(
                    "SELECT id, key, kind, service, value, placeholder, common, subject_id, owner_org FROM identifier WHERE ",
                );
                if hashed {
                    q.push("key_hash IN (");
                    push_list(&mut q, chunk.iter().map(|k| identifier_key_hash(k)));
                } else {
                    q.push("key IN (");
                    push_list(&mut q, chunk.iter().map(|k| k.as_str()));
                }
                q.push(")");
                for row in q.build().fetch_all(&mut *conn).await? {
                    let row = identifier_from(&row, 0)?;
                    // A hash shared with a key not asked for.
                    if !hashed || chunk.contains(&row.key) {
                        rows.push(row);
                    }
                }
            })
        }
        Ok(rows)
    }

    /// Records that these identifiers were seen with these ESP accounts, and returns, for each identifier
    /// given, how many distinct accounts it has now been seen with (the frequency test for placeholders).
    pub async fn record_identifier_accounts(
        &mut self,
        pairs: &[(IdentifierId, IdentifierId)],
    ) -> Result<Vec<(IdentifierId, i64)>> {
        for chunk in pairs.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new("INSERT INTO identifier_account (identifier_id, account_id) ");
                q.push_values(chunk, |mut b, (identifier, account)| {
                    b.push_bind(identifier.0).push_bind(account.0);
                });
                q.push(" ON CONFLICT DO NOTHING");
                q.build().execute(&mut *conn).await?;
            })
        }
        let mut ids: Vec<i64> = pairs.iter().map(|(i, _)| i.0).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut counts = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(
                    "SELECT identifier_id, COUNT(*) FROM identifier_account WHERE identifier_id IN (",
                );
                push_list(&mut q, chunk.iter().copied());
                q.push(") GROUP BY identifier_id");
                for row in q.build().fetch_all(&mut *conn).await? {
                    counts.push((IdentifierId(row.try_get(0)?), row.try_get::<i64, _>(1)?));
                }
            })
        }
        Ok(counts)
    }

    /// Marks identifiers as common (shared or placeholder values): they point at no subject and stop linking.
    pub async fn mark_common(&mut self, ids: &[IdentifierId]) -> Result<()> {
        for chunk in ids.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new("UPDATE identifier SET common = TRUE, subject_id = NULL WHERE id IN (");
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(")");
                q.build().execute(&mut *conn).await?;
            })
        }
        Ok(())
    }

    /// Points identifiers at the subject that now carries them.
    pub async fn set_identifier_subjects(
        &mut self,
        pairs: &[(IdentifierId, SubjectId)],
    ) -> Result<()> {
        for chunk in pairs.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new("WITH v (id, subject_id) AS (");
                q.push_values(chunk, |mut b, (identifier, subject)| {
                    b.push("CAST(")
                        .push_bind_unseparated(identifier.0)
                        .push_unseparated(" AS BIGINT)")
                        .push("CAST(")
                        .push_bind_unseparated(subject.0)
                        .push_unseparated(" AS BIGINT)");
                });
                q.push(
                    ") UPDATE identifier SET subject_id = (SELECT v.subject_id FROM v WHERE v.id = identifier.id) \
                     WHERE id IN (SELECT id FROM v)",
                );
                q.build().execute(&mut *conn).await?;
            })
        }
        Ok(())
    }

    pub async fn insert_subjects(&mut self, subjects: &[SubjectRow]) -> Result<()> {
        for chunk in subjects.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(format!("INSERT INTO subject ({SUBJECT_COLUMNS}) "));
                q.push_values(chunk, |mut b, s| {
                    b.push_bind(s.id.0)
                        .push_bind(s.created_at)
                        .push_bind(s.status.as_str())
                        .push_bind(s.merged_into.map(|m| m.0))
                        .push_bind(s.provisional_band.as_str())
                        .push_bind(s.assessment_id)
                        .push_bind(s.band.as_str())
                        .push_bind(s.band_reason.as_str())
                        .push_bind(s.clock_start_at)
                        .push_bind(s.due_at)
                        .push_bind(s.owner_org.map(|o| o.0));
                });
                q.build().execute(&mut *conn).await?;
            })
        }
        Ok(())
    }

    /// Writes many subjects' current state in one statement per chunk.
    pub async fn update_subjects(&mut self, subjects: &[SubjectRow]) -> Result<()> {
        for chunk in subjects.chunks(CHUNK / 2) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(format!("INSERT INTO subject ({SUBJECT_COLUMNS}) "));
                q.push_values(chunk, |mut b, s| {
                    b.push_bind(s.id.0)
                        .push_bind(s.created_at)
                        .push_bind(s.status.as_str())
                        .push_bind(s.merged_into.map(|m| m.0))
                        .push_bind(s.provisional_band.as_str())
                        .push_bind(s.assessment_id)
                        .push_bind(s.band.as_str())
                        .push_bind(s.band_reason.as_str())
                        .push_bind(s.clock_start_at)
                        .push_bind(s.due_at)
                        .push_bind(s.owner_org.map(|o| o.0));
                });
                q.push(
                    " ON CONFLICT (id) DO UPDATE SET status = excluded.status, merged_into = excluded.merged_into, \
                     provisional_band = excluded.provisional_band, assessment_id = excluded.assessment_id, \
                     band = excluded.band, band_reason = excluded.band_reason, \
                     clock_start_at = excluded.clock_start_at, due_at = excluded.due_at, \
                     owner_org = COALESCE(subject.owner_org, excluded.owner_org)",
                );
                q.build().execute(&mut *conn).await?;
            })
        }
        Ok(())
    }

    pub async fn update_subject(&mut self, s: &SubjectRow) -> Result<()> {
        on!(self, conn => {
            sqlx::query(
                "UPDATE subject SET status = $2, merged_into = $3, provisional_band = $4, assessment_id = $5, \
                 band = $6, band_reason = $7, clock_start_at = $8, due_at = $9 WHERE id = $1",
            )
            .bind(s.id.0)
            .bind(s.status.as_str())
            .bind(s.merged_into.map(|m| m.0))
            .bind(s.provisional_band.as_str())
            .bind(s.assessment_id)
            .bind(s.band.as_str())
            .bind(s.band_reason.as_str())
            .bind(s.clock_start_at)
            .bind(s.due_at)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    pub async fn subjects(&mut self, ids: &[SubjectId]) -> Result<Vec<SubjectRow>> {
        let mut rows = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(format!("SELECT {SUBJECT_COLUMNS} FROM subject WHERE id IN ("));
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(")");
                for row in q.build().fetch_all(&mut *conn).await? {
                    rows.push(subject_from(&row)?);
                }
            })
        }
        Ok(rows)
    }

    pub async fn subject(&mut self, id: SubjectId) -> Result<Option<SubjectRow>> {
        Ok(self.subjects(&[id]).await?.into_iter().next())
    }

    /// Open subjects in the scope's force, soonest due first (overdue work first), at most `limit`.
    pub async fn queue(&mut self, limit: i64) -> Result<Vec<SubjectRow>> {
        let owner = self.scope().list_owner()?;
        on!(self, conn => {
            let rows = match owner {
                Some(org) => sqlx::query(AssertSqlSafe(format!(
                    "SELECT {SUBJECT_COLUMNS} FROM subject WHERE owner_org = $2 AND status = 'open' \
                     ORDER BY due_at, id LIMIT $1"
                )))
                .bind(limit)
                .bind(org.0),
                None => sqlx::query(AssertSqlSafe(format!(
                    "SELECT {SUBJECT_COLUMNS} FROM subject WHERE status = 'open' ORDER BY due_at, id LIMIT $1"
                )))
                .bind(limit),
            }
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(subject_from).collect()
        })
    }

    /// Every subject id that is not merged away, in id order, after `after`, at most `limit`.
    pub async fn live_subject_ids(
        &mut self,
        after: SubjectId,
        limit: i64,
    ) -> Result<Vec<SubjectId>> {
        let owner = self.scope().list_owner()?;
        on!(self, conn => {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM subject WHERE status <> 'merged' AND id > $1 AND ($3 IS NULL OR owner_org = $3) \
                 ORDER BY id LIMIT $2",
            )
            .bind(after.0)
            .bind(limit)
            .bind(owner.map(|o| o.0))
            .fetch_all(&mut *conn)
            .await?;
            Ok(ids.into_iter().map(SubjectId).collect())
        })
    }

    pub async fn insert_referrals(&mut self, referrals: &[ReferralRow]) -> Result<()> {
        for chunk in referrals.chunks(CHUNK / 2) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(format!("INSERT INTO referral ({REFERRAL_COLUMNS}) "));
                q.push_values(chunk, |mut b, r| {
                    b.push_bind(r.id.0)
                        .push_bind(r.source_ref.as_str())
                        .push_bind(r.format.as_str())
                        .push_bind(r.source.as_str())
                        .push_bind(r.version)
                        .push_bind(r.content_sha256.as_str())
                        .push_bind(r.received_at)
                        .push_bind(r.clock_start_at)
                        .push_bind(r.nca_reference.as_deref())
                        .push_bind(r.disseminated_at)
                        .push_bind(r.incident_type.as_deref())
                        .push_bind(r.incident_at)
                        .push_bind(r.platform.as_deref())
                        .push_bind(r.subject_id.0)
                        .push_bind(r.band.as_str())
                        .push_bind(r.outcome.as_stored())
                        .push_bind(r.signals.as_str())
                        .push_bind(r.document.as_stored())
                        .push_bind(r.owner_org.map(|o| o.0));
                });
                q.build().execute(&mut *conn).await?;
            })
        }
        Ok(())
    }

    /// Replaces a referral's document with a changed version, keeping the previous one in `referral_version`.
    pub async fn record_new_version(
        &mut self,
        previous: &ReferralRow,
        next: &ReferralRow,
    ) -> Result<()> {
        on!(self, conn => {
            sqlx::query(
                "INSERT INTO referral_version (referral_id, version, content_sha256, received_at, document) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(previous.id.0)
            .bind(previous.version)
            .bind(previous.content_sha256.as_str())
            .bind(previous.received_at)
            .bind(previous.document.as_stored())
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "UPDATE referral SET version = $2, content_sha256 = $3, received_at = $4, incident_type = $5, \
                 incident_at = $6, platform = $7, band = $8, outcome = $9, signals = $10, document = $11 \
                 WHERE id = $1",
            )
            .bind(previous.id.0)
            .bind(next.version)
            .bind(next.content_sha256.as_str())
            .bind(next.received_at)
            .bind(next.incident_type.as_deref())
            .bind(next.incident_at)
            .bind(next.platform.as_deref())
            .bind(next.band.as_str())
            .bind(next.outcome.as_stored())
            .bind(next.signals.as_str())
            .bind(next.document.as_stored())
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Stores a referral's recomputed risk (after file details arrived for it).
    pub async fn update_referral_risk(&mut self, r: &ReferralRow) -> Result<()> {
        on!(self, conn => {
            sqlx::query("UPDATE referral SET band = $2, outcome = $3, signals = $4, document = $5 WHERE id = $1")
                .bind(r.id.0)
                .bind(r.band.as_str())
                .bind(r.outcome.as_stored())
                .bind(r.signals.as_str())
                .bind(r.document.as_stored())
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    /// Earlier versions of a referral, oldest first: (version, sha256, received_at).
    pub async fn referral_versions(&mut self, id: ReferralId) -> Result<Vec<(i32, String, i64)>> {
        on!(self, conn => {
            let rows = sqlx::query(sql::REFERRAL_VERSIONS)
            .bind(id.0)
            .fetch_all(&mut *conn)
            .await?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                .collect()
        })
    }

    pub async fn referral_by_source_ref(
        &mut self,
        source_ref: &str,
    ) -> Result<Option<ReferralRow>> {
        on!(self, conn => {
            let row = sqlx::query(AssertSqlSafe(format!("SELECT {REFERRAL_COLUMNS} FROM referral WHERE source_ref = $1")))
                .bind(source_ref)
                .fetch_optional(&mut *conn)
                .await?;
            row.as_ref().map(referral_from).transpose()
        })
    }

    /// A referral, when the scope covers its case.
    pub async fn referral_in_scope(&mut self, source_ref: &str) -> Result<Option<ReferralRow>> {
        match self.referral_by_source_ref(source_ref).await? {
            Some(r) if !self.scope().covers(r.subject_id, r.owner_org) => {
                Err(StoreError::OutOfScope)
            }
            found => Ok(found),
        }
    }

    /// Referrals with ids above `after`, in id order, at most `limit`: for passes over every referral.
    pub async fn referrals_after(&mut self, after: i64, limit: i64) -> Result<Vec<ReferralRow>> {
        on!(self, conn => {
            let rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT {REFERRAL_COLUMNS} FROM referral WHERE id > $1 ORDER BY id LIMIT $2"
            )))
            .bind(after)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(referral_from).collect()
        })
    }

    /// (referral id, source reference, subject) above `after`, in id order: the light form for exports.
    pub async fn referral_subjects_after(
        &mut self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String, SubjectId)>> {
        on!(self, conn => {
            let rows = sqlx::query("SELECT id, source_ref, subject_id FROM referral WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(after)
                .bind(limit)
                .fetch_all(&mut *conn)
                .await?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, SubjectId(r.try_get(2)?))))
                .collect()
        })
    }

    pub async fn referrals_by_id(&mut self, ids: &[ReferralId]) -> Result<Vec<ReferralRow>> {
        let mut rows = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(format!("SELECT {REFERRAL_COLUMNS} FROM referral WHERE id IN ("));
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(") ORDER BY id");
                for row in q.build().fetch_all(&mut *conn).await? {
                    rows.push(referral_from(&row)?);
                }
            })
        }
        Ok(rows)
    }

    pub async fn referrals_of_subjects(
        &mut self,
        subjects: &[SubjectId],
    ) -> Result<Vec<ReferralRow>> {
        let mut rows = Vec::new();
        for chunk in subjects.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(format!(
                    "SELECT {REFERRAL_COLUMNS} FROM referral WHERE subject_id IN ("
                ));
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(") ORDER BY id");
                for row in q.build().fetch_all(&mut *conn).await? {
                    rows.push(referral_from(&row)?);
                }
            })
        }
        Ok(rows)
    }

    /// The source references of a subject's referrals, in arrival order: the light form for pages.
    pub async fn referral_refs_of_subject(&mut self, subject: SubjectId) -> Result<Vec<String>> {
        on!(self, conn => {
            Ok(sqlx::query_scalar(sql::REFERRAL_REFS_OF_SUBJECT)
                .bind(subject.0)
                .fetch_all(&mut *conn)
                .await?)
        })
    }

    pub async fn move_referrals(&mut self, referrals: &[ReferralId], to: SubjectId) -> Result<()> {
        for chunk in referrals.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new("UPDATE referral SET subject_id = ");
                q.push_bind(to.0).push(" WHERE id IN (");
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(")");
                q.build().execute(&mut *conn).await?;
            })
        }
        Ok(())
    }

    pub async fn insert_referral_identifiers(
        &mut self,
        rows: &[ReferralIdentifierRow],
    ) -> Result<()> {
        for chunk in rows.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new("INSERT INTO referral_identifier (referral_id, identifier_id, role) ");
                q.push_values(chunk, |mut b, r| {
                    b.push_bind(r.referral_id.0)
                        .push_bind(r.identifier_id.0)
                        .push_bind(r.role.as_str());
                });
                q.push(" ON CONFLICT DO NOTHING");
                q.build().execute(&mut *conn).await?;
            })
        }
        Ok(())
    }

    /// The identifiers of these referrals: (referral, identifier row, role).
    pub async fn identifiers_of_referrals(
        &mut self,
        referrals: &[ReferralId],
    ) -> Result<Vec<(ReferralId, IdentifierRow, String)>> {
        let mut rows = Vec::new();
        for chunk in referrals.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(
                    "SELECT ri.referral_id, i.id, i.key, i.kind, i.service, i.value, i.placeholder, i.common, i.subject_id, i.owner_org, ri.role \
                     FROM referral_identifier ri JOIN identifier i ON i.id = ri.identifier_id WHERE ri.referral_id IN (",
                );
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(") ORDER BY ri.referral_id, i.kind, i.value");
                for row in q.build().fetch_all(&mut *conn).await? {
                    rows.push((ReferralId(row.try_get(0)?), identifier_from(&row, 1)?, row.try_get(10)?));
                }
            })
        }
        Ok(rows)
    }

    pub async fn insert_links(&mut self, links: &[LinkRow]) -> Result<()> {
        for chunk in links.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(
                    "INSERT INTO subject_link (referral_id, identifier_id, weight, linked_at) ",
                );
                q.push_values(chunk, |mut b, l| {
                    b.push_bind(l.referral_id.0)
                        .push_bind(l.identifier_id.0)
                        .push_bind(l.weight)
                        .push_bind(l.linked_at);
                });
                q.push(" ON CONFLICT DO NOTHING");
                q.build().execute(&mut *conn).await?;
            })
        }
        Ok(())
    }

    /// Drops the link explanations of these referrals (before they are linked afresh).
    pub async fn delete_links_of_referrals(&mut self, referrals: &[ReferralId]) -> Result<()> {
        for chunk in referrals.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new("DELETE FROM subject_link WHERE referral_id IN (");
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(")");
                q.build().execute(&mut *conn).await?;
            })
        }
        Ok(())
    }

    /// Why each referral of these subjects is in its subject: (subject, explanation).
    pub async fn links_of_subjects(
        &mut self,
        subjects: &[SubjectId],
    ) -> Result<Vec<(SubjectId, LinkExplained)>> {
        let mut out = Vec::new();
        for chunk in subjects.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(
                    "SELECT r.subject_id, r.source_ref, i.kind, i.service, i.value, l.weight FROM referral r \
                     JOIN subject_link l ON l.referral_id = r.id JOIN identifier i ON i.id = l.identifier_id \
                     WHERE r.subject_id IN (",
                );
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(") ORDER BY r.subject_id, r.id, l.weight DESC, i.kind, i.value");
                for r in q.build().fetch_all(&mut *conn).await? {
                    out.push((
                        SubjectId(r.try_get(0)?),
                        LinkExplained {
                            referral: r.try_get(1)?,
                            kind: r.try_get(2)?,
                            service: r.try_get(3)?,
                            value: r.try_get(4)?,
                            weight: r.try_get(5)?,
                        },
                    ));
                }
            })
        }
        Ok(out)
    }

    /// Every identifier on the referrals of these subjects: (subject, identifier).
    pub async fn identifiers_of_subjects(
        &mut self,
        subjects: &[SubjectId],
    ) -> Result<Vec<(SubjectId, IdentifierOnReferral)>> {
        let mut out = Vec::new();
        for chunk in subjects.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(
                    "SELECT r.subject_id, r.source_ref, i.kind, i.service, i.value, ri.role, i.placeholder, i.common \
                     FROM referral r JOIN referral_identifier ri ON ri.referral_id = r.id \
                     JOIN identifier i ON i.id = ri.identifier_id WHERE r.subject_id IN (",
                );
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(") ORDER BY r.subject_id, r.id, ri.role, i.kind, i.value");
                for r in q.build().fetch_all(&mut *conn).await? {
                    let placeholder: bool = r.try_get(6)?;
                    let common: bool = r.try_get(7)?;
                    out.push((
                        SubjectId(r.try_get(0)?),
                        IdentifierOnReferral {
                            referral: r.try_get(1)?,
                            kind: r.try_get(2)?,
                            service: r.try_get(3)?,
                            value: r.try_get(4)?,
                            role: r.try_get(5)?,
                            placeholder: placeholder || common,
                        },
                    ));
                }
            })
        }
        Ok(out)
    }

    /// How many referrals each of these subjects holds.
    pub async fn referral_counts(
        &mut self,
        subjects: &[SubjectId],
    ) -> Result<Vec<(SubjectId, i64)>> {
        let mut out = Vec::new();
        for chunk in subjects.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new("SELECT subject_id, COUNT(*) FROM referral WHERE subject_id IN (");
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(") GROUP BY subject_id");
                for r in q.build().fetch_all(&mut *conn).await? {
                    out.push((SubjectId(r.try_get(0)?), r.try_get(1)?));
                }
            })
        }
        Ok(out)
    }

    /// Which of these subjects are restricted to named people: lists show such a case without its details.
    pub async fn restricted_among(
        &mut self,
        subjects: &[SubjectId],
    ) -> Result<std::collections::HashSet<SubjectId>> {
        let mut out = std::collections::HashSet::new();
        for chunk in subjects.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new("SELECT id FROM subject WHERE restricted AND id IN (");
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(")");
                for r in q.build().fetch_all(&mut *conn).await? {
                    out.insert(SubjectId(r.try_get(0)?));
                }
            })
        }
        Ok(out)
    }

    /// Moves the referrals and assessments of `from` into `into` and marks `from` merged. Identifiers that
    /// point at `from` are left: readers follow `merged_into` (see [`Tx::resolve_subjects`]).
    pub async fn merge_subject(&mut self, from: SubjectId, into: SubjectId) -> Result<()> {
        on!(self, conn => {
            for sql in [
                "UPDATE referral SET subject_id = $2 WHERE subject_id = $1",
                "UPDATE assessment SET subject_id = $2 WHERE subject_id = $1",
                "UPDATE subject SET status = 'merged', merged_into = $2 WHERE id = $1",
            ] {
                sqlx::query(sql).bind(from.0).bind(into.0).execute(&mut *conn).await?;
            }
        });
        Ok(())
    }

    /// The subject each of these subjects now is: itself, or where its merges led. Ids with no subject are
    /// left out.
    pub async fn resolve_subjects(
        &mut self,
        ids: &[SubjectId],
    ) -> Result<std::collections::HashMap<SubjectId, SubjectRow>> {
        let mut loaded: std::collections::HashMap<SubjectId, SubjectRow> =
            std::collections::HashMap::new();
        let mut pending: Vec<SubjectId> = ids.to_vec();
        // Each round loads the subjects merges point at; chains are short, the bound guards against a cycle.
        for _ in 0..64 {
            pending.retain(|id| !loaded.contains_key(id));
            pending.sort_unstable();
            pending.dedup();
            if pending.is_empty() {
                break;
            }
            let rows = self.subjects(&pending).await?;
            pending.clear();
            for row in rows {
                pending.extend(row.merged_into);
                loaded.insert(row.id, row);
            }
        }
        let mut resolved = std::collections::HashMap::new();
        for id in ids {
            let mut at = *id;
            for _ in 0..64 {
                match loaded.get(&at).and_then(|row| row.merged_into) {
                    Some(into) => at = into,
                    None => break,
                }
            }
            if let Some(row) = loaded.get(&at) {
                resolved.insert(*id, row.clone());
            }
        }
        Ok(resolved)
    }

    /// Pairs of subjects that an investigator has said are different people, among these subjects.
    pub async fn separations(
        &mut self,
        subjects: &[SubjectId],
    ) -> Result<Vec<(SubjectId, SubjectId)>> {
        let mut pairs = Vec::new();
        for chunk in subjects.chunks(CHUNK / 2) {
            on!(self, conn => {
                let mut q = QueryBuilder::new("SELECT subject_a, subject_b FROM subject_separation WHERE subject_a IN (");
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(") OR subject_b IN (");
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(")");
                for row in q.build().fetch_all(&mut *conn).await? {
                    pairs.push((SubjectId(row.try_get(0)?), SubjectId(row.try_get(1)?)));
                }
            })
        }
        Ok(pairs)
    }

    pub async fn add_separation(&mut self, a: SubjectId, b: SubjectId) -> Result<()> {
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        on!(self, conn => {
            sqlx::query("INSERT INTO subject_separation (subject_a, subject_b) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(a.0)
                .bind(b.0)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    pub async fn remove_separation(&mut self, a: SubjectId, b: SubjectId) -> Result<()> {
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        on!(self, conn => {
            sqlx::query("DELETE FROM subject_separation WHERE subject_a = $1 AND subject_b = $2")
                .bind(a.0)
                .bind(b.0)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    /// Re-points separations that named `from` (now merged into `into`) at `into`.
    pub async fn carry_separations(&mut self, from: SubjectId, into: SubjectId) -> Result<()> {
        let pairs = self.separations(&[from]).await?;
        for (a, b) in pairs {
            let other = if a == from { b } else { a };
            if other != into {
                self.add_separation(into, other).await?;
            }
        }
        Ok(())
    }

    pub async fn insert_decision(&mut self, d: &DecisionRow) -> Result<()> {
        on!(self, conn => {
            sqlx::query(
                "INSERT INTO subject_decision (id, kind, subject_id, other_subject_id, referrals, rationale, actor, \
                 decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(d.id)
            .bind(d.kind.as_str())
            .bind(d.subject_id.0)
            .bind(d.other_subject_id.0)
            .bind(d.referrals.as_str())
            .bind(d.rationale.as_str())
            .bind(d.actor.as_str())
            .bind(d.decided_at)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Decisions that concern these subjects, oldest first.
    pub async fn decisions_of_subject(&mut self, subject: SubjectId) -> Result<Vec<DecisionRow>> {
        on!(self, conn => {
            let rows = sqlx::query(sql::DECISIONS_OF_SUBJECT)
            .bind(subject.0)
            .fetch_all(&mut *conn)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(DecisionRow {
                        id: r.try_get(0)?,
                        kind: r.try_get(1)?,
                        subject_id: SubjectId(r.try_get(2)?),
                        other_subject_id: SubjectId(r.try_get(3)?),
                        referrals: r.try_get(4)?,
                        rationale: r.try_get(5)?,
                        actor: r.try_get(6)?,
                        decided_at: r.try_get(7)?,
                    })
                })
                .collect()
        })
    }

    /// Inserts file-details documents not stored before.
    pub async fn insert_file_details(&mut self, rows: &[FileDetailRow]) -> Result<()> {
        for chunk in rows.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(
                    "INSERT INTO file_detail (source_ref, file_id, content_sha256, received_at, document) ",
                );
                q.push_values(chunk, |mut b, f| {
                    b.push_bind(f.source_ref.as_str())
                        .push_bind(f.file_id.as_str())
                        .push_bind(f.content_sha256.as_str())
                        .push_bind(f.received_at)
                        .push_bind(f.document.as_str());
                });
                q.build().execute(&mut *conn).await?;
            })
        }
        Ok(())
    }

    /// Stores a file-details document; returns false when that exact document was already stored.
    pub async fn upsert_file_detail(&mut self, f: &FileDetailRow) -> Result<FileDetailOutcome> {
        on!(self, conn => {
            let existing: Option<String> = sqlx::query_scalar(
                "SELECT content_sha256 FROM file_detail WHERE source_ref = $1 AND file_id = $2",
            )
            .bind(f.source_ref.as_str())
            .bind(f.file_id.as_str())
            .fetch_optional(&mut *conn)
            .await?;
            match existing {
                Some(sha) if sha == f.content_sha256 => Ok(FileDetailOutcome::Duplicate),
                Some(_) => {
                    sqlx::query(
                        "UPDATE file_detail SET content_sha256 = $3, received_at = $4, document = $5 \
                         WHERE source_ref = $1 AND file_id = $2",
                    )
                    .bind(f.source_ref.as_str())
                    .bind(f.file_id.as_str())
                    .bind(f.content_sha256.as_str())
                    .bind(f.received_at)
                    .bind(f.document.as_str())
                    .execute(&mut *conn)
                    .await?;
                    Ok(FileDetailOutcome::Updated)
                }
                None => {
                    sqlx::query(
                        "INSERT INTO file_detail (source_ref, file_id, content_sha256, received_at, document) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(f.source_ref.as_str())
                    .bind(f.file_id.as_str())
                    .bind(f.content_sha256.as_str())
                    .bind(f.received_at)
                    .bind(f.document.as_str())
                    .execute(&mut *conn)
                    .await?;
                    Ok(FileDetailOutcome::Inserted)
                }
            }
        })
    }

    /// File details stored for any of these source references.
    pub async fn file_details_of_refs(
        &mut self,
        source_refs: &[String],
    ) -> Result<Vec<FileDetailRow>> {
        let mut rows = Vec::new();
        for chunk in source_refs.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(
                    "SELECT source_ref, file_id, content_sha256, received_at, document FROM file_detail WHERE source_ref IN (",
                );
                push_list(&mut q, chunk.iter().map(|r| r.as_str()));
                q.push(") ORDER BY source_ref, file_id");
                for r in q.build().fetch_all(&mut *conn).await? {
                    rows.push(FileDetailRow {
                        source_ref: r.try_get(0)?,
                        file_id: r.try_get(1)?,
                        content_sha256: r.try_get(2)?,
                        received_at: r.try_get(3)?,
                        document: r.try_get(4)?,
                    });
                }
            })
        }
        Ok(rows)
    }

    pub async fn insert_reject(&mut self, r: &NewReject) -> Result<i64> {
        on!(self, conn => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO reject (path, location, field, reason, content, context, rejected_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(r.path.as_str())
            .bind(r.location.as_deref())
            .bind(r.field.as_deref())
            .bind(r.reason.as_str())
            .bind(r.content.as_slice())
            .bind(r.context.as_deref())
            .bind(r.rejected_at)
            .fetch_one(&mut *conn)
            .await?;
            Ok(id)
        })
    }

    /// Rejected documents; unresolved only unless `all`.
    pub async fn rejects(&mut self, all: bool) -> Result<Vec<RejectRow>> {
        on!(self, conn => {
            let rows = sqlx::query(
                "SELECT id, path, location, field, reason, context, rejected_at, resolved_at FROM reject \
                 WHERE $1 OR resolved_at IS NULL ORDER BY id",
            )
            .bind(all)
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(reject_from).collect()
        })
    }

    /// One rejected document, resolved or not.
    pub async fn reject(&mut self, id: i64) -> Result<Option<RejectRow>> {
        on!(self, conn => {
            let row = sqlx::query(
                "SELECT id, path, location, field, reason, context, rejected_at, resolved_at FROM reject WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
            row.as_ref().map(reject_from).transpose()
        })
    }

    /// The open reject for this file and place, if there is one.
    pub async fn open_reject_at(
        &mut self,
        path: &str,
        location: Option<&str>,
    ) -> Result<Option<i64>> {
        on!(self, conn => {
            let id: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM reject WHERE path = $1 AND (location = $2 OR (location IS NULL AND $2 IS NULL)) \
                 AND resolved_at IS NULL ORDER BY id LIMIT 1",
            )
            .bind(path)
            .bind(location)
            .fetch_optional(&mut *conn)
            .await?;
            Ok(id)
        })
    }

    /// Replaces an open reject's problem with what a retry found.
    pub async fn update_reject(&mut self, id: i64, r: &NewReject) -> Result<()> {
        on!(self, conn => {
            sqlx::query(
                "UPDATE reject SET location = $2, field = $3, reason = $4, content = $5, context = $6, rejected_at = $7 \
                 WHERE id = $1",
            )
            .bind(id)
            .bind(r.location.as_deref())
            .bind(r.field.as_deref())
            .bind(r.reason.as_str())
            .bind(r.content.as_slice())
            .bind(r.context.as_deref())
            .bind(r.rejected_at)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    pub async fn resolve_reject(&mut self, id: i64, at: i64) -> Result<()> {
        on!(self, conn => {
            sqlx::query("UPDATE reject SET resolved_at = $2 WHERE id = $1")
                .bind(id)
                .bind(at)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    pub async fn insert_assessment(&mut self, a: &AssessmentRow) -> Result<()> {
        on!(self, conn => {
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO assessment ({ASSESSMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            )))
            .bind(a.id)
            .bind(a.subject_id.0)
            .bind(a.tool_id.as_str())
            .bind(a.tool_version.as_str())
            .bind(a.answers.as_str())
            .bind(a.outcome.as_str())
            .bind(a.band.as_str())
            .bind(a.assessor.as_str())
            .bind(a.assessed_at)
            .bind(a.override_band.as_deref())
            .bind(a.override_rationale.as_deref())
            .bind(a.override_by.as_deref())
            .bind(a.rescored_from)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    pub async fn assessment(&mut self, id: i64) -> Result<Option<AssessmentRow>> {
        on!(self, conn => {
            let row = sqlx::query(AssertSqlSafe(format!("SELECT {ASSESSMENT_COLUMNS} FROM assessment WHERE id = $1")))
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
            row.as_ref().map(assessment_from).transpose()
        })
    }

    /// Every assessment of a subject, oldest first: the history a rescore keeps.
    pub async fn assessments_of_subject(
        &mut self,
        subject: SubjectId,
    ) -> Result<Vec<AssessmentRow>> {
        on!(self, conn => {
            let rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT {ASSESSMENT_COLUMNS} FROM assessment WHERE subject_id = $1 ORDER BY id"
            )))
            .bind(subject.0)
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(assessment_from).collect()
        })
    }

    /// The current assessment id of every open subject that has one.
    pub async fn assessed_subjects(&mut self) -> Result<Vec<(SubjectId, i64)>> {
        on!(self, conn => {
            let rows = sqlx::query(
                "SELECT id, assessment_id FROM subject WHERE status = 'open' AND assessment_id IS NOT NULL ORDER BY id",
            )
            .fetch_all(&mut *conn)
            .await?;
            rows.iter()
                .map(|r| Ok((SubjectId(r.try_get(0)?), r.try_get(1)?)))
                .collect()
        })
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
