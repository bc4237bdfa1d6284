//! The ingest write path: [`BatchStore`], the statements one ingest batch makes, on either a [`Tx`] or a
//! [`SqliteTx`].
//!
//! On SQLite, batches are written through a connection of their own ([`SqliteWriter`], rusqlite) with cached
//! prepared statements, one row per execution: sqlx's SQLite driver hands every statement and every row to
//! a worker thread and prepares each multi-row statement afresh, which was half of the writer's time. The
//! statements match those of [`Tx`], so both write the same rows.

use crate::access::Scope;
use crate::access::{AUDIT_COLUMNS, AuditRecord, sealed_entry};
use crate::gate::{Gate, Scoped};
use crate::reader::sql;
use crate::rows::*;
use crate::tx::{FileDetailOutcome, Tx};
use crate::{Db, Result, SqliteDb};
use rusqlite::{OptionalExtension, Row, TransactionBehavior, params, params_from_iter};
use severn_domain::audit::{AuditEntry, AuditKey};
use severn_domain::ids::{IdentifierId, OrgId, ReferralId, SubjectId};
use std::collections::HashMap;
use std::time::Duration;

/// The statements one ingest batch makes. Implemented by the two transaction types only; callers use the
/// concrete types, so whether a future is `Send` is known where it is spawned.
#[allow(async_fn_in_trait)]
pub trait BatchStore {
    /// The sqlx transaction underneath, for the use cases that only run on one (relinking a subject).
    fn as_scoped(&mut self) -> Option<&mut Scoped>;
    /// Waits for other ingests' batches to end before this one reads what they wrote (see
    /// [`Tx::lock_for_ingest`]).
    async fn lock_for_ingest(&mut self) -> Result<()>;
    async fn alloc_ids(&mut self, name: &str, count: usize) -> Result<i64>;
    async fn insert_reject(&mut self, r: &NewReject) -> Result<i64>;
    async fn file_details_of_refs(&mut self, source_refs: &[String]) -> Result<Vec<FileDetailRow>>;
    async fn insert_file_details(&mut self, rows: &[FileDetailRow]) -> Result<()>;
    async fn upsert_file_detail(&mut self, f: &FileDetailRow) -> Result<FileDetailOutcome>;
    async fn known_referrals(&mut self, source_refs: &[String]) -> Result<Vec<KnownReferral>>;
    async fn identifiers_by_key(&mut self, keys: &[String]) -> Result<Vec<IdentifierRow>>;
    async fn insert_identifiers(&mut self, rows: &[IdentifierRow]) -> Result<()>;
    async fn record_identifier_accounts(
        &mut self,
        pairs: &[(IdentifierId, IdentifierId)],
    ) -> Result<Vec<(IdentifierId, i64)>>;
    async fn mark_common(&mut self, ids: &[IdentifierId]) -> Result<()>;
    async fn set_identifier_subjects(&mut self, pairs: &[(IdentifierId, SubjectId)]) -> Result<()>;
    async fn subject(&mut self, id: SubjectId) -> Result<Option<SubjectRow>>;
    async fn resolve_subjects(
        &mut self,
        ids: &[SubjectId],
    ) -> Result<HashMap<SubjectId, SubjectRow>>;
    async fn insert_subjects(&mut self, subjects: &[SubjectRow]) -> Result<()>;
    async fn update_subjects(&mut self, subjects: &[SubjectRow]) -> Result<()>;
    async fn update_subject(&mut self, s: &SubjectRow) -> Result<()>;
    async fn separations(&mut self, subjects: &[SubjectId]) -> Result<Vec<(SubjectId, SubjectId)>>;
    async fn carry_separations(&mut self, from: SubjectId, into: SubjectId) -> Result<()>;
    async fn merge_subject(&mut self, from: SubjectId, into: SubjectId) -> Result<()>;
    async fn insert_referrals(&mut self, referrals: &[ReferralRow]) -> Result<()>;
    async fn referrals_by_id(&mut self, ids: &[ReferralId]) -> Result<Vec<ReferralRow>>;
    async fn referral_by_source_ref(&mut self, source_ref: &str) -> Result<Option<ReferralRow>>;
    async fn record_new_version(
        &mut self,
        previous: &ReferralRow,
        next: &ReferralRow,
    ) -> Result<()>;
    async fn update_referral_risk(&mut self, r: &ReferralRow) -> Result<()>;
    async fn insert_referral_identifiers(&mut self, rows: &[ReferralIdentifierRow]) -> Result<()>;
    async fn insert_links(&mut self, links: &[LinkRow]) -> Result<()>;
    /// Logs the collection of the batch, through the gate's key.
    async fn audit_event(
        &mut self,
        gate: &Gate,
        record: &AuditRecord,
        outcome: &str,
    ) -> Result<AuditEntry>;
}

