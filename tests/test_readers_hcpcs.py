"""HCPCS readers: fixed-width TXT, ANWEB workbook, NOC codes, transaction report, the zip."""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from dataclasses import replace
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

from cms_builders import (HcpcsCode, NocCode, build_hcpcs_zip, build_zip, hcpcs_member_name,
                          hcpcs_record, hcpcs_txt, hcpcs_xlsx, noc_codes_xlsx, sample_release,
                          transaction_report_txt)
from crosswalk import kinds, schema
from crosswalk.errors import BadInput
from crosswalk.readers import hcpcs
from crosswalk.readers.hcpcs import cross_check, read_hcpcs_txt
from crosswalk.settings import Settings
from crosswalk.source_kind import Rows
from xlsx_builders import with_stray_cell

KIND = kinds.get("hcpcs")
HCPCS_CODE_COLUMNS = schema.read_columns("hcpcs_codes")
RELEASE = sample_release("2025Q4")


# The readers as the kind declaration (crosswalk/kinds/hcpcs.py) drives them.
def read_hcpcs_xlsx(data: bytes, name: str) -> Rows:
    return hcpcs.read_hcpcs_xlsx(data, name, KIND.layouts["hcpcs_codes"])


def read_noc_codes(data: bytes, name: str) -> Rows:
    return hcpcs.read_noc_codes(data, name, KIND.layouts["noc_codes"])


def read_transactions(data: bytes, name: str) -> Rows:
    return hcpcs.read_transactions(data, name, KIND.layouts["hcpcs_transactions"])


def read_hcpcs_zip(path: Path):
    return KIND.read_zip(Path(path), Settings())
L6034 = next(code for code in RELEASE.codes if code.code == "L6034")


def by_code(read: Rows) -> dict[str, dict]:
    return {row["code"]: row for row in read.records()}


def by_key(read: Rows) -> dict[tuple[str, bool], dict]:
    """(code, is_modifier) -> the row: the key the TXT and the workbook are matched on."""
    return {(row["code"], row["is_modifier"]): row for row in read.records()}


def rows_of(read: Rows, codes: list[str]) -> list[dict]:
    """Every row of each code, codes in the order given (a code never read is a KeyError)."""
    found: dict[str, list[dict]] = {}
    for row in read.records():
        found.setdefault(row["code"], []).append(row)
    return [row for code in codes for row in found[code]]


def typed(read: Rows) -> dict[str, list[tuple[type, Any]]]:
    """Each value with its type, so a comparison also fails where only the types differ (1 and
    True, a datetime and a date), as DataFrame comparisons with their dtype check did."""
    return {column: [(type(value), value) for value in values]
            for column, values in read.columns.items()}


def modifier_counts(read: Rows) -> Counter:
    """is_modifier -> how many rows; each flag must be a real bool."""
    assert all(type(flag) is bool for flag in read["is_modifier"])
    return Counter(read["is_modifier"])


@lru_cache(maxsize=4)
def real_rows(path: Path) -> Rows:
    """A real ANWEB file read once per session (several tests look at the same one)."""
    reader = read_hcpcs_txt if path.suffix == ".txt" else read_hcpcs_xlsx
    return reader(path.read_bytes(), path.name)


def write_zip(tmp_path: Path, members: dict[str, bytes], name: str = "hcpcs.zip") -> Path:
    path = tmp_path / name
    path.write_bytes(build_zip(members))
    return path


# ---- fixed-width TXT --------------------------------------------------------------------------

def test_txt_gives_exactly_the_hcpcs_codes_columns():
    read = read_hcpcs_txt(hcpcs_txt(RELEASE.codes), "HCPC2025_OCT_ANWEB_v2.txt")
    assert read.names == HCPCS_CODE_COLUMNS
    assert len(read) == len(RELEASE.codes)
    assert modifier_counts(read)[True] == 2


