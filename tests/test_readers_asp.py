"""ASP readers: payment limits, NDC-HCPCS crosswalk, NOC pricing and crosswalk, the zips."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

from cms_builders import (AspPrice, CrosswalkRow, asp_crosswalk_csv, asp_crosswalk_xlsx,
                          asp_member_name, asp_pricing_csv, asp_pricing_xlsx,
                          build_asp_crosswalk_zip, build_asp_pricing_zip,
                          build_noc_crosswalk_zip, build_noc_pricing_zip, build_zip,
                          noc_crosswalk_csv, noc_pricing_csv, pricing_grid, sample_release)
from crosswalk import kinds, schema
from crosswalk.errors import BadInput
from crosswalk.ndc import normalize_ndc
from crosswalk.quarters import Quarter
from crosswalk.readers.asp import read_table
from crosswalk.readers.expected import check_expected
from crosswalk.settings import Settings
from crosswalk.source_kind import Rows
from xlsx_builders import with_stray_cell

PAYMENT_LIMIT_COLUMNS = schema.read_columns("asp_payment_limits")
NDC_CROSSWALK_COLUMNS = schema.read_columns("asp_ndc_crosswalk")
NOC_PRICING_COLUMNS = schema.read_columns("noc_pricing")
NOC_CROSSWALK_COLUMNS = schema.read_columns("noc_crosswalk")


def reader(kind: str):
    """The generic one-table reader driven by a kind's declaration (crosswalk/kinds/)."""
    return lambda data, name: read_table(data, name, kinds.get(kind)).rows


read_payment_limits = reader("asp_pricing")
read_ndc_crosswalk = reader("asp_crosswalk")
read_noc_pricing = reader("noc_pricing")
read_noc_crosswalk = reader("noc_crosswalk")


@dataclass(frozen=True)
class ZipRead:
    """A one-table kind's zip as the loader gets it, with the window read off its rows."""

    rows: Rows
    member: str
    notes: list[str]

    @property
    def effective_start(self) -> date | None:
        return self._day("effective_start")

    @property
    def effective_end(self) -> date | None:
        return self._day("effective_end")

    def _day(self, column: str) -> date | None:
        days = set(self.rows[column])
        assert len(days) == 1, days  # one window per file
        return days.pop()


def read_asp_zip(path: Path, kind: str) -> ZipRead:
    declared = kinds.get(kind)
    read = declared.read_zip(Path(path), Settings())
    rows = read.tables[declared.main_table]
    return ZipRead(rows.rows, rows.member, read.notes)


RELEASE = sample_release("2025Q4")
PRICING = asp_pricing_csv("2025Q4", RELEASE.pricing)
CROSSWALK = asp_crosswalk_csv("2025Q4", RELEASE.crosswalk, pad_columns=240)


def by_code(rows: Rows) -> dict[str, dict[str, Any]]:
    return {row["hcpcs_code"]: row for row in rows.records()}


def matching(rows: Rows, column: str, value: object) -> list[dict[str, Any]]:
    """The records whose `column` holds `value`, in file order."""
    return [row for row in rows.records() if row[column] == value]


def only(rows: Rows, column: str, value: object) -> dict[str, Any]:
    """The one record whose `column` holds `value` (a lookup on a unique key)."""
    found = matching(rows, column, value)
    assert len(found) == 1, (column, value, found)
    return found[0]


def first(rows: Rows, column: str, value: object) -> dict[str, Any]:
    """The first record whose `column` holds `value`."""
    found = matching(rows, column, value)
    assert found, (column, value)
    return found[0]


def head(rows: Rows, stop: int) -> Rows:
    """The rows up to `stop` (a slice bound: -1 drops the last)."""
    return Rows({name: values[:stop] for name, values in rows.columns.items()})


def typed(rows: Rows) -> dict[str, list[tuple[type, Any]]]:
    """Each value with its Python type, so two reads compare equal only when both agree."""
    return {name: [(type(value), value) for value in values]
            for name, values in rows.columns.items()}


# ---- payment limits ---------------------------------------------------------------------------

