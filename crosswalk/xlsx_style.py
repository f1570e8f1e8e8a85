"""How the billing-lead workbooks look, and the rules that keep them safe, small and reproducible.

- Text stays text. A drug name or CMS descriptor starting with =, +, - or @ would be a
  formula if Excel parsed it; every string is written as a string cell (never a formula), and
  those get the quote prefix too, so neither Excel nor LibreOffice evaluates them, even after
  an edit. Codes and NDCs are text cells with the Text format: leading zeros survive.
- Same database, same bytes: the only time in a workbook is the match run's start (its
  document properties); XlsxWriter dates every zip member 1980-01-31, so a rebuild can be
  compared with `cmp`.
- Constant memory: XlsxWriter writes each row to a temporary file as soon as the next row
  starts (its constant_memory mode), so a 100,000-drug report holds one row at a time; rows
  are written top to bottom, and a row's height is set before its cells. Widths are known
  only at the end and are set then (XlsxWriter assembles the sheet when it closes).
- Every table sheet reads the same way: frozen header, autofilter, widths fitted to content
  (capped), real dates and money, a fill per verdict, wrapped long text, the header row
  repeated on each printed page, page numbers, landscape.

Why XlsxWriter and not openpyxl: see docs/performance.md (write-only openpyxl measured beside
it on the same rows).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from crosswalk.errors import CrosswalkError
from crosswalk.verdicts import VERDICTS

# A cell starting with one of these would be read as a formula (or a DDE payload) if typed.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
MONEY_FORMAT = '"$"#,##0.000'     # ASP payment limits carry three decimals
AMOUNT_FORMAT = '"$"#,##0.00'     # amounts (what a dose pays, units x limit): dollars, cents
TEXT_FORMAT = "@"
NUMBER_FORMATS = {"code": TEXT_FORMAT, "money": MONEY_FORMAT, "amount": AMOUNT_FORMAT}
# Fill per verdict (crosswalk/verdicts.py), light enough to print and to read black text on.
VERDICT_FILLS = {verdict.name: verdict.fill for verdict in VERDICTS}
# Fill per finding severity on the claim-check workbook, in the same palette.
SEVERITY_FILLS = {"error": "F4B183", "warning": "FFE699", "info": "BDD7EE"}
# the columns whose cells are filled (and bold) by their value
FILLS_BY_COLUMN = {"verdict": VERDICT_FILLS, "severity": SEVERITY_FILLS}
HEADER_FILL, GROUP_FILL, BORDER_COLOUR = "1F4E78", "D9E1F2", "BFBFBF"
_MIN_WIDTH = 6
_FILTER_BUTTON = 3  # room for the autofilter arrow beside a header
_LINE_POINTS = 15  # one line of 11-point text
MAX_ROW_POINTS = 409  # Excel's tallest row; a taller one makes it repair the file
MAX_CELL_TEXT = 32767  # Excel's longest cell text
# Characters XML 1.0 cannot hold (Excel would refuse the file)
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")
_QUOTED = re.compile(r'"([^"]*)"')  # the literal words of a number format
# Print: narrow margins (inches) leave the most room for type when a sheet is fitted to a page
MARGINS = {"left": 0.25, "right": 0.25, "top": 0.6, "bottom": 0.6}
PAGE_NUMBERS = "&CPage &P of &N"


@dataclass(frozen=True)
class Column:
    """One sheet column: the SQL result column it shows, its header and how it is written.

    kind: text | code (text format: codes, NDCs) | wrap (long text, wrapped) | date | money
    (ASP limits, 3 decimals) | amount (dollars and cents) | number. max_width caps the fitted
    width (characters) and is the width wrapped text is measured against for row heights.
    format_key names a record field holding a number format for that row's cell instead of
    the kind's ('"$"#,##0.00" (2025Q4 limit)"': the cell stays a number that sums).
    """

    key: str
    header: str
    kind: str = "text"
    max_width: int = 40
    format_key: str | None = None


def clean_text(text: str) -> str:
    """What Excel accepts in a cell: no XML-illegal control characters, at most 32,767."""
    return _ILLEGAL.sub("", text)[:MAX_CELL_TEXT]


class Book:
    """An XlsxWriter workbook streamed to `<path>.partial`, renamed over `path` when done.

    One Format per look (kind of column, kind of value, verdict or severity, quoted or not),
    made the
    first time it is needed; column widths gathered while rows go by and set at the end.
    """

    def __init__(self, path: Path, stamp: datetime) -> None:
        self.path = path
        self.partial = path.with_name(f".{path.name}.partial")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.workbook = xlsxwriter.Workbook(str(self.partial), {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False})
        self.workbook.set_properties({"created": stamp.replace(tzinfo=None, microsecond=0),
                                      "author": "hcpcs-crosswalk"})
        self._formats: dict[tuple[Any, ...], Format] = {}
        self._widths: dict[tuple[Worksheet, int], float] = {}
        self.tables: list[Table] = []

    def sheet(self, title: str) -> Worksheet:
        return self.workbook.add_worksheet(title)

    def look(self, **properties: Any) -> Format:
        """The workbook's Format with these properties (made once)."""
        key = tuple(sorted(properties.items()))
        if key not in self._formats:
            self._formats[key] = self.workbook.add_format(properties)
        return self._formats[key]

    def widen(self, sheet: Worksheet, index: int, width: float) -> None:
        """Column `index` at least `width` characters wide (never narrowed)."""
        key = (sheet, index)
        self._widths[key] = max(self._widths.get(key, 0), width)

    def abandon(self) -> None:
        """Nothing written: the rows' temporary files and the partial file removed."""
        for sheet in self.workbook.worksheets():
            if sheet.row_data_filename:  # constant_memory's per-sheet row store
                sheet.row_data_fh.close()
                Path(sheet.row_data_filename).unlink(missing_ok=True)
        self.workbook.fileclosed = True
        self.partial.unlink(missing_ok=True)

    def close(self) -> Path:
        """Set the widths, write the zip, replace the old file in one step."""
        for table in self.tables:
            for index, width in enumerate(table.widths()):
                self.widen(table.sheet, index, width)
        for (sheet, index), width in self._widths.items():
            sheet.set_column(index, index, width)
        self.workbook.close()
        try:
            os.replace(self.partial, self.path)
        except PermissionError as error:
            self.partial.unlink(missing_ok=True)
            raise CrosswalkError(f"cannot replace {self.path}: is it open in Excel? Close it "
                                 "and run the report again") from error
        return self.path


