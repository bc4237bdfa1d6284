//! Ingest: parsed documents in, referrals linked into subjects and prioritised out, in batched transactions.
//!
//! Each batch is one transaction: rejects, referrals, identifiers, links, merges and subject deadlines are
//! written together or not at all. A source reference seen again with the same content is a duplicate; with
//! different content it is a new version of the same referral.

use crate::gate::Why;
use crate::{App, AppError, Result};
use serde::Serialize;
use severn_domain::access::{Action, Actor, OrgKind, Processing};
use severn_domain::ids::{IdentifierId, OrgId, ReferralId, SubjectId};
use severn_domain::linking::{self, Evidence, Linker, SubjectKey};
use severn_domain::normalize;
use severn_domain::report::{FileDetails, Identifier, IdentifierKind, Person, PersonRole, Report};
use severn_domain::risk::{Band, Outcome, RiskTool, signals_from_report};
use severn_domain::sla;
use severn_ingest::{Item, Parsed, Rejection};
use severn_store::{
    AuditRecord, BatchStore, FileDetailRow, IdentifierRow, KnownReferral, LinkRow, NewReject,
    OrgRow, Packed, ReferralIdentifierRow, ReferralRow, SqliteWriter, SubjectRow,
    identifier_key_hash,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

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

/// A report with the work that needs no database done before its batch is written: its identifiers' keys,
/// its provisional band with the reason a subject gives for it, and the forms it is stored in. Done while the
/// previous batch is being written; only what writing needs is kept, since two batches are held at a time.
struct Prepared {
    report: Report,
    key: String,
    /// The key of each identifier of each person, in the order of the report's people and their identifiers.
    identifier_keys: Vec<String>,
    owner: Option<OrgId>,
    risk: PreparedRisk,
}

/// A referral's provisional band, worked out from its signals, and the forms its row stores.
struct PreparedRisk {
    band: Band,
    band_reason: String,
    signals: String,
    /// The outcome and the document, compressed.
    outcome: Packed,
    document: Packed,
}

impl PreparedRisk {
    fn of(report: &Report, key: &str, tool: &RiskTool) -> PreparedRisk {
        let signals = signals_from_report(report);
        let outcome = tool.provisional(&signals);
        PreparedRisk {
            band: outcome.band,
            band_reason: band_reason(key, &outcome),
            signals: serde_json::to_string(&signals).expect("signals serialise"),
            outcome: Packed::pack(&serde_json::to_string(&outcome).expect("outcome serialises")),
            document: Packed::pack(&serde_json::to_string(report).expect("report serialises")),
        }
    }
}

impl Prepared {
    fn new(key: String, report: Report, tool: &RiskTool, owners: &Owners) -> Prepared {
        Prepared {
            risk: PreparedRisk::of(&report, &key, tool),
            key,
            identifier_keys: report
                .people
                .iter()
                .flat_map(|p| &p.identifiers)
                .map(Identifier::key)
                .collect(),
            owner: owners.owner_of(&report),
            report,
        }
    }

    /// Works the band out again after more files were attached.
    fn refresh(&mut self, tool: &RiskTool) {
        self.risk = PreparedRisk::of(&self.report, &self.key, tool);
    }
}

/// A file-details document as gathered: its keys and its stored JSON worked out here, not on the writer.
struct PreparedDetails {
    details: FileDetails,
    source_ref: String,
    file_id: String,
    document: String,
}

#[derive(Default)]
struct Batch {
    reports: Vec<Prepared>,
    file_details: Vec<PreparedDetails>,
    rejects: Vec<Rejection>,
    refs: HashSet<String>,
    file_refs: HashSet<(String, String)>,
}

impl Batch {
    fn len(&self) -> usize {
        self.reports.len() + self.file_details.len() + self.rejects.len()
    }
}

/// Which force owns a referral: the force its NCA package was disseminated to, otherwise the force the
/// ingest runs for.
#[derive(Debug, Clone, Default)]
pub struct Owners {
    /// Forces by lower-cased code and name.
    forces: HashMap<String, OrgId>,
    default: Option<OrgId>,
}

impl Owners {
    fn owner_of(&self, report: &Report) -> Option<OrgId> {
        report
            .nca
            .as_ref()
            .and_then(|n| self.forces.get(&n.receiving_force.trim().to_lowercase()))
            .copied()
            .or(self.default)
    }
}

/// Takes documents one at a time and writes them in batches. A batch is written by a task of its own while
/// the next one is gathered and prepared; batches are still written one after another, in order.
pub struct Ingester<'a> {
    app: &'a App,
    actor: Actor,
    owners: Owners,
    tool: RiskTool,
    batch: Batch,
    /// The last report pushed, held back until the file details that follow it have been attached.
    pending: Option<(String, Report)>,
    /// Copies of reports and file details that wait for the batch being gathered to be written.
    deferred: Vec<Item>,
    writing: Option<tokio::task::JoinHandle<Result<IngestSummary>>>,
    /// On SQLite, the connection batches are written on (see [`SqliteWriter`]).
    writer: Option<Arc<Mutex<SqliteWriter>>>,
    batch_size: usize,
    summary: IngestSummary,
    batches_written: u64,
}

