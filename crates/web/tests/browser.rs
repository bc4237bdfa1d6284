//! Severn in a real browser: a fresh SQLite database built through the application's own use cases, the web
//! application served on a loopback port, and `node tests/browser/run.js` driving Debian's chromium with
//! playwright-core through sign-in, the queue, a referral, an assessment with its live band preview, a possible match compared and merged,
//! sharing and restricting a case, the administrators' staff pages, a refused PCC-office user, keyboard
//! use and a safeguarding officer safeguarding a child on a case, with axe-core on every page. See docs/browser-tests.md.
//!
//! The browser needs chromium (`/usr/bin/chromium`, or `SEVERN_CHROMIUM`) and `npm ci` in `tests/browser`;
//! `scripts/test` installs both when they are missing.

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use severn_app::App;
use severn_app::identity::Identity;
use severn_app::ingest::Ingester;
use severn_app::staff::StaffSpec;
use severn_domain::access::{Actor, OrgKind, Role, StaffKind};
use severn_domain::audit::AuditKey;
use severn_domain::clock::SystemClock;
use severn_domain::ids::OrgId;
use severn_domain::support::{Areas, NewSupportService, Serves, ServiceKind};
use severn_ingest::{DocContext, Item, parse_document};
use severn_store::Backend;
use severn_store::testing::fresh_db;
use severn_web::{WebOptions, WebState, router};
use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Every person's password in the fixture.
const PASSWORD: &str = "river crossing at low tide";
/// How long the browser script may take before it is stopped and the test fails.
const SCRIPT_LIMIT: Duration = Duration::from_secs(120);

fn operator() -> Actor {
    Actor::Operator {
        name: "browser-fixture".into(),
    }
}

/// A person in `org` with a password and an authenticator; returns the secret as base32, the form an
/// authenticator app is given.
async fn person(app: &App, org: OrgId, username: &str, name: &str, roles: &[Role]) -> String {
    let id = app
        .create_staff(
            &operator(),
            &StaffSpec {
                org,
                team: None,
                username: username.into(),
                display_name: name.into(),
                kind: StaffKind::Person,
                roles: roles.to_vec(),
            },
        )
        .await
        .unwrap();
    let identity = Identity::new(app.clone(), Default::default());
    identity
        .set_password(&operator(), id, PASSWORD)
        .await
        .unwrap();
    let secret = identity.provision_totp(&operator(), id).await.unwrap();
    secret.to_base32_grouped().replace(' ', "")
}

/// A CyberTip law-enforcement JSON report about one suspect account with one e-mail address.
fn le_report(id: &str, hours_ago: i64, user: &str, email: &str, incident: &str) -> Value {
    let received = Timestamp::now() - SignedDuration::from_hours(hours_ago);
    json!({
        "reportId": id,
        "dateReceived": received.to_string(),
        "reportedInformation": {
            "reportingEsp": { "espName": "Example Social Ltd" },
            "incidentSummary": {
                "incidentType": incident,
                "incidentDateTime": (received - SignedDuration::from_hours(24)).to_string()
            },
            "reportedPeople": { "reportedPersons": [
                { "espService": "Example Social", "espUserId": user, "emails": [{ "value": email }] }
            ] }
        }
    })
}

/// The report with its suspect's screen name: too weak to link on its own, so a possible match.
fn with_screen_name(mut report: Value, name: &str) -> Value {
    report["reportedInformation"]["reportedPeople"]["reportedPersons"][0]["screenName"] =
        json!(name);
    report
}

async fn ingest(app: &App, force: &str, reports: &[Value]) {
    let mut ingester = Ingester::new(app, &operator(), Some(force)).await.unwrap();
    for report in reports {
        let bytes = serde_json::to_vec(report).unwrap();
        let parsed = parse_document(&bytes, "browser/report.json", &DocContext::default()).unwrap();
        ingester
            .push(Item::Parsed {
                path: "browser/report.json".into(),
                parsed,
            })
            .await
            .unwrap();
    }
    ingester.finish().await.unwrap();
}

/// The target directory this test was built into (`target/debug/deps/browser-…` → `target`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors()
        .nth(3)
        .expect("the test binary lives in target/PROFILE/deps")
        .to_path_buf()
}

