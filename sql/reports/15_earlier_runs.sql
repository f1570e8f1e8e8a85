-- earlier_runs: the runs "Since" compares match run $run_id with: runs of the same drug list
-- (same file name, or the same SHA-256) in earlier quarters, the newest run of each quarter,
-- newest quarter first.
-- Produces: run_id, quarter, drugs_file, drugs_sha256.
-- From: match_runs; earlier_runs from 00_report_macros.sql.
-- Example: SELECT quarter, run_id FROM earlier_runs(7) ORDER BY quarter DESC;

SELECT e.run_id, e.quarter, m.drugs_file, m.drugs_sha256
FROM earlier_runs($run_id) e
JOIN match_runs m USING (run_id)
ORDER BY e.quarter DESC