impl<'a> Ingester<'a> {
    /// An ingest by `actor`, for the force `force` (a code or name) when the referrals do not say which force
    /// received them; without one, a database with a single force gives its referrals to that force.
    pub async fn new(app: &'a App, actor: &Actor, force: Option<&str>) -> Result<Ingester<'a>> {
        let tool = app.active_tool().await?;
        let tx = app.db.begin().await?;
        let (mut tx, _) = app
            .authorise(tx, actor, Action::Ingest, "referrals", None, Why::default())
            .await?;
        let forces: Vec<OrgRow> = tx
            .orgs()
            .await?
            .into_iter()
            .filter(|o| o.kind == OrgKind::Force)
            .collect();
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
        let writer = SqliteWriter::open(&app.db)
            .await?
            .map(|w| Arc::new(Mutex::new(w)));
        Ok(Ingester {
            app,
            actor: actor.clone(),
            owners,
            tool,
            batch: Batch::default(),
            pending: None,
            deferred: Vec::new(),
            writing: None,
            writer,
            batch_size: DEFAULT_BATCH_SIZE,
            summary: IngestSummary::default(),
            batches_written: 0,
        })
    }

    pub fn with_batch_size(mut self, size: usize) -> Self {
        self.batch_size = size.max(1);
        self
    }

    /// Writes every batch through sqlx, also on SQLite: the path PostgreSQL takes, to compare against.
    pub fn without_sqlite_writer(mut self) -> Self {
        self.writer = None;
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
                self.app.db.analyze_ingest_tables().await?;
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
        let writer = self.writer.clone();
        self.writing = Some(tokio::spawn(async move {
            if let Some(writer) = writer {
                let (app, tool, actor) = (app.clone(), tool.clone(), actor.clone());
                let runtime = tokio::runtime::Handle::current();
                // The writer's statements block, so the batch is written on a thread of its own. The batch
                // comes back for the rare one that has to be written again through sqlx (see `Written`).
                let (written, returned) = tokio::task::spawn_blocking(move || {
                    let mut writer = writer.lock().map_err(|_| {
                        crate::AppError::Invalid("the SQLite writer failed earlier".to_owned())
                    })?;
                    let mut tx = writer.begin()?;
                    let written =
                        runtime.block_on(write_batch(&mut tx, &app, &tool, &actor, &mut batch))?;
                    if let Written::Done(_) = written {
                        tx.commit()?;
                    }
                    Ok::<_, crate::AppError>((written, batch))
                })
                .await
                .map_err(|e| {
                    crate::AppError::Invalid(format!("the ingest writer failed: {e}"))
                })??;
                match written {
                    Written::Done(counted) => return Ok(counted),
                    Written::NeedsTx => batch = returned,
                }
            }
            let mut tx = app.db.begin().await?;
            match write_batch(&mut tx, &app, &tool, &actor, &mut batch).await? {
                Written::Done(counted) => {
                    tx.commit().await?;
                    Ok(counted)
                }
                Written::NeedsTx => Err(crate::AppError::Invalid(
                    "a batch could not be written on a sqlx transaction".to_owned(),
                )),
            }
        }));
        Ok(())
    }

    pub async fn finish(mut self) -> Result<IngestSummary> {
        // Each flush may start the next batch with copies that waited for it.
        while self.batch.len() > 0 || self.pending.is_some() {
            self.flush().await?;
        }
        self.wait_for_writer().await?;
        // Unless the last batch has just done so.
        if !self.batches_written.is_power_of_two() {
            self.app.db.analyze_ingest_tables().await?;
        }
        Ok(self.summary)
    }
}

/// The audit entry for what a batch collected, written in the batch's own transaction.
async fn record_collection<S: BatchStore>(
    tx: &mut S,
    app: &App,
    actor: &Actor,
    counted: &IngestSummary,
    (first, last): (Option<String>, Option<String>),
) -> Result<()> {
    let record = AuditRecord {
        at: app.now(),
        actor: actor.audit_name(),
        org: actor.org(),
        processing: Processing::Collection.as_str().to_owned(),
        action: Action::Ingest.as_str().to_owned(),
        target: match (first, last) {
            (Some(first), Some(last)) => format!("referrals:{first}..{last}"),
            _ => "referrals".to_owned(),
        },
        detail: Some(serde_json::to_string(counted).expect("summary serialises")),
        ..AuditRecord::default()
    };
    tx.audit_event(&app.audit_key, &record, "allowed").await?;
    Ok(())
}

fn report_key(report_id: &str) -> String {
    severn_domain::report::SourceRef::NcmecReportId(report_id.to_owned()).as_key()
}

fn file_key(details: &FileDetails) -> String {
    details
        .file
        .file_id
        .clone()
        .unwrap_or_else(|| format!("sha256:{}", details.content_sha256))
}

/// A report of the batch that will be written: new, or a changed version of a known referral.
struct Candidate<'b> {
    prepared: &'b mut Prepared,
    known: Option<KnownReferral>,
    /// Its files before stored ones were attached here: what writing the batch again starts from.
    files_before: usize,
}

