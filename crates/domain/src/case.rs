//! A case from opening to outcome: the facts on its timeline, the rules on their order, its clock and the time
//! each stage took.
//!
//! A case's history is an append-only list of events. Each says what happened ([`Fact`]), when it happened and
//! when it was recorded; nothing is overwritten. A mistake is put right by a later event that supersedes the
//! earlier one, with a rationale, so the history shows both what was believed and when it was corrected. What
//! the case is now (its clock, its warrants, its outcome) is worked out from the events in force
//! ([`Timeline::in_force`]), which is how the force's figures can be reproduced for any past date.

use crate::ids::{EventId, StaffId};
use crate::risk::{Band, Timescales};
use crate::sla::StopEvent;
use crate::text::{FreeText, TextError};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// An entry made more than this long after the event it records is a late entry and must say why.
pub const LATE_AFTER: SignedDuration = SignedDuration::from_hours(24);

/// How far ahead of the recording clock an event may be dated: clocks on people's devices drift.
const CLOCK_SKEW: SignedDuration = SignedDuration::from_mins(5);

/// The decision on charge after an arrest, an attendance or an interview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChargeDecision {
    Charged,
    Cautioned,
    CommunityResolution,
    NoFurtherAction,
}

impl ChargeDecision {
    pub const ALL: [ChargeDecision; 4] = [
        ChargeDecision::Charged,
        ChargeDecision::Cautioned,
        ChargeDecision::CommunityResolution,
        ChargeDecision::NoFurtherAction,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChargeDecision::Charged => "charged",
            ChargeDecision::Cautioned => "cautioned",
            ChargeDecision::CommunityResolution => "community_resolution",
            ChargeDecision::NoFurtherAction => "no_further_action",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ChargeDecision::Charged => "Charged or summonsed",
            ChargeDecision::Cautioned => "Cautioned",
            ChargeDecision::CommunityResolution => "Community resolution",
            ChargeDecision::NoFurtherAction => "No further action",
        }
    }

    pub fn parse(value: &str) -> Option<ChargeDecision> {
        Self::ALL.into_iter().find(|d| d.as_str() == value.trim())
    }
}

/// The Home Office crime outcome types (the numbers forces report to the Home Office).
pub const HOME_OFFICE_OUTCOMES: [(u8, &str); 21] = [
    (1, "Charged or summonsed"),
    (2, "Youth caution"),
    (3, "Adult caution"),
    (4, "Taken into consideration"),
    (5, "Offender died"),
    (6, "Penalty notice for disorder"),
    (7, "Cannabis or khat warning"),
    (8, "Community resolution"),
    (9, "Prosecution not in the public interest (CPS)"),
    (10, "Formal action not in the public interest (police)"),
    (
        11,
        "Prosecution prevented: suspect under the age of criminal responsibility",
    ),
    (12, "Prosecution prevented: suspect too ill"),
    (
        13,
        "Prosecution prevented: victim or key witness dead or too ill",
    ),
    (
        14,
        "Evidential difficulties: victim declines or is unable to support action",
    ),
    (
        15,
        "Evidential difficulties: suspect identified, victim supports action",
    ),
    (
        16,
        "Evidential difficulties: suspect identified, victim does not support action",
    ),
    (17, "Prosecution time limit expired"),
    (18, "Investigation complete: no suspect identified"),
    (20, "Action undertaken by another body or agency"),
    (
        21,
        "Further investigation not in the public interest (police)",
    ),
    (22, "Diversionary, educational or intervention activity"),
];

/// The label of a Home Office outcome type, if `code` is one.
pub fn home_office_outcome(code: u8) -> Option<&'static str> {
    HOME_OFFICE_OUTCOMES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, label)| *label)
}

/// How images were graded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GradingMethod {
    /// Matched against the Child Abuse Image Database.
    Caid,
    Manual,
}