@contextmanager
def book(path: Path, stamp: datetime) -> Iterator[Book]:
    """A Book whose file appears only when everything was written (else nothing is left)."""
    opened = Book(path, stamp)
    try:
        yield opened
    except BaseException:
        opened.abandon()
        raise
    opened.close()


# what besides its value's kind sets a cell's look: (fill by value, row's number format)
Variant = tuple[str | None, str | None] | None


@dataclass
class Table:
    """A table streamed onto a sheet: a header row, then rows and group headings in order.

    Per cell only what varies is worked out: the value's kind picks one of the column's
    Formats (looked up, made once), and the longest text so far is kept for the width,
    which the Book sets when it closes. A table sheet prints its gridlines instead of a
    border on every cell: an empty cell is then not written at all (a third of the cells
    of an Alerts or crosswalk sheet, and the time they cost).
    """

    book: Book
    sheet: Worksheet
    columns: Sequence[Column]
    first_row: int = 0
    bordered: bool = False  # True: every cell bordered; False: the sheet prints gridlines
    row: int = field(init=False)

    def __post_init__(self) -> None:
        header = self.book.look(bold=True, font_color="#FFFFFF", bg_color=f"#{HEADER_FILL}",
                                valign="vcenter", text_wrap=True, **self._border)
        lines = max(wrapped_lines(column.header, column.max_width) for column in self.columns)
        self.sheet.set_row(self.first_row, _height(lines))
        for index, column in enumerate(self.columns):
            self.sheet.write_string(self.first_row, index, column.header, header)
        self.row = self.first_row + 1
        self._longest = [0] * len(self.columns)
        self._looks: dict[tuple[int, str, Variant], Format] = {}
        self._wraps = [(column.key, column.max_width) for column in self.columns
                       if column.kind == "wrap"]
        # columns whose cells vary by more than their value's kind: a fill by value (verdict,
        # severity) or a number format from another field of the row
        self._varies = [column.key in FILLS_BY_COLUMN or column.format_key is not None
                        for column in self.columns]
        self.book.tables.append(self)

    @property
    def rows_written(self) -> int:
        return self.row - self.first_row - 1

    def add(self, record: Mapping[str, Any]) -> None:
        """One record (keys as the columns'), each value typed and styled."""
        lines = max((wrapped_lines(record[key], width) for key, width in self._wraps),
                    default=1)
        if lines > 1:
            self.sheet.set_row(self.row, _height(lines))
        for index, column in enumerate(self.columns):
            value = record[column.key]
            variant = None
            if self._varies[index]:
                variant = (value if column.key in FILLS_BY_COLUMN else None,
                           record[column.format_key] if column.format_key else None)
            self._cell(index, column, value, variant)
        self.row += 1

    def heading(self, text: str) -> None:
        """A group heading across the table: bold on a light fill."""
        look = self.book.look(bold=True, bg_color=f"#{GROUP_FILL}", valign="vcenter")
        self.sheet.set_row(self.row, 20, look)
        self.sheet.write_string(self.row, 0, clean_text(text), look)
        self.row += 1

    def widths(self) -> list[float]:
        """Each column fitted to its longest value and header, within its cap."""
        return [max(_MIN_WIDTH, min(column.max_width, max(longest + 2,
                                                          len(column.header) + _FILTER_BUTTON)))
                for column, longest in zip(self.columns, self._longest)]

    def _cell(self, index: int, column: Column, value: Any, variant: Variant) -> None:
        sheet, row = self.sheet, self.row
        if value is None:
            if self.bordered:
                sheet.write_blank(row, index, None, self._look(index, "blank", variant))
            return
        if isinstance(value, str):
            text = clean_text(value)
            kind = "quoted" if text.startswith(FORMULA_STARTS) else "text"
            sheet.write_string(row, index, text, self._look(index, kind, variant))
            length = max(map(len, text.splitlines())) if "\n" in text else len(text)
        elif isinstance(value, datetime):
            sheet.write_datetime(row, index, value.replace(tzinfo=None),
                                 self._look(index, "datetime", variant))
            length = len(DATETIME_FORMAT)
        elif isinstance(value, date):
            sheet.write_datetime(row, index, value, self._look(index, "date", variant))
            length = len(DATE_FORMAT)
        elif isinstance(value, bool):
            sheet.write_boolean(row, index, value, self._look(index, "text", variant))
            length = 5
        else:
            sheet.write_number(row, index, float(value), self._look(index, "number", variant))
            length = shown_length(value, column.kind, variant[1] if variant else None)
        if length > self._longest[index]:
            self._longest[index] = length

    def _look(self, index: int, value_kind: str, variant: Variant) -> Format:
        key = (index, value_kind, variant)
        look = self._looks.get(key)
        if look is None:
            look = self._looks[key] = self.book.look(
                **cell_properties(self.columns[index], value_kind, variant), **self._border)
        return look

    @property
    def _border(self) -> dict[str, Any]:
        return {"border": 1, "border_color": f"#{BORDER_COLOUR}"} if self.bordered else {}