impl Candidate<'_> {
    /// The force whose identifiers it links on: a new version stays with the referral's owner.
    fn owner(&self) -> Option<OrgId> {
        match &self.known {
            Some(known) => known.owner_org,
            None => self.prepared.owner,
        }
    }
}

/// An identifier within one owner's data: the owning force and the index of the identifier's key in the
/// batch's list of keys. Identifiers link referrals of one owner only.
type Slot = (Option<OrgId>, u32);

/// What writing a batch came to. Relinking a subject is written through sqlx only, so a batch on a
/// [`severn_store::SqliteTx`] that needs it is rolled back and written again on a sqlx transaction: whole, in
/// one transaction, as on PostgreSQL. Only the batches in which a value first turns out common do.
enum Written<T> {
    Done(T),
    NeedsTx,
}

async fn write_batch<S: BatchStore>(
    tx: &mut S,
    app: &App,
    tool: &RiskTool,
    actor: &Actor,
    batch: &mut Batch,
) -> Result<Written<IngestSummary>> {
    tx.lock_for_ingest().await?;
    let now = app.now();
    let mut summary = IngestSummary::default();
    let first_and_last = (
        batch.reports.first().map(|r| r.key.clone()),
        batch.reports.last().map(|r| r.key.clone()),
    );

    for rejection in &batch.rejects {
        tx.insert_reject(&new_reject(rejection, now)).await?;
        summary.rejected += 1;
    }

    // File details are stored as documents of their own and also feed the risk signals of their report.
    let keys: Vec<String> = batch.reports.iter().map(|r| r.key.clone()).collect();
    let detail_refs: BTreeSet<String> = batch
        .file_details
        .iter()
        .map(|d| d.source_ref.clone())
        .chain(keys.iter().cloned())
        .collect();
    let detail_refs: Vec<String> = detail_refs.into_iter().collect();
    let mut earlier_by_report: HashMap<String, Vec<FileDetailRow>> = HashMap::default();
    for row in tx.file_details_of_refs(&detail_refs).await? {
        earlier_by_report
            .entry(row.source_ref.clone())
            .or_default()
            .push(row);
    }
    let mut details_by_report: HashMap<String, Vec<&FileDetails>> = HashMap::default();
    let mut details_for_stored: Vec<&PreparedDetails> = Vec::new();
    let mut new_details = Vec::new();
    for prepared in &batch.file_details {
        let details = &prepared.details;
        let row = FileDetailRow {
            source_ref: prepared.source_ref.clone(),
            file_id: prepared.file_id.clone(),
            content_sha256: details.content_sha256.clone(),
            received_at: now,
            document: prepared.document.clone(),
        };
        let stored = earlier_by_report
            .get(&row.source_ref)
            .and_then(|rows| rows.iter().find(|r| r.file_id == row.file_id));
        match stored {
            Some(earlier) if earlier.content_sha256 == row.content_sha256 => {
                summary.duplicates += 1;
                continue;
            }
            Some(_) => {
                tx.upsert_file_detail(&row).await?;
            }
            None => new_details.push(row.clone()),
        }
        summary.file_details += 1;
        if batch.refs.contains(&row.source_ref) {
            details_by_report
                .entry(row.source_ref)
                .or_default()
                .push(details);
        } else {
            details_for_stored.push(prepared);
        }
    }
    tx.insert_file_details(&new_details).await?;

    let known: HashMap<String, KnownReferral> = tx
        .known_referrals(&keys)
        .await?
        .into_iter()
        .map(|k| (k.source_ref.clone(), k))
        .collect();

    let mut candidates = Vec::new();
    for prepared in batch.reports.iter_mut() {
        let key = prepared.key.clone();
        let known = known.get(&key).cloned();
        if known
            .as_ref()
            .is_some_and(|k| k.content_sha256 == prepared.report.content_sha256)
        {
            summary.duplicates += 1;
            continue;
        }
        let replaced: HashSet<&str> = details_by_report
            .get(&key)
            .into_iter()
            .flatten()
            .map(|d| d.file.file_id.as_deref().unwrap_or(""))
            .collect();
        let files_before = prepared.report.files.len();
        for row in earlier_by_report
            .get(&key)
            .into_iter()
            .flatten()
            .filter(|r| !replaced.contains(r.file_id.as_str()))
        {
            if let Ok(file) = serde_json::from_str(&row.document) {
                attach_file(&mut prepared.report, file);
            }
        }
        for details in details_by_report.get(&key).into_iter().flatten() {
            attach_file(&mut prepared.report, details.file.clone());
        }
        if prepared.report.files.len() != files_before {
            prepared.refresh(tool);
        }
        if known.is_some() {
            summary.new_versions += 1;
        } else {
            summary.ingested += 1;
        }
        candidates.push(Candidate {
            prepared,
            known,
            files_before,
        });
    }

    if !candidates.is_empty()
        && let Written::NeedsTx = link_and_store(tx, app, tool, &mut candidates, now).await?
    {
        // Leave the batch as it came, to be written again.
        for c in candidates {
            if c.prepared.report.files.len() != c.files_before {
                c.prepared.report.files.truncate(c.files_before);
                c.prepared.refresh(tool);
            }
        }
        return Ok(Written::NeedsTx);
    }
    for details in details_for_stored {
        refresh_with_file(tx, tool, details).await?;
    }
    record_collection(tx, app, actor, &summary, first_and_last).await?;
    Ok(Written::Done(summary))
}

