//! Storage conformance for staff changes waiting for a second administrator, on SQLite and PostgreSQL.

use severn_domain::access::{OrgKind, Role};
use severn_store::testing::{insert_person, operator_tx};
use severn_store::{Db, NewStaffChange, StaffChangeKind, StaffChangeStatus};

severn_store::backend_matrix!(staff_changes_roundtrip_wait_lapse_and_are_decided_once,);

async fn staff_changes_roundtrip_wait_lapse_and_are_decided_once(db: Db) {
    let mut tx = operator_tx(&db, false).await;
    let force = tx
        .insert_org("F1", "Force One", OrgKind::Force)
        .await
        .unwrap();
    let other = tx
        .insert_org("F2", "Force Two", OrgKind::Force)
        .await
        .unwrap();
    let admin = insert_person(&mut tx, force, "adm.one", vec![Role::Administrator]).await;
    let elsewhere = insert_person(&mut tx, other, "adm.two", vec![Role::Administrator]).await;
    let auditor = insert_person(&mut tx, force, "the.auditor", vec![Role::Auditor]).await;
    let add = tx
        .insert_staff_change(&NewStaffChange {
            org_id: force,
            kind: StaffChangeKind::Add,
            staff_id: None,
            team_id: None,
            username: "n.new".into(),
            display_name: "Nia Ñew".into(),
            roles: vec![Role::Investigator, Role::Auditor],
            requested_by: admin,
            requested_at: 1_000,
            expires_at: 2_000,
        })
        .await
        .unwrap();
    let reset = tx
        .insert_staff_change(&NewStaffChange {
            org_id: force,
            kind: StaffChangeKind::Reset,
            staff_id: Some(auditor),
            team_id: None,
            username: "the.auditor".into(),
            display_name: "Tester the.auditor".into(),
            roles: vec![Role::Auditor],
            requested_by: admin,
            requested_at: 1_500,
            expires_at: 2_500,
        })
        .await
        .unwrap();
    let theirs = tx
        .insert_staff_change(&NewStaffChange {
            org_id: other,
            kind: StaffChangeKind::Add,
            staff_id: None,
            team_id: None,
            username: "t.other".into(),
            display_name: "Other".into(),
            roles: vec![Role::Analyst],
            requested_by: elsewhere,
            requested_at: 1_200,
            expires_at: 2_200,
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = operator_tx(&db, false).await;
    let stored = tx.staff_change(add).await.unwrap().unwrap();
    assert_eq!(stored.kind, StaffChangeKind::Add);
    assert_eq!(stored.org_id, force);
    assert_eq!(stored.org_kind, OrgKind::Force);
    assert_eq!(stored.display_name, "Nia Ñew");
    assert_eq!(stored.roles, vec![Role::Investigator, Role::Auditor]);
    assert_eq!(stored.requested_by, admin);
    assert_eq!(stored.requested_by_name, "adm.one");
    assert_eq!(stored.status, StaffChangeStatus::Pending);
    assert_eq!((stored.decided_by, stored.decided_at), (None, None));
    assert_eq!(tx.staff_change(9_999).await.unwrap(), None);

    // Waiting: one organisation's or all, oldest first; a lapsed request is no longer waiting.
    let ids =
        |rows: Vec<severn_store::StaffChangeRow>| rows.iter().map(|c| c.id).collect::<Vec<_>>();
    assert_eq!(
        ids(tx.pending_staff_changes(Some(force), 1_600).await.unwrap()),
        vec![add, reset]
    );
    assert_eq!(
        ids(tx.pending_staff_changes(None, 1_600).await.unwrap()),
        vec![add, theirs, reset]
    );
    assert_eq!(
        ids(tx.pending_staff_changes(Some(force), 2_000).await.unwrap()),
        vec![reset]
    );

    // Decided once: a second decision changes nothing.
    let made = insert_person(
        &mut tx,
        force,
        "n.new",
        vec![Role::Investigator, Role::Auditor],
    )
    .await;
    assert!(
        tx.decide_staff_change(
            add,
            StaffChangeStatus::Approved,
            "adm.three",
            1_700,
            Some(made)
        )
        .await
        .unwrap()
    );
    assert!(
        !tx.decide_staff_change(add, StaffChangeStatus::Rejected, "adm.four", 1_800, None)
            .await
            .unwrap()
    );
    assert!(
        tx.decide_staff_change(reset, StaffChangeStatus::Rejected, "adm.three", 1_750, None)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();

    let mut tx = operator_tx(&db, true).await;
    let approved = tx.staff_change(add).await.unwrap().unwrap();
    assert_eq!(approved.status, StaffChangeStatus::Approved);
    assert_eq!(approved.staff_id, Some(made));
    assert_eq!(approved.decided_by.as_deref(), Some("adm.three"));
    assert_eq!(approved.decided_at, Some(1_700));
    let rejected = tx.staff_change(reset).await.unwrap().unwrap();
    assert_eq!(rejected.status, StaffChangeStatus::Rejected);
    assert_eq!(
        rejected.staff_id,
        Some(auditor),
        "a rejection keeps the account named"
    );
    assert_eq!(
        ids(tx.pending_staff_changes(None, 1_800).await.unwrap()),
        vec![theirs]
    );
    tx.commit().await.unwrap();
}
