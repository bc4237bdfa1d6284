//! Safeguarding on a case: the children it identifies, their referrals to the local authority's children's
//! social care, strategy discussions and joint plans with partners, and referrals to support services.
//!
//! Each is a fact on the case's timeline, so it has a time, a recorder, corrections and a history like any
//! other event, and the force's safeguarding figures can be reproduced for a past date. This module holds the
//! words those facts use and the rules on their order: a child is identified before being referred, the
//! authority decides on a referral that was sent, and a support referral moves through its lifecycle one
//! allowed step at a time ([`SupportStatus::after`]).

use super::{Event, EventKind, Fact, Refusal};
use crate::text::normalised_name;
use crate::workdays::{CalendarError, WorkingCalendar};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// An enum whose values have a stored form, words for people, and a parser for the stored form.
/// The stored form is the serialised one (snake case), so the API, the forms and the timeline use one word.
macro_rules! worded {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal, $label:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            /// The words pages use.
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }

            pub fn parse(value: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == value.trim())
            }
        }
    };
}

worded! {
    /// A child's age band, for figures that name no one (and for a child whose exact age is not known).
    AgeBand {
        UnderFive = "under_five", "0 to 4";
        FiveToNine = "five_to_nine", "5 to 9";
        TenToTwelve = "ten_to_twelve", "10 to 12";
        ThirteenToFifteen = "thirteen_to_fifteen", "13 to 15";
        SixteenToSeventeen = "sixteen_to_seventeen", "16 or 17";
        Unknown = "unknown", "Age not known";
    }
}

impl AgeBand {
    /// The band an age in years falls in; `None` for 18 and over, who are not children.
    pub fn of_age(age: u8) -> Option<AgeBand> {
        Some(match age {
            0..=4 => AgeBand::UnderFive,
            5..=9 => AgeBand::FiveToNine,
            10..=12 => AgeBand::TenToTwelve,
            13..=15 => AgeBand::ThirteenToFifteen,
            16..=17 => AgeBand::SixteenToSeventeen,
            _ => return None,
        })
    }
}

worded! {
    /// How the case came to know of a child.
    ChildSource {
        /// Named in a referral, as a victim or an intended recipient.
        Referral = "referral", "Named in a referral";
        /// Found by household research: living with or in contact with the suspect.
        Household = "household", "Household research";
        /// Found some other way and entered by hand.
        Other = "other", "Other enquiries";
    }
}

worded! {
    /// How a referral to children's social care was made.
    ShareMethod {
        Telephone = "telephone", "Telephone (to be confirmed in writing)";
        SecureEmail = "secure_email", "Secure e-mail";
        Portal = "portal", "The authority's online referral form";
        InPerson = "in_person", "In person";
    }
}

worded! {
    /// Consent to share a child's information with children's social care.
    Consent {
        Given = "given", "Consent given";
        /// Refused, and shared anyway: the reason says why sharing was still right.
        Refused = "refused", "Consent refused, shared without it";
        /// Not sought, for example because seeking it would prejudice the investigation or put the child at risk.
        NotSought = "not_sought", "Consent not sought";
    }
}

worded! {
    /// What the local authority decided on a referral.
    AuthorityDecision {
        InformationOnly = "information_only", "Information only";
        EarlyHelp = "early_help", "Early help";
        ChildInNeed = "child_in_need", "Child in need (Children Act 1989 s.17)";
        StrategyDiscussion = "strategy_discussion", "Strategy discussion and s.47 enquiry";
        NoFurtherAction = "no_further_action", "No further action";
    }
}

worded! {
    /// A step in a support referral's life, as recorded.
    SupportStep {
        FamilyAccepted = "family_accepted", "The family accepted the offer";
        FamilyDeclined = "family_declined", "The family declined the offer";
        ServiceAccepted = "service_accepted", "The service accepted the referral";
        ServiceRejected = "service_rejected", "The service could not take the referral";
        Started = "started", "Support started";
        Done = "done", "Support finished";
        Withdrawn = "withdrawn", "Referral withdrawn";
    }
}

worded! {
    /// Where a support referral stands.
    SupportStatus {
        Offered = "offered", "Offered to the family";
        FamilyAccepted = "family_accepted", "Accepted by the family, with the service";
        FamilyDeclined = "family_declined", "Declined by the family";
        ServiceAccepted = "service_accepted", "Accepted by the service";
        ServiceRejected = "service_rejected", "Not taken by the service";
        InProgress = "in_progress", "Support in progress";
        Done = "done", "Support finished";
        Withdrawn = "withdrawn", "Withdrawn";
    }
}

worded! {
    /// How support that finished went.
    SupportOutcome {
        Successful = "successful", "Successful";
        NotSuccessful = "not_successful", "Not successful";
    }
}

