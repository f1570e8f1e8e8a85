-- export_problems: every bad cell of a claim-line export staged as export_rows (by
-- crosswalk.claim_exports), one row per row and field, so the whole file can be refused
-- with each problem named. Blank rows are skipped. Values of structured fields are quoted
-- to help fix them; the narrative is never quoted (it is free text).
-- Produces: row_no, field, reason.
-- From: export_rows (ordinal, row_no, claim_id, line, date_of_service, place_of_service,
--   hcpcs, modifiers, units, narrative, ndc, ndc_quantity, ndc_unit, prior_auth, payer as
--   text; blank).
-- Example: SELECT field, count(*) FROM (<this query>) GROUP BY ALL;

WITH rows AS (
    SELECT *,
        count(*) OVER (PARTITION BY claim_id, line) AS same_line,
        min(row_no) OVER (PARTITION BY claim_id, line) AS first_row
    FROM export_rows
    WHERE NOT blank
),
problems AS (
    SELECT row_no, 'claim_id' AS field, 'no claim id' AS reason FROM rows WHERE claim_id IS NULL
    UNION ALL
    SELECT row_no, 'date_of_service', printf('%s is not a date (use YYYY-MM-DD or MM/DD/YYYY)',
                                             coalesce('''' || date_of_service || '''', 'empty'))
    FROM rows WHERE try_strptime(date_of_service, ['%Y-%m-%d', '%m/%d/%Y', '%Y%m%d',
                                                    '%Y-%m-%d %H:%M:%S']) IS NULL
    UNION ALL
    SELECT row_no, 'hcpcs', printf('%s is not a HCPCS/CPT code (5 letters or digits)',
                                   coalesce('''' || hcpcs || '''', 'empty'))
    FROM rows WHERE NOT coalesce(regexp_full_match(upper(hcpcs), '[A-Z0-9]{5}'), false)
    UNION ALL
    SELECT row_no, 'units', printf('%s is not a number of units',
                                   coalesce('''' || units || '''', 'empty'))
    FROM rows WHERE coalesce(try_cast(replace(units, ',', '') AS DOUBLE) < 0, true)
    UNION ALL
    SELECT row_no, 'line', printf('''%s'' is not a line number', line)
    FROM rows WHERE line IS NOT NULL AND coalesce(try_cast(line AS INTEGER) <= 0, true)
    UNION ALL
    SELECT row_no, 'line', printf('line %s of claim %s is also on row %d', line, claim_id,
                                  first_row)
    FROM rows WHERE line IS NOT NULL AND same_line > 1 AND row_no > first_row
    UNION ALL
    SELECT row_no, 'place_of_service', printf('''%s'' is not a place of service code (2 digits)',
                                              place_of_service)
    FROM rows WHERE place_of_service IS NOT NULL
        AND NOT regexp_full_match(place_of_service, '[0-9]{1,2}')
    UNION ALL
    SELECT row_no, 'modifiers', printf('''%s'' are not modifiers (2 letters or digits each, '
                                       'separated by commas or spaces)', modifiers)
    FROM rows WHERE modifiers IS NOT NULL
        AND NOT regexp_full_match(upper(modifiers), '[A-Z0-9]{2}([ ,;:]+[A-Z0-9]{2})*')
    UNION ALL
    SELECT row_no, 'ndc_quantity', printf('''%s'' is not a quantity', ndc_quantity)
    FROM rows WHERE ndc_quantity IS NOT NULL
        AND coalesce(try_cast(replace(ndc_quantity, ',', '') AS DOUBLE) < 0, true)
    UNION ALL
    SELECT row_no, field, 'undecodable byte(s): the file is neither UTF-8 nor Windows-1252 here'
    FROM (UNPIVOT (SELECT * EXCLUDE (ordinal, blank, same_line, first_row) FROM rows)
          ON COLUMNS(* EXCLUDE row_no) INTO NAME field VALUE cell)
    WHERE contains(cell, chr(65533))
)
SELECT row_no, field, reason FROM problems ORDER BY row_no, field;
