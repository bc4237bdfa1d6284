//! The order rules of safeguarding facts, the support lifecycle and the working-day clocks.

use super::*;
use crate::case::safeguarding::*;
use crate::workdays::WorkingCalendar;
use jiff::civil::date;

fn child(number: u32, name: &str, age: Option<u8>) -> Fact {
    Fact::ChildIdentified {
        child: number,
        name: name.into(),
        age,
        age_band: age.and_then(AgeBand::of_age).unwrap_or(AgeBand::Unknown),
        area: "BS1 4DJ".into(),
        authority: "bristol".into(),
        authority_name: "Bristol".into(),
        relationship: "Niece".into(),
        source: ChildSource::Household,
    }
}

fn referred(number: u32, consent: Consent, reason: Option<&str>) -> Fact {
    Fact::SafeguardingReferred {
        child: number,
        authority: "bristol".into(),
        authority_name: "Bristol".into(),
        method: ShareMethod::SecureEmail,
        shared: "The referral's account of the contact and the suspect's address.".into(),
        consent,
        consent_reason: reason.map(str::to_owned),
    }
}

fn offered(support: u32, number: u32) -> Fact {
    Fact::SupportOffered {
        support,
        child: number,
        service: 1,
        service_name: "Severnshire Young Victims Service".into(),
        need: "online abuse".into(),
    }
}

fn step(support: u32, step: SupportStep, reason: Option<&str>) -> Fact {
    Fact::SupportUpdated {
        support,
        step,
        reason: reason.map(str::to_owned),
        outcome: (step == SupportStep::Done).then_some(SupportOutcome::Successful),
    }
}

const T: &str = "2026-03-20T10:00:00Z";

#[test]
fn a_child_is_identified_before_being_referred_and_referred_once() {
    let mut case = Case::new();
    let refused = case.try_add(referred(1, Consent::Given, None), T, T);
    assert!(
        matches!(refused, Err(Refusal::Needs { needs, .. }) if needs == "the child's identification")
    );
    case.add(child(1, "Poppy Hart", Some(9)), T);
    case.add(referred(1, Consent::Given, None), "2026-03-20T11:00:00Z");
    let again = case.try_add(
        referred(1, Consent::Given, None),
        "2026-03-20T12:00:00Z",
        "2026-03-20T12:00:00Z",
    );
    assert!(matches!(again, Err(Refusal::Already { .. })));
}

#[test]
fn the_same_child_is_on_a_case_once_however_their_name_is_typed() {
    let mut case = Case::new();
    case.add(child(1, "Poppy Hart", Some(9)), T);
    let refused = case.try_add(child(2, "  poppy   HART ", None), T, T);
    let Err(refusal) = refused else {
        panic!("the same child twice was accepted")
    };
    assert!(
        refusal
            .message(&|t| t.to_string())
            .contains("a child of this name and age is on the case already")
    );
    // Another child of the same name but another age is a different child.
    case.add(child(2, "Poppy Hart", Some(15)), T);
}

#[test]
fn an_age_must_be_a_childs_and_in_its_band() {
    let mut case = Case::new();
    let mut adult = child(1, "Sam Example", None);
    if let Fact::ChildIdentified { age, .. } = &mut adult {
        *age = Some(19);
    }
    let refused = case.try_add(adult, T, T).unwrap_err();
    assert_eq!(refused, Refusal::NotAChild(19));
}

#[test]
fn sharing_without_consent_must_say_why() {
    let mut case = Case::new();
    case.add(child(1, "Poppy Hart", Some(9)), T);
    for consent in [Consent::Refused, Consent::NotSought] {
        let refused = case.try_add(referred(1, consent, None), T, T).unwrap_err();
        assert_eq!(
            refused,
            Refusal::Missing("reason for sharing without consent")
        );
    }
    case.add(
        referred(
            1,
            Consent::NotSought,
            Some("Seeking consent would alert the suspect, who lives with the child."),
        ),
        T,
    );
}

