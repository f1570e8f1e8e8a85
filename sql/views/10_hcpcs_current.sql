-- hcpcs_current: every code and modifier of the newest loaded HCPCS release.
-- Produces: the hcpcs_codes rows (all columns) whose quarter is the latest quarter loaded.
-- From: hcpcs_codes.
-- Example: SELECT code, long_description, add_date FROM hcpcs_current
--          WHERE code LIKE 'J%' AND term_date IS NULL ORDER BY code;

CREATE OR REPLACE VIEW hcpcs_current AS
SELECT *
FROM hcpcs_codes
WHERE quarter = (SELECT max(quarter) FROM hcpcs_codes);
