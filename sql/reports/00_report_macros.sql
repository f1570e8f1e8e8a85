-- Report macros (TEMP: the report leaves the database as it found it).
-- Produces: ndc_542(ndc11) ('73150015006' -> '73150-0150-06', the form printed on labels and
--           reports; anything that is not 11 digits is returned as stored),
--           verdict_urgency(verdict) (verdicts.urgency: PAST_DUE 1, NEW_CODE 2, ... the order
--           a billing lead works through them, declared in crosswalk/verdicts.py),
--           csv_text(text) (text starting with = + - @ tab or CR gets a leading apostrophe, so a
--           spreadsheet opening the csv export shows it instead of running it as a formula),
--           on_alerts_sheet(verdict, hints), payment_per_dose(limit, units),
--           list_file_name(path), list_drug_key(name, ndc_raw, code, payer), and the table
--           macros earlier_runs(run) and alerts_since(run) ("new in" / "open since" a quarter).
--           crosswalk.reports also registers the Python function noc_narrative(drug_name,
--           brand_name, dose, route, ndc11, ndc_unit, ndc_quantity) -> STRUCT(text, sv101_7,
--           nte, placement) (crosswalk/noc_narrative.py).
-- From: their arguments; verdicts, match_runs, practice_drugs, practice_alerts.
-- Example: SELECT drug_name, ndc_542(ndc11) AS ndc FROM practice_alerts
--          ORDER BY verdict_urgency(verdict), drug_name;
--   SELECT a.drug_name, s.open_since FROM practice_alerts a
--   JOIN alerts_since(7) s USING (row_no) WHERE a.run_id = 7;

CREATE OR REPLACE TEMP MACRO ndc_542(ndc11) AS
    CASE WHEN regexp_full_match(ndc11, '[0-9]{11}')
         THEN substr(ndc11, 1, 5) || '-' || substr(ndc11, 6, 4) || '-' || substr(ndc11, 10, 2)
         ELSE ndc11 END;

CREATE OR REPLACE TEMP MACRO verdict_urgency(verdict_name) AS
    (SELECT urgency FROM verdicts WHERE name = verdict_name);

CREATE OR REPLACE TEMP MACRO csv_text(text) AS
    CASE WHEN regexp_matches(text, '^[=+\-@\t\r]') THEN chr(39) || text ELSE text END;

-- on_alerts_sheet(verdict, hints): the drug is listed on the Alerts sheet: its verdict is
-- (verdicts.on_alerts), or it carries a hint (an OPPS-only C-code, a NOC code of the wrong family).
CREATE OR REPLACE TEMP MACRO on_alerts_sheet(verdict_name, hints) AS
    coalesce((SELECT on_alerts FROM verdicts WHERE name = verdict_name), false)
    OR hints IS NOT NULL;

-- payment_per_dose(limit, units): what one dose pays at the ASP payment limit per billing
-- unit, in cents; NULL when either is unknown.
CREATE OR REPLACE TEMP MACRO payment_per_dose(payment_limit, units) AS
    CAST(round(payment_limit * units, 2) AS DECIMAL(18, 2));

-- list_file_name(path): the file name of a drug list path ('/x/drugs.csv' -> 'drugs.csv').
CREATE OR REPLACE TEMP MACRO list_file_name(path) AS regexp_extract(path, '[^/\\]*$');

-- list_drug_key(...): one drug's identity on its list, as crosswalk/practice.py refuses
-- duplicates: the same name, NDC cell, NOC code and payer is the same drug in any run.
CREATE OR REPLACE TEMP MACRO list_drug_key(drug_name, ndc_raw, current_code, payer) AS
    lower(drug_name) || chr(31) || coalesce(ndc_raw, '') || chr(31) || current_code
    || chr(31) || coalesce(payer, '');

-- earlier_runs(run): the runs of the same drug list (same file name, or the same SHA-256)
-- in quarters before run's quarter, the newest run of each quarter: run_id, quarter.
CREATE OR REPLACE TEMP MACRO earlier_runs(this_run) AS TABLE
    SELECT m.run_id, m.quarter
    FROM match_runs m JOIN match_runs t ON t.run_id = this_run
    WHERE m.quarter < t.quarter
      AND (m.drugs_sha256 = t.drugs_sha256
           OR list_file_name(m.drugs_file) = list_file_name(t.drugs_file))
    QUALIFY row_number() OVER (PARTITION BY m.quarter
                               ORDER BY m.started_at DESC, m.run_id DESC) = 1;

-- alerts_since(run): for each drug of the run (row_no), open_since: the earliest quarter of
-- the unbroken series of earlier runs (newest first, see earlier_runs) in which the same drug
-- (list_drug_key) was on the Alerts sheet and active; NULL when it was not in the run just
-- before (new this quarter). A quarter without a run does not break the series.
CREATE OR REPLACE TEMP MACRO alerts_since(this_run) AS TABLE
    WITH runs AS (SELECT run_id, quarter FROM earlier_runs(this_run)),
    keyed AS (
        SELECT a.run_id, a.row_no,
            list_drug_key(d.drug_name, d.ndc_raw, d.current_code, d.payer) AS drug_key,
            on_alerts_sheet(a.verdict, a.hints) AND a.active IS DISTINCT FROM false AS alerted
        FROM practice_alerts a JOIN practice_drugs d USING (run_id, row_no)
        WHERE a.run_id = this_run OR a.run_id IN (SELECT run_id FROM runs)
    ),
    history AS (  -- each drug of the run, in each earlier run: on the Alerts sheet or not
        SELECT c.row_no, r.quarter, coalesce(bool_or(k.alerted), false) AS alerted
        FROM keyed c CROSS JOIN runs r
        LEFT JOIN keyed k ON k.run_id = r.run_id AND k.drug_key = c.drug_key
        WHERE c.run_id = this_run
        GROUP BY c.row_no, r.quarter
    ),
    closed AS (  -- the newest earlier quarter in which it was not on the sheet
        SELECT row_no, quarter, alerted,
            max(CASE WHEN NOT alerted THEN quarter END) OVER (PARTITION BY row_no) AS closed_in
        FROM history
    )
    SELECT row_no,
        min(quarter) FILTER (WHERE alerted AND quarter > coalesce(closed_in, '')) AS open_since
    FROM closed
    GROUP BY row_no;