fn attach_file(report: &mut Report, file: severn_domain::report::FileInfo) {
    let already = file.file_id.is_some() && report.files.iter().any(|f| f.file_id == file.file_id);
    if !already {
        report.files.push(file);
    }
}

fn new_reject(r: &Rejection, now: i64) -> NewReject {
    NewReject {
        path: r.path.clone(),
        location: r.location.clone(),
        field: r.field.clone(),
        reason: r.reason.clone(),
        content: r.content.clone(),
        context: r
            .context
            .as_ref()
            .map(|c| serde_json::to_string(c).expect("context serialises")),
        rejected_at: now,
    }
}

/// The identifiers Severn links on only count once each, with the weight of their kind.
fn evidence_of(
    report: &Report,
    numbers: &[u32],
    owner: Option<OrgId>,
    rows: &HashMap<Slot, IdentifierRow>,
) -> Vec<Evidence> {
    let mut best: BTreeMap<IdentifierId, Evidence> = BTreeMap::new();
    for (person, numbers) in reported_with_numbers(report, numbers) {
        for (identifier, k) in person.identifiers.iter().zip(numbers) {
            let Some(row) = rows.get(&(owner, *k)) else {
                continue;
            };
            if row.placeholder || row.common {
                continue;
            }
            let mut evidence = Evidence::new(row.id, identifier.kind, &identifier.value);
            if identifier.kind == IdentifierKind::IpAddress
                && behind_proxy(person, &identifier.value)
            {
                evidence.weight = linking::PROXY_IP_WEIGHT;
            }
            if evidence.weight > 0.0 {
                let entry = best.entry(row.id).or_insert(evidence);
                entry.weight = entry.weight.max(evidence.weight);
            }
        }
    }
    best.into_values().collect()
}

/// Each person of a report with the batch numbers of its identifiers' keys (see `link_and_store`).
fn people_with_numbers<'r>(
    report: &'r Report,
    numbers: &'r [u32],
) -> impl Iterator<Item = (&'r Person, &'r [u32])> {
    report.people.iter().scan(0, move |at, person| {
        let end = *at + person.identifiers.len();
        let of_person = &numbers[*at..end];
        *at = end;
        Some((person, of_person))
    })
}

fn reported_with_numbers<'r>(
    report: &'r Report,
    numbers: &'r [u32],
) -> impl Iterator<Item = (&'r Person, &'r [u32])> {
    people_with_numbers(report, numbers).filter(|(p, _)| p.role == PersonRole::Reported)
}

fn behind_proxy(person: &Person, ip: &str) -> bool {
    person
        .ip_captures
        .iter()
        .any(|c| c.ip.to_string() == ip && c.possible_proxy == Some(true))
}

fn is_account(kind: IdentifierKind) -> bool {
    kind == IdentifierKind::EspUserId
}

/// Identifiers whose spread over accounts is watched: the strong ones that are not accounts themselves.
fn is_watched(kind: IdentifierKind) -> bool {
    matches!(
        kind,
        IdentifierKind::Email
            | IdentifierKind::Phone
            | IdentifierKind::DeviceId
            | IdentifierKind::ProfileUrl
    )
}

