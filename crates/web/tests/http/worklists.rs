//! The worklist on the web and in the API: filters and sorts as query parameters, a bad one named, saved
//! filters (saved, listed, private, deleted), and "New" since the last visit.

use crate::cases::{ingest_two, subjects_on};
use crate::support::{Browser, Site};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use severn_domain::access::Role;
use severn_store::Db;

severn_store::backend_matrix!(
    the_page_filters_sorts_saves_filters_and_marks_what_is_new,
    the_api_takes_the_same_filters_and_keeps_saved_filters_private,
);

async fn signed_in(site: &Site, username: &str, roles: &[Role]) -> Browser {
    let person = site.person(username, roles, true).await;
    let mut browser = Browser::new();
    browser.sign_in(site, &person).await;
    browser
}

/// Opens a case on each subject in the queue, oldest first; their numbers.
async fn open_all(site: &Site, browser: &mut Browser) -> Vec<i64> {
    let queue = browser.get(site, "/queue").await;
    let mut cases = Vec::new();
    for subject in subjects_on(&queue) {
        let csrf = browser
            .get(site, &format!("/subjects/{subject}"))
            .await
            .csrf();
        let opened = browser
            .post(
                site,
                &format!("/subjects/{subject}/case"),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
        cases.push(
            opened
                .location()
                .trim_start_matches("/cases/")
                .parse()
                .unwrap(),
        );
    }
    cases
}

async fn the_page_filters_sorts_saves_filters_and_marks_what_is_new(db: Db) {
    let site = Site::new(db).await;
    ingest_two(&site).await;
    let mut browser = signed_in(&site, "w.sup", &[Role::Supervisor]).await;
    let queue = browser.get(&site, "/queue").await;
    let first_subject = subjects_on(&queue)[0].clone();
    let csrf = browser
        .get(&site, &format!("/subjects/{first_subject}"))
        .await
        .csrf();
    let opened = browser
        .post(
            &site,
            &format!("/subjects/{first_subject}/case"),
            &[("csrf", &csrf)],
        )
        .await;
    let first: i64 = opened
        .location()
        .trim_start_matches("/cases/")
        .parse()
        .unwrap();

    // The first visit to the list has nothing to count from; it records the visit.
    let page = browser.get(&site, "/cases?list=open").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        !page.body.contains("new since your last visit"),
        "{}",
        page.body
    );
    for words in [
        "Restricted only",
        "Shared only",
        "Sort by",
        "Deadline",
        "Source",
        "Save filters",
    ] {
        assert!(page.body.contains(words), "{words}: {}", page.body);
    }
    site.advance_minutes(5);
    let second = open_all(&site, &mut browser).await[0];
    site.advance_minutes(5);
    let page = browser
        .get(&site, "/cases?list=open&sort=case&order=desc")
        .await;
    assert!(
        page.body.contains("1 new since your last visit."),
        "{}",
        page.body
    );
    let (at_second, at_first) = (
        page.body
            .find(&format!("href=\"/cases/{second}\""))
            .unwrap(),
        page.body.find(&format!("href=\"/cases/{first}\"")).unwrap(),
    );
    assert!(at_second < at_first, "newest case first");
    assert_eq!(
        page.body.matches("<span class=\"tag\">New</span>").count(),
        1
    );
    assert!(
        page.body.contains("<option value=\"desc\" selected>"),
        "{}",
        page.body
    );

    // A bad parameter is named, with the values it takes, and the navigation kept.
    let bad = browser.get(&site, "/cases?list=open&band=purple").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body
            .contains("choose one of very_high, high, medium, low"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("href=\"/cases\""), "{}", bad.body);

    // Save the filters shown; they come back as a link above the list.
    let csrf = page.csrf();
    let saved = browser
        .post(
            &site,
            "/cases/filters",
            &[
                ("csrf", &csrf),
                ("name", "Newest first"),
                ("list", "open"),
                ("sort", "case"),
                ("order", "desc"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), "/cases?list=open&sort=case&order=desc");
    let page = browser.get(&site, "/cases").await;
    assert!(page.body.contains("Newest first"), "{}", page.body);
    assert!(
        page.body
            .contains("href=\"/cases?list=open&#38;sort=case&#38;order=desc\""),
        "{}",
        page.body
    );

    // A name that is too long is refused beside the form, with what was typed.
    let long = "n".repeat(61);
    let refused = browser
        .post(
            &site,
            "/cases/filters",
            &[("csrf", &csrf), ("name", &long), ("list", "open")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("The filter was not saved"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains(&long));
    // Without the token nothing is saved.
    let forged = browser
        .post(
            &site,
            "/cases/filters",
            &[("csrf", "forged"), ("name", "x")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // Another person does not see it, nor can they delete it.
    let mut other = signed_in(&site, "w.inv", &[Role::Investigator]).await;
    let theirs = other.get(&site, "/cases?list=open").await;
    assert!(!theirs.body.contains("Newest first"));
    let id = page
        .body
        .split("/cases/filters/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_owned();
    let refused = other
        .post(
            &site,
            &format!("/cases/filters/{id}/delete"),
            &[("csrf", &theirs.csrf())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let deleted = browser
        .post(
            &site,
            &format!("/cases/filters/{id}/delete"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(
        !browser
            .get(&site, "/cases")
            .await
            .body
            .contains("Newest first")
    );
}

async fn api(
    browser: &mut Browser,
    site: &Site,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let csrf = browser.get(site, "/sessions").await.csrf();
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("x-csrf-token", csrf)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    let page = browser.send(site, request).await;
    (
        page.status,
        serde_json::from_str(&page.body).unwrap_or(Value::Null),
    )
}

async fn the_api_takes_the_same_filters_and_keeps_saved_filters_private(db: Db) {
    let site = Site::new(db).await;
    ingest_two(&site).await;
    let mut sup = signed_in(&site, "a.sup", &[Role::Supervisor]).await;
    let cases = open_all(&site, &mut sup).await;
    let (status, page) = api(
        &mut sup,
        &site,
        "GET",
        "/api/cases?list=open&sort=case&order=desc",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let listed: Vec<i64> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["case"].as_i64().unwrap())
        .collect();
    let mut newest_first = cases.clone();
    newest_first.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(listed, newest_first);
    assert_eq!(page["entries"][0]["restricted"], json!(false));
    let (status, refused) = api(
        &mut sup,
        &site,
        "GET",
        "/api/cases?list=open&clock=late",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = refused["error"].as_str().unwrap();
    assert!(
        message.contains("\"clock\"") && message.contains("overdue, due_soon, on_track, stopped"),
        "{message}"
    );

    let (status, saved) = api(
        &mut sup,
        &site,
        "POST",
        "/api/cases/filters",
        Some(json!({ "name": "High, open", "filters": { "list": "open", "band": "high", "page": "3" } })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["query"], json!("list=open&band=high"));
    let (_, mine) = api(&mut sup, &site, "GET", "/api/cases/filters", None).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let (status, refused) = api(
        &mut sup,
        &site,
        "POST",
        "/api/cases/filters",
        Some(json!({ "name": "tab\there", "filters": {} })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");

    let mut other = signed_in(&site, "b.inv", &[Role::Investigator]).await;
    let (_, theirs) = api(&mut other, &site, "GET", "/api/cases/filters", None).await;
    assert_eq!(theirs, json!([]));
    let path = format!("/api/cases/filters/{}", saved["id"]);
    let (status, _) = api(&mut other, &site, "DELETE", &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api(&mut sup, &site, "DELETE", &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, mine) = api(&mut sup, &site, "GET", "/api/cases/filters", None).await;
    assert_eq!(mine, json!([]));
}
