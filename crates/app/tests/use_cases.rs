//! Use cases end to end, each on SQLite and on PostgreSQL (`sqlite::NAME`, `postgres::NAME`): ingest with
//! duplicates, versions and rejects; linking; investigator decisions; assessment; the queue; exports.
//!
//! Documents are small hand-built LE JSON and CyberTip XML with synthetic values only: RFC 2606 domains,
//! RFC 5737 addresses and Ofcom drama numbers (07700 900xxx). PostgreSQL comes from `SEVERN_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`); the PostgreSQL tests fail when it is unreachable.

use serde_json::{Value, json};
use severn_app::gate::Why;
use severn_app::ingest::{IngestSummary, Ingester};
use severn_app::{App, AppError};
use severn_domain::access::Actor;
use severn_domain::audit::AuditKey;
use severn_domain::clock::FixedClock;
use severn_domain::ids::SubjectId;
use severn_domain::linking::LinkPolicy;
use severn_domain::report::IdentifierKind;
use severn_domain::risk::{Answer, Answers, Band, ILLUSTRATIVE_TOOL_V2, Outcome, SourceKind};
use severn_domain::subject::DecisionKind;
use severn_ingest::{DocContext, Item, parse_document};
use severn_store::{Backend, Db};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::sync::Arc;

severn_store::backend_matrix!(
    same_document_twice_is_a_duplicate_and_a_change_is_a_new_version,
    resent_copies_wait_for_the_next_batch_which_stays_full,
    two_ingests_at_once_store_each_identifier_once,
    rejection_is_stored_listed_and_resolved_by_retry,
    shared_email_links_but_shared_ip_or_user_id_elsewhere_does_not,
    value_shared_by_many_accounts_stops_linking,
    merge_needs_a_rationale_and_survives_later_ingest,
    split_moves_referrals_and_later_reports_do_not_remerge,
    assessment_override_and_rescore_keep_history,
    queue_orders_by_due_time_overdue_first,
    export_writes_every_live_subject_as_json,
    referral_view_explains_its_band,
);

const START: &str = "2026-02-01T00:00:00Z";
const CHILD_ABUSE_IMAGES: &str = "Child Pornography (possession, manufacture, and distribution)";
const ENTICEMENT: &str = "Online Enticement of Children for Sexual Acts";
const DAY: i64 = 24 * 3600;

// ---------------------------------------------------------------------------------------------------------
// Helpers

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(START.parse().unwrap()))
}

fn start() -> i64 {
    START.parse::<jiff::Timestamp>().unwrap().as_second()
}

fn app_on(db: Db, clock: &Arc<FixedClock>) -> App {
    App::new(db, clock.clone(), AuditKey::new([1; 32]))
}

/// Someone at the command line, as the audit log names them.
fn operator(name: &str) -> Actor {
    Actor::Operator { name: name.into() }
}

fn op() -> Actor {
    operator("tester")
}

/// A reported person on a service.
fn person(service: &str, user: &str) -> Value {
    json!({ "espService": service, "espUserId": user })
}

fn with(mut value: Value, key: &str, field: Value) -> Value {
    value[key] = field;
    value
}

fn emails(list: &[&str]) -> Value {
    json!({ "emails": list.iter().map(|e| json!({ "value": e })).collect::<Vec<_>>() })
}

fn ips(list: &[&str]) -> Value {
    json!({ "sourceCaptures": list.iter().map(|ip| json!({ "captureType": "IP Address", "value": ip }))
        .collect::<Vec<_>>() })
}

/// An LE JSON report about one reported person.
fn le_doc(id: u64, incident: &str, reported: Value) -> Value {
    json!({
        "reportId": id.to_string(),
        "dateReceived": "2026-01-20T08:00:00Z",
        "reportedInformation": {
            "reportingEsp": { "espName": "Example Ltd" },
            "incidentSummary": { "incidentType": incident, "incidentDateTime": "2026-01-15T14:30:00Z" },
            "reportedPeople": { "reportedPersons": [reported] }
        }
    })
}

fn item(path: &str, bytes: &[u8]) -> Item {
    match parse_document(bytes, path, &DocContext::default()) {
        Ok(parsed) => Item::Parsed {
            path: path.to_owned(),
            parsed,
        },
        Err(rejection) => Item::Rejected(rejection),
    }
}

/// Ingests documents (LE JSON values) in one run.
async fn ingest(app: &App, docs: &[Value]) -> IngestSummary {
    let mut ingester = Ingester::new(app, &op(), None).await.unwrap();
    for doc in docs {
        let bytes = serde_json::to_vec_pretty(doc).unwrap();
        ingester.push(item("in/report.json", &bytes)).await.unwrap();
    }
    ingester.finish().await.unwrap()
}

async fn ingest_items(app: &App, items: Vec<Item>) -> IngestSummary {
    let mut ingester = Ingester::new(app, &op(), None).await.unwrap();
    for item in items {
        ingester.push(item).await.unwrap();
    }
    ingester.finish().await.unwrap()
}

async fn subject_of(app: &App, report_id: u64) -> SubjectId {
    app.referral(&op(), &report_id.to_string(), Why::default())
        .await
        .unwrap()
        .subject
        .subject
}

async fn counts(app: &App) -> severn_store::Counts {
    app.counts(&op()).await.unwrap()
}

fn summary(ingested: u64, duplicates: u64, new_versions: u64, rejected: u64) -> IngestSummary {
    IngestSummary {
        ingested,
        duplicates,
        new_versions,
        rejected,
        file_details: 0,
    }
}

async fn export(app: &App) -> (u64, Value) {
    let mut out = Vec::new();
    let written = app
        .export_subjects(&op(), Why::because("test"), &mut out)
        .await
        .unwrap();
    let value: Value = serde_json::from_slice(&out).unwrap_or_else(|e| {
        panic!(
            "export is not JSON ({e}): {}",
            String::from_utf8_lossy(&out)
        )
    });
    (written, value)
}

