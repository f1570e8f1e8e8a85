"""Survival under faults, end to end: what a scheduled run meets and what it must leave behind.

Unit-level faults are tested beside their modules (test_fetch: retries, timeouts, truncation,
HTML-as-zip, corrupt zips; test_readers_*: every reader fault by line and field; test_warehouse:
crash hook mid-transaction, one writer; test_pipeline: the run lock, two `crosswalk run`s).
Here the same faults go through the whole job (pipeline.run_quarter, pipeline.load_release,
match.match_practice, a real `crosswalk` process killed with SIGKILL), and each test checks
that nothing is half-written: the raw archive (files, temp files, manifest), the database
(row counts and checksums of every table) and the workbooks are exactly as before, and the
next run completes. docs/reliability.md lists where each fault is tested.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import zipfile
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, strategies as st

from crosswalk import kinds, manifest, match, pipeline, warehouse
from crosswalk.errors import BadInput, SourceUnavailable
from crosswalk.ndc import normalize_ndc
from crosswalk.quarters import Quarter
from crosswalk.settings import Settings

import cms_builders as cms
from conftest import SQL_STEP_HOOK

Q4 = Quarter(2025, 4)
TABLES = ("hcpcs_codes", "noc_codes", "hcpcs_transactions", "asp_payment_limits",
          "asp_ndc_crosswalk", "noc_pricing", "noc_crosswalk", "source_files", "release_files",
          "load_runs", "match_runs", "practice_drugs", "match_candidates", "practice_alerts")
CROSSWALK = Path(sys.executable).with_name("crosswalk")


# ---------------------------------------------------------------------------------------------
# What a run leaves behind


def database_state(settings: Settings) -> dict[str, tuple]:
    """Row count and an order-independent checksum of every table."""
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        return {table: con.execute(f"SELECT count(*), sum(hash(t)) FROM {table} t").fetchone()
                for table in TABLES}


def archive_state(settings: Settings) -> list[tuple[str, str]]:
    """Every file under raw/ (hidden and temp files too, the manifest included) and its hash."""
    return sorted((str(path.relative_to(settings.raw_dir)),
                   hashlib.sha256(path.read_bytes()).hexdigest())
                  for path in settings.raw_dir.rglob("*") if path.is_file())


def reports_state(settings: Settings) -> list[tuple[str, int]]:
    return sorted((str(path), path.stat().st_mtime_ns)
                  for path in settings.reports_dir.rglob("*") if path.is_file())


def everything(settings: Settings) -> tuple:
    return database_state(settings), archive_state(settings), reports_state(settings)


def with_readme(body: bytes) -> bytes:
    """The same members plus a note: new bytes, as when CMS re-posts a corrected file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(body)) as old, zipfile.ZipFile(buffer, "w") as new:
        for member in old.infolist():
            new.writestr(member, old.read(member))
        new.writestr("readme.txt", "Revised")
    return buffer.getvalue()


@pytest.fixture
def first_run(mirror_settings: Settings, cms_mirror) -> tuple[Settings, dict[str, str]]:
    """A data directory after one good run of 2025Q4: archive, database and workbooks."""
    paths = cms_mirror.publish_quarter(Q4)
    assert pipeline.run_quarter(mirror_settings, Q4).load.status == "loaded"
    return mirror_settings, paths


# ---------------------------------------------------------------------------------------------
# HTTP faults through the whole run


