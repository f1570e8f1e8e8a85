-- Provenance: every CMS file we ever saw, and every load run.
-- Produces: source_files (one row per manifest event: a file version seen for the first time,
-- or a version CMS serves again after serving another one, a revert; key sha256 + fetched_at),
-- load_runs, release_files (which file version of each source kind is currently loaded for
-- each release quarter). The view release_sources joins the two.
-- From: <data dir>/raw/manifest.jsonl written by crosswalk.fetch, and crosswalk.warehouse.
-- Example: SELECT source_kind, quarter, file_name, sha256, fetched_at FROM source_files
--          WHERE quarter = '2025Q4' ORDER BY fetched_at;

CREATE TABLE IF NOT EXISTS source_files (
    sha256        VARCHAR NOT NULL,      -- hex digest of the downloaded bytes (zip or file)
    source_kind   VARCHAR NOT NULL,      -- hcpcs | asp_pricing | asp_crosswalk | noc_pricing | noc_crosswalk
    quarter       VARCHAR NOT NULL,      -- release quarter, e.g. 2025Q4
    file_name     VARCHAR NOT NULL,      -- original file name as posted
    url           VARCHAR,               -- where it came from (NULL for a local file)
    link_text     VARCHAR,               -- anchor text on the CMS listing page
    http_date     VARCHAR,               -- HTTP Date header of the response
    last_modified VARCHAR,               -- HTTP Last-Modified header
    etag          VARCHAR,               -- HTTP ETag header
    bytes         BIGINT NOT NULL,
    fetched_at    TIMESTAMPTZ NOT NULL,  -- when this event was recorded (microseconds)
    archive_path  VARCHAR NOT NULL,      -- raw/<source>/<quarter>/<file name>, relative to the
                                         -- data directory (absolute in rows of older versions)
    picked_reason VARCHAR,               -- why discovery chose this posting over others
    PRIMARY KEY (sha256, fetched_at)
);

CREATE SEQUENCE IF NOT EXISTS load_run_ids START 1;

CREATE TABLE IF NOT EXISTS load_runs (
    run_id        BIGINT PRIMARY KEY DEFAULT nextval('load_run_ids'),
    quarter       VARCHAR NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    status        VARCHAR NOT NULL,      -- loaded | unchanged | failed
    message       VARCHAR,               -- summary, or the error naming file/line/field
    rows_loaded   BIGINT
);

CREATE TABLE IF NOT EXISTS release_files (
    quarter       VARCHAR NOT NULL,
    source_kind   VARCHAR NOT NULL,
    sha256        VARCHAR NOT NULL,      -- -> source_files.sha256 (the version now loaded)
    member_name   VARCHAR,               -- member of the zip that was read (main table)
    row_count     BIGINT NOT NULL,
    run_id        BIGINT NOT NULL,       -- -> load_runs.run_id
    loaded_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (quarter, source_kind)
);
