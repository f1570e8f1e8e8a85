"""Matching a practice list against loaded releases: verdicts, DOS rules, units, evidence.

Most tests write release rows straight into a fresh warehouse (codes, descriptors and dates
copied from the real Oct 2025 ANWEB file and real crosswalk rows); the acceptance tests at
the end load real CMS files through the readers and the loader.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

from crosswalk import match, warehouse
from crosswalk.cli import main
from crosswalk.errors import BadInput
from crosswalk.ndc import normalize_ndc
from crosswalk.quarters import Quarter
from crosswalk.settings import Settings

from conftest import archive_and_load

HEADER = "drug_name,brand_name,ndc,current_code,dose,payer,setting,notes,active"
D = date

# (code, long description, add date, action effective date, term date, xref1) as in the real
# HCPCS files (C9174/J9011, J0174's mid-quarter add date, the rituximab family...).
CODES = [
    ("J3590", "Unclassified biologics", D(2003, 1, 1), D(2003, 1, 1), None, None),
    ("J9999", "Not otherwise classified, antineoplastic drugs", D(1990, 1, 1), None, None, None),
    ("J2329", "Injection, ublituximab-xiiy, 1mg", D(2023, 7, 1), D(2023, 7, 1), None, None),
    ("J9312", "Injection, rituximab, 10 mg", D(2019, 1, 1), D(2019, 1, 1), None, None),
    ("J9311", "Injection, rituximab 10 mg and hyaluronidase", D(2019, 1, 1), None, None, None),
    ("Q5115", "Injection, rituximab-abbs, biosimilar, (truxima), 10 mg", D(2019, 7, 1),
     D(2019, 7, 1), None, None),
    ("Q5119", "Injection, rituximab-pvvr, biosimilar, (ruxience), 10 mg", D(2020, 7, 1),
     D(2020, 7, 1), None, None),
    ("Q5123", "Injection, rituximab-arrx, biosimilar, (riabni), 10 mg", D(2021, 7, 1),
     D(2021, 7, 1), None, None),
    ("Q5156", "Injection, tocilizumab-anoh (avtozma), biosimilar, 1 mg", D(2025, 10, 1),
     D(2025, 10, 1), None, None),
    ("Q5135", "Injection, tocilizumab-aazg (tyenne), biosimilar, 1 mg", D(2024, 10, 1),
     D(2024, 10, 1), None, None),
    ("J0174", "Injection, lecanemab-irmb, 1 mg", D(2023, 7, 6), D(2023, 7, 6), None, None),
    ("C9174", "Injection, datopotamab deruxtecan-dlnk, 1 mg", D(2025, 7, 1), D(2025, 10, 1),
     D(2025, 9, 30), None),
    ("J9011", "Injection, datopotamab deruxtecan-dlnk, 1 mg", D(2025, 10, 1), D(2025, 10, 1),
     None, None),
    ("C9305", "Injection, nipocalimab-aahu, 3 mg", D(2025, 10, 1), D(2025, 10, 1), None, None),
    ("J9275", "Injection, cosibelimab-ipdl, 2 mg", D(2025, 7, 1), D(2025, 7, 1), None, None),
    ("Q5137", "Injection, ustekinumab-auub (wezlana), biosimilar, subcutaneous, 1 mg",
     D(2024, 7, 1), D(2024, 7, 1), None, None),
    ("Q5138", "Injection, ustekinumab-auub (wezlana), biosimilar, intravenous, 1 mg",
     D(2024, 7, 1), D(2024, 7, 1), None, None),
    ("J0883", "Injection, argatroban, 1 mg (for non-esrd use)", D(2016, 1, 1), None, None, None),
    ("J0884", "Injection, argatroban, 1 mg (for esrd on dialysis)", D(2016, 1, 1), None, None,
     None),
    ("J2505", "Injection, pegfilgrastim, 6 mg", D(2004, 1, 1), D(2022, 1, 1), D(2021, 12, 31),
     "J2506"),
    ("J2506", "Injection, pegfilgrastim, excludes biosimilar, 0.5 mg", D(2022, 1, 1),
     D(2023, 4, 1), None, None),
    ("J2440", "Injection, papaverine hcl, up to 60 mg", D(1986, 1, 1), D(1986, 1, 1), None,
     None),
    ("J7604", "Acetylcysteine, inhalation solution, compounded product, administered through "
              "dme, unit dose form, per gram", D(2008, 1, 1), D(2008, 1, 1), None, None),
    ("J7608", "Acetylcysteine, inhalation solution, fda-approved final product, "
              "non-compounded, administered through dme, unit dose form, per gram",
     D(2000, 1, 1), D(2000, 1, 1), None, None),
]
# (quarter, code, ndc, drug name, hcpcs dosage, pkg size, pkg qty, bill units, per package),
# real 2025 crosswalk rows; the J2505 Neulasta row is from the 2021Q4 file's layout.
CROSSWALK = [
    ("2025Q4", "J2329", "73150-0150-06", "Briumvi\xa0", "1 MG", 6, 1, 150, 150),
    ("2025Q4", "Q5123", "55513-0224-01", "Riabni", "10 MG", 10, 1, 10, 10),
    ("2025Q4", "Q5123", "55513-0326-01", "Riabni", "10 MG", 50, 1, 50, 50),
    ("2025Q4", "Q5115", "63459-0103-10", "Truxima", "10 MG", 10, 1, 10, 10),
    ("2025Q4", "J9312", "50242-0051-21", "Rituxan", "10 MG", 10, 1, 10, 10),
    ("2025Q4", "Q5135", "65219-0590-04", "Tyenne", "1 MG", 4, 1, 80, 80),
    ("2025Q4", "Q5135", "65219-0594-20", "Tyenne", "1 MG", 20, 1, 400, 400),
    ("2025Q4", "J9011", "65597-0801-01", "Datroway", "1 MG", 1, 1, 100, 100),
    ("2025Q4", "J0883", "00143-9377-01", "Argatroban", "1 MG", 50, 1, 50, 50),
    ("2025Q4", "J0884", "00143-9377-01", "Argatroban", "1 MG", 50, 1, 50, 50),
    ("2021Q4", "J2505", "55513-0190-01", "Neulasta", "6 MG", 0.6, 1, 1, 1),
]
PRICES = [("2025Q4", "J2329", "1 MG", 70.753), ("2025Q4", "Q5123", "10 MG", 26.509),
          ("2025Q4", "Q5135", "1 MG", 4.415)]


def insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    frame = pd.DataFrame(rows).assign(source_sha256="test", source_member="test")
    con.register("new_rows", frame)
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM new_rows")
    con.unregister("new_rows")


def load_release(con: duckdb.DuckDBPyConnection, quarter: str, codes: list[tuple] = CODES,
                 crosswalk: list[tuple] = CROSSWALK, prices: list[tuple] = PRICES) -> None:
    """One HCPCS release as CMS would print it in `quarter`: codes added later are absent,
    terminations after the quarter not yet shown."""
    q = Quarter.parse(quarter)
    insert(con, "hcpcs_codes", [
        {"quarter": quarter, "code": code, "is_modifier": False, "long_description": text,
         "add_date": added, "action_eff_date": acted if acted and acted <= q.last_day else added,
         "term_date": ended if ended and ended < q.first_day else None, "xref1": xref}
        for code, text, added, acted, ended, xref in codes if added <= q.last_day])
    rows = [row for row in crosswalk if row[0] <= quarter]
    if rows:
        insert(con, "asp_ndc_crosswalk", [
            {"quarter": q_, "line_no": 10 + i, "hcpcs_code": code, "ndc_raw": ndc,
             "ndc11": normalize_ndc(ndc).ndc11, "drug_name": name, "hcpcs_dosage": dosage,
             "pkg_size": size, "pkg_qty": qty, "bill_units": units, "bill_units_pkg": per_pkg}
            for i, (q_, code, ndc, name, dosage, size, qty, units, per_pkg) in enumerate(rows)
            if q_ == quarter or q_ < quarter])
    priced = [row for row in prices if row[0] == quarter]
    if priced:
        insert(con, "asp_payment_limits", [
            {"quarter": q_, "hcpcs_code": code, "dosage": dosage, "payment_limit": limit,
             "payment_limit_raw": f"{limit:.3f}"} for q_, code, dosage, limit in priced])


@pytest.fixture
def warehouse_2025q4(settings: Settings) -> Settings:
    """2025Q3 and 2025Q4 loaded, plus the 2021Q4 crosswalk row for Neulasta."""
    with warehouse.open_writer(settings) as con:
        load_release(con, "2025Q3", crosswalk=[r for r in CROSSWALK if r[0] == "2021Q4"])
        load_release(con, "2025Q4", crosswalk=[r for r in CROSSWALK if r[0] == "2025Q4"])
    return settings


def drugs_csv(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "drugs.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def run(settings: Settings, tmp_path: Path, *rows: str,
        quarter: Quarter | None = Quarter(2025, 4)) -> match.MatchOutcome:
    return match.match_practice(settings, quarter, drugs_csv(tmp_path, *rows))


def alert(outcome: match.MatchOutcome, row_no: int = 2) -> dict[str, Any]:
    found = outcome.alerts[outcome.alerts["row_no"] == row_no]
    assert len(found) == 1
    return match.plain_records(found)[0]


def candidates(settings: Settings, run_id: int, row_no: int = 2) -> pd.DataFrame:
    with warehouse.open_writer(settings) as con:
        return con.execute("SELECT * FROM match_candidates WHERE run_id = ? AND row_no = ?",
                           [run_id, row_no]).df()


def test_new_code_in_the_run_quarter(warehouse_2025q4: Settings, tmp_path: Path) -> None:
    outcome = run(warehouse_2025q4, tmp_path, "tocilizumab-anoh,Avtozma,,J3590,,,,,")
    found = alert(outcome)
    assert (found["verdict"], found["new_code"], found["effective_date"]) == (
        "NEW_CODE", "Q5156", D(2025, 10, 1))
    assert found["dos_rule"] == ("DOS before 2025-10-01: keep J3590; on or after 2025-10-01: "
                                 "bill Q5156")
    assert found["confidence"] == "high" and found["billing_unit"] == "1 mg"


def test_past_due_with_units_and_price(warehouse_2025q4: Settings, tmp_path: Path) -> None:
    found = alert(run(warehouse_2025q4, tmp_path,
                      "ublituximab-xiiy,Briumvi,73150-0150-06,J3590,450 mg,,,,"))
    assert (found["verdict"], found["new_code"], found["effective_date"]) == (
        "PAST_DUE", "J2329", D(2023, 7, 1))
    assert found["dos_rule"].endswith("on or after 2023-07-01: bill J2329")
    assert (found["billing_unit"], found["units_per_package"], found["units_for_dose"]) == (
        "1mg", 150.0, 450.0)
    assert float(found["asp_payment_limit"]) == pytest.approx(70.753)
    assert found["match_basis"] == "brand_name+generic_name+ndc"
    assert "since 2023-07-01" in found["action"]


def test_effective_date_comes_from_the_file_not_the_quarter(settings: Settings,
                                                            tmp_path: Path) -> None:
    with warehouse.open_writer(settings) as con:
        load_release(con, "2023Q3")
    found = alert(run(settings, tmp_path, "lecanemab-irmb,Leqembi,,J3590,,,,,",
                      quarter=Quarter.parse("2023Q3")))
    assert (found["verdict"], found["new_code"], found["effective_date"]) == (
        "NEW_CODE", "J0174", D(2023, 7, 6))
    assert "DOS before 2023-07-06: keep J3590" in found["dos_rule"]


def test_verdicts_are_relative_to_the_run_quarter(warehouse_2025q4: Settings,
                                                  tmp_path: Path) -> None:
    """Run against 2025Q3 while 2025Q4 is loaded too: later codes are not seen yet."""
    outcome = run(warehouse_2025q4, tmp_path, "tocilizumab-anoh,,,J3590,,,,,",
                  "cosibelimab-ipdl,,,J9999,,,,,", quarter=Quarter.parse("2025Q3"))
    assert alert(outcome, 2)["verdict"] == "NO_CODE_YET"
    assert (alert(outcome, 3)["verdict"], alert(outcome, 3)["new_code"]) == ("NEW_CODE", "J9275")
    assert set(outcome.alerts["quarter"]) == {"2025Q3"}


def test_biosimilar_suffix_decoys_never_cross(warehouse_2025q4: Settings,
                                              tmp_path: Path) -> None:
    outcome = run(warehouse_2025q4, tmp_path, "rituximab-arrx,,,J9999,700 mg,,,,",
                  "rituximab,,,J9999,,,,,", "Rituximab-ABBS,,,J9999,,,,,")
    arrx, plain, abbs = (alert(outcome, row) for row in (2, 3, 4))
    assert set(candidates(warehouse_2025q4, outcome.run_id, 2)["code"]) == {"Q5123"}
    assert (arrx["verdict"], arrx["new_code"], arrx["units_for_dose"]) == ("PAST_DUE", "Q5123",
                                                                            70.0)
    # plain rituximab names no one product: the reference, every biosimilar and the SC twin
    assert (plain["verdict"], plain["new_code"]) == ("REVIEW", None)
    assert plain["candidate_codes"] == "J9311, J9312, Q5115, Q5119, Q5123"
    assert "several codes carry this name" in plain["action"]
    assert abbs["new_code"] == "Q5115"


def test_word_order_salt_and_case_tolerated(warehouse_2025q4: Settings, tmp_path: Path) -> None:
    outcome = run(warehouse_2025q4, tmp_path, "Deruxtecan Datopotamab-DLNK,,,C9399,,,HOPD,,",
                  "argatroban hydrochloride,,,J3490,,,,,")
    assert alert(outcome, 2)["new_code"] == "J9011"
    argatroban = alert(outcome, 3)
    assert argatroban["verdict"] == "REVIEW"  # J0883 (non-ESRD) vs J0884 (ESRD): route decides
    assert argatroban["candidate_codes"] == "J0883, J0884"


def test_brand_only_name_matches_through_the_crosswalk(warehouse_2025q4: Settings,
                                                       tmp_path: Path) -> None:
    outcome = run(warehouse_2025q4, tmp_path, "BRIUMVI,,,J3590,,,,,")
    found = alert(outcome)
    assert (found["verdict"], found["new_code"]) == ("PAST_DUE", "J2329")
    evidence = candidates(warehouse_2025q4, outcome.run_id)
    assert list(evidence[["basis", "matched_field", "matched_text", "confidence"]].iloc[0]) == [
        "brand_name", "asp_ndc_crosswalk.drug_name", "Briumvi", "high"]


def test_ndc_mapped_to_two_codes_yields_both_for_review(warehouse_2025q4: Settings,
                                                        tmp_path: Path) -> None:
    outcome = run(warehouse_2025q4, tmp_path, "Argatroban,,00143-9377-01,J3490,,,,,")
    found = alert(outcome)
    assert found["verdict"] == "REVIEW" and found["new_code"] is None
    assert found["candidate_codes"] == "J0883, J0884"
    assert "the NDC maps to 2 codes" in found["action"]
    by_ndc = candidates(warehouse_2025q4, outcome.run_id).query("basis == 'ndc'")
    assert sorted(by_ndc["code"]) == ["J0883", "J0884"]
    assert set(by_ndc["score"]) == {100.0}


def test_the_ndcs_of_two_products_in_one_cell_are_never_one_switch(
        warehouse_2025q4: Settings, tmp_path: Path) -> None:
    """A charge line 'rituximab' holding Riabni's and Truxima's NDCs (55513-0224-01 -> Q5123,
    63459-0103-10 -> Q5115) names two products: REVIEW with both, never the first NDC's code;
    two package sizes of one product (Riabni 55513-0224-01, -0326-01) still settle it."""
    outcome = run(warehouse_2025q4, tmp_path,
                  'rituximab,,"55513-0224-01; 63459-0103-10",J9999,,,,,',
                  'rituximab,,"55513-0224-01, 55513-0326-01",J3590,,,,,',
                  'Truxima,,"63459-0103-10; 55513-0224-01",J9999,,,,,')
    two = alert(outcome)
    assert (two["verdict"], two["new_code"], two["candidate_codes"]) == ("REVIEW", None,
                                                                          "Q5115, Q5123")
    assert ("the NDCs on your list name different codes (55513-0224-01: Q5123; "
            "63459-0103-10: Q5115): list each product on a line of its own") in two["action"]
    assert two["ndc11"] == "55513022401"  # the first, as printed on claims
    one = alert(outcome, 3)
    assert (one["verdict"], one["new_code"]) == ("PAST_DUE", "Q5123")
    named = alert(outcome, 4)  # the name agrees with one NDC: the other is still there
    assert (named["verdict"], named["candidate_codes"]) == ("REVIEW", "Q5115, Q5123")
    assert "the NDCs on your list name different codes" in named["action"]
    assert ("row 2, field 'ndc': 2 NDCs in one cell, each looked up in the CMS crosswalk; "
            "55513-0224-01, the first, is the one printed on claims") in outcome.warnings


def test_a_compounded_drug_is_never_switched_to_the_manufactured_products_code(
        warehouse_2025q4: Settings, tmp_path: Path) -> None:
    """J7999 'Compounded drug, not otherwise classified', or 'compounded' on the row: J2440
    papaverine (the manufactured drug) is named for review, never switched to; a code for
    the compounded product itself (J7604 'compounded product') is; the same drug not
    compounded switches."""
    outcome = run(warehouse_2025q4, tmp_path, "Papaverine 30mg/mL 10mL syringe,,,J7999,,,,,",
                  "papaverine 30 mg/mL (compounded 503B),,,J3490,,,,,",
                  "acetylcysteine compounded for DME nebulizer,,,J7999,,,,,",
                  "papaverine 30 mg/mL,,,J3490,,,,,")
    for row_no in (2, 3):
        found = alert(outcome, row_no)
        assert (found["verdict"], found["candidate_codes"]) == ("REVIEW", "J2440"), row_no
        assert "J2440 describes the manufactured drug" in found["action"]
    assert (alert(outcome, 4)["verdict"], alert(outcome, 4)["new_code"]) == ("PAST_DUE",
                                                                            "J7604")
    assert (alert(outcome, 5)["verdict"], alert(outcome, 5)["new_code"]) == ("PAST_DUE",
                                                                            "J2440")


def test_ndc_and_name_disagreeing_is_a_conflict(warehouse_2025q4: Settings,
                                                tmp_path: Path) -> None:
    found = alert(run(warehouse_2025q4, tmp_path,
                      "rituximab-arrx,,63459-0103-10,J3590,,,,,"))  # Truxima's NDC
    assert found["verdict"] == "REVIEW"
    assert "conflict: the NDC maps to Q5115 but the name matches Q5123" in found["action"]
    wrong_brand = alert(run(warehouse_2025q4, tmp_path, "rituximab-arrx,Truxima,,J3590,,,,,"))
    assert wrong_brand["verdict"] == "REVIEW" and wrong_brand["candidate_codes"] == "Q5115, Q5123"
    assert ("conflict: the generic name matches Q5123 but the brand matches Q5115"
            in wrong_brand["action"])


def test_code_ended_names_its_successor(warehouse_2025q4: Settings, tmp_path: Path) -> None:
    found = alert(run(warehouse_2025q4, tmp_path, "Neulasta,,55513-0190-01,J3590,6 mg,,,,"))
    assert (found["verdict"], found["new_code"], found["term_date"], found["successor_code"]) == (
        "CODE_ENDED", "J2505", D(2021, 12, 31), "J2506")
    assert found["dos_rule"] == ("DOS through 2021-12-31: bill J2505; after 2021-12-31: "
                                 "bill successor J2506")


def test_live_code_beats_an_ended_interim_c_code(warehouse_2025q4: Settings,
                                                 tmp_path: Path) -> None:
    found = alert(run(warehouse_2025q4, tmp_path,
                      "datopotamab deruxtecan-dlnk,Datroway,65597-801-01,C9399,360 mg,,HOPD,,"))
    assert (found["verdict"], found["new_code"], found["units_for_dose"]) == ("NEW_CODE",
                                                                              "J9011", 360.0)
    assert "also considered: C9174" in found["evidence"]


def test_c_codes_are_for_hospital_outpatient_only(warehouse_2025q4: Settings,
                                                  tmp_path: Path) -> None:
    outcome = run(warehouse_2025q4, tmp_path, "nipocalimab-aahu,Imaavy,,J3590,,,office,,",
                  "nipocalimab-aahu,Imaavy,,C9399,,,hospital outpatient,,")
    office, hospital = alert(outcome, 2), alert(outcome, 3)
    assert office["verdict"] == "NO_CODE_YET" and office["new_code"] is None
    assert ("C9305 is for hospital outpatient claims only; office claims keep J3590 until a "
            "J/Q code is assigned") in office["hints"]
    assert (hospital["verdict"], hospital["new_code"]) == ("NEW_CODE", "C9305")


def test_a_misspelt_name_alone_needs_review(warehouse_2025q4: Settings, tmp_path: Path) -> None:
    found = alert(run(warehouse_2025q4, tmp_path, "rituxumab-arrx,,,J9999,,,,,"))  # sic
    assert found["verdict"] == "REVIEW" and found["confidence"] == "medium"
    assert found["candidate_codes"] == "Q5123"
    assert ("spelling differs from CMS: 'rituxumab' looks like 'rituximab': confirm the name"
            in found["action"])
    confirmed = alert(run(warehouse_2025q4, tmp_path, "rituxumab-arrx,Riabni,,J9999,,,,,"))
    assert (confirmed["verdict"], confirmed["new_code"]) == ("PAST_DUE", "Q5123")


def test_no_code_yet_bills_one_unit(warehouse_2025q4: Settings, tmp_path: Path) -> None:
    found = alert(run(warehouse_2025q4, tmp_path, "garadacimab-gxii,Andembry,,J3590,200 mg,,,,"))
    assert (found["verdict"], found["units_for_dose"]) == ("NO_CODE_YET", 1.0)
    assert found["dos_rule"] == "all DOS: keep J3590 (1 unit per line)"


def test_several_live_codes_need_review(warehouse_2025q4: Settings, tmp_path: Path) -> None:
    found = alert(run(warehouse_2025q4, tmp_path, "ustekinumab-auub,Wezlana,,J3590,,,,,"))
    assert found["verdict"] == "REVIEW" and found["candidate_codes"] == "Q5137, Q5138"


def test_noc_family_hints(warehouse_2025q4: Settings, tmp_path: Path) -> None:
    outcome = run(warehouse_2025q4, tmp_path, "cosibelimab-ipdl,Unloxcyt,,J3590,,,,,",
                  "garadacimab-gxii,,,J3490,,,,,", "garadacimab-gxii,,,C9399,,,office,,")
    assert "J9999 (not J3590)" in alert(outcome, 2)["hints"]
    assert "go under J3590, not J3490" in alert(outcome, 3)["hints"]
    assert "C9399 is for hospital outpatient (OPPS) claims only" in alert(outcome, 4)["hints"]


@pytest.mark.parametrize(("amount", "unit", "billing_unit", "units"), [
    (450, "mg", "1 mg", 450.0), (450, "mg", "10 mg", 45.0), (445, "mg", "10 mg", 45.0),
    (0.5, "g", "10 mg", 50.0), (100, "mcg", "0.1 mg", 1.0), (5, "ml", "10 mg", None),
    (6, "mg/kg", "1 mg", None), (None, None, "1 mg", None), (60, "mg", "per ml", None),
    (2, "ml", "per ml", 2.0), (150, "mg", "up to 50 mg", 3.0),
])
def test_units_for_dose(amount: float | None, unit: str | None, billing_unit: str,
                        units: float | None) -> None:
    assert match.units_for_dose(amount, unit, billing_unit)[0] == units


def test_unit_mismatch_is_explained(warehouse_2025q4: Settings, tmp_path: Path) -> None:
    found = alert(run(warehouse_2025q4, tmp_path, "ublituximab-xiiy,,,J3590,6 mL,,,,"))
    assert found["units_for_dose"] is None
    assert "dose in ml cannot be converted to the billing unit '1mg'" in found["units_note"]


def test_run_is_saved_for_analysts(warehouse_2025q4: Settings, tmp_path: Path) -> None:
    first = run(warehouse_2025q4, tmp_path, "ublituximab-xiiy,Briumvi,73150-0150-06,J3590,,,,,",
                "garadacimab-gxii,,,J3590,,,,,")
    second = match.match_practice(warehouse_2025q4, None, drugs_csv(
        tmp_path, "tocilizumab-aazg,Tyenne,65219-0590-04,J3590,560 mg,,,,"))
    assert second.run_id == first.run_id + 1 and str(second.quarter) == "2025Q4"
    with warehouse.open_writer(warehouse_2025q4) as con:
        runs = con.execute("SELECT run_id, quarter, drug_count, comparisons FROM match_runs "
                           "ORDER BY run_id").fetchall()
        past_due = con.execute(
            "SELECT DISTINCT a.drug_name, a.new_code, a.effective_date FROM practice_alerts a "
            "WHERE a.verdict = 'PAST_DUE' AND a.quarter >= '2024Q1' ORDER BY 1").fetchall()
        drugs = con.execute("SELECT count(*) FROM practice_drugs").fetchall()[0][0]
    assert [r[:3] for r in runs] == [(first.run_id, "2025Q4", 2), (second.run_id, "2025Q4", 1)]
    assert all(0 < r[3] for r in runs)
    assert past_due == [("tocilizumab-aazg", "Q5135", D(2024, 10, 1)),
                        ("ublituximab-xiiy", "J2329", D(2023, 7, 1))]
    assert drugs == 3


def test_bad_rows_are_reported_and_good_rows_matched(warehouse_2025q4: Settings,
                                                     tmp_path: Path) -> None:
    outcome = run(warehouse_2025q4, tmp_path, "ublituximab-xiiy,,,J9035,,,,,",
                  "tocilizumab-anoh,,,J3590,,,,,")
    assert list(outcome.alerts["row_no"]) == [3]
    assert [(p.row, p.field) for p in outcome.problems] == [(2, "current_code")]
    assert "drugs.csv, row 2, field 'current_code'" in outcome.table()


def test_an_unusable_ndc_never_loses_the_drug(warehouse_2025q4: Settings,
                                              tmp_path: Path) -> None:
    """Excel drops leading zeros: 9 or 10 bare digits. The drug is matched by name; the NDC
    is restored only when exactly one reading of it is in the CMS crosswalk."""
    outcome = run(warehouse_2025q4, tmp_path,
                  "argatroban,,143937701,J3490,,,,,",          # 00143-9377-01, zeros dropped
                  "ublituximab-xiiy,,7315001506,J3590,,,,,",   # 73150-0150-06 as 5-4-1
                  "tocilizumab-anoh,,1234567890,J3590,,,,,",   # no reading is in the crosswalk
                  "lecanemab-irmb,,12-34,J3490,,,,,")          # not an NDC at all
    argatroban, briumvi, avtozma, leqembi = (alert(outcome, row) for row in (2, 3, 4, 5))
    assert not outcome.problems
    assert argatroban["ndc11"] == "00143937701" and argatroban["verdict"] == "REVIEW"
    assert "NDC '143937701' restored as 00143-9377-01: the only reading" in argatroban["hints"]
    assert (briumvi["ndc11"], briumvi["verdict"], briumvi["new_code"]) == (
        "73150015006", "PAST_DUE", "J2329")
    assert "ndc" in briumvi["match_basis"]
    assert avtozma["ndc11"] is None and (avtozma["verdict"], avtozma["new_code"]) == (
        "NEW_CODE", "Q5156")
    assert "NDC '1234567890' not used: ambiguous 10-digit NDC" in avtozma["hints"]
    assert (leqembi["verdict"], leqembi["new_code"], leqembi["ndc11"]) == ("PAST_DUE", "J0174",
                                                                           None)
    printed = outcome.table()
    assert "field 'ndc': NDC '12-34' not used" in printed
    # the printed warning says what the match did with the NDC, not what the reader saw
    assert ("warning: drugs.csv: row 2, field 'ndc': NDC '143937701' restored as 00143-9377-01"
            in printed) and "'143937701' not used" not in printed


def test_an_ignored_column_is_printed_with_the_verdicts(warehouse_2025q4: Settings,
                                                       tmp_path: Path) -> None:
    path = tmp_path / "drugs.csv"
    path.write_text("drug_name,NCD\nublituximab-xiiy,73150-0150-06\n", encoding="utf-8")
    outcome = match.match_practice(warehouse_2025q4, Quarter.parse("2025Q4"), path)
    assert outcome.warnings == ["column 'NCD' ignored: not a column this table uses "
                                "(did you mean ndc?)"]
    assert outcome.table().splitlines()[-1] == f"warning: drugs.csv: {outcome.warnings[0]}"
    assert outcome.table().count(outcome.warnings[0]) == 1  # printed once


def test_no_release_loaded_or_quarter_missing(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="nothing is loaded yet .* run `crosswalk run --data-dir"):
        run(settings, tmp_path, "ublituximab-xiiy,,,,,,,,", quarter=None)
    assert not settings.data_dir.exists()  # asking created nothing
    with warehouse.open_writer(settings) as con:
        load_release(con, "2025Q4")
    with pytest.raises(BadInput, match="the 2024Q1 HCPCS release is not loaded"):
        run(settings, tmp_path, "ublituximab-xiiy,,,,,,,,", quarter=Quarter.parse("2024Q1"))


def test_comparisons_are_blocked_not_a_cross_product(warehouse_2025q4: Settings,
                                                     tmp_path: Path) -> None:
    rows = [f"{name},,,J3590,,,,," for name in (
        "ublituximab-xiiy", "rituximab-arrx", "tocilizumab-aazg", "lecanemab-irmb",
        "garadacimab-gxii", "cosibelimab-ipdl")]
    outcome = run(warehouse_2025q4, tmp_path, *rows)
    with warehouse.open_writer(warehouse_2025q4) as con:
        names = con.execute("SELECT count(*) FROM hcpcs_codes WHERE quarter = '2025Q4'"
                            ).fetchall()[0][0]
    assert 0 < outcome.comparisons < len(rows) * names / 2


def test_cli_match_prints_the_verdicts(warehouse_2025q4: Settings, tmp_path: Path) -> None:
    path = drugs_csv(tmp_path, "tocilizumab-anoh,Avtozma,,J3590,,,,,",
                     "ublituximab-xiiy,Briumvi,73150-0150-06,J3590,450 mg,,,,")
    result = CliRunner().invoke(main, ["match", "--quarter", "2025Q4", "--drugs", str(path),
                                       "--data-dir", str(warehouse_2025q4.data_dir)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["drug", "verdict", "new", "code", "effective"]
    assert lines[1].split() == ["tocilizumab-anoh", "NEW_CODE", "Q5156", "2025-10-01"]
    assert lines[2].split() == ["ublituximab-xiiy", "PAST_DUE", "J2329", "2023-07-01"]
    assert "1 PAST_DUE, 1 NEW_CODE" in result.output  # most urgent first


def test_cli_match_without_a_release_exits_2(settings: Settings) -> None:
    result = CliRunner().invoke(main, ["match", "--data-dir", str(settings.data_dir)])
    assert result.exit_code == 2
    assert "nothing is loaded yet" in result.output and "`crosswalk run --data-dir" in result.output


# ---------------------------------------------------------------------------------------------
# Acceptance: real CMS files (and the builders' shared release) through readers and loader
# ---------------------------------------------------------------------------------------------
# real_2025q4 (tests/conftest.py): the real Oct 2025 files loaded once for the session.


@pytest.fixture(scope="module")
def example_on_real(real_2025q4: Settings) -> match.MatchOutcome:
    from crosswalk.settings import EXAMPLE_DRUGS

    return match.match_practice(real_2025q4, None, EXAMPLE_DRUGS)


@pytest.mark.real_samples
def test_real_release_verdicts_for_the_example_list(example_on_real: match.MatchOutcome) -> None:
    verdicts = {a["drug_name"]: (a["verdict"], a["new_code"], a["effective_date"])
                for a in match.plain_records(example_on_real.alerts)}
    assert str(example_on_real.quarter) == "2025Q4"
    # added in the run's quarter (ADD DT 20251001 in the real file)
    assert verdicts["tocilizumab-anoh"] == ("NEW_CODE", "Q5156", D(2025, 10, 1))
    assert verdicts["denosumab-bmwo"] == ("NEW_CODE", "Q5157", D(2025, 10, 1))
    assert verdicts["datopotamab deruxtecan-dlnk"] == ("NEW_CODE", "J9011", D(2025, 10, 1))
    # coded quarters earlier: NOC claims since then are wrong
    assert verdicts["ublituximab-xiiy"] == ("PAST_DUE", "J2329", D(2023, 7, 1))
    assert verdicts["rituximab-arrx"] == ("PAST_DUE", "Q5123", D(2021, 7, 1))
    assert verdicts["lecanemab-irmb"] == ("PAST_DUE", "J0174", D(2023, 7, 6))  # mid-quarter
    assert verdicts["eculizumab-aeeb"] == ("PAST_DUE", "Q5152", D(2025, 4, 1))  # Q5139 ended
    # no permanent code, or only an OPPS C-code for an office drug
    assert verdicts["linvoseltamab-gcpt"] == ("NO_CODE_YET", None, None)
    assert verdicts["nipocalimab-aahu"] == ("NO_CODE_YET", None, None)
    assert verdicts["telisotuzumab vedotin-tllv"] == ("NEW_CODE", "C9306", D(2025, 10, 1))
    assert verdicts["ustekinumab-auub"][0] == "REVIEW"


@pytest.mark.real_samples
def test_real_release_units_price_and_decoys(real_2025q4: Settings,
                                             example_on_real: match.MatchOutcome) -> None:
    alerts = {a["drug_name"]: a for a in match.plain_records(example_on_real.alerts)}
    briumvi = alerts["ublituximab-xiiy"]
    assert (briumvi["billing_unit"], briumvi["units_per_package"], briumvi["units_for_dose"]
            ) == ("1mg", 150.0, 450.0)
    assert briumvi["asp_payment_limit"] is not None
    assert alerts["zanidatamab-hrii"]["units_for_dose"] == 900.0  # 1800 mg at 2 mg a unit
    with warehouse.open_writer(real_2025q4) as con:
        arrx = {code for (code,) in con.execute(
            "SELECT DISTINCT c.code FROM match_candidates c JOIN practice_drugs d "
            "USING (run_id, row_no) WHERE c.run_id = ? AND d.drug_name = 'rituximab-arrx'",
            [example_on_real.run_id]).fetchall()}
        rituximab_family = {code for (code,) in con.execute(
            "SELECT code FROM hcpcs_codes WHERE quarter = '2025Q4' "
            "AND lower(long_description) LIKE '%rituximab%'").fetchall()}
    assert {"Q5115", "Q5119", "J9312"} <= rituximab_family  # the decoys are there...
    assert arrx == {"Q5123"}  # ...and never become candidates


@pytest.mark.real_samples
def test_real_release_brand_ndc_fanout_and_ended_code(real_2025q4: Settings,
                                                      tmp_path: Path) -> None:
    outcome = run(real_2025q4, tmp_path, "Briumvi,,,J3590,,,,,",
                  "argatroban,,00143-9377-01,J3490,,,,,",
                  "belantamab mafodotin-blmf,Blenrep,,J9999,,,,,", quarter=None)
    brand, fanout, ended = (alert(outcome, row) for row in (2, 3, 4))
    assert (brand["verdict"], brand["new_code"]) == ("PAST_DUE", "J2329")
    assert fanout["verdict"] == "REVIEW" and fanout["candidate_codes"] == "J0883, J0884"
    assert (ended["verdict"], ended["new_code"], ended["term_date"]) == (
        "CODE_ENDED", "J9037", D(2025, 3, 31))
    assert ended["dos_rule"].startswith("DOS through 2025-03-31: bill J9037; after 2025-03-31:")


def test_shared_sample_release_through_the_loader(settings: Settings, tmp_path: Path) -> None:
    """The builders' shared data set (real layouts, TXT and XLSX) for two releases."""
    import cms_builders as cms

    # 2025Q2 rather than 2025Q3: the readers know the real "NOC codes_JUL2025.xlsx" holds 163
    # rows and rightly refuse a 5-row test workbook posted under that exact name
    archive_and_load(settings, {q: cms.sample_release(q).zips() for q in ("2025Q2", "2025Q4")})
    outcome = run(settings, tmp_path, "rituximab-arrx,Riabni,55513-0224-01,J9999,700 mg,,,,",
                  "ublituximab-xiiy,,73150-0150-06,J3590,450 mg,,,,",
                  "bupivacaine and meloxicam,Zynrelef,,C9399,,,HOPD,,", quarter=None)
    arrx, briumvi, ended = (alert(outcome, row) for row in (2, 3, 4))
    assert (arrx["verdict"], arrx["new_code"], arrx["units_for_dose"]) == ("PAST_DUE", "Q5123",
                                                                            70.0)
    assert (briumvi["verdict"], briumvi["new_code"], briumvi["effective_date"]) == (
        "PAST_DUE", "J2329", cms.SAMPLE_CODES[10].add_date)
    assert (ended["verdict"], ended["new_code"], ended["term_date"]) == (
        "CODE_ENDED", "C9088", D(2025, 9, 30))


