//! The worklists' query on SQLite and PostgreSQL: each list, filter and order, the count of what changed, and
//! the handle for "Shared with me" — which reaches the cases shared with its person alone.

use severn_domain::access::{Action, Actor, OrgKind, Role, StaffKind};
use severn_domain::audit::AuditKey;
use severn_domain::ids::{OrgId, StaffId, SubjectId};
use severn_domain::risk::Band;
use severn_domain::subject::SubjectStatus;
use severn_store::testing::operator_tx;
use severn_store::{
    CaseList, CaseNow, CaseOrder, CaseQuery, CaseStatus, ClockFilter, ClockSummary, Db, Gate,
    NewCase, NewStaff, Request, Scoped, StoreError, SubjectRow, Verdict,
};

severn_store::backend_matrix!(lists_filters_and_orders_read_what_they_say);

fn subject(id: i64, owner: OrgId) -> SubjectRow {
    SubjectRow {
        id: SubjectId(id),
        created_at: 1_000,
        status: SubjectStatus::Open,
        merged_into: None,
        provisional_band: Band::Low,
        assessment_id: None,
        band: Band::Low,
        band_reason: "Low".into(),
        clock_start_at: 500,
        due_at: 2_000,
        owner_org: Some(owner),
    }
}

fn staff_actor(id: StaffId, org: OrgId, org_kind: OrgKind) -> Actor {
    Actor::Staff {
        id,
        username: format!("staff{}", id.0),
        org,
        org_kind,
        roles: vec![Role::Investigator],
    }
}

/// A handle the gate grants `actor` for a list: their force's, or (`shares`) the cases shared with them.
async fn handle(db: &Db, actor: &Actor, shares: bool) -> Scoped {
    let gate = Gate::new(db.clone(), AuditKey::new([1; 32]));
    let tx = db.begin().await.unwrap();
    let request = Request {
        actor,
        action: if shares {
            Action::ViewCase
        } else {
            Action::ViewQueue
        },
        target: "worklist",
        at: 10,
        justification: None,
        recipients: None,
        detail: None,
    };
    let verdict = if shares {
        gate.authorise_shares(tx, &request).await.unwrap()
    } else {
        gate.authorise(tx, &request, None).await.unwrap()
    };
    match verdict {
        Verdict::Granted(scoped) => scoped,
        Verdict::Refused(denial) => panic!("refused: {denial:?}"),
        Verdict::Unseen | Verdict::NeedsJustification => panic!("refused"),
    }
}

async fn ids(tx: &mut Scoped, query: &CaseQuery) -> Vec<i64> {
    let page = tx.worklist(query, 50, 0).await.unwrap();
    assert_eq!(page.total as usize, page.cases.len());
    page.cases.iter().map(|c| c.case.id.0).collect()
}

