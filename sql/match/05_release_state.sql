-- release_state: what of the run's release ($quarter) is loaded besides its HCPCS file. CMS
-- posts the ASP payment limit file and the NDC-HCPCS crosswalk weeks after the HCPCS file, so
-- a release can be matched before they exist: the verdicts then say "ASP files not posted
-- yet" instead of "no payment limit".
-- Produces: asp_loaded, crosswalk_loaded (one row of two booleans).
-- From: asp_payment_limits, asp_ndc_crosswalk.
-- Example: SELECT * FROM (<this query>);

SELECT EXISTS (SELECT 1 FROM asp_payment_limits WHERE quarter = $quarter) AS asp_loaded,
       EXISTS (SELECT 1 FROM asp_ndc_crosswalk WHERE quarter = $quarter) AS crosswalk_loaded
