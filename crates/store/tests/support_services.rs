//! The directory of support services on SQLite and PostgreSQL: entries added, changed, read back and listed by
//! kind, area, age, whether open and who keeps them.

use jiff::civil::date;
use severn_domain::access::OrgKind;
use severn_domain::support::{Areas, NewSupportService, Serves, ServiceId, ServiceKind};
use severn_store::testing::operator_tx;
use severn_store::{Db, ServiceFilter};

severn_store::backend_matrix!(
    entries_round_trip_and_change,
    listings_filter_by_kind_area_age_active_and_keeper,
    one_keeper_cannot_hold_two_entries_of_one_name
);

fn entry(name: &str, kind: ServiceKind, areas: Areas) -> NewSupportService {
    NewSupportService {
        name: name.into(),
        kind,
        serves: [Serves::ChildrenAndYoungPeople].into(),
        min_age: None,
        max_age: None,
        areas,
        needs: Default::default(),
        capacity: None,
        phone: Some("07700 900100".into()),
        email: None,
        web: None,
        commissioner: "Office of the PCC".into(),
        contract_ends: None,
        active: true,
    }
}

fn listed(codes: &[&str]) -> Areas {
    Areas::Listed(codes.iter().map(|c| (*c).to_owned()).collect())
}

async fn entries_round_trip_and_change(db: Db) {
    let mut tx = operator_tx(&db, false).await;
    let org = tx
        .insert_org("PCC", "PCC", OrgKind::PccOffice)
        .await
        .unwrap();
    let full = NewSupportService {
        serves: [Serves::ChildrenAndYoungPeople, Serves::ParentsAndCarers].into(),
        min_age: Some(5),
        max_age: Some(18),
        needs: ["online abuse".to_owned(), "sexual abuse".to_owned()].into(),
        capacity: Some(12),
        email: Some("help@young.example.org".into()),
        web: Some("https://young.example.org".into()),
        contract_ends: Some(date(2027, 3, 31)),
        ..entry(
            "Severnshire Young Victims Service",
            ServiceKind::YoungVictims,
            listed(&["bristol", "south-gloucestershire"]),
        )
    };
    let id = tx
        .add_support_service(org, &full, 100, "alice")
        .await
        .unwrap();
    let stored = tx.support_service(id).await.unwrap().unwrap();
    assert_eq!(stored.details, full);
    assert_eq!(
        (
            stored.owner_org,
            stored.updated_at,
            stored.updated_by.as_str()
        ),
        (org, 100, "alice")
    );

    let changed = NewSupportService {
        active: false,
        capacity: None,
        areas: Areas::All,
        contract_ends: None,
        ..full.clone()
    };
    assert!(
        tx.update_support_service(id, &changed, 200, "bob")
            .await
            .unwrap()
    );
    let stored = tx.support_service(id).await.unwrap().unwrap();
    assert_eq!(stored.details, changed);
    assert_eq!(
        (stored.updated_at, stored.updated_by.as_str()),
        (200, "bob")
    );
    assert!(
        !tx.update_support_service(ServiceId(id.0 + 99), &changed, 300, "bob")
            .await
            .unwrap()
    );
    assert_eq!(
        tx.support_service(ServiceId(id.0 + 99)).await.unwrap(),
        None
    );
    assert_eq!(
        tx.support_service_named(org, "severnshire YOUNG victims service")
            .await
            .unwrap(),
        Some(id)
    );
    assert_eq!(
        tx.support_service_named(org, "Another").await.unwrap(),
        None
    );
    tx.commit().await.unwrap();
}

