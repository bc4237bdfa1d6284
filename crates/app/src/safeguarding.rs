//! Safeguarding on cases: where each child a case identifies stands (their referral to children's social
//! care, its clocks, the authority's decision), the joint plans agreed with partners and their actions, and the
//! support each child or family was offered; the force's target for sending referrals; and the audit of all
//! of it over a period, each figure with the cases behind it.
//!
//! And the support gaps, the PCC's commissioning evidence: children no service took on, services at capacity,
//! contracts ending.
//!
//! The facts are events on the case's timeline (recorded with `record_event`, under `Action::Safeguard`).
//! Deadlines are dates counted in England and Wales working days; a deadline ends at the end of its UK day.

use crate::gate::Why;
use crate::time::{instant, london_date, start_of_london_day};
use crate::{App, AppError, Result};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use severn_domain::access::{Action, Actor};
use severn_domain::authorities::{LocalAuthorities, Lookup};
use severn_domain::case::safeguarding::{
    AuthorityDecision, Consent, DayClock, SupportStatus, decision_due, referral_due, support_status,
};
use severn_domain::case::{Event, Fact};
use severn_domain::ids::OrgId;
use severn_domain::support::ServiceId;
use severn_domain::workdays::WorkingCalendar;
use severn_store::{CaseRow, Scoped};
use std::collections::BTreeMap;
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

    /// Past its date and not done.
    pub fn is_overdue(&self) -> bool {
        self.clock == Some(DayClock::Overdue)
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
    /// When the force's referrals are due, in words.
    pub fn referral_target_words(&self) -> String {
        referral_target_words(self.referral_target_days)
    }

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

/// The authority a person named by its code, or why it cannot be used.
fn named_authority<'a>(
    authorities: &'a LocalAuthorities,
    code: &str,
) -> Result<&'a severn_domain::authorities::Authority> {
    authorities.get(code.trim()).ok_or_else(|| {
        AppError::Invalid(format!(
            "{:?} is not a local authority in Severn's list: choose one from it.",
            code.trim()
        ))
    })
}

/// When referrals are due after a child is identified, in words, for a force's target in working days.
pub fn referral_target_words(days: u32) -> String {
    match days {
        0 => "on the working day the child is identified".to_owned(),
        1 => "within 1 working day of the child being identified".to_owned(),
        n => format!("within {n} working days of the child being identified"),
    }
}

/// The end of a UK date: the instant its deadline passes.
fn end_of(date: Date) -> i64 {
    date.tomorrow()
        .map(start_of_london_day)
        .unwrap_or(Timestamp::MAX)
        .as_second()
}

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
                    named_authority(&authorities, authority)?
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
                    let found = named_authority(&authorities, authority)?;
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
}

mod audit;
mod gaps;

pub use audit::{Figure, SafeguardingAudit};
pub use gaps::{GapLine, SupportGaps};
