-- Number the claims (and, where the export had no line column, the lines) of one stored
-- file ($file_id) whose reader could not: claim-line exports are streamed row by row, so
-- claim_seq is given here, by each claim id's first row, and line_no by the row's place
-- among its claim's rows. 837P lines arrive numbered and are left alone.
-- Produces: claim_lines.claim_seq and line_no filled for the file.
-- From: claim_lines.
-- Example: SELECT claim_seq, claim_id, line_no FROM claim_lines WHERE file_id = 1 LIMIT 5;

UPDATE claim_lines SET claim_seq = n.claim_seq, line_no = coalesce(claim_lines.line_no, n.place)
FROM (
    SELECT line_seq,
        CAST(dense_rank() OVER (ORDER BY first_seq) AS INTEGER) AS claim_seq,
        CAST(row_number() OVER (PARTITION BY claim_id ORDER BY line_seq) AS INTEGER) AS place
    FROM (SELECT line_seq, claim_id, min(line_seq) OVER (PARTITION BY claim_id) AS first_seq
          FROM claim_lines WHERE file_id = $file_id AND claim_seq IS NULL)
) n
WHERE claim_lines.file_id = $file_id AND claim_lines.line_seq = n.line_seq;
