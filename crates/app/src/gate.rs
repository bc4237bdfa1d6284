//! The use cases' side of the authorisation choke point. The gate itself is in the store
//! ([`severn_store::Gate`]): it applies the domain's policy, writes the audit entry in the request's own
//! transaction, and only for an allowed request hands back the scoped handle ([`Scoped`], [`ScopedPage`])
//! that every personal-data read and write is a method of. Here the person's words are checked against their
//! limits and the gate's verdict becomes the answer the person gets.
//!
//! A case that does not exist and a case the person may not see get the same answer ([`unseen`]), and both
//! leave an entry: a probe learns nothing, not even that a case is restricted. Refusals that come after the
//! gate (a name that is not there, a merge that cannot be done) roll back the gate's entry with the rest of
//! the transaction, so [`App::logging_refusal`] logs them in one of their own.

use crate::{App, AppError, Result, check_text};
use severn_domain::access::{Action, Actor, Denial};
use severn_domain::ids::SubjectId;
use severn_domain::text::FreeText;
use severn_store::{AuditRecord, Request, Scoped, ScopedPage, Tx, Verdict};

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

/// The one answer to a case that does not exist and to a case the person may not see (another force's,
/// restricted to others, or not shared with someone outside the force): the same status and words, so
/// neither existence nor restriction shows. The log keeps the true reason.
pub fn unseen(asked_for: &str) -> AppError {
    AppError::NotFound(format!("There is no {asked_for}."))
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

/// The answer the person gets for the gate's verdict. `asked_for` names the case as they did, for the one
/// answer to a case that is not theirs to see.
fn answer<T>(verdict: Verdict<T>, action: Action, asked_for: &str) -> Result<T> {
    match verdict {
        Verdict::Granted(handle) => Ok(handle),
        Verdict::Refused(denial) => Err(AppError::Denied(denial)),
        Verdict::Unseen => Err(unseen(asked_for)),
        Verdict::NeedsJustification => Err(AppError::JustificationRequired(match action {
            Action::Export | Action::Share => {
                "Say why this data is being disclosed, and to whom.".to_owned()
            }
            _ => "This case is restricted: say why you need to open it.".to_owned(),
        })),
    }
}

impl App {
    /// The request the gate decides, once the person's words are within their limits.
    fn request<'a>(
        &self,
        actor: &'a Actor,
        action: Action,
        target: &'a str,
        why: Why,
    ) -> Result<Request<'a>> {
        why.check()?;
        Ok(Request {
            actor,
            action,
            target,
            at: self.now(),
            justification: why.justification,
            recipients: why.recipients,
            detail: why.detail,
        })
    }

    pub(crate) fn record(
        &self,
        actor: &Actor,
        action: Action,
        target: &str,
        why: Why,
    ) -> AuditRecord {
        Request {
            actor,
            action,
            target,
            at: self.now(),
            justification: why.justification,
            recipients: why.recipients,
            detail: why.detail,
        }
        .record()
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
        self.gate
            .log_refusal(&mut tx, &record, denial.as_str())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Authorises an action that is not on one case (a list, a search, staff administration): the scoped
    /// transaction, or — after the refusal is logged and committed — an error saying why.
    pub async fn authorise(
        &self,
        tx: Tx,
        actor: &Actor,
        action: Action,
        target: &str,
        why: Why,
    ) -> Result<Scoped> {
        let request = self.request(actor, action, target, why)?;
        answer(
            self.gate.authorise(tx, &request, None).await?,
            action,
            target,
        )
    }

    /// Authorises the list of cases shared with the person (any force's): the handle reaches those alone.
    pub async fn authorise_shares(
        &self,
        tx: Tx,
        actor: &Actor,
        target: &str,
        why: Why,
    ) -> Result<Scoped> {
        let request = self.request(actor, Action::ViewCase, target, why)?;
        answer(
            self.gate.authorise_shares(tx, &request).await?,
            Action::ViewCase,
            target,
        )
    }

    /// Authorises an action on one subject. A subject that does not exist, or that the person may not see,
    /// gets the same answer; the log keeps which.
    pub async fn authorise_case(
        &self,
        tx: Tx,
        actor: &Actor,
        action: Action,
        subject: SubjectId,
        why: Why,
    ) -> Result<Scoped> {
        let target = format!("subject:{subject}");
        let request = self.request(actor, action, &target, why)?;
        answer(
            self.gate.authorise(tx, &request, Some(subject)).await?,
            action,
            &format!("subject {subject}"),
        )
    }

    /// Authorises an action on a case the person named by its own number: the gate decides on the case's
    /// subject, and the entry and the answer name the case as they asked for it.
    pub(crate) async fn authorise_named_case(
        &self,
        tx: Tx,
        actor: &Actor,
        action: Action,
        (subject, target, asked_for): (SubjectId, &str, &str),
        why: Why,
    ) -> Result<Scoped> {
        let request = self.request(actor, action, target, why)?;
        answer(
            self.gate.authorise(tx, &request, Some(subject)).await?,
            action,
            asked_for,
        )
    }

    /// A second subject in a transaction already authorised on one (a merge is on two).
    pub async fn authorise_case_also(
        &self,
        tx: Scoped,
        actor: &Actor,
        action: Action,
        subject: SubjectId,
        why: Why,
    ) -> Result<Scoped> {
        let target = format!("subject:{subject}");
        let request = self.request(actor, action, &target, why)?;
        answer(
            self.gate.authorise_also(tx, &request, subject).await?,
            action,
            &format!("subject {subject}"),
        )
    }

    /// A page's read of one case: `case` is the subject and how the person asked for it.
    pub async fn authorise_page(
        &self,
        page: Tx,
        actor: &Actor,
        action: Action,
        target: &str,
        (subject, asked_for): (SubjectId, &str),
        why: Why,
    ) -> Result<ScopedPage> {
        let request = self.request(actor, action, target, why)?;
        answer(
            self.gate
                .authorise_page(page, &request, Some(subject))
                .await?,
            action,
            asked_for,
        )
    }

    /// Logs and commits the probe of a referral or case that does not exist, on a page's read. Gives back the
    /// error to answer with: the one a case the person may not see gets, or the failure to log the probe.
    pub async fn refuse_missing_page(
        &self,
        page: Tx,
        actor: &Actor,
        action: Action,
        target: &str,
        asked_for: &str,
        why: Why,
    ) -> AppError {
        let request = match self.request(actor, action, target, why) {
            Ok(request) => request,
            Err(error) => return error,
        };
        match self.gate.refuse_missing_page::<()>(page, &request).await {
            Ok(verdict) => match answer(verdict, action, asked_for) {
                Ok(()) => unseen(asked_for),
                Err(error) => error,
            },
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
        let mut tx = self.gate.db().begin().await?;
        self.gate.log_refusal(&mut tx, &record, reason).await?;
        tx.commit().await?;
        Err(error)
    }
}
