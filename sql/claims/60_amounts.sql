-- Amounts at risk on the findings of one checked file ($file_id): what each line is worth at
-- Medicare's ASP payment limit, units x limit per billing unit. A NOC line is priced at the
-- permanent code and units it should have been billed with (when known: not for a date
-- range that reaches the permanent code's first day, whose units cannot be told apart by
-- day); any other line at its billed code and units. The limit is the date of service's
-- quarter's, else the nearest loaded quarter that prices the code (newest earlier, else
-- oldest later); limit_quarter says which, so the workbook can label a limit taken from
-- another quarter.
-- Produces: claim_findings.payment_limit, limit_quarter, amount_at_risk for the file.
-- From: claim_findings, claim_lines, noc_lines, line_units, asp_payment_limits.
-- Example: SELECT finding, sum(amount_at_risk) FROM claim_findings WHERE file_id = 1
--          GROUP BY ALL;

UPDATE claim_findings SET payment_limit = p.payment_limit, limit_quarter = p.quarter,
    amount_at_risk = round(p.units * p.payment_limit, 2)
FROM (
    WITH priced_lines AS (
        SELECT l.line_seq, quarter_of_date(l.date_of_service) AS dos_quarter,
            CASE WHEN is_noc_code(l.hcpcs) THEN n.correct_code ELSE l.hcpcs END AS code,
            CASE WHEN NOT is_noc_code(l.hcpcs) THEN l.units
                 WHEN NOT n.range_crosses THEN coalesce(u.units_by_dose, u.units_by_ndc)
            END AS units
        FROM claim_lines l
        LEFT JOIN noc_lines n USING (line_seq)
        LEFT JOIN line_units u USING (line_seq)
        WHERE l.file_id = $file_id
          AND l.line_seq IN (SELECT line_seq FROM claim_findings WHERE file_id = $file_id)
    )
    SELECT p.line_seq, p.units, a.quarter, a.payment_limit
    FROM priced_lines p
    JOIN asp_payment_limits a ON a.hcpcs_code = p.code AND a.payment_limit IS NOT NULL
    WHERE p.units IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY p.line_seq
                               ORDER BY quarter_distance(a.quarter, p.dos_quarter)) = 1
) p
WHERE claim_findings.file_id = $file_id AND claim_findings.line_seq = p.line_seq;
