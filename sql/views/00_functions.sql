-- Helper macros the views share: release quarter dates and the dose part of a descriptor.
-- Produces: quarter_first_day(q), quarter_last_day(q) ('2025Q4' -> 2025-10-01 / 2025-12-31),
--           hcpcs_dose(long_description) ('Injection, pembrolizumab, 1 mg' -> '1 mg'),
--           dose_key(dose) ('per 1mg', '1 mg' -> '1mg'; 'per iu', '1 i.u.' -> '1iu'),
--           is_drug_code(code, long_description) (drugs, biologicals, radiopharmaceuticals,
--           skin substitutes, contrast: the code range and the descriptor together).
-- From: nothing but their arguments (pure SQL macros).
-- Example: SELECT code, hcpcs_dose(long_description) AS dose FROM hcpcs_current
--          WHERE code LIKE 'J9%' ORDER BY code LIMIT 10;

CREATE OR REPLACE MACRO quarter_first_day(q) AS
    make_date(CAST(substr(q, 1, 4) AS INTEGER), CAST(substr(q, 6, 1) AS INTEGER) * 3 - 2, 1);

CREATE OR REPLACE MACRO quarter_last_day(q) AS
    CAST(quarter_first_day(q) + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE);

-- The billing unit is the last comma-separated part of the descriptor that reads as a dose:
-- '10 mg', '0.1 mg', 'per ml', 'up to 50 mg', '1000 units' (a thousands comma is removed
-- first so '1,000 units' is not cut in two; a trailing '(for esrd on dialysis)' is dropped).
-- NULL when the descriptor has no such part ('Unclassified biologics').
CREATE OR REPLACE MACRO hcpcs_dose(long_description) AS
    nullif(trim(regexp_extract(
        regexp_replace(lower(long_description), '([0-9]),([0-9]{3})\b', '\1\2', 'g'),
        '^.*,\s*((?:per |up to )?[0-9]+(?:\.[0-9]+)?\s*[a-z%][^,(]*|per [a-z][^,(]*)', 1)), '');

-- Spelling differences that do not change the billing unit: 'per 1mg' = '1 mg',
-- 'per iu' = '1 i.u.', 'per ml' = '1 ml': dots inside unit abbreviations and a leading 'per'
-- are dropped, a missing amount reads as 1, spaces go; decimal points stay.
CREATE OR REPLACE MACRO dose_without_per(dose) AS
    regexp_replace(regexp_replace(dose, '([a-z])\.', '\1', 'g'), '^per\s+', '');

CREATE OR REPLACE MACRO dose_key(dose) AS
    regexp_replace(
        CASE WHEN regexp_matches(dose_without_per(dose), '[0-9]') THEN dose_without_per(dose)
             ELSE '1' || dose_without_per(dose) END,
        '\s+', '', 'g');

-- A drug code is in a drug family (J, C9, A9, Q0/Q2/Q3/Q4/Q5/Q9: Q3027/Q3028 interferon
-- beta-1a, intramuscular / subcutaneous, beside J1826) AND, outside the J codes (all
-- drugs), its descriptor reads as a drug: an injection, a vaccine, a biological, a
-- radiopharmaceutical, contrast, a skin substitute, a dose such as '10 mg' or 'per study
-- dose', and none of the service words those families also hold ('Assessment by chaplain
-- services' Q9001, 'Pharmacy supply fee...' Q0516, 'Cardiac magnetic resonance imaging...'
-- C9762, hospice and casting codes). Checked against every code of the real Oct 2025 file.
CREATE OR REPLACE MACRO is_drug_code(code, long_description) AS
    regexp_matches(code, '^(J|C9|A9|Q[023459])[0-9]{3}')
    AND (starts_with(code, 'J') OR (
        regexp_matches(lower(long_description),
            'injection|\binj\b|vaccine|globulin|biological|radiopharmaceutical|contrast|'
            || 'diagnostic|therapeutic|per study dose|curie|leucel|autotemcel|'
            || 'per square|centimeter|substitute|\boral\b|inhalation|implant|'
            || '\b[0-9][0-9.,]* ?(mg|mcg|micrograms?|milligrams?|grams?|ml|cc|units?|i\.?u\.?)\b')
        AND NOT regexp_matches(lower(long_description),
            '\bfee\b|\bvisit\b|hospice|home health|cast supplies|casting|splint|\bbattery|'
            || '\bcable\b|\bmodule\b|monitor|assessment|counseling|screening|software|'
            || 'ventricular assist|revascularization|catheter|imaging|ablation|endoscop|'
            || 'cystourethroscopy|transcatheter|percutaneous|laparoscop|insertion|removal|'
            || 'replacement|\bprocedure\b|procedure\(s\)|\bsurgery|\bsurgical|\bpump\b|'
            || '\bsystem\b|ultrasound|\brepair\b|prosthetic|\bdevice\b|^services|add-on')));
