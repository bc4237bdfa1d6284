//! The case pages as each kind of user meets them: the owning force works its cases, another force and the
//! PCC's office get a plain refusal, merges need the session's CSRF token, and the auditor sees it all logged.

use crate::support::{Browser, Page, Site, operator};
use axum::http::{StatusCode, header};
use serde_json::json;
use severn_app::ingest::Ingester;
use severn_domain::access::{OrgKind, Role};
use severn_ingest::{DocContext, Item, parse_document};
use severn_store::Db;

/// An LE JSON report about one person with one (synthetic) e-mail address.
pub fn report(id: u64, email: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
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
                "emails": [{ "value": email }]
            }] }
        }
    }))
    .unwrap()
}

/// Two referrals for the force, about two different people.
pub async fn ingest_two(site: &Site) {
    let mut ingester = Ingester::new(&site.app, &operator(), Some("F1"))
        .await
        .unwrap();
    for (id, email) in [
        (9001, "first.person@example.com"),
        (9002, "second.person@example.net"),
    ] {
        let parsed = parse_document(&report(id, email), "in/report.json", &DocContext::default())
            .unwrap_or_else(|_| panic!("report {id} parses"));
        ingester
            .push(Item::Parsed {
                path: "in/report.json".to_owned(),
                parsed,
            })
            .await
            .unwrap();
    }
    ingester.finish().await.unwrap();
}