def test_payment_limits_columns_window_and_values():
    frame = read_payment_limits(PRICING, "p.csv")
    assert frame.names == PAYMENT_LIMIT_COLUMNS and len(frame) == len(RELEASE.pricing)
    rows = by_code(frame)
    assert rows["J2329"]["payment_limit"] == pytest.approx(66.512)
    assert rows["J2329"]["payment_limit_raw"] == "66.512" and rows["J2329"]["dosage"] == "1 MG"
    assert rows["Q5119"]["notes"] == "8% of reference add-on applied"
    assert rows["J9312"]["coinsurance_pct"] == "20.000" and rows["J9312"]["notes"] is None
    assert set(frame["effective_start"]) == {date(2025, 10, 1)}
    assert set(frame["effective_end"]) == {date(2025, 12, 31)}


def test_na_limit_is_null_with_the_raw_text_and_multiline_note_kept():
    a9606 = by_code(read_payment_limits(PRICING, "p.csv"))["A9606"]
    assert a9606["payment_limit"] is None and a9606["payment_limit_raw"] == "N/A"
    assert a9606["notes"] == "microCurie 100% AWP = $202.82\nmicroCurie 100% WAC = $169.02"


def test_extra_trailing_columns_and_an_off_cycle_window():
    data = asp_pricing_csv("2025Q1", RELEASE.pricing, extra_columns=2,
                           effective=(date(2025, 1, 15), date(2025, 3, 31)))
    frame = read_payment_limits(data, "p.csv")
    assert len(frame) == len(RELEASE.pricing)
    assert frame["effective_start"][0] == date(2025, 1, 15)


def test_header_found_by_content_when_the_preamble_grows():
    text = PRICING.decode("cp1252").replace("Payment Allowance Limits for Medicare Part B Drugs",
                                            "Payment Allowance Limits\r\nRevised,,\r\n", 1)
    frame = read_payment_limits(text.encode("cp1252"), "p.csv")
    assert len(frame) == len(RELEASE.pricing) and frame["hcpcs_code"][0] == "90371"


def test_trailing_spaces_and_nbsp_are_trimmed():
    rows = [AspPrice("J9312 ", "Inj rituximab 10 mg  ", "10 MG\u00a0", "94.270 ",
                     notes="Added January 2025 ")]
    row = next(read_payment_limits(asp_pricing_csv("2025Q1", rows), "p.csv").records())
    assert (row["hcpcs_code"], row["short_description"], row["dosage"]) == (
        "J9312", "Inj rituximab 10 mg", "10 MG")
    assert row["payment_limit"] == pytest.approx(94.27) and row["notes"] == "Added January 2025"


def test_a_missing_required_column_is_named():
    text = PRICING.decode("cp1252").replace("Payment Limit,", "Price,", 1)
    with pytest.raises(BadInput) as caught:
        read_payment_limits(text.encode("cp1252"), "z.zip!p.csv")
    assert (caught.value.file, caught.value.row, caught.value.field) == (
        "z.zip!p.csv", 9, "payment_limit_raw")
    assert "PAYMENT" in str(caught.value)


def test_a_renamed_optional_column_reads_as_null():
    text = PRICING.decode("cp1252").replace(",Notes", ",Remarks", 1)
    frame = read_payment_limits(text.encode("cp1252"), "p.csv")
    assert all(note is None for note in frame["notes"])


def test_a_file_with_no_header_names_the_problem():
    with pytest.raises(BadInput) as caught:
        read_payment_limits(b"a,b,c\r\n1,2,3\r\n", "p.csv")
    assert caught.value.field == "header" and "asp_payment_limits" in str(caught.value)


def test_a_bad_limit_names_line_and_field():
    rows = list(RELEASE.pricing) + [AspPrice("J9999", "Chemo", "1 MG", "12,5x")]
    with pytest.raises(BadInput) as caught:
        read_payment_limits(asp_pricing_csv("2025Q4", rows), "p.csv")
    # 9 header lines, 8 rows of which one note spans 2 lines: the new row starts on line 19
    assert (caught.value.row, caught.value.field) == (19, "payment_limit_raw")


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8"])
def test_only_cr_and_lf_end_a_line(encoding):
    """As in a file opened with newline="": a form feed or record separator (and in UTF-8,
    NEL or a line separator) inside a field is text, and the line numbers stay right."""
    odd = "\x0c\x1e" + ("\x85\u2028" if encoding == "utf-8" else "")
    rows = [AspPrice("J9312", "Rituximab~inj", "10 MG", "1.000", notes="see~note"),
            *RELEASE.pricing[:2], AspPrice("J9999", "Chemo", "1 MG", "12,5x")]
    data = asp_pricing_csv("2025Q4", rows).decode("cp1252").replace("~", odd).encode(encoding)
    frame = read_payment_limits(data.replace(b"12,5x", b"12.5"), "p.csv")
    assert len(frame) == 4 and frame["notes"][0] == f"see{odd}note"
    assert frame["short_description"][0] == f"Rituximab{odd}inj"
    with pytest.raises(BadInput) as caught:
        read_payment_limits(data, "p.csv")
    assert (caught.value.row, caught.value.field) == (14, "payment_limit_raw")


