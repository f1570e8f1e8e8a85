"""The billing lead's workbooks and the analyst exports, rebuilt from the database alone.

Each quarter a billing lead needs a worklist: what to change before the release's first date
of service, what to paste on the claims still billed under a NOC code, what a dose pays, and
what is new since last quarter; then a crosswalk to paste into the charge master, with
evidence that holds up in an audit. Everything here reads the warehouse (the newest match run
of the quarter, earlier runs of the same list, the release's new drug codes and the files it
was loaded from); the tables themselves are shaped by the queries in sql/reports/, and the
same queries feed the xlsx sheets and the csv/parquet exports, so a spreadsheet and an
analyst's file never disagree. Each sheet column is declared once below (a `Column` naming
the query column it shows).

- noc-alerts-<quarter>.xlsx: Summary (run, counts, new vs still open, payment per dose per
  verdict, legend, source files, how to read), Alerts (the printable worklist: 12 columns,
  grouped, most urgent first), Evidence (the same rows in the same order: how each verdict was
  reached), New drug codes (every new drug code), Inactive drugs (when the list has any).
- crosswalk-<quarter>.xlsx: every drug on the list, one row per date-of-service window, with
  the NOC claim narrative on every window billed under the NOC code.
- csv / parquet: alerts, crosswalk, new-drug-codes, verdict-counts, source-files tables.

Workbooks are streamed (crosswalk.xlsx_style: XlsxWriter, constant memory) from DuckDB
cursors, a batch of rows at a time. Rebuilding from the same database gives byte-identical
workbooks: the only time in them is the match run's start.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any

import duckdb

from crosswalk import noc_narrative, sqlfiles, warehouse
from crosswalk.errors import BadInput
from crosswalk.quarters import Quarter
from crosswalk.settings import DEFAULT_WAIT_SECONDS, Settings
from crosswalk.verdicts import early_warning
from crosswalk.xlsx_style import (Book, Column, Table, book, finish_table_sheet,
                                  set_print_layout, write_cell)

FORMATS = ("xlsx", "csv", "parquet")
_BATCH = 2_048  # rows fetched from DuckDB at a time: memory stays flat on any list

HOW_TO_READ = (
    "Alerts is the worklist, one printed page wide. First the drugs that need action, most "
    "urgent first: PAST_DUE, NEW_CODE, CODE_ENDED, REVIEW; then, in their own groups, drugs a "
    "payer rule on your list keeps on the NOC code and drugs without a permanent code whose "
    "notes matter (a hospital-outpatient-only C-code, a NOC code of the wrong family). Drugs "
    "your list marks inactive are on the Inactive drugs sheet and never counted as needing "
    "action.",
    "Effective date is the first date of service for the new code, from the CMS HCPCS file; "
    "dates of service before it keep the NOC code (the DOS rule on the Evidence sheet says "
    "which code to bill before and after it).",
    "NOC claim narrative: the text to put on every claim line still billed under the NOC "
    "code (CMS-1500 item 19; 837P SV101-7, 80 characters): generic name with its suffix, "
    "brand, dose, route, and N4 + the 11-digit NDC + unit qualifier + quantity. It uses only "
    "what your list gives: <dose>, <unit> or <qty> mark what to fill in (add the route, "
    "ndc_unit and ndc_quantity columns to your list to complete it). When it is longer than "
    "80 characters the cell says which part goes in SV101-7 and which in the line note (NTE); "
    "on paper, item 19 takes the whole text.",
    "Units for dose = your dose divided by the new code's billing unit, rounded up. Payment "
    "per dose = the quarter's ASP payment limit x units for dose (Medicare Part B); blank, "
    "with the reason in Notes, when either is unknown. CMS often prices a new code a quarter "
    "or more after it starts.",
    "Since: 'new in' this quarter, or 'open since' the first quarter of an unbroken series of "
    "earlier runs of the same list (same file name or same contents) that had the drug on "
    "Alerts. Match your list every quarter for this to mean what it says.",
    "Evidence has the same rows in the same order as Alerts: brand, setting, route and dose "
    "from your list, the new code's descriptor and billing unit, units per package (CMS "
    "NDC-HCPCS crosswalk), the ASP payment limit, what matched (your NDC in the CMS "
    "crosswalk, or the drug name in the code's descriptor) with a score (100 = exact), the "
    "candidate codes, and the row in your list: keep it for audits.",
    "New drug codes lists every new drug code in this release, whether or not you use it.",
    "crosswalk-<quarter>.xlsx gives each drug on your list its code per date-of-service "
    "window, ready for the charge master, with the NOC claim narrative on NOC windows.",
    "Source files are the exact CMS files used; the SHA-256 fingerprint identifies each one.",
)

# Columns shared by the Alerts and Evidence sheets, so a row reads the same on both
VERDICT = Column("verdict", "Verdict", max_width=17)
DRUG = Column("drug_name", "Drug", "wrap", 14)
# The worklist: at most 12 columns, narrow enough to print one page wide (docs/alerts-sheet-
# example.md gives the type size this makes on Letter and A4)
ALERTS_SHEET = (
    VERDICT,
    DRUG,
    Column("ndc", "NDC", "code", 14),
    Column("current_code", "Current code", "code", 8),
    Column("new_code", "New code", "code", 8),
    Column("effective_date", "Effective date", "date", 11),
    Column("action", "Action", "wrap", 23),
    Column("units_for_dose", "Units for dose", "number", 7),
    Column("payment_per_dose", "Payment per dose", "amount", 12),
    Column("noc_claim_narrative", "NOC claim narrative", "wrap", 24),
    Column("notes", "Notes", "wrap", 20),
    Column("since", "Since", "wrap", 10),
)
EVIDENCE_SHEET = (
    VERDICT,
    DRUG,
    Column("brand_name", "Brand", max_width=20),
    Column("setting", "Setting", max_width=20),
    Column("route", "Route", max_width=14),
    Column("dose", "Dose (your list)", max_width=14),
    Column("new_code_descriptor", "New code descriptor", "wrap", 36),
    Column("dos_rule", "DOS rule", "wrap", 36),
    Column("billing_unit", "Billing unit", max_width=18),
    Column("units_per_package", "Units per package", "number", 10),
    Column("units_note", "Units worked out", "wrap", 30),
    Column("asp_payment_limit", "ASP payment limit", "money", 13),
    Column("noc_payment_limit", "NOC payment limit", "money", 13),
    Column("noc_dosage", "NOC limit per", max_width=14),
    Column("match_basis", "Match basis", max_width=30),
    Column("confidence", "Confidence", max_width=12),
    Column("evidence", "Evidence", "wrap", 50),
    Column("candidate_codes", "Candidate codes", "wrap", 16),
    Column("code_ends", "Code ends", "date", 12),
    Column("successor_code", "Successor code", "code", 10),
    Column("narrative_placement", "Narrative goes in", "wrap", 26),
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
    Column("noc_claim_narrative", "NOC claim narrative", "wrap", 36),
    Column("verdict", "Verdict", max_width=14),
    Column("notes", "Notes", "wrap", 50),
    Column("list_row", "Row in your list", "number", 9),
)
COUNT_COLUMNS = (
    Column("verdict", "Verdict", max_width=30),
    Column("drugs", "Drugs", "number", 21),
    Column("new_this_quarter", "New on Alerts this quarter", "number", 14),
    Column("still_open", "Still open from an earlier quarter", "number", 14),
    Column("payment_per_dose_total", "Payment per dose, all these drugs", "amount", 16),
    Column("meaning", "What it means", "wrap", 44),
    Column("todo", "What to do", "wrap", 44),
)
SOURCE_COLUMNS = (  # sharing the Summary's columns with COUNT_COLUMNS: numbers in B
    Column("source_kind", "Kind", max_width=30),
    Column("row_count", "Rows", "number", 21),
    Column("posting", "Posting (link text)", "wrap", 40),
    Column("file_name", "File name", "wrap", 50),
    Column("member_name", "Member read", "wrap", 50),
    Column("url", "URL", "wrap", 50),
    Column("sha256", "SHA-256", "code", 66),
)
FACT_COLUMNS = (Column("label", "", max_width=46), Column("value", "", max_width=21))
# export file stem -> the sql/reports query that shapes it
EXPORTS = {
    "alerts": "20_alerts",
    "crosswalk": "30_crosswalk_windows",
    "new-drug-codes": "40_new_drug_codes",
    "verdict-counts": "50_verdict_counts",
    "source-files": "60_source_files",
}
# the SQL function the report queries call (crosswalk/noc_narrative.py)
NARRATIVE_ARGUMENTS = ("VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR",
                       "DOUBLE")
NARRATIVE_TYPE = "STRUCT(text VARCHAR, sv101_7 VARCHAR, nte VARCHAR, placement VARCHAR)"


@dataclass(frozen=True)
class MatchRun:
    """The match run a report describes; `started_at` is naive UTC, whole seconds."""

    run_id: int
    quarter: Quarter
    drugs_file: str
    drugs_sha256: str
    drug_count: int | None
    started_at: datetime
    runs_of_quarter: int = 1

    @property
    def params(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "quarter": str(self.quarter),
                "quarter_start": self.quarter.first_day}

    def describe(self) -> str:
        """What `crosswalk report` prints first: which run and which list the workbooks show,
        so a throwaway match never silently replaces the practice's workbook."""
        others = self.runs_of_quarter - 1
        choice = (f"; {others} other run(s) of {self.quarter}: `crosswalk runs` lists them, "
                  "`crosswalk report --run ID` picks one" if others else "")
        return (f"match run {self.run_id} of {self.quarter} ({self.started_at:%Y-%m-%d %H:%M:%S}"
                f" UTC): drug list {PurePath(self.drugs_file).name}, sha256 {self.drugs_sha256},"
                f" {self.drug_count} drug(s){choice}")


