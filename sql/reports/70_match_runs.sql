-- match_runs_listed: every match run (of release $quarter, or of every release when NULL),
-- newest first, with the drug list it read and how many drugs need action; report_default
-- marks the run `crosswalk report` rebuilds its quarter from unless --run picks another.
-- Produces: run_id, quarter, started_at_utc, drugs_file, drugs_sha256, drug_count,
--   needing_action, report_default.
-- From: match_runs, practice_alerts.
-- Example: SELECT run_id, quarter, drugs_file, drug_count FROM match_runs
--          ORDER BY quarter DESC, started_at DESC;

SELECT m.run_id, m.quarter, timezone('UTC', m.started_at) AS started_at_utc, m.drugs_file,
    m.drugs_sha256, m.drug_count,
    (SELECT count(*) FROM practice_alerts a
     WHERE a.run_id = m.run_id AND a.verdict <> 'NO_CODE_YET') AS needing_action,
    row_number() OVER (PARTITION BY m.quarter
                       ORDER BY m.started_at DESC, m.run_id DESC) = 1 AS report_default
FROM match_runs m
WHERE $quarter IS NULL OR m.quarter = $quarter
ORDER BY m.quarter DESC, m.started_at DESC, m.run_id DESC
