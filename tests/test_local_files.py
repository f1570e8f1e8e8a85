"""crosswalk.local_files: files downloaded by hand, recognised by name and content, checked
against the release; and the runs made from them with CMS out of reach."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from crosswalk import local_files, manifest
from crosswalk.cli import main
from crosswalk.errors import BadInput
from crosswalk.local_files import Given, gather, recognise
from crosswalk.quarters import Quarter
from crosswalk.settings import Settings

import cms_builders as cms
from conftest import REAL_FILES, free_port, rows

Q4 = Quarter(2025, 4)
Q1_2026 = Quarter(2026, 1)
RELEASE = cms.sample_release(Q4)


def write(folder: Path, name: str, content: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    return path


def hand_downloaded(folder: Path) -> dict[str, Path]:
    """The Oct 2025 files as a browser saves them from inside CMS's zips."""
    return {
        "hcpcs": write(folder, "HCPC2025_OCT_ANWEB_v3.xlsx", cms.hcpcs_xlsx(RELEASE.codes)),
        "asp_pricing": write(folder, cms.asp_member_name("asp_pricing", Q4, "091725"),
                             cms.asp_pricing_csv(Q4, RELEASE.pricing)),
        "asp_crosswalk": write(folder, cms.asp_member_name("asp_crosswalk", Q4, "090525"),
                               cms.asp_crosswalk_csv(Q4, RELEASE.crosswalk)),
    }


# ---------------------------------------------------------------------------------------------
# Recognising one file


def test_a_file_is_recognised_by_its_name_and_its_content(settings, tmp_path):
    paths = hand_downloaded(tmp_path)
    hcpcs = recognise(paths["hcpcs"], settings, given_with="--from x")
    assert (hcpcs.kind, hcpcs.quarters) == ("hcpcs", {Q4})
    assert hcpcs.how == "hcpcs by its name and content"
    assert [s.where for s in hcpcs.statements] == ["its name", "its newest ADD DT 2025-10-01"]
    pricing = recognise(paths["asp_pricing"], settings)
    assert pricing.kind == "asp_pricing" and pricing.quarters == {Q4}
    assert "2025Q4 by its 'Effective October 1, 2025' line" in pricing.says()


@pytest.mark.parametrize("kind, content", [
    ("hcpcs", cms.hcpcs_txt(RELEASE.codes)),
    ("hcpcs", cms.hcpcs_xlsx(RELEASE.codes, sheet_name="HCPC2025_OCT_ANWEB")),
    ("asp_pricing", cms.asp_pricing_xlsx(Q4, RELEASE.pricing)),
    ("asp_crosswalk", cms.asp_crosswalk_csv(Q4, RELEASE.crosswalk)),
], ids=["anweb-txt", "anweb-workbook", "pricing-workbook", "crosswalk-csv"])
def test_a_file_a_browser_renamed_is_recognised_by_its_content(settings, tmp_path, kind, content):
    """`download (3).xlsx`: the name says nothing, the content says which kind and release."""
    path = write(tmp_path, "download (3)", content)
    found = recognise(path, settings, given_with="--from x")
    assert found.kind == kind and found.how == f"{kind} by its content"
    assert found.quarters == {Q4} and "by its name" not in found.says()


def test_a_workbook_sheet_named_as_the_anweb_file_states_its_release(settings, tmp_path):
    path = write(tmp_path, "hcpcs.xlsx",
                 cms.hcpcs_xlsx(RELEASE.codes, sheet_name="HCPC2025_OCT_ANWEB"))
    assert "2025Q4 by sheet HCPC2025_OCT_ANWEB" in recognise(path, settings).says()


def test_a_zip_states_its_release_by_member_name_too(settings, tmp_path):
    path = write(tmp_path, "cms.zip", RELEASE.zips()["hcpcs"])
    found = recognise(path, settings)
    assert found.kind == "hcpcs"
    assert "2025Q4 by member HCPC2025_OCT_ANWEB_v2.txt" in found.says()


def test_a_file_given_as_another_kind_than_its_name_says_is_refused_naming_both(settings,
                                                                              tmp_path):
    path = hand_downloaded(tmp_path)["asp_pricing"]
    with pytest.raises(BadInput, match="its name says asp_pricing, not hcpcs; read as hcpcs"):
        recognise(path, settings, "hcpcs")


