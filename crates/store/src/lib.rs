//! Severn's storage: one API over SQLite (the embedded default) and PostgreSQL (the server deployment).
//!
//! The backend is chosen from the database URL at run time. Each backend has its own migrations folder, kept
//! in step by hand; `tests/schema.rs` checks that the two migrated schemas agree.
//!
//! Of Severn's crates it depends on `severn-domain` only: never on ingest, the use cases, the web or the
//! command line. It holds the gate ([`Gate`]): the domain's policy is applied there, the audit entry written,
//! and only then is a scoped handle ([`Scoped`], [`ScopedPage`]) handed back. Personal-data reads and writes
//! are methods of those handles alone; a plain [`Tx`] reaches nothing personal.
//!
//! # Layers
//!
//! A module may use the modules of the layers above it in this list, never one of its own layer or below
//! (`tests/layering.rs` fails on an import circle):
//!
//! 1. Leaves, shared by every driver: `rows` (the rows passed in and out), `packed` (compressed JSON),
//!    `sql` (every statement and column list more than one driver runs), `decode` (each row decoder, once,
//!    over rusqlite's and sqlx's rows), `chain` (the audit record and its sealing), `scope` (what an
//!    authorised access reaches), and this file's error and backend types.
//! 2. `deferred`: a read's audit entries waiting for its commit, and the appender's queue.
//! 3. `tx`: the sqlx transaction on either backend ([`Tx`], the `on!` macro), and what it reaches that is not
//!    personal data; `writer`: the rusqlite batch connection ([`SqliteWriter`], [`SqliteTx`]).
//! 4. `identity`, `staff`, `audit` (the log's appends and reads): more of [`Tx`]; `appender`: writes the
//!    deferred entries; `reader`: the rusqlite page reader and [`PageTx`].
//! 5. `db`: the pools and migrations, starting transactions.
//! 6. `handles`: the gate's scoped handles ([`Scoped`], [`ScopedPage`]).
//! 7. `gate`: the policy, the audit entry, the handle.
//! 8. The personal-data queries, as methods of the handles: `cases` (referrals, subjects, identifiers, files,
//!    assessments, by aggregate, on sqlx), `page` (a page's reads, on the rusqlite reader or sqlx), `sharing`,
//!    `staff_change`, and `batch` (the [`BatchStore`] an ingest batch writes through, on [`Scoped`] or on the
//!    rusqlite [`SqliteTx`]).

mod appender;
mod audit;
mod batch;
mod cases;
mod chain;
mod db;
mod decode;
mod deferred;
mod gate;
mod handles;
mod identity;
mod packed;
mod page;
mod reader;
mod rows;
mod scope;
mod sharing;
mod sql;
mod staff;
mod staff_change;
#[cfg(feature = "testing")]
pub mod testing;
mod tx;
mod writer;

pub use audit::AuditQuery;
pub use batch::BatchStore;
pub use chain::AuditRecord;
pub use db::{DEFERRED_INDEXES, Db, PostgresDb, SqliteDb};
pub use gate::{Gate, Request, Verdict};
pub use handles::{Scoped, ScopedPage};
pub use packed::Packed;
pub use reader::PageTx;
pub use rows::*;
pub use scope::{Reach, Scope};
pub use tx::{Counts, FileDetailOutcome, Tx};
pub use writer::{SqliteTx, SqliteWriter};

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
    #[error("the audit log could not be written: {0}")]
    AuditWrite(String),
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