def test_a_code_listed_twice_names_both_lines():
    rows = list(RELEASE.pricing[:3]) + [RELEASE.pricing[0]]
    with pytest.raises(BadInput) as caught:
        read_payment_limits(asp_pricing_csv("2025Q4", rows), "p.csv")
    assert "90371 appears twice (lines 10 and 14)" in str(caught.value)


def test_a_footnote_row_is_not_taken_for_a_code():
    text = PRICING.decode("cp1252") + "Source: CMS,,,,,,,,,,\r\n"
    with pytest.raises(BadInput) as caught:
        read_payment_limits(text.encode("cp1252"), "p.csv")
    assert caught.value.field == "hcpcs_code" and "Source: CMS" in str(caught.value)


@pytest.mark.parametrize("printed", ["J35\ufb00", "J\u0663590", "J3590\u200b"])
def test_a_code_is_five_ascii_letters_or_digits_as_printed(printed: str):
    """'J35\ufb00' upper-cases to 'J35FF' and Arabic-Indic digits are digits to Python: a code
    is what CMS prints, five ASCII capitals or digits, never what upper-casing makes of it."""
    text = PRICING.decode("cp1252").replace("90371", printed, 1)
    with pytest.raises(BadInput, match="is not a HCPCS code") as caught:
        read_payment_limits(text.encode("utf-8"), "p.csv")
    assert (caught.value.row, caught.value.field) == (10, "hcpcs_code")


def test_wrong_encodings_are_refused():
    with pytest.raises(BadInput, match="UTF-16"):
        read_payment_limits(PRICING.decode("cp1252").encode("utf-16"), "p.csv")
    with pytest.raises(BadInput) as caught:
        read_payment_limits(PRICING + b"J9999,\x81,1 MG,1.000\r\n", "p.csv")
    assert caught.value.field == "encoding" and caught.value.row == 19


def test_utf8_text_is_accepted():
    frame = read_payment_limits(PRICING.decode("cp1252").encode("utf-8"), "p.csv")
    assert len(frame) == len(RELEASE.pricing)


def test_workbook_twin_reads_like_the_csv():
    from_csv = read_payment_limits(PRICING, "p.csv")
    from_xlsx = read_payment_limits(asp_pricing_xlsx("2025Q4", RELEASE.pricing), "p.xlsx")
    assert typed(from_xlsx) == typed(from_csv)


def test_a_pricing_workbook_with_a_far_stray_value_is_refused_naming_the_cell():
    data = with_stray_cell(asp_pricing_xlsx("2025Q4", RELEASE.pricing), "XFD1048576")
    with pytest.raises(BadInput) as caught:
        read_payment_limits(data, "asp.zip!Oct 2025 ASP Pricing File.xlsx")
    assert (caught.value.file, caught.value.cell) == ("asp.zip!Oct 2025 ASP Pricing File.xlsx",
                                                      "XFD1048576")


# ---- NDC-HCPCS crosswalk ----------------------------------------------------------------------

def test_crosswalk_columns_lines_and_padding():
    frame = read_ndc_crosswalk(CROSSWALK, "c.csv")
    assert frame.names == NDC_CROSSWALK_COLUMNS
    assert list(frame["line_no"]) == list(range(10, 10 + len(RELEASE.crosswalk)))
    assert set(frame["effective_end"]) == {date(2025, 12, 31)}


