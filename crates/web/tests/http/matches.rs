//! Possible matches on the subject page, the comparison before a merge, the confirmation it needs, the
//! result, and a merged-away subject that says where it went and offers nothing; with their JSON twins.

use crate::support::{Browser, Site, operator};
use axum::http::StatusCode;
use serde_json::{Value, json};
use severn_app::ingest::Ingester;
use severn_domain::access::{OrgKind, Role};
use severn_domain::ids::SubjectId;
use severn_ingest::{DocContext, Item, parse_document};
use severn_store::Db;

severn_store::backend_matrix!(
    a_match_is_compared_then_merged_with_a_confirmation,
    comparisons_are_refused_to_those_who_may_not_see_both,
    a_subject_in_a_case_is_offered_the_merge_the_other_way,
);

/// Two reports whose suspects share a screen name on one service and nothing that links.
async fn ingest_pair(site: &Site) -> (SubjectId, SubjectId) {
    let mut ingester = Ingester::new(&site.app, &operator(), Some("F1"))
        .await
        .unwrap();
    for (id, email) in [(9101, "fox.one@example.com"), (9102, "fox.two@example.net")] {
        let report = serde_json::to_vec(&json!({
            "reportId": id.to_string(),
            "dateReceived": "2026-03-01T08:00:00Z",
            "reportedInformation": {
                "reportingEsp": { "espName": "Example Ltd" },
                "incidentSummary": {
                    "incidentType": "Online Enticement of Children for Sexual Acts",
                    "incidentDateTime": "2026-02-27T14:30:00Z"
                },
                "reportedPeople": { "reportedPersons": [{
                    "espService": "Example Chat", "espUserId": format!("user{id}"),
                    "screenName": "night_owl_77", "emails": [{ "value": email }]
                }] }
            }
        }))
        .unwrap();
        let parsed = parse_document(&report, "in/report.json", &DocContext::default()).unwrap();
        ingester
            .push(Item::Parsed {
                path: "in/report.json".to_owned(),
                parsed,
            })
            .await
            .unwrap();
    }
    ingester.finish().await.unwrap();
    let subject = |reference: &'static str| async move {
        site.app
            .referral(&operator(), reference, Default::default())
            .await
            .unwrap()
            .subject
            .subject
    };
    (subject("9101").await, subject("9102").await)
}

