-- HCPCS alpha-numeric fixed-width TXT: one row per code or modifier, continuations folded.
-- Produces: hcpcs_txt_codes (the hcpcs_codes columns minus quarter/source_*, dates still as
--   YYYYMMDD text so the reader can name a bad one, plus line_no of the first record) and
--   hcpcs_txt_orphans (continuation records not preceded by a first record of the same code).
-- From: hcpcs_lines(line_no, line), the decoded file split into lines by
--   crosswalk.readers.hcpcs. Records are recognised by position (code 1-5, SEQNUM 6-10,
--   RECID 11), so disclaimer lines above the first record are left out.
-- Layout (1-based): code 1-5 (modifiers: 3 spaces + 2 chars), SEQNUM 6-10, RECID 11
--   (3 code, 4 code continuation, 7 modifier, 8 modifier continuation), long description
--   12-91, short description 92-119, pricing indicators 120-127, MULT_PI 128, XREF 205-229,
--   coverage 230, ASC group 231-232, BETOS 257-259, TOS 261-265, anesthesia BU 266-268,
--   ADD DT 269-276, ACT EFF DT 277-284, TERM DT 285-292, ACTION CD 293.
-- Folding: CMS word-wraps long descriptions at 80 characters, so a chunk that ends in
--   spaces is trimmed and joined with one space; a full chunk (80 characters, last one not a
--   space) was cut mid-word and is joined as is.
-- Registered: hcpcs_lines
-- Example: SELECT code, long_description, add_date FROM hcpcs_txt_codes WHERE code = 'J3590';

CREATE OR REPLACE TEMP TABLE hcpcs_txt_records AS
SELECT line_no,
       rpad(line, 320, ' ')  AS line,
       substr(line, 1, 5)    AS code_field,
       substr(line, 11, 1)   AS recid,
       substr(line, 12, 80)  AS chunk,
       max(CASE WHEN substr(line, 11, 1) IN ('3', '7') THEN line_no END)
           OVER (ORDER BY line_no ROWS UNBOUNDED PRECEDING) AS first_line
FROM hcpcs_lines
WHERE regexp_full_match(substr(line, 1, 11), '(?:[A-Z0-9]{5}|   [A-Z0-9]{2})[0-9]{5}[3478]');

CREATE OR REPLACE TEMP TABLE hcpcs_txt_orphans AS
SELECT c.line_no, c.code_field, f.code_field AS follows
FROM hcpcs_txt_records c
LEFT JOIN hcpcs_txt_records f ON f.line_no = c.first_line
WHERE c.recid IN ('4', '8')
  AND (f.line_no IS NULL OR f.code_field <> c.code_field OR (c.recid = '8') <> (f.recid = '7'));

CREATE OR REPLACE TEMP TABLE hcpcs_txt_codes AS
WITH folded AS (
    SELECT first_line,
           rtrim(string_agg(CASE WHEN length(chunk) = 80 AND right(chunk, 1) <> ' ' THEN chunk
                                 ELSE rtrim(chunk) || ' ' END, '' ORDER BY line_no))
               AS long_description
    FROM hcpcs_txt_records
    GROUP BY first_line
)
SELECT r.line_no,
       trim(r.code_field)                           AS code,
       r.recid = '7'                                AS is_modifier,
       substr(r.line, 6, 5)                         AS seq_num,
       f.long_description,
       nullif(trim(substr(r.line, 92, 28)), '')     AS short_description,
       nullif(trim(substr(r.line, 120, 2)), '')     AS price_cd1,
       nullif(trim(substr(r.line, 122, 2)), '')     AS price_cd2,
       nullif(trim(substr(r.line, 124, 2)), '')     AS price_cd3,
       nullif(trim(substr(r.line, 126, 2)), '')     AS price_cd4,
       nullif(trim(substr(r.line, 128, 1)), '')     AS multi_pi,
       nullif(trim(substr(r.line, 205, 5)), '')     AS xref1,
       nullif(trim(substr(r.line, 210, 5)), '')     AS xref2,
       nullif(trim(substr(r.line, 215, 5)), '')     AS xref3,
       nullif(trim(substr(r.line, 220, 5)), '')     AS xref4,
       nullif(trim(substr(r.line, 225, 5)), '')     AS xref5,
       nullif(trim(substr(r.line, 230, 1)), '')     AS coverage,
       nullif(trim(substr(r.line, 231, 2)), '')     AS asc_group,
       nullif(trim(substr(r.line, 257, 3)), '')     AS betos,
       nullif(trim(substr(r.line, 261, 1)), '')     AS tos1,
       nullif(trim(substr(r.line, 262, 1)), '')     AS tos2,
       nullif(trim(substr(r.line, 263, 1)), '')     AS tos3,
       nullif(trim(substr(r.line, 264, 1)), '')     AS tos4,
       nullif(trim(substr(r.line, 265, 1)), '')     AS tos5,
       nullif(trim(substr(r.line, 266, 3)), '')     AS anest_bu,
       substr(r.line, 269, 8)                       AS add_date,
       substr(r.line, 277, 8)                       AS action_eff_date,
       substr(r.line, 285, 8)                       AS term_date,
       nullif(trim(substr(r.line, 293, 1)), '')     AS action_cd
FROM hcpcs_txt_records r
JOIN folded f ON f.first_line = r.line_no
WHERE r.recid IN ('3', '7')
ORDER BY r.line_no;
