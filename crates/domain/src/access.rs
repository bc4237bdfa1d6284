//! Who may do what: organisations, roles, and the one policy that decides every access to personal data.
//!
//! The policy is pure: it is given the person acting, what they want to do and the facts about the case
//! (which force owns it, whom it is shared with, whether it is restricted), and says allow or deny with a
//! reason. The use-case layer calls it for every request and writes the audit entry; see `severn_app::gate`.

use crate::ids::{OrgId, StaffId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The kinds of organisation Severn serves. Only forces own personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Force,
    RegionalUnit,
    Nca,
    PccOffice,
}

/// Whether an account is a person's or a machine's (a service account, which signs in with an API token only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StaffKind {
    Person,
    Service,
}

impl StaffKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StaffKind::Person => "person",
            StaffKind::Service => "service",
        }
    }

    pub fn parse(value: &str) -> Option<StaffKind> {
        [StaffKind::Person, StaffKind::Service]
            .into_iter()
            .find(|k| k.as_str() == value)
    }
}

/// A role held by a member of staff. A person may hold several.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Investigator,
    Supervisor,
    SafeguardingOfficer,
    Analyst,
    RegionalOversight,
    PccOffice,
    Auditor,
    Administrator,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Investigator,
        Role::Supervisor,
        Role::SafeguardingOfficer,
        Role::Analyst,
        Role::RegionalOversight,
        Role::PccOffice,
        Role::Auditor,
        Role::Administrator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Investigator => "investigator",
            Role::Supervisor => "supervisor",
            Role::SafeguardingOfficer => "safeguarding_officer",
            Role::Analyst => "analyst",
            Role::RegionalOversight => "regional_oversight",
            Role::PccOffice => "pcc_office",
            Role::Auditor => "auditor",
            Role::Administrator => "administrator",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::Investigator => "Investigator",
            Role::Supervisor => "Supervisor",
            Role::SafeguardingOfficer => "Safeguarding officer",
            Role::Analyst => "Analyst",
            Role::RegionalOversight => "Regional oversight",
            Role::PccOffice => "PCC's office",
            Role::Auditor => "Auditor",
            Role::Administrator => "Administrator",
        }
    }

    /// Whether the role opens personal data or the audit log: some action it permits touches personal data
    /// or reads the log. Worked out from [`Role::permits`], so the matrix is stated once.
    pub fn reaches_personal_data_or_log(self) -> bool {
        Action::ALL
            .into_iter()
            .any(|a| self.permits(a) && (a.touches_personal_data() || a == Action::ReadAudit))
    }

    /// Whether an administrator needs a second administrator's approval to give an account this role, or to
    /// reset the credentials of an account that holds it. Besides the roles that open personal data or the
    /// log, this is the role that manages staff: were it granted alone, one administrator could make a
    /// second and approve their own requests with it.
    pub fn needs_second_approval(self) -> bool {
        self.reaches_personal_data_or_log() || self.permits(Action::ManageStaff)
    }

    /// What this role may do, whatever the case.
    fn permits(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Investigator => matches!(
                action,
                ViewQueue
                    | ViewCase
                    | Search
                    | Assess
                    | MergeSplit
                    | ViewAggregates
                    | OpenCase
                    | RecordEvent
                    | Safeguard
            ),
            Role::Supervisor => matches!(
                action,
                ViewQueue
                    | ViewCase
                    | Search
                    | Assess
                    | Override
                    | MergeSplit
                    | Share
                    | Restrict
                    | Export
                    | ViewAggregates
                    | OpenCase
                    | RecordEvent
                    | Allocate
                    | Safeguard
            ),
            Role::SafeguardingOfficer => matches!(
                action,
                ViewQueue | ViewCase | Search | ViewAggregates | Safeguard | ManageSupportServices
            ),
            Role::Analyst => matches!(
                action,
                ViewQueue | ViewCase | Search | Export | ViewAggregates
            ),
            Role::RegionalOversight => matches!(action, ViewAggregates),
            Role::PccOffice => matches!(action, ViewAggregates | ManageSupportServices),
            Role::Auditor => matches!(action, ReadAudit | ViewAggregates),
            Role::Administrator => {
                matches!(action, ManageStaff | ViewAggregates | ManageSupportServices)
            }
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?}"))
    }
}

