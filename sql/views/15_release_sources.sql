-- release_sources: the CMS file loaded for each release and source kind, with the posting that
-- made it the release: of the manifest events of those bytes for the release, the newest (a
-- revert is a later event of an earlier version).
-- Produces: quarter, source_kind, sha256, member_name, row_count, run_id, loaded_at, and the
--   event's file_name, link_text, url, bytes, fetched_at, archive_path, picked_reason.
-- From: release_files, source_files.
-- Example: SELECT source_kind, file_name, sha256, fetched_at FROM release_sources
--          WHERE quarter = '2025Q4' ORDER BY source_kind;

CREATE OR REPLACE VIEW release_sources AS
SELECT r.quarter, r.source_kind, r.sha256, r.member_name, r.row_count, r.run_id, r.loaded_at,
    s.file_name, s.link_text, s.url, s.bytes, s.fetched_at, s.archive_path, s.picked_reason
FROM release_files r
JOIN source_files s
    ON s.sha256 = r.sha256 AND s.quarter = r.quarter AND s.source_kind = r.source_kind
QUALIFY row_number() OVER (PARTITION BY r.quarter, r.source_kind ORDER BY s.fetched_at DESC) = 1;
