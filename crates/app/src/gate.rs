//! The authorisation choke point. Every use case that touches personal data starts here: the policy
//! (`severn_domain::access::decide`) says yes or no, the audit log records the attempt in the request's own
//! transaction, and only an allowed attempt yields the [`Scope`] that storage reads need.
//!
//! A case that does not exist and a case the person may not see get the same answer ([`unseen`]), and both
//! leave an entry: a probe learns nothing, not even that a case is restricted. Refusals that come after the
//! gate (a name that is not there, a merge that cannot be done) roll back the gate's entry with the rest of
//! the transaction, so [`App::logging_refusal`] logs them in one of their own.

use crate::{App, AppError, Result, check_text};
use severn_domain::access::{Action, Actor, CaseAccess, Denial, decide};
use severn_domain::ids::SubjectId;
use severn_domain::text::FreeText;
use severn_store::{AuditRecord, PageTx, Reach, Scope, Tx};

/// What the person said about why (and, for disclosures, to whom).
#[derive(Debug, Clone, Default)]
pub struct Why {
    /// Asked for when opening a restricted case and for every export or share.
    pub justification: Option<String>,
    /// Who receives disclosed data.
    pub recipients: Option<String>,
    /// Anything else worth keeping with the entry (a search term's kind, counts).
    pub detail: Option<String>,
}

impl Why {
    pub fn because(justification: impl Into<String>) -> Why {
        Why {
            justification: Some(justification.into()).filter(|j: &String| !j.trim().is_empty()),
            ..Why::default()
        }
    }

    /// Refuses a justification or recipients past their limits before anything reaches the log.
    fn check(&self) -> Result<()> {
        if let Some(justification) = &self.justification {
            check_text(FreeText::Justification, justification)?;
        }
        if let Some(recipients) = &self.recipients {
            check_text(FreeText::Recipients, recipients)?;
        }
        Ok(())
    }
}

/// The case an action is on, when it is on one.
#[derive(Debug, Clone, Copy)]
pub struct OnCase<'a> {
    pub subject: SubjectId,
    pub access: &'a CaseAccess,
    /// What the person asked for, as they named it (`subject 12`, `referral ncmec:1001`): the words of the
    /// one answer they get when it is not there or not theirs to see.
    pub asked_for: &'a str,
}

/// The one answer to a case that does not exist and to a case the person may not see (another force's,
/// restricted to others, or not shared with someone outside the force): the same status and words, so
/// neither existence nor restriction shows. The log keeps the true reason.
pub fn unseen(asked_for: &str) -> AppError {
    AppError::NotFound(format!("There is no {asked_for}."))
}

/// What a refusal on a case tells the person: a role that does not allow the action whatever the case says
/// so (that does not depend on the case); any other reason looks like a case that is not there.
fn refusal(denial: Denial, case: Option<OnCase<'_>>) -> AppError {
    match (denial, case) {
        (Denial::Role, _) | (_, None) => AppError::Denied(denial),
        (_, Some(case)) => unseen(case.asked_for),
    }
}

/// The outcome a use case's refusal is logged under (`denied:REASON`); `None` for failures that are not
/// refusals (storage, the risk tool), which fail the request instead.
fn refusal_reason(error: &AppError) -> Option<&'static str> {
    match error {
        AppError::Denied(denial) => Some(denial.as_str()),
        AppError::NotFound(_) => Some("not_found"),
        AppError::Invalid(_) => Some("invalid"),
        AppError::JustificationRequired(_) => Some("justification_required"),
        AppError::Store(_) | AppError::Tool(_) | AppError::Output(_) => None,
    }
}

/// The policy's answer, with the entry that records it.
struct Judgement {
    record: AuditRecord,
    verdict: std::result::Result<Reach, Denial>,
}

