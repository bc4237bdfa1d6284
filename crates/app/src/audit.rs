//! The audit log's own use cases: the auditor's view (itself logged), verification of the chain against
//! checkpoints kept outside the database, and the key and checkpoint files.

use crate::gate::Why;
use crate::time::instant;
use crate::{App, AppError, Result};
use jiff::Timestamp;
use severn_domain::access::{Action, Actor, Processing};
use severn_domain::audit::{AuditEntry, AuditKey, Checkpoint, Problem};
use severn_store::AuditQuery;
use std::io::{BufRead, Write};
use std::path::Path;

/// One entry of the log as auditors read it: the stored entry with its time as a time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEntryView {
    pub seq: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub actor: String,
    /// The organisation the entry belongs to; null for entries of no organisation (the command line).
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

impl From<AuditEntry> for AuditEntryView {
    fn from(e: AuditEntry) -> Self {
        AuditEntryView {
            seq: e.seq,
            at: instant(e.at),
            actor: e.actor,
            org: e.org,
            processing: e.processing,
            action: e.action,
            target: e.target,
            outcome: e.outcome,
            justification: e.justification,
            recipients: e.recipients,
            detail: e.detail,
            mac: e.mac,
        }
    }
}

/// What `verify` found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Verification {
    pub entries: u64,
    pub checkpoints: usize,
    pub problems: Vec<Problem>,
}

impl App {
    /// Entries matching `query`, newest first. Reading the log is itself logged.
    pub async fn audit_search(
        &self,
        actor: &Actor,
        query: &AuditQuery,
    ) -> Result<Vec<AuditEntryView>> {
        let target = format!(
            "audit:{}",
            serde_json::json!({
                "target": query.target, "actor": query.actor, "from": query.from, "to": query.to
            })
        );
        let tx = self.db().begin_read().await?;
        let mut tx = self
            .authorise(tx, actor, Action::ReadAudit, &target, Why::default())
            .await?;
        let entries = tx.audit_search(query).await?;
        tx.commit().await?;
        Ok(entries.into_iter().map(AuditEntryView::from).collect())
    }

    /// Checks every entry's MAC and sequence, then the log's end against the checkpoints.
    pub async fn verify_audit(&self, checkpoints: Vec<Checkpoint>) -> Result<Verification> {
        let count = checkpoints.len();
        let (entries, problems) = self.gate.verify(checkpoints).await?;
        Ok(Verification {
            entries,
            checkpoints: count,
            problems,
        })
    }

    /// A signed record of the log's head now, to be kept outside the database.
    pub async fn audit_checkpoint(&self) -> Result<Checkpoint> {
        Ok(self.gate.checkpoint(self.now()).await?)
    }
}

/// Reads the audit key from `path`, creating a new random key there (readable by its owner only) when the
/// file does not exist.
pub fn load_or_create_key(path: &Path) -> Result<AuditKey> {
    match std::fs::read_to_string(path) {
        Ok(text) => AuditKey::from_hex(&text)
            .map_err(|e| AppError::Invalid(format!("audit key file {}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = AuditKey::new(rand::random());
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(path)?;
            writeln!(file, "{}", key.to_hex())?;
            Ok(key)
        }
        Err(e) => Err(e.into()),
    }
}

/// Checkpoints are kept one JSON object a line; a missing file holds none.
pub fn read_checkpoints(path: &Path) -> Result<Vec<Checkpoint>> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut checkpoints = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        checkpoints.push(serde_json::from_str(&line).map_err(|e| {
            AppError::Invalid(format!(
                "checkpoint file {} line {}: {e}",
                path.display(),
                n + 1
            ))
        })?);
    }
    Ok(checkpoints)
}

/// Appends a checkpoint to the file.
pub fn append_checkpoint(path: &Path, checkpoint: &Checkpoint) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)?;
    writeln!(
        file,
        "{}",
        serde_json::to_string(checkpoint).expect("checkpoint serialises")
    )?;
    Ok(())
}
