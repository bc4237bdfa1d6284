//! The work itself: the queue, a referral, a subject with its merge and split, search by identifier, the
//! figures across forces, and the auditor's view. Each
//! handler passes the signed-in actor to the use case, which decides, logs, and refuses with a reason.

use crate::WebState;
use crate::error::{PageError, back_or_keeping};
use crate::session::{Posted, SignedIn, UserBar};
use crate::signin::{render, when};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use severn_app::AppError;
use severn_app::audit::AuditEntryView;
use severn_app::gate::Why;
use severn_app::matches::{MergedAway, PossibleMatches};
use severn_app::staff::{ForceWork, SearchHit};
use severn_app::views::{CaseActions, QueueEntry, ReferralView, SubjectSummary};
use severn_app::worklist;
use severn_domain::access::{Action, Actor, decide};
use severn_domain::ids::{CaseId, SubjectId};
use severn_domain::report::IdentifierKind;
use severn_domain::risk::Band;
use severn_store::AuditQuery;

/// How many matching subjects the queue shows at most.
pub const QUEUE_LIMIT: i64 = 500;

/// The queue's filters, as the form sends them: empty fields mean "any".
#[derive(Debug, Default, Deserialize)]
pub struct QueueFilter {
    #[serde(default)]
    pub band: String,
    #[serde(default)]
    pub overdue: String,
}

impl QueueFilter {
    /// The filter the database applies, or what is wrong with the one given.
    pub fn parse(&self) -> Result<worklist::QueueFilter, AppError> {
        let band = match self.band.trim() {
            "" => None,
            given => Some(Band::parse(given).ok_or_else(|| {
                AppError::Invalid(format!(
                    "There is no band {given:?}: choose very_high, high, medium or low."
                ))
            })?),
        };
        Ok(worklist::QueueFilter {
            band,
            overdue_only: self.overdue == "yes",
        })
    }
}

struct BandChoice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

fn band_choices(selected: &str) -> Vec<BandChoice> {
    [
        ("", "Any band"),
        ("very_high", "Very high"),
        ("high", "High"),
        ("medium", "Medium"),
        ("low", "Low"),
    ]
    .into_iter()
    .map(|(value, label)| BandChoice {
        value,
        label,
        selected: value == selected,
    })
    .collect()
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage<'a> {
    user: Option<&'a UserBar>,
    entries: Vec<QueueEntry>,
    bands: Vec<BandChoice>,
    overdue_only: bool,
    /// Open subjects in the force, whatever the filters.
    total: i64,
}

/// Shows a use case's refusal or failure as a page with the person's navigation.
fn failed(error: AppError, user: &UserBar) -> Response {
    PageError::from(error).for_user(user).into_response()
}

pub async fn queue(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(filter): Query<QueueFilter>,
) -> Response {
    let matching = match filter.parse() {
        Ok(matching) => matching,
        Err(e) => return failed(e, &signed_in.user),
    };
    let work = match state
        .app
        .queue_matching(signed_in.actor(), matching, QUEUE_LIMIT)
        .await
    {
        Ok(work) => work,
        Err(e) => return failed(e, &signed_in.user),
    };
    render(
        StatusCode::OK,
        &QueuePage {
            user: Some(&signed_in.user),
            entries: work.entries,
            bands: band_choices(&filter.band),
            overdue_only: matching.overdue_only,
            total: work.open,
        },
    )
}

/// Why a restricted record is being opened, when the person was asked: posted in a form's body (with the
/// CSRF token), so it stays out of addresses, browser history and proxy logs.
#[derive(Debug, Default, Deserialize)]
pub struct Justification {
    #[serde(default)]
    pub justification: String,
}

#[derive(Template)]
#[template(path = "justify.html")]
struct JustifyPage<'a> {
    user: Option<&'a UserBar>,
    action: &'a str,
    message: &'a str,
}

/// Asks why, when the use case needs a justification; otherwise shows the failure. The answer is posted to
/// `action`.
pub(crate) fn justify_or_fail(error: AppError, user: &UserBar, action: &str) -> Response {
    match error {
        AppError::JustificationRequired(message) => render(
            StatusCode::OK,
            &JustifyPage {
                user: Some(user),
                action,
                message: &message,
            },
        ),
        other => failed(other, user),
    }
}

