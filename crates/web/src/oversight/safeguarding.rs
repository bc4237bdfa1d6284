//! The safeguarding audit: children identified over a period, how soon each was referred to children's social
//! care and how soon the authority decided, consent, and joint plans with overdue actions; each figure with the
//! cases behind it. Its page, its CSV and its JSON twin.

use super::{Audit, AuditTab, PeriodForm, PeriodQuery, api_period, failed, period_or_refusal};
use crate::WebState;
use crate::api::ApiResult;
use crate::error::ApiError;
use crate::session::{ApiActor, SignedIn, UserBar};
use crate::signin::render;
use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use severn_app::safeguarding::{SafeguardingAudit, SupportGaps, referral_target_words};
use severn_domain::ids::CaseId;

/// The most cases listed beside a figure on the page; the CSV and the API give them all.
const CASES_SHOWN: usize = 50;

/// A figure as the page shows it.
struct FigureRow {
    label: &'static str,
    count: usize,
    cases: Vec<CaseId>,
    more: usize,
}

#[derive(Template)]
#[template(path = "safeguarding_audit.html")]
struct SafeguardingAuditPage<'a> {
    user: Option<&'a UserBar>,
    tabs: Vec<AuditTab>,
    address: &'static str,
    period: PeriodForm,
    /// When referrals are due, in words.
    target: String,
    rows: Vec<FigureRow>,
    median: Option<u32>,
    not_counted: Vec<String>,
    shown: bool,
}

pub async fn safeguarding_audit(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(query): Query<PeriodQuery>,
) -> Response {
    let page = |period: PeriodForm, audit: Option<SafeguardingAudit>| {
        let rows = audit
            .as_ref()
            .map(|audit| {
                audit
                    .figures()
                    .into_iter()
                    .map(|(_, label, figure)| FigureRow {
                        label,
                        count: figure.count,
                        cases: figure.cases.iter().take(CASES_SHOWN).copied().collect(),
                        more: figure.cases.len().saturating_sub(CASES_SHOWN),
                    })
                    .collect()
            })
            .unwrap_or_default();
        SafeguardingAuditPage {
            user: Some(&signed_in.user),
            tabs: Audit::Safeguarding.tabs(),
            address: Audit::Safeguarding.address(),
            period,
            target: referral_target_words(audit.as_ref().map_or(0, |a| a.referral_target_days)),
            rows,
            median: audit.as_ref().and_then(|a| a.median_working_days_to_refer),
            not_counted: audit
                .as_ref()
                .map(|a| a.not_counted.clone())
                .unwrap_or_default(),
            shown: audit.is_some(),
        }
    };
    let period = match period_or_refusal(&state, &query, |form| page(form, None)) {
        Ok(period) => period,
        Err(refused) => return *refused,
    };
    match state
        .app
        .safeguarding_audit(signed_in.actor(), period.audit())
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

/// The figures as CSV, each with its cases.
pub async fn safeguarding_audit_csv(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(query): Query<PeriodQuery>,
) -> Response {
    let empty_page = |period: PeriodForm| SafeguardingAuditPage {
        user: Some(&signed_in.user),
        tabs: Audit::Safeguarding.tabs(),
        address: Audit::Safeguarding.address(),
        period,
        target: String::new(),
        rows: Vec::new(),
        median: None,
        not_counted: Vec::new(),
        shown: false,
    };
    let period = match period_or_refusal(&state, &query, empty_page) {
        Ok(period) => period,
        Err(refused) => return *refused,
    };
    let audit = match state
        .app
        .safeguarding_audit(signed_in.actor(), period.audit())
        .await
    {
        Ok(audit) => audit,
        Err(e) => return failed(e, &signed_in.user),
    };
    let filename = format!("safeguarding-{}-to-{}.csv", period.first, period.last);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        audit.csv(),
    )
        .into_response()
}

