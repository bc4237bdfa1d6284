-- Linking per force (SQLite). Keep in step with ../postgres/0004_identifier_owner.sql.
-- An identifier row belongs to the force that owns the referrals carrying it (`owner_org`, NULL when no force
-- owns them): the same e-mail received by two forces is two identifiers, so it links each force's referrals
-- only to that force's own. Its key is unique per owner; searches by key alone still use the index.
--
-- SQLite cannot drop the column's UNIQUE constraint, so the table is rebuilt. Existing identifiers take the
-- owner of the first referral that carries them. Subjects already joined across forces are not split here.

CREATE TABLE identifier_by_owner (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    service TEXT,
    value TEXT NOT NULL,
    placeholder BOOLEAN NOT NULL,
    -- Seen with so many distinct accounts (of its owner) that it is taken for a shared or placeholder value.
    common BOOLEAN NOT NULL DEFAULT FALSE,
    -- The subject last seen carrying it. Not moved when that subject is merged: readers follow
    -- subject.merged_into, which spares bulk ingest an index on this column.
    subject_id BIGINT,
    -- The force that owns the referrals carrying it. Not a foreign key, to spare bulk ingest the check:
    -- it is copied from the referrals' owner_org, which is one.
    owner_org INTEGER
);

INSERT INTO identifier_by_owner (id, key, kind, service, value, placeholder, common, subject_id, owner_org)
SELECT i.id, i.key, i.kind, i.service, i.value, i.placeholder, i.common, i.subject_id,
       (SELECT r.owner_org FROM referral_identifier ri JOIN referral r ON r.id = ri.referral_id
        WHERE ri.identifier_id = i.id ORDER BY r.id LIMIT 1)
FROM identifier i;

DROP TABLE identifier;
ALTER TABLE identifier_by_owner RENAME TO identifier;

-- NULL (no owning force) counts as one owner.
CREATE UNIQUE INDEX identifier_key_owner ON identifier (key, IFNULL(owner_org, 0));
