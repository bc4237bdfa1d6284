//! Identifiers: stored once per key and force, which referrals carry them, and which subject they point at.

use super::*;

/// Personal data: only the gate's handle reaches it.
impl Scoped {
    /// Inserts identifiers not seen before, with the subject they already point at and their common flag.
    pub async fn insert_identifiers(&mut self, rows: &[IdentifierRow]) -> Result<()> {
        let hashed = self.finds_identifiers_by_hash();
        for chunk in rows.chunks(CHUNK) {
            let mut q = Built::new(format!(
                "INSERT INTO identifier ({}",
                sql::IDENTIFIER_COLUMNS
            ));
            if hashed {
                q.push(", key_hash) ")
                    .values(chunk, binds::identifier_hashed);
            } else {
                q.push(") ").values(chunk, binds::identifier);
            }
            self.conn().execute_built(&q).await?;
        }
        Ok(())
    }

    /// SQLite indexes identifiers by the hash of their key, PostgreSQL by the key (migration 0005).
    pub(crate) fn finds_identifiers_by_hash(&self) -> bool {
        !self.is_postgres()
    }

    /// The identifiers with these keys, of every owner: one row per key and owning force.
    pub async fn identifiers_by_key(&mut self, keys: &[String]) -> Result<Vec<IdentifierRow>> {
        let hashed = self.finds_identifiers_by_hash();
        let mut rows = Vec::new();
        for chunk in keys.chunks(CHUNK) {
            let mut q = Built::new(format!(
                "SELECT {} FROM identifier WHERE ",
                sql::IDENTIFIER_COLUMNS
            ));
            if hashed {
                q.push("key_hash IN (")
                    .list(chunk.iter().map(|k| identifier_key_hash(k)));
            } else {
                q.push("key IN (").list(chunk);
            }
            q.push(")");
            for row in self
                .conn()
                .all_built(&q, |r| decode::identifier(r, 0))
                .await?
            {
                // A hash shared with a key not asked for.
                if !hashed || chunk.contains(&row.key) {
                    rows.push(row);
                }
            }
        }
        Ok(rows)
    }

    /// Records that these identifiers were seen with these ESP accounts, and returns, for each identifier
    /// given, how many distinct accounts it has now been seen with (the frequency test for placeholders).
    pub async fn record_identifier_accounts(
        &mut self,
        pairs: &[(IdentifierId, IdentifierId)],
    ) -> Result<Vec<(IdentifierId, i64)>> {
        for chunk in pairs.chunks(CHUNK) {
            let mut q = Built::new("INSERT INTO identifier_account (identifier_id, account_id) ");
            q.values(chunk, |(identifier, account)| args![*identifier, *account])
                .push(" ON CONFLICT DO NOTHING");
            self.conn().execute_built(&q).await?;
        }
        let mut ids: Vec<i64> = pairs.iter().map(|(i, _)| i.0).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut counts = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let mut q = Built::new(
                "SELECT identifier_id, COUNT(*) FROM identifier_account WHERE identifier_id IN (",
            );
            q.list(chunk.iter().copied())
                .push(") GROUP BY identifier_id");
            counts.extend(
                self.conn()
                    .all_built(&q, |r| Ok((IdentifierId(r.i64(0)?), r.i64(1)?)))
                    .await?,
            );
        }
        Ok(counts)
    }

    /// Marks identifiers as common (shared or placeholder values): they point at no subject and stop linking.
    pub async fn mark_common(&mut self, ids: &[IdentifierId]) -> Result<()> {
        for chunk in ids.chunks(CHUNK) {
            let mut q =
                Built::new("UPDATE identifier SET common = TRUE, subject_id = NULL WHERE id IN (");
            q.list(chunk.iter().copied()).push(")");
            self.conn().execute_built(&q).await?;
        }
        Ok(())
    }

    /// Points identifiers at the subject that now carries them.
    pub async fn set_identifier_subjects(
        &mut self,
        pairs: &[(IdentifierId, SubjectId)],
    ) -> Result<()> {
        for chunk in pairs.chunks(CHUNK) {
            let mut q = Built::new("WITH v (id, subject_id) AS (VALUES ");
            for (i, (identifier, subject)) in chunk.iter().enumerate() {
                q.push(if i > 0 { ", (CAST(" } else { "(CAST(" })
                    .bind(*identifier)
                    .push(" AS BIGINT), CAST(")
                    .bind(*subject)
                    .push(" AS BIGINT))");
            }
            q.push(") UPDATE identifier SET subject_id = v.subject_id FROM v WHERE identifier.id = v.id");
            self.conn().execute_built(&q).await?;
        }
        Ok(())
    }

    pub async fn insert_referral_identifiers(
        &mut self,
        rows: &[ReferralIdentifierRow],
    ) -> Result<()> {
        for chunk in rows.chunks(CHUNK) {
            let mut q =
                Built::new("INSERT INTO referral_identifier (referral_id, identifier_id, role) ");
            q.values(chunk, binds::referral_identifier)
                .push(" ON CONFLICT DO NOTHING");
            self.conn().execute_built(&q).await?;
        }
        Ok(())
    }

    /// The identifiers of these referrals: (referral, identifier row, role).
    pub async fn identifiers_of_referrals(
        &mut self,
        referrals: &[ReferralId],
    ) -> Result<Vec<(ReferralId, IdentifierRow, String)>> {
        let mut rows = Vec::new();
        for chunk in referrals.chunks(CHUNK) {
            let mut q = Built::new(sql::IDENTIFIERS_OF_REFERRALS);
            q.list(chunk.iter().copied()).push(sql::IDENTIFIERS_ORDER);
            rows.extend(
                self.conn()
                    .all_built(&q, decode::identifier_on_referral)
                    .await?,
            );
        }
        Ok(rows)
    }

    /// Every identifier on the referrals of these subjects: (subject, identifier).
    pub async fn identifiers_of_subjects(
        &mut self,
        subjects: &[SubjectId],
    ) -> Result<Vec<(SubjectId, IdentifierOnReferral)>> {
        let mut out = Vec::new();
        for chunk in subjects.chunks(CHUNK) {
            let mut q = Built::new(
                "SELECT r.subject_id, r.source_ref, i.kind, i.service, i.value, ri.role, i.placeholder, i.common \
                 FROM referral r JOIN referral_identifier ri ON ri.referral_id = r.id \
                 JOIN identifier i ON i.id = ri.identifier_id WHERE r.subject_id IN (",
            );
            q.list(chunk.iter().copied())
                .push(") ORDER BY r.subject_id, r.id, ri.role, i.kind, i.value");
            out.extend(
                self.conn()
                    .all_built(&q, decode::identifier_of_subject)
                    .await?,
            );
        }
        Ok(out)
    }

    /// Referrals that carry the identifier with `key`, in the scope's force, newest first, at most `limit`:
    /// (subject, source reference, role of the identifier on the referral).
    pub async fn search_identifier(
        &mut self,
        key: &str,
        limit: i64,
    ) -> Result<Vec<(SubjectId, String, String)>> {
        let owner = self.scope().list_owner()?;
        let hashed = self.finds_identifiers_by_hash();
        let sql = if hashed {
            sql::SEARCH_IDENTIFIER_BY_HASH
        } else {
            sql::SEARCH_IDENTIFIER
        };
        self.conn()
            .all(
                sql,
                &args![key, owner, limit, identifier_key_hash(key)][..if hashed { 4 } else { 3 }],
                |r| Ok((SubjectId(r.i64(0)?), r.text(1)?, r.text(2)?)),
            )
            .await
    }
}
