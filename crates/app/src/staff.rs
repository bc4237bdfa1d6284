//! Organisations and staff, who a person is when they act, sharing and restricting cases, and search by
//! identifier within what the person may see.

use crate::approval::{self, needs_approval};
use crate::gate::Why;
use crate::{App, AppError, Result, check_text};
use serde::Serialize;
use severn_domain::access::{Action, Actor, CaseAccess, OrgKind, Role, StaffKind, decide};
use severn_domain::ids::{OrgId, StaffId, SubjectId, TeamId};
use severn_domain::report::{Identifier, IdentifierKind};
use severn_domain::risk::Band;
use severn_domain::text::FreeText;
use severn_store::{NewStaff, OrgRow, Scoped, StaffRow};
use std::collections::{BTreeSet, HashSet};

/// A referral found by a search. A case restricted to named people, the searcher not among them, shows only
/// what the queue shows of it: its number, once, with no referral and no role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    pub subject: SubjectId,
    /// Null when the case is restricted to others.
    pub referral: Option<String>,
    /// How the identifier appears on the referral: reported person, recipient, victim ... Null when the
    /// case is restricted to others.
    pub role: Option<String>,
    /// Restricted to named people the searcher is not among.
    pub restricted: bool,
}

/// Open work in one force, by band: counts only, no personal data.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ForceWork {
    pub force: String,
    pub bands: Vec<BandWork>,
    pub open: i64,
    pub overdue: i64,
}

/// Open and overdue work in one band.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BandWork {
    pub band: String,
    pub band_label: String,
    pub open: i64,
    pub overdue: i64,
}

/// Whom to create.
#[derive(Debug, Clone)]
pub struct StaffSpec {
    pub org: OrgId,
    pub team: Option<TeamId>,
    pub username: String,
    pub display_name: String,
    pub kind: StaffKind,
    pub roles: Vec<Role>,
}

impl StaffSpec {
    /// The user name, trimmed, once the spec is checked: the organisation is the administrator's own, the
    /// user name is plain, and there is a name to show.
    pub(crate) fn checked_username(&self, actor: &Actor) -> Result<&str> {
        if let Some(own) = actor.org()
            && own != self.org
        {
            return Err(AppError::Denied(severn_domain::access::Denial::OtherForce));
        }
        let username = self.username.trim();
        if username.is_empty()
            || !username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
        {
            return Err(AppError::Invalid(
                "A user name is letters, digits and . _ - @ only, with no spaces.".to_owned(),
            ));
        }
        check_text(FreeText::DisplayName, &self.display_name)?;
        if self.display_name.trim().is_empty() {
            return Err(AppError::Invalid(
                "Give the person's name as it should be shown.".to_owned(),
            ));
        }
        Ok(username)
    }
}