def cell_properties(column: Column, value_kind: str, variant: Variant) -> dict[str, Any]:
    """The column's number format (or the row's own) or wrap, top-aligned; a verdict or
    severity cell bold on its value's fill."""
    status, number_format = variant or (None, None)
    properties: dict[str, Any] = {"valign": "top"}
    if column.kind == "wrap":
        properties["text_wrap"] = True
    if value_kind == "quoted":
        properties["quote_prefix"] = True
    if value_kind in ("date", "datetime"):
        properties["num_format"] = DATE_FORMAT if value_kind == "date" else DATETIME_FORMAT
    elif value_kind != "blank" and (number_format or column.kind in NUMBER_FORMATS):
        properties["num_format"] = number_format or NUMBER_FORMATS[column.kind]
    if column.key in FILLS_BY_COLUMN:
        properties["bold"] = True
        colour = FILLS_BY_COLUMN[column.key].get(status or "")
        if colour:
            properties["bg_color"] = f"#{colour}"
    return properties


def finish_table_sheet(table: Table, title: str, *, fit_width: bool = True,
                       title_columns: int = 0) -> None:
    """Frozen header (and title columns), autofilter over the data, print layout with the
    gridlines printed (the table's cell borders)."""
    table.sheet.freeze_panes(table.first_row + 1, title_columns)
    table.sheet.hide_gridlines(0)  # 0: shown on screen and printed
    table.sheet.autofilter(table.first_row, 0, max(table.row - 1, table.first_row),
                           len(table.columns) - 1)
    set_print_layout(table.sheet, title, fit_width=fit_width, title_rows=True)
    if title_columns:
        table.sheet.repeat_columns(0, title_columns - 1)


