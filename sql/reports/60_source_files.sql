-- source_files_used: the CMS file versions loaded for release $quarter (one per kind), with
-- what a reviewer needs to find them again: the posting's link text, file name, zip member
-- read, URL and SHA-256; loaded_after_run flags a release reloaded after match run
-- $run_id (the alerts then predate the files: match again).
-- Produces: source_kind, posting, file_name, member_name, url, sha256, bytes, row_count,
--   loaded_after_run.
-- From: release_sources (release_files with the posting of each file), match_runs.
-- Example: SELECT source_kind, file_name, sha256 FROM release_sources WHERE quarter = '2025Q4';

SELECT r.source_kind, r.link_text AS posting, r.file_name, r.member_name, r.url, r.sha256,
    r.bytes, r.row_count, r.loaded_at > m.started_at AS loaded_after_run
FROM release_sources r
JOIN match_runs m ON m.run_id = $run_id
WHERE r.quarter = $quarter
ORDER BY list_position(['hcpcs', 'asp_pricing', 'asp_crosswalk', 'noc_pricing',
                        'noc_crosswalk'], r.source_kind), r.source_kind
