//! Risk assessment of subjects: an assessor's answers, a supervisor's override, and rescoring under a new
//! tool version. Every assessment is a new row: history is never overwritten.

use crate::gate::Why;
use crate::subjects::{open_subject, settle_from_referrals};
use crate::views::SubjectSummary;
use crate::{App, AppError, Result, active_tool_in, check_text};
use severn_domain::access::{Action, Actor, Denial, decide};
use severn_domain::ids::SubjectId;
use severn_domain::risk::{Answers, Band, Outcome, RiskTool, Signals, validate_override};
use severn_domain::subject::SubjectStatus;
use severn_domain::text::FreeText;
use severn_store::{
    AssessmentRow, Packed, ReferralRow, RiskToolRow, Scoped, SignOffRow, SubjectRow,
};

/// Plain-English reason for a subject's band that comes from an assessment.
pub(crate) fn assessment_reason(a: &AssessmentRow) -> String {
    match (&a.override_band, &a.override_rationale) {
        (Some(band), Some(rationale)) => format!(
            "{} set by supervisor override ({}): {rationale}",
            band.label(),
            a.override_by.as_deref().unwrap_or("unknown")
        ),
        _ => {
            let reasons = serde_json::from_str::<Outcome>(&a.outcome)
                .map(|o| o.reasons.join(" "))
                .unwrap_or_default();
            format!(
                "{} from assessment by {} with {} {}: {reasons}",
                a.band.label(),
                a.assessor,
                a.tool_id,
                a.tool_version
            )
        }
    }
}

/// The signals of all a subject's referrals together.
pub(crate) fn subject_signals(referrals: &[ReferralRow]) -> Signals {
    let mut signals = Signals::default();
    for r in referrals {
        if let Ok(s) = serde_json::from_str::<Signals>(&r.signals) {
            signals.merge(&s);
        }
    }
    signals
}

/// A new assessment by `assessor` under `tool`: no override, no predecessor.
fn fresh_assessment(
    subject: SubjectId,
    tool: &RiskTool,
    answers: &Answers,
    outcome: &Outcome,
    assessor: &str,
    now: i64,
) -> AssessmentRow {
    AssessmentRow {
        id: 0,
        subject_id: subject,
        tool_id: tool.id().to_owned(),
        tool_version: tool.version().to_owned(),
        answers: serde_json::to_string(answers).expect("answers serialise"),
        outcome: serde_json::to_string(outcome).expect("outcome serialises"),
        band: outcome.band,
        assessor: assessor.to_owned(),
        assessed_at: now,
        override_band: None,
        override_rationale: None,
        override_by: None,
        rescored_from: None,
    }
}

async fn record(
    tx: &mut Scoped,
    tool: &RiskTool,
    subject: &mut SubjectRow,
    mut row: AssessmentRow,
) -> Result<AssessmentRow> {
    row.id = tx.alloc_ids("assessment", 1).await?;
    tx.insert_assessment(&row).await?;
    subject.assessment_id = Some(row.id);
    let referrals = tx.referrals_of_subjects(&[subject.id]).await?;
    settle_from_referrals(tx, tool, subject, &referrals).await?;
    tx.update_subject(subject).await?;
    Ok(row)
}

impl App {
    /// Assesses a subject with the active tool from the assessor's answers and its referrals' signals.
    pub async fn assess(
        &self,
        subject: SubjectId,
        answers: Answers,
        actor: &Actor,
    ) -> Result<AssessmentRow> {
        self.assess_because(subject, answers, actor, Why::default())
            .await
    }

