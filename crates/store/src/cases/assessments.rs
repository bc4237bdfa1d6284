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
