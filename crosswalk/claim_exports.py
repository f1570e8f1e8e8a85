"""Claim-line exports (CSV or XLSX) read into claim lines, by the drug list's reading rules.

The rules are the practice drug list's (crosswalk.practice): UTF-8 with or without BOM, else
Windows-1252 as Excel saves CSV; the first non-empty row is the header; column names as a
practice system spells them (COLUMN_ALIASES, compared case- and punctuation-blind); blank rows
skipped; every cell read as text, never evaluated; bad rows named by file, spreadsheet row
(header = its row) and field. Columns other than EXPORT_COLUMNS (a patient name, a birth
date) are never selected: only their header names are reported as ignored.

Unlike the drug list, one bad row refuses the whole file (every bad row is listed): a claim
check on part of a file would report drug lines as missing their administration code when
the bad row was that code's.

A UTF-8 CSV is read by DuckDB itself (an in-memory connection, not the warehouse), twice:
once to validate every row in SQL (sql/claims/export_problems.sql), once to stream the typed
lines out in Arrow batches (export_lines.sql), so a million-line export never sits in Python
lists and reads within a few times DuckDB's own CSV speed (benchmarks/claims_benchmark.py).
Windows-1252 CSVs and XLSX workbooks are read row by row in Python and handed to the same
SQL.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from crosswalk import sqlfiles
from crosswalk.claims import LINE_SCHEMA, ClaimFile
from crosswalk.errors import BadInput
from crosswalk.practice import decode_csv

EXPORT_COLUMNS = ("claim_id", "line", "date_of_service", "place_of_service", "hcpcs",
                  "modifiers", "units", "narrative", "ndc", "ndc_quantity", "ndc_unit",
                  "prior_auth", "payer")
REQUIRED = ("claim_id", "date_of_service", "hcpcs", "units")
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "claim_id": ("claim", "claim id", "claim number", "claim no", "claim #", "patient account",
                 "patient account number", "account number", "account", "encounter",
                 "encounter id", "clm01"),
    "line": ("line", "line no", "line number", "line #", "service line", "lx"),
    "date_of_service": ("dos", "date of service", "service date", "from date", "dos from",
                        "date"),
    "place_of_service": ("pos", "place of service", "place of service code", "site of service"),
    "hcpcs": ("hcpcs", "hcpcs code", "cpt", "cpt hcpcs", "cpt/hcpcs", "procedure",
              "procedure code", "code", "billed code"),
    "modifiers": ("modifier", "modifiers", "mod", "mods"),
    "units": ("units", "unit", "billed units", "service units", "qty", "quantity", "sv104"),
    "narrative": ("narrative", "description", "drug description", "noc description",
                  "line note", "note", "notes", "box 19", "item 19", "additional information"),
    "ndc": ("ndc", "ndc11", "ndc 11", "ndc code", "ndc number", "national drug code"),
    "ndc_quantity": ("ndc quantity", "ndc qty", "ndc units", "drug quantity"),
    "ndc_unit": ("ndc unit", "ndc unit qualifier", "unit qualifier", "ndc uom",
                 "unit of measure"),
    "prior_auth": ("prior auth", "prior authorization", "prior authorisation",
                   "prior authorization number", "authorization", "auth", "auth number",
                   "auth #", "pa number", "pa"),
    "payer": ("payer", "payor", "insurance", "plan", "payer name", "primary payer"),
}
MAX_LISTED = 20
UTF8_CHECK_BYTES = 1 << 20
_CSV_ERROR_LINE = re.compile(r"CSV Error on Line: (\d+)")
_FEWER_FIELDS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def read_export(path: Path, kind: str, batch_lines: int) -> ClaimFile:
    """Validate every row now (BadInput lists the bad ones); the typed lines stream later."""
    con = duckdb.connect()
    try:
        _stage(con, path, kind)
        problems = sqlfiles.query(con, "claims", "export_problems")
        if problems:
            raise _refusal(path, problems)
        (claims,), = con.execute("SELECT count(DISTINCT claim_id) FROM export_rows "
                                 "WHERE NOT blank").fetchall()
    except BaseException:
        con.close()
        raise
    return ClaimFile(path, kind, _batches(con, batch_lines), {"claims": claims})


def _batches(con: duckdb.DuckDBPyConnection, batch_lines: int) -> Iterator[pa.RecordBatch]:
    with con:
        reader = sqlfiles.relation(con, "claims", "export_lines").to_arrow_reader(batch_lines)
        for batch in reader:
            yield batch.cast(LINE_SCHEMA)


def _refusal(path: Path, problems: list[dict[str, object]]) -> BadInput:
    listed = [str(BadInput(str(p["reason"]), file=path.name, row=int(p["row_no"]),  # type: ignore[call-overload]
                           field=str(p["field"]))) for p in problems[:MAX_LISTED]]
    more = f"\n  ... and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
    rows = len({p["row_no"] for p in problems})
    return BadInput(f"{rows} bad row(s); nothing from this file was checked or stored:\n  "
                    + "\n  ".join(listed) + more, file=path.name)


# ---------------------------------------------------------------------------------------------
# Staging: export_rows (ordinal, row_no, the EXPORT_COLUMNS as text, blank)


def _stage(con: duckdb.DuckDBPyConnection, path: Path, kind: str) -> int:
    """Expose the file's rows as the view export_rows; returns the header's row number."""
    if kind == "csv" and _plain_utf8(path):
        return _stage_csv(con, path)
    rows = _xlsx_rows(path) if kind == "xlsx" else _decoded_csv_rows(path)
    return _stage_rows(con, path, rows)


def _stage_csv(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """DuckDB reads the UTF-8 CSV; the header is found and mapped here first."""
    with path.open(encoding="utf-8-sig", newline="") as stream:
        header_row, header = _find_header(enumerate(csv.reader(stream), start=1), path)
    columns = map_columns(header, path, header_row)
    source = _read_csv_sql(path, header_row, len(header), padded=False)
    try:
        con.execute(f"SELECT count(*) FROM {source}").fetchall()
    except duckdb.InvalidInputException as error:
        found = _FEWER_FIELDS.search(str(error))
        if not found or int(found[2]) >= int(found[1]):
            raise _csv_refusal(path, error) from None
        source = _read_csv_sql(path, header_row, len(header), padded=True)  # ragged rows
    _create_rows_view(con, source, columns, f"ordinal + {int(header_row)}", path)
    return header_row


def _read_csv_sql(path: Path, header_row: int, width: int, padded: bool) -> str:
    names = ", ".join(f"'c{index}': 'VARCHAR'" for index in range(width))
    ragged = ", null_padding = true, parallel = false" if padded else ""
    literal = str(path).replace("'", "''")
    return (f"(SELECT row_number() OVER () AS ordinal, * FROM read_csv('{literal}', "
            f"auto_detect = false, columns = {{{names}}}, header = true, "
            f"skip = {header_row - 1}, delim = ',', quote = '\"', escape = '\"'{ragged}))")


def _create_rows_view(con: duckdb.DuckDBPyConnection, source: str, columns: dict[str, int],
                      row_no: str, path: Path) -> None:
    cells = ", ".join(
        f"nullif(trim(replace(c{columns[name]}, chr(160), ' ')), '') AS {name}"
        if name in columns else f"CAST(NULL AS VARCHAR) AS {name}" for name in EXPORT_COLUMNS)
    blank = " AND ".join(f"nullif(trim(c{index}), '') IS NULL" for index in columns.values())
    con.execute(f"CREATE OR REPLACE TEMP VIEW export_rows AS SELECT ordinal, {row_no} AS row_no, "
                f"{cells}, {blank} AS blank FROM {source}")
    try:
        con.execute("SELECT count(*) FROM export_rows").fetchall()
    except duckdb.InvalidInputException as error:
        raise _csv_refusal(path, error) from None


def _csv_refusal(path: Path, error: duckdb.Error) -> BadInput:
    """DuckDB's CSV error, without the line's text (it can hold patient details)."""
    found = _CSV_ERROR_LINE.search(str(error))
    why = ("more fields than the header" if "Expected Number of Columns" in str(error)
           else "an unclosed quote" if "unterminated quote" in str(error)
           else "it does not parse as CSV")
    return BadInput(f"cannot read the row: {why}", file=path.name,
                    row=int(found[1]) if found else None)


def _stage_rows(con: duckdb.DuckDBPyConnection, path: Path,
                rows: Iterator[tuple[int, list[str]]]) -> int:
    """Rows read in Python (XLSX, Windows-1252 CSV) staged as the same view."""
    header_row, header = _find_header(rows, path)
    columns = map_columns(header, path, header_row)
    width = len(header)
    numbers, cells = [], []
    for row_no, row in rows:
        numbers.append(row_no)
        cells.append((row + [""] * width)[:width])
    frame = pd.DataFrame(cells, columns=[f"c{index}" for index in range(width)], dtype="object")
    frame.insert(0, "row_no", numbers)
    frame.insert(0, "ordinal", range(1, len(frame) + 1))
    con.register("python_rows", frame)
    _create_rows_view(con, "python_rows", columns, "row_no", path)
    return header_row


def _find_header(rows: Iterator[tuple[int, list[str]]], path: Path) -> tuple[int, list[str]]:
    for row_no, cells in rows:
        if any(cell.strip() for cell in cells):
            return row_no, cells
    raise BadInput("the file is empty: expected a header row with claim_id, date_of_service, "
                   "hcpcs and units", file=path.name)


def map_columns(header: list[str], path: Path, header_row: int) -> dict[str, int]:
    """Header cells -> {export column: index}; the required columns must be there."""
    lookup = {_folded(alias): name for name, aliases in COLUMN_ALIASES.items()
              for alias in (name, *aliases)}
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = lookup.get(_folded(cell))
        if name and name not in columns:
            columns[name] = index
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise BadInput(f"no {', '.join(missing)} column in the header (claim-line exports need "
                       f"{', '.join(REQUIRED)}; see `crosswalk claims check --help`)",
                       file=path.name, row=header_row, field=missing[0])
    return columns


def _folded(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9#/]+", " ", text.lower().lstrip("\ufeff")).split())


def _plain_utf8(path: Path) -> bool:
    """Whether DuckDB can read the CSV as it is: UTF-8 throughout (checked a megabyte at a
    time) and no empty line, which DuckDB skips and the drug list's row numbers count."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    tail = b""
    with path.open("rb") as stream:
        try:
            while chunk := stream.read(UTF8_CHECK_BYTES):
                decoder.decode(chunk)
                seam = tail + chunk
                if b"\n\n" in seam or b"\n\r\n" in seam or b"\r\r" in seam:
                    return False
                tail = chunk[-2:]
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _decoded_csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Windows-1252 (or damaged) CSV: decoded as the drug list decodes it."""
    text = decode_csv(path.read_bytes())
    return enumerate(csv.reader(io.StringIO(text, newline="")), start=1)


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """First sheet, cells as text (formulas as their text, never evaluated)."""
    from crosswalk.practice import _xlsx_rows as drug_list_xlsx_rows

    return drug_list_xlsx_rows(path)
