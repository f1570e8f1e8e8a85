-- save_run: one match run written in one transaction (crosswalk.match opens and commits it):
-- the run, the list as read, every candidate with its evidence, one verdict per drug.
-- Produces: rows in match_runs, practice_drugs, match_candidates, practice_alerts.
-- From: run_row, drug_rows, candidate_rows, alert_rows (DataFrames registered by
--   crosswalk.match, already carrying run_id).
-- Registered: run_row, drug_rows, candidate_rows, alert_rows
-- Example: SELECT r.run_id, r.quarter, count(*) AS drugs FROM match_runs r
--          JOIN practice_alerts a USING (run_id) GROUP BY ALL ORDER BY r.run_id DESC;

INSERT INTO match_runs BY NAME SELECT * FROM run_row;
INSERT INTO practice_drugs BY NAME SELECT * FROM drug_rows;
INSERT INTO match_candidates BY NAME SELECT * FROM candidate_rows;
INSERT INTO practice_alerts BY NAME SELECT * FROM alert_rows;
