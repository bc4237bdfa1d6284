//! The law-enforcement (LE) JSON form of a CyberTip, as forces receive it from the NCA.
//!
//! There is no published schema, so the reader is permissive: unknown fields are ignored, lists may come
//! wrapped (`{"emails": {"emails": [...]}}`) or bare, and strings may stand for numbers. A field of the
//! wrong type is still a rejection, naming its JSON path.

use crate::common::{self, Fail, PersonDraft};
use crate::{DocContext, MAX_TEXT_BYTES, Parsed};
use jiff::Timestamp;
use serde_json::{Map, Value};
use severn_domain::normalize;
use severn_domain::report::{
    FileAnnotation, FileInfo, Format, HashType, IdentifierKind, IncidentType,
    IndustryClassification, IpCapture, PersonRole, ReportAnnotation, SourceRef,
};

pub(crate) fn parse(bytes: &[u8], path: &str, ctx: &DocContext) -> Result<Parsed, Fail> {
    // Tools on Windows write a byte-order mark, which JSON parsers refuse.
    let json = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let value: Value = serde_json::from_slice(json).map_err(|e| {
        Fail::new(format!("malformed JSON: {e}")).at(format!(
            "line {}, column {}",
            e.line(),
            e.column()
        ))
    })?;
    let root = match &value {
        Value::Object(map) => Obj {
            map,
            path: String::new(),
        },
        _ => return Err(Fail::new("an LE JSON document must be a JSON object").field("$")),
    };
    // Other JSON (a corpus summary, a manifest given as a file) must not become an empty report.
    if !root.map.contains_key("reportId") && !root.map.contains_key("reportedInformation") {
        return Err(Fail::new(
            "JSON document is not a CyberTip LE report (it has neither reportId nor reportedInformation)",
        ));
    }

    let json_id = root.string("reportId")?;
    if let Some(id) = &json_id
        && !common::is_report_id(id)
    {
        return Err(Fail::new(format!("reportId {id:?} is not a report number")).field("reportId"));
    }
    if let (Some(json_id), Some(manifest_id)) = (&json_id, &ctx.report_id)
        && json_id != manifest_id
    {
        return Err(Fail::new(format!(
            "reportId {json_id} differs from the manifest's report ID {manifest_id}"
        ))
        .field("reportId"));
    }
    let sha = common::sha256_hex(bytes);
    let source_ref = match json_id
        .or_else(|| ctx.report_id.clone())
        .or_else(|| common::report_id_from_path(path))
    {
        Some(id) => SourceRef::NcmecReportId(id),
        None => SourceRef::Sha256(sha.clone()),
    };
    let mut report = common::new_report(source_ref, Format::CybertipLeJson, sha, ctx);
    report.reported_at = root.timestamp("dateReceived")?;

    let info = root.object("reportedInformation")?;
    // Report-level extras may sit at the top or inside reportedInformation.
    for level in std::iter::once(&root).chain(info.as_ref()) {
        if level.boolean("escalateToHighPriority")? == Some(true) {
            report.escalate_to_high_priority = true;
        }
        for (item_path, item) in level.list("reportAnnotations", "reportAnnotations")? {
            let name = text(&item_path, item)?;
            if let Some(annotation) = name
                .as_deref()
                .and_then(ReportAnnotation::from_element_name)
            {
                report.annotations.insert(annotation);
            }
        }
    }
    let Some(info) = info else {
        return Ok(Parsed::Report(Box::new(report)));
    };

    if let Some(esp) = info.object("reportingEsp")? {
        report.reporting_esp = esp.string("espName")?;
    }
    if let Some(summary) = info.object("incidentSummary")? {
        if let Some(raw) = summary.string("incidentType")? {
            report.incident_type = Some(IncidentType::parse(&raw).ok_or_else(|| {
                Fail::new(format!("unknown incident type {raw:?}"))
                    .field(summary.child("incidentType"))
            })?);
        }
        report.incident_at = summary.timestamp("incidentDateTime")?;
        report.platform = summary.string("platform")?;
        if summary.boolean("escalateToHighPriority")? == Some(true) {
            report.escalate_to_high_priority = true;
        }
    }

    for (key, inner, role) in [
        ("reportedPeople", "reportedPersons", PersonRole::Reported),
        (
            "intendedRecipients",
            "intendedRecipients",
            PersonRole::IntendedRecipient,
        ),
        ("victims", "victims", PersonRole::Victim),
    ] {
        for (item_path, item) in info.list(key, inner)? {
            let person = as_object(&item_path, item)?;
            report.people.push(read_person(&person, role)?);
        }
    }

    for (item_path, item) in info.list("uploadedFiles", "uploadedFiles")? {
        report.files.push(read_file(&as_object(&item_path, item)?)?);
    }

    for (item_path, item) in info.list("additionalInformations", "additionalInformations")? {
        let value = match item {
            Value::Object(map) => Obj {
                map,
                path: item_path,
            }
            .string("value")?,
            other => text(&item_path, other)?,
        };
        report.additional_info.extend(value);
    }
    Ok(Parsed::Report(Box::new(report)))
}

