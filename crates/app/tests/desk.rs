//! The investigator's desk: the suspect profile and the band's reasons on a case, and a supervisor's review
//! of the band (override before a case, sign-off of an assessment), on SQLite and PostgreSQL.

use serde_json::{Value, json};
use severn_app::gate::Why;
use severn_app::ingest::Ingester;
use severn_app::staff::StaffSpec;
use severn_app::{App, AppError};
use severn_domain::access::{Actor, OrgKind, Role, StaffKind};
use severn_domain::audit::AuditKey;
use severn_domain::clock::FixedClock;
use severn_domain::ids::{OrgId, SubjectId};
use severn_domain::risk::Band;
use severn_ingest::{DocContext, Item, parse_document};
use severn_store::Db;
use std::collections::BTreeMap;
use std::sync::Arc;

severn_store::backend_matrix!(
    the_case_shows_the_suspect_the_children_and_why_the_band,
    a_supervisor_signs_off_an_assessment_made_by_someone_else_once,
    the_band_is_overridden_before_a_case_and_changed_on_the_case_after,
);

const NOW: &str = "2026-03-01T09:00:00Z";

fn operator() -> Actor {
    Actor::Operator {
        name: "tester".into(),
    }
}

async fn staff(app: &App, org: OrgId, username: &str, role: Role) -> Actor {
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
    app.staff_by_id(id).await.unwrap().unwrap().actor()
}

/// An enticement report with log-ins, a file and a child; the second referral repeats the e-mail address and
/// names the same child by the same account.
fn le_doc(id: u64) -> Value {
    json!({
        "reportId": id.to_string(),
        "dateReceived": "2026-02-28T08:00:00Z",
        "reportedInformation": {
            "reportingEsp": { "espName": "Example Ltd" },
            "incidentSummary": {
                "incidentType": "Online Enticement of Children for Sexual Acts",
                "incidentDateTime": "2026-02-27T14:30:00Z"
            },
            "reportedPeople": { "reportedPersons": [{
                "firstName": "Alex", "lastName": "Marsh",
                "espService": "Example", "espUserId": format!("u{id}"),
                "emails": [{ "value": "suspect@example.com" }],
                "accessToChildren": true,
                "sourceInformation": { "sourceCaptures": [
                    { "value": format!("192.0.2.{id}"), "dateTime": "2026-02-26T21:15:00Z", "eventName": "Login", "port": "443" }
                ] }
            }] },
            "victims": { "victims": [{
                "firstName": "Pat", "approximateAge": "13",
                "espService": "Example", "screenName": "pat_09"
            }] },
            "uploadedFiles": { "uploadedFiles": [{
                "filename": format!("{id}.jpg"), "md5": "0123456789abcdef0123456789abcdef",
                "industryClassification": "B1"
            }] }
        }
    })
}

struct World {
    app: App,
    investigator: Actor,
    supervisor: Actor,
    second_supervisor: Actor,
    subject: SubjectId,
}

async fn world(db: Db) -> World {
    let clock = Arc::new(FixedClock::new(NOW.parse().unwrap()));
    let app = App::new(db, clock.clone(), AuditKey::new([7; 32]));
    let op = operator();
    let force = app
        .create_org(&op, "force-a", "Force A Constabulary", OrgKind::Force)
        .await
        .unwrap();
    let investigator = staff(&app, force, "inv.a", Role::Investigator).await;
    let supervisor = staff(&app, force, "sup.a", Role::Supervisor).await;
    let second_supervisor = staff(&app, force, "sup.b", Role::Supervisor).await;
    let mut ingester = Ingester::new(&app, &op, Some("force-a")).await.unwrap();
    for id in [21, 22] {
        let bytes = serde_json::to_vec(&le_doc(id)).unwrap();
        let path = format!("in/{id}.json");
        let parsed = parse_document(&bytes, &path, &DocContext::default()).unwrap();
        ingester.push(Item::Parsed { path, parsed }).await.unwrap();
    }
    ingester.finish().await.unwrap();
    clock.set("2026-03-01T12:00:00Z".parse().unwrap());
    let subject = app
        .referral(&op, "21", Why::default())
        .await
        .unwrap()
        .subject
        .subject;
    World {
        app,
        investigator,
        supervisor,
        second_supervisor,
        subject,
    }
}