// ---------------------------------------------------------------------------------------------------------
// Scenarios

async fn same_document_twice_is_a_duplicate_and_a_change_is_a_new_version(db: Db) {
    let clock = clock();
    let app = app_on(db, &clock);
    let original = le_doc(
        200_000_001,
        CHILD_ABUSE_IMAGES,
        with(
            person("ExampleChat", "user-000101"),
            "emails",
            emails(&["first.user@mail.example"]),
        ),
    );
    assert_eq!(
        ingest(&app, std::slice::from_ref(&original)).await,
        summary(1, 0, 0, 0)
    );
    assert_eq!(
        ingest(&app, std::slice::from_ref(&original)).await,
        summary(0, 1, 0, 0)
    );
    // Twice in one run: the second copy is still recognised.
    assert_eq!(
        ingest(&app, &[original.clone(), original.clone()]).await,
        summary(0, 2, 0, 0)
    );
    assert_eq!(counts(&app).await.referrals, 1);
    let first = app
        .referral(&op(), "200000001", Why::default())
        .await
        .unwrap();
    assert_eq!(first.version, 1);
    assert!(first.earlier_versions.is_empty());

    clock.advance(jiff::SignedDuration::from_hours(5));
    let mut changed = original.clone();
    changed["reportedInformation"]["incidentSummary"]["platform"] = json!("ExampleChat Web");
    assert_eq!(ingest(&app, &[changed]).await, summary(0, 0, 1, 0));
    let c = counts(&app).await;
    assert_eq!((c.referrals, c.subjects), (1, 1));

    let view = app
        .referral(&op(), "ncmec:200000001", Why::default())
        .await
        .unwrap();
    assert_eq!(view.version, 2);
    assert_eq!(view.platform.as_deref(), Some("ExampleChat Web"));
    assert_eq!(view.earlier_versions.len(), 1);
    assert_eq!(view.earlier_versions[0].version, 1);
    assert_eq!(
        view.earlier_versions[0].content_sha256,
        first.report.as_ref().unwrap().content_sha256,
        "the earlier version is the first document"
    );
    assert_eq!(view.earlier_versions[0].received_at, first.received_at);
    assert_eq!(
        view.clock_start_at, first.clock_start_at,
        "a new version does not restart the clock"
    );
    assert_eq!(view.subject.subject, first.subject.subject);
}

async fn resent_copies_wait_for_the_next_batch_which_stays_full(db: Db) {
    let clock = clock();
    let app = app_on(db.clone(), &clock);
    let doc = |id: u64, user: &str| le_doc(id, CHILD_ABUSE_IMAGES, person("ExampleChat", user));
    let (a, b, c, d) = (
        doc(200_000_011, "user-000111"),
        doc(200_000_012, "user-000112"),
        doc(200_000_013, "user-000113"),
        doc(200_000_014, "user-000114"),
    );
    let mut b_changed = b.clone();
    b_changed["reportedInformation"]["incidentSummary"]["platform"] = json!("ExampleChat Web");
    let mut ingester = Ingester::new(&app, &op(), None)
        .await
        .unwrap()
        .with_batch_size(4);
    for doc in [&a, &a, &b, &b_changed, &c, &d] {
        let bytes = serde_json::to_vec_pretty(doc).unwrap();
        ingester.push(item("in/report.json", &bytes)).await.unwrap();
    }
    assert_eq!(ingester.finish().await.unwrap(), summary(4, 1, 1, 0));

    // One collection entry per batch: the four reports, then the two copies, each seen after its first.
    let batches: Vec<String> = severn_store::testing::audit_log(&db)
        .await
        .into_iter()
        .filter(|e| e.target.starts_with("referrals:"))
        .map(|e| e.target)
        .collect();
    assert_eq!(
        batches,
        [
            "referrals:ncmec:200000011..ncmec:200000014",
            "referrals:ncmec:200000011..ncmec:200000012"
        ]
    );
    let view = app
        .referral(&op(), "200000012", Why::default())
        .await
        .unwrap();
    assert_eq!(view.version, 2);
    assert_eq!(view.platform.as_deref(), Some("ExampleChat Web"));
}

/// On SQLite nothing but ingest keeps an identifier's key unique per force (migration 0005): every batch looks
/// its keys up in the write transaction that inserts the new ones. Two ingests whose batches interleave, sharing
/// most identifiers, must still store each once.
async fn two_ingests_at_once_store_each_identifier_once(db: Db) {
    let clock = clock();
    let app = app_on(db.clone(), &clock);
    let doc = |id: u64, n: u64| {
        le_doc(
            id,
            CHILD_ABUSE_IMAGES,
            with(
                person("ExampleChat", &format!("user-{:06}", n % 7)),
                "emails",
                emails(&[&format!("shared{}@mail.example", n % 5)]),
            ),
        )
    };
    let run = |first: u64| {
        let app = &app;
        async move {
            let mut ingester = Ingester::new(app, &op(), None)
                .await
                .unwrap()
                .with_batch_size(3);
            for n in 0..30 {
                let bytes = serde_json::to_vec_pretty(&doc(first + n, n)).unwrap();
                ingester.push(item("in/report.json", &bytes)).await.unwrap();
            }
            ingester.finish().await.unwrap()
        }
    };
    let (one, other) = tokio::join!(run(300_000_000), run(300_001_000));
    assert_eq!((one.ingested, other.ingested), (30, 30));
    let sql =
        "SELECT COUNT(*) - COUNT(DISTINCT key || '/' || COALESCE(owner_org, 0)) FROM identifier";
    let twins = severn_store::testing::fetch_i64(&db, sql).await.unwrap();
    assert_eq!(twins, 0);
}

