//! The personal-data queries of the gate's handle ([`Scoped`]), by aggregate, on sqlx (either backend). Each
//! confines itself to the scope the gate granted.

mod assessments;
mod files;
mod identifiers;
mod referrals;
mod subjects;

use crate::decode;
use crate::handles::Scoped;
use crate::rows::*;
use crate::sql::{self, ASSESSMENT_COLUMNS, REFERRAL_COLUMNS, SUBJECT_COLUMNS};
use crate::tx::{CHUNK, FileDetailOutcome, Tx, on, push_list};
use crate::{Result, StoreError};
use severn_domain::ids::{IdentifierId, OrgId, ReferralId, SubjectId};
// Column lists are compile-time constants, so the formatted queries below carry no outside input.
use sqlx::{AssertSqlSafe, QueryBuilder, Row};
