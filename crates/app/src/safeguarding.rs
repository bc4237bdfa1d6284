//! Safeguarding on cases: where each child a case identifies stands (their referral to children's social
//! care, its clocks, the authority's decision), the joint plans agreed with partners and their actions, and the
//! support each child or family was offered; the force's target for sending referrals; and the audit of all
//! of it over a period, each figure with the cases behind it.
//!
//! The facts are events on the case's timeline (recorded with `record_event`, under `Action::Safeguard`).
//! Deadlines are dates counted in England and Wales working days; a deadline ends at the end of its UK day.

use crate::casework::{AuditPeriod, events_in_force_between, in_force_as_known_at};
use crate::gate::Why;
use crate::time::{instant, london_date, start_of_london_day};
use crate::{App, AppError, Result};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use severn_domain::access::{Action, Actor};
use severn_domain::authorities::Lookup;
use severn_domain::case::safeguarding::{
    AuthorityDecision, Consent, DayClock, SupportStatus, decision_due, referral_due, support_status,
};
use severn_domain::case::{Event, EventKind, Fact};
use severn_domain::ids::{CaseId, OrgId};
use severn_domain::support::ServiceId;
use severn_domain::workdays::WorkingCalendar;
use severn_store::{CaseRow, Scoped};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

/// A deadline counted in working days, and how it stands. `due` is absent when the date falls outside the bank
/// holidays Severn holds: `problem` then says so.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayDeadline {
    #[schema(value_type = Option<String>, format = Date)]
    pub due: Option<Date>,
    pub clock: Option<DayClock>,
    pub problem: Option<String>,
}

impl DayDeadline {
    fn of(
        due: std::result::Result<Date, impl std::fmt::Display>,
        done: Option<Date>,
        today: Date,
    ) -> Self {
        match due {
            Ok(due) => DayDeadline {
                due: Some(due),
                clock: Some(DayClock::of(due, done, today)),
                problem: None,
            },
            Err(problem) => DayDeadline {
                due: None,
                clock: None,
                problem: Some(problem.to_string()),
            },
        }
    }

    fn open_due(&self) -> Option<Date> {
        match self.clock {
            Some(DayClock::Waiting | DayClock::Overdue) => self.due,
            _ => None,
        }
    }
}

/// A child's referral to children's social care.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SafeguardingReferralView {
    #[schema(value_type = String, format = DateTime)]
    pub sent_at: Timestamp,
    pub sent_by: String,
    pub authority_name: String,
    pub method: &'static str,
    pub shared: String,
    pub consent: Consent,
    pub consent_label: &'static str,
    pub consent_reason: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub acknowledged_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<Timestamp>,
    pub decision: Option<AuthorityDecision>,
    pub decision_label: Option<&'static str>,
    /// The authority's decision, due one working day after the referral was sent.
    pub decision_deadline: DayDeadline,
}

/// A child the case identifies, and where their safeguarding stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChildView {
    pub child: u32,
    pub name: String,
    pub age: Option<u8>,
    pub age_band: &'static str,
    pub area: String,
    pub authority: String,
    pub authority_name: String,
    pub relationship: String,
    pub source: &'static str,
    #[schema(value_type = String, format = DateTime)]
    pub identified_at: Timestamp,
    pub identified_by: String,
    /// Sending the referral: due by the force's target after identification.
    pub referral_deadline: DayDeadline,
    pub referral: Option<SafeguardingReferralView>,
    /// Services the child or family was pointed to without a referral.
    pub signposted: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanActionView {
    pub action: u32,
    pub text: String,
    pub owner_agency: String,
    #[schema(value_type = String, format = Date)]
    pub due: Date,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub done_at: Option<Timestamp>,
    pub overdue: bool,
}

