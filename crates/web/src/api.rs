//! The JSON API under `/api`: the same use cases as the pages, for programs. A person's browser session works
//! (requests that change something carry `X-CSRF-Token`); machine feeds send `Authorization: Bearer TOKEN`.
//! Errors are `{"error": "...", "status": N}` in plain words. The OpenAPI 3 description is at
//! `/api/openapi.json`.

use crate::WebState;
use crate::cases::{AuditFilter, QUEUE_LIMIT, QueueFilter, SearchForm};
use crate::error::ApiError;
use crate::session::ApiActor;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use severn_app::gate::Why;
use severn_app::staff::{ForceWork, SearchHit};
use severn_app::views::{QueueEntry, ReferralView, SubjectSummary};
use severn_domain::access::Actor;
use severn_domain::audit::AuditEntry;
use severn_domain::ids::SubjectId;
use severn_domain::risk::{Answers, Outcome};
use severn_store::{AssessmentRow, SubjectRow};

type ApiResult<T> = Result<Json<T>, ApiError>;

/// Who the request acts as: useful to check a token or a session.
pub async fn me(ApiActor(actor): ApiActor) -> Json<Actor> {
    Json(actor)
}

pub async fn queue(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Query(filter): Query<QueueFilter>,
) -> ApiResult<Vec<QueueEntry>> {
    let work = state
        .app
        .queue_matching(&actor, filter.parse()?, QUEUE_LIMIT)
        .await?;
    Ok(Json(work.entries))
}

pub async fn referral(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(reference): Path<String>,
    headers: HeaderMap,
) -> ApiResult<ReferralView> {
    let view = state
        .app
        .referral(&actor, &reference, justification(&headers)?)
        .await?;
    Ok(Json(view))
}

pub async fn subject(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> ApiResult<SubjectSummary> {
    let subject = state
        .app
        .subject(&actor, SubjectId(id), justification(&headers)?)
        .await?;
    Ok(Json(subject))
}

/// The header a program sends its reason for opening a restricted record in.
pub const JUSTIFICATION_HEADER: &str = "x-justification";

/// Why a restricted record is being opened, from the `X-Justification` header: never from the address, which
/// browser histories and proxies keep. UTF-8; a value that is not is refused in plain words.
fn justification(headers: &HeaderMap) -> Result<Why, ApiError> {
    let Some(value) = headers.get(JUSTIFICATION_HEADER) else {
        return Ok(Why::default());
    };
    let text = std::str::from_utf8(value.as_bytes()).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "The X-Justification header must be UTF-8 text.",
        )
    })?;
    Ok(Why::because(text))
}

/// A JSON body, or a plain-words refusal of one that is missing or malformed.
fn body<T>(posted: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    posted.map(|Json(body)| body).map_err(|rejection| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            match rejection {
                JsonRejection::MissingJsonContentType(_) => {
                    "Send the body as JSON, with Content-Type: application/json."
                }
                _ => "The JSON body was not complete or not in the expected form: see /api/openapi.json.",
            },
        )
    })
}

#[derive(Deserialize)]
pub struct MergeRequest {
    other: i64,
    rationale: String,
}

/// What a merge or split left: the subject's number, status and band.
#[derive(serde::Serialize)]
pub struct SubjectOutcome {
    subject: SubjectId,
    status: String,
    band: String,
}

impl From<SubjectRow> for SubjectOutcome {
    fn from(row: SubjectRow) -> Self {
        SubjectOutcome {
            subject: row.id,
            status: row.status,
            band: row.band,
        }
    }
}

pub async fn merge(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    posted: Result<Json<MergeRequest>, JsonRejection>,
) -> ApiResult<SubjectOutcome> {
    let request = body(posted)?;
    let kept = state
        .app
        .merge_subjects(
            SubjectId(id),
            SubjectId(request.other),
            &request.rationale,
            &actor,
        )
        .await?;
    Ok(Json(kept.into()))
}

#[derive(Deserialize)]
pub struct AssessRequest {
    /// Question id → answer: a number for a count question, otherwise the option's value (`yes`, `no`, ...).
    answers: Answers,
}

/// Assesses a subject with the active risk tool: the saved assessment, with its band and what moved it.
pub async fn assess(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    posted: Result<Json<AssessRequest>, JsonRejection>,
) -> ApiResult<AssessmentRow> {
    let request = body(posted)?;
    Ok(Json(
        state
            .app
            .assess(SubjectId(id), request.answers, &actor)
            .await?,
    ))
}

#[derive(Serialize)]
pub struct AssessmentPreviewView {
    /// The subject's band now.
    band_now: Option<&'static str>,
    /// The band, points and contributions the answers would give; nothing is saved.
    outcome: Outcome,
}

/// What the answers would do to a subject's band, without saving them (logged as a view of the case).
pub async fn preview_assessment(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    posted: Result<Json<AssessRequest>, JsonRejection>,
) -> ApiResult<AssessmentPreviewView> {
    let request = body(posted)?;
    let preview = state
        .app
        .preview_assessment(SubjectId(id), &request.answers, &actor)
        .await?;
    Ok(Json(AssessmentPreviewView {
        band_now: preview.band_now.map(|b| b.as_str()),
        outcome: preview.outcome,
    }))
}

#[derive(Deserialize)]
pub struct SplitRequest {
    referrals: Vec<String>,
    rationale: String,
}

pub async fn split(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    posted: Result<Json<SplitRequest>, JsonRejection>,
) -> ApiResult<SubjectOutcome> {
    let request = body(posted)?;
    let new_subject = state
        .app
        .split_subject(
            SubjectId(id),
            &request.referrals,
            &request.rationale,
            &actor,
        )
        .await?;
    Ok(Json(new_subject.into()))
}

#[derive(Deserialize)]
pub struct ShareRequest {
    with: String,
    reason: String,
}

/// Shares the case with a named person in another organisation; 204 when done.
pub async fn share(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    posted: Result<Json<ShareRequest>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let request = body(posted)?;
    state
        .app
        .share_case(&actor, SubjectId(id), &request.with, &request.reason)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct RestrictRequest {
    /// User names the case is restricted to; `null` lifts the restriction.
    to: Option<Vec<String>>,
    justification: String,
}

/// Restricts the case to named people, or lifts the restriction; 204 when done.
pub async fn restrict(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    posted: Result<Json<RestrictRequest>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let request = body(posted)?;
    state
        .app
        .restrict_case(
            &actor,
            SubjectId(id),
            request.to.as_deref(),
            &request.justification,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn search(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Query(form): Query<SearchForm>,
) -> ApiResult<Vec<SearchHit>> {
    Ok(Json(form.run(&state, &actor).await?))
}

pub async fn figures(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Vec<ForceWork>> {
    Ok(Json(state.app.open_work(&actor).await?))
}

pub async fn audit(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Query(filter): Query<AuditFilter>,
) -> ApiResult<Vec<AuditEntry>> {
    Ok(Json(state.app.audit_search(&actor, &filter.query()).await?))
}

const OPENAPI: &str = include_str!("openapi.json");

pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}