/// The UK sentencing categories of indecent images.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
pub enum ImageCategory {
    A,
    B,
    C,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ImageActivity {
    Possession,
    Distribution,
    Production,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ImageMedium {
    Still,
    Moving,
}

/// One cell of an image grading: how many files of a category, activity and medium. Counts only: Severn
/// never holds the images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GradingCount {
    pub category: ImageCategory,
    pub activity: ImageActivity,
    pub medium: ImageMedium,
    pub count: u32,
}

/// What happened on a case. The serialised form (tagged by `kind`) is what the timeline stores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fact {
    ResearchStarted,
    CommsDataRequested {
        what: String,
    },
    CommsDataReturned {
        what: String,
    },
    RiskAssessed {
        band: Band,
    },
    Allocated {
        officer: StaffId,
        supervisor: Option<StaffId>,
        /// The allocation policy in force, as `id@version`.
        policy: String,
        /// Whether the officer held every skill the policy required, in date.
        met_policy: bool,
        /// The required skills the officer lacked (empty when the policy was met).
        missing: Vec<String>,
        /// The supervisor's reason for allocating against the policy.
        override_rationale: Option<String>,
    },
    WarrantApplied {
        /// The warrant's number within the case (1, 2 ...), which its later events name.
        warrant: u32,
        /// A warrant type's code (`pace_s8`, `pca1978_s4` ...), from the force's list.
        warrant_type: String,
        court: String,
        remote: bool,
    },
    WarrantGranted {
        warrant: u32,
    },
    WarrantRefused {
        warrant: u32,
        reason: String,
    },
    WarrantExecuted {
        warrant: u32,
    },
    Arrest,
    VoluntaryAttendance,
    Interview,
    Bail {
        conditions: String,
        #[schema(value_type = String, format = Date)]
        until: jiff::civil::Date,
    },
    ReleasedUnderInvestigation,
    DevicesSeized {
        count: u32,
        description: String,
    },
    DevicesTriaged {
        count: u32,
    },
    DevicesSubmitted {
        count: u32,
    },
    DevicesExamined {
        count: u32,
    },
    ImagesGraded {
        method: GradingMethod,
        counts: Vec<GradingCount>,
    },
    ChargingDecision {
        decision: ChargeDecision,
    },
    Outcome {
        /// A Home Office outcome type ([`HOME_OFFICE_OUTCOMES`]).
        code: u8,
    },
    ReturnedToNca {
        reason: String,
    },
    NcaAcknowledged,
    ClockPaused {
        reason: String,
    },
    ClockResumed,
    Rebanded {
        band: Band,
    },
    Note {
        text: String,
    },
    Closed {
        reason: String,
    },
    /// The event it supersedes was entered in error and is withdrawn.
    Withdrawn,
}

/// The kinds of [`Fact`], as stored beside each event (so figures can be counted without reading the facts).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    ResearchStarted,
    CommsDataRequested,
    CommsDataReturned,
    RiskAssessed,
    Allocated,
    WarrantApplied,
    WarrantGranted,
    WarrantRefused,
    WarrantExecuted,
    Arrest,
    VoluntaryAttendance,
    Interview,
    Bail,
    ReleasedUnderInvestigation,
    DevicesSeized,
    DevicesTriaged,
    DevicesSubmitted,
    DevicesExamined,
    ImagesGraded,
    ChargingDecision,
    Outcome,
    ReturnedToNca,
    NcaAcknowledged,
    ClockPaused,
    ClockResumed,
    Rebanded,
    Note,
    Closed,
    Withdrawn,
}

