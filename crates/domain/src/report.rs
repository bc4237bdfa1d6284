//! A referral as Severn understands it, whatever format it arrived in.
//!
//! Parsers (crate `severn-ingest`) turn CyberTipline XML, the law-enforcement JSON form, NCA packages and the
//! partner CSV into a [`Report`]. Only metadata is kept: never file content.

use crate::normalize;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::net::IpAddr;

/// Stable reference of a report in its source: the NCMEC report ID where there is one, otherwise the SHA-256
/// of the document. Ingesting a document with a known reference never creates a second referral.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum SourceRef {
    NcmecReportId(String),
    /// A referral from another source that carries its own reference (CSV `source_reference`).
    External(String),
    Sha256(String),
}

impl SourceRef {
    /// The single-string form used in storage and on the command line: `ncmec:123`, `ext:ABC`, `sha256:ab…`.
    pub fn as_key(&self) -> String {
        match self {
            SourceRef::NcmecReportId(id) => format!("ncmec:{id}"),
            SourceRef::External(id) => format!("ext:{id}"),
            SourceRef::Sha256(hash) => format!("sha256:{hash}"),
        }
    }

    /// Parses the storage form, accepting a bare NCMEC report ID (digits only) for convenience.
    pub fn parse_key(key: &str) -> Option<SourceRef> {
        let key = key.trim();
        if let Some(id) = key.strip_prefix("ncmec:") {
            return Some(SourceRef::NcmecReportId(id.to_owned()));
        }
        if let Some(id) = key.strip_prefix("ext:") {
            return Some(SourceRef::External(id.to_owned()));
        }
        if let Some(hash) = key.strip_prefix("sha256:") {
            return Some(SourceRef::Sha256(hash.to_owned()));
        }
        if !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()) {
            return Some(SourceRef::NcmecReportId(key.to_owned()));
        }
        None
    }
}

/// The document format a report came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    CybertipXml,
    CybertipLeJson,
    PartnerCsv,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::CybertipXml => "cybertip_xml",
            Format::CybertipLeJson => "cybertip_le_json",
            Format::PartnerCsv => "partner_csv",
        }
    }

    pub fn parse(value: &str) -> Option<Format> {
        [
            Format::CybertipXml,
            Format::CybertipLeJson,
            Format::PartnerCsv,
        ]
        .into_iter()
        .find(|f| f.as_str() == value)
    }

    /// The document's form, in plain words.
    pub fn label(self) -> &'static str {
        match self {
            Format::CybertipXml => "CyberTipline XML",
            Format::CybertipLeJson => "CyberTipline law enforcement JSON",
            Format::PartnerCsv => "partner agency CSV",
        }
    }
}

/// Where a referral came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferralSource {
    /// An NCMEC CyberTipline report, usually disseminated by the NCA.
    Ncmec,
    PublicReport,
    /// The peer-to-peer "Child Protection System" and similar detection.
    P2pDetection,
    OtherForce,
    PartnerAgency,
}

impl ReferralSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ReferralSource::Ncmec => "ncmec",
            ReferralSource::PublicReport => "public_report",
            ReferralSource::P2pDetection => "p2p_detection",
            ReferralSource::OtherForce => "other_force",
            ReferralSource::PartnerAgency => "partner_agency",
        }
    }

    /// Where it came from, in plain words.
    pub fn label(self) -> &'static str {
        match self {
            ReferralSource::Ncmec => "NCMEC CyberTipline",
            ReferralSource::PublicReport => "Report from the public",
            ReferralSource::P2pDetection => "Peer-to-peer detection",
            ReferralSource::OtherForce => "Another force",
            ReferralSource::PartnerAgency => "Partner agency",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Some(
            match value
                .trim()
                .to_ascii_lowercase()
                .replace(['-', ' '], "_")
                .as_str()
            {
                "ncmec" | "cybertip" => ReferralSource::Ncmec,
                "public_report" | "public" => ReferralSource::PublicReport,
                "p2p_detection" | "p2p" => ReferralSource::P2pDetection,
                "other_force" => ReferralSource::OtherForce,
                "partner_agency" | "partner" => ReferralSource::PartnerAgency,
                _ => return None,
            },
        )
    }
}

