"""The obvious way to do each job, and the floor, for benchmarks/run.py to compare against.

Baseline (what a competent analyst writes in an afternoon, no project code):
- load: the fixed-width TXT parsed with a Python loop over its lines (slices per field,
  continuation records appended), the ASP CSVs with pandas.read_csv (cp1252, 8 preamble
  rows), every frame then inserted into DuckDB tables through pandas;
- match: a Python double loop, every practice name against every CMS name (drug
  descriptors and crosswalk drug names) with rapidfuzz token_set_ratio, best score kept; NDCs
  looked up in a dict. Run on a subset of the list and extrapolated (it is quadratic);
- report: the same rows the report's workbooks hold (the sql/reports queries of the match
  run: verdict counts, alerts, new drug codes; crosswalk windows), written to two workbooks
  with openpyxl cell by cell (no styles, no types beyond what openpyxl guesses, every column
  of each query once).

Floor (no project logic at all, the least work the machine must do with the same bytes):
- load: load_benchmark.measure_floor: each zip member unzipped and read by DuckDB's
  read_csv into a table (the TXT as one VARCHAR column per line);
- match: DuckDB reads the list CSV and joins its lower-cased names to the descriptors'
  generic names by equality;
- report: DuckDB COPY of the run's alert rows to CSV.
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
from rapidfuzz import fuzz

# (field, 1-based start, width) of the ANWEB record, from the CMS record layout
TXT_FIELDS = (("code", 1, 5), ("seq_num", 6, 5), ("recid", 11, 1), ("long_description", 12, 80),
              ("short_description", 92, 28), ("price_cd1", 120, 2), ("xref1", 205, 5),
              ("coverage", 230, 1), ("betos", 257, 3), ("add_date", 269, 8),
              ("action_eff_date", 277, 8), ("term_date", 285, 8), ("action_cd", 293, 1))
_DESCRIPTOR_NAME = re.compile(r"^injection, ([^,(]+)", re.IGNORECASE)


def parse_txt_loop(raw: bytes) -> pd.DataFrame:
    """Fixed-width ANWEB TXT -> one row per code, with a plain loop over lines."""
    rows: list[dict[str, object]] = []
    for line in raw.decode("cp1252").split("\r\n"):
        if len(line) < 11 or line[10] not in "3478":
            continue
        if line[10] in "48":  # continuation: append to the code's description
            rows[-1]["long_description"] += " " + line[11:91].strip()
            continue
        row = {name: line[start - 1:start - 1 + width].strip()
               for name, start, width in TXT_FIELDS}
        for name in ("add_date", "action_eff_date", "term_date"):
            text = row[name]
            row[name] = (pd.Timestamp(f"{text[:4]}-{text[4:6]}-{text[6:]}").date()
                         if text and text != "00000000" else None)
        row["is_modifier"] = row.pop("recid") == "7"
        rows.append(row)
    frame = pd.DataFrame(rows)
    for name in ("add_date", "action_eff_date", "term_date"):
        frame[name] = pd.to_datetime(frame[name])  # a column of only None is not a date yet
    return frame


def read_508_csv(raw: bytes) -> pd.DataFrame:
    """A section 508 ASP CSV: 8 preamble rows, then the header; padding columns dropped."""
    frame = pd.read_csv(io.BytesIO(raw), skiprows=8, encoding="cp1252", dtype=str)
    return frame.loc[:, ~frame.columns.str.startswith("Unnamed")]


def parse_xlsx_openpyxl(raw: bytes) -> pd.DataFrame:
    """The ANWEB workbook read with openpyxl (read-only), one row at a time."""
    book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True)
    rows = book.worksheets[0].iter_rows(values_only=True)
    header = [str(cell) for cell in next(rows)]
    frame = pd.DataFrame([dict(zip(header, row)) for row in rows])
    book.close()
    return frame.astype(str)


def load_release(zips: dict[str, Path], con: duckdb.DuckDBPyConnection, quarter: str,
                 workbook: bool = False) -> int:
    """Parse one release's zips the obvious way and insert them; returns rows inserted.

    workbook=True reads the HCPCS workbook twin with openpyxl instead of the TXT."""
    rows = 0
    hcpcs_member = ".xlsx" if workbook else ".txt"
    for kind, path in zips.items():
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                raw = archive.read(member)
                if kind == "hcpcs" and "ANWEB" in member and member.endswith(hcpcs_member):
                    frame = parse_xlsx_openpyxl(raw) if workbook else parse_txt_loop(raw)
                elif member.lower().endswith(".csv"):
                    frame = read_508_csv(raw)
                else:
                    continue
                table = f"{kind}_{'workbook' if workbook and kind == 'hcpcs' else 'rows'}"
                frame = frame.assign(quarter=quarter)
                frame.columns = [re.sub(r"\W+", "_", str(c)).strip("_").lower() or "c"
                                 for c in frame.columns]
                con.register("incoming", frame)
                con.execute(f"CREATE TABLE IF NOT EXISTS {table} AS "
                            "SELECT * FROM incoming LIMIT 0")
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
                con.unregister("incoming")
                rows += len(frame)
    return rows


def cms_names(con: duckdb.DuckDBPyConnection, quarter: str) -> list[tuple[str, str]]:
    """(name, code) pairs the double loop scores against: descriptor generics and brands."""
    names = []
    for code, text in con.execute("SELECT code, long_description FROM hcpcs_codes "
                                  "WHERE quarter = ? AND regexp_matches(code, '^(J|Q|C9)')",
                                  [quarter]).fetchall():
        found = _DESCRIPTOR_NAME.match(text)
        if found:
            names.append((found.group(1).strip().lower(), code))
    names += [(name.strip().lower(), code) for name, code in con.execute(
        "SELECT DISTINCT drug_name, hcpcs_code FROM asp_ndc_crosswalk WHERE quarter = ?",
        [quarter]).fetchall() if name]
    return names


def match_loop(drugs: pd.DataFrame, names: list[tuple[str, str]],
               ndc_codes: dict[str, str], subset: int) -> tuple[float, int]:
    """Seconds for the whole list (from `subset` drugs, extrapolated) and comparisons made."""
    sample = drugs.head(subset)
    started = time.perf_counter()
    comparisons = 0
    for drug in sample.itertuples():
        best, best_code = 0.0, None
        for name, code in names:
            score = fuzz.token_set_ratio(str(drug.drug_name).lower(), name)
            comparisons += 1
            if score > best:
                best, best_code = score, code
        _ = ndc_codes.get(str(drug.ndc)) or best_code
    scale = len(drugs) / max(len(sample), 1)
    return (time.perf_counter() - started) * scale, int(comparisons * scale)


def write_workbooks(con: duckdb.DuckDBPyConnection, quarter: str, folder: Path) -> list[Path]:
    """The report's rows for `quarter`'s newest match run, written with openpyxl one cell at a
    time, unstyled: what the workbooks hold, the obvious way."""
    from crosswalk import reports

    folder.mkdir(parents=True, exist_ok=True)
    reports.prepare(con)
    run = reports.chosen_run(con, quarter)
    written = []
    for name, queries in (("alerts", ("50_verdict_counts", "20_alerts", "40_new_drug_codes")),
                          ("crosswalk", ("30_crosswalk_windows",))):
        book = openpyxl.Workbook()
        book.remove(book.active)
        for query in queries:
            sheet = book.create_sheet(query)
            rows = reports.query(con, query, run.params)
            for column, header in enumerate(rows[0] if rows else (), start=1):
                sheet.cell(row=1, column=column, value=header)
            for row, record in enumerate(rows, start=2):
                for column, value in enumerate(record.values(), start=1):
                    sheet.cell(row=row, column=column, value=_cell(value))
        path = folder / f"{name}.xlsx"
        book.save(path)
        written.append(path)
    return written


def _cell(value: object) -> object:
    return value if value is None or isinstance(value, (str, int, float)) else str(value)


def match_floor(con: duckdb.DuckDBPyConnection, list_path: Path, quarter: str) -> int:
    """DuckDB reads the list and joins names to descriptor generics by equality."""
    return con.execute(
        "SELECT count(*) FROM read_csv(?, all_varchar = true) d JOIN ("
        "  SELECT code, lower(trim(regexp_extract(long_description, '^Injection, ([^,(]+)', 1)))"
        "  AS name FROM hcpcs_codes WHERE quarter = ?) c ON lower(trim(d.drug_name)) = c.name",
        [str(list_path), quarter]).fetchone()[0]


def report_floor(con: duckdb.DuckDBPyConnection, run_id: int, folder: Path) -> Path:
    """DuckDB COPY of the run's alert rows to CSV."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "alerts-floor.csv"
    con.execute(f"COPY (SELECT * FROM practice_alerts WHERE run_id = {int(run_id)}) "
                f"TO '{path}' (FORMAT csv, HEADER)")
    return path
