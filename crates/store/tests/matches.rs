//! The possible matches query on SQLite and PostgreSQL: which identifiers a subject's reported people share
//! with other live subjects of its force, and only those.

use severn_domain::access::OrgKind;
use severn_domain::ids::{IdentifierId, OrgId, ReferralId, SubjectId};
use severn_domain::report::IdentifierKind;
use severn_domain::risk::Band;
use severn_domain::subject::SubjectStatus;
use severn_store::testing::operator_tx;
use severn_store::{
    Db, IdentifierRow, Packed, ReferralIdentifierRow, ReferralRow, SharedIdentifier, StoreError,
    SubjectRow,
};

severn_store::backend_matrix!(
    shared_identifiers_are_found_once_per_subject_within_the_force,
    the_query_needs_a_list_scope,
);

fn subject(id: i64, owner: i64) -> SubjectRow {
    SubjectRow {
        id: SubjectId(id),
        created_at: 1_000,
        status: SubjectStatus::Open,
        merged_into: None,
        provisional_band: Band::Low,
        assessment_id: None,
        band: Band::Low,
        band_reason: String::new(),
        clock_start_at: 500,
        due_at: 9_000,
        owner_org: Some(OrgId(owner)),
    }
}

fn referral(id: i64, subject: i64, owner: i64) -> ReferralRow {
    ReferralRow {
        id: ReferralId(id),
        source_ref: format!("ncmec:{}", 200_000_000 + id),
        format: "cybertip_xml".into(),
        source: "ncmec".into(),
        version: 1,
        content_sha256: format!("{id:064x}"),
        received_at: 2_000 + id,
        clock_start_at: 2_000 + id,
        nca_reference: None,
        disseminated_at: None,
        incident_type: None,
        incident_at: None,
        platform: None,
        subject_id: SubjectId(subject),
        band: Band::Low,
        outcome: Packed::pack("{}"),
        signals: "{}".into(),
        document: Packed::pack("{}"),
        owner_org: Some(OrgId(owner)),
    }
}

fn identifier(id: i64, kind: IdentifierKind, value: &str, owner: i64) -> IdentifierRow {
    IdentifierRow {
        id: IdentifierId(id),
        key: format!("{}||{value}|{owner}", kind.as_str()),
        kind,
        service: None,
        value: value.into(),
        placeholder: false,
        common: false,
        subject_id: None,
        owner_org: Some(OrgId(owner)),
    }
}

fn carries(referral: i64, identifier: i64, role: &str) -> ReferralIdentifierRow {
    ReferralIdentifierRow {
        referral_id: ReferralId(referral),
        identifier_id: IdentifierId(identifier),
        role: role.into(),
    }
}