def test_crosswalk_ndc_forms_and_alternate_ids():
    frame = read_ndc_crosswalk(CROSSWALK, "c.csv")
    assert only(frame, "ndc_raw", "73150-0150-06")["ndc11"] == "73150015006"
    assert only(frame, "ndc_raw", "0069-0238-01")["ndc11"] == "00069023801"  # 4-4-2: its zero
    assert only(frame, "ndc_raw", "GG100")["ndc11"] is None                 # skin substitute ID
    assert only(frame, "ndc_raw", "350242005121")["ndc11"] is None          # a 12-digit UPC
    assert only(frame, "ndc_raw", "73150-0150-06")["bill_units"] == 150.0


def test_crosswalk_drug_names_lose_marks_nbsp_and_trailing_spaces():
    frame = read_ndc_crosswalk(CROSSWALK, "c.csv")
    names = dict(zip(frame["ndc_raw"], frame["drug_name"]))
    assert names["73150-0150-06"] == "Briumvi"        # was 'Briumvi\xa0'
    assert names["50242-0051-21"] == "Rituxan"        # was 'Rituxan(R) '
    assert names["0069-0238-01"] == "Ruxience"        # was 'Ruxience(TM)'


def test_crosswalk_code_column_year_may_lag_and_one_ndc_maps_to_two_codes():
    rows = list(RELEASE.crosswalk) + [CrosswalkRow(
        "J9999", "Chemotherapy drug", "Genentech, Inc.", "50242-0051-21", "Rituxan", "10 MG")]
    frame = read_ndc_crosswalk(asp_crosswalk_csv("2024Q1", rows, code_year=2023), "c.csv")
    assert {row["hcpcs_code"] for row in matching(frame, "ndc11", "50242005121")} == {
        "J9312", "J9999"}


def test_crosswalk_line_numbers_follow_a_name_spanning_two_lines():
    rows = [CrosswalkRow("J1885", "Ketorolac inj", "Henry Schein Inc.", "00404-9998-01",
                         "Ketorolac Tromethamine\n", "15 MG"), RELEASE.crosswalk[0]]
    frame = read_ndc_crosswalk(asp_crosswalk_csv("2025Q4", rows), "c.csv")
    assert list(frame["line_no"]) == [10, 12]
    assert frame["drug_name"][0] == "Ketorolac Tromethamine"


def test_crosswalk_lost_character_in_an_amount_is_dropped_and_noted(tmp_path):
    rows = [CrosswalkRow("J7674", "Methacholine chloride, neb", "METHAPHARM INC",
                         "64281-0110-06", "Provocholine", "1 MG", 15, 6, "21.3125?", 127.875)]
    path = tmp_path / "c.zip"
    path.write_bytes(build_asp_crosswalk_zip("2024Q2", rows, posting="032124"))
    table = read_asp_zip(path, "asp_crosswalk")
    assert table.rows["bill_units"][0] == 21.3125
    assert table.notes and "line 10 '21.3125?'" in table.notes[0]


def test_crosswalk_bad_amount_names_line_and_field():
    rows = [RELEASE.crosswalk[0], CrosswalkRow("J9312", "x", "y", "50242-0051-21", "z", "1 MG",
                                               "ten")]
    with pytest.raises(BadInput) as caught:
        read_ndc_crosswalk(asp_crosswalk_csv("2025Q4", rows), "c.csv")
    assert (caught.value.row, caught.value.field) == (11, "pkg_size")


def test_crosswalk_workbook_twin():
    from_xlsx = read_ndc_crosswalk(asp_crosswalk_xlsx("2025Q4", RELEASE.crosswalk), "c.xlsx")
    from_csv = read_ndc_crosswalk(asp_crosswalk_csv("2025Q4", RELEASE.crosswalk), "c.csv")
    assert typed(from_xlsx) == typed(from_csv)


_DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=6)
_IDENTIFIER = st.one_of(
    st.tuples(_DIGITS, _DIGITS, _DIGITS).map("-".join),             # NDC-shaped or not
    st.text(alphabet="0123456789", min_size=10, max_size=14),        # bare digits, UPC, GTIN
    st.text(alphabet="ABCDEFGHXYZ0123456789-.", min_size=1, max_size=12))  # free-form IDs
_NAME = st.lists(st.sampled_from(["Briumvi", "RIABNI", "ruxience", "inj", "10mg", "\u00ae",
                                  "\u2122", "\u00a0", " "]), min_size=1, max_size=6).map("".join)


