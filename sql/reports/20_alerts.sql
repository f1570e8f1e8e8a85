-- alerts: the drugs of match run $run_id the billing lead should look at: verdicts listed on
-- the Alerts sheet (verdicts.on_alerts: PAST_DUE, NEW_CODE, CODE_ENDED, REVIEW,
-- KEEP_PAYER_RULE) and NO_CODE_YET drugs that carry a hint (a hospital-outpatient-only C-code,
-- a NOC code of the wrong family), most urgent first, then by drug name; drugs the list marks
-- inactive last (list_status = 'inactive': reported apart, never counted as needing action).
-- Produces: one row per drug: verdict, drug_name, brand_name, ndc (5-4-2), ndc11, setting,
--   current_code, new_code, new_code_descriptor, effective_date, dos_rule, action,
--   billing_unit, units_per_package, units_for_dose, asp_payment_limit, match_basis,
--   confidence, evidence, code_ends, successor_code, candidate_codes, notes, list_row,
--   list_status, quarter, run_id.
-- From: practice_alerts (written by crosswalk.match), verdicts; ndc_542/verdict_urgency from
--   00_report_macros.sql.
-- Example: SELECT verdict, drug_name, new_code, effective_date FROM (<this query>)
--          WHERE verdict = 'PAST_DUE';

SELECT
    a.verdict, a.drug_name, a.brand_name, ndc_542(a.ndc11) AS ndc, a.ndc11,
    replace(a.setting, '_', ' ') AS setting,
    a.current_code, a.new_code, a.new_code_descriptor, a.effective_date, a.dos_rule, a.action,
    a.billing_unit, a.units_per_package, a.units_for_dose, a.asp_payment_limit,
    a.match_basis, a.confidence, a.evidence,
    a.term_date AS code_ends, a.successor_code, a.candidate_codes,
    nullif(concat_ws('; ', a.hints, a.units_note,
                     CASE WHEN a.active = false THEN 'inactive on your list' END), '') AS notes,
    a.row_no AS list_row,
    CASE WHEN a.active = false THEN 'inactive' ELSE 'active' END AS list_status,
    a.quarter, a.run_id
FROM practice_alerts a
JOIN verdicts v ON v.name = a.verdict
WHERE a.run_id = $run_id
  AND (v.on_alerts OR a.hints IS NOT NULL)
ORDER BY a.active = false, v.urgency, lower(a.drug_name), a.row_no
