//! The queue with its filters applied by the database, over all of a force's open work: a band, and overdue
//! only. (Filtering a first page of the queue afterwards would miss matching work further down.)

use crate::gate::Why;
use crate::views::QueueEntry;
use crate::{App, Result};
use severn_domain::access::{Action, Actor};
use severn_domain::ids::SubjectId;
use severn_domain::risk::Band;
use std::collections::HashMap;

/// Which open work to show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueFilter {
    /// Only subjects in this band; every band when `None`.
    pub band: Option<Band>,
    /// Only subjects past their deadline.
    pub overdue_only: bool,
}

/// The open work that matches a filter, and how much open work there is in all.
#[derive(Debug, Clone)]
pub struct Worklist {
    /// Matching subjects, overdue first then by time left, at most the limit asked for.
    pub entries: Vec<QueueEntry>,
    /// Open subjects in the person's force, whatever the filter.
    pub open: i64,
}

impl App {
    /// Open work matching `filter`, by due time, at most `limit`: a view of the queue, logged as one.
    pub async fn queue_matching(
        &self,
        actor: &Actor,
        filter: QueueFilter,
        limit: i64,
    ) -> Result<Worklist> {
        let tx = self.db().begin().await?;
        let mut given = Vec::new();
        if let Some(band) = filter.band {
            given.push(format!("band {}", band.as_str()));
        }
        if filter.overdue_only {
            given.push("overdue only".to_owned());
        }
        let why = Why {
            detail: (!given.is_empty()).then(|| given.join(", ")),
            ..Why::default()
        };
        let mut tx = self
            .authorise(tx, actor, Action::ViewQueue, "queue", why)
            .await?;
        let (rows, open) = tx
            .queue_matching(
                filter.band.map(Band::as_str),
                filter.overdue_only.then(|| self.now()),
                limit,
            )
            .await?;
        let ids: Vec<SubjectId> = rows.iter().map(|s| s.id).collect();
        let counts: HashMap<SubjectId, i64> = tx.referral_counts(&ids).await?.into_iter().collect();
        let restricted = tx.restricted_among(&ids).await?;
        tx.commit().await?;
        Ok(Worklist {
            entries: self.queue_entries(rows, &counts, &restricted),
            open,
        })
    }
}
