//! Test support (cargo feature `testing`): a fresh, migrated database on either backend, so that one scenario
//! can run against SQLite and PostgreSQL alike.
//!
//! SQLite databases live in a temporary directory. PostgreSQL databases are created, one per test, on the
//! server named by `SEVERN_TEST_POSTGRES_URL` (default [`DEFAULT_POSTGRES_URL`]) and dropped by
//! [`TestDb::cleanup`]. When that server cannot be reached the PostgreSQL tests fail, with a message saying
//! so: they are never skipped silently.
//!
//! [`backend_matrix!`](crate::backend_matrix) turns scenario functions `async fn scenario(db: Db)` into one
//! test per backend.

use crate::{Backend, Db, PostgresDb};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection};
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The environment variable naming the PostgreSQL server (any database on it) that test databases are created on.
pub const POSTGRES_URL_VAR: &str = "SEVERN_TEST_POSTGRES_URL";
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// How long to wait for the PostgreSQL server before failing.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh database for one test. Call [`TestDb::cleanup`] at the end: a PostgreSQL database is dropped there
/// (`Drop` cannot wait for the server).
pub struct TestDb {
    pub db: Db,
    place: Place,
}

enum Place {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

/// The PostgreSQL server URL the tests use.
pub fn postgres_admin_url() -> String {
    std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

/// `url` with its password (if any) left out, for messages.
fn shown(url: &str) -> String {
    match PgConnectOptions::from_str(url) {
        Ok(options) => format!(
            "postgres://{}@{}:{}/{}",
            options.get_username(),
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or("")
        ),
        Err(_) => "(unparseable URL)".to_owned(),
    }
}

fn unique_name() -> String {
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    // A randomly keyed hasher: a random suffix without a random-number dependency.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(counter);
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    format!(
        "severn_test_{}_{}_{:08x}",
        std::process::id(),
        counter,
        hasher.finish() as u32
    )
}

/// A connection to the server's administrative database, or a panic that says why there is none.
async fn admin_connection(admin_url: &str) -> PgConnection {
    let options = PgConnectOptions::from_str(admin_url).unwrap_or_else(|e| {
        panic!("{POSTGRES_URL_VAR} is not a PostgreSQL URL ({e}): set it to postgres://USER@HOST:PORT/DATABASE")
    });
    let unreachable = |why: String| -> ! {
        panic!(
            "PostgreSQL backend tests cannot reach the server at {} ({why}). These tests never skip: start \
             PostgreSQL (for example `pg_ctlcluster --skip-systemctl-redirect <version> main start`) or set \
             {POSTGRES_URL_VAR} to a server where the user may create databases.",
            shown(admin_url)
        )
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options)).await {
        Ok(Ok(connection)) => connection,
        Ok(Err(e)) => unreachable(e.to_string()),
        Err(_) => unreachable(format!("no answer within {CONNECT_TIMEOUT:?}")),
    }
}

/// A new, empty, migrated database on `backend`.
pub async fn fresh_db(backend: Backend) -> TestDb {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temporary directory for a SQLite test database");
            let url = format!("sqlite://{}", dir.path().join("severn-test.db").display());
            let db = Db::connect(&url)
                .await
                .unwrap_or_else(|e| panic!("SQLite test database at {url}: {e}"));
            TestDb {
                db,
                place: Place::Sqlite(dir),
            }
        }
        Backend::Postgres => {
            let admin_url = postgres_admin_url();
            let name = unique_name();
            let mut admin = admin_connection(&admin_url).await;
            sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                .execute(&mut admin)
                .await
                .unwrap_or_else(|e| {
                    panic!(
                        "cannot create test database {name} on {}: {e}",
                        shown(&admin_url)
                    )
                });
            admin.close().await.ok();
            let options = PgConnectOptions::from_str(&admin_url)
                .expect("checked above")
                .database(&name);
            let url = options.to_url_lossy().to_string();
            let db = Db::connect(&url)
                .await
                .unwrap_or_else(|e| panic!("test database {name} on {}: {e}", shown(&admin_url)));
            TestDb {
                db,
                place: Place::Postgres { admin_url, name },
            }
        }
    }
}

impl TestDb {
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The URL this database can be connected to again with [`Db::connect`].
    pub fn url(&self) -> String {
        url_of(&self.db)
    }

