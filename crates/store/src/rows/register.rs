//! The staff register: posts, capacity, working days and absences.

use jiff::civil::Date;
use severn_domain::ids::StaffId;

/// A person's post, how many live cases they are meant to carry, and the days they work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffProfileRow {
    pub staff_id: StaffId,
    pub post: String,
    pub capacity: i64,
    /// Monday = 1, Tuesday = 2, ... Sunday = 64 (`severn_domain::allocation::WorkingDays`).
    pub working_days: i64,
    /// Where notices about their cases are e-mailed.
    pub email: Option<String>,
}

/// A notice about a case's deadline, to one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRow {
    pub id: i64,
    pub case_id: severn_domain::ids::CaseId,
    pub staff_id: StaffId,
    /// `due_soon` or `overdue`.
    pub kind: String,
    pub due_at: i64,
    pub created_at: i64,
    pub emailed_at: Option<i64>,
}

/// An absence, from its first to its last day, both included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsenceRow {
    pub staff_id: StaffId,
    pub first_day: Date,
    pub last_day: Date,
    pub reason: String,
}
