//! Cases from opening to outcome: opening one from the queue, adding events to its timeline (checked by the
//! domain's order rules), where it stands (its clock, its warrants, what each stage took), the worklists, and
//! the audit of warrants. Each runs in one transaction through the gate, on the case's subject.

use crate::desk::{self, BandReasons, CaseReferral};
use crate::gate::{Why, unseen};
use crate::time::{instant, london};
use crate::{App, AppError, Result, active_tool_in};
use jiff::Timestamp;
use serde::Serialize;
use severn_domain::access::{Action, Actor, CaseAccess, Denial, decide};
use severn_domain::case::{
    self, Clock, ClockRules, ClockState, Entry, Event, EventKind, Fact, NewEvent, Stage, Timeline,
    Urgency,
};
use severn_domain::ids::{CaseId, EventId, StaffId, SubjectId};
use severn_domain::profile::SuspectProfile;
use severn_domain::risk::{Band, RiskTool};
use severn_store::{CaseNow, CaseRow, CaseStatus, ClockSummary, NewCase, Scoped, Tx};
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa::ToSchema;

pub use crate::caselist::{WORKLIST_PAGE, Worklist, WorklistEntry, WorklistPage};

/// What the person may do on a case, as the policy says: pages offer only these.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct CaseWork {
    /// Add events to the timeline.
    pub record: bool,
    /// Allocate, change the band, return to the NCA.
    pub allocate: bool,
    /// Sign off the risk assessment, or override the band before a case is opened.
    pub review: bool,
    /// Record children, their referrals to children's social care, joint plans and support.
    pub safeguard: bool,
}

impl CaseWork {
    pub fn of(actor: &Actor, access: &CaseAccess) -> CaseWork {
        let may = |action| decide(actor, action, Some(access)).is_ok();
        CaseWork {
            record: may(Action::RecordEvent),
            allocate: may(Action::Allocate),
            review: may(Action::Override),
            safeguard: may(Action::Safeguard),
        }
    }
}

/// An event as pages and the API show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    pub id: EventId,
    pub kind: EventKind,
    pub label: &'static str,
    /// What it says, in plain words.
    pub summary: String,
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: Timestamp,
    pub recorded_by: String,
    /// How it was entered: `ordinary`, `late` or `correction`.
    pub entry: Entry,
    pub supersedes: Option<EventId>,
    /// Corrected or withdrawn by a later entry.
    pub superseded_by: Option<EventId>,
    pub rationale: Option<String>,
    pub fact: Fact,
}

/// A warrant, from its events in force.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WarrantView {
    pub warrant: u32,
    pub warrant_type: String,
    pub court: String,
    pub remote: bool,
    #[schema(value_type = String, format = DateTime)]
    pub applied_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub granted_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub refused_at: Option<Timestamp>,
    pub refusal_reason: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub executed_at: Option<Timestamp>,
}

/// A case: where it stands and its whole timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseView {
    pub case: CaseId,
    pub subject: SubjectId,
    pub status: &'static str,
    pub band: Band,
    pub band_label: &'static str,
    pub officer: Option<String>,
    pub supervisor: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub received_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub opened_at: Timestamp,
    pub clock: Clock,
    pub urgency: Urgency,
    /// The clock in plain words ("3 days 4 h left", "stopped by arrest, in time").
    pub clock_text: String,
    pub events: Vec<EventView>,
    pub warrants: Vec<WarrantView>,
    pub stages: Vec<Stage>,
    /// What closing the case would leave undone.
    pub open_work: Vec<&'static str>,
    pub next_warrant: u32,
    /// Tasks set and not done, in number order.
    pub tasks: Vec<TaskView>,
    pub next_task: u32,
    pub may: CaseWork,
    /// What the referrals say about the suspect and the children they name.
    pub profile: SuspectProfile,
    pub referrals: Vec<CaseReferral>,
    /// Why the subject has the band the risk tool gave it.
    pub band_reasons: BandReasons,
    /// The children the case identifies, their referrals, joint plans and support.
    pub safeguarding: crate::safeguarding::SafeguardingView,
}

/// A task set on a case and not done.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskView {
    pub task: u32,
    pub text: String,
    #[schema(value_type = String, format = Date)]
    pub due: jiff::civil::Date,
    /// Its day has passed (UK time).
    pub overdue: bool,
}

