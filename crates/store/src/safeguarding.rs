//! Safeguarding's own storage: a force's target for sending referrals to children's social care (names no
//! one: on [`Tx`]), and each case's earliest open safeguarding deadline, which the notices look for (a case's:
//! on the gate's handle). The children, referrals, plans and support referrals themselves are events on the
//! case's timeline.

use crate::Result;
use crate::StoreError;
use crate::cases::force_condition;
use crate::conn::args;
use crate::decode;
use crate::handles::Scoped;
use crate::rows::CaseRow;
use crate::sql;
use crate::tx::Tx;
use severn_domain::ids::OrgId;

impl Tx {
    /// A force's target in working days for sending a referral, as it stood at `at` (0, the same working day,
    /// when none was set by then).
    pub async fn safeguarding_target(&mut self, org: OrgId, at: i64) -> Result<u32> {
        let days = self
            .conn()
            .optional(
                "SELECT working_days FROM safeguarding_target WHERE org_id = $1 AND set_at <= $2 \
                 ORDER BY set_at DESC, id DESC LIMIT 1",
                &args![org, at],
                |r| r.i64(0),
            )
            .await?;
        Ok(days.map_or(0, |d| u32::try_from(d).unwrap_or(0)))
    }

    /// Sets a force's target from `at` on; earlier targets are kept for figures of past dates.
    pub async fn set_safeguarding_target(
        &mut self,
        org: OrgId,
        working_days: u32,
        at: i64,
        by: &str,
    ) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO safeguarding_target (org_id, working_days, set_at, set_by) \
                 VALUES ($1, $2, $3, $4)",
                &args![org, i64::from(working_days), at, by],
            )
            .await?;
        Ok(())
    }
}

impl Scoped {
    /// Keeps when a case's earliest open safeguarding deadline ends (`None`: no open safeguarding work).
    pub async fn set_safeguarding_due(
        &mut self,
        case: &CaseRow,
        due_at: Option<i64>,
    ) -> Result<()> {
        if !self.scope().covers(case.subject_id, case.owner_org) {
            return Err(StoreError::OutOfScope);
        }
        self.conn()
            .execute(
                "UPDATE case_file SET safeguarding_due_at = $1 WHERE id = $2",
                &args![due_at, case.id],
            )
            .await?;
        Ok(())
    }

    /// The scope's force's open cases with safeguarding work whose deadline ended before `until`, with that
    /// deadline, soonest first.
    pub async fn cases_safeguarding_due_before(
        &mut self,
        until: i64,
    ) -> Result<Vec<(CaseRow, i64)>> {
        let owner = self.scope().list_owner()?;
        self.conn()
            .all(
                &format!(
                    "SELECT {}, safeguarding_due_at FROM case_file WHERE {} AND status = 'open' \
                     AND safeguarding_due_at < $2 ORDER BY safeguarding_due_at, id",
                    sql::CASE_COLUMNS,
                    force_condition(owner)
                ),
                &args![owner, until],
                |r| Ok((decode::case_file(r)?, r.i64(16)?)),
            )
            .await
    }
}
