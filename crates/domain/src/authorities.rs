//! The local authorities of England and Wales with children's services, and the postcode districts each
//! covers: a child identified in a case is referred to the children's social care (or MASH) of the authority
//! for the child's area. The table is data (`data/local-authorities-england-and-wales.csv`, shipped, and
//! replaceable by a fuller or newer list), never code.
//!
//! A postcode district can lie in two or three authorities (`BS16`: Bristol and South Gloucestershire). Such a
//! district is listed under each, and a lookup answers with every candidate ([`Lookup::Several`]): Severn never
//! guesses, the officer chooses. A district the list does not hold is [`Lookup::Unknown`], never the nearest.

use crate::text::shown;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

/// The list Severn ships: every authority's name, and the postcode districts of the authorities around
/// Bristol, Leeds, Bradford, Wakefield, Sheffield, Manchester, Birmingham, Newcastle upon Tyne, Norwich,
/// Exeter, Cardiff and Swansea.
pub const ENGLAND_AND_WALES: &str = include_str!("../data/local-authorities-england-and-wales.csv");

/// The header a list starts with.
pub const HEADER: [&str; 4] = ["code", "name", "nation", "area"];

/// The most characters an authority's name may hold.
const NAME_LIMIT: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ToSchema)]
pub enum Nation {
    England,
    Wales,
}

impl Nation {
    pub fn as_str(self) -> &'static str {
        match self {
            Nation::England => "England",
            Nation::Wales => "Wales",
        }
    }
}

/// A local authority with children's services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Authority {
    /// A stable short name, lower case letters, digits and `-`: `south-gloucestershire`.
    pub code: String,
    pub name: String,
    pub nation: Nation,
    /// The postcode districts it covers in whole or in part (`BS16`), in order; empty when the list names
    /// none for it.
    pub districts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthoritiesError {
    #[error("local authorities line {line}, {field}: {problem}")]
    Line {
        line: u64,
        field: &'static str,
        problem: String,
    },
    #[error("the local authority list names no authority")]
    Empty,
}

/// What an area answers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<'a> {
    One(&'a Authority),
    /// A district that lies in more than one authority (or a name several authorities answer to): the
    /// officer chooses among these, in name order.
    Several(Vec<&'a Authority>),
    /// Not a district or name the list holds.
    Unknown,
}

/// The table of authorities and the districts they cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAuthorities {
    /// By code.
    authorities: BTreeMap<String, Authority>,
    /// District → the codes of the authorities covering it.
    districts: BTreeMap<String, Vec<String>>,
}

impl LocalAuthorities {
    /// The shipped England and Wales list.
    pub fn england_and_wales() -> LocalAuthorities {
        LocalAuthorities::from_csv(ENGLAND_AND_WALES)
            .expect("the shipped local authorities are valid")
    }

