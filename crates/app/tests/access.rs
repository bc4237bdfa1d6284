//! Who sees what, and the statutory audit log: scenarios on SQLite and PostgreSQL.

use serde_json::{Value, json};
use severn_app::gate::Why;
use severn_app::ingest::Ingester;
use severn_app::staff::StaffSpec;
use severn_app::{App, AppError};
use severn_domain::access::{Action, Actor, Denial, OrgKind, Processing, Role, StaffKind};
use severn_domain::audit::{AuditKey, Checkpoint, Problem};
use severn_domain::clock::FixedClock;
use severn_domain::ids::{OrgId, SubjectId};
use severn_domain::report::{IdentifierKind, NcaDissemination};
use severn_ingest::{DocContext, Item, parse_document};
use severn_store::testing::execute_raw;
use severn_store::{AuditQuery, AuditRecord, Backend, Db};
use std::sync::Arc;

severn_store::backend_matrix!(
    a_force_sees_only_its_own_cases_and_refusals_are_logged,
    shares_open_one_case_and_restrictions_close_it,
    search_finds_identifiers_within_the_force_only,
    ingest_and_decisions_are_logged_with_their_processing,
    the_log_refuses_updates_and_deletes,
    verify_finds_edits_deletions_reordering_and_truncation,
    a_failed_audit_write_fails_the_request,
    reading_the_log_is_logged,
    the_pcc_office_sees_open_work_per_force_without_personal_data,
    concurrent_reads_each_log_one_entry_in_one_unbroken_chain,
    reads_and_writes_side_by_side_keep_one_unbroken_chain,
    a_failed_append_fails_the_read_that_waits_for_it,
    an_identifier_links_referrals_of_one_force_only,
    a_restriction_names_people_of_the_owning_force_only,
    a_share_lets_an_outsider_read_and_nothing_more,
    not_found_and_not_yours_answer_alike_and_both_are_logged,
    refusals_after_the_gate_leave_a_committed_entry,
    an_auditor_reads_their_own_organisations_entries_only,
    the_command_lines_reads_and_tool_installs_are_logged_under_their_actor,
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

struct Region {
    force_a: OrgId,
    force_b: OrgId,
    investigator_a: Actor,
    supervisor_a: Actor,
    investigator_b: Actor,
    pcc: Actor,
    auditor: Actor,
}

async fn staff(app: &App, org: OrgId, username: &str, role: Role) -> Actor {
    let id = app
        .create_staff(
            &operator(),
            &StaffSpec {
                org,
                team: None,
                username: username.into(),
                display_name: username.into(),
                kind: StaffKind::Person,
                roles: vec![role],
            },
        )
        .await
        .unwrap();
    app.staff_by_id(id).await.unwrap().unwrap().actor()
}

async fn region(app: &App) -> Region {
    let op = operator();
    let force_a = app
        .create_org(&op, "force-a", "Force A Constabulary", OrgKind::Force)
        .await
        .unwrap();
    let force_b = app
        .create_org(&op, "force-b", "Force B Police", OrgKind::Force)
        .await
        .unwrap();
    let pcc = app
        .create_org(&op, "pcc", "Office of the PCC", OrgKind::PccOffice)
        .await
        .unwrap();
    Region {
        force_a,
        force_b,
        investigator_a: staff(app, force_a, "inv.a", Role::Investigator).await,
        supervisor_a: staff(app, force_a, "sup.a", Role::Supervisor).await,
        investigator_b: staff(app, force_b, "inv.b", Role::Investigator).await,
        pcc: staff(app, pcc, "pcc.officer", Role::PccOffice).await,
        auditor: staff(app, force_a, "auditor.a", Role::Auditor).await,
    }
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

/// Ingests reports for one force.
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

/// Ingests reports in one batch, each from an NCA package received by the force given beside it.
async fn ingest_received(app: &App, docs: &[(&str, Value)]) {
    let mut ingester = Ingester::new(app, &operator(), None).await.unwrap();
    for (force, doc) in docs {
        let ctx = DocContext {
            nca: Some(NcaDissemination {
                nca_reference: format!("NCA-{force}"),
                disseminated_at: "2026-02-25T09:00:00Z".parse().unwrap(),
                receiving_force: (*force).to_owned(),
            }),
            report_id: None,
        };
        let bytes = serde_json::to_vec(doc).unwrap();
        let parsed = parse_document(&bytes, "in/report.json", &ctx).unwrap();
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

async fn entries(db: &Db) -> Vec<severn_domain::audit::AuditEntry> {
    severn_store::testing::audit_log(db).await
}

async fn a_force_sees_only_its_own_cases_and_refusals_are_logged(db: Db) {
    let app = app_on(db.clone());
    let r = region(&app).await;
    ingest_for(&app, "force-a", &[le_doc(1001, "a@example.com")]).await;
    ingest_for(&app, "Force B Police", &[le_doc(2001, "b@example.net")]).await;
    let a_subject = subject_of(&app, "1001").await;

    let queue = app.queue(&r.investigator_a, 50).await.unwrap();
    assert_eq!(
        queue.iter().map(|e| e.subject).collect::<Vec<_>>(),
        vec![a_subject]
    );
    assert!(
        app.referral(&r.investigator_a, "1001", Why::default())
            .await
            .is_ok()
    );
    assert!(matches!(
        app.referral(&r.investigator_a, "2001", Why::default())
            .await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        app.queue(&r.pcc, 50).await,
        Err(AppError::Denied(Denial::Role))
    ));
    assert!(matches!(
        app.override_band(
            a_subject,
            severn_domain::risk::Band::High,
            "because",
            &r.investigator_a
        )
        .await,
        Err(AppError::Denied(Denial::Role))
    ));

    let log = entries(&db).await;
    let denied: Vec<_> = log
        .iter()
        .filter(|e| e.outcome.starts_with("denied"))
        .collect();
    assert_eq!(denied.len(), 3, "{denied:#?}");
    assert_eq!(denied[0].actor, "inv.a");
    assert_eq!(denied[0].outcome, "denied:other_force");
    assert_eq!(denied[0].processing, Processing::Consultation);
    assert_eq!(denied[1].actor, "pcc.officer");
    assert_eq!(denied[2].action, "override");
    let allowed_view = log
        .iter()
        .find(|e| e.actor == "inv.a" && e.action == "view_case")
        .unwrap();
    assert_eq!(allowed_view.target, format!("subject:{a_subject}"));
    assert_eq!(allowed_view.detail.as_deref(), Some("referral ncmec:1001"));
    assert_eq!(allowed_view.org, Some(r.force_a.0));
}

async fn shares_open_one_case_and_restrictions_close_it(db: Db) {
    let app = app_on(db.clone());
    let r = region(&app).await;
    ingest_for(&app, "force-a", &[le_doc(1001, "a@example.com")]).await;
    let subject = subject_of(&app, "1001").await;

    assert!(matches!(
        app.share_case(&r.supervisor_a, subject, "inv.b", " ").await,
        Err(AppError::JustificationRequired(_))
    ));
    assert!(matches!(
        app.share_case(&r.investigator_a, subject, "inv.b", "joint job")
            .await,
        Err(AppError::Denied(Denial::Role))
    ));
    app.share_case(
        &r.supervisor_a,
        subject,
        "inv.b",
        "Joint operation with Force B",
    )
    .await
    .unwrap();
    let seen = app
        .subject(&r.investigator_b, subject, Why::default())
        .await
        .unwrap();
    assert_eq!(seen.referrals, vec!["ncmec:1001"]);
    // A share lets the person read the case, not act on it.
    assert!(matches!(
        app.merge_subjects(subject, SubjectId(999), "same person", &r.investigator_b)
            .await,
        Err(AppError::Denied(_)) | Err(AppError::NotFound(_))
    ));
    let share = entries(&db)
        .await
        .into_iter()
        .find(|e| e.action == "share" && e.outcome == "allowed")
        .unwrap();
    assert_eq!(share.processing, Processing::Disclosure);
    assert_eq!(share.recipients.as_deref(), Some("inv.b"));
    assert_eq!(
        share.justification.as_deref(),
        Some("Joint operation with Force B")
    );

    app.restrict_case(
        &r.supervisor_a,
        subject,
        Some(&["sup.a".to_owned()]),
        "Suspect is a member of staff",
    )
    .await
    .unwrap();
    // Someone not named is not even asked why: to them the case is not there.
    for why in [Why::default(), Why::because("checking the queue")] {
        assert!(matches!(
            app.subject(&r.investigator_a, subject, why).await,
            Err(AppError::NotFound(_))
        ));
    }
    assert!(matches!(
        app.subject(&r.supervisor_a, subject, Why::default()).await,
        Err(AppError::JustificationRequired(_))
    ));
    assert!(
        app.subject(&r.supervisor_a, subject, Why::because("case review"))
            .await
            .is_ok()
    );
    // The queue leaves nobody out: a restricted case still shows in its force's queue, with no details beyond
    // band and deadline until it is opened.
    app.restrict_case(&r.supervisor_a, subject, None, "Resolved")
        .await
        .unwrap();
    assert!(
        app.subject(&r.investigator_a, subject, Why::default())
            .await
            .is_ok()
    );
}

async fn search_finds_identifiers_within_the_force_only(db: Db) {
    let app = app_on(db.clone());
    let r = region(&app).await;
    ingest_for(&app, "force-a", &[le_doc(1001, "shared@example.com")]).await;
    ingest_for(&app, "force-b", &[le_doc(2001, "shared@example.com")]).await;
    let hits = app
        .search(
            &r.investigator_a,
            IdentifierKind::Email,
            None,
            " Shared@Example.com ",
        )
        .await
        .unwrap();
    assert_eq!(
        hits.iter()
            .map(|h| h.referral.as_deref())
            .collect::<Vec<_>>(),
        vec![Some("ncmec:1001")]
    );
    let hits = app
        .search(
            &r.investigator_b,
            IdentifierKind::Email,
            None,
            "shared@example.com",
        )
        .await
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].referral.as_deref(), Some("ncmec:2001"));
    assert!(matches!(
        app.search(&r.investigator_a, IdentifierKind::EspUserId, None, "u1001")
            .await,
        Err(AppError::Invalid(_))
    ));
    let by_user = app
        .search(
            &r.investigator_a,
            IdentifierKind::EspUserId,
            Some("Example"),
            "u1001",
        )
        .await
        .unwrap();
    assert_eq!(by_user.len(), 1);
    assert!(matches!(
        app.search(&r.pcc, IdentifierKind::Email, None, "shared@example.com")
            .await,
        Err(AppError::Denied(_))
    ));
}

async fn ingest_and_decisions_are_logged_with_their_processing(db: Db) {
    let app = app_on(db.clone());
    let r = region(&app).await;
    ingest_for(
        &app,
        "force-a",
        &[le_doc(1001, "a@example.com"), le_doc(1002, "b@example.com")],
    )
    .await;
    let a = subject_of(&app, "1001").await;
    let b = subject_of(&app, "1002").await;
    app.merge_subjects(a, b, "Same person: same home address", &r.investigator_a)
        .await
        .unwrap();
    let log = entries(&db).await;
    let collection = log
        .iter()
        .find(|e| e.processing == Processing::Collection && e.target.starts_with("referrals:"))
        .unwrap();
    assert_eq!(collection.target, "referrals:ncmec:1001..ncmec:1002");
    assert!(
        collection
            .detail
            .as_deref()
            .unwrap()
            .contains("\"ingested\":2")
    );
    let merges: Vec<_> = log.iter().filter(|e| e.action == "merge_split").collect();
    assert_eq!(merges.len(), 2, "both subjects are logged");
    assert!(
        merges
            .iter()
            .all(|e| e.processing == Processing::Combination
                && e.justification.as_deref() == Some("Same person: same home address"))
    );
}

async fn the_log_refuses_updates_and_deletes(db: Db) {
    let app = app_on(db.clone());
    app.queue(&operator(), 5).await.unwrap();
    assert!(
        execute_raw(&db, "UPDATE audit_log SET actor = 'someone else'")
            .await
            .is_err()
    );
    assert!(execute_raw(&db, "DELETE FROM audit_log").await.is_err());
    if db.backend() == Backend::Postgres {
        assert!(execute_raw(&db, "TRUNCATE audit_log").await.is_err());
    }
    assert_eq!(entries(&db).await[0].actor, "operator:tester");
}

/// Removes the append-only triggers, as someone with the database owner's rights could.
async fn drop_protection(db: &Db) {
    let sql = match db.backend() {
        Backend::Sqlite => "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
        Backend::Postgres => "ALTER TABLE audit_log DISABLE TRIGGER USER;",
    };
    execute_raw(db, sql).await.unwrap();
}

async fn verify_finds_edits_deletions_reordering_and_truncation(db: Db) {
    let app = app_on(db.clone());
    for _ in 0..6 {
        app.queue(&operator(), 5).await.unwrap();
    }
    let checkpoint: Checkpoint = app.audit_checkpoint().await.unwrap();
    assert_eq!(checkpoint.seq, 6);
    let clean = app.verify_audit(vec![checkpoint.clone()]).await.unwrap();
    assert_eq!(clean.entries, 6);
    assert!(clean.problems.is_empty(), "{:?}", clean.problems);

    drop_protection(&db).await;
    // Edited.
    execute_raw(
        &db,
        "UPDATE audit_log SET target = 'subject:1' WHERE seq = 2",
    )
    .await
    .unwrap();
    let found = app.verify_audit(vec![checkpoint.clone()]).await.unwrap();
    assert_eq!(found.problems, vec![Problem::Altered { seq: 2 }]);
    // Reordered: two entries swap places, sequence numbers and all.
    execute_raw(
        &db,
        "UPDATE audit_log SET seq = -1 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 4; \
         UPDATE audit_log SET seq = 4 WHERE seq = -1;",
    )
    .await
    .unwrap();
    let found = app.verify_audit(vec![checkpoint.clone()]).await.unwrap();
    assert!(
        found.problems.contains(&Problem::Altered { seq: 3 }),
        "{:?}",
        found.problems
    );
    // Deleted from the middle.
    execute_raw(&db, "DELETE FROM audit_log WHERE seq = 5")
        .await
        .unwrap();
    let found = app.verify_audit(vec![checkpoint.clone()]).await.unwrap();
    assert!(
        found
            .problems
            .contains(&Problem::Missing { after: 4, next: 6 }),
        "{:?}",
        found.problems
    );
    // Truncated: the last entry goes.
    execute_raw(&db, "DELETE FROM audit_log WHERE seq = 6")
        .await
        .unwrap();
    let found = app.verify_audit(vec![checkpoint]).await.unwrap();
    assert!(
        found.problems.contains(&Problem::Truncated {
            ends_at: 4,
            checkpoint: 6
        }),
        "{:?}",
        found.problems
    );
}

async fn a_failed_audit_write_fails_the_request(db: Db) {
    let app = app_on(db.clone());
    let r = region(&app).await;
    ingest_for(
        &app,
        "force-a",
        &[le_doc(1001, "a@example.com"), le_doc(1002, "b@example.com")],
    )
    .await;
    let a = subject_of(&app, "1001").await;
    let b = subject_of(&app, "1002").await;
    execute_raw(&db, "ALTER TABLE audit_log RENAME TO audit_log_away")
        .await
        .unwrap();
    assert!(app.queue(&r.investigator_a, 5).await.is_err());
    assert!(
        app.merge_subjects(a, b, "same person", &r.investigator_a)
            .await
            .is_err()
    );
    execute_raw(&db, "ALTER TABLE audit_log_away RENAME TO audit_log")
        .await
        .unwrap();
    let view = app
        .subject(&r.investigator_a, b, Why::default())
        .await
        .unwrap();
    assert_eq!(view.status, "open", "the merge did not happen");
}

/// Reads running side by side (on SQLite, on the read-only connections, their entries committed together by
/// the appender) each add exactly one entry, and the chain they make verifies.
async fn concurrent_reads_each_log_one_entry_in_one_unbroken_chain(db: Db) {
    let app = app_on(db.clone());
    let r = region(&app).await;
    ingest_for(&app, "force-a", &[le_doc(1001, "a@example.com")]).await;
    let subject = subject_of(&app, "1001").await;
    let before = entries(&db).await.len();
    let mut reads = tokio::task::JoinSet::new();
    for i in 0..40 {
        let app = app.clone();
        let actor = r.investigator_a.clone();
        reads.spawn_local(async move {
            if i % 2 == 0 {
                app.referral(&actor, "1001", Why::default())
                    .await
                    .map(|_| ())
            } else {
                app.subject(&actor, subject, Why::default())
                    .await
                    .map(|_| ())
            }
        });
    }
    while let Some(read) = reads.join_next().await {
        read.unwrap().unwrap();
    }
    let all = entries(&db).await;
    assert_eq!(all.len(), before + 40);
    let seqs: Vec<i64> = all.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=all.len() as i64).collect::<Vec<_>>());
    let verified = app.verify_audit(vec![]).await.unwrap();
    assert!(verified.problems.is_empty(), "{:?}", verified.problems);
    assert_eq!(verified.entries as usize, all.len());
}

