//! Rendering a [`Report`] as CyberTip XML (element order as in the XSD), fileDetails XML, or LE JSON.

use crate::names::CITIES;
use crate::population::Flag;
use crate::report::{
    Child, FILE_ANNOTATIONS, File, INCIDENT_TYPES, IpEvent, Person, REPORT_ANNOTATIONS, Report,
};
use crate::services::{Channel, SERVICES};
use serde_json::{Map, Value, json};
use std::fmt::Write;

/// Days from 1970-01-01 to a civil date (proleptic Gregorian), Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// RFC 3339 UTC timestamp from Unix seconds.
pub fn timestamp(seconds: i64) -> String {
    let (y, m, d) = civil_from_days(seconds.div_euclid(86_400));
    let s = seconds.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Date of birth as `YYYY-MM-DD`; `dob_days` counts from 1958-01-01.
pub fn date_of_birth(dob_days: u16) -> String {
    const DAYS_1958: i64 = -4383;
    let (y, m, d) = civil_from_days(DAYS_1958 + i64::from(dob_days));
    format!("{y:04}-{m:02}-{d:02}")
}

fn escape(value: &str) -> std::borrow::Cow<'_, str> {
    if !value.contains(['&', '<', '>', '"']) {
        return value.into();
    }
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .into()
}

/// A minimal indenting XML writer over a reused `String`.
struct Xml<'a> {
    out: &'a mut String,
    depth: usize,
}

impl Xml<'_> {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }
    fn open(&mut self, tag: &str) {
        self.indent();
        let _ = writeln!(self.out, "<{tag}>");
        self.depth += 1;
    }
    fn close(&mut self, tag: &str) {
        self.depth -= 1;
        self.indent();
        let _ = writeln!(self.out, "</{tag}>");
    }
    fn leaf(&mut self, tag: &str, value: &str) {
        self.indent();
        let _ = writeln!(self.out, "<{tag}>{}</{tag}>", escape(value));
    }
    /// A leaf with attributes already formatted (` name="value"`).
    fn leaf_attrs(&mut self, tag: &str, attrs: &str, value: &str) {
        self.indent();
        let _ = writeln!(self.out, "<{tag}{attrs}>{}</{tag}>", escape(value));
    }
    fn flag(&mut self, tag: &str) {
        self.indent();
        let _ = writeln!(self.out, "<{tag}/>");
    }
}

fn ip_event_xml(x: &mut Xml<'_>, e: &IpEvent) {
    x.open("ipCaptureEvent");
    x.leaf("ipAddress", &e.ip);
    x.leaf("eventName", e.event);
    x.leaf("dateTime", &timestamp(e.at));
    if let Some(proxy) = e.proxy {
        x.leaf("possibleProxy", if proxy { "true" } else { "false" });
    }
    if let Some(port) = e.port {
        x.leaf("port", &port.to_string());
    }
    x.close("ipCaptureEvent");
}

fn person_xml(x: &mut Xml<'_>, p: &Person) {
    let has_person =
        p.first.is_some() || !p.phones.is_empty() || !p.emails.is_empty() || p.dob_days.is_some();
    if has_person {
        x.open("personOrUserReportedPerson");
        if let Some(first) = p.first {
            x.leaf("firstName", first);
        }
        if let Some(last) = p.last {
            x.leaf("lastName", last);
        }
        for phone in &p.phones {
            let mut attrs = format!(" type=\"{}\"", if phone.mobile { "Mobile" } else { "Home" });
            if let Some(cc) = phone.country_code {
                let _ = write!(attrs, " countryCallingCode=\"{cc}\"");
            }
            x.leaf_attrs("phone", &attrs, &phone.value);
        }
        for email in &p.emails {
            let attrs = format!(" type=\"Home\" verified=\"{}\"", email.verified);
            x.leaf_attrs("email", &attrs, &email.value);
        }
        if let Some(dob) = p.dob_days {
            x.leaf("dateOfBirth", &date_of_birth(dob));
        }
        x.close("personOrUserReportedPerson");
    }
    x.leaf("espIdentifier", &p.user_id);
    x.leaf("espService", SERVICES[p.service].name);
    x.leaf("screenName", &p.screen_name);
    if let Some(d) = &p.display_name {
        x.leaf("displayName", d);
    }
    if let Some(u) = &p.profile_url {
        x.leaf("profileUrl", u);
    }
    for e in &p.ips {
        ip_event_xml(x, e);
    }
    for d in &p.devices {
        x.open("deviceId");
        x.leaf("idType", "IMEI");
        x.leaf("idValue", d);
        x.leaf("eventName", "Login");
        x.close("deviceId");
    }
    for prior in &p.prior {
        x.leaf("priorCTReports", &prior.to_string());
    }
    if let Some(g) = &p.group {
        x.leaf("groupIdentifier", g);
    }
    if let Some(city) = p.city {
        let (name, region) = CITIES[usize::from(city)];
        x.indent();
        x.out.push_str("<estimatedLocation verified=\"false\">\n");
        x.depth += 1;
        x.leaf("city", name);
        x.leaf("region", region);
        x.leaf("countryCode", "GB");
        x.close("estimatedLocation");
    }
}