    /// [`App::assess`] with the assessor's reason, which a restricted case asks of the people named in it.
    pub async fn assess_because(
        &self,
        subject: SubjectId,
        answers: Answers,
        actor: &Actor,
        why: Why,
    ) -> Result<AssessmentRow> {
        let now = self.now();
        let tx = self.db().begin().await?;
        let mut tx = self
            .authorise_case(tx, actor, Action::Assess, subject, why)
            .await?;
        let assessor = actor.audit_name();
        let assessor = assessor.as_str();
        let tool = active_tool_in(&mut tx, now).await?;
        let mut row = open_subject(&mut tx, subject).await?;
        let referrals = tx.referrals_of_subjects(&[subject]).await?;
        let outcome = tool
            .assess(&subject_signals(&referrals), &answers)
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        let assessment = fresh_assessment(subject, &tool, &answers, &outcome, assessor, now);
        let saved = record(&mut tx, &tool, &mut row, assessment).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// What the assessment page needs when it opens: the subject and the signals of its referrals, which the
    /// page's live preview combines with the answers (see [`App::preview_disclosed`]). One case view, logged
    /// as one. Someone whose role may not assess this case is refused here, logged as a refused assessment,
    /// rather than shown a form they could not save.
    pub async fn assessment_form(
        &self,
        actor: &Actor,
        subject: SubjectId,
        why: Why,
    ) -> Result<AssessmentForm> {
        let mut tx = self.db().begin().await?;
        // Someone who may assess the case opens it as a case view; anyone else is refused as an assessment.
        let action = match tx.case_access(subject).await? {
            Some(access) if decide(actor, Action::Assess, Some(&access)).is_ok() => {
                Action::ViewCase
            }
            _ => Action::Assess,
        };
        let why = Why {
            detail: Some("assessment form".to_owned()),
            ..why
        };
        let mut tx = self.authorise_case(tx, actor, action, subject, why).await?;
        let row = tx
            .subject(subject)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no subject {subject}")))?;
        let referrals = tx.referrals_of_subjects(&[subject]).await?;
        tx.commit().await?;
        let members = referrals.iter().map(|r| r.source_ref.clone()).collect();
        Ok(AssessmentForm {
            subject: self.summarise(&row, members),
            signals: subject_signals(&referrals),
        })
    }

    /// What the active tool would make of `answers` together with `signals` the person was already shown
    /// (by [`App::assessment_form`], whose opening was logged). Reads no personal data, so it writes no
    /// entry: one assessment, however many redraws, is one case view. Nothing is saved.
    pub async fn preview_disclosed(&self, signals: &Signals, answers: &Answers) -> Result<Outcome> {
        let tool = self.active_tool().await?;
        tool.assess(signals, answers)
            .map_err(|e| AppError::Invalid(e.to_string()))
    }

    /// What the active tool would make of these answers, without saving anything: the band, the points and
    /// what each signal and answer contributed. Reading the subject's signals is a case view, logged as one,
    /// with the reason a restricted case asks of the people named in it.
    pub async fn preview_assessment(
        &self,
        subject: SubjectId,
        answers: &Answers,
        actor: &Actor,
        why: Why,
    ) -> Result<AssessmentPreview> {
        let now = self.now();
        let tx = self.db().begin().await?;
        let why = Why {
            detail: Some("assessment preview".to_owned()),
            ..why
        };
        let mut tx = self
            .authorise_case(tx, actor, Action::ViewCase, subject, why)
            .await?;
        let tool = active_tool_in(&mut tx, now).await?;
        let current = tx
            .subject(subject)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no subject {subject}")))?;
        let referrals = tx.referrals_of_subjects(&[subject]).await?;
        tx.commit().await?;
        let outcome = tool
            .assess(&subject_signals(&referrals), answers)
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        Ok(AssessmentPreview {
            band_now: Some(current.band),
            outcome,
        })
    }

    /// A supervisor sets a subject's band, with a rationale. Recorded as a new assessment that carries the
    /// current answers (or the provisional outcome when there is no assessment yet).
    pub async fn override_band(
        &self,
        subject: SubjectId,
        band: Band,
        rationale: &str,
        actor: &Actor,
    ) -> Result<AssessmentRow> {
        check_text(FreeText::Rationale, rationale)?;
        let decision =
            validate_override(band, rationale).map_err(|e| AppError::Invalid(e.to_string()))?;
        let now = self.now();
        let tx = self.db().begin().await?;
        let why = Why {
            detail: Some(format!("band set to {}", band.as_str())),
            ..Why::because(rationale)
        };
        let mut tx = self
            .authorise_case(tx, actor, Action::Override, subject, why)
            .await?;
        let supervisor = actor.audit_name();
        let supervisor = supervisor.as_str();
        let tool = active_tool_in(&mut tx, now).await?;
        let mut row = open_subject(&mut tx, subject).await?;
        if row.status == SubjectStatus::InCase {
            // The case's timeline holds its band from here on, so the clock restarts from a change there.
            let case = tx.case_of_subject(subject).await?.map(|c| c.id);
            return Err(AppError::Invalid(format!(
                "Subject {subject} is investigated in case {}: change the band on the case, where the clock \
                 restarts from the change.",
                case.map(|c| c.to_string()).unwrap_or_default()
            )));
        }
        let base = match row.assessment_id {
            Some(id) => tx.assessment(id).await?,
            None => None,
        };
        let assessment = match base {
            Some(previous) => AssessmentRow {
                assessor: previous.assessor.clone(),
                rescored_from: Some(previous.id),
                ..previous
            },
            None => {
                let referrals = tx.referrals_of_subjects(&[subject]).await?;
                let outcome = tool.provisional(&subject_signals(&referrals));
                fresh_assessment(subject, &tool, &Answers::new(), &outcome, supervisor, now)
            }
        };
        let assessment = AssessmentRow {
            assessed_at: now,
            override_band: Some(decision.band),
            override_rationale: Some(decision.rationale),
            override_by: Some(supervisor.to_owned()),
            ..assessment
        };
        let saved = record(&mut tx, &tool, &mut row, assessment).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// A supervisor signs off the assessment in force on a subject as reviewed, with an optional comment. The
    /// person who made the assessment (or its override) cannot sign it off: review is a second pair of eyes.
    /// A supervisor who disagrees overrides the band instead.
    pub async fn sign_off_assessment(
        &self,
        subject: SubjectId,
        comment: &str,
        actor: &Actor,
    ) -> Result<i64> {
        let comment = comment.trim();
        check_text(FreeText::Rationale, comment)?;
        let now = self.now();
        let tx = self.db().begin().await?;
        let why = Why {
            detail: Some("assessment signed off".into()),
            ..Why::default()
        };
        let mut tx = self
            .authorise_case(tx, actor, Action::Override, subject, why)
            .await?;
        let row = open_subject(&mut tx, subject).await?;
        let assessment = match row.assessment_id {
            Some(id) => tx.assessment(id).await?,
            None => None,
        }
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "Subject {subject} has no assessment to sign off: its band is the provisional one from the \
                 referrals. Assess it with the risk tool first, or override the band."
            ))
        })?;
        let me = actor.audit_name();
        let made_it = match &assessment.override_by {
            Some(by) => by == &me,
            None => assessment.assessor == me,
        };
        if made_it {
            return Err(AppError::Invalid(format!(
                "You made assessment {} yourself: another supervisor signs it off.",
                assessment.id
            )));
        }
        let signed = tx
            .sign_off_assessment(&SignOffRow {
                assessment_id: assessment.id,
                signed_by: me,
                signed_at: now,
                comment: comment.to_owned(),
            })
            .await?;
        if !signed {
            return Err(AppError::Invalid(format!(
                "Assessment {} is already signed off.",
                assessment.id
            )));
        }
        tx.commit().await?;
        Ok(assessment.id)
    }

    /// Stores a tool version (validated strictly) and makes it the active one: referrals taken in from now on
    /// are banded by it, and `rescore` re-bands what is there. Operators only (see `Action::InstallRiskTool`).
    pub async fn install_tool(&self, actor: &Actor, source: &str) -> Result<RiskTool> {
        let tool = RiskTool::from_toml(source).map_err(|e| AppError::Tool(e.to_string()))?;
        let tx = self.db().begin().await?;
        let target = format!("risk_tool:{} {}", tool.id(), tool.version());
        let mut tx = self
            .authorise(tx, actor, Action::InstallRiskTool, &target, Why::default())
            .await?;
        tx.save_risk_tool(&RiskToolRow {
            tool_id: tool.id().to_owned(),
            version: tool.version().to_owned(),
            source: source.to_owned(),
            loaded_at: self.now(),
            active: true,
        })
        .await?;
        tx.commit().await?;
        Ok(tool)
    }

    /// Re-assesses every open assessed subject, and every referral's provisional band, under the active tool.
    /// Earlier assessments stay; each new one points at the one it replaces. Answers to questions the new
    /// version no longer asks are left out and the rest kept; a supervisor's override is carried forward.
    /// Operators only: it touches every force's cases at once.
    pub async fn rescore(&self, actor: &Actor) -> Result<RescoreSummary> {
        if !matches!(actor, Actor::Operator { .. }) {
            return Err(AppError::Denied(Denial::Role));
        }
        let tx = self.db().begin().await?;
        let tx = self
            .authorise(
                tx,
                actor,
                Action::Override,
                "subjects:all",
                Why::because("rescore under the active risk tool"),
            )
            .await?;
        let grant = tx.scope().clone();
        tx.commit().await?;
        let now = self.now();
        let mut summary = RescoreSummary::default();
        let mut after = 0;
        loop {
            let mut tx = self.gate.begin_under(&grant).await?;
            let tool = active_tool_in(&mut tx, now).await?;
            let batch = tx.referrals_after(after, 2000).await?;
            let Some(last) = batch.last() else {
                tx.commit().await?;
                break;
            };
            after = last.id.0;
            let mut touched = std::collections::BTreeSet::new();
            for mut referral in batch {
                let Ok(signals) = serde_json::from_str::<Signals>(&referral.signals) else {
                    continue;
                };
                let outcome = tool.provisional(&signals);
                if outcome.band != referral.band {
                    summary.referral_bands_changed += 1;
                    touched.insert(referral.subject_id);
                }
                referral.band = outcome.band;
                referral.outcome =
                    Packed::pack(&serde_json::to_string(&outcome).expect("outcome serialises"));
                tx.update_referral_risk(&referral).await?;
                summary.referrals += 1;
            }
            for subject in touched {
                let mut row = match tx.subject(subject).await? {
                    Some(row) if row.status == SubjectStatus::Open => row,
                    _ => continue,
                };
                let referrals = tx.referrals_of_subjects(&[subject]).await?;
                settle_from_referrals(&mut tx, &tool, &mut row, &referrals).await?;
                tx.update_subject(&row).await?;
            }
            tx.commit().await?;
        }

        let mut tx = self.gate.begin_under(&grant).await?;
        let tool = active_tool_in(&mut tx, now).await?;
        for (subject, assessment_id) in tx.assessed_subjects().await? {
            let Some(previous) = tx.assessment(assessment_id).await? else {
                continue;
            };
            if previous.tool_id == tool.id() && previous.tool_version == tool.version() {
                continue;
            }
            let stored: Answers = serde_json::from_str(&previous.answers).unwrap_or_default();
            let answers: Answers = stored
                .into_iter()
                .filter(|(question, _)| tool.question(question).is_some())
                .collect();
            let mut row = open_subject(&mut tx, subject).await?;
            let referrals = tx.referrals_of_subjects(&[subject]).await?;
            let outcome = tool
                .assess(&subject_signals(&referrals), &answers)
                .map_err(|e| AppError::Invalid(format!("subject {subject}: {e}")))?;
            if outcome.band != previous.band {
                summary.assessment_bands_changed += 1;
            }
            let assessment = AssessmentRow {
                override_band: previous.override_band,
                override_rationale: previous.override_rationale.clone(),
                override_by: previous.override_by.clone(),
                rescored_from: Some(previous.id),
                ..fresh_assessment(subject, &tool, &answers, &outcome, &previous.assessor, now)
            };
            record(&mut tx, &tool, &mut row, assessment).await?;
            summary.assessments += 1;
        }
        tx.commit().await?;
        summary.tool = format!("{} {}", tool.id(), tool.version());
        Ok(summary)
    }

    /// Every assessment of a subject, oldest first.
    pub async fn assessment_history(
        &self,
        actor: &Actor,
        subject: SubjectId,
    ) -> Result<Vec<AssessmentRow>> {
        let tx = self.db().begin_read().await?;
        let mut tx = self
            .authorise_case(tx, actor, Action::ViewCase, subject, Why::default())
            .await?;
        let rows = tx.assessments_of_subject(subject).await?;
        tx.commit().await?;
        Ok(rows)
    }
}

/// The assessment page's data: the subject, and what its referrals already say to the risk tool.
#[derive(Debug, Clone)]
pub struct AssessmentForm {
    pub subject: SubjectSummary,
    /// The signals of all the subject's referrals together, as the tool reads them.
    pub signals: Signals,
}

/// What answers would do to a subject's band, before they are saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessmentPreview {
    /// The subject's band now (`None` when the stored band is not one the tool knows).
    pub band_now: Option<Band>,
    /// The band, points and contributions the answers would give.
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RescoreSummary {
    pub tool: String,
    pub referrals: u64,
    pub referral_bands_changed: u64,
    pub assessments: u64,
    pub assessment_bands_changed: u64,
}
