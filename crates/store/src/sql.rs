//! SQL text, and the column lists the decoders of [`crate::decode`] read and the binds of `binds` fill: one
//! copy of each, for both backends.
//!
//! Parameters are `$n`, which both backends take; `$n` binds the n-th value (see `conn`), in any order.
//!
//! Depends on nothing.

/// Expands to a column list or a piece of a statement, for `concat!` to build statements from at compile time.
macro_rules! text {
    (subject) => {
        "id, created_at, status, merged_into, provisional_band, assessment_id, band, band_reason, \
         clock_start_at, due_at, owner_org"
    };
    (referral) => {
        "id, source_ref, format, source, version, content_sha256, received_at, clock_start_at, nca_reference, \
         disseminated_at, incident_type, incident_at, platform, subject_id, band, outcome, signals, document, \
         owner_org"
    };
    (known_referral) => {
        "id, source_ref, content_sha256, version, subject_id, owner_org"
    };
    (identifier) => {
        "id, key, kind, service, value, placeholder, common, subject_id, owner_org"
    };
    (assessment) => {
        "id, subject_id, tool_id, tool_version, answers, outcome, band, assessor, assessed_at, override_band, \
         override_rationale, override_by, rescored_from"
    };
    (decision) => {
        "id, kind, subject_id, other_subject_id, referrals, rationale, actor, decided_at"
    };
    (case_file) => {
        "id, subject_id, owner_org, opened_at, opened_by, received_at, clock_start_at, opening_band, status, \
         officer_id, supervisor_id, band, clock_state, due_at, stopped_at, updated_at"
    };
    (case_event) => {
        "id, case_id, kind, occurred_at, recorded_at, recorded_by, fact, supersedes, rationale, entry"
    };
    (file_detail) => {
        "source_ref, file_id, content_sha256, received_at, document"
    };
    (reject) => {
        "id, path, location, field, reason, context, rejected_at, resolved_at"
    };
    (audit) => {
        "seq, at, actor, org, processing, action, target, outcome, justification, recipients, detail, mac"
    };
    (staff_select) => {
        "SELECT s.id, s.org_id, o.kind, s.team_id, s.username, s.display_name, s.kind, s.active, s.created_at, \
         (SELECT string_agg(role, ',') FROM staff_role r WHERE r.staff_id = s.id) \
         FROM staff s JOIN org o ON o.id = s.org_id"
    };
    // The tail that makes a subjects' `INSERT … VALUES` an upsert: a subject's owner, once set, stays.
    (subject_upsert) => {
        " ON CONFLICT (id) DO UPDATE SET status = excluded.status, \
         merged_into = excluded.merged_into, provisional_band = excluded.provisional_band, \
         assessment_id = excluded.assessment_id, band = excluded.band, band_reason = excluded.band_reason, \
         clock_start_at = excluded.clock_start_at, due_at = excluded.due_at, \
         owner_org = COALESCE(subject.owner_org, excluded.owner_org)"
    };
    (search_identifier) => {
        "SELECT r.subject_id, r.source_ref, ri.role FROM identifier i \
         JOIN referral_identifier ri ON ri.identifier_id = i.id JOIN referral r ON r.id = ri.referral_id WHERE "
    };
    (search_identifier_tail) => {
        " AND ($2 IS NULL OR r.owner_org = $2) ORDER BY r.id DESC LIMIT $3"
    };
    (credential) => {
        "staff_id, password_hash, totp_secret, totp_last_step, totp_pending_secret, failed_attempts, locked_until"
    };
    (api_token) => {
        "id, staff_id, label, created_by, created_at, last_used_at, revoked_at, expires_at"
    };
    (staff_change_select) => {
        "SELECT c.id, c.org_id, o.kind, c.kind, c.staff_id, c.team_id, c.username, c.display_name, c.roles, \
         c.requested_by, s.username, c.requested_at, c.expires_at, c.status, c.decided_by, c.decided_at \
         FROM staff_change c JOIN org o ON o.id = c.org_id JOIN staff s ON s.id = c.requested_by"
    };
    (links_select) => {
        "SELECT r.subject_id, r.source_ref, i.kind, i.service, i.value, l.weight FROM referral r \
         JOIN subject_link l ON l.referral_id = r.id JOIN identifier i ON i.id = l.identifier_id \
         WHERE r.subject_id IN ("
    };
    (links_order) => {
        ") ORDER BY r.subject_id, r.id, l.weight DESC, i.kind, i.value"
    };
    (identifiers_select) => {
        "SELECT ri.referral_id, i.id, i.key, i.kind, i.service, i.value, i.placeholder, i.common, \
         i.subject_id, i.owner_org, ri.role FROM referral_identifier ri \
         JOIN identifier i ON i.id = ri.identifier_id WHERE ri.referral_id IN ("
    };
    (identifiers_order) => {
        ") ORDER BY ri.referral_id, i.kind, i.value"
    };
    (session) => {
        "id, staff_id, stage, provider, csrf_token, created_at, last_seen_at, address, user_agent, ended_at, \
         end_reason"
    };
}

