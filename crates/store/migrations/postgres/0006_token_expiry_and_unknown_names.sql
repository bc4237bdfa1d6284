-- API token expiry, and lockout for user names that belong to no one (PostgreSQL). Keep in step with
-- ../sqlite/0006_token_expiry_and_unknown_names.sql.

-- Every token expires. The default of 0 means a token stored without an expiry is already expired (refused,
-- never open-ended); tokens issued before expiry existed get the standard 90 days from their issue.
ALTER TABLE api_token ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0;
UPDATE api_token SET expires_at = created_at + 90 * 24 * 60 * 60;
CREATE INDEX api_token_by_staff ON api_token (staff_id);

-- Wrong passwords given for a user name that is no account's (or a service's, or a deactivated one's) are
-- counted and locked exactly as a real account's are, so that a lockout does not say the name exists. The name
-- is kept only as its keyed pseudonym: people type passwords into the user-name box.
CREATE TABLE unknown_name_lock (
    name_pseudonym TEXT PRIMARY KEY,
    failed_attempts BIGINT NOT NULL,
    locked_until BIGINT,
    updated_at BIGINT NOT NULL
);
