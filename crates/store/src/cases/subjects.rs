//! Subjects (the suspects linking found) and the queue, merges and separations, and investigators' decisions.

use super::*;

/// Personal data: only the gate's handle reaches it.
impl Scoped {
    pub async fn insert_subjects(&mut self, subjects: &[SubjectRow]) -> Result<()> {
        for chunk in subjects.chunks(CHUNK) {
            let mut q = Built::new(format!("INSERT INTO subject ({SUBJECT_COLUMNS}) "));
            q.values(chunk, binds::subject);
            self.conn().execute_built(&q).await?;
        }
        Ok(())
    }

    /// Writes many subjects' current state in one statement per chunk.
    pub async fn update_subjects(&mut self, subjects: &[SubjectRow]) -> Result<()> {
        for chunk in subjects.chunks(CHUNK / 2) {
            let mut q = Built::new(format!("INSERT INTO subject ({SUBJECT_COLUMNS}) "));
            q.values(chunk, binds::subject).push(sql::SUBJECT_UPSERT);
            self.conn().execute_built(&q).await?;
        }
        Ok(())
    }

    pub async fn update_subject(&mut self, s: &SubjectRow) -> Result<()> {
        self.conn()
            .execute(sql::UPDATE_SUBJECT, &binds::subject_update(s))
            .await?;
        Ok(())
    }

    pub async fn subjects(&mut self, ids: &[SubjectId]) -> Result<Vec<SubjectRow>> {
        let mut rows = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let mut q = Built::new(format!(
                "SELECT {SUBJECT_COLUMNS} FROM subject WHERE id IN ("
            ));
            q.list(chunk.iter().copied()).push(")");
            rows.extend(self.conn().all_built(&q, decode::subject).await?);
        }
        Ok(rows)
    }

    pub async fn subject(&mut self, id: SubjectId) -> Result<Option<SubjectRow>> {
        Ok(self.subjects(&[id]).await?.into_iter().next())
    }

    /// Open subjects in the scope's force, soonest due first (overdue work first), at most `limit`.
    pub async fn queue(&mut self, limit: i64) -> Result<Vec<SubjectRow>> {
        let owner = self.scope().list_owner()?;
        self.conn()
            .all(sql::QUEUE, &args![limit, owner], decode::subject)
            .await
    }

    /// Every subject id that is not merged away, in id order, after `after`, at most `limit`.
    pub async fn live_subject_ids(
        &mut self,
        after: SubjectId,
        limit: i64,
    ) -> Result<Vec<SubjectId>> {
        let owner = self.scope().list_owner()?;
        self.conn()
            .all(
                "SELECT id FROM subject WHERE status <> 'merged' AND id > $1 AND ($3 IS NULL OR owner_org = $3) \
                 ORDER BY id LIMIT $2",
                &args![after, limit, owner],
                |r| Ok(SubjectId(r.i64(0)?)),
            )
            .await
    }

    /// Which of these subjects are restricted to named people: lists show such a case without its details.
    pub async fn restricted_among(
        &mut self,
        subjects: &[SubjectId],
    ) -> Result<std::collections::HashSet<SubjectId>> {
        let mut out = std::collections::HashSet::new();
        for chunk in subjects.chunks(CHUNK) {
            let mut q = Built::new("SELECT id FROM subject WHERE restricted AND id IN (");
            q.list(chunk.iter().copied()).push(")");
            out.extend(
                self.conn()
                    .all_built(&q, |r| Ok(SubjectId(r.i64(0)?)))
                    .await?,
            );
        }
        Ok(out)
    }

    /// Moves the referrals and assessments of `from` into `into` and marks `from` merged. Identifiers that
    /// point at `from` are left: readers follow `merged_into` (see [`Tx::resolve_subjects`]).
    pub async fn merge_subject(&mut self, from: SubjectId, into: SubjectId) -> Result<()> {
        let mut conn = self.conn();
        for statement in sql::MERGE_SUBJECT {
            conn.execute(statement, &args![into, from]).await?;
        }
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
            let mut q = Built::new(
                "SELECT subject_a, subject_b FROM subject_separation WHERE subject_a IN (",
            );
            q.list(chunk.iter().copied())
                .push(") OR subject_b IN (")
                .list(chunk.iter().copied())
                .push(")");
            pairs.extend(
                self.conn()
                    .all_built(&q, |r| Ok((SubjectId(r.i64(0)?), SubjectId(r.i64(1)?))))
                    .await?,
            );
        }
        Ok(pairs)
    }

    pub async fn add_separation(&mut self, a: SubjectId, b: SubjectId) -> Result<()> {
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        self.conn()
            .execute(sql::INSERT_SEPARATION, &args![a, b])
            .await?;
        Ok(())
    }

    pub async fn remove_separation(&mut self, a: SubjectId, b: SubjectId) -> Result<()> {
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        self.conn()
            .execute(
                "DELETE FROM subject_separation WHERE subject_a = $1 AND subject_b = $2",
                &args![a, b],
            )
            .await?;
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
        self.conn()
            .execute(
                "INSERT INTO subject_decision (id, kind, subject_id, other_subject_id, referrals, rationale, actor, \
                 decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &args![
                    d.id,
                    d.kind.as_str(),
                    d.subject_id,
                    d.other_subject_id,
                    &d.referrals,
                    &d.rationale,
                    &d.actor,
                    d.decided_at
                ],
            )
            .await?;
        Ok(())
    }

    /// Decisions that concern these subjects, oldest first.
    pub async fn decisions_of_subject(&mut self, subject: SubjectId) -> Result<Vec<DecisionRow>> {
        self.conn()
            .all(sql::DECISIONS_OF_SUBJECT, &args![subject], decode::decision)
            .await
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
        let owner = self.scope().list_owner()?;
        let mut conn = self.conn();
        let ids = conn
            .all(
                "SELECT id FROM subject WHERE status = 'open' AND ($1 IS NULL OR owner_org = $1) \
                 AND ($2 IS NULL OR band = $2) AND ($3 IS NULL OR due_at < $3) ORDER BY due_at, id LIMIT $4",
                &args![owner, band, overdue_at, limit],
                |r| r.i64(0),
            )
            .await?;
        let open = conn
            .one(
                "SELECT COUNT(*) FROM subject WHERE status = 'open' AND ($1 IS NULL OR owner_org = $1)",
                &args![owner],
                |r| r.i64(0),
            )
            .await?;
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
        self.conn()
            .all(
                "SELECT owner_org, band, COUNT(*), SUM(CASE WHEN due_at < $1 THEN 1 ELSE 0 END) \
                 FROM subject WHERE status = 'open' GROUP BY owner_org, band ORDER BY owner_org, band",
                &args![now],
                decode::open_work,
            )
            .await
    }
}
