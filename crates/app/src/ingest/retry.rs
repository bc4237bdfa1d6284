//! Ingesting a rejected document again after its file was corrected.

use super::IngestSummary;
use super::pipeline::Ingester;
use super::write::new_reject;
use crate::gate::Why;
use crate::{App, Result};
use severn_domain::access::{Action, Actor};
use severn_ingest::{Item, Rejection};

impl App {
    /// Ingests a reject again after its file was corrected. A package document is re-read with the package
    /// context it was rejected with; a CSV file or a package manifest is read again whole (rows and documents
    /// already stored count as duplicates). The reject is marked resolved when nothing from it is rejected now.
    pub async fn retry_reject(&self, actor: &Actor, id: i64) -> Result<IngestSummary> {
        let tx = self.db().begin().await?;
        let target = format!("reject:{id}");
        let mut tx = self
            .authorise(tx, actor, Action::Ingest, &target, Why::default())
            .await?;
        let reject = tx.reject(id).await?;
        let grant = tx.scope().clone();
        tx.commit().await?;
        let reject = reject
            .ok_or_else(|| crate::AppError::NotFound(format!("no rejected document {id}")))?;
        if reject.resolved_at.is_some() {
            return Err(crate::AppError::Invalid(format!(
                "rejected document {id} is already resolved"
            )));
        }
        let path = std::path::PathBuf::from(&reject.path);
        let context: Option<severn_ingest::DocContext> = reject
            .context
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok());
        let items: Vec<Item> = match context {
            Some(ctx) if path.is_file() && !path.ends_with("package.json") => {
                let item = match std::fs::read(&path) {
                    Ok(bytes) => match severn_ingest::parse_document(&bytes, &reject.path, &ctx) {
                        Ok(parsed) => Item::Parsed {
                            path: reject.path.clone(),
                            parsed,
                        },
                        Err(rejection) => Item::Rejected(rejection),
                    },
                    Err(e) => Item::Rejected(Rejection {
                        path: reject.path.clone(),
                        location: None,
                        field: None,
                        reason: format!("cannot read the file: {e}"),
                        content: Vec::new(),
                        context: Some(ctx),
                    }),
                };
                vec![item]
            }
            _ => {
                let target = if path.ends_with("package.json") {
                    path.parent().map(|p| p.to_path_buf()).unwrap_or(path)
                } else {
                    path
                };
                severn_ingest::walk(&[target]).collect()
            }
        };
        // Problems found again are written onto the rejects already open for the same place, so a retry
        // never leaves a second copy of one problem behind.
        let mut ingester = Ingester::new(self, actor, None).await?;
        let mut still_rejected = Vec::new();
        for item in items {
            match item {
                Item::Rejected(rejection) => still_rejected.push(rejection),
                parsed => ingester.push(parsed).await?,
            }
        }
        let mut summary = ingester.finish().await?;
        let now = self.now();
        let mut tx = self.gate.begin_under(&grant).await?;
        for rejection in &still_rejected {
            let open = tx
                .open_reject_at(&rejection.path, rejection.location.as_deref())
                .await?;
            let row = new_reject(rejection, now);
            match open.or((rejection.path == reject.path).then_some(id)) {
                Some(existing) => tx.update_reject(existing, &row).await?,
                None => {
                    tx.insert_reject(&row).await?;
                }
            }
        }
        summary.rejected = still_rejected.len() as u64;
        if still_rejected.is_empty() {
            tx.resolve_reject(id, now).await?;
        }
        tx.commit().await?;
        Ok(summary)
    }
}
