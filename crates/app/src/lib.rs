//! Severn's use cases: ingest with linking and prioritisation (also of packages sent over HTTP), the queue,
//! referral and subject views, investigator decisions on subjects, sharing and restricting cases, risk
//! assessment, sign-in and sessions (`identity`), staff administration with a second administrator's
//! approval, and the audit log's own reading and verification. Each runs in one transaction.
//!
//! Depends on `severn-domain`, `severn-store` and `severn-ingest`; never on the web or the command line, which
//! call it, and so on no HTTP or terminal crate. Personal data is reached through the gate (`gate`).

pub mod admin;
pub mod allocating;
pub mod approval;
pub mod assess;
pub mod audit;
pub mod caselist;
pub mod casework;
pub mod desk;
pub mod gate;
pub mod identity;
pub mod ingest;
pub mod mail;
mod maintenance;
pub mod matches;
pub mod notices;
pub mod packages;
pub mod quality;
pub mod reference;
pub mod safeguarding;
mod sealed;
pub mod sharing;
pub mod staff;
pub mod subjects;
pub mod support;
pub mod time;
pub mod views;
pub mod worklist;

use severn_domain::access::Denial;
use severn_domain::audit::AuditKey;
use severn_domain::clock::Clock;
use severn_domain::linking::LinkPolicy;
use severn_domain::risk::{ILLUSTRATIVE_TOOL_V1, RiskTool};
use severn_domain::text::FreeText;
use severn_store::{Db, Gate, RiskToolRow, StoreError, Tx};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("risk tool: {0}")]
    Tool(String),
    #[error("{0}")]
    Denied(Denial),
    #[error("{0}")]
    JustificationRequired(String),
    #[error("writing output")]
    Output(#[from] std::io::Error),
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Refuses free text past its documented limit (docs/access.md), before anything is written.
pub(crate) fn check_text(kind: FreeText, text: &str) -> Result<()> {
    kind.check(text)
        .map_err(|e| AppError::Invalid(e.to_string()))
}

/// The application: the gate (which alone holds the database and the key that chains the audit log), a
/// clock and the linking policy.
#[derive(Clone)]
pub struct App {
    gate: Gate,
    pub clock: Arc<dyn Clock>,
    pub policy: LinkPolicy,
    /// The reference lists in force, read once (`reference`).
    references: Arc<reference::References>,
}

impl App {
    pub fn new(db: Db, clock: Arc<dyn Clock>, audit_key: AuditKey) -> App {
        App {
            gate: Gate::new(db, audit_key),
            clock,
            policy: LinkPolicy::default(),
            references: Arc::default(),
        }
    }

    /// The same database and key on another clock (the demo builds on a replayed clock, then serves on the
    /// real one).
    pub fn with_clock(&self, clock: Arc<dyn Clock>) -> App {
        App {
            clock,
            ..self.clone()
        }
    }

    /// The database, for what reaches no personal data: plain transactions, migrations and indexes.
    fn db(&self) -> &Db {
        self.gate.db()
    }

    /// The key authenticator secrets are sealed with (see [`sealed`]).
    pub(crate) fn sealing_key(&self) -> [u8; 32] {
        self.gate.derived_key(sealed::PURPOSE)
    }

    /// Which database this is.
    pub fn backend(&self) -> severn_store::Backend {
        self.db().backend()
    }

    pub fn now(&self) -> i64 {
        self.clock.now().as_second()
    }

    /// The active risk tool. A new database gets the shipped illustrative tool.
    pub async fn active_tool(&self) -> Result<RiskTool> {
        let mut tx = self.db().begin().await?;
        let tool = active_tool_in(&mut tx, self.now()).await?;
        tx.commit().await?;
        Ok(tool)
    }
}

pub(crate) async fn active_tool_in(tx: &mut Tx, now: i64) -> Result<RiskTool> {
    let mut active = tx.active_risk_tool().await?;
    if active.is_none() {
        // Two first ingests at once on PostgreSQL would both install the shipped tool and one would fail on the
        // duplicate: the second waits for the first, then finds its tool.
        tx.lock_risk_tools().await?;
        active = tx.active_risk_tool().await?;
    }
    if let Some(row) = active {
        return RiskTool::from_toml(&row.source).map_err(|e| {
            AppError::Tool(format!(
                "stored tool {} {} no longer validates: {e}",
                row.tool_id, row.version
            ))
        });
    }
    let tool = RiskTool::from_toml(ILLUSTRATIVE_TOOL_V1)
        .map_err(|e| AppError::Tool(format!("shipped tool does not validate: {e}")))?;
    tx.save_risk_tool(&RiskToolRow {
        tool_id: tool.id().to_owned(),
        version: tool.version().to_owned(),
        source: ILLUSTRATIVE_TOOL_V1.to_owned(),
        loaded_at: now,
        active: true,
    })
    .await?;
    Ok(tool)
}
