//! The authorisation choke point. Every use case that touches personal data starts here: the policy
//! (`severn_domain::access::decide`) says yes or no, the audit log records the attempt in the request's own
//! transaction, and only an allowed attempt yields the [`Scope`] that storage reads need.

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
        let needs_justification = matches!(action, Action::Export | Action::Share)
            || case.is_some_and(|c| c.access.restricted_to.is_some());
        if needs_justification && why.justification.is_none() {
            return Err(AppError::JustificationRequired(match action {
                Action::Export | Action::Share => {
                    "Say why this data is being disclosed, and to whom.".to_owned()
                }
                _ => "This case is restricted: say why you need to open it.".to_owned(),
            }));
        }
        let record = self.record(actor, action, target, why);
        let verdict =
            decide(actor, action, case.map(|c| c.access)).map(|()| reach(actor, action, case));
        Ok(Judgement { record, verdict })
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
                Err(AppError::Denied(denial))
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
                Err(AppError::Denied(denial))
            }
        }
    }

    /// Authorises an action on one subject, reading who may see it first.
    pub async fn authorise_case(
        &self,
        mut tx: Tx,
        actor: &Actor,
        action: Action,
        subject: SubjectId,
        why: Why,
    ) -> Result<(Tx, Scope)> {
        let access = tx
            .case_access(subject)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("There is no subject {subject}.")))?;
        let case = OnCase {
            subject,
            access: &access,
        };
        self.authorise(
            tx,
            actor,
            action,
            &format!("subject:{subject}"),
            Some(case),
            why,
        )
        .await
    }
}

fn reach(actor: &Actor, action: Action, case: Option<OnCase<'_>>) -> Reach {
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
