//! End-to-end tests of the `severn` binary. Every test runs the built command against a database of its own:
//! SQLite in a temporary directory or, for PostgreSQL, a fresh database created and dropped with psql on the
//! server at SEVERN_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres). Synthetic data
//! only (RFC 2606 domains, RFC 5737 addresses, Ofcom drama numbers 07700 900xxx).

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_severn");

/// The command with no database settings from the environment it runs in.
fn bare() -> Command {
    let mut command = Command::new(BIN);
    command
        .env_remove("SEVERN_DATABASE_URL")
        .env_remove("SEVERN_AUDIT_KEY_FILE")
        .env_remove("SEVERN_AUDIT_CHECKPOINTS")
        .env_remove("SEVERN_LOG")
        .env("USER", "tester");
    command
}

fn severn(database: &str) -> Command {
    let mut command = bare();
    command.arg("--database").arg(database);
    // A SQLite database keeps its audit key beside it; a PostgreSQL one would use the working directory.
    if database.starts_with("postgres") {
        command.env("SEVERN_AUDIT_KEY_FILE", pg_audit_key(database));
    }
    command
}

/// Where a scratch PostgreSQL database's audit key lives, outside the repository.
fn pg_audit_key(database: &str) -> PathBuf {
    let name = database.rsplit('/').next().unwrap_or("severn");
    std::env::temp_dir().join(format!("{name}.audit-key"))
}

fn sqlite(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("t.db").display())
}

/// What a run printed, with its exit status.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    what: String,
}

impl Run {
    fn describe(&self) -> String {
        format!(
            "`{}` exited {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.what, self.code, self.stdout, self.stderr
        )
    }

    fn ok(self) -> Self {
        assert_eq!(self.code, Some(0), "{}", self.describe());
        self
    }

    fn code(self, expected: i32) -> Self {
        assert_eq!(self.code, Some(expected), "{}", self.describe());
        self
    }

    fn failed(self) -> Self {
        assert!(
            self.code.is_some_and(|c| c != 0),
            "expected a failure: {}",
            self.describe()
        );
        assert!(
            !self.stderr.contains("panicked"),
            "a failure must be an error message, not a panic: {}",
            self.describe()
        );
        self
    }

    fn last_line(&self) -> &str {
        self.stdout.lines().last().unwrap_or("")
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.describe()))
    }
}

fn run(command: &mut Command) -> Run {
    let what = format!("{command:?}");
    let Output {
        status,
        stdout,
        stderr,
    } = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        what,
    }
}

/// `ingested A, duplicates B, rejected C` → (A, B, C).
fn counts(line: &str) -> (u64, u64, u64) {
    let parts: Vec<&str> = line.split(", ").collect();
    let number = |part: &str, label: &str| -> u64 {
        part.strip_prefix(label)
            .and_then(|n| n.strip_prefix(' '))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| {
                panic!("{line:?} does not read `ingested N, duplicates N, rejected N`")
            })
    };
    assert_eq!(
        parts.len(),
        3,
        "{line:?} does not read `ingested N, duplicates N, rejected N`"
    );
    (
        number(parts[0], "ingested"),
        number(parts[1], "duplicates"),
        number(parts[2], "rejected"),
    )
}

/// A synthetic corpus: `severn synth --seed SEED --reports REPORTS --out DIR/corpus`, and its summary.json.
fn synth(dir: &Path, seed: u64, reports: usize) -> (PathBuf, Value) {
    let out = dir.join("corpus");
    run(bare()
        .arg("synth")
        .args(["--seed", &seed.to_string()])
        .args(["--reports", &reports.to_string()])
        .arg("--out")
        .arg(&out))
    .ok();
    let summary = std::fs::read_to_string(out.join("summary.json")).expect("summary.json");
    (
        out,
        serde_json::from_str(&summary).expect("summary.json is JSON"),
    )
}

/// A time in `--json` (RFC 3339 in UTC), as Unix seconds.
fn time(value: &Value) -> i64 {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("a time is RFC 3339 text: {value}"));
    assert!(text.ends_with('Z'), "a time is given in UTC: {text}");
    text.parse::<jiff::Timestamp>().unwrap().as_second()
}

fn field(summary: &Value, name: &str) -> u64 {
    summary[name]
        .as_u64()
        .unwrap_or_else(|| panic!("summary.json has no count {name}: {summary}"))
}

fn ingest(database: &str, corpus: &Path) -> Run {
    run(severn(database)
        .arg("ingest")
        .arg(corpus.join("packages"))
        .arg(corpus.join("partner")))
}

/// A database holding the seed-3, 150-report corpus.
fn ingested() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let (corpus, _) = synth(dir.path(), 3, 150);
    let database = sqlite(dir.path());
    ingest(&database, &corpus).ok();
    (dir, database)
}

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// Checks a corpus ingests completely once, and is only duplicates the second time.
fn ingest_twice(database: &str, corpus: &Path, summary: &Value) {
    let first = ingest(database, corpus).ok();
    let (ingested, duplicates, rejected) = counts(first.last_line());
    assert_eq!(rejected, 0, "{}", first.describe());
    // Every unique report (or new version of one) and every partner row is a referral.
    assert_eq!(
        ingested,
        field(summary, "unique_reports")
            + field(summary, "new_versions")
            + field(summary, "partner_rows"),
        "{}\nsummary.json: {summary}",
        first.describe()
    );
    // Re-sent reports are duplicates (so may be a re-sent report's fileDetails).
    assert!(
        duplicates >= field(summary, "duplicates"),
        "{}\nsummary.json: {summary}",
        first.describe()
    );

    let second = ingest(database, corpus).ok();
    let (ingested, duplicates, rejected) = counts(second.last_line());
    assert_eq!((ingested, rejected), (0, 0), "{}", second.describe());
    // Every document is already held: reports, fileDetails and partner rows.
    assert_eq!(
        duplicates,
        field(summary, "reports") + field(summary, "file_details") + field(summary, "partner_rows"),
        "{}\nsummary.json: {summary}",
        second.describe()
    );
}

