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

from crosswalk import fetch, manifest
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
    assert manifest.archived_quarters(Settings(data_dir=tmp_path)) == [Q4]


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


def zipped(path: Path) -> bytes:
    """A real 508 CSV in a zip, byte for byte, as CMS ships it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(path, path.name)
    return buffer.getvalue()


@pytest.mark.real_samples
def test_real_cms_files_through_the_mirror(cms_mirror, cms_samples, tmp_path) -> None:
    """Real 508 CSVs posted per quarter; then CMS swaps the January 2025 pricing zip for its
    03/07/25 revision behind the same URL (the real zip): kept beside the first version."""
    from crosswalk.sources import quarter_named

    real_zip = cms_samples / "asp" / "zips" / "january-2025-asp-pricing-file-12_19_24-final-file.zip"
    wanted = {Quarter(2024, 4), Quarter(2025, 1), Quarter(2025, 4)}
    for csv in sorted((cms_samples / "asp").glob("*/*.csv")):
        quarter = quarter_named(csv.name)
        if quarter not in wanted:
            continue
        kind, label = (("asp_pricing", "ASP Pricing File") if "Pricing" in csv.name
                       else ("asp_crosswalk", "ASP NDC-HCPCS Crosswalk"))
        name = (real_zip.name if (kind, quarter) == ("asp_pricing", Quarter(2025, 1))
                else f"{quarter.slug}-{label.lower().replace(' ', '-')}.zip")
        cms_mirror.post(kind, f"{quarter.month_name} {quarter.year} {label} (ZIP)", name, zipped(csv))
    for quarter in wanted:
        cms_mirror.publish_quarter(quarter, kinds=("hcpcs",))
    settings = Settings(data_dir=tmp_path)

    assert download(cms_mirror.base_url, tmp_path, "--quarter", "2025Q1").exit_code == 0
    first = manifest.archived_files(settings, Quarter(2025, 1))
    january = cms_samples / "asp" / "crosswalk" / "section 508 version of January 2025 ASP NDC-HCPCS Crosswalk 122024.csv"
    assert fetch.read_member(first["asp_crosswalk"].path, january.name, settings) == january.read_bytes()
    assert [m.filename for m in fetch.zip_members(first["asp_pricing"].path, settings)] == [
        "section 508 version of Jan 2025 ASP Pricing File 121924.csv"]

    cms_mirror.put(f"/files/zip/{real_zip.name}", real_zip.read_bytes())
    again = download(cms_mirror.base_url, tmp_path, "--quarter", "2025Q1")
    assert again.exit_code == 0 and "asp_pricing   new version" in again.output
    revised = manifest.archived_files(settings, Quarter(2025, 1))["asp_pricing"]
    assert revised.path.read_bytes() == real_zip.read_bytes() and first["asp_pricing"].path.is_file()
    assert "section 508 version of Jan 2025 ASP Pricing File updated 030725.csv" in [
        m.filename for m in fetch.zip_members(revised.path, settings)]
    assert manifest.archived_files(settings, Quarter(2025, 1))["asp_crosswalk"] == first["asp_crosswalk"]

    assert download(cms_mirror.base_url, tmp_path, "--quarter", "2025Q4").exit_code == 0
    october = manifest.archived_files(settings, Quarter(2025, 4))["asp_crosswalk"]
    assert [m.filename for m in fetch.zip_members(october.path, settings)] == [
        "section 508 version of October 2025 ASP NDC-HCPCS Crosswalk 090525.csv"]


# ---------------------------------------------------------------------------------------------
# Half-posted releases and files downloaded by hand


@pytest.mark.real_samples
def test_a_2026q1_download_with_only_the_asp_files_posted(cms_mirror, cms_samples, tmp_path):
    """CMS posted the January 2026 ASP files (here the real October 2025 508 CSVs, zipped
    under January 2026 names) before the HCPCS file: the ASP files are fetched and kept,
    the missing HCPCS file is named, exit 3; once it is posted, only it is fetched."""
    q1 = Quarter(2026, 1)
    for kind, label, folder, name in (
            ("asp_pricing", "Medicare Part B Payment Limit Files", "asp/pricing",
             "section 508 version of Oct 2025 ASP Pricing File 091725.csv"),
            ("asp_crosswalk", "ASP NDC-HCPCS Crosswalk", "asp/crosswalk",
             "section 508 version of October 2025 ASP NDC-HCPCS Crosswalk 090525.csv")):
        cms_mirror.post(kind, f"January 2026 {label} (ZIP)",
                        f"january-2026-{label.lower().replace(' ', '-')}.zip",
                        zipped(cms_samples / folder / name))
    result = download(cms_mirror.base_url, tmp_path, "--quarter", "2026Q1")
    assert result.exit_code == 3
    assert "no HCPCS alpha-numeric file [hcpcs] link for 2026Q1 (January 2026)" in result.output
    assert ("kept in the raw archive meanwhile: asp_pricing (january-2026-medicare-part-b-"
            "payment-limit-files.zip), asp_crosswalk (january-2026-asp-ndc-hcpcs-crosswalk.zip)"
            ) in result.output
    settings = Settings(data_dir=tmp_path)
    assert sorted(manifest.archived_files(settings, q1)) == ["asp_crosswalk", "asp_pricing"]

    cms_mirror.publish_quarter(q1, kinds=("hcpcs",))
    cms_mirror.clear_log()
    again = download(cms_mirror.base_url, tmp_path, "--quarter", "2026Q1")
    assert again.exit_code == 0, again.output
    assert cms_mirror.downloads() == ["/files/zip/january-2026-alpha-numeric-hcpcs-file.zip"]
    assert sorted(manifest.archived_files(settings, q1)) == ["asp_crosswalk", "asp_pricing",
                                                             "hcpcs"]


def test_asp_files_posted_first_load_and_matching_says_the_hcpcs_file_is_missing(cms_mirror,
                                                                                 tmp_path):
    """The ASP files kept by a download that exited 3 load (their crosswalk serves NDC
    look-ups); matching that quarter says its HCPCS file is what is missing, not a load."""
    cms_mirror.publish_quarter(Q4)
    cms_mirror.publish_quarter("2026Q1", kinds=("asp_pricing", "asp_crosswalk"))
    assert download(cms_mirror.base_url, tmp_path, "--quarter", "2025Q4").exit_code == 0
    assert download(cms_mirror.base_url, tmp_path, "--quarter", "2026Q1").exit_code == 3
    loaded = CliRunner().invoke(main, ["load", "--all", "--data-dir", str(tmp_path)])
    assert loaded.exit_code == 0, loaded.output
    assert "2026Q1: loaded" in loaded.output
    matched = CliRunner().invoke(main, ["match", "--quarter", "2026Q1", "--data-dir",
                                        str(tmp_path)])
    assert matched.exit_code == 2
    assert ("the 2026Q1 release is loaded without its HCPCS file (not posted, or not "
            "downloaded yet): run `crosswalk download --quarter 2026Q1` once CMS posts it"
            ) in matched.output
    assert "the newest release with HCPCS codes is 2025Q4" in matched.output
    newest = CliRunner().invoke(main, ["match", "--data-dir", str(tmp_path)])
    assert newest.exit_code == 0 and "against the 2025Q4 release" in newest.output


def test_a_release_with_its_hcpcs_file_alone_downloads_naming_the_asp_files(cms_mirror,
                                                                          tmp_path):
    cms_mirror.publish_quarter("2026Q1", kinds=("hcpcs",))
    result = download(cms_mirror.base_url, tmp_path)  # the newest HCPCS file CMS lists
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert " new " in lines["hcpcs"]
    assert "not posted yet: no ASP pricing (payment limit) file [asp_pricing] link for 2026Q1" in (
        lines["asp_pricing"])
    assert "'ASP files not posted yet'" in lines["asp_crosswalk"]


def test_download_from_a_folder_lists_each_file_and_asks_cms_nothing(tmp_path,
                                                                    connection_attempts):
    from conftest import free_port
    from test_local_files import hand_downloaded

    hand_downloaded(tmp_path / "cms")
    result = download(f"http://127.0.0.1:{free_port()}", tmp_path / "data", "--from",
                      str(tmp_path / "cms"))
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert ("local file given with --from" in lines["hcpcs"]
            and "hcpcs by its name and content; release 2025Q4 by its name, 2025Q4 by its "
                "newest ADD DT 2025-10-01" in lines["hcpcs"])
    assert "asp_pricing by its name and content" in lines["asp_pricing"]
    assert lines["noc_crosswalk"].split()[1:3] == ["not", "given"]
    assert connection_attempts == []