#[derive(Template)]
#[template(path = "referral.html")]
struct ReferralPage<'a> {
    user: Option<&'a UserBar>,
    view: &'a ReferralView,
}

/// The address of a referral's page.
pub(crate) fn referral_path(reference: &str) -> String {
    format!("/referrals/{}", path_segment(reference))
}

/// `text` as one segment of an address. References may hold `/`, `?`, `#`, `%` or spaces (partner and
/// other-force references do), so everything but letters, digits, `-._~` and the `:` and `@` a segment may
/// hold is percent-encoded; the router decodes it back.
pub(crate) fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Filters the case templates use.
pub(crate) mod filters {
    /// A value as one segment of an address: see [`super::path_segment`].
    #[askama::filter_fn]
    pub fn segment(text: impl ToString, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(super::path_segment(&text.to_string()))
    }

    /// A time as people read it: Europe/London, with the zone (GMT or BST).
    #[askama::filter_fn]
    pub fn london(time: &jiff::Timestamp, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(severn_app::time::london(*time))
    }

    /// An audit entry's action in plain words (the code itself for one that is not a policy action, such as
    /// signing in).
    #[askama::filter_fn]
    pub fn action_words(code: &str, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(severn_domain::access::Action::parse(code)
            .map_or_else(|| code.to_owned(), |a| a.label().to_owned()))
    }

    /// Where a referral came from, the form of its document, or a person's part in it, stored as a code, in
    /// plain words (the code itself when it is none of these).
    #[askama::filter_fn]
    pub fn words(code: &str, _: &dyn askama::Values) -> askama::Result<String> {
        use severn_domain::report::{Format, PersonRole, ReferralSource};
        Ok(ReferralSource::parse(code)
            .map(|s| s.label())
            .or_else(|| Format::parse(code).map(|f| f.label()))
            .or_else(|| PersonRole::parse(code).map(|r| r.label()))
            .map_or_else(|| code.to_owned(), str::to_owned))
    }
}

pub async fn referral(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(reference): Path<String>,
) -> Response {
    show_referral(&state, &signed_in, &reference, Why::default()).await
}

/// A restricted case's referral, with the reason for opening it.
pub async fn referral_justified(
    State(state): State<WebState>,
    Path(reference): Path<String>,
    posted: Posted<Justification>,
) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    let why = Why::because(form.justification);
    show_referral(&state, &signed_in, &reference, why).await
}

async fn show_referral(
    state: &WebState,
    signed_in: &SignedIn,
    reference: &str,
    why: Why,
) -> Response {
    match state.app.referral(signed_in.actor(), reference, why).await {
        Ok(view) => render(
            StatusCode::OK,
            &ReferralPage {
                user: Some(&signed_in.user),
                view: &view,
            },
        ),
        Err(e) => justify_or_fail(e, &signed_in.user, &referral_path(reference)),
    }
}

struct ShareLine {
    who: String,
    organisation: String,
    reason: String,
    shared_by: String,
    shared_at: String,
}

#[derive(Template)]
#[template(path = "subject.html")]
struct SubjectPage<'a> {
    user: Option<&'a UserBar>,
    subject: &'a SubjectSummary,
    shares: Vec<ShareLine>,
    restricted_to: Option<Vec<String>>,
    /// The actions offered: only those the person's role allows on this case.
    may: CaseActions,
    /// The case opened on the subject, if any.
    case: Option<CaseId>,
    /// Whether to offer to open one.
    may_open_case: bool,
    timeline: Vec<(String, String)>,
    /// The bands a supervisor may set: value and label.
    bands: Vec<(&'static str, &'static str)>,
    /// Other subjects that may be the same person; none for a merged-away subject.
    matches: Option<PossibleMatches>,
    /// Where a merged-away subject went.
    merged: Option<MergedAway>,
}

/// The page of possible matches the subject page shows, from 1.
#[derive(Debug, Default, Deserialize)]
pub struct SubjectQuery {
    #[serde(default)]
    matches_page: Option<usize>,
}

pub async fn subject(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    Query(query): Query<SubjectQuery>,
) -> Response {
    let page = query.matches_page.unwrap_or(1);
    show_subject(&state, &signed_in, id, Why::default(), page).await
}

/// A restricted subject, with the reason for opening it.
pub async fn subject_justified(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<Justification>,
) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    show_subject(&state, &signed_in, id, Why::because(form.justification), 1).await
}

