//! The directory of commissioned support services (HMICFRS recommendation 9): anyone signed in may read it;
//! safeguarding officers, the PCC's office and administrators keep their own organisation's entries (added,
//! changed, imported from CSV), each change authorised and logged like any other. Entries name no one, so the
//! directory is read without an audit entry, as the force's structure is.
//!
//! The directory's side of the commissioning gaps is here too: contracts ending within six months. Services at
//! capacity need the referrals each service has accepted, which the cases hold
//! ([`severn_domain::support::at_capacity`] takes those counts).

use crate::gate::Why;
use crate::time::{instant, london_date};
use crate::{App, AppError, Result};
use serde::Serialize;
use severn_domain::access::{Action, Actor, Denial, decide};
use severn_domain::ids::OrgId;
use severn_domain::support::{
    self, CONTRACT_WARNING_MONTHS, ContractEnding, NewSupportService, ServiceId, ServiceKind,
    SupportService,
};
use severn_store::{Scoped, ServiceFilter};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Entries on one page of the directory.
pub const PAGE_SIZE: usize = 25;

/// The directory's filters and page, as a person gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryQuery {
    pub kind: Option<ServiceKind>,
    /// A local authority's code.
    pub area: Option<String>,
    pub age: Option<u8>,
    /// `None`: open and closed services alike.
    pub active: Option<bool>,
    /// 1-based.
    pub page: usize,
}

/// One page of the directory, with what the person asking may do.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DirectoryPage {
    pub services: Vec<ServiceView>,
    /// Entries the filters keep, on every page.
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    /// Whether the person may add entries (for their own organisation).
    pub may_add: bool,
    /// Active services, whatever the filters, whose contracts end within six months or have ended: a gap in
    /// commissioning.
    pub contracts_ending: Vec<ContractEnding>,
}

/// An entry with its plain-words labels and what the person asking may do with it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceView {
    #[serde(flatten)]
    pub service: SupportService,
    /// The name of the organisation that keeps the entry.
    pub kept_by: String,
    pub kind_label: &'static str,
    pub serves_labels: Vec<&'static str>,
    /// The contract ends within six months of today.
    pub contract_ends_soon: bool,
    /// The contract's last day has passed.
    pub contract_ended: bool,
    /// Whether the person asking may change this entry.
    pub may_change: bool,
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportOutcome {
    pub added: usize,
    /// Entries the organisation already kept under the same name, replaced by the file's rows.
    pub changed: usize,
}

/// Whether `actor` may change the directory at all.
fn may_manage(actor: &Actor) -> bool {
    decide(actor, Action::ManageSupportServices, None).is_ok()
}

/// Whether `actor` may change an entry `owner` keeps: the right role, and of that organisation (an operator,
/// any).
fn may_change(actor: &Actor, owner: OrgId) -> bool {
    may_manage(actor) && actor.org().is_none_or(|org| org == owner)
}

fn invalid(error: support::FieldError) -> AppError {
    AppError::Invalid(error.to_string())
}

/// A local authority code as a filter: refused when it cannot be one.
fn area_filter(area: Option<&str>) -> Result<Option<String>> {
    match area.map(str::trim).filter(|a| !a.is_empty()) {
        None => Ok(None),
        Some(code) if support::area_code_is_valid(code) => Ok(Some(code.to_owned())),
        Some(code) => Err(AppError::Invalid(format!(
            "{:?} is not an area code: lower-case letters, digits and \"-\", such as south-gloucestershire.",
            severn_domain::text::shown(code)
        ))),
    }
}

/// An entry as the person asking sees it, with the name of the organisation that keeps it (from `orgs`).
fn view(
    actor: &Actor,
    service: SupportService,
    orgs: &BTreeMap<OrgId, String>,
    today: jiff::civil::Date,
) -> ServiceView {
    let ends = service.details.contract_ends;
    ServiceView {
        kept_by: orgs
            .get(&service.owner_org)
            .cloned()
            .unwrap_or_else(|| format!("Organisation {}", service.owner_org)),
        kind_label: service.details.kind.label(),
        serves_labels: service.details.serves.iter().map(|s| s.label()).collect(),
        contract_ends_soon: ends
            .is_some_and(|d| d >= today && support::ends_within(d, today, CONTRACT_WARNING_MONTHS)),
        contract_ended: ends.is_some_and(|d| d < today),
        may_change: may_change(actor, service.owner_org),
        service,
    }
}

