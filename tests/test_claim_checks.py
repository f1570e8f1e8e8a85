"""The claim-line pre-check against the real October 2025 CMS files: every finding, both paths.

One 837P file and one CSV export carry the same claims (tests/claim_builders.py writes both
from one description; pyx12 validates the 837P). The claims use real codes, NDCs, dates and
payment limits from the Oct 2025 HCPCS, ASP pricing and NDC-HCPCS crosswalk files (loaded by
the `real_2025q4` fixture in tests/conftest.py, with the Jan 2025 crosswalk): Briumvi under
J3590 after J2329 (2023-07-01), Riabni under J9999 after Q5123, Leqembi a day before and on
J0174's mid-quarter effective date (2023-07-06), Imaavy under C9399 in hospital outpatient
after C9305, Datroway under J3590 before J9011, J9011 the day before it starts, C9302 after
it ended (successor J9276), belantamab J9037 ended without a successor, Wezlana (two codes:
the matcher says REVIEW). Each claim is built to raise exactly the findings listed in
EXPECTED, so every rule is tested on its own and as part of the whole.
"""

from __future__ import annotations

import logging
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

import claim_builders as cb
from crosswalk import claim_checks, match
from crosswalk.cli import main
from crosswalk.errors import BadInput
from crosswalk.settings import EXAMPLE_DRUGS, Settings

pytestmark = pytest.mark.real_samples
D = date
OCT15 = D(2025, 10, 15)
BRIUMVI, RIABNI, LEQEMBI = "73150015006", "55513022401", "62856021501"
DATROWAY, ZIIHERA = "65597080101", "68727095002"


def infusion(day: date) -> cb.ServiceLine:
    return cb.ServiceLine("96365", 1, day)


def clean(claim_id: str, line: cb.ServiceLine, *, pos: str = "11", prior_auth: str | None = "PA1",
          admin: bool = True) -> cb.Claim:
    """A claim with the drug line and, unless told otherwise, an administration code on the
    same day and a prior authorisation: only the drug line's own faults remain."""
    lines = [line, infusion(line.dos)] if admin else [line]
    return cb.Claim(claim_id, lines, pos=pos, prior_auth=prior_auth)