#[test]
fn ingest_of_a_synthetic_corpus_then_again_gives_only_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let (corpus, summary) = synth(dir.path(), 3, 150);
    ingest_twice(&sqlite(dir.path()), &corpus, &summary);
}

#[test]
fn a_bulk_ingest_stores_what_an_ordinary_one_does_and_builds_the_index_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let (corpus, _) = synth(dir.path(), 4, 150);
    for name in ["ordinary", "bulk"] {
        std::fs::create_dir(dir.path().join(name)).unwrap();
    }
    let ordinary = sqlite(&dir.path().join("ordinary"));
    let bulk = sqlite(&dir.path().join("bulk"));
    let plain = ingest(&ordinary, &corpus).ok();
    let loaded = run(severn(&bulk)
        .args(["ingest", "--bulk"])
        .arg(corpus.join("packages"))
        .arg(corpus.join("partner")))
    .ok();
    assert_eq!(loaded.last_line(), plain.last_line());
    // The indexes built at the end go through the WAL too; the ingest leaves it emptied for its readers.
    for name in ["ordinary", "bulk"] {
        let wal = std::fs::metadata(dir.path().join(name).join("t.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
        assert_eq!(wal, 0, "bytes left in the WAL after the {name} ingest");
    }
    // Deadlines count from when each ingest ran, which may be a second apart.
    let subjects = |database: &str| {
        let mut listed = run(severn(database).args(["subjects", "--json"]))
            .ok()
            .json();
        for subject in listed.as_array_mut().unwrap() {
            subject.as_object_mut().unwrap().remove("due_at");
        }
        listed
    };
    assert_eq!(subjects(&bulk), subjects(&ordinary));
    let file = dir.path().join("bulk").join("t.db");
    let conn = rusqlite::Connection::open(&file).unwrap();
    let indexes: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN \
             ('referral_identifier_by_identifier', 'subject_queue', 'subject_queue_by_owner')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        indexes, 3,
        "the deferred indexes are built again at the end"
    );
}

#[test]
fn synth_refuses_a_directory_that_is_not_empty() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "not a corpus").unwrap();
    run(bare()
        .arg("synth")
        .args(["--reports", "10", "--out"])
        .arg(dir.path()))
    .failed();
    assert!(dir.path().join("keep.txt").exists());
}

const GOOD_REPORT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<report>
  <incidentSummary>
    <incidentType>Child Pornography (possession, manufacture, and distribution)</incidentType>
    <platform>ExampleChat for Android</platform>
    <incidentDateTime>2026-01-15T14:30:00Z</incidentDateTime>
  </incidentSummary>
  <reporter>
    <reportingPerson>
      <email type="Work" verified="true">trust-safety@service.example</email>
    </reportingPerson>
  </reporter>
  <personOrUserReported>
    <personOrUserReportedPerson>
      <phone type="Mobile" countryCallingCode="+44">7700900123</phone>
      <email type="Home" verified="false">EMAIL</email>
    </personOrUserReportedPerson>
    <espIdentifier>user-000042</espIdentifier>
    <espService>ExampleChat</espService>
    <ipCaptureEvent>
      <ipAddress>192.0.2.10</ipAddress>
      <eventName>Login</eventName>
      <dateTime>2026-01-15T14:00:00Z</dateTime>
    </ipCaptureEvent>
  </personOrUserReported>
</report>
"#;

fn report(email: &str) -> String {
    GOOD_REPORT.replace("EMAIL", email)
}

/// An inbox with report 900000001 (good) and 900000002 (truncated, so malformed XML).
fn inbox(dir: &Path) -> PathBuf {
    let inbox = dir.join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    std::fs::write(
        inbox.join("900000001.xml"),
        report("suspect.one@mail.example"),
    )
    .unwrap();
    let broken = report("suspect.two@mail.example");
    std::fs::write(inbox.join("900000002.xml"), &broken[..broken.len() / 2]).unwrap();
    inbox
}

fn open_rejects(database: &str) -> Vec<Value> {
    let listed = run(severn(database).args(["rejects", "--json"])).ok();
    listed
        .json()
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {}", listed.describe()))
        .clone()
}

#[test]
fn a_malformed_file_is_rejected_kept_and_retried_after_correction() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite(dir.path());
    let inbox = inbox(dir.path());

    let ingested = run(severn(&database).arg("ingest").arg(&inbox)).code(2);
    assert_eq!(
        counts(ingested.last_line()),
        (1, 0, 1),
        "{}",
        ingested.describe()
    );
    for reject in open_rejects(&database) {
        time(&reject["rejected_at"]);
        assert!(reject["resolved_at"].is_null(), "{reject}");
    }

    let listed = run(severn(&database).arg("rejects")).ok();
    assert!(
        listed.stdout.contains("900000002.xml") && listed.stdout.contains("malformed XML"),
        "the reject names the file and the reason: {}",
        listed.describe()
    );
    assert!(
        !listed.stdout.contains("900000001.xml"),
        "{}",
        listed.describe()
    );
    let rejects = open_rejects(&database);
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    let reject = &rejects[0];
    assert!(
        reject["path"].as_str().unwrap().ends_with("900000002.xml"),
        "{reject}"
    );
    assert!(!reject["reason"].as_str().unwrap().is_empty(), "{reject}");
    let id = reject["id"].as_i64().expect("reject id");

    std::fs::write(
        inbox.join("900000002.xml"),
        report("suspect.two@mail.example"),
    )
    .unwrap();
    let retried = run(severn(&database).args(["rejects", "retry", &id.to_string()])).ok();
    assert!(
        retried.stdout.contains("(resolved)"),
        "{}",
        retried.describe()
    );

    let listed = run(severn(&database).arg("rejects")).ok();
    assert_eq!(
        listed.last_line(),
        "No rejected documents.",
        "{}",
        listed.describe()
    );
    assert!(open_rejects(&database).is_empty());
    let all = run(severn(&database).args(["rejects", "--all"])).ok();
    assert!(all.stdout.contains("resolved"), "{}", all.describe());

    // The corrected report is now a referral; retrying a resolved reject is an error.
    run(severn(&database).args(["referral", "show", "900000002"])).ok();
    run(severn(&database).args(["rejects", "retry", &id.to_string()])).failed();
    run(severn(&database).args(["rejects", "retry", "999999"])).failed();
}

