//! The staff register beyond accounts (posts, capacity, working days, absences), each force's skills, training
//! records and the skills each post requires, and the allocation policy's versions. Staff records are people's
//! data: reads and writes are the gate's handle's; the policy, which names no one, is on [`Tx`].

use crate::Result;
use crate::conn::{Built, args};
use crate::decode;
use crate::handles::Scoped;
use crate::rows::{AbsenceRow, NoticeRow, StaffProfileRow};
use crate::sql;
use crate::tx::Tx;
use severn_domain::ids::{OrgId, StaffId};
use severn_domain::skills::{Skill, SkillCode, TrainingRecord};

/// An allocation policy version as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocationPolicyRow {
    pub policy_id: String,
    pub version: String,
    pub source: String,
    pub content_sha256: String,
    pub loaded_at: i64,
}

impl Tx {
    /// The active allocation policy, if one was installed.
    pub async fn active_allocation_policy(&mut self) -> Result<Option<AllocationPolicyRow>> {
        self.conn()
            .optional(
                "SELECT policy_id, version, source, content_sha256, loaded_at FROM allocation_policy \
                 WHERE active = TRUE",
                &[],
                |r| {
                    Ok(AllocationPolicyRow {
                        policy_id: r.text(0)?,
                        version: r.text(1)?,
                        source: r.text(2)?,
                        content_sha256: r.text(3)?,
                        loaded_at: r.i64(4)?,
                    })
                },
            )
            .await
    }

    /// Stores a policy version and makes it the active one. Installing a version already stored with the same
    /// text makes it active again; the same id and version with other text is refused by the key.
    pub async fn save_allocation_policy(&mut self, p: &AllocationPolicyRow) -> Result<()> {
        let mut conn = self.conn();
        conn.execute("UPDATE allocation_policy SET active = FALSE", &[])
            .await?;
        let updated = conn
            .execute(
                "UPDATE allocation_policy SET active = TRUE \
                 WHERE policy_id = $1 AND version = $2 AND content_sha256 = $3",
                &args![&p.policy_id, &p.version, &p.content_sha256],
            )
            .await?;
        if updated == 0 {
            conn.execute(
                "INSERT INTO allocation_policy (policy_id, version, source, content_sha256, loaded_at, active) \
                 VALUES ($1, $2, $3, $4, $5, TRUE)",
                &args![
                    &p.policy_id,
                    &p.version,
                    &p.source,
                    &p.content_sha256,
                    p.loaded_at
                ],
            )
            .await?;
        }
        Ok(())
    }
}

/// People's records: only the gate's handle reaches them.
impl Scoped {
    pub async fn set_staff_profile(&mut self, p: &StaffProfileRow) -> Result<()> {
        let mut conn = self.conn();
        conn.execute(
            "DELETE FROM staff_profile WHERE staff_id = $1",
            &args![p.staff_id],
        )
        .await?;
        conn.execute(
            "INSERT INTO staff_profile (staff_id, post, capacity, working_days, email) \
             VALUES ($1, $2, $3, $4, $5)",
            &args![
                p.staff_id,
                &p.post,
                p.capacity,
                p.working_days,
                p.email.as_deref()
            ],
        )
        .await?;
        Ok(())
    }

    /// The profiles of a force's staff.
    pub async fn staff_profiles(&mut self, org: OrgId) -> Result<Vec<StaffProfileRow>> {
        self.conn()
            .all(
                "SELECT p.staff_id, p.post, p.capacity, p.working_days, p.email FROM staff_profile p \
                 JOIN staff s ON s.id = p.staff_id WHERE s.org_id = $1 ORDER BY p.staff_id",
                &args![org],
                decode::staff_profile,
            )
            .await
    }

