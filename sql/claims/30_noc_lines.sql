-- noc_lines (TEMP table): every NOC line of the file with what the matcher made of its drug
-- (noc_drugs, registered by crosswalk.claim_checks) and the permanent code that applied on
-- its date of service. The matcher identifies the drug against the newest release; the code
-- in force on the line's date is then looked for among that product's codes, both ways in
-- time: the identified code when the date falls in its validity interval (ADD DT .. TERM
-- DT); else its successor (XREF1) when the code had ended and the successor applied; else
-- the one code of the same product that applied that day: an XREF predecessor (C9302 ->
-- J9276), or a code whose descriptor names the same product with another billing unit or
-- in another code family (J1300 'eculizumab, 10 mg' before J1299 'eculizumab, 2 mg'; C9174
-- before J9011 for datopotamab deruxtecan-dlnk). A C-code only counts on a hospital
-- outpatient line, a J/Q code beats a C-code, and two candidates that day give none (never
-- a guess); no code at all means the NOC code was right on that date. Candidates are the
-- drug codes the matcher itself considers (is_drug_code: J, C9, A9, Q0/2/3/4/5/9): never an
-- S-code, which Medicare does not take (S0028 famotidine, before J1308).
-- A line billed over a date range (RD8) is judged on its first day, and, when no code
-- applied then, on its last: a range that reaches a permanent code's first day (Nypozi on
-- J3590 from 2025-03-28 through 2025-04-01, Q5148 from 2025-04-01) bills its later days
-- under the NOC code after the effective date (range_crosses: those days need a line of
-- their own under the permanent code).
-- Produces: line_seq, names_drug, drug_label, verdict, code, candidate_codes, reason,
--   expected_noc, family_reason, dose, dose_amount, dose_unit, correct_code,
--   effective_date, correct_billing_unit, range_crosses.
-- From: line_facts, noc_drugs, hcpcs_history; same_product() from sql/views/40_claims.sql.
-- Registered: noc_drugs
-- Example: SELECT line_seq, verdict, code, correct_code, effective_date FROM noc_lines;

CREATE OR REPLACE TEMP TABLE noc_lines AS
WITH identified AS (
    SELECT l.line_seq, l.hospital_outpatient AS outpatient, d.*,
        unnest(CASE WHEN l.dos_through > l.date_of_service
                    THEN [l.date_of_service, l.dos_through] ELSE [l.date_of_service] END)
            AS dos,
        l.date_of_service AS first_day,
        h.long_description AS code_description, h.valid_from, h.valid_to, h.replaced_by,
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
        coalesce(dos >= valid_from AND (valid_to IS NULL OR dos <= valid_to), false)
            AS code_applied,
        coalesce(dos > valid_to AND dos >= successor_from
                 AND (successor_to IS NULL OR dos <= successor_to), false) AS successor_applied
    FROM identified
),
same_product_that_day AS (
    SELECT a.line_seq, a.dos, p.code, p.valid_from,
        hcpcs_dose(p.long_description) AS billing_unit
    FROM applied a
    JOIN hcpcs_history p
      ON NOT p.is_modifier AND p.code <> a.code
     AND (list_contains(p.replaced_by_codes, a.code)
          OR same_product(p.long_description, a.code_description))
     AND a.dos >= p.valid_from AND (p.valid_to IS NULL OR a.dos <= p.valid_to)
     AND (a.outpatient OR NOT starts_with(p.code, 'C'))
     AND is_drug_code(p.code, p.long_description) AND NOT is_noc_code(p.code)
    WHERE NOT a.code_applied AND NOT a.successor_applied
    QUALIFY rank() OVER (PARTITION BY a.line_seq, a.dos ORDER BY starts_with(p.code, 'C'))
        = 1
),
one_that_day AS (
    SELECT line_seq, dos, any_value(code) AS code, any_value(valid_from) AS valid_from,
        any_value(billing_unit) AS billing_unit
    FROM same_product_that_day
    GROUP BY line_seq, dos
    HAVING count(*) = 1
),
by_day AS (
    SELECT a.line_seq, a.dos, a.first_day, names_drug, drug_label, verdict, a.code,
        candidate_codes, reason, expected_noc, family_reason, dose, dose_amount, dose_unit,
        CASE WHEN code_applied THEN a.code WHEN successor_applied THEN replaced_by
             ELSE o.code END AS correct_code,
        CASE WHEN code_applied THEN a.valid_from WHEN successor_applied THEN successor_from
             ELSE o.valid_from END AS effective_date,
        CASE WHEN code_applied THEN a.billing_unit WHEN successor_applied THEN successor_unit
             ELSE o.billing_unit END AS correct_billing_unit
    FROM applied a
    LEFT JOIN one_that_day o USING (line_seq, dos)
)
SELECT * EXCLUDE (dos, first_day), dos > first_day AS range_crosses
FROM by_day
QUALIFY row_number() OVER (PARTITION BY line_seq
                           ORDER BY correct_code IS NULL, dos) = 1;
