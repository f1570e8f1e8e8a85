-- Exposure of the practice's PAST_DUE drugs in one checked file ($file_id): the drugs the
-- newest match run (claim_files.match_run_id) found PAST_DUE, and the file's NOC lines for
-- each (identified as that drug, or carrying its NDC under its NOC code) dated on or after
-- the permanent code's effective date, with the amount at risk on them.
-- Produces: drug_name, brand_name, current_code, new_code, effective_date, noc_lines,
--   amount_at_risk (NULL when no line is priced).
-- From: claim_files, practice_alerts, claim_lines, claim_findings.
-- Example: SELECT drug_name, noc_lines FROM (<this query>) WHERE noc_lines > 0;

WITH past_due AS (
    SELECT a.*
    FROM practice_alerts a
    JOIN claim_files f ON f.match_run_id = a.run_id
    WHERE f.file_id = $file_id AND a.verdict = 'PAST_DUE'
),
exposed AS (
    SELECT DISTINCT p.row_no, l.line_seq, x.amount_at_risk
    FROM past_due p
    JOIN claim_lines l
      ON l.file_id = $file_id AND is_noc_code(l.hcpcs) AND l.date_of_service >= p.effective_date
    LEFT JOIN claim_findings x
      ON x.file_id = l.file_id AND x.line_seq = l.line_seq AND x.finding = 'NOC_AFTER_EFFECTIVE'
    WHERE x.correct_code = p.new_code OR (l.ndc11 = p.ndc11 AND l.hcpcs = p.current_code)
)
SELECT p.drug_name, p.brand_name, p.current_code, p.new_code, p.effective_date,
    count(e.line_seq) AS noc_lines, sum(e.amount_at_risk) AS amount_at_risk
FROM past_due p
LEFT JOIN exposed e USING (row_no)
GROUP BY ALL
ORDER BY amount_at_risk DESC NULLS LAST, noc_lines DESC, p.drug_name;