async fn rejection_is_stored_listed_and_resolved_by_retry(db: Db) {
    let clock = clock();
    let app = app_on(db, &clock);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("300000001.json");
    let mut bad = le_doc(
        300_000_001,
        CHILD_ABUSE_IMAGES,
        person("ExampleChat", "user-000301"),
    );
    bad["reportedInformation"]["incidentSummary"]["incidentType"] = json!("Not An Incident Type");
    std::fs::write(&path, serde_json::to_vec(&bad).unwrap()).unwrap();

    let items: Vec<Item> = severn_ingest::walk(&[dir.path().to_path_buf()]).collect();
    assert!(matches!(items.as_slice(), [Item::Rejected(_)]));
    assert_eq!(ingest_items(&app, items).await, summary(0, 0, 0, 1));

    let open = app.rejects(&op(), false).await.unwrap();
    assert_eq!(open.len(), 1);
    let reject = &open[0];
    assert_eq!(reject.path, path.display().to_string());
    assert_eq!(
        reject.field.as_deref(),
        Some("reportedInformation.incidentSummary.incidentType")
    );
    assert!(
        reject.reason.contains("Not An Incident Type"),
        "{}",
        reject.reason
    );
    assert_eq!(reject.rejected_at.as_second(), start());
    assert_eq!(reject.resolved_at, None);
    assert_eq!(counts(&app).await.open_rejects, 1);
    assert!(matches!(
        app.referral(&op(), "300000001", Why::default()).await,
        Err(AppError::NotFound(_))
    ));

    // Retrying before the file is corrected leaves the reject open.
    let again = app.retry_reject(&op(), reject.id).await.unwrap();
    assert_eq!(again.rejected, 1);
    assert!(
        app.rejects(&op(), false)
            .await
            .unwrap()
            .iter()
            .any(|r| r.id == reject.id),
        "still open"
    );

    // Corrected on disk: the retry ingests it and resolves the reject.
    clock.advance(jiff::SignedDuration::from_hours(2));
    let mut good = bad.clone();
    good["reportedInformation"]["incidentSummary"]["incidentType"] = json!(CHILD_ABUSE_IMAGES);
    std::fs::write(&path, serde_json::to_vec(&good).unwrap()).unwrap();
    assert_eq!(
        app.retry_reject(&op(), reject.id).await.unwrap(),
        summary(1, 0, 0, 0)
    );
    let all = app.rejects(&op(), true).await.unwrap();
    let resolved = all.iter().find(|r| r.id == reject.id).unwrap();
    assert_eq!(
        resolved.resolved_at.map(|t| t.as_second()),
        Some(start() + 2 * 3600)
    );
    assert!(
        !app.rejects(&op(), false)
            .await
            .unwrap()
            .iter()
            .any(|r| r.id == reject.id)
    );
    assert_eq!(
        app.referral(&op(), "300000001", Why::default())
            .await
            .unwrap()
            .incident_type
            .as_deref(),
        Some(CHILD_ABUSE_IMAGES)
    );
    assert_eq!(counts(&app).await.referrals, 1);

    assert!(matches!(
        app.retry_reject(&op(), reject.id).await,
        Err(AppError::Invalid(_))
    ));
    assert!(matches!(
        app.retry_reject(&op(), 987_654).await,
        Err(AppError::NotFound(_))
    ));

    // The file is ingested, so nothing about it may still be listed as open: the earlier unsuccessful retry
    // must not have left a second reject of the same file behind.
    assert_eq!(
        app.rejects(&op(), false).await.unwrap(),
        vec![],
        "open rejects after the corrected file was ingested"
    );
    assert_eq!(counts(&app).await.open_rejects, 0);
}

async fn shared_email_links_but_shared_ip_or_user_id_elsewhere_does_not(db: Db) {
    let clock = clock();
    let app = app_on(db, &clock);
    let first = with(
        with(
            person("ExampleChat", "user-000401"),
            "emails",
            emails(&["Pat.Example@Mail.Example"]),
        ),
        "sourceInformation",
        ips(&["192.0.2.10"]),
    );
    assert_eq!(
        ingest(&app, &[le_doc(400_000_001, CHILD_ABUSE_IMAGES, first)]).await,
        summary(1, 0, 0, 0)
    );

    // The same e-mail in another case, in CyberTip XML from another service.
    let xml = "<report><incidentSummary><incidentType>Child Pornography (possession, manufacture, and \
               distribution)</incidentType><incidentDateTime>2026-01-16T09:00:00Z</incidentDateTime>\
               </incidentSummary><reporter><reportingPerson><email>ts@photos.example</email></reportingPerson>\
               </reporter><personOrUserReported><personOrUserReportedPerson>\
               <email>PAT.EXAMPLE@mail.example</email></personOrUserReportedPerson>\
               <espIdentifier>p-2002</espIdentifier><espService>PhotoShare</espService>\
               </personOrUserReported></report>";
    assert_eq!(
        ingest_items(&app, vec![item("in/400000002.xml", xml.as_bytes())]).await,
        summary(1, 0, 0, 0)
    );

    // Only the IP address in common.
    let same_ip = with(
        person("ExampleChat", "user-000403"),
        "sourceInformation",
        ips(&["192.0.2.10"]),
    );
    // The first report's user ID, but on another service.
    let other_service = person("PhotoShare", "user-000401");
    // The first report's user ID on its own service: the same account.
    let same_account = with(
        person("examplechat", "user-000401"),
        "sourceInformation",
        ips(&["203.0.113.77"]),
    );
    assert_eq!(
        ingest(
            &app,
            &[
                le_doc(400_000_003, CHILD_ABUSE_IMAGES, same_ip),
                le_doc(400_000_004, CHILD_ABUSE_IMAGES, other_service),
                le_doc(400_000_005, CHILD_ABUSE_IMAGES, same_account),
            ]
        )
        .await,
        summary(3, 0, 0, 0)
    );

    let s1 = subject_of(&app, 400_000_001).await;
    assert_eq!(
        subject_of(&app, 400_000_002).await,
        s1,
        "e-mail case variants link"
    );
    assert_ne!(
        subject_of(&app, 400_000_003).await,
        s1,
        "an IP address alone does not link"
    );
    assert_ne!(
        subject_of(&app, 400_000_004).await,
        s1,
        "a user ID on another service is another account"
    );
    assert_eq!(
        subject_of(&app, 400_000_005).await,
        s1,
        "the same user ID on the same service links"
    );
    assert_ne!(
        subject_of(&app, 400_000_003).await,
        subject_of(&app, 400_000_004).await
    );
    assert_eq!(counts(&app).await.subjects, 3);

    let view = app
        .referral(&op(), "400000002", Why::default())
        .await
        .unwrap();
    assert_eq!(view.format, "cybertip_xml");
    let why: Vec<_> = view
        .links
        .iter()
        .filter(|l| l.referral == "ncmec:400000002")
        .collect();
    assert_eq!(why.len(), 1, "{:?}", view.links);
    assert_eq!(why[0].kind, IdentifierKind::Email);
    assert_eq!(why[0].value, "pat.example@mail.example");
    assert!(why[0].weight >= LinkPolicy::default().threshold);
    assert!(
        view.subject.referrals.len() == 3,
        "{:?}",
        view.subject.referrals
    );
}