#[test]
fn the_authority_decides_on_a_referral_that_was_sent() {
    let mut case = Case::new();
    case.add(child(1, "Poppy Hart", Some(9)), T);
    let decided = Fact::SafeguardingDecided {
        child: 1,
        decision: AuthorityDecision::StrategyDiscussion,
    };
    assert!(matches!(
        case.try_add(decided.clone(), T, T),
        Err(Refusal::Needs { .. })
    ));
    case.add(referred(1, Consent::Given, None), T);
    case.add(decided.clone(), "2026-03-20T15:00:00Z");
    assert!(matches!(
        case.try_add(decided, "2026-03-20T16:00:00Z", "2026-03-20T16:00:00Z"),
        Err(Refusal::Already { .. })
    ));
}

#[test]
fn a_joint_plan_is_for_children_on_the_case_and_its_actions_are_done_once() {
    let mut case = Case::new();
    case.add(child(1, "Poppy Hart", Some(9)), T);
    let plan = |children: Vec<u32>| Fact::StrategyDiscussion {
        plan: 1,
        children,
        agencies: "Police, Bristol children's social care, health".into(),
        decisions: "Section 47 enquiry; joint visit.".into(),
        review: date(2026, 4, 20),
    };
    assert!(matches!(
        case.try_add(plan(vec![1, 2]), T, T),
        Err(Refusal::Needs { .. })
    ));
    assert_eq!(
        case.try_add(plan(vec![]), T, T).unwrap_err(),
        Refusal::Missing("children the plan is for")
    );
    case.add(plan(vec![1]), T);
    assert_eq!(case.timeline.next_plan_action(1), 1);
    case.add(
        Fact::PlanAction {
            plan: 1,
            action: 1,
            text: "Joint visit to the household".into(),
            owner_agency: "Bristol children's social care".into(),
            due: date(2026, 3, 24),
        },
        T,
    );
    assert_eq!(case.timeline.next_plan_action(1), 2);
    let done = Fact::PlanActionDone { plan: 1, action: 1 };
    case.add(done.clone(), "2026-03-21T10:00:00Z");
    assert!(matches!(
        case.try_add(done, "2026-03-21T11:00:00Z", "2026-03-21T11:00:00Z"),
        Err(Refusal::Already { .. })
    ));
    assert!(matches!(
        case.try_add(
            Fact::PlanActionDone { plan: 1, action: 2 },
            "2026-03-21T11:00:00Z",
            "2026-03-21T11:00:00Z"
        ),
        Err(Refusal::Needs { .. })
    ));
}

#[test]
fn a_support_referral_moves_through_its_lifecycle_one_allowed_step_at_a_time() {
    let mut case = Case::new();
    case.add(child(1, "Poppy Hart", Some(9)), T);
    assert!(matches!(
        case.try_add(step(1, SupportStep::FamilyAccepted, None), T, T),
        Err(Refusal::Needs { .. })
    ));
    case.add(offered(1, 1), T);
    let early = case
        .try_add(step(1, SupportStep::ServiceAccepted, None), T, T)
        .unwrap_err();
    assert_eq!(
        early.message(&|t| t.to_string()),
        "\"The service accepted the referral\" cannot be recorded: the family has not accepted the offer yet \
         (the referral is at \"offered to the family\")."
    );
    case.add(step(1, SupportStep::FamilyAccepted, None), T);
    case.add(step(1, SupportStep::ServiceAccepted, None), T);
    assert!(matches!(
        case.try_add(step(1, SupportStep::Done, None), T, T),
        Err(Refusal::Lifecycle {
            why: "support has not started",
            ..
        })
    ));
    case.add(step(1, SupportStep::Started, None), T);
    case.add(step(1, SupportStep::Done, None), T);
    assert!(matches!(
        case.try_add(step(1, SupportStep::Withdrawn, Some("moved away")), T, T),
        Err(Refusal::Lifecycle {
            why: "the referral has ended",
            ..
        })
    ));
    let events = case.timeline.in_force();
    assert_eq!(support_status(&events, 1), Some(SupportStatus::Done));
}

#[test]
fn declining_rejecting_and_withdrawing_need_a_reason_and_finishing_an_outcome() {
    let mut case = Case::new();
    case.add(child(1, "Poppy Hart", Some(9)), T);
    case.add(offered(1, 1), T);
    for s in [SupportStep::FamilyDeclined, SupportStep::Withdrawn] {
        assert_eq!(
            case.try_add(step(1, s, None), T, T).unwrap_err(),
            Refusal::Missing("reason")
        );
    }
    let no_outcome = Fact::SupportUpdated {
        support: 1,
        step: SupportStep::Done,
        reason: None,
        outcome: None,
    };
    assert_eq!(
        case.try_add(no_outcome, T, T).unwrap_err(),
        Refusal::Missing("outcome of the support")
    );
    case.add(
        step(
            1,
            SupportStep::FamilyDeclined,
            Some("The family have private therapy."),
        ),
        T,
    );
}

