//! File details (hashes and metadata of reported files, never the files) and rejected documents kept for correction.

use super::*;

/// Personal data: only the gate's handle reaches it.
impl Scoped {
    /// Inserts file-details documents not stored before.
    pub async fn insert_file_details(&mut self, rows: &[FileDetailRow]) -> Result<()> {
        for chunk in rows.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(format!(
                    "INSERT INTO file_detail ({}) ",
                    sql::FILE_DETAIL_COLUMNS
                ));
                q.push_values(chunk, |mut b, f| {
                    b.push_bind(f.source_ref.as_str())
                        .push_bind(f.file_id.as_str())
                        .push_bind(f.content_sha256.as_str())
                        .push_bind(f.received_at)
                        .push_bind(f.document.as_str());
                });
                q.build().execute(&mut *conn).await?;
            })
        }
        Ok(())
    }

    /// Stores a file-details document; returns false when that exact document was already stored.
    pub async fn upsert_file_detail(&mut self, f: &FileDetailRow) -> Result<FileDetailOutcome> {
        on!(self, conn => {
            let existing: Option<String> = sqlx::query_scalar(sql::FILE_DETAIL_SHA)
            .bind(f.source_ref.as_str())
            .bind(f.file_id.as_str())
            .fetch_optional(&mut *conn)
            .await?;
            match existing {
                Some(sha) if sha == f.content_sha256 => Ok(FileDetailOutcome::Duplicate),
                Some(_) => {
                    sqlx::query(sql::UPDATE_FILE_DETAIL)
                    .bind(f.content_sha256.as_str())
                    .bind(f.received_at)
                    .bind(f.document.as_str())
                    .bind(f.source_ref.as_str())
                    .bind(f.file_id.as_str())
                    .execute(&mut *conn)
                    .await?;
                    Ok(FileDetailOutcome::Updated)
                }
                None => {
                    sqlx::query(sql::INSERT_FILE_DETAIL)
                    .bind(f.source_ref.as_str())
                    .bind(f.file_id.as_str())
                    .bind(f.content_sha256.as_str())
                    .bind(f.received_at)
                    .bind(f.document.as_str())
                    .execute(&mut *conn)
                    .await?;
                    Ok(FileDetailOutcome::Inserted)
                }
            }
        })
    }

    /// File details stored for any of these source references.
    pub async fn file_details_of_refs(
        &mut self,
        source_refs: &[String],
    ) -> Result<Vec<FileDetailRow>> {
        let mut rows = Vec::new();
        for chunk in source_refs.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(format!(
                    "SELECT {} FROM file_detail WHERE source_ref IN (",
                    sql::FILE_DETAIL_COLUMNS
                ));
                push_list(&mut q, chunk.iter().map(|r| r.as_str()));
                q.push(") ORDER BY source_ref, file_id");
                for r in q.build().fetch_all(&mut *conn).await? {
                    rows.push(decode::file_detail(&r)?);
                }
            })
        }
        Ok(rows)
    }

    pub async fn insert_reject(&mut self, r: &NewReject) -> Result<i64> {
        on!(self, conn => {
            let id: i64 = sqlx::query_scalar(sql::INSERT_REJECT)
            .bind(r.path.as_str())
            .bind(r.location.as_deref())
            .bind(r.field.as_deref())
            .bind(r.reason.as_str())
            .bind(r.content.as_slice())
            .bind(r.context.as_deref())
            .bind(r.rejected_at)
            .fetch_one(&mut *conn)
            .await?;
            Ok(id)
        })
    }

    /// Rejected documents; unresolved only unless `all`.
    pub async fn rejects(&mut self, all: bool) -> Result<Vec<RejectRow>> {
        on!(self, conn => {
            let rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT {} FROM reject WHERE $1 OR resolved_at IS NULL ORDER BY id",
                sql::REJECT_COLUMNS
            )))
            .bind(all)
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(decode::reject).collect()
        })
    }

    /// One rejected document, resolved or not.
    pub async fn reject(&mut self, id: i64) -> Result<Option<RejectRow>> {
        on!(self, conn => {
            let row = sqlx::query(AssertSqlSafe(format!(
                "SELECT {} FROM reject WHERE id = $1",
                sql::REJECT_COLUMNS
            )))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
            row.as_ref().map(decode::reject).transpose()
        })
    }

    /// The open reject for this file and place, if there is one.
    pub async fn open_reject_at(
        &mut self,
        path: &str,
        location: Option<&str>,
    ) -> Result<Option<i64>> {
        on!(self, conn => {
            let id: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM reject WHERE path = $1 AND (location = $2 OR (location IS NULL AND $2 IS NULL)) \
                 AND resolved_at IS NULL ORDER BY id LIMIT 1",
            )
            .bind(path)
            .bind(location)
            .fetch_optional(&mut *conn)
            .await?;
            Ok(id)
        })
    }

    /// Replaces an open reject's problem with what a retry found.
    pub async fn update_reject(&mut self, id: i64, r: &NewReject) -> Result<()> {
        on!(self, conn => {
            sqlx::query(
                "UPDATE reject SET location = $2, field = $3, reason = $4, content = $5, context = $6, rejected_at = $7 \
                 WHERE id = $1",
            )
            .bind(id)
            .bind(r.location.as_deref())
            .bind(r.field.as_deref())
            .bind(r.reason.as_str())
            .bind(r.content.as_slice())
            .bind(r.context.as_deref())
            .bind(r.rejected_at)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    pub async fn resolve_reject(&mut self, id: i64, at: i64) -> Result<()> {
        on!(self, conn => {
            sqlx::query("UPDATE reject SET resolved_at = $2 WHERE id = $1")
                .bind(id)
                .bind(at)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }
}