impl App {
    /// Creates an organisation (administrators and operators).
    pub async fn create_org(
        &self,
        actor: &Actor,
        code: &str,
        name: &str,
        kind: OrgKind,
    ) -> Result<OrgId> {
        check_text(FreeText::OrganisationName, name)?;
        let tx = self.db().begin().await?;
        let target = format!("org:{code}");
        let mut tx = self
            .authorise(tx, actor, Action::ManageStaff, &target, Why::default())
            .await?;
        let id = tx.insert_org(code, name, kind).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every organisation, in the order they were added. Names of organisations, no personal data: anyone who sees figures may
    /// list them, and the listing is logged like any other read.
    pub async fn list_orgs(&self, actor: &Actor) -> Result<Vec<OrgRow>> {
        let tx = self.db().begin_read().await?;
        let mut tx = self
            .authorise(tx, actor, Action::ViewAggregates, "orgs", Why::default())
            .await?;
        let orgs = tx.orgs().await?;
        tx.commit().await?;
        Ok(orgs)
    }

    pub async fn create_team(&self, actor: &Actor, org: OrgId, name: &str) -> Result<TeamId> {
        check_text(FreeText::OrganisationName, name)?;
        let tx = self.db().begin().await?;
        let target = format!("team:{org}/{name}");
        let mut tx = self
            .authorise(tx, actor, Action::ManageStaff, &target, Why::default())
            .await?;
        let id = tx.insert_team(org, name).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Creates a member of staff or a service account. An administrator may only add staff to their own
    /// organisation, and only with roles that need no second administrator (see [`crate::approval`]); an
    /// operator at the command line may add anyone, which is how an organisation's first administrators
    /// are made.
    pub async fn create_staff(&self, actor: &Actor, spec: &StaffSpec) -> Result<StaffId> {
        let username = spec.checked_username(actor)?;
        let mut tx = self.db().begin().await?;
        let target = format!("staff:{}", spec.username);
        let why = Why {
            detail: Some(format!("roles {}", approval::roles(&spec.roles))),
            ..Why::default()
        };
        if needs_approval(actor, &spec.roles) && decide(actor, Action::ManageStaff, None).is_ok() {
            let record = self.record(actor, Action::ManageStaff, &target, why);
            self.gate
                .log_refusal(&mut tx, &record, "needs_approval")
                .await?;
            tx.commit().await?;
            return Err(AppError::Invalid(format!(
                "Giving the roles {} needs a second administrator's approval: add the account on the \
                 Staff page, which asks for it.",
                approval::roles(&spec.roles)
            )));
        }
        let mut tx = self
            .authorise(tx, actor, Action::ManageStaff, &target, why)
            .await?;
        if tx.staff_by_username(username).await?.is_some() {
            return Err(AppError::Invalid(format!(
                "The user name {username:?} is taken: choose another."
            )));
        }
        let id = tx
            .insert_staff(&NewStaff {
                org_id: spec.org,
                team_id: spec.team,
                username: username.to_owned(),
                display_name: spec.display_name.trim().to_owned(),
                kind: spec.kind,
                roles: spec.roles.clone(),
                created_at: self.now(),
            })
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The member of staff with this username, if active. Used at sign-in and for each request's session;
    /// reading one's own account is not logged as an access to personal data.
    pub async fn staff_by_username(&self, username: &str) -> Result<Option<StaffRow>> {
        let mut tx = self.db().begin_read().await?;
        let row = tx.staff_by_username(username).await?;
        tx.commit().await?;
        Ok(row.filter(|s| s.active))
    }

    pub async fn staff_by_id(&self, id: StaffId) -> Result<Option<StaffRow>> {
        let mut tx = self.db().begin_read().await?;
        let row = tx.staff_by_id(id).await?;
        tx.commit().await?;
        Ok(row.filter(|s| s.active))
    }

    /// Shares a case with a named person outside the owning force (a disclosure: reason and recipient logged).
    /// The person may then read the case, nothing more (see `severn_domain::access::decide`).
    pub async fn share_case(
        &self,
        actor: &Actor,
        subject: SubjectId,
        with_username: &str,
        reason: &str,
    ) -> Result<()> {
        let tx = self.db().begin().await?;
        let why = Why {
            recipients: Some(with_username.to_owned()),
            ..Why::because(reason)
        };
        let tx = self
            .authorise_case(tx, actor, Action::Share, subject, why.clone())
            .await?;
        let access = tx.case_access().cloned().unwrap_or_default();
        let shared = self
            .share_after_gate(tx, actor, subject, &access, with_username, reason)
            .await;
        self.logging_refusal(
            actor,
            Action::Share,
            &format!("subject:{subject}"),
            why,
            shared,
        )
        .await
    }

    async fn share_after_gate(
        &self,
        mut tx: Scoped,
        actor: &Actor,
        subject: SubjectId,
        access: &CaseAccess,
        with_username: &str,
        reason: &str,
    ) -> Result<()> {
        let with = named_person(&mut tx, with_username).await?;
        if access.owner == Some(with.org_id) {
            return Err(AppError::Invalid(format!(
                "{} is in the force that owns this case and can see it already: share with people in other \
                 organisations.",
                with.username
            )));
        }
        tx.share_case(
            subject,
            with.id,
            reason.trim(),
            &actor.audit_name(),
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Restricts a case to named people of the force that owns it (`None` lifts the restriction), with a
    /// reason. A restriction narrows access within the force: naming anyone outside it is refused (and logged),
    /// since only a share reaches outside the force, and a share grants reading alone.
    pub async fn restrict_case(
        &self,
        actor: &Actor,
        subject: SubjectId,
        usernames: Option<&[String]>,
        reason: &str,
    ) -> Result<()> {
        if usernames.is_some_and(|names| names.is_empty()) {
            return Err(AppError::Invalid(
                "Name at least one person the case is restricted to.".to_owned(),
            ));
        }
        let tx = self.db().begin().await?;
        let why = Why {
            detail: Some(match usernames {
                Some(names) => format!("restricted to {}", names.join(", ")),
                None => "restriction lifted".to_owned(),
            }),
            ..Why::because(reason)
        };
        let tx = self
            .authorise_case(tx, actor, Action::Restrict, subject, why.clone())
            .await?;
        let access = tx.case_access().cloned().unwrap_or_default();
        let restricted = self
            .restrict_after_gate(tx, subject, &access, usernames)
            .await;
        self.logging_refusal(
            actor,
            Action::Restrict,
            &format!("subject:{subject}"),
            why,
            restricted,
        )
        .await
    }

    async fn restrict_after_gate(
        &self,
        mut tx: Scoped,
        subject: SubjectId,
        access: &CaseAccess,
        usernames: Option<&[String]>,
    ) -> Result<()> {
        let named = match usernames {
            Some(names) => {
                let mut ids = Vec::new();
                for name in names {
                    let staff = named_person(&mut tx, name).await?;
                    if access.owner != Some(staff.org_id) {
                        return Err(AppError::Invalid(format!(
                            "{} is not in the force that owns this case: a restriction names people of that \
                             force only. Share the case to let someone elsewhere read it.",
                            staff.username
                        )));
                    }
                    ids.push(staff.id);
                }
                Some(ids)
            }
            None => None,
        };
        tx.restrict_case(subject, named.as_deref()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Open and overdue work per force and band across the region: what regional oversight and the PCC's
    /// office see.
    pub async fn open_work(&self, actor: &Actor) -> Result<Vec<ForceWork>> {
        let tx = self.db().begin_read().await?;
        let mut tx = self
            .authorise(
                tx,
                actor,
                Action::ViewAggregates,
                "aggregates:open_work",
                Why::default(),
            )
            .await?;
        let orgs = tx.orgs().await?;
        let rows = tx.open_work_by_force(self.now()).await?;
        tx.commit().await?;
        let mut forces: Vec<ForceWork> = Vec::new();
        for (owner, band, open, overdue) in rows {
            let name = owner
                .and_then(|id| orgs.iter().find(|o| o.id == id))
                .map(|o| o.name.clone())
                .unwrap_or_else(|| "Not yet assigned to a force".to_owned());
            let at = match forces.iter().position(|f| f.force == name) {
                Some(at) => at,
                None => {
                    forces.push(ForceWork {
                        force: name,
                        bands: Vec::new(),
                        open: 0,
                        overdue: 0,
                    });
                    forces.len() - 1
                }
            };
            let force = &mut forces[at];
            force.open += open;
            force.overdue += overdue;
            force.bands.push(BandWork {
                band_label: Band::parse(&band)
                    .map(|b| b.label().to_owned())
                    .unwrap_or_else(|| band.clone()),
                band,
                open,
                overdue,
            });
        }
        for force in &mut forces {
            force
                .bands
                .sort_by_key(|b| std::cmp::Reverse(Band::parse(&b.band)));
        }
        Ok(forces)
    }

    /// Referrals carrying an identifier, within the person's force. User IDs and screen names only mean
    /// something with their service, so those searches need one.
    pub async fn search(
        &self,
        actor: &Actor,
        kind: IdentifierKind,
        service: Option<&str>,
        value: &str,
    ) -> Result<Vec<SearchHit>> {
        let service = service.map(str::trim).filter(|s| !s.is_empty());
        if (kind.is_service_scoped() || kind == IdentifierKind::DeviceId) && service.is_none() {
            return Err(AppError::Invalid(format!(
                "A {} only identifies someone together with its service (or device type): give one.",
                kind.label()
            )));
        }
        let key = Identifier::new(kind, service, value)
            .ok_or_else(|| {
                AppError::Invalid(format!("{value:?} is not a valid {}.", kind.label()))
            })?
            .key();
        let tx = self.db().begin_read().await?;
        let why = Why {
            detail: Some(format!("search by {}", kind.as_str())),
            ..Why::default()
        };
        let mut tx = self
            .authorise(tx, actor, Action::Search, &format!("identifier:{key}"), why)
            .await?;
        let hits = tx.search_identifier(&key, 200).await?;
        let closed = closed_to(&mut tx, actor, hits.iter().map(|(subject, ..)| *subject)).await?;
        tx.commit().await?;
        let mut shown_closed = HashSet::new();
        Ok(hits
            .into_iter()
            .filter_map(|(subject, referral, role)| {
                if !closed.contains(&subject) {
                    return Some(SearchHit {
                        subject,
                        referral: Some(referral),
                        role: Some(role),
                        restricted: false,
                    });
                }
                shown_closed.insert(subject).then_some(SearchHit {
                    subject,
                    referral: None,
                    role: None,
                    restricted: true,
                })
            })
            .collect())
    }
}

/// Which of `subjects` are restricted to named people `actor` is not among: lists show such a case without
/// its details, as the queue does.
async fn closed_to(
    tx: &mut Scoped,
    actor: &Actor,
    subjects: impl Iterator<Item = SubjectId>,
) -> Result<HashSet<SubjectId>> {
    let subjects: Vec<SubjectId> = subjects.collect::<BTreeSet<_>>().into_iter().collect();
    let mut closed = HashSet::new();
    for subject in tx.restricted_among(&subjects).await? {
        let plain: &mut severn_store::Tx = tx;
        let access = plain.case_access(subject).await?;
        if decide(actor, Action::ViewCase, access.as_ref()).is_err() {
            closed.insert(subject);
        }
    }
    Ok(closed)
}

/// An active person (not a service account) by user name.
async fn named_person(tx: &mut Scoped, username: &str) -> Result<StaffRow> {
    tx.staff_by_username(username.trim())
        .await?
        .filter(|s| s.active && s.kind == StaffKind::Person)
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "There is no one with the user name {:?}.",
                username.trim()
            ))
        })
}
