-- Cases from opening to outcome (SQLite). Keep in step with ../postgres/0008_cases.sql.
--
-- A case's history is its events, append-only: a correction is a later event that supersedes an earlier one.
-- The case row's status, officer, band and clock columns are worked out from the events after each one is
-- added, so that worklists can be listed by deadline from an index; the events are the record.

CREATE TABLE case_file (
    id INTEGER PRIMARY KEY,
    -- The subject the case investigates: who may see the case follows it (its force, shares, restriction).
    subject_id BIGINT NOT NULL UNIQUE REFERENCES subject (id),
    owner_org INTEGER REFERENCES org (id),
    opened_at BIGINT NOT NULL,
    opened_by TEXT NOT NULL,
    -- When the first of the subject's referrals reached the force, and the clock's start and band at opening.
    received_at BIGINT NOT NULL,
    clock_start_at BIGINT NOT NULL,
    opening_band TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    officer_id INTEGER REFERENCES staff (id),
    supervisor_id INTEGER REFERENCES staff (id),
    band TEXT NOT NULL,
    clock_state TEXT NOT NULL CHECK (clock_state IN ('running', 'paused', 'stopped_in_time', 'stopped_late')),
    -- While the clock runs: when enforcement action is due. Otherwise NULL.
    due_at BIGINT,
    stopped_at BIGINT,
    -- What worklists sort by: due_at while the clock runs, otherwise the end of time (9999-12-31), so that
    -- running clocks come first, soonest due, from the index.
    list_due_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX case_file_worklist ON case_file (owner_org, status, list_due_at, id);
CREATE INDEX case_file_officer ON case_file (officer_id, status, list_due_at, id);
CREATE INDEX case_file_supervisor ON case_file (supervisor_id, status, list_due_at, id);
CREATE INDEX case_file_received ON case_file (owner_org, received_at);
-- How many open cases each officer carries (allocation's workload).
CREATE INDEX case_file_officers ON case_file (owner_org, status, officer_id);

CREATE TABLE case_event (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES case_file (id),
    kind TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    -- The fact as JSON (severn_domain::case::Fact), tagged by its kind.
    fact TEXT NOT NULL,
    supersedes BIGINT REFERENCES case_event (id),
    rationale TEXT,
    -- How it was entered: in the course of work, late (with a rationale), or as a correction (with a
    -- rationale; the order rules did not apply).
    entry TEXT NOT NULL CHECK (entry IN ('ordinary', 'late', 'correction'))
);
CREATE INDEX case_event_by_case ON case_event (case_id, id);
CREATE INDEX case_event_by_kind ON case_event (kind, occurred_at);
-- Which entries a correction or withdrawal supersedes: what the audits leave out.
CREATE INDEX case_event_superseding ON case_event (supersedes);

CREATE TRIGGER case_event_no_update BEFORE UPDATE ON case_event
BEGIN
    SELECT RAISE(ABORT, 'a case''s events are append-only: add a correction');
END;
CREATE TRIGGER case_event_no_delete BEFORE DELETE ON case_event
BEGIN
    SELECT RAISE(ABORT, 'a case''s events are append-only: add a correction');
END;

-- Warrant types a force applies for: data, so a force can add its own.
CREATE TABLE warrant_type (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);
INSERT INTO warrant_type (code, name) VALUES
    ('pace_s8', 'Police and Criminal Evidence Act 1984, s.8'),
    ('pca1978_s4', 'Protection of Children Act 1978, s.4'),
    ('ipa2016', 'Investigatory Powers Act 2016 (equipment interference)'),
    ('other', 'Other');
