"""Tables a practice makes (the drug list, claim-line exports): CSV or XLSX in, rows of text
under canonical column names out, read forgivingly and never silently.

Files come from spreadsheets and practice-management exports, so the reader takes them as
they are and says what it did:

- CSV in UTF-8 (BOM or not), UTF-16 (BOM, or NUL bytes without one) or Windows-1252 as Excel
  saves it; the delimiter (`,` `;` TAB `|`) is the one under which the header has the required
  columns. Either is named in the error when no reading finds them.
- Broken quoting is a problem of the row where the quote opened: a quote that never closes,
  a quoted cell that swallows the rows below (it leaves its row with a different number of
  cells than the header), text after a closing quote, a cell over the CSV field limit
  (128 KiB). The lines after that row are read again on their own, so nothing below is lost.
- XLSX/XLSM: the first visible sheet whose header has the required columns, read through the
  streaming reader (readers/xlsx_cells.py), so a stray value at XFD1048576 costs one cell.
- The header is the first row naming the required columns among the first
  `HEADER_SEARCH_ROWS` non-empty rows (an export's title, date or practice name above it is
  skipped with a warning); header spellings are matched after folding case and punctuation;
  every column left unused is a warning with the nearest accepted name.
- Cells are taken literally: a cell starting with =, +, - or @ stays text; an XLSX formula
  comes in as its formula text, never evaluated. Blank rows are skipped and counted.
- Bytes neither UTF-8 nor Windows-1252 are named by row and column, never quoted: notes can
  hold patient details.

Rows stream: `open_table` decides the header (and sheet, encoding, delimiter) at once, then
`TableFile.rows()` reads on; `problems`, `warnings` and `blank_rows` are complete when the
rows have been read.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import itertools
import operator
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from crosswalk.errors import BadInput
from crosswalk.readers.xlsx_cells import SheetInfo, XlsxBook

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (with BOM)", "utf-16": "UTF-16",
                  "utf-16-le": "UTF-16 little-endian (no BOM)",
                  "utf-16-be": "UTF-16 big-endian (no BOM)", "cp1252": "Windows-1252"}
# A quote that never closes makes csv re-read the rest of the file for each one; past this
# many broken rows the file is not a table worth guessing at.
MAX_BROKEN_ROWS = 100
# PM exports and kept spreadsheets put a title, a date line or the practice's name above
# the header; past this many non-empty rows the file has no header worth guessing at.
HEADER_SEARCH_ROWS = 20
_HEAD_CHARS = 1 << 16
_CHUNK = 1 << 20


@dataclass
class TableFile:
    """An open table: where its header is and what each canonical column is called there.

    `columns` maps a canonical name to its 0-based position in the header; `header` holds the
    header's non-blank cells by position. Read the rows with `rows()`; then `problems` (one
    BadInput per refused row or cell), `warnings` and `blank_rows` are complete."""

    path: Path
    columns: dict[str, int]
    header: dict[int, str]
    header_row: int
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    warnings: list[str] = field(default_factory=list)
    problems: list[BadInput] = field(default_factory=list)
    blank_rows: int = 0
    _records: Iterator[tuple[int, Any] | BadInput] = field(default=iter(()), repr=False)
    _pick: Callable[[Any], Sequence[str]] = field(default=lambda cells: (), repr=False)
    _unnamed: Callable[[Any], bool] = field(default=lambda cells: False, repr=False)
    # cells a CSV row holds past the header's last cell (0 when none): a shifted row
    _overflow: Callable[[Any], int] = field(default=lambda cells: 0, repr=False)
    refuse_overflow: bool = False
    _garbled: bool = field(default=False, repr=False)  # the decoding replaced some bytes
    _close: Callable[[], None] = field(default=lambda: None, repr=False)

    def __enter__(self) -> TableFile:
        return self

    def __exit__(self, *_: object) -> None:
        self._close()

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(spreadsheet row number, {canonical column: text}) for each data row that holds
        something in the mapped columns and was read cleanly; text is trimmed, NBSP as a space.

        Written for a million-line claim export: the per-row work is C-level (itemgetter,
        str.strip, one join to look for NBSP and replaced bytes)."""
        names, last, headless = list(self.columns), self.header_row, 0
        pick, unnamed, strip, header_row = self._pick, self._unnamed, str.strip, self.header_row
        overflow = self._overflow if self.refuse_overflow else None
        try:
            for record in self._records:
                if record.__class__ is BadInput:
                    self.problems.append(record)
                    last = max(last, record.row or last)
                    continue
                row_no, cells = record
                if row_no <= header_row:
                    continue
                if row_no > last + 1:
                    self.blank_rows += row_no - last - 1  # rows a workbook leaves out
                last = row_no
                if overflow is not None and (extra := overflow(cells)):
                    self.problems.append(self._shifted(row_no, extra))
                    continue
                texts = tuple(map(strip, pick(cells)))
                if not headless and unnamed(cells):
                    headless = row_no
                if not any(texts):
                    self.blank_rows += 1
                    continue
                joined = "".join(texts)
                if "\xa0" in joined:
                    texts = tuple(text.replace("\xa0", " ") for text in texts)
                if self._garbled and "\ufffd" in joined:
                    self.problems += [self._undecodable(row_no, name, text)
                                      for name, text in zip(names, texts) if "\ufffd" in text]
                    continue
                yield row_no, dict(zip(names, texts))
        finally:
            self._close()
        if headless:
            self.warnings.append(f"values in columns without a header name are ignored "
                                 f"(first in row {headless})")

    def _shifted(self, row_no: int, cells: int) -> BadInput:
        # no cell of the row is quoted: shifted, any of them may be a patient's name or id
        return BadInput(f"the row has {cells} cells where the header has fewer: a value "
                        "holding the delimiter without quotes (a name written LAST, FIRST?) "
                        "moves every value after it under the wrong column, so the row is "
                        "not read (its values are not shown: they may be a patient's)",
                        file=self.path.name, row=row_no)

    def _undecodable(self, row_no: int, name: str, text: str) -> BadInput:
        # name the cell by row and column, never quote it: notes can hold patient details
        return BadInput(f"undecodable byte(s) (neither UTF-8 nor Windows-1252) at character "
                        f"{text.index(chr(0xFFFD)) + 1}", file=self.path.name, row=row_no,
                        field=name)


