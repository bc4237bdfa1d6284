//! Row decoders, each written once over [`Columns`]: the one place a column becomes a field, whichever driver
//! read the row (rusqlite on SQLite; sqlx on SQLite or PostgreSQL). Each decoder reads the columns in the
//! order of the matching list in [`crate::sql`].
//!
//! Depends on rows, packed and the domain only.

use crate::rows::*;
use crate::{Packed, Result, StoreError};
use severn_domain::access::{CaseAccess, OrgKind, Processing, Role, StaffKind};
use severn_domain::audit::AuditEntry;
use severn_domain::case::{Entry, Event, Fact};
use severn_domain::identity::SessionStage;
use severn_domain::ids::{
    CaseId, EventId, IdentifierId, OrgId, ReferralId, StaffId, SubjectId, TeamId,
};
use severn_domain::report::IdentifierKind;
use severn_domain::risk::Band;
use severn_domain::skills::{Skill, SkillCode, TrainingRecord};
use severn_domain::subject::{DecisionKind, SubjectStatus};

/// A row's columns by position, as the types Severn stores. A boolean is an integer on SQLite and a `bool` on
/// PostgreSQL; each driver reads its own as `bool`.
pub(crate) trait Columns {
    fn i64(&self, at: usize) -> Result<i64>;
    fn opt_i64(&self, at: usize) -> Result<Option<i64>>;
    fn i32(&self, at: usize) -> Result<i32>;
    fn f64(&self, at: usize) -> Result<f64>;
    fn bool(&self, at: usize) -> Result<bool>;
    fn text(&self, at: usize) -> Result<String>;
    fn opt_text(&self, at: usize) -> Result<Option<String>>;
    /// Packed JSON (see [`Packed`]): bytes on either backend.
    fn packed(&self, at: usize) -> Result<Packed>;
}

impl Columns for rusqlite::Row<'_> {
    fn i64(&self, at: usize) -> Result<i64> {
        Ok(self.get(at)?)
    }
    fn opt_i64(&self, at: usize) -> Result<Option<i64>> {
        Ok(self.get(at)?)
    }
    fn i32(&self, at: usize) -> Result<i32> {
        Ok(self.get(at)?)
    }
    fn f64(&self, at: usize) -> Result<f64> {
        Ok(self.get(at)?)
    }
    fn bool(&self, at: usize) -> Result<bool> {
        Ok(self.get(at)?)
    }
    fn text(&self, at: usize) -> Result<String> {
        Ok(self.get(at)?)
    }
    fn opt_text(&self, at: usize) -> Result<Option<String>> {
        Ok(self.get(at)?)
    }
    fn packed(&self, at: usize) -> Result<Packed> {
        Ok(self.get(at)?)
    }
}

/// The same for both sqlx row types: their `try_get` is one generic method, typed per database.
macro_rules! sqlx_columns {
    ($row:ty) => {
        impl Columns for $row {
            fn i64(&self, at: usize) -> Result<i64> {
                Ok(sqlx::Row::try_get(self, at)?)
            }
            fn opt_i64(&self, at: usize) -> Result<Option<i64>> {
                Ok(sqlx::Row::try_get(self, at)?)
            }
            fn i32(&self, at: usize) -> Result<i32> {
                Ok(sqlx::Row::try_get(self, at)?)
            }
            fn f64(&self, at: usize) -> Result<f64> {
                Ok(sqlx::Row::try_get(self, at)?)
            }
            fn bool(&self, at: usize) -> Result<bool> {
                Ok(sqlx::Row::try_get(self, at)?)
            }
            fn text(&self, at: usize) -> Result<String> {
                Ok(sqlx::Row::try_get(self, at)?)
            }
            fn opt_text(&self, at: usize) -> Result<Option<String>> {
                Ok(sqlx::Row::try_get(self, at)?)
            }
            fn packed(&self, at: usize) -> Result<Packed> {
                Ok(Packed::from_stored(sqlx::Row::try_get(self, at)?))
            }
        }
    };
}
sqlx_columns!(sqlx::postgres::PgRow);

/// A row's columns from `at` on: for a decoder of one part of a joined row.
pub(crate) struct Tail<'r, C: ?Sized>(pub &'r C, pub usize);

