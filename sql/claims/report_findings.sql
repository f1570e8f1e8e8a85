-- Findings sheet of the claim-check workbook: one row per finding per line of one checked
-- file ($file_id), claim by claim in file order, errors before warnings before info.
-- Produces: claim_id, line_no, date_of_service, hcpcs, finding, severity, message,
--   correct_code, correct_units, amount_at_risk, limit_quarter, dos_quarter.
-- From: claim_findings, claim_lines.
-- Example: SELECT * FROM (<this query>) WHERE severity = 'error';

SELECT l.claim_id, l.line_no, l.date_of_service, l.hcpcs, x.finding, x.severity, x.message,
    x.correct_code, x.correct_units, x.amount_at_risk, x.limit_quarter, x.dos_quarter
FROM claim_findings x
JOIN claim_lines l USING (file_id, line_seq)
WHERE x.file_id = $file_id
ORDER BY l.claim_seq, l.line_seq,
    CASE x.severity WHEN 'error' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END, x.finding;
