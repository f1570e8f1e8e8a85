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

from crosswalk import match, reports, sqlfiles, warehouse
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
    "Verdict", "Drug", "NDC", "Current code", "New code", "Effective date", "Action",
    "Units for dose", "Payment per dose", "NOC claim narrative", "Notes", "Since"]
EVIDENCE_HEADERS = [
    "Verdict", "Drug", "Brand", "Setting", "Route", "Dose (your list)", "New code descriptor",
    "DOS rule", "Billing unit", "Units per package", "Units worked out", "ASP payment limit",
    "NOC payment limit", "NOC limit per", "Match basis", "Confidence", "Evidence",
    "Candidate codes", "Code ends", "Successor code", "Narrative goes in", "Row in your list"]
CROSSWALK_HEADERS = [
    "Drug", "Brand", "NDC", "NDC 11 (claim)", "Setting", "HCPCS code", "DOS from",
    "DOS through", "Billing unit", "Units per package", "Units for dose", "NOC claim narrative",
    "Verdict", "Notes", "Row in your list"]


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
    alerts, crosswalk = reports.write_reports(template, Quarter.parse("2025Q4"))
    return {"alerts": alerts, "crosswalk": crosswalk}


def run_started_at(settings: Settings) -> datetime:
    with warehouse.open_writer(settings) as con:
        (started,), = con.execute(
            "SELECT timezone('UTC', started_at) FROM match_runs").fetchall()
    return started


def is_heading(row: tuple[Any, ...]) -> bool:
    """A group heading: text in the first cell only."""
    return row[0] is not None and all(value is None for value in row[1:])


def rows_of(sheet: Any) -> list[dict[str, Any]]:
    """Data rows as dicts keyed by header (group headings left out)."""
    header = [cell.value for cell in sheet[1]]
    return [dict(zip(header, row)) for row in sheet.iter_rows(min_row=2, values_only=True)
            if not is_heading(row)]


def headings_of(sheet: Any) -> list[tuple[int, str]]:
    """(row number, text) of each group heading."""
    return [(number, row[0]) for number, row in enumerate(
        sheet.iter_rows(min_row=2, values_only=True), start=2) if is_heading(row)]


def cells_by_header(sheet: Any, header: str) -> list[Any]:
    """The data cells of one column (group headings left out)."""
    column = [cell.value for cell in sheet[1]].index(header) + 1
    headings = {number for number, _ in headings_of(sheet)}
    return [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)
            if r not in headings]


def column_width(sheet: Any, header: str) -> float:
    """A column's width; XlsxWriter writes neighbours of equal width as one <col> range."""
    index = [cell.value for cell in sheet[1]].index(header) + 1
    return next(dimension.width for dimension in sheet.column_dimensions.values()
                if dimension.min <= index <= dimension.max)


def fill_of(cell: Any) -> str:
    return cell.fill.fgColor.rgb[-6:]


# --------------------------------------------------------------------------------------------
# Alerts workbook
# --------------------------------------------------------------------------------------------


