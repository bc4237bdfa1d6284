//! The gate: the one way to personal data. It holds the database and the audit key, asks the domain's policy
//! (`severn_domain::access::decide`), writes the audit entry in the request's own transaction, and only then
//! hands back a scoped handle ([`Scoped`], [`ScopedPage`]). Every personal-data read and write of this crate
//! is a method of those handles, and they are made nowhere else, so a use case that skips the gate does not
//! compile (docs/access.md shows it). A plain [`Tx`] reaches only what is not personal data: the risk tools,
//! organisations, sign-in and sessions, counts, and the audit log's head.
//!
//! A case that does not exist and a case the person may not see get the same verdict ([`Verdict::Unseen`]),
//! and both leave an entry with the true reason.
//!
//! ```compile_fail,E0599
//! // A transaction that has not been through the gate has no personal-data reads.
//! async fn around_the_gate(db: &severn_store::Db) {
//!     let mut tx = db.begin().await.unwrap();
//!     let _ = tx.subject(severn_domain::ids::SubjectId(1)).await;
//! }
//! ```
//!
//! ```compile_fail,E0451
//! // Nor can a scope be made outside the gate.
//! let _ = severn_store::Scope { reach: severn_store::Reach::Everything };
//! ```
//!
//! ```compile_fail,E0624
//! // Nor can an entry that grants a scope be written outside it.
//! async fn minting(tx: &mut severn_store::Tx, key: &severn_domain::audit::AuditKey) {
//!     let record = severn_store::AuditRecord::default();
//!     let _ = tx.audit_allowed(key, &record, severn_store::Reach::Everything).await;
//! }
//! ```

use crate::Result;
use crate::chain::AuditRecord;
use crate::db::Db;
use crate::handles::{Scoped, ScopedPage};
use crate::scope::{Reach, Scope};
use crate::tx::Tx;
use severn_domain::access::{Action, Actor, CaseAccess, Denial, decide};
use severn_domain::audit::{AuditEntry, AuditKey, Checkpoint, Problem, Verifier};
use severn_domain::ids::SubjectId;
use std::sync::Arc;

/// The database and the key that chains its audit log, reachable only through the gate.
#[derive(Clone)]
pub struct Gate {
    db: Db,
    key: Arc<AuditKey>,
}

/// Who asks to do what, on what, and why: the audit entry's content.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub actor: &'a Actor,
    pub action: Action,
    /// What the entry names (`subject:12`, `queue`, `staff:4`).
    pub target: &'a str,
    pub at: i64,
    /// Asked for when opening a restricted case and for every export or share.
    pub justification: Option<String>,
    /// Who receives disclosed data.
    pub recipients: Option<String>,
    /// Anything else worth keeping with the entry.
    pub detail: Option<String>,
}

impl Request<'_> {
    /// The audit entry this request makes, before its outcome.
    pub fn record(&self) -> AuditRecord {
        AuditRecord {
            at: self.at,
            actor: self.actor.audit_name(),
            org: self.actor.org(),
            processing: self.action.processing(),
            action: self.action.as_str().to_owned(),
            target: self.target.to_owned(),
            justification: self.justification.clone(),
            recipients: self.recipients.clone(),
            detail: self.detail.clone(),
        }
    }
}

/// What the gate decided.
#[derive(Debug)]
pub enum Verdict<T> {
    /// Allowed and logged: the handle that reaches the data.
    Granted(T),
    /// Refused by the person's role, whatever the case; logged and committed.
    Refused(Denial),
    /// The case is not there, or not one the person may see: the same verdict either way, so neither existence
    /// nor restriction shows. Logged, with the true reason, and committed.
    Unseen,
    /// Allowed only with a reason (a restricted case, an export, a share), and none was given. Nothing is
    /// logged: the person has not yet been let in.
    NeedsJustification,
}

/// How far an allowed action reaches.
fn reach(actor: &Actor, action: Action, case: Option<SubjectId>) -> Reach {
    if action == Action::ReadAudit {
        return Reach::AuditLog(actor.org());
    }
    if !action.touches_personal_data() {
        return Reach::NoPersonalData;
    }
    if let Some(subject) = case {
        return Reach::Case(subject);
    }
    match actor {
        Actor::Operator { .. } => Reach::Everything,
        Actor::Staff { org, .. } | Actor::Service { org, .. } => Reach::Force(*org),
    }
}