def test_a_failed_save_leaves_the_database_as_it_was(warehouse_2025q4: Settings,
                                                     tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from crosswalk import practice

    drug_list = practice.read_drug_list(drugs_csv(tmp_path, "tocilizumab-anoh,,,J3590,,,,,"))
    with warehouse.open_writer(warehouse_2025q4) as con:
        result = match.match_drugs(con, Quarter(2025, 4), drug_list.drugs)
        result.alerts.loc[0, "verdict"] = None  # NOT NULL: the last of the four inserts fails
        with pytest.raises(duckdb.ConstraintException):
            match.save_run(con, result, drug_list, datetime.now(timezone.utc))
        counts = [con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] for table in (
            "match_runs", "practice_drugs", "match_candidates", "practice_alerts")]
    assert counts == [0, 0, 0, 0]


def test_xlsx_list_with_a_formula_cell_is_matched_as_text(warehouse_2025q4: Settings,
                                                          tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Drug Name", "Brand", "NDC11", "Current HCPCS", "Dose", "Active"])
    book.active.append(["=HYPERLINK(\"x\",\"Briumvi\")", None, None, "J3590", None, "yes"])
    book.active.append(["tocilizumab-anoh", "Avtozma", None, "J3590", "560 mg", "no"])
    path = tmp_path / "drugs.xlsx"
    book.save(path)
    outcome = match.match_practice(warehouse_2025q4, Quarter.parse("2025Q4"), path)
    formula, inactive = alert(outcome, 2), alert(outcome, 3)
    assert formula["drug_name"] == '=HYPERLINK("x","Briumvi")'
    assert (inactive["verdict"], inactive["units_for_dose"]) == ("NEW_CODE", 560.0)
    assert inactive["active"] is False and inactive["action"].startswith("Switch to Q5156")
    with warehouse.open_writer(warehouse_2025q4) as con:
        stored = con.execute("SELECT drug_name FROM practice_drugs WHERE run_id = ? AND "
                             "row_no = 2", [outcome.run_id]).fetchall()
    assert stored == [('=HYPERLINK("x","Briumvi")',)]


def test_a_list_without_one_good_row_is_refused(warehouse_2025q4: Settings,
                                                tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no usable drug rows: drugs.csv, row 2, field "
                                       "'current_code'"):
        run(warehouse_2025q4, tmp_path, "ublituximab-xiiy,,12345,J9035,,,,,")


def drugs_with(tmp_path: Path, header: str, *rows: str) -> Path:
    path = tmp_path / "drugs.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_a_payer_rule_keeps_the_noc_code_and_still_names_the_permanent_one(
        warehouse_2025q4: Settings, tmp_path: Path) -> None:
    """The J3590 guide's example: a payer requires J3590 for off-label use of a drug that has
    a permanent code. keep_code = yes gives KEEP_PAYER_RULE, never a switch."""
    path = drugs_with(tmp_path, "drug_name,ndc,payer,notes,keep_code",
                      "ublituximab-xiiy,73150-0150-06,BCBS Michigan,payer requires J3590,yes",
                      "ublituximab-xiiy,73150-0150-06,Medicare,,no",
                      "garadacimab-gxii,,BCBS Michigan,payer requires J3590,yes")
    outcome = match.match_practice(warehouse_2025q4, Quarter.parse("2025Q4"), path)
    kept, medicare, nothing = (alert(outcome, row) for row in (2, 3, 4))
    assert (kept["verdict"], kept["new_code"], kept["effective_date"]) == (
        "KEEP_PAYER_RULE", "J2329", D(2023, 7, 1))
    assert kept["action"] == ("Keep billing J3590 for BCBS Michigan: payer rule on your list "
                              "(payer requires J3590); CMS's permanent code J2329 has applied "
                              "since 2023-07-01 for other payers.")
    assert kept["dos_rule"] == "all DOS for BCBS Michigan: keep J3590 (payer rule on your list)"
    assert (medicare["verdict"], medicare["new_code"]) == ("PAST_DUE", "J2329")
    assert nothing["verdict"] == "KEEP_PAYER_RULE" and nothing["new_code"] is None
    assert "CMS has no permanent code for it yet" in nothing["action"]
    assert "KEEP_PAYER_RULE" in outcome.table()