@hypothesis_settings(max_examples=30, deadline=None)
@given(identifiers=st.lists(_IDENTIFIER, min_size=1, max_size=8),
       names=st.lists(_NAME, min_size=8, max_size=8))
def test_any_identifier_and_drug_name(identifiers, names):
    rows = [CrosswalkRow("J9312", "x", "y", raw, names[i], "10 MG")
            for i, raw in enumerate(identifiers)]
    frame = read_ndc_crosswalk(asp_crosswalk_csv("2025Q4", rows), "c.csv")
    printed = [raw.strip() for raw in identifiers]
    assert list(frame["ndc_raw"]) == printed
    assert list(frame["ndc11"]) == [normalize_ndc(raw).ndc11 for raw in printed]
    for cleaned in filter(None, frame["drug_name"]):
        assert cleaned == cleaned.strip() and not set(cleaned) & {"\u00ae", "\u2122", "\u00a0"}
        assert "  " not in cleaned


# ---- NOC pricing and NOC crosswalk ------------------------------------------------------------

def test_noc_pricing():
    data = noc_pricing_csv("2023Q2", sample_release("2023Q2").noc_pricing)
    frame = read_noc_pricing(data, "n.csv")
    assert frame.names == NOC_PRICING_COLUMNS
    assert list(frame["line_no"]) == [14, 15]
    assert frame["drug_name"][0] == "Ublituximab-xiiy (Briumvi)"
    assert frame["payment_limit"][0] == pytest.approx(66.512)
    assert frame["payment_limit"][1] is None and frame["payment_limit_raw"][1] == "N/A"


def test_noc_crosswalk():
    frame = read_noc_crosswalk(noc_crosswalk_csv("2023Q2", sample_release("2023Q2").noc_crosswalk),
                               "n.csv")
    assert frame.names == NOC_CROSSWALK_COLUMNS
    assert list(frame["line_no"]) == [11, 12]
    assert list(frame["ndc11"]) == ["73150015006", "81457011801"]
    assert frame["generic_name"][0] == "Ublituximab-xiiy"


# ---- the zips ---------------------------------------------------------------------------------

def test_zip_prefers_the_508_csv_over_the_workbook(tmp_path):
    path = tmp_path / "october-2025-asp-pricing-final-file.zip"
    path.write_bytes(build_asp_pricing_zip("2025Q4", RELEASE.pricing, posting="091725",
                                           with_xlsx=True))
    table = read_asp_zip(path, "asp_pricing")
    assert table.member == "section 508 version of October 2025 ASP Pricing File 091725.csv"
    assert (table.effective_start, table.effective_end) == (date(2025, 10, 1), date(2025, 12, 31))
    assert len(table.rows) == len(RELEASE.pricing)
    assert any("October 2025 ASP Pricing File 091725.xlsx" in note for note in table.notes)


def test_zip_falls_back_to_the_workbook(tmp_path):
    path = tmp_path / "p.zip"
    path.write_bytes(build_zip({"Oct 2025 ASP Pricing File 091725.xlsx":
                                asp_pricing_xlsx("2025Q4", RELEASE.pricing)}))
    assert read_asp_zip(path, "asp_pricing").member.endswith(".xlsx")


def test_zip_member_with_cms_typo_and_crosswalk_zip_with_opps_twin(tmp_path):
    pricing = tmp_path / "p.zip"
    pricing.write_bytes(build_zip({"section 508 verision of JUL 2025 ASP Pricing File 062325.csv":
                                   asp_pricing_csv("2025Q3", RELEASE.pricing)}))
    assert "verision" in read_asp_zip(pricing, "asp_pricing").member
    crosswalk = tmp_path / "july-2026-ndc-hcpcs-crosswalk.zip"
    crosswalk.write_bytes(build_zip({
        "section 508 version of July 2026 OPPS NDC-HCPCS Crosswalk 061826.csv": b"not ours",
        asp_member_name("asp_crosswalk", "2026Q3", "061826"):
            asp_crosswalk_csv("2026Q3", RELEASE.crosswalk)}))
    assert read_asp_zip(crosswalk, "asp_crosswalk").member.startswith(
        "section 508 version of July 2026 ASP NDC-HCPCS")


