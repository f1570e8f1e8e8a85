"""Build CMS files in their real layouts, byte for byte where it matters, for tests.

Every helper, reader and loader test builds its fixtures here instead of copying real files
into the repo. The layouts follow ../shared/FORMATS.md and ../shared/data/cms-samples/README.md:

HCPCS alpha-numeric release
- `hcpcs_record(code, seq, recid, long_desc, ...) -> str`: one fixed-width record: 320 chars
  for a first line (RECID 3/7), 91 chars for a continuation (RECID 4/8, not padded, as in 2016).
- `hcpcs_txt(codes, disclaimer=False, wrap="word", line_end="\\r\\n") -> bytes`: the ANWEB TXT,
  Windows-1252, CRLF, long descriptions > 80 chars word-wrapped (or hard-cut with wrap="hard")
  onto continuation records with the next SEQNUM, modifiers as 3 spaces + 2 chars.
- `hcpcs_xlsx(codes, header_row=1, rename=None, blank="", integer_dates=()) -> bytes`: the
  48-column ANWEB workbook, one row per code, SEQNUM 4 chars; `header_row` > 1 puts disclaimer
  rows above the header (2020 had it on row 11), `rename` maps standard header names to drifted
  ones, `blank=None` writes empty cells as None (2016), `integer_dates` lists codes whose date
  cells are integers (Oct 2025 quirk).
- `noc_codes_xlsx(quarter, rows) -> bytes`: the "NOC codes" companion (title B1, header row 3,
  data from row 5, integer dates, long descriptions wrapped onto a second row with no dates).
- `transaction_report_txt(rows) -> bytes`: the tab-separated transaction report (2016).
- `build_hcpcs_zip(quarter, codes, version="v2", with_txt=True, with_xlsx=True, with_noc=True,
  noc_rows=None, disclaimer=False, transactions=None) -> bytes` with real member names.
- `hcpcs_member_name(quarter, version, suffix)`, `noc_member_name(quarter, space=False)`.

ASP files (section 508 CSVs: Windows-1252, CRLF, preamble rows, header found by content)
- `asp_pricing_csv(quarter, rows, effective=None, extra_columns=0) -> bytes` (8 preamble rows,
  header row 9, "N/A" limits, notes, a quoted note may span lines),
  `asp_crosswalk_csv(quarter, rows, code_year=None, pad_columns=0, effective=None) -> bytes`
  (`_YYYY_CODE` header, rows padded with empty columns),
  `noc_pricing_csv(quarter, rows)` (12 preamble rows), `noc_crosswalk_csv(quarter, rows)`
  (9 preamble rows); `asp_pricing_xlsx(...)`/`asp_crosswalk_xlsx(...)` write the same grid as
  a workbook.
- `build_asp_pricing_zip(quarter, rows, posting="091725", with_xlsx=False) -> bytes`,
  `build_asp_crosswalk_zip(quarter, rows, posting=..., code_year=None, pad_columns=0)`,
  `build_noc_pricing_zip(quarter, rows, posting=...)`, `build_noc_crosswalk_zip(...)`,
  and the member-name helpers `asp_member_name(kind, quarter, posting, suffix=".csv")`.

Shared test data
- `sample_release(quarter) -> SampleRelease`: one small, documented data set (NOC codes, the
  rituximab family, Briumvi, Q5120 with its add date != action date, a modifier with a long
  description, a discontinued code) with pricing, crosswalk and NOC rows, so the mirror,
  loader and matching tests share one story. Descriptors are modelled on real CMS ones; the
  prices, NDC package details and labelers are TEST DATA (NDCs have real-format shapes).
- `effective_window(quarter) -> (date, date)`.

Row types are dataclasses (`HcpcsCode`, `AspPrice`, `CrosswalkRow`, `NocCode`, `NocPrice`,
`NocCrosswalkRow`); every builder also accepts plain dicts with the same field names.
"""

from __future__ import annotations

import csv
import io
import textwrap
import zipfile
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any, Iterable, Sequence

from openpyxl import Workbook

from crosswalk.quarters import Quarter

ENCODING = "cp1252"
CRLF = "\r\n"
RECORD_WIDTH = 320
CHUNK = 80

# ---------------------------------------------------------------------------------------------
# HCPCS alpha-numeric file
# ---------------------------------------------------------------------------------------------


@dataclass
class HcpcsCode:
    """One code or modifier of an ANWEB release; field names follow sql/schema hcpcs_codes.

    Dates are `date`, 'YYYYMMDD' strings (written verbatim, so tests can inject bad ones),
    ints, or None (blank). `prices`, `xrefs`, `tos` are up to 4, 5, 5 values.
    """

    code: str
    long_description: str
    short_description: str = ""
    is_modifier: bool = False
    prices: tuple[str, ...] = ()
    multi_pi: str = ""
    statute: str = ""
    xrefs: tuple[str, ...] = ()
    coverage: str = "C"
    asc_group: str = ""
    asc_date: Any = None
    betos: str = ""
    tos: tuple[str, ...] = ()
    anest_bu: str = "  0"
    add_date: Any = None
    action_eff_date: Any = None
    term_date: Any = None
    action_cd: str = "N"

    def __post_init__(self) -> None:
        if not self.short_description:
            self.short_description = self.long_description[:28]


def as_code(item: "HcpcsCode | dict") -> HcpcsCode:
    """Accept a dataclass or a dict with HcpcsCode field names."""
    return item if isinstance(item, HcpcsCode) else HcpcsCode(**item)