/// The plain words for a clock.
pub fn clock_text(clock: &Clock, now: Timestamp) -> String {
    match &clock.state {
        ClockState::Running { due } => severn_domain::sla::time_left(*due, now).to_string(),
        ClockState::Paused { reason, .. } => format!("paused: {reason}"),
        ClockState::Stopped { by, in_time, .. } => format!(
            "stopped by {} ({})",
            by.label().to_lowercase(),
            if *in_time { "in time" } else { "late" }
        ),
    }
}

/// A fact in plain words, for the timeline.
fn describe(fact: &Fact, names: &HashMap<StaffId, String>) -> String {
    let name = |id: &StaffId| {
        names
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("staff {id}"))
    };
    match fact {
        Fact::CommsDataRequested { what } | Fact::CommsDataReturned { what } => what.clone(),
        Fact::RiskAssessed { band } | Fact::Rebanded { band } => band.label().to_owned(),
        Fact::Allocated {
            officer,
            supervisor,
            policy,
            met_policy,
            missing,
            override_rationale,
        } => {
            let mut text = format!("Officer in charge {}", name(officer));
            if let Some(supervisor) = supervisor {
                text.push_str(&format!(", supervisor {}", name(supervisor)));
            }
            text.push_str(&format!("; policy {policy}"));
            if !met_policy {
                text.push_str(&format!(
                    "; against the policy (lacks {}): {}",
                    missing.join(", "),
                    override_rationale.as_deref().unwrap_or("")
                ));
            }
            text
        }
        Fact::WarrantApplied {
            warrant,
            warrant_type,
            court,
            remote,
        } => format!(
            "Warrant {warrant} ({warrant_type}) at {court}, {}",
            if *remote {
                "heard remotely"
            } else {
                "heard in person"
            }
        ),
        Fact::WarrantGranted { warrant } | Fact::WarrantExecuted { warrant } => {
            format!("Warrant {warrant}")
        }
        Fact::WarrantRefused { warrant, reason } => format!("Warrant {warrant}: {reason}"),
        Fact::Bail { conditions, until } => format!("Until {until}: {conditions}"),
        Fact::DevicesSeized { count, description } => format!("{count}: {description}"),
        Fact::DevicesTriaged { count }
        | Fact::DevicesSubmitted { count }
        | Fact::DevicesExamined { count } => format!("{count} devices"),
        Fact::ImagesGraded { method, counts } => {
            let total: u32 = counts.iter().map(|c| c.count).sum();
            let method = match method {
                case::GradingMethod::Caid => "CAID",
                case::GradingMethod::Manual => "manual",
            };
            format!("{total} files graded ({method})")
        }
        Fact::ChargingDecision { decision } => decision.label().to_owned(),
        Fact::Outcome { code } => format!(
            "Outcome {code}: {}",
            case::home_office_outcome(*code).unwrap_or("unknown")
        ),
        Fact::ReturnedToNca { reason } | Fact::ClockPaused { reason } | Fact::Closed { reason } => {
            reason.clone()
        }
        Fact::Note { text } => text.clone(),
        Fact::TaskSet { task, text, due } => format!("Task {task}: {text} (by {due})"),
        Fact::TaskDone { task } => format!("Task {task}"),
        Fact::ChildIdentified {
            child,
            name,
            age_band,
            authority_name,
            relationship,
            ..
        } => format!(
            "Child {child}: {name} ({}), {relationship}; {authority_name}",
            age_band.label().to_lowercase()
        ),
        Fact::SafeguardingReferred {
            child,
            authority_name,
            method,
            consent,
            ..
        } => format!(
            "Child {child} to {authority_name} children's social care by {}; {}",
            method.label().to_lowercase(),
            consent.label().to_lowercase()
        ),
        Fact::SafeguardingAcknowledged { child } => format!("Child {child}"),
        Fact::SafeguardingDecided { child, decision } => {
            format!("Child {child}: {}", decision.label())
        }
        Fact::StrategyDiscussion {
            plan,
            agencies,
            review,
            ..
        } => format!("Plan {plan} with {agencies}; review by {review}"),
        Fact::PlanAction {
            plan,
            action,
            text,
            owner_agency,
            due,
        } => format!("Plan {plan} action {action}: {text} ({owner_agency}, by {due})"),
        Fact::PlanActionDone { plan, action } => format!("Plan {plan} action {action}"),
        Fact::SupportOffered {
            support,
            child,
            service_name,
            ..
        } => format!("Support {support} for child {child}: {service_name}"),
        Fact::SupportUpdated {
            support,
            step,
            reason,
            ..
        } => match reason {
            Some(reason) => format!("Support {support}: {} ({reason})", step.label()),
            None => format!("Support {support}: {}", step.label()),
        },
        Fact::Signposted { child, service } => format!("Child {child} to {service}"),
        Fact::ResearchStarted
        | Fact::Arrest
        | Fact::VoluntaryAttendance
        | Fact::Interview
        | Fact::ReleasedUnderInvestigation
        | Fact::NcaAcknowledged
        | Fact::ClockResumed
        | Fact::Withdrawn => String::new(),
    }
}

