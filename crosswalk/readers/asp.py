"""One-table CMS files, read the same way: the ASP family (payment limits, NDC-HCPCS
crosswalk, NOC pricing, NOC crosswalk) and any kind declared like them.

The zip member is picked by the kind's rule: a section 508 CSV (Windows-1252, title and note
rows above the header) or its XLSX/XLS twin. The header is found by the kind's layout, the
kind's `parse` turns the located table into rows, and this module gives them exactly the
warehouse table's columns (from sql/schema) with line numbers and the validity window. The
window comes from the file's "Effective <start> through <end>" line, never from the quarter's
name: ASP files list a code quarters after its HCPCS add date, and CMS re-posts revisions
under old names. The helpers below are the checks the ASP kinds share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crosswalk import schema
from crosswalk.source_kind import KindRead, Rows, TableRows
from crosswalk.ndc import normalize_ndc
from crosswalk.readers.expected import check_expected
from crosswalk.readers.members import ReleaseZip, require
from crosswalk.readers.sheets import Table, effective_window, locate_table, parse_number
from crosswalk.settings import Settings

if TYPE_CHECKING:
    from crosswalk.source_kind import SourceKind

_HCPCS_CODE = re.compile(r"[A-Z0-9]{5}")
_NDC_5_4_2 = re.compile(r"[0-9]{5}-[0-9]{4}-[0-9]{2}")  # the form normalize_ndc joins as is
_MARKS = re.compile(r"[\u00ae\u2122\u00a9\u2120]|\((?:R|TM)\)")  # (R), (TM), (C), (SM) as printed
_SPACES = re.compile(r"\s+")  # runs of any white space, Unicode's (thin, ideographic...) too
NO_LIMIT = ("N/A", "NA")
# Package amounts the crosswalks carry, and how their headers have been written.
AMOUNTS = (("pkg_size", r"PKG SIZE"), ("pkg_qty", r"PKG QTY"),
           ("bill_units", r"BILLUNITS|BILL UNITS"),
           ("bill_units_pkg", r"BILLUNITSPKG|BILL UNITS PKG"))

Window = tuple[date | None, date | None]


@dataclass(frozen=True)
class TableRead:
    """One file's table read: rows with the table's columns, its validity window, notes."""

    rows: Rows
    window: Window
    notes: list[str]


def read_table_zip(path: Path, settings: Settings, kind: "SourceKind") -> KindRead:
    """A one-table kind's zip read: its member picked by the kind's rule (the 508 CSV before
    the workbook twin), every member access through the zip safety checks."""
    archive = ReleaseZip(path, settings)
    pick = require(archive.pick(kind.members), kind.main_table, archive, kind.title)
    data = archive.read(pick.member)
    where = archive.where(pick.member)
    read = read_table(data, where, kind)
    check_expected(data, kind.main_table, read.rows, where)
    notes = ([pick.note] if pick.note else []) + read.notes
    if read.window == (None, None):
        notes.append(f"{where}: no 'Effective <start> through <end>' line above the header; "
                     "effective_start/effective_end left empty")
    return KindRead({kind.main_table: TableRows(pick.member, read.rows)}, notes)


def read_table(data: bytes, name: str, kind: "SourceKind") -> TableRead:
    """The bytes of one CSV/XLSX/XLS member read as the kind's table (`name` is how errors
    name the file)."""
    table = without_footnotes(locate_table(data, name, kind.layouts[kind.main_table]))
    window = effective_window(table.preamble, name)
    columns = kind.parse(table)
    return TableRead(_finish(columns, window, schema.read_columns(kind.main_table), table),
                     window, table.notes)


def without_footnotes(table: Table) -> Table:
    """Text under the table is a footnote, not a row: the rows at the end of the table, below
    a blank line, with text in their first cell only (`Note: * indicates a change`,
    `Source: CMS ...`). They are left out with a note naming their lines. A text row between
    data rows is no footnote: it could hide a code, so the kind's checks refuse it."""
    first, *others = table.columns.values()
    text_only = [bool(cell.strip()) and not any(other[index].strip() for other in others)
                 for index, cell in enumerate(first)]
    count = next((i for i, flag in enumerate(reversed(text_only)) if not flag), len(text_only))
    if count == 0 or count == len(text_only):
        return table
    last_row, first_note = len(text_only) - count - 1, len(text_only) - count
    spanned = 0 if table.unit == "row" else sum(
        values[last_row].count("\n") for values in table.columns.values())
    if table.lines[first_note] - table.lines[last_row] - spanned < 2:
        return table  # no blank line between the data and the text: not a footnote
    table.notes.append(
        f"{table.where}: left out {count} footnote {table.unit}(s) below the table "
        f"({table.unit}s {table.lines[first_note]}-{table.lines[-1]}: "
        f"{first[first_note].strip()[:60]!r}{', ...' if count > 1 else ''})")
    table.head(first_note)
    return table


def hcpcs_codes(table: Table) -> list[str]:
    """Upper-cased 5-character codes; anything else (a footnote row, a shifted column) is
    refused with its line."""
    codes = []
    for index, value in enumerate(table.columns["hcpcs_code"]):
        printed = value.strip()
        code = printed.upper()
        if not (printed.isascii() and _HCPCS_CODE.fullmatch(code)):  # 'ﬀ' upper-cases to 'FF'
            raise table.fail(f"{printed!r} is not a HCPCS code", index, "hcpcs_code")
        codes.append(code)
    return codes


def require_text(table: Table, columns: dict[str, list[Any]], column: str) -> None:
    blank = next((index for index, value in enumerate(columns[column]) if value is None), None)
    if blank is not None:
        raise table.fail(f"{column} is empty", blank, column)


def identifiers(table: Table, columns: dict[str, list[Any]]) -> None:
    """ndc_raw as printed, ndc11 where it is an NDC, drug names without marks, amounts."""
    require_text(table, columns, "ndc_raw")
    columns["ndc11"] = ndc11_of(columns["ndc_raw"])
    columns["drug_name"] = clean_drug_names(columns["drug_name"])
    for column, _ in AMOUNTS:
        columns[column] = parse_number(table, column)


def ndc11_of(raw: list[str | None]) -> list[str | None]:
    """11-digit NDCs for NDC-shaped identifiers, None for UPCs, GTINs and free-form IDs.

    CMS prints nearly every NDC as 5-4-2 ('55513-0224-01'), whose 11 digits are the three
    segments joined; only the rest (other shapes, UPCs) goes through normalize_ndc, once per
    distinct value."""
    others: dict[str, str | None] = {}
    ndc11 = []
    for value in raw:
        if value is None:
            ndc11.append(None)
        elif _NDC_5_4_2.fullmatch(value):
            ndc11.append(value.replace("-", ""))
        else:
            if value not in others:
                others[value] = normalize_ndc(value).ndc11
            ndc11.append(others[value])
    return ndc11


def clean_drug_names(names: list[str | None]) -> list[str | None]:
    """Brand names without (R)/(TM) marks, NBSP or trailing spaces ('Briumvi\\xa0' -> 'Briumvi')."""
    return [_SPACES.sub(" ", _MARKS.sub("", name)).strip() or None if name is not None else None
            for name in names]


def _finish(columns: dict[str, list[Any]], window: Window, names: tuple[str, ...],
            table: Table) -> Rows:
    """Add line numbers and the validity window where the table has them; exactly the
    table's columns, in order."""
    if "line_no" in names:
        columns["line_no"] = list(table.lines)
    for column, day in zip(("effective_start", "effective_end"), window):
        if column in names:
            columns[column] = [day] * len(table)
    return Rows({name: columns[name] for name in names})
