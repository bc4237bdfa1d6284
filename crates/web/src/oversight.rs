//! Oversight pages: training coverage for administrators, and the casework audits (allocations against the
//! policy, warrants, the time each stage took) for the roles that see the queue, each with its JSON twin. A
//! period is typed as two London dates, both included; the use cases decide who may see what and log it.

use crate::WebState;
use crate::api::{DENIED, FAILED, NOT_SIGNED_IN};
use crate::cases::filters;
use crate::error::{ApiError, PageError};
use crate::session::{ApiActor, SignedIn, UserBar};
use crate::signin::render;
use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use severn_app::AppError;
use severn_app::allocating::{AllocationAudit, AllocationLine, NO_TEAM};
use severn_app::casework::{AuditPeriod, StageReport, WarrantAudit};
use severn_app::time::{instant, london, london_date, parse_known_at, start_of_london_day};
use severn_domain::access::Actor;
use severn_domain::ids::{CaseId, StaffId, TeamId};
use severn_domain::skills::{Skill, SkillCode, TeamCoverage};
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

pub(crate) mod safeguarding;
pub use safeguarding::{
    safeguarding_audit, safeguarding_audit_api, safeguarding_audit_csv, support_gaps,
    support_gaps_api,
};

/// How many days the audits cover when no period is given.
const DEFAULT_DAYS: i64 = 30;

/// How many case links a stage lists before it counts the rest.
const CASE_LINKS_SHOWN: usize = 50;

// --- the period -----------------------------------------------------------------------------------------

/// A period as the form sends it: London dates, the last day included. Empty fields take the default.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct PeriodQuery {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    /// Count only what had been recorded by then: a date (as that day ended) or an instant.
    #[serde(default)]
    pub known_at: String,
}

/// A period read: its first and last days (as typed or defaulted) and the instants the use cases take.
#[derive(Debug, Clone, PartialEq)]
struct Period {
    first: Date,
    last: Date,
    from: Timestamp,
    /// The start of the day after the last, so the last day is counted whole.
    to: Timestamp,
    known_at: Option<Timestamp>,
}

impl Period {
    fn audit(&self) -> AuditPeriod {
        AuditPeriod {
            from: self.from,
            to: self.to,
            known_at: self.known_at,
        }
    }
}

fn typed_date(field: &str, typed: &str, default: Date) -> Result<Date, String> {
    match typed.trim() {
        "" => Ok(default),
        given => given
            .parse()
            .map_err(|_| format!("{field}: not a date (YYYY-MM-DD)")),
    }
}

impl PeriodQuery {
    /// The period named, or by default the 30 days ending `today`; a message naming the field otherwise.
    fn period(&self, today: Date) -> Result<Period, String> {
        let last = typed_date("to", &self.to, today)?;
        let first = typed_date(
            "from",
            &self.from,
            last.saturating_sub(jiff::Span::new().days(DEFAULT_DAYS - 1)),
        )?;
        if last < first {
            return Err("to: before from".into());
        }
        let after_last = last
            .checked_add(jiff::Span::new().days(1))
            .map_err(|_| "to: not a date Severn can count to".to_owned())?;
        let known_at = match self.known_at.trim() {
            "" => None,
            typed => Some(parse_known_at(typed).map_err(|e| format!("known_at: {e}"))?),
        };
        Ok(Period {
            first,
            last,
            from: start_of_london_day(first),
            to: start_of_london_day(after_last),
            known_at,
        })
    }

    /// The period as the form shows it: what was typed, or the default it stood for.
    fn shown(&self, period: Option<&Period>) -> PeriodForm {
        match period {
            Some(p) => PeriodForm {
                from: p.first.to_string(),
                to: p.last.to_string(),
                known_at: self.known_at.trim().to_owned(),
                counted_at: None,
                error: None,
            },
            None => PeriodForm {
                from: self.from.clone(),
                to: self.to.clone(),
                known_at: self.known_at.clone(),
                counted_at: None,
                error: None,
            },
        }
    }
}

/// The period form on every audit page: the dates shown, and the message when they could not be read.
struct PeriodForm {
    from: String,
    to: String,
    /// As typed; empty for "everything recorded so far".
    known_at: String,
    /// The instant the figures shown are as known at: in UK time, and exactly, to give it again.
    counted_at: Option<(String, String)>,
    error: Option<String>,
}

