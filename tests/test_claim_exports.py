"""crosswalk.claim_exports: claim-line exports (CSV, XLSX) read by the drug list's rules.

The same claims are written as an 837P (validated by pyx12) and as exports with the
spellings, encodings and layouts practice systems produce; every export must give the same
claim lines the 837P gives, and a bad row refuses the whole file with every bad row named.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest
from openpyxl import Workbook

import claim_builders as cb
from crosswalk import claims
from crosswalk.claim_exports import MAX_LISTED
from crosswalk.errors import BadInput

D = date
CLAIMS = [
    cb.Claim("ACCT1001", [
        cb.ServiceLine("J3590", 1, D(2025, 10, 15), ("JZ",), "ublituximab-xiiy (Briumvi) 450 mg",
                       ndc="73150015006", ndc_quantity=18, ndc_unit="ML"),
        cb.ServiceLine("96413", 1, D(2025, 10, 15)),
    ], prior_auth="PA778899"),
    cb.Claim("ACCT1002", [cb.ServiceLine("J9312", 70, D(2025, 10, 16), ("JW", "59"),
                                         "Rituxan 700 mg", ndc="50242005121", ndc_quantity=7,
                                         ndc_unit="UN")], pos="22", payer="BLUE CROSS"),
]
KEPT = ("claim_id", "line_no", "date_of_service", "place_of_service", "hcpcs", "modifiers",
        "units", "narrative", "ndc_raw", "ndc_quantity", "ndc_unit", "prior_auth", "payer",
        "line_seq")  # claim_seq: exports are numbered once stored (test_claim_checks)


def lines_of(path: Path) -> list[dict]:
    claim_file = claims.read_claim_file(path, batch_lines=2)
    batches = list(claim_file.batches)
    assert all(batch.schema == claims.LINE_SCHEMA for batch in batches)
    return pa.Table.from_batches(batches, schema=claims.LINE_SCHEMA).to_pylist()


def kept(lines: list[dict]) -> list[dict]:
    return [{key: line[key] for key in KEPT} for line in lines]


@pytest.fixture
def from_837p(tmp_path: Path) -> list[dict]:
    path = tmp_path / "same.837"
    path.write_bytes(cb.x12_837p(CLAIMS))
    assert cb.pyx12_problems(path) == []
    return kept(lines_of(path))


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def test_an_export_gives_the_lines_the_837p_gives(tmp_path, from_837p):
    path = tmp_path / "export.csv"
    path.write_bytes(cb.export_csv(CLAIMS))
    lines = lines_of(path)
    assert kept(lines) == from_837p
    assert [line["source_line"] for line in lines] == [2, 3, 4]  # spreadsheet rows
    assert [line["ndc_qualifier"] for line in lines] == ["N4", None, "N4"]


def single_days(claims_: list[cb.Claim]) -> list[list[str]]:
    """The export's rows without its dos_through column (these claims have no date ranges)."""
    at = cb.EXPORT_COLUMNS.index("dos_through")
    return [row[:at] + row[at + 1:] for row in cb.export_rows(claims_)]


def test_practice_system_spellings_and_patient_columns(tmp_path, from_837p):
    """Headers as a practice system writes them; its patient columns are never read."""
    rows = single_days(CLAIMS)
    header = ["Claim #", "Line #", "DOS", "POS", "CPT/HCPCS", "Mod", "Qty", "Description",
              "NDC", "NDC Qty", "Unit Qualifier", "Auth #", "Insurance"]
    patient = cb.Patient()
    extra = [["Patient Name", "DOB", "Member ID"]] + [
        [f"{patient.last}, {patient.first}", "03/14/1958", patient.member_id]] * (len(rows) - 1)
    mixed = [extra[i] + header if i == 0 else extra[i] + [
        f"{row[2][5:7]}/{row[2][8:]}/{row[2][:4]}" if j == 2 else row[j]  # MM/DD/YYYY
        for j in range(len(row))] for i, row in enumerate(rows)]
    path = write_csv(tmp_path / "pm-export.csv", mixed)
    lines = lines_of(path)
    assert kept(lines) == from_837p
    text = repr(lines)
    assert not [detail for detail in patient.details() if detail in text]


