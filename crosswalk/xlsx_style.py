"""How the billing-lead workbooks look, and the rules that keep them safe and reproducible.

- Text stays text. A drug name or CMS descriptor starting with =, +, - or @ would be a
  formula if Excel parsed it; every string is written as a string cell (never a formula), and
  those get the quote prefix too, so neither Excel nor LibreOffice evaluates them, even after
  an edit. Codes and NDCs are text cells with the Text format: leading zeros survive.
- Same database, same bytes: the workbook properties carry the match run time, and every zip
  member carries that time as well, so a rebuild can be compared with `cmp`.
- Every table sheet reads the same way: frozen header, autofilter, widths fitted to content
  (capped), real dates and money, a fill per verdict (or per severity on the claim
  findings), wrapped long text, the header row
  repeated on each printed page, landscape and one page wide.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Mapping, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from crosswalk.errors import CrosswalkError
from crosswalk.verdicts import VERDICTS

# A cell starting with one of these would be read as a formula (or a DDE payload) if typed.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
MONEY_FORMAT = '"$"#,##0.000'  # ASP payment limits carry three decimals
AMOUNT_FORMAT = '"$"#,##0.00'  # amounts: units x limit, in dollars and cents
TEXT_FORMAT = "@"
# Fill per verdict (crosswalk/verdicts.py), light enough to print and to read black text on.
VERDICT_FILLS = {verdict.name: verdict.fill for verdict in VERDICTS}
# Fill per finding severity on the claim-check workbook, in the same palette.
SEVERITY_FILLS = {"error": "F4B183", "warning": "FFE699", "info": "BDD7EE"}
# the columns whose cells are filled (and bold) by their value
FILLS_BY_COLUMN = {"verdict": VERDICT_FILLS, "severity": SEVERITY_FILLS}
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
SECTION_FONT = Font(bold=True, size=12)
TITLE_FONT = Font(bold=True, size=14)
_THIN = Side(style="thin", color="BFBFBF")
CELL_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")
_MIN_WIDTH = 6
_FILTER_BUTTON = 3  # room for the autofilter arrow beside a header
_LINE_POINTS = 15  # one line of 11-point text
MAX_ROW_POINTS = 409  # Excel's tallest row; a taller one makes it repair the file
MAX_CELL_TEXT = 32767  # Excel's longest cell text


@dataclass(frozen=True)
class Column:
    """One sheet column: the SQL result column it shows, its header and how it is written.

    kind: text | code (text format: codes, NDCs) | wrap (long text, wrapped) | date | money
    (ASP limits, 3 decimals) | amount (dollars and cents) | number.
    """

    key: str
    header: str
    kind: str = "text"
    max_width: int = 40


def value_fill(key: str, value: str | None) -> PatternFill | None:
    """The fill of a verdict or severity cell (column `key`), or None."""
    colour = FILLS_BY_COLUMN.get(key, {}).get(value or "")
    return PatternFill("solid", fgColor=colour) if colour else None


def put(cell: Cell, value: Any, kind: str = "text") -> None:
    """Write one value with its number format; strings are never formulas."""
    _put_value(cell, value)
    if value is not None:
        _put_value_style(cell, kind)


def _put_value(cell: Cell, value: Any) -> None:
    """The value alone: strings cleaned of what Excel refuses and typed as strings."""
    if value is None:
        return
    if isinstance(value, str):
        # What `cell.value = text` would store, without openpyxl checking again the
        # characters just removed (a regex over every string cell); data type "s" where
        # openpyxl would make '=...' a formula.
        cell._value = ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL_TEXT]
        cell.data_type = "s"
    elif isinstance(value, datetime):
        cell.value = value.replace(tzinfo=None)
    else:
        cell.value = float(value) if isinstance(value, Decimal) else value


def _put_value_style(cell: Cell, kind: str) -> None:
    """Quote prefix, number format and alignment for the value already in the cell."""
    value = cell.value
    if isinstance(value, str):
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
        if kind == "code":
            cell.number_format = TEXT_FORMAT
    elif isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    elif kind == "money":
        cell.number_format = MONEY_FORMAT
    elif kind == "amount":
        cell.number_format = AMOUNT_FORMAT
    cell.alignment = _WRAP if kind == "wrap" else _TOP


def write_table(sheet: Worksheet, columns: Sequence[Column],
                rows: Sequence[Mapping[str, Any]], first_row: int = 1) -> None:
    """A header row and one row per record, bordered, verdict cells filled, widths fitted.

    The sheet-wide settings (freeze, filter, print) belong to `finish_table_sheet`; the
    Summary sheet writes small tables with this too.

    Each style assignment makes openpyxl hash the style objects again (80% of a report's time
    when done per cell), so only the first cell of each look (column, kind of value, verdict
    or severity)
    is styled; the others get a copy of its style array, as openpyxl's own WorksheetCopy
    does. Same styles registered in the same order: the bytes do not change.
    """
    for index, column in enumerate(columns, start=1):
        header = sheet.cell(row=first_row, column=index)
        put(header, column.header)
        header.font, header.fill, header.border = HEADER_FONT, HEADER_FILL, CELL_BORDER
        header.alignment = Alignment(wrap_text=True, vertical="center")
    styled: dict[tuple[Any, ...], StyleArray] = {}
    for offset, record in enumerate(rows, start=1):
        for index, column in enumerate(columns, start=1):
            cell = sheet.cell(row=first_row + offset, column=index)
            _put_value(cell, record.get(column.key))
            status = record.get(column.key) if column.key in FILLS_BY_COLUMN else None
            look = (index, *_value_look(cell.value), status)
            if look in styled:
                cell._style = copy(styled[look])
            else:
                _style_body_cell(cell, column, status)
                styled[look] = copy(cell._style)
    fit_widths(sheet, columns, rows)
    fit_heights(sheet, columns, rows, first_row)


def _value_look(value: Any) -> tuple[type, bool]:
    """What in a written value decides its cell's style: its type (number format) and, for
    text, whether it needs the quote prefix (see `_put_value_style`)."""
    return type(value), isinstance(value, str) and value.startswith(FORMULA_STARTS)


def _style_body_cell(cell: Cell, column: Column, status: str | None) -> None:
    """Border on every body cell; a verdict or severity column bold on its value's fill."""
    if cell.value is not None:
        _put_value_style(cell, column.kind)
    cell.border = CELL_BORDER
    if column.key in FILLS_BY_COLUMN:
        cell.fill = value_fill(column.key, status) or PatternFill()
        cell.font = Font(bold=True)