impl BatchStore for Scoped {
    fn as_scoped(&mut self) -> Option<&mut Scoped> {
        Some(self)
    }
    async fn lock_for_ingest(&mut self) -> Result<()> {
        Tx::lock_for_ingest(self).await
    }
    async fn alloc_ids(&mut self, name: &str, count: usize) -> Result<i64> {
        Tx::alloc_ids(self, name, count).await
    }
    async fn insert_reject(&mut self, r: &NewReject) -> Result<i64> {
        Scoped::insert_reject(self, r).await
    }
    async fn file_details_of_refs(&mut self, source_refs: &[String]) -> Result<Vec<FileDetailRow>> {
        Scoped::file_details_of_refs(self, source_refs).await
    }
    async fn insert_file_details(&mut self, rows: &[FileDetailRow]) -> Result<()> {
        Scoped::insert_file_details(self, rows).await
    }
    async fn upsert_file_detail(&mut self, f: &FileDetailRow) -> Result<FileDetailOutcome> {
        Scoped::upsert_file_detail(self, f).await
    }
    async fn known_referrals(&mut self, source_refs: &[String]) -> Result<Vec<KnownReferral>> {
        Tx::known_referrals(self, source_refs).await
    }
    async fn identifiers_by_key(&mut self, keys: &[String]) -> Result<Vec<IdentifierRow>> {
        Scoped::identifiers_by_key(self, keys).await
    }
    async fn insert_identifiers(&mut self, rows: &[IdentifierRow]) -> Result<()> {
        Scoped::insert_identifiers(self, rows).await
    }
    async fn record_identifier_accounts(
        &mut self,
        pairs: &[(IdentifierId, IdentifierId)],
    ) -> Result<Vec<(IdentifierId, i64)>> {
        Scoped::record_identifier_accounts(self, pairs).await
    }
    async fn mark_common(&mut self, ids: &[IdentifierId]) -> Result<()> {
        Scoped::mark_common(self, ids).await
    }
    async fn set_identifier_subjects(&mut self, pairs: &[(IdentifierId, SubjectId)]) -> Result<()> {
        Scoped::set_identifier_subjects(self, pairs).await
    }
    async fn subject(&mut self, id: SubjectId) -> Result<Option<SubjectRow>> {
        Scoped::subject(self, id).await
    }
    async fn resolve_subjects(
        &mut self,
        ids: &[SubjectId],
    ) -> Result<HashMap<SubjectId, SubjectRow>> {
        Scoped::resolve_subjects(self, ids).await
    }
    async fn insert_subjects(&mut self, subjects: &[SubjectRow]) -> Result<()> {
        Scoped::insert_subjects(self, subjects).await
    }
    async fn update_subjects(&mut self, subjects: &[SubjectRow]) -> Result<()> {
        Scoped::update_subjects(self, subjects).await
    }
    async fn update_subject(&mut self, s: &SubjectRow) -> Result<()> {
        Scoped::update_subject(self, s).await
    }
    async fn separations(&mut self, subjects: &[SubjectId]) -> Result<Vec<(SubjectId, SubjectId)>> {
        Scoped::separations(self, subjects).await
    }
    async fn carry_separations(&mut self, from: SubjectId, into: SubjectId) -> Result<()> {
        Scoped::carry_separations(self, from, into).await
    }
    async fn merge_subject(&mut self, from: SubjectId, into: SubjectId) -> Result<()> {
        Scoped::merge_subject(self, from, into).await
    }
    async fn insert_referrals(&mut self, referrals: &[ReferralRow]) -> Result<()> {
        Scoped::insert_referrals(self, referrals).await
    }
    async fn referrals_by_id(&mut self, ids: &[ReferralId]) -> Result<Vec<ReferralRow>> {
        Scoped::referrals_by_id(self, ids).await
    }
    async fn referral_by_source_ref(&mut self, source_ref: &str) -> Result<Option<ReferralRow>> {
        Scoped::referral_by_source_ref(self, source_ref).await
    }
    async fn record_new_version(
        &mut self,
        previous: &ReferralRow,
        next: &ReferralRow,
    ) -> Result<()> {
        Scoped::record_new_version(self, previous, next).await
    }
    async fn update_referral_risk(&mut self, r: &ReferralRow) -> Result<()> {
        Scoped::update_referral_risk(self, r).await
    }
    async fn insert_referral_identifiers(&mut self, rows: &[ReferralIdentifierRow]) -> Result<()> {
        Scoped::insert_referral_identifiers(self, rows).await
    }
    async fn insert_links(&mut self, links: &[LinkRow]) -> Result<()> {
        Scoped::insert_links(self, links).await
    }
    async fn audit_event(
        &mut self,
        gate: &Gate,
        record: &AuditRecord,
        outcome: &str,
    ) -> Result<AuditEntry> {
        Tx::audit_event(self, gate.key(), record, outcome).await
    }
}