def test_windows_1252_and_a_byte_order_mark(tmp_path, from_837p):
    registered = [replace(CLAIMS[0]), replace(CLAIMS[1], lines=[
        replace(CLAIMS[1].lines[0], description="Rituxan\u00ae 700\u00a0mg")])]
    cp1252 = tmp_path / "excel.csv"
    cp1252.write_bytes(cb.export_csv(registered, encoding="cp1252"))
    assert b"\xae 700\xa0mg" in cp1252.read_bytes()
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + cb.export_csv(registered))
    expected = [{**line, "narrative": "Rituxan\u00ae 700 mg"} if line["hcpcs"] == "J9312"
                else line for line in from_837p]  # NBSP read as a space, as the drug list does
    assert kept(lines_of(cp1252)) == expected == kept(lines_of(bom))


def test_an_xlsx_export_with_real_dates_and_numbers(tmp_path, from_837p):
    rows = single_days(CLAIMS)
    book = Workbook()
    sheet = book.active
    for column, name in enumerate(rows[0], start=1):  # the header on row 3, under blank rows
        sheet.cell(row=3, column=column, value=name)
    for row in rows[1:]:
        sheet.append([row[0], int(row[1]), date.fromisoformat(row[2]), int(row[3]), *row[4:6],
                      float(row[6]), *row[7:]])
    path = tmp_path / "export.xlsx"
    book.save(path)
    lines = lines_of(path)
    assert kept(lines) == from_837p
    assert [line["source_line"] for line in lines] == [4, 5, 6]


def test_blank_rows_are_skipped_and_row_numbers_stay_the_spreadsheets(tmp_path):
    rows = cb.export_rows(CLAIMS)
    blank = [""] * len(rows[0])
    path = write_csv(tmp_path / "gaps.csv", [rows[0], rows[1], blank, rows[2], [], rows[3]])
    assert [line["source_line"] for line in lines_of(path)] == [2, 4, 6]
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("claim_id,date_of_service,hcpcs,units,narrative\n"
                      "A1,2025-10-15,J2329,450\nA1,2025-10-15,96365,1,\n")
    assert [(line["hcpcs"], line["narrative"]) for line in lines_of(ragged)] == [
        ("J2329", None), ("96365", None)]


def test_rows_of_empty_cells_keep_the_numbering_across_batches(tmp_path):
    """A UTF-8 CSV without empty lines goes through DuckDB, which numbers nothing: the reader
    counts its batches (two lines each here), so rows of empty cells, dropped, still count
    and every line keeps its spreadsheet row, and a bad row after them is named by its own."""
    rows = cb.export_rows(CLAIMS)
    blank = [""] * len(rows[0])
    path = write_csv(tmp_path / "commas.csv", [rows[0], rows[1], blank, blank, rows[2], blank,
                                               rows[3]])
    lines = lines_of(path)
    assert [line["source_line"] for line in lines] == [2, 5, 7]
    assert [line["line_seq"] for line in lines] == [1, 4, 6]
    bad = [*rows[3]]
    bad[rows[0].index("hcpcs")] = "J23"
    write_csv(path, [rows[0], rows[1], blank, rows[2], blank, bad])
    with pytest.raises(BadInput, match=r"row 6, field 'hcpcs'"):
        lines_of(path)


def test_text_is_taken_literally(tmp_path):
    path = tmp_path / "formula.csv"
    path.write_text("claim_id,date_of_service,hcpcs,units,narrative,modifiers\n"
                    '=1+1,2025-10-15,j3590,1,"=HYPERLINK(""http://x.invalid"")",jw 59\n')
    [line] = lines_of(path)
    assert (line["claim_id"], line["narrative"]) == ("=1+1", '=HYPERLINK("http://x.invalid")')
    assert (line["hcpcs"], line["modifiers"]) == ("J3590", "JW,59")


