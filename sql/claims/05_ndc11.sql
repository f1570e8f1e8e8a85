-- ndc11 on the stored lines of one file ($file_id): the 11-digit NDC each distinct raw NDC
-- stands for, worked out once per distinct value by crosswalk.ndc.normalize_ndc, or, for a
-- shortened NDC, its one reading in the CMS crosswalk (match.restore_ndcs); NULL otherwise.
-- Produces: claim_lines.ndc11 filled for the file's lines.
-- From: claim_lines, ndc_forms (ndc_raw, ndc11; registered by crosswalk.claim_checks).
-- Example: SELECT ndc_raw, ndc11 FROM claim_lines WHERE file_id = 1 AND ndc11 IS NULL;

UPDATE claim_lines SET ndc11 = f.ndc11
FROM ndc_forms f
WHERE claim_lines.file_id = $file_id AND claim_lines.ndc_raw = f.ndc_raw;
