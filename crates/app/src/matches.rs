//! Possible matches: other subjects that may be the same person as a subject, because their reported people
//! share an identifier that did not link them (one too weak on its own, or a strong one marked common or a
//! placeholder); the two subjects side by side before a merge; and what a merged-away subject says of where
//! it went.
//!
//! Every read goes through the gate. The matches of a subject are two authorised reads: the subject itself
//! (a view of the case, refused as any view of it is), then the other subjects of its force (a list, confined
//! by the gate's scope to the person's own force). A restricted subject the person may not open is left out
//! entirely, and one they may open is listed without what it shares until they open the comparison with a
//! reason. A comparison authorises both subjects in one transaction; a refusal of either refuses it, logged.

use crate::gate::Why;
use crate::time::instant;
use crate::{App, AppError, Result};
use jiff::Timestamp;
use serde::Serialize;
use severn_domain::access::{Action, Actor, CaseAccess, decide};
use severn_domain::ids::{CaseId, SubjectId};
use severn_domain::linking::{LinkPolicy, is_personal, value_weight};
use severn_domain::report::{IdentifierKind, ReferralSource, Report};
use severn_domain::subject::{DecisionKind, SubjectStatus};
use severn_domain::text::capitalised;
use severn_store::{CaseRow, CaseStatus, DecisionRow, Scoped, SharedIdentifier, SubjectRow, Tx};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

/// How many (other subject, shared identifier) pairs a subject's matches read at most. A value thousands of
/// subjects carry (a placeholder e-mail) would otherwise make the list as long as the force's work.
pub const MATCH_PAIRS_READ: i64 = 2_000;

/// Possible matches on one page.
pub const MATCHES_PER_PAGE: usize = 20;

/// What a value marked common or a placeholder adds to a match's score: a little, as many people carry it.
const COMMON_SCORE: f64 = 0.1;

/// Why a shared identifier did not link the two subjects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotLinked {
    /// Its weight alone does not link (an IP address, a screen name, a landline, a group).
    WeakOnItsOwn,
    /// A strong kind of identifier, but a placeholder or a value many accounts carry.
    MarkedAsCommon,
}

impl NotLinked {
    pub fn words(self) -> &'static str {
        match self {
            NotLinked::WeakOnItsOwn => "weak on its own",
            NotLinked::MarkedAsCommon => "marked as common",
        }
    }

    /// Why a shared identifier did not link, or `None` for one that links on its own (two subjects sharing
    /// it are told apart by an investigator's split, which is a decision already taken, not a match).
    pub fn of(
        policy: &LinkPolicy,
        kind: IdentifierKind,
        value: &str,
        placeholder: bool,
        common: bool,
    ) -> Option<NotLinked> {
        if placeholder || common {
            Some(NotLinked::MarkedAsCommon)
        } else if !is_personal(kind, value) || !policy.links(value_weight(kind, value)) {
            Some(NotLinked::WeakOnItsOwn)
        } else {
            None
        }
    }

    /// What the identifier adds to a match's score.
    fn score(self, kind: IdentifierKind, value: &str) -> f64 {
        match self {
            NotLinked::WeakOnItsOwn => value_weight(kind, value),
            NotLinked::MarkedAsCommon => COMMON_SCORE,
        }
    }
}

/// An identifier two subjects share, and why it did not link them.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SharedView {
    pub kind: IdentifierKind,
    /// The kind in words: "IP address", "screen name".
    pub kind_label: String,
    pub service: Option<String>,
    pub value: String,
    pub not_linked: NotLinked,
    /// Why it did not link, in words: "weak on its own" or "marked as common".
    pub not_linked_words: String,
}

/// Another subject that may be the same person.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PossibleMatch {
    pub subject: SubjectId,
    pub band: String,
    pub band_label: String,
    /// Where it stands, in words: "In the queue", "In case 4", "Case 4 closed".
    pub status: String,
    pub case: Option<CaseId>,
    /// Restricted to named people the person is one of: what it shares is shown on the comparison, which
    /// asks why it is being opened.
    pub restricted: bool,
    /// What the two share; empty when restricted.
    pub shared: Vec<SharedView>,
    /// For ordering: the weight of what they share (a little for each common value). Higher first.
    pub score: f64,
}

/// A page of a subject's possible matches, best first.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PossibleMatches {
    /// The subject the matches are for.
    pub subject: SubjectId,
    pub matches: Vec<PossibleMatch>,
    /// Matches in all, over every page.
    pub total: usize,
    /// This page (from 1) and how many there are.
    pub page: usize,
    pub pages: usize,
    /// The subject shares values with so many others that only the first were read: some may be missing.
    pub incomplete: bool,
}

