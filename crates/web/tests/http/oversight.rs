//! Oversight on the web: training coverage for administrators, the allocation, warrant and stage audits for
//! the roles that see the queue (with the allocations as CSV), their JSON twins, and periods typed wrongly.

use crate::cases::ingest_two;
use crate::support::{Browser, Site, operator};
use axum::http::{StatusCode, header};
use serde_json::Value;
use severn_app::allocating::Profile;
use severn_app::gate::Why;
use severn_domain::access::{OrgKind, Role};
use severn_domain::allocation::WorkingDays;
use severn_domain::case::{Fact, NewEvent};
use severn_domain::ids::{CaseId, StaffId};
use severn_store::Db;

severn_store::backend_matrix!(
    the_allocation_audit_lists_overrides_and_exports_every_allocation,
    the_warrant_and_stage_audits_link_the_cases_behind_them,
    training_coverage_names_missing_expired_and_expiring_skills,
    a_period_typed_wrongly_is_refused_naming_the_field,
    the_audits_are_refused_to_the_pccs_office_and_keep_to_the_force,
);

/// The override's rationale: it starts as a spreadsheet formula would.
const RATIONALE: &str = "=1+1 cover while the trained officer is on leave";

/// The site with a case allocated, against the policy, to an untrained investigator: the case and officer.
async fn site_with_an_override(db: Db) -> (Site, CaseId, StaffId) {
    let site = Site::new(db).await;
    ingest_two(&site).await;
    let subject = site.app.queue(&operator(), 10).await.unwrap()[0].subject;
    let officer = site.person("inv.a", &[Role::Investigator], true).await;
    site.app
        .set_profile(
            &operator(),
            officer.id,
            &Profile {
                post: "investigator".into(),
                capacity: 5,
                working_days: WorkingDays::EVERY_DAY,
                email: None,
            },
        )
        .await
        .unwrap();
    let case = site.app.open_case(&operator(), subject).await.unwrap();
    site.app
        .allocate(
            &operator(),
            case,
            (officer.id, None),
            Some(RATIONALE),
            Why::default(),
        )
        .await
        .unwrap();
    (site, case, officer.id)
}

/// Signs a person in, in organisation `org`, with `roles`.
async fn signed_in_to(
    site: &Site,
    org: severn_domain::ids::OrgId,
    username: &str,
    roles: &[Role],
) -> Browser {
    let person = site.person_in(org, username, roles, true).await;
    let mut browser = Browser::new();
    browser.sign_in(site, &person).await;
    browser
}

async fn signed_in(site: &Site, username: &str, roles: &[Role]) -> Browser {
    signed_in_to(site, site.force, username, roles).await
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap()
}

async fn the_allocation_audit_lists_overrides_and_exports_every_allocation(db: Db) {
    let (site, case, officer) = site_with_an_override(db).await;
    let mut supervisor = signed_in(&site, "sup.a", &[Role::Supervisor]).await;
    // The site's clock is 2026-03-02: the default period, the last 30 days, holds the allocation.
    let page = supervisor.get(&site, "/audits/allocation").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("value=\"2026-02-01\""), "{}", page.body);
    assert!(page.body.contains("value=\"2026-03-02\""));
    assert!(
        page.body
            .contains("1 allocation from 2026-02-01 to 2026-03-02: 0 met the policy (0%)")
    );
    assert!(page.body.contains(&format!("href=\"/cases/{case}\"")));
    assert!(page.body.contains("Tester inv.a"));
    assert!(page.body.contains("pip1"), "the skill lacking is named");
    assert!(
        page.body
            .contains("cover while the trained officer is on leave")
    );
    assert!(
        page.body.contains("GMT"),
        "times are in UK time with the zone"
    );
    // The link keeps the period (its `&` escaped as the page's escaper writes it).
    assert!(
        page.body
            .contains("href=\"/audits/allocation.csv?from=2026-02-01&")
    );
    assert!(page.body.contains("to=2026-03-02\" download"));

    let csv = supervisor
        .get(
            &site,
            "/audits/allocation.csv?from=2026-03-01&to=2026-03-02",
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert_eq!(
        csv.headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"allocations-2026-03-01-to-2026-03-02.csv\""
    );
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(
        lines[0],
        "case,event,at,officer,officer_name,policy,met_policy,lacking,override_rationale,recorded_by"
    );
    assert_eq!(lines.len(), 2, "{}", csv.body);
    assert!(lines[1].starts_with(&format!("{case},")), "{}", lines[1]);
    assert!(lines[1].contains(&format!(",{officer},Tester inv.a,")));
    assert!(
        lines[1].contains(&format!(",'{RATIONALE},")),
        "the formula is quoted out: {}",
        lines[1]
    );

    let api = supervisor
        .get(
            &site,
            "/api/audits/allocation?from=2026-03-01&to=2026-03-02",
        )
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let audit = json(&api.body);
    assert_eq!(audit["allocations"], 1);
    assert_eq!(audit["met_policy"], 0);
    assert_eq!(audit["against_policy"][0]["case"], case.0);
    assert_eq!(audit["against_policy"][0]["override_rationale"], RATIONALE);

    // A period before the allocation holds none.
    let before = supervisor
        .get(&site, "/audits/allocation?from=2026-02-01&to=2026-03-01")
        .await;
    assert!(before.body.contains("0 allocations"), "{}", before.body);
    assert!(!before.body.contains(&format!("href=\"/cases/{case}\"")));
}

