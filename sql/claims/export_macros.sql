-- Macros the export SQL shares (TEMP: they live on the reading connection only).
-- Produces: export_date(text, excel_serials) -> DATE: ISO dates fast, then MM/DD/YYYY, MM/DD/YY
--   (a two-digit year as DuckDB's %y reads it: 00-68 -> 2000-2068, 69-99 -> 1969-1999),
--   YYYYMMDD and the 'YYYY-MM-DD 00:00:00' an XLSX date cell reads as, and a date with its
--   time of day as .NET writes one ('10/15/2025 12:00:00 AM') and Excel saves a date-time
--   cell to CSV ('10/15/2025 0:00'); with excel_serials (a
--   workbook, where a date cell without a date format shows its serial number) five digits
--   are days since 1899-12-30 (45945 = 2025-10-15); NULL when none fits.
--   export_number(text, decimal_comma) -> DOUBLE: '450', '0.5', '1,000' (a thousands comma),
--   and with decimal_comma (a semicolon-delimited file, as Excel writes where the comma is
--   the decimal mark) '2,5' = 2.5; NULL for anything else, '1,000' in such a file included
--   (1000 or 1.0?), so the row is refused rather than read ten times too large.
--   export_ndc_unit(text) -> the 837P unit code (F2, GR, ME, ML, UN) of a unit written as
--   practice systems display it: the code itself, a pick list's 'UN - Unit', or the name
--   ('Milligrams', 'International Units': Epic's NDC unit names); anything else as written
--   (upper case), so NDC_INVALID names it.
--   shown(value, pattern, longest) -> the value quoted for a refusal when it has the shape
--   of the field's values (pattern, at most `longest` characters), else words that do not
--   quote it: a value that does not fit its column may be a patient's name, id or birth
--   date from a shifted row, and refusals reach the terminal, logs and Prefect.
-- From: nothing but their arguments.
-- Example: SELECT export_date('10/15/25', false), export_date('45945', true),
--                 export_ndc_unit('International Units'),
--                 export_number('2,5', true),
--                 shown('CODY', '[0-9/.-]+', 10);

CREATE OR REPLACE TEMP MACRO export_date(text, excel_serials) AS
    CASE WHEN length(text) = 10 AND text[5] = '-' THEN try_cast(text AS DATE)  -- ISO, cheaply
         WHEN excel_serials AND regexp_full_match(text, '[0-9]{5}')
         THEN DATE '1899-12-30' + CAST(text AS INTEGER)
         WHEN regexp_full_match(text, '[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}')
         THEN CAST(try_strptime(text, '%m/%d/%y') AS DATE)
         ELSE coalesce(try_cast(text AS DATE),
                       CAST(try_strptime(text, ['%m/%d/%Y', '%Y%m%d', '%Y-%m-%d %H:%M:%S',
                                                '%m/%d/%Y %I:%M:%S %p', '%m/%d/%Y %H:%M',
                                                '%m/%d/%Y %H:%M:%S']) AS DATE)) END;

CREATE OR REPLACE TEMP MACRO export_number(text, decimal_comma) AS
    CASE WHEN NOT contains(text, ',') THEN try_cast(text AS DOUBLE)
         WHEN decimal_comma AND regexp_full_match(text, '[0-9]*,[0-9]+')
              AND NOT regexp_full_match(text, '[0-9]{1,3},[0-9]{3}')
         THEN try_cast(replace(text, ',', '.') AS DOUBLE)
         WHEN NOT decimal_comma AND regexp_full_match(text, '[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?')
         THEN try_cast(replace(text, ',', '') AS DOUBLE) END;

CREATE OR REPLACE TEMP MACRO export_ndc_unit(text) AS
    CASE WHEN length(text) = 2 THEN upper(text)
         WHEN regexp_matches(text, '^(?i)(F2|GR|ME|ML|UN)\b') THEN upper(left(text, 2))
         ELSE CASE regexp_replace(lower(text), '[^a-z]', '', 'g')
                   WHEN 'milligram' THEN 'ME' WHEN 'milligrams' THEN 'ME'
                   WHEN 'gram' THEN 'GR' WHEN 'grams' THEN 'GR'
                   WHEN 'milliliter' THEN 'ML' WHEN 'milliliters' THEN 'ML'
                   WHEN 'millilitre' THEN 'ML' WHEN 'millilitres' THEN 'ML'
                   WHEN 'internationalunit' THEN 'F2' WHEN 'internationalunits' THEN 'F2'
                   WHEN 'unit' THEN 'UN' WHEN 'units' THEN 'UN'
                   ELSE upper(text) END END;

CREATE OR REPLACE TEMP MACRO shown(value, pattern, longest) AS
    CASE WHEN value IS NULL THEN 'empty'
         WHEN length(value) <= longest AND regexp_full_match(value, pattern)
         THEN '''' || value || ''''
         ELSE 'the value (not shown: it does not look like one, and may be a patient''s)' END;
