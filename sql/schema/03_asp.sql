-- ASP quarterly tables: payment limits, NDC-HCPCS crosswalk, NOC pricing and NOC crosswalk.
-- Produces one row per release quarter and file row; effective_start/end come from the file's
-- "Effective <start> through <end>" line, never from the quarter's name.
-- From: crosswalk.readers.asp (section 508 CSV or XLSX form), loaded by warehouse.
-- Example: SELECT hcpcs_code, drug_name, ndc11, bill_units FROM asp_ndc_crosswalk
--          WHERE quarter = '2025Q4' AND ndc11 = '70595005101';

CREATE TABLE IF NOT EXISTS asp_payment_limits (
    quarter            VARCHAR NOT NULL,
    hcpcs_code         VARCHAR NOT NULL,
    short_description  VARCHAR,
    dosage             VARCHAR,          -- 'HCPCS Code Dosage', e.g. '1 MG'
    payment_limit      DECIMAL(14, 3),   -- NULL when the file says N/A
    payment_limit_raw  VARCHAR,          -- as printed ('N/A' kept)
    coinsurance_pct    VARCHAR,
    vaccine_awp_pct    VARCHAR,
    vaccine_limit      VARCHAR,
    blood_awp_pct      VARCHAR,
    blood_limit        VARCHAR,
    clotting_factor    VARCHAR,
    notes              VARCHAR,          -- 'Added January 2025', ...
    effective_start    DATE,
    effective_end      DATE,
    source_sha256      VARCHAR NOT NULL,
    source_member      VARCHAR NOT NULL,
    PRIMARY KEY (quarter, hcpcs_code)
);

CREATE TABLE IF NOT EXISTS asp_ndc_crosswalk (
    quarter            VARCHAR NOT NULL,
    line_no            INTEGER NOT NULL, -- line in the source file (header = line 9 in 508 CSVs)
    hcpcs_code         VARCHAR NOT NULL,
    short_description  VARCHAR,
    labeler_name       VARCHAR,
    ndc_raw            VARCHAR NOT NULL, -- NDC2 as printed: NDC, UPC, GTIN or free-form ID
    ndc11              VARCHAR,          -- 11-digit NDC when ndc_raw is one, else NULL
    drug_name          VARCHAR,          -- brand, trimmed of NBSP/(R)/(TM)
    hcpcs_dosage       VARCHAR,
    pkg_size           DOUBLE,
    pkg_qty            DOUBLE,
    bill_units         DOUBLE,           -- billing units per package size
    bill_units_pkg     DOUBLE,           -- billing units per package
    effective_start    DATE,
    effective_end      DATE,
    source_sha256      VARCHAR NOT NULL,
    source_member      VARCHAR NOT NULL,
    PRIMARY KEY (quarter, line_no)
);

CREATE TABLE IF NOT EXISTS noc_pricing (
    quarter            VARCHAR NOT NULL,
    line_no            INTEGER NOT NULL,
    drug_name          VARCHAR NOT NULL, -- 'Drug Generic Name (Trade Name)'
    dosage             VARCHAR,
    payment_limit      DECIMAL(14, 3),
    payment_limit_raw  VARCHAR,
    notes              VARCHAR,
    effective_start    DATE,
    effective_end      DATE,
    source_sha256      VARCHAR NOT NULL,
    source_member      VARCHAR NOT NULL,
    PRIMARY KEY (quarter, line_no)
);

CREATE TABLE IF NOT EXISTS noc_crosswalk (
    quarter            VARCHAR NOT NULL,
    line_no            INTEGER NOT NULL,
    generic_name       VARCHAR NOT NULL,
    labeler_name       VARCHAR,
    ndc_raw            VARCHAR,
    ndc11              VARCHAR,
    drug_name          VARCHAR,
    dosage             VARCHAR,
    pkg_size           DOUBLE,
    pkg_qty            DOUBLE,
    bill_units         DOUBLE,
    bill_units_pkg     DOUBLE,
    effective_start    DATE,
    effective_end      DATE,
    source_sha256      VARCHAR NOT NULL,
    source_member      VARCHAR NOT NULL,
    PRIMARY KEY (quarter, line_no)
);
