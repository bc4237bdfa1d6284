//! Working days in England and Wales: Monday to Friday, less the bank holidays. A local authority decides on a
//! referral to children's social care within one working day, and a force sets its own target for sending one;
//! both are counted here. The bank holidays are data (`data/bank-holidays-england-and-wales.csv`, shipped, and
//! replaceable by a newer list), never code, and a date past the list's last year is refused rather than
//! guessed at: a deadline counted without the holidays would be wrong without anyone noticing.

use jiff::civil::{Date, Weekday};
use std::collections::BTreeMap;

/// The list Severn ships: England and Wales, 2024 to 2028.
pub const ENGLAND_AND_WALES: &str = include_str!("../data/bank-holidays-england-and-wales.csv");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("bank holidays line {line}: {problem}")]
    Line { line: usize, problem: String },
    #[error("the bank holiday list is empty")]
    Empty,
    /// A date the list does not cover: its working days cannot be known.
    #[error(
        "{date} is outside the bank holidays Severn holds ({first} to {last}): load a newer list first"
    )]
    NotCovered { date: Date, first: i16, last: i16 },
}

/// The bank holidays of whole years, and the working days they leave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    holidays: BTreeMap<Date, String>,
    first_year: i16,
    last_year: i16,
}

impl WorkingCalendar {
    /// The shipped England and Wales list.
    pub fn england_and_wales() -> WorkingCalendar {
        WorkingCalendar::from_csv(ENGLAND_AND_WALES).expect("the shipped bank holidays are valid")
    }

    /// A list as CSV, `date,name` with a header: every line is checked, and a bad one refuses the list, naming
    /// the line. The years covered run from the first date's to the last's.
    pub fn from_csv(text: &str) -> Result<WorkingCalendar, CalendarError> {
        let mut holidays = BTreeMap::new();
        for (index, row) in text.lines().enumerate().skip(1) {
            let line = index + 1;
            if row.trim().is_empty() {
                continue;
            }
            let bad = |problem: String| CalendarError::Line { line, problem };
            let (date, name) = row
                .split_once(',')
                .ok_or_else(|| bad("expected date,name".into()))?;
            let date: Date = date
                .trim()
                .parse()
                .map_err(|_| bad(format!("{:?} is not a date (YYYY-MM-DD)", date.trim())))?;
            let name = name.trim();
            if name.is_empty() || name.chars().any(char::is_control) {
                return Err(bad("the holiday needs a name, in plain text".into()));
            }
            if holidays.insert(date, name.to_owned()).is_some() {
                return Err(bad(format!("{date} is listed twice")));
            }
        }
        let (Some(first), Some(last)) = (holidays.keys().next(), holidays.keys().next_back())
        else {
            return Err(CalendarError::Empty);
        };
        Ok(WorkingCalendar {
            first_year: first.year(),
            last_year: last.year(),
            holidays,
        })
    }

    fn covers(&self, date: Date) -> Result<(), CalendarError> {
        if (self.first_year..=self.last_year).contains(&date.year()) {
            Ok(())
        } else {
            Err(CalendarError::NotCovered {
                date,
                first: self.first_year,
                last: self.last_year,
            })
        }
    }

    /// Every holiday listed, in date order.
    pub fn holidays(&self) -> impl Iterator<Item = (Date, &str)> {
        self.holidays
            .iter()
            .map(|(date, name)| (*date, name.as_str()))
    }

    /// The first and last years the list covers.
    pub fn years(&self) -> (i16, i16) {
        (self.first_year, self.last_year)
    }

    /// The bank holiday on `date`, if it is one.
    pub fn holiday(&self, date: Date) -> Option<&str> {
        self.holidays.get(&date).map(String::as_str)
    }

    pub fn is_working_day(&self, date: Date) -> Result<bool, CalendarError> {
        self.covers(date)?;
        Ok(
            !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
                && !self.holidays.contains_key(&date),
        )
    }

    /// The working day `n` working days after `date` (`n` = 1: the next working day, whatever `date` is).
    pub fn add_working_days(&self, date: Date, n: u32) -> Result<Date, CalendarError> {
        let mut day = date;
        let mut left = n;
        while left > 0 {
            day = day.tomorrow().map_err(|_| CalendarError::NotCovered {
                date: day,
                first: self.first_year,
                last: self.last_year,
            })?;
            if self.is_working_day(day)? {
                left -= 1;
            }
        }
        Ok(day)
    }

    /// Working days after `from` up to and including `to` (0 when `to` is not after `from`): how many working
    /// days something took.
    pub fn working_days_between(&self, from: Date, to: Date) -> Result<u32, CalendarError> {
        let mut count = 0;
        let mut day = from;
        while day < to {
            day = day.tomorrow().map_err(|_| CalendarError::NotCovered {
                date: day,
                first: self.first_year,
                last: self.last_year,
            })?;
            if self.is_working_day(day)? {
                count += 1;
            }
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests;
