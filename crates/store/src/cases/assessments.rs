//! Risk assessments of subjects.

use super::*;
use severn_domain::risk::Band;

/// Personal data: only the gate's handle reaches it.
impl Scoped {
    pub async fn insert_assessment(&mut self, a: &AssessmentRow) -> Result<()> {
        on!(self, conn => {
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO assessment ({ASSESSMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            )))
            .bind(a.id)
            .bind(a.subject_id.0)
            .bind(a.tool_id.as_str())
            .bind(a.tool_version.as_str())
            .bind(a.answers.as_str())
            .bind(a.outcome.as_str())
            .bind(a.band.as_str())
            .bind(a.assessor.as_str())
            .bind(a.assessed_at)
            .bind(a.override_band.map(Band::as_str))
            .bind(a.override_rationale.as_deref())
            .bind(a.override_by.as_deref())
            .bind(a.rescored_from)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    pub async fn assessment(&mut self, id: i64) -> Result<Option<AssessmentRow>> {
        on!(self, conn => {
            let row = sqlx::query(AssertSqlSafe(format!("SELECT {ASSESSMENT_COLUMNS} FROM assessment WHERE id = $1")))
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
            row.as_ref().map(decode::assessment).transpose()
        })
    }

    /// Every assessment of a subject, oldest first: the history a rescore keeps.
    pub async fn assessments_of_subject(
        &mut self,
        subject: SubjectId,
    ) -> Result<Vec<AssessmentRow>> {
        on!(self, conn => {
            let rows = sqlx::query(sql::ASSESSMENTS_OF_SUBJECT)
            .bind(subject.0)
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(decode::assessment).collect()
        })
    }

    /// The current assessment id of every open subject that has one.
    pub async fn assessed_subjects(&mut self) -> Result<Vec<(SubjectId, i64)>> {
        on!(self, conn => {
            let rows = sqlx::query(
                "SELECT id, assessment_id FROM subject WHERE status = 'open' AND assessment_id IS NOT NULL ORDER BY id",
            )
            .fetch_all(&mut *conn)
            .await?;
            rows.iter()
                .map(|r| Ok((SubjectId(r.try_get(0)?), r.try_get(1)?)))
                .collect()
        })
    }
}