impl<C: Columns + ?Sized> Columns for Tail<'_, C> {
    fn i64(&self, at: usize) -> Result<i64> {
        self.0.i64(self.1 + at)
    }
    fn opt_i64(&self, at: usize) -> Result<Option<i64>> {
        self.0.opt_i64(self.1 + at)
    }
    fn i32(&self, at: usize) -> Result<i32> {
        self.0.i32(self.1 + at)
    }
    fn f64(&self, at: usize) -> Result<f64> {
        self.0.f64(self.1 + at)
    }
    fn bool(&self, at: usize) -> Result<bool> {
        self.0.bool(self.1 + at)
    }
    fn text(&self, at: usize) -> Result<String> {
        self.0.text(self.1 + at)
    }
    fn opt_text(&self, at: usize) -> Result<Option<String>> {
        self.0.opt_text(self.1 + at)
    }
    fn packed(&self, at: usize) -> Result<Packed> {
        self.0.packed(self.1 + at)
    }
}

/// [`crate::sql::CASE_ACCESS`].
pub(crate) fn case_access(r: &dyn Columns) -> Result<CaseAccess> {
    let ids = |list: Option<String>| -> Result<Vec<StaffId>> {
        let mut ids = list
            .unwrap_or_default()
            .split(',')
            .filter(|id| !id.is_empty())
            .map(|id| {
                id.parse()
                    .map(StaffId)
                    .map_err(|_| StoreError::Corrupt(format!("staff id {id:?} in a case's access")))
            })
            .collect::<Result<Vec<_>>>()?;
        ids.sort();
        Ok(ids)
    };
    Ok(CaseAccess {
        owner: r.opt_i64(0)?.map(OrgId),
        restricted_to: if r.bool(1)? {
            Some(ids(r.opt_text(3)?)?)
        } else {
            None
        },
        shared_with: ids(r.opt_text(2)?)?,
    })
}

/// [`crate::sql::SESSION_AND_STAFF`].
pub(crate) fn session_and_staff(r: &dyn Columns) -> Result<(SessionRow, StaffRow)> {
    Ok((session(r)?, staff(&Tail(r, 11))?))
}

/// A band as stored (`very_high`, …); anything else is corrupt data, not a band.
fn band(stored: &str) -> Result<Band> {
    Band::parse(stored)
        .filter(|b| b.as_str() == stored)
        .ok_or_else(|| StoreError::Corrupt(format!("band {stored:?}")))
}

fn subject_status(stored: &str) -> Result<SubjectStatus> {
    SubjectStatus::parse(stored)
        .ok_or_else(|| StoreError::Corrupt(format!("subject status {stored:?}")))
}

fn identifier_kind(stored: &str) -> Result<IdentifierKind> {
    IdentifierKind::parse(stored)
        .ok_or_else(|| StoreError::Corrupt(format!("identifier kind {stored:?}")))
}

fn staff_kind(stored: &str) -> Result<StaffKind> {
    StaffKind::parse(stored).ok_or_else(|| StoreError::Corrupt(format!("staff kind {stored:?}")))
}

/// [`crate::sql::SUBJECT_COLUMNS`].
pub(crate) fn subject(r: &dyn Columns) -> Result<SubjectRow> {
    Ok(SubjectRow {
        id: SubjectId(r.i64(0)?),
        created_at: r.i64(1)?,
        status: subject_status(&r.text(2)?)?,
        merged_into: r.opt_i64(3)?.map(SubjectId),
        provisional_band: band(&r.text(4)?)?,
        assessment_id: r.opt_i64(5)?,
        band: band(&r.text(6)?)?,
        band_reason: r.text(7)?,
        clock_start_at: r.i64(8)?,
        due_at: r.i64(9)?,
        owner_org: r.opt_i64(10)?.map(OrgId),
    })
}

/// [`crate::sql::REFERRAL_COLUMNS`].
pub(crate) fn referral(r: &dyn Columns) -> Result<ReferralRow> {
    Ok(ReferralRow {
        id: ReferralId(r.i64(0)?),
        source_ref: r.text(1)?,
        format: r.text(2)?,
        source: r.text(3)?,
        version: r.i32(4)?,
        content_sha256: r.text(5)?,
        received_at: r.i64(6)?,
        clock_start_at: r.i64(7)?,
        nca_reference: r.opt_text(8)?,
        disseminated_at: r.opt_i64(9)?,
        incident_type: r.opt_text(10)?,
        incident_at: r.opt_i64(11)?,
        platform: r.opt_text(12)?,
        subject_id: SubjectId(r.i64(13)?),
        band: band(&r.text(14)?)?,
        outcome: r.packed(15)?,
        signals: r.text(16)?,
        document: r.packed(17)?,
        owner_org: r.opt_i64(18)?.map(OrgId),
    })
}

