-- Signing in (SQLite): local credentials with the second factor, server-side sessions, API tokens for service
-- accounts, and sign-in attempts per address. Keep in step with ../postgres/0003_identity.sql.
-- Secrets that are bearer values (session ids, API tokens) are kept only as SHA-256 hashes.

CREATE TABLE credential (
    staff_id INTEGER PRIMARY KEY REFERENCES staff (id),
    -- argon2id, in the PHC string format (algorithm, parameters, salt and hash).
    password_hash TEXT NOT NULL,
    -- The confirmed authenticator secret (hex); NULL until one is enrolled.
    totp_secret TEXT,
    -- The last time step whose code was accepted: a code works once.
    totp_last_step INTEGER,
    -- A secret shown during enrolment, active only once confirmed with a code from it.
    totp_pending_secret TEXT,
    -- Wrong passwords or codes in a row, and the lock they led to.
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    updated_at INTEGER NOT NULL
);

CREATE TABLE session (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    stage TEXT NOT NULL CHECK (stage IN ('second_factor', 'enrolment', 'signed_in')),
    -- How the person proved who they are: 'local' (password and authenticator code).
    provider TEXT NOT NULL,
    -- The synchroniser token every form posted in this session must carry.
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    address TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    ended_at INTEGER,
    end_reason TEXT
);
CREATE INDEX session_by_staff ON session (staff_id, ended_at);

CREATE TABLE api_token (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    label TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
);

CREATE TABLE sign_in_attempt (
    address TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX sign_in_attempt_by_address ON sign_in_attempt (address, at);