def write_reports(settings: Settings, quarter: Quarter | None = None,
                  formats: Sequence[str] = ("xlsx",), run_id: int | None = None,
                  wait_seconds: float = DEFAULT_WAIT_SECONDS) -> list[Path]:
    """Write the quarter's workbooks (xlsx) and/or analyst exports (csv, parquet).

    They show match run `run_id`, else the newest run of `quarter`, else the newest run of
    the newest quarter matched. Files go to <reports_dir>/<quarter>/ and are replaced whole;
    the paths written are returned.
    """
    wanted = _checked_formats(formats)
    _require_database(settings)
    with warehouse.open_writer(settings, wait_seconds) as con:
        prepare(con)
        run = chosen_run(con, quarter, run_id)
        folder = settings.reports_dir / str(run.quarter)
        written = []
        if "xlsx" in wanted:
            written += [alerts_workbook(con, run, folder / f"noc-alerts-{run.quarter}.xlsx"),
                        crosswalk_workbook(con, run, folder / f"crosswalk-{run.quarter}.xlsx")]
        for export_format in wanted:
            if export_format != "xlsx":
                written += export_tables(con, run, folder, export_format)
    return written


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """The report macros and the narrative function, for this connection only; no DuckDB
    progress bar in the middle of the command's output or a scheduled run's log."""
    con.execute("SET enable_progress_bar = false")
    sqlfiles.run_file(con, "reports", "00_report_macros")
    try:
        con.remove_function("noc_narrative")
    except duckdb.InvalidInputException:
        pass  # not registered on this connection yet
    con.create_function("noc_narrative", narrative_fields,
                        [con.type(name) for name in NARRATIVE_ARGUMENTS],
                        con.type(NARRATIVE_TYPE), null_handling="special")


