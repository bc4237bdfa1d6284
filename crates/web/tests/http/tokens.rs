//! API tokens over their life, on both backends: issued with an expiry, refused once expired or revoked (and
//! the refusal logged), revoked from the staff page by their own organisation's administrators only, and
//! revoked for good when their account is deactivated.

use crate::support::{Browser, Site, operator};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use severn_app::audit::AuditEntryView as AuditEntry;
use severn_domain::access::{OrgKind, Role};
use severn_domain::identity::TokenLifetime;
use severn_store::{AuditQuery, Db};

/// What `/api/me` answers to `token`.
async fn call(site: &Site, token: &str) -> StatusCode {
    let request = Request::get("/api/me")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    Browser::at("192.0.2.60").send(site, request).await.status
}

/// The outcomes of the security entries about `account`'s tokens, oldest first.
async fn token_refusals(site: &Site, account: &str) -> Vec<String> {
    let mut entries: Vec<AuditEntry> = site
        .app
        .audit_search(
            &operator(),
            &AuditQuery {
                limit: 10_000,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    entries.sort_by_key(|e| e.seq);
    entries
        .into_iter()
        .filter(|e| e.action == "api_token" && e.actor == account)
        .map(|e| e.outcome)
        .collect()
}

/// The token shown once on a credentials page.
fn shown_token(body: &str) -> String {
    let start = body.find("<dt>API token</dt>").unwrap();
    let value = &body[start..];
    let value = &value[value.find("secret--uri\">").unwrap() + "secret--uri\">".len()..];
    value[..value.find('<').unwrap()].to_owned()
}

async fn tokens_expire_and_administrators_revoke_them_on_the_staff_page(db: Db) {
    let site = Site::new(db).await;
    let admin = site.person("adm.one", &[Role::Administrator], true).await;
    site.service("nca-feed").await;
    let feed = site
        .app
        .staff_by_username("nca-feed")
        .await
        .unwrap()
        .unwrap();
    let mut browser = Browser::new();
    browser.sign_in(&site, &admin).await;
    let page = browser.get(&site, "/staff").await;
    assert!(
        page.body.contains("test feed"),
        "the fixture's token is listed"
    );
    let csrf = page.csrf();

    // A lifetime outside a year is refused in plain words; a week is taken and shown.
    for days in ["0", "366", "many"] {
        let page = browser
            .post(
                &site,
                &format!("/staff/{}/token", feed.id),
                &[("csrf", &csrf), ("label", "Weekly"), ("days", days)],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{days}");
        assert!(
            page.body.contains("How long the token lives"),
            "{}",
            page.body
        );
    }
    let page = browser
        .post(
            &site,
            &format!("/staff/{}/token", feed.id),
            &[("csrf", &csrf), ("label", "Weekly"), ("days", "7")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Works until"));
    assert!(page.body.contains("2026-03-09 09:00 GMT"), "{}", page.body);
    let weekly = shown_token(&page.body);
    assert_eq!(call(&site, &weekly).await, StatusCode::OK);

    // A week on, it is refused; the fixture's 90-day token still works.
    site.advance_minutes(7 * 24 * 60);
    assert_eq!(call(&site, &weekly).await, StatusCode::UNAUTHORIZED);
    browser.sign_in(&site, &admin).await;
    let page = browser.get(&site, "/staff").await;
    assert!(page.body.contains("Expired"), "{}", page.body);

    // Revoked from the page, a token is refused at once; another organisation's administrator cannot revoke
    // it (to them it does not exist).
    let page = browser
        .post(
            &site,
            &format!("/staff/{}/token", feed.id),
            &[("csrf", &page.csrf()), ("label", "Spare"), ("days", "")],
        )
        .await;
    let spare = shown_token(&page.body);
    assert_eq!(call(&site, &spare).await, StatusCode::OK);
    let spare_id = site
        .app
        .api_tokens(&operator(), Some(feed.id))
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.label == "Spare")
        .unwrap();
    assert_eq!(
        spare_id.expires_at.as_second(),
        TokenLifetime::default().expires_at(site.now())
    );
    let other = site.org("F2", OrgKind::Force).await;
    let elsewhere = site
        .person_in(other, "adm.two", &[Role::Administrator], true)
        .await;
    let mut theirs = Browser::at("198.51.100.30");
    theirs.sign_in(&site, &elsewhere).await;
    let their_page = theirs.get(&site, "/staff").await;
    assert!(
        !their_page.body.contains("Spare"),
        "only their own organisation's tokens"
    );
    let revoke = format!("/staff/tokens/{}/revoke", spare_id.id);
    let page = theirs
        .post(&site, &revoke, &[("csrf", &their_page.csrf())])
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.body);
    let missing = theirs
        .post(
            &site,
            "/staff/tokens/999999/revoke",
            &[("csrf", &their_page.csrf())],
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(call(&site, &spare).await, StatusCode::OK);

    let csrf = browser.get(&site, "/staff").await.csrf();
    let page = browser.post(&site, &revoke, &[("csrf", &csrf)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(call(&site, &spare).await, StatusCode::UNAUTHORIZED);
    let page = browser.get(&site, "/staff").await;
    assert!(page.body.contains("Revoked"), "{}", page.body);

    assert_eq!(
        token_refusals(&site, "nca-feed").await,
        ["refused:expired_token", "refused:revoked_token"]
    );
}

async fn deactivating_an_account_revokes_its_tokens_for_good(db: Db) {
    let site = Site::new(db).await;
    let admin = site.person("adm.one", &[Role::Administrator], true).await;
    let token = site.service("nca-feed").await;
    let feed = site
        .app
        .staff_by_username("nca-feed")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(call(&site, &token).await, StatusCode::OK);
    let mut browser = Browser::new();
    browser.sign_in(&site, &admin).await;
    let csrf = browser.get(&site, "/staff").await.csrf();
    for step in ["deactivate", "reactivate"] {
        let page = browser
            .post(
                &site,
                &format!("/staff/{}/{step}", feed.id),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    }
    assert_eq!(call(&site, &token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        token_refusals(&site, "nca-feed").await,
        ["refused:revoked_token"]
    );
}

severn_store::backend_matrix!(
    tokens_expire_and_administrators_revoke_them_on_the_staff_page,
    deactivating_an_account_revokes_its_tokens_for_good,
);
