//! The directory of support services on the web: everyone in a force reads it, paged and filtered, with
//! contracts ending within six months flagged; its keepers add and change their own organisation's entries
//! (a refused form keeps what was typed); the API twins answer as the OpenAPI document says; others refused.

use crate::support::{Browser, Site};
use axum::http::StatusCode;
use serde_json::{Value, json};
use severn_domain::access::{OrgKind, Role};
use severn_store::Db;

severn_store::backend_matrix!(
    a_safeguarding_officer_adds_and_changes_a_service_and_an_investigator_reads_it,
    the_api_lists_adds_reads_and_changes_and_refuses_others,
);

fn service(name: &str) -> Value {
    json!({
        "name": name,
        "kind": "young_victims",
        "serves": ["children_and_young_people"],
        "min_age": 5,
        "max_age": 18,
        "areas": { "areas": "listed", "codes": ["bristol"] },
        "needs": ["online abuse"],
        "capacity": 4,
        "phone": "07700 900400",
        "email": null,
        "web": null,
        "commissioner": "Office of the PCC",
        "contract_ends": null,
        "active": true
    })
}

async fn a_safeguarding_officer_adds_and_changes_a_service_and_an_investigator_reads_it(db: Db) {
    let site = Site::new(db).await;
    let officer = site
        .person("safe.a", &[Role::SafeguardingOfficer], true)
        .await;
    let investigator = site.person("inv.a", &[Role::Investigator], true).await;
    let mut keeper = Browser::new();
    keeper.sign_in(&site, &officer).await;
    let mut reader = Browser::new();
    reader.sign_in(&site, &investigator).await;

    let page = keeper.get(&site, "/support-services").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("href=\"/support-services\""),
        "in the navigation"
    );
    assert!(page.body.contains("Add a service"), "{}", page.body);
    let csrf = page.csrf();
    let form = |name: &'static str, ends: &'static str, capacity: &'static str| {
        vec![
            ("name", name),
            ("kind", "isva"),
            ("children", "yes"),
            ("min_age", "13"),
            ("max_age", "25"),
            ("areas", "bristol; south-gloucestershire"),
            ("needs", "online abuse; sexual abuse"),
            ("capacity", capacity),
            ("phone", "07700 900401"),
            ("email", "isva@example.org"),
            ("web", ""),
            ("commissioner", "Office of the PCC"),
            ("contract_ends", ends),
            ("active", "yes"),
        ]
    };
    let mut refused_form = form("Severnshire ISVA", "2026-05-01", "0");
    refused_form.push(("csrf", &csrf));
    let refused = keeper.post(&site, "/support-services", &refused_form).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(refused.body.contains("at least one"), "{}", refused.body);
    assert!(
        refused.body.contains(">Severnshire ISVA</textarea>"),
        "kept: {}",
        refused.body
    );

    // The site's clock is in March 2026: a contract ending in May is within six months.
    let mut good = form("Severnshire ISVA", "2026-05-01", "3");
    good.push(("csrf", &csrf));
    let added = keeper.post(&site, "/support-services", &good).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let page = reader
        .get(&site, "/support-services?kind=isva&area=bristol&age=14")
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for shown in [
        "Severnshire ISVA",
        "Independent sexual violence adviser (ISVA)",
        "13 to 25",
        "bristol, south-gloucestershire",
        "Ends within six months:",
        "Contracts ending within six months",
    ] {
        assert!(page.body.contains(shown), "{shown:?} in {}", page.body);
    }
    assert!(
        !page.body.contains("Add a service"),
        "an investigator may not add"
    );
    let elsewhere = reader
        .get(&site, "/support-services?area=north-somerset")
        .await;
    assert!(
        elsewhere.body.contains("No services match."),
        "{}",
        elsewhere.body
    );
    let bad_filter = reader.get(&site, "/support-services?age=old").await;
    assert_eq!(bad_filter.status, StatusCode::UNPROCESSABLE_ENTITY);

    let href = page
        .body
        .split("href=\"/support-services/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let path = format!("/support-services/{href}");
    let own = keeper.get(&site, &path).await;
    assert!(own.body.contains("Change this service"), "{}", own.body);
    let read = reader.get(&site, &path).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(!read.body.contains("Change this service"), "{}", read.body);
    let mut closed = form("Severnshire ISVA", "", "3");
    closed.retain(|(k, _)| *k != "active");
    closed.push(("csrf", &csrf));
    let changed = keeper.post(&site, &path, &closed).await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let read = reader.get(&site, &path).await;
    assert!(read.body.contains("No: closed"), "{}", read.body);
    let csv = reader.get(&site, "/support-services.csv").await;
    assert!(csv.body.starts_with("name,kind,serves"), "{}", csv.body);
    assert!(csv.body.contains("Severnshire ISVA,isva"), "{}", csv.body);

    // An investigator's change is refused.
    let token = read.csrf();
    let mut theirs = form("Renamed", "", "3");
    theirs.push(("csrf", &token));
    let refused = reader.post(&site, &path, &theirs).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
}

