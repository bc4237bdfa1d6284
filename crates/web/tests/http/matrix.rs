//! The authorisation matrix: every page and API route that reads cases, figures or the log, for every role,
//! for a person in the owning force, in another force, and in the organisation the role belongs to. Each
//! answer must be what the policy (`severn_domain::access::decide`, whose table docs/access.md documents)
//! decides for the action the route performs: 200 when allowed, 403 when refused.

use crate::support::{Browser, Site, operator};
use axum::http::StatusCode;
use serde_json::json;
use severn_app::ingest::Ingester;
use severn_domain::access::{Action, Actor, CaseAccess, OrgKind, Role, decide};
use severn_domain::ids::OrgId;
use severn_ingest::{DocContext, Item, parse_document};
use severn_store::Db;

severn_store::backend_matrix!(every_route_answers_every_role_as_the_policy_decides);

/// A route, the action it performs, and whether it is on the one case.
struct Route {
    path: String,
    action: Action,
    on_case: bool,
}

fn routes(subject: &str) -> Vec<Route> {
    let route = |path: String, action, on_case| Route {
        path,
        action,
        on_case,
    };
    let search = "search?kind=email&value=matrix.person%40example.com";
    let mut all = Vec::new();
    for prefix in ["/", "/api/"] {
        all.push(route(format!("{prefix}queue"), Action::ViewQueue, false));
        all.push(route(
            format!("{prefix}referrals/ncmec:7001"),
            Action::ViewCase,
            true,
        ));
        all.push(route(
            format!("{prefix}subjects/{subject}"),
            Action::ViewCase,
            true,
        ));
        all.push(route(format!("{prefix}{search}"), Action::Search, false));
        all.push(route(
            format!("{prefix}figures"),
            Action::ViewAggregates,
            false,
        ));
        all.push(route(format!("{prefix}audit"), Action::ReadAudit, false));
    }
    all.push(route(
        format!("/subjects/{subject}/assess"),
        Action::ViewCase,
        true,
    ));
    all
}

async fn ingest_one(site: &Site) {
    let doc = json!({
        "reportId": "7001",
        "dateReceived": "2026-03-01T08:00:00Z",
        "reportedInformation": {
            "reportingEsp": { "espName": "Example Ltd" },
            "incidentSummary": { "incidentType": "Online Enticement of Children for Sexual Acts" },
            "reportedPeople": { "reportedPersons": [{
                "espService": "Example Chat", "espUserId": "matrix7001",
                "emails": [{ "value": "matrix.person@example.com" }]
            }] }
        }
    });
    let bytes = serde_json::to_vec(&doc).unwrap();
    let parsed = parse_document(&bytes, "in/report.json", &DocContext::default()).unwrap();
    let mut ingester = Ingester::new(&site.app, &operator(), Some("F1"))
        .await
        .unwrap();
    ingester
        .push(Item::Parsed {
            path: "in/report.json".into(),
            parsed,
        })
        .await
        .unwrap();
    ingester.finish().await.unwrap();
}

/// The organisation people in a role usually belong to.
fn home_kind(role: Role) -> OrgKind {
    match role {
        Role::RegionalOversight => OrgKind::RegionalUnit,
        Role::PccOffice => OrgKind::PccOffice,
        _ => OrgKind::Force,
    }
}

async fn every_route_answers_every_role_as_the_policy_decides(db: Db) {
    let site = Site::new(db).await;
    ingest_one(&site).await;
    let subject = site
        .app
        .referral(&operator(), "7001", Default::default())
        .await
        .unwrap()
        .subject
        .subject
        .to_string();
    let other_force = site.org("F2", OrgKind::Force).await;
    let regional = site.org("RU", OrgKind::RegionalUnit).await;
    let pcc = site.org("PCC", OrgKind::PccOffice).await;
    let case = CaseAccess::owned_by(site.force);
    let mut checked = 0;
    for role in Role::ALL {
        let home = match home_kind(role) {
            OrgKind::RegionalUnit => (regional, OrgKind::RegionalUnit),
            OrgKind::PccOffice => (pcc, OrgKind::PccOffice),
            _ => (site.force, OrgKind::Force),
        };
        let places: [(&str, OrgId, OrgKind); 3] = [
            ("own", site.force, OrgKind::Force),
            ("other", other_force, OrgKind::Force),
            ("home", home.0, home.1),
        ];
        for (place, org, org_kind) in places {
            let username = format!("{}.{place}", role.as_str());
            let person = site.person_in(org, &username, &[role], true).await;
            let actor = Actor::Staff {
                id: person.id,
                username: username.clone(),
                org,
                org_kind,
                roles: vec![role],
            };
            // One address each, so the per-address sign-in limit does not stand in the way.
            let mut browser = Browser::at(&format!("192.0.2.{}", checked / 13 + 1));
            browser.sign_in(&site, &person).await;
            for route in routes(&subject) {
                let expected = match decide(&actor, route.action, route.on_case.then_some(&case)) {
                    Ok(()) => StatusCode::OK,
                    Err(_) => StatusCode::FORBIDDEN,
                };
                let page = browser.get(&site, &route.path).await;
                assert_eq!(
                    page.status, expected,
                    "{} as {role} in the {place} organisation: {}",
                    route.path, page.body
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, Role::ALL.len() * 3 * routes(&subject).len());
}
