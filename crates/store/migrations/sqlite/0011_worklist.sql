-- The investigator's worklists (SQLite). Keep in step with ../postgres/0011_worklist.sql.

-- When each person last looked at each of their worklists (page 1): what "new since your last visit" counts
-- from.
CREATE TABLE worklist_visit (
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    list TEXT NOT NULL,
    visited_at BIGINT NOT NULL,
    PRIMARY KEY (staff_id, list)
);

-- A person's own named filters of a worklist: the address's query (list, filters and sort), private to them.
CREATE TABLE saved_filter (
    id INTEGER PRIMARY KEY,
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (staff_id, name)
);

-- The worklists' other orders, from an index: by when the first referral arrived, and by case number.
CREATE INDEX case_file_by_received ON case_file (owner_org, status, received_at, id);
CREATE INDEX case_file_by_number ON case_file (owner_org, status, id);
-- Highest band first: the expression is the one the worklist sorts by, word for word.
CREATE INDEX case_file_by_band ON case_file (
    owner_org, status,
    (CASE band WHEN 'very_high' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END),
    list_due_at, id
);
-- "New since your last visit": how many of the force's open (or closed) cases changed after a time.
CREATE INDEX case_file_by_update ON case_file (owner_org, status, updated_at);
-- "My team's": the team's people, then their cases by case_file_officer.
CREATE INDEX staff_by_team ON staff (team_id, id);
-- "Shared with me", and the "Shared" flag (the primary key covers a subject's shares).
CREATE INDEX case_share_by_staff ON case_share (staff_id, subject_id);
-- The source filter: a case's subject's referrals from one source.
CREATE INDEX referral_subject_source ON referral (subject_id, source);