/// [`crate::sql::KNOWN_REFERRAL_COLUMNS`].
pub(crate) fn known_referral(r: &dyn Columns) -> Result<KnownReferral> {
    Ok(KnownReferral {
        id: ReferralId(r.i64(0)?),
        source_ref: r.text(1)?,
        content_sha256: r.text(2)?,
        version: r.i32(3)?,
        subject_id: SubjectId(r.i64(4)?),
        owner_org: r.opt_i64(5)?.map(OrgId),
    })
}

/// The nine columns of [`crate::sql::IDENTIFIER_COLUMNS`], starting at `at`.
pub(crate) fn identifier(r: &dyn Columns, at: usize) -> Result<IdentifierRow> {
    Ok(IdentifierRow {
        id: IdentifierId(r.i64(at)?),
        key: r.text(at + 1)?,
        kind: identifier_kind(&r.text(at + 2)?)?,
        service: r.opt_text(at + 3)?,
        value: r.text(at + 4)?,
        placeholder: r.bool(at + 5)?,
        common: r.bool(at + 6)?,
        subject_id: r.opt_i64(at + 7)?.map(SubjectId),
        owner_org: r.opt_i64(at + 8)?.map(OrgId),
    })
}

/// [`crate::sql::IDENTIFIERS_OF_REFERRALS`]: (referral, identifier, role).
pub(crate) fn identifier_on_referral(
    r: &dyn Columns,
) -> Result<(ReferralId, IdentifierRow, String)> {
    Ok((ReferralId(r.i64(0)?), identifier(r, 1)?, r.text(10)?))
}

/// (subject, source reference, kind, service, value, role, placeholder, common) of an identifier on a
/// subject's referral: a placeholder or common value is shown as one that does not link.
pub(crate) fn identifier_of_subject(r: &dyn Columns) -> Result<(SubjectId, IdentifierOnReferral)> {
    Ok((
        SubjectId(r.i64(0)?),
        IdentifierOnReferral {
            referral: r.text(1)?,
            kind: identifier_kind(&r.text(2)?)?,
            service: r.opt_text(3)?,
            value: r.text(4)?,
            role: r.text(5)?,
            placeholder: r.bool(6)? || r.bool(7)?,
        },
    ))
}

/// (owner, band, open subjects, how many of them overdue; `NULL` when none are).
pub(crate) fn open_work(r: &dyn Columns) -> Result<(Option<OrgId>, String, i64, i64)> {
    Ok((
        r.opt_i64(0)?.map(OrgId),
        r.text(1)?,
        r.i64(2)?,
        r.opt_i64(3)?.unwrap_or(0),
    ))
}

/// [`crate::sql::LINKS_OF_SUBJECTS`]: (subject, explanation).
pub(crate) fn link_explained(r: &dyn Columns) -> Result<(SubjectId, LinkExplained)> {
    Ok((
        SubjectId(r.i64(0)?),
        LinkExplained {
            referral: r.text(1)?,
            kind: identifier_kind(&r.text(2)?)?,
            service: r.opt_text(3)?,
            value: r.text(4)?,
            weight: r.f64(5)?,
        },
    ))
}

/// [`crate::sql::REFERRAL_VERSIONS`]: (version, sha256, received_at).
pub(crate) fn referral_version(r: &dyn Columns) -> Result<(i32, String, i64)> {
    Ok((r.i32(0)?, r.text(1)?, r.i64(2)?))
}

/// [`crate::sql::FILE_DETAIL_COLUMNS`].
pub(crate) fn file_detail(r: &dyn Columns) -> Result<FileDetailRow> {
    Ok(FileDetailRow {
        source_ref: r.text(0)?,
        file_id: r.text(1)?,
        content_sha256: r.text(2)?,
        received_at: r.i64(3)?,
        document: r.text(4)?,
    })
}

/// [`crate::sql::REJECT_BY_ID`].
pub(crate) fn reject(r: &dyn Columns) -> Result<RejectRow> {
    Ok(RejectRow {
        id: r.i64(0)?,
        path: r.text(1)?,
        location: r.opt_text(2)?,
        field: r.opt_text(3)?,
        reason: r.text(4)?,
        context: r.opt_text(5)?,
        rejected_at: r.i64(6)?,
        resolved_at: r.opt_i64(7)?,
    })
}

