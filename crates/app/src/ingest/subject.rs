//! A subject's band, band reason and deadline as referrals join it; shared with the subject use cases.

use severn_domain::ids::{OrgId, SubjectId};
use severn_domain::risk::{Band, Outcome, RiskTool};
use severn_domain::sla;
use severn_domain::subject::SubjectStatus;
use severn_store::SubjectRow;

/// A stored band. Only Severn writes the column, so anything else is read as the lowest band.
pub(crate) fn due_at(clock_start_at: i64, band: Band, tool: &RiskTool) -> i64 {
    let start = jiff::Timestamp::from_second(clock_start_at).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    sla::due_at(start, band, tool).as_second()
}

pub(crate) fn fresh_subject(
    id: SubjectId,
    clock_start_at: i64,
    now: i64,
    owner_org: Option<OrgId>,
) -> SubjectRow {
    SubjectRow {
        id,
        created_at: now,
        status: SubjectStatus::Open,
        merged_into: None,
        provisional_band: Band::Low,
        assessment_id: None,
        band: Band::Low,
        band_reason: String::new(),
        clock_start_at,
        due_at: clock_start_at,
        owner_org,
    }
}

/// Folds a merged subject into its target: the higher band and the earlier clock start win.
pub(crate) fn fold_subject(target: &mut SubjectRow, from: &SubjectRow) {
    target.provisional_band = target.provisional_band.max(from.provisional_band);
    if from.band > target.band || target.band_reason.is_empty() {
        target.band = from.band;
        target.band_reason = from.band_reason.clone();
    }
    if target.assessment_id.is_none() {
        target.assessment_id = from.assessment_id;
    }
    target.clock_start_at = target.clock_start_at.min(from.clock_start_at);
}

/// A referral joins a subject: its provisional band `band` raises the subject's band when higher, with
/// `reason` (see [`band_reason`]). An assessed subject keeps its assessed band unless the new referral shows
/// more risk than the assessment found.
pub(crate) fn raise_subject(
    target: &mut SubjectRow,
    band: Band,
    reason: String,
    clock_start_at: i64,
) {
    target.provisional_band = target.provisional_band.max(band);
    if target.band_reason.is_empty() || band > target.band {
        target.band = band;
        target.band_reason = if target.assessment_id.is_some() {
            format!("New referral since the last assessment. {reason}")
        } else {
            reason
        };
    }
    target.clock_start_at = target.clock_start_at.min(clock_start_at);
}

pub(crate) fn band_reason(source_ref: &str, outcome: &Outcome) -> String {
    format!(
        "{} provisional from referral {source_ref}: {}",
        outcome.band.label(),
        outcome.reasons.join(" ")
    )
}
