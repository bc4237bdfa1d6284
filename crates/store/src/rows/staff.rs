//! Organisations and staff, who a case is shared with or restricted to, and staff changes waiting for a
//! second administrator.

use crate::{Result, StoreError};
use severn_domain::access::{Actor, OrgKind, Role, StaffKind};
use severn_domain::ids::{OrgId, StaffId, TeamId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRow {
    pub id: OrgId,
    pub code: String,
    pub name: String,
    pub kind: OrgKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRow {
    pub id: StaffId,
    pub org_id: OrgId,
    pub org_kind: OrgKind,
    pub team_id: Option<TeamId>,
    pub username: String,
    pub display_name: String,
    pub kind: StaffKind,
    pub active: bool,
    pub created_at: i64,
    pub roles: Vec<Role>,
}

impl StaffRow {
    /// The actor this member of staff acts as.
    pub fn actor(&self) -> Actor {
        match self.kind {
            StaffKind::Service => Actor::Service {
                id: self.id,
                name: self.username.clone(),
                org: self.org_id,
            },
            StaffKind::Person => Actor::Staff {
                id: self.id,
                username: self.username.clone(),
                org: self.org_id,
                org_kind: self.org_kind,
                roles: self.roles.clone(),
            },
        }
    }
}

/// A member of staff to create.
#[derive(Debug, Clone)]
pub struct NewStaff {
    pub org_id: OrgId,
    pub team_id: Option<TeamId>,
    pub username: String,
    pub display_name: String,
    pub kind: StaffKind,
    pub roles: Vec<Role>,
    pub created_at: i64,
}

/// Someone a case is shared with, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareRow {
    pub username: String,
    pub display_name: String,
    /// The name of the organisation the person is in.
    pub org_name: String,
    pub reason: String,
    pub shared_by: String,
    pub shared_at: i64,
}

/// A named person a case is restricted to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedStaff {
    pub username: String,
    pub display_name: String,
}

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffChangeKind {
    /// A new account with the roles asked for.
    Add,
    /// A new password and authenticator for an existing person.
    Reset,
}

impl StaffChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StaffChangeKind::Add => "add",
            StaffChangeKind::Reset => "reset",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<StaffChangeKind> {
        match s {
            "add" => Ok(StaffChangeKind::Add),
            "reset" => Ok(StaffChangeKind::Reset),
            other => Err(StoreError::Corrupt(format!("staff change kind {other:?}"))),
        }
    }
}

/// Where a request stands. A pending request past its `expires_at` can no longer be decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffChangeStatus {
    Pending,
    Approved,
    Rejected,
}

impl StaffChangeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StaffChangeStatus::Pending => "pending",
            StaffChangeStatus::Approved => "approved",
            StaffChangeStatus::Rejected => "rejected",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<StaffChangeStatus> {
        match s {
            "pending" => Ok(StaffChangeStatus::Pending),
            "approved" => Ok(StaffChangeStatus::Approved),
            "rejected" => Ok(StaffChangeStatus::Rejected),
            other => Err(StoreError::Corrupt(format!(
                "staff change status {other:?}"
            ))),
        }
    }
}

/// A request to store.
#[derive(Debug, Clone)]
pub struct NewStaffChange {
    pub org_id: OrgId,
    pub kind: StaffChangeKind,
    /// The account to reset; `None` for an addition.
    pub staff_id: Option<StaffId>,
    pub team_id: Option<TeamId>,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub requested_by: StaffId,
    pub requested_at: i64,
    pub expires_at: i64,
}

/// A stored request, with the user name of the administrator who made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffChangeRow {
    pub id: i64,
    pub org_id: OrgId,
    pub org_kind: OrgKind,
    pub kind: StaffChangeKind,
    pub staff_id: Option<StaffId>,
    pub team_id: Option<TeamId>,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub requested_by: StaffId,
    pub requested_by_name: String,
    pub requested_at: i64,
    pub expires_at: i64,
    pub status: StaffChangeStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
}
