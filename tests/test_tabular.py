"""Practice-made tables: encodings, delimiters, broken quoting, sheets and header warnings."""

from __future__ import annotations

import csv
import io
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import assume, given, settings, strategies as st
from openpyxl import Workbook

from crosswalk import tabular
from crosswalk.errors import BadInput
from xlsx_builders import SheetPart, cells_xml, table_rows, xlsx_parts

ALIASES = {"drug_name": ("drug name", "drug", "generic name"), "ndc": ("ndc11", "ndc code"),
           "dose": ("dosage",), "notes": ("comments",)}
REQUIRED = ("drug_name",)


def read(path: Path, required: tuple[str, ...] = REQUIRED
         ) -> tuple[tabular.TableFile, list[tuple[int, dict[str, str]]]]:
    with tabular.open_table(path, ALIASES, required) as table:
        return table, list(table.rows())


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_rows_come_back_under_canonical_names_with_row_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "Drug Name,NDC11,Dosage\r\nrituximab-arrx,55513-0224-01, 700 mg\r\n"
                           "\r\n,,\r\ntocilizumab-aazg,\xa065219-0590-04\xa0,\r\n")
    table, rows = read(path)
    assert (table.header_row, table.columns, table.delimiter) == (
        1, {"drug_name": 0, "ndc": 1, "dose": 2}, ",")
    assert rows == [(2, {"drug_name": "rituximab-arrx", "ndc": "55513-0224-01", "dose": "700 mg"}),
                    (5, {"drug_name": "tocilizumab-aazg", "ndc": "65219-0590-04", "dose": ""})]
    assert table.blank_rows == 2 and table.problems == [] and table.warnings == []


@pytest.mark.parametrize(("delimiter", "label"), [(";", "semicolon"), ("\t", "tab"),
                                                  ("|", "pipe")])
def test_other_delimiters_are_detected_and_said(tmp_path: Path, delimiter: str,
                                                label: str) -> None:
    path = write(tmp_path, f"drug_name{delimiter}ndc\n"
                           f"rituximab-arrx{delimiter}\"55513,0224,01\"\n")
    table, rows = read(path)
    assert rows == [(2, {"drug_name": "rituximab-arrx", "ndc": "55513,0224,01"})]
    assert table.delimiter == delimiter and table.warnings == [f"read as {label}-delimited"]


@pytest.mark.parametrize(("encoding", "label"), [
    ("utf-16", "UTF-16"), ("utf-16-le", "UTF-16 little-endian (no BOM)"),
    ("utf-16-be", "UTF-16 big-endian (no BOM)")])
def test_utf16_lists_are_read_not_refused(tmp_path: Path, encoding: str, label: str) -> None:
    path = write(tmp_path, "drug_name;brand\r\naflibercept-jbvf;Ahzantive\u00ae\r\n", encoding)
    table, rows = read(path)
    assert rows == [(2, {"drug_name": "aflibercept-jbvf"})]
    assert table.warnings[0] == f"read as {label}, semicolon-delimited"


@pytest.mark.parametrize(("raw", "encoding"), [
    ("drug_name,notes\nrituximab-arrx,caf\u00e9 \u2013 \u00ae\n".encode("cp1252"), "cp1252"),
    (b"\xef\xbb\xbfdrug_name,notes\nrituximab-arrx,caf\xc3\xa9\n", "utf-8-sig"),
    (b"drug_name,notes\nrituximab-arrx,caf\xc3\xa9\n", "utf-8"),
    (b"drug_name,notes\nrituximab-\x00arrx,x\n", "utf-8")])
def test_utf8_and_windows_1252_are_told_apart(tmp_path: Path, raw: bytes, encoding: str) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(raw)
    table, rows = read(path)
    assert table.encoding == encoding and table.warnings == []
    assert rows[0][1]["drug_name"].replace("\x00", "") == "rituximab-arrx"


