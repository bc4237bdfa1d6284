//! Possible matches compared side by side before a merge: the comparison page, the merge it offers (with a
//! rationale and an explicit confirmation), and the result. The matches themselves are listed on the subject
//! page (`templates/possible_matches.html`, which the case page can include too).

use crate::WebState;
use crate::cases::{Justification, filters, justify_or_fail};
use crate::error::PageError;
use crate::session::{Posted, SignedIn, UserBar};
use crate::signin::render;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use severn_app::AppError;
use severn_app::gate::Why;
use severn_app::matches::{CONFIRMATION_NEEDED, Comparison, SubjectSide};
use severn_domain::ids::SubjectId;

/// What the merge form holds, kept when it is refused.
#[derive(Debug, Default, Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    rationale: String,
    /// `yes` when "I have compared them and they are the same person" is ticked.
    #[serde(default)]
    confirm: String,
    /// Why a restricted subject is being opened, carried from the comparison.
    #[serde(default)]
    justification: String,
}

impl MergeForm {
    fn confirmed(&self) -> bool {
        self.confirm == "yes"
    }
}

#[derive(Template)]
#[template(path = "compare.html")]
struct ComparePage<'a> {
    user: Option<&'a UserBar>,
    cmp: &'a Comparison,
    /// The two sides, each with its heading: the subject kept first.
    sides: [(String, &'a SubjectSide); 2],
    rationale: &'a str,
    confirmed: bool,
    justification: &'a str,
    /// Why the merge was refused, shown above the form.
    error: Option<String>,
    /// The confirmation was missing: said beside the box.
    confirm_error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "merged.html")]
struct MergedPage<'a> {
    user: Option<&'a UserBar>,
    subject: SubjectId,
    merged: SubjectId,
    moved: usize,
}

/// The comparison, with the merge form as `form` left it and, after a refusal, why.
async fn show(
    state: &WebState,
    signed_in: &SignedIn,
    (id, other): (i64, i64),
    form: &MergeForm,
    refused: Option<String>,
) -> Response {
    let why = Why::because(form.justification.clone());
    let path = format!("/subjects/{id}/compare/{other}");
    let cmp = match state
        .app
        .compare_subjects(signed_in.actor(), SubjectId(id), SubjectId(other), why)
        .await
    {
        Ok(cmp) => cmp,
        Err(e) => return justify_or_fail(e, &signed_in.user, &path),
    };
    let missing_tick = refused.as_deref() == Some(CONFIRMATION_NEEDED);
    let page = ComparePage {
        user: Some(&signed_in.user),
        cmp: &cmp,
        sides: [
            (
                format!("Subject {id}: kept if they are merged"),
                &cmp.subject,
            ),
            (
                format!("Subject {other}: moved into subject {id} if they are merged"),
                &cmp.other,
            ),
        ],
        rationale: &form.rationale,
        confirmed: form.confirmed(),
        justification: &form.justification,
        error: refused.filter(|_| !missing_tick),
        confirm_error: missing_tick.then_some(CONFIRMATION_NEEDED),
    };
    let status = if page.error.is_some() || page.confirm_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(status, &page)
}

pub async fn compare(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path((id, other)): Path<(i64, i64)>,
) -> Response {
    show(&state, &signed_in, (id, other), &MergeForm::default(), None).await
}

/// A comparison with a restricted subject, with the reason for opening it.
pub async fn compare_justified(
    State(state): State<WebState>,
    Path((id, other)): Path<(i64, i64)>,
    posted: Posted<Justification>,
) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    let form = MergeForm {
        justification: form.justification,
        ..MergeForm::default()
    };
    show(&state, &signed_in, (id, other), &form, None).await
}

/// The subject page's "compare with subject number …" box.
#[derive(Debug, Default, Deserialize)]
pub struct CompareWith {
    #[serde(default)]
    other: String,
}

pub async fn compare_with(
    signed_in: SignedIn,
    Path(id): Path<i64>,
    Query(with): Query<CompareWith>,
) -> Response {
    match with.other.trim().parse::<i64>() {
        Ok(other) if other > 0 => {
            Redirect::to(&format!("/subjects/{id}/compare/{other}")).into_response()
        }
        _ => PageError::from(AppError::Invalid(
            "Give the other subject's number, as shown on its page (for example 42).".into(),
        ))
        .for_user(&signed_in.user)
        .into_response(),
    }
}

pub async fn merge(
    State(state): State<WebState>,
    Path((id, other)): Path<(i64, i64)>,
    posted: Posted<MergeForm>,
) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    match state
        .app
        .merge_compared(
            SubjectId(id),
            SubjectId(other),
            &form.rationale,
            form.confirmed(),
            signed_in.actor(),
        )
        .await
    {
        Ok(done) => render(
            StatusCode::OK,
            &MergedPage {
                user: Some(&signed_in.user),
                subject: done.subject,
                merged: done.merged,
                moved: done.referrals_moved,
            },
        ),
        Err(AppError::Invalid(why)) => {
            show(&state, &signed_in, (id, other), &form, Some(why)).await
        }
        Err(other_error) => PageError::from(other_error)
            .for_user(&signed_in.user)
            .into_response(),
    }
}
