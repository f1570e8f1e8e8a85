"""Quarter: every spelling people and CMS use parses to one value; bad values are BadInput."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crosswalk.errors import BadInput
from crosswalk.quarters import Quarter, quarter_range

Q4_2025 = Quarter(2025, 4)


@pytest.mark.parametrize("text", [
    "2025Q4", "2025q4", "2025-Q4", "2025 Q4", "2025_Q4", "Q4 2025", "q4-2025",
    "oct-2025", "Oct 2025", "OCT2025", "october 2025", "October 2025", "October, 2025",
    "Oct. 2025", "2025-oct", "2025 October", "  2025Q4  ",
])
def test_spellings_parse_to_one_quarter(text: str) -> None:
    assert Quarter.parse(text) == Q4_2025


def test_a_quarter_parses_to_itself() -> None:
    assert Quarter.parse(Q4_2025) is Q4_2025


@pytest.mark.parametrize("text", [
    "2025Q5", "2025Q0", "Q4", "2025", "", "nov-2025", "Sept 2025", "Smarch 2025",
    "October 25", "1850Q1", "2025-10", "octo-ber 2025",
])
def test_bad_values_are_bad_input_naming_the_field(text: str) -> None:
    with pytest.raises(BadInput) as raised:
        Quarter.parse(text)
    assert raised.value.field == "quarter"


def test_non_release_month_is_refused_not_rounded() -> None:
    with pytest.raises(BadInput, match="not a CMS release month"):
        Quarter.parse("November 2025")


def test_dates_and_cms_words() -> None:
    assert (Q4_2025.first_day, Q4_2025.last_day) == (date(2025, 10, 1), date(2025, 12, 31))
    assert (Q4_2025.month_name, Q4_2025.month_abbr, Q4_2025.month_code) == ("October", "Oct", "OCT")
    assert Quarter(2025, 1).month_code == "JAN" and Quarter(2025, 1).slug == "january-2025"
    assert str(Q4_2025) == "2025Q4"


def test_neighbours_wrap_the_year() -> None:
    assert Q4_2025.next() == Quarter(2026, 1) and Quarter(2026, 1).previous() == Q4_2025
    assert quarter_range(Quarter(2025, 3), Quarter(2026, 2)) == [
        Quarter(2025, 3), Q4_2025, Quarter(2026, 1), Quarter(2026, 2)]
    assert Quarter.containing(date(2025, 11, 15)) == Q4_2025


quarters = st.builds(Quarter, st.integers(1980, 2199), st.integers(1, 4))


@given(quarters)
def test_every_spelling_round_trips(quarter: Quarter) -> None:
    spellings = [str(quarter), f"{quarter.year}-Q{quarter.number}", f"{quarter.month_abbr.lower()}-{quarter.year}",
                 f"{quarter.month_name} {quarter.year}", f"{quarter.month_code}{quarter.year}", quarter.slug]
    assert {Quarter.parse(text) for text in spellings} == {quarter}


@given(quarters)
def test_order_follows_first_day_and_next_is_one_step(quarter: Quarter) -> None:
    following = quarter.next()
    assert quarter < following and quarter.first_day < following.first_day
    assert following.first_day.toordinal() == quarter.last_day.toordinal() + 1
    assert following.previous() == quarter
