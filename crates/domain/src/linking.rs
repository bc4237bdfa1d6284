//! Suspect linking rules: which identifiers link referrals into one subject, and with what weight.
//!
//! A referral joins a subject when the identifiers they share add up to at least [`LinkPolicy::threshold`].
//! Strong identifiers (an e-mail, a phone, an ESP user ID on its service, a device ID, a profile URL) reach it
//! alone; weak ones (IP addresses, group identifiers, screen names) never do on their own, and values that many
//! unrelated accounts carry are "common" and count for nothing.

use crate::ids::{IdentifierId, SubjectId};
use crate::report::IdentifierKind;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkPolicy {
    /// Total weight of shared identifiers needed to link.
    pub threshold: f64,
    /// An identifier seen with more than this many distinct ESP accounts is a shared or placeholder value
    /// ("common") and stops linking.
    pub common_after_accounts: u32,
}

impl Default for LinkPolicy {
    fn default() -> Self {
        LinkPolicy {
            threshold: 1.0,
            common_after_accounts: 6,
        }
    }
}

/// How much evidence a shared identifier of this kind is that two referrals concern one person.
pub fn weight(kind: IdentifierKind) -> f64 {
    match kind {
        IdentifierKind::EspUserId => 1.0,
        IdentifierKind::Email => 1.0,
        IdentifierKind::Phone => 1.0,
        IdentifierKind::DeviceId => 1.0,
        IdentifierKind::ProfileUrl => 1.0,
        // A screen name on one service is usually one account, but names are reused and recycled.
        IdentifierKind::ScreenName => 0.6,
        // Prior CyberTip numbers say "see also", not "same person".
        IdentifierKind::PriorCybertip => 0.5,
        IdentifierKind::GroupId => 0.2,
        // Households, carrier-grade NAT and VPNs share addresses: corroboration only.
        IdentifierKind::IpAddress => 0.3,
    }
}

/// The weight of one identifier value: as [`weight`] for its kind, except that a UK landline (+441, +442,
/// +443) is a household's number, shared by everyone who lives there, and only corroborates.
pub fn value_weight(kind: IdentifierKind, value: &str) -> f64 {
    if kind == IdentifierKind::Phone
        && ["+441", "+442", "+443"]
            .iter()
            .any(|p| value.starts_with(p))
    {
        return LANDLINE_WEIGHT;
    }
    weight(kind)
}

/// Household landlines link only with other evidence.
pub const LANDLINE_WEIGHT: f64 = 0.5;

/// The weight an IP address contributes when the source flagged it as a possible proxy: none.
pub const PROXY_IP_WEIGHT: f64 = 0.0;

impl LinkPolicy {
    /// Whether an identifier seen with `accounts` distinct ESP accounts is too common to link.
    pub fn is_common(&self, accounts: i64) -> bool {
        accounts > i64::from(self.common_after_accounts)
    }

    /// Whether shared evidence of this total weight links.
    pub fn links(&self, total_weight: f64) -> bool {
        total_weight + 1e-9 >= self.threshold
    }
}

/// One piece of linking evidence on a referral: an identifier of its reported person, with its weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evidence {
    pub identifier: IdentifierId,
    pub weight: f64,
    /// Whether the value points at one person rather than a household or a group (an IP address, a landline,
    /// a group identifier). A link needs at least one personal identifier, whatever the total weight.
    pub personal: bool,
}

impl Evidence {
    pub fn new(identifier: IdentifierId, kind: IdentifierKind, value: &str) -> Evidence {
        Evidence {
            identifier,
            weight: value_weight(kind, value),
            personal: is_personal(kind, value),
        }
    }
}

/// Whether an identifier value belongs to one person (see [`Evidence::personal`]).
pub fn is_personal(kind: IdentifierKind, value: &str) -> bool {
    match kind {
        IdentifierKind::IpAddress | IdentifierKind::GroupId => false,
        IdentifierKind::Phone => value_weight(kind, value) >= weight(kind),
        _ => true,
    }
}

/// A subject as the linker sees it: one already stored, or one this run creates (numbered from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SubjectKey {
    Stored(SubjectId),
    New(u32),
}

/// Where one referral went and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub subject: SubjectKey,
    /// The identifiers it shares with the subject it joined, with their weights (empty for a new subject).
    pub shared: Vec<Evidence>,
}

/// The result of linking a run of referrals.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LinkOutcome {
    /// One placement per referral, in input order, with subjects resolved after all merges.
    pub placements: Vec<Placement>,
    /// Stored subjects merged into another subject: (from, into), `into` resolved after all merges.
    pub merges: Vec<(SubjectId, SubjectKey)>,
    /// How many new subjects were created (keys `New(0)..New(n)`), some of which may have merged away.
    pub new_subjects: u32,
    /// The subject each evidence identifier now points at, resolved after all merges.
    pub identifier_subjects: Vec<(IdentifierId, SubjectKey)>,
}

