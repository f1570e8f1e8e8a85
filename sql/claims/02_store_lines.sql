-- Store one batch of a checked file's claim lines ($file_id), as the reader typed them; the
-- modifiers arrive as one comma-separated text and are kept as a list.
-- Produces: rows in claim_lines.
-- From: claim_line_batch, an Arrow batch of crosswalk.claims / crosswalk.claim_exports.
-- Registered: claim_line_batch
-- Example: SELECT line_seq, hcpcs, modifiers FROM claim_lines WHERE file_id = 1 LIMIT 5;

INSERT INTO claim_lines BY NAME
SELECT $file_id AS file_id, * REPLACE (
    coalesce(string_split(nullif(modifiers, ''), ','), []) AS modifiers)
FROM claim_line_batch;
