//! Staff administration for administrators: the organisation's staff, adding a member of staff with their
//! first credentials, deactivating and reactivating an account, resetting a person's password and
//! authenticator, and issuing a service account's API token. Each goes through the gate as `manage_staff` and is logged with what was
//! done; an administrator acts only on staff of their own organisation. New credentials are returned once
//! and kept only as hashes.

use crate::approval::{Change, needs_approval};
use crate::gate::Why;
use crate::identity::{Secret, TOTP_ISSUER, hash_password, new_totp_secret};
use crate::staff::StaffSpec;
use crate::time::instant;
use crate::{App, AppError, Result, sealed};
use jiff::Timestamp;
use rand::Rng;
use severn_domain::access::{Action, Actor, Denial, StaffKind, decide};
use severn_domain::identity::{TokenLifetime, TokenStatus, hash_secret};
use severn_domain::ids::StaffId;
use severn_store::Scoped;
use severn_store::{NewApiToken, StaffRow};

/// What a person or service account needs to sign in or call the API: shown once, never stored in the clear.
#[derive(Clone, PartialEq, Eq)]
pub enum IssuedCredentials {
    Person {
        password: String,
        /// Base32 in groups of four, as typed into an authenticator app.
        authenticator: String,
        /// The `otpauth://` link, for apps that read one.
        otpauth: String,
    },
    Service {
        token: String,
        /// When the token stops working (Unix seconds).
        expires_at: i64,
    },
}

/// A new API token, shown once, and when it stops working (Unix seconds).
#[derive(Debug)]
pub struct IssuedToken {
    pub token: Secret,
    pub expires_at: i64,
}

/// One API token as administrators see it: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiTokenSummary {
    pub id: i64,
    /// The service account it belongs to.
    pub account: String,
    pub label: String,
    pub created_by: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    /// `active`, `expired` or `revoked`.
    pub status: &'static str,
}

impl std::fmt::Debug for IssuedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IssuedCredentials::Person { .. } => f.write_str("IssuedCredentials::Person(..)"),
            IssuedCredentials::Service { .. } => f.write_str("IssuedCredentials::Service(..)"),
        }
    }
}

