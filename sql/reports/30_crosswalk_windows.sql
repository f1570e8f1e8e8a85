-- crosswalk_windows: every drug on the list of match run $run_id with the HCPCS code to bill
-- for each date-of-service window, ready for a charge master or standing orders:
--   coded drugs (verdicts that switch code: NEW_CODE, PAST_DUE, CODE_ENDED): the NOC code from (open) through the day
--     before the effective date, then the permanent code from the effective date (through
--     its term date when it ended), then, after a term date, the XREF successor (or the NOC
--     code when CMS lists none);
--   every other verdict (NO_CODE_YET, REVIEW, KEEP_PAYER_RULE): one open window with the NOC
--     code on the list.
-- Produces: drug_name, brand_name, ndc (5-4-2), ndc11 (as matched: an NDC Excel shortened
--   is restored), setting, hcpcs_code, dos_from, dos_through (NULL = open), billing_unit,
--   units_per_package, units_for_dose, noc_claim_narrative (on every window billed under the
--   NOC code: the text for CMS-1500 item 19 / 837P SV101-7), verdict, notes, list_row,
--   window_no, quarter, run_id; ordered by drug then window.
-- From: practice_drugs, practice_alerts, verdicts; ndc_542 from 00_report_macros.sql and the
--   noc_narrative function crosswalk.reports registers.
-- Example: which code does each drug take on 2025-10-15?
--   SELECT drug_name, hcpcs_code FROM (<this query>)
--   WHERE coalesce(dos_from, DATE '1900-01-01') <= DATE '2025-10-15'
--     AND coalesce(dos_through, DATE '9999-12-31') >= DATE '2025-10-15';

WITH listed AS (
    SELECT d.row_no, d.drug_name, d.brand_name, a.ndc11, d.setting, d.current_code, d.active,
        d.dose, d.route, d.ndc_unit, d.ndc_quantity,
        a.quarter, a.run_id, a.verdict, a.new_code, a.effective_date, a.term_date,
        a.successor_code, a.billing_unit, a.units_per_package, a.units_for_dose,
        a.candidate_codes, a.units_note
    FROM practice_drugs d
    JOIN practice_alerts a ON a.run_id = d.run_id AND a.row_no = d.row_no
    WHERE d.run_id = $run_id
),
coded AS (  -- a permanent code with a known first date of service
    SELECT * FROM listed
    WHERE verdict IN (SELECT name FROM verdicts WHERE switches_code)
      AND new_code IS NOT NULL AND effective_date IS NOT NULL
),
windows AS (
    -- the NOC code before the permanent code took effect
    SELECT row_no, 1 AS window_no, current_code AS hcpcs_code, NULL::DATE AS dos_from,
        CAST(effective_date - 1 AS DATE) AS dos_through,
        '1 unit per claim line (NOC)' AS billing_unit, NULL::DOUBLE AS units_per_package,
        1.0::DOUBLE AS units_for_dose,
        concat('NOC: the NOC claim narrative on the claim; ', new_code, ' from ',
               strftime(effective_date, '%Y-%m-%d')) AS window_note
    FROM coded
    UNION ALL
    -- the permanent code from its effective date (through its term date when it ended)
    SELECT row_no, 2, new_code, effective_date, term_date, billing_unit, units_per_package,
        units_for_dose, units_note
    FROM coded
    UNION ALL
    -- after an ended code: its successor, or the NOC code when CMS lists none
    SELECT row_no, 3, coalesce(successor_code, current_code), CAST(term_date + 1 AS DATE),
        NULL, NULL, NULL, NULL,
        CASE WHEN successor_code IS NULL
             THEN concat(new_code, ' ended with no successor listed: check the HCPCS release notes')
             ELSE concat('successor of ', new_code, ': check its billing unit') END
    FROM coded
    WHERE verdict = 'CODE_ENDED' AND term_date IS NOT NULL
    UNION ALL
    -- no permanent code yet, or one still to confirm: the NOC code for every date of service
    SELECT row_no, 1, current_code, NULL, NULL, '1 unit per claim line (NOC)', NULL, 1.0,
        CASE WHEN verdict = 'REVIEW'
             THEN concat('keep the NOC code until the code is confirmed; candidates: ',
                         coalesce(candidate_codes, 'none'))
             WHEN verdict = 'KEEP_PAYER_RULE'
             THEN concat('payer rule on your list keeps ', current_code,
                         coalesce('; CMS code ' || new_code || ' from '
                                  || strftime(effective_date, '%Y-%m-%d'), ''))
             ELSE 'no permanent code yet' END
    FROM listed
    WHERE row_no NOT IN (SELECT row_no FROM coded)
)
SELECT l.drug_name, l.brand_name, ndc_542(l.ndc11) AS ndc, l.ndc11,
    replace(l.setting, '_', ' ') AS setting, w.hcpcs_code, w.dos_from, w.dos_through,
    w.billing_unit, w.units_per_package, w.units_for_dose,
    CASE WHEN w.hcpcs_code = l.current_code
         THEN noc_narrative(l.drug_name, l.brand_name, l.dose, l.route, l.ndc11, l.ndc_unit,
                            l.ndc_quantity).text END AS noc_claim_narrative,
    l.verdict,
    nullif(concat_ws('; ', w.window_note,
                     CASE WHEN l.active = false THEN 'inactive on your list' END), '') AS notes,
    l.row_no AS list_row, w.window_no, l.quarter, l.run_id
FROM windows w
JOIN listed l USING (row_no)
ORDER BY lower(l.drug_name), l.row_no, w.window_no
