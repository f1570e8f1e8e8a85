-- First half of replacing a release's rows of one table: drop what the quarter holds now.
-- {table} is one of the tables a CMS file kind fills (crosswalk.kinds: `tables`).
-- Produces: no rows of {table} for $quarter (insert_release_rows.sql then adds the new ones).
-- From: {table}.
-- Example: SELECT quarter, source_sha256, count(*) FROM hcpcs_codes GROUP BY ALL ORDER BY 1;

DELETE FROM {table} WHERE quarter = $quarter;