def yyyymmdd(value: Any) -> str:
    """The 8-char date field: blank for None, verbatim for strings (so bad dates can be built)."""
    if value is None or value == "":
        return ""
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    return str(value)


def _put(buffer: list[str], begin: int, width: int, value: str) -> None:
    """Write `value` left-justified into 1-based positions begin..begin+width-1."""
    text = str(value)[:width].ljust(width)
    buffer[begin - 1:begin - 1 + width] = list(text)


def _padded(code: str, is_modifier: bool) -> str:
    return f"   {code.strip()}" if is_modifier else code.ljust(5)


def hcpcs_record(code: str, seq: str | int, recid: str | int, long_desc: str,
                 short_desc: str = "", *, is_modifier: bool | None = None,
                 prices: Sequence[str] = (), multi_pi: str = "", statute: str = "",
                 xref: Sequence[str] = (), coverage: str = "", asc_group: str = "",
                 asc_date: Any = None, betos: str = "", tos: Sequence[str] = (),
                 anest_bu: str = "", add_date: Any = None, act_eff_date: Any = None,
                 term_date: Any = None, action_cd: str = "N") -> str:
    """One fixed-width record (no line end): 320 chars for RECID 3/7, 91 for RECID 4/8.

    `seq` is the 5-digit SEQNUM ('00100' or 100); `long_desc` is this record's 80-char chunk.
    """
    recid = str(recid)
    modifier = recid in "78" if is_modifier is None else is_modifier
    seq_text = f"{int(seq):05d}" if isinstance(seq, int) else seq
    head = f"{_padded(code, modifier)}{seq_text:>5}{recid}{long_desc[:CHUNK].ljust(CHUNK)}"
    if recid in "48":
        return head
    buffer = list(head.ljust(RECORD_WIDTH))
    _put(buffer, 92, 28, short_desc)
    for index, price in enumerate(prices[:4]):
        _put(buffer, 120 + 2 * index, 2, price)
    _put(buffer, 128, 1, multi_pi)
    _put(buffer, 171, 10, statute)
    for index, successor in enumerate(xref[:5]):
        _put(buffer, 205 + 5 * index, 5, successor)
    _put(buffer, 230, 1, coverage)
    _put(buffer, 231, 2, asc_group)
    _put(buffer, 233, 8, yyyymmdd(asc_date))
    _put(buffer, 257, 3, betos)
    for index, kind in enumerate(tos[:5]):
        _put(buffer, 261 + index, 1, kind)
    _put(buffer, 266, 3, anest_bu)
    _put(buffer, 269, 8, yyyymmdd(add_date))
    _put(buffer, 277, 8, yyyymmdd(act_eff_date))
    _put(buffer, 285, 8, yyyymmdd(term_date))
    _put(buffer, 293, 1, action_cd)
    return "".join(buffer)


def description_chunks(text: str, wrap: str = "word") -> list[str]:
    """Split a long description into 80-char record chunks.

    wrap="word": at word boundaries within 79 characters, like the real files (2016: every
    chunk that continues ends in at least one space); wrap="hard": cut every 80 characters,
    even mid-word.
    """
    if wrap == "hard":
        return [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]
    return textwrap.wrap(text, CHUNK - 1, break_on_hyphens=False) or [""]


def code_records(item: "HcpcsCode | dict", wrap: str = "word") -> list[str]:
    """The first record and its continuations for one code, SEQNUM 00100, 00200, ..."""
    code = as_code(item)
    chunks = description_chunks(code.long_description, wrap)
    first, more = ("7", "8") if code.is_modifier else ("3", "4")
    records = [hcpcs_record(
        code.code, 100, first, chunks[0], code.short_description, is_modifier=code.is_modifier,
        prices=code.prices, multi_pi=code.multi_pi, statute=code.statute, xref=code.xrefs,
        coverage=code.coverage, asc_group=code.asc_group, asc_date=code.asc_date,
        betos=code.betos, tos=code.tos, anest_bu=code.anest_bu, add_date=code.add_date,
        act_eff_date=code.action_eff_date, term_date=code.term_date, action_cd=code.action_cd)]
    for number, chunk in enumerate(chunks[1:], start=2):
        records.append(hcpcs_record(code.code, 100 * number, more, chunk,
                                    is_modifier=code.is_modifier))
    return records


DISCLAIMER_LINES = (
    "CPT codes, descriptions and other data only are copyright 2019 American Medical",
    "Association. All rights reserved. Applicable FARS/DFARS apply.",
    "",
    "This file contains the Level II alpha-numeric HCPCS procedure and modifier codes.",
    "",
)


def sort_key(item: HcpcsCode) -> tuple[int, str]:
    """CMS order: modifiers first (their code starts with spaces), then codes."""
    return (0 if item.is_modifier else 1, item.code)


def hcpcs_txt(codes: Iterable["HcpcsCode | dict"], disclaimer: bool = False,
              wrap: str = "word", line_end: str = CRLF, trailing_blank: bool = True) -> bytes:
    """The ANWEB fixed-width TXT in Windows-1252; the 2016 file ends with one empty line."""
    ordered = sorted((as_code(item) for item in codes), key=sort_key)
    lines = list(DISCLAIMER_LINES) if disclaimer else []
    for item in ordered:
        lines.extend(code_records(item, wrap))
    text = line_end.join(lines) + line_end + (line_end if trailing_blank else "")
    return text.encode(ENCODING)


