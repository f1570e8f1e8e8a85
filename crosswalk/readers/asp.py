"""ASP quarterly files: payment limits, NDC-HCPCS crosswalk, NOC pricing, NOC crosswalk.

Each reader takes the bytes of a section 508 CSV (Windows-1252, title and note rows above the
header) or of its XLSX/XLS twin, and returns a DataFrame with exactly its warehouse table's
columns minus quarter/source_sha256/source_member. The validity window comes from the file's
"Effective <start> through <end>" line, never from the quarter's name: ASP files list a code
quarters after its HCPCS add date, and CMS re-posts revisions under old names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

import pandas as pd

from crosswalk.errors import BadInput
from crosswalk.ndc import normalize_ndc
from crosswalk.readers.layouts import (MEMBER_RULES, NDC_CROSSWALK, NOC_CROSSWALK, NOC_PRICING,
                                       PAYMENT_LIMITS, Layout)
from crosswalk.readers.expected import check_expected
from crosswalk.readers.members import ReleaseZip, require
from crosswalk.readers.sheets import (Table, as_text, clean_text, effective_window, locate,
                                      parse_number, read_grid, refuse_duplicates)
from crosswalk.settings import Settings

_HCPCS_CODE = r"[A-Z0-9]{5}"
_NDC_5_4_2 = r"[0-9]{5}-[0-9]{4}-[0-9]{2}"  # ASCII digits: the form normalize_ndc joins as is
_MARKS = r"[\u00ae\u2122\u00a9\u2120]|\((?:R|TM)\)"  # (R), (TM), (C), (SM) as printed
_NO_LIMIT = ("N/A", "NA")
_AMOUNTS = ("pkg_size", "pkg_qty", "bill_units", "bill_units_pkg")

PAYMENT_LIMIT_COLUMNS = (
    "hcpcs_code", "short_description", "dosage", "payment_limit", "payment_limit_raw",
    "coinsurance_pct", "vaccine_awp_pct", "vaccine_limit", "blood_awp_pct", "blood_limit",
    "clotting_factor", "notes", "effective_start", "effective_end")
NDC_CROSSWALK_COLUMNS = (
    "line_no", "hcpcs_code", "short_description", "labeler_name", "ndc_raw", "ndc11",
    "drug_name", "hcpcs_dosage", *_AMOUNTS, "effective_start", "effective_end")
NOC_PRICING_COLUMNS = ("line_no", "drug_name", "dosage", "payment_limit", "payment_limit_raw",
                       "notes", "effective_start", "effective_end")
NOC_CROSSWALK_COLUMNS = ("line_no", "generic_name", "labeler_name", "ndc_raw", "ndc11",
                         "drug_name", "dosage", *_AMOUNTS, "effective_start", "effective_end")


@dataclass
class AspTable:
    """One ASP file read from its zip: rows, the member read, and the validity window."""

    frame: pd.DataFrame
    member: str
    effective_start: date | None
    effective_end: date | None
    notes: list[str] = field(default_factory=list)


def read_payment_limits(data: bytes, name: str) -> pd.DataFrame:
    """Payment limit file: one row per HCPCS code; 'N/A' limits are NULL with the raw kept."""
    return _read_payment_limits(data, name).frame


def read_ndc_crosswalk(data: bytes, name: str) -> pd.DataFrame:
    """NDC-HCPCS crosswalk: one row per file line; ndc11 only where NDC2 is an NDC."""
    return _read_ndc_crosswalk(data, name).frame


def read_noc_pricing(data: bytes, name: str) -> pd.DataFrame:
    """NOC pricing: limits for drugs billed under NOC codes, keyed by generic (trade) name."""
    return _read_noc_pricing(data, name).frame


def read_noc_crosswalk(data: bytes, name: str) -> pd.DataFrame:
    """NOC NDC crosswalk: NDCs of drugs that have no HCPCS code yet."""
    return _read_noc_crosswalk(data, name).frame


Window = tuple[date | None, date | None]


@dataclass
class _Parsed:
    frame: pd.DataFrame
    window: Window
    notes: list[str]


def _located(data: bytes, name: str, layout: Layout) -> tuple[Table, Window]:
    table = locate(read_grid(data, name), layout)
    return table, effective_window(table.preamble, name)


def _read_payment_limits(data: bytes, name: str) -> _Parsed:
    table, window = _located(data, name, PAYMENT_LIMITS)
    frame = table.frame.apply(clean_text)
    frame["hcpcs_code"] = _hcpcs_codes(table)
    # CMS publishes limits to 3 decimals; the workbook twin holds the unrounded values.
    frame["payment_limit"] = parse_number(table, "payment_limit_raw", _NO_LIMIT).round(3)
    refuse_duplicates(table, frame[["hcpcs_code"]])
    return _Parsed(_finish(frame, window, PAYMENT_LIMIT_COLUMNS), window, table.notes)


def _read_ndc_crosswalk(data: bytes, name: str) -> _Parsed:
    table, window = _located(data, name, NDC_CROSSWALK)
    frame = table.frame.apply(clean_text)
    frame["hcpcs_code"] = _hcpcs_codes(table)
    _identifiers(table, frame)
    return _Parsed(_finish(frame, window, NDC_CROSSWALK_COLUMNS, table), window, table.notes)


def _read_noc_pricing(data: bytes, name: str) -> _Parsed:
    table, window = _located(data, name, NOC_PRICING)
    frame = table.frame.apply(clean_text)
    _require_text(table, frame, "drug_name")
    frame["payment_limit"] = parse_number(table, "payment_limit_raw", _NO_LIMIT).round(3)
    return _Parsed(_finish(frame, window, NOC_PRICING_COLUMNS, table), window, table.notes)


def _read_noc_crosswalk(data: bytes, name: str) -> _Parsed:
    table, window = _located(data, name, NOC_CROSSWALK)
    frame = table.frame.apply(clean_text)
    _require_text(table, frame, "generic_name")
    _identifiers(table, frame)
    return _Parsed(_finish(frame, window, NOC_CROSSWALK_COLUMNS, table), window, table.notes)


def _hcpcs_codes(table: Table) -> pd.Series:
    """Upper-cased 5-character codes; anything else (a footnote row, a shifted column) is
    refused with its line."""
    printed = table.frame["hcpcs_code"].str.strip()
    codes = printed.str.upper()
    bad = ~codes.str.fullmatch(_HCPCS_CODE)
    if bad.any():
        first = bad.idxmax()
        raise table.fail(f"{printed[first]!r} is not a HCPCS code", first, "hcpcs_code")
    return codes


def _require_text(table: Table, frame: pd.DataFrame, column: str) -> None:
    blank = frame[column].isna()
    if blank.any():
        raise table.fail(f"{column} is empty", blank.idxmax(), column)


def _identifiers(table: Table, frame: pd.DataFrame) -> None:
    """ndc_raw as printed, ndc11 where it is an NDC, drug names without marks, amounts."""
    _require_text(table, frame, "ndc_raw")
    frame["ndc11"] = ndc11_of(frame["ndc_raw"])
    frame["drug_name"] = clean_drug_names(frame["drug_name"])
    for column in _AMOUNTS:
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
            table: Table | None = None) -> pd.DataFrame:
    """Add line numbers and the validity window; exactly the table's columns, in order."""
    if table is not None:
        frame["line_no"] = table.lines.astype("int32")
    start, end = window
    frame["effective_start"] = pd.Series(pd.Timestamp(start) if start else pd.NaT,
                                         index=frame.index, dtype="datetime64[s]")
    frame["effective_end"] = pd.Series(pd.Timestamp(end) if end else pd.NaT,
                                       index=frame.index, dtype="datetime64[s]")
    text = [column for column in columns if frame[column].dtype.kind not in "fiMb"]
    return as_text(frame.loc[:, list(columns)].reset_index(drop=True), text)


