//! The reference lists an operator may replace with a newer version: the bank holidays that working days are
//! counted with, and the local authorities children are referred to. Each is shipped with Severn; a newer
//! version is checked whole (`WorkingCalendar::from_csv`, `LocalAuthorities::from_csv`) before it is stored.

use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceList {
    BankHolidays,
    LocalAuthorities,
}

impl ReferenceList {
    pub const ALL: [ReferenceList; 2] =
        [ReferenceList::BankHolidays, ReferenceList::LocalAuthorities];

    /// The name the list is stored and asked for under.
    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceList::BankHolidays => "bank-holidays",
            ReferenceList::LocalAuthorities => "local-authorities",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReferenceList::BankHolidays => "England and Wales bank holidays",
            ReferenceList::LocalAuthorities => "Local authorities in England and Wales",
        }
    }

    pub fn parse(value: &str) -> Option<ReferenceList> {
        ReferenceList::ALL.into_iter().find(|l| l.as_str() == value)
    }

    /// The version Severn ships.
    pub fn shipped(self) -> &'static str {
        match self {
            ReferenceList::BankHolidays => crate::workdays::ENGLAND_AND_WALES,
            ReferenceList::LocalAuthorities => crate::authorities::ENGLAND_AND_WALES,
        }
    }
}

/// The SHA-256 of a list's text, in hex: which version is in force.
pub fn content_sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_list_has_one_name_and_a_shipped_version() {
        for list in ReferenceList::ALL {
            assert_eq!(ReferenceList::parse(list.as_str()), Some(list));
            assert!(!list.shipped().is_empty());
        }
        assert_eq!(ReferenceList::parse("holidays"), None);
        assert_eq!(
            content_sha256("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
