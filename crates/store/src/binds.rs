//! The values each stored row binds, in the order of its column list in [`crate::sql`]: written once, for
//! both drivers and for single-row and multi-row statements alike.
//!
//! Depends on `rows`, `conn` and the domain only.

use crate::conn::{Arg, args};
use crate::rows::*;
use severn_domain::risk::Band;

/// [`crate::sql::SUBJECT_COLUMNS`].
pub(crate) fn subject(s: &SubjectRow) -> [Arg<'_>; 11] {
    args![
        s.id,
        s.created_at,
        s.status.as_str(),
        s.merged_into,
        s.provisional_band.as_str(),
        s.assessment_id,
        s.band.as_str(),
        &s.band_reason,
        s.clock_start_at,
        s.due_at,
        s.owner_org
    ]
}

/// [`crate::sql::INSERT_ASSESSMENT`].
pub(crate) fn assessment(a: &AssessmentRow) -> [Arg<'_>; 13] {
    args![
        a.id,
        a.subject_id,
        &a.tool_id,
        &a.tool_version,
        &a.answers,
        &a.outcome,
        a.band.as_str(),
        &a.assessor,
        a.assessed_at,
        a.override_band.map(Band::as_str),
        a.override_rationale.as_deref(),
        a.override_by.as_deref(),
        a.rescored_from
    ]
}

/// [`crate::sql::UPDATE_SUBJECT`]: a subject's changing state, then its id.
pub(crate) fn subject_update(s: &SubjectRow) -> [Arg<'_>; 9] {
    let [
        id,
        _created,
        status,
        merged,
        provisional,
        assessment,
        band,
        reason,
        clock,
        due,
        _owner,
    ] = subject(s);
    [
        status,
        merged,
        provisional,
        assessment,
        band,
        reason,
        clock,
        due,
        id,
    ]
}

/// [`crate::sql::REFERRAL_COLUMNS`].
pub(crate) fn referral(r: &ReferralRow) -> [Arg<'_>; 19] {
    args![
        r.id,
        &r.source_ref,
        &r.format,
        &r.source,
        r.version,
        &r.content_sha256,
        r.received_at,
        r.clock_start_at,
        r.nca_reference.as_deref(),
        r.disseminated_at,
        r.incident_type.as_deref(),
        r.incident_at,
        r.platform.as_deref(),
        r.subject_id,
        r.band.as_str(),
        &r.outcome,
        &r.signals,
        &r.document,
        r.owner_org
    ]
}

/// `subject_link (referral_id, identifier_id, weight, linked_at)`.
pub(crate) fn link(l: &LinkRow) -> [Arg<'_>; 4] {
    args![l.referral_id, l.identifier_id, l.weight, l.linked_at]
}

/// [`crate::sql::IDENTIFIER_COLUMNS`], then the key's hash (SQLite's index: see `identifier_key_hash`).
pub(crate) fn identifier_hashed(r: &IdentifierRow) -> [Arg<'_>; 10] {
    let mut hashed = [Arg::I64(identifier_key_hash(&r.key)); 10];
    hashed[..9].copy_from_slice(&identifier(r));
    hashed
}

/// [`crate::sql::IDENTIFIER_COLUMNS`].
pub(crate) fn identifier(r: &IdentifierRow) -> [Arg<'_>; 9] {
    args![
        r.id,
        &r.key,
        r.kind.as_str(),
        r.service.as_deref(),
        &r.value,
        r.placeholder,
        r.common,
        r.subject_id,
        r.owner_org
    ]
}

/// `referral_identifier (referral_id, identifier_id, role)`.
pub(crate) fn referral_identifier(r: &ReferralIdentifierRow) -> [Arg<'_>; 3] {
    args![r.referral_id, r.identifier_id, &r.role]
}

/// [`crate::sql::FILE_DETAIL_COLUMNS`].
pub(crate) fn file_detail(f: &FileDetailRow) -> [Arg<'_>; 5] {
    args![
        &f.source_ref,
        &f.file_id,
        &f.content_sha256,
        f.received_at,
        &f.document
    ]
}

/// [`crate::sql::INSERT_REJECT`].
pub(crate) fn reject(r: &NewReject) -> [Arg<'_>; 7] {
    args![
        &r.path,
        r.location.as_deref(),
        r.field.as_deref(),
        &r.reason,
        r.content.as_slice(),
        r.context.as_deref(),
        r.rejected_at
    ]
}
