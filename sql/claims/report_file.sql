-- The checked file a claim-check workbook describes ($file_id): its claim_files row, the
-- check time as naive UTC (the only time in the workbook), and the quarter of the match run
-- whose PAST_DUE drugs the Summary follows.
-- Produces: claim_files columns + checked_at_utc, match_quarter.
-- From: claim_files, match_runs.
-- Example: SELECT file_name, checked_at_utc, findings FROM (<this query>);

SELECT f.*, timezone('UTC', f.checked_at)::TIMESTAMP(0) AS checked_at_utc,
    m.quarter AS match_quarter
FROM claim_files f
LEFT JOIN match_runs m ON m.run_id = f.match_run_id
WHERE f.file_id = $file_id;
