//! Cases from opening to outcome: the worklists, a case's page (where it stands, its warrants, stages and
//! timeline) and the forms that open a case and record its events. Each handler passes the signed-in actor to
//! the use case, which decides and logs; a refused event comes back beside its form with what was typed.

use crate::WebState;
use crate::cases::{filters, justify_or_fail};
use crate::error::PageError;
use crate::session::{Posted, SignedIn, UserBar};
use crate::signin::{render, when};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use severn_app::AppError;
use severn_app::casework::{CaseView, EventView};
use severn_app::gate::Why;
use severn_app::matches::PossibleMatches;
use severn_app::time::instant;
use severn_domain::access::Actor;
use severn_domain::case::{
    ChargeDecision, ClockState, EventKind, Fact, HOME_OFFICE_OUTCOMES, NewEvent, Urgency,
};
use severn_domain::ids::{CaseId, EventId, SubjectId};
use severn_domain::risk::Band;
use severn_domain::text::capitalised;
use std::collections::BTreeMap;
use std::sync::LazyLock;

mod safeguarding;

pub use crate::caselist::worklist;
pub(crate) use crate::caselist::worklist_page;

/// The case view.
pub(crate) async fn case_view(
    state: &WebState,
    actor: &Actor,
    case: CaseId,
    why: Why,
) -> Result<CaseView, AppError> {
    state.app.case_view(actor, case, why).await
}

/// Shows a use case's refusal or failure as a page with the person's navigation.
pub(crate) fn failed(error: AppError, user: &UserBar) -> Response {
    PageError::from(error).for_user(user).into_response()
}

/// Opens a case on a subject, then shows it.
pub async fn open(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<CsrfOnly>,
) -> Response {
    let signed_in = posted.signed_in;
    match state.app.open_case(signed_in.actor(), SubjectId(id)).await {
        Ok(case) => Redirect::to(&format!("/cases/{case}")).into_response(),
        Err(e) => failed(e, &signed_in.user),
    }
}

/// A form that carries nothing but its CSRF token (checked by [`Posted`]).
#[derive(Deserialize)]
pub struct CsrfOnly {}

// --- times ----------------------------------------------------------------------------------------------

/// Europe/London, in which people type the times of events.
fn london_zone() -> TimeZone {
    static LONDON: LazyLock<TimeZone> = LazyLock::new(|| {
        TimeZone::get("Europe/London").expect("the time zone database holds Europe/London")
    });
    LONDON.clone()
}

/// A time as the date and time fields show it, in Europe/London.
fn date_and_time(at: Timestamp) -> (String, String) {
    let zoned = at.to_zoned_datetime(london_zone());
    (
        zoned.strftime("%Y-%m-%d").to_string(),
        zoned.strftime("%H:%M").to_string(),
    )
}

/// `at` rounded up to the whole minute the time fields can show. Rounded down, an entry made in the minute a
/// referral arrived would default to before it and be refused; up, it is less than a minute ahead, which the
/// order rules allow for clocks that drift.
fn minute_up(at: Timestamp) -> Timestamp {
    let seconds = at.as_second();
    Timestamp::from_second(seconds + (60 - seconds.rem_euclid(60)) % 60).unwrap_or(at)
}

/// The instant a date and time typed in Europe/London name.
fn typed_time(date: &str, time: &str) -> Result<Timestamp, AppError> {
    let date: jiff::civil::Date = date.trim().parse().map_err(|_| {
        AppError::Invalid("Give the date it happened as a date, such as 2026-03-02.".into())
    })?;
    let time: jiff::civil::Time = time.trim().parse().map_err(|_| {
        AppError::Invalid(
            "Give the time it happened as hours and minutes, such as 14:05 (UK time).".into(),
        )
    })?;
    date.to_datetime(time)
        .to_zoned_datetime(london_zone())
        .map(|zoned| zoned.timestamp())
        .map_err(|_| AppError::Invalid("That date and time cannot be shown in UK time.".into()))
}

/// A length of time in plain words: "2 days 3 h", "5 h 10 min", "40 min".
fn span(seconds: i64) -> String {
    let minutes = SignedDuration::from_secs(seconds).as_mins().max(0);
    let (days, hours, mins) = (minutes / (24 * 60), minutes / 60 % 24, minutes % 60);
    let day_word = if days == 1 { "day" } else { "days" };
    match (days, hours) {
        (0, 0) => format!("{mins} min"),
        (0, h) => format!("{h} h {mins} min"),
        (d, 0) => format!("{d} {day_word}"),
        (d, h) => format!("{d} {day_word} {h} h"),
    }
}

// --- the forms that record events -----------------------------------------------------------------------

