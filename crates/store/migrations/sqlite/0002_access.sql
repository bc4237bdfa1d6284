-- Organisations, staff and roles, case ownership, shares and restrictions, and the statutory audit log
-- (SQLite). Keep in step with ../postgres/0002_access.sql.

CREATE TABLE org (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('force', 'regional_unit', 'nca', 'pcc_office'))
);

CREATE TABLE team (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES org (id),
    name TEXT NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE staff (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES org (id),
    team_id INTEGER REFERENCES team (id),
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('person', 'service')),
    active INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE staff_role (
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    role TEXT NOT NULL,
    PRIMARY KEY (staff_id, role)
);

-- The force that owns a referral and a subject. NULL: not yet assigned to a force (operators only).
ALTER TABLE referral ADD COLUMN owner_org INTEGER REFERENCES org (id);
ALTER TABLE subject ADD COLUMN owner_org INTEGER REFERENCES org (id);
ALTER TABLE subject ADD COLUMN restricted INTEGER NOT NULL DEFAULT 0;
CREATE INDEX subject_queue_by_owner ON subject (owner_org, status, due_at, id);

-- People outside the owning force a case is shared with, and why.
CREATE TABLE case_share (
    subject_id INTEGER NOT NULL REFERENCES subject (id),
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    reason TEXT NOT NULL,
    shared_by TEXT NOT NULL,
    shared_at INTEGER NOT NULL,
    PRIMARY KEY (subject_id, staff_id)
);

-- When subject.restricted, only these people may open the case.
CREATE TABLE case_restriction (
    subject_id INTEGER NOT NULL REFERENCES subject (id),
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    PRIMARY KEY (subject_id, staff_id)
);

-- DPA 2018 s.62 log. Each row's mac chains it to the previous row (see severn_domain::audit).
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    org INTEGER,
    processing TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    outcome TEXT NOT NULL,
    justification TEXT,
    recipients TEXT,
    detail TEXT,
    mac TEXT NOT NULL
);
CREATE INDEX audit_by_target ON audit_log (target, at);
CREATE INDEX audit_by_actor ON audit_log (actor, at);

-- The chain's head: appends take it in turn.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    mac TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, mac) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
