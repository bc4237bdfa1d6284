//! Investigators' decisions on subjects (merge, split) and relinking after a value turns out to be common.

use crate::gate::Why;
use crate::ingest::{band_reason, due_at, fresh_subject};
use crate::{App, AppError, Result, check_text};
use severn_domain::access::{Action, Actor};
use severn_domain::ids::{ReferralId, SubjectId};
use severn_domain::linking::{Evidence, Linker, SubjectKey};
use severn_domain::risk::{Outcome, RiskTool};
use severn_domain::subject::{DecisionKind, SubjectStatus};
use severn_domain::text::FreeText;
use severn_store::Scoped;
use severn_store::{DecisionRow, LinkRow, ReferralRow, SubjectRow};
use std::collections::{BTreeMap, HashMap};

fn require_rationale(rationale: &str) -> Result<()> {
    if rationale.trim().is_empty() {
        return Err(AppError::Invalid(
            "a rationale is required: say why these referrals do or do not concern the same person"
                .into(),
        ));
    }
    check_text(FreeText::Rationale, rationale)
}

/// The subject, if it is open or in a case; otherwise an error saying what became of it.
pub(crate) async fn open_subject(tx: &mut Scoped, id: SubjectId) -> Result<SubjectRow> {
    match tx.subject(id).await? {
        Some(s) => match s.status {
            SubjectStatus::Open | SubjectStatus::InCase => Ok(s),
            SubjectStatus::Merged => Err(AppError::Invalid(format!(
                "subject {id} was merged into subject {}",
                s.merged_into.map(|m| m.to_string()).unwrap_or_default()
            ))),
        },
        None => Err(AppError::NotFound(format!("no subject {id}"))),
    }
}

/// Sets a subject's band, clock start and deadline from its referrals and its current assessment.
pub(crate) async fn settle_from_referrals(
    tx: &mut Scoped,
    tool: &RiskTool,
    subject: &mut SubjectRow,
    referrals: &[ReferralRow],
) -> Result<()> {
    let top = referrals
        .iter()
        .max_by_key(|r| (r.band, std::cmp::Reverse(r.id)));
    if let Some(top) = top {
        subject.provisional_band = top.band;
        subject.clock_start_at = referrals
            .iter()
            .map(|r| r.clock_start_at)
            .min()
            .unwrap_or(subject.clock_start_at);
        let outcome: Option<Outcome> = top.outcome.json().ok();
        subject.band = top.band;
        subject.band_reason = outcome
            .map(|o| band_reason(&top.source_ref, &o))
            .unwrap_or_default();
    }
    if let Some(assessment_id) = subject.assessment_id
        && let Some(a) = tx.assessment(assessment_id).await?
    {
        subject.band = a.override_band.unwrap_or(a.band);
        subject.band_reason = crate::assess::assessment_reason(&a);
    }
    subject.due_at = due_at(subject.clock_start_at, subject.band, tool);
    Ok(())
}

impl App {
    /// Merges subject `other` into `subject` on an investigator's decision. A merge overrides an earlier split
    /// between them and is never undone by automatic relinking. A subject in a case is never merged away
    /// (its case would be left with no referrals); merging another subject into it is done.
    pub async fn merge_subjects(
        &self,
        subject: SubjectId,
        other: SubjectId,
        rationale: &str,
        actor: &Actor,
    ) -> Result<SubjectRow> {
        let (kept, _) = self
            .merge_checked(subject, other, rationale, true, actor)
            .await?;
        Ok(kept)
    }

    /// The merge, refused after the gate unless `confirmed`: the subject kept and how many referrals moved.
    pub(crate) async fn merge_checked(
        &self,
        subject: SubjectId,
        other: SubjectId,
        rationale: &str,
        confirmed: bool,
        actor: &Actor,
    ) -> Result<(SubjectRow, usize)> {
        require_rationale(rationale)?;
        if subject == other {
            return Err(AppError::Invalid(
                "a subject cannot be merged with itself".into(),
            ));
        }
        let now = self.now();
        let tx = self.db().begin().await?;
        let merging = Why {
            detail: Some(format!("merge into subject {subject}")),
            ..Why::because(rationale)
        };
        let tx = self
            .authorise_case(tx, actor, Action::MergeSplit, other, merging.clone())
            .await?;
        let tx = self
            .authorise_case_also(tx, actor, Action::MergeSplit, subject, merging.clone())
            .await?;
        let merged = if confirmed {
            self.merge_after_gate(tx, subject, other, rationale, actor, now)
                .await
        } else {
            // Rolled back (its entry with it) before the refusal is logged in a transaction of its own.
            drop(tx);
            Err(AppError::Invalid(
                crate::matches::CONFIRMATION_NEEDED.into(),
            ))
        };
        self.logging_refusal(
            actor,
            Action::MergeSplit,
            &format!("subject:{other}"),
            merging,
            merged,
        )
        .await
    }

