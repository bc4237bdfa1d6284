//! Storage conformance: every scenario runs on SQLite and on PostgreSQL (`sqlite::NAME`, `postgres::NAME`), so
//! the one `Tx` API behaves the same on both. PostgreSQL comes from `SEVERN_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); the PostgreSQL tests fail when it is unreachable.

use severn_domain::access::{Action, Actor, CaseAccess, OrgKind, Role, StaffKind};
use severn_domain::audit::AuditKey;
use severn_domain::identity::SessionStage;
use severn_domain::ids::{IdentifierId, OrgId, ReferralId, SubjectId};
use severn_domain::report::IdentifierKind;
use severn_domain::risk::Band;
use severn_domain::subject::{DecisionKind, SubjectStatus};
use severn_store::testing::{
    execute_raw, fetch_bytes, fetch_i64, insert_person, operator_tx, url_of,
};
use severn_store::{
    AssessmentRow, Counts, DEFERRED_INDEXES, Db, DecisionRow, FileDetailOutcome, FileDetailRow,
    IdentifierOnReferral, IdentifierRow, KnownReferral, LinkExplained, LinkRow, NewReject,
    NewSession, Packed, ReferralIdentifierRow, ReferralRow, RejectRow, RiskToolRow, StoreError,
    SubjectRow,
};
use severn_store::{Backend, Gate, Request, Verdict, identifier_key_hash};
use std::collections::BTreeSet;

severn_store::backend_matrix!(
    migrations_apply_and_are_idempotent,
    alloc_ids_gives_consecutive_disjoint_ranges,
    concurrent_allocations_never_overlap,
    referrals_roundtrip_with_optional_fields_and_unicode,
    referrals_in_bulk_page_and_move,
    identifiers_roundtrip_point_and_turn_common,
    identifier_accounts_are_counted_once_each,
    subjects_upsert_and_queue_in_due_order,
    merge_subject_moves_referrals_and_assessments,
    referral_identifiers_and_links_explain_subjects,
    separations_add_remove_and_carry,
    file_details_insert_lookup_and_upsert,
    rejects_keep_binary_content_and_resolve,
    risk_tools_activate_and_refuse_changed_content,
    assessments_roundtrip,
    new_version_keeps_the_previous_one,
    decisions_are_listed_for_both_subjects,
    counts_count_what_is_live,
    rolled_back_transaction_leaves_nothing,
    deferred_indexes_drop_and_are_built_again,
    statistics_are_gathered_on_postgres_only,
    identifiers_sharing_a_key_hash_are_told_apart,
    key_hashes_missing_from_older_rows_are_filled,
    referral_documents_are_stored_packed_and_older_text_still_reads,
    a_session_comes_with_its_staff_in_one_read,
    case_access_names_owner_shares_and_restriction,
    a_stored_band_status_kind_or_processing_that_is_none_is_corrupt_data,
);

// ---------------------------------------------------------------------------------------------------------
// Row builders

fn subject(id: i64, due_at: i64) -> SubjectRow {
    SubjectRow {
        id: SubjectId(id),
        created_at: 1_000,
        status: SubjectStatus::Open,
        merged_into: None,
        provisional_band: Band::Low,
        assessment_id: None,
        band: Band::Low,
        band_reason: format!("Low provisional from referral {id}"),
        clock_start_at: 500,
        due_at,
        owner_org: None,
    }
}

fn referral(id: i64, subject: i64) -> ReferralRow {
    ReferralRow {
        id: ReferralId(id),
        source_ref: format!("ncmec:{}", 100_000_000 + id),
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
        owner_org: None,
    }
}

/// A referral with every optional field set and text outside ASCII.
fn full_referral(id: i64, subject: i64) -> ReferralRow {
    ReferralRow {
        format: "cybertip_le_json".into(),
        nca_reference: Some("NCA-2026-000123/ü".into()),
        disseminated_at: Some(1_767_225_600),
        incident_type: Some("Online Enticement of Children for Sexual Acts".into()),
        incident_at: Some(-86_400),
        platform: Some("ExampleChat für Android — 東京 🚸".into()),
        band: Band::VeryHigh,
        outcome: Packed::pack(r#"{"band":"very_high","reasons":["Zoë’s ‘quoted’ reason"]}"#),
        signals: r#"{"online_enticement":true}"#.into(),
        document: Packed::pack(
            r#"{"additional_info":["naïve café — 日本語 \u0000-free 🙂","line\nbreak"]}"#,
        ),
        ..referral(id, subject)
    }
}

fn identifier(
    id: i64,
    kind: &str,
    service: Option<&str>,
    value: &str,
    subject: Option<i64>,
) -> IdentifierRow {
    IdentifierRow {
        id: IdentifierId(id),
        key: format!("{kind}|{}|{value}", service.unwrap_or("")),
        kind: IdentifierKind::parse(kind).expect("a kind Severn stores"),
        service: service.map(Into::into),
        value: value.into(),
        placeholder: false,
        common: false,
        subject_id: subject.map(SubjectId),
        owner_org: None,
    }
}

fn keys(rows: &[IdentifierRow]) -> Vec<String> {
    rows.iter().map(|r| r.key.clone()).collect()
}

fn assessment(id: i64, subject: i64) -> AssessmentRow {
    AssessmentRow {
        id,
        subject_id: SubjectId(subject),
        tool_id: "kirat-illustrative".into(),
        tool_version: "1.0.0".into(),
        answers: r#"{"grooming":"yes","prev_sexual_offence_count":2}"#.into(),
        outcome: r#"{"band":"high"}"#.into(),
        band: Band::High,
        assessor: "DC Example".into(),
        assessed_at: 3_000 + id,
        override_band: None,
        override_rationale: None,
        override_by: None,
        rescored_from: None,
    }
}

fn file_detail(source_ref: &str, file_id: &str, sha: &str) -> FileDetailRow {
    FileDetailRow {
        source_ref: source_ref.into(),
        file_id: file_id.into(),
        content_sha256: sha.into(),
        received_at: 4_000,
        document: format!(r#"{{"file_id":"{file_id}","file_name":"bild-ä-{sha}.jpg"}}"#),
    }
}

fn tool_row(version: &str, source: &str, active: bool) -> RiskToolRow {
    RiskToolRow {
        tool_id: "kirat-illustrative".into(),
        version: version.into(),
        source: source.into(),
        loaded_at: 5_000,
        active,
    }
}

fn decision(id: i64, kind: DecisionKind, subject: i64, other: i64) -> DecisionRow {
    DecisionRow {
        id,
        kind,
        subject_id: SubjectId(subject),
        other_subject_id: SubjectId(other),
        referrals: r#"["ncmec:100000001"]"#.into(),
        rationale: "Same device ID and the same e-mail — Zoë checked".into(),
        actor: "DS Example".into(),
        decided_at: 6_000 + id,
    }
}

fn sids(ids: &[i64]) -> Vec<SubjectId> {
    ids.iter().copied().map(SubjectId).collect()
}

/// A single number from raw SQL, for what the store's API does not expose.
async fn scalar(db: &Db, sql: &'static str) -> i64 {
    fetch_i64(db, sql).await.unwrap()
}

async fn reject_content(db: &Db, id: i64) -> Vec<u8> {
    fetch_bytes(db, "SELECT content FROM reject WHERE id = $1", id)
        .await
        .unwrap()
}

async fn commit_subjects(db: &Db, subjects: &[SubjectRow]) {
    let mut tx = operator_tx(db, false).await;
    tx.insert_subjects(subjects).await.unwrap();
    tx.commit().await.unwrap();
}

// ---------------------------------------------------------------------------------------------------------
// Scenarios

async fn migrations_apply_and_are_idempotent(db: Db) {
    // Connecting applied the migrations; applying them again changes nothing.
    db.migrate().await.unwrap();
    db.migrate().await.unwrap();
    let applied = scalar(&db, "SELECT COUNT(*) FROM _sqlx_migrations").await;
    let files = std::fs::read_dir(format!(
        "{}/migrations/{}",
        env!("CARGO_MANIFEST_DIR"),
        match db.backend() {
            severn_store::Backend::Sqlite => "sqlite",
            severn_store::Backend::Postgres => "postgres",
        }
    ))
    .unwrap()
    .count() as i64;
    assert_eq!(applied, files, "each migration file is applied once");

    let mut tx = operator_tx(&db, false).await;
    for name in [
        "subject",
        "referral",
        "identifier",
        "assessment",
        "decision",
    ] {
        assert_eq!(
            tx.alloc_ids(name, 5).await.unwrap(),
            1,
            "{name} starts at 1"
        );
    }
    tx.insert_subjects(&[subject(1, 100)]).await.unwrap();
    tx.commit().await.unwrap();

    // A second connection runs the migrations again: the seeded allocator rows are not reset and data stays.
    let again = Db::connect(&url_of(&db)).await.unwrap();
    assert_eq!(again.backend(), db.backend());
    let mut tx = operator_tx(&again, false).await;
    assert_eq!(tx.alloc_ids("subject", 1).await.unwrap(), 6);
    assert_eq!(
        tx.subject(SubjectId(1)).await.unwrap(),
        Some(subject(1, 100))
    );
    tx.commit().await.unwrap();
    again.close().await;
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM _sqlx_migrations").await,
        files
    );
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM id_alloc").await, 5);
}

async fn alloc_ids_gives_consecutive_disjoint_ranges(db: Db) {
    let mut tx = operator_tx(&db, false).await;
    let a = tx.alloc_ids("referral", 3).await.unwrap();
    let b = tx.alloc_ids("referral", 4).await.unwrap();
    let c = tx.alloc_ids("identifier", 2).await.unwrap();
    let empty = tx.alloc_ids("referral", 0).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        (a, b, c),
        (1, 4, 1),
        "ranges 1..4 and 4..8; names count apart"
    );
    assert_eq!(empty, 8, "an empty range reserves nothing");

    let mut tx = operator_tx(&db, false).await;
    assert_eq!(tx.alloc_ids("referral", 1).await.unwrap(), 8);
    assert_eq!(tx.alloc_ids("referral", 1000).await.unwrap(), 9);
    assert_eq!(tx.alloc_ids("referral", 1).await.unwrap(), 1009);
    tx.commit().await.unwrap();

    let mut tx = operator_tx(&db, false).await;
    assert!(
        tx.alloc_ids("no_such_sequence", 1).await.is_err(),
        "an unknown name is an error, not id 0"
    );
}

