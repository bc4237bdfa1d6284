//! Free text people type is bounded where it enters: past its limit it is refused with a message naming the
//! field and the limit, before anything reaches the append-only log. On SQLite and PostgreSQL.

use serde_json::{Value, json};
use severn_app::gate::Why;
use severn_app::ingest::Ingester;
use severn_app::staff::StaffSpec;
use severn_app::{App, AppError};
use severn_domain::access::{Actor, OrgKind, Role, StaffKind};
use severn_domain::audit::AuditKey;
use severn_domain::clock::FixedClock;
use severn_domain::identity::TokenLifetime;
use severn_domain::ids::{OrgId, SubjectId};
use severn_domain::risk::Band;
use severn_ingest::{DocContext, Item, parse_document};
use severn_store::Db;
use std::sync::Arc;

severn_store::backend_matrix!(
    a_megabyte_of_free_text_is_refused_clearly_and_nothing_is_written,
    names_and_labels_are_bounded_and_one_line,
);

fn operator() -> Actor {
    Actor::Operator {
        name: "tester".into(),
    }
}

fn app_on(db: Db) -> App {
    App::new(
        db,
        Arc::new(FixedClock::new("2026-03-01T09:00:00Z".parse().unwrap())),
        AuditKey::new([5; 32]),
    )
}

fn spec(org: OrgId, username: &str, display_name: &str, roles: Vec<Role>) -> StaffSpec {
    StaffSpec {
        org,
        team: None,
        username: username.into(),
        display_name: display_name.into(),
        kind: if roles.is_empty() {
            StaffKind::Service
        } else {
            StaffKind::Person
        },
        roles,
    }
}

async fn person(app: &App, org: OrgId, username: &str, role: Role) -> Actor {
    let id = app
        .create_staff(&operator(), &spec(org, username, username, vec![role]))
        .await
        .unwrap();
    app.staff_by_id(id).await.unwrap().unwrap().actor()
}

fn le_doc(id: u64, email: &str) -> Value {
    json!({
        "reportId": id.to_string(),
        "dateReceived": "2026-02-20T08:00:00Z",
        "reportedInformation": {
            "reportingEsp": { "espName": "Example Ltd" },
            "incidentSummary": {
                "incidentType": "Child Pornography (possession, manufacture, and distribution)",
                "incidentDateTime": "2026-02-15T14:30:00Z"
            },
            "reportedPeople": { "reportedPersons": [
                { "espService": "Example", "espUserId": format!("u{id}"), "emails": [{ "value": email }] }
            ] }
        }
    })
}

async fn ingest_for(app: &App, force: &str, docs: &[Value]) {
    let mut ingester = Ingester::new(app, &operator(), Some(force)).await.unwrap();
    for doc in docs {
        let bytes = serde_json::to_vec(doc).unwrap();
        let parsed = parse_document(&bytes, "in/report.json", &DocContext::default()).unwrap();
        ingester
            .push(Item::Parsed {
                path: "in/report.json".into(),
                parsed,
            })
            .await
            .unwrap();
    }
    ingester.finish().await.unwrap();
}

async fn subject_of(app: &App, reference: &str) -> SubjectId {
    app.referral(&operator(), reference, Why::default())
        .await
        .unwrap()
        .subject
        .subject
}

async fn log_length(db: &Db) -> usize {
    severn_store::testing::audit_log(db).await.len()
}

/// The message of an `Invalid` refusal; anything else fails the test.
fn refusal<T: std::fmt::Debug>(result: Result<T, AppError>) -> String {
    match result {
        Err(AppError::Invalid(message)) => message,
        other => panic!("expected a refusal of the text, got {other:?}"),
    }
}

