//! Read-side use cases: the queue, a referral with its subject and explanation, and every subject.

use crate::gate::Why;
use crate::time::instant;
use crate::{App, AppError, Result};
use jiff::Timestamp;
use serde::Serialize;
use severn_domain::access::{Action, Actor, CaseAccess, decide};
use severn_domain::ids::SubjectId;
use severn_domain::report::{IdentifierKind, Report, SourceRef};
use severn_domain::risk::{Answers, Outcome};
use severn_domain::sla;
use severn_domain::subject::DecisionKind;
use severn_store::{
    AssessmentRow, Counts, DecisionRow, LinkExplained, RejectRow, StoreError, SubjectRow,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Write;
use utoipa::ToSchema;

/// Characters of something asked for as a referral reference that a refusal's log entry keeps.
const MOST_OF_A_REFERENCE_LOGGED: usize = 100;

/// One line of the queue. A restricted case shows only what ordering the work needs (its band and
/// deadline): its referral count and band reason are for the people named, on the case's page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueEntry {
    pub subject: SubjectId,
    pub band: String,
    pub band_label: String,
    #[schema(value_type = String, format = DateTime)]
    pub due_at: Timestamp,
    pub overdue: bool,
    /// Seconds until due; negative when overdue.
    pub seconds_left: i64,
    pub time_left: String,
    /// Restricted to named people.
    pub restricted: bool,
    /// Null when restricted.
    pub referrals: Option<i64>,
    /// Why the case has its band; null when restricted.
    pub reason: Option<String>,
}

/// A subject: its band, why it has it, its deadline and its referrals.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubjectSummary {
    pub subject: SubjectId,
    pub status: String,
    pub band: String,
    pub band_label: String,
    pub reason: String,
    #[schema(value_type = String, format = DateTime)]
    pub clock_start_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub due_at: Timestamp,
    pub time_left: String,
    pub overdue: bool,
    pub referrals: Vec<String>,
    /// Where the subject went, when it was merged into another: its referrals are there now.
    pub merged_into: Option<SubjectId>,
}

/// A referral with its subject, identifiers, the links that put it there, and the explanation of its band.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReferralView {
    pub referral: String,
    pub format: String,
    pub source: String,
    pub version: i32,
    pub earlier_versions: Vec<VersionView>,
    #[schema(value_type = String, format = DateTime)]
    pub received_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub clock_start_at: Timestamp,
    pub nca_reference: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub disseminated_at: Option<Timestamp>,
    pub incident_type: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub incident_at: Option<Timestamp>,
    pub platform: Option<String>,
    /// The referral's own provisional band and how it was reached.
    pub band: String,
    pub band_label: String,
    pub explanation: Option<Outcome>,
    pub subject: SubjectSummary,
    /// Why referrals are in the subject: the identifiers they share, with weights.
    pub links: Vec<LinkView>,
    pub identifiers: Vec<IdentifierView>,
    pub assessments: Vec<AssessmentView>,
    pub decisions: Vec<DecisionView>,
    /// The report as Severn read it from the document: metadata and hashes, never file content.
    #[schema(value_type = Option<Object>)]
    pub report: Option<Report>,
}

/// An identifier a referral shares with its subject, and the weight it adds to the link.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LinkView {
    pub referral: String,
    pub kind: IdentifierKind,
    pub service: Option<String>,
    pub value: String,
    pub weight: f64,
}

impl From<LinkExplained> for LinkView {
    fn from(l: LinkExplained) -> Self {
        LinkView {
            referral: l.referral,
            kind: l.kind,
            service: l.service,
            value: l.value,
            weight: l.weight,
        }
    }
}

/// An identifier named on a referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct IdentifierView {
    pub referral: String,
    pub kind: IdentifierKind,
    pub service: Option<String>,
    pub value: String,
    /// How it appears on the referral: reported person, recipient, victim ...
    pub role: String,
    /// A placeholder or common value, which does not link.
    pub placeholder: bool,
}