/// Children identified in the caller's force over a period, their referrals to children's social care, consent
/// and joint plans, each figure with its cases
#[utoipa::path(get, path = "/api/audits/safeguarding", operation_id = "safeguardingAudit",
    params(
        ("from" = Option<String>, Query, description = "The first day, YYYY-MM-DD in UK time (default: 29 days before `to`)."),
        ("to" = Option<String>, Query, description = "The last day, included, YYYY-MM-DD in UK time (default: today)."),
        ("known_at" = Option<String>, Query, description = "Count only what had been recorded by then, to give the figures again as they were: a date (as that day ended, UK time) or the `known_at` instant an earlier answer gave (default: now)."),
    ),
    responses(
        (status = 200, description = "The audit", body = SafeguardingAudit),
        (status = 400, description = super::BAD_PERIOD, body = ApiError),
        (status = 401, description = crate::api::NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = crate::api::DENIED, body = ApiError),
        (status = 500, description = crate::api::FAILED, body = ApiError),
    ))]
pub async fn safeguarding_audit_api(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Query(query): Query<PeriodQuery>,
) -> ApiResult<SafeguardingAudit> {
    let period = api_period(&state, &query)?;
    Ok(Json(
        state.app.safeguarding_audit(&actor, period.audit()).await?,
    ))
}

#[derive(Template)]
#[template(path = "support_gaps.html")]
struct SupportGapsPage<'a> {
    user: Option<&'a UserBar>,
    tabs: Vec<AuditTab>,
    address: &'static str,
    period: PeriodForm,
    gaps: Option<SupportGaps>,
}

/// Gaps in support: the PCC's commissioning evidence, for force people (with the cases) and the PCC's office
/// and the region (figures only).
pub async fn support_gaps(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(query): Query<PeriodQuery>,
) -> Response {
    let page = |period: PeriodForm, gaps: Option<SupportGaps>| SupportGapsPage {
        user: Some(&signed_in.user),
        tabs: Audit::SupportGaps.tabs(),
        address: Audit::SupportGaps.address(),
        period,
        gaps,
    };
    let period = match period_or_refusal(&state, &query, |form| page(form, None)) {
        Ok(period) => period,
        Err(refused) => return *refused,
    };
    match state
        .app
        .support_gaps(signed_in.actor(), period.audit())
        .await
    {
        Ok(gaps) => render(
            StatusCode::OK,
            &page(
                query.shown(Some(&period)).known_at(gaps.known_at),
                Some(gaps),
            ),
        ),
        Err(e) => failed(e, &signed_in.user),
    }
}

/// Gaps in support over a period: children no service took on (by area, age band and need), those no open
/// service could serve, services at capacity, contracts ending within six months
#[utoipa::path(get, path = "/api/audits/support-gaps", operation_id = "supportGaps",
    params(
        ("from" = Option<String>, Query, description = "The first day, YYYY-MM-DD in UK time (default: 29 days before `to`)."),
        ("to" = Option<String>, Query, description = "The last day, included, YYYY-MM-DD in UK time (default: today)."),
        ("known_at" = Option<String>, Query, description = "Count only what had been recorded by then: a date (as that day ended, UK time) or the `known_at` instant an earlier answer gave (default: now)."),
    ),
    responses(
        (status = 200, description = "The gaps (cases listed only for people who see the force's cases)", body = SupportGaps),
        (status = 400, description = super::BAD_PERIOD, body = ApiError),
        (status = 401, description = crate::api::NOT_SIGNED_IN, body = ApiError),
        (status = 403, description = crate::api::DENIED, body = ApiError),
        (status = 500, description = crate::api::FAILED, body = ApiError),
    ))]
pub async fn support_gaps_api(
    State(state): State<WebState>,
    ApiActor(actor): ApiActor,
    Query(query): Query<PeriodQuery>,
) -> ApiResult<SupportGaps> {
    let period = api_period(&state, &query)?;
    Ok(Json(state.app.support_gaps(&actor, period.audit()).await?))
}
