"""HCPCS Level II alpha-numeric releases: the ANWEB file (TXT and/or XLSX/XLS), the NOC codes
companion workbook and the transaction report, read from one quarterly zip.

The fixed-width TXT is authoritative; when the zip also ships the workbook it is read and
cross-checked (code count, dates) and differences become notes, because CMS's two forms of
one release do disagree (2016: 115 codes have ACT EFF DT in the TXT only). A release that
ships only the workbook still loads. Rows have exactly the warehouse columns minus
quarter/source_sha256/source_member.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import duckdb

from crosswalk import schema, sqlfiles
from crosswalk.errors import BadInput
from crosswalk.source_kind import KindRead, Rows, TableRows
from crosswalk.readers.expected import check_expected
from crosswalk.readers.layouts import Layout, header_key
from crosswalk.readers.members import Pick, ReleaseZip, require, version_of
from crosswalk.readers.sheets import (Table, csv_grid, decode_text, is_workbook,
                                      locate_first, locate_table, parse_yyyymmdd,
                                      refuse_duplicates, sheet_names, workbook_grid)
from crosswalk.settings import Settings

if TYPE_CHECKING:
    from crosswalk.source_kind import SourceKind

DATE_COLUMNS = ("add_date", "action_eff_date", "term_date")
_CROSS_CHECK_EXAMPLES = 3
_BLANK = " \t\x0c\x1a"  # spaces, form feed, and the DOS end-of-file mark some old files end with
# A workbook without RECID prints a modifier as the TXT does, after three spaces.
_MODIFIER_CELL = re.compile(r" {3}[^\t\n\f\r ]")


@dataclass
class _Parsed:
    rows: Rows
    notes: list[str]


# ---- ANWEB fixed-width TXT --------------------------------------------------------------------

def read_hcpcs_txt(data: bytes, name: str) -> Rows:
    """The fixed-width ANWEB TXT (320-character records, Windows-1252, CRLF or LF)."""
    return _read_txt(data, name).rows


def _read_txt(data: bytes, name: str) -> _Parsed:
    lines = [line.removesuffix("\r") for line in decode_text(data, name).split("\n")]
    numbers = list(range(1, len(lines) + 1))
    con = duckdb.connect(config={"threads": 1})
    try:
        with sqlfiles.registered(con, {"hcpcs_lines": {"line_no": numbers, "line": lines}}):
            sqlfiles.run_file(con, "readers", "hcpcs_fixed_width")
            codes = _columns(con.execute("SELECT * FROM hcpcs_txt_codes ORDER BY line_no"))
            orphan = con.execute("SELECT line_no, code_field, follows FROM hcpcs_txt_orphans "
                                 "ORDER BY line_no LIMIT 1").fetchone()
            record_lines = [line for (line,) in con.execute(
                "SELECT line_no FROM hcpcs_txt_records ORDER BY line_no").fetchall()]
    finally:
        con.close()
    if orphan is not None:
        raise BadInput(f"continuation record for {orphan[1].strip()!r} does not follow a first "
                       f"record of that code (follows {(orphan[2] or 'nothing').strip()!r})",
                       file=name, row=int(orphan[0]), field="RECID")
    if not codes["code"]:
        raise BadInput("no HCPCS records (320-character lines with code, SEQNUM and RECID "
                       "in positions 1-11): not an ANWEB TXT", file=name, field="RECID")
    notes = _skipped_lines(lines, set(record_lines), record_lines[0], name)
    table = Table(name, codes, codes.pop("line_no"), 0, [])
    return _Parsed(_finish_codes(table), notes)


def _columns(cursor: duckdb.DuckDBPyConnection) -> dict[str, list[Any]]:
    """A query's result column by column."""
    names = [column[0] for column in cursor.description]
    rows = cursor.fetchall()
    return {name: list(values) for name, values in zip(names, zip(*rows))} if rows else {
        name: [] for name in names}


def _skipped_lines(lines: list[str], records: set[int], first_record: int, name: str
                   ) -> list[str]:
    """Disclaimer lines before the first record are expected (a note); a non-record line
    between records would silently lose a code, so it is refused."""
    other = [number for number, line in enumerate(lines, start=1)
             if number not in records and line.strip(_BLANK)]
    inside = next((number for number in other if number > first_record), None)
    if inside is not None:
        raise BadInput(f"line is not a HCPCS record ({lines[inside - 1][:40]!r}...): expected "
                       "code in positions 1-5, SEQNUM 6-10, RECID 3/4/7/8 in 11", file=name,
                       row=inside, field="record")
    if not other:
        return []
    return [f"{name}: skipped {len(other)} non-record line(s) before the first record "
            f"(lines {min(other)}-{max(other)}, disclaimer)"]


