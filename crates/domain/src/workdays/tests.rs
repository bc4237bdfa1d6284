use super::*;
use jiff::civil::date;

fn calendar() -> WorkingCalendar {
    WorkingCalendar::england_and_wales()
}

#[test]
fn weekends_and_bank_holidays_are_not_working_days() {
    let c = calendar();
    assert!(c.is_working_day(date(2026, 12, 4)).unwrap(), "a Friday");
    assert!(!c.is_working_day(date(2026, 12, 5)).unwrap(), "a Saturday");
    assert!(
        !c.is_working_day(date(2026, 8, 31)).unwrap(),
        "the summer bank holiday"
    );
    assert_eq!(
        c.holiday(date(2026, 12, 28)),
        Some("Boxing Day (substitute day)")
    );
}

#[test]
fn the_next_working_day_skips_weekends_and_holidays() {
    let c = calendar();
    // Friday → Monday.
    assert_eq!(
        c.add_working_days(date(2026, 12, 4), 1).unwrap(),
        date(2026, 12, 7)
    );
    // Good Friday 2026 (3 April) and Easter Monday (6 April): a referral on Thursday 2 April is due Tuesday.
    assert_eq!(
        c.add_working_days(date(2026, 4, 2), 1).unwrap(),
        date(2026, 4, 7)
    );
    // From a Saturday, the next working day is the Monday.
    assert_eq!(
        c.add_working_days(date(2026, 12, 5), 1).unwrap(),
        date(2026, 12, 7)
    );
    assert_eq!(
        c.add_working_days(date(2026, 12, 4), 0).unwrap(),
        date(2026, 12, 4)
    );
}

#[test]
fn christmas_and_the_new_year_are_counted_across_the_year_end() {
    let c = calendar();
    // Thursday 24 December 2026: Christmas Day (Friday), the weekend, Boxing Day's substitute (Monday 28th).
    assert_eq!(
        c.add_working_days(date(2026, 12, 24), 1).unwrap(),
        date(2026, 12, 29)
    );
    // Thursday 31 December 2026: New Year's Day (Friday) and the weekend.
    assert_eq!(
        c.add_working_days(date(2026, 12, 31), 1).unwrap(),
        date(2027, 1, 4)
    );
    // 2027 ends on a Friday; 1 January 2028 is a Saturday, so its holiday is Monday 3 January.
    assert_eq!(
        c.add_working_days(date(2027, 12, 31), 1).unwrap(),
        date(2028, 1, 4)
    );
    assert_eq!(
        c.working_days_between(date(2026, 12, 24), date(2027, 1, 4))
            .unwrap(),
        4,
        "29, 30 and 31 December and 4 January"
    );
    assert_eq!(
        c.working_days_between(date(2026, 12, 4), date(2026, 12, 4))
            .unwrap(),
        0
    );
}

#[test]
fn a_date_the_list_does_not_cover_is_refused_not_guessed() {
    let c = calendar();
    let past = c.is_working_day(date(2029, 1, 2)).unwrap_err();
    assert!(past.to_string().contains("load a newer list"), "{past}");
    let running_out = c.add_working_days(date(2028, 12, 29), 1).unwrap_err();
    assert!(
        matches!(running_out, CalendarError::NotCovered { .. }),
        "{running_out:?}"
    );
}

#[test]
fn a_list_with_a_bad_line_is_refused_naming_it() {
    let bad = "date,name\n2029-01-01,New Year's Day\n2029-13-01,Nonsense\n";
    assert_eq!(
        WorkingCalendar::from_csv(bad).unwrap_err().to_string(),
        "bank holidays line 3: \"2029-13-01\" is not a date (YYYY-MM-DD)"
    );
    let twice = "date,name\n2029-01-01,New Year's Day\n2029-01-01,Again\n";
    assert!(
        WorkingCalendar::from_csv(twice)
            .unwrap_err()
            .to_string()
            .contains("listed twice")
    );
    assert_eq!(
        WorkingCalendar::from_csv("date,name\n"),
        Err(CalendarError::Empty)
    );
    let newer = WorkingCalendar::from_csv("date,name\n2029-01-01,New Year's Day\n").unwrap();
    assert!(!newer.is_working_day(date(2029, 1, 1)).unwrap());
}

#[test]
fn the_shipped_list_has_eight_holidays_a_year() {
    let c = calendar();
    for year in 2024..=2028 {
        let count = c.holidays.keys().filter(|d| d.year() == year).count();
        assert_eq!(count, 8, "{year}");
    }
}

#[test]
fn the_list_is_given_back_in_date_order_with_its_years() {
    let c = WorkingCalendar::from_csv(
        "date,name\n2029-12-25,Christmas Day\n2029-01-01,New Year's Day\n",
    )
    .unwrap();
    let listed: Vec<(Date, &str)> = c.holidays().collect();
    assert_eq!(
        listed,
        [
            (date(2029, 1, 1), "New Year's Day"),
            (date(2029, 12, 25), "Christmas Day")
        ]
    );
    assert_eq!(c.years(), (2029, 2029));
    assert_eq!(calendar().years(), (2024, 2028));
}
