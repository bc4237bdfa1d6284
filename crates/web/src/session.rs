//! The session cookie, the signed-in person a request acts as, and CSRF protection.
//!
//! The cookie holds a random 256-bit session id (the database keeps only its hash). It is `HttpOnly`,
//! `SameSite=Strict`, and `Secure` when Severn is served over HTTPS. Every state-changing form carries the
//! session's synchroniser token in a hidden `csrf` field, checked by [`Posted`] before the handler runs; API
//! requests made with the session cookie carry it in the `X-CSRF-Token` header. The sign-in form, which has no
//! session yet, uses a double-submit token instead: a random value in a cookie and in the form.

use crate::WebState;
use crate::error::{ApiError, PageError};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use severn_app::identity::{Client, CurrentSession, Secret, SignInError};
use severn_domain::access::{Actor, Role};
use severn_domain::identity::SessionStage;
use std::net::SocketAddr;

/// The cookies Severn sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cookie {
    /// The session id.
    Session,
    /// The sign-in form's double-submit token.
    SignIn,
}

impl Cookie {
    /// The cookie's name. Over HTTPS it takes the `__Host-` prefix: a browser then keeps it only if it is
    /// `Secure`, for this host alone and the whole site, so neither a sibling domain nor a plain-HTTP page can
    /// plant or overwrite it. Browsers refuse such a name without `Secure`, so over plain HTTP (local
    /// development) it goes without.
    pub fn name(self, https: bool) -> &'static str {
        match (self, https) {
            (Cookie::Session, true) => "__Host-severn_session",
            (Cookie::Session, false) => "severn_session",
            (Cookie::SignIn, true) => "__Host-severn_sign_in",
            (Cookie::SignIn, false) => "severn_sign_in",
        }
    }
}
/// The header API requests made with the session cookie carry the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The value of cookie `name`, if the request has it.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// A `Set-Cookie` value for a cookie that lives as long as the browser session (the server decides expiry).
pub fn set_cookie(cookie: Cookie, value: &str, https: bool) -> HeaderValue {
    let (name, secure) = (cookie.name(https), if https { "; Secure" } else { "" });
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict{secure}"
    ))
    .expect("cookie values are hex")
}

/// A `Set-Cookie` value that removes `cookie`.
pub fn clear_cookie(cookie: Cookie, https: bool) -> HeaderValue {
    let (name, secure) = (cookie.name(https), if https { "; Secure" } else { "" });
    HeaderValue::from_str(&format!(
        "{name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"
    ))
    .expect("static cookie text")
}

/// Where the request came from: the peer address (the server records no forwarded-for header, so behind a
/// proxy the limits count the proxy; see docs/security.md) and the browser's self-description.
pub fn client(parts: &Parts) -> Client {
    let address = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned());
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    Client {
        address,
        user_agent,
    }
}

/// Equal strings, compared in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// What the page header shows of the signed-in person, and which links apply to them.
#[derive(Debug, Clone)]
pub struct UserBar {
    pub display_name: String,
    pub roles: String,
    pub csrf: String,
    pub works_cases: bool,
    pub reads_audit: bool,
    pub manages_staff: bool,
    /// Keeps the directory of support services (which everyone in a force may read).
    pub keeps_support_services: bool,
}

impl UserBar {
    fn of(session: &CurrentSession) -> UserBar {
        let roles = &session.staff.roles;
        UserBar {
            display_name: session.staff.display_name.clone(),
            roles: roles
                .iter()
                .map(|r| r.label())
                .collect::<Vec<_>>()
                .join(", "),
            csrf: session.csrf_token.clone(),
            works_cases: roles.iter().any(|r| {
                matches!(
                    r,
                    Role::Investigator
                        | Role::Supervisor
                        | Role::SafeguardingOfficer
                        | Role::Analyst
                )
            }),
            reads_audit: roles.contains(&Role::Auditor),
            manages_staff: roles.contains(&Role::Administrator),
            keeps_support_services: roles.iter().any(|r| {
                matches!(
                    r,
                    Role::SafeguardingOfficer | Role::PccOffice | Role::Administrator
                )
            }),
        }
    }
}

