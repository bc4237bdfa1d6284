//! Safeguarding on cases: children, their referrals to children's social care and its clocks, who may record
//! them, the notices and the audit. Scenarios on SQLite and PostgreSQL.

use severn_app::AppError;
use severn_app::casework::AuditPeriod;
use severn_app::gate::Why;
use severn_app::staff::StaffSpec;
use severn_domain::access::{Denial, Role};
use severn_domain::access::{OrgKind, StaffKind};
use severn_domain::case::safeguarding::{
    AgeBand, AuthorityDecision, ChildSource, Consent, DayClock, ShareMethod, SupportStep,
};
use severn_domain::case::{Fact, NewEvent};
use severn_domain::ids::EventId;
use severn_domain::support::{Areas, NewSupportService, Serves, ServiceKind};
use severn_store::Db;

mod world;
use world::*;

severn_store::backend_matrix!(
    a_child_is_referred_decided_and_counted_as_known_at_each_time,
    overdue_safeguarding_work_gives_the_officer_a_notice,
    the_area_finds_the_authority_and_support_gaps_are_counted,
);

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

fn child() -> Fact {
    Fact::ChildIdentified {
        child: 1,
        name: "Poppy Example".into(),
        age: Some(9),
        age_band: AgeBand::FiveToNine,
        area: "BS1 4DJ".into(),
        authority: "bristol".into(),
        authority_name: "Bristol".into(),
        relationship: "Lives with the suspect".into(),
        source: ChildSource::Household,
    }
}

fn referred() -> Fact {
    Fact::SafeguardingReferred {
        child: 1,
        authority: "bristol".into(),
        authority_name: "Bristol".into(),
        method: ShareMethod::SecureEmail,
        shared: "Household details and the referral's account of the contact.".into(),
        consent: Consent::NotSought,
        consent_reason: Some(
            "Seeking it would alert the suspect, who lives with the child.".into(),
        ),
    }
}

