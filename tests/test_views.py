"""The analyst views of sql/views/ on small releases written straight into the tables.

The scenario is hand-built so every expected row below was worked out by reading the two
snapshots, not by running the SQL: 2025Q2 and 2025Q4 are loaded (2025Q3 is not), so the
diff of 2025Q4 is against 2025Q2, the previous LOADED release, and says so (compared_with,
quarters_skipped).
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import duckdb
import pandas as pd
import pytest

from crosswalk import warehouse

Q2, Q4 = "2025Q2", "2025Q4"

# code -> (long description, add date, term date, xref1, xref2) per release
RELEASE_Q2 = {
    "J1000": ("Injection, alphamab, 10 mg", date(2020, 1, 1), None, None, None),
    "J1001": ("Injection, betamab, 5 mg", date(2021, 1, 1), None, None, None),
    "J1002": ("Injection, gammamab, 2 mg", date(2019, 1, 1), date(2025, 6, 30), None, None),
    "J1003": ("Injection, deltamab, 100 units", date(2018, 1, 1), None, None, None),
    "J1004": ("Injection, epsilonmab, 1 mg", date(2015, 1, 1), date(2021, 12, 31), None, None),
    "J1005": ("Injection, zetamab (brand), 1 mg", date(2022, 1, 1), None, None, None),
    "J1006": ("Injection,  etamab,   1 mg", date(2022, 7, 1), None, None, None),
    "J1007": ("Injection, thetamab, 1,000 units", date(2025, 5, 15), None, None, None),
    "J1008": ("Injection, iotamab, per 1mg", date(2022, 7, 1), None, None, None),
    "G0442": ("Annual alcohol misuse screening, 15 minutes", date(2011, 10, 1), None, None, None),
    "J3590": ("Unclassified biologics", date(2002, 1, 1), None, None, None),
}
RELEASE_Q4 = {
    "J1000": ("Injection, alphamab, 1 mg", date(2020, 1, 1), None, None, None),
    "J1001": ("Injection, betamab, 5 mg", date(2021, 1, 1), date(2025, 12, 31), "J9000", "J9001"),
    "J1002": ("Injection, gammamab, 2 mg", date(2019, 1, 1), None, None, None),
    "J1005": ("Injection, zetamab (brandx), 1 mg", date(2022, 1, 1), None, None, None),
    "J1006": ("Injection, etamab, 1 mg", date(2022, 7, 1), None, None, None),
    "J1007": ("Injection, thetamab, 1,000 units", date(2025, 5, 15), None, None, None),
    "J1008": ("Injection, iotamab, 1 mg", date(2022, 7, 1), None, None, None),
    "G0442": ("Annual alcohol misuse screening, 5 to 15 minutes", date(2011, 10, 1), None, None,
              None),
    "J3590": ("Unclassified biologics", date(2002, 1, 1), None, None, None),
    "Q5150": ("Injection, kappamab-abcd, biosimilar, (kapbrand), 10 mg", date(2025, 10, 1),
              None, None, None),
    "A4000": ("Supply, sterile gauze", date(2025, 10, 1), None, None, None),
}
MODIFIERS = {Q2: ["A1"], Q4: ["A1", "ZZ"]}


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    frame = pd.DataFrame(rows)
    con.register("incoming", frame)
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
    con.unregister("incoming")


def code_rows(quarter: str, release: dict) -> list[dict]:
    rows = [{"quarter": quarter, "code": code, "is_modifier": False, "long_description": text,
             "add_date": added, "action_eff_date": date(2025, 1, 1), "term_date": ended,
             "xref1": xref1, "xref2": xref2, "source_sha256": f"sha-{quarter}",
             "source_member": "HCPC.txt"}
            for code, (text, added, ended, xref1, xref2) in release.items()]
    rows += [{"quarter": quarter, "code": code, "is_modifier": True,
              "long_description": f"Modifier {code}", "add_date": None,
              "action_eff_date": date(2024, 4, 1), "term_date": None, "xref1": None,
              "xref2": None, "source_sha256": f"sha-{quarter}", "source_member": "HCPC.txt"}
             for code in MODIFIERS[quarter]]
    return rows


@pytest.fixture
def con(settings):
    con = warehouse.connect(settings)
    insert_rows(con, "hcpcs_codes", code_rows(Q2, RELEASE_Q2) + code_rows(Q4, RELEASE_Q4))
    provenance = {"source_sha256": "sha-asp", "source_member": "asp.csv"}
    insert_rows(con, "asp_payment_limits", [
        {"quarter": Q4, "hcpcs_code": "Q5150", "dosage": "10 MG", "payment_limit": 55.5,
         "payment_limit_raw": "55.500", "notes": "Added October 2025", **provenance},
        {"quarter": Q2, "hcpcs_code": "J1000", "dosage": "10 MG", "payment_limit": 9.0,
         "payment_limit_raw": "9.000", **provenance},
        {"quarter": Q4, "hcpcs_code": "J1007", "dosage": "1000 U", "payment_limit": 12.25,
         "payment_limit_raw": "12.250", **provenance},
    ])
    insert_rows(con, "asp_ndc_crosswalk", [
        {"quarter": Q4, "line_no": 10, "hcpcs_code": "Q5150", "ndc_raw": "12345-6789-01",
         "ndc11": "12345678901", "drug_name": "Kapbrand ", **provenance},
        {"quarter": Q4, "line_no": 11, "hcpcs_code": "Q5150", "ndc_raw": "12345-6789-02",
         "ndc11": "12345678902", "drug_name": "Kapbrand", **provenance},
        {"quarter": Q4, "line_no": 12, "hcpcs_code": "J1007", "ndc_raw": "GG100",
         "ndc11": None, "drug_name": "Thetabrand", **provenance},
        {"quarter": Q2, "line_no": 10, "hcpcs_code": "J1000", "ndc_raw": "11111-2222-33",
         "ndc11": "11111222233", "drug_name": "Alphabrand", **provenance},
    ])
    yield con
    con.close()


def test_hcpcs_changes_matches_the_hand_checked_diff(con):
    rows = con.execute(
        "SELECT quarter, compared_with, quarters_skipped, code, is_modifier, change, old_value, "
        "new_value, effective_date, in_release FROM hcpcs_changes ORDER BY code, change"
    ).fetchall()
    q4 = (Q4, Q2, 1)  # 2025Q3 lies between, not loaded
    assert rows == [
        (*q4, "A4000", False, "added", None, "Supply, sterile gauze", date(2025, 10, 1), True),
        # a new time unit on a non-drug code is a descriptor change only
        (*q4, "G0442", False, "descriptor_changed",
         "Annual alcohol misuse screening, 15 minutes",
         "Annual alcohol misuse screening, 5 to 15 minutes", date(2025, 1, 1), True),
        (*q4, "J1000", False, "descriptor_changed", "Injection, alphamab, 10 mg",
         "Injection, alphamab, 1 mg", date(2025, 1, 1), True),
        (*q4, "J1000", False, "dose_unit_changed", "10 mg", "1 mg", date(2025, 1, 1), True),
        (*q4, "J1001", False, "discontinued", None, "2025-12-31", date(2025, 12, 31), True),
        (*q4, "J1002", False, "reactivated", "2025-06-30", None, date(2025, 1, 1), True),
        (*q4, "J1003", False, "discontinued", None, None, None, False),
        (*q4, "J1004", False, "removed", "2021-12-31", None, None, False),
        (*q4, "J1005", False, "descriptor_changed", "Injection, zetamab (brand), 1 mg",
         "Injection, zetamab (brandx), 1 mg", date(2025, 1, 1), True),
        # 'per 1mg' -> '1 mg' is the same billing unit: descriptor change only
        (*q4, "J1008", False, "descriptor_changed", "Injection, iotamab, per 1mg",
         "Injection, iotamab, 1 mg", date(2025, 1, 1), True),
        (*q4, "Q5150", False, "added", None,
         "Injection, kappamab-abcd, biosimilar, (kapbrand), 10 mg", date(2025, 10, 1), True),
        (*q4, "ZZ", True, "added", None, "Modifier ZZ", date(2024, 4, 1), True),
    ]


def test_the_first_loaded_release_is_a_baseline_without_diff_rows(con):
    assert con.execute("SELECT count(*) FROM hcpcs_changes WHERE quarter = ?", [Q2]
                       ).fetchone() == (0,)


def test_hcpcs_current_holds_only_the_newest_release(con):
    quarters = con.execute("SELECT DISTINCT quarter FROM hcpcs_current").fetchall()
    count = con.execute("SELECT count(*) FROM hcpcs_current").fetchone()[0]
    assert quarters == [(Q4,)]
    assert count == len(RELEASE_Q4) + len(MODIFIERS[Q4])


def test_hcpcs_history_gives_validity_and_successors(con):
    history = {row[0]: row[1:] for row in con.execute(
        "SELECT code, valid_from, valid_to, replaced_by, replaced_by_codes, first_seen_quarter, "
        "last_seen_quarter, releases_seen, in_current_release, long_description "
        "FROM hcpcs_history WHERE NOT is_modifier").fetchall()}
    assert history["J1001"] == (date(2021, 1, 1), date(2025, 12, 31), "J9000",
                                ["J9000", "J9001"], Q2, Q4, 2, True, "Injection, betamab, 5 mg")
    assert history["J1003"][5:8] == (Q2, 1, False)
    assert history["J1000"][-1] == "Injection, alphamab, 1 mg"  # the newest descriptor
    assert history["Q5150"][4:6] == (Q4, Q4)
    modifier = con.execute("SELECT valid_from, replaced_by FROM hcpcs_history "
                           "WHERE code = 'A1' AND is_modifier").fetchone()
    assert modifier == (date(2024, 4, 1), None)  # no ADD DT: falls back to ACT EFF DT


def test_drug_codes_new_lists_new_drug_codes_with_asp_and_ndcs(con):
    rows = con.execute(
        "SELECT quarter, code, dose, effective_date, asp_payment_limit, "
        "latest_asp_payment_limit, latest_asp_quarter, crosswalk_quarter, ndc11_list, "
        "ndc_raw_list, drug_names, ndc_count FROM drug_codes_new ORDER BY quarter, code"
    ).fetchall()
    assert rows == [
        # ADD DT inside 2025Q2; ASP lists it only later (2025Q4)
        (Q2, "J1007", "1000 units", date(2025, 5, 15), None, Decimal("12.250"),
         Q4, Q4, [], ["GG100"], ["Thetabrand"], 1),
        # A4000 (a supply) and the ZZ modifier were added too, but are not drug codes; J1007
        # is in 2025Q4's file too, but its ADD DT is not in 2025Q4: not new there
        (Q4, "Q5150", "10 mg", date(2025, 10, 1), Decimal("55.500"),
         Decimal("55.500"), Q4, Q4, ["12345678901", "12345678902"],
         ["12345-6789-01", "12345-6789-02"], ["Kapbrand"], 2),
    ]


def test_asp_latest_keeps_the_newest_quarter_per_code(con):
    rows = con.execute("SELECT hcpcs_code, quarter, payment_limit FROM asp_latest "
                       "ORDER BY hcpcs_code").fetchall()
    assert rows == [("J1000", Q2, Decimal("9.000")), ("J1007", Q4, Decimal("12.250")),
                    ("Q5150", Q4, Decimal("55.500"))]


@pytest.fixture(scope="module")
def macros():
    """An in-memory warehouse: the macros of sql/views/00_functions.sql need no data."""
    with warehouse.connect(":memory:") as con:
        yield con


@pytest.mark.parametrize("descriptor, dose", [
    ("Injection, pembrolizumab, 1 mg", "1 mg"),
    ("Injection, epoetin alfa, (for non-esrd use), 1000 units", "1000 units"),
    ("Injection, factor, 1,000 units", "1000 units"),
    ("Cinacalcet, oral, 1 mg, (for esrd on dialysis)", "1 mg"),
    ("Injection, x (hikma), not therapeutically equivalent to j0131, 10 mg", "10 mg"),
    ("Injection, edetate calcium disodium, up to 1000 mg", "up to 1000 mg"),
    ("Injection, valoctocogene roxaparvovec-rvox, per ml, containing 2 x 10^13 genomes",
     "per ml"),
    ("Unclassified biologics", None),
])
def test_hcpcs_dose_reads_the_billing_unit(macros, descriptor, dose):
    assert macros.execute("SELECT hcpcs_dose(?)", [descriptor]).fetchone() == (dose,)


@pytest.mark.parametrize("first, second, same", [
    ("per 1mg", "1 mg", True),
    ("per iu", "1 i.u.", True),
    ("per ml", "1 ml", True),
    ("10 mg", "1 mg", False),
    ("0.5 mg", "5 mg", False),
    ("up to 5 mg", "5 mg", False),
])
def test_dose_key_ignores_spelling_only(macros, first, second, same):
    assert macros.execute("SELECT dose_key(?) = dose_key(?)", [first, second]
                          ).fetchone() == (same,)


# ---------------------------------------------------------------------------------------------
# Real files: drug codes decided on every code of the October 2025 release, and history with
# a gap (the 2016 annual release and October 2025 loaded, nothing between)
# ---------------------------------------------------------------------------------------------

NOT_DRUGS = {  # real Oct 2025 codes in drug families whose descriptors are services or devices
    "C9762": "cardiac magnetic resonance imaging", "Q9001": "assessment by chaplain",
    "Q0516": "pharmacy supply fee", "Q0521": "pharmacy dispensing fee",
    "Q0081": "infusion therapy, per visit", "A9293": "fertility tracking software",
    "C9744": "ultrasound with contrast", "Q5001": "hospice care", "Q4001": "casting supplies",
    "Q0477": "ventricular assist device part", "C9800": "dermal injection procedure",
}


@pytest.mark.real_samples
def test_drug_codes_are_decided_on_every_code_of_the_real_release(real_2025q4, cms_samples):
    import csv

    priced = set()
    for folder, name in (("asp/pricing", "section 508 version of Oct 2025 ASP Pricing File "
                                         "091725.csv"),
                         ("asp/crosswalk", "section 508 version of October 2025 ASP NDC-HCPCS "
                                           "Crosswalk 090525.csv")):
        text = (cms_samples / folder / name).read_text(encoding="cp1252")
        priced |= {row[0].strip() for row in list(csv.reader(io.StringIO(text)))[9:] if row}
    with warehouse.connect(real_2025q4.db_path, read_only=True) as con:
        verdict = dict(con.execute(
            "SELECT code, is_drug_code(code, long_description) FROM hcpcs_codes "
            "WHERE quarter = '2025Q4' AND NOT is_modifier").fetchall())
        new = con.execute("SELECT count(*), count(*) FILTER (WHERE code LIKE 'Q51%') "
                          "FROM drug_codes_new WHERE quarter = '2025Q4'").fetchone()
    assert len(verdict) == 8463
    in_families = {code for code in verdict if code[:1] in "JQ" or code[:2] in ("C9", "A9")}
    # every code CMS prices or crosswalks as a Part B drug is a drug code...
    missed = sorted(code for code in priced & in_families if not verdict[code])
    assert not missed
    # ...every J code is one, and the services and devices of the same families are not
    assert all(verdict[code] for code in verdict if code.startswith("J"))
    assert not [code for code in NOT_DRUGS if verdict[code]]
    assert not any(verdict[code] for code in verdict if code not in in_families)
    # Q3027 / Q3028 interferon beta-1a (intramuscular / subcutaneous) are drugs beside J1826:
    # without them an SC interferon beta-1a row was switched to J1826
    assert verdict["Q3027"] and verdict["Q3028"] and not verdict["Q3014"]
    # the release's new drug codes: ADD DT in the quarter (52 in the file, 6 biosimilars)
    assert new == (52, 6)


@pytest.mark.real_samples
def test_history_with_a_gap_never_misleads(cms_samples, tmp_path):
    """2016 and 2025Q4 loaded alone: new codes are still the file's own, and the changes
    name the release they compare with and the quarters skipped."""
    import cms_builders as cms
    from conftest import archive_and_load

    from crosswalk.settings import Settings

    settings = Settings(data_dir=tmp_path / "data")
    annual = cms_samples / "hcpcs" / "2016-annual" / "HCPC2016_CONTR_ANWEB.txt"
    october = cms_samples / "hcpcs" / "HCPC2025_OCT_ANWEB.xlsx"
    archive_and_load(settings, {
        "2016Q1": {"hcpcs": cms.build_zip({annual.name: annual.read_bytes()})},
        "2025Q4": {"hcpcs": cms.build_zip({"HCPC2025_OCT_ANWEB_v3.xlsx": october.read_bytes()})},
    })
    with warehouse.connect(settings.db_path, read_only=True) as con:
        new = con.execute("SELECT count(*) FROM drug_codes_new WHERE quarter = '2025Q4'"
                          ).fetchone()[0]
        ended_new = con.execute("SELECT count(*) FROM drug_codes_new WHERE quarter = '2025Q4' "
                                "AND term_date IS NOT NULL").fetchone()[0]
        compared = con.execute("SELECT DISTINCT compared_with, quarters_skipped "
                               "FROM hcpcs_changes WHERE quarter = '2025Q4'").fetchall()
        c9058 = con.execute("SELECT count(*) FROM drug_codes_new WHERE code = 'C9058'"
                            ).fetchone()[0]
    assert new == 52 and ended_new == 0
    assert c9058 == 0  # added 2019, ended 2020-06-30: not new in 2025Q4
    assert compared == [("2016Q1", 38)]