/// One rusqlite connection to a SQLite database, for writing ingest batches.
pub struct SqliteWriter {
    conn: rusqlite::Connection,
}

impl SqliteWriter {
    /// A writer on the same database file as `db`; `None` for PostgreSQL and for in-memory SQLite databases,
    /// which a second connection would not see.
    /// A writer holds personal data, so it takes the grant of an ingest over a force or more.
    pub async fn open(db: &Db, grant: &Scope) -> Result<Option<SqliteWriter>> {
        grant.list_owner()?;
        let Db::Sqlite(SqliteDb { pool, .. }) = db else {
            return Ok(None);
        };
        // The file SQLite itself has open; empty for an in-memory database.
        let file: String =
            sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                .fetch_one(pool)
                .await?;
        if file.is_empty() {
            return Ok(None);
        }
        SqliteWriter::open_file(&file).map(Some)
    }

    /// A writer on the SQLite database file `file`.
    pub(crate) fn open_file(file: &str) -> Result<SqliteWriter> {
        let conn = rusqlite::Connection::open(file)?;
        // The settings of the sqlx connections (see `Db::connect`): the same durability, lock waits and cache.
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // 96 MiB: a larger SQLite cache costs more to search than it saves (128 MiB was slower than 64), while
        // at 1 M reports pages missing from a 64 MiB cache cost this thread 4-7 % more CPU. It fits the 300 MB
        // budget only because mimalloc 2 returns freed memory promptly (docs/benchmarks.md, "Dead ends").
        conn.pragma_update(None, "cache_size", -98304)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Checkpoint from this connection only when the WAL passes 1 GiB: a page rewritten by many batches
        // is copied into the database once per checkpoint, not once per 64 MiB of WAL. The database's own
        // checkpointing thread (see `appender`) copies what it can in between without holding up commits.
        conn.pragma_update(None, "wal_autocheckpoint", 262144)?;
        // Every statement of the write path stays prepared.
        conn.set_prepared_statement_cache_capacity(64);
        Ok(SqliteWriter { conn })
    }

    /// Leaves checkpointing the WAL to another connection, so a commit here never waits for one.
    pub(crate) fn without_checkpoints(self) -> Result<SqliteWriter> {
        self.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        Ok(self)
    }

    /// Copies what it can of the WAL into the database file without waiting for readers or writers.
    pub(crate) fn checkpoint(&self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Starts a write transaction. BEGIN IMMEDIATE, as [`Db::begin`]: writers queue for the lock up front.
    pub fn begin(&mut self) -> Result<SqliteTx<'_>> {
        Ok(SqliteTx {
            tx: self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?,
        })
    }
}

/// A write transaction on a [`SqliteWriter`]; rolled back when dropped without [`SqliteTx::commit`].
pub struct SqliteTx<'c> {
    tx: rusqlite::Transaction<'c>,
}

/// Rows per `IN (…)` list.
const CHUNK: usize = 400;

pub(crate) const SUBJECT_SELECT: &str = "SELECT id, created_at, status, merged_into, provisional_band, assessment_id, band, \
     band_reason, clock_start_at, due_at, owner_org FROM subject WHERE id = ?1";
pub(crate) const REFERRAL_COLUMNS: &str = "id, source_ref, format, source, version, content_sha256, received_at, \
     clock_start_at, nca_reference, disseminated_at, incident_type, incident_at, platform, subject_id, band, \
     outcome, signals, document, owner_org";