async fn concurrent_allocations_never_overlap(db: Db) {
    async fn worker(db: Db) -> Vec<(i64, i64)> {
        let mut ranges = Vec::new();
        for _ in 0..10 {
            let mut tx = operator_tx(&db, false).await;
            let first = tx.alloc_ids("subject", 3).await.unwrap();
            tokio::task::yield_now().await;
            tx.commit().await.unwrap();
            ranges.push((first, first + 3));
        }
        ranges
    }
    let (x, y, z) = tokio::join!(worker(db.clone()), worker(db.clone()), worker(db.clone()));
    let mut all: Vec<(i64, i64)> = x.into_iter().chain(y).chain(z).collect();
    all.sort();
    assert_eq!(all.len(), 30);
    for (i, (start, end)) in all.iter().enumerate() {
        assert_eq!(*start, 1 + 3 * i as i64, "ranges tile 1..=90 without gaps");
        assert_eq!(*end, start + 3);
    }
}

async fn referrals_roundtrip_with_optional_fields_and_unicode(db: Db) {
    commit_subjects(&db, &[subject(1, 100), subject(2, 100)]).await;
    let full = full_referral(1, 1);
    let bare = referral(2, 2);
    let mut tx = operator_tx(&db, false).await;
    tx.insert_referrals(&[full.clone(), bare.clone()])
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = operator_tx(&db, true).await;
    assert_eq!(
        tx.referral_by_source_ref(&full.source_ref).await.unwrap(),
        Some(full.clone())
    );
    assert_eq!(
        tx.referral_by_source_ref(&bare.source_ref).await.unwrap(),
        Some(bare.clone())
    );
    assert_eq!(tx.referral_by_source_ref("ncmec:404").await.unwrap(), None);
    let mut known = tx
        .known_referrals(&[
            bare.source_ref.clone(),
            "ncmec:404".into(),
            full.source_ref.clone(),
        ])
        .await
        .unwrap();
    known.sort_by_key(|k| k.id);
    assert_eq!(
        known,
        vec![
            KnownReferral {
                id: full.id,
                source_ref: full.source_ref.clone(),
                content_sha256: full.content_sha256.clone(),
                version: 1,
                subject_id: SubjectId(1),
                owner_org: None,
            },
            KnownReferral {
                id: bare.id,
                source_ref: bare.source_ref.clone(),
                content_sha256: bare.content_sha256.clone(),
                version: 1,
                subject_id: SubjectId(2),
                owner_org: None,
            },
        ]
    );
    assert!(tx.known_referrals(&[]).await.unwrap().is_empty());
    assert_eq!(
        tx.referrals_by_id(&[ReferralId(2), ReferralId(1), ReferralId(9)])
            .await
            .unwrap(),
        vec![full.clone(), bare.clone()],
        "by id, in id order, unknown ids left out"
    );
    assert_eq!(
        tx.referrals_of_subjects(&sids(&[2])).await.unwrap(),
        vec![bare.clone()]
    );
    let mut counts = tx.referral_counts(&sids(&[1, 2, 3])).await.unwrap();
    counts.sort();
    assert_eq!(counts, vec![(SubjectId(1), 1), (SubjectId(2), 1)]);
    tx.commit().await.unwrap();

    // A source reference is stored once: a second referral with it is refused.
    let mut tx = operator_tx(&db, false).await;
    let copy = ReferralRow {
        id: ReferralId(3),
        ..bare.clone()
    };
    assert!(tx.insert_referrals(&[copy]).await.is_err());
    drop(tx);
    let mut tx = operator_tx(&db, true).await;
    assert_eq!(tx.counts().await.unwrap().referrals, 2);
}

async fn referrals_in_bulk_page_and_move(db: Db) {
    commit_subjects(&db, &[subject(1, 100), subject(2, 100)]).await;
    // More than one statement's worth of rows (chunks of 200 referrals, 400 keys).
    let rows: Vec<ReferralRow> = (1..=450).map(|i| referral(i, 1 + i % 2)).collect();
    let mut tx = operator_tx(&db, false).await;
    tx.insert_referrals(&rows).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = operator_tx(&db, false).await;
    let refs: Vec<String> = rows.iter().map(|r| r.source_ref.clone()).collect();
    let known = tx.known_referrals(&refs).await.unwrap();
    assert_eq!(known.len(), 450);
    let ids: BTreeSet<i64> = known.iter().map(|k| k.id.0).collect();
    assert_eq!(ids, (1..=450).collect());

    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let page = tx.referrals_after(after, 100).await.unwrap();
        let Some(last) = page.last() else { break };
        assert!(page.len() <= 100);
        after = last.id.0;
        seen.extend(page);
    }
    assert_eq!(seen, rows, "pages in id order cover every referral once");

    let light = tx.referral_subjects_after(440, 5).await.unwrap();
    assert_eq!(
        light,
        (441..=445)
            .map(|i| (
                i,
                format!("ncmec:{}", 100_000_000 + i),
                SubjectId(1 + i % 2)
            ))
            .collect::<Vec<_>>()
    );

    let evens: Vec<ReferralId> = (1..=450).filter(|i| i % 2 == 0).map(ReferralId).collect();
    tx.move_referrals(&evens, SubjectId(2)).await.unwrap();
    let mut counts = tx.referral_counts(&sids(&[1, 2])).await.unwrap();
    counts.sort();
    assert_eq!(counts, vec![(SubjectId(2), 450)]);
    assert!(
        tx.referrals_of_subjects(&sids(&[1]))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        tx.referrals_of_subjects(&sids(&[2])).await.unwrap().len(),
        450
    );
    tx.commit().await.unwrap();
}

