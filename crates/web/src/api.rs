//! The JSON API under `/api`: the same use cases as the pages, for programs. A person's browser session works
//! (requests that change something carry `X-CSRF-Token`); machine feeds send `Authorization: Bearer TOKEN`.
//! Errors are `{"error": "...", "status": N}` in plain words. Every handler is described with
//! `#[utoipa::path]`; the OpenAPI document built from them and the response types is at `/api/openapi.json`
//! (see [`crate::openapi`]).

use crate::WebState;
use crate::cases::{AuditFilter, QUEUE_LIMIT, QueueFilter, SearchForm};
use crate::casework::{case_view, worklist_page};
use crate::error::ApiError;
use crate::session::ApiActor;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use severn_app::AppError;
use severn_app::allocating::CandidatesView;
use severn_app::audit::AuditEntryView;
use severn_app::caselist::{WorklistPage, WorklistParams};
use severn_app::casework::CaseView;
use severn_app::gate::Why;
use severn_app::matches::{Comparison, PossibleMatches};
use severn_app::notices::NoticeView;
use severn_app::staff::{ForceWork, SearchHit};
use severn_app::views::{AssessmentView, QueueEntry, ReferralView, SubjectSummary};
use severn_domain::access::Actor;
use severn_domain::case::{Fact, NewEvent};
use severn_domain::ids::{CaseId, EventId, StaffId, SubjectId};
use severn_domain::risk::{Answers, Band, Outcome};
use severn_domain::subject::SubjectStatus;
use severn_store::SubjectRow;
use utoipa::ToSchema;

pub(crate) type ApiResult<T> = Result<Json<T>, ApiError>;

/// Who the request acts as
///
/// Useful to check a token or a session.
#[utoipa::path(get, path = "/api/me", operation_id = "me", responses(
    (status = 200, description = "The caller", body = Actor),
    (status = 401, description = NOT_SIGNED_IN, body = ApiError),
    (status = 500, description = FAILED, body = ApiError),
))]
pub async fn me(ApiActor(actor): ApiActor) -> Json<Actor> {
    Json(actor)
}

