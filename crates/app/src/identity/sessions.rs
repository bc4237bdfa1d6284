//! Server-side sessions: starting one for a verified person, resuming it on each request, listing and ending
//! a person's own, and logging requests refused for a missing CSRF token.

use super::secret::Secret;
use super::{
    Client, CurrentSession, Identity, SignInError, StartedSession, TOUCH_EVERY_SECONDS,
    VerifiedSignIn,
};
use crate::time::instant;
use jiff::Timestamp;
use severn_domain::access::{Actor, Processing};
use severn_domain::identity::SessionEnd;
use severn_store::{AuditRecord, NewSession, SessionRow, Tx};

/// One of a person's open sessions, for the list they can revoke from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SessionSummary {
    pub id: i64,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub address: String,
    pub user_agent: String,
    pub stage: &'static str,
    /// The session this list was asked for in.
    pub current: bool,
}

impl Identity {
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

    pub(super) async fn start_session_in(
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
            csrf_token: Secret::generate().expose().to_owned(),
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
        let Some((session, staff)) = self.app.db().session_and_staff(&token.hash()).await? else {
            return Err(SignInError::NotSignedIn);
        };
        if session.ended_at.is_some() {
            return Err(SignInError::SessionEnded(SessionEnd::Revoked));
        }
        let ended = self.policy.sessions.ended(
            session.stage,
            session.created_at,
            session.last_seen_at,
            now,
        );
        let staff = match (ended, staff) {
            (None, staff) if staff.active => staff,
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
                created_at: instant(row.created_at),
                last_seen_at: instant(row.last_seen_at),
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
            processing: Processing::Security,
            action: "csrf".to_owned(),
            justification: None,
            recipients: None,
            detail: Some(format!("{path} from {}", client.address)),
        };
        self.app
            .gate
            .log_event(&mut tx, &record, "refused:csrf_token")
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