/// An identifier of one side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ComparedIdentifier {
    pub service: Option<String>,
    pub value: String,
    /// The other subject carries it too.
    pub shared: bool,
    /// A placeholder or common value, which does not link.
    pub common: bool,
}

/// One kind of identifier on one side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct IdentifierGroup {
    pub kind: IdentifierKind,
    /// The kind in words, as a heading: "E-mail address", "IP address".
    pub kind_label: String,
    pub items: Vec<ComparedIdentifier>,
}

/// One subject as a comparison shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SubjectSide {
    pub subject: SubjectId,
    pub band: String,
    pub band_label: String,
    /// Where it stands, in words (see [`PossibleMatch::status`]).
    pub status: String,
    pub case: Option<CaseId>,
    pub referral_count: usize,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_received: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_received: Option<Timestamp>,
    /// Where its referrals came from, in words.
    pub sources: Vec<String>,
    pub referrals: Vec<String>,
    /// Names the reporting services gave for the reported people: full names and display names.
    pub names: Vec<String>,
    /// The reported people's identifiers (accounts, screen names, e-mail addresses ...), by kind.
    pub identifiers: Vec<IdentifierGroup>,
}

/// Two subjects side by side, and whether the second may be merged into the first.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Comparison {
    /// The subject kept by a merge.
    pub subject: SubjectSide,
    /// The subject a merge moves into it.
    pub other: SubjectSide,
    /// How many identifiers they share.
    pub shared: usize,
    /// The person may merge these two, and they can be merged as they stand.
    pub may_merge: bool,
    /// Why they cannot be merged as they stand (a subject in a case, a subject already merged), when the
    /// person's role would allow it.
    pub cannot_merge: Option<String>,
    /// Merging the first into the second could be done instead (the second is in a case, the first not).
    pub merge_the_other_way: bool,
}

/// What a merge did.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MergeResult {
    /// The subject kept.
    pub subject: SubjectId,
    /// The subject merged into it, now merged away.
    pub merged: SubjectId,
    /// How many referrals moved.
    pub referrals_moved: usize,
}

/// Where a merged-away subject went, and on whose decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MergedAway {
    pub into: SubjectId,
    /// When, by whom and why, if an investigator merged it; absent when linking merged it as referrals
    /// arrived (a referral carrying identifiers of both).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub at: Option<Timestamp>,
    pub by: Option<String>,
    pub rationale: Option<String>,
}

impl MergedAway {
    /// Where `subject` went, if it was merged away, with the investigator's decision when there was one.
    pub fn of(subject: &SubjectRow, decisions: &[DecisionRow]) -> Option<MergedAway> {
        let into = subject.merged_into?;
        let decision = decisions
            .iter()
            .rev()
            .find(|d| d.kind == DecisionKind::Merge && d.other_subject_id == subject.id);
        Some(MergedAway {
            into,
            at: decision.map(|d| instant(d.decided_at)),
            by: decision.map(|d| d.actor.clone()),
            rationale: decision.map(|d| d.rationale.clone()),
        })
    }
}

/// Where a subject stands, in words.
fn status_words(subject: &SubjectRow, case: Option<&CaseRow>) -> String {
    match (subject.status, case) {
        (SubjectStatus::Merged, _) => format!(
            "Merged into subject {}",
            subject
                .merged_into
                .map(|m| m.to_string())
                .unwrap_or_default()
        ),
        (_, Some(case)) if case.now.status == CaseStatus::Closed => {
            format!("Case {} closed", case.id)
        }
        (_, Some(case)) => format!("In case {}", case.id),
        (_, None) => "In the queue".to_owned(),
    }
}

/// Where referrals came from, as people say it.
fn source_words(stored: &str) -> String {
    match ReferralSource::parse(stored) {
        Some(ReferralSource::Ncmec) => "NCMEC CyberTipline".to_owned(),
        Some(ReferralSource::PublicReport) => "Report from the public".to_owned(),
        Some(ReferralSource::P2pDetection) => "Peer-to-peer detection".to_owned(),
        Some(ReferralSource::OtherForce) => "Another force".to_owned(),
        Some(ReferralSource::PartnerAgency) => "Partner agency".to_owned(),
        None => stored.to_owned(),
    }
}