async fn show_subject(
    state: &WebState,
    signed_in: &SignedIn,
    id: i64,
    why: Why,
    matches_page: usize,
) -> Response {
    let shown = async {
        let detail = state
            .app
            .subject_detail(signed_in.actor(), SubjectId(id), why.clone())
            .await?;
        // A merged-away subject only says where it went: nothing is done on it, nor matched.
        if detail.merged.is_some() {
            return Ok::<_, AppError>((detail, CaseActions::default(), None, None));
        }
        let may = state
            .app
            .case_actions(signed_in.actor(), SubjectId(id))
            .await?;
        let case = state
            .app
            .case_of_subject(signed_in.actor(), SubjectId(id), why.clone())
            .await?;
        let matches = state
            .app
            .possible_matches(signed_in.actor(), SubjectId(id), why, matches_page)
            .await?;
        Ok((detail, may, case, Some(matches)))
    }
    .await;
    match shown {
        Ok((detail, may, case, matches)) => render(
            StatusCode::OK,
            &SubjectPage {
                user: Some(&signed_in.user),
                subject: &detail.summary,
                shares: detail
                    .sharing
                    .shared_with
                    .into_iter()
                    .map(|s| ShareLine {
                        who: format!("{} ({})", s.display_name, s.username),
                        organisation: s.organisation,
                        reason: s.reason,
                        shared_by: s.shared_by,
                        shared_at: when(s.shared_at),
                    })
                    .collect(),
                restricted_to: detail.sharing.restricted_to.map(|people| {
                    people
                        .into_iter()
                        .map(|p| format!("{} ({})", p.display_name, p.username))
                        .collect()
                }),
                // Those who may assess a subject are those whose case work reaches it (own force, not
                // restricted to others); the role must also open cases.
                may_open_case: may.assess
                    && case.is_none()
                    && decide(signed_in.actor(), Action::OpenCase, None).is_ok(),
                may,
                case,
                timeline: detail
                    .timeline
                    .into_iter()
                    .map(|e| (when(e.at), e.what))
                    .collect(),
                bands: Band::ALL.iter().map(|b| (b.as_str(), b.label())).collect(),
                matches,
                merged: detail.merged,
            },
        ),
        Err(e) => justify_or_fail(e, &signed_in.user, &format!("/subjects/{id}")),
    }
}

#[derive(Deserialize)]
pub struct MergeForm {
    other: i64,
    rationale: String,
}

pub async fn merge(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<MergeForm>,
) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    match state
        .app
        .merge_subjects(
            SubjectId(id),
            SubjectId(form.other),
            &form.rationale,
            signed_in.actor(),
        )
        .await
    {
        Ok(kept) => Redirect::to(&format!("/subjects/{}", kept.id)).into_response(),
        Err(e) => failed(e, &signed_in.user),
    }
}

#[derive(Deserialize)]
pub struct SplitForm {
    /// Source references, one per line or separated by commas.
    referrals: String,
    rationale: String,
}

pub async fn split(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<SplitForm>,
) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    let references = listed(&form.referrals);
    match state
        .app
        .split_subject(
            SubjectId(id),
            &references,
            &form.rationale,
            signed_in.actor(),
        )
        .await
    {
        Ok(new_subject) => Redirect::to(&format!("/subjects/{}", new_subject.id)).into_response(),
        Err(e) => PageError::from(e)
            .for_user(&signed_in.user)
            .keeping(
                &format!("/subjects/{id}"),
                &[
                    ("Referrals to split off", &form.referrals),
                    ("Why they are about someone else", &form.rationale),
                ],
            )
            .into_response(),
    }
}

#[derive(Deserialize)]
pub struct ShareForm {
    /// The user name of the person to share with.
    with: String,
    reason: String,
}

pub async fn share(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<ShareForm>,
) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    let done = state
        .app
        .share_case(signed_in.actor(), SubjectId(id), &form.with, &form.reason)
        .await;
    back_or_keeping(
        done,
        &signed_in.user,
        &format!("/subjects/{id}"),
        &[
            ("User name of the person to share with", &form.with),
            ("Why they need it", &form.reason),
        ],
    )
}