def test_txt_fields_and_dates_come_from_their_positions():
    rows = by_code(read_hcpcs_txt(hcpcs_txt(RELEASE.codes), "x.txt"))
    q5120 = rows["Q5120"]
    assert q5120["long_description"] == (
        "Injection, pegfilgrastim-bmez (ziextenzo), biosimilar, 0.5 mg")
    assert q5120["short_description"] == "Inj pegfilgrastim-bmez 0.5mg"
    assert q5120["add_date"] == date(2020, 7, 1)
    assert q5120["action_eff_date"] == date(2023, 4, 1)
    assert q5120["term_date"] is None and q5120["action_cd"] == "N"
    assert (q5120["price_cd1"], q5120["multi_pi"], q5120["betos"]) == ("51", "A", "O1E")
    assert (q5120["tos1"], q5120["tos2"], q5120["asc_group"]) == ("1", "P", "YY")
    assert q5120["seq_num"] == "00100" and q5120["anest_bu"] == "0"
    c9088 = rows["C9088"]
    assert c9088["term_date"] == date(2025, 9, 30) and c9088["action_cd"] == "D"
    assert rows["JW"]["is_modifier"] and rows["JW"]["code"] == "JW"


def test_xrefs_are_read_as_successor_codes():
    ended = HcpcsCode("C9173", "Injection, interim code, 1 mg", add_date=date(2024, 7, 1),
                      term_date=date(2025, 6, 30), xrefs=("Q5148", "", "J9999"), action_cd="D")
    row = by_code(read_hcpcs_txt(hcpcs_txt([ended]), "x.txt"))["C9173"]
    assert (row["xref1"], row["xref2"], row["xref3"]) == ("Q5148", None, "J9999")


def test_continuation_records_fold_into_the_full_description():
    rows = by_code(read_hcpcs_txt(hcpcs_txt(RELEASE.codes), "x.txt"))
    assert rows["L6034"]["long_description"] == L6034.long_description
    assert rows["JG"]["long_description"].endswith("reportable for informational purposes")


def test_mid_word_splits_are_joined_without_a_space():
    text = hcpcs_txt([L6034], wrap="hard").decode("cp1252")
    first, second = text.split("\r\n")[:2]
    assert first[11:91].endswith("thumb, am") and second[11:].startswith("putation")
    assert by_code(read_hcpcs_txt(text.encode("cp1252"), "x.txt"))["L6034"][
        "long_description"] == L6034.long_description


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789(),/-", min_size=1, max_size=14)


@hypothesis_settings(max_examples=15, deadline=None)
@given(words=st.lists(_WORD, min_size=1, max_size=60), wrap=st.sampled_from(["word", "hard"]))
def test_any_description_survives_the_round_trip(words, wrap):
    description = " ".join(words)
    code = HcpcsCode("J9999", description, "x", add_date=date(2025, 1, 1))
    read = read_hcpcs_txt(hcpcs_txt([code], wrap=wrap), "x.txt")
    assert read["long_description"][0] == description


def test_disclaimer_lines_are_skipped_and_noted_lf_line_ends_tolerated(tmp_path):
    data = hcpcs_txt(RELEASE.codes, disclaimer=True, line_end="\n")
    assert len(read_hcpcs_txt(data, "x.txt")) == len(RELEASE.codes)
    path = write_zip(tmp_path, {"HCPC2020_ANWEB_w_disclaimer.txt": data})
    release = read_hcpcs_zip(path)
    assert release.members["hcpcs_codes"] == "HCPC2020_ANWEB_w_disclaimer.txt"
    assert any("skipped 3 non-record line(s) before the first record (lines 1-4" in note
               for note in release.notes)


def test_windows_1252_descriptions_are_decoded():
    code = HcpcsCode("J3590", "Unclassified biologics \u2013 caf\u00e9", add_date=date(2003, 1, 1))
    data = hcpcs_txt([code])
    assert b"\x96" in data and b"\xe9" in data
    assert read_hcpcs_txt(data, "x.txt")["long_description"][0].endswith("\u2013 caf\u00e9")


def test_zero_and_blank_dates_are_null():
    code = HcpcsCode("J3490", "Unclassified drugs", add_date="19970101",
                     action_eff_date="00000000", term_date=None)
    row = next(read_hcpcs_txt(hcpcs_txt([code]), "x.txt").records())
    assert row["add_date"] == date(1997, 1, 1)
    assert row["action_eff_date"] is None and row["term_date"] is None


