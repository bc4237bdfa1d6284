//! The connection pools of either backend: connecting and migrating, the indexes a bulk load defers, and
//! starting transactions ([`Tx`], [`PageTx`]).

use crate::appender;
use crate::decode;
use crate::deferred::{Appender, Deferred};
use crate::reader::{PageTx, SqliteReaders};
use crate::rows::{SessionRow, StaffRow, identifier_key_hash};
use crate::sql;
use crate::tx::Tx;
use crate::{Backend, Result, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// A connection pool to one of the two backends.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqliteDb),
    Postgres(PostgresDb),
}

/// PostgreSQL: a pool of connections, and the appender that commits the audit entries of reads.
#[derive(Debug, Clone)]
pub struct PostgresDb {
    pub(crate) pool: PgPool,
    appender: Appender,
    /// The appender's own connection, apart from the pool, so that it never waits behind the requests
    /// whose entries it is to commit.
    audit: PgPool,
}

/// SQLite: one connection that writes, and read-only connections that read beside it.
#[derive(Debug, Clone)]
pub struct SqliteDb {
    /// The writing connection.
    pub(crate) pool: SqlitePool,
    /// Read-only connections and the appender that commits the audit entries of their reads; none for an
    /// in-memory database, which another connection would not see.
    reads: Option<ReadSide>,
}

#[derive(Debug, Clone)]
struct ReadSide {
    /// For [`Db::begin_read`].
    pool: SqlitePool,
    /// For [`Db::begin_page`].
    pages: Arc<SqliteReaders>,
    appender: Appender,
}

/// Indexes that ingest writes but never reads, as (name, table and columns): a bulk load (`severn ingest
/// --bulk`) drops them and builds them once at the end. Every referral adds or moves entries in each at
/// random places (an identifier seen before; a subject's new deadline), which on a large database is a page
/// written per entry; one sort at the end costs far less. The work queues read the two subject indexes.
pub const DEFERRED_INDEXES: &[(&str, &str)] = &[
    (
        "referral_identifier_by_identifier",
        "referral_identifier (identifier_id)",
    ),
    ("subject_queue", "subject (status, due_at, id)"),
    (
        "subject_queue_by_owner",
        "subject (owner_org, status, due_at, id)",
    ),
];

/// The page cache of the writing connection, in KiB (negative, as SQLite takes it).
const SQLITE_CACHE_KIB: &str = "-131072";

/// PostgreSQL connections in the pool. Reads release theirs before they wait for their audit entries, so a
/// connection is busy only while its statements run.
const PG_CONNECTIONS: u32 = 8;

/// Tries of a checkpoint that found another one running (see [`Db::checkpoint`]).
const CHECKPOINT_ATTEMPTS: usize = 50;

/// Read-only connections: as many as there are cores to read on and a few more for reads waiting on I/O.
const SQLITE_READERS: u32 = 4;

