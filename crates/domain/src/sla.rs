//! Enforcement-action deadlines for a priority band (HMICFRS 2023 timescales, held in the risk tool).
//!
//! A "day" is a fixed 24-hour span counted from the clock start in UTC. Deadlines are about getting to a suspect,
//! not office hours, so weekends, bank holidays and clock changes do not stretch them.

use crate::risk::{Band, RiskTool};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which event starts the clock, as configured in the tool's `[clock] starts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockStart {
    /// When the force received the referral (the default).
    ForceReceipt,
    /// When the NCA disseminated the package to the force.
    NcaDissemination,
}

impl ClockStart {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockStart::ForceReceipt => "force_receipt",
            ClockStart::NcaDissemination => "nca_dissemination",
        }
    }

    pub fn parse(value: &str) -> Option<ClockStart> {
        [ClockStart::ForceReceipt, ClockStart::NcaDissemination]
            .into_iter()
            .find(|s| s.as_str() == value.trim())
    }

    /// The instant the clock starts for a referral. A referral that did not come through the NCA has no
    /// dissemination time, so force receipt is the only start it can have.
    pub fn start_time(
        self,
        received_by_force_at: Timestamp,
        nca_disseminated_at: Option<Timestamp>,
    ) -> Timestamp {
        match (self, nca_disseminated_at) {
            (ClockStart::NcaDissemination, Some(at)) => at,
            _ => received_by_force_at,
        }
    }
}

/// Enforcement actions that stop the clock, as configured in the tool's `[clock] stops`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopEvent {
    WarrantExecuted,
    Arrest,
    VoluntaryAttendance,
}

impl StopEvent {
    pub const ALL: [StopEvent; 3] = [
        StopEvent::WarrantExecuted,
        StopEvent::Arrest,
        StopEvent::VoluntaryAttendance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StopEvent::WarrantExecuted => "warrant_executed",
            StopEvent::Arrest => "arrest",
            StopEvent::VoluntaryAttendance => "voluntary_attendance",
        }
    }

    pub fn parse(value: &str) -> Option<StopEvent> {
        StopEvent::ALL
            .into_iter()
            .find(|e| e.as_str() == value.trim())
    }
}

/// When enforcement action is due for `band`: the clock start plus the band's timescale in 24-hour days.
pub fn due_at(clock_start: Timestamp, band: Band, tool: &RiskTool) -> Timestamp {
    let days = i64::from(tool.timescales().days(band));
    // Timescales are validated to at most 366 days, so only a start at the end of time could overflow.
    clock_start
        .checked_add(SignedDuration::from_hours(days * 24))
        .unwrap_or(Timestamp::MAX)
}

/// Time remaining until a deadline; negative once it has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeLeft(SignedDuration);

impl TimeLeft {
    pub fn duration(self) -> SignedDuration {
        self.0
    }

    /// Overdue strictly after the deadline: action at the deadline itself is in time.
    pub fn is_overdue(self) -> bool {
        self.0.is_negative()
    }
}

/// Time from `now` until `due`.
pub fn time_left(due: Timestamp, now: Timestamp) -> TimeLeft {
    TimeLeft(now.duration_until(due))
}

/// Plain English, truncated to the unit shown: "5 days 3 h left", "5 h left", "40 min left",
/// "overdue by 2 days 3 h", "due now".
impl fmt::Display for TimeLeft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let size = describe(self.0.abs());
        match size {
            None => f.write_str("due now"),
            Some(size) if self.is_overdue() => write!(f, "overdue by {size}"),
            Some(size) => write!(f, "{size} left"),
        }
    }
}

/// "2 days 3 h", "1 day", "5 h", "40 min"; `None` under a minute.
fn describe(duration: SignedDuration) -> Option<String> {
    let minutes = duration.as_mins();
    let (days, hours, mins) = (minutes / (24 * 60), minutes / 60 % 24, minutes % 60);
    let day_word = if days == 1 { "day" } else { "days" };
    match (days, hours, mins) {
        (0, 0, 0) => None,
        (0, 0, m) => Some(format!("{m} min")),
        (0, h, _) => Some(format!("{h} h")),
        (d, 0, _) => Some(format!("{d} {day_word}")),
        (d, h, _) => Some(format!("{d} {day_word} {h} h")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::ILLUSTRATIVE_TOOL_V1;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    #[test]
    fn due_at_uses_default_timescales_for_each_band() {
        let tool = RiskTool::from_toml(ILLUSTRATIVE_TOOL_V1).expect("v1 parses");
        let start = ts("2025-03-28T10:00:00Z");
        // Spans the UK clock change on 30 March: deadlines stay whole 24-hour days in UTC.
        assert_eq!(
            due_at(start, Band::VeryHigh, &tool),
            ts("2025-03-29T10:00:00Z")
        );
        assert_eq!(due_at(start, Band::High, &tool), ts("2025-04-04T10:00:00Z"));
        assert_eq!(
            due_at(start, Band::Medium, &tool),
            ts("2025-04-11T10:00:00Z")
        );
        assert_eq!(due_at(start, Band::Low, &tool), ts("2025-04-27T10:00:00Z"));
    }

    #[test]
    fn clock_start_falls_back_to_force_receipt_without_dissemination() {
        let received = ts("2025-01-02T09:00:00Z");
        let disseminated = ts("2025-01-01T17:30:00Z");
        assert_eq!(
            ClockStart::ForceReceipt.start_time(received, Some(disseminated)),
            received
        );
        assert_eq!(
            ClockStart::NcaDissemination.start_time(received, Some(disseminated)),
            disseminated
        );
        assert_eq!(
            ClockStart::NcaDissemination.start_time(received, None),
            received
        );
    }

    #[test]
    fn time_left_formats_in_plain_english() {
        let due = ts("2025-01-10T12:00:00Z");
        let left = |now: &str| time_left(due, ts(now));

        let overdue = left("2025-01-12T15:30:00Z");
        assert!(overdue.is_overdue());
        assert_eq!(overdue.to_string(), "overdue by 2 days 3 h");
        assert_eq!(left("2025-01-10T07:00:00Z").to_string(), "5 h left");
        assert_eq!(left("2025-01-10T06:01:00Z").to_string(), "5 h left");
        assert_eq!(left("2025-01-09T12:00:00Z").to_string(), "1 day left");
        assert_eq!(left("2025-01-04T10:00:00Z").to_string(), "6 days 2 h left");
        assert_eq!(left("2025-01-10T11:20:00Z").to_string(), "40 min left");
        assert_eq!(
            left("2025-01-10T12:45:00Z").to_string(),
            "overdue by 45 min"
        );

        let at_deadline = left("2025-01-10T12:00:00Z");
        assert!(!at_deadline.is_overdue());
        assert_eq!(at_deadline.to_string(), "due now");
        assert_eq!(at_deadline.duration(), SignedDuration::ZERO);
    }

    #[test]
    fn clock_names_round_trip() {
        for event in StopEvent::ALL {
            assert_eq!(StopEvent::parse(event.as_str()), Some(event));
        }
        assert_eq!(StopEvent::parse("charged"), None);
        for start in [ClockStart::ForceReceipt, ClockStart::NcaDissemination] {
            assert_eq!(ClockStart::parse(start.as_str()), Some(start));
        }
    }
}
