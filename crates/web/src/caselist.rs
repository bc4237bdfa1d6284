//! The worklists: a person's cases, their team's, those they supervise, those shared with them, the unallocated
//! and all open or closed cases of their force — filtered, sorted, a page at a time, with what is new since
//! their last visit — and their saved filters, on the page and in the API. The handlers pass the signed-in
//! actor to the use cases, which decide, check the parameters and log.

use crate::WebState;
use crate::api::{DENIED, FAILED, NOT_SIGNED_IN, body};
use crate::cases::filters;
use crate::casework::{CsrfOnly, failed};
use crate::error::ApiError;
use crate::session::ApiActor;
use crate::session::{Posted, SignedIn, UserBar};
use crate::signin::render;
use askama::Template;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use severn_app::AppError;
use severn_app::caselist::{Applied, SavedFilter, WorklistPage, WorklistParams};
use severn_app::notices::NoticeView;
use severn_domain::access::Actor;
use severn_domain::case::Urgency;
use severn_domain::risk::Band;
use utoipa::ToSchema;

/// A choice in one of the filter form's lists: the value sent, the words shown, and whether it is chosen.
struct Choice {
    value: String,
    label: String,
    chosen: bool,
}

fn choices(applied: &[Applied], parameter: &str, options: &[(&str, &str)]) -> Vec<Choice> {
    let current = applied
        .iter()
        .find(|a| a.parameter == parameter)
        .map(|a| a.value.as_str());
    options
        .iter()
        .map(|(value, label)| Choice {
            value: (*value).to_owned(),
            label: (*label).to_owned(),
            chosen: current == Some(*value),
        })
        .collect()
}

/// The filter form's lists, with what is applied chosen.
struct Form {
    bands: Vec<Choice>,
    statuses: Vec<Choice>,
    clocks: Vec<Choice>,
    officers: Vec<Choice>,
    sources: Vec<Choice>,
    sorts: Vec<Choice>,
    orders: Vec<Choice>,
    restricted: bool,
    shared: bool,
}

impl Form {
    fn of(work: &WorklistPage) -> Form {
        let applied = &work.applied;
        let on = |k: &str| applied.iter().any(|a| a.parameter == k);
        let bands: Vec<(&str, &str)> = Band::ALL.iter().map(|b| (b.as_str(), b.label())).collect();
        let officers: Vec<(String, String)> = work
            .officers
            .iter()
            .map(|o| (o.id.0.to_string(), o.name.clone()))
            .collect();
        let officers: Vec<(&str, &str)> = officers
            .iter()
            .map(|(id, name)| (id.as_str(), name.as_str()))
            .collect();
        Form {
            bands: choices(applied, "band", &bands),
            statuses: choices(applied, "status", &[("open", "Open"), ("closed", "Closed")]),
            clocks: choices(
                applied,
                "clock",
                &[
                    ("overdue", "Overdue"),
                    ("due_soon", "Due soon"),
                    ("on_track", "On track or paused"),
                    ("stopped", "Stopped"),
                ],
            ),
            officers: choices(applied, "officer", &officers),
            sources: choices(
                applied,
                "source",
                &[
                    ("ncmec", "NCMEC (via the NCA)"),
                    ("partner_agency", "Partner agency"),
                    ("other_force", "Another force"),
                    ("public_report", "Member of the public"),
                    ("p2p_detection", "Peer-to-peer detection"),
                ],
            ),
            sorts: choices(
                applied,
                "sort",
                &[
                    ("due", "Due date"),
                    ("received", "Date received"),
                    ("band", "Band, highest first"),
                    ("case", "Case number"),
                ],
            ),
            orders: choices(
                applied,
                "order",
                &[("asc", "Ascending"), ("desc", "Descending")],
            ),
            restricted: on("restricted"),
            shared: on("shared"),
        }
    }
}

#[derive(Template)]
#[template(path = "worklist.html")]
struct WorklistPageView<'a> {
    user: Option<&'a UserBar>,
    work: WorklistPage,
    form: Form,
    saved: Vec<SavedFilter>,
    /// A filter that could not be saved: why, and the name typed.
    not_saved: Option<(String, String)>,
    /// The person's latest notices about their cases' deadlines.
    notices: Vec<NoticeView>,
}

/// How many of a person's notices the worklist shows.
const NOTICES_SHOWN: i64 = 5;

