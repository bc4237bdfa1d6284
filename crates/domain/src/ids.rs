//! Typed identifiers, so a subject id can never be passed where a referral id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

typed_id!(
    /// A referral: one report from one source, in all its versions.
    ReferralId
);
typed_id!(
    /// A subject: the person that one or more referrals are believed to concern.
    SubjectId
);
typed_id!(
    /// A normalised identifier (e-mail, phone, user ID on a service ...).
    IdentifierId
);
typed_id!(
    /// A risk assessment of a subject.
    AssessmentId
);
typed_id!(
    /// A rejected document kept for correction.
    RejectId
);
typed_id!(
    /// An organisation: a force, the regional unit, the NCA or the PCC's office.
    OrgId
);
typed_id!(
    /// A team inside an organisation.
    TeamId
);
typed_id!(
    /// A person or a service account who signs in to Severn.
    StaffId
);
typed_id!(
    /// A case: the investigation of one or more subjects, from opening to outcome.
    CaseId
);
typed_id!(
    /// An event on a case's timeline.
    EventId
);
