//! Who is signed in: local passwords (argon2id) with an authenticator code (TOTP) for every person, server-side
//! sessions, lockout with back-off, per-address limits on sign-in attempts, and API tokens for service accounts.
//!
//! Proving who someone is and keeping them signed in are separate steps. [`Identity::sign_in_with_password`]
//! and the code check are the local way of proving it; every way ends in [`Identity::start_session`] with a
//! [`VerifiedSignIn`] naming the provider. An OpenID Connect provider (a force's Entra ID) would verify its ID
//! token, find the member of staff it names and start a session the same way, with no change to sessions,
//! CSRF protection or the web pages behind sign-in.

use crate::admin::IssuedToken;
use crate::{App, AppError, Result, sealed};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::RngCore;
use severn_domain::access::Actor;
use severn_domain::identity::{
    IdentityPolicy, SessionEnd, SessionStage, TokenLifetime, TokenStatus, hash_secret,
};
use severn_domain::ids::{OrgId, StaffId};
use severn_domain::totp::{self, CodeRefused, TotpSecret};
use severn_store::{AuditRecord, CredentialRow, NewSession, SessionRow, StaffRow, Tx};
use std::fmt;
use std::sync::OnceLock;

/// The issuer name authenticator apps show next to the account.
pub const TOTP_ISSUER: &str = "Severn";
/// Passwords shorter than this are refused when set.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longer passwords are refused, so that hashing one stays cheap.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// A session's last-seen time is written at most this often: reading a page should not always write.
const TOUCH_EVERY_SECONDS: i64 = 60;
/// The provider name of local passwords with an authenticator code.
const LOCAL_PROVIDER: &str = "local";

/// A bearer secret handed to a client once: a session id or an API token (256 random bits, hex). Kept at
/// rest only as its hash; its `Debug` form never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    pub fn generate() -> Secret {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Secret(hex_encode(&bytes))
    }

    /// A secret as a client presented it.
    pub fn from_client(text: &str) -> Secret {
        Secret(text.to_owned())
    }

    /// The value to hand to the client (in a cookie or once on screen).
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn hash(&self) -> String {
        hash_secret(&self.0)
    }
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a request came from, as recorded with a session and counted for rate limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub address: String,
    pub user_agent: String,
}

/// What wrong attempts are counted against: an account, or a user name that is no account's (by its
/// pseudonym).
#[derive(Debug, Clone, Copy)]
enum Lockable<'a> {
    Account(StaffId),
    UnknownName(&'a str),
}

/// Someone whose identity a provider has verified, ready for a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignIn {
    pub staff: StaffId,
    /// How they proved it: `local` today.
    pub provider: &'static str,
    /// Where the session starts: the second factor, enrolment, or fully signed in.
    pub stage: SessionStage,
}

/// A new session: the id for the cookie and how far sign-in has got.
#[derive(Debug, Clone)]
pub struct StartedSession {
    pub token: Secret,
    pub stage: SessionStage,
}

/// The session a request belongs to.
#[derive(Debug, Clone)]
pub struct CurrentSession {
    pub id: i64,
    pub stage: SessionStage,
    /// The synchroniser token every form posted in this session must carry.
    pub csrf_token: String,
    pub staff: StaffRow,
    pub actor: Actor,
}

/// One of a person's open sessions, for the list they can revoke from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SessionSummary {
    pub id: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub address: String,
    pub user_agent: String,
    pub stage: &'static str,
    /// The session this list was asked for in.
    pub current: bool,
}

/// A secret being enrolled, shown once.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// The secret in groups of four, for typing into an app.
    pub secret_text: String,
    /// The `otpauth://` URI, for apps that read one.
    pub uri: String,
}

/// Why signing in, or going on with a session, was refused — in words the person can act on. None of them
/// says whether a user name exists.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("The user name or password is not right.")]
    BadCredentials,
    #[error(
        "Too many wrong attempts: this account is locked for now. Try again in {minutes} minute(s)."
    )]
    Locked { minutes: i64 },
    #[error(
        "Too many sign-in attempts from your network address. Wait a few minutes and try again."
    )]
    TooManyAttempts,
    #[error("{}", .0.explain())]
    Code(CodeRefused),
    #[error("{}", .0.explain())]
    SessionEnded(SessionEnd),
    #[error("You are not signed in.")]
    NotSignedIn,
    #[error("This step of signing in does not apply now. Start again from the sign-in page.")]
    WrongStage,
    #[error("That API token is not valid.")]
    BadToken,
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<severn_store::StoreError> for SignInError {
    fn from(e: severn_store::StoreError) -> Self {
        SignInError::App(AppError::Store(e))
    }
}