/// A saved risk assessment: the tool version, the answers, the band and what moved it, and any supervisor
/// override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AssessmentView {
    pub id: i64,
    pub subject_id: SubjectId,
    pub tool_id: String,
    pub tool_version: String,
    /// Question id to answer.
    #[schema(inline)]
    pub answers: Answers,
    pub outcome: Outcome,
    pub band: String,
    pub assessor: String,
    #[schema(value_type = String, format = DateTime)]
    pub assessed_at: Timestamp,
    pub override_band: Option<String>,
    pub override_rationale: Option<String>,
    pub override_by: Option<String>,
    /// The assessment this one rescored under a newer tool version.
    pub rescored_from: Option<i64>,
}

impl TryFrom<AssessmentRow> for AssessmentView {
    type Error = AppError;

    /// Fails when the stored answers or outcome do not read: stored data that does not validate.
    fn try_from(a: AssessmentRow) -> Result<Self> {
        let corrupt = |what: &str, e: serde_json::Error| {
            AppError::Store(StoreError::Corrupt(format!(
                "assessment {} {what}: {e}",
                a.id
            )))
        };
        Ok(AssessmentView {
            answers: serde_json::from_str(&a.answers).map_err(|e| corrupt("answers", e))?,
            outcome: serde_json::from_str(&a.outcome).map_err(|e| corrupt("outcome", e))?,
            id: a.id,
            subject_id: a.subject_id,
            tool_id: a.tool_id,
            tool_version: a.tool_version,
            band: a.band.as_str().to_owned(),
            assessor: a.assessor,
            assessed_at: instant(a.assessed_at),
            override_band: a.override_band.map(|b| b.as_str().to_owned()),
            override_rationale: a.override_rationale,
            override_by: a.override_by,
            rescored_from: a.rescored_from,
        })
    }
}

/// A merge or split of the subject, with its rationale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DecisionView {
    pub id: i64,
    pub kind: DecisionKind,
    pub subject_id: SubjectId,
    pub other_subject_id: SubjectId,
    /// The referrals the decision moved.
    pub referrals: Vec<String>,
    pub rationale: String,
    pub actor: String,
    #[schema(value_type = String, format = DateTime)]
    pub decided_at: Timestamp,
}

impl TryFrom<DecisionRow> for DecisionView {
    type Error = AppError;

    fn try_from(d: DecisionRow) -> Result<Self> {
        let referrals = serde_json::from_str(&d.referrals).map_err(|e| {
            AppError::Store(StoreError::Corrupt(format!(
                "decision {} referrals: {e}",
                d.id
            )))
        })?;
        Ok(DecisionView {
            id: d.id,
            kind: d.kind,
            subject_id: d.subject_id,
            other_subject_id: d.other_subject_id,
            referrals,
            rationale: d.rationale,
            actor: d.actor,
            decided_at: instant(d.decided_at),
        })
    }
}

/// An earlier version of a referral: the same reference sent again with different content.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionView {
    pub version: i32,
    pub content_sha256: String,
    #[schema(value_type = String, format = DateTime)]
    pub received_at: Timestamp,
}

/// A document that could not be taken in, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectView {
    pub id: i64,
    /// The file the problem is in.
    pub path: String,
    /// `line 12, column 5`, an element path, `row 7, column suspect_emails`, or a manifest field.
    pub location: Option<String>,
    /// The element, JSON path, CSV column or manifest field at fault.
    pub field: Option<String>,
    pub reason: String,
    /// How the document came (its package's details), as JSON, for a retry.
    pub context: Option<String>,
    pub rejected_at: Timestamp,
    /// When a retry took it in.
    pub resolved_at: Option<Timestamp>,
}

impl From<RejectRow> for RejectView {
    fn from(r: RejectRow) -> Self {
        RejectView {
            id: r.id,
            path: r.path,
            location: r.location,
            field: r.field,
            reason: r.reason,
            context: r.context,
            rejected_at: instant(r.rejected_at),
            resolved_at: r.resolved_at.map(instant),
        }
    }
}

/// What the person may do on one case, as the policy says: pages offer only these.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CaseActions {
    pub assess: bool,
    pub merge_split: bool,
    pub share: bool,
    pub restrict: bool,
    /// Override the band, sign off the assessment.
    pub review: bool,
}

