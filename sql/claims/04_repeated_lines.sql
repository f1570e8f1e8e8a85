-- repeated_lines: line numbers that appear more than once within one claim of a stored
-- file ($file_id), with where each copy is (837P segments or export rows): such a file is
-- refused, as its claims cannot be told apart line by line.
-- Produces: claim_id, line_no, source_lines (list, in file order).
-- From: claim_lines.
-- Example: SELECT * FROM (<this query>) LIMIT 5;

SELECT claim_id, line_no, list(source_line ORDER BY source_line) AS source_lines
FROM claim_lines
WHERE file_id = $file_id
GROUP BY claim_seq, claim_id, line_no
HAVING count(*) > 1
ORDER BY min(source_line)
LIMIT 20;
