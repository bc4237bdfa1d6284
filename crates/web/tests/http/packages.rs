//! `POST /api/packages` as the NCA's feed meets it: zip and tar packages and single documents go in through the
//! same ingest as `severn ingest`, a repeat is all duplicates, uploads past a limit are refused naming it, and
//! nobody but a service account with its token gets anything in — every attempt logged.

use crate::support::{Browser, Page, Site, operator};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use severn_app::audit::AuditEntryView as AuditEntry;
use severn_domain::access::{Processing, Role};
use severn_store::{AuditQuery, Db};
use severn_web::{PackageLimits, WebOptions, WebState, router};
use std::io::{Cursor, Write};

const XML_REPORT: &[u8] =
    include_bytes!("../../../ingest/tests/fixtures/example_report_synthetic.xml");

/// An LE JSON report about one person with one (synthetic) e-mail address.
fn report(id: u64, email: &str) -> Vec<u8> {
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

/// The files of an NCA package for force F1 in directory `pkg/`: two good reports and an entry whose
/// document is not a report.
fn package_files() -> Vec<(String, Vec<u8>)> {
    let manifest = json!({
        "format": "severn-nca-package/1",
        "ncaReference": "NCA-2026-000777",
        "disseminatedAt": "2026-03-01T09:00:00Z",
        "receivingForce": "F1",
        "reports": [
            { "ncmecReportId": "7001", "document": "7001.json" },
            { "ncmecReportId": "7002", "document": "reports/7002.json" },
            { "ncmecReportId": "7003", "document": "7003.json" }
        ]
    });
    vec![
        ("pkg/package.json".into(), manifest.to_string().into_bytes()),
        (
            "pkg/7001.json".into(),
            report(7001, "first.sender@example.com"),
        ),
        (
            "pkg/reports/7002.json".into(),
            report(7002, "second.sender@example.org"),
        ),
        ("pkg/7003.json".into(), b"this is not a report".to_vec()),
    ]
}

fn zip_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn tar_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, bytes) in files {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        tar.append_data(&mut header, name, bytes.as_slice())
            .unwrap();
    }
    tar.into_inner().unwrap()
}

/// Posts `body` to `path` with the bearer token, when given.
async fn post(site: &Site, path: &str, token: Option<&str>, body: Vec<u8>) -> Page {
    let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/octet-stream");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    Browser::new()
        .send(site, request.body(Body::from(body)).unwrap())
        .await
}

fn json_of(page: &Page) -> Value {
    serde_json::from_str(&page.body).unwrap_or_else(|_| panic!("not JSON: {}", page.body))
}

/// Every audit entry, oldest first, as an operator reads them.
async fn log(site: &Site) -> Vec<AuditEntry> {
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
    entries.retain(|e| !e.action.starts_with("read_audit"));
    entries
}

/// How many referrals the force's investigator has in the queue.
async fn queued(site: &Site) -> usize {
    let investigator = site.person("q.inv", &[Role::Investigator], true).await;
    let mut browser = Browser::at("192.0.2.30");
    browser.sign_in(site, &investigator).await;
    let page = browser.get(site, "/api/queue").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    json_of(&page).as_array().unwrap().len()
}