CLAIMS = [
    clean("NOC-BRIUMVI", cb.ServiceLine("J3590", 1, OCT15, ("JZ",),
                                        "ublituximab-xiiy (Briumvi) 450 mg", ndc=BRIUMVI,
                                        ndc_quantity=3, ndc_unit="UN")),
    clean("NOC-NDC-ONLY", cb.ServiceLine("J3590", 1, OCT15, ("JZ",), "450 mg IV", ndc=BRIUMVI,
                                         ndc_quantity=3, ndc_unit="UN")),
    clean("NOC-RIABNI", cb.ServiceLine("J9999", 1, D(2025, 10, 20), ("JZ",),
                                       note="rituximab-arrx (Riabni) 700 mg")),
    clean("LEQEMBI-DAY-BEFORE", cb.ServiceLine("J3490", 1, D(2023, 7, 5), ("JZ",),
                                               "lecanemab-irmb (Leqembi) 500 mg", ndc=LEQEMBI,
                                               ndc_quantity=1, ndc_unit="UN")),
    clean("LEQEMBI-ON-THE-DAY", cb.ServiceLine("J3490", 1, D(2023, 7, 6), ("JZ",),
                                               "lecanemab-irmb (Leqembi) 500 mg", ndc=LEQEMBI,
                                               ndc_quantity=1, ndc_unit="UN")),
    clean("IMAAVY-HOPD", cb.ServiceLine("C9399", 1, OCT15, ("JZ",),
                                        "nipocalimab-aahu (Imaavy) 1200 mg"), pos="22"),
    clean("C9399-OFFICE", cb.ServiceLine("C9399", 1, OCT15, ("JZ",),
                                         "nipocalimab-aahu (Imaavy) 1200 mg")),
    clean("NAME-NDC-CONFLICT", cb.ServiceLine("J3590", 1, OCT15, ("JZ",),
                                              "rituximab-arrx (Riabni) 700 mg", ndc=BRIUMVI,
                                              ndc_quantity=3, ndc_unit="UN")),
    clean("DATROWAY-J3590", cb.ServiceLine("J3590", 1, D(2025, 9, 15), ("JZ",),
                                           "datopotamab deruxtecan-dlnk (Datroway) 360 mg",
                                           ndc=DATROWAY, ndc_quantity=360, ndc_unit="ME")),
    clean("J9011-EARLY", cb.ServiceLine("J9011", 360, D(2025, 9, 30), ("JZ",), ndc=DATROWAY,
                                        ndc_quantity=360, ndc_unit="ME"), pos="22"),
    clean("C9302-ENDED", cb.ServiceLine("C9302", 900, OCT15, ("JZ",), ndc=ZIIHERA,
                                        ndc_quantity=1800, ndc_unit="ME"), pos="22"),
    clean("J9037-ENDED", cb.ServiceLine("J9037", 500, OCT15, ("JZ",))),
    clean("J3599-UNKNOWN", cb.ServiceLine("J3599", 1, OCT15, ("JZ",))),
    clean("WEZLANA-REVIEW", cb.ServiceLine("J3590", 1, OCT15, ("JZ",),
                                           "ustekinumab-auub (Wezlana) 90 mg")),
    clean("WEZLANA-SC", cb.ServiceLine("J3590", 1, OCT15, ("JZ",),
                                       "ustekinumab-auub (Wezlana) 90 mg SC")),
    clean("TYENNE-MESSY", cb.ServiceLine("J3590", 1, OCT15, ("JZ",),
                                         "INJ, TOCILIZUMAB-AAZG 20MG/ML; 560 mg IV")),
    clean("NO-NARRATIVE", cb.ServiceLine("J3590", 1, OCT15, ("JZ",))),
    clean("FILLER-NARRATIVE", cb.ServiceLine("J3590", 1, OCT15, ("JZ",), "inj 1 vial")),
    clean("NDC-10-DIGITS", cb.ServiceLine("J2329", 450, OCT15, ("JZ",), ndc="7315015006",
                                          ndc_quantity=3, ndc_unit="UN")),
    clean("NDC-OF-RIABNI", cb.ServiceLine("J9312", 70, OCT15, ("JZ",), ndc=RIABNI,
                                          ndc_quantity=7, ndc_unit="UN")),
    clean("NO-ADMIN", cb.ServiceLine("J2329", 450, OCT15, ("JZ",), ndc=BRIUMVI, ndc_quantity=3,
                                     ndc_unit="UN"), admin=False),
    cb.Claim("ADMIN-NEXT-DAY", [cb.ServiceLine("J2329", 450, OCT15, ("JZ",), ndc=BRIUMVI,
                                               ndc_quantity=3, ndc_unit="UN"),
                                infusion(D(2025, 10, 16))], prior_auth="PA1"),
    clean("UNITS-45", cb.ServiceLine("J2329", 45, OCT15, ("JZ",), "Briumvi 450 mg", ndc=BRIUMVI,
                                     ndc_quantity=3, ndc_unit="UN")),
    clean("NOC-3-UNITS", cb.ServiceLine("J3590", 3, D(2023, 6, 15), (), "ublituximab-xiiy 450 mg",
                                        ndc=BRIUMVI, ndc_quantity=3, ndc_unit="UN")),
    clean("NOC-NO-PA", cb.ServiceLine("J3590", 1, D(2023, 6, 15), (), "ublituximab-xiiy 450 mg",
                                      ndc=BRIUMVI, ndc_quantity=3, ndc_unit="UN"),
          prior_auth=None),
    clean("NO-JW-JZ", cb.ServiceLine("J2329", 450, OCT15, (), "Briumvi 450 mg", ndc=BRIUMVI,
                                     ndc_quantity=3, ndc_unit="UN")),
    clean("CLEAN-2023", cb.ServiceLine("Q5123", 70, D(2023, 6, 15), (), "Riabni 700 mg",
                                       ndc=RIABNI, ndc_quantity=7, ndc_unit="UN")),
    clean("CLEAN-2025", cb.ServiceLine("J2329", 450, OCT15, ("JZ",), "Briumvi 450 mg",
                                       ndc=BRIUMVI, ndc_quantity=3, ndc_unit="UN")),
    cb.Claim("C9302-RANGE", [cb.ServiceLine("C9302", 900, D(2025, 6, 30), ("JZ",),
                                            dos_through=D(2025, 7, 1)),
                             cb.ServiceLine("96413", 1, D(2025, 6, 30), dos_through=D(2025, 7, 1))],
             pos="22", prior_auth="PA1"),
    cb.Claim("DATROWAY-RANGE", [cb.ServiceLine("J9999", 1, D(2025, 9, 29), ("JZ",),
                                               "Datroway 360 mg", ndc=DATROWAY, ndc_quantity=360,
                                               ndc_unit="ME", dos_through=D(2025, 10, 1)),
                                cb.ServiceLine("96413", 1, D(2025, 9, 29),
                                               dos_through=D(2025, 10, 1))], prior_auth="PA1"),
    clean("JG-AFTER-2024", cb.ServiceLine("J2329", 450, OCT15, ("JZ", "JG"), "Briumvi 450 mg",
                                          ndc=BRIUMVI, ndc_quantity=3, ndc_unit="UN")),
    cb.Claim("WASTE-ON-JW-LINE", [
        cb.ServiceLine("J2329", 300, OCT15, (), "Briumvi 300 mg", ndc=BRIUMVI, ndc_quantity=2,
                       ndc_unit="UN"),
        cb.ServiceLine("J2329", 150, OCT15, ("JW",), "Briumvi 150 mg discarded", ndc=BRIUMVI,
                       ndc_quantity=1, ndc_unit="UN"),
        infusion(OCT15)], prior_auth="PA1"),
    cb.Claim("DEPENDANT", [cb.ServiceLine("J2329", 450, OCT15, ("JZ",), "Briumvi 450 mg",
                                          ndc=BRIUMVI, ndc_quantity=3, ndc_unit="UN"),
                           infusion(OCT15)], prior_auth="PA1", other_payer="AETNA",
             patient=cb.Patient(last="YYBRIGHTWATER", first="OTTOLINE", member_id="",
                                street="9 QUAIL RUN", city="MEADOWBRIAR",
                                birth_date="20100505")),
]
# claim -> {(line, finding, severity)}: what each claim must raise, nothing more
EXPECTED: dict[str, set[tuple[int, str, str]]] = {
    "NOC-BRIUMVI": {(1, "NOC_AFTER_EFFECTIVE", "error")},
    "NOC-NDC-ONLY": {(1, "NOC_AFTER_EFFECTIVE", "error"), (1, "NOC_NARRATIVE_MISSING", "error")},
    "NOC-RIABNI": {(1, "NOC_AFTER_EFFECTIVE", "error"), (1, "NDC_MISSING", "error")},
    "LEQEMBI-DAY-BEFORE": {(1, "NOC_FAMILY", "warning")},
    "LEQEMBI-ON-THE-DAY": {(1, "NOC_AFTER_EFFECTIVE", "error")},
    "IMAAVY-HOPD": {(1, "NOC_AFTER_EFFECTIVE", "error"), (1, "NDC_MISSING", "error")},
    "C9399-OFFICE": {(1, "C_CODE_OFFICE", "error"), (1, "NDC_MISSING", "error")},
    "NAME-NDC-CONFLICT": {(1, "NOC_DRUG_NOT_IDENTIFIED", "warning")},
    "DATROWAY-J3590": {(1, "NOC_FAMILY", "warning")},
    "J9011-EARLY": {(1, "CODE_NOT_YET_EFFECTIVE", "error")},
    "C9302-ENDED": {(1, "CODE_ENDED", "error"), (1, "NDC_CODE_MISMATCH", "error")},
    "J9037-ENDED": {(1, "CODE_ENDED", "error"), (1, "NDC_MISSING", "warning")},
    "J3599-UNKNOWN": {(1, "UNKNOWN_CODE", "error"), (1, "NDC_MISSING", "warning")},
    "WEZLANA-REVIEW": {(1, "NOC_DRUG_NOT_IDENTIFIED", "warning"), (1, "NDC_MISSING", "error")},
    "WEZLANA-SC": {(1, "NOC_AFTER_EFFECTIVE", "error"), (1, "NDC_MISSING", "error")},
    "TYENNE-MESSY": {(1, "NOC_AFTER_EFFECTIVE", "error"), (1, "NDC_MISSING", "error")},
    "NO-NARRATIVE": {(1, "NOC_NARRATIVE_MISSING", "error"), (1, "NDC_MISSING", "error")},
    "FILLER-NARRATIVE": {(1, "NOC_NARRATIVE_MISSING", "error"), (1, "NDC_MISSING", "error")},
    "NDC-10-DIGITS": {(1, "NDC_INVALID", "error")},
    "NDC-OF-RIABNI": {(1, "NDC_CODE_MISMATCH", "error")},
    "NO-ADMIN": {(1, "ADMIN_CODE_MISSING", "error")},
    "ADMIN-NEXT-DAY": {(1, "ADMIN_CODE_MISSING", "error")},
    "UNITS-45": {(1, "UNITS_MISMATCH", "warning")},
    "NOC-3-UNITS": {(1, "UNITS_MISMATCH", "warning")},
    "NOC-NO-PA": {(1, "PA_MISSING", "warning")},
    "NO-JW-JZ": {(1, "JW_JZ_MISSING", "warning")},
    "C9302-RANGE": {(1, "CODE_ENDED", "error"), (1, "NDC_MISSING", "warning")},
    "DATROWAY-RANGE": {(1, "NOC_AFTER_EFFECTIVE", "error")},
    "JG-AFTER-2024": {(1, "MODIFIER_INVALID", "error")},
    "WASTE-ON-JW-LINE": set(),
    "CLEAN-2023": set(),
    "CLEAN-2025": set(),
    "DEPENDANT": set(),
}
PATIENTS = [claim.subscriber for claim in CLAIMS] + [c.patient for c in CLAIMS if c.patient]


