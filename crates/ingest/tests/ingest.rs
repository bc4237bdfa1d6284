//! Ingest tests. All values are synthetic: RFC 2606 domains, RFC 5737 / 3849 addresses, 07700 900xxx phones.

use severn_domain::report::{
    FileAnnotation, Format, HashType, Identifier, IdentifierKind, IncidentType,
    IndustryClassification, Person, PersonRole, ReferralSource, Report, ReportAnnotation,
    SourceRef,
};
use severn_ingest::{
    DocContext, Item, MAX_DOCUMENT_BYTES, Parsed, Rejection, parse_document, parse_only, walk,
};
use std::fs;
use std::path::{Path, PathBuf};

const REPORT_XML: &[u8] = include_bytes!("fixtures/example_report_synthetic.xml");
const FILE_DETAILS_XML: &[u8] = include_bytes!("fixtures/example_filedetails_synthetic.xml");

fn ctx() -> DocContext {
    DocContext::default()
}

fn report(parsed: Parsed) -> Report {
    match parsed {
        Parsed::Report(report) => *report,
        Parsed::FileDetails(details) => panic!("expected a report, got {details:?}"),
    }
}

fn parse_report(bytes: &[u8], path: &str) -> Report {
    report(parse_document(bytes, path, &ctx()).unwrap_or_else(|r| panic!("rejected: {r}")))
}

fn reject(bytes: &[u8], path: &str) -> Rejection {
    match parse_document(bytes, path, &ctx()) {
        Ok(parsed) => panic!("expected a rejection, got {parsed:?}"),
        Err(rejection) => rejection,
    }
}

fn has(person: &Person, kind: IdentifierKind, service: Option<&str>, value: &str) -> bool {
    person.identifiers.contains(&Identifier {
        kind,
        service: service.map(str::to_owned),
        value: value.to_owned(),
    })
}

/// A minimal valid report with `people` inserted after the reporter.
fn minimal_report(people: &str) -> String {
    format!(
        "<report><incidentSummary><incidentType>Child Sex Trafficking</incidentType>\
         <incidentDateTime>2026-01-15T14:30:00Z</incidentDateTime></incidentSummary>\
         <reporter><reportingPerson><email>ts@service.example</email></reportingPerson></reporter>\
         {people}</report>"
    )
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(&path, content).unwrap();
    path
}

fn items(paths: &[PathBuf]) -> (Vec<(String, Parsed)>, Vec<Rejection>) {
    let mut parsed = Vec::new();
    let mut rejected = Vec::new();
    for item in walk(paths) {
        match item {
            Item::Parsed { path, parsed: p } => parsed.push((path, p)),
            Item::Rejected(r) => rejected.push(r),
        }
    }
    (parsed, rejected)
}

#[test]
fn reference_report_parses_with_its_identifiers() {
    let r = parse_report(REPORT_XML, "fixtures/example_report_synthetic.xml");
    assert_eq!(r.format, Format::CybertipXml);
    assert_eq!(r.source, ReferralSource::Ncmec);
    assert_eq!(r.incident_type, Some(IncidentType::ChildPornography));
    assert_eq!(r.platform.as_deref(), Some("ExampleChat for Android"));
    assert_eq!(r.incident_at, Some("2026-01-15T14:30:00Z".parse().unwrap()));
    assert!(r.annotations.contains(&ReportAnnotation::CsamSolicitation));
    assert!(!r.escalate_to_high_priority);
    assert_eq!(r.additional_info, vec!["Synthetic test report.".to_owned()]);
    // No report ID in the document or the file name: the document hash is the reference.
    let sha = r.content_sha256.clone();
    assert_eq!(sha.len(), 64);
    assert_eq!(r.source_ref, SourceRef::Sha256(sha));

    let suspect = r.reported_people().next().expect("a reported person");
    assert!(has(suspect, IdentifierKind::Phone, None, "+447700900123"));
    assert!(has(
        suspect,
        IdentifierKind::Email,
        None,
        "suspect.one@mail.example"
    ));
    assert!(has(
        suspect,
        IdentifierKind::EspUserId,
        Some("examplechat"),
        "user-000042"
    ));
    assert!(has(
        suspect,
        IdentifierKind::ScreenName,
        Some("examplechat"),
        "sample_user_42"
    ));
    assert!(has(
        suspect,
        IdentifierKind::ProfileUrl,
        None,
        "service.example/u/sample_user_42"
    ));
    assert!(has(
        suspect,
        IdentifierKind::IpAddress,
        None,
        "203.0.113.10"
    ));
    assert!(has(
        suspect,
        IdentifierKind::IpAddress,
        None,
        "2001:db8::10"
    ));
    assert!(has(
        suspect,
        IdentifierKind::DeviceId,
        Some("imei"),
        "000000000000000"
    ));
    assert!(has(
        suspect,
        IdentifierKind::PriorCybertip,
        None,
        "100000001"
    ));
    assert_eq!(suspect.display_names, vec!["Sample User".to_owned()]);
    assert_eq!(suspect.ip_captures.len(), 2);
    let login = &suspect.ip_captures[0];
    assert_eq!(login.port, Some(51515));
    assert_eq!(login.event.as_deref(), Some("Login"));
    assert_eq!(login.possible_proxy, Some(false));
    assert_eq!(login.at, Some("2026-01-15T14:00:00Z".parse().unwrap()));
    let location = suspect.estimated_location.as_ref().expect("location");
    assert_eq!(location.city.as_deref(), Some("Leeds"));
    assert_eq!(location.country_code.as_deref(), Some("GB"));
    assert_eq!(location.verified, Some(false));

    let recipient = r.children_at_risk().next().expect("an intended recipient");
    assert_eq!(recipient.role, PersonRole::IntendedRecipient);
    // The recipient names no service: its IDs are scoped to "unknown", never to the suspect's service.
    assert!(has(
        recipient,
        IdentifierKind::EspUserId,
        Some("unknown"),
        "user-000099"
    ));
    assert!(has(
        recipient,
        IdentifierKind::ScreenName,
        Some("unknown"),
        "recipient_99"
    ));
    // The reporter's own e-mail is not a suspect identifier.
    assert!(r.people.iter().all(|p| !has(
        p,
        IdentifierKind::Email,
        None,
        "trust-safety@service.example"
    )));
}