/// The session named by the request's cookie, in whatever stage of sign-in.
async fn current_session(parts: &Parts, state: &WebState) -> Result<CurrentSession, SignInError> {
    let name = Cookie::Session.name(state.options.https);
    let token = cookie(&parts.headers, name).ok_or(SignInError::NotSignedIn)?;
    state.identity.resume(&Secret::from_client(&token)).await
}

/// Where someone whose request needs a full sign-in is sent instead.
fn redirect_to_sign_in(error: SignInError) -> Response {
    match error {
        SignInError::SessionEnded(end) => {
            Redirect::to(&format!("/sign-in?ended={}", end.as_str())).into_response()
        }
        SignInError::NotSignedIn => Redirect::to("/sign-in").into_response(),
        other => PageError::from(other).into_response(),
    }
}

fn redirect_to_stage(stage: SessionStage) -> Response {
    match stage {
        SessionStage::SecondFactor => Redirect::to("/sign-in/code").into_response(),
        SessionStage::Enrolment => Redirect::to("/sign-in/enrol").into_response(),
        SessionStage::SignedIn => Redirect::to("/").into_response(),
    }
}

/// A request from someone fully signed in (password and authenticator code).
pub struct SignedIn {
    pub session: CurrentSession,
    pub user: UserBar,
}

impl SignedIn {
    pub fn actor(&self) -> &Actor {
        &self.session.actor
    }
}

impl FromRequestParts<WebState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Response> {
        let session = current_session(parts, state)
            .await
            .map_err(redirect_to_sign_in)?;
        if session.stage != SessionStage::SignedIn {
            return Err(redirect_to_stage(session.stage));
        }
        Ok(SignedIn {
            user: UserBar::of(&session),
            session,
        })
    }
}

/// A request from someone part-way through sign-in: the password was right, the code or enrolment is to come.
pub struct SigningIn(pub CurrentSession);

impl FromRequestParts<WebState> for SigningIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Response> {
        let session = current_session(parts, state)
            .await
            .map_err(redirect_to_sign_in)?;
        if session.stage == SessionStage::SignedIn {
            return Err(Redirect::to("/").into_response());
        }
        Ok(SigningIn(session))
    }
}

#[derive(Deserialize)]
struct CsrfField {
    csrf: String,
}

fn csrf_refused() -> PageError {
    PageError::new(
        StatusCode::FORBIDDEN,
        "This form has expired or did not come from Severn, so nothing was done. Go back, reload the page \
         and try again.",
    )
}

/// Logs a CSRF refusal and gives the page that says so (or, when the log cannot be written, the failure).
async fn refuse_csrf(
    state: &WebState,
    session: Option<&CurrentSession>,
    client: &Client,
    path: &str,
) -> PageError {
    match state.identity.log_csrf_refusal(session, client, path).await {
        Ok(()) => csrf_refused(),
        Err(e) => PageError::from(e),
    }
}

/// Reads a posted form, after checking it carries `expected` as its CSRF token (`None`: there is no token to
/// expect, so the form is refused). Refusals are logged, under `session`'s account when there is one.
async fn read_form<T: DeserializeOwned>(
    request: Request,
    state: &WebState,
    session: Option<&CurrentSession>,
    expected: Option<&str>,
) -> Result<(T, Client), PageError> {
    let (parts, body) = request.into_parts();
    let client = client(&parts);
    let path = parts.uri.path().to_owned();
    let Some(expected) = expected else {
        return Err(refuse_csrf(state, session, &client, &path).await);
    };
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(PageError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Severn expected a form here.",
        ));
    }
    let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
        .await
        .map_err(|_| PageError::new(StatusCode::BAD_REQUEST, "The form could not be read."))?;
    let posted = serde_urlencoded::from_bytes::<CsrfField>(&bytes)
        .ok()
        .filter(|posted| same_secret(&posted.csrf, expected));
    if posted.is_none() {
        return Err(refuse_csrf(state, session, &client, &path).await);
    }
    let form = serde_urlencoded::from_bytes(&bytes).map_err(|_| {
        PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The form was not complete. Go back and fill in every field that applies.",
        )
    })?;
    Ok((form, client))
}