impl App {
    /// One entry as `actor` sees it: its labels, its contract's standing and whether they may change it.
    pub async fn support_service_view(&self, actor: &Actor, id: ServiceId) -> Result<ServiceView> {
        let mut tx = self.db().begin_read().await?;
        let found = tx.support_service(id).await?;
        let orgs: BTreeMap<OrgId, String> = tx
            .orgs()
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        tx.commit().await?;
        let service = found
            .ok_or_else(|| AppError::NotFound(format!("There is no support service {id}.")))?;
        Ok(view(
            actor,
            service,
            &orgs,
            london_date(instant(self.now())),
        ))
    }

    /// The directory's entries the filters keep, by name (every entry when none is set). Anyone signed in.
    pub async fn support_services(
        &self,
        kind: Option<ServiceKind>,
        area: Option<&str>,
        age: Option<u8>,
        active: Option<bool>,
    ) -> Result<Vec<SupportService>> {
        let filter = ServiceFilter {
            kind,
            area: area_filter(area)?,
            age,
            active,
            owner: None,
        };
        let mut tx = self.db().begin_read().await?;
        let services = tx.support_services(&filter).await?;
        tx.commit().await?;
        Ok(services)
    }

    /// One page of the directory for `actor`, each entry with its labels, its contract's standing and whether
    /// they may change it.
    pub async fn support_directory(
        &self,
        actor: &Actor,
        query: &DirectoryQuery,
    ) -> Result<DirectoryPage> {
        let filter = ServiceFilter {
            kind: query.kind,
            area: area_filter(query.area.as_deref())?,
            age: query.age,
            active: query.active,
            owner: None,
        };
        let mut tx = self.db().begin_read().await?;
        let found = tx.support_services(&filter).await?;
        let every = if filter == ServiceFilter::default() {
            found.clone()
        } else {
            tx.support_services(&ServiceFilter::default()).await?
        };
        let orgs: BTreeMap<OrgId, String> = tx
            .orgs()
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        tx.commit().await?;
        let today = london_date(instant(self.now()));
        let total = found.len();
        let pages = total.div_ceil(PAGE_SIZE).max(1);
        let page = query.page.clamp(1, pages);
        let services = found
            .into_iter()
            .skip((page - 1) * PAGE_SIZE)
            .take(PAGE_SIZE)
            .map(|service| view(actor, service, &orgs, today))
            .collect();
        Ok(DirectoryPage {
            services,
            total,
            page,
            pages,
            may_add: may_manage(actor),
            contracts_ending: support::contracts_ending(&every, today, CONTRACT_WARNING_MONTHS),
        })
    }

    /// One entry. Anyone signed in.
    pub async fn support_service(&self, id: ServiceId) -> Result<SupportService> {
        let mut tx = self.db().begin_read().await?;
        let found = tx.support_service(id).await?;
        tx.commit().await?;
        found.ok_or_else(|| AppError::NotFound(format!("There is no support service {id}.")))
    }

    /// A transaction for changing the directory on behalf of `org` (the actor's own; an operator names one),
    /// authorised and logged under `target`. Someone naming another organisation is refused, and the refusal
    /// logged.
    async fn keeping(
        &self,
        actor: &Actor,
        org: Option<OrgId>,
        target: &str,
        why: Why,
    ) -> Result<(Scoped, OrgId)> {
        let tx = self.db().begin().await?;
        let org = match (actor.org(), org) {
            (Some(mine), Some(asked)) if mine != asked => {
                self.refuse(
                    tx,
                    actor,
                    Action::ManageSupportServices,
                    target,
                    why,
                    Denial::OtherForce,
                )
                .await?;
                return Err(AppError::Invalid(
                    "You may change only the entries your own organisation keeps.".into(),
                ));
            }
            (_, Some(org)) | (Some(org), None) => org,
            (None, None) => {
                return Err(AppError::Invalid(
                    "Name the organisation that keeps the entry (--org).".into(),
                ));
            }
        };
        let tx = self
            .authorise(tx, actor, Action::ManageSupportServices, target, why)
            .await?;
        Ok((tx, org))
    }