async fn value_shared_by_many_accounts_stops_linking(db: Db) {
    let clock = clock();
    let app = app_on(db, &clock);
    let limit = LinkPolicy::default().common_after_accounts as u64;
    let shared = "family.inbox@mail.example";
    // One report at a time: the shared value links the first accounts, until more than the limit carry it.
    for n in 0..=limit {
        let reported = with(
            person("ExampleChat", &format!("acct-{n:04}")),
            "emails",
            emails(&[shared]),
        );
        assert_eq!(
            ingest(
                &app,
                &[le_doc(500_000_000 + n, CHILD_ABUSE_IMAGES, reported)]
            )
            .await,
            summary(1, 0, 0, 0)
        );
        if n == 1 {
            assert_eq!(
                subject_of(&app, 500_000_000).await,
                subject_of(&app, 500_000_001).await,
                "two accounts sharing an e-mail link while it is not known to be common"
            );
        }
    }
    let mut subjects = BTreeSet::new();
    for n in 0..=limit {
        subjects.insert(subject_of(&app, 500_000_000 + n).await);
    }
    assert_eq!(
        subjects.len() as u64,
        limit + 1,
        "more than {limit} accounts carry the value: every account is its own subject again"
    );
    assert_eq!(counts(&app).await.subjects as u64, limit + 1);

    let view = app
        .referral(&op(), "500000000", Why::default())
        .await
        .unwrap();
    assert!(
        view.links.iter().all(|l| l.value != shared),
        "{:?}",
        view.links
    );
    let email = view.identifiers.iter().find(|i| i.value == shared).unwrap();
    assert!(email.placeholder, "shown as a value that does not link");

    // A later report with the shared value and a new account joins nobody.
    let late = with(
        person("ExampleChat", "acct-late"),
        "emails",
        emails(&[shared]),
    );
    ingest(&app, &[le_doc(500_000_100, CHILD_ABUSE_IMAGES, late)]).await;
    assert!(!subjects.contains(&subject_of(&app, 500_000_100).await));

    // A placeholder value never links, even between two accounts.
    for (id, user) in [(500_000_200, "acct-p1"), (500_000_201, "acct-p2")] {
        let reported = with(
            person("ExampleChat", user),
            "emails",
            emails(&["noreply@mail.example"]),
        );
        ingest(&app, &[le_doc(id, CHILD_ABUSE_IMAGES, reported)]).await;
    }
    assert_ne!(
        subject_of(&app, 500_000_200).await,
        subject_of(&app, 500_000_201).await
    );
}

async fn merge_needs_a_rationale_and_survives_later_ingest(db: Db) {
    let clock = clock();
    let app = app_on(db, &clock);
    let a = || {
        with(
            person("ExampleChat", "user-000601"),
            "emails",
            emails(&["a.side@mail.example"]),
        )
    };
    let b = || {
        with(
            person("PhotoShare", "p-000602"),
            "phones",
            json!([{ "value": "07700 900602" }]),
        )
    };
    ingest(
        &app,
        &[
            le_doc(600_000_001, CHILD_ABUSE_IMAGES, a()),
            le_doc(600_000_002, CHILD_ABUSE_IMAGES, b()),
        ],
    )
    .await;
    let (sa, sb) = (
        subject_of(&app, 600_000_001).await,
        subject_of(&app, 600_000_002).await,
    );
    assert_ne!(sa, sb);

    for rationale in ["", "   \n"] {
        assert!(matches!(
            app.merge_subjects(sa, sb, rationale, &operator("DS Example"))
                .await,
            Err(AppError::Invalid(_))
        ));
    }
    assert_eq!(
        app.subject(&op(), sb, Why::default()).await.unwrap().status,
        "open"
    );
    assert!(matches!(
        app.merge_subjects(sa, sa, "same", &operator("DS Example"))
            .await,
        Err(AppError::Invalid(_))
    ));

    let merged = app
        .merge_subjects(
            sa,
            sb,
            "Same person: the phone is registered to the e-mail's owner",
            &operator("DS Example"),
        )
        .await
        .unwrap();
    assert_eq!(merged.id, sa);
    assert_eq!(subject_of(&app, 600_000_002).await, sa);
    let gone = app.subject(&op(), sb, Why::default()).await.unwrap();
    assert_eq!(gone.status, "merged");
    assert!(gone.referrals.is_empty());
    let view = app
        .referral(&op(), "600000002", Why::default())
        .await
        .unwrap();
    assert_eq!(view.decisions.len(), 1);
    assert_eq!(view.decisions[0].kind, DecisionKind::Merge);
    assert_eq!(view.decisions[0].actor, "operator:DS Example");
    assert!(view.decisions[0].rationale.starts_with("Same person"));
    assert!(matches!(
        app.merge_subjects(sa, sb, "again", &operator("DS Example"))
            .await,
        Err(AppError::Invalid(_))
    ));

    // Later reports carrying either side's identifiers join the merged subject, and the merge holds.
    clock.advance(jiff::SignedDuration::from_hours(24));
    ingest(
        &app,
        &[
            le_doc(600_000_003, CHILD_ABUSE_IMAGES, b()),
            le_doc(600_000_004, CHILD_ABUSE_IMAGES, a()),
        ],
    )
    .await;
    for id in [600_000_001, 600_000_002, 600_000_003, 600_000_004] {
        assert_eq!(subject_of(&app, id).await, sa, "report {id}");
    }
    assert_eq!(
        app.subject(&op(), sa, Why::default())
            .await
            .unwrap()
            .referrals
            .len(),
        4
    );
    assert_eq!(counts(&app).await.subjects, 1);

    // The merged side's e-mail turns out to be shared by many accounts. Relinking without it would part the
    // two sides, which nothing but the investigator's decision joins: the decision holds.
    let limit = LinkPolicy::default().common_after_accounts as u64;
    for n in 0..limit {
        let other = with(
            person("ExampleChat", &format!("other-{n:04}")),
            "emails",
            emails(&["a.side@mail.example"]),
        );
        ingest(&app, &[le_doc(600_000_100 + n, CHILD_ABUSE_IMAGES, other)]).await;
    }
    let view = app
        .referral(&op(), "600000001", Why::default())
        .await
        .unwrap();
    assert!(
        view.identifiers
            .iter()
            .any(|i| i.value == "a.side@mail.example" && i.placeholder),
        "the e-mail is now common"
    );
    assert_eq!(subject_of(&app, 600_000_001).await, sa);
    assert_eq!(subject_of(&app, 600_000_002).await, sa);
    assert_eq!(
        app.subject(&op(), sa, Why::default()).await.unwrap().status,
        "open"
    );
}

