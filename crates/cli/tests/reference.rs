//! `severn reference`: a child's local authority looked up, and the reference lists loaded and shown, against
//! a SQLite database of the test's own.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn severn(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_severn"));
    command
        .env_remove("SEVERN_DATABASE_URL")
        .env_remove("SEVERN_AUDIT_KEY_FILE")
        .env_remove("SEVERN_AUDIT_CHECKPOINTS")
        .env("USER", "tester")
        .arg("--database")
        .arg(format!("sqlite://{}", dir.join("t.db").display()));
    command
}

fn run(dir: &Path, args: &[&str]) -> Output {
    severn(dir).args(args).output().expect("severn runs")
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn codes(found: &Value) -> Vec<&str> {
    found["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect()
}

#[test]
fn a_boundary_district_lists_every_candidate_and_a_postcode_finds_its_authority() {
    let dir = tempfile::tempdir().unwrap();
    let found = json(dir.path(), &["reference", "lookup", "bs16 1qy", "--json"]);
    assert_eq!(found["result"], "several");
    assert_eq!(codes(&found), ["bristol", "south-gloucestershire"]);
    let found = json(dir.path(), &["reference", "lookup", "CF10 1AA", "--json"]);
    assert_eq!(found["result"], "one");
    assert_eq!(codes(&found), ["cardiff"]);
    assert_eq!(found["candidates"][0]["nation"], "Wales");
    let found = json(dir.path(), &["reference", "lookup", "Narnia", "--json"]);
    assert_eq!(found["result"], "unknown");

    let text = run(dir.path(), &["reference", "lookup", "BS16"]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("choose the child's"), "{text}");
    assert!(
        text.contains("South Gloucestershire (south-gloucestershire, England)"),
        "{text}"
    );
}

#[test]
fn a_newer_list_is_loaded_after_its_lines_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = json(
        dir.path(),
        &["reference", "show", "local-authorities", "--json"],
    );
    assert_eq!(shipped["shipped"], true);
    assert_eq!(shipped["authorities"].as_array().unwrap().len(), 175);

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "code,name,nation,area\nleeds,Leeds,England,LS1\nleeds,Leeds City,England,LS2\n",
    )
    .unwrap();
    let refused = run(
        dir.path(),
        &[
            "reference",
            "load",
            "local-authorities",
            bad.to_str().unwrap(),
        ],
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8(refused.stderr).unwrap();
    assert!(
        stderr.contains("local authorities line 3, name:"),
        "{stderr}"
    );
    assert_eq!(
        json(
            dir.path(),
            &["reference", "show", "local-authorities", "--json"]
        )["shipped"],
        true
    );

    let good = dir.path().join("holidays.csv");
    std::fs::write(
        &good,
        "date,name\n2029-01-01,New Year's Day\n2029-12-25,Christmas Day\n",
    )
    .unwrap();
    let loaded = json(
        dir.path(),
        &[
            "reference",
            "load",
            "bank-holidays",
            good.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(loaded["loaded_by"], "operator:tester");
    let shown = json(
        dir.path(),
        &["reference", "show", "bank-holidays", "--json"],
    );
    assert_eq!(shown["shipped"], false);
    assert_eq!(shown["sha256"], loaded["sha256"]);
    assert_eq!(shown["first_year"], 2029);
    assert_eq!(shown["holidays"][1]["name"], "Christmas Day");
}