/// The NCA's dissemination of a package to a force, when the report came in one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NcaDissemination {
    pub nca_reference: String,
    pub disseminated_at: Timestamp,
    pub receiving_force: String,
}

/// The eight CyberTipline incident types. Older spellings are accepted on ingest; only these are emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentType {
    ChildPornography,
    ChildSexTrafficking,
    ChildSexTourism,
    ChildSexualMolestation,
    MisleadingDomainName,
    MisleadingWordsOrImages,
    OnlineEnticement,
    UnsolicitedObsceneMaterialToChild,
}

impl IncidentType {
    pub const ALL: [IncidentType; 8] = [
        IncidentType::ChildPornography,
        IncidentType::ChildSexTrafficking,
        IncidentType::ChildSexTourism,
        IncidentType::ChildSexualMolestation,
        IncidentType::MisleadingDomainName,
        IncidentType::MisleadingWordsOrImages,
        IncidentType::OnlineEnticement,
        IncidentType::UnsolicitedObsceneMaterialToChild,
    ];

    /// The exact string of the current CyberTipline schema.
    pub fn cybertip_str(self) -> &'static str {
        match self {
            IncidentType::ChildPornography => {
                "Child Pornography (possession, manufacture, and distribution)"
            }
            IncidentType::ChildSexTrafficking => "Child Sex Trafficking",
            IncidentType::ChildSexTourism => "Child Sex Tourism",
            IncidentType::ChildSexualMolestation => "Child Sexual Molestation",
            IncidentType::MisleadingDomainName => "Misleading Domain Name",
            IncidentType::MisleadingWordsOrImages => {
                "Misleading Words or Digital Images on the Internet"
            }
            IncidentType::OnlineEnticement => "Online Enticement of Children for Sexual Acts",
            IncidentType::UnsolicitedObsceneMaterialToChild => {
                "Unsolicited Obscene Material Sent to a Child"
            }
        }
    }

    /// Parses a schema string, tolerating case, spacing and known older variants
    /// (`... for Sexual Act`), and the snake_case names used in CSV.
    pub fn parse(value: &str) -> Option<Self> {
        let folded: String = value
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let found = IncidentType::ALL.into_iter().find(|t| {
            let canonical: String = t
                .cybertip_str()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            let snake: String = serde_json::to_string(t)
                .unwrap_or_default()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect();
            folded == canonical || folded == snake
        });
        found.or(match folded.as_str() {
            "onlineenticementofchildrenforsexualact" => Some(IncidentType::OnlineEnticement),
            _ => None,
        })
    }
}

/// Report-level annotation flags (presence means true).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ReportAnnotation {
    Sextortion,
    CsamSolicitation,
    MinorToMinorInteraction,
    Spam,
    SadisticOnlineExploitation,
}

/// File-level annotation flags (presence means true).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FileAnnotation {
    AnimeDrawingVirtualHentai,
    PotentialMeme,
    Viral,
    PossibleSelfProduction,
    PhysicalHarm,
    ViolenceGore,
    Bestiality,
    LiveStreaming,
    Infant,
    GenerativeAi,
}

impl FileAnnotation {
    pub const ALL: [FileAnnotation; 10] = [
        FileAnnotation::AnimeDrawingVirtualHentai,
        FileAnnotation::PotentialMeme,
        FileAnnotation::Viral,
        FileAnnotation::PossibleSelfProduction,
        FileAnnotation::PhysicalHarm,
        FileAnnotation::ViolenceGore,
        FileAnnotation::Bestiality,
        FileAnnotation::LiveStreaming,
        FileAnnotation::Infant,
        FileAnnotation::GenerativeAi,
    ];