impl OrgKind {
    pub const ALL: [OrgKind; 4] = [
        OrgKind::Force,
        OrgKind::RegionalUnit,
        OrgKind::PccOffice,
        OrgKind::Nca,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Force => "force",
            OrgKind::RegionalUnit => "regional_unit",
            OrgKind::Nca => "nca",
            OrgKind::PccOffice => "pcc_office",
        }
    }
}

impl FromStr for OrgKind {
    type Err = String;
    fn from_str(s: &str) -> Result<OrgKind, String> {
        OrgKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown organisation kind {s:?}"))
    }
}

/// Everything Severn lets someone do, as the policy sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The force's open work (names and identifiers of subjects).
    ViewQueue,
    /// A referral or subject, with its identifiers and children.
    ViewCase,
    /// Search by identifier within what the person may see.
    Search,
    /// Answer the risk tool's questions for a subject.
    Assess,
    /// Override a band (needs a rationale), or sign off an assessment someone else made.
    Override,
    /// Merge or split subjects.
    MergeSplit,
    /// Share a case with a named person outside the owning force, who may then read it and nothing more.
    Share,
    /// Restrict a case to named people of its own force.
    Restrict,
    /// Export personal data (a disclosure).
    Export,
    /// Counts and timeliness without personal data.
    ViewAggregates,
    /// Read the statutory audit log.
    ReadAudit,
    /// Manage staff accounts and roles.
    ManageStaff,
    /// Take referrals in (people with the operator's access, or a service account).
    Ingest,
    /// Install a risk tool version and make it the active one. One tool serves every force on the system, so
    /// no role of one force may change it: operators only.
    InstallRiskTool,
    /// Measure linking against a synthetic corpus's ground truth: reads which subject every referral of every
    /// force is in. Operators only.
    MeasureLinking,
    /// Open a case on a subject from the queue.
    OpenCase,
    /// Add an event to a case's timeline (research, warrants, arrests, devices, outcomes, corrections).
    RecordEvent,
    /// Give a case an officer in charge and a supervisor, overriding the allocation policy with a rationale
    /// when the officer lacks a skill it requires; change a case's band; return a case to the NCA.
    Allocate,
    /// Install an allocation policy version and make it the active one. Like the risk tool, one policy
    /// serves every force on the system: operators only.
    InstallAllocationPolicy,
    /// Record the children a case identifies, their referrals to children's social care, strategy discussions
    /// and joint plans, and their referrals to support services.
    Safeguard,
    /// Keep a force's directory of commissioned support services (names no one: not personal data).
    ManageSupportServices,
    /// Load a newer version of a reference list (the bank holidays, the local authorities) and make it the one
    /// in force. The lists serve every force on the system and name no one: operators only.
    InstallReferenceList,
}

