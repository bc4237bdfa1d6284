//! Referrals and their versions, and the links that explain why a referral is in its subject.

use super::*;

/// Personal data: only the gate's handle reaches it.
impl Scoped {
    pub async fn insert_referrals(&mut self, referrals: &[ReferralRow]) -> Result<()> {
        for chunk in referrals.chunks(CHUNK / 2) {
            let mut q = Built::new(format!("INSERT INTO referral ({REFERRAL_COLUMNS}) "));
            q.values(chunk, binds::referral);
            self.conn().execute_built(&q).await?;
        }
        Ok(())
    }

    /// Replaces a referral's document with a changed version, keeping the previous one in `referral_version`.
    pub async fn record_new_version(
        &mut self,
        previous: &ReferralRow,
        next: &ReferralRow,
    ) -> Result<()> {
        let mut conn = self.conn();
        conn.execute(
            sql::INSERT_REFERRAL_VERSION,
            &args![
                previous.id,
                previous.version,
                &previous.content_sha256,
                previous.received_at,
                &previous.document
            ],
        )
        .await?;
        conn.execute(
            sql::UPDATE_REFERRAL_VERSION,
            &args![
                next.version,
                &next.content_sha256,
                next.received_at,
                next.incident_type.as_deref(),
                next.incident_at,
                next.platform.as_deref(),
                next.band.as_str(),
                &next.outcome,
                &next.signals,
                &next.document,
                previous.id
            ],
        )
        .await?;
        Ok(())
    }

    /// Stores a referral's recomputed risk (after file details arrived for it).
    pub async fn update_referral_risk(&mut self, r: &ReferralRow) -> Result<()> {
        self.conn()
            .execute(
                sql::UPDATE_REFERRAL_RISK,
                &args![r.band.as_str(), &r.outcome, &r.signals, &r.document, r.id],
            )
            .await?;
        Ok(())
    }

    /// Earlier versions of a referral, oldest first: (version, sha256, received_at).
    pub async fn referral_versions(&mut self, id: ReferralId) -> Result<Vec<(i32, String, i64)>> {
        self.conn()
            .all(sql::REFERRAL_VERSIONS, &args![id], decode::referral_version)
            .await
    }

    pub async fn referral_by_source_ref(
        &mut self,
        source_ref: &str,
    ) -> Result<Option<ReferralRow>> {
        self.conn()
            .optional(
                sql::REFERRAL_BY_SOURCE_REF,
                &args![source_ref],
                decode::referral,
            )
            .await
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
        self.conn()
            .all(sql::REFERRALS_AFTER, &args![after, limit], decode::referral)
            .await
    }

    /// (referral id, source reference, subject) above `after`, in id order: the light form for exports.
    pub async fn referral_subjects_after(
        &mut self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String, SubjectId)>> {
        self.conn()
            .all(
                "SELECT id, source_ref, subject_id FROM referral WHERE id > $1 ORDER BY id LIMIT $2",
                &args![after, limit],
                |r| Ok((r.i64(0)?, r.text(1)?, SubjectId(r.i64(2)?))),
            )
            .await
    }

    pub async fn referrals_by_id(&mut self, ids: &[ReferralId]) -> Result<Vec<ReferralRow>> {
        let mut rows = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let mut q = Built::new(format!(
                "SELECT {REFERRAL_COLUMNS} FROM referral WHERE id IN ("
            ));
            q.list(chunk.iter().copied()).push(") ORDER BY id");
            rows.extend(self.conn().all_built(&q, decode::referral).await?);
        }
        Ok(rows)
    }

    pub async fn referrals_of_subjects(
        &mut self,
        subjects: &[SubjectId],
    ) -> Result<Vec<ReferralRow>> {
        let mut rows = Vec::new();
        for chunk in subjects.chunks(CHUNK) {
            let mut q = Built::new(format!(
                "SELECT {REFERRAL_COLUMNS} FROM referral WHERE subject_id IN ("
            ));
            q.list(chunk.iter().copied()).push(") ORDER BY id");
            rows.extend(self.conn().all_built(&q, decode::referral).await?);
        }
        Ok(rows)
    }

    /// The source references of a subject's referrals, in arrival order: the light form for pages.
    pub async fn referral_refs_of_subject(&mut self, subject: SubjectId) -> Result<Vec<String>> {
        self.conn()
            .all(sql::REFERRAL_REFS_OF_SUBJECT, &args![subject], |r| {
                r.text(0)
            })
            .await
    }

    pub async fn move_referrals(&mut self, referrals: &[ReferralId], to: SubjectId) -> Result<()> {
        for chunk in referrals.chunks(CHUNK) {
            let mut q = Built::new("UPDATE referral SET subject_id = ");
            q.bind(to)
                .push(" WHERE id IN (")
                .list(chunk.iter().copied())
                .push(")");
            self.conn().execute_built(&q).await?;
        }
        Ok(())
    }

    pub async fn insert_links(&mut self, links: &[LinkRow]) -> Result<()> {
        for chunk in links.chunks(CHUNK) {
            let mut q = Built::new(
                "INSERT INTO subject_link (referral_id, identifier_id, weight, linked_at) ",
            );
            q.values(chunk, binds::link).push(" ON CONFLICT DO NOTHING");
            self.conn().execute_built(&q).await?;
        }
        Ok(())
    }

    /// Drops the link explanations of these referrals (before they are linked afresh).
    pub async fn delete_links_of_referrals(&mut self, referrals: &[ReferralId]) -> Result<()> {
        for chunk in referrals.chunks(CHUNK) {
            let mut q = Built::new("DELETE FROM subject_link WHERE referral_id IN (");
            q.list(chunk.iter().copied()).push(")");
            self.conn().execute_built(&q).await?;
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
            let mut q = Built::new(sql::LINKS_OF_SUBJECTS);
            q.list(chunk.iter().copied()).push(sql::LINKS_ORDER);
            out.extend(self.conn().all_built(&q, decode::link_explained).await?);
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
            let mut q =
                Built::new("SELECT subject_id, COUNT(*) FROM referral WHERE subject_id IN (");
            q.list(chunk.iter().copied()).push(") GROUP BY subject_id");
            out.extend(
                self.conn()
                    .all_built(&q, |r| Ok((SubjectId(r.i64(0)?), r.i64(1)?)))
                    .await?,
            );
        }
        Ok(out)
    }
}
