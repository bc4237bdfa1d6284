//! Two administrators for the changes that hand out access to cases, the audit log or staff management:
//! scenarios on SQLite and PostgreSQL.

use severn_app::approval::{Change, REQUEST_LIFETIME_SECS};
use severn_app::audit::AuditEntryView as AuditEntry;
use severn_app::identity::Identity;
use severn_app::staff::StaffSpec;
use severn_app::{App, AppError};
use severn_domain::access::{Actor, OrgKind, Role, StaffKind};
use severn_domain::audit::AuditKey;
use severn_domain::clock::FixedClock;
use severn_domain::identity::IdentityPolicy;
use severn_domain::ids::{OrgId, StaffId};
use severn_store::{AuditQuery, Db, StaffChangeKind};
use std::sync::Arc;

severn_store::backend_matrix!(
    an_administrator_alone_cannot_give_case_or_audit_roles,
    resetting_an_account_that_opens_the_log_needs_a_second_administrator,
);

fn operator() -> Actor {
    Actor::Operator {
        name: "tester".into(),
    }
}

struct Site {
    app: App,
    /// The same database, for reading back what was stored.
    db: Db,
    clock: Arc<FixedClock>,
}

impl Site {
    fn new(db: Db) -> Site {
        let clock = Arc::new(FixedClock::new("2026-03-01T09:00:00Z".parse().unwrap()));
        Site {
            app: App::new(db.clone(), clock.clone(), AuditKey::new([5; 32])),
            db,
            clock,
        }
    }

    async fn org(&self, code: &str) -> OrgId {
        self.app
            .create_org(&operator(), code, code, OrgKind::Force)
            .await
            .unwrap()
    }

    /// An account made at the command line, which needs no second administrator.
    async fn staff(&self, org: OrgId, username: &str, role: Role) -> (StaffId, Actor) {
        let id = self
            .app
            .create_staff(&operator(), &spec(org, username, role))
            .await
            .unwrap();
        (id, self.app.staff_by_id(id).await.unwrap().unwrap().actor())
    }

    async fn log(&self) -> Vec<AuditEntry> {
        let mut entries = self
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
    }

    /// The latest entry by `actor`.
    async fn last_by(&self, actor: &str) -> AuditEntry {
        self.log()
            .await
            .into_iter()
            .rev()
            .find(|e| e.actor == actor)
            .unwrap()
    }

    async fn password_hash(&self, id: StaffId) -> Option<String> {
        let mut tx = self.db.begin_read().await.unwrap();
        let credential = tx.credential(id).await.unwrap();
        tx.commit().await.unwrap();
        credential.map(|c| c.password_hash)
    }
}

fn spec(org: OrgId, username: &str, role: Role) -> StaffSpec {
    StaffSpec {
        org,
        team: None,
        username: username.into(),
        display_name: username.into(),
        kind: StaffKind::Person,
        roles: vec![role],
    }
}