pub const SUBJECT_COLUMNS: &str = text!(subject);
pub const REFERRAL_COLUMNS: &str = text!(referral);
pub const KNOWN_REFERRAL_COLUMNS: &str = text!(known_referral);
pub const IDENTIFIER_COLUMNS: &str = text!(identifier);
pub const FILE_DETAIL_COLUMNS: &str = text!(file_detail);
pub const AUDIT_COLUMNS: &str = text!(audit);
pub const CASE_COLUMNS: &str = text!(case_file);
pub const CASE_BY_ID: &str = concat!("SELECT ", text!(case_file), " FROM case_file WHERE id = $1");
pub const CASE_OF_SUBJECT: &str = concat!(
    "SELECT ",
    text!(case_file),
    " FROM case_file WHERE subject_id = $1"
);
pub const EVENTS_OF_CASE: &str = concat!(
    "SELECT ",
    text!(case_event),
    " FROM case_event WHERE case_id = $1 ORDER BY id"
);
/// Binds: case_id, kind, occurred_at, recorded_at, recorded_by, fact, supersedes, rationale, entry.
pub const INSERT_CASE_EVENT: &str = "INSERT INTO case_event (case_id, kind, occurred_at, recorded_at, \
     recorded_by, fact, supersedes, rationale, entry) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";
/// Binds: subject_id, owner_org, opened_at, opened_by, received_at, clock_start_at, band, due_at.
pub const INSERT_CASE: &str = "INSERT INTO case_file (subject_id, owner_org, opened_at, opened_by, \
     received_at, clock_start_at, opening_band, status, band, clock_state, due_at, list_due_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $7, 'running', $8, $8, $3) RETURNING id";
/// Binds: status, officer_id, supervisor_id, band, clock_state, due_at, stopped_at, updated_at, id,
/// list_due_at.
pub const UPDATE_CASE_NOW: &str = "UPDATE case_file SET status = $1, officer_id = $2, supervisor_id = $3, \
     band = $4, clock_state = $5, due_at = $6, stopped_at = $7, updated_at = $8, list_due_at = $10 \
     WHERE id = $9";
pub const ACTIVE_RISK_TOOL: &str =
    "SELECT tool_id, version, source, loaded_at, active FROM risk_tool WHERE active";
pub const KNOWN_REFERRAL: &str = concat!(
    "SELECT ",
    text!(known_referral),
    " FROM referral WHERE source_ref = $1"
);
/// A case's owner, whether it is restricted, and the ids (comma-separated) of the people it is shared with
/// and restricted to: one statement, as the gate asks it before every case it opens.
pub const CASE_ACCESS: &str = "SELECT owner_org, restricted, \
     (SELECT string_agg(CAST(staff_id AS TEXT), ',') FROM case_share WHERE subject_id = $1), \
     (SELECT string_agg(CAST(staff_id AS TEXT), ',') FROM case_restriction WHERE subject_id = $1) \
     FROM subject WHERE id = $1";
