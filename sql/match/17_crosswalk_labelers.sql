-- crosswalk_labelers: which companies' NDCs the ASP NDC-HCPCS crosswalks up to the run's
-- quarter ($quarter) list under each code. A manufacturer written on a list row picks the
-- code CMS names after it ('bortezomib (fresenius kabi)') only when that company's NDCs of
-- the drug are not also under another code the row names (crosswalk.products).
-- Produces: code, labeler_name (one row per distinct pair).
-- From: asp_ndc_crosswalk.
-- Example: SELECT labeler_name FROM (<this query>) WHERE code = 'J9041';

SELECT DISTINCT hcpcs_code AS code, trim(labeler_name) AS labeler_name
FROM asp_ndc_crosswalk
WHERE quarter <= $quarter AND nullif(trim(labeler_name), '') IS NOT NULL
ORDER BY code, labeler_name
