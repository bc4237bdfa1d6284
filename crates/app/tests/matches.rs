//! Possible matches, the comparison before a merge, the confirmation it needs, and what a merged-away subject
//! says: scenarios on SQLite and PostgreSQL.

use serde_json::{Value, json};
use severn_app::gate::Why;
use severn_app::ingest::Ingester;
use severn_app::matches::{CONFIRMATION_NEEDED, NotLinked};
use severn_app::staff::StaffSpec;
use severn_app::{App, AppError};
use severn_domain::access::{Actor, OrgKind, Role, StaffKind};
use severn_domain::audit::{AuditEntry, AuditKey};
use severn_domain::clock::FixedClock;
use severn_domain::ids::{OrgId, SubjectId};
use severn_domain::report::IdentifierKind;
use severn_ingest::{DocContext, Item, parse_document};
use severn_store::Db;
use std::sync::Arc;

severn_store::backend_matrix!(
    weak_and_common_matches_are_found_best_first_within_the_force,
    no_match_leaks_across_forces_or_restrictions,
    a_merge_after_comparison_needs_the_confirmation,
    a_merged_away_subject_says_where_it_went_and_offers_nothing,
    a_subject_in_a_case_is_never_merged_away,
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
    investigator_a: Actor,
    supervisor_a: Actor,
    analyst_a: Actor,
    investigator_b: Actor,
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
    Region {
        investigator_a: staff(app, force_a, "inv.a", Role::Investigator).await,
        supervisor_a: staff(app, force_a, "sup.a", Role::Supervisor).await,
        analyst_a: staff(app, force_a, "analyst.a", Role::Analyst).await,
        investigator_b: staff(app, force_b, "inv.b", Role::Investigator).await,
    }
}

