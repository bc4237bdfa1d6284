//! The ingest pipeline: documents gathered into batches, each written by a task of its own while the next is
//! prepared.

use super::prepare::{Batch, Owners, Prepared, PreparedDetails, attach_file, file_key, report_key};
use super::write::write_batch;
use super::{DEFAULT_BATCH_SIZE, IngestSummary};
use crate::gate::Why;
use crate::{App, AppError, Result};
use severn_domain::access::{Action, Actor, OrgKind};
use severn_domain::report::Report;
use severn_domain::risk::RiskTool;
use severn_ingest::{Item, Parsed};
use severn_store::{Backend, OrgRow, Scope};

/// Takes documents one at a time and writes them in batches. A batch is written by a task of its own while
/// the next one is gathered and prepared; batches are still written one after another, in order.
pub struct Ingester<'a> {
    app: &'a App,
    actor: Actor,
    /// The logged grant of this ingest, under which each batch's transaction runs.
    grant: Scope,
    owners: Owners,
    tool: RiskTool,
    batch: Batch,
    /// The last report pushed, held back until the file details that follow it have been attached.
    pending: Option<(String, Report)>,
    /// Copies of reports and file details that wait for the batch being gathered to be written.
    deferred: Vec<Item>,
    writing: Option<tokio::task::JoinHandle<Result<IngestSummary>>>,
    batch_size: usize,
    summary: IngestSummary,
    batches_written: u64,
}

