//! Pieces shared by the parsers: failures, content detection, timestamps, hashes and person building.

use crate::{DocContext, MAX_REJECTED_CONTENT_BYTES, Rejection};
use jiff::Timestamp;
use severn_domain::normalize;
use severn_domain::report::{
    FileHash, Format, HashType, Identifier, IdentifierKind, Person, PersonRole, ReferralSource,
    Report, SourceRef,
};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Why a parser gave up; turned into a [`Rejection`] by the caller, which knows the bytes and context.
#[derive(Debug)]
pub(crate) struct Fail {
    pub location: Option<String>,
    pub field: Option<String>,
    pub reason: String,
}

impl Fail {
    pub fn new(reason: impl Into<String>) -> Self {
        Fail {
            location: None,
            field: None,
            reason: reason.into(),
        }
    }

    pub fn at(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn into_rejection(self, path: &str, content: &[u8], ctx: Option<DocContext>) -> Rejection {
        Rejection {
            path: path.to_owned(),
            location: self.location,
            field: self.field,
            reason: self.reason,
            content: capped(content),
            context: ctx,
        }
    }
}

pub(crate) fn capped(content: &[u8]) -> Vec<u8> {
    content[..content.len().min(MAX_REJECTED_CONTENT_BYTES)].to_vec()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Xml,
    Json,
    Csv,
}

/// Detects the format from the first bytes of a document (a prefix is enough).
pub(crate) fn detect(bytes: &[u8]) -> Option<Kind> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = &bytes[start..];
    match rest[0] {
        b'<' => Some(Kind::Xml),
        b'{' => Some(Kind::Json),
        _ => {
            let rest = rest.strip_prefix(b"\"").unwrap_or(rest);
            let after = rest.strip_prefix(b"source_reference")?;
            matches!(after.first(), None | Some(b',' | b'"' | b'\r' | b'\n')).then_some(Kind::Csv)
        }
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// RFC 3339 / xs:dateTime. A time without an offset is taken as UTC, which is what NCMEC sends.
pub(crate) fn parse_timestamp(raw: &str) -> Option<Timestamp> {
    let raw = raw.trim();
    if let Ok(ts) = raw.parse::<Timestamp>() {
        return Some(ts);
    }
    let civil: jiff::civil::DateTime = raw.parse().ok()?;
    jiff::tz::TimeZone::UTC.to_timestamp(civil).ok()
}

/// Booleans as XML (`true`/`1`) and the LE JSON strings (`Yes`/`No`) write them; `Unknown` is no answer.
pub(crate) fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" => Some(true),
        "false" | "0" | "no" | "n" => Some(false),
        _ => None,
    }
}

/// A checked file hash: cryptographic types must be hex of their length and are lower-cased.
pub(crate) fn file_hash(hash_type: HashType, label: &str, raw: &str) -> Result<FileHash, String> {
    let value = raw.trim();
    let value = match hash_type.hex_len() {
        Some(len) => {
            if value.len() != len || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "{label} hash must be {len} hex digits, got {} characters",
                    value.chars().count()
                ));
            }
            value.to_ascii_lowercase()
        }
        None => {
            if value.is_empty() {
                return Err(format!("{label} hash is empty"));
            }
            value.to_owned()
        }
    };
    Ok(FileHash {
        hash_type,
        label: label.to_owned(),
        value,
    })
}

/// Hash type from the hex length of an untyped hash (LE JSON `verificationHash`).
pub(crate) fn hash_type_by_length(value: &str) -> HashType {
    match value.trim().len() {
        32 => HashType::Md5,
        40 => HashType::Sha1,
        64 => HashType::Sha256,
        _ => HashType::Other,
    }
}

