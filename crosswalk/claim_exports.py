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

A UTF-8 CSV is read by DuckDB itself (an in-memory connection, not the warehouse), once and
row by row: sql/claims/export_lines.sql types every row and lists its problems, and the
lines stream out in Arrow batches. A million-line export never sits in Python lists or in
memory, and reads within a few times DuckDB's own CSV speed (benchmarks/claims_benchmark.py).
Numbering claims and finding a line number repeated within a claim need the whole file: the
check does both on the stored lines. Windows-1252 CSVs and XLSX workbooks are read row by
row in Python and handed to the same SQL.
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
Problem = tuple[int, str, str]  # (spreadsheet row, field, reason)
_EMPTY_LINE = re.compile(rb"\n\r?\n|\r\r")


def read_export(path: Path, kind: str, batch_lines: int) -> ClaimFile:
    """Find and map the header now; the rows are read, checked and typed as the batches are
    taken, and a file with bad rows is refused (BadInput naming each) once all are seen."""
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        sqlfiles.run_file(con, "claims", "export_macros")
        decoding = _stage(con, path, kind)
    except BaseException:
        con.close()
        raise
    return ClaimFile(path, kind, _batches(con, path, kind, decoding, batch_lines))


def _batches(con: duckdb.DuckDBPyConnection, path: Path, kind: str,
             problems: list[Problem], batch_lines: int) -> Iterator[pa.RecordBatch]:
    """Typed batches while every row so far is good; after a bad row, the rest of the file
    is only checked, so the refusal lists every bad row."""
    with con:
        for batch in _typed_batches(con, path, kind, batch_lines):
            if batch.column("problems").null_count < batch.num_rows or problems:
                problems += _batch_problems(batch)
                continue
            yield batch.drop_columns(["problems"]).cast(LINE_SCHEMA)
    if problems:
        raise _refusal(path, sorted(problems))


def _typed_batches(con: duckdb.DuckDBPyConnection, path: Path, kind: str,
                   batch_lines: int) -> Iterator[pa.RecordBatch]:
    """export_lines.sql in batches. DuckDB's CSV errors surface on the first read; a CSV
    with rows shorter than its header is read again, padded (before anything was yielded)."""
    padded = False
    while True:
        try:
            reader = sqlfiles.relation(con, "claims", "export_lines").to_arrow_reader(
                batch_lines)
            first = reader.read_next_batch()
        except StopIteration:
            return
        except (duckdb.InvalidInputException, pa.ArrowInvalid) as error:
            found = _FEWER_FIELDS.search(str(error))
            if kind != "csv" or padded or not found or int(found[2]) >= int(found[1]):
                raise _csv_refusal(path, error) from None
            padded = True
            _stage_csv(con, path, padded)
            continue
        break
    yield first
    try:
        yield from reader
    except (duckdb.InvalidInputException, pa.ArrowInvalid) as error:
        raise _csv_refusal(path, error) from None


def _batch_problems(batch: pa.RecordBatch) -> list[Problem]:
    rows = batch.column("source_line").to_pylist()
    return [(row, *problem.split("\t", 1))  # type: ignore[misc]
            for row, found in zip(rows, batch.column("problems").to_pylist()) if found
            for problem in found.split("\n")]


def _refusal(path: Path, problems: list[Problem]) -> BadInput:
    listed = [str(BadInput(reason, file=path.name, row=row, field=field))
              for row, field, reason in problems[:MAX_LISTED]]
    more = f"\n  ... and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
    rows = len({row for row, _, _ in problems})
    return BadInput(f"{rows} bad row(s); nothing from this file was checked or stored:\n  "
                    + "\n  ".join(listed) + more, file=path.name)


# ---------------------------------------------------------------------------------------------
# Staging: export_rows (ordinal, row_no, the EXPORT_COLUMNS as text, blank)


def _stage(con: duckdb.DuckDBPyConnection, path: Path, kind: str) -> list[Problem]:
    """Expose the file's rows as the view export_rows; returns the problems found while
    decoding (a Windows-1252 or damaged CSV, read in Python)."""
    if kind == "csv" and _plain_utf8(path):
        _stage_csv(con, path, padded=False)
        return []
    rows = _xlsx_rows(path) if kind == "xlsx" else _decoded_csv_rows(path)
    return _stage_rows(con, path, rows)


