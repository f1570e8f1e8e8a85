"""Workbook safety and reproducibility, one cell at a time: streamed, saved, reopened."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from crosswalk.xlsx_style import (Column, Table, book, finish_table_sheet, wrapped_lines,
                                  write_cell)

STAMP = datetime(2025, 10, 2, 6, 30, 15)
COLUMNS = (Column("verdict", "Verdict"), Column("text", "Text", "wrap", 20),
           Column("code", "Code", "code", 15), Column("day", "Day", "date"),
           Column("limit", "Limit", "money"), Column("paid", "Paid", "amount"),
           Column("count", "Count", "number"))


def written(path: Path, records: list[dict[str, Any]]) -> openpyxl.Workbook:
    """One table sheet holding `records`, written and reopened."""
    with book(path, STAMP) as workbook:
        table = Table(workbook, workbook.sheet("Rows"), COLUMNS)
        for record in records:
            table.add({column.key: None for column in COLUMNS} | record)
        finish_table_sheet(table, "test")
    return openpyxl.load_workbook(path)


@pytest.mark.parametrize("text", [
    "=1+1", '=HYPERLINK("http://example.invalid","x")', "+1-555-0100", "-2", "@SUM(A1)",
    "\t=1+1", "=cmd|' /C calc'!A0"])
def test_formula_looking_text_stays_a_string(tmp_path: Path, text: str) -> None:
    cell = written(tmp_path / "x.xlsx", [{"text": text}]).active["B2"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)
    with zipfile.ZipFile(tmp_path / "x.xlsx") as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")


def test_plain_text_codes_dates_money_and_blanks(tmp_path: Path) -> None:
    sheet = written(tmp_path / "x.xlsx", [
        {"verdict": "NEW_CODE", "text": "bell\x07 in a CMS descriptor", "code": "00143-9377-01",
         "day": date(2025, 10, 1), "limit": Decimal("70.753"), "paid": 31838.85, "count": 450},
        {"text": "rituximab-arrx"}]).active
    first = {cell.column_letter: cell for cell in sheet[2]}
    assert first["A"].value == "NEW_CODE" and first["A"].font.b
    assert first["A"].fill.fgColor.rgb[-6:] == "FFE699"  # NEW_CODE's fill (verdicts.py)
    assert first["B"].value == "bell in a CMS descriptor"  # control characters dropped
    assert first["B"].alignment.wrap_text and not first["B"].quotePrefix
    assert (first["C"].value, first["C"].number_format, first["C"].data_type) == (
        "00143-9377-01", "@", "s")
    assert first["D"].value == datetime(2025, 10, 1) and first["D"].is_date
    assert (first["E"].value, first["E"].number_format) == (70.753, '"$"#,##0.000')
    assert (first["F"].value, first["F"].number_format) == (31838.85, '"$"#,##0.00')
    assert first["G"].value == 450
    blank = sheet["C3"]  # not written: the printed gridlines draw the table
    assert blank.value is None and not blank.has_style
    assert sheet.print_options.gridLines and sheet.sheet_view.showGridLines is not False


def test_a_bordered_table_borders_its_empty_cells_too(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    with book(path, STAMP) as workbook:
        table = Table(workbook, workbook.sheet("Summary"), COLUMNS, first_row=3, bordered=True)
        table.add({column.key: None for column in COLUMNS} | {"text": "a"})
    sheet = openpyxl.load_workbook(path).active
    assert sheet["B4"].value == "Text" and sheet["B5"].value == "a"
    assert all(sheet.cell(5, column).border.left.style == "thin" for column in range(1, 8))
    assert not sheet.print_options.gridLines


def test_same_rows_same_bytes_with_the_stamp_inside(tmp_path: Path) -> None:
    records = [{"verdict": "NEW_CODE", "text": "tocilizumab-anoh", "day": date(2025, 10, 1)}]
    written(tmp_path / "a.xlsx", records)
    written(tmp_path / "b.xlsx", records)
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.xlsx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 31, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert core.count("2025-10-02T06:30:15Z") == 2


def test_excel_limits_on_text_and_row_height(tmp_path: Path) -> None:
    sheet = written(tmp_path / "x.xlsx", [{"text": "x" * 40_000}]).active
    assert len(sheet["B2"].value) == 32767
    assert 408 <= sheet.row_dimensions[2].height <= 409  # Excel's tallest, in whole pixels


def test_widths_fit_content_under_their_caps(tmp_path: Path) -> None:
    sheet = written(tmp_path / "x.xlsx", [{"code": "00143-9377-01", "text": "y" * 90}]).active
    widths = {dimension.min: dimension.width for dimension in sheet.column_dimensions.values()}
    assert widths[3] == pytest.approx(len("00143-9377-01") + 2, abs=1)  # fitted
    assert widths[2] == pytest.approx(20, abs=1)  # capped; the row is tall instead
    assert sheet.row_dimensions[2].height == 15 * wrapped_lines("y" * 90, 20)


def test_a_failed_write_leaves_the_old_file_and_no_partial(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    written(path, [{"text": "old"}])
    before = path.read_bytes()
    with pytest.raises(RuntimeError), book(path, STAMP) as workbook:
        table = Table(workbook, workbook.sheet("Rows"), COLUMNS)
        table.add({column.key: None for column in COLUMNS})
        raise RuntimeError("the database went away")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xlsx"]


def test_free_cells_are_typed_too(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    with book(path, STAMP) as workbook:
        sheet = workbook.sheet("Summary")
        write_cell(workbook, sheet, 0, 0, "=not a formula", bold=True)
        write_cell(workbook, sheet, 1, 0, datetime(2025, 10, 2, 6, 30, 15))
        write_cell(workbook, sheet, 2, 0, "0123", "code")
        write_cell(workbook, sheet, 3, 0, None)
    cells = openpyxl.load_workbook(path).active
    assert (cells["A1"].value, cells["A1"].quotePrefix, cells["A1"].font.b) == (
        "=not a formula", True, True)
    assert cells["A2"].value == datetime(2025, 10, 2, 6, 30, 15)
    assert cells["A2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert (cells["A3"].value, cells["A3"].number_format) == ("0123", "@")
    assert cells["A4"].value is None


def test_wrapped_lines_follow_the_column_width() -> None:
    assert wrapped_lines(None, 20) == 1
    assert wrapped_lines("x" * 21, 20) == 1
    assert wrapped_lines("x" * 67, 20) == 4
    assert wrapped_lines("one\ntwo\nthree", 40) == 3
