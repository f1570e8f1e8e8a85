"""The warehouse: connect, the one-writer lock, and loading releases from the raw archive.

Files are built in the real CMS layouts (tests/cms_builders.py), placed in the raw archive with
their manifest lines exactly as `crosswalk download` leaves them, and loaded through
pipeline.load_release, the function `crosswalk load` calls.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from crosswalk import kinds, pipeline, warehouse
from crosswalk.cli import main
from crosswalk.errors import BadInput, Busy
from crosswalk.manifest import ManifestEntry
from crosswalk.quarters import Quarter
from crosswalk.settings import Settings
from crosswalk.source_kind import Rows

import cms_builders as cms
from conftest import SQL_STEP_HOOK, archive
from xlsx_builders import with_stray_cell

KINDS = kinds.NAMES
TABLES = ("hcpcs_codes", "noc_codes", "hcpcs_transactions", "asp_payment_limits",
          "asp_ndc_crosswalk", "noc_pricing", "noc_crosswalk", "source_files", "release_files")


def snapshot(settings: Settings) -> dict[str, tuple[int, int | None]]:
    """Row count and an order-independent checksum of every loaded table."""
    with warehouse.open_writer(settings) as con:
        return {table: con.execute(f"SELECT count(*), sum(hash(t)) FROM {table} t").fetchone()
                for table in TABLES}


def hold_database(settings: Settings, seconds: float) -> subprocess.Popen:
    """Another process holding the database open read-write for `seconds`."""
    script = textwrap.dedent(f"""
        import sys, time
        from crosswalk import warehouse
        con = warehouse.connect({str(settings.db_path)!r})
        print("holding", flush=True)
        time.sleep({seconds})
    """)
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    return holder


def test_connect_creates_tables_and_views_idempotently(settings):
    for _ in range(2):
        with warehouse.connect(settings) as con:
            names = {name for (name,) in con.execute(
                "SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"hcpcs_codes", "source_files", "load_runs", "release_files", "hcpcs_current",
            "hcpcs_history", "hcpcs_changes", "drug_codes_new", "asp_latest"} <= names


def test_an_older_schema_is_brought_up_to_date_and_a_current_one_left_alone(settings):
    with warehouse.connect(settings) as con:
        con.execute("DROP VIEW hcpcs_current")  # as if an older release of the code made it
    with warehouse.connect(settings) as con:  # same digest: nothing re-applied
        assert "hcpcs_current" not in {name for (name,) in con.execute("SHOW TABLES").fetchall()}
        con.execute("UPDATE schema_version SET digest = 'older code'")
    with warehouse.connect(settings) as con:
        assert "hcpcs_current" in {name for (name,) in con.execute("SHOW TABLES").fetchall()}
        assert con.execute("SELECT count(*) FROM schema_version").fetchone()[0] == 1


OLD_SOURCE_FILES = """CREATE TABLE source_files (sha256 VARCHAR PRIMARY KEY,
    source_kind VARCHAR NOT NULL, quarter VARCHAR NOT NULL, file_name VARCHAR NOT NULL,
    url VARCHAR, link_text VARCHAR, http_date VARCHAR, last_modified VARCHAR, etag VARCHAR,
    bytes BIGINT NOT NULL, fetched_at TIMESTAMPTZ NOT NULL, archive_path VARCHAR NOT NULL,
    picked_reason VARCHAR)"""


def test_a_database_from_before_revert_events_keeps_its_source_files_and_can_record_a_revert(
        settings):
    """source_files used to be keyed on sha256 alone, which cannot hold a revert (the same
    bytes served again): an old database is re-keyed on (sha256, fetched_at), rows kept."""
    import duckdb

    settings.data_dir.mkdir(parents=True)
    with duckdb.connect(str(settings.db_path)) as con:  # as an older release of the code left it
        con.execute(OLD_SOURCE_FILES)
        con.execute("INSERT INTO source_files VALUES ('aa', 'hcpcs', '2025Q4', 'v1.zip', NULL, "
                    "NULL, NULL, NULL, NULL, 10, '2025-10-01 06:00:00+00', "
                    "'/old/data/raw/hcpcs/2025Q4/v1.zip', 'only link')")

    with warehouse.connect(settings) as con:
        assert warehouse._primary_key(con, "source_files") == ["sha256", "fetched_at"]
        con.execute("INSERT INTO source_files (sha256, source_kind, quarter, file_name, bytes, "
                    "fetched_at, archive_path) VALUES ('aa', 'hcpcs', '2025Q4', 'v1.zip', 10, "
                    "'2026-01-15 06:00:00+00', 'raw/hcpcs/2025Q4/v1.zip')")
        rows = con.execute("SELECT sha256, file_name, picked_reason FROM source_files "
                           "ORDER BY fetched_at").fetchall()
        tables = {name for (name,) in con.execute("SHOW TABLES").fetchall()}
    assert rows == [("aa", "v1.zip", "only link"), ("aa", "v1.zip", None)]
    assert not any(name.startswith("source_files_") for name in tables)


def test_a_second_writer_gets_busy_naming_the_database(settings):
    warehouse.connect(settings).close()
    holder = hold_database(settings, 30)
    try:
        with pytest.raises(Busy, match="another crosswalk run is using .*crosswalk.duckdb"):
            with warehouse.open_writer(settings, wait_seconds=0.5):
                pass
    finally:
        holder.kill()
        holder.wait()


def test_open_writer_waits_for_the_other_run_to_finish(settings):
    warehouse.connect(settings).close()
    holder = hold_database(settings, 1.0)
    try:
        with warehouse.open_writer(settings, wait_seconds=20) as con:
            assert con.execute("SELECT count(*) FROM load_runs").fetchone() == (0,)
        assert holder.wait(timeout=5) == 0  # we got in only after it let go
    finally:
        holder.kill()


# ---------------------------------------------------------------------------------------------
# Loading releases built in the real layouts
# ---------------------------------------------------------------------------------------------

def archive_release(settings: Settings, release: cms.SampleRelease,
                    kinds: tuple[str, ...] = KINDS) -> dict[str, ManifestEntry]:
    """Archive the sample release's zips (CMS-like names) for the given kinds."""
    zips = release.zips()
    return {kind: archive(settings, kind, str(release.quarter),
                          f"{release.quarter.slug}-{kind.replace('_', '-')}.zip", zips[kind])
            for kind in kinds}