/// Incremental linker: places referrals, one after another, into stored or new subjects.
///
/// Evidence on a referral is summed per candidate subject (the subject each identifier currently points at);
/// every candidate whose total reaches the threshold is linked. When a referral links several subjects they
/// merge, except subjects an investigator has separated: then the referral joins the best-scoring one only.
pub struct Linker<'p> {
    policy: &'p LinkPolicy,
    identifier_subject: HashMap<IdentifierId, SubjectKey>,
    parent: HashMap<SubjectKey, SubjectKey>,
    separated: HashSet<(SubjectKey, SubjectKey)>,
    next_new: u32,
    placements: Vec<(SubjectKey, Vec<Evidence>)>,
    merged_stored: Vec<SubjectId>,
    touched_identifiers: Vec<IdentifierId>,
}

impl<'p> Linker<'p> {
    /// `identifier_subjects`: the stored subject each known identifier points at.
    /// `separations`: pairs of stored subjects that must never merge.
    pub fn new(
        policy: &'p LinkPolicy,
        identifier_subjects: impl IntoIterator<Item = (IdentifierId, SubjectId)>,
        separations: impl IntoIterator<Item = (SubjectId, SubjectId)>,
    ) -> Self {
        let mut separated = HashSet::new();
        for (a, b) in separations {
            separated.insert((SubjectKey::Stored(a), SubjectKey::Stored(b)));
            separated.insert((SubjectKey::Stored(b), SubjectKey::Stored(a)));
        }
        Linker {
            policy,
            identifier_subject: identifier_subjects
                .into_iter()
                .map(|(i, s)| (i, SubjectKey::Stored(s)))
                .collect(),
            parent: HashMap::new(),
            separated,
            next_new: 0,
            placements: Vec::new(),
            merged_stored: Vec::new(),
            touched_identifiers: Vec::new(),
        }
    }

    fn find(&self, mut key: SubjectKey) -> SubjectKey {
        while let Some(&up) = self.parent.get(&key) {
            key = up;
        }
        key
    }

    fn is_separated(&self, a: SubjectKey, b: SubjectKey) -> bool {
        self.separated.contains(&(a, b))
    }

    /// Merges root `from` into root `into`, carrying its separations.
    fn union(&mut self, from: SubjectKey, into: SubjectKey) {
        self.parent.insert(from, into);
        if let SubjectKey::Stored(id) = from {
            self.merged_stored.push(id);
        }
        let carried: Vec<SubjectKey> = self
            .separated
            .iter()
            .filter(|(a, _)| *a == from)
            .map(|(_, b)| *b)
            .collect();
        for other in carried {
            self.separated.insert((into, other));
            self.separated.insert((other, into));
        }
    }

    /// Places one referral given its evidence (common and placeholder identifiers already left out).
    pub fn place(&mut self, evidence: &[Evidence]) -> SubjectKey {
        self.place_anchored(None, evidence)
    }

    /// Places a referral that already belongs to `anchor` (a changed version of a known report): it stays
    /// there, and any other subject its evidence links is merged in as for a new referral.
    pub fn place_anchored(
        &mut self,
        anchor: Option<SubjectId>,
        evidence: &[Evidence],
    ) -> SubjectKey {
        // Per candidate subject: total weight, and whether any of it is personal.
        let mut scores: BTreeMap<SubjectKey, (f64, bool)> = BTreeMap::new();
        if let Some(anchor) = anchor {
            scores.insert(self.find(SubjectKey::Stored(anchor)), (f64::INFINITY, true));
        }
        for e in evidence {
            if let Some(&s) = self.identifier_subject.get(&e.identifier) {
                let score = scores.entry(self.find(s)).or_default();
                score.0 += e.weight;
                score.1 |= e.personal;
            }
        }
        let mut linked: Vec<(SubjectKey, f64)> = scores
            .into_iter()
            .filter(|(_, (total, personal))| *personal && self.policy.links(*total))
            .map(|(key, (total, _))| (key, total))
            .collect();
        // Best evidence first; ties go to the oldest subject so ids stay stable.
        linked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let target = match linked.first() {
            None => {
                let key = SubjectKey::New(self.next_new);
                self.next_new += 1;
                key
            }
            Some(&(primary, _)) => {
                let mut group = vec![primary];
                for &(other, _) in &linked[1..] {
                    if group.iter().all(|g| !self.is_separated(*g, other)) {
                        group.push(other);
                    }
                }
                // Merge into the oldest stored subject of the group, or the first new one.
                let root = *group.iter().min().expect("group has its primary");
                for member in group {
                    if member != root {
                        self.union(member, root);
                    }
                }
                root
            }
        };
        let shared: Vec<Evidence> = evidence
            .iter()
            .filter(|e| {
                self.identifier_subject
                    .get(&e.identifier)
                    .is_some_and(|&s| self.find(s) == target)
            })
            .copied()
            .collect();
        for e in evidence {
            self.identifier_subject.insert(e.identifier, target);
            self.touched_identifiers.push(e.identifier);
        }
        self.placements.push((target, shared));
        target
    }

