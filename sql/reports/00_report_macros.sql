-- Report macros (TEMP: the report leaves the database as it found it).
-- Produces: ndc_542(ndc11) ('73150015006' -> '73150-0150-06', the form printed on labels and
--           reports; anything that is not 11 digits is returned as stored),
--           verdict_urgency(verdict) (verdicts.urgency: PAST_DUE 1, NEW_CODE 2, ... the order
--           a billing lead works through them, declared in crosswalk/verdicts.py),
--           csv_text(text) (text starting with = + - @ tab or CR gets a leading apostrophe, so a
--           spreadsheet opening the csv export shows it instead of running it as a formula).
-- From: their arguments, and the verdicts table.
-- Example: SELECT drug_name, ndc_542(ndc11) AS ndc FROM practice_alerts
--          ORDER BY verdict_urgency(verdict), drug_name;

CREATE OR REPLACE TEMP MACRO ndc_542(ndc11) AS
    CASE WHEN regexp_full_match(ndc11, '[0-9]{11}')
         THEN substr(ndc11, 1, 5) || '-' || substr(ndc11, 6, 4) || '-' || substr(ndc11, 10, 2)
         ELSE ndc11 END;

CREATE OR REPLACE TEMP MACRO verdict_urgency(verdict_name) AS
    (SELECT urgency FROM verdicts WHERE name = verdict_name);

CREATE OR REPLACE TEMP MACRO csv_text(text) AS
    CASE WHEN regexp_matches(text, '^[=+\-@\t\r]') THEN chr(39) || text ELSE text END;