    /// The XML element name, which is also the JSON name.
    pub fn element_name(self) -> &'static str {
        match self {
            FileAnnotation::AnimeDrawingVirtualHentai => "animeDrawingVirtualHentai",
            FileAnnotation::PotentialMeme => "potentialMeme",
            FileAnnotation::Viral => "viral",
            FileAnnotation::PossibleSelfProduction => "possibleSelfProduction",
            FileAnnotation::PhysicalHarm => "physicalHarm",
            FileAnnotation::ViolenceGore => "violenceGore",
            FileAnnotation::Bestiality => "bestiality",
            FileAnnotation::LiveStreaming => "liveStreaming",
            FileAnnotation::Infant => "infant",
            FileAnnotation::GenerativeAi => "generativeAi",
        }
    }

    pub fn from_element_name(name: &str) -> Option<Self> {
        FileAnnotation::ALL
            .into_iter()
            .find(|a| a.element_name().eq_ignore_ascii_case(name))
    }
}

impl ReportAnnotation {
    pub const ALL: [ReportAnnotation; 5] = [
        ReportAnnotation::Sextortion,
        ReportAnnotation::CsamSolicitation,
        ReportAnnotation::MinorToMinorInteraction,
        ReportAnnotation::Spam,
        ReportAnnotation::SadisticOnlineExploitation,
    ];

    pub fn element_name(self) -> &'static str {
        match self {
            ReportAnnotation::Sextortion => "sextortion",
            ReportAnnotation::CsamSolicitation => "csamSolicitation",
            ReportAnnotation::MinorToMinorInteraction => "minorToMinorInteraction",
            ReportAnnotation::Spam => "spam",
            ReportAnnotation::SadisticOnlineExploitation => "sadisticOnlineExploitation",
        }
    }

    pub fn from_element_name(name: &str) -> Option<Self> {
        ReportAnnotation::ALL
            .into_iter()
            .find(|a| a.element_name().eq_ignore_ascii_case(name))
    }
}

/// NCMEC's industry classification of a file. Deliberately a type of its own: it is never mapped to the UK
/// A/B/C categories, and it must not be confused with the `A1`/`A2` pseudo country codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum IndustryClassification {
    /// Prepubescent, sex act.
    A1,
    /// Prepubescent, lascivious exhibition.
    A2,
    /// Pubescent, sex act.
    B1,
    /// Pubescent, lascivious exhibition.
    B2,
}

impl IndustryClassification {
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value.trim().to_ascii_uppercase().as_str() {
            "A1" => Self::A1,
            "A2" => Self::A2,
            "B1" => Self::B1,
            "B2" => Self::B2,
            _ => return None,
        })
    }
}

/// The kinds of identifier Severn links on. Service-scoped kinds only mean something with their service.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    Email,
    Phone,
    EspUserId,
    ScreenName,
    DeviceId,
    ProfileUrl,
    PriorCybertip,
    GroupId,
    IpAddress,
}

impl IdentifierKind {
    pub const ALL: [IdentifierKind; 9] = [
        IdentifierKind::Email,
        IdentifierKind::Phone,
        IdentifierKind::EspUserId,
        IdentifierKind::ScreenName,
        IdentifierKind::DeviceId,
        IdentifierKind::ProfileUrl,
        IdentifierKind::PriorCybertip,
        IdentifierKind::GroupId,
        IdentifierKind::IpAddress,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IdentifierKind::Email => "email",
            IdentifierKind::Phone => "phone",
            IdentifierKind::EspUserId => "esp_user_id",
            IdentifierKind::ScreenName => "screen_name",
            IdentifierKind::DeviceId => "device_id",
            IdentifierKind::ProfileUrl => "profile_url",
            IdentifierKind::PriorCybertip => "prior_cybertip",
            IdentifierKind::GroupId => "group_id",
            IdentifierKind::IpAddress => "ip_address",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            IdentifierKind::Email => "e-mail address",
            IdentifierKind::Phone => "phone number",
            IdentifierKind::EspUserId => "user ID",
            IdentifierKind::ScreenName => "screen name",
            IdentifierKind::DeviceId => "device ID",
            IdentifierKind::ProfileUrl => "profile URL",
            IdentifierKind::PriorCybertip => "earlier CyberTip number",
            IdentifierKind::GroupId => "group ID",
            IdentifierKind::IpAddress => "IP address",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        IdentifierKind::ALL
            .into_iter()
            .find(|k| k.as_str() == value)
    }

