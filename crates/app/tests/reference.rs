//! The reference lists in force (bank holidays, local authorities): shipped until an operator loads a newer
//! version, which is checked line by line first; loading is for operators only and logged, refusals too.
//! Scenarios on SQLite and PostgreSQL.

use jiff::civil::date;
use severn_app::staff::StaffSpec;
use severn_app::{App, AppError};
use severn_domain::access::{Actor, Denial, OrgKind, Role, StaffKind};
use severn_domain::audit::AuditKey;
use severn_domain::authorities::Lookup;
use severn_domain::clock::FixedClock;
use severn_domain::ids::{OrgId, StaffId};
use severn_domain::reference::{ReferenceList, content_sha256};
use severn_store::Db;
use severn_store::testing::audit_log;
use std::sync::Arc;

severn_store::backend_matrix!(
    the_shipped_lists_are_in_force_until_one_is_loaded,
    a_loaded_list_is_in_force_here_and_for_a_new_app,
    a_bad_list_is_refused_naming_its_line_and_nothing_is_stored,
    only_operators_load_a_list_and_refusals_are_logged,
    people_of_a_force_read_the_authorities_and_others_are_refused,
);

const NOW: &str = "2026-03-01T09:00:00Z";

fn operator() -> Actor {
    Actor::Operator {
        name: "tester".into(),
    }
}

fn app_on(db: Db) -> App {
    App::new(
        db,
        Arc::new(FixedClock::new(NOW.parse().unwrap())),
        AuditKey::new([5; 32]),
    )
}

async fn person(app: &App, org: OrgId, username: &str, role: Role) -> Actor {
    let id = app
        .create_staff(
            &operator(),
            &StaffSpec {
                org,
                team: None,
                username: username.into(),
                display_name: username.into(),
                kind: StaffKind::Person,
                roles: vec![role],
            },
        )
        .await
        .unwrap();
    app.staff_by_id(id).await.unwrap().unwrap().actor()
}

const HOLIDAYS_2029: &str = "date,name\n\
    2029-01-01,New Year's Day\n\
    2029-03-30,Good Friday\n\
    2029-04-02,Easter Monday\n\
    2029-05-07,Early May bank holiday\n\
    2029-05-28,Spring bank holiday\n\
    2029-08-27,Summer bank holiday\n\
    2029-12-25,Christmas Day\n\
    2029-12-26,Boxing Day\n";

const OXFORD: &str = "code,name,nation,area\n\
    oxfordshire,Oxfordshire,England,OX1\n\
    bristol,Bristol,England,BS16\n\
    south-gloucestershire,South Gloucestershire,England,BS16\n";

async fn the_shipped_lists_are_in_force_until_one_is_loaded(db: Db) {
    let app = app_on(db);
    let calendar = app.calendar().await.unwrap();
    assert_eq!(
        calendar.add_working_days(date(2026, 4, 2), 1).unwrap(),
        date(2026, 4, 7)
    );
    let authorities = app.local_authorities().await.unwrap();
    assert_eq!(authorities.all().len(), 175);
    for list in ReferenceList::ALL {
        let in_force = app.reference_list_in_force(list).await.unwrap();
        assert_eq!(in_force.sha256, content_sha256(list.shipped()));
        assert_eq!(in_force.loaded_at, None);
        assert_eq!(in_force.loaded_by, None);
    }
}

