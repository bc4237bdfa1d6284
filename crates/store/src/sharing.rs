//! Who may see a case: its owner, whom it is shared with and whom it is restricted to.

use crate::Result;
use crate::decode;
use crate::handles::Scoped;
use crate::rows::{NamedStaff, ShareRow};
use crate::sql;
use crate::tx::{Tx, on};
use severn_domain::access::CaseAccess;
use severn_domain::ids::{StaffId, SubjectId};

impl Tx {
    /// Who may see a case: its owner, whether it is restricted and to whom, and whom it is shared with.
    /// `None` when there is no such subject.
    pub async fn case_access(&mut self, subject: SubjectId) -> Result<Option<CaseAccess>> {
        on!(self, conn => {
            let row = sqlx::query(sql::CASE_ACCESS)
                .bind(subject.0)
                .fetch_optional(&mut *conn)
                .await?;
            row.as_ref().map(decode::case_access).transpose()
        })
    }
}

impl Scoped {
    /// Whom a case is shared with (oldest share first) and, when it is restricted, the people named.
    pub async fn case_sharing(
        &mut self,
        subject: SubjectId,
    ) -> Result<(Vec<ShareRow>, Option<Vec<NamedStaff>>)> {
        on!(self, conn => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {} FROM case_share c JOIN staff s ON s.id = c.staff_id JOIN org o ON o.id = s.org_id \
                 WHERE c.subject_id = $1 ORDER BY c.shared_at, s.username",
                sql::SHARE_COLUMNS
            )))
            .bind(subject.0)
            .fetch_all(&mut *conn)
            .await?;
            let shares = rows.iter().map(decode::share).collect::<Result<Vec<ShareRow>>>()?;
            let restricted: Option<bool> = sqlx::query_scalar("SELECT restricted FROM subject WHERE id = $1")
                .bind(subject.0)
                .fetch_optional(&mut *conn)
                .await?;
            let named = if restricted.unwrap_or(false) {
                let rows = sqlx::query(
                    "SELECT s.username, s.display_name FROM case_restriction c JOIN staff s ON s.id = c.staff_id \
                     WHERE c.subject_id = $1 ORDER BY s.username",
                )
                .bind(subject.0)
                .fetch_all(&mut *conn)
                .await?;
                Some(rows.iter().map(decode::named_staff).collect::<Result<Vec<NamedStaff>>>()?)
            } else {
                None
            };
            Ok((shares, named))
        })
    }

    pub async fn share_case(
        &mut self,
        subject: SubjectId,
        with: StaffId,
        reason: &str,
        by: &str,
        at: i64,
    ) -> Result<()> {
        on!(self, conn => {
            sqlx::query(
                "INSERT INTO case_share (subject_id, staff_id, reason, shared_by, shared_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (subject_id, staff_id) DO UPDATE SET reason = excluded.reason, \
                 shared_by = excluded.shared_by, shared_at = excluded.shared_at",
            )
            .bind(subject.0)
            .bind(with.0)
            .bind(reason)
            .bind(by)
            .bind(at)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Restricts a case to `named` people, or lifts the restriction when `named` is `None`.
    pub async fn restrict_case(
        &mut self,
        subject: SubjectId,
        named: Option<&[StaffId]>,
    ) -> Result<()> {
        on!(self, conn => {
            sqlx::query("DELETE FROM case_restriction WHERE subject_id = $1")
                .bind(subject.0)
                .execute(&mut *conn)
                .await?;
            for staff in named.unwrap_or_default() {
                sqlx::query("INSERT INTO case_restriction (subject_id, staff_id) VALUES ($1, $2)")
                    .bind(subject.0)
                    .bind(staff.0)
                    .execute(&mut *conn)
                    .await?;
            }
            sqlx::query("UPDATE subject SET restricted = $2 WHERE id = $1")
                .bind(subject.0)
                .bind(named.is_some())
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }
}