/// The policy's answer for `request` on `case` (`None`: not on one case), before anything is logged: the
/// reach allowed, or the refusal and the reason it is logged under.
fn judge(request: &Request<'_>, case: Option<(SubjectId, &CaseAccess)>) -> Judged {
    match decide(
        request.actor,
        request.action,
        case.map(|(_, access)| access),
    ) {
        Ok(()) => {
            // Only someone the policy lets in is asked why: asking anyone else would tell them the case is
            // there and restricted.
            let needs_why = matches!(request.action, Action::Export | Action::Share)
                || case.is_some_and(|(_, access)| access.restricted_to.is_some());
            if needs_why && request.justification.is_none() {
                Judged::NeedsJustification
            } else {
                Judged::Allowed(reach(request.actor, request.action, case.map(|(id, _)| id)))
            }
        }
        Err(Denial::Role) => Judged::Refused(Denial::Role, Verdict::Refused(Denial::Role)),
        Err(denial) if case.is_some() => Judged::Refused(denial, Verdict::Unseen),
        Err(denial) => Judged::Refused(denial, Verdict::Refused(denial)),
    }
}

enum Judged {
    Allowed(Reach),
    NeedsJustification,
    /// The reason logged, and the verdict the person gets.
    Refused(Denial, Verdict<std::convert::Infallible>),
}

/// The verdict on a case that is not there: a role that may not take the action at all is told so, as it
/// would be on any case; everyone else gets the verdict of a case they may not see.
fn missing<T>(request: &Request<'_>) -> (&'static str, Verdict<T>) {
    match decide(request.actor, request.action, Some(&CaseAccess::default())) {
        Err(Denial::Role) => (Denial::Role.as_str(), Verdict::Refused(Denial::Role)),
        _ => ("not_found", Verdict::Unseen),
    }
}

fn refused<T>(verdict: Verdict<std::convert::Infallible>) -> Verdict<T> {
    match verdict {
        Verdict::Refused(denial) => Verdict::Refused(denial),
        Verdict::Unseen => Verdict::Unseen,
        Verdict::NeedsJustification => Verdict::NeedsJustification,
        Verdict::Granted(never) => match never {},
    }
}

impl Gate {
    pub fn new(db: Db, key: AuditKey) -> Gate {
        Gate {
            db,
            key: Arc::new(key),
        }
    }

    /// The database, for what reaches no personal data: migrations, indexes, plain transactions.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Decides `request` (on the case of `subject`, when given), logs it in `tx` and hands back the scoped
    /// transaction; a refusal is logged and committed, and `tx` is gone.
    pub async fn authorise(
        &self,
        tx: Tx,
        request: &Request<'_>,
        subject: Option<SubjectId>,
    ) -> Result<Verdict<Scoped>> {
        self.grant(tx, request, subject, None).await
    }

    /// The list of cases shared with the person asking, whatever force owns them: allowed when the policy would
    /// let them read a case whose only tie to them is a share to them. The handle reaches only those cases
    /// ([`Reach::SharedWith`]), never their force's other work. Logged like any list; a refusal is logged and
    /// committed.
    pub async fn authorise_shares(
        &self,
        mut tx: Tx,
        request: &Request<'_>,
    ) -> Result<Verdict<Scoped>> {
        let allowed = match request.actor {
            Actor::Staff { id, .. } => {
                let shared = CaseAccess {
                    owner: None,
                    restricted_to: None,
                    shared_with: vec![*id],
                };
                decide(request.actor, Action::ViewCase, Some(&shared)).map(|()| *id)
            }
            Actor::Service { .. } | Actor::Operator { .. } => Err(Denial::Role),
        };
        match allowed {
            Ok(me) => {
                let scope = tx
                    .audit_allowed(&self.key, &request.record(), Reach::SharedWith(me))
                    .await?;
                Ok(Verdict::Granted(Scoped {
                    tx,
                    scope,
                    case: None,
                }))
            }
            Err(denial) => {
                tx.audit_denied(&self.key, &request.record(), denial.as_str())
                    .await?;
                tx.commit().await?;
                Ok(Verdict::Refused(denial))
            }
        }
    }

    /// A second case in a transaction already let through (a merge is on two): the handle reaches both.
    pub async fn authorise_also(
        &self,
        scoped: Scoped,
        request: &Request<'_>,
        subject: SubjectId,
    ) -> Result<Verdict<Scoped>> {
        let earlier = scoped.scope.reach;
        self.grant(scoped.tx, request, Some(subject), Some(earlier))
            .await
    }

    async fn grant(
        &self,
        mut tx: Tx,
        request: &Request<'_>,
        subject: Option<SubjectId>,
        earlier: Option<Reach>,
    ) -> Result<Verdict<Scoped>> {
        let case = match subject {
            None => None,
            Some(id) => match tx.case_access(id).await? {
                Some(access) => Some((id, access)),
                None => {
                    let (reason, verdict) = missing(request);
                    tx.audit_denied(&self.key, &request.record(), reason)
                        .await?;
                    tx.commit().await?;
                    return Ok(verdict);
                }
            },
        };
        match judge(request, case.as_ref().map(|(id, access)| (*id, access))) {
            Judged::Allowed(reach) => {
                let reach = match (earlier, reach) {
                    (Some(Reach::Case(first)), Reach::Case(second)) => Reach::Cases(first, second),
                    (_, reach) => reach,
                };
                let scope = tx
                    .audit_allowed(&self.key, &request.record(), reach)
                    .await?;
                Ok(Verdict::Granted(Scoped {
                    tx,
                    scope,
                    case: case.map(|(_, access)| access),
                }))
            }
            Judged::NeedsJustification => Ok(Verdict::NeedsJustification),
            Judged::Refused(denial, verdict) => {
                tx.audit_denied(&self.key, &request.record(), denial.as_str())
                    .await?;
                tx.commit().await?;
                Ok(refused(verdict))
            }
        }
    }

