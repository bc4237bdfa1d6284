//! Writing one batch in its transaction: rejects, file details, duplicates and new versions told apart, then
//! linking and storing (see `link`), and the audit entry for what the batch collected.

use super::link::link_and_store;
use super::prepare::{Batch, Prepared, PreparedDetails, PreparedRisk, attach_file};
use super::subject::{due_at, raise_subject};
use super::{HashMap, HashSet, IngestSummary};
use crate::{App, Result};
use severn_domain::access::{Action, Actor, Processing};
use severn_domain::ids::OrgId;
use severn_domain::report::{FileDetails, Report};
use severn_domain::risk::RiskTool;
use severn_ingest::Rejection;
use severn_store::{AuditRecord, FileDetailRow, KnownReferral, NewReject, Scoped};
use std::collections::BTreeSet;

/// The audit entry for what a batch collected, written in the batch's own transaction.
async fn record_collection(
    tx: &mut Scoped,
    app: &App,
    actor: &Actor,
    counted: &IngestSummary,
    (first, last): (Option<String>, Option<String>),
) -> Result<()> {
    let record = AuditRecord {
        at: app.now(),
        actor: actor.audit_name(),
        org: actor.org(),
        processing: Processing::Collection,
        action: Action::Ingest.as_str().to_owned(),
        target: match (first, last) {
            (Some(first), Some(last)) => format!("referrals:{first}..{last}"),
            _ => "referrals".to_owned(),
        },
        justification: None,
        recipients: None,
        detail: Some(serde_json::to_string(counted).expect("summary serialises")),
    };
    app.gate.log_event(tx, &record, "allowed").await?;
    Ok(())
}

/// A report of the batch that will be written: new, or a changed version of a known referral.
pub(super) struct Candidate<'b> {
    pub(super) prepared: &'b mut Prepared,
    pub(super) known: Option<KnownReferral>,
}

impl Candidate<'_> {
    /// The force whose identifiers it links on: a new version stays with the referral's owner.
    pub(super) fn owner(&self) -> Option<OrgId> {
        match &self.known {
            Some(known) => known.owner_org,
            None => self.prepared.owner,
        }
    }
}

pub(super) async fn write_batch(
    tx: &mut Scoped,
    app: &App,
    tool: &RiskTool,
    actor: &Actor,
    batch: &mut Batch,
) -> Result<IngestSummary> {
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
        candidates.push(Candidate { prepared, known });
    }

    if !candidates.is_empty() {
        link_and_store(tx, app, tool, &mut candidates, now).await?;
    }
    for details in details_for_stored {
        refresh_with_file(tx, tool, details).await?;
    }
    record_collection(tx, app, actor, &summary, first_and_last).await?;
    Ok(summary)
}

pub(super) fn new_reject(r: &Rejection, now: i64) -> NewReject {
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

/// A file-details document for a referral stored in an earlier batch: its metadata joins the referral's
/// document and the referral's band is worked out again.
async fn refresh_with_file(
    tx: &mut Scoped,
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
    row.band = risk.band;
    row.document = risk.document;
    tx.update_referral_risk(&row).await?;
    if let Some(mut subject) = tx.subject(row.subject_id).await? {
        raise_subject(
            &mut subject,
            risk.band,
            risk.band_reason,
            row.clock_start_at,
        );
        subject.due_at = due_at(subject.clock_start_at, subject.band, tool);
        tx.update_subject(&subject).await?;
    }
    Ok(())
}