impl EventKind {
    pub const ALL: [EventKind; 29] = [
        EventKind::ResearchStarted,
        EventKind::CommsDataRequested,
        EventKind::CommsDataReturned,
        EventKind::RiskAssessed,
        EventKind::Allocated,
        EventKind::WarrantApplied,
        EventKind::WarrantGranted,
        EventKind::WarrantRefused,
        EventKind::WarrantExecuted,
        EventKind::Arrest,
        EventKind::VoluntaryAttendance,
        EventKind::Interview,
        EventKind::Bail,
        EventKind::ReleasedUnderInvestigation,
        EventKind::DevicesSeized,
        EventKind::DevicesTriaged,
        EventKind::DevicesSubmitted,
        EventKind::DevicesExamined,
        EventKind::ImagesGraded,
        EventKind::ChargingDecision,
        EventKind::Outcome,
        EventKind::ReturnedToNca,
        EventKind::NcaAcknowledged,
        EventKind::ClockPaused,
        EventKind::ClockResumed,
        EventKind::Rebanded,
        EventKind::Note,
        EventKind::Closed,
        EventKind::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ResearchStarted => "research_started",
            EventKind::CommsDataRequested => "comms_data_requested",
            EventKind::CommsDataReturned => "comms_data_returned",
            EventKind::RiskAssessed => "risk_assessed",
            EventKind::Allocated => "allocated",
            EventKind::WarrantApplied => "warrant_applied",
            EventKind::WarrantGranted => "warrant_granted",
            EventKind::WarrantRefused => "warrant_refused",
            EventKind::WarrantExecuted => "warrant_executed",
            EventKind::Arrest => "arrest",
            EventKind::VoluntaryAttendance => "voluntary_attendance",
            EventKind::Interview => "interview",
            EventKind::Bail => "bail",
            EventKind::ReleasedUnderInvestigation => "released_under_investigation",
            EventKind::DevicesSeized => "devices_seized",
            EventKind::DevicesTriaged => "devices_triaged",
            EventKind::DevicesSubmitted => "devices_submitted",
            EventKind::DevicesExamined => "devices_examined",
            EventKind::ImagesGraded => "images_graded",
            EventKind::ChargingDecision => "charging_decision",
            EventKind::Outcome => "outcome",
            EventKind::ReturnedToNca => "returned_to_nca",
            EventKind::NcaAcknowledged => "nca_acknowledged",
            EventKind::ClockPaused => "clock_paused",
            EventKind::ClockResumed => "clock_resumed",
            EventKind::Rebanded => "rebanded",
            EventKind::Note => "note",
            EventKind::Closed => "closed",
            EventKind::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(value: &str) -> Option<EventKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == value.trim())
    }

    /// The words pages use.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::ResearchStarted => "Research started",
            EventKind::CommsDataRequested => "Communications data requested",
            EventKind::CommsDataReturned => "Communications data returned",
            EventKind::RiskAssessed => "Risk assessed",
            EventKind::Allocated => "Allocated",
            EventKind::WarrantApplied => "Warrant applied for",
            EventKind::WarrantGranted => "Warrant granted",
            EventKind::WarrantRefused => "Warrant refused",
            EventKind::WarrantExecuted => "Warrant executed",
            EventKind::Arrest => "Arrest",
            EventKind::VoluntaryAttendance => "Voluntary attendance",
            EventKind::Interview => "Interview",
            EventKind::Bail => "Bail",
            EventKind::ReleasedUnderInvestigation => "Released under investigation",
            EventKind::DevicesSeized => "Devices seized",
            EventKind::DevicesTriaged => "Devices triaged",
            EventKind::DevicesSubmitted => "Devices submitted for examination",
            EventKind::DevicesExamined => "Devices examined",
            EventKind::ImagesGraded => "Images graded",
            EventKind::ChargingDecision => "Charging decision",
            EventKind::Outcome => "Outcome",
            EventKind::ReturnedToNca => "Returned to the NCA",
            EventKind::NcaAcknowledged => "NCA acknowledged the return",
            EventKind::ClockPaused => "Clock paused",
            EventKind::ClockResumed => "Clock resumed",
            EventKind::Rebanded => "Band changed",
            EventKind::Note => "Note",
            EventKind::Closed => "Closed",
            EventKind::Withdrawn => "Entry withdrawn",
        }
    }

    /// The kinds that are enforcement action: what the clock is for.
    fn stop_event(self) -> Option<StopEvent> {
        match self {
            EventKind::WarrantExecuted => Some(StopEvent::WarrantExecuted),
            EventKind::Arrest => Some(StopEvent::Arrest),
            EventKind::VoluntaryAttendance => Some(StopEvent::VoluntaryAttendance),
            _ => None,
        }
    }
}

impl Fact {
    pub fn kind(&self) -> EventKind {
        match self {
            Fact::ResearchStarted => EventKind::ResearchStarted,
            Fact::CommsDataRequested { .. } => EventKind::CommsDataRequested,
            Fact::CommsDataReturned { .. } => EventKind::CommsDataReturned,
            Fact::RiskAssessed { .. } => EventKind::RiskAssessed,
            Fact::Allocated { .. } => EventKind::Allocated,
            Fact::WarrantApplied { .. } => EventKind::WarrantApplied,
            Fact::WarrantGranted { .. } => EventKind::WarrantGranted,
            Fact::WarrantRefused { .. } => EventKind::WarrantRefused,
            Fact::WarrantExecuted { .. } => EventKind::WarrantExecuted,
            Fact::Arrest => EventKind::Arrest,
            Fact::VoluntaryAttendance => EventKind::VoluntaryAttendance,
            Fact::Interview => EventKind::Interview,
            Fact::Bail { .. } => EventKind::Bail,
            Fact::ReleasedUnderInvestigation => EventKind::ReleasedUnderInvestigation,
            Fact::DevicesSeized { .. } => EventKind::DevicesSeized,
            Fact::DevicesTriaged { .. } => EventKind::DevicesTriaged,
            Fact::DevicesSubmitted { .. } => EventKind::DevicesSubmitted,
            Fact::DevicesExamined { .. } => EventKind::DevicesExamined,
            Fact::ImagesGraded { .. } => EventKind::ImagesGraded,
            Fact::ChargingDecision { .. } => EventKind::ChargingDecision,
            Fact::Outcome { .. } => EventKind::Outcome,
            Fact::ReturnedToNca { .. } => EventKind::ReturnedToNca,
            Fact::NcaAcknowledged => EventKind::NcaAcknowledged,
            Fact::ClockPaused { .. } => EventKind::ClockPaused,
            Fact::ClockResumed => EventKind::ClockResumed,
            Fact::Rebanded { .. } => EventKind::Rebanded,
            Fact::Note { .. } => EventKind::Note,
            Fact::Closed { .. } => EventKind::Closed,
            Fact::Withdrawn => EventKind::Withdrawn,
        }
    }