impl<'a> Ingester<'a> {
    /// An ingest by `actor`, for the force `force` (a code or name) when the referrals do not say which force
    /// received them; without one, a database with a single force gives its referrals to that force.
    pub async fn new(app: &'a App, actor: &Actor, force: Option<&str>) -> Result<Ingester<'a>> {
        let tool = app.active_tool().await?;
        let tx = app.db().begin().await?;
        let mut tx = app
            .authorise(tx, actor, Action::Ingest, "referrals", Why::default())
            .await?;
        let forces: Vec<OrgRow> = tx
            .orgs()
            .await?
            .into_iter()
            .filter(|o| o.kind == OrgKind::Force)
            .collect();
        let grant = tx.scope().clone();
        tx.commit().await?;
        let find = |wanted: &str| {
            forces
                .iter()
                .find(|o| {
                    o.code.eq_ignore_ascii_case(wanted) || o.name.eq_ignore_ascii_case(wanted)
                })
                .map(|o| o.id)
        };
        let default = match force {
            Some(wanted) => Some(
                find(wanted)
                    .ok_or_else(|| AppError::NotFound(format!("There is no force {wanted:?}.")))?,
            ),
            None => match (
                actor
                    .org()
                    .filter(|org| forces.iter().any(|f| f.id == *org)),
                &forces[..],
            ) {
                (Some(own), _) => Some(own),
                (None, [only]) => Some(only.id),
                _ => None,
            },
        };
        let owners = Owners {
            forces: forces
                .iter()
                .flat_map(|o| [(o.code.to_lowercase(), o.id), (o.name.to_lowercase(), o.id)])
                .collect(),
            default,
        };
        Ok(Ingester {
            app,
            actor: actor.clone(),
            grant,
            owners,
            tool,
            batch: Batch::default(),
            pending: None,
            deferred: Vec::new(),
            writing: None,
            batch_size: DEFAULT_BATCH_SIZE,
            summary: IngestSummary::default(),
            batches_written: 0,
        })
    }

    pub fn with_batch_size(mut self, size: usize) -> Self {
        self.batch_size = size.max(1);
        self
    }

    /// Counts of the batches written so far.
    pub fn summary(&self) -> IngestSummary {
        self.summary
    }

    fn settle_pending(&mut self) {
        if let Some((key, report)) = self.pending.take() {
            self.batch
                .reports
                .push(Prepared::new(key, report, &self.tool, &self.owners));
        }
    }

    pub async fn push(&mut self, item: Item) -> Result<()> {
        if let Some(item) = self.admit(item) {
            self.deferred.push(item);
        }
        if self.batch.len() >= self.batch_size || self.deferred.len() >= self.batch_size {
            self.flush().await?;
        }
        Ok(())
    }

    /// Puts an item in the batch being gathered, or gives it back when it is a second copy of a report or
    /// of a file's details already there: a copy must see the first one stored to be told apart, so it waits
    /// for the next batch. Waiting, rather than writing the batch early, keeps batches full: re-sent reports
    /// are common, and each early write was a commit of a few hundred documents.
    fn admit(&mut self, item: Item) -> Option<Item> {
        match item {
            Item::Parsed {
                parsed: Parsed::Report(report),
                path,
            } => {
                self.settle_pending();
                let key = report.source_ref.as_key();
                if self.batch.refs.contains(&key) {
                    return Some(Item::Parsed {
                        parsed: Parsed::Report(report),
                        path,
                    });
                }
                self.batch.refs.insert(key.clone());
                self.pending = Some((key, *report));
            }
            Item::Parsed {
                parsed: Parsed::FileDetails(details),
                path,
            } => {
                let key = (report_key(&details.report_id), file_key(&details));
                if self.batch.file_refs.contains(&key) {
                    return Some(Item::Parsed {
                        parsed: Parsed::FileDetails(details),
                        path,
                    });
                }
                // File details usually follow their report: attach them before its signals are worked out.
                if let Some((pending_key, report)) = self.pending.as_mut()
                    && *pending_key == key.0
                {
                    attach_file(report, details.file.clone());
                }
                self.batch.file_refs.insert(key.clone());
                let document = serde_json::to_string(&details.file).expect("file info serialises");
                let (source_ref, file_id) = key;
                self.batch.file_details.push(PreparedDetails {
                    details,
                    source_ref,
                    file_id,
                    document,
                });
            }
            Item::Rejected(rejection) => self.batch.rejects.push(rejection),
        }
        None
    }

    /// Waits for the batch being written, if any, and counts it.
    async fn wait_for_writer(&mut self) -> Result<()> {
        if let Some(writing) = self.writing.take() {
            let counted = writing.await.map_err(|e| {
                crate::AppError::Invalid(format!("the ingest writer failed: {e}"))
            })??;
            self.summary.ingested += counted.ingested;
            self.summary.duplicates += counted.duplicates;
            self.summary.new_versions += counted.new_versions;
            self.summary.rejected += counted.rejected;
            self.summary.file_details += counted.file_details;
            self.batches_written += 1;
            // As the tables double in size, so the database's statistics keep up with a long ingest.
            if self.batches_written.is_power_of_two() {
                self.app.db().analyze_ingest_tables().await?;
            }
        }
        Ok(())
    }

    /// Hands the gathered batch to the writer (after the previous batch is written) and returns.
    pub async fn flush(&mut self) -> Result<()> {
        self.settle_pending();
        self.wait_for_writer().await?;
        if self.batch.len() == 0 {
            return Ok(());
        }
        let mut batch = std::mem::take(&mut self.batch);
        // What waited for this batch starts the next one, in the order it came.
        for item in std::mem::take(&mut self.deferred) {
            if let Some(item) = self.admit(item) {
                self.deferred.push(item);
            }
        }
        let app = self.app.clone();
        let tool = self.tool.clone();
        let actor = self.actor.clone();
        let grant = self.grant.clone();
        let write = async move {
            let mut tx = app.gate.begin_under(&grant).await?;
            let counted = write_batch(&mut tx, &app, &tool, &actor, &mut batch).await?;
            tx.commit().await?;
            Ok::<_, AppError>(counted)
        };
        self.writing = Some(match self.app.db().backend() {
            Backend::Postgres => tokio::spawn(write),
            // SQLite's statements run on the calling thread: the batch is written on a thread of its own, so
            // the runtime's threads go on serving others meanwhile.
            Backend::Sqlite => {
                let runtime = tokio::runtime::Handle::current();
                tokio::task::spawn_blocking(move || runtime.block_on(write))
            }
        });
        Ok(())
    }

    /// Writes what is left and returns the counts of the whole ingest, the database ready for its readers.
    pub async fn finish(mut self) -> Result<IngestSummary> {
        // Each flush may start the next batch with copies that waited for it.
        while self.batch.len() > 0 || self.pending.is_some() {
            self.flush().await?;
        }
        self.wait_for_writer().await?;
        // Unless the last batch has just done so.
        if !self.batches_written.is_power_of_two() {
            self.app.db().analyze_ingest_tables().await?;
        }
        // The database is left ready for its readers: on SQLite, with the WAL copied in and emptied.
        self.app.db().checkpoint().await?;
        Ok(self.summary)
    }
}