def narrative_fields(drug_name: str | None, brand_name: str | None, dose: str | None,
                     route: str | None, ndc11: str | None, ndc_unit: str | None,
                     ndc_quantity: float | None) -> dict[str, str | None]:
    """noc_narrative(...) in SQL: the narrative of one drug as a STRUCT."""
    built = noc_narrative.narrative(noc_narrative.ClaimDrug(
        drug_name or "", brand_name, dose, route, ndc11, ndc_unit, ndc_quantity))
    return {"text": built.text, "sv101_7": built.sv101_7, "nte": built.nte,
            "placement": built.placement}


def _require_database(settings: Settings) -> None:
    if not settings.db_path.is_file():
        raise BadInput("no warehouse database yet: run `crosswalk load` and `crosswalk match` "
                       "first", file=str(settings.db_path))


def find_run(settings: Settings, quarter: Quarter | None = None,
             run_id: int | None = None) -> MatchRun:
    """The run `write_reports` would describe, read without writing anything."""
    _require_database(settings)
    with warehouse.connect(settings, read_only=True) as con:
        return chosen_run(con, quarter, run_id)


def chosen_run(con: duckdb.DuckDBPyConnection, quarter: Quarter | None,
               run_id: int | None = None) -> MatchRun:
    """Match run `run_id` (of `quarter` when given), else the newest run of the quarter (or
    of the newest quarter matched)."""
    wanted = str(quarter) if quarter is not None else None
    found = query(con, "10_match_run", {"quarter": wanted, "run_id": run_id})
    if not found and run_id is not None:
        (held,) = con.execute("SELECT any_value(quarter) FROM match_runs WHERE run_id = ?",
                              [run_id]).fetchone()
        why = f"is of {held}, not {wanted}" if held else "does not exist"
        raise BadInput(f"match run {run_id} {why}: `crosswalk runs` lists the runs",
                       field="--run")
    if not found:
        matched = [q for (q,) in con.execute(
            "SELECT DISTINCT quarter FROM match_runs ORDER BY quarter").fetchall()]
        where = f" for {wanted} (matched: {', '.join(matched) or 'none'})" if wanted else ""
        raise BadInput(f"no match run{where}: run `crosswalk match"
                       f"{' --quarter ' + wanted if wanted else ''}` first", field="quarter")
    row = found[0]
    return MatchRun(row["run_id"], Quarter.parse(row["quarter"]), row["drugs_file"],
                    row["drugs_sha256"], row["drug_count"],
                    row["started_at_utc"].replace(microsecond=0), row["runs_of_quarter"])