async fn identifiers_roundtrip_point_and_turn_common(db: Db) {
    commit_subjects(&db, &[subject(1, 100), subject(2, 100), subject(3, 100)]).await;
    let email = identifier(1, "email", None, "suspect.one@mail.example", Some(1));
    let account = identifier(2, "esp_user_id", Some("examplechat"), "user-000042", None);
    let placeholder = IdentifierRow {
        placeholder: true,
        ..identifier(3, "phone", None, "+440000000000", None)
    };
    let screen = identifier(
        4,
        "screen_name",
        Some("examplechat"),
        "zoë_東京_🚸",
        Some(2),
    );
    let rows = vec![
        email.clone(),
        account.clone(),
        placeholder.clone(),
        screen.clone(),
    ];

    let mut tx = operator_tx(&db, false).await;
    tx.insert_identifiers(&rows).await.unwrap();
    let mut wanted = keys(&rows);
    wanted.push("email||nobody@mail.example".into());
    let mut found = tx.identifiers_by_key(&wanted).await.unwrap();
    found.sort_by_key(|r| r.id);
    assert_eq!(found, rows);
    tx.commit().await.unwrap();

    let mut tx = operator_tx(&db, false).await;
    tx.set_identifier_subjects(&[
        (IdentifierId(2), SubjectId(3)),
        (IdentifierId(4), SubjectId(3)),
    ])
    .await
    .unwrap();
    tx.mark_common(&[IdentifierId(1)]).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = operator_tx(&db, true).await;
    let mut found = tx.identifiers_by_key(&keys(&rows)).await.unwrap();
    found.sort_by_key(|r| r.id);
    assert_eq!(
        found,
        vec![
            IdentifierRow {
                common: true,
                subject_id: None,
                ..email.clone()
            },
            IdentifierRow {
                subject_id: Some(SubjectId(3)),
                ..account.clone()
            },
            placeholder.clone(),
            IdentifierRow {
                subject_id: Some(SubjectId(3)),
                ..screen.clone()
            },
        ]
    );
    tx.commit().await.unwrap();

    // Many pointers at once (more than one statement's worth).
    let many: Vec<IdentifierRow> = (100..550)
        .map(|i| identifier(i, "email", None, &format!("u{i}@mail.example"), Some(1)))
        .collect();
    let mut tx = operator_tx(&db, false).await;
    tx.insert_identifiers(&many).await.unwrap();
    let pairs: Vec<(IdentifierId, SubjectId)> = many
        .iter()
        .map(|r| (r.id, SubjectId(2 + r.id.0 % 2)))
        .collect();
    tx.set_identifier_subjects(&pairs).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = operator_tx(&db, true).await;
    let found = tx.identifiers_by_key(&keys(&many)).await.unwrap();
    assert_eq!(found.len(), 450);
    assert!(
        found
            .iter()
            .all(|r| r.subject_id == Some(SubjectId(2 + r.id.0 % 2)))
    );
    tx.commit().await.unwrap();

    // A key is stored once per owning force (no force counting as one): another force's row is beside it.
    let mut tx = operator_tx(&db, false).await;
    let elsewhere = IdentifierRow {
        id: IdentifierId(998),
        owner_org: Some(OrgId(7)),
        ..account.clone()
    };
    tx.insert_identifiers(std::slice::from_ref(&elsewhere))
        .await
        .unwrap();
    let mut both = tx
        .identifiers_by_key(std::slice::from_ref(&account.key))
        .await
        .unwrap();
    both.sort_by_key(|r| r.id);
    assert_eq!(
        both,
        vec![
            IdentifierRow {
                subject_id: Some(SubjectId(3)),
                ..account.clone()
            },
            elsewhere
        ]
    );
    // PostgreSQL refuses a second row for one key and owner. SQLite indexes keys by their hash and leaves
    // uniqueness to ingest, which looks each key up before inserting it (migration 0005; tested in the app's
    // `two_ingests_at_once_store_each_identifier_once`).
    if let Db::Postgres(_) = db {
        let twin = IdentifierRow {
            id: IdentifierId(999),
            ..account.clone()
        };
        assert!(tx.insert_identifiers(&[twin]).await.is_err());
    }
}

async fn identifier_accounts_are_counted_once_each(db: Db) {
    let (i1, i2) = (IdentifierId(1), IdentifierId(2));
    let (a1, a2, a3) = (IdentifierId(11), IdentifierId(12), IdentifierId(13));
    let mut tx = operator_tx(&db, false).await;
    let mut counts = tx
        .record_identifier_accounts(&[(i1, a1), (i1, a2), (i2, a1)])
        .await
        .unwrap();
    counts.sort();
    assert_eq!(counts, vec![(i1, 2), (i2, 1)]);
    // Repeats (within one call and of earlier pairs) are ignored; only the identifiers asked about are counted.
    let counts = tx
        .record_identifier_accounts(&[(i1, a1), (i1, a3), (i1, a3)])
        .await
        .unwrap();
    assert_eq!(counts, vec![(i1, 3)]);
    assert!(tx.record_identifier_accounts(&[]).await.unwrap().is_empty());
    tx.commit().await.unwrap();

    let mut tx = operator_tx(&db, false).await;
    assert_eq!(
        tx.record_identifier_accounts(&[(i2, a1)]).await.unwrap(),
        vec![(i2, 1)],
        "pairs stored by an earlier transaction count once"
    );
    // Many accounts for one value: counted across statement chunks.
    let pairs: Vec<(IdentifierId, IdentifierId)> =
        (0..450).map(|n| (i2, IdentifierId(1_000 + n))).collect();
    assert_eq!(
        tx.record_identifier_accounts(&pairs).await.unwrap(),
        vec![(i2, 451)]
    );
    tx.commit().await.unwrap();
}

async fn subjects_upsert_and_queue_in_due_order(db: Db) {
    let merged = SubjectRow {
        status: SubjectStatus::Merged,
        merged_into: Some(SubjectId(1)),
        ..subject(4, 50)
    };
    let also_merged = SubjectRow {
        status: SubjectStatus::Merged,
        merged_into: Some(SubjectId(6)),
        ..subject(5, 100)
    };
    commit_subjects(
        &db,
        &[
            subject(1, 300),
            subject(2, 100),
            subject(3, 200),
            merged.clone(),
            also_merged.clone(),
            subject(6, 100),
        ],
    )
    .await;

    let mut tx = operator_tx(&db, false).await;
    let queue_ids = |rows: Vec<SubjectRow>| rows.into_iter().map(|s| s.id.0).collect::<Vec<_>>();
    assert_eq!(
        queue_ids(tx.queue(10).await.unwrap()),
        vec![2, 6, 3, 1],
        "open subjects only, soonest due first, ties by id"
    );
    assert_eq!(queue_ids(tx.queue(2).await.unwrap()), vec![2, 6]);
    assert_eq!(tx.subject(SubjectId(4)).await.unwrap(), Some(merged));
    assert_eq!(tx.subject(SubjectId(99)).await.unwrap(), None);

    // Upsert: existing rows take the new state (but keep their creation time); new rows are inserted.
    let raised = SubjectRow {
        created_at: 9_999,
        provisional_band: Band::High,
        assessment_id: Some(77),
        band: Band::VeryHigh,
        band_reason: "Very High set by supervisor override — Zoë".into(),
        clock_start_at: 400,
        due_at: 10,
        ..subject(3, 200)
    };
    tx.update_subjects(&[raised.clone(), subject(7, 150)])
        .await
        .unwrap();
    assert_eq!(
        tx.subject(SubjectId(3)).await.unwrap(),
        Some(SubjectRow {
            created_at: 1_000,
            ..raised
        })
    );
    assert_eq!(
        tx.subject(SubjectId(7)).await.unwrap(),
        Some(subject(7, 150))
    );
    assert_eq!(queue_ids(tx.queue(10).await.unwrap()), vec![3, 2, 6, 7, 1]);

    tx.update_subject(&SubjectRow {
        status: SubjectStatus::Merged,
        ..subject(1, 300)
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let mut tx = operator_tx(&db, true).await;
    assert_eq!(queue_ids(tx.queue(10).await.unwrap()), vec![3, 2, 6, 7]);
    let mut all = tx.subjects(&sids(&[7, 1, 2, 3, 4, 5, 6, 8])).await.unwrap();
    all.sort_by_key(|s| s.id);
    assert_eq!(all.len(), 7);
    assert_eq!(all[4], also_merged);
    assert_eq!(
        tx.live_subject_ids(SubjectId(0), 100).await.unwrap(),
        sids(&[2, 3, 6, 7]),
        "every subject not merged away"
    );
    assert_eq!(
        tx.live_subject_ids(SubjectId(2), 2).await.unwrap(),
        sids(&[3, 6])
    );
    tx.commit().await.unwrap();

    // Upserting many subjects at once (more than one statement's worth).
    let many: Vec<SubjectRow> = (100..350).map(|i| subject(i, 10_000 - i)).collect();
    let mut tx = operator_tx(&db, false).await;
    tx.update_subjects(&many).await.unwrap();
    let ids: Vec<SubjectId> = many.iter().map(|s| s.id).collect();
    assert_eq!(tx.subjects(&ids).await.unwrap().len(), 250);
    assert_eq!(tx.queue(1).await.unwrap()[0].id, SubjectId(3));
    assert_eq!(
        tx.queue(1000).await.unwrap().last().unwrap().id,
        SubjectId(100)
    );
    tx.commit().await.unwrap();
}

async fn merge_subject_moves_referrals_and_assessments(db: Db) {
    commit_subjects(&db, &[subject(1, 100), subject(2, 50), subject(3, 70)]).await;
    let mut tx = operator_tx(&db, false).await;
    tx.insert_referrals(&[referral(1, 1), referral(2, 2), referral(3, 3)])
        .await
        .unwrap();
    let ids = vec![
        identifier(1, "email", None, "a@mail.example", Some(1)),
        identifier(2, "phone", None, "+447700900001", Some(2)),
        identifier(3, "phone", None, "+447700900003", Some(3)),
    ];
    tx.insert_identifiers(&ids).await.unwrap();
    tx.insert_links(&[
        LinkRow {
            referral_id: ReferralId(1),
            identifier_id: IdentifierId(1),
            weight: 1.0,
            linked_at: 10,
        },
        LinkRow {
            referral_id: ReferralId(2),
            identifier_id: IdentifierId(2),
            weight: 0.5,
            linked_at: 10,
        },
    ])
    .await
    .unwrap();
    tx.insert_assessment(&assessment(1, 2)).await.unwrap();
    tx.merge_subject(SubjectId(2), SubjectId(1)).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = operator_tx(&db, true).await;
    let moved: Vec<i64> = tx
        .referrals_of_subjects(&sids(&[1]))
        .await
        .unwrap()
        .iter()
        .map(|r| r.id.0)
        .collect();
    assert_eq!(moved, vec![1, 2]);
    assert!(
        tx.referrals_of_subjects(&sids(&[2]))
            .await
            .unwrap()
            .is_empty()
    );
    let mut pointers: Vec<(i64, Option<SubjectId>)> = tx
        .identifiers_by_key(&keys(&ids))
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.id.0, r.subject_id))
        .collect();
    pointers.sort();
    // Identifiers keep pointing at the merged subject; resolving it leads to the one it was merged into.
    assert_eq!(
        pointers,
        vec![
            (1, Some(SubjectId(1))),
            (2, Some(SubjectId(2))),
            (3, Some(SubjectId(3)))
        ]
    );
    let resolved = tx.resolve_subjects(&sids(&[1, 2, 3])).await.unwrap();
    assert_eq!(
        (
            resolved[&SubjectId(1)].id,
            resolved[&SubjectId(2)].id,
            resolved[&SubjectId(3)].id
        ),
        (SubjectId(1), SubjectId(1), SubjectId(3))
    );
    let links = tx.links_of_subjects(&sids(&[1, 2])).await.unwrap();
    assert_eq!(
        links
            .iter()
            .map(|(s, l)| (s.0, l.referral.as_str(), l.weight))
            .collect::<Vec<_>>(),
        vec![(1, "ncmec:100000001", 1.0), (1, "ncmec:100000002", 0.5)]
    );
    assert_eq!(
        tx.assessments_of_subject(SubjectId(1)).await.unwrap(),
        vec![assessment(1, 1)]
    );
    assert!(
        tx.assessments_of_subject(SubjectId(2))
            .await
            .unwrap()
            .is_empty()
    );
    let gone = tx.subject(SubjectId(2)).await.unwrap().unwrap();
    assert_eq!(
        (gone.status.as_str(), gone.merged_into),
        ("merged", Some(SubjectId(1)))
    );
    assert_eq!(
        tx.subject(SubjectId(3)).await.unwrap(),
        Some(subject(3, 70)),
        "other subjects are untouched"
    );
    assert_eq!(
        tx.live_subject_ids(SubjectId(0), 10).await.unwrap(),
        sids(&[1, 3])
    );
    assert_eq!(tx.counts().await.unwrap().subjects, 2);
    tx.commit().await.unwrap();

    // A chain of merges resolves to its end.
    let mut tx = operator_tx(&db, false).await;
    tx.merge_subject(SubjectId(1), SubjectId(3)).await.unwrap();
    let resolved = tx.resolve_subjects(&sids(&[2])).await.unwrap();
    assert_eq!(resolved[&SubjectId(2)].id, SubjectId(3));
    tx.commit().await.unwrap();
}