def test_an_invalid_date_names_file_line_and_field():
    codes = [RELEASE.codes[0], replace(RELEASE.codes[5], term_date="20251340")]
    with pytest.raises(BadInput) as caught:
        read_hcpcs_txt(hcpcs_txt(codes), "HCPC2025_OCT_ANWEB_v2.txt")
    error = caught.value
    assert (error.file, error.field) == ("HCPC2025_OCT_ANWEB_v2.txt", "term_date")
    assert error.row == 2
    assert "20251340" in str(error)


def test_a_code_printed_twice_names_both_lines():
    j3590 = next(code for code in RELEASE.codes if code.code == "J3590")
    with pytest.raises(BadInput) as caught:
        read_hcpcs_txt(hcpcs_txt([j3590, replace(j3590, short_description="again")]), "x.txt")
    assert "J3590" in str(caught.value) and "lines 1 and 2" in str(caught.value)


def test_a_continuation_without_its_first_record_is_refused():
    lines = [hcpcs_record("J3590", 100, 3, "Unclassified biologics", add_date="20030101"),
             hcpcs_record("J9999", 200, 4, "stray continuation")]
    with pytest.raises(BadInput) as caught:
        read_hcpcs_txt(("\r\n".join(lines) + "\r\n").encode("cp1252"), "x.txt")
    assert caught.value.row == 2 and caught.value.field == "RECID"


def test_a_garbled_line_between_records_is_refused_not_dropped():
    data = hcpcs_txt(RELEASE.codes).decode("cp1252").split("\r\n")
    data[3] = " " + data[3]  # shifted one column: the code would silently vanish
    with pytest.raises(BadInput) as caught:
        read_hcpcs_txt("\r\n".join(data).encode("cp1252"), "x.txt")
    assert caught.value.row == 4 and caught.value.field == "record"


def test_a_file_without_records_is_refused():
    with pytest.raises(BadInput, match="no HCPCS records"):
        read_hcpcs_txt(b"HCPCS,Description\r\nJ3590,Unclassified biologics\r\n", "x.txt")


def test_bytes_that_are_not_windows_1252_are_refused():
    good = hcpcs_txt(RELEASE.codes[:2], trailing_blank=False)
    with pytest.raises(BadInput) as caught:
        read_hcpcs_txt(good + b"\x81\x8d\r\n", "x.txt")
    assert caught.value.field == "encoding" and caught.value.row == 3


# ---- ANWEB workbook ---------------------------------------------------------------------------

def test_workbook_reads_the_same_rows_as_the_txt():
    from_txt = read_hcpcs_txt(hcpcs_txt(RELEASE.codes), "x.txt")
    from_xlsx = read_hcpcs_xlsx(hcpcs_xlsx(RELEASE.codes), "x.xlsx")
    assert from_xlsx.names == from_txt.names
    assert from_xlsx.columns == from_txt.columns


def test_workbook_header_lower_down_with_drifted_names_none_cells_and_integer_dates():
    renamed = {"ACT EFF DT": "ACT_EFF_DT", "LONG DESCRIPTION": "LONG_DESCRIPTION", "HCPC": "HCPCS"}
    data = hcpcs_xlsx(RELEASE.codes, header_row=11, rename=renamed, blank=None,
                      integer_dates=["L6034", "C9088"])
    rows = by_code(read_hcpcs_xlsx(data, "HCPC2020_ANWEB_w_disclaimer.xlsx"))
    assert rows["L6034"]["add_date"] == date(2025, 10, 1)
    assert rows["C9088"]["term_date"] == date(2025, 9, 30)
    assert rows["Q5120"]["action_eff_date"] == date(2023, 4, 1)
    assert rows["L6034"]["long_description"] == L6034.long_description
    assert rows["J3590"]["xref1"] is None and rows["JG"]["is_modifier"]


@pytest.mark.parametrize(("stray", "shape"), [
    ("XFD1048576", "1,048,576 rows x 16,384 columns (17,179,869,184 cells)"),
    ("A1048576", "1,048,576 rows x 48 columns (50,331,648 cells)")])
def test_a_workbook_with_a_far_stray_value_is_refused_naming_file_sheet_and_cell(stray, shape):
    """calamine would allocate 512 GiB (the process aborts) or 2.3 GB for these."""
    data = with_stray_cell(hcpcs_xlsx(RELEASE.codes), stray)
    with pytest.raises(BadInput) as caught:
        read_hcpcs_xlsx(data, "HCPC2025_OCT_ANWEB_v3.xlsx")
    assert str(caught.value).startswith(
        f"HCPC2025_OCT_ANWEB_v3.xlsx, sheet 'HCPC_ANWEB', cell {stray}: a value at {stray} "
        f"stretches the sheet to {shape}")
    assert (caught.value.sheet, caught.value.cell, caught.value.row) == (
        "HCPC_ANWEB", stray, 1_048_576)


