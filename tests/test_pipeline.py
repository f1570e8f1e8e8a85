"""crosswalk.pipeline: the quarterly job as plain Python (the `--no-prefect` path).

Real parts throughout: the CMS-shaped mirror on 127.0.0.1, a DuckDB file, workbooks reopened
with openpyxl, and separate processes for the one-run-at-a-time lock.
"""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest
from click.testing import CliRunner

from crosswalk import fetch, manifest, pipeline
from crosswalk.cli import main
from crosswalk.errors import BadInput, Busy
from crosswalk.quarters import Quarter
from crosswalk.settings import EXAMPLE_DRUGS, Settings
from mirror import standard_zip

Q3, Q4 = Quarter(2025, 3), Quarter(2025, 4)
REPO_ROOT = Path(__file__).resolve().parent.parent
CROSSWALK = Path(sys.executable).with_name("crosswalk")


def example_drug_names() -> set[str]:
    import pandas as pd

    return {name.strip().lower() for name in pd.read_csv(EXAMPLE_DRUGS)["drug_name"].dropna()}


def workbook_values(path: Path) -> list[str]:
    """Every non-empty cell of every sheet, as lowercase text."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [str(cell).strip().lower() for sheet in book.worksheets
                for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None]
    finally:
        book.close()


def reposted(zip_path: Path) -> bytes:
    """The same members plus a readme: new bytes, as when CMS re-posts under the old name."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(zip_path) as old, zipfile.ZipFile(buffer, "w") as new:
        for member in old.infolist():
            new.writestr(member, old.read(member))
        new.writestr("readme.txt", "Revised file")
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# The lock


def test_a_second_process_is_refused_with_busy_naming_the_holder(settings, hold_run_lock):
    holder = hold_run_lock(settings.data_dir)
    try:
        started = time.monotonic()
        with pytest.raises(Busy) as refused:
            with pipeline.run_lock(settings, wait_seconds=0.5):
                pass
        assert time.monotonic() - started >= 0.5
        assert f"pid {holder.pid}" in str(refused.value)
        assert "crosswalk.lock" in str(refused.value)
    finally:
        holder.communicate("")
    with pipeline.run_lock(settings, wait_seconds=0):  # released when the holder ends
        pass


def test_a_waiting_run_gets_the_lock_when_the_other_finishes(settings, hold_run_lock):
    holder = hold_run_lock(settings.data_dir)
    threading.Timer(0.5, holder.communicate, args=("",)).start()
    started = time.monotonic()
    with pipeline.run_lock(settings, wait_seconds=20):
        waited = time.monotonic() - started
    holder.wait(5)
    assert 0.3 < waited < 20


def test_the_lock_is_freed_when_its_holder_is_killed(settings, hold_run_lock):
    holder = hold_run_lock(settings.data_dir)
    holder.kill()
    holder.wait(5)
    with pipeline.run_lock(settings, wait_seconds=0):
        pass


@pytest.mark.parametrize("mode", [["--no-prefect"], []], ids=["plain", "prefect"])
def test_a_busy_run_exits_4_and_leaves_the_data_directory_alone(settings, cms_mirror, mode, hold_run_lock):
    cms_mirror.publish_quarter(Q4)
    holder = hold_run_lock(settings.data_dir)
    try:
        result = subprocess.run(
            [str(CROSSWALK), "run", *mode, "--wait", "0.5", "--cms-url",
             cms_mirror.base_url, "--data-dir", str(settings.data_dir)],
            capture_output=True, text=True, timeout=120)
    finally:
        holder.communicate("")
    assert result.returncode == 4, result.stderr
    assert "another crosswalk run" in result.stderr and f"pid {holder.pid}" in result.stderr
    assert cms_mirror.requests_log == []
    assert not settings.db_path.exists()
    assert not (settings.data_dir / "prefect").exists()  # stepped aside before Prefect started


# ---------------------------------------------------------------------------------------------
# Downloads that died: their partial files are removed when a run takes the data directory


def partial_files(settings: Settings) -> list[Path]:
    return sorted(settings.raw_dir.glob("*/*/.partial-*.tmp"))


