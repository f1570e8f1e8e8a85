-- The CMS files behind a check of one file ($file_id): for the HCPCS release, each
-- crosswalk quarter and each ASP limit quarter it used, the file version loaded (posting
-- name, file name, SHA-256).
-- Produces: quarter, source_kind, file_name, link_text, sha256.
-- From: claim_files, claim_lines, claim_findings, release_files, source_files,
--   asp_ndc_crosswalk.
-- Example: SELECT quarter, source_kind, sha256 FROM (<this query>);

WITH used AS (
    SELECT hcpcs_release AS quarter, 'hcpcs' AS source_kind
    FROM claim_files WHERE file_id = $file_id
    UNION
    SELECT DISTINCT limit_quarter, 'asp_pricing'
    FROM claim_findings WHERE file_id = $file_id AND limit_quarter IS NOT NULL
    UNION
    SELECT DISTINCT crosswalk_quarter_for(quarter_of_date(date_of_service)), 'asp_crosswalk'
    FROM claim_lines WHERE file_id = $file_id
)
SELECT u.quarter, u.source_kind, s.file_name, s.link_text, r.sha256
FROM used u
JOIN release_files r USING (quarter, source_kind)
JOIN source_files s USING (sha256)
ORDER BY u.quarter, u.source_kind;