impl Action {
    pub const ALL: [Action; 22] = [
        Action::ViewQueue,
        Action::ViewCase,
        Action::Search,
        Action::Assess,
        Action::Override,
        Action::MergeSplit,
        Action::Share,
        Action::Restrict,
        Action::Export,
        Action::ViewAggregates,
        Action::ReadAudit,
        Action::ManageStaff,
        Action::Ingest,
        Action::InstallRiskTool,
        Action::MeasureLinking,
        Action::OpenCase,
        Action::RecordEvent,
        Action::Allocate,
        Action::InstallAllocationPolicy,
        Action::Safeguard,
        Action::ManageSupportServices,
        Action::InstallReferenceList,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::ViewQueue => "view_queue",
            Action::ViewCase => "view_case",
            Action::Search => "search",
            Action::Assess => "assess",
            Action::Override => "override",
            Action::MergeSplit => "merge_split",
            Action::Share => "share",
            Action::Restrict => "restrict",
            Action::Export => "export",
            Action::ViewAggregates => "view_aggregates",
            Action::ReadAudit => "read_audit",
            Action::ManageStaff => "manage_staff",
            Action::Ingest => "ingest",
            Action::InstallRiskTool => "install_risk_tool",
            Action::MeasureLinking => "measure_linking",
            Action::OpenCase => "open_case",
            Action::RecordEvent => "record_event",
            Action::Allocate => "allocate",
            Action::InstallAllocationPolicy => "install_allocation_policy",
            Action::Safeguard => "safeguard",
            Action::ManageSupportServices => "manage_support_services",
            Action::InstallReferenceList => "install_reference_list",
        }
    }

    /// The action in plain words, for the audit log's readers.
    pub fn label(self) -> &'static str {
        match self {
            Action::ViewQueue => "Looked at the queue or a worklist",
            Action::ViewCase => "Read a case",
            Action::Search => "Searched by identifier",
            Action::Assess => "Assessed a subject",
            Action::Override => "Overrode a band or signed off an assessment",
            Action::MergeSplit => "Merged or split subjects",
            Action::Share => "Shared a case",
            Action::Restrict => "Restricted a case",
            Action::Export => "Exported",
            Action::ViewAggregates => "Looked at figures",
            Action::ReadAudit => "Read the audit log",
            Action::ManageStaff => "Managed staff",
            Action::Ingest => "Took in referrals",
            Action::InstallRiskTool => "Installed a risk tool version",
            Action::MeasureLinking => "Measured linking quality",
            Action::OpenCase => "Opened a case",
            Action::RecordEvent => "Recorded on a case",
            Action::Allocate => "Allocated, re-banded or returned a case",
            Action::InstallAllocationPolicy => "Installed an allocation policy version",
            Action::Safeguard => "Recorded safeguarding on a case",
            Action::ManageSupportServices => "Changed the support services directory",
            Action::InstallReferenceList => "Loaded a reference list",
        }
    }

    /// The action an audit entry names, if it is one of these.
    pub fn parse(value: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == value)
    }

    /// Whether the action reaches personal data, and so is confined to the owning force.
    pub fn touches_personal_data(self) -> bool {
        !matches!(
            self,
            Action::ViewAggregates
                | Action::ReadAudit
                | Action::ManageStaff
                | Action::InstallRiskTool
                | Action::InstallAllocationPolicy
                | Action::ManageSupportServices
                | Action::InstallReferenceList
        )
    }

    /// The DPA 2018 s.62 category the audit log records the action under.
    pub fn processing(self) -> Processing {
        match self {
            Action::ViewQueue | Action::ViewCase | Action::Search | Action::ViewAggregates => {
                Processing::Consultation
            }
            Action::ReadAudit => Processing::Consultation,
            Action::Assess | Action::Override | Action::Restrict | Action::ManageStaff => {
                Processing::Alteration
            }
            Action::MergeSplit => Processing::Combination,
            Action::Share | Action::Export => Processing::Disclosure,
            Action::Ingest => Processing::Collection,
            Action::InstallRiskTool => Processing::Alteration,
            Action::MeasureLinking => Processing::Consultation,
            Action::OpenCase | Action::RecordEvent | Action::Allocate => Processing::Alteration,
            Action::InstallAllocationPolicy | Action::InstallReferenceList => {
                Processing::Alteration
            }
            Action::Safeguard | Action::ManageSupportServices => Processing::Alteration,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an audit entry records: the kinds of processing DPA 2018 s.62(1) requires logs of, and `security`
/// for sign-ins and other events about accounts rather than personal data. The words are part of each
/// entry's chain MAC: they never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Processing {
    Collection,
    Alteration,
    Consultation,
    Disclosure,
    Combination,
    Erasure,
    Security,
}

impl Processing {
    pub const ALL: [Processing; 7] = [
        Processing::Collection,
        Processing::Alteration,
        Processing::Consultation,
        Processing::Disclosure,
        Processing::Combination,
        Processing::Erasure,
        Processing::Security,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Processing::Collection => "collection",
            Processing::Alteration => "alteration",
            Processing::Consultation => "consultation",
            Processing::Disclosure => "disclosure",
            Processing::Combination => "combination",
            Processing::Erasure => "erasure",
            Processing::Security => "security",
        }
    }

    pub fn parse(value: &str) -> Option<Processing> {
        Processing::ALL.into_iter().find(|p| p.as_str() == value)
    }
}

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Actor {
    /// A member of staff (or a service account) signed in to Severn.
    Staff {
        id: StaffId,
        username: String,
        org: OrgId,
        org_kind: OrgKind,
        roles: Vec<Role>,
    },
    /// A machine feed (the NCA's) with an API token: it may take referrals in for its organisation, nothing else.
    Service {
        id: StaffId,
        name: String,
        org: OrgId,
    },
    /// Someone at the server's command line with access to the database itself (a system operator). They can
    /// do everything, and everything they do is logged under their operating-system name.
    Operator { name: String },
}

