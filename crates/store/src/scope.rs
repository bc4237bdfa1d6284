//! How far an authorised access reaches, and the proof ([`Scope`]) that it was logged.
//!
//! Depends on the domain only.

use crate::{Result, StoreError};
use severn_domain::ids::{OrgId, StaffId, SubjectId};

/// How far an authorised read reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Everything: a system operator.
    Everything,
    /// The cases one force owns.
    Force(OrgId),
    /// One case.
    Case(SubjectId),
    /// Two cases (a merge).
    Cases(SubjectId, SubjectId),
    /// No personal data (aggregates, staff administration).
    NoPersonalData,
    /// The cases shared with this person (of any force), not restricted: their worklist "Shared with me".
    SharedWith(StaffId),
    /// The audit log's entries of one organisation (`None`: every organisation's, for an operator). An
    /// auditor reads what their own organisation's people did, not what other organisations searched for,
    /// justified or signed in from.
    AuditLog(Option<OrgId>),
}

/// Proof that an access was authorised and logged in this transaction.
#[derive(Debug, Clone)]
pub struct Scope {
    pub(crate) reach: Reach,
}

impl Scope {
    /// The scope of an access whose audit entry is written (or, in a SQLite read, waits for the commit).
    pub(crate) fn logged(reach: Reach) -> Scope {
        Scope { reach }
    }

    /// Whether the scope covers a case owned by `owner`.
    pub fn covers(&self, subject: SubjectId, owner: Option<OrgId>) -> bool {
        match self.reach {
            Reach::Everything => true,
            Reach::Force(org) => owner == Some(org),
            Reach::Case(id) => id == subject,
            Reach::Cases(a, b) => a == subject || b == subject,
            Reach::NoPersonalData | Reach::AuditLog(_) | Reach::SharedWith(_) => false,
        }
    }

    /// The force a list is confined to, if any; `Err` when the scope reaches no list of cases.
    pub fn list_owner(&self) -> Result<Option<OrgId>> {
        match self.reach {
            Reach::Everything => Ok(None),
            Reach::Force(org) => Ok(Some(org)),
            Reach::Case(_)
            | Reach::Cases(..)
            | Reach::NoPersonalData
            | Reach::AuditLog(_)
            | Reach::SharedWith(_) => Err(StoreError::OutOfScope),
        }
    }
}
