//! The safeguarding audit: children identified over a period, how soon each was referred and decided,
//! consent, and joint plans with overdue actions; each figure with the cases behind it.

use super::safeguarding_of;
use crate::casework::{AuditPeriod, events_in_force_between, in_force_as_known_at};
use crate::gate::Why;
use crate::time::{instant, london_date};
use crate::{App, Result};
use jiff::Timestamp;
use serde::Serialize;
use severn_domain::access::Action;
use severn_domain::access::Actor;
use severn_domain::case::safeguarding::{Consent, DayClock};
use severn_domain::case::{Event, EventKind};
use severn_domain::ids::CaseId;
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

/// A count with the cases behind it.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Figure {
    pub count: usize,
    pub cases: Vec<CaseId>,
}

impl Figure {
    /// Counts one more, on `case`. The audit goes through the cases in order, so a case already listed is the
    /// last one (a search of the whole list made the audit quadratic in the cases behind a figure).
    fn add(&mut self, case: CaseId) {
        self.count += 1;
        if self.cases.last() != Some(&case) {
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
