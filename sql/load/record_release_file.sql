-- Note which file version of a source kind is now loaded for a release quarter.
-- Produces: one row of release_files per (quarter, source_kind), replaced on a new version.
-- From: parameters passed by crosswalk.warehouse.write_release.
-- Example: SELECT quarter, source_kind, file_name, row_count, loaded_at
--          FROM release_sources ORDER BY 1, 2;

INSERT INTO release_files (quarter, source_kind, sha256, member_name, row_count, run_id, loaded_at)
VALUES ($quarter, $source_kind, $sha256, $member, $row_count, $run_id, $loaded_at)
ON CONFLICT (quarter, source_kind) DO UPDATE SET
    sha256 = excluded.sha256,
    member_name = excluded.member_name,
    row_count = excluded.row_count,
    run_id = excluded.run_id,
    loaded_at = excluded.loaded_at;
