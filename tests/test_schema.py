"""crosswalk.schema: table columns read from sql/schema, the one place they are declared."""

from __future__ import annotations

import pytest

from crosswalk import schema


def test_columns_are_those_of_the_warehouse_tables(fresh_db):
    tables = [name for (name,) in fresh_db.execute(
        "SELECT table_name FROM duckdb_tables() WHERE table_name <> 'schema_version'").fetchall()]
    assert len(tables) > 10
    for table in tables:
        described = tuple(row[0] for row in fresh_db.execute(f'DESCRIBE "{table}"').fetchall())
        assert schema.columns(table) == described, table


def test_a_reader_supplies_all_but_the_loaders_provenance():
    columns = schema.read_columns("asp_payment_limits")
    assert columns[0] == "hcpcs_code" and "payment_limit" in columns
    assert not set(schema.PROVENANCE) & set(columns)
    assert set(schema.columns("asp_payment_limits")) - set(columns) == set(schema.PROVENANCE)


def test_a_run_table_without_its_run_id():
    assert "run_id" not in schema.run_columns("practice_alerts")
    assert len(schema.run_columns("practice_alerts")) == len(schema.columns("practice_alerts")) - 1


def test_an_unknown_table_is_named():
    with pytest.raises(KeyError, match="no table 'alerts' in sql/schema"):
        schema.columns("alerts")