@pytest.fixture(scope="module")
def claim_files(real_2025q4: Settings, tmp_path_factory: pytest.TempPathFactory
                ) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("claims")
    files = cb.write_both(folder, "october-claims", CLAIMS, per_transaction=10)
    assert cb.pyx12_problems(files["837p"]) == []
    files["837p"] = files["837p"].rename(folder / "october-claims-837.txt")  # any extension
    return files


@pytest.fixture(scope="module")
def checked(real_2025q4: Settings, claim_files: dict[str, Path]
            ) -> dict[str, claim_checks.CheckedFile]:
    match.match_practice(real_2025q4, None, EXAMPLE_DRUGS)  # PAST_DUE drugs for the Summary
    return {kind: claim_checks.check_file(real_2025q4, path) for kind, path in claim_files.items()}


def findings(settings: Settings, file_id: int) -> list[dict[str, Any]]:
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        cursor = con.execute(
            "SELECT l.claim_id, l.line_no, l.date_of_service, l.hcpcs, x.* EXCLUDE (file_id) "
            "FROM claim_findings x JOIN claim_lines l USING (file_id, line_seq) "
            "WHERE file_id = ? ORDER BY l.line_seq, x.finding", [file_id])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def by_claim(rows: list[dict[str, Any]]) -> dict[str, set[tuple[int, str, str]]]:
    found: dict[str, set[tuple[int, str, str]]] = {claim.claim_id: set() for claim in CLAIMS}
    for row in rows:
        found[row["claim_id"]].add((row["line_no"], row["finding"], row["severity"]))
    return found


