"""The claim-line pre-check, third pass: claim files in shapes the first two passes
(test_claims_adversarial.py, test_claims_realworld.py) did not try, each case's right answer
written down (below, beside it) before the check was run on it.

837P: a batch of three interchanges whose middle one declares its own delimiters (`|`, a
backslash component separator, `}` repetition, `'` terminator) with no line break after the
last segment; two functional groups (GS/GE) in one interchange; the drug named in SV101-7 and
its dose in NTE*ADD; the drug named only in the claim note (2300 NTE); a chemotherapy day
mixing administration codes, the drug and premedications; DTP*472 RD8 ranges that cross the
day a permanent code starts or a code ends; claim frequency 7 (replacement) and 8 (void);
modifiers JG/TB (340B) either side of JG's termination, JW with JZ; a partly used vial billed
as an administered line and a JW line; CTP quantities in decimals and units UN/F2/EA. Every
837P is validated by pyx12 (each interchange on its own where pyx12 cannot read the mix).

Exports, with the column names the vendors document: Tebra's encounter procedure grid
(From, To, Procedure, Mod 1, Units, Line Note, NDC, UC, UM: helpme.tebra.com "Customize
Procedures Section"; "NOC" typed before the drug in the line note, as Tebra's 5010 NOC
rejection article asks), NextGen's NDC fields (NDC Id, Drug Unit Count, Basis of Measure,
CPT4: docs.nextgen.com), a CollaborateMD custom report of charges and debits (Claim ID,
Charge or Debit?, From Date, To Date: help.collaboratemd.com "Charge / Debit Data"), Epic's
NDC unit names (Milliliters, Milligrams, Grams, International Units, Units: open.epic.com
CLP_NDC_RELATED), dates as .NET and Excel write them ('10/15/2025 12:00:00 AM',
'10/15/2025 0:00') and as JSON APIs do ('2025-10-15T00:00:00Z'), the CMS-1500 item 24A
shaded-area NDC in one cell ('N450242015001 UN2'), places of service and codes printed with
their names ('11 - Office', 'J3590 - UNCLASSIFIED BIOLOGICS'), a reversed charge '(1.00)',
money as '$1,500.00' and '(25.00)', a workbook with a summary sheet and two half-month
sheets, a totals row of =SUM formulas, an NDC Excel turned into 5.02420E+10.

Right answers come from the October 2025 CMS files in ../shared/data/cms-samples (loaded by
the `real_2025q4` fixture: Oct 2025 HCPCS, Oct 2025 ASP limits, Oct 2025 and Jan 2025
NDC-HCPCS crosswalks), read by hand:
- J2329 ublituximab-xiiy 1 mg, ADD DT 2023-07-01, $70.753; Briumvi 73150-0150-06: 150 units.
- J2350 ocrelizumab 1 mg, $59.414; Ocrevus 50242-0150-01: 300 units.
- J0585 onabotulinumtoxinA 1 unit, $6.497; Botox 00023-1145-01: 100 units, 00023-3921-02: 200.
- J9312 rituximab 10 mg, $75.220; Rituxan 50242-0051-21: 10 units. J2405 ondansetron 1 mg,
  $0.091. J1200 diphenhydramine up to 50 mg, $0.755.
- Q5147 aflibercept-ayyh (Pavblu) 1 mg from 2025-04-01, $859.363; 55513-0056-01: 2 units.
- Q5148 filgrastim-txid (Nypozi) 1 mcg from 2025-04-01 (not priced in Oct 2025, no NDC in
  the crosswalks); C9173 (its hospital outpatient code) 2025-01-01..2025-06-30, XREF1 Q5148.
- C9303 zolbetuximab-clzb 1 mg 2025-04-01..2025-06-30, XREF1 J1326 (2 mg) from 2025-07-01.
- C9174 datopotamab deruxtecan-dlnk 2025-07-01..2025-09-30 (hospital outpatient).
- J9035 bevacizumab 10 mg; Avastin 50242-0060-01: 4 mL, 10 units.
- Modifiers: JG ('Drug or biological acquired with 340b drug pricing program discount,
  reported for informational purposes') 2018-01-01..2024-12-31, no XREF; TB, the same
  descriptor, from 2018-01-01; JW from 2003-01-01; JZ from 2023-01-01.
Rules beyond the issue's: CMS's JW/JZ policy (JZ only when nothing was discarded, never on
the line with JW; with a discarded amount the administered amount goes on a line without
either modifier and the discarded amount on a JW line); Palmetto GBA's NOC instructions
(SV101-7 is the CMS-mandated description of a NOC drug line; 2300 NTE applies to the whole
claim); a claim with frequency code 8 voids an earlier claim and bills nothing.

Every case that carries patient details greps DuckDB, the workbook, the terminal and the logs
for them (test_claims_realworld.Checked.assert_no_patient_detail).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from openpyxl import Workbook

import claim_builders as cb
import test_claims_realworld
from test_claims_adversarial import csv_bytes
from test_claims_realworld import (AVASTIN, BRIUMVI, DATROWAY, DEPENDANT, OCREVUS,  # noqa: F401
                                   OCT15, PAVBLU, RITUXAN, SUBSCRIBER, VYLOY, Checked, D,
                                   admin, line, warehouse_copy, with_segments, write_837)

check = test_claims_realworld.check  # the first pass's fixture: the CLI run on a warehouse copy

pytestmark = pytest.mark.real_samples
BOTOX_100 = "00023114501"
BOTOX_200 = "00023392102"
LIMIT = {"J2329": 70.753, "J2350": 59.414, "J0585": 6.497, "J9312": 75.220, "J2405": 0.091,
         "J1200": 0.755, "Q5147": 859.363}


def money(code: str, units: float) -> float:
    return round(units * LIMIT[code], 2)


def amount(row: dict[str, Any]) -> float | None:
    return None if row["amount_at_risk"] is None else float(row["amount_at_risk"])


def check_csv(check: Any, path: Path, rows: list[list[Any]]) -> Checked:
    """The rows written as a CSV export and checked: exit 0 expected."""
    path.write_bytes(csv_bytes(rows))
    checked = check(path)
    assert checked.result.exit_code == 0, checked.output
    return checked


def lines_of(checked: Checked, claim_id: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(checked.settings.db_path), read_only=True) as con:
        cursor = con.execute(
            "SELECT l.* FROM claim_lines l JOIN claim_files f USING (file_id) WHERE "
            "f.file_id = (SELECT max(file_id) FROM claim_files WHERE file_path = ?) AND "
            "l.claim_id = ? ORDER BY line_no", [str(checked.path.resolve()), claim_id])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


# =============================================================================================
# 837P

def briumvi(claim_id: str, **more: Any) -> cb.Claim:
    """J3590 for Briumvi 450 mg on 2025-10-15 with 96365 and a prior authorisation:
    NOC_AFTER_EFFECTIVE, bill J2329 x 450 (NDC 3 UN x 150 agrees), $31,838.85."""
    return cb.Claim(claim_id, [line("J3590", 1, text="BRIUMVI 450MG IV", ndc=BRIUMVI, qty=3),
                               admin()], prior_auth="PA1", **more)


def ocrevus(claim_id: str, mods: tuple[str, ...] = ("JZ",), dos: date = OCT15) -> cb.Claim:
    """J2350 x 600 for Ocrevus 600 mg, NDC 2 UN x 300 = 600, 96365 and PA: clean."""
    return cb.Claim(claim_id, [line("J2350", 600, dos, mods, text="OCREVUS 600MG IV",
                                    ndc=OCREVUS, qty=2), admin("96365", dos)],
                    prior_auth="PA1")


# A clearinghouse batch of three interchanges: the first (Kareo-like, '~' and CRLF) holds
# IC1 (clean Ocrevus); the second, from another system, declares '|' elements, a backslash
# component separator, '}' repetition and an apostrophe terminator with no line breaks, and
# holds IC2: J2329 x 450 with no JW/JZ (JW_JZ_MISSING, warning, carrying its line's amount
# like every finding: 450 x $70.753 = $31,838.85); the third goes back to '*' and '~' and
# holds IC3 (briumvi: NOC_AFTER_EFFECTIVE). The file ends right after the last
# terminator. 3 claims, 6 lines.
def test_three_interchanges_the_middle_one_with_its_own_delimiters(check, tmp_path):
    first = cb.x12_837p([ocrevus("IC1")], delimiters=cb.Delimiters(newline="\r\n"))
    second = cb.x12_837p([cb.Claim("IC2", [line("J2329", 450, mods=(), text="BRIUMVI 450MG",
                                                ndc=BRIUMVI, qty=3), admin()],
                                   prior_auth="PA1")], control=2,
                         delimiters=cb.Delimiters(element="|", component="\\",
                                                  repetition="}", segment="'", newline=""))
    third = cb.x12_837p([briumvi("IC3")], control=3).rstrip(b"\n")
    path = tmp_path / "three-systems.837"
    path.write_bytes(first + second + third)
    checked = check(path)
    assert checked.result.exit_code == 0, checked.output
    assert "3 claim(s), 6 line(s)" in checked.output
    assert checked.found() == {"IC2": {"JW_JZ_MISSING"}, "IC3": {"NOC_AFTER_EFFECTIVE"}}
    assert amount(checked.row("IC2", "JW_JZ_MISSING")) == pytest.approx(money("J2329", 450))
    noc = checked.row("IC3", "NOC_AFTER_EFFECTIVE")
    assert (noc["correct_code"], noc["correct_units"]) == ("J2329", 450)
    assert amount(noc) == pytest.approx(money("J2329", 450))
    checked.assert_no_patient_detail()


def two_groups(first: bytes, second: bytes) -> bytes:
    """One interchange holding the functional groups (GS..GE) of two built interchanges."""
    a, b = first.decode("ascii"), second.decode("ascii")
    group_a = a[a.index("GS*"):a.index("IEA*")]
    group_b = b[b.index("GS*"):b.index("IEA*")]
    isa = a[:a.index("GS*")]
    return (isa + group_a + group_b + "IEA*2*000000001~\n").encode("ascii")


# Two billing entities' claims in one interchange, each in its own functional group (GS06 1
# and 2): GRP1 (clean Ocrevus) and GRP2 (briumvi: NOC_AFTER_EFFECTIVE). 2 claims.
def test_two_functional_groups_in_one_interchange(check, tmp_path):
    content = two_groups(cb.x12_837p([ocrevus("GRP1")]),
                         cb.x12_837p([briumvi("GRP2")], control=2))
    checked = check(write_837(tmp_path, "two-groups.837", content))
    assert "2 claim(s), 4 line(s)" in checked.output
    assert checked.found() == {"GRP2": {"NOC_AFTER_EFFECTIVE"}}


# SV101-7 names the drug only ('BRIUMVI'), NTE*ADD gives the dose ('450MG IN 250ML NS OVER
# 1HR'): the narrative is both, the dose the first amount not in a ratio (450 mg; 250 ml is
# the bag): NOC_AFTER_EFFECTIVE J2329 x 450, $31,838.85; nothing else.
def test_name_in_sv101_7_and_dose_in_the_line_note(check, tmp_path):
    claim = cb.Claim("NTE1", [line("J3590", 1, text="BRIUMVI", ndc=BRIUMVI, qty=3,
                                   note="450MG IN 250ML NS OVER 1HR"), admin()],
                     prior_auth="PA1")
    checked = check(write_837(tmp_path, "sv101-nte.837", cb.x12_837p([claim])))
    assert checked.found() == {"NTE1": {"NOC_AFTER_EFFECTIVE"}}
    noc = checked.row("NTE1", "NOC_AFTER_EFFECTIVE")
    assert (noc["correct_code"], noc["correct_units"]) == ("J2329", 450)
    assert amount(noc) == pytest.approx(money("J2329", 450))


# The drug named only in the claim note (2300 NTE*ADD 'BRIUMVI 450MG IV'), SV101-7 and the
# line note empty. Palmetto GBA: SV101-7 is the CMS-mandated description of a NOC line and
# the claim will reject without it; 2300 NTE documents the whole claim. So
# NOC_NARRATIVE_MISSING (error) stands, and the NDC still identifies the drug:
# NOC_AFTER_EFFECTIVE J2329, units from the NDC (3 UN x 150 = 450), $31,838.85.
def test_drug_named_only_in_the_claim_note(check, tmp_path):
    claim = cb.Claim("CLMNTE1", [line("J3590", 1, ndc=BRIUMVI, qty=3, mods=("JZ",)), admin()],
                     prior_auth="PA61")
    content = with_segments(cb.x12_837p([claim], validate=False), "REF*G1*PA61",
                            ["NTE*ADD*BRIUMVI 450MG IV"])
    checked = check(write_837(tmp_path, "claim-note.837", content))
    assert checked.found() == {"CLMNTE1": {"NOC_NARRATIVE_MISSING", "NOC_AFTER_EFFECTIVE"}}
    noc = checked.row("CLMNTE1", "NOC_AFTER_EFFECTIVE")
    assert (noc["correct_code"], noc["correct_units"]) == ("J2329", 450)
    assert checked.row("CLMNTE1", "NOC_NARRATIVE_MISSING")["severity"] == "error"


# A chemotherapy day as an oncology practice bills it: 96413, 96415, 96375 (sequential push),
# J9312 x 70 (Rituxan 700 mg, NDC 7 UN x 10 = 70, JZ), J2405 x 8 ('ONDANSETRON 8MG IV', no
# NDC, no modifier) and J1200 x 1 ('DIPHENHYDRAMINE 50MG IV', JZ, no NDC). Expected: the
# premedications have no NDC (NDC_MISSING, warning: not NOC lines) and J2405 has neither
# JW nor JZ while it is priced (JW_JZ_MISSING, warning); J9312 is clean; no
# ADMIN_CODE_MISSING. Amounts: J2405 8 x $0.091 = $0.73; J1200 1 x $0.755.
def test_a_chemotherapy_day_with_premedications(check, tmp_path):
    claim = cb.Claim("CHEMO1", [
        admin("96413"), admin("96415"), admin("96375"),
        line("J9312", 70, text="RITUXAN 700MG IV", ndc=RITUXAN, qty=7),
        cb.ServiceLine("J2405", 8, OCT15, (), "ONDANSETRON 8MG IV"),
        cb.ServiceLine("J1200", 1, OCT15, ("JZ",), "DIPHENHYDRAMINE 50MG IV")],
        prior_auth="PA1", patient=DEPENDANT)
    checked = check(write_837(tmp_path, "chemo-day.837", cb.x12_837p([claim])))
    rows = {(r["line_no"], r["finding"]): r for r in checked.rows}
    assert set(rows) == {(5, "NDC_MISSING"), (5, "JW_JZ_MISSING"), (6, "NDC_MISSING")}
    assert {r["severity"] for r in rows.values()} == {"warning"}
    assert float(rows[5, "NDC_MISSING"]["amount_at_risk"]) == pytest.approx(0.73, abs=0.01)
    assert float(rows[6, "NDC_MISSING"]["amount_at_risk"]) == pytest.approx(0.755, abs=0.01)
    checked.assert_no_patient_detail()


# Nypozi (filgrastim-txid) given daily, billed as one J3590 line over a date range (RD8),
# with 96372 over the same range, JZ, PA, no NDC (none is crosswalked yet). In the office
# J3590 was right until 2025-03-31 (C9173 was hospital outpatient only); Q5148 applies from
# 2025-04-01. NYP-CROSS (RD8 2025-03-28..2025-04-01): its last day is on Q5148's effective
# date, so the days from 2025-04-01 must be billed as Q5148 (the guide: on/after the
# effective date only the new code is valid): NOC_AFTER_EFFECTIVE (error), correct code
# Q5148, effective 2025-04-01, no correct units (the line cannot say how many of its units
# fall on which day), no amount (Q5148 is not priced in the loaded files); NDC_MISSING
# (error). NYP-BEFORE (RD8 2025-03-24..2025-03-28): NDC_MISSING only.
def nypozi(claim_id: str, first: date, last: date) -> cb.Claim:
    return cb.Claim(claim_id, [
        cb.ServiceLine("J3590", 1, first, ("JZ",), "NYPOZI (FILGRASTIM-TXID) 480MCG SC DAILY",
                       dos_through=last),
        cb.ServiceLine("96372", 5, first, dos_through=last)], prior_auth="PA1")


def test_a_date_range_crossing_the_permanent_codes_first_day(check, tmp_path):
    claims = [nypozi("NYP-CROSS", D(2025, 3, 28), D(2025, 4, 1)),
              nypozi("NYP-BEFORE", D(2025, 3, 24), D(2025, 3, 28))]
    checked = check(write_837(tmp_path, "nypozi-range.837", cb.x12_837p(claims)))
    assert checked.found() == {"NYP-CROSS": {"NOC_AFTER_EFFECTIVE", "NDC_MISSING"},
                               "NYP-BEFORE": {"NDC_MISSING"}}
    noc = checked.row("NYP-CROSS", "NOC_AFTER_EFFECTIVE")
    assert (noc["severity"], noc["correct_code"], noc["correct_units"]) == ("error", "Q5148",
                                                                            None)
    assert "2025-04-01" in noc["message"] and "Q5148" in noc["message"]
    assert noc["amount_at_risk"] is None


# Vyloy in a hospital outpatient department (POS 22) billed as C9303 x 600 over RD8
# 2025-06-30..2025-07-01 with 96413 over the same days: C9303 ended 2025-06-30, J1326 (its
# XREF successor) applies from 2025-07-01, so the range's last day is billed under an ended
# code: CODE_ENDED (error), correct code J1326, the message naming 2025-07-01. (No NDC
# finding: the Jan 2025 crosswalk read for a 2025Q2 date does not list Vyloy.)
def test_a_date_range_running_past_the_codes_termination(check, tmp_path):
    claim = cb.Claim("VYL-CROSS", [
        cb.ServiceLine("C9303", 600, D(2025, 6, 30), ("JZ",), "VYLOY 600MG",
                       ndc=VYLOY, ndc_quantity=6, ndc_unit="UN", dos_through=D(2025, 7, 1)),
        cb.ServiceLine("96413", 1, D(2025, 6, 30), dos_through=D(2025, 7, 1))],
        pos="22", prior_auth="PA1")
    checked = check(write_837(tmp_path, "vyloy-range.837", cb.x12_837p([claim])))
    assert checked.found() == {"VYL-CROSS": {"CODE_ENDED"}}
    ended = checked.row("VYL-CROSS", "CODE_ENDED")
    assert (ended["severity"], ended["correct_code"]) == ("error", "J1326")
    assert "2025-07-01" in ended["message"]


# FRQ-ORIG (frequency 1): clean Ocrevus. FRQ-REPL (7, replacing payer claim 2025PAY001):
# a replacement is a whole new claim, judged as any: briumvi -> NOC_AFTER_EFFECTIVE.
# FRQ-VOID (8, voiding 2025PAY002): it cancels an earlier claim and bills nothing, so its
# lines are not judged (a NOC line on it would otherwise be NOC_AFTER_EFFECTIVE with
# $31,838.85 at risk): no finding, not counted as a checked claim, and the terminal says
# that a void claim was passed over, naming it. 2 claims checked.
def test_a_void_claim_is_passed_over_and_a_replacement_checked(check, tmp_path):
    content = cb.x12_837p([ocrevus("FRQ-ORIG"),
                           briumvi("FRQ-REPL", frequency="7", payer_claim="2025PAY001"),
                           briumvi("FRQ-VOID", frequency="8", payer_claim="2025PAY002")])
    checked = check(write_837(tmp_path, "frequency.837", content))
    assert checked.result.exit_code == 0, checked.output
    assert checked.found() == {"FRQ-REPL": {"NOC_AFTER_EFFECTIVE"}}
    assert "2 claim(s), 4 line(s)" in checked.output
    assert "FRQ-VOID" in checked.output and "void" in checked.output.lower()
    assert lines_of(checked, "FRQ-VOID") == []


# 340B modifiers. JG ended 2024-12-31; TB (the same descriptor) applies. MOD-JG-2025
# (J2350 x 600 JZ JG on 2025-10-15): a modifier ended before the date of service rejects
# the line: a modifier finding (error) naming JG, 2024-12-31 and TB, amount 600 x $59.414
# = $35,648.40. MOD-TB-2025 (JZ TB): clean. MOD-JG-2024 (JZ JG on 2024-11-15, when JG
# still applied): clean. Through the 837P and the same claims as a CSV with Mod 1/Mod 2.
MODIFIER_CLAIMS = [ocrevus("MOD-JG-2025", ("JZ", "JG")), ocrevus("MOD-TB-2025", ("JZ", "TB")),
                   ocrevus("MOD-JG-2024", ("JZ", "JG"), D(2024, 11, 15))]


def modifier_csv(claims: list[cb.Claim]) -> bytes:
    header = ["Claim #", "DOS", "CPT/HCPCS", "Mod 1", "Mod 2", "Units", "Description", "NDC",
              "NDC Qty", "Unit Qualifier", "Auth #", "Patient Name", "Patient DOB"]
    rows = [header]
    for claim in claims:
        for item in claim.lines:
            mods = [*item.modifiers, "", ""][:2]
            rows.append([claim.claim_id, item.dos.strftime("%m/%d/%Y"), item.code, *mods,
                         f"{item.units:g}", item.description or "", item.ndc or "",
                         f"{item.ndc_quantity:g}" if item.ndc else "",
                         item.ndc_unit or "", claim.prior_auth or "",
                         f"{SUBSCRIBER.last}, {SUBSCRIBER.first}", "03/14/1958"])
    return csv_bytes(rows)


@pytest.mark.parametrize("kind", ["837p", "csv"])
def test_a_340b_modifier_that_had_ended(check, tmp_path, kind):
    if kind == "837p":
        path = write_837(tmp_path, "modifiers.837", cb.x12_837p(MODIFIER_CLAIMS))
    else:
        path = tmp_path / "modifiers.csv"
        path.write_bytes(modifier_csv(MODIFIER_CLAIMS))
    checked = check(path)
    assert checked.found() == {"MOD-JG-2025": {"MODIFIER_INVALID"}}
    row = checked.row("MOD-JG-2025", "MODIFIER_INVALID")
    assert row["severity"] == "error"
    assert "JG" in row["message"] and "2024-12-31" in row["message"] and "TB" in row["message"]
    assert amount(row) == pytest.approx(money("J2350", 600))
    checked.assert_no_patient_detail()


# Waste modifiers. JWJZ-LINE: J2329 x 450 with JW and JZ on one line: JZ says nothing was
# discarded, JW that the line is the discarded amount: a modifier finding (error), amount
# 450 x $70.753 = $31,838.85. JZ-WITH-JW: J2329 x 300 JZ (administered) and J2329 x 150 JW
# (discarded, the rest of the 3 vials) on the same date: JZ is wrong when an amount was
# discarded: the modifier finding on line 1 (error), amount 300 x $70.753 = $21,225.90,
# nothing on the JW line. SPLIT-RIGHT: the same with no modifier on the administered line,
# as CMS asks: clean (no JW_JZ_MISSING: the claim's JW line for J2329 that day is the
# discarded amount). Botox from a 200-unit vial, half used: BOTOX-HALF bills J0585 x 100 (NDC
# 0.5 UN x 200 = 100) with no modifier and J0585 x 100 JW (0.5 UN), 64615: clean.
# BOTOX-OVER bills J0585 x 200 JZ for 'BOTOX 100 UNITS' with NDC 0.5 UN: UNITS_MISMATCH
# (warning), correct 100, amount 200 x $6.497 = $1,299.40.
def waste_claims() -> list[cb.Claim]:
    vials = {"ndc": BRIUMVI, "qty": 3}
    return [
        cb.Claim("JWJZ-LINE", [line("J2329", 450, mods=("JW", "JZ"), text="BRIUMVI 450MG",
                                    **vials), admin()], prior_auth="PA1"),
        cb.Claim("JZ-WITH-JW", [line("J2329", 300, text="BRIUMVI 300MG", ndc=BRIUMVI, qty=2),
                                line("J2329", 150, mods=("JW",), text="BRIUMVI 150MG WASTED",
                                     ndc=BRIUMVI, qty=1), admin()], prior_auth="PA1"),
        cb.Claim("SPLIT-RIGHT", [cb.ServiceLine("J2329", 300, OCT15, (), "BRIUMVI 300MG",
                                                ndc=BRIUMVI, ndc_quantity=2, ndc_unit="UN"),
                                 line("J2329", 150, mods=("JW",), text="BRIUMVI 150MG WASTED",
                                      ndc=BRIUMVI, qty=1), admin()], prior_auth="PA1"),
        cb.Claim("BOTOX-HALF", [
            cb.ServiceLine("J0585", 100, OCT15, (), "BOTOX 100 UNITS", ndc=BOTOX_200,
                           ndc_quantity=0.5, ndc_unit="UN"),
            cb.ServiceLine("J0585", 100, OCT15, ("JW",), "BOTOX 100 UNITS WASTED",
                           ndc=BOTOX_200, ndc_quantity=0.5, ndc_unit="UN"),
            admin("64615")], prior_auth="PA1"),
        cb.Claim("BOTOX-OVER", [line("J0585", 200, text="BOTOX 100 UNITS", ndc=BOTOX_200,
                                     qty=0.5), admin("64615")], prior_auth="PA1"),
    ]


def test_waste_modifiers_and_partly_used_vials(check, tmp_path):
    checked = check(write_837(tmp_path, "waste.837", cb.x12_837p(waste_claims())))
    assert checked.found() == {"JWJZ-LINE": {"MODIFIER_INVALID"},
                               "JZ-WITH-JW": {"MODIFIER_INVALID"},
                               "BOTOX-OVER": {"UNITS_MISMATCH"}}
    both = checked.row("JWJZ-LINE", "MODIFIER_INVALID")
    assert both["severity"] == "error" and amount(both) == pytest.approx(money("J2329", 450))
    jz = checked.row("JZ-WITH-JW", "MODIFIER_INVALID")
    assert amount(jz) == pytest.approx(money("J2329", 300))
    assert not [r for r in checked.rows if r["claim_id"] == "JZ-WITH-JW" and r["line_no"] == 2]
    over = checked.row("BOTOX-OVER", "UNITS_MISMATCH")
    assert (over["severity"], over["correct_units"]) == ("warning", 100)
    assert amount(over) == pytest.approx(money("J0585", 200))


# NDC quantities as practice systems send them. EA-UNIT: CTP05 'EA' (NCPDP's 'each', not an
# 837P unit): NDC_INVALID (error) naming EA; 600 x $59.414 = $35,648.40. F2-DECIMAL: Botox
# 155 units, CTP04 '155.000' F2, 64615: clean. (Found on the first run: pyx12 refuses the
# file too, 'EA is not a valid code for CTP05-01': the clearinghouse would reject it.)
def test_ndc_units_ea_and_a_decimal_f2(check, tmp_path):
    claims = [cb.Claim("EA-UNIT", [line("J2350", 600, text="OCREVUS 600MG", ndc=OCREVUS, qty=2,
                                        unit="EA"), admin()], prior_auth="PA1"),
              cb.Claim("F2-DECIMAL", [line("J0585", 155, text="BOTOX 155 UNITS",
                                           ndc=BOTOX_100, qty=155, unit="F2"),
                                      admin("64615")], prior_auth="PA1")]
    content = cb.x12_837p(claims, validate=False).replace(b"CTP****155*F2",
                                                          b"CTP****155.000*F2")
    assert [problem for problem in cb.pyx12_problems(content)
            if "(EA) is not a valid code for Code Qualifier (CTP05-01)" in problem]
    path = tmp_path / "ndc-units.837"
    path.write_bytes(content)
    checked = check(path)
    assert checked.found() == {"EA-UNIT": {"NDC_INVALID"}}
    row = checked.row("EA-UNIT", "NDC_INVALID")
    assert "EA" in row["message"] and amount(row) == pytest.approx(money("J2350", 600))


# =============================================================================================
# Exports, with the column names the vendors document

PATIENT = f"{SUBSCRIBER.last}, {SUBSCRIBER.first}"


# Tebra's encounter procedure grid saved as CSV, 'NOC' typed before the drug in the Line Note
# (Ref. Code ADD), dates in From/To, NDC with UC (count) and UM (unit), money as '$1,500.00'.
# TEB1: J3590 JZ 'NOC BRIUMVI 450MG IV', NDC 3 UN, 96365: NOC_AFTER_EFFECTIVE J2329 x 450,
# $31,838.85, and PA_MISSING (the grid has no authorisation column). TEB2: J3590 JZ for
# Nypozi from 03/28/2025 to 04/01/2025 with 96372 over the same days: NOC_AFTER_EFFECTIVE
# (Q5148, the range reaches 2025-04-01), NDC_MISSING (error), PA_MISSING.
TEBRA_HEADER = ["Encounter ID", "Patient", "From", "To", "Procedure", "Mod 1", "Mod 2", "Units",
                "Unit Charge", "Total Charge", "Line Note", "Ref. Code", "NDC", "UC", "UM"]


def test_tebra_encounter_procedures(check, tmp_path):
    rows = [TEBRA_HEADER,
            ["TEB1", PATIENT, "10/15/2025", "10/15/2025", "J3590", "JZ", "", "1",
             "$1,500.00", "$1,500.00", "NOC BRIUMVI 450MG IV", "ADD", "73150-0150-06", "3",
             "UN"],
            ["TEB1", PATIENT, "10/15/2025", "10/15/2025", "96365", "", "", "1", "$210.00",
             "$210.00", "", "", "", "", ""],
            ["TEB2", PATIENT, "03/28/2025", "04/01/2025", "J3590", "JZ", "", "1", "$900.00",
             "$900.00", "NOC NYPOZI FILGRASTIM-TXID 480MCG SC DAILY", "ADD", "", "", ""],
            ["TEB2", PATIENT, "03/28/2025", "04/01/2025", "96372", "", "", "5", "$40.00",
             "$200.00", "", "", "", "", ""]]
    checked = check_csv(check, tmp_path / "tebra-encounters.csv", rows)
    assert checked.found() == {"TEB1": {"NOC_AFTER_EFFECTIVE", "PA_MISSING"},
                               "TEB2": {"NOC_AFTER_EFFECTIVE", "NDC_MISSING", "PA_MISSING"}}
    noc = checked.row("TEB1", "NOC_AFTER_EFFECTIVE")
    assert (noc["correct_code"], noc["correct_units"]) == ("J2329", 450)
    assert amount(noc) == pytest.approx(money("J2329", 450))
    assert checked.row("TEB2", "NOC_AFTER_EFFECTIVE")["correct_code"] == "Q5148"
    assert [r["dos_through"] for r in lines_of(checked, "TEB2")] == [D(2025, 4, 1)] * 2
    checked.assert_no_patient_detail()


# NextGen's charge columns with its NDC fields: NG1 Ocrevus J2350 x 600 JZ, NDC Id
# 50242-0150-01, Drug Unit Count 2, Basis of Measure UN, 96365; NG2 Prolia J0897 x 60 JZ,
# NDC 55513-0710-01, 1 UN, 96372. Both clean.
def test_nextgen_charges_with_ndc_fields(check, tmp_path):
    header = ["Enc Nbr", "Patient Name", "Service Date", "CPT4", "Mod1", "Mod2", "Units",
              "Amount", "NDC Id", "Drug Unit Count", "Basis of Measure", "Authorization"]
    rows = [header,
            ["NG1", PATIENT, "10/15/2025", "J2350", "JZ", "", "600", "35648.40",
             "50242-0150-01", "2", "UN", "PA1"],
            ["NG1", PATIENT, "10/15/2025", "96365", "", "", "1", "210.00", "", "", "", "PA1"],
            ["NG2", PATIENT, "10/15/2025", "J0897", "JZ", "", "60", "1762.80",
             "55513-0710-01", "1", "UN", "PA2"],
            ["NG2", PATIENT, "10/15/2025", "96372", "", "", "1", "25.00", "", "", "", "PA2"]]
    checked = check_csv(check, tmp_path / "nextgen-charges.csv", rows)
    assert checked.found() == {}
    assert "2 claim(s), 4 line(s)" in checked.output
    checked.assert_no_patient_detail()


# A CollaborateMD custom report of charges and debits: a debit (a fee posted to the claim,
# no procedure, amount '(25.00)') is no service line: left out with a note, never a refusal.
# CMD1: J3590 JZ for Pavblu 2 mg, 67028, an authorisation number: NOC_AFTER_EFFECTIVE Q5147
# x 2, $1,718.73. 1 claim, 2 lines.
def test_collaboratemd_charges_and_debits(check, tmp_path):
    header = ["Claim ID", "Charge/Debit ID", "Charge or Debit?", "Patient Name", "From Date",
              "To Date", "Procedure Code", "Modifier 1", "Modifier 2", "Units", "Amount",
              "Description", "NDC Code", "NDC Quantity", "NDC Unit", "Authorization Number"]
    rows = [header,
            ["40011223", "9001", "Charge", PATIENT, "10/15/2025", "10/15/2025", "J3590", "JZ",
             "", "1.00", "$1,800.00", "PAVBLU AFLIBERCEPT-AYYH 2MG OD", "55513005601", "1",
             "UN", "AUTH-77"],
            ["40011223", "9002", "Charge", PATIENT, "10/15/2025", "10/15/2025", "67028", "",
             "", "1.00", "$150.00", "", "", "", "", "AUTH-77"],
            ["40011223", "9003", "Debit", PATIENT, "10/15/2025", "10/15/2025", "", "", "",
             "", "(25.00)", "RETURNED CHECK FEE", "", "", "", ""]]
    checked = check_csv(check, tmp_path / "cmd-charges.csv", rows)
    assert checked.found() == {"40011223": {"NOC_AFTER_EFFECTIVE"}}
    noc = checked.row("40011223", "NOC_AFTER_EFFECTIVE")
    assert (noc["correct_code"], noc["correct_units"]) == ("Q5147", 2)
    assert amount(noc) == pytest.approx(money("Q5147", 2))
    assert "1 claim(s), 2 line(s)" in checked.output
    assert "row 4" in checked.output  # the debit row, left out with a note
    checked.assert_no_patient_detail()


def workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


SHEET_HEADER = ["Claim #", "Patient Name", "DOS", "CPT/HCPCS", "Mod", "Units", "Description",
                "NDC", "NDC Qty", "Unit Qualifier", "Auth #"]


def sheet_rows(claim_id: str, dos: date, drug: list[Any], admin_code: str) -> list[list[Any]]:
    return [[claim_id, PATIENT, dos, *drug, "PA1"],
            [claim_id, PATIENT, dos, admin_code, None, 1, None, None, None, None, "PA1"]]


# A month's workbook: a 'Summary' sheet (totals by code, no claim columns) first, then 'Oct
# 1-15' and 'Oct 16-31', each with claim lines under the same header. Both halves are the
# month: HALF1 (10/15: briumvi -> NOC_AFTER_EFFECTIVE) and HALF2 (10/20: clean Ocrevus).
# Expected: both sheets checked (2 claims, 4 lines), the sheets read named in a note; never
# one half in silence.
def test_a_workbook_with_two_half_month_sheets(check, tmp_path):
    summary = [["Procedure Code", "Units", "Charges"], ["J3590", 1, 1500], ["J2350", 600, 35648.4]]
    first = [SHEET_HEADER, *sheet_rows("HALF1", D(2025, 10, 15),
                                       ["J3590", "JZ", 1, "BRIUMVI 450MG IV", BRIUMVI, 3, "UN"],
                                       "96365")]
    second = [SHEET_HEADER, *sheet_rows("HALF2", D(2025, 10, 20),
                                        ["J2350", "JZ", 600, "OCREVUS 600MG", OCREVUS, 2,
                                         "UN"], "96365")]
    path = workbook(tmp_path / "october-claims.xlsx",
                    {"Summary": summary, "Oct 1-15": first, "Oct 16-31": second})
    checked = check(path)
    assert checked.result.exit_code == 0, checked.output
    assert "2 claim(s), 4 line(s)" in checked.output
    assert checked.found() == {"HALF1": {"NOC_AFTER_EFFECTIVE"}}
    assert "Oct 1-15" in checked.output and "Oct 16-31" in checked.output
    checked.assert_no_patient_detail()


# A workbook whose biller added a totals row of formulas under the lines ('=SUM(F2:F5)' in
# Units, 'Total' under the code): a totals row, left out like a typed one. Findings as for
# the same lines alone: HALF1 NOC_AFTER_EFFECTIVE.
def test_a_totals_row_of_formulas(check, tmp_path):
    rows = [SHEET_HEADER,
            *sheet_rows("HALF1", D(2025, 10, 15),
                        ["J3590", "JZ", 1, "BRIUMVI 450MG IV", BRIUMVI, 3, "UN"], "96365"),
            [None, None, None, "Total", None, "=SUM(F2:F3)", None, None, "=SUM(I2:I3)"]]
    path = workbook(tmp_path / "with-sum.xlsx", {"Claims": rows})
    checked = check(path)
    assert checked.result.exit_code == 0, checked.output
    assert checked.found() == {"HALF1": {"NOC_AFTER_EFFECTIVE"}}
    assert "row 4" in checked.output


EXPORT_HEADER = ["Claim #", "DOS", "CPT/HCPCS", "Mod", "Units", "Description", "NDC",
                 "NDC Qty", "Unit Qualifier", "Auth #"]


def export_pair(claim_id: str, dos: str, drug: list[str], admin_code: str = "96365",
                pos: str | None = None) -> list[list[str]]:
    """A drug row and its administration row under EXPORT_HEADER (plus POS when given)."""
    tail = [pos] if pos is not None else []
    return [[claim_id, dos, *drug, "PA1", *tail],
            [claim_id, dos, admin_code, "", "1", "", "", "", "", "PA1", *tail]]


BRIUMVI_ROW = ["J3590", "JZ", "1", "BRIUMVI 450MG IV", BRIUMVI, "3", "UN"]


# Dates as .NET writes a DateTime ('10/15/2025 12:00:00 AM': Tebra/Kareo-era report
# exports), as Excel saves a date-time cell to CSV ('10/15/2025 0:00') and as a JSON API's
# CSV carries it ('2025-10-15T00:00:00Z'): each is 2025-10-15: NOC_AFTER_EFFECTIVE J2329.
@pytest.mark.parametrize("dos", ["10/15/2025 12:00:00 AM", "10/15/2025 0:00",
                                 "2025-10-15T00:00:00Z"])
def test_dates_with_a_time_of_day(check, tmp_path, dos):
    path = tmp_path / f"dates-{len(dos)}.csv"
    path.write_bytes(csv_bytes([EXPORT_HEADER, *export_pair("DT1", dos, BRIUMVI_ROW)]))
    checked = check(path)
    assert checked.result.exit_code == 0, checked.output
    assert checked.found() == {"DT1": {"NOC_AFTER_EFFECTIVE"}}
    assert checked.row("DT1", "NOC_AFTER_EFFECTIVE")["correct_units"] == 450


# The CMS-1500 item 24A shaded area in one NDC cell: qualifier N4, the NDC, the unit
# qualifier and the quantity ('N450242015001 UN2', with spaces, hyphens or decimals), no
# quantity or unit column. Ocrevus J2350 x 600 JZ with 96365: the NDC 50242015001, 2 UN:
# clean (no NDC_INVALID).
@pytest.mark.parametrize("cell", ["N450242015001 UN2", "N4 50242-0150-01 UN 2",
                                  "N450242015001UN2.000"])
def test_the_24a_shaded_area_in_one_ndc_cell(check, tmp_path, cell):
    header = ["Claim #", "DOS", "CPT/HCPCS", "Mod", "Units", "Description", "NDC", "Auth #"]
    path = tmp_path / "shaded-24a.csv"
    path.write_bytes(csv_bytes([header,
                                ["SH1", "10/15/2025", "J2350", "JZ", "600", "OCREVUS 600MG",
                                 cell, "PA1"],
                                ["SH1", "10/15/2025", "96365", "", "1", "", "", "PA1"]]))
    checked = check(path)
    assert checked.result.exit_code == 0, checked.output
    assert checked.found() == {}
    [drug] = [item for item in lines_of(checked, "SH1") if item["hcpcs"] == "J2350"]
    assert (drug["ndc11"], drug["ndc_quantity"], drug["ndc_unit"]) == (OCREVUS, 2, "UN")


# NDC units written as the names practice systems display (Epic: Milliliters, Milligrams,
# Grams, International Units, Units; 'UN - Unit' as a code-and-name pick list shows it):
# Ocrevus 2 'Units', Briumvi 450 'Milligrams', Briumvi 0.45 'Grams', Botox 100
# 'International Units', Avastin 4 'Milliliters' (J9035 x 10, not compared), Ocrevus 2
# 'UN - Unit': every line clean.
def test_ndc_units_written_as_names(check, tmp_path):
    drugs = [("J2350", "600", "OCREVUS 600MG", OCREVUS, "2", "Units", "96365"),
             ("J2329", "450", "BRIUMVI 450MG", BRIUMVI, "450", "Milligrams", "96365"),
             ("J2329", "450", "BRIUMVI 450MG", BRIUMVI, "0.45", "Grams", "96365"),
             ("J0585", "100", "BOTOX 100 UNITS", BOTOX_100, "100", "International Units",
              "64615"),
             ("J9035", "10", "AVASTIN 100MG", AVASTIN, "4", "Milliliters", "96413"),
             ("J2350", "600", "OCREVUS 600MG", OCREVUS, "2", "UN - Unit", "96365")]
    rows = [EXPORT_HEADER]
    for number, (code, units, text, ndc, qty, unit, admin_code) in enumerate(drugs, start=1):
        rows += export_pair(f"UW{number}", "10/15/2025",
                            [code, "JZ", units, text, ndc, qty, unit], admin_code)
    checked = check_csv(check, tmp_path / "unit-names.csv", rows)
    assert checked.found() == {}
    assert "6 claim(s), 12 line(s)" in checked.output


# Places of service and codes printed with their names. POS1 ('11 - Office'): clean
# Ocrevus. POS2 ('24 - Ambulatory Surgical Center'): C9399 for Datroway on 2025-09-15 with
# 96413: C_CODE_OFFICE (error), as ASC7001 in the second pass. DESC1: the code cell
# 'J3590 - UNCLASSIFIED BIOLOGICS' (the fee schedule's name beside the code), the biller's
# 'PAVBLU 2MG OD' in Description, '67028 - INTRAVITREAL INJECTION': NOC_AFTER_EFFECTIVE Q5147
# x 2.
def test_places_of_service_and_codes_with_their_names(check, tmp_path):
    header = [*EXPORT_HEADER, "POS"]
    rows = [header,
            *export_pair("POS1", "10/15/2025", ["J2350", "JZ", "600", "OCREVUS 600MG",
                                                OCREVUS, "2", "UN"], pos="11 - Office"),
            *export_pair("POS2", "09/15/2025", ["C9399", "JZ", "1",
                                                "DATROWAY DATOPOTAMAB DERUXTECAN 300 MG",
                                                DATROWAY, "3", "UN"], "96413",
                         pos="24 - Ambulatory Surgical Center"),
            ["DESC1", "10/15/2025", "J3590 - UNCLASSIFIED BIOLOGICS", "JZ", "1",
             "PAVBLU 2MG OD", PAVBLU, "1", "UN", "PA1", "11 - Office"],
            ["DESC1", "10/15/2025", "67028 - INTRAVITREAL INJECTION", "", "1", "", "", "", "",
             "PA1", "11 - Office"]]
    checked = check_csv(check, tmp_path / "named-codes.csv", rows)
    assert checked.found() == {"POS2": {"C_CODE_OFFICE"}, "DESC1": {"NOC_AFTER_EFFECTIVE"}}
    noc = checked.row("DESC1", "NOC_AFTER_EFFECTIVE")
    assert (noc["correct_code"], noc["correct_units"]) == ("Q5147", 2)
    assert [item["place_of_service"] for item in lines_of(checked, "POS2")] == ["24", "24"]


# A charge report with a reversed charge: the J3590 line posted, then reversed with units
# '(1.00)' and charge '($1,500.00)'. Units in parentheses are a negative (an accounting
# reversal), not a service line to check; the file is refused (exit 2) naming row 3 and
# units, the value shown ('(1.00)': it has the shape of a number) and why, with no
# patient detail on the terminal.
def test_a_reversed_charge_is_refused_by_row_and_field(check, tmp_path):
    header = [*EXPORT_HEADER, "Charge", "Patient Name"]
    rows = [header,
            ["REV1", "10/15/2025", *BRIUMVI_ROW, "PA1", "$1,500.00", PATIENT],
            ["REV1", "10/15/2025", "J3590", "JZ", "(1.00)", "BRIUMVI 450MG IV", BRIUMVI, "3",
             "UN", "PA1", "($1,500.00)", PATIENT],
            ["REV1", "10/15/2025", "96365", "", "1", "", "", "", "", "PA1", "$210.00",
             PATIENT]]
    path = tmp_path / "reversal.csv"
    path.write_bytes(csv_bytes(rows))
    checked = check(path)
    assert checked.result.exit_code == 2, checked.output
    assert "reversal.csv, row 3, field 'units': '(1.00)'" in checked.output
    assert "negative" in checked.output
    checked.assert_no_patient_detail()


# An NDC Excel displayed in scientific notation and saved that way ('5.02420E+10' for
# 50242015001): the digits are gone: NDC_INVALID (error) saying it is Excel's scientific
# notation, on a clean-otherwise Ocrevus line.
def test_an_ndc_excel_turned_into_scientific_notation(check, tmp_path):
    path = tmp_path / "sci-ndc.csv"
    path.write_bytes(csv_bytes([EXPORT_HEADER, *export_pair(
        "SCI1", "10/15/2025", ["J2350", "JZ", "600", "OCREVUS 600MG", "5.02420E+10", "2",
                               "UN"])]))
    checked = check(path)
    assert checked.found() == {"SCI1": {"NDC_INVALID"}}
    row = checked.row("SCI1", "NDC_INVALID")
    assert row["severity"] == "error" and "scientific notation" in row["message"]