async fn referral_identifiers_and_links_explain_subjects(db: Db) {
    commit_subjects(&db, &[subject(1, 100), subject(2, 100)]).await;
    let mut tx = operator_tx(&db, false).await;
    tx.insert_referrals(&[referral(1, 1), referral(2, 1), referral(3, 2)])
        .await
        .unwrap();
    let email = identifier(1, "email", None, "a@mail.example", Some(1));
    let ip = identifier(2, "ip_address", None, "192.0.2.10", Some(1));
    let placeholder = IdentifierRow {
        placeholder: true,
        ..identifier(3, "email", None, "noreply@mail.example", None)
    };
    let common = IdentifierRow {
        common: true,
        ..identifier(4, "phone", None, "+447700900999", None)
    };
    let account = identifier(5, "esp_user_id", Some("examplechat"), "kid_99", None);
    tx.insert_identifiers(&[
        email.clone(),
        ip.clone(),
        placeholder.clone(),
        common.clone(),
        account.clone(),
    ])
    .await
    .unwrap();
    let ri = |r: i64, i: i64, role: &str| ReferralIdentifierRow {
        referral_id: ReferralId(r),
        identifier_id: IdentifierId(i),
        role: role.into(),
    };
    let rows = vec![
        ri(1, 1, "reported"),
        ri(1, 2, "reported"),
        ri(1, 5, "intended_recipient"),
        ri(2, 1, "reported"),
        ri(2, 3, "reported"),
        ri(3, 4, "reported"),
        ri(3, 5, "reported"),
    ];
    tx.insert_referral_identifiers(&rows).await.unwrap();
    tx.insert_referral_identifiers(&rows[..3])
        .await
        .expect("a row stored again is ignored");
    let link = |r: i64, i: i64, weight: f64| LinkRow {
        referral_id: ReferralId(r),
        identifier_id: IdentifierId(i),
        weight,
        linked_at: 20,
    };
    tx.insert_links(&[link(2, 1, 1.0), link(1, 1, 1.0), link(1, 2, 0.3)])
        .await
        .unwrap();
    tx.insert_links(&[link(2, 1, 1.0)])
        .await
        .expect("a link stored again is ignored");
    tx.commit().await.unwrap();

    let mut tx = operator_tx(&db, true).await;
    let of_referrals = tx
        .identifiers_of_referrals(&[ReferralId(1), ReferralId(3)])
        .await
        .unwrap();
    assert_eq!(
        of_referrals,
        vec![
            (ReferralId(1), email.clone(), "reported".to_owned()),
            (
                ReferralId(1),
                account.clone(),
                "intended_recipient".to_owned()
            ),
            (ReferralId(1), ip.clone(), "reported".to_owned()),
            (ReferralId(3), account.clone(), "reported".to_owned()),
            (ReferralId(3), common.clone(), "reported".to_owned()),
        ],
        "by referral, then kind, then value; each row once"
    );

    let on = |referral: &str, i: &IdentifierRow, role: &str, flagged: bool| IdentifierOnReferral {
        referral: referral.into(),
        kind: i.kind,
        service: i.service.clone(),
        value: i.value.clone(),
        role: role.into(),
        placeholder: flagged,
    };
    let of_subjects = tx.identifiers_of_subjects(&sids(&[2, 1])).await.unwrap();
    assert_eq!(
        of_subjects,
        vec![
            (
                SubjectId(1),
                on("ncmec:100000001", &account, "intended_recipient", false)
            ),
            (
                SubjectId(1),
                on("ncmec:100000001", &email, "reported", false)
            ),
            (SubjectId(1), on("ncmec:100000001", &ip, "reported", false)),
            (
                SubjectId(1),
                on("ncmec:100000002", &email, "reported", false)
            ),
            (
                SubjectId(1),
                on("ncmec:100000002", &placeholder, "reported", true)
            ),
            (
                SubjectId(2),
                on("ncmec:100000003", &account, "reported", false)
            ),
            (
                SubjectId(2),
                on("ncmec:100000003", &common, "reported", true)
            ),
        ],
        "placeholder and common values are flagged as not linking"
    );

    let explained = |referral: &str, i: &IdentifierRow, weight: f64| {
        (
            SubjectId(1),
            LinkExplained {
                referral: referral.into(),
                kind: i.kind,
                service: i.service.clone(),
                value: i.value.clone(),
                weight,
            },
        )
    };
    assert_eq!(
        tx.links_of_subjects(&sids(&[1])).await.unwrap(),
        vec![
            explained("ncmec:100000001", &email, 1.0),
            explained("ncmec:100000001", &ip, 0.3),
            explained("ncmec:100000002", &email, 1.0),
        ],
        "by referral, strongest first"
    );
    tx.commit().await.unwrap();

    let mut tx = operator_tx(&db, false).await;
    tx.delete_links_of_referrals(&[ReferralId(1)])
        .await
        .unwrap();
    assert_eq!(
        tx.links_of_subjects(&sids(&[1])).await.unwrap(),
        vec![explained("ncmec:100000002", &email, 1.0)]
    );
    tx.commit().await.unwrap();
}

