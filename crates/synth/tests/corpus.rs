//! Whole-corpus checks on small generated corpora.

use serde_json::Value;
use severn_synth::{SynthError, SynthOptions, SynthSummary, write_corpus};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The reference schema, from the `shared/` folder that sits beside the repository (on developers' machines
/// and in CI alike).
const XSD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/reference/cybertipline/cyber_tipline.xsd"
);

fn options(seed: u64, dir: &Path, hard: bool) -> SynthOptions {
    SynthOptions {
        seed,
        reports: 240,
        out: dir.to_path_buf(),
        reports_per_package: 40,
        hard_cases: hard,
        partner_csv_rows: 12,
        forces: Vec::new(),
    }
}

fn generate(seed: u64, hard: bool) -> (tempfile::TempDir, SynthSummary) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("corpus");
    let summary = write_corpus(&options(seed, &out, hard)).unwrap();
    (dir, summary)
}

fn files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn is_report_doc(path: &Path) -> bool {
    let name = path.file_name().unwrap().to_str().unwrap();
    (name.ends_with(".xml") && !name.ends_with(".filedetails.xml"))
        || (name.ends_with(".json") && name != "package.json" && name != "summary.json")
}

/// Contents of every `<tag ...>value</tag>` in `text`.
fn tag_values<'a>(text: &'a str, tag: &str) -> Vec<(&'a str, &'a str)> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(gt) = after.find('>') else { break };
        let attrs = &after[..gt];
        if !(attrs.is_empty() || attrs.starts_with(' ')) || attrs.ends_with('/') {
            rest = &after[gt..];
            continue;
        }
        let body = &after[gt + 1..];
        let end = body.find(&close).unwrap();
        out.push((attrs, &body[..end]));
        rest = &body[end..];
    }
    out
}

/// Identifiers of the reported person in one report document.
#[derive(Default, Debug)]
struct Facts {
    id: String,
    service: String,
    user_id: String,
    emails: Vec<String>,
    phones: Vec<String>,
    devices: Vec<String>,
    ips: Vec<(String, bool)>,
}

fn national(raw: &str, country_code: Option<&str>) -> String {
    let digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
    if country_code.is_some() {
        return format!("0{digits}");
    }
    let digits = digits
        .strip_prefix("00")
        .map(str::to_owned)
        .unwrap_or(digits);
    match digits.strip_prefix("44") {
        Some(rest) if !raw.trim().starts_with('0') || raw.trim().starts_with("00") => {
            format!("0{rest}")
        }
        _ => digits,
    }
}

fn facts(path: &Path, text: &str) -> Facts {
    let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
    let mut f = Facts {
        id: stem,
        ..Facts::default()
    };
    if path.extension().unwrap() == "xml" {
        let person = tag_values(text, "personOrUserReported")[0].1;
        f.service = tag_values(person, "espService")[0].1.to_owned();
        f.user_id = tag_values(person, "espIdentifier")[0].1.to_owned();
        f.emails = tag_values(person, "email")
            .iter()
            .map(|(_, v)| v.to_string())
            .collect();
        f.phones = tag_values(person, "phone")
            .iter()
            .map(|(attrs, v)| national(v, attrs.contains("countryCallingCode").then_some("+44")))
            .collect();
        f.devices = tag_values(person, "idValue")
            .iter()
            .map(|(_, v)| v.to_string())
            .collect();
        for (_, event) in tag_values(person, "ipCaptureEvent") {
            let ip = tag_values(event, "ipAddress")[0].1.to_owned();
            let proxy = tag_values(event, "possibleProxy")
                .first()
                .is_some_and(|(_, v)| *v == "true");
            f.ips.push((ip, proxy));
        }
    } else {
        let doc: Value = serde_json::from_str(text).unwrap();
        let p = &doc["reportedInformation"]["reportedPeople"]["reportedPersons"][0];
        f.service = p["espService"].as_str().unwrap().to_owned();
        f.user_id = p["espUserId"].as_str().unwrap().to_owned();
        for e in p["emails"]["emails"].as_array().into_iter().flatten() {
            f.emails.push(e["value"].as_str().unwrap().to_owned());
        }
        for ph in p["phones"]["phones"].as_array().into_iter().flatten() {
            f.phones.push(national(ph["value"].as_str().unwrap(), None));
        }
        for d in p["deviceIds"].as_array().into_iter().flatten() {
            f.devices.push(d["idValue"].as_str().unwrap().to_owned());
        }
        for c in p["sourceInformation"]["sourceCaptures"].as_array().unwrap() {
            let proxy = c["possibleProxy"].as_bool() == Some(true);
            f.ips.push((c["value"].as_str().unwrap().to_owned(), proxy));
        }
    }
    f
}

