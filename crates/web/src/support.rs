//! The directory of commissioned support services on the web: the list (filtered by kind, area and age, paged,
//! contracts ending within six months flagged), each service's page, and the add and change forms for the
//! people who keep it; with their JSON API twins. The use cases decide who may change what and log it.

use crate::WebState;
use crate::api::{ApiResult, CSRF, DENIED, FAILED, INVALID, NOT_FOUND, NOT_SIGNED_IN, body};
use crate::error::{ApiError, PageError, back_or_keeping};
use crate::session::{ApiActor, Posted, SignedIn, UserBar};
use crate::signin::render;
use askama::Template;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use severn_app::AppError;
use severn_app::support::{DirectoryPage, DirectoryQuery};
use severn_app::time::{instant, london};
use severn_domain::support::{
    Areas, NewSupportService, Serves, ServiceId, ServiceKind, SupportService, to_csv,
};
use std::collections::BTreeSet;
use utoipa::IntoParams;

fn failed(error: AppError, user: &UserBar) -> Response {
    PageError::from(error).for_user(user).into_response()
}

// --- the list ----------------------------------------------------------------------------------------------

/// The directory's filters, as the page's form and the API's query give them.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct DirectoryFilter {
    /// Only this kind: young_victims, isva, sexual_violence_therapy, safeguarding_unit, offenders_families or
    /// other (empty: any).
    #[serde(default)]
    kind: String,
    /// Only services working in this local authority (its code, such as `bristol`), or in every area.
    #[serde(default)]
    area: String,
    /// Only services that take someone of this age, in years.
    #[serde(default)]
    age: String,
    /// `yes`: open services only; `no`: closed ones only; empty: both.
    #[serde(default)]
    active: String,
    /// The page, from 1.
    #[serde(default)]
    page: String,
}

impl DirectoryFilter {
    fn query(&self) -> Result<DirectoryQuery, AppError> {
        let kind = match self.kind.trim() {
            "" => None,
            typed => Some(ServiceKind::parse(typed).ok_or_else(|| {
                AppError::Invalid(format!("There is no kind of service {typed:?}."))
            })?),
        };
        let age = match self.age.trim() {
            "" => None,
            typed => Some(typed.parse::<u8>().map_err(|_| {
                AppError::Invalid(format!("Age: give a whole number of years, not {typed:?}."))
            })?),
        };
        let active = match self.active.trim() {
            "" => None,
            "yes" => Some(true),
            "no" => Some(false),
            typed => {
                return Err(AppError::Invalid(format!(
                    "Open or closed: give yes or no, not {typed:?}."
                )));
            }
        };
        Ok(DirectoryQuery {
            kind,
            area: Some(self.area.trim().to_owned()).filter(|a| !a.is_empty()),
            age,
            active,
            page: self.page.trim().parse().unwrap_or(1),
        })
    }

    /// The filters as a query string, for the page links (without the page).
    fn query_string(&self) -> String {
        serde_urlencoded::to_string([
            ("kind", self.kind.trim()),
            ("area", self.area.trim()),
            ("age", self.age.trim()),
            ("active", self.active.trim()),
        ])
        .unwrap_or_default()
    }
}

/// An option of a select.
struct Choice {
    value: &'static str,
    label: &'static str,
    chosen: bool,
}

fn kinds(chosen: Option<ServiceKind>) -> Vec<Choice> {
    ServiceKind::ALL
        .into_iter()
        .map(|k| Choice {
            value: k.as_str(),
            label: k.label(),
            chosen: chosen == Some(k),
        })
        .collect()
}

/// A service as the pages show it.
struct Shown {
    service: SupportService,
    kept_by: String,
    kind: &'static str,
    serves: String,
    ages: String,
    areas: String,
    needs: String,
    contract_ends: Option<String>,
    ends_soon: bool,
    ended: bool,
    may_change: bool,
    updated: String,
}

