//! The demo's directory of support services: a handful of invented services the Severnshire PCC's office and
//! the first force keep, one whose contract ends within six months of the demo's date and one with few places.
//! Those that work in some areas only list real local authorities' codes, the ones the demo's children live in
//! (Bristol and South Gloucestershire), so the directory and the children on cases line up.

use anyhow::{Context, Result};
use jiff::ToSpan;
use jiff::civil::Date;
use severn_app::App;
use severn_domain::access::Actor;
use severn_domain::support::{Areas, NewSupportService, Serves, ServiceKind};

fn listed(codes: &[&str]) -> Areas {
    Areas::Listed(codes.iter().map(|c| (*c).to_owned()).collect())
}

fn needs(words: &[&str]) -> std::collections::BTreeSet<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

/// The demo's services, by what they are for: the directory numbers support referrals name.
pub struct Directory {
    pub young_victims: i64,
    pub isva: i64,
    pub therapy: i64,
    pub families: i64,
    pub unit: i64,
}

/// Adds the demo's services, kept by the organisations with the codes `pcc` and `force`, as of `today`.
pub async fn directory(
    app: &App,
    operator: &Actor,
    (pcc, force): (&str, &str),
    today: Date,
) -> Result<Directory> {
    let orgs = app.list_orgs(operator).await?;
    let org = |code: &str| {
        orgs.iter()
            .find(|o| o.code == code)
            .map(|o| o.id)
            .with_context(|| format!("the demo has no organisation {code}"))
    };
    let (pcc, force) = (org(pcc)?, org(force)?);
    let children = [Serves::ChildrenAndYoungPeople].into();
    let services = [
        (
            pcc,
            NewSupportService {
                name: "Severnshire Young Victims Service".into(),
                kind: ServiceKind::YoungVictims,
                serves: [Serves::ChildrenAndYoungPeople, Serves::ParentsAndCarers].into(),
                min_age: Some(5),
                max_age: Some(18),
                areas: Areas::All,
                needs: needs(&["online abuse", "sexual abuse", "exploitation"]),
                capacity: Some(60),
                phone: Some("07700 900610".into()),
                email: Some("referrals@young-victims.example.org".into()),
                web: Some("https://young-victims.example.org".into()),
                commissioner: "Office of the Severnshire PCC".into(),
                // Within six months of the demo's date: a gap the PCC's office sees on the directory.
                contract_ends: Some(today.checked_add(4.months())?),
                active: true,
            },
        ),
        (
            pcc,
            NewSupportService {
                name: "Marches ISVA Service (children and young people)".into(),
                kind: ServiceKind::Isva,
                serves: children,
                min_age: Some(13),
                max_age: Some(25),
                areas: listed(&["bristol", "south-gloucestershire"]),
                needs: needs(&["sexual abuse", "online abuse"]),
                capacity: Some(25),
                phone: Some("07700 900611".into()),
                email: Some("isva@marches-isva.example.org".into()),
                web: None,
                commissioner: "Office of the Severnshire PCC".into(),
                contract_ends: Some(today.checked_add(2.years())?),
                active: true,
            },
        ),
        (
            pcc,
            NewSupportService {
                name: "Teme Valley Therapeutic Service".into(),
                kind: ServiceKind::SexualViolenceTherapy,
                serves: [Serves::ChildrenAndYoungPeople].into(),
                min_age: Some(4),
                max_age: Some(17),
                areas: listed(&["south-gloucestershire"]),
                needs: needs(&["sexual abuse", "online abuse"]),
                // Few places: the first to fill, so "at capacity" shows once referrals are accepted.
                capacity: Some(2),
                phone: Some("07700 900612".into()),
                email: None,
                web: Some("https://teme-therapy.example.org".into()),
                commissioner: "NHS England with the Severnshire PCC".into(),
                contract_ends: Some(today.checked_add(18.months())?),
                active: true,
            },
        ),
        (
            pcc,
            NewSupportService {
                name: "Stop It Now (Severnshire families)".into(),
                kind: ServiceKind::OffendersFamilies,
                serves: [Serves::FamiliesOfSuspects].into(),
                min_age: None,
                max_age: None,
                areas: Areas::All,
                needs: Default::default(),
                capacity: None,
                phone: Some("07700 900613".into()),
                email: None,
                web: Some("https://stop-it-now.example.org".into()),
                commissioner: "Office of the Severnshire PCC".into(),
                contract_ends: None,
                active: true,
            },
        ),
        (
            force,
            NewSupportService {
                name: "Severnshire Safeguarding Unit".into(),
                kind: ServiceKind::SafeguardingUnit,
                serves: [Serves::ChildrenAndYoungPeople, Serves::ParentsAndCarers].into(),
                min_age: None,
                max_age: Some(17),
                areas: listed(&["bristol", "south-gloucestershire"]),
                needs: Default::default(),
                capacity: None,
                phone: Some("07700 900614".into()),
                email: Some("safeguarding@severnshire.example.org".into()),
                web: None,
                commissioner: "Severnshire Constabulary".into(),
                contract_ends: None,
                active: true,
            },
        ),
    ];
    let mut ids = Vec::new();
    for (owner, service) in services {
        ids.push(
            app.add_support_service(operator, Some(owner), service)
                .await?
                .0,
        );
    }
    let [young_victims, isva, therapy, families, unit] = ids[..] else {
        anyhow::bail!("the demo's directory has five services");
    };
    Ok(Directory {
        young_victims,
        isva,
        therapy,
        families,
        unit,
    })
}
