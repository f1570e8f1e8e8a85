-- alerts: the drugs of match run $run_id that need the billing lead to act (PAST_DUE,
-- NEW_CODE, CODE_ENDED, REVIEW), most urgent first, then by drug name. NO_CODE_YET drugs
-- need no change and appear only on the crosswalk.
-- Produces: one row per drug: verdict, drug_name, brand_name, ndc (5-4-2), ndc11, setting,
--   current_code, new_code, new_code_descriptor, effective_date, dos_rule, action,
--   billing_unit, units_per_package, units_for_dose, asp_payment_limit, match_basis,
--   confidence, evidence, code_ends, successor_code, candidate_codes, notes, list_row,
--   quarter, run_id.
-- From: practice_alerts (written by crosswalk.match); ndc_542/verdict_urgency from
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
    a.row_no AS list_row, a.quarter, a.run_id
FROM practice_alerts a
WHERE a.run_id = $run_id
  AND a.verdict IN ('PAST_DUE', 'NEW_CODE', 'CODE_ENDED', 'REVIEW')
ORDER BY verdict_urgency(a.verdict), lower(a.drug_name), a.row_no