#[test]
fn reference_file_details_parse() {
    let parsed = parse_document(FILE_DETAILS_XML, "x/file.xml", &ctx()).unwrap();
    let Parsed::FileDetails(details) = parsed else {
        panic!("expected fileDetails");
    };
    assert_eq!(details.report_id, "100000002");
    let file = &details.file;
    assert_eq!(
        file.file_id.as_deref(),
        Some("f0000000000000000000000000000001")
    );
    assert_eq!(file.file_name.as_deref(), Some("bridge-1-original.jpg"));
    assert_eq!(file.original_file_name.as_deref(), Some("IMG_0001.jpg"));
    assert_eq!(file.viewed_by_esp, Some(true));
    assert!(file.annotations.contains(&FileAnnotation::Viral));
    assert_eq!(
        file.industry_classification,
        Some(IndustryClassification::B2)
    );
    let kinds: Vec<(HashType, &str)> = file
        .hashes
        .iter()
        .map(|h| (h.hash_type, h.label.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (HashType::Md5, "MD5"),
            (HashType::Sha1, "SHA1"),
            (HashType::Other, "PDQ")
        ]
    );
    assert_eq!(file.hashes[0].value, "d35c785545392755e7e4164457657269");
    assert_eq!(file.ip_captures.len(), 1);
    assert_eq!(file.ip_captures[0].ip.to_string(), "203.0.113.10");
}

#[test]
fn report_id_comes_from_file_name_and_manifest() {
    let r = parse_report(REPORT_XML, "in/100000002.xml");
    assert_eq!(r.source_ref, SourceRef::NcmecReportId("100000002".into()));
    let with_manifest = DocContext {
        nca: None,
        report_id: Some("100000007".into()),
    };
    let r = report(parse_document(REPORT_XML, "in/100000002.xml", &with_manifest).unwrap());
    assert_eq!(r.source_ref, SourceRef::NcmecReportId("100000007".into()));
    // Same bytes, same hash, whatever the reference.
    assert_eq!(
        r.content_sha256,
        parse_report(REPORT_XML, "a.xml").content_sha256
    );
}

#[test]
fn service_after_identifier_and_older_spellings() {
    let doc = minimal_report(
        "<personOrUserReported><personOrUserReportedPerson>\
         <phone countryCallingCode=\"+44\">07700 900456</phone>\
         <email>not-an-email</email><age>34</age></personOrUserReportedPerson>\
         <espIdentifier>u-1</espIdentifier><espService>Example-Chat</espService>\
         <screenName>@Big_Name</screenName><groupIdentifier>g-9</groupIdentifier>\
         <ipCaptureEvent><ipAddress>not-an-ip</ipAddress></ipCaptureEvent>\
         <deviceId><idType>ICCID</idType><idValue>8944 0000 0000 0000 001</idValue></deviceId>\
         </personOrUserReported><victim><victimPerson><firstName>Sam</firstName></victimPerson></victim>",
    )
    .replace("Child Sex Trafficking", "Online Enticement of Children for Sexual Act");
    let r = parse_report(doc.as_bytes(), "a.xml");
    assert_eq!(r.incident_type, Some(IncidentType::OnlineEnticement));
    let p = &r.people[0];
    assert!(has(p, IdentifierKind::Phone, None, "+447700900456"));
    assert!(has(
        p,
        IdentifierKind::EspUserId,
        Some("examplechat"),
        "u-1"
    ));
    assert!(has(
        p,
        IdentifierKind::ScreenName,
        Some("examplechat"),
        "big_name"
    ));
    assert!(has(p, IdentifierKind::GroupId, Some("examplechat"), "g-9"));
    assert!(has(
        p,
        IdentifierKind::DeviceId,
        Some("iccid"),
        "8944000000000000001"
    ));
    // Invalid values are skipped, not fatal.
    assert!(
        !p.identifiers
            .iter()
            .any(|i| i.kind == IdentifierKind::Email)
    );
    assert!(p.ip_captures.is_empty());
    assert_eq!(p.approximate_age, Some(34));
    assert_eq!(r.people[1].role, PersonRole::Victim);
    assert_eq!(r.people[1].first_name.as_deref(), Some("Sam"));
}

