//! Staff changes waiting for a second administrator: adding an account with a role that needs approval, or
//! resetting the credentials of an account that holds one (see `Role::needs_second_approval`). A request
//! holds no secret: credentials are made when it is approved.

use crate::access::parse_kind;
use crate::gate::Scoped;
use crate::tx::on;
use crate::{Result, StoreError, Tx};
use severn_domain::access::{OrgKind, Role};
use severn_domain::ids::{OrgId, StaffId, TeamId};
use sqlx::Row;

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffChangeKind {
    /// A new account with the roles asked for.
    Add,
    /// A new password and authenticator for an existing person.
    Reset,
}

impl StaffChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StaffChangeKind::Add => "add",
            StaffChangeKind::Reset => "reset",
        }
    }

    fn parse(s: &str) -> Result<StaffChangeKind> {
        match s {
            "add" => Ok(StaffChangeKind::Add),
            "reset" => Ok(StaffChangeKind::Reset),
            other => Err(StoreError::Corrupt(format!("staff change kind {other:?}"))),
        }
    }
}

/// Where a request stands. A pending request past its `expires_at` can no longer be decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffChangeStatus {
    Pending,
    Approved,
    Rejected,
}

impl StaffChangeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StaffChangeStatus::Pending => "pending",
            StaffChangeStatus::Approved => "approved",
            StaffChangeStatus::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> Result<StaffChangeStatus> {
        match s {
            "pending" => Ok(StaffChangeStatus::Pending),
            "approved" => Ok(StaffChangeStatus::Approved),
            "rejected" => Ok(StaffChangeStatus::Rejected),
            other => Err(StoreError::Corrupt(format!(
                "staff change status {other:?}"
            ))),
        }
    }
}

/// A request to store.
#[derive(Debug, Clone)]
pub struct NewStaffChange {
    pub org_id: OrgId,
    pub kind: StaffChangeKind,
    /// The account to reset; `None` for an addition.
    pub staff_id: Option<StaffId>,
    pub team_id: Option<TeamId>,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub requested_by: StaffId,
    pub requested_at: i64,
    pub expires_at: i64,
}

/// A stored request, with the user name of the administrator who made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffChangeRow {
    pub id: i64,
    pub org_id: OrgId,
    pub org_kind: OrgKind,
    pub kind: StaffChangeKind,
    pub staff_id: Option<StaffId>,
    pub team_id: Option<TeamId>,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub requested_by: StaffId,
    pub requested_by_name: String,
    pub requested_at: i64,
    pub expires_at: i64,
    pub status: StaffChangeStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
}

const SELECT: &str = "SELECT c.id, c.org_id, o.kind, c.kind, c.staff_id, c.team_id, c.username, c.display_name, \
     c.roles, c.requested_by, s.username, c.requested_at, c.expires_at, c.status, c.decided_by, c.decided_at \
     FROM staff_change c JOIN org o ON o.id = c.org_id JOIN staff s ON s.id = c.requested_by";

fn change_from<R: Row>(r: &R) -> Result<StaffChangeRow>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let roles: String = r.try_get(8)?;
    Ok(StaffChangeRow {
        id: r.try_get(0)?,
        org_id: OrgId(r.try_get(1)?),
        org_kind: parse_kind(&r.try_get::<String, _>(2)?)?,
        kind: StaffChangeKind::parse(&r.try_get::<String, _>(3)?)?,
        staff_id: r.try_get::<Option<i64>, _>(4)?.map(StaffId),
        team_id: r.try_get::<Option<i64>, _>(5)?.map(TeamId),
        username: r.try_get(6)?,
        display_name: r.try_get(7)?,
        roles: roles
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<Role>().map_err(StoreError::Corrupt))
            .collect::<Result<Vec<Role>>>()?,
        requested_by: StaffId(r.try_get(9)?),
        requested_by_name: r.try_get(10)?,
        requested_at: r.try_get(11)?,
        expires_at: r.try_get(12)?,
        status: StaffChangeStatus::parse(&r.try_get::<String, _>(13)?)?,
        decided_by: r.try_get(14)?,
        decided_at: r.try_get(15)?,
    })
}

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
                "{SELECT} WHERE c.status = 'pending' AND c.expires_at > $1 AND ($2 IS NULL OR c.org_id = $2) \
                 ORDER BY c.requested_at, c.id"
            )))
            .bind(now)
            .bind(org.map(|o| o.0))
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(change_from).collect()
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
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE c.id = $1")))
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
            row.as_ref().map(change_from).transpose()
        })
    }
}
