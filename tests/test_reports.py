"""Reports: the billing lead's workbooks and the analyst exports, checked cell by cell.

The warehouse is built in code: two HCPCS releases (2025Q3, 2025Q4) with codes, descriptors
and dates as the real CMS files print them, ASP rows and provenance rows; the drug list is
matched by the real matcher, so the report reads a genuine match run. Hostile text comes from
both sides: a formula-looking drug name and brand on the list, and a formula-looking drug name
in the CMS crosswalk.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from crosswalk import match, reports, warehouse
from crosswalk.cli import main
from crosswalk.errors import BadInput
from crosswalk.ndc import normalize_ndc
from crosswalk.quarters import Quarter
from crosswalk.settings import Settings
from crosswalk.xlsx_style import VERDICT_FILLS

D = date
HYPERLINK = '=HYPERLINK("http://example.invalid","rituximab")'
PHONE = "+1-555-0100"
CMS_FORMULA = "=cmd|' /C calc'!A0"
# (code, long description, add date, term date, xref1), as in the real HCPCS files; the
# 2025Q3 release lists only codes added by then.
CODES = [
    ("J3590", "Unclassified biologics", D(2003, 1, 1), None, None),
    ("J9999", "Not otherwise classified, antineoplastic drugs", D(1990, 1, 1), None, None),
    ("J2329", "Injection, ublituximab-xiiy, 1mg", D(2023, 7, 1), None, None),
    ("Q5123", "Injection, rituximab-arrx, biosimilar, (riabni), 10 mg", D(2021, 7, 1), None,
     None),
    ("Q5156", "Injection, tocilizumab-anoh (avtozma), biosimilar, 1 mg", D(2025, 10, 1), None,
     None),
    ("Q5157", "Injection, denosumab-bmwo (stoboclo), biosimilar, 1 mg", D(2025, 10, 1), None,
     None),
    ("J0883", "Injection, argatroban, 1 mg (for non-esrd use)", D(2016, 1, 1), None, None),
    ("J0884", "Injection, argatroban, 1 mg (for esrd on dialysis)", D(2016, 1, 1), None, None),
    ("J2505", "Injection, pegfilgrastim, 6 mg", D(2004, 1, 1), D(2021, 12, 31), "J2506"),
    ("J2506", "Injection, pegfilgrastim, excludes biosimilar, 0.5 mg", D(2022, 1, 1), None,
     None),
]
# (quarter, code, NDC as printed, drug name, dosage, bill units per package)
CROSSWALK = [
    ("2025Q4", "J2329", "73150-0150-06", "Briumvi\xa0", "1 MG", 150),
    ("2025Q4", "Q5123", "55513-0224-01", "Riabni", "10 MG", 10),
    ("2025Q4", "J0883", "00143-9377-01", "Argatroban", "1 MG", 50),
    ("2025Q4", "J0884", "00143-9377-01", "Argatroban", "1 MG", 50),
    ("2025Q4", "Q5157", "55513-0770-01", CMS_FORMULA, "1 MG", 60),
    ("2021Q4", "J2505", "55513-0190-01", "Neulasta", "6 MG", 1),
]
PRICES = [("2025Q4", "J2329", 70.753), ("2025Q4", "Q5123", 26.509)]
SOURCES = [  # (kind, link text, file name)
    ("hcpcs", "October 2025 Alpha-Numeric HCPCS File (ZIP)",
     "october-2025-alpha-numeric-hcpcs-file.zip"),
    ("asp_pricing", "October 2025 ASP Pricing File (ZIP)",
     "october-2025-asp-pricing-final-file.zip"),
]
DRUG_LIST = [
    "drug_name,brand_name,ndc,current_code,dose,payer,setting,notes,active",
    "tocilizumab-anoh,Avtozma,,J3590,8 mg/kg,Medicare,office,,yes",
    "ublituximab-xiiy,Briumvi,73150-0150-6,J3590,450 mg,Medicare,office,,yes",
    f'"{HYPERLINK.replace(chr(34), chr(34) * 2)}",{PHONE},55513-0224-01,J9999,700 mg,,office,,yes',
    "Neulasta,,55513-0190-01,J3590,6 mg,Medicare,office,,yes",
    "Argatroban,,00143-9377-01,J3490,,Medicare,office,,yes",
    "linvoseltamab-gcpt,Lynozyfic,,J9999,,Medicare,office,,no",
]
ALERT_HEADERS = [
    "Verdict", "Drug", "Brand", "NDC", "Setting", "Current code", "New code",
    "New code descriptor", "Effective date", "DOS rule", "Action", "Billing unit",
    "Units per package", "Units for dose", "ASP payment limit", "Match basis", "Confidence",
    "Evidence", "Code ends", "Successor code", "Candidate codes", "Notes", "Row in your list"]
CROSSWALK_HEADERS = [
    "Drug", "Brand", "NDC", "NDC 11 (claim)", "Setting", "HCPCS code", "DOS from",
    "DOS through", "Billing unit", "Units per package", "Units for dose", "Verdict", "Notes",
    "Row in your list"]


# --------------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------------


def insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]],
           provenance: bool = True) -> None:
    frame = pd.DataFrame(rows)
    if provenance:
        frame = frame.assign(source_sha256="test", source_member="test")
    con.register("new_rows", frame)
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM new_rows")
    con.unregister("new_rows")


def load_release(con: duckdb.DuckDBPyConnection, quarter: str) -> None:
    """The HCPCS release as CMS printed it that quarter, its ASP prices and provenance."""
    q = Quarter.parse(quarter)
    insert(con, "hcpcs_codes", [
        {"quarter": quarter, "code": code, "is_modifier": False, "long_description": text,
         "add_date": added, "action_eff_date": added, "term_date": ended, "xref1": xref}
        for code, text, added, ended, xref in CODES if added <= q.last_day])
    priced = [row for row in PRICES if row[0] == quarter]
    if priced:
        insert(con, "asp_payment_limits", [
            {"quarter": q_, "hcpcs_code": code, "payment_limit": limit,
             "payment_limit_raw": f"{limit:.3f}"} for q_, code, limit in priced])
    record_sources(con, quarter, loaded_at=datetime(2025, 10, 2, 6, 0, tzinfo=timezone.utc))


def load_crosswalk(con: duckdb.DuckDBPyConnection) -> None:
    """The NDC-HCPCS crosswalk rows of every quarter (2021Q4 still lists Neulasta)."""
    insert(con, "asp_ndc_crosswalk", [
        {"quarter": quarter, "line_no": 10 + i, "hcpcs_code": code, "ndc_raw": ndc,
         "ndc11": normalize_ndc(ndc).ndc11, "drug_name": name, "hcpcs_dosage": dosage,
         "bill_units": per_pkg, "bill_units_pkg": per_pkg}
        for i, (quarter, code, ndc, name, dosage, per_pkg) in enumerate(CROSSWALK)])


def record_sources(con: duckdb.DuckDBPyConnection, quarter: str, loaded_at: datetime) -> None:
    files = [{"sha256": hashlib.sha256(f"{quarter}{name}{loaded_at}".encode()).hexdigest(),
              "source_kind": kind, "quarter": quarter, "file_name": name,
              "url": f"https://www.cms.gov/files/zip/{name}", "link_text": link,
              "bytes": 1000, "fetched_at": loaded_at, "archive_path": f"raw/{kind}/{name}"}
             for kind, link, name in SOURCES]
    insert(con, "source_files", files, provenance=False)
    con.execute("DELETE FROM release_files WHERE quarter = ?", [quarter])
    insert(con, "release_files", [
        {"quarter": quarter, "source_kind": f["source_kind"], "sha256": f["sha256"],
         "member_name": f"{f['source_kind']}-member.csv", "row_count": 10, "run_id": 1,
         "loaded_at": loaded_at} for f in files], provenance=False)


def drug_list(folder: Path, rows: list[str] = DRUG_LIST) -> Path:
    path = folder / "drugs.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """2025Q3 and 2025Q4 loaded, the drug list matched against 2025Q4 (built once)."""
    folder = tmp_path_factory.mktemp("template")
    settings = Settings(data_dir=folder / "data")
    with warehouse.open_writer(settings) as con:
        load_release(con, "2025Q3")
        load_release(con, "2025Q4")
        load_crosswalk(con)
    match.match_practice(settings, Quarter.parse("2025Q4"), drug_list(folder))
    return settings


@pytest.fixture
def matched(template: Settings, settings: Settings) -> Settings:
    """A private copy of the template warehouse, for tests that add runs or rows."""
    settings.data_dir.mkdir(parents=True)
    shutil.copyfile(template.db_path, settings.db_path)
    return settings


@pytest.fixture(scope="module")
def workbooks(template: Settings) -> dict[str, Path]:
    """The template's workbooks, written once and only read by the tests that share them."""
    alerts, crosswalk = reports.write_reports(template, "2025Q4")
    return {"alerts": alerts, "crosswalk": crosswalk}