fn child_xml(x: &mut Xml<'_>, tag: &str, person_tag: &str, c: &Child, service: usize) {
    x.open(tag);
    x.open(person_tag);
    x.leaf("firstName", c.first);
    x.leaf("age", &c.age.to_string());
    x.close(person_tag);
    x.leaf("espIdentifier", &c.user_id);
    x.leaf("espService", SERVICES[service].name);
    x.leaf("screenName", &c.screen_name);
    x.close(tag);
}

/// Renders a CyberTip report XML document into `out` (cleared first).
pub fn report_xml(r: &Report, out: &mut String) {
    out.clear();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- SYNTHETIC: generated by severn synth; all values fictitious. -->\n");
    let service = &SERVICES[r.person.service];
    let mut x = Xml { out, depth: 0 };
    x.open("report");
    x.open("incidentSummary");
    x.leaf("incidentType", INCIDENT_TYPES[r.incident_type]);
    x.leaf("platform", &r.platform);
    if r.escalate {
        x.leaf("escalateToHighPriority", "true");
    }
    if r.annotations != 0 {
        x.open("reportAnnotations");
        for (bit, name) in REPORT_ANNOTATIONS.iter().enumerate() {
            if r.annotations & (1 << bit) != 0 {
                x.flag(name);
            }
        }
        x.close("reportAnnotations");
    }
    x.leaf("incidentDateTime", &timestamp(r.incident_at));
    x.close("incidentSummary");
    x.open("internetDetails");
    match service.channel {
        Channel::Chat => {
            x.open("chatImIncident");
            x.leaf("chatClient", service.name);
            x.leaf("content", "[synthetic placeholder]");
            x.close("chatImIncident");
        }
        Channel::Web => {
            x.open("webPageIncident thirdPartyHostedContent=\"false\"");
            x.leaf("url", &r.content_ref);
            x.close("webPageIncident");
        }
        Channel::Gaming => {
            x.open("onlineGamingIncident");
            x.leaf("gameName", &format!("{} Arena", service.name));
            x.leaf("console", "PC");
            x.close("onlineGamingIncident");
        }
        Channel::Email => {
            x.open("emailIncident");
            if let Some(e) = r.person.emails.first() {
                x.leaf("emailAddress", &e.value);
            }
            x.leaf("content", "[synthetic placeholder]");
            x.close("emailIncident");
        }
    }
    x.close("internetDetails");
    x.open("reporter");
    x.open("reportingPerson");
    x.leaf("firstName", "Trust");
    x.leaf("lastName", "Safety Team");
    x.leaf_attrs(
        "email",
        " type=\"Work\" verified=\"true\"",
        &format!("trust-safety@{}", service.domain),
    );
    x.close("reportingPerson");
    x.leaf(
        "companyTemplate",
        &format!(
            "{}. Legal process: legal@{}. Data retained 90 days.",
            service.company, service.domain
        ),
    );
    x.close("reporter");
    x.open("personOrUserReported");
    person_xml(&mut x, &r.person);
    x.close("personOrUserReported");
    for c in &r.recipients {
        child_xml(
            &mut x,
            "intendedRecipient",
            "intendedRecipientPerson",
            c,
            r.person.service,
        );
    }
    for c in &r.victims {
        child_xml(&mut x, "victim", "victimPerson", c, r.person.service);
    }
    x.leaf("additionalInfo", &r.additional_info.join(" "));
    x.close("report");
}

/// The fileDetails document name for file `n` (1-based) of a report.
pub fn file_details_name(report_id: u64, n: usize) -> String {
    format!("{report_id}-{n}.filedetails.xml")
}