/// Sign-in and sessions over an [`App`], under an [`IdentityPolicy`].
#[derive(Clone)]
pub struct Identity {
    app: App,
    policy: IdentityPolicy,
}

impl Identity {
    pub fn new(app: App, policy: IdentityPolicy) -> Identity {
        Identity { app, policy }
    }

    pub fn policy(&self) -> &IdentityPolicy {
        &self.policy
    }

    fn now(&self) -> i64 {
        self.app.now()
    }

    /// Counts an attempt from `client`'s address and refuses it when the address is over its limit. The count
    /// is committed whatever happens next.
    async fn admit_attempt(&self, client: &Client) -> Result<(), SignInError> {
        let now = self.now();
        let limit = &self.policy.address_limit;
        let mut tx = self.app.db().begin().await?;
        let attempts = tx
            .count_sign_in_attempt(&client.address, now, limit.window_start(now))
            .await?;
        tx.commit().await?;
        if limit.allows(attempts - 1) {
            Ok(())
        } else {
            Err(SignInError::TooManyAttempts)
        }
    }

    fn refuse_if_locked(&self, credential: &CredentialRow) -> Result<(), SignInError> {
        match credential.locked_until {
            Some(until) if until > self.now() => Err(SignInError::Locked {
                minutes: (until - self.now() + 59) / 60,
            }),
            _ => Ok(()),
        }
    }

    /// Logs a sign-in event in the security part of the audit log: the user name given, what happened and
    /// where from. Never a password or a code.
    async fn log_event(
        &self,
        tx: &mut Tx,
        username: &str,
        org: Option<OrgId>,
        action: &str,
        outcome: &str,
        client: Option<&Client>,
    ) -> Result<(), SignInError> {
        let username: String = username.trim().chars().take(100).collect();
        let record = AuditRecord {
            at: self.now(),
            target: format!("account:{username}"),
            actor: username,
            org,
            processing: "security".to_owned(),
            action: action.to_owned(),
            detail: client.map(|c| format!("from {}", c.address)),
            ..AuditRecord::default()
        };
        self.app.gate.log_event(tx, &record, outcome).await?;
        Ok(())
    }

    /// The audit outcome of a refused password or code: `failed:WHAT`, or `locked:WHAT` when this failure
    /// locked the account.
    fn failure_outcome(refusal: &SignInError, what: &str) -> String {
        match refusal {
            SignInError::Locked { .. } => format!("locked:{what}"),
            _ => format!("failed:{what}"),
        }
    }

    /// Counts a wrong password or code; says the account (or the unknown name) is locked when this failure
    /// locked it.
    async fn count_failure(
        &self,
        tx: &mut Tx,
        who: Lockable<'_>,
    ) -> Result<SignInError, SignInError> {
        let now = self.now();
        let failures = match who {
            Lockable::Account(staff) => tx.count_sign_in_failure(staff, now).await?,
            Lockable::UnknownName(pseudonym) => {
                tx.count_unknown_name_failure(pseudonym, now).await?
            }
        };
        let failures = u32::try_from(failures).unwrap_or(u32::MAX);
        Ok(match self.policy.lockout.locked_until(failures, now) {
            Some(until) => {
                match who {
                    Lockable::Account(staff) => tx.lock_credential(staff, until).await?,
                    Lockable::UnknownName(pseudonym) => {
                        tx.lock_unknown_name(pseudonym, until).await?
                    }
                }
                SignInError::Locked {
                    minutes: (until - now + 59) / 60,
                }
            }
            None => SignInError::BadCredentials,
        })
    }

