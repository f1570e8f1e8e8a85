"""The claim-check workbook: what to fix before the claims go out, from the database alone.

`<data dir>/reports/claims/claims-check-<input file stem>.xlsx`, rebuilt whole on every
check of the file:

- Findings: one row per finding per line (claim, line, date of service, billed code,
  finding, severity, message, correct code and units, amount at risk), claim by claim;
  frozen header, filters, severity fills, printable one page wide. An amount priced with
  another quarter's ASP limit than the date of service's says so in its number format
  ("$31,838.85 (2025Q4 limit)"), so the cell stays a number that sums.
- Summary: the file and the check, counts and amounts at risk per finding, the CMS releases
  and files used, and the exposure of the practice's PAST_DUE drugs (newest match run).

Like the quarterly workbooks (crosswalk.reports), it carries no clock but the check's own
time, and no patient detail: the tables it reads hold none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
from xlsxwriter.worksheet import Worksheet

from crosswalk import sqlfiles, warehouse
from crosswalk.claim_checks import FINDINGS, SEVERITIES
from crosswalk.reports import table_sheet
from crosswalk.settings import Settings
from crosswalk.xlsx_style import (AMOUNT_FORMAT, Book, Column, Table, book, set_print_layout,
                                  write_cell)

LABEL_WIDTH = 34  # the Summary's first column: labels and the first column of its tables

FINDING_COLUMNS = (
    Column("claim_id", "Claim", "code", 16),
    Column("line_no", "Line", "number", 6),
    Column("date_of_service", "Date of service", "date", 12),
    Column("hcpcs", "Billed code", "code", 10),
    Column("finding", "Finding", max_width=26),
    Column("severity", "Severity", max_width=10),
    Column("message", "Message", "wrap", 70),
    Column("correct_code", "Correct code", "code", 10),
    Column("correct_units", "Correct units", "number", 10),
    Column("amount_at_risk", "Amount at risk", "amount", 22, format_key="amount_format"),
)
COUNT_COLUMNS = (  # numbers in columns B-E, the meaning from F, under the facts above
    Column("finding", "Finding", max_width=34),
    Column("severity", "Severity", max_width=24),
    Column("lines", "Lines", "number", 9),
    Column("claims", "Claims", "number", 9),
    Column("amount_at_risk", "Amount at risk", "amount", 16),
    Column("meaning", "What it means", "wrap", 60),
)
RELEASE_COLUMNS = (
    Column("dos_quarter", "Date-of-service quarter", "code", 34),
    Column("lines", "Lines", "number", 24),
    Column("hcpcs_release", "HCPCS release (codes, drugs)", "code", 12),
    Column("crosswalk_quarter", "NDC-HCPCS crosswalk", "code", 12),
    Column("limit_quarters", "ASP payment limits", "code", 16),
)
SOURCE_COLUMNS = (
    Column("quarter", "Quarter", "code", 34),
    Column("source_kind", "Kind", max_width=24),
    Column("file_name", "File name", "wrap", 40),
    Column("link_text", "Posting (link text)", "wrap", 40),
    Column("sha256", "SHA-256", "code", 66),
)
PAST_DUE_COLUMNS = (
    Column("drug_name", "Drug", max_width=34),
    Column("brand_name", "Brand", max_width=24),
    Column("current_code", "NOC code", "code", 10),
    Column("new_code", "Permanent code", "code", 12),
    Column("effective_date", "Effective date", "date", 12),
    Column("noc_lines", "NOC lines on or after it", "number", 12),
    Column("amount_at_risk", "Amount at risk", "amount", 16),
)
HOW_TO_READ = (
    "Findings lists every finding on every line, claim by claim: error = the line will deny "
    "or is wrong; warning = payer-dependent or needs a look; info = said for completeness.",
    "Correct code and Correct units say what to bill instead, when the CMS files tell us.",
    "Amount at risk = units x the Medicare ASP payment limit per billing unit of the date of "
    "service's quarter (a NOC line is priced at the code and units it should carry). A limit "
    "from another quarter is named beside the amount; blank = no ASP limit for the code.",
    "The CMS releases table says which files each date of service was checked against.",
)


def report_path(settings: Settings, file_name: str) -> Path:
    return settings.reports_dir / "claims" / f"claims-check-{Path(file_name).stem}.xlsx"


def write_report(settings: Settings, file_id: int) -> Path:
    """Write (replace) the workbook of one checked file; returns its path."""
    with warehouse.open_writer(settings) as con:
        facts = sqlfiles.query(con, "claims", "report_file", {"file_id": file_id})[0]
        return claims_workbook(con, file_id, facts, report_path(settings, facts["file_name"]))


def claims_workbook(con: duckdb.DuckDBPyConnection, file_id: int, facts: Mapping[str, Any],
                    path: Path) -> Path:
    """Findings (first, the sheet that opens), then the Summary."""
    params = {"file_id": file_id}
    with book(path, facts["checked_at_utc"]) as workbook:
        rows = sqlfiles.query(con, "claims", "report_findings", params)
        table_sheet(workbook, "Findings", FINDING_COLUMNS, map(with_limit_label, rows),
                    f"Claim pre-check: {facts['file_name']}")
        write_summary(workbook, con, facts, params)
    return path


def with_limit_label(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row with the number format of its amount: '$1,234.50 (2025Q4 limit)' where the
    limit is not the date of service's quarter's, so the cell stays a number that sums."""
    other = row["amount_at_risk"] is not None and row["limit_quarter"] != row["dos_quarter"]
    return {**row, "amount_format": (f'{AMOUNT_FORMAT}" ({row["limit_quarter"]} limit)"'
                                     if other else None)}


