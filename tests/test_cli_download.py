"""`crosswalk download` as a user types it, against the CMS-shaped mirror."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from crosswalk import fetch
from crosswalk.cli import main
from crosswalk.quarters import Quarter
from crosswalk.settings import Settings

Q4 = Quarter(2025, 4)


def download(cms_url: str, data_dir: Path, *extra: str):
    return CliRunner().invoke(main, ["download", "--cms-url", cms_url, "--data-dir", str(data_dir),
                                     *extra])


def test_download_fetches_three_kinds_then_nothing(cms_mirror, tmp_path) -> None:
    cms_mirror.publish_quarter("2025Q3")
    paths = cms_mirror.publish_quarter("2025Q4", preliminary=True)
    first = download(cms_mirror.base_url, tmp_path, "--quarter", "2025Q4")
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    for kind in ("hcpcs", "asp_pricing", "asp_crosswalk"):
        line = next(line for line in lines if line.startswith(kind + " "))
        assert " new " in line and Path(paths[kind]).name in line
    assert first.output.count("beats preliminary") == 2  # pricing file and crosswalk
    assert sorted(cms_mirror.downloads()) == sorted(paths.values())
    manifest = (tmp_path / "raw" / "manifest.jsonl").read_text()

    cms_mirror.clear_log()
    second = download(cms_mirror.base_url, tmp_path, "--quarter", "october 2025")
    assert second.exit_code == 0, second.output
    assert second.output.count(" unchanged ") == 3
    assert cms_mirror.downloads() == []
    assert (tmp_path / "raw" / "manifest.jsonl").read_text() == manifest


def test_without_quarter_the_newest_posted_is_fetched(cms_mirror, tmp_path) -> None:
    cms_mirror.publish_quarter("2025Q3")
    cms_mirror.publish_quarter("2025Q4")
    result = download(cms_mirror.base_url, tmp_path)
    assert result.exit_code == 0, result.output
    assert fetch.archived_quarters(Settings(data_dir=tmp_path)) == [Q4]


def test_missing_file_exits_3_naming_quarter_and_kind(cms_mirror, tmp_path) -> None:
    paths = cms_mirror.publish_quarter("2025Q4")
    cms_mirror.fault(paths["asp_pricing"], "404")
    result = download(cms_mirror.base_url, tmp_path, "--quarter", "2025Q4")
    assert result.exit_code == 3
    assert "2025Q4" in result.output and "asp_pricing" in result.output and "404" in result.output


def test_quarter_not_listed_exits_3(cms_mirror, tmp_path) -> None:
    cms_mirror.publish_quarter("2025Q3")
    result = download(cms_mirror.base_url, tmp_path, "--quarter", "2025Q4")
    assert result.exit_code == 3 and "no HCPCS alpha-numeric file" in result.output


def test_bad_quarter_and_bad_override_exit_2(cms_mirror, tmp_path) -> None:
    assert download(cms_mirror.base_url, tmp_path, "--quarter", "2025Q5").exit_code == 2
    bad = download(cms_mirror.base_url, tmp_path, "--quarter", "2025Q4", "--url", "asp=x.zip")
    assert bad.exit_code == 2 and "unknown file kind" in bad.output


def test_refused_zip_exits_2_and_archives_nothing(cms_mirror, tmp_path) -> None:
    paths = cms_mirror.publish_quarter("2025Q4")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../outside.txt", b"x")
    cms_mirror.put(paths["hcpcs"], buffer.getvalue())
    result = download(cms_mirror.base_url, tmp_path, "--quarter", "2025Q4")
    assert result.exit_code == 2 and "zip-slip" in result.output
    assert not (tmp_path / "raw" / "hcpcs" / "2025Q4").exists() or not any((tmp_path / "raw" / "hcpcs" / "2025Q4").iterdir())


def test_console_script_in_a_real_process(cms_mirror, tmp_path) -> None:
    """The installed entry point, a separate process, real sockets: what a scheduler runs."""
    paths = cms_mirror.publish_quarter("2025Q4")
    env = {**os.environ, "CROSSWALK_CMS_URL": cms_mirror.base_url, "CI": "true"}
    script = Path(sys.executable).with_name("crosswalk")
    entry = [str(script)] if script.is_file() else [sys.executable, "-m", "crosswalk.cli"]
    command = [*entry, "download", "--quarter", "2025Q4", "--data-dir", str(tmp_path)]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count(" new ") == 3 and first.stderr == ""
    assert sorted(cms_mirror.downloads()) == sorted(paths.values())
    cms_mirror.clear_log()
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert second.returncode == 0 and second.stdout.count(" unchanged ") == 3
    assert cms_mirror.downloads() == []
    entries = [json.loads(line) for line in (tmp_path / "raw" / "manifest.jsonl").read_text().splitlines()]
    assert sorted(e["source_kind"] for e in entries) == ["asp_crosswalk", "asp_pricing", "hcpcs"]


@pytest.mark.real_samples
def test_real_cms_files_through_the_mirror(cms_mirror, cms_samples, tmp_path) -> None:
    """The real January 2025 ASP zip served as-is, the real 508 crosswalk CSV zipped as CMS does."""
    real_zip = cms_samples / "asp" / "zips" / "january-2025-asp-pricing-file-12_19_24-final-file.zip"
    crosswalk_csv = cms_samples / "asp" / "crosswalk" / "section 508 version of January 2025 ASP NDC-HCPCS Crosswalk 122024.csv"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(crosswalk_csv, crosswalk_csv.name)
    cms_mirror.publish_quarter("2025Q1", kinds=("hcpcs",))
    cms_mirror.post("asp_pricing", "January 2025 ASP Pricing File - 12/19/24 - final file (ZIP)",
                    real_zip.name, real_zip.read_bytes())
    cms_mirror.post("asp_crosswalk", "January 2025 ASP NDC-HCPCS Crosswalk - 12/20/24 (ZIP)",
                    "january-2025-asp-ndc-hcpcs-crosswalk.zip", buffer.getvalue())
    result = download(cms_mirror.base_url, tmp_path, "--quarter", "2025Q1")
    assert result.exit_code == 0, result.output
    archived = fetch.archived_files(Settings(data_dir=tmp_path), Quarter(2025, 1))
    assert archived["asp_pricing"].path.read_bytes() == real_zip.read_bytes()
    settings = Settings(data_dir=tmp_path)
    members = [m.filename for m in fetch.zip_members(archived["asp_pricing"].path, settings)]
    assert "section 508 version of Jan 2025 ASP Pricing File updated 030725.csv" in members
    member = fetch.read_member(archived["asp_crosswalk"].path, crosswalk_csv.name, settings)
    assert member == crosswalk_csv.read_bytes()
