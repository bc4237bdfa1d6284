//! Risk assessment: the active tool's questions for a subject, and the band before and after the answers,
//! with how each signal and answer moved it.
//!
//! Opening the page is the one logged case view of an assessment: the page carries the subject's signals (in
//! a hidden field) and its band, and the live preview posts them back with the answers, so redrawing the
//! band panel reads nothing from storage and logs nothing. Saving reads the signals afresh and is logged.

use crate::WebState;
use crate::cases::{Justification, justify_or_fail};
use crate::session::{Posted, SignedIn, UserBar};
use crate::signin::render;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use severn_app::AppError;
use severn_app::assess::AssessmentForm;
use severn_app::gate::Why;
use severn_domain::ids::SubjectId;
use severn_domain::risk::{Answer, Answers, Band, Outcome, Signals, Step};
use std::collections::BTreeMap;

/// Form fields carrying answers are named `answer.QUESTION_ID`.
const ANSWER_FIELD: &str = "answer.";
/// The hidden fields that carry what the opened page disclosed back to the preview.
const SIGNALS_FIELD: &str = "signals";
const BAND_NOW_FIELD: &str = "band_now";
/// The hidden field that carries the reason given for opening a restricted case on to the save.
const JUSTIFICATION_FIELD: &str = "justification";

struct OptionView {
    value: String,
    label: String,
    points: u32,
}

struct QuestionView {
    id: String,
    text: String,
    help: String,
    options: Vec<OptionView>,
}

struct StepView {
    label: &'static str,
    questions: Vec<QuestionView>,
}

#[derive(Template)]
#[template(path = "assess.html")]
struct AssessPage<'a> {
    user: Option<&'a UserBar>,
    subject: SubjectId,
    band_label: String,
    band: String,
    tool: String,
    illustrative_notice: Option<String>,
    steps: Vec<StepView>,
    /// The subject's signals as JSON, posted back by the live preview.
    signals: String,
    /// The reason given for opening a restricted case, carried to the save in the form's body.
    justification: Option<String>,
}

fn failed(error: AppError, user: &UserBar) -> Response {
    crate::error::PageError::from(error)
        .for_user(user)
        .into_response()
}

pub async fn assess_page(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Response {
    open_form(&state, &signed_in, SubjectId(id), None).await
}

/// The assessment page of a restricted case, with the reason for opening it (sent in the body, never in
/// the address).
pub async fn assess_page_justified(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<Justification>,
) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    open_form(&state, &signed_in, SubjectId(id), Some(form.justification)).await
}

async fn open_form(
    state: &WebState,
    signed_in: &SignedIn,
    subject: SubjectId,
    justification: Option<String>,
) -> Response {
    let why = justification.clone().map(Why::because).unwrap_or_default();
    let form = match state
        .app
        .assessment_form(signed_in.actor(), subject, why)
        .await
    {
        Ok(form) => form,
        Err(e) => {
            return justify_or_fail(
                e,
                &signed_in.user,
                &format!("/subjects/{subject}/assess/open"),
            );
        }
    };
    let tool = match state.app.active_tool().await {
        Ok(tool) => tool,
        Err(e) => return failed(e, &signed_in.user),
    };
    let AssessmentForm { subject, signals } = form;
    let steps = [
        Step::PreviousBehaviours,
        Step::AccessToChildren,
        Step::BehaviouralFacilitators,
        Step::OtherFactors,
    ]
    .into_iter()
    .map(|step| StepView {
        label: step.label(),
        questions: tool
            .questions_in(step)
            .map(|q| QuestionView {
                id: q.id.clone(),
                text: q.text.clone(),
                help: q.help.clone(),
                options: q
                    .options
                    .iter()
                    .map(|o| OptionView {
                        // A count question takes a whole number: its range's lower bound.
                        value: o
                            .at_least
                            .map_or_else(|| o.value.clone(), |n| n.to_string()),
                        label: o.display_label(),
                        points: o.points,
                    })
                    .collect(),
            })
            .collect(),
    })
    .filter(|step| !step.questions.is_empty())
    .collect();
    render(
        StatusCode::OK,
        &AssessPage {
            user: Some(&signed_in.user),
            subject: subject.subject,
            band_label: subject.band_label.clone(),
            band: subject.band.clone(),
            tool: format!("{} {}", tool.name(), tool.version()),
            illustrative_notice: tool.illustrative().then(|| tool.notice().to_owned()),
            steps,
            signals: serde_json::to_string(&signals).expect("signals serialise"),
            justification,
        },
    )
}

struct ContributionView {
    label: String,
    value: String,
    points: u32,
    floor: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "assessed.html")]
