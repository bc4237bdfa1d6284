//! The staff register on the web: a person's post, capacity, working days, e-mail address and absences; the
//! force's skills; training records imported from CSV (all or nothing) and exported. Pages for administrators
//! and their JSON API twins; the use cases decide who may and log it.

use crate::WebState;
use crate::api::{ApiResult, CSRF, DENIED, FAILED, INVALID, NOT_FOUND, NOT_SIGNED_IN, body};
use crate::error::{ApiError, PageError, back_or_keeping};
use crate::session::{ApiActor, Posted, SignedIn, UserBar};
use crate::signin::render;
use askama::Template;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use severn_app::AppError;
use severn_app::allocating::{Profile, RegisterEntry, WEEKDAYS};
use severn_domain::allocation::WorkingDays;
use severn_domain::ids::StaffId;
use severn_domain::skills::{Skill, training_csv};
use severn_domain::text::capitalised;
use utoipa::ToSchema;

fn failed(error: AppError, user: &UserBar) -> Response {
    PageError::from(error).for_user(user).into_response()
}

// --- a person's register entry -----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage<'a> {
    user: Option<&'a UserBar>,
    name: String,
    entry: RegisterEntry,
    /// (value, label, ticked) for each day of the week.
    days: Vec<(&'static str, String, bool)>,
}

pub async fn page(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Response {
    let shown = async {
        let entry = state
            .app
            .register_entry(signed_in.actor(), StaffId(id))
            .await?;
        let name = state
            .app
            .staff_by_id(StaffId(id))
            .await?
            .map(|s| format!("{} ({})", s.display_name, s.username))
            .unwrap_or_else(|| format!("Staff {id}"));
        Ok::<_, AppError>((entry, name))
    }
    .await;
    match shown {
        Ok((entry, name)) => {
            let working: &[&str] = entry
                .profile
                .as_ref()
                .map_or(&[], |p| p.working_days.as_slice());
            let days = WEEKDAYS
                .iter()
                .map(|(_, day)| {
                    // A person with no profile yet works Monday to Friday until told otherwise.
                    let ticked = if entry.profile.is_some() {
                        working.contains(day)
                    } else {
                        !matches!(*day, "saturday" | "sunday")
                    };
                    (*day, capitalised(day), ticked)
                })
                .collect();
            render(
                StatusCode::OK,
                &RegisterPage {
                    user: Some(&signed_in.user),
                    name,
                    entry,
                    days,
                },
            )
        }
        Err(e) => failed(e, &signed_in.user),
    }
}

/// A person's post, capacity, working days and e-mail address, as the API and the form give them.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ProfileRequest {
    post: String,
    /// How many live cases they are meant to carry.
    capacity: u32,
    /// `monday` ... `sunday`.
    working_days: Vec<String>,
    #[serde(default)]
    email: Option<String>,
}

impl ProfileRequest {
    fn profile(&self) -> Result<Profile, AppError> {
        let mut days = Vec::new();
        for named in &self.working_days {
            let day = WEEKDAYS
                .iter()
                .find(|(_, name)| name.eq_ignore_ascii_case(named.trim()))
                .ok_or_else(|| {
                    AppError::Invalid(format!(
                        "{named:?} in working_days is not a day of the week (monday ... sunday)."
                    ))
                })?;
            days.push(day.0);
        }
        Ok(Profile {
            post: self.post.clone(),
            capacity: self.capacity,
            working_days: WorkingDays::of(days),
            email: self
                .email
                .as_deref()
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(str::to_owned),
        })
    }
}

/// The profile form: a box per day, so the days come as separate fields.
#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    post: String,
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    monday: Option<String>,
    #[serde(default)]
    tuesday: Option<String>,
    #[serde(default)]
    wednesday: Option<String>,
    #[serde(default)]
    thursday: Option<String>,
    #[serde(default)]
    friday: Option<String>,
    #[serde(default)]
    saturday: Option<String>,
    #[serde(default)]
    sunday: Option<String>,
}

impl ProfileForm {
    fn request(&self) -> Result<ProfileRequest, AppError> {
        let capacity = self.capacity.trim().parse().map_err(|_| {
            AppError::Invalid("Capacity: give a whole number of cases, such as 12.".into())
        })?;
        let ticked = [
            ("monday", &self.monday),
            ("tuesday", &self.tuesday),
            ("wednesday", &self.wednesday),
            ("thursday", &self.thursday),
            ("friday", &self.friday),
            ("saturday", &self.saturday),
            ("sunday", &self.sunday),
        ];
        Ok(ProfileRequest {
            post: self.post.clone(),
            capacity,
            working_days: ticked
                .iter()
                .filter(|(_, v)| v.is_some())
                .map(|(day, _)| (*day).to_owned())
                .collect(),
            email: Some(self.email.clone()),
        })
    }
}

