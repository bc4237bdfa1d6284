//! The rules of signing in, as data and pure functions: how long a session lives, how lockout backs off, how
//! many sign-in attempts one address may make, and how secrets are kept at rest (hashed).
//!
//! The numbers are defaults a force may change; they live in [`IdentityPolicy`], not in the code that uses them.

use sha2::{Digest, Sha256};

/// The numbers that govern sign-in and sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityPolicy {
    pub sessions: SessionPolicy,
    pub lockout: LockoutPolicy,
    pub address_limit: RateLimit,
}

impl Default for IdentityPolicy {
    fn default() -> Self {
        IdentityPolicy {
            sessions: SessionPolicy {
                idle_seconds: 30 * 60,
                absolute_seconds: 12 * 60 * 60,
                // Enough to find the phone and type a code, not enough to leave a half-signed-in session about.
                second_factor_seconds: 5 * 60,
            },
            lockout: LockoutPolicy {
                free_failures: 5,
                first_lock_seconds: 60,
                longest_lock_seconds: 60 * 60,
            },
            address_limit: RateLimit {
                window_seconds: 5 * 60,
                max_attempts: 30,
            },
        }
    }
}

/// How long a session lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session not used for this long ends.
    pub idle_seconds: i64,
    /// A session ends this long after sign-in, however busy.
    pub absolute_seconds: i64,
    /// A session that has passed the password but not the second factor ends this long after it began.
    pub second_factor_seconds: i64,
}

/// Why a session is no longer good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    Idle,
    Absolute,
    Revoked,
}

impl SessionEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionEnd::Idle => "idle",
            SessionEnd::Absolute => "absolute",
            SessionEnd::Revoked => "revoked",
        }
    }

    pub fn explain(self) -> &'static str {
        match self {
            SessionEnd::Idle => "You were signed out because the session was not used for a while.",
            SessionEnd::Absolute => {
                "You were signed out because sessions last a working day at most."
            }
            SessionEnd::Revoked => "You were signed out because the session was ended.",
        }
    }
}

impl SessionPolicy {
    /// Whether a session begun at `created_at`, last used at `last_seen_at`, has ended by `now`.
    pub fn ended(
        &self,
        stage: SessionStage,
        created_at: i64,
        last_seen_at: i64,
        now: i64,
    ) -> Option<SessionEnd> {
        let lifetime = match stage {
            SessionStage::SignedIn => self.absolute_seconds,
            SessionStage::SecondFactor | SessionStage::Enrolment => self.second_factor_seconds,
        };
        if now >= created_at + lifetime {
            Some(SessionEnd::Absolute)
        } else if now >= last_seen_at + self.idle_seconds {
            Some(SessionEnd::Idle)
        } else {
            None
        }
    }
}

/// How far a session has got through sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStage {
    /// The password was right; the one-time code is still to come.
    SecondFactor,
    /// The password was right, and the account has no authenticator yet: it must enrol one first.
    Enrolment,
    /// Fully signed in.
    SignedIn,
}

impl SessionStage {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStage::SecondFactor => "second_factor",
            SessionStage::Enrolment => "enrolment",
            SessionStage::SignedIn => "signed_in",
        }
    }

    pub fn parse(text: &str) -> Option<SessionStage> {
        [
            SessionStage::SecondFactor,
            SessionStage::Enrolment,
            SessionStage::SignedIn,
        ]
        .into_iter()
        .find(|stage| stage.as_str() == text)
    }
}

/// Lockout with back-off: after `free_failures` wrong attempts in a row, the account is locked for
/// `first_lock_seconds`, doubling with every further failure up to `longest_lock_seconds`. Only a complete
/// sign-in (password and code) resets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub free_failures: u32,
    pub first_lock_seconds: i64,
    pub longest_lock_seconds: i64,
}

impl LockoutPolicy {
    /// Until when the account is locked after its `failures`th failure in a row at `at`, if it is.
    pub fn locked_until(&self, failures: u32, at: i64) -> Option<i64> {
        let beyond = failures.checked_sub(self.free_failures)?;
        let doublings = beyond.min(32);
        let lock = self
            .first_lock_seconds
            .saturating_mul(1i64 << doublings)
            .min(self.longest_lock_seconds);
        Some(at + lock)
    }
}

/// At most `max_attempts` sign-in attempts from one address in any `window_seconds`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    pub window_seconds: i64,
    pub max_attempts: i64,
}

impl RateLimit {
    /// The start of the window that ends at `now`.
    pub fn window_start(&self, now: i64) -> i64 {
        now - self.window_seconds
    }

    /// Whether one more attempt is allowed when `attempts_in_window` have been made.
    pub fn allows(&self, attempts_in_window: i64) -> bool {
        attempts_in_window < self.max_attempts
    }
}

/// How long an API token lives, chosen when it is issued: [`TokenLifetime::DEFAULT_DAYS`] unless said
/// otherwise, at most [`TokenLifetime::LONGEST_DAYS`]. A token that lives for ever is a key no one remembers
/// handing out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLifetime {
    days: i64,
}