/// A strategy discussion and the joint plan it agreed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanView {
    pub plan: u32,
    #[schema(value_type = String, format = DateTime)]
    pub held_at: Timestamp,
    pub children: Vec<u32>,
    pub agencies: String,
    pub decisions: String,
    #[schema(value_type = String, format = Date)]
    pub review: Date,
    pub actions: Vec<PlanActionView>,
    pub next_action: u32,
}

/// A step a support referral took.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupportStepView {
    pub label: &'static str,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub reason: Option<String>,
    pub outcome: Option<&'static str>,
}

/// A referral of a child or their family to a support service.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupportReferralView {
    pub support: u32,
    pub child: u32,
    pub service: i64,
    pub service_name: String,
    pub need: String,
    pub status: SupportStatus,
    pub status_label: &'static str,
    #[schema(value_type = String, format = DateTime)]
    pub offered_at: Timestamp,
    pub steps: Vec<SupportStepView>,
}

/// Safeguarding on a case, as the case page and the API show it.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct SafeguardingView {
    pub children: Vec<ChildView>,
    pub plans: Vec<PlanView>,
    pub support: Vec<SupportReferralView>,
    /// The force's target for sending a referral, in working days (0: the same working day).
    pub referral_target_days: u32,
    pub next_child: u32,
    pub next_plan: u32,
    pub next_support: u32,
}

impl SafeguardingView {
    /// The earliest date by which open safeguarding work is due: a referral to send, a decision to chase, a
    /// plan action to finish.
    pub fn earliest_due(&self) -> Option<Date> {
        let children = self.children.iter().flat_map(|c| {
            [
                c.referral_deadline.open_due(),
                c.referral
                    .as_ref()
                    .and_then(|r| r.decision_deadline.open_due()),
            ]
        });
        let actions = self
            .plans
            .iter()
            .flat_map(|p| &p.actions)
            .filter(|a| a.done_at.is_none())
            .map(|a| Some(a.due));
        children.chain(actions).flatten().min()
    }

    /// How many things are past their deadline.
    pub fn overdue(&self) -> usize {
        let clocks = self.children.iter().flat_map(|c| {
            [
                c.referral_deadline.clock,
                c.referral.as_ref().and_then(|r| r.decision_deadline.clock),
            ]
        });
        clocks.filter(|c| *c == Some(DayClock::Overdue)).count()
            + self
                .plans
                .iter()
                .flat_map(|p| &p.actions)
                .filter(|a| a.overdue)
                .count()
    }
}