def set_print_layout(sheet: Worksheet, title: str, *, fit_width: bool = True,
                     title_rows: bool = False) -> None:
    """Landscape, narrow margins, one page wide (as many pages tall as needed) unless the
    sheet is meant to run over several pages; the title on top and page numbers below."""
    sheet.set_landscape()
    sheet.set_margins(**MARGINS)
    if fit_width:
        sheet.fit_to_pages(1, 0)
    if title_rows:
        sheet.repeat_rows(0)
    sheet.set_header(f"&L{_header_text(title)}&R&A")
    sheet.set_footer(PAGE_NUMBERS)


def _header_text(text: str) -> str:
    """Header text with its ampersands escaped (& starts a header code)."""
    return clean_text(text).replace("&", "&&")[:200]


def write_cell(book: Book, sheet: Worksheet, row: int, column: int, value: Any,
               kind: str = "text", **properties: Any) -> None:
    """One free-standing cell (a Summary's facts): typed like a table cell, no border."""
    if value is None:
        return
    if isinstance(value, str):
        text = clean_text(value)
        if text.startswith(FORMULA_STARTS):
            properties["quote_prefix"] = True
        if kind == "code":
            properties["num_format"] = TEXT_FORMAT
        sheet.write_string(row, column, text, book.look(valign="top", **properties))
    elif isinstance(value, (date, datetime)):
        number_format = DATETIME_FORMAT if isinstance(value, datetime) else DATE_FORMAT
        value = value.replace(tzinfo=None) if isinstance(value, datetime) else value
        sheet.write_datetime(row, column, value, book.look(valign="top", align="left",
                                                           num_format=number_format,
                                                           **properties))
    else:
        if kind in NUMBER_FORMATS:
            properties["num_format"] = NUMBER_FORMATS[kind]
        sheet.write_number(row, column, float(value),
                           book.look(valign="top", align="left", **properties))


def wrapped_lines(value: Any, width: float) -> int:
    """Lines a text takes when wrapped at `width` characters (a little generous).

    Excel and LibreOffice do not reliably grow a row for wrapped text in a file they did
    not write, so row heights are set from this. A wrapped column's fitted width is its cap
    whenever a value would wrap at all, so the cap is the width to measure against.
    """
    if not isinstance(value, str) or not value:
        return 1
    # Calibri body text averages about 1.2 characters per width unit (a digit's width): 1.15
    # leaves room for a wider fallback font
    per_line = max(int(width * 1.15) - 1, 1)
    return sum(max(1, -(-len(part) // per_line)) for part in value.splitlines())


def _height(lines: int) -> float:
    return min(_LINE_POINTS * lines, MAX_ROW_POINTS)


def shown_length(value: Any, kind: str, number_format: str | None = None) -> int:
    """About how many characters a number takes on screen in its number format (the
    quoted words a row's own format adds included: ' (2025Q4 limit)')."""
    extra = 0
    if number_format:
        extra = sum(map(len, _QUOTED.findall(number_format))) - sum(
            map(len, _QUOTED.findall(NUMBER_FORMATS.get(kind, ""))))
    if kind == "money":
        return len(f"${float(value):,.3f}") + extra
    if kind == "amount":
        return len(f"${float(value):,.2f}") + extra
    if isinstance(value, float):
        return len(f"{value:g}") + extra
    return len(str(value)) + extra
