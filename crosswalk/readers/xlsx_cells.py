"""An XLSX workbook read cell by cell, in memory bounded by the cells that hold data.

openpyxl and calamine both size their work by a sheet's extent, and one stray value far from
the table ruins both: at XFD1048576, openpyxl's read-only rows pad every row to 16,384 columns
(70 s and 5.7 GB for a 20-row drug list) and calamine allocates its dense grid of 2^34 cells
(the process aborts). This reader streams the worksheet XML through expat and holds one row at
a time, so a far cell costs what a near one does. It also lists the sheets with their
visibility: a practice list whose first sheet is hidden is not that sheet.

Cells come back as openpyxl's read-only reader (data_only=False) gives them: a formula as its
text ("=SUM(A1:A3)", never evaluated; shared formulas translated to their cell), shared and
inline strings, booleans, errors as their text ("#N/A"), numbers as int or float, and numbers
in a date or time format as datetime / time / timedelta (1900 or 1904 date system).

`extent` finds how far the cells holding data reach (which cell sets the last row and the last
column) in one streaming pass, without loading the shared strings; `proven_bound` guesses a
box from the last row number and the first rows' width and proves with one RE2 pass that no
cell lies outside it, at a tenth of the cost: what a CMS workbook's guard uses first. Neither trusts
the sheet's declared <dimension>, which a generated or hand-edited file may leave out or get
wrong.

Workbook parts are untrusted: each is checked against the zip-bomb ratio before it is read, and
a part declaring a DOCTYPE (the door to entity tricks; Excel never writes one) is refused.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.parsers import expat

import re2

from crosswalk.archive import check_ratio
from crosswalk.errors import BadInput

# Excel's grid is A1:XFD1048576; a reference beyond it is not a cell any program wrote.
MAX_ROW, MAX_COLUMN = 1_048_576, 16_384
# Built-in number formats that are dates in East Asian locales (27-36, 50-58): openpyxl has no
# code for them, Excel shows them as dates.
_LOCALE_DATE_FORMATS = frozenset(range(27, 37)) | frozenset(range(50, 59))
_CHUNK = 1 << 16
_REF = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")  # ST_Xstring: _x000D_ is a carriage return
_ROW_NUMBER = re.compile(rb'<row r="([0-9]{1,7})"')
_COLUMN_LETTERS = re.compile(rb'<c r="([A-Z]{1,3})[0-9]')
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")  # a DOCTYPE can only come before it
_RELATIONSHIP_TYPES = {"worksheet", "chartsheet", "dialogsheet", "macrosheet",
                       "sharedStrings", "styles", "officeDocument"}


@dataclass(frozen=True)
class SheetInfo:
    """One sheet as the workbook lists it: name, visibility, and the zip part with its cells
    (None for a chart sheet, which holds no cells)."""

    name: str
    state: str  # visible | hidden | veryHidden
    part: str | None

    @property
    def visible(self) -> bool:
        return self.state == "visible"


@dataclass(frozen=True)
class Extent:
    """How far a sheet's cells holding data reach from A1, and which cells reach that far.

    `area` is what a dense reader (calamine, pandas) allocates for the sheet: last_row x
    last_column cells, however few hold data."""

    last_row: int  # 0 for an empty sheet
    last_column: int
    cells: int  # cells holding data
    row_cell: str  # a cell on the last row ('' for an empty sheet)
    column_cell: str  # a cell in the last column
    next_row: int = 0  # the last row reached by data off the last row
    next_column: int = 0  # the last column reached by data off the last column

    @property
    def area(self) -> int:
        return self.last_row * self.last_column

    @property
    def far_cells(self) -> list[str]:
        """The cell(s) that stretch the extent: the last row's and the last column's when
        they lie at least twice as far out as the data beside them (A1048576 below a table
        ending at row 8847, not the table's own last column); else the last row's."""
        far = [cell for cell, last, beside in ((self.row_cell, self.last_row, self.next_row),
                                               (self.column_cell, self.last_column,
                                                self.next_column))
               if cell and last >= 2 * max(beside, 1)]
        return list(dict.fromkeys(far)) or [cell for cell in (self.row_cell,) if cell]


def cell_ref(row: int, column: int) -> str:
    """(1048576, 16384) -> 'XFD1048576'."""
    letters = ""
    while column > 0:
        column, place = divmod(column - 1, 26)
        letters = chr(65 + place) + letters
    return f"{letters}{row}"


def _column_number(letters: str) -> int:
    """'A' -> 1, 'XFD' -> 16384, for the 1-3 capitals the cell patterns allow.

    This and cell_ref stand in for openpyxl.utils.cell: importing any part of openpyxl loads
    the whole package (0.09 s), which every `crosswalk load` of a workbook would pay for two
    letter conversions. openpyxl is imported where it does real work (dates, formulas)."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


class XlsxBook:
    """An open XLSX/XLSM workbook (a path, or the bytes of a zip member); use as a context
    manager. `where` names it in every error (a file name, or zip!member)."""

    def __init__(self, source: Path | str | bytes, where: str) -> None:
        self.where = where
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes)
                                        else source)
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise BadInput(f"cannot open as XLSX: not a readable zip ({error})",
                           file=where) from error
        try:
            for member in self._zip.infolist():
                check_ratio(where, member)
            book = self._target("", "officeDocument", "xl/workbook.xml")
            self._date1904, self.sheets = self._read_workbook(book)
        except BaseException:
            self._zip.close()
            raise
        self._book_part = book
        self._shared: list[str] | None = None
        self._date_styles: tuple[frozenset[int], frozenset[int]] | None = None

    def __enter__(self) -> XlsxBook:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def sheet(self, which: SheetInfo | str | int) -> SheetInfo:
        """A sheet by name, by position (0 = first listed, hidden or not), or as listed."""
        if isinstance(which, SheetInfo):
            return which
        if isinstance(which, int):
            if 0 <= which < len(self.sheets):
                return self.sheets[which]
        else:
            for info in self.sheets:
                if info.name == which:
                    return info
        names = ", ".join(repr(info.name) for info in self.sheets)
        raise BadInput(f"no sheet {which!r} (sheets: {names})", file=self.where)

    def rows(self, which: SheetInfo | str | int) -> Iterator[tuple[int, dict[int, Any]]]:
        """(row number, {column number: value}) for each row holding data, top to bottom;
        empty cells and empty rows are absent, so a far cell costs one entry."""
        info = self.sheet(which)
        value_of = self._resolver(info)
        current, cells = 0, {}
        for raw in self._raw_cells(info):
            value = value_of(raw)
            if value is None:
                continue
            if raw.row != current and cells:
                yield current, cells
                cells = {}
            current = raw.row
            cells[raw.column] = value
        if cells:
            yield current, cells

    def extent(self, which: SheetInfo | str | int) -> Extent:
        """The reach of the cells holding data (one streaming pass, shared strings unread)."""
        last_row = last_column = next_row = next_column = cells = 0
        row_cell = column_cell = ""
        for raw in self._raw_cells(self.sheet(which)):
            if not raw.holds_data():
                continue
            cells += 1
            if raw.row > last_row:
                next_row, last_row, row_cell = last_row, raw.row, cell_ref(raw.row, raw.column)
            elif next_row < raw.row < last_row:
                next_row = raw.row
            if raw.column > last_column:
                next_column, last_column = last_column, raw.column
                column_cell = cell_ref(raw.row, raw.column)
            elif next_column < raw.column < last_column:
                next_column = raw.column
        return Extent(last_row, last_column, cells, row_cell, column_cell, next_row,
                      next_column)

    def proven_bound(self, which: SheetInfo | str | int) -> tuple[int, int] | None:
        """(last row, last column) of a box shown to hold every cell of the sheet, or None.

        The box is guessed cheaply: the number of the last <row r="N"> tag (rows come in
        order, so it is the highest; read backwards from the end, not by listing every row),
        and the widest of its first rows (a table's header is as wide as the table). The guess
        is only a guess: one RE2 pass over the sheet then checks every cell tag is the plain
        `<c r="REF"` form with REF inside the box, so rows out of order cost a full `extent`
        scan, never a missed cell.
        A cell outside, a cell without a reference, a namespace-prefixed tag or a DOCTYPE
        gives None (use `extent`). An upper bound of `extent`, at a tenth of its cost."""
        info = self.sheet(which)
        if info.part is None:
            return 0, 0
        data = self._read_part(info.part)
        last_row_tag = _ROW_NUMBER.match(data, max(data.rfind(b'<row r="'), 0))
        letters = _COLUMN_LETTERS.findall(data, 0, _CHUNK)
        root = _FIRST_ELEMENT.search(data)
        if (last_row_tag is None or not letters or root is None
                or b"<!DOCTYPE" in data[:root.start()]):
            return None
        last_row = int(last_row_tag[1])
        last_letters = max(letters, key=lambda found: (len(found), found)).decode()
        last_column = _column_number(last_letters)
        if last_row > MAX_ROW or last_column > MAX_COLUMN:
            return None
        if _escapes_box(data, last_row, last_letters):
            return None
        return last_row, last_column

    # ---- parts -------------------------------------------------------------------------------

    def _read_part(self, part: str) -> bytes:
        try:
            return self._zip.read(part)
        except KeyError as error:
            raise BadInput(f"cannot read as XLSX: part {part!r} is missing",
                           file=self.where) from error
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
            raise BadInput(f"cannot read as XLSX: corrupt part {part!r} ({error})",
                           file=self.where) from error

    def _parser(self, part: str) -> expat.XMLParserType:
        parser = expat.ParserCreate(namespace_separator="}")
        parser.buffer_text = True

        def refuse(*_: object) -> None:
            raise BadInput(f"part {part!r} declares a DOCTYPE, which no spreadsheet program "
                           "writes: refused", file=self.where)

        parser.StartDoctypeDeclHandler = refuse
        return parser

    def _stream(self, part: str, parser: expat.XMLParserType) -> Iterator[None]:
        """Feed a part to the parser in chunks, pausing after each so handlers' output can be
        taken: the part is never held whole."""
        try:
            with self._zip.open(part) as stream:
                while chunk := stream.read(_CHUNK):
                    parser.Parse(chunk, False)
                    yield
            parser.Parse(b"", True)
            yield
        except KeyError as error:
            raise BadInput(f"cannot read as XLSX: part {part!r} is missing",
                           file=self.where) from error
        except expat.ExpatError as error:
            raise BadInput(f"cannot read as XLSX: part {part!r} is not well-formed XML "
                           f"({error})", file=self.where) from error
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
            raise BadInput(f"cannot read as XLSX: corrupt part {part!r} ({error})",
                           file=self.where) from error

    def _tags(self, part: str) -> list[tuple[str, str, dict[str, str]]]:
        """(parent, tag, attributes) of every element of a small part, names without
        namespaces (Strict OOXML files use other namespace URIs for the same names)."""
        found: list[tuple[str, str, dict[str, str]]] = []
        path = [""]
        parser = self._parser(part)

        def start(name: str, attrs: dict[str, str]) -> None:
            tag = _local(name)
            found.append((path[-1], tag, {_local(key): value for key, value in attrs.items()}))
            path.append(tag)

        parser.StartElementHandler = start
        parser.EndElementHandler = lambda _name: path.pop()
        for _ in self._stream(part, parser):
            pass
        return found

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (type, target part) of a part, from its .rels file."""
        folder, name = posixpath.split(part)
        rels = posixpath.join(folder, "_rels", f"{name}.rels")
        if rels not in self._zip.NameToInfo:
            return {}
        links = {}
        for _, tag, attrs in self._tags(rels):
            if tag != "Relationship" or attrs.get("TargetMode") == "External":
                continue
            kind = attrs.get("Type", "").rsplit("/", 1)[-1]
            target = attrs.get("Target", "")
            target = (target[1:] if target.startswith("/")
                      else posixpath.normpath(posixpath.join(folder, target)))
            links[attrs.get("Id", "")] = (kind if kind in _RELATIONSHIP_TYPES else "", target)
        return links

    def _target(self, owner: str, kind: str, default: str) -> str | None:
        """The first target of a relationship type from a part ("" for the package): the
        workbook, its shared strings or styles; else the conventional part, if present."""
        for found_kind, target in self._relationships(owner).values():
            if found_kind == kind:
                return target
        return default if default in self._zip.NameToInfo else None

    def _read_workbook(self, book: str | None) -> tuple[bool, list[SheetInfo]]:
        if book is None:
            raise BadInput("cannot read as XLSX: no workbook part (xl/workbook.xml)",
                           file=self.where)
        links = self._relationships(book)
        date1904, sheets = False, []
        for parent, tag, attrs in self._tags(book):
            if tag == "workbookPr":
                date1904 = attrs.get("date1904", "").lower() in ("1", "true")
            elif tag == "sheet" and parent == "sheets":
                kind, target = links.get(attrs.get("id", ""), ("", ""))
                part = target if kind == "worksheet" and target in self._zip.NameToInfo else None
                sheets.append(SheetInfo(attrs.get("name", ""), attrs.get("state", "visible"),
                                        part))
        return date1904, sheets

    def _shared_strings(self) -> list[str]:
        if self._shared is None:
            part = self._target(self._book_part, "sharedStrings", "xl/sharedStrings.xml")
            self._shared = [] if part is None else list(self._strings_in(part))
        return self._shared

    def _strings_in(self, part: str) -> Iterator[str]:
        """Each <si> of the shared string table as one text (rich-text runs joined, phonetic
        guides left out)."""
        collector = _TextCollector("si")
        parser = self._parser(part)
        collector.attach(parser)
        for _ in self._stream(part, parser):
            yield from collector.done
            collector.done.clear()

    def _styles(self) -> tuple[frozenset[int], frozenset[int]]:
        """Style indexes (the cell's s attribute) whose number format shows a date or time, and
        those showing a duration ([h]:mm)."""
        if self._date_styles is None:
            from openpyxl.styles.numbers import (BUILTIN_FORMATS, is_date_format,
                                                 is_timedelta_format)

            part = self._target(self._book_part, "styles", "xl/styles.xml")
            tags = self._tags(part) if part else []
            codes = {int(attrs["numFmtId"]): attrs.get("formatCode", "")
                     for _, tag, attrs in tags if tag == "numFmt" and "numFmtId" in attrs}
            dates, durations = set(), set()
            xfs = [attrs for parent, tag, attrs in tags if parent == "cellXfs" and tag == "xf"]
            for index, attrs in enumerate(xfs):
                number_format = int(attrs.get("numFmtId") or 0)
                code = codes.get(number_format, BUILTIN_FORMATS.get(number_format))
                if is_timedelta_format(code):
                    durations.add(index)
                if is_date_format(code) or number_format in _LOCALE_DATE_FORMATS:
                    dates.add(index)
            self._date_styles = frozenset(dates), frozenset(durations)
        return self._date_styles

    # ---- cells -------------------------------------------------------------------------------

    def _raw_cells(self, info: SheetInfo) -> Iterator[_RawCell]:
        if info.part is None:
            return
        reader = _CellReader(lambda reason: BadInput(reason, file=self.where,
                                                     sheet=info.name))
        parser = self._parser(info.part)
        reader.attach(parser)
        for _ in self._stream(info.part, parser):
            yield from reader.done
            reader.done.clear()

    def _resolver(self, info: SheetInfo) -> Callable[[_RawCell], Any]:
        """A function giving each raw cell its value, None when it holds no data."""
        from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel

        dates, durations = self._styles()
        epoch = MAC_EPOCH if self._date1904 else WINDOWS_EPOCH
        masters: dict[str, tuple[str, str]] = {}

        def value_of(raw: _RawCell) -> Any:
            if not raw.holds_data():
                return None
            if raw.formula is not None:
                return "=" + _formula(raw, masters)
            if raw.inline is not None:
                return _unescape(raw.inline)
            text = raw.value or ""
            if raw.kind == "s":
                return self._shared_string(text, raw, info)
            if raw.kind in ("str", "inlineStr"):
                return _unescape(text)
            if raw.kind == "b":
                return text.strip() in ("1", "true")
            if raw.kind == "e":
                return text
            if raw.kind == "d":
                return _iso_date(text)
            number = _number(text)
            if raw.style in dates and isinstance(number, (int, float)):
                try:
                    return from_excel(number, epoch, timedelta=raw.style in durations)
                except (OverflowError, ValueError):
                    return number  # a serial no calendar holds: keep the number, lose nothing
            return number

        return value_of

    def _shared_string(self, text: str, raw: _RawCell, info: SheetInfo) -> str:
        strings = self._shared_strings()
        try:
            return _unescape(strings[int(text)])
        except (ValueError, IndexError) as error:
            raise BadInput(f"cell {cell_ref(raw.row, raw.column)} points at shared string "
                           f"{text[:20]!r}, which the workbook does not have",
                           file=self.where, sheet=info.name) from error


@dataclass(slots=True)
class _RawCell:
    """A <c> element as written: its position, type, style and the texts of its parts."""

    row: int
    column: int
    kind: str  # the t attribute: n, s, str, inlineStr, b, e, d
    style: int
    value: str | None = None
    formula: str | None = None
    formula_group: str | None = None  # si of a shared formula
    inline: str | None = None

    def holds_data(self) -> bool:
        """What a dense reader counts as data: calamine allocates its grid to reach an empty
        inline string or an empty formula result too, so those count."""
        if self.formula is not None or self.inline is not None:
            return True
        if self.value is None:
            return False
        return self.value != "" or self.kind == "str"


class _Handlers:
    """expat callbacks kept on one object, which collects what they find in `done`."""

    def attach(self, parser: expat.XMLParserType) -> None:
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.characters

    def start(self, name: str, attrs: dict[str, str]) -> None:
        raise NotImplementedError

    def end(self, name: str) -> None:
        raise NotImplementedError

    def characters(self, data: str) -> None:
        raise NotImplementedError


class _TextCollector(_Handlers):
    """Joins the <t> texts inside each `element` (a shared string's <si>, a cell's <is>),
    leaving out phonetic guides (<rPh>)."""

    def __init__(self, element: str) -> None:
        self.element = element
        self.done: list[str] = []
        self._parts: list[str] | None = None
        self._text: list[str] | None = None
        self._phonetic = False

    def start(self, name: str, _attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag == self.element:
            self._parts = []
        elif tag == "rPh":
            self._phonetic = True
        elif tag == "t" and self._parts is not None and not self._phonetic:
            self._text = []

    def end(self, name: str) -> None:
        tag = _local(name)
        if tag == "t" and self._text is not None:
            self._parts.append("".join(self._text))  # type: ignore[union-attr]
            self._text = None
        elif tag == "rPh":
            self._phonetic = False
        elif tag == self.element and self._parts is not None:
            self.done.append("".join(self._parts))
            self._parts = None

    def characters(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


class _CellReader(_Handlers):
    """expat handlers turning a worksheet's <row>/<c> elements into `_RawCell`s.

    A cell without an r attribute sits right of the previous one, a row without one below
    the previous row, as Excel and calamine read them."""

    def __init__(self, fail: Callable[[str], BadInput]) -> None:
        self.fail = fail
        self.done: list[_RawCell] = []
        self._row = self._column = 0
        self._cell: _RawCell | None = None
        self._text: list[str] | None = None
        self._inline = _TextCollector("is")

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "c":
            self._start_cell(attrs)
        elif tag == "row":
            self._row = self._number(attrs.get("r"), self._row + 1, "row", MAX_ROW)
            self._column = 0
        elif self._cell is None:
            return
        elif tag in ("v", "f"):
            self._text = []
            if tag == "f" and attrs.get("t") == "shared":
                self._cell.formula_group = attrs.get("si")
        else:
            self._inline.start(name, attrs)

    def end(self, name: str) -> None:
        tag = _local(name)
        cell = self._cell
        if cell is None:
            return
        if tag == "c":
            self.done.append(cell)
            self._cell = None
        elif tag == "v" and self._text is not None:
            cell.value, self._text = "".join(self._text), None
        elif tag == "f" and self._text is not None:
            cell.formula, self._text = "".join(self._text), None
        else:
            self._inline.end(name)
            if self._inline.done:
                cell.inline = self._inline.done.pop()

    def characters(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)
        elif self._cell is not None:
            self._inline.characters(data)

    def _start_cell(self, attrs: dict[str, str]) -> None:
        reference = attrs.get("r")
        if reference:
            found = _REF.fullmatch(reference)
            column = _column_number(found[1]) if found else 0
            if not found or column > MAX_COLUMN or int(found[2]) > MAX_ROW:
                raise self.fail(f"cell reference {reference[:20]!r} is outside Excel's grid "
                                "(A1:XFD1048576)")
            row = int(found[2])
        else:
            row, column = max(self._row, 1), self._column + 1
            if column > MAX_COLUMN:
                raise self.fail(f"row {row} has more than {MAX_COLUMN:,} cells")
        self._column = column
        self._cell = _RawCell(row, column, attrs.get("t", "n"),
                              self._number(attrs.get("s"), 0, "style", 1 << 31))

    def _number(self, text: str | None, default: int, what: str, highest: int) -> int:
        if not text:
            return default
        if not text.isdigit() or not 0 <= int(text) <= highest:
            raise self.fail(f"{what} number {text[:20]!r} is not one Excel writes")
        return int(text)


def _escapes_box(data: bytes, last_row: int, last_column: str) -> bool:
    """Whether any cell tag of the sheet XML is not proven inside A1:(last_column, last_row).

    One linear scan by RE2 over the bytes (Latin-1, a byte a character), 0.02 s on the 14 MB
    ANWEB sheet where Python's backtracking engine takes 0.4 s. RE2 has no lookahead, so the
    pattern (`_escape_pattern`) spells out what escapes rather than what is inside."""
    pattern = re2.compile(_escape_pattern(last_row, last_column).encode(), _A_BYTE_A_CHARACTER)
    return pattern.search(data) is not None


def _latin1() -> re2.Options:
    """RE2 reads bytes as UTF-8 unless told otherwise: a byte that is no UTF-8 right after
    '<c ' would then hide the tag from the pattern."""
    options = re2.Options()
    options.encoding = re2.Options.Encoding.LATIN1
    return options


_A_BYTE_A_CHARACTER = _latin1()


def _escape_pattern(last_row: int, last_column: str) -> str:
    """A pattern matching every cell tag a box does not prove: a namespace-prefixed cell
    (<x:c>), a <c> whose first attribute is not r="REF", or a REF that is not 1-3 capitals,
    a row number without a leading zero and a closing quote, or that lies right of
    `last_column` or below `last_row`."""
    ref = '<c r="'
    return "|".join((
        r":c[ \t\n\r\f\v/>]",
        r'<c(?:[\t\n\r\f\v/>]| [^r]| r[^=]| r=[^"]| (?:r=?)?\z)',
        ref + r"(?:[^A-Z]|\z)",
        ref + f"(?:{_beyond(last_column, 'A', 'Z')})",
        ref + r"[A-Z]+(?:[^A-Z0-9]|\z|0)",
        ref + f"[A-Z]+(?:{_beyond(str(last_row), '0', '9')})",
        ref + r'[A-Z]+[0-9]+(?:[^0-9"]|\z)',
    ))


def _beyond(bound: str, low: str, high: str) -> str:
    """A pattern for the strings of one alphabet (the start of a run of them) that sort
    after `bound`, longer ones after shorter ones (row numbers after 8847, column letters
    after AV): any longer string, or the same first characters, a higher one, then any."""
    choices = [f"[{low}-{high}]{{{len(bound) + 1}}}"]
    for at, char in enumerate(bound):
        if char < high:
            rest = len(bound) - at - 1
            choices.append(f"{bound[:at]}[{chr(ord(char) + 1)}-{high}][{low}-{high}]{{{rest}}}")
    return "|".join(choices)


def _formula(raw: _RawCell, masters: dict[str, tuple[str, str]]) -> str:
    """A formula's text; a shared formula's followers carry none and take their master's,
    moved to their own cell (as Excel shows them)."""
    text, group = raw.formula or "", raw.formula_group
    if group is None:
        return text
    here = cell_ref(raw.row, raw.column)
    if text:
        masters[group] = (text, here)
        return text
    if group not in masters:
        return ""
    from openpyxl.formula.tokenizer import TokenizerError
    from openpyxl.formula.translate import Translator

    master, origin = masters[group]
    try:
        return Translator(f"={master}", origin=origin).translate_formula(here)[1:]
    except (TokenizerError, ValueError):
        return master


def _number(text: str) -> int | float | str:
    """'12' -> 12, '1.5E3' -> 1500.0; text that is no number stays text (lose nothing)."""
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _iso_date(text: str) -> Any:
    try:
        return datetime.fromisoformat(text.strip().removesuffix("Z"))
    except ValueError:
        return text


def _unescape(text: str) -> str:
    if "_x" not in text:
        return text
    return _ESCAPED.sub(lambda found: chr(int(found[1], 16)), text)


def _local(name: str) -> str:
    return name[name.rfind("}") + 1:]