/// The items of a list typed one per line or separated by commas.
fn listed(text: &str) -> Vec<String> {
    text.split([',', '\n', '\r'])
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

#[derive(Deserialize)]
pub struct RestrictForm {
    /// User names of the people the case is restricted to; absent when lifting.
    #[serde(default)]
    people: String,
    /// `yes` to lift the restriction.
    #[serde(default)]
    lift: String,
    justification: String,
}

pub async fn restrict(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    posted: Posted<RestrictForm>,
) -> Response {
    let Posted {
        signed_in, form, ..
    } = posted;
    let people = listed(&form.people);
    let named = (form.lift != "yes").then_some(people.as_slice());
    let done = state
        .app
        .restrict_case(signed_in.actor(), SubjectId(id), named, &form.justification)
        .await;
    back_or_keeping(
        done,
        &signed_in.user,
        &format!("/subjects/{id}"),
        &[
            ("People who may open it", &form.people),
            ("Why", &form.justification),
        ],
    )
}

/// The auditor's filters, as the form sends them.
#[derive(Debug, Default, Deserialize)]
pub struct AuditFilter {
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub actor: String,
}

impl AuditFilter {
    pub fn query(&self) -> AuditQuery {
        let given = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        AuditQuery {
            target: given(&self.target),
            actor: given(&self.actor),
            limit: 200,
            ..AuditQuery::default()
        }
    }
}

struct AuditLine {
    seq: i64,
    at: String,
    entry: AuditEntryView,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage<'a> {
    user: Option<&'a UserBar>,
    filter: &'a AuditFilter,
    lines: Vec<AuditLine>,
}

pub async fn audit(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(filter): Query<AuditFilter>,
) -> Response {
    let entries = match state
        .app
        .audit_search(signed_in.actor(), &filter.query())
        .await
    {
        Ok(entries) => entries,
        Err(e) => return failed(e, &signed_in.user),
    };
    render(
        StatusCode::OK,
        &AuditPage {
            user: Some(&signed_in.user),
            filter: &filter,
            lines: entries
                .into_iter()
                .map(|entry| AuditLine {
                    seq: entry.seq,
                    at: when(entry.at),
                    entry,
                })
                .collect(),
        },
    )
}

/// A search by identifier, as the form sends it: no value yet means "show the form".
#[derive(Debug, Default, Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub service: String,
    #[serde(default)]
    pub value: String,
}

impl SearchForm {
    /// Runs the search, or says what is missing.
    pub async fn run(&self, state: &WebState, actor: &Actor) -> Result<Vec<SearchHit>, AppError> {
        let kind = IdentifierKind::parse(&self.kind).ok_or_else(|| {
            AppError::Invalid("Choose what kind of identifier to search for.".to_owned())
        })?;
        state
            .app
            .search(actor, kind, Some(self.service.as_str()), &self.value)
            .await
    }
}

struct KindChoice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage<'a> {
    user: Option<&'a UserBar>,
    form: &'a SearchForm,
    kinds: Vec<KindChoice>,
    hits: Option<Vec<SearchHit>>,
    error: Option<String>,
}

pub async fn search(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(form): Query<SearchForm>,
) -> Response {
    let (status, hits, error) = if form.value.trim().is_empty() {
        (StatusCode::OK, None, None)
    } else {
        match form.run(&state, signed_in.actor()).await {
            Ok(hits) => (StatusCode::OK, Some(hits), None),
            Err(AppError::Invalid(why)) => (StatusCode::UNPROCESSABLE_ENTITY, None, Some(why)),
            Err(other) => return failed(other, &signed_in.user),
        }
    };
    let kinds = IdentifierKind::ALL
        .into_iter()
        .map(|kind| KindChoice {
            value: kind.as_str(),
            label: kind.label(),
            selected: kind.as_str() == form.kind,
        })
        .collect();
    render(
        status,
        &SearchPage {
            user: Some(&signed_in.user),
            form: &form,
            kinds,
            hits,
            error,
        },
    )
}

#[derive(Template)]
#[template(path = "figures.html")]
struct FiguresPage<'a> {
    user: Option<&'a UserBar>,
    forces: Vec<ForceWork>,
}

/// Open and overdue work per force and band: counts only, for everyone including regional oversight and the
/// PCC's office.
pub async fn figures(State(state): State<WebState>, signed_in: SignedIn) -> Response {
    match state.app.open_work(signed_in.actor()).await {
        Ok(forces) => render(
            StatusCode::OK,
            &FiguresPage {
                user: Some(&signed_in.user),
                forces,
            },
        ),
        Err(e) => failed(e, &signed_in.user),
    }
}
