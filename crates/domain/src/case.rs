//! A case from opening to outcome: the facts on its timeline, the rules on their order, its clock and the time
//! each stage took.
//!
//! A case's history is an append-only list of events. Each says what happened ([`Fact`]), when it happened and
//! when it was recorded; nothing is overwritten. A mistake is put right by a later event that supersedes the
//! earlier one, with a rationale, so the history shows both what was believed and when it was corrected. What
//! the case is now (its clock, its warrants, its outcome) is worked out from the events in force
//! ([`Timeline::in_force`]), which is how the force's figures can be reproduced for any past date.

use crate::ids::{EventId, StaffId};
use crate::risk::Band;
use crate::sla::StopEvent;
use crate::text::FreeText;
use jiff::{SignedDuration, Timestamp};
use safeguarding::{
    AgeBand, AuthorityDecision, ChildSource, Consent, ShareMethod, SupportOutcome, SupportStep,
};
use serde::{Deserialize, Serialize};

/// An entry made more than this long after the event it records is a late entry and must say why.
pub const LATE_AFTER: SignedDuration = SignedDuration::from_hours(24);

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
    /// Something to do on the case by a date: its number within the case, which "task done" names.
    TaskSet {
        task: u32,
        text: String,
        #[schema(value_type = String, format = Date)]
        due: jiff::civil::Date,
    },
    TaskDone {
        task: u32,
    },
    Closed {
        reason: String,
    },
    /// A child the case identifies: numbered within the case; identified at the event's time, by its recorder.
    ChildIdentified {
        child: u32,
        /// The child's name, or a description where the name is not known.
        name: String,
        age: Option<u8>,
        age_band: AgeBand,
        /// Where the child lives: a postcode, a postcode district or a place.
        area: String,
        /// The local authority responsible for the child (its code in the authorities list) and its name, which
        /// Severn fills in from the list.
        authority: String,
        #[serde(default)]
        authority_name: String,
        /// How the child is connected to the suspect.
        relationship: String,
        source: ChildSource,
    },
    /// The child referred to the local authority's children's social care (or its MASH).
    SafeguardingReferred {
        child: u32,
        /// The authority referred to: the child's, unless another is named.
        #[serde(default)]
        authority: String,
        #[serde(default)]
        authority_name: String,
        method: ShareMethod,
        /// What was shared.
        shared: String,
        consent: Consent,
        /// Why consent was not sought, or why sharing went ahead without it.
        consent_reason: Option<String>,
    },
    SafeguardingAcknowledged {
        child: u32,
    },
    SafeguardingDecided {
        child: u32,
        decision: AuthorityDecision,
    },
    /// A strategy discussion with partners, and the joint plan it agreed (numbered within the case).
    StrategyDiscussion {
        plan: u32,
        children: Vec<u32>,
        agencies: String,
        decisions: String,
        #[schema(value_type = String, format = Date)]
        review: jiff::civil::Date,
    },
    /// An action of a joint plan, with the agency that owns it and its due date.
    PlanAction {
        plan: u32,
        action: u32,
        text: String,
        owner_agency: String,
        #[schema(value_type = String, format = Date)]
        due: jiff::civil::Date,
    },
    PlanActionDone {
        plan: u32,
        action: u32,
    },
    /// A referral of a child or the family to a support service, offered to the family (numbered within the
    /// case).
    SupportOffered {
        support: u32,
        child: u32,
        /// The service in the directory, and its name as it was then (filled in by Severn).
        service: i64,
        #[serde(default)]
        service_name: String,
        /// What the child or family needs.
        need: String,
    },
    SupportUpdated {
        support: u32,
        step: SupportStep,
        reason: Option<String>,
        outcome: Option<SupportOutcome>,
    },
    /// A child or family pointed to a service without a referral.
    Signposted {
        child: u32,
        service: String,
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
    TaskSet,
    TaskDone,
    Closed,
    ChildIdentified,
    SafeguardingReferred,
    SafeguardingAcknowledged,
    SafeguardingDecided,
    StrategyDiscussion,
    PlanAction,
    PlanActionDone,
    SupportOffered,
    SupportUpdated,
    Signposted,
    Withdrawn,
}

