"""The billing lead's workbooks and the analyst exports, rebuilt from the database alone.

Each quarter a billing lead needs to know what to change before the release's first date of
service, and a crosswalk to paste into the charge master, with evidence that holds up in an
audit. Everything here reads the warehouse (the newest match run of the quarter, the release's
new drug codes and the files it was loaded from); the tables themselves are shaped by the
queries in sql/reports/, and the same queries feed the xlsx sheets and the csv/parquet
exports, so a spreadsheet and an analyst's file never disagree.

- noc-alerts-<quarter>.xlsx: Summary (run, counts, legend, source files, how to read),
  Alerts (drugs needing action, most urgent first), New drug codes (every new drug code).
- crosswalk-<quarter>.xlsx: every drug on the list, one row per date-of-service window.
- csv / parquet: alerts, crosswalk, new-drug-codes, verdict-counts, source-files tables.

Rebuilding from the same database gives byte-identical workbooks: the only time in them is
the match run's start (see crosswalk.xlsx_style).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any

import duckdb
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from crosswalk import warehouse
from crosswalk.errors import BadInput
from crosswalk.quarters import Quarter
from crosswalk.settings import SQL_DIR, Settings
from crosswalk.xlsx_style import (SECTION_FONT, TITLE_FONT, Column, finish_table_sheet,
                                  fit_widths, put, set_print_layout, workbook_bytes,
                                  write_file, write_table)

FORMATS = ("xlsx", "csv", "parquet")
REPORT_SQL = SQL_DIR / "reports"
_PARAMETER = re.compile(r"\$([A-Za-z_]\w*)")

HOW_TO_READ = (
    "Alerts lists the drugs on your list that need a change or a look, most urgent first: "
    "PAST_DUE, NEW_CODE, CODE_ENDED, REVIEW, then payer-rule drugs and drugs without a "
    "permanent code whose notes matter (a hospital-outpatient-only C-code, a NOC code of the "
    "wrong family). Drugs your list marks inactive are on the Inactive drugs sheet and are "
    "never counted as needing action.",
    "Effective date is the first date of service for the new code, from the CMS HCPCS file; "
    "the DOS rule says which code to bill before and after it.",
    "Billing unit is the dose in the code's descriptor; Units for dose = your dose divided by "
    "it, rounded up. Units per package comes from the CMS NDC-HCPCS crosswalk.",
    "ASP payment limit is the Medicare Part B limit per billing unit; CMS often prices a new "
    "code a quarter or more after it starts, so it can be blank.",
    "Evidence shows what matched (your NDC in the CMS crosswalk, or the drug name in the "
    "code's descriptor) with a score (100 = exact): keep it for audits.",
    "New drug codes lists every new drug code in this release, whether or not you use it.",
    "crosswalk-<quarter>.xlsx gives each drug on your list its code per date-of-service "
    "window, ready for the charge master.",
    "Source files are the exact CMS files used; the SHA-256 fingerprint identifies each one.",
)

ALERT_COLUMNS = (
    Column("verdict", "Verdict", max_width=14),
    Column("drug_name", "Drug", max_width=34),
    Column("brand_name", "Brand", max_width=20),
    Column("ndc", "NDC", "code", 15),
    Column("setting", "Setting", max_width=20),
    Column("current_code", "Current code", "code", 10),
    Column("new_code", "New code", "code", 10),
    Column("new_code_descriptor", "New code descriptor", "wrap", 36),
    Column("effective_date", "Effective date", "date", 12),
    Column("dos_rule", "DOS rule", "wrap", 36),
    Column("action", "Action", "wrap", 48),
    Column("billing_unit", "Billing unit", max_width=18),
    Column("units_per_package", "Units per package", "number", 10),
    Column("units_for_dose", "Units for dose", "number", 10),
    Column("asp_payment_limit", "ASP payment limit", "money", 13),
    Column("match_basis", "Match basis", max_width=30),
    Column("confidence", "Confidence", max_width=12),
    Column("evidence", "Evidence", "wrap", 50),
    Column("code_ends", "Code ends", "date", 12),
    Column("successor_code", "Successor code", "code", 10),
    Column("candidate_codes", "Candidate codes", "wrap", 16),
    Column("notes", "Notes", "wrap", 40),
    Column("list_row", "Row in your list", "number", 9),
)
NEW_CODE_COLUMNS = (
    Column("code", "Code", "code", 10),
    Column("descriptor", "Descriptor", "wrap", 44),
    Column("billing_unit", "Billing unit", max_width=18),
    Column("effective_date", "Effective date", "date", 12),
    Column("code_ends", "Code ends", "date", 12),
    Column("asp_payment_limit", "ASP payment limit", "money", 13),
    Column("asp_quarter", "ASP file quarter", "code", 10),
    Column("ndcs", "NDCs (CMS crosswalk)", "wrap", 36),
    Column("drug_names", "Drug names (CMS crosswalk)", "wrap", 26),
    Column("ndc_count", "NDC rows", "number", 9),
    Column("on_your_list", "On your list", "wrap", 26),
)
CROSSWALK_COLUMNS = (
    Column("drug_name", "Drug", max_width=34),
    Column("brand_name", "Brand", max_width=20),
    Column("ndc", "NDC", "code", 15),
    Column("ndc11", "NDC 11 (claim)", "code", 14),
    Column("setting", "Setting", max_width=20),
    Column("hcpcs_code", "HCPCS code", "code", 10),
    Column("dos_from", "DOS from", "date", 12),
    Column("dos_through", "DOS through", "date", 12),
    Column("billing_unit", "Billing unit", max_width=28),
    Column("units_per_package", "Units per package", "number", 10),
    Column("units_for_dose", "Units for dose", "number", 10),
    Column("verdict", "Verdict", max_width=14),
    Column("notes", "Notes", "wrap", 50),
    Column("list_row", "Row in your list", "number", 9),
)
COUNT_COLUMNS = (
    Column("verdict", "Verdict", max_width=30),
    Column("drugs", "Drugs", "number", 21),
    Column("meaning", "What it means", "wrap", 44),
    Column("todo", "What to do", "wrap", 44),
)
SOURCE_COLUMNS = (  # numbers in column B and long text from C, as in COUNT_COLUMNS
    Column("source_kind", "Kind", max_width=30),
    Column("row_count", "Rows", "number", 21),
    Column("posting", "Posting (link text)", "wrap", 40),
    Column("file_name", "File name", "wrap", 50),
    Column("member_name", "Member read", "wrap", 50),
    Column("url", "URL", "wrap", 50),
    Column("sha256", "SHA-256", "code", 66),
)
# export file stem -> the sql/reports query that shapes it
EXPORTS = {
    "alerts": "20_alerts",
    "crosswalk": "30_crosswalk_windows",
    "new-drug-codes": "40_new_drug_codes",
    "verdict-counts": "50_verdict_counts",
    "source-files": "60_source_files",
}


@dataclass(frozen=True)
class MatchRun:
    """The match run a report describes; `started_at` is naive UTC, whole seconds."""

    run_id: int
    quarter: Quarter
    drugs_file: str
    drugs_sha256: str
    drug_count: int | None
    started_at: datetime

    @property
    def params(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "quarter": str(self.quarter)}


def write_reports(settings: Settings, quarter: Quarter | str | None = None,
                  formats: Sequence[str] = ("xlsx",)) -> list[Path]:
    """Write the quarter's workbooks (xlsx) and/or analyst exports (csv, parquet).

    quarter=None means the newest quarter with a match run. Files go to
    <reports_dir>/<quarter>/ and are replaced whole; the paths written are returned.
    """
    wanted = _checked_formats(formats)
    if not settings.db_path.is_file():
        raise BadInput("no warehouse database yet: run `crosswalk load` and `crosswalk match` "
                       "first", file=str(settings.db_path))
    with warehouse.open_writer(settings) as con:
        con.execute(_sql_text("00_report_macros"))
        run = latest_run(con, quarter)
        folder = settings.reports_dir / str(run.quarter)
        written = []
        if "xlsx" in wanted:
            written += [
                write_file(folder / f"noc-alerts-{run.quarter}.xlsx",
                           workbook_bytes(alerts_workbook(con, run), run.started_at)),
                write_file(folder / f"crosswalk-{run.quarter}.xlsx",
                           workbook_bytes(crosswalk_workbook(con, run), run.started_at)),
            ]
        for export_format in wanted:
            if export_format != "xlsx":
                written += export_tables(con, run, folder, export_format)
    return written


def latest_run(con: duckdb.DuckDBPyConnection, quarter: Quarter | str | None) -> MatchRun:
    """The newest match run of the quarter (or of the newest quarter matched)."""
    wanted = str(Quarter.parse(quarter)) if quarter is not None else None
    found = query(con, "10_match_run", {"quarter": wanted})
    if not found:
        matched = [q for (q,) in con.execute(
            "SELECT DISTINCT quarter FROM match_runs ORDER BY quarter").fetchall()]
        where = f" for {wanted} (matched: {', '.join(matched) or 'none'})" if wanted else ""
        raise BadInput(f"no match run{where}: run `crosswalk match"
                       f"{' --quarter ' + wanted if wanted else ''}` first", field="quarter")
    row = found[0]
    return MatchRun(row["run_id"], Quarter.parse(row["quarter"]), row["drugs_file"],
                    row["drugs_sha256"], row["drug_count"],
                    row["started_at_utc"].replace(microsecond=0))


def alerts_workbook(con: duckdb.DuckDBPyConnection, run: MatchRun) -> Workbook:
    """Summary, Alerts and New drug codes for one match run."""
    workbook = Workbook()
    write_summary(workbook.active, run, query(con, "50_verdict_counts", run.params),
                  query(con, "60_source_files", run.params))
    alerts = query(con, "20_alerts", run.params)
    table_sheet(workbook, "Alerts", ALERT_COLUMNS,
                [row for row in alerts if row["list_status"] == "active"])
    table_sheet(workbook, "New drug codes", NEW_CODE_COLUMNS,
                query(con, "40_new_drug_codes", run.params))
    inactive = [row for row in alerts if row["list_status"] == "inactive"]
    if inactive:
        table_sheet(workbook, "Inactive drugs", ALERT_COLUMNS, inactive)
    return workbook


def crosswalk_workbook(con: duckdb.DuckDBPyConnection, run: MatchRun) -> Workbook:
    """One sheet, one row per drug and date-of-service window: charge-master ready."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    table_sheet(workbook, "Crosswalk", CROSSWALK_COLUMNS,
                query(con, "30_crosswalk_windows", run.params))
    return workbook


