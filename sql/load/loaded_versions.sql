-- Which file version (sha256) of each source kind is loaded for a release quarter now.
-- Produces: source_kind, sha256 (one row per kind loaded for $quarter).
-- From: release_files.
-- Example: SELECT source_kind, sha256 FROM release_files WHERE quarter = '2025Q4';

SELECT source_kind, sha256 FROM release_files WHERE quarter = $quarter;