impl CaseActions {
    pub fn of(actor: &Actor, access: &CaseAccess) -> CaseActions {
        let may = |action| decide(actor, action, Some(access)).is_ok();
        CaseActions {
            assess: may(Action::Assess),
            merge_split: may(Action::MergeSplit),
            share: may(Action::Share),
            restrict: may(Action::Restrict),
            review: may(Action::Override),
        }
    }
}

/// One subject as `severn subjects --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectExport {
    pub subject: SubjectId,
    pub referrals: Vec<String>,
    pub identifiers: Vec<IdentifierExport>,
    pub links: Vec<LinkView>,
    pub band: String,
    pub due_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct IdentifierExport {
    /// As stored, so an export keeps listing identifiers in the order of these words.
    pub kind: String,
    pub service: Option<String>,
    pub value: String,
    /// Placeholder or common values: shown, never linked on.
    pub links: bool,
}

impl App {
    pub(crate) fn summarise(&self, s: &SubjectRow, referrals: Vec<String>) -> SubjectSummary {
        let now = self.clock.now();
        let due = jiff::Timestamp::from_second(s.due_at).unwrap_or(now);
        let left = sla::time_left(due, now);
        SubjectSummary {
            subject: s.id,
            status: s.status.as_str().to_owned(),
            band: s.band.as_str().to_owned(),
            band_label: s.band.label().to_owned(),
            reason: s.band_reason.clone(),
            clock_start_at: instant(s.clock_start_at),
            due_at: instant(s.due_at),
            time_left: left.to_string(),
            overdue: left.is_overdue(),
            referrals,
            merged_into: s.merged_into,
        }
    }

    /// What `actor` may do on subject `id`, for the page that shows it. Reads who may see the case, not
    /// personal data, so it is not logged; a subject that does not exist allows nothing.
    pub async fn case_actions(&self, actor: &Actor, id: SubjectId) -> Result<CaseActions> {
        let mut tx = self.db().begin_read().await?;
        let access = tx.case_access(id).await?;
        tx.commit().await?;
        Ok(access.map_or_else(CaseActions::default, |access| {
            CaseActions::of(actor, &access)
        }))
    }

    /// Open work by due time, overdue first.
    pub async fn queue(&self, actor: &Actor, limit: i64) -> Result<Vec<QueueEntry>> {
        let tx = self.db().begin_read().await?;
        let mut tx = self
            .authorise(tx, actor, Action::ViewQueue, "queue", Why::default())
            .await?;
        let rows = tx.queue(limit).await?;
        let ids: Vec<SubjectId> = rows.iter().map(|s| s.id).collect();
        let counts: HashMap<SubjectId, i64> = tx.referral_counts(&ids).await?.into_iter().collect();
        let restricted = tx.restricted_among(&ids).await?;
        tx.commit().await?;
        Ok(self.queue_entries(rows, &counts, &restricted))
    }

    /// Queue lines for open subjects, with their referral counts and the time left now; restricted ones
    /// without their details.
    pub(crate) fn queue_entries(
        &self,
        rows: Vec<SubjectRow>,
        counts: &HashMap<SubjectId, i64>,
        restricted: &HashSet<SubjectId>,
    ) -> Vec<QueueEntry> {
        let now = self.clock.now();
        rows.into_iter()
            .map(|s| {
                let due = jiff::Timestamp::from_second(s.due_at).unwrap_or(now);
                let left = sla::time_left(due, now);
                let restricted = restricted.contains(&s.id);
                QueueEntry {
                    subject: s.id,
                    band_label: s.band.label().to_owned(),
                    band: s.band.as_str().to_owned(),
                    due_at: instant(s.due_at),
                    overdue: left.is_overdue(),
                    seconds_left: left.duration().as_secs(),
                    time_left: left.to_string(),
                    restricted,
                    referrals: (!restricted).then(|| counts.get(&s.id).copied().unwrap_or(0)),
                    reason: (!restricted).then_some(s.band_reason),
                }
            })
            .collect()
    }

