-- export_lines: the claim lines of a validated claim-line export (export_rows, staged by
-- crosswalk.claim_exports), typed as claim_lines minus file_id and ndc11, in file order.
-- A claim's lines keep the export's line numbers (or their order in the file when there is
-- no line column); claims are numbered by first appearance; an NDC is reported with N4.
-- Produces: line_seq, claim_seq, claim_id, line_no, source_line, transaction_id,
--   date_of_service, dos_through, place_of_service, hcpcs, modifiers, units, narrative,
--   ndc_raw, ndc_qualifier, ndc_quantity, ndc_unit, prior_auth, payer.
-- From: export_rows.
-- Example: SELECT claim_id, count(*) FROM (<this query>) GROUP BY ALL;

WITH rows AS (
    SELECT *, min(ordinal) OVER (PARTITION BY claim_id) AS claim_first
    FROM export_rows
    WHERE NOT blank
)
SELECT
    CAST(row_number() OVER (ORDER BY ordinal) AS INTEGER) AS line_seq,
    CAST(dense_rank() OVER (ORDER BY claim_first) AS INTEGER) AS claim_seq,
    claim_id,
    CAST(coalesce(try_cast(line AS INTEGER),
                  row_number() OVER (PARTITION BY claim_id ORDER BY ordinal)) AS INTEGER)
        AS line_no,
    CAST(row_no AS INTEGER) AS source_line,
    CAST(NULL AS VARCHAR) AS transaction_id,
    CAST(try_strptime(date_of_service, ['%Y-%m-%d', '%m/%d/%Y', '%Y%m%d',
                                        '%Y-%m-%d %H:%M:%S']) AS DATE) AS date_of_service,
    CAST(NULL AS DATE) AS dos_through,
    lpad(place_of_service, 2, '0') AS place_of_service,
    upper(hcpcs) AS hcpcs,
    coalesce(list_filter(string_split_regex(upper(modifiers), '[ ,;:]+'), lambda m: m <> ''),
             []::VARCHAR[]) AS modifiers,
    CAST(replace(units, ',', '') AS DOUBLE) AS units,
    narrative,
    ndc AS ndc_raw,
    CASE WHEN ndc IS NOT NULL THEN 'N4' END AS ndc_qualifier,
    CAST(replace(ndc_quantity, ',', '') AS DOUBLE) AS ndc_quantity,
    upper(ndc_unit) AS ndc_unit,
    prior_auth,
    payer
FROM rows
ORDER BY ordinal;