def open_table(path: Path | str, aliases: Mapping[str, Sequence[str]],
               required: Sequence[str] = (), *, refuse_overflow: bool = False) -> TableFile:
    """Open a CSV or XLSX table whose header names the `required` canonical columns.

    `aliases` maps each canonical column to the header spellings accepted for it (compared
    after `folded`). Raises BadInput for what makes the whole file unreadable: no such file,
    an unsupported type, an empty file, no header with the required columns (naming the
    encoding and delimiters tried, or the sheets looked at). With `refuse_overflow`, a CSV
    row with values past the header's last cell is a problem of its row (named, never
    quoted) instead of a warning: its values may sit under the wrong columns."""
    path = Path(path)
    if not path.is_file():
        raise BadInput("no such file", file=str(path))
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES + XLSX_SUFFIXES + (".xls",):
        raise BadInput(f"unsupported file type {suffix!r}: use .csv or .xlsx", file=path.name)
    with path.open("rb") as stream:
        magic = stream.read(8)
    zipped = magic.startswith(b"PK\x03\x04")
    if magic.startswith(b"\xd0\xcf\x11\xe0") or (suffix == ".xls" and not zipped):
        raise BadInput("a legacy Excel .xls workbook: save it as .xlsx or CSV", file=path.name)
    columns = _Columns(aliases, tuple(required))
    table = _open_xlsx(path, columns) if zipped else _open_csv(path, columns)
    table.refuse_overflow = refuse_overflow
    return table


