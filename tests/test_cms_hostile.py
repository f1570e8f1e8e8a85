"""Hostile and odd CMS files through the real CLI: what a posting or a browser download could
look like that nobody on the team has seen, and what a billing lead needs from each.

Every case goes through `crosswalk run|download|load --no-prefect` (click's runner, in
process), with files given by hand (`--url KIND=PATH`, `--from DIR`, CMS's port closed) or
served by the CMS-shaped mirror over 127.0.0.1. The expected behaviour is one of:

- loads: the same rows as the clean file (the table compared without its provenance columns,
  which name the member and line a row came from);
- refused: exit 2, no traceback, the message naming the file (and member, row or cell, field),
  and nothing of the release in the database (after a good run: the database as it was).

Files are built in CMS's byte layouts by tests/cms_builders.py or derived from the real
October 2025 / January 2025 files in ../shared (read through `cms_samples`, never copied).
The list with each decision is in docs/reliability.md, "Hostile and odd CMS files".
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Callable

import duckdb
import openpyxl
import pytest
from click.testing import CliRunner, Result

from crosswalk.cli import main
from crosswalk.quarters import Quarter
from crosswalk.settings import Settings

import cms_builders as cms
from conftest import REAL_FILES, free_port

Q4 = Quarter(2025, 4)
RELEASE = cms.sample_release(Q4)
TABLE = {"hcpcs": "hcpcs_codes", "asp_pricing": "asp_payment_limits",
         "asp_crosswalk": "asp_ndc_crosswalk"}
PROVENANCE = ("source_sha256", "source_member", "line_no")
HCPCS_XLSX = "HCPC2025_OCT_ANWEB_v3.xlsx"
PRICING_CSV = cms.asp_member_name("asp_pricing", Q4, "091725")
CROSSWALK_CSV = cms.asp_member_name("asp_crosswalk", Q4, "090525")
HTML_ERROR = (b"<!DOCTYPE html>\r\n<html><head><title>Access Denied</title></head><body>"
              b"<h1>Access Denied</h1>You don't have permission to access this page on this "
              b"server.<p>Reference #18.5e1c2f17</p></body></html>\r\n")
APPLE_DOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(64)
DS_STORE = b"\x00\x00\x00\x01Bud1" + bytes(120)


def clean_files() -> dict[str, tuple[str, bytes]]:
    """The three required kinds as a browser saves them from CMS's zips."""
    return {"hcpcs": (HCPCS_XLSX, cms.hcpcs_xlsx(RELEASE.codes, sheet_name="HCPC2025_OCT_ANWEB")),
            "asp_pricing": (PRICING_CSV, cms.asp_pricing_csv(Q4, RELEASE.pricing)),
            "asp_crosswalk": (CROSSWALK_CSV, cms.asp_crosswalk_csv(Q4, RELEASE.crosswalk))}


def run_given(tmp_path: Path, files: dict[str, tuple[str, bytes]], *extra: str,
              quarter: str = "2025Q4") -> tuple[Result, Settings]:
    """`crosswalk run --no-prefect` with each file given by `--url KIND=PATH`, CMS's URL a
    closed port: the clean files, with `files` replacing some."""
    given = tmp_path / "given"
    given.mkdir(parents=True, exist_ok=True)
    args = []
    for kind, (name, content) in {**clean_files(), **files}.items():
        (given / name).write_bytes(content)
        args += ["--url", f"{kind}={given / name}"]
    data_dir = tmp_path / "data"
    result = CliRunner().invoke(main, ["run", "--no-prefect", "--cms-url",
                                       f"http://127.0.0.1:{free_port()}", "--data-dir",
                                       str(data_dir), "--quarter", quarter, *args, *extra])
    return result, Settings(data_dir=data_dir)


def loaded(settings: Settings, table: str, quarter: str = "2025Q4") -> list[tuple]:
    """A table's rows for a release, without the columns naming where each row came from."""
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        columns = [name for (name,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position", [table]).fetchall() if name not in PROVENANCE]
        return con.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE quarter = ? "
                           f"ORDER BY ALL", [quarter]).fetchall()


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple]]:
    """The rows the clean files load, per kind: what every tolerated variant must load."""
    result, settings = run_given(tmp_path_factory.mktemp("clean"), {})
    assert result.exit_code == 0, result.output
    return {kind: loaded(settings, table) for kind, table in TABLE.items()}


