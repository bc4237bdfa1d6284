//! Errors as people and programs see them: a page or a JSON body that says what went wrong in plain words,
//! with the right status, and nothing of the server's insides.

use crate::session::UserBar;
use askama::Template;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use severn_app::AppError;
use severn_app::identity::SignInError;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    user: Option<&'a UserBar>,
    title: &'a str,
    message: &'a str,
}

/// An error shown as a page.
#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    message: String,
    user: Option<UserBar>,
}

impl PageError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> PageError {
        PageError {
            status,
            message: message.into(),
            user: None,
        }
    }

    /// Shows the signed-in person's navigation on the error page too.
    pub fn for_user(mut self, user: &UserBar) -> PageError {
        self.user = Some(user.clone());
        self
    }
}

/// The page title for a status.
fn title(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
            "Please check what you entered"
        }
        StatusCode::UNAUTHORIZED => "Please sign in",
        StatusCode::FORBIDDEN => "You cannot see this",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
        s if s.is_client_error() => "This request cannot be handled",
        _ => "Something went wrong",
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            user: self.user.as_ref(),
            title: title(self.status),
            message: &self.message,
        };
        match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!("error page did not render: {e}");
                (
                    self.status,
                    Html(
                        "<!doctype html><title>Error</title><p>Something went wrong.</p>"
                            .to_owned(),
                    ),
                )
                    .into_response()
            }
        }
    }
}

/// An error returned by the JSON API: `{"error": "...", "status": 403}`.
#[derive(Debug, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    status: StatusCode,
    error: String,
    #[serde(rename = "status")]
    code: u16,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            error: message.into(),
            code: status.as_u16(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self)).into_response()
    }
}

/// The status and plain words for an error from a use case. Storage and other internal failures are logged
/// on the server and shown as a general failure.
pub fn app_error_parts(error: &AppError) -> (StatusCode, String) {
    match error {
        AppError::NotFound(what) => (StatusCode::NOT_FOUND, sentence(what)),
        AppError::Invalid(why) | AppError::JustificationRequired(why) => {
            (StatusCode::UNPROCESSABLE_ENTITY, sentence(why))
        }
        AppError::Denied(denial) => (StatusCode::FORBIDDEN, denial.explain().to_owned()),
        other => {
            tracing::error!("request failed: {other}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on the server. Nothing was changed. Try again, and tell support if it keeps happening."
                    .to_owned(),
            )
        }
    }
}

/// The status and plain words for a refused sign-in step.
pub fn sign_in_error_parts(error: &SignInError) -> (StatusCode, String) {
    match error {
        SignInError::App(e) => app_error_parts(e),
        SignInError::TooManyAttempts => (StatusCode::TOO_MANY_REQUESTS, error.to_string()),
        SignInError::NotSignedIn | SignInError::SessionEnded(_) | SignInError::BadToken => {
            (StatusCode::UNAUTHORIZED, error.to_string())
        }
        SignInError::Locked { .. } => (StatusCode::TOO_MANY_REQUESTS, error.to_string()),
        SignInError::BadCredentials | SignInError::Code(_) => {
            (StatusCode::UNAUTHORIZED, error.to_string())
        }
        SignInError::WrongStage => (StatusCode::CONFLICT, error.to_string()),
    }
}

/// Starts with a capital and ends with a full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.trim().chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return "Something was not right.".to_owned(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

impl From<AppError> for PageError {
    fn from(error: AppError) -> Self {
        let (status, message) = app_error_parts(&error);
        PageError::new(status, message)
    }
}

impl From<SignInError> for PageError {
    fn from(error: SignInError) -> Self {
        let (status, message) = sign_in_error_parts(&error);
        PageError::new(status, message)
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        let (status, message) = app_error_parts(&error);
        ApiError::new(status, message)
    }
}

impl From<SignInError> for ApiError {
    fn from(error: SignInError) -> Self {
        let (status, message) = sign_in_error_parts(&error);
        ApiError::new(status, message)
    }
}

/// The page for addresses Severn does not serve.
pub async fn not_found(uri: axum::http::Uri) -> Response {
    let message = "There is nothing at this address. Check the link, or go back to the start page.";
    if uri.path().starts_with("/api/") {
        ApiError::new(StatusCode::NOT_FOUND, message).into_response()
    } else {
        PageError::new(StatusCode::NOT_FOUND, message).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_as_sentences() {
        assert_eq!(sentence("no referral NCMEC-1"), "No referral NCMEC-1.");
        assert_eq!(sentence("Done!"), "Done!");
        assert_eq!(sentence(" "), "Something was not right.");
    }
}