/// Safeguarding on a case from its events in force, as it stands on `today` (a UK date).
pub fn safeguarding_of(
    events: &[&Event],
    calendar: &WorkingCalendar,
    target_days: u32,
    today: Date,
) -> SafeguardingView {
    let mut view = SafeguardingView {
        referral_target_days: target_days,
        ..SafeguardingView::default()
    };
    let day = |at: Timestamp| london_date(at);
    let mut children: BTreeMap<u32, ChildView> = BTreeMap::new();
    let mut plans: BTreeMap<u32, PlanView> = BTreeMap::new();
    let mut support: BTreeMap<u32, SupportReferralView> = BTreeMap::new();
    for event in events {
        let at = event.occurred_at;
        match &event.fact {
            Fact::ChildIdentified {
                child,
                name,
                age,
                age_band,
                area,
                authority,
                authority_name,
                relationship,
                source,
            } => {
                children.insert(
                    *child,
                    ChildView {
                        child: *child,
                        name: name.clone(),
                        age: *age,
                        age_band: age_band.label(),
                        area: area.clone(),
                        authority: authority.clone(),
                        authority_name: authority_name.clone(),
                        relationship: relationship.clone(),
                        source: source.label(),
                        identified_at: at,
                        identified_by: event.recorded_by.clone(),
                        referral_deadline: DayDeadline::of(
                            referral_due(calendar, day(at), target_days),
                            None,
                            today,
                        ),
                        referral: None,
                        signposted: Vec::new(),
                    },
                );
            }
            Fact::SafeguardingReferred {
                child,
                authority_name,
                method,
                shared,
                consent,
                consent_reason,
                ..
            } => {
                if let Some(c) = children.get_mut(child) {
                    let identified = day(c.identified_at);
                    c.referral_deadline = DayDeadline::of(
                        referral_due(calendar, identified, target_days),
                        Some(day(at)),
                        today,
                    );
                    c.referral = Some(SafeguardingReferralView {
                        sent_at: at,
                        sent_by: event.recorded_by.clone(),
                        authority_name: authority_name.clone(),
                        method: method.label(),
                        shared: shared.clone(),
                        consent: *consent,
                        consent_label: consent.label(),
                        consent_reason: consent_reason.clone(),
                        acknowledged_at: None,
                        decided_at: None,
                        decision: None,
                        decision_label: None,
                        decision_deadline: DayDeadline::of(
                            decision_due(calendar, day(at)),
                            None,
                            today,
                        ),
                    });
                }
            }
            Fact::SafeguardingAcknowledged { child } => {
                if let Some(r) = children.get_mut(child).and_then(|c| c.referral.as_mut()) {
                    r.acknowledged_at = Some(at);
                }
            }
            Fact::SafeguardingDecided { child, decision } => {
                if let Some(r) = children.get_mut(child).and_then(|c| c.referral.as_mut()) {
                    r.decided_at = Some(at);
                    r.decision = Some(*decision);
                    r.decision_label = Some(decision.label());
                    r.decision_deadline = DayDeadline::of(
                        decision_due(calendar, day(r.sent_at)),
                        Some(day(at)),
                        today,
                    );
                }
            }
            Fact::Signposted { child, service } => {
                if let Some(c) = children.get_mut(child) {
                    c.signposted.push(service.clone());
                }
            }
            Fact::StrategyDiscussion {
                plan,
                children: of,
                agencies,
                decisions,
                review,
            } => {
                plans.insert(
                    *plan,
                    PlanView {
                        plan: *plan,
                        held_at: at,
                        children: of.clone(),
                        agencies: agencies.clone(),
                        decisions: decisions.clone(),
                        review: *review,
                        actions: Vec::new(),
                        next_action: 1,
                    },
                );
            }
            Fact::PlanAction {
                plan,
                action,
                text,
                owner_agency,
                due,
            } => {
                if let Some(p) = plans.get_mut(plan) {
                    p.actions.push(PlanActionView {
                        action: *action,
                        text: text.clone(),
                        owner_agency: owner_agency.clone(),
                        due: *due,
                        done_at: None,
                        overdue: today > *due,
                    });
                    p.next_action = p.next_action.max(action + 1);
                }
            }
            Fact::PlanActionDone { plan, action } => {
                if let Some(a) = plans
                    .get_mut(plan)
                    .and_then(|p| p.actions.iter_mut().find(|a| a.action == *action))
                {
                    a.done_at = Some(at);
                    a.overdue = false;
                }
            }
            Fact::SupportOffered {
                support: number,
                child,
                service,
                service_name,
                need,
            } => {
                support.insert(
                    *number,
                    SupportReferralView {
                        support: *number,
                        child: *child,
                        service: *service,
                        service_name: service_name.clone(),
                        need: need.clone(),
                        status: SupportStatus::Offered,
                        status_label: SupportStatus::Offered.label(),
                        offered_at: at,
                        steps: Vec::new(),
                    },
                );
            }
            Fact::SupportUpdated {
                support: number,
                step,
                reason,
                outcome,
            } => {
                if let Some(s) = support.get_mut(number) {
                    s.steps.push(SupportStepView {
                        label: step.label(),
                        at,
                        reason: reason.clone(),
                        outcome: outcome.map(|o| o.label()),
                    });
                }
            }
            _ => {}
        }
    }
    for s in support.values_mut() {
        s.status = support_status(events, s.support).unwrap_or(SupportStatus::Offered);
        s.status_label = s.status.label();
    }
    let next = |numbers: Vec<u32>| numbers.into_iter().max().map_or(1, |n| n + 1);
    view.next_child = next(children.keys().copied().collect());
    view.next_plan = next(plans.keys().copied().collect());
    view.next_support = next(support.keys().copied().collect());
    view.children = children.into_values().collect();
    view.plans = plans.into_values().collect();
    view.support = support.into_values().collect();
    view
}

