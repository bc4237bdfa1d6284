//! Looking after the database itself: migrations, and the indexes a bulk load builds at the end. None of it
//! reads or changes personal data, so none of it goes through the gate; the command line calls these rather
//! than reaching the store.

use crate::{App, Result};

impl App {
    /// Applies the migrations not applied yet (connecting applies them too; this says so explicitly).
    pub async fn migrate(&self) -> Result<()> {
        Ok(self.db().migrate().await?)
    }

    /// Before a bulk load: drops the indexes that are cheaper to build once at the end than entry by entry.
    /// Searching by identifier and the work queues are slow until [`App::end_bulk_load`].
    pub async fn begin_bulk_load(&self) -> Result<()> {
        Ok(self.db().drop_deferred_indexes().await?)
    }

    /// After a bulk load (also one that failed part-way: what was committed stays, and is searchable): builds
    /// the dropped indexes, then empties SQLite's WAL, which the index builds filled after the ingest emptied it.
    pub async fn end_bulk_load(&self) -> Result<()> {
        self.db().build_deferred_indexes().await?;
        Ok(self.db().checkpoint().await?)
    }
}