    /// A referral with its subject, the links that put it there and the explanation of its band.
    pub async fn referral(&self, actor: &Actor, reference: &str, why: Why) -> Result<ReferralView> {
        // Something that is not a reference is refused and logged like any other probe, cut short in both the
        // answer and the entry: it came in a URL, and the log keeps no more than it needs.
        let mut asked: String = reference.chars().take(MOST_OF_A_REFERENCE_LOGGED).collect();
        if asked.len() < reference.len() {
            asked.push('…');
        }
        let parsed = SourceRef::parse_key(reference)
            .map(|r| r.as_key())
            .ok_or_else(|| {
                AppError::Invalid(format!(
                    "{asked:?} is not a referral reference: use an NCMEC report ID, ncmec:ID, ext:REF or sha256:HASH"
                ))
            });
        let probe = Why {
            detail: Some(format!("referral {asked:?}")),
            ..Why::default()
        };
        let key = self
            .logging_refusal(actor, Action::ViewCase, "referral", probe, parsed)
            .await?;
        let mut tx = self.db().begin_read().await?;
        let asked_for = format!("referral {key}");
        let Some(known) = tx.known_referral(&key).await? else {
            let why = Why {
                detail: Some(asked_for.clone()),
                ..why
            };
            let target = format!("referral:{key}");
            return Err(self
                .refuse_missing_page(tx, actor, Action::ViewCase, &target, &asked_for, why)
                .await);
        };
        let subject_id = known.subject_id;
        // Logged against the case, so "who consulted this subject" finds referral views too.
        let target = format!("subject:{subject_id}");
        let why = Why {
            detail: Some(format!("referral {key}")),
            ..why
        };
        let mut tx = self
            .authorise_page(
                tx,
                actor,
                Action::ViewCase,
                &target,
                (subject_id, &asked_for),
                why,
            )
            .await?;
        let referral = tx
            .referral_in_scope(known.id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no referral {key}")))?;
        let subject = tx
            .subject(referral.subject_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("referral {key} has no subject")))?;
        let members = tx.referral_refs_of_subject(subject.id).await?;
        let links = tx.links_of_subject(subject.id).await?;
        let mut identifiers = tx.identifiers_of_referral(referral.id).await?;
        identifiers.sort_by(|(_, a, a_role), (_, b, b_role)| {
            (a_role, a.kind.as_str(), &a.value).cmp(&(b_role, b.kind.as_str(), &b.value))
        });
        let assessments = tx.assessments_of_subject(subject.id).await?;
        let decisions = tx.decisions_of_subject(subject.id).await?;
        let versions = tx.referral_versions(referral.id).await?;
        tx.commit().await?;
        Ok(ReferralView {
            referral: referral.source_ref.clone(),
            format: referral.format,
            source: referral.source,
            version: referral.version,
            earlier_versions: versions
                .into_iter()
                .map(|(version, content_sha256, at)| VersionView {
                    version,
                    content_sha256,
                    received_at: instant(at),
                })
                .collect(),
            received_at: instant(referral.received_at),
            clock_start_at: instant(referral.clock_start_at),
            nca_reference: referral.nca_reference,
            disseminated_at: referral.disseminated_at.map(instant),
            incident_type: referral.incident_type,
            incident_at: referral.incident_at.map(instant),
            platform: referral.platform,
            band_label: referral.band.label().to_owned(),
            band: referral.band.as_str().to_owned(),
            explanation: referral.outcome.json().ok(),
            subject: self.summarise(&subject, members),
            links: links.into_iter().map(LinkView::from).collect(),
            identifiers: identifiers
                .into_iter()
                .map(|(_, i, role)| IdentifierView {
                    referral: referral.source_ref.clone(),
                    kind: i.kind,
                    service: i.service,
                    value: i.value,
                    role,
                    placeholder: i.placeholder || i.common,
                })
                .collect(),
            assessments: assessments
                .into_iter()
                .map(AssessmentView::try_from)
                .collect::<Result<_>>()?,
            decisions: decisions
                .into_iter()
                .map(DecisionView::try_from)
                .collect::<Result<_>>()?,
            report: referral.document.json().ok(),
        })
    }

