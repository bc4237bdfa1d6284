//! Staff changes waiting for a second administrator: adding an account with a role that needs approval, or
//! resetting the credentials of an account that holds one (see `Role::needs_second_approval`). A request
//! holds no secret: credentials are made when it is approved.

use crate::Result;
use crate::decode;
use crate::handles::Scoped;
use crate::rows::{NewStaffChange, StaffChangeRow, StaffChangeStatus};
use crate::sql::STAFF_CHANGE_SELECT;
use crate::tx::{Tx, on};
use severn_domain::ids::{OrgId, StaffId};

impl Scoped {
    pub async fn insert_staff_change(&mut self, c: &NewStaffChange) -> Result<i64> {
        let roles = c
            .roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",");
        on!(self, conn => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO staff_change (org_id, kind, staff_id, team_id, username, display_name, roles, \
                 requested_by, requested_at, expires_at, status) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending') RETURNING id",
            )
            .bind(c.org_id.0)
            .bind(c.kind.as_str())
            .bind(c.staff_id.map(|s| s.0))
            .bind(c.team_id.map(|t| t.0))
            .bind(c.username.as_str())
            .bind(c.display_name.as_str())
            .bind(roles.as_str())
            .bind(c.requested_by.0)
            .bind(c.requested_at)
            .bind(c.expires_at)
            .fetch_one(&mut *conn)
            .await?;
            Ok(id)
        })
    }

    /// Requests still waiting at `now` (pending and not expired), of one organisation or of all, oldest
    /// first.
    pub async fn pending_staff_changes(
        &mut self,
        org: Option<OrgId>,
        now: i64,
    ) -> Result<Vec<StaffChangeRow>> {
        on!(self, conn => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{STAFF_CHANGE_SELECT} WHERE c.status = 'pending' AND c.expires_at > $1 AND ($2 IS NULL OR c.org_id = $2) \
                 ORDER BY c.requested_at, c.id"
            )))
            .bind(now)
            .bind(org.map(|o| o.0))
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(decode::staff_change).collect()
        })
    }

    /// Records the decision on a pending request (and, for an approved addition, the account made). `false`
    /// when the request was no longer pending: someone else decided it first.
    pub async fn decide_staff_change(
        &mut self,
        id: i64,
        status: StaffChangeStatus,
        decided_by: &str,
        decided_at: i64,
        staff_id: Option<StaffId>,
    ) -> Result<bool> {
        on!(self, conn => {
            let done = sqlx::query(
                "UPDATE staff_change SET status = $2, decided_by = $3, decided_at = $4, \
                 staff_id = COALESCE($5, staff_id) WHERE id = $1 AND status = 'pending'",
            )
            .bind(id)
            .bind(status.as_str())
            .bind(decided_by)
            .bind(decided_at)
            .bind(staff_id.map(|s| s.0))
            .execute(&mut *conn)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }
}

impl Tx {
    /// One request, read before the gate so that its refusals (another organisation's request, one already
    /// decided) can name what was asked: a request holds an account's name and roles, no case data.
    pub async fn staff_change(&mut self, id: i64) -> Result<Option<StaffChangeRow>> {
        on!(self, conn => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("{STAFF_CHANGE_SELECT} WHERE c.id = $1")))
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
            row.as_ref().map(decode::staff_change).transpose()
        })
    }
}
