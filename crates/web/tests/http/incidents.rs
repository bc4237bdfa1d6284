//! A failure on the server's side (storage, the audit log, stored data that does not validate) is HTTP 500
//! with a short incident reference to quote to support, on a page and on the API, and nothing of its cause.

use crate::cases::{ingest_two, subjects_on};
use crate::support::{Browser, Page, Site};
use axum::http::StatusCode;
use severn_domain::access::Role;
use severn_store::Db;
use severn_store::testing::execute_raw;

/// Words that would give the server's insides away.
const INSIDES: [&str; 9] = [
    "audit_log",
    "staff_role",
    "database",
    "sqlite",
    "relation",
    "no such table",
    "wizard",
    "Corrupt",
    "inconsistent",
];

/// The incident reference the answer gives: eight base32 characters after "incident reference ".
fn reference(page: &Page) -> String {
    let at = page
        .body
        .find("incident reference ")
        .unwrap_or_else(|| panic!("no incident reference in:\n{}", page.body))
        + "incident reference ".len();
    let reference: String = page.body[at..].chars().take(8).collect();
    assert!(
        reference
            .chars()
            .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c)),
        "{reference:?} in {}",
        page.body
    );
    assert_eq!(reference.len(), 8);
    reference
}

fn assert_incident_page(page: &Page) -> String {
    assert_eq!(
        page.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Something went wrong on the server."),
        "{}",
        page.body
    );
    for word in INSIDES {
        assert!(
            !page.body.contains(word),
            "{word:?} shown in:\n{}",
            page.body
        );
    }
    reference(page)
}

fn assert_incident_json(page: &Page) -> String {
    assert_eq!(
        page.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        page.body
    );
    let body: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(body["status"], 500);
    let reference = assert_incident_page(page);
    assert_eq!(body["incident"], reference.as_str());
    reference
}

async fn a_failed_audit_write_is_an_incident_with_a_reference_and_no_insides(db: Db) {
    let site = Site::new(db.clone()).await;
    ingest_two(&site).await;
    let investigator = site.person("a.inv", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &investigator).await;
    let subject = subjects_on(&browser.get(&site, "/queue").await)[0].clone();

    execute_raw(&db, "ALTER TABLE audit_log RENAME TO audit_log_moved")
        .await
        .unwrap();
    let page = browser.get(&site, &format!("/subjects/{subject}")).await;
    let on_page = assert_incident_page(&page);
    let answer = browser
        .get(&site, &format!("/api/subjects/{subject}"))
        .await;
    let on_api = assert_incident_json(&answer);
    assert_ne!(on_page, on_api, "each incident has its own reference");
}

async fn stored_data_that_does_not_validate_is_an_incident(db: Db) {
    let site = Site::new(db.clone()).await;
    let investigator = site.person("a.inv", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &investigator).await;

    execute_raw(
        &db,
        &format!(
            "UPDATE staff_role SET role = 'wizard' WHERE staff_id = {}",
            investigator.id.0
        ),
    )
    .await
    .unwrap();
    assert_incident_page(&browser.get(&site, "/queue").await);
    assert_incident_json(&browser.get(&site, "/api/me").await);
}

async fn the_persons_own_mistakes_keep_their_status_and_words(db: Db) {
    let site = Site::new(db).await;
    let investigator = site.person("a.inv", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &investigator).await;
    let page = browser.get(&site, "/api/subjects/999999").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.body);
    let body: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert!(body.get("incident").is_none(), "{}", page.body);
    assert!(!page.body.contains("incident"), "{}", page.body);
}

severn_store::backend_matrix!(
    a_failed_audit_write_is_an_incident_with_a_reference_and_no_insides,
    stored_data_that_does_not_validate_is_an_incident,
    the_persons_own_mistakes_keep_their_status_and_words,
);
