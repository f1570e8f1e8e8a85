-- noc_prices: what CMS prices as a NOC drug in the run's quarter ($quarter): each line of the
-- ASP NOC pricing file, and the NDCs its NOC crosswalk lists. A drug found here has no
-- permanent code yet by CMS's own statement (crosswalk.match confirms NO_CODE_YET with it).
-- Produces: line_no, drug_name ('Drug Generic Name (Trade Name)'), dosage, payment_limit,
--   ndcs (list of ndc11 from the NOC crosswalk rows whose generic name starts the line's
--   drug name).
-- From: noc_pricing, noc_crosswalk.
-- Example: SELECT drug_name, payment_limit FROM (<this query>) ORDER BY drug_name;

SELECT p.line_no, p.drug_name, p.dosage, p.payment_limit,
    list(DISTINCT x.ndc11) FILTER (WHERE x.ndc11 IS NOT NULL) AS ndcs
FROM noc_pricing p
LEFT JOIN noc_crosswalk x
    ON x.quarter = p.quarter
   AND starts_with(lower(p.drug_name), lower(trim(x.generic_name)))
WHERE p.quarter = $quarter
GROUP BY ALL
ORDER BY p.line_no