#[test]
fn annotations_escalation_and_entities() {
    let doc = "<report><incidentSummary><incidentType>Child Sex Tourism</incidentType>\
        <platform>A &amp; B &#x263A;</platform><escalateToHighPriority>Imminent risk</escalateToHighPriority>\
        <reportAnnotations><sextortion>true</sextortion><spam>false</spam></reportAnnotations>\
        <incidentDateTime>2026-01-15T14:30:00-05:00</incidentDateTime></incidentSummary>\
        <reporter/><additionalInfo><![CDATA[<b>raw</b>]]></additionalInfo></report>";
    let r = parse_report(doc.as_bytes(), "a.xml");
    assert_eq!(r.platform.as_deref(), Some("A & B \u{263A}"));
    assert!(r.escalate_to_high_priority);
    assert_eq!(
        r.annotations.iter().copied().collect::<Vec<_>>(),
        vec![ReportAnnotation::Sextortion]
    );
    assert_eq!(r.incident_at, Some("2026-01-15T19:30:00Z".parse().unwrap()));
    assert_eq!(r.additional_info, vec!["<b>raw</b>".to_owned()]);
}

#[test]
fn structural_problems_are_rejected_with_location_and_field() {
    let cases: Vec<(String, &str, &str)> = vec![
        (
            minimal_report("").replace("Child Sex Trafficking", "Something Else"),
            "report/incidentSummary/incidentType",
            "unknown incident type",
        ),
        (
            minimal_report("").replace("2026-01-15T14:30:00Z", "15/01/2026"),
            "report/incidentSummary/incidentDateTime",
            "invalid date and time",
        ),
        (
            minimal_report("").replace(
                "<incidentDateTime>2026-01-15T14:30:00Z</incidentDateTime>",
                "",
            ),
            "report/incidentSummary",
            "missing required element incidentDateTime",
        ),
        (
            "<report><reporter/></report>".to_owned(),
            "report",
            "missing required element incidentSummary",
        ),
        (
            "<html><body/></html>".to_owned(),
            "html",
            "unexpected root element",
        ),
        (
            minimal_report("<personOrUserReported><email>x</personOrUserReported>"),
            "report/personOrUserReported/email",
            "malformed XML",
        ),
    ];
    for (doc, field, reason) in cases {
        let r = reject(doc.as_bytes(), "bad.xml");
        assert_eq!(r.field.as_deref(), Some(field), "{r}");
        assert!(r.reason.contains(reason), "{r}");
        assert!(
            r.location
                .as_deref()
                .unwrap_or("")
                .starts_with("line 1, column "),
            "{r}"
        );
        assert_eq!(r.path, "bad.xml");
        assert_eq!(r.content, doc.as_bytes());
    }
    let multi_line = "<report>\n  <incidentSummary>\n    <incidentType>Nope</incidentType>";
    let r = reject(multi_line.as_bytes(), "bad.xml");
    assert_eq!(r.location.as_deref(), Some("line 3, column 23"), "{r}");
}

#[test]
fn file_details_hash_lengths_are_checked() {
    let doc = String::from_utf8(FILE_DETAILS_XML.to_vec())
        .unwrap()
        .replace("d35c785545392755e7e4164457657269", "d35c7855");
    let r = reject(doc.as_bytes(), "f.xml");
    assert_eq!(r.field.as_deref(), Some("fileDetails/originalFileHash"));
    assert!(r.reason.contains("32 hex digits"), "{r}");

    let no_id = String::from_utf8(FILE_DETAILS_XML.to_vec())
        .unwrap()
        .replace("<reportId>100000002</reportId>", "");
    let r = reject(no_id.as_bytes(), "f.xml");
    assert_eq!(r.field.as_deref(), Some("fileDetails/reportId"));

    let other_report = DocContext {
        nca: None,
        report_id: Some("100000003".into()),
    };
    let r = parse_document(FILE_DETAILS_XML, "f.xml", &other_report).unwrap_err();
    assert!(r.reason.contains("differs from the manifest"), "{r}");
    assert_eq!(r.context, Some(other_report));
}