async fn the_warrant_and_stage_audits_link_the_cases_behind_them(db: Db) {
    let (site, case, _) = site_with_an_override(db).await;
    // The events come after the referral arrived, the same London day.
    site.advance_minutes(6 * 60);
    let now = jiff::Timestamp::from_second(site.now()).unwrap();
    let hours_ago = |h: i64| {
        now.checked_sub(jiff::SignedDuration::from_hours(h))
            .unwrap()
    };
    for (fact, at) in [
        (
            Fact::WarrantApplied {
                warrant: 1,
                warrant_type: "pca1978_s4".into(),
                court: "Severn Magistrates' Court".into(),
                remote: true,
            },
            hours_ago(5),
        ),
        (Fact::WarrantGranted { warrant: 1 }, hours_ago(2)),
    ] {
        site.app
            .record_event(
                &operator(),
                case,
                NewEvent {
                    fact,
                    occurred_at: at,
                    supersedes: None,
                    // Entered hours after: a late entry says why.
                    rationale: Some("Entered after the hearing".into()),
                    correction: false,
                },
                Why::default(),
            )
            .await
            .unwrap();
    }
    let mut analyst = signed_in(&site, "ana.a", &[Role::Analyst]).await;
    let warrants = analyst
        .get(&site, "/audits/warrants?from=2026-03-01&to=2026-03-02")
        .await;
    assert_eq!(warrants.status, StatusCode::OK, "{}", warrants.body);
    assert!(warrants.body.contains(&format!("href=\"/cases/{case}\"")));
    assert!(
        warrants.body.contains("Severn Magistrates"),
        "{}",
        warrants.body
    );
    assert!(warrants.body.contains("heard remotely"));
    assert!(
        warrants.body.contains("3 hours"),
        "the time to grant in words"
    );

    let api = analyst
        .get(&site, "/api/audits/warrants?from=2026-03-01&to=2026-03-02")
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let audit = json(&api.body);
    assert_eq!(
        (audit["applications"].as_u64(), audit["granted"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(audit["warrants"][0]["case"], case.0);

    let stages = analyst
        .get(&site, "/audits/stages?from=2026-03-01&to=2026-03-02")
        .await;
    assert_eq!(stages.status, StatusCode::OK, "{}", stages.body);
    assert!(stages.body.contains("Cases measured"), "{}", stages.body);
    assert!(stages.body.contains(&format!("href=\"/cases/{case}\"")));
    let api = analyst
        .get(&site, "/api/audits/stages?from=2026-03-01&to=2026-03-02")
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let report = json(&api.body);
    let granted = report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "warrant_applied_to_granted")
        .unwrap();
    assert_eq!(granted["median_seconds"], 3 * 3600);
}

async fn training_coverage_names_missing_expired_and_expiring_skills(db: Db) {
    let (site, _, _) = site_with_an_override(db).await;
    site.app
        .require_for_post(
            &operator(),
            Some(site.force),
            "investigator",
            &["pip1".into(), "pip2".into(), "image_grading".into()],
        )
        .await
        .unwrap();
    let csv = "username,skill,achieved_on,expires_on,evidence\n\
               inv.a,pip1,2020-01-01,2021-01-01,Lapsed cert\n\
               inv.a,image_grading,2025-06-01,2026-04-01,Cert 2\n";
    site.app
        .import_training(&operator(), Some(site.force), csv)
        .await
        .unwrap();

    let mut admin = signed_in(&site, "adm.a", &[Role::Administrator]).await;
    let home = admin.get(&site, "/").await;
    assert!(
        home.body.contains("href=\"/training\""),
        "administrators are offered the page"
    );
    let page = admin.get(&site, "/training").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("No team"), "{}", page.body);
    assert!(page.body.contains("Tester inv.a"));
    assert!(page.body.contains("PIP level 2"), "missing, by name");
    assert!(
        page.body.contains("PIP level 1 (since 2021-01-01)"),
        "expired"
    );
    assert!(
        page.body.contains("image grading (on 2026-04-01)"),
        "expiring"
    );
    assert!(page.body.contains("0%"), "no one is covered");

    let api = admin.get(&site, "/api/training/coverage").await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let coverage = json(&api.body);
    assert_eq!(coverage["teams"][0]["name"], "No team");
    assert_eq!(coverage["teams"][0]["members"], 1);
    let person = &coverage["people"][0];
    assert_eq!(person["missing"][0]["code"], "pip2");
    assert_eq!(person["expired"][0]["on"], "2021-01-01");
    assert_eq!(person["expiring"][0]["name"], "image grading");

    // The investigator is refused, on the page and in the API, and not offered the link.
    let mut investigator = signed_in(&site, "inv.b", &[Role::Investigator]).await;
    let refused = investigator.get(&site, "/training").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!refused.body.contains("href=\"/training\""));
    assert!(
        refused.body.contains("href=\"/audits/allocation\""),
        "the navigation is kept"
    );
    let refused = investigator.get(&site, "/api/training/coverage").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

async fn a_period_typed_wrongly_is_refused_naming_the_field(db: Db) {
    let (site, _, _) = site_with_an_override(db).await;
    let mut supervisor = signed_in(&site, "sup.a", &[Role::Supervisor]).await;
    for path in [
        "/audits/allocation",
        "/audits/warrants",
        "/audits/stages",
        "/audits/allocation.csv",
    ] {
        let page = supervisor
            .get(&site, &format!("{path}?from=2026-02-30&to=2026-03-02"))
            .await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(
            page.body.contains("from: not a date (YYYY-MM-DD)"),
            "{path}: {}",
            page.body
        );
        assert!(
            page.body.contains("value=\"2026-02-30\""),
            "what was typed is kept"
        );
        assert!(
            page.body.contains("href=\"/sessions\""),
            "the navigation is kept"
        );
    }
    let page = supervisor
        .get(&site, "/audits/warrants?from=2026-03-02&to=2026-03-01")
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("to: before from"), "{}", page.body);
    let page = supervisor.get(&site, "/audits/stages?to=soon").await;
    assert!(page.body.contains("to: not a date (YYYY-MM-DD)"));
    let api = supervisor
        .get(&site, "/api/audits/allocation?from=yesterday")
        .await;
    assert_eq!(api.status, StatusCode::BAD_REQUEST);
    assert_eq!(json(&api.body)["error"], "from: not a date (YYYY-MM-DD)");
}