def run_started_at(settings: Settings) -> datetime:
    with warehouse.open_writer(settings) as con:
        (started,), = con.execute(
            "SELECT timezone('UTC', started_at) FROM match_runs").fetchall()
    return started


def rows_of(sheet: Any) -> list[dict[str, Any]]:
    """Data rows as dicts keyed by header."""
    header = [cell.value for cell in sheet[1]]
    return [dict(zip(header, row)) for row in sheet.iter_rows(min_row=2, values_only=True)]


def cells_by_header(sheet: Any, header: str) -> list[Any]:
    column = [cell.value for cell in sheet[1]].index(header) + 1
    return [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)]


# --------------------------------------------------------------------------------------------
# Alerts workbook
# --------------------------------------------------------------------------------------------


def test_alerts_workbook_sheets_and_alert_rows(workbooks: dict[str, Path],
                                               template: Settings) -> None:
    path = workbooks["alerts"]
    assert path == template.reports_dir / "2025Q4" / "noc-alerts-2025Q4.xlsx"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Summary", "Alerts", "New drug codes"]
    alerts = book["Alerts"]
    assert [cell.value for cell in alerts[1]] == ALERT_HEADERS
    rows = rows_of(alerts)
    # most urgent first, then by drug name; NO_CODE_YET stays off this sheet
    assert [(r["Verdict"], r["Drug"]) for r in rows] == [
        ("PAST_DUE", HYPERLINK), ("PAST_DUE", "ublituximab-xiiy"),
        ("NEW_CODE", "tocilizumab-anoh"), ("CODE_ENDED", "Neulasta"), ("REVIEW", "Argatroban")]
    briumvi = rows[1]
    assert (briumvi["NDC"], briumvi["Current code"], briumvi["New code"]) == (
        "73150-0150-06", "J3590", "J2329")
    assert briumvi["Effective date"] == datetime(2023, 7, 1)
    assert (briumvi["Units per package"], briumvi["Units for dose"],
            briumvi["ASP payment limit"]) == (150, 450, 70.753)
    assert briumvi["DOS rule"] == ("DOS before 2023-07-01: keep J3590; on or after 2023-07-01: "
                                   "bill J2329")
    assert briumvi["Evidence"] and briumvi["Action"].startswith("Switch to J2329 now")
    ended = rows[3]
    assert (ended["New code"], ended["Code ends"], ended["Successor code"]) == (
        "J2505", datetime(2021, 12, 31), "J2506")
    assert rows[4]["Candidate codes"] == "J0883, J0884" and rows[4]["NDC"] == "00143-9377-01"