async fn a_megabyte_of_free_text_is_refused_clearly_and_nothing_is_written(db: Db) {
    let app = app_on(db.clone());
    let op = operator();
    let force_a = app
        .create_org(&op, "force-a", "Force A Constabulary", OrgKind::Force)
        .await
        .unwrap();
    let force_b = app
        .create_org(&op, "force-b", "Force B Police", OrgKind::Force)
        .await
        .unwrap();
    let supervisor = person(&app, force_a, "sup.a", Role::Supervisor).await;
    person(&app, force_b, "inv.b", Role::Investigator).await;
    ingest_for(
        &app,
        "force-a",
        &[le_doc(1001, "a@example.com"), le_doc(1002, "b@example.org")],
    )
    .await;
    let one = subject_of(&app, "1001").await;
    let two = subject_of(&app, "1002").await;
    let megabyte = "x".repeat(1 << 20);
    let before = log_length(&db).await;

    assert_eq!(
        refusal(app.share_case(&supervisor, one, "inv.b", &megabyte).await),
        "The justification may be at most 2,000 characters long; this one has 1,048,576. Shorten it."
    );
    assert_eq!(
        refusal(
            app.restrict_case(&supervisor, one, Some(&["sup.a".to_owned()]), &megabyte)
                .await
        ),
        "The justification may be at most 2,000 characters long; this one has 1,048,576. Shorten it."
    );
    assert_eq!(
        refusal(app.merge_subjects(one, two, &megabyte, &supervisor).await),
        "The rationale may be at most 2,000 characters long; this one has 1,048,576. Shorten it."
    );
    assert_eq!(
        refusal(
            app.split_subject(one, &["ncmec:1001".to_owned()], &megabyte, &supervisor)
                .await
        ),
        "The rationale may be at most 2,000 characters long; this one has 1,048,576. Shorten it."
    );
    assert_eq!(
        refusal(
            app.override_band(one, Band::High, &megabyte, &supervisor)
                .await
        ),
        "The rationale may be at most 2,000 characters long; this one has 1,048,576. Shorten it."
    );
    let why = Why {
        recipients: Some("r".repeat(501)),
        ..Why::because("Disclosure to the CPS")
    };
    let mut out = Vec::new();
    assert_eq!(
        refusal(app.export_subjects(&supervisor, why, &mut out).await),
        "The recipients may be at most 500 characters long; this one has 501. Shorten it."
    );
    assert!(out.is_empty(), "nothing exported");
    assert_eq!(log_length(&db).await, before, "nothing reached the log");

    // Nothing else changed either: still two subjects, unshared, unrestricted, with no override.
    let detail = app
        .subject_detail(&supervisor, one, Why::default())
        .await
        .unwrap();
    assert!(detail.sharing.shared_with.is_empty());
    assert!(detail.sharing.restricted_to.is_none());
    assert_ne!(one, two);
    assert_eq!(subject_of(&app, "1002").await, two);

    // At the limit the text is taken.
    let at_limit = "y".repeat(2_000);
    app.merge_subjects(one, two, &at_limit, &supervisor)
        .await
        .unwrap();
}

async fn names_and_labels_are_bounded_and_one_line(db: Db) {
    let app = app_on(db.clone());
    let op = operator();
    assert_eq!(
        refusal(
            app.create_org(&op, "long", &"N".repeat(201), OrgKind::Force)
                .await
        ),
        "The organisation or team name may be at most 200 characters long; this one has 201. Shorten it."
    );
    let force = app
        .create_org(&op, "force-a", "Force A Constabulary", OrgKind::Force)
        .await
        .unwrap();
    assert_eq!(
        refusal(
            app.create_staff(
                &op,
                &spec(force, "ann", "Ann \u{202e}nosmaS", vec![Role::Investigator])
            )
            .await
        ),
        "The name must be one line of text without control characters or text-direction marks (it holds \
         \\u{202e})."
    );
    let service = app
        .create_staff(&op, &spec(force, "uploader", "Uploader", vec![]))
        .await
        .unwrap();
    assert_eq!(
        refusal(
            app.issue_staff_token(&op, service, &"l".repeat(101), TokenLifetime::default())
                .await
        ),
        "The token label may be at most 100 characters long; this one has 101. Shorten it."
    );
    assert!(
        refusal(
            app.issue_staff_token(&op, service, "nightly\nupload", TokenLifetime::default())
                .await
        )
        .starts_with("The token label must be one line")
    );
    app.issue_staff_token(&op, service, "nightly upload", TokenLifetime::default())
        .await
        .unwrap();
}
