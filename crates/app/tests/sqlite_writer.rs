//! The SQLite ingest writer (rusqlite, prepared statements) stores exactly what the sqlx path stores: the same
//! synthetic stream ingested both ways, in small batches so that duplicates, new versions, file details for
//! earlier batches, merges and values turning common all cross batch boundaries, gives identical tables,
//! audit chain included. The packages go to two forces and the partner rows to neither, so identifiers of three
//! owners are kept apart both ways.

use severn_app::App;
use severn_app::ingest::Ingester;
use severn_domain::access::{Actor, OrgKind};
use severn_domain::audit::AuditKey;
use severn_domain::clock::FixedClock;
use severn_store::Db;
use std::path::Path;
use std::sync::Arc;

const TABLES: &[&str] = &[
    "id_alloc",
    "subject",
    "referral",
    "referral_version",
    "identifier",
    "identifier_account",
    "referral_identifier",
    "subject_link",
    "subject_separation",
    "file_detail",
    "reject",
    "audit_log",
    "audit_head",
];

const FORCES: [(&str, &str); 2] = [("fa", "Force A"), ("fb", "Force B")];

async fn ingest(corpus: &Path, db_path: &Path, sqlite_writer: bool) {
    let db = Db::connect(&format!("sqlite://{}", db_path.display()))
        .await
        .unwrap();
    let app = App::new(
        db.clone(),
        Arc::new(FixedClock::new("2026-02-01T00:00:00Z".parse().unwrap())),
        AuditKey::new([1; 32]),
    );
    let actor = Actor::Operator {
        name: "tester".into(),
    };
    for (code, name) in FORCES {
        app.create_org(&actor, code, name, OrgKind::Force)
            .await
            .unwrap();
    }
    let mut ingester = Ingester::new(&app, &actor, None)
        .await
        .unwrap()
        .with_batch_size(150);
    if !sqlite_writer {
        ingester = ingester.without_sqlite_writer();
    }
    for item in severn_ingest::walk(&[corpus.join("packages"), corpus.join("partner")]) {
        ingester.push(item).await.unwrap();
    }
    ingester.finish().await.unwrap();
    db.close().await;
}

/// Every row of every table, sorted, as text.
fn dump(db_path: &Path) -> Vec<(String, Vec<String>)> {
    let conn = rusqlite::Connection::open(db_path).unwrap();
    TABLES
        .iter()
        .map(|table| {
            let columns = conn
                .prepare(&format!("SELECT * FROM {table}"))
                .unwrap()
                .column_count();
            let order: Vec<String> = (1..=columns).map(|i| i.to_string()).collect();
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT * FROM {table} ORDER BY {}",
                    order.join(", ")
                ))
                .unwrap();
            let rows = stmt
                .query_map([], |r| {
                    (0..columns)
                        .map(|i| {
                            r.get::<_, rusqlite::types::Value>(i)
                                .map(|v| format!("{v:?}"))
                        })
                        .collect::<rusqlite::Result<Vec<_>>>()
                        .map(|values| values.join(" | "))
                })
                .unwrap()
                .collect::<rusqlite::Result<Vec<_>>>()
                .unwrap();
            (table.to_string(), rows)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_writer_stores_what_the_sqlx_path_stores() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    let mut options = severn_synth::SynthOptions::new(11, 3000, &corpus);
    options.forces = FORCES.iter().map(|(_, name)| name.to_string()).collect();
    severn_synth::write_corpus(&options).unwrap();
    let raw = dir.path().join("raw.db");
    let sqlx = dir.path().join("sqlx.db");
    ingest(&corpus, &raw, true).await;
    ingest(&corpus, &sqlx, false).await;

    let owners: i64 = rusqlite::Connection::open(&raw)
        .unwrap()
        .query_row(
            "SELECT COUNT(DISTINCT IFNULL(owner_org, 0)) FROM identifier",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(owners, 3, "identifiers of both forces and of no force");

    // Each batch numbers its new identifiers in key-hash order, so that the writer fills the key-hash index
    // in order: going through the table by id, the hash only falls where one batch's identifiers end.
    let hashes: Vec<i64> = rusqlite::Connection::open(&raw)
        .unwrap()
        .prepare("SELECT key_hash FROM identifier ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let falls = hashes.windows(2).filter(|w| w[1] < w[0]).count();
    let documents = severn_ingest::walk(&[corpus.join("packages"), corpus.join("partner")]).count();
    assert!(
        falls <= documents.div_ceil(150) + 1,
        "{falls} falls in {} identifiers from {documents} documents in batches of 150",
        hashes.len()
    );

    let (raw, sqlx) = (dump(&raw), dump(&sqlx));
    let count = |dump: &[(String, Vec<String>)], table: &str| {
        dump.iter()
            .find(|(t, _)| t == table)
            .map(|(_, rows)| rows.len())
    };
    assert!(
        count(&raw, "referral") > Some(2900),
        "the stream was ingested"
    );
    assert!(
        count(&raw, "referral_version") > Some(0),
        "new versions were stored"
    );
    for ((table, raw_rows), (_, sqlx_rows)) in raw.iter().zip(&sqlx) {
        assert_eq!(raw_rows.len(), sqlx_rows.len(), "rows in {table}");
        for (a, b) in raw_rows.iter().zip(sqlx_rows) {
            assert_eq!(a, b, "a row of {table}");
        }
    }
}

/// An ingest leaves the database ready for its readers: the WAL, which would otherwise hold every page the
/// ingest wrote for each reader to search, is copied into the database file and emptied before `finish`
/// returns, while the database is still open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ingest_ends_with_the_wal_emptied() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    severn_synth::write_corpus(&severn_synth::SynthOptions::new(5, 300, &corpus)).unwrap();
    let file = dir.path().join("t.db");
    let db = Db::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    let app = App::new(
        db.clone(),
        Arc::new(FixedClock::new("2026-02-01T00:00:00Z".parse().unwrap())),
        AuditKey::new([1; 32]),
    );
    let actor = Actor::Operator {
        name: "tester".into(),
    };
    app.create_org(&actor, "fa", "Force A", OrgKind::Force)
        .await
        .unwrap();
    let mut ingester = Ingester::new(&app, &actor, None)
        .await
        .unwrap()
        .with_batch_size(100);
    for item in severn_ingest::walk(&[corpus.join("packages"), corpus.join("partner")]) {
        ingester.push(item).await.unwrap();
    }
    let summary = ingester.finish().await.unwrap();
    assert!(summary.ingested >= 300, "{summary:?}");
    let wal = std::fs::metadata(dir.path().join("t.db-wal"))
        .map(|m| m.len())
        .unwrap_or(0);
    assert_eq!(wal, 0, "bytes left in the WAL after the ingest");
    db.close().await;
}