async fn the_api_lists_adds_reads_and_changes_and_refuses_others(db: Db) {
    let site = Site::new(db).await;
    let pcc = site.org("PCC", OrgKind::PccOffice).await;
    let commissioner = site.person_in(pcc, "pcc.a", &[Role::PccOffice], true).await;
    let officer = site
        .person("safe.a", &[Role::SafeguardingOfficer], true)
        .await;
    let mut theirs = Browser::new();
    theirs.sign_in(&site, &commissioner).await;
    let mut ours = Browser::new();
    ours.sign_in(&site, &officer).await;
    let token = theirs.get(&site, "/").await.csrf();
    let added = theirs
        .post_json(
            &site,
            "/api/support-services",
            Some(&token),
            &service("PCC Young Victims"),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    let stored: Value = serde_json::from_str(&added.body).unwrap();
    let id = stored["id"].as_i64().unwrap();
    assert_eq!(stored["name"], "PCC Young Victims");
    assert_eq!(stored["updated_by"], "pcc.a");

    let bad = theirs
        .post_json(&site, "/api/support-services", Some(&token), &{
            let mut too_old = service("Too old");
            too_old["max_age"] = json!(30);
            too_old
        })
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);

    let listed = ours
        .get(&site, "/api/support-services?area=bristol&age=10")
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let listed: Value = serde_json::from_str(&listed.body).unwrap();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["services"][0]["may_change"], false);
    assert_eq!(listed["services"][0]["kept_by"], "PCC");
    assert_eq!(listed["may_add"], true);
    let one = ours
        .get(&site, &format!("/api/support-services/{id}"))
        .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    let missing = ours.get(&site, "/api/support-services/99999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);

    let put = |token: &str, body: Value| {
        axum::http::Request::put(format!("/api/support-services/{id}"))
            .header(axum::http::header::CONTENT_TYPE, "application/json")
            .header("x-csrf-token", token)
            .body(axum::body::Body::from(body.to_string()))
            .unwrap()
    };
    let mut closed = service("PCC Young Victims");
    closed["active"] = json!(false);
    let changed = theirs.send(&site, put(&token, closed.clone())).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(
        serde_json::from_str::<Value>(&changed.body).unwrap()["active"],
        false
    );
    // The force's safeguarding officer may not change the PCC's entry.
    let ours_token = ours.get(&site, "/").await.csrf();
    let refused = ours.send(&site, put(&ours_token, closed)).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("Another organisation"),
        "{}",
        refused.body
    );
    let log = site.audit_log().await;
    assert!(
        log.iter().any(|e| e.actor == "safe.a"
            && e.target == format!("support_service:{id}")
            && e.outcome == "denied:invalid"),
        "the refusal is logged"
    );
}
