//! Severn's storage: one API over SQLite (the embedded default) and PostgreSQL (the server deployment).
//!
//! Queries are written once and run on either backend (`$1` placeholders work on both); the backend is chosen
//! from the database URL at run time. Each backend has its own migrations folder, kept in step by hand.

mod access;
mod identity;
mod rows;
#[cfg(feature = "testing")]
pub mod testing;
mod tx;
mod writer;

pub use access::{
    AuditQuery, AuditRecord, NamedStaff, NewStaff, OrgRow, Reach, Scope, ShareRow, StaffRow,
};
pub use identity::{ApiTokenRow, CredentialRow, NewSession, SessionRow};
pub use rows::*;
pub use tx::{Counts, FileDetailOutcome, Tx};
pub use writer::{BatchStore, SqliteTx, SqliteWriter};

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL {0:?} is not supported: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration failed")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("the request reaches beyond what was authorised")]
    OutOfScope,
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool to one of the two backends.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

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
                .pragma("cache_size", "-131072")
                .pragma("temp_store", "memory")
                // Checkpoint the WAL in larger steps: fewer fsyncs during bulk ingest.
                .pragma("wal_autocheckpoint", "16384");
            // One connection: SQLite has one writer anyway, and a connection drops its page cache whenever
            // another connection has written, so alternating connections would read every page again.
            // Its 128 MiB cache bounds memory whatever the database size.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await?;
            Db::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await?;
            Db::Postgres(pool)
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        db.migrate().await?;
        Ok(db)
    }

    /// Applies the migrations of this backend that have not been applied yet.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
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
            Db::Sqlite(pool) => {
                // BEGIN IMMEDIATE takes SQLite's write lock up front, so two writers queue instead of one
                // failing with SQLITE_BUSY half-way through a batch.
                let tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                Tx::Sqlite(tx)
            }
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Starts a transaction for reading: on SQLite it does not take the write lock, so reads never wait for
    /// an ingest.
    pub async fn begin_read(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}
