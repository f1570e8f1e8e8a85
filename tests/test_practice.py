"""The practice drug list: header spellings, encodings, XLSX, and bad rows named by row and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st
from openpyxl import Workbook

from crosswalk import practice
from crosswalk.cli import main
from crosswalk.errors import BadInput
from crosswalk.settings import EXAMPLE_DRUGS

HEADER = "drug_name,brand_name,ndc,current_code,dose,payer,setting,notes,active"


def write_csv(tmp_path: Path, lines: list[str], encoding: str = "utf-8",
              name: str = "drugs.csv") -> Path:
    path = tmp_path / name
    path.write_bytes("\r\n".join(lines).encode(encoding) + b"\r\n")
    return path


def write_xlsx(tmp_path: Path, rows: list[list[object]], name: str = "drugs.xlsx") -> Path:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.create_sheet("Second")["A1"] = "never read"
    path = tmp_path / name
    book.save(path)
    return path


def test_example_list_is_valid_and_realistic() -> None:
    result = practice.check_file(EXAMPLE_DRUGS)
    drugs = result.drug_list.drugs
    assert result.ok, result.describe()
    assert len(drugs) >= 15
    assert set(drugs["current_code"]) == {"J3590", "J3490", "J9999", "C9399"}
    assert set(drugs["setting"]) == {"office", "hospital_outpatient"}
    assert drugs["drug_name"].str.contains(r"-[a-z]{4}$").sum() >= 10  # biosimilar suffixes


def test_documented_header_values_and_defaults(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [
        HEADER,
        "ublituximab-xiiy,Briumvi,73150-0150-06,J3590,450 mg,Medicare,office,,yes",
        "rituximab-arrx,Riabni,5551-3224-01,,\"1,000 mg\",,HOPD,,0",
    ])
    drugs = practice.read_drug_list(path).drugs.set_index("row_no")
    assert drugs.loc[2, "ndc11"] == "73150015006"
    assert (drugs.loc[2, "dose_amount"], drugs.loc[2, "dose_unit"]) == (450.0, "mg")
    assert drugs.loc[2, "active"]
    assert drugs.loc[3, "ndc11"] == "05551322401"  # 4-4-2 gets its leading zero
    assert drugs.loc[3, "current_code"] == "J3590"  # default
    assert drugs.loc[3, "setting"] == "hospital_outpatient"
    assert drugs.loc[3, "dose_amount"] == 1000.0
    assert not drugs.loc[3, "active"]


@pytest.mark.parametrize("header", [
    "Drug Name,Brand,NDC11,Current HCPCS,Dose,Setting",
    "Generic Name,Brand Name,NDC,HCPCS,Dosage,Site of Service",
    "DRUG_NAME,Trade Name,National Drug Code,Code,dose,place of service",
])
def test_common_header_spellings(tmp_path: Path, header: str) -> None:
    path = write_csv(tmp_path, [header, "tocilizumab-aazg,Tyenne,65219-0590-04,J3590,560 mg,OPPS"])
    drug = practice.read_drug_list(path).drugs.iloc[0]
    assert (drug["drug_name"], drug["brand_name"], drug["ndc11"]) == (
        "tocilizumab-aazg", "Tyenne", "65219059004")
    assert (drug["current_code"], drug["dose"], drug["setting"]) == (
        "J3590", "560 mg", "hospital_outpatient")


def test_bad_rows_are_named_by_row_and_field_and_good_rows_survive(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [
        HEADER,
        "ublituximab-xiiy,Briumvi,73150-0150-06,J3590,450 mg,,,,",     # row 2 good
        "rituximab-arrx,Riabni,5551322401,J3590,,,,,",                 # row 3 bare 10 digits
        ",Tyenne,65219-0590-04,J3590,,,,,",                            # row 4 empty name
        ",,,,,,,,",                                                    # row 5 blank
        "zanidatamab-hrii,Ziihera,68727-0950-02,J9312,,,,,",           # row 6 not a NOC code
        "ublituximab-xiiy,Briumvi,73150-0150-06,J3590,600 mg,,,,",     # row 7 duplicate of 2
        "cosibelimab-ipdl,Unloxcyt,,J3590,,,home,,maybe",              # row 8 setting + active
        "aflibercept-jbvf,Yesafili,,J3590,2 mg,,,,",                   # row 9 good
    ])
    result = practice.check_file(path)
    found = {(p.row, p.field) for p in result.drug_list.problems}
    assert found == {(4, "drug_name"), (6, "current_code"), (7, "drug_name"),
                     (8, "setting"), (8, "active")}
    assert not result.ok
    # an unusable NDC never costs the drug: kept, matched by name, the NDC named
    assert list(result.drug_list.drugs["row_no"]) == [2, 3, 9]
    assert result.drug_list.blank_rows == 1
    text = result.describe()
    assert "3 drug(s) ok, 4 bad row(s), 1 blank row(s) skipped" in text
    assert ("drugs.csv, row 3, field 'ndc': NDC '5551322401' not used: ambiguous 10-digit NDC"
            in text) and "the drug is matched by name" in text
    assert "drugs.csv, row 6, field 'current_code': 'J9312' is not a NOC code" in text
    assert "row 7, field 'drug_name': duplicate of row 2" in text


def test_windows_1252_and_bom_are_decoded(tmp_path: Path) -> None:
    cp = write_csv(tmp_path, [HEADER, "rituximab-arrx,Riabni\u00ae,,J3590,,,,caf\u00e9 note,"],
                   encoding="cp1252", name="cp.csv")
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + f"{HEADER}\nrituximab-arrx,Riabni\u2122,,,,,,,\n"
                    .encode("utf-8"))
    cp_drug = practice.read_drug_list(cp).drugs.iloc[0]
    assert cp_drug["brand_name"] == "Riabni\u00ae" and cp_drug["notes"] == "caf\u00e9 note"
    assert practice.read_drug_list(bom).drugs.iloc[0]["brand_name"] == "Riabni\u2122"


def test_undecodable_bytes_are_reported_by_row(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    # 0x81 is undefined in Windows-1252 and a stray continuation byte in UTF-8
    path.write_bytes(f"{HEADER}\r\nublituximab-xiiy,,,,,,,,\r\n".encode() + b"ritux\x81mab,,,,,,,,\r\n")
    result = practice.check_file(path)
    assert [(p.row, "undecodable" in p.reason) for p in result.drug_list.problems] == [(3, True)]
    assert list(result.drug_list.drugs["drug_name"]) == ["ublituximab-xiiy"]


def test_formula_looking_cells_stay_text(tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path, [
        HEADER, '"=HYPERLINK(""http://x"",""rituximab-arrx"")",+Riabni,,J3590,,@payer,,-see chart,'])
    xlsx_path = write_xlsx(tmp_path, [
        ["Drug Name", "Brand", "NDC", "HCPCS", "Notes"],
        ["=CONCAT(\"ritux\",\"imab-arrx\")", "@Riabni", "55513-0224-01", "J3590", "-see chart"],
    ])
    from_csv = practice.read_drug_list(csv_path).drugs.iloc[0]
    from_xlsx = practice.read_drug_list(xlsx_path).drugs.iloc[0]
    assert from_csv["drug_name"] == '=HYPERLINK("http://x","rituximab-arrx")'
    assert (from_csv["brand_name"], from_csv["payer"], from_csv["notes"]) == (
        "+Riabni", "@payer", "-see chart")
    assert from_xlsx["drug_name"] == '=CONCAT("ritux","imab-arrx")'
    assert (from_xlsx["brand_name"], from_xlsx["notes"]) == ("@Riabni", "-see chart")


def test_xlsx_first_sheet_numbers_and_booleans(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, [
        ["drug_name", "ndc", "dose", "active"],
        ["ublituximab-xiiy", "73150-0150-06", 450, True],
        [None, None, None, None],
        ["rituximab-arrx", 55513022401, "700 mg", False],  # NDC typed as a number
        ["tocilizumab-aazg", 65219059004.0, None, "n"],
    ])
    listed = practice.read_drug_list(path)
    drugs = listed.drugs.set_index("row_no")
    assert drugs.loc[2, "dose"] == "450" and drugs.loc[2, "active"]
    assert drugs.loc[4, "ndc11"] == "55513022401" and not drugs.loc[4, "active"]
    assert drugs.loc[5, "ndc11"] == "65219059004"
    assert listed.blank_rows == 1


def test_a_name_with_its_brand_in_parentheses_is_kept_as_written(tmp_path: Path) -> None:
    """The Drug column of every report shows the list's own spelling; the matcher reads the
    brand and the generic from it (tests/test_products.py)."""
    path = write_csv(tmp_path, ["Drug Name", "tocilizumab-anoh (Avtozma)"])
    drug = practice.read_drug_list(path).drugs.iloc[0]
    assert (drug["drug_name"], drug["brand_name"]) == ("tocilizumab-anoh (Avtozma)", None)


def test_file_level_faults(tmp_path: Path) -> None:
    no_name = write_csv(tmp_path, ["NDC,HCPCS", "73150-0150-06,J3590"])
    with pytest.raises(BadInput, match="no drug_name column") as caught:
        practice.read_drug_list(no_name)
    assert caught.value.row == 1
    checked = practice.check_file(no_name)
    assert not checked.ok and checked.drug_list.bad_rows == 0
    assert "drugs.csv, row 1, field 'drug_name': no drug_name column" in checked.describe()
    with pytest.raises(BadInput, match="unsupported file type"):
        practice.read_drug_list(write_csv(tmp_path, [HEADER], name="drugs.json"))


@pytest.mark.parametrize(("cell", "active"), [
    ("Active", True), ("A", True), ("x", True), ("\u2713", True), ("TRUE", True),
    ("I", False), ("Inactive (since 2024)", False), ("D/C", False), ("No - switched", False),
    ("FALSE", False), ("0", False)])
def test_status_cells_as_pm_systems_print_them(tmp_path: Path, cell: str, active: bool) -> None:
    path = write_csv(tmp_path, ["Medication,Status", f"rituximab-arrx,{cell}"])
    listed = practice.read_drug_list(path)
    assert not listed.problems and list(listed.drugs["active"]) == [active]


@pytest.mark.parametrize(("cell", "keep"), [
    ("Yes - BCBSMI requires J3590", True), ("X", True), ("\u2714", True), ("Y", True),
    ("TRUE", True), ("no", False), ("N (payer dropped the rule)", False), ("", False)])
def test_payer_rule_cells_with_a_tick_or_a_reason(tmp_path: Path, cell: str, keep: bool) -> None:
    path = write_csv(tmp_path, ["Drug Description,Keep NOC", f"Avastin,{cell}"])
    listed = practice.read_drug_list(path)
    assert not listed.problems and list(listed.drugs["keep_code"]) == [keep]


@pytest.mark.parametrize(("column", "cell"), [("Status", "N/A"), ("Status", "maybe"),
                                              ("Keep NOC", "A"), ("Keep NOC", "I")])
def test_an_unreadable_yes_no_cell_is_a_bad_row(tmp_path: Path, column: str, cell: str) -> None:
    """'N/A' is not 'N'; a status letter means nothing in a payer-rule column."""
    path = write_csv(tmp_path, [f"Medication,{column}", f"rituximab-arrx,{cell}"])
    problems = practice.read_drug_list(path).problems
    assert [(p.row, p.field) for p in problems] == [
        (2, "active" if column == "Status" else "keep_code")]


def test_notes_on_the_list_are_left_out_with_a_warning(tmp_path: Path) -> None:
    """A total, a 'Prepared by' or a page line in the drug column is no drug; a drug whose
    name starts with such a word, or a note row with a code, is still a row."""
    path = write_csv(tmp_path, [
        "Medication,NDC,HCPCS,Qty On Hand",
        "rituximab-arrx,55513-0224-01,J3590,4",          # 2
        "Total: 2 medications,,,6",                      # 3 note
        "Total parenteral nutrition,,J3490,",            # 4 a drug
        "Subtotal,,,12",                                 # 5 note
        "Prepared by: M. Lopez  10/02/2025,,,",          # 6 note
        "Page 1 of 1,,,",                                # 7 note
        "Total,,J9999,",                                 # 8 a code beside it: a row
        "*** END OF REPORT ***,,,",                      # 9 note, as report writers frame it
        "Printed: 10/03/2025 07:14 AM  User: JSMITH,,,",  # 10 note
        "=== Page 2 of 2 ===,,,",                        # 11 note
    ])
    listed = practice.read_drug_list(path)
    assert list(listed.drugs["row_no"]) == [2, 4, 8]
    assert "rows 3, 5, 6, 7, 9, 10, 11 left out: a note on the list" in listed.warnings[-1]


@pytest.mark.parametrize(("text", "expected"), [
    ("450 mg", (450.0, "mg")), ("450mg", (450.0, "mg")), ("0.5 mL", (0.5, "ml")),
    ("1,000 units", (1000.0, "units")), ("6 mg/kg", (6.0, "mg/kg")), ("60", (60.0, None)),
    ("two vials", (None, None)), ("", (None, None)),
])
def test_parse_dose(text: str, expected: tuple[float | None, str | None]) -> None:
    assert practice.parse_dose(text) == expected


def test_cli_drugs_check(tmp_path: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(main, ["drugs", "check", str(EXAMPLE_DRUGS)])
    assert good.exit_code == 0, good.output
    assert "0 bad row(s)" in good.output
    bad = write_csv(tmp_path, [HEADER, "rituximab-arrx,,12345,J3590,,,,,",
                               "rituximab-arrx,,,J9035,,,,,"])
    result = runner.invoke(main, ["drugs", "check", str(bad)])
    assert result.exit_code == 2
    assert "drugs.csv, row 3, field 'current_code': 'J9035' is not a NOC code" in result.output
    assert ("drugs.csv, row 2, field 'ndc': NDC '12345' not used: not an NDC: 5 digits"
            in result.output)


cell_text = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
                    min_size=1, max_size=30)


@settings(max_examples=80, deadline=None)
@given(lead=st.sampled_from("=+-@"), rest=cell_text, notes=cell_text)
def test_any_formula_looking_text_comes_back_unchanged(tmp_path_factory, lead: str, rest: str,
                                                       notes: str) -> None:
    import csv

    path = tmp_path_factory.mktemp("prop") / "drugs.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows([["drug_name", "notes"], [lead + rest, lead + notes]])
    drug = practice.read_drug_list(path).drugs.iloc[0]
    assert (drug["drug_name"], drug["notes"]) == (lead + rest, lead + notes)


# ---- reading lists as practices make them (issue 10) ------------------------------------------


def test_a_hidden_first_sheet_is_not_read_instead_of_the_visible_list(tmp_path: Path) -> None:
    book = Workbook()
    old = book.active
    old.title = "2019 list"
    old.append(["drug_name", "ndc"])
    old.append(["infliximab", "57894-0030-01"])
    old.sheet_state = "hidden"
    current = book.create_sheet("Drugs")
    current.append(["Drug Name", "Brand"])
    current.append(["rituximab-arrx", "Riabni"])
    current.append(["tocilizumab-anoh", "Avtozma"])
    book.save(tmp_path / "drugs.xlsx")
    checked = practice.check_file(tmp_path / "drugs.xlsx")
    assert list(checked.drug_list.drugs["drug_name"]) == ["rituximab-arrx", "tocilizumab-anoh"]
    assert checked.drug_list.sheet == "Drugs"
    lines = checked.describe().splitlines()
    assert lines[0] == ("drugs.xlsx, sheet 'Drugs': 2 drug(s) ok, 0 bad row(s), "
                        "0 blank row(s) skipped")
    assert lines[1] == "warning: read sheet 'Drugs'; passed over '2019 list' (hidden, skipped)"


def test_an_unterminated_quote_is_named_by_row_and_exits_2(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [HEADER, 'ublituximab-xiiy,"Briumvi,,J3590,,,,,',
                                "rituximab-arrx,Riabni,,J9999,,,,,",
                                "tocilizumab-anoh,Avtozma,,J3590,,,,,"])
    result = CliRunner().invoke(main, ["drugs", "check", str(path)])
    assert result.exit_code == 2 and not isinstance(result.exception, ValueError)
    assert result.output.startswith("drugs.csv: 2 drug(s) ok, 1 bad row(s)")
    assert "drugs.csv, row 2: a quote opened in this row never closes" in result.output


def test_a_200_kib_cell_is_a_bad_row_not_a_traceback(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [HEADER, f"ublituximab-xiiy,,,J3590,,,,{'x' * 200 * 1024},",
                                "rituximab-arrx,Riabni,,J9999,,,,,"])
    result = CliRunner().invoke(main, ["drugs", "check", str(path)])
    assert result.exit_code == 2, result.output
    assert "drugs.csv, row 2: a cell is longer than 131,072 characters" in result.output
    assert list(practice.read_drug_list(path).drugs["drug_name"]) == ["rituximab-arrx"]


@pytest.mark.parametrize(("encoding", "delimiter", "warning"), [
    ("utf-8", ";", "read as semicolon-delimited"),
    ("utf-16", ",", "read as UTF-16"),
    ("utf-16-le", "\t", "read as UTF-16 little-endian (no BOM), tab-delimited")])
def test_semicolon_and_utf16_lists_are_read(tmp_path: Path, encoding: str, delimiter: str,
                                           warning: str) -> None:
    path = write_csv(tmp_path, [HEADER.replace(",", delimiter),
                                delimiter.join(["tocilizumab-aazg", "Tyenne\u00ae",
                                                "65219-0590-04", "J3590", "560 mg"])],
                     encoding=encoding)
    listed = practice.read_drug_list(path)
    drug = listed.drugs.iloc[0]
    assert (drug["drug_name"], drug["brand_name"], drug["ndc11"]) == (
        "tocilizumab-aazg", "Tyenne\u00ae", "65219059004")
    assert listed.warnings == [warning]


def test_an_unknown_column_is_a_warning_with_the_nearest_name(tmp_path: Path) -> None:
    path = write_csv(tmp_path, ["Drug Name,NCD,Strenght", "ublituximab-xiiy,73150-0150-06,"])
    checked = practice.check_file(path)
    assert checked.ok  # a warning, not a bad row: the drug is still matched by name
    assert "warning: column 'NCD' ignored: not a column this table uses (did you mean ndc?)" \
        in checked.describe().splitlines()


def test_a_stray_cell_at_xfd1048576_reads_in_small_memory(tmp_path: Path) -> None:
    import tracemalloc

    book = Workbook()
    book.active.append(["drug_name", "ndc"])
    for n in range(50):
        book.active.append([f"drug-{n:02d}-abcd", ""])
    book.active["XFD1048576"] = "stray"
    book.save(tmp_path / "drugs.xlsx")
    tracemalloc.start()
    try:
        listed = practice.read_drug_list(tmp_path / "drugs.xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(listed.drugs) == 50 and listed.problems == []
    assert listed.blank_rows == 1_048_576 - 51
    assert peak < 20 * 1024 * 1024, f"peak {peak:,} bytes"


@pytest.mark.parametrize(("cell", "code"), [
    ("J3590 - UNCLASSIFIED BIOLOGICS", "J3590"), ("J9999 (NOC antineoplastic)", "J9999"),
    ("J-3590", "J3590"), ("C9399 / HOPD", "C9399"), ("J3590,JZ", "J3590"), ("j7999.", "J7999"),
])
def test_a_charge_masters_code_cell_with_its_description(cell: str, code: str) -> None:
    drug, problems = practice.parse_row({"drug_name": "x", "current_code": cell}, "cdm.csv", 5)
    assert not problems and drug["current_code"] == code


@pytest.mark.parametrize(("cell", "says"), [
    ("J3590/J9035", "'J3590/J9035' is not a NOC code"),  # two codes: which one?
    ("96413", "'96413' is not a NOC code"),
    ("J9299", "'J9299' is not a NOC code: the list holds drugs billed under J3590, J3490, "
              "J9999, C9399, J7999 until CMS assigns a permanent code; J9299 is a permanent "
              "code, and rows on one are not matched"),
    ("J1300 (ended 3/31/25)", "'J1300 (ended 3/31/25)' is not a NOC code"),
])
def test_a_code_cell_that_is_no_noc_code_is_quoted_as_written(cell: str, says: str) -> None:
    drug, problems = practice.parse_row({"drug_name": "x", "current_code": cell}, "cdm.csv", 5)
    assert drug is None and says in str(problems[0]) and problems[0].field == "current_code"
