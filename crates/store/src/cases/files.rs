//! File details (hashes and metadata of reported files, never the files) and rejected documents kept for correction.

use super::*;

/// Personal data: only the gate's handle reaches it.
impl Scoped {
    /// Inserts file-details documents not stored before.
    pub async fn insert_file_details(&mut self, rows: &[FileDetailRow]) -> Result<()> {
        for chunk in rows.chunks(CHUNK) {
            let mut q = Built::new(format!(
                "INSERT INTO file_detail ({}) ",
                sql::FILE_DETAIL_COLUMNS
            ));
            q.values(chunk, binds::file_detail);
            self.conn().execute_built(&q).await?;
        }
        Ok(())
    }

    /// Stores a file-details document; returns false when that exact document was already stored.
    pub async fn upsert_file_detail(&mut self, f: &FileDetailRow) -> Result<FileDetailOutcome> {
        let mut conn = self.conn();
        let existing = conn
            .optional(
                sql::FILE_DETAIL_SHA,
                &args![&f.source_ref, &f.file_id],
                |r| r.text(0),
            )
            .await?;
        match existing {
            Some(sha) if sha == f.content_sha256 => Ok(FileDetailOutcome::Duplicate),
            Some(_) => {
                conn.execute(
                    sql::UPDATE_FILE_DETAIL,
                    &args![
                        &f.content_sha256,
                        f.received_at,
                        &f.document,
                        &f.source_ref,
                        &f.file_id
                    ],
                )
                .await?;
                Ok(FileDetailOutcome::Updated)
            }
            None => {
                conn.execute(sql::INSERT_FILE_DETAIL, &binds::file_detail(f))
                    .await?;
                Ok(FileDetailOutcome::Inserted)
            }
        }
    }

    /// File details stored for any of these source references.
    pub async fn file_details_of_refs(
        &mut self,
        source_refs: &[String],
    ) -> Result<Vec<FileDetailRow>> {
        let mut rows = Vec::new();
        for chunk in source_refs.chunks(CHUNK) {
            let mut q = Built::new(format!(
                "SELECT {} FROM file_detail WHERE source_ref IN (",
                sql::FILE_DETAIL_COLUMNS
            ));
            q.list(chunk).push(") ORDER BY source_ref, file_id");
            rows.extend(self.conn().all_built(&q, decode::file_detail).await?);
        }
        Ok(rows)
    }

    pub async fn insert_reject(&mut self, r: &NewReject) -> Result<i64> {
        self.conn()
            .one(sql::INSERT_REJECT, &binds::reject(r), |row| row.i64(0))
            .await
    }

    /// Rejected documents; unresolved only unless `all`.
    pub async fn rejects(&mut self, all: bool) -> Result<Vec<RejectRow>> {
        self.conn()
            .all(sql::REJECTS, &args![all], decode::reject)
            .await
    }

    /// One rejected document, resolved or not.
    pub async fn reject(&mut self, id: i64) -> Result<Option<RejectRow>> {
        self.conn()
            .optional(sql::REJECT_BY_ID, &args![id], decode::reject)
            .await
    }

    /// The open reject for this file and place, if there is one.
    pub async fn open_reject_at(
        &mut self,
        path: &str,
        location: Option<&str>,
    ) -> Result<Option<i64>> {
        self.conn()
            .optional(
                "SELECT id FROM reject WHERE path = $1 AND (location = $2 OR (location IS NULL AND $2 IS NULL)) \
                 AND resolved_at IS NULL ORDER BY id LIMIT 1",
                &args![path, location],
                |r| r.i64(0),
            )
            .await
    }

    /// Replaces an open reject's problem with what a retry found (the reject of the same file, `id`).
    pub async fn update_reject(&mut self, id: i64, r: &NewReject) -> Result<()> {
        let [path, location, field, reason, content, context, at] = binds::reject(r);
        self.conn()
            .execute(
                "UPDATE reject SET location = $2, field = $3, reason = $4, content = $5, context = $6, rejected_at = $7 \
                 WHERE id = $8 AND path = $1",
                &[path, location, field, reason, content, context, at, Arg::I64(id)],
            )
            .await?;
        Ok(())
    }

    pub async fn resolve_reject(&mut self, id: i64, at: i64) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE reject SET resolved_at = $2 WHERE id = $1",
                &args![id, at],
            )
            .await?;
        Ok(())
    }
}
