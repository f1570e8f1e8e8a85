-- noc_lines (TEMP table): every NOC line of the file with what the matcher made of its drug
-- (noc_drugs, registered by crosswalk.claim_checks) and the permanent code that applied on
-- its date of service: the identified code when the date falls in its validity interval
-- (ADD DT .. TERM DT), its successor (XREF1) when the code had ended by then and the
-- successor applied, else none (the NOC code was right on that date).
-- Produces: line_seq, names_drug, drug_label, verdict, code, candidate_codes, reason,
--   expected_noc, family_reason, dose, dose_amount, dose_unit, correct_code,
--   effective_date, correct_billing_unit.
-- From: line_facts, noc_drugs, hcpcs_history.
-- Example: SELECT line_seq, verdict, code, correct_code, effective_date FROM noc_lines;

CREATE OR REPLACE TEMP TABLE noc_lines AS
WITH identified AS (
    SELECT l.line_seq, l.date_of_service AS dos, d.*,
        h.valid_from, h.valid_to, h.replaced_by,
        s.valid_from AS successor_from, s.valid_to AS successor_to,
        hcpcs_dose(s.long_description) AS successor_unit
    FROM line_facts l
    JOIN noc_drugs d
      ON d.hcpcs = l.hcpcs AND d.narrative IS NOT DISTINCT FROM l.narrative
     AND d.ndc11 IS NOT DISTINCT FROM l.ndc11 AND d.hospital_outpatient = l.hospital_outpatient
    LEFT JOIN hcpcs_history h ON h.code = d.code AND NOT h.is_modifier
    LEFT JOIN hcpcs_history s ON s.code = h.replaced_by AND NOT s.is_modifier
    WHERE l.is_noc
),
applied AS (
    SELECT *,
        dos >= valid_from AND (valid_to IS NULL OR dos <= valid_to) AS code_applied,
        dos > valid_to AND dos >= successor_from
            AND (successor_to IS NULL OR dos <= successor_to) AS successor_applied
    FROM identified
)
SELECT line_seq, names_drug, drug_label, verdict, code, candidate_codes, reason,
    expected_noc, family_reason, dose, dose_amount, dose_unit,
    CASE WHEN code_applied THEN code WHEN successor_applied THEN replaced_by END
        AS correct_code,
    CASE WHEN code_applied THEN valid_from WHEN successor_applied THEN successor_from END
        AS effective_date,
    CASE WHEN code_applied THEN billing_unit WHEN successor_applied THEN successor_unit END
        AS correct_billing_unit
FROM applied;