impl SupportStatus {
    /// Whether the referral has ended (nothing more can happen to it).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            SupportStatus::FamilyDeclined
                | SupportStatus::ServiceRejected
                | SupportStatus::Done
                | SupportStatus::Withdrawn
        )
    }

    /// Whether the service is, or was asked to be, working with the child: what counts against its capacity.
    pub fn holds_a_place(self) -> bool {
        matches!(
            self,
            SupportStatus::ServiceAccepted | SupportStatus::InProgress
        )
    }

    /// Where the referral stands after `step`, or why the step cannot follow this status.
    pub fn after(self, step: SupportStep) -> Result<SupportStatus, &'static str> {
        use SupportStatus as S;
        use SupportStep as T;
        match (self, step) {
            (S::Offered, T::FamilyAccepted) => Ok(S::FamilyAccepted),
            (S::Offered, T::FamilyDeclined) => Ok(S::FamilyDeclined),
            (S::FamilyAccepted, T::ServiceAccepted) => Ok(S::ServiceAccepted),
            (S::FamilyAccepted, T::ServiceRejected) => Ok(S::ServiceRejected),
            (S::ServiceAccepted, T::Started) => Ok(S::InProgress),
            (S::InProgress, T::Done) => Ok(S::Done),
            (status, T::Withdrawn) if !status.is_final() => Ok(S::Withdrawn),
            (status, _) if status.is_final() => Err("the referral has ended"),
            (_, T::FamilyAccepted | T::FamilyDeclined) => {
                Err("the family has answered the offer already")
            }
            (S::Offered, T::ServiceAccepted | T::ServiceRejected) => {
                Err("the family has not accepted the offer yet")
            }
            (_, T::ServiceAccepted | T::ServiceRejected) => {
                Err("the service has answered the referral already")
            }
            (_, T::Started) => Err("the service has not accepted the referral"),
            (_, T::Done) => Err("support has not started"),
            (_, T::Withdrawn) => Err("the referral has ended"),
        }
    }
}

/// The steps a support referral's events in force have taken it through: its status now.
pub fn support_status(events: &[&Event], support: u32) -> Option<SupportStatus> {
    let mut status = None;
    for event in events {
        match &event.fact {
            Fact::SupportOffered { support: s, .. } if *s == support => {
                status = Some(SupportStatus::Offered)
            }
            Fact::SupportUpdated {
                support: s, step, ..
            } if *s == support => {
                status = status.map(|now: SupportStatus| now.after(*step).unwrap_or(now))
            }
            _ => {}
        }
    }
    status
}

/// The children identified on a case, in force: number, normalised name, age band.
fn children<'a>(events: &'a [&'a Event]) -> impl Iterator<Item = (u32, &'a str, AgeBand)> + 'a {
    events.iter().filter_map(|e| match &e.fact {
        Fact::ChildIdentified {
            child,
            name,
            age_band,
            ..
        } => Some((*child, name.as_str(), *age_band)),
        _ => None,
    })
}

/// Checks a safeguarding fact against the events in force (the order rules); `at` is when it happened.
pub(super) fn check_order(
    events: &[&Event],
    new: &Fact,
    at: jiff::Timestamp,
) -> Result<(), Refusal> {
    let kind = new.kind();
    let needs = |needs: &'static str| Err(Refusal::Needs { kind, at, needs });
    let already = |what: &'static str| Err(Refusal::Already { kind, what });
    let find = |kind: EventKind, matches: &dyn Fn(&Fact) -> bool| {
        events.iter().find(|e| e.kind() == kind && matches(&e.fact))
    };
    let happened = |kind: EventKind, matches: &dyn Fn(&Fact) -> bool| {
        find(kind, matches).is_some_and(|e| e.occurred_at <= at)
    };
    let child_known = |c: u32| {
        happened(
            EventKind::ChildIdentified,
            &|f| matches!(f, Fact::ChildIdentified { child, .. } if *child == c),
        )
    };
    match new {
        Fact::ChildIdentified {
            child,
            name,
            age_band,
            ..
        } => {
            if children(events).any(|(c, _, _)| c == *child) {
                return already("a child with this number is on the case already");
            }
            let wanted = normalised_name(name);
            let same = |band: AgeBand| {
                band == *age_band || band == AgeBand::Unknown || *age_band == AgeBand::Unknown
            };
            if children(events).any(|(_, n, band)| normalised_name(n) == wanted && same(band)) {
                return already("a child of this name and age is on the case already");
            }
        }
        Fact::SafeguardingReferred { child, .. } => {
            if !child_known(*child) {
                return needs("the child's identification");
            }
            if find(EventKind::SafeguardingReferred, &|f| {
                f.child() == Some(*child)
            })
            .is_some()
            {
                return already("this child has been referred to children's social care already");
            }
        }
        Fact::SafeguardingAcknowledged { child } | Fact::SafeguardingDecided { child, .. } => {
            if !happened(EventKind::SafeguardingReferred, &|f| {
                f.child() == Some(*child)
            }) {
                return needs("the child's referral to children's social care");
            }
            if find(kind, &|f| f.child() == Some(*child)).is_some() {
                return already(if kind == EventKind::SafeguardingAcknowledged {
                    "the authority's acknowledgement is recorded already"
                } else {
                    "the authority's decision is recorded already"
                });
            }
        }
        Fact::StrategyDiscussion {
            plan, children: c, ..
        } => {
            if find(EventKind::StrategyDiscussion, &|f| f.plan() == Some(*plan)).is_some() {
                return already("a plan with this number is on the case already");
            }
            if c.is_empty() {
                return Err(Refusal::Missing("children the plan is for"));
            }
            if !c.iter().all(|c| child_known(*c)) {
                return needs("the identification of each child the plan is for");
            }
        }
        Fact::PlanAction { plan, action, .. } => {
            if !happened(EventKind::StrategyDiscussion, &|f| f.plan() == Some(*plan)) {
                return needs("the strategy discussion that agreed the plan");
            }
            if find(EventKind::PlanAction, &|f| {
                f.plan() == Some(*plan) && f.plan_action() == Some(*action)
            })
            .is_some()
            {
                return already("an action with this number is on the plan already");
            }
        }
        Fact::PlanActionDone { plan, action } => {
            if !happened(EventKind::PlanAction, &|f| {
                f.plan() == Some(*plan) && f.plan_action() == Some(*action)
            }) {
                return needs("the action to have been agreed");
            }
            if find(EventKind::PlanActionDone, &|f| {
                f.plan() == Some(*plan) && f.plan_action() == Some(*action)
            })
            .is_some()
            {
                return already("this action is recorded as done already");
            }
        }
        Fact::SupportOffered { support, child, .. } => {
            if !child_known(*child) {
                return needs("the child's identification");
            }
            if find(EventKind::SupportOffered, &|f| {
                f.support() == Some(*support)
            })
            .is_some()
            {
                return already("a support referral with this number is on the case already");
            }
        }
        Fact::SupportUpdated { support, step, .. } => {
            if !happened(EventKind::SupportOffered, &|f| {
                f.support() == Some(*support)
            }) {
                return needs("the offer of this support");
            }
            let status = support_status(events, *support).unwrap_or(SupportStatus::Offered);
            if let Err(why) = status.after(*step) {
                return Err(Refusal::Lifecycle {
                    step: *step,
                    status,
                    why,
                });
            }
        }
        Fact::Signposted { child, .. } if !child_known(*child) => {
            return needs("the child's identification");
        }
        _ => {}
    }
    Ok(())
}

