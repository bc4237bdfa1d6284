//! The investigator's desk on a case: what its referrals say about the suspect and the children they name,
//! and why the band is what it is (the risk tool's signals, the assessor, any override and its sign-off).
//! Read inside the case's authorised opening, so it is logged with it.

use crate::assess::subject_signals;
use crate::time::instant;
use crate::{AppError, Result};
use jiff::Timestamp;
use serde::Serialize;
use severn_domain::ids::SubjectId;
use severn_domain::profile::SuspectProfile;
use severn_domain::report::{ReferralSource, Report};
use severn_domain::risk::{Band, Contribution, Outcome, RiskTool};
use severn_store::{Scoped, StoreError};
use utoipa::ToSchema;

/// A referral behind the case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseReferral {
    pub reference: String,
    /// Where it came from, in plain words.
    pub source: String,
    #[schema(value_type = String, format = DateTime)]
    pub received_at: Timestamp,
}

/// A supervisor's override of the tool's band.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BandOverride {
    pub band: Band,
    pub band_label: &'static str,
    pub by: String,
    pub rationale: String,
}

/// A supervisor's sign-off of the assessment in force.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SignOff {
    pub by: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub comment: String,
}

/// Why the subject has its band: what set it first, then every signal and answer with its points.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BandReasons {
    /// The tool's band; an override below says where a supervisor moved it.
    pub band: Band,
    pub band_label: &'static str,
    /// The rule that lifted the band, or the points that reached it.
    pub set_by: Vec<String>,
    pub signals: Vec<Contribution>,
    pub points: u32,
    /// The tool and version that banded it, e.g. "kirat-illustrative 1.0.0".
    pub tool: String,
    /// The assessment in force; `None` while the band is the provisional one from the referrals alone.
    pub assessment: Option<i64>,
    pub assessed_by: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub assessed_at: Option<Timestamp>,
    /// Questions of the tool not answered.
    pub unanswered: usize,
    pub overridden: Option<BandOverride>,
    pub signed_off: Option<SignOff>,
    /// Whether the person asking made the assessment in force (or its override): they cannot sign it off.
    pub made_by_you: bool,
}

/// The suspect profile, the referrals and the band's reasons of a subject.
pub(crate) struct Desk {
    pub profile: SuspectProfile,
    pub referrals: Vec<CaseReferral>,
    pub band: BandReasons,
}

pub(crate) async fn desk(
    tx: &mut Scoped,
    subject: SubjectId,
    tool: &RiskTool,
    asking: &str,
) -> Result<Desk> {
    let rows = tx.referrals_of_subjects(&[subject]).await?;
    let mut reports: Vec<(String, Report)> = Vec::with_capacity(rows.len());
    for row in &rows {
        // A document that does not read is stored data gone bad: say so rather than show a partial profile.
        let report = row.document.json::<Report>().map_err(|e| {
            AppError::Store(StoreError::Corrupt(format!(
                "referral {}: {e}",
                row.source_ref
            )))
        })?;
        reports.push((row.source_ref.clone(), report));
    }
    let profile = SuspectProfile::from_referrals(reports.iter().map(|(r, p)| (r.as_str(), p)));
    let referrals = rows
        .iter()
        .map(|r| CaseReferral {
            reference: r.source_ref.clone(),
            source: ReferralSource::parse(&r.source)
                .map(|s| s.label().to_owned())
                .unwrap_or_else(|| r.source.clone()),
            received_at: instant(r.received_at),
        })
        .collect();
    let assessment = match tx.subject(subject).await?.and_then(|s| s.assessment_id) {
        Some(id) => tx.assessment(id).await?,
        None => None,
    };
    let band = match assessment {
        Some(a) => {
            let outcome: Outcome = serde_json::from_str(&a.outcome).map_err(|e| {
                AppError::Store(StoreError::Corrupt(format!(
                    "assessment {} outcome: {e}",
                    a.id
                )))
            })?;
            let signed_off = tx.sign_off(a.id).await?.map(|s| SignOff {
                by: s.signed_by,
                at: instant(s.signed_at),
                comment: s.comment,
            });
            let made_by = a.override_by.as_deref().unwrap_or(&a.assessor);
            BandReasons {
                made_by_you: made_by == asking,
                assessment: Some(a.id),
                assessed_by: Some(a.assessor),
                assessed_at: Some(instant(a.assessed_at)),
                overridden: match (a.override_band, a.override_by, a.override_rationale) {
                    (Some(band), Some(by), Some(rationale)) => Some(BandOverride {
                        band,
                        band_label: band.label(),
                        by,
                        rationale,
                    }),
                    _ => None,
                },
                signed_off,
                ..reasons(&outcome)
            }
        }
        None => reasons(&tool.provisional(&subject_signals(&rows))),
    };
    Ok(Desk {
        profile,
        referrals,
        band,
    })
}

fn reasons(outcome: &Outcome) -> BandReasons {
    BandReasons {
        band: outcome.band,
        band_label: outcome.band.label(),
        set_by: outcome.set_by().into_iter().map(str::to_owned).collect(),
        signals: outcome.by_weight().into_iter().cloned().collect(),
        points: outcome.points,
        tool: format!("{} {}", outcome.tool_id, outcome.tool_version),
        assessment: None,
        assessed_by: None,
        assessed_at: None,
        unanswered: outcome.unanswered.len(),
        overridden: None,
        signed_off: None,
        made_by_you: false,
    }
}
