"""The DuckDB warehouse: every CMS release kept per quarter, loaded one release per transaction.

A load is split in two so releases can be parsed in parallel and written one at a time:
`parse_quarter` reads the archived files (no database), `write_release` writes one release in
ONE transaction (the set work lives in sql/load/*.sql). crosswalk.pipeline.load_releases is
the one path that chains them, under the run lock, for `load`, `load --all`, `backfill`, `run`
and the flows. The warehouse reads the manifest (crosswalk.manifest), never the downloader.

- Re-loading the same bytes rewrites nothing: each kind's sha256 is compared with
  release_files; the run is recorded in load_runs as 'unchanged'.
- A new version of a kind replaces that release's rows of that kind; every event the
  manifest lists (new versions and reverts) stays in source_files, loaded or not.
- Any failure rolls the whole release back; a 'failed' load_runs row naming file, line and
  field is then written in a transaction of its own, and BadInput is re-raised.
- DuckDB lets one process open the file read-write: `open_writer` waits a bounded time for
  another run to finish, then raises Busy.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from crosswalk import datadir, kinds, manifest, sqlfiles, verdicts
from crosswalk.archive import file_sha256
from crosswalk.errors import BadInput, Busy, CrosswalkError
from crosswalk.quarters import Quarter
from crosswalk.readers.sheets import first_repeated
from crosswalk.settings import DEFAULT_DATA_DIR, DEFAULT_WAIT_SECONDS, SQL_DIR, Settings
from crosswalk.source_kind import Rows, TableRows

LOCK_POLL_SECONDS = 0.25
_DATA_ERRORS = (duckdb.ConstraintException, duckdb.ConversionException)


@dataclass(frozen=True)
class ParsedFile:
    """One archived file version read into table rows, ready to be written."""

    kind: str
    sha256: str
    file_name: str
    tables: dict[str, TableRows]
    notes: tuple[str, ...] = ()  # what the reader chose or left out (footnotes, a twin)

    @property
    def member(self) -> str | None:
        main = self.tables.get(kinds.get(self.kind).main_table)
        return main.member if main else None

    @property
    def row_count(self) -> int:
        main = self.tables.get(kinds.get(self.kind).main_table)
        return len(main.rows) if main else 0


@dataclass(frozen=True)
class ParsedRelease:
    """A release read from the archive: what should be loaded, and the parsed files for it.

    `newest` maps each kind to the sha256 of its newest archived version; `files` holds the
    kinds that were parsed (kinds already loaded with the same bytes are not re-read);
    `seen` is every manifest entry of the quarter (all versions), as source_files rows.
    """

    quarter: Quarter
    newest: dict[str, str]
    files: dict[str, ParsedFile]
    seen: list[dict[str, Any]]


@dataclass(frozen=True)
class FileSummary:
    kind: str
    file_name: str
    sha256: str
    rows: int
    status: str  # loaded | unchanged

    def describe(self) -> str:
        return (f"  {self.kind:<14} {self.file_name}  sha256 {self.sha256[:12]}  "
                f"{self.rows:,} rows  {self.status}")


@dataclass(frozen=True)
class LoadSummary:
    """What one load did to one release: the printed line of `crosswalk load`."""

    quarter: Quarter
    status: str  # loaded | unchanged
    run_id: int
    files: tuple[FileSummary, ...]
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        lines = [f"{self.quarter}: {self.status} (load run {self.run_id})"]
        return "\n".join(lines + [file.describe() for file in self.files]
                         + [f"  note: {note}" for note in self.notes])


def connect(settings_or_path: Settings | Path | str, *,
            read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (or create) the warehouse and bring its tables and views up to date.

    Applying sql/schema then sql/views on every read-write open keeps an old database file in
    step with the code; both are idempotent (IF NOT EXISTS / CREATE OR REPLACE). A database
    held by another process raises Busy at once (open_writer is the waiting variant).
    """
    path = database_path(settings_or_path)
    if not read_only:
        if isinstance(settings_or_path, Settings):
            datadir.prepare(settings_or_path)  # unwritable: exit 2 with the path, not DuckDB's
        path.parent.mkdir(parents=True, exist_ok=True)  # CROSSWALK_DB may live elsewhere
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as error:
        if "Could not set lock" in str(error):
            raise Busy(f"another crosswalk run is using {path}; try again when it finishes"
                       ) from error
        raise
    if not read_only:
        _bring_schema_up_to_date(con)
    return con


