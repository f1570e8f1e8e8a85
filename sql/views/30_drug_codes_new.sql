-- drug_codes_new: the new permanent drug codes of each loaded HCPCS release, with what ASP
-- says about them: the payment limit of the same quarter (often NULL: ASP lags the HCPCS add
-- date by a quarter or more), the newest limit known, and the NDCs crosswalked to the code
-- (same quarter when the crosswalk lists it there, else the newest quarter that does).
-- Drug codes: is_drug_code (code range and descriptor together); modifiers excluded.
-- New means what the file itself says: ADD DT within the release's quarter. Never a diff
-- against the previous loaded release, which with gaps in the loaded history (2020Q1 and
-- 2025Q4 alone) would list everything added in between, codes long ended included.
-- Produces: quarter, code, long_description, short_description, dose, effective_date,
--   add_date, action_eff_date, term_date,
--   asp_payment_limit, asp_dosage, asp_notes, latest_asp_payment_limit, latest_asp_quarter,
--   crosswalk_quarter, ndc11_list, ndc_raw_list, drug_names, ndc_count.
-- From: hcpcs_codes, asp_payment_limits, asp_latest, asp_ndc_crosswalk.
-- Example: SELECT code, effective_date, dose, asp_payment_limit, drug_names, ndc11_list
--          FROM drug_codes_new WHERE quarter = '2025Q4' ORDER BY code;

CREATE OR REPLACE VIEW drug_codes_new AS
WITH new_codes AS (
    SELECT quarter, code
    FROM hcpcs_codes
    WHERE NOT is_modifier AND is_drug_code(code, long_description)
      AND add_date BETWEEN quarter_first_day(quarter) AND quarter_last_day(quarter)
),
crosswalk_per_quarter AS (
    SELECT quarter, hcpcs_code,
        list(DISTINCT ndc11 ORDER BY ndc11) FILTER (WHERE ndc11 IS NOT NULL) AS ndc11_list,
        list(DISTINCT ndc_raw ORDER BY ndc_raw) AS ndc_raw_list,
        list(DISTINCT trim(drug_name) ORDER BY trim(drug_name))
            FILTER (WHERE nullif(trim(drug_name), '') IS NOT NULL) AS drug_names,
        count(*) AS ndc_count
    FROM asp_ndc_crosswalk
    GROUP BY quarter, hcpcs_code
),
crosswalk_pick AS (
    -- the same quarter when listed there, else the newest quarter listing the code
    SELECT n.quarter AS release_quarter, x.*
    FROM new_codes n JOIN crosswalk_per_quarter x ON x.hcpcs_code = n.code
    QUALIFY row_number() OVER (
        PARTITION BY n.quarter, n.code
        ORDER BY x.quarter = n.quarter DESC, x.quarter DESC) = 1
)
SELECT
    n.quarter, n.code, h.long_description, h.short_description,
    hcpcs_dose(h.long_description) AS dose,
    coalesce(h.add_date, h.action_eff_date) AS effective_date,
    h.add_date, h.action_eff_date, h.term_date,
    p.payment_limit AS asp_payment_limit,
    p.dosage AS asp_dosage,
    p.notes AS asp_notes,
    l.payment_limit AS latest_asp_payment_limit,
    l.quarter AS latest_asp_quarter,
    x.quarter AS crosswalk_quarter,
    coalesce(x.ndc11_list, []) AS ndc11_list,
    coalesce(x.ndc_raw_list, []) AS ndc_raw_list,
    coalesce(x.drug_names, []) AS drug_names,
    coalesce(x.ndc_count, 0) AS ndc_count
FROM new_codes n
JOIN hcpcs_codes h ON h.quarter = n.quarter AND h.code = n.code AND NOT h.is_modifier
LEFT JOIN asp_payment_limits p ON p.quarter = n.quarter AND p.hcpcs_code = n.code
LEFT JOIN asp_latest l ON l.hcpcs_code = n.code
LEFT JOIN crosswalk_pick x ON x.release_quarter = n.quarter AND x.hcpcs_code = n.code;