/// The warrants on a case, from its events in force.
fn warrants(events: &[&Event]) -> Vec<WarrantView> {
    let mut warrants: BTreeMap<u32, WarrantView> = BTreeMap::new();
    for event in events {
        let at = event.occurred_at;
        match &event.fact {
            Fact::WarrantApplied {
                warrant,
                warrant_type,
                court,
                remote,
            } => {
                warrants.insert(
                    *warrant,
                    WarrantView {
                        warrant: *warrant,
                        warrant_type: warrant_type.clone(),
                        court: court.clone(),
                        remote: *remote,
                        applied_at: at,
                        granted_at: None,
                        refused_at: None,
                        refusal_reason: None,
                        executed_at: None,
                    },
                );
            }
            Fact::WarrantGranted { warrant } => {
                if let Some(w) = warrants.get_mut(warrant) {
                    w.granted_at = Some(at);
                }
            }
            Fact::WarrantRefused { warrant, reason } => {
                if let Some(w) = warrants.get_mut(warrant) {
                    w.refused_at = Some(at);
                    w.refusal_reason = Some(reason.clone());
                }
            }
            Fact::WarrantExecuted { warrant } => {
                if let Some(w) = warrants.get_mut(warrant) {
                    w.executed_at = Some(at);
                }
            }
            _ => {}
        }
    }
    warrants.into_values().collect()
}

fn clock_rules<'a>(case: &CaseRow, tool: &'a RiskTool) -> ClockRules<'a> {
    ClockRules {
        band: case.opening_band,
        start: instant(case.clock_start_at),
        timescales: tool.timescales(),
        stops: &tool.clock().stops,
    }
}

/// Where a case stands after its events in force.
fn case_now(case: &CaseRow, timeline: &Timeline, tool: &RiskTool, now: i64) -> CaseNow {
    let events = timeline.in_force();
    let clock = case::clock(&events, &clock_rules(case, tool));
    let allocation = events.iter().rev().find_map(|e| match &e.fact {
        Fact::Allocated {
            officer,
            supervisor,
            ..
        } => Some((*officer, *supervisor)),
        _ => None,
    });
    let closed = events.iter().any(|e| e.kind() == EventKind::Closed);
    CaseNow {
        status: if closed {
            CaseStatus::Closed
        } else {
            CaseStatus::Open
        },
        officer: allocation.map(|(officer, _)| officer),
        supervisor: allocation.and_then(|(_, supervisor)| supervisor),
        band: clock.band,
        clock: ClockSummary::of(&clock),
        updated_at: now,
    }
}

/// The names of the staff a case's events and row mention.
pub(crate) async fn staff_names(tx: &mut Tx, ids: &[StaffId]) -> Result<HashMap<StaffId, String>> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    Ok(tx.display_names(&ids).await?.into_iter().collect())
}

/// The period an audit covers, `[from, to)`, and the instant its figures are as known at: only what had been
/// recorded by then counts, corrections included, so a figure given on a past date can be given again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditPeriod {
    pub from: Timestamp,
    pub to: Timestamp,
    /// `None`: everything recorded up to the moment the audit is made.
    pub known_at: Option<Timestamp>,
}

impl AuditPeriod {
    pub fn new(from: Timestamp, to: Timestamp) -> AuditPeriod {
        AuditPeriod {
            from,
            to,
            known_at: None,
        }
    }