def test_every_bad_row_is_named_and_the_file_refused_whole(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "claim_id,line,date_of_service,place_of_service,hcpcs,modifiers,units,ndc_quantity\n"
        "A1,1,2025-10-15,11,J2329,JZ,450,3\n"
        ",2,2025-10-15,11,96365,,1,\n"
        "A1,3,10/45/2025,11,J2329,JZ,450,\n"
        "A1,4,2025-10-15,office,J23,J,lots,-2\n")
    with pytest.raises(BadInput) as error:
        lines_of(path)
    assert str(error.value).splitlines() == [
        "bad.csv: 3 bad row(s); nothing from this file was checked or stored:",
        "  bad.csv, row 3, field 'claim_id': no claim id",
        "  bad.csv, row 4, field 'date_of_service': '10/45/2025' is not a date (use "
        "YYYY-MM-DD or MM/DD/YYYY)",
        "  bad.csv, row 5, field 'hcpcs': 'J23' is not a HCPCS/CPT code (5 letters or digits)",
        "  bad.csv, row 5, field 'modifiers': 'J' are not modifiers (2 letters or digits each, "
        "separated by commas or spaces)",
        "  bad.csv, row 5, field 'ndc_quantity': '-2' is not a quantity",
        "  bad.csv, row 5, field 'place_of_service': the value (not shown: it does not look "
        "like one, and may be a patient's) is not a place of service code (2 digits)",
        "  bad.csv, row 5, field 'units': the value (not shown: it does not look like one, and "
        "may be a patient's) is not a number of units"]


@pytest.mark.parametrize(("field", "value"), [
    ("date_of_service", "ZZQUIXOTE"), ("date_of_service", "XQZ998877A"),
    ("hcpcs", "CODY"), ("hcpcs", "XQZ998877A"), ("units", "MARGARETHA"),
    ("modifiers", "ANNE"), ("line", "ZZQUIXOTE"), ("place_of_service", "IL"),
    ("ndc_quantity", "PLOVERVILLE")])
def test_a_value_that_does_not_look_like_its_field_is_never_quoted(tmp_path, field, value):
    """A refusal quotes a value only when it has the shape of its field's values ('10/45/2025',
    'J23', '-2'): a name, member id or town in the wrong column (a file saved with its columns
    out of order, a row shifted by a missing cell) reaches no terminal, log or flow run."""
    row = {"claim_id": "A1", "line": "1", "date_of_service": "2025-10-15", "hcpcs": "J2329",
           "units": "450", "modifiers": "JZ", "place_of_service": "11", "ndc_quantity": "3"}
    row[field] = value
    path = tmp_path / "misplaced.csv"
    path.write_text(",".join(row) + "\n" + ",".join(row.values()) + "\n")
    with pytest.raises(BadInput) as error:
        lines_of(path)
    assert f"row 2, field '{field}': the value (not shown" in str(error.value)
    assert value not in str(error.value)


def test_a_long_list_of_bad_rows_is_cut_short(tmp_path):
    rows = "".join(f"A{i},not a date,J2329,450\n" for i in range(MAX_LISTED + 5))
    path = tmp_path / "many-bad.csv"
    path.write_text("claim_id,date_of_service,hcpcs,units\n" + rows)
    with pytest.raises(BadInput) as error:
        lines_of(path)
    message = str(error.value)
    assert message.count("is not a date") == MAX_LISTED
    assert message.endswith("... and 5 more")


