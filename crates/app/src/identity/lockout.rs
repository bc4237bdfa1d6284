//! Counting wrong attempts: the per-address limit on sign-in attempts, and the lock with back-off on an
//! account (or on a user name that is no account's, so that a lock does not say whether the name exists).

use super::{Client, Identity, SignInError};
use crate::Result;
use severn_domain::ids::StaffId;
use severn_store::{CredentialRow, Tx};

/// What wrong attempts are counted against: an account, or a user name that is no account's (by its
/// pseudonym).
#[derive(Debug, Clone, Copy)]
pub(super) enum Lockable<'a> {
    Account(StaffId),
    UnknownName(&'a str),
}

impl Identity {
    /// Counts an attempt from `client`'s address and refuses it when the address is over its limit. The count
    /// is committed whatever happens next.
    pub(super) async fn admit_attempt(&self, client: &Client) -> Result<(), SignInError> {
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

    pub(super) fn refuse_if_locked(&self, credential: &CredentialRow) -> Result<(), SignInError> {
        match credential.locked_until {
            Some(until) if until > self.now() => Err(SignInError::Locked {
                minutes: (until - self.now() + 59) / 60,
            }),
            _ => Ok(()),
        }
    }

    /// The audit outcome of a refused password or code: `failed:WHAT`, or `locked:WHAT` when this failure
    /// locked the account.
    pub(super) fn failure_outcome(refusal: &SignInError, what: &str) -> String {
        match refusal {
            SignInError::Locked { .. } => format!("locked:{what}"),
            _ => format!("failed:{what}"),
        }
    }

    /// Counts a wrong password or code; says the account (or the unknown name) is locked when this failure
    /// locked it.
    pub(super) async fn count_failure(
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
}
