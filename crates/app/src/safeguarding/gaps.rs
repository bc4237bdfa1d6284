//! Gaps in support, the PCC's commissioning evidence: children no service took on, those no open service
//! could serve, services at capacity, contracts ending.

use crate::casework::AuditPeriod;
use crate::gate::Why;
use crate::time::{instant, london_date};
use crate::{App, Result};
use jiff::Timestamp;
use serde::Serialize;
use severn_domain::access::{Action, Actor, decide};
use severn_domain::case::safeguarding::AgeBand;
use severn_domain::ids::CaseId;
use severn_domain::support::{
    AtCapacity, ContractEnding, ServiceId, at_capacity, contracts_ending, serves,
};
use severn_store::SupportTally;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Children who had no support, grouped: where they live, their age band and the need support was offered for.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GapLine {
    pub authority: String,
    pub age_band: &'static str,
    /// What support was offered for, or "No support offered".
    pub need: String,
    pub children: usize,
    /// The cases behind the line (none for a viewer who sees figures only).
    pub cases: Vec<CaseId>,
}

/// The commissioning evidence: children identified in a period whom no service took on, by area, age band and
/// need; those whom no open service in the directory could serve at all; services at capacity; contracts
/// ending within six months.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupportGaps {
    #[schema(value_type = String, format = DateTime)]
    pub from: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub to: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub known_at: Timestamp,
    /// Children identified in the period.
    pub children: usize,
    /// Of them, taken on by a service (accepted, in progress or done).
    pub supported: usize,
    /// The rest: none offered, or every offer declined, not taken or withdrawn.
    pub not_supported: Vec<GapLine>,
    /// Of the rest, those no open service in the directory works for (their area and age).
    pub no_service_could_serve: Vec<GapLine>,
    pub at_capacity: Vec<AtCapacity>,
    pub contracts_ending: Vec<ContractEnding>,
}

/// Contracts ending within this many months are flagged.
const CONTRACT_WARNING_MONTHS: i32 = 6;

fn gap_lines(tallies: &[&SupportTally]) -> Vec<GapLine> {
    let mut lines: BTreeMap<(String, AgeBand, String), GapLine> = BTreeMap::new();
    for t in tallies {
        let need = if t.needs.is_empty() {
            "No support offered".to_owned()
        } else {
            let mut needs = t.needs.clone();
            needs.sort();
            needs.dedup();
            needs.join("; ")
        };
        let line = lines
            .entry((t.authority_name.clone(), t.age_band, need.clone()))
            .or_insert_with(|| GapLine {
                authority: t.authority_name.clone(),
                age_band: t.age_band.label(),
                need,
                children: 0,
                cases: Vec::new(),
            });
        line.children += 1;
        // The tallies come case by case, in order: a case already listed is the last one.
        if let Some(case) = t.case
            && line.cases.last() != Some(&case)
        {
            line.cases.push(case);
        }
    }
    let mut lines: Vec<GapLine> = lines.into_values().collect();
    lines.sort_by_key(|l| std::cmp::Reverse(l.children));
    lines
}

impl App {
    /// The support gaps over `[from, to)` as known at the period's instant. People who see their force's
    /// cases get their force's children with the cases behind each line; the PCC's office and the region get
    /// every force's, as figures only.
    pub async fn support_gaps(&self, actor: &Actor, period: AuditPeriod) -> Result<SupportGaps> {
        let AuditPeriod { from, to, .. } = period;
        let known_at = period.known_at(instant(self.now()));
        let action = if decide(actor, Action::ViewQueue, None).is_ok() {
            Action::ViewQueue
        } else {
            Action::ViewAggregates
        };
        let tx = self.db().begin_read().await?;
        let why = Why {
            detail: Some(format!(
                "support gaps {from} to {to} as known at {known_at}"
            )),
            ..Why::default()
        };
        let mut tx = self
            .authorise(tx, actor, action, "audit:support_gaps", why)
            .await?;
        let (tallies, places) = tx
            .support_tallies(from.as_second(), to.as_second(), known_at.as_second())
            .await?;
        tx.commit().await?;
        let services = self.support_services(None, None, None, None).await?;
        let in_use: BTreeMap<ServiceId, u32> = places
            .into_iter()
            .map(|(service, n)| (ServiceId(service), n))
            .collect();
        let unsupported: Vec<&SupportTally> = tallies.iter().filter(|t| !t.accepted).collect();
        let unserved: Vec<&SupportTally> = unsupported
            .iter()
            .copied()
            .filter(|t| !services.iter().any(|s| serves(s, &t.authority, t.age, "")))
            .collect();
        Ok(SupportGaps {
            from,
            to,
            known_at,
            children: tallies.len(),
            supported: tallies.len() - unsupported.len(),
            not_supported: gap_lines(&unsupported),
            no_service_could_serve: gap_lines(&unserved),
            at_capacity: at_capacity(&services, &in_use),
            contracts_ending: contracts_ending(
                &services,
                london_date(known_at),
                CONTRACT_WARNING_MONTHS,
            ),
        })
    }
}