async fn link_and_store<S: BatchStore>(
    tx: &mut S,
    app: &App,
    tool: &RiskTool,
    candidates: &mut [Candidate<'_>],
    now: i64,
) -> Result<Written<()>> {
    // Identifiers: read the known ones with the subjects they point at; number the new ones, which are
    // written after linking, already pointing at their subject. An identifier is looked up within the data of
    // the force that owns the referral carrying it, so one value received by two forces links each force's
    // referrals apart.
    // Each distinct key of the batch gets a number, and each identifier of each candidate the number of its
    // key (`numbers`, in the order of the report's people and their identifiers): the lookups below are many
    // per identifier. The keys themselves were worked out as the reports were prepared.
    let mut number_of: HashMap<&str, u32> = HashMap::default();
    let mut keys: Vec<String> = Vec::new();
    let mut first_seen: Vec<&Identifier> = Vec::new();
    let mut wanted: BTreeSet<Slot> = BTreeSet::new();
    let mut numbers: Vec<Vec<u32>> = Vec::with_capacity(candidates.len());
    for c in candidates.iter() {
        let owner = c.owner();
        let identifiers = c.prepared.report.people.iter().flat_map(|p| &p.identifiers);
        let mut of_candidate = Vec::with_capacity(c.prepared.identifier_keys.len());
        for (identifier, key) in identifiers.zip(&c.prepared.identifier_keys) {
            let k = *number_of.entry(key.as_str()).or_insert_with(|| {
                keys.push(key.clone());
                first_seen.push(identifier);
                keys.len() as u32 - 1
            });
            wanted.insert((owner, k));
            of_candidate.push(k);
        }
        numbers.push(of_candidate);
    }
    let mut rows: HashMap<Slot, IdentifierRow> = HashMap::default();
    for row in tx.identifiers_by_key(&keys).await? {
        // Rows of other owners are other forces' identifiers.
        if let Some(k) = number_of.get(row.key.as_str()) {
            let slot = (row.owner_org, *k);
            if wanted.contains(&slot) {
                rows.insert(slot, row);
            }
        }
    }
    let known_slots: HashSet<Slot> = rows.keys().copied().collect();
    // Stored pointers may name subjects merged since; link against the subjects they became, and remember
    // what is stored so that only pointers that change are written.
    let stored_pointer: HashMap<IdentifierId, Option<SubjectId>> =
        rows.values().map(|r| (r.id, r.subject_id)).collect();
    // The subjects involved are read once here: those identifiers point at and those of known referrals.
    let pointed: Vec<SubjectId> = rows
        .values()
        .filter_map(|r| r.subject_id)
        .chain(
            candidates
                .iter()
                .filter_map(|c| c.known.as_ref().map(|k| k.subject_id)),
        )
        .collect();
    let current = tx.resolve_subjects(&pointed).await?;
    for row in rows.values_mut() {
        row.subject_id = row
            .subject_id
            .map(|s| current.get(&s).map(|open| open.id).unwrap_or(s));
    }
    let stored: HashMap<SubjectId, SubjectRow> = current.into_values().map(|s| (s.id, s)).collect();
    // New identifiers are numbered in the order of their key hash (then owner and key): on SQLite, rows in id
    // order then put their entries into the key-hash index in its own order too, leaf after leaf.
    let mut unseen: Vec<(i64, Slot)> = wanted
        .iter()
        .filter(|slot| !known_slots.contains(*slot))
        .map(|slot| (identifier_key_hash(&keys[slot.1 as usize]), *slot))
        .collect();
    unseen.sort_by(|(a_hash, a), (b_hash, b)| {
        (a_hash, a.0, &keys[a.1 as usize]).cmp(&(b_hash, b.0, &keys[b.1 as usize]))
    });
    if !unseen.is_empty() {
        let first = tx.alloc_ids("identifier", unseen.len()).await?;
        for (i, (_, (owner, k))) in unseen.into_iter().enumerate() {
            let identifier = first_seen[k as usize];
            rows.insert(
                (owner, k),
                IdentifierRow {
                    id: IdentifierId(first + i as i64),
                    key: keys[k as usize].clone(),
                    kind: identifier.kind.as_str().to_owned(),
                    service: identifier.service.clone(),
                    value: identifier.value.clone(),
                    placeholder: normalize::is_placeholder(identifier.kind, &identifier.value),
                    common: false,
                    subject_id: None,
                    owner_org: owner,
                },
            );
        }
    }

    // Values seen with too many distinct accounts are shared or placeholders: they stop linking, and subjects
    // they may already have joined wrongly are linked afresh without them.
    // Counted per force, as identifiers are: a value becoming common in one force relinks no other force's
    // subjects.
    let mut pairs = BTreeSet::new();
    for (c, numbers) in candidates.iter().zip(&numbers) {
        let owner = c.owner();
        for (person, numbers) in reported_with_numbers(&c.prepared.report, numbers) {
            let accounts: Vec<IdentifierId> = person
                .identifiers
                .iter()
                .zip(numbers)
                .filter(|(i, _)| is_account(i.kind))
                .filter_map(|(_, k)| rows.get(&(owner, *k)).map(|r| r.id))
                .collect();
            for (_, k) in person
                .identifiers
                .iter()
                .zip(numbers)
                .filter(|(i, _)| is_watched(i.kind))
            {
                if let Some(row) = rows.get(&(owner, *k)) {
                    for account in &accounts {
                        pairs.insert((row.id, *account));
                    }
                }
            }
        }
    }
    let pairs: Vec<(IdentifierId, IdentifierId)> = pairs.into_iter().collect();
    let counts: HashMap<IdentifierId, i64> = tx
        .record_identifier_accounts(&pairs)
        .await?
        .into_iter()
        .collect();
    let mut newly_common = Vec::new();
    let mut to_relink = BTreeSet::new();
    for row in rows.values_mut() {
        if !row.common
            && counts
                .get(&row.id)
                .is_some_and(|n| app.policy.is_common(*n))
        {
            newly_common.push(row.id);
            if let Some(subject) = row.subject_id.take() {
                to_relink.insert(subject);
            }
            row.common = true;
        }
    }
    if !to_relink.is_empty() && tx.as_tx().is_none() {
        return Ok(Written::NeedsTx);
    }
    let known_common: Vec<IdentifierId> = rows
        .iter()
        .filter(|(slot, r)| known_slots.contains(*slot) && newly_common.contains(&r.id))
        .map(|(_, r)| r.id)
        .collect();
    tx.mark_common(&known_common).await?;

    // Link.
    let mut involved: BTreeSet<SubjectId> = rows
        .values()
        .filter(|r| !r.common && !r.placeholder)
        .filter_map(|r| r.subject_id)
        .collect();
    involved.extend(
        candidates
            .iter()
            .filter_map(|c| c.known.as_ref().map(|k| k.subject_id)),
    );
    let involved: Vec<SubjectId> = involved.into_iter().collect();
    let separations = tx.separations(&involved).await?;
    let mut linker = Linker::new(
        &app.policy,
        rows.values()
            .filter(|r| !r.common && !r.placeholder)
            .filter_map(|r| r.subject_id.map(|s| (r.id, s))),
        separations,
    );
    for (c, numbers) in candidates.iter().zip(&numbers) {
        let evidence = evidence_of(&c.prepared.report, numbers, c.owner(), &rows);
        linker.place_anchored(c.known.as_ref().map(|k| k.subject_id), &evidence);
    }
    let outcome = linker.finish();

    // Give new subjects their ids.
    let new_roots: BTreeSet<u32> = outcome
        .placements
        .iter()
        .map(|p| p.subject)
        .chain(outcome.merges.iter().map(|(_, into)| *into))
        .filter_map(|k| match k {
            SubjectKey::New(n) => Some(n),
            SubjectKey::Stored(_) => None,
        })
        .collect();
    let first_subject = if new_roots.is_empty() {
        0
    } else {
        tx.alloc_ids("subject", new_roots.len()).await?
    };
    let new_ids: HashMap<u32, SubjectId> = new_roots
        .iter()
        .enumerate()
        .map(|(i, n)| (*n, SubjectId(first_subject + i as i64)))
        .collect();
    let resolve = |key: SubjectKey| match key {
        SubjectKey::Stored(id) => id,
        SubjectKey::New(n) => new_ids[&n],
    };

    // Subject bands and deadlines, folded from what the subjects held and what joins them.
    let mut settled: BTreeMap<SubjectId, SubjectRow> = BTreeMap::new();
    for (from, into) in &outcome.merges {
        let into = resolve(*into);
        if let Some(from_row) = stored.get(from) {
            let target = settled.entry(into).or_insert_with(|| {
                stored.get(&into).cloned().unwrap_or_else(|| {
                    fresh_subject(into, from_row.clock_start_at, now, from_row.owner_org)
                })
            });
            fold_subject(target, from_row);
        }
    }

    let new_referrals: Vec<&Candidate<'_>> =
        candidates.iter().filter(|c| c.known.is_none()).collect();
    let first_referral = if new_referrals.is_empty() {
        0
    } else {
        tx.alloc_ids("referral", new_referrals.len()).await?
    };
    let mut next_referral = first_referral;
    let mut referral_rows = Vec::new();
    let mut versions = Vec::new();
    let mut identifier_rows = Vec::new();
    let mut links = Vec::new();
    for ((c, placement), numbers) in candidates.iter_mut().zip(&outcome.placements).zip(&numbers) {
        let subject = resolve(placement.subject);
        let referral_id = match &c.known {
            Some(k) => k.id,
            None => {
                next_referral += 1;
                ReferralId(next_referral - 1)
            }
        };
        let owner = c.owner();
        let row = referral_row(c, referral_id, subject, tool, now);
        let target = settled.entry(subject).or_insert_with(|| {
            stored
                .get(&subject)
                .cloned()
                .unwrap_or_else(|| fresh_subject(subject, row.clock_start_at, now, row.owner_org))
        });
        raise_subject(
            target,
            c.prepared.risk.band,
            std::mem::take(&mut c.prepared.risk.band_reason),
            row.clock_start_at,
        );
        for (person, numbers) in people_with_numbers(&c.prepared.report, numbers) {
            for k in numbers {
                if let Some(r) = rows.get(&(owner, *k)) {
                    identifier_rows.push(ReferralIdentifierRow {
                        referral_id,
                        identifier_id: r.id,
                        role: person.role.as_str().to_owned(),
                    });
                }
            }
        }
        for e in &placement.shared {
            links.push(LinkRow {
                referral_id,
                identifier_id: e.identifier,
                weight: e.weight,
                linked_at: now,
            });
        }
        match &c.known {
            Some(_) => versions.push(row),
            None => referral_rows.push(row),
        }
    }

    let (new_subjects, updated_subjects): (Vec<SubjectRow>, Vec<SubjectRow>) = settled
        .into_values()
        .map(|mut s| {
            s.due_at = due_at(s.clock_start_at, &s.band, tool);
            s
        })
        .partition(|s| !stored.contains_key(&s.id));
    tx.insert_subjects(&new_subjects).await?;
    tx.insert_referrals(&referral_rows).await?;
    if !versions.is_empty() {
        let ids: Vec<ReferralId> = versions.iter().map(|v| v.id).collect();
        let previous: HashMap<ReferralId, ReferralRow> = tx
            .referrals_by_id(&ids)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        for next in &versions {
            let prev = &previous[&next.id];
            let mut next = next.clone();
            next.version = prev.version + 1;
            tx.record_new_version(prev, &next).await?;
        }
    }
    tx.insert_referral_identifiers(&identifier_rows).await?;
    for (from, into) in &outcome.merges {
        let into = resolve(*into);
        tx.carry_separations(*from, into).await?;
        tx.merge_subject(*from, into).await?;
    }
    tx.insert_links(&links).await?;
    let mut pointer_of: HashMap<IdentifierId, SubjectId> = outcome
        .identifier_subjects
        .iter()
        .map(|(i, k)| (*i, resolve(*k)))
        .collect();
    let mut unseen_rows = Vec::new();
    let mut moved_pointers = Vec::new();
    for (slot, row) in rows.into_iter() {
        let pointer = pointer_of.remove(&row.id);
        if known_slots.contains(&slot) {
            if let Some(p) = pointer
                && stored_pointer.get(&row.id).copied().flatten() != Some(p)
            {
                moved_pointers.push((row.id, p));
            }
        } else {
            unseen_rows.push(IdentifierRow {
                subject_id: pointer,
                ..row
            });
        }
    }
    // In id order (see the numbering above); moved pointers too, so updates go through the table in order.
    unseen_rows.sort_unstable_by_key(|r| r.id);
    moved_pointers.sort_unstable();
    tx.insert_identifiers(&unseen_rows).await?;
    tx.set_identifier_subjects(&moved_pointers).await?;
    tx.update_subjects(&updated_subjects).await?;

    if let Some(tx) = tx.as_tx() {
        for subject in to_relink {
            crate::subjects::relink(tx, app, tool, subject, now).await?;
        }
    }
    Ok(Written::Done(()))
}

/// A stored band. Only Severn writes the column, so anything else is read as the lowest band.
pub(crate) fn stored_band(band: &str) -> Band {
    Band::parse(band).unwrap_or(Band::Low)
}

pub(crate) fn due_at(clock_start_at: i64, band: &str, tool: &RiskTool) -> i64 {
    let band = stored_band(band);
    let start = jiff::Timestamp::from_second(clock_start_at).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    sla::due_at(start, band, tool).as_second()
}

pub(crate) fn fresh_subject(
    id: SubjectId,
    clock_start_at: i64,
    now: i64,
    owner_org: Option<OrgId>,
) -> SubjectRow {
    SubjectRow {
        id,
        created_at: now,
        status: "open".to_owned(),
        merged_into: None,
        provisional_band: Band::Low.as_str().to_owned(),
        assessment_id: None,
        band: Band::Low.as_str().to_owned(),
        band_reason: String::new(),
        clock_start_at,
        due_at: clock_start_at,
        owner_org,
    }
}

/// Folds a merged subject into its target: the higher band and the earlier clock start win.
pub(crate) fn fold_subject(target: &mut SubjectRow, from: &SubjectRow) {
    let band = stored_band;
    if band(&from.provisional_band) > band(&target.provisional_band) {
        target.provisional_band = from.provisional_band.clone();
    }
    if band(&from.band) > band(&target.band) || target.band_reason.is_empty() {
        target.band = from.band.clone();
        target.band_reason = from.band_reason.clone();
    }
    if target.assessment_id.is_none() {
        target.assessment_id = from.assessment_id;
    }
    target.clock_start_at = target.clock_start_at.min(from.clock_start_at);
}

/// A referral joins a subject: its provisional band `band` raises the subject's band when higher, with
/// `reason` (see [`band_reason`]). An assessed subject keeps its assessed band unless the new referral shows
/// more risk than the assessment found.
pub(crate) fn raise_subject(
    target: &mut SubjectRow,
    band: Band,
    reason: String,
    clock_start_at: i64,
) {
    let current = stored_band;
    if band > current(&target.provisional_band) {
        target.provisional_band = band.as_str().to_owned();
    }
    if target.band_reason.is_empty() || band > current(&target.band) {
        target.band = band.as_str().to_owned();
        target.band_reason = if target.assessment_id.is_some() {
            format!("New referral since the last assessment. {reason}")
        } else {
            reason
        };
    }
    target.clock_start_at = target.clock_start_at.min(clock_start_at);
}

pub(crate) fn band_reason(source_ref: &str, outcome: &Outcome) -> String {
    format!(
        "{} provisional from referral {source_ref}: {}",
        outcome.band.label(),
        outcome.reasons.join(" ")
    )
}

/// The row to store; the candidate's stored forms move into it.
fn referral_row(
    c: &mut Candidate<'_>,
    id: ReferralId,
    subject: SubjectId,
    tool: &RiskTool,
    now: i64,
) -> ReferralRow {
    let disseminated = c.prepared.report.nca.as_ref().map(|n| n.disseminated_at);
    let received = jiff::Timestamp::from_second(now).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let clock_start = tool.clock().starts.start_time(received, disseminated);
    ReferralRow {
        id,
        source_ref: c.prepared.key.clone(),
        format: c.prepared.report.format.as_str().to_owned(),
        source: c.prepared.report.source.as_str().to_owned(),
        version: 1,
        content_sha256: c.prepared.report.content_sha256.clone(),
        received_at: now,
        clock_start_at: clock_start.as_second(),
        nca_reference: c
            .prepared
            .report
            .nca
            .as_ref()
            .map(|n| n.nca_reference.clone()),
        disseminated_at: disseminated.map(|d| d.as_second()),
        incident_type: c
            .prepared
            .report
            .incident_type
            .map(|t| t.cybertip_str().to_owned()),
        incident_at: c.prepared.report.incident_at.map(|t| t.as_second()),
        platform: c.prepared.report.platform.clone(),
        subject_id: subject,
        band: c.prepared.risk.band.as_str().to_owned(),
        outcome: std::mem::take(&mut c.prepared.risk.outcome),
        signals: std::mem::take(&mut c.prepared.risk.signals),
        document: std::mem::take(&mut c.prepared.risk.document),
        owner_org: c.prepared.owner,
    }
}

/// A file-details document for a referral stored in an earlier batch: its metadata joins the referral's
/// document and the referral's band is worked out again.
async fn refresh_with_file<S: BatchStore>(
    tx: &mut S,
    tool: &RiskTool,
    details: &PreparedDetails,
) -> Result<()> {
    let key = &details.source_ref;
    let Some(mut row) = tx.referral_by_source_ref(key).await? else {
        return Ok(());
    };
    let mut report: Report = match row.document.json() {
        Ok(report) => report,
        Err(e) => {
            return Err(crate::AppError::Store(severn_store::StoreError::Corrupt(
                format!("referral {key} document: {e}"),
            )));
        }
    };
    attach_file(&mut report, details.details.file.clone());
    let risk = PreparedRisk::of(&report, key, tool);
    row.signals = risk.signals;
    row.outcome = risk.outcome;
    row.band = risk.band.as_str().to_owned();
    row.document = risk.document;
    tx.update_referral_risk(&row).await?;
    if let Some(mut subject) = tx.subject(row.subject_id).await? {
        raise_subject(
            &mut subject,
            risk.band,
            risk.band_reason,
            row.clock_start_at,
        );
        subject.due_at = due_at(subject.clock_start_at, &subject.band, tool);
        tx.update_subject(&subject).await?;
    }
    Ok(())
}

impl App {
    /// Ingests a reject again after its file was corrected. A package document is re-read with the package
    /// context it was rejected with; a CSV file or a package manifest is read again whole (rows and documents
    /// already stored count as duplicates). The reject is marked resolved when nothing from it is rejected now.
    pub async fn retry_reject(&self, actor: &Actor, id: i64) -> Result<IngestSummary> {
        let tx = self.db.begin().await?;
        let target = format!("reject:{id}");
        let (mut tx, _) = self
            .authorise(tx, actor, Action::Ingest, &target, None, Why::default())
            .await?;
        let reject = tx.reject(id).await?;
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
        let mut tx = self.db.begin().await?;
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
