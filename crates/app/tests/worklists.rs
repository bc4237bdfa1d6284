//! The worklists: each list, each filter and sort, what is new since the last visit, saved filters, and the
//! refusals — on SQLite and PostgreSQL (the store's queries run on both through these).

use serde_json::{Value, json};
use severn_app::caselist::{WorklistPage, WorklistParams};
use severn_app::gate::Why;
use severn_app::ingest::Ingester;
use severn_app::staff::StaffSpec;
use severn_app::{App, AppError};
use severn_domain::access::{Actor, OrgKind, Role, StaffKind};
use severn_domain::audit::AuditKey;
use severn_domain::clock::FixedClock;
use severn_domain::ids::{CaseId, OrgId, StaffId, SubjectId, TeamId};
use severn_ingest::{DocContext, Item, parse_document};
use severn_store::Db;
use severn_store::testing::fetch_i64;
use std::sync::Arc;

severn_store::backend_matrix!(
    each_list_holds_its_cases_and_only_the_lists_a_person_may_use_are_offered,
    filters_and_sorts_narrow_and_order_the_list,
    no_filter_reaches_another_forces_cases,
    cases_changed_since_the_last_visit_are_marked_new,
    saved_filters_are_private_and_checked,
    a_bad_parameter_is_refused_by_name_and_logged,
);

const NOW: &str = "2026-03-01T09:00:00Z";

fn operator() -> Actor {
    Actor::Operator {
        name: "tester".into(),
    }
}

struct World {
    db: Db,
    app: App,
    clock: Arc<FixedClock>,
    /// Team members: inv.a (officer of case 1) and inv2.a (officer of case 2, restricted to them).
    inv: Actor,
    inv_id: StaffId,
    inv2: Actor,
    inv2_id: StaffId,
    /// A supervisor with no team.
    sup: Actor,
    sup_id: StaffId,
    /// Force B's investigator; force A's case 3 is shared with them.
    other: Actor,
    /// A regional unit's investigator; case 3 (and the restricted case 2) are shared with them.
    regional: Actor,
    /// Force A's cases 1, 2 and 3, and force B's own case.
    cases: [CaseId; 3],
    other_case: CaseId,
}

async fn person(
    app: &App,
    org: OrgId,
    team: Option<TeamId>,
    username: &str,
    role: Role,
) -> (Actor, StaffId) {
    let id = app
        .create_staff(
            &operator(),
            &StaffSpec {
                org,
                team,
                username: username.into(),
                display_name: format!("Name of {username}"),
                kind: StaffKind::Person,
                roles: vec![role],
            },
        )
        .await
        .unwrap();
    (app.staff_by_id(id).await.unwrap().unwrap().actor(), id)
}

fn le_doc(id: u64, email: &str) -> Value {
    json!({
        "reportId": id.to_string(),
        "dateReceived": "2026-02-28T08:00:00Z",
        "reportedInformation": {
            "reportingEsp": { "espName": "Example Ltd" },
            "incidentSummary": {
                "incidentType": "Child Pornography (possession, manufacture, and distribution)",
                "incidentDateTime": "2026-02-27T14:30:00Z"
            },
            "reportedPeople": { "reportedPersons": [
                { "espService": "Example", "espUserId": format!("u{id}"), "emails": [{ "value": email }] }
            ] }
        }
    })
}

async fn ingest(app: &App, force: &str, id: u64, email: &str) -> SubjectId {
    let mut ingester = Ingester::new(app, &operator(), Some(force)).await.unwrap();
    let bytes = serde_json::to_vec(&le_doc(id, email)).unwrap();
    let parsed = parse_document(&bytes, "in/report.json", &DocContext::default()).unwrap();
    ingester
        .push(Item::Parsed {
            path: "in/report.json".into(),
            parsed,
        })
        .await
        .unwrap();
    ingester.finish().await.unwrap();
    app.referral(&operator(), &id.to_string(), Why::default())
        .await
        .unwrap()
        .subject
        .subject
}