async fn separations_add_remove_and_carry(db: Db) {
    let mut tx = operator_tx(&db, false).await;
    tx.add_separation(SubjectId(5), SubjectId(2)).await.unwrap();
    tx.add_separation(SubjectId(2), SubjectId(5))
        .await
        .expect("the same pair again is ignored");
    let pair = vec![(SubjectId(2), SubjectId(5))];
    assert_eq!(tx.separations(&sids(&[2])).await.unwrap(), pair);
    assert_eq!(tx.separations(&sids(&[5])).await.unwrap(), pair);
    assert!(tx.separations(&sids(&[9])).await.unwrap().is_empty());
    assert!(tx.separations(&[]).await.unwrap().is_empty());

    tx.add_separation(SubjectId(2), SubjectId(7)).await.unwrap();
    let mut found = tx.separations(&sids(&[2])).await.unwrap();
    found.sort();
    assert_eq!(
        found,
        vec![(SubjectId(2), SubjectId(5)), (SubjectId(2), SubjectId(7))]
    );
    tx.remove_separation(SubjectId(7), SubjectId(2))
        .await
        .unwrap();
    assert_eq!(tx.separations(&sids(&[2])).await.unwrap(), pair);
    tx.commit().await.unwrap();

    // Subject 2 merges into 3: 3 inherits 2's separations, but is never separated from itself.
    let mut tx = operator_tx(&db, false).await;
    tx.add_separation(SubjectId(2), SubjectId(3)).await.unwrap();
    tx.carry_separations(SubjectId(2), SubjectId(3))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = operator_tx(&db, true).await;
    let mut found = tx.separations(&sids(&[3])).await.unwrap();
    found.sort();
    assert_eq!(
        found,
        vec![(SubjectId(2), SubjectId(3)), (SubjectId(3), SubjectId(5))]
    );
    assert!(
        found.iter().all(|(a, b)| a != b),
        "no subject separated from itself"
    );
}

async fn file_details_insert_lookup_and_upsert(db: Db) {
    let a1 = file_detail("ncmec:100000001", "f1", &"a".repeat(64));
    let a2 = file_detail("ncmec:100000001", "f2", &"b".repeat(64));
    let b1 = file_detail("ncmec:100000002", "f1", &"c".repeat(64));
    let mut tx = operator_tx(&db, false).await;
    tx.insert_file_details(&[a2.clone(), b1.clone(), a1.clone()])
        .await
        .unwrap();
    tx.insert_file_details(&[]).await.unwrap();
    assert_eq!(
        tx.file_details_of_refs(&["ncmec:100000001".to_owned()])
            .await
            .unwrap(),
        vec![a1.clone(), a2.clone()]
    );
    assert!(
        tx.file_details_of_refs(&["ncmec:404".to_owned()])
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        tx.file_details_of_refs(&[
            "ncmec:100000002".into(),
            "ncmec:404".into(),
            "ncmec:100000001".into()
        ])
        .await
        .unwrap(),
        vec![a1.clone(), a2.clone(), b1.clone()],
        "by report, then file"
    );

    assert_eq!(
        tx.upsert_file_detail(&a1).await.unwrap(),
        FileDetailOutcome::Duplicate
    );
    let changed = FileDetailRow {
        content_sha256: "d".repeat(64),
        received_at: 4_100,
        document: r#"{"file_id":"f1","file_name":"geändert.jpg"}"#.into(),
        ..a1.clone()
    };
    assert_eq!(
        tx.upsert_file_detail(&changed).await.unwrap(),
        FileDetailOutcome::Updated
    );
    let new = file_detail("ncmec:100000003", "sha256:eeee", &"e".repeat(64));
    assert_eq!(
        tx.upsert_file_detail(&new).await.unwrap(),
        FileDetailOutcome::Inserted
    );
    tx.commit().await.unwrap();

    let mut tx = operator_tx(&db, true).await;
    assert_eq!(
        tx.file_details_of_refs(&["ncmec:100000001".to_owned()])
            .await
            .unwrap(),
        vec![changed, a2]
    );
    assert_eq!(
        tx.file_details_of_refs(&["ncmec:100000003".to_owned()])
            .await
            .unwrap(),
        vec![new]
    );
}