def test_broken_quoting_and_extra_cells_refuse_the_row_named_not_quoted(tmp_path):
    """tabular's rules, as for the drug list: a quote that never closes refuses its row (and
    here the file), named by row and never quoted. Unlike the drug list, a row with values
    beyond the header refuses the file too: its values may sit under the wrong columns (an
    unquoted 'LAST, FIRST' name pushes the first name under the next header), so none of the
    row is read or quoted."""
    secret = cb.Patient().last
    quote = tmp_path / "quote.csv"
    quote.write_text("claim_id,date_of_service,hcpcs,units\nA1,2025-10-15,J2329,450\n"
                     f'A2,2025-10-15,J2329,"{secret}\n')
    with pytest.raises(BadInput, match=r"quote.csv, row 3: a quote opened in this row never "
                                       r"closes") as error:
        lines_of(quote)
    assert secret not in str(error.value)
    extra = tmp_path / "extra.csv"
    extra.write_text(f"claim_id,date_of_service,hcpcs,units\nA1,2025-10-15,J2329,450,{secret}\n")
    with pytest.raises(BadInput, match=r"extra.csv, row 2: the row has 5 cells where the header "
                                       r"has fewer") as error:
        lines_of(extra)
    assert secret not in str(error.value)


def test_undecodable_bytes_are_named_by_row_and_field_not_quoted(tmp_path):
    path = tmp_path / "mangled.csv"
    path.write_bytes(b"claim_id,date_of_service,hcpcs,units,narrative\r\n"
                     b"A1,2025-10-15,J3590,1,Briumvi \x81 450 mg\r\n")
    with pytest.raises(BadInput) as error:
        lines_of(path)
    assert "mangled.csv, row 2, field 'narrative': undecodable byte(s)" in str(error.value)
    assert "Briumvi" not in str(error.value)


def test_the_required_columns_must_be_there(tmp_path):
    path = tmp_path / "no-units.csv"
    path.write_text("Claim,DOS,HCPCS\nA1,2025-10-15,J2329\n")
    with pytest.raises(BadInput, match=r"no-units.csv, row 1, field 'units': no units column"):
        claims.read_claim_file(path)
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n")
    with pytest.raises(BadInput, match="the file is empty"):
        claims.read_claim_file(empty)


def test_semicolons_utf16_and_the_unused_columns_named(tmp_path, from_837p):
    rows = cb.export_rows(CLAIMS)
    semicolons = tmp_path / "semicolons.csv"
    semicolons.write_text("".join(";".join(row) + "\n" for row in rows), encoding="utf-8")
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(cb.export_csv(CLAIMS).decode().encode("utf-16"))
    assert kept(lines_of(semicolons)) == from_837p == kept(lines_of(utf16))
    named = tmp_path / "named.csv"
    write_csv(named, [row + (["Patient Name"] if i == 0 else ["ZZQUIXOTE, MARGARETHA"])
                      for i, row in enumerate(rows)])
    claim_file = claims.read_claim_file(named)
    assert kept(pa.Table.from_batches(list(claim_file.batches)).to_pylist()) == from_837p
    assert any("'Patient Name' ignored" in note for note in claim_file.notes)


def test_a_short_row_deep_in_a_plain_csv_hands_over_to_tabular_without_losing_a_row(tmp_path):
    """DuckDB stops on a row with fewer cells than the header; tabular's rows carry on from
    there (a short row is only missing trailing cells), and every row arrives once."""
    header = "claim_id,line,date_of_service,hcpcs,units,narrative\n"
    body = [f"C{i},1,2025-10-15,J2329,450,Briumvi 450 mg\n" for i in range(1, 40)]
    body[30] = "C31,1,2025-10-15,J2329,450\n"  # no narrative cell at all
    path = tmp_path / "short-row.csv"
    path.write_text(header + "".join(body))
    claim_file = claims.read_claim_file(path, batch_lines=8)
    lines = pa.Table.from_batches(list(claim_file.batches)).to_pylist()
    assert [line["claim_id"] for line in lines] == [f"C{i}" for i in range(1, 40)]
    assert [line["source_line"] for line in lines] == list(range(2, 41))
    assert lines[30]["narrative"] is None and lines[29]["narrative"] == "Briumvi 450 mg"
    assert len({line["line_seq"] for line in lines}) == 39


