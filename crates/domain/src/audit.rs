//! The statutory audit log's tamper evidence (DPA 2018 s.62).
//!
//! Every entry carries an HMAC-SHA256 over its own fields and the previous entry's MAC, under a key kept
//! outside the database. Changing, removing or reordering an entry breaks the chain from that point on.
//! Removing entries from the end leaves a valid but shorter chain, so checkpoints — the sequence number and
//! MAC of the latest entry, themselves MAC'd — are written outside the database, and a log that ends before
//! its latest checkpoint has been truncated.

use crate::access::Processing;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt;

type HmacSha256 = Hmac<Sha256>;

/// The secret the chain is computed with. It never enters the database.
#[derive(Clone)]
pub struct AuditKey([u8; 32]);

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuditKey(..)")
    }
}

impl AuditKey {
    pub fn new(bytes: [u8; 32]) -> AuditKey {
        AuditKey(bytes)
    }

    /// Reads a key written as 64 hex digits (surrounding whitespace allowed).
    pub fn from_hex(text: &str) -> Result<AuditKey, String> {
        let bytes = hex::decode(text.trim()).map_err(|e| format!("audit key is not hex: {e}"))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "audit key must be 32 bytes (64 hex digits)".to_owned())?;
        Ok(AuditKey(bytes))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// A key for another purpose, derived from this one (HMAC-SHA256 as a key-derivation function), so one
    /// secret kept outside the database protects more than the log without one key doing two jobs.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        self.mac(b"severn derived key v1", &[purpose.as_bytes()])
    }

    /// A stand-in for text that must not be logged as it is (a user name that belongs to no one may be a
    /// mistyped password): the same text always gives the same stand-in, so repeated attempts still show.
    pub fn pseudonym(&self, text: &str) -> String {
        let mac = self.mac(b"severn pseudonym v1", &[text.as_bytes()]);
        format!("unknown:{}", hex::encode(&mac[..6]))
    }

    fn mac(&self, purpose: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.0).expect("any key length");
        mac.update(purpose);
        for part in parts {
            // Length-prefixed, so no two different entries can produce the same byte stream.
            mac.update(&(part.len() as u64).to_le_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

/// The MAC that precedes the first entry.
pub const GENESIS: [u8; 32] = [0; 32];

/// Reads a stored MAC (64 hex digits).
pub fn mac_from_hex(text: &str) -> Option<[u8; 32]> {
    hex::decode(text).ok()?.try_into().ok()
}

/// Whether the access was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Allowed,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
        }
    }
}

/// One entry, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    /// Unix seconds, UTC.
    pub at: i64,
    pub actor: String,
    pub org: Option<i64>,
    pub processing: Processing,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub justification: Option<String>,
    pub recipients: Option<String>,
    pub detail: Option<String>,
    /// Hex of the chain MAC.
    pub mac: String,
}

impl AuditEntry {
    /// The MAC this entry must carry when it follows an entry with MAC `prev`.
    pub fn chain_mac(&self, key: &AuditKey, prev: &[u8; 32]) -> [u8; 32] {
        let seq = self.seq.to_string();
        let at = self.at.to_string();
        let org = self.org.map(|o| o.to_string()).unwrap_or_default();
        key.mac(
            b"severn-audit-entry/1",
            &[
                prev,
                seq.as_bytes(),
                at.as_bytes(),
                self.actor.as_bytes(),
                org.as_bytes(),
                self.processing.as_str().as_bytes(),
                self.action.as_bytes(),
                self.target.as_bytes(),
                self.outcome.as_bytes(),
                opt(&self.justification),
                opt(&self.recipients),
                opt(&self.detail),
            ],
        )
    }

    /// Fills in `mac` for an entry that follows one with MAC `prev`.
    pub fn seal(&mut self, key: &AuditKey, prev: &[u8; 32]) -> [u8; 32] {
        let mac = self.chain_mac(key, prev);
        self.mac = hex::encode(mac);
        mac
    }
}

fn opt(value: &Option<String>) -> &[u8] {
    // A leading marker keeps "absent" and "empty" apart.
    match value {
        Some(v) if v.is_empty() => b"\x01",
        Some(v) => v.as_bytes(),
        None => b"\x00",
    }
}

/// The head of the log at a moment, MAC'd so it cannot be forged without the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub mac: String,
    pub at: i64,
    pub signature: String,
}

impl Checkpoint {
    pub fn sign(key: &AuditKey, seq: i64, mac: &str, at: i64) -> Checkpoint {
        Checkpoint {
            seq,
            mac: mac.to_owned(),
            at,
            signature: hex::encode(Self::expected(key, seq, mac, at)),
        }
    }

