//! Staff changes waiting for a second administrator: adding an account with a role that needs approval, or
//! resetting the credentials of an account that holds one (see `Role::needs_second_approval`). A request
//! holds no secret: credentials are made when it is approved.

use crate::Result;
use crate::conn::args;
use crate::decode;
use crate::handles::Scoped;
use crate::rows::{NewStaffChange, StaffChangeRow, StaffChangeStatus};
use crate::sql;
use crate::tx::Tx;
use severn_domain::ids::{OrgId, StaffId};

impl Scoped {
    pub async fn insert_staff_change(&mut self, c: &NewStaffChange) -> Result<i64> {
        let roles = c
            .roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",");
        self.conn()
            .one(
                "INSERT INTO staff_change (org_id, kind, staff_id, team_id, username, display_name, roles, \
                 requested_by, requested_at, expires_at, status) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending') RETURNING id",
                &args![
                    c.org_id,
                    c.kind.as_str(),
                    c.staff_id,
                    c.team_id,
                    &c.username,
                    &c.display_name,
                    &roles,
                    c.requested_by,
                    c.requested_at,
                    c.expires_at
                ],
                |r| r.i64(0),
            )
            .await
    }

    /// Requests still waiting at `now` (pending and not expired), of one organisation or of all, oldest
    /// first.
    pub async fn pending_staff_changes(
        &mut self,
        org: Option<OrgId>,
        now: i64,
    ) -> Result<Vec<StaffChangeRow>> {
        self.conn()
            .all(
                sql::PENDING_STAFF_CHANGES,
                &args![now, org],
                decode::staff_change,
            )
            .await
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
        let done = self
            .conn()
            .execute(
                "UPDATE staff_change SET status = $2, decided_by = $3, decided_at = $4, \
                 staff_id = COALESCE($5, staff_id) WHERE id = $1 AND status = 'pending'",
                &args![id, status.as_str(), decided_by, decided_at, staff_id],
            )
            .await?;
        Ok(done == 1)
    }
}

impl Tx {
    /// One request, read before the gate so that its refusals (another organisation's request, one already
    /// decided) can name what was asked: a request holds an account's name and roles, no case data.
    pub async fn staff_change(&mut self, id: i64) -> Result<Option<StaffChangeRow>> {
        self.conn()
            .optional(sql::STAFF_CHANGE_BY_ID, &args![id], decode::staff_change)
            .await
    }
}