/// The facts people record from the case page, in the order a case usually meets them.
const RECORDED: [EventKind; 25] = [
    EventKind::ResearchStarted,
    EventKind::CommsDataRequested,
    EventKind::CommsDataReturned,
    EventKind::WarrantApplied,
    EventKind::WarrantGranted,
    EventKind::WarrantRefused,
    EventKind::WarrantExecuted,
    EventKind::Arrest,
    EventKind::VoluntaryAttendance,
    EventKind::Interview,
    EventKind::Bail,
    EventKind::ReleasedUnderInvestigation,
    EventKind::DevicesSeized,
    EventKind::DevicesTriaged,
    EventKind::DevicesSubmitted,
    EventKind::DevicesExamined,
    EventKind::ChargingDecision,
    EventKind::Outcome,
    EventKind::ClockPaused,
    EventKind::ClockResumed,
    EventKind::Note,
    EventKind::TaskSet,
    EventKind::TaskDone,
    EventKind::Closed,
    EventKind::Withdrawn,
];

/// The facts only the supervisor's role records.
const SUPERVISED: [EventKind; 2] = [EventKind::ReturnedToNca, EventKind::Rebanded];

/// The fields whose JSON value is a number.
const NUMBERS: [&str; 8] = [
    "warrant", "count", "code", "task", "child", "plan", "action", "support",
];

/// How a field is typed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Input {
    Line,
    Text,
    Count,
    /// A number that may be left out.
    Optional,
    Date,
    Tick,
    Choose,
    /// Set by Severn, not typed (the number of a new warrant).
    Fixed,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// One field of a fact's form. `name` is the fact's field as the JSON API names it.
struct Field {
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    input: Input,
    value: String,
    choices: Vec<Choice>,
}

impl Field {
    fn is(&self, input: &str) -> bool {
        let name = match self.input {
            Input::Line => "line",
            Input::Text => "text",
            Input::Count => "count",
            Input::Optional => "optional",
            Input::Date => "date",
            Input::Tick => "tick",
            Input::Choose => "choose",
            Input::Fixed => "fixed",
        };
        name == input
    }

    fn ticked(&self) -> bool {
        self.value == "true" || self.value == "yes"
    }
}

/// What a case offers its forms to choose from.
#[derive(Default)]
struct Choices {
    warrant_types: Vec<(String, String)>,
    /// Warrant numbers with what they are.
    warrants: Vec<(u32, String)>,
    next_warrant: u32,
    /// Open tasks' numbers with what they are.
    tasks: Vec<(u32, String)>,
    next_task: u32,
    safeguarding: safeguarding::SafeguardingChoices,
}

fn field(name: &'static str, label: &'static str, input: Input) -> Field {
    Field {
        name,
        label,
        hint: "",
        input,
        value: String::new(),
        choices: Vec::new(),
    }
}

fn choose(name: &'static str, label: &'static str, options: Vec<(String, String)>) -> Field {
    Field {
        choices: options
            .into_iter()
            .map(|(value, label)| Choice {
                value,
                label,
                selected: false,
            })
            .collect(),
        ..field(name, label, Input::Choose)
    }
}