    async fn merge_after_gate(
        &self,
        mut tx: Scoped,
        subject: SubjectId,
        other: SubjectId,
        rationale: &str,
        actor: &Actor,
        now: i64,
    ) -> Result<(SubjectRow, usize)> {
        let tool = crate::active_tool_in(&mut tx, now).await?;
        let mut into = open_subject(&mut tx, subject).await?;
        let from = open_subject(&mut tx, other).await?;
        let into_case = tx.case_of_subject(subject).await?;
        let from_case = tx.case_of_subject(other).await?;
        if let Some(why) =
            crate::matches::merge_blocked(&into, into_case.as_ref(), &from, from_case.as_ref())
        {
            return Err(AppError::Invalid(why));
        }
        let moved: Vec<String> = tx
            .referrals_of_subjects(&[other])
            .await?
            .into_iter()
            .map(|r| r.source_ref)
            .collect();
        let decision_id = tx.alloc_ids("decision", 1).await?;
        tx.insert_decision(&DecisionRow {
            id: decision_id,
            kind: DecisionKind::Merge,
            subject_id: subject,
            other_subject_id: other,
            referrals: serde_json::to_string(&moved).expect("list serialises"),
            rationale: rationale.trim().to_owned(),
            actor: actor.audit_name(),
            decided_at: now,
        })
        .await?;
        tx.remove_separation(subject, other).await?;
        tx.carry_separations(other, subject).await?;
        tx.merge_subject(other, subject).await?;
        if into.assessment_id.is_none() {
            into.assessment_id = from.assessment_id;
        }
        let referrals = tx.referrals_of_subjects(&[subject]).await?;
        settle_from_referrals(&mut tx, &tool, &mut into, &referrals).await?;
        tx.update_subject(&into).await?;
        tx.commit().await?;
        Ok((into, moved.len()))
    }

    /// Moves the named referrals out of `subject` into a new subject, on an investigator's decision. The two
    /// are recorded as different people, so later linking never merges them again.
    pub async fn split_subject(
        &self,
        subject: SubjectId,
        source_refs: &[String],
        rationale: &str,
        actor: &Actor,
    ) -> Result<SubjectRow> {
        require_rationale(rationale)?;
        let now = self.now();
        let tx = self.db().begin().await?;
        let why = Why {
            detail: Some(format!("split off {}", source_refs.join(", "))),
            ..Why::because(rationale)
        };
        let tx = self
            .authorise_case(tx, actor, Action::MergeSplit, subject, why.clone())
            .await?;
        let split = self
            .split_after_gate(tx, subject, source_refs, rationale, actor, now)
            .await;
        self.logging_refusal(
            actor,
            Action::MergeSplit,
            &format!("subject:{subject}"),
            why,
            split,
        )
        .await
    }

    async fn split_after_gate(
        &self,
        mut tx: Scoped,
        subject: SubjectId,
        source_refs: &[String],
        rationale: &str,
        actor: &Actor,
        now: i64,
    ) -> Result<SubjectRow> {
        let tool = crate::active_tool_in(&mut tx, now).await?;
        let mut original = open_subject(&mut tx, subject).await?;
        let referrals = tx.referrals_of_subjects(&[subject]).await?;
        let (moving, staying): (Vec<ReferralRow>, Vec<ReferralRow>) = referrals
            .into_iter()
            .partition(|r| source_refs.iter().any(|s| s == &r.source_ref));
        for wanted in source_refs {
            if !moving.iter().any(|r| &r.source_ref == wanted) {
                return Err(AppError::Invalid(format!(
                    "referral {wanted} is not in subject {subject}"
                )));
            }
        }
        if moving.is_empty() || staying.is_empty() {
            return Err(AppError::Invalid(
                "a split must leave at least one referral on each side".into(),
            ));
        }
        let new_id = SubjectId(tx.alloc_ids("subject", 1).await?);
        let mut split_off = fresh_subject(new_id, now, now, original.owner_org);
        settle_from_referrals(&mut tx, &tool, &mut split_off, &moving).await?;
        tx.insert_subjects(&[split_off.clone()]).await?;
        let moving_ids: Vec<ReferralId> = moving.iter().map(|r| r.id).collect();
        tx.move_referrals(&moving_ids, new_id).await?;
        tx.delete_links_of_referrals(&moving_ids).await?;
        let pointers: Vec<_> = tx
            .identifiers_of_referrals(&moving_ids)
            .await?
            .into_iter()
            .filter(|(_, i, role)| role == "reported" && !i.common && !i.placeholder)
            .map(|(_, i, _)| (i.id, new_id))
            .collect();
        tx.set_identifier_subjects(&pointers).await?;
        tx.add_separation(subject, new_id).await?;
        let decision_id = tx.alloc_ids("decision", 1).await?;
        tx.insert_decision(&DecisionRow {
            id: decision_id,
            kind: DecisionKind::Split,
            subject_id: subject,
            other_subject_id: new_id,
            referrals: serde_json::to_string(source_refs).expect("list serialises"),
            rationale: rationale.trim().to_owned(),
            actor: actor.audit_name(),
            decided_at: now,
        })
        .await?;
        settle_from_referrals(&mut tx, &tool, &mut original, &staying).await?;
        tx.update_subject(&original).await?;
        tx.commit().await?;
        Ok(split_off)
    }
}

