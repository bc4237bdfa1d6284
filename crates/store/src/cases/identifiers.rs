//! Identifiers: stored once per key and force, which referrals carry them, and which subject they point at.

use super::*;

/// Personal data: only the gate's handle reaches it.
impl Scoped {
    /// Inserts identifiers not seen before, with the subject they already point at and their common flag.
    pub async fn insert_identifiers(&mut self, rows: &[IdentifierRow]) -> Result<()> {
        let hashed = self.finds_identifiers_by_hash();
        for chunk in rows.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(format!(
                    "INSERT INTO identifier ({}",
                    sql::IDENTIFIER_COLUMNS
                ));
                q.push(if hashed { ", key_hash) " } else { ") " });
                q.push_values(chunk, |mut b, r| {
                    b.push_bind(r.id.0)
                        .push_bind(r.key.as_str())
                        .push_bind(r.kind.as_str())
                        .push_bind(r.service.as_deref())
                        .push_bind(r.value.as_str())
                        .push_bind(r.placeholder)
                        .push_bind(r.common)
                        .push_bind(r.subject_id.map(|s| s.0))
                        .push_bind(r.owner_org.map(|o| o.0));
                    if hashed {
                        b.push_bind(identifier_key_hash(&r.key));
                    }
                });
                q.build().execute(&mut *conn).await?;
            })
        }
        Ok(())
    }

    /// SQLite indexes identifiers by the hash of their key, PostgreSQL by the key (migration 0005).
    pub(crate) fn finds_identifiers_by_hash(&self) -> bool {
        !matches!(**self, Tx::Postgres(_) | Tx::PostgresRead(..))
    }

    /// The identifiers with these keys, of every owner: one row per key and owning force.
    pub async fn identifiers_by_key(&mut self, keys: &[String]) -> Result<Vec<IdentifierRow>> {
        let hashed = self.finds_identifiers_by_hash();
        let mut rows = Vec::new();
        for chunk in keys.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(format!(
                    "SELECT {} FROM identifier WHERE ",
                    sql::IDENTIFIER_COLUMNS
                ));
                if hashed {
                    q.push("key_hash IN (");
                    push_list(&mut q, chunk.iter().map(|k| identifier_key_hash(k)));
                } else {
                    q.push("key IN (");
                    push_list(&mut q, chunk.iter().map(|k| k.as_str()));
                }
                q.push(")");
                for row in q.build().fetch_all(&mut *conn).await? {
                    let row = decode::identifier(&row, 0)?;
                    // A hash shared with a key not asked for.
                    if !hashed || chunk.contains(&row.key) {
                        rows.push(row);
                    }
                }
            })
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
            on!(self, conn => {
                let mut q = QueryBuilder::new("INSERT INTO identifier_account (identifier_id, account_id) ");
                q.push_values(chunk, |mut b, (identifier, account)| {
                    b.push_bind(identifier.0).push_bind(account.0);
                });
                q.push(" ON CONFLICT DO NOTHING");
                q.build().execute(&mut *conn).await?;
            })
        }
        let mut ids: Vec<i64> = pairs.iter().map(|(i, _)| i.0).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut counts = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(
                    "SELECT identifier_id, COUNT(*) FROM identifier_account WHERE identifier_id IN (",
                );
                push_list(&mut q, chunk.iter().copied());
                q.push(") GROUP BY identifier_id");
                for row in q.build().fetch_all(&mut *conn).await? {
                    counts.push((IdentifierId(row.try_get(0)?), row.try_get::<i64, _>(1)?));
                }
            })
        }
        Ok(counts)
    }

    /// Marks identifiers as common (shared or placeholder values): they point at no subject and stop linking.
    pub async fn mark_common(&mut self, ids: &[IdentifierId]) -> Result<()> {
        for chunk in ids.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new("UPDATE identifier SET common = TRUE, subject_id = NULL WHERE id IN (");
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(")");
                q.build().execute(&mut *conn).await?;
            })
        }
        Ok(())
    }

    /// Points identifiers at the subject that now carries them.
    pub async fn set_identifier_subjects(
        &mut self,
        pairs: &[(IdentifierId, SubjectId)],
    ) -> Result<()> {
        for chunk in pairs.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new("WITH v (id, subject_id) AS (");
                q.push_values(chunk, |mut b, (identifier, subject)| {
                    b.push("CAST(")
                        .push_bind_unseparated(identifier.0)
                        .push_unseparated(" AS BIGINT)")
                        .push("CAST(")
                        .push_bind_unseparated(subject.0)
                        .push_unseparated(" AS BIGINT)");
                });
                q.push(
                    ") UPDATE identifier SET subject_id = (SELECT v.subject_id FROM v WHERE v.id = identifier.id) \
                     WHERE id IN (SELECT id FROM v)",
                );
                q.build().execute(&mut *conn).await?;
            })
        }
        Ok(())
    }

    pub async fn insert_referral_identifiers(
        &mut self,
        rows: &[ReferralIdentifierRow],
    ) -> Result<()> {
        for chunk in rows.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new("INSERT INTO referral_identifier (referral_id, identifier_id, role) ");
                q.push_values(chunk, |mut b, r| {
                    b.push_bind(r.referral_id.0)
                        .push_bind(r.identifier_id.0)
                        .push_bind(r.role.as_str());
                });
                q.push(" ON CONFLICT DO NOTHING");
                q.build().execute(&mut *conn).await?;
            })
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
            on!(self, conn => {
                let mut q = QueryBuilder::new(sql::IDENTIFIERS_OF_REFERRALS);
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(sql::IDENTIFIERS_ORDER);
                for row in q.build().fetch_all(&mut *conn).await? {
                    rows.push(decode::identifier_on_referral(&row)?);
                }
            })
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
            on!(self, conn => {
                let mut q = QueryBuilder::new(
                    "SELECT r.subject_id, r.source_ref, i.kind, i.service, i.value, ri.role, i.placeholder, i.common \
                     FROM referral r JOIN referral_identifier ri ON ri.referral_id = r.id \
                     JOIN identifier i ON i.id = ri.identifier_id WHERE r.subject_id IN (",
                );
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(") ORDER BY r.subject_id, r.id, ri.role, i.kind, i.value");
                for r in q.build().fetch_all(&mut *conn).await? {
                    out.push(decode::identifier_of_subject(&r)?);
                }
            })
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
        on!(self, conn => {
            let by_hash = if hashed { "i.key_hash = $4 AND " } else { "" };
            let mut query = sqlx::query(AssertSqlSafe(format!(
                "SELECT r.subject_id, r.source_ref, ri.role FROM identifier i \
                 JOIN referral_identifier ri ON ri.identifier_id = i.id \
                 JOIN referral r ON r.id = ri.referral_id \
                 WHERE {by_hash}i.key = $1 AND ($2 IS NULL OR r.owner_org = $2) ORDER BY r.id DESC LIMIT $3"
            )))
            .bind(key)
            .bind(owner.map(|o| o.0))
            .bind(limit);
            if hashed {
                query = query.bind(identifier_key_hash(key));
            }
            let rows = query.fetch_all(&mut *conn).await?;
            rows.iter()
                .map(|r| Ok((SubjectId(r.try_get(0)?), r.try_get(1)?, r.try_get(2)?)))
                .collect()
        })
    }
}