    pub fn finish(self) -> LinkOutcome {
        let placements = self
            .placements
            .iter()
            .map(|(s, shared)| Placement {
                subject: self.find(*s),
                shared: shared.clone(),
            })
            .collect();
        let merges = self
            .merged_stored
            .iter()
            .map(|&id| (id, self.find(SubjectKey::Stored(id))))
            .collect();
        let mut seen = HashSet::new();
        let identifier_subjects = self
            .touched_identifiers
            .iter()
            .filter(|i| seen.insert(**i))
            .map(|i| (*i, self.find(self.identifier_subject[i])))
            .collect();
        LinkOutcome {
            placements,
            merges,
            new_subjects: self.next_new,
            identifier_subjects,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: i64, kind: IdentifierKind) -> Evidence {
        Evidence {
            identifier: IdentifierId(id),
            weight: weight(kind),
            personal: kind != IdentifierKind::IpAddress && kind != IdentifierKind::GroupId,
        }
    }

    #[test]
    fn household_evidence_alone_never_links() {
        let policy = LinkPolicy::default();
        let mut linker = Linker::new(&policy, [], []);
        let landline = Evidence::new(IdentifierId(1), IdentifierKind::Phone, "+441134960060");
        let home_v4 = Evidence::new(IdentifierId(2), IdentifierKind::IpAddress, "192.0.2.226");
        let home_v6 = Evidence::new(
            IdentifierId(3),
            IdentifierKind::IpAddress,
            "2001:db8:0:e1::1",
        );
        let a = linker.place(&[landline, home_v4, home_v6]);
        let b = linker.place(&[landline, home_v4, home_v6]);
        assert_ne!(a, b, "1.1 of household evidence is still only a household");
        let screen = ev(4, IdentifierKind::ScreenName);
        let c = linker.place(&[landline, screen]);
        let d = linker.place(&[landline, screen]);
        assert_eq!(c, d, "a screen name with the landline is a person");
    }

    #[test]
    fn strong_identifier_links_and_weak_does_not() {
        let policy = LinkPolicy::default();
        let mut linker = Linker::new(&policy, [], []);
        let a = linker.place(&[
            ev(1, IdentifierKind::Email),
            ev(9, IdentifierKind::IpAddress),
        ]);
        let b = linker.place(&[ev(1, IdentifierKind::Email)]);
        let c = linker.place(&[
            ev(9, IdentifierKind::IpAddress),
            ev(5, IdentifierKind::Phone),
        ]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        let out = linker.finish();
        assert_eq!(out.new_subjects, 2);
        assert_eq!(out.placements[1].shared, vec![ev(1, IdentifierKind::Email)]);
    }

    #[test]
    fn landlines_only_corroborate() {
        assert_eq!(value_weight(IdentifierKind::Phone, "+447700900123"), 1.0);
        assert_eq!(
            value_weight(IdentifierKind::Phone, "+441134960017"),
            LANDLINE_WEIGHT
        );
        assert!(!LinkPolicy::default().links(LANDLINE_WEIGHT));
        assert!(LinkPolicy::default().links(LANDLINE_WEIGHT + weight(IdentifierKind::ScreenName)));
    }

    #[test]
    fn weak_identifiers_together_can_link() {
        let policy = LinkPolicy::default();
        let mut linker = Linker::new(&policy, [], []);
        let a = linker.place(&[
            ev(1, IdentifierKind::ScreenName),
            ev(2, IdentifierKind::IpAddress),
            ev(3, IdentifierKind::GroupId),
        ]);
        let b = linker.place(&[
            ev(1, IdentifierKind::ScreenName),
            ev(2, IdentifierKind::IpAddress),
            ev(3, IdentifierKind::GroupId),
        ]);
        assert_eq!(a, b);
    }

    #[test]
    fn a_referral_bridging_two_subjects_merges_them_into_the_oldest() {
        let policy = LinkPolicy::default();
        let mut linker = Linker::new(
            &policy,
            [
                (IdentifierId(1), SubjectId(7)),
                (IdentifierId(2), SubjectId(3)),
            ],
            [],
        );
        let placed = linker.place(&[ev(1, IdentifierKind::Email), ev(2, IdentifierKind::Phone)]);
        assert_eq!(placed, SubjectKey::Stored(SubjectId(3)));
        let out = linker.finish();
        assert_eq!(
            out.merges,
            vec![(SubjectId(7), SubjectKey::Stored(SubjectId(3)))]
        );
    }

    #[test]
    fn separated_subjects_never_merge() {
        let policy = LinkPolicy::default();
        let mut linker = Linker::new(
            &policy,
            [
                (IdentifierId(1), SubjectId(7)),
                (IdentifierId(2), SubjectId(3)),
                (IdentifierId(4), SubjectId(7)),
            ],
            [(SubjectId(3), SubjectId(7))],
        );
        let placed = linker.place(&[
            ev(1, IdentifierKind::Email),
            ev(2, IdentifierKind::Phone),
            ev(4, IdentifierKind::DeviceId),
        ]);
        assert_eq!(
            placed,
            SubjectKey::Stored(SubjectId(7)),
            "joins the subject with more evidence"
        );
        assert!(linker.finish().merges.is_empty());
    }
}