def test_a_drug_cms_prices_as_noc_is_confirmed_no_code_yet(warehouse_2025q4: Settings,
                                                           tmp_path: Path) -> None:
    with warehouse.open_writer(warehouse_2025q4) as con:
        insert(con, "noc_pricing", [
            {"quarter": "2025Q4", "line_no": 13, "drug_name": "Garadacimab-gxii (Andembry)",
             "dosage": "200 mg", "payment_limit": 12345.678, "payment_limit_raw": "12345.678"},
            {"quarter": "2025Q4", "line_no": 14, "drug_name": "Nipocalimab-aahu (Imaavy)",
             "dosage": "1 mg", "payment_limit": 10.5, "payment_limit_raw": "10.500"}])
        insert(con, "noc_crosswalk", [
            {"quarter": "2025Q4", "line_no": 10, "generic_name": "Nipocalimab-aahu",
             "ndc_raw": "0078-0900-61", "ndc11": "00078090061", "drug_name": "Imaavy"}])
    outcome = run(warehouse_2025q4, tmp_path, "Andembry,,,J3590,200 mg,,,,",
                  "Imaavy (nipocalimab-aahu) 300mg vial,,00078-0900-61,J3590,,,,,",
                  "ublituximab-xiiy,,,J3590,,,,,")
    by_name, by_ndc, coded = (alert(outcome, row) for row in (2, 3, 4))
    assert by_name["verdict"] == "NO_CODE_YET"
    assert float(by_name["noc_payment_limit"]) == pytest.approx(12345.678)
    assert by_name["noc_dosage"] == "200 mg"
    assert "CMS prices Garadacimab-gxii (Andembry) as a NOC drug in 2025Q4" in by_name["evidence"]
    assert (by_ndc["verdict"], by_ndc["noc_dosage"]) == ("NO_CODE_YET", "1 mg")
    assert "C9305 is for hospital outpatient claims only" in by_ndc["hints"]
    assert coded["verdict"] == "PAST_DUE" and coded["noc_payment_limit"] is None


