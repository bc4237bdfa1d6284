//! Ingest: parsed documents in, referrals linked into subjects and prioritised out, in batched transactions.
//!
//! Each batch is one transaction: rejects, referrals, identifiers, links, merges and subject deadlines are
//! written together or not at all. A source reference seen again with the same content is a duplicate; with
//! different content it is a new version of the same referral.

mod link;
mod pipeline;
mod prepare;
mod retry;
mod subject;
mod write;

use serde::Serialize;

pub use pipeline::Ingester;
pub use prepare::Owners;
pub(crate) use subject::{band_reason, due_at, fresh_subject};

// A batch hashes every identifier key many times; SipHash was a tenth of the writer's instructions.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// Documents per transaction: large enough to amortise commits (index pages that several batches change are
/// written once), small enough to bound memory (two batches are held at a time).
pub const DEFAULT_BATCH_SIZE: usize = 5000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IngestSummary {
    pub ingested: u64,
    pub duplicates: u64,
    pub new_versions: u64,
    pub rejected: u64,
    pub file_details: u64,
}

impl IngestSummary {
    pub fn documents(&self) -> u64 {
        self.ingested + self.duplicates + self.new_versions + self.rejected + self.file_details
    }
}