/// The fields of a fact of `kind`, with their defaults.
fn fields_of(kind: EventKind, choices: &Choices) -> Vec<Field> {
    let warrant = || {
        choose(
            "warrant",
            "Which warrant",
            choices
                .warrants
                .iter()
                .map(|(n, what)| (n.to_string(), format!("Warrant {n}: {what}")))
                .collect(),
        )
    };
    let reason = || field("reason", "Reason", Input::Text);
    let count = || field("count", "How many devices", Input::Count);
    match kind {
        EventKind::CommsDataRequested | EventKind::CommsDataReturned => {
            vec![field("what", "What was asked for", Input::Text)]
        }
        EventKind::WarrantApplied => vec![
            Field {
                value: choices.next_warrant.to_string(),
                ..field("warrant", "Warrant number", Input::Fixed)
            },
            choose(
                "warrant_type",
                "Type of warrant",
                choices.warrant_types.clone(),
            ),
            field("court", "Court", Input::Line),
            field("remote", "Heard remotely", Input::Tick),
        ],
        EventKind::WarrantGranted | EventKind::WarrantExecuted => vec![warrant()],
        EventKind::WarrantRefused => vec![warrant(), reason()],
        EventKind::Bail => vec![
            field("conditions", "Bail conditions", Input::Text),
            Field {
                hint: "The date the bail ends, such as 2026-04-30.",
                ..field("until", "Bail until", Input::Date)
            },
        ],
        EventKind::DevicesSeized => vec![
            count(),
            field("description", "What was seized", Input::Text),
        ],
        EventKind::DevicesTriaged | EventKind::DevicesSubmitted | EventKind::DevicesExamined => {
            vec![count()]
        }
        EventKind::ChargingDecision => vec![choose(
            "decision",
            "Decision",
            ChargeDecision::ALL
                .into_iter()
                .map(|d| (d.as_str().to_owned(), d.label().to_owned()))
                .collect(),
        )],
        EventKind::Outcome => vec![choose(
            "code",
            "Home Office outcome",
            HOME_OFFICE_OUTCOMES
                .iter()
                .map(|(code, label)| (code.to_string(), format!("{code}: {label}")))
                .collect(),
        )],
        EventKind::ClockPaused | EventKind::ReturnedToNca => vec![reason()],
        EventKind::Closed => vec![field("reason", "Why the case is closed", Input::Text)],
        EventKind::Note => vec![field("text", "Note", Input::Text)],
        EventKind::TaskSet => vec![
            Field {
                value: choices.next_task.to_string(),
                ..field("task", "Task number", Input::Fixed)
            },
            field("text", "What is to be done", Input::Text),
            Field {
                hint: "The date it is to be done by, such as 2026-04-30.",
                ..field("due", "Due by", Input::Date)
            },
        ],
        EventKind::TaskDone => vec![choose(
            "task",
            "Which task",
            choices
                .tasks
                .iter()
                .map(|(n, what)| (n.to_string(), format!("Task {n}: {what}")))
                .collect(),
        )],
        EventKind::Rebanded => vec![choose(
            "band",
            "New band",
            Band::ALL
                .into_iter()
                .map(|b| (b.as_str().to_owned(), b.label().to_owned()))
                .collect(),
        )],
        kind if safeguarding::SAFEGUARDING.contains(&kind) => {
            safeguarding::fields_of(kind, choices)
        }
        _ => Vec::new(),
    }
}

/// The fields' values, from a posted form or from a fact's JSON.
fn fill(fields: &mut [Field], value_of: impl Fn(&str) -> Option<String>) {
    for field in fields {
        if let Some(value) = value_of(field.name) {
            field.value = value;
        }
        for choice in &mut field.choices {
            choice.selected = choice.value == field.value;
        }
    }
}

/// A fact's fields as the form shows them: its JSON values as text.
fn fact_values(fact: &Fact) -> BTreeMap<String, String> {
    let Ok(serde_json::Value::Object(object)) = serde_json::to_value(fact) else {
        return BTreeMap::new();
    };
    let mut values: BTreeMap<String, String> = object
        .into_iter()
        .map(|(name, value)| {
            let text = match value {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => String::new(),
                // A list of numbers (the children a plan is for) as typed: "1, 2".
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_string(),
            };
            (name, text)
        })
        .collect();
    if let (Some(plan), Some(action)) = (values.get("plan"), values.get("action")) {
        let both = format!("{plan}:{action}");
        values.insert("action_of_plan".into(), both);
    }
    values
}

/// The fact a posted form describes: each field converted to its JSON type, then read as the API reads it.
fn fact_from(
    kind: EventKind,
    fields: &[Field],
    form: &BTreeMap<String, String>,
) -> Result<Fact, AppError> {
    let mut object = serde_json::Map::new();
    object.insert("kind".into(), kind.as_str().into());
    for field in fields {
        let typed = form.get(field.name).map(|v| v.trim()).unwrap_or("");
        if field.name == "action_of_plan" {
            // One choice names a joint plan's action: `plan:action`.
            let (plan, action) = typed
                .split_once(':')
                .and_then(|(p, a)| Some((p.parse::<u32>().ok()?, a.parse::<u32>().ok()?)))
                .ok_or_else(|| AppError::Invalid("Choose the action.".into()))?;
            object.insert("plan".into(), plan.into());
            object.insert("action".into(), action.into());
            continue;
        }
        if let Some(value) = safeguarding::value_of(field.name, typed, form) {
            object.insert(field.name.into(), value.map_err(AppError::Invalid)?);
            continue;
        }
        let value = if field.input == Input::Tick {
            serde_json::Value::Bool(typed == "yes")
        } else if NUMBERS.contains(&field.name) {
            let number: u64 = typed.parse().map_err(|_| {
                AppError::Invalid(format!("{} must be a whole number.", field.label))
            })?;
            number.into()
        } else {
            typed.into()
        };
        object.insert(field.name.into(), value);
    }
    serde_json::from_value(serde_json::Value::Object(object)).map_err(|_| {
        AppError::Invalid(format!(
            "The entry \"{}\" was not complete: fill in each of its fields.",
            kind.label()
        ))
    })
}