/// Retrying a file that is still broken leaves its one reject open: it does not add another reject for it.
#[test]
fn retrying_an_uncorrected_file_keeps_one_open_reject() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite(dir.path());
    let inbox = inbox(dir.path());
    run(severn(&database).arg("ingest").arg(&inbox)).code(2);
    let id = open_rejects(&database)[0]["id"]
        .as_i64()
        .unwrap()
        .to_string();

    for _ in 0..2 {
        let retried = run(severn(&database).args(["rejects", "retry", &id])).code(2);
        assert!(
            retried.stdout.contains("still rejected"),
            "{}",
            retried.describe()
        );
    }
    let retried = run(severn(&database).args(["rejects", "retry", &id, "--json"]))
        .code(2)
        .json();
    assert_eq!(retried[0]["reject"].as_i64().unwrap().to_string(), id);
    assert_eq!(
        (&retried[0]["rejected"], &retried[0]["resolved"]),
        (&Value::from(1), &Value::from(false)),
        "{retried}"
    );
    let open = open_rejects(&database);
    assert_eq!(
        open.len(),
        1,
        "one broken file, one open reject; got {}",
        serde_json::to_string_pretty(&open).unwrap()
    );
}

/// Rejects are retried from wherever the operator happens to be, not only from where they ingested.
#[test]
fn a_reject_ingested_by_relative_path_can_be_retried_from_another_directory() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite(dir.path());
    let inbox = inbox(dir.path());

    run(severn(&database)
        .current_dir(dir.path())
        .args(["ingest", "inbox"]))
    .code(2);
    let rejects = open_rejects(&database);
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    let id = rejects[0]["id"].as_i64().unwrap().to_string();

    std::fs::write(
        inbox.join("900000002.xml"),
        report("suspect.two@mail.example"),
    )
    .unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let retried = run(severn(&database)
        .current_dir(elsewhere.path())
        .args(["rejects", "retry", &id]));
    retried.ok();
    assert!(open_rejects(&database).is_empty());
}

#[test]
fn queue_json_is_sorted_by_due_time() {
    let (_dir, database) = ingested();
    let queue = run(severn(&database).args(["queue", "--json"])).ok();
    let entries = queue.json();
    let entries = entries.as_array().expect("an array");
    assert!(!entries.is_empty(), "{}", queue.describe());
    assert!(entries.len() <= 50, "the default limit is 50");
    let bands = ["very_high", "high", "medium", "low"];
    let mut due = Vec::new();
    for e in entries {
        assert!(e["subject"].is_i64(), "{e}");
        assert!(bands.contains(&e["band"].as_str().unwrap_or("")), "{e}");
        let due_at: jiff::Timestamp = e["due_at"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("due_at is not a timestamp: {e}"));
        due.push(due_at);
        assert!(!e["time_left"].as_str().unwrap_or("").is_empty(), "{e}");
        assert!(!e["reason"].as_str().unwrap_or("").is_empty(), "{e}");
    }
    assert!(
        due.windows(2).all(|w| w[0] <= w[1]),
        "not sorted by due_at: {due:?}"
    );
    let subjects: BTreeSet<i64> = entries
        .iter()
        .map(|e| e["subject"].as_i64().unwrap())
        .collect();
    assert_eq!(subjects.len(), entries.len(), "a subject is listed once");

    let limited = run(severn(&database).args(["queue", "--json", "--limit", "3"])).ok();
    assert_eq!(limited.json().as_array().unwrap().len(), 3);
    let text = run(severn(&database).arg("queue")).ok();
    assert!(
        text.stdout.trim_start().starts_with("subject"),
        "{}",
        text.describe()
    );
}

#[test]
fn subjects_json_holds_every_referral_once() {
    let (_dir, database) = ingested();
    let listed = run(severn(&database).args(["subjects", "--json"])).ok();
    let subjects = listed.json();
    let subjects = subjects.as_array().expect("an array");
    assert!(!subjects.is_empty());
    let mut all = BTreeSet::new();
    for s in subjects {
        assert!(s["subject"].is_i64(), "{s}");
        let referrals: BTreeSet<&str> = s["referrals"]
            .as_array()
            .unwrap_or_else(|| panic!("no referrals: {s}"))
            .iter()
            .map(|r| r.as_str().expect("a referral reference"))
            .collect();
        assert!(!referrals.is_empty(), "{s}");
        assert!(s["identifiers"].is_array(), "{s}");
        for link in s["links"]
            .as_array()
            .unwrap_or_else(|| panic!("no links: {s}"))
        {
            let referral = link["referral"].as_str().unwrap_or("");
            assert!(
                referrals.contains(referral),
                "a link names a referral of its own subject: {link} in {s}"
            );
        }
        for r in referrals {
            assert!(all.insert(r.to_owned()), "{r} is in two subjects");
        }
    }
    // 150 unique reports and 3 partner rows (seed 3): all of them belong to a subject.
    assert_eq!(all.len(), 153);
}