def counts(settings: Settings, quarter: str) -> dict[str, int]:
    with warehouse.open_writer(settings) as con:
        return {table: con.execute(f"SELECT count(*) FROM {table} WHERE quarter = ?",
                                   [quarter]).fetchone()[0]
                for table in TABLES if table not in ("source_files",)}


def load_runs(settings: Settings) -> list[tuple]:
    with warehouse.open_writer(settings) as con:
        return con.execute("SELECT quarter, status, rows_loaded, message FROM load_runs "
                           "ORDER BY run_id").fetchall()


def test_load_quarter_loads_every_kind_with_provenance(settings):
    release = cms.sample_release("2025Q4")
    entries = archive_release(settings, release)

    summary = pipeline.load_release(settings, Quarter.parse("2025Q4"))

    codes = [c for c in release.codes if not c.is_modifier]
    modifiers = [c for c in release.codes if c.is_modifier]
    assert counts(settings, "2025Q4") == {
        "hcpcs_codes": len(codes) + len(modifiers), "noc_codes": len(release.noc_codes),
        "hcpcs_transactions": 0, "asp_payment_limits": len(release.pricing),
        "asp_ndc_crosswalk": len(release.crosswalk), "noc_pricing": len(release.noc_pricing),
        "noc_crosswalk": len(release.noc_crosswalk), "release_files": 5}
    assert summary.status == "loaded"
    assert {(f.kind, f.sha256, f.status) for f in summary.files} == {
        (kind, entry.sha256, "loaded") for kind, entry in entries.items()}
    text = summary.describe()
    assert "2025Q4: loaded" in text
    for entry in entries.values():
        assert entry.file_name in text and entry.sha256[:12] in text
    with warehouse.open_writer(settings) as con:
        q5120 = con.execute(
            "SELECT long_description, add_date, action_eff_date, source_sha256, source_member "
            "FROM hcpcs_codes WHERE code = 'Q5120'").fetchone()
        recorded = con.execute("SELECT count(*) FROM source_files WHERE quarter = '2025Q4'"
                               ).fetchone()[0]
    assert q5120 == ("Injection, pegfilgrastim-bmez (ziextenzo), biosimilar, 0.5 mg",
                     date(2020, 7, 1), date(2023, 4, 1), entries["hcpcs"].sha256,
                     cms.hcpcs_member_name("2025Q4"))
    assert recorded == 5
    assert [run[:2] for run in load_runs(settings)] == [("2025Q4", "loaded")]