    /// Refuses a sign-in with a user name that is no person's active account exactly as a real account's
    /// wrong password is refused — counted, locked with the same back-off, as slow — so that no answer says
    /// whether the name exists.
    async fn refuse_unknown_name(
        &self,
        mut tx: Tx,
        username: &str,
        password: &str,
        client: &Client,
    ) -> Result<StartedSession, SignInError> {
        let pseudonym = self.app.gate.pseudonym(username);
        if let Some(until) = tx.unknown_name_locked_until(&pseudonym).await?
            && until > self.now()
        {
            self.log_event(
                &mut tx,
                &pseudonym,
                None,
                "sign_in",
                "refused:locked",
                Some(client),
            )
            .await?;
            tx.commit().await?;
            return Err(SignInError::Locked {
                minutes: (until - self.now() + 59) / 60,
            });
        }
        // Spend the time a real check takes, so the answer's speed does not say the name is unknown.
        verify_password(password, dummy_hash()).await?;
        let refusal = self
            .count_failure(&mut tx, Lockable::UnknownName(&pseudonym))
            .await?;
        let outcome = Self::failure_outcome(&refusal, "unknown_account");
        self.log_event(&mut tx, &pseudonym, None, "sign_in", &outcome, Some(client))
            .await?;
        tx.commit().await?;
        Err(refusal)
    }

    /// Checks a user name and password. On success a session starts at the second factor, or at enrolment
    /// for an account without an authenticator yet.
    pub async fn sign_in_with_password(
        &self,
        username: &str,
        password: &str,
        client: &Client,
    ) -> Result<StartedSession, SignInError> {
        self.admit_attempt(client).await?;
        let mut tx = self.app.db().begin().await?;
        let staff = tx.staff_by_username(username.trim()).await?;
        let credential = match &staff {
            Some(staff) if staff.active && staff.kind == "person" => {
                tx.credential(staff.id).await?
            }
            _ => None,
        };
        let (Some(staff), Some(credential)) = (staff, credential) else {
            return self
                .refuse_unknown_name(tx, username.trim(), password, client)
                .await;
        };
        if let Err(locked) = self.refuse_if_locked(&credential) {
            self.log_event(
                &mut tx,
                &staff.username,
                Some(staff.org_id),
                "sign_in",
                "refused:locked",
                Some(client),
            )
            .await?;
            tx.commit().await?;
            return Err(locked);
        }
        if !verify_password(password, &credential.password_hash).await? {
            let refusal = self
                .count_failure(&mut tx, Lockable::Account(staff.id))
                .await?;
            let outcome = Self::failure_outcome(&refusal, "wrong_password");
            self.log_event(
                &mut tx,
                &staff.username,
                Some(staff.org_id),
                "sign_in",
                &outcome,
                Some(client),
            )
            .await?;
            tx.commit().await?;
            return Err(refusal);
        }
        // The count of wrong attempts is not cleared here but only once the code is right too: otherwise a
        // known password would let codes be guessed for ever, the count cleared before it locked.
        self.log_event(
            &mut tx,
            &staff.username,
            Some(staff.org_id),
            "sign_in",
            "password_accepted",
            Some(client),
        )
        .await?;
        let stage = if credential.totp_secret.is_some() {
            SessionStage::SecondFactor
        } else {
            SessionStage::Enrolment
        };
        let verified = VerifiedSignIn {
            staff: staff.id,
            provider: LOCAL_PROVIDER,
            stage,
        };
        let started = self.start_session_in(&mut tx, &verified, client).await?;
        tx.commit().await?;
        Ok(started)
    }

    /// Starts a session for someone a provider has verified. Every sign-in gets a new session id.
    pub async fn start_session(
        &self,
        verified: &VerifiedSignIn,
        client: &Client,
    ) -> Result<StartedSession, SignInError> {
        let mut tx = self.app.db().begin().await?;
        let started = self.start_session_in(&mut tx, verified, client).await?;
        tx.commit().await?;
        Ok(started)
    }

    async fn start_session_in(
        &self,
        tx: &mut Tx,
        verified: &VerifiedSignIn,
        client: &Client,
    ) -> Result<StartedSession, SignInError> {
        let token = Secret::generate();
        tx.insert_session(&NewSession {
            token_hash: token.hash(),
            staff_id: verified.staff,
            stage: verified.stage,
            provider: verified.provider.to_owned(),
            csrf_token: Secret::generate().0,
            created_at: self.now(),
            address: client.address.clone(),
            user_agent: client.user_agent.chars().take(200).collect(),
        })
        .await?;
        Ok(StartedSession {
            token,
            stage: verified.stage,
        })
    }

