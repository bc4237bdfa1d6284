//! Cases on the web: opening one from a subject, the worklists, the case page and its forms, and the JSON API
//! twins; who may do what, refusals in plain words beside the form, and the CSRF token on every change.

use crate::cases::{ingest_two, report, restrict_to, subjects_on};
use crate::support::{Browser, Page, Site, operator};
use axum::http::StatusCode;
use serde_json::{Value, json};
use severn_domain::access::{OrgKind, Role};
use severn_domain::ids::SubjectId;
use severn_store::Db;

severn_store::backend_matrix!(
    an_investigator_opens_a_case_and_records_a_warrant_to_its_execution,
    a_refused_entry_is_shown_beside_its_form_with_what_was_typed,
    an_entry_is_corrected_and_the_timeline_shows_both,
    the_api_opens_cases_and_records_events,
    each_role_gets_the_case_pages_the_policy_allows,
    a_restricted_case_asks_why_and_its_forms_carry_the_reason,
    a_worklist_longer_than_a_page_is_paged,
    a_supervisor_allocates_from_the_ranked_candidates_with_an_override,
    notices_of_a_case_due_soon_show_on_the_worklist,
    a_closed_case_offers_only_a_note,
);

/// The number after `prefix` in `text`, such as the case a redirect names.
fn number_after(text: &str, prefix: &str) -> i64 {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix:?} in {text:?}"))
        + prefix.len();
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap()
}

/// The site with two subjects in its queue, and the first of them.
async fn site_with_subjects(db: Db) -> (Site, i64) {
    let site = Site::new(db).await;
    ingest_two(&site).await;
    let first = site
        .app
        .queue(&operator(), 10)
        .await
        .unwrap()
        .first()
        .unwrap()
        .subject
        .0;
    (site, first)
}

/// Signs a person in, in the force, with `roles`.
async fn signed_in(site: &Site, username: &str, roles: &[Role]) -> Browser {
    let person = site.person(username, roles, true).await;
    let mut browser = Browser::new();
    browser.sign_in(site, &person).await;
    browser
}

/// Records an event from the case page's form: `fields` beside the kind, date and time.
async fn record(
    browser: &mut Browser,
    site: &Site,
    case: i64,
    kind: &str,
    fields: &[(&str, &str)],
) -> Page {
    let csrf = browser.get(site, &format!("/cases/{case}")).await.csrf();
    // The site's clock is in March, when UK time is UTC.
    let now = jiff::Timestamp::from_second(site.now()).unwrap();
    let (date, time) = (
        now.strftime("%Y-%m-%d").to_string(),
        now.strftime("%H:%M").to_string(),
    );
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("kind", kind),
        ("date", date.as_str()),
        ("time", time.as_str()),
    ];
    form.extend_from_slice(fields);
    browser
        .post(site, &format!("/cases/{case}/events"), &form)
        .await
}

