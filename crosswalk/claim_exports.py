"""Claim-line exports (CSV or XLSX) read into claim lines, by the drug list's reading rules.

The rules are crosswalk.tabular's, the reader the practice drug list uses: UTF-8 (BOM or
not), UTF-16 or Windows-1252; comma, semicolon, tab or pipe; the first visible sheet with
the required columns; the first non-empty row is the header; column names as a practice
system spells them (COLUMN_ALIASES, compared case- and punctuation-blind); blank rows
skipped; cells read as text, never evaluated, NBSP as a space; broken quoting and bytes no
encoding decodes named by row (and field), never quoted. Columns other than EXPORT_COLUMNS (a
patient name, a birth date) are never picked: each is only a warning naming its header.

Unlike the drug list, one bad row refuses the whole file, every bad row listed: a claim
check on part of a file would report drug lines as missing their administration code when
the bad row was that code's.

Speed, for the million-line exports a practice system writes: tabular.open_table decides the
encoding, delimiter and header; a plain UTF-8 CSV without empty lines is then read by
DuckDB itself (an in-memory connection, not the warehouse), once and row by row, while
anything else (Windows-1252, UTF-16, a workbook, empty lines whose row numbers DuckDB would
not count) is read through tabular's rows. Either way sql/claims/export_lines.sql types every
row and lists its problems, and the lines stream out in Arrow batches, so no export sits in
memory (benchmarks/claims_benchmark.py). Should DuckDB stop on a row (broken quoting, a short
row), tabular's rows take over from that row on, and name what they cannot read. Numbering
claims and finding a line number repeated within a claim need the whole file: the check does
both on the stored lines.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
from collections.abc import Iterable, Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from crosswalk import sqlfiles, tabular
from crosswalk.claims import LINE_SCHEMA, ClaimFile
from crosswalk.errors import BadInput

EXPORT_COLUMNS = ("claim_id", "line", "date_of_service", "dos_through", "place_of_service",
                  "hcpcs", "modifiers", "units", "narrative", "ndc", "ndc_quantity", "ndc_unit",
                  "prior_auth", "payer")
REQUIRED = ("claim_id", "date_of_service", "hcpcs", "units")
# What an export's header may call each column (compared case- and punctuation-blind). Three
# of EXPORT_COLUMNS may come from several columns, joined as the 837P joins them: modifiers
# from one modifiers cell and/or one column per modifier (Mod 1..Mod 4, as most practice
# systems export them); the narrative from the line's description and a drug-description
# column (a fee schedule's 'UNCLASSIFIED BIOLOGICS' beside the biller's 'NOC Description',
# as SV101-7 and NTE*ADD). The narrative is read only from columns that describe the drug
# (a description, a NOC or drug description, Box 19, the service line's note that becomes
# NTE*ADD, as Tebra's 'Line Note'): never from a free-text notes column, which can hold
# anything about a patient. The spellings include the vendors' own: Tebra's From, To, Line
# Note, UC (the NDC count) and UM (its unit); NextGen's Enc Nbr, CPT4, NDC Id, Drug Unit
# Count, Basis of Measure; CollaborateMD's To Date and 'Charge or Debit?' (line_type: a
# debit, payment or adjustment row is no service line).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "claim_id": ("claim", "claim id", "claim number", "claim no", "claim nbr",
                 "patient account", "patient account number", "account number", "account",
                 "encounter", "encounter id", "encounter number", "encounter nbr", "enc nbr",
                 "enc number", "clm01"),
    "line": ("line", "line no", "line number", "service line", "lx"),
    "date_of_service": ("dos", "date of service", "service date", "from date", "dos from",
                        "date", "from", "service from", "service from date"),
    "dos_through": ("to", "to date", "dos to", "through date", "thru date", "service to",
                    "service to date", "service end date", "date of service to"),
    "place_of_service": ("pos", "place of service", "place of service code", "site of service"),
    "hcpcs": ("hcpcs", "hcpcs code", "cpt", "cpt code", "cpt hcpcs", "hcpcs cpt",
              "cpt hcpcs code", "hcpcs cpt code", "procedure", "procedure code", "code",
              "billed code", "cpt4", "cpt 4", "proc code"),
    "modifiers": ("modifier", "modifiers", "mod", "mods"),
    **{f"modifier_{n}": (f"mod {n}", f"mod{n}", f"modifier {n}", f"modifier{n}", f"m{n}")
       for n in range(1, 5)},
    "units": ("units", "unit", "billed units", "service units", "qty", "quantity", "sv104",
              "days units", "days or units"),
    "narrative": ("narrative", "description", "line description", "service description",
                  "procedure description", "sv101 7"),
    "drug_description": ("drug description", "noc description", "noc drug description",
                         "noc narrative", "drug narrative", "box 19", "item 19", "line note",
                         "service line note"),
    "ndc": ("ndc", "ndc11", "ndc 11", "ndc code", "ndc number", "national drug code",
            "ndc id"),
    "ndc_quantity": ("ndc quantity", "ndc qty", "ndc units", "drug quantity",
                     "drug unit count", "uc", "ndc dose"),
    "ndc_unit": ("ndc unit", "ndc unit qualifier", "unit qualifier", "ndc uom",
                 "unit of measure", "ndc unit of measure", "ndc units of measure",
                 "ndc measure", "ndc unit type", "basis of measure", "um", "drug unit"),
    "prior_auth": ("prior auth", "prior authorization", "prior authorisation",
                   "prior authorization number", "authorization", "authorization number",
                   "auth", "auth number", "auth nbr", "pa number", "pa"),
    "payer": ("payer", "payor", "insurance", "plan", "payer name", "primary payer"),
    "line_type": ("charge or debit", "transaction type", "trans type", "charge type"),
}
SOURCE_COLUMNS = tuple(COLUMN_ALIASES)  # what export_rows holds, before export_lines.sql
MAX_LISTED = 20
SCAN_BYTES = 1 << 20
Problem = tuple[int, int, str, str]  # (the file's table, spreadsheet row, field or '', reason)
_EMPTY_LINES = (b"\n\n", b"\n\r\n", b"\r\r")  # DuckDB skips these; tabular counts them
_CSV_ERRORS = (duckdb.InvalidInputException, duckdb.ConversionException, pa.ArrowInvalid)


def read_export(path: Path, kind: str, batch_lines: int) -> ClaimFile:
    """Open the export (header, encoding, delimiter or sheets decided now: a file without
    the required columns is refused at once); its rows are read, checked and typed as the
    batches are taken, and a file with bad rows is refused once all of them are seen. A
    workbook's every visible sheet with claim-line columns is read, one after the other."""
    tables = tabular.open_tables(path, COLUMN_ALIASES, REQUIRED, refuse_overflow=True)
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        sqlfiles.run_file(con, "claims", "export_macros")
        width = _plain_csv_width(path, tables[0])
    except BaseException:
        con.close()
        for table in tables:
            table.__exit__()
        raise
    notes = tables[0].warnings
    if len(tables) > 1:
        notes.append("read the claim lines of sheets "
                     + ", ".join(repr(table.sheet) for table in tables))
        notes += [warning for table in tables[1:] for warning in table.warnings
                  if warning not in notes]
    return ClaimFile(path, kind, _batches(con, tables, width, batch_lines), notes=notes)


