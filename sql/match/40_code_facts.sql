-- code_facts: what the verdicts need to know about each candidate code as of the run's
-- quarter ($quarter): its descriptor and dates from the newest HCPCS release <= $quarter
-- (effective_date = ADD DT, else ACT EFF DT: never the quarter's name), its successor from
-- XREF1, its dose descriptor (billing unit), package facts from the newest crosswalk
-- <= $quarter, and the ASP payment limit of $quarter (plus the newest one known, since ASP
-- lists a new code a quarter or more after its add date).
-- Produces: code, long_description, effective_date, term_date, successor_code,
--   successor_effective_date, billing_unit, crosswalk_dosage, units_per_package (list),
--   crosswalk_quarter, payment_limit, latest_payment_limit, latest_asp_quarter.
-- From: candidate_codes (registered by crosswalk.match), hcpcs_codes, asp_ndc_crosswalk,
--   asp_payment_limits; hcpcs_dose() from sql/views/00_functions.sql.
-- Registered: candidate_codes
-- Example: SELECT code, effective_date, billing_unit, payment_limit FROM (<this query>);

WITH as_of AS (
    SELECT code, long_description, coalesce(add_date, action_eff_date) AS effective_date,
        term_date, nullif(trim(coalesce(xref1, '')), '') AS successor_code
    FROM hcpcs_codes
    WHERE quarter <= $quarter AND NOT is_modifier
      AND code IN (SELECT code FROM candidate_codes
                   UNION SELECT trim(xref1) FROM hcpcs_codes
                   WHERE code IN (SELECT code FROM candidate_codes) AND xref1 IS NOT NULL)
    QUALIFY quarter = max(quarter) OVER (PARTITION BY code)
),
crosswalk_rows AS (
    SELECT hcpcs_code AS code, quarter, hcpcs_dosage, bill_units_pkg
    FROM asp_ndc_crosswalk
    WHERE quarter <= $quarter AND hcpcs_code IN (SELECT code FROM candidate_codes)
    QUALIFY quarter = max(quarter) OVER (PARTITION BY hcpcs_code)
),
crosswalk AS (
    SELECT code, any_value(quarter) AS crosswalk_quarter, mode(hcpcs_dosage) AS crosswalk_dosage,
        list(DISTINCT bill_units_pkg ORDER BY bill_units_pkg)
            FILTER (WHERE bill_units_pkg IS NOT NULL) AS units_per_package
    FROM crosswalk_rows GROUP BY code
),
latest_price AS (
    SELECT hcpcs_code AS code, payment_limit AS latest_payment_limit,
        quarter AS latest_asp_quarter
    FROM asp_payment_limits
    WHERE quarter <= $quarter AND payment_limit IS NOT NULL
      AND hcpcs_code IN (SELECT code FROM candidate_codes)
    QUALIFY quarter = max(quarter) OVER (PARTITION BY hcpcs_code)
)
SELECT c.code, a.long_description, a.effective_date, a.term_date, a.successor_code,
    s.effective_date AS successor_effective_date,
    hcpcs_dose(a.long_description) AS billing_unit,
    x.crosswalk_dosage, x.units_per_package, x.crosswalk_quarter,
    p.payment_limit, l.latest_payment_limit, l.latest_asp_quarter
FROM (SELECT DISTINCT code FROM candidate_codes) c
LEFT JOIN as_of a ON a.code = c.code
LEFT JOIN as_of s ON s.code = a.successor_code
LEFT JOIN crosswalk x ON x.code = c.code
LEFT JOIN asp_payment_limits p ON p.hcpcs_code = c.code AND p.quarter = $quarter
LEFT JOIN latest_price l ON l.code = c.code
ORDER BY c.code;