async fn lists_filters_and_orders_read_what_they_say(db: Db) {
    let mut tx = operator_tx(&db, false).await;
    let a = tx.insert_org("A", "Force A", OrgKind::Force).await.unwrap();
    let b = tx.insert_org("B", "Force B", OrgKind::Force).await.unwrap();
    let team = tx.insert_team(a, "Team").await.unwrap();
    let person = |org, team, name: &str| NewStaff {
        org_id: org,
        team_id: team,
        username: name.into(),
        display_name: name.into(),
        kind: StaffKind::Person,
        roles: vec![Role::Investigator],
        created_at: 0,
    };
    let p1 = tx.insert_staff(&person(a, Some(team), "p1")).await.unwrap();
    let p2 = tx.insert_staff(&person(a, Some(team), "p2")).await.unwrap();
    let p3 = tx.insert_staff(&person(a, None, "p3")).await.unwrap();
    let outsider = tx.insert_staff(&person(b, None, "out")).await.unwrap();
    let subjects: Vec<SubjectRow> = (1..=5)
        .map(|id| subject(id, if id == 5 { b } else { a }))
        .collect();
    tx.insert_subjects(&subjects).await.unwrap();
    let bands = [
        Band::Low,
        Band::VeryHigh,
        Band::Medium,
        Band::High,
        Band::Low,
    ];
    let mut cases = Vec::new();
    for (s, band) in subjects.iter().zip(bands) {
        let id = s.id.0;
        let case = tx
            .open_case(&NewCase {
                subject_id: s.id,
                owner_org: s.owner_org,
                opened_at: 100,
                opened_by: "op".into(),
                received_at: 100 - id,
                clock_start_at: 100,
                band,
                due_at: 1_000 + id * 100,
            })
            .await
            .unwrap();
        cases.push(case);
    }
    // Case 1 is p1's, case 2 p2's (supervised by p3), case 3 unallocated, case 4 closed; case 2 changed last.
    for (case, officer, supervisor, status, updated) in [
        (cases[0], Some(p1), None, CaseStatus::Open, 100),
        (cases[1], Some(p2), Some(p3), CaseStatus::Open, 300),
        (cases[3], Some(p1), None, CaseStatus::Closed, 100),
    ] {
        let row = tx.case(case).await.unwrap().unwrap();
        let due_at = 1_000 + row.subject_id.0 * 100;
        tx.set_case_now(
            &row,
            &CaseNow {
                status,
                officer,
                supervisor,
                band: row.now.band,
                clock: match status {
                    CaseStatus::Open => ClockSummary::Running { due_at },
                    CaseStatus::Closed => ClockSummary::Stopped {
                        at: 150,
                        in_time: true,
                    },
                },
                updated_at: updated,
            },
        )
        .await
        .unwrap();
    }
    tx.share_case(SubjectId(3), outsider, "joint", "op", 10)
        .await
        .unwrap();
    tx.share_case(SubjectId(2), outsider, "joint", "op", 10)
        .await
        .unwrap();
    tx.restrict_case(SubjectId(2), Some(&[p2])).await.unwrap();
    tx.commit().await.unwrap();
    let [c1, c2, c3, c4, c5] = [0, 1, 2, 3, 4].map(|i: usize| cases[i].0);

    let mut tx = handle(&db, &staff_actor(p1, a, OrgKind::Force), false).await;
    let now = 1_250;
    let q = |list| CaseQuery::of(list, now);
    assert_eq!(ids(&mut tx, &q(CaseList::OfficerInCharge(p1))).await, [c1]);
    assert_eq!(ids(&mut tx, &q(CaseList::Team(team))).await, [c1, c2]);
    assert_eq!(ids(&mut tx, &q(CaseList::Supervised(p3))).await, [c2]);
    assert_eq!(ids(&mut tx, &q(CaseList::Unallocated)).await, [c3]);
    assert_eq!(ids(&mut tx, &q(CaseList::AllOpen)).await, [c1, c2, c3]);
    assert_eq!(ids(&mut tx, &q(CaseList::Closed)).await, [c4]);
    let with = |f: &dyn Fn(&mut CaseQuery)| {
        let mut query = q(CaseList::AllOpen);
        f(&mut query);
        query
    };
    let status = with(&|x| x.status = Some(CaseStatus::Closed));
    assert!(ids(&mut tx, &status).await.is_empty());
    let mut mine_closed = q(CaseList::OfficerInCharge(p1));
    mine_closed.status = Some(CaseStatus::Closed);
    assert_eq!(ids(&mut tx, &mine_closed).await, [c4]);
    assert_eq!(
        ids(&mut tx, &with(&|x| x.band = Some(Band::VeryHigh))).await,
        [c2]
    );
    assert_eq!(ids(&mut tx, &with(&|x| x.officer = Some(p2))).await, [c2]);
    assert_eq!(
        ids(&mut tx, &with(&|x| x.restricted_only = true)).await,
        [c2]
    );
    assert_eq!(
        ids(&mut tx, &with(&|x| x.shared_only = true)).await,
        [c2, c3]
    );
    assert!(
        ids(&mut tx, &with(&|x| x.source = Some("ncmec".into())))
            .await
            .is_empty()
    );
    // Due 1100, 1200, 1300 at 1250: two overdue; with a 100 s warning window the third is due soon.
    let clock = |c: ClockFilter, window: i64| {
        with(&move |x: &mut CaseQuery| {
            x.clock = Some(c);
            x.due_soon = Band::ALL.iter().map(|b| (*b, window)).collect();
        })
    };
    assert_eq!(
        ids(&mut tx, &clock(ClockFilter::Overdue, 100)).await,
        [c1, c2]
    );
    assert_eq!(ids(&mut tx, &clock(ClockFilter::DueSoon, 100)).await, [c3]);
    assert!(
        ids(&mut tx, &clock(ClockFilter::OnTrack, 100))
            .await
            .is_empty()
    );
    assert_eq!(ids(&mut tx, &clock(ClockFilter::OnTrack, 10)).await, [c3]);
    assert!(
        ids(&mut tx, &clock(ClockFilter::Stopped, 10))
            .await
            .is_empty()
    );
    let order = |o, descending| {
        with(&move |x: &mut CaseQuery| {
            x.order = o;
            x.descending = descending;
        })
    };
    assert_eq!(
        ids(&mut tx, &order(CaseOrder::Received, false)).await,
        [c3, c2, c1]
    );
    assert_eq!(
        ids(&mut tx, &order(CaseOrder::Number, true)).await,
        [c3, c2, c1]
    );
    assert_eq!(
        ids(&mut tx, &order(CaseOrder::Band, false)).await,
        [c2, c3, c1]
    );
    assert_eq!(
        ids(&mut tx, &order(CaseOrder::Band, true)).await,
        [c1, c3, c2]
    );
    let changed = with(&|x| x.changed_since = Some(200));
    assert_eq!(tx.worklist(&changed, 50, 0).await.unwrap().changed, 1);
    let page = tx
        .worklist(&order(CaseOrder::Number, false), 2, 2)
        .await
        .unwrap();
    assert_eq!((page.total, page.cases.len()), (3, 1));
    let flags: Vec<(bool, bool)> = tx
        .worklist(&order(CaseOrder::Number, false), 50, 0)
        .await
        .unwrap()
        .cases
        .iter()
        .map(|c| (c.restricted, c.shared))
        .collect();
    assert_eq!(flags, [(false, false), (true, true), (false, true)]);
    // A force's handle does not reach anyone's shares.
    let shared = q(CaseList::SharedWith(outsider));
    assert!(matches!(
        tx.worklist(&shared, 50, 0).await,
        Err(StoreError::OutOfScope)
    ));
    tx.commit().await.unwrap();

    // Force B's handle: its own case alone, whatever the filter.
    let mut tx = handle(&db, &staff_actor(outsider, b, OrgKind::Force), false).await;
    assert_eq!(ids(&mut tx, &q(CaseList::AllOpen)).await, [c5]);
    assert!(
        ids(&mut tx, &with(&|x| x.shared_only = true))
            .await
            .is_empty()
    );
    tx.commit().await.unwrap();

    // The share handle: force A's shared case (not the restricted one), and no list of any force.
    let mut tx = handle(&db, &staff_actor(outsider, b, OrgKind::Force), true).await;
    assert_eq!(ids(&mut tx, &shared).await, [c3]);
    for list in [CaseList::AllOpen, CaseList::SharedWith(p1)] {
        assert!(matches!(
            tx.worklist(&q(list), 50, 0).await,
            Err(StoreError::OutOfScope)
        ));
    }
    assert!(matches!(
        tx.officers_in_charge().await,
        Err(StoreError::OutOfScope)
    ));
    tx.commit().await.unwrap();
}