#[test]
fn referral_show_json_names_its_subject_and_explains_its_band() {
    let (_dir, database) = ingested();
    let subjects = run(severn(&database).args(["subjects", "--json"]))
        .ok()
        .json();
    let first = &subjects[0];
    let reference = first["referrals"][0].as_str().unwrap();

    let shown = run(severn(&database).args(["referral", "show", reference, "--json"])).ok();
    let view = shown.json();
    assert_eq!(view["referral"], reference, "{}", shown.describe());
    assert_eq!(
        view["subject"]["subject"],
        first["subject"],
        "{}",
        shown.describe()
    );
    assert!(view["explanation"].is_object(), "{}", shown.describe());
    assert!(
        view["explanation"]["band"].is_string(),
        "{}",
        shown.describe()
    );

    let text = run(severn(&database).args(["referral", "show", reference])).ok();
    assert!(text.stdout.contains(reference), "{}", text.describe());

    // The text form lists a referral's files with their hashes (metadata only).
    let with_files = subjects
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["referrals"].as_array().unwrap().iter())
        .map(|r| r.as_str().unwrap())
        .find_map(|r| {
            let view = run(severn(&database).args(["referral", "show", r, "--json"]))
                .ok()
                .json();
            let hash = view["report"]["files"][0]["hashes"][0]["value"]
                .as_str()?
                .to_owned();
            Some((r.to_owned(), hash))
        })
        .expect("the corpus has a referral with files");
    let text = run(severn(&database).args(["referral", "show", &with_files.0])).ok();
    assert!(
        text.stdout.contains("Files (metadata only):"),
        "{}",
        text.describe()
    );
    assert!(text.stdout.contains(&with_files.1), "{}", text.describe());
    let subject = first["subject"].as_i64().unwrap().to_string();
    let shown = run(severn(&database).args(["subject", "show", &subject, "--json"])).ok();
    assert_eq!(shown.json()["subject"], first["subject"]);

    run(severn(&database).args(["referral", "show", "ncmec:999999999"])).failed();
    run(severn(&database).args(["referral", "show", "not a reference"])).failed();
}

#[test]
fn risk_check_accepts_the_illustrative_tool_and_names_the_fault_in_a_broken_one() {
    let good = repo_file("risk-tools/kirat-illustrative-v2.toml");
    let checked = run(bare().args(["risk", "check"]).arg(&good)).ok();
    assert!(
        checked.stdout.contains("is valid"),
        "{}",
        checked.describe()
    );

    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&good).unwrap();
    assert!(
        text.contains("\nhigh = 9\n"),
        "the fixture changed: adjust this test"
    );
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, text.replace("\nhigh = 9\n", "\nhigh = 2\n")).unwrap();
    let refused = run(bare().args(["risk", "check"]).arg(&broken)).failed();
    assert!(
        refused.stderr.contains("broken.toml") && refused.stderr.contains("thresholds"),
        "the error names the file and the problem: {}",
        refused.describe()
    );

    let unparsable = dir.path().join("unparsable.toml");
    std::fs::write(&unparsable, "id = \"x\"\nversion = \n").unwrap();
    let refused = run(bare().args(["risk", "check"]).arg(&unparsable)).failed();
    assert!(refused.stderr.contains("line 2"), "{}", refused.describe());

    run(bare()
        .args(["risk", "check"])
        .arg(dir.path().join("missing.toml")))
    .failed();
}

#[test]
fn migrate_twice_is_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite(dir.path());
    for _ in 0..2 {
        let migrated = run(severn(&database).arg("migrate")).ok();
        assert!(
            migrated.stdout.contains("up to date"),
            "{}",
            migrated.describe()
        );
    }
    assert!(dir.path().join("t.db").exists());
}

#[test]
fn the_database_comes_from_severn_database_url_unless_given() {
    let dir = tempfile::tempdir().unwrap();
    let (corpus, _) = synth(dir.path(), 4, 40);
    let from_env = format!("sqlite://{}", dir.path().join("env.db").display());
    let ingested = run(bare()
        .env("SEVERN_DATABASE_URL", &from_env)
        .arg("ingest")
        .arg(corpus.join("packages")))
    .ok();
    let (count, _, _) = counts(ingested.last_line());
    assert!(count > 0);
    assert!(dir.path().join("env.db").exists());

    // The same database given explicitly holds those referrals.
    let subjects = run(severn(&from_env).args(["subjects", "--json"]))
        .ok()
        .json();
    assert!(!subjects.as_array().unwrap().is_empty());

    // --database wins over the environment.
    let other = sqlite(dir.path());
    run(bare()
        .env("SEVERN_DATABASE_URL", &from_env)
        .args(["--database", &other, "migrate"]))
    .ok();
    assert!(dir.path().join("t.db").exists());
    let empty = run(severn(&other).args(["subjects", "--json"])).ok().json();
    assert_eq!(empty, Value::Array(vec![]));
}

#[test]
fn the_default_database_is_severn_db_in_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let migrated = run(bare().current_dir(dir.path()).arg("migrate")).ok();
    assert!(
        migrated.stdout.contains("sqlite://severn.db"),
        "{}",
        migrated.describe()
    );
    assert!(dir.path().join("severn.db").exists());
}

