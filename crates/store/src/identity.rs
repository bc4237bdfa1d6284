//! Signing in: credentials and the second factor, server-side sessions, API tokens, sign-in attempts per address.
//!
//! Session ids and API tokens arrive here already hashed (see `severn_domain::identity::hash_secret`): the
//! database never holds a value that would let someone sign in.

use crate::Result;
use crate::conn::args;
use crate::decode;
use crate::rows::{ApiTokenRow, CredentialRow, NewApiToken, NewSession, SessionRow};
use crate::sql;
use crate::tx::Tx;
use severn_domain::ids::{OrgId, StaffId};

impl Tx {
    pub async fn credential(&mut self, staff: StaffId) -> Result<Option<CredentialRow>> {
        self.conn()
            .optional(sql::CREDENTIAL_OF_STAFF, &args![staff], decode::credential)
            .await
    }

    /// Sets (or replaces) a password hash; the failure count and any lock are cleared.
    pub async fn set_password_hash(&mut self, staff: StaffId, hash: &str, now: i64) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO credential (staff_id, password_hash, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (staff_id) DO UPDATE SET password_hash = excluded.password_hash, \
                 failed_attempts = 0, locked_until = NULL, updated_at = excluded.updated_at",
                &args![staff, hash, now],
            )
            .await?;
        Ok(())
    }

    /// Counts one more failure in a row and returns the new count.
    pub async fn count_sign_in_failure(&mut self, staff: StaffId, now: i64) -> Result<i64> {
        self.conn()
            .one(
                "UPDATE credential SET failed_attempts = failed_attempts + 1, updated_at = $2 \
                 WHERE staff_id = $1 RETURNING failed_attempts",
                &args![staff, now],
                |r| r.i64(0),
            )
            .await
    }

    pub async fn lock_credential(&mut self, staff: StaffId, until: i64) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE credential SET locked_until = $2 WHERE staff_id = $1",
                &args![staff, until],
            )
            .await?;
        Ok(())
    }

    pub async fn clear_sign_in_failures(&mut self, staff: StaffId, now: i64) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE credential SET failed_attempts = 0, locked_until = NULL, updated_at = $2 WHERE staff_id = $1",
                &args![staff, now],
            )
            .await?;
        Ok(())
    }

    /// Until when a user name that is no account's is locked, if it has ever failed (keyed by the name's
    /// pseudonym).
    pub async fn unknown_name_locked_until(&mut self, pseudonym: &str) -> Result<Option<i64>> {
        let until = self
            .conn()
            .optional(
                "SELECT locked_until FROM unknown_name_lock WHERE name_pseudonym = $1",
                &args![pseudonym],
                |r| r.opt_i64(0),
            )
            .await?;
        Ok(until.flatten())
    }

    /// Counts one more failure for a user name that is no account's and returns the new count, as
    /// [`Tx::count_sign_in_failure`] does for an account.
    pub async fn count_unknown_name_failure(&mut self, pseudonym: &str, now: i64) -> Result<i64> {
        self.conn()
            .one(
                "INSERT INTO unknown_name_lock (name_pseudonym, failed_attempts, updated_at) VALUES ($1, 1, $2) \
                 ON CONFLICT (name_pseudonym) DO UPDATE \
                 SET failed_attempts = unknown_name_lock.failed_attempts + 1, updated_at = excluded.updated_at \
                 RETURNING failed_attempts",
                &args![pseudonym, now],
                |r| r.i64(0),
            )
            .await
    }

    pub async fn lock_unknown_name(&mut self, pseudonym: &str, until: i64) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE unknown_name_lock SET locked_until = $2 WHERE name_pseudonym = $1",
                &args![pseudonym, until],
            )
            .await?;
        Ok(())
    }

    /// Keeps a secret being enrolled (replacing any earlier one that was never confirmed).
    pub async fn set_pending_totp(
        &mut self,
        staff: StaffId,
        secret_hex: &str,
        now: i64,
    ) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE credential SET totp_pending_secret = $2, updated_at = $3 WHERE staff_id = $1",
                &args![staff, secret_hex, now],
            )
            .await?;
        Ok(())
    }

    /// Makes `secret_hex` the account's authenticator, with the step of the code that confirmed it (if one did)
    /// as its last used step.
    pub async fn activate_totp(
        &mut self,
        staff: StaffId,
        secret_hex: &str,
        last_used_step: Option<i64>,
        now: i64,
    ) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE credential SET totp_secret = $2, totp_last_step = $3, totp_pending_secret = NULL, \
                 updated_at = $4 WHERE staff_id = $1",
                &args![staff, secret_hex, last_used_step, now],
            )
            .await?;
        Ok(())
    }

    /// Records `step` as used, only if it is later than the last used one; `false` when it was not (the
    /// code was used already, perhaps by a request racing this one).
    pub async fn use_totp_step(&mut self, staff: StaffId, step: i64) -> Result<bool> {
        let done = self
            .conn()
            .execute(
                "UPDATE credential SET totp_last_step = $2 \
                 WHERE staff_id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
                &args![staff, step],
            )
            .await?;
        Ok(done == 1)
    }

    pub async fn insert_session(&mut self, s: &NewSession) -> Result<i64> {
        self.conn()
            .one(
                "INSERT INTO session (token_hash, staff_id, stage, provider, csrf_token, created_at, last_seen_at, \
                 address, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8) RETURNING id",
                &args![
                    &s.token_hash,
                    s.staff_id,
                    s.stage.as_str(),
                    &s.provider,
                    &s.csrf_token,
                    s.created_at,
                    &s.address,
                    &s.user_agent
                ],
                |r| r.i64(0),
            )
            .await
    }

    /// A person's sessions that have not ended, newest first.
    pub async fn open_sessions_of(&mut self, staff: StaffId) -> Result<Vec<SessionRow>> {
        self.conn()
            .all(sql::OPEN_SESSIONS_OF_STAFF, &args![staff], decode::session)
            .await
    }

    pub async fn touch_session(&mut self, id: i64, now: i64) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE session SET last_seen_at = $2 WHERE id = $1",
                &args![id, now],
            )
            .await?;
        Ok(())
    }

    /// Ends a session of `staff`; `false` when they have no open session `id`.
    pub async fn end_session(
        &mut self,
        staff: StaffId,
        id: i64,
        reason: &str,
        now: i64,
    ) -> Result<bool> {
        let done = self
            .conn()
            .execute(
                "UPDATE session SET ended_at = $3, end_reason = $4 \
                 WHERE id = $1 AND staff_id = $2 AND ended_at IS NULL",
                &args![id, staff, now, reason],
            )
            .await?;
        Ok(done == 1)
    }

    /// Ends every open session of `staff` (when their account is deactivated); returns how many.
    pub async fn end_sessions_of(&mut self, staff: StaffId, reason: &str, now: i64) -> Result<u64> {
        self.conn()
            .execute(
                "UPDATE session SET ended_at = $2, end_reason = $3 WHERE staff_id = $1 AND ended_at IS NULL",
                &args![staff, now, reason],
            )
            .await
    }

    pub async fn insert_api_token(&mut self, t: &NewApiToken<'_>) -> Result<i64> {
        self.conn()
            .one(
                "INSERT INTO api_token (token_hash, staff_id, label, created_by, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &args![
                    t.token_hash,
                    t.staff_id,
                    t.label,
                    t.created_by,
                    t.created_at,
                    t.expires_at
                ],
                |r| r.i64(0),
            )
            .await
    }

    pub async fn api_token_by_id(&mut self, id: i64) -> Result<Option<ApiTokenRow>> {
        self.conn()
            .optional(sql::API_TOKEN_BY_ID, &args![id], decode::api_token)
            .await
    }

    /// The tokens of one account, newest first.
    pub async fn api_tokens_of(&mut self, staff: StaffId) -> Result<Vec<ApiTokenRow>> {
        self.conn()
            .all(sql::API_TOKENS_OF_STAFF, &args![staff], decode::api_token)
            .await
    }

    /// The tokens of every account of one organisation, newest first.
    pub async fn api_tokens_in_org(&mut self, org: OrgId) -> Result<Vec<ApiTokenRow>> {
        self.conn()
            .all(sql::API_TOKENS_IN_ORG, &args![org], decode::api_token)
            .await
    }

    /// Revokes one token; `false` when it was revoked already.
    pub async fn revoke_api_token(&mut self, id: i64, now: i64) -> Result<bool> {
        let done = self
            .conn()
            .execute(
                "UPDATE api_token SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                &args![id, now],
            )
            .await?;
        Ok(done == 1)
    }

    /// Revokes every token of `staff` not revoked already (when the account is deactivated); returns how many.
    pub async fn revoke_api_tokens_of(&mut self, staff: StaffId, now: i64) -> Result<u64> {
        self.conn()
            .execute(
                "UPDATE api_token SET revoked_at = $2 WHERE staff_id = $1 AND revoked_at IS NULL",
                &args![staff, now],
            )
            .await
    }

    pub async fn api_token_by_hash(&mut self, token_hash: &str) -> Result<Option<ApiTokenRow>> {
        self.conn()
            .optional(
                sql::API_TOKEN_BY_HASH,
                &args![token_hash],
                decode::api_token,
            )
            .await
    }

    pub async fn touch_api_token(&mut self, id: i64, now: i64) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE api_token SET last_used_at = $2 WHERE id = $1",
                &args![id, now],
            )
            .await?;
        Ok(())
    }

    /// Records a sign-in attempt from `address` and returns how many it has made since `since` (this one
    /// included). Attempts older than `since` are forgotten on the way.
    pub async fn count_sign_in_attempt(
        &mut self,
        address: &str,
        now: i64,
        since: i64,
    ) -> Result<i64> {
        let mut conn = self.conn();
        conn.execute(
            "DELETE FROM sign_in_attempt WHERE address = $1 AND at <= $2",
            &args![address, since],
        )
        .await?;
        conn.execute(
            "INSERT INTO sign_in_attempt (address, at) VALUES ($1, $2)",
            &args![address, now],
        )
        .await?;
        conn.one(
            "SELECT COUNT(*) FROM sign_in_attempt WHERE address = $1 AND at > $2",
            &args![address, since],
            |r| r.i64(0),
        )
        .await
    }
}
