"""Table columns, read from the DDL in sql/schema rather than spelled again in Python.

The DDL is the one place a table's columns are declared. Readers shape their frames to it,
the matcher builds its rows from it, and a column added to a CREATE TABLE reaches them all.
The scripts are run once per process on an in-memory DuckDB of one thread (a catalog needs no
worker pool) and each table described, about 0.045 s CPU, part of every load.
"""

from __future__ import annotations

import functools

import duckdb

from crosswalk.settings import SQL_DIR

# What the loader adds to every row of a release table (the reader never supplies them).
PROVENANCE = ("quarter", "source_sha256", "source_member")


@functools.cache
def _described() -> dict[str, tuple[str, ...]]:
    con = duckdb.connect(config={"threads": 1})
    try:
        for script in sorted((SQL_DIR / "schema").glob("*.sql")):
            con.execute(script.read_text(encoding="utf-8"))
        tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT internal").fetchall()
        return {table: tuple(con.table(table).columns) for (table,) in tables}
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