fn ages(s: &NewSupportService) -> String {
    match (s.min_age, s.max_age) {
        (None, None) => "Any age".into(),
        (Some(min), None) => format!("{min} and over"),
        (None, Some(max)) => format!("Up to {max}"),
        (Some(min), Some(max)) => format!("{min} to {max}"),
    }
}

fn shown(view: severn_app::support::ServiceView) -> Shown {
    let d = &view.service.details;
    Shown {
        kept_by: view.kept_by,
        kind: view.kind_label,
        serves: view.serves_labels.join(", "),
        ages: ages(d),
        areas: match &d.areas {
            Areas::All => "All areas".into(),
            Areas::Listed(codes) => codes.iter().cloned().collect::<Vec<_>>().join(", "),
        },
        needs: if d.needs.is_empty() {
            "Any".into()
        } else {
            d.needs.iter().cloned().collect::<Vec<_>>().join(", ")
        },
        contract_ends: d.contract_ends.map(|d| d.strftime("%-d %B %Y").to_string()),
        ends_soon: view.contract_ends_soon,
        ended: view.contract_ended,
        may_change: view.may_change,
        updated: london(instant(view.service.updated_at)),
        service: view.service,
    }
}

#[derive(Template)]
#[template(path = "support_services.html")]
struct DirectoryTemplate<'a> {
    user: Option<&'a UserBar>,
    services: Vec<Shown>,
    total: usize,
    page: usize,
    pages: usize,
    may_add: bool,
    ending: Vec<(String, String, bool)>,
    kinds: Vec<Choice>,
    filter: &'a DirectoryFilter,
    query: String,
    form: ServiceFormView,
}

pub async fn page(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(filter): Query<DirectoryFilter>,
) -> Response {
    let directory = match filter.query() {
        Ok(query) => state
            .app
            .support_directory(signed_in.actor(), &query)
            .await
            .map(|d| (d, query.kind)),
        Err(e) => Err(e),
    };
    match directory {
        Ok((d, kind)) => render(
            StatusCode::OK,
            &DirectoryTemplate {
                user: Some(&signed_in.user),
                total: d.total,
                page: d.page,
                pages: d.pages,
                may_add: d.may_add,
                ending: d
                    .contracts_ending
                    .iter()
                    .map(|c| {
                        (
                            c.name.clone(),
                            c.ends_on.strftime("%-d %B %Y").to_string(),
                            c.ended,
                        )
                    })
                    .collect(),
                services: d.services.into_iter().map(shown).collect(),
                kinds: kinds(kind),
                query: filter.query_string(),
                filter: &filter,
                form: ServiceFormView::blank(),
            },
        ),
        Err(e) => failed(e, &signed_in.user),
    }
}

/// The directory of commissioned support services, a page at a time, with the contracts ending within six months. Anyone signed in
#[utoipa::path(get, path = "/api/support-services", operation_id = "supportServices", tag = "support",
    params(DirectoryFilter),
    responses(
        (status = 200, description = "One page of the directory", body = DirectoryPage),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn list_api(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Query(filter): Query<DirectoryFilter>,
) -> ApiResult<DirectoryPage> {
    let query = filter.query()?;
    Ok(Json(state.app.support_directory(&actor, &query).await?))
}

/// The whole directory as CSV, in the columns `severn support-services import` reads.
pub async fn export(State(state): State<WebState>, signed_in: SignedIn) -> Response {
    match state.app.support_services(None, None, None, None).await {
        Ok(services) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"support-services.csv\"",
                ),
            ],
            to_csv(&services),
        )
            .into_response(),
        Err(e) => failed(e, &signed_in.user),
    }
}

// --- one service -------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "support_service.html")]
struct ServiceTemplate<'a> {
    user: Option<&'a UserBar>,
    s: Shown,
    form: ServiceFormView,
}