def _batches(con: duckdb.DuckDBPyConnection, tables: list[tabular.TableFile],
             width: int | None, batch_lines: int) -> Iterator[pa.RecordBatch]:
    """Typed batches while every row so far is good; after a bad row the rest of the file is
    only checked, so the refusal lists every bad row. Rows are numbered (line_seq) across
    the tables, sheet after sheet."""
    problems: list[Problem] = []
    skipped: list[tuple[int, int]] = []
    done, finished = 0, False
    with con, contextlib.ExitStack() as opened:
        for table in tables:
            opened.enter_context(table)
        if width is not None:
            try:
                for batch in _duckdb_batches(con, tables[0], width, batch_lines):
                    done += batch.num_rows - (pc.sum(batch.column("blank")).as_py() or 0)
                    yield from _kept(batch, 0, problems, skipped)
                finished = True
            except _CSV_ERRORS:
                pass  # tabular reads on from the row DuckDB could not read
        ordinal = done
        for index, table in enumerate(tables[1 if finished else 0:], start=int(finished)):
            for batch in _tabular_batches(con, table, done if index == 0 else 0, ordinal,
                                          batch_lines):
                ordinal += batch.num_rows
                yield from _kept(batch, index, problems, skipped)
    problems += [(index, p.row or 0, p.field or "", p.reason)
                 for index, table in enumerate(tables) for p in table.problems]
    sheets = [table.sheet if len(tables) > 1 else None for table in tables]
    if skipped:
        tables[0].warnings.append(_skipped_note(skipped, sheets))
    if problems:
        raise _refusal(tables[0].path, sorted(problems), sheets)


