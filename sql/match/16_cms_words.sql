-- cms_words: every word CMS uses, in the HCPCS descriptors of releases up to the run's quarter
-- ($quarter, every code, not only drugs) and in the crosswalks' labeler names. A list row's
-- word among them is English CMS writes ("office", "only") or a company ("Amgen"), never an
-- unknown product name beside a brand ("Keytruda Qlex"), and a four-letter one is a word,
-- not a biosimilar suffix.
-- Produces: word (lower case letters, one row per distinct word; 'non-depot' also as the one
--   word 'nondepot', as crosswalk.drug_names joins a negation).
-- From: hcpcs_codes, asp_ndc_crosswalk.
-- Example: SELECT count(*) FROM (<this query>);

SELECT DISTINCT unnest(regexp_extract_all(lower(long_description), '[a-z]+')) AS word
FROM hcpcs_codes WHERE quarter <= $quarter
UNION
SELECT DISTINCT regexp_replace(unnest(regexp_extract_all(lower(long_description),
                                                         '\bnon[- ][a-z]+')), '[- ]', '')
FROM hcpcs_codes WHERE quarter <= $quarter
UNION
SELECT DISTINCT unnest(regexp_extract_all(lower(labeler_name), '[a-z]+'))
FROM asp_ndc_crosswalk WHERE quarter <= $quarter AND labeler_name IS NOT NULL
