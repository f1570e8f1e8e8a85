-- Macros the export SQL shares (TEMP: they live on the reading connection only).
-- Produces: export_date(text) -> DATE: ISO dates fast, then MM/DD/YYYY, YYYYMMDD and the
--   'YYYY-MM-DD 00:00:00' an XLSX date cell reads as; NULL when none fits.
-- From: nothing but its argument.
-- Example: SELECT export_date('10/15/2025'), export_date('2025-10-15 00:00:00');

CREATE OR REPLACE TEMP MACRO export_date(text) AS
    coalesce(try_cast(text AS DATE),
             CAST(try_strptime(text, ['%m/%d/%Y', '%Y%m%d', '%Y-%m-%d %H:%M:%S']) AS DATE));