#[test]
fn hostile_xml_is_refused() {
    let billion_laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<report><additionalInfo>&lol3;</additionalInfo></report>"#;
    let r = reject(billion_laughs.as_bytes(), "lol.xml");
    assert_eq!(r.reason, "DTD / entity declarations are not accepted");
    assert_eq!(r.location.as_deref(), Some("line 2, column 1"));

    let xxe = r#"<?xml version="1.0"?><!DOCTYPE report [<!ENTITY x SYSTEM "file:///etc/passwd">]><report>&x;</report>"#;
    assert_eq!(
        reject(xxe.as_bytes(), "xxe.xml").reason,
        "DTD / entity declarations are not accepted"
    );

    let undeclared = minimal_report("<additionalInfo>&x;</additionalInfo>");
    let r = reject(undeclared.as_bytes(), "u.xml");
    assert!(r.reason.contains("undeclared entity"), "{r}");
    assert_eq!(r.field.as_deref(), Some("report/additionalInfo"));

    let in_attribute = minimal_report(
        "<personOrUserReported><personOrUserReportedPerson>\
         <phone countryCallingCode=\"&x;\">07700900123</phone></personOrUserReportedPerson></personOrUserReported>",
    );
    assert!(
        reject(in_attribute.as_bytes(), "a.xml")
            .reason
            .contains("countryCallingCode")
    );

    let deep = format!(
        "<report>{}{}</report>",
        "<a>".repeat(100),
        "</a>".repeat(100)
    );
    let r = reject(deep.as_bytes(), "deep.xml");
    assert!(r.reason.contains("nested deeper than 32"), "{r}");

    let long_text = minimal_report(&format!(
        "<additionalInfo>{}</additionalInfo>",
        "x".repeat(1024 * 1024 + 1)
    ));
    assert!(
        reject(long_text.as_bytes(), "t.xml")
            .reason
            .contains("longer than 1 MiB")
    );

    let mut oversized = minimal_report("").into_bytes();
    oversized.resize(MAX_DOCUMENT_BYTES + 1, b' ');
    let r = reject(&oversized, "big.xml");
    assert_eq!(r.reason, "document larger than 16 MiB");
    assert_eq!(r.content.len(), 1024 * 1024);
}

#[test]
fn parse_document_never_panics_on_damaged_input() {
    let json = le_json_document();
    for doc in [REPORT_XML, FILE_DETAILS_XML, json.as_bytes()] {
        for end in 0..doc.len() {
            let _ = parse_document(&doc[..end], "t.xml", &ctx());
        }
        // Flip and drop bytes across the document with a simple deterministic generator.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..2000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut mutated = doc.to_vec();
            let at = (state as usize) % mutated.len();
            match state % 3 {
                0 => mutated[at] = (state >> 32) as u8,
                1 => {
                    mutated.remove(at);
                }
                _ => mutated.insert(at, b"<>&;\"'/{}[]:,\0\xff"[(state >> 40) as usize % 15]),
            }
            let _ = parse_document(&mutated, "t.xml", &ctx());
        }
    }
}

fn le_json_document() -> String {
    r#"{
  "reportId": 100000003,
  "dateReceived": "2026-01-16T08:00:00Z",
  "escalateToHighPriority": true,
  "reportAnnotations": ["sextortion", "notAFlag"],
  "reportedInformation": {
    "reportingEsp": { "espName": "Example Ltd" },
    "incidentSummary": { "incidentType": "Online Enticement of Children for Sexual Acts",
                         "incidentDateTime": "2026-01-15T14:30:00Z" },
    "reportedPeople": { "reportedPersons": [ {
        "firstName": "Pat", "lastName": "Example", "dateOfBirth": "1990-02-03", "approximateAge": "35",
        "espService": "ExampleChat", "espUserId": "user-000042", "screenName": { "value": "Sample_User_42" },
        "displayName": "Sample User",
        "emails": { "emails": [ { "value": "Suspect.One@Mail.Example", "verified": true }, { "value": "junk" } ] },
        "phones": { "phones": [ { "value": "07700 900123" } ] },
        "deviceIds": [ { "idType": "IMEI", "idValue": "35-209900-176148-1" } ],
        "profileUrls": ["https://www.service.example/u/sample_user_42/"],
        "priorCTReports": [100000001, "100000002"],
        "groupIdentifiers": ["grp-7"],
        "accessToChildren": "Yes", "convictedSexOffender": "Unknown",
        "sourceInformation": { "sourceCaptures": [
            { "captureType": "IP Address", "value": "198.51.100.7", "dateTime": "2026-01-15T14:00:00Z", "port": 443, "eventName": "Login" },
            { "captureType": "Email", "value": "not an ip" } ] }
    } ] },
    "intendedRecipients": { "intendedRecipients": [ { "espUserId": "user-000099", "screenName": "kid_99" } ] },
    "uploadedFiles": { "uploadedFiles": [ {
        "filename": "f1.jpg", "originalFilename": "IMG_1.jpg", "viewedByEsp": true,
        "verificationHash": "D35C785545392755E7E4164457657269",
        "sha1": "ea45d7166b30f98aac6af52f952193ce3083cb4c",
        "industryClassification": "A1", "fileAnnotations": ["infant", "physicalHarm"] } ] },
    "additionalInformations": [ { "value": "Free text." }, "More text." ],
    "somethingNew": { "ignored": [1, 2, 3] }
  }
}"#
    .to_owned()
}

