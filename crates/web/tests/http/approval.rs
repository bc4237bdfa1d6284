//! Case and audit roles, and resets of accounts holding them, wait on the staff page for a second
//! administrator of the same organisation.

use crate::pages::{from_base32, log, shown};
use crate::support::{Browser, Site, operator};
use axum::http::StatusCode;
use severn_domain::access::{OrgKind, Role};
use severn_store::Db;

severn_store::backend_matrix!(
    a_second_administrator_approves_case_and_audit_roles_on_the_staff_page,
);

async fn a_second_administrator_approves_case_and_audit_roles_on_the_staff_page(db: Db) {
    let site = Site::new(db).await;
    let one = site.person("adm.one", &[Role::Administrator], true).await;
    let two = site.person("adm.two", &[Role::Administrator], true).await;
    let auditor = site.person("the.auditor", &[Role::Auditor], true).await;
    let other = site.org("F2", OrgKind::Force).await;
    let elsewhere = site
        .person_in(other, "adm.elsewhere", &[Role::Administrator], true)
        .await;
    let mut first = Browser::new();
    first.sign_in(&site, &one).await;
    let csrf = first.get(&site, "/staff").await.csrf();

    // One administrator asks: nothing is added yet, and they are told who must act.
    let asked = first
        .post(
            &site,
            "/staff",
            &[
                ("csrf", &csrf),
                ("kind", "person"),
                ("username", "n.inv"),
                ("display_name", "Nia Investigator"),
                ("role.investigator", "yes"),
            ],
        )
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(asked.body.contains("Waiting for a second administrator"));
    assert!(!asked.body.contains("These are shown once."));
    assert!(site.app.staff_by_username("n.inv").await.unwrap().is_none());
    let request = site.app.pending_staff_changes(&operator()).await.unwrap()[0].id;
    let approve = format!("/staff/requests/{request}/approve");

    // The one who asked sees the request with a way to withdraw it, not to approve it; approving anyway is
    // refused.
    let page = first.get(&site, "/staff").await;
    assert!(page.body.contains("add n.inv with roles investigator"));
    assert!(page.body.contains("Withdraw"));
    assert!(!page.body.contains(&approve), "{}", page.body);
    let own = first.post(&site, &approve, &[("csrf", &csrf)]).await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", own.body);
    assert!(own.body.contains("another administrator"));
    assert!(site.app.staff_by_username("n.inv").await.unwrap().is_none());

    // Another organisation's administrator neither sees it nor can approve it.
    let mut theirs = Browser::at("198.51.100.30");
    theirs.sign_in(&site, &elsewhere).await;
    let page = theirs.get(&site, "/staff").await;
    assert!(!page.body.contains("n.inv"));
    let refused = theirs
        .post(&site, &approve, &[("csrf", &page.csrf())])
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.body);

    // A second administrator of the organisation approves, and is shown the credentials, which work.
    let mut second = Browser::at("198.51.100.31");
    second.sign_in(&site, &two).await;
    let page = second.get(&site, "/staff").await;
    assert!(page.body.contains(&approve), "{}", page.body);
    let approved = second
        .post(&site, &approve, &[("csrf", &page.csrf())])
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    assert!(approved.body.contains("These are shown once."));
    let password = shown(&approved.body, "Password");
    let secret = from_base32(&shown(&approved.body, "Authenticator key"));
    let mut newcomer = Browser::at("198.51.100.20");
    let step = newcomer.enter_password(&site, "n.inv", &password).await;
    assert_eq!(step.location(), "/sign-in/code", "{}", step.body);
    newcomer
        .enter_code(&site, &secret.code_at(site.now()))
        .await;
    assert_eq!(newcomer.get(&site, "/queue").await.status, StatusCode::OK);

    // Resetting the auditor waits too; the second administrator rejects it and nothing changes.
    let reset = first
        .post(
            &site,
            &format!("/staff/{}/reset", auditor.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    assert!(reset.body.contains("Waiting for a second administrator"));
    assert!(!reset.body.contains("These are shown once."));
    let request = site.app.pending_staff_changes(&operator()).await.unwrap()[0].id;
    let page = second.get(&site, "/staff").await;
    assert!(
        page.body
            .contains("reset the password and authenticator of the.auditor")
    );
    let rejected = second
        .post(
            &site,
            &format!("/staff/requests/{request}/reject"),
            &[("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(rejected.status, StatusCode::SEE_OTHER, "{}", rejected.body);
    let mut auditors = Browser::at("198.51.100.40");
    auditors.sign_in(&site, &auditor).await;
    assert_eq!(auditors.get(&site, "/audit").await.status, StatusCode::OK);

    // Both steps of each change are in the log, with no secret.
    let entries = log(&site).await;
    for (actor, detail, outcome) in [
        (
            "adm.one",
            "approval requested: add with roles investigator",
            "allowed",
        ),
        (
            "adm.one",
            "approved request 1 of adm.one: add n.inv with roles investigator",
            "denied:own_request",
        ),
        (
            "adm.elsewhere",
            "approved request 1 of adm.one: add n.inv with roles investigator",
            "denied:other_force",
        ),
        (
            "adm.two",
            "approved request 1 of adm.one: add n.inv with roles investigator",
            "allowed",
        ),
        (
            "adm.one",
            "approval requested: password and authenticator reset",
            "allowed",
        ),
        (
            "adm.two",
            "rejected request 2 of adm.one: reset the password and authenticator of the.auditor",
            "allowed",
        ),
    ] {
        assert!(
            entries.iter().any(|e| e.actor == actor
                && e.action == "manage_staff"
                && e.detail.as_deref() == Some(detail)
                && e.outcome == outcome),
            "{actor} {detail} {outcome}"
        );
    }
    assert!(
        entries
            .iter()
            .all(|e| !format!("{e:?}").contains(&password))
    );
}