def test_alerts_workbook_sheets_and_alert_rows(workbooks: dict[str, Path],
                                               template: Settings) -> None:
    path = workbooks["alerts"]
    assert path == template.reports_dir / "2025Q4" / "noc-alerts-2025Q4.xlsx"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Summary", "Alerts", "Evidence", "New drug codes"]
    alerts = book["Alerts"]
    assert [cell.value for cell in alerts[1]] == ALERT_HEADERS
    assert headings_of(alerts) == [(2, "Needs action (5 drugs)")]
    rows = rows_of(alerts)
    # most urgent first, then by drug name; NO_CODE_YET without a hint stays off this sheet
    assert [(r["Verdict"], r["Drug"]) for r in rows] == [
        ("PAST_DUE", HYPERLINK), ("PAST_DUE", "ublituximab-xiiy"),
        ("NEW_CODE", "tocilizumab-anoh"), ("CODE_ENDED", "Neulasta"), ("REVIEW", "Argatroban")]
    briumvi = rows[1]
    assert (briumvi["NDC"], briumvi["Current code"], briumvi["New code"]) == (
        "73150-0150-06", "J3590", "J2329")
    assert briumvi["Effective date"] == datetime(2023, 7, 1)
    assert (briumvi["Units for dose"], briumvi["Payment per dose"]) == (450, 31838.85)
    assert briumvi["Action"].startswith("Switch to J2329 now")
    assert briumvi["NOC claim narrative"] is None  # its NOC dates of service are long past
    assert briumvi["Since"] == "new in 2025Q4"  # the first run of this list
    tocilizumab = rows[2]  # NEW_CODE: J3590 until 2025-09-30, so the narrative is there
    assert tocilizumab["NOC claim narrative"] == "tocilizumab-anoh (Avtozma) <dose>"
    assert tocilizumab["Payment per dose"] is None
    assert ("payment per dose blank: dose is per kg: units depend on the patient"
            in tocilizumab["Notes"])
    review = rows[4]  # keeps J3490 until the code is confirmed: a narrative, with its NDC
    assert review["NOC claim narrative"] == "Argatroban <dose> N400143937701 <unit><qty>"
    assert review["NDC"] == "00143-9377-01"


