"""The streaming XLSX reader: openpyxl's values, sheets with their visibility, far cells that
cost one cell, the extent and the proven <dimension>, hostile parts refused."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.utils.cell import column_index_from_string, get_column_letter

from crosswalk.errors import BadInput
from crosswalk.readers.xlsx_cells import Extent, XlsxBook, cell_ref
from xlsx_builders import (SheetPart, cell_xml, cells_xml, date_styles, table_rows,
                           with_stray_cell, xlsx_parts)

REAL_WORKBOOKS = ("hcpcs/HCPC2025_OCT_ANWEB.xlsx", "hcpcs/NOC codes_JUL2025.xlsx",
                  "hcpcs/2016-annual/HCPC2016_TransactionReport_Alpha.xlsx")


def openpyxl_cells(source: Path | bytes, sheet: str) -> dict[tuple[int, int], object]:
    """What openpyxl's read-only reader gives (formulas as text), empty cells left out."""
    book = load_workbook(io.BytesIO(source) if isinstance(source, bytes) else source,
                         read_only=True, data_only=False)
    try:
        return {(cell.row, cell.column): cell.value for row in book[sheet].iter_rows()
                for cell in row if cell.value not in (None, "")}
    finally:
        book.close()


def our_cells(source: Path | bytes, sheet: str | int = 0) -> dict[tuple[int, int], object]:
    with XlsxBook(source, "book.xlsx") as book:
        return {(row, column): value for row, cells in book.rows(sheet)
                for column, value in cells.items() if value != ""}


def test_values_are_openpyxls_for_every_kind_of_cell() -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Drugs"
    sheet.append(["drug_name", "ndc", "dose", "active", "given", "at", "notes", "check"])
    sheet.append(["ublituximab-xiiy", 73150015006, 450, True, datetime(2025, 10, 1),
                  time(13, 30), "line one\nline two", "#N/A"])
    sheet.append(["rituximab-arrx", "55513-0224-01", 0.1 + 0.2, False, date(2023, 7, 1),
                  None, "=CONCAT(A2,\"x\")", '@payer'])
    sheet["E3"].number_format = "mm/dd/yyyy"
    sheet["F2"].number_format = "h:mm"
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    ours, theirs = our_cells(data), openpyxl_cells(data, "Drugs")
    assert ours == theirs
    assert ours[(2, 2)] == 73150015006 and isinstance(ours[(2, 2)], int)
    assert ours[(2, 5)] == datetime(2025, 10, 1) and ours[(3, 5)] == datetime(2023, 7, 1)
    assert ours[(2, 6)] == time(13, 30)
    assert ours[(3, 7)] == '=CONCAT(A2,"x")'  # the formula's text: never evaluated
    assert ours[(2, 8)] == "#N/A" and ours[(2, 4)] is True and ours[(3, 4)] is False


@pytest.mark.real_samples
@pytest.mark.parametrize("name", REAL_WORKBOOKS)
def test_real_cms_workbooks_read_as_openpyxl_reads_them(cms_samples: Path, name: str) -> None:
    path = cms_samples / name
    with XlsxBook(path, path.name) as book:
        names = [sheet.name for sheet in book.sheets]
    for sheet in names:
        assert our_cells(path, sheet) == openpyxl_cells(path, sheet)


def test_sheets_are_listed_in_order_with_their_visibility() -> None:
    data = xlsx_parts([SheetPart("Old list", table_rows([["drug_name"], ["x"]]), "hidden"),
                       SheetPart("Macros", "", "veryHidden"),
                       SheetPart("Drugs", table_rows([["drug_name"], ["rituximab-arrx"]]))])
    with XlsxBook(data, "drugs.xlsx") as book:
        assert [(s.name, s.state, s.visible) for s in book.sheets] == [
            ("Old list", "hidden", False), ("Macros", "veryHidden", False),
            ("Drugs", "visible", True)]
        assert list(book.rows("Drugs")) == [(1, {1: "drug_name"}), (2, {1: "rituximab-arrx"})]
        assert list(book.rows(0)) == [(1, {1: "drug_name"}), (2, {1: "x"})]
        with pytest.raises(BadInput, match="no sheet 'Nope'"):
            book.sheet("Nope")