/// Open work for the caller's force in SLA order, overdue first
///
/// At most 500 entries, the filters applied by the database to all open work.
#[utoipa::path(get, path = "/api/queue", operation_id = "queue",
    params(
        ("band" = Option<String>, Query, description = "Only this band: very_high, high, medium or low (empty: any)."),
        ("overdue" = Option<String>, Query, description = "`yes`: only overdue work."),
    ),
    responses(
        (status = 200, description = "Queue entries", body = Vec<QueueEntry>),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
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

/// A referral with its subject, identifiers, links and the explanation of its band
#[utoipa::path(get, path = "/api/referrals/{reference}", operation_id = "referral",
    params(
        ("reference" = String, Path, description = "The source reference (a CyberTip report number, an NCA package reference, a partner reference), percent-encoded; partner and other-force references hold `/`, which may be sent encoded (%2F) or as it is."),
        ("X-Justification" = Option<String>, Header, description = JUSTIFICATION),
    ),
    responses(
        (status = 200, description = "The referral", body = ReferralView),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 404, description = NOT_FOUND, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
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

/// A subject: band, reason, deadline and referrals
#[utoipa::path(get, path = "/api/subjects/{id}", operation_id = "subject",
    params(
        ("id" = i64, Path, description = "The subject's number."),
        ("X-Justification" = Option<String>, Header, description = JUSTIFICATION),
    ),
    responses(
        (status = 200, description = "The subject", body = SubjectSummary),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 404, description = NOT_FOUND, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
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

/// Descriptions shared by the operations in the OpenAPI document.
pub(crate) const NOT_SIGNED_IN: &str = "No session, an ended session, or a token that is not valid";
pub(crate) const DENIED: &str = "The caller's role or organisation does not allow this";
pub(crate) const NOT_FOUND: &str = "There is no such record, or none the caller may see";
pub(crate) const INVALID: &str = "The request was not complete or not valid";
pub(crate) const FAILED: &str =
    "Something went wrong on the server: the error names an incident reference to quote to support";
const JUSTIFICATION: &str = "Why the record is being opened: required for restricted cases (the answer is then 422 until one is given). Kept in the audit log.";
pub(crate) const CSRF: &str = "Required with the session cookie: the session's CSRF token (the hidden `csrf` field of any page). Not used with an API token.";

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
pub(crate) fn body<T>(posted: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
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

#[derive(Deserialize, ToSchema)]
pub struct MergeRequest {
    /// The subject merged into this one.
    other: i64,
    rationale: String,
}

/// What a merge or split left: the subject's number, status and band.
#[derive(Serialize, ToSchema)]
pub struct SubjectOutcome {
    subject: SubjectId,
    status: SubjectStatus,
    band: Band,
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

/// Merge another subject into this one (the same person), with a rationale
#[utoipa::path(post, path = "/api/subjects/{id}/merge", operation_id = "merge",
    params(
        ("id" = i64, Path, description = "The subject's number."),
        ("X-CSRF-Token" = Option<String>, Header, description = CSRF),
    ),
    request_body = MergeRequest,
    responses(
        (status = 200, description = "The subject kept", body = SubjectOutcome),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 404, description = NOT_FOUND, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
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

/// Which page of possible matches: from 1.
#[derive(Debug, Default, Deserialize)]
pub struct MatchesQuery {
    #[serde(default)]
    page: Option<usize>,
}

/// Other subjects that may be the same person, best first
///
/// Subjects of the caller's force whose suspects share an identifier with this one's that did not link them:
/// one weak on its own (an IP address, a screen name, a landline) or one marked as common. 20 to a page. A
/// restricted subject the caller may not open is left out; one they may open is listed without what it
/// shares. A merged-away subject has none.
#[utoipa::path(get, path = "/api/subjects/{id}/matches", operation_id = "possibleMatches",
    params(
        ("id" = i64, Path, description = "The subject's number."),
        ("page" = Option<usize>, Query, description = "The page, from 1."),
        ("X-Justification" = Option<String>, Header, description = JUSTIFICATION),
    ),
    responses(
        (status = 200, description = "A page of possible matches", body = PossibleMatches),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 404, description = NOT_FOUND, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn matches(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Query(query): Query<MatchesQuery>,
    headers: HeaderMap,
) -> ApiResult<PossibleMatches> {
    let matches = state
        .app
        .possible_matches(
            &actor,
            SubjectId(id),
            justification(&headers)?,
            query.page.unwrap_or(1),
        )
        .await?;
    Ok(Json(matches))
}

/// Two subjects side by side before a merge
///
/// Referrals (count, first and last received, sources), names, identifiers by kind with those they share
/// marked, bands and where each stands; and whether `other` may be merged into `id` (with `POST
/// /api/subjects/{id}/merge`), or why not. Both subjects are authorised as views of their cases: a refusal of
/// either refuses the comparison.
#[utoipa::path(get, path = "/api/subjects/{id}/compare/{other}", operation_id = "compareSubjects",
    params(
        ("id" = i64, Path, description = "The subject a merge would keep."),
        ("other" = i64, Path, description = "The subject a merge would move into it."),
        ("X-Justification" = Option<String>, Header, description = JUSTIFICATION),
    ),
    responses(
        (status = 200, description = "The two subjects", body = Comparison),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 404, description = NOT_FOUND, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn compare(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path((id, other)): Path<(i64, i64)>,
    headers: HeaderMap,
) -> ApiResult<Comparison> {
    let comparison = state
        .app
        .compare_subjects(
            &actor,
            SubjectId(id),
            SubjectId(other),
            justification(&headers)?,
        )
        .await?;
    Ok(Json(comparison))
}

#[derive(Deserialize, ToSchema)]
pub struct AssessRequest {
    /// Question id → answer: a number for a count question, otherwise the option's value (`yes`, `no`, ...).
    #[schema(inline)]
    answers: Answers,
    /// Why the case is being assessed: required for a restricted case, whose people named must say why each
    /// time they act on it. Kept in the audit log.
    #[serde(default)]
    justification: Option<String>,
}

impl AssessRequest {
    fn why(&self) -> Why {
        self.justification
            .as_deref()
            .map(Why::because)
            .unwrap_or_default()
    }
}

/// The refusal of an assessment (or its preview) of a restricted case without a justification names the
/// body's field it goes in.
fn assessment_refused(error: AppError) -> ApiError {
    match error {
        AppError::JustificationRequired(_) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "This case is restricted: say why you are assessing it in the request's `justification` field.",
        ),
        other => other.into(),
    }
}

/// Assess the subject with the active risk tool's questions; saved, with the band and what moved it
#[utoipa::path(post, path = "/api/subjects/{id}/assess", operation_id = "assess",
    params(
        ("id" = i64, Path, description = "The subject's number."),
        ("X-CSRF-Token" = Option<String>, Header, description = CSRF),
    ),
    request_body = AssessRequest,
    responses(
        (status = 200, description = "The saved assessment: tool version, answers, band and each answer's contribution", body = AssessmentView),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 404, description = NOT_FOUND, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn assess(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    posted: Result<Json<AssessRequest>, JsonRejection>,
) -> ApiResult<AssessmentView> {
    let request = body(posted)?;
    let why = request.why();
    let saved = state
        .app
        .assess_because(SubjectId(id), request.answers, &actor, why)
        .await
        .map_err(assessment_refused)?;
    Ok(Json(AssessmentView::try_from(saved)?))
}

/// What answers would do to a subject's band.
#[derive(Serialize, ToSchema)]
pub struct AssessmentPreviewView {
    /// The subject's band now.
    band_now: Option<Band>,
    /// The band, points and contributions the answers would give; nothing is saved.
    outcome: Outcome,
}

/// What these answers would do to the subject's band, without saving (logged as a view of the case)
#[utoipa::path(post, path = "/api/subjects/{id}/assess/preview", operation_id = "previewAssessment",
    params(
        ("id" = i64, Path, description = "The subject's number."),
        ("X-CSRF-Token" = Option<String>, Header, description = CSRF),
    ),
    request_body = AssessRequest,
    responses(
        (status = 200, description = "The band now and the outcome the answers would give", body = AssessmentPreviewView),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 404, description = NOT_FOUND, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn preview_assessment(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    posted: Result<Json<AssessRequest>, JsonRejection>,
) -> ApiResult<AssessmentPreviewView> {
    let request = body(posted)?;
    let preview = state
        .app
        .preview_assessment(SubjectId(id), &request.answers, &actor, request.why())
        .await
        .map_err(assessment_refused)?;
    Ok(Json(AssessmentPreviewView {
        band_now: preview.band_now,
        outcome: preview.outcome,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct SplitRequest {
    /// The references of the referrals that concern someone else.
    referrals: Vec<String>,
    rationale: String,
}

/// Split referrals off into a new subject (someone else), with a rationale
#[utoipa::path(post, path = "/api/subjects/{id}/split", operation_id = "split",
    params(
        ("id" = i64, Path, description = "The subject's number."),
        ("X-CSRF-Token" = Option<String>, Header, description = CSRF),
    ),
    request_body = SplitRequest,
    responses(
        (status = 200, description = "The new subject", body = SubjectOutcome),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 404, description = NOT_FOUND, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
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

#[derive(Deserialize, ToSchema)]
pub struct ShareRequest {
    /// The user name of the person to share with.
    with: String,
    /// Why they need the case.
    reason: String,
}

/// Share the case with a named person in another organisation, with the reason
///
/// Logged as a disclosure to that person. Supervisors of the owning force.
#[utoipa::path(post, path = "/api/subjects/{id}/share", operation_id = "share",
    params(
        ("id" = i64, Path, description = "The subject's number."),
        ("X-CSRF-Token" = Option<String>, Header, description = CSRF),
    ),
    request_body = ShareRequest,
    responses(
        (status = 204, description = "Shared"),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 404, description = NOT_FOUND, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
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

#[derive(Deserialize, ToSchema)]
pub struct RestrictRequest {
    /// User names the case is restricted to; `null` lifts the restriction.
    to: Option<Vec<String>>,
    justification: String,
}

/// Restrict the case to named people, or lift the restriction (`to` null), with a justification
///
/// Supervisors of the owning force.
#[utoipa::path(post, path = "/api/subjects/{id}/restrict", operation_id = "restrict",
    params(
        ("id" = i64, Path, description = "The subject's number."),
        ("X-CSRF-Token" = Option<String>, Header, description = CSRF),
    ),
    request_body = RestrictRequest,
    responses(
        (status = 204, description = "Restricted, or the restriction lifted"),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 404, description = NOT_FOUND, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
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

/// Referrals of the caller's force that carry an identifier
#[utoipa::path(get, path = "/api/search", operation_id = "search",
    params(
        ("kind" = String, Query, description = "email, phone, esp_user_id, screen_name, device_id, profile_url, prior_cybertip, group_id or ip_address."),
        ("service" = Option<String>, Query, description = "The service (or device type): needed for user IDs, screen names, group IDs and device IDs."),
        ("value" = String, Query, description = "The identifier as written."),
    ),
    responses(
        (status = 200, description = "Matches", body = Vec<SearchHit>),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn search(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Query(form): Query<SearchForm>,
) -> ApiResult<Vec<SearchHit>> {
    Ok(Json(form.run(&state, &actor).await?))
}

/// Open and overdue work per force and band: counts only, no personal data
#[utoipa::path(get, path = "/api/figures", operation_id = "figures",
    responses(
        (status = 200, description = "Per force", body = Vec<ForceWork>),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn figures(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Vec<ForceWork>> {
    Ok(Json(state.app.open_work(&actor).await?))
}

/// The statutory audit log, newest first (auditors; reading it is logged)
#[utoipa::path(get, path = "/api/audit", operation_id = "audit",
    params(
        ("target" = Option<String>, Query, description = "A record, such as subject:42."),
        ("actor" = Option<String>, Query, description = "A user name."),
    ),
    responses(
        (status = 200, description = "Audit entries", body = Vec<AuditEntryView>),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn audit(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Query(filter): Query<AuditFilter>,
) -> ApiResult<Vec<AuditEntryView>> {
    Ok(Json(state.app.audit_search(&actor, &filter.query()).await?))
}

/// A page of a worklist, filtered and sorted (50 a page): the caller's force's, or the cases shared with them;
/// what is new since their last visit to the list is marked, and page 1 records the visit
#[utoipa::path(get, path = "/api/cases", operation_id = "cases",
    params(WorklistParams),
    responses(
        (status = 200, description = "The page of the list", body = WorklistPage),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 422, description = "A bad parameter: the answer names it and lists the values it takes", body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn cases(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Query(params): Query<WorklistParams>,
) -> ApiResult<WorklistPage> {
    Ok(Json(worklist_page(&state, &actor, &params).await?))
}

/// A case: where it stands, its warrants and stages, its whole timeline and what the caller may do on it
#[utoipa::path(get, path = "/api/cases/{id}", operation_id = "case",
    params(
        ("id" = i64, Path, description = "The case's number."),
        ("X-Justification" = Option<String>, Header, description = JUSTIFICATION),
    ),
    responses(
        (status = 200, description = "The case", body = CaseView),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 404, description = NOT_FOUND, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn case(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> ApiResult<CaseView> {
    let view = case_view(&state, &actor, CaseId(id), justification(&headers)?).await?;
    Ok(Json(view))
}

/// The case opened.
#[derive(Serialize, ToSchema)]
pub struct OpenedCase {
    case: CaseId,
}

/// Open a case on a subject from the queue: the subject leaves the queue for the worklist
///
/// A subject has one case: a second is refused with 422 naming the first. Investigators and supervisors.
#[utoipa::path(post, path = "/api/subjects/{id}/case", operation_id = "openCase",
    params(
        ("id" = i64, Path, description = "The subject's number."),
        ("X-CSRF-Token" = Option<String>, Header, description = CSRF),
    ),
    responses(
        (status = 201, description = "The case opened", body = OpenedCase),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 404, description = NOT_FOUND, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn open_case(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<OpenedCase>), ApiError> {
    let case = state.app.open_case(&actor, SubjectId(id)).await?;
    Ok((StatusCode::CREATED, Json(OpenedCase { case })))
}

#[derive(Deserialize, ToSchema)]
pub struct RecordEventRequest {
    /// What happened, tagged by `kind`.
    fact: Fact,
    /// When it happened (RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    occurred_at: jiff::Timestamp,
    /// The entry this one corrects or withdraws (which makes it a correction).
    #[serde(default)]
    supersedes: Option<EventId>,
    /// Why: required for a late entry (more than 24 hours after it happened) and for a correction.
    #[serde(default)]
    rationale: Option<String>,
    /// Enter it as a correction: the order rules do not apply, and a rationale is required.
    #[serde(default)]
    correction: bool,
    /// Why a restricted case is being worked on: required for one. Kept in the audit log.
    #[serde(default)]
    justification: Option<String>,
}

/// The entry recorded.
#[derive(Serialize, ToSchema)]
pub struct RecordedEvent {
    event: EventId,
}

/// Record an event on a case's timeline
///
/// Checked by the order rules: a refusal is 422 naming the conflict. Allocations, changes of band and returns
/// to the NCA need the supervisor's role.
#[utoipa::path(post, path = "/api/cases/{id}/events", operation_id = "recordEvent",
    params(
        ("id" = i64, Path, description = "The case's number."),
        ("X-CSRF-Token" = Option<String>, Header, description = CSRF),
    ),
    request_body = RecordEventRequest,
    responses(
        (status = 201, description = "The entry recorded", body = RecordedEvent),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 404, description = NOT_FOUND, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn record_event(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    posted: Result<Json<RecordEventRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<RecordedEvent>), ApiError> {
    let request = body(posted)?;
    let why = request
        .justification
        .as_deref()
        .map(Why::because)
        .unwrap_or_default();
    let event = NewEvent {
        fact: request.fact,
        occurred_at: request.occurred_at,
        supersedes: request.supersedes,
        rationale: request.rationale.filter(|r| !r.trim().is_empty()),
        correction: request.correction,
    };
    let event = state
        .app
        .record_event(&actor, CaseId(id), event, why)
        .await
        .map_err(justification_in_body)?;
    Ok((StatusCode::CREATED, Json(RecordedEvent { event })))
}

/// The people who could take a case, ranked
///
/// Each with whether they hold every skill the allocation policy in force requires for the case, in date, their
/// workload and availability, and the reason for their place. Supervisors of the owning force.
#[utoipa::path(get, path = "/api/cases/{id}/candidates", operation_id = "caseCandidates",
    params(
        ("id" = i64, Path, description = "The case's number."),
        ("X-Justification" = Option<String>, Header, description = JUSTIFICATION),
    ),
    responses(
        (status = 200, description = "The ranked candidates", body = CandidatesView),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 404, description = NOT_FOUND, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn candidates(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> ApiResult<CandidatesView> {
    let view = state
        .app
        .candidates(&actor, CaseId(id), justification(&headers)?)
        .await?;
    Ok(Json(view))
}

#[derive(Deserialize, ToSchema)]
pub struct AllocateRequest {
    /// The officer in charge's staff number.
    #[schema(value_type = i64)]
    officer: StaffId,
    /// The supervisor: the person allocating when not given.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    supervisor: Option<StaffId>,
    /// Needed when the officer lacks a skill the policy requires.
    #[serde(default)]
    override_rationale: Option<String>,
    /// Why a restricted case is being worked on: required for one. Kept in the audit log.
    #[serde(default)]
    justification: Option<String>,
}

/// Allocate a case to an officer in charge
///
/// Checked against the allocation policy in force: an officer who lacks a required skill needs an
/// `override_rationale` (422 without one). Recorded on the timeline with the policy's version. Supervisors.
#[utoipa::path(post, path = "/api/cases/{id}/allocate", operation_id = "allocateCase",
    params(
        ("id" = i64, Path, description = "The case's number."),
        ("X-CSRF-Token" = Option<String>, Header, description = CSRF),
    ),
    request_body = AllocateRequest,
    responses(
        (status = 201, description = "The allocation recorded", body = RecordedEvent),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 404, description = NOT_FOUND, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn allocate(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    posted: Result<Json<AllocateRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<RecordedEvent>), ApiError> {
    let request = body(posted)?;
    let why = request
        .justification
        .as_deref()
        .map(Why::because)
        .unwrap_or_default();
    let event = state
        .app
        .allocate(
            &actor,
            CaseId(id),
            (request.officer, request.supervisor),
            request
                .override_rationale
                .as_deref()
                .filter(|r| !r.trim().is_empty()),
            why,
        )
        .await
        .map_err(justification_in_body)?;
    Ok((StatusCode::CREATED, Json(RecordedEvent { event })))
}

/// Your notices: cases of yours due soon or overdue, newest first (at most 100)
#[utoipa::path(get, path = "/api/notices", operation_id = "myNotices",
    responses(
        (status = 200, description = "The notices", body = Vec<NoticeView>),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn notices(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Vec<NoticeView>> {
    Ok(Json(state.app.my_notices(&actor, 100).await?))
}

/// A restricted case's refusal without a justification names the body's field it goes in.
fn justification_in_body(error: AppError) -> ApiError {
    match error {
        AppError::JustificationRequired(_) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "This case is restricted: say why you are working on it in the request's `justification` field.",
        ),
        other => other.into(),
    }
}
