-- Record every manifest event of a release (versions loaded or not, reverts included). An
-- event recorded before is kept as it is, so re-loading rewrites nothing.
-- Produces: new rows in source_files.
-- From: manifest_entries, the manifest JSON lines of the quarter registered as a relation.
-- Example: SELECT source_kind, file_name, sha256, fetched_at FROM source_files
--          WHERE quarter = '2025Q4' ORDER BY source_kind, fetched_at;

INSERT INTO source_files BY NAME
SELECT
    CAST(sha256 AS VARCHAR) AS sha256,
    CAST(source_kind AS VARCHAR) AS source_kind,
    CAST(quarter AS VARCHAR) AS quarter,
    CAST(file_name AS VARCHAR) AS file_name,
    CAST(url AS VARCHAR) AS url,
    CAST(link_text AS VARCHAR) AS link_text,
    CAST(http_date AS VARCHAR) AS http_date,
    CAST(last_modified AS VARCHAR) AS last_modified,
    CAST(etag AS VARCHAR) AS etag,
    CAST(bytes AS BIGINT) AS bytes,
    CAST(fetched_at AS TIMESTAMPTZ) AS fetched_at,
    CAST(archive_path AS VARCHAR) AS archive_path,
    CAST(picked_reason AS VARCHAR) AS picked_reason
FROM manifest_entries
ON CONFLICT (sha256, fetched_at) DO NOTHING;