async fn split_moves_referrals_and_later_reports_do_not_remerge(db: Db) {
    let clock = clock();
    let app = app_on(db, &clock);
    // Two people who happen to share an e-mail address; each also has an identifier of their own.
    let a = with(
        person("ExampleChat", "user-000701"),
        "emails",
        emails(&["shared.box@mail.example"]),
    );
    let b = with(
        with(json!({}), "emails", emails(&["shared.box@mail.example"])),
        "phones",
        json!([{ "value": "07700 900701" }]),
    );
    ingest(
        &app,
        &[
            le_doc(700_000_001, CHILD_ABUSE_IMAGES, a),
            le_doc(700_000_002, ENTICEMENT, b),
        ],
    )
    .await;
    let s = subject_of(&app, 700_000_001).await;
    assert_eq!(subject_of(&app, 700_000_002).await, s);

    let moving = vec!["ncmec:700000002".to_owned()];
    assert!(matches!(
        app.split_subject(s, &moving, " ", &operator("DS Example"))
            .await,
        Err(AppError::Invalid(_))
    ));
    assert!(matches!(
        app.split_subject(
            s,
            &["ncmec:700000001".to_owned(), "ncmec:700000002".to_owned()],
            "everything",
            &operator("DS Example")
        )
        .await,
        Err(AppError::Invalid(_))
    ));
    assert!(matches!(
        app.split_subject(
            s,
            &["ncmec:799999999".to_owned()],
            "unknown",
            &operator("DS Example")
        )
        .await,
        Err(AppError::Invalid(_))
    ));
    assert_eq!(
        subject_of(&app, 700_000_002).await,
        s,
        "refusals change nothing"
    );

    let split = app
        .split_subject(
            s,
            &moving,
            "Different people: the mailbox is a shared family account",
            &operator("DS Example"),
        )
        .await
        .unwrap();
    let n = split.id;
    assert_ne!(n, s);
    assert_eq!(subject_of(&app, 700_000_001).await, s);
    assert_eq!(subject_of(&app, 700_000_002).await, n);
    assert_eq!(
        app.subject(&op(), n, Why::default())
            .await
            .unwrap()
            .referrals,
        vec!["ncmec:700000002".to_owned()]
    );
    assert_eq!(
        split.band,
        Band::Low,
        "the split-off subject takes its own referral's band"
    );
    let view = app
        .referral(&op(), "700000001", Why::default())
        .await
        .unwrap();
    assert!(
        view.decisions
            .iter()
            .any(|d| d.kind == DecisionKind::Split && d.other_subject_id == n)
    );

    // A later report with identifiers of both sides joins one of them and does not merge them again.
    clock.advance(jiff::SignedDuration::from_hours(24));
    let both = with(
        with(
            person("ExampleChat", "user-000701"),
            "emails",
            emails(&["shared.box@mail.example"]),
        ),
        "phones",
        json!([{ "value": "07700 900701" }]),
    );
    ingest(&app, &[le_doc(700_000_003, CHILD_ABUSE_IMAGES, both)]).await;
    let joined = subject_of(&app, 700_000_003).await;
    assert!(joined == s || joined == n, "joined {joined}");
    assert_eq!(subject_of(&app, 700_000_001).await, s);
    assert_eq!(subject_of(&app, 700_000_002).await, n);
    assert_eq!(
        app.subject(&op(), s, Why::default()).await.unwrap().status,
        "open"
    );
    assert_eq!(
        app.subject(&op(), n, Why::default()).await.unwrap().status,
        "open"
    );
    assert_eq!(counts(&app).await.subjects, 2);
}

fn outcome_of(json: &str) -> Outcome {
    serde_json::from_str(json).unwrap()
}