/// The `<digits>` of a file named `<digits>.xml` or `<digits>.json`.
pub(crate) fn report_id_from_path(path: &str) -> Option<String> {
    let path = Path::new(path);
    let ext = path.extension()?.to_str()?;
    if !ext.eq_ignore_ascii_case("xml") && !ext.eq_ignore_ascii_case("json") {
        return None;
    }
    let stem = path.file_stem()?.to_str()?;
    is_report_id(stem).then(|| stem.to_owned())
}

pub(crate) fn is_report_id(value: &str) -> bool {
    !value.is_empty() && value.len() <= 20 && value.bytes().all(|b| b.is_ascii_digit())
}

/// An empty NCMEC report for `format`, to be filled in by a parser.
pub(crate) fn new_report(
    source_ref: SourceRef,
    format: Format,
    content_sha256: String,
    ctx: &DocContext,
) -> Report {
    Report {
        nca: ctx.nca.clone(),
        ..Report::new(source_ref, format, ReferralSource::Ncmec, content_sha256)
    }
}

/// A person being read. Service-scoped identifiers wait for the end, because the service may come after
/// them (in CyberTip XML `espIdentifier` precedes `espService`).
pub(crate) struct PersonDraft {
    pub person: Person,
    pub service: Option<String>,
    scoped: Vec<(IdentifierKind, String)>,
}

impl PersonDraft {
    pub fn new(role: PersonRole) -> Self {
        PersonDraft {
            person: Person::new(role),
            service: None,
            scoped: Vec::new(),
        }
    }

    /// Adds an identifier; values that are not valid for the kind are skipped, never fatal.
    pub fn add(&mut self, kind: IdentifierKind, service: Option<&str>, raw: &str) {
        if kind.is_service_scoped() {
            if !raw.trim().is_empty() {
                self.scoped.push((kind, raw.to_owned()));
            }
        } else if let Some(id) = Identifier::new(kind, service, raw) {
            self.person.add_identifier(id);
        }
    }

    pub fn add_phone(&mut self, raw: &str, country_code: Option<&str>) {
        if let Some(value) = normalize::phone_e164(raw, country_code) {
            self.person.add_identifier(Identifier {
                kind: IdentifierKind::Phone,
                service: None,
                value,
            });
        }
    }

    pub fn set_text(slot: &mut Option<String>, raw: &str) {
        let value = raw.trim();
        if !value.is_empty() {
            *slot = Some(value.to_owned());
        }
    }

    pub fn finish(mut self) -> Person {
        let service = self.service.as_deref();
        for (kind, raw) in std::mem::take(&mut self.scoped) {
            if let Some(id) = Identifier::new(kind, service, &raw) {
                self.person.add_identifier(id);
            }
        }
        self.person
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_by_content() {
        assert_eq!(detect(b"\xEF\xBB\xBF  <report/>"), Some(Kind::Xml));
        assert_eq!(detect(b"\n{\"reportId\": 1}"), Some(Kind::Json));
        assert_eq!(detect(b"source_reference,source\n"), Some(Kind::Csv));
        assert_eq!(
            detect(b"\"source_reference\",\"source\"\n"),
            Some(Kind::Csv)
        );
        assert_eq!(detect(b"source_references,x"), None);
        assert_eq!(detect(b"   "), None);
        assert_eq!(detect(b"%PDF-1.7"), None);
    }

    #[test]
    fn timestamps_with_and_without_offset() {
        assert_eq!(
            parse_timestamp("2026-01-15T14:30:00Z"),
            parse_timestamp("2026-01-15T14:30:00")
        );
        assert_eq!(
            parse_timestamp("2026-01-15T15:30:00+01:00"),
            parse_timestamp("2026-01-15T14:30:00Z")
        );
        assert!(parse_timestamp("yesterday").is_none());
    }

    #[test]
    fn report_ids_from_names() {
        assert_eq!(
            report_id_from_path("a/b/100000001.xml").as_deref(),
            Some("100000001")
        );
        assert_eq!(report_id_from_path("a/b/report.xml"), None);
        assert_eq!(report_id_from_path("100000001.txt"), None);
    }
}