async fn the_case_shows_the_suspect_the_children_and_why_the_band(db: Db) {
    let w = world(db).await;
    let case = w.app.open_case(&w.investigator, w.subject).await.unwrap();
    let view = w
        .app
        .case_view(&w.investigator, case, Why::default())
        .await
        .unwrap();
    let p = &view.profile;
    assert_eq!(p.referrals, 2, "both referrals are one subject");
    assert_eq!(p.names[0].value, "Alex Marsh");
    assert_eq!(p.names[0].referrals, ["ncmec:21", "ncmec:22"]);
    let emails = p
        .identifiers
        .iter()
        .find(|g| g.label == "E-mail addresses")
        .expect("e-mail addresses");
    assert_eq!(emails.values.len(), 1);
    assert_eq!(emails.values[0].referrals, ["ncmec:21", "ncmec:22"]);
    let logins: Vec<&str> = p.ip_logins.iter().map(|l| l.ip.as_str()).collect();
    assert_eq!(logins, ["192.0.2.21", "192.0.2.22"]);
    assert_eq!(p.ip_logins[0].port, Some(443));
    assert_eq!((p.files.files, p.files.distinct_hashes), (2, 1));
    assert_eq!(p.children.len(), 1, "the same child in both referrals");
    assert_eq!(p.children[0].referrals, ["ncmec:21", "ncmec:22"]);
    assert_eq!(p.warnings[0].value, "Reported as having access to children");
    assert_eq!(view.referrals.len(), 2);
    assert_eq!(view.referrals[0].source, "NCMEC CyberTipline");
    let band = &view.band_reasons;
    assert_eq!(
        band.band, view.band,
        "the case starts with the subject's band"
    );
    assert!(band.assessment.is_none(), "provisional until assessed");
    assert!(!band.set_by.is_empty());
    assert!(band.signals.iter().any(|c| c.points > 0));
    assert!(
        !view.may.review,
        "an investigator neither signs off nor overrides"
    );
    let supervised = w
        .app
        .case_view(&w.supervisor, case, Why::default())
        .await
        .unwrap();
    assert!(supervised.may.review);
}

async fn a_supervisor_signs_off_an_assessment_made_by_someone_else_once(db: Db) {
    let w = world(db).await;
    let none = w
        .app
        .sign_off_assessment(w.subject, "", &w.supervisor)
        .await;
    assert!(
        matches!(&none, Err(AppError::Invalid(m)) if m.contains("no assessment to sign off")),
        "{none:?}"
    );
    let assessed = w
        .app
        .assess(w.subject, BTreeMap::new(), &w.supervisor)
        .await
        .unwrap();
    let own = w
        .app
        .sign_off_assessment(w.subject, "", &w.supervisor)
        .await;
    assert!(
        matches!(&own, Err(AppError::Invalid(m)) if m.contains("another supervisor")),
        "{own:?}"
    );
    let refused = w
        .app
        .sign_off_assessment(w.subject, "", &w.investigator)
        .await;
    assert!(matches!(refused, Err(AppError::Denied(_))), "{refused:?}");
    let signed = w
        .app
        .sign_off_assessment(
            w.subject,
            "Agreed: access to children.",
            &w.second_supervisor,
        )
        .await
        .unwrap();
    assert_eq!(signed, assessed.id);
    let again = w
        .app
        .sign_off_assessment(w.subject, "", &w.second_supervisor)
        .await;
    assert!(
        matches!(&again, Err(AppError::Invalid(m)) if m.contains("already signed off")),
        "{again:?}"
    );
    let case = w.app.open_case(&w.investigator, w.subject).await.unwrap();
    let view = w
        .app
        .case_view(&w.investigator, case, Why::default())
        .await
        .unwrap();
    let signed_off = view.band_reasons.signed_off.expect("signed off");
    assert_eq!(signed_off.by, "sup.b");
    assert_eq!(signed_off.comment, "Agreed: access to children.");
    assert_eq!(view.band_reasons.assessed_by.as_deref(), Some("sup.a"));
    assert!(!view.band_reasons.made_by_you);
    let own = w
        .app
        .case_view(&w.supervisor, case, Why::default())
        .await
        .unwrap();
    assert!(own.band_reasons.made_by_you, "sup.a made it");
}

async fn the_band_is_overridden_before_a_case_and_changed_on_the_case_after(db: Db) {
    let w = world(db).await;
    w.app
        .override_band(
            w.subject,
            Band::VeryHigh,
            "Child at immediate risk.",
            &w.supervisor,
        )
        .await
        .unwrap();
    let case = w.app.open_case(&w.investigator, w.subject).await.unwrap();
    let view = w
        .app
        .case_view(&w.investigator, case, Why::default())
        .await
        .unwrap();
    assert_eq!(view.band, Band::VeryHigh);
    let overridden = view.band_reasons.overridden.expect("overridden");
    assert_eq!(
        (overridden.band, overridden.by.as_str()),
        (Band::VeryHigh, "sup.a")
    );
    let after = w
        .app
        .override_band(w.subject, Band::Low, "No longer.", &w.supervisor)
        .await;
    assert!(
        matches!(&after, Err(AppError::Invalid(m)) if m.contains(&format!("case {case}"))),
        "{after:?}"
    );
}