    /// The warrant a warrant event is about.
    pub fn warrant(&self) -> Option<u32> {
        match self {
            Fact::WarrantApplied { warrant, .. }
            | Fact::WarrantGranted { warrant }
            | Fact::WarrantRefused { warrant, .. }
            | Fact::WarrantExecuted { warrant } => Some(*warrant),
            _ => None,
        }
    }

    /// Checks the free text and codes a fact holds.
    fn check_fields(&self) -> Result<(), Refusal> {
        let text = |kind: FreeText, value: &str| kind.check(value).map_err(Refusal::Text);
        let required = |field: &'static str, value: &str| {
            if value.trim().is_empty() {
                Err(Refusal::Missing(field))
            } else {
                Ok(())
            }
        };
        match self {
            Fact::CommsDataRequested { what } | Fact::CommsDataReturned { what } => {
                required("what was asked for", what)?;
                text(FreeText::Description, what)
            }
            Fact::WarrantApplied {
                warrant_type,
                court,
                ..
            } => {
                required("warrant type", warrant_type)?;
                required("court", court)?;
                text(FreeText::Court, court)
            }
            Fact::WarrantRefused { reason, .. }
            | Fact::ReturnedToNca { reason }
            | Fact::ClockPaused { reason }
            | Fact::Closed { reason } => {
                required("reason", reason)?;
                text(FreeText::Reason, reason)
            }
            Fact::Bail { conditions, .. } => text(FreeText::BailConditions, conditions),
            Fact::DevicesSeized { description, .. } => text(FreeText::Description, description),
            Fact::Note { text: note } => {
                required("note", note)?;
                text(FreeText::Note, note)
            }
            Fact::Outcome { code } if home_office_outcome(*code).is_none() => {
                Err(Refusal::UnknownOutcome(*code))
            }
            Fact::ImagesGraded { counts, .. } if counts.is_empty() => {
                Err(Refusal::Missing("image counts"))
            }
            Fact::Allocated {
                met_policy: false,
                override_rationale,
                ..
            } => {
                let rationale = override_rationale.as_deref().unwrap_or("");
                required("override rationale", rationale)?;
                text(FreeText::Rationale, rationale)
            }
            _ => Ok(()),
        }
    }
}

/// An event on a case's timeline, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: EventId,
    pub fact: Fact,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// When Severn was told.
    pub recorded_at: Timestamp,
    /// Who told it (the audit log's name for them).
    pub recorded_by: String,
    /// The earlier event this one corrects or withdraws.
    pub supersedes: Option<EventId>,
    /// Why a late entry or a correction was made.
    pub rationale: Option<String>,
    /// Whether it was an ordinary entry, a late one or a correction.
    pub entry: Entry,
}

impl Event {
    pub fn kind(&self) -> EventKind {
        self.fact.kind()
    }
}

/// An event someone asks to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub fact: Fact,
    pub occurred_at: Timestamp,
    /// The earlier event this one corrects or withdraws (which makes it a correction).
    pub supersedes: Option<EventId>,
    pub rationale: Option<String>,
    /// Entered as a correction: the order rules do not apply, and a rationale is required. An event that
    /// supersedes another is always a correction.
    pub correction: bool,
}

