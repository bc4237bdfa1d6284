//! CyberTipline XML (`report` and `fileDetails`), read with a streaming pull parser.
//!
//! The document is walked once; the domain types are built as elements close. The reader never expands
//! entities beyond the five predefined ones and character references, and refuses any DOCTYPE, so entity
//! expansion attacks (billion laughs, XXE) have nothing to work with.

use crate::common::{self, Fail, PersonDraft};
use crate::{DocContext, MAX_ATTRIBUTE_BYTES, MAX_TEXT_BYTES, MAX_XML_DEPTH, Parsed};
use jiff::Timestamp;
use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use severn_domain::normalize;
use severn_domain::report::{
    FileAnnotation, FileDetails, FileInfo, Format, HashType, IdentifierKind, IncidentType,
    IndustryClassification, IpCapture, Location, PersonRole, Report, ReportAnnotation, SourceRef,
};

pub(crate) fn parse(bytes: &[u8], path: &str, ctx: &DocContext) -> Result<Parsed, Fail> {
    let mut parser = Parser {
        bytes,
        path: String::with_capacity(96),
        lens: Vec::with_capacity(MAX_XML_DEPTH),
        text: String::with_capacity(128),
        doc: Doc::None,
        root_closed: false,
    };
    let mut reader = Reader::from_reader(bytes);
    loop {
        let at = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| {
            Fail::new(format!("malformed XML: {e}"))
                .at(line_col(bytes, reader.error_position() as usize))
                .field(parser.element_path())
        })?;
        match event {
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::DocType(_) => {
                return Err(
                    Fail::new("DTD / entity declarations are not accepted").at(line_col(bytes, at))
                );
            }
            Event::Start(e) => parser.open(&e, at)?,
            Event::Empty(e) => {
                parser.open(&e, at)?;
                parser.close(at)?;
            }
            Event::End(_) => parser.close(at)?,
            Event::Text(t) => parser.push_text(&t, at)?,
            Event::CData(c) => {
                let raw = c.into_inner();
                parser.push_text(&raw, at)?;
            }
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref().ok().flatten().map(|c| c.to_string())
                } else {
                    resolve_predefined_entity(&r).map(str::to_owned)
                };
                match resolved {
                    Some(value) => parser.push_text(&value, at)?,
                    None => {
                        return Err(Fail::new(format!(
                            "undeclared entity or invalid character reference &{};",
                            &*r
                        ))
                        .at(line_col(bytes, at))
                        .field(parser.element_path()));
                    }
                }
            }
            Event::Eof => break,
        }
    }
    if !parser.lens.is_empty() {
        return Err(Fail::new("document ends before its elements are closed")
            .at(line_col(bytes, bytes.len()))
            .field(parser.element_path()));
    }
    let sha = common::sha256_hex(bytes);
    match parser.doc {
        Doc::None => Err(Fail::new("no root element")),
        Doc::Report(builder) => {
            let mut report = builder.report;
            report.source_ref = match ctx
                .report_id
                .clone()
                .or_else(|| common::report_id_from_path(path))
            {
                Some(id) => SourceRef::NcmecReportId(id),
                None => SourceRef::Sha256(sha.clone()),
            };
            report.content_sha256 = sha;
            report.nca = ctx.nca.clone();
            Ok(Parsed::Report(Box::new(report)))
        }
        Doc::FileDetails(builder) => {
            let report_id = builder.report_id.ok_or_else(|| {
                Fail::new("missing required element reportId").field("fileDetails/reportId")
            })?;
            if let Some(expected) = &ctx.report_id
                && *expected != report_id
            {
                return Err(Fail::new(format!(
                    "fileDetails reportId {report_id} differs from the manifest's report ID {expected}"
                ))
                .field("fileDetails/reportId"));
            }
            Ok(Parsed::FileDetails(FileDetails {
                report_id,
                content_sha256: sha,
                file: builder.file,
            }))
        }
    }
}

/// `line L, column C` (1-based, column in bytes) of a byte offset; computed only when reporting an error.
fn line_col(bytes: &[u8], offset: usize) -> String {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = before.len()
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    format!("line {line}, column {column}")
}

