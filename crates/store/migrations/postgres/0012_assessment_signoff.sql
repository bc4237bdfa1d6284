-- A supervisor's review of a risk assessment (postgres). Keep in step with ../sqlite/0012_assessment_signoff.sql.
-- One sign-off per assessment: a changed assessment is a new row and needs its own. A supervisor who disagrees
-- overrides the band instead, which is a new assessment.
CREATE TABLE assessment_signoff (
    assessment_id BIGINT PRIMARY KEY REFERENCES assessment (id),
    signed_by TEXT NOT NULL,
    signed_at BIGINT NOT NULL,
    comment TEXT NOT NULL
);
