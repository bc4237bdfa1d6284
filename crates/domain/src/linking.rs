//! Suspect linking rules: which identifiers link referrals into one subject, and with what weight.
//!
//! A referral joins a subject when the identifiers they share add up to at least [`LinkPolicy::threshold`].
//! Strong identifiers (an e-mail, a phone, an ESP user ID on its service, a device ID, a profile URL) reach it
//! alone; weak ones (IP addresses, group identifiers, screen names) never do on their own, and values that many
//! unrelated accounts carry are "common" and count for nothing.

use crate::report::IdentifierKind;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkPolicy {
    /// Total weight of shared identifiers needed to link.
    pub threshold: f64,
    /// An identifier seen on more than this many distinct subjects is treated as common and stops linking.
    pub common_after_subjects: u32,
}

impl Default for LinkPolicy {
    fn default() -> Self {
        LinkPolicy {
            threshold: 1.0,
            common_after_subjects: 5,
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

/// The weight an IP address contributes when the source flagged it as a possible proxy: none.
pub const PROXY_IP_WEIGHT: f64 = 0.0;

impl LinkPolicy {
    /// Whether an identifier shared by `subjects_carrying` distinct subjects still links.
    pub fn is_common(&self, subjects_carrying: u32) -> bool {
        subjects_carrying > self.common_after_subjects
    }

    /// Whether shared evidence of this total weight links.
    pub fn links(&self, total_weight: f64) -> bool {
        total_weight + 1e-9 >= self.threshold
    }
}