/// Safeguarding work that closing the case would leave undone (each kind of work once).
pub(super) fn open_work(events: &[&Event]) -> Vec<&'static str> {
    let mut open = Vec::new();
    let mut push = |work: &'static str| {
        if !open.contains(&work) {
            open.push(work);
        }
    };
    let has = |kind: EventKind, matches: &dyn Fn(&Fact) -> bool| {
        events.iter().any(|e| e.kind() == kind && matches(&e.fact))
    };
    for (child, ..) in children(events) {
        let of_child = |f: &Fact| f.child() == Some(child);
        if !has(EventKind::SafeguardingReferred, &of_child) {
            push("a child identified has not been referred to children's social care");
        } else if !has(EventKind::SafeguardingDecided, &of_child) {
            push("a referral to children's social care has no decision recorded");
        }
    }
    for e in events {
        if let Fact::PlanAction { plan, action, .. } = &e.fact
            && !has(EventKind::PlanActionDone, &|f| {
                f.plan() == Some(*plan) && f.plan_action() == Some(*action)
            })
        {
            push("an action of a joint plan is not done");
        }
        if let Fact::SupportOffered { support, .. } = &e.fact
            && support_status(events, *support).is_some_and(|s| !s.is_final())
        {
            push("a support referral is still open");
        }
    }
    open
}

/// How a working-day clock stands on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DayClock {
    /// Not done, and not yet past its due date.
    Waiting,
    /// Not done, and past its due date.
    Overdue,
    OnTime,
    Late,
}

impl DayClock {
    /// The clock for something due on `due`, done on `done` (if it is), as it stands on `today`.
    pub fn of(due: Date, done: Option<Date>, today: Date) -> DayClock {
        match done {
            Some(done) if done <= due => DayClock::OnTime,
            Some(_) => DayClock::Late,
            None if today > due => DayClock::Overdue,
            None => DayClock::Waiting,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DayClock::Waiting => "Due",
            DayClock::Overdue => "Overdue",
            DayClock::OnTime => "In time",
            DayClock::Late => "Late",
        }
    }
}

/// When a child identified on `identified` is to be referred, with the force's target in working days: 0 (the
/// default) is the same working day, or the next working day for a child identified on a day that is not one.
pub fn referral_due(
    calendar: &WorkingCalendar,
    identified: Date,
    target_days: u32,
) -> Result<Date, CalendarError> {
    if target_days == 0 && calendar.is_working_day(identified)? {
        Ok(identified)
    } else {
        calendar.add_working_days(identified, target_days.max(1))
    }
}

/// When the local authority is to decide on a referral sent on `sent`: within one working day.
pub fn decision_due(calendar: &WorkingCalendar, sent: Date) -> Result<Date, CalendarError> {
    calendar.add_working_days(sent, 1)
}