impl App {
    /// Asks for a justification where one is needed, asks the policy, and drafts the audit entry.
    fn judge(
        &self,
        actor: &Actor,
        action: Action,
        target: &str,
        case: Option<OnCase<'_>>,
        why: Why,
    ) -> Result<Judgement> {
        why.check()?;
        let verdict =
            decide(actor, action, case.map(|c| c.access)).map(|()| reach(actor, action, case));
        // Only someone the policy lets in is asked why: asking anyone else would tell them the case is there
        // and restricted.
        let needs_justification = matches!(action, Action::Export | Action::Share)
            || case.is_some_and(|c| c.access.restricted_to.is_some());
        if verdict.is_ok() && needs_justification && why.justification.is_none() {
            return Err(AppError::JustificationRequired(match action {
                Action::Export | Action::Share => {
                    "Say why this data is being disclosed, and to whom.".to_owned()
                }
                _ => "This case is restricted: say why you need to open it.".to_owned(),
            }));
        }
        let record = self.record(actor, action, target, why);
        Ok(Judgement { record, verdict })
    }

    /// The entry and the answer for a case that does not exist. A role that may not take the action at all
    /// is told so, as it would be on any case; everyone else gets the answer a case they may not see gets.
    pub(crate) fn judge_missing(
        &self,
        actor: &Actor,
        action: Action,
        target: &str,
        asked_for: &str,
        why: Why,
    ) -> (AuditRecord, &'static str, AppError) {
        let record = self.record(actor, action, target, why);
        match decide(actor, action, Some(&CaseAccess::default())) {
            Err(Denial::Role) => (
                record,
                Denial::Role.as_str(),
                AppError::Denied(Denial::Role),
            ),
            _ => (record, "not_found", unseen(asked_for)),
        }
    }

    pub(crate) fn record(
        &self,
        actor: &Actor,
        action: Action,
        target: &str,
        why: Why,
    ) -> AuditRecord {
        AuditRecord {
            at: self.now(),
            actor: actor.audit_name(),
            org: actor.org(),
            processing: action.processing().as_str().to_owned(),
            action: action.as_str().to_owned(),
            target: target.to_owned(),
            justification: why.justification,
            recipients: why.recipients,
            detail: why.detail,
        }
    }