struct AssessedPage<'a> {
    user: Option<&'a UserBar>,
    subject: SubjectId,
    before_label: String,
    before: String,
    after_label: &'static str,
    after: &'static str,
    moved: &'static str,
    points: u32,
    reasons: Vec<String>,
    contributions: Vec<ContributionView>,
    unanswered: usize,
}

/// The answers in a posted assessment form; "Not answered" (an empty value) is left out.
fn answers_of(form: &BTreeMap<String, String>) -> Answers {
    form.iter()
        .filter_map(|(field, value)| {
            let question = field.strip_prefix(ANSWER_FIELD)?;
            (!value.is_empty()).then(|| (question.to_owned(), Answer::Choice(value.clone())))
        })
        .collect()
}

fn contributions(outcome: &Outcome) -> Vec<ContributionView> {
    outcome
        .contributions
        .iter()
        .map(|c| ContributionView {
            label: c.label.clone(),
            value: c.value.clone(),
            points: c.points,
            floor: c.floor.map(Band::label),
        })
        .collect()
}

/// Which way a band moved from `before`.
fn moved(before: Option<Band>, after: Band) -> &'static str {
    match before.map(|b| after.cmp(&b)) {
        Some(std::cmp::Ordering::Greater) => "up",
        Some(std::cmp::Ordering::Less) => "down",
        _ => "unchanged",
    }
}

/// The band panel the assessment page redraws (with htmx) whenever an answer changes.
#[derive(Template)]
#[template(path = "band_preview.html")]
struct BandPreview {
    band_now_label: &'static str,
    band_now: &'static str,
    after_label: &'static str,
    after: &'static str,
    moved: &'static str,
    points: u32,
    reasons: Vec<String>,
    contributions: Vec<ContributionView>,
}

/// The band panel for `answers` with the signals the page disclosed.
async fn preview_panel(
    state: &WebState,
    signals: &Signals,
    band_now: Option<Band>,
    answers: &Answers,
) -> Result<String, AppError> {
    let outcome = state.app.preview_disclosed(signals, answers).await?;
    BandPreview {
        band_now_label: band_now.map_or("not known", Band::label),
        band_now: band_now.map_or("unknown", Band::as_str),
        after_label: outcome.band.label(),
        after: outcome.band.as_str(),
        moved: moved(band_now, outcome.band),
        points: outcome.points,
        reasons: outcome.reasons.clone(),
        contributions: contributions(&outcome),
    }
    .render()
    .map_err(|e| AppError::Invalid(format!("the band panel could not be drawn: {e}")))
}

/// The band the answers so far would give with the signals the assessment page was opened with, and what
/// moved it; nothing is read from storage and nothing is saved (see the module comment).
pub async fn preview(
    State(state): State<WebState>,
    posted: Posted<BTreeMap<String, String>>,
) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    let Some(signals) = form
        .get(SIGNALS_FIELD)
        .and_then(|json| serde_json::from_str::<Signals>(json).ok())
    else {
        return failed(
            AppError::Invalid(
                "The assessment page is out of date: open it again from the subject's page."
                    .to_owned(),
            ),
            &signed_in.user,
        );
    };
    let band_now = form.get(BAND_NOW_FIELD).and_then(|b| Band::parse(b));
    match preview_panel(&state, &signals, band_now, &answers_of(&form)).await {
        Ok(panel) => (
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
            panel,
        )
            .into_response(),
        Err(e) => failed(e, &signed_in.user),
    }
}

pub async fn assess(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<BTreeMap<String, String>>,
) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    let answers = answers_of(&form);
    let subject = SubjectId(id);
    let why = || {
        form.get(JUSTIFICATION_FIELD)
            .map(|j| Why::because(j.as_str()))
            .unwrap_or_default()
    };
    let before = match state.app.subject(signed_in.actor(), subject, why()).await {
        Ok(before) => before,
        Err(e) => return failed(e, &signed_in.user),
    };
    let row = match state
        .app
        .assess_because(subject, answers, signed_in.actor(), why())
        .await
    {
        Ok(row) => row,
        Err(e) => return failed(e, &signed_in.user),
    };
    let outcome: Outcome = match serde_json::from_str(&row.outcome) {
        Ok(outcome) => outcome,
        Err(e) => {
            return failed(
                AppError::Invalid(format!("the stored outcome could not be read: {e}")),
                &signed_in.user,
            );
        }
    };
    let moved = moved(Band::parse(&before.band), outcome.band);
    render(
        StatusCode::OK,
        &AssessedPage {
            user: Some(&signed_in.user),
            subject,
            before_label: before.band_label,
            before: before.band,
            after_label: outcome.band.label(),
            after: outcome.band.as_str(),
            moved,
            points: outcome.points,
            reasons: outcome.reasons.clone(),
            contributions: contributions(&outcome),
            unanswered: outcome.unanswered.len(),
        },
    )
}