    /// The session `token` names, if it is still good; an ended one is closed on the way.
    pub async fn resume(&self, token: &Secret) -> Result<CurrentSession, SignInError> {
        let now = self.now();
        let mut tx = self.app.db().begin_page().await?;
        let session = tx.session_by_token_hash(&token.hash()).await?;
        let Some(session) = session else {
            return Err(SignInError::NotSignedIn);
        };
        if session.ended_at.is_some() {
            return Err(SignInError::SessionEnded(SessionEnd::Revoked));
        }
        let staff = tx.staff_by_id(session.staff_id).await?;
        tx.commit().await?;
        let ended = self.policy.sessions.ended(
            session.stage,
            session.created_at,
            session.last_seen_at,
            now,
        );
        let staff = match (ended, staff) {
            (None, Some(staff)) if staff.active => staff,
            (ended, _) => {
                let reason = ended.unwrap_or(SessionEnd::Revoked);
                self.end(&session, reason.as_str()).await?;
                return Err(SignInError::SessionEnded(reason));
            }
        };
        if now - session.last_seen_at >= TOUCH_EVERY_SECONDS {
            let mut tx = self.app.db().begin().await?;
            tx.touch_session(session.id, now).await?;
            tx.commit().await?;
        }
        let actor = Actor::Staff {
            id: staff.id,
            username: staff.username.clone(),
            org: staff.org_id,
            org_kind: staff.org_kind,
            roles: staff.roles.clone(),
        };
        Ok(CurrentSession {
            id: session.id,
            stage: session.stage,
            csrf_token: session.csrf_token,
            staff,
            actor,
        })
    }