def table_sheet(workbook: Workbook, title: str, columns: Sequence[Column],
                rows: Sequence[Mapping[str, Any]]) -> Worksheet:
    sheet = workbook.create_sheet(title)
    write_table(sheet, columns, rows)
    finish_table_sheet(sheet, columns, len(rows))
    return sheet


def write_summary(sheet: Worksheet, run: MatchRun, counts: Sequence[Mapping[str, Any]],
                  sources: Sequence[Mapping[str, Any]]) -> None:
    """Run facts, verdict counts with their colours, source files, how to read the workbook."""
    sheet.title = "Summary"
    put(sheet.cell(row=1, column=1), f"NOC drug code alerts: {run.quarter} HCPCS release")
    sheet.cell(row=1, column=1).font = TITLE_FONT
    needing_action = sum(row["drugs"] for row in counts if row["needs_action"])
    inactive = sum(row["inactive"] for row in counts)
    facts = [
        {"label": "Release quarter", "value": str(run.quarter), "kind": "code"},
        {"label": "Release starts (first date of service)", "value": run.quarter.first_day},
        {"label": "Match run", "value": run.run_id},
        {"label": "Run time (UTC)", "value": run.started_at},
        {"label": "Drug list", "value": PurePath(run.drugs_file).name},
        {"label": "Drug list SHA-256", "value": run.drugs_sha256, "kind": "code"},
        {"label": "Drugs on the list", "value": run.drug_count},
        {"label": "Drugs needing action", "value": needing_action},
        {"label": "Inactive on your list (not counted)", "value": inactive},
    ]
    for offset, fact in enumerate(facts):
        put(sheet.cell(row=3 + offset, column=1), fact["label"])
        sheet.cell(row=3 + offset, column=1).font = Font(bold=True)
        value = sheet.cell(row=3 + offset, column=2)
        put(value, fact["value"], fact.get("kind", "text"))
        value.alignment = Alignment(horizontal="left", vertical="top")
    # text values run on into the empty cells to their right; numbers and dates need room
    fit_widths(sheet, [Column("label", "", max_width=30), Column("value", "", max_width=21)],
               [fact if not isinstance(fact["value"], str) else {"label": fact["label"]}
                for fact in facts])
    row = _section(sheet, 4 + len(facts), "Verdicts (fill colours used on every sheet)")
    write_table(sheet, COUNT_COLUMNS, counts, first_row=row)
    row = _section(sheet, row + len(counts) + 2, f"Source files loaded for {run.quarter}")
    row = _source_files(sheet, row, run, sources)
    row = _section(sheet, row + 1, "How to read this")
    for offset, line in enumerate(HOW_TO_READ):
        put(sheet.cell(row=row + offset, column=1), f"{offset + 1}. {line}")
    set_print_layout(sheet)


