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

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from crosswalk import schema
from crosswalk.source_kind import KindRead, TableRows
from crosswalk.ndc import normalize_ndc
from crosswalk.readers.expected import check_expected
from crosswalk.readers.members import ReleaseZip, require
from crosswalk.readers.sheets import (Table, as_text, effective_window, locate_table,
                                      parse_number)
from crosswalk.settings import Settings

if TYPE_CHECKING:
    from crosswalk.source_kind import SourceKind

_HCPCS_CODE = r"[A-Z0-9]{5}"
_NDC_5_4_2 = r"[0-9]{5}-[0-9]{4}-[0-9]{2}"  # ASCII digits: the form normalize_ndc joins as is
_MARKS = r"[\u00ae\u2122\u00a9\u2120]|\((?:R|TM)\)"  # (R), (TM), (C), (SM) as printed
NO_LIMIT = ("N/A", "NA")
# Package amounts the crosswalks carry, and how their headers have been written.
AMOUNTS = (("pkg_size", r"PKG SIZE"), ("pkg_qty", r"PKG QTY"),
           ("bill_units", r"BILLUNITS|BILL UNITS"),
           ("bill_units_pkg", r"BILLUNITSPKG|BILL UNITS PKG"))

Window = tuple[date | None, date | None]


@dataclass(frozen=True)
class TableRead:
    """One file's table read: rows with the table's columns, its validity window, notes."""

    frame: pd.DataFrame
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
    check_expected(data, kind.main_table, read.frame, where)
    notes = ([pick.note] if pick.note else []) + read.notes
    if read.window == (None, None):
        notes.append(f"{where}: no 'Effective <start> through <end>' line above the header; "
                     "effective_start/effective_end left empty")
    return KindRead({kind.main_table: TableRows(pick.member, read.frame)}, notes)


def read_table(data: bytes, name: str, kind: "SourceKind") -> TableRead:
    """The bytes of one CSV/XLSX/XLS member read as the kind's table (`name` is how errors
    name the file)."""
    table = without_footnotes(locate_table(data, name, kind.layouts[kind.main_table]))
    window = effective_window(table.preamble, name)
    frame = kind.parse(table)
    return TableRead(_finish(frame, window, schema.read_columns(kind.main_table), table),
                     window, table.notes)


def without_footnotes(table: Table) -> Table:
    """Text under the table is a footnote, not a row: the rows at the end of the table, below
    a blank line, with text in their first cell only (`Note: * indicates a change`,
    `Source: CMS ...`). They are left out with a note naming their lines. A text row between
    data rows is no footnote: it could hide a code, so the kind's checks refuse it."""
    filled = table.frame.apply(lambda column: column.str.strip().ne(""))
    text_only = (filled.iloc[:, 0] & ~filled.iloc[:, 1:].any(axis=1)).to_numpy()
    count = next((i for i, flag in enumerate(text_only[::-1]) if not flag), len(text_only))
    if count == 0 or count == len(text_only):
        return table
    last_row, first_note = len(text_only) - count - 1, len(text_only) - count
    spanned = 0 if table.unit == "row" else sum(
        str(cell).count("\n") for cell in table.frame.iloc[last_row])
    if table.lines.iloc[first_note] - table.lines.iloc[last_row] - spanned < 2:
        return table  # no blank line between the data and the text: not a footnote
    notes = table.frame.iloc[first_note:, 0]
    table.notes.append(
        f"{table.where}: left out {count} footnote {table.unit}(s) below the table "
        f"({table.unit}s {int(table.lines.iloc[first_note])}-{int(table.lines.iloc[-1])}: "
        f"{str(notes.iloc[0]).strip()[:60]!r}{', ...' if count > 1 else ''})")
    table.frame, table.lines = table.frame.iloc[:first_note], table.lines.iloc[:first_note]
    return table


def hcpcs_codes(table: Table) -> pd.Series:
    """Upper-cased 5-character codes; anything else (a footnote row, a shifted column) is
    refused with its line."""
    printed = table.frame["hcpcs_code"].str.strip()
    codes = printed.str.upper()
    bad = ~codes.str.fullmatch(_HCPCS_CODE)
    if bad.any():
        first = bad.idxmax()
        raise table.fail(f"{printed[first]!r} is not a HCPCS code", first, "hcpcs_code")
    return codes


def require_text(table: Table, frame: pd.DataFrame, column: str) -> None:
    blank = frame[column].isna()
    if blank.any():
        raise table.fail(f"{column} is empty", blank.idxmax(), column)


def identifiers(table: Table, frame: pd.DataFrame) -> None:
    """ndc_raw as printed, ndc11 where it is an NDC, drug names without marks, amounts."""
    require_text(table, frame, "ndc_raw")
    frame["ndc11"] = ndc11_of(frame["ndc_raw"])
    frame["drug_name"] = clean_drug_names(frame["drug_name"])
    for column, _ in AMOUNTS:
        frame[column] = parse_number(table, column)


def ndc11_of(raw: pd.Series) -> pd.Series:
    """11-digit NDCs for NDC-shaped identifiers, None for UPCs, GTINs and free-form IDs.

    CMS prints nearly every NDC as 5-4-2 ('55513-0224-01'), whose 11 digits are the three
    segments joined: that shape is read in one vectorised pass, and only the rest (other
    shapes, UPCs) goes through normalize_ndc, once per distinct value. Calling it for each of
    the Oct 2025 crosswalk's 8,073 distinct NDCs took 0.03 s of its 0.19 s read."""
    plain = raw.str.fullmatch(_NDC_5_4_2).fillna(False).astype(bool)
    others = raw[~plain].dropna()
    mapping = {value: normalize_ndc(value).ndc11 for value in others.unique()}
    ndc11 = raw.str.replace("-", "", regex=False).where(plain, others.map(mapping))
    return ndc11.astype(object).where(ndc11.notna(), None)


def clean_drug_names(names: pd.Series) -> pd.Series:
    """Brand names without (R)/(TM) marks, NBSP or trailing spaces ('Briumvi\\xa0' -> 'Briumvi')."""
    cleaned = names.str.replace(_MARKS, "", regex=True).str.replace("\u00a0", " ", regex=False)
    cleaned = cleaned.str.replace(r"\s+", " ", regex=True).str.strip()
    return cleaned.mask(cleaned.eq(""), None)


def _finish(frame: pd.DataFrame, window: Window, columns: tuple[str, ...],
            table: Table) -> pd.DataFrame:
    """Add line numbers and the validity window where the table has them; exactly the
    table's columns, in order."""
    if "line_no" in columns:
        frame["line_no"] = table.lines.astype("int32")
    for column, day in zip(("effective_start", "effective_end"), window):
        if column in columns:
            frame[column] = pd.Series(pd.Timestamp(day) if day else pd.NaT,
                                      index=frame.index, dtype="datetime64[s]")
    text = [column for column in columns if frame[column].dtype.kind not in "fiMb"]
    return as_text(frame.loc[:, list(columns)].reset_index(drop=True), text)