def match_runs(settings: Settings, quarter: Quarter | None = None) -> list[dict[str, Any]]:
    """Every match run (of one release, or all), newest first; none without a database."""
    if not settings.db_path.is_file():
        return []
    wanted = str(quarter) if quarter is not None else None
    with warehouse.connect(settings, read_only=True) as con:
        return query(con, "70_match_runs", {"quarter": wanted})


def runs_table(runs: Sequence[Mapping[str, Any]]) -> str:
    """What `crosswalk runs` prints: one line per match run, its list and what it found."""
    if not runs:
        return "no match runs yet: `crosswalk run` (or `crosswalk match`) makes one"
    lines = [f"{'run':>5}  {'release':<7}  {'started (UTC)':<19}  {'drugs':>5}  "
             f"{'to act':>6}  drug list (sha256)"]
    for run in runs:
        chosen = "  <- `crosswalk report` uses this run" if run["report_default"] else ""
        lines.append(f"{run['run_id']:>5}  {run['quarter']:<7}  "
                     f"{run['started_at_utc']:%Y-%m-%d %H:%M:%S}  {run['drug_count'] or 0:>5}  "
                     f"{run['needing_action']:>6}  {PurePath(run['drugs_file']).name} "
                     f"({run['drugs_sha256'][:12]}){chosen}")
    return "\n".join(lines)


def alerts_workbook(con: duckdb.DuckDBPyConnection, run: MatchRun, path: Path) -> Path:
    """Summary, Alerts, Evidence, New drug codes (and Inactive drugs) for one match run."""
    title = f"NOC drug code alerts, {run.quarter} HCPCS release"
    with book(path, run.started_at) as workbook:
        write_summary(workbook, run, query(con, "50_verdict_counts", run.params),
                      query(con, "60_source_files", run.params),
                      query(con, "15_earlier_runs", run.params))
        alerts = Table(workbook, workbook.sheet("Alerts"), ALERTS_SHEET)
        evidence = Table(workbook, workbook.sheet("Evidence"), EVIDENCE_SHEET)
        table_sheet(workbook, "New drug codes", NEW_CODE_COLUMNS,
                    stream(con, "40_new_drug_codes", run.params), title)
        inactive: Table | None = None
        group = None
        for row in stream(con, "20_alerts", run.params):
            if row["list_status"] == "inactive":
                inactive = inactive or Table(workbook, workbook.sheet("Inactive drugs"),
                                             ALERTS_SHEET)
                inactive.add(row)
                continue
            if row["alert_group"] != group:
                group = row["alert_group"]
                alerts.heading(group_title(row))
                evidence.heading(group_title(row))
            alerts.add(row)
            evidence.add(row)
        finish_table_sheet(alerts, title)
        finish_table_sheet(evidence, f"Evidence behind the alerts, {run.quarter}",
                           fit_width=False, title_columns=2)
        if inactive:
            finish_table_sheet(inactive, f"Inactive drugs on your list, {run.quarter}")
    return path


def group_title(row: Mapping[str, Any]) -> str:
    """'Needs action (5 drugs)'; 'KEEP_PAYER_RULE (1 drug), not counted as needing action:
    <what to do>' (the group's name, size and note from 20_alerts.sql)."""
    size = row["group_size"]
    title = f"{row['alert_group']} ({size} drug{'' if size == 1 else 's'})"
    return f"{title}, {row['group_note']}" if row["group_note"] else title


