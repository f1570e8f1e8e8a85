-- cms_drug_names (TEMP table): every name CMS gives a permanent drug code, in releases up to
-- the run's quarter ($quarter), ready to be blocked and scored against the practice list.
-- Produces: code, basis ('generic_name' | 'brand_name'), matched_field, matched_text,
--   name_key, suffixes, tokens. Names come from
--   - the HCPCS long description of the code's newest release <= $quarter: the generic part
--     ('Injection, rituximab-arrx, biosimilar, (riabni), 10 mg' -> 'rituximab-arrx') and each
--     brand in parentheses ('(jubbonti/wyost)' -> 'jubbonti', 'wyost');
--   - the Drug Name column of every ASP NDC-HCPCS crosswalk <= $quarter ('Briumvi').
--   NOC codes (J3590, J3490, J9999, C9399, J7999 and any 'not otherwise classified' code)
--   are not candidates: they are what the practice bills today.
-- From: hcpcs_codes, asp_ndc_crosswalk (macros in 00_name_macros.sql).
-- Example: SELECT code, basis, matched_text FROM cms_drug_names WHERE list_contains(tokens, 'rituximab');

CREATE OR REPLACE TEMP TABLE cms_drug_names AS
WITH as_of AS (
    SELECT code, long_description
    FROM hcpcs_codes
    WHERE quarter <= $quarter AND NOT is_modifier
      AND regexp_matches(code, '^(J|Q|C9|A9)')
      AND code NOT IN ('J3590', 'J3490', 'J9999', 'C9399', 'J7999')
      AND NOT regexp_matches(lower(long_description),
                             'not otherwise (classified|specified)|^unclassified|\bnoc\b')
    QUALIFY quarter = max(quarter) OVER (PARTITION BY code)
),
descriptor AS (
    SELECT code, long_description,
        regexp_replace(lower(long_description), '\([^)]*\)', ' ', 'g') AS without_brands,
        flatten(list_transform(
            regexp_extract_all(lower(long_description),
                               '\(([a-z][a-z0-9-]*(?:/[a-z][a-z0-9-]*)*)\)', 1),
            lambda g: string_split(g, '/'))) AS brands
    FROM as_of
),
names AS (
    SELECT code, 'generic_name' AS basis, 'hcpcs_codes.long_description' AS matched_field,
        long_description AS matched_text, drug_name_key(without_brands) AS name_key
    FROM descriptor
    UNION ALL
    SELECT code, 'brand_name', 'hcpcs_codes.long_description', long_description,
        drug_name_key(brand)
    FROM (SELECT code, long_description, unnest(brands) AS brand FROM descriptor)
    UNION ALL
    SELECT hcpcs_code, 'brand_name', 'asp_ndc_crosswalk.drug_name', drug_name,
        drug_name_key(drug_name)
    FROM (SELECT DISTINCT hcpcs_code, trim(replace(drug_name, chr(160), ' ')) AS drug_name
          FROM asp_ndc_crosswalk
          WHERE quarter <= $quarter AND nullif(trim(drug_name), '') IS NOT NULL)
)
SELECT DISTINCT code, basis, matched_field, matched_text, name_key,
    name_suffixes(name_key) AS suffixes, blocking_tokens(name_key) AS tokens
FROM names
WHERE name_key <> '';