/// A form posted by someone fully signed in, with its CSRF token checked.
pub struct Posted<T> {
    pub signed_in: SignedIn,
    pub form: T,
    pub client: Client,
}

impl<T: DeserializeOwned> FromRequest<WebState> for Posted<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &WebState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let signed_in = SignedIn::from_request_parts(&mut parts, state).await?;
        let request = Request::from_parts(parts, body);
        let session = &signed_in.session;
        let (form, client) = read_form(request, state, Some(session), Some(&session.csrf_token))
            .await
            .map_err(|e| e.for_user(&signed_in.user).into_response())?;
        Ok(Posted {
            signed_in,
            form,
            client,
        })
    }
}

/// A form posted part-way through sign-in, with its CSRF token checked.
pub struct PostedSigningIn<T> {
    pub session: CurrentSession,
    pub form: T,
    pub client: Client,
}

impl<T: DeserializeOwned> FromRequest<WebState> for PostedSigningIn<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &WebState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let SigningIn(session) = SigningIn::from_request_parts(&mut parts, state).await?;
        let request = Request::from_parts(parts, body);
        let (form, client) = read_form(request, state, Some(&session), Some(&session.csrf_token))
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(PostedSigningIn {
            session,
            form,
            client,
        })
    }
}

/// The sign-in form, checked against the double-submit cookie set when the form was shown.
pub struct PostedSignIn<T> {
    pub form: T,
    pub client: Client,
}

impl<T: DeserializeOwned> FromRequest<WebState> for PostedSignIn<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &WebState) -> Result<Self, Response> {
        let expected = cookie(request.headers(), Cookie::SignIn.name(state.options.https));
        let (form, client) = read_form(request, state, None, expected.as_deref())
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(PostedSignIn { form, client })
    }
}

/// Who an API request acts as: a service account by its bearer token, or a signed-in person by the session
/// cookie (whose requests that change something must carry the CSRF token in `X-CSRF-Token`).
pub struct ApiActor(pub Actor);

impl FromRequestParts<WebState> for ApiActor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Response> {
        let authorization = parts
            .headers
            .get(header::AUTHORIZATION)
            .map(|v| v.to_str().unwrap_or(""));
        if let Some(authorization) = authorization {
            let client = client(parts);
            let Some(token) = authorization.strip_prefix("Bearer ") else {
                let refused = state.identity.refuse_malformed_token(&client).await;
                return Err(match refused {
                    SignInError::BadToken => ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        "The Authorization header must be `Bearer` followed by an API token.",
                    ),
                    failed => ApiError::from(failed),
                }
                .into_response());
            };
            let actor = state
                .identity
                .authenticate_api_token(&Secret::from_client(token.trim()), &client)
                .await
                .map_err(|e| ApiError::from(e).into_response())?;
            return Ok(ApiActor(actor));
        }
        let session = current_session(parts, state)
            .await
            .map_err(|error| match error {
                SignInError::App(failed) => ApiError::from(failed).into_response(),
                _ => ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "Sign in, or send an API token in the Authorization header.",
                )
                .into_response(),
            })?;
        if session.stage != SessionStage::SignedIn {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Finish signing in (the authenticator code) first.",
            )
            .into_response());
        }
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !same_secret(sent, &session.csrf_token) {
                let client = client(parts);
                let path = parts.uri.path();
                if let Err(e) = state
                    .identity
                    .log_csrf_refusal(Some(&session), &client, path)
                    .await
                {
                    return Err(ApiError::from(e).into_response());
                }
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "Requests made with the session cookie must carry the session's CSRF token in X-CSRF-Token.",
                )
                .into_response());
            }
        }
        Ok(ApiActor(session.actor))
    }
}