async fn a_loaded_list_is_in_force_here_and_for_a_new_app(db: Db) {
    let app = app_on(db.clone());
    // Read (and kept) before the load: the load replaces what is kept.
    assert!(
        app.calendar()
            .await
            .unwrap()
            .is_working_day(date(2029, 1, 1))
            .is_err()
    );
    let loaded = app
        .load_reference_list(&operator(), ReferenceList::BankHolidays, HOLIDAYS_2029)
        .await
        .unwrap();
    assert_eq!(loaded.list, "bank-holidays");
    assert_eq!(loaded.sha256, content_sha256(HOLIDAYS_2029));
    assert_eq!(loaded.loaded_by.as_deref(), Some("operator:tester"));
    assert_eq!(
        loaded.loaded_at,
        Some(NOW.parse::<jiff::Timestamp>().unwrap().as_second())
    );
    assert!(
        !app.calendar()
            .await
            .unwrap()
            .is_working_day(date(2029, 1, 1))
            .unwrap()
    );
    app.load_reference_list(&operator(), ReferenceList::LocalAuthorities, OXFORD)
        .await
        .unwrap();
    let authorities = app.local_authorities().await.unwrap();
    assert_eq!(authorities.all().len(), 3);
    assert!(matches!(authorities.lookup("OX1 2JD"), Lookup::One(a) if a.code == "oxfordshire"));

    // Another application on the same database (a server started later) reads the stored versions.
    let fresh = app_on(db.clone());
    assert_eq!(
        fresh.calendar().await.unwrap().holiday(date(2029, 12, 26)),
        Some("Boxing Day")
    );
    assert_eq!(fresh.local_authorities().await.unwrap().all().len(), 3);
    assert_eq!(
        fresh
            .reference_list_in_force(ReferenceList::BankHolidays)
            .await
            .unwrap(),
        loaded
    );

    let entries: Vec<(String, String, String, String)> = audit_log(&db)
        .await
        .into_iter()
        .filter(|e| e.action == "install_reference_list")
        .map(|e| {
            (
                e.actor,
                e.target,
                e.outcome,
                e.processing.as_str().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            (
                "operator:tester".to_owned(),
                format!(
                    "reference_list:bank-holidays {}",
                    content_sha256(HOLIDAYS_2029)
                ),
                "allowed".to_owned(),
                "alteration".to_owned()
            ),
            (
                "operator:tester".to_owned(),
                format!(
                    "reference_list:local-authorities {}",
                    content_sha256(OXFORD)
                ),
                "allowed".to_owned(),
                "alteration".to_owned()
            ),
        ]
    );
}

async fn a_bad_list_is_refused_naming_its_line_and_nothing_is_stored(db: Db) {
    let app = app_on(db.clone());
    let bad_holidays = "date,name\n2029-01-01,New Year's Day\n2029-13-01,Nonsense\n";
    match app
        .load_reference_list(&operator(), ReferenceList::BankHolidays, bad_holidays)
        .await
    {
        Err(AppError::Invalid(message)) => assert_eq!(
            message,
            "bank holidays line 3: \"2029-13-01\" is not a date (YYYY-MM-DD)"
        ),
        other => panic!("expected the line named, got {other:?}"),
    }
    let bad_authorities =
        "code,name,nation,area\nbristol,Bristol,England,BS1\nedinburgh,Edinburgh,Scotland,EH1\n";
    match app
        .load_reference_list(
            &operator(),
            ReferenceList::LocalAuthorities,
            bad_authorities,
        )
        .await
    {
        Err(AppError::Invalid(message)) => assert_eq!(
            message,
            "local authorities line 3, nation: \"Scotland\" is not England or Wales"
        ),
        other => panic!("expected the line named, got {other:?}"),
    }
    for list in ReferenceList::ALL {
        let in_force = app.reference_list_in_force(list).await.unwrap();
        assert_eq!(in_force.loaded_by, None, "{list:?}");
    }
    assert_eq!(app.local_authorities().await.unwrap().all().len(), 175);
    assert!(
        audit_log(&db)
            .await
            .iter()
            .all(|e| e.action != "install_reference_list")
    );
}

async fn only_operators_load_a_list_and_refusals_are_logged(db: Db) {
    let app = app_on(db.clone());
    let force = app
        .create_org(
            &operator(),
            "force-a",
            "Force A Constabulary",
            OrgKind::Force,
        )
        .await
        .unwrap();
    let administrator = person(&app, force, "admin.a", Role::Administrator).await;
    let officer = person(&app, force, "safeguarding.a", Role::SafeguardingOfficer).await;
    for (actor, list, text) in [
        (&administrator, ReferenceList::LocalAuthorities, OXFORD),
        (&officer, ReferenceList::BankHolidays, HOLIDAYS_2029),
    ] {
        match app.load_reference_list(actor, list, text).await {
            Err(AppError::Denied(Denial::Role)) => {}
            other => panic!("{list:?} by {actor:?}: expected a refusal, got {other:?}"),
        }
    }
    for list in ReferenceList::ALL {
        assert_eq!(
            app.reference_list_in_force(list).await.unwrap().loaded_by,
            None
        );
    }
    let refusals: Vec<(String, String)> = audit_log(&db)
        .await
        .into_iter()
        .filter(|e| e.action == "install_reference_list")
        .map(|e| (e.actor, e.outcome))
        .collect();
    assert_eq!(
        refusals,
        [
            ("admin.a".to_owned(), "denied:role".to_owned()),
            ("safeguarding.a".to_owned(), "denied:role".to_owned()),
        ]
    );
}

async fn people_of_a_force_read_the_authorities_and_others_are_refused(db: Db) {
    let app = app_on(db);
    let force = app
        .create_org(
            &operator(),
            "force-a",
            "Force A Constabulary",
            OrgKind::Force,
        )
        .await
        .unwrap();
    let pcc = app
        .create_org(&operator(), "pcc", "Office of the PCC", OrgKind::PccOffice)
        .await
        .unwrap();
    for role in [Role::Investigator, Role::Auditor, Role::Administrator] {
        let actor = person(&app, force, &format!("{}.a", role.as_str()), role).await;
        assert_eq!(
            app.local_authorities_for(&actor).await.unwrap().all().len(),
            175,
            "{role:?}"
        );
    }
    assert!(app.local_authorities_for(&operator()).await.is_ok());
    let outside = person(&app, pcc, "pcc.officer", Role::PccOffice).await;
    let feed = Actor::Service {
        id: StaffId(99),
        name: "nca-feed".into(),
        org: force,
    };
    for actor in [outside, feed] {
        match app.local_authorities_for(&actor).await {
            Err(AppError::Denied(Denial::Role)) => {}
            other => panic!("{actor:?}: expected a refusal, got {other:?}"),
        }
    }
}