/// Renders one fileDetails XML document into `out` (cleared first).
pub fn file_details_xml(r: &Report, f: &File, out: &mut String) {
    out.clear();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- SYNTHETIC: hashes are random, of no real file. -->\n");
    let mut x = Xml { out, depth: 0 };
    x.open("fileDetails");
    x.leaf("reportId", &r.id.to_string());
    x.leaf("fileId", &f.file_id);
    x.leaf("fileName", &f.name);
    x.leaf("originalFileName", &f.original);
    x.leaf("uploadedToEspTimestamp", &timestamp(f.upload.at));
    x.leaf("fileViewedByEsp", if f.viewed { "true" } else { "false" });
    x.leaf("fileRelevance", "Reported");
    if f.annotations != 0 {
        x.open("fileAnnotations");
        for (bit, name) in FILE_ANNOTATIONS.iter().enumerate() {
            if f.annotations & (1 << bit) != 0 {
                x.flag(name);
            }
        }
        x.close("fileAnnotations");
    }
    if let Some(c) = f.classification {
        x.leaf("industryClassification", c);
    }
    x.leaf_attrs("originalFileHash", " hashType=\"MD5\"", &f.md5);
    x.leaf_attrs("originalFileHash", " hashType=\"SHA1\"", &f.sha1);
    if let Some(sha256) = &f.sha256 {
        x.leaf_attrs("originalFileHash", " hashType=\"SHA256\"", sha256);
    }
    ip_event_xml(&mut x, &f.upload);
    x.close("fileDetails");
}

fn flag_json(flag: Flag, as_text: bool) -> Option<Value> {
    Some(match (flag, as_text) {
        (Flag::Absent, _) => return None,
        (Flag::Yes, false) => Value::Bool(true),
        (Flag::No, false) => Value::Bool(false),
        (Flag::Yes, true) => "Yes".into(),
        (Flag::No, true) => "No".into(),
        (Flag::Unknown, _) => "Unknown".into(),
    })
}

fn capture_json(e: &IpEvent) -> Value {
    let mut m = Map::new();
    m.insert("captureType".into(), "IP Address".into());
    m.insert("value".into(), e.ip.clone().into());
    m.insert("dateTime".into(), timestamp(e.at).into());
    if let Some(port) = e.port {
        m.insert("port".into(), port.into());
    }
    m.insert("eventName".into(), e.event.into());
    if let Some(proxy) = e.proxy {
        m.insert("possibleProxy".into(), proxy.into());
    }
    Value::Object(m)
}

fn person_json(p: &Person) -> Value {
    let mut m = Map::new();
    if let Some(first) = p.first {
        m.insert("firstName".into(), first.into());
    }
    if let Some(last) = p.last {
        m.insert("lastName".into(), last.into());
    }
    if let Some(dob) = p.dob_days {
        m.insert("dateOfBirth".into(), date_of_birth(dob).into());
    }
    m.insert("espService".into(), SERVICES[p.service].name.into());
    m.insert("espUserId".into(), p.user_id.clone().into());
    m.insert("screenName".into(), json!({ "value": p.screen_name }));
    if let Some(d) = &p.display_name {
        m.insert("displayName".into(), d.clone().into());
    }
    if !p.emails.is_empty() {
        let emails: Vec<Value> = p
            .emails
            .iter()
            .map(|e| json!({ "value": e.value, "verified": e.verified }))
            .collect();
        m.insert("emails".into(), json!({ "emails": emails }));
    }
    if !p.phones.is_empty() {
        let phones: Vec<Value> = p
            .phones
            .iter()
            .map(|ph| json!({ "value": ph.value, "verified": false }))
            .collect();
        m.insert("phones".into(), json!({ "phones": phones }));
    }
    if let Some(v) = flag_json(p.access_to_children, p.flags_as_text) {
        m.insert("accessToChildren".into(), v);
    }
    if let Some(v) = flag_json(p.convicted, p.flags_as_text) {
        m.insert("convictedSexOffender".into(), v);
    }
    if !p.devices.is_empty() {
        let devices: Vec<Value> = p
            .devices
            .iter()
            .map(|d| json!({ "idType": "IMEI", "idValue": d }))
            .collect();
        m.insert("deviceIds".into(), devices.into());
    }
    if let Some(u) = &p.profile_url {
        m.insert("profileUrls".into(), json!([u]));
    }
    if !p.prior.is_empty() {
        let prior: Vec<Value> = p.prior.iter().map(|id| id.to_string().into()).collect();
        m.insert("priorCTReports".into(), prior.into());
    }
    if let Some(g) = &p.group {
        m.insert("groupIdentifiers".into(), json!([g]));
    }
    let captures: Vec<Value> = p.ips.iter().map(capture_json).collect();
    m.insert(
        "sourceInformation".into(),
        json!({ "sourceCaptures": captures }),
    );
    Value::Object(m)
}