def wait_for(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def padded(body: bytes, size: int = 400_000) -> bytes:
    """The same zip with an incompressible note: big enough to be caught mid-transfer."""
    import os

    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(body)) as old, zipfile.ZipFile(buffer, "w") as new:
        for member in old.infolist():
            new.writestr(member, old.read(member))
        new.writestr("notes.bin", os.urandom(size))
    return buffer.getvalue()


def test_a_download_killed_mid_transfer_leaves_a_partial_file_the_next_run_removes(
        mirror_settings, cms_mirror):
    paths = cms_mirror.publish_quarter(Q4, zips={"asp_pricing": padded(
        standard_zip("asp_pricing", Q4))})
    # a child process starts slowly on a busy 2-core machine: long stall, generous wait
    cms_mirror.fault(paths["asp_pricing"], "stall", times=1, delay=180)
    child = subprocess.Popen(
        [str(CROSSWALK), "download", "--quarter", "2025Q4", "--cms-url", cms_mirror.base_url,
         "--data-dir", str(mirror_settings.data_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: any(p.stat().st_size for p in partial_files(mirror_settings)),
                 seconds=150)
    finally:
        child.kill()  # SIGKILL: no finally block of ours runs
        child.wait(10)
    (stale,) = partial_files(mirror_settings)
    assert stale.parent.name == "2025Q4" and stale.parent.parent.name == "asp_pricing"

    summary = pipeline.run_quarter(mirror_settings, Q4)

    assert partial_files(mirror_settings) == [] and not stale.exists()
    assert summary.load.status == "loaded"


def test_the_partial_file_of_a_download_still_running_is_left_alone(mirror_settings, cms_mirror):
    """Cleaning happens when a run takes the lock; a `crosswalk download` running beside it
    (it takes no run lock) holds its partial file locked, so it keeps it and finishes."""
    paths = cms_mirror.publish_quarter(Q4, zips={"asp_pricing": padded(
        standard_zip("asp_pricing", Q4))})
    cms_mirror.fault(paths["asp_pricing"], "stall", times=1, delay=2)  # under the read timeout
    results: list = []
    downloading = threading.Thread(
        target=lambda: results.append(fetch.download_quarter(Q4, mirror_settings)))
    downloading.start()
    wait_for(lambda: any(p.stat().st_size for p in partial_files(mirror_settings)))
    (live,) = partial_files(mirror_settings)

    pipeline.wait_for_turn(mirror_settings, 0)  # takes (and frees) the run lock: cleans up

    assert live.exists()
    downloading.join(30)
    assert [r.status for r in results[0] if r.kind == "asp_pricing"] == ["new"]
    assert partial_files(mirror_settings) == []


# ---------------------------------------------------------------------------------------------
# Choosing what to load


def test_backfill_range_lists_archived_releases_and_the_missing_ones(mirror_settings, cms_mirror):
    for quarter in ("2024Q4", "2025Q2", "2025Q3"):
        cms_mirror.publish_quarter(quarter)
        pipeline.download(mirror_settings, Quarter.parse(quarter))
    chosen, missing = pipeline.archived_range(mirror_settings)
    assert chosen == [Quarter(2024, 4), Quarter(2025, 2), Quarter(2025, 3)]
    assert missing == [Quarter(2025, 1)]
    chosen, missing = pipeline.archived_range(mirror_settings, Quarter(2025, 1), Q4)
    assert chosen == [Quarter(2025, 2), Quarter(2025, 3)]
    assert missing == [Quarter(2025, 1), Q4]
    with pytest.raises(BadInput, match="no release archived"):
        pipeline.archived_range(mirror_settings, Quarter(2020, 1), Quarter(2020, 4))
    with pytest.raises(BadInput, match="after"):
        pipeline.archived_range(mirror_settings, Q4, Q3)


def test_parse_cache_key_follows_file_bytes_not_names(mirror_settings, cms_mirror):
    paths = cms_mirror.publish_quarter(Q4)
    pipeline.download(mirror_settings, Q4)
    first = pipeline.parse_cache_key(mirror_settings, Q4, {})
    pipeline.download(mirror_settings, Q4)  # nothing changed at CMS
    assert pipeline.parse_cache_key(mirror_settings, Q4, {}) == first
    newest = manifest.archived_files(mirror_settings, Q4)
    assert pipeline.parse_cache_key(mirror_settings, Q4, {"hcpcs": newest["hcpcs"].sha256}) != first

    cms_mirror.put(paths["asp_pricing"], reposted(Path(newest["asp_pricing"].archive_path)))
    pipeline.download(mirror_settings, Q4)
    assert manifest.archived_files(mirror_settings, Q4)["asp_pricing"].file_name == \
        newest["asp_pricing"].file_name
    assert pipeline.parse_cache_key(mirror_settings, Q4, {}) != first


# ---------------------------------------------------------------------------------------------
# The whole run, plain Python


def table_rows(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_run_quarter_downloads_loads_matches_and_writes_the_workbooks(mirror_settings, cms_mirror):
    cms_mirror.publish_quarter(Q3)
    cms_mirror.publish_quarter(Q4)
    summary = pipeline.run_quarter(mirror_settings)
    assert summary.quarter == Q4  # the newest posted
    assert summary.load.status == "loaded"
    assert {entry.source_kind for entry in summary.files} >= {"hcpcs", "asp_pricing",
                                                              "asp_crosswalk"}
    assert table_rows(mirror_settings, "SELECT DISTINCT quarter FROM hcpcs_codes") == [("2025Q4",)]
    drugs = table_rows(mirror_settings, "SELECT count(*) FROM practice_alerts WHERE quarter = '2025Q4'")
    assert drugs[0][0] == len(summary.outcome.alerts) > 0
    counts = summary.verdict_counts()
    assert sum(counts.values()) == len(summary.outcome.alerts)
    assert list(counts)[:len(pipeline.VERDICTS)] == list(pipeline.VERDICTS)

    alerts = next(path for path in summary.workbooks if path.name == "noc-alerts-2025Q4.xlsx")
    assert alerts.parent == mirror_settings.reports_dir / "2025Q4"
    cells = workbook_values(alerts)
    assert example_drug_names() & set(cells)
    assert any(verdict.lower() in cells for verdict, count in counts.items() if count)
    printed = summary.describe()
    assert f"wrote {alerts}" in printed and summary.outcome.table() in printed

    markdown = summary.markdown()
    for entry in summary.files:
        assert entry.sha256 in markdown and entry.file_name in markdown
    for verdict, count in counts.items():
        assert f"| {verdict} | {count} |" in markdown


def test_a_rerun_over_unchanged_files_downloads_and_loads_nothing(mirror_settings, cms_mirror):
    cms_mirror.publish_quarter(Q4)
    first = pipeline.run_quarter(mirror_settings, Q4)
    cms_mirror.clear_log()
    second = pipeline.run_quarter(mirror_settings, Quarter.parse("2025Q4"))
    assert cms_mirror.downloads() == []
    assert (first.load.status, second.load.status) == ("loaded", "unchanged")
    assert second.outcome.run_id != first.outcome.run_id
    assert [e.sha256 for e in second.files] == [e.sha256 for e in first.files]


def test_bad_rows_of_the_drug_list_are_named_in_the_summary(mirror_settings, cms_mirror, tmp_path):
    cms_mirror.publish_quarter(Q4)
    drugs = tmp_path / "drugs.csv"
    drugs.write_text("drug_name,ndc,current_code\n"
                     "ublituximab-xiiy,73150-0150-6,J3590\n"
                     "rituximab-arrx,55513-0224-01,J9035\n")  # not a NOC code
    summary = pipeline.run_quarter(mirror_settings, Q4, drugs)
    assert list(summary.outcome.alerts["drug_name"]) == ["ublituximab-xiiy"]
    markdown = summary.markdown()
    assert "1 row(s) of the list were not matched" in markdown
    assert f"- {summary.outcome.problems[0]}" in markdown and "row 3" in markdown


def test_a_file_that_fails_to_parse_is_recorded_as_a_failed_load(mirror_settings, cms_mirror):
    paths = cms_mirror.publish_quarter(Q4)
    cms_mirror.put(paths["asp_pricing"], zip_of({"section 508 version of October 2025 ASP "
                                                 "Pricing File 091725.csv": b"not,a,pricing,file\r\n"}))
    with pytest.raises(BadInput) as raised:
        pipeline.run_quarter(mirror_settings, Q4)
    failed = table_rows(mirror_settings, "SELECT status, message FROM load_runs")
    assert failed == [("failed", str(raised.value))]
    assert table_rows(mirror_settings, "SELECT count(*) FROM hcpcs_codes") == [(0,)]


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def test_a_missing_drug_list_is_refused_before_anything_runs(mirror_settings, cms_mirror, tmp_path):
    cms_mirror.publish_quarter(Q4)
    with pytest.raises(BadInput, match="not found"):
        pipeline.run_quarter(mirror_settings, Q4, tmp_path / "nope.csv")
    assert cms_mirror.requests_log == []


def test_plain_backfill_loads_releases_in_quarter_order(mirror_settings, cms_mirror):
    for quarter in (Q4, Q3, Quarter(2025, 2)):
        cms_mirror.publish_quarter(quarter)
        pipeline.download(mirror_settings, quarter)
    summary = pipeline.load_archive(mirror_settings)
    assert [str(load.quarter) for load in summary.loaded] == ["2025Q2", "2025Q3", "2025Q4"]
    assert [load.status for load in summary.loaded] == ["loaded"] * 3
    runs = table_rows(mirror_settings, "SELECT quarter FROM load_runs ORDER BY run_id")
    assert [quarter for (quarter,) in runs] == ["2025Q2", "2025Q3", "2025Q4"]
    again = pipeline.load_archive(mirror_settings, Q3, Q4)
    assert [load.status for load in again.loaded] == ["unchanged", "unchanged"]


# ---------------------------------------------------------------------------------------------
# The commands, as a user types them


def test_crosswalk_backfill_no_prefect_loads_a_range_and_names_the_gaps(mirror_settings,
                                                                          cms_mirror):
    for quarter in (Quarter(2025, 1), Q3):
        cms_mirror.publish_quarter(quarter)
        pipeline.download(mirror_settings, quarter)
    result = CliRunner().invoke(main, ["backfill", "--no-prefect", "--from", "2025Q1", "--to",
                                       "oct-2025", "--data-dir", str(mirror_settings.data_dir)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split(":")[0] for line in lines if line.startswith("2025")] == ["2025Q1", "2025Q3"]
    assert "not in the raw archive" in lines[-1] and lines[-1].endswith("2025Q2, 2025Q4")
    refused = CliRunner().invoke(main, ["backfill", "--no-prefect", "--from", "2019Q1", "--to",
                                        "2019Q4", "--data-dir", str(mirror_settings.data_dir)])
    assert refused.exit_code == 2 and "no release archived" in refused.output


def test_crosswalk_run_no_prefect_writes_the_workbooks(cms_mirror, tmp_path):
    cms_mirror.publish_quarter(Q4)
    data_dir = tmp_path / "somewhere"
    result = subprocess.run(
        [str(CROSSWALK), "run", "--no-prefect", "--cms-url", cms_mirror.base_url,
         "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    workbooks = sorted((data_dir / "reports" / "2025Q4").glob("*.xlsx"))
    assert [path.name for path in workbooks] == ["crosswalk-2025Q4.xlsx", "noc-alerts-2025Q4.xlsx"]
    for path in workbooks:
        assert f"wrote {path}" in result.stdout
    assert example_drug_names() & set(workbook_values(workbooks[1]))
    assert (data_dir / "crosswalk.duckdb").is_file()
    assert not (data_dir / "prefect").exists()  # --no-prefect: Prefect never started


def test_crosswalk_run_takes_a_file_already_downloaded_instead_of_discovering_it(cms_mirror,
                                                                                  tmp_path):
    cms_mirror.publish_quarter(Q4, kinds=("hcpcs", "asp_crosswalk"))  # no pricing link posted
    local = tmp_path / "october-2025-asp-pricing-file.zip"
    local.write_bytes(standard_zip("asp_pricing", Q4))
    data_dir = tmp_path / "data"
    result = CliRunner().invoke(main, [
        "run", "--no-prefect", "--quarter", "2025Q4", "--cms-url", cms_mirror.base_url,
        "--data-dir", str(data_dir), "--url", f"asp_pricing={local}"])
    assert result.exit_code == 0, result.output
    entries = {e.source_kind: e for e in manifest.read_manifest(Settings(data_dir=data_dir))}
    assert entries["asp_pricing"].url is None
    assert "local file given with --url" in entries["asp_pricing"].picked_reason
    assert (data_dir / "reports" / "2025Q4" / "noc-alerts-2025Q4.xlsx").is_file()


def test_two_concurrent_runs_take_turns_and_both_finish(cms_mirror, tmp_path):
    cms_mirror.publish_quarter(Q4)
    command = [str(CROSSWALK), "run", "--no-prefect", "--wait", "120", "--cms-url",
               cms_mirror.base_url, "--data-dir", str(tmp_path / "data")]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outputs = [run.communicate(timeout=240) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    settings = Settings(data_dir=tmp_path / "data")
    statuses = table_rows(settings, "SELECT status FROM load_runs ORDER BY run_id")
    assert [status for (status,) in statuses] == ["loaded", "unchanged"]
    assert table_rows(settings, "SELECT count(*) FROM match_runs")[0][0] == 2
    assert len(cms_mirror.downloads()) == 3  # the second run found every file unchanged


def test_backfill_parses_only_a_few_releases_ahead_of_the_writer(mirror_settings, cms_mirror):
    quarters = [Quarter(2024, 4), Quarter(2025, 1), Quarter(2025, 2), Q3, Q4]
    for quarter in quarters:
        cms_mirror.publish_quarter(quarter)
        pipeline.download(mirror_settings, quarter)
    events: list[tuple[str, str]] = []

    def parse(settings, quarter, loaded, wait_seconds):
        events.append(("parse", str(quarter)))
        return pipeline.parse_release(settings, quarter, loaded, wait_seconds)

    def write(settings, parsed, wait_seconds):
        events.append(("write", str(parsed.quarter)))
        return pipeline.write_release(settings, parsed, wait_seconds)

    steps = pipeline.PLAIN_STEPS._replace(parse_release=parse, write_release=write)
    loads = pipeline.load_releases(mirror_settings, quarters[::-1], steps=steps)
    assert [str(load.quarter) for load in loads.loaded] == [str(q) for q in quarters]
    assert [q for what, q in events if what == "write"] == [str(q) for q in quarters]
    ahead = [sum(1 if what == "parse" else -1 for what, _ in events[:i + 1])
             for i in range(len(events))]
    assert 2 <= max(ahead) <= pipeline.BACKFILL_WORKERS + 1  # parallel, yet bounded


# ---------------------------------------------------------------------------------------------
# Claims: a folder checked after the release is loaded, each file once


def claims_folder(folder: Path) -> Path:
    """An 837P (odd extension) and an export of the same claims, a broken export, and a
    file that is no claim file at all; codes and NDC from the shared sample release."""
    import claim_builders as cb
    from datetime import date

    claims = [cb.Claim("ACCT1001", [
        cb.ServiceLine("J3590", 1, date(2025, 10, 15), ("JZ",), "ublituximab-xiiy 450 mg",
                       ndc="73150015006", ndc_quantity=3, ndc_unit="UN"),
        cb.ServiceLine("96365", 1, date(2025, 10, 15))], prior_auth="PA1")]
    files = cb.write_both(folder, "week-42", claims)
    assert cb.pyx12_problems(files["837p"]) == []
    files["837p"].rename(folder / "week-42.dat")
    (folder / "broken.csv").write_text("claim_id,date_of_service,hcpcs,units\nA1,2025-10-15,"
                                       "J2329,many\n")
    (folder / "README.txt").write_text("Claims go here.\n")
    return folder


def test_run_quarter_checks_each_claim_file_of_a_folder_once(mirror_settings, cms_mirror,
                                                             tmp_path):
    cms_mirror.publish_quarter(Q4)
    folder = claims_folder(tmp_path / "claims")
    first = pipeline.run_quarter(mirror_settings, Q4, claims=folder)
    assert sorted(done.path.name for done in first.claims.checked) == ["week-42.csv",
                                                                      "week-42.dat"]
    assert [error.file for error in first.claims.refused] == ["broken.csv"]
    for done in first.claims.checked:
        assert done.findings["NOC_AFTER_EFFECTIVE"] == {"error": 1}
        assert done.report.is_file()
    assert "NOC_AFTER_EFFECTIVE" in first.describe() and "broken.csv" in first.describe()
    assert "note: the workbook is named after the file stem, which week-42.csv share(s)" in \
        first.describe()
    assert "| week-42.dat | 2 | 1 | 0 | 0 |" in first.markdown()

    second = pipeline.run_quarter(mirror_settings, Q4, claims=folder)
    assert second.claims.checked == []
    assert sorted(path.name for path in second.claims.skipped) == ["week-42.csv", "week-42.dat"]
    assert [error.file for error in second.claims.refused] == ["broken.csv"]  # still unread


def test_crosswalk_run_with_claims_exits_2_for_an_unreadable_claim_file(cms_mirror, tmp_path):
    cms_mirror.publish_quarter(Q4)
    folder = claims_folder(tmp_path / "claims")
    result = CliRunner().invoke(main, [
        "run", "--no-prefect", "--cms-url", cms_mirror.base_url, "--data-dir",
        str(tmp_path / "data"), "--claims", str(folder)])
    assert result.exit_code == 2, result.output
    assert "week-42.dat (837p): 1 claim(s), 2 line(s) checked against the 2025Q4" in \
        result.output
    assert "error: broken.csv: 1 bad row(s)" in result.output
    assert (tmp_path / "data" / "reports" / "claims" / "claims-check-week-42.xlsx").is_file()


# ---------------------------------------------------------------------------------------------
# Releases CMS has only half posted, and the early warning


def summary_facts(workbook: Path) -> dict[str, object]:
    """The Summary sheet's label -> value pairs."""
    sheet = openpyxl.load_workbook(workbook)["Summary"]
    return {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}


@pytest.mark.real_samples
def test_the_2016_annual_release_loads_and_matches_from_its_hcpcs_file_alone(cms_samples,
                                                                             tmp_path):
    """An analyst loads an old release for history: the real 2016 distribution, zipped as CMS
    served it, downloaded by hand. Nothing else of 2016 is there; the release loads, matching
    runs on names and says the ASP files are missing, and so does the workbook."""
    folder = tmp_path / "hand"
    folder.mkdir()
    with zipfile.ZipFile(folder / "2016-Annual-Alpha-Numeric-HCPCS-File.zip", "w",
                         zipfile.ZIP_DEFLATED) as archive:
        for path in sorted((cms_samples / "hcpcs" / "2016-annual").iterdir()):
            archive.write(path, path.name)
    drugs = tmp_path / "drugs.csv"
    drugs.write_text("drug_name,brand_name,current_code,dose\n"
                     "rituximab,Rituxan,J9999,700 mg\n", encoding="utf-8")
    data_dir = tmp_path / "data"
    result = CliRunner().invoke(main, ["run", "--no-prefect", "--from", str(folder), "--drugs",
                                       str(drugs), "--data-dir", str(data_dir), "--cms-url",
                                       "http://127.0.0.1:9"])
    assert result.exit_code == 0, result.output
    assert "2016Q1: loaded" in result.output
    assert "asp_pricing   not given" in result.output
    settings = Settings(data_dir=data_dir)
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        loaded = dict(con.execute("SELECT source_kind, row_count FROM release_files "
                                  "WHERE quarter = '2016Q1'").fetchall())
        (prices,), = con.execute("SELECT count(*) FROM asp_payment_limits").fetchall()
        hint, verdict, code = con.execute("SELECT hints, verdict, new_code FROM practice_alerts"
                                          ).fetchone()
    assert loaded == {"hcpcs": 6293} and prices == 0
    assert (verdict, code) == ("PAST_DUE", "J9310")  # rituximab, 100 mg, in 2016
    assert "ASP files not posted yet: no 2016Q1 payment limit file is loaded" in hint
    facts = summary_facts(data_dir / "reports" / "2016Q1" / "noc-alerts-2016Q1.xlsx")
    assert facts["ASP payment limits and NDC crosswalk"].startswith(
        "ASP files not posted yet: asp_pricing, asp_crosswalk not loaded for 2016Q1")
    assert "Early warning" not in facts
    sources = {row[0]: row for row in openpyxl.load_workbook(
        data_dir / "reports" / "2016Q1" / "noc-alerts-2016Q1.xlsx")["Summary"].iter_rows(
        values_only=True) if row[0] in ("hcpcs", "asp_pricing", "asp_crosswalk")}
    assert sources["hcpcs"][1:4] == (6293, None, "2016-Annual-Alpha-Numeric-HCPCS-File.zip")
    assert sources["asp_pricing"][1:4] == (None, "not posted yet when the release was loaded",
                                           None)


def publish_next_quarter(mirror, folder: Path) -> tuple[Quarter, Path]:
    """CMS weeks before a quarter starts: this quarter's files, and the next quarter's HCPCS
    file alone (built in the real layout) with J0183 starting on its first day. Returns
    that quarter and a drug list waiting for J0183."""
    import cms_builders as cms
    from datetime import date

    current = Quarter.containing(date.today())
    upcoming = current.next()
    starts = upcoming.first_day
    mirror.publish_quarter(current)
    new_code = cms.HcpcsCode("J0183", "Injection, garadacimab-gxii, 1 mg",
                             "Inj garadacimab-gxii 1 mg", prices=("51",), multi_pi="A",
                             betos="O1E", tos=("1", "P"), add_date=starts,
                             action_eff_date=starts, action_cd="A")  # test data: a future code
    codes = cms.sample_release(upcoming).codes + [new_code]
    mirror.publish_quarter(upcoming, kinds=("hcpcs",),
                           zips={"hcpcs": cms.build_hcpcs_zip(upcoming, codes)})
    drugs = folder / "drugs.csv"
    drugs.write_text("drug_name,brand_name,current_code,dose,route\n"
                     "garadacimab-gxii,Andembry,J3590,200 mg,SC\n"
                     "ublituximab-xiiy,Briumvi,J3590,450 mg,IV\n", encoding="utf-8")
    return upcoming, drugs


def test_the_early_warning_run_on_the_next_quarters_hcpcs_file(cms_mirror, tmp_path):
    """CMS posts the next quarter's HCPCS file weeks before it takes effect, the ASP files
    later. `crosswalk run` without --quarter takes that release at once: a NEW_CODE says the
    date its code starts, the terminal and the workbook say when the release takes effect."""
    from datetime import timedelta

    upcoming, drugs = publish_next_quarter(cms_mirror, tmp_path)
    starts = upcoming.first_day
    data_dir = tmp_path / "data"
    result = CliRunner().invoke(main, ["run", "--no-prefect", "--cms-url", cms_mirror.base_url,
                                       "--drugs", str(drugs), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    day_before = starts - timedelta(days=1)
    assert (f"Early warning: the {upcoming} release takes effect on {starts}: bill the new code "
            f"for dates of service from then; keep the NOC code through {day_before}"
            ) in result.output
    assert "asp_pricing   not posted" in result.output
    alerts = {row[1]: row for row in openpyxl.load_workbook(
        data_dir / "reports" / str(upcoming) / f"noc-alerts-{upcoming}.xlsx")["Alerts"]
        .iter_rows(values_only=True) if row[1]}
    ahead = alerts["garadacimab-gxii"]
    assert (ahead[0], ahead[4]) == ("NEW_CODE", "J0183")
    assert ahead[6].startswith(f"Takes effect on {starts}: bill J0183 for dates of service "
                               "from then")
    assert alerts["ublituximab-xiiy"][0] == "PAST_DUE"  # in force long since
    facts = summary_facts(data_dir / "reports" / str(upcoming) / f"noc-alerts-{upcoming}.xlsx")
    assert facts["Early warning"] == (
        f"the {upcoming} release takes effect on {starts}: bill the new code for dates of "
        f"service from then; keep the NOC code through {day_before}")
    assert facts["ASP payment limits and NDC crosswalk"].startswith("ASP files not posted yet")
