//! The static files, compiled into the binary: police networks are closed, so nothing comes from a CDN.

use crate::error::PageError;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const HTMX: &[u8] = include_bytes!("../static/htmx.min.js");
const HTMX_LICENSE: &[u8] = include_bytes!("../static/htmx.LICENSE");
const STYLESHEET: &[u8] = include_bytes!("../static/severn.css");
/// Two waves (the river) on a square: no picture of anyone.
const ICON: &[u8] = include_bytes!("../static/favicon.svg");

pub async fn asset(Path(file): Path<String>) -> Response {
    let (content_type, body) = match file.as_str() {
        "htmx.min.js" => ("text/javascript; charset=utf-8", HTMX),
        "htmx.LICENSE" => ("text/plain; charset=utf-8", HTMX_LICENSE),
        "severn.css" => ("text/css; charset=utf-8", STYLESHEET),
        _ => {
            return PageError::new(StatusCode::NOT_FOUND, "There is no such file.").into_response();
        }
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            // No personal data: the files may be kept, for an hour.
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// The icon browsers ask for at `/favicon.ico` on every page. Browsers go by the content type, not the name,
/// so an SVG serves.
pub async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        ICON,
    )
        .into_response()
}
