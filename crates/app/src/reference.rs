//! The reference lists in force: the bank holidays working days are counted with, and the local authorities
//! children are referred to. Each is the version an operator last loaded, or the one Severn ships while none
//! has been. A list is read from the database once and kept in the [`App`] (and its clones); loading a newer
//! version through this `App` replaces what it keeps. Another process (a server already running when the
//! command line loads a list) keeps the version it read until it is restarted.

use crate::gate::Why;
use crate::{App, AppError, Result};
use serde::Serialize;
use severn_domain::access::{Action, Actor, Denial, OrgKind};
use severn_domain::authorities::{Authority, LocalAuthorities, Lookup};
use severn_domain::reference::{ReferenceList, content_sha256};
use severn_domain::workdays::WorkingCalendar;
use severn_store::{ReferenceListRow, StoreError};
use std::sync::{Arc, RwLock};
use utoipa::ToSchema;

/// The lists as read, kept for the life of the [`App`].
#[derive(Default)]
pub(crate) struct References {
    calendar: RwLock<Option<Arc<WorkingCalendar>>>,
    authorities: RwLock<Option<Arc<LocalAuthorities>>>,
}

/// Which version of a list is in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListInForce {
    /// `bank-holidays` or `local-authorities`.
    pub list: &'static str,
    /// The SHA-256 of the list's text.
    pub sha256: String,
    /// When it was loaded and by whom (as the audit log names them); both absent for the shipped version.
    pub loaded_at: Option<i64>,
    pub loaded_by: Option<String>,
}

impl ListInForce {
    fn shipped(list: ReferenceList) -> ListInForce {
        ListInForce {
            list: list.as_str(),
            sha256: content_sha256(list.shipped()),
            loaded_at: None,
            loaded_by: None,
        }
    }

    fn stored(row: &ReferenceListRow) -> ListInForce {
        ListInForce {
            list: row.list.as_str(),
            sha256: row.sha256.clone(),
            loaded_at: Some(row.loaded_at),
            loaded_by: Some(row.loaded_by.clone()),
        }
    }
}

/// What an area answers to, with its candidates: the one authority, every authority of a boundary district
/// (the officer chooses), or none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AreaLookup {
    /// The area as given.
    pub area: String,
    pub result: LookupResult,
    /// The authorities it answers to, by name: one, several, or none.
    pub candidates: Vec<Authority>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LookupResult {
    /// One authority covers the area.
    One,
    /// The area lies in more than one authority: choose the child's among the candidates.
    Several,
    /// Not a postcode, district or authority the list holds.
    Unknown,
}

impl AreaLookup {
    pub fn of(authorities: &LocalAuthorities, area: &str) -> AreaLookup {
        let (result, candidates) = match authorities.lookup(area) {
            Lookup::One(authority) => (LookupResult::One, vec![authority.clone()]),
            Lookup::Several(several) => (
                LookupResult::Several,
                several.into_iter().cloned().collect(),
            ),
            Lookup::Unknown => (LookupResult::Unknown, Vec::new()),
        };
        AreaLookup {
            area: area.to_owned(),
            result,
            candidates,
        }
    }
}

/// A list's text parsed, or the error naming its first bad line.
enum Parsed {
    Calendar(WorkingCalendar),
    Authorities(LocalAuthorities),
}

fn parse(list: ReferenceList, text: &str) -> Result<Parsed, String> {
    match list {
        ReferenceList::BankHolidays => WorkingCalendar::from_csv(text)
            .map(Parsed::Calendar)
            .map_err(|e| e.to_string()),
        ReferenceList::LocalAuthorities => LocalAuthorities::from_csv(text)
            .map(Parsed::Authorities)
            .map_err(|e| e.to_string()),
    }
}