/// The end of a UK date: the instant its deadline passes.
fn end_of(date: Date) -> i64 {
    date.tomorrow()
        .map(start_of_london_day)
        .unwrap_or(Timestamp::MAX)
        .as_second()
}

/// A count with the cases behind it.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Figure {
    pub count: usize,
    pub cases: Vec<CaseId>,
}

impl Figure {
    fn add(&mut self, case: CaseId) {
        self.count += 1;
        if !self.cases.contains(&case) {
            self.cases.push(case);
        }
    }
}

/// The force's safeguarding over a period, each figure with the cases behind it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SafeguardingAudit {
    #[schema(value_type = String, format = DateTime)]
    pub from: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub to: Timestamp,
    /// What was recorded by this instant counts: give it again to reproduce the figures.
    #[schema(value_type = String, format = DateTime)]
    pub known_at: Timestamp,
    /// The force's target for sending a referral then, in working days (0: the same working day).
    pub referral_target_days: u32,
    /// Children identified in the period.
    pub identified: Figure,
    /// Of them, referred to children's social care (by the time the figures are known at).
    pub referred: Figure,
    /// Of those referred, within the force's target.
    pub referred_within_target: Figure,
    /// Identified and not referred, past the target.
    pub not_referred_overdue: Figure,
    /// Identified and not referred, still within the target.
    pub not_referred_waiting: Figure,
    /// The median working days from identification to the referral being sent.
    pub median_working_days_to_refer: Option<u32>,
    /// Referrals sent in the period.
    pub referrals_sent: Figure,
    /// Of them, decided by the authority within one working day.
    pub decided_within_one_day: Figure,
    pub decided_later: Figure,
    /// No decision recorded yet.
    pub awaiting_decision: Figure,
    /// Referrals sent in the period with consent given, refused (shared anyway) and not sought, each with its
    /// reason recorded.
    pub consent_given: Figure,
    pub consent_refused: Figure,
    pub consent_not_sought: Figure,
    /// Joint plans agreed in the period.
    pub plans: Figure,
    /// Of them, those with an action past its due date and not done.
    pub plans_with_overdue_actions: Figure,
    /// Dates the bank holidays Severn holds do not cover, so their working days could not be counted.
    pub not_counted: Vec<String>,
}

/// The safeguarding kinds the audit reads.
const AUDITED: [EventKind; 6] = [
    EventKind::ChildIdentified,
    EventKind::SafeguardingReferred,
    EventKind::SafeguardingDecided,
    EventKind::StrategyDiscussion,
    EventKind::PlanAction,
    EventKind::PlanActionDone,
];

/// What came before a period that its events are about: the children referred and the plans acted on.
const EARLIER: [EventKind; 4] = [
    EventKind::ChildIdentified,
    EventKind::SafeguardingReferred,
    EventKind::StrategyDiscussion,
    EventKind::PlanAction,
];

