-- source_files_used: the CMS file versions loaded for release $quarter (one per kind), with
-- what a reviewer needs to find them again: the posting's link text, file name, zip member
-- read, URL and SHA-256; loaded_after_run flags a release reloaded after match run
-- $run_id (the alerts then predate the files: match again). A required kind the release was
-- loaded without (CMS posts the ASP files weeks after the HCPCS file) is a row of its own,
-- `loaded` false and its posting 'not posted yet', so the gap is on the page.
-- Produces: source_kind, posting, file_name, member_name, url, sha256, bytes, row_count,
--   loaded_after_run, loaded.
-- From: release_sources (release_files with the posting of each file), match_runs,
--   source_kinds (the order the kinds are declared in, and which are required).
-- Example: SELECT source_kind, file_name, sha256 FROM release_sources WHERE quarter = '2025Q4';

SELECT source_kind, posting, file_name, member_name, url, sha256, bytes, row_count,
    loaded_after_run, loaded
FROM (
    SELECT r.source_kind, r.link_text AS posting, r.file_name, r.member_name, r.url, r.sha256,
        r.bytes, r.row_count, r.loaded_at > m.started_at AS loaded_after_run, true AS loaded,
        k.position
    FROM release_sources r
    JOIN match_runs m ON m.run_id = $run_id
    LEFT JOIN source_kinds k ON k.name = r.source_kind
    WHERE r.quarter = $quarter
    UNION ALL
    SELECT k.name, 'not posted yet when the release was loaded', NULL, NULL, NULL, NULL,
        NULL, NULL, NULL, false, k.position
    FROM source_kinds k
    WHERE k.required
      AND k.name NOT IN (SELECT source_kind FROM release_sources WHERE quarter = $quarter)
)
ORDER BY position NULLS LAST, source_kind