def one(rows: list[dict[str, Any]], claim_id: str, finding: str) -> dict[str, Any]:
    [row] = [r for r in rows if r["claim_id"] == claim_id and r["finding"] == finding]
    return row


@pytest.fixture(scope="module", params=["837p", "csv"])
def rows(request: pytest.FixtureRequest, real_2025q4: Settings,
         checked: dict[str, claim_checks.CheckedFile]) -> list[dict[str, Any]]:
    return findings(real_2025q4, checked[request.param].file_id)


# ---------------------------------------------------------------------------------------------
# Every finding, on the claims built for it, through both paths


@pytest.mark.parametrize("finding", list(claim_checks.FINDINGS))
def test_each_finding_is_raised_exactly_where_expected(rows, finding):
    expected = {claim: {f for f in found if f[1] == finding} for claim, found in EXPECTED.items()}
    actual = {claim: {f for f in found if f[1] == finding}
              for claim, found in by_claim(rows).items()}
    assert actual == expected
    assert any(expected.values()), f"no test claim raises {finding}"


def test_clean_claims_and_administration_lines_raise_nothing(rows):
    assert by_claim(rows) == EXPECTED
    assert not [row for row in rows if row["hcpcs"] == "96365"]


def test_the_837p_and_the_export_give_the_same_findings(real_2025q4, checked):
    x12_rows, csv_rows = (findings(real_2025q4, checked[kind].file_id) for kind in ("837p", "csv"))
    drop = {"line_seq"}
    assert [{k: v for k, v in row.items() if k not in drop} for row in x12_rows] == \
        [{k: v for k, v in row.items() if k not in drop} for row in csv_rows]


def test_noc_after_effective_says_why_and_what_to_bill(rows):
    briumvi = one(rows, "NOC-BRIUMVI", "NOC_AFTER_EFFECTIVE")
    assert briumvi["message"] == ("J3590 on 2025-10-15, but J2329 (ublituximab-xiiy) has "
                                  "applied since 2023-07-01: bill J2329 x 450 units")
    assert (briumvi["correct_code"], briumvi["correct_units"], briumvi["effective_date"]) == (
        "J2329", 450.0, D(2023, 7, 1))
    # 450 units x the Oct 2025 ASP limit of J2329 ($70.753)
    assert (briumvi["payment_limit"], briumvi["limit_quarter"], briumvi["amount_at_risk"]) == (
        Decimal("70.753"), "2025Q4", Decimal("31838.85"))
    riabni = one(rows, "NOC-RIABNI", "NOC_AFTER_EFFECTIVE")
    assert riabni["message"] == ("J9999 on 2025-10-20, but Q5123 (rituximab-arrx) has applied "
                                 "since 2021-07-01: bill Q5123 x 70 units")
    assert riabni["amount_at_risk"] == Decimal("1855.63")  # 70 x $26.509


