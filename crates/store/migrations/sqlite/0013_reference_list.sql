-- Versions of the reference lists an operator may replace (sqlite). Keep in step with ../postgres/0013_reference_list.sql.
-- name: which list (bank-holidays, local-authorities); body: the list as loaded (CSV), checked before it was
-- stored; the active version of each list is the one in force, and a list with none is the one Severn ships.
-- Loading a version already stored (same text) makes it active again.
CREATE TABLE reference_list (
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    loaded_at BIGINT NOT NULL,
    loaded_by TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    PRIMARY KEY (name, sha256)
);