impl Actor {
    /// How the audit log names the actor.
    pub fn audit_name(&self) -> String {
        match self {
            Actor::Staff { username, .. } => username.clone(),
            Actor::Service { name, .. } => format!("service:{name}"),
            Actor::Operator { name } => format!("operator:{name}"),
        }
    }

    pub fn org(&self) -> Option<OrgId> {
        match self {
            Actor::Staff { org, .. } | Actor::Service { org, .. } => Some(*org),
            Actor::Operator { .. } => None,
        }
    }

    pub fn staff_id(&self) -> Option<StaffId> {
        match self {
            Actor::Staff { id, .. } | Actor::Service { id, .. } => Some(*id),
            Actor::Operator { .. } => None,
        }
    }

    pub fn has_role(&self, role: Role) -> bool {
        match self {
            Actor::Staff { roles, .. } => roles.contains(&role),
            Actor::Service { .. } | Actor::Operator { .. } => false,
        }
    }
}

/// The facts about one case (a subject with its referrals) that decide who may see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseAccess {
    /// The force that owns the case.
    pub owner: Option<OrgId>,
    /// When restricted, only these people of the owning force may open it (auditors read the log, not the
    /// case). A restriction narrows access within the force; it never reaches outside it.
    pub restricted_to: Option<Vec<StaffId>>,
    /// People outside the owning force the case has been shared with.
    pub shared_with: Vec<StaffId>,
}

impl CaseAccess {
    pub fn owned_by(org: OrgId) -> CaseAccess {
        CaseAccess {
            owner: Some(org),
            ..CaseAccess::default()
        }
    }
}

/// Why access was refused, in words the person can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// None of the person's roles allows the action.
    Role,
    /// The case belongs to another force and has not been shared with the person.
    OtherForce,
    /// The case is restricted to named people and the person is not one of them.
    Restricted,
    /// Personal data needs a case-by-case decision, and this organisation sees aggregates only.
    AggregatesOnly,
}

impl Denial {
    pub fn as_str(self) -> &'static str {
        match self {
            Denial::Role => "role",
            Denial::OtherForce => "other_force",
            Denial::Restricted => "restricted",
            Denial::AggregatesOnly => "aggregates_only",
        }
    }

    pub fn explain(self) -> &'static str {
        match self {
            Denial::Role => "Your role does not allow this.",
            Denial::OtherForce => {
                "This case belongs to another force and has not been shared with you."
            }
            Denial::Restricted => {
                "This case is restricted to named people, and you are not one of them."
            }
            Denial::AggregatesOnly => {
                "Your organisation sees figures across forces, not the details of cases."
            }
        }
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.explain())
    }
}