fn read_person(obj: &Obj<'_>, role: PersonRole) -> Result<severn_domain::report::Person, Fail> {
    let mut draft = PersonDraft::new(role);
    draft.person.first_name = obj.string("firstName")?;
    draft.person.last_name = obj.string("lastName")?;
    draft.person.date_of_birth = obj.string("dateOfBirth")?;
    draft.person.approximate_age = obj.string("approximateAge")?.and_then(|a| a.parse().ok());
    draft.person.access_to_children = obj.boolean("accessToChildren")?;
    draft.person.convicted_sex_offender = obj.boolean("convictedSexOffender")?;
    draft.service = obj.string("espService")?;
    if let Some(id) = obj.string("espUserId")? {
        draft.add(IdentifierKind::EspUserId, None, &id);
    }
    match obj.get("screenName") {
        Some(Value::Object(map)) => {
            let screen = Obj {
                map,
                path: obj.child("screenName"),
            };
            if let Some(name) = screen.string("value")? {
                draft.add(IdentifierKind::ScreenName, None, &name);
            }
        }
        _ => {
            if let Some(name) = obj.string("screenName")? {
                draft.add(IdentifierKind::ScreenName, None, &name);
            }
        }
    }
    if let Some(name) = obj.string("displayName")? {
        draft.person.display_names.push(name);
    }
    for (item_path, item) in obj.list("emails", "emails")? {
        if let Some(email) = value_of(&item_path, item)? {
            draft.add(IdentifierKind::Email, None, &email);
        }
    }
    for (item_path, item) in obj.list("phones", "phones")? {
        let country = match item {
            Value::Object(map) => Obj {
                map,
                path: item_path.clone(),
            }
            .string("countryCallingCode")?,
            _ => None,
        };
        if let Some(phone) = value_of(&item_path, item)? {
            draft.add_phone(&phone, country.as_deref());
        }
    }
    for (item_path, item) in obj.list("deviceIds", "deviceIds")? {
        let device = as_object(&item_path, item)?;
        if let Some(value) = device.string("idValue")? {
            let id_type = device.string("idType")?;
            draft.add(IdentifierKind::DeviceId, id_type.as_deref(), &value);
        }
    }
    for (key, kind) in [
        ("profileUrls", IdentifierKind::ProfileUrl),
        ("priorCTReports", IdentifierKind::PriorCybertip),
        ("groupIdentifiers", IdentifierKind::GroupId),
    ] {
        for (item_path, item) in obj.list(key, key)? {
            if let Some(value) = text(&item_path, item)? {
                draft.add(kind, None, &value);
            }
        }
    }
    for capture in captures(obj)? {
        draft.person.add_ip_capture(capture);
    }
    Ok(draft.finish())
}

fn read_file(obj: &Obj<'_>) -> Result<FileInfo, Fail> {
    let mut file = FileInfo {
        file_id: obj.string("fileId")?,
        file_name: obj.string("filename")?,
        original_file_name: obj.string("originalFilename")?,
        viewed_by_esp: obj.boolean("viewedByEsp")?,
        ..FileInfo::default()
    };
    if let Some(raw) = obj.string("industryClassification")? {
        file.industry_classification =
            Some(IndustryClassification::parse(&raw).ok_or_else(|| {
                Fail::new(format!("unknown industry classification {raw:?}"))
                    .field(obj.child("industryClassification"))
            })?);
    }
    if let Some(raw) = obj.string("verificationHash")? {
        let hash_type = common::hash_type_by_length(&raw);
        let label = match hash_type {
            HashType::Md5 => "MD5",
            HashType::Sha1 => "SHA1",
            HashType::Sha256 => "SHA256",
            HashType::Other => "verificationHash",
        };
        let hash = common::file_hash(hash_type, label, &raw)
            .map_err(|reason| Fail::new(reason).field(obj.child("verificationHash")))?;
        file.hashes.push(hash);
    }
    for (key, hash_type, label) in [
        ("md5", HashType::Md5, "MD5"),
        ("sha1", HashType::Sha1, "SHA1"),
        ("sha256", HashType::Sha256, "SHA256"),
    ] {
        if let Some(raw) = obj.string(key)? {
            let hash = common::file_hash(hash_type, label, &raw)
                .map_err(|reason| Fail::new(reason).field(obj.child(key)))?;
            if !file.hashes.contains(&hash) {
                file.hashes.push(hash);
            }
        }
    }
    for (item_path, item) in obj.list("fileAnnotations", "fileAnnotations")? {
        if let Some(annotation) = text(&item_path, item)?
            .as_deref()
            .and_then(FileAnnotation::from_element_name)
        {
            file.annotations.insert(annotation);
        }
    }
    file.ip_captures = captures(obj)?;
    Ok(file)
}