def folded(text: str) -> str:
    """A header spelling as compared: 'Drug-Name ' -> 'drug name'."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


# ---- header columns ------------------------------------------------------------------------

class _Columns:
    """The accepted spellings of each canonical column, and the judging of a header row."""

    def __init__(self, aliases: Mapping[str, Sequence[str]], required: tuple[str, ...]) -> None:
        self.aliases, self.required = aliases, required
        self.lookup = {folded(alias): name for name, spellings in aliases.items()
                       for alias in (name, *spellings)}

    def match(self, header: dict[int, str]) -> tuple[dict[str, int], list[str]]:
        """Header cells -> ({canonical: position}, a warning per cell left unused)."""
        columns: dict[str, int] = {}
        for at, cell in sorted(header.items()):
            name = self.lookup.get(folded(cell))
            if name and name not in columns:
                columns[name] = at
        warnings = []
        for at, cell in sorted(header.items()):
            name = self.lookup.get(folded(cell))
            if name and columns[name] != at:
                first = header[columns[name]]
                warnings.append(f"column {cell!r} ignored: column {first!r} already gives {name}")
            elif not name:
                warnings.append(f"column {cell!r} ignored: {self._nearest(cell, columns)}")
        return columns, warnings

    def missing(self, columns: Mapping[str, int]) -> list[str]:
        return [name for name in self.required if name not in columns]

    def score(self, header: dict[int, str]) -> tuple[int, int]:
        columns, _ = self.match(header)
        return len(self.required) - len(self.missing(columns)), len(columns)

    def refusal(self, header: dict[int, str], header_row: int, where: str, tried: str,
                sheet: str | None = None) -> BadInput:
        """No header with the required columns: say which, how they may be spelled, what
        the closest header cell is, and how the file was read."""
        columns, _ = self.match(header)
        lost = self.missing(columns)
        spelled = "; ".join(f"{name}: " + ", ".join(f'"{alias}"' for alias in
                                                   self.aliases[name][:3]) for name in lost)
        if not columns and any(char.isdigit() for cell in header.values() for char in cell):
            # no column name at all, and values: a data row, so none of its cells is quoted
            hint = "; the first row holds values, not column names: is the header row missing?"
        else:
            close = self._closest_cell(header, lost)
            hint = f"; column {close!r} is close: rename it" if close else ""
        return BadInput(f"no {' or '.join(lost)} column in the header (accepted: {spelled}"
                        f"){hint}; {tried}", file=where, row=header_row, field=lost[0],
                        sheet=sheet)

    def _nearest(self, cell: str, given: Mapping[str, int]) -> str:
        """A column the cell may be a typo of ('NCD' -> ndc): one no other cell gives, spelt
        from the same first letter ('Rev Code' is no typo of keep code, nor 'Item #' of
        site)."""
        text = folded(cell)
        spellings = [spelling for spelling, name in self.lookup.items()
                     if name not in given and spelling[:1] == text[:1]]
        found = difflib.get_close_matches(text, spellings, n=1, cutoff=0.6)
        if found:
            return f"not a column this table uses (did you mean {self.lookup[found[0]]}?)"
        return f"not a column this table uses (accepted: {', '.join(self.aliases)})"

    def _closest_cell(self, header: dict[int, str], lost: list[str]) -> str | None:
        spellings = [folded(alias) for name in lost for alias in (name, *self.aliases[name])]
        best, best_ratio = None, 0.6
        for cell in header.values():
            for spelling in spellings:
                ratio = difflib.SequenceMatcher(None, folded(cell), spelling).ratio()
                if ratio >= best_ratio:
                    best, best_ratio = cell, ratio
        return best


def _find_header(rows: Iterator[tuple[int, dict[int, str], int]], columns: _Columns
                 ) -> tuple[int, dict[int, str], int, int]:
    """(row number, header cells, cell count, non-empty rows above it) of the first of the
    first HEADER_SEARCH_ROWS non-empty rows that names the required columns; else of the row
    naming the most columns (the first non-empty row when none names any), whose refusal then
    says what it lacks: a header under a title lacking only its drug column is named, not the
    title. Reads no further than the header, so the rows below are still there to read."""
    best, best_score = None, (0, 0)
    for above, (row_no, header, width) in enumerate(rows):
        score = columns.score(header)
        if best is None or score > best_score:
            best, best_score = (row_no, header, width, above), score
        if not columns.missing(columns.match(header)[0]):
            return row_no, header, width, above
        if above + 1 >= HEADER_SEARCH_ROWS:
            break
    return best or (1, {}, 0, 0)


def _above_header(header_row: int, above: int) -> str:
    return (f"header on row {header_row}: the {above} row(s) above it (a title?) are not "
            "read as drugs")


# ---- XLSX ---------------------------------------------------------------------------------------

def _open_xlsx(path: Path, columns: _Columns) -> TableFile:
    """The first visible sheet whose header row has the required columns."""
    book = XlsxBook(path, path.name)
    try:
        looked, first_header = [], None
        for position, info in enumerate(book.sheets):
            if not info.visible:
                looked.append(f"{info.name!r} ({info.state}, skipped)")
                continue
            table, header, header_row, lacking = _sheet_table(path, book, info, columns)
            if header and first_header is None:
                first_header = header, header_row, info.name
            if table is not None:
                if position > 0:
                    table.warnings.insert(0, f"read sheet {info.name!r}; passed over "
                                             + ", ".join(looked))
                return table
            looked.append(f"{info.name!r} ({lacking})")
        header, header_row, sheet = first_header or ({}, 1, None)
        raise columns.refusal(header, header_row, path.name,
                              f"sheets looked at: {', '.join(looked) or 'none'}", sheet)
    except BaseException:
        book.close()
        raise


def _sheet_table(path: Path, book: XlsxBook, info: SheetInfo, columns: _Columns
                 ) -> tuple[TableFile | None, dict[int, str], int, str]:
    """(the sheet as a table reading on from its header, which closes `book` when done; its
    header cells and row; what it lacks). The table is None when the header lacks a
    required column ('no drug_name column') or the sheet is empty."""
    rows = book.rows(info)
    header_row, header, _, above = _find_header(_xlsx_header_rows(rows), columns)
    mapped, warnings = columns.match(header)
    if not header or columns.missing(mapped):
        rows.close()
        lacking = ", ".join(columns.missing(mapped))
        return None, header, header_row, f"no {lacking} column" if header else "empty"
    if above:
        warnings.insert(0, _above_header(header_row, above))
    records = ((row_no, {column - 1: value for column, value in cells.items()})
               for row_no, cells in rows)  # positions from 0, as a CSV's
    positions = list(mapped.values())
    table = TableFile(
        path, mapped, header, header_row, sheet=info.name, warnings=warnings, _records=records,
        _pick=lambda cells: [_xlsx_text(cells.get(at)) for at in positions],
        _unnamed=lambda cells: any(at not in header and _xlsx_text(value).strip()
                                   for at, value in cells.items()),
        _close=book.close)
    return table, header, header_row, ""


def open_tables(path: Path | str, aliases: Mapping[str, Sequence[str]],
                required: Sequence[str] = (), *, refuse_overflow: bool = False
                ) -> list[TableFile]:
    """Every table of the file: a CSV's one; in a workbook the first visible sheet with the
    required columns (as open_table) and each later visible sheet whose header has them too
    (a month kept as one sheet per half month: reading the first alone would leave the
    other half unread, unsaid). Each table reads its own copy of the workbook: close each."""
    first = open_table(path, aliases, required, refuse_overflow=refuse_overflow)
    if first.sheet is None:
        return [first]
    tables, columns, path = [first], _Columns(aliases, tuple(required)), Path(path)
    try:
        with XlsxBook(path, path.name) as book:
            names = [info.name for info in book.sheets]
        for position in range(names.index(first.sheet) + 1, len(names)):
            book = XlsxBook(path, path.name)
            info = book.sheets[position]
            table = _sheet_table(path, book, info, columns)[0] if info.visible else None
            if table is None:
                book.close()
                continue
            table.refuse_overflow = refuse_overflow
            tables.append(table)
    except BaseException:
        for table in tables:
            table.__exit__()
        raise
    return tables


def _xlsx_header_rows(rows: Iterator[tuple[int, dict[int, Any]]]
                      ) -> Iterator[tuple[int, dict[int, str], int]]:
    """Each row with text in it, as (row number, {0-based position: text}, cell count)."""
    for row_no, cells in rows:
        header = {column - 1: _xlsx_text(value).strip() for column, value in cells.items()
                  if _xlsx_text(value).strip()}
        if header:
            yield row_no, header, len(cells)


def _xlsx_text(value: Any) -> str:
    """A cell as the text a person sees: 450.0 -> '450', True -> 'yes', a date as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