def test_a_stray_value_near_the_table_is_read_as_before():
    data = with_stray_cell(hcpcs_xlsx(RELEASE.codes), "BZ90")
    near = read_hcpcs_xlsx(data, "x.xlsx")
    clean = read_hcpcs_xlsx(hcpcs_xlsx(RELEASE.codes), "x.xlsx")
    assert near.names == clean.names and typed(near) == typed(clean)


def test_a_hostile_workbook_beside_the_txt_only_skips_the_cross_check(tmp_path):
    path = write_zip(tmp_path, {
        hcpcs_member_name("2025Q4", "v3"): hcpcs_txt(RELEASE.codes),
        hcpcs_member_name("2025Q4", "v3", ".xlsx"): with_stray_cell(hcpcs_xlsx(RELEASE.codes),
                                                                    "XFD1048576")})
    release = read_hcpcs_zip(path)
    assert len(release.rows("hcpcs_codes")) == len(read_hcpcs_txt(hcpcs_txt(RELEASE.codes),
                                                                  "x.txt"))
    assert any(note.startswith("cross-check skipped, workbook unreadable: hcpcs.zip!"
                               "HCPC2025_OCT_ANWEB_v3.xlsx, sheet 'HCPC_ANWEB', cell XFD1048576")
               for note in release.notes), release.notes


def test_workbook_without_a_required_column_names_it():
    data = hcpcs_xlsx(RELEASE.codes, rename={"TERM DT": "END"})
    with pytest.raises(BadInput) as caught:
        read_hcpcs_xlsx(data, "z.zip!x.xlsx")
    assert (caught.value.file, caught.value.row, caught.value.field) == (
        "z.zip!x.xlsx", 1, "term_date")
    assert "renamed or removed" in str(caught.value)


def test_workbook_bad_date_names_the_sheet_row():
    codes = [replace(code, add_date="2025-10-01") if code.code == "J9312" else code
             for code in RELEASE.codes]
    with pytest.raises(BadInput) as caught:
        read_hcpcs_xlsx(hcpcs_xlsx(codes), "x.xlsx")
    assert caught.value.field == "add_date"
    assert caught.value.row == 2 + [c.code for c in sorted(
        codes, key=lambda c: (not c.is_modifier, c.code))].index("J9312")


def test_cross_check_reports_date_and_count_differences_as_notes():
    txt = read_hcpcs_txt(hcpcs_txt(RELEASE.codes), "a.txt")
    changed = [replace(code, action_eff_date=None) if code.code in ("J2329", "Q5120") else code
               for code in RELEASE.codes if code.code != "J7999"]
    notes = cross_check(txt, read_hcpcs_xlsx(hcpcs_xlsx(changed), "a.xlsx"), "a.txt", "a.xlsx")
    assert any("a.txt has 15, a.xlsx has 14" in note for note in notes)
    assert any("1 code(s) only in a.txt: J7999" in note for note in notes)
    assert any(note.startswith("action_eff_date: 2 code(s) differ") and "J2329, Q5120" in note
               for note in notes)
    assert not any(note.startswith(("add_date", "term_date")) for note in notes)


# ---- NOC codes and transactions ---------------------------------------------------------------

def test_noc_codes_fold_wrapped_rows():
    rows = [NocCode("J3590", "Unclassified biologics", 20030101),
            NocCode("J7192", "Factor viii (antihemophilic factor, recombinant) per i.u., not "
                    "otherwise specified", 19940101),
            NocCode("J9999", "Not otherwise classified, antineoplastic drugs", 19900101)]
    read = read_noc_codes(noc_codes_xlsx("2025Q3", rows), "NOC codes_JUL2025.xlsx")
    assert list(read.names) == ["code", "long_description", "add_date", "term_date"]
    assert list(read["code"]) == ["J3590", "J7192", "J9999"]
    assert read["long_description"][1] == rows[1].long_description
    assert read["add_date"][1] == date(1994, 1, 1)