/// [`crate::sql::ASSESSMENT_BY_ID`].
pub(crate) fn assessment(r: &dyn Columns) -> Result<AssessmentRow> {
    Ok(AssessmentRow {
        id: r.i64(0)?,
        subject_id: SubjectId(r.i64(1)?),
        tool_id: r.text(2)?,
        tool_version: r.text(3)?,
        answers: r.text(4)?,
        outcome: r.text(5)?,
        band: band(&r.text(6)?)?,
        assessor: r.text(7)?,
        assessed_at: r.i64(8)?,
        override_band: r.opt_text(9)?.as_deref().map(band).transpose()?,
        override_rationale: r.opt_text(10)?,
        override_by: r.opt_text(11)?,
        rescored_from: r.opt_i64(12)?,
    })
}

/// [`crate::sql::DECISIONS_OF_SUBJECT`].
pub(crate) fn decision(r: &dyn Columns) -> Result<DecisionRow> {
    Ok(DecisionRow {
        id: r.i64(0)?,
        kind: {
            let kind = r.text(1)?;
            DecisionKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("decision kind {kind:?}")))?
        },
        subject_id: SubjectId(r.i64(2)?),
        other_subject_id: SubjectId(r.i64(3)?),
        referrals: r.text(4)?,
        rationale: r.text(5)?,
        actor: r.text(6)?,
        decided_at: r.i64(7)?,
    })
}

/// [`crate::sql::ACTIVE_RISK_TOOL`].
pub(crate) fn risk_tool(r: &dyn Columns) -> Result<RiskToolRow> {
    Ok(RiskToolRow {
        tool_id: r.text(0)?,
        version: r.text(1)?,
        source: r.text(2)?,
        loaded_at: r.i64(3)?,
        active: r.bool(4)?,
    })
}

/// [`crate::sql::AUDIT_COLUMNS`].
pub(crate) fn audit_entry(r: &dyn Columns) -> Result<AuditEntry> {
    Ok(AuditEntry {
        seq: r.i64(0)?,
        at: r.i64(1)?,
        actor: r.text(2)?,
        org: r.opt_i64(3)?,
        processing: {
            let processing = r.text(4)?;
            Processing::parse(&processing)
                .ok_or_else(|| StoreError::Corrupt(format!("audit processing {processing:?}")))?
        },
        action: r.text(5)?,
        target: r.text(6)?,
        outcome: r.text(7)?,
        justification: r.opt_text(8)?,
        recipients: r.opt_text(9)?,
        detail: r.opt_text(10)?,
        mac: r.text(11)?,
    })
}

pub(crate) fn org_kind(kind: &str) -> Result<OrgKind> {
    kind.parse()
        .map_err(|e: String| StoreError::Corrupt(format!("organisation kind: {e}")))
}

/// Roles stored as one comma-separated text; `None` (no roles) is empty.
fn roles(list: Option<String>) -> Result<Vec<Role>> {
    let mut roles = list
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<Role>().map_err(StoreError::Corrupt))
        .collect::<Result<Vec<Role>>>()?;
    roles.sort();
    Ok(roles)
}

/// [`crate::sql::ORGS`].
pub(crate) fn org(r: &dyn Columns) -> Result<OrgRow> {
    Ok(OrgRow {
        id: OrgId(r.i64(0)?),
        code: r.text(1)?,
        name: r.text(2)?,
        kind: org_kind(&r.text(3)?)?,
    })
}

/// [`crate::sql::STAFF_WHERE`].
pub(crate) fn staff(r: &dyn Columns) -> Result<StaffRow> {
    Ok(StaffRow {
        id: StaffId(r.i64(0)?),
        org_id: OrgId(r.i64(1)?),
        org_kind: org_kind(&r.text(2)?)?,
        team_id: r.opt_i64(3)?.map(TeamId),
        username: r.text(4)?,
        display_name: r.text(5)?,
        kind: staff_kind(&r.text(6)?)?,
        active: r.bool(7)?,
        created_at: r.i64(8)?,
        roles: roles(r.opt_text(9)?)?,
    })
}

/// [`crate::sql::CASE_SHARES`].
pub(crate) fn share(r: &dyn Columns) -> Result<ShareRow> {
    Ok(ShareRow {
        username: r.text(0)?,
        display_name: r.text(1)?,
        org_name: r.text(2)?,
        reason: r.text(3)?,
        shared_by: r.text(4)?,
        shared_at: r.i64(5)?,
    })
}