async fn an_investigator_opens_a_case_and_records_a_warrant_to_its_execution(db: Db) {
    let (site, subject) = site_with_subjects(db).await;
    let mut browser = signed_in(&site, "a.inv", &[Role::Investigator]).await;

    let page = browser.get(&site, &format!("/subjects/{subject}")).await;
    assert!(page.body.contains("Open a case"), "{}", page.body);
    let home = browser.get(&site, "/").await;
    assert!(home.body.contains("href=\"/cases\""), "{}", home.body);

    // Without the form's token nothing is opened.
    let forged = browser
        .post(
            &site,
            &format!("/subjects/{subject}/case"),
            &[("csrf", "forged")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let csrf = page.csrf();
    let opened = browser
        .post(
            &site,
            &format!("/subjects/{subject}/case"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    let case = number_after(opened.location(), "/cases/");

    // The subject leaves the queue and links to its case.
    let queue = browser.get(&site, "/queue").await;
    assert_eq!(subjects_on(&queue).len(), 1, "{}", queue.body);
    let page = browser.get(&site, &format!("/subjects/{subject}")).await;
    assert!(page.body.contains(&format!("href=\"/cases/{case}\"")));
    assert!(!page.body.contains("Open a case"));

    // An investigator's own list is empty until the case is allocated; every open case is listed.
    let mine = browser.get(&site, "/cases").await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    assert!(mine.body.contains("My cases"), "{}", mine.body);
    assert!(
        mine.body.contains("No cases in this list."),
        "{}",
        mine.body
    );
    let open = browser.get(&site, "/cases?list=open").await;
    assert!(open.body.contains(&format!("href=\"/cases/{case}\"")));
    assert!(open.body.contains("Not allocated"), "{}", open.body);
    let unknown = browser.get(&site, "/cases?list=everything").await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown
            .body
            .contains("choose one of mine, team, supervised, shared, unallocated, open, closed"),
        "{}",
        unknown.body
    );

    let page = browser.get(&site, &format!("/cases/{case}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Running: due"), "{}", page.body);
    assert!(page.body.contains("Record what happened"));
    assert!(page.body.contains("Warrant number on this case: 1."));
    assert!(
        !page.body.contains("id=\"form-rebanded\"")
            && !page.body.contains("id=\"form-returned_to_nca\""),
        "the supervisor's entries are not offered to an investigator"
    );
    assert!(page.body.contains(&format!("href=\"/subjects/{subject}\"")));

    // The referral arrived at 09:00: the warrant is applied for, granted and executed 25 minutes later.
    site.advance_minutes(25);
    let applied = record(
        &mut browser,
        &site,
        case,
        "warrant_applied",
        &[
            ("warrant", "1"),
            ("warrant_type", "pace_s8"),
            ("court", "Example Magistrates' Court"),
            ("remote", "yes"),
        ],
    )
    .await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.body);
    assert!(
        applied
            .location()
            .starts_with(&format!("/cases/{case}#event-"))
    );
    for kind in ["warrant_granted", "warrant_executed"] {
        let done = record(&mut browser, &site, case, kind, &[("warrant", "1")]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{kind}: {}", done.body);
    }
    let arrest = record(&mut browser, &site, case, "arrest", &[]).await;
    assert_eq!(arrest.status, StatusCode::SEE_OTHER, "{}", arrest.body);

    let page = browser.get(&site, &format!("/cases/{case}")).await;
    assert!(
        page.body
            .contains("Stopped by warrant executed (in time) at 2026-03-02 09:25 GMT"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Granted 2026-03-02 09:25 GMT"));
    assert!(page.body.contains("heard remotely"));
    assert!(page.body.contains("Received → first enforcement action"));
    assert!(
        page.body
            .contains("<td>Received → first enforcement action</td><td>25 min</td>"),
        "{}",
        page.body
    );
    let api = browser.get(&site, &format!("/api/cases/{case}")).await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let view: Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(view["clock"]["state"]["state"], "stopped");
    assert_eq!(view["events"].as_array().unwrap().len(), 4);
    assert_eq!(
        view["may"],
        json!({ "record": true, "allocate": false, "review": false, "safeguard": true })
    );

    // Recording needs the form's token.
    let forged = browser
        .post(
            &site,
            &format!("/cases/{case}/events"),
            &[("csrf", "forged"), ("kind", "interview")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

async fn a_refused_entry_is_shown_beside_its_form_with_what_was_typed(db: Db) {
    let (site, subject) = site_with_subjects(db).await;
    let case = site
        .app
        .open_case(&operator(), SubjectId(subject))
        .await
        .unwrap()
        .0;
    let mut browser = signed_in(&site, "a.inv", &[Role::Investigator]).await;
    let csrf = browser.get(&site, &format!("/cases/{case}")).await.csrf();
    let post = |fields: Vec<(&'static str, &'static str)>| {
        let mut form = vec![("csrf", csrf.clone())];
        form.extend(fields.into_iter().map(|(k, v)| (k, v.to_owned())));
        form
    };

    // An arrest before the referral arrived: refused, with the message beside the arrest form and the time kept.
    let form = post(vec![
        ("kind", "arrest"),
        ("date", "2026-02-28"),
        ("time", "07:45"),
        ("rationale", "Typed before the mistake was seen"),
    ]);
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = browser
        .post(&site, &format!("/cases/{case}/events"), &fields)
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    let form_at = refused.body.find("id=\"form-arrest\"").unwrap();
    let error_at = refused.body.find("This was not recorded").unwrap();
    let next_form = refused.body[form_at..].find("</details>").unwrap() + form_at;
    assert!(
        form_at < error_at && error_at < next_form,
        "the message is in the arrest form"
    );
    assert!(
        refused
            .body
            .contains("would be before the first referral arrived"),
        "{}",
        refused.body
    );
    assert!(refused.body[form_at..next_form].contains("value=\"07:45\""));
    assert!(refused.body[form_at..next_form].contains("Typed before the mistake was seen"));
    assert!(
        refused.body.contains("href=\"/cases\""),
        "navigation is kept"
    );

    // A warrant executed before it was granted names the step missing.
    let form = post(vec![
        ("kind", "warrant_applied"),
        ("warrant", "1"),
        ("warrant_type", "pace_s8"),
        ("court", "Example Court"),
        ("date", "2026-03-02"),
        ("time", "09:00"),
    ]);
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let applied = browser
        .post(&site, &format!("/cases/{case}/events"), &fields)
        .await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.body);
    let early = record(
        &mut browser,
        &site,
        case,
        "warrant_executed",
        &[("warrant", "1")],
    )
    .await;
    assert_eq!(
        early.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        early.body
    );
    assert!(early.body.contains("needs"), "{}", early.body);

    // A count that is not a number, and closing with work open unconfirmed.
    let seized = record(
        &mut browser,
        &site,
        case,
        "devices_seized",
        &[
            ("count", "three"),
            ("description", "Two phones and a laptop"),
        ],
    )
    .await;
    assert_eq!(seized.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        seized
            .body
            .contains("How many devices must be a whole number.")
    );
    assert!(seized.body.contains("Two phones and a laptop"));
    let closed = record(
        &mut browser,
        &site,
        case,
        "closed",
        &[("reason", "No further action")],
    )
    .await;
    assert_eq!(
        closed.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        closed.body
    );
    assert!(
        closed.body.contains("Tick the box and give a rationale"),
        "{}",
        closed.body
    );
    // Ticked but without a rationale: still refused, by the rule itself.
    let unexplained = record(
        &mut browser,
        &site,
        case,
        "closed",
        &[("reason", "No further action"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(
        unexplained.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unexplained.body
    );
    assert!(
        unexplained
            .body
            .contains("give a rationale for closing anyway"),
        "{}",
        unexplained.body
    );
    let status = site
        .app
        .case_view(
            &operator(),
            severn_domain::ids::CaseId(case),
            Default::default(),
        )
        .await
        .unwrap()
        .status;
    assert_eq!(status, "open");
}

async fn an_entry_is_corrected_and_the_timeline_shows_both(db: Db) {
    let (site, subject) = site_with_subjects(db).await;
    let case = site
        .app
        .open_case(&operator(), SubjectId(subject))
        .await
        .unwrap()
        .0;
    let mut browser = signed_in(&site, "a.inv", &[Role::Investigator]).await;
    let noted = record(&mut browser, &site, case, "note", &[("text", "Wrong case")]).await;
    assert_eq!(noted.status, StatusCode::SEE_OTHER, "{}", noted.body);
    let entry = number_after(noted.location(), "#event-");

    let page = browser
        .get(&site, &format!("/cases/{case}?correct={entry}"))
        .await;
    assert!(
        page.body.contains(&format!("Correct entry {entry}: Note")),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("Withdraw entry {entry}")));
    assert!(
        page.body.contains(">Wrong case</textarea>"),
        "the correction starts from the entry"
    );

    let csrf = page.csrf();
    let entry_text = entry.to_string();
    let withdraw = |rationale: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("kind", "withdrawn".to_owned()),
            ("supersedes", entry_text.clone()),
            ("date", "2026-03-02".to_owned()),
            ("time", "09:00".to_owned()),
            ("correction", "yes".to_owned()),
            ("rationale", rationale.to_owned()),
        ]
    };
    let form = withdraw("");
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = browser
        .post(&site, &format!("/cases/{case}/events"), &fields)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("A correction must say why"),
        "{}",
        refused.body
    );

    let form = withdraw("Entered on the wrong case");
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let withdrawn = browser
        .post(&site, &format!("/cases/{case}/events"), &fields)
        .await;
    assert_eq!(
        withdrawn.status,
        StatusCode::SEE_OTHER,
        "{}",
        withdrawn.body
    );
    let later = number_after(withdrawn.location(), "#event-");
    let page = browser.get(&site, &format!("/cases/{case}")).await;
    assert!(
        page.body
            .contains("<del><strong>Note</strong>: Wrong case</del>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(&format!("see <a href=\"#event-{later}\">entry {later}</a>"))
    );
    assert!(page.body.contains(&format!(
        "Corrects <a href=\"#event-{entry}\">entry {entry}</a>"
    )));
    assert!(page.body.contains("Why: Entered on the wrong case"));
    assert!(
        !page.body.contains(&format!("?correct={entry}")),
        "an entry no longer in force is not offered for correction"
    );
}

/// Sends JSON to the API with the session's CSRF token.
async fn post_api(
    browser: &mut Browser,
    site: &Site,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let csrf = browser.get(site, "/sessions").await.csrf();
    let page = browser.post_json(site, path, Some(&csrf), &body).await;
    (
        page.status,
        serde_json::from_str(&page.body).unwrap_or(Value::Null),
    )
}

async fn the_api_opens_cases_and_records_events(db: Db) {
    let (site, subject) = site_with_subjects(db).await;
    let mut supervisor = signed_in(&site, "s.sup", &[Role::Supervisor]).await;
    let path = format!("/api/subjects/{subject}/case");

    let forged = supervisor.post_json(&site, &path, None, &json!({})).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let (status, opened) = post_api(&mut supervisor, &site, &path, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let case = opened["case"].as_i64().unwrap();
    let (status, again) = post_api(&mut supervisor, &site, &path, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        again["error"]
            .as_str()
            .unwrap()
            .contains(&format!("case {case} already")),
        "{again}"
    );

    let events = format!("/api/cases/{case}/events");
    let at = "2026-03-02T09:00:00Z";
    let forged = supervisor
        .post_json(
            &site,
            &events,
            None,
            &json!({ "fact": { "kind": "research_started" }, "occurred_at": at }),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
    let (status, refused) = post_api(
        &mut supervisor,
        &site,
        &events,
        json!({ "fact": { "kind": "warrant_granted", "warrant": 1 }, "occurred_at": at }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(!refused["error"].as_str().unwrap().is_empty());
    let (status, recorded) = post_api(
        &mut supervisor,
        &site,
        &events,
        json!({
            "fact": { "kind": "warrant_applied", "warrant": 1, "warrant_type": "pace_s8",
                      "court": "Example Court", "remote": false },
            "occurred_at": at
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{recorded}");
    assert!(recorded["event"].is_i64(), "{recorded}");
    let (status, rebanded) = post_api(
        &mut supervisor,
        &site,
        &events,
        json!({ "fact": { "kind": "rebanded", "band": "very_high" }, "occurred_at": at,
                "rationale": "New intelligence: the suspect lives with a child" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{rebanded}");
    let (status, malformed) = post_api(
        &mut supervisor,
        &site,
        &events,
        json!({ "fact": { "kind": "no_such_thing" }, "occurred_at": at }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{malformed}");

    // The supervisor's change of band is refused to an investigator.
    let mut investigator = signed_in(&site, "a.inv", &[Role::Investigator]).await;
    let (status, denied) = post_api(
        &mut investigator,
        &site,
        &events,
        json!({ "fact": { "kind": "rebanded", "band": "low" }, "occurred_at": at }),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{denied}");

    let list = supervisor.get(&site, "/api/cases").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let list: Value = serde_json::from_str(&list.body).unwrap();
    assert_eq!(list["total"], 1, "a supervisor sees every open case first");
    assert_eq!(list["entries"][0]["case"], case);
    assert_eq!(list["entries"][0]["band"], "very_high");
    let closed = supervisor.get(&site, "/api/cases?list=closed").await;
    let closed: Value = serde_json::from_str(&closed.body).unwrap();
    assert_eq!(closed["total"], 0);
    let unknown = supervisor.get(&site, "/api/cases?list=all").await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    let view = supervisor.get(&site, &format!("/api/cases/{case}")).await;
    let view: Value = serde_json::from_str(&view.body).unwrap();
    assert_eq!(
        view["may"],
        json!({ "record": true, "allocate": true, "review": true, "safeguard": true })
    );
    assert_eq!(view["warrants"][0]["court"], "Example Court");
    assert_eq!(view["next_warrant"], 2);

    // The page offers the supervisor's entries too.
    let page = supervisor.get(&site, &format!("/cases/{case}")).await;
    assert!(
        page.body.contains("id=\"form-returned_to_nca\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"form-rebanded\""), "{}", page.body);
}

async fn each_role_gets_the_case_pages_the_policy_allows(db: Db) {
    let (site, subject) = site_with_subjects(db).await;
    let case = site
        .app
        .open_case(&operator(), SubjectId(subject))
        .await
        .unwrap()
        .0;
    let case_page = format!("/cases/{case}");
    let events = format!("/cases/{case}/events");

    // A safeguarding officer reads the case but is offered nothing to record, and recording is refused.
    let mut reader = signed_in(&site, "g.safe", &[Role::SafeguardingOfficer]).await;
    let page = reader.get(&site, &case_page).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(!page.body.contains("Record what happened"));
    assert!(!page.body.contains("?correct="));
    let csrf = page.csrf();
    let refused = reader
        .post(
            &site,
            &events,
            &[
                ("csrf", &csrf),
                ("kind", "interview"),
                ("date", "2026-03-02"),
                ("time", "09:00"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let other = site_subject_other(&site, subject).await;
    let refused = reader
        .post(
            &site,
            &format!("/subjects/{other}/case"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let page = reader.get(&site, &format!("/subjects/{other}")).await;
    assert!(!page.body.contains("Open a case"));

    // Another force's investigator: the case is not there for them.
    let elsewhere = site.org("F2", OrgKind::Force).await;
    let outsider = site
        .person_in(elsewhere, "b.inv", &[Role::Investigator], true)
        .await;
    let mut theirs = Browser::at("198.51.100.7");
    theirs.sign_in(&site, &outsider).await;
    for path in [case_page.clone(), format!("/api/cases/{case}")] {
        let page = theirs.get(&site, &path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            page.body.contains(&format!("There is no case {case}.")),
            "{path}: {}",
            page.body
        );
    }
    let missing = theirs.get(&site, "/cases/999999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("There is no case 999999."));
    let csrf = theirs.get(&site, "/cases?list=open").await.csrf();
    let refused = theirs
        .post(
            &site,
            &events,
            &[
                ("csrf", &csrf),
                ("kind", "interview"),
                ("date", "2026-03-02"),
                ("time", "09:00"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.body);
    let refused = theirs
        .post(
            &site,
            &format!("/subjects/{other}/case"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let list = theirs.get(&site, "/cases?list=open").await;
    assert!(
        list.body.contains("No cases in this list."),
        "{}",
        list.body
    );

    // The PCC's office sees figures, not cases.
    let pcc = site.org("PCC", OrgKind::PccOffice).await;
    let officer = site.person_in(pcc, "c.pcc", &[Role::PccOffice], true).await;
    let mut office = Browser::at("203.0.113.9");
    office.sign_in(&site, &officer).await;
    for path in [
        "/cases".to_owned(),
        case_page.clone(),
        "/api/cases".to_owned(),
    ] {
        let page = office.get(&site, &path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert!(
            page.body.contains("Your role does not allow this."),
            "{path}"
        );
    }
    let home = office.get(&site, "/").await;
    assert!(!home.body.contains("href=\"/cases\""));
}

/// The subject in the queue besides `subject`.
async fn site_subject_other(site: &Site, subject: i64) -> i64 {
    site.app
        .queue(&operator(), 10)
        .await
        .unwrap()
        .iter()
        .map(|e| e.subject.0)
        .find(|s| *s != subject)
        .unwrap()
}

async fn a_restricted_case_asks_why_and_its_forms_carry_the_reason(db: Db) {
    let (site, subject) = site_with_subjects(db).await;
    let case = site
        .app
        .open_case(&operator(), SubjectId(subject))
        .await
        .unwrap()
        .0;
    let mut named = signed_in(&site, "n.named", &[Role::Investigator]).await;
    restrict_to(&site, &subject.to_string(), "n.named").await;

    let ask = named.get(&site, &format!("/cases/{case}")).await;
    assert_eq!(ask.status, StatusCode::OK, "{}", ask.body);
    assert!(ask.body.contains("Say why you need this"), "{}", ask.body);
    assert!(ask.body.contains(&format!("action=\"/cases/{case}\"")));
    let csrf = ask.csrf();
    let reason = "Operation Kestrel";
    let page = named
        .post(
            &site,
            &format!("/cases/{case}"),
            &[("csrf", &csrf), ("justification", reason)],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&format!("<h1>Case {case}</h1>")));
    assert!(
        page.body
            .contains(&format!("name=\"justification\" value=\"{reason}\""))
    );

    // Without the reason the entry is not recorded: the person is asked why again.
    let unsaid = named
        .post(
            &site,
            &format!("/cases/{case}/events"),
            &[
                ("csrf", &csrf),
                ("kind", "interview"),
                ("date", "2026-03-02"),
                ("time", "09:00"),
            ],
        )
        .await;
    assert_eq!(unsaid.status, StatusCode::OK);
    assert!(
        unsaid.body.contains("Say why you need this"),
        "{}",
        unsaid.body
    );
    let recorded = named
        .post(
            &site,
            &format!("/cases/{case}/events"),
            &[
                ("csrf", &csrf),
                ("justification", reason),
                ("kind", "research_started"),
                ("date", "2026-03-02"),
                ("time", "09:00"),
            ],
        )
        .await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.body);
    let logged = site
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
        logged.iter().any(|e| e.action == "record_event"
            && e.outcome == "allowed"
            && e.justification.as_deref() == Some(reason)),
        "{logged:?}"
    );

    // Given the reason, the subject page links to the restricted subject's case.
    let subject_page = named
        .post(
            &site,
            &format!("/subjects/{subject}"),
            &[("csrf", &csrf), ("justification", reason)],
        )
        .await;
    assert_eq!(subject_page.status, StatusCode::OK, "{}", subject_page.body);
    assert!(
        subject_page.body.contains("/cases/"),
        "{}",
        subject_page.body
    );
    assert!(!subject_page.body.contains("Open a case"));

    // Someone else in the force is told the case is not there.
    let mut other = signed_in(&site, "o.other", &[Role::Investigator]).await;
    let refused = other.get(&site, &format!("/cases/{case}")).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
}

async fn a_worklist_longer_than_a_page_is_paged(db: Db) {
    let site = Site::new(db).await;
    let mut ingester = severn_app::ingest::Ingester::new(&site.app, &operator(), Some("F1"))
        .await
        .unwrap();
    for id in 0..51 {
        let bytes = report(9100 + id, &format!("person{id}@example.com"));
        let parsed = severn_ingest::parse_document(
            &bytes,
            "in/report.json",
            &severn_ingest::DocContext::default(),
        )
        .unwrap();
        ingester
            .push(severn_ingest::Item::Parsed {
                path: "in/report.json".to_owned(),
                parsed,
            })
            .await
            .unwrap();
    }
    ingester.finish().await.unwrap();
    for entry in site.app.queue(&operator(), 100).await.unwrap() {
        site.app
            .open_case(&operator(), entry.subject)
            .await
            .unwrap();
    }
    let mut browser = signed_in(&site, "s.sup", &[Role::Supervisor]).await;

    let first = browser.get(&site, "/cases").await;
    assert!(
        first.body.contains("51 cases, page 1 of 2."),
        "{}",
        first.body
    );
    assert_eq!(first.body.matches("href=\"/cases/").count(), 50);
    assert!(
        first
            .body
            .contains("href=\"/cases?list=open&amp;page=2\" rel=\"next\"")
    );
    assert!(!first.body.contains("rel=\"prev\""));
    let second = browser.get(&site, "/cases?list=open&page=2").await;
    assert!(
        second.body.contains("51 cases, page 2 of 2."),
        "{}",
        second.body
    );
    assert_eq!(second.body.matches("href=\"/cases/").count(), 1);
    assert!(second.body.contains("rel=\"prev\""));
    assert!(!second.body.contains("rel=\"next\""));
    let api = browser.get(&site, "/api/cases?list=open&page=2").await;
    let api: Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(
        (api["total"].as_i64(), api["pages"].as_i64()),
        (Some(51), Some(2))
    );
    assert_eq!(api["entries"].as_array().unwrap().len(), 1);
}

async fn a_supervisor_allocates_from_the_ranked_candidates_with_an_override(db: Db) {
    let (site, subject) = site_with_subjects(db).await;
    let case = site
        .app
        .open_case(&operator(), SubjectId(subject))
        .await
        .unwrap()
        .0;
    let officer = site.person("o.fficer", &[Role::Investigator], false).await;
    let mut supervisor = signed_in(&site, "s.sup", &[Role::Supervisor]).await;
    let page = supervisor
        .get(&site, &format!("/cases/{case}/allocate"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Tester o.fficer"), "{}", page.body);
    assert!(page.body.contains("needs an override"), "{}", page.body);
    assert!(page.body.contains("PIP level 1"), "{}", page.body);
    let csrf = page.csrf();
    let officer_id = officer.id.0.to_string();
    // Without a rationale the officer, who holds none of the skills, is refused; what was chosen stays.
    let refused = supervisor
        .post(
            &site,
            &format!("/cases/{case}/allocate"),
            &[("csrf", &csrf), ("officer", &officer_id)],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(refused.body.contains("override"), "{}", refused.body);
    assert!(
        refused
            .body
            .contains(&format!("value=\"{officer_id}\" checked")),
        "{}",
        refused.body
    );
    let allocated = supervisor
        .post(
            &site,
            &format!("/cases/{case}/allocate"),
            &[
                ("csrf", &csrf),
                ("officer", &officer_id),
                ("override_rationale", "The only officer on duty this week"),
            ],
        )
        .await;
    assert_eq!(
        allocated.status,
        StatusCode::SEE_OTHER,
        "{}",
        allocated.body
    );
    let case_page = supervisor.get(&site, &format!("/cases/{case}")).await;
    assert!(
        case_page.body.contains("Tester o.fficer"),
        "{}",
        case_page.body
    );
    assert!(
        case_page.body.contains("Reallocate this case"),
        "{}",
        case_page.body
    );

    // The API twins.
    let (status, ranked) = {
        let page = supervisor
            .get(&site, &format!("/api/cases/{case}/candidates"))
            .await;
        (
            page.status,
            serde_json::from_str::<Value>(&page.body).unwrap(),
        )
    };
    assert_eq!(status, StatusCode::OK, "{ranked}");
    assert!(
        ranked["candidates"].as_array().unwrap().len() >= 2,
        "{ranked}"
    );
    let (status, answer) = post_api(
        &mut supervisor,
        &site,
        &format!("/api/cases/{case}/allocate"),
        json!({ "officer": officer.id.0 }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let (status, answer) = post_api(
        &mut supervisor,
        &site,
        &format!("/api/cases/{case}/allocate"),
        json!({ "officer": officer.id.0, "override_rationale": "Still the only one on duty" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");

    // An investigator is offered no allocation and refused one.
    let mut investigator = signed_in(&site, "i.nv", &[Role::Investigator]).await;
    let theirs = investigator.get(&site, &format!("/cases/{case}")).await;
    assert!(!theirs.body.contains("this case</a>"), "{}", theirs.body);
    let refused = investigator
        .get(&site, &format!("/cases/{case}/allocate"))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
}

async fn notices_of_a_case_due_soon_show_on_the_worklist(db: Db) {
    let (site, subject) = site_with_subjects(db).await;
    let case = site
        .app
        .open_case(&operator(), SubjectId(subject))
        .await
        .unwrap();
    let officer = site.person("o.fficer", &[Role::Investigator], true).await;
    site.app
        .allocate(
            &operator(),
            case,
            (officer.id, None),
            Some("The only officer on duty"),
            severn_app::gate::Why::default(),
        )
        .await
        .unwrap();
    let due = site
        .app
        .case_view(&operator(), case, Default::default())
        .await
        .unwrap()
        .clock
        .due()
        .unwrap();
    site.clock.set(
        due.checked_sub(jiff::SignedDuration::from_mins(30))
            .unwrap(),
    );
    let round = site.app.give_notices(&operator(), None, "").await.unwrap();
    assert_eq!(round.given, 1, "{round:?}");
    let mut browser = Browser::new();
    browser.sign_in(&site, &officer).await;
    let page = browser.get(&site, "/cases").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Your notices"), "{}", page.body);
    assert!(
        page.body.contains(&format!("Case {case} is due soon")),
        "{}",
        page.body
    );
    let api = browser.get(&site, "/api/notices").await;
    let notices: Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(notices[0]["urgency"], "due_soon", "{notices}");
    assert_eq!(notices[0]["case"], case.0, "{notices}");
}

async fn a_closed_case_offers_only_a_note(db: Db) {
    let (site, subject) = site_with_subjects(db).await;
    let case = site
        .app
        .open_case(&operator(), SubjectId(subject))
        .await
        .unwrap();
    site.app
        .record_event(
            &operator(),
            case,
            severn_domain::case::NewEvent {
                fact: severn_domain::case::Fact::Closed {
                    reason: "No offence disclosed".into(),
                },
                occurred_at: jiff::Timestamp::from_second(site.now()).unwrap(),
                supersedes: None,
                rationale: None,
                correction: false,
            },
            severn_app::gate::Why::default(),
        )
        .await
        .unwrap();
    let mut browser = signed_in(&site, "a.inv", &[Role::Investigator]).await;
    let page = browser.get(&site, &format!("/cases/{case}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Record: Note"), "{}", page.body);
    for offered in [
        "Record: Arrest",
        "Record: Closed",
        "Record: Warrant applied for",
    ] {
        assert!(
            !page.body.contains(offered),
            "{offered} is offered on a closed case"
        );
    }
}
