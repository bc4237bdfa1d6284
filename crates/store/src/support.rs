//! The directory of commissioned support services: reference data that names no one, so on [`Tx`] directly.
//! Who may change an entry is decided (and logged) before these are called; each query is written once for
//! both backends.

use crate::conn::{Built, args};
use crate::decode::Columns;
use crate::tx::Tx;
use crate::{Result, StoreError};
use jiff::civil::Date;
use severn_domain::ids::OrgId;
use severn_domain::support::{
    Areas, NewSupportService, Serves, ServiceId, ServiceKind, SupportService,
};
use std::collections::BTreeSet;

/// What a directory listing keeps: every entry when nothing is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceFilter {
    pub kind: Option<ServiceKind>,
    /// Services working in this local authority (or in every area). The caller checks it is an area code.
    pub area: Option<String>,
    pub active: Option<bool>,
    /// Services that take someone of this age (those with no limit on that side included).
    pub age: Option<u8>,
    /// Entries one organisation keeps.
    pub owner: Option<OrgId>,
}

const COLUMNS: &str = "id, owner_org, name, kind, serves, min_age, max_age, areas, needs, capacity, phone, \
                       email, web, commissioner, contract_ends, active, updated_at, updated_by";

fn joined<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    items.into_iter().collect::<Vec<_>>().join(";")
}

fn corrupt(id: i64, what: &str, stored: &str) -> StoreError {
    StoreError::Corrupt(format!("support service {id}: {what} {stored:?}"))
}

/// [`COLUMNS`], in order.
fn decode(r: &dyn Columns) -> Result<SupportService> {
    let id = r.i64(0)?;
    let kind_text = r.text(3)?;
    let kind = ServiceKind::parse(&kind_text).ok_or_else(|| corrupt(id, "kind", &kind_text))?;
    let serves_text = r.text(4)?;
    let serves = serves_text
        .split(';')
        .filter(|s| !s.is_empty())
        .map(|s| Serves::parse(s).ok_or_else(|| corrupt(id, "serves", &serves_text)))
        .collect::<Result<BTreeSet<_>>>()?;
    let age = |at: usize| -> Result<Option<u8>> {
        r.opt_i64(at)?
            .map(|a| u8::try_from(a).map_err(|_| corrupt(id, "age", &a.to_string())))
            .transpose()
    };
    let areas_text = r.text(7)?;
    let areas = Areas::parse(&areas_text).map_err(|_| corrupt(id, "areas", &areas_text))?;
    let needs = r
        .text(8)?
        .split(';')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let capacity = r
        .opt_i64(9)?
        .map(|c| u32::try_from(c).map_err(|_| corrupt(id, "capacity", &c.to_string())))
        .transpose()?;
    let contract_ends = r
        .opt_text(14)?
        .map(|d| {
            d.parse::<Date>()
                .map_err(|_| corrupt(id, "contract end", &d))
        })
        .transpose()?;
    Ok(SupportService {
        id: ServiceId(id),
        owner_org: OrgId(r.i64(1)?),
        details: NewSupportService {
            name: r.text(2)?,
            kind,
            serves,
            min_age: age(5)?,
            max_age: age(6)?,
            areas,
            needs,
            capacity,
            phone: r.opt_text(10)?,
            email: r.opt_text(11)?,
            web: r.opt_text(12)?,
            commissioner: r.text(13)?,
            contract_ends,
            active: r.bool(15)?,
        },
        updated_at: r.i64(16)?,
        updated_by: r.text(17)?,
    })
}

/// An entry's stored text: serves, areas, needs and the contract's end.
fn stored_text(s: &NewSupportService) -> [String; 3] {
    [
        joined(s.serves.iter().map(|g| g.as_str())),
        s.areas.joined(),
        joined(s.needs.iter().map(String::as_str)),
    ]
}