async fn a_zip_package_goes_in_as_the_cli_would_take_it_and_is_logged_under_the_service_account(
    db: Db,
) {
    let site = Site::new(db).await;
    let token = site.service("nca-feed").await;
    let page = post(
        &site,
        "/api/packages",
        Some(&token),
        zip_of(&package_files()),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let receipt = json_of(&page);
    assert_eq!(receipt["ingested"], 2);
    assert_eq!(receipt["duplicates"], 0);
    assert_eq!(receipt["rejected"], 1);
    assert_eq!(receipt["references"], json!(["ncmec:7001", "ncmec:7002"]));
    let rejects = receipt["rejects"].as_array().unwrap();
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0]["file"], "pkg/7003.json");
    assert!(
        rejects[0]["reason"]
            .as_str()
            .unwrap()
            .contains("unrecognised content"),
        "{receipt}"
    );
    // The force the manifest names owns them.
    assert_eq!(queued(&site).await, 2);

    let entries = log(&site).await;
    let collected: Vec<&AuditEntry> = entries
        .iter()
        .filter(|e| e.action == "ingest" && e.processing == Processing::Collection)
        .collect();
    assert!(!collected.is_empty());
    for entry in &collected {
        assert_eq!(entry.actor, "service:nca-feed");
        assert_eq!(entry.outcome, "allowed");
    }
    assert!(
        collected
            .iter()
            .any(|e| e.target == "referrals:ncmec:7001..ncmec:7002"),
        "{collected:?}"
    );

    // The reject is stored, named by the upload and the file's place in it.
    let rejects = site.app.rejects(&operator(), false).await.unwrap();
    assert_eq!(rejects.len(), 1);
    assert!(
        rejects[0].path.starts_with("upload ") && rejects[0].path.ends_with("/pkg/7003.json"),
        "{}",
        rejects[0].path
    );
}

async fn a_tar_package_goes_in_and_sending_it_again_is_all_duplicates(db: Db) {
    let site = Site::new(db).await;
    let token = site.service("nca-feed").await;
    let files: Vec<(String, Vec<u8>)> = package_files()
        .into_iter()
        .filter(|(name, _)| name != "pkg/7003.json")
        .map(|(name, bytes)| {
            if name == "pkg/package.json" {
                let mut manifest: Value = serde_json::from_slice(&bytes).unwrap();
                manifest["reports"].as_array_mut().unwrap().pop();
                (name, manifest.to_string().into_bytes())
            } else {
                (name, bytes)
            }
        })
        .collect();
    let tar = tar_of(&files);
    let page = post(&site, "/api/packages", Some(&token), tar.clone()).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let receipt = json_of(&page);
    assert_eq!(
        (
            &receipt["ingested"],
            &receipt["duplicates"],
            &receipt["rejected"]
        ),
        (&json!(2), &json!(0), &json!(0))
    );
    assert_eq!(receipt["rejects"], json!([]));

    // The same package again, as sent and gzip-compressed.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    for again in [tar, gz.finish().unwrap()] {
        let again = post(&site, "/api/packages", Some(&token), again).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.body);
        let receipt = json_of(&again);
        assert_eq!(
            (
                &receipt["ingested"],
                &receipt["duplicates"],
                &receipt["rejected"]
            ),
            (&json!(0), &json!(2), &json!(0))
        );
        assert_eq!(receipt["references"], json!(["ncmec:7001", "ncmec:7002"]));
    }
    assert_eq!(queued(&site).await, 2);
}