/// Links a subject's referrals afresh, leaving out identifiers now known to be common, and splits off the
/// groups that no longer link. Subjects an investigator merged are left as they are.
pub(crate) async fn relink(
    tx: &mut Scoped,
    app: &App,
    tool: &RiskTool,
    subject: SubjectId,
    now: i64,
) -> Result<()> {
    let Some(mut original) = tx.subject(subject).await? else {
        return Ok(());
    };
    if original.status != SubjectStatus::Open {
        return Ok(());
    }
    if tx
        .decisions_of_subject(subject)
        .await?
        .iter()
        .any(|d| d.kind == DecisionKind::Merge)
    {
        return Ok(());
    }
    let referrals = tx.referrals_of_subjects(&[subject]).await?;
    let ids: Vec<ReferralId> = referrals.iter().map(|r| r.id).collect();
    let mut evidence: BTreeMap<ReferralId, Vec<Evidence>> =
        ids.iter().map(|id| (*id, Vec::new())).collect();
    for (referral, identifier, role) in tx.identifiers_of_referrals(&ids).await? {
        if role != "reported" || identifier.common || identifier.placeholder {
            continue;
        }
        evidence.entry(referral).or_default().push(Evidence::new(
            identifier.id,
            identifier.kind,
            &identifier.value,
        ));
    }
    let mut linker = Linker::new(&app.policy, [], []);
    for id in &ids {
        linker.place(&evidence[id]);
    }
    let outcome = linker.finish();
    let mut groups: BTreeMap<SubjectKey, Vec<usize>> = BTreeMap::new();
    for (i, p) in outcome.placements.iter().enumerate() {
        groups.entry(p.subject).or_default().push(i);
    }
    if groups.len() < 2 {
        return Ok(());
    }
    // The largest group keeps the subject (and its assessment); the others become new subjects.
    let keep = *groups
        .iter()
        .max_by_key(|(key, members)| (members.len(), std::cmp::Reverse(**key)))
        .map(|(key, _)| key)
        .expect("at least two groups");
    let first = tx.alloc_ids("subject", groups.len() - 1).await?;
    let mut assigned: HashMap<SubjectKey, SubjectId> = HashMap::new();
    let mut next = first;
    for key in groups.keys() {
        if *key == keep {
            assigned.insert(*key, subject);
        } else {
            assigned.insert(*key, SubjectId(next));
            next += 1;
        }
    }
    tx.delete_links_of_referrals(&ids).await?;
    let mut links = Vec::new();
    for (i, p) in outcome.placements.iter().enumerate() {
        for e in &p.shared {
            links.push(LinkRow {
                referral_id: ids[i],
                identifier_id: e.identifier,
                weight: e.weight,
                linked_at: now,
            });
        }
    }
    for (key, members) in &groups {
        let target = assigned[key];
        let rows: Vec<ReferralRow> = members.iter().map(|i| referrals[*i].clone()).collect();
        if target == subject {
            settle_from_referrals(tx, tool, &mut original, &rows).await?;
            tx.update_subject(&original).await?;
        } else {
            let owner = rows
                .first()
                .and_then(|r| r.owner_org)
                .or(original.owner_org);
            let mut created = fresh_subject(target, now, now, owner);
            settle_from_referrals(tx, tool, &mut created, &rows).await?;
            tx.insert_subjects(&[created]).await?;
            let moving: Vec<ReferralId> = rows.iter().map(|r| r.id).collect();
            tx.move_referrals(&moving, target).await?;
        }
    }
    tx.insert_links(&links).await?;
    let pointers: Vec<_> = outcome
        .identifier_subjects
        .iter()
        .map(|(i, k)| (*i, assigned[k]))
        .collect();
    tx.set_identifier_subjects(&pointers).await?;
    Ok(())
}