#[test]
fn an_unsupported_database_url_is_refused_clearly() {
    for args in [&["migrate"][..], &["queue"][..], &["ingest", "."][..]] {
        let refused = run(severn("mysql://x").args(args)).failed();
        assert!(
            refused.stderr.contains("mysql://x") && refused.stderr.contains("not supported"),
            "{}",
            refused.describe()
        );
    }
}

/// A scratch PostgreSQL database, dropped when the test ends.
struct Scratch {
    admin: String,
    name: String,
}

impl Scratch {
    fn create(admin: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("severn_cli_{}_{nanos}", std::process::id());
        psql(admin, &format!("CREATE DATABASE {name}"));
        Scratch {
            admin: admin.to_owned(),
            name,
        }
    }

    /// The admin URL with this database in place of its own.
    fn url(&self) -> String {
        let (base, _) = self
            .admin
            .rsplit_once('/')
            .expect("SEVERN_TEST_POSTGRES_URL is postgres://USER@HOST:PORT/DB");
        format!("{base}/{}", self.name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let key = pg_audit_key(&self.url());
        let _ = std::fs::remove_file(key.with_extension("audit-checkpoints"));
        let _ = std::fs::remove_file(key);
        let _ = Command::new("psql")
            .arg(&self.admin)
            .args(["-v", "ON_ERROR_STOP=1", "-qc"])
            .arg(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .output();
    }
}

fn psql(url: &str, sql: &str) {
    let done = run(Command::new("psql")
        .arg(url)
        .args(["-v", "ON_ERROR_STOP=1", "-qc", sql]));
    done.ok();
}

#[test]
fn ingest_into_postgres() {
    let admin = std::env::var("SEVERN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let scratch = Scratch::create(&admin);
    let database = scratch.url();
    let dir = tempfile::tempdir().unwrap();
    let (corpus, summary) = synth(dir.path(), 5, 60);

    run(severn(&database).arg("migrate")).ok();
    ingest_twice(&database, &corpus, &summary);

    let subjects = run(severn(&database).args(["subjects", "--json"]))
        .ok()
        .json();
    let referrals: usize = subjects
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["referrals"].as_array().unwrap().len())
        .sum();
    assert_eq!(
        referrals as u64,
        field(&summary, "unique_reports")
            + field(&summary, "new_versions")
            + field(&summary, "partner_rows")
    );
    let queue = run(severn(&database).args(["queue", "--json"])).ok().json();
    assert!(!queue.as_array().unwrap().is_empty());
}

#[test]
fn audit_verify_passes_on_an_untouched_log_and_fails_under_another_key() {
    let (dir, database) = ingested();
    run(severn(&database).args(["queue"])).ok();
    let checkpoints = dir.path().join("t.db.audit-checkpoints");
    assert!(checkpoints.exists(), "every command checkpoints the log");
    let verified = run(severn(&database).args(["audit", "verify"])).ok();
    assert!(
        verified.last_line().contains("the log is intact"),
        "{}",
        verified.describe()
    );

    let shown =
        run(severn(&database).args(["audit", "show", "--actor", "operator:tester", "--json"]))
            .ok()
            .json();
    assert!(
        shown
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "view_queue"),
        "{shown}"
    );
    // Times in --json are RFC 3339 in UTC, as the API gives them.
    for entry in shown.as_array().unwrap() {
        time(&entry["at"]);
    }

    let other_key = dir.path().join("other.key");
    std::fs::write(&other_key, format!("{}\n", "ab".repeat(32))).unwrap();
    let refused = run(severn(&database)
        .arg("--audit-key")
        .arg(&other_key)
        .args(["audit", "verify"]))
    .code(1);
    assert!(
        refused.stdout.contains("was altered"),
        "{}",
        refused.describe()
    );
}

#[test]
fn organisations_and_staff_are_added_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite(dir.path());
    run(severn(&database).args(["org", "add", "SEV", "Severnshire Constabulary"])).ok();
    run(severn(&database).args([
        "org",
        "add",
        "PCC",
        "Office of the PCC",
        "--kind",
        "pcc_office",
    ]))
    .ok();
    let bad_kind = run(severn(&database).args(["org", "add", "X", "X", "--kind", "club"])).failed();
    assert!(bad_kind.stderr.contains("club"), "{}", bad_kind.describe());
    let orgs = run(severn(&database).args(["org", "list"])).ok();
    assert!(
        orgs.stdout.contains("SEV") && orgs.stdout.contains("pcc_office"),
        "{}",
        orgs.describe()
    );

    run(severn(&database).args([
        "staff",
        "add",
        "a.morgan",
        "--org",
        "sev",
        "--name",
        "Alex Morgan",
        "--role",
        "investigator",
        "--role",
        "supervisor",
    ]))
    .ok();
    let unknown =
        run(severn(&database).args(["staff", "add", "b", "--org", "NOPE", "--name", "B"])).failed();
    assert!(unknown.stderr.contains("NOPE"), "{}", unknown.describe());
    let bad_role = run(severn(&database).args([
        "staff", "add", "c", "--org", "SEV", "--name", "C", "--role", "chief",
    ]))
    .failed();
    assert!(bad_role.stderr.contains("chief"), "{}", bad_role.describe());
    let staff = run(severn(&database).args(["staff", "list"])).ok();
    assert!(
        staff.stdout.contains("a.morgan") && staff.stdout.contains("investigator,supervisor"),
        "{}",
        staff.describe()
    );
    let log = run(severn(&database).args(["audit", "show", "--limit", "100000", "--json"]))
        .ok()
        .json();
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["target"] == "staff:a.morgan" && e["processing"] == "alteration"),
        "{log}"
    );
}

