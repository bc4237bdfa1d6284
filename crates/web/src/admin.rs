//! Staff administration for administrators: the organisation's staff, adding a person or a service account,
//! deactivating and reactivating an account, resetting a person's password and authenticator, and issuing and
//! revoking API tokens. New credentials are shown once, on the page that answers the form, and never again.
//! Adding an account with a role that needs a second administrator, or resetting one, files a request that the
//! staff page lists for another administrator to approve or reject (see `severn_app::approval`).

use crate::WebState;
use crate::error::PageError;
use crate::session::{Posted, SignedIn, UserBar};
use crate::signin::{render, when};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use severn_app::AppError;
use severn_app::admin::IssuedCredentials;
use severn_app::approval::{Change, describe};
use severn_app::staff::StaffSpec;
use severn_app::time::instant;
use severn_domain::access::{Role, StaffKind};
use severn_domain::identity::TokenLifetime;
use severn_domain::ids::StaffId;
use severn_store::{StaffChangeKind, StaffChangeRow};
use std::collections::BTreeMap;

fn failed(error: AppError, user: &UserBar) -> Response {
    PageError::from(error).for_user(user).into_response()
}

struct StaffLine {
    id: i64,
    username: String,
    display_name: String,
    service: bool,
    roles: String,
    active: bool,
    added: String,
    /// The administrator themselves: they cannot deactivate their own account.
    is_me: bool,
}

struct RoleChoice {
    value: &'static str,
    label: &'static str,
}

struct TokenLine {
    id: i64,
    account: String,
    label: String,
    created: String,
    created_by: String,
    expires: String,
    last_used: String,
    /// `Active`, `Expired` or `Revoked on …`.
    status: String,
    active: bool,
}

/// A change waiting for a second administrator.
struct RequestLine {
    id: i64,
    what: String,
    asked_by: String,
    asked: String,
    expires: String,
    /// The administrator asked for it themselves: they may withdraw it, not approve it.
    mine: bool,
}

#[derive(Template)]
#[template(path = "staff.html")]
struct StaffPage<'a> {
    user: Option<&'a UserBar>,
    staff: Vec<StaffLine>,
    requests: Vec<RequestLine>,
    roles: Vec<RoleChoice>,
    tokens: Vec<TokenLine>,
    default_token_days: i64,
    longest_token_days: i64,
}

pub async fn staff(State(state): State<WebState>, signed_in: SignedIn) -> Response {
    let rows = match state.app.list_staff(signed_in.actor()).await {
        Ok(rows) => rows,
        Err(e) => return failed(e, &signed_in.user),
    };
    let tokens = match state.app.api_tokens(signed_in.actor(), None).await {
        Ok(tokens) => tokens,
        Err(e) => return failed(e, &signed_in.user),
    };
    let requests = match state.app.pending_staff_changes(signed_in.actor()).await {
        Ok(requests) => requests,
        Err(e) => return failed(e, &signed_in.user),
    };
    let me = signed_in.actor().staff_id();
    render(
        StatusCode::OK,
        &StaffPage {
            user: Some(&signed_in.user),
            staff: rows
                .into_iter()
                .map(|s| StaffLine {
                    id: s.id.0,
                    is_me: Some(s.id) == me,
                    service: s.kind == StaffKind::Service,
                    roles: s
                        .roles
                        .iter()
                        .map(|r| r.label())
                        .collect::<Vec<_>>()
                        .join(", "),
                    username: s.username,
                    display_name: s.display_name,
                    active: s.active,
                    added: when(instant(s.created_at)),
                })
                .collect(),
            requests: requests
                .iter()
                .map(|c| RequestLine {
                    id: c.id,
                    what: describe(c),
                    asked_by: c.requested_by_name.clone(),
                    asked: when(instant(c.requested_at)),
                    expires: when(instant(c.expires_at)),
                    mine: Some(c.requested_by) == me,
                })
                .collect(),
            roles: Role::ALL
                .into_iter()
                .map(|r| RoleChoice {
                    value: r.as_str(),
                    label: r.label(),
                })
                .collect(),
            tokens: tokens
                .into_iter()
                .map(|t| TokenLine {
                    status: match t.revoked_at {
                        Some(at) => format!("Revoked {}", when(at)),
                        None if t.status == "expired" => "Expired".to_owned(),
                        None => "Active".to_owned(),
                    },
                    active: t.status == "active",
                    id: t.id,
                    account: t.account,
                    label: t.label,
                    created: when(t.created_at),
                    created_by: t.created_by,
                    expires: when(t.expires_at),
                    last_used: t
                        .last_used_at
                        .map(when)
                        .unwrap_or_else(|| "Never".to_owned()),
                })
                .collect(),
            default_token_days: TokenLifetime::DEFAULT_DAYS,
            longest_token_days: TokenLifetime::LONGEST_DAYS,
        },
    )
}

#[derive(Template)]
#[template(path = "credentials.html")]
struct CredentialsPage<'a> {
    user: Option<&'a UserBar>,
    heading: String,
    username: &'a str,
    credentials: &'a IssuedCredentials,
    /// When an API token stops working, as people read it.
    token_expires: String,
}

fn show_credentials(
    user: &UserBar,
    heading: String,
    username: &str,
    credentials: &IssuedCredentials,
) -> Response {
    render(
        StatusCode::OK,
        &CredentialsPage {
            user: Some(user),
            heading,
            username,
            credentials,
            token_expires: match credentials {
                IssuedCredentials::Service { expires_at, .. } => when(instant(*expires_at)),
                IssuedCredentials::Person { .. } => String::new(),
            },
        },
    )
}

