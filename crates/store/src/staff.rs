//! Organisations, teams and staff: the plain reads the gate and sign-in need on [`Tx`], and the changes and
//! the full list, which only an authorised handle makes.

use crate::Result;
use crate::conn::args;
use crate::decode;
use crate::handles::Scoped;
use crate::rows::{NewStaff, OrgRow, StaffRow};
use crate::sql;
use crate::tx::Tx;
use severn_domain::access::{OrgKind, Role};
use severn_domain::ids::{OrgId, StaffId, TeamId};

impl Tx {
    pub async fn insert_org(&mut self, code: &str, name: &str, kind: OrgKind) -> Result<OrgId> {
        let id = self
            .conn()
            .one(
                "INSERT INTO org (code, name, kind) VALUES ($1, $2, $3) RETURNING id",
                &args![code, name, kind.as_str()],
                |r| r.i64(0),
            )
            .await?;
        Ok(OrgId(id))
    }

    pub async fn orgs(&mut self) -> Result<Vec<OrgRow>> {
        self.conn().all(sql::ORGS, &[], decode::org).await
    }

    pub async fn insert_team(&mut self, org: OrgId, name: &str) -> Result<TeamId> {
        let id = self
            .conn()
            .one(
                "INSERT INTO team (org_id, name) VALUES ($1, $2) RETURNING id",
                &args![org, name],
                |r| r.i64(0),
            )
            .await?;
        Ok(TeamId(id))
    }

    /// A force's teams by name: its structure, not personal data.
    pub async fn team_names(&mut self, org: OrgId) -> Result<Vec<(TeamId, String)>> {
        self.conn()
            .all(
                "SELECT id, name FROM team WHERE org_id = $1 ORDER BY id",
                &args![org],
                |r| Ok((TeamId(r.i64(0)?), r.text(1)?)),
            )
            .await
    }
}

impl Scoped {
    pub async fn insert_staff(&mut self, s: &NewStaff) -> Result<StaffId> {
        let id = self
            .conn()
            .one(
                "INSERT INTO staff (org_id, team_id, username, display_name, kind, active, created_at) \
                 VALUES ($1, $2, $3, $4, $5, TRUE, $6) RETURNING id",
                &args![
                    s.org_id,
                    s.team_id,
                    &s.username,
                    &s.display_name,
                    s.kind.as_str(),
                    s.created_at
                ],
                |r| r.i64(0),
            )
            .await?;
        let id = StaffId(id);
        self.set_roles(id, &s.roles).await?;
        Ok(id)
    }

    pub async fn set_roles(&mut self, staff: StaffId, roles: &[Role]) -> Result<()> {
        let mut conn = self.conn();
        conn.execute("DELETE FROM staff_role WHERE staff_id = $1", &args![staff])
            .await?;
        for role in roles {
            conn.execute(
                "INSERT INTO staff_role (staff_id, role) VALUES ($1, $2)",
                &args![staff, role.as_str()],
            )
            .await?;
        }
        Ok(())
    }

    pub async fn set_staff_active(&mut self, staff: StaffId, active: bool) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE staff SET active = $2 WHERE id = $1",
                &args![staff, active],
            )
            .await?;
        Ok(())
    }
}

impl Tx {
    /// The names people are shown by, of the staff given: what lists of cases name officers with.
    pub async fn display_names(&mut self, ids: &[StaffId]) -> Result<Vec<(StaffId, String)>> {
        let mut names = Vec::new();
        for chunk in ids.chunks(crate::tx::CHUNK) {
            let mut q = crate::conn::Built::new("SELECT id, display_name FROM staff WHERE id IN (");
            q.list(chunk.iter().copied()).push(")");
            names.extend(
                self.conn()
                    .all_built(&q, |r| Ok((StaffId(r.i64(0)?), r.text(1)?)))
                    .await?,
            );
        }
        Ok(names)
    }

    /// Staff matching `filter` (`username = $1` or `id = $1`), with their roles.
    async fn staff_where(
        &mut self,
        by_username: Option<&str>,
        by_id: Option<StaffId>,
    ) -> Result<Vec<StaffRow>> {
        self.conn()
            .all(sql::STAFF_WHERE, &args![by_username, by_id], decode::staff)
            .await
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