impl TokenLifetime {
    pub const DEFAULT_DAYS: i64 = 90;
    pub const LONGEST_DAYS: i64 = 365;

    /// A lifetime of `days` days, refused outside 1 to [`TokenLifetime::LONGEST_DAYS`].
    pub fn days(days: i64) -> Result<TokenLifetime, String> {
        if (1..=Self::LONGEST_DAYS).contains(&days) {
            Ok(TokenLifetime { days })
        } else {
            Err(format!(
                "a token lives between 1 and {} days, not {days}",
                Self::LONGEST_DAYS
            ))
        }
    }

    /// When a token issued at `issued_at` stops working.
    pub fn expires_at(self, issued_at: i64) -> i64 {
        issued_at + self.days * 24 * 60 * 60
    }
}

impl Default for TokenLifetime {
    fn default() -> Self {
        TokenLifetime {
            days: Self::DEFAULT_DAYS,
        }
    }
}

/// Whether an API token works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    Active,
    Expired,
    Revoked,
}

impl TokenStatus {
    /// The status at `now` of a token revoked at `revoked_at` (if it was) that expires at `expires_at`.
    pub fn at(revoked_at: Option<i64>, expires_at: i64, now: i64) -> TokenStatus {
        if revoked_at.is_some() {
            TokenStatus::Revoked
        } else if now >= expires_at {
            TokenStatus::Expired
        } else {
            TokenStatus::Active
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TokenStatus::Active => "active",
            TokenStatus::Expired => "expired",
            TokenStatus::Revoked => "revoked",
        }
    }
}

/// How a secret bearer value (a session id, an API token) is kept at rest: SHA-256, hex. The values are 256
/// random bits, so a fast hash is enough: there is nothing to guess.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_end_when_idle_or_too_old() {
        let policy = IdentityPolicy::default().sessions;
        let signed_in = SessionStage::SignedIn;
        assert_eq!(policy.ended(signed_in, 0, 0, 29 * 60), None);
        assert_eq!(
            policy.ended(signed_in, 0, 0, 30 * 60),
            Some(SessionEnd::Idle)
        );
        // Busy all day still ends at twelve hours.
        let twelve_hours = 12 * 60 * 60;
        assert_eq!(
            policy.ended(signed_in, 0, twelve_hours - 1, twelve_hours - 1),
            None
        );
        assert_eq!(
            policy.ended(signed_in, 0, twelve_hours - 1, twelve_hours),
            Some(SessionEnd::Absolute)
        );
        // Half-way through sign-in, five minutes at most.
        assert_eq!(
            policy.ended(SessionStage::SecondFactor, 0, 4 * 60, 5 * 60),
            Some(SessionEnd::Absolute)
        );
    }

    #[test]
    fn lockout_backs_off_and_is_capped() {
        let policy = IdentityPolicy::default().lockout;
        assert_eq!(policy.locked_until(4, 1000), None);
        assert_eq!(policy.locked_until(5, 1000), Some(1060));
        assert_eq!(policy.locked_until(6, 1000), Some(1120));
        assert_eq!(policy.locked_until(7, 1000), Some(1240));
        assert_eq!(policy.locked_until(12, 1000), Some(1000 + 3600));
        assert_eq!(policy.locked_until(u32::MAX, 1000), Some(1000 + 3600));
    }

    #[test]
    fn rate_limit_counts_attempts_in_the_window() {
        let limit = RateLimit {
            window_seconds: 60,
            max_attempts: 3,
        };
        assert!(limit.allows(2));
        assert!(!limit.allows(3));
        assert_eq!(limit.window_start(100), 40);
    }

    #[test]
    fn stages_read_back_from_their_names() {
        for stage in [
            SessionStage::SecondFactor,
            SessionStage::Enrolment,
            SessionStage::SignedIn,
        ] {
            assert_eq!(SessionStage::parse(stage.as_str()), Some(stage));
        }
        assert_eq!(SessionStage::parse("admin"), None);
    }

    #[test]
    fn tokens_live_ninety_days_unless_chosen_and_a_year_at_most() {
        let day = 24 * 60 * 60;
        assert_eq!(TokenLifetime::default().expires_at(1000), 1000 + 90 * day);
        assert_eq!(TokenLifetime::days(7).unwrap().expires_at(0), 7 * day);
        assert!(TokenLifetime::days(365).is_ok());
        assert!(TokenLifetime::days(366).is_err());
        assert!(TokenLifetime::days(0).is_err());
        assert_eq!(TokenStatus::at(None, 100, 99), TokenStatus::Active);
        assert_eq!(TokenStatus::at(None, 100, 100), TokenStatus::Expired);
        assert_eq!(TokenStatus::at(Some(50), 100, 60), TokenStatus::Revoked);
    }

    #[test]
    fn secrets_are_hashed_with_sha256() {
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
