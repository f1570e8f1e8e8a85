-- alerts: the drugs of match run $run_id the billing lead works through: verdicts listed on
-- the Alerts sheet (verdicts.on_alerts: PAST_DUE, NEW_CODE, CODE_ENDED, REVIEW,
-- KEEP_PAYER_RULE) and NO_CODE_YET drugs that carry a hint (a hospital-outpatient-only C-code,
-- a NOC code of the wrong family), in groups (alert_group: 'Needs action', then each verdict
-- not counted as needing action), most urgent first, then by drug name; drugs the list marks
-- inactive last (list_status = 'inactive': reported apart, never counted as needing action).
-- Produces: one row per drug.
--   The worklist (Alerts sheet): verdict, drug_name, ndc (5-4-2), current_code, new_code,
--   effective_date, action, units_for_dose, payment_per_dose (ASP limit x units for the dose,
--   cents), noc_claim_narrative (the text for CMS-1500 item 19 / 837P SV101-7, for drugs still
--   billed under the NOC code on some dates of service from the release's first day
--   $quarter_start: every verdict that does not switch code, and a new code before its
--   effective date), notes (hints; why the payment per dose is blank), since ('new in 2025Q4'
--   or 'open since 2025Q3': earlier runs of the same list, see alerts_since).
--   The evidence (Evidence sheet): brand_name, setting, route, dose, new_code_descriptor,
--   dos_rule, billing_unit, units_per_package, units_note, asp_payment_limit,
--   noc_payment_limit, noc_dosage, match_basis, confidence, evidence, candidate_codes,
--   code_ends, successor_code, narrative_placement, narrative_sv101_7, narrative_nte.
--   Grouping and provenance: alert_group, group_size, group_note (why a group other than
--   'Needs action' is listed), is_new, list_row,
--   list_status, ndc11, quarter, run_id.
-- From: practice_alerts (written by crosswalk.match), practice_drugs, verdicts; the macros of
--   00_report_macros.sql and the noc_narrative function crosswalk.reports registers.
-- Example: SELECT verdict, drug_name, since, noc_claim_narrative FROM (<this query>)
--          WHERE verdict = 'NEW_CODE';

WITH listed AS (
    SELECT a.*, d.dose, d.route, d.ndc_unit, d.ndc_quantity,
        v.urgency,
        CASE WHEN NOT v.needs_action
             THEN 'not counted as needing action: ' || v.todo END AS group_note,
        CASE WHEN v.needs_action THEN 'Needs action' ELSE v.name END AS alert_group,
        CASE WHEN NOT v.switches_code OR a.effective_date >= $quarter_start
             THEN noc_narrative(a.drug_name, a.brand_name, d.dose, d.route, a.ndc11,
                                d.ndc_unit, d.ndc_quantity) END AS narrative,
        payment_per_dose(a.asp_payment_limit, a.units_for_dose) AS payment_per_dose,
        CASE WHEN a.new_code IS NOT NULL AND a.units_for_dose IS NULL
             THEN 'payment per dose blank: '
                  || CASE WHEN d.dose IS NULL THEN 'no dose on your list (e.g. 450 mg)'
                          ELSE coalesce(a.units_note, 'units for the dose unknown') END
        END AS payment_note
    FROM practice_alerts a
    JOIN practice_drugs d USING (run_id, row_no)
    JOIN verdicts v ON v.name = a.verdict
    WHERE a.run_id = $run_id AND on_alerts_sheet(a.verdict, a.hints)
)
SELECT
    l.verdict, l.drug_name, ndc_542(l.ndc11) AS ndc, l.current_code, l.new_code,
    l.effective_date, l.action, l.units_for_dose, l.payment_per_dose,
    l.narrative.text AS noc_claim_narrative,
    nullif(concat_ws('; ', l.hints, l.payment_note,
                     CASE WHEN l.active = false THEN 'inactive on your list' END), '') AS notes,
    CASE WHEN s.open_since IS NULL THEN 'new in ' || l.quarter
         ELSE 'open since ' || s.open_since END AS since,
    l.brand_name, replace(l.setting, '_', ' ') AS setting, l.route, l.dose,
    l.new_code_descriptor, l.dos_rule, l.billing_unit, l.units_per_package,
    l.units_note, l.asp_payment_limit, l.noc_payment_limit, l.noc_dosage,
    l.match_basis, l.confidence, l.evidence, l.candidate_codes,
    l.term_date AS code_ends, l.successor_code,
    l.narrative.placement AS narrative_placement, l.narrative.sv101_7 AS narrative_sv101_7,
    l.narrative.nte AS narrative_nte,
    l.alert_group,
    count(*) OVER (PARTITION BY l.active = false, l.alert_group) AS group_size,
    l.group_note, s.open_since IS NULL AS is_new,
    l.row_no AS list_row,
    CASE WHEN l.active = false THEN 'inactive' ELSE 'active' END AS list_status,
    l.ndc11, l.quarter, l.run_id
FROM listed l
LEFT JOIN alerts_since($run_id) s USING (row_no)
ORDER BY l.active = false, l.urgency, lower(l.drug_name), l.row_no
