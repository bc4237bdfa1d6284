//! The API's OpenAPI document, generated from the handlers' `#[utoipa::path]` descriptions and the response
//! types they return, so it cannot drift from what the API answers. Served at `/api/openapi.json`.

use crate::{api, oversight, packages, reference, register, review, support};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::sync::OnceLock;
use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Severn API",
        description = "Online child sexual abuse and exploitation referrals: the same operations as Severn's pages. Every request is authorised for the caller's role and organisation and logged in the statutory audit log. Sign in through the pages and send the session cookie (with the session's CSRF token in X-CSRF-Token on requests that change something), or send a service account's API token as a bearer token. Errors are `{\"error\": \"...\", \"status\": N}` in plain words; a failure on the server's side is HTTP 500 and names an incident reference to quote to support. Severn holds metadata and hashes only, never imagery."
    ),
    servers((url = "/")),
    security(("session" = []), ("apiToken" = [])),
    paths(
        api::me,
        api::queue,
        api::referral,
        api::subject,
        api::merge,
        api::matches,
        api::compare,
        api::split,
        api::assess,
        api::preview_assessment,
        review::override_api,
        register::entry_api,
        register::profile_api,
        register::absence_api,
        register::import_api,
        register::records_api,
        register::skills_api,
        register::put_skill_api,
        review::sign_off_api,
        api::share,
        api::restrict,
        api::cases,
        crate::caselist::api_saved_filters,
        crate::caselist::api_save_filter,
        crate::caselist::api_delete_filter,
        api::case,
        api::open_case,
        api::record_event,
        api::candidates,
        api::allocate,
        api::notices,
        api::audit,
        api::search,
        api::figures,
        oversight::training_api,
        oversight::allocation_audit_api,
        oversight::warrant_audit_api,
        oversight::stage_audit_api,
        crate::oversight::safeguarding::safeguarding_audit_api,
        crate::oversight::safeguarding::support_gaps_api,
        support::list_api,
        support::add_api,
        support::service_api,
        support::change_api,
        packages::receive,
        reference::local_authorities_api,
    ),
    modifiers(&SecuritySchemes)
)]
struct Document;

/// The two ways in: a signed-in session's cookie, and a service account's API token.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "severn_session",
                "The session cookie set by signing in through the pages (`__Host-severn_session` over HTTPS).",
            ))),
        );
        components.add_security_scheme(
            "apiToken",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A service account's API token (machine feeds such as the NCA's).",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document as JSON, built once.
pub fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        Document::openapi()
            .to_pretty_json()
            .expect("the OpenAPI document serialises")
    })
}

pub async fn serve() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document()).into_response()
}
