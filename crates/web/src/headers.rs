//! The headers every response carries, and plain-words bodies for errors raised outside Severn's handlers.

use crate::WebState;
use crate::error::{ApiError, Incident, NOTHING_CHANGED, PageError};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Scripts, styles, images and requests come from Severn itself and nowhere else; no inline script or style,
/// no `eval`, no framing, no plugins, forms post only back to Severn.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'; object-src 'none'";

/// Adds the security headers to every response, `Cache-Control: no-store` to every response that has not
/// said it may be cached (only the static files do), and replaces error bodies that did not come from
/// Severn's own handlers (a malformed form, a wrong method) with plain words.
pub async fn security_headers(
    State(state): State<WebState>,
    request: Request,
    next: Next,
) -> Response {
    let api = request.uri().path().starts_with("/api/") || request.uri().path() == "/api";
    let mut response = next.run(request).await;
    let status = response.status();
    if status.is_client_error() || status.is_server_error() {
        let ours = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html") || v.starts_with("application/json"));
        if !ours {
            response = plain_error(status, api);
        }
    }
    let headers = response.headers_mut();
    let fixed = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            header::HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
        (
            header::HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if state.options.https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// A plain-words error for a status raised before a handler ran; a server error is an incident.
fn plain_error(status: StatusCode, api: bool) -> Response {
    if status.is_server_error() {
        let incident = Incident::record(&format!("{status} raised outside Severn's handlers"));
        return if api {
            incident.api(NOTHING_CHANGED).into_response()
        } else {
            incident.page(NOTHING_CHANGED).into_response()
        };
    }
    let message = match status {
        StatusCode::NOT_FOUND => "There is nothing at this address.",
        StatusCode::METHOD_NOT_ALLOWED => "This address does not take that kind of request.",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            "The request was not in a form Severn reads here: send a form, or JSON to the API."
        }
        StatusCode::PAYLOAD_TOO_LARGE => "The request was too large.",
        _ => "The request was not complete or not in the expected form.",
    };
    if api {
        ApiError::new(status, message).into_response()
    } else {
        PageError::new(status, message).into_response()
    }
}
