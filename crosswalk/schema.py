"""Table columns, read from the DDL in sql/schema rather than spelled again in Python.

The DDL is the one place a table's columns are declared. Readers shape their frames to it,
the matcher builds its rows from it, and a column added to a CREATE TABLE reaches them all.
The scripts are run once per process on an in-memory DuckDB (about 0.03 s) and the columns
read from its catalog.
"""

from __future__ import annotations

import functools

import duckdb

from crosswalk.settings import SQL_DIR

# What the loader adds to every row of a release table (the reader never supplies them).
PROVENANCE = ("quarter", "source_sha256", "source_member")


@functools.cache
def _described() -> dict[str, tuple[str, ...]]:
    con = duckdb.connect()
    try:
        for script in sorted((SQL_DIR / "schema").glob("*.sql")):
            con.execute(script.read_text(encoding="utf-8"))
        return {table: tuple(names) for table, names in con.execute(
            "SELECT table_name, list(column_name ORDER BY column_index) FROM duckdb_columns() "
            "WHERE NOT internal GROUP BY table_name").fetchall()}
    finally:
        con.close()


def columns(table: str) -> tuple[str, ...]:
    """The table's columns in DDL order; KeyError naming the table when sql/schema lacks it."""
    described = _described()
    if table not in described:
        raise KeyError(f"no table {table!r} in sql/schema")
    return described[table]


@functools.cache
def read_columns(table: str) -> tuple[str, ...]:
    """A release table's columns a reader produces: all but the loader's provenance."""
    return tuple(column for column in columns(table) if column not in PROVENANCE)


@functools.cache
def run_columns(table: str) -> tuple[str, ...]:
    """A match run's table columns as the matcher builds its rows: all but run_id, which the
    run is given when it is saved."""
    return tuple(column for column in columns(table) if column != "run_id")