/// The subject numbers linked from the queue page, in order.
pub fn subjects_on(page: &Page) -> Vec<String> {
    page.body
        .match_indices("href=\"/subjects/")
        .map(|(at, text)| {
            let rest = &page.body[at + text.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

async fn the_owning_force_works_its_cases_and_others_are_refused_in_plain_words(db: Db) {
    let site = Site::new(db).await;
    ingest_two(&site).await;
    let investigator = site.person("a.inv", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &investigator).await;

    let queue = browser.get(&site, "/queue").await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert_eq!(
        queue.headers.get(header::CACHE_CONTROL).unwrap(),
        "no-store"
    );
    let subjects = subjects_on(&queue);
    assert_eq!(subjects.len(), 2, "{}", queue.body);
    assert!(queue.body.contains("Showing 2 of 2 open subjects."));
    let overdue_only = browser.get(&site, "/queue?band=&overdue=yes").await;
    assert!(
        overdue_only.body.contains("Showing 0 of 2"),
        "nothing is overdue yet"
    );

    let subject = browser
        .get(&site, &format!("/subjects/{}", subjects[0]))
        .await;
    assert_eq!(subject.status, StatusCode::OK);
    let referral = browser.get(&site, "/referrals/9001").await;
    assert_eq!(referral.status, StatusCode::OK, "{}", referral.body);
    assert!(referral.body.contains("first.person@example.com"));

    // Search by identifier, within the force.
    let hits = browser
        .get(
            &site,
            "/search?kind=email&service=&value=First.Person%40example.com",
        )
        .await;
    assert_eq!(hits.status, StatusCode::OK, "{}", hits.body);
    assert!(
        hits.body.contains("1 result for this identifier."),
        "{}",
        hits.body
    );
    assert!(hits.body.contains("href=\"/referrals/ncmec:9001\""));
    let vague = browser
        .get(&site, "/search?kind=screen_name&service=&value=someone")
        .await;
    assert_eq!(vague.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        vague
            .body
            .contains("only identifies someone together with its service")
    );

    // Another force's investigator.
    let other_force = site.org("F2", OrgKind::Force).await;
    let outsider = site
        .person_in(other_force, "b.inv", &[Role::Investigator], true)
        .await;
    let mut theirs = Browser::at("198.51.100.7");
    theirs.sign_in(&site, &outsider).await;
    let page = theirs
        .get(&site, &format!("/subjects/{}", subjects[0]))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(
        page.body
            .contains(&format!("There is no subject {}.", subjects[0])),
        "{}",
        page.body
    );
    let page = theirs.get(&site, "/referrals/9001").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("There is no referral ncmec:9001."));
    assert!(!page.body.contains("first.person@example.com"));
    let their_search = theirs
        .get(&site, "/search?kind=email&value=first.person%40example.com")
        .await;
    assert!(their_search.body.contains("None of your force's referrals"));
    let their_queue = theirs.get(&site, "/queue").await;
    assert!(
        subjects_on(&their_queue).is_empty(),
        "another force's queue has none of these"
    );

    // The PCC's office sees figures, not cases.
    let pcc = site.org("PCC", OrgKind::PccOffice).await;
    let pcc_officer = site.person_in(pcc, "c.pcc", &[Role::PccOffice], true).await;
    let mut office = Browser::at("203.0.113.9");
    site.clock.advance(jiff::SignedDuration::from_secs(30));
    office.sign_in(&site, &pcc_officer).await;
    for path in [
        "/queue",
        "/referrals/9001",
        &format!("/subjects/{}", subjects[1]),
    ] {
        let page = office.get(&site, path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert!(
            page.body.contains("Your role does not allow this."),
            "{path}"
        );
        assert!(!page.body.contains("example.com"), "{path}");
    }
    let home = office.get(&site, "/").await;
    assert!(
        !home.body.contains("href=\"/queue\""),
        "no link to pages the role cannot use"
    );

    // The auditor sees their force's refusals (another force's people are in their own force's log), and
    // reading the log is itself logged.
    assert_eq!(
        browser.get(&site, "/audit").await.status,
        StatusCode::FORBIDDEN
    );
    let auditor = site.person("d.aud", &[Role::Auditor], true).await;
    let mut audit = Browser::at("192.0.2.77");
    audit.sign_in(&site, &auditor).await;
    let log = audit.get(&site, "/audit?actor=a.inv").await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    assert!(log.body.contains("denied"), "{}", log.body);
    let log = audit.get(&site, "/audit").await;
    assert!(
        log.body.contains("d.aud"),
        "the auditor's own reading is logged"
    );
}

async fn merging_needs_the_csrf_token_and_a_rationale(db: Db) {
    let site = Site::new(db).await;
    ingest_two(&site).await;
    let supervisor = site.person("s.sup", &[Role::Supervisor], true).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &supervisor).await;
    let subjects = subjects_on(&browser.get(&site, "/queue").await);
    let (kept, other) = (&subjects[0], &subjects[1]);
    let page = browser.get(&site, &format!("/subjects/{kept}")).await;
    let csrf = page.csrf();
    let merge = format!("/subjects/{kept}/merge");

    let forged = browser
        .post(
            &site,
            &merge,
            &[("other", other), ("rationale", "same person")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let no_reason = browser
        .post(
            &site,
            &merge,
            &[("csrf", &csrf), ("other", other), ("rationale", " ")],
        )
        .await;
    assert_eq!(
        no_reason.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        no_reason.body
    );
    assert_eq!(
        subjects_on(&browser.get(&site, "/queue").await).len(),
        2,
        "nothing merged"
    );

    let merged = browser
        .post(
            &site,
            &merge,
            &[
                ("csrf", &csrf),
                ("other", other),
                ("rationale", "Same person: same phone in both"),
            ],
        )
        .await;
    assert_eq!(merged.status, StatusCode::SEE_OTHER, "{}", merged.body);
    assert_eq!(subjects_on(&browser.get(&site, "/queue").await).len(), 1);

    // The kept subject's timeline tells its story in order: both referrals, the clock, the merge, the deadline.
    let page = browser.get(&site, &format!("/subjects/{kept}")).await;
    let timeline = &page.body[page.body.find("<h2>Timeline</h2>").expect("a timeline")..];
    let at = |text: &str| {
        timeline
            .find(text)
            .unwrap_or_else(|| panic!("{text:?} in the timeline:\n{timeline}"))
    };
    assert!(at("Referral ncmec:9001 received") < at("The clock started"));
    assert!(at("Referral ncmec:9002 received") < at("Merge (subjects"));
    assert!(at("Merge (subjects") < at("Due: the end of the timescale"));
    assert!(timeline.contains("by s.sup: Same person: same phone in both"));
}

async fn the_api_answers_the_same_questions_in_json(db: Db) {
    let site = Site::new(db).await;
    ingest_two(&site).await;
    let supervisor = site.person("s.sup", &[Role::Supervisor], true).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &supervisor).await;
    let csrf = browser.get(&site, "/sessions").await.csrf();

    let queue = browser.get(&site, "/api/queue").await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    let entries: serde_json::Value = serde_json::from_str(&queue.body).unwrap();
    let subjects: Vec<i64> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["subject"].as_i64().unwrap())
        .collect();
    assert_eq!(subjects.len(), 2);
    let referral = browser.get(&site, "/api/referrals/9002").await;
    let referral: serde_json::Value = serde_json::from_str(&referral.body).unwrap();
    assert_eq!(referral["referral"], "ncmec:9002");

    let merge = |csrf: Option<&str>| {
        let mut request = axum::http::Request::post(format!("/api/subjects/{}/merge", subjects[0]))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        request
            .body(axum::body::Body::from(
                json!({ "other": subjects[1], "rationale": "Same person" }).to_string(),
            ))
            .unwrap()
    };
    let refused = browser.send(&site, merge(None)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let merged = browser.send(&site, merge(Some(&csrf))).await;
    assert_eq!(merged.status, StatusCode::OK, "{}", merged.body);
    let merged: serde_json::Value = serde_json::from_str(&merged.body).unwrap();
    assert_eq!(merged["subject"], subjects[0]);

    // Assessing: a preview saves nothing; an assessment is saved with the answers' contributions.
    let answers = json!({ "answers": { "prev_prison": "yes", "prev_sexual_offence_count": 3 } });
    let post = |path: String| {
        axum::http::Request::post(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-csrf-token", &csrf)
            .body(axum::body::Body::from(answers.to_string()))
            .unwrap()
    };
    let preview = browser
        .send(
            &site,
            post(format!("/api/subjects/{}/assess/preview", subjects[0])),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    let preview: serde_json::Value = serde_json::from_str(&preview.body).unwrap();
    assert!(preview["band_now"].is_string(), "{preview}");
    let previewed_band = preview["outcome"]["band"].clone();
    let assessments = |body: &str| {
        let referral: serde_json::Value = serde_json::from_str(body).unwrap();
        referral["assessments"].as_array().unwrap().len()
    };
    let referral = browser.get(&site, "/api/referrals/9002").await;
    assert_eq!(assessments(&referral.body), 0, "the preview saved nothing");
    let saved = browser
        .send(&site, post(format!("/api/subjects/{}/assess", subjects[0])))
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let saved: serde_json::Value = serde_json::from_str(&saved.body).unwrap();
    assert_eq!(saved["subject_id"], subjects[0]);
    assert_eq!(
        saved["band"], previewed_band,
        "the preview showed what was saved"
    );
    assert!(saved["answers"]["prev_prison"].is_string(), "{saved}");
    let referral = browser.get(&site, "/api/referrals/9002").await;
    assert_eq!(assessments(&referral.body), 1);

    // A malformed body is refused in plain words.
    let page = browser
        .send(
            &site,
            axum::http::Request::post(format!("/api/subjects/{}/split", subjects[0]))
                .header(header::CONTENT_TYPE, "application/json")
                .header("x-csrf-token", &csrf)
                .body(axum::body::Body::from("{\"referrals\": 7}"))
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("see /api/openapi.json"), "{}", page.body);

    // Machine feeds act as themselves: their token reaches no personal data.
    let token = site.service("nca-feed").await;
    let page = Browser::new()
        .send(
            &site,
            axum::http::Request::get("/api/queue")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let error: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(error["error"], "Your role does not allow this.");
}

async fn an_assessment_answers_the_tools_questions_and_shows_the_band_move(db: Db) {
    let site = Site::new(db).await;
    ingest_two(&site).await;
    let investigator = site.person("a.inv", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &investigator).await;
    let subject = subjects_on(&browser.get(&site, "/queue").await)[0].clone();
    let path = format!("/subjects/{subject}/assess");

    let form = browser.get(&site, &path).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("Step 1: previous behaviours"));
    assert!(form.body.contains("name=\"answer.prev_prison\""));
    assert!(
        form.body.contains("<legend>"),
        "each question is a fieldset with a legend"
    );
    let csrf = form.csrf();

    let saved = browser
        .post(
            &site,
            &path,
            &[("csrf", &csrf), ("answer.prev_prison", "yes")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert!(saved.body.contains("The band went from"));
    assert!(
        saved
            .body
            .contains("Has the subject served a prison sentence for a sexual offence?")
    );

    let wrong = browser
        .post(
            &site,
            &path,
            &[("csrf", &csrf), ("answer.prev_prison", "perhaps")],
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.body
    );

    // A safeguarding officer reads cases but does not assess them.
    let safeguarding = site
        .person("e.safe", &[Role::SafeguardingOfficer], true)
        .await;
    let mut theirs = Browser::at("198.51.100.7");
    site.clock.advance(jiff::SignedDuration::from_secs(30));
    theirs.sign_in(&site, &safeguarding).await;
    let csrf = theirs.get(&site, "/sessions").await.csrf();
    let page = theirs
        .post(
            &site,
            &path,
            &[("csrf", &csrf), ("answer.prev_prison", "no")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("Your role does not allow this."));
}

async fn a_restricted_case_asks_named_people_why_and_refuses_everyone_else(db: Db) {
    let site = Site::new(db).await;
    ingest_two(&site).await;
    let named = site.person("n.named", &[Role::Investigator], true).await;
    let colleague = site.person("c.colleague", &[Role::Supervisor], true).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &named).await;
    let subject = subjects_on(&browser.get(&site, "/queue").await)[0].clone();
    restrict_to(&site, &subject, "n.named").await;

    // The reason is asked for in a form posted with the session's CSRF token, never in the address.
    let path = format!("/subjects/{subject}");
    let ask = browser.get(&site, &path).await;
    assert_eq!(ask.status, StatusCode::OK);
    assert!(ask.body.contains("Say why you need this"), "{}", ask.body);
    assert!(
        ask.body
            .contains(&format!("<form method=\"post\" action=\"{path}\"")),
        "{}",
        ask.body
    );
    assert!(ask.body.contains("name=\"justification\""));
    let csrf = ask.csrf();
    let in_address = browser
        .get(&site, &format!("{path}?justification=Operation%20Kestrel"))
        .await;
    assert!(
        in_address.body.contains("Say why you need this"),
        "a reason in the address is not taken"
    );
    let forged = browser
        .post(&site, &path, &[("justification", "Operation Kestrel")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "no CSRF token");
    let page = browser
        .post(
            &site,
            &path,
            &[
                ("csrf", &csrf),
                ("justification", "Operation Kestrel enquiry"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&format!("Subject {subject}")));
    assert!(page.body.contains("Why this band"));

    // The referral page asks the same way, and the reason is kept in the log.
    let at = page.body.find("href=\"/referrals/").unwrap() + "href=\"".len();
    let referral = &page.body[at..at + page.body[at..].find('"').unwrap()];
    let ask = browser.get(&site, referral).await;
    assert!(
        ask.body
            .contains(&format!("<form method=\"post\" action=\"{referral}\"")),
        "{}",
        ask.body
    );
    let shown = browser
        .post(
            &site,
            referral,
            &[
                ("csrf", &csrf),
                ("justification", "Operation Kestrel, referral"),
            ],
        )
        .await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert!(
        shown.body.contains("<h1>Referral ncmec:900"),
        "{}",
        shown.body
    );
    let entries = site
        .app
        .audit_search(
            &operator(),
            &severn_store::AuditQuery {
                actor: Some("n.named".to_owned()),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.justification.as_deref() == Some("Operation Kestrel enquiry")),
        "{entries:?}"
    );

    let mut theirs = Browser::at("198.51.100.7");
    site.clock.advance(jiff::SignedDuration::from_secs(30));
    theirs.sign_in(&site, &colleague).await;
    let csrf = theirs.get(&site, "/sessions").await.csrf();
    let page = theirs
        .post(
            &site,
            &path,
            &[("csrf", &csrf), ("justification", "curious")],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(
        page.body
            .contains(&format!("There is no subject {subject}.")),
        "{}",
        page.body
    );
    assert!(!page.body.contains("restricted"), "{}", page.body);
}

/// Restricts a subject to one named person, as an operator would.
async fn the_api_takes_the_reason_for_a_restricted_case_from_a_header_not_the_address(db: Db) {
    let site = Site::new(db).await;
    ingest_two(&site).await;
    let named = site.person("n.named", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &named).await;
    let subject = subjects_on(&browser.get(&site, "/queue").await)[0].clone();
    restrict_to(&site, &subject, "n.named").await;
    let path = format!("/api/subjects/{subject}");

    let in_address = browser
        .get(&site, &format!("{path}?justification=Operation%20Kestrel"))
        .await;
    assert_eq!(
        in_address.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason in the address is not taken: {}",
        in_address.body
    );
    let request = axum::http::Request::get(&path)
        .header("x-justification", "Operation Kestrel enquiry")
        .body(axum::body::Body::empty())
        .unwrap();
    let opened = browser.send(&site, request).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
    let entries = site
        .app
        .audit_search(
            &operator(),
            &severn_store::AuditQuery {
                actor: Some("n.named".to_owned()),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.target == format!("subject:{subject}")
                && e.justification.as_deref() == Some("Operation Kestrel enquiry")),
        "{entries:?}"
    );
}

pub async fn restrict_to(site: &Site, subject: &str, username: &str) {
    site.app
        .restrict_case(
            &operator(),
            severn_domain::ids::SubjectId(subject.parse().unwrap()),
            Some(&[username.to_owned()]),
            "The suspect works in the force",
        )
        .await
        .unwrap();
}

async fn a_person_named_in_a_restriction_assesses_the_case(db: Db) {
    let site = Site::new(db).await;
    ingest_two(&site).await;
    let named = site.person("n.named", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &named).await;
    let subject = subjects_on(&browser.get(&site, "/queue").await)[0].clone();
    restrict_to(&site, &subject, "n.named").await;

    let ask = browser
        .get(&site, &format!("/subjects/{subject}/assess"))
        .await;
    assert_eq!(ask.status, StatusCode::OK, "{}", ask.body);
    assert!(ask.body.contains("Say why you need this"), "{}", ask.body);
    let open = format!("/subjects/{subject}/assess/open");
    assert!(
        ask.body
            .contains(&format!("<form method=\"post\" action=\"{open}\"")),
        "{}",
        ask.body
    );
    let csrf = ask.csrf();
    let form = browser
        .post(
            &site,
            &open,
            &[("csrf", &csrf), ("justification", "Operation Kestrel")],
        )
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("name=\"answer.prev_prison\""));
    assert!(
        form.body
            .contains("name=\"justification\" value=\"Operation Kestrel\""),
        "the reason goes on to the save in the form's body: {}",
        form.body
    );
    let saved = browser
        .post(
            &site,
            &format!("/subjects/{subject}/assess"),
            &[
                ("csrf", &csrf),
                ("justification", "Operation Kestrel"),
                ("answer.prev_prison", "yes"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert!(saved.body.contains("The band went from"), "{}", saved.body);
    let assessed = site
        .app
        .audit_search(
            &operator(),
            &severn_store::AuditQuery {
                actor: Some("n.named".to_owned()),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "assess" && e.outcome == "allowed")
        .collect::<Vec<_>>();
    assert_eq!(assessed.len(), 1, "{assessed:?}");
    assert_eq!(
        assessed[0].justification.as_deref(),
        Some("Operation Kestrel")
    );
}

async fn a_restricted_case_shows_no_band_reason_in_the_queue(db: Db) {
    let site = Site::new(db).await;
    ingest_two(&site).await;
    let named = site.person("n.named", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &named).await;
    let queue = browser.get(&site, "/queue").await;
    let subject = subjects_on(&queue)[0].clone();
    let reason = site
        .app
        .subject(
            &operator(),
            severn_domain::ids::SubjectId(subject.parse().unwrap()),
            Default::default(),
        )
        .await
        .unwrap()
        .reason;
    let shown = |body: &str| body.matches(reason.as_str()).count();
    assert_eq!(shown(&queue.body), 1, "{}", queue.body);
    restrict_to(&site, &subject, "n.named").await;

    let queue = browser.get(&site, "/queue").await;
    assert_eq!(subjects_on(&queue).len(), 2, "{}", queue.body);
    assert_eq!(shown(&queue.body), 0, "{}", queue.body);
    assert!(
        queue
            .body
            .contains("Restricted to named people: the reason is on the case page."),
        "{}",
        queue.body
    );
    let api = browser.get(&site, "/api/queue").await;
    let entries: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    let entry = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["subject"].as_i64() == subject.parse().ok())
        .unwrap();
    assert_eq!(entry["restricted"], true);
    assert!(
        entry["reason"].is_null() && entry["referrals"].is_null(),
        "{entry}"
    );
    assert_eq!(shown(&api.body), 0, "{}", api.body);

    // The person named reads the reason on the case's page, after saying why.
    let ask = browser.get(&site, &format!("/subjects/{subject}")).await;
    let page = browser
        .post(
            &site,
            &format!("/subjects/{subject}"),
            &[
                ("csrf", &ask.csrf()),
                ("justification", "Operation Kestrel"),
            ],
        )
        .await;
    assert!(page.body.contains(&reason), "{}", page.body);
}

/// An LE JSON report under a partner's reference, which holds `/` and characters an address reserves.
async fn ingest_with_reference(site: &Site, id: u64, reference: &str, email: &str) {
    let mut ingester = Ingester::new(&site.app, &operator(), Some("F1"))
        .await
        .unwrap();
    let mut parsed =
        parse_document(&report(id, email), "in/report.json", &DocContext::default()).unwrap();
    let severn_ingest::Parsed::Report(report) = &mut parsed else {
        panic!("a report")
    };
    report.source_ref = severn_domain::report::SourceRef::External(reference.to_owned());
    ingester
        .push(Item::Parsed {
            path: "in/report.json".to_owned(),
            parsed,
        })
        .await
        .unwrap();
    ingester.finish().await.unwrap();
}

async fn a_reference_holding_a_slash_is_reached_from_its_links(db: Db) {
    let site = Site::new(db).await;
    ingest_two(&site).await;
    let reference = "partner-a/REF 7/2024?x#1%";
    ingest_with_reference(&site, 9003, reference, "first.person@example.com").await;
    let investigator = site.person("a.inv", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &investigator).await;

    let first = browser.get(&site, "/referrals/9001").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let link = "/referrals/ext:partner-a%2FREF%207%2F2024%3Fx%231%25";
    assert!(
        first.body.contains(&format!("href=\"{link}\"")),
        "the linked referral's address: {}",
        first.body
    );
    let linked = browser.get(&site, link).await;
    assert_eq!(linked.status, StatusCode::OK, "{}", linked.body);
    assert!(linked.body.contains(&format!("Referral ext:{reference}")));
    let subject = browser.get(&site, "/queue").await;
    let subject = browser
        .get(&site, &format!("/subjects/{}", subjects_on(&subject)[0]))
        .await;
    assert!(
        subject.body.contains(&format!("href=\"{link}\"")),
        "{}",
        subject.body
    );

    // The API takes the same encoded reference, and a slash typed as it is.
    let api = browser.get(&site, &format!("/api{link}")).await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let view: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(view["referral"], format!("ext:{reference}"));
    ingest_with_reference(
        &site,
        9004,
        "partner-b/2024/17",
        "second.person@example.net",
    )
    .await;
    let typed = browser.get(&site, "/referrals/ext:partner-b/2024/17").await;
    assert_eq!(typed.status, StatusCode::OK, "{}", typed.body);
    let typed = browser
        .get(&site, "/api/referrals/ext:partner-b/2024/17")
        .await;
    assert_eq!(typed.status, StatusCode::OK, "{}", typed.body);
}

async fn each_page_offers_only_the_actions_the_role_allows(db: Db) {
    let site = Site::new(db).await;
    ingest_two(&site).await;
    let investigator = site.person("a.inv", &[Role::Investigator], true).await;
    let safeguarding = site
        .person("e.safe", &[Role::SafeguardingOfficer], true)
        .await;
    let supervisor = site.person("s.sup", &[Role::Supervisor], true).await;
    let offers = [
        "Assess with the risk tool",
        "Compare with another subject",
        "Split referrals off",
        "Share this case",
        "Restrict this case",
    ];
    let mut subject = String::new();
    for (n, (person, offered)) in [
        (&investigator, [true, true, true, false, false]),
        (&safeguarding, [false, false, false, false, false]),
        (&supervisor, [true, true, true, true, true]),
    ]
    .into_iter()
    .enumerate()
    {
        let mut browser = Browser::at(&format!("192.0.2.{}", 20 + n));
        site.clock.advance(jiff::SignedDuration::from_secs(30));
        browser.sign_in(&site, person).await;
        subject = subjects_on(&browser.get(&site, "/queue").await)[0].clone();
        let page = browser.get(&site, &format!("/subjects/{subject}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        for (offer, expected) in offers.iter().zip(offered) {
            assert_eq!(
                page.body.contains(offer),
                expected,
                "{} and {offer:?}: {}",
                person.username,
                page.body
            );
        }
    }

    // Someone whose role may not assess is refused the assessment form, and the refusal is logged.
    let mut browser = Browser::at("192.0.2.30");
    browser.sign_in(&site, &safeguarding).await;
    let form = browser
        .get(&site, &format!("/subjects/{subject}/assess"))
        .await;
    assert_eq!(form.status, StatusCode::FORBIDDEN, "{}", form.body);
    assert!(form.body.contains("Your role does not allow this."));
    assert!(!form.body.contains("answer.prev_prison"));
    let refused = site
        .app
        .audit_search(
            &operator(),
            &severn_store::AuditQuery {
                actor: Some("e.safe".to_owned()),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        refused
            .iter()
            .any(|e| e.action == "assess" && e.outcome.starts_with("denied")),
        "{refused:?}"
    );
}

async fn times_and_counts_read_as_plain_words(db: Db) {
    let site = Site::new(db).await;
    ingest_two(&site).await;
    let investigator = site.person("a.inv", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &investigator).await;
    let subject = subjects_on(&browser.get(&site, "/queue").await)[0].clone();
    let page = browser.get(&site, &format!("/subjects/{subject}")).await;
    assert!(page.body.contains("30 days left)"), "{}", page.body);
    assert!(!page.body.contains("left left"), "{}", page.body);
    let form = browser
        .get(&site, &format!("/subjects/{subject}/assess"))
        .await;
    assert!(form.body.contains("(1 point)"), "{}", form.body);
    assert!(!form.body.contains("1 points"), "{}", form.body);

    // Past the deadline.
    site.advance_minutes(31 * 24 * 60);
    browser.sign_in(&site, &investigator).await;
    let queue = browser.get(&site, "/queue").await;
    assert!(queue.body.contains("Overdue by 1 day"), "{}", queue.body);
    let page = browser.get(&site, &format!("/subjects/{subject}")).await;
    let referral = browser.get(&site, "/referrals/9001").await;
    for body in [&queue.body, &page.body, &referral.body] {
        assert!(body.contains("overdue by 1 day") || body.contains("Overdue by 1 day"));
        assert!(!body.to_lowercase().contains("overdue: overdue"), "{body}");
    }
}

/// The API's assessment of a restricted case asks the people named why, as the page does: refused without a
/// justification in words that name the field, saved with one, and the justification kept in the audit entry.
async fn the_api_assesses_a_restricted_case_with_a_justification(db: Db) {
    let site = Site::new(db).await;
    ingest_two(&site).await;
    let named = site.person("n.named", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &named).await;
    let queue = browser.get(&site, "/queue").await;
    let subject = subjects_on(&queue)[0].clone();
    restrict_to(&site, &subject, "n.named").await;
    let csrf = queue.csrf();
    let path = format!("/api/subjects/{subject}/assess");
    let preview = format!("{path}/preview");

    for path in [&preview, &path] {
        let refused = browser
            .post_json(
                &site,
                path,
                Some(&csrf),
                &json!({ "answers": { "prev_prison": "yes" } }),
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        assert!(refused.body.contains("`justification`"), "{}", refused.body);
    }
    let previewed = browser
        .post_json(
            &site,
            &preview,
            Some(&csrf),
            &json!({ "answers": { "prev_prison": "yes" }, "justification": "Operation Kestrel" }),
        )
        .await;
    assert_eq!(previewed.status, StatusCode::OK, "{}", previewed.body);
    let saved = browser
        .post_json(
            &site,
            &path,
            Some(&csrf),
            &json!({ "answers": { "prev_prison": "yes" }, "justification": "Operation Kestrel" }),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let assessed: Vec<_> = site
        .app
        .audit_search(
            &operator(),
            &severn_store::AuditQuery {
                actor: Some("n.named".to_owned()),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "assess" && e.outcome == "allowed")
        .collect();
    assert_eq!(assessed.len(), 1, "{assessed:?}");
    assert_eq!(
        assessed[0].justification.as_deref(),
        Some("Operation Kestrel")
    );
}

/// A search shows a case restricted to others as the queue shows it: its number, once, with no reference and
/// no role, on the page and in the API. The people named see its referrals.
async fn a_search_shows_a_case_restricted_to_others_without_its_referrals(db: Db) {
    let site = Site::new(db).await;
    ingest_two(&site).await;
    let named = site.person("n.named", &[Role::Investigator], true).await;
    let other = site.person("o.other", &[Role::Investigator], true).await;
    let mut theirs = Browser::new();
    theirs.sign_in(&site, &named).await;
    let mut outsider = Browser::at("198.51.100.7");
    outsider.sign_in(&site, &other).await;
    let search = "/api/search?kind=email&value=first.person%40example.com";
    let hits = |page: &Page| -> Vec<serde_json::Value> {
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        serde_json::from_str(&page.body).unwrap()
    };
    let before = hits(&theirs.get(&site, search).await);
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(before[0]["referral"], "ncmec:9001");
    let subject = before[0]["subject"].to_string();
    restrict_to(&site, &subject, "n.named").await;

    let seen = hits(&outsider.get(&site, search).await);
    assert_eq!(
        seen,
        vec![
            json!({ "subject": before[0]["subject"], "referral": null, "role": null, "restricted": true })
        ]
    );
    let page = outsider
        .get(&site, "/search?kind=email&value=first.person%40example.com")
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(!page.body.contains("9001"), "{}", page.body);
    assert!(
        page.body.contains("Restricted to named people"),
        "{}",
        page.body
    );

    let named_sees = hits(&theirs.get(&site, search).await);
    assert_eq!(named_sees, before);
}

severn_store::backend_matrix!(
    a_search_shows_a_case_restricted_to_others_without_its_referrals,
    the_api_assesses_a_restricted_case_with_a_justification,
    each_page_offers_only_the_actions_the_role_allows,
    times_and_counts_read_as_plain_words,
    a_restricted_case_asks_named_people_why_and_refuses_everyone_else,
    the_api_takes_the_reason_for_a_restricted_case_from_a_header_not_the_address,
    a_person_named_in_a_restriction_assesses_the_case,
    a_restricted_case_shows_no_band_reason_in_the_queue,
    a_reference_holding_a_slash_is_reached_from_its_links,
    an_assessment_answers_the_tools_questions_and_shows_the_band_move,
    the_owning_force_works_its_cases_and_others_are_refused_in_plain_words,
    merging_needs_the_csrf_token_and_a_rationale,
    the_api_answers_the_same_questions_in_json,
);
