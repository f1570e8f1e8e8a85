-- Report macros (TEMP: the report leaves the database as it found it).
-- Produces: ndc_542(ndc11) ('73150015006' -> '73150-0150-06', the form printed on labels and
--           reports; anything that is not 11 digits is returned as stored),
--           verdict_urgency(verdict) (PAST_DUE 1, NEW_CODE 2, CODE_ENDED 3, REVIEW 4,
--           NO_CODE_YET 5: the order a billing lead works through them),
--           csv_text(text) (text starting with = + - @ tab or CR gets a leading apostrophe, so a
--           spreadsheet opening the csv export shows it instead of running it as a formula).
-- From: nothing but their arguments.
-- Example: SELECT drug_name, ndc_542(ndc11) AS ndc FROM practice_alerts
--          ORDER BY verdict_urgency(verdict), drug_name;

CREATE OR REPLACE TEMP MACRO ndc_542(ndc11) AS
    CASE WHEN regexp_full_match(ndc11, '[0-9]{11}')
         THEN substr(ndc11, 1, 5) || '-' || substr(ndc11, 6, 4) || '-' || substr(ndc11, 10, 2)
         ELSE ndc11 END;

CREATE OR REPLACE TEMP MACRO verdict_urgency(verdict) AS
    list_position(['PAST_DUE', 'NEW_CODE', 'CODE_ENDED', 'REVIEW', 'NO_CODE_YET'], verdict);

CREATE OR REPLACE TEMP MACRO csv_text(text) AS
    CASE WHEN regexp_matches(text, '^[=+\-@\t\r]') THEN chr(39) || text ELSE text END;
