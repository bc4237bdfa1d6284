-- Staff changes that wait for a second administrator's approval (SQLite): adding an account with a role that
-- opens personal data, the audit log or staff management, and resetting such an account's credentials.
-- Keep in step with ../postgres/0007_staff_change.sql.

CREATE TABLE staff_change (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES org (id),
    kind TEXT NOT NULL CHECK (kind IN ('add', 'reset')),
    -- The account reset; for an addition, the account made once approved.
    staff_id INTEGER REFERENCES staff (id),
    team_id INTEGER REFERENCES team (id),
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    -- Role names, comma-separated: those asked for, or those the reset account held when asked.
    roles TEXT NOT NULL,
    requested_by INTEGER NOT NULL REFERENCES staff (id),
    requested_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by TEXT,
    decided_at INTEGER
);
CREATE INDEX staff_change_pending ON staff_change (org_id, status, expires_at);