    /// Whether the value only means something together with the service it was seen on.
    pub fn is_service_scoped(self) -> bool {
        matches!(
            self,
            IdentifierKind::EspUserId | IdentifierKind::ScreenName | IdentifierKind::GroupId
        )
    }
}

/// A normalised identifier. Build one with [`Identifier::new`], which normalises the value for its kind and
/// refuses values that cannot be that kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Identifier {
    pub kind: IdentifierKind,
    /// Normalised service name for service-scoped kinds; the device ID type (IMEI, ICCID ...) for devices.
    pub service: Option<String>,
    pub value: String,
}

impl Identifier {
    /// Normalises `raw` for `kind`; `None` when the value is empty or not a valid value of that kind.
    /// A service-scoped kind without a service is kept with the service `unknown`, which still scopes it.
    pub fn new(kind: IdentifierKind, service: Option<&str>, raw: &str) -> Option<Identifier> {
        let value = normalize::identifier_value(kind, raw)?;
        let service = match kind {
            IdentifierKind::DeviceId => Some(
                service
                    .map(normalize::device_type)
                    .unwrap_or_else(|| "unknown".to_owned()),
            ),
            k if k.is_service_scoped() => Some(
                service
                    .and_then(normalize::service)
                    .unwrap_or_else(|| "unknown".to_owned()),
            ),
            _ => None,
        };
        Some(Identifier {
            kind,
            service,
            value,
        })
    }

    /// The one-string key identifiers are stored and looked up by: `kind|service|value`.
    pub fn key(&self) -> String {
        format!(
            "{}|{}|{}",
            self.kind.as_str(),
            self.service.as_deref().unwrap_or(""),
            self.value
        )
    }
}

/// An IP address capture with its context; the address also becomes a (weak) identifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpCapture {
    pub ip: IpAddr,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub possible_proxy: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Location {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

/// The part a person plays in a report. DPA 2018 s.38 asks us to keep these apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonRole {
    /// A person or user reported (the suspect).
    Reported,
    /// An intended recipient: often a child at risk.
    IntendedRecipient,
    Victim,
}

impl PersonRole {
    pub fn as_str(self) -> &'static str {
        match self {
            PersonRole::Reported => "reported",
            PersonRole::IntendedRecipient => "intended_recipient",
            PersonRole::Victim => "victim",
        }
    }

    pub fn parse(value: &str) -> Option<PersonRole> {
        [
            PersonRole::Reported,
            PersonRole::IntendedRecipient,
            PersonRole::Victim,
        ]
        .into_iter()
        .find(|r| r.as_str() == value)
    }

    /// The part played, in plain words.
    pub fn label(self) -> &'static str {
        match self {
            PersonRole::Reported => "Person reported",
            PersonRole::IntendedRecipient => "Intended recipient",
            PersonRole::Victim => "Victim",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub role: PersonRole,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approximate_age: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub display_names: Vec<String>,
    /// Normalised identifiers, including one `IpAddress` identifier per distinct captured address.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifiers: Vec<Identifier>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip_captures: Vec<IpCapture>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_location: Option<Location>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_to_children: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub convicted_sex_offender: Option<bool>,
}

impl Person {
    pub fn new(role: PersonRole) -> Self {
        Person {
            role,
            first_name: None,
            last_name: None,
            date_of_birth: None,
            approximate_age: None,
            display_names: Vec::new(),
            identifiers: Vec::new(),
            ip_captures: Vec::new(),
            estimated_location: None,
            access_to_children: None,
            convicted_sex_offender: None,
        }
    }

