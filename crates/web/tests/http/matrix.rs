//! The authorisation matrix: every page and API route that reads cases, figures or the log, shares or
//! restricts a case, records a case's events, previews an assessment or manages staff, for every role, for a person in the owning
//! force, in another force, and in the organisation the role belongs to. Each answer must be what the policy
//! (`severn_domain::access::decide`, whose table docs/access.md documents) decides for the action the route
//! performs: the route's success status when allowed, 403 when the role refuses it — and 404 when a case is
//! refused for any other reason (another force's: to them it does not exist) or an administrator of another
//! organisation acts on the force's staff, who do not exist for them either.

use crate::support::{Browser, Site, operator};
use axum::http::StatusCode;
use serde_json::json;
use severn_app::ingest::Ingester;
use severn_domain::access::{Action, Actor, CaseAccess, Denial, OrgKind, Role, StaffKind, decide};
use severn_domain::ids::{OrgId, StaffId};
use severn_ingest::{DocContext, Item, parse_document};
use severn_store::{Db, NewStaff};

severn_store::backend_matrix!(every_route_answers_every_role_as_the_policy_decides);

/// What a route is sent.
enum Send {
    Get,
    Form(Vec<(String, String)>),
    Json(serde_json::Value),
}

/// A route, the action it performs, whether it is on the one case, what it answers when allowed, and whether
/// it acts on a member of the force's staff (which an administrator elsewhere is told does not exist).
struct Route {
    path: String,
    action: Action,
    on_case: bool,
    send: Send,
    allowed: StatusCode,
    on_force_staff: bool,
}

/// The accounts the staff routes act on, all in the force.
struct Targets {
    feed: StaffId,
    reset: StaffId,
    gone: StaffId,
    /// One of the feed's API tokens, by number.
    token: i64,
}