def test_noc_zips(tmp_path):
    earlier = sample_release("2023Q2")
    (tmp_path / "np.zip").write_bytes(build_noc_pricing_zip("2023Q2", earlier.noc_pricing))
    (tmp_path / "nc.zip").write_bytes(build_noc_crosswalk_zip("2023Q2", earlier.noc_crosswalk))
    assert len(read_asp_zip(tmp_path / "np.zip", "noc_pricing").rows) == 2
    assert read_asp_zip(tmp_path / "nc.zip", "noc_crosswalk").effective_start == date(2023, 4, 1)


def test_a_file_without_an_effective_line_loads_with_a_note(tmp_path):
    grid = pricing_grid("2025Q4", RELEASE.pricing)
    grid[2] = ["Payment limits"]
    path = tmp_path / "p.zip"
    path.write_bytes(build_zip({"section 508 version of October 2025 ASP Pricing File 091725.csv":
                                "\r\n".join(",".join(f'"{c}"' for c in row) for row in grid)
                                .encode("cp1252")}))
    table = read_asp_zip(path, "asp_pricing")
    assert table.effective_start is None
    assert all(day is None for day in table.rows["effective_start"])
    assert any("no 'Effective <start> through <end>' line" in note for note in table.notes)


def test_zip_without_the_member_and_unknown_kind(tmp_path):
    path = tmp_path / "p.zip"
    path.write_bytes(build_asp_crosswalk_zip("2025Q4", RELEASE.crosswalk))
    with pytest.raises(BadInput) as caught:
        read_asp_zip(path, "asp_pricing")
    assert caught.value.file == "p.zip" and "Crosswalk" in str(caught.value)
    with pytest.raises(BadInput, match="unknown file kind 'asp'.*asp_pricing"):
        read_asp_zip(path, "asp")


def test_error_names_zip_and_member(tmp_path):
    path = tmp_path / "p.zip"
    rows = [AspPrice("J9312", "x", "10 MG", "abc")]
    path.write_bytes(build_asp_pricing_zip("2025Q4", rows, posting="091725"))
    with pytest.raises(BadInput) as caught:
        read_asp_zip(path, "asp_pricing")
    member = "section 508 version of October 2025 ASP Pricing File 091725.csv"
    assert caught.value.file == f"p.zip!{member}"
    assert (caught.value.row, caught.value.field) == (10, "payment_limit_raw")


# ---- the real CMS files -----------------------------------------------------------------------

REAL_PRICING = {  # file -> (rows, effective start), README section 1
    "section 508 version of January 2024 ASP Pricing File 121223.csv": (823, "2024Q1"),
    "section 508 version of April 2024 ASP Pricing File 032124.csv": (819, "2024Q2"),
    "section 508 version of Jul 2024 ASP Pricing File 062024.csv": (846, "2024Q3"),
    "section 508 version of Oct 2024 ASP Pricing File 091824.csv": (865, "2024Q4"),
    "section 508 version of Jan 2025 ASP Pricing File 121924.csv": (877, "2025Q1"),
    "section 508 version of APR 2025 ASP Pricing File 032725.csv": (942, "2025Q2"),
    "section 508 verision of JUL 2025 ASP Pricing File 062325.csv": (970, "2025Q3"),
    "section 508 version of Oct 2025 ASP Pricing File 091725.csv": (1012, "2025Q4"),
}
REAL_CROSSWALK = {  # file -> (rows, code column year)
    "section 508 version of January 2024 ASP NDC-HCPCS Crosswalk 122023.csv": (6684, 2023),
    "section 508 version of April 2024 ASP NDC-HCPCS Crosswalk 032124.csv": (6746, 2024),
    "section 508 version of July 2024 ASP NDC-HCPCS Crosswalk 061824.csv": (7171, 2024),
    "section 508 version of October 2024 ASP NDC-HCPCS Crosswalk 092724.csv": (7429, 2024),
    "section 508 version of January 2025 ASP NDC-HCPCS Crosswalk 122024.csv": (7172, 2025),
    "section 508 version of April 2025 ASP NDC-HCPCS Crosswalk 032625.csv": (7585, 2025),
    "section 508 version of July 2025 ASP NDC-HCPCS Crosswalk 062325.csv": (7873, 2025),
    "section 508 version of October 2025 ASP NDC-HCPCS Crosswalk 090525.csv": (8245, 2025),
}