pub(crate) fn subject_from(r: &Row) -> rusqlite::Result<SubjectRow> {
    Ok(SubjectRow {
        id: SubjectId(r.get(0)?),
        created_at: r.get(1)?,
        status: r.get(2)?,
        merged_into: r.get::<_, Option<i64>>(3)?.map(SubjectId),
        provisional_band: r.get(4)?,
        assessment_id: r.get(5)?,
        band: r.get(6)?,
        band_reason: r.get(7)?,
        clock_start_at: r.get(8)?,
        due_at: r.get(9)?,
        owner_org: r.get::<_, Option<i64>>(10)?.map(OrgId),
    })
}

pub(crate) fn known_referral_from(r: &Row) -> rusqlite::Result<KnownReferral> {
    Ok(KnownReferral {
        id: ReferralId(r.get(0)?),
        source_ref: r.get(1)?,
        content_sha256: r.get(2)?,
        version: r.get(3)?,
        subject_id: SubjectId(r.get(4)?),
        owner_org: r.get::<_, Option<i64>>(5)?.map(OrgId),
    })
}

/// An identifier from the nine columns of a row starting at `at`: id, key, kind, service, value, placeholder,
/// common, subject_id, owner_org.
pub(crate) fn identifier_from(r: &Row, at: usize) -> rusqlite::Result<IdentifierRow> {
    Ok(IdentifierRow {
        id: IdentifierId(r.get(at)?),
        key: r.get(at + 1)?,
        kind: r.get(at + 2)?,
        service: r.get(at + 3)?,
        value: r.get(at + 4)?,
        placeholder: r.get(at + 5)?,
        common: r.get(at + 6)?,
        subject_id: r.get::<_, Option<i64>>(at + 7)?.map(SubjectId),
        owner_org: r.get::<_, Option<i64>>(at + 8)?.map(OrgId),
    })
}

pub(crate) fn referral_from(r: &Row) -> rusqlite::Result<ReferralRow> {
    Ok(ReferralRow {
        id: ReferralId(r.get(0)?),
        source_ref: r.get(1)?,
        format: r.get(2)?,
        source: r.get(3)?,
        version: r.get(4)?,
        content_sha256: r.get(5)?,
        received_at: r.get(6)?,
        clock_start_at: r.get(7)?,
        nca_reference: r.get(8)?,
        disseminated_at: r.get(9)?,
        incident_type: r.get(10)?,
        incident_at: r.get(11)?,
        platform: r.get(12)?,
        subject_id: SubjectId(r.get(13)?),
        band: r.get(14)?,
        outcome: r.get(15)?,
        signals: r.get(16)?,
        document: r.get(17)?,
        owner_org: r.get::<_, Option<i64>>(18)?.map(OrgId),
    })
}

impl SqliteTx<'_> {
    pub fn commit(self) -> Result<()> {
        Ok(self.tx.commit()?)
    }

    /// Runs one cached statement once per row.
    fn execute_each<T>(
        &self,
        sql: &str,
        rows: &[T],
        mut bind: impl FnMut(&mut rusqlite::CachedStatement<'_>, &T) -> rusqlite::Result<usize>,
    ) -> Result<()> {
        let mut stmt = self.tx.prepare_cached(sql)?;
        for row in rows {
            bind(&mut stmt, row)?;
        }
        Ok(())
    }

    fn write_subjects(&self, sql: &str, subjects: &[SubjectRow]) -> Result<()> {
        self.execute_each(sql, subjects, |stmt, s| {
            stmt.execute(params![
                s.id.0,
                s.created_at,
                s.status,
                s.merged_into.map(|m| m.0),
                s.provisional_band,
                s.assessment_id,
                s.band,
                s.band_reason,
                s.clock_start_at,
                s.due_at,
                s.owner_org.map(|o| o.0)
            ])
        })
    }
}