# Two consecutive HCPCS releases; every expected change below was worked out by hand.
LONG_OLD = ("Injection, betamab-abcd, for intravenous infusion only, administered in a "
            "hospital outpatient setting under supervision, 5 mg")
LONG_NEW = ("Injection, betamab-abcd, for intravenous infusion only, administered in a "
            "hospital outpatient department under supervision, 5 mg")
JULY = {
    "J3590": ("Unclassified biologics", date(2003, 1, 1), None, "N"),
    "J0101": ("Injection, alphamab-xyzw, 10 mg", date(2024, 1, 1), None, "N"),
    "J0102": (LONG_OLD, date(2024, 4, 1), None, "N"),
    "J0103": ("Injection, gammamab, 2 mg", date(2022, 1, 1), None, "N"),
    "J0104": ("Injection, deltamab, 100 units", date(2021, 1, 1), date(2025, 9, 30), "N"),
    "J0105": ("Injection, epsilonmab, 1 mg", date(2020, 1, 1), None, "N"),
    "J0106": ("Injection, zetamab, 1 mg", date(2025, 7, 1), None, "A"),
}
OCTOBER = {
    "J3590": ("Unclassified biologics", date(2003, 1, 1), None, "N"),
    "J0101": ("Injection, alphamab-xyzw, 1 mg", date(2024, 1, 1), None, "C"),
    "J0102": (LONG_NEW, date(2024, 4, 1), None, "C"),
    "J0103": ("Injection, gammamab, 2 mg", date(2022, 1, 1), date(2025, 12, 31), "D"),
    "J0104": ("Injection, deltamab, 100 units", date(2021, 1, 1), None, "R"),
    # J0105 is gone without a termination date
    "J0106": ("Injection, zetamab, 1 mg", date(2025, 7, 1), None, "A"),  # ACTION CD cumulative
    "Q5150": ("Injection, kappamab-abcd, biosimilar, (kapbrand), 10 mg", date(2025, 10, 1),
              None, "A"),
}


def hcpcs_zip(quarter: str, release: dict, action_eff_date: date) -> bytes:
    codes = [cms.HcpcsCode(code, text, add_date=added, term_date=ended, action_cd=action,
                           action_eff_date=action_eff_date if action != "N" else added)
             for code, (text, added, ended, action) in release.items()]
    codes.append(cms.HcpcsCode("JW", "Drug amount discarded/not administered to any patient",
                               is_modifier=True, add_date=date(2010, 1, 1)))
    return cms.build_hcpcs_zip(quarter, codes, with_xlsx=False, with_noc=False)


def test_two_consecutive_releases_give_the_hand_checked_changes(settings):
    archive(settings, "hcpcs", "2025Q3", "july-2025-alpha-numeric-hcpcs-file.zip",
            hcpcs_zip("2025Q3", JULY, date(2025, 7, 1)))
    archive(settings, "hcpcs", "2025Q4", "october-2025-alpha-numeric-hcpcs-file.zip",
            hcpcs_zip("2025Q4", OCTOBER, date(2025, 10, 1)))

    pipeline.load_archive(settings)

    oct1 = date(2025, 10, 1)
    with warehouse.open_writer(settings) as con:
        changes = con.execute(
            "SELECT quarter, compared_with, code, change, old_value, new_value, "
            "effective_date, in_release FROM hcpcs_changes ORDER BY code, change").fetchall()
        new_drugs = con.execute("SELECT quarter, code FROM drug_codes_new "
                                "ORDER BY quarter, code").fetchall()
    step = ("2025Q4", "2025Q3")
    assert changes == [
        (*step, "J0101", "descriptor_changed", "Injection, alphamab-xyzw, 10 mg",
         "Injection, alphamab-xyzw, 1 mg", oct1, True),
        (*step, "J0101", "dose_unit_changed", "10 mg", "1 mg", oct1, True),
        (*step, "J0102", "descriptor_changed", LONG_OLD, LONG_NEW, oct1, True),
        (*step, "J0103", "discontinued", None, "2025-12-31", date(2025, 12, 31), True),
        (*step, "J0104", "reactivated", "2025-09-30", None, oct1, True),
        (*step, "J0105", "discontinued", None, None, None, False),
        (*step, "Q5150", "added", None, OCTOBER["Q5150"][0], oct1, True),
    ]
    # J0106 was added in July (ADD DT in the quarter), not again in October although its
    # ACTION CD still says A
    assert new_drugs == [("2025Q3", "J0106"), ("2025Q4", "Q5150")]