/// A session (the columns of `session`) and then its member of staff (the columns of `staff_select`), by the
/// session's token hash: every request's first question, in one statement.
pub const SESSION_AND_STAFF: &str = "SELECT se.id, se.staff_id, se.stage, se.provider, se.csrf_token, \
     se.created_at, se.last_seen_at, se.address, se.user_agent, se.ended_at, se.end_reason, \
     s.id, s.org_id, o.kind, s.team_id, s.username, s.display_name, s.kind, s.active, s.created_at, \
     (SELECT string_agg(role, ',') FROM staff_role r WHERE r.staff_id = s.id) \
     FROM session se JOIN staff s ON s.id = se.staff_id JOIN org o ON o.id = s.org_id \
     WHERE se.token_hash = $1";

pub const SUBJECT_BY_ID: &str = concat!("SELECT ", text!(subject), " FROM subject WHERE id = $1");
pub const REFERRAL_BY_ID: &str =
    concat!("SELECT ", text!(referral), " FROM referral WHERE id = $1");
pub const REFERRAL_BY_SOURCE_REF: &str = concat!(
    "SELECT ",
    text!(referral),
    " FROM referral WHERE source_ref = $1"
);
pub const REFERRAL_REFS_OF_SUBJECT: &str =
    "SELECT source_ref FROM referral WHERE subject_id = $1 ORDER BY id";
/// (subject, source reference, kind, service, value, weight) of the links of the subjects in the list that
/// follows; [`LINKS_ORDER`] after it.
pub const LINKS_OF_SUBJECTS: &str = text!(links_select);
pub const LINKS_ORDER: &str = text!(links_order);
/// [`LINKS_OF_SUBJECTS`] of one subject.
pub const LINKS_OF_SUBJECT: &str = concat!(text!(links_select), "$1", text!(links_order));
/// (referral, the identifier's columns, role) of the referrals in the list that follows; [`IDENTIFIERS_ORDER`]
/// after it.
pub const IDENTIFIERS_OF_REFERRALS: &str = text!(identifiers_select);
pub const IDENTIFIERS_ORDER: &str = text!(identifiers_order);
/// [`IDENTIFIERS_OF_REFERRALS`] of one referral.
pub const IDENTIFIERS_OF_REFERRAL: &str =
    concat!(text!(identifiers_select), "$1", text!(identifiers_order));
pub const ASSESSMENTS_OF_SUBJECT: &str = concat!(
    "SELECT ",
    text!(assessment),
    " FROM assessment WHERE subject_id = $1 ORDER BY id"
);
pub const DECISIONS_OF_SUBJECT: &str = concat!(
    "SELECT ",
    text!(decision),
    " FROM subject_decision WHERE subject_id = $1 OR other_subject_id = $1 ORDER BY id"
);
pub const REFERRAL_VERSIONS: &str = "SELECT version, content_sha256, received_at FROM referral_version \
     WHERE referral_id = $1 ORDER BY version";

// The batch writer's statements that the sqlx transaction also runs one row at a time.

pub const ALLOC_IDS: &str =
    "UPDATE id_alloc SET next_id = next_id + $1 WHERE name = $2 RETURNING next_id";
pub const INSERT_REJECT: &str = "INSERT INTO reject (path, location, field, reason, content, context, \
     rejected_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
pub const FILE_DETAIL_SHA: &str =
    "SELECT content_sha256 FROM file_detail WHERE source_ref = $1 AND file_id = $2";
pub const INSERT_FILE_DETAIL: &str = concat!(
    "INSERT INTO file_detail (",
    text!(file_detail),
    ") VALUES ($1, $2, $3, $4, $5)"
);
/// Binds: sha256, received_at, document, source_ref, file_id.
pub const UPDATE_FILE_DETAIL: &str = "UPDATE file_detail SET content_sha256 = $1, received_at = $2, \
     document = $3 WHERE source_ref = $4 AND file_id = $5";