@pytest.mark.parametrize("fault, options, error, message", [
    pytest.param("500", {}, SourceUnavailable, r"HTTP 500", id="5xx-that-never-ends"),
    pytest.param("500", {"status": 503}, SourceUnavailable, r"HTTP 503", id="503-that-never-ends"),
    pytest.param("429", {"retry_after": "0"}, SourceUnavailable, r"HTTP 429",
                 id="429-that-never-ends"),
    pytest.param("slow", {"delay": 1.5}, SourceUnavailable, r"cannot fetch", id="read-timeouts"),
    pytest.param("truncate", {}, SourceUnavailable, r"broke off.*nothing was archived",
                 id="truncated-body"),
    pytest.param("html", {}, SourceUnavailable, r"HTML page where a zip was expected",
                 id="html-error-page-as-zip"),
    pytest.param("corrupt", {}, BadInput, r"not a readable zip", id="corrupt-zip"),
])
def test_a_faulty_repost_is_refused_and_nothing_is_half_written(
        first_run, cms_mirror, fault, options, error, message):
    settings, paths = first_run
    before = everything(settings)
    cms_mirror.put(paths["asp_crosswalk"], with_readme(cms_mirror.body(paths["asp_crosswalk"])))
    cms_mirror.fault(paths["asp_crosswalk"], fault, **options)

    impatient = replace(settings, read_timeout=0.5)  # the slow answers take 1.5 s
    with pytest.raises(error, match=message) as raised:
        pipeline.run_quarter(impatient, Q4)

    said = str(raised.value)
    assert "asp-ndc-hcpcs-crosswalk" in said or "[asp_crosswalk]" in said  # names the file
    assert everything(settings) == before


@pytest.mark.parametrize("fault", ["429", "500"])
def test_a_burst_of_errors_is_retried_and_the_repost_loads(first_run, cms_mirror, fault):
    settings, paths = first_run
    path = paths["asp_crosswalk"]
    cms_mirror.put(path, with_readme(cms_mirror.body(path)))
    cms_mirror.fault(path, fault, times=settings.retries)  # every retry but the last fails
    cms_mirror.clear_log()

    summary = pipeline.run_quarter(settings, Q4)

    statuses = [hit.status for hit in cms_mirror.requests_log if hit.path == path]
    assert statuses == [int(fault)] * settings.retries + [200]
    assert summary.load.status == "loaded"
    newest = manifest.archived_files(settings, Q4)["asp_crosswalk"]
    assert newest.sha256 == hashlib.sha256(cms_mirror.body(path)).hexdigest()
    loaded = {file.kind: file.sha256 for file in summary.load.files}
    assert loaded["asp_crosswalk"] == newest.sha256


def test_a_listing_page_without_the_quarter_is_refused_before_anything_changes(first_run,
                                                                                 cms_mirror):
    settings, _ = first_run
    before = everything(settings)
    with pytest.raises(SourceUnavailable) as raised:
        pipeline.run_quarter(settings, Quarter.parse("2026Q1"))
    assert "2026Q1" in str(raised.value) and "[hcpcs]" in str(raised.value)
    assert everything(settings) == before
    assert not [hit for hit in cms_mirror.requests_log if "2026" in hit.path]


# ---------------------------------------------------------------------------------------------
# CMS takes a re-post back: what CMS serves now is the release


def pricing_with_limit(limit: str) -> bytes:
    """The sample ASP pricing zip with J2329's payment limit changed: CMS's v2."""
    rows = [replace(row, payment_limit=limit) if row.hcpcs_code == "J2329" else row
            for row in cms.sample_release(Q4).pricing]
    return cms.build_asp_pricing_zip(Q4, rows)


def sha256_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def loaded_pricing(settings: Settings) -> tuple[str, object]:
    """(sha256 of the pricing file loaded for 2025Q4, J2329's payment limit in the database)."""
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        (sha,) = con.execute("SELECT sha256 FROM release_files WHERE quarter = '2025Q4' "
                             "AND source_kind = 'asp_pricing'").fetchone()
        (limit,) = con.execute("SELECT payment_limit FROM asp_payment_limits WHERE "
                               "quarter = '2025Q4' AND hcpcs_code = 'J2329'").fetchone()
    return sha, limit


def summary_sheet_values(settings: Settings) -> set[str]:
    import openpyxl

    book = openpyxl.load_workbook(settings.reports_dir / "2025Q4" / "noc-alerts-2025Q4.xlsx")
    return {str(cell.value) for row in book["Summary"].iter_rows() for cell in row
            if cell.value is not None}