    /// Closes the pool and removes the database (the PostgreSQL database, or the SQLite directory).
    pub async fn cleanup(self) {
        self.db.close().await;
        match self.place {
            Place::Sqlite(dir) => drop(dir),
            Place::Postgres { admin_url, name } => {
                let mut admin = admin_connection(&admin_url).await;
                sqlx::raw_sql(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await
                .unwrap_or_else(|e| panic!("cannot drop test database {name}: {e}"));
                admin.close().await.ok();
            }
        }
    }
}

/// A URL that connects to the same database as `db` (for tests that connect a second time).
pub fn url_of(db: &Db) -> String {
    match db {
        Db::Sqlite(sqlite) => format!("sqlite://{}", sqlite.file),
        Db::Postgres(PostgresDb { pool, .. }) => pool.connect_options().to_url_lossy().to_string(),
    }
}

/// Runs SQL as the database's owner would, around Severn's API: for tests that tamper with stored data.
pub async fn execute_raw(db: &Db, sql: &str) -> crate::Result<()> {
    match db {
        Db::Sqlite(sqlite) => {
            sqlite
                .writer
                .with(|conn| Ok(conn.execute_batch(sql)?))
                .await
        }
        Db::Postgres(PostgresDb { pool, .. }) => {
            sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                .execute(pool)
                .await?;
            Ok(())
        }
    }
}

impl crate::SqliteDb {
    /// A sqlx connection of its own to the database file, for tests that tamper with or inspect what is
    /// stored as another program would.
    pub async fn pool(&self) -> sqlx::SqlitePool {
        sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(
                sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(&self.file)
                    .busy_timeout(std::time::Duration::from_secs(10)),
            )
            .await
            .expect("a second connection to the test database")
    }
}

impl PostgresDb {
    /// The pool, for tests that tamper with or inspect what is stored.
    pub fn pool(&self) -> &sqlx::PgPool {
        &self.pool
    }
}

/// Every entry of the audit log, oldest first, read around the gate: for tests that check what was logged.
pub async fn audit_log(db: &Db) -> Vec<severn_domain::audit::AuditEntry> {
    let mut tx = db.begin_read().await.expect("a read");
    let entries = tx
        .audit_entries_after(0, i64::MAX)
        .await
        .expect("the log reads");
    tx.commit().await.expect("the read ends");
    entries
}

/// One number from raw SQL, read around Severn's API: for tests that check what was stored.
pub async fn fetch_i64(db: &Db, sql: &str) -> crate::Result<i64> {
    let mut tx = db.begin().await?;
    let found = tx.conn().one(sql, &[], |r| r.i64(0)).await;
    tx.commit().await?;
    found
}

/// One binary column from raw SQL with one `$1` bound to `id`: for tests that check what was stored.
pub async fn fetch_bytes(db: &Db, sql: &str, id: i64) -> crate::Result<Vec<u8>> {
    let mut tx = db.begin().await?;
    let found = tx
        .conn()
        .one(sql, &crate::conn::args![id], |r| {
            Ok(r.packed(0)?.as_stored().to_vec())
        })
        .await;
    tx.commit().await?;
    found
}

/// A transaction (`read`: a read) let through the gate as an operator taking referrals in, which reaches
/// everything; its audit entry is written like any other. The storage tests exercise the personal-data API,
/// which only the gate's handle has.
pub async fn operator_tx(db: &Db, read: bool) -> crate::Scoped {
    let gate = crate::Gate::new(db.clone(), severn_domain::audit::AuditKey::new([1; 32]));
    let tx = if read {
        db.begin_read().await
    } else {
        db.begin().await
    }
    .expect("a transaction");
    let actor = severn_domain::access::Actor::Operator {
        name: "tester".into(),
    };
    let request = crate::Request {
        actor: &actor,
        action: severn_domain::access::Action::Ingest,
        target: "storage test",
        at: 0,
        justification: None,
        recipients: None,
        detail: None,
    };
    match gate
        .authorise(tx, &request, None)
        .await
        .expect("the gate answers")
    {
        crate::Verdict::Granted(tx) => tx,
        _ => panic!("an operator is let through"),
    }
}

/// Runs one scenario on a fresh database of `backend` and removes the database afterwards, also when the
/// scenario fails (its panic is passed on after the cleanup).
pub async fn run<F, Fut>(backend: Backend, scenario: F)
where
    F: FnOnce(Db) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let test_db = fresh_db(backend).await;
    let db = test_db.db.clone();
    // A local task: scenarios need not be `Send`, and a panic in one is caught so the database is still dropped.
    let local = tokio::task::LocalSet::new();
    let outcome = local
        .run_until(async move { tokio::task::spawn_local(scenario(db)).await })
        .await;
    test_db.cleanup().await;
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("scenario did not finish: {e}"),
        }
    }
}

/// Generates, for each scenario function `async fn name(db: Db)` in scope, a test `sqlite::name` and a test
/// `postgres::name` that run it on a fresh database of that backend.
///
/// ```text
/// severn_store::backend_matrix!(roundtrip, rollback_leaves_nothing);
/// ```
#[macro_export]
macro_rules! backend_matrix {
    ($($scenario:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $scenario() {
                    $crate::testing::run($crate::Backend::Sqlite, super::$scenario).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $scenario() {
                    $crate::testing::run($crate::Backend::Postgres, super::$scenario).await;
                }
            )+
        }
    };
}

/// Adds a person (not a service account) to `org` with `roles`, for scenarios that need staff.
pub async fn insert_person(
    tx: &mut crate::Scoped,
    org: severn_domain::ids::OrgId,
    username: &str,
    roles: Vec<severn_domain::access::Role>,
) -> severn_domain::ids::StaffId {
    tx.insert_staff(&crate::NewStaff {
        org_id: org,
        team_id: None,
        username: username.into(),
        display_name: format!("Tester {username}"),
        kind: severn_domain::access::StaffKind::Person,
        roles,
        created_at: 100,
    })
    .await
    .expect("a person is added")
}