# ---- CSV ----------------------------------------------------------------------------------------

def _open_csv(path: Path, columns: _Columns) -> TableFile:
    encoding, replaced = detect_encoding(path)
    with path.open(encoding=encoding, errors="replace", newline="") as stream:
        head = stream.read(_HEAD_CHARS)
    if not re.search(r'[^\s,;|"]', head):  # nothing but blanks, delimiters and quotes
        raise BadInput(f"the file is empty: expected a header row with "
                       f"{', '.join(columns.required)}", file=path.name)
    readings = {delimiter: _find_header(_csv_header_rows(head, delimiter), columns)
                for delimiter in DELIMITERS}
    delimiter = max(DELIMITERS, key=lambda d: columns.score(readings[d][1]))
    header_row, header, width, above = readings[delimiter]
    mapped, warnings = columns.match(header)
    if columns.missing(mapped):
        raise columns.refusal(header, header_row, path.name,
                              f"read as {ENCODING_NAMES[encoding]} text, trying the "
                              "delimiters , ; TAB |")
    unusual = [ENCODING_NAMES[encoding]] if encoding.startswith("utf-16") else []
    unusual += [f"{DELIMITERS[delimiter]}-delimited"] if delimiter != "," else []
    if above:
        warnings.insert(0, _above_header(header_row, above))
    if unusual:
        warnings.insert(0, f"read as {', '.join(unusual)}")
    records = _csv_records(path, encoding, delimiter, header_row, width)
    return TableFile(path, mapped, header, header_row, encoding=encoding, delimiter=delimiter,
                     warnings=warnings, _records=records, _pick=_csv_picker(mapped),
                     _unnamed=_csv_unnamed(header), _overflow=_csv_overflow(width),
                     _garbled=replaced > 0,
                     _close=records.close)