def loads_same(result: Result, settings: Settings, clean: dict[str, list[tuple]],
               *kinds: str) -> None:
    assert result.exit_code == 0, result.output
    for kind in kinds:
        assert loaded(settings, TABLE[kind]) == clean[kind], kind


def refused(result: Result, settings: Settings, *named: str) -> str:
    """Exit 2, one message naming what it must, no traceback, nothing of the release loaded."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for text in named:
        assert text in result.output, (text, result.output)
    if settings.db_path.exists():
        for table in TABLE.values():
            assert loaded(settings, table) == [], table
    return result.output


def rezip(data: bytes, rename: Callable[[str], str | None] = lambda name: name,
          extra: dict[str, bytes] | None = None) -> bytes:
    """A zip's members renamed (None drops one), plus `extra` members."""
    members = {}
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        for info in source.infolist():
            new = rename(info.filename)
            if new is not None:
                members[new] = source.read(info)
    return cms.build_zip({**members, **(extra or {})})


def hcpcs_zip(**options) -> bytes:
    return cms.build_hcpcs_zip(Q4, RELEASE.codes, version="v3", noc_rows=RELEASE.noc_codes,
                               **options)


def anweb_grid() -> list[list[object]]:
    return [list(cms.XLSX_HEADER)] + [cms.xlsx_row(code) for code in
                                      sorted(RELEASE.codes, key=cms.sort_key)]


