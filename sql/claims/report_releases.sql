-- CMS releases a check used, per date-of-service quarter of one checked file ($file_id):
-- the HCPCS release codes and drugs were judged by (the newest loaded), the NDC-HCPCS
-- crosswalk quarter NDCs were checked against (the date of service's, else the nearest
-- loaded) and the ASP quarters whose payment limits priced the amounts at risk.
-- Produces: dos_quarter, lines, hcpcs_release, crosswalk_quarter, limit_quarters.
-- From: claim_files, claim_lines, claim_findings, asp_ndc_crosswalk.
-- Example: SELECT * FROM (<this query>) WHERE crosswalk_quarter <> dos_quarter;

WITH quarters AS (
    SELECT quarter_of_date(date_of_service) AS dos_quarter, count(*) AS lines
    FROM claim_lines WHERE file_id = $file_id GROUP BY ALL
),
limits AS (
    SELECT dos_quarter, string_agg(DISTINCT limit_quarter, ', ' ORDER BY limit_quarter)
        AS limit_quarters
    FROM claim_findings WHERE file_id = $file_id AND limit_quarter IS NOT NULL GROUP BY ALL
)
SELECT q.dos_quarter, q.lines, f.hcpcs_release,
    crosswalk_quarter_for(q.dos_quarter) AS crosswalk_quarter, l.limit_quarters
FROM quarters q
CROSS JOIN (SELECT hcpcs_release FROM claim_files WHERE file_id = $file_id) f
LEFT JOIN limits l USING (dos_quarter)
ORDER BY q.dos_quarter;
