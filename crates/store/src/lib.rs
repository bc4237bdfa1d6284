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
//! A module imports only modules of the layers before its own (`tests/layering.rs` fails on an import circle,
//! and on a leaf that imports anything but the leaves named here). [`Tx`]'s methods are spread over `tx`,
//! `identity`, `audit`, `staff` and `sharing`; calling one imports nothing.
//!
//! 1. Leaves, shared by every driver: `packed` (compressed JSON), `rows` (the rows passed in and out; uses
//!    `packed`), `sql` (every statement and column list more than one driver runs), `decode` (each row
//!    decoder, once, over rusqlite's and sqlx's rows; uses `rows`, `packed`), `chain` (the audit record and
//!    its sealing), `scope` (what an authorised access reaches), and this file's error and backend types.
//! 2. `deferred`: a read's audit entries waiting for its commit, and the appender's queue.
//! 3. `tx`: the sqlx transaction on either backend ([`Tx`], the `on!` macro) and what it reaches that is not
//!    personal data; `writer`: the rusqlite batch connection ([`SqliteWriter`], [`SqliteTx`]) and its audit
//!    append.
//! 4. `identity` (sign-in, more of [`Tx`]); `appender` (writes deferred entries, through `tx` or `writer`);
//!    `reader` (the rusqlite page reader and [`PageTx`]).
//! 5. `db`: the pools and migrations, starting transactions.
//! 6. `handles`: the gate's scoped handles ([`Scoped`], [`ScopedPage`]).
//! 7. `gate`: the policy, the audit entry, the handle.
//! 8. What the handles (and, for the plain parts, [`Tx`]) can do: `cases` (referrals, subjects, identifiers,
//!    files, assessments, by aggregate, on sqlx), `page` (a page's reads, on the rusqlite reader or sqlx),
//!    `audit` (the log's appends and reads), `staff` (organisations and staff), `sharing` (shares and
//!    restrictions), `staff_change`, and `batch` (the [`BatchStore`] an ingest batch writes through, on
//!    [`Scoped`] or on the rusqlite [`SqliteTx`]); `testing` (the `testing` feature).

mod appender;
mod audit;
mod batch;
mod binds;
mod cases;
mod chain;
mod conn;
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
pub use reader::ReadTx;
pub use rows::*;
pub use scope::{Reach, Scope};
pub use tx::{Counts, FileDetailOutcome, Tx};
pub use writer::{SqliteTx, SqliteWriter, WriteTx};

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
