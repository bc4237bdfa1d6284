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
//! Each query is written once, for both backends: SQL text (`sql`), the values it binds (`binds`) and the
//! decoder of its rows (`decode`), run through one statement API (`conn`) on rusqlite for SQLite and on sqlx
//! for PostgreSQL. Adding a column to a referral is its migration on each backend, its field in
//! [`ReferralRow`], and one line each in its column list, its decoder and its binds.
//!
//! # Layers
//!
//! A module imports only modules of the layers before its own (`tests/layering.rs` fails on an import circle,
//! and on a leaf that imports anything but the leaves named here). [`Tx`]'s methods are spread over `tx`,
//! `identity`, `audit`, `staff` and `sharing`; calling one imports nothing.
//!
//! 1. Leaves, shared by both backends: `packed` (compressed JSON), `rows` (the rows passed in and out; uses
//!    `packed`), `sql` (every statement and column list), `decode` (each row decoder, once, over rusqlite's and
//!    sqlx's rows; uses `rows`, `packed`), `conn` (the one statement API: [`Tx`]'s connection, rusqlite on
//!    SQLite, sqlx on PostgreSQL, and the values a statement binds; uses `decode`, `packed`), `binds` (each
//!    row's values in its column list's order; uses `conn`, `rows`), `chain` (the audit record and its
//!    sealing), `scope` (what an authorised access reaches), and this file's error and backend types.
//! 2. `deferred`: a read's audit entries waiting for its commit, and the appender's queue.
//! 3. `writer`: SQLite's writing connections ([`WriteTx`]); `reader`: SQLite's read-only connections
//!    ([`ReadTx`]).
//! 4. `tx`: a transaction on either backend ([`Tx`]) and what it reaches that is not personal data.
//! 5. `identity` (sign-in, more of [`Tx`]); `appender` (writes the deferred entries of reads).
//! 6. `db`: connecting and migrating, starting transactions.
//! 7. `handles`: the gate's scoped handles ([`Scoped`], [`ScopedPage`]).
//! 8. `gate`: the policy, the audit entry, the handle.
//! 9. What the handles (and, for the plain parts, [`Tx`]) can do, by aggregate, each query written once for
//!    both backends: `cases` (referrals, subjects, identifiers, files, assessments), `page` (a page's reads),
//!    `audit` (the log's appends and reads), `staff` (organisations and staff), `register` (posts, absences,
//!    skills, training and allocation policies), `reference` (the reference lists' versions), `sharing` (shares
//!    and restrictions), `safeguarding` (a force's target, each case's earliest safeguarding deadline),
//!    `staff_change`, `support` (the directory of support services, on [`Tx`]); `testing` (the `testing` feature).

mod appender;
mod audit;
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
mod reference;
mod register;
mod rows;
mod safeguarding;
mod scope;
mod sharing;
mod sql;
mod staff;
mod staff_change;
mod support;
#[cfg(feature = "testing")]
pub mod testing;
mod tx;
mod writer;

pub use audit::AuditQuery;
pub use cases::SharedIdentifier;
pub use cases::{
    CaseList, CaseOrder, CasePage, CaseQuery, ClockFilter, ListedCase, SavedFilterRow,
};
pub use chain::AuditRecord;
pub use db::{DEFERRED_INDEXES, Db, PostgresDb, SqliteDb};
pub use gate::{Gate, Request, Verdict};
pub use handles::{Scoped, ScopedPage};
pub use packed::Packed;
pub use reader::ReadTx;
pub use reference::ReferenceListRow;
pub use register::AllocationPolicyRow;
pub use rows::*;
pub use safeguarding::SupportTally;
pub use scope::{Reach, Scope};
pub use support::ServiceFilter;
pub use tx::{Counts, FileDetailOutcome, Tx};
pub use writer::WriteTx;

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
