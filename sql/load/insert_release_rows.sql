-- Second half of replacing a release's rows of one table: insert every row read from a file
-- version, with its provenance (release quarter, file sha256, zip member), matched by name.
-- {table} is one of the tables a CMS file kind fills (crosswalk.kinds: `tables`).
-- Produces: the rows of {table} for $quarter.
-- From: {table}_rows, the reader's DataFrame registered as a relation (its columns are the
--       table's columns minus quarter, source_sha256, source_member).
-- Registered: {table}_rows
-- Example: SELECT quarter, source_sha256, source_member, count(*) FROM asp_ndc_crosswalk
--          GROUP BY ALL ORDER BY 1;

INSERT INTO {table} BY NAME
SELECT *, $quarter AS quarter, $sha256 AS source_sha256, $member AS source_member
FROM {table}_rows;