/// Writes append their entry in their own transaction while reads hand theirs to the appender: both queue
/// on the log's head, so every entry chains to the one committed before it.
async fn reads_and_writes_side_by_side_keep_one_unbroken_chain(db: Db) {
    let app = app_on(db.clone());
    let r = region(&app).await;
    ingest_for(&app, "force-a", &[le_doc(1001, "a@example.com")]).await;
    let subject = subject_of(&app, "1001").await;
    let before = entries(&db).await.len();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..60 {
        let app = app.clone();
        let r_inv = r.investigator_a.clone();
        let r_sup = r.supervisor_a.clone();
        tasks.spawn_local(async move {
            match i % 3 {
                0 => app
                    .referral(&r_inv, "1001", Why::default())
                    .await
                    .map(|_| ()),
                1 => app
                    .subject(&r_inv, subject, Why::default())
                    .await
                    .map(|_| ()),
                _ => app
                    .share_case(&r_sup, subject, "inv.b", &format!("Joint operation {i}"))
                    .await
                    .map(|_| ()),
            }
        });
    }
    while let Some(task) = tasks.join_next().await {
        task.unwrap().unwrap();
    }
    let all = entries(&db).await;
    assert_eq!(all.len(), before + 60, "one entry per read and per write");
    let seqs: Vec<i64> = all.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=all.len() as i64).collect::<Vec<_>>());
    let verified = app.verify_audit(vec![]).await.unwrap();
    assert!(verified.problems.is_empty(), "{:?}", verified.problems);
    assert_eq!(verified.entries as usize, all.len());
}