impl PeriodForm {
    fn known_at(self, at: Timestamp) -> PeriodForm {
        PeriodForm {
            counted_at: Some((london(at), at.to_string())),
            ..self
        }
    }

    /// The period as an address's query, for links that keep it.
    fn query(&self) -> String {
        let mut pairs = vec![("from", &self.from), ("to", &self.to)];
        if !self.known_at.is_empty() {
            pairs.push(("known_at", &self.known_at));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

fn today(state: &WebState) -> Date {
    london_date(instant(state.app.now()))
}

/// The audit pages, for their navigation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Audit {
    Allocation,
    Warrants,
    Stages,
    Safeguarding,
    SupportGaps,
}

struct AuditTab {
    href: &'static str,
    label: &'static str,
    current: bool,
}

impl Audit {
    fn tabs(self) -> Vec<AuditTab> {
        [
            (Audit::Allocation, "/audits/allocation", "Allocations"),
            (Audit::Warrants, "/audits/warrants", "Warrants"),
            (Audit::Stages, "/audits/stages", "Time in each stage"),
            (Audit::Safeguarding, "/audits/safeguarding", "Safeguarding"),
            (
                Audit::SupportGaps,
                "/audits/support-gaps",
                "Gaps in support",
            ),
        ]
        .into_iter()
        .map(|(audit, href, label)| AuditTab {
            href,
            label,
            current: audit == self,
        })
        .collect()
    }

    fn address(self) -> &'static str {
        match self {
            Audit::Allocation => "/audits/allocation",
            Audit::Warrants => "/audits/warrants",
            Audit::Stages => "/audits/stages",
            Audit::Safeguarding => "/audits/safeguarding",
            Audit::SupportGaps => "/audits/support-gaps",
        }
    }
}

// --- words ----------------------------------------------------------------------------------------------

/// A share from 0 to 1 as a whole percentage.
fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// A length of time in days and hours: "3 days 4 hours", "5 hours", "20 minutes".
fn days_and_hours(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (days, hours, minutes) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60);
    let plural = |n: i64, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    match (days, hours) {
        (0, 0) => plural(minutes, "minute", "minutes"),
        (0, h) => plural(h, "hour", "hours"),
        (d, 0) => plural(d, "day", "days"),
        (d, h) => format!(
            "{} {}",
            plural(d, "day", "days"),
            plural(h, "hour", "hours")
        ),
    }
}

fn failed(error: AppError, user: &UserBar) -> Response {
    PageError::from(error).for_user(user).into_response()
}

// --- training coverage ----------------------------------------------------------------------------------

/// A skill by its code and, where the force's catalogue has it, its name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NamedSkill {
    pub code: String,
    pub name: String,
}

/// A skill lapsed since, or lapsing on, a London date (YYYY-MM-DD).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DatedSkill {
    pub code: String,
    pub name: String,
    pub on: String,
}

/// One person's standing against what their post requires.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonCoverage {
    pub staff: StaffId,
    pub name: String,
    /// 0 for people in no team.
    pub team: TeamId,
    pub team_name: String,
    pub post: String,
    /// False when no requirement names the post (which may be a misspelt post).
    pub post_has_requirements: bool,
    /// Every required skill held in date.
    pub covered: bool,
    pub held: Vec<NamedSkill>,
    pub missing: Vec<NamedSkill>,
    pub expired: Vec<DatedSkill>,
    /// Held in date but lapsing within 90 days.
    pub expiring: Vec<DatedSkill>,
}

/// One team's members fully covered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamFigure {
    /// 0 for people in no team.
    pub team: TeamId,
    pub name: String,
    pub covered: usize,
    pub members: usize,
    /// `covered / members`, from 0 to 1.
    pub share: f64,
}

/// Training coverage in the caller's force, skills named.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrainingCoverage {
    pub teams: Vec<TeamFigure>,
    pub people: Vec<PersonCoverage>,
}