async fn a_match_is_compared_then_merged_with_a_confirmation(db: Db) {
    let site = Site::new(db).await;
    let (kept, other) = ingest_pair(&site).await;
    assert_ne!(kept, other, "a screen name alone does not link");
    let supervisor = site.person("s.sup", &[Role::Supervisor], true).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &supervisor).await;

    // The subject page lists the match and leads to the comparison; the bare number box leads there too.
    let page = browser.get(&site, &format!("/subjects/{kept}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("<h2 id=\"possible-matches\">Possible matches</h2>")
    );
    assert!(page.body.contains("1 possible match"), "{}", page.body);
    assert!(page.body.contains("night_owl_77"));
    assert!(page.body.contains("(weak on its own)"));
    let compare = format!("/subjects/{kept}/compare/{other}");
    assert!(page.body.contains(&format!("href=\"{compare}\"")));
    assert!(page.body.contains("Number of the other subject"));
    assert!(
        !page
            .body
            .contains(&format!("action=\"/subjects/{kept}/merge\"")),
        "no merge by a bare number on the page"
    );
    let by_number = browser
        .get(&site, &format!("/subjects/{kept}/compare?other={other}"))
        .await;
    assert_eq!(by_number.status, StatusCode::SEE_OTHER);
    assert_eq!(by_number.location(), compare);
    let not_a_number = browser
        .get(&site, &format!("/subjects/{kept}/compare?other=fox"))
        .await;
    assert_eq!(not_a_number.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        not_a_number
            .body
            .contains("Give the other subject&#39;s number")
            || not_a_number
                .body
                .contains("Give the other subject&#x27;s number"),
        "{}",
        not_a_number.body
    );

    // The comparison: both sides, what they share marked in words, and the merge form.
    let side_by_side = browser.get(&site, &compare).await;
    assert_eq!(side_by_side.status, StatusCode::OK, "{}", side_by_side.body);
    assert!(side_by_side.body.contains("They share 1 identifier"));
    assert_eq!(
        side_by_side
            .body
            .matches("<span class=\"tag\">Shared</span>")
            .count(),
        3,
        "the mark explained, then the shared screen name marked on both sides"
    );
    assert!(side_by_side.body.contains("fox.one@example.com"));
    assert!(side_by_side.body.contains("fox.two@example.net"));
    assert!(side_by_side.body.contains("In the queue"));
    assert!(side_by_side.body.contains("NCMEC CyberTipline"));
    assert!(
        side_by_side
            .body
            .contains("I have compared them and they are the same person")
    );
    let csrf = side_by_side.csrf();
    let merge = format!("{compare}/merge");

    // Without the tick: refused, the form kept with the message beside the box, nothing merged.
    let unticked = browser
        .post(
            &site,
            &merge,
            &[
                ("csrf", &csrf),
                ("rationale", "Same screen name and same writing style"),
            ],
        )
        .await;
    assert_eq!(
        unticked.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unticked.body
    );
    assert!(unticked.body.contains("id=\"confirm-error\""));
    assert!(unticked.body.contains("aria-describedby=\"confirm-error\""));
    assert!(
        unticked
            .body
            .contains(">Same screen name and same writing style</textarea>")
    );
    let still = browser.get(&site, &format!("/subjects/{other}")).await;
    assert!(!still.body.contains("This subject was merged into"));
    // Without a rationale: refused above the form, the tick kept.
    let no_reason = browser
        .post(
            &site,
            &merge,
            &[("csrf", &csrf), ("rationale", " "), ("confirm", "yes")],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.body.contains("The subjects were not merged"));
    assert!(no_reason.body.contains("value=\"yes\" checked"));
    // Without the CSRF token: refused.
    let forged = browser
        .post(
            &site,
            &merge,
            &[("rationale", "Same person"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // The API twins, before the merge.
    let matches = browser
        .get(&site, &format!("/api/subjects/{kept}/matches"))
        .await;
    assert_eq!(matches.status, StatusCode::OK, "{}", matches.body);
    let matches: Value = serde_json::from_str(&matches.body).unwrap();
    assert_eq!(matches["total"], 1);
    assert_eq!(matches["matches"][0]["subject"], other.0);
    assert_eq!(
        matches["matches"][0]["shared"][0]["not_linked"],
        "weak_on_its_own"
    );
    let compared = browser
        .get(&site, &format!("/api/subjects/{kept}/compare/{other}"))
        .await;
    assert_eq!(compared.status, StatusCode::OK, "{}", compared.body);
    let compared: Value = serde_json::from_str(&compared.body).unwrap();
    assert_eq!(compared["shared"], 1);
    assert_eq!(compared["may_merge"], true);

    // With the tick: merged, and the result says so.
    let done = browser
        .post(
            &site,
            &merge,
            &[
                ("csrf", &csrf),
                ("rationale", "Same screen name and same writing style"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(
        done.body.contains(&format!(
            "Subject {other} merged into subject {kept}: 1 referral moved."
        )),
        "{}",
        done.body
    );
    assert!(done.body.contains(&format!("href=\"/subjects/{kept}\"")));

    // The merged-away subject says where it went, and offers no action.
    let gone = browser.get(&site, &format!("/subjects/{other}")).await;
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.body);
    assert!(gone.body.contains(&format!(
        "This subject was merged into <a href=\"/subjects/{kept}\">subject {kept}</a> on 2026-"
    )));
    assert!(
        gone.body
            .contains("by s.sup: Same screen name and same writing style.")
    );
    for action in [
        "assess", "case", "share", "restrict", "compare", "split", "merge",
    ] {
        assert!(
            !gone.body.contains(&format!("/subjects/{other}/{action}")),
            "no {action} on a merged-away subject"
        );
    }
    assert!(!gone.body.contains("Possible matches"));
    let api = browser.get(&site, &format!("/api/subjects/{other}")).await;
    let api: Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(api["merged_into"], kept.0);
    assert_eq!(api["status"], "merged");
    let kept_now = browser.get(&site, &format!("/api/subjects/{kept}")).await;
    let kept_now: Value = serde_json::from_str(&kept_now.body).unwrap();
    assert_eq!(kept_now["merged_into"], Value::Null);
}

async fn comparisons_are_refused_to_those_who_may_not_see_both(db: Db) {
    let site = Site::new(db).await;
    let (kept, other) = ingest_pair(&site).await;
    let compare = format!("/subjects/{kept}/compare/{other}");

    // Another force: neither subject is there for them.
    let other_force = site.org("F2", OrgKind::Force).await;
    let outsider = site
        .person_in(other_force, "b.inv", &[Role::Investigator], true)
        .await;
    let mut theirs = Browser::at("198.51.100.7");
    theirs.sign_in(&site, &outsider).await;
    for path in [
        compare.clone(),
        format!("/api/subjects/{kept}/compare/{other}"),
        format!("/api/subjects/{kept}/matches"),
    ] {
        let page = theirs.get(&site, &path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}: {}", page.body);
        assert!(!page.body.contains("night_owl_77"), "{path}");
    }

    // An analyst compares but may not merge: no form, and a posted merge is refused.
    let analyst = site.person("a.ana", &[Role::Analyst], true).await;
    let mut browser = Browser::at("192.0.2.44");
    browser.sign_in(&site, &analyst).await;
    let page = browser.get(&site, &compare).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(!page.body.contains("I have compared them"));
    let csrf = browser.get(&site, "/sessions").await.csrf();
    let refused = browser
        .post(
            &site,
            &format!("{compare}/merge"),
            &[("csrf", &csrf), ("rationale", "Same"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

    // A restricted subject: the investigator it does not name never sees it, in the list or compared.
    site.person("s.sup", &[Role::Supervisor], true).await;
    site.app
        .restrict_case(
            &operator(),
            other,
            Some(&["s.sup".to_owned()]),
            "A member of staff is the suspect",
        )
        .await
        .unwrap();
    let investigator = site.person("i.inv", &[Role::Investigator], true).await;
    let mut browser = Browser::at("192.0.2.45");
    browser.sign_in(&site, &investigator).await;
    let page = browser.get(&site, &format!("/subjects/{kept}")).await;
    assert!(
        page.body
            .contains("No other subject shares anything with this one.")
    );
    assert!(!page.body.contains(&compare));
    let page = browser.get(&site, &compare).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let log = site.audit_log().await;
    let refusal = log.iter().rfind(|e| e.actor == "i.inv").unwrap();
    assert_eq!(refusal.target, format!("subject:{other}"));
    assert_eq!(refusal.outcome, "denied:restricted");
}

async fn a_subject_in_a_case_is_offered_the_merge_the_other_way(db: Db) {
    let site = Site::new(db).await;
    let (kept, other) = ingest_pair(&site).await;
    let case = site.app.open_case(&operator(), other).await.unwrap();
    let investigator = site.person("i.inv", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &investigator).await;

    let page = browser
        .get(&site, &format!("/subjects/{kept}/compare/{other}"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&format!("In case {case}")));
    assert!(
        page.body
            .contains(&format!("Subject {other} is in case {case}"))
    );
    assert!(!page.body.contains("I have compared them"));
    assert!(
        page.body
            .contains(&format!("href=\"/subjects/{other}/compare/{kept}\""))
    );
    let other_way = browser
        .get(&site, &format!("/subjects/{other}/compare/{kept}"))
        .await;
    assert!(other_way.body.contains("I have compared them"));
    let csrf = other_way.csrf();
    // Posted anyway the wrong way round: refused with the reason, nothing merged.
    let refused = browser
        .post(
            &site,
            &format!("/subjects/{kept}/compare/{other}/merge"),
            &[
                ("csrf", &csrf),
                ("rationale", "Same person"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains(&format!("Subject {other} is in case {case}"))
    );
}