def _csv_header_rows(head: str, delimiter: str) -> Iterator[tuple[int, dict[int, str], int]]:
    """(row number, non-blank cells, cell count) of each non-empty row of the file's start,
    read leniently with one candidate delimiter."""
    reader = csv.reader(io.StringIO(head, newline=""), delimiter=delimiter)
    try:
        for row_no, cells in enumerate(reader, start=1):
            header = {at: cell.strip() for at, cell in enumerate(cells) if cell.strip()}
            if header:
                yield row_no, header, len(cells)
    except csv.Error:
        return


def _csv_picker(columns: dict[str, int]) -> Callable[[list[str]], Sequence[str]]:
    """The mapped cells of a CSV row in column order (missing trailing cells as '')."""
    positions = list(columns.values())
    getter, need = operator.itemgetter(*positions, positions[0]), max(positions) + 1

    def pick(cells: list[str]) -> Sequence[str]:
        if len(cells) < need:
            cells = cells + [""] * (need - len(cells))
        return getter(cells)[:-1]  # the extra position keeps a 1-column pick a tuple

    return pick


def _csv_unnamed(header: dict[int, str]) -> Callable[[list[str]], bool]:
    """Does a row hold a value under no header name (right of the header, or under a blank
    header cell)? Checked only where there is no name, so a wide export pays little."""
    width = max(header) + 1
    blank = [at for at in range(width) if at not in header]

    def unnamed(cells: list[str]) -> bool:
        return (len(cells) > width and any(map(str.strip, cells[width:]))) or any(
            at < len(cells) and cells[at].strip() for at in blank)

    def beyond(cells: list[str]) -> bool:  # the usual header, no blank cell in it
        return len(cells) > width and any(map(str.strip, cells[width:]))

    return unnamed if blank else beyond


