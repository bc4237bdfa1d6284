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
    entered: &'a [(String, String)],
    back: Option<&'a str>,
}

/// A failure on the server's side (storage, the audit log, stored data that does not validate, files): its
/// cause is logged under a short random reference, and the person is told only that something went wrong and
/// the reference to quote to support, never the cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    reference: String,
}

/// The characters of an incident reference: RFC 4648 base32, easy to read out over the phone.
const REFERENCE_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Characters in an incident reference: 40 random bits.
const REFERENCE_LENGTH: usize = 8;

impl Incident {
    /// Logs `cause` under a new reference.
    pub fn record(cause: &dyn std::fmt::Display) -> Incident {
        let bits: u64 = rand::random();
        let reference = (0..REFERENCE_LENGTH)
            .map(|i| char::from(REFERENCE_ALPHABET[((bits >> (5 * i)) & 31) as usize]))
            .collect::<String>();
        tracing::error!(incident = %reference, "request failed: {cause}");
        Incident { reference }
    }

    /// The plain words shown for the incident, `happened` saying what it left undone.
    fn message(&self, happened: &str) -> String {
        format!(
            "Something went wrong on the server. {happened} Try again, and if it keeps happening tell \
             support the incident reference {}.",
            self.reference
        )
    }

    /// The incident as a page.
    pub fn page(&self, happened: &str) -> PageError {
        PageError::new(StatusCode::INTERNAL_SERVER_ERROR, self.message(happened))
    }

    /// The incident as a JSON error.
    pub fn api(&self, happened: &str) -> ApiError {
        ApiError {
            incident: Some(self.reference.clone()),
            ..ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, self.message(happened))
        }
    }
}

/// What an internal failure left undone, for the cases where the transaction rolled back.
pub const NOTHING_CHANGED: &str = "Nothing was changed.";

/// An error shown as a page.
#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    message: String,
    user: Option<UserBar>,
    /// What the person typed into the form refused, so it is not lost: (field label, value).
    entered: Vec<(String, String)>,
    /// The page the form is on, to go back to.
    back: Option<String>,
}

impl PageError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> PageError {
        PageError {
            status,
            message: message.into(),
            user: None,
            entered: Vec::new(),
            back: None,
        }
    }

    /// Shows what the person typed, with a link back to the form, so a refusal loses nothing. Empty values
    /// are left out.
    pub fn keeping(mut self, back: &str, entered: &[(&str, &str)]) -> PageError {
        self.back = Some(back.to_owned());
        self.entered = entered
            .iter()
            .filter(|(_, value)| !value.trim().is_empty())
            .map(|(label, value)| ((*label).to_owned(), (*value).to_owned()))
            .collect();
        self
    }

    /// Shows the signed-in person's navigation on the error page too.
    pub fn for_user(mut self, user: &UserBar) -> PageError {
        self.user = Some(user.clone());
        self
    }
}

/// The answer to a form posted from the page at `back`: back to it when the change was made, otherwise the
/// refusal with the person's navigation and what they typed ([`PageError::keeping`]).
pub fn back_or_keeping<T>(
    done: Result<T, AppError>,
    user: &UserBar,
    back: &str,
    entered: &[(&str, &str)],
) -> Response {
    match done {
        Ok(_) => axum::response::Redirect::to(back).into_response(),
        Err(e) => PageError::from(e)
            .for_user(user)
            .keeping(back, entered)
            .into_response(),
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
            entered: &self.entered,
            back: self.back.as_deref(),
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

/// An error returned by the JSON API: `{"error": "...", "status": 403}`, with `"incident"` when the failure
/// was the server's.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ApiError {
    #[serde(skip)]
    status: StatusCode,
    /// What went wrong, in plain words.
    error: String,
    /// The HTTP status.
    #[serde(rename = "status")]
    code: u16,
    /// On a failure on the server's side (HTTP 500): the reference its cause is logged under, to quote to
    /// support.
    #[serde(skip_serializing_if = "Option::is_none")]
    incident: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            error: message.into(),
            code: status.as_u16(),
            incident: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self)).into_response()
    }
}