/// `severn subjects --json | head -c 100`: the reader closing the pipe early ends the command quietly.
#[test]
fn a_reader_closing_the_pipe_early_is_not_an_error() {
    use std::io::Read as _;
    use std::process::Stdio;
    // Enough output to fill the pipe's buffer, so that writing really meets the closed pipe.
    let dir = tempfile::tempdir().unwrap();
    let (corpus, _) = synth(dir.path(), 4, 1500);
    let database = sqlite(dir.path());
    ingest(&database, &corpus).ok();
    for args in [
        &["subjects", "--json"][..],
        &["queue", "--limit", "100000"][..],
    ] {
        let mut child = severn(&database)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 16];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        // The read end is dropped here, with most of the output unread.
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

/// Two subjects of the seed-3 corpus.
fn two_subjects(database: &str) -> (i64, i64) {
    let subjects = run(severn(database).args(["subjects", "--json"]))
        .ok()
        .json();
    let ids: Vec<i64> = subjects
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subject"].as_i64().unwrap())
        .collect();
    (ids[0], ids[1])
}

#[test]
fn a_rationale_with_line_breaks_and_escape_sequences_cannot_forge_a_line_of_audit_show() {
    let (_dir, database) = ingested();
    let (a, b) = two_subjects(&database);
    let forged = "2026-12-01 09:00 UTC  operator:admin  consultation view_case subject:1 — allowed";
    let rationale =
        format!("same e-mail address\n{forged}\r\u{1b}[2K\u{202e}desrever\u{2028}{forged}");
    run(severn(&database).args([
        "subject",
        "merge",
        &a.to_string(),
        &b.to_string(),
        "--rationale",
        &rationale,
    ]))
    .ok();
    let shown = run(severn(&database).args(["audit", "show", "--limit", "100000"])).ok();
    // Every line is one entry: its sequence number first, one less than the line above's.
    let seqs: Vec<i64> = shown
        .stdout
        .lines()
        .map(|l| {
            l.split_whitespace()
                .next()
                .and_then(|seq| seq.parse().ok())
                .unwrap_or_else(|| panic!("a line that is not an entry: {l:?} in {}", shown.stdout))
        })
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] == w[1] + 1) && seqs.last() == Some(&1),
        "{}",
        shown.stdout
    );
    assert!(
        !shown.stdout.lines().any(|l| l.starts_with("2026-12-01")),
        "{}",
        shown.stdout
    );
    assert!(
        shown.stdout.contains(
            "why: same e-mail address\\n2026-12-01 09:00 UTC  operator:admin  consultation view_case \
             subject:1 — allowed\\r\\u{1b}[2K\\u{202e}desrever\\u{2028}2026-12-01"
        ),
        "{}",
        shown.stdout
    );
    assert!(
        !shown
            .stdout
            .contains(['\r', '\u{1b}', '\u{202e}', '\u{2028}']),
        "{}",
        shown.stdout
    );
}

#[test]
fn a_rationale_past_its_limit_is_refused_clearly_and_nothing_is_logged() {
    let (_dir, database) = ingested();
    let (a, b) = two_subjects(&database);
    let entries = || {
        run(severn(&database).args(["audit", "show", "--limit", "100000", "--json"]))
            .ok()
            .json()
            .as_array()
            .unwrap()
            .len()
    };
    let before = entries();
    let refused = run(severn(&database).args([
        "subject",
        "merge",
        &a.to_string(),
        &b.to_string(),
        "--rationale",
        &"x".repeat(100_000),
    ]))
    .failed();
    assert!(
        refused.stderr.contains(
            "The rationale may be at most 2,000 characters long; this one has 100,000. Shorten it."
        ),
        "{}",
        refused.describe()
    );
    // Reading the log is logged: the one entry the first `audit show` added, and none for the merge.
    assert_eq!(entries(), before + 1);
    assert_eq!(
        two_subjects(&database),
        (a, b),
        "the subjects were not merged"
    );
}

#[test]
fn service_tokens_are_issued_listed_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite(dir.path());
    run(severn(&database).args(["org", "add", "SEV", "Severnshire Constabulary"])).ok();
    let added = run(severn(&database).args([
        "staff",
        "add",
        "nca-feed",
        "--org",
        "SEV",
        "--name",
        "NCA feed",
        "--service",
        "--credentials",
    ]))
    .ok();
    assert!(added.stdout.contains("expires: "), "{}", added.describe());
    let too_long =
        run(severn(&database).args(["staff", "token", "issue", "nca-feed", "--days", "400"]))
            .failed();
    assert!(too_long.stderr.contains("365"), "{}", too_long.describe());
    let wordy = "x".repeat(101);
    let wordy =
        run(severn(&database).args(["staff", "token", "issue", "nca-feed", "--label", &wordy]))
            .failed();
    assert!(wordy.stderr.contains("at most 100"), "{}", wordy.describe());
    let forged = run(severn(&database).args([
        "staff",
        "token",
        "issue",
        "nca-feed",
        "--label",
        "weekly\nforged line",
    ]))
    .failed();
    assert!(
        forged.stderr.contains("must be one line of text"),
        "{}",
        forged.describe()
    );
    let weekly = run(severn(&database).args([
        "staff", "token", "issue", "nca-feed", "--label", "weekly", "--days", "7",
    ]))
    .ok();
    assert!(
        weekly.stdout.starts_with("api token: "),
        "{}",
        weekly.describe()
    );

    let listed = run(severn(&database).args(["staff", "token", "list", "nca-feed"])).ok();
    assert_eq!(listed.stdout.lines().count(), 2, "{}", listed.describe());
    assert!(listed.stdout.contains("weekly"), "{}", listed.describe());
    let tokens = run(severn(&database).args(["staff", "token", "list", "nca-feed", "--json"]))
        .ok()
        .json();
    let tokens = tokens.as_array().unwrap();
    assert_eq!(tokens.len(), 2);
    assert!(
        tokens
            .iter()
            .all(|t| t["status"] == "active" && t["account"] == "nca-feed")
    );
    let weekly = &tokens[0];
    assert_eq!(weekly["label"], "weekly");
    assert_eq!(
        time(&weekly["expires_at"]) - time(&weekly["created_at"]),
        7 * 24 * 60 * 60
    );

    let id = weekly["id"].as_i64().unwrap().to_string();
    let revoked = run(severn(&database).args(["staff", "token", "revoke", &id])).ok();
    assert!(revoked.stdout.contains("revoked"), "{}", revoked.describe());
    let tokens = run(severn(&database).args(["staff", "token", "list", "nca-feed", "--json"]))
        .ok()
        .json();
    assert_eq!(tokens[0]["status"], "revoked");
    assert_eq!(tokens[1]["status"], "active");
    run(severn(&database).args(["staff", "token", "revoke", "99999"])).failed();

    let log = run(severn(&database).args(["audit", "show", "--json"]))
        .ok()
        .json();
    let revocation = format!("API token {id} revoked: weekly");
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["target"] == "staff:nca-feed" && e["detail"] == revocation.as_str()),
        "{log}"
    );
}