fn hours(n: i64) -> jiff::Timestamp {
    NOW.parse::<jiff::Timestamp>()
        .unwrap()
        .checked_add(jiff::SignedDuration::from_hours(n))
        .unwrap()
}

async fn world(db: Db) -> World {
    let clock = Arc::new(FixedClock::new(NOW.parse().unwrap()));
    let app = App::new(db.clone(), clock.clone(), AuditKey::new([6; 32]));
    let op = operator();
    let force_a = app
        .create_org(&op, "force-a", "Force A Constabulary", OrgKind::Force)
        .await
        .unwrap();
    let force_b = app
        .create_org(&op, "force-b", "Force B Police", OrgKind::Force)
        .await
        .unwrap();
    let unit = app
        .create_org(&op, "ru", "Regional Unit", OrgKind::RegionalUnit)
        .await
        .unwrap();
    let team = app
        .create_team(&op, force_a, "Online Team 1")
        .await
        .unwrap();
    let (inv, inv_id) = person(&app, force_a, Some(team), "inv.a", Role::Investigator).await;
    let (inv2, inv2_id) = person(&app, force_a, Some(team), "inv2.a", Role::Investigator).await;
    let (sup, sup_id) = person(&app, force_a, None, "sup.a", Role::Supervisor).await;
    let (other, _) = person(&app, force_b, None, "inv.b", Role::Investigator).await;
    let (regional, _) = person(&app, unit, None, "inv.ru", Role::Investigator).await;
    let mut subjects = Vec::new();
    for (n, email) in ["one@example.com", "two@example.com", "three@example.com"]
        .into_iter()
        .enumerate()
    {
        subjects.push(ingest(&app, "force-a", 2001 + n as u64, email).await);
    }
    let b_subject = ingest(&app, "force-b", 3001, "bee@example.org").await;
    clock.set(hours(6));
    let mut cases = Vec::new();
    for subject in &subjects {
        cases.push(app.open_case(&inv, *subject).await.unwrap());
    }
    let other_case = app.open_case(&other, b_subject).await.unwrap();
    for (case, officer) in [(cases[0], inv_id), (cases[1], inv2_id)] {
        app.allocate(
            &sup,
            case,
            (officer, Some(sup_id)),
            Some("The officer on duty"),
            Why::default(),
        )
        .await
        .unwrap();
    }
    app.restrict_case(
        &sup,
        subjects[1],
        Some(&["inv2.a".to_owned(), "sup.a".to_owned()]),
        "A member of staff is named in the referral",
    )
    .await
    .unwrap();
    for (subject, with) in [
        (subjects[2], "inv.b"),
        (subjects[2], "inv.ru"),
        (subjects[1], "inv.ru"),
    ] {
        app.share_case(&sup, subject, with, "Joint investigation")
            .await
            .unwrap();
    }
    World {
        db,
        app,
        clock,
        inv,
        inv_id,
        inv2,
        inv2_id,
        sup,
        sup_id,
        other,
        regional,
        cases: [cases[0], cases[1], cases[2]],
        other_case,
    }
}

fn params(pairs: &[(&str, &str)]) -> WorklistParams {
    let query: String = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    serde_json::from_value(Value::Object(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
            .collect(),
    ))
    .unwrap_or_else(|e| panic!("{query}: {e}"))
}

async fn list(w: &World, actor: &Actor, pairs: &[(&str, &str)]) -> WorklistPage {
    w.app.worklist(actor, &params(pairs)).await.unwrap()
}

fn case_ids(page: &WorklistPage) -> Vec<CaseId> {
    page.entries.iter().map(|e| e.case).collect()
}

