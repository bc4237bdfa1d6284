//! A case's clock: which band it runs for, from when, paused or stopped, and how urgent it is.

use super::{Event, EventKind, Fact};
use crate::risk::{Band, Timescales};
use crate::sla::StopEvent;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

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