def test_cms_reverting_a_repost_makes_the_reverted_bytes_the_release_again(first_run,
                                                                          cms_mirror):
    settings, paths = first_run
    path = paths["asp_pricing"]
    v1 = cms_mirror.body(path)
    _, v1_limit = loaded_pricing(settings)
    v2 = pricing_with_limit("99.999")
    cms_mirror.put(path, v2)
    pipeline.run_quarter(settings, Q4)
    assert loaded_pricing(settings) == (sha256_of(v2), Decimal("99.999"))

    cms_mirror.put(path, v1)  # CMS restores the original bytes, with a new Last-Modified
    summary = pipeline.run_quarter(settings, Q4)

    pricing = next(result for result in summary.fetched if result.kind == "asp_pricing")
    assert pricing.status == "reverted" and sha256_of(v1)[:12] in pricing.describe()
    assert summary.load.status == "loaded"
    assert loaded_pricing(settings) == (sha256_of(v1), v1_limit)
    events = [sha256_of(v1), sha256_of(v2), sha256_of(v1)]
    assert [e.sha256 for e in manifest.read_manifest(settings)
            if e.source_kind == "asp_pricing"] == events
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        assert [sha for (sha,) in con.execute(
            "SELECT sha256 FROM source_files WHERE source_kind = 'asp_pricing' "
            "ORDER BY fetched_at").fetchall()] == events
    shown = summary_sheet_values(settings)
    assert sha256_of(v1) in shown and sha256_of(v2) not in shown
    kept = sorted(p.name for p in (settings.raw_dir / "asp_pricing" / "2025Q4").iterdir())
    assert len(kept) == 2  # one copy of each version: the revert re-uses the first


def test_a_repost_that_fails_to_parse_never_blocks_a_revert_or_a_newer_posting(first_run,
                                                                               cms_mirror):
    settings, paths = first_run
    path = paths["asp_pricing"]
    v1, broken, v3 = cms_mirror.body(path), renamed_column(), pricing_with_limit("12.345")
    cms_mirror.put(path, broken)
    with pytest.raises(BadInput, match="payment_limit"):
        pipeline.run_quarter(settings, Q4)

    cms_mirror.put(path, v1)  # CMS takes the broken file back
    assert pipeline.run_quarter(settings, Q4).verdict_counts()
    assert loaded_pricing(settings)[0] == sha256_of(v1)

    cms_mirror.put(path, broken)  # ...posts it once more: it is refused again, v1 stays
    with pytest.raises(BadInput, match="payment_limit"):
        pipeline.run_quarter(settings, Q4)
    assert loaded_pricing(settings)[0] == sha256_of(v1)

    cms_mirror.put(path, v3)  # ...then a corrected file
    assert pipeline.run_quarter(settings, Q4).load.status == "loaded"
    assert loaded_pricing(settings) == (sha256_of(v3), Decimal("12.345"))


# ---------------------------------------------------------------------------------------------
# The data directory moved: the manifest names files relative to it


def cli(*args: str) -> "object":
    from click.testing import CliRunner

    from crosswalk.cli import main

    return CliRunner().invoke(main, list(args))


