//! The time each stage of a case took.

use super::{Event, EventKind};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One stage of a case, from one event to the next, and how long it took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Stage {
    /// What the stage is ("received_to_assessed").
    pub stage: &'static str,
    pub label: &'static str,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub from: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub to: Option<Timestamp>,
    /// Seconds from `from` to `to`, when both happened.
    pub seconds: Option<i64>,
}

/// Where a stage starts or ends.
#[derive(Clone, Copy)]
enum Mark {
    Received,
    First(&'static [EventKind]),
}

/// The stages the force and the inspectorate measure, each from the first event of its start to the first of
/// its end.
const STAGES: [(&str, &str, Mark, Mark); 9] = [
    (
        "received_to_assessed",
        "Received → risk assessed",
        Mark::Received,
        Mark::First(&[EventKind::RiskAssessed]),
    ),
    (
        "assessed_to_allocated",
        "Risk assessed → allocated",
        Mark::First(&[EventKind::RiskAssessed]),
        Mark::First(&[EventKind::Allocated]),
    ),
    (
        "allocated_to_warrant_applied",
        "Allocated → warrant applied for",
        Mark::First(&[EventKind::Allocated]),
        Mark::First(&[EventKind::WarrantApplied]),
    ),
    (
        "warrant_applied_to_granted",
        "Warrant applied for → granted",
        Mark::First(&[EventKind::WarrantApplied]),
        Mark::First(&[EventKind::WarrantGranted]),
    ),
    (
        "warrant_granted_to_executed",
        "Warrant granted → executed",
        Mark::First(&[EventKind::WarrantGranted]),
        Mark::First(&[EventKind::WarrantExecuted]),
    ),
    (
        "received_to_enforcement",
        "Received → first enforcement action",
        Mark::Received,
        Mark::First(&[
            EventKind::WarrantExecuted,
            EventKind::Arrest,
            EventKind::VoluntaryAttendance,
        ]),
    ),
    (
        "seizure_to_examination",
        "Devices seized → examined",
        Mark::First(&[EventKind::DevicesSeized]),
        Mark::First(&[EventKind::DevicesExamined]),
    ),
    (
        "arrest_to_charging",
        "Arrest or attendance → charging decision",
        Mark::First(&[EventKind::Arrest, EventKind::VoluntaryAttendance]),
        Mark::First(&[EventKind::ChargingDecision]),
    ),
    (
        "charging_to_outcome",
        "Charging decision → outcome",
        Mark::First(&[EventKind::ChargingDecision]),
        Mark::First(&[EventKind::Outcome]),
    ),
];

/// The time each stage took on a case, from the events in force.
pub fn stages(events: &[&Event], received: Timestamp) -> Vec<Stage> {
    let at = |mark: Mark| match mark {
        Mark::Received => Some(received),
        Mark::First(kinds) => events
            .iter()
            .filter(|e| kinds.contains(&e.kind()))
            .map(|e| e.occurred_at)
            .min(),
    };
    STAGES
        .iter()
        .map(|&(stage, label, from, to)| {
            let (from, to) = (at(from), at(to));
            Stage {
                stage,
                label,
                from,
                to,
                seconds: from
                    .zip(to)
                    .map(|(from, to)| from.duration_until(to).as_secs()),
            }
        })
        .collect()
}
