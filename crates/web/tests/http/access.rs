//! What a probe learns: a case that does not exist, another force's and a restricted one answer alike on
//! pages and in the JSON API, and each probe is logged; an auditor reads their own organisation's entries.

use crate::cases::ingest_two;
use crate::support::{Browser, Site, operator};
use axum::http::StatusCode;
use severn_app::gate::Why;
use severn_domain::access::{OrgKind, Role};
use severn_domain::ids::SubjectId;
use severn_store::{AuditQuery, Db};

severn_store::backend_matrix!(
    missing_other_forces_and_restricted_cases_answer_alike,
    an_auditor_reads_their_own_organisations_log,
);

async fn subject_of(site: &Site, reference: &str) -> SubjectId {
    site.app
        .referral(&operator(), reference, Why::default())
        .await
        .unwrap()
        .subject
        .subject
}

async fn missing_other_forces_and_restricted_cases_answer_alike(db: Db) {
    let site = Site::new(db).await;
    ingest_two(&site).await;
    let open = subject_of(&site, "9001").await;
    let restricted = subject_of(&site, "9002").await;
    site.person("n.named", &[Role::Investigator], false).await;
    site.app
        .restrict_case(
            &operator(),
            restricted,
            Some(&["n.named".to_owned()]),
            "The suspect works in the force",
        )
        .await
        .unwrap();
    let missing = SubjectId(999_999);
    let other_force = site.org("F2", OrgKind::Force).await;
    let outsider = site
        .person_in(other_force, "b.inv", &[Role::Investigator], true)
        .await;
    let colleague = site.person("c.inv", &[Role::Investigator], true).await;

    let mut theirs = Browser::at("198.51.100.7");
    theirs.sign_in(&site, &outsider).await;
    let mut ours = Browser::at("198.51.100.8");
    ours.sign_in(&site, &colleague).await;
    // The answer with what was asked for taken out: it must not differ in anything else.
    let answer = |page: crate::support::Page, asked: &str| {
        (
            page.status,
            page.body.replace(&format!(" {asked}."), " ASKED."),
        )
    };
    for prefix in ["/", "/api/"] {
        let mut answers = Vec::new();
        for id in [open, missing, restricted] {
            let path = format!("{prefix}subjects/{id}");
            answers.push(answer(theirs.get(&site, &path).await, &id.to_string()));
        }
        for id in [missing, restricted] {
            // Someone in the force but not named is not asked why either: to them the case is not there.
            let path = format!("{prefix}subjects/{id}");
            answers.push(answer(ours.get(&site, &path).await, &id.to_string()));
        }
        for reference in ["ncmec:9001", "ncmec:999999"] {
            let path = format!("{prefix}referrals/{reference}");
            answers.push(answer(theirs.get(&site, &path).await, reference));
        }
        assert_eq!(answers[0].0, StatusCode::NOT_FOUND, "{}", answers[0].1);
        for (status, body) in &answers {
            assert_eq!(*status, answers[0].0, "{body}");
            assert!(!body.contains("restricted"), "{body}");
            assert!(!body.contains("another force"), "{body}");
        }
        // Word for word alike for each person (a page carries the person's own name and form token); the
        // referral pages name a referral instead.
        for (_, body) in &answers[1..3] {
            assert_eq!(*body, answers[0].1);
        }
        assert_eq!(answers[3].1, answers[4].1);
        assert_eq!(answers[5].1, answers[6].1);
        if prefix == "/api/" {
            assert_eq!(answers[0].1, answers[3].1);
        }
    }

    let log = site.audit_log().await;
    let outcomes = |actor: &str, target: &str| -> Vec<String> {
        log.iter()
            .filter(|e| e.actor == actor && e.target == target && e.action == "view_case")
            .map(|e| e.outcome.clone())
            .collect()
    };
    // Each probe, page and API alike, is in the log with its true reason.
    assert_eq!(
        outcomes("b.inv", &format!("subject:{open}")),
        ["denied:other_force"; 4]
    );
    assert_eq!(
        outcomes("b.inv", &format!("subject:{missing}")),
        ["denied:not_found"; 2]
    );
    assert_eq!(
        outcomes("b.inv", "referral:ncmec:999999"),
        ["denied:not_found"; 2]
    );
    assert_eq!(
        outcomes("c.inv", &format!("subject:{restricted}")),
        ["denied:restricted"; 2]
    );
    assert_eq!(
        outcomes("c.inv", &format!("subject:{missing}")),
        ["denied:not_found"; 2]
    );
}

async fn an_auditor_reads_their_own_organisations_log(db: Db) {
    let site = Site::new(db).await;
    ingest_two(&site).await;
    let subject = subject_of(&site, "9001").await;
    let other_force = site.org("F2", OrgKind::Force).await;
    let investigator = site.person("a.inv", &[Role::Investigator], true).await;
    let auditor = site
        .person_in(other_force, "b.aud", &[Role::Auditor], true)
        .await;
    let mut browser = Browser::at("198.51.100.9");
    browser.sign_in(&site, &investigator).await;
    let page = browser.get(&site, &format!("/subjects/{subject}")).await;
    assert_eq!(page.status, StatusCode::OK);

    let mut audit = Browser::at("198.51.100.10");
    audit.sign_in(&site, &auditor).await;
    audit.get(&site, "/audit").await;
    let page = audit.get(&site, "/audit").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("b.aud"),
        "its own reading: {}",
        page.body
    );
    assert!(!page.body.contains("a.inv"), "{}", page.body);
    for path in [
        "/api/audit?actor=a.inv".to_owned(),
        format!("/api/audit?target=subject%3A{subject}"),
    ] {
        let page = audit.get(&site, &path).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.body, "[]", "{path}");
    }
    let json = audit.get(&site, "/api/audit").await;
    assert_eq!(json.status, StatusCode::OK, "{}", json.body);
    let entries: Vec<serde_json::Value> = serde_json::from_str(&json.body).unwrap();
    assert!(!entries.is_empty());
    assert!(
        entries.iter().all(|e| e["org"] == other_force.0),
        "{entries:#?}"
    );
    // The operator at the command line reads every organisation's entries.
    let all = site
        .app
        .audit_search(
            &operator(),
            &AuditQuery {
                actor: Some("a.inv".into()),
                limit: 100,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    assert!(!all.is_empty());
}
