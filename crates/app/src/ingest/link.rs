//! Linking a batch's referrals into subjects and storing them: identifiers numbered and read, values that turn
//! out common set aside, the linker run, and the referrals, identifiers, links, merges and subjects written.

use super::subject::{due_at, fold_subject, fresh_subject, raise_subject};
use super::write::Candidate;
use super::{HashMap, HashSet};
use crate::{App, Result};
use severn_domain::ids::{IdentifierId, OrgId, ReferralId, SubjectId};
use severn_domain::linking::{self, Evidence, LinkOutcome, Linker, SubjectKey};
use severn_domain::normalize;
use severn_domain::report::{Identifier, IdentifierKind, Person, PersonRole, Report};
use severn_domain::risk::RiskTool;
use severn_store::{
    IdentifierRow, LinkRow, ReferralIdentifierRow, ReferralRow, Scoped, SubjectRow,
    identifier_key_hash,
};
use std::collections::{BTreeMap, BTreeSet};

/// An identifier within one owner's data: the owning force and the index of the identifier's key in the
/// batch's list of keys. Identifiers link referrals of one owner only.
type Slot = (Option<OrgId>, u32);

/// The identifiers Severn links on only count once each, with the weight of their kind.
fn evidence_of(
    report: &Report,
    numbers: &[u32],
    owner: Option<OrgId>,
    rows: &HashMap<Slot, IdentifierRow>,
) -> Vec<Evidence> {
    let mut best: BTreeMap<IdentifierId, Evidence> = BTreeMap::new();
    for (person, numbers) in reported_with_numbers(report, numbers) {
        for (identifier, k) in person.identifiers.iter().zip(numbers) {
            let Some(row) = rows.get(&(owner, *k)) else {
                continue;
            };
            if row.placeholder || row.common {
                continue;
            }
            let mut evidence = Evidence::new(row.id, identifier.kind, &identifier.value);
            if identifier.kind == IdentifierKind::IpAddress
                && behind_proxy(person, &identifier.value)
            {
                evidence.weight = linking::PROXY_IP_WEIGHT;
            }
            if evidence.weight > 0.0 {
                let entry = best.entry(row.id).or_insert(evidence);
                entry.weight = entry.weight.max(evidence.weight);
            }
        }
    }
    best.into_values().collect()
}

/// Each person of a report with the batch numbers of its identifiers' keys (see `number_keys`).
fn people_with_numbers<'r>(
    report: &'r Report,
    numbers: &'r [u32],
) -> impl Iterator<Item = (&'r Person, &'r [u32])> {
    report.people.iter().scan(0, move |at, person| {
        let end = *at + person.identifiers.len();
        let of_person = &numbers[*at..end];
        *at = end;
        Some((person, of_person))
    })
}

fn reported_with_numbers<'r>(
    report: &'r Report,
    numbers: &'r [u32],
) -> impl Iterator<Item = (&'r Person, &'r [u32])> {
    people_with_numbers(report, numbers).filter(|(p, _)| p.role == PersonRole::Reported)
}

fn behind_proxy(person: &Person, ip: &str) -> bool {
    person
        .ip_captures
        .iter()
        .any(|c| c.ip.to_string() == ip && c.possible_proxy == Some(true))
}

fn is_account(kind: IdentifierKind) -> bool {
    kind == IdentifierKind::EspUserId
}

/// Identifiers whose spread over accounts is watched: the strong ones that are not accounts themselves.
fn is_watched(kind: IdentifierKind) -> bool {
    matches!(
        kind,
        IdentifierKind::Email
            | IdentifierKind::Phone
            | IdentifierKind::DeviceId
            | IdentifierKind::ProfileUrl
    )
}