# ---------------------------------------------------------------------------------------------
# Shapes of the third real-world pass (tests/test_claims_realworld2.py end to end)

ONE_DRUG = ["Claim #", "DOS", "CPT/HCPCS", "Mod", "Units", "Description", "NDC", "NDC Qty",
            "NDC Unit"]


def one_line(tmp_path: Path, name: str, header: list[str], row: list[str]) -> dict:
    [line] = lines_of(write_csv(tmp_path / name, [header, row]))
    return line


@pytest.mark.parametrize("dos", ["10/15/2025 12:00:00 AM", "10/15/2025 0:00",
                                 "10/15/2025 13:45", "2025-10-15T00:00:00Z"])
def test_a_date_with_its_time_of_day_is_the_date(tmp_path, dos):
    line = one_line(tmp_path, "times.csv", ONE_DRUG, ["T1", dos, "96365", "", "1"] + [""] * 4)
    assert line["date_of_service"] == D(2025, 10, 15)


@pytest.mark.parametrize("cell, ndc, quantity, unit", [
    ("N450242015001 UN2", "50242015001", 2, "UN"),
    ("N4 50242-0150-01 UN 2", "50242-0150-01", 2, "UN"),
    ("N473150015006ME450.5", "73150015006", 450.5, "ME"),
    ("N450242015001", "50242015001", None, None)])
def test_the_24a_shaded_area_in_the_ndc_cell(tmp_path, cell, ndc, quantity, unit):
    line = one_line(tmp_path, "shaded.csv", ONE_DRUG,
                    ["S1", "2025-10-15", "J2350", "JZ", "600", "", cell, "", ""])
    assert (line["ndc_raw"], line["ndc_quantity"], line["ndc_unit"]) == (ndc, quantity, unit)


def test_quantity_and_unit_columns_beat_the_shaded_area(tmp_path):
    line = one_line(tmp_path, "both.csv", ONE_DRUG,
                    ["S2", "2025-10-15", "J2350", "JZ", "600", "", "N450242015001 UN2", "3",
                     "ML"])
    assert (line["ndc_raw"], line["ndc_quantity"], line["ndc_unit"]) == ("50242015001", 3, "ML")


@pytest.mark.parametrize("written, unit", [
    ("Milligrams", "ME"), ("International Units", "F2"), ("Grams", "GR"), ("Milliliters", "ML"),
    ("Units", "UN"), ("UN - Unit", "UN"), ("ml", "ML"), ("EA", "EA"), ("Each", "EACH")])
def test_ndc_units_written_as_their_names(tmp_path, written, unit):
    line = one_line(tmp_path, "unit-names.csv", ONE_DRUG,
                    ["U1", "2025-10-15", "J2350", "JZ", "600", "", "50242015001", "2", written])
    assert line["ndc_unit"] == unit  # EA and Each stay: NDC_INVALID names them


def test_codes_and_places_of_service_printed_with_their_names(tmp_path):
    header = ["Claim #", "DOS", "Procedure", "Units", "Description", "POS"]
    lines = lines_of(write_csv(tmp_path / "named.csv", [
        header,
        ["N1", "2025-10-15", "J3590 - UNCLASSIFIED BIOLOGICS", "1", "BRIUMVI 450MG",
         "11 - Office"],
        ["N1", "2025-10-15", "96365 - IV INFUSION THERAPY 1ST HR", "1", "", "11 - Office"],
        ["N1", "2025-10-15", "J3590-JZ", "1", "", "22 - On Campus-Outpatient Hospital"]]))
    assert [(line["hcpcs"], line["modifiers"], line["narrative"], line["place_of_service"])
            for line in lines] == [
        ("J3590", None, "BRIUMVI 450MG; UNCLASSIFIED BIOLOGICS", "11"),
        ("96365", None, "IV INFUSION THERAPY 1ST HR", "11"),
        ("J3590", "JZ", None, "22")]


