//! The audit chain: what an entry records, and sealing it after the log's head. Both drivers' appends
//! (sqlx in `audit`, rusqlite in `writer`) seal here, so an entry is chained the same way whoever writes it.
//!
//! Depends on the domain only.

use crate::{Result, StoreError};
use severn_domain::access::Processing;
use severn_domain::audit::{AuditEntry, AuditKey, GENESIS, mac_from_hex};
use severn_domain::ids::OrgId;

/// What an audit entry records, before the log gives it its place and MAC.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub at: i64,
    pub actor: String,
    pub org: Option<OrgId>,
    pub processing: Processing,
    pub action: String,
    pub target: String,
    pub justification: Option<String>,
    pub recipients: Option<String>,
    pub detail: Option<String>,
}

/// The audit entry that follows the head `(seq, mac)`, sealed with `key`.
pub(crate) fn sealed_entry(
    seq: i64,
    prev: &str,
    key: &AuditKey,
    record: &AuditRecord,
    outcome: &str,
) -> Result<AuditEntry> {
    let prev: [u8; 32] = if seq == 0 {
        GENESIS
    } else {
        mac_from_hex(prev)
            .ok_or_else(|| StoreError::Corrupt("audit head MAC is not 32 bytes of hex".into()))?
    };
    let mut entry = AuditEntry {
        seq: seq + 1,
        at: record.at,
        actor: record.actor.clone(),
        org: record.org.map(|o| o.0),
        processing: record.processing,
        action: record.action.clone(),
        target: record.target.clone(),
        outcome: outcome.to_owned(),
        justification: record.justification.clone(),
        recipients: record.recipients.clone(),
        detail: record.detail.clone(),
        mac: String::new(),
    };
    entry.seal(key, &prev);
    Ok(entry)
}