def test_a_noc_codes_workbook_without_rows_is_refused_by_name_and_row():
    with pytest.raises(BadInput, match=r"NOC codes_OCT2025.xlsx, row 3: no NOC codes"):
        read_noc_codes(noc_codes_xlsx("2025Q4", []), "NOC codes_OCT2025.xlsx")


def test_transaction_report_txt():
    data = transaction_report_txt([("L6034", "Add"), ("C9088", "Discontinued"),
                                   ("JW", "No change")])
    read = read_transactions(data, "t.txt")
    assert list(read.records())[:2] == [{"code": "L6034", "change_type": "Add"},
                                            {"code": "C9088", "change_type": "Discontinued"}]


# ---- the zip ----------------------------------------------------------------------------------

def test_zip_with_txt_and_workbook_reads_txt_and_cross_checks(tmp_path):
    path = tmp_path / "october-2025-alpha-numeric-hcpcs-file.zip"
    path.write_bytes(build_hcpcs_zip("2025Q4", RELEASE.codes, version="v3",
                                     transactions=[("L6034", "Add")]))
    release = read_hcpcs_zip(path)
    assert release.members["hcpcs_codes"] == "HCPC2025_OCT_ANWEB_v3.txt"
    assert release.members == {"hcpcs_codes": "HCPC2025_OCT_ANWEB_v3.txt",
                               "noc_codes": "NOC codes_OCT2025.xlsx",
                               "hcpcs_transactions": "HCPC2025_OCT_Transreport_ANWEB_v3.txt"}
    assert release.notes == []
    assert len(release.rows("hcpcs_codes")) == 15 and len(release.rows("noc_codes")) == 5
    assert list(release.rows("hcpcs_transactions").records()) == [
        {"code": "L6034", "change_type": "Add"}]


def test_zip_with_only_a_workbook_still_loads(tmp_path):
    path = tmp_path / "h.zip"
    path.write_bytes(build_hcpcs_zip("2024Q2", sample_release("2024Q2").codes, version="v5",
                                     with_txt=False, with_noc=False))
    release = read_hcpcs_zip(path)
    assert release.members["hcpcs_codes"] == "HCPC2024_APR_ANWEB_v5.xlsx"
    assert release.rows("noc_codes") is None
    assert "J2329" in set(release.rows("hcpcs_codes")["code"])


@pytest.mark.parametrize("name", ["HCPC2025_JAN_ANWEB_12172024.txt", "HCPC2016_CONTR_ANWEB.txt",
                                  "HCPC2015_CONTR_ANWEB_v2.txt", "HCPC2020_ANWEB_w_disclaimer.txt",
                                  "HCPC2026_APR_ANWEB.TXT"])
def test_member_names_as_cms_spelled_them(tmp_path, name):
    companions = {"HCPC2025_recordlayout.txt": b"layout", "proc_notes_JAN2025.txt": b"notes",
                  "HCPC2025_JAN_Corrections.xlsx": b"x", "NOC codes_APR 2024.xlsx":
                  noc_codes_xlsx("2024Q2", [NocCode("J3590", "Unclassified biologics", 20030101)])}
    path = write_zip(tmp_path, {**companions, name: hcpcs_txt(RELEASE.codes)})
    release = read_hcpcs_zip(path)
    assert release.members["hcpcs_codes"] == name
    assert release.members["noc_codes"] == "NOC codes_APR 2024.xlsx"


def test_the_newest_version_wins_and_the_choice_is_noted(tmp_path):
    old = [code for code in RELEASE.codes if code.code != "L6034"]
    path = write_zip(tmp_path, {hcpcs_member_name("2025Q4", "v2"): hcpcs_txt(old),
                                hcpcs_member_name("2025Q4", "v3"): hcpcs_txt(RELEASE.codes)})
    release = read_hcpcs_zip(path)
    assert release.members["hcpcs_codes"].endswith("_v3.txt")
    assert "L6034" in set(release.rows("hcpcs_codes")["code"])
    assert any("chose 'HCPC2025_OCT_ANWEB_v3.txt'" in note for note in release.notes)


