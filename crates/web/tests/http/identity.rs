//! Signing in over HTTP, on both backends: the password and code steps, new session ids, expiry, revocation,
//! CSRF, lockout, per-address limits, code replay, enrolment and API tokens.

use crate::support::{Browser, PASSWORD, Site, audit_key, operator};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use severn_app::audit::AuditEntryView as AuditEntry;
use severn_domain::access::{Processing, Role};
use severn_domain::totp::TotpSecret;
use severn_store::{AuditQuery, Db};
use severn_web::{WebOptions, WebState};

async fn signing_in_takes_a_password_and_a_code_and_issues_a_new_session_id_at_each_step(db: Db) {
    let site = Site::new(db).await;
    let person = site.person("a.inv", &[Role::Investigator], true).await;
    let mut browser = Browser::new();

    let page = browser.get(&site, "/").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/sign-in");

    let page = browser.enter_password(&site, "a.inv", PASSWORD).await;
    assert_eq!(page.location(), "/sign-in/code");
    let half_signed_in = browser.session().cloned().unwrap();
    // Half-way through, pages behind sign-in send the person back to the code.
    assert_eq!(browser.get(&site, "/").await.location(), "/sign-in/code");

    let code = person.secret.as_ref().unwrap().code_at(site.now());
    let page = browser.enter_code(&site, &code).await;
    assert_eq!(page.location(), "/");
    let signed_in = browser.session().cloned().unwrap();
    assert_ne!(signed_in, half_signed_in, "a new session id once signed in");
    assert_eq!(signed_in.len(), 64, "256 bits, hex");

    let home = browser.get(&site, "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Tester a.inv"));

    // The half-signed-in id is dead.
    let mut stale = browser.clone();
    stale
        .cookies
        .insert("severn_session".into(), half_signed_in);
    let page = stale.get(&site, "/").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location().starts_with("/sign-in"));
}

