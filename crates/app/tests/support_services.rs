//! The directory of support services as people use it, on SQLite and PostgreSQL: anyone signed in reads it;
//! safeguarding officers, the PCC's office and administrators keep their own organisation's entries; every
//! change and every refusal is in the audit log; an import is all or nothing.

use severn_app::staff::StaffSpec;
use severn_app::support::DirectoryQuery;
use severn_app::{App, AppError};
use severn_domain::access::{Actor, Denial, OrgKind, Role, StaffKind};
use severn_domain::audit::AuditKey;
use severn_domain::clock::FixedClock;
use severn_domain::ids::OrgId;
use severn_domain::support::{
    Areas, NewSupportService, Serves, ServiceId, ServiceKind, parse_csv, to_csv,
};
use severn_store::Db;
use std::sync::Arc;

severn_store::backend_matrix!(
    keepers_add_and_change_their_own_entries_and_everyone_reads_them,
    other_roles_and_other_organisations_are_refused_and_logged,
    an_import_is_all_or_nothing_and_replaces_entries_by_name,
    the_directory_pages_filters_and_flags_contracts_ending,
);

const NOW: &str = "2026-03-01T09:00:00Z";

fn operator() -> Actor {
    Actor::Operator {
        name: "tester".into(),
    }
}

struct World {
    app: App,
    db: Db,
    pcc: OrgId,
    force: OrgId,
    /// The PCC's office: keeps the commissioned services.
    commissioner: Actor,
    /// A safeguarding officer of the force.
    officer: Actor,
    investigator: Actor,
}

async fn person(app: &App, org: OrgId, username: &str, role: Role) -> Actor {
    let id = app
        .create_staff(
            &operator(),
            &StaffSpec {
                org,
                team: None,
                username: username.into(),
                display_name: format!("Name of {username}"),
                kind: StaffKind::Person,
                roles: vec![role],
            },
        )
        .await
        .unwrap();
    app.staff_by_id(id).await.unwrap().unwrap().actor()
}

async fn world(db: Db) -> World {
    let clock = Arc::new(FixedClock::new(NOW.parse().unwrap()));
    let app = App::new(db.clone(), clock, AuditKey::new([7; 32]));
    let pcc = app
        .create_org(&operator(), "pcc", "Office of the PCC", OrgKind::PccOffice)
        .await
        .unwrap();
    let force = app
        .create_org(
            &operator(),
            "force-a",
            "Force A Constabulary",
            OrgKind::Force,
        )
        .await
        .unwrap();
    World {
        commissioner: person(&app, pcc, "pcc.a", Role::PccOffice).await,
        officer: person(&app, force, "safe.a", Role::SafeguardingOfficer).await,
        investigator: person(&app, force, "inv.a", Role::Investigator).await,
        app,
        db,
        pcc,
        force,
    }
}

fn entry(name: &str) -> NewSupportService {
    NewSupportService {
        name: name.into(),
        kind: ServiceKind::YoungVictims,
        serves: [Serves::ChildrenAndYoungPeople].into(),
        min_age: Some(5),
        max_age: Some(18),
        areas: Areas::Listed(["bristol".to_owned()].into()),
        needs: ["online abuse".to_owned()].into(),
        capacity: Some(10),
        phone: Some("07700 900200".into()),
        email: None,
        web: None,
        commissioner: "Office of the PCC".into(),
        contract_ends: None,
        active: true,
    }
}

async fn last_outcome(db: &Db) -> (String, String, String) {
    let log = severn_store::testing::audit_log(db).await;
    let last = log.last().unwrap();
    (
        last.action.clone(),
        last.target.clone(),
        last.outcome.clone(),
    )
}