XLSX_HEADER = (
    ["HCPC", "SEQNUM", "RECID", "LONG DESCRIPTION", "SHORT DESCRIPTION"]
    + [f"PRICE{i}" for i in range(1, 5)] + ["MULT_PI"]
    + [f"CIM{i}" for i in range(1, 4)] + [f"MCM{i}" for i in range(1, 4)] + ["STATUTE"]
    + [f"LABCERT{i}" for i in range(1, 9)] + [f"XREF{i}" for i in range(1, 6)]
    + ["COV", "ASC_GRP", "ASC_DT", "OPPS", "OPPS_PI", "OPPS_DT", "PROCNOTE", "BETOS"]
    + [f"TOS{i}" for i in range(1, 6)]
    + ["ANEST_BU", "ADD DT", "ACT EFF DT", "TERM DT", "ACTION CD"]
)


def _spread(values: Sequence[str], prefix: str, count: int) -> dict[str, str]:
    return {f"{prefix}{i + 1}": (values[i] if i < len(values) else "") for i in range(count)}


def xlsx_row(item: "HcpcsCode | dict", blank: Any = "", integer_dates: bool = False) -> list:
    """One 48-column ANWEB row: full long description in one cell, SEQNUM '0010'."""
    code = as_code(item)

    def when(value: Any) -> Any:
        text = yyyymmdd(value)
        return int(text) if integer_dates and text.isdigit() else text

    cells: dict[str, Any] = {
        "HCPC": _padded(code.code, code.is_modifier).rstrip(),
        "SEQNUM": "0010", "RECID": "7" if code.is_modifier else "3",
        "LONG DESCRIPTION": code.long_description, "SHORT DESCRIPTION": code.short_description,
        **_spread(code.prices, "PRICE", 4), "MULT_PI": code.multi_pi, "STATUTE": code.statute,
        **_spread(code.xrefs, "XREF", 5), "COV": code.coverage, "ASC_GRP": code.asc_group,
        "ASC_DT": yyyymmdd(code.asc_date), "BETOS": code.betos, **_spread(code.tos, "TOS", 5),
        "ANEST_BU": code.anest_bu, "ADD DT": when(code.add_date),
        "ACT EFF DT": when(code.action_eff_date), "TERM DT": when(code.term_date),
        "ACTION CD": code.action_cd,
    }
    row = [cells.get(name, "") for name in XLSX_HEADER]
    return [blank if value == "" else value for value in row]


