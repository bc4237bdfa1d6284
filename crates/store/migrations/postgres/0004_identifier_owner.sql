-- Linking per force (PostgreSQL). Keep in step with ../sqlite/0004_identifier_owner.sql.
-- An identifier row belongs to the force that owns the referrals carrying it (`owner_org`, NULL when no force
-- owns them): the same e-mail received by two forces is two identifiers, so it links each force's referrals
-- only to that force's own. Its key is unique per owner; searches by key alone still use the index.
--
-- Existing identifiers take the owner of the first referral that carries them. Subjects already joined across
-- forces are not split here.

-- Not a foreign key, to spare bulk ingest the check: it is copied from the referrals' owner_org, which is one.
ALTER TABLE identifier ADD COLUMN owner_org BIGINT;

UPDATE identifier i SET owner_org =
    (SELECT r.owner_org FROM referral_identifier ri JOIN referral r ON r.id = ri.referral_id
     WHERE ri.identifier_id = i.id ORDER BY r.id LIMIT 1);

ALTER TABLE identifier DROP CONSTRAINT identifier_key_key;

-- NULL (no owning force) counts as one owner.
CREATE UNIQUE INDEX identifier_key_owner ON identifier (key, COALESCE(owner_org, 0));