async fn a_wrong_password_says_so_without_saying_whether_the_name_exists(db: Db) {
    let site = Site::new(db).await;
    site.person("a.inv", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    let wrong_password = browser
        .enter_password(&site, "a.inv", "not the password")
        .await;
    let unknown_name = browser.enter_password(&site, "nobody", PASSWORD).await;
    for page in [&wrong_password, &unknown_name] {
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        assert!(
            page.body
                .contains("The user name or password is not right.")
        );
        assert!(browser.session().is_none());
    }
}

async fn sessions_end_after_thirty_idle_minutes(db: Db) {
    let site = Site::new(db).await;
    let person = site.person("a.inv", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &person).await;
    site.advance_minutes(29);
    assert_eq!(browser.get(&site, "/").await.status, StatusCode::OK);
    site.advance_minutes(29);
    assert_eq!(browser.get(&site, "/").await.status, StatusCode::OK);
    site.advance_minutes(31);
    let page = browser.get(&site, "/").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/sign-in?ended=idle");
    let notice = browser.get(&site, page.location()).await;
    assert!(notice.body.contains("not used for a while"));
    // Ended means ended: coming back within what would have been the idle time does not revive it.
    site.advance_minutes(1);
    assert_eq!(browser.get(&site, "/").await.status, StatusCode::SEE_OTHER);
}

async fn sessions_end_twelve_hours_after_sign_in_however_busy(db: Db) {
    let site = Site::new(db).await;
    let person = site.person("a.inv", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &person).await;
    for _ in 0..35 {
        site.advance_minutes(20);
        assert_eq!(browser.get(&site, "/").await.status, StatusCode::OK);
    }
    // 11 h 40 min so far.
    site.advance_minutes(20);
    let page = browser.get(&site, "/").await;
    assert_eq!(page.location(), "/sign-in?ended=absolute");
}

async fn people_see_their_sessions_and_can_end_one(db: Db) {
    let site = Site::new(db).await;
    let person = site.person("a.inv", &[Role::Investigator], true).await;
    let mut laptop = Browser::at("192.0.2.10");
    laptop.sign_in(&site, &person).await;
    site.advance_minutes(1);
    let mut other = Browser::at("198.51.100.7");
    other.sign_in(&site, &person).await;

    let list = laptop.get(&site, "/sessions").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("192.0.2.10") && list.body.contains("198.51.100.7"));
    assert_eq!(list.body.matches("name=\"session\"").count(), 2);

    let sessions = site.identity();
    let mut tx = site.gate.db().begin_read().await.unwrap();
    let open = tx.open_sessions_of(person.id).await.unwrap();
    tx.commit().await.unwrap();
    drop(sessions);
    let other_id = open
        .iter()
        .find(|s| s.address == "198.51.100.7")
        .unwrap()
        .id;
    let csrf = list.csrf();
    let page = laptop
        .post(
            &site,
            "/sessions/revoke",
            &[("csrf", &csrf), ("session", &other_id.to_string())],
        )
        .await;
    assert_eq!(page.location(), "/sessions");
    let page = other.get(&site, "/").await;
    assert_eq!(page.location(), "/sign-in?ended=revoked");
    assert_eq!(laptop.get(&site, "/").await.status, StatusCode::OK);

    // Signing out ends the session and removes the cookie.
    let page = laptop.post(&site, "/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(page.location(), "/sign-in");
    assert!(laptop.session().is_none());
}

async fn forms_without_the_sessions_csrf_token_are_refused(db: Db) {
    let site = Site::new(db).await;
    let person = site.person("a.inv", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &person).await;

    for form in [vec![], vec![("csrf", "0".repeat(64))]] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = browser.post(&site, "/sign-out", &form).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        assert!(page.body.contains("did not come from Severn"));
    }
    // Still signed in: nothing was done.
    assert_eq!(browser.get(&site, "/").await.status, StatusCode::OK);

    // Another session's token does not work either.
    site.clock.advance(jiff::SignedDuration::from_secs(30));
    let mut other = Browser::at("198.51.100.7");
    other.sign_in(&site, &person).await;
    let others_token = other.get(&site, "/sessions").await.csrf();
    let page = browser
        .post(&site, "/sign-out", &[("csrf", &others_token)])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    // The sign-in form needs its double-submit cookie.
    let mut fresh = Browser::new();
    let form = fresh.get(&site, "/sign-in").await;
    let csrf = form.csrf();
    fresh.cookies.clear();
    let page = fresh
        .post(
            &site,
            "/sign-in",
            &[
                ("csrf", &csrf),
                ("username", "a.inv"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(fresh.session().is_none());
}

async fn repeated_failures_lock_the_account_with_back_off(db: Db) {
    let site = Site::new(db).await;
    let person = site.person("a.inv", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    for _ in 0..4 {
        let page = browser
            .enter_password(&site, "a.inv", "wrong password!")
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    let page = browser
        .enter_password(&site, "a.inv", "wrong password!")
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.body.contains("locked"));
    // Locked: even the right password is refused.
    let page = browser.enter_password(&site, "a.inv", PASSWORD).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(browser.session().is_none());

    // After the first lock (one minute), one more failure locks for twice as long.
    site.advance_minutes(1);
    let page = browser
        .enter_password(&site, "a.inv", "wrong password!")
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.body.contains("2 minute(s)"), "{}", page.body);
    site.advance_minutes(1);
    let page = browser.enter_password(&site, "a.inv", PASSWORD).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);

    // Once the lock has passed, the right password works and the count starts again.
    site.advance_minutes(1);
    browser.sign_in(&site, &person).await;
    let mut tx = site.gate.db().begin_read().await.unwrap();
    let credential = tx.credential(person.id).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    assert_eq!(credential.failed_attempts, 0);
}

async fn wrong_codes_count_towards_the_lock(db: Db) {
    let site = Site::new(db).await;
    let person = site.person("a.inv", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    browser.enter_password(&site, "a.inv", PASSWORD).await;
    let secret = person.secret.as_ref().unwrap();
    let wrong = if secret.code_at(site.now()) == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..4 {
        let page = browser.enter_code(&site, wrong).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        assert!(page.body.contains("That code is not right."));
    }
    let page = browser.enter_code(&site, wrong).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    let page = browser.enter_code(&site, &secret.code_at(site.now())).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
}

async fn one_address_may_make_only_so_many_attempts(db: Db) {
    let site = Site::new(db).await;
    let person = site.person("a.inv", &[Role::Investigator], true).await;
    let mut noisy = Browser::at("203.0.113.5");
    // Different unknown names each time: the per-account lock never applies, the per-address limit does.
    for attempt in 0..30 {
        let page = noisy
            .enter_password(&site, &format!("guess{attempt}"), "guess")
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let page = noisy.enter_password(&site, "a.inv", PASSWORD).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.body.contains("network address"));

    // Another address is not affected.
    let mut browser = Browser::at("192.0.2.10");
    browser.sign_in(&site, &person).await;

    // The window moves on.
    site.advance_minutes(6);
    let page = noisy.enter_password(&site, "a.inv", PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
}

async fn an_authenticator_code_works_once(db: Db) {
    let site = Site::new(db).await;
    let person = site.person("a.inv", &[Role::Investigator], true).await;
    let code = person.secret.as_ref().unwrap().code_at(site.now());
    let mut first = Browser::new();
    first.sign_in(&site, &person).await;

    // Someone who saw the code type it in the same half minute.
    let mut second = Browser::at("198.51.100.7");
    second.enter_password(&site, "a.inv", PASSWORD).await;
    let page = second.enter_code(&site, &code).await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.body.contains("already been used"));

    // The next code works.
    site.clock.advance(jiff::SignedDuration::from_secs(30));
    let next = person.secret.as_ref().unwrap().code_at(site.now());
    let page = second.enter_code(&site, &next).await;
    assert_eq!(page.location(), "/");
}

/// The secret in an `otpauth://` URI on the enrolment page.
fn secret_on(page: &str) -> TotpSecret {
    let start = page.find("secret=").unwrap() + "secret=".len();
    let end = page[start..].find('&').unwrap() + start;
    let mut bytes = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for c in page[start..end].bytes() {
        let value = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
            .iter()
            .position(|&a| a == c)
            .unwrap() as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            bytes.push((buffer >> bits) as u8);
        }
    }
    TotpSecret::from_hex(&bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()).unwrap()
}

async fn a_person_without_an_authenticator_enrols_one_before_going_on(db: Db) {
    let site = Site::new(db).await;
    site.person("new.starter", &[Role::Analyst], false).await;
    let mut browser = Browser::new();
    let page = browser.enter_password(&site, "new.starter", PASSWORD).await;
    assert_eq!(page.location(), "/sign-in/enrol");
    assert_eq!(browser.get(&site, "/").await.location(), "/sign-in/enrol");

    let first = browser.get(&site, "/sign-in/enrol").await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(
        first
            .body
            .contains("otpauth://totp/Severn:new.starter?secret=")
    );
    // Shown once: asking again makes a new secret, and only the newest counts.
    let second = browser.get(&site, "/sign-in/enrol").await;
    let (old, new) = (secret_on(&first.body), secret_on(&second.body));
    assert_ne!(old, new);

    let csrf = second.csrf();
    let page = browser
        .post(
            &site,
            "/sign-in/enrol",
            &[("csrf", &csrf), ("code", &old.code_at(site.now()))],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(
        !page.body.contains("secret="),
        "a failed attempt does not show the secret again"
    );

    let page = browser
        .post(
            &site,
            "/sign-in/enrol",
            &[("csrf", &csrf), ("code", &new.code_at(site.now()))],
        )
        .await;
    assert_eq!(page.location(), "/");
    assert_eq!(browser.get(&site, "/").await.status, StatusCode::OK);

    // The database holds the secret sealed, not as the authenticator app was given it.
    let staff = site
        .app
        .staff_by_username("new.starter")
        .await
        .unwrap()
        .unwrap();
    let mut tx = site.gate.db().begin().await.unwrap();
    let stored = tx.credential(staff.id).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    let stored = stored.totp_secret.unwrap();
    assert!(stored.starts_with("v1:"), "{stored}");
    assert!(!stored.contains(&new.to_hex()), "{stored}");

    // From now on the account signs in with the new authenticator.
    site.clock.advance(jiff::SignedDuration::from_secs(30));
    let mut later = Browser::at("198.51.100.7");
    let page = later.enter_password(&site, "new.starter", PASSWORD).await;
    assert_eq!(page.location(), "/sign-in/code");
    let page = later.enter_code(&site, &new.code_at(site.now())).await;
    assert_eq!(page.location(), "/");
}

async fn service_accounts_use_bearer_tokens_and_cannot_sign_in(db: Db) {
    let site = Site::new(db).await;
    let token = site.service("nca-feed").await;
    let mut machine = Browser::new();
    let request = |token: &str| {
        Request::get("/api/me")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let page = machine.send(&site, request(&token)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let me: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(me["kind"], "service");
    assert_eq!(me["name"], "nca-feed");

    let page = machine.send(&site, request(&"f".repeat(64))).await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    let error: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(error["error"], "That API token is not valid.");

    // Tokens are kept hashed.
    let mut tx = site.gate.db().begin_read().await.unwrap();
    assert!(tx.api_token_by_hash(&token).await.unwrap().is_none());
    tx.commit().await.unwrap();

    // A service account has no password to sign in with.
    let page = machine.enter_password(&site, "nca-feed", PASSWORD).await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
}

/// A code that is well-formed and not the current one.
fn wrong_code(secret: &TotpSecret, now: i64) -> &'static str {
    if secret.code_at(now) == "000000" {
        "111111"
    } else {
        "000000"
    }
}

async fn a_correct_password_does_not_reset_the_count_of_wrong_codes(db: Db) {
    let site = Site::new(db).await;
    let person = site.person("a.inv", &[Role::Investigator], true).await;
    let secret = person.secret.as_ref().unwrap();
    let mut browser = Browser::new();
    // Someone who knows the password guesses codes, signing in with the password again before each lock
    // would fall.
    for _ in 0..4 {
        browser.enter_password(&site, "a.inv", PASSWORD).await;
        let page = browser
            .enter_code(&site, wrong_code(secret, site.now()))
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{}", page.body);
    }
    let page = browser.enter_password(&site, "a.inv", PASSWORD).await;
    assert_eq!(page.location(), "/sign-in/code");
    let page = browser
        .enter_code(&site, wrong_code(secret, site.now()))
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.body);
    // Locked: the password and the right code are both refused now.
    let page = browser.enter_password(&site, "a.inv", PASSWORD).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
}

async fn malformed_codes_count_as_wrong_codes_and_are_logged(db: Db) {
    let site = Site::new(db).await;
    let person = site.person("a.inv", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    browser.enter_password(&site, "a.inv", PASSWORD).await;
    for code in ["12345", "1234567", "12a456", ""] {
        let page = browser.enter_code(&site, code).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{code:?}");
        assert!(page.body.contains("six digits"), "{}", page.body);
    }
    let page = browser.enter_code(&site, "abcdef").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.body);
    let code = person.secret.as_ref().unwrap().code_at(site.now());
    let page = browser.enter_code(&site, &code).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);

    let outcomes: Vec<String> = security_log(&site)
        .await
        .into_iter()
        .filter(|e| e.action == "sign_in_code")
        .map(|e| e.outcome)
        .collect();
    let mut wanted = vec!["failed:malformed_code"; 4];
    wanted.extend(["locked:malformed_code", "refused:locked"]);
    assert_eq!(outcomes, wanted);
}

async fn lockout_answers_the_same_whether_or_not_the_name_exists(db: Db) {
    let site = Site::new(db).await;
    site.person("a.inv", &[Role::Investigator], true).await;
    let service = site.service("nca-feed").await;
    assert!(!service.is_empty());
    // Each name from its own address, so the per-address limit does not stand in the way.
    let mut answers = Vec::new();
    for (n, name) in ["a.inv", "no.such.person", "nca-feed"]
        .into_iter()
        .enumerate()
    {
        let mut browser = Browser::at(&format!("192.0.2.{}", 20 + n));
        let mut seen = Vec::new();
        for _ in 0..6 {
            let page = browser.enter_password(&site, name, "wrong password!").await;
            seen.push((page.status, error_text(&page.body)));
        }
        // Locked, the right password gets the same answer as a wrong one.
        let page = browser.enter_password(&site, name, PASSWORD).await;
        seen.push((page.status, error_text(&page.body)));
        site.advance_minutes(3);
        let page = browser.enter_password(&site, name, "wrong password!").await;
        seen.push((page.status, error_text(&page.body)));
        answers.push(seen);
    }
    assert_eq!(answers[0][4].0, StatusCode::TOO_MANY_REQUESTS);
    assert!(answers[0][7].1.contains("2 minute(s)"), "{:?}", answers[0]);
    assert_eq!(
        answers[0], answers[1],
        "an unknown name answers as a known one"
    );
    assert_eq!(
        answers[0], answers[2],
        "a service account answers as a person"
    );

    // The names are kept only as their pseudonyms.
    let pseudonym = audit_key().pseudonym("no.such.person");
    let outcomes: Vec<String> = security_log(&site)
        .await
        .into_iter()
        .filter(|e| e.actor == pseudonym)
        .map(|e| e.outcome)
        .collect();
    assert_eq!(outcomes[4], "locked:unknown_account");
    assert_eq!(outcomes[5], "refused:locked");
}

/// The error a page shows, without what differs from page to page (the form's token, the typed name).
fn error_text(body: &str) -> String {
    let Some((_, alert)) = body.split_once("role=\"alert\"") else {
        return String::new();
    };
    let text = alert.split_once("<p>").map_or("", |(_, rest)| rest);
    text.split_once("</p>")
        .map_or(text, |(text, _)| text)
        .to_owned()
}

async fn security_log(site: &Site) -> Vec<AuditEntry> {
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
    entries.retain(|e| e.processing == Processing::Security);
    entries
}

async fn refused_tokens_and_csrf_tokens_are_logged(db: Db) {
    let site = Site::new(db).await;
    let person = site.person("a.inv", &[Role::Investigator], true).await;
    let mut machine = Browser::at("192.0.2.50");
    for authorization in [
        format!("Bearer {}", "f".repeat(64)),
        "Basic dXNlcjpwdw==".to_owned(),
    ] {
        let request = Request::get("/api/me")
            .header(header::AUTHORIZATION, authorization)
            .body(Body::empty())
            .unwrap();
        assert_eq!(
            machine.send(&site, request).await.status,
            StatusCode::UNAUTHORIZED
        );
    }

    let mut browser = Browser::new();
    browser.sign_in(&site, &person).await;
    let page = browser
        .post(&site, "/sign-out", &[("csrf", &"0".repeat(64))])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = browser
        .post_json(&site, "/api/subjects/1/merge", None, &serde_json::json!({}))
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let mut fresh = Browser::at("192.0.2.51");
    let csrf = fresh.get(&site, "/sign-in").await.csrf();
    fresh.cookies.clear();
    let page = fresh
        .post(
            &site,
            "/sign-in",
            &[
                ("csrf", &csrf),
                ("username", "a.inv"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    let refusals: Vec<(String, String, String, String)> = security_log(&site)
        .await
        .into_iter()
        .filter(|e| e.outcome.starts_with("refused:"))
        .map(|e| (e.actor, e.action, e.outcome, e.detail.unwrap_or_default()))
        .collect();
    let token_hash = severn_domain::identity::hash_secret(&"f".repeat(64));
    assert_eq!(
        refusals,
        [
            (
                format!("api_token:{}", &token_hash[..12]),
                "api_token".to_owned(),
                "refused:unknown_token".to_owned(),
                "from 192.0.2.50".to_owned()
            ),
            (
                "api_token:malformed".to_owned(),
                "api_token".to_owned(),
                "refused:malformed_token".to_owned(),
                "from 192.0.2.50".to_owned()
            ),
            (
                "a.inv".to_owned(),
                "csrf".to_owned(),
                "refused:csrf_token".to_owned(),
                "/sign-out from 192.0.2.10".to_owned()
            ),
            (
                "a.inv".to_owned(),
                "csrf".to_owned(),
                "refused:csrf_token".to_owned(),
                "/api/subjects/1/merge from 192.0.2.10".to_owned()
            ),
            (
                "unknown".to_owned(),
                "csrf".to_owned(),
                "refused:csrf_token".to_owned(),
                "/sign-in from 192.0.2.51".to_owned()
            ),
        ]
    );
}

async fn over_https_the_cookies_take_the_host_prefix(db: Db) {
    let site = Site::new_with(
        db,
        WebOptions {
            https: true,
            ..WebOptions::default()
        },
    )
    .await;
    let person = site.person("a.inv", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    let form = browser.get(&site, "/sign-in").await;
    let set: Vec<&str> = form
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(set.len(), 1);
    assert!(set[0].starts_with("__Host-severn_sign_in="), "{}", set[0]);
    assert!(
        set[0].contains("; Path=/") && set[0].contains("; Secure") && !set[0].contains("Domain")
    );
    browser.cookies.clear();
    browser.sign_in(&site, &person).await;
    assert_eq!(browser.cookies.len(), 1, "{:?}", browser.cookies.keys());
    assert_eq!(browser.get(&site, "/").await.status, StatusCode::OK);
    // The plain name means nothing over HTTPS: a cookie planted without the prefix is not a session.
    let session = browser.cookies.remove("__Host-severn_session").unwrap();
    browser.cookies.insert("severn_session".into(), session);
    assert_eq!(browser.get(&site, "/").await.location(), "/sign-in");

    // Over plain HTTP (local development) the names go without the prefix, which browsers refuse there.
    let site = Site {
        router: severn_web::router(WebState::new(site.app.clone(), WebOptions::default())),
        app: site.app.clone(),
        gate: site.gate.clone(),
        clock: site.clock.clone(),
        force: site.force,
    };
    let mut browser = Browser::at("192.0.2.12");
    let page = browser.enter_password(&site, "a.inv", PASSWORD).await;
    let set = page
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        set.starts_with("severn_session=") && !set.contains("Secure"),
        "{set}"
    );
}

severn_store::backend_matrix!(
    signing_in_takes_a_password_and_a_code_and_issues_a_new_session_id_at_each_step,
    a_wrong_password_says_so_without_saying_whether_the_name_exists,
    sessions_end_after_thirty_idle_minutes,
    sessions_end_twelve_hours_after_sign_in_however_busy,
    people_see_their_sessions_and_can_end_one,
    forms_without_the_sessions_csrf_token_are_refused,
    repeated_failures_lock_the_account_with_back_off,
    wrong_codes_count_towards_the_lock,
    one_address_may_make_only_so_many_attempts,
    an_authenticator_code_works_once,
    a_person_without_an_authenticator_enrols_one_before_going_on,
    service_accounts_use_bearer_tokens_and_cannot_sign_in,
    a_correct_password_does_not_reset_the_count_of_wrong_codes,
    malformed_codes_count_as_wrong_codes_and_are_logged,
    lockout_answers_the_same_whether_or_not_the_name_exists,
    refused_tokens_and_csrf_tokens_are_logged,
    over_https_the_cookies_take_the_host_prefix,
);