    /// A subject's summary by id.
    pub async fn subject(&self, actor: &Actor, id: SubjectId, why: Why) -> Result<SubjectSummary> {
        let tx = self.db().begin_read().await?;
        let mut tx = self
            .authorise_case(tx, actor, Action::ViewCase, id, why)
            .await?;
        let subject = tx
            .subject(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no subject {id}")))?;
        let members = tx.referral_refs_of_subject(id).await?;
        tx.commit().await?;
        Ok(self.summarise(&subject, members))
    }

    /// Writes every live subject as one JSON array, a page of subjects at a time so memory stays flat.
    /// An export is a disclosure: the justification and recipients go into the audit log.
    pub async fn export_subjects(
        &self,
        actor: &Actor,
        why: Why,
        out: &mut dyn Write,
    ) -> Result<u64> {
        let tx = self.db().begin().await?;
        let tx = self
            .authorise(tx, actor, Action::Export, "subjects", why)
            .await?;
        let grant = tx.scope().clone();
        tx.commit().await?;
        let mut after = SubjectId(0);
        let mut written = 0u64;
        out.write_all(b"[")?;
        loop {
            let mut tx = self.gate.begin_read_under(&grant).await?;
            let ids = tx.live_subject_ids(after, 500).await?;
            let Some(last) = ids.last().copied() else {
                tx.commit().await?;
                break;
            };
            after = last;
            let subjects = tx.subjects(&ids).await?;
            let referrals = tx.referrals_of_subjects(&ids).await?;
            let identifiers = tx.identifiers_of_subjects(&ids).await?;
            let links = tx.links_of_subjects(&ids).await?;
            tx.commit().await?;
            let mut by_subject: BTreeMap<SubjectId, SubjectExport> = subjects
                .iter()
                .map(|s| {
                    (
                        s.id,
                        SubjectExport {
                            subject: s.id,
                            referrals: Vec::new(),
                            identifiers: Vec::new(),
                            links: Vec::new(),
                            band: s.band.as_str().to_owned(),
                            due_at: instant(s.due_at),
                        },
                    )
                })
                .collect();
            for r in referrals {
                if let Some(e) = by_subject.get_mut(&r.subject_id) {
                    e.referrals.push(r.source_ref);
                }
            }
            let mut seen: BTreeMap<SubjectId, BTreeSet<IdentifierExport>> = BTreeMap::new();
            for (s, i) in identifiers
                .into_iter()
                .filter(|(_, i)| i.role == "reported")
            {
                seen.entry(s).or_default().insert(IdentifierExport {
                    kind: i.kind.as_str().to_owned(),
                    service: i.service,
                    value: i.value,
                    links: !i.placeholder,
                });
            }
            for (s, set) in seen {
                if let Some(e) = by_subject.get_mut(&s) {
                    e.identifiers = set.into_iter().collect();
                }
            }
            for (s, l) in links {
                if let Some(e) = by_subject.get_mut(&s) {
                    e.links.push(l.into());
                }
            }
            for export in by_subject.into_values() {
                if written > 0 {
                    out.write_all(b",\n")?;
                }
                serde_json::to_writer(&mut *out, &export).map_err(std::io::Error::from)?;
                written += 1;
            }
        }
        out.write_all(b"]\n")?;
        Ok(written)
    }

    /// Rejected documents hold raw input: only those who take referrals in see them.
    pub async fn rejects(&self, actor: &Actor, all: bool) -> Result<Vec<RejectView>> {
        let tx = self.db().begin_read().await?;
        let mut tx = self
            .authorise(tx, actor, Action::Ingest, "rejects", Why::default())
            .await?;
        let rows = tx.rejects(all).await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(RejectView::from).collect())
    }

    /// How many referrals, subjects, identifiers and open rejects the database holds, across every force:
    /// figures only.
    pub async fn counts(&self, actor: &Actor) -> Result<Counts> {
        let tx = self.db().begin_read().await?;
        let mut tx = self
            .authorise(
                tx,
                actor,
                Action::ViewAggregates,
                "aggregates:counts",
                Why::default(),
            )
            .await?;
        let counts = tx.counts().await?;
        tx.commit().await?;
        Ok(counts)
    }
}