/// The entries `severn audit show` holds for the operator `tester`, as (action, target, outcome).
fn logged_by_tester(database: &str) -> Vec<(String, String, String)> {
    let log = run(severn(database).args([
        "audit",
        "show",
        "--actor",
        "operator:tester",
        "--limit",
        "100000",
        "--json",
    ]))
    .ok()
    .json();
    log.as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let text = |name: &str| e[name].as_str().unwrap().to_owned();
            (text("action"), text("target"), text("outcome"))
        })
        .collect()
}

#[test]
fn every_read_at_the_command_line_is_logged_under_the_operator() {
    let dir = tempfile::tempdir().unwrap();
    let (corpus, _) = synth(dir.path(), 3, 150);
    let database = sqlite(dir.path());
    ingest(&database, &corpus).ok();
    run(severn(&database).args(["org", "add", "SEV", "Severnshire Constabulary"])).ok();
    run(severn(&database).args([
        "staff",
        "add",
        "a.morgan",
        "--org",
        "SEV",
        "--name",
        "Alex Morgan",
        "--role",
        "investigator",
    ]))
    .ok();
    run(severn(&database).args(["org", "list"])).ok();
    run(severn(&database).args(["staff", "list"])).ok();
    let unknown = run(severn(&database).args(["staff", "token", "list", "nobody"])).failed();
    assert!(unknown.stderr.contains("nobody"), "{}", unknown.describe());
    let quality = run(severn(&database)
        .arg("quality")
        .arg("--truth")
        .arg(corpus.join("ground-truth.csv"))
        .arg("--json"))
    .ok()
    .json();
    assert!(quality["precision"].as_f64().is_some(), "{quality}");
    run(severn(&database)
        .args(["risk", "install"])
        .arg(repo_file("risk-tools/kirat-illustrative-v2.toml")))
    .ok();

    let logged = logged_by_tester(&database);
    let has = |action: &str, target: &str| {
        logged
            .iter()
            .filter(|(a, t, o)| a == action && t == target && o == "allowed")
            .count()
    };
    // `staff add` reads the organisations to find the one named, as `org list` does.
    assert_eq!(has("view_aggregates", "orgs"), 2, "{logged:?}");
    // `staff token list` looks the account up in the staff list, logged even when it is not there.
    assert_eq!(has("manage_staff", "staff:all"), 2, "{logged:?}");
    assert_eq!(has("measure_linking", "referrals:all"), 1, "{logged:?}");
    assert_eq!(
        has("install_risk_tool", "risk_tool:kirat-illustrative 2.0.0"),
        1,
        "{logged:?}"
    );
}

#[test]
fn the_demo_logs_the_counts_it_prints() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite(dir.path());
    let built = run(severn(&database)
        .args(["demo", "--reports", "300", "--no-serve", "--corpus"])
        .arg(dir.path().join("corpus")))
    .ok();
    assert!(
        built.stdout.contains("referrals in"),
        "{}",
        built.describe()
    );
    // A year of casework: most subjects became cases.
    let cases: usize = built
        .stdout
        .split(" cases.")
        .next()
        .and_then(|before| before.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(cases > 50, "{}", built.describe());
    let logged = logged_by_tester(&database);
    assert!(
        logged
            .iter()
            .any(|(a, t, o)| a == "view_aggregates" && t == "aggregates:counts" && o == "allowed"),
        "{logged:?}"
    );
}