    /// Adds an identifier once; repeated values of the same identifier are not evidence twice.
    pub fn add_identifier(&mut self, identifier: Identifier) {
        if !self.identifiers.contains(&identifier) {
            self.identifiers.push(identifier);
        }
    }

    /// Adds an IP capture and its address as a weak identifier.
    pub fn add_ip_capture(&mut self, capture: IpCapture) {
        if let Some(id) = Identifier::new(IdentifierKind::IpAddress, None, &capture.ip.to_string())
        {
            self.add_identifier(id);
        }
        self.ip_captures.push(capture);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum HashType {
    #[serde(rename = "MD5")]
    Md5,
    #[serde(rename = "SHA1")]
    Sha1,
    #[serde(rename = "SHA256")]
    Sha256,
    /// Perceptual hashes (PDQ, PhotoDNA ...) are kept as reported, unchecked.
    #[serde(rename = "OTHER")]
    Other,
}

impl HashType {
    /// The hex length a hash of this type must have, where the type fixes one.
    pub fn hex_len(self) -> Option<usize> {
        match self {
            HashType::Md5 => Some(32),
            HashType::Sha1 => Some(40),
            HashType::Sha256 => Some(64),
            HashType::Other => None,
        }
    }

    pub fn parse(value: &str) -> HashType {
        match value
            .trim()
            .to_ascii_uppercase()
            .replace(['-', '_'], "")
            .as_str()
        {
            "MD5" => HashType::Md5,
            "SHA1" => HashType::Sha1,
            "SHA256" => HashType::Sha256,
            _ => HashType::Other,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileHash {
    pub hash_type: HashType,
    /// The name the source gave, e.g. `PDQ` for a perceptual hash.
    pub label: String,
    /// Lower-case hex for cryptographic hashes.
    pub value: String,
}

/// Metadata about a file in a report. Never its content.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FileInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_file_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hashes: Vec<FileHash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub industry_classification: Option<IndustryClassification>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub annotations: BTreeSet<FileAnnotation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viewed_by_esp: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip_captures: Vec<IpCapture>,
}

/// One referral document, parsed and normalised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub source_ref: SourceRef,
    pub format: Format,
    pub source: ReferralSource,
    /// SHA-256 of the document as received; a known reference with a new hash is a new version.
    pub content_sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nca: Option<NcaDissemination>,
    /// When the reporting service or NCMEC received it (`dateReceived`), where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_type: Option<IncidentType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporting_esp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_at: Option<Timestamp>,
    pub escalate_to_high_priority: bool,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub annotations: BTreeSet<ReportAnnotation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub people: Vec<Person>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileInfo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional_info: Vec<String>,
}

impl Report {
    /// A report with nothing in it yet but where it came from, for a parser to fill in.
    pub fn new(
        source_ref: SourceRef,
        format: Format,
        source: ReferralSource,
        content_sha256: String,
    ) -> Report {
        Report {
            source_ref,
            format,
            source,
            content_sha256,
            nca: None,
            reported_at: None,
            incident_type: None,
            platform: None,
            reporting_esp: None,
            incident_at: None,
            escalate_to_high_priority: false,
            annotations: BTreeSet::new(),
            people: Vec::new(),
            files: Vec::new(),
            additional_info: Vec::new(),
        }
    }

    pub fn reported_people(&self) -> impl Iterator<Item = &Person> {
        self.people
            .iter()
            .filter(|p| p.role == PersonRole::Reported)
    }

    /// Children at risk named in the report: intended recipients and victims.
    pub fn children_at_risk(&self) -> impl Iterator<Item = &Person> {
        self.people
            .iter()
            .filter(|p| p.role != PersonRole::Reported)
    }
}

/// A `fileDetails` document: one file's metadata, sent separately and attached to its report by report ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDetails {
    pub report_id: String,
    pub content_sha256: String,
    pub file: FileInfo,
}