def test_reloading_the_same_bytes_changes_nothing(settings):
    archive_release(settings, cms.sample_release("2025Q4"))
    pipeline.load_release(settings, Quarter.parse("2025Q4"))
    before = snapshot(settings)

    again = pipeline.load_release(settings, Quarter.parse("2025Q4"))

    assert again.status == "unchanged"
    assert {f.status for f in again.files} == {"unchanged"}
    assert snapshot(settings) == before
    assert [run[:3] for run in load_runs(settings)] == [
        ("2025Q4", "loaded", sum(before[table][0] for table in TABLES[:7])),
        ("2025Q4", "unchanged", 0)]


def repriced(quarter: str, code: str, limit: str) -> bytes:
    release = cms.sample_release(quarter)
    prices = [cms.AspPrice(**{**vars(p), "payment_limit": limit}) if p.hcpcs_code == code else p
              for p in release.pricing]
    return cms.build_asp_pricing_zip(quarter, prices)


def test_a_new_version_replaces_the_release_rows_of_its_kind(settings):
    first = archive_release(settings, cms.sample_release("2025Q4"))
    pipeline.load_release(settings, Quarter.parse("2025Q4"))
    hcpcs_before = snapshot(settings)["hcpcs_codes"]
    revised = archive(settings, "asp_pricing", "2025Q4", first["asp_pricing"].file_name,
                      repriced("2025Q4", "J9312", "99.999"))

    summary = pipeline.load_release(settings, Quarter.parse("2025Q4"))

    assert {f.kind: f.status for f in summary.files} == {
        "asp_pricing": "loaded", "asp_crosswalk": "unchanged", "hcpcs": "unchanged",
        "noc_crosswalk": "unchanged", "noc_pricing": "unchanged"}
    with warehouse.open_writer(settings) as con:
        limits = con.execute("SELECT DISTINCT source_sha256 FROM asp_payment_limits").fetchall()
        j9312 = con.execute("SELECT payment_limit FROM asp_payment_limits "
                            "WHERE hcpcs_code = 'J9312'").fetchall()
        versions = con.execute("SELECT sha256 FROM source_files WHERE source_kind = "
                               "'asp_pricing' ORDER BY fetched_at, sha256").fetchall()
        loaded = con.execute("SELECT sha256 FROM release_files WHERE source_kind = "
                             "'asp_pricing'").fetchall()
    assert limits == [(revised.sha256,)]
    assert [float(limit) for (limit,) in j9312] == [99.999]
    assert sorted(versions) == sorted([(first["asp_pricing"].sha256,), (revised.sha256,)])
    assert loaded == [(revised.sha256,)]
    assert snapshot(settings)["hcpcs_codes"] == hcpcs_before
    assert Path(revised.archive_path).name != first["asp_pricing"].file_name  # kept beside


def test_every_version_seen_is_recorded_and_only_the_newest_loaded(settings):
    older = archive(settings, "asp_pricing", "2025Q4", "october-2025-asp-pricing-file.zip",
                    repriced("2025Q4", "J9312", "80.000"))
    newer = archive(settings, "asp_pricing", "2025Q4", "october-2025-asp-pricing-final-file.zip",
                    repriced("2025Q4", "J9312", "81.000"))

    pipeline.load_release(settings, Quarter.parse("2025Q4"))

    with warehouse.open_writer(settings) as con:
        seen = con.execute("SELECT file_name FROM source_files ORDER BY file_name").fetchall()
        loaded = con.execute("SELECT sha256 FROM release_files").fetchall()
        limit = con.execute("SELECT payment_limit FROM asp_payment_limits "
                            "WHERE hcpcs_code = 'J9312'").fetchone()[0]
    assert seen == [(older.file_name,), (newer.file_name,)]
    assert loaded == [(newer.sha256,)] and float(limit) == 81.0