/// A read's data leaves only once its entry is committed: when the appender cannot write the entry, the
/// read fails and returns nothing.
async fn a_failed_append_fails_the_read_that_waits_for_it(db: Db) {
    let app = app_on(db.clone());
    let r = region(&app).await;
    ingest_for(&app, "force-a", &[le_doc(1001, "a@example.com")]).await;
    let subject = subject_of(&app, "1001").await;
    let before = entries(&db).await;
    execute_raw(&db, "ALTER TABLE audit_log RENAME TO audit_log_away")
        .await
        .unwrap();
    let page = app
        .referral(&r.investigator_a, "1001", Why::default())
        .await;
    let summary = app
        .subject(&r.investigator_a, subject, Why::default())
        .await;
    execute_raw(&db, "ALTER TABLE audit_log_away RENAME TO audit_log")
        .await
        .unwrap();
    assert!(
        page.is_err(),
        "the referral page came back without its entry"
    );
    assert!(summary.is_err(), "the subject came back without its entry");
    assert_eq!(entries(&db).await.len(), before.len());
    // The appender goes on once the log can be written again.
    app.referral(&r.investigator_a, "1001", Why::default())
        .await
        .unwrap();
    let verified = app.verify_audit(vec![]).await.unwrap();
    assert!(verified.problems.is_empty(), "{:?}", verified.problems);
    assert_eq!(verified.entries as usize, before.len() + 1);
}