/// Subjects 1–6 of force 1 and 7 of force 2. Subject 1's referrals 1 and 2 carry an IP address (id 1) and a
/// placeholder e-mail (id 2) as the reported person's, and a victim's phone (id 3).
async fn seed(db: &Db) {
    let mut tx = operator_tx(db, false).await;
    for (code, owner) in [("F1", 1), ("F2", 2)] {
        let org = tx.insert_org(code, code, OrgKind::Force).await.unwrap();
        assert_eq!(org, OrgId(owner));
    }
    let merged = SubjectRow {
        status: SubjectStatus::Merged,
        merged_into: Some(SubjectId(1)),
        ..subject(5, 1)
    };
    tx.insert_subjects(&[
        subject(1, 1),
        subject(2, 1),
        subject(3, 1),
        subject(4, 1),
        merged,
        subject(6, 1),
        subject(7, 2),
    ])
    .await
    .unwrap();
    tx.insert_referrals(&[
        referral(1, 1, 1),
        referral(2, 1, 1),
        referral(3, 2, 1),
        referral(4, 2, 1),
        referral(5, 3, 1),
        referral(6, 4, 1),
        referral(7, 5, 1),
        referral(8, 6, 1),
        referral(9, 7, 2),
    ])
    .await
    .unwrap();
    let placeholder = IdentifierRow {
        placeholder: true,
        ..identifier(2, IdentifierKind::Email, "noreply@example.com", 1)
    };
    tx.insert_identifiers(&[
        identifier(1, IdentifierKind::IpAddress, "192.0.2.10", 1),
        placeholder,
        identifier(3, IdentifierKind::Phone, "+447700900123", 1),
        identifier(4, IdentifierKind::IpAddress, "192.0.2.10", 2),
    ])
    .await
    .unwrap();
    tx.insert_referral_identifiers(&[
        carries(1, 1, "reported"),
        carries(2, 1, "reported"),
        carries(2, 2, "reported"),
        carries(1, 3, "victim"),
        // Subject 2 carries both, on two referrals each: one row per identifier still.
        carries(3, 1, "reported"),
        carries(4, 1, "reported"),
        carries(3, 2, "reported"),
        // Subject 3 carries the IP address as a victim's: not the suspect's.
        carries(5, 1, "victim"),
        // Subject 4 carries the victim's phone as its suspect's: subject 1's is a victim's.
        carries(6, 3, "reported"),
        // Subject 5 is merged away; subject 6 was split from subject 1.
        carries(7, 1, "reported"),
        carries(8, 2, "reported"),
        // Force 2's subject carries the same address, stored as force 2's identifier.
        carries(9, 4, "reported"),
    ])
    .await
    .unwrap();
    tx.add_separation(SubjectId(1), SubjectId(6)).await.unwrap();
    tx.commit().await.unwrap();
}

async fn shared_identifiers_are_found_once_per_subject_within_the_force(db: Db) {
    seed(&db).await;
    let mut tx = operator_tx(&db, true).await;
    let shared = tx
        .identifiers_shared_with_others(SubjectId(1), 100)
        .await
        .unwrap();
    assert_eq!(
        shared,
        vec![
            SharedIdentifier {
                other: SubjectId(2),
                identifier: IdentifierId(1),
                kind: IdentifierKind::IpAddress,
                service: None,
                value: "192.0.2.10".into(),
                placeholder: false,
                common: false,
            },
            SharedIdentifier {
                other: SubjectId(2),
                identifier: IdentifierId(2),
                kind: IdentifierKind::Email,
                service: None,
                value: "noreply@example.com".into(),
                placeholder: true,
                common: false,
            },
        ],
        "not the victim's, not the merged-away or separated subject, not another force's"
    );
    let first = tx
        .identifiers_shared_with_others(SubjectId(1), 1)
        .await
        .unwrap();
    assert_eq!(first.len(), 1, "at most the limit");
    let back = tx
        .identifiers_shared_with_others(SubjectId(2), 100)
        .await
        .unwrap();
    assert_eq!(
        back.iter().map(|s| s.other).collect::<Vec<_>>(),
        vec![SubjectId(1), SubjectId(1), SubjectId(6)]
    );
    tx.commit().await.unwrap();
}

async fn the_query_needs_a_list_scope(db: Db) {
    seed(&db).await;
    let gate = severn_store::Gate::new(db.clone(), severn_domain::audit::AuditKey::new([1; 32]));
    let actor = severn_domain::access::Actor::Operator {
        name: "tester".into(),
    };
    let request = severn_store::Request {
        actor: &actor,
        action: severn_domain::access::Action::ViewCase,
        target: "subject:1",
        at: 0,
        justification: None,
        recipients: None,
        detail: None,
    };
    let tx = db.begin_read().await.unwrap();
    let severn_store::Verdict::Granted(mut one_case) = gate
        .authorise(tx, &request, Some(SubjectId(1)))
        .await
        .unwrap()
    else {
        panic!("an operator is let through");
    };
    assert!(matches!(
        one_case
            .identifiers_shared_with_others(SubjectId(1), 100)
            .await,
        Err(StoreError::OutOfScope)
    ));
}