def _finish_codes(table: Table) -> Rows:
    """Dates parsed (naming the line of a bad one), duplicates refused, columns in order."""
    columns: dict[str, list[Any]] = dict(table.columns)
    for column in DATE_COLUMNS:
        columns[column] = parse_yyyymmdd(table, column)
    columns["is_modifier"] = [bool(flag) for flag in columns["is_modifier"]]
    uncoded = next((index for index, code in enumerate(columns["code"]) if not code), None)
    if uncoded is not None:
        raise table.fail("row has no HCPCS code (a note under the table, or a shifted column?)",
                         uncoded, "code")
    refuse_duplicates(table, {"code": columns["code"], "is_modifier": columns["is_modifier"]})
    empty = next((index for index, text in enumerate(columns["long_description"])
                  if not text), None)
    if empty is not None:
        raise table.fail("long description is empty", empty, "long_description")
    return Rows({name: columns[name] for name in schema.read_columns("hcpcs_codes")})


# ---- ANWEB workbook ---------------------------------------------------------------------------

def read_hcpcs_xlsx(data: bytes, name: str, layout: Layout) -> Rows:
    """The ANWEB workbook (XLSX or legacy XLS): first sheet, header found by content."""
    return _read_xlsx(data, name, layout).rows


def _read_xlsx(data: bytes, name: str, layout: Layout) -> _Parsed:
    table = locate_table(data, name, layout)
    columns = table.cleaned()
    columns["is_modifier"] = [recid in ("7", "8") or (recid is None
                                                       and _MODIFIER_CELL.match(raw) is not None)
                              for recid, raw in zip(columns["recid"], table.columns["code"])]
    columns["code"] = _upper(columns["code"])
    # XLSX SEQNUM is 4 characters ('0010') where the TXT has 5 ('00100'): keep the TXT form
    # so snapshots read from either form compare equal.
    columns["seq_num"] = [seq + "0" if seq is not None and len(seq) == 4 else seq
                          for seq in columns["seq_num"]]
    notes = [f"{name}: header on row {table.header_line}, no column for "
             f"{', '.join(table.missing)}"] if table.missing else []
    return _Parsed(_finish_codes(Table(name, columns, table.lines, table.header_line, [],
                                       table.unit)), notes)


def cross_check(txt: Rows, xlsx: Rows, txt_name: str, xlsx_name: str) -> list[str]:
    """Differences between the TXT and the workbook of one release, as notes (TXT kept)."""
    left, right = _by_key(txt), _by_key(xlsx)
    notes = []
    if len(txt) != len(xlsx):
        notes.append(f"code count: {txt_name} has {len(txt)}, {xlsx_name} has {len(xlsx)}")
    for only, label in ((left.keys() - right.keys(), txt_name),
                        (right.keys() - left.keys(), xlsx_name)):
        if only:
            notes.append(f"{len(only)} code(s) only in {label}: {_examples(sorted(only))}")
    both = sorted(left.keys() & right.keys())
    for column in DATE_COLUMNS:
        differs = [key for key in both if left[key][column] != right[key][column]]
        if differs:
            notes.append(f"{column}: {len(differs)} code(s) differ between {txt_name} and "
                         f"{xlsx_name} (TXT kept), e.g. {_examples(differs)}")
    return notes


def _by_key(rows: Rows) -> dict[tuple[str, bool], dict[str, Any]]:
    """(code, is_modifier) -> the row."""
    return {(record["code"], record["is_modifier"]): record for record in rows.records()}


def _examples(keys: list[tuple[str, bool]]) -> str:
    shown = ", ".join(code for code, _ in keys[:_CROSS_CHECK_EXAMPLES])
    return shown + (", ..." if len(keys) > _CROSS_CHECK_EXAMPLES else "")


# ---- NOC codes companion and transaction report -----------------------------------------------

def read_noc_codes(data: bytes, name: str, layout: Layout) -> Rows:
    """`NOC codes_<MON><YYYY>.xlsx`: wrapped descriptions (a second row with the same code
    and no dates, as J7192/J7195 in Jul 2025) are folded into one row per code."""
    table = locate_table(data, name, layout)
    if not len(table):  # a NOC list always holds J3590 and its family: the file is broken
        raise BadInput("no NOC codes below the header", file=name, row=table.header_line)
    columns = table.cleaned()
    columns["code"] = _upper(columns["code"])
    heads: list[int] = []  # row index of each code's first row
    texts: list[list[str]] = []  # its description, wrapped rows included
    previous = None  # the last code printed above this row
    for index, code in enumerate(columns["code"]):
        undated = columns["add_date"][index] is None and columns["term_date"][index] is None
        description = columns["long_description"][index] or ""
        if undated and (code is None or code == previous):
            if texts:  # a wrapped row above every code folds into nothing, as it reads
                texts[-1].append(description)
        else:
            heads.append(index)
            texts.append([description])
        previous = code if code is not None else previous
    folded = {name: [values[i] for i in heads] for name, values in columns.items()}
    folded["long_description"] = [" ".join(parts).strip() for parts in texts]
    kept = Table(name, folded, [table.lines[i] for i in heads], table.header_line, [],
                 table.unit)
    for column in ("add_date", "term_date"):
        folded[column] = parse_yyyymmdd(kept, column)
    refuse_duplicates(kept, {"code": folded["code"]})
    return Rows({column: folded[column] for column in schema.read_columns("noc_codes")})