/// How an error from a use case is answered: the person's own mistake or refusal in plain words with its
/// status, or an incident on the server's side.
enum Answer {
    Refused(StatusCode, String),
    Failed(Incident),
}

impl Answer {
    fn page(self) -> PageError {
        match self {
            Answer::Refused(status, message) => PageError::new(status, message),
            Answer::Failed(incident) => incident.page(NOTHING_CHANGED),
        }
    }

    fn api(self) -> ApiError {
        match self {
            Answer::Refused(status, message) => ApiError::new(status, message),
            Answer::Failed(incident) => incident.api(NOTHING_CHANGED),
        }
    }
}

fn app_error_answer(error: &AppError) -> Answer {
    match error {
        AppError::NotFound(what) => Answer::Refused(StatusCode::NOT_FOUND, sentence(what)),
        AppError::Invalid(why) | AppError::JustificationRequired(why) => {
            Answer::Refused(StatusCode::UNPROCESSABLE_ENTITY, sentence(why))
        }
        AppError::Denied(denial) => {
            Answer::Refused(StatusCode::FORBIDDEN, denial.explain().to_owned())
        }
        AppError::Store(_) | AppError::Tool(_) | AppError::Output(_) => {
            Answer::Failed(Incident::record(error))
        }
    }
}

/// The status and plain words for a refused sign-in step, for the forms that show them beside their fields.
pub fn sign_in_error_parts(error: &SignInError) -> (StatusCode, String) {
    match sign_in_error_answer(error) {
        Answer::Refused(status, message) => (status, message),
        Answer::Failed(incident) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            incident.message(NOTHING_CHANGED),
        ),
    }
}

fn sign_in_error_answer(error: &SignInError) -> Answer {
    let refused = |status| Answer::Refused(status, error.to_string());
    match error {
        SignInError::App(e) => app_error_answer(e),
        SignInError::TooManyAttempts | SignInError::Locked { .. } => {
            refused(StatusCode::TOO_MANY_REQUESTS)
        }
        SignInError::NotSignedIn
        | SignInError::SessionEnded(_)
        | SignInError::BadToken
        | SignInError::BadCredentials
        | SignInError::Code(_) => refused(StatusCode::UNAUTHORIZED),
        SignInError::WrongStage => refused(StatusCode::CONFLICT),
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
        app_error_answer(&error).page()
    }
}

impl From<SignInError> for PageError {
    fn from(error: SignInError) -> Self {
        sign_in_error_answer(&error).page()
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        app_error_answer(&error).api()
    }
}

impl From<SignInError> for ApiError {
    fn from(error: SignInError) -> Self {
        sign_in_error_answer(&error).api()
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

    /// Everything logged while `during` runs.
    fn logged(during: impl FnOnce()) -> String {
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || Captured(writer.clone()))
            .finish();
        tracing::subscriber::with_default(subscriber, during);
        String::from_utf8(log.lock().unwrap().clone()).unwrap()
    }

    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn an_incident_logs_its_cause_under_the_reference_it_shows_and_shows_nothing_else() {
        let mut incident = None;
        let log = logged(|| incident = Some(Incident::record(&"disk quota exceeded on /srv")));
        let incident = incident.unwrap();
        assert_eq!(incident.reference.len(), 8);
        assert!(
            log.contains(&format!("incident={}", incident.reference)),
            "{log}"
        );
        assert!(log.contains("disk quota exceeded on /srv"), "{log}");
        let shown = incident.message(NOTHING_CHANGED);
        assert!(shown.contains(&incident.reference), "{shown}");
        assert!(!shown.contains("disk"), "{shown}");
        assert_ne!(Incident::record(&"again").reference, incident.reference);
    }
}
