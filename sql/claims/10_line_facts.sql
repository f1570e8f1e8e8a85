-- line_facts (TEMP table): every service line of one checked file ($file_id) with what the
-- rules need to know about it: its date-of-service quarter, what kind of line it is (drug,
-- NOC, needs an administration code, Level II code), the billed code's validity interval and
-- successor from the newest HCPCS knowledge (hcpcs_history: ADD DT, TERM DT, XREF1), the
-- code's billing unit, whether the claim has an administration code on the same date (an
-- RD8 range, on either line, covers each of its days), the CMS NDC-HCPCS crosswalk checked
-- for the line (the date of service's quarter, else the nearest loaded quarter: newest
-- before, else oldest after) with the codes the line's NDC is crosswalked to there that
-- applied on the date of service (a crosswalk read for a quarter it does not cover may still
-- list a code that had ended: J1300 for Soliris in January, on a May line), and whether the
-- code is separately payable (priced in an ASP file).
-- Produces: claim_lines columns + dos_quarter, is_noc, is_drug, needs_admin, is_level2,
--   hospital_outpatient, has_jw_jz, is_wastage, known_code, valid_from, valid_to,
--   successor_code, successor_from, successor_to, billing_unit, has_admin,
--   crosswalk_quarter, crosswalk_codes, crosswalk_drug, separately_payable.
-- From: claim_lines, hcpcs_history, asp_ndc_crosswalk, asp_payment_limits, admin_codes
--   (data/admin-codes.csv, registered by crosswalk.claim_checks).
-- Registered: admin_codes
-- Example: SELECT line_seq, hcpcs, dos_quarter, valid_from, crosswalk_codes FROM line_facts;

CREATE OR REPLACE TEMP TABLE line_facts AS
WITH lines AS (
    SELECT *,
        quarter_of_date(date_of_service) AS dos_quarter,
        is_noc_code(hcpcs) AS is_noc,
        is_level2_code(hcpcs) AS is_level2,
        coalesce(place_of_service IN ('19', '22'), false) AS hospital_outpatient,
        list_has_any(modifiers, ['JW', 'JZ']) AS has_jw_jz,
        list_contains(modifiers, 'JW') AS is_wastage
    FROM claim_lines
    WHERE file_id = $file_id
),
codes AS (
    SELECT h.code, h.long_description, h.valid_from, h.valid_to,
        h.replaced_by AS successor_code,
        s.valid_from AS successor_from, s.valid_to AS successor_to,
        hcpcs_dose(h.long_description) AS billing_unit
    FROM hcpcs_history h
    LEFT JOIN hcpcs_history s ON s.code = h.replaced_by AND NOT s.is_modifier
    WHERE NOT h.is_modifier AND h.code IN (SELECT DISTINCT hcpcs FROM lines)
),
admin_spans AS (
    SELECT DISTINCT l.claim_seq, l.date_of_service AS first_day,
        coalesce(l.dos_through, l.date_of_service) AS last_day
    FROM lines l
    JOIN admin_codes a ON l.hcpcs BETWEEN a.code_from AND a.code_to
),
administered AS (
    SELECT DISTINCT l.line_seq
    FROM lines l
    JOIN admin_spans a
      ON a.claim_seq = l.claim_seq AND a.first_day <= coalesce(l.dos_through, l.date_of_service)
     AND l.date_of_service <= a.last_day
),
crosswalk_for AS (
    SELECT dos_quarter, crosswalk_quarter_for(dos_quarter) AS crosswalk_quarter
    FROM (SELECT DISTINCT dos_quarter FROM lines)
),
ndc_days AS (
    SELECT DISTINCT dos_quarter, date_of_service, ndc11 FROM lines WHERE ndc11 IS NOT NULL
),
ndc_codes AS (
    SELECT d.dos_quarter, d.date_of_service, d.ndc11,
        list(DISTINCT x.hcpcs_code ORDER BY x.hcpcs_code) FILTER (
            WHERE h.code IS NULL OR (d.date_of_service >= h.valid_from
                                     AND (h.valid_to IS NULL OR d.date_of_service <= h.valid_to))
        ) AS crosswalk_codes,
        min(trim(replace(x.drug_name, chr(160), ' '))) AS crosswalk_drug
    FROM ndc_days d
    JOIN crosswalk_for f USING (dos_quarter)
    JOIN asp_ndc_crosswalk x ON x.quarter = f.crosswalk_quarter AND x.ndc11 = d.ndc11
    LEFT JOIN hcpcs_history h ON h.code = x.hcpcs_code AND NOT h.is_modifier
    GROUP BY ALL
),
priced AS (
    SELECT DISTINCT hcpcs_code AS code FROM asp_payment_limits
    WHERE payment_limit IS NOT NULL AND hcpcs_code IN (SELECT hcpcs FROM lines)
)
SELECT l.*,
    coalesce(is_drug_code(l.hcpcs, c.long_description), false) AS is_drug,
    coalesce(needs_administration(l.hcpcs, c.long_description), false) AS needs_admin,
    c.code IS NOT NULL AS known_code,
    c.valid_from, c.valid_to, c.successor_code, c.successor_from, c.successor_to,
    c.billing_unit,
    a.line_seq IS NOT NULL AS has_admin,
    f.crosswalk_quarter,
    nullif(n.crosswalk_codes, []) AS crosswalk_codes, n.crosswalk_drug,
    p.code IS NOT NULL OR l.is_noc AS separately_payable
FROM lines l
LEFT JOIN codes c ON c.code = l.hcpcs
LEFT JOIN administered a ON a.line_seq = l.line_seq
LEFT JOIN crosswalk_for f ON f.dos_quarter = l.dos_quarter
LEFT JOIN ndc_codes n ON n.date_of_service = l.date_of_service AND n.ndc11 = l.ndc11
LEFT JOIN priced p ON p.code = l.hcpcs;