async fn each_list_holds_its_cases_and_only_the_lists_a_person_may_use_are_offered(db: Db) {
    let w = world(db).await;
    let [one, two, three] = w.cases;
    assert_eq!(
        case_ids(&list(&w, &w.inv, &[("list", "mine")]).await),
        [one]
    );
    let team = list(&w, &w.inv, &[("list", "team")]).await;
    assert_eq!(team.total, 2);
    assert!(case_ids(&team).contains(&one) && case_ids(&team).contains(&two));
    assert_eq!(
        case_ids(&list(&w, &w.inv, &[("list", "unallocated")]).await),
        [three]
    );
    assert_eq!(list(&w, &w.inv, &[("list", "open")]).await.total, 3);
    assert_eq!(list(&w, &w.inv, &[("list", "closed")]).await.total, 0);
    assert_eq!(list(&w, &w.sup, &[("list", "supervised")]).await.total, 2);
    // Shared with me: another force's case through its share, not the person's own force's work.
    let shared = list(&w, &w.other, &[("list", "shared")]).await;
    assert_eq!(case_ids(&shared), [three]);
    assert!(shared.entries[0].shared);
    // The regional unit sees the shared case, but not the one restricted since (a restriction closes shares).
    let regional = list(&w, &w.regional, &[]).await;
    assert_eq!(regional.list, "shared");
    assert_eq!(case_ids(&regional), [three]);
    // The flags.
    let all = list(&w, &w.sup, &[("list", "open"), ("sort", "case")]).await;
    let flags: Vec<(bool, bool)> = all
        .entries
        .iter()
        .map(|e| (e.restricted, e.shared))
        .collect();
    assert_eq!(flags, [(false, false), (true, true), (false, true)]);
    assert_eq!(all.entries[0].sources, ["NCMEC (via the NCA)"]);
    // The lists offered follow the role, the team and the organisation.
    let offered = |page: &WorklistPage| page.lists.iter().map(|t| t.list).collect::<Vec<_>>();
    assert_eq!(
        offered(&list(&w, &w.inv, &[]).await),
        ["mine", "team", "shared", "unallocated", "open", "closed"]
    );
    assert_eq!(
        offered(&list(&w, &w.sup, &[]).await),
        [
            "mine",
            "supervised",
            "shared",
            "unallocated",
            "open",
            "closed"
        ]
    );
    assert_eq!(offered(&regional), ["shared"]);
    for (actor, asked) in [
        (&w.inv, "supervised"),
        (&w.sup, "team"),
        (&w.regional, "open"),
        (&w.regional, "mine"),
    ] {
        let refused = w.app.worklist(actor, &params(&[("list", asked)])).await;
        assert!(
            matches!(&refused, Err(AppError::Invalid(m)) if m.contains("\"list\"")),
            "{asked}: {refused:?}"
        );
    }
}

async fn filters_and_sorts_narrow_and_order_the_list(db: Db) {
    let w = world(db).await;
    let [one, two, three] = w.cases;
    let open = |extra: &[(&'static str, &'static str)]| {
        let mut pairs = vec![("list", "open")];
        pairs.extend_from_slice(extra);
        pairs
    };
    assert_eq!(
        case_ids(&list(&w, &w.sup, &open(&[("restricted", "yes")])).await),
        [two]
    );
    assert_eq!(
        case_ids(&list(&w, &w.sup, &open(&[("shared", "yes"), ("sort", "case")])).await),
        [two, three]
    );
    let officer = w.inv2_id.0.to_string();
    let by_officer = w
        .app
        .worklist(
            &w.sup,
            &params(&[("list", "open"), ("officer", officer.as_str())]),
        )
        .await
        .unwrap();
    assert_eq!(case_ids(&by_officer), [two]);
    assert_eq!(by_officer.officers.len(), 2);
    assert_eq!(
        list(&w, &w.sup, &open(&[("source", "ncmec")])).await.total,
        3
    );
    assert_eq!(
        list(&w, &w.sup, &open(&[("source", "partner_agency")]))
            .await
            .total,
        0
    );
    let band = list(&w, &w.sup, &open(&[])).await.entries[0].band;
    assert_eq!(
        list(&w, &w.sup, &open(&[("band", band.as_str())]))
            .await
            .total,
        3
    );
    assert_eq!(
        list(&w, &w.sup, &open(&[("clock", "stopped")])).await.total,
        0
    );
    assert_eq!(
        list(&w, &w.sup, &open(&[("clock", "overdue")])).await.total,
        0
    );
    assert_eq!(
        list(&w, &w.sup, &open(&[("clock", "on_track")]))
            .await
            .total,
        3
    );
    // A year on, every running clock is overdue.
    w.clock.set(hours(24 * 365));
    assert_eq!(
        list(&w, &w.sup, &open(&[("clock", "overdue")])).await.total,
        3
    );
    assert_eq!(
        list(&w, &w.sup, &open(&[("clock", "due_soon")]))
            .await
            .total,
        0
    );
    assert_eq!(
        case_ids(&list(&w, &w.sup, &open(&[("sort", "case"), ("order", "desc")])).await),
        [three, two, one]
    );
    assert_eq!(
        case_ids(&list(&w, &w.sup, &open(&[("sort", "received")])).await),
        [one, two, three]
    );
    assert_eq!(list(&w, &w.sup, &open(&[("sort", "band")])).await.total, 3);
    // A status filter on a list of one's own cases shows the closed ones instead.
    assert_eq!(
        list(&w, &w.inv, &[("list", "mine"), ("status", "closed")])
            .await
            .total,
        0
    );
    assert_eq!(
        list(&w, &w.sup, &[("list", "open"), ("status", "closed")])
            .await
            .total,
        0
    );
}

