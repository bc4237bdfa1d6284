//! Free text on the pages: past its limit it is refused with a clear 422, and what is stored is shown with
//! its control characters and text-direction marks escaped, so it cannot turn a table cell around.

use crate::cases::{ingest_two, subjects_on};
use crate::support::{Browser, Site};
use axum::http::StatusCode;
use severn_domain::access::{OrgKind, Role};
use severn_store::Db;

severn_store::backend_matrix!(a_share_reason_is_bounded_and_shown_escaped);

async fn a_share_reason_is_bounded_and_shown_escaped(db: Db) {
    let site = Site::new(db).await;
    ingest_two(&site).await;
    let other_force = site.org("F2", OrgKind::Force).await;
    let supervisor = site.person("s.sup", &[Role::Supervisor], true).await;
    site.person_in(other_force, "b.other", &[Role::Investigator], true)
        .await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &supervisor).await;
    let subject = subjects_on(&browser.get(&site, "/queue").await)[0].clone();
    let path = format!("/subjects/{subject}");
    let share = format!("{path}/share");
    let csrf = browser.get(&site, &path).await.csrf();

    let long = "x".repeat(1 << 20);
    let refused = browser
        .post(
            &site,
            &share,
            &[("csrf", &csrf), ("with", "b.other"), ("reason", &long)],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains(
            "The justification may be at most 2,000 characters long; this one has 1,048,576. Shorten it."
        ),
        "{}",
        refused.body
    );

    // "Operation Kestrel, not involved" written backwards after a right-to-left override reads, on screen,
    // as if the reason said so.
    let reason = "Operation Kestrel\u{202e}devlovni ton\n2026-12-01 forged";
    let shared = browser
        .post(
            &site,
            &share,
            &[("csrf", &csrf), ("with", "b.other"), ("reason", reason)],
        )
        .await;
    assert_eq!(shared.status, StatusCode::SEE_OTHER, "{}", shared.body);
    let shown = "Operation Kestrel\\u{202e}devlovni ton\\n2026-12-01 forged";
    let page = browser.get(&site, &path).await;
    assert!(page.body.contains(shown), "{}", page.body);
    assert!(!page.body.contains('\u{202e}'), "{}", page.body);

    let auditor = site.person("d.aud", &[Role::Auditor], true).await;
    let mut audit = Browser::at("192.0.2.77");
    audit.sign_in(&site, &auditor).await;
    let log = audit.get(&site, "/audit?actor=s.sup").await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    assert!(log.body.contains(shown), "{}", log.body);
    assert!(!log.body.contains('\u{202e}'), "{}", log.body);
}