    /// A list as CSV, `code,name,nation,area` with that header: one line for each district an authority covers,
    /// or one line with an empty area for an authority whose districts are not listed. Every line is checked,
    /// and the first bad one refuses the list, naming its line and field.
    pub fn from_csv(text: &str) -> Result<LocalAuthorities, AuthoritiesError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut authorities: BTreeMap<String, Authority> = BTreeMap::new();
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        let mut districts: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (index, record) in reader.records().enumerate() {
            let record = record.map_err(|e| AuthoritiesError::Line {
                line: e.position().map_or(index as u64 + 1, |p| p.line()),
                field: "line",
                problem: "not readable as CSV".into(),
            })?;
            let line = record.position().map_or(index as u64 + 1, |p| p.line());
            let bad = |field: &'static str, problem: String| AuthoritiesError::Line {
                line,
                field,
                problem,
            };
            if index == 0 {
                let header: Vec<&str> = record.iter().map(str::trim).collect();
                if header != HEADER {
                    return Err(bad("header", format!("expected {}", HEADER.join(","))));
                }
                continue;
            }
            if record.iter().all(|cell| cell.trim().is_empty()) {
                continue;
            }
            if record.len() != HEADER.len() {
                return Err(bad(
                    "line",
                    format!(
                        "expected {} fields ({}), found {}",
                        HEADER.len(),
                        HEADER.join(","),
                        record.len()
                    ),
                ));
            }
            let code = record[0].trim();
            let name = record[1].trim();
            let nation = record[2].trim();
            let area = record[3].trim();
            for (field, value) in [
                ("code", code),
                ("name", name),
                ("nation", nation),
                ("area", area),
            ] {
                if value.chars().any(char::is_control) {
                    return Err(bad(
                        field,
                        format!("{:?} holds a control character", shown(value)),
                    ));
                }
            }
            if code.is_empty()
                || !code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                return Err(bad(
                    "code",
                    format!(
                        "{:?} is not a code: lower case letters, digits and -",
                        shown(code)
                    ),
                ));
            }
            if name.is_empty() {
                return Err(bad("name", "the authority needs a name".into()));
            }
            if name.chars().count() > NAME_LIMIT {
                return Err(bad("name", format!("longer than {NAME_LIMIT} characters")));
            }
            let nation = match nation {
                "England" => Nation::England,
                "Wales" => Nation::Wales,
                other => {
                    return Err(bad(
                        "nation",
                        format!("{:?} is not England or Wales", shown(other)),
                    ));
                }
            };
            let district = if area.is_empty() {
                None
            } else {
                let district = area.to_ascii_uppercase();
                if !is_district(&district) {
                    return Err(bad(
                        "area",
                        format!(
                            "{:?} is not a postcode district (such as BS16 or SW1A)",
                            shown(area)
                        ),
                    ));
                }
                Some(district)
            };
            let authority = authorities
                .entry(code.to_owned())
                .or_insert_with(|| Authority {
                    code: code.to_owned(),
                    name: name.to_owned(),
                    nation,
                    districts: Vec::new(),
                });
            if authority.name != name {
                return Err(bad(
                    "name",
                    format!(
                        "{code} is named {:?} on an earlier line and {:?} here",
                        authority.name,
                        shown(name)
                    ),
                ));
            }
            if authority.nation != nation {
                return Err(bad(
                    "nation",
                    format!(
                        "{code} is in {} on an earlier line and {} here",
                        authority.nation.as_str(),
                        nation.as_str()
                    ),
                ));
            }
            match names.get(&normalised_name(name)) {
                Some(other) if other != code => {
                    return Err(bad(
                        "name",
                        format!("{:?} is also the name of {other}", shown(name)),
                    ));
                }
                Some(_) => {}
                None => {
                    names.insert(normalised_name(name), code.to_owned());
                }
            }
            if let Some(district) = district {
                if authority.districts.contains(&district) {
                    return Err(bad(
                        "area",
                        format!("{district} is listed twice for {code}"),
                    ));
                }
                authority.districts.push(district.clone());
                districts.entry(district).or_default().push(code.to_owned());
            }
        }
        if authorities.is_empty() {
            return Err(AuthoritiesError::Empty);
        }
        for authority in authorities.values_mut() {
            authority.districts.sort_by_key(|d| district_order(d));
        }
        Ok(LocalAuthorities {
            authorities,
            districts,
        })
    }

    pub fn get(&self, code: &str) -> Option<&Authority> {
        self.authorities.get(code)
    }

    /// Every authority, by name.
    pub fn all(&self) -> Vec<&Authority> {
        let mut all: Vec<&Authority> = self.authorities.values().collect();
        sort_by_name(&mut all);
        all
    }

    /// How many districts the list places (a district in two authorities counts once).
    pub fn district_count(&self) -> usize {
        self.districts.len()
    }

    /// The authority for an area: a full postcode (`BS1 4DJ`, `bs14dj`), a postcode district (`BS16`), or an
    /// authority's name or code (`South Gloucestershire`, `south-gloucestershire`, `Leeds City Council`).
    /// Case and spacing do not matter.
    pub fn lookup(&self, area: &str) -> Lookup<'_> {
        if let Some(district) = district_of(area) {
            return match self.districts.get(&district) {
                None => Lookup::Unknown,
                Some(codes) => self.answer(codes.iter().map(String::as_str)),
            };
        }
        let wanted = normalised_name(area);
        if wanted.is_empty() {
            return Lookup::Unknown;
        }
        if let Some(authority) = self.authorities.get(area.trim()) {
            return Lookup::One(authority);
        }
        let exact: Vec<&str> = self
            .authorities
            .values()
            .filter(|a| normalised_name(&a.name) == wanted || a.code.replace('-', " ") == wanted)
            .map(|a| a.code.as_str())
            .collect();
        if !exact.is_empty() {
            return self.answer(exact.into_iter());
        }
        let bare = bare_name(&wanted);
        let loose: Vec<&str> = self
            .authorities
            .values()
            .filter(|a| bare_name(&normalised_name(&a.name)) == bare)
            .map(|a| a.code.as_str())
            .collect();
        self.answer(loose.into_iter())
    }

    fn answer<'a>(&'a self, codes: impl Iterator<Item = &'a str>) -> Lookup<'a> {
        let mut found: Vec<&Authority> = codes
            .collect::<BTreeSet<&str>>()
            .into_iter()
            .filter_map(|code| self.authorities.get(code))
            .collect();
        sort_by_name(&mut found);
        match found.len() {
            0 => Lookup::Unknown,
            1 => Lookup::One(found[0]),
            _ => Lookup::Several(found),
        }
    }
}

