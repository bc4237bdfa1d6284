//! Subjects (the suspects linking found) and the queue, merges and separations, and investigators' decisions.

use super::*;

/// Personal data: only the gate's handle reaches it.
impl Scoped {
    pub async fn insert_subjects(&mut self, subjects: &[SubjectRow]) -> Result<()> {
        for chunk in subjects.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(format!("INSERT INTO subject ({SUBJECT_COLUMNS}) "));
                q.push_values(chunk, |mut b, s| {
                    b.push_bind(s.id.0)
                        .push_bind(s.created_at)
                        .push_bind(s.status.as_str())
                        .push_bind(s.merged_into.map(|m| m.0))
                        .push_bind(s.provisional_band.as_str())
                        .push_bind(s.assessment_id)
                        .push_bind(s.band.as_str())
                        .push_bind(s.band_reason.as_str())
                        .push_bind(s.clock_start_at)
                        .push_bind(s.due_at)
                        .push_bind(s.owner_org.map(|o| o.0));
                });
                q.build().execute(&mut *conn).await?;
            })
        }
        Ok(())
    }

    /// Writes many subjects' current state in one statement per chunk.
    pub async fn update_subjects(&mut self, subjects: &[SubjectRow]) -> Result<()> {
        for chunk in subjects.chunks(CHUNK / 2) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(format!("INSERT INTO subject ({SUBJECT_COLUMNS}) "));
                q.push_values(chunk, |mut b, s| {
                    b.push_bind(s.id.0)
                        .push_bind(s.created_at)
                        .push_bind(s.status.as_str())
                        .push_bind(s.merged_into.map(|m| m.0))
                        .push_bind(s.provisional_band.as_str())
                        .push_bind(s.assessment_id)
                        .push_bind(s.band.as_str())
                        .push_bind(s.band_reason.as_str())
                        .push_bind(s.clock_start_at)
                        .push_bind(s.due_at)
                        .push_bind(s.owner_org.map(|o| o.0));
                });
                q.push(sql::SUBJECT_UPSERT);
                q.build().execute(&mut *conn).await?;
            })
        }
        Ok(())
    }

    pub async fn update_subject(&mut self, s: &SubjectRow) -> Result<()> {
        on!(self, conn => {
            sqlx::query(sql::UPDATE_SUBJECT)
            .bind(s.status.as_str())
            .bind(s.merged_into.map(|m| m.0))
            .bind(s.provisional_band.as_str())
            .bind(s.assessment_id)
            .bind(s.band.as_str())
            .bind(s.band_reason.as_str())
            .bind(s.clock_start_at)
            .bind(s.due_at)
            .bind(s.id.0)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    pub async fn subjects(&mut self, ids: &[SubjectId]) -> Result<Vec<SubjectRow>> {
        let mut rows = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new(format!("SELECT {SUBJECT_COLUMNS} FROM subject WHERE id IN ("));
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(")");
                for row in q.build().fetch_all(&mut *conn).await? {
                    rows.push(decode::subject(&row)?);
                }
            })
        }
        Ok(rows)
    }

    pub async fn subject(&mut self, id: SubjectId) -> Result<Option<SubjectRow>> {
        Ok(self.subjects(&[id]).await?.into_iter().next())
    }

    /// Open subjects in the scope's force, soonest due first (overdue work first), at most `limit`.
    pub async fn queue(&mut self, limit: i64) -> Result<Vec<SubjectRow>> {
        let owner = self.scope().list_owner()?;
        on!(self, conn => {
            let rows = match owner {
                Some(org) => sqlx::query(AssertSqlSafe(format!(
                    "SELECT {SUBJECT_COLUMNS} FROM subject WHERE owner_org = $2 AND status = 'open' \
                     ORDER BY due_at, id LIMIT $1"
                )))
                .bind(limit)
                .bind(org.0),
                None => sqlx::query(AssertSqlSafe(format!(
                    "SELECT {SUBJECT_COLUMNS} FROM subject WHERE status = 'open' ORDER BY due_at, id LIMIT $1"
                )))
                .bind(limit),
            }
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(decode::subject).collect()
        })
    }

    /// Every subject id that is not merged away, in id order, after `after`, at most `limit`.
    pub async fn live_subject_ids(
        &mut self,
        after: SubjectId,
        limit: i64,
    ) -> Result<Vec<SubjectId>> {
        let owner = self.scope().list_owner()?;
        on!(self, conn => {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM subject WHERE status <> 'merged' AND id > $1 AND ($3 IS NULL OR owner_org = $3) \
                 ORDER BY id LIMIT $2",
            )
            .bind(after.0)
            .bind(limit)
            .bind(owner.map(|o| o.0))
            .fetch_all(&mut *conn)
            .await?;
            Ok(ids.into_iter().map(SubjectId).collect())
        })
    }

    /// Which of these subjects are restricted to named people: lists show such a case without its details.
    pub async fn restricted_among(
        &mut self,
        subjects: &[SubjectId],
    ) -> Result<std::collections::HashSet<SubjectId>> {
        let mut out = std::collections::HashSet::new();
        for chunk in subjects.chunks(CHUNK) {
            on!(self, conn => {
                let mut q = QueryBuilder::new("SELECT id FROM subject WHERE restricted AND id IN (");
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(")");
                for r in q.build().fetch_all(&mut *conn).await? {
                    out.insert(SubjectId(r.try_get(0)?));
                }
            })
        }
        Ok(out)
    }

    /// Moves the referrals and assessments of `from` into `into` and marks `from` merged. Identifiers that
    /// point at `from` are left: readers follow `merged_into` (see [`Tx::resolve_subjects`]).
    pub async fn merge_subject(&mut self, from: SubjectId, into: SubjectId) -> Result<()> {
        on!(self, conn => {
            for statement in sql::MERGE_SUBJECT {
                sqlx::query(statement).bind(into.0).bind(from.0).execute(&mut *conn).await?;
            }
        });
        Ok(())
    }

    /// The subject each of these subjects now is: itself, or where its merges led. Ids with no subject are
    /// left out.
    pub async fn resolve_subjects(
        &mut self,
        ids: &[SubjectId],
    ) -> Result<std::collections::HashMap<SubjectId, SubjectRow>> {
        let mut loaded: std::collections::HashMap<SubjectId, SubjectRow> =
            std::collections::HashMap::new();
        let mut pending: Vec<SubjectId> = ids.to_vec();
        // Each round loads the subjects merges point at; chains are short, the bound guards against a cycle.
        for _ in 0..64 {
            pending.retain(|id| !loaded.contains_key(id));
            pending.sort_unstable();
            pending.dedup();
            if pending.is_empty() {
                break;
            }
            let rows = self.subjects(&pending).await?;
            pending.clear();
            for row in rows {
                pending.extend(row.merged_into);
                loaded.insert(row.id, row);
            }
        }
        let mut resolved = std::collections::HashMap::new();
        for id in ids {
            let mut at = *id;
            for _ in 0..64 {
                match loaded.get(&at).and_then(|row| row.merged_into) {
                    Some(into) => at = into,
                    None => break,
                }
            }
            if let Some(row) = loaded.get(&at) {
                resolved.insert(*id, row.clone());
            }
        }
        Ok(resolved)
    }

    /// Pairs of subjects that an investigator has said are different people, among these subjects.
    pub async fn separations(
        &mut self,
        subjects: &[SubjectId],
    ) -> Result<Vec<(SubjectId, SubjectId)>> {
        let mut pairs = Vec::new();
        for chunk in subjects.chunks(CHUNK / 2) {
            on!(self, conn => {
                let mut q = QueryBuilder::new("SELECT subject_a, subject_b FROM subject_separation WHERE subject_a IN (");
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(") OR subject_b IN (");
                push_list(&mut q, chunk.iter().map(|id| id.0));
                q.push(")");
                for row in q.build().fetch_all(&mut *conn).await? {
                    pairs.push((SubjectId(row.try_get(0)?), SubjectId(row.try_get(1)?)));
                }
            })
        }
        Ok(pairs)
    }

    pub async fn add_separation(&mut self, a: SubjectId, b: SubjectId) -> Result<()> {
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        on!(self, conn => {
            sqlx::query(sql::INSERT_SEPARATION)
                .bind(a.0)
                .bind(b.0)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    pub async fn remove_separation(&mut self, a: SubjectId, b: SubjectId) -> Result<()> {
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        on!(self, conn => {
            sqlx::query("DELETE FROM subject_separation WHERE subject_a = $1 AND subject_b = $2")
                .bind(a.0)
                .bind(b.0)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    /// Re-points separations that named `from` (now merged into `into`) at `into`.
    pub async fn carry_separations(&mut self, from: SubjectId, into: SubjectId) -> Result<()> {
        let pairs = self.separations(&[from]).await?;
        for (a, b) in pairs {
            let other = if a == from { b } else { a };
            if other != into {
                self.add_separation(into, other).await?;
            }
        }
        Ok(())
    }

    pub async fn insert_decision(&mut self, d: &DecisionRow) -> Result<()> {
        on!(self, conn => {
            sqlx::query(
                "INSERT INTO subject_decision (id, kind, subject_id, other_subject_id, referrals, rationale, actor, \
                 decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(d.id)
            .bind(d.kind.as_str())
            .bind(d.subject_id.0)
            .bind(d.other_subject_id.0)
            .bind(d.referrals.as_str())
            .bind(d.rationale.as_str())
            .bind(d.actor.as_str())
            .bind(d.decided_at)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Decisions that concern these subjects, oldest first.
    pub async fn decisions_of_subject(&mut self, subject: SubjectId) -> Result<Vec<DecisionRow>> {
        on!(self, conn => {
            let rows = sqlx::query(sql::DECISIONS_OF_SUBJECT)
                .bind(subject.0)
                .fetch_all(&mut *conn)
                .await?;
            rows.iter().map(decode::decision).collect()
        })
    }

    /// Open subjects in the scope's force with band `band` (any when `None`) and, when `overdue_at` is given,
    /// due before that time: soonest due first, at most `limit`. Also how many open subjects the scope's force
    /// has in all, whatever the filters.
    pub async fn queue_matching(
        &mut self,
        band: Option<&str>,
        overdue_at: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<SubjectRow>, i64)> {
        let owner = self.scope().list_owner()?.map(|o| o.0);
        let (ids, open) = on!(self, conn => {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM subject WHERE status = 'open' AND ($1 IS NULL OR owner_org = $1) \
                 AND ($2 IS NULL OR band = $2) AND ($3 IS NULL OR due_at < $3) ORDER BY due_at, id LIMIT $4",
            )
            .bind(owner)
            .bind(band)
            .bind(overdue_at)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
            let open: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM subject WHERE status = 'open' AND ($1 IS NULL OR owner_org = $1)",
            )
            .bind(owner)
            .fetch_one(&mut *conn)
            .await?;
            (ids, open)
        });
        let ids: Vec<SubjectId> = ids.into_iter().map(SubjectId).collect();
        let mut rows = self.subjects(&ids).await?;
        rows.sort_by_key(|s| (s.due_at, s.id));
        Ok((rows, open))
    }

    /// Open subjects per owning force and band, with how many are overdue at `now`: figures only.
    pub async fn open_work_by_force(
        &mut self,
        now: i64,
    ) -> Result<Vec<(Option<OrgId>, String, i64, i64)>> {
        on!(self, conn => {
            let rows = sqlx::query(
                "SELECT owner_org, band, COUNT(*), SUM(CASE WHEN due_at < $1 THEN 1 ELSE 0 END) \
                 FROM subject WHERE status = 'open' GROUP BY owner_org, band ORDER BY owner_org, band",
            )
            .bind(now)
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(decode::open_work).collect()
        })
    }
}