def test_a_moved_data_directory_loads_and_runs_and_nothing_reappears_at_the_old_path(
        cms_mirror, tmp_path):
    cms_mirror.publish_quarter("2025Q3")
    cms_mirror.publish_quarter(Q4)
    old, new = tmp_path / "data", tmp_path / "data2"
    for quarter in ("2025Q3", "2025Q4"):
        done = cli("download", "--quarter", quarter, "--cms-url", cms_mirror.base_url,
                   "--data-dir", str(old))
        assert done.exit_code == 0, done.output
    lines = (old / "raw" / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    assert all(json.loads(line)["archive_path"].startswith("raw/") for line in lines)
    old.rename(new)

    loaded = cli("load", "--all", "--data-dir", str(new))
    assert loaded.exit_code == 0, loaded.output
    assert "2025Q3: loaded" in loaded.output and "2025Q4: loaded" in loaded.output
    cms_mirror.clear_log()
    ran = cli("run", "--no-prefect", "--quarter", "2025Q4", "--cms-url", cms_mirror.base_url,
              "--data-dir", str(new))
    assert ran.exit_code == 0, ran.output
    assert not old.exists()
    file_hits = [hit.status for hit in cms_mirror.requests_log if hit.path.startswith("/files/")]
    assert file_hits and set(file_hits) == {304}  # conditional requests: nothing re-downloaded
    with duckdb.connect(str(new / "crosswalk.duckdb"), read_only=True) as con:
        paths = [path for (path,) in con.execute("SELECT archive_path FROM source_files").fetchall()]
    assert paths and all(path.startswith("raw/") for path in paths)


def test_a_manifest_with_the_absolute_paths_of_older_versions_is_still_read(cms_mirror,
                                                                           tmp_path):
    cms_mirror.publish_quarter(Q4)
    old, new = tmp_path / "data", tmp_path / "moved" / "data"
    assert cli("download", "--quarter", "2025Q4", "--cms-url", cms_mirror.base_url,
               "--data-dir", str(old)).exit_code == 0
    manifest = old / "raw" / "manifest.jsonl"
    records = [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines()]
    for record in records:  # as the code wrote it before: absolute paths
        record["archive_path"] = str((old / record["archive_path"]).resolve())
    manifest.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    new.parent.mkdir()
    old.rename(new)

    loaded = cli("load", "--quarter", "2025Q4", "--data-dir", str(new))

    assert loaded.exit_code == 0, loaded.output
    assert "2025Q4: loaded" in loaded.output


# ---------------------------------------------------------------------------------------------
# Data faults through the loader: the release is refused whole, naming file, line and field


def csv_bytes(grid: list[list[object]], encoding: str = cms.ENCODING) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(
        [["" if value is None else str(value) for value in row] for row in grid])
    return out.getvalue().encode(encoding)


def pricing_zip(grid: list[list[object]], encoding: str = cms.ENCODING) -> bytes:
    member = cms.asp_member_name("asp_pricing", Q4, cms.default_posting(Q4))
    return cms.build_zip({member: csv_bytes(grid, encoding)})


def pricing_grid() -> list[list[object]]:
    return cms.pricing_grid(Q4, cms.sample_release(Q4).pricing)


def renamed_column() -> bytes:
    grid = pricing_grid()
    grid[8] = ["Pymt Limit" if cell == "Payment Limit" else cell for cell in grid[8]]
    return pricing_zip(grid)


def missing_column() -> bytes:
    grid = pricing_grid()
    gone = grid[8].index("Payment Limit")
    return pricing_zip([row[:gone] + row[gone + 1:] if index >= 8 else row
                        for index, row in enumerate(grid)])


def utf16_file() -> bytes:
    return pricing_zip(pricing_grid(), encoding="utf-16")


def hcpcs_zip_with(codes: list[cms.HcpcsCode]) -> bytes:
    return cms.build_hcpcs_zip(Q4, codes, with_xlsx=False)


def duplicated_code() -> bytes:
    codes = cms.sample_release(Q4).codes
    return hcpcs_zip_with(codes + [next(c for c in codes if c.code == "J2329")])


def dated(value: str) -> bytes:
    return hcpcs_zip_with([replace(c, add_date=value) if c.code == "J2329" else c
                           for c in cms.sample_release(Q4).codes])


@pytest.mark.parametrize("kind, faulty, member_part, field, row", [
    pytest.param("asp_pricing", renamed_column, "ASP Pricing File", "payment_limit", 9,
                 id="renamed-column"),
    pytest.param("asp_pricing", missing_column, "ASP Pricing File", "payment_limit", 9,
                 id="missing-column"),
    pytest.param("asp_pricing", utf16_file, "ASP Pricing File", None, None, id="utf-16"),
    pytest.param("hcpcs", duplicated_code, "ANWEB", "code", None, id="duplicated-code"),
    pytest.param("hcpcs", lambda: dated("20250230"), "ANWEB", "add_date", None,
                 id="february-30"),
])
def test_a_faulty_cms_file_is_refused_whole_and_the_database_is_unchanged(
        first_run, cms_mirror, kind, faulty, member_part, field, row):
    settings, paths = first_run
    cms_mirror.put(paths[kind], faulty())
    pipeline.download(settings, Q4)  # the new version is archived: zips are only checked
    before = database_state(settings)

    with pytest.raises(BadInput) as raised:
        pipeline.load_release(settings, Q4)

    problem = raised.value
    archived = manifest.archived_files(settings, Q4)[kind]
    assert problem.file.startswith(f"{archived.path.name}!") and member_part in problem.file
    if field is not None:
        assert field in (problem.field or "")
    if row is not None:
        assert problem.row == row
    after = database_state(settings)
    assert {t: after[t] for t in TABLES if t != "load_runs"} == \
        {t: before[t] for t in TABLES if t != "load_runs"}
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        status, message = con.execute("SELECT status, message FROM load_runs "
                                      "ORDER BY run_id DESC LIMIT 1").fetchone()
    assert (status, message) == ("failed", str(problem))


@pytest.mark.parametrize("printed, complaint", [
    pytest.param("2025013", "is not a date", id="a-digit-missing"),  # pandas read it as Jan 3
    pytest.param("00010101", "out of range", id="year-0001"),
    pytest.param("29991231", "out of range", id="year-2999"),
])
def test_a_date_no_cms_file_can_hold_is_refused(first_run, cms_mirror, printed, complaint):
    settings, paths = first_run
    cms_mirror.put(paths["hcpcs"], dated(printed))
    pipeline.download(settings, Q4)
    before = database_state(settings)
    with pytest.raises(BadInput, match=complaint) as raised:
        pipeline.load_release(settings, Q4)
    assert raised.value.field == "add_date" and raised.value.row is not None
    assert database_state(settings)["hcpcs_codes"] == before["hcpcs_codes"]


def test_tolerated_drift_loads_the_same_rows(first_run, cms_mirror):
    """A preamble three rows longer (header on row 12), UTF-8 instead of Windows-1252, and an
    HCPCS zip shipping only the workbook with its header lower down: all load the same rows."""
    settings, paths = first_run
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        limits = con.execute("SELECT hcpcs_code, payment_limit FROM asp_payment_limits "
                             "ORDER BY 1").fetchall()
        codes = con.execute("SELECT code, add_date FROM hcpcs_codes ORDER BY 1").fetchall()
    grid = pricing_grid()
    cms_mirror.put(paths["asp_pricing"], pricing_zip(grid[:3] + [[""]] * 3 + grid[3:], "utf-8"))
    cms_mirror.put(paths["hcpcs"], cms.build_hcpcs_zip(
        Q4, cms.sample_release(Q4).codes, with_txt=False, xlsx_options={"header_row": 11}))
    pipeline.download(settings, Q4)

    summary = pipeline.load_release(settings, Q4)

    assert {file.kind for file in summary.files if file.status == "loaded"} == {
        "hcpcs", "asp_pricing"}
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        assert con.execute("SELECT hcpcs_code, payment_limit FROM asp_payment_limits "
                           "ORDER BY 1").fetchall() == limits
        assert con.execute("SELECT code, add_date FROM hcpcs_codes ORDER BY 1").fetchall() == codes


# ---------------------------------------------------------------------------------------------
# A practice list at its worst: 20,000 rows with every kind of bad row


def test_a_20000_row_list_with_bad_rows_keeps_every_good_row(first_run, tmp_path):
    settings, _ = first_run
    lines, expected_problems, blank = [b"drug_name,brand_name,ndc,current_code,notes"], set(), 0
    for row_no in range(2, 20_002):
        if row_no % 997 == 0:
            lines.append(f"drug {row_no},,5024205121,J9035,".encode())  # not a NOC code
            expected_problems.add((row_no, "current_code"))
        elif row_no % 991 == 0:
            lines.append(b",,,,")
            blank += 1
        elif row_no % 983 == 0:
            lines.append(f'"=HYPERLINK(""http://x"",""drug {row_no}"")",@brand,,J3590,-1'.encode())
        elif row_no == 15_000:
            lines.append(b"ritux\x81mab,,,J3590,")  # neither UTF-8 nor Windows-1252
            expected_problems.add((row_no, "drug_name"))
        else:
            lines.append(f"drug {row_no},brand {row_no % 50},,J3590,note {row_no}".encode())
    path = tmp_path / "big.csv"
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")

    outcome = match.match_practice(settings, Q4, path)

    assert {(p.row, p.field) for p in outcome.problems} == expected_problems
    assert all(p.file == "big.csv" for p in outcome.problems)
    good = 20_000 - len(expected_problems) - blank
    assert len(outcome.alerts) == good
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        saved = con.execute("SELECT count(*) FROM practice_drugs WHERE run_id = ?",
                            [outcome.run_id]).fetchone()[0]
        formula = con.execute("SELECT drug_name, brand_name, notes FROM practice_drugs "
                              "WHERE run_id = ? AND row_no = 983", [outcome.run_id]).fetchone()
    assert saved == good
    assert formula == ('=HYPERLINK("http://x","drug 983")', "@brand", "-1")


# ---------------------------------------------------------------------------------------------
# Killed mid-load, and runs that overlap


def release_consistency(settings: Settings) -> list[str]:
    """Every release in the database is whole: each loaded kind's main table holds exactly the
    rows release_files recorded, and no release has rows without a release_files line."""
    problems = []
    with warehouse.open_writer(settings) as con:  # a kill during set-up can leave no tables
        for quarter, kind, recorded in con.execute(
                "SELECT quarter, source_kind, row_count FROM release_files").fetchall():
            table = kinds.get(kind).main_table
            held = con.execute(f"SELECT count(*) FROM {table} WHERE quarter = ?",
                               [quarter]).fetchone()[0]
            if held != recorded:
                problems.append(f"{quarter} {table}: {held} rows, release_files says {recorded}")
        for table in ("hcpcs_codes", "asp_payment_limits", "asp_ndc_crosswalk"):
            orphans = con.execute(
                f"SELECT DISTINCT quarter FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM "
                "release_files r WHERE r.quarter = t.quarter)").fetchall()
            problems += [f"{quarter} {table}: rows without a release" for (quarter,) in orphans]
    return problems


@pytest.mark.parametrize("killed_in", [2, 4])
def test_a_backfill_killed_with_sigkill_mid_write_leaves_whole_releases(mirror_settings,
                                                                         cms_mirror, killed_in):
    """A real SIGKILL from outside while the Nth of 4 releases is being inserted (the child
    pauses after a load statement (conftest.SQL_STEP_HOOK) so the kill lands inside the
    transaction):
    the releases committed before it are whole, the Nth left no trace, the next run completes."""
    quarters = [Quarter(2025, 1), Quarter(2025, 2), Quarter(2025, 3), Q4]
    for quarter in quarters:
        cms_mirror.publish_quarter(quarter)
        pipeline.download(mirror_settings, quarter)
    script = SQL_STEP_HOOK + textwrap.dedent(f"""
        import time
        from pathlib import Path
        from crosswalk import pipeline
        from crosswalk.settings import Settings
        inserts = []
        def on_step(step):
            if step == "insert_release_rows:hcpcs_codes":
                inserts.append(step)
                if len(inserts) == {killed_in}:
                    print("mid-write", flush=True)
                    time.sleep(60)
        pipeline.load_archive(Settings(data_dir=Path({str(mirror_settings.data_dir)!r})))
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "mid-write"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()

    assert child.returncode == -signal.SIGKILL
    assert release_consistency(mirror_settings) == []
    with warehouse.open_writer(mirror_settings) as con:
        kept = [q for (q,) in con.execute("SELECT DISTINCT quarter FROM hcpcs_codes "
                                          "ORDER BY 1").fetchall()]
    assert kept == [str(q) for q in quarters[:killed_in - 1]]
    summary = pipeline.load_archive(mirror_settings)
    assert [load.status for load in summary.loaded] == (
        ["unchanged"] * (killed_in - 1) + ["loaded"] * (len(quarters) - killed_in + 1))
    assert release_consistency(mirror_settings) == []
    with warehouse.open_writer(mirror_settings) as con:
        assert con.execute("SELECT count(DISTINCT quarter) FROM hcpcs_codes").fetchone()[0] == 4


def test_a_load_and_a_run_at_the_same_time_both_finish(first_run, cms_mirror):
    """`crosswalk load --all` and `crosswalk run` load through the same path under the same
    run lock: whichever comes second waits for it (--wait). Both finish and every release
    stays whole."""
    settings, paths = first_run
    cms_mirror.publish_quarter(Quarter(2025, 3))
    pipeline.download(settings, Quarter(2025, 3))
    cms_mirror.put(paths["asp_pricing"], with_readme(cms_mirror.body(paths["asp_pricing"])))
    environment = {**os.environ, "CROSSWALK_CMS_URL": cms_mirror.base_url}
    data = ["--data-dir", str(settings.data_dir)]
    commands = [[str(CROSSWALK), "load", "--all", *data],
                [str(CROSSWALK), "run", "--no-prefect", "--quarter", "2025Q4", "--wait", "60",
                 *data]]
    children = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, env=environment) for command in commands]
    outputs = [child.communicate(timeout=120) for child in children]

    assert [child.returncode for child in children] == [0, 0], [err for _, err in outputs]
    assert release_consistency(settings) == []
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        quarters = con.execute("SELECT DISTINCT quarter FROM hcpcs_codes ORDER BY 1").fetchall()
        pricing = con.execute("SELECT sha256 FROM release_files WHERE quarter = '2025Q4' AND "
                              "source_kind = 'asp_pricing'").fetchone()[0]
    assert quarters == [("2025Q3",), ("2025Q4",)]
    assert pricing == hashlib.sha256(cms_mirror.body(paths["asp_pricing"])).hexdigest()


# ---------------------------------------------------------------------------------------------
# Properties: arbitrary text never breaks the normalisers (test_ndc / test_quarters hold the
# properties of the valid forms)


@given(st.text(max_size=30))
def test_any_text_is_an_ndc11_or_a_reason(raw: str) -> None:
    result = normalize_ndc(raw)
    assert (result.ndc11 is None) == (result.reason is not None)
    if result.ndc11 is not None:
        assert len(result.ndc11) == 11 and result.ndc11.isdigit()
        digits = "".join(ch for ch in raw if ch.isdigit())
        assert result.ndc11.count("0") - digits.count("0") in (0, 1)  # one zero at most added
        assert normalize_ndc(result.ndc11).ndc11 == result.ndc11      # stable
        assert normalize_ndc(result.hyphenated).ndc11 == result.ndc11


@given(st.text("0123456789", min_size=10, max_size=10))
def test_a_bare_ten_digit_ndc_is_never_padded(raw: str) -> None:
    result = normalize_ndc(raw)
    assert result.ndc11 is None and "ambiguous" in result.reason


@given(st.text(max_size=25))
def test_any_text_is_a_quarter_or_bad_input(raw: str) -> None:
    try:
        quarter = Quarter.parse(raw)
    except BadInput as problem:
        assert problem.reason
    else:
        assert Quarter.parse(str(quarter)) == quarter


@given(st.dates(min_value=date(1980, 1, 1), max_value=date(2199, 12, 31)))
def test_every_date_falls_in_the_quarter_containing_it(day: date) -> None:
    quarter = Quarter.containing(day)
    assert quarter.first_day <= day <= quarter.last_day
    assert Quarter.parse(quarter.slug) == quarter