def read_transactions(data: bytes, name: str, layout: Layout) -> Rows:
    """Transaction report: tab-separated TXT (2016) or a workbook whose 'by HCPCS Code' sheet
    (or first sheet with the two columns) lists every code and its type of change."""
    if is_workbook(data):
        names = sheet_names(data, name)
        ordered = sorted(names, key=lambda sheet: "HCPCS" not in header_key(sheet))
        grids = (workbook_grid(data, name, sheet) for sheet in ordered)
    else:
        grids = iter([csv_grid(data, name, delimiter="\t")])
    table = locate_first(grids, layout)
    columns = table.cleaned()
    coded = [index for index, code in enumerate(columns["code"]) if code is not None]
    columns["code"] = _upper(columns["code"])
    return Rows({column: [columns[column][i] for i in coded]
                 for column in schema.read_columns("hcpcs_transactions")})


def _upper(codes: list[str | None]) -> list[str | None]:
    return [code.upper() if code is not None else None for code in codes]


# ---- the zip ----------------------------------------------------------------------------------

def read_hcpcs_zip(path: Path, settings: Settings, kind: "SourceKind") -> KindRead:
    """Read a quarterly alpha-numeric HCPCS zip: members picked by the kind's rules (record
    layout, processing notes, corrections are left alone), TXT authoritative."""
    archive = ReleaseZip(path, settings)
    picks = archive.pick(kind.members)
    if "hcpcs_txt" not in picks:
        require(picks, "hcpcs_xlsx", archive, "ANWEB TXT or XLSX/XLS")
    notes = [pick.note for pick in picks.values() if pick.note]
    main, twin = _anweb_members(picks, notes)
    codes_layout = kind.layouts["hcpcs_codes"]
    data = archive.read(main.member)
    parsed = (_read_txt(data, archive.where(main.member)) if main.table == "hcpcs_txt"
              else _read_xlsx(data, archive.where(main.member), codes_layout))
    check_expected(data, "hcpcs_codes", parsed.rows, archive.where(main.member))
    notes += parsed.notes
    if twin is not None:
        notes += _cross_check_member(archive, parsed.rows, main.member, twin.member,
                                     codes_layout)
    release = KindRead({"hcpcs_codes": TableRows(main.member, parsed.rows)}, notes)
    if "noc_codes" in picks:
        _add_companion(release, archive, picks["noc_codes"].member, "noc_codes",
                       partial(read_noc_codes, layout=kind.layouts["noc_codes"]))
    if "hcpcs_transactions" in picks:
        _add_transactions(release, archive, picks["hcpcs_transactions"].member,
                          kind.layouts["hcpcs_transactions"])
    return release


def _anweb_members(picks: dict[str, Pick], notes: list[str]) -> tuple[Pick, Pick | None]:
    """The ANWEB member to load and its workbook twin to cross-check, if any. The TXT is
    authoritative, but not over a newer version: a zip holding `_v2.txt` beside `_v3.xlsx`
    (CMS left the superseded file in) loads v3, and a TXT and workbook of different versions
    are no twins to cross-check."""
    txt, xlsx = picks.get("hcpcs_txt"), picks.get("hcpcs_xlsx")
    if txt is None or xlsx is None:
        return txt or xlsx, None  # type: ignore[return-value]
    if version_of(txt.member) == version_of(xlsx.member):
        return txt, xlsx
    newer, older = (xlsx, txt) if version_of(xlsx.member) > version_of(txt.member) else (txt, xlsx)
    notes.append(f"hcpcs_codes: chose {newer.member!r}, a newer version than {older.member!r} "
                 "(left out, not cross-checked)")
    return newer, None


def _add_companion(release: KindRead, archive: ReleaseZip, member: str, table: str,
                   reader: Callable[[bytes, str], Rows]) -> None:
    data = archive.read(member)
    rows = reader(data, archive.where(member))
    check_expected(data, table, rows, archive.where(member))
    release.tables[table] = TableRows(member, rows)


def _add_transactions(release: KindRead, archive: ReleaseZip, member: str,
                      layout: Layout) -> None:
    """The transaction report is informational (we diff our own snapshots) and its newer
    workbook layout has not been seen: one we cannot read becomes a note, not a failed load."""
    try:
        _add_companion(release, archive, member, "hcpcs_transactions",
                       partial(read_transactions, layout=layout))
    except BadInput as error:
        release.notes.append(f"transaction report skipped: {error}")


def _cross_check_member(archive: ReleaseZip, txt: Rows, txt_member: str,
                        xlsx_member: str, layout: Layout) -> list[str]:
    """Cross-check against the workbook; a workbook we cannot read is a note, not a failure,
    because the TXT already gave the release."""
    try:
        xlsx = _read_xlsx(archive.read(xlsx_member), archive.where(xlsx_member), layout)
    except BadInput as error:
        return [f"cross-check skipped, workbook unreadable: {error}"]
    return xlsx.notes + cross_check(txt, xlsx.rows, txt_member, xlsx_member)