fn ground_truth(root: &Path) -> Vec<(String, String)> {
    let text = fs::read_to_string(root.join("ground-truth.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("source_ref,suspect"));
    lines
        .map(|l| {
            let (a, b) = l.split_once(',').unwrap();
            (a.to_owned(), b.to_owned())
        })
        .collect()
}

/// Facts of every report document with its true suspect.
fn all_facts(root: &Path) -> Vec<(Facts, String)> {
    let truth: HashMap<String, String> = ground_truth(root).into_iter().collect();
    files(root)
        .into_iter()
        .filter(|p| is_report_doc(p))
        .map(|p| {
            let f = facts(&p, &fs::read_to_string(&p).unwrap());
            let suspect = truth[&format!("ncmec:{}", f.id)].clone();
            (f, suspect)
        })
        .collect()
}

#[test]
fn same_seed_gives_identical_bytes() {
    let (a, _) = generate(11, true);
    let (b, _) = generate(11, true);
    let (c, _) = generate(12, true);
    let read = |dir: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        files(dir)
            .into_iter()
            .map(|p| {
                (
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    fs::read(&p).unwrap(),
                )
            })
            .collect()
    };
    let (fa, fb, fc) = (read(a.path()), read(b.path()), read(c.path()));
    assert!(fa.len() > 100);
    assert!(fa == fb, "two runs with the same seed differ");
    assert!(fa != fc, "different seeds give the same corpus");
}

#[test]
fn summary_matches_files_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("corpus");
    // Large enough for several re-sends of each kind.
    let summary = write_corpus(&SynthOptions {
        reports: 600,
        reports_per_package: 50,
        ..options(3, &root, true)
    })
    .unwrap();
    let on_disk: SynthSummary = {
        let v: Value =
            serde_json::from_str(&fs::read_to_string(root.join("summary.json")).unwrap()).unwrap();
        assert_eq!(v["reports"], summary.reports);
        assert_eq!(v["file_details"], summary.file_details);
        summary.clone()
    };
    let all = files(&root);
    let docs: Vec<&PathBuf> = all.iter().filter(|p| is_report_doc(p)).collect();
    assert_eq!(docs.len(), on_disk.reports);
    let file_details = all
        .iter()
        .filter(|p| p.to_str().unwrap().ends_with(".filedetails.xml"))
        .count();
    assert_eq!(file_details, summary.file_details);
    assert!(file_details > 0);
    let packages = all.iter().filter(|p| p.ends_with("package.json")).count();
    assert_eq!(packages, summary.packages);
    assert_eq!(summary.packages, 12);
    assert_eq!(summary.unique_reports, 600);

    // Per report ID, each re-send is either identical to the previous send or a new version.
    let mut by_id: BTreeMap<String, Vec<(PathBuf, Vec<u8>)>> = BTreeMap::new();
    for p in &docs {
        let id = p.file_stem().unwrap().to_str().unwrap().to_owned();
        by_id
            .entry(id)
            .or_default()
            .push((p.to_path_buf(), fs::read(p).unwrap()));
    }
    assert_eq!(by_id.len(), summary.unique_reports);
    let (mut dups, mut versions) = (0, 0);
    for sends in by_id.values_mut() {
        sends.sort();
        for pair in sends.windows(2) {
            if pair[0].1 == pair[1].1 {
                dups += 1;
            } else {
                versions += 1;
            }
        }
    }
    assert_eq!((dups, versions), (summary.duplicates, summary.new_versions));
    assert!(
        summary.duplicates > 0 && summary.new_versions > 0,
        "{summary:?}"
    );
    assert_eq!(summary.reports, summary.unique_reports + dups + versions);

    let csv = fs::read_to_string(root.join("partner/referrals.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(reader.records().count(), summary.partner_rows);
    assert_eq!(summary.partner_rows, 12);

    let truth = ground_truth(&root);
    let suspects: BTreeSet<&String> = truth.iter().map(|(_, s)| s).collect();
    assert_eq!(suspects.len(), summary.suspects);
}

#[test]
fn ground_truth_covers_every_source_ref_once() {
    let (dir, summary) = generate(5, true);
    let root = dir.path().join("corpus");
    let truth = ground_truth(&root);
    let keys: BTreeSet<&String> = truth.iter().map(|(k, _)| k).collect();
    assert_eq!(keys.len(), truth.len(), "a source ref appears twice");
    assert_eq!(truth.len(), summary.unique_reports + summary.partner_rows);
    let mut expected = BTreeSet::new();
    for p in files(&root).iter().filter(|p| is_report_doc(p)) {
        expected.insert(format!(
            "ncmec:{}",
            p.file_stem().unwrap().to_str().unwrap()
        ));
    }
    let csv = fs::read_to_string(root.join("partner/referrals.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "source_reference");
    for record in reader.records() {
        let r = record.unwrap();
        expected.insert(format!("ext:{}/{}", &r[1], &r[0]));
    }
    let keys: BTreeSet<String> = keys.into_iter().cloned().collect();
    assert_eq!(keys, expected);
}

#[test]
fn every_xml_validates_against_the_schema() {
    let (dir, _) = generate(7, true);
    let xml: Vec<PathBuf> = files(dir.path())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    assert!(xml.len() > 100);
    for chunk in xml.chunks(200) {
        let output = Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(XSD)
            .args(chunk)
            .output()
            .expect("xmllint is required for this test (Debian package libxml2-utils)");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .filter(|l| !l.ends_with(" validates"))
                .take(20)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
fn every_json_parses_and_manifests_list_existing_documents() {
    let (dir, _) = generate(9, true);
    for p in files(dir.path()) {
        let name = p.file_name().unwrap().to_str().unwrap().to_owned();
        if !name.ends_with(".json") {
            continue;
        }
        let v: Value = serde_json::from_str(&fs::read_to_string(&p).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        if name == "package.json" {
            let pkg = p.parent().unwrap();
            assert_eq!(v["format"], "severn-nca-package/1");
            let mut listed = BTreeSet::from(["package.json".to_owned()]);
            for entry in v["reports"].as_array().unwrap() {
                let doc = entry["document"].as_str().unwrap();
                assert!(doc.starts_with(entry["ncmecReportId"].as_str().unwrap()));
                listed.insert(doc.to_owned());
                for fd in entry["fileDetails"].as_array().into_iter().flatten() {
                    listed.insert(fd.as_str().unwrap().to_owned());
                }
            }
            let present: BTreeSet<String> = fs::read_dir(pkg)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            assert_eq!(listed, present, "{}", pkg.display());
        } else if name != "summary.json" {
            assert_eq!(
                v["reportId"].as_str().unwrap(),
                p.file_stem().unwrap().to_str().unwrap()
            );
        }
    }
}

fn documentation_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => matches!(
            v4.octets(),
            [192, 0, 2, _] | [198, 51, 100, _] | [203, 0, 113, _]
        ),
        IpAddr::V6(v6) => v6.segments()[..2] == [0x2001, 0x0db8],
    }
}

#[test]
fn only_documentation_addresses_domains_and_drama_numbers() {
    let (dir, _) = generate(13, true);
    let mut ips = 0;
    let mut emails = 0;
    for p in files(dir.path()) {
        let text = fs::read_to_string(&p).unwrap();
        for token in text.split(|c: char| !(c.is_ascii_hexdigit() || c == ':' || c == '.')) {
            let token = token.trim_matches('.');
            if let Ok(ip) = token.parse::<IpAddr>() {
                assert!(documentation_ip(ip), "{token} in {}", p.display());
                ips += 1;
            }
        }
        for token in text.split(|c: char| c.is_whitespace() || "<>\",;()".contains(c)) {
            if let Some((_, domain)) = token.trim_end_matches('.').split_once('@') {
                let domain = domain.to_lowercase();
                assert!(
                    domain.ends_with(".example") || domain.ends_with(".test"),
                    "{token} in {}",
                    p.display()
                );
                emails += 1;
            }
        }
    }
    assert!(ips > 100 && emails > 100);
    let drama = [
        "07700900", "0113496", "0114496", "0115496", "0116496", "0117496", "0118496", "0121496",
        "0131496", "0141496", "0161496",
    ];
    let mut phone_owners: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (f, suspect) in all_facts(&dir.path().join("corpus")) {
        for phone in f.phones {
            assert!(
                phone.len() == 11 && drama.iter().any(|d| phone.starts_with(d)),
                "{phone}"
            );
            phone_owners
                .entry(phone)
                .or_default()
                .insert(suspect.clone());
        }
    }
    // Real mobiles are never shared: only the placeholder is (landlines are shared within a household).
    for (phone, owners) in &phone_owners {
        if phone.starts_with("07700") && phone != "07700900000" {
            assert_eq!(owners.len(), 1, "{phone} shared by {owners:?}");
        }
    }
}

#[test]
fn hard_cases_are_present() {
    let (dir, _) = generate(17, true);
    let facts = all_facts(&dir.path().join("corpus"));
    let mut services: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    let mut owners: HashMap<String, BTreeSet<&str>> = HashMap::new();
    let mut user_ids: HashMap<&str, BTreeSet<(&str, &str)>> = HashMap::new();
    let mut proxy_ips: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    let mut plain_ips: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    let mut variant_email = false;
    let mut variant_phone = false;
    for (f, s) in &facts {
        services.entry(s).or_default().insert(&f.service);
        user_ids
            .entry(&f.user_id)
            .or_default()
            .insert((&f.service, s));
        for e in &f.emails {
            variant_email |= e.trim() != e || e.chars().any(|c| c.is_ascii_uppercase());
            owners.entry(e.trim().to_lowercase()).or_default().insert(s);
        }
        for d in &f.devices {
            owners.entry(d.clone()).or_default().insert(s);
        }
        for p in &f.phones {
            owners.entry(p.clone()).or_default().insert(s);
        }
        for (ip, proxy) in &f.ips {
            let map = if *proxy {
                &mut proxy_ips
            } else {
                &mut plain_ips
            };
            map.entry(ip).or_default().insert(s);
        }
    }
    let root = dir.path().join("corpus");
    for p in files(&root).iter().filter(|p| is_report_doc(p)) {
        let text = fs::read_to_string(p).unwrap();
        variant_phone |= text.contains("countryCallingCode=\"+44\"") || text.contains("+44 7700");
    }
    assert!(variant_email && variant_phone);
    assert!(
        services.values().any(|s| s.len() >= 2),
        "no suspect on several services"
    );
    let shared_placeholder = [
        "unknown@unknown.example",
        "noreply@service.example",
        "none@none.test",
        "000000000000000",
        "123456789012345",
        "07700900000",
    ]
    .iter()
    .any(|p| owners.get(*p).is_some_and(|o| o.len() >= 5));
    assert!(shared_placeholder, "no placeholder shared by 5 suspects");
    assert!(
        user_ids.values().any(|u| {
            let services: BTreeSet<_> = u.iter().map(|(svc, _)| svc).collect();
            let people: BTreeSet<_> = u.iter().map(|(_, s)| s).collect();
            services.len() >= 2 && people.len() >= 2
        }),
        "no user ID reused by different people on different services"
    );
    assert!(
        proxy_ips.values().any(|o| o.len() >= 3),
        "no shared VPN exit"
    );
    assert!(
        plain_ips
            .iter()
            .any(|(ip, o)| ip.starts_with("198.51.100.") && o.len() >= 5),
        "no shared CGNAT address"
    );
    assert!(
        plain_ips
            .iter()
            .any(|(ip, o)| !ip.starts_with("198.51.100.") && o.len() >= 2),
        "no household sharing an address"
    );
}

#[test]
fn without_hard_cases_no_identifier_is_shared_between_suspects() {
    let (dir, summary) = generate(19, false);
    assert_eq!((summary.duplicates, summary.new_versions), (0, 0));
    let mut owners: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (f, s) in all_facts(&dir.path().join("corpus")) {
        let mut keys = vec![format!("{}|{}", f.service, f.user_id)];
        keys.extend(f.emails.iter().cloned());
        keys.extend(f.phones.iter().cloned());
        keys.extend(f.devices.iter().cloned());
        keys.extend(f.ips.iter().map(|(ip, _)| ip.clone()));
        for k in keys {
            owners.entry(k).or_default().insert(s.clone());
        }
    }
    for (k, o) in owners {
        assert_eq!(o.len(), 1, "{k} shared by {o:?}");
    }
}

#[test]
fn with_several_forces_each_suspect_is_sent_to_one_force_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("corpus");
    let mut opts = options(4, &out, true);
    opts.forces = vec!["Force A".into(), "Force B".into(), "Force C".into()];
    let summary = write_corpus(&opts).unwrap();
    let truth: HashMap<String, String> = ground_truth(&out).into_iter().collect();
    let mut force_of_suspect: HashMap<String, String> = HashMap::new();
    let mut forces_seen = BTreeSet::new();
    let mut reports = 0;
    for entry in fs::read_dir(out.join("packages")).unwrap() {
        let package = entry.unwrap().path();
        let manifest: Value =
            serde_json::from_str(&fs::read_to_string(package.join("package.json")).unwrap())
                .unwrap();
        let force = manifest["receivingForce"].as_str().unwrap().to_owned();
        forces_seen.insert(force.clone());
        for report in manifest["reports"].as_array().unwrap() {
            let id = report["ncmecReportId"].as_str().unwrap();
            let suspect = &truth[&format!("ncmec:{id}")];
            let first = force_of_suspect
                .entry(suspect.clone())
                .or_insert(force.clone());
            assert_eq!(*first, force, "suspect {suspect} went to two forces");
            reports += 1;
        }
    }
    assert_eq!(forces_seen.len(), 3);
    assert_eq!(reports, summary.reports);
}

#[test]
fn refuses_a_non_empty_output_directory() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("keep.txt"), "x").unwrap();
    let err = write_corpus(&options(1, dir.path(), true)).unwrap_err();
    assert!(matches!(err, SynthError::OutputNotEmpty(_)));
}