def test_shared_and_rich_strings_escapes_and_phonetic_guides() -> None:
    body = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
            '<c r="C1" t="inlineStr"><is><r><t>Avt</t></r><r><t>ozma</t></r>'
            '<rPh sb="0" eb="1"><t>PHONETIC</t></rPh></is></c>'
            '<c r="D1" t="str"><v>cached_x000D_text</v></c></row>')
    data = xlsx_parts([SheetPart("S", body)],
                      shared_strings=["tocilizumab-anoh", "a_x000D_b _x005F_x000D_ c"])
    assert our_cells(data) == {(1, 1): "tocilizumab-anoh", (1, 2): "a\rb _x000D_ c",
                               (1, 3): "Avtozma", (1, 4): "cached\rtext"}


def test_cells_and_rows_without_references_follow_their_neighbours() -> None:
    body = ('<row r="3"><c r="B3"><v>1</v></c><c><v>2</v></c></row>'
            '<row><c><v>3</v></c><c r="E4"><v>4</v></c><c><v>5</v></c></row>')
    assert our_cells(xlsx_parts([SheetPart("S", body)])) == {
        (3, 2): 1, (3, 3): 2, (4, 1): 3, (4, 5): 4, (4, 6): 5}


def test_shared_formulas_are_moved_to_each_cell_as_excel_shows_them() -> None:
    body = ('<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f t="shared" ref="B1:B3" si="0">'
            'A1*2</f><v>2</v></c></row>'
            '<row r="2"><c r="A2"><v>2</v></c><c r="B2"><f t="shared" si="0"/><v>4</v></c></row>'
            '<row r="3"><c r="B3"><f t="shared" si="0"/></c></row>')
    cells = our_cells(xlsx_parts([SheetPart("S", body)]))
    assert (cells[(1, 2)], cells[(2, 2)], cells[(3, 2)]) == ("=A1*2", "=A2*2", "=A3*2")


@pytest.mark.parametrize(("date1904", "expected"), [(False, datetime(2025, 10, 1)),
                                                    (True, datetime(2029, 10, 2))])
def test_date_formats_builtin_custom_and_the_1904_system(date1904: bool,
                                                         expected: datetime) -> None:
    styles = date_styles(14, "yyyy\\-mm\\-dd", '"Batch "0', "[h]:mm", 30)
    serial = 45931  # 2025-10-01 in the 1900 system
    body = (
        f'<row r="1">{cell_xml("A1", serial, 1)}{cell_xml("B1", serial, 2)}'
        f'{cell_xml("C1", serial, 3)}{cell_xml("D1", 1.5, 4)}{cell_xml("E1", serial, 5)}'
        f'{cell_xml("F1", serial)}</row>')
    cells = our_cells(xlsx_parts([SheetPart("S", body)], styles=styles, date1904=date1904))
    assert cells[(1, 1)] == cells[(1, 2)] == cells[(1, 5)] == expected  # 30: a locale date
    assert cells[(1, 3)] == serial  # a literal "Batch " in quotes is no date
    assert cells[(1, 4)] == timedelta(hours=36)
    assert cells[(1, 6)] == serial


def test_a_far_cell_costs_one_cell_not_the_grid() -> None:
    rows = [["drug_name", "ndc"]] + [[f"drug-{n:04d}", f"{n:011d}"] for n in range(200)]
    data = xlsx_parts([SheetPart("Drugs", table_rows(rows) + cells_xml(
        {1_048_576: {"XFD": "stray"}}), dimension="A1:XFD1048576")])
    tracemalloc.start()
    try:
        with XlsxBook(data, "drugs.xlsx") as book:
            read = list(book.rows("Drugs"))
            extent = book.extent("Drugs")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert read[-1] == (1_048_576, {16_384: "stray"}) and len(read) == 202
    assert extent == Extent(1_048_576, 16_384, 403, "XFD1048576", "XFD1048576", 201, 2)
    assert extent.area == 1_048_576 * 16_384 and extent.far_cells == ["XFD1048576"]
    assert peak < 8 * 1024 * 1024, f"peak {peak:,} bytes"


def test_extent_counts_what_dense_readers_allocate_for() -> None:
    """calamine reaches for an empty inline string or an empty text result as it does for a
    value; an empty styled cell or an empty number holds nothing."""
    body = ('<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
            '<row r="5"><c r="Z5" s="1"/><c r="Y5"><v></v></c></row>'
            '<row r="7"><c r="C7" t="inlineStr"><is><t></t></is></c></row>'
            '<row r="9"><c r="B9" t="str"><v></v></c></row>'
            '<row r="11"><c r="A11"><f>1+1</f></c></row>')
    with XlsxBook(xlsx_parts([SheetPart("S", body)]), "b.xlsx") as book:
        assert book.extent(0) == Extent(11, 3, 4, "A11", "C7", 9, 2)
        empty = XlsxBook(xlsx_parts([SheetPart("E", "")]), "e.xlsx")
        assert empty.extent(0) == Extent(0, 0, 0, "", "")


