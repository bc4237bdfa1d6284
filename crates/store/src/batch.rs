//! The statements one ingest batch makes ([`BatchStore`]), on the gate's [`Scoped`] handle (either backend,
//! multi-row statements) or, on SQLite, on an ingest's own [`SqliteTx`] (in `batch/sqlite.rs`: one cached
//! statement per row, with a connection tuned for bulk loads). Both bind the same rows (`binds`) into the
//! same statements (`sql`).

mod sqlite;

use crate::Result;
use crate::chain::AuditRecord;
use crate::db::{Db, SqliteDb};
use crate::gate::Gate;
use crate::handles::Scoped;
use crate::rows::*;
use crate::scope::Scope;
use crate::tx::{FileDetailOutcome, Tx};
use crate::writer::SqliteWriter;
use severn_domain::audit::AuditEntry;
use severn_domain::ids::{IdentifierId, ReferralId, SubjectId};
use std::collections::HashMap;

/// The statements one ingest batch makes. Implemented by the two transaction types only; callers use the
/// concrete types, so whether a future is `Send` is known where it is spawned.
#[allow(async_fn_in_trait)]
pub trait BatchStore {
    /// The gate's handle underneath, for the use cases only it has (relinking a subject).
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

impl SqliteWriter {
    /// A writer of its own on the database file of `db`; `None` for PostgreSQL.
    /// A writer holds personal data, so it takes the grant of an ingest over a force or more.
    pub async fn open(db: &Db, grant: &Scope) -> Result<Option<SqliteWriter>> {
        grant.list_owner()?;
        let Db::Sqlite(SqliteDb { file, .. }) = db else {
            return Ok(None);
        };
        SqliteWriter::open_file(file).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_ingest_writer_takes_a_grant_and_writes_the_same_database() {
        let grant = Scope::logged(crate::Reach::Everything);
        let memory = Db::connect("sqlite::memory:").await;
        assert!(
            matches!(memory, Err(crate::StoreError::UnsupportedUrl(_))),
            "an in-memory database would be another database on each connection"
        );
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
        // The database's own connection sees what the writer committed.
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