impl BatchStore for SqliteTx<'_> {
    fn as_scoped(&mut self) -> Option<&mut Scoped> {
        None
    }

    async fn lock_for_ingest(&mut self) -> Result<()> {
        // BEGIN IMMEDIATE took the database's one write lock.
        Ok(())
    }

    async fn alloc_ids(&mut self, name: &str, count: usize) -> Result<i64> {
        let count = count as i64;
        let next: i64 = self
            .tx
            .prepare_cached(
                "UPDATE id_alloc SET next_id = next_id + ?1 WHERE name = ?2 RETURNING next_id",
            )?
            .query_row(params![count, name], |r| r.get(0))?;
        Ok(next - count)
    }

    async fn insert_reject(&mut self, r: &NewReject) -> Result<i64> {
        Ok(self
            .tx
            .prepare_cached(
                "INSERT INTO reject (path, location, field, reason, content, context, rejected_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
            )?
            .query_row(
                params![
                    r.path,
                    r.location,
                    r.field,
                    r.reason,
                    r.content,
                    r.context,
                    r.rejected_at
                ],
                |row| row.get(0),
            )?)
    }

    async fn file_details_of_refs(&mut self, source_refs: &[String]) -> Result<Vec<FileDetailRow>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT source_ref, file_id, content_sha256, received_at, document FROM file_detail \
             WHERE source_ref = ?1 ORDER BY file_id",
        )?;
        let mut refs: Vec<&String> = source_refs.iter().collect();
        refs.sort_unstable();
        refs.dedup();
        let mut rows = Vec::new();
        for source_ref in refs {
            for row in stmt.query_map([source_ref], |r| {
                Ok(FileDetailRow {
                    source_ref: r.get(0)?,
                    file_id: r.get(1)?,
                    content_sha256: r.get(2)?,
                    received_at: r.get(3)?,
                    document: r.get(4)?,
                })
            })? {
                rows.push(row?);
            }
        }
        Ok(rows)
    }

    async fn insert_file_details(&mut self, rows: &[FileDetailRow]) -> Result<()> {
        self.execute_each(
            "INSERT INTO file_detail (source_ref, file_id, content_sha256, received_at, document) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            rows,
            |stmt, f| {
                stmt.execute(params![
                    f.source_ref,
                    f.file_id,
                    f.content_sha256,
                    f.received_at,
                    f.document
                ])
            },
        )
    }

    async fn upsert_file_detail(&mut self, f: &FileDetailRow) -> Result<FileDetailOutcome> {
        let existing: Option<String> = self
            .tx
            .prepare_cached(
                "SELECT content_sha256 FROM file_detail WHERE source_ref = ?1 AND file_id = ?2",
            )?
            .query_row(params![f.source_ref, f.file_id], |r| r.get(0))
            .optional()?;
        match existing {
            Some(sha) if sha == f.content_sha256 => Ok(FileDetailOutcome::Duplicate),
            Some(_) => {
                self.tx
                    .prepare_cached(
                        "UPDATE file_detail SET content_sha256 = ?3, received_at = ?4, document = ?5 \
                         WHERE source_ref = ?1 AND file_id = ?2",
                    )?
                    .execute(params![
                        f.source_ref,
                        f.file_id,
                        f.content_sha256,
                        f.received_at,
                        f.document
                    ])?;
                Ok(FileDetailOutcome::Updated)
            }
            None => {
                self.insert_file_details(std::slice::from_ref(f)).await?;
                Ok(FileDetailOutcome::Inserted)
            }
        }
    }

    async fn known_referrals(&mut self, source_refs: &[String]) -> Result<Vec<KnownReferral>> {
        let mut stmt = self.tx.prepare_cached(sql::KNOWN_REFERRAL)?;
        let mut sorted: Vec<&String> = source_refs.iter().collect();
        sorted.sort_unstable();
        let mut found = Vec::new();
        for source_ref in sorted {
            found.extend(
                stmt.query_row([source_ref], known_referral_from)
                    .optional()?,
            );
        }
        Ok(found)
    }

    async fn identifiers_by_key(&mut self, keys: &[String]) -> Result<Vec<IdentifierRow>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id, key, kind, service, value, placeholder, common, subject_id, owner_org FROM identifier \
             WHERE key_hash = ?1",
        )?;
        // In hash order: each seek then starts on or beside the index pages of the one before.
        let mut hashed: Vec<(i64, &String)> = keys
            .iter()
            .map(|key| (identifier_key_hash(key), key))
            .collect();
        hashed.sort_unstable();
        let mut rows = Vec::new();
        for (hash, key) in hashed {
            // One row per owning force, and any other key with the same hash.
            for row in stmt.query_map([hash], |r| identifier_from(r, 0))? {
                let row = row?;
                if row.key == *key {
                    rows.push(row);
                }
            }
        }
        Ok(rows)
    }

    async fn insert_identifiers(&mut self, rows: &[IdentifierRow]) -> Result<()> {
        self.execute_each(
            "INSERT INTO identifier (id, key, kind, service, value, placeholder, common, subject_id, owner_org, \
             key_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            rows,
            |stmt, r| {
                stmt.execute(params![
                    r.id.0,
                    r.key,
                    r.kind,
                    r.service,
                    r.value,
                    r.placeholder,
                    r.common,
                    r.subject_id.map(|s| s.0),
                    r.owner_org.map(|o| o.0),
                    identifier_key_hash(&r.key)
                ])
            },
        )
    }

    async fn record_identifier_accounts(
        &mut self,
        pairs: &[(IdentifierId, IdentifierId)],
    ) -> Result<Vec<(IdentifierId, i64)>> {
        self.execute_each(
            "INSERT INTO identifier_account (identifier_id, account_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            pairs,
            |stmt, (identifier, account)| stmt.execute(params![identifier.0, account.0]),
        )?;
        let mut ids: Vec<i64> = pairs.iter().map(|(i, _)| i.0).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut stmt = self
            .tx
            .prepare_cached("SELECT COUNT(*) FROM identifier_account WHERE identifier_id = ?1")?;
        let mut counts = Vec::with_capacity(ids.len());
        for id in ids {
            let count: i64 = stmt.query_row([id], |r| r.get(0))?;
            counts.push((IdentifierId(id), count));
        }
        Ok(counts)
    }

    async fn mark_common(&mut self, ids: &[IdentifierId]) -> Result<()> {
        self.execute_each(
            "UPDATE identifier SET common = TRUE, subject_id = NULL WHERE id = ?1",
            ids,
            |stmt, id| stmt.execute([id.0]),
        )
    }

    async fn set_identifier_subjects(&mut self, pairs: &[(IdentifierId, SubjectId)]) -> Result<()> {
        self.execute_each(
            "UPDATE identifier SET subject_id = ?2 WHERE id = ?1",
            pairs,
            |stmt, (identifier, subject)| stmt.execute(params![identifier.0, subject.0]),
        )
    }

    async fn subject(&mut self, id: SubjectId) -> Result<Option<SubjectRow>> {
        Ok(self
            .tx
            .prepare_cached(SUBJECT_SELECT)?
            .query_row([id.0], subject_from)
            .optional()?)
    }

    async fn resolve_subjects(
        &mut self,
        ids: &[SubjectId],
    ) -> Result<HashMap<SubjectId, SubjectRow>> {
        let mut stmt = self.tx.prepare_cached(SUBJECT_SELECT)?;
        let mut loaded: HashMap<SubjectId, Option<SubjectRow>> = HashMap::new();
        let mut resolved = HashMap::new();
        // Many identifiers point at one subject: each is resolved once, in id order.
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        for id in &ids {
            let mut at = *id;
            // Merge chains are short; the bound guards against a cycle, as in `Tx::resolve_subjects`.
            for _ in 0..64 {
                let row = match loaded.get(&at) {
                    Some(row) => row.clone(),
                    None => {
                        let row = stmt.query_row([at.0], subject_from).optional()?;
                        loaded.insert(at, row.clone());
                        row
                    }
                };
                match row {
                    Some(row) => match row.merged_into {
                        Some(into) => at = into,
                        None => {
                            resolved.insert(*id, row);
                            break;
                        }
                    },
                    None => break,
                }
            }
        }
        Ok(resolved)
    }

    async fn insert_subjects(&mut self, subjects: &[SubjectRow]) -> Result<()> {
        self.write_subjects(
            "INSERT INTO subject (id, created_at, status, merged_into, provisional_band, assessment_id, band, \
             band_reason, clock_start_at, due_at, owner_org) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            subjects,
        )
    }

    async fn update_subjects(&mut self, subjects: &[SubjectRow]) -> Result<()> {
        self.write_subjects(
            "INSERT INTO subject (id, created_at, status, merged_into, provisional_band, assessment_id, band, \
             band_reason, clock_start_at, due_at, owner_org) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
             ON CONFLICT (id) DO UPDATE SET status = excluded.status, merged_into = excluded.merged_into, \
             provisional_band = excluded.provisional_band, assessment_id = excluded.assessment_id, \
             band = excluded.band, band_reason = excluded.band_reason, \
             clock_start_at = excluded.clock_start_at, due_at = excluded.due_at, \
             owner_org = COALESCE(subject.owner_org, excluded.owner_org)",
            subjects,
        )
    }

    async fn update_subject(&mut self, s: &SubjectRow) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE subject SET status = ?2, merged_into = ?3, provisional_band = ?4, assessment_id = ?5, \
                 band = ?6, band_reason = ?7, clock_start_at = ?8, due_at = ?9 WHERE id = ?1",
            )?
            .execute(params![
                s.id.0,
                s.status,
                s.merged_into.map(|m| m.0),
                s.provisional_band,
                s.assessment_id,
                s.band,
                s.band_reason,
                s.clock_start_at,
                s.due_at
            ])?;
        Ok(())
    }

    async fn separations(&mut self, subjects: &[SubjectId]) -> Result<Vec<(SubjectId, SubjectId)>> {
        let mut pairs = Vec::new();
        for chunk in subjects.chunks(CHUNK / 2) {
            // One statement per chunk: `subject_b` has no index of its own, so each statement scans once.
            let list = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "SELECT subject_a, subject_b FROM subject_separation WHERE subject_a IN ({list}) OR subject_b IN ({list})"
            );
            let mut stmt = self.tx.prepare_cached(&sql)?;
            let ids = chunk.iter().chain(chunk).map(|s| s.0);
            for pair in stmt.query_map(params_from_iter(ids), |r| {
                Ok((SubjectId(r.get(0)?), SubjectId(r.get(1)?)))
            })? {
                pairs.push(pair?);
            }
        }
        Ok(pairs)
    }

    async fn carry_separations(&mut self, from: SubjectId, into: SubjectId) -> Result<()> {
        let pairs = self.separations(&[from]).await?;
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO subject_separation (subject_a, subject_b) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?;
        for (a, b) in pairs {
            let other = if a == from { b } else { a };
            if other != into {
                let (a, b) = if into <= other {
                    (into, other)
                } else {
                    (other, into)
                };
                stmt.execute(params![a.0, b.0])?;
            }
        }
        Ok(())
    }

    async fn merge_subject(&mut self, from: SubjectId, into: SubjectId) -> Result<()> {
        for sql in [
            "UPDATE referral SET subject_id = ?2 WHERE subject_id = ?1",
            "UPDATE assessment SET subject_id = ?2 WHERE subject_id = ?1",
            "UPDATE subject SET status = 'merged', merged_into = ?2 WHERE id = ?1",
        ] {
            self.tx
                .prepare_cached(sql)?
                .execute(params![from.0, into.0])?;
        }
        Ok(())
    }

    async fn insert_referrals(&mut self, referrals: &[ReferralRow]) -> Result<()> {
        self.execute_each(
            &format!(
                "INSERT INTO referral ({REFERRAL_COLUMNS}) VALUES \
                 (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"
            ),
            referrals,
            |stmt, r| {
                stmt.execute(params![
                    r.id.0,
                    r.source_ref,
                    r.format,
                    r.source,
                    r.version,
                    r.content_sha256,
                    r.received_at,
                    r.clock_start_at,
                    r.nca_reference,
                    r.disseminated_at,
                    r.incident_type,
                    r.incident_at,
                    r.platform,
                    r.subject_id.0,
                    r.band,
                    r.outcome,
                    r.signals,
                    r.document,
                    r.owner_org.map(|o| o.0)
                ])
            },
        )
    }

    async fn referrals_by_id(&mut self, ids: &[ReferralId]) -> Result<Vec<ReferralRow>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {REFERRAL_COLUMNS} FROM referral WHERE id = ?1"
        ))?;
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            rows.extend(stmt.query_row([id.0], referral_from).optional()?);
        }
        Ok(rows)
    }

    async fn referral_by_source_ref(&mut self, source_ref: &str) -> Result<Option<ReferralRow>> {
        Ok(self
            .tx
            .prepare_cached(&format!(
                "SELECT {REFERRAL_COLUMNS} FROM referral WHERE source_ref = ?1"
            ))?
            .query_row([source_ref], referral_from)
            .optional()?)
    }

    async fn record_new_version(
        &mut self,
        previous: &ReferralRow,
        next: &ReferralRow,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO referral_version (referral_id, version, content_sha256, received_at, document) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                previous.id.0,
                previous.version,
                previous.content_sha256,
                previous.received_at,
                previous.document
            ])?;
        self.tx
            .prepare_cached(
                "UPDATE referral SET version = ?2, content_sha256 = ?3, received_at = ?4, incident_type = ?5, \
                 incident_at = ?6, platform = ?7, band = ?8, outcome = ?9, signals = ?10, document = ?11 \
                 WHERE id = ?1",
            )?
            .execute(params![
                previous.id.0,
                next.version,
                next.content_sha256,
                next.received_at,
                next.incident_type,
                next.incident_at,
                next.platform,
                next.band,
                next.outcome,
                next.signals,
                next.document
            ])?;
        Ok(())
    }

    async fn update_referral_risk(&mut self, r: &ReferralRow) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE referral SET band = ?2, outcome = ?3, signals = ?4, document = ?5 WHERE id = ?1",
            )?
            .execute(params![r.id.0, r.band, r.outcome, r.signals, r.document])?;
        Ok(())
    }

    async fn insert_referral_identifiers(&mut self, rows: &[ReferralIdentifierRow]) -> Result<()> {
        self.execute_each(
            "INSERT INTO referral_identifier (referral_id, identifier_id, role) VALUES (?1, ?2, ?3) \
             ON CONFLICT DO NOTHING",
            rows,
            |stmt, r| stmt.execute(params![r.referral_id.0, r.identifier_id.0, r.role]),
        )
    }

    async fn insert_links(&mut self, links: &[LinkRow]) -> Result<()> {
        self.execute_each(
            "INSERT INTO subject_link (referral_id, identifier_id, weight, linked_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT DO NOTHING",
            links,
            |stmt, l| {
                stmt.execute(params![
                    l.referral_id.0,
                    l.identifier_id.0,
                    l.weight,
                    l.linked_at
                ])
            },
        )
    }

    async fn audit_event(
        &mut self,
        gate: &Gate,
        record: &AuditRecord,
        outcome: &str,
    ) -> Result<AuditEntry> {
        self.append_audit(gate.key(), record, outcome)
    }
}

