-- The identifier key index (SQLite only): an index on a 64-bit hash of the key in place of the unique index on
-- (key, owner). Ingest inserts a few new identifiers per referral at random places in this index; on a large
-- database each insert is a page written, and an entry of the hash index is ~20 bytes against ~48, so more of
-- it stays in the page cache and fewer pages are written. A lookup compares the key itself, so two keys with
-- one hash are still told apart. Uniqueness per owner is kept by ingest, which looks every key up in the same
-- write transaction before inserting it; SQLite runs one writer at a time. PostgreSQL, whose writers run
-- side by side, keeps its unique index (../postgres/0004_identifier_owner.sql).
--
-- Severn fills key_hash for rows written before this migration as it starts (`fill_key_hashes`): the hash is
-- computed in Rust.

ALTER TABLE identifier ADD COLUMN key_hash INTEGER;
CREATE INDEX identifier_key_hash ON identifier (key_hash);
DROP INDEX identifier_key_owner;