async fn no_filter_reaches_another_forces_cases(db: Db) {
    let w = world(db).await;
    let filters: [&[(&str, &str)]; 7] = [
        &[],
        &[("restricted", "yes")],
        &[("shared", "yes")],
        &[("source", "ncmec")],
        &[("clock", "on_track")],
        &[("sort", "band"), ("order", "desc")],
        &[("status", "open")],
    ];
    let own = w.other_case;
    for name in ["open", "unallocated", "closed", "mine"] {
        for extra in filters {
            let mut pairs = vec![("list", name)];
            pairs.extend_from_slice(extra);
            let page = list(&w, &w.other, &pairs).await;
            assert!(
                page.entries.iter().all(|e| e.case == own),
                "{pairs:?}: {:?}",
                case_ids(&page)
            );
        }
    }
    // Force A's officer filter names force A's people: in force B it finds nothing of force A's.
    let officer = w.inv_id.0.to_string();
    let page = w
        .app
        .worklist(
            &w.other,
            &params(&[("list", "open"), ("officer", officer.as_str())]),
        )
        .await
        .unwrap();
    assert!(page.entries.is_empty());
    // Through the share, only the shared case, and none of its force's others, whatever the filter.
    for extra in filters {
        let mut pairs = vec![("list", "shared")];
        pairs.extend_from_slice(extra);
        let page = list(&w, &w.regional, &pairs).await;
        assert!(
            page.entries.iter().all(|e| e.case == w.cases[2]),
            "{pairs:?}: {:?}",
            case_ids(&page)
        );
    }
}

async fn cases_changed_since_the_last_visit_are_marked_new(db: Db) {
    let w = world(db).await;
    let first = list(&w, &w.inv, &[("list", "mine")]).await;
    assert_eq!(
        first.new_since_visit, None,
        "a first visit has nothing to count from"
    );
    assert!(first.entries.iter().all(|e| !e.new));
    w.clock.set(hours(8));
    w.app
        .allocate(
            &w.sup,
            w.cases[2],
            (w.inv_id, Some(w.sup_id)),
            Some("The officer on duty"),
            Why::default(),
        )
        .await
        .unwrap();
    w.clock.set(hours(9));
    // A later page marks, but does not count as a visit.
    let second = list(&w, &w.inv, &[("list", "mine"), ("page", "2")]).await;
    assert_eq!(second.new_since_visit, Some(1));
    let again = list(&w, &w.inv, &[("list", "mine")]).await;
    assert_eq!(again.new_since_visit, Some(1));
    let marked: Vec<(CaseId, bool)> = again.entries.iter().map(|e| (e.case, e.new)).collect();
    assert!(marked.contains(&(w.cases[2], true)), "{marked:?}");
    assert!(marked.contains(&(w.cases[0], false)), "{marked:?}");
    // Page 1 recorded the visit: nothing is new now.
    w.clock.set(hours(10));
    let after = list(&w, &w.inv, &[("list", "mine")]).await;
    assert_eq!(after.new_since_visit, Some(0));
    assert!(after.entries.iter().all(|e| !e.new));
    // Visits are per list: the team's list has not been visited.
    assert_eq!(
        list(&w, &w.inv, &[("list", "team")]).await.new_since_visit,
        None
    );
}

