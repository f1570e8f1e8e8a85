"""crosswalk.sqlfiles: sql/ files run statement by statement with the parameters each names."""

from __future__ import annotations

import duckdb
import pytest

from crosswalk import sqlfiles


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
                "'11' AS place_of_service, 'j2329' AS hcpcs, 'jz 59' AS modifiers, '450' AS units, "
                "NULL AS modifier_1, NULL AS modifier_2, NULL AS modifier_3, NULL AS modifier_4, "
                "NULL AS narrative, NULL AS drug_description, NULL AS ndc, NULL AS ndc_quantity, "
                "NULL AS ndc_unit, NULL AS prior_auth, NULL AS payer, false AS decimal_comma, "
                "false AS blank")
    batches = list(sqlfiles.relation(con, "claims", "export_lines").to_arrow_reader(10))
    [line] = batches[0].to_pylist()
    assert (line["hcpcs"], line["modifiers"], line["problems"]) == ("J2329", "JZ,59", None)