#[test]
fn le_json_parses() {
    let r = parse_report(le_json_document().as_bytes(), "in/anything.json");
    assert_eq!(r.format, Format::CybertipLeJson);
    assert_eq!(r.source_ref, SourceRef::NcmecReportId("100000003".into()));
    assert_eq!(r.reported_at, Some("2026-01-16T08:00:00Z".parse().unwrap()));
    assert_eq!(r.reporting_esp.as_deref(), Some("Example Ltd"));
    assert_eq!(r.incident_type, Some(IncidentType::OnlineEnticement));
    assert!(r.escalate_to_high_priority);
    assert!(r.annotations.contains(&ReportAnnotation::Sextortion));
    assert_eq!(r.additional_info, vec!["Free text.", "More text."]);

    let p = r.reported_people().next().unwrap();
    assert_eq!(p.first_name.as_deref(), Some("Pat"));
    assert_eq!(p.approximate_age, Some(35));
    assert_eq!(p.access_to_children, Some(true));
    assert_eq!(p.convicted_sex_offender, None);
    assert!(has(
        p,
        IdentifierKind::Email,
        None,
        "suspect.one@mail.example"
    ));
    assert_eq!(
        p.identifiers
            .iter()
            .filter(|i| i.kind == IdentifierKind::Email)
            .count(),
        1
    );
    assert!(has(p, IdentifierKind::Phone, None, "+447700900123"));
    assert!(has(
        p,
        IdentifierKind::EspUserId,
        Some("examplechat"),
        "user-000042"
    ));
    assert!(has(
        p,
        IdentifierKind::ScreenName,
        Some("examplechat"),
        "sample_user_42"
    ));
    assert!(has(
        p,
        IdentifierKind::DeviceId,
        Some("imei"),
        "352099001761481"
    ));
    assert!(has(
        p,
        IdentifierKind::ProfileUrl,
        None,
        "service.example/u/sample_user_42"
    ));
    assert!(has(p, IdentifierKind::PriorCybertip, None, "100000002"));
    assert!(has(
        p,
        IdentifierKind::GroupId,
        Some("examplechat"),
        "grp-7"
    ));
    assert!(has(p, IdentifierKind::IpAddress, None, "198.51.100.7"));
    assert_eq!(p.ip_captures[0].port, Some(443));

    let kid = r.children_at_risk().next().unwrap();
    assert!(has(
        kid,
        IdentifierKind::ScreenName,
        Some("unknown"),
        "kid_99"
    ));

    let f = &r.files[0];
    assert_eq!(f.hashes[0].hash_type, HashType::Md5);
    assert_eq!(f.hashes[0].value, "d35c785545392755e7e4164457657269");
    assert_eq!(f.hashes[1].hash_type, HashType::Sha1);
    assert_eq!(f.industry_classification, Some(IndustryClassification::A1));
    assert!(f.annotations.contains(&FileAnnotation::Infant));
}

