-- Forget earlier checks of a file path ($file_path): re-checking a file replaces its rows.
-- Produces: nothing; deletes the claim_findings, claim_lines and claim_files rows of every
--   earlier check of the path.
-- From: claim_files.
-- Example: SELECT file_id, checked_at FROM claim_files WHERE file_path = '/data/oct.837';

DELETE FROM claim_findings
WHERE file_id IN (SELECT file_id FROM claim_files WHERE file_path = $file_path);

DELETE FROM claim_lines
WHERE file_id IN (SELECT file_id FROM claim_files WHERE file_path = $file_path);

DELETE FROM claim_files WHERE file_path = $file_path;
