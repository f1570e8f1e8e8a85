"""CMS tables as text grids: CSV or workbook bytes in, a located table of text columns out.

CMS files put title and note rows above the header, and the header moves (row 9 in the 508
CSVs, row 3 in the NOC codes workbook, row 11 in the 2020 XLS), so the header is found by
content using a `Layout`, never by a fixed index. Every cell becomes text first (workbooks mix
strings, integers, floats and None in one column) and each row keeps the line (CSV) or sheet
row it came from, so an error can name it.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import compress
from operator import itemgetter

from python_calamine import CalamineError, CalamineWorkbook

from crosswalk.errors import BadInput
from crosswalk.readers.layouts import Column, Layout, header_key
from crosswalk.readers.xlsx_cells import XlsxBook

_XLSX_MAGIC = b"PK\x03\x04"
# calamine reads a sheet into a dense grid of 32-byte cells from A1 to the farthest cell holding
# data, so one stray value at XFD1048576 asks for 512 GiB and aborts the process, and one at
# A1048576 below a 48-column table costs 2.3 GB. A CMS table is dense (every ANWEB row fills
# its 48 columns: 425,000 cells), so a sheet is refused when its grid would pass both
# GRID_FLOOR cells (128 MB of grid, 9x the ANWEB workbook) and MAX_SPARSENESS times the cells
# that hold data: only a sheet mostly made of nothing is refused.
GRID_FLOOR = 4_000_000
MAX_SPARSENESS = 20
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"
_EFFECTIVE = re.compile(
    r"Effective\s+([A-Za-z]+\.?\s+\d{1,2},\s*\d{4})\s+(?:through|thru|to|-)\s+"
    r"([A-Za-z]+\.?\s+\d{1,2},\s*\d{4})", re.IGNORECASE)


@dataclass
class Grid:
    """Raw rows of a CSV or one worksheet, with the 1-based line or row each begins on."""

    where: str
    rows: list[list[object]]
    lines: list[int]
    unit: str = "line"


@dataclass
class Table:
    """A located table: text columns named as the target table (every cell text, '' when
    blank), plus the line or sheet row each row came from."""

    where: str
    columns: dict[str, list[str]]
    lines: list[int]
    header_line: int
    preamble: list[str]
    unit: str = "line"
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lines)

    def fail(self, message: str, index: int, column: str) -> BadInput:
        """A BadInput naming this file, the line of row `index`, and the field."""
        return BadInput(message, file=self.where, row=self.lines[index], field=column)

    def cleaned(self) -> dict[str, list[str | None]]:
        """Every column through clean_text: what a kind's parse starts from."""
        return {name: clean_text(values) for name, values in self.columns.items()}

    def keep(self, flags: list[bool]) -> None:
        """Keep the rows whose flag is true (columns and lines alike)."""
        self.columns = {name: list(compress(values, flags))
                        for name, values in self.columns.items()}
        self.lines = list(compress(self.lines, flags))

    def head(self, count: int) -> None:
        """Keep the first `count` rows."""
        self.columns = {name: values[:count] for name, values in self.columns.items()}
        self.lines = self.lines[:count]