    /// The instant the figures are as known at: the one asked for, or now (never later than now).
    pub(crate) fn known_at(&self, now: Timestamp) -> Timestamp {
        self.known_at.map_or(now, |t| t.min(now))
    }
}

/// The events of `kinds` that happened in `[from, to)` on the scope's force's cases, recorded by `known_at`
/// and still in force then (not corrected or withdrawn by an entry recorded by then), with their case.
pub(crate) async fn events_in_force_between(
    tx: &mut Scoped,
    kinds: &[EventKind],
    from: i64,
    to: i64,
    known_at: Timestamp,
) -> Result<Vec<(CaseId, Event)>> {
    let events = tx.case_events_between(kinds, from, to).await?;
    in_force_as_known_at(tx, events, known_at).await
}

/// Of `events`, those recorded by `known_at` and not corrected or withdrawn by an entry recorded by then.
pub(crate) async fn in_force_as_known_at(
    tx: &mut Scoped,
    mut events: Vec<(CaseId, Event)>,
    known_at: Timestamp,
) -> Result<Vec<(CaseId, Event)>> {
    events.retain(|(_, e)| e.recorded_at <= known_at);
    let ids: Vec<EventId> = events.iter().map(|(_, e)| e.id).collect();
    let superseded: HashSet<EventId> = tx
        .events_superseding(&ids)
        .await?
        .into_iter()
        .filter(|(_, e)| e.recorded_at <= known_at)
        .filter_map(|(_, e)| e.supersedes)
        .collect();
    Ok(events
        .into_iter()
        .filter(|(_, e)| !superseded.contains(&e.id))
        .collect())
}

/// One warrant in the warrant audit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WarrantLine {
    pub case: CaseId,
    #[serde(flatten)]
    pub warrant: WarrantView,
    /// Hours from application to grant, when granted.
    pub hours_to_grant: Option<f64>,
}

/// Warrants applied for over a period: how long the grant took, how many were heard remotely, refusals, and
/// each warrant behind the figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WarrantAudit {
    #[schema(value_type = String, format = DateTime)]
    pub from: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub to: Timestamp,
    /// What was recorded by this instant counts: give it again to reproduce the figures.
    #[schema(value_type = String, format = DateTime)]
    pub known_at: Timestamp,
    pub applications: usize,
    pub granted: usize,
    pub refused: usize,
    pub executed: usize,
    /// Neither granted nor refused yet.
    pub awaiting_decision: usize,
    pub heard_remotely: usize,
    pub share_remote: Option<f64>,
    pub median_hours_to_grant: Option<f64>,
    pub warrants: Vec<WarrantLine>,
}

/// One stage over the cases of a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StageFigure {
    pub stage: &'static str,
    pub label: &'static str,
    /// Cases that reached the stage's end.
    pub cases: usize,
    pub median_seconds: Option<i64>,
    /// The time nine in ten of them took or less.
    pub p90_seconds: Option<i64>,
    /// The cases behind the figure.
    pub case_ids: Vec<CaseId>,
}

/// How long each stage took over the cases whose first referral arrived in a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StageReport {
    #[schema(value_type = String, format = DateTime)]
    pub from: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub to: Timestamp,
    /// What was recorded by this instant counts: give it again to reproduce the figures.
    #[schema(value_type = String, format = DateTime)]
    pub known_at: Timestamp,
    pub cases: usize,
    pub stages: Vec<StageFigure>,
}