def _kept(batch: pa.RecordBatch, table: int, problems: list[Problem],
          skipped: list[tuple[int, int]]) -> Iterator[pa.RecordBatch]:
    """The batch (of the file's `table`-th table) as LINE_SCHEMA, unless it or an earlier
    one had a bad row (then its problems are noted and nothing more is handed on). Blank
    rows are dropped; a report's title, page, totals and repeated header lines and its
    debit, payment and adjustment rows are left out, their rows noted in `skipped`."""
    batch = batch.filter(pc.invert(batch.column("blank"))).drop_columns(["blank"])
    if pc.any(batch.column("not_a_line")).as_py():
        report_line = batch.column("not_a_line")
        skipped += [(table, row) for row in
                    pc.filter(batch.column("source_line"), report_line).to_pylist()]
        batch = batch.filter(pc.invert(report_line))
    batch = batch.drop_columns(["not_a_line"])
    if batch.column("problems").null_count < batch.num_rows or problems:
        rows = batch.column("source_line").to_pylist()
        problems += [(table, row, *problem.split("\t", 1))  # type: ignore[misc]
                     for row, found in zip(rows, batch.column("problems").to_pylist()) if found
                     for problem in found.split("\n")]
        return
    yield batch.drop_columns(["problems"]).cast(LINE_SCHEMA)


def _skipped_note(rows: list[tuple[int, int]], sheets: list[str | None]) -> str:
    """The note for a report's own lines left out (the refusal of a file with bad rows
    would say nothing of them)."""
    named = [f"sheet {sheets[table]!r} row {row}" if sheets[table] else str(row)
             for table, row in rows[:MAX_LISTED]]
    listed = ", ".join(named) + (" ..." if len(rows) > MAX_LISTED else "")
    plural = "s" if len(rows) > 1 and not sheets[0] else ""
    return (f"{'row' + plural + ' ' if not sheets[0] else ''}{listed} left out: a report's "
            "title, page, totals or repeated header line, or a debit, payment or adjustment: "
            "not a service line")


def _refusal(path: Path, problems: list[Problem], sheets: list[str | None]) -> BadInput:
    listed = [str(BadInput(reason, file=path.name, sheet=sheets[table], row=row or None,
                           field=field or None))
              for table, row, field, reason in problems[:MAX_LISTED]]
    more = f"\n  ... and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
    rows = len({(table, row) for table, row, _, _ in problems})
    return BadInput(f"{rows} bad row(s); nothing from this file was checked or stored:\n  "
                    + "\n  ".join(listed) + more, file=path.name)


# ---------------------------------------------------------------------------------------------
# DuckDB reading a plain UTF-8 CSV


def _plain_csv_width(path: Path, table: tabular.TableFile) -> int | None:
    """The header's cell count when DuckDB can read the file as tabular would: a UTF-8 CSV
    (tabular's verdict) without an empty line, which DuckDB skips and the drug list's row
    numbers count; None otherwise."""
    if table.sheet is not None or table.encoding not in ("utf-8", "utf-8-sig"):
        return None
    tail = b""
    with path.open("rb") as stream:
        while chunk := stream.read(SCAN_BYTES):
            seam = tail + chunk[:2]
            if any(empty in part for part in (chunk, seam) for empty in _EMPTY_LINES):
                return None
            tail = chunk[-2:]
    with path.open(encoding=table.encoding, errors="replace", newline="") as stream:
        head = io.StringIO(stream.read(1 << 16), newline="")
    records = csv.reader(head, delimiter=table.delimiter or ",")
    header = next(itertools.islice(records, table.header_row - 1, None), None)
    return len(header) if header else None


