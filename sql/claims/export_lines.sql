-- export_lines: the claim lines of a claim-line export (export_rows, staged by
-- crosswalk.claim_exports), typed as claim_lines minus file_id and ndc11, each with the
-- problems of its row: one read of the file, row by row, so DuckDB streams it in batches
-- and the reader refuses the file (every bad row named) once it has seen them all. A
-- problem quotes a value only when it has the shape of its field's values (shown(): a date
-- that does not exist, units with a letter); anything else may be a patient's detail in the
-- wrong column and is never quoted; the narrative never is.
-- Columns joined as the 837P joins them: modifiers from the modifiers cell and the Mod 1..4
-- columns; the narrative from the description and the drug description ('; ').
-- line_seq is the row's order among the file's rows (DuckDB's CSV path leaves it and
-- source_line NULL: the reader numbers its batches, which a row_number() window would make
-- single-threaded); claim_seq (and line_no when the
-- export has no line column) are numbered once the lines are stored
-- (sql/claims/03_number_lines.sql), as is a line number repeated within a claim
-- (04_repeated_lines.sql). An NDC is reported with N4 ('N450242015001', the qualifier
-- printed before it as on a CMS-1500, is the NDC 50242015001). A date of service before 2000
-- is no claim's (a birth date in the wrong column, or a year read as 0025): refused. In a
-- workbook five digits in the date column are an Excel serial (45945 = 2025-10-15). A code
-- printed with its modifiers ('J3590-JZ', 'J2350 JZ 59', 'J3590JZ') is split into both; a
-- code printed with its name ('J3590 - UNCLASSIFIED BIOLOGICS') is the code, the name joined
-- to the narrative; a place of service with its name ('11 - Office') is the code. An NDC
-- cell holding the CMS-1500 item 24A shaded area ('N450242015001 UN2': qualifier, NDC, unit,
-- quantity) gives the unit and quantity where their columns are empty. An NDC unit written
-- as a name ('Milligrams') is its code (export_ndc_unit). A To date after the date of
-- service is the range's last day (dos_through), as RD8's.
-- A report's own lines are not service lines (not_a_line: the reader leaves them out with
-- a note): the header repeated at a page break (claim id, date and code cells equal to the
-- header's), and a line with no date, no code (or 'Total' there), nothing but numbers in
-- units and quantities (or a formula: a biller's =SUM row) and no other cell, whose claim
-- id cell is empty, a title alone, or says Total, Page 2, Prepared by, Printed,
-- Confidential, End of report; and a row whose line_type (CollaborateMD's 'Charge or
-- Debit?') says debit, payment, adjustment, credit, refund or write-off.
-- Produces: line_seq, claim_seq, claim_id, line_no, source_line, transaction_id,
--   date_of_service, dos_through, place_of_service, hcpcs, modifiers, units, narrative,
--   ndc_raw, ndc_qualifier, ndc_quantity, ndc_unit, prior_auth, payer, not_a_line, blank (a row
--   whose every cell is empty: the reader drops it without a word),
--   problems ('field<TAB>reason' lines; NULL for a good row). Modifiers travel comma-separated, as in LINE_SCHEMA.
-- From: export_rows (with the file's decimal_comma, excel_serials and header_claim_id,
--   header_date_of_service, header_hcpcs); export_date(), export_number(), shown() from
--   export_macros.sql.
-- Registered: export_rows
-- Example: SELECT source_line, problems FROM (<this query>) WHERE len(problems) > 0;

WITH unglued AS (
    -- 'J3590-JZ', 'J2350 JZ 59', 'J3590JZ': the code with its modifiers printed on;
    -- 'J3590 - UNCLASSIFIED BIOLOGICS': the code with its name
    SELECT * REPLACE (
            CASE WHEN glued OR named THEN left(hcpcs, 5) ELSE hcpcs END AS hcpcs,
            CASE WHEN regexp_matches(place_of_service, '[A-Za-z]')
                 THEN coalesce(nullif(regexp_extract(place_of_service,
                                                     '^([0-9]{1,2}) *[-:]? *[A-Za-z][^0-9]*$',
                                                     1), ''), place_of_service)
                 ELSE place_of_service END AS place_of_service),
        CASE WHEN glued THEN regexp_replace(trim(substr(hcpcs, 6), ' :-'), '[ :-]+', ',', 'g')
             END AS glued_modifiers,
        CASE WHEN named THEN trim(substr(hcpcs, 6), ' :-') END AS code_name
    FROM (SELECT *, CASE WHEN length(hcpcs) > 5  -- a code alone needs no regex (most rows)
                         THEN regexp_full_match(hcpcs, '([A-Za-z][0-9]{4}|[0-9]{4}[A-Za-z0-9])'
                                                || '([ :-]*[A-Za-z0-9]{2}){1,4}')
                         ELSE false END AS glued,
                 CASE WHEN length(hcpcs) > 8
                      THEN regexp_full_match(hcpcs, '([A-Za-z][0-9]{4}|[0-9]{4}[A-Za-z0-9])'
                                             || ' *[-:] *[A-Za-z].*[A-Za-z]{3}.*')
                      ELSE false END AS named
          FROM export_rows)
),
report_lines AS (
    -- a report's title, page, totals or repeated header lines between the service lines
    SELECT *,
        coalesce(claim_id = header_claim_id AND date_of_service = header_date_of_service
                 AND hcpcs = header_hcpcs, false)
        OR CASE WHEN date_of_service IS NOT NULL THEN false ELSE coalesce(
            (hcpcs IS NULL OR regexp_matches(hcpcs, '(?i)\btotals?\b'))
            AND coalesce(modifiers, modifier_1, modifier_2, modifier_3, modifier_4,
                         place_of_service, ndc, ndc_unit, prior_auth, payer) IS NULL
            AND list_bool_and(list_transform([units, ndc_quantity, line], lambda cell:
                    coalesce(regexp_full_match(cell, '[0-9 $.,%]*|=.*'), true)))
            AND (claim_id IS NULL
                 OR regexp_matches(claim_id, '(?i)\btotals?\b|^page\s+[0-9]|prepared by|'
                                   || 'printed|confidential|end of report|^report\b')
                 OR coalesce(units, ndc_quantity, line, hcpcs) IS NULL), false) END
            OR coalesce(regexp_matches(line_type, '(?i)debit|payment|adjust|credit|refund|'
                                       || 'write.?off'), false)
            AS not_a_line
    FROM unglued
),
joined AS (
    SELECT *,
        nullif(concat_ws(',', glued_modifiers, modifiers, modifier_1, modifier_2, modifier_3,
                         modifier_4), '') AS all_modifiers,
        CASE WHEN narrative = drug_description THEN concat_ws('; ', narrative, code_name)
             ELSE nullif(concat_ws('; ', narrative, drug_description, code_name), '') END
            AS text,
        -- 'N450242015001 UN2': the CMS-1500 item 24A shaded area in the NDC cell
        CASE WHEN length(ndc) > 13 AND regexp_matches(ndc, '^[Nn]4')
             THEN regexp_extract(upper(ndc), '^N4[ :-]*([0-9][0-9 -]*[0-9]) *(F2|GR|ME|ML|UN)'
                                 || ' *([0-9]*\.?[0-9]+)$', ['ndc', 'unit', 'quantity'])
             END AS shaded
    FROM report_lines
),
typed AS (
    SELECT * REPLACE (
            coalesce(nullif(shaded.ndc, ''), ndc) AS ndc,
            coalesce(ndc_quantity, nullif(shaded.quantity, '')) AS ndc_quantity,
            export_ndc_unit(coalesce(ndc_unit, nullif(shaded.unit, ''))) AS ndc_unit),
        export_date(date_of_service, excel_serials) AS dos,
        export_date(dos_through, excel_serials) AS through,
        export_number(units, decimal_comma) AS units_number,
        try_cast(line AS INTEGER) AS line_number,
        export_number(coalesce(ndc_quantity, nullif(shaded.quantity, '')), decimal_comma)
            AS quantity
    FROM joined
),
checked AS (
    SELECT *,
        claim_id IS NOT NULL AS claim_ok,
        coalesce(dos >= DATE '2000-01-01', false) AS date_ok,
        dos_through IS NULL OR coalesce(through >= dos, false) AS through_ok,
        coalesce(length(hcpcs) = 5 AND NOT regexp_matches(hcpcs, '[^A-Za-z0-9]'), false)
            AS code_ok,
        coalesce(isfinite(units_number) AND units_number >= 0, false) AS units_ok,
        line IS NULL OR coalesce(line_number > 0, false) AS line_ok,
        place_of_service IS NULL OR (length(place_of_service) <= 2
                                     AND NOT regexp_matches(place_of_service, '[^0-9]'))
            AS pos_ok,
        all_modifiers IS NULL
            OR regexp_full_match(upper(all_modifiers), '[A-Z0-9]{2}([ ,;:]+[A-Z0-9]{2})*')
            AS modifiers_ok,
        ndc_quantity IS NULL OR coalesce(isfinite(quantity) AND quantity >= 0, false)
            AS quantity_ok
    FROM typed
)
SELECT
    CAST(ordinal AS INTEGER) AS line_seq,
    CAST(NULL AS INTEGER) AS claim_seq,
    claim_id,
    line_number AS line_no,
    CAST(row_no AS INTEGER) AS source_line,
    CAST(NULL AS VARCHAR) AS transaction_id,
    dos AS date_of_service,
    CASE WHEN through > dos THEN through END AS dos_through,
    lpad(place_of_service, 2, '0') AS place_of_service,
    upper(hcpcs) AS hcpcs,
    regexp_replace(upper(all_modifiers), '[ ,;:]+', ',', 'g') AS modifiers,
    units_number AS units,
    text AS narrative,
    -- 'N450242015001': the qualifier printed before the NDC, as on a CMS-1500's item 24
    CASE WHEN upper(left(ndc, 2)) = 'N4' AND regexp_matches(ndc, '^[Nn]4[ :-]?[0-9]') THEN ltrim(substr(ndc, 3), ' :-')
         ELSE ndc END AS ndc_raw,
    CASE WHEN ndc IS NOT NULL THEN 'N4' END AS ndc_qualifier,
    quantity AS ndc_quantity,
    ndc_unit,
    prior_auth,
    payer,
    not_a_line,
    blank,
    CASE WHEN NOT blank AND NOT not_a_line AND NOT (claim_ok AND date_ok AND through_ok
                   AND code_ok AND units_ok AND line_ok AND pos_ok AND modifiers_ok
                   AND quantity_ok)
    THEN array_to_string(list_filter([
        CASE WHEN NOT claim_ok THEN 'claim_id' || chr(9) || 'no claim id' END,
        CASE WHEN NOT date_ok AND dos IS NOT NULL
             THEN 'date_of_service' || chr(9) || 'the date is before 2000: not a date of '
                  || 'service (a birth date in the wrong column, or a year written short?)'
             WHEN NOT date_ok
             THEN 'date_of_service' || chr(9) || shown(date_of_service, '[0-9/. -]+', 10)
                  || ' is not a date (use YYYY-MM-DD or MM/DD/YYYY)' END,
        CASE WHEN NOT through_ok AND through IS NOT NULL
             THEN 'dos_through' || chr(9) || 'the To date is before the date of service'
             WHEN NOT through_ok
             THEN 'dos_through' || chr(9) || shown(dos_through, '[0-9/. -]+', 10)
                  || ' is not a date (use YYYY-MM-DD or MM/DD/YYYY)' END,
        CASE WHEN NOT code_ok
             THEN 'hcpcs' || chr(9)
                  || shown(hcpcs, '[A-Za-z]{0,6}[0-9][A-Za-z0-9.-]*', 7)
                  || ' is not a HCPCS/CPT code (5 letters or digits)' END,
        CASE WHEN NOT units_ok
             THEN 'units' || chr(9) || shown(units, '[0-9.,+() -]+', 12)
                  || ' is not a number of units'
                  || CASE WHEN regexp_matches(units, '^ *[(-] *[0-9]')
                          THEN ' (a negative: a reversed or credited charge, not a service '
                               || 'line; export the charges without their reversals)'
                          WHEN contains(units, ',') THEN ' (a comma groups thousands, or is '
                          || 'the decimal mark in a semicolon-delimited file: write 1000 or '
                          || '2.5 without grouping)' ELSE '' END END,
        CASE WHEN NOT line_ok
             THEN 'line' || chr(9) || shown(line, '[0-9.,+ -]+', 8)
                  || ' is not a line number' END,
        CASE WHEN NOT pos_ok
             THEN 'place_of_service' || chr(9)
                  || shown(place_of_service, '[A-Za-z]{0,3}[0-9][A-Za-z0-9]*', 4)
                  || ' is not a place of service code (2 digits)' END,
        CASE WHEN NOT modifiers_ok
             THEN 'modifiers' || chr(9)
                  || shown(all_modifiers, '([A-Za-z0-9]{1,2}|[A-Za-z]?[0-9][A-Za-z0-9]?)'
                           || '([ ,;:]+([A-Za-z0-9]{1,2}|[A-Za-z]?[0-9][A-Za-z0-9]?))*', 20)
                  || ' are not modifiers (2 letters or digits each, separated by commas or '
                  || 'spaces)' END,
        CASE WHEN NOT quantity_ok
             THEN 'ndc_quantity' || chr(9) || shown(ndc_quantity, '[0-9.,+ -]+', 12)
                  || ' is not a quantity' END
    ], lambda p: p IS NOT NULL), chr(10)) END AS problems
FROM checked;
