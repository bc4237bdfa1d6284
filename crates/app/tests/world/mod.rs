//! The world the case scenarios run in (shared by the test files that use it): two forces, an investigator
//! and a supervisor of the first, an investigator of the second, and one subject from one referral.

#![allow(dead_code)] // Each test file uses the part of the world it needs.

use serde_json::{Value, json};
use severn_app::App;
use severn_app::allocating::Profile;
use severn_app::gate::Why;
use severn_app::ingest::Ingester;
use severn_app::staff::StaffSpec;
use severn_domain::access::{Actor, OrgKind, Role, StaffKind};
use severn_domain::allocation::WorkingDays;
use severn_domain::audit::AuditKey;
use severn_domain::case::{Fact, NewEvent};
use severn_domain::clock::FixedClock;
use severn_domain::ids::{CaseId, OrgId, StaffId, SubjectId};
use severn_ingest::{DocContext, Item, parse_document};
use severn_store::Db;
use std::sync::Arc;

pub const NOW: &str = "2026-03-01T09:00:00Z";

pub fn operator() -> Actor {
    Actor::Operator {
        name: "tester".into(),
    }
}

pub struct World {
    pub app: App,
    pub clock: Arc<FixedClock>,
    pub force: OrgId,
    pub investigator: Actor,
    pub investigator_id: StaffId,
    pub supervisor: Actor,
    pub other_force: Actor,
    pub subject: SubjectId,
}

pub async fn staff(app: &App, org: OrgId, username: &str, role: Role) -> (Actor, StaffId) {
    let id = app
        .create_staff(
            &operator(),
            &StaffSpec {
                org,
                team: None,
                username: username.into(),
                display_name: format!("Name of {username}"),
                kind: StaffKind::Person,
                roles: vec![role],
            },
        )
        .await
        .unwrap();
    (app.staff_by_id(id).await.unwrap().unwrap().actor(), id)
}

pub fn le_doc(id: u64, email: &str) -> Value {
    json!({
        "reportId": id.to_string(),
        "dateReceived": "2026-02-28T08:00:00Z",
        "reportedInformation": {
            "reportingEsp": { "espName": "Example Ltd" },
            "incidentSummary": {
                "incidentType": "Child Pornography (possession, manufacture, and distribution)",
                "incidentDateTime": "2026-02-27T14:30:00Z"
            },
            "reportedPeople": { "reportedPersons": [
                { "espService": "Example", "espUserId": format!("u{id}"), "emails": [{ "value": email }] }
            ] }
        }
    })
}

pub async fn world(db: Db) -> World {
    let clock = Arc::new(FixedClock::new(NOW.parse().unwrap()));
    let app = App::new(db, clock.clone(), AuditKey::new([5; 32]));
    let op = operator();
    let force_a = app
        .create_org(&op, "force-a", "Force A Constabulary", OrgKind::Force)
        .await
        .unwrap();
    let force_b = app
        .create_org(&op, "force-b", "Force B Police", OrgKind::Force)
        .await
        .unwrap();
    let (investigator, investigator_id) = staff(&app, force_a, "inv.a", Role::Investigator).await;
    let (supervisor, _) = staff(&app, force_a, "sup.a", Role::Supervisor).await;
    let (other_force, _) = staff(&app, force_b, "inv.b", Role::Investigator).await;
    let mut ingester = Ingester::new(&app, &op, Some("force-a")).await.unwrap();
    let bytes = serde_json::to_vec(&le_doc(1001, "suspect@example.com")).unwrap();
    let parsed = parse_document(&bytes, "in/report.json", &DocContext::default()).unwrap();
    ingester
        .push(Item::Parsed {
            path: "in/report.json".into(),
            parsed,
        })
        .await
        .unwrap();
    ingester.finish().await.unwrap();
    // The referral arrived at NOW; the work happens in the hours after.
    clock.set(at(0));
    let subject = app
        .referral(&op, "1001", Why::default())
        .await
        .unwrap()
        .subject
        .subject;
    World {
        app,
        clock,
        force: force_a,
        investigator,
        investigator_id,
        supervisor,
        other_force,
        subject,
    }
}

/// `offset_hours` from six hours after the referral arrived.
pub fn at(offset_hours: i64) -> jiff::Timestamp {
    NOW.parse::<jiff::Timestamp>()
        .unwrap()
        .checked_add(jiff::SignedDuration::from_hours(6 + offset_hours))
        .unwrap()
}

pub fn event(fact: Fact, occurred_at: jiff::Timestamp) -> NewEvent {
    NewEvent {
        fact,
        occurred_at,
        supersedes: None,
        rationale: None,
        correction: false,
    }
}

pub fn applied() -> Fact {
    Fact::WarrantApplied {
        warrant: 1,
        warrant_type: "pca1978_s4".into(),
        court: "Severn Magistrates' Court".into(),
        remote: true,
    }
}

pub async fn open(w: &World) -> CaseId {
    w.app.open_case(&w.investigator, w.subject).await.unwrap()
}

pub async fn trained_investigator(w: &World) -> StaffId {
    let (_, id) = staff(&w.app, w.force, "expert.a", Role::Investigator).await;
    let csv = "username,skill,achieved_on,expires_on,evidence\n\
               expert.a,pip1,2024-01-10,,Cert 1\n\
               expert.a,pip2,2024-02-10,,Cert 2\n\
               expert.a,scaidp,2024-03-10,,Cert 3\n\
               expert.a,image_grading,2025-06-01,,Cert 4\n\
               expert.a,device_triage,2025-06-01,,Cert 5\n\
               inv.a,pip1,2020-01-01,2021-01-01,Lapsed cert\n";
    assert_eq!(
        w.app
            .import_training(&operator(), Some(w.force), csv)
            .await
            .unwrap(),
        6
    );
    for (person, capacity) in [(id, 6), (w.investigator_id, 6)] {
        w.app
            .set_profile(
                &operator(),
                person,
                &Profile {
                    post: "investigator".into(),
                    capacity,
                    working_days: WorkingDays::EVERY_DAY,
                    email: Some("expert.a@severnshire-police.example".into())
                        .filter(|_| person == id),
                },
            )
            .await
            .unwrap();
    }
    id
}
