//! Allocating a case: the ranked candidates with the reason for each place, and the form a supervisor allocates
//! with — an override rationale when the chosen officer lacks a skill the policy requires.

use crate::WebState;
use crate::cases::justify_or_fail;
use crate::error::PageError;
use crate::session::{Posted, SignedIn, UserBar};
use crate::signin::render;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use severn_app::AppError;
use severn_app::allocating::CandidatesView;
use severn_app::gate::Why;
use severn_domain::ids::{CaseId, StaffId};

/// One candidate as the page lists them.
struct Line {
    staff: i64,
    name: String,
    meets_policy: bool,
    /// Skills, workload and availability in plain words.
    reason: String,
    chosen: bool,
}

#[derive(Template)]
#[template(path = "allocate.html")]
struct AllocatePage<'a> {
    user: Option<&'a UserBar>,
    case: i64,
    view: &'a CandidatesView,
    lines: Vec<Line>,
    rationale: String,
    justification: String,
    error: Option<String>,
}

fn lines(view: &CandidatesView, chosen: Option<i64>) -> Vec<Line> {
    view.candidates
        .iter()
        .map(|c| Line {
            staff: c.staff.0,
            name: c.name.clone(),
            meets_policy: c.meets_policy,
            reason: c.reason.clone(),
            chosen: chosen == Some(c.staff.0),
        })
        .collect()
}

fn show(
    signed_in: &SignedIn,
    case: i64,
    view: &CandidatesView,
    typed: (Option<i64>, String, String),
    error: Option<String>,
) -> Response {
    let (chosen, rationale, justification) = typed;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        status,
        &AllocatePage {
            user: Some(&signed_in.user),
            case,
            view,
            lines: lines(view, chosen),
            rationale,
            justification,
            error,
        },
    )
}

/// The ranked candidates and the form.
pub async fn page(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    signed_in: SignedIn,
) -> Response {
    match state
        .app
        .candidates(signed_in.actor(), CaseId(id), Why::default())
        .await
    {
        Ok(view) => show(
            &signed_in,
            id,
            &view,
            (None, String::new(), String::new()),
            None,
        ),
        Err(e) => justify_or_fail(e, &signed_in.user, &format!("/cases/{id}/allocate/why")),
    }
}

/// The reason given for opening a restricted case, carried by the form.
fn why_of(justification: &str) -> Why {
    Why::because(justification.trim())
}

/// The page for a restricted case, once the person has said why.
pub async fn page_justified(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<Justified>,
) -> Response {
    let signed_in = posted.signed_in;
    let justification = posted.form.justification;
    match state
        .app
        .candidates(signed_in.actor(), CaseId(id), why_of(&justification))
        .await
    {
        Ok(view) => show(
            &signed_in,
            id,
            &view,
            (None, String::new(), justification),
            None,
        ),
        Err(e) => justify_or_fail(e, &signed_in.user, &format!("/cases/{id}/allocate/why")),
    }
}

#[derive(Deserialize)]
pub struct Justified {
    #[serde(default)]
    justification: String,
}

#[derive(Deserialize)]
pub struct AllocateForm {
    #[serde(default)]
    officer: String,
    #[serde(default)]
    override_rationale: String,
    #[serde(default)]
    justification: String,
}

/// Allocates; a refusal (an override without a rationale, say) comes back on the page with what was chosen.
pub async fn allocate(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<AllocateForm>,
) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    let chosen = form.officer.trim().parse::<i64>().ok();
    let rationale = form.override_rationale.trim().to_owned();
    let allocated = match chosen {
        None => Err(AppError::Invalid("Choose the officer in charge.".into())),
        Some(officer) => {
            state
                .app
                .allocate(
                    signed_in.actor(),
                    CaseId(id),
                    (StaffId(officer), None),
                    Some(rationale.as_str()).filter(|r| !r.is_empty()),
                    why_of(&form.justification),
                )
                .await
        }
    };
    let message = match allocated {
        Ok(_) => return Redirect::to(&format!("/cases/{id}")).into_response(),
        Err(AppError::Invalid(message)) => message,
        Err(e) => return justify_or_fail(e, &signed_in.user, &format!("/cases/{id}/allocate/why")),
    };
    let why = why_of(&form.justification);
    match state
        .app
        .candidates(signed_in.actor(), CaseId(id), why)
        .await
    {
        Ok(view) => show(
            &signed_in,
            id,
            &view,
            (chosen, rationale, form.justification),
            Some(message),
        ),
        Err(e) => PageError::from(e).for_user(&signed_in.user).into_response(),
    }
}