    /// Logs and commits a refusal that depends on more than the policy sees (another organisation's
    /// account, say), as the gate logs its own.
    pub(crate) async fn refuse(
        &self,
        mut tx: Tx,
        actor: &Actor,
        action: Action,
        target: &str,
        why: Why,
        denial: Denial,
    ) -> Result<()> {
        why.check()?;
        let record = self.record(actor, action, target, why);
        tx.audit_denied(&self.audit_key, &record, denial.as_str())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Decides, logs and either hands back the transaction with a scope or — after committing the record
    /// of the refusal — an error saying why.
    pub async fn authorise(
        &self,
        mut tx: Tx,
        actor: &Actor,
        action: Action,
        target: &str,
        case: Option<OnCase<'_>>,
        why: Why,
    ) -> Result<(Tx, Scope)> {
        let Judgement { record, verdict } = self.judge(actor, action, target, case, why)?;
        match verdict {
            Ok(reach) => {
                let scope = tx.audit_allowed(&self.audit_key, &record, reach).await?;
                Ok((tx, scope))
            }
            Err(denial) => {
                tx.audit_denied(&self.audit_key, &record, denial.as_str())
                    .await?;
                tx.commit().await?;
                Err(refusal(denial, case))
            }
        }
    }

    /// [`App::authorise`] for a page's read.
    pub async fn authorise_page(
        &self,
        mut tx: PageTx,
        actor: &Actor,
        action: Action,
        target: &str,
        case: Option<OnCase<'_>>,
        why: Why,
    ) -> Result<(PageTx, Scope)> {
        let Judgement { record, verdict } = self.judge(actor, action, target, case, why)?;
        match verdict {
            Ok(reach) => {
                let scope = tx.audit_allowed(&self.audit_key, &record, reach).await?;
                Ok((tx, scope))
            }
            Err(denial) => {
                tx.audit_denied(&self.audit_key, &record, denial.as_str())
                    .await?;
                tx.commit().await?;
                Err(refusal(denial, case))
            }
        }
    }

    /// Logs and commits the probe of a referral or case that does not exist, on a page's read. Gives back the
    /// error to answer with: the one a case the person may not see gets, or the failure to log the probe.
    pub async fn refuse_missing_page(
        &self,
        mut tx: PageTx,
        actor: &Actor,
        action: Action,
        target: &str,
        asked_for: &str,
        why: Why,
    ) -> AppError {
        let (record, reason, error) = self.judge_missing(actor, action, target, asked_for, why);
        let logged = async {
            tx.audit_denied(&self.audit_key, &record, reason).await?;
            tx.commit().await
        };
        match logged.await {
            Ok(()) => error,
            Err(failure) => failure.into(),
        }
    }

    /// Passes on what the part of a use case after the gate came to. Its transaction is gone by now: when it
    /// refused, the gate's entry went with the rollback, so the refusal is logged and committed in a
    /// transaction of its own (with why in the entry's detail). Failures that are not refusals pass as they are.
    pub(crate) async fn logging_refusal<T>(
        &self,
        actor: &Actor,
        action: Action,
        target: &str,
        why: Why,
        outcome: Result<T>,
    ) -> Result<T> {
        let error = match outcome {
            Ok(done) => return Ok(done),
            Err(error) => error,
        };
        let Some(reason) = refusal_reason(&error) else {
            return Err(error);
        };
        let detail = match &why.detail {
            Some(detail) => format!("{detail}; refused: {error}"),
            None => format!("refused: {error}"),
        };
        let record = self.record(
            actor,
            action,
            target,
            Why {
                detail: Some(detail),
                ..why
            },
        );
        let mut tx = self.db.begin().await?;
        tx.audit_denied(&self.audit_key, &record, reason).await?;
        tx.commit().await?;
        Err(error)
    }

    /// Authorises an action on one subject, reading who may see it first.
    pub async fn authorise_case(
        &self,
        tx: Tx,
        actor: &Actor,
        action: Action,
        subject: SubjectId,
        why: Why,
    ) -> Result<(Tx, Scope)> {
        let (tx, scope, _) = self
            .authorise_on_case(tx, actor, action, subject, why)
            .await?;
        Ok((tx, scope))
    }

    /// [`App::authorise_case`], handing back who may see the case too. A subject that does not exist is
    /// refused, logged as `denied:not_found`, with the answer a case the person may not see gets.
    pub(crate) async fn authorise_on_case(
        &self,
        mut tx: Tx,
        actor: &Actor,
        action: Action,
        subject: SubjectId,
        why: Why,
    ) -> Result<(Tx, Scope, CaseAccess)> {
        let target = format!("subject:{subject}");
        let asked_for = format!("subject {subject}");
        let Some(access) = tx.case_access(subject).await? else {
            let (record, reason, error) =
                self.judge_missing(actor, action, &target, &asked_for, why);
            tx.audit_denied(&self.audit_key, &record, reason).await?;
            tx.commit().await?;
            return Err(error);
        };
        let case = OnCase {
            subject,
            access: &access,
            asked_for: &asked_for,
        };
        let (tx, scope) = self
            .authorise(tx, actor, action, &target, Some(case), why)
            .await?;
        Ok((tx, scope, access))
    }
}

fn reach(actor: &Actor, action: Action, case: Option<OnCase<'_>>) -> Reach {
    if action == Action::ReadAudit {
        return Reach::AuditLog(actor.org());
    }
    if !action.touches_personal_data() {
        return Reach::NoPersonalData;
    }
    if let Some(case) = case {
        return Reach::Case(case.subject);
    }
    match actor {
        Actor::Operator { .. } => Reach::Everything,
        Actor::Staff { org, .. } | Actor::Service { org, .. } => Reach::Force(*org),
    }
}
