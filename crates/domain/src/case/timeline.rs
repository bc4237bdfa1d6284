//! The timeline: which events are in force, and the rules an event must meet to be added.

use super::{Event, EventKind, Fact, LATE_AFTER, NewEvent};
use crate::ids::EventId;
use crate::text::{FreeText, TextError};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// How far ahead of the recording clock an event may be dated: clocks on people's devices drift.
const CLOCK_SKEW: SignedDuration = SignedDuration::from_mins(5);

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
    /// A support referral cannot take this step from where it stands.
    Lifecycle {
        step: super::safeguarding::SupportStep,
        status: super::safeguarding::SupportStatus,
        why: &'static str,
    },
    /// An age of 18 or more, or one outside the age band given.
    NotAChild(u8),
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
            Refusal::Lifecycle { step, status, why } => format!(
                "\"{}\" cannot be recorded: {why} (the referral is at \"{}\").",
                step.label(),
                status.label().to_lowercase()
            ),
            Refusal::NotAChild(age) => format!(
                "An age of {age} is not in the age band given, or is not a child's (under 18)."
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
            Fact::TaskSet { task, .. }
                if events
                    .iter()
                    .any(|e| e.kind() == EventKind::TaskSet && e.fact.task() == Some(*task)) =>
            {
                return Err(Refusal::Already {
                    kind,
                    what: "a task with this number is on the case already",
                });
            }
            Fact::TaskDone { task } => {
                let of = |kind: EventKind| {
                    events
                        .iter()
                        .find(|e| e.kind() == kind && e.fact.task() == Some(*task))
                };
                match of(EventKind::TaskSet) {
                    Some(set) if set.occurred_at <= at => {}
                    _ => return needs("the task to have been set"),
                }
                if of(EventKind::TaskDone).is_some() {
                    return Err(Refusal::Already {
                        kind,
                        what: "this task is recorded as done already",
                    });
                }
            }
            fact if fact.is_safeguarding() => {
                super::safeguarding::check_order(&events, fact, at)?;
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

    /// The number the next task set on the case takes.
    pub fn next_task(&self) -> u32 {
        self.events
            .iter()
            .filter_map(|e| e.fact.task())
            .max()
            .map_or(1, |n| n + 1)
    }

    /// The tasks set and not done, in number order: (number, what, due).
    pub fn open_tasks(&self) -> Vec<(u32, String, jiff::civil::Date)> {
        let events = self.in_force();
        let done: BTreeSet<u32> = events
            .iter()
            .filter(|e| e.kind() == EventKind::TaskDone)
            .filter_map(|e| e.fact.task())
            .collect();
        let mut open: Vec<(u32, String, jiff::civil::Date)> = events
            .iter()
            .filter_map(|e| match &e.fact {
                Fact::TaskSet { task, text, due } if !done.contains(task) => {
                    Some((*task, text.clone(), *due))
                }
                _ => None,
            })
            .collect();
        open.sort_by_key(|(task, ..)| *task);
        open
    }

    /// The number the next of something numbered within the case takes (a child, a joint plan, a support
    /// referral): one more than the highest `number` gives.
    pub fn next_number(&self, number: impl Fn(&Fact) -> Option<u32>) -> u32 {
        self.events
            .iter()
            .filter_map(|e| number(&e.fact))
            .max()
            .map_or(1, |n| n + 1)
    }

    /// The number the next action of a joint plan takes.
    pub fn next_plan_action(&self, plan: u32) -> u32 {
        self.next_number(|f| match f {
            Fact::PlanAction {
                plan: p, action, ..
            } if *p == plan => Some(*action),
            _ => None,
        })
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
        if !self.open_tasks().is_empty() {
            open.push("a task set on the case is not done");
        }
        open.extend(super::safeguarding::open_work(&events));
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
