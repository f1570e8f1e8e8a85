-- ndc_readings_found: which readings of an unusable NDC cell are real NDCs, i.e. appear in an
-- ASP NDC-HCPCS crosswalk up to the run's quarter ($quarter). An Excel-shortened NDC
-- (143937701) is restored only when exactly one of its readings is found (crosswalk.match).
-- Produces: row_no, ndc11 (one row per drug and reading found).
-- From: ndc_readings (row_no, ndc11: every reading, registered by crosswalk.match),
--   asp_ndc_crosswalk.
-- Registered: ndc_readings
-- Example: SELECT row_no, count(*) FROM (<this query>) GROUP BY row_no;

SELECT DISTINCT r.row_no, r.ndc11
FROM ndc_readings r
JOIN asp_ndc_crosswalk x ON x.ndc11 = r.ndc11 AND x.quarter <= $quarter
ORDER BY r.row_no, r.ndc11