/// IP captures from `sourceInformation.sourceCaptures`; captures whose value is not an IP address are
/// other kinds of capture and are skipped.
fn captures(obj: &Obj<'_>) -> Result<Vec<IpCapture>, Fail> {
    let mut out = Vec::new();
    let Some(source) = obj.object("sourceInformation")? else {
        return Ok(out);
    };
    for (item_path, item) in source.list("sourceCaptures", "sourceCaptures")? {
        let capture = as_object(&item_path, item)?;
        let Some(ip) = capture.string("value")?.as_deref().and_then(normalize::ip) else {
            continue;
        };
        out.push(IpCapture {
            ip,
            at: capture.timestamp("dateTime")?,
            port: capture.string("port")?.and_then(|p| p.parse().ok()),
            event: capture.string("eventName")?,
            possible_proxy: capture.boolean("possibleProxy")?,
        });
    }
    Ok(out)
}

/// A JSON object with its path from the document root, for messages.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

fn wrong_type(path: String, expected: &str) -> Fail {
    Fail::new(format!("expected {expected}")).field(path)
}

fn as_object<'a>(path: &str, value: &'a Value) -> Result<Obj<'a>, Fail> {
    match value {
        Value::Object(map) => Ok(Obj {
            map,
            path: path.to_owned(),
        }),
        _ => Err(wrong_type(path.to_owned(), "an object")),
    }
}

/// A string (or number) value; empty strings are absent.
fn text(path: &str, value: &Value) -> Result<Option<String>, Fail> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => {
            if s.len() > MAX_TEXT_BYTES {
                return Err(Fail::new("value longer than 1 MiB").field(path));
            }
            let s = s.trim();
            Ok((!s.is_empty()).then(|| s.to_owned()))
        }
        Value::Number(n) => Ok(Some(n.to_string())),
        _ => Err(wrong_type(path.to_owned(), "a string")),
    }
}

/// A list element that is either a bare string or `{"value": ...}`.
fn value_of(path: &str, value: &Value) -> Result<Option<String>, Fail> {
    match value {
        Value::Object(map) => Obj {
            map,
            path: path.to_owned(),
        }
        .string("value"),
        other => text(path, other),
    }
}

impl<'a> Obj<'a> {
    fn child(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn string(&self, key: &str) -> Result<Option<String>, Fail> {
        match self.get(key) {
            None => Ok(None),
            Some(value) => text(&self.child(key), value),
        }
    }

    fn object(&self, key: &str) -> Result<Option<Obj<'a>>, Fail> {
        match self.get(key) {
            None => Ok(None),
            Some(value) => as_object(&self.child(key), value).map(Some),
        }
    }

    /// `true`/`false` or the strings `Yes`/`No`; `Unknown` and other strings are no answer.
    fn boolean(&self, key: &str) -> Result<Option<bool>, Fail> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => Ok(common::parse_bool(s)),
            Some(_) => Err(wrong_type(
                self.child(key),
                "true, false, \"Yes\" or \"No\"",
            )),
        }
    }

    fn timestamp(&self, key: &str) -> Result<Option<Timestamp>, Fail> {
        match self.string(key)? {
            None => Ok(None),
            Some(raw) => common::parse_timestamp(&raw).map(Some).ok_or_else(|| {
                Fail::new(format!("invalid RFC 3339 date and time {raw:?}")).field(self.child(key))
            }),
        }
    }

    /// The elements of list `key`, given bare (`"key": [...]`) or wrapped (`"key": {"inner": [...]}`),
    /// each with its path.
    fn list(&self, key: &str, inner: &str) -> Result<Vec<(String, &'a Value)>, Fail> {
        let (path, items) = match self.get(key) {
            None => return Ok(Vec::new()),
            Some(Value::Array(items)) => (self.child(key), items),
            Some(Value::Object(map)) => {
                let wrapper = Obj {
                    map,
                    path: self.child(key),
                };
                match wrapper.get(inner) {
                    None => return Ok(Vec::new()),
                    Some(Value::Array(items)) => (wrapper.child(inner), items),
                    Some(_) => return Err(wrong_type(wrapper.child(inner), "a list")),
                }
            }
            Some(_) => return Err(wrong_type(self.child(key), "a list")),
        };
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, item)| (format!("{path}[{i}]"), item))
            .collect())
    }
}
