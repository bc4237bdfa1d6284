//! What is worked out for a document before its batch is written: keys, owner, provisional band, stored forms.

use super::subject::band_reason;
use super::{HashMap, HashSet};
use severn_domain::ids::OrgId;
use severn_domain::report::{FileDetails, Identifier, Report};
use severn_domain::risk::{Band, RiskTool, signals_from_report};
use severn_ingest::Rejection;
use severn_store::Packed;

/// A report with the work that needs no database done before its batch is written: its identifiers' keys,
/// its provisional band with the reason a subject gives for it, and the forms it is stored in. Done while the
/// previous batch is being written; only what writing needs is kept, since two batches are held at a time.
pub(super) struct Prepared {
    pub(super) report: Report,
    pub(super) key: String,
    /// The key of each identifier of each person, in the order of the report's people and their identifiers.
    pub(super) identifier_keys: Vec<String>,
    pub(super) owner: Option<OrgId>,
    pub(super) risk: PreparedRisk,
}

/// A referral's provisional band, worked out from its signals, and the forms its row stores.
pub(super) struct PreparedRisk {
    pub(super) band: Band,
    pub(super) band_reason: String,
    pub(super) signals: String,
    /// The outcome and the document, compressed.
    pub(super) outcome: Packed,
    pub(super) document: Packed,
}

impl PreparedRisk {
    pub(super) fn of(report: &Report, key: &str, tool: &RiskTool) -> PreparedRisk {
        let signals = signals_from_report(report);
        let outcome = tool.provisional(&signals);
        PreparedRisk {
            band: outcome.band,
            band_reason: band_reason(key, &outcome),
            signals: serde_json::to_string(&signals).expect("signals serialise"),
            outcome: Packed::pack(&serde_json::to_string(&outcome).expect("outcome serialises")),
            document: Packed::pack(&serde_json::to_string(report).expect("report serialises")),
        }
    }
}

impl Prepared {
    pub(super) fn new(key: String, report: Report, tool: &RiskTool, owners: &Owners) -> Prepared {
        Prepared {
            risk: PreparedRisk::of(&report, &key, tool),
            key,
            identifier_keys: report
                .people
                .iter()
                .flat_map(|p| &p.identifiers)
                .map(Identifier::key)
                .collect(),
            owner: owners.owner_of(&report),
            report,
        }
    }

    /// Works the band out again after more files were attached.
    pub(super) fn refresh(&mut self, tool: &RiskTool) {
        self.risk = PreparedRisk::of(&self.report, &self.key, tool);
    }
}

/// A file-details document as gathered: its keys and its stored JSON worked out here, not on the writer.
pub(super) struct PreparedDetails {
    pub(super) details: FileDetails,
    pub(super) source_ref: String,
    pub(super) file_id: String,
    pub(super) document: String,
}

#[derive(Default)]
pub(super) struct Batch {
    pub(super) reports: Vec<Prepared>,
    pub(super) file_details: Vec<PreparedDetails>,
    pub(super) rejects: Vec<Rejection>,
    pub(super) refs: HashSet<String>,
    pub(super) file_refs: HashSet<(String, String)>,
}

impl Batch {
    pub(super) fn len(&self) -> usize {
        self.reports.len() + self.file_details.len() + self.rejects.len()
    }
}

/// Which force owns a referral: the force its NCA package was disseminated to, otherwise the force the
/// ingest runs for.
#[derive(Debug, Clone, Default)]
pub struct Owners {
    /// Forces by lower-cased code and name.
    pub(super) forces: HashMap<String, OrgId>,
    pub(super) default: Option<OrgId>,
}

impl Owners {
    fn owner_of(&self, report: &Report) -> Option<OrgId> {
        report
            .nca
            .as_ref()
            .and_then(|n| self.forces.get(&n.receiving_force.trim().to_lowercase()))
            .copied()
            .or(self.default)
    }
}

pub(super) fn report_key(report_id: &str) -> String {
    severn_domain::report::SourceRef::NcmecReportId(report_id.to_owned()).as_key()
}

pub(super) fn file_key(details: &FileDetails) -> String {
    details
        .file
        .file_id
        .clone()
        .unwrap_or_else(|| format!("sha256:{}", details.content_sha256))
}

pub(super) fn attach_file(report: &mut Report, file: severn_domain::report::FileInfo) {
    let already = file.file_id.is_some() && report.files.iter().any(|f| f.file_id == file.file_id);
    if !already {
        report.files.push(file);
    }
}