/// On PostgreSQL a read does not take the log's head row itself: reads that arrive while a write holds it
/// read their data meanwhile, and the appender commits their entries together once the write commits,
/// instead of each read waiting its turn for the row and committing alone.
#[tokio::test]
async fn postgres_reads_behind_a_write_holding_the_log_commit_their_entries_together() {
    const READS: i64 = 16;
    severn_store::testing::run(Backend::Postgres, |db| async move {
        let app = app_on(db.clone());
        let r = region(&app).await;
        ingest_for(&app, "force-a", &[le_doc(1001, "a@example.com")]).await;
        let before = entries(&db).await.len() as i64;
        // A write that has appended its entry and not committed yet holds the head row.
        let mut write = db.begin().await.unwrap();
        severn_store::Gate::new(db.clone(), AuditKey::new([5; 32]))
            .log_event(
                &mut write,
                &AuditRecord {
                    at: 1_772_355_600,
                    actor: "tester".into(),
                    org: None,
                    processing: Processing::Alteration,
                    action: "test".into(),
                    target: "log".into(),
                    justification: None,
                    recipients: None,
                    detail: None,
                },
                "ok",
            )
            .await
            .unwrap();
        let mut reads = tokio::task::JoinSet::new();
        for _ in 0..READS {
            let app = app.clone();
            let actor = r.investigator_a.clone();
            reads.spawn_local(async move {
                app.referral(&actor, "1001", Why::default())
                    .await
                    .map(|_| ())
            });
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        write.commit().await.unwrap();
        while let Some(read) = reads.join_next().await {
            read.unwrap().unwrap();
        }
        let pg = match &db {
            Db::Postgres(pg) => pg,
            Db::Sqlite(_) => unreachable!("run on PostgreSQL"),
        };
        // Rows written by one transaction carry its id in xmin.
        let (appended, transactions): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(DISTINCT xmin::text) FROM audit_log WHERE seq > $1",
        )
        .bind(before + 1)
        .fetch_one(pg.pool())
        .await
        .unwrap();
        assert_eq!(appended, READS);
        assert!(
            transactions <= READS / 4,
            "{READS} reads' entries took {transactions} transactions"
        );
        let verified = app.verify_audit(vec![]).await.unwrap();
        assert!(verified.problems.is_empty(), "{:?}", verified.problems);
    })
    .await;
}