async fn listings_filter_by_kind_area_age_active_and_keeper(db: Db) {
    let mut tx = operator_tx(&db, false).await;
    let pcc = tx
        .insert_org("PCC", "PCC", OrgKind::PccOffice)
        .await
        .unwrap();
    let force = tx.insert_org("F", "Force", OrgKind::Force).await.unwrap();
    let young = tx
        .add_support_service(
            pcc,
            &NewSupportService {
                min_age: Some(5),
                max_age: Some(18),
                ..entry(
                    "B young",
                    ServiceKind::YoungVictims,
                    listed(&["bristol", "north-somerset"]),
                )
            },
            1,
            "a",
        )
        .await
        .unwrap();
    let isva = tx
        .add_support_service(
            pcc,
            &NewSupportService {
                min_age: Some(13),
                ..entry("a isva", ServiceKind::Isva, Areas::All)
            },
            1,
            "a",
        )
        .await
        .unwrap();
    let closed = tx
        .add_support_service(
            force,
            &NewSupportService {
                active: false,
                ..entry(
                    "C unit",
                    ServiceKind::SafeguardingUnit,
                    listed(&["bristol-east"]),
                )
            },
            1,
            "a",
        )
        .await
        .unwrap();
    let ids = |found: Vec<severn_domain::support::SupportService>| -> Vec<ServiceId> {
        found.into_iter().map(|s| s.id).collect()
    };
    let all = tx
        .support_services(&ServiceFilter::default())
        .await
        .unwrap();
    assert_eq!(
        ids(all),
        vec![isva, young, closed],
        "by name, ignoring case"
    );
    assert_eq!(
        ids(tx
            .support_services(&ServiceFilter {
                kind: Some(ServiceKind::YoungVictims),
                ..ServiceFilter::default()
            })
            .await
            .unwrap()),
        vec![young]
    );
    // An area matches a whole code, never part of one: bristol is not bristol-east.
    assert_eq!(
        ids(tx
            .support_services(&ServiceFilter {
                area: Some("bristol".into()),
                ..ServiceFilter::default()
            })
            .await
            .unwrap()),
        vec![isva, young]
    );
    assert_eq!(
        ids(tx
            .support_services(&ServiceFilter {
                area: Some("north-somerset".into()),
                ..ServiceFilter::default()
            })
            .await
            .unwrap()),
        vec![isva, young]
    );
    assert_eq!(
        ids(tx
            .support_services(&ServiceFilter {
                area: Some("bristol-east".into()),
                ..ServiceFilter::default()
            })
            .await
            .unwrap()),
        vec![isva, closed]
    );
    for (age, expected) in [
        (4, vec![closed]),
        (5, vec![young, closed]),
        (13, vec![isva, young, closed]),
        (19, vec![isva, closed]),
    ] {
        assert_eq!(
            ids(tx
                .support_services(&ServiceFilter {
                    age: Some(age),
                    ..ServiceFilter::default()
                })
                .await
                .unwrap()),
            expected,
            "age {age}"
        );
    }
    assert_eq!(
        ids(tx
            .support_services(&ServiceFilter {
                active: Some(false),
                ..ServiceFilter::default()
            })
            .await
            .unwrap()),
        vec![closed]
    );
    assert_eq!(
        ids(tx
            .support_services(&ServiceFilter {
                active: Some(true),
                owner: Some(pcc),
                area: Some("bristol".into()),
                age: Some(15),
                kind: Some(ServiceKind::Isva),
            })
            .await
            .unwrap()),
        vec![isva]
    );
    tx.commit().await.unwrap();
}

async fn one_keeper_cannot_hold_two_entries_of_one_name(db: Db) {
    let mut tx = operator_tx(&db, false).await;
    let a = tx.insert_org("A", "A", OrgKind::PccOffice).await.unwrap();
    let b = tx.insert_org("B", "B", OrgKind::Force).await.unwrap();
    let service = entry("Severnshire ISVA", ServiceKind::Isva, Areas::All);
    tx.add_support_service(a, &service, 1, "x").await.unwrap();
    // Another organisation may keep its own entry of the same name.
    tx.add_support_service(b, &service, 1, "x").await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = operator_tx(&db, false).await;
    let again = NewSupportService {
        name: "SEVERNSHIRE isva".into(),
        ..service
    };
    assert!(tx.add_support_service(a, &again, 2, "x").await.is_err());
}
