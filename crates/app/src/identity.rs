//! Who is signed in: local passwords (argon2id) with an authenticator code (TOTP) for every person, server-side
//! sessions, lockout with back-off, per-address limits on sign-in attempts, and API tokens for service accounts.
//!
//! Proving who someone is and keeping them signed in are separate steps. [`Identity::sign_in_with_password`]
//! and the code check are the local way of proving it; every way ends in [`Identity::start_session`] with a
//! [`VerifiedSignIn`] naming the provider. An OpenID Connect provider (a force's Entra ID) would verify its ID
//! token, find the member of staff it names and start a session the same way, with no change to sessions,
//! CSRF protection or the web pages behind sign-in.
//!
//! This module holds what every step shares (the outcomes, the current session, the security log entry);
//! each step lives in its own file: [`password`], [`authenticator`] (the second factor and enrolment),
//! [`lockout`] (counting wrong attempts), [`sessions`], [`tokens`] (API tokens) and [`secret`].

mod authenticator;
mod lockout;
mod password;
mod secret;
mod sessions;
mod tokens;

pub(crate) use authenticator::new_totp_secret;
pub use authenticator::{Enrolment, TOTP_ISSUER};
pub(crate) use password::hash_password;
pub use password::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};
pub use secret::Secret;
pub use sessions::SessionSummary;

use crate::{App, AppError};
use severn_domain::access::{Actor, Processing};
use severn_domain::identity::{IdentityPolicy, SessionEnd, SessionStage};
use severn_domain::ids::{OrgId, StaffId};
use severn_domain::totp::CodeRefused;
use severn_store::{AuditRecord, StaffRow, Tx};

/// A session's last-seen time (and an API token's last use) is written at most this often: reading a page
/// should not always write.
const TOUCH_EVERY_SECONDS: i64 = 60;
/// The provider name of local passwords with an authenticator code.
const LOCAL_PROVIDER: &str = "local";

/// Where a request came from, as recorded with a session and counted for rate limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub address: String,
    pub user_agent: String,
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
            processing: Processing::Security,
            action: action.to_owned(),
            justification: None,
            recipients: None,
            detail: client.map(|c| format!("from {}", c.address)),
        };
        self.app.gate.log_event(tx, &record, outcome).await?;
        Ok(())
    }
}