def finish_table_sheet(sheet: Worksheet, columns: Sequence[Column], row_count: int) -> None:
    """Frozen header, autofilter over the data, header repeated and one page wide in print."""
    last = get_column_letter(len(columns))
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{last}{row_count + 1}"
    set_print_layout(sheet, title_rows="1:1")


def set_print_layout(sheet: Worksheet, title_rows: str | None = None) -> None:
    """Landscape, fit to one page wide (as many pages tall as needed)."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        sheet.print_title_rows = title_rows


def fit_widths(sheet: Worksheet, columns: Sequence[Column],
               rows: Sequence[Mapping[str, Any]]) -> None:
    """Widen each column to its longest value (never narrower than it already is), capped."""
    for index, column in enumerate(columns, start=1):
        longest = max([len(column.header) + _FILTER_BUTTON]
                      + [shown_length(record.get(column.key), column.kind) for record in rows])
        letter = get_column_letter(index)
        current = sheet.column_dimensions[letter].width if letter in sheet.column_dimensions \
            else 0
        wanted = max(_MIN_WIDTH, min(column.max_width, longest + 2))
        sheet.column_dimensions[letter].width = max(current or 0, wanted)


def fit_heights(sheet: Worksheet, columns: Sequence[Column],
                rows: Sequence[Mapping[str, Any]], first_row: int = 1) -> None:
    """Tall enough rows for wrapped text (header included).

    Excel and LibreOffice do not reliably grow a row for wrapped text in a file they did
    not write, so the height is set from the fitted widths: one line per width's worth of
    characters, 15 points a line.
    """
    header = {column.key: column.header for column in columns}
    widths = [(column.key, _width(sheet, index), column.kind == "wrap")
              for index, column in enumerate(columns, start=1)]  # looked up once, not per row
    for offset, record in enumerate([header, *rows]):
        lines = max((wrapped_lines(record.get(key), width)
                     for key, width, wraps in widths if wraps or offset == 0), default=1)
        if lines > 1:
            sheet.row_dimensions[first_row + offset].height = min(_LINE_POINTS * lines,
                                                                  MAX_ROW_POINTS)


def wrapped_lines(value: Any, width: float) -> int:
    """Lines a text takes when wrapped at `width` characters (a little generous)."""
    if not isinstance(value, str) or not value:
        return 1
    per_line = max(int(width * 1.05) - 1, 1)  # body text is narrower than the digit unit
    return sum(max(1, -(-len(part) // per_line)) for part in value.splitlines())


def _width(sheet: Worksheet, index: int) -> float:
    return sheet.column_dimensions[get_column_letter(index)].width or _MIN_WIDTH


def shown_length(value: Any, kind: str) -> int:
    """About how many characters the value takes on screen in its number format."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return len(DATETIME_FORMAT)
    if isinstance(value, date):
        return len(DATE_FORMAT)
    if kind == "money":
        return len(f"${float(value):,.3f}")
    if kind == "amount":
        return len(f"${float(value):,.2f}")
    if isinstance(value, float):
        return len(f"{value:g}")
    return max(len(line) for line in str(value).splitlines() or [""])


