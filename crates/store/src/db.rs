//! The connections of either backend: connecting and migrating, the indexes a bulk load defers, and
//! starting transactions ([`Tx`]).

use crate::appender;
use crate::conn::{Conn, args};
use crate::decode;
use crate::deferred::{Appender, Deferred};
use crate::reader::SqliteReaders;
use crate::rows::{SessionRow, StaffRow, identifier_key_hash};
use crate::sql;
use crate::tx::Tx;
use crate::writer::{self, SharedWriter};
use crate::{Backend, Result, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// The connections to one of the two backends.
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

/// A SQLite file: one connection that writes, read-only connections that read beside it, and the appender
/// that commits the audit entries of their reads. All on rusqlite.
#[derive(Debug, Clone)]
pub struct SqliteDb {
    /// The database file's path.
    pub(crate) file: String,
    pub(crate) writer: SharedWriter,
    readers: Arc<SqliteReaders>,
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

/// PostgreSQL connections in the pool. Reads release theirs before they wait for their audit entries, so a
/// connection is busy only while its statements run.
const PG_CONNECTIONS: u32 = 8;

/// Tries of a checkpoint that found another one running (see [`Db::checkpoint`]).
const CHECKPOINT_ATTEMPTS: usize = 50;

impl Db {
    /// Connects to `url` (creating a SQLite file if it is missing) and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Db> {
        let db = if url.starts_with("sqlite:") {
            let file = migrate_sqlite(url).await?;
            let writer = SharedWriter::new(writer::open(&file)?);
            fill_key_hashes(&writer).await?;
            let appender = appender::start_sqlite(&file)?;
            Db::Sqlite(SqliteDb {
                readers: Arc::new(SqliteReaders::new(file.clone().into(), appender)),
                file,
                writer,
            })
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
            Db::Sqlite(sqlite) => {
                migrate_sqlite(&format!("sqlite://{}", sqlite.file)).await?;
                fill_key_hashes(&sqlite.writer).await?;
            }
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
        let present = match self {
            Db::Sqlite(_) => {
                "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'index' AND name = $1"
            }
            Db::Postgres(_) => "SELECT to_regclass($1) IS NOT NULL",
        };
        let mut missing = Vec::new();
        for (name, on) in DEFERRED_INDEXES {
            if !self.one_bool(present, name).await? {
                missing.push(format!("CREATE INDEX {name} ON {on}"));
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        match self {
            Db::Sqlite(sqlite) => {
                sqlite
                    .writer
                    .with(|conn| {
                        // SQLite sorts a new index's entries in chunks the size of the page cache, in its
                        // temporary store: a small cache and files on disk here, since with the connection's
                        // usual settings a million referrals' entries took the process past 700 MiB.
                        let cache: i64 =
                            conn.pragma_query_value(None, "cache_size", |r| r.get(0))?;
                        conn.execute_batch("PRAGMA temp_store = FILE; PRAGMA cache_size = -16384")?;
                        let built = missing
                            .iter()
                            .try_for_each(|create| conn.execute_batch(create));
                        conn.execute_batch("PRAGMA temp_store = MEMORY")?;
                        conn.pragma_update(None, "cache_size", cache)?;
                        Ok(built?)
                    })
                    .await?
            }
            Db::Postgres(pg) => {
                for create in missing {
                    sqlx::query(sqlx::AssertSqlSafe(create))
                        .execute(&pg.pool)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// A yes-or-no question about the schema, outside any transaction.
    async fn one_bool(&self, sql: &str, name: &str) -> Result<bool> {
        match self {
            Db::Sqlite(sqlite) => {
                let mut tx = sqlite.writer.begin(false).await?;
                Conn::Sqlite(tx.conn())
                    .one(sql, &args![name], |r| r.bool(0))
                    .await
            }
            Db::Postgres(pg) => {
                let mut conn = pg.pool.acquire().await?;
                Conn::Postgres(&mut conn)
                    .one(sql, &args![name], |r| r.bool(0))
                    .await
            }
        }
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
                let busy: i64 = sqlite
                    .writer
                    .with(|conn| {
                        Ok(conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?)
                    })
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
        match self {
            Db::Sqlite(sqlite) => {
                sqlite
                    .writer
                    .with(|conn| Ok(conn.execute_batch(sql)?))
                    .await?
            }
            Db::Postgres(pg) => {
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&pg.pool)
                    .await?;
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
            Db::Sqlite(sqlite) => Tx::Sqlite(sqlite.writer.begin(true).await?),
            Db::Postgres(pg) => Tx::Postgres(pg.pool.begin().await?),
        })
    }

    /// Starts a transaction for reading: its audit entries are committed by the appender when it commits.
    /// On SQLite it runs on a read-only connection, beside the writer and other reads; on PostgreSQL it is a
    /// read-only snapshot (`REPEATABLE READ`) that never takes the audit log's head row.
    pub async fn begin_read(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(sqlite) => Tx::SqliteRead(sqlite.readers.begin()?),
            Db::Postgres(pg) => Tx::PostgresRead(
                pg.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await?,
                Deferred::new(pg.appender.clone()),
            ),
        })
    }

    /// The session a token names and its member of staff: what every request asks before anything else. One
    /// statement, outside any transaction on PostgreSQL (one round trip; a read transaction of two
    /// statements took four), on a read-only connection on SQLite.
    pub async fn session_and_staff(
        &self,
        token_hash: &str,
    ) -> Result<Option<(SessionRow, StaffRow)>> {
        match self {
            Db::Sqlite(sqlite) => {
                let mut read = sqlite.readers.begin()?;
                let found = session_and_staff(Conn::Sqlite(read.conn()), token_hash).await?;
                read.commit().await?;
                Ok(found)
            }
            Db::Postgres(pg) => {
                let mut conn = pg.pool.acquire().await?;
                session_and_staff(Conn::Postgres(&mut conn), token_hash).await
            }
        }
    }

    pub async fn close(&self) {
        if let Db::Postgres(pg) = self {
            pg.pool.close().await;
            pg.audit.close().await;
        }
    }
}

async fn session_and_staff(
    mut conn: Conn<'_>,
    token_hash: &str,
) -> Result<Option<(SessionRow, StaffRow)>> {
    conn.optional(
        sql::SESSION_AND_STAFF,
        &args![token_hash],
        decode::session_and_staff,
    )
    .await
}

/// Applies SQLite's migrations with sqlx's migrator, which keeps their record (`_sqlx_migrations`) as it has
/// since the first database; everything after runs on rusqlite. Returns the database file's path: an
/// in-memory database is refused, since no other connection would see it.
async fn migrate_sqlite(url: &str) -> Result<String> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    let migrated = sqlx::migrate!("./migrations/sqlite").run(&pool).await;
    // The file SQLite itself has open; empty for an in-memory database.
    let file: std::result::Result<String, _> =
        sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
            .fetch_one(&pool)
            .await;
    pool.close().await;
    migrated?;
    match file? {
        file if file.is_empty() => Err(StoreError::UnsupportedUrl(url.to_owned())),
        file => Ok(file),
    }
}

/// Hashes the keys of identifiers stored before migration 0005 gave them `key_hash`, which SQLite cannot
/// compute itself. Finds none, through the index, on every later start.
async fn fill_key_hashes(writer: &SharedWriter) -> Result<()> {
    loop {
        let mut tx = writer.begin(true).await?;
        let mut conn = Conn::Sqlite(tx.conn());
        let rows = conn
            .all(
                "SELECT id, key FROM identifier WHERE key_hash IS NULL LIMIT 10000",
                &[],
                |r| Ok((r.i64(0)?, r.text(1)?)),
            )
            .await?;
        if rows.is_empty() {
            return Ok(());
        }
        for (id, key) in rows {
            conn.execute(
                "UPDATE identifier SET key_hash = $1 WHERE id = $2",
                &args![identifier_key_hash(&key), id],
            )
            .await?;
        }
        tx.commit()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_in_memory_database_is_refused() {
        // Each connection to it (the writer, the readers, the appender's) would see a database of its own.
        let memory = Db::connect("sqlite::memory:").await;
        assert!(
            matches!(memory, Err(StoreError::UnsupportedUrl(_))),
            "{memory:?}"
        );
    }
}