fn file_json(f: &File) -> Value {
    let mut m = Map::new();
    m.insert("filename".into(), f.name.clone().into());
    m.insert("originalFilename".into(), f.original.clone().into());
    m.insert("verificationHash".into(), f.md5.clone().into());
    m.insert("md5".into(), f.md5.clone().into());
    m.insert("sha1".into(), f.sha1.clone().into());
    if let Some(sha256) = &f.sha256 {
        m.insert("sha256".into(), sha256.clone().into());
    }
    m.insert("viewedByEsp".into(), f.viewed.into());
    if let Some(c) = f.classification {
        m.insert("industryClassification".into(), c.into());
    }
    if f.annotations != 0 {
        let names: Vec<Value> = FILE_ANNOTATIONS
            .iter()
            .enumerate()
            .filter(|(bit, _)| f.annotations & (1 << bit) != 0)
            .map(|(_, n)| (*n).into())
            .collect();
        m.insert("fileAnnotations".into(), names.into());
    }
    m.insert(
        "sourceInformation".into(),
        json!({ "sourceCaptures": [capture_json(&f.upload)] }),
    );
    Value::Object(m)
}

/// Renders the law-enforcement JSON form into `out` (cleared first).
pub fn report_json(r: &Report, out: &mut Vec<u8>) -> serde_json::Result<()> {
    out.clear();
    let service = &SERVICES[r.person.service];
    let child = |c: &Child| {
        json!({
            "firstName": c.first,
            "approximateAge": c.age,
            "espService": service.name,
            "espUserId": c.user_id,
            "screenName": { "value": c.screen_name },
        })
    };
    let recipients: Vec<Value> = r.recipients.iter().map(child).collect();
    let victims: Vec<Value> = r.victims.iter().map(child).collect();
    let files: Vec<Value> = r.files.iter().map(file_json).collect();
    let info: Vec<Value> = r
        .additional_info
        .iter()
        .map(|v| json!({ "value": v }))
        .collect();
    let mut doc = Map::new();
    doc.insert("reportId".into(), r.id.to_string().into());
    doc.insert("dateReceived".into(), timestamp(r.received).into());
    if r.annotations != 0 {
        let names: Vec<Value> = REPORT_ANNOTATIONS
            .iter()
            .enumerate()
            .filter(|(bit, _)| r.annotations & (1 << bit) != 0)
            .map(|(_, n)| (*n).into())
            .collect();
        doc.insert("reportAnnotations".into(), names.into());
    }
    if r.escalate {
        doc.insert("escalateToHighPriority".into(), true.into());
    }
    doc.insert(
        "reportedInformation".into(),
        json!({
            "reportingEsp": { "espName": service.company },
            "incidentSummary": {
                "incidentType": INCIDENT_TYPES[r.incident_type],
                "platform": r.platform,
                "incidentDateTime": timestamp(r.incident_at),
            },
            "reportedPeople": { "reportedPersons": [person_json(&r.person)] },
            "intendedRecipients": { "intendedRecipients": recipients },
            "victims": { "victims": victims },
            "uploadedFiles": { "uploadedFiles": files },
            "additionalInformations": info,
        }),
    );
    serde_json::to_writer_pretty(&mut *out, &Value::Object(doc))?;
    out.push(b'\n');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_dates() {
        assert_eq!(timestamp(1_767_225_600), "2026-01-01T00:00:00Z");
        assert_eq!(
            timestamp(1_767_225_600 + 59 * 86_400 + 3_723),
            "2026-03-01T01:02:03Z"
        );
        assert_eq!(date_of_birth(0), "1958-01-01");
        assert_eq!(date_of_birth(366 + 365), "1960-01-02");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a & <b>"), "a &amp; &lt;b&gt;");
        assert_eq!(escape("plain"), "plain");
    }
}
