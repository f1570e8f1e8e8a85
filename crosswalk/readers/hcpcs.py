"""HCPCS Level II alpha-numeric releases: the ANWEB file (TXT and/or XLSX/XLS), the NOC codes
companion workbook and the transaction report, read from one quarterly zip.

The fixed-width TXT is authoritative; when the zip also ships the workbook it is read and
cross-checked (code count, dates) and differences become notes, because CMS's two forms of
one release do disagree (2016: 115 codes have ACT EFF DT in the TXT only). A release that
ships only the workbook still loads. Frames have exactly the warehouse columns minus
quarter/source_sha256/source_member.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import duckdb
import pandas as pd

from crosswalk import schema, sqlfiles
from crosswalk.errors import BadInput
from crosswalk.source_kind import KindRead, TableRows
from crosswalk.readers.expected import check_expected
from crosswalk.readers.layouts import Layout, header_key
from crosswalk.readers.members import Pick, ReleaseZip, require, version_of
from crosswalk.readers.sheets import (Table, as_text, clean_text, csv_grid, decode_text,
                                      is_workbook, locate_first, locate_table, parse_yyyymmdd,
                                      refuse_duplicates, sheet_names, workbook_grid)
from crosswalk.settings import Settings

if TYPE_CHECKING:
    from crosswalk.source_kind import SourceKind

DATE_COLUMNS = ("add_date", "action_eff_date", "term_date")
_CROSS_CHECK_EXAMPLES = 3
_BLANK = " \t\x0c\x1a"  # spaces, form feed, and the DOS end-of-file mark some old files end with


@dataclass
class _Parsed:
    frame: pd.DataFrame
    notes: list[str]


# ---- ANWEB fixed-width TXT --------------------------------------------------------------------

def read_hcpcs_txt(data: bytes, name: str) -> pd.DataFrame:
    """The fixed-width ANWEB TXT (320-character records, Windows-1252, CRLF or LF)."""
    return _read_txt(data, name).frame


def _read_txt(data: bytes, name: str) -> _Parsed:
    lines = pd.DataFrame({"line": decode_text(data, name).split("\n")})
    lines["line"] = lines["line"].str.removesuffix("\r")
    lines.insert(0, "line_no", range(1, len(lines) + 1))
    con = duckdb.connect()
    try:
        with sqlfiles.registered(con, {"hcpcs_lines": lines}):
            sqlfiles.run_file(con, "readers", "hcpcs_fixed_width")
            codes = con.execute("SELECT * FROM hcpcs_txt_codes").df()
            orphan = con.execute("SELECT line_no, code_field, follows FROM hcpcs_txt_orphans "
                                 "ORDER BY line_no LIMIT 1").fetchone()
            record_lines = con.execute("SELECT line_no FROM hcpcs_txt_records").df()["line_no"]
    finally:
        con.close()
    if orphan is not None:
        raise BadInput(f"continuation record for {orphan[1].strip()!r} does not follow a first "
                       f"record of that code (follows {(orphan[2] or 'nothing').strip()!r})",
                       file=name, row=int(orphan[0]), field="RECID")
    if codes.empty:
        raise BadInput("no HCPCS records (320-character lines with code, SEQNUM and RECID "
                       "in positions 1-11): not an ANWEB TXT", file=name, field="RECID")
    notes = _skipped_lines(lines, record_lines, name)
    table = Table(name, codes, codes.pop("line_no"), 0, [])
    return _Parsed(_finish_codes(table), notes)


def _skipped_lines(lines: pd.DataFrame, record_lines: pd.Series, name: str) -> list[str]:
    """Disclaimer lines before the first record are expected (a note); a non-record line
    between records would silently lose a code, so it is refused."""
    text = lines["line"].str.strip(_BLANK).ne("")
    other = lines[text & ~lines["line_no"].isin(record_lines)]
    inside = other[other["line_no"] > record_lines.min()]
    if not inside.empty:
        first = inside.iloc[0]
        raise BadInput(f"line is not a HCPCS record ({first['line'][:40]!r}...): expected code "
                       "in positions 1-5, SEQNUM 6-10, RECID 3/4/7/8 in 11", file=name,
                       row=int(first["line_no"]), field="record")
    if other.empty:
        return []
    return [f"{name}: skipped {len(other)} non-record line(s) before the first record "
            f"(lines {int(other['line_no'].min())}-{int(other['line_no'].max())}, disclaimer)"]


def _finish_codes(table: Table) -> pd.DataFrame:
    """Dates parsed (naming the line of a bad one), duplicates refused, columns in order."""
    frame = table.frame
    for column in DATE_COLUMNS:
        frame[column] = parse_yyyymmdd(table, column)
    refuse_duplicates(table, frame[["code", "is_modifier"]])
    missing_text = frame["long_description"].isna() | frame["long_description"].eq("")
    if missing_text.any():
        raise table.fail("long description is empty", missing_text.idxmax(), "long_description")
    frame["is_modifier"] = frame["is_modifier"].astype(bool)
    columns = schema.read_columns("hcpcs_codes")
    text = [c for c in columns if c not in DATE_COLUMNS and c != "is_modifier"]
    return as_text(frame.loc[:, list(columns)].reset_index(drop=True), text)


# ---- ANWEB workbook ---------------------------------------------------------------------------

def read_hcpcs_xlsx(data: bytes, name: str, layout: Layout) -> pd.DataFrame:
    """The ANWEB workbook (XLSX or legacy XLS): first sheet, header found by content."""
    return _read_xlsx(data, name, layout).frame


def _read_xlsx(data: bytes, name: str, layout: Layout) -> _Parsed:
    table = locate_table(data, name, layout)
    raw_code = table.frame["code"]
    frame = table.frame.apply(clean_text)
    recid = frame["recid"].fillna("")
    frame["is_modifier"] = recid.isin(["7", "8"]) | (recid.eq("") & raw_code.str.match(r"^ {3}\S"))
    frame["code"] = frame["code"].str.upper()
    # XLSX SEQNUM is 4 characters ('0010') where the TXT has 5 ('00100'): keep the TXT form
    # so snapshots read from either form compare equal.
    frame["seq_num"] = frame["seq_num"].where(frame["seq_num"].str.len() != 4,
                                              frame["seq_num"] + "0")
    for column in DATE_COLUMNS:
        frame[column] = frame[column].fillna("")
    notes = [f"{name}: header on row {table.header_line}, no column for "
             f"{', '.join(table.missing)}"] if table.missing else []
    return _Parsed(_finish_codes(Table(name, frame, table.lines, table.header_line, [],
                                       table.unit)), notes)


def cross_check(txt: pd.DataFrame, xlsx: pd.DataFrame, txt_name: str, xlsx_name: str
                ) -> list[str]:
    """Differences between the TXT and the workbook of one release, as notes (TXT kept)."""
    key = ["code", "is_modifier"]
    both = txt.merge(xlsx, on=key, how="outer", suffixes=("_txt", "_xlsx"), indicator=True)
    notes = []
    if len(txt) != len(xlsx):
        notes.append(f"code count: {txt_name} has {len(txt)}, {xlsx_name} has {len(xlsx)}")
    for side, label in (("left_only", txt_name), ("right_only", xlsx_name)):
        only = both[both["_merge"] == side]
        if not only.empty:
            notes.append(f"{len(only)} code(s) only in {label}: {_examples(only['code'])}")
    matched = both[both["_merge"] == "both"]
    for column in DATE_COLUMNS:
        left, right = matched[f"{column}_txt"], matched[f"{column}_xlsx"]
        differs = ~((left == right) | (left.isna() & right.isna()))
        if differs.any():
            notes.append(f"{column}: {int(differs.sum())} code(s) differ between {txt_name} and "
                         f"{xlsx_name} (TXT kept), e.g. {_examples(matched['code'][differs])}")
    return notes


def _examples(codes: pd.Series) -> str:
    shown = ", ".join(codes.head(_CROSS_CHECK_EXAMPLES))
    return shown + (", ..." if len(codes) > _CROSS_CHECK_EXAMPLES else "")


# ---- NOC codes companion and transaction report -----------------------------------------------

def read_noc_codes(data: bytes, name: str, layout: Layout) -> pd.DataFrame:
    """`NOC codes_<MON><YYYY>.xlsx`: wrapped descriptions (a second row with the same code
    and no dates, as J7192/J7195 in Jul 2025) are folded into one row per code."""
    table = locate_table(data, name, layout)
    if table.frame.empty:  # a NOC list always holds J3590 and its family: the file is broken
        raise BadInput("no NOC codes below the header", file=name, row=table.header_line)
    frame = table.frame.apply(clean_text)
    code = frame["code"].str.upper()
    undated = frame["add_date"].isna() & frame["term_date"].isna()
    continuation = undated & (code.isna() | code.eq(code.ffill().shift()))
    group = (~continuation).cumsum()
    frame["long_description"] = (frame["long_description"].fillna("")
                                 .groupby(group).transform(" ".join).str.strip())
    heads = frame[~continuation].assign(code=code[~continuation])
    for column in ("add_date", "term_date"):
        heads[column] = heads[column].fillna("")
    kept = Table(name, heads, table.lines[~continuation], table.header_line, [], table.unit)
    for column in ("add_date", "term_date"):
        heads[column] = parse_yyyymmdd(kept, column)
    refuse_duplicates(kept, heads[["code"]])
    return as_text(heads.loc[:, list(schema.read_columns("noc_codes"))].reset_index(drop=True),
                   ["code", "long_description"])


def read_transactions(data: bytes, name: str, layout: Layout) -> pd.DataFrame:
    """Transaction report: tab-separated TXT (2016) or a workbook whose 'by HCPCS Code' sheet
    (or first sheet with the two columns) lists every code and its type of change."""
    if is_workbook(data):
        names = sheet_names(data, name)
        ordered = sorted(names, key=lambda sheet: "HCPCS" not in header_key(sheet))
        grids = (workbook_grid(data, name, sheet) for sheet in ordered)
    else:
        grids = iter([csv_grid(data, name, delimiter="\t")])
    table = locate_first(grids, layout)
    frame = table.frame.apply(clean_text)
    frame["code"] = frame["code"].str.upper()
    columns = schema.read_columns("hcpcs_transactions")
    kept = frame.dropna(subset=["code"]).loc[:, list(columns)]
    return as_text(kept.reset_index(drop=True), columns)


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
    check_expected(data, "hcpcs_codes", parsed.frame, archive.where(main.member))
    notes += parsed.notes
    if twin is not None:
        notes += _cross_check_member(archive, parsed.frame, main.member, twin.member,
                                     codes_layout)
    release = KindRead({"hcpcs_codes": TableRows(main.member, parsed.frame)}, notes)
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
                   reader: Callable[[bytes, str], pd.DataFrame]) -> None:
    data = archive.read(member)
    frame = reader(data, archive.where(member))
    check_expected(data, table, frame, archive.where(member))
    release.tables[table] = TableRows(member, frame)


def _add_transactions(release: KindRead, archive: ReleaseZip, member: str,
                      layout: Layout) -> None:
    """The transaction report is informational (we diff our own snapshots) and its newer
    workbook layout has not been seen: one we cannot read becomes a note, not a failed load."""
    try:
        _add_companion(release, archive, member, "hcpcs_transactions",
                       partial(read_transactions, layout=layout))
    except BadInput as error:
        release.notes.append(f"transaction report skipped: {error}")


def _cross_check_member(archive: ReleaseZip, txt: pd.DataFrame, txt_member: str,
                        xlsx_member: str, layout: Layout) -> list[str]:
    """Cross-check against the workbook; a workbook we cannot read is a note, not a failure,
    because the TXT already gave the release."""
    try:
        xlsx = _read_xlsx(archive.read(xlsx_member), archive.where(xlsx_member), layout)
    except BadInput as error:
        return [f"cross-check skipped, workbook unreadable: {error}"]
    return xlsx.notes + cross_check(txt, xlsx.frame, txt_member, xlsx_member)