def test_the_route_and_a_messy_product_name_are_read_as_the_drug_list_reads_them(rows):
    sc = one(rows, "WEZLANA-SC", "NOC_AFTER_EFFECTIVE")  # SC: Q5137, not the IV Q5138
    assert (sc["correct_code"], sc["correct_units"]) == ("Q5137", 90.0)
    messy = one(rows, "TYENNE-MESSY", "NOC_AFTER_EFFECTIVE")
    assert messy["message"] == ("J3590 on 2025-10-15, but Q5135 (TOCILIZUMAB-AAZG) has applied "
                                "since 2024-10-01: bill Q5135 x 560 units")  # not 20 mg/ml


def test_the_drug_is_identified_by_its_ndc_when_the_text_names_none(rows):
    by_ndc = one(rows, "NOC-NDC-ONLY", "NOC_AFTER_EFFECTIVE")
    assert (by_ndc["correct_code"], by_ndc["correct_units"]) == ("J2329", 450.0)
    assert "J2329 (ublituximab-xiiy)" in by_ndc["message"]


def test_a_mid_quarter_effective_date_is_honoured_to_the_day(rows):
    assert not [r for r in rows if r["claim_id"] == "LEQEMBI-DAY-BEFORE"
                and r["finding"] == "NOC_AFTER_EFFECTIVE"]
    on_the_day = one(rows, "LEQEMBI-ON-THE-DAY", "NOC_AFTER_EFFECTIVE")
    assert on_the_day["message"] == ("J3490 on 2023-07-06, but J0174 (lecanemab-irmb) has "
                                     "applied since 2023-07-06: bill J0174 x 500 units")
    # no 2023Q3 ASP file is loaded: the nearest quarter's limit prices it, and says so
    assert (on_the_day["dos_quarter"], on_the_day["limit_quarter"],
            on_the_day["amount_at_risk"]) == ("2023Q3", "2025Q4", Decimal("662.00"))


def test_hospital_outpatient_keeps_c_codes_the_office_does_not(rows):
    hopd = one(rows, "IMAAVY-HOPD", "NOC_AFTER_EFFECTIVE")
    assert hopd["message"] == ("C9399 on 2025-10-15, but C9305 (nipocalimab-aahu) has applied "
                               "since 2025-10-01: bill C9305 x 400 units")
    office = one(rows, "C9399-OFFICE", "C_CODE_OFFICE")
    assert office["message"].startswith("C9399 on a claim with place of service 11: C-codes "
                                         "are for hospital outpatient claims")
    assert "J3590 (biologics)" in office["message"]


def test_a_review_verdict_suggests_no_code(rows):
    review = one(rows, "WEZLANA-REVIEW", "NOC_DRUG_NOT_IDENTIFIED")
    assert review["correct_code"] is None and review["correct_units"] is None
    assert "could not be identified for sure" in review["message"]
    assert "Q5137" in review["message"] and "Q5138" in review["message"]
    conflict = one(rows, "NAME-NDC-CONFLICT", "NOC_DRUG_NOT_IDENTIFIED")
    assert conflict["correct_code"] is None
    assert "the NDC maps to J2329 but the name matches Q5123" in conflict["message"]


def test_the_wrong_noc_family_names_the_right_one(rows):
    datroway = one(rows, "DATROWAY-J3590", "NOC_FAMILY")
    assert datroway["correct_code"] == "J9999"
    assert "J9011 is in the antineoplastic range" in datroway["message"]
    leqembi = one(rows, "LEQEMBI-DAY-BEFORE", "NOC_FAMILY")
    assert leqembi["correct_code"] == "J3590" and "is a biologic" in leqembi["message"]


def test_code_dates_name_the_add_date_the_end_and_the_successor(rows):
    early = one(rows, "J9011-EARLY", "CODE_NOT_YET_EFFECTIVE")
    assert early["message"].startswith("J9011 on 2025-09-30, but J9011 applies only from "
                                       "2025-10-01 (HCPCS ADD DT)")
    ended = one(rows, "C9302-ENDED", "CODE_ENDED")
    assert ended["message"] == ("C9302 on 2025-10-15, but C9302 ended 2025-06-30 (HCPCS TERM "
                                "DT): bill J9276, its successor (HCPCS XREF), from 2025-07-01")
    assert ended["correct_code"] == "J9276"
    orphan = one(rows, "J9037-ENDED", "CODE_ENDED")
    assert "names no successor" in orphan["message"] and orphan["correct_code"] is None


