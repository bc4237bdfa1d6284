//! Two administrators for the changes that hand out access: adding an account with a role that opens
//! personal data, the audit log or staff management (`Role::needs_second_approval`), and resetting the
//! password and authenticator of an account that holds one. An administrator asks; a second, different
//! administrator of the same organisation approves (the change takes effect and its new credentials are shown
//! once, to the approver) or rejects, within [`REQUEST_LIFETIME_SECS`]. Every step, and every refusal (their
//! own request, another organisation's, an expired or decided one), is logged as `manage_staff`.
//!
//! An operator at the server's command line acts alone: they hold the database itself, and they create an
//! organisation's first administrators.

use crate::admin::{IssuedCredentials, new_password};
use crate::gate::Why;
use crate::identity::{TOTP_ISSUER, hash_password, new_totp_secret};
use crate::staff::StaffSpec;
use crate::{App, AppError, Result, sealed};
use severn_domain::access::{Action, Actor, Role, StaffKind, decide};
use severn_store::Scoped;
use severn_store::{
    NewStaff, NewStaffChange, StaffChangeKind, StaffChangeRow, StaffChangeStatus, StaffRow,
};

/// How long a request waits for its second administrator: a day.
pub const REQUEST_LIFETIME_SECS: i64 = 24 * 60 * 60;

/// What an administrator's change did.
#[derive(Debug)]
pub enum Change<T> {
    /// It took effect.
    Done(T),
    /// It waits for a second administrator.
    Requested(Box<StaffChangeRow>),
}

/// An approved request: the account it made or reset, and that account's new credentials, shown once.
#[derive(Debug)]
pub struct Approved {
    pub change: StaffChangeRow,
    pub staff: StaffRow,
    pub credentials: IssuedCredentials,
}

/// What is done with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Approve,
    Reject,
}

impl Decision {
    fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approved",
            Decision::Reject => "rejected",
        }
    }
}

/// Whether `actor` needs a second administrator to give, or reset an account holding, these roles.
pub fn needs_approval(actor: &Actor, roles: &[Role]) -> bool {
    matches!(actor, Actor::Staff { .. }) && roles.iter().any(|r| r.needs_second_approval())
}

/// What a request asks for, in the words of the log and the staff page.
pub fn describe(change: &StaffChangeRow) -> String {
    match change.kind {
        StaffChangeKind::Add => format!(
            "add {} with roles {}",
            change.username,
            roles(&change.roles)
        ),
        StaffChangeKind::Reset => format!(
            "reset the password and authenticator of {}",
            change.username
        ),
    }
}

