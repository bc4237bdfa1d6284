//! Sharing and restricting a case from its page and the API, the live band preview on the assessment page,
//! the administrators' staff pages, and sign-in events in the audit log.

use crate::cases::{ingest_two, subjects_on};
use crate::support::{Browser, PASSWORD, Site, audit_key, operator};
use axum::http::StatusCode;
use serde_json::json;
use severn_app::AppError;
use severn_app::audit::AuditEntryView as AuditEntry;
use severn_app::worklist::QueueFilter;
use severn_domain::access::{OrgKind, Processing, Role};
use severn_domain::risk::Band;
use severn_domain::totp::TotpSecret;
use severn_store::{AuditQuery, Db};

/// Every audit entry, oldest first, as an operator reads them.
pub(crate) async fn log(site: &Site) -> Vec<AuditEntry> {
    let mut entries = site
        .app
        .audit_search(
            &operator(),
            &AuditQuery {
                limit: 10_000,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    entries.sort_by_key(|e| e.seq);
    entries
}

async fn a_supervisor_shares_and_restricts_a_case_from_its_page(db: Db) {
    let site = Site::new(db).await;
    ingest_two(&site).await;
    let other_force = site.org("F2", OrgKind::Force).await;
    let supervisor = site.person("s.sup", &[Role::Supervisor], true).await;
    let colleague = site.person("c.col", &[Role::Investigator], true).await;
    let outsider = site
        .person_in(other_force, "b.other", &[Role::Investigator], true)
        .await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &supervisor).await;
    let subject = subjects_on(&browser.get(&site, "/queue").await)[0].clone();
    let path = format!("/subjects/{subject}");
    let share = format!("{path}/share");
    let restrict = format!("{path}/restrict");

    let page = browser.get(&site, &path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Share this case"), "{}", page.body);
    assert!(page.body.contains("Restrict this case"));
    assert!(
        page.body
            .contains("Not shared with anyone outside the force.")
    );
    assert!(page.body.contains("Not restricted"));
    let csrf = page.csrf();

    // Refused without the session's token, without a reason, for an unknown name, and within the force.
    let forged = browser
        .post(
            &site,
            &share,
            &[("with", "b.other"), ("reason", "joint job")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let no_reason = browser
        .post(
            &site,
            &share,
            &[("csrf", &csrf), ("with", "b.other"), ("reason", " ")],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        no_reason
            .body
            .contains("Say why this data is being disclosed")
    );
    let unknown = browser
        .post(
            &site,
            &share,
            &[
                ("csrf", &csrf),
                ("with", "nobody.here"),
                ("reason", "joint job"),
            ],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(
        unknown
            .body
            .contains("There is no one with the user name &#34;nobody.here&#34;."),
        "{}",
        unknown.body
    );
    let same_force = browser
        .post(
            &site,
            &share,
            &[("csrf", &csrf), ("with", "c.col"), ("reason", "joint job")],
        )
        .await;
    assert_eq!(same_force.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(same_force.body.contains("can see it already"));
    assert!(
        browser
            .get(&site, &path)
            .await
            .body
            .contains("Not shared with anyone outside the force.")
    );

    let shared = browser
        .post(
            &site,
            &share,
            &[
                ("csrf", &csrf),
                ("with", "b.other"),
                ("reason", "Joint operation Kestrel"),
            ],
        )
        .await;
    assert_eq!(shared.status, StatusCode::SEE_OTHER, "{}", shared.body);
    assert_eq!(shared.location(), path);
    let page = browser.get(&site, &path).await;
    assert!(page.body.contains("Shared with people outside the force"));
    assert!(page.body.contains("Tester b.other (b.other)"));
    assert!(page.body.contains("Joint operation Kestrel"));
    let disclosure = log(&site)
        .await
        .into_iter()
        .rev()
        .find(|e| e.action == "share")
        .unwrap();
    assert_eq!(disclosure.processing, Processing::Disclosure);
    assert_eq!(disclosure.outcome, "allowed");
    assert_eq!(disclosure.actor, "s.sup");
    assert_eq!(disclosure.recipients.as_deref(), Some("b.other"));
    assert_eq!(
        disclosure.justification.as_deref(),
        Some("Joint operation Kestrel")
    );

    // The person shared with reads the case and is offered nothing to change.
    let mut theirs = Browser::at("198.51.100.7");
    theirs.sign_in(&site, &outsider).await;
    let page = theirs.get(&site, &path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(!page.body.contains("Share this case"));
    assert!(!page.body.contains("Restrict this case"));

    // An investigator of the force sees the case but may not share or restrict it.
    let mut colleagues = Browser::at("198.51.100.8");
    colleagues.sign_in(&site, &colleague).await;
    let page = colleagues.get(&site, &path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("Share this case"));
    let theirs_csrf = page.csrf();
    let refused = colleagues
        .post(
            &site,
            &restrict,
            &[
                ("csrf", &theirs_csrf),
                ("people", "c.col"),
                ("justification", "mine"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("Your role does not allow this."));

    // Restricting needs names and a reason; then only the named may open it, each saying why.
    let nobody = browser
        .post(
            &site,
            &restrict,
            &[("csrf", &csrf), ("people", " \n"), ("justification", "x")],
        )
        .await;
    assert_eq!(nobody.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(nobody.body.contains("Name at least one person"));
    let restricted = browser
        .post(
            &site,
            &restrict,
            &[
                ("csrf", &csrf),
                ("people", "s.sup\r\n"),
                ("justification", "The suspect works in the force"),
            ],
        )
        .await;
    assert_eq!(
        restricted.status,
        StatusCode::SEE_OTHER,
        "{}",
        restricted.body
    );
    let page = colleagues
        .post(
            &site,
            &path,
            &[("csrf", &theirs_csrf), ("justification", "checking")],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let page = browser
        .post(
            &site,
            &path,
            &[("csrf", &csrf), ("justification", "Reviewing the case")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<strong>Restricted.</strong>"));
    assert!(page.body.contains("Tester s.sup (s.sup)"));
    assert!(page.body.contains("Lift the restriction"));
    let entry = log(&site)
        .await
        .into_iter()
        .rev()
        .find(|e| e.action == "restrict")
        .unwrap();
    assert_eq!(entry.detail.as_deref(), Some("restricted to s.sup"));
    assert_eq!(
        entry.justification.as_deref(),
        Some("The suspect works in the force")
    );

    let lifted = browser
        .post(
            &site,
            &restrict,
            &[
                ("csrf", &csrf),
                ("lift", "yes"),
                ("justification", "Cleared: not a member of staff"),
            ],
        )
        .await;
    assert_eq!(lifted.status, StatusCode::SEE_OTHER, "{}", lifted.body);
    assert_eq!(colleagues.get(&site, &path).await.status, StatusCode::OK);

    // The same through the API.
    let api_share = format!("/api{share}");
    let body = json!({ "with": "b.other", "reason": "Renewed for the trial" });
    let no_token = browser.post_json(&site, &api_share, None, &body).await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    let done = browser
        .post_json(&site, &api_share, Some(&csrf), &body)
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);
    let missing = browser
        .post_json(
            &site,
            &api_share,
            Some(&csrf),
            &json!({ "with": "b.other" }),
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    let api_restrict = format!("/api{restrict}");
    let not_theirs = colleagues
        .post_json(
            &site,
            &api_restrict,
            Some(&theirs_csrf),
            &json!({ "to": ["c.col"], "justification": "mine" }),
        )
        .await;
    assert_eq!(not_theirs.status, StatusCode::FORBIDDEN);
    let error: serde_json::Value = serde_json::from_str(&not_theirs.body).unwrap();
    assert_eq!(error["error"], "Your role does not allow this.");
    let done = browser
        .post_json(
            &site,
            &api_restrict,
            Some(&csrf),
            &json!({ "to": ["s.sup", "c.col"], "justification": "Staff suspect" }),
        )
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);
    let page = colleagues
        .post(
            &site,
            &path,
            &[("csrf", &theirs_csrf), ("justification", "Named on it")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let done = browser
        .post_json(
            &site,
            &api_restrict,
            Some(&csrf),
            &json!({ "to": null, "justification": "Resolved" }),
        )
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);
    assert!(
        browser
            .get(&site, &path)
            .await
            .body
            .contains("Not restricted")
    );
}

async fn the_assessment_page_previews_the_band_without_saving(db: Db) {
    let site = Site::new(db).await;
    ingest_two(&site).await;
    let investigator = site.person("a.inv", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &investigator).await;
    let subject = subjects_on(&browser.get(&site, "/queue").await)[0].clone();
    // What the investigator's requests logged (reading the log is logged too, under the operator).
    let theirs = |entries: Vec<AuditEntry>| -> Vec<AuditEntry> {
        entries.into_iter().filter(|e| e.actor == "a.inv").collect()
    };
    let views_before = theirs(log(&site).await).len();
    let form = browser
        .get(&site, &format!("/subjects/{subject}/assess"))
        .await;
    assert!(
        form.body
            .contains("hx-post=\"/assess/preview\" hx-trigger=\"change\""),
        "{}",
        form.body
    );
    // Opening the page is the assessment's one view of the case: the signals the preview needs come with it.
    let opened: Vec<AuditEntry> = theirs(log(&site).await).split_off(views_before);
    assert_eq!(opened.len(), 1, "{opened:?}");
    assert_eq!(opened[0].action, "view_case");
    assert_eq!(opened[0].detail.as_deref(), Some("assessment form"));
    let signals = hidden(&form.body, "signals");
    assert!(signals.contains("online_enticement"), "{signals}");
    let band_now = hidden(&form.body, "band_now");
    assert!(form.body.contains("id=\"band-preview\""));
    let csrf = form.csrf();
    let before = browser
        .get(&site, &format!("/api/subjects/{subject}"))
        .await;
    let before: serde_json::Value = serde_json::from_str(&before.body).unwrap();
    let assessments_before = log(&site)
        .await
        .iter()
        .filter(|e| e.action == "assess")
        .count();

    let preview = "/assess/preview";
    let forged = browser
        .post(&site, preview, &[("answer.prev_prison", "yes")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let entries_before = theirs(log(&site).await).len();
    let shown = [
        ("csrf", csrf.as_str()),
        ("signals", signals.as_str()),
        ("band_now", band_now.as_str()),
    ];
    let quiet = browser.post(&site, preview, &shown).await;
    assert_eq!(quiet.status, StatusCode::OK, "{}", quiet.body);
    assert!(
        !quiet.body.contains("<html"),
        "a fragment for htmx, not a page"
    );
    let moved = browser
        .post(
            &site,
            preview,
            &[shown.as_slice(), &[("answer.prev_prison", "yes")]].concat(),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert!(moved.body.contains("With these answers the band would be"));
    assert!(
        quiet.body.contains("the same as"),
        "no answers leave the band where it is: {}",
        quiet.body
    );
    assert!(
        moved
            .body
            .contains("Has the subject served a prison sentence for a sexual offence?")
    );
    assert_ne!(quiet.body, moved.body, "the answer moved the band panel");

    let wrong = browser
        .post(
            &site,
            preview,
            &[shown.as_slice(), &[("answer.prev_prison", "perhaps")]].concat(),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let stale = browser.post(&site, preview, &[("csrf", &csrf)]).await;
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(stale.body.contains("open it again"), "{}", stale.body);

    // Nothing was saved; each preview was logged as a view of the case.
    let after = browser
        .get(&site, &format!("/api/subjects/{subject}"))
        .await;
    let after: serde_json::Value = serde_json::from_str(&after.body).unwrap();
    assert_eq!(before["band"], after["band"]);
    let entries = log(&site).await;
    assert_eq!(
        entries.iter().filter(|e| e.action == "assess").count(),
        assessments_before
    );
    // The redraws read nothing from storage and so log nothing: one assessment, one view.
    let entries = theirs(entries);
    assert_eq!(
        entries.len(),
        entries_before + 1,
        "only the check of the band after: {:?}",
        &entries[entries_before..]
    );

    // Another force's investigator learns nothing of the case from the preview: it shows only what is
    // posted to it.
    let other = site.org("F2", OrgKind::Force).await;
    let outsider = site
        .person_in(other, "b.other", &[Role::Investigator], true)
        .await;
    let mut theirs = Browser::at("198.51.100.7");
    theirs.sign_in(&site, &outsider).await;
    let csrf = theirs.get(&site, "/sessions").await.csrf();
    let page = theirs
        .post(&site, preview, &[("csrf", &csrf), ("signals", "{}")])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(!page.body.contains("nline enticement"), "{}", page.body);
    assert!(quiet.body.contains("nline enticement"), "{}", quiet.body);
}

/// The value of the hidden field `name` on a page.
fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in:\n{body}"))
        + marker.len();
    let end = body[start..].find('"').unwrap() + start;
    body[start..end]
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&amp;", "&")
}

/// An authenticator key as people type it (base32 in groups), as the secret it is.
pub(crate) fn from_base32(text: &str) -> TotpSecret {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut value, mut hex) = (0u32, 0u32, String::new());
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        value = (value << 5) | ALPHABET.find(c).unwrap() as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            hex.push_str(&format!("{:02x}", (value >> bits) & 0xff));
        }
    }
    TotpSecret::from_hex(&hex).unwrap()
}

/// The values shown once on a credentials page, by their label.
pub(crate) fn shown(body: &str, label: &str) -> String {
    let at = body
        .find(&format!("<dt>{label}</dt><dd><span class=\"secret"))
        .unwrap_or_else(|| panic!("no {label} in:\n{body}"));
    let rest = &body[at..];
    let start = rest.find("\">").unwrap() + 2;
    let end = rest.find("</span>").unwrap();
    rest[start..end].to_owned()
}

async fn administrators_manage_their_own_organisations_staff(db: Db) {
    let site = Site::new(db).await;
    let admin = site.person("adm.one", &[Role::Administrator], true).await;
    let other = site.org("F2", OrgKind::Force).await;
    let elsewhere = site
        .person_in(other, "adm.two", &[Role::Administrator], true)
        .await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &admin).await;

    let page = browser.get(&site, "/staff").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("adm.one"));
    assert!(
        !page.body.contains("adm.two"),
        "only their own organisation"
    );
    assert!(page.body.contains("href=\"/staff\""), "in the navigation");
    let csrf = page.csrf();

    // Bad input is refused in plain words.
    for (form, says) in [
        (
            vec![
                ("kind", "person"),
                ("username", "n.new"),
                ("display_name", "New"),
            ],
            "Choose at least one role for a person.",
        ),
        (
            vec![
                ("kind", "service"),
                ("username", "feed"),
                ("display_name", "Feed"),
                ("role.analyst", "yes"),
            ],
            "A service account holds no roles",
        ),
        (
            vec![
                ("kind", "person"),
                ("username", "has space"),
                ("display_name", "New"),
                ("role.analyst", "yes"),
            ],
            "A user name is letters, digits",
        ),
        (
            vec![
                ("kind", "person"),
                ("username", "adm.one"),
                ("display_name", "Again"),
                ("role.analyst", "yes"),
            ],
            "is taken",
        ),
    ] {
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend(form);
        let page = browser.post(&site, "/staff", &fields).await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            page.body
        );
        assert!(page.body.contains(says), "{says}: {}", page.body);
    }

    // A new person with roles that see figures only (case and audit roles need a second administrator: see
    // approval.rs): the password and authenticator are shown once, and they work.
    let added = browser
        .post(
            &site,
            "/staff",
            &[
                ("csrf", &csrf),
                ("kind", "person"),
                ("username", "n.new"),
                ("display_name", "Nia New"),
                ("role.pcc_office", "yes"),
                ("role.regional_oversight", "yes"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert!(added.body.contains("These are shown once."));
    let password = shown(&added.body, "Password");
    let key = shown(&added.body, "Authenticator key");
    let secret = from_base32(&key);
    let created = site.app.staff_by_username("n.new").await.unwrap().unwrap();
    assert_eq!(
        created.roles,
        vec![Role::RegionalOversight, Role::PccOffice]
    );
    let mut newcomer = Browser::at("198.51.100.20");
    let step = newcomer.enter_password(&site, "n.new", &password).await;
    assert_eq!(step.location(), "/sign-in/code", "{}", step.body);
    let done = newcomer
        .enter_code(&site, &secret.code_at(site.now()))
        .await;
    assert_eq!(done.location(), "/");
    assert_eq!(newcomer.get(&site, "/figures").await.status, StatusCode::OK);

    // Resetting gives new credentials and ends the person's sessions.
    site.advance_minutes(1);
    let reset = browser
        .post(
            &site,
            &format!("/staff/{}/reset", created.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    let new_password = shown(&reset.body, "Password");
    assert_ne!(new_password, password);
    assert_ne!(newcomer.get(&site, "/figures").await.status, StatusCode::OK);
    let old = Browser::at("198.51.100.21")
        .enter_password(&site, "n.new", &password)
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);

    // A service account gets a token, shown once, that works for the API; a person gets none.
    let feed = browser
        .post(
            &site,
            "/staff",
            &[
                ("csrf", &csrf),
                ("kind", "service"),
                ("username", "nca-feed"),
                ("display_name", "NCA feed"),
            ],
        )
        .await;
    assert_eq!(feed.status, StatusCode::OK, "{}", feed.body);
    let token = shown(&feed.body, "API token");
    let feed_row = site
        .app
        .staff_by_username("nca-feed")
        .await
        .unwrap()
        .unwrap();
    let me = Browser::new()
        .send(
            &site,
            axum::http::Request::get("/api/me")
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    let second = browser
        .post(
            &site,
            &format!("/staff/{}/token", feed_row.id),
            &[("csrf", &csrf), ("label", "Second feed server")],
        )
        .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_ne!(shown(&second.body, "API token"), token);
    let person_token = browser
        .post(
            &site,
            &format!("/staff/{}/token", created.id),
            &[("csrf", &csrf), ("label", "no")],
        )
        .await;
    assert_eq!(person_token.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Another organisation's administrator cannot touch this one's staff, and the refusal is logged.
    let mut theirs = Browser::at("198.51.100.30");
    theirs.sign_in(&site, &elsewhere).await;
    let their_csrf = theirs.get(&site, "/staff").await.csrf();
    let page = theirs
        .post(
            &site,
            &format!("/staff/{}/deactivate", created.id),
            &[("csrf", &their_csrf)],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.body);
    assert!(
        site.app.staff_by_username("n.new").await.unwrap().is_some(),
        "still active"
    );
    let refusal = log(&site)
        .await
        .into_iter()
        .rev()
        .find(|e| e.actor == "adm.two" && e.target == "staff:n.new")
        .unwrap();
    assert_eq!(refusal.outcome, "denied:other_force");
    // The same holds for the credential use cases the command line calls.
    let their_actor = site
        .app
        .staff_by_username("adm.two")
        .await
        .unwrap()
        .unwrap()
        .actor();
    assert!(matches!(
        site.identity()
            .set_password(&their_actor, created.id, "a long enough password")
            .await,
        Err(AppError::NotFound(_))
    ));

    // Deactivating ends the account's sessions and sign-ins.
    let mut again = Browser::at("198.51.100.22");
    site.advance_minutes(1);
    let step = again.enter_password(&site, "n.new", &new_password).await;
    assert_eq!(step.location(), "/sign-in/code");
    let gone = browser
        .post(
            &site,
            &format!("/staff/{}/deactivate", created.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER, "{}", gone.body);
    assert!(
        browser
            .get(&site, "/staff")
            .await
            .body
            .contains("Deactivated")
    );
    assert_ne!(
        again.get(&site, "/sign-in/code").await.status,
        StatusCode::OK
    );
    let refused = Browser::at("198.51.100.23")
        .enter_password(&site, "n.new", &new_password)
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let own = browser
        .post(
            &site,
            &format!("/staff/{}/deactivate", admin.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A deactivation can be undone: the account signs in again.
    let back = browser
        .post(
            &site,
            &format!("/staff/{}/reactivate", created.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    let step = Browser::at("198.51.100.24")
        .enter_password(&site, "n.new", &new_password)
        .await;
    assert_eq!(step.location(), "/sign-in/code", "{}", step.body);

    // Everything was logged as staff management, with what was done and no secret.
    let entries = log(&site).await;
    let managed: Vec<&AuditEntry> = entries
        .iter()
        .filter(|e| e.actor == "adm.one" && e.action == "manage_staff" && e.outcome == "allowed")
        .collect();
    // Passwords and authenticators set at the command line (here, the fixture's) are logged too.
    for done in ["password set", "authenticator provisioned"] {
        assert!(
            entries.iter().any(|e| e.actor == "operator:test"
                && e.target == "staff:adm.one"
                && e.detail.as_deref() == Some(done)),
            "{done} logged"
        );
    }
    for done in [
        "password and authenticator reset",
        "deactivated",
        "reactivated",
        "API token issued: Second feed server",
    ] {
        assert!(
            managed.iter().any(|e| e.detail.as_deref() == Some(done)),
            "{done} logged"
        );
    }
    for e in &entries {
        let text = format!("{e:?}");
        assert!(!text.contains(&password) && !text.contains(&new_password));
        assert!(!text.contains(&token));
    }

    // Only administrators reach the staff pages.
    let analyst = site.person("an.alyst", &[Role::Analyst], true).await;
    let mut theirs = Browser::at("198.51.100.40");
    theirs.sign_in(&site, &analyst).await;
    let page = theirs.get(&site, "/staff").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!page.body.contains("href=\"/staff\""));
}

async fn sign_in_events_are_in_the_audit_log_without_secrets(db: Db) {
    let site = Site::new(db).await;
    let person = site.person("a.inv", &[Role::Investigator], true).await;
    let secret = person.secret.clone().unwrap();
    let mut browser = Browser::new();

    let wrong = browser
        .enter_password(&site, "a.inv", "not the password at all")
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    // A name that belongs to no one is logged by a keyed stand-in, never as typed: it may be a password
    // typed in the wrong box. The same name twice gives the same stand-in.
    browser
        .enter_password(&site, "no.such.person", "not the password either")
        .await;
    let pseudonym = audit_key().pseudonym("no.such.person");
    assert!(pseudonym.starts_with("unknown:"), "{pseudonym}");
    assert_eq!(pseudonym, audit_key().pseudonym("no.such.person"));
    assert_ne!(pseudonym, audit_key().pseudonym("no.such.persons"));
    browser.enter_password(&site, "a.inv", PASSWORD).await;
    let wrong_code = format!(
        "{:06}",
        (secret.code_at(site.now()).parse::<u32>().unwrap() + 1) % 1_000_000
    );
    browser.enter_code(&site, &wrong_code).await;
    let right = browser.enter_code(&site, &secret.code_at(site.now())).await;
    assert_eq!(right.location(), "/");
    let csrf = browser.get(&site, "/sessions").await.csrf();
    browser.post(&site, "/sign-out", &[("csrf", &csrf)]).await;

    // Five wrong passwords in a row lock the account; the right one is then refused.
    let mut attacker = Browser::at("203.0.113.9");
    for _ in 0..5 {
        attacker
            .enter_password(&site, "a.inv", "guessing wrongly again")
            .await;
    }
    attacker.enter_password(&site, "a.inv", PASSWORD).await;

    let events: Vec<(String, String, String)> = log(&site)
        .await
        .into_iter()
        .filter(|e| e.processing == Processing::Security)
        .map(|e| (e.actor, e.action, e.outcome))
        .collect();
    let expected = |actor: &str, action: &str, outcome: &str| {
        (actor.to_owned(), action.to_owned(), outcome.to_owned())
    };
    let mut wanted = vec![
        expected("a.inv", "sign_in", "failed:wrong_password"),
        expected(&pseudonym, "sign_in", "failed:unknown_account"),
        expected("a.inv", "sign_in", "password_accepted"),
        expected("a.inv", "sign_in_code", "failed:wrong_code"),
        expected("a.inv", "sign_in_code", "signed_in"),
        expected("a.inv", "sign_out", "signed_out"),
    ];
    wanted.extend((0..4).map(|_| expected("a.inv", "sign_in", "failed:wrong_password")));
    wanted.push(expected("a.inv", "sign_in", "locked:wrong_password"));
    wanted.push(expected("a.inv", "sign_in", "refused:locked"));
    assert_eq!(events, wanted);

    let entries = log(&site).await;
    let attempt = entries
        .iter()
        .find(|e| e.outcome == "failed:unknown_account")
        .unwrap();
    assert_eq!(attempt.target, format!("account:{pseudonym}"));
    assert_eq!(attempt.detail.as_deref(), Some("from 192.0.2.10"));
    for e in &entries {
        let text = format!("{e:?}");
        for secret_text in [
            PASSWORD,
            "not the password at all",
            "guessing wrongly again",
            "no.such.person",
            wrong_code.as_str(),
        ] {
            assert!(!text.contains(secret_text), "{secret_text} in {text}");
        }
    }

    // Ending another session is logged as a revocation.
    site.advance_minutes(61);
    let mut first = Browser::at("198.51.100.50");
    first.sign_in(&site, &person).await;
    let mut second = Browser::at("198.51.100.51");
    site.advance_minutes(1);
    second.sign_in(&site, &person).await;
    let sessions = second.get(&site, "/sessions").await;
    let csrf = sessions.csrf();
    let others: Vec<String> = sessions
        .body
        .match_indices("name=\"session\" value=\"")
        .map(|(at, text)| {
            let rest = &sessions.body[at + text.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect();
    assert!(!others.is_empty(), "{}", sessions.body);
    assert_eq!(others.len(), 2, "{}", sessions.body);
    let earlier = &others[1];
    let ended = second
        .post(
            &site,
            "/sessions/revoke",
            &[("csrf", &csrf), ("session", earlier)],
        )
        .await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER, "{}", ended.body);
    // (Reading the log is logged too: the last security event is the one wanted.)
    let last = log(&site)
        .await
        .into_iter()
        .rev()
        .find(|e| e.processing == Processing::Security)
        .unwrap();
    assert_eq!(last.action, "revoke_session");
    assert_eq!(last.outcome, format!("revoked:session_{earlier}"));
    assert_eq!(last.processing, Processing::Security);
    assert_ne!(first.get(&site, "/queue").await.status, StatusCode::OK);
}

async fn the_queue_filters_apply_to_all_open_work(db: Db) {
    let site = Site::new(db).await;
    ingest_two(&site).await;
    let investigator = site.person("a.inv", &[Role::Investigator], true).await;
    let actor = severn_domain::access::Actor::Staff {
        id: investigator.id,
        username: "a.inv".into(),
        org: site.force,
        org_kind: OrgKind::Force,
        roles: vec![Role::Investigator],
    };
    let all = |filter| {
        let (app, actor) = (site.app.clone(), actor.clone());
        async move { app.queue_matching(&actor, filter, 500).await.unwrap() }
    };
    let queue = all(QueueFilter::default()).await;
    assert_eq!(queue.entries.len(), 2);
    assert_eq!(queue.open, 2);
    // The first subject due becomes very high (overdue two days later: its deadline is a day), the second
    // keeps its band: a filter on the second's band must find it although it is not in the first page.
    let (first, second) = (queue.entries[0].subject, queue.entries[1].subject);
    site.app
        .override_band(
            first,
            Band::VeryHigh,
            "Intelligence that the suspect has access to children at home",
            &operator(),
        )
        .await
        .unwrap();
    site.advance_minutes(2 * 24 * 60);
    let second_band = Band::parse(&queue.entries[1].band).unwrap();
    assert_ne!(second_band, Band::VeryHigh);
    let first_page = site
        .app
        .queue_matching(&actor, QueueFilter::default(), 1)
        .await
        .unwrap();
    assert_eq!(
        first_page.entries[0].subject, first,
        "the very high subject is due first"
    );
    let matching = site
        .app
        .queue_matching(
            &actor,
            QueueFilter {
                band: Some(second_band),
                overdue_only: false,
            },
            1,
        )
        .await
        .unwrap();
    let found: Vec<_> = matching.entries.iter().map(|e| e.subject).collect();
    assert_eq!(found, vec![second]);
    assert_eq!(matching.open, 2, "the total counts all open work");
    let overdue = all(QueueFilter {
        band: None,
        overdue_only: true,
    })
    .await;
    let expected: Vec<_> = all(QueueFilter::default())
        .await
        .entries
        .into_iter()
        .filter(|e| e.overdue)
        .map(|e| e.subject)
        .collect();
    assert_eq!(
        expected,
        vec![first],
        "only the very high subject is overdue"
    );
    assert_eq!(
        overdue
            .entries
            .iter()
            .map(|e| e.subject)
            .collect::<Vec<_>>(),
        expected
    );

    // The pages and the API send the filters to the database too, and say what is wrong with a bad one.
    let mut browser = Browser::new();
    browser.sign_in(&site, &investigator).await;
    let page = browser
        .get(&site, &format!("/queue?band={}", second_band.as_str()))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(subjects_on(&page), vec![second.to_string()]);
    assert!(page.body.contains("Showing 1 of 2 open subjects."));
    let wrong = browser.get(&site, "/queue?band=purple").await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("There is no band"), "{}", wrong.body);
    let api = browser.get(&site, "/api/queue?overdue=yes").await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let entries: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    let subjects: Vec<i64> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["subject"].as_i64().unwrap())
        .collect();
    assert_eq!(subjects, expected.iter().map(|s| s.0).collect::<Vec<_>>());
    let entry = log(&site)
        .await
        .into_iter()
        .rev()
        .find(|e| e.action == "view_queue")
        .unwrap();
    assert_eq!(entry.detail.as_deref(), Some("overdue only"));
}

/// Every page gives times as people in the UK read them: Europe/London with the zone, GMT in winter and BST
/// in summer, as the command line does; never UTC or RFC 3339.
async fn pages_show_times_in_london_with_the_zone(db: Db) {
    let site = Site::new(db).await;
    // The site's clock stands at 2026-03-02 09:00 UTC: winter, GMT. The feed and its token date from then.
    site.service("nca-feed").await;
    let admin = site.person("adm.one", &[Role::Administrator], true).await;
    let investigator = site.person("inv.one", &[Role::Investigator], true).await;
    // Into summer (BST): 2026-07-01 09:00 UTC, 10:00 in London.
    site.advance_minutes((29 + 30 + 31 + 30 + 1) * 24 * 60);
    ingest_two(&site).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &admin).await;
    let mut worker = Browser::new();
    worker.sign_in(&site, &investigator).await;
    let queue = worker.get(&site, "/queue").await;
    let subject = subjects_on(&queue)[0].clone();
    let pages = [
        browser.get(&site, "/staff").await,
        browser.get(&site, "/sessions").await,
        queue,
        worker.get(&site, &format!("/subjects/{subject}")).await,
        worker.get(&site, "/referrals/9001").await,
    ];
    for page in &pages {
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains(" BST"), "{}", page.body);
        assert!(!page.body.contains(" UTC"), "{}", page.body);
        assert!(!page.body.contains(":00Z"), "{}", page.body);
    }
    let [staff, sessions, _, subject_page, referral] = &pages;
    assert!(
        staff.body.contains("2026-03-02 09:00 GMT"),
        "the token issued in winter: {}",
        staff.body
    );
    assert!(
        sessions.body.contains("2026-07-01 10:00 BST"),
        "{}",
        sessions.body
    );
    for page in [subject_page, referral] {
        assert!(page.body.contains("2026-07-01 10:00 BST"), "{}", page.body);
    }
}

severn_store::backend_matrix!(
    pages_show_times_in_london_with_the_zone,
    the_queue_filters_apply_to_all_open_work,
    a_supervisor_shares_and_restricts_a_case_from_its_page,
    the_assessment_page_previews_the_band_without_saving,
    administrators_manage_their_own_organisations_staff,
    sign_in_events_are_in_the_audit_log_without_secrets,
);
