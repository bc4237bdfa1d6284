//! The second factor: checking an authenticator code (TOTP), enrolling a new authenticator, and one given by
//! an administrator. A right code ends the half-signed-in session and starts a fully signed-in one.

use super::lockout::Lockable;
use super::{
    Client, CurrentSession, Identity, LOCAL_PROVIDER, SignInError, StartedSession, VerifiedSignIn,
};
use crate::{AppError, Result, sealed};
use rand::RngCore;
use severn_domain::access::Actor;
use severn_domain::identity::SessionStage;
use severn_domain::ids::StaffId;
use severn_domain::totp::{self, CodeRefused, TotpSecret};
use severn_store::Tx;

/// The issuer name authenticator apps show next to the account.
pub const TOTP_ISSUER: &str = "Severn";

/// A secret being enrolled, shown once.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// The secret in groups of four, for typing into an app.
    pub secret_text: String,
    /// The `otpauth://` URI, for apps that read one.
    pub uri: String,
}

pub(crate) fn new_totp_secret() -> TotpSecret {
    let mut bytes = [0u8; totp::SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    TotpSecret::from_bytes(bytes)
}

impl Identity {
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
