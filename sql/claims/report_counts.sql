-- Summary counts of one checked file ($file_id): per finding and severity, the lines and
-- claims it was found on and the amount at risk on those lines; the last row (finding
-- NULL) counts the lines with at least one error and the amount at risk on them (each line
-- once, however many errors it has).
-- Produces: finding, severity, lines, claims, amount_at_risk.
-- From: claim_findings, claim_lines.
-- Example: SELECT * FROM (<this query>) ORDER BY amount_at_risk DESC;

WITH found AS (
    SELECT x.*, l.claim_seq
    FROM claim_findings x JOIN claim_lines l USING (file_id, line_seq)
    WHERE x.file_id = $file_id
),
lines_in_error AS (
    SELECT line_seq, any_value(claim_seq) AS claim_seq, any_value(amount_at_risk) AS amount
    FROM found WHERE severity = 'error' GROUP BY line_seq
)
SELECT finding, severity, count(*) AS lines, count(DISTINCT claim_seq) AS claims,
    sum(amount_at_risk) AS amount_at_risk
FROM found GROUP BY finding, severity
UNION ALL
SELECT NULL, 'error', count(*), count(DISTINCT claim_seq), sum(amount)
FROM lines_in_error;