/// Why an event was refused. Times are given to [`Refusal::message`] to be shown in the reader's zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Text(TextError),
    Missing(&'static str),
    UnknownOutcome(u8),
    InFuture(Timestamp),
    /// A late entry or a correction without a rationale.
    NeedsRationale {
        correction: bool,
    },
    BeforeReferral {
        kind: EventKind,
        at: Timestamp,
        received: Timestamp,
    },
    /// `kind` needs `needs` to have happened first (on or before `at`).
    Needs {
        kind: EventKind,
        at: Timestamp,
        needs: &'static str,
    },
    /// Something has already happened that rules this out.
    Already {
        kind: EventKind,
        what: &'static str,
    },
    Closed,
    /// Closing would leave this work undone, and no rationale says why that is right.
    OpenWork(Vec<&'static str>),
    /// The event to correct is not on this case or has been corrected already.
    NotCorrectable(EventId),
    /// A correction must record the same kind of fact as the event it corrects, or withdraw it.
    CorrectionKind {
        corrects: EventKind,
        given: EventKind,
    },
}

impl Refusal {
    /// The message people read, naming the conflict; `time` formats a time for them.
    pub fn message(&self, time: &dyn Fn(Timestamp) -> String) -> String {
        match self {
            Refusal::Text(error) => error.to_string(),
            Refusal::Missing(field) => format!("The {field} is required."),
            Refusal::UnknownOutcome(code) => {
                format!("{code} is not a Home Office outcome type (1 to 22, without 19).")
            }
            Refusal::InFuture(at) => format!(
                "{} is in the future: record what has happened, when it happened.",
                time(*at)
            ),
            Refusal::NeedsRationale { correction: true } => {
                "A correction must say why: what was wrong, or why the order of events is right as it is."
                    .to_owned()
            }
            Refusal::NeedsRationale { correction: false } => format!(
                "This is a late entry (it happened more than {} hours ago): say why it is recorded late.",
                LATE_AFTER.as_hours()
            ),
            Refusal::BeforeReferral { kind, at, received } => format!(
                "{} at {} would be before the first referral arrived ({}). If the dates are right, enter it as a \
                 correction with a rationale.",
                kind.label(),
                time(*at),
                time(*received)
            ),
            Refusal::Needs { kind, at, needs } => format!(
                "{} at {} needs {} recorded first, at or before that time. If it is right as it is, enter it as a \
                 correction with a rationale.",
                kind.label(),
                time(*at),
                needs
            ),
            Refusal::Already { kind, what } => format!("{} is not possible: {what}.", kind.label()),
            Refusal::Closed => {
                "The case is closed: to reopen it, withdraw the closing entry with a rationale.".to_owned()
            }
            Refusal::OpenWork(work) => format!(
                "Closing would leave open work: {}. Finish it, or give a rationale for closing anyway.",
                work.join("; ")
            ),
            Refusal::NotCorrectable(id) => format!(
                "Entry {id} is not on this case's timeline, or it has been corrected or withdrawn already."
            ),
            Refusal::CorrectionKind { corrects, given } => format!(
                "A correction of \"{}\" must record \"{}\" again or withdraw it, not \"{}\".",
                corrects.label(),
                corrects.label(),
                given.label()
            ),
        }
    }
}

/// What a new event is, once accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    Ordinary,
    /// Recorded more than [`LATE_AFTER`] after it happened, with a rationale.
    Late,
    /// Corrects or withdraws an earlier event, or records one the order rules would refuse, with a
    /// rationale; the order rules do not apply to it.
    Correction,
}

impl Entry {
    pub fn as_str(self) -> &'static str {
        match self {
            Entry::Ordinary => "ordinary",
            Entry::Late => "late",
            Entry::Correction => "correction",
        }
    }

    pub fn parse(value: &str) -> Option<Entry> {
        [Entry::Ordinary, Entry::Late, Entry::Correction]
            .into_iter()
            .find(|e| e.as_str() == value)
    }
}

/// A case's events, in the order they were recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeline {
    events: Vec<Event>,
}

impl Timeline {
    pub fn new(mut events: Vec<Event>) -> Timeline {
        events.sort_by_key(|e| (e.recorded_at, e.id));
        Timeline { events }
    }

    /// Every event ever recorded, corrections and withdrawn ones included.
    pub fn all(&self) -> &[Event] {
        &self.events
    }

    /// The events in force at the end of the timeline: without those superseded and without withdrawals,
    /// ordered by when they happened.
    pub fn in_force(&self) -> Vec<&Event> {
        self.in_force_as_known_at(Timestamp::MAX)
    }

    /// The events in force as the timeline stood at `known_at`: those recorded by then and not superseded by
    /// then. This is what a figure for a past date is computed from.
    pub fn in_force_as_known_at(&self, known_at: Timestamp) -> Vec<&Event> {
        let known: Vec<&Event> = self
            .events
            .iter()
            .filter(|e| e.recorded_at <= known_at)
            .collect();
        let superseded: BTreeSet<EventId> = known.iter().filter_map(|e| e.supersedes).collect();
        let mut events: Vec<&Event> = known
            .into_iter()
            .filter(|e| !superseded.contains(&e.id) && e.kind() != EventKind::Withdrawn)
            .collect();
        events.sort_by_key(|e| (e.occurred_at, e.id));
        events
    }