async fn an_administrator_alone_cannot_give_case_or_audit_roles(db: Db) {
    let site = Site::new(db);
    let force = site.org("F1").await;
    let other = site.org("F2").await;
    let (_, first) = site.staff(force, "adm.first", Role::Administrator).await;
    let (_, second) = site.staff(force, "adm.second", Role::Administrator).await;
    let (_, elsewhere) = site
        .staff(other, "adm.elsewhere", Role::Administrator)
        .await;
    let (_, analyst) = site.staff(force, "an.alyst", Role::Analyst).await;
    let app = &site.app;

    // Asking files a request: no account yet, and the request is logged.
    let Change::Requested(change) = app
        .add_staff(&first, &spec(force, "new.auditor", Role::Auditor))
        .await
        .unwrap()
    else {
        panic!("an auditor is not added by one administrator");
    };
    assert_eq!(change.kind, StaffChangeKind::Add);
    assert_eq!(change.roles, vec![Role::Auditor]);
    assert_eq!(
        change.expires_at,
        change.requested_at + REQUEST_LIFETIME_SECS
    );
    assert!(
        app.staff_by_username("new.auditor")
            .await
            .unwrap()
            .is_none()
    );
    let asked = site.last_by("adm.first").await;
    assert_eq!(
        (
            asked.action.as_str(),
            asked.target.as_str(),
            asked.outcome.as_str()
        ),
        ("manage_staff", "staff:new.auditor", "allowed")
    );
    assert_eq!(
        asked.detail.as_deref(),
        Some("approval requested: add with roles auditor")
    );
    // So is every role that reaches cases, and the administrator's own (else they could make a second).
    for role in [Role::Investigator, Role::Administrator] {
        let asked = app
            .add_staff(&first, &spec(force, &format!("new.{role}"), role))
            .await
            .unwrap();
        assert!(matches!(asked, Change::Requested(_)), "{role}");
    }
    // The same request cannot be filed twice.
    assert!(matches!(
        app.add_staff(&first, &spec(force, "new.auditor", Role::Auditor))
            .await,
        Err(AppError::Invalid(_))
    ));
    // Going round the request is refused, and the refusal logged.
    assert!(matches!(
        app.create_staff(&first, &spec(force, "sneaky", Role::Auditor))
            .await,
        Err(AppError::Invalid(_))
    ));
    assert_eq!(
        site.last_by("adm.first").await.outcome,
        "denied:needs_approval"
    );
    assert!(app.staff_by_username("sneaky").await.unwrap().is_none());
    // A role that sees figures only needs no second administrator.
    let Change::Done((pcc, _)) = app
        .add_staff(&first, &spec(force, "figures", Role::PccOffice))
        .await
        .unwrap()
    else {
        panic!("figures only need one administrator");
    };
    assert!(app.staff_by_id(pcc).await.unwrap().is_some());

    // The one who asked cannot approve; another organisation's administrator cannot see the request; nor
    // can someone who is not an administrator. Each refusal is logged.
    assert!(matches!(
        app.approve_staff_change(&first, change.id).await,
        Err(AppError::Invalid(_))
    ));
    assert_eq!(
        site.last_by("adm.first").await.outcome,
        "denied:own_request"
    );
    assert!(matches!(
        app.approve_staff_change(&elsewhere, change.id).await,
        Err(AppError::NotFound(_))
    ));
    let refused = site.last_by("adm.elsewhere").await;
    assert_eq!(refused.outcome, "denied:other_force");
    assert_eq!(refused.target, "staff:new.auditor");
    assert!(matches!(
        app.approve_staff_change(&elsewhere, 9_999).await,
        Err(AppError::NotFound(_))
    ));
    assert_eq!(
        site.last_by("adm.elsewhere").await.outcome,
        "denied:not_found"
    );
    assert!(matches!(
        app.approve_staff_change(&analyst, change.id).await,
        Err(AppError::Denied(_))
    ));
    assert_eq!(site.last_by("an.alyst").await.outcome, "denied:role");
    assert!(
        app.staff_by_username("new.auditor")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        app.pending_staff_changes(&elsewhere)
            .await
            .unwrap()
            .is_empty(),
        "another organisation's requests are not listed"
    );
    assert_eq!(app.pending_staff_changes(&second).await.unwrap().len(), 3);

    // A second administrator approves: the account is made, with its credentials for the approver.
    let approved = app.approve_staff_change(&second, change.id).await.unwrap();
    assert_eq!(approved.staff.username, "new.auditor");
    assert_eq!(approved.staff.roles, vec![Role::Auditor]);
    assert!(site.password_hash(approved.staff.id).await.is_some());
    let entry = site.last_by("adm.second").await;
    assert_eq!(entry.outcome, "allowed");
    assert_eq!(
        entry.detail.as_deref(),
        Some(
            format!(
                "approved request {} of adm.first: add new.auditor with roles auditor",
                change.id
            )
            .as_str()
        )
    );
    assert_eq!(app.pending_staff_changes(&second).await.unwrap().len(), 2);
    // A decided request stays decided.
    assert!(matches!(
        app.reject_staff_change(&second, change.id).await,
        Err(AppError::Invalid(_))
    ));
    assert_eq!(site.last_by("adm.second").await.outcome, "denied:decided");
}

