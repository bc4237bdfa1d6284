//! What every command starts from: the database, the audit key and checkpoint files, and the operator at the
//! command line as the actor every use case is asked for.

use crate::args::Cli;
use anyhow::{Context, Result};
use severn_app::App;
use severn_domain::access::Actor;
use severn_domain::clock::SystemClock;
use severn_store::Db;
use std::path::PathBuf;
use std::sync::Arc;

const DEFAULT_DATABASE: &str = "sqlite://severn.db";

/// What a command needs to open the database as the person at the command line.
pub struct Ctx {
    pub url: String,
    pub key: PathBuf,
    pub checkpoints: PathBuf,
    pub actor: Actor,
    /// The application once a command has opened it, so its audit log can be checkpointed at the end.
    opened: std::sync::Mutex<Option<App>>,
}

impl Ctx {
    pub fn new(cli: &Cli) -> Ctx {
        let url = cli
            .database
            .clone()
            .unwrap_or_else(|| DEFAULT_DATABASE.to_owned());
        let key = cli.audit_key.clone().unwrap_or_else(|| {
            match url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
            {
                Some(path) => PathBuf::from(format!(
                    "{}.audit-key",
                    path.split('?').next().unwrap_or(path)
                )),
                None => PathBuf::from("severn-audit.key"),
            }
        });
        let checkpoints = cli
            .audit_checkpoints
            .clone()
            .unwrap_or_else(|| key.with_extension("audit-checkpoints"));
        Ctx {
            url,
            key,
            checkpoints,
            actor: Actor::Operator {
                name: cli.operator.clone(),
            },
            opened: std::sync::Mutex::new(None),
        }
    }

    pub async fn connect(&self) -> Result<App> {
        let key = severn_app::audit::load_or_create_key(&self.key)
            .with_context(|| format!("audit key {}", self.key.display()))?;
        let db = Db::connect(&self.url)
            .await
            .with_context(|| format!("opening database {}", self.url))?;
        let app = App::new(db, Arc::new(SystemClock), key);
        *self.opened.lock().expect("ctx lock") = Some(app.clone());
        Ok(app)
    }

    /// Records the log's head outside the database, so a later truncation shows.
    pub async fn checkpoint(&self) -> Result<()> {
        let opened = self.opened.lock().expect("ctx lock").take();
        if let Some(app) = opened {
            let checkpoint = app.audit_checkpoint().await?;
            severn_app::audit::append_checkpoint(&self.checkpoints, &checkpoint)
                .with_context(|| format!("audit checkpoints {}", self.checkpoints.display()))?;
        }
        Ok(())
    }
}

/// While serving, appends a checkpoint of the audit log every minute in which it grew.
pub fn keep_checkpointing(app: App, path: PathBuf) {
    tokio::spawn(async move {
        let mut last = None;
        let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every.tick().await;
            match app.audit_checkpoint().await {
                Ok(checkpoint) if last != Some(checkpoint.seq) => {
                    last = Some(checkpoint.seq);
                    if let Err(e) = severn_app::audit::append_checkpoint(&path, &checkpoint) {
                        tracing::error!("writing an audit checkpoint to {}: {e}", path.display());
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::error!("reading the audit log's head: {e}"),
            }
        }
    });
}