    /// Checks `new` against the timeline: its fields, its time, and (unless it is a correction) the order of
    /// events. `received` is when the case's first referral arrived.
    pub fn check(
        &self,
        new: &NewEvent,
        received: Timestamp,
        now: Timestamp,
    ) -> Result<Entry, Refusal> {
        new.fact.check_fields()?;
        if let Some(rationale) = &new.rationale {
            FreeText::Rationale
                .check(rationale)
                .map_err(Refusal::Text)?;
        }
        let has_rationale = new
            .rationale
            .as_deref()
            .is_some_and(|r| !r.trim().is_empty());
        if new.occurred_at > now.saturating_add(CLOCK_SKEW).unwrap_or(Timestamp::MAX) {
            return Err(Refusal::InFuture(new.occurred_at));
        }
        if let Some(corrected) = new.supersedes {
            let in_force = self.in_force();
            let Some(earlier) = in_force.iter().find(|e| e.id == corrected) else {
                return Err(Refusal::NotCorrectable(corrected));
            };
            let given = new.fact.kind();
            if given != EventKind::Withdrawn && given != earlier.kind() {
                return Err(Refusal::CorrectionKind {
                    corrects: earlier.kind(),
                    given,
                });
            }
        }
        if new.supersedes.is_some() || new.correction {
            if new.supersedes.is_none() && new.fact.kind() == EventKind::Withdrawn {
                return Err(Refusal::Missing("entry to withdraw"));
            }
            if !has_rationale {
                return Err(Refusal::NeedsRationale { correction: true });
            }
            return Ok(Entry::Correction);
        }
        if new.fact.kind() == EventKind::Withdrawn {
            return Err(Refusal::Missing("entry to withdraw"));
        }
        let late = new.occurred_at.duration_until(now) > LATE_AFTER;
        if late && !has_rationale {
            return Err(Refusal::NeedsRationale { correction: false });
        }
        self.check_order(new, received)?;
        if let Fact::Rebanded { .. } = new.fact
            && !has_rationale
        {
            return Err(Refusal::Missing("rationale for the change of band"));
        }
        if let Fact::Closed { .. } = new.fact {
            let open = self.open_work();
            if !open.is_empty() && !has_rationale {
                return Err(Refusal::OpenWork(open));
            }
        }
        Ok(if late { Entry::Late } else { Entry::Ordinary })
    }

    fn check_order(&self, new: &NewEvent, received: Timestamp) -> Result<(), Refusal> {
        let kind = new.fact.kind();
        let at = new.occurred_at;
        let events = self.in_force();
        let state = State::of(&events);
        if state.closed && kind != EventKind::Note {
            return Err(Refusal::Closed);
        }
        if kind != EventKind::Note && at < received {
            return Err(Refusal::BeforeReferral { kind, at, received });
        }
        // Whether an event of one of `kinds` happened at or before `at`.
        let before = |kinds: &[EventKind]| {
            events
                .iter()
                .any(|e| kinds.contains(&e.kind()) && e.occurred_at <= at)
        };
        let warrant_event = |kind: EventKind, number: u32| {
            events
                .iter()
                .find(|e| e.kind() == kind && e.fact.warrant() == Some(number))
        };
        let needs = |needs: &'static str| Err(Refusal::Needs { kind, at, needs });
        match &new.fact {
            Fact::WarrantApplied { warrant, .. }
                if warrant_event(EventKind::WarrantApplied, *warrant).is_some() =>
            {
                return Err(Refusal::Already {
                    kind,
                    what: "a warrant with this number is on the case already",
                });
            }
            Fact::WarrantGranted { warrant } | Fact::WarrantRefused { warrant, .. } => {
                match warrant_event(EventKind::WarrantApplied, *warrant) {
                    Some(applied) if applied.occurred_at <= at => {}
                    _ => return needs("the application for this warrant"),
                }
                let decided = warrant_event(EventKind::WarrantGranted, *warrant)
                    .or_else(|| warrant_event(EventKind::WarrantRefused, *warrant));
                if decided.is_some() {
                    return Err(Refusal::Already {
                        kind,
                        what: "the court's decision on this warrant is recorded already",
                    });
                }
            }
            Fact::WarrantExecuted { warrant } => {
                match warrant_event(EventKind::WarrantGranted, *warrant) {
                    Some(granted) if granted.occurred_at <= at => {}
                    _ => return needs("the grant of this warrant"),
                }
                if warrant_event(EventKind::WarrantExecuted, *warrant).is_some() {
                    return Err(Refusal::Already {
                        kind,
                        what: "this warrant is recorded as executed already",
                    });
                }
            }
            Fact::Interview | Fact::Bail { .. } | Fact::ReleasedUnderInvestigation
                if !before(&[EventKind::Arrest, EventKind::VoluntaryAttendance]) =>
            {
                return needs("an arrest or a voluntary attendance");
            }
            Fact::ChargingDecision { .. }
                if !before(&[
                    EventKind::Arrest,
                    EventKind::VoluntaryAttendance,
                    EventKind::Interview,
                ]) =>
            {
                return needs("an arrest, a voluntary attendance or an interview");
            }
            Fact::Outcome { .. } if !before(&[EventKind::ChargingDecision]) => {
                return needs("a charging decision");
            }
            Fact::DevicesTriaged { .. }
            | Fact::DevicesSubmitted { .. }
            | Fact::DevicesExamined { .. }
                if !before(&[EventKind::DevicesSeized]) =>
            {
                return needs("a seizure of devices");
            }
            Fact::CommsDataReturned { .. } if !before(&[EventKind::CommsDataRequested]) => {
                return needs("a request for communications data");
            }
            Fact::NcaAcknowledged if !before(&[EventKind::ReturnedToNca]) => {
                return needs("the case's return to the NCA");
            }
            Fact::ClockPaused { .. } if state.paused => {
                return Err(Refusal::Already {
                    kind,
                    what: "the clock is paused already",
                });
            }
            Fact::ClockPaused { .. } if state.stopped => {
                return Err(Refusal::Already {
                    kind,
                    what: "the clock has stopped",
                });
            }
            Fact::ClockResumed if !state.paused => {
                return Err(Refusal::Already {
                    kind,
                    what: "the clock is not paused",
                });
            }
            _ => {}
        }
        Ok(())
    }