def test_no_reading_finds_the_column_and_the_error_says_how_it_read(tmp_path: Path) -> None:
    path = write(tmp_path, "Drgu Name;NDC\nrituximab-arrx;55513-0224-01\n", "utf-16")
    with pytest.raises(BadInput) as caught:
        tabular.open_table(path, ALIASES, REQUIRED)
    error = caught.value
    assert (error.file, error.row, error.field) == ("list.csv", 1, "drug_name")
    assert "no drug_name column in the header" in error.reason
    assert "column 'Drgu Name' is close: rename it" in error.reason
    assert "read as UTF-16 text, trying the delimiters , ; TAB |" in error.reason


def test_an_unterminated_quote_is_named_by_its_row_and_the_rows_below_survive(
        tmp_path: Path) -> None:
    path = write(tmp_path, 'drug_name,notes\nrituximab-arrx,"given q4w\n'
                           "tocilizumab-aazg,\ninfliximab-dyyb,ok\n")
    table, rows = read(path)
    assert [row for row, _ in rows] == [3, 4]
    assert [(p.row, "never closes" in p.reason) for p in table.problems] == [(2, True)]


def test_a_quote_that_swallows_rows_is_named_where_it_opened(tmp_path: Path) -> None:
    """The quote in row 3 closes at the end of a cell of row 5: csv alone reads rows 3-5 as
    one row without complaint."""
    path = write(tmp_path, 'drug_name,ndc,notes\nublituximab-xiiy,,\nrituximab-arrx,"55513,x\n'
                           'tocilizumab-aazg,,\ninfliximab-dyyb,,see chart"\nlast-drug,,\n')
    assert len(list(csv.reader(io.StringIO(path.read_text())))) == 4  # the silent swallow
    table, rows = read(path)
    assert [row for row, _ in rows] == [2, 4, 5, 6]
    assert len(table.problems) == 1 and table.problems[0].row == 3
    assert "runs over 3 lines" in table.problems[0].reason
    assert rows[2][1]["notes"] == 'see chart"'


def test_a_multiline_note_with_the_headers_cells_is_kept(tmp_path: Path) -> None:
    path = write(tmp_path, 'drug_name,notes\nrituximab-arrx,"line one\nline two"\n')
    table, rows = read(path)
    assert rows == [(2, {"drug_name": "rituximab-arrx", "notes": "line one\nline two"})]
    assert table.problems == []


def test_text_after_a_closing_quote_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, 'drug_name;notes\n"rituximab"-arrx;x\ntocilizumab-aazg;y\n')
    table, rows = read(path)
    assert [row for row, _ in rows] == [3]
    assert table.problems[0].row == 2
    assert "followed by text before the next ';'" in table.problems[0].reason


def test_a_cell_over_the_csv_limit_is_a_row_problem_not_a_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, f"drug_name,notes\nrituximab-arrx,{'x' * 200 * 1024}\n"
                           "tocilizumab-aazg,ok\n")
    table, rows = read(path)
    assert rows == [(3, {"drug_name": "tocilizumab-aazg", "notes": "ok"})]
    assert table.problems[0].row == 2 and "131,072 characters" in table.problems[0].reason


def test_endless_broken_quoting_stops_with_a_reason(tmp_path: Path) -> None:
    lines = "".join(f'drug-{n},"open\n' for n in range(tabular.MAX_BROKEN_ROWS + 20))
    table, rows = read(write(tmp_path, "drug_name,notes\n" + lines))
    assert len(table.problems) == tabular.MAX_BROKEN_ROWS + 1
    assert "reading stopped" in table.problems[-1].reason


def test_ignored_columns_are_each_a_warning_with_the_nearest_name(tmp_path: Path) -> None:
    path = write(tmp_path, "Drug,NCD,NDC code,ndc11,Strength\nrituximab-arrx,1,2,3,4\n")
    table, rows = read(path)
    assert rows == [(2, {"drug_name": "rituximab-arrx", "ndc": "2"})]
    assert table.warnings == [  # 'NDC code' gives ndc: 'NCD' is not pointed at it again
        "column 'NCD' ignored: not a column this table uses (accepted: drug_name, ndc, "
        "dose, notes)",
        "column 'ndc11' ignored: column 'NDC code' already gives ndc",
        "column 'Strength' ignored: not a column this table uses (accepted: drug_name, ndc, "
        "dose, notes)"]


