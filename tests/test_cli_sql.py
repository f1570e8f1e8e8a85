"""`crosswalk sql`: analysts query the warehouse without installing a DuckDB client."""

from __future__ import annotations

import csv
import io

from click.testing import CliRunner

from crosswalk import warehouse
from crosswalk.cli import main
from crosswalk.settings import Settings


def loaded(settings: Settings) -> Settings:
    with warehouse.open_writer(settings) as con:
        con.execute("INSERT INTO hcpcs_codes (quarter, code, is_modifier, long_description, "
                    "add_date, source_sha256, source_member) VALUES "
                    "('2025Q4', 'Q5156', false, 'Injection, tocilizumab-anoh (avtozma), "
                    "biosimilar, 1 mg', DATE '2025-10-01', 'x', 'y'), "
                    "('2025Q4', 'J2329', false, 'Injection, ublituximab-xiiy, 1mg', "
                    "DATE '2023-07-01', 'x', 'y')")
    return settings


def sql(settings: Settings, *args: str):
    return CliRunner().invoke(main, ["sql", *args, "--data-dir", str(settings.data_dir)])


def test_a_query_prints_a_table_and_a_row_count(settings: Settings) -> None:
    result = sql(loaded(settings), "SELECT code, add_date FROM hcpcs_current ORDER BY code")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["code", "add_date"]
    assert lines[1].split() == ["J2329", "2023-07-01"]
    assert lines[2].split() == ["Q5156", "2025-10-01"]
    assert lines[-1] == "(2 rows)"


def test_csv_output_reads_back(settings: Settings) -> None:
    result = sql(loaded(settings), "SELECT code, long_description FROM hcpcs_codes "
                                   "ORDER BY code", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == ["code", "long_description"]
    assert rows[2] == ["Q5156", "Injection, tocilizumab-anoh (avtozma), biosimilar, 1 mg"]


def test_the_warehouse_cannot_be_changed_through_sql(settings: Settings) -> None:
    result = sql(loaded(settings), "DELETE FROM hcpcs_codes")
    assert result.exit_code == 2
    assert "read-only" in result.output
    with warehouse.open_writer(settings) as con:
        assert con.execute("SELECT count(*) FROM hcpcs_codes").fetchone()[0] == 2


def test_a_bad_query_or_no_database_is_a_clear_error(settings: Settings) -> None:
    missing = sql(settings, "SELECT 1")
    assert missing.exit_code == 2 and "no warehouse database yet" in missing.output
    assert not settings.db_path.exists()  # nothing created by asking
    wrong = sql(loaded(settings), "SELECT nope FROM hcpcs_codes")
    assert wrong.exit_code == 2 and "field 'SQL': BinderException" in wrong.output


def readme_queries() -> list[str]:
    """The SQL statements of the README's analyst section, one per statement."""
    from conftest import REPO_ROOT

    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("```sql", 1)[1].split("```", 1)[0]
    code = "\n".join(line for line in block.splitlines() if not line.startswith("--"))
    return [statement.strip() for statement in code.split(";") if statement.strip()]


def test_every_readme_analyst_query_runs_through_crosswalk_sql(settings: Settings) -> None:
    queries = readme_queries()
    assert len(queries) >= 5
    loaded(settings)
    for query in queries:
        result = sql(settings, query)
        assert result.exit_code == 0, (query, result.output)
        assert result.output.strip().endswith("row)") or result.output.strip().endswith("rows)")
