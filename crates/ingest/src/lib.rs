//! Parsers that turn referral documents into [`severn_domain::report`] types.
//!
//! Formats are detected by content, never by file name: CyberTipline XML (`report` and `fileDetails`), the
//! law-enforcement (LE) JSON form, NCA packages (a directory with `package.json`) and the partner CSV.
//! [`walk`] streams over files and directories one document (or CSV row) at a time; [`parse_document`]
//! parses one document held in memory. [`archive`] unpacks a zip or tar archive sent over the network into a
//! directory for [`walk`] to read. Anything that cannot be parsed becomes a [`Rejection`] that says
//! where and why, so that it can be stored and reviewed; one bad document never stops the others.
//!
//! Inputs are treated as hostile: DTDs and entity declarations are refused, undeclared entities are never
//! resolved, and documents, element nesting, text and attribute sizes are bounded (see the constants).
//!
//! Depends on `severn-domain` only: no storage, no use cases, no async runtime; it reads files and bytes.

pub mod archive;
mod common;
mod lejson;
mod package;
mod partner_csv;
mod walk;
mod xml;

use serde::{Deserialize, Serialize};
use severn_domain::report::{FileDetails, NcaDissemination, Report};
use std::fmt;
use std::path::PathBuf;

pub use walk::{Walker, walk};

/// Largest document read into memory; larger files are rejected unread (CSV files are streamed instead).
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;
/// How much of a rejected document is kept in [`Rejection::content`].
pub const MAX_REJECTED_CONTENT_BYTES: usize = 1024 * 1024;
/// Deepest XML element nesting accepted; the CyberTipline schema needs fewer than 10 levels.
pub const MAX_XML_DEPTH: usize = 32;
/// Longest text content of one XML element or one JSON/CSV value.
pub const MAX_TEXT_BYTES: usize = 1024 * 1024;
/// Longest XML attribute value.
pub const MAX_ATTRIBUTE_BYTES: usize = 4096;

/// A successfully parsed document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Parsed {
    Report(Box<Report>),
    FileDetails(FileDetails),
}

/// What is known about a document from outside it: the NCA package it came in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocContext {
    pub nca: Option<NcaDissemination>,
    /// The NCMEC report ID the package manifest gives for the document.
    pub report_id: Option<String>,
}

/// A document (or CSV row, or manifest entry) that could not be ingested, with enough detail to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// The file the problem is in (the manifest, for a manifest entry that names a missing document).
    pub path: String,
    /// `line 12, column 5`, an element path, `row 7, column suspect_emails`, or a manifest field.
    pub location: Option<String>,
    /// The element, JSON path, CSV column or manifest field at fault.
    pub field: Option<String>,
    pub reason: String,
    /// The rejected bytes (document, CSV row or manifest entry), at most [`MAX_REJECTED_CONTENT_BYTES`].
    pub content: Vec<u8>,
    pub context: Option<DocContext>,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        if let Some(location) = &self.location {
            write!(f, " ({location})")?;
        }
        if let Some(field) = &self.field {
            write!(f, " [{field}]")?;
        }
        write!(f, ": {}", self.reason)
    }
}

impl std::error::Error for Rejection {}

/// One result of [`walk`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Item {
    Parsed { path: String, parsed: Parsed },
    Rejected(Rejection),
}

/// Counts from [`parse_only`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseStats {
    pub reports: u64,
    pub file_details: u64,
    pub rejections: u64,
}

/// Parses everything under `paths` and only counts the results: the parse-only floor of the pipeline.
pub fn parse_only(paths: &[PathBuf]) -> ParseStats {
    let mut stats = ParseStats::default();
    for item in walk(paths) {
        match item {
            Item::Parsed {
                parsed: Parsed::Report(_),
                ..
            } => stats.reports += 1,
            Item::Parsed {
                parsed: Parsed::FileDetails(_),
                ..
            } => stats.file_details += 1,
            Item::Rejected(_) => stats.rejections += 1,
        }
    }
    stats
}

/// Parses one XML report, XML fileDetails or LE JSON document. `path` is only used in messages and for
/// the `<digits>.xml` report-ID convention. Partner CSV files hold many referrals and are read by [`walk`].
// The rejection is returned by value as agreed with the pipeline; it is the rare path, so its size is moot.
#[allow(clippy::result_large_err)]
pub fn parse_document(bytes: &[u8], path: &str, ctx: &DocContext) -> Result<Parsed, Rejection> {
    let result = if bytes.len() > MAX_DOCUMENT_BYTES {
        Err(common::Fail::new("document larger than 16 MiB"))
    } else {
        match common::detect(bytes) {
            Some(common::Kind::Xml) => xml::parse(bytes, path, ctx),
            Some(common::Kind::Json) => lejson::parse(bytes, path, ctx),
            Some(common::Kind::Csv) => Err(common::Fail::new(
                "a partner CSV file holds many referrals and is read row by row, not as one document",
            )),
            None => Err(common::Fail::new(
                "unrecognised content: not CyberTip XML, LE JSON or partner CSV",
            )),
        }
    };
    // A loose file has no context worth storing; a package document keeps its package details.
    let context = (*ctx != DocContext::default()).then(|| ctx.clone());
    result.map_err(|fail| fail.into_rejection(path, bytes, context))
}
