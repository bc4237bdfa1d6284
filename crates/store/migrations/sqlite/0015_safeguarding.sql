-- Safeguarding on cases (SQLite). Keep in step with ../postgres/0015_safeguarding.sql.
--
-- The children, their referrals, joint plans and support referrals are events on the case's timeline
-- (case_event); what is kept here is what lets the worklist and the notices find safeguarding work that is
-- due without reading every timeline: the earliest deadline of the case's open safeguarding work.

-- When the case's earliest open safeguarding deadline ends (the end of its UK day), NULL when none is open.
ALTER TABLE case_file ADD COLUMN safeguarding_due_at BIGINT;
CREATE INDEX case_file_safeguarding_due ON case_file (owner_org, safeguarding_due_at)
    WHERE safeguarding_due_at IS NOT NULL;

-- A force's target for sending a referral to children's social care, in working days after the child is
-- identified (0: the same working day). Each change is kept, so figures for a past date use the target then.
CREATE TABLE safeguarding_target (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES org (id),
    working_days INTEGER NOT NULL CHECK (working_days BETWEEN 0 AND 10),
    set_at BIGINT NOT NULL,
    set_by TEXT NOT NULL
);
CREATE INDEX safeguarding_target_by_org ON safeguarding_target (org_id, set_at);

-- Notices gain a kind: safeguarding work past its deadline.
CREATE TABLE notice_new (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES case_file (id),
    staff_id BIGINT NOT NULL REFERENCES staff (id),
    kind TEXT NOT NULL CHECK (kind IN ('due_soon', 'overdue', 'safeguarding_overdue')),
    due_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    emailed_at BIGINT,
    UNIQUE (case_id, staff_id, kind, due_at)
);
INSERT INTO notice_new SELECT id, case_id, staff_id, kind, due_at, created_at, emailed_at FROM notice;
DROP TABLE notice;
ALTER TABLE notice_new RENAME TO notice;
CREATE INDEX notice_by_staff ON notice (staff_id, created_at);
