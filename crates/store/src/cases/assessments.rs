//! Risk assessments of subjects.

use super::*;

/// Personal data: only the gate's handle reaches it.
impl Scoped {
    pub async fn insert_assessment(&mut self, a: &AssessmentRow) -> Result<()> {
        self.conn()
            .execute(sql::INSERT_ASSESSMENT, &binds::assessment(a))
            .await?;
        Ok(())
    }

    pub async fn assessment(&mut self, id: i64) -> Result<Option<AssessmentRow>> {
        self.conn()
            .optional(sql::ASSESSMENT_BY_ID, &args![id], decode::assessment)
            .await
    }

    /// Every assessment of a subject, oldest first: the history a rescore keeps.
    pub async fn assessments_of_subject(
        &mut self,
        subject: SubjectId,
    ) -> Result<Vec<AssessmentRow>> {
        self.conn()
            .all(
                sql::ASSESSMENTS_OF_SUBJECT,
                &args![subject],
                decode::assessment,
            )
            .await
    }

    /// Records a supervisor's sign-off; `false` when the assessment was already signed off.
    pub async fn sign_off_assessment(&mut self, s: &SignOffRow) -> Result<bool> {
        let done = self
            .conn()
            .execute(
                "INSERT INTO assessment_signoff (assessment_id, signed_by, signed_at, comment) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &args![
                    s.assessment_id,
                    s.signed_by.as_str(),
                    s.signed_at,
                    s.comment.as_str()
                ],
            )
            .await?;
        Ok(done == 1)
    }

    pub async fn sign_off(&mut self, assessment: i64) -> Result<Option<SignOffRow>> {
        self.conn()
            .optional(
                "SELECT assessment_id, signed_by, signed_at, comment FROM assessment_signoff \
                 WHERE assessment_id = $1",
                &args![assessment],
                |r| {
                    Ok(SignOffRow {
                        assessment_id: r.i64(0)?,
                        signed_by: r.text(1)?,
                        signed_at: r.i64(2)?,
                        comment: r.text(3)?,
                    })
                },
            )
            .await
    }

    /// The current assessment id of every open subject that has one.
    pub async fn assessed_subjects(&mut self) -> Result<Vec<(SubjectId, i64)>> {
        self.conn()
            .all(
                "SELECT id, assessment_id FROM subject WHERE status = 'open' AND assessment_id IS NOT NULL ORDER BY id",
                &[],
                |r| Ok((SubjectId(r.i64(0)?), r.i64(1)?)),
            )
            .await
    }
}
