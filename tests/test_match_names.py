"""Properties of the name keys the matcher blocks and scores on (sql/match/00_name_macros.sql)."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings, strategies as st

from crosswalk import match

LETTERS = "abcdefghijklmnopqrstuvwxyz"
stems = st.text(LETTERS, min_size=5, max_size=14).map(lambda s: s + "mab")
suffixes = st.text(LETTERS, min_size=4, max_size=4)


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    match.run_sql(connection, "00_name_macros", {})
    yield connection
    connection.close()


def key(con: duckdb.DuckDBPyConnection, text: str) -> tuple[str, list[str], list[str]]:
    return con.execute("SELECT drug_name_key($t), name_suffixes(drug_name_key($t)), "
                       "blocking_tokens(drug_name_key($t))", {"t": text}).fetchall()[0]


@settings(max_examples=60, deadline=None)
@given(stem=stems, suffix=suffixes, dose=st.sampled_from(["10 mg", "0.5 mg", "1mg", "100 units"]),
       salt=st.sampled_from(["", " sodium", " hydrochloride", " acetate"]))
def test_case_salt_dose_and_filler_do_not_change_the_key(con, stem, suffix, dose, salt) -> None:
    plain = key(con, f"{stem}-{suffix}")
    noisy = key(con, f"Injection, {stem.upper()}-{suffix.upper()}{salt}, biosimilar, {dose}")
    assert noisy == plain
    assert plain[1] == [suffix]
    assert plain[2] == [stem]  # the suffix never becomes a blocking token


@settings(max_examples=60, deadline=None)
@given(stem=stems, first=suffixes, second=suffixes)
def test_different_suffixes_never_share_a_suffix_list(con, stem, first, second) -> None:
    assert (key(con, f"{stem}-{first}")[1] == key(con, f"{stem}-{second}")[1]) == (
        first == second)
    assert key(con, stem)[1] == []  # the plain reference product has none


@pytest.mark.parametrize(("text", "expected"), [
    ("Injection, rituximab-arrx, biosimilar, (riabni), 10 mg", "rituximab-arrx riabni"),
    ("fam-trastuzumab deruxtecan-nxki", "fam-trastuzumab deruxtecan-nxki"),
    ("Briumvi\xa0", "briumvi"), ("Rituxan\u00ae ", "rituxan"),
    ("Ustekinumab, for intravenous injection, 1 mg", "ustekinumab intravenous"),
])
def test_known_descriptors(con, text: str, expected: str) -> None:
    assert key(con, text)[0] == expected
