//! A subject as its page shows it: the summary, whom the case is shared with, whether and to whom it is
//! restricted, and what the person looking may do about that. One authorised, logged view.

use crate::gate::Why;
use crate::time::instant;
use crate::views::SubjectSummary;
use crate::{App, AppError, Result};
use jiff::Timestamp;
use serde::Serialize;
use severn_domain::access::{Action, Actor, decide};
use severn_domain::ids::SubjectId;
use severn_domain::text::capitalised;

/// Someone outside the owning force a case is shared with.
#[derive(Debug, Clone, Serialize)]
pub struct ShareView {
    pub username: String,
    pub display_name: String,
    pub organisation: String,
    pub reason: String,
    pub shared_by: String,
    pub shared_at: Timestamp,
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

/// One dated event in a case's history.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TimelineEvent {
    pub at: Timestamp,
    pub what: String,
}

/// A subject with its sharing, and what the viewer may change.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectDetail {
    pub summary: SubjectSummary,
    pub sharing: Sharing,
    /// What happened to the case, oldest first: referrals received, the clock's start, assessments and
    /// overrides, merges and splits, shares, and the deadline.
    pub timeline: Vec<TimelineEvent>,
    /// Whether the viewer may share this case (the policy, on this case).
    pub may_share: bool,
    /// Whether the viewer may restrict this case or lift its restriction.
    pub may_restrict: bool,
    /// Where the subject went, when it was merged away.
    pub merged: Option<crate::matches::MergedAway>,
}

impl App {
    /// A subject with whom it is shared and to whom it is restricted: one case view, logged as such.
    pub async fn subject_detail(
        &self,
        actor: &Actor,
        id: SubjectId,
        why: Why,
    ) -> Result<SubjectDetail> {
        let tx = self.db().begin().await?;
        let mut tx = self
            .authorise_case(tx, actor, Action::ViewCase, id, why)
            .await?;
        let access = tx.case_access().cloned().unwrap_or_default();
        let subject = tx
            .subject(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no subject {id}")))?;
        let members = tx.referrals_of_subjects(&[id]).await?;
        let (shares, named) = tx.case_sharing(id).await?;
        let assessments = tx.assessments_of_subject(id).await?;
        let decisions = tx.decisions_of_subject(id).await?;
        tx.commit().await?;
        let mut timeline: Vec<TimelineEvent> = members
            .iter()
            .map(|r| TimelineEvent {
                at: instant(r.received_at),
                what: format!("Referral {} received from {}", r.source_ref, r.source),
            })
            .collect();
        timeline.push(TimelineEvent {
            at: instant(subject.clock_start_at),
            what: "The clock started".to_owned(),
        });
        for a in &assessments {
            timeline.push(TimelineEvent {
                at: instant(a.assessed_at),
                what: format!(
                    "Assessed {} by {} ({} {})",
                    a.band.label(),
                    a.assessor,
                    a.tool_id,
                    a.tool_version
                ),
            });
            if let (Some(band), Some(by)) = (&a.override_band, &a.override_by) {
                timeline.push(TimelineEvent {
                    at: instant(a.assessed_at),
                    what: format!(
                        "Band overridden to {} by {}: {}",
                        band.label(),
                        by,
                        a.override_rationale.as_deref().unwrap_or("")
                    ),
                });
            }
        }
        for d in &decisions {
            timeline.push(TimelineEvent {
                at: instant(d.decided_at),
                what: format!(
                    "{} (subjects {} and {}) by {}: {}",
                    capitalised(d.kind.as_str()),
                    d.subject_id,
                    d.other_subject_id,
                    d.actor,
                    d.rationale
                ),
            });
        }
        for s in &shares {
            timeline.push(TimelineEvent {
                at: instant(s.shared_at),
                what: format!(
                    "Shared with {} ({}) by {}: {}",
                    s.username, s.org_name, s.shared_by, s.reason
                ),
            });
        }
        timeline.push(TimelineEvent {
            at: instant(subject.due_at),
            what: "Due: the end of the timescale for its band".to_owned(),
        });
        // Stable: events at the same second keep the order above (a referral before the clock it starts).
        timeline.sort_by_key(|e| e.at);
        // A merged-away subject is a pointer to where it went: nothing is done on it any more.
        let merged = crate::matches::MergedAway::of(&subject, &decisions);
        let live = merged.is_none();
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
                        shared_at: instant(s.shared_at),
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
            timeline,
            may_share: live && decide(actor, Action::Share, Some(&access)).is_ok(),
            may_restrict: live && decide(actor, Action::Restrict, Some(&access)).is_ok(),
            merged,
        })
    }
}