pub async fn service_page(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Response {
    let found = state
        .app
        .support_service_view(signed_in.actor(), ServiceId(id))
        .await;
    match found {
        Ok(view) => {
            let form = ServiceFormView::of(&view.service.details);
            render(
                StatusCode::OK,
                &ServiceTemplate {
                    user: Some(&signed_in.user),
                    s: shown(view),
                    form,
                },
            )
        }
        Err(e) => failed(e, &signed_in.user),
    }
}

/// One entry of the directory. Anyone signed in
#[utoipa::path(get, path = "/api/support-services/{id}", operation_id = "supportService", tag = "support",
    params(("id" = i64, Path, description = "The service's number in the directory.")),
    responses(
        (status = 200, description = "The entry", body = SupportService),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 404, description = NOT_FOUND, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn service_api(
    State(state): State<WebState>,
    ApiActor(_actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<SupportService> {
    Ok(Json(state.app.support_service(ServiceId(id)).await?))
}

// --- adding and changing -----------------------------------------------------------------------------------

/// The add and change forms' fields, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct ServiceForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    children: Option<String>,
    #[serde(default)]
    parents: Option<String>,
    #[serde(default)]
    families: Option<String>,
    #[serde(default)]
    min_age: String,
    #[serde(default)]
    max_age: String,
    #[serde(default)]
    areas: String,
    #[serde(default)]
    needs: String,
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    web: String,
    #[serde(default)]
    commissioner: String,
    #[serde(default)]
    contract_ends: String,
    #[serde(default)]
    active: Option<String>,
}

fn optional_number<T: std::str::FromStr>(label: &str, typed: &str) -> Result<Option<T>, AppError> {
    match typed.trim() {
        "" => Ok(None),
        typed => typed.parse().map(Some).map_err(|_| {
            AppError::Invalid(format!(
                "{label}: give a whole number, or leave it empty (not {typed:?})."
            ))
        }),
    }
}

impl ServiceForm {
    fn entry(&self) -> Result<NewSupportService, AppError> {
        let kind = ServiceKind::parse(&self.kind)
            .ok_or_else(|| AppError::Invalid("Choose the kind of service.".into()))?;
        let serves: BTreeSet<Serves> = [
            (Serves::ChildrenAndYoungPeople, &self.children),
            (Serves::ParentsAndCarers, &self.parents),
            (Serves::FamiliesOfSuspects, &self.families),
        ]
        .into_iter()
        .filter(|(_, ticked)| ticked.is_some())
        .map(|(group, _)| group)
        .collect();
        let areas =
            Areas::parse(&self.areas).map_err(|why| AppError::Invalid(format!("Areas: {why}.")))?;
        let contract_ends = match self.contract_ends.trim() {
            "" => None,
            typed => Some(typed.parse().map_err(|_| {
                AppError::Invalid(format!(
                    "Contract ends: give a date as YYYY-MM-DD, not {typed:?}."
                ))
            })?),
        };
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(NewSupportService {
            name: self.name.clone(),
            kind,
            serves,
            min_age: optional_number("Youngest age", &self.min_age)?,
            max_age: optional_number("Oldest age", &self.max_age)?,
            areas,
            needs: self
                .needs
                .split(';')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect(),
            capacity: optional_number("Places", &self.capacity)?,
            phone: text(&self.phone),
            email: text(&self.email),
            web: text(&self.web),
            commissioner: self.commissioner.clone(),
            contract_ends,
            active: self.active.is_some(),
        })
    }

    fn entered(&self) -> [(&'static str, &str); 11] {
        [
            ("Name", &self.name),
            ("Youngest age", &self.min_age),
            ("Oldest age", &self.max_age),
            ("Areas", &self.areas),
            ("Needs", &self.needs),
            ("Places", &self.capacity),
            ("Phone", &self.phone),
            ("E-mail address", &self.email),
            ("Web address", &self.web),
            ("Commissioner", &self.commissioner),
            ("Contract ends", &self.contract_ends),
        ]
    }
}

/// The form's values to show: empty for a new entry, the entry's own for a change.
struct ServiceFormView {
    name: String,
    kinds: Vec<Choice>,
    children: bool,
    parents: bool,
    families: bool,
    min_age: String,
    max_age: String,
    areas: String,
    needs: String,
    capacity: String,
    phone: String,
    email: String,
    web: String,
    commissioner: String,
    contract_ends: String,
    active: bool,
}

impl ServiceFormView {
    fn blank() -> ServiceFormView {
        ServiceFormView {
            name: String::new(),
            kinds: kinds(None),
            children: true,
            parents: false,
            families: false,
            min_age: String::new(),
            max_age: String::new(),
            areas: String::new(),
            needs: String::new(),
            capacity: String::new(),
            phone: String::new(),
            email: String::new(),
            web: String::new(),
            commissioner: String::new(),
            contract_ends: String::new(),
            active: true,
        }
    }

    fn of(d: &NewSupportService) -> ServiceFormView {
        let number = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
        ServiceFormView {
            name: d.name.clone(),
            kinds: kinds(Some(d.kind)),
            children: d.serves.contains(&Serves::ChildrenAndYoungPeople),
            parents: d.serves.contains(&Serves::ParentsAndCarers),
            families: d.serves.contains(&Serves::FamiliesOfSuspects),
            min_age: number(d.min_age.map(u32::from)),
            max_age: number(d.max_age.map(u32::from)),
            areas: d.areas.joined(),
            needs: d.needs.iter().cloned().collect::<Vec<_>>().join("; "),
            capacity: number(d.capacity),
            phone: d.phone.clone().unwrap_or_default(),
            email: d.email.clone().unwrap_or_default(),
            web: d.web.clone().unwrap_or_default(),
            commissioner: d.commissioner.clone(),
            contract_ends: d.contract_ends.map(|d| d.to_string()).unwrap_or_default(),
            active: d.active,
        }
    }
}

pub async fn add(State(state): State<WebState>, posted: Posted<ServiceForm>) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    let done = match form.entry() {
        Ok(entry) => {
            state
                .app
                .add_support_service(signed_in.actor(), None, entry)
                .await
        }
        Err(e) => Err(e),
    };
    back_or_keeping(done, &signed_in.user, "/support-services", &form.entered())
}

pub async fn change(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<ServiceForm>,
) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    let done = match form.entry() {
        Ok(entry) => {
            state
                .app
                .update_support_service(signed_in.actor(), ServiceId(id), entry)
                .await
        }
        Err(e) => Err(e),
    };
    back_or_keeping(
        done,
        &signed_in.user,
        &format!("/support-services/{id}"),
        &form.entered(),
    )
}

/// Add a service to the directory, kept by the caller's organisation. Safeguarding officers, the PCC's office and administrators
#[utoipa::path(post, path = "/api/support-services", operation_id = "addSupportService", tag = "support",
    params(("X-CSRF-Token" = Option<String>, Header, description = CSRF)),
    request_body = NewSupportService,
    responses(
        (status = 201, description = "The entry as stored", body = SupportService),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn add_api(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    posted: Result<Json<NewSupportService>, JsonRejection>,
) -> Result<(StatusCode, Json<SupportService>), ApiError> {
    let entry = body(posted)?;
    let id = state.app.add_support_service(&actor, None, entry).await?;
    Ok((
        StatusCode::CREATED,
        Json(state.app.support_service(id).await?),
    ))
}

/// Replace a service's details. People of the organisation that keeps it: safeguarding officers, the PCC's office and administrators
#[utoipa::path(put, path = "/api/support-services/{id}", operation_id = "changeSupportService", tag = "support",
    params(
        ("id" = i64, Path, description = "The service's number in the directory."),
        ("X-CSRF-Token" = Option<String>, Header, description = CSRF),
    ),
    request_body = NewSupportService,
    responses(
        (status = 200, description = "The entry as it now stands", body = SupportService),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 404, description = NOT_FOUND, body = ApiError),
        (status = 422, description = INVALID, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn change_api(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    posted: Result<Json<NewSupportService>, JsonRejection>,
) -> ApiResult<SupportService> {
    let entry = body(posted)?;
    state
        .app
        .update_support_service(&actor, ServiceId(id), entry)
        .await?;
    Ok(Json(state.app.support_service(ServiceId(id)).await?))
}
