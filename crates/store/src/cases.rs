//! The personal-data queries of the gate's handle ([`Scoped`]), by aggregate, each written once for both
//! backends (see `conn`). Each confines itself to the scope the gate granted.

mod assessments;
mod casefiles;

pub(crate) use casefiles::force_condition;
mod files;
mod identifiers;
mod matches;
pub use matches::SharedIdentifier;
mod referrals;
mod subjects;
mod worklists;

pub use worklists::{
    CaseList, CaseOrder, CasePage, CaseQuery, ClockFilter, ListedCase, SavedFilterRow,
};

use crate::binds;
use crate::conn::{Arg, Built, args};
use crate::decode;
use crate::handles::Scoped;
use crate::rows::*;
use crate::sql::{self, REFERRAL_COLUMNS, SUBJECT_COLUMNS};
use crate::tx::{CHUNK, FileDetailOutcome};
use crate::{Result, StoreError};
use severn_domain::ids::{IdentifierId, OrgId, ReferralId, SubjectId};