/// Links a batch's candidates into subjects and stores them, in the phases below. An identifier is looked up
/// within the data of the force that owns the referral carrying it, so one value received by two forces links
/// each force's referrals apart.
pub(super) async fn link_and_store(
    tx: &mut Scoped,
    app: &App,
    tool: &RiskTool,
    candidates: &mut [Candidate<'_>],
    now: i64,
) -> Result<()> {
    // Keys numbered once, so that the many lookups per identifier below hash a number, not a key.
    let (keyed, numbers) = number_keys(candidates);
    // Stored identifiers and the subjects involved, read once for the batch, merged subjects resolved.
    let mut linking = read_identifiers(tx, candidates, &keyed, numbers).await?;
    // New identifiers get ids in key-hash order, so that SQLite fills the key-hash index leaf after leaf.
    number_new_identifiers(tx, keyed, &mut linking).await?;
    // Values shared by too many accounts stop linking; subjects they joined are relinked at the end.
    let to_relink = set_aside_common(tx, app, candidates, &mut linking).await?;
    // The linker places each referral in a subject and merges the subjects it joins; new subjects get ids.
    let placed = place(tx, app, candidates, &linking).await?;
    // Merged subjects' bands and clocks carried into the subjects they join, before referrals raise them.
    let mut settled = fold_merges(&linking, &placed, now);
    // The rows to write for each referral, its subject's band raised by the referral's own.
    let rows = referral_rows(tx, tool, candidates, &linking, &placed, &mut settled, now).await?;
    // All of it written; new identifiers and moved pointers in id order, so each table is gone through in order.
    store(tx, tool, linking, &placed, settled, rows).await?;
    // Subjects a value that turned common may have joined wrongly are linked afresh without it.
    for subject in to_relink {
        crate::subjects::relink(tx, app, tool, subject, now).await?;
    }
    Ok(())
}

/// The batch's distinct identifier keys, numbered; borrowed from the candidates until the new identifiers
/// have their rows.
struct Keyed<'c> {
    number_of: HashMap<&'c str, u32>,
    keys: Vec<String>,
    /// The first identifier seen with each key: what a new identifier's row is made from.
    first_seen: Vec<&'c Identifier>,
    /// Every slot the batch's candidates use.
    wanted: BTreeSet<Slot>,
}

/// What the phases after numbering link on and write from.
struct Linking {
    /// For each candidate, the number of each of its identifiers' keys, in the order of the report's people
    /// and their identifiers.
    numbers: Vec<Vec<u32>>,
    /// The identifier in each slot, stored or new; a stored one points at the subject its subject became.
    rows: HashMap<Slot, IdentifierRow>,
    /// The slots of identifiers stored before this batch.
    known_slots: HashSet<Slot>,
    /// The subject each stored identifier points at as stored, so that only pointers that change are written.
    stored_pointer: HashMap<IdentifierId, Option<SubjectId>>,
    /// The subjects involved as stored: those identifiers point at and those of known referrals.
    stored: HashMap<SubjectId, SubjectRow>,
}

/// The linker's placements and merges, with the ids given to the subjects it made.
struct Placed {
    outcome: LinkOutcome,
    new_ids: HashMap<u32, SubjectId>,
}

impl Placed {
    fn resolve(&self, key: SubjectKey) -> SubjectId {
        match key {
            SubjectKey::Stored(id) => id,
            SubjectKey::New(n) => self.new_ids[&n],
        }
    }
}

/// What the batch's referrals add: new referrals, new versions, their identifiers and their links.
#[derive(Default)]
struct Rows {
    referrals: Vec<ReferralRow>,
    versions: Vec<ReferralRow>,
    identifiers: Vec<ReferralIdentifierRow>,
    links: Vec<LinkRow>,
}