def crosswalk_workbook(con: duckdb.DuckDBPyConnection, run: MatchRun, path: Path) -> Path:
    """One sheet, one row per drug and date-of-service window: charge-master ready."""
    with book(path, run.started_at) as workbook:
        table_sheet(workbook, "Crosswalk", CROSSWALK_COLUMNS,
                    stream(con, "30_crosswalk_windows", run.params),
                    f"Crosswalk by date of service, {run.quarter} HCPCS release")
    return path


def table_sheet(workbook: Book, title: str, columns: Sequence[Column],
                rows: Iterable[Mapping[str, Any]], print_title: str) -> Table:
    """A sheet holding one table, streamed: frozen, filtered, printable one page wide."""
    table = Table(workbook, workbook.sheet(title), columns)
    for row in rows:
        table.add(row)
    finish_table_sheet(table, print_title)
    return table


def write_summary(workbook: Book, run: MatchRun, counts: Sequence[Mapping[str, Any]],
                  sources: Sequence[Mapping[str, Any]],
                  earlier: Sequence[Mapping[str, Any]]) -> None:
    """Run facts, verdict counts with their colours, source files, how to read the workbook."""
    sheet = workbook.sheet("Summary")
    write_cell(workbook, sheet, 0, 0, f"NOC drug code alerts: {run.quarter} HCPCS release",
               bold=True, font_size=14)
    needing_action = sum(row["drugs"] for row in counts if row["needs_action"])
    facts = [
        ("Release quarter", str(run.quarter), "code"),
        ("Release starts (first date of service)", run.quarter.first_day, "date"),
        *_release_state(run, sources),
        ("Match run", run.run_id, "number"),
        ("Match runs of this release", (
            f"{run.runs_of_quarter}: `crosswalk runs --quarter {run.quarter}` lists them, "
            "`crosswalk report --run ID` rebuilds from another" if run.runs_of_quarter > 1
            else "1"), "text"),
        ("Run time (UTC)", run.started_at, "date"),
        ("Drug list", PurePath(run.drugs_file).name, "text"),
        ("Drug list SHA-256", run.drugs_sha256, "code"),
        ("Drugs on the list", run.drug_count, "number"),
        ("Drugs needing action", needing_action, "number"),
        ("Inactive on your list (not counted)", sum(row["inactive"] for row in counts),
         "number"),
        ("On Alerts, new this quarter", sum(row["new_this_quarter"] for row in counts),
         "number"),
        ("On Alerts, still open from an earlier quarter",
         sum(row["still_open"] for row in counts), "number"),
        ("Earlier runs of this list compared", _earlier_runs(earlier), "text"),
    ]
    for offset, (label, value, kind) in enumerate(facts, start=2):
        write_cell(workbook, sheet, offset, 0, label, bold=True)
        write_cell(workbook, sheet, offset, 1, value, kind)
        workbook.widen(sheet, 0, min(len(label) + 2, FACT_COLUMNS[0].max_width))
        if not isinstance(value, str):  # text runs on into the empty cells to its right
            workbook.widen(sheet, 1, FACT_COLUMNS[1].max_width)
    row = _section(workbook, sheet, 3 + len(facts), "Verdicts (fill colours used on every "
                                                    "sheet)")
    row = _small_table(workbook, sheet, row, COUNT_COLUMNS, counts) + 1
    row = _section(workbook, sheet, row, f"Source files loaded for {run.quarter}")
    row = _source_files(workbook, sheet, row, run, sources)
    row = _section(workbook, sheet, row + 1, "How to read this")
    for offset, line in enumerate(HOW_TO_READ):
        write_cell(workbook, sheet, row + offset, 0, f"{offset + 1}. {line}")
    set_print_layout(sheet, f"NOC drug code alerts, {run.quarter} HCPCS release")


def _release_state(run: MatchRun, sources: Sequence[Mapping[str, Any]]
                   ) -> list[tuple[str, str, str]]:
    """Facts about a release not complete or not in force yet: run before its first day
    (CMS posts the HCPCS file weeks ahead: the early warning), or loaded before CMS posted
    its ASP files (payment limits, payment per dose and NDC evidence come with them)."""
    facts = []
    if ahead := early_warning(run.quarter.first_day, run.started_at.date()):
        facts.append(("Early warning", f"the {run.quarter} release {ahead}", "text"))
    missing = [row["source_kind"] for row in sources if not row["loaded"]]
    if missing and len(missing) < len(sources):  # files recorded, but not every required kind
        facts.append(("ASP payment limits and NDC crosswalk", (
            f"ASP files not posted yet: {', '.join(missing)} not loaded for {run.quarter}; "
            "payment limits, payment per dose and NDC evidence come when CMS posts them: run "
            "`crosswalk run` again then"), "text"))
    return facts


