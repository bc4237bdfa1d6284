//! Every response carries the security headers; pages are never cached; errors say what went wrong in plain
//! words and show nothing of the server's insides.

use crate::support::{Browser, Page, Site};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use severn_domain::access::Role;
use severn_store::Db;
use severn_web::headers::CONTENT_SECURITY_POLICY;

fn assert_security_headers(page: &Page, what: &str) {
    let header = |name: &str| {
        page.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{what}: no {name} header"))
            .to_owned()
    };
    let csp = header("content-security-policy");
    assert_eq!(csp, CONTENT_SECURITY_POLICY, "{what}");
    for directive in [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "script-src 'self'",
    ] {
        assert!(csp.contains(directive), "{what}: {directive}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{what}"
    );
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header("referrer-policy"), "no-referrer", "{what}");
    assert_eq!(header("x-frame-options"), "DENY", "{what}");
}

/// What an error body must never show.
const INTERNALS: [&str; 10] = [
    "sqlx",
    "SELECT",
    "panicked",
    "serde",
    "deserialize",
    "Failed to",
    "src/",
    "backtrace",
    "StoreError",
    "missing field",
];

fn assert_plain(page: &Page, what: &str) {
    for word in INTERNALS {
        assert!(
            !page.body.contains(word),
            "{what} shows {word:?}: {}",
            page.body
        );
    }
}

fn is_json(page: &Page) -> bool {
    page.headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.to_str().unwrap().starts_with("application/json"))
}

async fn every_response_carries_the_security_headers(db: Db) {
    let site = Site::new(db).await;
    let person = site.person("a.inv", &[Role::Investigator], true).await;
    let mut anonymous = Browser::new();
    let mut signed_in = Browser::at("198.51.100.7");
    signed_in.sign_in(&site, &person).await;

    for path in [
        "/",
        "/sign-in",
        "/sign-in/code",
        "/sessions",
        "/static/severn.css",
        "/static/htmx.min.js",
        "/static/nothing.js",
        "/no/such/page",
        "/api/me",
        "/api/openapi.json",
        "/api/no/such/thing",
    ] {
        for (who, browser) in [("anonymous", &mut anonymous), ("signed in", &mut signed_in)] {
            let page = browser.get(&site, path).await;
            assert_security_headers(&page, &format!("GET {path} ({who})"));
        }
    }
    let page = anonymous
        .post(&site, "/sign-in", &[("username", "x")])
        .await;
    assert_security_headers(&page, "POST /sign-in without a token");
    let page = signed_in.post(&site, "/sessions/revoke", &[]).await;
    assert_security_headers(&page, "POST /sessions/revoke without a token");
}

async fn pages_are_never_cached_and_only_static_files_are(db: Db) {
    let site = Site::new(db).await;
    let person = site.person("a.inv", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &person).await;
    for path in ["/", "/sessions", "/sign-in", "/api/me", "/no/such/page"] {
        let page = browser.get(&site, path).await;
        assert_eq!(
            page.headers.get(header::CACHE_CONTROL).unwrap(),
            "no-store",
            "GET {path}"
        );
    }
    let css = browser.get(&site, "/static/severn.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(
        css.headers.get(header::CACHE_CONTROL).unwrap(),
        "public, max-age=3600"
    );
    assert!(css.body.contains(":focus-visible"));
    let htmx = browser.get(&site, "/static/htmx.min.js").await;
    assert!(htmx.body.starts_with("var htmx="));
}

