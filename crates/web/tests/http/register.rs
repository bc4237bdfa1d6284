//! The staff register and training records on the web: a person's post, workload and absences set by an
//! administrator of their force, skills added, training imported all or nothing and exported; the API twins;
//! everyone else refused.

use crate::support::{Browser, Site};
use axum::http::StatusCode;
use serde_json::{Value, json};
use severn_domain::access::{OrgKind, Role};
use severn_store::Db;

severn_store::backend_matrix!(
    an_administrator_sets_a_post_workload_and_absence_on_the_register_page,
    training_is_imported_all_or_nothing_and_exported_from_the_training_page,
    the_register_api_sets_and_reads_a_profile_and_refuses_others,
);

async fn signed_in(site: &Site, username: &str, roles: &[Role]) -> (Browser, i64) {
    let person = site.person(username, roles, true).await;
    let mut browser = Browser::new();
    browser.sign_in(site, &person).await;
    (browser, person.id.0)
}

async fn an_administrator_sets_a_post_workload_and_absence_on_the_register_page(db: Db) {
    let site = Site::new(db).await;
    let (mut admin, _) = signed_in(&site, "adm.a", &[Role::Administrator]).await;
    let (mut investigator, inv) = signed_in(&site, "inv.a", &[Role::Investigator]).await;
    let staff = admin.get(&site, "/staff").await;
    assert!(
        staff
            .body
            .contains(&format!("href=\"/staff/{inv}/register\"")),
        "{}",
        staff.body
    );
    let path = format!("/staff/{inv}/register");
    let page = admin.get(&site, &path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("No post is set yet"), "{}", page.body);
    let csrf = page.csrf();

    let refused = admin
        .post(
            &site,
            &format!("/staff/{inv}/profile"),
            &[
                ("csrf", &csrf),
                ("post", "Investigator"),
                ("capacity", "lots"),
                ("monday", "yes"),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(refused.body.contains("Capacity"), "{}", refused.body);
    assert!(
        refused.body.contains(">lots</textarea>"),
        "kept: {}",
        refused.body
    );

    let saved = admin
        .post(
            &site,
            &format!("/staff/{inv}/profile"),
            &[
                ("csrf", &csrf),
                ("post", "Investigator"),
                ("capacity", "12"),
                ("monday", "yes"),
                ("tuesday", "yes"),
                ("email", "inv.a@example.org"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let absent = admin
        .post(
            &site,
            &format!("/staff/{inv}/absences"),
            &[
                ("csrf", &csrf),
                ("first_day", "2026-03-10"),
                ("last_day", "2026-03-12"),
                ("reason", "Course"),
            ],
        )
        .await;
    assert_eq!(absent.status, StatusCode::SEE_OTHER, "{}", absent.body);
    let page = admin.get(&site, &path).await;
    for shown in [
        "12 live cases",
        "Monday Tuesday",
        "inv.a@example.org",
        "2026-03-10",
        "Course",
    ] {
        assert!(page.body.contains(shown), "{shown:?} in {}", page.body);
    }

    // Not an administrator: refused. Another organisation's administrator: not there.
    let refused = investigator.get(&site, &path).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let elsewhere = site.org("F9", OrgKind::Force).await;
    let other = site
        .person_in(elsewhere, "adm.b", &[Role::Administrator], true)
        .await;
    let mut other_admin = Browser::new();
    other_admin.sign_in(&site, &other).await;
    let hidden = other_admin.get(&site, &path).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{}", hidden.body);
}

async fn training_is_imported_all_or_nothing_and_exported_from_the_training_page(db: Db) {
    let site = Site::new(db).await;
    let (mut admin, _) = signed_in(&site, "adm.a", &[Role::Administrator]).await;
    site.person("inv.a", &[Role::Investigator], true).await;
    let page = admin.get(&site, "/training").await;
    assert!(
        page.body.contains("Import training records"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("pip2"),
        "the seed catalogue: {}",
        page.body
    );
    let csrf = page.csrf();

    let skill = admin
        .post(
            &site,
            "/training/skills",
            &[
                ("csrf", &csrf),
                ("code", "osint"),
                ("name", "Open-source research"),
                ("renew_after_months", "24"),
            ],
        )
        .await;
    assert_eq!(skill.status, StatusCode::SEE_OTHER, "{}", skill.body);
    let bad = "username,skill,achieved_on,expires_on,evidence\n\
               inv.a,osint,2026-01-10,,Course certificate\n\
               nobody,pip1,2026-01-10,,Certificate\n";
    let refused = admin
        .post(&site, "/training/import", &[("csrf", &csrf), ("csv", bad)])
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("nobody"),
        "names the bad row: {}",
        refused.body
    );
    assert!(
        refused.body.contains("Course certificate"),
        "keeps the file: {}",
        refused.body
    );
    let export = admin.get(&site, "/training/records.csv").await;
    assert!(
        !export.body.contains("osint"),
        "nothing half applied: {}",
        export.body
    );

    let good = "username,skill,achieved_on,expires_on,evidence\ninv.a,osint,2026-01-10,,Course certificate\n";
    let imported = admin
        .post(&site, "/training/import", &[("csrf", &csrf), ("csv", good)])
        .await;
    assert_eq!(imported.status, StatusCode::SEE_OTHER, "{}", imported.body);
    let export = admin.get(&site, "/training/records.csv").await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(
        export
            .body
            .starts_with("username,skill,achieved_on,expires_on,evidence")
    );
    assert!(
        export.body.contains("inv.a,osint,2026-01-10"),
        "{}",
        export.body
    );
    let page = admin.get(&site, "/training").await;
    assert!(page.body.contains("Open-source research"));
    assert!(page.body.contains("Every 24 months"));
}

async fn the_register_api_sets_and_reads_a_profile_and_refuses_others(db: Db) {
    let site = Site::new(db).await;
    let (mut admin, _) = signed_in(&site, "adm.a", &[Role::Administrator]).await;
    let (mut investigator, inv) = signed_in(&site, "inv.a", &[Role::Investigator]).await;
    let token = admin.get(&site, "/").await.csrf();
    let put = |body: Value| {
        axum::http::Request::put(format!("/api/staff/{inv}/profile"))
            .header(axum::http::header::CONTENT_TYPE, "application/json")
            .header("x-csrf-token", token.as_str())
            .body(axum::body::Body::from(body.to_string()))
            .unwrap()
    };
    let bad = admin
        .send(
            &site,
            put(json!({ "post": "Investigator", "capacity": 10, "working_days": ["funday"] })),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("working_days"), "{}", bad.body);
    let set = admin
        .send(
            &site,
            put(json!({ "post": "Investigator", "capacity": 10, "working_days": ["monday", "friday"] })),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let entry: Value = serde_json::from_str(&set.body).unwrap();
    assert_eq!(
        entry["profile"]["working_days"],
        json!(["monday", "friday"])
    );
    assert_eq!(entry["profile"]["capacity"], 10);
    let absence = admin
        .post_json(
            &site,
            &format!("/api/staff/{inv}/absences"),
            Some(&token),
            &json!({ "first_day": "2026-04-01", "last_day": "2026-04-03", "reason": "Leave" }),
        )
        .await;
    assert_eq!(absence.status, StatusCode::OK, "{}", absence.body);
    let entry: Value = serde_json::from_str(&absence.body).unwrap();
    assert_eq!(entry["absences"][0]["reason"], "Leave");
    let read = admin
        .get(&site, &format!("/api/staff/{inv}/register"))
        .await;
    assert_eq!(read.status, StatusCode::OK);
    let skills = admin.get(&site, "/api/training/skills").await;
    let skills: Value = serde_json::from_str(&skills.body).unwrap();
    assert!(
        skills
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["code"] == "pip2")
    );
    let imported = admin
        .post_json(
            &site,
            "/api/training/import",
            Some(&token),
            &json!({ "csv": "username,skill,achieved_on,expires_on,evidence\ninv.a,pip1,2026-01-10,,Certificate\n" }),
        )
        .await;
    assert_eq!(imported.status, StatusCode::OK, "{}", imported.body);
    assert_eq!(
        serde_json::from_str::<Value>(&imported.body).unwrap()["imported"],
        1
    );
    let records = admin.get(&site, "/api/training/records").await;
    assert!(records.body.contains("pip1"), "{}", records.body);

    let token = investigator.get(&site, "/").await.csrf();
    let refused = investigator
        .get(&site, &format!("/api/staff/{inv}/register"))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = investigator
        .post_json(
            &site,
            "/api/training/import",
            Some(&token),
            &json!({ "csv": "" }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
}