    /// Adds an entry kept by the actor's organisation (an operator names it). Safeguarding officers, the PCC's
    /// office and administrators.
    pub async fn add_support_service(
        &self,
        actor: &Actor,
        org: Option<OrgId>,
        entry: NewSupportService,
    ) -> Result<ServiceId> {
        let entry = entry.check().map_err(invalid)?;
        let target = "support_service:new";
        let why = Why {
            detail: Some(format!("add {}", entry.name)),
            ..Why::default()
        };
        let (mut tx, org) = self.keeping(actor, org, target, why.clone()).await?;
        if tx.support_service_named(org, &entry.name).await?.is_some() {
            drop(tx);
            let taken = AppError::Invalid(format!(
                "Your organisation already keeps an entry named {:?}: change that one instead.",
                entry.name
            ));
            return self
                .logging_refusal(
                    actor,
                    Action::ManageSupportServices,
                    target,
                    why,
                    Err(taken),
                )
                .await;
        }
        let id = tx
            .add_support_service(org, &entry, self.now(), &actor.audit_name())
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Replaces an entry's details. Only people of the organisation that keeps it (and operators).
    pub async fn update_support_service(
        &self,
        actor: &Actor,
        id: ServiceId,
        entry: NewSupportService,
    ) -> Result<()> {
        let entry = entry.check().map_err(invalid)?;
        let target = format!("support_service:{id}");
        let why = Why {
            detail: Some(format!("change to {}", entry.name)),
            ..Why::default()
        };
        let tx = self.db().begin().await?;
        let mut tx = self
            .authorise(
                tx,
                actor,
                Action::ManageSupportServices,
                &target,
                why.clone(),
            )
            .await?;
        let outcome = async {
            let stored = tx
                .support_service(id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("There is no support service {id}.")))?;
            if !may_change(actor, stored.owner_org) {
                return Err(AppError::Invalid(
                    "Another organisation keeps this entry: only its people may change it.".into(),
                ));
            }
            if tx
                .support_service_named(stored.owner_org, &entry.name)
                .await?
                .is_some_and(|other| other != id)
            {
                return Err(AppError::Invalid(format!(
                    "The organisation already keeps another entry named {:?}.",
                    entry.name
                )));
            }
            tx.update_support_service(id, &entry, self.now(), &actor.audit_name())
                .await?;
            Ok(())
        }
        .await;
        match outcome {
            Ok(()) => {
                tx.commit().await?;
                Ok(())
            }
            Err(error) => {
                drop(tx);
                self.logging_refusal(
                    actor,
                    Action::ManageSupportServices,
                    &target,
                    why,
                    Err(error),
                )
                .await
            }
        }
    }

    /// Imports a directory from CSV (`severn_domain::support::CSV_HEADER`) into the entries the actor's
    /// organisation keeps (an operator names it): a row naming an entry it keeps already replaces that entry,
    /// any other is added. Every row is checked first, and one bad row refuses the whole file, naming each bad
    /// row and field.
    pub async fn import_support_services(
        &self,
        actor: &Actor,
        org: Option<OrgId>,
        csv: &str,
    ) -> Result<ImportOutcome> {
        let target = "support_services:import";
        let parsed = support::parse_csv(csv);
        let why = Why {
            detail: Some(match &parsed {
                Ok(rows) => format!("{} row(s)", rows.len()),
                Err(errors) => format!("{} bad row(s)", errors.len()),
            }),
            ..Why::default()
        };
        let (mut tx, org) = self.keeping(actor, org, target, why.clone()).await?;
        let rows = match parsed {
            Ok(rows) => rows,
            Err(errors) => {
                drop(tx);
                let lines: Vec<String> = errors.iter().take(50).map(|e| e.to_string()).collect();
                let more = errors.len().saturating_sub(lines.len());
                let mut message = format!(
                    "Nothing was imported: {} problem(s) need correcting.\n{}",
                    errors.len(),
                    lines.join("\n")
                );
                if more > 0 {
                    message.push_str(&format!("\n... and {more} more"));
                }
                return self
                    .logging_refusal(
                        actor,
                        Action::ManageSupportServices,
                        target,
                        why,
                        Err(AppError::Invalid(message)),
                    )
                    .await;
            }
        };
        let (now, by) = (self.now(), actor.audit_name());
        let mut outcome = ImportOutcome {
            added: 0,
            changed: 0,
        };
        for row in &rows {
            match tx.support_service_named(org, &row.name).await? {
                Some(id) => {
                    tx.update_support_service(id, row, now, &by).await?;
                    outcome.changed += 1;
                }
                None => {
                    tx.add_support_service(org, row, now, &by).await?;
                    outcome.added += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(outcome)
    }
}
