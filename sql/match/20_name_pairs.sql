-- name_pairs: the blocked (practice name, CMS name) pairs worth scoring: they share at least
-- one blocking token and carry exactly the same biosimilar suffixes. Only these pairs reach
-- rapidfuzz, so a 10,000-drug list never meets the full cross product of ~9,000 codes.
-- Produces: row_no, practice_field ('drug_name' | 'brand_name'), practice_key, code, basis,
--   matched_field, matched_text, cms_key (one row per distinct pair).
-- From: practice_input (the drug list, registered by crosswalk.match), cms_drug_names.
-- Example: SELECT practice_key, code, cms_key FROM (<this query>) WHERE row_no = 2;

WITH practice_names AS (
    SELECT row_no, 'drug_name' AS practice_field, drug_name_key(drug_name) AS practice_key
    FROM practice_input
    UNION ALL
    SELECT row_no, 'brand_name', drug_name_key(brand_name)
    FROM practice_input WHERE brand_name IS NOT NULL
),
practice_tokens AS (
    SELECT DISTINCT row_no, practice_field, practice_key,
        name_suffixes(practice_key) AS suffixes, unnest(blocking_tokens(practice_key)) AS token
    FROM practice_names
),
cms_tokens AS (
    SELECT code, basis, matched_field, matched_text, name_key, suffixes, unnest(tokens) AS token
    FROM cms_drug_names
)
SELECT DISTINCT p.row_no, p.practice_field, p.practice_key, c.code, c.basis, c.matched_field,
    c.matched_text, c.name_key AS cms_key
FROM practice_tokens p
JOIN cms_tokens c ON c.token = p.token AND c.suffixes = p.suffixes
ORDER BY p.row_no, c.code, c.basis, c.matched_text;
