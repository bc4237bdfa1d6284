//! Times as Severn gives them out. Stored as Unix seconds; JSON answers and `--json` outputs give a
//! [`Timestamp`], which serialises as RFC 3339 in UTC (`2026-12-04T05:00:00Z`), one format everywhere (the
//! OpenAPI document says `format: date-time`); people read Europe/London with the zone ([`london`]).

use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::sync::LazyLock;

/// A stored time. Stored times lie well inside the years jiff can represent (−9999 to 9999); one that did
/// not is shown at the nearer end rather than failing the page that shows it.
pub fn instant(unix_seconds: i64) -> Timestamp {
    Timestamp::from_second(unix_seconds).unwrap_or(if unix_seconds < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// Europe/London: from the system's time zone database, or the copy built in where the system has none.
fn london_zone() -> TimeZone {
    static LONDON: LazyLock<TimeZone> = LazyLock::new(|| {
        TimeZone::get("Europe/London").expect("the built-in time zone database holds Europe/London")
    });
    LONDON.clone()
}

/// A time as people read it: Europe/London, with the zone (`2026-12-03 14:05 GMT`, `2026-07-01 15:05 BST`).
pub fn london(time: Timestamp) -> String {
    time.to_zoned_datetime(london_zone())
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// The date in Europe/London at `time`: training, absences and audit periods are counted in the force's days.
pub fn london_date(time: Timestamp) -> jiff::civil::Date {
    time.to_zoned_datetime(london_zone()).date()
}

/// The first instant of a date in Europe/London (midnight, whatever the clocks did that night).
pub fn start_of_london_day(date: jiff::civil::Date) -> Timestamp {
    date.to_zoned_datetime(london_zone())
        .map(|zoned| zoned.timestamp())
        .unwrap_or(Timestamp::MIN)
}

/// The instant figures are "as known at", as typed: a date is the end of that day in Europe/London (what had
/// been recorded by midnight), or an instant such as `2026-03-01T12:00:00Z` as an audit printed it.
pub fn parse_known_at(typed: &str) -> Result<Timestamp, String> {
    let typed = typed.trim();
    if let Ok(date) = typed.parse::<jiff::civil::Date>() {
        return date
            .tomorrow()
            .map(start_of_london_day)
            .map_err(|_| format!("{typed}: not a date Severn can count to"));
    }
    typed.parse::<Timestamp>().map_err(|_| {
        format!(
            "{typed:?} is neither a date (YYYY-MM-DD) nor an instant (such as 2026-03-01T12:00:00Z)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_at_is_the_end_of_a_day_typed_or_the_instant_printed() {
        // 31 March 2026 is in summer time: its day ends at 23:00 UTC.
        assert_eq!(
            parse_known_at("2026-03-31").unwrap(),
            "2026-03-31T23:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(
            parse_known_at(" 2026-03-01T12:00:00Z ").unwrap(),
            "2026-03-01T12:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert!(
            parse_known_at("yesterday")
                .unwrap_err()
                .contains("neither a date")
        );
    }

    fn at(rfc3339: &str) -> Timestamp {
        rfc3339.parse().unwrap()
    }

    #[test]
    fn times_are_shown_in_london_with_the_zone_across_summer_time() {
        assert_eq!(london(at("2026-12-03T14:05:00Z")), "2026-12-03 14:05 GMT");
        assert_eq!(london(at("2026-07-01T14:05:00Z")), "2026-07-01 15:05 BST");
        // Summer time begins at 01:00 UTC on the last Sunday of March and ends at 01:00 UTC on the last
        // Sunday of October.
        assert_eq!(london(at("2026-03-29T00:59:00Z")), "2026-03-29 00:59 GMT");
        assert_eq!(london(at("2026-03-29T01:00:00Z")), "2026-03-29 02:00 BST");
        assert_eq!(london(at("2026-10-25T00:59:00Z")), "2026-10-25 01:59 BST");
        assert_eq!(london(at("2026-10-25T01:00:00Z")), "2026-10-25 01:00 GMT");
    }

    #[test]
    fn london_days_begin_at_london_midnight() {
        let summer = jiff::civil::date(2026, 7, 1);
        assert_eq!(start_of_london_day(summer), at("2026-06-30T23:00:00Z"));
        assert_eq!(london_date(at("2026-06-30T23:30:00Z")), summer);
        let winter = jiff::civil::date(2026, 12, 1);
        assert_eq!(start_of_london_day(winter), at("2026-12-01T00:00:00Z"));
    }

    #[test]
    fn json_gives_rfc3339_in_utc() {
        let time = instant(at("2026-07-01T14:05:00Z").as_second());
        assert_eq!(
            serde_json::to_string(&time).unwrap(),
            "\"2026-07-01T14:05:00Z\""
        );
    }

    #[test]
    fn a_time_past_what_can_be_shown_is_shown_at_the_nearer_end() {
        assert_eq!(instant(i64::MAX), Timestamp::MAX);
        assert_eq!(instant(i64::MIN), Timestamp::MIN);
    }
}