async fn rejects_keep_binary_content_and_resolve(db: Db) {
    // Not UTF-8, with NUL bytes, every byte value, and large enough to need more than one page.
    let mut binary: Vec<u8> = vec![0x00, 0xff, 0xfe, 0x80, b'<', 0x00];
    binary.extend("café — 東京".as_bytes());
    binary.extend((0..70_000u32).map(|i| (i % 256) as u8));
    let first = NewReject {
        path: "/in/paquet-ü/100000001.xml".into(),
        location: Some("line 12, column 5".into()),
        field: Some("report/personOrUserReported/email".into()),
        reason: "expected an e-mail address — got “junk”".into(),
        content: binary.clone(),
        context: Some(r#"{"nca":null,"report_id":"100000001"}"#.into()),
        rejected_at: 7_000,
    };
    let second = NewReject {
        path: "/in/empty.json".into(),
        location: None,
        field: None,
        reason: "unrecognised content".into(),
        content: Vec::new(),
        context: None,
        rejected_at: 7_001,
    };
    let mut tx = operator_tx(&db, false).await;
    let id1 = tx.insert_reject(&first).await.unwrap();
    let id2 = tx.insert_reject(&second).await.unwrap();
    tx.commit().await.unwrap();
    assert!(id2 > id1);

    assert_eq!(reject_content(&db, id1).await, binary);
    assert_eq!(reject_content(&db, id2).await, Vec::<u8>::new());

    let row = |id: i64, r: &NewReject, resolved_at: Option<i64>| RejectRow {
        id,
        path: r.path.clone(),
        location: r.location.clone(),
        field: r.field.clone(),
        reason: r.reason.clone(),
        context: r.context.clone(),
        rejected_at: r.rejected_at,
        resolved_at,
    };
    let mut tx = operator_tx(&db, false).await;
    assert_eq!(
        tx.rejects(false).await.unwrap(),
        vec![row(id1, &first, None), row(id2, &second, None)]
    );
    tx.resolve_reject(id1, 7_500).await.unwrap();
    assert_eq!(
        tx.rejects(false).await.unwrap(),
        vec![row(id2, &second, None)]
    );
    assert_eq!(
        tx.rejects(true).await.unwrap(),
        vec![row(id1, &first, Some(7_500)), row(id2, &second, None)]
    );
    assert_eq!(tx.counts().await.unwrap().open_rejects, 1);
    assert_eq!(
        tx.reject(id1).await.unwrap(),
        Some(row(id1, &first, Some(7_500)))
    );
    assert_eq!(tx.reject(id2 + 1000).await.unwrap(), None);
    tx.commit().await.unwrap();
}

async fn risk_tools_activate_and_refuse_changed_content(db: Db) {
    let v1 = tool_row(
        "1.0.0",
        "id = \"kirat-illustrative\"\n# version one — ü",
        true,
    );
    let v2 = tool_row("2.0.0", "id = \"kirat-illustrative\"\n# version two", true);
    let active_count = "SELECT COUNT(*) FROM risk_tool WHERE active";

    let mut tx = operator_tx(&db, false).await;
    assert_eq!(tx.active_risk_tool().await.unwrap(), None);
    tx.save_risk_tool(&v1).await.unwrap();
    assert_eq!(tx.active_risk_tool().await.unwrap(), Some(v1.clone()));
    tx.save_risk_tool(&v2).await.unwrap();
    assert_eq!(tx.active_risk_tool().await.unwrap(), Some(v2.clone()));
    tx.commit().await.unwrap();
    assert_eq!(scalar(&db, active_count).await, 1);

    // The same version with the same content again: made active again, loaded_at kept.
    let mut tx = operator_tx(&db, false).await;
    tx.save_risk_tool(&RiskToolRow {
        loaded_at: 9_999,
        ..v1.clone()
    })
    .await
    .unwrap();
    assert_eq!(tx.active_risk_tool().await.unwrap(), Some(v1.clone()));
    // Stored but not active.
    tx.save_risk_tool(&tool_row("3.0.0", "# version three", false))
        .await
        .unwrap();
    assert_eq!(tx.active_risk_tool().await.unwrap(), Some(v1.clone()));
    tx.commit().await.unwrap();
    assert_eq!(scalar(&db, active_count).await, 1);
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM risk_tool").await, 3);

    // The same version with different content is refused; the caller's rollback leaves the tools as they were.
    let mut tx = operator_tx(&db, false).await;
    let changed = tool_row(
        "1.0.0",
        "id = \"kirat-illustrative\"\n# edited in place",
        true,
    );
    match tx.save_risk_tool(&changed).await {
        Err(StoreError::Corrupt(message)) => assert!(message.contains("1.0.0"), "{message}"),
        other => panic!("a changed tool under an old version must be refused, got {other:?}"),
    }
    drop(tx);
    let mut tx = operator_tx(&db, true).await;
    assert_eq!(tx.active_risk_tool().await.unwrap(), Some(v1));
}

async fn assessments_roundtrip(db: Db) {
    let closed = SubjectRow {
        status: SubjectStatus::Merged,
        assessment_id: Some(3),
        ..subject(2, 100)
    };
    commit_subjects(&db, &[subject(1, 100), closed, subject(4, 100)]).await;
    let first = assessment(1, 1);
    let overridden = AssessmentRow {
        answers: r#"{"access_work":"regular","note":"Zoë — 東京"}"#.into(),
        band: Band::Medium,
        override_band: Some(Band::VeryHigh),
        override_rationale: Some("Intelligence from the school — café staff".into()),
        override_by: Some("DS Example".into()),
        rescored_from: Some(1),
        ..assessment(2, 1)
    };
    let mut tx = operator_tx(&db, false).await;
    tx.insert_assessment(&first).await.unwrap();
    tx.insert_assessment(&overridden).await.unwrap();
    tx.insert_assessment(&assessment(3, 2)).await.unwrap();
    tx.update_subject(&SubjectRow {
        assessment_id: Some(2),
        ..subject(1, 100)
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let mut tx = operator_tx(&db, true).await;
    assert_eq!(tx.assessment(2).await.unwrap(), Some(overridden.clone()));
    assert_eq!(tx.assessment(1).await.unwrap(), Some(first.clone()));
    assert_eq!(tx.assessment(99).await.unwrap(), None);
    assert_eq!(
        tx.assessments_of_subject(SubjectId(1)).await.unwrap(),
        vec![first, overridden],
        "oldest first"
    );
    assert!(
        tx.assessments_of_subject(SubjectId(4))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        tx.assessed_subjects().await.unwrap(),
        vec![(SubjectId(1), 2)],
        "only open subjects with a current assessment"
    );
}

async fn new_version_keeps_the_previous_one(db: Db) {
    commit_subjects(&db, &[subject(1, 100)]).await;
    let v1 = full_referral(1, 1);
    let other = referral(2, 1);
    let mut tx = operator_tx(&db, false).await;
    tx.insert_referrals(&[v1.clone(), other.clone()])
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let v2 = ReferralRow {
        version: 2,
        content_sha256: "f".repeat(64),
        received_at: 9_000,
        incident_type: None,
        incident_at: Some(8_000),
        platform: Some("ExampleChat Web".into()),
        band: Band::High,
        outcome: Packed::pack(r#"{"band":"high"}"#),
        signals: r#"{"sextortion":true}"#.into(),
        document: Packed::pack(r#"{"version":"zwei — ü"}"#),
        ..v1.clone()
    };
    let mut tx = operator_tx(&db, false).await;
    tx.record_new_version(&v1, &v2).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = operator_tx(&db, false).await;
    let stored = tx
        .referral_by_source_ref(&v1.source_ref)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, v2, "the referral now holds the new version");
    assert_eq!(
        (stored.clock_start_at, stored.subject_id),
        (v1.clock_start_at, v1.subject_id),
        "a new version does not restart the clock or move the referral"
    );
    assert_eq!(
        tx.referral_versions(v1.id).await.unwrap(),
        vec![(1, v1.content_sha256.clone(), v1.received_at)]
    );

    let v3 = ReferralRow {
        version: 3,
        content_sha256: "0".repeat(64),
        received_at: 9_500,
        ..v2.clone()
    };
    tx.record_new_version(&stored, &v3).await.unwrap();
    assert_eq!(
        tx.referral_versions(v1.id).await.unwrap(),
        vec![
            (1, v1.content_sha256.clone(), v1.received_at),
            (2, v2.content_sha256.clone(), v2.received_at)
        ],
        "every earlier version, oldest first"
    );
    assert!(tx.referral_versions(other.id).await.unwrap().is_empty());

    // Recomputed risk replaces only the risk fields and the document.
    let rescored = ReferralRow {
        band: Band::VeryHigh,
        outcome: Packed::pack(r#"{"band":"very_high"}"#),
        signals: r#"{"files_infant":1}"#.into(),
        document: Packed::pack(r#"{"files":[{"file_id":"f1"}]}"#),
        received_at: 1,
        version: 99,
        ..v3.clone()
    };
    tx.update_referral_risk(&rescored).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = operator_tx(&db, true).await;
    assert_eq!(
        tx.referral_by_source_ref(&v1.source_ref).await.unwrap(),
        Some(ReferralRow {
            received_at: v3.received_at,
            version: 3,
            ..rescored
        })
    );
    assert_eq!(
        tx.referral_by_source_ref(&other.source_ref).await.unwrap(),
        Some(other)
    );
}

async fn decisions_are_listed_for_both_subjects(db: Db) {
    let d1 = decision(1, DecisionKind::Merge, 1, 2);
    let d2 = decision(2, DecisionKind::Split, 2, 3);
    let d3 = decision(3, DecisionKind::Split, 4, 5);
    let mut tx = operator_tx(&db, false).await;
    for d in [&d2, &d1, &d3] {
        tx.insert_decision(d).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut tx = operator_tx(&db, true).await;
    assert_eq!(
        tx.decisions_of_subject(SubjectId(2)).await.unwrap(),
        vec![d1.clone(), d2.clone()]
    );
    assert_eq!(
        tx.decisions_of_subject(SubjectId(1)).await.unwrap(),
        vec![d1]
    );
    assert_eq!(
        tx.decisions_of_subject(SubjectId(5)).await.unwrap(),
        vec![d3]
    );
    assert!(
        tx.decisions_of_subject(SubjectId(9))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn counts_count_what_is_live(db: Db) {
    let zero = Counts {
        referrals: 0,
        subjects: 0,
        identifiers: 0,
        open_rejects: 0,
    };
    let mut tx = operator_tx(&db, true).await;
    assert_eq!(tx.counts().await.unwrap(), zero);
    tx.commit().await.unwrap();

    commit_subjects(&db, &[subject(1, 1), subject(2, 1), subject(3, 1)]).await;
    let mut tx = operator_tx(&db, false).await;
    tx.insert_referrals(&[referral(1, 1), referral(2, 2)])
        .await
        .unwrap();
    tx.insert_identifiers(&[
        identifier(1, "email", None, "a@mail.example", Some(1)),
        identifier(2, "email", None, "b@mail.example", Some(2)),
        identifier(3, "ip_address", None, "203.0.113.5", None),
    ])
    .await
    .unwrap();
    tx.merge_subject(SubjectId(2), SubjectId(1)).await.unwrap();
    let reject = NewReject {
        path: "x.xml".into(),
        location: None,
        field: None,
        reason: "bad".into(),
        content: b"<x".to_vec(),
        context: None,
        rejected_at: 1,
    };
    let resolved = tx.insert_reject(&reject).await.unwrap();
    tx.insert_reject(&reject).await.unwrap();
    tx.resolve_reject(resolved, 2).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = operator_tx(&db, true).await;
    assert_eq!(
        tx.counts().await.unwrap(),
        Counts {
            referrals: 2,
            subjects: 2,
            identifiers: 3,
            open_rejects: 1,
        }
    );
}

async fn rolled_back_transaction_leaves_nothing(db: Db) {
    // Something committed first, to see that a rollback keeps it as it was.
    commit_subjects(&db, &[subject(1, 100)]).await;

    let mut tx = operator_tx(&db, false).await;
    assert_eq!(tx.alloc_ids("subject", 3).await.unwrap(), 1);
    assert_eq!(tx.alloc_ids("referral", 2).await.unwrap(), 1);
    tx.insert_subjects(&[subject(2, 10)]).await.unwrap();
    tx.update_subject(&SubjectRow {
        band: Band::VeryHigh,
        due_at: 1,
        ..subject(1, 100)
    })
    .await
    .unwrap();
    tx.insert_referrals(&[referral(1, 2)]).await.unwrap();
    tx.insert_identifiers(&[identifier(1, "email", None, "a@mail.example", Some(2))])
        .await
        .unwrap();
    tx.insert_referral_identifiers(&[ReferralIdentifierRow {
        referral_id: ReferralId(1),
        identifier_id: IdentifierId(1),
        role: "reported".into(),
    }])
    .await
    .unwrap();
    tx.record_identifier_accounts(&[(IdentifierId(1), IdentifierId(2))])
        .await
        .unwrap();
    tx.insert_reject(&NewReject {
        path: "x.xml".into(),
        location: None,
        field: None,
        reason: "bad".into(),
        content: vec![0, 1, 2],
        context: None,
        rejected_at: 1,
    })
    .await
    .unwrap();
    tx.insert_file_details(&[file_detail("ncmec:100000001", "f1", &"a".repeat(64))])
        .await
        .unwrap();
    tx.save_risk_tool(&tool_row("1.0.0", "# tool", true))
        .await
        .unwrap();
    tx.insert_assessment(&assessment(1, 2)).await.unwrap();
    tx.add_separation(SubjectId(1), SubjectId(2)).await.unwrap();
    tx.insert_decision(&decision(1, DecisionKind::Split, 1, 2))
        .await
        .unwrap();
    tx.merge_subject(SubjectId(1), SubjectId(2)).await.unwrap();
    assert_eq!(tx.counts().await.unwrap().referrals, 1, "visible inside");
    drop(tx);

    let mut tx = operator_tx(&db, false).await;
    assert_eq!(
        tx.counts().await.unwrap(),
        Counts {
            referrals: 0,
            subjects: 1,
            identifiers: 0,
            open_rejects: 0,
        }
    );
    assert_eq!(
        tx.subject(SubjectId(1)).await.unwrap(),
        Some(subject(1, 100))
    );
    assert_eq!(tx.subject(SubjectId(2)).await.unwrap(), None);
    assert!(tx.rejects(true).await.unwrap().is_empty());
    assert!(
        tx.file_details_of_refs(&["ncmec:100000001".to_owned()])
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(tx.active_risk_tool().await.unwrap(), None);
    assert_eq!(tx.assessment(1).await.unwrap(), None);
    assert!(tx.separations(&sids(&[1, 2])).await.unwrap().is_empty());
    assert!(
        tx.decisions_of_subject(SubjectId(1))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        tx.record_identifier_accounts(&[(IdentifierId(1), IdentifierId(3))])
            .await
            .unwrap(),
        vec![(IdentifierId(1), 1)],
        "the rolled-back account pair is gone"
    );
    assert_eq!(
        tx.alloc_ids("subject", 1).await.unwrap(),
        1,
        "rolled-back allocations are given out again"
    );
    assert_eq!(tx.alloc_ids("referral", 1).await.unwrap(), 1);
    tx.commit().await.unwrap();
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM referral_identifier").await,
        0
    );
}

async fn index_exists(db: &Db, name: &str) -> bool {
    let count: i64 = match db {
        Db::Sqlite(sqlite) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = $1")
                .bind(name)
                .fetch_one(&sqlite.pool().await)
                .await
                .unwrap()
        }
        Db::Postgres(pg) => sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_indexes WHERE indexname = $1 AND schemaname = current_schema()",
        )
        .bind(name)
        .fetch_one(pg.pool())
        .await
        .unwrap(),
    };
    count == 1
}

async fn deferred_present(db: &Db) -> Vec<bool> {
    let mut present = Vec::new();
    for (name, _) in DEFERRED_INDEXES {
        present.push(index_exists(db, name).await);
    }
    present
}

async fn deferred_indexes_drop_and_are_built_again(db: Db) {
    let every = vec![true; DEFERRED_INDEXES.len()];
    assert_eq!(deferred_present(&db).await, every);
    db.drop_deferred_indexes().await.unwrap();
    assert_eq!(
        deferred_present(&db).await,
        vec![false; DEFERRED_INDEXES.len()]
    );
    // A bulk load that stopped half-way: the next start builds what is missing.
    let again = Db::connect(&url_of(&db)).await.unwrap();
    assert_eq!(deferred_present(&again).await, every);
    again.drop_deferred_indexes().await.unwrap();
    db.build_deferred_indexes().await.unwrap();
    db.build_deferred_indexes().await.unwrap();
    assert_eq!(deferred_present(&db).await, every);
    // Every start checks: with the index there, it must not wait for an ingest writing to the table.
    if let Db::Postgres(pg) = &db {
        let mut ingest = pg.pool().begin().await.unwrap();
        sqlx::query("LOCK TABLE referral_identifier, subject IN ROW EXCLUSIVE MODE")
            .execute(&mut *ingest)
            .await
            .unwrap();
        tokio::time::timeout(
            std::time::Duration::from_secs(5),
            db.build_deferred_indexes(),
        )
        .await
        .expect("a start waited for the ingest's lock")
        .unwrap();
        ingest.rollback().await.unwrap();
    }
}

async fn statistics_are_gathered_on_postgres_only(db: Db) {
    let rows: Vec<IdentifierRow> = (1..=50)
        .map(|i| identifier(i, "email", None, &format!("user{i}@mail.example"), None))
        .collect();
    let mut tx = operator_tx(&db, false).await;
    tx.insert_identifiers(&rows).await.unwrap();
    tx.commit().await.unwrap();
    db.analyze_ingest_tables().await.unwrap();
    match &db {
        // SQLite plans from its indexes; statistics (sqlite_stat1) would change its plans, so none are made.
        Db::Sqlite(_) => assert_eq!(
            scalar(
                &db,
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
            )
            .await,
            0
        ),
        Db::Postgres(_) => assert!(
            scalar(
                &db,
                "SELECT COUNT(*) FROM pg_stats WHERE tablename = 'identifier' AND attname = 'key' \
                 AND schemaname = current_schema()"
            )
            .await
                > 0
        ),
    }
}

async fn identifiers_sharing_a_key_hash_are_told_apart(db: Db) {
    let asked = identifier(1, "email", None, "one@mail.example", None);
    let other = identifier(2, "email", None, "two@mail.example", None);
    let mut tx = operator_tx(&db, false).await;
    tx.insert_identifiers(&[asked.clone(), other.clone()])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    if let Db::Sqlite(sqlite) = &db {
        // A collision, forged: real FNV-1a collisions between short keys are too rare to find for a test.
        sqlx::query("UPDATE identifier SET key_hash = $1 WHERE id = 2")
            .bind(identifier_key_hash(&asked.key))
            .execute(&sqlite.pool().await)
            .await
            .unwrap();
    }
    let wanted = std::slice::from_ref(&asked.key);
    let mut tx = operator_tx(&db, true).await;
    assert_eq!(
        tx.identifiers_by_key(wanted).await.unwrap(),
        vec![asked.clone()]
    );
}

async fn key_hashes_missing_from_older_rows_are_filled(db: Db) {
    let older = identifier(1, "email", None, "older@mail.example", None);
    let mut tx = operator_tx(&db, false).await;
    tx.insert_identifiers(std::slice::from_ref(&older))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    if let Db::Sqlite(sqlite) = &db {
        // As a row stored before migration 0005 added the column.
        sqlx::query("UPDATE identifier SET key_hash = NULL")
            .execute(&sqlite.pool().await)
            .await
            .unwrap();
        db.migrate().await.unwrap();
        assert_eq!(
            scalar(
                &db,
                "SELECT COUNT(*) FROM identifier WHERE key_hash IS NULL"
            )
            .await,
            0
        );
    }
    let mut tx = operator_tx(&db, true).await;
    assert_eq!(
        tx.identifiers_by_key(std::slice::from_ref(&older.key))
            .await
            .unwrap(),
        vec![older]
    );
}

async fn referral_documents_are_stored_packed_and_older_text_still_reads(db: Db) {
    commit_subjects(&db, &[subject(1, 100), subject(2, 100)]).await;
    let people: Vec<String> = (0..40)
        .map(|i| format!(r#"{{"role":"reported","identifiers":[{{"kind":"email","value":"p{i}@mail.example"}}]}}"#))
        .collect();
    let text = format!(r#"{{"people":[{}]}}"#, people.join(","));
    let packed = ReferralRow {
        document: Packed::pack(&text),
        ..full_referral(1, 1)
    };
    let mut tx = operator_tx(&db, false).await;
    tx.insert_referrals(&[packed.clone(), referral(2, 2)])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let stored = scalar(
        &db,
        "SELECT CAST(LENGTH(document) AS BIGINT) FROM referral WHERE id = 1",
    )
    .await;
    assert!(
        stored * 4 < text.len() as i64,
        "{stored} bytes stored for {}",
        text.len()
    );

    // As a row written before documents were packed: the JSON text itself (PostgreSQL's migration 0005 turned
    // such text into its bytes).
    let older = r#"{"additional_info":["written before packing — ü"]}"#;
    let sql = match db.backend() {
        Backend::Sqlite => "UPDATE referral SET document = $1, outcome = $1 WHERE id = 2",
        Backend::Postgres => {
            "UPDATE referral SET document = convert_to($1, 'UTF8'), outcome = convert_to($1, 'UTF8') WHERE id = 2"
        }
    };
    match &db {
        Db::Sqlite(sqlite) => {
            sqlx::query(sql)
                .bind(older)
                .execute(&sqlite.pool().await)
                .await
                .unwrap();
        }
        Db::Postgres(pg) => {
            sqlx::query(sql)
                .bind(older)
                .execute(pg.pool())
                .await
                .unwrap();
        }
    }
    let mut tx = operator_tx(&db, true).await;
    let read = tx
        .referrals_by_id(&[ReferralId(1), ReferralId(2)])
        .await
        .unwrap();
    assert_eq!(read[0], packed);
    assert_eq!(read[0].document.text().unwrap(), text);
    assert_eq!(read[1].document.text().unwrap(), older);
    assert_eq!(
        read[1].outcome.json::<serde_json::Value>().unwrap()["additional_info"][0],
        "written before packing — ü"
    );
}

async fn a_session_comes_with_its_staff_in_one_read(db: Db) {
    let mut tx = operator_tx(&db, false).await;
    let force = tx
        .insert_org("F1", "Force One", OrgKind::Force)
        .await
        .unwrap();
    let analyst = insert_person(
        &mut tx,
        force,
        "an.analyst",
        vec![Role::Supervisor, Role::Analyst],
    )
    .await;
    tx.insert_session(&NewSession {
        token_hash: "hash-of-the-token".into(),
        staff_id: analyst,
        stage: SessionStage::SignedIn,
        provider: "local".into(),
        csrf_token: "csrf".into(),
        created_at: 200,
        address: "192.0.2.7".into(),
        user_agent: "test".into(),
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let (session, staff) = db
        .session_and_staff("hash-of-the-token")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.staff_id, analyst);
    assert_eq!(session.stage, SessionStage::SignedIn);
    assert_eq!((session.created_at, session.last_seen_at), (200, 200));
    assert_eq!(session.address, "192.0.2.7");
    assert_eq!(session.ended_at, None);
    assert_eq!(staff.id, analyst);
    assert_eq!(staff.org_id, force);
    assert_eq!(staff.org_kind, OrgKind::Force);
    assert_eq!(staff.username, "an.analyst");
    assert_eq!(staff.kind, StaffKind::Person);
    assert!(staff.active);
    // Both roles, in the roles' own order whatever the order given.
    let mut roles = vec![Role::Analyst, Role::Supervisor];
    roles.sort();
    assert_eq!(staff.roles, roles);
    assert!(
        db.session_and_staff("no-such-hash")
            .await
            .unwrap()
            .is_none()
    );
}

async fn case_access_names_owner_shares_and_restriction(db: Db) {
    let mut tx = operator_tx(&db, false).await;
    let force = tx
        .insert_org("F1", "Force One", OrgKind::Force)
        .await
        .unwrap();
    let one = insert_person(&mut tx, force, "one", vec![Role::Analyst]).await;
    let two = insert_person(&mut tx, force, "two", vec![Role::Analyst]).await;
    let three = insert_person(&mut tx, force, "three", vec![Role::Analyst]).await;
    let mut owned = subject(1, 1000);
    owned.owner_org = Some(force);
    tx.insert_subjects(&[owned, subject(2, 1000)])
        .await
        .unwrap();
    tx.share_case(SubjectId(1), three, "a second look", "one", 300)
        .await
        .unwrap();
    tx.share_case(SubjectId(1), two, "a second look", "one", 301)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // Through a read (a read-only connection on SQLite, a snapshot on PostgreSQL) and a writing transaction,
    // alike.
    let read = |db: Db, id: i64| async move {
        let mut tx = db.begin_read().await.unwrap();
        let by_tx = tx.case_access(SubjectId(id)).await.unwrap();
        tx.commit().await.unwrap();
        let mut page = db.begin().await.unwrap();
        let by_page = page.case_access(SubjectId(id)).await.unwrap();
        page.commit().await.unwrap();
        assert_eq!(by_tx, by_page);
        by_tx
    };
    assert_eq!(
        read(db.clone(), 1).await,
        Some(CaseAccess {
            owner: Some(force),
            restricted_to: None,
            shared_with: vec![two, three]
        })
    );
    assert_eq!(
        read(db.clone(), 2).await,
        Some(CaseAccess {
            owner: None,
            restricted_to: None,
            shared_with: vec![]
        })
    );
    assert_eq!(read(db.clone(), 3).await, None);

    let mut tx = operator_tx(&db, false).await;
    tx.restrict_case(SubjectId(1), Some(&[three, one]))
        .await
        .unwrap();
    tx.restrict_case(SubjectId(2), Some(&[])).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        read(db.clone(), 1).await.unwrap().restricted_to,
        Some(vec![one, three])
    );
    assert_eq!(
        read(db.clone(), 2).await.unwrap().restricted_to,
        Some(vec![])
    );
}

async fn a_stored_band_status_kind_or_processing_that_is_none_is_corrupt_data(db: Db) {
    commit_subjects(&db, &[subject(1, 1000), subject(2, 1000)]).await;
    // A band or status is read into its type, never passed on as text (nor taken for the lowest band).
    execute_raw(&db, "UPDATE subject SET band = 'urgent' WHERE id = 1")
        .await
        .unwrap();
    execute_raw(&db, "UPDATE subject SET status = 'closed' WHERE id = 2")
        .await
        .unwrap();
    let mut tx = operator_tx(&db, true).await;
    match tx.subject(SubjectId(1)).await {
        Err(StoreError::Corrupt(what)) => assert!(what.contains("band \"urgent\""), "{what}"),
        other => panic!("a band that is none read as {other:?}"),
    }
    match tx.subject(SubjectId(2)).await {
        Err(StoreError::Corrupt(what)) => assert!(what.contains("status \"closed\""), "{what}"),
        other => panic!("a status that is none read as {other:?}"),
    }
    tx.commit().await.unwrap();
    let mut tx = operator_tx(&db, false).await;
    tx.insert_decision(&decision(1, DecisionKind::Merge, 1, 2))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    execute_raw(&db, "UPDATE subject_decision SET kind = 'join'")
        .await
        .unwrap();
    let mut tx = operator_tx(&db, true).await;
    match tx.decisions_of_subject(SubjectId(1)).await {
        Err(StoreError::Corrupt(what)) => assert!(what.contains("kind \"join\""), "{what}"),
        other => panic!("a decision kind that is none read as {other:?}"),
    }
    tx.commit().await.unwrap();

    // An identifier's kind, wherever an identifier is read.
    let mut tx = operator_tx(&db, false).await;
    tx.insert_identifiers(&[identifier(1, "email", None, "a@mail.example", Some(1))])
        .await
        .unwrap();
    tx.insert_referrals(&[referral(1, 1)]).await.unwrap();
    tx.insert_referral_identifiers(&[ReferralIdentifierRow {
        referral_id: ReferralId(1),
        identifier_id: IdentifierId(1),
        role: "reported".into(),
    }])
    .await
    .unwrap();
    tx.commit().await.unwrap();
    execute_raw(&db, "UPDATE identifier SET kind = 'fax' WHERE id = 1")
        .await
        .unwrap();
    let mut tx = operator_tx(&db, true).await;
    match tx
        .identifiers_by_key(&["email||a@mail.example".into()])
        .await
    {
        Err(StoreError::Corrupt(what)) => assert!(what.contains("kind \"fax\""), "{what}"),
        other => panic!("an identifier kind that is none read as {other:?}"),
    }
    match tx.identifiers_of_subjects(&[SubjectId(1)]).await {
        Err(StoreError::Corrupt(what)) => assert!(what.contains("kind \"fax\""), "{what}"),
        other => panic!("an identifier kind that is none read as {other:?}"),
    }
    tx.commit().await.unwrap();

    // A staff kind that is neither a person nor a service is refused by the database itself.
    let mut tx = operator_tx(&db, false).await;
    let force = tx
        .insert_org("F1", "Force One", OrgKind::Force)
        .await
        .unwrap();
    insert_person(&mut tx, force, "a.person", vec![Role::Analyst]).await;
    tx.commit().await.unwrap();
    let refused = execute_raw(&db, "UPDATE staff SET kind = 'robot'")
        .await
        .expect_err("the database refuses a staff kind that is none")
        .to_string();
    assert!(refused.to_lowercase().contains("check"), "{refused}");

    // An audit entry's processing: appended beside the log's own appends, as a tampering program would.
    execute_raw(
        &db,
        "INSERT INTO audit_log (seq, at, actor, org, processing, action, target, outcome, mac) \
         VALUES (1000, 1, 'tester', NULL, 'administration', 'test', 'log', 'ok', '00')",
    )
    .await
    .unwrap();
    let gate = Gate::new(db.clone(), AuditKey::new([1; 32]));
    let auditor = Actor::Operator {
        name: "tester".into(),
    };
    let reading = Request {
        actor: &auditor,
        action: Action::ReadAudit,
        target: "audit_log",
        at: 0,
        justification: None,
        recipients: None,
        detail: None,
    };
    let Verdict::Granted(mut tx) = gate
        .authorise(db.begin_read().await.unwrap(), &reading, None)
        .await
        .unwrap()
    else {
        panic!("an operator reads the log");
    };
    match tx.audit_entries_after(0, 2000).await {
        Err(StoreError::Corrupt(what)) => {
            assert!(what.contains("processing \"administration\""), "{what}")
        }
        other => panic!("an audit processing that is none read as {other:?}"),
    }
}
