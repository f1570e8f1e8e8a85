-- hcpcs_history: one row per code (or modifier) across every loaded release, as a validity
-- interval: valid_from = ADD DT (ACT EFF DT when ADD DT is blank), valid_to = TERM DT, and
-- replaced_by = the successor code(s) from XREF1-5. Dates and descriptors come from the newest
-- release that lists the code.
-- Produces: code, is_modifier, long_description, short_description, valid_from, valid_to,
--   replaced_by (first XREF), replaced_by_codes (all XREFs), add_date, action_eff_date,
--   term_date, first_seen_quarter, last_seen_quarter, releases_seen, in_current_release.
-- From: hcpcs_codes.
-- Example: which codes ended and what replaces them?
--   SELECT code, valid_to, replaced_by, long_description FROM hcpcs_history
--   WHERE valid_to IS NOT NULL AND replaced_by IS NOT NULL ORDER BY valid_to DESC;

CREATE OR REPLACE VIEW hcpcs_history AS
WITH latest_row AS (
    SELECT *,
        list_filter([xref1, xref2, xref3, xref4, xref5],
                    lambda x: nullif(trim(x), '') IS NOT NULL) AS xrefs,
        count(*) OVER (PARTITION BY code, is_modifier) AS releases_seen,
        min(quarter) OVER (PARTITION BY code, is_modifier) AS first_seen_quarter
    FROM hcpcs_codes
    QUALIFY quarter = max(quarter) OVER (PARTITION BY code, is_modifier)
)
SELECT
    code,
    is_modifier,
    long_description,
    short_description,
    coalesce(add_date, action_eff_date) AS valid_from,
    term_date AS valid_to,
    list_transform(xrefs, lambda x: trim(x))[1] AS replaced_by,
    list_transform(xrefs, lambda x: trim(x)) AS replaced_by_codes,
    add_date,
    action_eff_date,
    term_date,
    first_seen_quarter,
    quarter AS last_seen_quarter,
    releases_seen,
    quarter = (SELECT max(quarter) FROM hcpcs_codes) AS in_current_release
FROM latest_row;
