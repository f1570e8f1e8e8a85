-- crosswalk_names: every Drug Name the ASP NDC-HCPCS crosswalks up to the run's quarter
-- ($quarter) give a code ('Briumvi' -> J2329): brands, and sometimes the generic name.
-- Produces: code, drug_name (trimmed of NBSP; one row per distinct pair).
-- From: asp_ndc_crosswalk.
-- Example: SELECT code FROM (<this query>) WHERE drug_name ILIKE 'tecvayli';

SELECT DISTINCT hcpcs_code AS code, trim(replace(drug_name, chr(160), ' ')) AS drug_name
FROM asp_ndc_crosswalk
WHERE quarter <= $quarter AND nullif(trim(drug_name), '') IS NOT NULL
ORDER BY code, drug_name
