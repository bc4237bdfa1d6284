-- Notices to a case's officer in charge and supervisor before and at the breach of its deadline (sqlite).
-- Keep in step with ../postgres/0010_notices.sql. One notice per case, person, kind and deadline: a deadline
-- moved by a pause or a change of band gets notices of its own.

CREATE TABLE notice (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES case_file (id),
    staff_id BIGINT NOT NULL REFERENCES staff (id),
    kind TEXT NOT NULL CHECK (kind IN ('due_soon', 'overdue')),
    due_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    -- When it was handed to the SMTP relay; NULL while it has not been (no relay, no address, or a failure).
    emailed_at BIGINT,
    UNIQUE (case_id, staff_id, kind, due_at)
);
CREATE INDEX notice_by_staff ON notice (staff_id, created_at);