/// Numbers each distinct key of the batch, and gives each identifier of each candidate the number of its key
/// (`Linking::numbers`): the lookups of the later phases are many per identifier, and a number is cheaper to
/// hash than a key. The keys themselves were worked out as the reports were prepared.
fn number_keys<'c>(candidates: &'c [Candidate<'_>]) -> (Keyed<'c>, Vec<Vec<u32>>) {
    let mut keyed = Keyed {
        number_of: HashMap::default(),
        keys: Vec::new(),
        first_seen: Vec::new(),
        wanted: BTreeSet::new(),
    };
    let mut numbers = Vec::with_capacity(candidates.len());
    for c in candidates {
        let owner = c.owner();
        let identifiers = c.prepared.report.people.iter().flat_map(|p| &p.identifiers);
        let mut of_candidate = Vec::with_capacity(c.prepared.identifier_keys.len());
        for (identifier, key) in identifiers.zip(&c.prepared.identifier_keys) {
            let k = *keyed.number_of.entry(key.as_str()).or_insert_with(|| {
                keyed.keys.push(key.clone());
                keyed.first_seen.push(identifier);
                keyed.keys.len() as u32 - 1
            });
            keyed.wanted.insert((owner, k));
            of_candidate.push(k);
        }
        numbers.push(of_candidate);
    }
    (keyed, numbers)
}