    /// The lowest warrant number not used on the case.
    pub fn next_warrant(&self) -> u32 {
        self.events
            .iter()
            .filter_map(|e| e.fact.warrant())
            .max()
            .map_or(1, |n| n + 1)
    }

    /// The events that are open work, which closing the case leaves undone: a warrant applied for with no
    /// decision, one granted and not executed, seized devices not examined, bail or release under
    /// investigation with no charging decision, a charging decision with no outcome, communications data asked
    /// for and not returned.
    pub fn open_work(&self) -> Vec<&'static str> {
        let events = self.in_force();
        let has = |kind: EventKind| events.iter().any(|e| e.kind() == kind);
        let mut open = Vec::new();
        let warrants: BTreeSet<u32> = events.iter().filter_map(|e| e.fact.warrant()).collect();
        for number in warrants {
            let of = |kind: EventKind| {
                events
                    .iter()
                    .any(|e| e.kind() == kind && e.fact.warrant() == Some(number))
            };
            if !of(EventKind::WarrantGranted) && !of(EventKind::WarrantRefused) {
                open.push("a warrant application has no decision");
            } else if of(EventKind::WarrantGranted) && !of(EventKind::WarrantExecuted) {
                open.push("a granted warrant has not been executed");
            }
        }
        if has(EventKind::DevicesSeized) && !has(EventKind::DevicesExamined) {
            open.push("seized devices have not been examined");
        }
        if (has(EventKind::Bail) || has(EventKind::ReleasedUnderInvestigation))
            && !has(EventKind::ChargingDecision)
        {
            open.push("a suspect on bail or released under investigation has no charging decision");
        }
        if has(EventKind::ChargingDecision) && !has(EventKind::Outcome) {
            open.push("a charging decision has no outcome");
        }
        if has(EventKind::CommsDataRequested) && !has(EventKind::CommsDataReturned) {
            open.push("communications data asked for has not come back");
        }
        open.dedup();
        open
    }
}

/// What the events in force say about the case as a whole.
struct State {
    closed: bool,
    paused: bool,
    stopped: bool,
}

impl State {
    fn of(events: &[&Event]) -> State {
        let mut state = State {
            closed: false,
            paused: false,
            stopped: false,
        };
        for event in events {
            match event.kind() {
                EventKind::Closed => state.closed = true,
                EventKind::ClockPaused => state.paused = true,
                EventKind::ClockResumed => state.paused = false,
                EventKind::ReturnedToNca => state.stopped = true,
                kind if kind.stop_event().is_some() => state.stopped = true,
                _ => {}
            }
        }
        state
    }
}

/// Where a case's clock stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ClockState {
    /// Running towards `due`.
    Running {
        #[schema(value_type = String, format = DateTime)]
        due: Timestamp,
    },
    /// Paused since `since`, for `reason`; when it resumes, `left` remains.
    Paused {
        #[schema(value_type = String, format = DateTime)]
        since: Timestamp,
        reason: String,
        #[schema(value_type = i64)]
        #[serde(with = "seconds")]
        left: SignedDuration,
    },
    /// Stopped at `at` by `by`; `in_time` when that was at or before `due`.
    Stopped {
        #[schema(value_type = String, format = DateTime)]
        at: Timestamp,
        by: EventKind,
        #[schema(value_type = String, format = DateTime)]
        due: Timestamp,
        in_time: bool,
    },
}

/// A duration as whole seconds in JSON.
mod seconds {
    use jiff::SignedDuration;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &SignedDuration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.as_secs())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SignedDuration, D::Error> {
        Ok(SignedDuration::from_secs(i64::deserialize(d)?))
    }
}