def test_a_folder_lists_each_file_with_its_kind_and_release(settings, tmp_path):
    paths = hand_downloaded(tmp_path / "cms")
    (tmp_path / "cms" / ".DS_Store").write_bytes(b"\0\0")  # hidden files are not CMS files
    found = local_files.folder_files(settings, tmp_path / "cms")
    assert list(found) == ["hcpcs", "asp_pricing", "asp_crosswalk"]
    assert {kind: f.path for kind, f in found.items()} == paths
    assert all(f.given_with == f"--from {tmp_path / 'cms'}" for f in found.values())


def test_a_folder_with_two_files_of_one_kind_or_a_stranger_is_refused_by_name(settings,
                                                                             tmp_path):
    folder = tmp_path / "cms"
    hand_downloaded(folder)
    write(folder, "HCPC2025_OCT_ANWEB_v3.txt", cms.hcpcs_txt(RELEASE.codes))  # the TXT twin
    write(folder, "HCPC2025_recordlayout.txt", cms.RECORD_LAYOUT_TEXT.encode())
    with pytest.raises(BadInput) as refused:
        local_files.folder_files(settings, folder)
    message = str(refused.value)
    assert refused.value.field == "--from"
    assert ("2 files of one kind, HCPCS alpha-numeric file [hcpcs]: "
            "HCPC2025_OCT_ANWEB_v3.txt, HCPC2025_OCT_ANWEB_v3.xlsx: keep one") in message
    assert "HCPC2025_recordlayout.txt: not a CMS file this tool reads" in message


def test_a_kind_given_in_the_folder_and_with_url_is_refused(settings, tmp_path):
    paths = hand_downloaded(tmp_path / "cms")
    with pytest.raises(BadInput, match="asp_pricing given twice"):
        gather(settings, {"asp_pricing": str(paths["asp_pricing"])}, tmp_path / "cms")


# ---------------------------------------------------------------------------------------------
# The release: the one asked for must be the files' own


def test_the_release_is_taken_from_the_files_when_none_is_asked(settings, tmp_path):
    hand_downloaded(tmp_path / "cms")
    given = gather(settings, {}, tmp_path / "cms")
    assert given.offline and given.release(None) == Q4


def test_a_file_of_another_release_is_refused_naming_both_quarters(settings, tmp_path):
    paths = hand_downloaded(tmp_path)
    given = gather(settings, {"hcpcs": str(paths["hcpcs"])})
    with pytest.raises(BadInput) as refused:
        given.release(Q1_2026)
    assert str(refused.value).startswith(
        f"{paths['hcpcs']}, field 'hcpcs': this is the 2025Q4 release (2025Q4 by its name, "
        "2025Q4 by its newest ADD DT 2025-10-01), not 2026Q1: give the 2026Q1 file, or "
        "--quarter 2025Q4; --force-quarter loads it as 2026Q1 anyway")
    assert refused.value.exit_code == 2


def test_files_of_two_releases_are_refused_without_a_quarter(settings, tmp_path):
    folder = tmp_path / "cms"
    hand_downloaded(folder)
    q3 = Quarter(2025, 3)
    (folder / cms.asp_member_name("asp_pricing", Q4, "091725")).unlink()
    write(folder, cms.asp_member_name("asp_pricing", q3, "062325"),
          cms.asp_pricing_csv(q3, RELEASE.pricing))
    with pytest.raises(BadInput, match=r"the files given state different releases .*2025Q3"):
        gather(settings, {}, folder).release(None)


def test_files_that_state_no_release_need_a_quarter_offline(settings, tmp_path):
    codes = [code for code in RELEASE.codes if code.code != "L6034"]  # no add date this year
    undated = [cms.HcpcsCode(**{**vars(code), "add_date": None}) for code in codes]
    path = write(tmp_path, "hcpcs.txt", cms.hcpcs_txt(undated))
    given = Given({"hcpcs": recognise(path, settings, "hcpcs")}, folder=tmp_path)
    assert given.files["hcpcs"].statements == ()
    with pytest.raises(BadInput, match="none of the files given states its release: give "
                                       "--quarter"):
        given.release(None)
    assert given.release(Q4) == Q4  # nothing stated, nothing to disagree with


