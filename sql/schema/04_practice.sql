-- Practice drug list and matching results, kept per match run and release quarter.
-- Produces: match_runs, practice_drugs (the list as read), match_candidates (every candidate
-- code with its evidence), practice_alerts (one verdict per drug per run), verdicts.
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
    keep_code     BOOLEAN,               -- a payer rule keeps the NOC code (reason in notes)
    route         VARCHAR,               -- as written: IV, SC, intravitreal...
    ndc_unit      VARCHAR,               -- NDC unit qualifier: F2, GR, ME, ML, UN
    ndc_quantity  DOUBLE,                -- NDC quantity for the dose
    ndc_note      VARCHAR,               -- why the NDC cell was not used, or how it was restored
    PRIMARY KEY (run_id, row_no)
);
-- columns added after the first release of this table (older database files get them here)
ALTER TABLE practice_drugs ADD COLUMN IF NOT EXISTS keep_code BOOLEAN;
ALTER TABLE practice_drugs ADD COLUMN IF NOT EXISTS route VARCHAR;
ALTER TABLE practice_drugs ADD COLUMN IF NOT EXISTS ndc_unit VARCHAR;
ALTER TABLE practice_drugs ADD COLUMN IF NOT EXISTS ndc_quantity DOUBLE;
ALTER TABLE practice_drugs ADD COLUMN IF NOT EXISTS ndc_note VARCHAR;

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
    verdict             VARCHAR NOT NULL, -- a verdicts.name (crosswalk/verdicts.py)
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
    noc_payment_limit   DECIMAL(14, 3),   -- CMS's NOC pricing file limit, when it prices the drug
    noc_dosage          VARCHAR,          -- the dosage that NOC limit is per
    PRIMARY KEY (run_id, row_no)
);
ALTER TABLE practice_alerts ADD COLUMN IF NOT EXISTS noc_payment_limit DECIMAL(14, 3);
ALTER TABLE practice_alerts ADD COLUMN IF NOT EXISTS noc_dosage VARCHAR;

-- The verdicts, seeded from crosswalk/verdicts.py whenever the schema is brought up to date:
-- reports join it for colours, wording and urgency instead of spelling the list out. Replaced
-- (not altered) on each update, as its rows are re-seeded anyway.
CREATE OR REPLACE TABLE verdicts (
    name          VARCHAR PRIMARY KEY,
    label         VARCHAR NOT NULL,      -- a few words, as `crosswalk match --help` lists it
    meaning       VARCHAR NOT NULL,
    todo          VARCHAR NOT NULL,
    fill          VARCHAR NOT NULL,      -- RGB hex of the workbook fill
    needs_action  BOOLEAN NOT NULL,      -- counted in "Drugs needing action"
    on_alerts     BOOLEAN NOT NULL,      -- listed on the Alerts sheet
    switches_code BOOLEAN NOT NULL,      -- the crosswalk gives the permanent code a window
    urgency       INTEGER NOT NULL       -- 1 = most urgent
);
