-- match_run: the match run a report describes: run $run_id when given (it must be of release
-- $quarter when that is given too), else the newest run for release quarter $quarter, or,
-- when $quarter is NULL, the newest run of the newest quarter that has one.
-- Produces: at most one row: run_id, quarter, drugs_file, drugs_sha256, drug_count,
--   started_at_utc (TIMESTAMP in UTC: the report's only timestamp, so a rebuild on any
--   machine writes the same bytes) and runs_of_quarter (how many runs that release has).
-- From: match_runs.
-- Example: SELECT run_id, quarter, started_at FROM match_runs
--          ORDER BY quarter DESC, started_at DESC, run_id DESC LIMIT 1;

SELECT run_id, quarter, drugs_file, drugs_sha256, drug_count,
    timezone('UTC', started_at) AS started_at_utc,
    count(*) OVER (PARTITION BY quarter) AS runs_of_quarter
FROM match_runs
QUALIFY ($run_id IS NULL OR run_id = $run_id) AND ($quarter IS NULL OR quarter = $quarter)
ORDER BY quarter DESC, started_at DESC, run_id DESC
LIMIT 1