fn routes(subject: &str, case: &str, targets: &Targets, who: &str) -> Vec<Route> {
    let route = |path: String, action, on_case| Route {
        path,
        action,
        on_case,
        send: Send::Get,
        allowed: StatusCode::OK,
        on_force_staff: false,
    };
    let form = |fields: &[(&str, &str)]| {
        Send::Form(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
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
        all.push(route(format!("{prefix}cases"), Action::ViewQueue, false));
        all.push(route(
            format!("{prefix}cases/{case}"),
            Action::ViewCase,
            true,
        ));
    }
    all.push(route(
        format!("/api/subjects/{subject}/matches"),
        Action::ViewCase,
        true,
    ));
    // Opening a case succeeds once per subject, so it is tested in casework.rs; recording a note repeats.
    all.push(Route {
        send: form(&[
            ("kind", "note"),
            ("text", "Matrix note"),
            ("date", "2026-03-02"),
            ("time", "09:00"),
        ]),
        allowed: StatusCode::SEE_OTHER,
        ..route(format!("/cases/{case}/events"), Action::RecordEvent, true)
    });
    all.push(Route {
        send: Send::Json(json!({
            "fact": { "kind": "note", "text": "Matrix note" },
            "occurred_at": "2026-03-02T09:00:00Z"
        })),
        allowed: StatusCode::CREATED,
        ..route(
            format!("/api/cases/{case}/events"),
            Action::RecordEvent,
            true,
        )
    });
    // The assessment page refuses those who may not assess rather than show a form they cannot save. Its
    // live preview (`/assess/preview`) reads no case, only what the page posts back, so it is not here.
    all.push(route(
        format!("/subjects/{subject}/assess"),
        Action::Assess,
        true,
    ));
    all.push(Route {
        send: Send::Json(json!({ "answers": { "prev_prison": "yes" } })),
        ..route(
            format!("/api/subjects/{subject}/assess/preview"),
            Action::ViewCase,
            true,
        )
    });
    all.push(Route {
        send: Send::Json(json!({ "answers": { "prev_prison": "yes" } })),
        ..route(
            format!("/api/subjects/{subject}/assess"),
            Action::Assess,
            true,
        )
    });
    all.push(Route {
        send: form(&[("with", "share.target"), ("reason", "Joint operation")]),
        allowed: StatusCode::SEE_OTHER,
        ..route(format!("/subjects/{subject}/share"), Action::Share, true)
    });
    all.push(Route {
        send: Send::Json(json!({ "with": "share.target", "reason": "Joint operation" })),
        allowed: StatusCode::NO_CONTENT,
        ..route(
            format!("/api/subjects/{subject}/share"),
            Action::Share,
            true,
        )
    });
    // Lifting a restriction (there is none) exercises the action without shutting anyone out.
    all.push(Route {
        send: form(&[("lift", "yes"), ("justification", "Review")]),
        allowed: StatusCode::SEE_OTHER,
        ..route(
            format!("/subjects/{subject}/restrict"),
            Action::Restrict,
            true,
        )
    });
    all.push(Route {
        send: Send::Json(json!({ "to": null, "justification": "Review" })),
        allowed: StatusCode::NO_CONTENT,
        ..route(
            format!("/api/subjects/{subject}/restrict"),
            Action::Restrict,
            true,
        )
    });
    all.push(route("/staff".to_owned(), Action::ManageStaff, false));
    all.push(Route {
        send: form(&[
            ("kind", "person"),
            ("username", &format!("new.{who}")),
            ("display_name", "New starter"),
            ("role.analyst", "yes"),
        ]),
        ..route("/staff".to_owned(), Action::ManageStaff, false)
    });
    all.push(Route {
        send: form(&[("label", "Matrix feed")]),
        on_force_staff: true,
        ..route(
            format!("/staff/{}/token", targets.feed),
            Action::ManageStaff,
            false,
        )
    });
    all.push(Route {
        send: form(&[]),
        on_force_staff: true,
        ..route(
            format!("/staff/{}/reset", targets.reset),
            Action::ManageStaff,
            false,
        )
    });
    all.push(Route {
        send: form(&[]),
        allowed: StatusCode::SEE_OTHER,
        on_force_staff: true,
        ..route(
            format!("/staff/tokens/{}/revoke", targets.token),
            Action::ManageStaff,
            false,
        )
    });
    all.push(Route {
        send: form(&[]),
        allowed: StatusCode::SEE_OTHER,
        on_force_staff: true,
        ..route(
            format!("/staff/{}/deactivate", targets.gone),
            Action::ManageStaff,
            false,
        )
    });
    all.push(Route {
        send: form(&[]),
        allowed: StatusCode::SEE_OTHER,
        on_force_staff: true,
        ..route(
            format!("/staff/{}/reactivate", targets.gone),
            Action::ManageStaff,
            false,
        )
    });
    all
}

/// A member of the force's staff with no password, for the staff routes to act on.
async fn target(site: &Site, username: &str, kind: StaffKind) -> StaffId {
    let mut tx = site.operator_tx(Action::ManageStaff).await;
    let id = tx
        .insert_staff(&NewStaff {
            org_id: site.force,
            team_id: None,
            username: username.to_owned(),
            display_name: username.to_owned(),
            kind,
            roles: if kind == StaffKind::Person {
                vec![Role::Analyst]
            } else {
                vec![]
            },
            created_at: site.now(),
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
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
    let case_number = site
        .app
        .open_case(
            &operator(),
            severn_domain::ids::SubjectId(subject.parse().unwrap()),
        )
        .await
        .unwrap()
        .to_string();
    let other_force = site.org("F2", OrgKind::Force).await;
    let regional = site.org("RU", OrgKind::RegionalUnit).await;
    let pcc = site.org("PCC", OrgKind::PccOffice).await;
    let case = CaseAccess::owned_by(site.force);
    site.person_in(other_force, "share.target", &[Role::Investigator], false)
        .await;
    let feed = target(&site, "matrix-feed", StaffKind::Service).await;
    site.app
        .issue_staff_token(&operator(), feed, "matrix", Default::default())
        .await
        .unwrap();
    let token = site.app.api_tokens(&operator(), Some(feed)).await.unwrap()[0].id;
    let targets = Targets {
        feed,
        reset: target(&site, "reset.target", StaffKind::Person).await,
        gone: target(&site, "gone.target", StaffKind::Person).await,
        token,
    };
    let mut checked = 0;
    let mut per_person = 0;
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
            let mut browser = Browser::at(&format!("192.0.2.{}", per_person + 1));
            per_person += 1;
            browser.sign_in(&site, &person).await;
            let csrf = browser.get(&site, "/sessions").await.csrf();
            for route in routes(&subject, &case_number, &targets, &username) {
                let expected = match decide(&actor, route.action, route.on_case.then_some(&case)) {
                    Err(Denial::Role) => StatusCode::FORBIDDEN,
                    Err(_) if route.on_case => StatusCode::NOT_FOUND,
                    Err(_) => StatusCode::FORBIDDEN,
                    Ok(()) if route.on_force_staff && org != site.force => StatusCode::NOT_FOUND,
                    Ok(()) => route.allowed,
                };
                let page = match &route.send {
                    Send::Get => browser.get(&site, &route.path).await,
                    Send::Form(fields) => {
                        let mut fields: Vec<(&str, &str)> = fields
                            .iter()
                            .map(|(k, v)| (k.as_str(), v.as_str()))
                            .collect();
                        fields.push(("csrf", &csrf));
                        browser.post(&site, &route.path, &fields).await
                    }
                    Send::Json(body) => {
                        browser
                            .post_json(&site, &route.path, Some(&csrf), body)
                            .await
                    }
                };
                assert_eq!(
                    page.status, expected,
                    "{} as {role} in the {place} organisation: {}",
                    route.path, page.body
                );
                checked += 1;
            }
        }
    }
    assert_eq!(
        checked,
        Role::ALL.len() * 3 * routes(&subject, &case_number, &targets, "x").len()
    );
}
