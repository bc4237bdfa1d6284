-- A referral's document and outcome are stored compressed (severn-store `packed`): bytes, not text. Values
-- written before stay the JSON text they were, as bytes, and are read as such.
ALTER TABLE referral
    ALTER COLUMN outcome TYPE BYTEA USING convert_to(outcome, 'UTF8'),
    ALTER COLUMN document TYPE BYTEA USING convert_to(document, 'UTF8');
ALTER TABLE referral_version
    ALTER COLUMN document TYPE BYTEA USING convert_to(document, 'UTF8');