/// Runs the script to its end or to [`SCRIPT_LIMIT`]; returns whether it succeeded and what it printed.
fn run_script(script_dir: &Path, env: &[(&str, String)]) -> (bool, String) {
    let log_path = target_dir().join("browser-tests.log");
    let log = File::create(&log_path).unwrap();
    let mut command = Command::new("node");
    command
        .arg("run.js")
        .current_dir(script_dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start node (is Node.js installed?): {e}"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > SCRIPT_LIMIT {
            child.kill().ok();
            child.wait().ok();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut output = std::fs::read_to_string(&log_path).unwrap_or_default();
    match status {
        Some(status) => (status.success(), output),
        None => {
            output.push_str(&format!("\nstopped after {SCRIPT_LIMIT:?}\n"));
            (false, output)
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn severn_works_in_a_real_browser() {
    let script_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        script_dir.join("node_modules/playwright-core").is_dir()
            && script_dir.join("node_modules/axe-core").is_dir(),
        "playwright-core and axe-core are not installed: run `npm ci` in {} (scripts/test does)",
        script_dir.display()
    );

    let test_db = fresh_db(Backend::Sqlite).await;
    let app = App::new(
        test_db.db.clone(),
        Arc::new(SystemClock),
        AuditKey::new([11; 32]),
    );
    let op = operator();
    let force = app
        .create_org(
            &op,
            "severnshire",
            "Severnshire Constabulary",
            OrgKind::Force,
        )
        .await
        .unwrap();
    let pcc = app
        .create_org(
            &op,
            "severnshire-pcc",
            "Office of the Severnshire PCC",
            OrgKind::PccOffice,
        )
        .await
        .unwrap();
    let investigator_secret = person(
        &app,
        force,
        "dc.amara.okafor",
        "DC Amara Okafor",
        &[Role::Investigator],
    )
    .await;
    let keyboard_secret = person(
        &app,
        force,
        "dc.sam.price",
        "DC Sam Price",
        &[Role::Investigator],
    )
    .await;
    let pcc_secret = person(
        &app,
        pcc,
        "pcc.lewis.hale",
        "Lewis Hale",
        &[Role::PccOffice],
    )
    .await;
    let other_force = app
        .create_org(&op, "wrekin", "Wrekin Police", OrgKind::Force)
        .await
        .unwrap();
    let supervisor_secret = person(
        &app,
        force,
        "ds.priya.nair",
        "DS Priya Nair",
        &[Role::Supervisor],
    )
    .await;
    let admin_secret = person(
        &app,
        force,
        "admin.jo.brook",
        "Jo Brook",
        &[Role::Administrator],
    )
    .await;
    // Someone in another force a case can be shared with; they never sign in here.
    person(
        &app,
        other_force,
        "dc.ollie.marsh",
        "DC Ollie Marsh",
        &[Role::Investigator],
    )
    .await;
    let safeguarding_secret = person(
        &app,
        force,
        "so.jo.pritchard",
        "Jo Pritchard",
        &[Role::SafeguardingOfficer],
    )
    .await;
    let support_service = "Severnshire Young Victims Service";
    app.add_support_service(
        &op,
        Some(pcc),
        NewSupportService {
            name: support_service.into(),
            kind: ServiceKind::YoungVictims,
            serves: [Serves::ChildrenAndYoungPeople].into(),
            min_age: Some(5),
            max_age: Some(18),
            areas: Areas::Listed(["bristol".to_owned()].into()),
            needs: Default::default(),
            capacity: Some(20),
            phone: Some("07700 900610".into()),
            email: Some("referrals@young-victims.example.org".into()),
            web: None,
            commissioner: "Office of the Severnshire PCC".into(),
            contract_ends: None,
            active: true,
        },
    )
    .await
    .unwrap();
    let possession = "Child Pornography (possession, manufacture, and distribution)";
    let enticement = "Online Enticement of Children for Sexual Acts";
    ingest(
        &app,
        "severnshire",
        &[
            le_report("73001", 30, "rowan_k", "rowan.k@example.com", enticement),
            le_report("73002", 20, "rowan_k2", "rowan.k@example.com", possession),
            with_screen_name(
                le_report(
                    "73003",
                    10,
                    "tide_walker",
                    "tide.walker@example.net",
                    possession,
                ),
                "tidewalker",
            ),
            with_screen_name(
                le_report(
                    "73004",
                    5,
                    "walker_tide",
                    "walker.tide@example.org",
                    possession,
                ),
                "tidewalker",
            ),
        ],
    )
    .await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let site = router(WebState::new(app.clone(), WebOptions::default()));
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            site.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });

    let screenshots = target_dir().join("browser-screenshots");
    let env = vec![
        ("SEVERN_URL", base),
        ("SEVERN_PASSWORD", PASSWORD.to_owned()),
        ("SEVERN_INVESTIGATOR", "dc.amara.okafor".to_owned()),
        ("SEVERN_INVESTIGATOR_TOTP", investigator_secret),
        ("SEVERN_KEYBOARD", "dc.sam.price".to_owned()),
        ("SEVERN_KEYBOARD_TOTP", keyboard_secret),
        ("SEVERN_PCC", "pcc.lewis.hale".to_owned()),
        ("SEVERN_PCC_TOTP", pcc_secret),
        ("SEVERN_SUPERVISOR", "ds.priya.nair".to_owned()),
        ("SEVERN_SUPERVISOR_TOTP", supervisor_secret),
        ("SEVERN_ADMIN", "admin.jo.brook".to_owned()),
        ("SEVERN_ADMIN_TOTP", admin_secret),
        ("SEVERN_OUTSIDER", "dc.ollie.marsh".to_owned()),
        ("SEVERN_SAFEGUARDING", "so.jo.pritchard".to_owned()),
        ("SEVERN_SAFEGUARDING_TOTP", safeguarding_secret),
        ("SEVERN_SUPPORT_SERVICE", support_service.to_owned()),
        // Two referrals about one suspect (a shared e-mail address), and two suspects who are the same person.
        ("SEVERN_LINKED", "ncmec:73001 ncmec:73002".to_owned()),
        ("SEVERN_LINKED_EMAIL", "rowan.k@example.com".to_owned()),
        ("SEVERN_MERGE", "ncmec:73003 ncmec:73004".to_owned()),
        ("SEVERN_SCREENSHOTS", screenshots.display().to_string()),
    ];
    let (passed, output) = tokio::task::spawn_blocking(move || run_script(&script_dir, &env))
        .await
        .unwrap();
    server.abort();
    test_db.cleanup().await;
    assert!(passed, "the browser tests failed:\n{output}");
    println!("{output}");
}
