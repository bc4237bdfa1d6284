//! Referrals and their versions, and the links that explain why a referral is in its subject.

use super::*;

/// Personal data: only the gate's handle reaches it.
impl Scoped {
    pub async fn insert_referrals(&mut self, referrals: &[ReferralRow]) -> Result<()> {
        for chunk in referrals.chunks(CHUNK / 2) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(format!("INSERT INTO referral ({REFERRAL_COLUMNS}) "));
                q.push_values(chunk, |mut b, r| {
                    b.push_bind(r.id.0)
                        .push_bind(r.source_ref.as_str())
                        .push_bind(r.format.as_str())
                        .push_bind(r.source.as_str())
                        .push_bind(r.version)
                        .push_bind(r.content_sha256.as_str())
                        .push_bind(r.received_at)
                        .push_bind(r.clock_start_at)
                        .push_bind(r.nca_reference.as_deref())
                        .push_bind(r.disseminated_at)
                        .push_bind(r.incident_type.as_deref())
                        .push_bind(r.incident_at)
                        .push_bind(r.platform.as_deref())
                        .push_bind(r.subject_id.0)
                        .push_bind(r.band.as_str())
                        .push_bind(r.outcome.as_stored())
                        .push_bind(r.signals.as_str())
                        .push_bind(r.document.as_stored())
                        .push_bind(r.owner_org.map(|o| o.0));
                });
                q.build().execute(&mut *conn).await?;
            })
        }
        Ok(())
    }

    /// Replaces a referral's document with a changed version, keeping the previous one in `referral_version`.
    pub async fn record_new_version(
        &mut self,
        previous: &ReferralRow,
        next: &ReferralRow,
    ) -> Result<()> {
        on!(self, conn => {
            sqlx::query(sql::INSERT_REFERRAL_VERSION)
            .bind(previous.id.0)
            .bind(previous.version)
            .bind(previous.content_sha256.as_str())
            .bind(previous.received_at)
            .bind(previous.document.as_stored())
            .execute(&mut *conn)
            .await?;
            sqlx::query(sql::UPDATE_REFERRAL_VERSION)
            .bind(next.version)
            .bind(next.content_sha256.as_str())
            .bind(next.received_at)
            .bind(next.incident_type.as_deref())
            .bind(next.incident_at)
            .bind(next.platform.as_deref())
            .bind(next.band.as_str())
            .bind(next.outcome.as_stored())
            .bind(next.signals.as_str())
            .bind(next.document.as_stored())
            .bind(previous.id.0)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Stores a referral's recomputed risk (after file details arrived for it).
    pub async fn update_referral_risk(&mut self, r: &ReferralRow) -> Result<()> {
        on!(self, conn => {
            sqlx::query(sql::UPDATE_REFERRAL_RISK)
                .bind(r.band.as_str())
                .bind(r.outcome.as_stored())
                .bind(r.signals.as_str())
                .bind(r.document.as_stored())
                .bind(r.id.0)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    /// Earlier versions of a referral, oldest first: (version, sha256, received_at).
    pub async fn referral_versions(&mut self, id: ReferralId) -> Result<Vec<(i32, String, i64)>> {
        on!(self, conn => {
            let rows = sqlx::query(sql::REFERRAL_VERSIONS)
                .bind(id.0)
                .fetch_all(&mut *conn)
                .await?;
            rows.iter().map(decode::referral_version).collect()
        })
    }

    pub async fn referral_by_source_ref(
        &mut self,
        source_ref: &str,
    ) -> Result<Option<ReferralRow>> {
        on!(self, conn => {
            let row = sqlx::query(sql::REFERRAL_BY_SOURCE_REF)
                .bind(source_ref)
                .fetch_optional(&mut *conn)
                .await?;
            row.as_ref().map(decode::referral).transpose()
        })
    }

    /// A referral, when the scope covers its case.
    pub async fn referral_in_scope(&mut self, source_ref: &str) -> Result<Option<ReferralRow>> {
        match self.referral_by_source_ref(source_ref).await? {
            Some(r) if !self.scope().covers(r.subject_id, r.owner_org) => {
                Err(StoreError::OutOfScope)
            }
            found => Ok(found),
        }
    }

    /// Referrals with ids above `after`, in id order, at most `limit`: for passes over every referral.
    pub async fn referrals_after(&mut self, after: i64, limit: i64) -> Result<Vec<ReferralRow>> {
        on!(self, conn => {
            let rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT {REFERRAL_COLUMNS} FROM referral WHERE id > $1 ORDER BY id LIMIT $2"
            )))
            .bind(after)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(decode::referral).collect()
        })
    }

    /// (referral id, source reference, subject) above `after`, in id order: the light form for exports.
    pub async fn referral_subjects_after(
        &mut self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String, SubjectId)>> {
        on!(self, conn => {
            let rows = sqlx::query("SELECT id, source_ref, subject_id FROM referral WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(after)
                .bind(limit)
                .fetch_all(&mut *conn)
                .await?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, SubjectId(r.try_get(2)?))))
                .collect()
        })
    }

    pub async fn referrals_by_id(&mut self, ids: &[ReferralId]) -> Result<Vec<ReferralRow>> {
        let mut rows = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(format!("SELECT {REFERRAL_COLUMNS} FROM referral WHERE id IN ("));
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(") ORDER BY id");
                for row in q.build().fetch_all(&mut *conn).await? {
                    rows.push(decode::referral(&row)?);
                }
            })
        }
        Ok(rows)
    }

    pub async fn referrals_of_subjects(
        &mut self,
        subjects: &[SubjectId],
    ) -> Result<Vec<ReferralRow>> {
        let mut rows = Vec::new();
        for chunk in subjects.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(format!(
                    "SELECT {REFERRAL_COLUMNS} FROM referral WHERE subject_id IN ("
                ));
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(") ORDER BY id");
                for row in q.build().fetch_all(&mut *conn).await? {
                    rows.push(decode::referral(&row)?);
                }
            })
        }
        Ok(rows)
    }

    /// The source references of a subject's referrals, in arrival order: the light form for pages.
    pub async fn referral_refs_of_subject(&mut self, subject: SubjectId) -> Result<Vec<String>> {
        on!(self, conn => {
            Ok(sqlx::query_scalar(sql::REFERRAL_REFS_OF_SUBJECT)
                .bind(subject.0)
                .fetch_all(&mut *conn)
                .await?)
        })
    }

    pub async fn move_referrals(&mut self, referrals: &[ReferralId], to: SubjectId) -> Result<()> {
        for chunk in referrals.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new("UPDATE referral SET subject_id = ");
                q.push_bind(to.0).push(" WHERE id IN (");
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(")");
                q.build().execute(&mut *conn).await?;
            })
        }
        Ok(())
    }

    pub async fn insert_links(&mut self, links: &[LinkRow]) -> Result<()> {
        for chunk in links.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(
                    "INSERT INTO subject_link (referral_id, identifier_id, weight, linked_at) ",
                );
                q.push_values(chunk, |mut b, l| {
                    b.push_bind(l.referral_id.0)
                        .push_bind(l.identifier_id.0)
                        .push_bind(l.weight)
                        .push_bind(l.linked_at);
                });
                q.push(" ON CONFLICT DO NOTHING");
                q.build().execute(&mut *conn).await?;
            })
        }
        Ok(())
    }

    /// Drops the link explanations of these referrals (before they are linked afresh).
    pub async fn delete_links_of_referrals(&mut self, referrals: &[ReferralId]) -> Result<()> {
        for chunk in referrals.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new("DELETE FROM subject_link WHERE referral_id IN (");
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(")");
                q.build().execute(&mut *conn).await?;
            })
        }
        Ok(())
    }

    /// Why each referral of these subjects is in its subject: (subject, explanation).
    pub async fn links_of_subjects(
        &mut self,
        subjects: &[SubjectId],
    ) -> Result<Vec<(SubjectId, LinkExplained)>> {
        let mut out = Vec::new();
        for chunk in subjects.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(sql::LINKS_OF_SUBJECTS);
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(sql::LINKS_ORDER);
                for r in q.build().fetch_all(&mut *conn).await? {
                    out.push(decode::link_explained(&r)?);
                }
            })
        }
        Ok(out)
    }

    /// How many referrals each of these subjects holds.
    pub async fn referral_counts(
        &mut self,
        subjects: &[SubjectId],
    ) -> Result<Vec<(SubjectId, i64)>> {
        let mut out = Vec::new();
        for chunk in subjects.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new("SELECT subject_id, COUNT(*) FROM referral WHERE subject_id IN (");
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(") GROUP BY subject_id");
                for r in q.build().fetch_all(&mut *conn).await? {
                    out.push((SubjectId(r.try_get(0)?), r.try_get(1)?));
                }
            })
        }
        Ok(out)
    }
}