async fn the_audits_are_refused_to_the_pccs_office_and_keep_to_the_force(db: Db) {
    let (site, case, _) = site_with_an_override(db).await;
    let pcc = site.org("PCC1", OrgKind::PccOffice).await;
    let mut pccs_office = signed_in_to(&site, pcc, "pcc.a", &[Role::PccOffice]).await;
    let home = pccs_office.get(&site, "/").await;
    assert!(
        !home.body.contains("href=\"/audits/allocation\""),
        "not offered"
    );
    for path in [
        "/audits/allocation",
        "/audits/allocation.csv",
        "/audits/warrants",
        "/audits/stages",
        "/api/audits/allocation",
        "/api/audits/warrants",
        "/api/audits/stages",
    ] {
        let refused = pccs_office.get(&site, path).await;
        assert_eq!(
            refused.status,
            StatusCode::FORBIDDEN,
            "{path}: {}",
            refused.body
        );
        assert!(!refused.body.contains(&format!("/cases/{case}")));
    }

    let other = site.org("F2", OrgKind::Force).await;
    let mut elsewhere = signed_in_to(&site, other, "sup.b", &[Role::Supervisor]).await;
    let page = elsewhere.get(&site, "/audits/allocation").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("0 allocations"), "{}", page.body);
    assert!(!page.body.contains(&format!("/cases/{case}")));
    let csv = elsewhere.get(&site, "/audits/allocation.csv").await;
    assert_eq!(
        csv.body.lines().count(),
        1,
        "the header alone: {}",
        csv.body
    );
}