/// Binds: status, merged_into, provisional_band, assessment_id, band, band_reason, clock_start_at, due_at, id.
pub const UPDATE_SUBJECT: &str = "UPDATE subject SET status = $1, merged_into = $2, provisional_band = $3, \
     assessment_id = $4, band = $5, band_reason = $6, clock_start_at = $7, due_at = $8 WHERE id = $9";
/// What merging subject `$2` into `$1` changes, in order.
pub const MERGE_SUBJECT: [&str; 3] = [
    "UPDATE referral SET subject_id = $1 WHERE subject_id = $2",
    "UPDATE assessment SET subject_id = $1 WHERE subject_id = $2",
    "UPDATE subject SET merged_into = $1, status = 'merged' WHERE id = $2",
];
pub const INSERT_SEPARATION: &str = "INSERT INTO subject_separation (subject_a, subject_b) VALUES ($1, $2) \
     ON CONFLICT DO NOTHING";
pub const INSERT_REFERRAL_VERSION: &str = "INSERT INTO referral_version (referral_id, version, \
     content_sha256, received_at, document) VALUES ($1, $2, $3, $4, $5)";
/// Binds: version, sha256, received_at, incident_type, incident_at, platform, band, outcome, signals,
/// document, id.
pub const UPDATE_REFERRAL_VERSION: &str = "UPDATE referral SET version = $1, content_sha256 = $2, \
     received_at = $3, incident_type = $4, incident_at = $5, platform = $6, band = $7, outcome = $8, \
     signals = $9, document = $10 WHERE id = $11";
/// Binds: band, outcome, signals, document, id.
pub const UPDATE_REFERRAL_RISK: &str =
    "UPDATE referral SET band = $1, outcome = $2, signals = $3, document = $4 WHERE id = $5";
/// The tail of a subjects' multi-row `INSERT … VALUES` that makes it an upsert.
pub const SUBJECT_UPSERT: &str = text!(subject_upsert);

pub const AUDIT_HEAD: &str = "SELECT seq, mac FROM audit_head WHERE id = 1";
/// [`AUDIT_HEAD`], holding the head row until the commit (PostgreSQL).
pub const AUDIT_HEAD_FOR_UPDATE: &str = "SELECT seq, mac FROM audit_head WHERE id = 1 FOR UPDATE";
pub const MOVE_AUDIT_HEAD: &str = "UPDATE audit_head SET seq = $1, mac = $2 WHERE id = 1";
pub const AUDIT_AFTER: &str = concat!(
    "SELECT ",
    text!(audit),
    " FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
);
pub const AUDIT_SEARCH: &str = concat!(
    "SELECT ",
    text!(audit),
    " FROM audit_log WHERE ($1 IS NULL OR target = $1) AND ($2 IS NULL OR actor = $2) \
     AND ($3 IS NULL OR at >= $3) AND ($4 IS NULL OR at < $4) AND ($6 IS NULL OR org = $6) \
     ORDER BY seq DESC LIMIT $5"
);
pub const REFERRALS_AFTER: &str = concat!(
    "SELECT ",
    text!(referral),
    " FROM referral WHERE id > $1 ORDER BY id LIMIT $2"
);
pub const QUEUE: &str = concat!(
    "SELECT ",
    text!(subject),
    " FROM subject WHERE ($2 IS NULL OR owner_org = $2) AND status = 'open' ORDER BY due_at, id LIMIT $1"
);
/// Referrals carrying an identifier: the key `$1`, the owner `$2` (any when NULL), at most `$3`.
pub const SEARCH_IDENTIFIER: &str = concat!(
    text!(search_identifier),
    "i.key = $1",
    text!(search_identifier_tail)
);
/// The same, through SQLite's index on the key's hash `$4`.
pub const SEARCH_IDENTIFIER_BY_HASH: &str = concat!(
    text!(search_identifier),
    "i.key_hash = $4 AND i.key = $1",
    text!(search_identifier_tail)
);
pub const REJECTS: &str = concat!(
    "SELECT ",
    text!(reject),
    " FROM reject WHERE $1 OR resolved_at IS NULL ORDER BY id"
);
pub const REJECT_BY_ID: &str = concat!("SELECT ", text!(reject), " FROM reject WHERE id = $1");
pub const INSERT_ASSESSMENT: &str = concat!(
    "INSERT INTO assessment (",
    text!(assessment),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
);
pub const ASSESSMENT_BY_ID: &str = concat!(
    "SELECT ",
    text!(assessment),
    " FROM assessment WHERE id = $1"
);

