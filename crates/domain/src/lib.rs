//! Severn's domain core: referrals, identifiers, suspect linking rules, the risk tool and SLA clocks.
//! Pure types and rules: no IO, no clock reads (time comes in through [`clock::Clock`]).

pub mod access;
pub mod audit;
pub mod clock;
pub mod identity;
pub mod ids;
pub mod linking;
pub mod normalize;
pub mod report;
pub mod risk;
pub mod sla;
pub mod text;
pub mod totp;
