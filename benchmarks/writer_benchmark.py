"""Which XLSX writer for the reports: XlsxWriter (constant memory) or openpyxl write-only.

The same rows, the Alerts sheet's 12 columns with texts of realistic length (an Action of
about 150 characters, a NOC claim narrative, notes), 1,000 / 10,000 / 100,000 of them, each
written once per writer in a fresh process (so peak memory is the whole process's):

  xlsxwriter        crosswalk.xlsx_style.Table as the reports use it (XlsxWriter's
                    constant_memory mode: fitted widths, row heights, a Format per look)
  openpyxl-wo       openpyxl's write-only mode with the same styles (each look styled once,
                    its StyleArray copied to the other cells, as the old report did); fixed
                    widths and no row heights, which only spares it work
  baseline          openpyxl's normal mode, the same values, no styles (benchmarks/run.py's
                    report baseline)

Peak MB is the process's peak resident memory (Python, DuckDB and pandas imported: the reports
module needs them), +MB its growth during the write.

Run: .venv/bin/python benchmarks/writer_benchmark.py [--sizes 1000 10000 100000]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from copy import copy
from datetime import date
from pathlib import Path
from typing import Any, Iterator

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

WRITERS = ("xlsxwriter", "openpyxl-wo", "baseline")
ACTION = ("Switch to J2329 now: it has applied since 2023-07-01, so J3590 claims with dates "
          "of service on or after 2023-07-01 are wrong and may deny; review them.")


def alert_rows(count: int) -> Iterator[dict[str, Any]]:
    """Rows shaped like 20_alerts.sql's, the Alerts sheet's columns filled."""
    verdicts = ("PAST_DUE", "NEW_CODE", "CODE_ENDED", "REVIEW", "KEEP_PAYER_RULE")
    for index in range(count):
        yield {"verdict": verdicts[index % 5], "drug_name": f"drugname{index}mab-abcd",
               "ndc": f"{index % 99999:05d}-0150-06", "current_code": "J3590",
               "new_code": "J2329", "effective_date": date(2023, 7, 1), "action": ACTION,
               "units_for_dose": 450.0, "payment_per_dose": 31838.85,
               "noc_claim_narrative": f"drugname{index}mab-abcd (Brand) 450 mg IV "
                                      "N473150015006 ML18",
               "notes": "J2329 has no ASP payment limit yet (ASP lists new codes a quarter "
                        "or more later)" if index % 3 == 0 else None,
               "since": "open since 2025Q3" if index % 2 else "new in 2025Q4"}


def write_xlsxwriter(path: Path, count: int) -> None:
    from datetime import datetime

    from crosswalk.reports import ALERTS_SHEET
    from crosswalk.xlsx_style import Table, book, finish_table_sheet

    with book(path, datetime(2025, 10, 2)) as workbook:
        table = Table(workbook, workbook.sheet("Alerts"), ALERTS_SHEET)
        for row in alert_rows(count):
            table.add(row)
        finish_table_sheet(table, "Alerts")


def write_openpyxl_write_only(path: Path, count: int) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    from crosswalk.reports import ALERTS_SHEET
    from crosswalk.xlsx_style import NUMBER_FORMATS, VERDICT_FILLS

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Alerts")
    for index, column in enumerate(ALERTS_SHEET, start=1):  # before any row, in this mode
        sheet.column_dimensions[get_column_letter(index)].width = column.max_width
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    thin = Side(style="thin", color="BFBFBF")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    looks: dict[tuple[Any, ...], Any] = {}

    def cell(column: Any, value: Any, verdict: str | None) -> Any:
        written = WriteOnlyCell(sheet, value)
        look = (column.key, type(value), verdict)
        if look in looks:
            written._style = copy(looks[look])
            return written
        written.border = border
        written.alignment = Alignment(wrap_text=column.kind == "wrap", vertical="top")
        if column.kind in NUMBER_FORMATS and value is not None:
            written.number_format = NUMBER_FORMATS[column.kind]
        if isinstance(value, date):
            written.number_format = "yyyy-mm-dd"
        if verdict:
            written.fill = PatternFill("solid", fgColor=VERDICT_FILLS[verdict])
            written.font = Font(bold=True)
        looks[look] = copy(written._style)
        return written

    sheet.append([column.header for column in ALERTS_SHEET])
    for row in alert_rows(count):
        sheet.append([cell(column, row[column.key],
                           row["verdict"] if column.key == "verdict" else None)
                      for column in ALERTS_SHEET])
    workbook.save(path)


def write_baseline(path: Path, count: int) -> None:
    import openpyxl

    from crosswalk.reports import ALERTS_SHEET

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for index, column in enumerate(ALERTS_SHEET, start=1):
        sheet.cell(row=1, column=index, value=column.header)
    for number, row in enumerate(alert_rows(count), start=2):
        for index, column in enumerate(ALERTS_SHEET, start=1):
            sheet.cell(row=number, column=index, value=row[column.key])
    workbook.save(path)


def measure_here(writer: str, count: int, folder: Path) -> dict[str, float]:
    """Write once in this process (modules imported first, not timed): seconds, the
    process's peak resident MB (VmHWM: ru_maxrss would carry the parent's over) and its
    growth during the write, the file's MB."""
    import openpyxl  # noqa: F401
    import xlsxwriter  # noqa: F401

    import crosswalk.reports  # noqa: F401

    path = folder / f"{writer}-{count}.xlsx"
    job = {"xlsxwriter": write_xlsxwriter, "openpyxl-wo": write_openpyxl_write_only,
           "baseline": write_baseline}[writer]
    before = _peak_mb()
    started = time.perf_counter()
    job(path, count)
    seconds = time.perf_counter() - started
    peak = _peak_mb()
    return {"seconds": seconds, "peak_mb": peak, "growth_mb": peak - before,
            "file_mb": path.stat().st_size / 2**20}


def _peak_mb() -> float:
    status = Path("/proc/self/status").read_text(encoding="ascii")
    return int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) / 1024


def measure(writer: str, count: int, folder: Path) -> dict[str, float]:
    """measure_here in a fresh process."""
    done = subprocess.run([sys.executable, __file__, "--one", writer, str(count), str(folder)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        writer, count, folder = args.one
        print(json.dumps(measure_here(writer, int(count), Path(folder))))
        return
    with tempfile.TemporaryDirectory() as folder:
        print(f"{'rows':>8} {'writer':<12} {'seconds':>8} {'peak MB':>8} {'+MB':>6} "
              f"{'file MB':>8} {'x baseline time':>16}")
        for count in args.sizes:
            figures = {writer: measure(writer, count, Path(folder)) for writer in WRITERS}
            base = figures["baseline"]["seconds"]
            for writer, figure in figures.items():
                print(f"{count:>8,} {writer:<12} {figure['seconds']:>8.2f} "
                      f"{figure['peak_mb']:>8.0f} {figure['growth_mb']:>6.0f} "
                      f"{figure['file_mb']:>8.1f} "
                      f"{figure['seconds'] / base:>16.2f}", flush=True)


if __name__ == "__main__":
    main()