def _section(sheet: Worksheet, row: int, title: str) -> int:
    """A bold section title; returns the row below it."""
    put(sheet.cell(row=row, column=1), title)
    sheet.cell(row=row, column=1).font = SECTION_FONT
    return row + 1


def _source_files(sheet: Worksheet, row: int, run: MatchRun,
                  sources: Sequence[Mapping[str, Any]]) -> int:
    """The source-file table (or why there is none); returns the first free row after it."""
    if not sources:
        put(sheet.cell(row=row, column=1), "No CMS files are recorded as loaded for this "
                                           "release.")
        return row + 2
    write_table(sheet, SOURCE_COLUMNS, sources, first_row=row)
    row += len(sources) + 1
    if any(source["loaded_after_run"] for source in sources):
        put(sheet.cell(row=row, column=1),
            f"Warning: the release was loaded again after match run {run.run_id}; run "
            f"`crosswalk match --quarter {run.quarter}` so the alerts use these files.")
        sheet.cell(row=row, column=1).font = Font(bold=True, color="C00000")
        row += 1
    return row + 1


def export_tables(con: duckdb.DuckDBPyConnection, run: MatchRun, folder: Path,
                  export_format: str) -> list[Path]:
    """The workbook tables as csv or parquet files, written by DuckDB's COPY."""
    folder.mkdir(parents=True, exist_ok=True)
    options = "FORMAT csv, HEADER" if export_format == "csv" else "FORMAT parquet"
    written = []
    for stem, name in EXPORTS.items():
        path = folder / f"{stem}-{run.quarter}.{export_format}"
        select = _sql_text(name)
        params = _named(select, run.params)
        if export_format == "csv":
            select = _csv_safe(con, select, params)
        con.execute(f"COPY ({select}) TO $export_path ({options})",
                    {**params, "export_path": str(path)})
        written.append(path)
    return written