/// A refusal worked out from the account: the entry's detail, the reason logged, the error returned.
type Refusal = (String, &'static str, AppError);

/// A password of 20 letters and digits with no look-alikes: about 113 bits.
pub fn new_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

impl App {
    /// The staff of the administrator's organisation (every organisation's for an operator), by user name.
    pub async fn list_staff(&self, actor: &Actor) -> Result<Vec<StaffRow>> {
        let tx = self.db().begin().await?;
        let target = match actor.org() {
            Some(org) => format!("staff:org:{org}"),
            None => "staff:all".to_owned(),
        };
        let mut tx = self
            .authorise(tx, actor, Action::ManageStaff, &target, Why::default())
            .await?;
        let mut staff: Vec<StaffRow> = tx
            .all_staff()
            .await?
            .into_iter()
            .filter(|s| actor.org().is_none_or(|org| s.org_id == org))
            .collect();
        tx.commit().await?;
        staff.sort_by(|a, b| a.username.cmp(&b.username));
        Ok(staff)
    }

    /// Adds a member of staff (a person, with at least one role) or a service account (no roles), and issues
    /// their first credentials: a password and authenticator for a person, an API token for a service. An
    /// administrator giving a role that needs a second administrator files a request instead (see
    /// [`crate::approval`]).
    pub async fn add_staff(
        &self,
        actor: &Actor,
        spec: &StaffSpec,
    ) -> Result<Change<(StaffId, IssuedCredentials)>> {
        if spec.kind == StaffKind::Service && !spec.roles.is_empty() {
            return Err(AppError::Invalid(
                "A service account holds no roles: leave the roles unticked.".to_owned(),
            ));
        }
        if spec.kind == StaffKind::Person && spec.roles.is_empty() {
            return Err(AppError::Invalid(
                "Choose at least one role for a person.".to_owned(),
            ));
        }
        if needs_approval(actor, &spec.roles) {
            return Ok(Change::Requested(Box::new(
                self.request_addition(actor, spec).await?,
            )));
        }
        let id = self.create_staff(actor, spec).await?;
        let credentials = match spec.kind {
            StaffKind::Service => {
                let (_, token) = self
                    .issue_staff_token(
                        actor,
                        id,
                        "issued when the account was added",
                        TokenLifetime::default(),
                    )
                    .await?;
                IssuedCredentials::Service {
                    token: token.token.expose().to_owned(),
                    expires_at: token.expires_at,
                }
            }
            StaffKind::Person => match self.reset_credentials(actor, id).await? {
                Change::Done((_, credentials)) => credentials,
                Change::Requested(change) => return Ok(Change::Requested(change)),
            },
        };
        Ok(Change::Done((id, credentials)))
    }

    /// Deactivates an account: it can no longer sign in, its open sessions end and its API tokens are revoked
    /// (reactivating it does not bring them back).
    pub async fn deactivate_staff(&self, actor: &Actor, id: StaffId) -> Result<StaffRow> {
        if actor.staff_id() == Some(id) {
            return Err(AppError::Invalid(
                "You cannot deactivate your own account: ask another administrator.".to_owned(),
            ));
        }
        let (mut tx, staff) = self.authorise_on_staff(actor, id, "deactivated").await?;
        tx.set_staff_active(id, false).await?;
        tx.end_sessions_of(id, "deactivated", self.now()).await?;
        tx.revoke_api_tokens_of(id, self.now()).await?;
        tx.commit().await?;
        Ok(staff)
    }

    /// Reactivates a deactivated account (its password and authenticator work again; a service account needs a
    /// new API token).
    pub async fn reactivate_staff(&self, actor: &Actor, id: StaffId) -> Result<StaffRow> {
        let (mut tx, staff) = self.authorise_on_staff(actor, id, "reactivated").await?;
        tx.set_staff_active(id, true).await?;
        tx.commit().await?;
        Ok(staff)
    }

    /// Gives a person a new password and a new authenticator secret, returned once; their open sessions end.
    /// An administrator resetting an account whose roles need a second administrator files a request
    /// instead (see [`crate::approval`]).
    pub async fn reset_credentials(
        &self,
        actor: &Actor,
        id: StaffId,
    ) -> Result<Change<(StaffRow, IssuedCredentials)>> {
        let password = new_password();
        let hash = hash_password(&password).await?;
        let (mut tx, staff) = self
            .authorise_on_staff_with(actor, id, |staff| {
                Ok(if staff.is_some_and(|s| needs_approval(actor, &s.roles)) {
                    "approval requested: password and authenticator reset"
                } else {
                    "password and authenticator reset"
                }
                .to_owned())
            })
            .await?;
        if staff.kind != StaffKind::Person {
            return Err(AppError::Invalid(format!(
                "{} is a service account: it has no password. Issue it an API token instead.",
                staff.username
            )));
        }
        if !staff.active {
            return Err(AppError::Invalid(format!(
                "{} is deactivated: a deactivated account gets no new password.",
                staff.username
            )));
        }
        if needs_approval(actor, &staff.roles) {
            return Ok(Change::Requested(Box::new(
                self.request_reset(tx, actor, &staff).await?,
            )));
        }
        let now = self.now();
        let secret = new_totp_secret();
        tx.set_password_hash(id, &hash, now).await?;
        tx.activate_totp(id, &sealed::seal(&self.sealing_key(), &secret), None, now)
            .await?;
        tx.end_sessions_of(id, "credentials_reset", now).await?;
        tx.commit().await?;
        let credentials = IssuedCredentials::Person {
            password,
            authenticator: secret.to_base32_grouped(),
            otpauth: secret.otpauth_uri(TOTP_ISSUER, &staff.username),
        };
        Ok(Change::Done((staff, credentials)))
    }

    /// Issues an API token for a service account, living `lifetime`, returned once and kept only as its hash.
    pub async fn issue_staff_token(
        &self,
        actor: &Actor,
        id: StaffId,
        label: &str,
        lifetime: TokenLifetime,
    ) -> Result<(StaffRow, IssuedToken)> {
        let label = label.trim();
        crate::check_text(severn_domain::text::FreeText::TokenLabel, label)?;
        if label.is_empty() {
            return Err(AppError::Invalid(
                "Say what the token is for, so it can be told apart from others.".to_owned(),
            ));
        }
        let done = format!("API token issued: {label}");
        let (mut tx, staff) = self.authorise_on_staff(actor, id, &done).await?;
        if staff.kind != StaffKind::Service {
            return Err(AppError::Invalid(format!(
                "{} is a person: people sign in with a password and authenticator, not an API token.",
                staff.username
            )));
        }
        if !staff.active {
            return Err(AppError::Invalid(format!(
                "{} is deactivated: a deactivated account gets no new token.",
                staff.username
            )));
        }
        let token = Secret::generate();
        let now = self.now();
        let expires_at = lifetime.expires_at(now);
        tx.insert_api_token(&NewApiToken {
            token_hash: &hash_secret(token.expose()),
            staff_id: id,
            label,
            created_by: &actor.audit_name(),
            created_at: now,
            expires_at,
        })
        .await?;
        tx.commit().await?;
        Ok((staff, IssuedToken { token, expires_at }))
    }

    /// The API tokens of one account, or with `None` of every account of the administrator's organisation,
    /// newest first. Never the tokens themselves: they are kept only as hashes.
    pub async fn api_tokens(
        &self,
        actor: &Actor,
        of: Option<StaffId>,
    ) -> Result<Vec<ApiTokenSummary>> {
        let (mut tx, rows) = match (of, actor.org()) {
            (Some(id), _) => {
                let (mut tx, _) = self
                    .authorise_on_staff(actor, id, "API tokens listed")
                    .await?;
                let rows = tx.api_tokens_of(id).await?;
                (tx, rows)
            }
            (None, Some(org)) => {
                let tx = self.db().begin().await?;
                let why = Why {
                    detail: Some("API tokens listed".to_owned()),
                    ..Why::default()
                };
                let target = format!("staff:org:{org}");
                let mut tx = self
                    .authorise(tx, actor, Action::ManageStaff, &target, why)
                    .await?;
                let rows = tx.api_tokens_in_org(org).await?;
                (tx, rows)
            }
            (None, None) => {
                return Err(AppError::Invalid(
                    "Name the service account whose tokens to list.".to_owned(),
                ));
            }
        };
        let staff = tx.all_staff().await?;
        tx.commit().await?;
        let now = self.now();
        Ok(rows
            .into_iter()
            .map(|row| ApiTokenSummary {
                status: TokenStatus::at(row.revoked_at, row.expires_at, now).as_str(),
                account: staff
                    .iter()
                    .find(|s| s.id == row.staff_id)
                    .map(|s| s.username.clone())
                    .unwrap_or_default(),
                id: row.id,
                label: row.label,
                created_by: row.created_by,
                created_at: instant(row.created_at),
                expires_at: instant(row.expires_at),
                last_used_at: row.last_used_at.map(instant),
                revoked_at: row.revoked_at.map(instant),
            })
            .collect())
    }

    /// Revokes one API token: it is refused from now on. An administrator revokes only their own
    /// organisation's; another organisation's token answers as one that does not exist, and both attempts are
    /// logged.
    pub async fn revoke_api_token(&self, actor: &Actor, token: i64) -> Result<StaffRow> {
        let mut tx = self.db().begin_read().await?;
        let row = tx.api_token_by_id(token).await?;
        tx.commit().await?;
        let no_such = || AppError::NotFound(format!("There is no API token number {token}."));
        let Some(row) = row else {
            // Through the gate all the same, as a missing account is: the attempt is in the log.
            let tx = self.db().begin().await?;
            let why = Why {
                detail: Some(format!("API token {token} revoked")),
                ..Why::default()
            };
            let target = format!("api_token:{token}");
            let tx = self
                .authorise(tx, actor, Action::ManageStaff, &target, why)
                .await?;
            tx.commit().await?;
            return Err(no_such());
        };
        let done = format!("API token {token} revoked: {}", row.label);
        let (mut tx, staff) = self
            .authorise_on_staff(actor, row.staff_id, &done)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => no_such(),
                other => other,
            })?;
        tx.revoke_api_token(token, self.now()).await?;
        tx.commit().await?;
        Ok(staff)
    }

    /// Authorises managing one member of staff. An administrator of another organisation is refused, and
    /// the refusal is logged and committed like the gate's own; to them the account does not exist.
    pub(crate) async fn authorise_on_staff(
        &self,
        actor: &Actor,
        id: StaffId,
        done: &str,
    ) -> Result<(Scoped, StaffRow)> {
        self.authorise_on_staff_with(actor, id, |_| Ok(done.to_owned()))
            .await
    }

    /// Authorises setting an account's password or authenticator directly (the command line's use cases).
    /// An administrator is refused, and the refusal logged, when the account's roles need a second
    /// administrator: they ask for a reset instead ([`App::reset_credentials`]).
    pub(crate) async fn authorise_credentials(
        &self,
        actor: &Actor,
        id: StaffId,
        done: &str,
    ) -> Result<(Scoped, StaffRow)> {
        self.authorise_on_staff_with(actor, id, |staff| {
            if staff.is_some_and(|s| needs_approval(actor, &s.roles)) {
                Err((
                    done.to_owned(),
                    "needs_approval",
                    AppError::Invalid(
                        "This account's roles need a second administrator's approval to reset its \
                         credentials: ask for a reset on the Staff page."
                            .to_owned(),
                    ),
                ))
            } else {
                Ok(done.to_owned())
            }
        })
        .await
    }

    /// [`App::authorise_on_staff`], with what is done worked out from the account (when there is one): the
    /// entry's detail, or, for an administrator of the account's organisation, a refusal (the detail, the
    /// reason logged and the error returned).
    async fn authorise_on_staff_with(
        &self,
        actor: &Actor,
        id: StaffId,
        done: impl FnOnce(Option<&StaffRow>) -> std::result::Result<String, Refusal>,
    ) -> Result<(Scoped, StaffRow)> {
        let mut tx = self.db().begin().await?;
        let staff = tx.staff_by_id(id).await?;
        let target = match &staff {
            Some(s) => format!("staff:{}", s.username),
            None => format!("staff:{id}"),
        };
        let outside = match (&staff, actor.org()) {
            (Some(s), Some(org)) => s.org_id != org,
            _ => false,
        };
        let done = match done(staff.as_ref()) {
            Ok(done) => done,
            Err((done, reason, error)) => {
                if !outside && decide(actor, Action::ManageStaff, None).is_ok() {
                    let why = Why {
                        detail: Some(done),
                        ..Why::default()
                    };
                    let record = self.record(actor, Action::ManageStaff, &target, why);
                    self.gate.log_refusal(&mut tx, &record, reason).await?;
                    tx.commit().await?;
                    return Err(error);
                }
                done
            }
        };
        let not_here = || {
            AppError::NotFound(format!(
                "There is no member of staff number {id} in your organisation."
            ))
        };
        if outside && decide(actor, Action::ManageStaff, None).is_ok() {
            let why = Why {
                detail: Some(done.clone()),
                ..Why::default()
            };
            self.refuse(
                tx,
                actor,
                Action::ManageStaff,
                &target,
                why,
                Denial::OtherForce,
            )
            .await?;
            return Err(not_here());
        }
        let why = Why {
            detail: Some(done),
            ..Why::default()
        };
        let tx = self
            .authorise(tx, actor, Action::ManageStaff, &target, why)
            .await?;
        Ok((tx, staff.ok_or_else(not_here)?))
    }
}