async fn saved_filters_are_private_and_checked(db: Db) {
    let w = world(db).await;
    let saved = w
        .app
        .save_filter(
            &w.inv,
            "  Overdue, highest first ",
            &params(&[
                ("list", "team"),
                ("clock", "overdue"),
                ("sort", "band"),
                ("page", "4"),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(saved.name, "Overdue, highest first");
    assert_eq!(saved.query, "list=team&clock=overdue&sort=band");
    assert_eq!(w.app.saved_filters(&w.inv).await.unwrap().len(), 1);
    assert!(w.app.saved_filters(&w.inv2).await.unwrap().is_empty());
    // Saving under the same name replaces it.
    let replaced = w
        .app
        .save_filter(
            &w.inv,
            "Overdue, highest first",
            &params(&[("list", "mine")]),
        )
        .await
        .unwrap();
    let mine = w.app.saved_filters(&w.inv).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].query, "list=mine");
    assert_eq!(mine[0].id, replaced.id);
    // Another person cannot delete it: to them it is not there.
    let theirs = w.app.delete_filter(&w.inv2, saved.id).await;
    assert!(matches!(theirs, Err(AppError::NotFound(_))), "{theirs:?}");
    assert_eq!(w.app.saved_filters(&w.inv).await.unwrap().len(), 1);
    for (name, asked, says) in [
        ("", &[][..], "name"),
        (&"x".repeat(61)[..], &[][..], "60"),
        ("bell\u{7}", &[][..], "control"),
        ("band", &[("band", "red")][..], "\"band\""),
        ("not mine", &[("list", "supervised")][..], "\"list\""),
    ] {
        let refused = w.app.save_filter(&w.inv, name, &params(asked)).await;
        assert!(
            matches!(&refused, Err(AppError::Invalid(m)) if m.contains(says)),
            "{name:?}: {refused:?}"
        );
    }
    w.app.delete_filter(&w.inv, saved.id).await.unwrap();
    assert!(w.app.saved_filters(&w.inv).await.unwrap().is_empty());
    let again = w.app.delete_filter(&w.inv, saved.id).await;
    assert!(matches!(again, Err(AppError::NotFound(_))), "{again:?}");
}

async fn a_bad_parameter_is_refused_by_name_and_logged(db: Db) {
    let w = world(db).await;
    let logged = "SELECT COUNT(*) FROM audit_log WHERE actor = 'inv.a' AND target = 'worklist'";
    let before = fetch_i64(&w.db, logged).await.unwrap();
    let refused = w
        .app
        .worklist(&w.inv, &params(&[("list", "open"), ("sort", "colour")]))
        .await;
    assert!(
        matches!(&refused, Err(AppError::Invalid(m)) if m.contains("\"sort\"") && m.contains("due, received, band, case")),
        "{refused:?}"
    );
    assert_eq!(fetch_i64(&w.db, logged).await.unwrap(), before + 1);
    let denied = fetch_i64(
        &w.db,
        "SELECT COUNT(*) FROM audit_log WHERE actor = 'inv.a' AND target = 'worklist' \
         AND outcome = 'denied:invalid'",
    )
    .await
    .unwrap();
    assert_eq!(denied, 1);
    // One entry per page viewed.
    list(&w, &w.inv, &[("list", "open")]).await;
    assert_eq!(fetch_i64(&w.db, logged).await.unwrap(), before + 2);
}