/// A case's clock: which band it runs for, from when, and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Clock {
    pub band: Band,
    /// When the current run started: the referral's clock start, or the last change of band.
    #[schema(value_type = String, format = DateTime)]
    pub started: Timestamp,
    pub state: ClockState,
}

/// What a clock is measured against: the band and clock start the case was opened with, the tool's
/// timescales and the enforcement actions that stop it.
#[derive(Debug, Clone)]
pub struct ClockRules<'a> {
    pub band: Band,
    pub start: Timestamp,
    pub timescales: &'a Timescales,
    pub stops: &'a [StopEvent],
}

fn timescale(timescales: &Timescales, band: Band) -> SignedDuration {
    SignedDuration::from_hours(i64::from(timescales.days(band)) * 24)
}

/// Works out the clock from the events in force (ordered by when they happened). Days are 24-hour spans, so
/// a clock change does not stretch or shorten them. A pause stops time counting until the clock resumes; a
/// change of band restarts the clock with the new band's timescale from the time of the change; the first
/// enforcement action the tool names, a return to the NCA or closing the case stops it.
pub fn clock(events: &[&Event], rules: &ClockRules<'_>) -> Clock {
    let mut band = rules.band;
    let mut started = rules.start;
    let mut paused_for = SignedDuration::ZERO;
    let mut paused: Option<(Timestamp, String)> = None;
    let due = |band: Band, started: Timestamp, paused_for: SignedDuration| {
        started
            .saturating_add(timescale(rules.timescales, band))
            .and_then(|t| t.saturating_add(paused_for))
            .unwrap_or(Timestamp::MAX)
    };
    for event in events {
        let at = event.occurred_at;
        let stops = event
            .kind()
            .stop_event()
            .is_some_and(|stop| rules.stops.contains(&stop))
            || matches!(event.kind(), EventKind::ReturnedToNca | EventKind::Closed);
        if stops {
            // Time paused up to the stop does not count against the clock.
            if let Some((since, _)) = paused.take() {
                paused_for = paused_for.saturating_add(since.duration_until(at));
            }
            let due = due(band, started, paused_for);
            return Clock {
                band,
                started,
                state: ClockState::Stopped {
                    at,
                    by: event.kind(),
                    due,
                    in_time: at <= due,
                },
            };
        }
        match &event.fact {
            Fact::ClockPaused { reason } if paused.is_none() => {
                paused = Some((at, reason.clone()));
            }
            Fact::ClockResumed => {
                if let Some((since, _)) = paused.take() {
                    paused_for = paused_for.saturating_add(since.duration_until(at));
                }
            }
            Fact::Rebanded { band: new } => {
                band = *new;
                started = at;
                paused_for = SignedDuration::ZERO;
                if paused.is_some() {
                    paused = Some((at, paused.take().map(|(_, r)| r).unwrap_or_default()));
                }
            }
            _ => {}
        }
    }
    let due = due(band, started, paused_for);
    let state = match paused {
        Some((since, reason)) => ClockState::Paused {
            left: since.duration_until(due),
            since,
            reason,
        },
        None => ClockState::Running { due },
    };
    Clock {
        band,
        started,
        state,
    }
}

/// How urgent a running clock is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// More than a fifth of the band's timescale left, paused, or stopped.
    OnTrack,
    /// A fifth of the band's timescale or less left.
    DueSoon,
    Overdue,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::OnTrack => "on_track",
            Urgency::DueSoon => "due_soon",
            Urgency::Overdue => "overdue",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Urgency::OnTrack => "On track",
            Urgency::DueSoon => "Due soon",
            Urgency::Overdue => "Overdue",
        }
    }
}

impl Clock {
    /// When enforcement action is due, while the clock runs.
    pub fn due(&self) -> Option<Timestamp> {
        match &self.state {
            ClockState::Running { due } => Some(*due),
            ClockState::Paused { .. } | ClockState::Stopped { .. } => None,
        }
    }

    /// Whether the clock is due soon or overdue at `now`. "Due soon" is a fifth of the band's timescale (a
    /// very high case's last 4 h 48 min, a low one's last 6 days), so every band warns in proportion.
    pub fn urgency(&self, timescales: &Timescales, now: Timestamp) -> Urgency {
        let Some(due) = self.due() else {
            return Urgency::OnTrack;
        };
        let left = now.duration_until(due);
        if left.is_negative() {
            Urgency::Overdue
        } else if left <= timescale(timescales, self.band) / 5 {
            Urgency::DueSoon
        } else {
            Urgency::OnTrack
        }
    }
}

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

#[cfg(test)]
mod tests;
