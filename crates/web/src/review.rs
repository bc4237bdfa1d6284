//! A supervisor's review of a subject's band: overriding the risk tool's band before a case is opened, and
//! signing off an assessment. Pages and their API twins; the use cases decide who may and log it.

use crate::WebState;
use crate::api::{ApiResult, CSRF, DENIED, FAILED, INVALID, NOT_FOUND, NOT_SIGNED_IN, body};
use crate::error::{ApiError, back_or_keeping};
use crate::session::{ApiActor, Posted};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use severn_app::AppError;
use severn_domain::ids::SubjectId;
use severn_domain::risk::Band;
use utoipa::ToSchema;

#[derive(Deserialize)]
pub struct SignOffForm {
    #[serde(default)]
    comment: String,
    /// The page the form was on: the case or the subject.
    #[serde(default)]
    back: String,
}

/// Where to go after a review: the page the form was on, when it is one of the subject's or a case's pages.
fn back_to(back: &str, subject: i64) -> String {
    let (path, fragment) = back.split_once('#').unwrap_or((back, ""));
    let ours = ["/cases/", "/subjects/"].iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    }) && fragment
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ours {
        back.to_owned()
    } else {
        format!("/subjects/{subject}")
    }
}

pub async fn sign_off(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<SignOffForm>,
) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    let back = back_to(&form.back, id);
    back_or_keeping(
        state
            .app
            .sign_off_assessment(SubjectId(id), &form.comment, signed_in.actor())
            .await,
        &signed_in.user,
        &back,
        &[("Comment", &form.comment)],
    )
}

#[derive(Deserialize)]
pub struct OverrideForm {
    band: String,
    rationale: String,
}

pub async fn override_band(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<OverrideForm>,
) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    let back = format!("/subjects/{id}#band");
    let done = match Band::parse(&form.band) {
        Some(band) => state
            .app
            .override_band(SubjectId(id), band, &form.rationale, signed_in.actor())
            .await
            .map(|_| ()),
        None => Err(AppError::Invalid(format!(
            "Choose a band: {:?} is not one.",
            form.band
        ))),
    };
    back_or_keeping(
        done,
        &signed_in.user,
        &back,
        &[("Rationale", &form.rationale)],
    )
}

/// A supervisor's band for a subject not yet in a case.
#[derive(Deserialize, ToSchema)]
pub struct OverrideRequest {
    /// `very_high`, `high`, `medium` or `low`.
    band: String,
    rationale: String,
}

/// The assessment the review made or signed.
#[derive(Serialize, ToSchema)]
pub struct Reviewed {
    pub subject: SubjectId,
    pub assessment: i64,
}

/// Set a subject's band against the risk tool's, with a rationale (recorded as a new assessment); refused for a subject in a case, whose band changes on the case. Supervisors
#[utoipa::path(post, path = "/api/subjects/{id}/override", operation_id = "override_band",
    params(
        ("id" = i64, Path, description = "The subject's number."),
        ("X-CSRF-Token" = Option<String>, Header, description = CSRF),
    ),
    request_body = OverrideRequest,
    responses(
        (status = 200, description = "The new assessment that carries the override", body = Reviewed),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 404, description = NOT_FOUND, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn override_api(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    posted: Result<Json<OverrideRequest>, JsonRejection>,
) -> ApiResult<Reviewed> {
    let request = body(posted)?;
    let band = Band::parse(&request.band).ok_or_else(|| {
        ApiError::from(AppError::Invalid(format!(
            "band: {:?} is not one of very_high, high, medium, low.",
            request.band
        )))
    })?;
    let saved = state
        .app
        .override_band(SubjectId(id), band, &request.rationale, &actor)
        .await?;
    Ok(Json(Reviewed {
        subject: SubjectId(id),
        assessment: saved.id,
    }))
}

/// Optional words with a sign-off.
#[derive(Deserialize, ToSchema)]
pub struct SignOffRequest {
    #[serde(default)]
    comment: String,
}

/// Sign off the subject's assessment in force as reviewed; refused to the person who made it, and when there is no assessment yet or it is already signed off. Supervisors
#[utoipa::path(post, path = "/api/subjects/{id}/sign-off", operation_id = "sign_off_assessment",
    params(
        ("id" = i64, Path, description = "The subject's number."),
        ("X-CSRF-Token" = Option<String>, Header, description = CSRF),
    ),
    request_body = SignOffRequest,
    responses(
        (status = 200, description = "The assessment signed off", body = Reviewed),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 404, description = NOT_FOUND, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn sign_off_api(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    posted: Result<Json<SignOffRequest>, JsonRejection>,
) -> ApiResult<Reviewed> {
    let request = body(posted)?;
    let assessment = state
        .app
        .sign_off_assessment(SubjectId(id), &request.comment, &actor)
        .await?;
    Ok(Json(Reviewed {
        subject: SubjectId(id),
        assessment,
    }))
}

#[cfg(test)]
mod tests {
    use super::back_to;

    #[test]
    fn goes_back_only_to_a_case_or_subject_page() {
        assert_eq!(back_to("/cases/12#band", 3), "/cases/12#band");
        assert_eq!(back_to("/subjects/3", 3), "/subjects/3");
        for elsewhere in [
            "https://example.com/",
            "//example.com",
            "/cases/",
            "/cases/1/../x",
            "/cases/1#\"x",
        ] {
            assert_eq!(back_to(elsewhere, 3), "/subjects/3", "{elsewhere}");
        }
    }
}
