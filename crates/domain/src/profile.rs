//! The suspect profile: what the referrals linked to a subject say about the person reported and the children
//! they name, gathered in one place for the investigator (names, accounts per service, devices, IP log-ins with
//! their times for a communications data request, file metadata and hash counts). Metadata only: a file is
//! its name, hashes and classification, never its content.

use crate::report::{IdentifierKind, IndustryClassification, Person, Report};
use jiff::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// A value and the referrals that give it, in the order they were first seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Seen {
    pub value: String,
    /// The service an account is on, or the kind of device ID (IMEI, ICCID ...).
    pub service: Option<String>,
    pub referrals: Vec<String>,
}

/// The identifiers of one kind, e.g. every e-mail address the suspect used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct IdentifiersOfKind {
    pub kind: IdentifierKind,
    /// The kind in plain words, plural: "E-mail addresses".
    pub label: String,
    pub values: Vec<Seen>,
}

/// One IP address capture: what a communications data request asks the provider about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct IpLogin {
    pub ip: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub at: Option<Timestamp>,
    pub port: Option<u16>,
    /// What the service says happened: "Login", "Upload" ...; "File upload" for a file's capture.
    pub event: Option<String>,
    pub possible_proxy: bool,
    pub referral: String,
}

/// A file named in a referral, as metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FileLine {
    pub referral: String,
    pub name: Option<String>,
    /// The hash types held: "MD5", "PDQ" ...
    pub hashes: Vec<String>,
    /// The industry classification the service gave, in words.
    pub classification: Option<String>,
    pub viewed_by_service: Option<bool>,
}

/// How many files the service put in one industry classification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ClassCount {
    pub classification: String,
    pub files: usize,
}

/// Counts over every file in the referrals.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct FileSummary {
    pub files: usize,
    /// Files with at least one hash.
    pub hashed: usize,
    /// Distinct hash values across all files: a file sent in several referrals counts once.
    pub distinct_hashes: usize,
    /// Files per industry classification, in words, most serious first.
    pub by_classification: Vec<ClassCount>,
    /// Files the reporting service says it looked at.
    pub viewed_by_service: usize,
    pub lines: Vec<FileLine>,
}

/// A child named in the referrals as a victim or an intended recipient. A child named in several referrals
/// (by the same identifier, or the same name and date of birth) appears once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChildNamed {
    /// "Victim" or "Intended recipient"; both when the referrals differ.
    pub roles: Vec<String>,
    pub name: Option<String>,
    pub age: Option<String>,
    /// Accounts and contact details, in words: "screen name on example.com: pat_09".
    pub identifiers: Vec<String>,
    pub location: Option<String>,
    pub referrals: Vec<String>,
}

/// Everything the linked referrals say about the suspect and the children they name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct SuspectProfile {
    pub referrals: usize,
    /// Names given for the person reported, with date of birth or age where known.
    pub names: Vec<Seen>,
    pub display_names: Vec<Seen>,
    pub identifiers: Vec<IdentifiersOfKind>,
    /// Oldest first; captures without a time last.
    pub ip_logins: Vec<IpLogin>,
    pub locations: Vec<Seen>,
    /// What the referrals report about the person: access to children, a conviction.
    pub warnings: Vec<Seen>,
    pub files: FileSummary,
    pub children: Vec<ChildNamed>,
}