impl SqliteTx<'_> {
    /// Appends an entry to the audit log, chained to the one before.
    pub(crate) fn append_audit(
        &self,
        key: &AuditKey,
        record: &AuditRecord,
        outcome: &str,
    ) -> Result<AuditEntry> {
        // SQLite's write lock (BEGIN IMMEDIATE) serialises appends, as in `Tx::audit_event`.
        let (seq, prev): (i64, String) = self
            .tx
            .prepare_cached("SELECT seq, mac FROM audit_head WHERE id = 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let entry = sealed_entry(seq, &prev, key, record, outcome)?;
        self.tx
            .prepare_cached(&format!(
                "INSERT INTO audit_log ({AUDIT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
            ))?
            .execute(params![
                entry.seq,
                entry.at,
                entry.actor,
                entry.org,
                entry.processing,
                entry.action,
                entry.target,
                entry.outcome,
                entry.justification,
                entry.recipients,
                entry.detail,
                entry.mac
            ])?;
        self.tx
            .prepare_cached("UPDATE audit_head SET seq = ?1, mac = ?2 WHERE id = 1")?
            .execute(params![entry.seq, entry.mac])?;
        Ok(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_writer_where_a_second_connection_would_see_another_database() {
        let grant = Scope::logged(crate::Reach::Everything);
        let memory = Db::connect("sqlite::memory:").await.unwrap();
        assert!(SqliteWriter::open(&memory, &grant).await.unwrap().is_none());
        let dir = tempfile::tempdir().unwrap();
        let file = Db::connect(&format!("sqlite://{}", dir.path().join("w.db").display()))
            .await
            .unwrap();
        let mut writer = SqliteWriter::open(&file, &grant)
            .await
            .unwrap()
            .expect("a file database");
        let mut tx = writer.begin().unwrap();
        let first = tx.alloc_ids("subject", 3).await.unwrap();
        tx.commit().unwrap();
        // The sqlx connection sees what the writer committed.
        let mut read = file.begin().await.unwrap();
        assert!(
            SqliteWriter::open(&file, &Scope::logged(crate::Reach::NoPersonalData))
                .await
                .is_err(),
            "a writer takes a grant over a force or more"
        );
        assert_eq!(read.alloc_ids("subject", 1).await.unwrap(), first + 3);
        read.commit().await.unwrap();
    }
}
