//! Organisations, teams and staff: the plain reads the gate and sign-in need on [`Tx`], and the changes and
//! the full list, which only an authorised handle makes.

use crate::Result;
use crate::decode;
use crate::handles::Scoped;
use crate::rows::{NewStaff, OrgRow, StaffRow};
use crate::sql;
use crate::tx::{Tx, on};
use severn_domain::access::{OrgKind, Role};
use severn_domain::ids::{OrgId, StaffId, TeamId};

impl Tx {
    pub async fn insert_org(&mut self, code: &str, name: &str, kind: OrgKind) -> Result<OrgId> {
        on!(self, conn => {
            let id: i64 = sqlx::query_scalar("INSERT INTO org (code, name, kind) VALUES ($1, $2, $3) RETURNING id")
                .bind(code)
                .bind(name)
                .bind(kind.as_str())
                .fetch_one(&mut *conn)
                .await?;
            Ok(OrgId(id))
        })
    }

    pub async fn orgs(&mut self) -> Result<Vec<OrgRow>> {
        on!(self, conn => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {} FROM org ORDER BY id",
                sql::ORG_COLUMNS
            )))
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(decode::org).collect()
        })
    }

    pub async fn insert_team(&mut self, org: OrgId, name: &str) -> Result<TeamId> {
        on!(self, conn => {
            let id: i64 = sqlx::query_scalar("INSERT INTO team (org_id, name) VALUES ($1, $2) RETURNING id")
                .bind(org.0)
                .bind(name)
                .fetch_one(&mut *conn)
                .await?;
            Ok(TeamId(id))
        })
    }
}

impl Scoped {
    pub async fn insert_staff(&mut self, s: &NewStaff) -> Result<StaffId> {
        let id = on!(self, conn => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO staff (org_id, team_id, username, display_name, kind, active, created_at) \
                 VALUES ($1, $2, $3, $4, $5, TRUE, $6) RETURNING id",
            )
            .bind(s.org_id.0)
            .bind(s.team_id.map(|t| t.0))
            .bind(s.username.as_str())
            .bind(s.display_name.as_str())
            .bind(s.kind.as_str())
            .bind(s.created_at)
            .fetch_one(&mut *conn)
            .await?;
            StaffId(id)
        });
        self.set_roles(id, &s.roles).await?;
        Ok(id)
    }

    pub async fn set_roles(&mut self, staff: StaffId, roles: &[Role]) -> Result<()> {
        on!(self, conn => {
            sqlx::query("DELETE FROM staff_role WHERE staff_id = $1")
                .bind(staff.0)
                .execute(&mut *conn)
                .await?;
            for role in roles {
                sqlx::query("INSERT INTO staff_role (staff_id, role) VALUES ($1, $2)")
                    .bind(staff.0)
                    .bind(role.as_str())
                    .execute(&mut *conn)
                    .await?;
            }
        });
        Ok(())
    }

    pub async fn set_staff_active(&mut self, staff: StaffId, active: bool) -> Result<()> {
        on!(self, conn => {
            sqlx::query("UPDATE staff SET active = $2 WHERE id = $1")
                .bind(staff.0)
                .bind(active)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }
}

impl Tx {
    /// Staff matching `filter` (`username = $1` or `id = $1`), with their roles.
    async fn staff_where(
        &mut self,
        by_username: Option<&str>,
        by_id: Option<StaffId>,
    ) -> Result<Vec<StaffRow>> {
        let rows = on!(self, conn => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{} WHERE ($1 IS NULL OR s.username = $1) AND ($2 IS NULL OR s.id = $2) ORDER BY s.id",
                sql::STAFF_SELECT
            )))
            .bind(by_username)
            .bind(by_id.map(|s| s.0))
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(decode::staff).collect::<Result<Vec<StaffRow>>>()
        })?;
        Ok(rows)
    }

    pub async fn staff_by_username(&mut self, username: &str) -> Result<Option<StaffRow>> {
        Ok(self
            .staff_where(Some(username), None)
            .await?
            .into_iter()
            .next())
    }

    pub async fn staff_by_id(&mut self, id: StaffId) -> Result<Option<StaffRow>> {
        Ok(self.staff_where(None, Some(id)).await?.into_iter().next())
    }
}

impl Scoped {
    pub async fn all_staff(&mut self) -> Result<Vec<StaffRow>> {
        self.staff_where(None, None).await
    }
}