pub async fn set_profile(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<ProfileForm>,
) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    let back = format!("/staff/{id}/register");
    let done = match form.request().and_then(|r| r.profile()) {
        Ok(profile) => {
            state
                .app
                .set_profile(signed_in.actor(), StaffId(id), &profile)
                .await
        }
        Err(e) => Err(e),
    };
    back_or_keeping(
        done,
        &signed_in.user,
        &back,
        &[
            ("Post", &form.post),
            ("Capacity", &form.capacity),
            ("E-mail address", &form.email),
        ],
    )
}

/// An absence, first and last day included.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AbsenceRequest {
    /// YYYY-MM-DD.
    first_day: String,
    /// YYYY-MM-DD, included.
    last_day: String,
    reason: String,
}

impl AbsenceRequest {
    fn days(&self) -> Result<(jiff::civil::Date, jiff::civil::Date), AppError> {
        let day = |field: &str, typed: &str| {
            typed.trim().parse().map_err(|_| {
                AppError::Invalid(format!(
                    "The {field} ({typed:?}) is not a date (YYYY-MM-DD)."
                ))
            })
        };
        Ok((
            day("first day", &self.first_day)?,
            day("last day", &self.last_day)?,
        ))
    }
}

pub async fn add_absence(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<AbsenceRequest>,
) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    let back = format!("/staff/{id}/register");
    let done = match form.days() {
        Ok(days) => {
            state
                .app
                .add_absence(signed_in.actor(), StaffId(id), days, &form.reason)
                .await
        }
        Err(e) => Err(e),
    };
    back_or_keeping(
        done,
        &signed_in.user,
        &back,
        &[
            ("First day", &form.first_day),
            ("Last day", &form.last_day),
            ("Reason", &form.reason),
        ],
    )
}

/// A member of staff's register entry: post, capacity, working days, e-mail address, absences to come. Administrators of their organisation
#[utoipa::path(get, path = "/api/staff/{id}/register", operation_id = "staffRegister", tag = "staff",
    params(("id" = i64, Path, description = "The member of staff's number.")),
    responses(
        (status = 200, description = "The register entry", body = RegisterEntry),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 404, description = NOT_FOUND, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn entry_api(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<RegisterEntry> {
    Ok(Json(state.app.register_entry(&actor, StaffId(id)).await?))
}

/// Set a member of staff's post, capacity, working days and e-mail address. Administrators of their organisation
#[utoipa::path(put, path = "/api/staff/{id}/profile", operation_id = "setStaffProfile", tag = "staff",
    params(
        ("id" = i64, Path, description = "The member of staff's number."),
        ("X-CSRF-Token" = Option<String>, Header, description = CSRF),
    ),
    request_body = ProfileRequest,
    responses(
        (status = 200, description = "The register entry as it now stands", body = RegisterEntry),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 404, description = NOT_FOUND, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn profile_api(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    posted: Result<Json<ProfileRequest>, JsonRejection>,
) -> ApiResult<RegisterEntry> {
    let profile = body(posted)?.profile()?;
    state.app.set_profile(&actor, StaffId(id), &profile).await?;
    Ok(Json(state.app.register_entry(&actor, StaffId(id)).await?))
}

/// Record an absence of a member of staff (leave, a course, sickness), first and last day included. Administrators of their organisation
#[utoipa::path(post, path = "/api/staff/{id}/absences", operation_id = "addStaffAbsence", tag = "staff",
    params(
        ("id" = i64, Path, description = "The member of staff's number."),
        ("X-CSRF-Token" = Option<String>, Header, description = CSRF),
    ),
    request_body = AbsenceRequest,
    responses(
        (status = 200, description = "The register entry as it now stands", body = RegisterEntry),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 404, description = NOT_FOUND, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn absence_api(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    posted: Result<Json<AbsenceRequest>, JsonRejection>,
) -> ApiResult<RegisterEntry> {
    let request = body(posted)?;
    let days = request.days()?;
    state
        .app
        .add_absence(&actor, StaffId(id), days, &request.reason)
        .await?;
    Ok(Json(state.app.register_entry(&actor, StaffId(id)).await?))
}

// --- skills and training records ---------------------------------------------------------------------------

/// Training records as CSV, with a header, to pass to the import.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ImportRequest {
    /// `username,skill,achieved_on,expires_on,evidence`: the same columns as `severn training export`.
    csv: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Imported {
    pub imported: usize,
}

#[derive(Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    csv: String,
}

pub async fn import(State(state): State<WebState>, posted: Posted<ImportForm>) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    back_or_keeping(
        state
            .app
            .import_training(signed_in.actor(), None, &form.csv)
            .await,
        &signed_in.user,
        "/training#import",
        &[("Training records (CSV)", &form.csv)],
    )
}

/// Import training records from CSV into the caller's force: every row is checked first, and one bad row refuses the whole file, naming each bad row and field. Administrators
#[utoipa::path(post, path = "/api/training/import", operation_id = "importTraining", tag = "training",
    params(("X-CSRF-Token" = Option<String>, Header, description = CSRF)),
    request_body = ImportRequest,
    responses(
        (status = 200, description = "How many records were added", body = Imported),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn import_api(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    posted: Result<Json<ImportRequest>, JsonRejection>,
) -> ApiResult<Imported> {
    let request = body(posted)?;
    let imported = state
        .app
        .import_training(&actor, None, &request.csv)
        .await?;
    Ok(Json(Imported { imported }))
}

/// The force's training records as CSV, the columns the import takes.
pub async fn export(State(state): State<WebState>, signed_in: SignedIn) -> Response {
    match state.app.training_records(signed_in.actor(), None).await {
        Ok(records) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"training-records.csv\"",
                ),
            ],
            training_csv(&records),
        )
            .into_response(),
        Err(e) => failed(e, &signed_in.user),
    }
}

