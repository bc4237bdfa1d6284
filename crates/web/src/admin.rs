//! Staff administration for administrators: the organisation's staff, adding a person or a service account,
//! deactivating and reactivating an account, resetting a person's password and authenticator, and issuing an API token. New
//! credentials are shown once, on the page that answers the form, and never again.

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
use severn_app::staff::StaffSpec;
use severn_domain::access::Role;
use severn_domain::ids::StaffId;
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

#[derive(Template)]
#[template(path = "staff.html")]
struct StaffPage<'a> {
    user: Option<&'a UserBar>,
    staff: Vec<StaffLine>,
    roles: Vec<RoleChoice>,
}

pub async fn staff(State(state): State<WebState>, signed_in: SignedIn) -> Response {
    let rows = match state.app.list_staff(signed_in.actor()).await {
        Ok(rows) => rows,
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
                    service: s.kind == "service",
                    roles: s
                        .roles
                        .iter()
                        .map(|r| r.label())
                        .collect::<Vec<_>>()
                        .join(", "),
                    username: s.username,
                    display_name: s.display_name,
                    active: s.active,
                    added: when(s.created_at),
                })
                .collect(),
            roles: Role::ALL
                .into_iter()
                .map(|r| RoleChoice {
                    value: r.as_str(),
                    label: r.label(),
                })
                .collect(),
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
    let service_account = match field("kind") {
        "person" => false,
        "service" => true,
        _ => {
            return failed(
                AppError::Invalid(
                    "Choose whether this is a person or a service account.".to_owned(),
                ),
                &signed_in.user,
            );
        }
    };
    let spec = StaffSpec {
        org,
        team: None,
        username: field("username").to_owned(),
        display_name: field("display_name").to_owned(),
        service_account,
        roles,
    };
    match state.app.add_staff(signed_in.actor(), &spec).await {
        Ok((_, credentials)) => show_credentials(
            &signed_in.user,
            format!("{} added", spec.username),
            &spec.username,
            &credentials,
        ),
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
        Ok((staff, credentials)) => show_credentials(
            &signed_in.user,
            format!("New password and authenticator for {}", staff.username),
            &staff.username,
            &credentials,
        ),
        Err(e) => failed(e, &signed_in.user),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    label: String,
}

pub async fn token(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<TokenForm>,
) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    match state
        .app
        .issue_staff_token(signed_in.actor(), StaffId(id), &form.label)
        .await
    {
        Ok((staff, credentials)) => show_credentials(
            &signed_in.user,
            format!("New API token for {}", staff.username),
            &staff.username,
            &credentials,
        ),
        Err(e) => failed(e, &signed_in.user),
    }
}
