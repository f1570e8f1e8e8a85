"""The one way set work kept in sql/ files is run: DuckDB splits the statements, Python passes
values, and the relations Python registers for a file are declared in the file.

- Statements: DuckDB's own parser (`extract_statements`) splits a file, so a semicolon inside
  a literal or a comment never cuts a statement in two.
- Parameters: one syntax, `$name`; each statement is handed exactly the parameters it uses
  (DuckDB refuses extra ones).
- Identifiers: a file written for several tables says `{table}`; the caller names the table,
  which must exist in the database (no other text is ever spliced into SQL).
- Registered relations: a file that reads rows registered by Python declares them in its
  header, `-- Registered: practice_input, candidate_codes`. `registered()` is the one place
  that registers them, and `run_file` refuses to run a file whose declared relations are not
  registered, naming them, instead of failing on a missing table half-way through.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from crosswalk.settings import SQL_DIR
from crosswalk.source_kind import Rows

_DECLARED = re.compile(r"^--\s*Registered:\s*(.+)$", re.MULTILINE)
_NAME = re.compile(r"\{?[A-Za-z_][\w{}]*")


@functools.cache
def sql_text(folder: str, name: str) -> str:
    return (SQL_DIR / folder / f"{name}.sql").read_text(encoding="utf-8")


def declared_relations(text: str) -> tuple[str, ...]:
    """The relations a file's header says Python registers for it ('{table}_rows' kept)."""
    names: list[str] = []
    for line in _DECLARED.findall(text):
        names += [_NAME.match(part.strip()).group(0) for part in line.split(",")
                  if _NAME.match(part.strip())]
    return tuple(names)


def run_file(con: duckdb.DuckDBPyConnection, folder: str, name: str,
             params: Mapping[str, Any] | None = None, *,
             table: str | None = None) -> duckdb.DuckDBPyConnection:
    """Run sql/<folder>/<name>.sql statement by statement; the last statement's result is
    left on the connection (fetch it with .fetchall() or .df())."""
    text = _with_table(con, sql_text(folder, name), table, f"sql/{folder}/{name}.sql")
    _require_registered(con, text, f"sql/{folder}/{name}.sql")
    result = con
    for statement in con.extract_statements(text):
        wanted = {key: (params or {})[key] for key in statement.named_parameters}
        result = con.execute(statement, wanted)
    return result


def query(con: duckdb.DuckDBPyConnection, folder: str, name: str,
          params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The rows of a one-query sql file as dicts (column name -> value)."""
    cursor = run_file(con, folder, name, params)
    columns = [column[0] for column in cursor.description]
    return [dict(zip(columns, values)) for values in cursor.fetchall()]


@dataclass(frozen=True)
class Query:
    """A one-query file's text (no trailing semicolon) to run or to wrap (COPY, DESCRIBE),
    and the parameters it names."""

    text: str
    parameters: frozenset[str]

    def values(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters this query uses, from `params` (DuckDB refuses extra ones)."""
        return {key: params[key] for key in self.parameters}


def one_query(con: duckdb.DuckDBPyConnection, folder: str, name: str) -> Query:
    """sql/<folder>/<name>.sql, which must hold exactly one statement."""
    where = f"sql/{folder}/{name}.sql"
    text = sql_text(folder, name)
    _require_registered(con, text, where)
    statements = con.extract_statements(text)
    if len(statements) != 1:
        raise ValueError(f"{where} holds {len(statements)} statements; one query expected")
    # no semicolon, and a line break last, so a wrapping ")" never lands in a trailing comment
    text = statements[0].query.rstrip().removesuffix(";") + "\n"
    return Query(text, frozenset(statements[0].named_parameters))


def relation(con: duckdb.DuckDBPyConnection, folder: str, name: str) -> duckdb.DuckDBPyRelation:
    """A one-query, parameterless sql file as a lazy relation (to stream in Arrow batches)."""
    text = sql_text(folder, name)
    _require_registered(con, text, f"sql/{folder}/{name}.sql")
    return con.sql(text)


def run_script(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Run a DDL file (sql/schema, sql/views): no parameters, no registered relations."""
    for statement in con.extract_statements(path.read_text(encoding="utf-8")):
        con.execute(statement)


@contextmanager
def registered(con: duckdb.DuckDBPyConnection,
               relations: Mapping[str, Any]) -> Iterator[None]:
    """Expose DataFrames, Arrow tables and batches, or columns of plain Python values (a
    reader's Rows, a dict of lists) to SQL by name for the block.

    Inside a transaction that failed, DuckDB refuses every statement until ROLLBACK,
    unregistering included: then the failure is what matters and goes on up (the rollback
    drops the registrations with the rest)."""
    for relation_name, value in relations.items():
        con.register(relation_name, _scannable(value))
    try:
        yield
    except BaseException:
        _unregister(con, relations, failing=True)
        raise
    _unregister(con, relations, failing=False)


def _scannable(value: Any) -> Any:
    """Columns of Python values as NumPy object arrays, which DuckDB scans as they are (None
    as NULL, each column's type read from its values) without pandas or pyarrow, whose
    imports cost more than a release's load (crosswalk.source_kind.Rows)."""
    columns = value.columns if isinstance(value, Rows) else value
    if not isinstance(columns, dict):
        return value
    import numpy

    arrays = {}
    for name, values in columns.items():
        arrays[name] = numpy.empty(len(values), dtype=object)
        arrays[name][:] = values
    return arrays


def _unregister(con: duckdb.DuckDBPyConnection, relations: Mapping[str, Any],
                failing: bool) -> None:
    for relation_name in relations:
        try:
            con.unregister(relation_name)
        except duckdb.TransactionException:
            if not failing:
                raise


def _with_table(con: duckdb.DuckDBPyConnection, text: str, table: str | None,
                where: str) -> str:
    if table is None:
        if "{table}" in text:
            raise ValueError(f"{where} is written for a table: name it")
        return text
    known = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
                        [table]).fetchone()[0]
    if not known:
        raise ValueError(f"{where}: not a table of the database: {table!r}")
    return text.replace("{table}", table)


def _require_registered(con: duckdb.DuckDBPyConnection, text: str, where: str) -> None:
    wanted = declared_relations(text)
    if not wanted:
        return
    present = {name for (name,) in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE temporary AND list_contains(?, view_name)",
        [list(wanted)]).fetchall()}
    missing = [name for name in wanted if name not in present]
    if missing:
        raise ValueError(f"{where} reads {', '.join(missing)}, which Python must register "
                         "first (sqlfiles.registered)")