def test_cell_references_are_openpyxls_across_the_whole_grid() -> None:
    """The reader converts column letters itself (openpyxl's import costs every load 0.09 s):
    every column from A to XFD must read and print as openpyxl reads and prints it."""
    letters = [get_column_letter(column) for column in range(1, 16_385)]
    row = "".join(cell_xml(f"{letter}2", letter) for letter in letters)
    with XlsxBook(xlsx_parts([SheetPart("S", f'<row r="2">{row}</row>')]), "b.xlsx") as book:
        [(number, cells)] = list(book.rows(0))
        extent = book.extent(0)
    assert (extent.last_column, extent.column_cell) == (16_384, "XFD2")
    assert number == 2 and cells == {column_index_from_string(letter): letter
                                     for letter in letters}
    assert [cell_ref(1_048_576, column) for column in range(1, 16_385)] == [
        f"{letter}1048576" for letter in letters]


@pytest.mark.parametrize("letters", ["A", "Z", "AA", "AV", "AZ", "ZZ", "AAA", "XFD"])
def test_the_proven_box_reads_column_letters_as_openpyxl(letters: str) -> None:
    with XlsxBook(xlsx_parts([SheetPart("S", cells_xml({3: {"A": 1, letters: "x"}}))]),
                  "b.xlsx") as book:
        assert book.proven_bound(0) == (3, column_index_from_string(letters))


@pytest.mark.parametrize(("extent", "far"), [
    (Extent(1_048_576, 48, 9, "A1048576", "AV1", 8847, 47), ["A1048576"]),
    (Extent(8847, 16_384, 9, "A8847", "XFD3", 8846, 48), ["XFD3"]),
    (Extent(1_048_576, 16_384, 9, "A1048576", "XFD3", 8847, 48), ["A1048576", "XFD3"]),
    (Extent(100, 10, 9, "J100", "J100", 90, 9), ["J100"])])
def test_the_far_cells_are_those_standing_off_from_the_data(extent: Extent,
                                                            far: list[str]) -> None:
    assert extent.far_cells == far


def test_a_box_is_proven_only_when_no_cell_escapes_it() -> None:
    table = table_rows([["a", "b", "c"]] * 20)
    filler = "".join(f'<row r="{n}"><c r="A{n}"><v>1</v></c></row>' for n in range(21, 3000))
    plain = xlsx_parts([SheetPart("S", table)])  # no <dimension>: openpyxl's write-only way
    below = with_stray_cell(plain, "A1048576")
    wide_late = xlsx_parts([SheetPart("S", table + filler + cells_xml({3000: {"XFD": 1}}))])
    unreferenced = xlsx_parts([SheetPart("S", table + '<row r="21"><c><v>1</v></c></row>')])
    prefixed = xlsx_parts([SheetPart("S", table.replace('<c r="A1"', '<x:c r="A1"', 1)
                                     .replace("</c>", "</x:c>", 1))])
    lying = xlsx_parts([SheetPart("S", table, dimension="A1:A1")])
    bounds = []
    for data in (plain, below, wide_late, unreferenced, prefixed, lying):
        with XlsxBook(data, "b.xlsx") as book:
            bounds.append(book.proven_bound(0))
    assert bounds == [(20, 3), (1_048_576, 3), None, None, None, (20, 3)]


def test_rows_out_of_order_are_never_proven_by_the_last_row_tag() -> None:
    """The box's height is read from the last <row r> tag; a sheet listing a far row before
    a near one (no program writes rows out of order, a forger can) is not proven on that
    guess, so the guard falls back to the full scan and sees the far cell."""
    rows = ('<row r="1048576"><c r="A1048576"><v>1</v></c></row>'
            + "".join(f'<row r="{n}"><c r="A{n}"><v>1</v></c></row>' for n in range(1, 21)))
    with XlsxBook(xlsx_parts([SheetPart("S", rows)]), "b.xlsx") as book:
        assert book.proven_bound(0) is None
        assert book.extent(0).last_row == 1_048_576


@settings(max_examples=200, deadline=None)
@given(width=st.integers(1, 16_384), row_tag=st.integers(3000, 1_048_576),
       row=st.integers(1, 1_048_576), column=st.integers(1, 16_384))