async fn assessment_override_and_rescore_keep_history(db: Db) {
    let clock = clock();
    let app = app_on(db, &clock);
    ingest(
        &app,
        &[le_doc(
            800_000_001,
            ENTICEMENT,
            with(
                person("ExampleChat", "user-000801"),
                "emails",
                emails(&["assessed@mail.example"]),
            ),
        )],
    )
    .await;
    let s = subject_of(&app, 800_000_001).await;
    assert_eq!(
        app.referral(&op(), "800000001", Why::default())
            .await
            .unwrap()
            .band,
        "low",
        "v1: enticement alone is 3 points, below Medium"
    );

    let unknown: Answers = [("no_such_question".to_owned(), Answer::from("yes"))].into();
    assert!(matches!(
        app.assess(s, unknown, &operator("DC Example")).await,
        Err(AppError::Invalid(_))
    ));
    assert!(app.assessment_history(&op(), s).await.unwrap().is_empty());

    let answers: Answers = [
        (
            "prev_sexual_offending".to_owned(),
            Answer::from("conviction"),
        ),
        ("prev_sexual_offence_count".to_owned(), Answer::from(1)),
        ("access_household".to_owned(), Answer::from("no")),
        ("grooming".to_owned(), Answer::from("no")),
    ]
    .into();
    let first = app
        .assess(s, answers.clone(), &operator("DC Example"))
        .await
        .unwrap();
    assert_eq!(
        (first.tool_id.as_str(), first.tool_version.as_str()),
        ("kirat-illustrative", "1.0.0")
    );
    assert_eq!(first.assessor, "operator:DC Example");
    assert_eq!(first.assessed_at, start());
    assert_eq!(
        serde_json::from_str::<Answers>(&first.answers).unwrap(),
        answers
    );
    // 3 (enticement) + 4 (conviction) + 1 (one offence) = 8 points: Medium.
    assert_eq!(first.band, Band::Medium);
    let outcome = outcome_of(&first.outcome);
    assert_eq!(outcome.points, 8);
    let sources: Vec<(SourceKind, &str)> = outcome
        .contributions
        .iter()
        .map(|c| (c.kind, c.source.as_str()))
        .collect();
    assert!(sources.contains(&(SourceKind::Signal, "online_enticement")));
    assert!(sources.contains(&(SourceKind::Question, "prev_sexual_offending")));
    assert_eq!(
        outcome.contributions.iter().map(|c| c.points).sum::<u32>(),
        8
    );
    let subject = app.subject(&op(), s, Why::default()).await.unwrap();
    assert_eq!(subject.band, "medium");
    assert!(
        subject.reason.contains("operator:DC Example"),
        "{}",
        subject.reason
    );

    for rationale in ["", "  "] {
        assert!(matches!(
            app.override_band(s, Band::VeryHigh, rationale, &operator("DS Example"))
                .await,
            Err(AppError::Invalid(_))
        ));
    }
    assert_eq!(
        app.subject(&op(), s, Why::default()).await.unwrap().band,
        "medium"
    );
    assert_eq!(app.assessment_history(&op(), s).await.unwrap().len(), 1);

    clock.advance(jiff::SignedDuration::from_hours(1));
    let overridden = app
        .override_band(
            s,
            Band::VeryHigh,
            "Intelligence: the subject coaches a junior football team",
            &operator("DS Example"),
        )
        .await
        .unwrap();
    assert_eq!(overridden.override_band, Some(Band::VeryHigh));
    assert_eq!(
        overridden.override_by.as_deref(),
        Some("operator:DS Example")
    );
    assert_eq!(overridden.rescored_from, Some(first.id));
    let subject = app.subject(&op(), s, Why::default()).await.unwrap();
    assert_eq!(subject.band, "very_high");
    assert!(
        subject.reason.contains("junior football"),
        "{}",
        subject.reason
    );
    let due = jiff::Timestamp::from_second(start() + DAY).unwrap();
    assert_eq!(
        subject.due_at, due,
        "Very High is due a day after the clock start"
    );

    // A changed tool under an old version number is refused and leaves the active tool as it was.
    let edited = severn_domain::risk::ILLUSTRATIVE_TOOL_V1.replace("points = 3", "points = 30");
    assert!(app.install_tool(&op(), &edited).await.is_err());
    assert_eq!(app.active_tool().await.unwrap().version(), "1.0.0");

    let v2 = app.install_tool(&op(), ILLUSTRATIVE_TOOL_V2).await.unwrap();
    assert_eq!(v2.version(), "2.0.0");
    assert_eq!(app.active_tool().await.unwrap().version(), "2.0.0");
    clock.advance(jiff::SignedDuration::from_hours(1));
    let rescored = app.rescore(&op()).await.unwrap();
    assert_eq!(rescored.tool, "kirat-illustrative 2.0.0");
    assert_eq!(rescored.assessments, 1);
    assert_eq!(rescored.referral_bands_changed, 1);

    let history = app.assessment_history(&op(), s).await.unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[0], first, "earlier assessments are kept unchanged");
    assert_eq!(history[1], overridden);
    let latest = &history[2];
    assert_eq!(latest.tool_version, "2.0.0");
    assert_eq!(latest.rescored_from, Some(overridden.id));
    assert_eq!(
        latest.band,
        Band::High,
        "v2: enticement alone sets at least High"
    );
    assert_eq!(
        latest.override_band,
        Some(Band::VeryHigh),
        "the override is carried forward"
    );
    assert_eq!(
        serde_json::from_str::<Answers>(&latest.answers).unwrap(),
        answers
    );
    assert_eq!(
        app.subject(&op(), s, Why::default()).await.unwrap().band,
        "very_high"
    );
    let view = app
        .referral(&op(), "800000001", Why::default())
        .await
        .unwrap();
    assert_eq!(
        view.band, "high",
        "the referral's provisional band under v2"
    );
    assert_eq!(view.assessments.len(), 3);
    assert_eq!(
        view.explanation.unwrap().tool_version,
        "2.0.0",
        "the referral's explanation is from the active tool"
    );

    // Rescoring again under the same tool adds nothing.
    assert_eq!(app.rescore(&op()).await.unwrap().assessments, 0);
    assert_eq!(app.assessment_history(&op(), s).await.unwrap().len(), 3);
}