// Sign-in, organisations, staff, sharing and staff changes.
pub const CREDENTIAL_OF_STAFF: &str = concat!(
    "SELECT ",
    text!(credential),
    " FROM credential WHERE staff_id = $1"
);
/// A person's sessions that have not ended, newest first.
pub const OPEN_SESSIONS_OF_STAFF: &str = concat!(
    "SELECT ",
    text!(session),
    " FROM session WHERE staff_id = $1 AND ended_at IS NULL ORDER BY created_at DESC, id DESC"
);
pub const API_TOKEN_BY_ID: &str =
    concat!("SELECT ", text!(api_token), " FROM api_token WHERE id = $1");
pub const API_TOKEN_BY_HASH: &str = concat!(
    "SELECT ",
    text!(api_token),
    " FROM api_token WHERE token_hash = $1"
);
pub const API_TOKENS_OF_STAFF: &str = concat!(
    "SELECT ",
    text!(api_token),
    " FROM api_token WHERE staff_id = $1 ORDER BY created_at DESC, id DESC"
);
pub const API_TOKENS_IN_ORG: &str = concat!(
    "SELECT ",
    text!(api_token),
    " FROM api_token WHERE staff_id IN (SELECT id FROM staff WHERE org_id = $1) \
     ORDER BY created_at DESC, id DESC"
);
pub const ORGS: &str = "SELECT id, code, name, kind FROM org ORDER BY id";
/// Staff by user name `$1` and id `$2` (any when NULL), with their roles.
/// A force's active investigators and supervisors: the people a case can be allocated to.
pub const ALLOCATABLE_STAFF: &str = concat!(
    text!(staff_select),
    " WHERE s.org_id = $1 AND s.active = TRUE AND EXISTS (SELECT 1 FROM staff_role a \
     WHERE a.staff_id = s.id AND a.role IN ('investigator', 'supervisor')) ORDER BY s.id"
);
pub const STAFF_WHERE: &str = concat!(
    text!(staff_select),
    " WHERE ($1 IS NULL OR s.username = $1) AND ($2 IS NULL OR s.id = $2) ORDER BY s.id"
);
/// Whom a case is shared with: user name, display name, organisation's name, reason, by whom, when; oldest
/// share first.
pub const CASE_SHARES: &str = "SELECT s.username, s.display_name, o.name, c.reason, c.shared_by, c.shared_at \
     FROM case_share c JOIN staff s ON s.id = c.staff_id JOIN org o ON o.id = s.org_id \
     WHERE c.subject_id = $1 ORDER BY c.shared_at, s.username";
/// Staff changes pending at `$1`, of organisation `$2` (all when NULL), oldest first.
pub const PENDING_STAFF_CHANGES: &str = concat!(
    text!(staff_change_select),
    " WHERE c.status = 'pending' AND c.expires_at > $1 AND ($2 IS NULL OR c.org_id = $2) \
     ORDER BY c.requested_at, c.id"
);
pub const STAFF_CHANGE_BY_ID: &str = concat!(text!(staff_change_select), " WHERE c.id = $1");