impl SuspectProfile {
    /// Builds the profile from the subject's referrals, each with its reference.
    pub fn from_referrals<'a>(referrals: impl IntoIterator<Item = (&'a str, &'a Report)>) -> Self {
        let mut profile = SuspectProfile::default();
        let mut names = SeenList::default();
        let mut display_names = SeenList::default();
        let mut locations = SeenList::default();
        let mut warnings = SeenList::default();
        let mut identifiers: BTreeMap<IdentifierKind, SeenList> = BTreeMap::new();
        let mut hashes = std::collections::BTreeSet::new();
        let mut classes: BTreeMap<IndustryClassification, usize> = BTreeMap::new();
        for (reference, report) in referrals {
            profile.referrals += 1;
            for person in report.reported_people() {
                if let Some(name) = full_name(person) {
                    names.add(name, None, reference);
                }
                for d in &person.display_names {
                    display_names.add(d.clone(), None, reference);
                }
                for id in &person.identifiers {
                    identifiers.entry(id.kind).or_default().add(
                        id.value.clone(),
                        id.service.clone(),
                        reference,
                    );
                }
                for c in &person.ip_captures {
                    profile.ip_logins.push(IpLogin {
                        ip: c.ip.to_string(),
                        at: c.at,
                        port: c.port,
                        event: c.event.clone(),
                        possible_proxy: c.possible_proxy.unwrap_or(false),
                        referral: reference.to_owned(),
                    });
                }
                if let Some(place) = person.estimated_location.as_ref().and_then(place) {
                    locations.add(place, None, reference);
                }
                if person.access_to_children == Some(true) {
                    warnings.add(
                        "Reported as having access to children".into(),
                        None,
                        reference,
                    );
                }
                if person.convicted_sex_offender == Some(true) {
                    warnings.add(
                        "Reported as a convicted sex offender".into(),
                        None,
                        reference,
                    );
                }
            }
            for file in &report.files {
                let summary = &mut profile.files;
                summary.files += 1;
                if !file.hashes.is_empty() {
                    summary.hashed += 1;
                }
                hashes.extend(
                    file.hashes
                        .iter()
                        .map(|h| (h.label.clone(), h.value.clone())),
                );
                if let Some(class) = file.industry_classification {
                    *classes.entry(class).or_default() += 1;
                }
                if file.viewed_by_esp == Some(true) {
                    summary.viewed_by_service += 1;
                }
                for c in &file.ip_captures {
                    profile.ip_logins.push(IpLogin {
                        ip: c.ip.to_string(),
                        at: c.at,
                        port: c.port,
                        event: Some(c.event.clone().unwrap_or_else(|| "File upload".into())),
                        possible_proxy: c.possible_proxy.unwrap_or(false),
                        referral: reference.to_owned(),
                    });
                }
                summary.lines.push(FileLine {
                    referral: reference.to_owned(),
                    name: file.original_file_name.clone().or(file.file_name.clone()),
                    hashes: file.hashes.iter().map(|h| h.label.clone()).collect(),
                    classification: file
                        .industry_classification
                        .map(|c| classification(c).into()),
                    viewed_by_service: file.viewed_by_esp,
                });
            }
            for child in report.children_at_risk() {
                add_child(&mut profile.children, child, reference);
            }
        }
        profile.names = fold_bare_names(names.0);
        profile.display_names = display_names.0;
        profile.locations = locations.0;
        profile.warnings = warnings.0;
        profile.identifiers = identifiers
            .into_iter()
            .filter(|(kind, _)| *kind != IdentifierKind::IpAddress)
            .map(|(kind, values)| IdentifiersOfKind {
                kind,
                label: group_label(kind).into(),
                values: values.0,
            })
            .collect();
        profile
            .ip_logins
            .sort_by_key(|l| (l.at.is_none(), l.at, l.ip.clone()));
        profile.files.distinct_hashes = hashes.len();
        profile.files.by_classification = classes
            .into_iter()
            .map(|(c, files)| ClassCount {
                classification: classification(c).to_owned(),
                files,
            })
            .collect();
        profile
    }
}

/// Values in first-seen order, each once, with every referral that gives it.
#[derive(Default)]
struct SeenList(Vec<Seen>);

impl SeenList {
    fn add(&mut self, value: String, service: Option<String>, referral: &str) {
        match self
            .0
            .iter_mut()
            .find(|s| s.value == value && s.service == service)
        {
            Some(seen) => {
                if !seen.referrals.iter().any(|r| r == referral) {
                    seen.referrals.push(referral.to_owned());
                }
            }
            None => self.0.push(Seen {
                value,
                service,
                referrals: vec![referral.to_owned()],
            }),
        }
    }
}

