//! Severn's domain core: referrals, identifiers, suspect linking rules, the risk tool, SLA clocks, skills and
//! the allocation policy.
//! Pure types and rules: no IO, no clock reads (time comes in through [`clock::Clock`]).
//!
//! Depends on serialisation (and utoipa, which describes the serialised forms for the API's OpenAPI
//! document), CSV, hashing and time crates only: no other Severn crate, no storage, no async
//! runtime, no file or network I/O. Everything else depends on it.

pub mod access;
pub mod allocation;
pub mod audit;
pub mod authorities;
pub mod case;
pub mod clock;
pub mod identity;
pub mod ids;
pub mod linking;
pub mod normalize;
pub mod profile;
pub mod reference;
pub mod report;
pub mod risk;
pub mod skills;
pub mod sla;
pub mod subject;
pub mod support;
pub mod text;
pub mod totp;
pub mod workdays;