def test_zip_without_an_anweb_member_lists_what_it_has(tmp_path):
    path = write_zip(tmp_path, {"HCPC2025_recordlayout.txt": b"x", "readme.txt": b"y"})
    with pytest.raises(BadInput) as caught:
        read_hcpcs_zip(path)
    assert caught.value.file == "hcpcs.zip" and "HCPC2025_recordlayout.txt" in str(caught.value)


def test_error_inside_the_zip_names_zip_and_member(tmp_path):
    bad = [replace(RELEASE.codes[0], add_date="2003XX01")]
    path = write_zip(tmp_path, {"HCPC2025_OCT_ANWEB_v2.txt": hcpcs_txt(bad)}, "oct.zip")
    with pytest.raises(BadInput) as caught:
        read_hcpcs_zip(path)
    assert caught.value.file == "oct.zip!HCPC2025_OCT_ANWEB_v2.txt"


def test_an_unreadable_workbook_only_skips_the_cross_check(tmp_path):
    path = write_zip(tmp_path, {"HCPC2025_OCT_ANWEB_v2.txt": hcpcs_txt(RELEASE.codes),
                                "HCPC2025_OCT_ANWEB_v2.xlsx": b"PK\x03\x04 truncated"})
    release = read_hcpcs_zip(path)
    assert len(release.rows("hcpcs_codes")) == 15
    assert any(note.startswith("cross-check skipped") for note in release.notes)


def test_an_unreadable_transaction_report_is_a_note(tmp_path):
    path = write_zip(tmp_path, {"HCPC2026_APR_ANWEB.txt": hcpcs_txt(RELEASE.codes),
                                "HCPC2026_APR_ANWEB_Transaction Report.xlsx":
                                    hcpcs_xlsx(RELEASE.codes)})
    release = read_hcpcs_zip(path)
    assert release.rows("hcpcs_transactions") is None
    assert "hcpcs_transactions" not in release.members
    assert any(note.startswith("transaction report skipped") for note in release.notes)


def test_zip_slip_members_are_refused_before_reading(tmp_path):
    path = tmp_path / "evil.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../HCPC2025_OCT_ANWEB_v2.txt", hcpcs_txt(RELEASE.codes))
    path.write_bytes(buffer.getvalue())
    with pytest.raises(BadInput, match="zip-slip"):
        read_hcpcs_zip(path)


# ---- the real CMS files -----------------------------------------------------------------------

@pytest.mark.real_samples
def test_real_2016_txt(cms_samples):
    path = cms_samples / "hcpcs" / "2016-annual" / "HCPC2016_CONTR_ANWEB.txt"
    raw = path.read_bytes()
    recids = Counter(line[10:11] for line in raw.split(b"\r\n") if len(line) > 11)
    assert recids == {b"3": 5956, b"4": 3906, b"7": 337, b"8": 117}
    read = real_rows(path)
    assert modifier_counts(read) == {False: 5956, True: 337}
    rows = by_code(read)
    assert rows["J3590"]["long_description"] == "Unclassified biologics"
    assert rows["J3590"]["add_date"] == date(2003, 1, 1)
    assert rows["A4221"]["long_description"] == (
        "Supplies for maintenance of drug infusion catheter, per week (list drug separately)")
    assert rows["A0021"]["xref1"] == "A0030" and rows["A0021"]["coverage"] == "I"


@pytest.mark.real_samples
def test_real_2016_workbook_matches_txt_but_for_115_action_dates(cms_samples):
    folder = cms_samples / "hcpcs" / "2016-annual"
    txt = real_rows(folder / "HCPC2016_CONTR_ANWEB.txt")
    xlsx = real_rows(folder / "HCPC2016_CONTR_ANWEB.xlsx")
    notes = cross_check(txt, xlsx, "t", "x")
    assert len(notes) == 1 and notes[0].startswith("action_eff_date: 115 code(s) differ")
    txt_rows, xlsx_rows = by_key(txt), by_key(xlsx)
    both = txt_rows.keys() & xlsx_rows.keys()
    other = [column for column in HCPCS_CODE_COLUMNS[2:] if column != "action_eff_date"]
    differing = {column: {key[0] for key in both
                          if txt_rows[key][column] != xlsx_rows[key][column]}
                 for column in other}
    # The workbook keeps 4 double spaces that the TXT's word-wrap turned into line breaks.
    assert {column: codes for column, codes in differing.items() if codes} == {
        "long_description": {"G0417", "G0418", "G0419", "G9460"}}


