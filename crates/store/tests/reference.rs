//! The reference lists' versions, on SQLite and PostgreSQL: one in force per list, the lists kept apart, and a
//! version loaded again put back in force.

use severn_domain::reference::ReferenceList;
use severn_store::testing::{fetch_i64, operator_tx};
use severn_store::{Db, ReferenceListRow};

severn_store::backend_matrix!(
    one_version_of_each_list_is_in_force,
    a_version_loaded_again_is_put_back_in_force
);

fn version(list: ReferenceList, body: &str, at: i64, by: &str) -> ReferenceListRow {
    ReferenceListRow {
        list,
        body: body.to_owned(),
        sha256: severn_domain::reference::content_sha256(body),
        loaded_at: at,
        loaded_by: by.to_owned(),
    }
}

async fn one_version_of_each_list_is_in_force(db: Db) {
    let holidays = version(
        ReferenceList::BankHolidays,
        "date,name\n2029-01-01,New Year's Day\n",
        100,
        "operator:ops",
    );
    let newer = version(
        ReferenceList::BankHolidays,
        "date,name\n2029-01-01,New Year's Day\n2029-12-25,Christmas Day — ü\n",
        200,
        "operator:ops",
    );
    let authorities = version(
        ReferenceList::LocalAuthorities,
        "code,name,nation,area\nbristol,Bristol,England,BS1\n",
        150,
        "operator:other",
    );
    let mut tx = operator_tx(&db, false).await;
    assert_eq!(
        tx.active_reference_list(ReferenceList::BankHolidays)
            .await
            .unwrap(),
        None
    );
    tx.save_reference_list(&holidays).await.unwrap();
    tx.save_reference_list(&authorities).await.unwrap();
    tx.save_reference_list(&newer).await.unwrap();
    assert_eq!(
        tx.active_reference_list(ReferenceList::BankHolidays)
            .await
            .unwrap(),
        Some(newer)
    );
    assert_eq!(
        tx.active_reference_list(ReferenceList::LocalAuthorities)
            .await
            .unwrap(),
        Some(authorities)
    );
    tx.commit().await.unwrap();
    assert_eq!(
        fetch_i64(&db, "SELECT COUNT(*) FROM reference_list WHERE active")
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        fetch_i64(&db, "SELECT COUNT(*) FROM reference_list")
            .await
            .unwrap(),
        3
    );
}

async fn a_version_loaded_again_is_put_back_in_force(db: Db) {
    let first = version(
        ReferenceList::LocalAuthorities,
        "code,name,nation,area\nbristol,Bristol,England,BS1\n",
        100,
        "operator:ops",
    );
    let second = version(
        ReferenceList::LocalAuthorities,
        "code,name,nation,area\nbristol,Bristol,England,BS2\n",
        200,
        "operator:ops",
    );
    let mut tx = operator_tx(&db, false).await;
    tx.save_reference_list(&first).await.unwrap();
    tx.save_reference_list(&second).await.unwrap();
    let again = ReferenceListRow {
        loaded_at: 300,
        loaded_by: "operator:later".into(),
        ..first.clone()
    };
    tx.save_reference_list(&again).await.unwrap();
    assert_eq!(
        tx.active_reference_list(ReferenceList::LocalAuthorities)
            .await
            .unwrap(),
        Some(again)
    );
    tx.commit().await.unwrap();
    assert_eq!(
        fetch_i64(&db, "SELECT COUNT(*) FROM reference_list")
            .await
            .unwrap(),
        2
    );
    // A rolled-back load leaves the version in force as it was.
    let mut tx = operator_tx(&db, false).await;
    tx.save_reference_list(&second).await.unwrap();
    drop(tx);
    let mut tx = operator_tx(&db, true).await;
    assert_eq!(
        tx.active_reference_list(ReferenceList::LocalAuthorities)
            .await
            .unwrap()
            .map(|row| row.body),
        Some(first.body)
    );
}