def _earlier_runs(earlier: Sequence[Mapping[str, Any]]) -> str:
    if not earlier:
        return "none (the first run of this list): every alert is new"
    return ", ".join(f"{row['quarter']} (run {row['run_id']})" for row in earlier)


def _section(workbook: Book, sheet: Any, row: int, title: str) -> int:
    """A bold section title; returns the row below it."""
    write_cell(workbook, sheet, row, 0, title, bold=True, font_size=12)
    return row + 1


def _small_table(workbook: Book, sheet: Any, row: int, columns: Sequence[Column],
                 rows: Sequence[Mapping[str, Any]]) -> int:
    """A table inside the Summary; returns the first free row after it."""
    table = Table(workbook, sheet, columns, first_row=row, bordered=True)
    for record in rows:
        table.add(record)
    return table.row


def _source_files(workbook: Book, sheet: Any, row: int, run: MatchRun,
                  sources: Sequence[Mapping[str, Any]]) -> int:
    """The source-file table (or why there is none); returns the first free row after it."""
    if not any(source["loaded"] for source in sources):
        write_cell(workbook, sheet, row, 0, "No CMS files are recorded as loaded for this "
                                            "release.")
        return row + 2
    row = _small_table(workbook, sheet, row, SOURCE_COLUMNS, sources)
    if any(source["loaded_after_run"] for source in sources):
        write_cell(workbook, sheet, row, 0,
                   f"Warning: the release was loaded again after match run {run.run_id}; run "
                   f"`crosswalk match --quarter {run.quarter}` so the alerts use these files.",
                   bold=True, font_color="#C00000")
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
        query = sqlfiles.one_query(con, "reports", name)
        select = _csv_safe(con, query, run.params) if export_format == "csv" else query.text
        con.execute(f"COPY ({select}) TO $export_path ({options})",
                    {**query.values(run.params), "export_path": str(path)})
        written.append(path)
    return written


def _csv_safe(con: duckdb.DuckDBPyConnection, query: sqlfiles.Query,
              params: Mapping[str, Any]) -> str:
    """`select` with every text column passed through csv_text: a csv is double-clicked into
    Excel as often as it is read by pandas, so formula-looking text must not run there.
    Parquet keeps the raw values (typed analyst data no spreadsheet opens)."""
    texts = [name for name, kind in columns_of(con, query, params) if kind == "VARCHAR"]
    if not texts:
        return query.text
    replaced = ", ".join(f'csv_text("{name}") AS "{name}"' for name in texts)
    return f"SELECT * REPLACE ({replaced}) FROM ({query.text})"


def columns_of(con: duckdb.DuckDBPyConnection, query: sqlfiles.Query,
               params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(name, type) of each column a query returns, without running it."""
    return [(name, kind) for name, kind, *_ in
            con.execute(f"DESCRIBE ({query.text})", query.values(params)).fetchall()]


def query(con: duckdb.DuckDBPyConnection, name: str,
          params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows of sql/reports/<name>.sql as dicts, given the parameters the query names."""
    return list(stream(con, name, params))


def stream(con: duckdb.DuckDBPyConnection, name: str,
           params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The same rows, fetched a batch at a time (a 100,000-drug report stays small).

    Read them all before the next query on `con`: it replaces the pending result (a cursor
    of its own would not see the connection's TEMP macros and functions)."""
    result = sqlfiles.run_file(con, "reports", name, params)
    columns = [column[0] for column in result.description]
    while batch := result.fetchmany(_BATCH):
        yield from (dict(zip(columns, values)) for values in batch)


def _checked_formats(formats: Sequence[str]) -> list[str]:
    wanted = list(dict.fromkeys(formats))
    unknown = [name for name in wanted if name not in FORMATS]
    if unknown or not wanted:
        raise BadInput(f"unknown report format(s) {', '.join(unknown) or '(none)'}: choose "
                       f"from {', '.join(FORMATS)}", field="format")
    return wanted
