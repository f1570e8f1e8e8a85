-- export_lines: the claim lines of a claim-line export (export_rows, staged by
-- crosswalk.claim_exports), typed as claim_lines minus file_id and ndc11, each with the
-- problems of its row: one read of the file, row by row, so DuckDB streams it in batches
-- and the reader refuses the file (every bad row named) once it has seen them all. Values
-- of structured fields are quoted in a problem to help fix them; the narrative never is.
-- line_seq is the row's order among the file's rows; claim_seq (and line_no when the
-- export has no line column) are numbered once the lines are stored
-- (sql/claims/03_number_lines.sql), as is a line number repeated within a claim
-- (04_repeated_lines.sql). An NDC is reported with N4.
-- Produces: line_seq, claim_seq, claim_id, line_no, source_line, transaction_id,
--   date_of_service, dos_through, place_of_service, hcpcs, modifiers, units, narrative,
--   ndc_raw, ndc_qualifier, ndc_quantity, ndc_unit, prior_auth, payer, problems ('field<TAB>
--   reason' lines; NULL for a good row). Modifiers travel comma-separated, as in LINE_SCHEMA.
-- From: export_rows; export_date() from export_macros.sql.
-- Example: SELECT source_line, problems FROM (<this query>) WHERE len(problems) > 0;

WITH typed AS (
    SELECT *,
        export_date(date_of_service) AS dos,
        try_cast(replace(units, ',', '') AS DOUBLE) AS units_number,
        try_cast(line AS INTEGER) AS line_number,
        try_cast(replace(ndc_quantity, ',', '') AS DOUBLE) AS quantity
    FROM export_rows
    WHERE NOT blank
),
checked AS (
    SELECT *,
        claim_id IS NOT NULL AS claim_ok,
        dos IS NOT NULL AS date_ok,
        coalesce(length(hcpcs) = 5 AND NOT regexp_matches(hcpcs, '[^A-Za-z0-9]'), false)
            AS code_ok,
        coalesce(units_number >= 0, false) AS units_ok,
        line IS NULL OR coalesce(line_number > 0, false) AS line_ok,
        place_of_service IS NULL OR (length(place_of_service) <= 2
                                     AND NOT regexp_matches(place_of_service, '[^0-9]'))
            AS pos_ok,
        modifiers IS NULL
            OR regexp_full_match(upper(modifiers), '[A-Z0-9]{2}([ ,;:]+[A-Z0-9]{2})*')
            AS modifiers_ok,
        ndc_quantity IS NULL OR coalesce(quantity >= 0, false) AS quantity_ok
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
    CAST(NULL AS DATE) AS dos_through,
    lpad(place_of_service, 2, '0') AS place_of_service,
    upper(hcpcs) AS hcpcs,
    regexp_replace(upper(modifiers), '[ ,;:]+', ',', 'g') AS modifiers,
    units_number AS units,
    narrative,
    ndc AS ndc_raw,
    CASE WHEN ndc IS NOT NULL THEN 'N4' END AS ndc_qualifier,
    quantity AS ndc_quantity,
    upper(ndc_unit) AS ndc_unit,
    prior_auth,
    payer,
    CASE WHEN NOT (claim_ok AND date_ok AND code_ok AND units_ok AND line_ok AND pos_ok
                   AND modifiers_ok AND quantity_ok)
    THEN array_to_string(list_filter([
        CASE WHEN NOT claim_ok THEN 'claim_id' || chr(9) || 'no claim id' END,
        CASE WHEN NOT date_ok
             THEN 'date_of_service' || chr(9) || coalesce('''' || date_of_service || '''',
                  'empty') || ' is not a date (use YYYY-MM-DD or MM/DD/YYYY)' END,
        CASE WHEN NOT code_ok
             THEN 'hcpcs' || chr(9) || coalesce('''' || hcpcs || '''', 'empty')
                  || ' is not a HCPCS/CPT code (5 letters or digits)' END,
        CASE WHEN NOT units_ok
             THEN 'units' || chr(9) || coalesce('''' || units || '''', 'empty')
                  || ' is not a number of units' END,
        CASE WHEN NOT line_ok
             THEN 'line' || chr(9) || '''' || line || ''' is not a line number' END,
        CASE WHEN NOT pos_ok
             THEN 'place_of_service' || chr(9) || '''' || place_of_service
                  || ''' is not a place of service code (2 digits)' END,
        CASE WHEN NOT modifiers_ok
             THEN 'modifiers' || chr(9) || '''' || modifiers || ''' are not modifiers (2 '
                  || 'letters or digits each, separated by commas or spaces)' END,
        CASE WHEN NOT quantity_ok
             THEN 'ndc_quantity' || chr(9) || '''' || ndc_quantity || ''' is not a quantity' END
    ], lambda p: p IS NOT NULL), chr(10)) END AS problems
FROM checked;