#[test]
fn every_status_refuses_the_steps_it_cannot_take() {
    for status in SupportStatus::ALL.iter().copied() {
        for step in SupportStep::ALL.iter().copied() {
            match status.after(step) {
                Ok(next) => assert!(!status.is_final(), "{status:?} → {step:?} → {next:?}"),
                Err(why) => assert!(!why.is_empty()),
            }
        }
    }
    assert_eq!(
        SupportStatus::Offered.after(SupportStep::Withdrawn),
        Ok(SupportStatus::Withdrawn)
    );
}

#[test]
fn closing_names_the_safeguarding_work_left_open() {
    let mut case = Case::new();
    case.add(child(1, "Poppy Hart", Some(9)), T);
    case.add(child(2, "Alfie Hart", Some(6)), T);
    case.add(referred(2, Consent::Given, None), T);
    case.add(offered(1, 1), T);
    let open = case.timeline.open_work();
    assert!(open.contains(&"a child identified has not been referred to children's social care"));
    assert!(open.contains(&"a referral to children's social care has no decision recorded"));
    assert!(open.contains(&"a support referral is still open"));
    assert!(matches!(
        case.try_add(
            Fact::Closed {
                reason: "NFA".into()
            },
            T,
            T
        ),
        Err(Refusal::OpenWork(_))
    ));
}

#[test]
fn the_sharing_clock_counts_working_days_from_identification() {
    let calendar = WorkingCalendar::england_and_wales();
    // Thursday before Easter 2026: the same working day by default.
    assert_eq!(
        referral_due(&calendar, date(2026, 4, 2), 0),
        Ok(date(2026, 4, 2))
    );
    // Identified on Good Friday: the next working day is the Tuesday after Easter Monday.
    assert_eq!(
        referral_due(&calendar, date(2026, 4, 3), 0),
        Ok(date(2026, 4, 7))
    );
    // A force's target of two working days, over a weekend.
    assert_eq!(
        referral_due(&calendar, date(2026, 3, 20), 2),
        Ok(date(2026, 3, 24))
    );
    // The authority's decision: one working day after a referral sent on Christmas Eve 2026 (Thursday).
    assert_eq!(
        decision_due(&calendar, date(2026, 12, 24)),
        Ok(date(2026, 12, 29))
    );
    // Over the year's end: sent on Thursday 31 December 2026, decided by Monday 4 January 2027 (New Year's Day
    // is a Friday).
    assert_eq!(
        decision_due(&calendar, date(2026, 12, 31)),
        Ok(date(2027, 1, 4))
    );
    assert!(decision_due(&calendar, date(2029, 1, 2)).is_err());
}

#[test]
fn a_day_clock_is_in_time_late_waiting_or_overdue() {
    let due = date(2026, 3, 20);
    assert_eq!(DayClock::of(due, Some(due), due), DayClock::OnTime);
    assert_eq!(
        DayClock::of(due, Some(date(2026, 3, 23)), date(2026, 3, 23)),
        DayClock::Late
    );
    assert_eq!(DayClock::of(due, None, due), DayClock::Waiting);
    assert_eq!(
        DayClock::of(due, None, date(2026, 3, 21)),
        DayClock::Overdue
    );
}

#[test]
fn each_word_is_stored_as_the_api_writes_it() {
    for band in AgeBand::ALL {
        assert_eq!(
            serde_json::to_value(band).unwrap(),
            serde_json::Value::from(band.as_str())
        );
    }
    for step in SupportStep::ALL {
        assert_eq!(
            serde_json::to_value(step).unwrap(),
            serde_json::Value::from(step.as_str())
        );
    }
    for decision in AuthorityDecision::ALL {
        assert_eq!(
            serde_json::to_value(decision).unwrap(),
            serde_json::Value::from(decision.as_str())
        );
    }
}
