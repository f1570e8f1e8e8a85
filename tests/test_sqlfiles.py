"""crosswalk.sqlfiles: sql/ files run statement by statement with the parameters each names."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from crosswalk import sqlfiles
from crosswalk.source_kind import Rows


def test_each_statement_gets_only_the_parameters_it_names(tmp_path, monkeypatch):
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "statements.sql").write_text(
        "-- a comment; with a semicolon\n"
        "CREATE TEMP TABLE t AS SELECT $first AS a, 'x;y' AS b;\n"
        "SELECT a, b, $second AS c FROM t;\n")
    monkeypatch.setattr(sqlfiles, "SQL_DIR", tmp_path)
    con = duckdb.connect()
    rows = sqlfiles.query(con, "demo", "statements", {"first": 1, "second": "two", "unused": 3})
    assert rows == [{"a": 1, "b": "x;y", "c": "two"}]  # the ';' in a literal cut nothing


def test_a_missing_parameter_is_an_error():
    with pytest.raises(KeyError, match="file_path"):
        sqlfiles.run_file(duckdb.connect(), "claims", "01_forget_file", {})


def test_a_parameterless_query_streams_as_a_relation():
    con = duckdb.connect()
    sqlfiles.run_file(con, "claims", "export_macros")
    con.execute("CREATE TEMP VIEW export_rows AS SELECT 1 AS ordinal, 2 AS row_no, "
                "'A1' AS claim_id, '1' AS line, '2025-10-15' AS date_of_service, "
                "NULL AS dos_through, '11' AS place_of_service, 'j2329' AS hcpcs, 'jz 59' AS modifiers, '450' AS units, "
                "NULL AS modifier_1, NULL AS modifier_2, NULL AS modifier_3, NULL AS modifier_4, "
                "NULL AS narrative, NULL AS drug_description, NULL AS ndc, NULL AS ndc_quantity, "
                "NULL AS ndc_unit, NULL AS prior_auth, NULL AS payer, NULL AS line_type, "
                "false AS decimal_comma, "
                "false AS excel_serials, 'Claim' AS header_claim_id, "
                "'DOS' AS header_date_of_service, 'Code' AS header_hcpcs, false AS blank")
    batches = list(sqlfiles.relation(con, "claims", "export_lines").to_arrow_reader(10))
    [line] = batches[0].to_pylist()
    assert (line["hcpcs"], line["modifiers"], line["problems"]) == ("J2329", "JZ,59", None)


def demo_file(tmp_path, monkeypatch, name: str, text: str) -> None:
    (tmp_path / "demo").mkdir(exist_ok=True)
    (tmp_path / "demo" / f"{name}.sql").write_text(text)
    monkeypatch.setattr(sqlfiles, "SQL_DIR", tmp_path)
    sqlfiles.sql_text.cache_clear()


def test_a_file_refuses_to_run_without_the_relations_it_declares(tmp_path, monkeypatch):
    import pandas as pd

    demo_file(tmp_path, monkeypatch, "reads", "-- Registered: drugs_in, codes_in\n"
              "SELECT count(*) AS n FROM drugs_in, codes_in;\n")
    con = duckdb.connect()
    with pytest.raises(ValueError, match="reads drugs_in, codes_in, which Python must "
                                         "register first"):
        sqlfiles.run_file(con, "demo", "reads")
    with sqlfiles.registered(con, {"drugs_in": pd.DataFrame({"a": [1, 2]}),
                                   "codes_in": pd.DataFrame({"b": [1]})}):
        assert sqlfiles.query(con, "demo", "reads") == [{"n": 2}]
    assert con.execute("SELECT count(*) FROM duckdb_views() WHERE temporary AND view_name "
                       "IN ('drugs_in', 'codes_in')").fetchone()[0] == 0  # let go after


def test_a_table_is_spliced_in_only_when_the_database_has_it(tmp_path, monkeypatch):
    demo_file(tmp_path, monkeypatch, "count", "SELECT count(*) AS n FROM {table};\n")
    con = duckdb.connect()
    con.execute("CREATE TABLE hcpcs_codes AS SELECT 1 AS code")
    assert sqlfiles.run_file(con, "demo", "count", table="hcpcs_codes").fetchall() == [(1,)]
    with pytest.raises(ValueError, match="not a table of the database: 'x; DROP TABLE y'"):
        sqlfiles.run_file(con, "demo", "count", table="x; DROP TABLE y")
    with pytest.raises(ValueError, match="is written for a table: name it"):
        sqlfiles.run_file(con, "demo", "count")


def test_registrations_survive_a_failed_transaction_without_hiding_its_error(tmp_path,
                                                                            monkeypatch):
    import pandas as pd

    con = duckdb.connect()
    con.execute("BEGIN TRANSACTION")
    with pytest.raises(duckdb.CatalogException, match="no_such_table"):
        with sqlfiles.registered(con, {"rows_in": pd.DataFrame({"a": [1]})}):
            con.execute("SELECT * FROM no_such_table")
    con.execute("ROLLBACK")
    assert con.execute("SELECT 1").fetchone() == (1,)


def test_one_query_is_the_statement_to_wrap_with_its_parameters(tmp_path, monkeypatch):
    demo_file(tmp_path, monkeypatch, "one", "-- one query\nSELECT $a AS a, $b AS b;\n")
    demo_file(tmp_path, monkeypatch, "two", "SELECT 1; SELECT 2;\n")
    con = duckdb.connect()
    query = sqlfiles.one_query(con, "demo", "one")
    assert query.parameters == {"a", "b"} and not query.text.rstrip().endswith(";")
    assert con.execute(f"SELECT * FROM ({query.text})",
                       query.values({"a": 1, "b": 2, "c": 3})).fetchall() == [(1, 2)]
    with pytest.raises(ValueError, match="holds 2 statements; one query expected"):
        sqlfiles.one_query(con, "demo", "two")


def test_plain_python_rows_reach_sql_with_their_types_and_nulls():
    """A reader's Rows (and a dict of lists) are scanned as they are: each column's type read
    from its values, None as NULL, a column of None alone as NULL, whatever comes first."""
    rows = Rows({"code": [None] * 3000 + ["J3590"], "day": [date(2025, 10, 1)] + [None] * 3000,
                 "price": [1.5] + [None] * 3000, "modifier": [True] + [False] * 3000,
                 "line_no": list(range(3001)), "blank": [None] * 3001})
    con = duckdb.connect()
    with sqlfiles.registered(con, {"given": rows, "plain": {"a": ["x", None]}}):
        types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE given)")
                     .fetchall())
        counts = con.execute("SELECT count(code), max(code), count(day), max(day), "
                             "sum(price), count(*) FILTER (WHERE modifier), max(line_no), "
                             "count(blank) FROM given").fetchone()
        plain = con.execute("SELECT a FROM plain ORDER BY a NULLS LAST").fetchall()
    assert types == {"code": "VARCHAR", "day": "DATE", "price": "DOUBLE",
                     "modifier": "BOOLEAN", "line_no": "INTEGER", "blank": '"NULL"'}
    assert counts == (1, "J3590", 1, date(2025, 10, 1), 1.5, 1, 3000, 0)
    assert plain == [("x",), (None,)]