impl Db {
    /// Connects to `url` (creating a SQLite file if it is missing) and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Db> {
        let db = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .pragma("cache_size", SQLITE_CACHE_KIB)
                .pragma("temp_store", "memory")
                // Checkpoint the WAL in larger steps: fewer fsyncs during bulk ingest.
                .pragma("wal_autocheckpoint", "16384");
            // One connection: SQLite has one writer anyway, and a connection drops its page cache whenever
            // another connection has written, so alternating connections would read every page again.
            // Its 128 MiB cache bounds memory whatever the database size.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options.clone())
                .await?;
            // Before the read-only connections open: they cannot create the file or its tables.
            migrate_sqlite(&pool).await?;
            // The file SQLite itself has open; empty for an in-memory database.
            let file: String =
                sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                    .fetch_one(&pool)
                    .await?;
            let reads = if file.is_empty() {
                None
            } else {
                // A reader's page cache is emptied whenever another connection has written, which with a page
                // view's audit entry is nearly every time, so a small one does. (Memory-mapping the file does
                // not help: SQLite unmaps it at the same moment.)
                let read_only = options
                    .read_only(true)
                    .create_if_missing(false)
                    .pragma("cache_size", "-8192");
                let readers = SqlitePoolOptions::new()
                    .max_connections(SQLITE_READERS)
                    .connect_with(read_only)
                    .await?;
                let appender = appender::start_sqlite(&file)?;
                Some(ReadSide {
                    pool: readers,
                    pages: Arc::new(SqliteReaders::new(file.into(), appender.clone())),
                    appender,
                })
            };
            Db::Sqlite(SqliteDb { pool, reads })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(PG_CONNECTIONS)
                // A page takes two transactions; a ping before each would be two more round trips. A
                // connection that has died fails its request, and the pool replaces it.
                .test_before_acquire(false)
                .connect_with(options.clone())
                .await?;
            let audit = PgPoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .connect_with(options)
                .await?;
            let appender = appender::start_postgres(audit.clone());
            let db = Db::Postgres(PostgresDb {
                pool,
                appender,
                audit,
            });
            db.migrate().await?;
            db
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        db.build_deferred_indexes().await?;
        Ok(db)
    }

    /// Applies the migrations of this backend that have not been applied yet.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite(sqlite) => migrate_sqlite(&sqlite.pool).await?,
            Db::Postgres(pg) => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&pg.pool)
                    .await?
            }
        }
        Ok(())
    }

    /// Drops the indexes a bulk load builds at the end instead ([`DEFERRED_INDEXES`]).
    pub async fn drop_deferred_indexes(&self) -> Result<()> {
        for (name, _) in DEFERRED_INDEXES {
            self.execute_ddl(&format!("DROP INDEX IF EXISTS {name}"))
                .await?;
        }
        Ok(())
    }

    /// Builds the indexes of [`DEFERRED_INDEXES`] that are missing: after a bulk load, and on every start, so
    /// that one that ended half-way leaves nothing missing. Looks before it builds: `CREATE INDEX IF NOT
    /// EXISTS` on PostgreSQL locks the table first, and would make every start wait for an ingest's batch.
    pub async fn build_deferred_indexes(&self) -> Result<()> {
        let mut missing = Vec::new();
        for (name, on) in DEFERRED_INDEXES {
            let present: bool =
                match self {
                    Db::Sqlite(sqlite) => sqlx::query_scalar(
                        "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'index' AND name = $1",
                    )
                    .bind(name)
                    .fetch_one(&sqlite.pool)
                    .await?,
                    Db::Postgres(pg) => {
                        sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
                            .bind(name)
                            .fetch_one(&pg.pool)
                            .await?
                    }
                };
            if !present {
                missing.push(sqlx::AssertSqlSafe(format!("CREATE INDEX {name} ON {on}")));
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        match self {
            Db::Sqlite(sqlite) => {
                // SQLite sorts a new index's entries in chunks the size of the page cache, in its temporary
                // store: a small cache and files on disk here, since with the connection's usual settings a
                // million referrals' entries took the process past 700 MiB.
                let mut conn = sqlite.pool.acquire().await?;
                sqlx::query("PRAGMA temp_store = FILE")
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("PRAGMA cache_size = -16384")
                    .execute(&mut *conn)
                    .await?;
                let built = async {
                    for create in missing {
                        sqlx::query(create).execute(&mut *conn).await?;
                    }
                    Ok::<_, StoreError>(())
                }
                .await;
                sqlx::query("PRAGMA temp_store = MEMORY")
                    .execute(&mut *conn)
                    .await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "PRAGMA cache_size = {SQLITE_CACHE_KIB}"
                )))
                .execute(&mut *conn)
                .await?;
                built?;
            }
            Db::Postgres(pg) => {
                for create in missing {
                    sqlx::query(create).execute(&pg.pool).await?;
                }
            }
        }
        Ok(())
    }

    /// Refreshes PostgreSQL's statistics of the tables ingest fills. Without them (a new database, or a server
    /// whose autovacuum is off) the planner guesses that an identifier key matches thousands of rows and reads
    /// the whole identifier table for each batch's lookup. SQLite plans from its indexes alone: nothing to do.
    pub async fn analyze_ingest_tables(&self) -> Result<()> {
        if let Db::Postgres(PostgresDb { pool, .. }) = self {
            sqlx::query(
                "ANALYZE identifier, identifier_account, referral, referral_identifier, referral_version, \
                 subject, subject_link, subject_separation, file_detail",
            )
            .execute(pool)
            .await?;
        }
        Ok(())
    }

    /// On SQLite, copies the whole WAL into the database file and truncates it: after an ingest the WAL holds
    /// every page the ingest wrote, and each reader would search it (through its index in shared memory) on
    /// every page read until a checkpoint emptied it. Waits, up to the busy timeout, for readers of an older
    /// snapshot. PostgreSQL has nothing to do.
    pub async fn checkpoint(&self) -> Result<()> {
        if let Db::Sqlite(sqlite) = self {
            // A checkpoint another connection is running (the appender's, every second) makes this one give
            // up at once rather than wait, so it is tried again shortly after.
            for _ in 0..CHECKPOINT_ATTEMPTS {
                let (busy, _, _): (i64, i64, i64) =
                    sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                        .fetch_one(&sqlite.pool)
                        .await?;
                if busy == 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        Ok(())
    }

    async fn execute_ddl(&self, sql: &str) -> Result<()> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self {
            Db::Sqlite(sqlite) => {
                sqlx::query(sql).execute(&sqlite.pool).await?;
            }
            Db::Postgres(pg) => {
                sqlx::query(sql).execute(&pg.pool).await?;
            }
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts a transaction. Writes that must be serialised (ingest and linking) take the id allocator's row
    /// lock first, through [`Tx::alloc_ids`].
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(SqliteDb { pool, .. }) => {
                // BEGIN IMMEDIATE takes SQLite's write lock up front, so two writers queue instead of one
                // failing with SQLITE_BUSY half-way through a batch.
                let tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                Tx::Sqlite(tx)
            }
            Db::Postgres(pg) => Tx::Postgres(pg.pool.begin().await?),
        })
    }

    /// Starts a transaction for reading: its audit entries are committed by the appender when it commits.
    /// On SQLite it runs on a read-only connection, beside the writer and other reads; on PostgreSQL it is a
    /// read-only snapshot (`REPEATABLE READ`) that never takes the audit log's head row.
    pub async fn begin_read(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(SqliteDb {
                reads: Some(reads), ..
            }) => Tx::SqliteRead(
                reads.pool.begin().await?,
                Deferred::new(reads.appender.clone()),
            ),
            Db::Sqlite(SqliteDb { pool, reads: None }) => Tx::Sqlite(pool.begin().await?),
            Db::Postgres(pg) => Tx::PostgresRead(
                pg.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await?,
                Deferred::new(pg.appender.clone()),
            ),
        })
    }

    /// The session a token names and its member of staff: what every request asks before anything else. One
    /// statement, outside any transaction: on PostgreSQL one round trip (a read transaction of two statements
    /// took four), on a SQLite file on the page reader's connection.
    pub async fn session_and_staff(
        &self,
        token_hash: &str,
    ) -> Result<Option<(SessionRow, StaffRow)>> {
        match self {
            Db::Sqlite(SqliteDb {
                reads: Some(reads), ..
            }) => {
                let read = reads.pages.begin()?;
                let found = read.session_and_staff(token_hash)?;
                read.commit().await?;
                Ok(found)
            }
            Db::Sqlite(SqliteDb { pool, reads: None }) => {
                let row = sqlx::query(sql::SESSION_AND_STAFF)
                    .bind(token_hash)
                    .fetch_optional(pool)
                    .await?;
                row.as_ref().map(decode::session_and_staff).transpose()
            }
            Db::Postgres(pg) => {
                let row = sqlx::query(sql::SESSION_AND_STAFF)
                    .bind(token_hash)
                    .fetch_optional(&pg.pool)
                    .await?;
                row.as_ref().map(decode::session_and_staff).transpose()
            }
        }
    }

    /// Starts the read a page makes: see [`PageTx`].
    pub async fn begin_page(&self) -> Result<PageTx> {
        Ok(match self {
            Db::Sqlite(SqliteDb {
                reads: Some(reads), ..
            }) => PageTx::Sqlite(reads.pages.begin()?),
            _ => PageTx::Tx(self.begin_read().await?),
        })
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(sqlite) => {
                if let Some(reads) = &sqlite.reads {
                    reads.pool.close().await;
                }
                sqlite.pool.close().await
            }
            Db::Postgres(pg) => {
                pg.pool.close().await;
                pg.audit.close().await;
            }
        }
    }
}

async fn migrate_sqlite(pool: &SqlitePool) -> Result<()> {
    sqlx::migrate!("./migrations/sqlite").run(pool).await?;
    fill_key_hashes(pool).await
}

/// Hashes the keys of identifiers stored before migration 0005 gave them `key_hash`, which SQLite cannot
/// compute itself. Finds none, through the index, on every later start.
async fn fill_key_hashes(pool: &SqlitePool) -> Result<()> {
    loop {
        let mut tx = pool.begin().await?;
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, key FROM identifier WHERE key_hash IS NULL LIMIT 10000")
                .fetch_all(&mut *tx)
                .await?;
        if rows.is_empty() {
            return Ok(());
        }
        for (id, key) in rows {
            sqlx::query("UPDATE identifier SET key_hash = $1 WHERE id = $2")
                .bind(identifier_key_hash(&key))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
}