def _workbook_bytes(sheet_name: str, rows: Iterable[Sequence[Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name)
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def hcpcs_xlsx(codes: Iterable["HcpcsCode | dict"], header_row: int = 1,
               rename: dict[str, str] | None = None, blank: Any = "",
               integer_dates: Iterable[str] = (), sheet_name: str = "HCPC_ANWEB") -> bytes:
    """The ANWEB workbook: header on `header_row` (rows above hold disclaimer text)."""
    rename = rename or {}
    integer_codes = set(integer_dates)
    above = [[line] for line in DISCLAIMER_LINES] + [[""]] * header_row
    rows: list[Sequence[Any]] = above[:header_row - 1]
    rows.append([rename.get(name, name) for name in XLSX_HEADER])
    for item in sorted((as_code(c) for c in codes), key=sort_key):
        rows.append(xlsx_row(item, blank, item.code in integer_codes))
    return _workbook_bytes(sheet_name, rows)


@dataclass
class NocCode:
    """One row of the NOC codes companion workbook."""

    code: str
    long_description: str
    add_date: Any = None
    term_date: Any = None


def noc_codes_xlsx(quarter: "Quarter | str", rows: Iterable["NocCode | dict"],
                   wrap_at: int = 80) -> bytes:
    """`NOC codes_<MON><YYYY>.xlsx`: title B1, header row 3, data from row 5, integer dates.

    Descriptions longer than `wrap_at` continue on the next row with the same code and no
    dates (J7192/J7195 in Jul 2025).
    """
    quarter = Quarter.parse(quarter)
    grid: list[list[Any]] = [["", f"NOC CODES - HCPCS {quarter.year}", "", ""], ["", "", "", ""],
                             ["HCPCS", "LONG DESCRIPTION", "ADD DATE", "TERM DATE"],
                             ["", "", "", ""]]
    for item in rows:
        noc = item if isinstance(item, NocCode) else NocCode(**item)
        pieces = textwrap.wrap(noc.long_description, wrap_at) or [""]
        add, term = yyyymmdd(noc.add_date), yyyymmdd(noc.term_date)
        grid.append([noc.code, pieces[0], int(add) if add else "", int(term) if term else ""])
        grid.extend([noc.code, piece, "", ""] for piece in pieces[1:])
    return _workbook_bytes(f"NOC_codes_{quarter.month_code}{quarter.year}", grid)


def transaction_report_txt(rows: Iterable[tuple[str, str]]) -> bytes:
    """2016-style transaction report: tab-separated, header line, CRLF."""
    lines = ["HCPCS/Modifier Code\tType of Change"] + [f"{code}\t{change}" for code, change in rows]
    return (CRLF.join(lines) + CRLF).encode(ENCODING)


def hcpcs_member_name(quarter: "Quarter | str", version: str | None = "v2",
                      suffix: str = ".txt") -> str:
    """HCPC2025_OCT_ANWEB_v2.txt; version None -> no suffix; '12172024' -> date suffix."""
    quarter = Quarter.parse(quarter)
    tail = f"_{version}" if version else ""
    return f"HCPC{quarter.year}_{quarter.month_code}_ANWEB{tail}{suffix}"


def noc_member_name(quarter: "Quarter | str", space: bool = False) -> str:
    """`NOC codes_OCT2025.xlsx` (or `NOC codes_APR 2024.xlsx` with space=True)."""
    quarter = Quarter.parse(quarter)
    return f"NOC codes_{quarter.month_code}{' ' if space else ''}{quarter.year}.xlsx"


RECORD_LAYOUT_TEXT = (
    "\r\n  CMS RIF REPORT\r\n  AS OF: 10/31/2023\r\n\r\n\r\n"
    "       NAME                   LENGTH   BEG  END\r\n"
    "  ***  HCPCS Contractor Record\r\n                               320      1    320    REC\r\n"
)


def build_zip(members: dict[str, bytes]) -> bytes:
    """A deflated zip holding `members` in the given order."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return out.getvalue()


def build_hcpcs_zip(quarter: "Quarter | str", codes: Sequence["HcpcsCode | dict"],
                    version: str | None = "v2", with_txt: bool = True, with_xlsx: bool = True,
                    with_noc: bool = True, noc_rows: Iterable["NocCode | dict"] | None = None,
                    disclaimer: bool = False,
                    transactions: Iterable[tuple[str, str]] | None = None,
                    xlsx_options: dict[str, Any] | None = None) -> bytes:
    """The quarterly alpha-numeric HCPCS zip with CMS's member names.

    Members: HCPC<YYYY>_<MON>_ANWEB_<version>.txt/.xlsx, NOC codes_<MON><YYYY>.xlsx,
    HCPC<YYYY>_recordlayout.txt, proc_notes_<MON><YYYY>.txt, and optionally
    HCPC<YYYY>_<MON>_Transreport_ANWEB_<version>.txt. NOC rows default to the NOC codes
    among `codes` (J3590, J3490, J9999, C9399, J7999).
    """
    quarter = Quarter.parse(quarter)
    members: dict[str, bytes] = {}
    if with_txt:
        members[hcpcs_member_name(quarter, version)] = hcpcs_txt(codes, disclaimer=disclaimer)
    if with_xlsx:
        members[hcpcs_member_name(quarter, version, ".xlsx")] = hcpcs_xlsx(
            codes, **(xlsx_options or {}))
    if with_noc:
        rows = noc_rows if noc_rows is not None else noc_rows_from(codes)
        members[noc_member_name(quarter)] = noc_codes_xlsx(quarter, rows)
    if transactions is not None:
        name = hcpcs_member_name(quarter, version, ".txt").replace("_ANWEB", "_Transreport_ANWEB")
        members[name] = transaction_report_txt(transactions)
    members[f"HCPC{quarter.year}_recordlayout.txt"] = RECORD_LAYOUT_TEXT.encode(ENCODING)
    members[f"proc_notes_{quarter.month_code}{quarter.year}.txt"] = (
        "Processing notes for the alpha-numeric HCPCS file.\r\n").encode(ENCODING)
    return build_zip(members)


NOC_CODES = ("J3590", "J3490", "J9999", "C9399", "J7999")


def noc_rows_from(codes: Iterable["HcpcsCode | dict"]) -> list[NocCode]:
    """NOC companion rows for the NOC codes present in a release."""
    return [NocCode(c.code, c.long_description, c.add_date, c.term_date)
            for c in map(as_code, codes) if c.code in NOC_CODES]


# ---------------------------------------------------------------------------------------------
# ASP files
# ---------------------------------------------------------------------------------------------


def effective_window(quarter: "Quarter | str") -> tuple[date, date]:
    """The release's nominal validity window: first to last day of the quarter."""
    quarter = Quarter.parse(quarter)
    return quarter.first_day, quarter.last_day


def long_date(day: date) -> str:
    """'October 1, 2025' as in the preamble line."""
    return f"{day:%B} {day.day}, {day.year}"


def effective_line(quarter: "Quarter | str", effective: tuple[date, date] | None) -> str:
    start, end = effective or effective_window(quarter)
    return f"Effective {long_date(start)} through {long_date(end)}"


def _csv_bytes(rows: Iterable[Sequence[Any]], width: int) -> bytes:
    """Rows padded to `width` fields, minimal quoting, CRLF, Windows-1252."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=CRLF)
    for row in rows:
        cells = ["" if value is None else str(value) for value in row]
        writer.writerow(cells + [""] * (width - len(cells)))
    return out.getvalue().encode(ENCODING)


@dataclass
class AspPrice:
    """One payment-limit row; `payment_limit` is printed as given ('N/A' allowed)."""

    hcpcs_code: str
    short_description: str
    dosage: str
    payment_limit: str
    coinsurance_pct: str = "20.000"
    vaccine_awp_pct: str = ""
    vaccine_limit: str = ""
    blood_awp_pct: str = ""
    blood_limit: str = ""
    clotting_factor: str = ""
    notes: str = ""


PRICING_HEADER = ["HCPCS Code", "Short Description", "HCPCS Code Dosage", "Payment Limit",
                  "Co-insurance Percentage", "Vaccine AWP%", "Vaccine Limit", "Blood AWP%",
                  "Blood limit", "Clotting Factor", "Notes"]


def _values(item: Any, kind: type) -> list[str]:
    record = item if isinstance(item, kind) else kind(**item)
    return [getattr(record, f.name) for f in fields(kind)]


def asp_data_quarter(quarter: "Quarter | str") -> str:
    """'2Q25': the ASP data quarter two quarters before the payment quarter."""
    source = Quarter.parse(quarter).previous().previous()
    return f"{source.number}Q{source.year % 100:02d}"


def pricing_grid(quarter: "Quarter | str", rows: Iterable["AspPrice | dict"],
                 effective: tuple[date, date] | None = None) -> list[list[str]]:
    """Preamble (8 rows), header (row 9), then one row per code."""
    preamble = [
        ["Payment Allowance Limits for Medicare Part B Drugs"], [],
        [effective_line(quarter, effective)], [],
        [f"Note 1: Payment allowance limits subject to the ASP methodology are based on "
         f"{asp_data_quarter(quarter)} ASP data."],
        ["Note 2: The absence or presence of a HCPCS code and the payment allowance limits in "
         "this table does not indicate whether Medicare covers a drug.  These determinations "
         "shall be made by the local Medicare contractor processing the claim."], [], []]
    return preamble + [PRICING_HEADER] + [_values(row, AspPrice) for row in rows]


def asp_pricing_csv(quarter: "Quarter | str", rows: Iterable["AspPrice | dict"],
                    effective: tuple[date, date] | None = None, extra_columns: int = 0) -> bytes:
    """The section 508 payment limit CSV (11 fields per row + `extra_columns` empty ones)."""
    return _csv_bytes(pricing_grid(quarter, rows, effective), 11 + extra_columns)


@dataclass
class CrosswalkRow:
    """One NDC-HCPCS crosswalk row; numbers are printed as given."""

    hcpcs_code: str
    short_description: str
    labeler_name: str
    ndc: str
    drug_name: str
    hcpcs_dosage: str
    pkg_size: Any = 1
    pkg_qty: Any = 1
    bill_units: Any = 1
    bill_units_pkg: Any = 1


CROSSWALK_TEXT = (
    "The ASP crosswalks are maintained by the Division of Data Analysis and Market Based Pricing "
    "to support ASP-based Medicare Part B payments only. The crosswalks are intended to help the "
    "public understand which drug products (identified by NDCs) are assigned to which HCPCS "
    "billing codes. Comments on the file may be sent to sec303aspdata@cms.hhs.gov.")


def crosswalk_grid(quarter: "Quarter | str", rows: Iterable["CrosswalkRow | dict"],
                   code_year: int | None = None,
                   effective: tuple[date, date] | None = None) -> list[list[Any]]:
    """Preamble (8 rows), `_YYYY_CODE` header (row 9), then the rows."""
    quarter = Quarter.parse(quarter)
    year = code_year or quarter.year
    preamble = [[f"{quarter.month_name} {quarter.year} ASP NDC - HCPCS Crosswalk for Medicare "
                 "Part B Drugs"], [f"     {effective_line(quarter, effective)}"], [],
                [CROSSWALK_TEXT], [], [], [], []]
    header = [f"_{year}_CODE", "Short Description", "LABELER NAME", "NDC2", "Drug Name",
              "HCPCS dosage", "PKG SIZE", "PKG QTY", "BILLUNITS", "BILLUNITSPKG"]
    return preamble + [header] + [_values(row, CrosswalkRow) for row in rows]


def asp_crosswalk_csv(quarter: "Quarter | str", rows: Iterable["CrosswalkRow | dict"],
                      code_year: int | None = None, pad_columns: int = 0,
                      effective: tuple[date, date] | None = None) -> bytes:
    """The section 508 crosswalk CSV: 10 fields + `pad_columns` empty ones (240 in 2025)."""
    return _csv_bytes(crosswalk_grid(quarter, rows, code_year, effective), 10 + pad_columns)


@dataclass
class NocPrice:
    """One NOC pricing row (third-party described layout)."""

    drug_name: str
    dosage: str
    payment_limit: str
    notes: str = ""


def noc_pricing_grid(quarter: "Quarter | str", rows: Iterable["NocPrice | dict"],
                     effective: tuple[date, date] | None = None) -> list[list[Any]]:
    """12 preamble rows, header on row 13."""
    preamble = [["Payment Allowance Limits for Medicare Part B Drugs: Not Otherwise Classified "
                 "(NOC)"], [], [effective_line(quarter, effective)], [],
                ["Note: NOC payment allowance limits are provided for drugs and biologicals that "
                 "do not have a HCPCS code."], [], [], [], [], [], [], []]
    header = ["Drug Generic Name (Trade Name)", "Dosage", "Payment Limit", "Notes"]
    return preamble + [header] + [_values(row, NocPrice) for row in rows]


def noc_pricing_csv(quarter: "Quarter | str", rows: Iterable["NocPrice | dict"],
                    effective: tuple[date, date] | None = None) -> bytes:
    return _csv_bytes(noc_pricing_grid(quarter, rows, effective), 4)


@dataclass
class NocCrosswalkRow:
    """One NOC NDC crosswalk row (third-party described layout)."""

    generic_name: str
    labeler_name: str
    ndc: str
    drug_name: str
    dosage: str
    pkg_size: Any = 1
    pkg_qty: Any = 1
    bill_units: Any = 1
    bill_units_pkg: Any = 1


def noc_crosswalk_grid(quarter: "Quarter | str", rows: Iterable["NocCrosswalkRow | dict"],
                       effective: tuple[date, date] | None = None) -> list[list[Any]]:
    """9 preamble rows, header on row 10."""
    quarter = Quarter.parse(quarter)
    preamble = [[f"{quarter.month_name} {quarter.year} ASP NOC NDC - HCPCS Crosswalk"],
                [f"     {effective_line(quarter, effective)}"], [], [CROSSWALK_TEXT],
                [], [], [], [], []]
    header = ["Drug Generic Name", "LABELER NAME", "NDC or ALTERNATE ID", "Drug Name", "Dosage",
              "PKG SIZE", "PKG QTY", "BILLUNITS", "BILLUNITSPKG"]
    return preamble + [header] + [_values(row, NocCrosswalkRow) for row in rows]


def noc_crosswalk_csv(quarter: "Quarter | str", rows: Iterable["NocCrosswalkRow | dict"],
                      effective: tuple[date, date] | None = None) -> bytes:
    return _csv_bytes(noc_crosswalk_grid(quarter, rows, effective), 9)


def grid_xlsx(grid: Iterable[Sequence[Any]], sheet_name: str = "Sheet1") -> bytes:
    """Any of the grids above as a workbook (the .xlsx twin of a 508 CSV)."""
    return _workbook_bytes(sheet_name, grid)


def asp_pricing_xlsx(quarter: "Quarter | str", rows: Iterable["AspPrice | dict"],
                     effective: tuple[date, date] | None = None) -> bytes:
    return grid_xlsx(pricing_grid(quarter, rows, effective))


def asp_crosswalk_xlsx(quarter: "Quarter | str", rows: Iterable["CrosswalkRow | dict"],
                       code_year: int | None = None) -> bytes:
    return grid_xlsx(crosswalk_grid(quarter, rows, code_year))


ASP_TITLES = {"asp_pricing": "ASP Pricing File", "asp_crosswalk": "ASP NDC-HCPCS Crosswalk",
              "noc_pricing": "ASP NOC Pricing File", "noc_crosswalk": "ASP NOC NDC-HCPCS Crosswalk"}


def asp_member_name(kind: str, quarter: "Quarter | str", posting: str,
                    suffix: str = ".csv") -> str:
    """`section 508 version of October 2025 ASP Pricing File 091725.csv`; the legacy twin
    (suffix .xlsx/.xls) is `October 2025 ASP Pricing File 091725.xlsx`."""
    quarter = Quarter.parse(quarter)
    stem = f"{quarter.month_name} {quarter.year} {ASP_TITLES[kind]} {posting}"
    return f"section 508 version of {stem}{suffix}" if suffix == ".csv" else f"{stem}{suffix}"


def default_posting(quarter: "Quarter | str") -> str:
    """MMDDYY about two weeks before the quarter starts (CMS posts mid-month before)."""
    first = Quarter.parse(quarter).first_day
    month, year = (12, first.year - 1) if first.month == 1 else (first.month - 1, first.year)
    return f"{month:02d}17{year % 100:02d}"


def build_asp_pricing_zip(quarter: "Quarter | str", rows: Iterable["AspPrice | dict"],
                          posting: str | None = None, with_xlsx: bool = False,
                          effective: tuple[date, date] | None = None) -> bytes:
    """ASP pricing zip: the 508 CSV (and optionally the .xlsx twin listed first, as CMS)."""
    rows = list(rows)
    posting = posting or default_posting(quarter)
    members = {}
    if with_xlsx:
        members[asp_member_name("asp_pricing", quarter, posting, ".xlsx")] = asp_pricing_xlsx(
            quarter, rows, effective)
    members[asp_member_name("asp_pricing", quarter, posting)] = asp_pricing_csv(
        quarter, rows, effective)
    return build_zip(members)


def build_asp_crosswalk_zip(quarter: "Quarter | str", rows: Iterable["CrosswalkRow | dict"],
                            posting: str | None = None, code_year: int | None = None,
                            pad_columns: int = 0, with_xlsx: bool = False) -> bytes:
    """ASP NDC-HCPCS crosswalk zip with the 508 CSV (and optionally the xlsx twin)."""
    rows = list(rows)
    posting = posting or default_posting(quarter)
    members = {}
    if with_xlsx:
        members[asp_member_name("asp_crosswalk", quarter, posting, ".xlsx")] = (
            asp_crosswalk_xlsx(quarter, rows, code_year))
    members[asp_member_name("asp_crosswalk", quarter, posting)] = asp_crosswalk_csv(
        quarter, rows, code_year, pad_columns)
    return build_zip(members)


def build_noc_pricing_zip(quarter: "Quarter | str", rows: Iterable["NocPrice | dict"],
                          posting: str | None = None) -> bytes:
    posting = posting or default_posting(quarter)
    return build_zip({asp_member_name("noc_pricing", quarter, posting):
                      noc_pricing_csv(quarter, rows)})


def build_noc_crosswalk_zip(quarter: "Quarter | str", rows: Iterable["NocCrosswalkRow | dict"],
                            posting: str | None = None) -> bytes:
    posting = posting or default_posting(quarter)
    return build_zip({asp_member_name("noc_crosswalk", quarter, posting):
                      noc_crosswalk_csv(quarter, rows)})


# ---------------------------------------------------------------------------------------------
# One shared, documented test data set
# ---------------------------------------------------------------------------------------------


def _drug(code: str, long_description: str, short: str, added: date,
          action_eff_date: date | None = None, **admin: Any) -> HcpcsCode:
    """A drug code with the administrative fields drug codes carry in the real files."""
    fields_ = {"prices": ("51",), "multi_pi": "A", "betos": "O1E", "tos": ("1", "P"), **admin}
    return HcpcsCode(code, long_description, short, add_date=added,
                     action_eff_date=action_eff_date or added, **fields_)


# Descriptors modelled on the real CMS ones; dates are the real add dates where known.
SAMPLE_CODES: tuple[HcpcsCode, ...] = (
    _drug("J3590", "Unclassified biologics", "Unclassified biologics", date(2003, 1, 1)),
    _drug("J3490", "Unclassified drugs", "Drugs unclassified injection", date(1997, 1, 1)),
    _drug("J9999", "Not otherwise classified, antineoplastic drugs", "Chemotherapy drug",
          date(1990, 1, 1)),
    _drug("C9399", "Unclassified drugs or biologicals", "Unclassified drugs or biolog",
          date(2003, 7, 1), prices=("51",)),
    _drug("J7999", "Compounded drug, not otherwise classified", "Compounded drug, noc",
          date(2015, 1, 1)),
    _drug("J9312", "Injection, rituximab, 10 mg", "Inj rituximab 10 mg", date(2019, 1, 1)),
    _drug("Q5115", "Injection, rituximab-abbs, biosimilar, (truxima), 10 mg",
          "Inj truxima 10 mg", date(2019, 7, 1)),
    _drug("Q5119", "Injection, rituximab-pvvr, biosimilar, (ruxience), 10 mg",
          "Inj ruxience 10 mg", date(2019, 7, 1)),
    _drug("Q5123", "Injection, rituximab-arrx, biosimilar, (riabni), 10 mg",
          "Inj riabni 10 mg", date(2020, 7, 1)),
    _drug("Q5120", "Injection, pegfilgrastim-bmez (ziextenzo), biosimilar, 0.5 mg",
          "Inj pegfilgrastim-bmez 0.5mg", date(2020, 7, 1), action_eff_date=date(2023, 4, 1),
          asc_group="YY", asc_date=date(2020, 7, 1)),
    _drug("J2329", "Injection, ublituximab-xiiy, 1 mg", "Inj ublituximab-xiiy 1 mg",
          date(2023, 10, 1)),
    _drug("C9088", "Instillation, bupivacaine and meloxicam, 1 mg/0.03 mg",
          "Instill, bupivac and meloxic", date(2022, 1, 1), prices=("53",), statute="1833(t)",
          tos=("9", "F"), action_eff_date=date(2025, 10, 1), term_date=date(2025, 9, 30),
          action_cd="D"),
    HcpcsCode("L6034", "Partial hand, finger, and thumb prosthesis without prosthetic "
              "digit(s)/thumb, amputation at transmetacarpal level, including flexible or "
              "non-flexible interface, molded to patient model, for use without external power "
              "and/or passive prosthetic digit/thumb, not including inserts described by l6692",
              "Part hand finger distal amp", prices=("38",), multi_pi="A", betos="D1F",
              tos=("P",), add_date=date(2025, 10, 1), action_eff_date=date(2025, 10, 1),
              action_cd="A"),
    HcpcsCode("JW", "Drug amount discarded/not administered to any patient",
              "Drug amt discarded/not adm", is_modifier=True, anest_bu="",
              add_date=date(2010, 1, 1), action_eff_date=date(2010, 1, 1)),
    HcpcsCode("JG", "Drug or biological acquired with 340b drug pricing program discount, "
              "reportable for informational purposes", "340b acquired drug",
              is_modifier=True, anest_bu="", add_date=date(2018, 1, 1),
              action_eff_date=date(2018, 1, 1)),
)

# NDCs below have real shapes (5-4-2, one 4-4-2, a UPC, a free-form ID); package details,
# labeler spellings and all prices are TEST DATA.
SAMPLE_CROSSWALK: tuple[CrosswalkRow, ...] = (
    CrosswalkRow("J2329", "Inj ublituximab-xiiy 1 mg", "TG Therapeutics, Inc.", "73150-0150-06",
                 "Briumvi\xa0", "1 MG", 6, 1, 150, 150),
    CrosswalkRow("J9312", "Inj rituximab 10 mg", "Genentech, Inc.", "50242-0051-21",
                 "Rituxan\xae ", "10 MG", 10, 1, 10, 10),
    CrosswalkRow("J9312", "Inj rituximab 10 mg", "Genentech, Inc.", "50242-0053-06",
                 "Rituxan\xae ", "10 MG", 50, 1, 50, 50),
    CrosswalkRow("Q5115", "Inj truxima 10 mg", "Teva Pharmaceuticals USA, Inc.",
                 "63459-0103-10", "Truxima", "10 MG", 10, 1, 10, 10),
    CrosswalkRow("Q5119", "Inj ruxience 10 mg", "Pfizer Laboratories Div Pfizer Inc",
                 "0069-0238-01", "Ruxience\u2122", "10 MG", 10, 1, 10, 10),
    CrosswalkRow("Q5123", "Inj riabni 10 mg", "Amgen Inc", "55513-0224-01", "RIABNI",
                 "10 MG", 10, 1, 10, 10),
    CrosswalkRow("Q5120", "Inj pegfilgrastim-bmez 0.5mg", "Sandoz Inc", "61314-0866-01",
                 "Ziextenzo", "0.5 MG", 0.6, 1, 12, 12),
    CrosswalkRow("Q4101", "Apligraf per sq cm", "Organogenesis Inc", "GG100", "Apligraf",
                 "1 SQ CM", 44, 1, 44, 44),
    CrosswalkRow("J9312", "Inj rituximab 10 mg", "Genentech, Inc.", "350242005121",
                 "Rituxan", "10 MG", 10, 1, 10, 10),
)

SAMPLE_PRICING: tuple[AspPrice, ...] = (
    AspPrice("90371", "Hep b ig im", "1 ML", "134.194"),
    AspPrice("A9606", "Radium ra223 dichloride ther", "1 microCurie", "N/A",
             notes="microCurie 100% AWP = $202.82\nmicroCurie 100% WAC = $169.02"),
    AspPrice("J2329", "Inj ublituximab-xiiy 1 mg", "1 MG", "66.512"),
    AspPrice("J9312", "Inj rituximab 10 mg", "10 MG", "94.270"),
    AspPrice("Q5115", "Inj truxima 10 mg", "10 MG", "46.116"),
    AspPrice("Q5119", "Inj ruxience 10 mg", "10 MG", "39.310",
             notes="8% of reference add-on applied"),
    AspPrice("Q5120", "Inj pegfilgrastim-bmez 0.5mg", "0.5 MG", "95.233"),
    AspPrice("Q5123", "Inj riabni 10 mg", "10 MG", "48.075",
             notes="Inflation-adjusted coinsurance"),
)

SAMPLE_NOC_PRICING: tuple[NocPrice, ...] = (
    NocPrice("Ublituximab-xiiy (Briumvi)", "1 MG", "66.512"),
    NocPrice("Imetelstat (Rytelo)", "1 MG", "N/A",
             notes="The payment allowance for this drug will be determined by the MAC."),
)

SAMPLE_NOC_CROSSWALK: tuple[NocCrosswalkRow, ...] = (
    NocCrosswalkRow("Ublituximab-xiiy", "TG Therapeutics, Inc.", "73150-0150-06", "Briumvi",
                    "1 MG", 6, 1, 150, 150),
    NocCrosswalkRow("Imetelstat", "Geron Corporation", "81457-0118-01", "Rytelo", "1 MG",
                    47, 1, 47, 47),
)


@dataclass
class SampleRelease:
    """One quarter of the shared test data set, ready for the builders above."""

    quarter: Quarter
    codes: list[HcpcsCode]
    noc_codes: list[NocCode]
    pricing: list[AspPrice]
    crosswalk: list[CrosswalkRow]
    noc_pricing: list[NocPrice] = field(default_factory=list)
    noc_crosswalk: list[NocCrosswalkRow] = field(default_factory=list)

    def zips(self) -> dict[str, bytes]:
        """source kind -> zip bytes for this quarter (default member names and postings)."""
        return {
            "hcpcs": build_hcpcs_zip(self.quarter, self.codes, noc_rows=self.noc_codes),
            "asp_pricing": build_asp_pricing_zip(self.quarter, self.pricing),
            "asp_crosswalk": build_asp_crosswalk_zip(self.quarter, self.crosswalk),
            "noc_pricing": build_noc_pricing_zip(self.quarter, self.noc_pricing),
            "noc_crosswalk": build_noc_crosswalk_zip(self.quarter, self.noc_crosswalk),
        }


def _as_of(code: HcpcsCode, quarter: Quarter) -> HcpcsCode | None:
    """The code as the `quarter` release would print it, or None before it existed.

    ACTION CD A in the quarter of the add date, D in the quarter after the termination date
    (the termination itself appears only from then on), N otherwise; an action effective date
    after the quarter falls back to the add date.
    """
    if isinstance(code.add_date, date) and code.add_date > quarter.last_day:
        return None
    shown = replace(code, action_cd="N")
    if isinstance(code.action_eff_date, date) and code.action_eff_date > quarter.last_day:
        shown = replace(shown, action_eff_date=code.add_date)
    if code.term_date and code.term_date >= quarter.first_day:
        return replace(shown, term_date=None)
    if code.term_date and Quarter.containing(code.term_date).next() == quarter:
        return replace(shown, action_cd="D")
    if isinstance(code.add_date, date) and code.add_date >= quarter.first_day:
        return replace(shown, action_cd="A")
    return shown


def sample_release(quarter: "Quarter | str" = "2025Q4") -> SampleRelease:
    """The shared data set as the given quarter's CMS files would show it.

    Codes appear from the quarter of their add date (J2329 from 2023Q4, L6034 in 2025Q4 with
    ACTION CD A); C9088 is discontinued (TERM DT 2025-09-30, ACTION CD D from 2025Q4 on);
    pricing and crosswalk rows exist only for codes present in the release. The NOC pricing
    and crosswalk list Briumvi only before J2329 existed.
    """
    quarter = Quarter.parse(quarter)
    codes = [c for c in (_as_of(code, quarter) for code in SAMPLE_CODES) if c is not None]
    present = {c.code for c in codes}
    noc_before = quarter < Quarter(2023, 4)
    return SampleRelease(
        quarter=quarter, codes=codes, noc_codes=noc_rows_from(codes),
        pricing=[p for p in SAMPLE_PRICING if p.hcpcs_code in present or p.hcpcs_code[0] in "9A"],
        crosswalk=[r for r in SAMPLE_CROSSWALK if r.hcpcs_code in present | {"Q4101"}],
        noc_pricing=[p for p in SAMPLE_NOC_PRICING if noc_before or "Briumvi" not in p.drug_name],
        noc_crosswalk=[r for r in SAMPLE_NOC_CROSSWALK if noc_before or r.drug_name != "Briumvi"],
    )