/// One training record with whose it is.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrainingLine {
    pub username: String,
    #[schema(value_type = Object)]
    pub record: severn_domain::skills::TrainingRecord,
}

/// The caller's force's training records. Administrators
#[utoipa::path(get, path = "/api/training/records", operation_id = "trainingRecords", tag = "training",
    responses(
        (status = 200, description = "Every record", body = [TrainingLine]),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn records_api(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Vec<TrainingLine>> {
    let records = state.app.training_records(&actor, None).await?;
    Ok(Json(
        records
            .into_iter()
            .map(|(username, record)| TrainingLine { username, record })
            .collect(),
    ))
}

/// A skill in the force's catalogue.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SkillLine {
    /// Lower case letters, digits and `_`, such as `pip2`.
    code: String,
    name: String,
    /// Months after it is achieved that it must be renewed; none when it never lapses.
    #[serde(default)]
    renew_after_months: Option<u32>,
}

/// The caller's force's skills. Administrators
#[utoipa::path(get, path = "/api/training/skills", operation_id = "skills", tag = "training",
    responses(
        (status = 200, description = "The catalogue", body = [SkillLine]),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn skills_api(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Vec<SkillLine>> {
    let skills = state.app.skills(&actor, None).await?;
    Ok(Json(
        skills
            .into_iter()
            .map(|s| SkillLine {
                code: s.code.to_string(),
                name: s.name,
                renew_after_months: s.renew_after_months,
            })
            .collect(),
    ))
}

/// Add a skill to the force's catalogue, or rename one or change its renewal period. Administrators
#[utoipa::path(post, path = "/api/training/skills", operation_id = "putSkill", tag = "training",
    params(("X-CSRF-Token" = Option<String>, Header, description = CSRF)),
    request_body = SkillLine,
    responses(
        (status = 204, description = "Saved"),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn put_skill_api(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    posted: Result<Json<SkillLine>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let line = body(posted)?;
    let skill = Skill::new(&line.code, &line.name, line.renew_after_months)
        .map_err(|e| AppError::Invalid(e.to_string()))?;
    state.app.put_skill(&actor, None, &skill).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct SkillForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    renew_after_months: String,
}

pub async fn put_skill(State(state): State<WebState>, posted: Posted<SkillForm>) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    let renew = match form.renew_after_months.trim() {
        "" => Ok(None),
        typed => typed.parse().map(Some).map_err(|_| {
            AppError::Invalid(
                "Renew after: give a whole number of months, or leave it empty.".into(),
            )
        }),
    };
    let done = match renew.and_then(|months| {
        Skill::new(&form.code, &form.name, months).map_err(|e| AppError::Invalid(e.to_string()))
    }) {
        Ok(skill) => state.app.put_skill(signed_in.actor(), None, &skill).await,
        Err(e) => Err(e),
    };
    back_or_keeping(
        done,
        &signed_in.user,
        "/training#skills",
        &[
            ("Code", &form.code),
            ("Name", &form.name),
            ("Renew after (months)", &form.renew_after_months),
        ],
    )
}