async fn resetting_an_account_that_opens_the_log_needs_a_second_administrator(db: Db) {
    let site = Site::new(db);
    let force = site.org("F1").await;
    let (_, first) = site.staff(force, "adm.first", Role::Administrator).await;
    let (_, second) = site.staff(force, "adm.second", Role::Administrator).await;
    let (auditor, _) = site.staff(force, "the.auditor", Role::Auditor).await;
    let (pcc, _) = site.staff(force, "figures", Role::PccOffice).await;
    let identity = Identity::new(site.app.clone(), IdentityPolicy::default());
    identity
        .set_password(&operator(), auditor, "the auditor's own password")
        .await
        .unwrap();
    let before = site.password_hash(auditor).await;
    let app = &site.app;

    // Asking changes nothing; the command line's direct use cases are closed to an administrator too.
    let Change::Requested(change) = app.reset_credentials(&first, auditor).await.unwrap() else {
        panic!("the auditor's credentials are not reset by one administrator");
    };
    assert_eq!(change.kind, StaffChangeKind::Reset);
    let Change::Requested(again) = app.reset_credentials(&first, auditor).await.unwrap() else {
        panic!("asked again");
    };
    assert_eq!(again.id, change.id, "the request waiting stands");
    assert_eq!(
        site.last_by("adm.first").await.detail.as_deref(),
        Some("approval requested: password and authenticator reset")
    );
    for refused in [
        identity
            .set_password(&first, auditor, "a password chosen by one administrator")
            .await
            .map(|_| ()),
        identity.provision_totp(&first, auditor).await.map(|_| ()),
    ] {
        assert!(matches!(refused, Err(AppError::Invalid(_))));
        assert_eq!(
            site.last_by("adm.first").await.outcome,
            "denied:needs_approval"
        );
    }
    assert_eq!(site.password_hash(auditor).await, before);

    // Rejected: nothing changes, and it can no longer be approved.
    app.reject_staff_change(&second, change.id).await.unwrap();
    let entry = site.last_by("adm.second").await;
    assert_eq!(entry.outcome, "allowed");
    assert!(entry.detail.unwrap().starts_with("rejected request"));
    assert!(matches!(
        app.approve_staff_change(&second, change.id).await,
        Err(AppError::Invalid(_))
    ));
    assert_eq!(site.password_hash(auditor).await, before);

    // A request lapses after a day.
    let Change::Requested(change) = app.reset_credentials(&first, auditor).await.unwrap() else {
        panic!("asked again");
    };
    site.clock
        .advance(jiff::SignedDuration::from_secs(REQUEST_LIFETIME_SECS + 60));
    assert!(app.pending_staff_changes(&second).await.unwrap().is_empty());
    assert!(matches!(
        app.approve_staff_change(&second, change.id).await,
        Err(AppError::Invalid(_))
    ));
    assert_eq!(site.last_by("adm.second").await.outcome, "denied:expired");
    assert_eq!(site.password_hash(auditor).await, before);

    // Approved in time, it takes effect: a new password, shown to the approver.
    let Change::Requested(change) = app.reset_credentials(&first, auditor).await.unwrap() else {
        panic!("asked again");
    };
    let approved = app.approve_staff_change(&second, change.id).await.unwrap();
    assert_eq!(approved.staff.id, auditor);
    assert_ne!(site.password_hash(auditor).await, before);
    assert!(app.pending_staff_changes(&second).await.unwrap().is_empty());

    // An account that sees figures only is reset by one administrator.
    assert!(matches!(
        app.reset_credentials(&first, pcc).await.unwrap(),
        Change::Done(_)
    ));
}