pub(crate) fn roles(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

impl App {
    /// Files a request to add a person with roles that need a second administrator.
    pub(crate) async fn request_addition(
        &self,
        actor: &Actor,
        spec: &StaffSpec,
    ) -> Result<StaffChangeRow> {
        let username = spec.checked_username(actor)?;
        let requested_by = actor.staff_id().ok_or_else(|| {
            AppError::Invalid("Only a member of staff asks for approval.".to_owned())
        })?;
        let tx = self.db().begin().await?;
        let why = Why {
            detail: Some(format!(
                "approval requested: add with roles {}",
                roles(&spec.roles)
            )),
            ..Why::default()
        };
        let mut tx = self
            .authorise(
                tx,
                actor,
                Action::ManageStaff,
                &format!("staff:{username}"),
                why,
            )
            .await?;
        if tx.staff_by_username(username).await?.is_some() {
            return Err(AppError::Invalid(format!(
                "The user name {username:?} is taken: choose another."
            )));
        }
        let now = self.now();
        if tx
            .pending_staff_changes(None, now)
            .await?
            .iter()
            .any(|c| c.kind == StaffChangeKind::Add && c.username == username)
        {
            return Err(AppError::Invalid(format!(
                "A request to add {username} is already waiting for approval."
            )));
        }
        let id = tx
            .insert_staff_change(&NewStaffChange {
                org_id: spec.org,
                kind: StaffChangeKind::Add,
                staff_id: None,
                team_id: spec.team,
                username: username.to_owned(),
                display_name: spec.display_name.trim().to_owned(),
                roles: spec.roles.clone(),
                requested_by,
                requested_at: now,
                expires_at: now + REQUEST_LIFETIME_SECS,
            })
            .await?;
        let change = self.stored(&mut tx, id).await?;
        tx.commit().await?;
        Ok(change)
    }

    /// Files a request to reset `staff`'s credentials, in the transaction that authorised it.
    pub(crate) async fn request_reset(
        &self,
        mut tx: Scoped,
        actor: &Actor,
        staff: &StaffRow,
    ) -> Result<StaffChangeRow> {
        let requested_by = actor.staff_id().ok_or_else(|| {
            AppError::Invalid("Only a member of staff asks for approval.".to_owned())
        })?;
        let now = self.now();
        if let Some(waiting) = tx
            .pending_staff_changes(Some(staff.org_id), now)
            .await?
            .into_iter()
            .find(|c| c.staff_id == Some(staff.id))
        {
            // Asking again for a reset already waiting files nothing new: the one waiting stands.
            tx.commit().await?;
            return Ok(waiting);
        }
        let id = tx
            .insert_staff_change(&NewStaffChange {
                org_id: staff.org_id,
                kind: StaffChangeKind::Reset,
                staff_id: Some(staff.id),
                team_id: staff.team_id,
                username: staff.username.clone(),
                display_name: staff.display_name.clone(),
                roles: staff.roles.clone(),
                requested_by,
                requested_at: now,
                expires_at: now + REQUEST_LIFETIME_SECS,
            })
            .await?;
        let change = self.stored(&mut tx, id).await?;
        tx.commit().await?;
        Ok(change)
    }

    async fn stored(&self, tx: &mut Scoped, id: i64) -> Result<StaffChangeRow> {
        tx.staff_change(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("There is no request number {id}.")))
    }

    /// The requests waiting in the administrator's organisation (every organisation's for an operator),
    /// oldest first. Expired requests are left out: they can no longer be decided.
    pub async fn pending_staff_changes(&self, actor: &Actor) -> Result<Vec<StaffChangeRow>> {
        let tx = self.db().begin().await?;
        let target = match actor.org() {
            Some(org) => format!("staff_changes:org:{org}"),
            None => "staff_changes:all".to_owned(),
        };
        let mut tx = self
            .authorise(tx, actor, Action::ManageStaff, &target, Why::default())
            .await?;
        let changes = tx.pending_staff_changes(actor.org(), self.now()).await?;
        tx.commit().await?;
        Ok(changes)
    }

    /// Approves a request: the account is added or reset, and its new password and authenticator are
    /// returned once, for the approver to hand over. The administrator who asked cannot approve it.
    pub async fn approve_staff_change(&self, actor: &Actor, id: i64) -> Result<Approved> {
        // Hashed before the transaction: argon2 takes a while, and the write lock should not wait on it.
        let password = new_password();
        let hash = hash_password(&password).await?;
        let (mut tx, change) = self
            .authorise_on_change(actor, id, Decision::Approve)
            .await?;
        let now = self.now();
        let staff_id = match change.kind {
            StaffChangeKind::Add => {
                if tx.staff_by_username(&change.username).await?.is_some() {
                    return Err(AppError::Invalid(format!(
                        "The user name {:?} was taken meanwhile: reject this request and ask again with another.",
                        change.username
                    )));
                }
                tx.insert_staff(&NewStaff {
                    org_id: change.org_id,
                    team_id: change.team_id,
                    username: change.username.clone(),
                    display_name: change.display_name.clone(),
                    kind: StaffKind::Person,
                    roles: change.roles.clone(),
                    created_at: now,
                })
                .await?
            }
            StaffChangeKind::Reset => {
                let Some(id) = change.staff_id else {
                    return Err(AppError::Store(severn_store::StoreError::Corrupt(format!(
                        "reset request {} names no account",
                        change.id
                    ))));
                };
                id
            }
        };
        let staff = tx.staff_by_id(staff_id).await?.ok_or_else(|| {
            AppError::NotFound(format!("There is no member of staff number {staff_id}."))
        })?;
        if !staff.active {
            return Err(AppError::Invalid(format!(
                "{} was deactivated meanwhile: a deactivated account gets no new password.",
                staff.username
            )));
        }
        let secret = new_totp_secret();
        tx.set_password_hash(staff.id, &hash, now).await?;
        tx.activate_totp(
            staff.id,
            &sealed::seal(&self.sealing_key(), &secret),
            None,
            now,
        )
        .await?;
        tx.end_sessions_of(staff.id, "credentials_reset", now)
            .await?;
        if !tx
            .decide_staff_change(
                id,
                StaffChangeStatus::Approved,
                &actor.audit_name(),
                now,
                Some(staff.id),
            )
            .await?
        {
            return Err(AppError::Invalid(
                "Another administrator decided this request first.".to_owned(),
            ));
        }
        let change = self.stored(&mut tx, id).await?;
        tx.commit().await?;
        let credentials = IssuedCredentials::Person {
            password,
            authenticator: secret.to_base32_grouped(),
            otpauth: secret.otpauth_uri(TOTP_ISSUER, &staff.username),
        };
        Ok(Approved {
            change,
            staff,
            credentials,
        })
    }

    /// Rejects a request: nothing changes. The administrator who asked may withdraw their own this way.
    pub async fn reject_staff_change(&self, actor: &Actor, id: i64) -> Result<StaffChangeRow> {
        let (mut tx, _) = self
            .authorise_on_change(actor, id, Decision::Reject)
            .await?;
        if !tx
            .decide_staff_change(
                id,
                StaffChangeStatus::Rejected,
                &actor.audit_name(),
                self.now(),
                None,
            )
            .await?
        {
            return Err(AppError::Invalid(
                "Another administrator decided this request first.".to_owned(),
            ));
        }
        let change = self.stored(&mut tx, id).await?;
        tx.commit().await?;
        Ok(change)
    }

    /// Authorises deciding a request, logging `verb` with what was asked. Refused, logged and committed:
    /// a request that does not exist or is another organisation's (to the administrator, both do not
    /// exist), one they asked for themselves (approving only), one already decided, one expired.
    async fn authorise_on_change(
        &self,
        actor: &Actor,
        id: i64,
        decision: Decision,
    ) -> Result<(Scoped, StaffChangeRow)> {
        let verb = decision.as_str();
        let mut tx = self.db().begin().await?;
        let change = tx.staff_change(id).await?;
        let target = match &change {
            Some(c) => format!("staff:{}", c.username),
            None => format!("staff_change:{id}"),
        };
        let detail = match &change {
            Some(c) => format!(
                "{verb} request {id} of {}: {}",
                c.requested_by_name,
                describe(c)
            ),
            None => format!("{verb} request {id}"),
        };
        let why = || Why {
            detail: Some(detail.clone()),
            ..Why::default()
        };
        if decide(actor, Action::ManageStaff, None).is_ok() {
            let refusal = match &change {
                None => Some((
                    "not_found",
                    AppError::NotFound(format!(
                        "There is no request number {id} in your organisation."
                    )),
                )),
                Some(c) if actor.org().is_some_and(|org| org != c.org_id) => Some((
                    "other_force",
                    AppError::NotFound(format!(
                        "There is no request number {id} in your organisation."
                    )),
                )),
                Some(c) if c.status != StaffChangeStatus::Pending => Some((
                    "decided",
                    AppError::Invalid(format!(
                        "This request was {} by {} already.",
                        c.status.as_str(),
                        c.decided_by.as_deref().unwrap_or("someone")
                    )),
                )),
                Some(c) if c.expires_at <= self.now() => Some((
                    "expired",
                    AppError::Invalid(
                        "This request expired before anyone approved it, and nothing was changed: \
                         ask again if it is still needed."
                            .to_owned(),
                    ),
                )),
                Some(c) if decision == Decision::Approve && actor.staff_id() == Some(c.requested_by) => {
                    Some((
                        "own_request",
                        AppError::Invalid(
                            "You asked for this change: another administrator of your organisation \
                             must approve it."
                                .to_owned(),
                        ),
                    ))
                }
                Some(_) => None,
            };
            if let Some((reason, error)) = refusal {
                let record = self.record(actor, Action::ManageStaff, &target, why());
                self.gate.log_refusal(&mut tx, &record, reason).await?;
                tx.commit().await?;
                return Err(error);
            }
        }
        let tx = self
            .authorise(tx, actor, Action::ManageStaff, &target, why())
            .await?;
        let change = change
            .ok_or_else(|| AppError::NotFound(format!("There is no request number {id}.")))?;
        Ok((tx, change))
    }
}