    /// [`Gate::authorise`] for a page's read.
    pub async fn authorise_page(
        &self,
        mut page: Tx,
        request: &Request<'_>,
        subject: Option<SubjectId>,
    ) -> Result<Verdict<ScopedPage>> {
        let case = match subject {
            None => None,
            Some(id) => match page.case_access(id).await? {
                Some(access) => Some((id, access)),
                None => return self.refuse_missing_page(page, request).await,
            },
        };
        match judge(request, case.as_ref().map(|(id, access)| (*id, access))) {
            Judged::Allowed(reach) => {
                let scope = page
                    .audit_allowed(&self.key, &request.record(), reach)
                    .await?;
                Ok(Verdict::Granted(ScopedPage {
                    read: Scoped {
                        tx: page,
                        scope,
                        case: case.map(|(_, access)| access),
                    },
                }))
            }
            Judged::NeedsJustification => Ok(Verdict::NeedsJustification),
            Judged::Refused(denial, verdict) => {
                page.audit_denied(&self.key, &request.record(), denial.as_str())
                    .await?;
                page.commit().await?;
                Ok(refused(verdict))
            }
        }
    }

    /// Logs and commits the probe of something that is not there (a referral reference that names nothing),
    /// on a page's read, and gives the verdict a case the person may not see gets.
    pub async fn refuse_missing_page<T>(
        &self,
        mut page: Tx,
        request: &Request<'_>,
    ) -> Result<Verdict<T>> {
        let (reason, verdict) = missing(request);
        page.audit_denied(&self.key, &request.record(), reason)
            .await?;
        page.commit().await?;
        Ok(verdict)
    }

    /// A new transaction under a grant already logged: the later batches of one ingest.
    pub async fn begin_under(&self, scope: &Scope) -> Result<Scoped> {
        Ok(Scoped {
            tx: self.db.begin().await?,
            scope: scope.clone(),
            case: None,
        })
    }

    /// [`Gate::begin_under`] for reading.
    pub async fn begin_read_under(&self, scope: &Scope) -> Result<Scoped> {
        Ok(Scoped {
            tx: self.db.begin_read().await?,
            scope: scope.clone(),
            case: None,
        })
    }

    /// Logs a refusal that depends on more than the policy sees (another organisation's account, a name that
    /// is not there), under `reason`.
    pub async fn log_refusal(&self, tx: &mut Tx, record: &AuditRecord, reason: &str) -> Result<()> {
        tx.audit_denied(&self.key, record, reason).await
    }

    /// Logs an event that is not an access to personal data (sign-in, sign-out, account changes, the
    /// collection of a batch of referrals), on a writing transaction.
    pub async fn log_event(
        &self,
        tx: &mut Tx,
        record: &AuditRecord,
        outcome: &str,
    ) -> Result<AuditEntry> {
        tx.audit_event(&self.key, record, outcome).await
    }

    /// A keyed pseudonym of `text` (an unknown user name, counted without being stored).
    pub fn pseudonym(&self, text: &str) -> String {
        self.key.pseudonym(text)
    }

    /// A key for another purpose, derived from the audit key (sealing authenticator secrets).
    pub fn derived_key(&self, purpose: &str) -> [u8; 32] {
        self.key.derive(purpose)
    }

    /// A signed record of the log's head now, to be kept outside the database.
    pub async fn checkpoint(&self, at: i64) -> Result<Checkpoint> {
        let mut tx = self.db.begin_read().await?;
        let (seq, mac) = tx.audit_head().await?;
        tx.commit().await?;
        Ok(Checkpoint::sign(&self.key, seq, &mac, at))
    }

    /// Checks every entry's MAC and sequence, then the log's end against `checkpoints`: the number of entries
    /// and what is wrong.
    pub async fn verify(&self, checkpoints: Vec<Checkpoint>) -> Result<(u64, Vec<Problem>)> {
        let mut verifier = Verifier::new(&self.key, checkpoints);
        let mut after = 0;
        loop {
            let mut tx = self.db.begin_read().await?;
            let page = tx.audit_entries_after(after, 5000).await?;
            tx.commit().await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for entry in &page {
                verifier.push(entry);
            }
        }
        Ok((verifier.entries, verifier.finish()))
    }
}
