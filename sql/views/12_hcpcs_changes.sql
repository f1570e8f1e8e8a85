-- hcpcs_changes: what changed in each loaded HCPCS release, found by diffing our own snapshots
-- against the previous LOADED release (not the previous calendar quarter, and never from ACTION
-- CD, which CMS accumulates over a whole year). The first loaded release is the baseline and
-- has no rows. One row per release, code and kind of change; a code can have several (a new
-- dose unit is also a descriptor change). `compared_with` names the release diffed against
-- and `quarters_skipped` how many quarters lie between them unloaded: with 2020Q1 and 2025Q4
-- loaded alone, 2025Q4's changes are everything since 2020Q1, and the columns say so.
-- Produces: quarter, compared_with, quarters_skipped, code, is_modifier, change, old_value,
--   new_value, effective_date, in_release, long_description. change is one of:
--   added              code not in the previous release       (new_value = long description)
--   discontinued       TERM DT newly set, or the code left     (new_value = TERM DT; NULL when
--                      the file without ever having one          the code just vanished)
--   reactivated        TERM DT cleared                         (old_value = the old TERM DT)
--   descriptor_changed long description differs (whitespace   (old/new long description)
--                      runs ignored)
--   dose_unit_changed  drug codes only (is_drug_code): the      (old/new dose, e.g. 10 mg -> 1 mg)
--                      dose part (hcpcs_dose) differs beyond
--                      spelling (dose_key: 'per 1mg' = '1 mg')
--   removed            a code already terminated left the file (old_value = its TERM DT)
--   effective_date is the date the change applies from: ADD DT for added, TERM DT for
--   discontinued, ACT EFF DT otherwise.
-- From: hcpcs_codes (macros in 00_functions.sql).
-- Example: SELECT code, change, old_value, new_value, effective_date FROM hcpcs_changes
--          WHERE quarter = '2025Q4' AND code LIKE 'J%' ORDER BY change, code;

CREATE OR REPLACE VIEW hcpcs_changes AS
WITH releases AS (
    SELECT quarter, lag(quarter) OVER (ORDER BY quarter) AS compared_with
    FROM (SELECT DISTINCT quarter FROM hcpcs_codes)
),
snapshot AS (
    SELECT quarter, code, is_modifier, long_description, add_date, action_eff_date, term_date,
        regexp_replace(trim(long_description), '\s+', ' ', 'g') AS descriptor,
        hcpcs_dose(long_description) AS dose
    FROM hcpcs_codes
),
after AS (
    SELECT r.quarter, r.compared_with, s.* EXCLUDE (quarter)
    FROM releases r JOIN snapshot s ON s.quarter = r.quarter
    WHERE r.compared_with IS NOT NULL
),
before AS (
    SELECT r.quarter, r.compared_with, s.* EXCLUDE (quarter)
    FROM releases r JOIN snapshot s ON s.quarter = r.compared_with
),
paired AS (
    SELECT
        coalesce(a.quarter, b.quarter) AS quarter,
        coalesce(a.compared_with, b.compared_with) AS compared_with,
        coalesce(a.code, b.code) AS code,
        coalesce(a.is_modifier, b.is_modifier) AS is_modifier,
        a.code IS NOT NULL AS in_release,
        b.code IS NOT NULL AS in_previous,
        b.long_description AS old_long_description, a.long_description AS new_long_description,
        b.descriptor AS old_descriptor, a.descriptor AS new_descriptor,
        b.dose AS old_dose, a.dose AS new_dose,
        b.term_date AS old_term_date, a.term_date AS new_term_date,
        a.add_date, a.action_eff_date
    FROM after a
    FULL JOIN before b
        ON a.quarter = b.quarter AND a.code = b.code AND a.is_modifier = b.is_modifier
),
changes AS (
    SELECT *, 'added' AS change, NULL AS old_value, new_long_description AS new_value,
        coalesce(add_date, action_eff_date) AS effective_date
    FROM paired WHERE in_release AND NOT in_previous
    UNION ALL
    SELECT *, 'discontinued', NULL, CAST(new_term_date AS VARCHAR), new_term_date
    FROM paired
    WHERE in_previous AND old_term_date IS NULL AND (new_term_date IS NOT NULL OR NOT in_release)
    UNION ALL
    SELECT *, 'removed', CAST(old_term_date AS VARCHAR), NULL, NULL
    FROM paired WHERE in_previous AND NOT in_release AND old_term_date IS NOT NULL
    UNION ALL
    SELECT *, 'reactivated', CAST(old_term_date AS VARCHAR), NULL, action_eff_date
    FROM paired
    WHERE in_release AND in_previous AND old_term_date IS NOT NULL AND new_term_date IS NULL
    UNION ALL
    SELECT *, 'descriptor_changed', old_long_description, new_long_description, action_eff_date
    FROM paired WHERE in_release AND in_previous AND old_descriptor <> new_descriptor
    UNION ALL
    SELECT *, 'dose_unit_changed', old_dose, new_dose, action_eff_date
    FROM paired
    WHERE in_release AND in_previous AND is_drug_code(code, new_long_description)
      AND NOT is_modifier
      AND dose_key(old_dose) IS DISTINCT FROM dose_key(new_dose)
)
SELECT quarter, compared_with,
    CAST(date_diff('month', quarter_first_day(compared_with), quarter_first_day(quarter)) / 3
         - 1 AS INTEGER) AS quarters_skipped,
    code, is_modifier, change, old_value, new_value,
    effective_date, in_release,
    coalesce(new_long_description, old_long_description) AS long_description
FROM changes;