/// A name given without a date of birth or age beside the same name given with one is the same line: its
/// referrals join the fuller one's.
fn fold_bare_names(names: Vec<Seen>) -> Vec<Seen> {
    let mut kept: Vec<Seen> = Vec::with_capacity(names.len());
    let mut bare: Vec<Seen> = Vec::new();
    for name in names {
        if name.value.ends_with(')') {
            kept.push(name);
        } else {
            bare.push(name);
        }
    }
    for name in bare {
        let fuller = kept
            .iter_mut()
            .find(|k| k.value.starts_with(&format!("{} (", name.value)));
        match fuller {
            Some(fuller) => {
                for referral in name.referrals {
                    if !fuller.referrals.contains(&referral) {
                        fuller.referrals.push(referral);
                    }
                }
            }
            None => kept.push(name),
        }
    }
    kept
}

fn full_name(person: &Person) -> Option<String> {
    let name = [person.first_name.as_deref(), person.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let born = match (&person.date_of_birth, person.approximate_age) {
        (Some(dob), _) => format!(" (born {dob})"),
        (None, Some(age)) => format!(" (about {age})"),
        (None, None) => String::new(),
    };
    (!name.is_empty()).then(|| format!("{name}{born}"))
}

fn place(location: &crate::report::Location) -> Option<String> {
    let parts: Vec<&str> = [
        location.city.as_deref(),
        location.region.as_deref(),
        location.country_code.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| {
        let place = parts.join(", ");
        match location.verified {
            Some(true) => format!("{place} (verified by the service)"),
            _ => format!("{place} (estimated)"),
        }
    })
}

fn group_label(kind: IdentifierKind) -> &'static str {
    match kind {
        IdentifierKind::Email => "E-mail addresses",
        IdentifierKind::Phone => "Phone numbers",
        IdentifierKind::EspUserId => "Accounts (user IDs)",
        IdentifierKind::ScreenName => "Screen names",
        IdentifierKind::DeviceId => "Devices",
        IdentifierKind::ProfileUrl => "Profile addresses",
        IdentifierKind::PriorCybertip => "Earlier CyberTip reports",
        IdentifierKind::GroupId => "Groups",
        IdentifierKind::IpAddress => "IP addresses",
    }
}

fn classification(c: IndustryClassification) -> &'static str {
    match c {
        IndustryClassification::A1 => "A1: prepubescent, sex act",
        IndustryClassification::A2 => "A2: prepubescent, lascivious exhibition",
        IndustryClassification::B1 => "B1: pubescent, sex act",
        IndustryClassification::B2 => "B2: pubescent, lascivious exhibition",
    }
}

/// Adds a child, or the referral to a child already listed: the same when they share an identifier, or have
/// the same name and the same date of birth (or neither has one).
fn add_child(children: &mut Vec<ChildNamed>, person: &Person, referral: &str) {
    let name = [person.first_name.as_deref(), person.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let name = (!name.is_empty()).then_some(name);
    let age = match (&person.date_of_birth, person.approximate_age) {
        (Some(dob), _) => Some(format!("born {dob}")),
        (None, Some(age)) => Some(format!("about {age}")),
        (None, None) => None,
    };
    let identifiers: Vec<String> = person
        .identifiers
        .iter()
        .map(|id| match &id.service {
            Some(service) => format!("{} on {service}: {}", id.kind.label(), id.value),
            None => format!("{}: {}", id.kind.label(), id.value),
        })
        .chain(
            person
                .display_names
                .iter()
                .map(|d| format!("name shown: {d}")),
        )
        .collect();
    let role = person.role.label().to_owned();
    let same = children.iter_mut().find(|c| {
        c.identifiers.iter().any(|i| identifiers.contains(i))
            || (name.is_some() && c.name == name && c.age == age)
    });
    match same {
        Some(child) => {
            if !child.referrals.iter().any(|r| r == referral) {
                child.referrals.push(referral.to_owned());
            }
            if !child.roles.contains(&role) {
                child.roles.push(role);
            }
            for i in identifiers {
                if !child.identifiers.contains(&i) {
                    child.identifiers.push(i);
                }
            }
            child.name = child.name.take().or(name);
            child.age = child.age.take().or(age);
        }
        None => children.push(ChildNamed {
            roles: vec![role],
            name,
            age,
            identifiers,
            location: person.estimated_location.as_ref().and_then(place),
            referrals: vec![referral.to_owned()],
        }),
    }
}

#[cfg(test)]
mod tests;