impl App {
    /// Fills in what a safeguarding fact takes from elsewhere, or refuses it: a referral goes to the child's
    /// authority unless another is named; a support referral names an open service of the directory, whose name
    /// it keeps as it was then.
    pub(crate) async fn complete_safeguarding(
        &self,
        tx: &mut Scoped,
        fact: &mut Fact,
        events: &[Event],
    ) -> Result<()> {
        match fact {
            Fact::ChildIdentified {
                area,
                authority,
                authority_name,
                ..
            } => {
                let authorities = self.local_authorities().await?;
                let found = if authority.trim().is_empty() {
                    match authorities.lookup(area) {
                        Lookup::One(found) => found,
                        Lookup::Several(candidates) => {
                            let names: Vec<&str> =
                                candidates.iter().map(|a| a.name.as_str()).collect();
                            return Err(AppError::Invalid(format!(
                                "{} is on the boundary of {}: choose the child's local authority.",
                                area.trim(),
                                names.join(" and ")
                            )));
                        }
                        Lookup::Unknown => {
                            return Err(AppError::Invalid(format!(
                                "Severn cannot tell the local authority from \"{}\": choose it.",
                                area.trim()
                            )));
                        }
                    }
                } else {
                    authorities.get(authority.trim()).ok_or_else(|| {
                        AppError::Invalid(format!(
                            "{:?} is not a local authority in Severn's list: choose one from it.",
                            authority.trim()
                        ))
                    })?
                };
                *authority = found.code.clone();
                *authority_name = found.name.clone();
            }
            Fact::SafeguardingReferred {
                child,
                authority,
                authority_name,
                ..
            } => {
                if !authority.trim().is_empty() {
                    let authorities = self.local_authorities().await?;
                    let found = authorities.get(authority.trim()).ok_or_else(|| {
                        AppError::Invalid(format!(
                            "{:?} is not a local authority in Severn's list: choose one from it.",
                            authority.trim()
                        ))
                    })?;
                    *authority = found.code.clone();
                    *authority_name = found.name.clone();
                    return Ok(());
                }
                let identified = events.iter().rev().find_map(|e| match &e.fact {
                    Fact::ChildIdentified {
                        child: c,
                        authority,
                        authority_name,
                        ..
                    } if c == child => Some((authority.clone(), authority_name.clone())),
                    _ => None,
                });
                if let Some((code, name)) = identified {
                    *authority = code;
                    *authority_name = name;
                }
            }
            Fact::SupportOffered {
                service,
                service_name,
                ..
            } => {
                let Some(found) = tx.support_service(ServiceId(*service)).await? else {
                    return Err(AppError::Invalid(format!(
                        "There is no support service {service} in the directory: choose one from it."
                    )));
                };
                if !found.details.active {
                    return Err(AppError::Invalid(format!(
                        "{} is marked closed in the directory: choose an open service.",
                        found.details.name
                    )));
                }
                *service_name = found.details.name;
            }
            _ => {}
        }
        Ok(())
    }

    /// Safeguarding on a case for its page: read in the same transaction as the case.
    pub(crate) async fn safeguarding_in(
        &self,
        tx: &mut Scoped,
        row: &CaseRow,
        events: &[&Event],
        now: i64,
    ) -> Result<SafeguardingView> {
        let target = match row.owner_org {
            Some(org) => tx.safeguarding_target(org, now).await?,
            None => 0,
        };
        Ok(safeguarding_of(
            events,
            &*self.calendar().await?,
            target,
            london_date(instant(now)),
        ))
    }

    /// Keeps the case's earliest open safeguarding deadline on its row, for the notices.
    pub(crate) async fn keep_safeguarding_due(
        &self,
        tx: &mut Scoped,
        row: &CaseRow,
        events: &[&Event],
        now: i64,
    ) -> Result<()> {
        let view = self.safeguarding_in(tx, row, events, now).await?;
        tx.set_safeguarding_due(row, view.earliest_due().map(end_of))
            .await?;
        Ok(())
    }