/// One form on the case page: a fact to record, or a correction of an entry.
struct FactForm {
    /// Unique on the page: the element ids of its fields start with it.
    id: String,
    kind: EventKind,
    heading: String,
    fields: Vec<Field>,
    supersedes: Option<EventId>,
    date: String,
    time: String,
    rationale: String,
    correction: bool,
    /// Closing would leave this undone: the form asks for a confirmation.
    open_work: Vec<&'static str>,
    /// Shown with the case's safeguarding rather than with the investigation's entries.
    safeguarding: bool,
    confirmed: bool,
    error: Option<String>,
}

impl FactForm {
    fn new(kind: EventKind, choices: &Choices, now: Timestamp) -> FactForm {
        let (date, time) = date_and_time(minute_up(now));
        FactForm {
            id: kind.as_str().to_owned(),
            kind,
            heading: kind.label().to_owned(),
            fields: fields_of(kind, choices),
            supersedes: None,
            date,
            time,
            rationale: String::new(),
            correction: false,
            open_work: Vec::new(),
            safeguarding: safeguarding::SAFEGUARDING.contains(&kind),
            confirmed: false,
            error: None,
        }
    }

    /// The same form with what was posted in it and why it was refused.
    fn refused(mut self, form: &BTreeMap<String, String>, error: String) -> FactForm {
        fill(&mut self.fields, |name| form.get(name).cloned());
        let posted = |name: &str| form.get(name).cloned().unwrap_or_default();
        self.date = posted("date");
        self.time = posted("time");
        self.rationale = posted("rationale");
        self.correction = form.get("correction").is_some_and(|v| v == "yes");
        self.confirmed = form.get("confirm").is_some_and(|v| v == "yes");
        self.error = Some(error);
        self
    }
}

/// The forms the person may use on this case, `correct` naming an entry they asked to correct.
fn forms(
    view: &CaseView,
    choices: &Choices,
    correct: Option<EventId>,
    now: Timestamp,
) -> Vec<FactForm> {
    let mut forms = Vec::new();
    if let Some(entry) = correct.and_then(|id| correctable(view, id)) {
        // An entry recorded elsewhere (an allocation, an assessment) is corrected where it was made; here it
        // may only be withdrawn.
        let has_form = (RECORDED.contains(&entry.kind) && view.may.record)
            || (SUPERVISED.contains(&entry.kind) && view.may.allocate)
            || (safeguarding::SAFEGUARDING.contains(&entry.kind) && view.may.safeguard);
        if has_form {
            let values = fact_values(&entry.fact);
            let mut again = FactForm::new(entry.kind, choices, now);
            fill(&mut again.fields, |name| values.get(name).cloned());
            let (date, time) = date_and_time(entry.occurred_at);
            forms.push(FactForm {
                id: "correct".into(),
                heading: format!("Correct entry {}: {}", entry.id, entry.label),
                supersedes: Some(entry.id),
                date,
                time,
                correction: true,
                ..again
            });
        }
        forms.push(FactForm {
            id: "withdraw".into(),
            heading: format!("Withdraw entry {}: {}", entry.id, entry.label),
            supersedes: Some(entry.id),
            correction: true,
            ..FactForm::new(EventKind::Withdrawn, choices, now)
        });
    }
    let kinds = RECORDED
        .iter()
        .filter(|_| view.may.record)
        .chain(SUPERVISED.iter().filter(|_| view.may.allocate));
    for &kind in kinds {
        let needs_warrant = matches!(
            kind,
            EventKind::WarrantGranted | EventKind::WarrantRefused | EventKind::WarrantExecuted
        );
        // Withdrawing is offered on the entry it withdraws; a warrant's later events need a warrant; a closed
        // case takes notes only (withdrawing its closing entry reopens it).
        let closed = view.status == "closed" && kind != EventKind::Note;
        let needs_task = kind == EventKind::TaskDone && choices.tasks.is_empty();
        if kind == EventKind::Withdrawn
            || (needs_warrant && choices.warrants.is_empty())
            || needs_task
            || closed
        {
            continue;
        }
        let mut form = FactForm::new(kind, choices, now);
        if kind == EventKind::Closed {
            form.open_work = view.open_work.clone();
        }
        forms.push(form);
    }
    if view.may.safeguard && view.status != "closed" {
        for kind in safeguarding::SAFEGUARDING {
            if choices.safeguarding.offers(kind) {
                forms.push(FactForm::new(kind, choices, now));
            }
        }
    }
    forms
}

/// An entry that may be corrected: in force, and not itself a withdrawal.
fn correctable(view: &CaseView, id: EventId) -> Option<&EventView> {
    view.events
        .iter()
        .find(|e| e.id == id && e.superseded_by.is_none() && e.kind != EventKind::Withdrawn)
}

// --- the case page --------------------------------------------------------------------------------------