async fn pages_have_no_inline_script_or_style(db: Db) {
    let site = Site::new(db).await;
    let person = site.person("a.inv", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    let sign_in = browser.get(&site, "/sign-in").await;
    browser.sign_in(&site, &person).await;
    for page in [
        sign_in,
        browser.get(&site, "/").await,
        browser.get(&site, "/sessions").await,
    ] {
        assert!(!page.body.contains("<style"));
        assert!(!page.body.contains("style="));
        assert!(!page.body.contains("onclick") && !page.body.contains("onsubmit"));
        assert_eq!(
            page.body.matches("<script").count(),
            1,
            "only htmx, from a file"
        );
        assert!(
            page.body
                .contains("<script src=\"/static/htmx.min.js\" defer></script>")
        );
        assert!(
            page.body.contains("href=\"#main\"") && page.body.contains("id=\"main\""),
            "skip link"
        );
        assert!(page.body.contains("<html lang=\"en-GB\">"));
    }
}

async fn errors_say_what_went_wrong_and_nothing_more(db: Db) {
    let site = Site::new(db).await;
    let person = site.person("a.inv", &[Role::Investigator], true).await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &person).await;
    let csrf = browser.get(&site, "/sessions").await.csrf();

    let missing = browser.get(&site, "/no/such/page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("There is nothing at this address."));
    assert_plain(&missing, "404 page");

    // A form with its token but not the fields the handler needs, or with the wrong kind of value.
    for form in [
        vec![("csrf", csrf.as_str())],
        vec![("csrf", csrf.as_str()), ("session", "DROP TABLE")],
    ] {
        let page = browser.post(&site, "/sessions/revoke", &form).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.body.contains("The form was not complete."));
        assert_plain(&page, "incomplete form");
    }

    // Revoking someone else's session, or one that does not exist.
    let page = browser
        .post(
            &site,
            "/sessions/revoke",
            &[("csrf", &csrf), ("session", "999999")],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("no open session with that number"));

    // A wrong method, and a body of the wrong type.
    let page = browser
        .send(
            &site,
            Request::builder()
                .method(Method::DELETE)
                .uri("/sessions")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(page.body.contains("does not take that kind of request"));
    assert_plain(&page, "405 page");
    let page = browser
        .send(
            &site,
            Request::post("/sign-out")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{\"csrf\": 1}"))
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_plain(&page, "415 page");

    // The API answers in JSON, in the same plain words.
    let mut anonymous = Browser::new();
    for (path, status) in [
        ("/api/me", StatusCode::UNAUTHORIZED),
        ("/api/nothing", StatusCode::NOT_FOUND),
    ] {
        let page = anonymous.get(&site, path).await;
        assert_eq!(page.status, status, "{path}");
        assert!(is_json(&page), "{path}");
        let body: serde_json::Value = serde_json::from_str(&page.body).unwrap();
        assert_eq!(body["status"], status.as_u16());
        assert!(body["error"].as_str().unwrap().ends_with('.'));
        assert_plain(&page, path);
    }
    let page = anonymous
        .send(&site, Request::post("/api/me").body(Body::empty()).unwrap())
        .await;
    assert_eq!(page.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(is_json(&page));
}

async fn the_openapi_document_describes_the_api(db: Db) {
    let site = Site::new(db).await;
    let page = Browser::new().get(&site, "/api/openapi.json").await;
    assert_eq!(page.status, StatusCode::OK);
    let document: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    for (path, method) in [
        ("/api/me", "get"),
        ("/api/queue", "get"),
        ("/api/referrals/{reference}", "get"),
        ("/api/subjects/{id}", "get"),
        ("/api/subjects/{id}/merge", "post"),
        ("/api/subjects/{id}/matches", "get"),
        ("/api/subjects/{id}/compare/{other}", "get"),
        ("/api/subjects/{id}/split", "post"),
        ("/api/search", "get"),
        ("/api/figures", "get"),
        ("/api/audit", "get"),
        ("/api/packages", "post"),
    ] {
        assert!(
            document["paths"][path][method].is_object(),
            "{method} {path}"
        );
    }
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes["apiToken"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    let packages = &document["paths"]["/api/packages"]["post"];
    assert_eq!(
        packages["security"],
        serde_json::json!([{ "apiToken": [] }])
    );
    assert_eq!(packages["parameters"][0]["name"], "force");
    assert!(packages["requestBody"]["content"]["application/zip"].is_object());
    let referral = &document["paths"]["/api/referrals/{reference}"]["get"];
    assert!(
        referral["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "X-Justification" && p["in"] == "header"),
        "{referral}"
    );
    assert_eq!(
        referral["responses"]["500"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Error"
    );
}

severn_store::backend_matrix!(
    every_response_carries_the_security_headers,
    pages_are_never_cached_and_only_static_files_are,
    pages_have_no_inline_script_or_style,
    errors_say_what_went_wrong_and_nothing_more,
    the_openapi_document_describes_the_api,
);