def test_alert_cells_are_typed_for_excel(workbooks: dict[str, Path]) -> None:
    alerts = openpyxl.load_workbook(workbooks["alerts"])["Alerts"]
    ndcs = [cell for cell in cells_by_header(alerts, "NDC") if cell.value is not None]
    assert len(ndcs) == 4
    assert all(cell.data_type == "s" and cell.number_format == "@" for cell in ndcs)
    assert [c.value for c in cells_by_header(alerts, "NDC")][-1] == "00143-9377-01"
    effective = [c for c in cells_by_header(alerts, "Effective date") if c.value is not None]
    assert effective and all(isinstance(c.value, datetime) and c.is_date for c in effective)
    assert {c.number_format for c in effective} == {"yyyy-mm-dd"}
    money = [c for c in cells_by_header(alerts, "ASP payment limit") if c.value is not None]
    assert money and {c.number_format for c in money} == {'"$"#,##0.000'}
    assert all(c.data_type == "n" for c in money)
    evidence = cells_by_header(alerts, "Evidence")
    assert all(c.alignment.wrap_text for c in evidence)


def test_each_verdict_has_its_fill_and_the_summary_legend_matches(
        workbooks: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(workbooks["alerts"])
    for cell in cells_by_header(book["Alerts"], "Verdict"):
        assert cell.fill.fgColor.rgb == "00" + VERDICT_FILLS[cell.value]
    legend = {cell.value: cell.fill.fgColor.rgb for row in book["Summary"].iter_rows()
              for cell in row if cell.value in VERDICT_FILLS}
    assert legend == {verdict: "00" + colour for verdict, colour in VERDICT_FILLS.items()}


def test_table_sheets_freeze_filter_and_print(workbooks: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(workbooks["alerts"])
    crosswalk = openpyxl.load_workbook(workbooks["crosswalk"])["Crosswalk"]
    for sheet, last_column in ((book["Alerts"], "W"), (book["New drug codes"], "K"),
                               (crosswalk, "N")):
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:{last_column}{sheet.max_row}"
        assert sheet.print_title_rows == "$1:$1"
        assert sheet.page_setup.orientation == "landscape"
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
    alerts = book["Alerts"]
    widths = {cell.value: alerts.column_dimensions[cell.column_letter].width
              for cell in alerts[1]}
    assert widths["NDC"] == len("00143-9377-01") + 2  # fitted to content
    assert widths["Evidence"] == 50 and widths["Action"] == 48  # long text: capped, wrapped
    heights = [alerts.row_dimensions[row].height for row in range(2, alerts.max_row + 1)]
    assert all(height and height >= 30 for height in heights)  # room for the wrapped lines
    assert all(width >= 6 for width in widths.values())


def test_formula_looking_text_arrives_as_a_string(workbooks: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(workbooks["alerts"])
    alerts = book["Alerts"]
    drug = cells_by_header(alerts, "Drug")[0]
    brand = cells_by_header(alerts, "Brand")[0]
    assert (drug.value, drug.data_type, drug.quotePrefix) == (HYPERLINK, "s", True)
    assert (brand.value, brand.data_type, brand.quotePrefix) == (PHONE, "s", True)
    cms_names = [c for c in cells_by_header(book["New drug codes"], "Drug names (CMS crosswalk)")
                 if c.value == CMS_FORMULA]
    assert len(cms_names) == 1 and cms_names[0].data_type == "s"
    with zipfile.ZipFile(workbooks["alerts"]) as archive:
        assert all(b"<f>" not in archive.read(name) for name in archive.namelist()
                   if name.startswith("xl/worksheets/"))


def test_new_drug_codes_lists_the_whole_release(workbooks: dict[str, Path]) -> None:
    rows = rows_of(openpyxl.load_workbook(workbooks["alerts"])["New drug codes"])
    by_code = {row["Code"]: row for row in rows}
    assert sorted(by_code) == ["Q5156", "Q5157"]  # new in 2025Q4, on the list or not
    assert by_code["Q5156"]["On your list"] == "tocilizumab-anoh"
    assert by_code["Q5157"]["On your list"] is None
    assert by_code["Q5157"]["NDCs (CMS crosswalk)"] == "55513-0770-01"
    assert by_code["Q5157"]["Effective date"] == datetime(2025, 10, 1)
    assert by_code["Q5157"]["Billing unit"] == "1 mg"


def test_summary_names_run_counts_and_source_files(workbooks: dict[str, Path],
                                                   template: Settings) -> None:
    summary = openpyxl.load_workbook(workbooks["alerts"])["Summary"]
    values = {row[0]: row[1:] for row in summary.iter_rows(values_only=True) if row[0]}
    assert values["Release quarter"][0] == "2025Q4"
    assert values["Run time (UTC)"][0] == run_started_at(template).replace(microsecond=0)
    assert values["Drug list"][0] == "drugs.csv"
    assert values["Drugs on the list"][0] == 6 and values["Drugs needing action"][0] == 5
    # linvoseltamab is inactive on the list: counted apart, never as needing action
    assert values["Inactive on your list (not counted)"][0] == 1
    counts = {verdict: values[verdict][0] for verdict in VERDICT_FILLS}
    assert counts == {"PAST_DUE": 2, "NEW_CODE": 1, "CODE_ENDED": 1, "REVIEW": 1,
                      "KEEP_PAYER_RULE": 0, "NO_CODE_YET": 0}
    hcpcs = values["hcpcs"]
    assert hcpcs[:3] == (10, "October 2025 Alpha-Numeric HCPCS File (ZIP)",
                         "october-2025-alpha-numeric-hcpcs-file.zip")
    sha = hashlib.sha256(b"2025Q4october-2025-alpha-numeric-hcpcs-file.zip"
                         b"2025-10-02 06:00:00+00:00").hexdigest()
    assert hcpcs[4] == "https://www.cms.gov/files/zip/october-2025-alpha-numeric-hcpcs-file.zip"
    assert hcpcs[5] == sha
    assert "asp_pricing" in values and "How to read this" in values
    assert not any(str(key).startswith("Warning") for key in values)
    assert summary.page_setup.orientation == "landscape"


def test_summary_warns_when_the_release_was_reloaded_after_the_run(matched: Settings) -> None:
    with warehouse.open_writer(matched) as con:
        record_sources(con, "2025Q4", loaded_at=datetime.now(timezone.utc))
    alerts, _ = reports.write_reports(matched, "2025Q4")
    first_column = [row[0] for row in openpyxl.load_workbook(alerts)["Summary"].iter_rows(
        values_only=True)]
    assert any(str(text).startswith("Warning: the release was loaded again after match run")
               for text in first_column)


# --------------------------------------------------------------------------------------------
# Crosswalk workbook
# --------------------------------------------------------------------------------------------


def test_crosswalk_has_one_row_per_date_of_service_window(workbooks: dict[str, Path]) -> None:
    sheet = openpyxl.load_workbook(workbooks["crosswalk"])["Crosswalk"]
    assert [cell.value for cell in sheet[1]] == CROSSWALK_HEADERS
    windows = {}
    for row in rows_of(sheet):
        windows.setdefault(row["Drug"], []).append(
            (row["HCPCS code"], row["DOS from"], row["DOS through"]))
    assert windows == {
        "Argatroban": [("J3490", None, None)],
        HYPERLINK: [("J9999", None, datetime(2021, 6, 30)), ("Q5123", datetime(2021, 7, 1), None)],
        "linvoseltamab-gcpt": [("J9999", None, None)],
        "Neulasta": [("J3590", None, datetime(2003, 12, 31)),
                     ("J2505", datetime(2004, 1, 1), datetime(2021, 12, 31)),
                     ("J2506", datetime(2022, 1, 1), None)],
        "tocilizumab-anoh": [("J3590", None, datetime(2025, 9, 30)),
                             ("Q5156", datetime(2025, 10, 1), None)],
        "ublituximab-xiiy": [("J3590", None, datetime(2023, 6, 30)),
                             ("J2329", datetime(2023, 7, 1), None)],
    }
    rows = rows_of(sheet)
    briumvi = [r for r in rows if r["Drug"] == "ublituximab-xiiy"]
    assert (briumvi[0]["Billing unit"], briumvi[0]["Units for dose"]) == (
        "1 unit per claim line (NOC)", 1)
    assert (briumvi[1]["NDC"], briumvi[1]["NDC 11 (claim)"], briumvi[1]["Billing unit"],
            briumvi[1]["Units for dose"], briumvi[1]["Verdict"]) == (
        "73150-0150-06", "73150015006", "1mg", 450, "PAST_DUE")
    inactive = [r for r in rows if r["Drug"] == "linvoseltamab-gcpt"][0]
    assert "inactive on your list" in inactive["Notes"]
    review = [r for r in rows if r["Drug"] == "Argatroban"][0]
    assert "candidates: J0883, J0884" in review["Notes"]
    codes = cells_by_header(sheet, "NDC 11 (claim)")
    assert all(c.data_type == "s" for c in codes if c.value)
    dates = [c for c in cells_by_header(sheet, "DOS from") if c.value is not None]
    assert all(c.is_date and c.number_format == "yyyy-mm-dd" for c in dates)
    for cell in cells_by_header(sheet, "Verdict"):
        assert cell.fill.fgColor.rgb == "00" + VERDICT_FILLS[cell.value]


# --------------------------------------------------------------------------------------------
# Stability, choice of run, exports, errors
# --------------------------------------------------------------------------------------------


def test_rebuilding_gives_byte_identical_workbooks(matched: Settings) -> None:
    paths = reports.write_reports(matched, "2025Q4")
    first = [path.read_bytes() for path in paths]
    # a second build in another process: another hash seed, time zone and clock reading
    done = subprocess.run(
        [sys.executable, "-m", "crosswalk.cli", "report", "--quarter", "2025Q4",
         "--data-dir", str(matched.data_dir)],
        capture_output=True, text=True, timeout=120,
        env={"PYTHONHASHSEED": "123", "TZ": "America/Los_Angeles", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert [path.read_bytes() for path in paths] == first
    started = run_started_at(matched)
    with zipfile.ZipFile(paths[0]) as archive:
        stamps = {info.date_time for info in archive.infolist()}
        core = archive.read("docProps/core.xml").decode()
    assert stamps == {started.timetuple()[:5] + (started.second // 2 * 2,)}  # zip: 2 s steps
    assert core.count(started.strftime("%Y-%m-%dT%H:%M:%SZ")) == 2  # created, modified


def test_newest_run_of_the_newest_quarter_by_default(matched: Settings, tmp_path: Path) -> None:
    later = tmp_path / "later"
    later.mkdir()
    second = match.match_practice(matched, Quarter.parse("2025Q4"), drug_list(later, DRUG_LIST[:3]))
    match.match_practice(matched, Quarter.parse("2025Q3"), drug_list(later, DRUG_LIST[:2]))
    alerts, crosswalk = reports.write_reports(matched, None)
    assert alerts.parent.name == "2025Q4"
    summary = openpyxl.load_workbook(alerts)["Summary"]
    values = {row[0]: row[1] for row in summary.iter_rows(values_only=True) if row[0]}
    assert values["Match run"] == second.run_id and values["Drugs on the list"] == 2
    drugs = {r["Drug"] for r in rows_of(openpyxl.load_workbook(crosswalk)["Crosswalk"])}
    assert drugs == {"tocilizumab-anoh", "ublituximab-xiiy"}


def test_csv_and_parquet_exports_hold_the_same_tables(workbooks: dict[str, Path],
                                                      matched: Settings) -> None:
    paths = reports.write_reports(matched, "2025Q4", ("csv", "parquet"))
    folder = matched.reports_dir / "2025Q4"
    stems = ["alerts", "crosswalk", "new-drug-codes", "verdict-counts", "source-files"]
    assert paths == [folder / f"{stem}-2025Q4.{fmt}" for fmt in ("csv", "parquet")
                     for stem in stems]
    book = openpyxl.load_workbook(workbooks["alerts"])
    con = duckdb.connect()
    alerts = con.execute("SELECT * FROM read_csv($p, all_varchar = true)",
                         {"p": str(folder / "alerts-2025Q4.csv")}).df()
    shown = [r["Drug"] for r in rows_of(book["Alerts"])]
    assert alerts["drug_name"].tolist() == [  # csv: formula text quoted for spreadsheets
        "'" + name if name.startswith(("=", "+", "-", "@")) else name for name in shown]
    assert shown[0].startswith("=")  # the fixture's formula-looking drug is really there
    raw = con.execute("SELECT drug_name FROM read_parquet($p)",
                      {"p": str(folder / "alerts-2025Q4.parquet")}).fetchall()
    assert [name for (name,) in raw] == shown  # parquet: the values as stored
    assert alerts["ndc"].tolist()[-1] == "00143-9377-01"
    typed = con.execute("SELECT ndc11, effective_date, asp_payment_limit FROM read_parquet($p) "
                        "WHERE drug_name = 'ublituximab-xiiy'",
                        {"p": str(folder / "alerts-2025Q4.parquet")}).fetchall()
    assert typed == [("73150015006", D(2023, 7, 1), Decimal("70.753"))]
    windows = con.execute("SELECT count(*) FROM read_parquet($p)",
                          {"p": str(folder / "crosswalk-2025Q4.parquet")}).fetchone()[0]
    assert windows == openpyxl.load_workbook(workbooks["crosswalk"])["Crosswalk"].max_row - 1
    counts = dict(con.execute("SELECT verdict, drugs + inactive FROM read_csv($p)",
                              {"p": str(folder / "verdict-counts-2025Q4.csv")}).fetchall())
    assert counts == {"PAST_DUE": 2, "NEW_CODE": 1, "CODE_ENDED": 1, "REVIEW": 1,
                      "KEEP_PAYER_RULE": 0, "NO_CODE_YET": 1}
    codes = con.execute("SELECT code FROM read_parquet($p) ORDER BY code",
                        {"p": str(folder / "new-drug-codes-2025Q4.parquet")}).fetchall()
    assert codes == [("Q5156",), ("Q5157",)]


def test_missing_database_run_or_format_is_a_clear_error(settings: Settings,
                                                         matched: Settings) -> None:
    empty = Settings(data_dir=settings.data_dir.parent / "empty")
    with pytest.raises(BadInput, match="no warehouse database yet"):
        reports.write_reports(empty, None)
    assert not empty.db_path.exists()
    with pytest.raises(BadInput, match=r"no match run for 2024Q1 \(matched: 2025Q4\)"):
        reports.write_reports(matched, "2024Q1")
    with pytest.raises(BadInput, match="unknown report format"):
        reports.write_reports(matched, "2025Q4", ("pdf",))


# --------------------------------------------------------------------------------------------
# CLI and rendering
# --------------------------------------------------------------------------------------------


def test_cli_report_writes_workbooks_then_exports(matched: Settings) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["report", "--quarter", "2025Q4",
                                  "--data-dir", str(matched.data_dir)])
    assert result.exit_code == 0, result.output
    folder = matched.reports_dir / "2025Q4"
    assert result.output.splitlines()[1:] == [
        f"wrote {folder / 'noc-alerts-2025Q4.xlsx'}", f"wrote {folder / 'crosswalk-2025Q4.xlsx'}"]
    assert result.output.startswith("match run 1 of 2025Q4")
    result = runner.invoke(main, ["report", "--quarter", "2025Q4", "--format", "csv",
                                  "--format", "parquet", "--data-dir", str(matched.data_dir)])
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) == 11
    assert (folder / "crosswalk-2025Q4.csv").is_file()
    assert (folder / "alerts-2025Q4.parquet").is_file()
    result = runner.invoke(main, ["report", "--quarter", "2023Q1",
                                  "--data-dir", str(matched.data_dir)])
    assert result.exit_code == 2 and "no match run for 2023Q1" in result.output


def test_a_throwaway_match_is_named_by_report_and_report_run_rebuilds_the_practice_run(
        matched: Settings, tmp_path: Path) -> None:
    """One `crosswalk match --drugs test.csv` used to replace the practice's workbook silently:
    `report` now says which run and list it used, `runs` lists them, `--run` picks one."""
    runner = CliRunner()
    folder = tmp_path / "scratch"
    folder.mkdir()
    test_list = folder / "test.csv"
    test_list.write_text("drug_name\nublituximab-xiiy\n", encoding="utf-8")
    practice = match.match_practice(matched, Quarter.parse("2025Q4"), drug_list(tmp_path))  # run 2, 6 drugs
    throwaway = match.match_practice(matched, Quarter.parse("2025Q4"), test_list)          # run 3, 1 drug
    data_dir = ["--data-dir", str(matched.data_dir)]

    newest = runner.invoke(main, ["report", "--quarter", "2025Q4", *data_dir])
    listed = runner.invoke(main, ["runs", *data_dir])
    chosen = runner.invoke(main, ["report", "--run", str(practice.run_id), *data_dir])

    sha = hashlib.sha256(test_list.read_bytes()).hexdigest()
    assert newest.exit_code == 0, newest.output
    assert newest.output.splitlines()[0] == (
        f"match run {throwaway.run_id} of 2025Q4 ({run_started(matched, throwaway.run_id)} UTC):"
        f" drug list test.csv, sha256 {sha}, 1 drug(s); 2 other run(s) of 2025Q4: "
        "`crosswalk runs` lists them, `crosswalk report --run ID` picks one")
    lines = listed.output.splitlines()
    assert listed.exit_code == 0 and len(lines) == 4  # header and three runs, newest first
    assert lines[1].split()[:2] == [str(throwaway.run_id), "2025Q4"]
    assert "test.csv" in lines[1] and lines[1].endswith("`crosswalk report` uses this run")
    assert lines[2].split()[:2] == [str(practice.run_id), "2025Q4"]
    assert " 6 " in lines[2] and "drugs.csv" in lines[2] and "uses this run" not in lines[2]
    assert chosen.exit_code == 0, chosen.output
    assert chosen.output.startswith(f"match run {practice.run_id} of 2025Q4")
    assert "drug list drugs.csv" in chosen.output and "6 drug(s)" in chosen.output
    summary = openpyxl.load_workbook(matched.reports_dir / "2025Q4" / "noc-alerts-2025Q4.xlsx")
    values = {row[0]: row[1] for row in summary["Summary"].iter_rows(values_only=True) if row[0]}
    assert values["Match run"] == practice.run_id and values["Drugs on the list"] == 6
    assert values["Drug list"] == "drugs.csv"
    assert values["Match runs of this release"].startswith("3: `crosswalk runs --quarter 2025Q4`")


def run_started(settings: Settings, run_id: int) -> str:
    with warehouse.connect(settings, read_only=True) as con:
        (started,) = con.execute("SELECT timezone('UTC', started_at) FROM match_runs "
                                 "WHERE run_id = ?", [run_id]).fetchone()
    return f"{started:%Y-%m-%d %H:%M:%S}"


def test_report_run_refuses_a_run_that_is_missing_or_of_another_release(matched: Settings
                                                                         ) -> None:
    runner = CliRunner()
    data_dir = ["--data-dir", str(matched.data_dir)]
    missing = runner.invoke(main, ["report", "--run", "99", *data_dir])
    other = runner.invoke(main, ["report", "--run", "1", "--quarter", "2025Q3", *data_dir])
    assert missing.exit_code == 2 and "match run 99 does not exist" in missing.output
    assert other.exit_code == 2 and "match run 1 is of 2025Q4, not 2025Q3" in other.output
    assert "`crosswalk runs`" in missing.output


def test_runs_without_a_database_says_so_and_creates_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["runs", "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 0 and result.output.startswith("no match runs yet")
    assert list(tmp_path.iterdir()) == []


def test_libreoffice_renders_the_alerts_workbook(workbooks: dict[str, Path],
                                                 tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    profile = (tmp_path / "lo-profile").as_uri()
    done = subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(workbooks["alerts"])],
        capture_output=True, text=True, timeout=180)
    pdf = tmp_path / "noc-alerts-2025Q4.pdf"
    assert done.returncode == 0 and pdf.is_file(), done.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdfinfo"):  # landscape: wider than tall
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                              check=True).stdout
        width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
        assert width > height
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert "NOC drug code alerts: 2025Q4" in text
        assert "=HYPERLINK(" in text  # shown as typed, never evaluated
        assert "ublituximab-xiiy" in text and "00143-9377-01" in text


# --------------------------------------------------------------------------------------------
# Real CMS files: the Oct 2025 ANWEB workbook and ASP files through readers, loader, matcher
# --------------------------------------------------------------------------------------------


@pytest.mark.real_samples
def test_real_release_report_for_the_example_list(cms_samples: Path, tmp_path: Path) -> None:
    import cms_builders as cms
    from conftest import REAL_FILES, archive_and_load

    from crosswalk.settings import EXAMPLE_DRUGS

    settings = Settings(data_dir=tmp_path / "data")
    archive_and_load(settings, {
        quarter: {kind: cms.build_zip({name: (cms_samples / folder / name).read_bytes()})
                  for kind, (folder, name) in kinds.items()}
        for quarter, kinds in REAL_FILES.items()})
    match.match_practice(settings, None, EXAMPLE_DRUGS)
    alerts_path, crosswalk_path = reports.write_reports(settings, None)

    book = openpyxl.load_workbook(alerts_path)
    alerts = {row["Drug"]: row for row in rows_of(book["Alerts"])}
    briumvi = alerts["ublituximab-xiiy"]
    assert (briumvi["Verdict"], briumvi["New code"], briumvi["NDC"]) == (
        "PAST_DUE", "J2329", "73150-0150-06")
    assert briumvi["Effective date"] == datetime(2023, 7, 1) and briumvi["ASP payment limit"]
    assert "linvoseltamab-gcpt" not in alerts  # NO_CODE_YET: crosswalk only
    new_codes = {row["Code"]: row for row in rows_of(book["New drug codes"])}
    with warehouse.open_writer(settings) as con:
        (expected,), = con.execute(
            "SELECT count(*) FROM drug_codes_new WHERE quarter = '2025Q4'").fetchall()
    assert len(new_codes) == expected > 20  # the whole release, not just the list's drugs
    assert new_codes["Q5156"]["On your list"] == "tocilizumab-anoh"
    assert new_codes["J9011"]["Effective date"] == datetime(2025, 10, 1)
    kinds = {row[0]: row for row in book["Summary"].iter_rows(values_only=True)
             if row[0] in ("hcpcs", "asp_pricing", "asp_crosswalk")}
    assert sorted(kinds) == ["asp_crosswalk", "asp_pricing", "hcpcs"]
    assert kinds["hcpcs"][4] == "HCPC2025_OCT_ANWEB.xlsx"  # the member read
    listed = {row["Drug"] for row in rows_of(openpyxl.load_workbook(crosswalk_path)["Crosswalk"])}
    drugs = pd.read_csv(EXAMPLE_DRUGS)["drug_name"]
    assert listed == set(drugs)


def test_c_code_hint_payer_rule_and_inactive_drugs_on_their_sheets(matched: Settings,
                                                                   tmp_path: Path) -> None:
    """An office drug whose only code is an OPPS C-code is on Alerts with the hint in Notes;
    a payer-rule row is on Alerts, not counted; an inactive drug is on its own sheet."""
    with warehouse.open_writer(matched) as con:
        insert(con, "hcpcs_codes", [
            {"quarter": "2025Q4", "code": "C9305", "is_modifier": False,
             "long_description": "Injection, nipocalimab-aahu, 3 mg",
             "add_date": D(2025, 10, 1), "action_eff_date": D(2025, 10, 1)}])
    path = tmp_path / "list.csv"
    path.write_text("drug_name,current_code,setting,payer,notes,keep_code,active\n"
                    "nipocalimab-aahu,J3590,office,,,,yes\n"
                    "ublituximab-xiiy,J3590,office,BCBS,payer requires J3590,yes,yes\n"
                    "rituximab-arrx,J9999,office,,,,no\n", encoding="utf-8")
    match.match_practice(matched, Quarter.parse("2025Q4"), path)
    alerts_path, _ = reports.write_reports(matched, "2025Q4")
    book = openpyxl.load_workbook(alerts_path)
    assert book.sheetnames == ["Summary", "Alerts", "New drug codes", "Inactive drugs"]
    rows = {r["Drug"]: r for r in rows_of(book["Alerts"])}
    assert list(rows) == ["ublituximab-xiiy", "nipocalimab-aahu"]  # by urgency
    assert rows["nipocalimab-aahu"]["Verdict"] == "NO_CODE_YET"
    assert ("C9305 is for hospital outpatient claims only; office claims keep J3590 until a "
            "J/Q code is assigned") in rows["nipocalimab-aahu"]["Notes"]
    assert (rows["ublituximab-xiiy"]["Verdict"], rows["ublituximab-xiiy"]["New code"]) == (
        "KEEP_PAYER_RULE", "J2329")
    inactive = rows_of(book["Inactive drugs"])
    assert [(r["Verdict"], r["Drug"], r["New code"]) for r in inactive] == [
        ("PAST_DUE", "rituximab-arrx", "Q5123")]
    summary = {row[0]: row[1:] for row in book["Summary"].iter_rows(values_only=True) if row[0]}
    assert summary["Drugs needing action"][0] == 0
    assert summary["Inactive on your list (not counted)"][0] == 1
    assert summary["KEEP_PAYER_RULE"][0] == 1