def test_the_proof_agrees_with_arithmetic(width: int, row_tag: int, row: int,
                                          column: int) -> None:
    """A header as wide as `width`, 64 KiB of rows, then a <row r=row_tag> holding one cell
    whose own reference may say another row (calamine believes the cell): the box guessed
    from the row tags and the first rows is proven exactly when it holds that cell."""
    header = f'<row r="1">{cell_xml(cell_ref(1, width), 1)}</row>'
    filler = "".join(f'<row r="{n}"><c r="A{n}"><v>1</v></c></row>' for n in range(2, 3000))
    body = header + filler + f'<row r="{row_tag}">{cell_xml(cell_ref(row, column), 1)}</row>'
    with XlsxBook(xlsx_parts([SheetPart("S", body)]), "b.xlsx") as book:
        inside = column <= width and row <= row_tag
        assert book.proven_bound(0) == ((row_tag, width) if inside else None)
        if inside:
            extent = book.extent(0)
            assert extent.last_row <= row_tag and extent.last_column <= width


@pytest.mark.real_samples
def test_real_anweb_box_is_proven(cms_samples: Path) -> None:
    path = cms_samples / "hcpcs" / "HCPC2025_OCT_ANWEB.xlsx"
    with XlsxBook(path, path.name) as book:
        assert book.proven_bound(0) == (8847, 48)
        assert book.extent(0).area == 8847 * 48


@pytest.mark.parametrize(("data", "message"), [
    (b"drug_name,ndc\r\n", "not a readable zip"),
    (xlsx_parts([SheetPart("S", "")], doctype='<!DOCTYPE w [<!ENTITY e "x">]>'),
     "declares a DOCTYPE"),
    (xlsx_parts([SheetPart("S", '<row r="1"><c r="A1" t="s"><v>7</v></c></row>')]),
     "shared string '7'"),
    (xlsx_parts([SheetPart("S", '<row r="1"><c r="XFE1"><v>1</v></c></row>')]),
     "'XFE1' is outside Excel's grid"),
    (xlsx_parts([SheetPart("S", '<row r="1"><c r="A1"><v>1</v></row>')]),
     "not well-formed XML"),
])
def test_broken_or_hostile_parts_are_refused_by_name(data: bytes, message: str) -> None:
    with pytest.raises(BadInput, match=message) as caught:
        with XlsxBook(data, "list.xlsx") as book:
            list(book.rows(0))
    assert caught.value.file == "list.xlsx"


def test_a_bad_cell_names_the_sheet() -> None:
    data = xlsx_parts([SheetPart("Drugs", '<row r="1"><c r="A0"><v>1</v></c></row>')])
    with pytest.raises(BadInput) as caught, XlsxBook(data, "list.xlsx") as book:
        list(book.rows("Drugs"))
    assert str(caught.value).startswith("list.xlsx, sheet 'Drugs': cell reference 'A0'")


def test_a_part_that_inflates_like_a_zip_bomb_is_refused_before_reading() -> None:
    data = xlsx_parts([SheetPart("S", " " * 5_000_000)])
    with pytest.raises(BadInput, match="possible zip bomb") as caught:
        XlsxBook(data, "bomb.xlsx")
    assert caught.value.field == "xl/worksheets/sheet1.xml"


def test_a_path_is_read_like_bytes(tmp_path: Path) -> None:
    path = tmp_path / "drugs.xlsx"
    path.write_bytes(xlsx_parts([SheetPart("S", table_rows([["drug_name"], ["x"]]))]))
    assert our_cells(path) == our_cells(path.read_bytes()) == {(1, 1): "drug_name", (2, 1): "x"}
    with zipfile.ZipFile(path) as archive:
        assert "xl/worksheets/sheet1.xml" in archive.namelist()


# ---- found by a differential run against the pyarrow guard (31fa77d) ------------------------

@pytest.mark.parametrize("tag", [b'<c \xff="1" r="A1"/>', b'<c r="\xff1"/>',
                                 b'<c r="A1\x80"/>', b'<c \xc0\xaf r="A1"/>'])
def test_the_sparse_sheet_guard_reads_the_sheet_a_byte_a_character(tag: bytes):
    from crosswalk.readers.xlsx_cells import _escapes_box

    assert _escapes_box(b'<sheetData><row r="1">' + tag + b"</row></sheetData>", 5, "C")
