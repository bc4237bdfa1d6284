//! A page's personal-data reads, as methods of the gate's [`ScopedPage`]: on the rusqlite reader where there
//! is one (see `reader`), otherwise on the scoped sqlx transaction.

use crate::handles::{ScopedPage, ScopedRead};
use crate::rows::*;
use crate::{Result, StoreError};
use severn_domain::ids::{ReferralId, SubjectId};

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
            ScopedRead::Sqlite(r) => r.referral_refs_of_subject(subject),
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