async fn a_single_document_names_its_force_in_the_address(db: Db) {
    let site = Site::new(db).await;
    let token = site.service("nca-feed").await;

    let page = post(&site, "/api/packages", Some(&token), XML_REPORT.to_vec()).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert_eq!(
        json_of(&page)["error"],
        "A single document does not say which force received it: name the force with ?force=CODE."
    );

    let page = post(
        &site,
        "/api/packages?force=NOPE",
        Some(&token),
        XML_REPORT.to_vec(),
    )
    .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert_eq!(json_of(&page)["error"], "There is no force \"NOPE\".");

    let page = post(
        &site,
        "/api/packages?force=F1",
        Some(&token),
        XML_REPORT.to_vec(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let receipt = json_of(&page);
    assert_eq!(receipt["ingested"], 1);
    let references = receipt["references"].as_array().unwrap();
    assert_eq!(references.len(), 1);

    let page = post(
        &site,
        "/api/packages?force=f1",
        Some(&token),
        report(7101, "json.sender@example.com"),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(json_of(&page)["references"], json!(["ncmec:7101"]));

    let page = post(
        &site,
        "/api/packages?force=F1",
        Some(&token),
        b"{\"reportId\": ".to_vec(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let receipt = json_of(&page);
    assert_eq!(receipt["rejected"], 1);
    assert_eq!(receipt["rejects"][0]["file"], "document");
    assert_eq!(queued(&site).await, 2);
}

async fn uploads_past_a_limit_are_refused_naming_it(db: Db) {
    let site = Site::new(db).await;
    let token = site.service("nca-feed").await;
    let limits = PackageLimits {
        max_upload_bytes: 4096,
        max_entries: 4,
        max_unpacked_bytes: 2048,
    };
    let site = Site {
        router: router(WebState::new(
            site.app.clone(),
            WebOptions {
                packages: limits,
                ..WebOptions::default()
            },
        )),
        ..site
    };
    let big = vec![b' '; 5000];

    // Streamed past the limit, with no length declared.
    let page = post(&site, "/api/packages?force=F1", Some(&token), big.clone()).await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", page.body);
    let error = json_of(&page);
    assert_eq!(error["status"], 413);
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("upload size limit of 4096 bytes"),
        "{error}"
    );

    // A declared length past the limit is refused before the body is read.
    let request = Request::post("/api/packages?force=F1")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_LENGTH, "5000")
        .body(Body::from(big))
        .unwrap();
    let page = Browser::new().send(&site, request).await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", page.body);

    let five: Vec<(String, Vec<u8>)> = (0..5)
        .map(|i| (format!("pkg/{i}.json"), b"{}".to_vec()))
        .collect();
    let page = post(&site, "/api/packages", Some(&token), zip_of(&five)).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(
        json_of(&page)["error"]
            .as_str()
            .unwrap()
            .contains("entry limit of 4"),
        "{}",
        page.body
    );

    // Compressed it fits the upload limit; unpacked it does not.
    let bomb = zip_of(&[("pkg/big.json".to_owned(), vec![b' '; 100_000])]);
    assert!(bomb.len() < 4096);
    let page = post(&site, "/api/packages", Some(&token), bomb).await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", page.body);
    assert!(
        json_of(&page)["error"]
            .as_str()
            .unwrap()
            .contains("unpacked size limit of 2048 bytes"),
        "{}",
        page.body
    );

    let escaping = zip_of(&[("../escaped.json".to_owned(), b"{}".to_vec())]);
    let page = post(&site, "/api/packages", Some(&token), escaping).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );

    assert_eq!(queued(&site).await, 0);
}

async fn only_a_service_account_with_its_token_may_send_packages(db: Db) {
    let site = Site::new(db).await;
    site.service("nca-feed").await;
    let package = zip_of(&package_files());

    let page = post(&site, "/api/packages", None, package.clone()).await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{}", page.body);
    let page = post(
        &site,
        "/api/packages",
        Some(&"f".repeat(64)),
        package.clone(),
    )
    .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{}", page.body);

    // A person signed in, even with the session's CSRF token, is refused by the gate and the refusal logged.
    let person = site
        .person("a.inv", &[Role::Investigator, Role::Supervisor], true)
        .await;
    let mut browser = Browser::new();
    browser.sign_in(&site, &person).await;
    let csrf = browser.get(&site, "/").await.csrf();
    let request = Request::post("/api/packages?force=F1")
        .header(header::CONTENT_TYPE, "application/zip")
        .header("x-csrf-token", csrf)
        .body(Body::from(package))
        .unwrap();
    let page = browser.send(&site, request).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert_eq!(json_of(&page)["error"], "Your role does not allow this.");
    let entries = log(&site).await;
    assert!(
        entries
            .iter()
            .any(|e| e.actor == "a.inv" && e.action == "ingest" && e.outcome.starts_with("denied")),
        "{entries:?}"
    );
    assert!(
        !entries
            .iter()
            .any(|e| e.action == "ingest" && e.outcome == "allowed"),
        "{entries:?}"
    );
    assert_eq!(queued(&site).await, 0);
}

severn_store::backend_matrix!(
    a_zip_package_goes_in_as_the_cli_would_take_it_and_is_logged_under_the_service_account,
    a_tar_package_goes_in_and_sending_it_again_is_all_duplicates,
    a_single_document_names_its_force_in_the_address,
    uploads_past_a_limit_are_refused_naming_it,
    only_a_service_account_with_its_token_may_send_packages,
);