#[test]
fn every_command_that_prints_data_answers_in_json_with_times_in_rfc3339() {
    let dir = tempfile::tempdir().unwrap();
    let (corpus, summary) = synth(dir.path(), 3, 150);
    let database = sqlite(dir.path());
    let json = |args: &[&str]| run(severn(&database).args(args).arg("--json")).ok().json();

    let ingested = run(severn(&database)
        .arg("ingest")
        .arg(corpus.join("packages"))
        .arg(corpus.join("partner"))
        .arg("--json"))
    .ok()
    .json();
    assert_eq!(
        ingested["ingested"].as_u64().unwrap(),
        field(&summary, "unique_reports")
            + field(&summary, "new_versions")
            + field(&summary, "partner_rows"),
        "{ingested}"
    );
    assert_eq!(ingested["rejected"], 0);

    let org = json(&["org", "add", "SEV", "Severnshire Constabulary"]);
    assert_eq!(
        (org["code"].as_str(), org["kind"].as_str()),
        (Some("SEV"), Some("force"))
    );
    let orgs = json(&["org", "list"]);
    assert_eq!(orgs[0]["name"], "Severnshire Constabulary", "{orgs}");

    let feed = json(&[
        "staff",
        "add",
        "nca-feed",
        "--org",
        "SEV",
        "--name",
        "NCA feed",
        "--service",
        "--credentials",
    ]);
    assert_eq!(feed["username"], "nca-feed", "{feed}");
    let expires = feed["credentials"]["expires_at"].as_str().unwrap();
    assert!(
        expires.parse::<jiff::Timestamp>().is_ok() && expires.ends_with('Z'),
        "{feed}"
    );
    let staff = json(&["staff", "list"]);
    assert_eq!(staff[0]["username"], "nca-feed", "{staff}");
    assert_eq!(staff[0]["kind"], "service", "{staff}");
    let issued = json(&["staff", "token", "issue", "nca-feed", "--days", "7"]);
    assert!(issued["api_token"].is_string(), "{issued}");
    // Text shows the same time in UK time, with its zone.
    let listed = run(severn(&database).args(["staff", "token", "list", "nca-feed"])).ok();
    assert!(
        listed.stdout.contains(" GMT") || listed.stdout.contains(" BST"),
        "{}",
        listed.describe()
    );

    let tool = repo_file("risk-tools/kirat-illustrative-v2.toml");
    let tool = tool.to_str().unwrap();
    assert_eq!(json(&["risk", "check", tool])["version"], "2.0.0");
    assert_eq!(json(&["risk", "install", tool])["version"], "2.0.0");
    let shown = json(&["risk", "show"]);
    assert!(
        !shown["questions"].as_array().unwrap().is_empty(),
        "{shown}"
    );
    let rescored = json(&["risk", "rescore"]);
    assert_eq!(rescored["tool"], "kirat-illustrative 2.0.0", "{rescored}");

    let (a, b) = two_subjects(&database);
    let merged = json(&[
        "subject",
        "merge",
        &a.to_string(),
        &b.to_string(),
        "--rationale",
        "same e-mail address",
    ]);
    assert_eq!(merged["subject"], a, "{merged}");
    assert!(
        merged["due_at"]
            .as_str()
            .is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok()),
        "{merged}"
    );

    let quality = run(severn(&database)
        .arg("quality")
        .arg("--truth")
        .arg(corpus.join("ground-truth.csv"))
        .arg("--json"))
    .ok()
    .json();
    assert!(quality["recall"].as_f64().is_some(), "{quality}");
    assert!(json(&["rejects"]).as_array().unwrap().is_empty());

    // Cases, training and the allocation policy.
    let opened = json(&["case", "open", &a.to_string()]);
    let case = opened["case"].as_i64().unwrap().to_string();
    let recorded = json(&[
        "case",
        "record",
        &case,
        "--fact",
        r#"{"kind":"research_started"}"#,
    ]);
    assert!(recorded["event"].as_i64().is_some(), "{recorded}");
    let shown = json(&["case", "show", &case]);
    assert_eq!(shown["events"][0]["kind"], "research_started", "{shown}");
    assert!(shown["profile"]["referrals"].as_u64() >= Some(1), "{shown}");
    let text = run(severn(&database).args(["case", "show", &case])).ok();
    assert!(text.stdout.contains("suspect, from "), "{}", text.stdout);
    assert!(text.stdout.contains("band by "), "{}", text.stdout);
    assert!(
        shown["events"][0]["occurred_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{shown}"
    );
    assert_eq!(json(&["cases"])["total"], 1);
    let filtered = json(&[
        "cases", "--list", "open", "--sort", "case", "--order", "desc", "--clock", "stopped",
    ]);
    assert_eq!(filtered["total"], 0, "{filtered}");
    assert_eq!(
        filtered["query"],
        "list=open&clock=stopped&sort=case&order=desc"
    );
    let refused = run(severn(&database).args(["cases", "--band", "purple"])).failed();
    assert!(
        refused.stderr.contains("\"band\"")
            && refused.stderr.contains("very_high, high, medium, low"),
        "{}",
        refused.describe()
    );
    let period = ["--from", "2000-01-01", "--to", "2100-12-31"];
    let allocations = json(&[&["audit", "allocation"][..], &period[..]].concat());
    assert_eq!(allocations["allocations"], 0, "{allocations}");
    let warrants = json(&[&["audit", "warrants"][..], &period[..]].concat());
    assert_eq!(warrants["applications"], 0, "{warrants}");
    assert_eq!(
        json(&["allocation", "show"])["id"],
        "illustrative-allocation"
    );
    let training = dir.path().join("training.csv");
    std::fs::write(
        &training,
        "username,skill,achieved_on,expires_on,evidence\nnca-feed,pip1,2025-01-01,,Cert 1\n",
    )
    .unwrap();
    let imported = json(&[
        "training",
        "import",
        training.to_str().unwrap(),
        "--org",
        "SEV",
    ]);
    assert_eq!(imported["imported"], 1, "{imported}");
    assert_eq!(
        json(&["training", "skills", "--org", "SEV"])
            .as_array()
            .unwrap()
            .len(),
        6
    );
    assert!(json(&["training", "coverage", "--org", "SEV"])["teams"].is_array());
    let exported = json(&["training", "export", "--org", "SEV"]);
    assert_eq!(
        exported[0]["record"]["achieved_on"], "2025-01-01",
        "{exported}"
    );
    assert!(json(&["audit", "checkpoint"])["seq"].as_i64().unwrap() > 0);
}