def test_unknown_codes_are_judged_against_every_loaded_release(rows, real_2025q4):
    with duckdb.connect(str(real_2025q4.db_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM hcpcs_codes WHERE code = 'J3599'"
                           ).fetchone() == (0,)
    unknown = one(rows, "J3599-UNKNOWN", "UNKNOWN_CODE")
    assert unknown["message"] == ("J3599 is in none of the loaded HCPCS releases (2025Q4): "
                                  "check the code")


def test_ndc_findings_name_the_ndc_and_the_crosswalk(rows):
    invalid = one(rows, "NDC-10-DIGITS", "NDC_INVALID")  # its one reading in the crosswalk
    assert invalid["message"] == ("NDC 7315015006: 10 digits, but a claim carries the 11-digit "
                                  "5-4-2 form (73150015006)")
    assert invalid["correct_code"] is None  # the Correct code column holds HCPCS codes only
    mismatch = one(rows, "NDC-OF-RIABNI", "NDC_CODE_MISMATCH")
    assert mismatch["message"].startswith("NDC 55513022401 (Riabni) is crosswalked to Q5123 in "
                                          "the 2025Q4 CMS NDC-HCPCS crosswalk, not to J9312")
    assert mismatch["correct_code"] == "Q5123"
    missing = one(rows, "NOC-RIABNI", "NDC_MISSING")
    assert missing["severity"] == "error" and "NOC line needs the 11-digit NDC" in \
        missing["message"]


def test_units_are_checked_against_the_dose_and_the_ndc_quantity(rows):
    units = one(rows, "UNITS-45", "UNITS_MISMATCH")
    assert units["message"] == (
        "J2329 billed 45 units, but the description's dose is 450 mg / 1mg = 450 units; the "
        "NDC quantity is 3 UN x 150 units each (CMS crosswalk) = 450 units")
    assert units["correct_units"] == 450.0
    noc = one(rows, "NOC-3-UNITS", "UNITS_MISMATCH")
    assert noc["correct_units"] == 1.0 and "a NOC line bills 1 unit" in noc["message"]


def test_admin_pa_and_jw_jz_messages_say_why(rows):
    assert "96360-96379, 96401-96549 or 67028" in one(rows, "NO-ADMIN",
                                                      "ADMIN_CODE_MISSING")["message"]
    assert "REF*G1" in one(rows, "NOC-NO-PA", "PA_MISSING")["message"]
    assert "since 2023-07-01" in one(rows, "NO-JW-JZ", "JW_JZ_MISSING")["message"]


def test_a_date_range_is_judged_on_its_last_day_too(rows):
    """C9302 ended 2025-06-30 (J9276 from 2025-07-01); J9011 starts 2025-10-01. A range
    reaching those days bills them under the wrong code: the days to split off are named,
    and the NOC line's units (which day's?) and amount are left blank."""
    ended = one(rows, "C9302-RANGE", "CODE_ENDED")
    assert ended["correct_code"] == "J9276"
    assert "from 2025-06-30 through 2025-07-01" in ended["message"]
    assert "days from 2025-07-01 on a line of their own as J9276" in ended["message"]
    noc = one(rows, "DATROWAY-RANGE", "NOC_AFTER_EFFECTIVE")
    assert (noc["correct_code"], noc["correct_units"], noc["amount_at_risk"]) == ("J9011", None,
                                                                                 None)
    assert "from 2025-09-29 through 2025-10-01" in noc["message"]
    assert noc["effective_date"] == D(2025, 10, 1)


def test_a_modifier_outside_its_hcpcs_dates_names_its_replacement(rows):
    """JG (340B) ended 2024-12-31; TB has the same descriptor. The administered line of a
    drug whose discarded amount is on a JW line needs neither JW nor JZ (CMS waste policy)."""
    found = one(rows, "JG-AFTER-2024", "MODIFIER_INVALID")
    assert "JG ended 2024-12-31" in found["message"] and "TB" in found["message"]
    assert found["amount_at_risk"] == Decimal("31838.85")  # 450 x $70.753


# ---------------------------------------------------------------------------------------------
# Tables, views, re-checks, transactions


def test_views_summarise_by_quarter_and_list_noc_lines_after_the_effective_date(real_2025q4,
                                                                                checked):
    file_id = checked["837p"].file_id
    with duckdb.connect(str(real_2025q4.db_path), read_only=True) as con:
        late = con.execute("SELECT claim_id, billed_code, correct_code, effective_date "
                           "FROM noc_lines_after_effective WHERE file_id = ? ORDER BY claim_id",
                           [file_id]).fetchall()
        by_quarter = con.execute("SELECT quarter, finding, severity, lines, amount_at_risk "
                                 "FROM claim_findings_by_quarter").fetchall()
        direct = con.execute(
            "SELECT dos_quarter, finding, severity, count(*), sum(amount_at_risk) "
            "FROM claim_findings GROUP BY ALL").fetchall()
    assert late == [("DATROWAY-RANGE", "J9999", "J9011", D(2025, 10, 1)),
                    ("IMAAVY-HOPD", "C9399", "C9305", D(2025, 10, 1)),
                    ("LEQEMBI-ON-THE-DAY", "J3490", "J0174", D(2023, 7, 6)),
                    ("NOC-BRIUMVI", "J3590", "J2329", D(2023, 7, 1)),
                    ("NOC-NDC-ONLY", "J3590", "J2329", D(2023, 7, 1)),
                    ("NOC-RIABNI", "J9999", "Q5123", D(2021, 7, 1)),
                    ("TYENNE-MESSY", "J3590", "Q5135", D(2024, 10, 1)),
                    ("WEZLANA-SC", "J3590", "Q5137", D(2024, 7, 1))]
    assert sorted(by_quarter) == sorted(direct)
    assert ("2023Q3", "NOC_AFTER_EFFECTIVE", "error") in {row[:3] for row in by_quarter}


def test_rechecking_a_file_replaces_its_rows(real_2025q4, tmp_path):
    path = tmp_path / "recheck.837"
    path.write_bytes(cb.x12_837p(CLAIMS[:2]))
    first = claim_checks.check_file(real_2025q4, path)
    path.write_bytes(cb.x12_837p(CLAIMS[:1]))
    second = claim_checks.check_file(real_2025q4, path)
    with duckdb.connect(str(real_2025q4.db_path), read_only=True) as con:
        files = con.execute("SELECT file_id, lines FROM claim_files WHERE file_path = ?",
                            [str(path.resolve())]).fetchall()
        stale = con.execute("SELECT count(*) FROM claim_lines WHERE file_id = ?",
                            [first.file_id]).fetchone()[0]
    assert files == [(second.file_id, 2)] and stale == 0


def test_an_unreadable_file_leaves_the_database_as_it_was(real_2025q4, tmp_path):
    path = tmp_path / "recheck-bad.837"
    path.write_bytes(cb.x12_837p(CLAIMS[:1]))
    claim_checks.check_file(real_2025q4, path)
    before = table_dumps(real_2025q4)
    content = cb.x12_837p(CLAIMS[:3]).replace(b"*UN*1***1~\nDTP*472*D8*20251020",
                                              b"*UN*ONE***1~\nDTP*472*D8*20251020")
    path.write_bytes(content)
    assert cb.pyx12_problems(path)
    with pytest.raises(BadInput, match=r"recheck-bad.837 segment \d+ \(SV1\), field 'SV104'"):
        claim_checks.check_file(real_2025q4, path)
    assert table_dumps(real_2025q4) == before


def test_cli_checks_each_file_and_exits_2_for_an_unreadable_one(real_2025q4, claim_files,
                                                                tmp_path):
    broken = tmp_path / "broken.csv"
    broken.write_text("claim_id,date_of_service,hcpcs,units\nA1,13/45/2025,J2329,450\n")
    result = CliRunner().invoke(main, ["claims", "check", "--data-dir",
                                       str(real_2025q4.data_dir), str(claim_files["csv"]),
                                       str(broken)])
    assert result.exit_code == 2
    assert "october-claims.csv (csv): 33 claim(s), 66 line(s) checked against the 2025Q4 " \
           "release" in result.output
    assert "NOC_AFTER_EFFECTIVE      error          8" in result.output
    assert ("error: broken.csv: 1 bad row(s); nothing from this file was checked or stored:\n"
            "  broken.csv, row 2, field 'date_of_service': '13/45/2025' is not a date"
            in result.output)
    clean = CliRunner().invoke(main, ["claims", "check", "--data-dir",
                                      str(real_2025q4.data_dir), str(claim_files["csv"])])
    assert clean.exit_code == 0, clean.output


def test_checking_needs_a_loaded_release(settings, claim_files):
    result = CliRunner().invoke(main, ["claims", "check", "--data-dir", str(settings.data_dir),
                                       str(claim_files["837p"])])
    assert result.exit_code == 2
    assert "no CMS release is loaded yet" in result.output and "run `crosswalk run" in (
        result.output)
    assert not settings.db_path.exists()  # asking creates nothing


# ---------------------------------------------------------------------------------------------
# Patient details never stay


def table_dumps(settings: Settings) -> dict[str, list[tuple]]:
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        tables = [name for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY 1").fetchall()]
        return {table: sorted(map(repr, con.execute(f'SELECT * FROM "{table}"').fetchall()))
                for table in tables}


def test_no_patient_detail_reaches_the_database_the_workbook_or_the_logs(
        real_2025q4, claim_files, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    outputs = {}
    for kind, path in claim_files.items():
        result = CliRunner().invoke(main, ["claims", "check", "--data-dir",
                                           str(real_2025q4.data_dir), str(path)])
        assert result.exit_code == 0, result.output
        outputs[f"{kind} terminal"] = result.output
        report = real_2025q4.reports_dir / "claims" / f"claims-check-{path.stem}.xlsx"
        with zipfile.ZipFile(report) as book:
            outputs[f"{kind} workbook"] = " ".join(
                book.read(name).decode("utf-8", "replace") for name in book.namelist())
    outputs["logs"] = caplog.text + "".join(capsys.readouterr())
    outputs["tables"] = repr(table_dumps(real_2025q4))
    outputs["database bytes"] = real_2025q4.db_path.read_bytes().decode("latin-1")
    details = {detail for patient in PATIENTS for detail in patient.details()}
    assert "ZZQUIXOTE" in claim_files["837p"].read_text()  # the fixture does carry them
    for where, text in outputs.items():
        leaked = sorted(detail for detail in details if detail in text)
        assert not leaked, f"{where} holds {leaked}"
    assert "ublituximab-xiiy" in outputs["837p workbook"]  # what is kept is there


# ---------------------------------------------------------------------------------------------
# The administration codes: one data file


def test_the_administration_codes_come_from_the_data_file(tmp_path):
    admin = claim_checks.admin_codes()
    codes = set(zip(admin["code_from"], admin["code_to"]))
    assert {("96360", "96379"), ("96401", "96549"), ("67028", "67028"), ("G0008", "G0010"),
            ("20600", "20612"), ("51720", "51720"), ("64612", "64647")} <= codes
    assert claim_checks.admin_text(admin) == (
        f"96360-96379, 96401-96549 or 67028, nor any of the {len(admin) - 3} other procedures "
        "in data/admin-codes.csv")
    # the guide's own examples fall inside the ranges
    for code in ("96372", "96413", "96365", "96366", "96374", "67028"):
        assert any(low <= code <= high for low, high in codes), code
    bad = tmp_path / "admin.csv"
    bad.write_text("# a comment\ncode_from,code_to,what\n96379,96360,reversed\n")
    with pytest.raises(BadInput, match=r"admin.csv, row 1, field 'code_from': administration "
                                       r"code ranges must be two 5-character CPT codes"):
        claim_checks.admin_codes(bad)


@pytest.mark.parametrize("kind", ["837p", "csv"])
def test_a_line_number_repeated_within_a_claim_refuses_the_file(real_2025q4, tmp_path, kind):
    twice = [cb.Claim("TWICE", [cb.ServiceLine("J2329", 450, OCT15, ("JZ",)),
                                infusion(OCT15)], prior_auth="PA1")]
    files = cb.write_both(tmp_path, "twice", twice)
    if kind == "837p":
        files[kind].write_bytes(files[kind].read_bytes().replace(b"LX*2~", b"LX*1~"))
        assert "does not match my count" in " ".join(cb.pyx12_problems(files[kind]))
    else:
        files[kind].write_text(files[kind].read_text().replace("TWICE,2,", "TWICE,1,"))
    before = table_dumps(real_2025q4)
    with pytest.raises(BadInput) as error:
        claim_checks.check_file(real_2025q4, files[kind])
    where = "segments" if kind == "837p" else "rows 2, 3"
    assert "a line number repeats within a claim" in str(error.value)
    assert f"line 1 of claim TWICE is on {where}" in str(error.value)
    assert table_dumps(real_2025q4) == before


def test_export_only_ndc_faults_a_hyphenated_10_digit_ndc_and_a_bad_unit(real_2025q4, tmp_path):
    """Faults an 837P that passes pyx12 cannot carry (its map allows only the five unit
    codes), but an export can: named, with the 11-digit form when it is known."""
    path = tmp_path / "ndc-faults.csv"
    path.write_text(
        "claim_id,line,date_of_service,hcpcs,modifiers,units,ndc,ndc_quantity,ndc_unit,"
        "prior_auth\n"
        "N1,1,2025-10-20,Q5123,JZ,70,55513-224-01,7,UN,PA1\n"
        "N1,2,2025-10-20,96413,,1,,,,PA1\n"
        "N2,1,2025-10-15,J2329,JZ,450,73150-0150-06,3,XX,PA2\n"
        "N2,2,2025-10-15,96365,,1,,,,PA2\n")
    checked = claim_checks.check_file(real_2025q4, path)
    found = {(row["claim_id"], row["finding"]): row["message"]
             for row in findings(real_2025q4, checked.file_id)}
    assert found == {
        ("N1", "NDC_INVALID"): "NDC 55513-224-01: 10 digits, but a claim carries the 11-digit "
                               "5-4-2 form (55513022401)",
        ("N2", "NDC_INVALID"): "NDC 73150-0150-06: unit XX is not one of F2, GR, ME, ML, UN "
                               "(CTP05)"}
