//! The local authorities over the JSON API: every authority, a postcode's authority, every candidate of a
//! boundary district; people of a force only.

use crate::support::{Browser, Site};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use severn_domain::access::{OrgKind, Role};
use severn_store::Db;

severn_store::backend_matrix!(
    a_person_of_a_force_looks_up_an_area_and_lists_every_authority,
    people_outside_a_force_and_machine_feeds_are_refused,
);

fn codes(found: &Value) -> Vec<&str> {
    found["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect()
}

async fn a_person_of_a_force_looks_up_an_area_and_lists_every_authority(db: Db) {
    let site = Site::new(db).await;
    let person = site.person("inv.a", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &person).await;
    let entries_before = site.audit_log().await.len();

    let all = browser.get(&site, "/api/local-authorities").await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    let all: Value = serde_json::from_str(&all.body).unwrap();
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 175);
    assert_eq!(all[0]["name"], "Barking and Dagenham");

    let one = browser
        .get(&site, "/api/local-authorities?area=bs1%204dj")
        .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    let one: Value = serde_json::from_str(&one.body).unwrap();
    assert_eq!(one["result"], "one");
    assert_eq!(one["area"], "bs1 4dj");
    assert_eq!(codes(&one), ["bristol"]);

    let several = browser.get(&site, "/api/local-authorities?area=BS16").await;
    let several: Value = serde_json::from_str(&several.body).unwrap();
    assert_eq!(several["result"], "several");
    assert_eq!(codes(&several), ["bristol", "south-gloucestershire"]);

    let unknown = browser
        .get(&site, "/api/local-authorities?area=Atlantis")
        .await;
    let unknown: Value = serde_json::from_str(&unknown.body).unwrap();
    assert_eq!(unknown["result"], "unknown");
    assert_eq!(codes(&unknown), Vec::<&str>::new());

    // Reference data names no one: reading it leaves no entry (the fixture's own read of the log aside).
    let after = site.audit_log().await;
    let since: Vec<_> = after[entries_before..]
        .iter()
        .filter(|e| e.actor == "inv.a")
        .collect();
    assert!(since.is_empty(), "{since:?}");
}

async fn people_outside_a_force_and_machine_feeds_are_refused(db: Db) {
    let site = Site::new(db).await;
    let pcc = site.org("pcc", OrgKind::PccOffice).await;
    let outsider = site
        .person_in(pcc, "pcc.officer", &[Role::PccOffice], true)
        .await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &outsider).await;
    let refused = browser.get(&site, "/api/local-authorities?area=BS1").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

    let token = site.service("nca-feed").await;
    let request = Request::get("/api/local-authorities")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let refused = Browser::new().send(&site, request).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

    let anonymous = Browser::new().get(&site, "/api/local-authorities").await;
    assert_eq!(
        anonymous.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        anonymous.body
    );
}