/// The add form: every field arrives as text; `role.NAME` checkboxes say `yes`.
pub async fn add(
    State(state): State<WebState>,
    posted: Posted<BTreeMap<String, String>>,
) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    let field = |name: &str| form.get(name).map(|v| v.trim()).unwrap_or("");
    let Some(org) = signed_in.actor().org() else {
        return failed(
            AppError::Invalid("Only staff of an organisation add staff here.".to_owned()),
            &signed_in.user,
        );
    };
    let roles: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|r| form.contains_key(&format!("role.{}", r.as_str())))
        .collect();
    let Some(kind) = StaffKind::parse(field("kind")) else {
        return failed(
            AppError::Invalid("Choose whether this is a person or a service account.".to_owned()),
            &signed_in.user,
        );
    };
    let spec = StaffSpec {
        org,
        team: None,
        username: field("username").to_owned(),
        display_name: field("display_name").to_owned(),
        kind,
        roles,
    };
    match state.app.add_staff(signed_in.actor(), &spec).await {
        Ok(Change::Done((_, credentials))) => show_credentials(
            &signed_in.user,
            format!("{} added", spec.username),
            &spec.username,
            &credentials,
        ),
        Ok(Change::Requested(change)) => show_requested(&signed_in.user, &change),
        Err(e) => failed(e, &signed_in.user),
    }
}

/// A form that carries nothing but its CSRF token.
#[derive(Deserialize)]
pub struct Confirm {}

pub async fn deactivate(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<Confirm>,
) -> Response {
    let signed_in = posted.signed_in;
    match state
        .app
        .deactivate_staff(signed_in.actor(), StaffId(id))
        .await
    {
        Ok(_) => Redirect::to("/staff").into_response(),
        Err(e) => failed(e, &signed_in.user),
    }
}

/// Undoes a deactivation: the account can sign in (or use its tokens) again.
pub async fn reactivate(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<Confirm>,
) -> Response {
    let signed_in = posted.signed_in;
    match state
        .app
        .reactivate_staff(signed_in.actor(), StaffId(id))
        .await
    {
        Ok(_) => Redirect::to("/staff").into_response(),
        Err(e) => failed(e, &signed_in.user),
    }
}

pub async fn reset(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<Confirm>,
) -> Response {
    let signed_in = posted.signed_in;
    match state
        .app
        .reset_credentials(signed_in.actor(), StaffId(id))
        .await
    {
        Ok(Change::Done((staff, credentials))) => show_credentials(
            &signed_in.user,
            format!("New password and authenticator for {}", staff.username),
            &staff.username,
            &credentials,
        ),
        Ok(Change::Requested(change)) => show_requested(&signed_in.user, &change),
        Err(e) => failed(e, &signed_in.user),
    }
}

#[derive(Template)]
#[template(path = "staff_requested.html")]
struct RequestedPage<'a> {
    user: Option<&'a UserBar>,
    what: String,
    expires: String,
}

/// The answer to a change that waits for a second administrator.
fn show_requested(user: &UserBar, change: &StaffChangeRow) -> Response {
    render(
        StatusCode::OK,
        &RequestedPage {
            user: Some(user),
            what: describe(change),
            expires: when(instant(change.expires_at)),
        },
    )
}

/// Approves a waiting change: the account is added or reset, and its new credentials are shown to the
/// approver, once.
pub async fn approve(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<Confirm>,
) -> Response {
    let signed_in = posted.signed_in;
    match state.app.approve_staff_change(signed_in.actor(), id).await {
        Ok(approved) => show_credentials(
            &signed_in.user,
            match approved.change.kind {
                StaffChangeKind::Add => format!("{} added", approved.staff.username),
                StaffChangeKind::Reset => format!(
                    "New password and authenticator for {}",
                    approved.staff.username
                ),
            },
            &approved.staff.username,
            &approved.credentials,
        ),
        Err(e) => failed(e, &signed_in.user),
    }
}

/// Rejects a waiting change (or, for the administrator who asked, withdraws it): nothing changes.
pub async fn reject(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<Confirm>,
) -> Response {
    let signed_in = posted.signed_in;
    match state.app.reject_staff_change(signed_in.actor(), id).await {
        Ok(_) => Redirect::to("/staff").into_response(),
        Err(e) => failed(e, &signed_in.user),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    label: String,
    /// How many days the token lives; empty for the default.
    #[serde(default)]
    days: String,
}

pub async fn token(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<TokenForm>,
) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    let lifetime = match form.days.trim() {
        "" => Ok(TokenLifetime::default()),
        days => days
            .parse::<i64>()
            .map_err(|_| format!("a number of days, not {days:?}"))
            .and_then(TokenLifetime::days),
    };
    let lifetime = match lifetime {
        Ok(lifetime) => lifetime,
        Err(e) => {
            let message = format!("How long the token lives: {e}.");
            return failed(AppError::Invalid(message), &signed_in.user);
        }
    };
    match state
        .app
        .issue_staff_token(signed_in.actor(), StaffId(id), &form.label, lifetime)
        .await
    {
        Ok((staff, token)) => show_credentials(
            &signed_in.user,
            format!("New API token for {}", staff.username),
            &staff.username,
            &IssuedCredentials::Service {
                token: token.token.expose().to_owned(),
                expires_at: token.expires_at,
            },
        ),
        Err(e) => failed(e, &signed_in.user),
    }
}

/// Revokes an API token: the feed using it is refused from now on.
pub async fn revoke_token(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<Confirm>,
) -> Response {
    let signed_in = posted.signed_in;
    match state.app.revoke_api_token(signed_in.actor(), id).await {
        Ok(_) => Redirect::to("/staff").into_response(),
        Err(e) => failed(e, &signed_in.user),
    }
}