/// Why `from` cannot be merged into `into` as they stand, if it cannot: either merged away already, `from`
/// in a case (its case would be left on a subject with no referrals), or the two of different forces.
pub(crate) fn merge_blocked(
    into: &SubjectRow,
    into_case: Option<&CaseRow>,
    from: &SubjectRow,
    from_case: Option<&CaseRow>,
) -> Option<String> {
    for side in [into, from] {
        if side.status == SubjectStatus::Merged {
            return Some(format!(
                "Subject {} was merged into subject {} already.",
                side.id,
                side.merged_into.map(|m| m.to_string()).unwrap_or_default()
            ));
        }
    }
    if into.owner_org != from.owner_org {
        return Some("Subjects of different forces cannot be merged.".to_owned());
    }
    match (into_case, from_case) {
        (Some(kept), Some(merged)) => Some(format!(
            "Both subjects are in cases (case {} and case {}): a subject in a case is never merged away, as \
             its case would be left with no referrals.",
            kept.id, merged.id
        )),
        (None, Some(merged)) => Some(format!(
            "Subject {} is in case {}: a subject in a case is never merged away, as its case would be left \
             with no referrals. Merge subject {} into subject {} instead.",
            from.id, merged.id, into.id, from.id
        )),
        _ => None,
    }
}

/// The names the reported people of these referrals' reports were given.
fn names_in(documents: impl Iterator<Item = Report>) -> Vec<String> {
    let mut names = BTreeSet::new();
    for report in documents {
        for person in report.reported_people() {
            let full: Vec<&str> = [person.first_name.as_deref(), person.last_name.as_deref()]
                .into_iter()
                .flatten()
                .filter(|n| !n.trim().is_empty())
                .collect();
            if !full.is_empty() {
                names.insert(full.join(" "));
            }
            names.extend(
                person
                    .display_names
                    .iter()
                    .filter(|n| !n.trim().is_empty())
                    .cloned(),
            );
        }
    }
    names.into_iter().collect()
}

/// The gate's answer on whether `actor` may view a case with this access, for leaving out of a list the
/// subjects they may not open.
fn may_open(actor: &Actor, access: &CaseAccess) -> bool {
    decide(actor, Action::ViewCase, Some(access)).is_ok()
}

