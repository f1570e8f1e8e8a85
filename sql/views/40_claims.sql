-- Claim-check helpers and views over claim_lines / claim_findings.
-- Produces: macros is_noc_code(code) (J3590, J3490, J9999, C9399, J7999),
--   is_level2_code(code) (HCPCS Level II: a letter A-V and four digits; CPT codes are not in
--   the CMS HCPCS file and are never judged against it), quarter_of_date(d) ('2025Q4'),
--   needs_administration(code) (drug codes given by injection or infusion: not oral (J8),
--   immunosuppressive/inhalation (J75, J76), radiopharmaceuticals (A9), skin substitutes
--   (Q4) or contrast (Q9950-Q9983)), quarter_distance(q, target) (0 for the target quarter,
--   then 1, 2... for the quarters before it, then 1001, 1002... for those after it: ORDER BY
--   it to take a date of service's own CMS file, else the newest earlier one, else the
--   oldest later one), crosswalk_quarter_for(q) (the loaded NDC-HCPCS crosswalk quarter a
--   date of service in quarter q is checked against: q's own, else the nearest),
--   units_text(x) (450.0 -> '450', 0.5 -> '0.5'), same_product(a, b) (two HCPCS descriptors
--   naming one product, whatever their billing units: 'Injection, eculizumab, 10 mg' and
--   'Injection, eculizumab, 2 mg'; never 'Injection, nivolumab, 1 mg' and 'Injection,
--   nivolumab, 2 mg and hyaluronidase-nvhy');
--   views claim_findings_by_quarter (lines, claims and amount at risk per date-of-service
--   quarter, finding and severity) and noc_lines_after_effective (every NOC line billed on or
--   after the date a permanent code applied to its drug, a date range on any of its days,
--   with the code, units and amount).
-- From: claim_files, claim_lines, claim_findings, asp_ndc_crosswalk; is_drug_code() from
--   00_functions.sql.
-- Example: SELECT quarter, finding, lines, amount_at_risk FROM claim_findings_by_quarter
--          WHERE severity = 'error' ORDER BY amount_at_risk DESC;
--          SELECT claim_id, date_of_service, billed_code, correct_code, effective_date
--          FROM noc_lines_after_effective ORDER BY date_of_service;

CREATE OR REPLACE MACRO is_noc_code(code) AS
    code IN ('J3590', 'J3490', 'J9999', 'C9399', 'J7999');

CREATE OR REPLACE MACRO is_level2_code(code) AS
    regexp_full_match(code, '[A-V][0-9]{4}');

CREATE OR REPLACE MACRO quarter_of_date(d) AS
    CAST(year(d) AS VARCHAR) || 'Q' || CAST(quarter(d) AS VARCHAR);

CREATE OR REPLACE MACRO needs_administration(code, long_description) AS
    is_drug_code(code, long_description)
    AND NOT regexp_matches(code, '^(A9|Q4|J8|J75|J76)')
    AND NOT (code BETWEEN 'Q9950' AND 'Q9983');

CREATE OR REPLACE MACRO quarter_index(q) AS
    CAST(substr(q, 1, 4) AS INTEGER) * 4 + CAST(substr(q, 6, 1) AS INTEGER);

CREATE OR REPLACE MACRO quarter_distance(q, target) AS
    CASE WHEN q <= target THEN quarter_index(target) - quarter_index(q)
         ELSE 1000 + quarter_index(q) - quarter_index(target) END;

CREATE OR REPLACE MACRO crosswalk_quarter_for(target) AS (
    SELECT quarter FROM (SELECT DISTINCT quarter FROM asp_ndc_crosswalk)
    ORDER BY quarter_distance(quarter, target) LIMIT 1);

-- A descriptor with each amount ('10 mg', 'per 0.5 ml', 'up to 1,000 units') replaced by
-- one mark: what is left names the product, its form and its qualifiers, word for word.
CREATE OR REPLACE MACRO product_words(long_description) AS
    trim(regexp_replace(regexp_replace(lower(long_description),
        '(per |up to )?[0-9][0-9.,]*\s*(mg|mcg|micrograms?|milligrams?|grams?|gm|g|ml|cc|'
        || 'units?|iu|i\.u\.|meq|mmol|mci|uci|millicuries?|microcuries?)\b', '#', 'g'),
        '[\s,]+', ' ', 'g'));

CREATE OR REPLACE MACRO same_product(a, b) AS
    coalesce(product_words(a) = product_words(b) AND contains(product_words(a), '#'), false);

CREATE OR REPLACE MACRO units_text(x) AS
    regexp_replace(printf('%.4f', x), '\.?0+$', '');

CREATE OR REPLACE VIEW claim_findings_by_quarter AS
SELECT x.dos_quarter AS quarter, x.finding, x.severity,
    count(*) AS lines,
    count(DISTINCT (l.file_id, l.claim_seq)) AS claims,
    count(DISTINCT x.file_id) AS files,
    sum(x.amount_at_risk) AS amount_at_risk
FROM claim_findings x
JOIN claim_lines l USING (file_id, line_seq)
GROUP BY x.dos_quarter, x.finding, x.severity
ORDER BY x.dos_quarter, CASE x.severity WHEN 'error' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END,
    x.finding;

CREATE OR REPLACE VIEW noc_lines_after_effective AS
SELECT f.file_name, l.claim_id, l.line_no, l.date_of_service, l.hcpcs AS billed_code,
    l.units AS billed_units, l.narrative, l.ndc11, x.correct_code, x.effective_date,
    x.correct_units, x.payment_limit, x.limit_quarter, x.amount_at_risk, l.payer,
    f.file_id, l.line_seq
FROM claim_findings x
JOIN claim_lines l USING (file_id, line_seq)
JOIN claim_files f USING (file_id)
WHERE x.finding = 'NOC_AFTER_EFFECTIVE';