def workbook(sheets: dict[str, list[list[object]]], edit: Callable | None = None) -> bytes:
    """A workbook written cell by cell (merged cells and typed cells need the full writer)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, grid in sheets.items():
        sheet = book.create_sheet(name)
        for row in grid:
            sheet.append(row)
    if edit is not None:
        edit(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pricing_grid(rows=None) -> list[list[str]]:
    return cms.pricing_grid(Q4, RELEASE.pricing if rows is None else rows)


def csv_text(grid: list[list[object]], width: int = 11, line_end: str = "\r\n") -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=line_end)
    for row in grid:
        cells = ["" if value is None else str(value) for value in row]
        writer.writerow(cells + [""] * (width - len(cells)))
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# 1-9. The zip itself


def test_01_members_in_a_subfolder_load_the_same_rows(tmp_path, clean):
    """Zipped on a desktop from a folder: every member under `HCPC2025_OCT_ANWEB_v3/`."""
    data = rezip(hcpcs_zip(), lambda name: f"HCPC2025_OCT_ANWEB_v3/{name}")
    loads_same(*run_given(tmp_path, {"hcpcs": ("hcpcs.zip", data)}), clean, "hcpcs")


def test_02_members_named_in_another_case_load_the_same_rows(tmp_path, clean):
    data = rezip(hcpcs_zip(), str.lower)
    loads_same(*run_given(tmp_path, {"hcpcs": ("HCPCS-OCT-2025.ZIP", data)}), clean, "hcpcs")


def test_03_macosx_folder_and_ds_store_are_passed_over(tmp_path, clean):
    """Re-zipped on a Mac: `__MACOSX/._<member>` resource forks (binary, same name) and a
    .DS_Store beside every member."""
    data = hcpcs_zip()
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        forks = {f"__MACOSX/._{name}": APPLE_DOUBLE for name in source.namelist()}
    data = rezip(data, extra={**forks, ".DS_Store": DS_STORE})
    loads_same(*run_given(tmp_path, {"hcpcs": ("hcpcs.zip", data)}), clean, "hcpcs")


def test_04_an_asp_zip_from_a_mac_folder_reads_the_csv_not_its_resource_fork(tmp_path, clean):
    """`ASP Files/section 508 ... .csv` and `__MACOSX/ASP Files/._section 508 ... .csv`: the
    resource fork matches the member rule too, and sorts first by name."""
    data = cms.build_asp_crosswalk_zip(Q4, RELEASE.crosswalk, posting="090525")
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        forks = {f"__MACOSX/ASP Files/._{name}": APPLE_DOUBLE for name in source.namelist()}
    data = rezip(data, lambda name: f"ASP Files/{name}", {**forks, "ASP Files/.DS_Store":
                                                            DS_STORE})
    result, settings = run_given(tmp_path, {"asp_crosswalk": ("crosswalk.zip", data)})
    loads_same(result, settings, clean, "asp_crosswalk")


def test_05_a_zip_with_the_v2_and_v3_workbooks_loads_v3(tmp_path, clean):
    """CMS left the superseded workbook in the zip: v3 is the release (v2 lacks a code)."""
    older = cms.hcpcs_xlsx(RELEASE.codes[:-1])
    data = cms.build_zip({"HCPC2025_OCT_ANWEB_v2.xlsx": older,
                          "HCPC2025_OCT_ANWEB_v3.xlsx": cms.hcpcs_xlsx(RELEASE.codes)})
    result, settings = run_given(tmp_path, {"hcpcs": ("hcpcs.zip", data)})
    loads_same(result, settings, clean, "hcpcs")


def test_06_a_zip_with_an_older_txt_and_a_newer_workbook_loads_the_newer(tmp_path, clean):
    """`_v2.txt` beside `_v3.xlsx`: the TXT is the preferred form, but not over a newer
    version of the release; the older TXT must not win silently."""
    data = cms.build_zip({"HCPC2025_OCT_ANWEB_v2.txt": cms.hcpcs_txt(RELEASE.codes[:-1]),
                          "HCPC2025_OCT_ANWEB_v3.xlsx": cms.hcpcs_xlsx(RELEASE.codes)})
    result, settings = run_given(tmp_path, {"hcpcs": ("hcpcs.zip", data)})
    loads_same(result, settings, clean, "hcpcs")


def test_07_an_empty_zip_is_refused_naming_it(tmp_path):
    result, settings = run_given(tmp_path, {"asp_pricing": ("pricing.zip", cms.build_zip({}))})
    refused(result, settings, "pricing.zip")


def test_08_a_zip_inside_the_zip_is_refused_naming_the_inner_zip(tmp_path):
    """Reading through nested zips would multiply the zip-bomb checks; the refusal names the
    inner zip so the billing lead can unzip it and give that."""
    data = cms.build_zip({"october-2025-alpha-numeric-hcpcs-file.zip": hcpcs_zip()})
    result, settings = run_given(tmp_path, {"hcpcs": ("outer.zip", data)})
    refused(result, settings, "outer.zip", "october-2025-alpha-numeric-hcpcs-file.zip")


def test_09_a_truncated_zip_is_refused_naming_it(tmp_path):
    data = hcpcs_zip()
    result, settings = run_given(tmp_path, {"hcpcs": ("hcpcs.zip", data[:len(data) // 2])})
    refused(result, settings, "hcpcs.zip", "not a readable zip")


# ---------------------------------------------------------------------------------------------
# 10-21. The ANWEB workbook


def test_10_a_readme_sheet_before_the_data_sheet_is_passed_over(tmp_path, clean):
    readme = [["Read me"], ["HCPCS 2025 October release. See the record layout."]]
    data = workbook({"README": readme, "HCPC2025_OCT_ANWEB": anweb_grid()})
    loads_same(*run_given(tmp_path, {"hcpcs": (HCPCS_XLSX, data)}), clean, "hcpcs")


def test_11_a_renamed_data_sheet_loads_the_same_rows(tmp_path, clean):
    data = workbook({"Sheet1": anweb_grid()})
    loads_same(*run_given(tmp_path, {"hcpcs": (HCPCS_XLSX, data)}), clean, "hcpcs")


def test_12_a_header_on_row_3_under_merged_title_cells(tmp_path, clean):
    def merge_title(book):
        book.active.merge_cells("A1:AV1")

    grid = [["Alpha-Numeric HCPCS File, October 2025"], []] + anweb_grid()
    data = workbook({"HCPC2025_OCT_ANWEB": grid}, merge_title)
    loads_same(*run_given(tmp_path, {"hcpcs": (HCPCS_XLSX, data)}), clean, "hcpcs")


def test_13_header_cells_with_trailing_spaces_line_breaks_and_other_case(tmp_path, clean):
    spelled = {"LONG DESCRIPTION": "Long\nDescription", "SHORT DESCRIPTION": "SHORT DESCRIPTION ",
               "ADD DT": "Add Dt", "ACT EFF DT": " ACT EFF\r\nDT", "TERM DT": "term dt ",
               "ACTION CD": "Action Cd", "HCPC": "HCPC "}
    grid = anweb_grid()
    grid[0] = [spelled.get(name, name) for name in grid[0]]
    data = workbook({"HCPC2025_OCT_ANWEB": grid})
    loads_same(*run_given(tmp_path, {"hcpcs": (HCPCS_XLSX, data)}), clean, "hcpcs")


def test_14_dates_as_excel_date_cells_load_the_same_rows(tmp_path, clean):
    grid = anweb_grid()
    at = [grid[0].index(name) for name in ("ADD DT", "ACT EFF DT", "TERM DT")]
    for row in grid[1:]:
        for i in at:
            if row[i]:
                row[i] = datetime.strptime(row[i], "%Y%m%d")
    data = workbook({"HCPC2025_OCT_ANWEB": grid})
    loads_same(*run_given(tmp_path, {"hcpcs": (HCPCS_XLSX, data)}), clean, "hcpcs")


def test_15_a_bare_excel_serial_for_a_date_is_refused_naming_row_and_field(tmp_path):
    """45931 is 2025-10-01 as an unformatted serial; it could as well be a typo: refused."""
    grid = anweb_grid()
    at = grid[0].index("ADD DT")
    grid[3][at] = 45931
    data = workbook({"HCPC2025_OCT_ANWEB": grid})
    result, settings = run_given(tmp_path, {"hcpcs": (HCPCS_XLSX, data)})
    refused(result, settings, HCPCS_XLSX, "row 4", "add_date", "45931")


def test_16_a_code_printed_twice_is_refused_naming_both_rows(tmp_path):
    grid = anweb_grid()
    twin = list(grid[6])
    twin[grid[0].index("LONG DESCRIPTION")] = "Another description"
    grid.append(twin)
    data = workbook({"HCPC2025_OCT_ANWEB": grid})
    result, settings = run_given(tmp_path, {"hcpcs": (HCPCS_XLSX, data)})
    refused(result, settings, HCPCS_XLSX, f"{twin[0]}", "rows 7 and", "code")


def test_17_a_code_twice_in_another_case_and_spacing_is_refused_too(tmp_path):
    grid = anweb_grid()
    twin = list(grid[6])
    twin[0] = f" {twin[0].lower()} "
    grid.append(twin)
    data = workbook({"HCPC2025_OCT_ANWEB": grid})
    result, settings = run_given(tmp_path, {"hcpcs": (HCPCS_XLSX, data)})
    refused(result, settings, HCPCS_XLSX, grid[6][0], "rows 7 and")


def test_18_a_code_ended_in_one_row_and_re_added_in_another_is_refused(tmp_path):
    """Two rows for one code (TERM DT 20201231, and ADD DT 20251001 with ACTION CD R): the
    release must say one thing per code."""
    grid = anweb_grid()
    header = grid[0]
    ended = list(grid[6])
    ended[header.index("TERM DT")] = "20201231"
    again = list(grid[6])
    again[header.index("ADD DT")] = "20251001"
    again[header.index("ACTION CD")] = "R"
    grid[6] = ended
    grid.append(again)
    result, settings = run_given(tmp_path, {"hcpcs": (HCPCS_XLSX,
                                                      workbook({"HCPC2025_OCT_ANWEB": grid}))})
    refused(result, settings, HCPCS_XLSX, ended[0], "rows 7 and")


def test_19_a_re_added_code_keeping_its_old_term_date_loads_as_printed(tmp_path, clean):
    """One row, ACTION CD R, ADD DT 20251001, TERM DT 20201231 left from before: CMS's file
    says it; it loads as printed (the release is not blocked over one code)."""
    grid = anweb_grid()
    header = grid[0]
    row = grid[6]
    row[header.index("ADD DT")], row[header.index("TERM DT")] = "20251001", "20201231"
    row[header.index("ACTION CD")] = "R"
    result, settings = run_given(tmp_path, {"hcpcs": (HCPCS_XLSX,
                                                      workbook({"HCPC2025_OCT_ANWEB": grid}))})
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        assert con.execute("SELECT add_date::VARCHAR, term_date::VARCHAR, action_cd FROM "
                           "hcpcs_codes WHERE code = ?", [row[0]]).fetchone() == (
            "2025-10-01", "2020-12-31", "R")
    assert len(loaded(settings, "hcpcs_codes")) == len(clean["hcpcs"])


def test_20_a_truncated_workbook_is_refused_naming_it(tmp_path):
    data = cms.hcpcs_xlsx(RELEASE.codes)
    result, settings = run_given(tmp_path, {"hcpcs": (HCPCS_XLSX, data[:len(data) * 2 // 3])})
    refused(result, settings, HCPCS_XLSX)


@pytest.mark.parametrize("kind, name", [("hcpcs", HCPCS_XLSX), ("asp_pricing", PRICING_CSV),
                                        ("asp_crosswalk", "crosswalk.zip")],
                         ids=["as-xlsx", "as-csv", "as-zip"])
def test_21_an_html_error_page_saved_under_a_cms_name_is_refused_naming_it(tmp_path, kind,
                                                                            name):
    result, settings = run_given(tmp_path, {kind: (name, HTML_ERROR)})
    refused(result, settings, name)


def test_22_a_txt_with_lf_line_ends_loads_the_same_rows(tmp_path, clean):
    data = cms.hcpcs_txt(RELEASE.codes).replace(b"\r\n", b"\n")
    loads_same(*run_given(tmp_path, {"hcpcs": ("HCPC2025_OCT_ANWEB_v3.txt", data)}), clean,
               "hcpcs")


# ---------------------------------------------------------------------------------------------
# 23-30. The ASP payment limit CSV


def test_23_footnote_lines_after_the_data_are_left_out_and_named(tmp_path, clean):
    """A blank line, then footnotes in the first column below the table."""
    grid = pricing_grid() + [[], ["Note: * indicates a change from the prior quarter."],
                             ["Source: CMS, Division of Data Analysis and Market Based Pricing"]]
    result, settings = run_given(tmp_path, {"asp_pricing": (PRICING_CSV,
                                                            csv_text(grid).encode("cp1252"))})
    loads_same(result, settings, clean, "asp_pricing")
    footer = len(grid)  # editor lines: one more than grid rows, A9606's note spans two
    assert f"left out 2 footnote line(s) below the table (lines {footer}-{footer + 1}: " \
           "'Note: * indicates a change" in result.output
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        assert "footnote" in con.execute("SELECT message FROM load_runs").fetchone()[0]


def test_24_blank_lines_before_the_header_load_the_same_rows(tmp_path, clean):
    grid = [[]] + pricing_grid()[:8] + [[], []] + pricing_grid()[8:]
    result, settings = run_given(tmp_path, {"asp_pricing": (PRICING_CSV,
                                                            csv_text(grid).encode("cp1252"))})
    loads_same(result, settings, clean, "asp_pricing")


def pricing_rows() -> list[cms.AspPrice]:
    return [cms.AspPrice(**vars(price)) for price in RELEASE.pricing]


def limits_loaded_from(tmp_path: Path, printed: tuple[str, str]) -> dict[str, tuple]:
    """Run with the first two payment limits printed as given: code -> (limit, as printed)."""
    rows = pricing_rows()
    rows[0].payment_limit, rows[1].payment_limit = printed
    result, settings = run_given(tmp_path, {"asp_pricing": (
        PRICING_CSV, cms.asp_pricing_csv(Q4, rows))})
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        got = {code: (limit, raw) for code, limit, raw in con.execute(
            "SELECT hcpcs_code, payment_limit, payment_limit_raw FROM asp_payment_limits"
        ).fetchall()}
    assert len(got) == len(rows)
    return {"first": got[rows[0].hcpcs_code], "second": got[rows[1].hcpcs_code]}


def test_25_quoted_limits_with_thousands_commas_and_dollars(tmp_path):
    assert limits_loaded_from(tmp_path, ("1,234.500", "$12,345.678")) == {
        "first": (Decimal("1234.500"), "1,234.500"),
        "second": (Decimal("12345.678"), "$12,345.678")}


def test_26_na_and_blank_payment_limits_load_as_no_limit(tmp_path):
    assert limits_loaded_from(tmp_path, ("N/A", "")) == {"first": (None, "N/A"),
                                                         "second": (None, None)}


@pytest.mark.parametrize("variant", ["250-columns", "lf", "utf8-bom", "all-three"])
def test_27_padding_line_ends_and_a_bom_load_the_same_rows(tmp_path, clean, variant):
    width = 250 if variant in ("250-columns", "all-three") else 11
    line_end = "\n" if variant in ("lf", "all-three") else "\r\n"
    text = csv_text(pricing_grid(), width, line_end)
    data = ("\ufeff" + text).encode("utf-8") if variant in ("utf8-bom", "all-three") \
        else text.encode("cp1252")
    loads_same(*run_given(tmp_path, {"asp_pricing": (PRICING_CSV, data)}), clean, "asp_pricing")


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8"])
def test_28_registered_marks_and_en_dashes_in_descriptors_read_as_printed(tmp_path, encoding):
    rows = pricing_rows()
    rows[0].short_description = "Inj Keytruda\u00ae \u2013 1 mg"
    data = csv_text(pricing_grid(rows)).encode(encoding)
    result, settings = run_given(tmp_path, {"asp_pricing": (PRICING_CSV, data)})
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        assert con.execute("SELECT short_description FROM asp_payment_limits WHERE "
                           "hcpcs_code = ?", [rows[0].hcpcs_code]).fetchone() == (
            "Inj Keytruda\u00ae \u2013 1 mg",)


def test_29_a_footnote_inside_the_table_is_still_refused_naming_its_line(tmp_path):
    """Only text below the table's last row is a footnote: a text row between data rows
    would hide a code, so it is refused with its line and field (line 13 in an editor: the
    A9606 note above spans two lines, as in the real file)."""
    grid = pricing_grid()
    grid.insert(11, ["Note: see below"])
    result, settings = run_given(tmp_path, {"asp_pricing": (PRICING_CSV,
                                                            csv_text(grid).encode("cp1252"))})
    refused(result, settings, PRICING_CSV, "row 13", "hcpcs_code")


@pytest.mark.real_samples
def test_30_the_real_pricing_csv_re_saved_as_utf8_with_bom_and_lf_loads_1012_rows(
        cms_samples, tmp_path):
    folder, name = REAL_FILES["2025Q4"]["asp_pricing"]
    real = (cms_samples / folder / name).read_bytes()
    resaved = b"\xef\xbb\xbf" + real.decode("cp1252").replace("\r\n", "\n").encode("utf-8")
    result, settings = run_given(tmp_path, {"asp_pricing": (name, resaved)})
    assert result.exit_code == 0, result.output
    _, original = run_given(tmp_path / "original", {"asp_pricing": (name, real)})
    assert loaded(settings, "asp_payment_limits") == loaded(original, "asp_payment_limits")
    assert len(loaded(settings, "asp_payment_limits")) == 1012


@pytest.mark.real_samples
def test_31_the_real_legacy_xls_pricing_file_loads_the_rows_of_its_508_csv_twin(cms_samples,
                                                                                 tmp_path):
    """The January 2025 zip's `... updated 030725.xls` (old binary workbook) given alone
    loads the same codes and payment limits as the section 508 CSV beside it."""
    real_zip = cms_samples / "asp" / "zips" / "january-2025-asp-pricing-file-12_19_24-final-file.zip"
    with zipfile.ZipFile(real_zip) as source:
        members = {Path(n).suffix: (n, source.read(n)) for n in source.namelist()}
    limits = {}
    q1 = cms.sample_release("2025Q1")
    q1.codes.append(cms.HcpcsCode("J9998", "Injection, test drug, 1 mg", "Inj test drug 1 mg",
                                  add_date=date(2025, 1, 1), action_eff_date=date(2025, 1, 1),
                                  action_cd="A"))  # the release's own add date: it is 2025Q1
    for suffix in (".xls", ".csv"):
        folder = tmp_path / suffix.strip(".")
        folder.mkdir()
        (folder / "HCPC2025_JAN_ANWEB.xlsx").write_bytes(cms.hcpcs_xlsx(q1.codes))
        (folder / members[suffix][0]).write_bytes(members[suffix][1])
        result = CliRunner().invoke(main, ["run", "--no-prefect", "--cms-url",
                                           f"http://127.0.0.1:{free_port()}", "--data-dir",
                                           str(folder / "data"), "--from", str(folder),
                                           "--quarter", "2025Q1"])
        assert result.exit_code == 0, result.output
        with duckdb.connect(str(folder / "data" / "crosswalk.duckdb"), read_only=True) as con:
            limits[suffix] = con.execute("SELECT hcpcs_code, payment_limit FROM "
                                         "asp_payment_limits ORDER BY 1").fetchall()
    assert len(limits[".xls"]) == 877 and limits[".xls"] == limits[".csv"]


# ---------------------------------------------------------------------------------------------
# 32-35. The NDC-HCPCS crosswalk


def crosswalk_rows() -> list[cms.CrosswalkRow]:
    return [cms.CrosswalkRow(**vars(row)) for row in RELEASE.crosswalk]


def ndc11_by_raw(settings: Settings) -> dict[str, str | None]:
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        return dict(con.execute("SELECT ndc_raw, ndc11 FROM asp_ndc_crosswalk").fetchall())


def test_32_ndcs_excel_shortened_are_kept_as_printed_never_padded(tmp_path):
    """An NDC Excel stored as a number lost its leading zero (`0069-...` -> 10 or 9 digits):
    the row loads with the printed text, and no NDC is guessed for it."""
    rows = crosswalk_rows()
    rows[0].ndc = rows[0].ndc.replace("-", "").lstrip("0") or "1"
    rows[1].ndc = "69022401"
    result, settings = run_given(tmp_path, {"asp_crosswalk": (
        CROSSWALK_CSV, cms.asp_crosswalk_csv(Q4, rows))})
    assert result.exit_code == 0, result.output
    found = ndc11_by_raw(settings)
    assert len(loaded(settings, "asp_ndc_crosswalk")) == len(rows)
    assert found["69022401"] is None
    shortened = found[rows[0].ndc]
    assert shortened is None or (len(shortened) == 11 and shortened == rows[0].ndc)


def test_33_a_duplicated_crosswalk_line_loads_as_the_file_prints_it(tmp_path, clean):
    rows = crosswalk_rows()
    rows.insert(1, rows[0])
    result, settings = run_given(tmp_path, {"asp_crosswalk": (
        CROSSWALK_CSV, cms.asp_crosswalk_csv(Q4, rows))})
    assert result.exit_code == 0, result.output
    got = loaded(settings, "asp_ndc_crosswalk")
    assert len(got) == len(clean["asp_crosswalk"]) + 1
    assert sorted(set(got)) == sorted(set(clean["asp_crosswalk"]))


def test_34_eleven_digits_without_hyphens_give_the_same_ndc11_as_5_4_2(tmp_path):
    rows = crosswalk_rows()
    plain = rows[0].ndc.replace("-", "")
    rows[0].ndc = plain
    result, settings = run_given(tmp_path, {"asp_crosswalk": (
        CROSSWALK_CSV, cms.asp_crosswalk_csv(Q4, rows))})
    assert result.exit_code == 0, result.output
    assert ndc11_by_raw(settings)[plain] == plain


def test_35_a_crosswalk_padded_to_250_columns_with_lf_loads_the_same_rows(tmp_path, clean):
    data = cms.asp_crosswalk_csv(Q4, RELEASE.crosswalk, pad_columns=240).replace(b"\r\n", b"\n")
    loads_same(*run_given(tmp_path, {"asp_crosswalk": (CROSSWALK_CSV, data)}), clean,
               "asp_crosswalk")


# ---------------------------------------------------------------------------------------------
# 36-38. The real October 2025 workbook, made odd


@pytest.fixture
def real_anweb(cms_samples) -> bytes:
    return (cms_samples / "hcpcs" / "HCPC2025_OCT_ANWEB.xlsx").read_bytes()


def with_readme_sheet(data: bytes) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(data))
    notes = book.create_sheet("Read Me", 0)
    notes.append(["HCPCS Alpha-Numeric file, October 2025"])
    notes.append(["The data is on the next sheet."])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.real_samples
def test_36_the_real_workbook_with_a_readme_sheet_first_loads_8846_codes(real_anweb, tmp_path):
    data = with_readme_sheet(real_anweb)
    result, settings = run_given(tmp_path, {"hcpcs": ("HCPC2025_OCT_ANWEB_v3.xlsx", data)})
    assert result.exit_code == 0, result.output
    assert len(loaded(settings, "hcpcs_codes")) == 8846


@pytest.mark.real_samples
def test_37_the_real_workbook_cut_short_is_refused_naming_it(real_anweb, tmp_path):
    result, settings = run_given(tmp_path, {"hcpcs": ("HCPC2025_OCT_ANWEB_v3.xlsx",
                                                      real_anweb[:1_000_000])})
    refused(result, settings, "HCPC2025_OCT_ANWEB_v3.xlsx")


@pytest.mark.real_samples
def test_38_the_real_workbook_in_a_mac_zip_subfolder_loads_8846_codes(real_anweb, tmp_path):
    data = cms.build_zip({"october-2025/HCPC2025_OCT_ANWEB_v3.xlsx": real_anweb,
                          "__MACOSX/october-2025/._HCPC2025_OCT_ANWEB_v3.xlsx": APPLE_DOUBLE,
                          "october-2025/.DS_Store": DS_STORE})
    result, settings = run_given(tmp_path, {"hcpcs": ("october-2025-alpha-numeric-hcpcs-file.zip",
                                                      data)})
    assert result.exit_code == 0, result.output
    assert len(loaded(settings, "hcpcs_codes")) == 8846


# ---------------------------------------------------------------------------------------------
# 39-41. Served by CMS (the mirror over 127.0.0.1), after a good run


def mirror_run(settings: Settings, base_url: str, command: str = "run") -> Result:
    extra = ["--no-prefect"] if command == "run" else []
    return CliRunner().invoke(main, [command, *extra, "--cms-url", base_url, "--data-dir",
                                     str(settings.data_dir), "--quarter", "2025Q4"])


def database_state(settings: Settings) -> dict[str, tuple]:
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        return {table: con.execute(f"SELECT count(*), sum(hash(t)) FROM {table} t").fetchone()
                for table in (*TABLE.values(), "noc_codes", "release_files")}


@pytest.fixture
def served(mirror_settings, cms_mirror) -> tuple[Settings, dict[str, str]]:
    paths = cms_mirror.publish_quarter(Q4)
    result = mirror_run(mirror_settings, cms_mirror.base_url)
    assert result.exit_code == 0, result.output
    return mirror_settings, paths


@pytest.mark.parametrize("kind, body", [
    ("asp_pricing", cms.build_zip({})),
    ("hcpcs", cms.build_zip({"october-2025-alpha-numeric-hcpcs-file.zip": b"PK\x05\x06" +
                             bytes(18)})),
    ("asp_crosswalk", cms.build_zip({CROSSWALK_CSV: HTML_ERROR})),
], ids=["empty-zip", "zip-in-a-zip", "html-page-as-the-csv-member"])
def test_39_a_hostile_repost_is_refused_and_the_database_stays_as_it_was(served, cms_mirror,
                                                                        kind, body):
    settings, paths = served
    before = database_state(settings)
    cms_mirror.put(paths[kind], body)
    result = mirror_run(settings, cms_mirror.base_url)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    # the archive keeps a re-post beside the old bytes, named <posted stem>.<hash>.zip
    assert Path(paths[kind]).stem in result.output
    assert database_state(settings) == before


def test_40_a_repost_zipped_on_a_mac_loads_through_download_and_load(served, cms_mirror):
    """`crosswalk download` then `crosswalk load`: the re-post (members in a folder, resource
    forks, .DS_Store) is a new version with the same rows."""
    settings, paths = served
    before = loaded(settings, "hcpcs_codes")
    data = cms_mirror.body(paths["hcpcs"])
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        forks = {f"__MACOSX/release/._{name}": APPLE_DOUBLE for name in source.namelist()}
    cms_mirror.put(paths["hcpcs"], rezip(data, lambda name: f"release/{name}",
                                         {**forks, "release/.DS_Store": DS_STORE}))
    downloaded = mirror_run(settings, cms_mirror.base_url, "download")
    assert downloaded.exit_code == 0, downloaded.output
    result = CliRunner().invoke(main, ["load", "--quarter", "2025Q4", "--data-dir",
                                       str(settings.data_dir)])
    assert result.exit_code == 0, result.output
    assert loaded(settings, "hcpcs_codes") == before
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        assert con.execute("SELECT member_name FROM release_files WHERE source_kind = "
                           "'hcpcs' AND quarter = '2025Q4'").fetchone()[0].startswith("release/")
