-- line_units (TEMP table): the units each drug line's dose and NDC quantity stand for, by
-- line: drug_units_in (the inputs of each line) joined once with unit_readings (the units
-- crosswalk.claim_checks worked out for each distinct input).
-- Produces: line_seq, units_by_dose, dose_how, units_by_ndc, ndc_how.
-- From: drug_units_in, unit_readings.
-- Example: SELECT * FROM line_units WHERE units_by_dose IS NOT NULL;

CREATE OR REPLACE TEMP TABLE line_units AS
SELECT d.line_seq, u.units_by_dose, u.dose_how, u.units_by_ndc, u.ndc_how
FROM drug_units_in d
JOIN unit_readings u
  ON u.billing_unit IS NOT DISTINCT FROM d.billing_unit
 AND u.narrative IS NOT DISTINCT FROM d.narrative
 AND u.ndc_quantity IS NOT DISTINCT FROM d.ndc_quantity
 AND u.ndc_unit IS NOT DISTINCT FROM d.ndc_unit
 AND u.units_each IS NOT DISTINCT FROM d.units_each;