def _duckdb_batches(con: duckdb.DuckDBPyConnection, table: tabular.TableFile, width: int,
                    batch_lines: int) -> Iterator[pa.RecordBatch]:
    names = ", ".join(f"'c{index}': 'VARCHAR'" for index in range(width))
    literal = str(table.path).replace("'", "''")
    delimiter = (table.delimiter or ",").replace("'", "''")
    source = (f"(SELECT * FROM read_csv('{literal}', "
              f"auto_detect = false, columns = {{{names}}}, header = true, "
              f"skip = {table.header_row - 1}, delim = '{delimiter}', quote = '\"', "
              f"escape = '\"'))")

    def cell(name: str) -> str:
        if name not in table.columns:
            return f"CAST(NULL AS VARCHAR) AS {name}"
        value = f"c{table.columns[name]}"
        spaced = f"replace(replace({value}, chr(160), ' '), chr(9), ' ')"
        return (f"nullif(CASE WHEN contains({value}, chr(160)) OR contains({value}, chr(9)) "
                f"THEN trim({spaced}) ELSE trim({value}) END, '') AS {name}")

    con.execute(f"CREATE OR REPLACE TEMP VIEW export_rows AS SELECT *, coalesce("
                f"{', '.join(SOURCE_COLUMNS)}) IS NULL AS blank FROM (SELECT "
                "CAST(NULL AS BIGINT) AS ordinal, CAST(NULL AS BIGINT) AS row_no, "
                f"{_file_flags(table)}, {', '.join(cell(name) for name in SOURCE_COLUMNS)} "
                f"FROM {source})")
    yield from _numbered(sqlfiles.relation(con, "claims", "export_lines").to_arrow_reader(
        batch_lines), table.header_row)


def _numbered(batches: Iterable[pa.RecordBatch], header_row: int) -> Iterator[pa.RecordBatch]:
    """line_seq and source_line counted here, batch after batch: DuckDB hands the rows over
    in file order (insertion order is preserved), and a row_number() window over the scan
    would run the read and every cell's clean-up on one thread (about 0.5 s of 1,000,000
    lines). Each physical line is one record here: _plain_csv_width sends files with empty
    lines to tabular."""
    done = 0
    for batch in batches:
        seq = pa.array(range(done + 1, done + batch.num_rows + 1), pa.int32())
        done += batch.num_rows
        batch = batch.set_column(batch.schema.get_field_index("line_seq"), "line_seq", seq)
        yield batch.set_column(batch.schema.get_field_index("source_line"), "source_line",
                               pc.add(seq, pa.scalar(header_row, pa.int32())))


# ---------------------------------------------------------------------------------------------
# tabular's rows (Windows-1252, UTF-16, workbooks, empty lines; the rest after a DuckDB stop)


def _tabular_batches(con: duckdb.DuckDBPyConnection, table: tabular.TableFile, skip: int,
                     ordinal: int, batch_lines: int) -> Iterator[pa.RecordBatch]:
    """The rows after the first `skip` data rows, a batch at a time, through the same SQL,
    numbered on from `ordinal` (the rows of the file before them)."""
    rows = itertools.islice(table.rows(), skip, None)
    schema = pa.schema([("ordinal", pa.int64()), ("row_no", pa.int64()),
                        *[(name, pa.string()) for name in SOURCE_COLUMNS]])
    while chunk := list(itertools.islice(rows, batch_lines)):
        columns = {name: [values.get(name) or None for _, values in chunk]
                   for name in SOURCE_COLUMNS}
        frame = pa.table({"ordinal": range(ordinal + 1, ordinal + len(chunk) + 1),
                          "row_no": [row_no for row_no, _ in chunk], **columns}, schema=schema)
        ordinal += len(chunk)
        with sqlfiles.registered(con, {"tabular_rows": frame}):
            con.execute("CREATE OR REPLACE TEMP VIEW export_rows AS "
                        f"SELECT *, {_file_flags(table)}, false AS blank FROM tabular_rows")
            yield from sqlfiles.relation(con, "claims", "export_lines").to_arrow_reader(
                batch_lines)


def _file_flags(table: tabular.TableFile) -> str:
    """The export_rows columns saying how the file writes numbers and dates, and what its
    header says (header_claim_id, header_date_of_service, header_hcpcs): a
    semicolon-delimited file is what Excel writes where the comma is the decimal mark ('2,5'
    units; any other file groups thousands with it: '1,000'); in a workbook a date cell
    without a date format holds its serial number (45945 = 2025-10-15)."""
    return (f"{'true' if table.delimiter == ';' else 'false'} AS decimal_comma, "
            f"{'true' if table.sheet is not None else 'false'} AS excel_serials, "
            + ", ".join(f"{_literal(table.header.get(table.columns[name], ''))} AS header_{name}"
                        for name in ("claim_id", "date_of_service", "hcpcs")))


def _literal(text: str) -> str:
    """A header cell as a SQL string literal (export_lines.sql compares each row with the
    header's claim id, date and code cells: a report repeats its header at page breaks)."""
    return "'" + text.strip().replace("'", "''") + "'"