@pytest.mark.real_samples
@pytest.mark.parametrize("name", sorted(REAL_PRICING))
def test_real_payment_limit_files(cms_samples: Path, name):
    data = (cms_samples / "asp" / "pricing" / name).read_bytes()
    rows, quarter = REAL_PRICING[name]
    frame = read_payment_limits(data, name)
    assert len(frame) == rows
    assert set(frame["effective_start"]) == {Quarter.parse(quarter).first_day}
    assert set(frame["effective_end"]) == {Quarter.parse(quarter).last_day}
    unpriced = matching(frame, "payment_limit", None)
    not_priced = {row["hcpcs_code"] for row in unpriced}
    expected = {"A9606", "J0739", "J0750", "J0751"} if "Oct 2024" in name else {"A9606"}
    assert not_priced == expected
    assert {row["payment_limit_raw"] for row in unpriced} == {"N/A"}
    assert "microCurie 100% AWP" in by_code(frame)["A9606"]["notes"]
    assert not set(frame["hcpcs_code"]) & {"J3590", "J3490", "J9999", "C9399", "J7999"}


@pytest.mark.real_samples
def test_real_payment_limit_notes(cms_samples: Path):
    name = "section 508 version of APR 2025 ASP Pricing File 032725.csv"
    data = (cms_samples / "asp" / "pricing" / name).read_bytes()
    notes = read_payment_limits(data, name)["notes"]
    assert "Added April 2025 - Inflation-adjusted coinsurance" in notes


@pytest.mark.real_samples
@pytest.mark.parametrize("name", sorted(REAL_CROSSWALK))
def test_real_crosswalk_files(cms_samples: Path, name):
    data = (cms_samples / "asp" / "crosswalk" / name).read_bytes()
    rows, year = REAL_CROSSWALK[name]
    assert f"_{year}_CODE,".encode() in data
    frame = read_ndc_crosswalk(data, name)
    assert len(frame) == rows
    lines = frame["line_no"]
    assert min(lines) == 10 and len(set(lines)) == len(lines)  # header on line 9
    pairs = list(zip(frame["ndc_raw"], frame["ndc11"]))
    assert all(ndc11 == raw.replace("-", "") for raw, ndc11 in pairs
               if re.fullmatch(r"\d{5}-\d{4}-\d{2}", raw))
    assert all(re.fullmatch(r"\d{11}", ndc11) for ndc11 in filter(None, frame["ndc11"]))
    assert all(ndc11 is None for raw, ndc11 in pairs
               if re.fullmatch(r"\d{12}|\d{14}|[A-Za-z].*", raw))
    assert not any(re.search("[\u00a0\u00ae\u2122]|\\s$", name)
                   for name in filter(None, frame["drug_name"]))


@pytest.mark.real_samples
def test_real_crosswalk_known_rows(cms_samples: Path):
    name = "section 508 version of October 2025 ASP NDC-HCPCS Crosswalk 090525.csv"
    frame = read_ndc_crosswalk((cms_samples / "asp" / "crosswalk" / name).read_bytes(), name)
    briumvi = first(frame, "ndc11", "73150015006")
    assert (briumvi["hcpcs_code"], briumvi["drug_name"], briumvi["bill_units"]) == (
        "J2329", "Briumvi", 150.0)
    assert all(row["ndc11"] is None for row in matching(frame, "ndc_raw", "GG100"))
    ndcs = [ndc11 for ndc11 in frame["ndc11"] if ndc11 is not None]
    assert len(set(ndcs)) < len(ndcs)  # one NDC maps to several codes
    ketorolac = first(frame, "ndc_raw", "00404-9998-01")
    assert ketorolac["line_no"] == 2474 and ketorolac["drug_name"] == "Ketorolac Tromethamine"


@pytest.mark.real_samples
def test_real_april_2024_crosswalk_lost_character(cms_samples: Path, tmp_path):
    name = "section 508 version of April 2024 ASP NDC-HCPCS Crosswalk 032124.csv"
    path = tmp_path / "april-2024-asp-ndc-hcpcs-crosswalk.zip"
    path.write_bytes(build_zip({name: (cms_samples / "asp" / "crosswalk" / name).read_bytes()}))
    table = read_asp_zip(path, "asp_crosswalk")
    row = first(table.rows, "line_no", 4588)
    assert (row["hcpcs_code"], row["bill_units"], row["bill_units_pkg"]) == (
        "J7674", 21.3125, 127.875)
    assert len(table.notes) == 1 and "line 4588" in table.notes[0]


