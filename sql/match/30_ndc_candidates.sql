-- ndc_candidates: codes the practice's NDCs are crosswalked to, in any ASP NDC-HCPCS
-- crosswalk up to the run's quarter ($quarter). An NDC crosswalked to several codes yields
-- every one of them, and so do the several NDCs of one charge line (the matcher flags that
-- for review). One row per drug and code, from the newest crosswalk listing the pair, with
-- that row's package facts.
-- Produces: row_no, code, basis ('ndc'), matched_field, matched_text, score (100), confidence,
--   bill_units_pkg, hcpcs_dosage, crosswalk_quarter, ndc11 (the list's NDC that named it).
-- From: practice_input (row_no, ndc11: each NDC of each drug, registered by crosswalk.match),
--   asp_ndc_crosswalk.
-- Registered: practice_input
-- Example: SELECT row_no, code, matched_text FROM (<this query>) ORDER BY row_no;

SELECT p.row_no, x.hcpcs_code AS code, 'ndc' AS basis,
    'asp_ndc_crosswalk.ndc11' AS matched_field,
    x.ndc_raw || coalesce(' ' || nullif(trim(replace(x.drug_name, chr(160), ' ')), ''), '')
        || ' (' || x.quarter || ' crosswalk)' AS matched_text,
    100.0 AS score, 'high' AS confidence, x.bill_units_pkg, x.hcpcs_dosage,
    x.quarter AS crosswalk_quarter, p.ndc11
FROM practice_input p
JOIN asp_ndc_crosswalk x ON x.ndc11 = p.ndc11 AND x.quarter <= $quarter
QUALIFY row_number() OVER (PARTITION BY p.row_no, x.hcpcs_code
                           ORDER BY x.quarter DESC, x.line_no) = 1
ORDER BY p.row_no, code;