    fn expected(key: &AuditKey, seq: i64, mac: &str, at: i64) -> [u8; 32] {
        key.mac(
            b"severn-audit-checkpoint/1",
            &[
                seq.to_string().as_bytes(),
                mac.as_bytes(),
                at.to_string().as_bytes(),
            ],
        )
    }

    pub fn is_genuine(&self, key: &AuditKey) -> bool {
        hex::encode(Self::expected(key, self.seq, &self.mac, self.at)) == self.signature
    }
}

/// Something `verify` found wrong, with the sequence number where it shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "problem")]
pub enum Problem {
    /// The entry's MAC does not match its contents and its predecessor: it, or the one before, was edited.
    Altered { seq: i64 },
    /// Sequence numbers jump: entries were deleted.
    Missing { after: i64, next: i64 },
    /// Sequence numbers go backwards or repeat: entries were reordered or copied.
    OutOfOrder { seq: i64, after: i64 },
    /// The log ends before a checkpoint written outside the database.
    Truncated { ends_at: i64, checkpoint: i64 },
    /// The entry a checkpoint names is not the one in the log.
    CheckpointMismatch { seq: i64 },
    /// A checkpoint's own signature is wrong: the checkpoint file was edited.
    ForgedCheckpoint { seq: i64 },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Altered { seq } => {
                write!(f, "entry {seq} was altered (its MAC does not match)")
            }
            Problem::Missing { after, next } => {
                write!(f, "entries after {after} and before {next} were deleted")
            }
            Problem::OutOfOrder { seq, after } => {
                write!(
                    f,
                    "entry {seq} comes after entry {after}: entries were reordered"
                )
            }
            Problem::Truncated {
                ends_at,
                checkpoint,
            } => write!(
                f,
                "the log ends at entry {ends_at} but a checkpoint records entry {checkpoint}: it was truncated"
            ),
            Problem::CheckpointMismatch { seq } => {
                write!(f, "entry {seq} differs from the checkpoint that records it")
            }
            Problem::ForgedCheckpoint { seq } => {
                write!(
                    f,
                    "the checkpoint for entry {seq} is not signed with the audit key"
                )
            }
        }
    }
}

/// Checks entries as they come (in storage order), then against the checkpoints.
#[derive(Debug)]
pub struct Verifier<'k> {
    key: &'k AuditKey,
    prev_seq: i64,
    prev_mac: [u8; 32],
    macs_at_checkpoints: Vec<(i64, String)>,
    checkpoints: Vec<Checkpoint>,
    pub entries: u64,
    pub problems: Vec<Problem>,
}