/// The coverage with each skill code given the catalogue's name (the code itself when it has none), and each
/// team its name.
fn named_coverage(
    coverage: TeamCoverage,
    names: &HashMap<String, String>,
    teams: &BTreeMap<TeamId, String>,
) -> TrainingCoverage {
    let team_name = |team: TeamId| match teams.get(&team) {
        Some(name) => name.clone(),
        None if team == NO_TEAM => "No team".to_owned(),
        None => format!("Team {team}"),
    };
    let name_of = |code: &SkillCode| {
        names
            .get(code.as_str())
            .cloned()
            .unwrap_or_else(|| code.to_string())
    };
    let named = |code: &SkillCode| NamedSkill {
        code: code.to_string(),
        name: name_of(code),
    };
    TrainingCoverage {
        teams: coverage
            .teams
            .iter()
            .map(|t| TeamFigure {
                team: t.team,
                name: team_name(t.team),
                covered: t.covered,
                members: t.members,
                share: t.share,
            })
            .collect(),
        people: coverage
            .members
            .iter()
            .map(|m| PersonCoverage {
                staff: m.staff,
                name: m.name.clone(),
                team: m.team,
                team_name: team_name(m.team),
                post: m.post.clone(),
                post_has_requirements: m.post_has_requirements,
                covered: m.covered,
                held: m.held.iter().map(named).collect(),
                missing: m.missing.iter().map(named).collect(),
                expired: m
                    .expired
                    .iter()
                    .map(|l| DatedSkill {
                        code: l.skill.to_string(),
                        name: name_of(&l.skill),
                        on: l.since.to_string(),
                    })
                    .collect(),
                expiring: m
                    .expiring
                    .iter()
                    .map(|e| DatedSkill {
                        code: e.skill.to_string(),
                        name: name_of(&e.skill),
                        on: e.expires_on.to_string(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

async fn training_coverage(state: &WebState, actor: &Actor) -> Result<TrainingCoverage, AppError> {
    let coverage = state.app.training_coverage(actor, None).await?;
    let names: HashMap<String, String> = state
        .app
        .skills(actor, None)
        .await?
        .into_iter()
        .map(|s| (s.code.to_string(), s.name))
        .collect();
    let teams = state.app.team_names(actor, None).await?;
    Ok(named_coverage(coverage, &names, &teams))
}

#[derive(Template)]
#[template(path = "training.html")]
struct TrainingPage<'a> {
    user: Option<&'a UserBar>,
    coverage: TrainingCoverage,
    skills: Vec<Skill>,
}

pub async fn training(State(state): State<WebState>, signed_in: SignedIn) -> Response {
    let shown = async {
        let coverage = training_coverage(&state, signed_in.actor()).await?;
        let skills = state.app.skills(signed_in.actor(), None).await?;
        Ok::<_, AppError>((coverage, skills))
    }
    .await;
    match shown {
        Ok((coverage, skills)) => render(
            StatusCode::OK,
            &TrainingPage {
                user: Some(&signed_in.user),
                coverage,
                skills,
            },
        ),
        Err(e) => failed(e, &signed_in.user),
    }
}

// --- the allocation audit -------------------------------------------------------------------------------

/// An allocation as the page shows it.
struct AllocationRow {
    case: CaseId,
    at: Timestamp,
    officer: String,
    lacking: String,
    rationale: String,
    by: String,
}

/// Each officer's name, by id: one look-up per officer. One no longer active is named by number.
async fn officer_names(
    state: &WebState,
    lines: &[AllocationLine],
) -> Result<BTreeMap<StaffId, String>, AppError> {
    let mut names = BTreeMap::new();
    for line in lines {
        if names.contains_key(&line.officer) {
            continue;
        }
        let name = match state.app.staff_by_id(line.officer).await? {
            Some(staff) => staff.display_name,
            None => format!("Staff {}", line.officer),
        };
        names.insert(line.officer, name);
    }
    Ok(names)
}

#[derive(Template)]
#[template(path = "allocation_audit.html")]
struct AllocationAuditPage<'a> {
    user: Option<&'a UserBar>,
    tabs: Vec<AuditTab>,
    address: &'static str,
    period: PeriodForm,
    figures: Option<AllocationFigures>,
    rows: Vec<AllocationRow>,
}

/// The period's counts, in words.
struct AllocationFigures {
    allocations: usize,
    met_policy: usize,
    share_met: Option<String>,
}

/// The period a page asks for, or the 400 page that says what could not be read, with what was typed.
fn period_or_refusal<P: Template>(
    state: &WebState,
    query: &PeriodQuery,
    page: impl FnOnce(PeriodForm) -> P,
) -> Result<Period, Box<Response>> {
    query.period(today(state)).map_err(|error| {
        let mut form = query.shown(None);
        form.error = Some(error);
        Box::new(render(StatusCode::BAD_REQUEST, &page(form)))
    })
}

pub async fn allocation_audit(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(query): Query<PeriodQuery>,
) -> Response {
    let empty_page = |period: PeriodForm| AllocationAuditPage {
        user: Some(&signed_in.user),
        tabs: Audit::Allocation.tabs(),
        address: Audit::Allocation.address(),
        period,
        figures: None,
        rows: Vec::new(),
    };
    let period = match period_or_refusal(&state, &query, empty_page) {
        Ok(period) => period,
        Err(refused) => return *refused,
    };
    let audit = match state
        .app
        .allocation_audit(signed_in.actor(), period.audit())
        .await
    {
        Ok(audit) => audit,
        Err(e) => return failed(e, &signed_in.user),
    };
    let names = match officer_names(&state, &audit.against_policy).await {
        Ok(names) => names,
        Err(e) => return failed(e, &signed_in.user),
    };
    let rows = audit
        .against_policy
        .iter()
        .map(|a| AllocationRow {
            case: a.case,
            at: a.at,
            officer: names.get(&a.officer).cloned().unwrap_or_default(),
            lacking: a.missing.join(", "),
            rationale: a.override_rationale.clone().unwrap_or_default(),
            by: a.by.clone(),
        })
        .collect();
    render(
        StatusCode::OK,
        &AllocationAuditPage {
            user: Some(&signed_in.user),
            tabs: Audit::Allocation.tabs(),
            address: Audit::Allocation.address(),
            period: query.shown(Some(&period)).known_at(audit.known_at),
            figures: Some(AllocationFigures {
                allocations: audit.allocations,
                met_policy: audit.met_policy,
                share_met: audit.share_met.map(percent),
            }),
            rows,
        },
    )
}

/// A CSV field: quoted when it holds a separator, quote or line break, and, when it starts with a character
/// a spreadsheet reads as a formula (or a tab or carriage return that can hide one), prefixed with a single
/// quote so it is shown rather than run.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

const CSV_HEADER: [&str; 10] = [
    "case",
    "event",
    "at",
    "officer",
    "officer_name",
    "policy",
    "met_policy",
    "lacking",
    "override_rationale",
    "recorded_by",
];

fn allocation_csv(audit: &AllocationAudit, names: &BTreeMap<StaffId, String>) -> String {
    let mut out = CSV_HEADER.join(",");
    out.push_str("\r\n");
    for a in &audit.all {
        let fields = [
            a.case.to_string(),
            a.event.to_string(),
            london(a.at),
            a.officer.to_string(),
            names.get(&a.officer).cloned().unwrap_or_default(),
            a.policy.clone(),
            if a.met_policy { "yes" } else { "no" }.to_owned(),
            a.missing.join(" "),
            a.override_rationale.clone().unwrap_or_default(),
            a.by.clone(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Every allocation of the period as CSV, to open in a spreadsheet.
pub async fn allocation_audit_csv(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(query): Query<PeriodQuery>,
) -> Response {
    let empty_page = |period: PeriodForm| AllocationAuditPage {
        user: Some(&signed_in.user),
        tabs: Audit::Allocation.tabs(),
        address: Audit::Allocation.address(),
        period,
        figures: None,
        rows: Vec::new(),
    };
    let period = match period_or_refusal(&state, &query, empty_page) {
        Ok(period) => period,
        Err(refused) => return *refused,
    };
    let audit = match state
        .app
        .allocation_audit(signed_in.actor(), period.audit())
        .await
    {
        Ok(audit) => audit,
        Err(e) => return failed(e, &signed_in.user),
    };
    let names = match officer_names(&state, &audit.all).await {
        Ok(names) => names,
        Err(e) => return failed(e, &signed_in.user),
    };
    let filename = format!("allocations-{}-to-{}.csv", period.first, period.last);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        allocation_csv(&audit, &names),
    )
        .into_response()
}

// --- the warrant audit ----------------------------------------------------------------------------------

/// A warrant as the page shows it.
struct WarrantRow {
    case: CaseId,
    warrant: u32,
    warrant_type: String,
    court: String,
    remote: bool,
    applied_at: Timestamp,
    granted_at: Option<Timestamp>,
    refused_at: Option<Timestamp>,
    refusal_reason: Option<String>,
    executed_at: Option<Timestamp>,
    to_grant: Option<String>,
}

/// The period's warrant figures, in words.
struct WarrantFigures {
    applications: usize,
    granted: usize,
    refused: usize,
    executed: usize,
    awaiting_decision: usize,
    heard_remotely: usize,
    share_remote: Option<String>,
    median_to_grant: Option<String>,
}

/// Hours as days and hours, to the nearest second.
fn hours_in_words(hours: f64) -> String {
    days_and_hours((hours * 3600.0).round() as i64)
}

fn warrant_parts(audit: WarrantAudit) -> (WarrantFigures, Vec<WarrantRow>) {
    let figures = WarrantFigures {
        applications: audit.applications,
        granted: audit.granted,
        refused: audit.refused,
        executed: audit.executed,
        awaiting_decision: audit.awaiting_decision,
        heard_remotely: audit.heard_remotely,
        share_remote: audit.share_remote.map(percent),
        median_to_grant: audit.median_hours_to_grant.map(hours_in_words),
    };
    let rows = audit
        .warrants
        .into_iter()
        .map(|line| WarrantRow {
            case: line.case,
            warrant: line.warrant.warrant,
            warrant_type: line.warrant.warrant_type,
            court: line.warrant.court,
            remote: line.warrant.remote,
            applied_at: line.warrant.applied_at,
            granted_at: line.warrant.granted_at,
            refused_at: line.warrant.refused_at,
            refusal_reason: line.warrant.refusal_reason,
            executed_at: line.warrant.executed_at,
            to_grant: line.hours_to_grant.map(hours_in_words),
        })
        .collect();
    (figures, rows)
}

#[derive(Template)]
#[template(path = "warrant_audit.html")]
struct WarrantAuditPage<'a> {
    user: Option<&'a UserBar>,
    tabs: Vec<AuditTab>,
    address: &'static str,
    period: PeriodForm,
    figures: Option<WarrantFigures>,
    rows: Vec<WarrantRow>,
}

pub async fn warrant_audit(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(query): Query<PeriodQuery>,
) -> Response {
    let page = |period: PeriodForm, audit: Option<WarrantAudit>| {
        let (figures, rows) = match audit.map(warrant_parts) {
            Some((figures, rows)) => (Some(figures), rows),
            None => (None, Vec::new()),
        };
        WarrantAuditPage {
            user: Some(&signed_in.user),
            tabs: Audit::Warrants.tabs(),
            address: Audit::Warrants.address(),
            period,
            figures,
            rows,
        }
    };
    let period = match period_or_refusal(&state, &query, |form| page(form, None)) {
        Ok(period) => period,
        Err(refused) => return *refused,
    };
    match state
        .app
        .warrant_audit(signed_in.actor(), period.audit())
        .await
    {
        Ok(audit) => render(
            StatusCode::OK,
            &page(
                query.shown(Some(&period)).known_at(audit.known_at),
                Some(audit),
            ),
        ),
        Err(e) => failed(e, &signed_in.user),
    }
}

// --- the stage report -----------------------------------------------------------------------------------

/// A stage as the page shows it.
struct StageRow {
    label: &'static str,
    cases: usize,
    median: Option<String>,
    p90: Option<String>,
    shown: Vec<CaseId>,
    more: usize,
}

#[derive(Template)]
#[template(path = "stage_audit.html")]
struct StageAuditPage<'a> {
    user: Option<&'a UserBar>,
    tabs: Vec<AuditTab>,
    address: &'static str,
    period: PeriodForm,
    cases: Option<usize>,
    stages: Vec<StageRow>,
}

fn stage_rows(report: &StageReport) -> Vec<StageRow> {
    report
        .stages
        .iter()
        .map(|s| StageRow {
            label: s.label,
            cases: s.cases,
            median: s.median_seconds.map(days_and_hours),
            p90: s.p90_seconds.map(days_and_hours),
            shown: s.case_ids.iter().take(CASE_LINKS_SHOWN).copied().collect(),
            more: s.case_ids.len().saturating_sub(CASE_LINKS_SHOWN),
        })
        .collect()
}

pub async fn stage_audit(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(query): Query<PeriodQuery>,
) -> Response {
    let page = |period: PeriodForm, report: Option<&StageReport>| StageAuditPage {
        user: Some(&signed_in.user),
        tabs: Audit::Stages.tabs(),
        address: Audit::Stages.address(),
        period,
        cases: report.map(|r| r.cases),
        stages: report.map(stage_rows).unwrap_or_default(),
    };
    let period = match period_or_refusal(&state, &query, |form| page(form, None)) {
        Ok(period) => period,
        Err(refused) => return *refused,
    };
    match state
        .app
        .stage_report(signed_in.actor(), period.audit())
        .await
    {
        Ok(report) => render(
            StatusCode::OK,
            &page(
                query.shown(Some(&period)).known_at(report.known_at),
                Some(&report),
            ),
        ),
        Err(e) => failed(e, &signed_in.user),
    }
}

// --- the JSON twins -------------------------------------------------------------------------------------

type ApiResult<T> = Result<Json<T>, ApiError>;

fn api_period(state: &WebState, query: &PeriodQuery) -> Result<Period, ApiError> {
    query
        .period(today(state))
        .map_err(|message| ApiError::new(StatusCode::BAD_REQUEST, message))
}

const BAD_PERIOD: &str = "A date that is not YYYY-MM-DD, or `to` before `from`";

/// Training coverage in the caller's force: each team's share of members holding in date every skill their
/// post requires, and each person's missing, lapsed and soon-lapsing skills (administrators)
#[utoipa::path(get, path = "/api/training/coverage", operation_id = "trainingCoverage",
    responses(
        (status = 200, description = "Coverage by team and person", body = TrainingCoverage),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn training_api(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<TrainingCoverage> {
    Ok(Json(training_coverage(&state, &actor).await?))
}

/// Allocations in the caller's force over a period, against the policy in force when each was made
#[utoipa::path(get, path = "/api/audits/allocation", operation_id = "allocationAudit",
    params(
        ("from" = Option<String>, Query, description = "The first day, YYYY-MM-DD in UK time (default: 29 days before `to`)."),
        ("to" = Option<String>, Query, description = "The last day, included, YYYY-MM-DD in UK time (default: today)."),
        ("known_at" = Option<String>, Query, description = "Count only what had been recorded by then, to give the figures again as they were: a date (as that day ended, UK time) or the `known_at` instant an earlier answer gave (default: now)."),
    ),
    responses(
        (status = 200, description = "The audit", body = AllocationAudit),
        (status = 400, description = BAD_PERIOD, body = ApiError),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn allocation_audit_api(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Query(query): Query<PeriodQuery>,
) -> ApiResult<AllocationAudit> {
    let period = api_period(&state, &query)?;
    Ok(Json(
        state.app.allocation_audit(&actor, period.audit()).await?,
    ))
}

/// Warrants applied for in the caller's force over a period, with what came of them
#[utoipa::path(get, path = "/api/audits/warrants", operation_id = "warrantAudit",
    params(
        ("from" = Option<String>, Query, description = "The first day, YYYY-MM-DD in UK time (default: 29 days before `to`)."),
        ("to" = Option<String>, Query, description = "The last day, included, YYYY-MM-DD in UK time (default: today)."),
        ("known_at" = Option<String>, Query, description = "Count only what had been recorded by then, to give the figures again as they were: a date (as that day ended, UK time) or the `known_at` instant an earlier answer gave (default: now)."),
    ),
    responses(
        (status = 200, description = "The audit", body = WarrantAudit),
        (status = 400, description = BAD_PERIOD, body = ApiError),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn warrant_audit_api(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Query(query): Query<PeriodQuery>,
) -> ApiResult<WarrantAudit> {
    let period = api_period(&state, &query)?;
    Ok(Json(state.app.warrant_audit(&actor, period.audit()).await?))
}

/// How long each stage took over the caller's force's cases whose first referral arrived in a period
#[utoipa::path(get, path = "/api/audits/stages", operation_id = "stageAudit",
    params(
        ("from" = Option<String>, Query, description = "The first day, YYYY-MM-DD in UK time (default: 29 days before `to`)."),
        ("to" = Option<String>, Query, description = "The last day, included, YYYY-MM-DD in UK time (default: today)."),
        ("known_at" = Option<String>, Query, description = "Count only what had been recorded by then, to give the figures again as they were: a date (as that day ended, UK time) or the `known_at` instant an earlier answer gave (default: now)."),
    ),
    responses(
        (status = 200, description = "Median and 90th percentile per stage, with the cases behind them", body = StageReport),
        (status = 400, description = BAD_PERIOD, body = ApiError),
        (status = 401, description = NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = DENIED, body = ApiError),
        (status = 500, description = FAILED, body = ApiError),
    ))]
pub async fn stage_audit_api(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Query(query): Query<PeriodQuery>,
) -> ApiResult<StageReport> {
    let period = api_period(&state, &query)?;
    Ok(Json(state.app.stage_report(&actor, period.audit()).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(from: &str, to: &str) -> PeriodQuery {
        PeriodQuery {
            from: from.into(),
            to: to.into(),
            known_at: String::new(),
        }
    }

    #[test]
    fn a_period_counts_its_last_day_whole_in_uk_time() {
        let today = jiff::civil::date(2026, 7, 10);
        let period = query("2026-07-01", "2026-07-02").period(today).unwrap();
        // Summer time: the London day starts at 23:00 UTC the day before.
        assert_eq!(period.from.to_string(), "2026-06-30T23:00:00Z");
        assert_eq!(period.to.to_string(), "2026-07-02T23:00:00Z");
    }

    #[test]
    fn the_default_period_is_the_thirty_days_ending_today() {
        let today = jiff::civil::date(2026, 3, 31);
        let period = query("", "").period(today).unwrap();
        assert_eq!(
            (period.first, period.last),
            (jiff::civil::date(2026, 3, 2), today)
        );
    }

    #[test]
    fn a_bad_period_names_the_field() {
        let today = jiff::civil::date(2026, 3, 31);
        assert_eq!(
            query("2026-13-01", "").period(today),
            Err("from: not a date (YYYY-MM-DD)".to_owned())
        );
        assert_eq!(
            query("", "yesterday").period(today),
            Err("to: not a date (YYYY-MM-DD)".to_owned())
        );
        assert_eq!(
            query("2026-03-05", "2026-03-04").period(today),
            Err("to: before from".to_owned())
        );
    }

    #[test]
    fn figures_as_known_at_a_day_or_an_instant_are_kept_in_the_links() {
        let today = jiff::civil::date(2026, 3, 31);
        let mut asked = query("2026-03-01", "2026-03-31");
        asked.known_at = "2026-03-15".into();
        let period = asked.period(today).unwrap();
        assert_eq!(
            period.known_at.map(|t| t.to_string()),
            Some("2026-03-16T00:00:00Z".to_owned()),
            "as the 15th ended, UK time"
        );
        assert!(
            asked
                .shown(Some(&period))
                .query()
                .contains("known_at=2026-03-15")
        );
        asked.known_at = "last week".into();
        let refused = asked.period(today).unwrap_err();
        assert!(refused.starts_with("known_at: "), "{refused}");
    }

    #[test]
    fn csv_fields_that_could_run_as_formulas_are_quoted_out() {
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_field("-2"), "'-2");
        assert_eq!(csv_field("@cmd"), "'@cmd");
        assert_eq!(csv_field("+44"), "'+44");
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, \"b\""), "\"a, \"\"b\"\"\"");
    }

    #[test]
    fn lengths_of_time_read_in_days_and_hours() {
        assert_eq!(days_and_hours(20 * 60), "20 minutes");
        assert_eq!(days_and_hours(3600), "1 hour");
        assert_eq!(days_and_hours(5 * 3600 + 59), "5 hours");
        assert_eq!(days_and_hours(86_400), "1 day");
        assert_eq!(days_and_hours(3 * 86_400 + 4 * 3600), "3 days 4 hours");
    }
}