/// A worklist page.
pub(crate) async fn worklist_page(
    state: &WebState,
    actor: &Actor,
    params: &WorklistParams,
) -> Result<WorklistPage, AppError> {
    state.app.worklist(actor, params).await
}

/// The worklist as the parameters ask, with the person's saved filters and notices; `not_saved` when a filter
/// could not be saved (shown beside its form, with the name typed).
async fn show(
    state: &WebState,
    signed_in: &SignedIn,
    params: &WorklistParams,
    not_saved: Option<(String, String)>,
) -> Response {
    let shown = async {
        let work = worklist_page(state, signed_in.actor(), params).await?;
        let saved = state.app.saved_filters(signed_in.actor()).await?;
        let notices = state
            .app
            .my_notices(signed_in.actor(), NOTICES_SHOWN)
            .await?;
        Ok::<_, AppError>((work, saved, notices))
    }
    .await;
    match shown {
        Ok((work, saved, notices)) => render(
            match not_saved {
                Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
                None => StatusCode::OK,
            },
            &WorklistPageView {
                user: Some(&signed_in.user),
                form: Form::of(&work),
                work,
                saved,
                not_saved,
                notices,
            },
        ),
        Err(e) => failed(e, &signed_in.user),
    }
}

pub async fn worklist(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(params): Query<WorklistParams>,
) -> Response {
    show(&state, &signed_in, &params, None).await
}

/// The save-a-filter form: a name and the filters shown.
#[derive(Debug, Deserialize)]
pub struct SaveFilterForm {
    #[serde(default)]
    name: String,
    #[serde(flatten)]
    params: WorklistParams,
}

/// Saves the filters shown under a name, then shows the list with them.
pub async fn save_filter(
    State(state): State<WebState>,
    posted: Posted<SaveFilterForm>,
) -> Response {
    let signed_in = posted.signed_in;
    let SaveFilterForm { name, mut params } = posted.form;
    params.page = None;
    match state
        .app
        .save_filter(signed_in.actor(), &name, &params)
        .await
    {
        Ok(saved) => Redirect::to(&format!("/cases?{}", saved.query)).into_response(),
        Err(AppError::Invalid(why)) => show(&state, &signed_in, &params, Some((why, name))).await,
        Err(e) => failed(e, &signed_in.user),
    }
}

/// Deletes one of the person's saved filters, then shows their default list.
pub async fn delete_filter(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<CsrfOnly>,
) -> Response {
    let signed_in = posted.signed_in;
    match state.app.delete_filter(signed_in.actor(), id).await {
        Ok(()) => Redirect::to("/cases").into_response(),
        Err(e) => failed(e, &signed_in.user),
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

// --- API -------------------------------------------------------------------------------------------------

/// A filter to save: its name (at most 60 characters, no control characters) and the worklist parameters.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewSavedFilter {
    pub name: String,
    /// The worklist's parameters, as `/api/cases` takes them (the page is not kept).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub filters: WorklistParams,
}

/// The caller's saved worklist filters, by name (each person's own, private)
#[utoipa::path(get, path = "/api/cases/filters", operation_id = "saved_filters",
    responses(
        (status = 200, description = "The caller's saved filters", body = Vec<SavedFilter>),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn api_saved_filters(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Vec<SavedFilter>> {
    Ok(Json(state.app.saved_filters(&actor).await?))
}

/// Save worklist filters under a name (a filter of the same name is replaced)
#[utoipa::path(post, path = "/api/cases/filters", operation_id = "save_filter",
    request_body = NewSavedFilter,
    responses(
        (status = 200, description = "The filter as saved", body = SavedFilter),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 422, description = "A bad name or parameter, named", body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn api_save_filter(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    posted: Result<Json<NewSavedFilter>, JsonRejection>,
) -> ApiResult<SavedFilter> {
    let new = body(posted)?;
    let mut params = new.filters;
    params.page = None;
    Ok(Json(
        state.app.save_filter(&actor, &new.name, &params).await?,
    ))
}

/// Delete one of the caller's saved filters
#[utoipa::path(delete, path = "/api/cases/filters/{id}", operation_id = "delete_filter",
    params(("id" = i64, Path, description = "The saved filter's number.")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 404, description = "None of the caller's filters has that number", body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn api_delete_filter(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.app.delete_filter(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
