-- verdict_counts: how many drugs of match run $run_id got each verdict (every verdict listed,
-- zero included), in order of urgency, with what it means and what to do. Drugs the list marks
-- inactive are counted apart (`inactive`), never as needing action.
-- Produces: quarter, run_id, run_started_at_utc, verdict, drugs (active), inactive, meaning,
--   todo, needs_action.
-- From: match_runs, practice_alerts, verdicts (seeded from crosswalk/verdicts.py).
-- Example: SELECT verdict, drugs FROM (<this query>) WHERE drugs > 0;

WITH counted AS (
    SELECT verdict, count(*) FILTER (WHERE active IS DISTINCT FROM false) AS drugs,
        count(*) FILTER (WHERE active = false) AS inactive
    FROM practice_alerts WHERE run_id = $run_id
    GROUP BY verdict
)
SELECT r.quarter, r.run_id, timezone('UTC', r.started_at) AS run_started_at_utc,
    v.name AS verdict, coalesce(c.drugs, 0) AS drugs, coalesce(c.inactive, 0) AS inactive,
    v.meaning, v.todo, v.needs_action
FROM match_runs r
CROSS JOIN verdicts v
LEFT JOIN counted c ON c.verdict = v.name
WHERE r.run_id = $run_id
ORDER BY v.urgency