impl<'k> Verifier<'k> {
    pub fn new(key: &'k AuditKey, checkpoints: Vec<Checkpoint>) -> Verifier<'k> {
        Verifier {
            key,
            prev_seq: 0,
            prev_mac: GENESIS,
            macs_at_checkpoints: Vec::new(),
            checkpoints,
            entries: 0,
            problems: Vec::new(),
        }
    }

    pub fn push(&mut self, entry: &AuditEntry) {
        self.entries += 1;
        if entry.seq <= self.prev_seq {
            self.problems.push(Problem::OutOfOrder {
                seq: entry.seq,
                after: self.prev_seq,
            });
        } else if entry.seq != self.prev_seq + 1 {
            self.problems.push(Problem::Missing {
                after: self.prev_seq,
                next: entry.seq,
            });
        }
        if hex::encode(entry.chain_mac(self.key, &self.prev_mac)) != entry.mac {
            self.problems.push(Problem::Altered { seq: entry.seq });
        }
        if self.checkpoints.iter().any(|c| c.seq == entry.seq) {
            self.macs_at_checkpoints
                .push((entry.seq, entry.mac.clone()));
        }
        self.prev_seq = entry.seq;
        // Continue from the stored MAC so one edit is reported once, not at every later entry.
        self.prev_mac = mac_from_hex(&entry.mac).unwrap_or(GENESIS);
    }

    /// The problems found, once every entry has been pushed.
    pub fn finish(mut self) -> Vec<Problem> {
        let ends_at = self.prev_seq;
        for checkpoint in &self.checkpoints {
            if !checkpoint.is_genuine(self.key) {
                self.problems.push(Problem::ForgedCheckpoint {
                    seq: checkpoint.seq,
                });
            } else if checkpoint.seq > ends_at {
                self.problems.push(Problem::Truncated {
                    ends_at,
                    checkpoint: checkpoint.seq,
                });
            } else if !self
                .macs_at_checkpoints
                .iter()
                .any(|(seq, mac)| *seq == checkpoint.seq && *mac == checkpoint.mac)
            {
                self.problems.push(Problem::CheckpointMismatch {
                    seq: checkpoint.seq,
                });
            }
        }
        self.problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> AuditKey {
        AuditKey::new([7; 32])
    }

    fn chain(n: i64) -> Vec<AuditEntry> {
        let key = key();
        let mut prev = GENESIS;
        (1..=n)
            .map(|seq| {
                let mut e = AuditEntry {
                    seq,
                    at: 1_700_000_000 + seq,
                    actor: "a.tester".into(),
                    org: Some(1),
                    processing: Processing::Consultation,
                    action: "view_case".into(),
                    target: format!("subject:{seq}"),
                    outcome: "allowed".into(),
                    justification: None,
                    recipients: None,
                    detail: None,
                    mac: String::new(),
                };
                prev = e.seal(&key, &prev);
                e
            })
            .collect()
    }

    fn verify(entries: &[AuditEntry], checkpoints: Vec<Checkpoint>) -> Vec<Problem> {
        let key = key();
        let mut v = Verifier::new(&key, checkpoints);
        for e in entries {
            v.push(e);
        }
        v.finish()
    }

    #[test]
    fn an_entry_is_sealed_over_the_same_bytes_as_when_processing_was_stored_text() {
        // The MAC of this entry as sealed before processing was a type (the word's bytes, length-prefixed):
        // logs written then must still verify.
        let mut entry = AuditEntry {
            seq: 1,
            at: 1_700_000_001,
            actor: "a.tester".into(),
            org: Some(1),
            processing: Processing::Security,
            action: "sign_in".into(),
            target: "session".into(),
            outcome: "allowed".into(),
            justification: None,
            recipients: None,
            detail: None,
            mac: String::new(),
        };
        entry.seal(&key(), &GENESIS);
        assert_eq!(
            entry.mac,
            "b1a1f88bbe348e6d705b29d8b6232910df97804a1af0590304827f7988a1f3bc"
        );
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let entries = chain(5);
        let cp = Checkpoint::sign(&key(), 5, &entries[4].mac, 0);
        assert_eq!(verify(&entries, vec![cp]), vec![]);
    }

    #[test]
    fn an_edit_is_found_at_the_edited_entry() {
        let mut entries = chain(5);
        entries[2].target = "subject:99".into();
        assert_eq!(verify(&entries, vec![]), vec![Problem::Altered { seq: 3 }]);
        let mut entries = chain(5);
        entries[1].justification = Some(String::new());
        assert_eq!(verify(&entries, vec![]), vec![Problem::Altered { seq: 2 }]);
    }

    #[test]
    fn a_deletion_is_found() {
        let mut entries = chain(5);
        entries.remove(2);
        let problems = verify(&entries, vec![]);
        assert!(problems.contains(&Problem::Missing { after: 2, next: 4 }));
        assert!(problems.contains(&Problem::Altered { seq: 4 }));
    }

    #[test]
    fn a_reordering_is_found_even_with_renumbering() {
        let mut entries = chain(5);
        entries.swap(1, 2);
        assert!(verify(&entries, vec![]).contains(&Problem::OutOfOrder { seq: 2, after: 3 }));
        // Swapping the sequence numbers too keeps them in order but breaks the chain.
        entries[1].seq = 2;
        entries[2].seq = 3;
        assert!(verify(&entries, vec![]).contains(&Problem::Altered { seq: 2 }));
    }

    #[test]
    fn truncation_is_found_against_a_checkpoint() {
        let entries = chain(5);
        let cp = Checkpoint::sign(&key(), 5, &entries[4].mac, 0);
        assert_eq!(
            verify(&entries[..3], vec![cp.clone()]),
            vec![Problem::Truncated {
                ends_at: 3,
                checkpoint: 5
            }]
        );
        let mut forged = cp;
        forged.seq = 3;
        assert_eq!(
            verify(&entries[..3], vec![forged]),
            vec![Problem::ForgedCheckpoint { seq: 3 }]
        );
    }

    #[test]
    fn a_different_key_fails_every_entry() {
        let entries = chain(2);
        let other = AuditKey::new([8; 32]);
        let mut v = Verifier::new(&other, vec![]);
        for e in &entries {
            v.push(e);
        }
        assert_eq!(v.finish().len(), 2);
        assert!(AuditKey::from_hex("zz").is_err());
        assert_eq!(AuditKey::from_hex(&key().to_hex()).unwrap().0, key().0);
    }
}