impl EventKind {
    pub const ALL: [EventKind; 41] = [
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
        EventKind::TaskSet,
        EventKind::TaskDone,
        EventKind::Closed,
        EventKind::ChildIdentified,
        EventKind::SafeguardingReferred,
        EventKind::SafeguardingAcknowledged,
        EventKind::SafeguardingDecided,
        EventKind::StrategyDiscussion,
        EventKind::PlanAction,
        EventKind::PlanActionDone,
        EventKind::SupportOffered,
        EventKind::SupportUpdated,
        EventKind::Signposted,
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
            EventKind::TaskSet => "task_set",
            EventKind::TaskDone => "task_done",
            EventKind::Closed => "closed",
            EventKind::ChildIdentified => "child_identified",
            EventKind::SafeguardingReferred => "safeguarding_referred",
            EventKind::SafeguardingAcknowledged => "safeguarding_acknowledged",
            EventKind::SafeguardingDecided => "safeguarding_decided",
            EventKind::StrategyDiscussion => "strategy_discussion",
            EventKind::PlanAction => "plan_action",
            EventKind::PlanActionDone => "plan_action_done",
            EventKind::SupportOffered => "support_offered",
            EventKind::SupportUpdated => "support_updated",
            EventKind::Signposted => "signposted",
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
            EventKind::TaskSet => "Task set",
            EventKind::TaskDone => "Task done",
            EventKind::Closed => "Closed",
            EventKind::ChildIdentified => "Child identified",
            EventKind::SafeguardingReferred => "Referred to children's social care",
            EventKind::SafeguardingAcknowledged => "Referral acknowledged",
            EventKind::SafeguardingDecided => "Children's social care decided",
            EventKind::StrategyDiscussion => "Strategy discussion and joint plan",
            EventKind::PlanAction => "Joint plan action",
            EventKind::PlanActionDone => "Joint plan action done",
            EventKind::SupportOffered => "Support offered",
            EventKind::SupportUpdated => "Support referral updated",
            EventKind::Signposted => "Signposted to a service",
            EventKind::Withdrawn => "Entry withdrawn",
        }
    }

    /// The kinds of safeguarding work (children, their referrals, joint plans, support).
    pub fn is_safeguarding(self) -> bool {
        matches!(
            self,
            EventKind::ChildIdentified
                | EventKind::SafeguardingReferred
                | EventKind::SafeguardingAcknowledged
                | EventKind::SafeguardingDecided
                | EventKind::StrategyDiscussion
                | EventKind::PlanAction
                | EventKind::PlanActionDone
                | EventKind::SupportOffered
                | EventKind::SupportUpdated
                | EventKind::Signposted
        )
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
            Fact::TaskSet { .. } => EventKind::TaskSet,
            Fact::TaskDone { .. } => EventKind::TaskDone,
            Fact::Closed { .. } => EventKind::Closed,
            Fact::ChildIdentified { .. } => EventKind::ChildIdentified,
            Fact::SafeguardingReferred { .. } => EventKind::SafeguardingReferred,
            Fact::SafeguardingAcknowledged { .. } => EventKind::SafeguardingAcknowledged,
            Fact::SafeguardingDecided { .. } => EventKind::SafeguardingDecided,
            Fact::StrategyDiscussion { .. } => EventKind::StrategyDiscussion,
            Fact::PlanAction { .. } => EventKind::PlanAction,
            Fact::PlanActionDone { .. } => EventKind::PlanActionDone,
            Fact::SupportOffered { .. } => EventKind::SupportOffered,
            Fact::SupportUpdated { .. } => EventKind::SupportUpdated,
            Fact::Signposted { .. } => EventKind::Signposted,
            Fact::Withdrawn => EventKind::Withdrawn,
        }
    }

    /// The task a task event is about.
    pub fn task(&self) -> Option<u32> {
        match self {
            Fact::TaskSet { task, .. } | Fact::TaskDone { task } => Some(*task),
            _ => None,
        }
    }

    /// The child a child's event is about (a plan's are in its `children`).
    pub fn child(&self) -> Option<u32> {
        match self {
            Fact::ChildIdentified { child, .. }
            | Fact::SafeguardingReferred { child, .. }
            | Fact::SafeguardingAcknowledged { child }
            | Fact::SafeguardingDecided { child, .. }
            | Fact::SupportOffered { child, .. }
            | Fact::Signposted { child, .. } => Some(*child),
            _ => None,
        }
    }

    /// The joint plan a plan event is about.
    pub fn plan(&self) -> Option<u32> {
        match self {
            Fact::StrategyDiscussion { plan, .. }
            | Fact::PlanAction { plan, .. }
            | Fact::PlanActionDone { plan, .. } => Some(*plan),
            _ => None,
        }
    }

    /// The action of a joint plan an action event is about.
    pub fn plan_action(&self) -> Option<u32> {
        match self {
            Fact::PlanAction { action, .. } | Fact::PlanActionDone { action, .. } => Some(*action),
            _ => None,
        }
    }

    /// The support referral a support event is about.
    pub fn support(&self) -> Option<u32> {
        match self {
            Fact::SupportOffered { support, .. } | Fact::SupportUpdated { support, .. } => {
                Some(*support)
            }
            _ => None,
        }
    }

    /// Whether the fact is safeguarding work: recorded with [`crate::access::Action::Safeguard`].
    pub fn is_safeguarding(&self) -> bool {
        self.kind().is_safeguarding()
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
            Fact::TaskSet { text: task, .. } => {
                required("what is to be done", task)?;
                text(FreeText::Description, task)
            }
            Fact::Outcome { code } if home_office_outcome(*code).is_none() => {
                Err(Refusal::UnknownOutcome(*code))
            }
            Fact::ImagesGraded { counts, .. } if counts.is_empty() => {
                Err(Refusal::Missing("image counts"))
            }
            Fact::ChildIdentified {
                name,
                age,
                age_band,
                area,
                authority,
                relationship,
                ..
            } => {
                required("child's name or description", name)?;
                text(FreeText::DisplayName, name)?;
                required("area the child lives in", area)?;
                text(FreeText::Description, area)?;
                required("local authority", authority)?;
                text(FreeText::Description, relationship)?;
                match age {
                    Some(age) if AgeBand::of_age(*age) != Some(*age_band) => {
                        Err(Refusal::NotAChild(*age))
                    }
                    _ => Ok(()),
                }
            }
            Fact::SafeguardingReferred {
                authority,
                shared,
                consent,
                consent_reason,
                ..
            } => {
                required("local authority", authority)?;
                required("account of what was shared", shared)?;
                text(FreeText::Note, shared)?;
                let reason = consent_reason.as_deref().unwrap_or("");
                if *consent != Consent::Given {
                    required("reason for sharing without consent", reason)?;
                }
                text(FreeText::Reason, reason)
            }
            Fact::StrategyDiscussion {
                agencies,
                decisions,
                ..
            } => {
                required("agencies present", agencies)?;
                text(FreeText::Description, agencies)?;
                required("decisions", decisions)?;
                text(FreeText::Note, decisions)
            }
            Fact::PlanAction {
                text: action,
                owner_agency,
                ..
            } => {
                required("action", action)?;
                text(FreeText::Description, action)?;
                required("agency that owns the action", owner_agency)?;
                text(FreeText::Description, owner_agency)
            }
            Fact::SupportOffered {
                service_name, need, ..
            } => {
                required("service", service_name)?;
                text(FreeText::Description, service_name)?;
                required("need", need)?;
                text(FreeText::Description, need)
            }
            Fact::SupportUpdated {
                step,
                reason,
                outcome,
                ..
            } => {
                let reason = reason.as_deref().unwrap_or("");
                if matches!(
                    step,
                    SupportStep::FamilyDeclined
                        | SupportStep::ServiceRejected
                        | SupportStep::Withdrawn
                ) {
                    required("reason", reason)?;
                }
                if *step == SupportStep::Done && outcome.is_none() {
                    return Err(Refusal::Missing("outcome of the support"));
                }
                text(FreeText::Reason, reason)
            }
            Fact::Signposted { service, .. } => {
                required("service", service)?;
                text(FreeText::Description, service)
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

mod clock;
pub mod safeguarding;
mod stages;
mod timeline;

pub use clock::{Clock, ClockRules, ClockState, Urgency, clock};
pub use stages::{Stage, stages};
pub use timeline::{Entry, Refusal, Timeline};

#[cfg(test)]
mod tests;