@pytest.mark.real_samples
def test_real_2016_zip_with_transaction_reports(cms_samples, tmp_path):
    folder = cms_samples / "hcpcs" / "2016-annual"
    path = write_zip(tmp_path, {file.name: file.read_bytes() for file in sorted(folder.iterdir())},
                     "2016-Annual-Alpha-Numeric-HCPCS-File.zip")
    release = read_hcpcs_zip(path)
    assert release.members["hcpcs_codes"] == "HCPC2016_CONTR_ANWEB.txt"
    assert release.members["hcpcs_transactions"] == "HCPC2016_TransactionReport_Alpha.xlsx"
    assert any("115 code(s) differ" in note for note in release.notes)
    changes = Counter(release.rows("hcpcs_transactions")["change_type"])
    assert len(release.rows("hcpcs_transactions")) == 6292 and changes["No change"] == 5893
    assert changes["Add"] == 236 and changes["Discontinued"] == 88
    # The report lists every code but one: modifier DA is in the ANWEB file only.
    assert set(release.rows("hcpcs_codes")["code"]) - set(
        release.rows("hcpcs_transactions")["code"]) == {"DA"}
    txt_report = read_transactions(
        (folder / "HCPC2016_TransReport_Changes_by_HCPCS_Code.txt").read_bytes(), "t.txt")
    from_workbook = release.rows("hcpcs_transactions")
    assert txt_report.names == from_workbook.names and typed(txt_report) == typed(from_workbook)


@pytest.mark.real_samples
def test_real_oct_2025_workbook(cms_samples):
    read = real_rows(cms_samples / "hcpcs" / "HCPC2025_OCT_ANWEB.xlsx")
    assert modifier_counts(read) == {False: 8463, True: 383}
    rows = by_code(read)
    assert rows["Q5120"]["add_date"] == date(2020, 7, 1)
    assert rows["Q5120"]["action_eff_date"] == date(2023, 4, 1)
    assert rows["J3590"]["long_description"] == "Unclassified biologics"
    assert rows["C9088"]["term_date"] == date(2025, 9, 30)  # an integer cell
    assert rows["L6034"]["add_date"] == date(2025, 10, 1)   # integer cells
    assert rows["E0716"]["term_date"] is None                # a None cell
    assert Counter(read["action_cd"]) == {
        "N": 8747, "A": 76, "C": 10, "D": 7, "P": 2, "B": 2, "R": 1, "S": 1}
    assert sum(day is not None for day in read["term_date"]) == 1225
    assert max(len(text) for text in read["long_description"] if text is not None) == 4501


@pytest.mark.real_samples
def test_real_2022_excerpt_with_lf_line_ends(cms_samples):
    path = cms_samples / "hcpcs" / "HCPC2022_OCT_ANWEB.first6records.txt"
    read = read_hcpcs_txt(path.read_bytes(), path.name)
    assert list(read["code"]) == ["A1", "A2", "A3", "A4", "A5", "A6"]
    assert all(read["is_modifier"])
    assert read["long_description"][0] == "Dressing for one wound"


@pytest.mark.real_samples
def test_real_noc_codes_workbook(cms_samples):
    path = cms_samples / "hcpcs" / "NOC codes_JUL2025.xlsx"
    read = read_noc_codes(path.read_bytes(), path.name)
    assert len(read) == 163  # 165 data rows, 2 of them wrapped descriptions
    rows = by_code(read)
    assert rows["J7192"]["long_description"] == (
        "Factor viii (antihemophilic factor, recombinant) per i.u., not otherwise specified")
    assert rows["J7195"]["long_description"].endswith("per iu, not otherwise specified")
    assert rows["J3590"]["add_date"] == date(2003, 1, 1)
    assert {"J3490", "J3590", "J9999", "C9399", "J7999"} <= set(read["code"])


@pytest.mark.real_samples
def test_real_oct_2025_workbook_with_a_value_at_xfd1048576_is_refused(cms_samples):
    data = (cms_samples / "hcpcs" / "HCPC2025_OCT_ANWEB.xlsx").read_bytes()
    with pytest.raises(BadInput) as caught:
        read_hcpcs_xlsx(with_stray_cell(data, "XFD1048576"), "HCPC2025_OCT_ANWEB_v3.xlsx")
    assert str(caught.value).startswith("HCPC2025_OCT_ANWEB_v3.xlsx, sheet 'HCPC2025_OCT_ANWEB'"
                                        ", cell XFD1048576: ")
    assert "around 424,654 cells holding data" in str(caught.value)