#[test]
fn le_json_rejections_name_the_path() {
    let doc = le_json_document().replace(
        r#""phones": { "phones": [ { "value": "07700 900123" } ] },"#,
        r#""phones": { "phones": [ { "value": "07700 900123" } ] }, "emails": 42,"#,
    );
    // serde_json keeps the last duplicate key, so `emails` is now a number.
    let r = reject(doc.as_bytes(), "x.json");
    assert_eq!(
        r.field.as_deref(),
        Some("reportedInformation.reportedPeople.reportedPersons[0].emails"),
        "{r}"
    );
    let doc = le_json_document().replace("2026-01-16T08:00:00Z", "last Tuesday");
    assert_eq!(
        reject(doc.as_bytes(), "x.json").field.as_deref(),
        Some("dateReceived")
    );
    let doc = le_json_document().replace(r#""A1""#, r#""C""#);
    assert_eq!(
        reject(doc.as_bytes(), "x.json").field.as_deref(),
        Some("reportedInformation.uploadedFiles.uploadedFiles[0].industryClassification")
    );
    let r = reject(b"{\"reportId\": ", "x.json");
    assert!(r.reason.starts_with("malformed JSON"), "{r}");
    assert!(r.location.is_some());

    let manifest = DocContext {
        nca: None,
        report_id: Some("100000004".into()),
    };
    let r = parse_document(le_json_document().as_bytes(), "x.json", &manifest).unwrap_err();
    assert_eq!(r.field.as_deref(), Some("reportId"));
    assert!(r.reason.contains("differs from the manifest"), "{r}");

    let r = reject(br#"{"reports": 12, "suspects": 3}"#, "summary.json");
    assert!(r.reason.contains("not a CyberTip LE report"), "{r}");
}

const CSV_HEADER: &str = "source_reference,source,received_at,incident_type,incident_at,platform,\
suspect_first_name,suspect_last_name,suspect_date_of_birth,suspect_emails,suspect_phones,suspect_service,\
suspect_user_ids,suspect_screen_names,suspect_ips,suspect_device_ids,access_to_children,\
convicted_sex_offender,children_count,file_hashes,summary\n";

#[test]
fn partner_csv_rows_stream_and_bad_rows_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let csv = format!(
        "{CSV_HEADER}\
P-1,public_report,2026-01-10T10:00:00Z,child_sexual_molestation,,,Jo,Bloggs,1980-05-06,\
a@mail.example;B@Mail.Example,07700 900001,ExampleChat,u1;u2,Joe_B,192.0.2.1,IMEI:490154203237518,yes,no,2,\
MD5:D35C785545392755E7E4164457657269;SHA1:ea45d7166b30f98aac6af52f952193ce3083cb4c,\"Met, online\"\n\
P-2,p2p_detection,yesterday,,,,,,,,,,,,,,,,,,\n\
P-3,other_force,2026-01-11T10:00:00Z,,,,,,,,,,,,,IMEI490154203237518,,,,,\n\
P-4,partner_agency,2026-01-12T10:00:00Z,,,,,,,,,,,,,,maybe,,,,\n\
P-5,other_force,2026-01-12T10:00:00Z,Child Sex Tourism,,,,,,,,,,,,,,,,,\n\
\n"
    );
    let path = write(dir.path(), "partner/referrals.csv", csv);
    let (parsed, rejected) = items(std::slice::from_ref(&path));
    assert_eq!(parsed.len(), 2, "{rejected:?}");
    let first = report(parsed[0].1.clone());
    assert_eq!(parsed[0].0, path.display().to_string());
    assert_eq!(first.format, Format::PartnerCsv);
    assert_eq!(first.source, ReferralSource::PublicReport);
    assert_eq!(
        first.source_ref,
        SourceRef::External("public_report/P-1".into())
    );
    assert_eq!(
        first.incident_type,
        Some(IncidentType::ChildSexualMolestation)
    );
    let p = &first.people[0];
    assert_eq!(p.date_of_birth.as_deref(), Some("1980-05-06"));
    assert_eq!(p.access_to_children, Some(true));
    assert_eq!(p.convicted_sex_offender, Some(false));
    assert!(has(p, IdentifierKind::Email, None, "b@mail.example"));
    assert!(has(p, IdentifierKind::Phone, None, "+447700900001"));
    assert!(has(p, IdentifierKind::EspUserId, Some("examplechat"), "u2"));
    assert!(has(
        p,
        IdentifierKind::ScreenName,
        Some("examplechat"),
        "joe_b"
    ));
    assert!(has(p, IdentifierKind::IpAddress, None, "192.0.2.1"));
    assert!(has(
        p,
        IdentifierKind::DeviceId,
        Some("imei"),
        "490154203237518"
    ));
    assert_eq!(first.files.len(), 2);
    assert_eq!(
        first.files[0].hashes[0].value,
        "d35c785545392755e7e4164457657269"
    );
    assert_eq!(
        first.additional_info,
        vec!["children_count: 2", "Met, online"]
    );
    let second = report(parsed[1].1.clone());
    assert_eq!(
        second.source_ref,
        SourceRef::External("other_force/P-5".into())
    );
    assert!(second.people.is_empty());

    let where_: Vec<(Option<&str>, Option<&str>)> = rejected
        .iter()
        .map(|r| (r.location.as_deref(), r.field.as_deref()))
        .collect();
    assert_eq!(
        where_,
        vec![
            (Some("row 3, column received_at"), Some("received_at")),
            (
                Some("row 4, column suspect_device_ids"),
                Some("suspect_device_ids")
            ),
            (
                Some("row 5, column access_to_children"),
                Some("access_to_children")
            ),
        ]
    );
    assert!(
        rejected[0]
            .content
            .starts_with(b"P-2,p2p_detection,yesterday")
    );
    assert!(
        rejected
            .iter()
            .all(|r| r.path == path.display().to_string())
    );
}

#[test]
fn partner_csv_header_is_validated() {
    let dir = tempfile::tempdir().unwrap();
    let unknown = write(
        dir.path(),
        "a.csv",
        "source_reference,source,received_at,suspect_shoe_size\nP-1,public_report,2026-01-10T10:00:00Z,9\n",
    );
    let missing = write(
        dir.path(),
        "b.csv",
        "source_reference,source\nP-1,public_report\n",
    );
    let (parsed, rejected) = items(&[unknown, missing]);
    assert!(parsed.is_empty());
    assert_eq!(rejected.len(), 2);
    assert_eq!(rejected[0].field.as_deref(), Some("suspect_shoe_size"));
    assert!(rejected[0].reason.contains("unknown column"));
    assert_eq!(rejected[1].field.as_deref(), Some("received_at"));
    // A CSV given to parse_document is refused: it is many referrals, read by walk().
    assert!(
        reject(CSV_HEADER.as_bytes(), "x.csv")
            .reason
            .contains("row by row")
    );
}

fn manifest(reports: &str) -> String {
    format!(
        r#"{{"format": "severn-nca-package/1", "ncaReference": "NCA-2026-000123",
            "disseminatedAt": "2026-01-16T09:00:00Z", "receivingForce": "Example Constabulary",
            "reports": [{reports}]}}"#
    )
}

