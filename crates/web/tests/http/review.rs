//! The investigator's desk on the case page and a supervisor's review of the band: the suspect profile and
//! the band's reasons shown, the band overridden on the subject page before a case and the assessment signed
//! off on the case page, each offered only to those who may, and a refusal that keeps what was typed.

use crate::cases::ingest_two;
use crate::support::{Browser, Site, operator};
use axum::http::StatusCode;
use serde_json::json;
use severn_domain::access::Role;
use severn_store::Db;

severn_store::backend_matrix!(
    a_supervisor_overrides_the_band_then_another_signs_it_off_on_the_case_page,
    the_api_overrides_and_signs_off_and_refuses_the_assessors_own_sign_off,
    a_task_is_set_listed_and_done_from_the_case_page,
);

async fn first_subject(site: &Site) -> i64 {
    ingest_two(site).await;
    site.app.queue(&operator(), 10).await.unwrap()[0].subject.0
}

async fn signed_in(site: &Site, username: &str, roles: &[Role]) -> Browser {
    let person = site.person(username, roles, true).await;
    let mut browser = Browser::new();
    browser.sign_in(site, &person).await;
    browser
}

async fn a_supervisor_overrides_the_band_then_another_signs_it_off_on_the_case_page(db: Db) {
    let site = Site::new(db).await;
    let subject = first_subject(&site).await;
    let mut investigator = signed_in(&site, "a.inv", &[Role::Investigator]).await;
    let mut supervisor = signed_in(&site, "a.sup", &[Role::Supervisor]).await;
    let mut second = signed_in(&site, "b.sup", &[Role::Supervisor]).await;

    let page = investigator
        .get(&site, &format!("/subjects/{subject}"))
        .await;
    assert!(
        page.body.contains("On the queue"),
        "plain words: {}",
        page.body
    );
    assert!(
        !page.body.contains("Override the band"),
        "not offered to an investigator"
    );

    let page = supervisor.get(&site, &format!("/subjects/{subject}")).await;
    assert!(page.body.contains("Override the band"), "{}", page.body);
    let csrf = page.csrf();
    let path = format!("/subjects/{subject}/override");
    let refused = supervisor
        .post(
            &site,
            &path,
            &[("csrf", &csrf), ("band", "very_high"), ("rationale", " ")],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains(&format!("href=\"/subjects/{subject}#band\""))
    );
    let done = supervisor
        .post(
            &site,
            &path,
            &[
                ("csrf", &csrf),
                ("band", "very_high"),
                ("rationale", "A child is at immediate risk."),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);

    let csrf = investigator
        .get(&site, &format!("/subjects/{subject}"))
        .await
        .csrf();
    let opened = investigator
        .post(
            &site,
            &format!("/subjects/{subject}/case"),
            &[("csrf", &csrf)],
        )
        .await;
    let case = opened.location().trim_start_matches("/cases/").to_owned();
    let desk = investigator.get(&site, &format!("/cases/{case}")).await;
    for shown in [
        "The suspect",
        "first.person@example.com",
        "Children named",
        "Why this band",
        "Overridden by a.sup",
        "A child is at immediate risk.",
        "Not yet signed off by a supervisor.",
        "NCMEC CyberTipline",
    ] {
        assert!(desk.body.contains(shown), "{shown:?} in {}", desk.body);
    }
    assert!(
        !desk.body.contains("Sign off the assessment"),
        "not offered to an investigator"
    );

    // The supervisor who overrode cannot sign off their own decision; what they typed is kept.
    let page = supervisor.get(&site, &format!("/cases/{case}")).await;
    assert!(
        page.body.contains("You made this assessment"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("Sign off the assessment"),
        "not offered to its maker"
    );
    let own = supervisor
        .post(
            &site,
            &format!("/subjects/{subject}/sign-off"),
            &[
                ("csrf", &page.csrf()),
                ("comment", "Looks right to me"),
                ("back", &format!("/cases/{case}#band")),
            ],
        )
        .await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", own.body);
    assert!(own.body.contains("another supervisor"), "{}", own.body);
    assert!(own.body.contains("Looks right to me"), "kept: {}", own.body);
    assert!(own.body.contains(&format!("href=\"/cases/{case}#band\"")));

    let page = second.get(&site, &format!("/cases/{case}")).await;
    assert!(
        page.body.contains("Sign off the assessment"),
        "{}",
        page.body
    );
    let signed = second
        .post(
            &site,
            &format!("/subjects/{subject}/sign-off"),
            &[
                ("csrf", &page.csrf()),
                ("comment", "Agreed."),
                ("back", "https://example.com/"),
            ],
        )
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    assert_eq!(
        signed.location(),
        format!("/subjects/{subject}"),
        "never elsewhere"
    );
    let desk = investigator.get(&site, &format!("/cases/{case}")).await;
    assert!(desk.body.contains("Signed off by b.sup"), "{}", desk.body);
    assert!(!desk.body.contains("Not yet signed off"));
}

async fn the_api_overrides_and_signs_off_and_refuses_the_assessors_own_sign_off(db: Db) {
    let site = Site::new(db).await;
    let subject = first_subject(&site).await;
    let mut investigator = signed_in(&site, "a.inv", &[Role::Investigator]).await;
    let mut supervisor = signed_in(&site, "a.sup", &[Role::Supervisor]).await;
    let mut second = signed_in(&site, "b.sup", &[Role::Supervisor]).await;
    let token = investigator.get(&site, "/").await.csrf();
    let denied = investigator
        .post_json(
            &site,
            &format!("/api/subjects/{subject}/override"),
            Some(&token),
            &json!({ "band": "high", "rationale": "Because." }),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.body);

    let token = supervisor.get(&site, "/").await.csrf();
    let bad = supervisor
        .post_json(
            &site,
            &format!("/api/subjects/{subject}/override"),
            Some(&token),
            &json!({ "band": "urgent", "rationale": "Because." }),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("very_high, high, medium, low"),
        "{}",
        bad.body
    );
    let done = supervisor
        .post_json(
            &site,
            &format!("/api/subjects/{subject}/override"),
            Some(&token),
            &json!({ "band": "high", "rationale": "Enticement of a named child." }),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let own = supervisor
        .post_json(
            &site,
            &format!("/api/subjects/{subject}/sign-off"),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", own.body);

    let token = second.get(&site, "/").await.csrf();
    let signed = second
        .post_json(
            &site,
            &format!("/api/subjects/{subject}/sign-off"),
            Some(&token),
            &json!({ "comment": "Agreed." }),
        )
        .await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.body);
    let body: serde_json::Value = serde_json::from_str(&signed.body).unwrap();
    assert_eq!(body["subject"], subject);
}

async fn a_task_is_set_listed_and_done_from_the_case_page(db: Db) {
    let site = Site::new(db).await;
    let subject = first_subject(&site).await;
    let mut investigator = signed_in(&site, "a.inv", &[Role::Investigator]).await;
    let csrf = investigator
        .get(&site, &format!("/subjects/{subject}"))
        .await
        .csrf();
    let opened = investigator
        .post(
            &site,
            &format!("/subjects/{subject}/case"),
            &[("csrf", &csrf)],
        )
        .await;
    let case = opened.location().trim_start_matches("/cases/").to_owned();
    let page = investigator.get(&site, &format!("/cases/{case}")).await;
    assert!(page.body.contains("No task is waiting."), "{}", page.body);
    assert!(
        !page.body.contains("Record: Task done"),
        "nothing to mark done yet"
    );
    let now = jiff::Timestamp::from_second(site.now()).unwrap();
    let (date, time) = (
        now.strftime("%Y-%m-%d").to_string(),
        now.strftime("%H:%M").to_string(),
    );
    let events = format!("/cases/{case}/events");
    let set = investigator
        .post(
            &site,
            &events,
            &[
                ("csrf", &page.csrf()),
                ("kind", "task_set"),
                ("task", "1"),
                ("text", "Request subscriber details for the e-mail address"),
                ("due", "2026-03-02"),
                ("date", &date),
                ("time", &time),
            ],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
    let page = investigator.get(&site, &format!("/cases/{case}")).await;
    assert!(
        page.body
            .contains("Request subscriber details for the e-mail address")
    );
    assert!(
        page.body.contains("a task set on the case is not done"),
        "open work"
    );
    assert!(
        page.body.contains("Task 1: Request subscriber details"),
        "offered as done"
    );
    let done = investigator
        .post(
            &site,
            &events,
            &[
                ("csrf", &page.csrf()),
                ("kind", "task_done"),
                ("task", "1"),
                ("date", &date),
                ("time", &time),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = investigator.get(&site, &format!("/cases/{case}")).await;
    assert!(page.body.contains("No task is waiting."), "{}", page.body);
}
