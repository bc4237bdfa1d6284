//! The JSON API under `/api`: the same use cases as the pages, for programs. A person's browser session works
//! (requests that change something carry `X-CSRF-Token`); machine feeds send `Authorization: Bearer TOKEN`.
//! Errors are `{"error": "...", "status": N}` in plain words. The OpenAPI 3 description is at
//! `/api/openapi.json`.

use crate::session::ApiActor;
use axum::Json;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use severn_domain::access::Actor;

/// Who the request acts as: useful to check a token or a session.
pub async fn me(ApiActor(actor): ApiActor) -> Json<Actor> {
    Json(actor)
}

const OPENAPI: &str = include_str!("openapi.json");

pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}
