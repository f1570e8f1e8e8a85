"""crosswalk.readers.members: which zip member holds a table, chosen by rule, never by position."""

from __future__ import annotations

import pytest

from crosswalk import kinds
from crosswalk.errors import BadInput
from crosswalk.readers.layouts import MemberRule
from crosswalk.readers.members import ReleaseZip, base_name, pick_member, require
from crosswalk.settings import Settings

import cms_builders as cms

PRICING = kinds.get("asp_pricing").members[0]
HCPCS = {rule.table: rule for rule in kinds.get("hcpcs").members}


def test_the_508_csv_beats_its_workbook_twin_and_the_choice_is_noted():
    names = ["Oct 2025 ASP Pricing File 091725.xlsx",
             "section 508 version of Oct 2025 ASP Pricing File 091725.csv",
             "Oct 2025 ASP Pricing File 091725.csv"]
    pick = pick_member(names, PRICING)
    assert pick.member == "section 508 version of Oct 2025 ASP Pricing File 091725.csv"
    assert pick.note.startswith("asp_payment_limits: chose 'section 508 version")
    assert "'Oct 2025 ASP Pricing File 091725.csv'" in pick.note


def test_the_highest_version_wins_among_the_same_suffix():
    names = ["HCPC2025_OCT_ANWEB_v2.txt", "HCPC2025_OCT_ANWEB_v10.txt", "HCPC2025_OCT_ANWEB.txt"]
    assert pick_member(names, HCPCS["hcpcs_txt"]).member == "HCPC2025_OCT_ANWEB_v10.txt"


def test_companions_and_other_files_are_left_alone():
    names = ["HCPC2025_OCT_ANWEB_Transaction_Report.txt", "HCPC2025_OCT_recordlayout.txt",
             "proc_notes.txt", "HCPC2025_OCT_ANWEB_v3.txt"]
    assert pick_member(names, HCPCS["hcpcs_txt"]).member == "HCPC2025_OCT_ANWEB_v3.txt"
    assert pick_member(names, HCPCS["hcpcs_transactions"]).member == (
        "HCPC2025_OCT_ANWEB_Transaction_Report.txt")
    assert pick_member(["OPPS NDC-HCPCS crosswalk.csv"], kinds.get("asp_crosswalk").members[0]
                       ) is None


def test_a_member_in_a_folder_is_matched_on_its_base_name_any_case():
    assert base_name("Oct 2025\\sub/HCPC2025_OCT_ANWEB.TXT") == "HCPC2025_OCT_ANWEB.TXT"
    rule = MemberRule("t", r"hcpc\d{4}.*anweb.*\.txt")
    assert pick_member(["Oct 2025/HCPC2025_OCT_ANWEB.TXT"], rule).member == (
        "Oct 2025/HCPC2025_OCT_ANWEB.TXT")


def test_a_zip_without_the_table_lists_what_it_holds(tmp_path):
    path = tmp_path / "p.zip"
    path.write_bytes(cms.build_zip({"readme.txt": b"x", "notes.pdf": b"y"}))
    archive = ReleaseZip(path, Settings())
    with pytest.raises(BadInput, match="no ASP pricing member found; members are: readme.txt, "
                                       "notes.pdf") as raised:
        require(archive.pick((PRICING,)), PRICING.table, archive, "ASP pricing")
    assert raised.value.file == "p.zip"
    assert archive.where("readme.txt") == "p.zip!readme.txt"


# ---------------------------------------------------------------------------------------------
# A file saved from inside a zip reads as a zip of one member


RELEASE = cms.sample_release("2025Q4")


def test_a_bare_file_is_a_release_of_one_member_named_as_the_file(tmp_path):
    path = tmp_path / "section 508 version of October 2025 ASP Pricing File 091725.csv"
    path.write_bytes(cms.asp_pricing_csv("2025Q4", RELEASE.pricing))
    archive = ReleaseZip(path, Settings())
    assert archive.single and archive.names == [path.name]
    assert archive.read(path.name) == path.read_bytes()
    assert archive.where(path.name) == path.name  # no zip!member for a file on its own
    assert archive.pick((PRICING,)) == {PRICING.table: pick_member([path.name], PRICING)}


@pytest.mark.parametrize("content, table", [
    (cms.hcpcs_txt(RELEASE.codes), "hcpcs_txt"),
    (cms.hcpcs_xlsx(RELEASE.codes), "hcpcs_xlsx"),
], ids=["text", "workbook"])
def test_a_renamed_bare_file_is_picked_by_its_form(tmp_path, content, table):
    path = tmp_path / "download (2)"
    path.write_bytes(content)
    picks = ReleaseZip(path, Settings()).pick(kinds.get("hcpcs").members)
    assert list(picks) == [table]
    assert picks[table].note == (f"download (2): read as {table} (a file on its own, its name "
                                 "is not a CMS member name)")
    read = kinds.get("hcpcs").read_zip(path, Settings())
    assert len(read.rows("hcpcs_codes")) == len(RELEASE.codes)


def test_a_bare_companion_is_not_taken_for_the_release_file(tmp_path):
    path = tmp_path / "NOC codes_OCT2025.xlsx"
    path.write_bytes(cms.noc_codes_xlsx("2025Q4", RELEASE.noc_codes))
    with pytest.raises(BadInput, match="not the ANWEB TXT or XLSX/XLS \\(a file on its own"):
        kinds.get("hcpcs").read_zip(path, Settings())


def test_a_bare_file_is_read_whole_by_the_one_table_reader(tmp_path):
    path = tmp_path / "crosswalk.csv"
    path.write_bytes(cms.asp_crosswalk_csv("2025Q4", RELEASE.crosswalk))
    read = kinds.get("asp_crosswalk").read_zip(path, Settings())
    assert read.members == {"asp_ndc_crosswalk": "crosswalk.csv"}
    assert len(read.rows("asp_ndc_crosswalk")) == len(RELEASE.crosswalk)
