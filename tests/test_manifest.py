"""crosswalk.manifest: the raw archive's events, read by the warehouse without the downloader."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from crosswalk import manifest
from crosswalk.errors import BadInput
from crosswalk.quarters import Quarter
from crosswalk.settings import Settings

from conftest import archive

Q4 = Quarter(2025, 4)


def test_an_entry_has_exactly_the_columns_of_source_files(fresh_db):
    columns = [row[0] for row in fresh_db.execute("DESCRIBE source_files").fetchall()]
    assert list(manifest.COLUMNS) == columns


def test_paths_are_stored_relative_and_found_after_the_folder_moves(settings, tmp_path):
    entry = archive(settings, "hcpcs", "2025Q4", "hcpcs.zip", b"v1")
    line = json.loads(settings.manifest_path.read_text(encoding="utf-8"))
    assert line["archive_path"] == "raw/hcpcs/2025Q4/hcpcs.zip"
    moved = Settings(data_dir=tmp_path / "moved")
    shutil.move(settings.data_dir, moved.data_dir)
    [found] = manifest.read_manifest(moved)
    assert found.path == (moved.data_dir / "raw/hcpcs/2025Q4/hcpcs.zip").resolve()
    assert found.path.read_bytes() == b"v1" and found.sha256 == entry.sha256


def test_lines_written_with_absolute_paths_still_resolve_after_a_move(settings, tmp_path):
    archive(settings, "hcpcs", "2025Q4", "hcpcs.zip", b"v1")
    record = json.loads(settings.manifest_path.read_text(encoding="utf-8"))
    record["archive_path"] = "/somewhere/old/data/raw/hcpcs/2025Q4/hcpcs.zip"  # an older line
    settings.manifest_path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    [found] = manifest.read_manifest(settings)
    assert found.path == (settings.data_dir / "raw/hcpcs/2025Q4/hcpcs.zip").resolve()


def test_the_newest_event_of_each_kind_is_what_a_load_reads(settings):
    first = archive(settings, "hcpcs", "2025Q4", "hcpcs.zip", b"v1")
    second = archive(settings, "hcpcs", "2025Q4", "hcpcs.zip", b"v2")
    reverted = archive(settings, "hcpcs", "2025Q4", "hcpcs.zip", b"v1")  # CMS serves v1 again
    pricing = archive(settings, "asp_pricing", "2025Q3", "p.zip", b"p")
    entries = manifest.read_manifest(settings)
    assert [e.sha256 for e in manifest.versions(entries, "hcpcs", Q4)] == [
        first.sha256, second.sha256, reverted.sha256]
    assert manifest.newest_versions(entries, Q4) == {"hcpcs": entries[2]}
    assert manifest.archived_files(settings, Quarter(2025, 3)) == {"asp_pricing": entries[3]}
    assert pricing.sha256 == entries[3].sha256
    assert manifest.archived_quarters(settings) == [Quarter(2025, 3), Q4]


def test_an_unreadable_line_is_refused_with_its_number(settings):
    archive(settings, "hcpcs", "2025Q4", "hcpcs.zip", b"v1")
    with settings.manifest_path.open("a", encoding="utf-8") as stream:
        stream.write("\n{not json\n")
    with pytest.raises(BadInput, match="unreadable manifest line") as raised:
        manifest.read_manifest(settings)
    assert raised.value.row == 3 and raised.value.file == str(settings.manifest_path)


def test_no_manifest_means_nothing_archived(settings):
    assert manifest.read_manifest(settings) == [] and manifest.archived_quarters(settings) == []


def test_reading_the_archive_does_not_import_the_downloader(tmp_path):
    """The warehouse, the matcher and the reports read the manifest, and a run takes the data
    directory (removing stale partial downloads) without the downloader: requests, urllib3 and
    tqdm belong to it alone."""
    script = ("import sys; from pathlib import Path; "
              "from crosswalk import manifest, warehouse, match, reports, pipeline; "
              "from crosswalk.settings import Settings; "
              "lock = pipeline.run_lock(Settings(data_dir=Path(sys.argv[1]))); "
              "lock.__enter__(); lock.__exit__(None, None, None); "
              "print(sorted(m for m in ('requests', 'urllib3', 'tqdm', 'crosswalk.fetch') "
              "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "data")],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
