//! A page's personal-data reads, as methods of the gate's [`ScopedPage`]: one statement each, by id.

use crate::conn::args;
use crate::decode;
use crate::handles::ScopedPage;
use crate::rows::*;
use crate::sql;
use crate::{Result, StoreError};
use severn_domain::ids::{ReferralId, SubjectId};

/// Personal data: only the gate's handle reaches it.
impl ScopedPage {
    /// A referral found by [`Tx::known_referral`](crate::Tx::known_referral), when the scope covers its case.
    pub async fn referral_in_scope(&mut self, id: ReferralId) -> Result<Option<ReferralRow>> {
        let found = self
            .read
            .conn()
            .optional(sql::REFERRAL_BY_ID, &args![id], decode::referral)
            .await?;
        match found {
            Some(r) if !self.scope().covers(r.subject_id, r.owner_org) => {
                Err(StoreError::OutOfScope)
            }
            found => Ok(found),
        }
    }

    pub async fn subject(&mut self, id: SubjectId) -> Result<Option<SubjectRow>> {
        let found = self
            .read
            .conn()
            .optional(sql::SUBJECT_BY_ID, &args![id], decode::subject)
            .await?;
        match found {
            Some(s) if !self.scope().covers(s.id, s.owner_org) => Err(StoreError::OutOfScope),
            found => Ok(found),
        }
    }

    pub async fn referral_refs_of_subject(&mut self, subject: SubjectId) -> Result<Vec<String>> {
        self.read.referral_refs_of_subject(subject).await
    }

    pub async fn links_of_subject(&mut self, subject: SubjectId) -> Result<Vec<LinkExplained>> {
        self.read
            .conn()
            .all(sql::LINKS_OF_SUBJECT, &args![subject], |r| {
                Ok(decode::link_explained(r)?.1)
            })
            .await
    }

    pub async fn identifiers_of_referral(
        &mut self,
        referral: ReferralId,
    ) -> Result<Vec<(ReferralId, IdentifierRow, String)>> {
        self.read
            .conn()
            .all(
                sql::IDENTIFIERS_OF_REFERRAL,
                &args![referral],
                decode::identifier_on_referral,
            )
            .await
    }

    pub async fn assessments_of_subject(
        &mut self,
        subject: SubjectId,
    ) -> Result<Vec<AssessmentRow>> {
        self.read.assessments_of_subject(subject).await
    }

    pub async fn decisions_of_subject(&mut self, subject: SubjectId) -> Result<Vec<DecisionRow>> {
        self.read.decisions_of_subject(subject).await
    }

    pub async fn referral_versions(&mut self, id: ReferralId) -> Result<Vec<(i32, String, i64)>> {
        self.read.referral_versions(id).await
    }
}