fn sort_by_name(authorities: &mut [&Authority]) {
    authorities.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then_with(|| a.code.cmp(&b.code))
    });
}

/// A postcode district (an outward code): one or two letters, a digit, then a digit or a letter or nothing
/// (`M1`, `BS16`, `SW1A`, `CR0`).
fn is_district(text: &str) -> bool {
    let letters = text.chars().take_while(char::is_ascii_uppercase).count();
    let rest = &text[letters..];
    let mut rest = rest.chars();
    (1..=2).contains(&letters)
        && rest.next().is_some_and(|c| c.is_ascii_digit())
        && match (rest.next(), rest.next()) {
            (None, None) => true,
            (Some(c), None) => c.is_ascii_digit() || c.is_ascii_uppercase(),
            _ => false,
        }
}

/// An inward code (`4DJ`), or just its sector digit (`4`).
fn is_inward(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_digit())
        && match (chars.next(), chars.next(), chars.next()) {
            (None, None, None) => true,
            (Some(a), Some(b), None) => a.is_ascii_uppercase() && b.is_ascii_uppercase(),
            _ => false,
        }
}

/// The district of a postcode or district as typed, if it is one: `bs1 4dj`, `BS14DJ`, `BS1 4` and `bs1`
/// all give `BS1`.
fn district_of(area: &str) -> Option<String> {
    let upper = area.trim().to_ascii_uppercase();
    let parts: Vec<&str> = upper.split_whitespace().collect();
    match parts.as_slice() {
        [district] if is_district(district) => Some((*district).to_owned()),
        [whole] if whole.len() > 3 && whole.is_char_boundary(whole.len() - 3) => {
            let (outward, inward) = whole.split_at(whole.len() - 3);
            (is_district(outward) && is_inward(inward)).then(|| outward.to_owned())
        }
        [outward, inward] if is_district(outward) && is_inward(inward) => {
            Some((*outward).to_owned())
        }
        _ => None,
    }
}

/// Lower case, `&` as `and`, and every run of other characters as one space.
fn normalised_name(name: &str) -> String {
    name.to_lowercase()
        .replace('&', " and ")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A normalised name without the words councils put around a place's name: `leeds city council`, `city of
/// bradford metropolitan district council` and `royal borough of greenwich` give `leeds`, `bradford` and
/// `greenwich`.
fn bare_name(normalised: &str) -> String {
    const PREFIXES: [&str; 7] = [
        "the ",
        "london borough of ",
        "royal borough of ",
        "city and county of ",
        "city of ",
        "county borough of ",
        "county ",
    ];
    const SUFFIXES: [&str; 9] = [
        " metropolitan borough council",
        " metropolitan district council",
        " county borough council",
        " borough council",
        " county council",
        " city council",
        " district council",
        " council",
        " county",
    ];
    let mut name = normalised;
    for prefix in PREFIXES {
        name = name.strip_prefix(prefix).unwrap_or(name);
    }
    for suffix in SUFFIXES {
        if let Some(stripped) = name.strip_suffix(suffix) {
            name = stripped;
            break;
        }
    }
    name.to_owned()
}

/// Districts in the order people expect: `BS2` before `BS10`.
fn district_order(district: &str) -> (String, u32, String) {
    let letters: String = district
        .chars()
        .take_while(char::is_ascii_uppercase)
        .collect();
    let digits: String = district[letters.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (letters, digits.parse().unwrap_or(0), district.to_owned())
}

#[cfg(test)]
mod tests;
