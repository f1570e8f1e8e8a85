-- One row per load attempt: loaded, unchanged (same bytes already loaded) or failed (the
-- message names file, line and field). $run_id comes from nextval('load_run_ids').
-- Produces: a row of load_runs.
-- From: parameters passed by crosswalk.warehouse.
-- Example: SELECT run_id, quarter, status, rows_loaded, message FROM load_runs
--          ORDER BY run_id DESC LIMIT 10;

INSERT INTO load_runs (run_id, quarter, started_at, finished_at, status, message, rows_loaded)
VALUES ($run_id, $quarter, $started_at, now(), $status,
        $message, $rows_loaded);
