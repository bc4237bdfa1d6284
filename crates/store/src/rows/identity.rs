//! Signing in: credentials, sessions and API tokens as stored.

use severn_domain::identity::SessionStage;
use severn_domain::ids::StaffId;

/// A member of staff's local credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRow {
    pub staff_id: StaffId,
    /// argon2id in the PHC string format.
    pub password_hash: String,
    /// The confirmed authenticator secret (hex).
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
    /// A secret shown during enrolment and not yet confirmed.
    pub totp_pending_secret: Option<String>,
    pub failed_attempts: i64,
    pub locked_until: Option<i64>,
}

/// A session to store.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: String,
    pub staff_id: StaffId,
    pub stage: SessionStage,
    pub provider: String,
    pub csrf_token: String,
    pub created_at: i64,
    pub address: String,
    pub user_agent: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: i64,
    pub staff_id: StaffId,
    pub stage: SessionStage,
    pub provider: String,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub address: String,
    pub user_agent: String,
    pub ended_at: Option<i64>,
    pub end_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRow {
    pub id: i64,
    pub staff_id: StaffId,
    pub label: String,
    pub created_by: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// The token is refused from this time on.
    pub expires_at: i64,
}

/// An API token to store.
#[derive(Debug, Clone)]
pub struct NewApiToken<'a> {
    pub token_hash: &'a str,
    pub staff_id: StaffId,
    pub label: &'a str,
    pub created_by: &'a str,
    pub created_at: i64,
    pub expires_at: i64,
}
