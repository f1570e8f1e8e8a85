"""The builders write what the real files look like: checked against the real samples' layout."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

from cms_builders import (HcpcsCode, asp_crosswalk_csv, asp_pricing_csv, build_hcpcs_zip,
                          hcpcs_record, hcpcs_txt, sample_release)


def test_record_fields_land_on_the_documented_positions(cms_samples):
    """Every field written by hcpcs_record sits where the real layout table says."""
    layout = {row["anweb_xlsx_column"]: row for row in csv.DictReader(
        (cms_samples / "hcpcs" / "HCPC_recordlayout.fields.csv").open())}
    record = hcpcs_record("J9312", 100, 3, "Injection, rituximab, 10 mg", "Inj rituximab 10 mg",
                          prices=("51",), xref=("Q5115",), coverage="C", betos="O1E",
                          tos=("1", "P"), anest_bu="  0", add_date=date(2019, 1, 1),
                          act_eff_date="20190101", term_date=None, action_cd="N")

    def at(column: str) -> str:
        spec = layout[column]
        return record[int(spec["begin"]) - 1:int(spec["end"])]

    assert len(record) == 320
    assert at("SEQNUM (XLSX shows 4 chars, e.g. \"0010\")") == "00100"
    assert at("RECID (XLSX only has 3 and 7)") == "3"
    assert at("PRICE1..PRICE4") == "51      "
    assert at("XREF1..XREF5").rstrip() == "Q5115"
    assert at("COV") == "C" and at("BETOS") == "O1E"
    assert at("ADD DT") == "20190101" and at("ACT EFF DT") == "20190101"
    assert at("TERM DT") == "        " and at("ACTION CD") == "N"


def test_real_record_is_rebuilt_byte_for_byte(cms_samples):
    """The first real 2022 record (modifier A1) comes out identical from the builder."""
    excerpt = cms_samples / "hcpcs" / "HCPC2022_OCT_ANWEB.first6records.txt"
    real = excerpt.read_text().splitlines()[0]
    built = hcpcs_record("A1", "00100", 7, "Dressing for one wound", "Dressing for one wound",
                         coverage="C", add_date=date(2002, 7, 1), act_eff_date=date(2002, 7, 1))
    assert built == real


def test_long_descriptions_continue_on_unpadded_records():
    code = HcpcsCode("L6034", "word " * 40, "Part hand")
    lines = hcpcs_txt([code]).split(b"\r\n")
    assert [len(line) for line in lines] == [320, 91, 91, 0, 0]
    assert [line[5:11] for line in lines[:3]] == [b"001003", b"002004", b"003004"]


def test_hcpcs_zip_has_real_member_names():
    built = build_hcpcs_zip("2025Q4", sample_release().codes)
    names = zipfile.ZipFile(io.BytesIO(built)).namelist()
    assert names == ["HCPC2025_OCT_ANWEB_v2.txt", "HCPC2025_OCT_ANWEB_v2.xlsx",
                     "NOC codes_OCT2025.xlsx", "HCPC2025_recordlayout.txt",
                     "proc_notes_OCT2025.txt"]


def test_asp_csvs_have_preamble_header_row_9_and_windows_1252():
    release = sample_release("2025Q4")
    pricing = asp_pricing_csv("2025Q4", release.pricing)
    rows = list(csv.reader(io.StringIO(pricing.decode("cp1252"), newline="")))
    assert rows[2][0] == "Effective October 1, 2025 through December 31, 2025"
    assert rows[8][0] == "HCPCS Code" and all(len(row) == 11 for row in rows)
    assert b"\r\n" in pricing and b"N/A" in pricing
    crosswalk = asp_crosswalk_csv("2024Q1", release.crosswalk, code_year=2023, pad_columns=240)
    rows = list(csv.reader(io.StringIO(crosswalk.decode("cp1252"), newline="")))
    assert rows[8][0] == "_2023_CODE" and {len(row) for row in rows} == {250}
    assert b"Briumvi\xa0" in crosswalk and b"Rituxan\xae" in crosswalk


def test_sample_release_follows_add_and_term_dates():
    before, after = sample_release("2025Q3"), sample_release("2025Q4")
    codes_before = {c.code: c for c in before.codes}
    codes_after = {c.code: c for c in after.codes}
    assert "L6034" not in codes_before and codes_after["L6034"].action_cd == "A"
    assert codes_before["C9088"].term_date is None
    assert codes_after["C9088"].term_date == date(2025, 9, 30)
    assert codes_after["C9088"].action_cd == "D"
    assert "J2329" not in {c.code for c in sample_release("2023Q3").codes}