# --------------------------------------------------------------------------------------------
# Saving: the same workbook gives the same bytes
# --------------------------------------------------------------------------------------------


class _StampedZip(zipfile.ZipFile):
    """A zip whose members all carry one date, instead of the time they were written."""

    def __init__(self, target: io.BytesIO, stamp: datetime) -> None:
        super().__init__(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self._date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour,
                           stamp.minute, stamp.second)

    def writestr(self, zinfo_or_arcname: zipfile.ZipInfo | str, data: bytes | str,
                 compress_type: int | None = None, compresslevel: int | None = None) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=self._date_time)
            info.compress_type = self.compression
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename: str | os.PathLike[str], arcname: str | None = None,
              compress_type: int | None = None, compresslevel: int | None = None) -> None:
        """openpyxl streams each worksheet to a temporary file: add its bytes, not its mtime."""
        self.writestr(arcname or os.path.basename(filename), Path(filename).read_bytes(),
                      compress_type, compresslevel)


def workbook_bytes(workbook: Workbook, stamp: datetime) -> bytes:
    """The .xlsx bytes, dated `stamp` (naive UTC) in its properties and its zip members.

    openpyxl's own save stamps docProps/core.xml and each member with the current time;
    writing through ExcelWriter into a stamped zip leaves no clock in the file.
    """
    stamp = stamp.replace(tzinfo=None, microsecond=0)
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    workbook.properties.creator = "hcpcs-crosswalk"
    workbook.properties.lastModifiedBy = "hcpcs-crosswalk"
    buffer = io.BytesIO()
    archive = _StampedZip(buffer, stamp)
    ExcelWriter(workbook, archive).save()  # closes the archive
    return buffer.getvalue()


def write_file(path: Path, content: bytes) -> Path:
    """Replace `path` in one step, so a reader never sees half a workbook."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(content)
    try:
        os.replace(partial, path)
    except PermissionError as error:
        partial.unlink(missing_ok=True)
        raise CrosswalkError(f"cannot replace {path}: is it open in Excel? Close it and run "
                             "the report again") from error
    return path