enum Doc {
    None,
    Report(Box<ReportBuilder>),
    FileDetails(Box<FileBuilder>),
}

struct Parser<'a> {
    bytes: &'a [u8],
    /// Slash-separated local names of the open elements, e.g. `report/incidentSummary/platform`.
    path: String,
    /// Length of `path` before each open element was appended.
    lens: Vec<usize>,
    /// Text of the innermost element, cleared when an element opens.
    text: String,
    doc: Doc,
    root_closed: bool,
}

impl Parser<'_> {
    fn element_path(&self) -> String {
        self.path.clone()
    }

    fn fail(&self, at: usize, reason: impl Into<String>) -> Fail {
        Fail::new(reason)
            .at(line_col(self.bytes, at))
            .field(self.element_path())
    }

    fn open(&mut self, e: &BytesStart<'_>, at: usize) -> Result<(), Fail> {
        if self.lens.len() >= MAX_XML_DEPTH {
            return Err(self.fail(at, format!("elements nested deeper than {MAX_XML_DEPTH}")));
        }
        let name = e.local_name().into_inner();
        self.lens.push(self.path.len());
        if !self.path.is_empty() {
            self.path.push('/');
        }
        self.path.push_str(name);
        self.text.clear();
        if self.lens.len() == 1 {
            if self.root_closed {
                return Err(self.fail(at, "more than one root element"));
            }
            self.doc = match name {
                "report" => Doc::Report(Box::new(ReportBuilder::new())),
                "fileDetails" => Doc::FileDetails(Box::default()),
                other => {
                    return Err(self.fail(
                        at,
                        format!(
                            "unexpected root element <{other}>: expected report or fileDetails"
                        ),
                    ));
                }
            };
        }
        let result = match &mut self.doc {
            Doc::Report(b) => b.open(&self.path, e),
            Doc::FileDetails(b) => b.open(&self.path, e),
            Doc::None => Ok(()),
        };
        result.map_err(|reason| self.fail(at, reason))
    }

    fn close(&mut self, at: usize) -> Result<(), Fail> {
        let Self {
            path, text, doc, ..
        } = self;
        let result = match doc {
            Doc::Report(b) => b.close(path, text),
            Doc::FileDetails(b) => b.close(path, text),
            Doc::None => Ok(()),
        };
        result.map_err(|reason| self.fail(at, reason))?;
        let len = self.lens.pop().unwrap_or(0);
        self.path.truncate(len);
        self.text.clear();
        if self.lens.is_empty() {
            self.root_closed = true;
        }
        Ok(())
    }

    fn push_text(&mut self, value: &str, at: usize) -> Result<(), Fail> {
        if self.lens.is_empty() {
            if value.trim().is_empty() {
                return Ok(());
            }
            return Err(self.fail(at, "text outside the root element"));
        }
        if self.text.len() + value.len() > MAX_TEXT_BYTES {
            return Err(self.fail(at, "element text longer than 1 MiB"));
        }
        self.text.push_str(value);
        Ok(())
    }
}

/// The value of attribute `name`, with only predefined entities and character references resolved.
fn attribute(e: &BytesStart<'_>, name: &str) -> Result<Option<String>, String> {
    let Some(attr) = e
        .try_get_attribute(name)
        .map_err(|err| format!("malformed attribute: {err}"))?
    else {
        return Ok(None);
    };
    if attr.value.len() > MAX_ATTRIBUTE_BYTES {
        return Err(format!(
            "attribute {name} longer than {MAX_ATTRIBUTE_BYTES} bytes"
        ));
    }
    attr.normalized_value_with(XmlVersion::Implicit1_0, 1, resolve_predefined_entity)
        .map(|v| Some(v.trim().to_owned()))
        .map_err(|err| format!("attribute {name}: {err}"))
}

fn timestamp(text: &str) -> Option<Timestamp> {
    common::parse_timestamp(text)
}