@functools.cache
def _schema_scripts() -> tuple[tuple[Path, ...], str]:
    """The sql/schema then sql/views scripts, and one digest of them and the seeded rows."""
    scripts = tuple(script for folder in ("schema", "views")
                    for script in sorted((SQL_DIR / folder).glob("*.sql")))
    texts = [script.read_bytes().decode("utf-8") for script in scripts]
    seeded = repr((verdicts.rows(), kinds.rows()))
    return scripts, hashlib.sha256("\0".join((*texts, seeded)).encode()).hexdigest()


def _bring_schema_up_to_date(con: duckdb.DuckDBPyConnection) -> None:
    """Apply the scripts and seed `verdicts` and `source_kinds`, in one transaction, unless
    the file already carries their digest.

    A quarterly run opens the warehouse several times; re-creating every view each time cost
    ~0.04 s an open. The transaction means a process killed mid-way leaves no half schema.
    """
    scripts, digest = _schema_scripts()
    con.execute("CREATE TABLE IF NOT EXISTS schema_version (digest VARCHAR NOT NULL)")
    if con.execute("SELECT digest FROM schema_version").fetchall() == [(digest,)]:
        return
    con.execute("BEGIN TRANSACTION")
    try:
        earlier_sources = _set_aside_sha256_keyed_source_files(con)
        for script in scripts:
            sqlfiles.run_script(con, script)
        if earlier_sources:
            con.execute(f"INSERT INTO source_files BY NAME SELECT * FROM {earlier_sources}")
            con.execute(f"DROP TABLE {earlier_sources}")
        con.execute("DELETE FROM verdicts")
        con.executemany(f"INSERT INTO verdicts ({', '.join(verdicts.COLUMNS)}, urgency) "
                        f"VALUES ({', '.join('?' * (len(verdicts.COLUMNS) + 1))})",
                        verdicts.rows())
        con.execute("DELETE FROM source_kinds")
        con.executemany("INSERT INTO source_kinds VALUES (?, ?, ?, ?)", kinds.rows())
        con.execute("DELETE FROM schema_version")
        con.execute("INSERT INTO schema_version VALUES (?)", [digest])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


