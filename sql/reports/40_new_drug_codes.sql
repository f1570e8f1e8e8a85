-- new_drug_codes: every new permanent drug code of release $quarter, whether or not the
-- practice uses the drug, with its price, the NDCs CMS crosswalks to it, and the drugs of
-- match run $run_id that matched it (or list it among their candidates under REVIEW,
-- marked '(review)').
-- Produces: code, descriptor, billing_unit, effective_date, code_ends, asp_payment_limit,
--   asp_quarter (the ASP file the limit comes from: the release's own, else the newest
--   known), ndcs (5-4-2, comma-separated), drug_names, ndc_count, on_your_list, quarter;
--   ordered by code. New means ADD DT within the release's quarter (the file's own word).
-- From: the drug_codes_new view (sql/views/30_drug_codes_new.sql), practice_alerts;
--   ndc_542 from 00_report_macros.sql.
-- Example: SELECT code, effective_date, asp_payment_limit FROM (<this query>)
--          WHERE on_your_list IS NULL;

WITH on_list AS (  -- the drug's code, or one of its candidates while it is under REVIEW
    SELECT c.code,
        array_to_string(list_sort(list_distinct(list(
            a.drug_name || CASE WHEN a.verdict = 'REVIEW' THEN ' (review)' ELSE '' END))),
            ', ') AS drugs
    FROM practice_alerts a,
         unnest(CASE WHEN a.verdict = 'REVIEW'
                     THEN string_split(coalesce(a.candidate_codes, ''), ', ')
                     ELSE [a.new_code] END) AS c(code)
    WHERE a.run_id = $run_id AND nullif(c.code, '') IS NOT NULL
    GROUP BY c.code
)
SELECT n.code, n.long_description AS descriptor, n.dose AS billing_unit, n.effective_date,
    n.term_date AS code_ends,
    coalesce(n.asp_payment_limit, n.latest_asp_payment_limit) AS asp_payment_limit,
    CASE WHEN n.asp_payment_limit IS NOT NULL THEN n.quarter
         WHEN n.latest_asp_payment_limit IS NOT NULL THEN n.latest_asp_quarter END AS asp_quarter,
    nullif(array_to_string(list_transform(n.ndc11_list, lambda x: ndc_542(x)), ', '), '') AS ndcs,
    nullif(array_to_string(n.drug_names, ', '), '') AS drug_names,
    n.ndc_count, o.drugs AS on_your_list, n.quarter
FROM drug_codes_new n
LEFT JOIN on_list o ON o.code = n.code
WHERE n.quarter = $quarter
ORDER BY n.code