def test_the_nearest_name_is_a_column_not_given_spelt_from_the_same_letter(
        tmp_path: Path) -> None:
    """A charge master's 'Charge Code' and 'Rev Code' are no typos of the drug or keep-code
    columns, nor an order guide's 'Item #' of site; 'NCD' still points at ndc."""
    aliases = {"drug_name": ("charge description", "description"), "ndc": (),
               "keep_code": ("keep code",), "setting": ("site",)}
    path = write(tmp_path, "Charge Code,Rev Code,Description,NCD,Item #\nx,0636,riabni,1,2\n")
    with tabular.open_table(path, aliases, REQUIRED) as table:
        assert list(table.rows()) == [(2, {"drug_name": "riabni"})]
    accepted = "not a column this table uses (accepted: drug_name, ndc, keep_code, setting)"
    assert table.warnings == [f"column 'Charge Code' ignored: {accepted}",
                              f"column 'Rev Code' ignored: {accepted}",
                              "column 'NCD' ignored: not a column this table uses (did you "
                              "mean ndc?)",
                              f"column 'Item #' ignored: {accepted}"]


def test_a_header_under_a_title_is_named_when_it_lacks_the_drug_column(
        tmp_path: Path) -> None:
    """No row names the drug column: the refusal names the header row (the one naming the
    most columns) and its closest cell, not the title above it."""
    path = write(tmp_path, "Order guide - Riverside Infusion\n\nItem #,Drug Nme,NDC code\n"
                           "1,riabni,55513-0224-01\n")
    with pytest.raises(BadInput) as refused:
        tabular.open_table(path, ALIASES, REQUIRED)
    assert refused.value.row == 3 and "column 'Drug Nme' is close" in str(refused.value)


def test_values_under_no_header_are_one_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "drug_name,,ndc\nrituximab-arrx,,1\nx,hidden value,2,extra\n")
    table, rows = read(path)
    assert len(rows) == 2
    assert table.warnings == ["values in columns without a header name are ignored "
                              "(first in row 3)"]