/// A flag element (`<viral/>`, `<viral>true</viral>`); `false` (invalid by the schema) is read as absent.
fn flag_set(text: &str) -> bool {
    let text = text.trim();
    text.is_empty() || common::parse_bool(text) == Some(true)
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

#[derive(Default)]
struct CaptureDraft {
    ip: Option<String>,
    at: Option<Timestamp>,
    port: Option<u16>,
    event: Option<String>,
    possible_proxy: Option<bool>,
}

impl CaptureDraft {
    /// Child element of `ipCaptureEvent`; returns false when `name` is not one.
    fn set(&mut self, name: &str, text: &str) -> bool {
        match name {
            "ipAddress" => self.ip = non_empty(text),
            "eventName" => self.event = non_empty(text),
            "dateTime" => self.at = timestamp(text),
            "possibleProxy" => self.possible_proxy = common::parse_bool(text),
            "port" => self.port = text.trim().parse().ok(),
            _ => return false,
        }
        true
    }

    /// The capture, when its address is an IP address; anything else is not evidence and is skipped.
    fn finish(self) -> Option<IpCapture> {
        let ip = normalize::ip(self.ip.as_deref()?)?;
        Some(IpCapture {
            ip,
            at: self.at,
            port: self.port,
            event: self.event,
            possible_proxy: self.possible_proxy,
        })
    }
}

struct ReportBuilder {
    report: Report,
    seen_summary: bool,
    seen_incident_time: bool,
    person: Option<PersonDraft>,
    /// Length of the person element's path plus the slash: the start of paths relative to the person.
    person_prefix: usize,
    capture: Option<CaptureDraft>,
    device: (Option<String>, Option<String>),
    phone_country_code: Option<String>,
    location: Option<Location>,
}

impl ReportBuilder {
    fn new() -> Self {
        ReportBuilder {
            // Source reference and hash are set once the whole document has been read.
            report: common::new_report(
                SourceRef::Sha256(String::new()),
                Format::CybertipXml,
                String::new(),
                &DocContext::default(),
            ),
            seen_summary: false,
            seen_incident_time: false,
            person: None,
            person_prefix: 0,
            capture: None,
            device: (None, None),
            phone_country_code: None,
            location: None,
        }
    }

    /// The path below the open person element, with the person-type child (`personOrUserReportedPerson`,
    /// `intendedRecipientPerson`, `victimPerson`) folded to `person`.
    fn person_rel<'p>(&self, path: &'p str) -> Option<(bool, &'p str)> {
        self.person.as_ref()?;
        // While a person is open every element path is the person's own or below it.
        if path.len() + 1 == self.person_prefix {
            return Some((false, ""));
        }
        let rel = path.get(self.person_prefix..)?;
        match rel.split_once('/') {
            Some((first, rest)) if first.ends_with("Person") => Some((true, rest)),
            _ => Some((false, rel)),
        }
    }

    fn open(&mut self, path: &str, e: &BytesStart<'_>) -> Result<(), String> {
        let role = match path {
            "report/personOrUserReported" => Some(PersonRole::Reported),
            "report/intendedRecipient" => Some(PersonRole::IntendedRecipient),
            "report/victim" => Some(PersonRole::Victim),
            _ => None,
        };
        if let Some(role) = role {
            self.person = Some(PersonDraft::new(role));
            self.person_prefix = path.len() + 1;
            return Ok(());
        }
        match self.person_rel(path) {
            Some((true, "phone")) => {
                self.phone_country_code = attribute(e, "countryCallingCode")?;
            }
            Some((false, "ipCaptureEvent")) => self.capture = Some(CaptureDraft::default()),
            Some((false, "deviceId")) => self.device = (None, None),
            Some((false, "estimatedLocation")) => {
                self.location = Some(Location {
                    verified: attribute(e, "verified")?.and_then(|v| common::parse_bool(&v)),
                    ..Location::default()
                });
            }
            _ => {}
        }
        Ok(())
    }

    fn close(&mut self, path: &str, text: &str) -> Result<(), String> {
        if let Some((in_person_type, rel)) = self.person_rel(path) {
            if rel.is_empty() {
                if let Some(draft) = self.person.take() {
                    self.report.people.push(draft.finish());
                }
                return Ok(());
            }
            self.close_person_child(in_person_type, rel, text);
            return Ok(());
        }
        match path {
            "report" => {
                if !self.seen_summary {
                    return Err("missing required element incidentSummary".into());
                }
            }
            "report/incidentSummary" => {
                self.seen_summary = true;
                if self.report.incident_type.is_none() {
                    return Err("missing required element incidentType".into());
                }
                if !self.seen_incident_time {
                    return Err("missing required element incidentDateTime".into());
                }
            }
            "report/incidentSummary/incidentType" => {
                self.report.incident_type = Some(
                    IncidentType::parse(text)
                        .ok_or_else(|| format!("unknown incident type {:?}", text.trim()))?,
                );
            }
            "report/incidentSummary/platform" => self.report.platform = non_empty(text),
            "report/incidentSummary/escalateToHighPriority" => {
                // A free-text reason in the schema: any value but an explicit "false" escalates.
                self.report.escalate_to_high_priority = common::parse_bool(text) != Some(false);
            }
            "report/incidentSummary/incidentDateTime" => {
                self.report.incident_at = Some(
                    timestamp(text)
                        .ok_or_else(|| format!("invalid date and time {:?}", text.trim()))?,
                );
                self.seen_incident_time = true;
            }
            "report/additionalInfo" => {
                if let Some(info) = non_empty(text) {
                    self.report.additional_info.push(info);
                }
            }
            _ => {
                if let Some(flag) = path.strip_prefix("report/incidentSummary/reportAnnotations/")
                    && let Some(annotation) = ReportAnnotation::from_element_name(flag)
                    && flag_set(text)
                {
                    self.report.annotations.insert(annotation);
                }
            }
        }
        Ok(())
    }

    fn close_person_child(&mut self, in_person_type: bool, rel: &str, text: &str) {
        let Some(draft) = self.person.as_mut() else {
            return;
        };
        if in_person_type {
            match rel {
                "firstName" => PersonDraft::set_text(&mut draft.person.first_name, text),
                "lastName" => PersonDraft::set_text(&mut draft.person.last_name, text),
                "dateOfBirth" => PersonDraft::set_text(&mut draft.person.date_of_birth, text),
                "age" => draft.person.approximate_age = text.trim().parse().ok(),
                "phone" => {
                    let code = self.phone_country_code.take();
                    draft.add_phone(text, code.as_deref());
                }
                "email" => draft.add(IdentifierKind::Email, None, text),
                _ => {}
            }
            return;
        }
        if let Some(child) = rel.strip_prefix("ipCaptureEvent/") {
            if let Some(capture) = self.capture.as_mut() {
                capture.set(child, text);
            }
            return;
        }
        if let Some(child) = rel.strip_prefix("deviceId/") {
            match child {
                "idType" => self.device.0 = non_empty(text),
                "idValue" => self.device.1 = non_empty(text),
                _ => {}
            }
            return;
        }
        if let Some(child) = rel.strip_prefix("estimatedLocation/") {
            if let Some(location) = self.location.as_mut() {
                match child {
                    "city" => location.city = non_empty(text),
                    "region" => location.region = non_empty(text),
                    "countryCode" => location.country_code = non_empty(text),
                    _ => {}
                }
            }
            return;
        }
        match rel {
            "espIdentifier" => draft.add(IdentifierKind::EspUserId, None, text),
            "espService" => draft.service = non_empty(text),
            "screenName" => draft.add(IdentifierKind::ScreenName, None, text),
            "groupIdentifier" => draft.add(IdentifierKind::GroupId, None, text),
            "displayName" => {
                if let Some(name) = non_empty(text)
                    && !draft.person.display_names.contains(&name)
                {
                    draft.person.display_names.push(name);
                }
            }
            "profileUrl" => draft.add(IdentifierKind::ProfileUrl, None, text),
            "priorCTReports" => draft.add(IdentifierKind::PriorCybertip, None, text),
            "ipCaptureEvent" => {
                if let Some(capture) = self.capture.take().and_then(CaptureDraft::finish) {
                    draft.person.add_ip_capture(capture);
                }
            }
            "deviceId" => {
                if let (id_type, Some(value)) = std::mem::take(&mut self.device) {
                    draft.add(IdentifierKind::DeviceId, id_type.as_deref(), &value);
                }
            }
            "estimatedLocation" => draft.person.estimated_location = self.location.take(),
            "additionalInfo" => {
                if let Some(info) = non_empty(text) {
                    self.report.additional_info.push(info);
                }
            }
            _ => {}
        }
    }
}

