-- HCPCS Level II alpha-numeric release tables, one row per release quarter and code.
-- Produces: hcpcs_codes (codes and modifiers with full long descriptions, all dates),
-- noc_codes (the NOC codes companion workbook), hcpcs_transactions (transaction report).
-- From: crosswalk.readers.hcpcs (TXT authoritative, XLSX cross-checked), loaded by warehouse.
-- Example: SELECT code, long_description, add_date FROM hcpcs_codes
--          WHERE quarter = '2025Q4' AND code LIKE 'J%' AND action_cd = 'A';

CREATE TABLE IF NOT EXISTS hcpcs_codes (
    quarter           VARCHAR NOT NULL,  -- release quarter, e.g. 2025Q4
    code              VARCHAR NOT NULL,  -- J3590; modifiers are 2 chars (A1), trimmed
    is_modifier       BOOLEAN NOT NULL,  -- RECID 7/8
    seq_num           VARCHAR,
    long_description  VARCHAR NOT NULL,  -- continuation records folded in
    short_description VARCHAR,
    price_cd1         VARCHAR, price_cd2 VARCHAR, price_cd3 VARCHAR, price_cd4 VARCHAR,
    multi_pi          VARCHAR,
    xref1 VARCHAR, xref2 VARCHAR, xref3 VARCHAR, xref4 VARCHAR, xref5 VARCHAR, -- successor codes
    coverage          VARCHAR,
    asc_group         VARCHAR,
    betos             VARCHAR,
    tos1 VARCHAR, tos2 VARCHAR, tos3 VARCHAR, tos4 VARCHAR, tos5 VARCHAR,
    anest_bu          VARCHAR,
    add_date          DATE,              -- first valid date of service
    action_eff_date   DATE,              -- date of the latest action
    term_date         DATE,              -- last valid date of service
    action_cd         VARCHAR,           -- cumulative over a year: diff snapshots instead
    source_sha256     VARCHAR NOT NULL,  -- -> source_files.sha256
    source_member     VARCHAR NOT NULL,  -- zip member the row came from
    PRIMARY KEY (quarter, code, is_modifier)
);

CREATE TABLE IF NOT EXISTS noc_codes (
    quarter          VARCHAR NOT NULL,
    code             VARCHAR NOT NULL,
    long_description VARCHAR NOT NULL,   -- wrapped rows folded in
    add_date         DATE,
    term_date        DATE,
    source_sha256    VARCHAR NOT NULL,
    source_member    VARCHAR NOT NULL,
    PRIMARY KEY (quarter, code)
);

CREATE TABLE IF NOT EXISTS hcpcs_transactions (
    quarter        VARCHAR NOT NULL,
    code           VARCHAR NOT NULL,
    change_type    VARCHAR NOT NULL,     -- 'Add', 'Discontinued', 'Change in Long Description'...
    source_sha256  VARCHAR NOT NULL,
    source_member  VARCHAR NOT NULL
);
