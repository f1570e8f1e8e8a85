-- Helper macros the views share: release quarter dates and the dose part of a descriptor.
-- Produces: quarter_first_day(q), quarter_last_day(q) ('2025Q4' -> 2025-10-01 / 2025-12-31),
--           hcpcs_dose(long_description) ('Injection, pembrolizumab, 1 mg' -> '1 mg').
-- From: nothing but their arguments (pure SQL macros).
-- Example: SELECT code, hcpcs_dose(long_description) AS dose FROM hcpcs_current
--          WHERE code LIKE 'J9%' ORDER BY code LIMIT 10;

CREATE OR REPLACE MACRO quarter_first_day(q) AS
    make_date(CAST(substr(q, 1, 4) AS INTEGER), CAST(substr(q, 6, 1) AS INTEGER) * 3 - 2, 1);

CREATE OR REPLACE MACRO quarter_last_day(q) AS
    CAST(quarter_first_day(q) + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE);

-- The billing unit is the last comma-separated part of the descriptor that reads as a dose:
-- '10 mg', '0.1 mg', 'per ml', 'up to 50 mg', '1000 units' (a thousands comma is removed
-- first so '1,000 units' is not cut in two; a trailing '(for esrd on dialysis)' is dropped).
-- NULL when the descriptor has no such part ('Unclassified biologics').
CREATE OR REPLACE MACRO hcpcs_dose(long_description) AS
    nullif(trim(regexp_extract(
        regexp_replace(lower(long_description), '([0-9]),([0-9]{3})\b', '\1\2', 'g'),
        '^.*,\s*((?:per |up to )?[0-9]+(?:\.[0-9]+)?\s*[a-z%][^,(]*|per [a-z][^,(]*)', 1)), '');