/// (user name, display name).
pub(crate) fn named_staff(r: &dyn Columns) -> Result<NamedStaff> {
    Ok(NamedStaff {
        username: r.text(0)?,
        display_name: r.text(1)?,
    })
}

/// [`crate::sql::STAFF_CHANGE_BY_ID`].
pub(crate) fn staff_change(r: &dyn Columns) -> Result<StaffChangeRow> {
    Ok(StaffChangeRow {
        id: r.i64(0)?,
        org_id: OrgId(r.i64(1)?),
        org_kind: org_kind(&r.text(2)?)?,
        kind: StaffChangeKind::parse(&r.text(3)?)?,
        staff_id: r.opt_i64(4)?.map(StaffId),
        team_id: r.opt_i64(5)?.map(TeamId),
        username: r.text(6)?,
        display_name: r.text(7)?,
        // In the order the request named them.
        roles: {
            let list = r.text(8)?;
            list.split(',')
                .filter(|s| !s.is_empty())
                .map(|s| s.parse::<Role>().map_err(StoreError::Corrupt))
                .collect::<Result<Vec<Role>>>()?
        },
        requested_by: StaffId(r.i64(9)?),
        requested_by_name: r.text(10)?,
        requested_at: r.i64(11)?,
        expires_at: r.i64(12)?,
        status: StaffChangeStatus::parse(&r.text(13)?)?,
        decided_by: r.opt_text(14)?,
        decided_at: r.opt_i64(15)?,
    })
}

/// [`crate::sql::OPEN_SESSIONS_OF_STAFF`].
pub(crate) fn session(r: &dyn Columns) -> Result<SessionRow> {
    let stage = r.text(2)?;
    Ok(SessionRow {
        id: r.i64(0)?,
        staff_id: StaffId(r.i64(1)?),
        stage: SessionStage::parse(&stage)
            .ok_or_else(|| StoreError::Corrupt(format!("session stage {stage:?}")))?,
        provider: r.text(3)?,
        csrf_token: r.text(4)?,
        created_at: r.i64(5)?,
        last_seen_at: r.i64(6)?,
        address: r.text(7)?,
        user_agent: r.text(8)?,
        ended_at: r.opt_i64(9)?,
        end_reason: r.opt_text(10)?,
    })
}

/// [`crate::sql::CREDENTIAL_OF_STAFF`].
pub(crate) fn credential(r: &dyn Columns) -> Result<CredentialRow> {
    Ok(CredentialRow {
        staff_id: StaffId(r.i64(0)?),
        password_hash: r.text(1)?,
        totp_secret: r.opt_text(2)?,
        totp_last_step: r.opt_i64(3)?,
        totp_pending_secret: r.opt_text(4)?,
        failed_attempts: r.i64(5)?,
        locked_until: r.opt_i64(6)?,
    })
}

/// [`crate::sql::API_TOKEN_BY_ID`].
pub(crate) fn api_token(r: &dyn Columns) -> Result<ApiTokenRow> {
    Ok(ApiTokenRow {
        id: r.i64(0)?,
        staff_id: StaffId(r.i64(1)?),
        label: r.text(2)?,
        created_by: r.text(3)?,
        created_at: r.i64(4)?,
        last_used_at: r.opt_i64(5)?,
        revoked_at: r.opt_i64(6)?,
        expires_at: r.i64(7)?,
    })
}

fn time(stored: i64) -> Result<jiff::Timestamp> {
    jiff::Timestamp::from_second(stored).map_err(|_| StoreError::Corrupt(format!("time {stored}")))
}

/// [`crate::sql::CASE_COLUMNS`].
pub(crate) fn case_file(r: &dyn Columns) -> Result<CaseRow> {
    let status = r.text(8)?;
    let state = r.text(12)?;
    let (due_at, stopped_at) = (r.opt_i64(13)?, r.opt_i64(14)?);
    Ok(CaseRow {
        id: CaseId(r.i64(0)?),
        subject_id: SubjectId(r.i64(1)?),
        owner_org: r.opt_i64(2)?.map(OrgId),
        opened_at: r.i64(3)?,
        opened_by: r.text(4)?,
        received_at: r.i64(5)?,
        clock_start_at: r.i64(6)?,
        opening_band: band(&r.text(7)?)?,
        now: CaseNow {
            status: CaseStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("case status {status:?}")))?,
            officer: r.opt_i64(9)?.map(StaffId),
            supervisor: r.opt_i64(10)?.map(StaffId),
            band: band(&r.text(11)?)?,
            clock: ClockSummary::from_columns(&state, due_at, stopped_at).ok_or_else(|| {
                StoreError::Corrupt(format!("case clock {state:?} {due_at:?} {stopped_at:?}"))
            })?,
            updated_at: r.i64(15)?,
        },
    })
}