    pub async fn add_absence(&mut self, a: &AbsenceRow) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO staff_absence (staff_id, first_day, last_day, reason) VALUES ($1, $2, $3, $4)",
                &args![
                    a.staff_id,
                    &a.first_day.to_string(),
                    &a.last_day.to_string(),
                    &a.reason
                ],
            )
            .await?;
        Ok(())
    }

    /// Absences of a force's staff that end on or after `from`.
    pub async fn absences(
        &mut self,
        org: OrgId,
        from: jiff::civil::Date,
    ) -> Result<Vec<AbsenceRow>> {
        self.conn()
            .all(
                "SELECT a.staff_id, a.first_day, a.last_day, a.reason FROM staff_absence a \
                 JOIN staff s ON s.id = a.staff_id WHERE s.org_id = $1 AND a.last_day >= $2 \
                 ORDER BY a.staff_id, a.first_day",
                &args![org, &from.to_string()],
                decode::absence,
            )
            .await
    }

    /// Adds a skill to a force's catalogue, or renames it and sets its renewal period.
    pub async fn put_skill(&mut self, org: OrgId, skill: &Skill) -> Result<()> {
        let mut conn = self.conn();
        conn.execute(
            "DELETE FROM skill WHERE org_id = $1 AND code = $2",
            &args![org, skill.code.as_str()],
        )
        .await?;
        conn.execute(
            "INSERT INTO skill (org_id, code, name, renew_after_months) VALUES ($1, $2, $3, $4)",
            &args![
                org,
                skill.code.as_str(),
                &skill.name,
                skill.renew_after_months.map(i64::from)
            ],
        )
        .await?;
        Ok(())
    }

    pub async fn skills(&mut self, org: OrgId) -> Result<Vec<Skill>> {
        self.conn()
            .all(
                "SELECT code, name, renew_after_months FROM skill WHERE org_id = $1 ORDER BY name",
                &args![org],
                decode::skill,
            )
            .await
    }

    /// Adds training records, recorded at `at` by `by`.
    pub async fn insert_training(
        &mut self,
        records: &[TrainingRecord],
        at: i64,
        by: &str,
    ) -> Result<()> {
        let mut conn = self.conn();
        for r in records {
            conn.execute(
                "INSERT INTO training_record (staff_id, skill, achieved_on, expires_on, evidence, recorded_at, \
                 recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &args![
                    r.staff,
                    r.skill.as_str(),
                    &r.achieved_on.to_string(),
                    r.expires_on.map(|d| d.to_string()).as_deref(),
                    &r.evidence,
                    at,
                    by
                ],
            )
            .await?;
        }
        Ok(())
    }

    /// Every training record of a force's staff.
    /// A force's active investigators and supervisors, whom a case can be allocated to.
    pub async fn allocatable_staff(&mut self, org: OrgId) -> Result<Vec<crate::rows::StaffRow>> {
        self.conn()
            .all(sql::ALLOCATABLE_STAFF, &args![org], decode::staff)
            .await
    }

    /// A force's training records in `skills` only: what allocation checks a case's requirements against.
    pub async fn training_in(
        &mut self,
        org: OrgId,
        skills: &[SkillCode],
    ) -> Result<Vec<TrainingRecord>> {
        if skills.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Built::new(
            "SELECT t.staff_id, t.skill, t.achieved_on, t.expires_on, t.evidence FROM training_record t \
             JOIN staff s ON s.id = t.staff_id WHERE s.org_id = ",
        );
        q.bind(org)
            .push(" AND t.skill IN (")
            .list(skills.iter().map(SkillCode::as_str))
            .push(") ORDER BY t.staff_id, t.skill, t.achieved_on");
        self.conn().all_built(&q, decode::training_record).await
    }

    pub async fn training(&mut self, org: OrgId) -> Result<Vec<TrainingRecord>> {
        self.conn()
            .all(
                "SELECT t.staff_id, t.skill, t.achieved_on, t.expires_on, t.evidence FROM training_record t \
                 JOIN staff s ON s.id = t.staff_id WHERE s.org_id = $1 \
                 ORDER BY t.staff_id, t.skill, t.achieved_on",
                &args![org],
                decode::training_record,
            )
            .await
    }

    /// Replaces the skills a post requires in a force.
    pub async fn set_post_requirement(
        &mut self,
        org: OrgId,
        post: &str,
        skills: &[SkillCode],
    ) -> Result<()> {
        let mut conn = self.conn();
        conn.execute(
            "DELETE FROM post_requirement WHERE org_id = $1 AND post = $2",
            &args![org, post],
        )
        .await?;
        for skill in skills {
            conn.execute(
                "INSERT INTO post_requirement (org_id, post, skill) VALUES ($1, $2, $3)",
                &args![org, post, skill.as_str()],
            )
            .await?;
        }
        Ok(())
    }

    /// Each post's required skills in a force: (post, skill) pairs.
    pub async fn post_requirements(&mut self, org: OrgId) -> Result<Vec<(String, SkillCode)>> {
        self.conn()
            .all(
                "SELECT post, skill FROM post_requirement WHERE org_id = $1 ORDER BY post, skill",
                &args![org],
                decode::post_requirement,
            )
            .await
    }

    /// How many open cases each of a force's officers is in charge of.
    pub async fn live_cases(&mut self, org: OrgId) -> Result<Vec<(StaffId, i64)>> {
        self.conn()
            .all(
                "SELECT officer_id, COUNT(*) FROM case_file WHERE owner_org = $1 AND status = 'open' \
                 AND officer_id IS NOT NULL GROUP BY officer_id",
                &args![org],
                |r| Ok((StaffId(r.i64(0)?), r.i64(1)?)),
            )
            .await
    }

    /// Open cases of the scope's force whose running clock is due before `until`, soonest first.
    pub async fn cases_due_before(&mut self, until: i64) -> Result<Vec<crate::rows::CaseRow>> {
        let owner = self.scope().list_owner()?;
        self.conn()
            .all(
                &format!(
                    "SELECT {} FROM case_file WHERE {} AND status = 'open' AND clock_state = 'running' \
                     AND list_due_at < $2 ORDER BY list_due_at, id",
                    crate::sql::CASE_COLUMNS,
                    crate::cases::force_condition(owner)
                ),
                &args![owner, until],
                decode::case_file,
            )
            .await
    }

    /// Adds a notice unless the same one (case, person, kind, deadline) was given already: whether it is new.
    pub async fn add_notice(&mut self, n: &NoticeRow) -> Result<bool> {
        let added = self
            .conn()
            .execute(
                "INSERT INTO notice (case_id, staff_id, kind, due_at, created_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (case_id, staff_id, kind, due_at) DO NOTHING",
                &args![n.case_id, n.staff_id, &n.kind, n.due_at, n.created_at],
            )
            .await?;
        Ok(added > 0)
    }

    /// A person's notices, newest first, at most `limit`.
    pub async fn notices_of(&mut self, staff: StaffId, limit: i64) -> Result<Vec<NoticeRow>> {
        self.conn()
            .all(
                "SELECT id, case_id, staff_id, kind, due_at, created_at, emailed_at FROM notice \
                 WHERE staff_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
                &args![staff, limit],
                decode::notice,
            )
            .await
    }

    /// Notices not yet e-mailed to people who have an address, with the address, oldest first.
    pub async fn unsent_notices(&mut self, limit: i64) -> Result<Vec<(NoticeRow, String)>> {
        self.conn()
            .all(
                "SELECT n.id, n.case_id, n.staff_id, n.kind, n.due_at, n.created_at, n.emailed_at, p.email \
                 FROM notice n JOIN staff_profile p ON p.staff_id = n.staff_id \
                 WHERE n.emailed_at IS NULL AND p.email IS NOT NULL ORDER BY n.id LIMIT $1",
                &args![limit],
                |r| Ok((decode::notice(r)?, r.text(7)?)),
            )
            .await
    }

    pub async fn mark_emailed(&mut self, notice: i64, at: i64) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE notice SET emailed_at = $1 WHERE id = $2",
                &args![at, notice],
            )
            .await?;
        Ok(())
    }
}
