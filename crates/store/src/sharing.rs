//! Who may see a case: its owner, whom it is shared with and whom it is restricted to.

use crate::Result;
use crate::conn::args;
use crate::decode;
use crate::handles::Scoped;
use crate::rows::{NamedStaff, ShareRow};
use crate::sql;
use crate::tx::Tx;
use severn_domain::access::CaseAccess;
use severn_domain::ids::{StaffId, SubjectId};

impl Tx {
    /// Who may see a case: its owner, whether it is restricted and to whom, and whom it is shared with.
    /// `None` when there is no such subject.
    pub async fn case_access(&mut self, subject: SubjectId) -> Result<Option<CaseAccess>> {
        self.conn()
            .optional(sql::CASE_ACCESS, &args![subject], decode::case_access)
            .await
    }
}

impl Scoped {
    /// Whom a case is shared with (oldest share first) and, when it is restricted, the people named.
    pub async fn case_sharing(
        &mut self,
        subject: SubjectId,
    ) -> Result<(Vec<ShareRow>, Option<Vec<NamedStaff>>)> {
        let mut conn = self.conn();
        let shares = conn
            .all(sql::CASE_SHARES, &args![subject], decode::share)
            .await?;
        let restricted = conn
            .optional(
                "SELECT restricted FROM subject WHERE id = $1",
                &args![subject],
                |r| r.bool(0),
            )
            .await?;
        let named = if restricted.unwrap_or(false) {
            Some(
                conn.all(
                    "SELECT s.username, s.display_name FROM case_restriction c JOIN staff s ON s.id = c.staff_id \
                     WHERE c.subject_id = $1 ORDER BY s.username",
                    &args![subject],
                    decode::named_staff,
                )
                .await?,
            )
        } else {
            None
        };
        Ok((shares, named))
    }

    pub async fn share_case(
        &mut self,
        subject: SubjectId,
        with: StaffId,
        reason: &str,
        by: &str,
        at: i64,
    ) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO case_share (subject_id, staff_id, reason, shared_by, shared_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (subject_id, staff_id) DO UPDATE SET reason = excluded.reason, \
                 shared_by = excluded.shared_by, shared_at = excluded.shared_at",
                &args![subject, with, reason, by, at],
            )
            .await?;
        Ok(())
    }

    /// Restricts a case to `named` people, or lifts the restriction when `named` is `None`.
    pub async fn restrict_case(
        &mut self,
        subject: SubjectId,
        named: Option<&[StaffId]>,
    ) -> Result<()> {
        let mut conn = self.conn();
        conn.execute(
            "DELETE FROM case_restriction WHERE subject_id = $1",
            &args![subject],
        )
        .await?;
        for staff in named.unwrap_or_default() {
            conn.execute(
                "INSERT INTO case_restriction (subject_id, staff_id) VALUES ($1, $2)",
                &args![subject, *staff],
            )
            .await?;
        }
        conn.execute(
            "UPDATE subject SET restricted = $2 WHERE id = $1",
            &args![subject, named.is_some()],
        )
        .await?;
        Ok(())
    }
}
