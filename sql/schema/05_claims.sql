-- Claim-line pre-check: the claim files checked, their service lines, and what was found.
-- Produces: claim_files (one row per check of a file; re-checking the same path replaces its
--   rows), claim_lines (one row per service line, no patient identifiers: claim id, line,
--   dates, place of service, codes, modifiers, units, NDC, narrative, payer name and prior
--   authorisation only), claim_findings (one row per finding per line, with its severity,
--   the correct code and units when known, and the amount at risk).
-- From: crosswalk.claims (837P and claim-line exports) and crosswalk.claim_checks
--   (sql/claims/*.sql), one transaction per file.
-- Example: the errors of the newest check of each file, biggest amounts first:
--   SELECT f.file_name, l.claim_id, l.line_no, l.date_of_service, l.hcpcs, x.finding,
--          x.message, x.amount_at_risk
--   FROM claim_findings x JOIN claim_lines l USING (file_id, line_seq)
--   JOIN claim_files f USING (file_id)
--   WHERE x.severity = 'error' ORDER BY x.amount_at_risk DESC NULLS LAST;

CREATE SEQUENCE IF NOT EXISTS claim_file_ids START 1;

CREATE TABLE IF NOT EXISTS claim_files (
    file_id          BIGINT PRIMARY KEY,
    file_path        VARCHAR NOT NULL,   -- resolved path: re-checking it replaces its rows
    file_name        VARCHAR NOT NULL,
    sha256           VARCHAR NOT NULL,   -- the bytes checked (crosswalk run --claims skips seen ones)
    file_kind        VARCHAR NOT NULL,   -- 837p | csv | xlsx
    checked_at       TIMESTAMPTZ NOT NULL,
    hcpcs_release    VARCHAR NOT NULL,   -- newest HCPCS release loaded: codes and drugs known
    match_run_id     BIGINT,             -- newest match run: its PAST_DUE drugs' exposure
    transactions     INTEGER,            -- ST/SE transactions (837P)
    claims           INTEGER NOT NULL,
    lines            INTEGER NOT NULL,
    first_service    DATE,
    last_service     DATE,
    findings         INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS claim_lines (
    file_id          BIGINT NOT NULL,    -- -> claim_files.file_id
    line_seq         INTEGER NOT NULL,   -- order of the line in the file
    claim_seq        INTEGER,            -- order of its claim in the file (claim ids can repeat);
                                         -- exports: numbered by the check, never left NULL
    claim_id         VARCHAR NOT NULL,   -- CLM01 (the practice's account number) / claim_id
    line_no          INTEGER,            -- LX01 / line (else its place in the claim: the check)
    source_line      INTEGER NOT NULL,   -- 837P: segment number of SV1; exports: row number
                                         -- (line_seq: order in the file, from 1; exports:
                                         -- the row's order among data rows, blank ones too)
    transaction_id   VARCHAR,            -- ST02 (837P)
    date_of_service  DATE NOT NULL,      -- DTP*472 (first day of an RD8 range)
    dos_through      DATE,               -- last day of an RD8 range
    place_of_service VARCHAR,            -- SV105, else CLM05-1
    hcpcs            VARCHAR NOT NULL,   -- SV101-2
    modifiers        VARCHAR[] NOT NULL, -- SV101-3..6
    units            DOUBLE NOT NULL,    -- SV104
    narrative        VARCHAR,            -- SV101-7 and NTE text, '; '-joined
    ndc_raw          VARCHAR,            -- LIN03 as written
    ndc11            VARCHAR,            -- 11-digit NDC when ndc_raw is an unambiguous one
    ndc_qualifier    VARCHAR,            -- LIN02 (N4 expected)
    ndc_quantity     DOUBLE,             -- CTP04
    ndc_unit         VARCHAR,            -- CTP05-1: F2 GR ME ML UN
    prior_auth       VARCHAR,            -- REF*G1 (line, else claim)
    payer            VARCHAR,            -- 2010BB NM1*PR name
    PRIMARY KEY (file_id, line_seq)
);

CREATE TABLE IF NOT EXISTS claim_findings (
    file_id          BIGINT NOT NULL,
    line_seq         INTEGER NOT NULL,   -- -> claim_lines
    finding          VARCHAR NOT NULL,   -- NOC_AFTER_EFFECTIVE, CODE_ENDED, ... (docs/claims.md)
    severity         VARCHAR NOT NULL,   -- error | warning | info
    message          VARCHAR NOT NULL,   -- why, in plain words
    correct_code     VARCHAR,
    correct_units    DOUBLE,
    effective_date   DATE,               -- NOC_AFTER_EFFECTIVE: since when the correct code applies
    dos_quarter      VARCHAR NOT NULL,   -- the date of service's quarter, e.g. 2025Q4
    payment_limit    DECIMAL(14, 3),     -- ASP limit per billing unit of the priced code
    limit_quarter    VARCHAR,            -- ASP quarter of that limit (<> dos_quarter: labelled)
    amount_at_risk   DECIMAL(14, 2),     -- units x payment_limit
    PRIMARY KEY (file_id, line_seq, finding)
);
