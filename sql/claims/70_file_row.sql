-- claim_files row of one checked file ($file_id), written last so its counts are those of
-- the lines and findings stored in the same transaction.
-- Produces: one claim_files row.
-- From: claim_lines, claim_findings; the file's facts as parameters ($file_path ...).
-- Example: SELECT file_name, lines, findings, hcpcs_release FROM claim_files ORDER BY file_id;

INSERT INTO claim_files BY NAME
SELECT $file_id AS file_id, $file_path AS file_path, $file_name AS file_name,
    $sha256 AS sha256, $file_kind AS file_kind, $checked_at AS checked_at,
    $hcpcs_release AS hcpcs_release, $match_run_id AS match_run_id,
    $transactions AS transactions,
    count(DISTINCT claim_seq) AS claims, count(*) AS lines,
    min(date_of_service) AS first_service, max(date_of_service) AS last_service,
    (SELECT count(*) FROM claim_findings WHERE file_id = $file_id) AS findings
FROM claim_lines
WHERE file_id = $file_id;