def _csv_overflow(width: int) -> Callable[[list[str]], int]:
    """The cell count of a row holding values past the header's `width` cells, else 0."""

    def overflow(cells: list[str]) -> int:
        return len(cells) if len(cells) > width and any(map(str.strip, cells[width:])) else 0

    return overflow


def detect_encoding(path: Path) -> tuple[str, int]:
    """The codec to read a CSV with: a BOM says UTF-8 or UTF-16; NUL bytes without one say
    UTF-16 (the side they fall on gives the byte order); else UTF-8 when the whole file
    decodes, else Windows-1252 as Excel on Windows saves CSV. When neither decodes cleanly,
    the reading with fewer bad bytes wins; those bytes become U+FFFD, reported by row.
    Returns (codec, how many characters it replaces)."""
    with path.open("rb") as stream:
        start = stream.read(4096)
    if start.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif start.count(0) > len(start) // 4:  # a stray NUL is not UTF-16; half the bytes are
        odd = start[1::2].count(0)
        encoding = "utf-16-le" if odd >= start[0::2].count(0) else "utf-16-be"
    else:
        bad_utf8 = _bad_characters(path, "utf-8")
        if not bad_utf8:
            return "utf-8", 0
        bad_cp1252 = _bad_characters(path, "cp1252")
        return ("cp1252", bad_cp1252) if bad_cp1252 < bad_utf8 else ("utf-8", bad_utf8)
    return encoding, _bad_characters(path, encoding)


def _bad_characters(path: Path, encoding: str) -> int:
    """How many characters a reading replaces (0 = the file is valid in that encoding)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    bad = 0
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            bad += decoder.decode(chunk).count("\ufffd")
    return bad + decoder.decode(b"", final=True).count("\ufffd")


def _csv_records(path: Path, encoding: str, delimiter: str, header_row: int, width: int
                 ) -> Iterator[tuple[int, list[str]] | BadInput]:
    """(record number, cells) per CSV record, and a BadInput for each broken one, named by
    the row its quote opened in. The file is then opened again and read from the line after
    that row's first (csv.reader cannot rewind), so one stray quote never swallows the rest
    of the list; a clean file is read once, at csv.reader's own speed."""
    number, skip, broken = 0, 0, 0
    while True:
        with path.open(encoding=encoding, errors="replace", newline="") as stream:
            reader = csv.reader(itertools.islice(stream, skip, None), delimiter=delimiter,
                                strict=True)
            start = skip  # physical lines before the record being read
            try:
                for cells in reader:
                    number += 1
                    end = skip + reader.line_num
                    if end - start > 1 and number > header_row and len(cells) != width:
                        problem = (f"a quoted cell opened in this row runs over {end - start} "
                                   f"lines and leaves the row {len(cells)} cells where the "
                                   f"header has {width}: a quote that never closes?")
                        break
                    start = end
                    yield number, cells
                else:
                    return
            except csv.Error as error:
                number += 1
                problem = _quote_problem(str(error), delimiter)
        broken += 1
        yield BadInput(f"{problem} The lines below it were read on their own.",
                       file=path.name, row=number)
        if broken >= MAX_BROKEN_ROWS:
            yield BadInput(f"reading stopped: {broken} rows with broken quoting; fix the "
                           "quotes and read the file again", file=path.name, row=number)
            return
        skip = start + 1


def _quote_problem(error: str, delimiter: str) -> str:
    name = "TAB" if delimiter == "\t" else repr(delimiter)
    if "unexpected end of data" in error:
        return "a quote opened in this row never closes (the rest of the file would be one cell)."
    if "expected after" in error:
        return (f"a quoted cell is followed by text before the next {name}: a quote inside a "
                "cell must be doubled (\"\").")
    if "field larger than field limit" in error:
        return (f"a cell is longer than {csv.field_size_limit():,} characters (the CSV cell "
                "limit): a quote that never closes?")
    return f"unreadable CSV ({error})."
