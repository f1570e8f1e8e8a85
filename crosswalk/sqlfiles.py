"""Run the set work kept in sql/ files: DuckDB splits the statements, Python passes values.

DuckDB's own parser (`extract_statements`) splits a file, so a semicolon inside a literal or
a comment never cuts a statement in two, and each statement is handed exactly the named
parameters (`$file_id`) it uses, which DuckDB requires.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

from crosswalk.settings import SQL_DIR


def run_file(con: duckdb.DuckDBPyConnection, folder: str, name: str,
             params: Mapping[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """Run sql/<folder>/<name>.sql statement by statement; the last statement's result is
    left on the connection (fetch it with .fetchall() or .df())."""
    result = con
    for statement in con.extract_statements(_text(SQL_DIR / folder / f"{name}.sql")):
        wanted = {key: (params or {})[key] for key in statement.named_parameters}
        result = con.execute(statement, wanted)
    return result


def query(con: duckdb.DuckDBPyConnection, folder: str, name: str,
          params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The rows of a one-query sql file as dicts (column name -> value)."""
    cursor = run_file(con, folder, name, params)
    columns = [column[0] for column in cursor.description]
    return [dict(zip(columns, values)) for values in cursor.fetchall()]


def relation(con: duckdb.DuckDBPyConnection, folder: str, name: str) -> duckdb.DuckDBPyRelation:
    """A one-query, parameterless sql file as a lazy relation (to stream in Arrow batches)."""
    return con.sql(_text(SQL_DIR / folder / f"{name}.sql"))


@functools.cache
def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")