async fn queue_orders_by_due_time_overdue_first(db: Db) {
    let clock = clock();
    let app = app_on(db, &clock);
    // Low: 30 days from receipt.
    ingest(
        &app,
        &[le_doc(
            900_000_001,
            CHILD_ABUSE_IMAGES,
            person("ExampleChat", "user-000901"),
        )],
    )
    .await;
    // High (sextortion), received a day later: due 7 days after that.
    clock.advance(jiff::SignedDuration::from_hours(24));
    let mut high = le_doc(
        900_000_002,
        CHILD_ABUSE_IMAGES,
        person("ExampleChat", "user-000902"),
    );
    high["reportAnnotations"] = json!(["sextortion"]);
    ingest(&app, &[high]).await;
    // Medium (a child named), received two days in: due 14 days after that.
    clock.advance(jiff::SignedDuration::from_hours(24));
    let mut medium = le_doc(
        900_000_003,
        CHILD_ABUSE_IMAGES,
        person("ExampleChat", "user-000903"),
    );
    medium["reportedInformation"]["intendedRecipients"] =
        json!([{ "espUserId": "child-000903", "espService": "ExampleChat" }]);
    ingest(&app, &[medium]).await;

    let (low_s, high_s, medium_s) = (
        subject_of(&app, 900_000_001).await,
        subject_of(&app, 900_000_002).await,
        subject_of(&app, 900_000_003).await,
    );
    let queue = app.queue(&op(), 10).await.unwrap();
    let order: Vec<SubjectId> = queue.iter().map(|e| e.subject).collect();
    assert_eq!(order, vec![high_s, medium_s, low_s]);
    let bands: Vec<&str> = queue.iter().map(|e| e.band.as_str()).collect();
    assert_eq!(bands, vec!["high", "medium", "low"]);
    assert!(queue.iter().all(|e| !e.overdue && e.seconds_left > 0));
    assert_eq!(
        queue[0].due_at,
        jiff::Timestamp::from_second(start() + 8 * DAY).unwrap()
    );
    assert_eq!(queue[0].seconds_left, 6 * DAY);
    assert_eq!(queue.iter().filter_map(|e| e.referrals).sum::<i64>(), 3);
    assert_eq!(app.queue(&op(), 1).await.unwrap().len(), 1);

    // Past the High deadline: it is overdue, the others are not.
    clock.set(jiff::Timestamp::from_second(start() + 10 * DAY).unwrap());
    let queue = app.queue(&op(), 10).await.unwrap();
    assert_eq!(queue[0].subject, high_s);
    assert!(queue[0].overdue);
    assert_eq!(queue[0].seconds_left, -2 * DAY);
    assert!(!queue[1].overdue && !queue[2].overdue);

    // A new Very High referral due before the others' deadlines goes first once it is the most overdue.
    let mut urgent = le_doc(
        900_000_004,
        CHILD_ABUSE_IMAGES,
        person("ExampleChat", "user-000904"),
    );
    urgent["reportAnnotations"] = json!(["sadisticOnlineExploitation"]);
    ingest(&app, &[urgent]).await;
    let urgent_s = subject_of(&app, 900_000_004).await;
    let queue = app.queue(&op(), 10).await.unwrap();
    assert_eq!(queue[0].subject, high_s, "due at day 8");
    assert_eq!(queue[1].subject, urgent_s, "due at day 11");
    assert_eq!(queue[1].band, "very_high");

    // Everything overdue: still soonest due (most overdue) first.
    clock.set(jiff::Timestamp::from_second(start() + 40 * DAY).unwrap());
    let queue = app.queue(&op(), 10).await.unwrap();
    assert_eq!(
        queue.iter().map(|e| e.subject).collect::<Vec<_>>(),
        vec![high_s, urgent_s, medium_s, low_s]
    );
    assert!(queue.iter().all(|e| e.overdue));
    assert!(
        queue
            .windows(2)
            .all(|w| w[0].seconds_left <= w[1].seconds_left)
    );
}

