"""Workbook safety and reproducibility, one cell at a time: written, saved, reopened."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from openpyxl import Workbook

from crosswalk.xlsx_style import Column, put, workbook_bytes, wrapped_lines, write_table

STAMP = datetime(2025, 10, 2, 6, 30, 15)


def reopened(workbook: Workbook) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(workbook_bytes(workbook, STAMP)))


@pytest.mark.parametrize("text", [
    "=1+1", '=HYPERLINK("http://example.invalid","x")', "+1-555-0100", "-2", "@SUM(A1)",
    "\t=1+1", "=cmd|' /C calc'!A0"])
def test_formula_looking_text_stays_a_string(text: str) -> None:
    book = Workbook()
    put(book.active["A1"], text)
    cell = reopened(book).active["A1"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)


def test_plain_text_codes_dates_and_money() -> None:
    book = Workbook()
    sheet = book.active
    put(sheet["A1"], "rituximab-arrx")
    put(sheet["A2"], "00143-9377-01", "code")
    put(sheet["A3"], date(2025, 10, 1), "date")
    put(sheet["A4"], Decimal("70.753"), "money")
    put(sheet["A5"], "bell\x07 in a CMS descriptor")
    put(sheet["A6"], None)
    cells = reopened(book).active
    assert (cells["A1"].value, cells["A1"].quotePrefix) == ("rituximab-arrx", False)
    assert (cells["A2"].value, cells["A2"].number_format) == ("00143-9377-01", "@")
    assert cells["A3"].value == datetime(2025, 10, 1) and cells["A3"].is_date
    assert (cells["A4"].value, cells["A4"].number_format) == (70.753, '"$"#,##0.000')
    assert cells["A5"].value == "bell in a CMS descriptor"  # control characters dropped
    assert cells["A6"].value is None


def test_same_workbook_same_bytes_with_the_stamp_inside() -> None:
    def build() -> bytes:
        book = Workbook()
        write_table(book.active, [Column("drug", "Drug"), Column("verdict", "Verdict")],
                    [{"drug": "tocilizumab-anoh", "verdict": "NEW_CODE"}])
        return workbook_bytes(book, STAMP)

    first = build()
    assert build() == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2025, 10, 2, 6, 30, 14)}
        core = archive.read("docProps/core.xml").decode()
    assert core.count("2025-10-02T06:30:15Z") == 2


def test_excel_limits_on_text_and_row_height() -> None:
    book = Workbook()
    write_table(book.active, [Column("ndcs", "NDCs", "wrap", 20)],
                [{"ndcs": "x" * 40_000}])
    sheet = reopened(book).active
    assert len(sheet["A2"].value) == 32767
    assert sheet.row_dimensions[2].height == 409


def test_wrapped_lines_follow_the_column_width() -> None:
    assert wrapped_lines(None, 20) == 1
    assert wrapped_lines("x" * 19, 20) == 1
    assert wrapped_lines("x" * 61, 20) == 4
    assert wrapped_lines("one\ntwo\nthree", 40) == 3