def write_summary(workbook: Book, con: duckdb.DuckDBPyConnection, facts: Mapping[str, Any],
                  params: Mapping[str, Any]) -> None:
    sheet = workbook.sheet("Summary")
    write_cell(workbook, sheet, 0, 0, f"Claim pre-check: {facts['file_name']}", bold=True,
               font_size=14)
    counts = sqlfiles.query(con, "claims", "report_counts", params)
    in_error = next(row for row in counts if row["finding"] is None)
    row = _facts(workbook, sheet, 2, [
        ("File", facts["file_name"], "text"), ("SHA-256", facts["sha256"], "code"),
        ("Kind", facts["file_kind"].upper(), "text"),
        ("Checked (UTC)", facts["checked_at_utc"], "text"),
        ("Claims", facts["claims"], "number"), ("Service lines", facts["lines"], "number"),
        ("Dates of service", _date_span(facts), "text"),
        ("HCPCS release checked against", facts["hcpcs_release"], "code"),
        ("Lines with an error", in_error["lines"], "number"),
        ("Amount at risk on them", in_error["amount_at_risk"], "amount"),
    ])
    legend = [{**count, "meaning": FINDINGS.get(count["finding"], ("", ""))[1]}
              for count in sorted((c for c in counts if c["finding"] is not None),
                                  key=_finding_order)]
    row = _table(workbook, sheet, row + 1, "Findings", COUNT_COLUMNS, legend,
                 "No findings: every line passed every check.")
    row = _table(workbook, sheet, row, "CMS releases used", RELEASE_COLUMNS,
                 sqlfiles.query(con, "claims", "report_releases", params), "")
    row = _table(workbook, sheet, row, "CMS files behind them", SOURCE_COLUMNS,
                 sqlfiles.query(con, "claims", "report_sources", params),
                 "No CMS file is recorded for these releases.")
    row = _past_due(workbook, sheet, row, con, facts, params)
    row = _section(workbook, sheet, row, "How to read this")
    for offset, line in enumerate(HOW_TO_READ):
        write_cell(workbook, sheet, row + offset, 0, f"{offset + 1}. {line}")
    set_print_layout(sheet, f"Claim pre-check: {facts['file_name']}")


def _facts(workbook: Book, sheet: Worksheet, row: int,
           facts: Sequence[tuple[str, Any, str]]) -> int:
    """Label / value pairs from `row` down; returns the row after them."""
    for offset, (label, value, kind) in enumerate(facts):
        write_cell(workbook, sheet, row + offset, 0, label, bold=True)
        write_cell(workbook, sheet, row + offset, 1, value, kind)
        workbook.widen(sheet, 0, min(len(label) + 2, LABEL_WIDTH))
    return row + len(facts)


def _table(workbook: Book, sheet: Worksheet, row: int, title: str, columns: Sequence[Column],
           rows: Sequence[Mapping[str, Any]], empty: str) -> int:
    """A titled table (or the sentence saying why there is none); returns the next free
    row, one blank row below."""
    row = _section(workbook, sheet, row, title)
    if not rows:
        write_cell(workbook, sheet, row, 0, empty)
        return row + 2
    table = Table(workbook, sheet, columns, first_row=row, bordered=True)
    for record in rows:
        table.add(record)
    return table.row + 1


def _past_due(workbook: Book, sheet: Worksheet, row: int, con: duckdb.DuckDBPyConnection,
              facts: Mapping[str, Any], params: Mapping[str, Any]) -> int:
    title = "Exposure of the practice's PAST_DUE drugs"
    if facts["match_run_id"] is None:
        row = _section(workbook, sheet, row, title)
        write_cell(workbook, sheet, row, 0, "No match run in the warehouse yet: run `crosswalk "
                                            "match` (or `crosswalk run`) with the practice "
                                            "drug list to see it.")
        return row + 2
    return _table(workbook, sheet, row, f"{title} (match run {facts['match_run_id']}, "
                                        f"{facts['match_quarter']} release; NOC lines dated on "
                                        "or after the permanent code's effective date)",
                  PAST_DUE_COLUMNS, sqlfiles.query(con, "claims", "report_past_due", params),
                  "The newest match run found no PAST_DUE drug.")


def _section(workbook: Book, sheet: Worksheet, row: int, title: str) -> int:
    write_cell(workbook, sheet, row, 0, title, bold=True, font_size=12)
    return row + 1


def _date_span(facts: Mapping[str, Any]) -> str:
    first, last = facts["first_service"], facts["last_service"]
    if first is None:
        return "no service lines"
    return first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"


def _finding_order(count: Mapping[str, Any]) -> tuple[int, int]:
    names = list(FINDINGS)
    name = count["finding"]
    return (names.index(name) if name in names else len(names),
            SEVERITIES.index(count["severity"]))