@pytest.mark.real_samples
def test_real_asp_zip_holds_the_march_revision(cms_samples: Path):
    path = cms_samples / "asp" / "zips" / "january-2025-asp-pricing-file-12_19_24-final-file.zip"
    table = read_asp_zip(path, "asp_pricing")
    assert table.member == "section 508 version of Jan 2025 ASP Pricing File updated 030725.csv"
    assert (table.effective_start, table.effective_end) == (date(2025, 1, 1), date(2025, 3, 31))
    assert len(table.rows) == 877
    updated = {row["hcpcs_code"] for row in table.rows.records()
               if (row["notes"] or "").startswith("Updated April 2025")}
    assert updated == {"J7213", "J9204", "Q5126", "Q5130"}
    december_name = "section 508 version of Jan 2025 ASP Pricing File 121924.csv"
    december = read_payment_limits(
        (cms_samples / "asp" / "pricing" / december_name).read_bytes(), december_name)
    before = {code: row["payment_limit"] for code, row in by_code(december).items()}
    changed = {row["hcpcs_code"] for row in table.rows.records()
               if row["hcpcs_code"] in before and row["payment_limit"] is not None
               and row["payment_limit"] != before[row["hcpcs_code"]]}
    assert changed == updated
    with zipfile.ZipFile(path) as archive:
        legacy = archive.read("Jan 2025 ASP Pricing File updated 030725.xls")
    from_xls = read_payment_limits(legacy, "legacy.xls")
    assert from_xls["payment_limit"] == table.rows["payment_limit"]


@pytest.mark.real_samples
def test_known_bytes_must_read_to_their_known_counts(cms_samples: Path):
    name = "section 508 version of Oct 2025 ASP Pricing File 091725.csv"
    data = (cms_samples / "asp" / "pricing" / name).read_bytes()
    frame = read_payment_limits(data, name)
    check_expected(data, "asp_payment_limits", frame, name)  # 1,012 rows: accepted
    with pytest.raises(BadInput) as caught:
        check_expected(data, "asp_payment_limits", head(frame, -1), name)
    assert "read 1011 rows, but these bytes are known to hold 1012 rows" in str(caught.value)
    check_expected(data + b"\r\n", "asp_payment_limits", head(frame, 5), name)  # other bytes


# ---- found by a differential run against the pandas readers (31fa77d) ---------------------

@pytest.mark.parametrize("printed", ["1e400", "-1e309", "1e306"])
def test_a_limit_past_the_float_range_is_refused_naming_line_and_field(printed: str):
    data = asp_pricing_csv("2025Q4", [AspPrice("J3590", "Unclassified biologics", "1 mg",
                                               printed)])
    with pytest.raises(BadInput) as raised:
        read_table(data, "limits.csv", kinds.get("asp_pricing"))
    assert (raised.value.file, raised.value.row, raised.value.field) == (
        "limits.csv", 10, "payment_limit_raw")


def test_an_amount_past_the_float_range_is_refused_like_inf():
    data = asp_crosswalk_csv("2025Q4", [CrosswalkRow("J3590", "Unclassified biologics", "Lab",
                                                     "55513-0224-01", "Drug", "1 mg", "1e400")])
    with pytest.raises(BadInput) as raised:
        read_table(data, "crosswalk.csv", kinds.get("asp_crosswalk"))
    assert (raised.value.row, raised.value.field) == (10, "pkg_size")


@pytest.mark.parametrize("space", ["\u2009", "\u202f", "\u2003", "\u3000", "\x85", "\u2028"])
def test_unicode_spaces_inside_a_drug_name_fold_to_one_space(space: str):
    data = asp_crosswalk_xlsx("2025Q4", [CrosswalkRow(
        "J3590", "Unclassified biologics", "Lab", "55513-0224-01",
        f"Briumvi{space}(R){space}150{space}mg", "1 mg")])
    rows = read_table(data, "crosswalk.xlsx", kinds.get("asp_crosswalk")).rows
    assert rows["drug_name"] == ["Briumvi 150 mg"]
