-- match_run: the match run a report describes: the newest run for release quarter $quarter,
-- or, when $quarter is NULL, the newest run of the newest quarter that has one.
-- Produces: at most one row: run_id, quarter, drugs_file, drugs_sha256, drug_count and
--   started_at_utc (TIMESTAMP in UTC: the report's only timestamp, so a rebuild on any
--   machine writes the same bytes).
-- From: match_runs.
-- Example: SELECT run_id, quarter, started_at FROM match_runs
--          ORDER BY quarter DESC, started_at DESC, run_id DESC LIMIT 1;

SELECT run_id, quarter, drugs_file, drugs_sha256, drug_count,
    timezone('UTC', started_at) AS started_at_utc
FROM match_runs
WHERE $quarter IS NULL OR quarter = $quarter
ORDER BY quarter DESC, started_at DESC, run_id DESC
LIMIT 1