def bad_hcpcs_zip(quarter: str) -> bytes:
    release = cms.sample_release(quarter)
    codes = [cms.HcpcsCode(**{**vars(c), "add_date": "20251399"}) if c.code == "J2329" else c
             for c in release.codes]
    return cms.build_hcpcs_zip(quarter, codes, with_xlsx=False)


def test_a_malformed_file_names_file_line_field_and_leaves_the_database_as_it_was(settings):
    first = archive_release(settings, cms.sample_release("2025Q4"))
    pipeline.load_release(settings, Quarter.parse("2025Q4"))
    before = snapshot(settings)
    archive(settings, "hcpcs", "2025Q4", first["hcpcs"].file_name, bad_hcpcs_zip("2025Q4"))

    with pytest.raises(BadInput) as raised:
        pipeline.load_release(settings, Quarter.parse("2025Q4"))

    error = raised.value
    assert cms.hcpcs_member_name("2025Q4") in error.file
    assert error.row is not None and error.field
    assert snapshot(settings) == before
    failed = load_runs(settings)[-1]
    assert failed[:3] == ("2025Q4", "failed", 0)
    assert str(error) == failed[3]


def test_a_write_failure_rolls_back_every_kind_of_the_release(settings):
    first = archive_release(settings, cms.sample_release("2025Q4"))
    pipeline.load_release(settings, Quarter.parse("2025Q4"))
    before = snapshot(settings)
    archive(settings, "asp_pricing", "2025Q4", first["asp_pricing"].file_name,
            repriced("2025Q4", "J9312", "1.000"))
    archive(settings, "hcpcs", "2025Q4", first["hcpcs"].file_name,
            hcpcs_zip("2025Q4", OCTOBER, date(2025, 10, 1)))
    parsed = warehouse.parse_quarter(settings, Quarter.parse("2025Q4"))
    codes = parsed.files["hcpcs"].tables["hcpcs_codes"]
    duplicated = Rows({name: [*values, values[0]] for name, values in codes.rows.columns.items()})
    parsed.files["hcpcs"].tables["hcpcs_codes"] = warehouse.TableRows(codes.member, duplicated)

    with warehouse.open_writer(settings) as con, pytest.raises(BadInput) as raised:
        warehouse.write_release(con, parsed)  # asp_pricing is written before hcpcs fails

    duplicate = next(codes.rows.records())
    assert raised.value.field == "code, is_modifier"
    assert f"code {duplicate['code']!r}, is_modifier" in raised.value.reason
    assert "appears 2 times; hcpcs_codes holds one row per key" in raised.value.reason
    assert snapshot(settings) == before
    assert load_runs(settings)[-1][:2] == ("2025Q4", "failed")


@pytest.mark.parametrize("step", ["insert_release_rows:hcpcs_codes",
                                  "record_release_file:asp_pricing"])
def test_a_load_killed_mid_transaction_leaves_the_previous_contents(settings, step):
    first = archive_release(settings, cms.sample_release("2025Q4"))
    pipeline.load_release(settings, Quarter.parse("2025Q4"))
    before = snapshot(settings)
    # a new version of two kinds: the crash hits after part of the release is rewritten
    archive(settings, "hcpcs", "2025Q4", first["hcpcs"].file_name, hcpcs_zip(
        "2025Q4", OCTOBER, date(2025, 10, 1)))
    archive(settings, "asp_pricing", "2025Q4", first["asp_pricing"].file_name,
            repriced("2025Q4", "J9312", "1.000"))
    script = SQL_STEP_HOOK + textwrap.dedent(f"""
        import os, sys
        from pathlib import Path
        from crosswalk import pipeline
        from crosswalk.quarters import Quarter
        from crosswalk.settings import Settings
        def on_step(step):
            if step == {step!r}:
                os._exit(70)
        pipeline.load_release(Settings(data_dir=Path(sys.argv[1])), Quarter.parse("2025Q4"))
    """)
    crashed = subprocess.run([sys.executable, "-c", script, str(settings.data_dir)],
                             capture_output=True, text=True, timeout=60)

    assert crashed.returncode == 70, crashed.stderr
    assert snapshot(settings) == before
    assert pipeline.load_release(settings, Quarter.parse("2025Q4")).status == "loaded"
    assert counts(settings, "2025Q4")["hcpcs_codes"] == len(OCTOBER) + 1