/// Reads the stored identifiers of the batch's slots and the subjects involved, once for the whole batch.
/// Stored pointers may name subjects merged since: they are moved to the subjects those became.
async fn read_identifiers(
    tx: &mut Scoped,
    candidates: &[Candidate<'_>],
    keyed: &Keyed<'_>,
    numbers: Vec<Vec<u32>>,
) -> Result<Linking> {
    let mut rows: HashMap<Slot, IdentifierRow> = HashMap::default();
    for row in tx.identifiers_by_key(&keyed.keys).await? {
        // Rows of other owners are other forces' identifiers.
        if let Some(k) = keyed.number_of.get(row.key.as_str()) {
            let slot = (row.owner_org, *k);
            if keyed.wanted.contains(&slot) {
                rows.insert(slot, row);
            }
        }
    }
    let known_slots: HashSet<Slot> = rows.keys().copied().collect();
    let stored_pointer: HashMap<IdentifierId, Option<SubjectId>> =
        rows.values().map(|r| (r.id, r.subject_id)).collect();
    let pointed: Vec<SubjectId> = rows
        .values()
        .filter_map(|r| r.subject_id)
        .chain(
            candidates
                .iter()
                .filter_map(|c| c.known.as_ref().map(|k| k.subject_id)),
        )
        .collect();
    let current = tx.resolve_subjects(&pointed).await?;
    for row in rows.values_mut() {
        row.subject_id = row
            .subject_id
            .map(|s| current.get(&s).map(|open| open.id).unwrap_or(s));
    }
    let stored: HashMap<SubjectId, SubjectRow> = current.into_values().map(|s| (s.id, s)).collect();
    Ok(Linking {
        numbers,
        rows,
        known_slots,
        stored_pointer,
        stored,
    })
}

/// Gives the identifiers not stored yet their ids and rows; they are written after linking, already pointing
/// at their subject. Numbered in the order of their key hash (then owner and key): on SQLite, rows in id order
/// then put their entries into the key-hash index in its own order too, leaf after leaf.
async fn number_new_identifiers(
    tx: &mut Scoped,
    keyed: Keyed<'_>,
    linking: &mut Linking,
) -> Result<()> {
    let keys = &keyed.keys;
    let mut unseen: Vec<(i64, Slot)> = keyed
        .wanted
        .iter()
        .filter(|slot| !linking.known_slots.contains(*slot))
        .map(|slot| (identifier_key_hash(&keys[slot.1 as usize]), *slot))
        .collect();
    unseen.sort_by(|(a_hash, a), (b_hash, b)| {
        (a_hash, a.0, &keys[a.1 as usize]).cmp(&(b_hash, b.0, &keys[b.1 as usize]))
    });
    if !unseen.is_empty() {
        let first = tx.alloc_ids("identifier", unseen.len()).await?;
        for (i, (_, (owner, k))) in unseen.into_iter().enumerate() {
            let identifier = keyed.first_seen[k as usize];
            linking.rows.insert(
                (owner, k),
                IdentifierRow {
                    id: IdentifierId(first + i as i64),
                    key: keys[k as usize].clone(),
                    kind: identifier.kind,
                    service: identifier.service.clone(),
                    value: identifier.value.clone(),
                    placeholder: normalize::is_placeholder(identifier.kind, &identifier.value),
                    common: false,
                    subject_id: None,
                    owner_org: owner,
                },
            );
        }
    }
    Ok(())
}

/// Values seen with too many distinct accounts are shared or placeholders: they stop linking, and subjects
/// they may already have joined wrongly are to be linked afresh without them (the subjects returned). Counted
/// per force, as identifiers are: a value becoming common in one force relinks no other force's subjects.
async fn set_aside_common(
    tx: &mut Scoped,
    app: &App,
    candidates: &[Candidate<'_>],
    linking: &mut Linking,
) -> Result<BTreeSet<SubjectId>> {
    let rows = &mut linking.rows;
    let mut pairs = BTreeSet::new();
    for (c, numbers) in candidates.iter().zip(&linking.numbers) {
        let owner = c.owner();
        for (person, numbers) in reported_with_numbers(&c.prepared.report, numbers) {
            let accounts: Vec<IdentifierId> = person
                .identifiers
                .iter()
                .zip(numbers)
                .filter(|(i, _)| is_account(i.kind))
                .filter_map(|(_, k)| rows.get(&(owner, *k)).map(|r| r.id))
                .collect();
            for (_, k) in person
                .identifiers
                .iter()
                .zip(numbers)
                .filter(|(i, _)| is_watched(i.kind))
            {
                if let Some(row) = rows.get(&(owner, *k)) {
                    for account in &accounts {
                        pairs.insert((row.id, *account));
                    }
                }
            }
        }
    }
    let pairs: Vec<(IdentifierId, IdentifierId)> = pairs.into_iter().collect();
    let counts: HashMap<IdentifierId, i64> = tx
        .record_identifier_accounts(&pairs)
        .await?
        .into_iter()
        .collect();
    let mut newly_common = Vec::new();
    let mut to_relink = BTreeSet::new();
    for row in rows.values_mut() {
        if !row.common
            && counts
                .get(&row.id)
                .is_some_and(|n| app.policy.is_common(*n))
        {
            newly_common.push(row.id);
            if let Some(subject) = row.subject_id.take() {
                to_relink.insert(subject);
            }
            row.common = true;
        }
    }
    let known_common: Vec<IdentifierId> = rows
        .iter()
        .filter(|(slot, r)| linking.known_slots.contains(*slot) && newly_common.contains(&r.id))
        .map(|(_, r)| r.id)
        .collect();
    tx.mark_common(&known_common).await?;
    Ok(to_relink)
}

/// Runs the linker: each candidate placed in a subject by its evidence, within the separations investigators
/// recorded, merging subjects it joins; the subjects it makes get their ids.
async fn place(
    tx: &mut Scoped,
    app: &App,
    candidates: &[Candidate<'_>],
    linking: &Linking,
) -> Result<Placed> {
    let rows = &linking.rows;
    let mut involved: BTreeSet<SubjectId> = rows
        .values()
        .filter(|r| !r.common && !r.placeholder)
        .filter_map(|r| r.subject_id)
        .collect();
    involved.extend(
        candidates
            .iter()
            .filter_map(|c| c.known.as_ref().map(|k| k.subject_id)),
    );
    let involved: Vec<SubjectId> = involved.into_iter().collect();
    let separations = tx.separations(&involved).await?;
    let mut linker = Linker::new(
        &app.policy,
        rows.values()
            .filter(|r| !r.common && !r.placeholder)
            .filter_map(|r| r.subject_id.map(|s| (r.id, s))),
        separations,
    );
    for (c, numbers) in candidates.iter().zip(&linking.numbers) {
        let evidence = evidence_of(&c.prepared.report, numbers, c.owner(), rows);
        linker.place_anchored(c.known.as_ref().map(|k| k.subject_id), &evidence);
    }
    let outcome = linker.finish();

    let new_roots: BTreeSet<u32> = outcome
        .placements
        .iter()
        .map(|p| p.subject)
        .chain(outcome.merges.iter().map(|(_, into)| *into))
        .filter_map(|k| match k {
            SubjectKey::New(n) => Some(n),
            SubjectKey::Stored(_) => None,
        })
        .collect();
    let first_subject = if new_roots.is_empty() {
        0
    } else {
        tx.alloc_ids("subject", new_roots.len()).await?
    };
    let new_ids: HashMap<u32, SubjectId> = new_roots
        .iter()
        .enumerate()
        .map(|(i, n)| (*n, SubjectId(first_subject + i as i64)))
        .collect();
    Ok(Placed { outcome, new_ids })
}

/// Folds each merged subject's band and clock into the subject it joins: the subjects as they will be
/// written, by id, before the batch's referrals raise them.
fn fold_merges(linking: &Linking, placed: &Placed, now: i64) -> BTreeMap<SubjectId, SubjectRow> {
    let stored = &linking.stored;
    let mut settled: BTreeMap<SubjectId, SubjectRow> = BTreeMap::new();
    for (from, into) in &placed.outcome.merges {
        let into = placed.resolve(*into);
        if let Some(from_row) = stored.get(from) {
            let target = settled.entry(into).or_insert_with(|| {
                stored.get(&into).cloned().unwrap_or_else(|| {
                    fresh_subject(into, from_row.clock_start_at, now, from_row.owner_org)
                })
            });
            fold_subject(target, from_row);
        }
    }
    settled
}

/// Makes each candidate's referral row (new referrals get their ids), the rows naming its identifiers and its
/// links to its subject, and raises its subject's band by the referral's provisional band.
async fn referral_rows(
    tx: &mut Scoped,
    tool: &RiskTool,
    candidates: &mut [Candidate<'_>],
    linking: &Linking,
    placed: &Placed,
    settled: &mut BTreeMap<SubjectId, SubjectRow>,
    now: i64,
) -> Result<Rows> {
    let new_referrals: Vec<&Candidate<'_>> =
        candidates.iter().filter(|c| c.known.is_none()).collect();
    let first_referral = if new_referrals.is_empty() {
        0
    } else {
        tx.alloc_ids("referral", new_referrals.len()).await?
    };
    let mut next_referral = first_referral;
    let mut rows = Rows::default();
    let placements = &placed.outcome.placements;
    for ((c, placement), numbers) in candidates.iter_mut().zip(placements).zip(&linking.numbers) {
        let subject = placed.resolve(placement.subject);
        let referral_id = match &c.known {
            Some(k) => k.id,
            None => {
                next_referral += 1;
                ReferralId(next_referral - 1)
            }
        };
        let owner = c.owner();
        let row = referral_row(c, referral_id, subject, tool, now);
        let target =
            settled.entry(subject).or_insert_with(|| {
                linking.stored.get(&subject).cloned().unwrap_or_else(|| {
                    fresh_subject(subject, row.clock_start_at, now, row.owner_org)
                })
            });
        raise_subject(
            target,
            c.prepared.risk.band,
            std::mem::take(&mut c.prepared.risk.band_reason),
            row.clock_start_at,
        );
        for (person, numbers) in people_with_numbers(&c.prepared.report, numbers) {
            for k in numbers {
                if let Some(r) = linking.rows.get(&(owner, *k)) {
                    rows.identifiers.push(ReferralIdentifierRow {
                        referral_id,
                        identifier_id: r.id,
                        role: person.role.as_str().to_owned(),
                    });
                }
            }
        }
        for e in &placement.shared {
            rows.links.push(LinkRow {
                referral_id,
                identifier_id: e.identifier,
                weight: e.weight,
                linked_at: now,
            });
        }
        match &c.known {
            Some(_) => rows.versions.push(row),
            None => rows.referrals.push(row),
        }
    }
    Ok(rows)
}

/// Writes what linking came to: subjects with their deadlines, referrals and new versions, the identifiers
/// they name, merges, links, new identifiers and moved identifier pointers.
async fn store(
    tx: &mut Scoped,
    tool: &RiskTool,
    linking: Linking,
    placed: &Placed,
    settled: BTreeMap<SubjectId, SubjectRow>,
    rows: Rows,
) -> Result<()> {
    let (new_subjects, updated_subjects): (Vec<SubjectRow>, Vec<SubjectRow>) = settled
        .into_values()
        .map(|mut s| {
            s.due_at = due_at(s.clock_start_at, s.band, tool);
            s
        })
        .partition(|s| !linking.stored.contains_key(&s.id));
    tx.insert_subjects(&new_subjects).await?;
    tx.insert_referrals(&rows.referrals).await?;
    if !rows.versions.is_empty() {
        let ids: Vec<ReferralId> = rows.versions.iter().map(|v| v.id).collect();
        let previous: HashMap<ReferralId, ReferralRow> = tx
            .referrals_by_id(&ids)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        for next in &rows.versions {
            let prev = &previous[&next.id];
            let mut next = next.clone();
            next.version = prev.version + 1;
            tx.record_new_version(prev, &next).await?;
        }
    }
    tx.insert_referral_identifiers(&rows.identifiers).await?;
    for (from, into) in &placed.outcome.merges {
        let into = placed.resolve(*into);
        tx.carry_separations(*from, into).await?;
        tx.merge_subject(*from, into).await?;
    }
    tx.insert_links(&rows.links).await?;
    let mut pointer_of: HashMap<IdentifierId, SubjectId> = placed
        .outcome
        .identifier_subjects
        .iter()
        .map(|(i, k)| (*i, placed.resolve(*k)))
        .collect();
    let mut unseen_rows = Vec::new();
    let mut moved_pointers = Vec::new();
    for (slot, row) in linking.rows.into_iter() {
        let pointer = pointer_of.remove(&row.id);
        if linking.known_slots.contains(&slot) {
            if let Some(p) = pointer
                && linking.stored_pointer.get(&row.id).copied().flatten() != Some(p)
            {
                moved_pointers.push((row.id, p));
            }
        } else {
            unseen_rows.push(IdentifierRow {
                subject_id: pointer,
                ..row
            });
        }
    }
    // In id order (see `number_new_identifiers`); moved pointers too, so updates go through the table in order.
    unseen_rows.sort_unstable_by_key(|r| r.id);
    moved_pointers.sort_unstable();
    tx.insert_identifiers(&unseen_rows).await?;
    tx.set_identifier_subjects(&moved_pointers).await?;
    tx.update_subjects(&updated_subjects).await?;
    Ok(())
}

/// The row to store; the candidate's stored forms move into it.
fn referral_row(
    c: &mut Candidate<'_>,
    id: ReferralId,
    subject: SubjectId,
    tool: &RiskTool,
    now: i64,
) -> ReferralRow {
    let disseminated = c.prepared.report.nca.as_ref().map(|n| n.disseminated_at);
    let received = jiff::Timestamp::from_second(now).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let clock_start = tool.clock().starts.start_time(received, disseminated);
    ReferralRow {
        id,
        source_ref: c.prepared.key.clone(),
        format: c.prepared.report.format.as_str().to_owned(),
        source: c.prepared.report.source.as_str().to_owned(),
        version: 1,
        content_sha256: c.prepared.report.content_sha256.clone(),
        received_at: now,
        clock_start_at: clock_start.as_second(),
        nca_reference: c
            .prepared
            .report
            .nca
            .as_ref()
            .map(|n| n.nca_reference.clone()),
        disseminated_at: disseminated.map(|d| d.as_second()),
        incident_type: c
            .prepared
            .report
            .incident_type
            .map(|t| t.cybertip_str().to_owned()),
        incident_at: c.prepared.report.incident_at.map(|t| t.as_second()),
        platform: c.prepared.report.platform.clone(),
        subject_id: subject,
        band: c.prepared.risk.band,
        outcome: std::mem::take(&mut c.prepared.risk.outcome),
        signals: std::mem::take(&mut c.prepared.risk.signals),
        document: std::mem::take(&mut c.prepared.risk.document),
        owner_org: c.prepared.owner,
    }
}
