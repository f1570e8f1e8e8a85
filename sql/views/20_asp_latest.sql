-- asp_latest: for each HCPCS code, the newest loaded ASP payment limit, and
-- ndc_crosswalk_latest: the NDC-HCPCS crosswalk rows of the newest loaded quarter that lists
-- the code. ASP files list a new code one or more quarters after its HCPCS add date, so the
-- newest row is often the only price an analyst or the matcher can find.
-- Produces: asp_latest (asp_payment_limits columns: one row per hcpcs_code),
--           ndc_crosswalk_latest (asp_ndc_crosswalk columns: every row of the code's newest
--           quarter).
-- From: asp_payment_limits, asp_ndc_crosswalk.
-- Example: SELECT l.hcpcs_code, l.quarter, l.payment_limit, x.ndc11, x.drug_name
--          FROM asp_latest l JOIN ndc_crosswalk_latest x USING (hcpcs_code)
--          WHERE l.hcpcs_code = 'J9271';

CREATE OR REPLACE VIEW asp_latest AS
SELECT *
FROM asp_payment_limits
QUALIFY quarter = max(quarter) OVER (PARTITION BY hcpcs_code);

CREATE OR REPLACE VIEW ndc_crosswalk_latest AS
SELECT *
FROM asp_ndc_crosswalk
QUALIFY quarter = max(quarter) OVER (PARTITION BY hcpcs_code);