impl App {
    /// Other subjects of the subject's force that may be the same person: their reported people share an
    /// identifier with this subject's that did not link them. Best first (by [`PossibleMatch::score`]),
    /// [`MATCHES_PER_PAGE`] to a page (`page` from 1). A merged-away subject has none, and someone who reads
    /// the subject through a share (outside its force) is shown none.
    pub async fn possible_matches(
        &self,
        actor: &Actor,
        subject: SubjectId,
        why: Why,
        page: usize,
    ) -> Result<PossibleMatches> {
        let tx = self.db().begin_read().await?;
        let viewing = Why {
            detail: Some("possible matches".to_owned()),
            ..why
        };
        let mut tx = self
            .authorise_case(tx, actor, Action::ViewCase, subject, viewing)
            .await?;
        let row = tx.subject(subject).await?;
        tx.commit().await?;
        let row =
            row.ok_or_else(|| AppError::NotFound(format!("There is no subject {subject}.")))?;
        let page = page.max(1);
        // Someone outside the owning force reads the case through a share: its force's other subjects are
        // not theirs to list (and an organisation that is not a force may list none).
        let outsider = !matches!(actor, Actor::Operator { .. }) && actor.org() != row.owner_org;
        if row.status == SubjectStatus::Merged || outsider {
            return Ok(PossibleMatches {
                subject,
                matches: Vec::new(),
                total: 0,
                page,
                pages: 1,
                incomplete: false,
            });
        }
        // The other subjects are a list: the gate confines it to the person's own force.
        let tx = self.db().begin_read().await?;
        let listing = Why {
            detail: Some(format!("possible matches of subject {subject}")),
            ..Why::default()
        };
        let target = format!("subject:{subject}");
        let mut tx = self
            .authorise(tx, actor, Action::ViewCase, &target, listing)
            .await?;
        let read = self.read_matches(&mut tx, actor, subject).await;
        tx.commit().await?;
        let (mut matches, incomplete) = read?;
        matches.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.subject.cmp(&b.subject)));
        let total = matches.len();
        let pages = total.div_ceil(MATCHES_PER_PAGE).max(1);
        let page = page.min(pages);
        let matches = matches
            .into_iter()
            .skip((page - 1) * MATCHES_PER_PAGE)
            .take(MATCHES_PER_PAGE)
            .collect();
        Ok(PossibleMatches {
            subject,
            matches,
            total,
            page,
            pages,
            incomplete,
        })
    }

    /// The matches of `subject` in a list's scope, unordered, and whether the read stopped at its limit.
    async fn read_matches(
        &self,
        tx: &mut Scoped,
        actor: &Actor,
        subject: SubjectId,
    ) -> Result<(Vec<PossibleMatch>, bool)> {
        let pairs = tx
            .identifiers_shared_with_others(subject, MATCH_PAIRS_READ)
            .await?;
        let incomplete = pairs.len() as i64 >= MATCH_PAIRS_READ;
        let mut by_subject: BTreeMap<SubjectId, Vec<(SharedIdentifier, NotLinked)>> =
            BTreeMap::new();
        for pair in pairs {
            if let Some(why) = NotLinked::of(
                &self.policy,
                pair.kind,
                &pair.value,
                pair.placeholder,
                pair.common,
            ) {
                by_subject.entry(pair.other).or_default().push((pair, why));
            }
        }
        let ids: Vec<SubjectId> = by_subject.keys().copied().collect();
        let rows: BTreeMap<SubjectId, SubjectRow> = tx
            .subjects(&ids)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        let mut matches = Vec::new();
        for (other, shared) in by_subject {
            let Some(row) = rows.get(&other) else {
                continue;
            };
            let Some(access) = Tx::case_access(tx, other).await? else {
                continue;
            };
            // A restricted subject the person may not open is not there for them at all.
            if !may_open(actor, &access) {
                continue;
            }
            let restricted = access.restricted_to.is_some();
            let case = tx.case_of_subject(other).await?;
            let score = shared
                .iter()
                .map(|(s, why)| why.score(s.kind, &s.value))
                .sum();
            matches.push(PossibleMatch {
                subject: other,
                band: row.band.as_str().to_owned(),
                band_label: row.band.label().to_owned(),
                status: status_words(row, case.as_ref()),
                case: case.as_ref().map(|c| c.id),
                restricted,
                shared: if restricted {
                    Vec::new()
                } else {
                    shared
                        .into_iter()
                        .map(|(s, why)| SharedView {
                            kind: s.kind,
                            kind_label: s.kind.label().to_owned(),
                            service: s.service,
                            value: s.value,
                            not_linked: why,
                            not_linked_words: why.words().to_owned(),
                        })
                        .collect()
                },
                score,
            });
        }
        Ok((matches, incomplete))
    }

    /// Two subjects side by side: referrals, names, identifiers by kind with those they share marked, bands,
    /// where each stands; and whether `other` may be merged into `subject`. Both are authorised as views of
    /// their cases in one transaction: a refusal of either refuses the comparison, and is logged.
    pub async fn compare_subjects(
        &self,
        actor: &Actor,
        subject: SubjectId,
        other: SubjectId,
        why: Why,
    ) -> Result<Comparison> {
        let target = format!("subject:{other}");
        let comparing = Why {
            detail: Some(format!("compared with subject {subject}")),
            ..why.clone()
        };
        if subject == other {
            return self
                .logging_refusal(
                    actor,
                    Action::ViewCase,
                    &target,
                    comparing,
                    Err(AppError::Invalid(
                        "That is this subject: choose another subject to compare it with.".into(),
                    )),
                )
                .await;
        }
        let tx = self.db().begin_read().await?;
        let tx = self
            .authorise_case(
                tx,
                actor,
                Action::ViewCase,
                subject,
                Why {
                    detail: Some(format!("compared with subject {other}")),
                    ..why
                },
            )
            .await?;
        let mut tx = self
            .authorise_case_also(tx, actor, Action::ViewCase, other, comparing)
            .await?;
        let read = self.read_comparison(&mut tx, actor, subject, other).await;
        tx.commit().await?;
        read
    }

    async fn read_comparison(
        &self,
        tx: &mut Scoped,
        actor: &Actor,
        subject: SubjectId,
        other: SubjectId,
    ) -> Result<Comparison> {
        let rows: BTreeMap<SubjectId, SubjectRow> = tx
            .subjects(&[subject, other])
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        let (Some(kept), Some(moved)) = (rows.get(&subject), rows.get(&other)) else {
            return Err(AppError::NotFound("There is no such subject.".into()));
        };
        let kept_case = tx.case_of_subject(subject).await?;
        let moved_case = tx.case_of_subject(other).await?;
        let referrals = tx.referrals_of_subjects(&[subject, other]).await?;
        let identifiers = tx.identifiers_of_subjects(&[subject, other]).await?;
        let mut may = true;
        for id in [subject, other] {
            let access = Tx::case_access(tx, id).await?.unwrap_or_default();
            may &= decide(actor, Action::MergeSplit, Some(&access)).is_ok();
        }
        // Each side's reported identifiers: kind → (service, value) → common.
        type Keyed = BTreeMap<IdentifierKind, BTreeMap<(Option<String>, String), bool>>;
        let mut keyed: BTreeMap<SubjectId, Keyed> = BTreeMap::new();
        for (owner, i) in identifiers
            .into_iter()
            .filter(|(_, i)| i.role == "reported")
        {
            keyed
                .entry(owner)
                .or_default()
                .entry(i.kind)
                .or_default()
                .insert((i.service, i.value), i.placeholder);
        }
        let empty = Keyed::new();
        let kept_ids = keyed.get(&subject).unwrap_or(&empty);
        let moved_ids = keyed.get(&other).unwrap_or(&empty);
        let carries = |ids: &Keyed, kind: &IdentifierKind, key: &(Option<String>, String)| {
            ids.get(kind).is_some_and(|values| values.contains_key(key))
        };
        let groups = |mine: &Keyed, theirs: &Keyed| -> Vec<IdentifierGroup> {
            mine.iter()
                .map(|(kind, values)| IdentifierGroup {
                    kind: *kind,
                    kind_label: capitalised(kind.label()),
                    items: values
                        .iter()
                        .map(|(key, common)| ComparedIdentifier {
                            service: key.0.clone(),
                            value: key.1.clone(),
                            shared: carries(theirs, kind, key),
                            common: *common,
                        })
                        .collect(),
                })
                .collect()
        };
        let shared = kept_ids
            .iter()
            .map(|(kind, values)| {
                values
                    .keys()
                    .filter(|key| carries(moved_ids, kind, key))
                    .count()
            })
            .sum();
        let side = |row: &SubjectRow, case: Option<&CaseRow>, identifiers: Vec<IdentifierGroup>| {
            let mine: Vec<_> = referrals
                .iter()
                .filter(|r| r.subject_id == row.id)
                .collect();
            let sources: BTreeSet<String> = mine.iter().map(|r| source_words(&r.source)).collect();
            SubjectSide {
                subject: row.id,
                band: row.band.as_str().to_owned(),
                band_label: row.band.label().to_owned(),
                status: status_words(row, case),
                case: case.map(|c| c.id),
                referral_count: mine.len(),
                first_received: mine.iter().map(|r| r.received_at).min().map(instant),
                last_received: mine.iter().map(|r| r.received_at).max().map(instant),
                sources: sources.into_iter().collect(),
                referrals: mine.iter().map(|r| r.source_ref.clone()).collect(),
                names: names_in(mine.iter().filter_map(|r| r.document.json().ok())),
                identifiers,
            }
        };
        let blocked = merge_blocked(kept, kept_case.as_ref(), moved, moved_case.as_ref());
        let the_other_way = blocked.is_some()
            && merge_blocked(moved, moved_case.as_ref(), kept, kept_case.as_ref()).is_none();
        Ok(Comparison {
            subject: side(kept, kept_case.as_ref(), groups(kept_ids, moved_ids)),
            other: side(moved, moved_case.as_ref(), groups(moved_ids, kept_ids)),
            shared,
            may_merge: may && blocked.is_none(),
            cannot_merge: blocked.filter(|_| may),
            merge_the_other_way: may && the_other_way,
        })
    }

    /// Merges `other` into `subject` after the person compared them: as [`App::merge_subjects`], but refused
    /// (and the refusal logged) unless they confirmed that they compared them and they are the same person.
    pub async fn merge_compared(
        &self,
        subject: SubjectId,
        other: SubjectId,
        rationale: &str,
        confirmed: bool,
        actor: &Actor,
    ) -> Result<MergeResult> {
        let (_, referrals_moved) = self
            .merge_checked(subject, other, rationale, confirmed, actor)
            .await?;
        Ok(MergeResult {
            subject,
            merged: other,
            referrals_moved,
        })
    }
}

/// The refusal of a merge asked for without the confirmation.
pub const CONFIRMATION_NEEDED: &str =
    "Tick \"I have compared them and they are the same person\" to merge them.";