def test_undecodable_bytes_are_named_by_row_and_column_never_quoted(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(b"drug_name,notes\r\nublituximab-xiiy,Jane Roe \x81 MRN\r\nok-drug,\r\n")
    table, rows = read(path)
    assert [row for row, _ in rows] == [3]
    (problem,) = table.problems
    assert (problem.row, problem.field) == (2, "notes") and "Jane" not in str(problem)


def xlsx_file(tmp_path: Path, sheets: list[SheetPart], name: str = "list.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(xlsx_parts(sheets))
    return path


def test_a_hidden_first_sheet_is_passed_over_for_the_visible_list(tmp_path: Path) -> None:
    path = xlsx_file(tmp_path, [
        SheetPart("Old list", table_rows([["drug_name"], ["infliximab"]]), "hidden"),
        SheetPart("Notes", table_rows([["Read me first"]])),
        SheetPart("Drugs", table_rows([["Drug Name", "NDC"], ["rituximab-arrx", 55513022401]]))])
    table, rows = read(path)
    assert table.sheet == "Drugs"
    assert rows == [(2, {"drug_name": "rituximab-arrx", "ndc": "55513022401"})]
    assert table.warnings == ["read sheet 'Drugs'; passed over 'Old list' (hidden, skipped), "
                              "'Notes' (no drug_name column)"]


def test_open_tables_reads_every_visible_sheet_with_the_columns(tmp_path: Path) -> None:
    """A workbook kept as a sheet per half month: every visible sheet whose header has the
    required columns is a table of its own (in workbook order, each with its own header
    row); a hidden one, a summary without them and a CSV's single table are as before."""
    path = xlsx_file(tmp_path, [
        SheetPart("Summary", table_rows([["Total drugs"], [2]])),
        SheetPart("Oct 1-15", table_rows([["Drug Name"], ["infliximab"]])),
        SheetPart("Old", table_rows([["drug_name"], ["belimumab"]]), "hidden"),
        SheetPart("Oct 16-31", table_rows([["Title"], ["Drug", "NDC"],
                                           ["rituximab-arrx", 55513022401]]))])
    tables = tabular.open_tables(path, ALIASES, REQUIRED)
    try:
        assert [table.sheet for table in tables] == ["Oct 1-15", "Oct 16-31"]
        assert [list(table.rows()) for table in tables] == [
            [(2, {"drug_name": "infliximab"})],
            [(3, {"drug_name": "rituximab-arrx", "ndc": "55513022401"})]]
    finally:
        for table in tables:
            table.__exit__()
    csv_tables = tabular.open_tables(write(tmp_path, "drug_name\ninfliximab\n"), ALIASES,
                                     REQUIRED)
    assert len(csv_tables) == 1 and csv_tables[0].sheet is None
    csv_tables[0].__exit__()


def test_no_visible_sheet_with_the_column_names_every_sheet(tmp_path: Path) -> None:
    path = xlsx_file(tmp_path, [
        SheetPart("Old list", table_rows([["drug_name"], ["infliximab"]]), "veryHidden"),
        SheetPart("Empty", ""), SheetPart("Notes", table_rows([["Drug nmae"]]))])
    with pytest.raises(BadInput) as caught:
        tabular.open_table(path, ALIASES, REQUIRED)
    assert caught.value.reason.endswith(
        "sheets looked at: 'Old list' (veryHidden, skipped), 'Empty' (empty), "
        "'Notes' (no drug_name column)")
    assert "column 'Drug nmae' is close" in caught.value.reason


def test_xlsx_header_below_blank_rows_gaps_count_as_blank_rows(tmp_path: Path) -> None:
    path = xlsx_file(tmp_path, [SheetPart("S", cells_xml({
        3: {"B": "drug_name", "C": "dose"}, 4: {"B": "rituximab-arrx", "C": 700.0},
        7: {"B": "tocilizumab-aazg", "C": True}, 8: {"Z": "far right"}}))])
    table, rows = read(path)
    assert table.header_row == 3 and table.columns == {"drug_name": 1, "dose": 2}
    assert rows == [(4, {"drug_name": "rituximab-arrx", "dose": "700"}),
                    (7, {"drug_name": "tocilizumab-aazg", "dose": "yes"})]
    assert table.blank_rows == 3  # rows 5 and 6 absent, row 8 holds nothing under a header
    assert table.warnings == ["values in columns without a header name are ignored "
                              "(first in row 8)"]


def test_a_title_above_the_header_is_skipped_and_said(tmp_path: Path) -> None:
    """PM exports and kept spreadsheets put a title and a date above the header."""
    path = write(tmp_path, "Riverside Oncology - NOC drug master,,\r\nexported 10/01/2025,,\r\n"
                           ",,\r\nDrug Name,NDC11,Dosage\r\nrituximab-arrx,55513-0224-01,700 mg\r\n",
                 "cp1252")
    table, rows = read(path)
    assert (table.header_row, table.columns) == (4, {"drug_name": 0, "ndc": 1, "dose": 2})
    assert rows == [(5, {"drug_name": "rituximab-arrx", "ndc": "55513-0224-01",
                         "dose": "700 mg"})]
    assert table.warnings == ["header on row 4: the 2 row(s) above it (a title?) are not read "
                              "as drugs"]
    book = xlsx_file(tmp_path, [SheetPart("Drugs", cells_xml({
        1: {"A": "NOC drug master"}, 3: {"A": "Drug Name", "B": "NDC"},
        4: {"A": "rituximab-arrx", "B": 55513022401}}))])
    table, rows = read(book)
    assert (table.header_row, rows) == (3, [(4, {"drug_name": "rituximab-arrx",
                                                 "ndc": "55513022401"})])
    assert table.warnings == ["header on row 3: the 1 row(s) above it (a title?) are not read "
                              "as drugs"]


def test_a_header_past_the_search_rows_is_refused_at_the_first_row(tmp_path: Path) -> None:
    """Only the first HEADER_SEARCH_ROWS non-empty rows can be the header: a list whose drug
    column is further down (or missing) is refused, the first row named."""
    notes = "".join(f"note {n}\n" for n in range(tabular.HEADER_SEARCH_ROWS))
    path = write(tmp_path, notes + "drug_name\nrituximab-arrx\n")
    with pytest.raises(BadInput) as caught:
        tabular.open_table(path, ALIASES, REQUIRED)
    assert (caught.value.row, caught.value.field) == (1, "drug_name")


def test_a_stray_cell_at_xfd1048576_costs_one_cell(tmp_path: Path) -> None:
    rows = [["drug_name", "ndc"]] + [[f"drug-{n}", f"{n:011d}"] for n in range(300)]
    path = xlsx_file(tmp_path, [SheetPart("Drugs", table_rows(rows) + cells_xml(
        {1_048_576: {"XFD": "stray"}}), dimension="A1:XFD1048576")])
    tracemalloc.start()
    try:
        table, read_rows = read(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(read_rows) == 300 and read_rows[-1][0] == 301
    assert table.blank_rows == 1_048_576 - 301
    assert peak < 16 * 1024 * 1024, f"peak {peak:,} bytes"


def test_formulas_and_formula_looking_text_stay_text(tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(["drug_name", "notes"])
    book.active.append(['=CONCAT("ritux","imab-arrx")', "-see chart"])
    book.active.append(["+tocilizumab", "@payer"])
    book.save(tmp_path / "list.xlsx")
    _, rows = read(tmp_path / "list.xlsx")
    assert [values for _, values in rows] == [
        {"drug_name": '=CONCAT("ritux","imab-arrx")', "notes": "-see chart"},
        {"drug_name": "+tocilizumab", "notes": "@payer"}]


@pytest.mark.parametrize(("name", "raw", "message"), [
    ("list.json", b"{}", "unsupported file type '.json'"),
    ("list.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Excel .xls"),
    ("list.csv", b"\r\n , \r\n", "the file is empty"),
    ("list.xlsx", b"PK\x03\x04broken", "cannot open as XLSX")])
def test_file_level_faults_are_bad_input(tmp_path: Path, name: str, raw: bytes,
                                         message: str) -> None:
    path = tmp_path / name
    path.write_bytes(raw)
    with pytest.raises(BadInput, match=message):
        tabular.open_table(path, ALIASES, REQUIRED)
    with pytest.raises(BadInput, match="no such file"):
        tabular.open_table(tmp_path / "absent.csv", ALIASES, REQUIRED)


CELL = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffd"),
               max_size=12)


def _utf8_reading(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


@settings(max_examples=120, deadline=None)
@given(delimiter=st.sampled_from(list(tabular.DELIMITERS)),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
       header=st.permutations(["Drug Name", "NDC", "Comments", "Lot"]),
       rows=st.lists(st.lists(CELL, min_size=4, max_size=4), max_size=6))
def test_any_table_written_by_csv_reads_back_cell_for_cell(
        tmp_path_factory: pytest.TempPathFactory, delimiter: str, encoding: str,
        header: list[str], rows: list[list[str]]) -> None:
    if encoding == "cp1252":
        rows = [[cell.encode("cp1252", "ignore").decode("cp1252") for cell in row]
                for row in rows]
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows([header, *rows])
    data = buffer.getvalue().encode(encoding)
    if encoding == "cp1252":
        # bytes that are also valid UTF-8 ('Â\xa0' is C2 A0, UTF-8's NBSP) are read as UTF-8,
        # as detect_encoding documents: no reader can tell such a file from a UTF-8 one
        assume(_utf8_reading(data) in (None, buffer.getvalue()))
    path = tmp_path_factory.mktemp("csv") / "list.csv"
    path.write_bytes(data)
    table, read_rows = read(path)
    assert table.delimiter == delimiter and table.problems == []
    names = {"Drug Name": "drug_name", "NDC": "ndc", "Comments": "notes"}
    expected = []
    for number, row in enumerate(rows, start=2):
        values = {names[title]: cell.replace("\xa0", " ").strip()
                  for title, cell in zip(header, row) if title in names}
        if any(values.values()):
            expected.append((number, values))
    assert read_rows == expected
