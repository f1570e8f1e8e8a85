-- noc_drug_keys: the distinct NOC drugs of a checked file, one row per billed NOC code,
-- narrative, NDC and setting: what crosswalk.claim_drugs hands the drug-list matcher (a
-- file of 100,000 lines holds a few hundred distinct drugs, so the matcher runs once each).
-- Produces: hcpcs, narrative, ndc11, hospital_outpatient.
-- From: line_facts (10_line_facts.sql).
-- Example: SELECT * FROM (<this query>) WHERE ndc11 IS NULL;

SELECT DISTINCT hcpcs, narrative, ndc11, hospital_outpatient
FROM line_facts
WHERE is_noc
ORDER BY ALL;
