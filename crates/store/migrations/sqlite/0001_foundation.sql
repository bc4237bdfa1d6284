-- Severn foundation schema (SQLite). Keep in step with ../postgres/0001_foundation.sql.
-- Times are UTC Unix seconds (BIGINT); documents and explanations are JSON text.
-- Tables keyed by a composite primary key are WITHOUT ROWID: one B-tree instead of two, for bulk ingest.

CREATE TABLE id_alloc (
    name TEXT PRIMARY KEY,
    next_id BIGINT NOT NULL
);
INSERT INTO id_alloc (name, next_id) VALUES
    ('subject', 1), ('referral', 1), ('identifier', 1), ('assessment', 1), ('decision', 1);

CREATE TABLE subject (
    id INTEGER PRIMARY KEY,
    created_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    merged_into BIGINT,
    provisional_band TEXT NOT NULL,
    assessment_id BIGINT,
    band TEXT NOT NULL,
    band_reason TEXT NOT NULL,
    clock_start_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL
);
CREATE INDEX subject_queue ON subject (status, due_at, id);

CREATE TABLE referral (
    id INTEGER PRIMARY KEY,
    source_ref TEXT NOT NULL UNIQUE,
    format TEXT NOT NULL,
    source TEXT NOT NULL,
    version INTEGER NOT NULL,
    content_sha256 TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    clock_start_at BIGINT NOT NULL,
    nca_reference TEXT,
    disseminated_at BIGINT,
    incident_type TEXT,
    incident_at BIGINT,
    platform TEXT,
    subject_id BIGINT NOT NULL REFERENCES subject (id),
    band TEXT NOT NULL,
    outcome TEXT NOT NULL,
    signals TEXT NOT NULL,
    document TEXT NOT NULL
);
CREATE INDEX referral_subject ON referral (subject_id);

CREATE TABLE referral_version (
    referral_id BIGINT NOT NULL REFERENCES referral (id),
    version INTEGER NOT NULL,
    content_sha256 TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (referral_id, version)
);

CREATE TABLE identifier (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    service TEXT,
    value TEXT NOT NULL,
    placeholder BOOLEAN NOT NULL,
    -- Seen with so many distinct accounts that it is taken for a shared or placeholder value.
    common BOOLEAN NOT NULL DEFAULT FALSE,
    -- The subject last seen carrying it. Not moved when that subject is merged: readers follow
    -- subject.merged_into, which spares bulk ingest an index on this column.
    subject_id BIGINT
);

CREATE TABLE identifier_account (
    identifier_id BIGINT NOT NULL,
    account_id BIGINT NOT NULL,
    PRIMARY KEY (identifier_id, account_id)
) WITHOUT ROWID;

CREATE TABLE referral_identifier (
    referral_id BIGINT NOT NULL,
    identifier_id BIGINT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (referral_id, identifier_id, role)
) WITHOUT ROWID;
CREATE INDEX referral_identifier_by_identifier ON referral_identifier (identifier_id);

-- Why a referral is in its subject: the identifiers it shared with the subject when it joined. A merge or a
-- move keeps them; a relink or a split replaces them.
CREATE TABLE subject_link (
    referral_id BIGINT NOT NULL,
    identifier_id BIGINT NOT NULL,
    weight DOUBLE PRECISION NOT NULL,
    linked_at BIGINT NOT NULL,
    PRIMARY KEY (referral_id, identifier_id)
) WITHOUT ROWID;

CREATE TABLE subject_decision (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    other_subject_id BIGINT NOT NULL,
    referrals TEXT NOT NULL,
    rationale TEXT NOT NULL,
    actor TEXT NOT NULL,
    decided_at BIGINT NOT NULL
);

CREATE TABLE subject_separation (
    subject_a BIGINT NOT NULL,
    subject_b BIGINT NOT NULL,
    PRIMARY KEY (subject_a, subject_b)
) WITHOUT ROWID;

CREATE TABLE file_detail (
    source_ref TEXT NOT NULL,
    file_id TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (source_ref, file_id)
) WITHOUT ROWID;

CREATE TABLE reject (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL,
    location TEXT,
    field TEXT,
    reason TEXT NOT NULL,
    content BLOB NOT NULL,
    context TEXT,
    rejected_at BIGINT NOT NULL,
    resolved_at BIGINT
);

CREATE TABLE risk_tool (
    tool_id TEXT NOT NULL,
    version TEXT NOT NULL,
    source TEXT NOT NULL,
    loaded_at BIGINT NOT NULL,
    active BOOLEAN NOT NULL,
    PRIMARY KEY (tool_id, version)
);

CREATE TABLE assessment (
    id INTEGER PRIMARY KEY,
    subject_id BIGINT NOT NULL REFERENCES subject (id),
    tool_id TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    answers TEXT NOT NULL,
    outcome TEXT NOT NULL,
    band TEXT NOT NULL,
    assessor TEXT NOT NULL,
    assessed_at BIGINT NOT NULL,
    override_band TEXT,
    override_rationale TEXT,
    override_by TEXT,
    rescored_from BIGINT
);
CREATE INDEX assessment_subject ON assessment (subject_id);