#[test]
fn nca_package_reads_listed_documents_only() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("packages/NCA-000001");
    write(
        &pkg,
        "package.json",
        manifest(
            r#"{"ncmecReportId": "100000002", "document": "100000002.xml",
                "fileDetails": ["100000002-1.filedetails.xml"]},
               {"ncmecReportId": "100000003", "document": "docs/100000003.json"},
               {"ncmecReportId": "100000004", "document": "missing.xml"},
               {"ncmecReportId": "100000005", "document": "../../outside.xml"},
               {"ncmecReportId": "100000006"}"#,
        ),
    );
    write(&pkg, "100000002.xml", REPORT_XML);
    write(&pkg, "100000002-1.filedetails.xml", FILE_DETAILS_XML);
    write(&pkg, "docs/100000003.json", le_json_document());
    write(&pkg, "unlisted.xml", "not even xml");
    write(dir.path(), "outside.xml", REPORT_XML);
    write(dir.path(), "packages/zz-loose.xml", REPORT_XML);

    let (parsed, rejected) = items(&[dir.path().join("packages")]);
    let manifest_path = pkg.join("package.json").display().to_string();
    let fields: Vec<(&str, Option<&str>)> = rejected
        .iter()
        .map(|r| (r.path.as_str(), r.field.as_deref()))
        .collect();
    assert_eq!(
        fields,
        vec![
            (manifest_path.as_str(), Some("reports[2].document")),
            (manifest_path.as_str(), Some("reports[3].document")),
            (manifest_path.as_str(), Some("reports[4].document")),
        ]
    );
    assert!(
        rejected[0].reason.contains("cannot be opened"),
        "{}",
        rejected[0]
    );
    assert!(
        rejected[1].reason.contains("not a plain path"),
        "{}",
        rejected[1]
    );
    assert!(
        rejected[2]
            .content
            .starts_with(b"{\"ncmecReportId\":\"100000006\"")
    );

    assert_eq!(parsed.len(), 4);
    let first = report(parsed[0].1.clone());
    assert_eq!(
        first.source_ref,
        SourceRef::NcmecReportId("100000002".into())
    );
    let nca = first.nca.as_ref().expect("nca dissemination");
    assert_eq!(nca.nca_reference, "NCA-2026-000123");
    assert_eq!(nca.receiving_force, "Example Constabulary");
    assert!(matches!(&parsed[1].1, Parsed::FileDetails(d) if d.report_id == "100000002"));
    let json = report(parsed[2].1.clone());
    assert_eq!(
        json.source_ref,
        SourceRef::NcmecReportId("100000003".into())
    );
    assert!(json.nca.is_some());
    // Loose files beside packages are read as ordinary documents, after the package (name order).
    assert!(parsed[3].0.ends_with("zz-loose.xml"));
    assert!(report(parsed[3].1.clone()).nca.is_none());

    // Naming the manifest itself reads the package.
    let (again, _) = items(&[pkg.join("package.json")]);
    assert_eq!(again.len(), 3);
}