def test_crosswalk_load_imports_neither_pandas_nor_pyarrow(settings):
    """Their imports cost a load more CPU than its checks (docs/performance.md): the readers
    hand DuckDB plain Python rows, and the whole `crosswalk load` stays clear of both."""
    archive_release(settings, cms.sample_release("2025Q4"))
    script = textwrap.dedent("""
        import sys
        from crosswalk.cli import main
        main(["load", "--quarter", "2025Q4", "--data-dir", sys.argv[1]], standalone_mode=False)
        print(sorted(name for name in ("pandas", "pyarrow") if name in sys.modules))
    """)
    done = subprocess.run([sys.executable, "-c", script, str(settings.data_dir)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "2025Q4: loaded" in done.stdout and done.stdout.splitlines()[-1] == "[]"
    assert counts(settings, "2025Q4")["asp_ndc_crosswalk"] > 0


def test_loading_a_quarter_with_nothing_archived_says_what_to_do(settings):
    with pytest.raises(BadInput, match=r"nothing archived for 2025Q4.*crosswalk download"):
        pipeline.load_release(settings, Quarter.parse("2025Q4"))


def test_an_archived_file_whose_bytes_changed_is_refused(settings):
    entries = archive_release(settings, cms.sample_release("2025Q4"), kinds=("asp_pricing",))
    Path(entries["asp_pricing"].archive_path).write_bytes(repriced("2025Q4", "J9312", "1.000"))

    with pytest.raises(BadInput, match="archived file changed since download"):
        pipeline.load_release(settings, Quarter.parse("2025Q4"))
    assert counts(settings, "2025Q4")["asp_payment_limits"] == 0


def test_load_archive_loads_each_release_once(settings):
    for quarter in ("2026Q1", "2025Q4"):  # archived out of order, loaded oldest first
        archive_release(settings, cms.sample_release(quarter), kinds=("hcpcs", "asp_pricing"))

    first = pipeline.load_archive(settings).loaded
    second = pipeline.load_archive(settings).loaded

    assert [(str(s.quarter), s.status) for s in first] == [("2025Q4", "loaded"),
                                                          ("2026Q1", "loaded")]
    assert [s.status for s in second] == ["unchanged", "unchanged"]


def load_command(settings: Settings, *args: str):
    return CliRunner().invoke(main, ["load", *args, "--data-dir", str(settings.data_dir)])


def test_crosswalk_load_prints_each_release_and_exits_2_on_a_bad_file(settings):
    first = archive_release(settings, cms.sample_release("2025Q4"))

    loaded = load_command(settings, "--quarter", "2025Q4")
    again = load_command(settings, "--all")
    archive(settings, "hcpcs", "2025Q4", first["hcpcs"].file_name, bad_hcpcs_zip("2025Q4"))
    refused = load_command(settings, "--quarter", "oct-2025")

    assert loaded.exit_code == 0, loaded.output
    assert "2025Q4: loaded" in loaded.stdout
    assert f"{first['hcpcs'].file_name}  sha256 {first['hcpcs'].sha256[:12]}" in loaded.stdout
    assert again.exit_code == 0 and "2025Q4: unchanged" in again.stdout
    assert refused.exit_code == 2
    assert refused.stderr.startswith("error: ") and "field 'add_date'" in refused.stderr


def test_a_workbook_with_a_value_at_xfd1048576_is_refused_recorded_and_load_all_goes_on(
        settings):
    """calamine aborted the whole process on this workbook (a 512 GiB grid): no load_runs
    row, and `load --all` died on every later attempt before reaching the other releases."""
    for quarter in ("2025Q3", "2026Q1"):
        archive_release(settings, cms.sample_release(quarter))
    hostile = cms.sample_release("2025Q4")
    archive_release(settings, hostile, kinds=("asp_pricing",))
    workbook = with_stray_cell(cms.hcpcs_xlsx(hostile.codes), "XFD1048576")
    archive(settings, "hcpcs", "2025Q4", "october-2025-alpha-numeric-hcpcs-file.zip",
            cms.build_zip({cms.hcpcs_member_name("2025Q4", "v3", ".xlsx"): workbook}))

    single = load_command(settings, "--quarter", "2025Q4")
    everything = load_command(settings, "--all")

    named = "HCPC2025_OCT_ANWEB_v3.xlsx, sheet 'HCPC_ANWEB', cell XFD1048576: a value at"
    assert single.exit_code == 2 and named in single.stderr, single.output
    assert everything.exit_code == 2, everything.output
    assert "2025Q3: loaded" in everything.stdout and "2026Q1: loaded" in everything.stdout
    assert "2025Q4: refused: " in everything.stdout and named in everything.stdout
    assert everything.stderr == ("error: 1 release(s) refused (2025Q4), each named above and "
                                 "recorded in load_runs; 2 other(s) loaded\n")
    failed = [(quarter, message) for quarter, status, _, message in load_runs(settings)
              if status == "failed"]
    assert [quarter for quarter, _ in failed] == ["2025Q4", "2025Q4"]  # one per attempt
    assert all(named in message for _, message in failed)
    assert counts(settings, "2025Q4")["asp_payment_limits"] == 0  # the release is refused whole
    assert counts(settings, "2026Q1")["hcpcs_codes"] > 0


def test_a_read_only_connection_sees_the_tables_and_views(settings):
    archive_release(settings, cms.sample_release("2025Q4"), kinds=("asp_pricing",))
    pipeline.load_release(settings, Quarter.parse("2025Q4"))

    with warehouse.connect(settings, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM asp_latest").fetchone() == (
            len(cms.sample_release("2025Q4").pricing),)
        assert con.execute("SELECT status FROM load_runs").fetchall() == [("loaded",)]


# ---------------------------------------------------------------------------------------------
# The real CMS files (skipped when ../shared/data/cms-samples is absent)
# ---------------------------------------------------------------------------------------------

# quarter -> (pricing CSV, its data rows; crosswalk CSV, its data rows), per the samples README
REAL_ASP = {
    "2024Q1": ("section 508 version of January 2024 ASP Pricing File 121223.csv", 823,
               "section 508 version of January 2024 ASP NDC-HCPCS Crosswalk 122023.csv", 6684),
    "2024Q2": ("section 508 version of April 2024 ASP Pricing File 032124.csv", 819,
               "section 508 version of April 2024 ASP NDC-HCPCS Crosswalk 032124.csv", 6746),
    "2024Q3": ("section 508 version of Jul 2024 ASP Pricing File 062024.csv", 846,
               "section 508 version of July 2024 ASP NDC-HCPCS Crosswalk 061824.csv", 7171),
    "2024Q4": ("section 508 version of Oct 2024 ASP Pricing File 091824.csv", 865,
               "section 508 version of October 2024 ASP NDC-HCPCS Crosswalk 092724.csv", 7429),
    "2025Q1": ("section 508 version of Jan 2025 ASP Pricing File 121924.csv", 877,
               "section 508 version of January 2025 ASP NDC-HCPCS Crosswalk 122024.csv", 7172),
    "2025Q2": ("section 508 version of APR 2025 ASP Pricing File 032725.csv", 942,
               "section 508 version of April 2025 ASP NDC-HCPCS Crosswalk 032625.csv", 7585),
    "2025Q3": ("section 508 verision of JUL 2025 ASP Pricing File 062325.csv", 970,
               "section 508 version of July 2025 ASP NDC-HCPCS Crosswalk 062325.csv", 7873),
    "2025Q4": ("section 508 version of Oct 2025 ASP Pricing File 091725.csv", 1012,
               "section 508 version of October 2025 ASP NDC-HCPCS Crosswalk 090525.csv", 8245),
}


def archive_real(settings: Settings, samples: Path) -> None:
    """Zip each real CSV under its own name (as CMS ships it) into the raw archive."""
    hcpcs_txt = samples / "hcpcs" / "2016-annual" / "HCPC2016_CONTR_ANWEB.txt"
    archive(settings, "hcpcs", "2016Q1", "2016-Alpha-Numeric-HCPCS-File.zip",
            cms.build_zip({hcpcs_txt.name: hcpcs_txt.read_bytes()}))
    for quarter, (pricing, _, crosswalk, _) in REAL_ASP.items():
        slug = Quarter.parse(quarter).slug
        for kind, folder, name in (("asp_pricing", "pricing", pricing),
                                   ("asp_crosswalk", "crosswalk", crosswalk)):
            member = samples / "asp" / folder / name
            archive(settings, kind, quarter, f"{slug}-{kind.replace('_', '-')}.zip",
                    cms.build_zip({name: member.read_bytes()}))


def test_the_real_cms_files_load_with_their_counts_and_values(settings, cms_samples):
    archive_real(settings, cms_samples)

    summaries = pipeline.load_archive(settings).loaded

    assert [str(s.quarter) for s in summaries] == ["2016Q1", *REAL_ASP]
    with warehouse.open_writer(settings) as con:
        asp_counts = con.execute(
            "SELECT p.quarter, p.n, x.n FROM (SELECT quarter, count(*) n FROM "
            "asp_payment_limits GROUP BY 1) p JOIN (SELECT quarter, count(*) n FROM "
            "asp_ndc_crosswalk GROUP BY 1) x USING (quarter) ORDER BY 1").fetchall()
        hcpcs = con.execute("SELECT count(*) FILTER (NOT is_modifier), "
                            "count(*) FILTER (is_modifier) FROM hcpcs_codes").fetchone()
        j3590 = con.execute("SELECT long_description FROM hcpcs_current WHERE code = 'J3590'"
                            ).fetchone()
        j9312 = con.execute("SELECT quarter, payment_limit FROM asp_payment_limits "
                            "WHERE hcpcs_code = 'J9312' AND quarter IN ('2024Q1', '2025Q4') "
                            "ORDER BY 1").fetchall()
        a9606 = con.execute("SELECT payment_limit, payment_limit_raw FROM asp_latest "
                            "WHERE hcpcs_code = 'A9606'").fetchone()
        briumvi = con.execute("SELECT ndc11, trim(drug_name) FROM ndc_crosswalk_latest "
                              "WHERE hcpcs_code = 'J2329'").fetchall()
    assert asp_counts == [(q, rows[1], rows[3]) for q, rows in REAL_ASP.items()]
    assert hcpcs == (5956, 337)  # RECID 3 and 7 records of the 2016 file
    assert j3590 == ("Unclassified biologics",)
    assert [(q, float(limit)) for q, limit in j9312] == [("2024Q1", 79.198), ("2025Q4", 75.22)]
    assert a9606 == (None, "N/A")
    assert ("73150015006", "Briumvi") in briumvi


def test_the_real_revised_january_2025_zip_replaces_the_first_posting(settings, cms_samples):
    pricing = REAL_ASP["2025Q1"][0]
    first = archive(settings, "asp_pricing", "2025Q1", "january-2025-asp-pricing-file.zip",
                    cms.build_zip({pricing: (cms_samples / "asp" / "pricing" / pricing)
                                   .read_bytes()}))
    pipeline.load_release(settings, Quarter.parse("2025Q1"))
    real_zip = (cms_samples / "asp" / "zips"
                / "january-2025-asp-pricing-file-12_19_24-final-file.zip")
    revised = archive(settings, "asp_pricing", "2025Q1", real_zip.name, real_zip.read_bytes())

    summary = pipeline.load_release(settings, Quarter.parse("2025Q1"))

    assert [(f.kind, f.sha256, f.status) for f in summary.files] == [
        ("asp_pricing", revised.sha256, "loaded")]
    with warehouse.open_writer(settings) as con:
        q5130 = con.execute("SELECT payment_limit, notes, source_member FROM asp_payment_limits "
                            "WHERE hcpcs_code = 'Q5130'").fetchone()
        rows = con.execute("SELECT count(*) FROM asp_payment_limits").fetchone()[0]
        versions = con.execute("SELECT count(*) FROM source_files WHERE quarter = '2025Q1'"
                               ).fetchone()[0]
    assert (float(q5130[0]), q5130[1]) == (169.694, "Updated April 2025")  # was 183.517
    assert q5130[2].endswith("updated 030725.csv")
    assert rows == 877 and versions == 2
    assert first.sha256 != revised.sha256
