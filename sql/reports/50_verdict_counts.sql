-- verdict_counts: how many drugs of match run $run_id got each verdict (every verdict listed,
-- zero included), in order of urgency, with the run they describe.
-- Produces: quarter, run_id, run_started_at_utc, verdict, drugs.
-- From: match_runs, practice_alerts; verdict_urgency from 00_report_macros.sql.
-- Example: SELECT verdict, drugs FROM (<this query>) WHERE drugs > 0;

WITH counted AS (
    SELECT verdict, count(*) AS drugs FROM practice_alerts WHERE run_id = $run_id
    GROUP BY verdict
)
SELECT r.quarter, r.run_id, timezone('UTC', r.started_at) AS run_started_at_utc, v.verdict,
    coalesce(c.drugs, 0) AS drugs
FROM match_runs r
CROSS JOIN unnest(['PAST_DUE', 'NEW_CODE', 'CODE_ENDED', 'REVIEW', 'NO_CODE_YET']) AS v(verdict)
LEFT JOIN counted c ON c.verdict = v.verdict
WHERE r.run_id = $run_id
ORDER BY verdict_urgency(v.verdict)
