-- verdict_counts: how many drugs of match run $run_id got each verdict (every verdict listed,
-- zero included), in order of urgency, with what it means and what to do. Drugs the list marks
-- inactive are counted apart (`inactive`), never as needing action. Of the drugs on the
-- Alerts sheet, `new_this_quarter` were not on it in the run of the same list just before,
-- `still_open` were (alerts_since); `payment_per_dose_total` adds up what one dose of each
-- active drug pays (ASP payment limit x units for the dose, where both are known).
-- Produces: quarter, run_id, run_started_at_utc, verdict, drugs (active), inactive,
--   new_this_quarter, still_open, payment_per_dose_total, meaning, todo, needs_action.
-- From: match_runs, practice_alerts, verdicts (seeded from crosswalk/verdicts.py); the macros
--   of 00_report_macros.sql.
-- Example: SELECT verdict, drugs, still_open FROM (<this query>) WHERE drugs > 0;

WITH drugs AS (
    SELECT a.verdict, a.active IS DISTINCT FROM false AS is_active,
        is_active AND on_alerts_sheet(a.verdict, a.hints) AS on_sheet,
        s.open_since, payment_per_dose(a.asp_payment_limit, a.units_for_dose) AS payment
    FROM practice_alerts a
    LEFT JOIN alerts_since($run_id) s USING (row_no)
    WHERE a.run_id = $run_id
),
counted AS (
    SELECT verdict, count(*) FILTER (WHERE is_active) AS drugs,
        count(*) FILTER (WHERE NOT is_active) AS inactive,
        count(*) FILTER (WHERE on_sheet AND open_since IS NULL) AS new_this_quarter,
        count(*) FILTER (WHERE on_sheet AND open_since IS NOT NULL) AS still_open,
        sum(payment) FILTER (WHERE is_active) AS payment_per_dose_total
    FROM drugs
    GROUP BY verdict
)
SELECT r.quarter, r.run_id, timezone('UTC', r.started_at) AS run_started_at_utc,
    v.name AS verdict, coalesce(c.drugs, 0) AS drugs, coalesce(c.inactive, 0) AS inactive,
    coalesce(c.new_this_quarter, 0) AS new_this_quarter,
    coalesce(c.still_open, 0) AS still_open, c.payment_per_dose_total,
    v.meaning, v.todo, v.needs_action
FROM match_runs r
CROSS JOIN verdicts v
LEFT JOIN counted c ON c.verdict = v.name
WHERE r.run_id = $run_id
ORDER BY v.urgency