#[test]
fn malformed_manifests_are_rejected_by_field() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a/package.json", "{ not json");
    write(dir.path(), "a/100000001.xml", REPORT_XML);
    write(
        dir.path(),
        "b/package.json",
        manifest("").replace("2026-01-16T09:00:00Z", "soon"),
    );
    write(
        dir.path(),
        "c/package.json",
        manifest(r#"{"ncmecReportId": "1", "document": "1.xml", "fileDetails": "f.xml"}"#),
    );
    let (parsed, rejected) = items(&[dir.path().to_path_buf()]);
    assert!(parsed.is_empty(), "{parsed:?}");
    let fields: Vec<Option<&str>> = rejected.iter().map(|r| r.field.as_deref()).collect();
    assert_eq!(
        fields,
        vec![None, Some("disseminatedAt"), Some("reports[0].fileDetails")]
    );
    assert!(rejected[0].reason.starts_with("malformed manifest JSON"));
    assert!(rejected[0].path.ends_with("package.json"));
}

#[test]
fn walk_order_is_deterministic_and_unknown_files_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "b/100000002.xml", REPORT_XML);
    write(dir.path(), "a/100000001.xml", REPORT_XML);
    write(dir.path(), "a/notes.txt", "hello");
    write(dir.path(), "c/empty.xml", "");
    let (parsed, rejected) = items(&[dir.path().to_path_buf()]);
    let refs: Vec<SourceRef> = parsed
        .into_iter()
        .map(|(_, p)| report(p).source_ref)
        .collect();
    assert_eq!(
        refs,
        vec![
            SourceRef::NcmecReportId("100000001".into()),
            SourceRef::NcmecReportId("100000002".into())
        ]
    );
    assert_eq!(rejected.len(), 2);
    assert!(rejected[0].path.ends_with("notes.txt"));
    assert!(rejected[0].reason.starts_with("unrecognised content"));
    assert!(rejected[1].path.ends_with("empty.xml"));

    let (_, missing) = items(&[dir.path().join("nope.xml")]);
    assert!(
        missing[0].reason.starts_with("cannot open"),
        "{}",
        missing[0]
    );

    let stats = parse_only(&[dir.path().to_path_buf()]);
    assert_eq!(
        (stats.reports, stats.file_details, stats.rejections),
        (2, 0, 2)
    );
}

#[test]
fn rejections_serialise_and_display() {
    let r = reject(b"<report>", "in/x.xml");
    let json = serde_json::to_string(&r).unwrap();
    let back: Rejection = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
    let shown = r.to_string();
    assert!(
        shown.starts_with("in/x.xml (line 1, column 9) [report]: "),
        "{shown}"
    );
}

/// The contract with the generator: everything it writes for ingest parses, with no rejection.
#[test]
fn synthetic_corpus_parses_without_rejections() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("corpus");
    let summary = severn_synth::write_corpus(&severn_synth::SynthOptions::new(7, 400, &out))
        .expect("corpus written");
    let (parsed, rejected) = items(&[out.join("packages"), out.join("partner")]);
    assert!(
        rejected.is_empty(),
        "{}",
        rejected
            .iter()
            .map(|r| format!("{r}\n"))
            .collect::<String>()
    );
    let reports = parsed
        .iter()
        .filter(|(_, p)| matches!(p, Parsed::Report(_)))
        .count();
    assert_eq!(reports, summary.reports + summary.partner_rows);
}

#[test]
fn package_documents_may_not_escape_through_symbolic_links() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    write(
        &pkg,
        "package.json",
        manifest(
            r#"{"ncmecReportId": "100000001", "document": "inside/100000001.xml"},
               {"ncmecReportId": "100000002", "document": "link/100000002.xml"}"#,
        ),
    );
    write(&pkg, "inside/100000001.xml", REPORT_XML);
    write(dir.path(), "elsewhere/100000002.xml", REPORT_XML);
    std::os::unix::fs::symlink(dir.path().join("elsewhere"), pkg.join("link")).unwrap();
    let (parsed, rejected) = items(&[pkg]);
    assert_eq!(parsed.len(), 1);
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].field.as_deref(), Some("reports[1].document"));
    assert!(
        rejected[0].reason.contains("leads outside the package"),
        "{}",
        rejected[0]
    );
}

#[test]
fn byte_order_mark_and_windows_line_ends_are_accepted() {
    let mut doc = b"\xEF\xBB\xBF".to_vec();
    doc.extend(
        String::from_utf8(REPORT_XML.to_vec())
            .unwrap()
            .replace('\n', "\r\n")
            .bytes(),
    );
    let r = parse_report(&doc, "100000009.xml");
    assert_eq!(r.source_ref, SourceRef::NcmecReportId("100000009".into()));
    assert_eq!(r.reported_people().next().unwrap().identifiers.len(), 9);
    let mut json = b"\xEF\xBB\xBF".to_vec();
    json.extend(le_json_document().bytes());
    let r = parse_report(&json, "x.json");
    assert_eq!(r.source_ref, SourceRef::NcmecReportId("100000003".into()));
}