/// A report whose one reported person is `person` (on the service "Example").
fn doc(id: u64, received: &str, person: Value) -> Value {
    let mut person = person;
    person["espService"] = json!("Example");
    person["espUserId"] = json!(format!("u{id}"));
    json!({
        "reportId": id.to_string(),
        "dateReceived": received,
        "reportedInformation": {
            "reportingEsp": { "espName": "Example Ltd" },
            "incidentSummary": {
                "incidentType": "Child Pornography (possession, manufacture, and distribution)",
                "incidentDateTime": "2026-02-15T14:30:00Z"
            },
            "reportedPeople": { "reportedPersons": [person] }
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

async fn entries(db: &Db) -> Vec<AuditEntry> {
    severn_store::testing::audit_log(db).await
}

/// Force A's five subjects: 1001 shares a screen name with 1002 (weak on its own), a household landline
/// with 1003 (weak, and not personal), and a placeholder e-mail with 1004 (marked as common); 1005 shares
/// nothing. Force B's 2001 carries 1001's screen name and landline.
struct Subjects {
    s1: SubjectId,
    s2: SubjectId,
    s3: SubjectId,
    s4: SubjectId,
    s5: SubjectId,
    b1: SubjectId,
}

async fn five_subjects(app: &App) -> Subjects {
    ingest_for(
        app,
        "force-a",
        &[
            doc(
                1001,
                "2026-02-20T08:00:00Z",
                json!({
                    "firstName": "Alex", "lastName": "Example", "displayName": "Fox",
                    "screenName": "shadow_fox",
                    "phones": [{ "value": "+441134960060" }],
                    "emails": [{ "value": "noreply@example.com" }, { "value": "alex@example.org" }]
                }),
            ),
            doc(
                1002,
                "2026-02-21T08:00:00Z",
                json!({ "screenName": "shadow_fox", "emails": [{ "value": "fox2@example.org" }] }),
            ),
            doc(
                1003,
                "2026-02-22T08:00:00Z",
                json!({ "phones": [{ "value": "+441134960060" }] }),
            ),
            doc(
                1004,
                "2026-02-23T08:00:00Z",
                json!({ "emails": [{ "value": "noreply@example.com" }] }),
            ),
            doc(
                1005,
                "2026-02-24T08:00:00Z",
                json!({ "emails": [{ "value": "someone.else@example.org" }] }),
            ),
        ],
    )
    .await;
    ingest_for(
        app,
        "force-b",
        &[doc(
            2001,
            "2026-02-20T09:00:00Z",
            json!({ "screenName": "shadow_fox", "phones": [{ "value": "+441134960060" }] }),
        )],
    )
    .await;
    let s = Subjects {
        s1: subject_of(app, "1001").await,
        s2: subject_of(app, "1002").await,
        s3: subject_of(app, "1003").await,
        s4: subject_of(app, "1004").await,
        s5: subject_of(app, "1005").await,
        b1: subject_of(app, "2001").await,
    };
    let mut all = vec![s.s1, s.s2, s.s3, s.s4, s.s5, s.b1];
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 6, "nothing they share links them");
    s
}

async fn weak_and_common_matches_are_found_best_first_within_the_force(db: Db) {
    let app = app_on(db.clone());
    let r = region(&app).await;
    let s = five_subjects(&app).await;

    let found = app
        .possible_matches(&r.investigator_a, s.s1, Why::default(), 1)
        .await
        .unwrap();
    assert_eq!(found.subject, s.s1);
    let order: Vec<SubjectId> = found.matches.iter().map(|m| m.subject).collect();
    assert_eq!(
        order,
        vec![s.s2, s.s3, s.s4],
        "screen name (0.6), landline (0.5), then the placeholder; not 1005, nor force B's subject"
    );
    assert_eq!((found.total, found.page, found.pages), (3, 1, 1));
    assert!(!found.incomplete);

    let by_screen = &found.matches[0];
    assert_eq!(by_screen.status, "In the queue");
    assert!(!by_screen.restricted);
    assert_eq!(by_screen.shared.len(), 1);
    assert_eq!(by_screen.shared[0].kind, IdentifierKind::ScreenName);
    assert_eq!(by_screen.shared[0].value, "shadow_fox");
    assert_eq!(by_screen.shared[0].service.as_deref(), Some("example"));
    assert_eq!(by_screen.shared[0].not_linked, NotLinked::WeakOnItsOwn);
    assert_eq!(by_screen.shared[0].not_linked_words, "weak on its own");
    assert_eq!(found.matches[1].shared[0].kind, IdentifierKind::Phone);
    assert_eq!(
        found.matches[1].shared[0].not_linked,
        NotLinked::WeakOnItsOwn
    );
    let by_placeholder = &found.matches[2].shared[0];
    assert_eq!(by_placeholder.kind, IdentifierKind::Email);
    assert_eq!(by_placeholder.not_linked, NotLinked::MarkedAsCommon);
    assert_eq!(by_placeholder.not_linked_words, "marked as common");
    assert!(found.matches[0].score > found.matches[1].score);
    assert!(found.matches[1].score > found.matches[2].score);

    // From the other side, the match is found too; a subject sharing nothing has none.
    let back = app
        .possible_matches(&r.investigator_a, s.s2, Why::default(), 1)
        .await
        .unwrap();
    assert_eq!(
        back.matches.iter().map(|m| m.subject).collect::<Vec<_>>(),
        vec![s.s1]
    );
    let none = app
        .possible_matches(&r.investigator_a, s.s5, Why::default(), 1)
        .await
        .unwrap();
    assert_eq!((none.total, none.matches.len()), (0, 0));
    // A page past the end shows the last.
    let past = app
        .possible_matches(&r.investigator_a, s.s1, Why::default(), 9)
        .await
        .unwrap();
    assert_eq!((past.page, past.matches.len()), (1, 3));

    // The subject and then the list of its force's subjects are each logged.
    let log = entries(&db).await;
    let mine: Vec<&AuditEntry> = log
        .iter()
        .filter(|e| e.actor == "inv.a" && e.target == format!("subject:{}", s.s1))
        .collect();
    assert_eq!(mine.len(), 4, "{mine:#?}");
    assert_eq!(mine[0].action, "view_case");
    assert_eq!(mine[0].detail.as_deref(), Some("possible matches"));
    assert_eq!(
        mine[1].detail.as_deref(),
        Some(format!("possible matches of subject {}", s.s1).as_str())
    );
    assert!(mine.iter().all(|e| e.outcome == "allowed"));
}

async fn no_match_leaks_across_forces_or_restrictions(db: Db) {
    let app = app_on(db.clone());
    let r = region(&app).await;
    let s = five_subjects(&app).await;

    // Force B's subject shares a screen name and a landline with force A's, which force B never sees.
    let theirs = app
        .possible_matches(&r.investigator_b, s.b1, Why::default(), 1)
        .await
        .unwrap();
    assert_eq!(theirs.total, 0);
    // Nor may force B ask about force A's subject: refused as a subject that is not there, and logged.
    assert!(matches!(
        app.possible_matches(&r.investigator_b, s.s1, Why::default(), 1)
            .await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        app.compare_subjects(&r.investigator_b, s.b1, s.s1, Why::default())
            .await,
        Err(AppError::NotFound(_))
    ));
    // A share lets force B read the subject, not list force A's other subjects through it.
    app.share_case(
        &r.supervisor_a,
        s.s1,
        "inv.b",
        "Joint operation with Force B",
    )
    .await
    .unwrap();
    let shared = app
        .possible_matches(&r.investigator_b, s.s1, Why::default(), 1)
        .await
        .unwrap();
    assert_eq!(shared.total, 0, "{shared:?}");
    let log = entries(&db).await;
    assert!(
        log.iter()
            .filter(|e| e.actor == "inv.b")
            .all(|e| e.detail.as_deref() != Some(&format!("possible matches of subject {}", s.s1))),
        "no list of force A's subjects is even asked for"
    );

    // Restricted to the supervisor: the investigator never sees it among the matches.
    app.restrict_case(
        &r.supervisor_a,
        s.s2,
        Some(&["sup.a".to_owned()]),
        "A member of staff is the suspect",
    )
    .await
    .unwrap();
    let seen = app
        .possible_matches(&r.investigator_a, s.s1, Why::default(), 1)
        .await
        .unwrap();
    assert_eq!(
        seen.matches.iter().map(|m| m.subject).collect::<Vec<_>>(),
        vec![s.s3, s.s4]
    );
    // Its comparison is refused as a subject that is not there, and the refusal logged.
    assert!(matches!(
        app.compare_subjects(&r.investigator_a, s.s1, s.s2, Why::default())
            .await,
        Err(AppError::NotFound(_))
    ));
    let log = entries(&db).await;
    let refused = log
        .iter()
        .rfind(|e| e.actor == "inv.a" && e.target == format!("subject:{}", s.s2))
        .unwrap();
    assert_eq!(refused.outcome, "denied:restricted");
    assert_eq!(refused.action, "view_case");
    // The person it names sees it, restricted: what it shares waits for the comparison and a reason.
    let named = app
        .possible_matches(&r.supervisor_a, s.s1, Why::default(), 1)
        .await
        .unwrap();
    let restricted = named.matches.iter().find(|m| m.subject == s.s2).unwrap();
    assert!(restricted.restricted);
    assert!(restricted.shared.is_empty());
    assert!(matches!(
        app.compare_subjects(&r.supervisor_a, s.s1, s.s2, Why::default())
            .await,
        Err(AppError::JustificationRequired(_))
    ));
    let cmp = app
        .compare_subjects(
            &r.supervisor_a,
            s.s1,
            s.s2,
            Why::because("Checking the screen name match"),
        )
        .await
        .unwrap();
    assert_eq!(cmp.shared, 1);
    // Comparing a subject with itself is refused and logged.
    assert!(matches!(
        app.compare_subjects(&r.investigator_a, s.s1, s.s1, Why::default())
            .await,
        Err(AppError::Invalid(_))
    ));
    let log = entries(&db).await;
    assert_eq!(log.last().unwrap().outcome, "denied:invalid");
}

async fn a_merge_after_comparison_needs_the_confirmation(db: Db) {
    let app = app_on(db.clone());
    let r = region(&app).await;
    let s = five_subjects(&app).await;

    let cmp = app
        .compare_subjects(&r.investigator_a, s.s1, s.s2, Why::default())
        .await
        .unwrap();
    assert_eq!(cmp.subject.subject, s.s1);
    assert_eq!(cmp.other.subject, s.s2);
    assert_eq!(cmp.shared, 1);
    assert!(cmp.may_merge);
    assert_eq!(cmp.cannot_merge, None);
    assert_eq!(cmp.subject.referral_count, 1);
    assert_eq!(cmp.subject.referrals, vec!["ncmec:1001"]);
    assert_eq!(cmp.subject.sources, vec!["NCMEC CyberTipline"]);
    assert_eq!(cmp.subject.names, vec!["Alex Example", "Fox"]);
    // Received by Severn: the ingest's time.
    assert_eq!(
        cmp.subject.first_received,
        Some("2026-03-01T09:00:00Z".parse().unwrap())
    );
    let screen = cmp
        .subject
        .identifiers
        .iter()
        .find(|g| g.kind == IdentifierKind::ScreenName)
        .unwrap();
    assert!(screen.items[0].shared);
    let emails = cmp
        .subject
        .identifiers
        .iter()
        .find(|g| g.kind == IdentifierKind::Email)
        .unwrap();
    assert!(emails.items.iter().all(|i| !i.shared));
    assert!(
        emails
            .items
            .iter()
            .any(|i| i.value == "noreply@example.com" && i.common)
    );
    // An analyst may compare, not merge.
    let looked = app
        .compare_subjects(&r.analyst_a, s.s1, s.s2, Why::default())
        .await
        .unwrap();
    assert!(!looked.may_merge);
    assert_eq!(looked.cannot_merge, None);
    assert!(matches!(
        app.merge_compared(s.s1, s.s2, "Same screen name", true, &r.analyst_a)
            .await,
        Err(AppError::Denied(_))
    ));

    // Without the tick: refused, nothing merged, the refusal logged.
    let refused = app
        .merge_compared(s.s1, s.s2, "Same screen name", false, &r.investigator_a)
        .await;
    match refused {
        Err(AppError::Invalid(message)) => assert_eq!(message, CONFIRMATION_NEEDED),
        other => panic!("expected the confirmation to be asked for, got {other:?}"),
    }
    let still = app
        .subject(&r.investigator_a, s.s2, Why::default())
        .await
        .unwrap();
    assert_eq!((still.status.as_str(), still.merged_into), ("open", None));
    let log = entries(&db).await;
    let refusal = log.iter().rfind(|e| e.action == "merge_split").unwrap();
    assert_eq!(refusal.outcome, "denied:invalid");
    assert_eq!(refusal.target, format!("subject:{}", s.s2));

    // With it: merged, and the result says how many referrals moved.
    let done = app
        .merge_compared(s.s1, s.s2, "Same screen name", true, &r.investigator_a)
        .await
        .unwrap();
    assert_eq!(
        (done.subject, done.merged, done.referrals_moved),
        (s.s1, s.s2, 1)
    );
    let kept = app
        .subject(&r.investigator_a, s.s1, Why::default())
        .await
        .unwrap();
    assert_eq!(kept.referrals, vec!["ncmec:1001", "ncmec:1002"]);
    // The merged-away subject is no longer a match.
    let after = app
        .possible_matches(&r.investigator_a, s.s1, Why::default(), 1)
        .await
        .unwrap();
    assert!(after.matches.iter().all(|m| m.subject != s.s2));
}

async fn a_merged_away_subject_says_where_it_went_and_offers_nothing(db: Db) {
    let app = app_on(db.clone());
    let r = region(&app).await;
    let s = five_subjects(&app).await;
    app.merge_compared(s.s1, s.s2, "Same screen name", true, &r.supervisor_a)
        .await
        .unwrap();

    let gone = app
        .subject(&r.supervisor_a, s.s2, Why::default())
        .await
        .unwrap();
    assert_eq!(gone.status, "merged");
    assert_eq!(gone.merged_into, Some(s.s1));
    let detail = app
        .subject_detail(&r.supervisor_a, s.s2, Why::default())
        .await
        .unwrap();
    let away = detail.merged.unwrap();
    assert_eq!(away.into, s.s1);
    assert_eq!(away.by.as_deref(), Some("sup.a"));
    assert_eq!(away.rationale.as_deref(), Some("Same screen name"));
    assert_eq!(away.at, Some("2026-03-01T09:00:00Z".parse().unwrap()));
    assert!(!detail.may_share && !detail.may_restrict);
    let kept = app
        .subject_detail(&r.supervisor_a, s.s1, Why::default())
        .await
        .unwrap();
    assert_eq!(kept.merged, None);
    assert!(kept.may_share && kept.may_restrict);
    // No matches, and no merge either way.
    let none = app
        .possible_matches(&r.supervisor_a, s.s2, Why::default(), 1)
        .await
        .unwrap();
    assert_eq!(none.total, 0);
    let cmp = app
        .compare_subjects(&r.supervisor_a, s.s3, s.s2, Why::default())
        .await
        .unwrap();
    assert!(!cmp.may_merge);
    assert_eq!(
        cmp.cannot_merge.as_deref(),
        Some(format!("Subject {} was merged into subject {} already.", s.s2, s.s1).as_str())
    );
    assert!(matches!(
        app.merge_compared(s.s3, s.s2, "Same again", true, &r.supervisor_a)
            .await,
        Err(AppError::Invalid(_))
    ));
}

async fn a_subject_in_a_case_is_never_merged_away(db: Db) {
    let app = app_on(db.clone());
    let r = region(&app).await;
    let s = five_subjects(&app).await;
    let case = app.open_case(&r.investigator_a, s.s2).await.unwrap();

    let found = app
        .possible_matches(&r.investigator_a, s.s1, Why::default(), 1)
        .await
        .unwrap();
    let in_case = found.matches.iter().find(|m| m.subject == s.s2).unwrap();
    assert_eq!(in_case.status, format!("In case {case}"));
    assert_eq!(in_case.case, Some(case));

    let cmp = app
        .compare_subjects(&r.investigator_a, s.s1, s.s2, Why::default())
        .await
        .unwrap();
    assert!(!cmp.may_merge);
    assert!(cmp.merge_the_other_way);
    let why = cmp.cannot_merge.unwrap();
    assert!(
        why.contains(&format!("Subject {} is in case {case}", s.s2)),
        "{why}"
    );
    assert_eq!(cmp.other.case, Some(case));
    // Refused by number too (the API's and the command line's merge), and logged.
    match app
        .merge_subjects(s.s1, s.s2, "Same screen name", &r.investigator_a)
        .await
    {
        Err(AppError::Invalid(message)) => assert_eq!(message, why),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(entries(&db).await.last().unwrap().outcome, "denied:invalid");
    // The other way round is done: the subject in the case keeps it, with both referrals.
    let done = app
        .merge_compared(s.s2, s.s1, "Same screen name", true, &r.investigator_a)
        .await
        .unwrap();
    assert_eq!(done.referrals_moved, 1);
    let kept = app
        .subject(&r.investigator_a, s.s2, Why::default())
        .await
        .unwrap();
    assert_eq!(kept.status, "in_case");
    assert_eq!(kept.referrals.len(), 2);
}
