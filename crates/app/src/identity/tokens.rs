//! API tokens of service accounts: checking a presented token (refusals logged), and issuing one.

use super::secret::Secret;
use super::{Client, Identity, SignInError, TOUCH_EVERY_SECONDS};
use crate::admin::IssuedToken;
use crate::{AppError, Result};
use severn_domain::access::{Actor, StaffKind};
use severn_domain::identity::{TokenLifetime, TokenStatus};
use severn_domain::ids::OrgId;

impl Identity {
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
            TokenStatus::Active if staff.kind != StaffKind::Service => {
                Some("refused:not_a_service")
            }
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
            .filter(|staff| staff.kind == StaffKind::Service)
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
}
