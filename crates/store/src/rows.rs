//! Plain rows passed between the use-case layer and storage.
//!
//! Depends on packed and the domain only.

mod casefile;
mod identity;
mod register;
mod staff;

pub use casefile::*;
pub use identity::*;
pub use register::*;
pub use staff::*;

use crate::packed::Packed;
use serde::{Deserialize, Serialize};
use severn_domain::ids::{IdentifierId, OrgId, ReferralId, SubjectId};
use severn_domain::report::IdentifierKind;
use severn_domain::risk::Band;
use severn_domain::subject::{DecisionKind, SubjectStatus};

/// What storage knows of a referral when a document with its source reference arrives again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownReferral {
    pub id: ReferralId,
    pub source_ref: String,
    pub content_sha256: String,
    pub version: i32,
    pub subject_id: SubjectId,
    pub owner_org: Option<OrgId>,
}

/// An identifier as stored, with the subject that currently carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifierRow {
    pub id: IdentifierId,
    pub key: String,
    pub kind: IdentifierKind,
    pub service: Option<String>,
    pub value: String,
    pub placeholder: bool,
    pub common: bool,
    pub subject_id: Option<SubjectId>,
    /// The force that owns the referrals carrying it: an identifier links only referrals of one owner.
    pub owner_org: Option<OrgId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectRow {
    pub id: SubjectId,
    pub created_at: i64,
    pub status: SubjectStatus,
    pub merged_into: Option<SubjectId>,
    pub provisional_band: Band,
    pub assessment_id: Option<i64>,
    pub band: Band,
    pub band_reason: String,
    pub clock_start_at: i64,
    pub due_at: i64,
    /// The force that owns the case; `None` until one is assigned.
    pub owner_org: Option<OrgId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReferralRow {
    pub id: ReferralId,
    pub source_ref: String,
    pub format: String,
    pub source: String,
    pub version: i32,
    pub content_sha256: String,
    pub received_at: i64,
    pub clock_start_at: i64,
    pub nca_reference: Option<String>,
    pub disseminated_at: Option<i64>,
    pub incident_type: Option<String>,
    pub incident_at: Option<i64>,
    pub platform: Option<String>,
    pub subject_id: SubjectId,
    pub band: Band,
    /// The provisional risk outcome (JSON), with its explanation.
    pub outcome: Packed,
    /// The risk signals read from the referral (JSON).
    pub signals: String,
    /// The normalised report (JSON). Never file content.
    pub document: Packed,
    /// The force that received the referral; `None` until one is assigned.
    pub owner_org: Option<OrgId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralIdentifierRow {
    pub referral_id: ReferralId,
    pub identifier_id: IdentifierId,
    pub role: String,
}

/// Why a referral is in its subject: one row per identifier it shared with the subject, with its weight.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkRow {
    pub referral_id: ReferralId,
    pub identifier_id: IdentifierId,
    pub weight: f64,
    pub linked_at: i64,
}

/// A link row with the identifier spelled out, for explanations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkExplained {
    pub referral: String,
    pub kind: IdentifierKind,
    pub service: Option<String>,
    pub value: String,
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentifierOnReferral {
    pub referral: String,
    pub kind: IdentifierKind,
    pub service: Option<String>,
    pub value: String,
    pub role: String,
    /// A placeholder or common value, which does not link.
    pub placeholder: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectRow {
    pub id: i64,
    pub path: String,
    pub location: Option<String>,
    pub field: Option<String>,
    pub reason: String,
    pub context: Option<String>,
    pub rejected_at: i64,
    pub resolved_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReject {
    pub path: String,
    pub location: Option<String>,
    pub field: Option<String>,
    pub reason: String,
    pub content: Vec<u8>,
    pub context: Option<String>,
    pub rejected_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDetailRow {
    pub source_ref: String,
    pub file_id: String,
    pub content_sha256: String,
    pub received_at: i64,
    pub document: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentRow {
    pub id: i64,
    pub subject_id: SubjectId,
    pub tool_id: String,
    pub tool_version: String,
    pub answers: String,
    pub outcome: String,
    pub band: Band,
    pub assessor: String,
    pub assessed_at: i64,
    pub override_band: Option<Band>,
    pub override_rationale: Option<String>,
    pub override_by: Option<String>,
    pub rescored_from: Option<i64>,
}

/// A supervisor's sign-off of an assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignOffRow {
    pub assessment_id: i64,
    pub signed_by: String,
    pub signed_at: i64,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRow {
    pub id: i64,
    pub kind: DecisionKind,
    pub subject_id: SubjectId,
    pub other_subject_id: SubjectId,
    pub referrals: String,
    pub rationale: String,
    pub actor: String,
    pub decided_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskToolRow {
    pub tool_id: String,
    pub version: String,
    pub source: String,
    pub loaded_at: i64,
    pub active: bool,
}

/// The 64-bit hash of an identifier key that SQLite indexes identifiers by (FNV-1a: stable across builds and
/// platforms, as a stored value must be). Lookups compare the key as well, so a collision costs nothing but a
/// row read.
pub fn identifier_key_hash(key: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash as i64
}