def test_inactive_drugs_are_matched_but_never_counted(warehouse_2025q4: Settings,
                                                      tmp_path: Path) -> None:
    outcome = run(warehouse_2025q4, tmp_path, "ublituximab-xiiy,,,J3590,,,,,no",
                  "tocilizumab-anoh,,,J3590,,,,,yes")
    assert alert(outcome, 2)["verdict"] == "PAST_DUE" and alert(outcome, 2)["active"] is False
    table = outcome.table()
    assert "PAST_DUE (inactive)" in table
    assert "1 NEW_CODE; 1 inactive on your list (not counted)" in table


def test_a_code_announced_ahead_is_an_early_warning(warehouse_2025q4: Settings,
                                                    tmp_path: Path) -> None:
    """CMS posts the January file in November: run then, a NEW_CODE says when it starts."""
    path = drugs_csv(tmp_path, "tocilizumab-anoh,Avtozma,,J3590,,,,,")
    early = match.match_practice(warehouse_2025q4, Quarter.parse("2025Q4"), path,
                                 today=D(2025, 9, 15))
    assert early.early_warning() == (
        "Early warning: the 2025Q4 release takes effect on 2025-10-01: bill the new code for "
        "dates of service from then; keep the NOC code through 2025-09-30")
    assert early.early_warning() in early.table().splitlines()
    ahead = alert(early)
    assert (ahead["verdict"], ahead["new_code"]) == ("NEW_CODE", "Q5156")
    assert ahead["action"].startswith("Takes effect on 2025-10-01: bill Q5156 for dates of "
                                      "service from then")
    assert "keep J3590 until 2025-09-30" in ahead["action"]
    in_force = match.match_practice(warehouse_2025q4, Quarter.parse("2025Q4"), path,
                                    today=D(2025, 10, 2))
    assert in_force.early_warning() is None and "Early warning" not in in_force.table()
    assert alert(in_force)["action"].startswith("Switch to Q5156 for dates of service on or after")


def test_asp_files_not_posted_yet_are_named(settings: Settings, tmp_path: Path) -> None:
    """A quarter loaded from its HCPCS file alone: name matching runs; the missing payment
    limit says the ASP files are not posted yet rather than that the code has none."""
    with warehouse.open_writer(settings) as con:
        load_release(con, "2025Q3", crosswalk=[r for r in CROSSWALK if r[0] == "2021Q4"])
        load_release(con, "2025Q4", crosswalk=[], prices=[])
    outcome = run(settings, tmp_path, "tocilizumab-anoh,,,J3590,,,,,",
                  "Neulasta,,55513-0190-01,J3590,,,,,")
    found, earlier = alert(outcome, 2), alert(outcome, 3)
    assert found["verdict"] == "NEW_CODE" and found["asp_payment_limit"] is None
    assert "ASP files not posted yet: no 2025Q4 payment limit file is loaded" in found["hints"]
    assert (earlier["verdict"], earlier["new_code"]) == ("CODE_ENDED", "J2505")  # 2021 crosswalk
    assert "no 2025Q4 NDC-HCPCS crosswalk is loaded, the NDC was looked up in earlier ones" in (
        earlier["hints"])
