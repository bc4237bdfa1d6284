-- The staff register beyond accounts, skills and training, and allocation policies (sqlite).
-- Keep in step with ../postgres/0009_allocation.sql. Dates are ISO 8601 text (YYYY-MM-DD), which sorts as dates.

-- A person's post, how many live cases they are meant to carry and the days they work (a bitmask, Monday = 1,
-- Tuesday = 2, ... Sunday = 64).
CREATE TABLE staff_profile (
    staff_id INTEGER PRIMARY KEY REFERENCES staff (id),
    post TEXT NOT NULL,
    capacity BIGINT NOT NULL CHECK (capacity >= 0),
    working_days BIGINT NOT NULL CHECK (working_days BETWEEN 0 AND 127),
    -- Where notices about their cases' deadlines are e-mailed, when the server has an SMTP relay.
    email TEXT
);

CREATE TABLE staff_absence (
    id INTEGER PRIMARY KEY,
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    first_day TEXT NOT NULL,
    last_day TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX staff_absence_by_staff ON staff_absence (staff_id, last_day);

-- Each force's catalogue of skills: data, so a force adds its own.
CREATE TABLE skill (
    org_id INTEGER NOT NULL REFERENCES org (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    renew_after_months BIGINT,
    PRIMARY KEY (org_id, code)
);

CREATE TABLE training_record (
    id INTEGER PRIMARY KEY,
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    skill TEXT NOT NULL,
    achieved_on TEXT NOT NULL,
    expires_on TEXT,
    evidence TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    UNIQUE (staff_id, skill, achieved_on)
);

-- The skills a post requires, per force (what training coverage is measured against).
CREATE TABLE post_requirement (
    org_id INTEGER NOT NULL REFERENCES org (id),
    post TEXT NOT NULL,
    skill TEXT NOT NULL,
    PRIMARY KEY (org_id, post, skill)
);

-- Allocation policy versions, as installed; the active one is what allocations are checked against.
CREATE TABLE allocation_policy (
    policy_id TEXT NOT NULL,
    version TEXT NOT NULL,
    source TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    loaded_at BIGINT NOT NULL,
    active BOOLEAN NOT NULL,
    PRIMARY KEY (policy_id, version)
);