struct TimelineLine {
    id: EventId,
    occurred: String,
    recorded: String,
    recorded_by: String,
    label: &'static str,
    summary: String,
    entry: &'static str,
    supersedes: Option<EventId>,
    superseded_by: Option<EventId>,
    rationale: String,
    correctable: bool,
}

struct StageLine {
    label: &'static str,
    took: String,
}

struct WarrantLine {
    number: u32,
    what: String,
    court: String,
    applied: String,
    decision: String,
    executed: String,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage<'a> {
    user: Option<&'a UserBar>,
    view: &'a CaseView,
    /// The clock's state in words.
    clock: String,
    urgent: bool,
    warrants: Vec<WarrantLine>,
    stages: Vec<StageLine>,
    timeline: Vec<TimelineLine>,
    forms: Vec<FactForm>,
    /// Whether the investigation's forms (or a correction) are offered, and the safeguarding forms.
    record_forms: bool,
    safeguarding_forms: bool,
    /// The reason given for opening a restricted case, carried by each form.
    justification: String,
    /// Whether the page shows a correction, so its form comes first and open.
    correcting: bool,
    /// Other subjects that may be the same person as the case's.
    matches: PossibleMatches,
}

fn clock_words(view: &CaseView) -> String {
    match &view.clock.state {
        ClockState::Running { due } => format!("Running: due {} ({})", when(*due), view.clock_text),
        ClockState::Paused {
            since,
            reason,
            left,
        } => format!(
            "Paused since {}: {reason}. {} will be left when it resumes.",
            when(*since),
            span(left.as_secs())
        ),
        ClockState::Stopped { at, due, .. } => format!(
            "{} at {} (it was due {})",
            capitalised(&view.clock_text),
            when(*at),
            when(*due)
        ),
    }
}

fn warrant_lines(view: &CaseView, choices: &Choices) -> Vec<WarrantLine> {
    view.warrants
        .iter()
        .map(|w| WarrantLine {
            number: w.warrant,
            what: choices
                .warrants
                .iter()
                .find(|(number, _)| *number == w.warrant)
                .map_or_else(|| w.warrant_type.clone(), |(_, name)| name.clone()),
            court: format!(
                "{}{}",
                w.court,
                if w.remote { " (heard remotely)" } else { "" }
            ),
            applied: when(w.applied_at),
            decision: match (w.granted_at, w.refused_at) {
                (Some(at), _) => format!("Granted {}", when(at)),
                (None, Some(at)) => format!(
                    "Refused {}: {}",
                    when(at),
                    w.refusal_reason.as_deref().unwrap_or("")
                ),
                (None, None) => "Awaiting decision".to_owned(),
            },
            executed: w.executed_at.map(when).unwrap_or_default(),
        })
        .collect()
}

fn case_page_parts(view: &CaseView) -> (Vec<StageLine>, Vec<TimelineLine>) {
    let stages = view
        .stages
        .iter()
        .map(|s| StageLine {
            label: s.label,
            took: s.seconds.map(span).unwrap_or_else(|| "not yet".to_owned()),
        })
        .collect();
    let timeline = view
        .events
        .iter()
        .map(|e| TimelineLine {
            id: e.id,
            occurred: when(e.occurred_at),
            recorded: when(e.recorded_at),
            recorded_by: e.recorded_by.clone(),
            label: e.label,
            summary: e.summary.clone(),
            entry: match e.entry {
                severn_domain::case::Entry::Ordinary => "",
                severn_domain::case::Entry::Late => "Late entry",
                severn_domain::case::Entry::Correction => "Correction",
            },
            supersedes: e.supersedes,
            superseded_by: e.superseded_by,
            rationale: e.rationale.clone().unwrap_or_default(),
            correctable: correctable(view, e.id).is_some()
                && if safeguarding::SAFEGUARDING.contains(&e.kind) {
                    view.may.safeguard
                } else {
                    view.may.record
                },
        })
        .collect();
    (stages, timeline)
}

/// The case page's query: an entry to correct.
#[derive(Debug, Default, Deserialize)]
pub struct CaseQuery {
    #[serde(default)]
    correct: Option<i64>,
}

/// A restricted case, with the reason for opening it.
#[derive(Debug, Default, Deserialize)]
pub struct CaseJustification {
    #[serde(default)]
    justification: String,
    #[serde(default)]
    correct: Option<i64>,
}

pub async fn case(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    Query(query): Query<CaseQuery>,
) -> Response {
    let correct = query.correct.map(EventId);
    show_case(&state, &signed_in, id, String::new(), correct).await
}

pub async fn case_justified(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<CaseJustification>,
) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    let correct = form.correct.map(EventId);
    show_case(&state, &signed_in, id, form.justification, correct).await
}

