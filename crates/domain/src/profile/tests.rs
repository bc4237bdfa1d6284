use super::*;
use crate::report::{
    FileHash, FileInfo, Format, HashType, Identifier, IpCapture, Location, PersonRole,
    ReferralSource, SourceRef,
};

fn report(id: &str) -> Report {
    Report::new(
        SourceRef::NcmecReportId(id.to_owned()),
        Format::CybertipXml,
        ReferralSource::Ncmec,
        "0".repeat(64),
    )
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn suspect() -> Person {
    let mut p = Person::new(PersonRole::Reported);
    p.first_name = Some("Alex".into());
    p.last_name = Some("Marsh".into());
    p.date_of_birth = Some("1990-02-01".into());
    p.add_identifier(
        Identifier::new(IdentifierKind::Email, None, "Alex.Marsh@example.com").unwrap(),
    );
    p.add_identifier(Identifier::new(IdentifierKind::ScreenName, Some("Chatter"), "am90").unwrap());
    p
}

fn capture(ip: &str, at_: Option<&str>, event: Option<&str>) -> IpCapture {
    IpCapture {
        ip: ip.parse().unwrap(),
        at: at_.map(at),
        port: None,
        event: event.map(str::to_owned),
        possible_proxy: None,
    }
}

fn file(name: &str, md5: &str) -> FileInfo {
    FileInfo {
        file_name: Some(name.into()),
        hashes: vec![FileHash {
            hash_type: HashType::Md5,
            label: "MD5".into(),
            value: md5.into(),
        }],
        industry_classification: Some(IndustryClassification::A1),
        ..FileInfo::default()
    }
}

#[test]
fn gathers_identifiers_per_kind_with_every_referral_that_gives_them() {
    let mut first = report("1");
    first.people.push(suspect());
    let mut second = report("2");
    let mut again = suspect();
    again.add_identifier(Identifier::new(IdentifierKind::Phone, None, "+44 7700 900123").unwrap());
    second.people.push(again);
    let profile = SuspectProfile::from_referrals([("R1", &first), ("R2", &second)]);
    assert_eq!(profile.referrals, 2);
    assert_eq!(profile.names.len(), 1, "the same name twice is one line");
    assert_eq!(profile.names[0].value, "Alex Marsh (born 1990-02-01)");
    assert_eq!(profile.names[0].referrals, ["R1", "R2"]);
    let labels: Vec<&str> = profile
        .identifiers
        .iter()
        .map(|g| g.label.as_str())
        .collect();
    assert_eq!(
        labels,
        ["E-mail addresses", "Phone numbers", "Screen names"]
    );
    let screen = &profile.identifiers[2].values[0];
    assert_eq!(screen.service.as_deref(), Some("chatter"));
    assert_eq!(screen.referrals, ["R1", "R2"]);
    assert_eq!(profile.identifiers[1].values[0].referrals, ["R2"]);
}

#[test]
fn ip_logins_are_listed_oldest_first_with_untimed_ones_last_and_not_as_identifiers() {
    let mut r = report("1");
    let mut p = suspect();
    p.add_ip_capture(capture("192.0.2.7", None, Some("Login")));
    p.add_ip_capture(capture(
        "198.51.100.2",
        Some("2026-03-02T10:00:00Z"),
        Some("Login"),
    ));
    p.add_ip_capture(capture("203.0.113.9", Some("2026-03-01T09:00:00Z"), None));
    r.people.push(p);
    r.files.push(FileInfo {
        ip_captures: vec![capture("203.0.113.10", Some("2026-03-01T08:00:00Z"), None)],
        ..FileInfo::default()
    });
    let profile = SuspectProfile::from_referrals([("R1", &r)]);
    let order: Vec<&str> = profile.ip_logins.iter().map(|l| l.ip.as_str()).collect();
    assert_eq!(
        order,
        ["203.0.113.10", "203.0.113.9", "198.51.100.2", "192.0.2.7"]
    );
    assert_eq!(profile.ip_logins[0].event.as_deref(), Some("File upload"));
    assert_eq!(profile.ip_logins[1].event, None);
    assert!(
        profile
            .identifiers
            .iter()
            .all(|g| g.kind != IdentifierKind::IpAddress),
        "addresses are shown once, as log-ins with their times"
    );
}

#[test]
fn files_are_counted_with_distinct_hashes_across_referrals() {
    let mut first = report("1");
    first.files = vec![file("a.jpg", &"a".repeat(32)), FileInfo::default()];
    let mut second = report("2");
    second.files = vec![
        file("a-again.jpg", &"a".repeat(32)),
        file("b.jpg", &"b".repeat(32)),
    ];
    second.files[1].viewed_by_esp = Some(true);
    let profile = SuspectProfile::from_referrals([("R1", &first), ("R2", &second)]);
    let files = &profile.files;
    assert_eq!(
        (files.files, files.hashed, files.distinct_hashes),
        (4, 3, 2)
    );
    assert_eq!(files.viewed_by_service, 1);
    assert_eq!(files.by_classification.len(), 1);
    assert_eq!(files.by_classification[0].files, 3);
    assert!(files.by_classification[0].classification.starts_with("A1"));
    assert_eq!(files.lines[0].hashes, ["MD5"]);
    assert_eq!(files.lines[1].name, None);
}

#[test]
fn a_child_named_in_two_referrals_appears_once_with_both() {
    let child = |role| {
        let mut c = Person::new(role);
        c.approximate_age = Some(13);
        c.add_identifier(
            Identifier::new(IdentifierKind::ScreenName, Some("Chatter"), "pat_09").unwrap(),
        );
        c.estimated_location = Some(Location {
            city: Some("Exampleton".into()),
            ..Location::default()
        });
        c
    };
    let mut first = report("1");
    first.people = vec![suspect(), child(PersonRole::IntendedRecipient)];
    let mut second = report("2");
    let mut named = child(PersonRole::Victim);
    named.first_name = Some("Pat".into());
    let mut other = Person::new(PersonRole::Victim);
    other.first_name = Some("Sam".into());
    second.people = vec![named, other];
    let profile = SuspectProfile::from_referrals([("R1", &first), ("R2", &second)]);
    assert_eq!(profile.children.len(), 2);
    let pat = &profile.children[0];
    assert_eq!(pat.name.as_deref(), Some("Pat"));
    assert_eq!(pat.age.as_deref(), Some("about 13"));
    assert_eq!(pat.roles, ["Intended recipient", "Victim"]);
    assert_eq!(pat.referrals, ["R1", "R2"]);
    assert_eq!(pat.identifiers, ["screen name on chatter: pat_09"]);
    assert_eq!(pat.location.as_deref(), Some("Exampleton (estimated)"));
    assert_eq!(profile.children[1].name.as_deref(), Some("Sam"));
    assert!(
        profile.names.iter().all(|n| !n.value.contains("Pat")),
        "children are not the suspect"
    );
}

#[test]
fn warnings_say_what_the_referral_reports() {
    let mut r = report("1");
    let mut p = suspect();
    p.access_to_children = Some(true);
    p.convicted_sex_offender = Some(false);
    r.people.push(p);
    let profile = SuspectProfile::from_referrals([("R1", &r)]);
    let said: Vec<&str> = profile.warnings.iter().map(|w| w.value.as_str()).collect();
    assert_eq!(said, ["Reported as having access to children"]);
}

#[test]
fn a_name_without_a_birth_date_joins_the_same_name_with_one() {
    let mut first = report("1");
    first.people.push(suspect());
    let mut second = report("2");
    let mut bare = Person::new(PersonRole::Reported);
    bare.first_name = Some("Alex".into());
    bare.last_name = Some("Marsh".into());
    second.people.push(bare);
    let mut third = report("3");
    let mut other = Person::new(PersonRole::Reported);
    other.first_name = Some("Sam".into());
    third.people.push(other);
    let profile = SuspectProfile::from_referrals([("R1", &first), ("R2", &second), ("R3", &third)]);
    let names: Vec<(&str, usize)> = profile
        .names
        .iter()
        .map(|n| (n.value.as_str(), n.referrals.len()))
        .collect();
    assert_eq!(names, [("Alex Marsh (born 1990-02-01)", 2), ("Sam", 1)]);
}