def test_force_quarter_needs_a_quarter_and_is_recorded(settings, tmp_path):
    paths = hand_downloaded(tmp_path)
    forced = gather(settings, {"hcpcs": str(paths["hcpcs"])}, force_quarter=True)
    with pytest.raises(BadInput, match="--force-quarter needs --quarter"):
        forced.release(None)
    assert forced.release(Q1_2026) == Q1_2026
    reason = forced.picked_reason("hcpcs", Q1_2026)
    assert reason.startswith(f"picked {paths['hcpcs'].resolve()}: local file given with --url")
    assert reason.endswith("release forced with --force-quarter: the file states 2025Q4, "
                           "loaded as 2026Q1")
    assert "forced" not in forced.picked_reason("hcpcs", Q4)


def test_a_url_naming_another_release_is_refused_before_it_is_fetched(settings):
    given = gather(settings, {"hcpcs": "https://proxy.example/october-2025-alpha-numeric-hcpcs"
                                       "-file.zip"})
    with pytest.raises(BadInput, match="this is the 2025Q4 release .*not 2026Q1"):
        given.release(Q1_2026)
    assert given.release(None) == Q4 and not given.offline


@pytest.mark.parametrize("overrides, folder, network", [
    ({}, None, True),
    ({"hcpcs": "a.zip"}, None, True),  # the ASP files still come from CMS
    ({"hcpcs": "a.zip", "asp_pricing": "b.csv", "asp_crosswalk": "c.csv"}, None, False),
    ({"hcpcs": "a.zip", "asp_pricing": "https://x/b.zip", "asp_crosswalk": "c.csv"}, None, True),
    ({}, Path("cms"), False),
])
def test_the_network_is_needed_only_when_a_required_kind_is_not_local(overrides, folder,
                                                                      network):
    local = {kind: target for kind, target in overrides.items() if not local_files.is_url(target)}
    urls = {kind: target for kind, target in overrides.items() if kind not in local}
    assert local_files.Given(local, urls, folder).offline is not network


# ---------------------------------------------------------------------------------------------
# Runs from files downloaded by hand, CMS out of reach


def offline_run(tmp_path: Path, *args: str) -> tuple:
    data_dir = tmp_path / "data"
    result = CliRunner().invoke(main, ["run", "--no-prefect", "--cms-url",
                                       f"http://127.0.0.1:{free_port()}",
                                       "--data-dir", str(data_dir), *args])
    return result, Settings(data_dir=data_dir)


def test_a_run_from_a_folder_asks_nothing_of_cms_and_skips_optional_kinds(tmp_path,
                                                                         connection_attempts):
    hand_downloaded(tmp_path / "cms")
    result, settings = offline_run(tmp_path, "--from", str(tmp_path / "cms"))
    assert result.exit_code == 0, result.output
    assert connection_attempts == []
    assert "noc_pricing   not given   not in" in result.output
    assert "skipped, nothing is fetched when the files are local" in result.output
    entries = {e.source_kind: e for e in manifest.read_manifest(settings)}
    assert sorted(entries) == ["asp_crosswalk", "asp_pricing", "hcpcs"]
    assert entries["hcpcs"].file_name == "HCPC2025_OCT_ANWEB_v3.xlsx"  # kept as given
    assert entries["hcpcs"].path.read_bytes() == (tmp_path / "cms" / "HCPC2025_OCT_ANWEB_v3.xlsx"
                                                  ).read_bytes()
    assert rows(settings, "SELECT quarter, source_kind, member_name FROM release_sources "
                          "ORDER BY source_kind") == [
        ("2025Q4", "asp_crosswalk", entries["asp_crosswalk"].file_name),
        ("2025Q4", "asp_pricing", entries["asp_pricing"].file_name),
        ("2025Q4", "hcpcs", "HCPC2025_OCT_ANWEB_v3.xlsx")]


def test_a_missing_local_file_is_named_before_cms_is_asked(tmp_path, connection_attempts):
    result, _ = offline_run(tmp_path, "--url", f"hcpcs={tmp_path / 'HCPC2025_OCT_ANWEB.txt'}")
    assert result.exit_code == 2
    assert "no such file" in result.output and "HCPC2025_OCT_ANWEB.txt" in result.output
    assert connection_attempts == []