impl Tx {
    /// Adds an entry kept by `owner`, changed at `at` by `by`: its number.
    pub async fn add_support_service(
        &mut self,
        owner: OrgId,
        s: &NewSupportService,
        at: i64,
        by: &str,
    ) -> Result<ServiceId> {
        let [serves, areas, needs] = stored_text(s);
        let ends = s.contract_ends.map(|d| d.to_string());
        let id = self
            .conn()
            .one(
                "INSERT INTO support_service (owner_org, name, kind, serves, min_age, max_age, areas, needs, \
                 capacity, phone, email, web, commissioner, contract_ends, active, updated_at, updated_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id",
                &args![
                    owner,
                    &s.name,
                    s.kind.as_str(),
                    &serves,
                    s.min_age.map(i64::from),
                    s.max_age.map(i64::from),
                    &areas,
                    &needs,
                    s.capacity.map(i64::from),
                    s.phone.as_deref(),
                    s.email.as_deref(),
                    s.web.as_deref(),
                    &s.commissioner,
                    ends.as_deref(),
                    s.active,
                    at,
                    by
                ],
                |r| r.i64(0),
            )
            .await?;
        Ok(ServiceId(id))
    }

    /// Replaces an entry's details, changed at `at` by `by`: whether it was there.
    pub async fn update_support_service(
        &mut self,
        id: ServiceId,
        s: &NewSupportService,
        at: i64,
        by: &str,
    ) -> Result<bool> {
        let [serves, areas, needs] = stored_text(s);
        let ends = s.contract_ends.map(|d| d.to_string());
        let updated = self
            .conn()
            .execute(
                "UPDATE support_service SET name = $2, kind = $3, serves = $4, min_age = $5, max_age = $6, \
                 areas = $7, needs = $8, capacity = $9, phone = $10, email = $11, web = $12, commissioner = $13, \
                 contract_ends = $14, active = $15, updated_at = $16, updated_by = $17 WHERE id = $1",
                &args![
                    id.0,
                    &s.name,
                    s.kind.as_str(),
                    &serves,
                    s.min_age.map(i64::from),
                    s.max_age.map(i64::from),
                    &areas,
                    &needs,
                    s.capacity.map(i64::from),
                    s.phone.as_deref(),
                    s.email.as_deref(),
                    s.web.as_deref(),
                    &s.commissioner,
                    ends.as_deref(),
                    s.active,
                    at,
                    by
                ],
            )
            .await?;
        Ok(updated > 0)
    }

    pub async fn support_service(&mut self, id: ServiceId) -> Result<Option<SupportService>> {
        self.conn()
            .optional(
                &format!("SELECT {COLUMNS} FROM support_service WHERE id = $1"),
                &args![id.0],
                decode,
            )
            .await
    }

    /// The entry `owner` keeps under this name (ignoring case), if any.
    pub async fn support_service_named(
        &mut self,
        owner: OrgId,
        name: &str,
    ) -> Result<Option<ServiceId>> {
        self.conn()
            .optional(
                "SELECT id FROM support_service WHERE owner_org = $1 AND lower(name) = lower($2)",
                &args![owner, name],
                |r| Ok(ServiceId(r.i64(0)?)),
            )
            .await
    }

    /// The entries the filter keeps, by name.
    pub async fn support_services(&mut self, f: &ServiceFilter) -> Result<Vec<SupportService>> {
        // Codes hold no LIKE wildcards (letters, digits, '-'), so the pattern matches one code exactly.
        let area = f.area.as_ref().map(|code| format!("%;{code};%"));
        let mut q = Built::new(format!("SELECT {COLUMNS} FROM support_service WHERE TRUE"));
        if let Some(kind) = f.kind {
            q.push(" AND kind = ").bind(kind.as_str());
        }
        if let Some(pattern) = &area {
            q.push(" AND (areas = 'all' OR ';' || areas || ';' LIKE ")
                .bind(pattern)
                .push(")");
        }
        if let Some(active) = f.active {
            q.push(" AND active = ").bind(active);
        }
        if let Some(age) = f.age {
            let age = i64::from(age);
            q.push(" AND (min_age IS NULL OR min_age <= ")
                .bind(age)
                .push(") AND (max_age IS NULL OR max_age >= ")
                .bind(age)
                .push(")");
        }
        if let Some(owner) = f.owner {
            q.push(" AND owner_org = ").bind(owner);
        }
        q.push(" ORDER BY lower(name), id");
        self.conn().all_built(&q, decode).await
    }
}