def decode_text(data: bytes, where: str) -> str:
    """CMS text files are Windows-1252 (NBSP, (R), (TM) bytes); UTF-8 is accepted when it is
    valid UTF-8, because cp1252 text with accents is almost never valid UTF-8."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4096]:
        raise BadInput("looks like UTF-16 or binary, expected Windows-1252 text", file=where)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise BadInput(f"byte 0x{data[error.start]:02x} is not Windows-1252 text (wrong "
                       "encoding?)", file=where, row=line, field="encoding") from error


def csv_grid(data: bytes, where: str, delimiter: str = ",") -> Grid:
    """Parse CSV text; a quoted field may span lines, so each row records its first line."""
    reader = csv.reader(io.StringIO(decode_text(data, where), newline=""), delimiter=delimiter)
    rows, lines, previous_end = [], [], 0
    try:
        for row in reader:
            rows.append(row)
            lines.append(previous_end + 1)
            previous_end = reader.line_num
    except csv.Error as error:
        raise BadInput(f"unreadable CSV ({error})", file=where, row=previous_end + 1) from error
    return Grid(where, rows, lines)


def workbook_grid(data: bytes, where: str, sheet: int | str = 0) -> Grid:
    """One worksheet from A1 (empty leading rows kept so row numbers match Excel's); an XLSX
    sheet's reach is checked before calamine builds its grid (refuse_sparse_sheet)."""
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        name = book.sheet_names[sheet] if isinstance(sheet, int) else sheet
        if data.startswith(_XLSX_MAGIC):
            refuse_sparse_sheet(data, where, name)
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except (CalamineError, ValueError, OSError, IndexError) as error:
        raise BadInput(f"unreadable workbook ({error})", file=where) from error
    return Grid(where, rows, list(range(1, len(rows) + 1)), unit="row")


def refuse_sparse_sheet(data: bytes, where: str, sheet: str) -> None:
    """Refuse an XLSX sheet whose cells holding data reach absurdly far (see GRID_FLOOR),
    naming file, sheet and the stray cell. A box proven by one regex pass to hold every cell
    (XlsxBook.proven_bound) settles a normal sheet in a fraction of calamine's time; otherwise every
    cell is scanned, streaming, in memory bounded by the cells that hold data."""
    with XlsxBook(data, where) as book:
        bound = book.proven_bound(sheet)
        if bound is not None and bound[0] * bound[1] <= GRID_FLOOR:
            return
        extent = book.extent(sheet)
    if extent.area <= max(GRID_FLOOR, MAX_SPARSENESS * extent.cells):
        return
    far = extent.far_cells
    raise BadInput(
        f"{'a value' if len(far) == 1 else 'values'} at {' and '.join(far)} stretch"
        f"{'es' if len(far) == 1 else ''} the sheet to {extent.last_row:,} rows x "
        f"{extent.last_column:,} columns ({extent.area:,} cells) around "
        f"{extent.cells:,} cells holding data; a CMS table may span at most "
        f"{MAX_SPARSENESS}x its data cells beyond {GRID_FLOOR:,}, so the file is refused: "
        "delete the stray cell(s) or get a corrected file from CMS",
        file=where, sheet=sheet, cell=far[0], row=extent.last_row)


def sheet_names(data: bytes, where: str) -> list[str]:
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names
    except (CalamineError, ValueError, OSError) as error:
        raise BadInput(f"unreadable workbook ({error})", file=where) from error


def is_workbook(data: bytes) -> bool:
    return data.startswith((_XLSX_MAGIC, _XLS_MAGIC))


def read_grid(data: bytes, where: str) -> Grid:
    """CSV or workbook, told apart by content (a renamed file still reads)."""
    return workbook_grid(data, where) if is_workbook(data) else csv_grid(data, where)


def locate_table(data: bytes, where: str, layout: Layout) -> Table:
    """The layout's table in CSV or workbook bytes. CMS ships one sheet, but a workbook
    re-saved with a README or notes sheet in front must still read: when the first sheet
    holds no header, the others are tried in order (read only then: the usual file costs
    nothing more), and when none holds it the first sheet's refusal stands."""
    grid = read_grid(data, where)  # an unreadable or absurd first sheet is refused here
    try:
        return locate(grid, layout)
    except BadInput as first:
        if not is_workbook(data):
            raise
        others = (workbook_grid(data, where, sheet) for sheet in sheet_names(data, where)[1:])
        return locate_first(others, layout, first)


def locate_first(grids: Iterable[Grid], layout: Layout, error: BadInput | None = None
                 ) -> Table:
    """The table on the first grid that holds the layout's header, else `error` (or the
    first grid's refusal)."""
    for grid in grids:
        try:
            return locate(grid, layout)
        except BadInput as problem:
            error = error or problem
    raise error or BadInput(f"no {layout.table} table", field="header")


def cell_text(value: object) -> str:
    """A cell as the text CMS meant: 20250930.0 -> '20250930', None -> '', and floats
    without binary noise (155.89499999999998 -> '155.895')."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if isinstance(value, (datetime, date)):
        return value.strftime("%Y%m%d")
    return str(value)


def locate(grid: Grid, layout: Layout) -> Table:
    """Find the header row by content and return the rows below it under canonical names."""
    index = _header_index(grid, layout)
    header = [header_key(cell_text(cell)) for cell in grid.rows[index]]
    positions = {column.name: _position(header, column) for column in layout.columns}
    missing = [name for name, at in positions.items() if at is None]
    body = grid.rows[index + 1:]
    texts = _needed_columns(body, positions.values())
    columns = {name: texts[at] if at is not None else [""] * len(body)
               for name, at in positions.items()}
    preamble = [" ".join(cell_text(c) for c in row if cell_text(c).strip())
                for row in grid.rows[:index]]
    table = Table(grid.where, columns, grid.lines[index + 1:], grid.lines[index], preamble,
                  grid.unit, missing)
    return drop_blank_rows(table)


def _needed_columns(body: list[list[object]], positions: Iterable[int | None]
                    ) -> dict[int, list[str]]:
    """The body's cells in the layout's columns only, as text (`cell_text`), keyed by grid
    position.

    A padded CMS grid is far wider than its table (250 columns for about ten in the
    crosswalk), and nearly every cell is already text (the ANWEB workbook: 7 numbers in
    425,000 cells), so a column is taken whole with itemgetter and only its non-text cells
    go through cell_text: a per-cell call or an object frame of every cell cost most of
    `locate`'s time. Short rows read as blank cells."""
    needed = sorted({at for at in positions if at is not None})
    width = needed[-1] + 1 if needed else 0
    rows = [row if len(row) >= width else [*row, *[""] * (width - len(row))] for row in body]
    return {at: [cell if cell.__class__ is str else cell_text(cell)
                 for cell in map(itemgetter(at), rows)] for at in needed}


def _header_index(grid: Grid, layout: Layout) -> int:
    """The first row holding every required column. When none does, the row holding most of
    them (at least two) is taken for the header that drifted, and the columns it lacks are
    named."""
    best, best_found = None, 0
    for index, row in enumerate(grid.rows[:layout.max_header_row]):
        keys = _header_keys(row)
        found = [column for column in layout.required if any(map(column.matches, keys))]
        if len(found) == len(layout.required):
            return index
        if len(found) > best_found:
            best, best_found = index, len(found)
    if best is not None and best_found >= min(2, len(layout.required)):
        keys = _header_keys(grid.rows[best])
        lost = [column for column in layout.required if not any(map(column.matches, keys))]
        raise BadInput(f"header {grid.unit} has no column for "
                       f"{', '.join(f'{c.name} ({c.aliases})' for c in lost)}: renamed or "
                       "removed", file=grid.where, row=grid.lines[best], field=lost[0].name)
    raise BadInput(f"no {layout.table} header row in the first {layout.max_header_row} "
                   f"{grid.unit}s: layout changed or wrong file", file=grid.where,
                   field="header")


def _header_keys(row: list[object]) -> set[str]:
    """The distinct keys of a row's cells, each cell value keyed once: a padded CSV row
    repeats one blank 240 times."""
    return {header_key(cell_text(cell)) for cell in dict.fromkeys(row)}


def _position(header: list[str], column: Column) -> int | None:
    return next((i for i, key in enumerate(header) if column.matches(key)), None)


def drop_blank_rows(table: Table) -> Table:
    """Rows with every cell blank (trailing empty lines, spacer rows) carry nothing."""
    table.keep([any(cell.strip() for cell in row) for row in zip(*table.columns.values())])
    return table


def clean_text(values: list[str | None]) -> list[str | None]:
    """Trim spaces and NBSP; blank becomes missing (NULL in the warehouse)."""
    return [(value.replace("\u00a0", " ").strip() or None) if value else None
            for value in values]


# Medicare began in 1966 and no CMS file dates a code past this century: anything outside
# is a corrupted field (year 0001, 9999), refused rather than loaded as a real date.
PLAUSIBLE_DATES = (date(1965, 1, 1), date(2099, 12, 31))


def parse_yyyymmdd(table: Table, column: str) -> list[date | None]:
    """YYYYMMDD text to dates; blank or all zeros is missing; anything else is a BadInput."""
    days: list[date | None] = []
    implausible = None
    for index, value in enumerate(table.columns[column]):
        raw = (value or "").strip()
        day = _yyyymmdd(raw)
        if day is None and raw.strip("0"):
            raise table.fail(f"{raw!r} is not a date (expected YYYYMMDD)", index, column)
        if day is not None and implausible is None and not (
                PLAUSIBLE_DATES[0] <= day <= PLAUSIBLE_DATES[1]):
            implausible = index
        days.append(day)
    if implausible is not None:
        raw = table.columns[column][implausible].strip()
        raise table.fail(f"{raw!r} is out of range: Medicare dates fall between "
                         f"{PLAUSIBLE_DATES[0]:%Y} and {PLAUSIBLE_DATES[1]:%Y}", implausible,
                         column)
    return days


def _yyyymmdd(raw: str) -> date | None:
    """Eight ASCII digits that make a calendar date, else None."""
    if len(raw) != 8 or not raw.isascii() or not raw.isdigit():
        return None
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError:
        return None


# What pandas.to_numeric read as a plain number: sign, digits with at most one point, and
# an exponent (ASCII only; no 'inf', 'nan' or digit separators).
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_CURRENCY = re.compile(r"[$,?]")


def parse_number(table: Table, column: str, allowed_text: tuple[str, ...] = (),
                 decimals: int | None = None) -> list[float | None]:
    """Decimal text ('1,234.500', '$2.10') to float, rounded to `decimals` when given; blank
    or an allowed word ('N/A') is missing; any other text, or a number no float holds
    ('1e400'), is a BadInput naming line and field.

    A '?' is dropped with a note: CMS files carry characters lost upstream as '?' (the April
    2024 crosswalk prints BILLUNITS '21.3125?' where 6 packages make 127.875 units).
    """
    words = {word.upper() for word in allowed_text} | {""}
    scale = 10 ** decimals if decimals is not None else None
    numbers: list[float | None] = []
    lost: list[int] = []
    for index, value in enumerate(table.columns[column]):
        raw = (value or "").replace("\u00a0", " ").strip()
        if raw.upper() in words:
            numbers.append(None)
            continue
        plain = _NUMBER.fullmatch(raw) is not None  # nearly every cell: matched once
        cleaned = raw if plain else _CURRENCY.sub("", raw).strip()
        number = float(cleaned) if plain or _NUMBER.fullmatch(cleaned) else math.inf
        if scale is not None:  # as numpy rounds: scale, round half to even, scale back
            number = round(number * scale) / scale if math.isfinite(number * scale) else math.inf
        if not math.isfinite(number):
            raise table.fail(f"{raw!r} is not a number", index, column)
        if "?" in raw:
            lost.append(index)
        numbers.append(number)
    if lost:
        spots = ", ".join(f"{table.unit} {table.lines[i]} {table.columns[column][i].strip()!r}"
                          for i in lost[:3])
        table.notes.append(f"{table.where}: {column}: dropped a lost-character '?' in "
                           f"{len(lost)} value(s) ({spots})")
    return numbers


def effective_window(preamble: list[str], where: str) -> tuple[date | None, date | None]:
    """The 'Effective <Month D, YYYY> through <Month D, YYYY>' line above the header."""
    for text in preamble:
        found = _EFFECTIVE.search(text)
        if found:
            return tuple(_long_date(part, where) for part in found.groups())  # type: ignore
    return None, None


def _long_date(text: str, where: str) -> date:
    cleaned = re.sub(r"\s+", " ", text.replace(".", "")).strip()
    for pattern in ("%B %d, %Y", "%b %d, %Y", "%B %d,%Y"):
        try:
            return datetime.strptime(cleaned, pattern).date()
        except ValueError:
            continue
    raise BadInput(f"cannot read {text!r} as a date in the Effective line", file=where,
                   field="effective")


def refuse_duplicates(table: Table, key: dict[str, list[object]]) -> None:
    """A key printed twice is refused, naming both lines (`key`: column -> values, row by row
    as the table)."""
    values = list(zip(*key.values()))
    twins = first_repeated(values)[:2]
    if not twins:
        return
    lines = " and ".join(str(table.lines[i]) for i in twins)
    shown = "/".join(str(v) for v in values[twins[0]])
    raise BadInput(f"{shown} appears twice ({table.unit}s {lines})",
                   file=table.where, row=table.lines[twins[1]], field=next(iter(key)))


def first_repeated(values: list[tuple[object, ...]]) -> list[int]:
    """The positions of the first key that occurs more than once (every one of them, in
    order), or none: how the readers and the loader name a repeated key."""
    seen = Counter(values)
    first = next((value for value in values if seen[value] > 1), None)
    return [] if first is None else [at for at, value in enumerate(values) if value == first]