@pytest.mark.real_samples
def test_a_run_from_the_real_bare_files_with_cms_unreachable(cms_samples, tmp_path,
                                                             connection_attempts):
    """The October 2025 ANWEB workbook and the two 508 CSVs, as saved from CMS's zips,
    given where they lie (no copy), no --quarter, CMS's URL a closed port: no connection
    is tried, the release is 2025Q4 from the files, and the workbooks are written."""
    urls = [f"{kind}={cms_samples / folder / name}"
            for kind, (folder, name) in REAL_FILES["2025Q4"].items()]
    result, settings = offline_run(tmp_path, *[arg for url in urls for arg in ("--url", url)])
    assert result.exit_code == 0, result.output
    assert connection_attempts == []
    assert "2025Q4: loaded" in result.output
    assert "release 2025Q4 by its name, 2025Q4 by sheet HCPC2025_OCT_ANWEB, 2025Q4 by its " \
           "newest ADD DT 2025-10-01" in result.output
    counts = dict(rows(settings, "SELECT source_kind, row_count FROM release_files "
                                 "WHERE quarter = '2025Q4'"))
    assert counts == {"hcpcs": 8846, "asp_pricing": 1012, "asp_crosswalk": 8245}
    alerts = openpyxl.load_workbook(settings.reports_dir / "2025Q4" / "noc-alerts-2025Q4.xlsx")
    verdicts = {row[1]: row[0] for row in alerts["Alerts"].iter_rows(values_only=True)
                if row[1]}
    assert verdicts["tocilizumab-anoh"] == "NEW_CODE" and verdicts["ublituximab-xiiy"] == "PAST_DUE"


@pytest.mark.real_samples
def test_the_real_october_workbook_given_as_2026q1_is_refused(cms_samples, tmp_path,
                                                             connection_attempts):
    workbook = cms_samples / "hcpcs" / "HCPC2025_OCT_ANWEB.xlsx"
    result, settings = offline_run(tmp_path, "--quarter", "2026Q1", "--url",
                                   f"hcpcs={workbook}")
    assert result.exit_code == 2
    assert "this is the 2025Q4 release" in result.output and "not 2026Q1" in result.output
    assert connection_attempts == [] and not settings.manifest_path.exists()

    forced, _ = offline_run(tmp_path, "--quarter", "2026Q1", "--force-quarter", "--url",
                            f"hcpcs={workbook}")
    assert forced.exit_code == 3  # the ASP files would come from CMS: out of reach
    assert "cannot reach" in forced.output and not settings.manifest_path.exists()


def test_a_forced_release_is_loaded_as_asked_and_says_so_in_source_files(tmp_path):
    hand_downloaded(tmp_path / "cms")
    result, settings = offline_run(tmp_path, "--from", str(tmp_path / "cms"), "--quarter",
                                   "2026Q1", "--force-quarter")
    assert result.exit_code == 0, result.output
    reasons = rows(settings, "SELECT picked_reason FROM source_files WHERE quarter = '2026Q1'")
    assert len(reasons) == 3 and all(
        reason.endswith("the file states 2025Q4, loaded as 2026Q1") for (reason,) in reasons)
    line = json.loads(settings.manifest_path.read_text().splitlines()[0])
    assert line["quarter"] == "2026Q1" and "--force-quarter" in line["picked_reason"]


def test_a_hand_saved_html_page_is_refused_naming_it(tmp_path, connection_attempts):
    folder = tmp_path / "cms"
    hand_downloaded(folder)
    page = write(tmp_path, "october-2025-asp-pricing-file.csv",
                 b"<!DOCTYPE html><html><body>Access denied</body></html>")
    result, settings = offline_run(tmp_path, "--quarter", "2025Q4", "--url",
                                   f"asp_pricing={page}", "--url",
                                   f"hcpcs={folder / 'HCPC2025_OCT_ANWEB_v3.xlsx'}", "--url",
                                   f"asp_crosswalk={next(folder.glob('*Crosswalk*'))}")
    assert result.exit_code == 2 and "october-2025-asp-pricing-file.csv" in result.output
    assert connection_attempts == []