    /// Sets the person's force's target for sending a referral to children's social care, in working days
    /// after the child is identified (0: the same working day). Administrators of the force.
    pub async fn set_referral_target(&self, actor: &Actor, working_days: u32) -> Result<()> {
        if working_days > 10 {
            return Err(AppError::Invalid(format!(
                "A target of {working_days} working days is too long: give 0 (the same working day) to 10."
            )));
        }
        let Some(org) = actor.org() else {
            return Err(AppError::Invalid(
                "Only a force's people set its target.".into(),
            ));
        };
        let tx = self.db().begin().await?;
        let why = Why {
            detail: Some(format!("referral target {working_days} working days")),
            ..Why::default()
        };
        let mut tx = self
            .authorise(tx, actor, Action::ManageStaff, "safeguarding:target", why)
            .await?;
        tx.set_safeguarding_target(org, working_days, self.now(), &actor.audit_name())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The force's target for sending a referral, now.
    pub async fn referral_target(&self, org: Option<OrgId>) -> Result<u32> {
        let Some(org) = org else { return Ok(0) };
        let mut tx = self.db().begin_read().await?;
        let days = tx.safeguarding_target(org, self.now()).await?;
        tx.commit().await?;
        Ok(days)
    }

    /// The person's force's safeguarding over `[from, to)` as known at the period's instant: children
    /// identified and how soon they were referred, referrals sent and how soon the authority decided, consent,
    /// and joint plans with overdue actions.
    pub async fn safeguarding_audit(
        &self,
        actor: &Actor,
        period: AuditPeriod,
    ) -> Result<SafeguardingAudit> {
        let AuditPeriod { from, to, .. } = period;
        let known_at = period.known_at(instant(self.now()));
        let tx = self.db().begin_read().await?;
        let why = Why {
            detail: Some(format!(
                "safeguarding audit {from} to {to} as known at {known_at}"
            )),
            ..Why::default()
        };
        let mut tx = self
            .authorise(tx, actor, Action::ViewQueue, "audit:safeguarding", why)
            .await?;
        let mut events =
            events_in_force_between(&mut tx, &AUDITED, from.as_second(), i64::MAX, known_at)
                .await?;
        // Referrals, decisions and plan actions in the period about children identified, or plans agreed,
        // before it: their cases' earlier children and plans.
        let cases: BTreeSet<CaseId> = events.iter().map(|(case, _)| *case).collect();
        let earlier = tx
            .case_events_before(
                &cases.into_iter().collect::<Vec<_>>(),
                &EARLIER,
                from.as_second(),
            )
            .await?;
        events.extend(in_force_as_known_at(&mut tx, earlier, known_at).await?);
        let target = match actor.org() {
            Some(org) => tx.safeguarding_target(org, known_at.as_second()).await?,
            None => 0,
        };
        tx.commit().await?;
        let calendar = self.calendar().await?;
        let today = london_date(known_at);
        let mut by_case: BTreeMap<CaseId, Vec<Event>> = BTreeMap::new();
        for (case, event) in events {
            by_case.entry(case).or_default().push(event);
        }
        let in_period = |at: Timestamp| at >= from && at < to;
        let mut audit = SafeguardingAudit {
            from,
            to,
            known_at,
            referral_target_days: target,
            identified: Figure::default(),
            referred: Figure::default(),
            referred_within_target: Figure::default(),
            not_referred_overdue: Figure::default(),
            not_referred_waiting: Figure::default(),
            median_working_days_to_refer: None,
            referrals_sent: Figure::default(),
            decided_within_one_day: Figure::default(),
            decided_later: Figure::default(),
            awaiting_decision: Figure::default(),
            consent_given: Figure::default(),
            consent_refused: Figure::default(),
            consent_not_sought: Figure::default(),
            plans: Figure::default(),
            plans_with_overdue_actions: Figure::default(),
            not_counted: Vec::new(),
        };
        let mut days_to_refer = Vec::new();
        let mut not_counted = BTreeSet::new();
        for (case, mut events) in by_case {
            events.sort_by_key(|e| (e.occurred_at, e.id));
            let refs: Vec<&Event> = events.iter().collect();
            let view = safeguarding_of(&refs, &calendar, target, today);
            for child in &view.children {
                if let Some(problem) = &child.referral_deadline.problem {
                    not_counted.insert(problem.clone());
                }
                if in_period(child.identified_at) {
                    audit.identified.add(case);
                    match (&child.referral, child.referral_deadline.clock) {
                        (Some(referral), clock) => {
                            audit.referred.add(case);
                            if clock == Some(DayClock::OnTime) {
                                audit.referred_within_target.add(case);
                            }
                            if let Ok(days) = calendar.working_days_between(
                                london_date(child.identified_at),
                                london_date(referral.sent_at),
                            ) {
                                days_to_refer.push(days);
                            }
                        }
                        (None, Some(DayClock::Overdue)) => audit.not_referred_overdue.add(case),
                        (None, _) => audit.not_referred_waiting.add(case),
                    }
                }
                let Some(referral) = &child.referral else {
                    continue;
                };
                if !in_period(referral.sent_at) {
                    continue;
                }
                if let Some(problem) = &referral.decision_deadline.problem {
                    not_counted.insert(problem.clone());
                }
                audit.referrals_sent.add(case);
                match referral.decision_deadline.clock {
                    Some(DayClock::OnTime) => audit.decided_within_one_day.add(case),
                    Some(DayClock::Late) => audit.decided_later.add(case),
                    _ => audit.awaiting_decision.add(case),
                }
                match referral.consent {
                    Consent::Given => audit.consent_given.add(case),
                    Consent::Refused => audit.consent_refused.add(case),
                    Consent::NotSought => audit.consent_not_sought.add(case),
                }
            }
            for plan in view.plans.iter().filter(|p| in_period(p.held_at)) {
                audit.plans.add(case);
                if plan.actions.iter().any(|a| a.overdue) {
                    audit.plans_with_overdue_actions.add(case);
                }
            }
        }
        days_to_refer.sort_unstable();
        audit.median_working_days_to_refer = days_to_refer.get(days_to_refer.len() / 2).copied();
        audit.not_counted = not_counted.into_iter().collect();
        Ok(audit)
    }
}

impl SafeguardingAudit {
    /// Each figure: its key (CSV and API), its words, and the count with the cases behind it, in the order
    /// people read them.
    pub fn figures(&self) -> Vec<(&'static str, &'static str, &Figure)> {
        vec![
            ("identified", "Children identified", &self.identified),
            (
                "referred",
                "Referred to children's social care",
                &self.referred,
            ),
            (
                "referred_within_target",
                "Referred within the force's target",
                &self.referred_within_target,
            ),
            (
                "not_referred_overdue",
                "Not referred, past the target",
                &self.not_referred_overdue,
            ),
            (
                "not_referred_waiting",
                "Not referred, still within the target",
                &self.not_referred_waiting,
            ),
            ("referrals_sent", "Referrals sent", &self.referrals_sent),
            (
                "decided_within_one_day",
                "Decided by the authority within one working day",
                &self.decided_within_one_day,
            ),
            (
                "decided_later",
                "Decided after one working day",
                &self.decided_later,
            ),
            (
                "awaiting_decision",
                "No decision recorded",
                &self.awaiting_decision,
            ),
            ("consent_given", "Consent given", &self.consent_given),
            (
                "consent_refused",
                "Consent refused, shared with a reason",
                &self.consent_refused,
            ),
            (
                "consent_not_sought",
                "Consent not sought, with a reason",
                &self.consent_not_sought,
            ),
            ("plans", "Joint plans agreed", &self.plans),
            (
                "plans_with_overdue_actions",
                "Joint plans with an action overdue",
                &self.plans_with_overdue_actions,
            ),
        ]
    }

    /// The figures as CSV: `figure,label,count,cases`, the cases separated by spaces.
    pub fn csv(&self) -> String {
        let mut csv = String::from("figure,label,count,cases\n");
        for (key, label, figure) in self.figures() {
            let cases: Vec<String> = figure.cases.iter().map(ToString::to_string).collect();
            csv.push_str(&format!(
                "{key},\"{label}\",{},{}\n",
                figure.count,
                cases.join(" ")
            ));
        }
        csv
    }
}