#[derive(Default)]
struct FileBuilder {
    file: FileInfo,
    report_id: Option<String>,
    hash_type: Option<String>,
    details_are_hashes: bool,
    pair: (Option<String>, Option<String>),
    capture: Option<CaptureDraft>,
}

impl FileBuilder {
    fn open(&mut self, path: &str, e: &BytesStart<'_>) -> Result<(), String> {
        match path {
            "fileDetails/originalFileHash" => {
                self.hash_type = Some(
                    attribute(e, "hashType")?
                        .ok_or("originalFileHash without its required hashType attribute")?,
                );
            }
            "fileDetails/ipCaptureEvent" => self.capture = Some(CaptureDraft::default()),
            "fileDetails/details" => {
                self.details_are_hashes =
                    attribute(e, "type")?.is_some_and(|t| t.eq_ignore_ascii_case("HASH"));
            }
            "fileDetails/details/nameValuePair" => self.pair = (None, None),
            _ => {}
        }
        Ok(())
    }

    fn close(&mut self, path: &str, text: &str) -> Result<(), String> {
        let Some(rel) = path.strip_prefix("fileDetails/") else {
            return Ok(());
        };
        match rel {
            "reportId" => {
                let id = text.trim();
                if !common::is_report_id(id) {
                    return Err(format!("reportId {id:?} is not a report number"));
                }
                self.report_id = Some(id.to_owned());
            }
            "fileId" => self.file.file_id = non_empty(text),
            "fileName" => self.file.file_name = non_empty(text),
            "originalFileName" => self.file.original_file_name = non_empty(text),
            "fileViewedByEsp" => self.file.viewed_by_esp = common::parse_bool(text),
            // The older schema's lone boolean, before the fileAnnotations set existed.
            "potentialMeme" => {
                if common::parse_bool(text) == Some(true) {
                    self.file.annotations.insert(FileAnnotation::PotentialMeme);
                }
            }
            "industryClassification" => {
                self.file.industry_classification =
                    Some(IndustryClassification::parse(text).ok_or_else(|| {
                        format!("unknown industry classification {:?}", text.trim())
                    })?);
            }
            "originalFileHash" => {
                let label = self.hash_type.take().unwrap_or_default();
                let hash = common::file_hash(HashType::parse(&label), &label, text)?;
                self.file.hashes.push(hash);
            }
            "ipCaptureEvent" => {
                if let Some(capture) = self.capture.take().and_then(CaptureDraft::finish) {
                    self.file.ip_captures.push(capture);
                }
            }
            "details/nameValuePair/name" => self.pair.0 = non_empty(text),
            "details/nameValuePair/value" => self.pair.1 = non_empty(text),
            "details/nameValuePair" => {
                if self.details_are_hashes
                    && let (Some(name), Some(value)) = std::mem::take(&mut self.pair)
                {
                    self.file
                        .hashes
                        .push(common::file_hash(HashType::Other, &name, &value)?);
                }
            }
            _ => {
                if let Some(child) = rel.strip_prefix("ipCaptureEvent/") {
                    if let Some(capture) = self.capture.as_mut() {
                        capture.set(child, text);
                    }
                } else if let Some(flag) = rel.strip_prefix("fileAnnotations/")
                    && let Some(annotation) = FileAnnotation::from_element_name(flag)
                    && flag_set(text)
                {
                    self.file.annotations.insert(annotation);
                }
            }
        }
        Ok(())
    }
}
