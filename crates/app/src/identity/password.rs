//! The first step of local sign-in, a user name and password (argon2id), and setting a password.

use super::lockout::Lockable;
use super::secret::hex_encode;
use super::{Client, Identity, LOCAL_PROVIDER, SignInError, StartedSession, VerifiedSignIn};
use crate::{AppError, Result};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::RngCore;
use severn_domain::access::{Actor, StaffKind};
use severn_domain::identity::SessionStage;
use severn_domain::ids::StaffId;
use severn_store::Tx;
use std::sync::OnceLock;

/// Passwords shorter than this are refused when set.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Longer passwords are refused, so that hashing one stays cheap.
pub const MAX_PASSWORD_BYTES: usize = 1024;

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

impl Identity {
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
            Some(staff) if staff.active && staff.kind == StaffKind::Person => {
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
}