async fn export_writes_every_live_subject_as_json(db: Db) {
    let clock = clock();
    let app = app_on(db, &clock);
    let (written, value) = export(&app).await;
    assert_eq!((written, value), (0, json!([])));

    let linked = |user: &str| {
        with(
            person("ExampleChat", user),
            "emails",
            emails(&["exported@mail.example"]),
        )
    };
    ingest(
        &app,
        &[
            le_doc(1_000_000_001, CHILD_ABUSE_IMAGES, linked("user-001001")),
            le_doc(1_000_000_002, CHILD_ABUSE_IMAGES, linked("user-001002")),
            le_doc(
                1_000_000_003,
                CHILD_ABUSE_IMAGES,
                with(
                    person("ExampleChat", "user-001003"),
                    "sourceInformation",
                    ips(&["198.51.100.3"]),
                ),
            ),
        ],
    )
    .await;
    let (written, value) = export(&app).await;
    assert_eq!(written, 2);
    let subjects = value.as_array().expect("an array of subjects");
    assert_eq!(subjects.len(), 2);
    for s in subjects {
        for key in [
            "subject",
            "referrals",
            "identifiers",
            "links",
            "band",
            "due_at",
        ] {
            assert!(s.get(key).is_some(), "{key} missing in {s}");
        }
        assert!(s["subject"].is_i64());
        assert!(
            s["due_at"]
                .as_str()
                .unwrap()
                .parse::<jiff::Timestamp>()
                .is_ok()
        );
    }
    let pair = subjects
        .iter()
        .find(|s| s["referrals"].as_array().unwrap().len() == 2)
        .unwrap();
    assert_eq!(
        pair["referrals"],
        json!(["ncmec:1000000001", "ncmec:1000000002"])
    );
    assert_eq!(
        pair["subject"].as_i64().unwrap(),
        subject_of(&app, 1_000_000_001).await.0
    );
    assert!(
        pair["identifiers"]
            .as_array()
            .unwrap()
            .contains(&json!({ "kind": "email", "service": null, "value": "exported@mail.example", "links": true }))
    );
    let links = pair["links"].as_array().unwrap();
    assert!(
        links
            .iter()
            .any(|l| l["referral"] == "ncmec:1000000002" && l["value"] == "exported@mail.example"),
        "{links:?}"
    );
    let single = subjects
        .iter()
        .find(|s| s["referrals"] == json!(["ncmec:1000000003"]))
        .unwrap();
    assert_eq!(single["links"], json!([]));
    assert!(
        single["identifiers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "ip_address" && i["value"] == "198.51.100.3")
    );

    // Merged-away subjects are not exported.
    let (a, b) = (
        subject_of(&app, 1_000_000_001).await,
        subject_of(&app, 1_000_000_003).await,
    );
    app.merge_subjects(
        a,
        b,
        "Same household account, confirmed",
        &operator("DS Example"),
    )
    .await
    .unwrap();
    let (written, value) = export(&app).await;
    assert_eq!(written, 1);
    assert_eq!(value[0]["referrals"].as_array().unwrap().len(), 3);
}

async fn referral_view_explains_its_band(db: Db) {
    let clock = clock();
    let app = app_on(db, &clock);
    let doc = le_doc(
        1_100_000_001,
        ENTICEMENT,
        with(
            person("ExampleChat", "user-001101"),
            "accessToChildren",
            json!("Yes"),
        ),
    );
    ingest(&app, &[doc]).await;

    let view = app
        .referral(&op(), "1100000001", Why::default())
        .await
        .unwrap();
    assert_eq!(view.incident_type.as_deref(), Some(ENTICEMENT));
    let explanation = view.explanation.expect("a stored explanation");
    assert_eq!(explanation.band.as_str(), view.band);
    assert_eq!(view.band, "high", "enticement with access to children");
    assert_eq!(view.band_label, "High");
    let signals: BTreeMap<&str, u32> = explanation
        .contributions
        .iter()
        .filter(|c| c.kind == SourceKind::Signal)
        .map(|c| (c.source.as_str(), c.points))
        .collect();
    assert_eq!(signals.get("online_enticement"), Some(&3));
    assert_eq!(signals.get("access_to_children"), Some(&3));
    assert!(
        explanation
            .reasons
            .iter()
            .any(|r| r.contains("access to children")),
        "{:?}",
        explanation.reasons
    );
    assert_eq!(explanation.tool_version, "1.0.0");
    assert!(
        view.subject.reason.contains("ncmec:1100000001"),
        "{}",
        view.subject.reason
    );
    assert_eq!(view.subject.band, "high");
    assert!(view.report.is_some());
    assert!(matches!(
        app.referral(&op(), "not a reference", Why::default()).await,
        Err(AppError::Invalid(_))
    ));
}

// ---------------------------------------------------------------------------------------------------------
// The same synthetic corpus, linked on both backends, gives the same subjects.

#[derive(Debug, PartialEq)]
struct Linked {
    summary: IngestSummary,
    /// Each subject as its sorted referrals, with its band.
    subjects: BTreeSet<(Vec<String>, String)>,
    counts: severn_store::Counts,
}

async fn link_corpus(backend: Backend, corpus: std::path::PathBuf) -> Linked {
    let out = Rc::new(std::cell::RefCell::new(None));
    let slot = out.clone();
    severn_store::testing::run(backend, move |db| async move {
        let app = App::new(db, clock(), AuditKey::new([1; 32]));
        let mut ingester = Ingester::new(&app, &op(), None)
            .await
            .unwrap()
            .with_batch_size(64);
        for item in severn_ingest::walk(&[corpus.join("packages"), corpus.join("partner")]) {
            ingester.push(item).await.unwrap();
        }
        let summary = ingester.finish().await.unwrap();
        let (written, value) = export(&app).await;
        let mut subjects = BTreeSet::new();
        let mut referrals = BTreeSet::new();
        for s in value.as_array().unwrap() {
            let mut refs: Vec<String> = s["referrals"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_owned())
                .collect();
            refs.sort();
            for r in &refs {
                assert!(referrals.insert(r.clone()), "{r} exported twice");
            }
            subjects.insert((refs, s["band"].as_str().unwrap().to_owned()));
        }
        let counts = counts(&app).await;
        assert_eq!(written as i64, counts.subjects);
        assert_eq!(referrals.len() as i64, counts.referrals);
        *slot.borrow_mut() = Some(Linked {
            summary,
            subjects,
            counts,
        });
    })
    .await;
    out.take().expect("the scenario finished")
}

#[tokio::test]
async fn synthetic_corpus_links_the_same_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    let written =
        severn_synth::write_corpus(&severn_synth::SynthOptions::new(23, 200, &corpus)).unwrap();

    let sqlite = link_corpus(Backend::Sqlite, corpus.clone()).await;
    assert_eq!(sqlite.summary.rejected, 0);
    assert_eq!(
        sqlite.summary.ingested as usize,
        written.unique_reports + written.partner_rows
    );
    assert_eq!(sqlite.summary.new_versions as usize, written.new_versions);
    // A re-sent report comes with its fileDetails again: those count as duplicates too.
    assert!(sqlite.summary.duplicates as usize >= written.duplicates);
    assert_eq!(
        (sqlite.summary.file_details + sqlite.summary.duplicates) as usize,
        written.file_details + written.duplicates
    );
    assert!(sqlite.summary.file_details > 0);
    assert!(sqlite.counts.subjects > 0 && sqlite.counts.subjects < sqlite.counts.referrals);

    let postgres = link_corpus(Backend::Postgres, corpus).await;
    assert_eq!(sqlite.summary, postgres.summary);
    assert_eq!(sqlite.counts, postgres.counts);
    assert_eq!(
        sqlite.subjects, postgres.subjects,
        "the same referrals form the same subjects with the same bands"
    );
}