async fn reading_the_log_is_logged(db: Db) {
    let app = app_on(db.clone());
    let r = region(&app).await;
    ingest_for(&app, "force-a", &[le_doc(1001, "a@example.com")]).await;
    let subject = subject_of(&app, "1001").await;
    app.subject(&r.investigator_a, subject, Why::default())
        .await
        .unwrap();
    let query = AuditQuery {
        target: Some(format!("subject:{subject}")),
        limit: 50,
        ..AuditQuery::default()
    };
    assert!(matches!(
        app.audit_search(&r.investigator_a, &query).await,
        Err(AppError::Denied(Denial::Role))
    ));
    let who = app.audit_search(&r.auditor, &query).await.unwrap();
    let actors: Vec<&str> = who.iter().map(|e| e.actor.as_str()).collect();
    assert!(actors.contains(&"inv.a"), "{actors:?}");
    let by_person = app
        .audit_search(
            &r.auditor,
            &AuditQuery {
                actor: Some("inv.a".into()),
                limit: 50,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    assert!(by_person.iter().all(|e| e.actor == "inv.a"));
    let log = entries(&db).await;
    let reads: Vec<_> = log
        .iter()
        .filter(|e| e.action == Action::ReadAudit.as_str())
        .collect();
    assert_eq!(
        reads.len(),
        3,
        "each search of the log, allowed or not, is itself logged"
    );
    assert!(
        reads
            .iter()
            .all(|e| e.processing == Processing::Consultation)
    );
}

async fn the_pcc_office_sees_open_work_per_force_without_personal_data(db: Db) {
    let app = app_on(db.clone());
    let r = region(&app).await;
    ingest_for(
        &app,
        "force-a",
        &[le_doc(1001, "a@example.com"), le_doc(1002, "b@example.com")],
    )
    .await;
    ingest_for(&app, "force-b", &[le_doc(2001, "c@example.net")]).await;
    let work = app.open_work(&r.pcc).await.unwrap();
    let totals: Vec<(&str, i64)> = work.iter().map(|f| (f.force.as_str(), f.open)).collect();
    assert_eq!(
        totals,
        vec![("Force A Constabulary", 2), ("Force B Police", 1)]
    );
    let text = serde_json::to_string(&work).unwrap();
    assert!(
        !text.contains("example.com") && !text.contains("ncmec"),
        "{text}"
    );
    assert!(matches!(
        app.open_work(&Actor::Service {
            id: severn_domain::ids::StaffId(99),
            name: "nca".into(),
            org: r.force_a
        })
        .await,
        Err(AppError::Denied(Denial::Role))
    ));
}

async fn owner_of(db: &Db, subject: SubjectId) -> Option<OrgId> {
    let mut tx = severn_store::testing::operator_tx(db, true).await;
    let row = tx.subject(subject).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    row.owner_org
}

/// A value two forces both receive links each force's referrals among themselves only: joining them would
/// show one force's referral to the other and hide it from its own.
async fn an_identifier_links_referrals_of_one_force_only(db: Db) {
    let app = app_on(db.clone());
    let r = region(&app).await;
    let shared = "pat.shared@mail.example";
    // In separate runs, each for one force.
    ingest_for(&app, "force-a", &[le_doc(1001, shared)]).await;
    ingest_for(&app, "force-b", &[le_doc(2001, shared)]).await;
    ingest_for(&app, "force-a", &[le_doc(1002, shared)]).await;
    // In one batch, from packages received by either force.
    ingest_received(
        &app,
        &[
            ("Force B Police", le_doc(2002, shared)),
            ("force-a", le_doc(1003, shared)),
            ("force-b", le_doc(2003, shared)),
        ],
    )
    .await;

    let a = subject_of(&app, "1001").await;
    let b = subject_of(&app, "2001").await;
    assert_ne!(a, b, "the forces' referrals are two subjects");
    for reference in ["1002", "1003"] {
        assert_eq!(
            subject_of(&app, reference).await,
            a,
            "{reference} is force A's"
        );
    }
    for reference in ["2002", "2003"] {
        assert_eq!(
            subject_of(&app, reference).await,
            b,
            "{reference} is force B's"
        );
    }
    assert_eq!(owner_of(&db, a).await, Some(r.force_a));
    assert_eq!(owner_of(&db, b).await, Some(r.force_b));

    // Each force sees its own referrals, and only those.
    let queue_b = app.queue(&r.investigator_b, 50).await.unwrap();
    assert_eq!(
        queue_b.iter().map(|e| e.subject).collect::<Vec<_>>(),
        vec![b]
    );
    let seen_by_b = app
        .referral(&r.investigator_b, "2001", Why::default())
        .await
        .unwrap();
    assert_eq!(seen_by_b.subject.referrals.len(), 3);
    assert!(matches!(
        app.referral(&r.investigator_a, "2001", Why::default())
            .await,
        Err(AppError::NotFound(_))
    ));
    let seen_by_a = app
        .referral(&r.investigator_a, "1001", Why::default())
        .await
        .unwrap();
    assert_eq!(seen_by_a.subject.referrals.len(), 3);
    assert!(
        seen_by_a
            .subject
            .referrals
            .iter()
            .all(|r| r.starts_with("ncmec:100")),
        "{:?}",
        seen_by_a.subject.referrals
    );
}

/// The log's entries for one action, in order.
async fn logged(db: &Db, action: Action) -> Vec<severn_domain::audit::AuditEntry> {
    entries(db)
        .await
        .into_iter()
        .filter(|e| e.action == action.as_str())
        .collect()
}

async fn a_restriction_names_people_of_the_owning_force_only(db: Db) {
    let app = app_on(db.clone());
    let r = region(&app).await;
    let supervisor_b = staff(&app, r.force_b, "sup.b", Role::Supervisor).await;
    ingest_for(&app, "force-a", &[le_doc(1001, "a@example.com")]).await;
    let subject = subject_of(&app, "1001").await;

    let refused = app
        .restrict_case(
            &r.supervisor_a,
            subject,
            Some(&["sup.a".to_owned(), "sup.b".to_owned()]),
            "Suspect is a member of staff",
        )
        .await;
    assert!(matches!(refused, Err(AppError::Invalid(_))), "{refused:?}");
    let restrictions = logged(&db, Action::Restrict).await;
    assert_eq!(restrictions.len(), 1, "{restrictions:#?}");
    assert_eq!(restrictions[0].outcome, "denied:invalid");
    assert_eq!(restrictions[0].actor, "sup.a");
    assert!(
        restrictions[0]
            .detail
            .as_deref()
            .unwrap()
            .starts_with("restricted to sup.a, sup.b; refused: sup.b is not in the force"),
        "{restrictions:#?}"
    );
    // Nothing changed: the case is open to its force, and the outsider cannot take it over.
    assert!(
        app.subject(&r.investigator_a, subject, Why::default())
            .await
            .is_ok()
    );
    assert!(matches!(
        app.restrict_case(
            &supervisor_b,
            subject,
            Some(&["sup.b".to_owned()]),
            "Mine now"
        )
        .await,
        Err(AppError::NotFound(_))
    ));
    assert!(
        app.subject_detail(&r.supervisor_a, subject, Why::default())
            .await
            .unwrap()
            .sharing
            .restricted_to
            .is_none()
    );
    // Within the force a restriction works as before.
    app.restrict_case(
        &r.supervisor_a,
        subject,
        Some(&["sup.a".to_owned()]),
        "Suspect is a member of staff",
    )
    .await
    .unwrap();
    assert!(matches!(
        app.subject(&r.investigator_a, subject, Why::because("curious"))
            .await,
        Err(AppError::NotFound(_))
    ));
}

async fn a_share_lets_an_outsider_read_and_nothing_more(db: Db) {
    let app = app_on(db.clone());
    let r = region(&app).await;
    let supervisor_b = staff(&app, r.force_b, "sup.b", Role::Supervisor).await;
    ingest_for(&app, "force-a", &[le_doc(1001, "a@example.com")]).await;
    ingest_for(&app, "force-b", &[le_doc(2001, "b@example.net")]).await;
    let subject = subject_of(&app, "1001").await;
    let theirs = subject_of(&app, "2001").await;
    app.share_case(&r.supervisor_a, subject, "sup.b", "Joint operation")
        .await
        .unwrap();
    assert!(
        app.subject(&supervisor_b, subject, Why::default())
            .await
            .is_ok()
    );
    let unseen = format!("There is no subject {subject}.");
    let answers = [
        app.restrict_case(
            &supervisor_b,
            subject,
            Some(&["sup.b".to_owned()]),
            "Mine now",
        )
        .await,
        app.share_case(&supervisor_b, subject, "inv.b", "Passing it on")
            .await,
        app.merge_subjects(theirs, subject, "Same person", &supervisor_b)
            .await
            .map(|_| ()),
        app.override_band(
            subject,
            severn_domain::risk::Band::Low,
            "Not urgent",
            &supervisor_b,
        )
        .await
        .map(|_| ()),
    ];
    for answer in answers {
        assert!(
            matches!(&answer, Err(AppError::NotFound(words)) if *words == unseen),
            "{answer:?}"
        );
    }
    // The owning force keeps its case.
    let detail = app
        .subject_detail(&r.supervisor_a, subject, Why::default())
        .await
        .unwrap();
    assert!(detail.sharing.restricted_to.is_none());
    assert_eq!(detail.sharing.shared_with.len(), 1);
    assert_eq!(detail.summary.referrals, vec!["ncmec:1001"]);
    let refusals: Vec<_> = entries(&db)
        .await
        .into_iter()
        .filter(|e| e.actor == "sup.b" && e.outcome == "denied:other_force")
        .map(|e| e.action)
        .collect();
    assert_eq!(refusals, ["restrict", "share", "merge_split", "override"]);
}

async fn not_found_and_not_yours_answer_alike_and_both_are_logged(db: Db) {
    let app = app_on(db.clone());
    let r = region(&app).await;
    ingest_for(
        &app,
        "force-a",
        &[le_doc(1001, "a@example.com"), le_doc(1002, "c@example.com")],
    )
    .await;
    ingest_for(&app, "force-b", &[le_doc(2001, "b@example.net")]).await;
    let restricted = subject_of(&app, "1001").await;
    let own = subject_of(&app, "1002").await;
    let theirs = subject_of(&app, "2001").await;
    let missing = SubjectId(999_999);
    app.restrict_case(
        &r.supervisor_a,
        restricted,
        Some(&["sup.a".to_owned()]),
        "Suspect is a member of staff",
    )
    .await
    .unwrap();
    let inv = &r.investigator_a;
    for id in [theirs, missing, restricted] {
        let words = format!("There is no subject {id}.");
        let answers = [
            app.subject(inv, id, Why::default()).await.map(|_| ()),
            app.subject_detail(inv, id, Why::default())
                .await
                .map(|_| ()),
            app.merge_subjects(own, id, "Same person", inv)
                .await
                .map(|_| ()),
            app.split_subject(id, &["ncmec:1001".to_owned()], "Two people", inv)
                .await
                .map(|_| ()),
        ];
        for answer in answers {
            assert!(
                matches!(&answer, Err(AppError::NotFound(w)) if *w == words),
                "subject {id}: {answer:?}"
            );
        }
    }
    for (reference, words) in [
        ("2001", "There is no referral ncmec:2001."),
        ("999999", "There is no referral ncmec:999999."),
        ("1001", "There is no referral ncmec:1001."),
    ] {
        let answer = app.referral(inv, reference, Why::default()).await;
        assert!(
            matches!(&answer, Err(AppError::NotFound(w)) if w == words),
            "{reference}: {answer:?}"
        );
    }
    // A role that may not take an action is told so, whether or not the case is there.
    for id in [theirs, missing] {
        assert!(matches!(
            app.restrict_case(inv, id, None, "Review").await,
            Err(AppError::Denied(Denial::Role))
        ));
    }
    let log = entries(&db).await;
    let outcome = |target: &str, action: &str| -> Vec<String> {
        log.iter()
            .filter(|e| e.actor == "inv.a" && e.target == target && e.action == action)
            .map(|e| e.outcome.clone())
            .collect()
    };
    assert_eq!(
        outcome(&format!("subject:{theirs}"), "view_case"),
        ["denied:other_force"; 3]
    );
    assert_eq!(
        outcome(&format!("subject:{missing}"), "view_case"),
        ["denied:not_found"; 2]
    );
    assert_eq!(
        outcome(&format!("subject:{missing}"), "merge_split"),
        ["denied:not_found"; 2]
    );
    assert_eq!(
        outcome(&format!("subject:{missing}"), "restrict"),
        ["denied:role"]
    );
    assert_eq!(
        outcome(&format!("subject:{restricted}"), "view_case"),
        ["denied:restricted"; 3]
    );
    assert_eq!(
        outcome("referral:ncmec:999999", "view_case"),
        ["denied:not_found"]
    );
    // Something that is not a reference at all is refused and logged too, cut short.
    let probe = format!("not a reference {}", "x".repeat(500));
    assert!(matches!(
        app.referral(inv, &probe, Why::default()).await,
        Err(AppError::Invalid(_))
    ));
    let log = entries(&db).await;
    let probed = log
        .iter()
        .find(|e| e.actor == "inv.a" && e.target == "referral" && e.action == "view_case")
        .expect("the probe is logged");
    assert_eq!(probed.outcome, "denied:invalid");
    let detail = probed.detail.as_deref().unwrap_or_default();
    assert!(
        detail.starts_with("referral \"not a reference x"),
        "{detail}"
    );
    assert!(detail.len() < 400, "{detail}");
}

async fn refusals_after_the_gate_leave_a_committed_entry(db: Db) {
    let app = app_on(db.clone());
    let r = region(&app).await;
    ingest_for(
        &app,
        "force-a",
        &[le_doc(1001, "a@example.com"), le_doc(1002, "c@example.com")],
    )
    .await;
    let a = subject_of(&app, "1001").await;
    let b = subject_of(&app, "1002").await;
    let sup = &r.supervisor_a;

    assert!(matches!(
        app.share_case(sup, a, "nobody.here", "Joint operation")
            .await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        app.share_case(sup, a, "inv.a", "Joint operation").await,
        Err(AppError::Invalid(_))
    ));
    assert!(matches!(
        app.restrict_case(sup, a, Some(&["nobody.here".to_owned()]), "Staff suspect")
            .await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        app.split_subject(a, &["ncmec:1002".to_owned()], "Two people", sup)
            .await,
        Err(AppError::Invalid(_))
    ));
    app.merge_subjects(a, b, "Same person", sup).await.unwrap();
    assert!(matches!(
        app.merge_subjects(a, b, "Same person again", sup).await,
        Err(AppError::Invalid(_))
    ));

    let refused: Vec<(String, String, String)> = entries(&db)
        .await
        .into_iter()
        .filter(|e| e.outcome.starts_with("denied"))
        .map(|e| (e.action, e.target, e.outcome))
        .collect();
    let entry = |action: &str, target: SubjectId, outcome: &str| {
        (
            action.to_owned(),
            format!("subject:{target}"),
            outcome.to_owned(),
        )
    };
    assert_eq!(
        refused,
        [
            entry("share", a, "denied:not_found"),
            entry("share", a, "denied:invalid"),
            entry("restrict", a, "denied:not_found"),
            entry("merge_split", a, "denied:invalid"),
            entry("merge_split", b, "denied:invalid"),
        ]
    );
    let verified = app.verify_audit(vec![]).await.unwrap();
    assert!(verified.problems.is_empty(), "{:?}", verified.problems);
}

async fn an_auditor_reads_their_own_organisations_entries_only(db: Db) {
    let app = app_on(db.clone());
    let r = region(&app).await;
    let auditor_b = staff(&app, r.force_b, "auditor.b", Role::Auditor).await;
    ingest_for(&app, "force-a", &[le_doc(1001, "a@example.com")]).await;
    ingest_for(&app, "force-b", &[le_doc(2001, "b@example.net")]).await;
    let a = subject_of(&app, "1001").await;
    let b = subject_of(&app, "2001").await;
    app.subject(&r.investigator_a, a, Why::default())
        .await
        .unwrap();
    app.subject(&r.investigator_b, b, Why::default())
        .await
        .unwrap();
    // An investigator of force B searches for an identifier: force A's auditor must not read what.
    app.search(
        &r.investigator_b,
        IdentifierKind::Email,
        None,
        "a@example.com",
    )
    .await
    .unwrap();
    let everything = AuditQuery {
        limit: 1000,
        ..AuditQuery::default()
    };
    for (auditor, org, own, other) in [
        (&r.auditor, r.force_a, "inv.a", "inv.b"),
        (&auditor_b, r.force_b, "inv.b", "inv.a"),
    ] {
        let read = app.audit_search(auditor, &everything).await.unwrap();
        assert!(read.iter().any(|e| e.actor == own), "{read:#?}");
        assert!(
            read.iter().all(|e| e.org == Some(org.0)),
            "{} read another organisation's entries: {read:#?}",
            auditor.audit_name()
        );
        let asked = AuditQuery {
            actor: Some(other.to_owned()),
            ..everything.clone()
        };
        assert!(app.audit_search(auditor, &asked).await.unwrap().is_empty());
    }
    // The operator at the command line reads every organisation's.
    let all = app.audit_search(&operator(), &everything).await.unwrap();
    for name in ["inv.a", "inv.b", "operator:tester"] {
        assert!(all.iter().any(|e| e.actor == name), "{name}");
    }
}

/// What `severn org list`, `staff list`, `quality`, `risk install` and the demo's counts call: each leaves an
/// entry naming who asked, and a role without the right is refused with a denied entry.
async fn the_command_lines_reads_and_tool_installs_are_logged_under_their_actor(db: Db) {
    let app = app_on(db.clone());
    let r = region(&app).await;
    ingest_for(&app, "force-a", &[le_doc(1001, "a@example.com")]).await;
    let op = operator();
    let reference = app
        .referral(&op, "1001", Why::default())
        .await
        .unwrap()
        .referral;
    let truth = [(reference, "suspect-1".to_owned())].into();
    let before = entries(&db).await.len();

    let orgs = app.list_orgs(&op).await.unwrap();
    assert_eq!(orgs.len(), 3);
    assert_eq!(app.list_orgs(&r.pcc).await.unwrap(), orgs);
    let staff = app.list_staff(&op).await.unwrap();
    assert_eq!(staff.len(), 5);
    assert_eq!(app.counts(&op).await.unwrap().referrals, 1);
    assert_eq!(app.quality_report(&op, &truth).await.unwrap().referrals, 1);
    let tool = app
        .install_tool(&op, severn_domain::risk::ILLUSTRATIVE_TOOL_V2)
        .await
        .unwrap();
    assert_eq!(tool.version(), "2.0.0");

    assert!(matches!(
        app.list_staff(&r.investigator_a).await,
        Err(AppError::Denied(Denial::Role))
    ));
    assert!(matches!(
        app.quality_report(&r.supervisor_a, &truth).await,
        Err(AppError::Denied(Denial::Role))
    ));
    assert!(matches!(
        app.install_tool(&r.supervisor_a, severn_domain::risk::ILLUSTRATIVE_TOOL_V1)
            .await,
        Err(AppError::Denied(Denial::Role))
    ));
    assert_eq!(
        app.active_tool().await.unwrap().version(),
        "2.0.0",
        "a refused install changes nothing"
    );

    let log = entries(&db).await;
    let logged: Vec<(&str, &str, &str, &str)> = log[before..]
        .iter()
        .map(|e| {
            (
                e.actor.as_str(),
                e.action.as_str(),
                e.target.as_str(),
                e.outcome.as_str(),
            )
        })
        .collect();
    assert_eq!(
        logged,
        [
            ("operator:tester", "view_aggregates", "orgs", "allowed"),
            ("pcc.officer", "view_aggregates", "orgs", "allowed"),
            ("operator:tester", "manage_staff", "staff:all", "allowed"),
            (
                "operator:tester",
                "view_aggregates",
                "aggregates:counts",
                "allowed"
            ),
            (
                "operator:tester",
                "measure_linking",
                "referrals:all",
                "allowed"
            ),
            (
                "operator:tester",
                "install_risk_tool",
                "risk_tool:kirat-illustrative 2.0.0",
                "allowed"
            ),
            ("inv.a", "manage_staff", "staff:org:1", "denied:role"),
            ("sup.a", "measure_linking", "referrals:all", "denied:role"),
            (
                "sup.a",
                "install_risk_tool",
                "risk_tool:kirat-illustrative 1.0.0",
                "denied:role"
            ),
        ]
    );
}