impl App {
    /// Checks a newer version of a reference list line by line and puts it in force. A bad line refuses the
    /// whole list, naming the line and field, and nothing is stored. Operators only (`install_reference_list`).
    pub async fn load_reference_list(
        &self,
        actor: &Actor,
        list: ReferenceList,
        text: &str,
    ) -> Result<ListInForce> {
        let parsed = parse(list, text).map_err(AppError::Invalid)?;
        let row = ReferenceListRow {
            list,
            body: text.to_owned(),
            sha256: content_sha256(text),
            loaded_at: self.now(),
            loaded_by: actor.audit_name(),
        };
        let target = format!("reference_list:{} {}", list.as_str(), row.sha256);
        let tx = self.db().begin().await?;
        let mut tx = self
            .authorise(
                tx,
                actor,
                Action::InstallReferenceList,
                &target,
                Why::default(),
            )
            .await?;
        tx.save_reference_list(&row).await?;
        tx.commit().await?;
        self.keep(parsed);
        Ok(ListInForce::stored(&row))
    }

    /// The bank holidays in force, to count working days with.
    pub async fn calendar(&self) -> Result<Arc<WorkingCalendar>> {
        self.in_force(
            &self.references.calendar,
            ReferenceList::BankHolidays,
            |text| WorkingCalendar::from_csv(text).map_err(|e| e.to_string()),
        )
        .await
    }

    /// The local authorities in force, to find a child's authority with.
    pub async fn local_authorities(&self) -> Result<Arc<LocalAuthorities>> {
        self.in_force(
            &self.references.authorities,
            ReferenceList::LocalAuthorities,
            |text| LocalAuthorities::from_csv(text).map_err(|e| e.to_string()),
        )
        .await
    }

    /// The local authorities, for a person: any signed-in person of a force (they name no one, so reading
    /// them leaves no audit entry), and operators.
    pub async fn local_authorities_for(&self, actor: &Actor) -> Result<Arc<LocalAuthorities>> {
        match actor {
            Actor::Operator { .. }
            | Actor::Staff {
                org_kind: OrgKind::Force,
                ..
            } => self.local_authorities().await,
            Actor::Staff { .. } | Actor::Service { .. } => Err(AppError::Denied(Denial::Role)),
        }
    }

    /// Which version of a list is in force: the one last loaded, or the shipped one.
    pub async fn reference_list_in_force(&self, list: ReferenceList) -> Result<ListInForce> {
        // A read: the first reader is often inside a write (recording an event), which SQLite's single writer
        // would otherwise wait on for ever.
        let mut tx = self.db().begin_read().await?;
        let row = tx.active_reference_list(list).await?;
        tx.commit().await?;
        Ok(row
            .as_ref()
            .map_or_else(|| ListInForce::shipped(list), ListInForce::stored))
    }

    /// A list as kept, or read from the database (the shipped version while none was loaded) and kept.
    async fn in_force<T>(
        &self,
        kept: &RwLock<Option<Arc<T>>>,
        list: ReferenceList,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Arc<T>> {
        if let Some(kept) = read(kept) {
            return Ok(kept);
        }
        // A read: the first reader is often inside a write (recording an event), which SQLite's single writer
        // would otherwise wait on for ever.
        let mut tx = self.db().begin_read().await?;
        let row = tx.active_reference_list(list).await?;
        tx.commit().await?;
        let text = row.as_ref().map_or(list.shipped(), |row| row.body.as_str());
        let parsed = parse(text).map_err(|e| {
            AppError::Store(StoreError::Corrupt(format!(
                "the {} in force no longer read ({e}): load a newer list",
                list.label()
            )))
        })?;
        Ok(keep(kept, parsed))
    }

    fn keep(&self, parsed: Parsed) {
        match parsed {
            Parsed::Calendar(calendar) => {
                keep(&self.references.calendar, calendar);
            }
            Parsed::Authorities(authorities) => {
                keep(&self.references.authorities, authorities);
            }
        }
    }
}

fn read<T>(kept: &RwLock<Option<Arc<T>>>) -> Option<Arc<T>> {
    kept.read().unwrap_or_else(|e| e.into_inner()).clone()
}

fn keep<T>(kept: &RwLock<Option<Arc<T>>>, value: T) -> Arc<T> {
    let value = Arc::new(value);
    *kept.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&value));
    value
}