def _stage_csv(con: duckdb.DuckDBPyConnection, path: Path, padded: bool) -> None:
    """DuckDB reads the UTF-8 CSV itself; the header is found and mapped here first.

    Unpadded, DuckDB reads in parallel; a file with short rows is read again padded (and
    then in one thread, as DuckDB requires with quoted line breaks)."""
    with path.open(encoding="utf-8-sig", newline="") as stream:
        header_row, header = _find_header(enumerate(csv.reader(stream), start=1), path)
    columns = map_columns(header, path, header_row)
    source = _read_csv_sql(path, header_row, len(header), padded)
    _create_rows_view(con, source, columns, f"ordinal + {int(header_row)}")


def _read_csv_sql(path: Path, header_row: int, width: int, padded: bool) -> str:
    names = ", ".join(f"'c{index}': 'VARCHAR'" for index in range(width))
    ragged = ", null_padding = true, parallel = false" if padded else ""
    literal = str(path).replace("'", "''")
    return (f"(SELECT row_number() OVER () AS ordinal, * FROM read_csv('{literal}', "
            f"auto_detect = false, columns = {{{names}}}, header = true, "
            f"skip = {header_row - 1}, delim = ',', quote = '\"', escape = '\"'{ragged}))")


def _create_rows_view(con: duckdb.DuckDBPyConnection, source: str, columns: dict[str, int],
                      row_no: str) -> None:
    """export_rows: the mapped cells with NBSP and tabs read as spaces and trimmed, as the
    drug list reads cells (a plain trim when a cell holds neither: most cells, much faster),
    NULL when empty, and whether the row is blank. Unmapped columns are never selected."""
    def cell(name: str) -> str:
        if name not in columns:
            return f"CAST(NULL AS VARCHAR) AS {name}"
        value = f"c{columns[name]}"
        spaced = f"replace(replace({value}, chr(160), ' '), chr(9), ' ')"
        return (f"nullif(CASE WHEN contains({value}, chr(160)) OR contains({value}, chr(9)) "
                f"THEN trim({spaced}) ELSE trim({value}) END, '') AS {name}")

    cells = ", ".join(cell(name) for name in EXPORT_COLUMNS)
    con.execute(f"CREATE OR REPLACE TEMP VIEW export_rows AS SELECT *, coalesce("
                f"{', '.join(EXPORT_COLUMNS)}) IS NULL AS blank FROM (SELECT ordinal, "
                f"{row_no} AS row_no, {cells} FROM {source})")


def _csv_refusal(path: Path, error: duckdb.Error) -> BadInput:
    """DuckDB's CSV error, without the line's text (it can hold patient details)."""
    found = _CSV_ERROR_LINE.search(str(error))
    why = ("more fields than the header" if "Expected Number of Columns" in str(error)
           else "an unclosed quote" if "unterminated quote" in str(error)
           else "it does not parse as CSV")
    return BadInput(f"cannot read the row: {why}", file=path.name,
                    row=int(found[1]) if found else None)


def _stage_rows(con: duckdb.DuckDBPyConnection, path: Path,
                rows: Iterator[tuple[int, list[str]]]) -> list[Problem]:
    """Rows read in Python (XLSX, Windows-1252 CSV) staged as the same view; returns each
    cell of a mapped column that held bytes no encoding could decode, by row and field."""
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
    _create_rows_view(con, "python_rows", columns, "row_no")
    return [(row_no, name, "undecodable byte(s): the file is neither UTF-8 nor Windows-1252 "
             "here") for row_no, row in zip(numbers, cells) for name, index in columns.items()
            if "\ufffd" in row[index]]


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
    time; ASCII chunks need no decoding) and no empty line, which DuckDB skips and the drug
    list's row numbers count."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    tail = b""
    with path.open("rb") as stream:
        try:
            while chunk := stream.read(UTF8_CHECK_BYTES):
                if not chunk.isascii() or decoder.getstate()[0]:
                    decoder.decode(chunk)
                if _EMPTY_LINE.search(chunk) or _EMPTY_LINE.search(tail + chunk[:2]):
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
