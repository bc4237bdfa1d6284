//! Signing in (password, then the authenticator code or its enrolment), signing out, and one's own sessions.

use crate::WebState;
use crate::error::{Incident, PageError, sign_in_error_parts};
use crate::session::{
    Cookie, Posted, PostedSignIn, PostedSigningIn, SignedIn, SigningIn, UserBar, clear_cookie,
    set_cookie,
};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use severn_app::identity::{Enrolment, Secret, SignInError, StartedSession};
use severn_domain::identity::{SessionEnd, SessionStage};

/// Renders a template, or a plain failure page if it cannot be.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => Incident::record(&format!("page did not render: {e}"))
            .page("This page could not be shown.")
            .into_response(),
    }
}

/// A time as people read it: Europe/London, with the zone (GMT or BST), as on every page.
pub fn when(time: jiff::Timestamp) -> String {
    severn_app::time::london(time)
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    user: Option<&'a UserBar>,
    display_name: &'a str,
    works_cases: bool,
    reads_audit: bool,
    manages_staff: bool,
}

pub async fn home(signed_in: SignedIn) -> Response {
    let user = &signed_in.user;
    render(
        StatusCode::OK,
        &HomePage {
            user: Some(user),
            display_name: &user.display_name,
            works_cases: user.works_cases,
            reads_audit: user.reads_audit,
            manages_staff: user.manages_staff,
        },
    )
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage<'a> {
    user: Option<&'a UserBar>,
    csrf: &'a str,
    username: &'a str,
    notice: Option<&'a str>,
    error: Option<&'a str>,
}

/// The sign-in form, with a fresh double-submit token in a cookie and in the form.
fn sign_in_form(
    state: &WebState,
    status: StatusCode,
    username: &str,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    let token = Secret::generate();
    let page = SignInPage {
        user: None,
        csrf: token.expose(),
        username,
        notice,
        error,
    };
    let mut response = render(status, &page);
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(Cookie::SignIn, token.expose(), state.options.https),
    );
    response
}

#[derive(Deserialize)]
pub struct SignInQuery {
    ended: Option<String>,
}

pub async fn sign_in_page(
    State(state): State<WebState>,
    Query(query): Query<SignInQuery>,
) -> Response {
    let notice = query.ended.as_deref().and_then(|ended| {
        [SessionEnd::Idle, SessionEnd::Absolute, SessionEnd::Revoked]
            .into_iter()
            .find(|end| end.as_str() == ended)
            .map(SessionEnd::explain)
    });
    sign_in_form(&state, StatusCode::OK, "", notice, None)
}

#[derive(Deserialize)]
pub struct SignInForm {
    username: String,
    password: String,
}

/// Sets the new session's cookie and sends the browser to the next step.
fn continue_session(state: &WebState, started: &StartedSession) -> Response {
    let next = match started.stage {
        SessionStage::SecondFactor => "/sign-in/code",
        SessionStage::Enrolment => "/sign-in/enrol",
        SessionStage::SignedIn => "/",
    };
    let mut response = Redirect::to(next).into_response();
    let headers = response.headers_mut();
    let https = state.options.https;
    headers.append(
        header::SET_COOKIE,
        set_cookie(Cookie::Session, started.token.expose(), https),
    );
    headers.append(header::SET_COOKIE, clear_cookie(Cookie::SignIn, https));
    response
}

pub async fn sign_in(
    State(state): State<WebState>,
    PostedSignIn { form, client }: PostedSignIn<SignInForm>,
) -> Response {
    match state
        .identity
        .sign_in_with_password(&form.username, &form.password, &client)
        .await
    {
        Ok(started) => continue_session(&state, &started),
        Err(SignInError::App(e)) => PageError::from(e).into_response(),
        Err(refused) => {
            let (status, message) = sign_in_error_parts(&refused);
            sign_in_form(&state, status, &form.username, None, Some(&message))
        }
    }
}

#[derive(Template)]
#[template(path = "code.html")]
struct CodePage<'a> {
    user: Option<&'a UserBar>,
    csrf: &'a str,
    error: Option<&'a str>,
}

