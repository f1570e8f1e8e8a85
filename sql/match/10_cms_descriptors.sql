-- cms_descriptors: the HCPCS long description of every permanent drug code, as of the run's
-- quarter ($quarter): the names crosswalk.products reads the generic name and the brands in
-- parentheses from ('Injection, rituximab-arrx, biosimilar, (riabni), 10 mg').
-- Produces: code, long_description, term_date, effective_date (ADD DT, else ACT EFF DT),
--   from the newest release <= $quarter.
--   Drug codes are those is_drug_code accepts (code range and descriptor: no chaplain
--   assessments, pharmacy fees or ventricular assist device parts). NOC codes (J3590, J3490, J9999, C9399, J7999 and any
--   'unclassified' / 'not otherwise classified' / NOC / NOS code, which names no one drug) are
--   not candidates: they are what the practice bills today. A drug's own 'not otherwise
--   specified' code (J9342 thiotepa, J9305 pemetrexed) is a candidate like any other.
-- From: hcpcs_codes (is_drug_code from sql/views/00_functions.sql).
-- Example: SELECT code, long_description FROM (<this query>) WHERE long_description ILIKE '%tocilizumab%';

SELECT code, long_description, term_date, coalesce(add_date, action_eff_date) AS effective_date
FROM hcpcs_codes
WHERE quarter <= $quarter AND NOT is_modifier
  AND is_drug_code(code, long_description)
  AND code NOT IN ('J3590', 'J3490', 'J9999', 'C9399', 'J7999')
  AND NOT regexp_matches(lower(long_description),
                         'not otherwise classified|^unclassified|\bnoc\b|\bnos\b')
QUALIFY quarter = max(quarter) OVER (PARTITION BY code)
ORDER BY code