async fn a_child_is_referred_decided_and_counted_as_known_at_each_time(db: Db) {
    let w = world(db).await;
    let case = open(&w).await;
    let (safeguarding, _) = staff(&w.app, w.force, "mash.a", Role::SafeguardingOfficer).await;
    // Sunday 1 March 2026: identified on a day that is not a working day, so due on Monday.
    w.clock.set(ts("2026-03-01T16:00:00Z"));
    w.app
        .record_event(
            &safeguarding,
            case,
            event(child(), ts("2026-03-01T16:00:00Z")),
            Why::default(),
        )
        .await
        .unwrap();
    // Safeguarding staff record safeguarding, not the investigation.
    let warrant = w
        .app
        .record_event(
            &safeguarding,
            case,
            event(Fact::ResearchStarted, ts("2026-03-01T16:00:00Z")),
            Why::default(),
        )
        .await;
    assert!(matches!(warrant, Err(AppError::Denied(Denial::Role))));
    let view = w
        .app
        .case_view(&safeguarding, case, Why::default())
        .await
        .unwrap();
    assert!(view.may.safeguard && !view.may.record);
    let first = &view.safeguarding.children[0];
    assert_eq!(
        first.referral_deadline.due,
        Some(jiff::civil::date(2026, 3, 2))
    );
    assert_eq!(first.referral_deadline.clock, Some(DayClock::Waiting));
    assert_eq!(view.safeguarding.next_child, 2);
    // Tuesday: the referral is a day late; the authority decides on Wednesday, within its working day.
    w.clock.set(ts("2026-03-03T09:00:00Z"));
    let overdue = w
        .app
        .case_view(&safeguarding, case, Why::default())
        .await
        .unwrap();
    assert_eq!(
        overdue.safeguarding.children[0].referral_deadline.clock,
        Some(DayClock::Overdue)
    );
    w.app
        .record_event(
            &safeguarding,
            case,
            event(referred(), ts("2026-03-03T09:00:00Z")),
            Why::default(),
        )
        .await
        .unwrap();
    w.clock.set(ts("2026-03-04T11:00:00Z"));
    let decided = w
        .app
        .record_event(
            &safeguarding,
            case,
            event(
                Fact::SafeguardingDecided {
                    child: 1,
                    decision: AuthorityDecision::StrategyDiscussion,
                },
                ts("2026-03-04T11:00:00Z"),
            ),
            Why::default(),
        )
        .await
        .unwrap();
    let period = || AuditPeriod::new(ts("2026-03-01T00:00:00Z"), ts("2026-04-01T00:00:00Z"));
    let audit = w
        .app
        .safeguarding_audit(&w.supervisor, period())
        .await
        .unwrap();
    assert_eq!(audit.identified.count, 1);
    assert_eq!(audit.identified.cases, vec![case]);
    assert_eq!(audit.referred.count, 1);
    assert_eq!(audit.referred_within_target.count, 0);
    assert_eq!(audit.median_working_days_to_refer, Some(2));
    assert_eq!(audit.referrals_sent.count, 1);
    assert_eq!(audit.decided_within_one_day.count, 1);
    assert_eq!(audit.consent_not_sought.count, 1);
    // As known on Tuesday morning, before the referral was recorded: one child overdue.
    let earlier = w
        .app
        .safeguarding_audit(
            &w.supervisor,
            AuditPeriod {
                known_at: Some(ts("2026-03-03T08:00:00Z")),
                ..period()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (earlier.referred.count, earlier.not_referred_overdue.count),
        (0, 1)
    );
    // Another force sees none of it.
    let theirs = w
        .app
        .safeguarding_audit(&w.other_force, period())
        .await
        .unwrap();
    assert_eq!(theirs.identified.count, 0);
    // The safeguarding officer withdraws their own entry, and no one else's kind of entry.
    let withdraw = |id: EventId| NewEvent {
        fact: Fact::Withdrawn,
        occurred_at: ts("2026-03-04T11:30:00Z"),
        supersedes: Some(id),
        rationale: Some("Entered on the wrong case.".into()),
        correction: true,
    };
    let research = w
        .app
        .record_event(
            &w.investigator,
            case,
            event(Fact::ResearchStarted, ts("2026-03-04T11:00:00Z")),
            Why::default(),
        )
        .await
        .unwrap();
    w.clock.set(ts("2026-03-04T11:30:00Z"));
    assert!(matches!(
        w.app
            .record_event(&safeguarding, case, withdraw(research), Why::default())
            .await,
        Err(AppError::Denied(Denial::Role))
    ));
    w.app
        .record_event(&safeguarding, case, withdraw(decided), Why::default())
        .await
        .unwrap();
    let after = w
        .app
        .safeguarding_audit(&w.supervisor, period())
        .await
        .unwrap();
    assert_eq!(after.awaiting_decision.count, 1);
}

async fn overdue_safeguarding_work_gives_the_officer_a_notice(db: Db) {
    let w = world(db).await;
    let expert = trained_investigator(&w).await;
    let case = open(&w).await;
    w.app
        .allocate(&w.supervisor, case, (expert, None), None, Why::default())
        .await
        .unwrap();
    w.clock.set(ts("2026-03-02T10:00:00Z"));
    w.app
        .record_event(
            &w.investigator,
            case,
            event(child(), ts("2026-03-02T10:00:00Z")),
            Why::default(),
        )
        .await
        .unwrap();
    let link = "https://severn.example/cases/";
    let before = w.app.give_notices(&operator(), None, link).await.unwrap();
    assert_eq!(before.given, 0, "the referral is due by the end of today");
    w.clock.set(ts("2026-03-03T09:00:00Z"));
    let round = w.app.give_notices(&operator(), None, link).await.unwrap();
    assert_eq!(
        round.given, 2,
        "one each to the officer and the supervisor who allocated"
    );
    let officer = w.app.staff_by_id(expert).await.unwrap().unwrap().actor();
    let notices = w.app.my_notices(&officer, 10).await.unwrap();
    assert!(
        notices
            .iter()
            .any(|n| n.text == format!(
                "Case {case} has safeguarding work overdue: a referral, a decision or a joint plan's action \
                 was due by the end of 2026-03-02."
            )),
        "{notices:?}"
    );
    // Once the referral is sent, the decision is due by the end of the next working day: nothing overdue.
    w.app
        .record_event(
            &w.investigator,
            case,
            event(referred(), ts("2026-03-03T09:00:00Z")),
            Why::default(),
        )
        .await
        .unwrap();
    let quiet = w.app.give_notices(&operator(), None, link).await.unwrap();
    assert_eq!(quiet.given, 0);
}

fn child_in(area: &str, authority: &str) -> Fact {
    match child() {
        Fact::ChildIdentified {
            child,
            name,
            age,
            age_band,
            relationship,
            source,
            ..
        } => Fact::ChildIdentified {
            child,
            name,
            age,
            age_band,
            area: area.into(),
            authority: authority.into(),
            authority_name: String::new(),
            relationship,
            source,
        },
        _ => unreachable!(),
    }
}

async fn the_area_finds_the_authority_and_support_gaps_are_counted(db: Db) {
    let w = world(db).await;
    let case = open(&w).await;
    let when = ts("2026-03-02T10:00:00Z");
    w.clock.set(when);
    let record = |fact: Fact| {
        w.app
            .record_event(&w.investigator, case, event(fact, when), Why::default())
    };
    // BS16 lies in Bristol and in South Gloucestershire: the officer must choose.
    let boundary = record(child_in("BS16 1QY", "")).await;
    match boundary {
        Err(AppError::Invalid(message)) => assert!(
            message.contains("boundary of Bristol and South Gloucestershire"),
            "{message}"
        ),
        other => panic!("a boundary district was accepted: {other:?}"),
    }
    let unknown = record(child_in("BS16", "nowhere-shire")).await;
    assert!(matches!(unknown, Err(AppError::Invalid(m)) if m.contains("not a local authority")));
    record(child_in("BS16 1QY", "south-gloucestershire"))
        .await
        .unwrap();
    let view = w
        .app
        .case_view(&w.investigator, case, Why::default())
        .await
        .unwrap();
    assert_eq!(
        view.safeguarding.children[0].authority_name,
        "South Gloucestershire"
    );
    // A service of the directory that works in Bristol only, with one place.
    let pcc = w
        .app
        .create_org(
            &operator(),
            "pcc-a",
            "Office of the PCC",
            OrgKind::PccOffice,
        )
        .await
        .unwrap();
    let pcc_staff = w
        .app
        .create_staff(
            &operator(),
            &StaffSpec {
                org: pcc,
                team: None,
                username: "pcc.a".into(),
                display_name: "PCC analyst".into(),
                kind: StaffKind::Person,
                roles: vec![Role::PccOffice],
            },
        )
        .await
        .unwrap();
    let pcc_person = w.app.staff_by_id(pcc_staff).await.unwrap().unwrap().actor();
    let service = w
        .app
        .add_support_service(
            &pcc_person,
            None,
            NewSupportService {
                name: "Example Young Victims Service".into(),
                kind: ServiceKind::YoungVictims,
                serves: [Serves::ChildrenAndYoungPeople].into(),
                min_age: Some(5),
                max_age: Some(18),
                areas: Areas::Listed(["bristol".to_owned()].into()),
                needs: Default::default(),
                capacity: Some(1),
                phone: Some("07700 900123".into()),
                email: None,
                web: None,
                commissioner: "Office of the PCC".into(),
                contract_ends: Some(jiff::civil::date(2026, 6, 30)),
                active: true,
            },
        )
        .await
        .unwrap();
    let refused = record(Fact::SupportOffered {
        support: 1,
        child: 1,
        service: 9999,
        service_name: String::new(),
        need: "online abuse".into(),
    })
    .await;
    assert!(matches!(refused, Err(AppError::Invalid(m)) if m.contains("no support service 9999")));
    let period = || AuditPeriod::new(ts("2026-03-01T00:00:00Z"), ts("2026-04-01T00:00:00Z"));
    let before = w.app.support_gaps(&w.supervisor, period()).await.unwrap();
    assert_eq!((before.children, before.supported), (1, 0));
    assert_eq!(before.not_supported[0].need, "No support offered");
    assert_eq!(before.not_supported[0].cases, vec![case]);
    // No open service works in South Gloucestershire.
    assert_eq!(
        before.no_service_could_serve[0].authority,
        "South Gloucestershire"
    );
    assert_eq!(
        before.contracts_ending[0].name,
        "Example Young Victims Service"
    );
    record(Fact::SupportOffered {
        support: 1,
        child: 1,
        service: service.0,
        service_name: String::new(),
        need: "online abuse".into(),
    })
    .await
    .unwrap();
    for step in [SupportStep::FamilyAccepted, SupportStep::ServiceAccepted] {
        record(Fact::SupportUpdated {
            support: 1,
            step,
            reason: None,
            outcome: None,
        })
        .await
        .unwrap();
    }
    let view = w
        .app
        .case_view(&w.investigator, case, Why::default())
        .await
        .unwrap();
    assert_eq!(
        view.safeguarding.support[0].service_name,
        "Example Young Victims Service"
    );
    let after = w.app.support_gaps(&w.supervisor, period()).await.unwrap();
    assert_eq!((after.children, after.supported), (1, 1));
    assert!(after.not_supported.is_empty());
    assert_eq!(after.at_capacity[0].in_use, 1);
    // The PCC's office sees the same figures without the cases.
    let figures = w.app.support_gaps(&pcc_person, period()).await.unwrap();
    assert_eq!((figures.children, figures.supported), (1, 1));
    let other = w.app.support_gaps(&w.other_force, period()).await.unwrap();
    assert_eq!(other.children, 0);
}
