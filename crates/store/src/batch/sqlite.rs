//! [`BatchStore`] on the rusqlite [`SqliteTx`]: each statement prepared once and run once per row.

use super::BatchStore;
use crate::Result;
use crate::chain::AuditRecord;
use crate::decode;
use crate::gate::Gate;
use crate::handles::Scoped;
use crate::rows::*;
use crate::sql;
use crate::tx::FileDetailOutcome;
use crate::writer::SqliteTx;
use rusqlite::{OptionalExtension, params, params_from_iter};
use severn_domain::audit::AuditEntry;
use severn_domain::ids::{IdentifierId, ReferralId, SubjectId};
use std::collections::HashMap;

/// Rows per `IN (…)` list.
const CHUNK: usize = 400;

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
            .prepare_cached(sql::ALLOC_IDS)?
            .query_row(params![count, name], |r| r.get(0))?;
        Ok(next - count)
    }

    async fn insert_reject(&mut self, r: &NewReject) -> Result<i64> {
        Ok(self.tx.prepare_cached(sql::INSERT_REJECT)?.query_row(
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
        let mut stmt = self.tx.prepare_cached(sql::FILE_DETAILS_OF_REF)?;
        let mut refs: Vec<&String> = source_refs.iter().collect();
        refs.sort_unstable();
        refs.dedup();
        let mut rows = Vec::new();
        for source_ref in refs {
            let mut found = stmt.query([source_ref])?;
            while let Some(row) = found.next()? {
                rows.push(decode::file_detail(row)?);
            }
        }
        Ok(rows)
    }

    async fn insert_file_details(&mut self, rows: &[FileDetailRow]) -> Result<()> {
        self.execute_each(sql::INSERT_FILE_DETAIL, rows, |stmt, f| {
            stmt.execute(params![
                f.source_ref,
                f.file_id,
                f.content_sha256,
                f.received_at,
                f.document
            ])
        })
    }

    async fn upsert_file_detail(&mut self, f: &FileDetailRow) -> Result<FileDetailOutcome> {
        let existing: Option<String> = self
            .tx
            .prepare_cached(sql::FILE_DETAIL_SHA)?
            .query_row(params![f.source_ref, f.file_id], |r| r.get(0))
            .optional()?;
        match existing {
            Some(sha) if sha == f.content_sha256 => Ok(FileDetailOutcome::Duplicate),
            Some(_) => {
                self.tx
                    .prepare_cached(sql::UPDATE_FILE_DETAIL)?
                    .execute(params![
                        f.content_sha256,
                        f.received_at,
                        f.document,
                        f.source_ref,
                        f.file_id
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
            if let Some(row) = stmt.query([source_ref])?.next()? {
                found.push(decode::known_referral(row)?);
            }
        }
        Ok(found)
    }

    async fn identifiers_by_key(&mut self, keys: &[String]) -> Result<Vec<IdentifierRow>> {
        let mut stmt = self.tx.prepare_cached(sql::IDENTIFIERS_BY_KEY_HASH)?;
        // In hash order: each seek then starts on or beside the index pages of the one before.
        let mut hashed: Vec<(i64, &String)> = keys
            .iter()
            .map(|key| (identifier_key_hash(key), key))
            .collect();
        hashed.sort_unstable();
        let mut rows = Vec::new();
        for (hash, key) in hashed {
            // One row per owning force, and any other key with the same hash.
            let mut found = stmt.query([hash])?;
            while let Some(row) = found.next()? {
                let row = decode::identifier(row, 0)?;
                if row.key == *key {
                    rows.push(row);
                }
            }
        }
        Ok(rows)
    }

    async fn insert_identifiers(&mut self, rows: &[IdentifierRow]) -> Result<()> {
        self.execute_each(sql::INSERT_HASHED_IDENTIFIER, rows, |stmt, r| {
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
        })
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
        self.tx
            .prepare_cached(sql::SUBJECT_BY_ID)?
            .query([id.0])?
            .next()?
            .map(|r| decode::subject(r))
            .transpose()
    }

    async fn resolve_subjects(
        &mut self,
        ids: &[SubjectId],
    ) -> Result<HashMap<SubjectId, SubjectRow>> {
        let mut stmt = self.tx.prepare_cached(sql::SUBJECT_BY_ID)?;
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
                        let row = stmt
                            .query([at.0])?
                            .next()?
                            .map(|r| decode::subject(r))
                            .transpose()?;
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
        self.write_subjects(sql::INSERT_SUBJECT, subjects)
    }

    async fn update_subjects(&mut self, subjects: &[SubjectRow]) -> Result<()> {
        self.write_subjects(sql::UPSERT_SUBJECT, subjects)
    }

    async fn update_subject(&mut self, s: &SubjectRow) -> Result<()> {
        self.tx
            .prepare_cached(sql::UPDATE_SUBJECT)?
            .execute(params![
                s.status.as_str(),
                s.merged_into.map(|m| m.0),
                s.provisional_band.as_str(),
                s.assessment_id,
                s.band.as_str(),
                s.band_reason,
                s.clock_start_at,
                s.due_at,
                s.id.0
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
        let mut stmt = self.tx.prepare_cached(sql::INSERT_SEPARATION)?;
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
        for statement in sql::MERGE_SUBJECT {
            self.tx
                .prepare_cached(statement)?
                .execute(params![into.0, from.0])?;
        }
        Ok(())
    }

    async fn insert_referrals(&mut self, referrals: &[ReferralRow]) -> Result<()> {
        self.execute_each(sql::INSERT_REFERRAL, referrals, |stmt, r| {
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
                r.band.as_str(),
                r.outcome,
                r.signals,
                r.document,
                r.owner_org.map(|o| o.0)
            ])
        })
    }

    async fn referrals_by_id(&mut self, ids: &[ReferralId]) -> Result<Vec<ReferralRow>> {
        let mut stmt = self.tx.prepare_cached(sql::REFERRAL_BY_ID)?;
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(row) = stmt.query([id.0])?.next()? {
                rows.push(decode::referral(row)?);
            }
        }
        Ok(rows)
    }

    async fn referral_by_source_ref(&mut self, source_ref: &str) -> Result<Option<ReferralRow>> {
        self.tx
            .prepare_cached(sql::REFERRAL_BY_SOURCE_REF)?
            .query([source_ref])?
            .next()?
            .map(|r| decode::referral(r))
            .transpose()
    }

    async fn record_new_version(
        &mut self,
        previous: &ReferralRow,
        next: &ReferralRow,
    ) -> Result<()> {
        self.tx
            .prepare_cached(sql::INSERT_REFERRAL_VERSION)?
            .execute(params![
                previous.id.0,
                previous.version,
                previous.content_sha256,
                previous.received_at,
                previous.document
            ])?;
        self.tx
            .prepare_cached(sql::UPDATE_REFERRAL_VERSION)?
            .execute(params![
                next.version,
                next.content_sha256,
                next.received_at,
                next.incident_type,
                next.incident_at,
                next.platform,
                next.band.as_str(),
                next.outcome,
                next.signals,
                next.document,
                previous.id.0
            ])?;
        Ok(())
    }

    async fn update_referral_risk(&mut self, r: &ReferralRow) -> Result<()> {
        self.tx
            .prepare_cached(sql::UPDATE_REFERRAL_RISK)?
            .execute(params![
                r.band.as_str(),
                r.outcome,
                r.signals,
                r.document,
                r.id.0
            ])?;
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