    async fn end(&self, session: &SessionRow, reason: &str) -> Result<bool, SignInError> {
        let mut tx = self.app.db().begin().await?;
        let ended = tx
            .end_session(session.staff_id, session.id, reason, self.now())
            .await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Checks the authenticator code of a session at the second factor. On success that session ends and a
    /// new, fully signed-in one (with a new id) takes its place.
    pub async fn verify_second_factor(
        &self,
        session: &CurrentSession,
        code: &str,
        client: &Client,
    ) -> Result<StartedSession, SignInError> {
        if session.stage != SessionStage::SecondFactor {
            return Err(SignInError::WrongStage);
        }
        self.admit_attempt(client).await?;
        let staff = session.staff.id;
        let mut tx = self.app.db().begin().await?;
        let credential = tx.credential(staff).await?.ok_or(SignInError::WrongStage)?;
        let (username, org) = (&session.staff.username, Some(session.staff.org_id));
        if let Err(locked) = self.refuse_if_locked(&credential) {
            self.log_event(
                &mut tx,
                username,
                org,
                "sign_in_code",
                "refused:locked",
                Some(client),
            )
            .await?;
            tx.commit().await?;
            return Err(locked);
        }
        let secret = credential
            .totp_secret
            .as_deref()
            .ok_or(SignInError::WrongStage)
            .and_then(|stored| Ok(sealed::open(&self.app.sealing_key(), stored)?))?;
        let step = match secret.verify(code, self.now(), credential.totp_last_step) {
            Ok(step) => step,
            // Anything typed that is not the code counts towards the lock, well-formed or not.
            Err(refused) => {
                let failure = self
                    .count_failure(&mut tx, Lockable::Account(staff))
                    .await?;
                let what = match refused {
                    CodeRefused::Malformed => "malformed_code",
                    CodeRefused::Wrong => "wrong_code",
                    CodeRefused::Reused => "code_used",
                };
                let outcome = Self::failure_outcome(&failure, what);
                self.log_event(
                    &mut tx,
                    username,
                    org,
                    "sign_in_code",
                    &outcome,
                    Some(client),
                )
                .await?;
                tx.commit().await?;
                return Err(match failure {
                    SignInError::Locked { .. } => failure,
                    _ => SignInError::Code(refused),
                });
            }
        };
        if !tx.use_totp_step(staff, step).await? {
            self.log_event(
                &mut tx,
                username,
                org,
                "sign_in_code",
                "failed:code_used",
                Some(client),
            )
            .await?;
            tx.commit().await?;
            return Err(SignInError::Code(CodeRefused::Reused));
        }
        self.promote(tx, session, client).await
    }

    /// Ends the half-signed-in session and starts a fully signed-in one in its place.
    async fn promote(
        &self,
        mut tx: Tx,
        session: &CurrentSession,
        client: &Client,
    ) -> Result<StartedSession, SignInError> {
        let staff = session.staff.id;
        tx.clear_sign_in_failures(staff, self.now()).await?;
        tx.end_session(staff, session.id, "signed_in", self.now())
            .await?;
        let how = match session.stage {
            SessionStage::Enrolment => "signed_in:authenticator_enrolled",
            _ => "signed_in",
        };
        self.log_event(
            &mut tx,
            &session.staff.username,
            Some(session.staff.org_id),
            "sign_in_code",
            how,
            Some(client),
        )
        .await?;
        let verified = VerifiedSignIn {
            staff,
            provider: LOCAL_PROVIDER,
            stage: SessionStage::SignedIn,
        };
        let started = self.start_session_in(&mut tx, &verified, client).await?;
        tx.commit().await?;
        Ok(started)
    }

    /// A new authenticator secret for a session at enrolment. Each call makes a new one, so a secret is shown
    /// once only; it becomes the account's when confirmed with a code.
    pub async fn begin_enrolment(
        &self,
        session: &CurrentSession,
    ) -> Result<Enrolment, SignInError> {
        if session.stage != SessionStage::Enrolment {
            return Err(SignInError::WrongStage);
        }
        let secret = new_totp_secret();
        let mut tx = self.app.db().begin().await?;
        tx.set_pending_totp(
            session.staff.id,
            &sealed::seal(&self.app.sealing_key(), &secret),
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(Enrolment {
            secret_text: secret.to_base32_grouped(),
            uri: secret.otpauth_uri(TOTP_ISSUER, &session.staff.username),
        })
    }

    /// Confirms enrolment with a code from the new authenticator; the session is then fully signed in (with a
    /// new id).
    pub async fn confirm_enrolment(
        &self,
        session: &CurrentSession,
        code: &str,
        client: &Client,
    ) -> Result<StartedSession, SignInError> {
        if session.stage != SessionStage::Enrolment {
            return Err(SignInError::WrongStage);
        }
        self.admit_attempt(client).await?;
        let staff = session.staff.id;
        let mut tx = self.app.db().begin().await?;
        let credential = tx.credential(staff).await?.ok_or(SignInError::WrongStage)?;
        let secret = credential
            .totp_pending_secret
            .as_deref()
            .ok_or(SignInError::WrongStage)
            .and_then(|stored| Ok(sealed::open(&self.app.sealing_key(), stored)?))?;
        let step = match secret.verify(code, self.now(), None) {
            Ok(step) => step,
            Err(refused) => {
                let outcome = match refused {
                    CodeRefused::Malformed => "failed:malformed_code",
                    _ => "failed:wrong_code",
                };
                self.log_event(
                    &mut tx,
                    &session.staff.username,
                    Some(session.staff.org_id),
                    "sign_in_code",
                    outcome,
                    Some(client),
                )
                .await?;
                tx.commit().await?;
                return Err(SignInError::Code(refused));
            }
        };
        tx.activate_totp(
            staff,
            &sealed::seal(&self.app.sealing_key(), &secret),
            Some(step),
            self.now(),
        )
        .await?;
        self.promote(tx, session, client).await
    }

    /// Ends the session (signing out).
    pub async fn sign_out(&self, session: &CurrentSession) -> Result<(), SignInError> {
        let mut tx = self.app.db().begin().await?;
        if tx
            .end_session(session.staff.id, session.id, "signed_out", self.now())
            .await?
        {
            self.log_event(
                &mut tx,
                &session.staff.username,
                Some(session.staff.org_id),
                "sign_out",
                "signed_out",
                None,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The signed-in person's open sessions, newest first.
    pub async fn open_sessions(
        &self,
        session: &CurrentSession,
    ) -> Result<Vec<SessionSummary>, SignInError> {
        let mut tx = self.app.db().begin_read().await?;
        let rows = tx.open_sessions_of(session.staff.id).await?;
        tx.commit().await?;
        let now = self.now();
        Ok(rows
            .into_iter()
            .filter(|row| {
                self.policy
                    .sessions
                    .ended(row.stage, row.created_at, row.last_seen_at, now)
                    .is_none()
            })
            .map(|row| SessionSummary {
                current: row.id == session.id,
                id: row.id,
                created_at: row.created_at,
                last_seen_at: row.last_seen_at,
                address: row.address,
                user_agent: row.user_agent,
                stage: row.stage.as_str(),
            })
            .collect())
    }

    /// Ends one of the signed-in person's own sessions; `false` when they have no such open session.
    pub async fn revoke_session(
        &self,
        session: &CurrentSession,
        id: i64,
    ) -> Result<bool, SignInError> {
        let mut tx = self.app.db().begin().await?;
        let ended = tx
            .end_session(session.staff.id, id, "revoked", self.now())
            .await?;
        if ended {
            let outcome = if id == session.id {
                "revoked:this_session".to_owned()
            } else {
                format!("revoked:session_{id}")
            };
            self.log_event(
                &mut tx,
                &session.staff.username,
                Some(session.staff.org_id),
                "revoke_session",
                &outcome,
                None,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(ended)
    }

    /// The service account an API token belongs to, as the actor its requests act as. A token that is
    /// unknown, revoked or expired, or whose account is deactivated, is refused, and the refusal logged in the
    /// security part of the audit log (an unknown token by the hash prefix nothing else can use).
    pub async fn authenticate_api_token(
        &self,
        token: &Secret,
        client: &Client,
    ) -> Result<Actor, SignInError> {
        let now = self.now();
        let hash = token.hash();
        let mut tx = self.app.db().begin_read().await?;
        let row = tx.api_token_by_hash(&hash).await?;
        let staff = match &row {
            Some(row) => tx.staff_by_id(row.staff_id).await?,
            None => None,
        };
        tx.commit().await?;
        let (Some(row), Some(staff)) = (row, staff) else {
            // Enough of the hash to tell repeated tries of one token apart, not enough to be one.
            let who = format!("api_token:{}", &hash[..12]);
            return Err(self
                .refuse_token(&who, None, "refused:unknown_token", client)
                .await);
        };
        let refusal = match TokenStatus::at(row.revoked_at, row.expires_at, now) {
            TokenStatus::Revoked => Some("refused:revoked_token"),
            TokenStatus::Expired => Some("refused:expired_token"),
            TokenStatus::Active if !staff.active => Some("refused:account_deactivated"),
            TokenStatus::Active if staff.kind != "service" => Some("refused:not_a_service"),
            TokenStatus::Active => None,
        };
        if let Some(outcome) = refusal {
            return Err(self
                .refuse_token(&staff.username, Some(staff.org_id), outcome, client)
                .await);
        }
        if row
            .last_used_at
            .is_none_or(|at| now - at >= TOUCH_EVERY_SECONDS)
        {
            let mut tx = self.app.db().begin().await?;
            tx.touch_api_token(row.id, now).await?;
            tx.commit().await?;
        }
        Ok(Actor::Service {
            id: staff.id,
            name: staff.username,
            org: staff.org_id,
        })
    }

    /// Logs a refused API token; the error to answer with (or the failure to log, which fails the request).
    async fn refuse_token(
        &self,
        who: &str,
        org: Option<OrgId>,
        outcome: &str,
        client: &Client,
    ) -> SignInError {
        let logged = async {
            let mut tx = self.app.db().begin().await?;
            self.log_event(&mut tx, who, org, "api_token", outcome, Some(client))
                .await?;
            tx.commit().await?;
            Ok::<(), SignInError>(())
        };
        match logged.await {
            Ok(()) => SignInError::BadToken,
            Err(failed) => failed,
        }
    }

    /// Logs an `Authorization` header that does not hold a bearer token, as a refused token; the error to
    /// answer with.
    pub async fn refuse_malformed_token(&self, client: &Client) -> SignInError {
        self.refuse_token(
            "api_token:malformed",
            None,
            "refused:malformed_token",
            client,
        )
        .await
    }

    /// Issues an API token for the service account named `service_username`, living `lifetime`; the token is
    /// returned once and kept only as its hash.
    pub async fn issue_api_token(
        &self,
        actor: &Actor,
        service_username: &str,
        label: &str,
        lifetime: TokenLifetime,
    ) -> Result<IssuedToken> {
        crate::check_text(severn_domain::text::FreeText::TokenLabel, label)?;
        let mut tx = self.app.db().begin_read().await?;
        let found = tx.staff_by_username(service_username).await?;
        tx.commit().await?;
        let id = found
            .filter(|staff| staff.kind == "service")
            .ok_or_else(|| {
                AppError::NotFound(format!("no service account named {service_username:?}"))
            })?
            .id;
        let (_, token) = self
            .app
            .issue_staff_token(actor, id, label, lifetime)
            .await?;
        Ok(token)
    }

    /// Logs a form or API request refused because it did not carry the right CSRF token, under the session's
    /// account when there is one.
    pub async fn log_csrf_refusal(
        &self,
        session: Option<&CurrentSession>,
        client: &Client,
        path: &str,
    ) -> Result<(), SignInError> {
        let mut tx = self.app.db().begin().await?;
        let (who, org) = match session {
            Some(session) => (session.staff.username.as_str(), Some(session.staff.org_id)),
            None => ("unknown", None),
        };
        let path: String = path.chars().take(200).collect();
        let record = AuditRecord {
            at: self.now(),
            target: format!("account:{who}"),
            actor: who.to_owned(),
            org,
            processing: "security".to_owned(),
            action: "csrf".to_owned(),
            detail: Some(format!("{path} from {}", client.address)),
            ..AuditRecord::default()
        };
        self.app
            .gate
            .log_event(&mut tx, &record, "refused:csrf_token")
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a person's password (at least [`MIN_PASSWORD_CHARS`] characters). Clears any lock. Logged as
    /// staff management, without the password.
    pub async fn set_password(&self, actor: &Actor, staff: StaffId, password: &str) -> Result<()> {
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(AppError::Invalid(format!(
                "a password needs at least {MIN_PASSWORD_CHARS} characters"
            )));
        }
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(AppError::Invalid(format!(
                "a password may have at most {MAX_PASSWORD_BYTES} bytes"
            )));
        }
        let hash = hash_password(password).await?;
        let (mut tx, _) = self
            .app
            .authorise_credentials(actor, staff, "password set")
            .await?;
        tx.set_password_hash(staff, &hash, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Gives a person an authenticator secret without enrolment (for accounts set up by an administrator who
    /// hands the secret over in person, and the demo). Returns the secret, to be shown once. Logged as staff
    /// management, without the secret.
    pub async fn provision_totp(&self, actor: &Actor, staff: StaffId) -> Result<TotpSecret> {
        let secret = new_totp_secret();
        let (mut tx, _) = self
            .app
            .authorise_credentials(actor, staff, "authenticator provisioned")
            .await?;
        if tx.credential(staff).await?.is_none() {
            return Err(AppError::Invalid(
                "set a password before the authenticator".to_owned(),
            ));
        }
        tx.activate_totp(
            staff,
            &sealed::seal(&self.app.sealing_key(), &secret),
            None,
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(secret)
    }
}

pub(crate) fn new_totp_secret() -> TotpSecret {
    let mut bytes = [0u8; totp::SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    TotpSecret::from_bytes(bytes)
}

/// argon2id with the crate's defaults (19 MiB, 2 passes: OWASP's minimum), off the async threads.
pub(crate) async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| AppError::Invalid(format!("password could not be hashed: {e}")))
    })
    .await
    .map_err(|e| AppError::Invalid(format!("password hashing stopped: {e}")))?
}

/// Whether `password` matches the stored hash; an unreadable hash matches nothing.
async fn verify_password(password: &str, stored: &str) -> Result<bool> {
    let password = password.to_owned();
    let stored = stored.to_owned();
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|hash| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &hash)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .map_err(|e| AppError::Invalid(format!("password check stopped: {e}")))
}

/// A hash no password is known for, checked when the user name is unknown.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Argon2::default()
            .hash_password(hex_encode(&bytes).as_bytes())
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}
