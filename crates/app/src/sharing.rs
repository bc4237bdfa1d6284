//! A subject as its page shows it: the summary, whom the case is shared with, whether and to whom it is
//! restricted, and what the person looking may do about that. One authorised, logged view.

use crate::gate::{OnCase, Why};
use crate::views::SubjectSummary;
use crate::{App, AppError, Result};
use serde::Serialize;
use severn_domain::access::{Action, Actor, decide};
use severn_domain::ids::SubjectId;

/// Someone outside the owning force a case is shared with.
#[derive(Debug, Clone, Serialize)]
pub struct ShareView {
    pub username: String,
    pub display_name: String,
    pub organisation: String,
    pub reason: String,
    pub shared_by: String,
    /// Unix seconds.
    pub shared_at: i64,
}

/// A person a restricted case is open to.
#[derive(Debug, Clone, Serialize)]
pub struct NamedPerson {
    pub username: String,
    pub display_name: String,
}

/// Who may see a case beyond its force's case roles.
#[derive(Debug, Clone, Serialize)]
pub struct Sharing {
    pub shared_with: Vec<ShareView>,
    /// `None` when the case is not restricted.
    pub restricted_to: Option<Vec<NamedPerson>>,
}

/// A subject with its sharing, and what the viewer may change.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectDetail {
    pub summary: SubjectSummary,
    pub sharing: Sharing,
    /// Whether the viewer may share this case (the policy, on this case).
    pub may_share: bool,
    /// Whether the viewer may restrict this case or lift its restriction.
    pub may_restrict: bool,
}

impl App {
    /// A subject with whom it is shared and to whom it is restricted: one case view, logged as such.
    pub async fn subject_detail(
        &self,
        actor: &Actor,
        id: SubjectId,
        why: Why,
    ) -> Result<SubjectDetail> {
        let mut tx = self.db.begin().await?;
        let access = tx
            .case_access(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("There is no subject {id}.")))?;
        let case = OnCase {
            subject: id,
            access: &access,
        };
        let (mut tx, _) = self
            .authorise(
                tx,
                actor,
                Action::ViewCase,
                &format!("subject:{id}"),
                Some(case),
                why,
            )
            .await?;
        let subject = tx
            .subject(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no subject {id}")))?;
        let members = tx.referrals_of_subjects(&[id]).await?;
        let (shares, named) = tx.case_sharing(id).await?;
        tx.commit().await?;
        Ok(SubjectDetail {
            summary: self.summarise(
                &subject,
                members.into_iter().map(|r| r.source_ref).collect(),
            ),
            sharing: Sharing {
                shared_with: shares
                    .into_iter()
                    .map(|s| ShareView {
                        username: s.username,
                        display_name: s.display_name,
                        organisation: s.org_name,
                        reason: s.reason,
                        shared_by: s.shared_by,
                        shared_at: s.shared_at,
                    })
                    .collect(),
                restricted_to: named.map(|people| {
                    people
                        .into_iter()
                        .map(|p| NamedPerson {
                            username: p.username,
                            display_name: p.display_name,
                        })
                        .collect()
                }),
            },
            may_share: decide(actor, Action::Share, Some(&access)).is_ok(),
            may_restrict: decide(actor, Action::Restrict, Some(&access)).is_ok(),
        })
    }
}