_READERS: dict[str, Callable[[bytes, str], _Parsed]] = {
    "asp_pricing": _read_payment_limits,
    "asp_crosswalk": _read_ndc_crosswalk,
    "noc_pricing": _read_noc_pricing,
    "noc_crosswalk": _read_noc_crosswalk,
}


def read_asp_zip(path: Path | str, kind: str, settings: Settings | None = None) -> AspTable:
    """Read the `kind` table from a CMS ASP zip: the section 508 CSV when present, else the
    XLSX/XLS twin. Every member access goes through the zip safety checks."""
    if kind not in _READERS:
        raise BadInput(f"unknown ASP source kind {kind!r}; expected one of "
                       f"{', '.join(_READERS)}", field="kind")
    archive = ReleaseZip(path, settings)
    picks = archive.pick(kind)
    pick = require(picks, MEMBER_RULES[kind][0].table, archive, kind.replace("_", " "))
    data = archive.read(pick.member)
    parsed = _READERS[kind](data, archive.where(pick.member))
    check_expected(data, pick.table, parsed.frame, archive.where(pick.member))
    notes = ([pick.note] if pick.note else []) + parsed.notes
    if parsed.window == (None, None):
        notes.append(f"{archive.where(pick.member)}: no 'Effective <start> through <end>' line "
                     "above the header; effective_start/effective_end left empty")
    return AspTable(parsed.frame, pick.member, *parsed.window, notes)
