//! Signing in: credentials and the second factor, server-side sessions, API tokens, sign-in attempts per address.
//!
//! Session ids and API tokens arrive here already hashed (see `severn_domain::identity::hash_secret`): the
//! database never holds a value that would let someone sign in.

use crate::Result;
use crate::decode;
use crate::rows::{ApiTokenRow, CredentialRow, NewApiToken, NewSession, SessionRow};
use crate::sql::{API_TOKEN_COLUMNS, CREDENTIAL_COLUMNS, SESSION_COLUMNS};
use crate::tx::{Tx, on};
use severn_domain::ids::{OrgId, StaffId};

impl Tx {
    pub async fn credential(&mut self, staff: StaffId) -> Result<Option<CredentialRow>> {
        on!(self, conn => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {CREDENTIAL_COLUMNS} FROM credential WHERE staff_id = $1"
            )))
            .bind(staff.0)
            .fetch_optional(&mut *conn)
            .await?;
            row.as_ref().map(decode::credential).transpose()
        })
    }

    /// Sets (or replaces) a password hash; the failure count and any lock are cleared.
    pub async fn set_password_hash(&mut self, staff: StaffId, hash: &str, now: i64) -> Result<()> {
        on!(self, conn => {
            sqlx::query(
                "INSERT INTO credential (staff_id, password_hash, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (staff_id) DO UPDATE SET password_hash = excluded.password_hash, \
                 failed_attempts = 0, locked_until = NULL, updated_at = excluded.updated_at",
            )
            .bind(staff.0)
            .bind(hash)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Counts one more failure in a row and returns the new count.
    pub async fn count_sign_in_failure(&mut self, staff: StaffId, now: i64) -> Result<i64> {
        on!(self, conn => {
            let failures: i64 = sqlx::query_scalar(
                "UPDATE credential SET failed_attempts = failed_attempts + 1, updated_at = $2 \
                 WHERE staff_id = $1 RETURNING failed_attempts",
            )
            .bind(staff.0)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?;
            Ok(failures)
        })
    }

    pub async fn lock_credential(&mut self, staff: StaffId, until: i64) -> Result<()> {
        on!(self, conn => {
            sqlx::query("UPDATE credential SET locked_until = $2 WHERE staff_id = $1")
                .bind(staff.0)
                .bind(until)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    pub async fn clear_sign_in_failures(&mut self, staff: StaffId, now: i64) -> Result<()> {
        on!(self, conn => {
            sqlx::query(
                "UPDATE credential SET failed_attempts = 0, locked_until = NULL, updated_at = $2 WHERE staff_id = $1",
            )
            .bind(staff.0)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Until when a user name that is no account's is locked, if it has ever failed (keyed by the name's
    /// pseudonym).
    pub async fn unknown_name_locked_until(&mut self, pseudonym: &str) -> Result<Option<i64>> {
        on!(self, conn => {
            let until: Option<Option<i64>> = sqlx::query_scalar(
                "SELECT locked_until FROM unknown_name_lock WHERE name_pseudonym = $1",
            )
            .bind(pseudonym)
            .fetch_optional(&mut *conn)
            .await?;
            Ok(until.flatten())
        })
    }

    /// Counts one more failure for a user name that is no account's and returns the new count, as
    /// [`Tx::count_sign_in_failure`] does for an account.
    pub async fn count_unknown_name_failure(&mut self, pseudonym: &str, now: i64) -> Result<i64> {
        on!(self, conn => {
            let failures: i64 = sqlx::query_scalar(
                "INSERT INTO unknown_name_lock (name_pseudonym, failed_attempts, updated_at) VALUES ($1, 1, $2) \
                 ON CONFLICT (name_pseudonym) DO UPDATE \
                 SET failed_attempts = unknown_name_lock.failed_attempts + 1, updated_at = excluded.updated_at \
                 RETURNING failed_attempts",
            )
            .bind(pseudonym)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?;
            Ok(failures)
        })
    }

    pub async fn lock_unknown_name(&mut self, pseudonym: &str, until: i64) -> Result<()> {
        on!(self, conn => {
            sqlx::query("UPDATE unknown_name_lock SET locked_until = $2 WHERE name_pseudonym = $1")
                .bind(pseudonym)
                .bind(until)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    /// Keeps a secret being enrolled (replacing any earlier one that was never confirmed).
    pub async fn set_pending_totp(
        &mut self,
        staff: StaffId,
        secret_hex: &str,
        now: i64,
    ) -> Result<()> {
        on!(self, conn => {
            sqlx::query(
                "UPDATE credential SET totp_pending_secret = $2, updated_at = $3 WHERE staff_id = $1",
            )
            .bind(staff.0)
            .bind(secret_hex)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        });
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
        on!(self, conn => {
            sqlx::query(
                "UPDATE credential SET totp_secret = $2, totp_last_step = $3, totp_pending_secret = NULL, \
                 updated_at = $4 WHERE staff_id = $1",
            )
            .bind(staff.0)
            .bind(secret_hex)
            .bind(last_used_step)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Records `step` as used, only if it is later than the last used one; `false` when it was not (the
    /// code was used already, perhaps by a request racing this one).
    pub async fn use_totp_step(&mut self, staff: StaffId, step: i64) -> Result<bool> {
        on!(self, conn => {
            let done = sqlx::query(
                "UPDATE credential SET totp_last_step = $2 \
                 WHERE staff_id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
            )
            .bind(staff.0)
            .bind(step)
            .execute(&mut *conn)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    pub async fn insert_session(&mut self, s: &NewSession) -> Result<i64> {
        on!(self, conn => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO session (token_hash, staff_id, stage, provider, csrf_token, created_at, last_seen_at, \
                 address, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8) RETURNING id",
            )
            .bind(s.token_hash.as_str())
            .bind(s.staff_id.0)
            .bind(s.stage.as_str())
            .bind(s.provider.as_str())
            .bind(s.csrf_token.as_str())
            .bind(s.created_at)
            .bind(s.address.as_str())
            .bind(s.user_agent.as_str())
            .fetch_one(&mut *conn)
            .await?;
            Ok(id)
        })
    }

    /// A person's sessions that have not ended, newest first.
    pub async fn open_sessions_of(&mut self, staff: StaffId) -> Result<Vec<SessionRow>> {
        on!(self, conn => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {SESSION_COLUMNS} FROM session WHERE staff_id = $1 AND ended_at IS NULL \
                 ORDER BY created_at DESC, id DESC"
            )))
            .bind(staff.0)
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(decode::session).collect()
        })
    }

    pub async fn touch_session(&mut self, id: i64, now: i64) -> Result<()> {
        on!(self, conn => {
            sqlx::query("UPDATE session SET last_seen_at = $2 WHERE id = $1")
                .bind(id)
                .bind(now)
                .execute(&mut *conn)
                .await?;
        });
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
        on!(self, conn => {
            let done = sqlx::query(
                "UPDATE session SET ended_at = $3, end_reason = $4 \
                 WHERE id = $1 AND staff_id = $2 AND ended_at IS NULL",
            )
            .bind(id)
            .bind(staff.0)
            .bind(now)
            .bind(reason)
            .execute(&mut *conn)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Ends every open session of `staff` (when their account is deactivated); returns how many.
    pub async fn end_sessions_of(&mut self, staff: StaffId, reason: &str, now: i64) -> Result<u64> {
        on!(self, conn => {
            let done = sqlx::query(
                "UPDATE session SET ended_at = $2, end_reason = $3 WHERE staff_id = $1 AND ended_at IS NULL",
            )
            .bind(staff.0)
            .bind(now)
            .bind(reason)
            .execute(&mut *conn)
            .await?;
            Ok(done.rows_affected())
        })
    }

    pub async fn insert_api_token(&mut self, t: &NewApiToken<'_>) -> Result<i64> {
        on!(self, conn => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO api_token (token_hash, staff_id, label, created_by, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(t.token_hash)
            .bind(t.staff_id.0)
            .bind(t.label)
            .bind(t.created_by)
            .bind(t.created_at)
            .bind(t.expires_at)
            .fetch_one(&mut *conn)
            .await?;
            Ok(id)
        })
    }

    pub async fn api_token_by_id(&mut self, id: i64) -> Result<Option<ApiTokenRow>> {
        on!(self, conn => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {API_TOKEN_COLUMNS} FROM api_token WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
            row.as_ref().map(decode::api_token).transpose()
        })
    }

    /// The tokens of one account, newest first.
    pub async fn api_tokens_of(&mut self, staff: StaffId) -> Result<Vec<ApiTokenRow>> {
        on!(self, conn => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {API_TOKEN_COLUMNS} FROM api_token WHERE staff_id = $1 \
                 ORDER BY created_at DESC, id DESC"
            )))
            .bind(staff.0)
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(decode::api_token).collect()
        })
    }

    /// The tokens of every account of one organisation, newest first.
    pub async fn api_tokens_in_org(&mut self, org: OrgId) -> Result<Vec<ApiTokenRow>> {
        on!(self, conn => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {API_TOKEN_COLUMNS} FROM api_token \
                 WHERE staff_id IN (SELECT id FROM staff WHERE org_id = $1) \
                 ORDER BY created_at DESC, id DESC"
            )))
            .bind(org.0)
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(decode::api_token).collect()
        })
    }

    /// Revokes one token; `false` when it was revoked already.
    pub async fn revoke_api_token(&mut self, id: i64, now: i64) -> Result<bool> {
        on!(self, conn => {
            let done = sqlx::query(
                "UPDATE api_token SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Revokes every token of `staff` not revoked already (when the account is deactivated); returns how many.
    pub async fn revoke_api_tokens_of(&mut self, staff: StaffId, now: i64) -> Result<u64> {
        on!(self, conn => {
            let done = sqlx::query(
                "UPDATE api_token SET revoked_at = $2 WHERE staff_id = $1 AND revoked_at IS NULL",
            )
            .bind(staff.0)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            Ok(done.rows_affected())
        })
    }

    pub async fn api_token_by_hash(&mut self, token_hash: &str) -> Result<Option<ApiTokenRow>> {
        on!(self, conn => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {API_TOKEN_COLUMNS} FROM api_token WHERE token_hash = $1"
            )))
            .bind(token_hash)
            .fetch_optional(&mut *conn)
            .await?;
            row.as_ref().map(decode::api_token).transpose()
        })
    }

    pub async fn touch_api_token(&mut self, id: i64, now: i64) -> Result<()> {
        on!(self, conn => {
            sqlx::query("UPDATE api_token SET last_used_at = $2 WHERE id = $1")
                .bind(id)
                .bind(now)
                .execute(&mut *conn)
                .await?;
        });
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
        on!(self, conn => {
            sqlx::query("DELETE FROM sign_in_attempt WHERE address = $1 AND at <= $2")
                .bind(address)
                .bind(since)
                .execute(&mut *conn)
                .await?;
            sqlx::query("INSERT INTO sign_in_attempt (address, at) VALUES ($1, $2)")
                .bind(address)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            let count: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM sign_in_attempt WHERE address = $1 AND at > $2",
            )
            .bind(address)
            .bind(since)
            .fetch_one(&mut *conn)
            .await?;
            Ok(count)
        })
    }
}