async fn keepers_add_and_change_their_own_entries_and_everyone_reads_them(db: Db) {
    let w = world(db).await;
    let id = w
        .app
        .add_support_service(
            &w.commissioner,
            None,
            entry("Severnshire Young Victims Service"),
        )
        .await
        .unwrap();
    assert_eq!(
        last_outcome(&w.db).await,
        (
            "manage_support_services".into(),
            "support_service:new".into(),
            "allowed".into()
        )
    );
    let stored = w.app.support_service(id).await.unwrap();
    assert_eq!(stored.owner_org, w.pcc);
    assert_eq!(stored.updated_by, "pcc.a");
    // An investigator reads the directory (it names no one), but may change nothing.
    let read = w
        .app
        .support_directory(&w.investigator, &DirectoryQuery::default())
        .await
        .unwrap();
    assert_eq!(read.total, 1);
    assert!(!read.may_add);
    assert!(!read.services[0].may_change);
    assert_eq!(read.services[0].kept_by, "Office of the PCC");
    // The PCC's office changes its own entry.
    let closed = NewSupportService {
        active: false,
        ..entry("Severnshire Young Victims Service")
    };
    w.app
        .update_support_service(&w.commissioner, id, closed)
        .await
        .unwrap();
    assert!(!w.app.support_service(id).await.unwrap().details.active);
    assert_eq!(
        last_outcome(&w.db).await,
        (
            "manage_support_services".into(),
            format!("support_service:{id}"),
            "allowed".into()
        )
    );
    // A second entry of the same name in the same organisation is refused.
    let again = w
        .app
        .add_support_service(
            &w.commissioner,
            None,
            entry("severnshire young victims service"),
        )
        .await;
    assert!(matches!(again, Err(AppError::Invalid(m)) if m.contains("already keeps")));
    assert_eq!(last_outcome(&w.db).await.2, "denied:invalid");
    // An operator names the organisation that keeps the entry.
    assert!(matches!(
        w.app.add_support_service(&operator(), None, entry("Unowned")).await,
        Err(AppError::Invalid(m)) if m.contains("--org")
    ));
    w.app
        .add_support_service(
            &operator(),
            Some(w.force),
            entry("Force A Safeguarding Unit"),
        )
        .await
        .unwrap();
    assert_eq!(
        w.app
            .support_services(None, Some("bristol"), Some(12), Some(true))
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn other_roles_and_other_organisations_are_refused_and_logged(db: Db) {
    let w = world(db).await;
    let theirs = w
        .app
        .add_support_service(&w.commissioner, None, entry("PCC ISVA"))
        .await
        .unwrap();
    // An investigator may not add to the directory.
    assert!(matches!(
        w.app
            .add_support_service(&w.investigator, None, entry("Mine"))
            .await,
        Err(AppError::Denied(Denial::Role))
    ));
    assert_eq!(last_outcome(&w.db).await.2, "denied:role");
    assert!(matches!(
        w.app
            .update_support_service(&w.investigator, theirs, entry("PCC ISVA"))
            .await,
        Err(AppError::Denied(Denial::Role))
    ));
    // A force's safeguarding officer may not change the PCC's entry, nor add one for the PCC.
    let changed = w
        .app
        .update_support_service(&w.officer, theirs, entry("Renamed"))
        .await;
    assert!(matches!(changed, Err(AppError::Invalid(m)) if m.contains("Another organisation")));
    let (action, target, outcome) = last_outcome(&w.db).await;
    assert_eq!(
        (action.as_str(), outcome.as_str()),
        ("manage_support_services", "denied:invalid")
    );
    assert_eq!(target, format!("support_service:{theirs}"));
    assert_eq!(
        w.app.support_service(theirs).await.unwrap().details.name,
        "PCC ISVA"
    );
    assert!(matches!(
        w.app.add_support_service(&w.officer, Some(w.pcc), entry("For them")).await,
        Err(AppError::Invalid(m)) if m.contains("your own organisation")
    ));
    assert_eq!(last_outcome(&w.db).await.2, "denied:other_force");
    assert!(matches!(
        w.app
            .import_support_services(&w.officer, Some(w.pcc), "")
            .await,
        Err(AppError::Invalid(_))
    ));
    assert_eq!(last_outcome(&w.db).await.2, "denied:other_force");
    // A service that is not there.
    assert!(matches!(
        w.app
            .update_support_service(&w.officer, ServiceId(9_999), entry("X"))
            .await,
        Err(AppError::NotFound(_))
    ));
    assert_eq!(last_outcome(&w.db).await.2, "denied:not_found");
    assert!(matches!(
        w.app.support_service(ServiceId(9_999)).await,
        Err(AppError::NotFound(_))
    ));
    // A bad entry is refused before anything is logged or written, naming what is wrong.
    let bad = NewSupportService {
        capacity: Some(0),
        ..entry("Bad")
    };
    assert!(matches!(
        w.app.add_support_service(&w.officer, None, bad).await,
        Err(AppError::Invalid(m)) if m.contains("at least one")
    ));
    // A filter that cannot be an area code is refused.
    assert!(matches!(
        w.app
            .support_services(None, Some("Bristol City"), None, None)
            .await,
        Err(AppError::Invalid(_))
    ));
}

const HEADER: &str = "name,kind,serves,min_age,max_age,areas,needs,capacity,phone,email,web,commissioner,\
                      contract_ends,active\n";

async fn an_import_is_all_or_nothing_and_replaces_entries_by_name(db: Db) {
    let w = world(db).await;
    w.app
        .add_support_service(&w.commissioner, None, entry("Severnshire ISVA"))
        .await
        .unwrap();
    let bad = format!(
        "{HEADER}New Therapy,sexual_violence_therapy,children_and_young_people,,,all,,,07700 900301,,,Office of the PCC,,yes\n\
         Broken,isva,children_and_young_people,9,7,all,,0,,,,,,yes\n"
    );
    let refused = w
        .app
        .import_support_services(&w.commissioner, None, &bad)
        .await;
    let Err(AppError::Invalid(message)) = refused else {
        panic!("a bad file is refused: {refused:?}");
    };
    assert!(message.contains("line 3, field max_age"), "{message}");
    assert_eq!(last_outcome(&w.db).await.2, "denied:invalid");
    assert_eq!(
        w.app
            .support_services(None, None, None, None)
            .await
            .unwrap()
            .len(),
        1,
        "nothing was imported"
    );
    let good = format!(
        "{HEADER}New Therapy,sexual_violence_therapy,children_and_young_people,,,all,,,07700 900301,,,Office of the PCC,,yes\n\
         severnshire isva,isva,children_and_young_people,13,25,all,,,07700 900302,,,Office of the PCC,2026-06-30,yes\n"
    );
    let outcome = w
        .app
        .import_support_services(&w.commissioner, None, &good)
        .await
        .unwrap();
    assert_eq!((outcome.added, outcome.changed), (1, 1));
    assert_eq!(
        last_outcome(&w.db).await,
        (
            "manage_support_services".into(),
            "support_services:import".into(),
            "allowed".into()
        )
    );
    let all = w
        .app
        .support_services(None, None, None, None)
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    // The export reads back as the same entries.
    let exported = parse_csv(&to_csv(&all)).unwrap();
    assert_eq!(
        exported,
        all.iter().map(|s| s.details.clone()).collect::<Vec<_>>()
    );
}

async fn the_directory_pages_filters_and_flags_contracts_ending(db: Db) {
    let w = world(db).await;
    for i in 0..30 {
        let ends = match i {
            0 => Some(jiff::civil::date(2026, 8, 31)), // within six months of 1 March 2026
            1 => Some(jiff::civil::date(2026, 2, 1)),  // ended
            2 => Some(jiff::civil::date(2027, 1, 1)),  // later
            _ => None,
        };
        let e = NewSupportService {
            contract_ends: ends,
            kind: if i < 3 {
                ServiceKind::Isva
            } else {
                ServiceKind::YoungVictims
            },
            ..entry(&format!("Service {i:02}"))
        };
        w.app
            .add_support_service(&w.commissioner, None, e)
            .await
            .unwrap();
    }
    let first = w
        .app
        .support_directory(&w.commissioner, &DirectoryQuery::default())
        .await
        .unwrap();
    assert_eq!((first.total, first.page, first.pages), (30, 1, 2));
    assert_eq!(first.services.len(), 25);
    assert!(first.may_add && first.services.iter().all(|s| s.may_change));
    assert!(first.services[0].contract_ends_soon && !first.services[0].contract_ended);
    assert!(first.services[1].contract_ended && !first.services[1].contract_ends_soon);
    assert!(!first.services[2].contract_ends_soon);
    let ending: Vec<&str> = first
        .contracts_ending
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(ending, vec!["Service 01", "Service 00"]);
    let second = w
        .app
        .support_directory(
            &w.commissioner,
            &DirectoryQuery {
                page: 2,
                ..DirectoryQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(second.services.len(), 5);
    let isvas = w
        .app
        .support_directory(
            &w.investigator,
            &DirectoryQuery {
                kind: Some(ServiceKind::Isva),
                age: Some(12),
                area: Some("bristol".into()),
                page: 9,
                ..DirectoryQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((isvas.total, isvas.page, isvas.pages), (3, 1, 1));
    // The gaps are over every active service, whatever the filters.
    assert_eq!(isvas.contracts_ending.len(), 2);
    let elsewhere = w
        .app
        .support_directory(
            &w.investigator,
            &DirectoryQuery {
                area: Some("north-somerset".into()),
                ..DirectoryQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(elsewhere.total, 0);
    assert_eq!(elsewhere.pages, 1);
}