pub async fn code_page(SigningIn(session): SigningIn) -> Response {
    if session.stage == SessionStage::Enrolment {
        return Redirect::to("/sign-in/enrol").into_response();
    }
    render(
        StatusCode::OK,
        &CodePage {
            user: None,
            csrf: &session.csrf_token,
            error: None,
        },
    )
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

pub async fn submit_code(
    State(state): State<WebState>,
    PostedSigningIn {
        session,
        form,
        client,
    }: PostedSigningIn<CodeForm>,
) -> Response {
    match state
        .identity
        .verify_second_factor(&session, &form.code, &client)
        .await
    {
        Ok(started) => continue_session(&state, &started),
        Err(SignInError::WrongStage) => Redirect::to("/sign-in/enrol").into_response(),
        Err(SignInError::App(e)) => PageError::from(e).into_response(),
        Err(refused) => {
            let (status, message) = sign_in_error_parts(&refused);
            render(
                status,
                &CodePage {
                    user: None,
                    csrf: &session.csrf_token,
                    error: Some(&message),
                },
            )
        }
    }
}

#[derive(Template)]
#[template(path = "enrol.html")]
struct EnrolPage<'a> {
    user: Option<&'a UserBar>,
    csrf: &'a str,
    enrolment: Option<&'a Enrolment>,
    error: Option<&'a str>,
}

pub async fn enrol_page(State(state): State<WebState>, SigningIn(session): SigningIn) -> Response {
    if session.stage == SessionStage::SecondFactor {
        return Redirect::to("/sign-in/code").into_response();
    }
    match state.identity.begin_enrolment(&session).await {
        Ok(enrolment) => render(
            StatusCode::OK,
            &EnrolPage {
                user: None,
                csrf: &session.csrf_token,
                enrolment: Some(&enrolment),
                error: None,
            },
        ),
        Err(e) => PageError::from(e).into_response(),
    }
}

pub async fn confirm_enrolment(
    State(state): State<WebState>,
    PostedSigningIn {
        session,
        form,
        client,
    }: PostedSigningIn<CodeForm>,
) -> Response {
    match state
        .identity
        .confirm_enrolment(&session, &form.code, &client)
        .await
    {
        Ok(started) => continue_session(&state, &started),
        Err(SignInError::App(e)) => PageError::from(e).into_response(),
        Err(refused) => {
            let (status, message) = sign_in_error_parts(&refused);
            render(
                status,
                &EnrolPage {
                    user: None,
                    csrf: &session.csrf_token,
                    enrolment: None,
                    error: Some(&message),
                },
            )
        }
    }
}

#[derive(Deserialize)]
pub struct NoFields {}

fn signed_out(state: &WebState) -> Response {
    let mut response = Redirect::to("/sign-in").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        clear_cookie(Cookie::Session, state.options.https),
    );
    response
}

pub async fn sign_out(State(state): State<WebState>, posted: Posted<NoFields>) -> Response {
    match state.identity.sign_out(&posted.signed_in.session).await {
        Ok(()) => signed_out(&state),
        Err(e) => PageError::from(e)
            .for_user(&posted.signed_in.user)
            .into_response(),
    }
}

struct SessionLine {
    id: i64,
    created_at: String,
    last_seen_at: String,
    address: String,
    user_agent: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "sessions.html")]
struct SessionsPage<'a> {
    user: Option<&'a UserBar>,
    csrf: &'a str,
    sessions: Vec<SessionLine>,
    idle_minutes: i64,
    absolute_hours: i64,
}

pub async fn sessions_page(State(state): State<WebState>, signed_in: SignedIn) -> Response {
    let sessions = match state.identity.open_sessions(&signed_in.session).await {
        Ok(sessions) => sessions,
        Err(e) => return PageError::from(e).for_user(&signed_in.user).into_response(),
    };
    let policy = &state.identity.policy().sessions;
    render(
        StatusCode::OK,
        &SessionsPage {
            user: Some(&signed_in.user),
            csrf: &signed_in.user.csrf,
            sessions: sessions
                .into_iter()
                .map(|s| SessionLine {
                    id: s.id,
                    created_at: when(s.created_at),
                    last_seen_at: when(s.last_seen_at),
                    address: s.address,
                    user_agent: s.user_agent,
                    current: s.current,
                })
                .collect(),
            idle_minutes: policy.idle_seconds / 60,
            absolute_hours: policy.absolute_seconds / 3600,
        },
    )
}

#[derive(Deserialize)]
pub struct RevokeForm {
    session: i64,
}

pub async fn revoke_session(State(state): State<WebState>, posted: Posted<RevokeForm>) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    match state
        .identity
        .revoke_session(&signed_in.session, form.session)
        .await
    {
        Ok(true) if form.session == signed_in.session.id => signed_out(&state),
        Ok(true) => Redirect::to("/sessions").into_response(),
        Ok(false) => PageError::new(
            StatusCode::NOT_FOUND,
            "You have no open session with that number: it may have ended already.",
        )
        .for_user(&signed_in.user)
        .into_response(),
        Err(e) => PageError::from(e).for_user(&signed_in.user).into_response(),
    }
}