def _csv_safe(con: duckdb.DuckDBPyConnection, select: str, params: Mapping[str, Any]) -> str:
    """`select` with every text column passed through csv_text: a csv is double-clicked into
    Excel as often as it is read by pandas, so formula-looking text must not run there.
    Parquet keeps the raw values (typed analyst data no spreadsheet opens)."""
    columns = con.execute(f"DESCRIBE ({select})", params).fetchall()
    texts = [name for name, kind, *_ in columns if kind == "VARCHAR"]
    if not texts:
        return select
    replaced = ", ".join(f'csv_text("{name}") AS "{name}"' for name in texts)
    return f"SELECT * REPLACE ({replaced}) FROM ({select})"


def query(con: duckdb.DuckDBPyConnection, name: str,
          params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows of sql/reports/<name>.sql as dicts, given the parameters the query names."""
    text = _sql_text(name)
    cursor = con.execute(text, _named(text, params))
    columns = [column[0] for column in cursor.description]
    return [dict(zip(columns, values)) for values in cursor.fetchall()]


def _named(text: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters the statement uses (DuckDB refuses extra ones); comments ignored."""
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return {key: params[key] for key in dict.fromkeys(_PARAMETER.findall(code))}


def _sql_text(name: str) -> str:
    return (REPORT_SQL / f"{name}.sql").read_text(encoding="utf-8").strip().rstrip(";")


def _checked_formats(formats: Sequence[str]) -> list[str]:
    wanted = list(dict.fromkeys(formats))
    unknown = [name for name in wanted if name not in FORMATS]
    if unknown or not wanted:
        raise BadInput(f"unknown report format(s) {', '.join(unknown) or '(none)'}: choose "
                       f"from {', '.join(FORMATS)}", field="format")
    return wanted