fn why_of(justification: &str) -> Why {
    if justification.trim().is_empty() {
        Why::default()
    } else {
        Why::because(justification)
    }
}

async fn show_case(
    state: &WebState,
    signed_in: &SignedIn,
    id: i64,
    justification: String,
    correct: Option<EventId>,
) -> Response {
    let shown = async {
        let why = why_of(&justification);
        let view = case_view(state, signed_in.actor(), CaseId(id), why.clone()).await?;
        let choices = choices_of(state, &view).await?;
        let matches = matches_of(state, signed_in.actor(), &view, why).await?;
        Ok::<_, AppError>((view, choices, matches))
    }
    .await;
    match shown {
        Ok((view, choices, matches)) => {
            let now = instant(state.app.now());
            let forms = forms(&view, &choices, correct, now);
            page(
                signed_in,
                (&view, matches),
                &choices,
                forms,
                justification,
                StatusCode::OK,
            )
        }
        Err(e) => justify_or_fail(e, &signed_in.user, &format!("/cases/{id}")),
    }
}

async fn choices_of(state: &WebState, view: &CaseView) -> Result<Choices, AppError> {
    let authorities = if view.may.safeguard {
        let list = state.app.local_authorities().await?;
        list.all()
            .into_iter()
            .map(|a| (a.code.clone(), a.name.clone()))
            .collect()
    } else {
        Vec::new()
    };
    let services = if view.may.safeguard {
        state
            .app
            .support_services(None, None, None, Some(true))
            .await?
            .into_iter()
            .map(|s| (s.id.0.to_string(), s.details.name))
            .collect()
    } else {
        Vec::new()
    };
    let warrant_types = if view.may.record {
        state.app.warrant_types().await?
    } else {
        Vec::new()
    };
    let names: BTreeMap<&str, &str> = warrant_types
        .iter()
        .map(|(code, name)| (code.as_str(), name.as_str()))
        .collect();
    let warrants = view
        .warrants
        .iter()
        .map(|w| {
            let name = names.get(w.warrant_type.as_str()).copied();
            (w.warrant, name.unwrap_or(&w.warrant_type).to_owned())
        })
        .collect();
    Ok(Choices {
        next_warrant: view.next_warrant,
        warrants,
        warrant_types,
        tasks: view
            .tasks
            .iter()
            .map(|t| (t.task, t.text.clone()))
            .collect(),
        next_task: view.next_task,
        safeguarding: safeguarding::SafeguardingChoices::of(view, authorities, services),
    })
}

/// The first page of the case's subject's possible matches, shown beside the case.
async fn matches_of(
    state: &WebState,
    actor: &Actor,
    view: &CaseView,
    why: Why,
) -> Result<PossibleMatches, AppError> {
    state
        .app
        .possible_matches(actor, view.subject, why, 1)
        .await
}

fn page(
    signed_in: &SignedIn,
    (view, matches): (&CaseView, PossibleMatches),
    choices: &Choices,
    forms: Vec<FactForm>,
    justification: String,
    status: StatusCode,
) -> Response {
    let (stages, timeline) = case_page_parts(view);
    let correcting = forms.iter().any(|f| f.supersedes.is_some());
    render(
        status,
        &CasePage {
            user: Some(&signed_in.user),
            view,
            clock: clock_words(view),
            urgent: view.urgency != Urgency::OnTrack,
            warrants: warrant_lines(view, choices),
            stages,
            timeline,
            record_forms: forms
                .iter()
                .any(|f| !f.safeguarding || f.supersedes.is_some()),
            safeguarding_forms: forms
                .iter()
                .any(|f| f.safeguarding && f.supersedes.is_none()),
            forms,
            justification,
            correcting,
            matches,
        },
    )
}

