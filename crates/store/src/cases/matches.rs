//! Possible matches: the identifiers a subject's reported people share with other live subjects of its force,
//! whatever their weight, for an investigator to judge (the use case keeps those that did not link).

use super::*;
use severn_domain::report::IdentifierKind;

/// An identifier the reported people of one subject carry that the reported people of another subject carry
/// too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedIdentifier {
    /// The other subject.
    pub other: SubjectId,
    pub identifier: IdentifierId,
    pub kind: IdentifierKind,
    pub service: Option<String>,
    pub value: String,
    /// Recognised by its form as a value services put in empty fields.
    pub placeholder: bool,
    /// Seen with so many accounts that it is taken for a shared value.
    pub common: bool,
}

/// Each (other subject, identifier) once. Index-backed on both backends: the subject's referrals
/// (`referral_subject`), their identifiers (`referral_identifier`'s key), the referrals carrying each
/// (`referral_identifier_by_identifier`), and those referrals' subjects by key. Other subjects must be live,
/// owned by the subject's own force (`$2`: the scope's force, or any for an operator, who still sees only
/// the subject's force), and not separated from it by an investigator's split.
const SHARED_WITH_OTHERS: &str = "SELECT DISTINCT r1.subject_id, i.id, i.kind, i.service, i.value, \
     i.placeholder, i.common \
     FROM referral r0 \
     JOIN subject s0 ON s0.id = r0.subject_id \
     JOIN referral_identifier ri0 ON ri0.referral_id = r0.id AND ri0.role = 'reported' \
     JOIN identifier i ON i.id = ri0.identifier_id \
     JOIN referral_identifier ri1 ON ri1.identifier_id = i.id AND ri1.role = 'reported' \
     JOIN referral r1 ON r1.id = ri1.referral_id \
     JOIN subject s1 ON s1.id = r1.subject_id \
     WHERE r0.subject_id = $1 AND r1.subject_id <> $1 AND s1.status <> 'merged' \
     AND COALESCE(s1.owner_org, 0) = COALESCE(s0.owner_org, 0) \
     AND ($2 IS NULL OR s1.owner_org = $2) \
     AND NOT EXISTS (SELECT 1 FROM subject_separation sep \
         WHERE (sep.subject_a = $1 AND sep.subject_b = r1.subject_id) \
         OR (sep.subject_a = r1.subject_id AND sep.subject_b = $1)) \
     ORDER BY r1.subject_id, i.id LIMIT $3";

/// Personal data: only the gate's handle reaches it.
impl Scoped {
    /// The identifiers of `subject`'s reported people that reported people of other live subjects of its
    /// force carry too, by other subject and then identifier, at most `limit` pairs. Needs a scope over a
    /// force's cases (a list), as the other subjects are not named by the person asking.
    pub async fn identifiers_shared_with_others(
        &mut self,
        subject: SubjectId,
        limit: i64,
    ) -> Result<Vec<SharedIdentifier>> {
        let owner = self.scope().list_owner()?;
        self.conn()
            .all(SHARED_WITH_OTHERS, &args![subject, owner, limit], |r| {
                let stored = r.text(2)?;
                Ok(SharedIdentifier {
                    other: SubjectId(r.i64(0)?),
                    identifier: IdentifierId(r.i64(1)?),
                    kind: IdentifierKind::parse(&stored).ok_or_else(|| {
                        StoreError::Corrupt(format!("identifier kind {stored:?}"))
                    })?,
                    service: r.opt_text(3)?,
                    value: r.text(4)?,
                    placeholder: r.bool(5)?,
                    common: r.bool(6)?,
                })
            })
            .await
    }
}