def test_a_to_date_is_the_ranges_last_day_and_checked(tmp_path):
    header = ["Claim #", "From", "To", "Procedure", "Units"]
    lines = lines_of(write_csv(tmp_path / "ranges.csv", [
        header, ["R1", "03/28/2025", "04/01/2025", "96372", "5"],
        ["R1", "03/28/2025", "03/28/2025", "J3590", "1"]]))
    assert [line["dos_through"] for line in lines] == [D(2025, 4, 1), None]
    backwards = write_csv(tmp_path / "backwards.csv", [
        header, ["R2", "04/01/2025", "03/28/2025", "96372", "5"]])
    with pytest.raises(BadInput, match=r"row 2, field 'dos_through': the To date is before"):
        lines_of(backwards)


def test_debit_payment_and_formula_total_rows_are_left_out_with_a_note(tmp_path):
    """CollaborateMD's 'Charge or Debit?' column: a debit row (no code, money in brackets)
    is no service line; nor is a workbook's =SUM totals row."""
    header = ["Claim ID", "Charge or Debit?", "From Date", "Procedure Code", "Units", "Amount"]
    path = write_csv(tmp_path / "debits.csv", [
        header, ["C1", "Charge", "10/15/2025", "96365", "1.00", "$210.00"],
        ["C1", "Debit", "10/15/2025", "", "", "(25.00)"],
        ["C1", "Insurance Payment", "10/20/2025", "", "", "(168.00)"],
        ["", "", "", "Total", "=SUM(E2:E4)", "=SUM(F2:F4)"]])
    claim_file = claims.read_claim_file(path)
    lines = pa.Table.from_batches(list(claim_file.batches)).to_pylist()
    assert [line["hcpcs"] for line in lines] == ["96365"]
    assert any(note.startswith("rows 3, 4, 5 left out") for note in claim_file.notes)


def test_a_reversed_charge_is_refused_quoting_its_units(tmp_path):
    path = write_csv(tmp_path / "reversed.csv", [
        ["Claim #", "DOS", "CPT", "Units"], ["V1", "10/15/2025", "J3590", "(1.00)"],
        ["V1", "10/15/2025", "J3590", "-1"]])
    with pytest.raises(BadInput) as refused:
        lines_of(path)
    assert "row 2, field 'units': '(1.00)' is not a number of units (a negative" in str(
        refused.value)
    assert "row 3, field 'units': '-1' is not a number of units (a negative" in str(
        refused.value)


def test_every_sheet_with_claim_lines_is_read_and_bad_rows_named_by_sheet(tmp_path):
    book = Workbook()
    book.active.title = "Oct 1-15"
    book.active.append(["Claim #", "DOS", "CPT", "Units"])
    book.active.append(["H1", D(2025, 10, 15), "96365", 1])
    second = book.create_sheet("Oct 16-31")
    second.append(["Claim #", "DOS", "CPT", "Units"])
    second.append(["H2", D(2025, 10, 20), "96365", 1])
    path = tmp_path / "halves.xlsx"
    book.save(path)
    claim_file = claims.read_claim_file(path)
    lines = pa.Table.from_batches(list(claim_file.batches)).to_pylist()
    assert [(line["claim_id"], line["line_seq"], line["source_line"]) for line in lines] == [
        ("H1", 1, 2), ("H2", 2, 2)]
    assert "read the claim lines of sheets 'Oct 1-15', 'Oct 16-31'" in claim_file.notes
    second.append(["H2", "20/10/2025", "96365", 1])
    book.save(path)
    with pytest.raises(BadInput, match=r"halves.xlsx, sheet 'Oct 16-31', row 3, field "
                                       r"'date_of_service'"):
        lines_of(path)