/// Records the event a case page's form describes; a refusal comes back beside the form with what was typed.
pub async fn record(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<BTreeMap<String, String>>,
) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    let posted = |name: &str| form.get(name).map(|v| v.trim()).unwrap_or("");
    let justification = posted("justification").to_owned();
    let why = why_of(&justification);
    let Some(kind) = EventKind::parse(posted("kind")) else {
        return failed(
            AppError::Invalid("Choose what happened.".into()),
            &signed_in.user,
        );
    };
    let supersedes = match posted("supersedes") {
        "" => None,
        given => match given.parse() {
            Ok(event) => Some(EventId(event)),
            Err(_) => {
                return failed(
                    AppError::Invalid(format!("There is no entry {given:?} to correct.")),
                    &signed_in.user,
                );
            }
        },
    };
    let recorded = async {
        // The fields' names and types do not depend on the case's choices.
        let fields = fields_of(kind, &Choices::default());
        let fact = fact_from(kind, &fields, &form)?;
        let occurred_at = typed_time(posted("date"), posted("time"))?;
        if kind == EventKind::Closed && posted("confirm") != "yes" {
            confirm_nothing_left_open(&state, signed_in.actor(), CaseId(id), why.clone()).await?;
        }
        let rationale = Some(posted("rationale").to_owned()).filter(|r| !r.is_empty());
        let event = NewEvent {
            fact,
            occurred_at,
            supersedes,
            rationale,
            correction: supersedes.is_some() || posted("correction") == "yes",
        };
        state
            .app
            .record_event(signed_in.actor(), CaseId(id), event, why.clone())
            .await
    }
    .await;
    let message = match recorded {
        Ok(event) => return Redirect::to(&format!("/cases/{id}#event-{event}")).into_response(),
        Err(AppError::Invalid(message)) => message,
        Err(e) => return justify_or_fail(e, &signed_in.user, &format!("/cases/{id}")),
    };
    let shown = async {
        let view = case_view(&state, signed_in.actor(), CaseId(id), why.clone()).await?;
        let choices = choices_of(&state, &view).await?;
        let matches = matches_of(&state, signed_in.actor(), &view, why.clone()).await?;
        Ok::<_, AppError>((view, choices, matches))
    }
    .await;
    let (view, choices, matches) = match shown {
        Ok(shown) => shown,
        Err(e) => return failed(e, &signed_in.user),
    };
    let now = instant(state.app.now());
    let mut forms = forms(&view, &choices, supersedes, now);
    let refused = forms
        .iter()
        .position(|f| f.supersedes == supersedes && f.kind == kind);
    match refused {
        Some(at) => {
            let form_shown = forms.remove(at).refused(&form, message);
            forms.insert(at, form_shown);
        }
        None => {
            let mut shown = FactForm::new(kind, &choices, now);
            shown.supersedes = supersedes;
            forms.insert(0, shown.refused(&form, message));
        }
    }
    page(
        &signed_in,
        (&view, matches),
        &choices,
        forms,
        justification,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// Refuses to close a case that still has work open unless the person ticked the confirmation. Someone who
/// may not see the case is left to `record_event`, whose refusal is the one the policy gives for recording.
async fn confirm_nothing_left_open(
    state: &WebState,
    actor: &Actor,
    case: CaseId,
    why: Why,
) -> Result<(), AppError> {
    match case_view(state, actor, case, why).await {
        Ok(view) if !view.open_work.is_empty() => Err(AppError::Invalid(format!(
            "Closing now leaves this undone: {}. Tick the box and give a rationale to close the case anyway.",
            view.open_work.join("; ")
        ))),
        Ok(_) | Err(AppError::Denied(_) | AppError::NotFound(_)) => Ok(()),
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_identified_on_the_form_reads_with_the_band_worked_out_or_chosen() {
        let forms = |band: &str| {
            let form: BTreeMap<String, String> = [
                ("child", "1"),
                ("name", "Poppy Underhay"),
                ("age", "9"),
                ("age_band", band),
                ("area", "BS1 4DJ"),
                ("authority", ""),
                ("relationship", "Lives with the suspect"),
                ("source", "household"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
            form
        };
        let fields = safeguarding::fields_of(EventKind::ChildIdentified, &Choices::default());
        for band in ["", "five_to_nine"] {
            let fact = fact_from(EventKind::ChildIdentified, &fields, &forms(band)).unwrap();
            assert!(
                matches!(
                    fact,
                    Fact::ChildIdentified {
                        age_band: severn_domain::case::safeguarding::AgeBand::FiveToNine,
                        ..
                    }
                ),
                "{band:?} gave {fact:?}"
            );
        }
    }

    #[test]
    fn lengths_of_time_read_as_plain_words() {
        assert_eq!(span(40 * 60), "40 min");
        assert_eq!(span(5 * 3600 + 10 * 60), "5 h 10 min");
        assert_eq!(span(86_400), "1 day");
        assert_eq!(span(2 * 86_400 + 3 * 3600 + 59), "2 days 3 h");
    }

    #[test]
    fn the_default_time_is_the_whole_minute_at_or_after_now() {
        let at = |text: &str| text.parse::<Timestamp>().unwrap();
        assert_eq!(
            minute_up(at("2026-03-02T09:00:00Z")),
            at("2026-03-02T09:00:00Z")
        );
        assert_eq!(
            minute_up(at("2026-03-02T09:00:01Z")),
            at("2026-03-02T09:01:00Z")
        );
        assert_eq!(
            minute_up(at("2026-03-02T09:59:59Z")),
            at("2026-03-02T10:00:00Z")
        );
    }

    #[test]
    fn a_time_typed_in_uk_time_is_read_across_summer_time() {
        assert_eq!(
            typed_time("2026-03-02", "09:30").unwrap(),
            "2026-03-02T09:30:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(
            typed_time("2026-07-01", "15:05").unwrap(),
            "2026-07-01T14:05:00Z".parse::<Timestamp>().unwrap()
        );
        assert!(matches!(
            typed_time("1 July", "15:05"),
            Err(AppError::Invalid(_))
        ));
        assert_eq!(
            date_and_time("2026-07-01T14:05:00Z".parse().unwrap()),
            ("2026-07-01".to_owned(), "15:05".to_owned())
        );
    }

    #[test]
    fn a_form_reads_back_the_fact_whose_values_it_was_filled_with() {
        use severn_domain::case::safeguarding::{
            AgeBand, AuthorityDecision, ChildSource, Consent, ShareMethod, SupportOutcome,
            SupportStep,
        };
        let choices = Choices {
            warrant_types: vec![("pace_s8".into(), "PACE section 8".into())],
            warrants: vec![(1, "PACE section 8".into())],
            next_warrant: 2,
            tasks: vec![(1, "Check the household".into())],
            next_task: 2,
            ..Choices::default()
        };
        let facts = [
            Fact::WarrantApplied {
                warrant: 2,
                warrant_type: "pace_s8".into(),
                court: "Example Magistrates' Court".into(),
                remote: true,
            },
            Fact::WarrantRefused {
                warrant: 1,
                reason: "Not enough grounds".into(),
            },
            Fact::Bail {
                conditions: "No unsupervised contact".into(),
                until: jiff::civil::date(2026, 4, 30),
            },
            Fact::Outcome { code: 15 },
            Fact::Rebanded { band: Band::High },
            Fact::Arrest,
            Fact::TaskSet {
                task: 2,
                text: "Request subscriber details".into(),
                due: jiff::civil::date(2026, 4, 2),
            },
            Fact::TaskDone { task: 1 },
            Fact::ChildIdentified {
                child: 1,
                name: "Poppy Example".into(),
                age: Some(9),
                age_band: AgeBand::FiveToNine,
                area: "BS1".into(),
                authority: "bristol".into(),
                authority_name: String::new(),
                relationship: "Niece".into(),
                source: ChildSource::Household,
            },
            Fact::SafeguardingReferred {
                child: 1,
                authority: String::new(),
                authority_name: String::new(),
                method: ShareMethod::Telephone,
                shared: "Address and the referral's account".into(),
                consent: Consent::Given,
                consent_reason: None,
            },
            Fact::SafeguardingDecided {
                child: 1,
                decision: AuthorityDecision::EarlyHelp,
            },
            Fact::StrategyDiscussion {
                plan: 1,
                children: vec![1, 2],
                agencies: "Police, children's social care".into(),
                decisions: "Joint visit".into(),
                review: jiff::civil::date(2026, 5, 1),
            },
            Fact::PlanActionDone { plan: 1, action: 3 },
            Fact::SupportOffered {
                support: 1,
                child: 1,
                service: 4,
                service_name: String::new(),
                need: "online abuse".into(),
            },
            Fact::SupportUpdated {
                support: 1,
                step: SupportStep::Done,
                reason: Some("Eight sessions".into()),
                outcome: Some(SupportOutcome::Successful),
            },
        ];
        for fact in facts {
            let mut fields = fields_of(fact.kind(), &choices);
            let values = fact_values(&fact);
            fill(&mut fields, |name| values.get(name).cloned());
            let posted: BTreeMap<String, String> = fields
                .iter()
                .filter(|f| f.input != Input::Tick || f.ticked())
                .map(|f| {
                    let value = if f.input == Input::Tick {
                        "yes".into()
                    } else {
                        f.value.clone()
                    };
                    (f.name.to_owned(), value)
                })
                .collect();
            assert_eq!(fact_from(fact.kind(), &fields, &posted).unwrap(), fact);
        }
    }

    #[test]
    fn a_count_that_is_not_a_number_is_refused_in_plain_words() {
        let choices = Choices {
            warrant_types: Vec::new(),
            warrants: Vec::new(),
            next_warrant: 1,
            tasks: Vec::new(),
            next_task: 1,
            ..Choices::default()
        };
        let fields = fields_of(EventKind::DevicesTriaged, &choices);
        let posted = BTreeMap::from([("count".to_owned(), "three".to_owned())]);
        match fact_from(EventKind::DevicesTriaged, &fields, &posted) {
            Err(AppError::Invalid(message)) => {
                assert_eq!(message, "How many devices must be a whole number.")
            }
            other => panic!("{other:?}"),
        }
    }
}