/// [`crate::sql::EVENTS_OF_CASE`]: the case and its event. The stored kind must be the fact's.
pub(crate) fn case_event(r: &dyn Columns) -> Result<(CaseId, Event)> {
    let id = EventId(r.i64(0)?);
    let kind = r.text(2)?;
    let entry = r.text(9)?;
    let fact: Fact = serde_json::from_str(&r.text(6)?)
        .map_err(|e| StoreError::Corrupt(format!("event {id}: {e}")))?;
    if fact.kind().as_str() != kind {
        return Err(StoreError::Corrupt(format!(
            "event {id}: kind {kind:?} holds a {:?} fact",
            fact.kind().as_str()
        )));
    }
    Ok((
        CaseId(r.i64(1)?),
        Event {
            id,
            fact,
            occurred_at: time(r.i64(3)?)?,
            recorded_at: time(r.i64(4)?)?,
            recorded_by: r.text(5)?,
            supersedes: r.opt_i64(7)?.map(EventId),
            rationale: r.opt_text(8)?,
            entry: Entry::parse(&entry)
                .ok_or_else(|| StoreError::Corrupt(format!("event {id}: entry {entry:?}")))?,
        },
    ))
}

fn date(stored: &str) -> Result<jiff::civil::Date> {
    stored
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("date {stored:?}")))
}

fn skill_code(stored: &str) -> Result<SkillCode> {
    SkillCode::parse(stored).map_err(|_| StoreError::Corrupt(format!("skill code {stored:?}")))
}

/// staff_id, post, capacity, working_days, email.
pub(crate) fn staff_profile(r: &dyn Columns) -> Result<StaffProfileRow> {
    Ok(StaffProfileRow {
        staff_id: StaffId(r.i64(0)?),
        post: r.text(1)?,
        capacity: r.i64(2)?,
        working_days: r.i64(3)?,
        email: r.opt_text(4)?,
    })
}

/// id, case_id, staff_id, kind, due_at, created_at, emailed_at.
pub(crate) fn notice(r: &dyn Columns) -> Result<NoticeRow> {
    Ok(NoticeRow {
        id: r.i64(0)?,
        case_id: CaseId(r.i64(1)?),
        staff_id: StaffId(r.i64(2)?),
        kind: r.text(3)?,
        due_at: r.i64(4)?,
        created_at: r.i64(5)?,
        emailed_at: r.opt_i64(6)?,
    })
}

/// staff_id, first_day, last_day, reason.
pub(crate) fn absence(r: &dyn Columns) -> Result<AbsenceRow> {
    Ok(AbsenceRow {
        staff_id: StaffId(r.i64(0)?),
        first_day: date(&r.text(1)?)?,
        last_day: date(&r.text(2)?)?,
        reason: r.text(3)?,
    })
}

/// code, name, renew_after_months.
pub(crate) fn skill(r: &dyn Columns) -> Result<Skill> {
    let code = r.text(0)?;
    let months = r.opt_i64(2)?;
    Skill::new(
        &code,
        &r.text(1)?,
        months.map(|m| u32::try_from(m).unwrap_or(u32::MAX)),
    )
    .map_err(|e| StoreError::Corrupt(format!("skill {code:?}: {e}")))
}

/// staff_id, skill, achieved_on, expires_on, evidence.
pub(crate) fn training_record(r: &dyn Columns) -> Result<TrainingRecord> {
    Ok(TrainingRecord {
        staff: StaffId(r.i64(0)?),
        skill: skill_code(&r.text(1)?)?,
        achieved_on: date(&r.text(2)?)?,
        expires_on: r.opt_text(3)?.as_deref().map(date).transpose()?,
        evidence: r.text(4)?,
    })
}

/// post, skill.
pub(crate) fn post_requirement(r: &dyn Columns) -> Result<(String, SkillCode)> {
    Ok((r.text(0)?, skill_code(&r.text(1)?)?))
}