def test_evidence_has_the_same_rows_in_the_same_order(workbooks: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(workbooks["alerts"])
    alerts, evidence = book["Alerts"], book["Evidence"]
    assert [cell.value for cell in evidence[1]] == EVIDENCE_HEADERS
    assert evidence.max_row == alerts.max_row
    for number in range(2, alerts.max_row + 1):  # row N of one sheet is row N of the other
        assert (alerts.cell(number, 1).value, alerts.cell(number, 2).value) == (
            evidence.cell(number, 1).value, evidence.cell(number, 2).value)
    assert headings_of(evidence) == headings_of(alerts)
    rows = {row["Drug"]: row for row in rows_of(evidence)}
    briumvi = rows["ublituximab-xiiy"]
    assert (briumvi["Brand"], briumvi["Setting"], briumvi["Dose (your list)"]) == (
        "Briumvi", "office", "450 mg")
    assert (briumvi["Billing unit"], briumvi["Units per package"],
            briumvi["ASP payment limit"]) == ("1mg", 150, 70.753)
    assert briumvi["Units worked out"] == "450 mg / 1mg = 450 units"
    assert briumvi["DOS rule"] == ("DOS before 2023-07-01: keep J3590; on or after 2023-07-01: "
                                   "bill J2329")
    assert briumvi["Evidence"].startswith("brand_name: asp_ndc_crosswalk.drug_name 'Briumvi'")
    assert (briumvi["Match basis"], briumvi["Confidence"], briumvi["Row in your list"]) == (
        "brand_name+generic_name+ndc", "high", 3)
    assert briumvi["Narrative goes in"] is None
    assert rows["tocilizumab-anoh"]["Narrative goes in"] == "SV101-7 (33 of 80 characters)"
    ended = rows["Neulasta"]
    assert (ended["Code ends"], ended["Successor code"]) == (datetime(2021, 12, 31), "J2506")
    assert rows["Argatroban"]["Candidate codes"] == "J0883, J0884"


def test_alert_cells_are_typed_for_excel(workbooks: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(workbooks["alerts"])
    alerts, evidence = book["Alerts"], book["Evidence"]
    ndcs = [cell for cell in cells_by_header(alerts, "NDC") if cell.value is not None]
    assert len(ndcs) == 4
    assert all(cell.data_type == "s" and cell.number_format == "@" for cell in ndcs)
    assert [c.value for c in cells_by_header(alerts, "NDC")][-1] == "00143-9377-01"
    effective = [c for c in cells_by_header(alerts, "Effective date") if c.value is not None]
    assert effective and all(isinstance(c.value, datetime) and c.is_date for c in effective)
    assert {c.number_format for c in effective} == {"yyyy-mm-dd"}
    paid = [c for c in cells_by_header(alerts, "Payment per dose") if c.value is not None]
    assert len(paid) == 2 and {c.number_format for c in paid} == {'"$"#,##0.00'}
    assert all(c.data_type == "n" for c in paid)
    money = [c for c in cells_by_header(evidence, "ASP payment limit") if c.value is not None]
    assert money and {c.number_format for c in money} == {'"$"#,##0.000'}
    for sheet, header in ((alerts, "NOC claim narrative"), (alerts, "Action"),
                          (evidence, "Evidence")):
        written = [c for c in cells_by_header(sheet, header) if c.value is not None]
        assert written and all(c.alignment.wrap_text for c in written)


def test_each_verdict_has_its_fill_and_the_summary_legend_matches(
        workbooks: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(workbooks["alerts"])
    for sheet in (book["Alerts"], book["Evidence"]):
        cells = cells_by_header(sheet, "Verdict")
        assert cells and all(fill_of(cell) == VERDICT_FILLS[cell.value] and cell.font.b
                             for cell in cells)
    legend = {cell.value: fill_of(cell) for row in book["Summary"].iter_rows()
              for cell in row if cell.value in VERDICT_FILLS}
    assert legend == VERDICT_FILLS


def test_alerts_print_one_page_wide_with_titles_and_page_numbers(
        workbooks: dict[str, Path]) -> None:
    """The worklist prints: landscape, one page wide, at most 12 columns, the header on
    every page, page numbers; narrow enough for legible type (docs/alerts-sheet-example.md
    states the size on Letter and A4)."""
    alerts = openpyxl.load_workbook(workbooks["alerts"])["Alerts"]
    assert alerts.max_column == len(ALERT_HEADERS) <= 12
    assert alerts.page_setup.orientation == "landscape"
    assert alerts.sheet_properties.pageSetUpPr.fitToPage
    assert alerts.page_setup.fitToWidth in (None, 1)  # 1 is the default XlsxWriter omits
    assert alerts.page_setup.fitToHeight == 0  # as many pages tall as needed
    assert alerts.print_title_rows == "$1:$1"
    assert alerts.oddFooter.center.text == "Page &P of &N"
    assert alerts.oddHeader.left.text == "NOC drug code alerts, 2025Q4 HCPCS release"
    assert (alerts.page_margins.left, alerts.page_margins.right) == (0.25, 0.25)
    widths = [column_width(alerts, header) for header in ALERT_HEADERS]
    assert sum(widths) <= 180  # characters: about 8.5 pt type fitted to Letter, 9 pt to A4
    assert column_width(alerts, "NDC") == pytest.approx(len("00143-9377-01") + 2, abs=1)
    cap = next(column.max_width for column in reports.ALERTS_SHEET if column.key == "action")
    assert column_width(alerts, "Action") == pytest.approx(cap, abs=1)  # capped, wrapped
    heights = [alerts.row_dimensions[row].height for row in range(3, alerts.max_row + 1)]
    assert all(height and height >= 30 for height in heights)  # room for the wrapped lines


def test_other_table_sheets_freeze_filter_and_print(workbooks: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(workbooks["alerts"])
    crosswalk = openpyxl.load_workbook(workbooks["crosswalk"])["Crosswalk"]
    for sheet, last_column in ((book["Alerts"], "L"), (book["New drug codes"], "K"),
                               (crosswalk, "O")):
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:{last_column}{sheet.max_row}"
        assert sheet.print_title_rows == "$1:$1"
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.page_setup.fitToHeight == 0
    evidence = book["Evidence"]  # wide: printed over several pages, Verdict and Drug on each
    assert evidence.freeze_panes == "C2"
    assert (evidence.print_title_rows, evidence.print_title_cols) == ("$1:$1", "$A:$B")
    assert evidence.auto_filter.ref == f"A1:V{evidence.max_row}"
    assert not (evidence.sheet_properties.pageSetUpPr and
                evidence.sheet_properties.pageSetUpPr.fitToPage)
    assert all(column_width(evidence, header) >= 6 for header in EVIDENCE_HEADERS)
    assert column_width(evidence, "Evidence") == pytest.approx(50, abs=1)


@pytest.mark.parametrize(("name", "columns"), [
    ("20_alerts", reports.ALERTS_SHEET + reports.EVIDENCE_SHEET),
    ("30_crosswalk_windows", reports.CROSSWALK_COLUMNS),
    ("40_new_drug_codes", reports.NEW_CODE_COLUMNS),
    ("50_verdict_counts", reports.COUNT_COLUMNS),
    ("60_source_files", reports.SOURCE_COLUMNS)])
def test_each_sheet_column_is_declared_once_over_its_query(
        matched: Settings, name: str, columns: tuple[Any, ...]) -> None:
    """A sheet column is one Column naming a column of its sql/reports query: no second list
    of keys to keep in step, and the Alerts sheet prints at most 12."""
    with warehouse.open_writer(matched) as con:
        reports.prepare(con)
        run = reports.chosen_run(con, Quarter.parse("2025Q4"))
        returned = {column for column, _ in reports.columns_of(
            con, sqlfiles.one_query(con, "reports", name), run.params)}
    assert {column.key for column in columns} <= returned
    assert len(reports.ALERTS_SHEET) <= 12
    shared = {column.key for column in reports.ALERTS_SHEET} & {
        column.key for column in reports.EVIDENCE_SHEET}
    assert shared == {"verdict", "drug_name"}  # the row's name on both sheets, nothing else


def test_formula_looking_text_arrives_as_a_string(workbooks: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(workbooks["alerts"])
    alerts = book["Alerts"]
    drug = cells_by_header(alerts, "Drug")[0]
    brand = cells_by_header(book["Evidence"], "Brand")[0]
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
    # the first run of this list: every alert is new; payment per dose totalled per verdict
    assert values["On Alerts, new this quarter"][0] == 5
    assert values["On Alerts, still open from an earlier quarter"][0] == 0
    assert values["Earlier runs of this list compared"][0].startswith("none")
    assert values["PAST_DUE"][1:4] == (2, 0, pytest.approx(1855.63 + 31838.85))
    assert values["NEW_CODE"][1:4] == (1, 0, None)  # Q5156 has no ASP limit yet
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
    alerts, _ = reports.write_reports(matched, Quarter.parse("2025Q4"))
    first_column = [row[0] for row in openpyxl.load_workbook(alerts)["Summary"].iter_rows(
        values_only=True)]
    assert any(str(text).startswith("Warning: the release was loaded again after match run")
               for text in first_column)


def since_by_drug(path: Path) -> dict[str, str]:
    return {row["Drug"]: row["Since"] for row in rows_of(openpyxl.load_workbook(path)["Alerts"])}


def test_since_across_two_runs_of_the_same_list(matched: Settings, tmp_path: Path) -> None:
    """The list matched last quarter too: what was on Alerts then is 'open since 2025Q3';
    tocilizumab-anoh had no code in 2025Q3 (NO_CODE_YET, off Alerts), so it is new."""
    earlier = tmp_path / "last-quarter"
    earlier.mkdir()
    q3 = match.match_practice(matched, Quarter.parse("2025Q3"), drug_list(earlier))  # same name and bytes
    alerts, _ = reports.write_reports(matched, Quarter.parse("2025Q4"))
    assert since_by_drug(alerts) == {
        HYPERLINK: "open since 2025Q3", "ublituximab-xiiy": "open since 2025Q3",
        "tocilizumab-anoh": "new in 2025Q4", "Neulasta": "open since 2025Q3",
        "Argatroban": "open since 2025Q3"}
    summary = {row[0]: row[1:] for row in openpyxl.load_workbook(alerts)["Summary"].iter_rows(
        values_only=True) if row[0]}
    assert summary["On Alerts, new this quarter"][0] == 1
    assert summary["On Alerts, still open from an earlier quarter"][0] == 4
    assert summary["Earlier runs of this list compared"][0] == f"2025Q3 (run {q3.run_id})"
    assert summary["PAST_DUE"][:3] == (2, 0, 2) and summary["NEW_CODE"][:3] == (1, 1, 0)
    # the export says the same
    reports.write_reports(matched, Quarter.parse("2025Q4"), ("parquet",))
    with duckdb.connect() as con:
        exported = dict(con.execute(
            "SELECT drug_name, since FROM read_parquet($p)",
            {"p": str(matched.reports_dir / "2025Q4" / "alerts-2025Q4.parquet")}).fetchall())
    assert exported == since_by_drug(alerts)


def test_since_finds_a_renamed_list_by_its_contents_and_restarts_after_a_gap(
        matched: Settings, tmp_path: Path) -> None:
    """Runs: 2025Q2 the whole list (another file name, same bytes as the 2025Q4 list: found
    by SHA-256); 2025Q3 a list of the same name as 2025Q4's without ublituximab-xiiy (found
    by name). ublituximab-xiiy left Alerts in 2025Q3, so it is new again; the others have
    been on Alerts in every run since 2025Q2. A list of another name and contents is not
    compared."""
    with warehouse.open_writer(matched) as con:
        load_release(con, "2025Q2")
    renamed = tmp_path / "renamed.csv"
    renamed.write_text("\n".join(DRUG_LIST) + "\n", encoding="utf-8")
    match.match_practice(matched, Quarter.parse("2025Q2"), renamed)
    shorter = tmp_path / "shorter"
    shorter.mkdir()
    match.match_practice(matched, Quarter.parse("2025Q3"), drug_list(shorter, [
        row for row in DRUG_LIST if not row.startswith("ublituximab")]))
    other = tmp_path / "other.csv"
    other.write_text("drug_name,current_code\nNeulasta,J3590\n", encoding="utf-8")
    match.match_practice(matched, Quarter.parse("2025Q3"), other)  # neither the name nor the bytes
    alerts, _ = reports.write_reports(matched, Quarter.parse("2025Q4"))
    assert since_by_drug(alerts) == {
        HYPERLINK: "open since 2025Q2", "ublituximab-xiiy": "new in 2025Q4",
        "tocilizumab-anoh": "new in 2025Q4", "Neulasta": "open since 2025Q2",
        "Argatroban": "open since 2025Q2"}


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
    # the NOC claim narrative on every window billed under the NOC code, and only there
    narratives = {(r["Drug"], r["HCPCS code"]): r["NOC claim narrative"] for r in rows}
    assert narratives[("ublituximab-xiiy", "J3590")] == (
        "ublituximab-xiiy (Briumvi) 450 mg N473150015006 <unit><qty>")
    assert narratives[("ublituximab-xiiy", "J2329")] is None
    assert narratives[("linvoseltamab-gcpt", "J9999")] == "linvoseltamab-gcpt (Lynozyfic) <dose>"
    assert narratives[("Neulasta", "J2505")] is None and narratives[("Neulasta", "J2506")] is None
    review = [r for r in rows if r["Drug"] == "Argatroban"][0]
    assert "candidates: J0883, J0884" in review["Notes"]
    codes = cells_by_header(sheet, "NDC 11 (claim)")
    assert all(c.data_type == "s" for c in codes if c.value)
    dates = [c for c in cells_by_header(sheet, "DOS from") if c.value is not None]
    assert all(c.is_date and c.number_format == "yyyy-mm-dd" for c in dates)
    for cell in cells_by_header(sheet, "Verdict"):
        assert fill_of(cell) == VERDICT_FILLS[cell.value]


# --------------------------------------------------------------------------------------------
# Stability, choice of run, exports, errors
# --------------------------------------------------------------------------------------------


def test_rebuilding_gives_byte_identical_workbooks(matched: Settings) -> None:
    paths = reports.write_reports(matched, Quarter.parse("2025Q4"))
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
    for path in paths:
        with zipfile.ZipFile(path) as archive:
            stamps = {info.date_time for info in archive.infolist()}
            core = archive.read("docProps/core.xml").decode()
        assert stamps == {(1980, 1, 31, 0, 0, 0)}  # XlsxWriter's fixed member date, no clock
        assert core.count(started.strftime("%Y-%m-%dT%H:%M:%SZ")) == 2  # created, modified
    assert not list(paths[0].parent.glob(".*.partial"))


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
    paths = reports.write_reports(matched, Quarter.parse("2025Q4"), ("csv", "parquet"))
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
        reports.write_reports(matched, Quarter.parse("2024Q1"))
    with pytest.raises(BadInput, match="unknown report format"):
        reports.write_reports(matched, Quarter.parse("2025Q4"), ("pdf",))


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


@pytest.fixture(scope="module")
def real_workbooks(real_2025q4: Settings) -> dict[str, Path]:
    """The example list matched against the real Oct 2025 files, and its two workbooks."""
    from crosswalk.settings import EXAMPLE_DRUGS

    match.match_practice(real_2025q4, None, EXAMPLE_DRUGS)
    alerts, crosswalk = reports.write_reports(real_2025q4, None)
    return {"alerts": alerts, "crosswalk": crosswalk}


@pytest.mark.real_samples
def test_real_release_report_for_the_example_list(real_workbooks: dict[str, Path],
                                                  real_2025q4: Settings) -> None:
    from crosswalk.settings import EXAMPLE_DRUGS

    book = openpyxl.load_workbook(real_workbooks["alerts"])
    alerts = {row["Drug"]: row for row in rows_of(book["Alerts"])}
    briumvi = alerts["ublituximab-xiiy"]
    assert (briumvi["Verdict"], briumvi["New code"], briumvi["NDC"]) == (
        "PAST_DUE", "J2329", "73150-0150-06")
    assert briumvi["Effective date"] == datetime(2023, 7, 1) and briumvi["Payment per dose"]
    assert "linvoseltamab-gcpt" not in alerts  # NO_CODE_YET without a hint: crosswalk only
    new_codes = {row["Code"]: row for row in rows_of(book["New drug codes"])}
    with warehouse.open_writer(real_2025q4) as con:
        (expected,), = con.execute(
            "SELECT count(*) FROM drug_codes_new WHERE quarter = '2025Q4'").fetchall()
    assert len(new_codes) == expected > 20  # the whole release, not just the list's drugs
    assert new_codes["Q5156"]["On your list"] == "tocilizumab-anoh"
    assert new_codes["J9011"]["Effective date"] == datetime(2025, 10, 1)
    kinds = {row[0]: row for row in book["Summary"].iter_rows(values_only=True)
             if row[0] in ("hcpcs", "asp_pricing", "asp_crosswalk")}
    assert sorted(kinds) == ["asp_crosswalk", "asp_pricing", "hcpcs"]
    assert kinds["hcpcs"][4] == "HCPC2025_OCT_ANWEB_v3.xlsx"  # the member read
    listed = {row["Drug"] for row in rows_of(
        openpyxl.load_workbook(real_workbooks["crosswalk"])["Crosswalk"])}
    drugs = pd.read_csv(EXAMPLE_DRUGS)["drug_name"]
    assert listed == set(drugs)


@pytest.mark.real_samples
def test_real_release_noc_claim_narratives(real_workbooks: dict[str, Path]) -> None:
    """The narrative for known drugs of the Oct 2025 release, from the example list's own
    cells: new codes before their date, the payer rule, the C-code hint row; and on the
    crosswalk's NOC windows."""
    alerts = {row["Drug"]: row for row in rows_of(
        openpyxl.load_workbook(real_workbooks["alerts"])["Alerts"])}
    narratives = {drug: (row["Verdict"], row["NOC claim narrative"])
                  for drug, row in alerts.items() if row["NOC claim narrative"]}
    assert narratives == {
        "datopotamab deruxtecan-dlnk": (  # J9011 from 2025-10-01; hospital outpatient C9399
            "NEW_CODE",
            "datopotamab deruxtecan-dlnk (Datroway) 360 mg IV N465597080101 ME360"),
        "denosumab-bmwo": ("NEW_CODE", "denosumab-bmwo (Stoboclo) 60 mg SC"),
        "aflibercept-jbvf": ("NEW_CODE", "aflibercept-jbvf (Yesafili) 2 mg intravitreal"),
        "tocilizumab-anoh": ("NEW_CODE", "tocilizumab-anoh (Avtozma) <dose> IV"),  # 8 mg/kg
        "telisotuzumab vedotin-tllv": ("NEW_CODE", "telisotuzumab vedotin-tllv (Emrelis) "
                                                   "<dose> IV"),
        "treosulfan": ("NEW_CODE", "treosulfan (Grafapex) <dose> IV N459137033501 <unit><qty>"),
        "bevacizumab": ("KEEP_PAYER_RULE", "bevacizumab (Avastin) 1.25 mg intravitreal"),
        "nipocalimab-aahu": ("NO_CODE_YET", "nipocalimab-aahu (Imaavy) <dose> IV"),
    }
    assert ("C9305 is for hospital outpatient claims only; office claims keep J3590 until a "
            "J/Q code is assigned") in alerts["nipocalimab-aahu"]["Notes"]
    assert all(len(text) <= 80 for _, text in narratives.values())
    windows = {(row["Drug"], row["HCPCS code"]): row["NOC claim narrative"] for row in rows_of(
        openpyxl.load_workbook(real_workbooks["crosswalk"])["Crosswalk"])}
    assert windows[("ublituximab-xiiy", "J3590")] == (
        "ublituximab-xiiy (Briumvi) 450 mg IV N473150015006 ML18")
    assert windows[("rituximab-arrx", "J9999")] == (
        "rituximab-arrx (Riabni) 700 mg IV N455513022401 ML70")
    assert windows[("linvoseltamab-gcpt", "J9999")] == "linvoseltamab-gcpt (Lynozyfic) <dose> IV"
    assert windows[("ublituximab-xiiy", "J2329")] is None


@pytest.mark.real_samples
def test_real_release_payment_per_dose_is_limit_times_units(
        real_workbooks: dict[str, Path], real_2025q4: Settings) -> None:
    book = openpyxl.load_workbook(real_workbooks["alerts"])
    alerts, evidence = rows_of(book["Alerts"]), rows_of(book["Evidence"])
    with warehouse.open_writer(real_2025q4) as con:
        limits = dict(con.execute("SELECT hcpcs_code, payment_limit FROM asp_payment_limits "
                                  "WHERE quarter = '2025Q4'").fetchall())
    paid = 0
    for shown, behind in zip(alerts, evidence, strict=True):
        assert shown["Drug"] == behind["Drug"]
        limit, units = behind["ASP payment limit"], shown["Units for dose"]
        if limit is not None and units is not None:
            assert limit == pytest.approx(float(limits[shown["New code"]]))
            assert shown["Payment per dose"] == pytest.approx(round(limit * units, 2))
            paid += 1
        else:
            assert shown["Payment per dose"] is None
            if shown["New code"] and units is None:  # the reason is on the row
                assert "payment per dose blank" in shown["Notes"]
    assert paid >= 5
    briumvi = next(row for row in alerts if row["Drug"] == "ublituximab-xiiy")
    assert briumvi["Payment per dose"] == pytest.approx(round(float(limits["J2329"]) * 450, 2))


def test_c_code_hint_payer_rule_and_inactive_drugs_on_their_sheets(matched: Settings,
                                                                   tmp_path: Path) -> None:
    """An office drug whose only code is an OPPS C-code is on Alerts with the hint in Notes
    and its NOC claim narrative; a payer-rule row is in its own group, not counted; an
    inactive drug is on its own sheet."""
    with warehouse.open_writer(matched) as con:
        insert(con, "hcpcs_codes", [
            {"quarter": "2025Q4", "code": "C9305", "is_modifier": False,
             "long_description": "Injection, nipocalimab-aahu, 3 mg",
             "add_date": D(2025, 10, 1), "action_eff_date": D(2025, 10, 1)}])
    path = tmp_path / "list.csv"
    path.write_text("drug_name,brand_name,ndc,dose,route,ndc_unit,ndc_quantity,current_code,"
                    "setting,payer,notes,keep_code,active\n"
                    "nipocalimab-aahu,Imaavy,,30 mg/kg,IV,,,J3590,office,,,,yes\n"
                    "ublituximab-xiiy,Briumvi,73150-0150-06,450 mg,IV,ML,18,J3590,office,BCBS,"
                    "payer requires J3590,yes,yes\n"
                    "rituximab-arrx,,,,,,,J9999,office,,,,no\n", encoding="utf-8")
    match.match_practice(matched, Quarter.parse("2025Q4"), path)
    alerts_path, _ = reports.write_reports(matched, Quarter.parse("2025Q4"))
    book = openpyxl.load_workbook(alerts_path)
    assert book.sheetnames == ["Summary", "Alerts", "Evidence", "New drug codes",
                               "Inactive drugs"]
    alerts = book["Alerts"]
    headings = headings_of(alerts)
    assert [number for number, _ in headings] == [2, 4]  # one group each, in urgency order
    assert headings[0][1] == ("KEEP_PAYER_RULE (1 drug), not counted as needing action: Keep "
                              "billing the NOC code for that payer as the rule says; other "
                              "payers follow the permanent code shown.")
    assert headings[1][1].startswith("NO_CODE_YET (1 drug), not counted as needing action: ")
    assert headings_of(book["Evidence"]) == headings
    rows = {r["Drug"]: r for r in rows_of(alerts)}
    assert list(rows) == ["ublituximab-xiiy", "nipocalimab-aahu"]  # by urgency
    hinted = rows["nipocalimab-aahu"]
    assert (hinted["Verdict"], hinted["New code"], hinted["Since"]) == (
        "NO_CODE_YET", None, "new in 2025Q4")
    assert ("C9305 is for hospital outpatient claims only; office claims keep J3590 until a "
            "J/Q code is assigned") in hinted["Notes"]
    assert hinted["NOC claim narrative"] == "nipocalimab-aahu (Imaavy) <dose> IV"
    kept = rows["ublituximab-xiiy"]
    assert (kept["Verdict"], kept["New code"]) == ("KEEP_PAYER_RULE", "J2329")
    assert kept["NOC claim narrative"] == "ublituximab-xiiy (Briumvi) 450 mg IV N473150015006 ML18"
    assert kept["Payment per dose"] == pytest.approx(70.753 * 450, abs=0.005)
    inactive = rows_of(book["Inactive drugs"])
    assert [(r["Verdict"], r["Drug"], r["New code"]) for r in inactive] == [
        ("PAST_DUE", "rituximab-arrx", "Q5123")]
    summary = {row[0]: row[1:] for row in book["Summary"].iter_rows(values_only=True) if row[0]}
    assert summary["Drugs needing action"][0] == 0
    assert summary["Inactive on your list (not counted)"][0] == 1
    assert summary["KEEP_PAYER_RULE"][0] == 1