@pytest.mark.real_samples
def test_real_oct_2025_workbook_agrees_with_the_independent_drug_rows_extract(cms_samples):
    """The README's drug-rows CSV was cut from the same workbook by other means: every one of
    its 1,864 rows must read the same descriptions, dates and successor codes."""
    read = real_rows(cms_samples / "hcpcs" / "HCPC2025_OCT_ANWEB.xlsx")
    extract = pd.read_csv(cms_samples / "hcpcs" / "HCPC2025_OCT_ANWEB.drug-rows.csv", dtype=str,
                          keep_default_na=False)
    assert len(extract) == 1864
    ours = rows_of(read, list(extract["HCPC"].str.strip()))
    assert [row["long_description"] for row in ours] == list(
        extract["LONG DESCRIPTION"].str.strip())
    for column, source in (("add_date", "ADD DT"), ("action_eff_date", "ACT EFF DT"),
                           ("term_date", "TERM DT")):
        expected = [datetime.strptime(text, "%Y%m%d").date() if text else None
                    for text in extract[source]]
        assert [row[column] for row in ours] == expected
    assert [row["xref1"] if row["xref1"] is not None else "" for row in ours] == list(
        extract["XREF1"].str.strip())


@pytest.mark.real_samples
def test_real_trimmed_workbook_is_refused_naming_the_missing_columns(cms_samples):
    path = cms_samples / "hcpcs" / "HCPC2025_JUL_ANWEB_v3.TRIMMED-4cols.xlsx"
    with pytest.raises(BadInput) as caught:
        read_hcpcs_xlsx(path.read_bytes(), path.name)
    assert (caught.value.row, caught.value.field) == (1, "add_date")
    assert "term_date" in str(caught.value) and "action_cd" in str(caught.value)


# ---- found by a differential run against the pandas readers (31fa77d) ---------------------

def _anweb_sheet(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    for row in [["HCPC", "SEQNUM", "RECID", "LONG DESCRIPTION", "ADD DT", "ACT EFF DT", "TERM DT",
                 "ACTION CD"]] + rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workbook_row_without_a_code_is_refused_naming_it():
    """A text row in the code table could hide a code: refused, naming the first such row
    (the pandas reader crashed here: IndexError, NaN keys never equal each other)."""
    data = _anweb_sheet([["J3590", "0010", "3", "Unclassified biologics", "20040101",
                          "20040101", None, "N"],
                         [None, None, None, "stray text one", None, None, None, None],
                         [None, None, None, "stray text two", None, None, None, None]])
    with pytest.raises(BadInput, match="row has no HCPCS code") as raised:
        read_hcpcs_xlsx(data, "anweb.xlsx")
    assert (raised.value.file, raised.value.row, raised.value.field) == ("anweb.xlsx", 3, "code")


def test_a_note_row_below_the_twin_workbook_does_not_stop_the_release(tmp_path):
    codes = [HcpcsCode("J3590", "Unclassified biologics", add_date=date(2004, 1, 1),
                       action_eff_date=date(2004, 1, 1)),
             HcpcsCode("J3490", "Unclassified drugs", add_date=date(2004, 1, 1),
                       action_eff_date=date(2004, 1, 1))]
    workbook = _anweb_sheet([["J3590", "0010", "3", "Unclassified biologics", "20040101",
                              "20040101", None, "N"],
                             ["J3490", "0010", "3", "Unclassified drugs", "20040101",
                              "20040101", None, "N"],
                             [None, None, None, "Note: CPT codes copyright AMA", None, None,
                              None, None]])
    path = write_zip(tmp_path, {hcpcs_member_name("2025Q1", "v2"): hcpcs_txt(codes),
                                hcpcs_member_name("2025Q1", "v2", ".xlsx"): workbook})
    release = read_hcpcs_zip(path)
    assert sorted(release.rows("hcpcs_codes")["code"]) == ["J3490", "J3590"]
    assert any("cross-check skipped" in note and "row has no HCPCS code" in note
               for note in release.notes)