@dataclass(frozen=True)
class QueryResult:
    """An analyst's query: column names and rows, as `crosswalk sql` prints them."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def read_only_query(settings: Settings, sql: str) -> QueryResult:
    """Run one analyst query on a read-only connection: nothing it says can change the
    warehouse, and no DuckDB client of another version is needed to read the file."""
    if not settings.db_path.is_file():
        raise BadInput("no warehouse database yet: run `crosswalk run` (or `crosswalk load`) "
                       "first", file=str(settings.db_path))
    with closing(connect(settings, read_only=True)) as con:
        try:
            cursor = con.execute(sql)
        except duckdb.Error as error:
            raise BadInput(f"{type(error).__name__}: {error}", field="SQL") from error
        if cursor.description is None:
            return QueryResult((), [])
        return QueryResult(tuple(column[0] for column in cursor.description),
                           cursor.fetchall())


def _set_aside_sha256_keyed_source_files(con: duckdb.DuckDBPyConnection) -> str | None:
    """Databases written before reverts became events key source_files on sha256 alone, which
    cannot hold a revert. DuckDB cannot change a key in place: rename the table so the schema
    creates the new one, and return the old name for its rows to be copied over."""
    if _primary_key(con, "source_files") != ["sha256"]:
        return None
    con.execute("ALTER TABLE source_files RENAME TO source_files_keyed_by_sha256")
    return "source_files_keyed_by_sha256"


def database_path(settings_or_path: Settings | Path | str) -> Path:
    if isinstance(settings_or_path, Settings):
        return settings_or_path.db_path
    return Path(settings_or_path)


@contextmanager
def open_writer(settings: Settings | Path | str,
                wait_seconds: float = DEFAULT_WAIT_SECONDS) -> Iterator[duckdb.DuckDBPyConnection]:
    """The one read-write connection, waiting up to `wait_seconds` for another run to finish.

    Scheduled runs and an analyst's manual load can overlap; waiting a little beats failing,
    and failing with Busy beats hanging forever.
    """
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            con = connect(settings)
            break
        except Busy:
            if time.monotonic() >= deadline:
                raise
            time.sleep(LOCK_POLL_SECONDS)
    try:
        yield con
    finally:
        con.close()


def load_command(settings: Settings, quarter: Quarter | None = None) -> str:
    """The command that would give `settings` a loaded release: `crosswalk load` for a release
    in the raw archive (the one asked for, else the newest), else `crosswalk run`."""
    archived = manifest.archived_quarters(settings)
    if quarter is not None and quarter not in archived:
        command = f"crosswalk run --quarter {quarter}"
    elif archived:
        command = f"crosswalk load --quarter {quarter or archived[-1]}"
    else:
        command = "crosswalk run"
    default = Path(DEFAULT_DATA_DIR)
    return command if settings.data_dir == default else f"{command} --data-dir {settings.data_dir}"


def loaded_versions(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> dict[str, str]:
    """source kind -> sha256 of the file version loaded for the release now."""
    return dict(sqlfiles.run_file(con, "load", "loaded_versions",
                                  {"quarter": str(quarter)}).fetchall())


def parse_quarter(settings: Settings, quarter: Quarter,
                  loaded: Mapping[str, str] | None = None) -> ParsedRelease:
    """Read the newest archived version of each kind of a release; no database involved.

    Kinds whose newest version is already loaded (`loaded`: kind -> sha256) are not re-read.
    The manifest is read once, for both the versions to load and the events to record.
    """
    entries = manifest.read_manifest(settings)
    newest = manifest.newest_versions(entries, quarter)
    if not newest:
        raise BadInput(f"nothing archived for {quarter} under {settings.raw_dir}; run "
                       f"`crosswalk download --quarter {quarter}` first", field="quarter")
    loaded = loaded or {}
    files = {kind: parse_file(settings, entry) for kind, entry in newest.items()
             if loaded.get(kind) != entry.sha256}
    seen = [entry.record(settings) for entry in entries if entry.quarter == str(quarter)]
    return ParsedRelease(quarter, {kind: entry.sha256 for kind, entry in newest.items()},
                         files, seen)


def parse_file(settings: Settings, entry: manifest.ManifestEntry) -> ParsedFile:
    """Read one archived file version (a manifest entry) with the reader of its kind."""
    _check_sha256(entry.path, entry.sha256)
    read = kinds.get(entry.source_kind).read_zip(entry.path, settings)
    return ParsedFile(entry.source_kind, entry.sha256, entry.file_name, read.tables,
                      tuple(read.notes))


def write_release(con: duckdb.DuckDBPyConnection, parsed: ParsedRelease, *,
                  started: datetime | None = None) -> LoadSummary:
    """Write one parsed release in ONE transaction; roll back everything on any error.

    The write runs on one DuckDB thread: a release is a few inserts of some thousand rows,
    where starting and coordinating the worker pool cost more CPU than it saves (about
    0.025 s of the 0.2 s a fresh database's load spends in DuckDB). The setting is put back
    afterwards for the connection's other queries.
    """
    started = started or _now()
    con.execute("SET threads = 1")
    try:
        with sqlfiles.registered(con, _relations(parsed)):
            con.execute("BEGIN TRANSACTION")
            try:
                summary = _write_in_transaction(con, parsed, started)
                con.execute("COMMIT")
            except BaseException as error:
                con.execute("ROLLBACK")
                if isinstance(error, Exception):
                    record_failure(con, parsed.quarter, started, error)
                raise
    finally:
        con.execute("RESET threads")
    return summary


def _relations(parsed: ParsedRelease) -> dict[str, Rows]:
    """The rows the load SQL reads, by relation name: manifest_entries, <table>_rows."""
    relations = {"manifest_entries": Rows({column: [entry.get(column) for entry in parsed.seen]
                                           for column in manifest.COLUMNS})}
    for parsed_file in parsed.files.values():
        relations.update({f"{table}_rows": given.rows
                          for table, given in parsed_file.tables.items()})
    return relations


def _write_in_transaction(con: duckdb.DuckDBPyConnection, parsed: ParsedRelease,
                          started: datetime) -> LoadSummary:
    quarter = str(parsed.quarter)
    sqlfiles.run_file(con, "load", "record_source_files")
    before = loaded_versions(con, parsed.quarter)
    changed = sorted(kind for kind, sha in parsed.newest.items() if before.get(kind) != sha)
    stale = [kind for kind in changed if kind not in parsed.files
             or parsed.files[kind].sha256 != parsed.newest[kind]]
    if stale:
        raise CrosswalkError(f"{quarter}: {', '.join(stale)} changed in the database since the "
                             "release was parsed; load it again")
    run_id = con.execute("SELECT nextval('load_run_ids')").fetchone()[0]
    rows = sum(_replace_kind(con, quarter, parsed.files[kind], run_id) for kind in changed)
    status = "loaded" if changed else "unchanged"
    notes = tuple(note for kind in changed for note in parsed.files[kind].notes)
    message = f"{len(changed)} file(s) loaded" if changed else "same bytes already loaded"
    sqlfiles.run_file(con, "load", "record_load_run", {
        "run_id": run_id, "quarter": quarter, "started_at": started, "status": status,
        "message": "; ".join((message, *notes)), "rows_loaded": rows})
    return LoadSummary(parsed.quarter, status, run_id, _file_summaries(con, quarter, changed),
                       notes)


def _replace_kind(con: duckdb.DuckDBPyConnection, quarter: str, parsed: ParsedFile,
                  run_id: int) -> int:
    """Replace the release's rows of every table of the kind; returns rows inserted.

    A table the new version lacks (an HCPCS zip without the NOC workbook) is emptied for the
    quarter too: the release then holds exactly what the loaded version holds.
    """
    rows = 0
    for table in kinds.get(parsed.kind).tables:
        sqlfiles.run_file(con, "load", "delete_release_rows", {"quarter": quarter}, table=table)
        if table in parsed.tables:
            rows += _insert_rows(con, table, quarter, parsed)
    sqlfiles.run_file(con, "load", "record_release_file", {
        "quarter": quarter, "source_kind": parsed.kind, "sha256": parsed.sha256,
        "member": parsed.member, "row_count": parsed.row_count, "run_id": run_id,
        "loaded_at": _now()})
    return rows


def _insert_rows(con: duckdb.DuckDBPyConnection, table: str, quarter: str,
                 parsed: ParsedFile) -> int:
    """Insert a reader's frame; a key or type violation becomes BadInput naming the file."""
    given = parsed.tables[table]
    try:
        sqlfiles.run_file(con, "load", "insert_release_rows", {
            "quarter": quarter, "sha256": parsed.sha256, "member": given.member}, table=table)
    except _DATA_ERRORS as error:
        raise _refusal(con, table, given, f"{parsed.file_name}!{given.member}", error) from error
    return len(given.rows)


def _refusal(con: duckdb.DuckDBPyConnection, table: str, given: TableRows, where: str,
             error: duckdb.Error) -> BadInput:
    """Say what the database refused in the file's terms: the key a file repeats (with its
    lines when the table keeps them), else DuckDB's own message."""
    rows = given.rows
    key = [column for column in _primary_key(con, table) if column in rows.names]
    values = list(zip(*(rows[column] for column in key))) if key else []
    same = first_repeated(values)
    if not same:
        return BadInput(f"cannot load into {table}: {error}", file=where, field=table)
    shown = ", ".join(f"{column} {value!r}" for column, value in zip(key, values[same[0]]))
    lines = [rows["line_no"][index] for index in same] if "line_no" in rows.names else []
    at = f" (lines {', '.join(map(str, lines))})" if lines else ""
    return BadInput(f"{shown} appears {len(same)} times{at}; {table} holds one row per key",
                    file=where, row=lines[-1] if lines else None, field=", ".join(key))


def _primary_key(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The table's key without quarter (which the loader adds); read through a cursor of its
    own, as the load's transaction has already failed."""
    found = con.cursor().execute("SELECT constraint_column_names FROM duckdb_constraints() "
                        "WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'",
                        [table]).fetchone()
    return [column for column in (found[0] if found else []) if column != "quarter"]


def _file_summaries(con: duckdb.DuckDBPyConnection, quarter: str,
                    changed: list[str]) -> tuple[FileSummary, ...]:
    rows = con.execute(
        "SELECT source_kind, file_name, sha256, row_count FROM release_sources "
        "WHERE quarter = ? ORDER BY source_kind", [quarter]).fetchall()
    return tuple(FileSummary(kind, name, sha, count, "loaded" if kind in changed else "unchanged")
                 for kind, name, sha, count in rows)


def record_failure(con: duckdb.DuckDBPyConnection, quarter: Quarter, started: datetime,
                    error: Exception) -> None:
    """Note a failed load in a transaction of its own, after the load itself rolled back."""
    try:
        run_id = con.execute("SELECT nextval('load_run_ids')").fetchone()[0]
        sqlfiles.run_file(con, "load", "record_load_run", {
            "run_id": run_id, "quarter": str(quarter), "started_at": started,
            "status": "failed", "message": str(error), "rows_loaded": 0})
    except duckdb.Error as failure:
        error.add_note(f"(the failed run could not be recorded in load_runs: {failure})")


def _check_sha256(path: Path, expected: str) -> None:
    """Refuse a file whose bytes are not the version the manifest recorded."""
    if not path.is_file():
        raise BadInput("archived file is missing; download the quarter again", file=str(path))
    digest = file_sha256(path)
    if digest != expected:
        raise BadInput(f"archived file changed since download (sha256 {digest[:12]}, manifest "
                       f"says {expected[:12]}); download the quarter again", file=str(path))


def _now() -> datetime:
    return datetime.now(timezone.utc)
