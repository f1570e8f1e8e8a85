"""The claim-check workbook, reopened with openpyxl and checked cell by cell.

Claims with real codes, NDCs and dates are checked against the real Oct 2025 files
(`real_2025q4`), after the example drug list has been matched so the Summary can show the
exposure of its PAST_DUE drugs.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime

import duckdb
import openpyxl
import pytest

import claim_builders as cb
from crosswalk import claim_checks, claim_report, match
from crosswalk.settings import EXAMPLE_DRUGS, Settings
from crosswalk.xlsx_style import SEVERITY_FILLS

pytestmark = pytest.mark.real_samples
D = date
BRIUMVI = "73150015006"
CLAIMS = [
    cb.Claim("=1+1", [  # a formula-looking claim id stays text
        cb.ServiceLine("J3590", 1, D(2025, 10, 15), ("JZ",), "ublituximab-xiiy (Briumvi) 450 mg",
                       ndc=BRIUMVI, ndc_quantity=3, ndc_unit="UN"),
        cb.ServiceLine("96365", 1, D(2025, 10, 15))], prior_auth="PA1"),
    cb.Claim("SEPT", [
        cb.ServiceLine("J2329", 450, D(2025, 9, 10), (), "Briumvi 450 mg", ndc=BRIUMVI,
                       ndc_quantity=3, ndc_unit="UN")], prior_auth="PA2"),
    cb.Claim("OCT", [
        cb.ServiceLine("J3590", 1, D(2025, 10, 20), ("JZ",), "ublituximab-xiiy 450 mg",
                       ndc=BRIUMVI, ndc_quantity=3, ndc_unit="UN"),
        cb.ServiceLine("96365", 1, D(2025, 10, 20))], prior_auth="PA3"),
]
FINDING_HEADER = ["Claim", "Line", "Date of service", "Billed code", "Finding", "Severity",
                  "Message", "Correct code", "Correct units", "Amount at risk"]


@pytest.fixture(scope="module")
def matched(real_2025q4: Settings) -> Settings:
    match.match_practice(real_2025q4, None, EXAMPLE_DRUGS)
    return real_2025q4


@pytest.fixture(scope="module")
def report(matched: Settings, tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[claim_checks.CheckedFile, openpyxl.Workbook]:
    path = tmp_path_factory.mktemp("report") / "week-42.837"
    path.write_bytes(cb.x12_837p(CLAIMS))
    assert cb.pyx12_problems(path) == []
    checked = claim_checks.check_file(matched, path)
    assert checked.report == matched.reports_dir / "claims" / "claims-check-week-42.xlsx"
    return checked, openpyxl.load_workbook(checked.report)


def db_findings(settings: Settings, file_id: int) -> list[tuple]:
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        return con.execute(
            "SELECT l.claim_id, l.line_no, l.date_of_service, l.hcpcs, x.finding, x.severity, "
            "x.message, x.correct_code, x.correct_units, x.amount_at_risk "
            "FROM claim_findings x JOIN claim_lines l USING (file_id, line_seq) "
            "WHERE file_id = ? ORDER BY l.line_seq, x.severity, x.finding", [file_id]).fetchall()


def test_the_findings_sheet_holds_every_finding_cell_by_cell(report, matched):
    checked, book = report
    assert book.sheetnames == ["Findings", "Summary"] and book.active.title == "Findings"
    sheet = book["Findings"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == FINDING_HEADER
    expected = [(claim, line, datetime.combine(day, datetime.min.time()), code, finding,
                 severity, message, correct, units, float(amount) if amount is not None else None)
                for claim, line, day, code, finding, severity, message, correct, units, amount
                in db_findings(matched, checked.file_id)]
    assert sorted(rows[1:], key=repr) == sorted(expected, key=repr)
    first = rows[1]
    assert first[:6] == ("=1+1", 1, datetime(2025, 10, 15), "J3590", "NOC_AFTER_EFFECTIVE",
                         "error")
    assert first[7:] == ("J2329", 450, 31838.85)


def test_the_findings_sheet_is_filtered_frozen_printable_and_safe(report):
    sheet = report[1]["Findings"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:J{sheet.max_row}"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    # one page wide (fitToWidth 1 is the default, which XlsxWriter leaves out), pages tall
    assert sheet.page_setup.fitToWidth in (None, 1) and sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows == "$1:$1"
    claim = sheet["A2"]
    assert claim.data_type == "s" and claim.quotePrefix  # never a formula
    for row in sheet.iter_rows(min_row=2):
        severity = row[5]
        assert severity.fill.fgColor.rgb[-6:] == SEVERITY_FILLS[severity.value]


def test_amounts_priced_with_another_quarters_limit_say_so(report):
    sheet = report[1]["Findings"]
    amounts = {(row[0].value, row[4].value): row[9] for row in sheet.iter_rows(min_row=2)}
    october = amounts[("=1+1", "NOC_AFTER_EFFECTIVE")]
    assert october.number_format == '"$"#,##0.00'
    september = amounts[("SEPT", "ADMIN_CODE_MISSING")]
    assert september.value == 31838.85  # 450 x $70.753, the only loaded ASP limit: 2025Q4
    assert september.number_format == '"$"#,##0.00" (2025Q4 limit)"'


def summary_rows(book: openpyxl.Workbook) -> list[list]:
    return [[value for value in row if value is not None]
            for row in book["Summary"].iter_rows(values_only=True)]


def section(rows: list[list], title: str) -> list[list]:
    start = next(i for i, row in enumerate(rows) if row and str(row[0]).startswith(title))
    end = next((i for i in range(start + 1, len(rows)) if not rows[i]), len(rows))
    return rows[start + 1:end]


def test_the_summary_counts_findings_and_amounts_at_risk(report, matched):
    checked, book = report
    rows = summary_rows(book)
    facts = {row[0]: row[1] for row in rows[2:14] if len(row) == 2}
    assert facts["File"] == "week-42.837" and facts["Kind"] == "837P"
    assert (facts["Claims"], facts["Service lines"]) == (3, 5)
    assert facts["Dates of service"] == "2025-09-10 to 2025-10-20"
    assert facts["HCPCS release checked against"] == "2025Q4"
    assert facts["Lines with an error"] == 3
    # NOC-line J2329 x 450 twice, and the September J2329 line: each line counted once
    assert facts["Amount at risk on them"] == pytest.approx(3 * 31838.85)
    counts = {(row[0], row[1]): row[2:] for row in section(rows, "Findings")[1:]}
    assert counts[("NOC_AFTER_EFFECTIVE", "error")][:3] == [2, 2, pytest.approx(63677.70)]
    assert counts[("ADMIN_CODE_MISSING", "error")][:2] == [1, 1]
    assert counts[("JW_JZ_MISSING", "warning")][:2] == [1, 1]
    assert sum(count[0] for count in counts.values()) == len(db_findings(matched,
                                                                          checked.file_id))


def test_the_summary_names_the_cms_releases_and_files_used(report):
    rows = summary_rows(report[1])
    releases = section(rows, "CMS releases used")
    assert releases == [["Date-of-service quarter", "Lines", "HCPCS release (codes, drugs)",
                         "NDC-HCPCS crosswalk", "ASP payment limits"],
                        ["2025Q3", 1, "2025Q4", "2025Q1", "2025Q4"],
                        ["2025Q4", 4, "2025Q4", "2025Q4", "2025Q4"]]
    files = section(rows, "CMS files behind them")
    assert [(row[0], row[1]) for row in files[1:]] == [
        ("2025Q1", "asp_crosswalk"), ("2025Q4", "asp_crosswalk"), ("2025Q4", "asp_pricing"),
        ("2025Q4", "hcpcs")]
    assert all(len(row[-1]) == 64 for row in files[1:])  # SHA-256


def test_the_summary_shows_the_exposure_of_the_past_due_drugs(report):
    rows = summary_rows(report[1])
    exposure = section(rows, "Exposure of the practice's PAST_DUE drugs")
    assert exposure[0] == ["Drug", "Brand", "NOC code", "Permanent code", "Effective date",
                           "NOC lines on or after it", "Amount at risk"]
    briumvi = exposure[1]
    assert briumvi[:5] == ["ublituximab-xiiy", "Briumvi", "J3590", "J2329",
                           datetime(2023, 7, 1)]
    assert briumvi[5:] == [2, pytest.approx(63677.70)]
    others = {row[0]: row[-1] for row in exposure[2:]}
    assert others and set(others.values()) == {0}  # PAST_DUE, but not on these claims


def test_without_a_match_run_the_summary_says_how_to_get_one(settings, tmp_path, real_2025q4):
    settings.data_dir.mkdir(parents=True)
    shutil.copy(real_2025q4.db_path, settings.db_path)  # the release, without a match run
    with duckdb.connect(str(settings.db_path)) as con:
        con.execute("DELETE FROM practice_alerts; DELETE FROM match_runs")
    path = tmp_path / "no-run.837"
    path.write_bytes(cb.x12_837p(CLAIMS[:1]))
    checked = claim_checks.check_file(settings, path)
    rows = summary_rows(openpyxl.load_workbook(checked.report))
    assert ["No match run in the warehouse yet: run `crosswalk match` (or `crosswalk run`) "
            "with the practice drug list to see it."] in rows


def test_rebuilding_the_workbook_from_the_database_gives_the_same_bytes(report, matched):
    checked = report[0]
    first = checked.report.read_bytes()
    assert claim_report.write_report(matched, checked.file_id) == checked.report
    assert checked.report.read_bytes() == first