/// The value at `share` (0 to 1) of sorted values, nearest rank.
fn nearest_rank(sorted: &[i64], share: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((share * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

impl App {
    /// Each stage's times over the person's force's cases whose first referral arrived in `[from, to)`, from
    /// their events in force as known at the period's instant.
    pub async fn stage_report(&self, actor: &Actor, period: AuditPeriod) -> Result<StageReport> {
        let AuditPeriod { from, to, .. } = period;
        let known_at = period.known_at(instant(self.now()));
        let tx = self.db().begin_read().await?;
        let why = Why {
            detail: Some(format!("stage times {from} to {to} as known at {known_at}")),
            ..Why::default()
        };
        let mut tx = self
            .authorise(tx, actor, Action::ViewQueue, "audit:stages", why)
            .await?;
        let mut cases = tx
            .cases_received_between(from.as_second(), to.as_second())
            .await?;
        cases.retain(|c| instant(c.opened_at) <= known_at);
        let events = tx.events_of_cases(&cases).await?;
        tx.commit().await?;
        let mut by_case: HashMap<CaseId, Vec<Event>> = HashMap::new();
        for (case, event) in events {
            by_case.entry(case).or_default().push(event);
        }
        let mut figures: Vec<(Stage, Vec<(i64, CaseId)>)> = Vec::new();
        for case in &cases {
            let timeline = Timeline::new(by_case.remove(&case.id).unwrap_or_default());
            let in_force = timeline.in_force_as_known_at(known_at);
            for (n, stage) in case::stages(&in_force, instant(case.received_at))
                .into_iter()
                .enumerate()
            {
                if figures.len() <= n {
                    figures.push((stage.clone(), Vec::new()));
                }
                if let Some(seconds) = stage.seconds {
                    figures[n].1.push((seconds, case.id));
                }
            }
        }
        let stages = figures
            .into_iter()
            .map(|(stage, mut measured)| {
                measured.sort();
                let seconds: Vec<i64> = measured.iter().map(|(s, _)| *s).collect();
                StageFigure {
                    stage: stage.stage,
                    label: stage.label,
                    cases: measured.len(),
                    median_seconds: nearest_rank(&seconds, 0.5),
                    p90_seconds: nearest_rank(&seconds, 0.9),
                    case_ids: measured.into_iter().map(|(_, case)| case).collect(),
                }
            })
            .collect();
        Ok(StageReport {
            from,
            to,
            known_at,
            cases: cases.len(),
            stages,
        })
    }

    /// Warrants applied for in `[from, to)` in the person's force, with what came of them (even after `to`), as
    /// known at the period's instant.
    pub async fn warrant_audit(&self, actor: &Actor, period: AuditPeriod) -> Result<WarrantAudit> {
        let AuditPeriod { from, to, .. } = period;
        let known_at = period.known_at(instant(self.now()));
        let tx = self.db().begin_read().await?;
        let why = Why {
            detail: Some(format!(
                "warrant audit {from} to {to} as known at {known_at}"
            )),
            ..Why::default()
        };
        let mut tx = self
            .authorise(tx, actor, Action::ViewQueue, "audit:warrants", why)
            .await?;
        let applied = events_in_force_between(
            &mut tx,
            &[EventKind::WarrantApplied],
            from.as_second(),
            to.as_second(),
            known_at,
        )
        .await?;
        let later = events_in_force_between(
            &mut tx,
            &[
                EventKind::WarrantGranted,
                EventKind::WarrantRefused,
                EventKind::WarrantExecuted,
            ],
            from.as_second(),
            i64::MAX,
            known_at,
        )
        .await?;
        tx.commit().await?;
        let mut by_case: BTreeMap<CaseId, Vec<Event>> = BTreeMap::new();
        for (case, event) in applied.into_iter().chain(later) {
            by_case.entry(case).or_default().push(event);
        }
        let mut lines = Vec::new();
        for (case, mut events) in by_case {
            events.sort_by_key(|e| (e.occurred_at, e.id));
            let refs: Vec<&Event> = events.iter().collect();
            for warrant in warrants(&refs) {
                if warrant.applied_at < from || warrant.applied_at >= to {
                    continue;
                }
                lines.push(WarrantLine {
                    case,
                    hours_to_grant: warrant
                        .granted_at
                        .map(|g| warrant.applied_at.duration_until(g).as_secs_f64() / 3600.0),
                    warrant,
                });
            }
        }
        lines.sort_by_key(|l| (l.warrant.applied_at, l.case, l.warrant.warrant));
        let count = |f: &dyn Fn(&WarrantLine) -> bool| lines.iter().filter(|l| f(l)).count();
        let mut hours: Vec<f64> = lines.iter().filter_map(|l| l.hours_to_grant).collect();
        hours.sort_by(f64::total_cmp);
        let median = match hours.len() {
            0 => None,
            n if n % 2 == 1 => Some(hours[n / 2]),
            n => Some((hours[n / 2 - 1] + hours[n / 2]) / 2.0),
        };
        let remote = count(&|l| l.warrant.remote);
        Ok(WarrantAudit {
            from,
            to,
            known_at,
            applications: lines.len(),
            granted: count(&|l| l.warrant.granted_at.is_some()),
            refused: count(&|l| l.warrant.refused_at.is_some()),
            executed: count(&|l| l.warrant.executed_at.is_some()),
            awaiting_decision: count(&|l| {
                l.warrant.granted_at.is_none() && l.warrant.refused_at.is_none()
            }),
            heard_remotely: remote,
            share_remote: (!lines.is_empty()).then(|| remote as f64 / lines.len() as f64),
            median_hours_to_grant: median,
            warrants: lines,
        })
    }

    /// The case a request names, found through its subject: the gate decides on the subject. A case that is
    /// not there gets the answer a case the person may not see gets.
    pub(crate) async fn authorise_on_case(
        &self,
        actor: &Actor,
        action: Action,
        case: CaseId,
        why: Why,
    ) -> Result<(Scoped, CaseRow)> {
        let mut tx = self.db().begin().await?;
        let target = format!("case:{case}");
        let Some(subject) = tx.case_subject(case).await? else {
            // As the gate answers a subject that is not there: a role that may not act at all is told so.
            let role_refused = matches!(
                decide(actor, action, Some(&CaseAccess::default())),
                Err(Denial::Role)
            );
            let record = self.record(actor, action, &target, why);
            let reason = if role_refused {
                Denial::Role.as_str()
            } else {
                "not_found"
            };
            self.gate.log_refusal(&mut tx, &record, reason).await?;
            tx.commit().await?;
            return Err(if role_refused {
                AppError::Denied(Denial::Role)
            } else {
                unseen(&format!("case {case}"))
            });
        };
        let why = Why {
            detail: Some(match why.detail {
                Some(detail) => format!("subject {subject}; {detail}"),
                None => format!("subject {subject}"),
            }),
            ..why
        };
        let asked_for = format!("case {case}");
        let mut tx = self
            .authorise_named_case(tx, actor, action, (subject, &target, &asked_for), why)
            .await?;
        let row = tx
            .case(case)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("There is no case {case}.")))?;
        Ok((tx, row))
    }

    /// Opens a case on a subject from the queue: the subject leaves the queue for the worklist, carrying its
    /// band and clock. A subject has one case.
    pub async fn open_case(&self, actor: &Actor, subject: SubjectId) -> Result<CaseId> {
        let tx = self.db().begin().await?;
        let target = format!("subject:{subject}");
        let mut tx = self
            .authorise_case(tx, actor, Action::OpenCase, subject, Why::default())
            .await?;
        let outcome = self.open_case_in(&mut tx, actor, subject).await;
        match outcome {
            Ok(case) => {
                tx.commit().await?;
                Ok(case)
            }
            Err(error) => {
                drop(tx);
                self.logging_refusal(actor, Action::OpenCase, &target, Why::default(), Err(error))
                    .await
            }
        }
    }

    async fn open_case_in(
        &self,
        tx: &mut Scoped,
        actor: &Actor,
        subject: SubjectId,
    ) -> Result<CaseId> {
        let row = crate::subjects::open_subject(tx, subject).await?;
        if let Some(existing) = tx.case_of_subject(subject).await? {
            return Err(AppError::Invalid(format!(
                "Subject {subject} is investigated in case {} already.",
                existing.id
            )));
        }
        let referrals = tx.referrals_of_subjects(&[subject]).await?;
        // The earliest the force knew of the subject: its first referral's arrival, or its clock's start when
        // that is earlier (a clock started at the NCA's dissemination, or carried by linking).
        let received_at = referrals
            .iter()
            .map(|r| r.received_at)
            .min()
            .unwrap_or(row.clock_start_at)
            .min(row.clock_start_at);
        let case = tx
            .open_case(&NewCase {
                subject_id: subject,
                owner_org: row.owner_org,
                opened_at: self.now(),
                opened_by: actor.audit_name(),
                received_at,
                clock_start_at: row.clock_start_at,
                band: row.band,
                due_at: row.due_at,
            })
            .await?;
        Ok(case)
    }

    /// Adds an event to a case's timeline once the domain's rules accept it, and keeps where the case stands
    /// on its row. Allocations and changes of band need the allocating role.
    pub async fn record_event(
        &self,
        actor: &Actor,
        case: CaseId,
        event: NewEvent,
        why: Why,
    ) -> Result<EventId> {
        let action = match event.fact.kind() {
            EventKind::Allocated | EventKind::Rebanded | EventKind::ReturnedToNca => {
                Action::Allocate
            }
            kind if kind.is_safeguarding() => Action::Safeguard,
            // Withdrawing an entry is the recorder's work: safeguarding staff withdraw safeguarding entries.
            EventKind::Withdrawn
                if decide(actor, Action::RecordEvent, None) == Err(Denial::Role)
                    && decide(actor, Action::Safeguard, None) != Err(Denial::Role) =>
            {
                Action::Safeguard
            }
            _ => Action::RecordEvent,
        };
        let why = Why {
            detail: Some(format!("{} event", event.fact.kind().as_str())),
            ..why
        };
        let target = format!("case:{case}");
        let (mut tx, row) = self
            .authorise_on_case(actor, action, case, why.clone())
            .await?;
        let outcome = if event.fact.kind() == EventKind::Allocated {
            // An allocation is checked against the policy: `allocate` makes it, never a fact written in.
            Err(AppError::Invalid(
                "Allocate a case with the allocation form (or `severn case allocate`), which checks the \
                 allocation policy."
                    .into(),
            ))
        } else if action == Action::Safeguard && !event.fact.is_safeguarding() {
            self.withdrawing_safeguarding(&mut tx, actor, &row, &event)
                .await
        } else {
            self.record_event_in(&mut tx, actor, &row, &event).await
        };
        match outcome {
            Ok(id) => {
                tx.commit().await?;
                Ok(id)
            }
            Err(error) => {
                drop(tx);
                self.logging_refusal(actor, action, &target, why, Err(error))
                    .await
            }
        }
    }

    pub(crate) async fn record_event_in(
        &self,
        tx: &mut Scoped,
        actor: &Actor,
        row: &CaseRow,
        event: &NewEvent,
    ) -> Result<EventId> {
        let now = self.now();
        if let Fact::WarrantApplied { warrant_type, .. } = &event.fact {
            let known = tx.warrant_types().await?;
            if !known.iter().any(|(code, _)| code == warrant_type) {
                let codes: Vec<&str> = known.iter().map(|(code, _)| code.as_str()).collect();
                return Err(AppError::Invalid(format!(
                    "{warrant_type:?} is not a warrant type: use one of {}.",
                    codes.join(", ")
                )));
            }
        }
        let mut events = tx.case_events(row).await?;
        let mut event = event.clone();
        if event.fact.is_safeguarding() {
            self.complete_safeguarding(tx, &mut event.fact, &events)
                .await?;
        }
        let event = &event;
        let entry = Timeline::new(events.clone())
            .check(event, instant(row.received_at), instant(now))
            .map_err(|refusal| AppError::Invalid(refusal.message(&london)))?;
        let recorded_by = actor.audit_name();
        let id = tx
            .add_case_event(row, event, entry, now, &recorded_by)
            .await?;
        // Where the case stands now: the events read above and the one just added, without reading them again.
        events.push(Event {
            id,
            fact: event.fact.clone(),
            occurred_at: event.occurred_at,
            recorded_at: instant(now),
            recorded_by,
            supersedes: event.supersedes,
            rationale: event.rationale.clone(),
            entry,
        });
        let timeline = Timeline::new(events);
        let tool = active_tool_in(tx, now).await?;
        tx.set_case_now(row, &case_now(row, &timeline, &tool, now))
            .await?;
        // Only safeguarding entries, and corrections (which may withdraw one), move a safeguarding deadline.
        if event.fact.is_safeguarding() || event.supersedes.is_some() {
            let in_force = timeline.in_force();
            self.keep_safeguarding_due(tx, row, &in_force, now).await?;
        }
        Ok(id)
    }

    /// A withdrawal by someone who records safeguarding and nothing else: allowed of safeguarding entries only.
    async fn withdrawing_safeguarding(
        &self,
        tx: &mut Scoped,
        actor: &Actor,
        row: &CaseRow,
        event: &NewEvent,
    ) -> Result<EventId> {
        let events = tx.case_events(row).await?;
        let withdrawn = events
            .iter()
            .find(|e| Some(e.id) == event.supersedes)
            .map(|e| e.fact.is_safeguarding());
        if withdrawn == Some(false) {
            return Err(AppError::Denied(Denial::Role));
        }
        self.record_event_in(tx, actor, row, event).await
    }

    /// A case with its whole timeline, where it stands and what the person may do on it.
    pub async fn case_view(&self, actor: &Actor, case: CaseId, why: Why) -> Result<CaseView> {
        let (mut tx, row) = self
            .authorise_on_case(actor, Action::ViewCase, case, why)
            .await?;
        let now = self.now();
        let timeline = Timeline::new(tx.case_events(&row).await?);
        let tool = active_tool_in(&mut tx, now).await?;
        let mentioned: Vec<StaffId> = timeline
            .all()
            .iter()
            .filter_map(|e| match &e.fact {
                Fact::Allocated {
                    officer,
                    supervisor,
                    ..
                } => Some([Some(*officer), *supervisor]),
                _ => None,
            })
            .flatten()
            .flatten()
            .collect();
        let names = staff_names(&mut tx, &mentioned).await?;
        let desk = desk::desk(&mut tx, row.subject_id, &tool, &actor.audit_name()).await?;
        let may = tx
            .case_access()
            .map(|access| CaseWork::of(actor, access))
            .unwrap_or_default();
        let in_force = timeline.in_force();
        let safeguarding = self.safeguarding_in(&mut tx, &row, &in_force, now).await?;
        tx.commit().await?;
        let clock = case::clock(&in_force, &clock_rules(&row, &tool));
        let superseded_by: HashMap<EventId, EventId> = timeline
            .all()
            .iter()
            .filter_map(|e| e.supersedes.map(|s| (s, e.id)))
            .collect();
        let events = timeline
            .all()
            .iter()
            .map(|e| EventView {
                id: e.id,
                kind: e.kind(),
                label: e.kind().label(),
                summary: describe(&e.fact, &names),
                occurred_at: e.occurred_at,
                recorded_at: e.recorded_at,
                recorded_by: e.recorded_by.clone(),
                entry: e.entry,
                supersedes: e.supersedes,
                superseded_by: superseded_by.get(&e.id).copied(),
                rationale: e.rationale.clone(),
                fact: e.fact.clone(),
            })
            .collect();
        let name = |id: Option<StaffId>| id.and_then(|id| names.get(&id).cloned());
        let now_ts = instant(now);
        Ok(CaseView {
            case: row.id,
            subject: row.subject_id,
            status: row.now.status.as_str(),
            band: clock.band,
            band_label: clock.band.label(),
            officer: name(row.now.officer),
            supervisor: name(row.now.supervisor),
            received_at: instant(row.received_at),
            opened_at: instant(row.opened_at),
            urgency: clock.urgency(tool.timescales(), now_ts),
            clock_text: clock_text(&clock, now_ts),
            warrants: warrants(&in_force),
            stages: case::stages(&in_force, instant(row.received_at)),
            open_work: timeline.open_work(),
            next_warrant: timeline.next_warrant(),
            tasks: timeline
                .open_tasks()
                .into_iter()
                .map(|(task, text, due)| TaskView {
                    task,
                    text,
                    due,
                    overdue: due < crate::time::london_date(now_ts),
                })
                .collect(),
            next_task: timeline.next_task(),
            events,
            clock,
            may,
            profile: desk.profile,
            referrals: desk.referrals,
            band_reasons: desk.band,
            safeguarding,
        })
    }

    /// The case opened on a subject, if there is one the person may see.
    pub async fn case_of_subject(
        &self,
        actor: &Actor,
        subject: SubjectId,
        why: Why,
    ) -> Result<Option<CaseId>> {
        let tx = self.db().begin_read().await?;
        let mut tx = self
            .authorise_case(tx, actor, Action::ViewCase, subject, why)
            .await?;
        let case = tx.case_of_subject(subject).await?.map(|c| c.id);
        tx.commit().await?;
        Ok(case)
    }

    /// The warrant types a force applies for: code and name.
    pub async fn warrant_types(&self) -> Result<Vec<(String, String)>> {
        let mut tx = self.db().begin_read().await?;
        let types = tx.warrant_types().await?;
        tx.commit().await?;
        Ok(types)
    }
}
