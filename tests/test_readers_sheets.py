"""crosswalk.readers.sheets and layouts: CSV or workbook bytes to a located table of text."""

from __future__ import annotations

from datetime import date

import numpy
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crosswalk.errors import BadInput
from crosswalk.readers.layouts import Column, Layout, header_key
from crosswalk.readers.sheets import (cell_text, clean_text, csv_grid, decode_text,
                                      effective_window, locate, parse_number, parse_yyyymmdd,
                                      refuse_duplicates)

LAYOUT = Layout("demo", (Column("code", r"HCPCS( CODE)?", required=True),
                         Column("limit", r"PAYMENT LIMIT", required=True),
                         Column("notes", r"NOTES?")))


def table(text: str, encoding: str = "cp1252"):
    return locate(csv_grid(text.encode(encoding), "demo.csv"), LAYOUT)


def test_header_keys_fold_case_underscores_and_spaces():
    assert header_key("  Act_Eff\u00a0 Dt ") == "ACT EFF DT" == header_key("ACT EFF DT")
    assert header_key(None) == ""


def test_the_header_is_found_below_a_preamble_and_lines_are_kept():
    located = table("Title\n\"Effective October 1, 2025 through December 31, 2025\"\n\n"
                    "HCPCS Code,Payment Limit\nJ9312,1.5\n\nJ2329,66.512\n")
    assert located.header_line == 4 and located.missing == ["notes"]
    assert located.columns["code"] == ["J9312", "J2329"]
    assert located.lines == [5, 7]  # the blank line 6 dropped, its number not reused
    assert effective_window(located.preamble, "demo.csv") == (date(2025, 10, 1),
                                                              date(2025, 12, 31))


def test_a_renamed_required_column_is_named_with_its_line():
    """A row holding most required columns is the header that drifted: the lost one is named."""
    layout = Layout("demo", (*LAYOUT.columns, Column("dosage", r"DOSAGE", required=True)))
    grid = csv_grid(b"x\nHCPCS Code,Allowed Amount,Dosage\nJ9312,1,1 MG\n", "demo.csv")
    with pytest.raises(BadInput, match="no column for limit") as raised:
        locate(grid, layout)
    assert (raised.value.file, raised.value.row, raised.value.field) == ("demo.csv", 2, "limit")


def test_no_header_at_all_is_the_wrong_file():
    with pytest.raises(BadInput, match="no demo header row in the first 40 lines"):
        table("just,some\nother,file\n")


def test_numbers_name_the_line_of_the_first_bad_value_and_note_lost_characters():
    located = table("HCPCS,Payment Limit\nA,\"1,234.500\"\nB,N/A\nC,21.3125?\n")
    values = parse_number(located, "limit", ("N/A",))
    assert values == [1234.5, None, 21.3125] and "line 4 '21.3125?'" in located.notes[0]
    with pytest.raises(BadInput, match="'abc' is not a number") as raised:
        parse_number(table("HCPCS,Payment Limit\nA,1\nB,abc\n"), "limit")
    assert (raised.value.row, raised.value.field) == (3, "limit")


def test_dates_are_yyyymmdd_and_implausible_years_refused():
    located = table("HCPCS,Payment Limit\n20250101,1\n00000000,1\n")
    parsed = parse_yyyymmdd(located, "code")
    assert parsed == [date(2025, 1, 1), None]
    with pytest.raises(BadInput, match="out of range") as raised:
        parse_yyyymmdd(table("HCPCS,Payment Limit\n99991231,1\n"), "code")
    assert raised.value.row == 2


def test_a_key_printed_twice_names_both_lines():
    located = table("HCPCS,Payment Limit\nJ9312,1\nJ2329,2\nJ9312,3\n")
    with pytest.raises(BadInput, match=r"J9312 appears twice \(lines 2 and 4\)") as raised:
        refuse_duplicates(located, {"code": located.columns["code"]})
    assert raised.value.row == 4


def test_windows_1252_text_and_cells_as_cms_meant_them():
    assert decode_text("Briumvi\u00ae\u00a0".encode("cp1252"), "x.csv") == "Briumvi\u00ae\u00a0"
    assert decode_text("caf\u00e9".encode("utf-8"), "x.csv") == "caf\u00e9"
    assert cell_text(20250930.0) == "20250930" and cell_text(155.89499999999998) == "155.895"
    assert cell_text(None) == "" and cell_text(date(2025, 1, 2)) == "20250102"


@pytest.mark.parametrize("printed, value", [
    ("1,234.500", 1234.5), ("$2.10", 2.1), ("-0.5", -0.5), ("+3", 3.0), (".25", 0.25),
    ("7.", 7.0), ("1e3", 1000.0), ("\u00a012.5 ", 12.5), ("N/A", None), ("n/a", None),
    ("", None), ("   ", None)])
def test_numbers_read_as_printed(printed: str, value: float | None):
    located = table(f'HCPCS,Payment Limit\nA,"{printed}"\n')
    assert parse_number(located, "limit", ("N/A",)) == [value]


@pytest.mark.parametrize("printed", ["abc", "inf", "nan", "1_000", "1.2.3", "\u0661\u0662",
                                     "12 mg", "NA"])
def test_what_is_no_number_is_refused(printed: str):
    with pytest.raises(BadInput, match="is not a number"):
        parse_number(table(f'HCPCS,Payment Limit\nA,"{printed}"\n', "utf-8"), "limit", ("N/A",))


@pytest.mark.parametrize("printed", ["20250230", "2025-01-01", "2025010", "\uff12" * 8,
                                     "202501011"])
def test_a_date_that_is_not_yyyymmdd_is_refused(printed: str):
    with pytest.raises(BadInput, match="is not a date") as raised:
        parse_yyyymmdd(table(f"HCPCS,Payment Limit\n20250101,1\n{printed},1\n", "utf-8"),
                       "code")
    assert raised.value.row == 3


def test_a_bad_date_is_named_before_an_implausible_one_above_it():
    with pytest.raises(BadInput, match="'2025013' is not a date"):
        parse_yyyymmdd(table("HCPCS,Payment Limit\n19000101,1\n2025013,1\n"), "code")


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_limits_round_as_numpy_rounds(number: float):
    """Limits were rounded by pandas (numpy's scale, round half to even, scale back); the
    loaded values must not move by a thousandth."""
    located = table(f"HCPCS,Payment Limit\nA,{number!r}\nB,N/A\n")
    assert parse_number(located, "limit", ("N/A",), decimals=3) == [
        float(numpy.round(number, 3)), None]


def test_blank_rows_go_and_the_rest_keep_their_lines():
    located = table("HCPCS,Payment Limit,Notes\n J1 ,\u00a0x\u00a0y ,\n , ,\u00a0\nJ2,,\n")
    assert located.lines == [2, 4] and located.columns["code"] == [" J1 ", "J2"]
    assert clean_text(located.columns["limit"]) == ["x y", None]
    assert clean_text([None, "", "\u00a0"]) == [None, None, None]


# ---- found by a differential run against the pandas readers (31fa77d) ---------------------

@pytest.mark.parametrize("printed, value", [
    ("$ 21.30", 21.3), ("$\u00a012.50", 12.5), ("$ 1,234.50", 1234.5), ("21.3125 ?", 21.3125)])
def test_a_space_after_a_dollar_sign_still_reads_as_the_number(printed: str, value: float):
    located = table(f'HCPCS,Payment Limit\nA,"{printed}"\n', "utf-8")
    assert parse_number(located, "limit", ("N/A",)) == [value]
