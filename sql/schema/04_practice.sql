-- Practice drug list and matching results, kept per match run and release quarter.
-- Produces: match_runs, practice_drugs (the list as read), match_candidates (every candidate
-- code with its evidence), practice_alerts (one verdict per drug per run).
-- From: crosswalk.practice (list) and crosswalk.match (candidates, verdicts).
-- Example: which drugs went PAST_DUE since 2024?
--   SELECT DISTINCT a.drug_name, a.new_code, a.effective_date FROM practice_alerts a
--   WHERE a.verdict = 'PAST_DUE' AND a.quarter >= '2024Q1';

CREATE SEQUENCE IF NOT EXISTS match_run_ids START 1;

CREATE TABLE IF NOT EXISTS match_runs (
    run_id        BIGINT PRIMARY KEY DEFAULT nextval('match_run_ids'),
    quarter       VARCHAR NOT NULL,      -- release quarter matched against
    drugs_file    VARCHAR NOT NULL,
    drugs_sha256  VARCHAR NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    drug_count    INTEGER,
    comparisons   BIGINT                 -- candidate comparisons made (no cross product)
);

CREATE TABLE IF NOT EXISTS practice_drugs (
    run_id        BIGINT NOT NULL,
    row_no        INTEGER NOT NULL,      -- row in the practice file (header = row 1)
    drug_name     VARCHAR NOT NULL,
    brand_name    VARCHAR,
    ndc_raw       VARCHAR,
    ndc11         VARCHAR,
    current_code  VARCHAR NOT NULL,      -- J3590 by default
    dose          VARCHAR,               -- '450 mg' as written
    dose_amount   DOUBLE,
    dose_unit     VARCHAR,
    payer         VARCHAR,
    setting       VARCHAR NOT NULL,      -- office | hospital_outpatient
    notes         VARCHAR,
    active        BOOLEAN NOT NULL,
    PRIMARY KEY (run_id, row_no)
);

CREATE TABLE IF NOT EXISTS match_candidates (
    run_id        BIGINT NOT NULL,
    row_no        INTEGER NOT NULL,      -- -> practice_drugs.row_no
    code          VARCHAR NOT NULL,      -- candidate permanent code
    basis         VARCHAR NOT NULL,      -- ndc | generic_name (descriptor's generic part) | brand_name
    matched_field VARCHAR NOT NULL,      -- e.g. asp_ndc_crosswalk.ndc11, hcpcs_codes.long_description
    matched_text  VARCHAR,               -- the text on the CMS side that matched
    score         DOUBLE NOT NULL,       -- 0-100 similarity (100 for an exact NDC)
    confidence    VARCHAR NOT NULL       -- high | medium | low
);

CREATE TABLE IF NOT EXISTS practice_alerts (
    run_id              BIGINT NOT NULL,
    quarter             VARCHAR NOT NULL,
    row_no              INTEGER NOT NULL,
    drug_name           VARCHAR NOT NULL,
    brand_name          VARCHAR,
    ndc11               VARCHAR,
    current_code        VARCHAR NOT NULL,
    setting             VARCHAR NOT NULL,
    verdict             VARCHAR NOT NULL, -- NEW_CODE | PAST_DUE | NO_CODE_YET | REVIEW | CODE_ENDED
    new_code            VARCHAR,
    new_code_descriptor VARCHAR,
    effective_date      DATE,             -- from the HCPCS file (add / action effective date)
    term_date           DATE,
    successor_code      VARCHAR,          -- from XREF when the code ended
    dos_rule            VARCHAR,          -- 'DOS before D: keep J3590; on or after D: bill Jxxxx'
    billing_unit        VARCHAR,          -- the code's dose descriptor, e.g. '1 mg'
    units_per_package   DOUBLE,
    units_for_dose      DOUBLE,
    asp_payment_limit   DECIMAL(14, 3),
    match_basis         VARCHAR,
    confidence          VARCHAR,
    evidence            VARCHAR,
    action              VARCHAR,          -- what the billing lead should do
    hints               VARCHAR,          -- NOC family / site-of-service notes
    candidate_codes     VARCHAR,          -- every plausible code, comma-separated (REVIEW lists them)
    units_note          VARCHAR,          -- how the units were worked out, or why they could not be
    active              BOOLEAN,          -- the practice's own active flag for the drug
    PRIMARY KEY (run_id, row_no)
);