/// The policy. `case` is the case the action is on, when it is on one; actions over many cases (the queue,
/// search, export) pass `None` and are then confined to the person's own force by the storage query.
pub fn decide(actor: &Actor, action: Action, case: Option<&CaseAccess>) -> Result<(), Denial> {
    let (id, org, org_kind, roles) = match actor {
        Actor::Operator { .. } => return Ok(()),
        Actor::Service { .. } => {
            return if action == Action::Ingest {
                Ok(())
            } else {
                Err(Denial::Role)
            };
        }
        Actor::Staff {
            id,
            org,
            org_kind,
            roles,
            ..
        } => (*id, *org, *org_kind, roles),
    };
    if action == Action::Ingest {
        // Only service accounts (the NCA feed) and operators take referrals in; no person role does.
        return Err(Denial::Role);
    }
    if !roles.iter().any(|role| role.permits(action)) {
        return Err(Denial::Role);
    }
    if !action.touches_personal_data() {
        return Ok(());
    }
    let Some(case) = case else {
        // Lists and searches: only forces hold cases; the query confines them to the person's force.
        return if org_kind == OrgKind::Force {
            Ok(())
        } else {
            Err(Denial::AggregatesOnly)
        };
    };
    let owns = org_kind == OrgKind::Force && case.owner == Some(org);
    if owns {
        // A restriction narrows access within the owning force to the people it names.
        return match &case.restricted_to {
            Some(named) if !named.contains(&id) => Err(Denial::Restricted),
            _ => Ok(()),
        };
    }
    // Outside the owning force only a share reaches a case, and only to read it: acting on the case (restrict,
    // share on, merge it into another force's subject) would let the outsider take it from its force. Naming an
    // outsider in a restriction opens nothing, and a restriction closes the case to shares too.
    if case.shared_with.contains(&id) {
        return match (action, &case.restricted_to) {
            (Action::ViewCase, None) => Ok(()),
            (Action::ViewCase, Some(_)) => Err(Denial::Restricted),
            _ => Err(Denial::OtherForce),
        };
    }
    if org_kind == OrgKind::Force {
        Err(Denial::OtherForce)
    } else {
        Err(Denial::AggregatesOnly)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_kinds_read_back_what_they_store() {
        for kind in [StaffKind::Person, StaffKind::Service] {
            assert_eq!(StaffKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(StaffKind::parse("Person"), None);
    }

    #[test]
    fn processing_reads_back_the_words_the_audit_chain_has_always_stored() {
        // Each word is hashed into its entries' MACs: changing one would break verification of older logs.
        let words: Vec<&str> = Processing::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(
            words,
            [
                "collection",
                "alteration",
                "consultation",
                "disclosure",
                "combination",
                "erasure",
                "security"
            ]
        );
        for processing in Processing::ALL {
            assert_eq!(Processing::parse(processing.as_str()), Some(processing));
            assert_eq!(
                serde_json::to_value(processing).unwrap(),
                processing.as_str()
            );
        }
        assert_eq!(Processing::parse("administration"), None);
    }

    const OWN: OrgId = OrgId(1);
    const OTHER: OrgId = OrgId(2);

    fn staff(org: OrgId, org_kind: OrgKind, role: Role) -> Actor {
        Actor::Staff {
            id: StaffId(10),
            username: "a.tester".into(),
            org,
            org_kind,
            roles: vec![role],
        }
    }

    #[test]
    fn investigators_see_their_own_forces_cases_only() {
        let inv = staff(OWN, OrgKind::Force, Role::Investigator);
        assert_eq!(
            decide(&inv, Action::ViewCase, Some(&CaseAccess::owned_by(OWN))),
            Ok(())
        );
        assert_eq!(
            decide(&inv, Action::ViewCase, Some(&CaseAccess::owned_by(OTHER))),
            Err(Denial::OtherForce)
        );
        assert_eq!(decide(&inv, Action::ViewQueue, None), Ok(()));
        assert_eq!(
            decide(&inv, Action::Override, Some(&CaseAccess::owned_by(OWN))),
            Err(Denial::Role)
        );
    }

    #[test]
    fn regional_and_pcc_roles_see_aggregates_only() {
        for (kind, role) in [
            (OrgKind::RegionalUnit, Role::RegionalOversight),
            (OrgKind::PccOffice, Role::PccOffice),
        ] {
            let actor = staff(OTHER, kind, role);
            assert_eq!(decide(&actor, Action::ViewAggregates, None), Ok(()));
            assert_eq!(decide(&actor, Action::ViewQueue, None), Err(Denial::Role));
            assert_eq!(
                decide(&actor, Action::ViewCase, Some(&CaseAccess::owned_by(OWN))),
                Err(Denial::Role)
            );
        }
        // Even a role that reads cases sees none from outside a force.
        let regional_investigator = staff(OTHER, OrgKind::RegionalUnit, Role::Investigator);
        assert_eq!(
            decide(&regional_investigator, Action::ViewQueue, None),
            Err(Denial::AggregatesOnly)
        );
    }

    #[test]
    fn a_share_opens_one_case_to_one_person_for_reading() {
        let regional = staff(OTHER, OrgKind::RegionalUnit, Role::Investigator);
        let case = CaseAccess {
            owner: Some(OWN),
            restricted_to: None,
            shared_with: vec![StaffId(10)],
        };
        assert_eq!(decide(&regional, Action::ViewCase, Some(&case)), Ok(()));
        assert_eq!(
            decide(&regional, Action::MergeSplit, Some(&case)),
            Err(Denial::OtherForce)
        );
    }

    #[test]
    fn a_restricted_case_is_closed_to_everyone_not_named() {
        let inv = staff(OWN, OrgKind::Force, Role::Supervisor);
        let mut case = CaseAccess {
            owner: Some(OWN),
            restricted_to: Some(vec![StaffId(99)]),
            shared_with: vec![],
        };
        assert_eq!(
            decide(&inv, Action::ViewCase, Some(&case)),
            Err(Denial::Restricted)
        );
        case.restricted_to = Some(vec![StaffId(10)]);
        assert_eq!(decide(&inv, Action::ViewCase, Some(&case)), Ok(()));
    }

    #[test]
    fn a_restriction_opens_nothing_outside_the_owning_force() {
        // Named in a restriction while in another force (or another kind of organisation): nothing opens,
        // least of all the actions that would take the case from its force.
        let case = CaseAccess {
            owner: Some(OWN),
            restricted_to: Some(vec![StaffId(10)]),
            shared_with: vec![],
        };
        for (org, kind, denial) in [
            (OTHER, OrgKind::Force, Denial::OtherForce),
            (OTHER, OrgKind::RegionalUnit, Denial::AggregatesOnly),
        ] {
            let outsider = staff(org, kind, Role::Supervisor);
            for action in [
                Action::ViewCase,
                Action::Restrict,
                Action::Share,
                Action::MergeSplit,
                Action::Assess,
                Action::Override,
                Action::Export,
            ] {
                assert_eq!(
                    decide(&outsider, action, Some(&case)),
                    Err(denial),
                    "{action}"
                );
            }
        }
        let owner = staff(OWN, OrgKind::Force, Role::Supervisor);
        assert_eq!(decide(&owner, Action::Restrict, Some(&case)), Ok(()));
    }

    #[test]
    fn a_share_grants_reading_and_nothing_more() {
        let outsider = staff(OTHER, OrgKind::Force, Role::Supervisor);
        let mut case = CaseAccess {
            owner: Some(OWN),
            restricted_to: None,
            shared_with: vec![StaffId(10)],
        };
        assert_eq!(decide(&outsider, Action::ViewCase, Some(&case)), Ok(()));
        for action in [
            Action::Restrict,
            Action::Share,
            Action::MergeSplit,
            Action::Assess,
            Action::Override,
            Action::Export,
        ] {
            assert_eq!(
                decide(&outsider, action, Some(&case)),
                Err(Denial::OtherForce),
                "{action}"
            );
        }
        // Named in the restriction as well as shared with: a restriction does not reach outside the force.
        case.restricted_to = Some(vec![StaffId(10)]);
        assert_eq!(
            decide(&outsider, Action::ViewCase, Some(&case)),
            Err(Denial::Restricted)
        );
        assert_eq!(
            decide(&outsider, Action::Restrict, Some(&case)),
            Err(Denial::OtherForce)
        );
    }

    #[test]
    fn only_operators_and_service_accounts_ingest() {
        let admin = staff(OWN, OrgKind::Force, Role::Administrator);
        assert_eq!(decide(&admin, Action::Ingest, None), Err(Denial::Role));
        let nca = Actor::Service {
            id: StaffId(3),
            name: "nca-feed".into(),
            org: OTHER,
        };
        assert_eq!(decide(&nca, Action::Ingest, None), Ok(()));
        assert_eq!(decide(&nca, Action::ViewCase, None), Err(Denial::Role));
        let operator = Actor::Operator {
            name: "root".into(),
        };
        assert_eq!(decide(&operator, Action::Ingest, None), Ok(()));
    }

    #[test]
    fn only_operators_install_a_risk_tool_or_measure_linking() {
        let operator = Actor::Operator {
            name: "root".into(),
        };
        for action in [Action::InstallRiskTool, Action::MeasureLinking] {
            for role in Role::ALL {
                let person = staff(OWN, OrgKind::Force, role);
                assert_eq!(decide(&person, action, None), Err(Denial::Role), "{role}");
            }
            assert_eq!(decide(&operator, action, None), Ok(()));
        }
    }

    #[test]
    fn granting_a_role_that_opens_cases_the_log_or_staff_needs_a_second_administrator() {
        let alone: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| !r.needs_second_approval())
            .collect();
        assert_eq!(alone, vec![Role::RegionalOversight, Role::PccOffice]);
        assert!(Role::Auditor.reaches_personal_data_or_log());
        assert!(Role::SafeguardingOfficer.reaches_personal_data_or_log());
        assert!(!Role::Administrator.reaches_personal_data_or_log());
        assert!(Role::Administrator.needs_second_approval());
    }

    #[test]
    fn roles_and_kinds_read_back_from_their_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("chief".parse::<Role>().is_err());
        assert_eq!("pcc_office".parse::<OrgKind>(), Ok(OrgKind::PccOffice));
    }
}
