-- drug_units_in (TEMP table): for every drug line of the file except wastage lines (JW),
-- the code its units are counted in (the billed code; for a NOC line the permanent code
-- that applied on its date, when the drug was identified), that code's billing unit, the
-- narrative (for its dose) and the NDC quantity with, for quantities in UN, the billing
-- units per package size of that NDC under that code in the crosswalk nearest the date of
-- service's quarter that lists the pair (a code that applied before the quarter of the
-- crosswalk read for the line is priced by the crosswalk that knew it: J1300's 30 units per
-- Soliris vial in January, J1299's 150 from April).
-- crosswalk.claim_checks reads the distinct (billing_unit, narrative, ndc_quantity,
-- ndc_unit, units_each) and works out the units each stands for once.
-- Produces: line_seq, is_noc, units, drug_code, billing_unit, narrative, ndc_quantity,
--   ndc_unit, units_each.
-- From: line_facts, noc_lines, asp_ndc_crosswalk.
-- Example: SELECT DISTINCT billing_unit, narrative FROM drug_units_in;

CREATE OR REPLACE TEMP TABLE drug_units_in AS
WITH drug_lines AS (
    SELECT l.line_seq, l.is_noc, l.units, l.narrative, l.ndc11, l.ndc_quantity, l.ndc_unit,
        l.dos_quarter,
        CASE WHEN l.is_noc THEN n.correct_code ELSE l.hcpcs END AS drug_code,
        CASE WHEN l.is_noc THEN n.correct_billing_unit ELSE l.billing_unit END AS billing_unit
    FROM line_facts l
    LEFT JOIN noc_lines n USING (line_seq)
    WHERE l.is_drug AND NOT l.is_wastage
),
wanted AS (
    SELECT DISTINCT dos_quarter, ndc11, drug_code FROM drug_lines
    WHERE ndc11 IS NOT NULL AND drug_code IS NOT NULL
),
per_package AS (
    SELECT w.dos_quarter, w.ndc11, w.drug_code, max(x.bill_units) AS units_each
    FROM wanted w
    JOIN asp_ndc_crosswalk x ON x.ndc11 = w.ndc11 AND x.hcpcs_code = w.drug_code
    GROUP BY w.dos_quarter, w.ndc11, w.drug_code, x.quarter
    QUALIFY row_number() OVER (PARTITION BY w.dos_quarter, w.ndc11, w.drug_code
                               ORDER BY quarter_distance(x.quarter, w.dos_quarter)) = 1
)
SELECT d.line_seq, d.is_noc, d.units, d.drug_code, d.billing_unit, d.narrative,
    d.ndc_quantity, d.ndc_unit, p.units_each
FROM drug_lines d
LEFT JOIN per_package p
  ON p.dos_quarter = d.dos_quarter AND p.ndc11 = d.ndc11 AND p.drug_code = d.drug_code;
