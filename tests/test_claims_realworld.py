"""The claim-line pre-check on claim files shaped as real practice systems write them: a
second adversarial pass, cases written (with their expected findings) before the check ran.

837P: as Kareo, AdvancedMD, athenahealth, NextGen and eClinicalWorks send them to a
clearinghouse (CR/LF after each terminator or none, blank lines between segments, `{` as the
repetition separator, several interchanges and transactions in one file, 2000C patient
loops, 2310B/2310C/2420A provider and facility loops, drug and administration lines on
different dates, SV101-7 descriptions beside NTE*ADD, K3, line-level REF*G1, frequency code 7
with REF*F8, places of service 11/19/22/24, RD8 ranges). Every 837P is validated by pyx12 as
it is built (tests/claim_builders.py), or shown to be refused by pyx12 too.

Exports: as practice-management reports save them (title rows above the header, a totals
row at the bottom, the header repeated at page breaks, "$4,200.00" charges, "1.000" units,
HCPCS with the modifier glued on ("J2350-JZ", "J3590 JZ"), NDCs with the N4 prefix, dates as
Excel serial numbers and NDCs as numbers that lost their leading zeros in an XLSX, a patient
name, birth date and member id among the columns).

Expected findings come from the October 2025 CMS files in ../shared/data/cms-samples, read by
hand (HCPC2025_OCT_ANWEB: ADD DT, TERM DT, XREF1; the Oct 2025 ASP pricing file; the Oct 2025
ASP NDC-HCPCS crosswalk), quoted beside each case:
- J2350 ocrelizumab 1 mg; NDC 50242-0150-01 Ocrevus, 300 billing units per package; $59.414.
- J9312 rituximab 10 mg; NDC 50242-0051-21 Rituxan, 10 billing units per package.
- Q5147 aflibercept-ayyh (Pavblu) 1 mg, ADD DT 2025-04-01; NDC 55513-0056-01, 0.05 mL, 2
  billing units; $859.363.
- J9382 zenocutuzumab-zbco (Bizengri) 1 mg, ADD DT 2025-07-01; NDC 71837-1000-02 (pkg of 2
  vials), 375 billing units per vial; $32.910.
- J2329 ublituximab-xiiy (Briumvi) 1 mg (ADD DT 2023-07-01); NDC 73150-0150-06, 150 units.
- C9303 zolbetuximab-clzb 1 mg, 2025-04-01..2025-06-30, XREF1 J1326; J1326
  zolbetuximab-clzb 2 mg from 2025-07-01; NDC 00469-3425-10 Vyloy, 50 billing units
  (100 mg); the Jan 2025 crosswalk (the one nearest a 2025Q3 date, loaded) does not list it.
- J9035 bevacizumab 10 mg; NDC 50242-0060-01 Avastin, 4 mL, 10 billing units.
- J0897 denosumab 1 mg; NDC 55513-0710-01 Prolia, 60 billing units.
- C9174 datopotamab deruxtecan 2025-07-01..2025-09-30 (HOPD); J9011 from 2025-10-01.

Each case that carries patient details greps the DuckDB file (bytes and every table), the
workbook, the terminal (stdout and stderr) and every log record for them.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner
from openpyxl import Workbook

import claim_builders as cb
from crosswalk.cli import main
from crosswalk.settings import Settings
from test_claims_adversarial import csv_bytes, stored_findings, table_text, workbook_text

pytestmark = pytest.mark.real_samples
D = date
OCT15 = D(2025, 10, 15)
OCREVUS = "50242015001"
RITUXAN = "50242005121"
PAVBLU = "55513005601"
BIZENGRI = "71837100002"
BRIUMVI = "73150015006"
VYLOY = "00469342510"
AVASTIN = "50242006001"
PROLIA = "55513071001"
DATROWAY = "65597080101"
SUBSCRIBER = cb.Patient()
DEPENDANT = cb.Patient(last="YYFENWICKE", first="PERPETUA", member_id="",
                       street="12 BRAMBLEGATE CT", city="OXHOLLOW", birth_date="20090721")
DETAILS = (*SUBSCRIBER.details(), *DEPENDANT.details())


@pytest.fixture(scope="module")
def warehouse_copy(real_2025q4: Settings, tmp_path_factory) -> Settings:
    """The real release's data directory, copied once for this module: the patient-detail
    grep then sees only what these cases stored."""
    data_dir = tmp_path_factory.mktemp("realworld") / "data"
    shutil.copytree(real_2025q4.data_dir, data_dir, ignore=shutil.ignore_patterns("reports"))
    return Settings(data_dir=data_dir)


class Checked:
    """One `crosswalk claims check FILE` run: exit code, terminal, findings by claim."""

    def __init__(self, settings: Settings, path: Path, result: Any, log: str) -> None:
        self.settings, self.path, self.result, self.log = settings, path, result, log
        self.output = result.output  # stdout and stderr as the terminal shows them
        self.rows: list[dict[str, Any]] = []
        if result.exit_code == 0:
            with duckdb.connect(str(settings.db_path), read_only=True) as con:
                (file_id,) = con.execute(
                    "SELECT max(file_id) FROM claim_files WHERE file_path = ?",
                    [str(path.resolve())]).fetchone()
            self.rows = stored_findings(settings, file_id)

    def found(self) -> dict[str, set[str]]:
        """claim id -> its findings (claims without findings absent)."""
        out: dict[str, set[str]] = {}
        for row in self.rows:
            out.setdefault(row["claim_id"], set()).add(row["finding"])
        return out

    def row(self, claim_id: str, finding: str, line: int = 1) -> dict[str, Any]:
        [match] = [r for r in self.rows if r["claim_id"] == claim_id
                   and r["finding"] == finding and r["line_no"] == line]
        return match

    def assert_no_patient_detail(self, details: tuple[str, ...] = DETAILS) -> None:
        outputs = {"terminal": self.output, "logs": self.log,
                   "database": table_text(self.settings)}
        report = self.settings.reports_dir / "claims" / f"claims-check-{self.path.stem}.xlsx"
        if report.exists():
            outputs["workbook"] = workbook_text(report)
        for where, text in outputs.items():
            leaked = [detail for detail in details if detail in text]
            assert not leaked, f"{where} holds {leaked}"


@pytest.fixture
def check(warehouse_copy, caplog) -> Callable[[Path], Checked]:
    def run(path: Path) -> Checked:
        caplog.clear()
        with caplog.at_level(logging.DEBUG):
            result = CliRunner().invoke(
                main, ["claims", "check", "--data-dir", str(warehouse_copy.data_dir),
                       str(path)])
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            result.exception
        log = "\n".join(record.getMessage() for record in caplog.records)
        return Checked(warehouse_copy, path, result, log)
    return run


def line(code: str, units: float, dos: date = OCT15, mods: tuple[str, ...] = ("JZ",),
         text: str | None = None, ndc: str | None = None, qty: float | None = None,
         unit: str = "UN", **more: Any) -> cb.ServiceLine:
    return cb.ServiceLine(code, units, dos, mods if ndc or text or code[0] in "JCQ" else (),
                          text, ndc=ndc, ndc_quantity=qty, ndc_unit=unit if ndc else None,
                          **more)


def admin(code: str = "96365", dos: date = OCT15, **more: Any) -> cb.ServiceLine:
    return cb.ServiceLine(code, 1, dos, **more)


def with_segments(content: bytes, after: str, segments: list[str], nth: int = 1) -> bytes:
    """The interchange with `segments` inserted after the nth segment starting with `after`
    (a '~'-terminated, newline-separated file), SE01 counting them."""
    text = content.decode("ascii")
    at = -1
    for _ in range(nth):
        at = text.index("\n" + after, at + 1)
    end = text.index("~", at) + 1
    text = text[:end] + "".join(f"\n{segment}~" for segment in segments) + text[end:]
    se = text.index("\nSE*", at) + 4
    count, rest = text[se:].split("*", 1)
    return (text[:se] + f"{int(count) + len(segments)}*" + rest).encode("ascii")


def write_837(folder: Path, name: str, content: bytes) -> Path:
    assert cb.pyx12_problems(content) == [], "fixture must be a valid 837P"
    path = folder / name
    path.write_bytes(content)
    return path


# =============================================================================================
# 837P as practice systems send them

# Kareo-style: CRLF after each '~'. KAR1001 (subscriber is the patient): Ocrevus 600 mg =
# J2350 x 600 (1 mg), NDC 2 UN x 300 units = 600, 96365 + 96366 the same day, JZ, PA: clean.
# KAR1002 (a dependant, 2000C): Rituxan 700 mg = J9312 x 70 (10 mg), NDC 7 UN x 10 = 70,
# 96413, JZ, PA: clean. Nothing reaches any output from either patient loop.
KAREO = [
    cb.Claim("KAR1001", [line("J2350", 600, text="OCREVUS 600MG IV", ndc=OCREVUS, qty=2),
                         admin("96365"), admin("96366")], prior_auth="PA7781"),
    cb.Claim("KAR1002", [line("J9312", 70, text="RITUXAN 700MG", ndc=RITUXAN, qty=7),
                         admin("96413")], prior_auth="PA7782", patient=DEPENDANT),
]


def test_kareo_crlf_file_with_a_dependant_is_clean_and_keeps_no_patient(check, tmp_path):
    path = write_837(tmp_path, "KAREO_20251020.txt",
                     cb.x12_837p(KAREO, delimiters=cb.Delimiters(newline="\r\n")))
    checked = check(path)
    assert checked.result.exit_code == 0, checked.output
    assert checked.found() == {}
    assert "2 claim(s), 5 line(s)" in checked.output
    checked.assert_no_patient_detail()


# athenahealth-style: one long line, repetition separator '{'. ATH2001: J3590 for Pavblu
# 2 mg intravitreal with 67028 on 2025-10-15, no prior authorisation. Q5147 has applied
# since 2025-04-01: NOC_AFTER_EFFECTIVE (error), bill Q5147 x 2 (2 mg / 1 mg; NDC 1 UN x 2
# units agrees); amount 2 x $859.363 = $1,718.73; PA_MISSING (warning).
def pavblu_claim(claim_id: str, noc: str = "J3590", ndc: str | None = PAVBLU,
                 dos: date = OCT15, prior_auth: str | None = None) -> cb.Claim:
    return cb.Claim(claim_id, [line(noc, 1, dos, text="PAVBLU AFLIBERCEPT-AYYH 2MG OD",
                                    ndc=ndc, qty=1),
                               admin("67028", dos)], prior_auth=prior_auth)


def test_athena_one_line_file_with_brace_repetition(check, tmp_path):
    path = write_837(tmp_path, "athena-claims.x12", cb.x12_837p(
        [pavblu_claim("ATH2001")], delimiters=cb.Delimiters(repetition="{", newline="")))
    checked = check(path)
    assert checked.result.exit_code == 0, checked.output
    assert checked.found() == {"ATH2001": {"NOC_AFTER_EFFECTIVE", "PA_MISSING"}}
    noc = checked.row("ATH2001", "NOC_AFTER_EFFECTIVE")
    assert (noc["severity"], noc["correct_code"], noc["correct_units"]) == ("error", "Q5147", 2)
    assert float(noc["amount_at_risk"]) == pytest.approx(1718.73, abs=0.01)
    assert "Q5147" in noc["message"] and "2025-04-01" in noc["message"]
    assert checked.row("ATH2001", "PA_MISSING")["severity"] == "warning"
    checked.assert_no_patient_detail()


# AdvancedMD-style: the infusion billed the day after the drug line. AMD3001: J2350 on
# 2025-10-14, 96365 on 2025-10-15: ADMIN_CODE_MISSING (error) on the drug line only.
# AMD3002: two infusion days, each with its own 96365: clean (300 units each, NDC 1 UN x 300).
AMD = [
    cb.Claim("AMD3001", [line("J2350", 600, D(2025, 10, 14), text="OCREVUS 600MG",
                              ndc=OCREVUS, qty=2), admin("96365", OCT15)], prior_auth="PA1"),
    cb.Claim("AMD3002", [line("J2350", 300, D(2025, 10, 14), text="OCREVUS 300MG",
                              ndc=OCREVUS, qty=1), admin("96365", D(2025, 10, 14)),
                         line("J2350", 300, D(2025, 10, 28), text="OCREVUS 300MG",
                              ndc=OCREVUS, qty=1), admin("96365", D(2025, 10, 28))],
             prior_auth="PA1"),
]


def test_drug_and_administration_on_different_dates(check, tmp_path):
    path = write_837(tmp_path, "amd-batch.837", cb.x12_837p(AMD))
    checked = check(path)
    assert checked.found() == {"AMD3001": {"ADMIN_CODE_MISSING"}}
    assert checked.row("AMD3001", "ADMIN_CODE_MISSING")["severity"] == "error"
    checked.assert_no_patient_detail()


# NextGen hospital outpatient (POS 22): C9303 (zolbetuximab, 1 mg) ended 2025-06-30, XREF1
# J1326 (2 mg) from 2025-07-01. C9303 x 600 on 2025-08-05: CODE_ENDED (error), correct code
# J1326; 600 mg at 2 mg is 300 units. No NDC_CODE_MISMATCH (the Jan 2025 crosswalk, nearest
# the date, does not list Vyloy), no C_CODE_OFFICE (POS 22).
def test_nextgen_hopd_ended_c_code_names_its_successor(check, tmp_path):
    claim = cb.Claim("NG4001", [line("C9303", 600, D(2025, 8, 5), text="VYLOY 600MG",
                                     ndc=VYLOY, qty=6), admin("96413", D(2025, 8, 5))],
                     pos="22", prior_auth="PA1")
    checked = check(write_837(tmp_path, "nextgen.837", cb.x12_837p([claim])))
    assert checked.found() == {"NG4001": {"CODE_ENDED"}}
    ended = checked.row("NG4001", "CODE_ENDED")
    assert (ended["severity"], ended["correct_code"]) == ("error", "J1326")
    assert ended["correct_units"] in (None, 300)  # never 600: J1326 is 2 mg
    checked.assert_no_patient_detail()


# eClinicalWorks-style: SV101-7 "BRIUMVI 450MG IV", NTE*ADD with the generic name, a K3,
# the prior authorisation on the line (2400 REF*G1) and a 2420A rendering provider after
# the drug loop. J3590 on 2025-10-15: NOC_AFTER_EFFECTIVE, bill J2329 x 450 (3 UN x 150);
# no PA_MISSING (the line carries one).
def test_ecw_line_note_k3_line_prior_auth_and_2420a(check, tmp_path):
    claim = cb.Claim("ECW5001", [line("J3590", 1, text="BRIUMVI 450MG IV", ndc=BRIUMVI, qty=3,
                                      note="UBLITUXIMAB-XIIY 450 MG IN 250 ML NS",
                                      prior_auth="LINEPA55"), admin("96365")])
    content = with_segments(cb.x12_837p([claim], validate=False), "REF*G1*LINEPA55",
                            ["K3*ACME 01"])
    content = with_segments(content, "CTP*", [f"NM1*82*1*RIVERA*ANA****XX*{cb.RENDERING_NPI}"])
    checked = check(write_837(tmp_path, "ecw.837", content))
    assert checked.found() == {"ECW5001": {"NOC_AFTER_EFFECTIVE"}}
    noc = checked.row("ECW5001", "NOC_AFTER_EFFECTIVE")
    assert (noc["correct_code"], noc["correct_units"]) == ("J2329", 450)
    checked.assert_no_patient_detail()


# A replacement claim (CLM05-3 = 7, REF*F8 original claim number) and a 2310C service
# facility: read as any claim. Avastin 100 mg IV = J9035 x 10 (10 mg) with NDC 4 ML (a
# volume against a 10 mg billing unit: not compared), 96413, JZ: clean.
def test_replacement_claim_with_service_facility(check, tmp_path):
    claim = cb.Claim("FRQ6001", [line("J9035", 10, text="AVASTIN 100MG IV", ndc=AVASTIN,
                                      qty=4, unit="ML"), admin("96413")], prior_auth="PA1")
    text = cb.x12_837p([claim], validate=False).decode("ascii")
    text = text.replace(":B:1*", ":B:7*", 1).replace("REF*G1*PA1~", "REF*F8*PAYERCLM0099~\n"
                                                     "REF*G1*PA1~", 1)
    content = with_segments(text.encode("ascii"), "PRV*PE", ["NM1*77*2*NORTHSIDE INFUSION SUITE*****XX*"
                                                f"{cb.BILLING_NPI}", "N3*200 CLINIC WAY",
                                                "N4*SPRINGFIELD*IL*627010000"])
    text = content.decode("ascii")
    se = text.index("\nSE*") + 4  # and REF*F8 is one segment more
    count, rest = text[se:].split("*", 1)
    content = (text[:se] + f"{int(count) + 1}*" + rest).encode("ascii")
    checked = check(write_837(tmp_path, "replacement.837", content))
    assert checked.result.exit_code == 0, checked.output
    assert checked.found() == {}
    assert "1 claim(s), 2 line(s)" in checked.output


# An ambulatory surgical center (POS 24) billing C9399 for Datroway on 2025-09-15: C-codes
# are hospital outpatient (19/22): C_CODE_OFFICE (error). C9174 applied that day only in
# the hospital outpatient setting and J9011 only from 2025-10-01: no code to suggest.
def test_c9399_at_an_ambulatory_surgical_center(check, tmp_path):
    claim = cb.Claim("ASC7001", [line("C9399", 1, D(2025, 9, 15),
                                      text="DATROWAY DATOPOTAMAB DERUXTECAN 300 MG",
                                      ndc=DATROWAY, qty=3), admin("96413", D(2025, 9, 15))],
                     pos="24", prior_auth="PA1")
    checked = check(write_837(tmp_path, "asc.837", cb.x12_837p([claim])))
    assert checked.found() == {"ASC7001": {"C_CODE_OFFICE"}}
    row = checked.row("ASC7001", "C_CODE_OFFICE")
    assert row["severity"] == "error" and row["correct_code"] is None


# RD8 on the drug line (the same first and last day), D8 on the infusion: clean.
def test_rd8_drug_line_with_d8_administration(check, tmp_path):
    claim = cb.Claim("RD8001", [line("J2350", 600, text="OCREVUS 600MG", ndc=OCREVUS, qty=2,
                                     dos_through=OCT15), admin("96365")], prior_auth="PA1")
    checked = check(write_837(tmp_path, "rd8.837", cb.x12_837p([claim])))
    assert checked.result.exit_code == 0 and checked.found() == {}


# J9999 for Bizengri 750 mg on 2025-10-20: J9382 (1 mg) since 2025-07-01: NOC_AFTER_EFFECTIVE,
# J9382 x 750; the NDC 2 UN x 375 units (a vial) agrees; amount 750 x $32.910 = $24,682.50.
def test_j9999_for_bizengri_after_its_code(check, tmp_path):
    dos = D(2025, 10, 20)
    claim = cb.Claim("BIZ9001", [line("J9999", 1, dos, text="BIZENGRI (ZENOCUTUZUMAB-ZBCO) "
                                      "750 MG IV", ndc=BIZENGRI, qty=2),
                                 admin("96413", dos)], prior_auth="PA1")
    checked = check(write_837(tmp_path, "bizengri.837", cb.x12_837p([claim])))
    assert checked.found() == {"BIZ9001": {"NOC_AFTER_EFFECTIVE"}}
    noc = checked.row("BIZ9001", "NOC_AFTER_EFFECTIVE")
    assert (noc["correct_code"], noc["correct_units"]) == ("J9382", 750)
    assert float(noc["amount_at_risk"]) == pytest.approx(24682.50, abs=0.01)


# J2329 billed 300 units for Briumvi 450 mg with NDC 3 UN (3 x 150 = 450): UNITS_MISMATCH
# (warning), correct units 450.
def test_units_short_of_the_dose_and_ndc_quantity(check, tmp_path):
    claim = cb.Claim("UM1001", [line("J2329", 300, text="BRIUMVI 450 MG", ndc=BRIUMVI, qty=3),
                                admin("96365")], prior_auth="PA1")
    checked = check(write_837(tmp_path, "units.837", cb.x12_837p([claim])))
    assert checked.found() == {"UM1001": {"UNITS_MISMATCH"}}
    row = checked.row("UM1001", "UNITS_MISMATCH")
    assert (row["severity"], row["correct_units"]) == ("warning", 450)


# J3490 (non-biologic NOC) for Pavblu on 2025-10-20 with PA and no NDC: NOC_AFTER_EFFECTIVE
# (Q5147 x 2) and NDC_MISSING (error on a NOC line); no NOC_FAMILY (no NOC code is right
# once the permanent code applies).
def test_j3490_for_a_biosimilar_without_ndc(check, tmp_path):
    claim = pavblu_claim("J34901", noc="J3490", ndc=None, dos=D(2025, 10, 20), prior_auth="PA1")
    checked = check(write_837(tmp_path, "j3490.837", cb.x12_837p([claim])))
    assert checked.found() == {"J34901": {"NOC_AFTER_EFFECTIVE", "NDC_MISSING"}}
    assert checked.row("J34901", "NDC_MISSING")["severity"] == "error"
    noc = checked.row("J34901", "NOC_AFTER_EFFECTIVE")
    assert (noc["correct_code"], noc["correct_units"]) == ("Q5147", 2)


# A clearinghouse batch: interchange 1 holds two ST/SE transactions (MI1 clean Ocrevus, MI2
# Pavblu on J3590: NOC_AFTER_EFFECTIVE + PA_MISSING), interchange 2 (repetition '{') holds
# MI3: J2329 without JW/JZ on 2025-10-15: JW_JZ_MISSING (warning). 3 claims.
def test_several_interchanges_and_transactions_in_one_file(check, tmp_path):
    first = cb.x12_837p([cb.Claim("MI1", [line("J2350", 600, text="OCREVUS 600MG",
                                                ndc=OCREVUS, qty=2), admin()],
                                  prior_auth="PA1"), pavblu_claim("MI2")], per_transaction=1)
    second = cb.x12_837p([cb.Claim("MI3", [line("J2329", 450, mods=(), text="BRIUMVI 450MG",
                                                 ndc=BRIUMVI, qty=3), admin()],
                                   prior_auth="PA1")], control=2,
                         delimiters=cb.Delimiters(repetition="{"))
    checked = check(write_837(tmp_path, "batch.837", first + second))
    assert "3 claim(s)" in checked.output
    assert checked.found() == {"MI2": {"NOC_AFTER_EFFECTIVE", "PA_MISSING"},
                               "MI3": {"JW_JZ_MISSING"}}
    assert checked.row("MI3", "JW_JZ_MISSING")["severity"] == "warning"


# Blank lines between segments and whitespace lines after the IEA (a file opened and saved
# in an editor): read as the same claim; pyx12 reads it too. Prolia 60 mg = J0897 x 60,
# NDC 1 UN x 60, 96372, JZ: clean.
def test_blank_lines_between_segments_and_after_the_end(check, tmp_path):
    claim = cb.Claim("BL1", [line("J0897", 60, text="PROLIA 60MG SC", ndc=PROLIA, qty=1),
                             admin("96372")], prior_auth="PA1")
    text = cb.x12_837p([claim]).decode("ascii").replace("~\n", "~\r\n\r\n") + "\r\n \r\n\t\r\n"
    checked = check(write_837(tmp_path, "blank-lines.837", text.encode("ascii")))
    assert checked.result.exit_code == 0, checked.output
    assert checked.found() == {} and "1 claim(s), 2 line(s)" in checked.output


# Lowercase segment ids ('sv1'): not X12 (pyx12 refuses it too). Expected: exit 2 naming the
# file and a segment, never a silent pass over the service lines.
def test_lowercase_segment_ids_are_refused_by_segment(check, tmp_path):
    text = cb.x12_837p([pavblu_claim("LC1")]).decode("ascii").replace("\nSV1*", "\nsv1*")
    assert cb.pyx12_problems(text.encode("ascii"))
    path = tmp_path / "lower.837"
    path.write_text(text)
    checked = check(path)
    assert checked.result.exit_code == 2
    assert re.search(r"lower\.837 segment \d+", checked.output), checked.output


# =============================================================================================
# Claim-line exports as practice-management reports save them

REPORT_HEADER = ["Encounter", "Patient Name", "DOS", "POS", "CPT Code", "Modifiers", "Units",
                 "Charge Amount", "Description", "NDC", "NDC Qty", "NDC UOM", "Auth #",
                 "Insurance", "Patient DOB", "Member ID"]
PATIENT_CELLS = [f"{SUBSCRIBER.last}, {SUBSCRIBER.first}"]
PATIENT_TAIL = ["03/14/1958", SUBSCRIBER.member_id]


def report_row(encounter: str, dos: str, code: str, mods: str, units: str, charge: str,
               text: str = "", ndc: str = "", qty: str = "", uom: str = "",
               auth: str = "PA1") -> list[str]:
    return [encounter, *PATIENT_CELLS, dos, "11", code, mods, units, charge, text, ndc, qty,
            uom, auth, "MEDICARE PART B", *PATIENT_TAIL]


# EXP1: Ocrevus clean (J2350 x 600, NDC N4-prefixed, qty "2.000" UN). EXP2: Pavblu on J3590
# (NOC_AFTER_EFFECTIVE Q5147 x 2) without an authorisation (PA_MISSING). Units "1.000",
# charges "$4,200.00".
REPORT_ROWS = [
    report_row("EXP1", "10/15/2025", "J2350", "JZ", "600.000", "$35,648.40", "OCREVUS 600MG",
               "N4" + OCREVUS, "2.000", "UN"),
    report_row("EXP1", "10/15/2025", "96365", "", "1.000", "$210.00"),
    report_row("EXP2", "10/15/2025", "J3590", "JZ", "1.000", "$1,800.00",
               "PAVBLU AFLIBERCEPT-AYYH 2MG OD", "N4" + PAVBLU, "1.000", "UN", auth=""),
    report_row("EXP2", "10/15/2025", "67028", "", "1.000", "$150.00", auth=""),
]
EXPECTED_REPORT = {"EXP2": {"NOC_AFTER_EFFECTIVE", "PA_MISSING"}}
TITLE_ROWS = [["Charge Detail Report"], ["Northside Infusion Clinic"],
              ["Date Range: 10/01/2025 - 10/31/2025"], []]


def assert_report_findings(checked: Checked) -> None:
    assert checked.result.exit_code == 0, checked.output
    assert checked.found() == EXPECTED_REPORT
    noc = checked.row("EXP2", "NOC_AFTER_EFFECTIVE")
    assert (noc["correct_code"], noc["correct_units"]) == ("Q5147", 2)
    checked.assert_no_patient_detail()


def test_report_with_title_rows_dollar_charges_and_patient_columns(check, tmp_path):
    path = tmp_path / "charge-detail.csv"
    path.write_bytes(csv_bytes([*TITLE_ROWS, REPORT_HEADER, *REPORT_ROWS]))
    checked = check(path)
    assert_report_findings(checked)
    assert "2 claim(s), 4 line(s)" in checked.output


@pytest.mark.parametrize("totals", [
    ["", "", "", "", "", "", "1,203.000", "$37,808.40"],        # totals under the columns
    ["Total", "", "", "", "", "", "1203", "$37,808.40"],        # "Total" in the first column
    ["Grand Total:", "", "", "", "", "", "", "$37,808.40"],
    ["Report Totals", "", "", "", "", "", "1,203.000"],
], ids=["blank-label", "total", "grand-total", "report-totals"])
def test_report_with_a_totals_row_at_the_bottom(check, tmp_path, totals):
    """A totals row is no service line: skipped (with a note), not a refusal of the file."""
    path = tmp_path / "charge-totals.csv"
    path.write_bytes(csv_bytes([REPORT_HEADER, *REPORT_ROWS, [], totals]))
    checked = check(path)
    assert_report_findings(checked)


def test_report_with_the_header_repeated_at_page_breaks(check, tmp_path):
    """A report printed to CSV repeats its title, a 'Page 2 of 2' line and the header above
    each page: those rows are skipped, every service line read."""
    path = tmp_path / "paged.csv"
    path.write_bytes(csv_bytes([*TITLE_ROWS, REPORT_HEADER, *REPORT_ROWS[:2], [],
                                ["Page 1 of 2"], ["Charge Detail Report"], REPORT_HEADER,
                                *REPORT_ROWS[2:], ["Page 2 of 2"]]))
    checked = check(path)
    assert_report_findings(checked)
    assert "2 claim(s), 4 line(s)" in checked.output
    assert ("note: rows 9, 10, 11, 14 left out: a report's title, page, totals or repeated "
            "header line") in checked.output


def test_a_claim_line_without_date_or_code_is_still_refused(check, tmp_path):
    """Added after the fix above: a row with a claim id and units but no date or code is a
    broken service line, not a report line: refused naming row 4."""
    broken = ["EXP1", "", "", "11", "", "", "2", "", "", "", "", "", "PA1", "", "", ""]
    path = tmp_path / "broken-line.csv"
    path.write_bytes(csv_bytes([REPORT_HEADER, *REPORT_ROWS[:2], broken, *REPORT_ROWS[2:]]))
    checked = check(path)
    assert checked.result.exit_code == 2
    assert "broken-line.csv, row 4, field 'date_of_service'" in checked.output


@pytest.mark.parametrize("glued", ["{code}-{mod}", "{code} {mod}", "{code}{mod}"])
def test_hcpcs_with_the_modifier_glued_on(check, tmp_path, glued):
    """'J3590-JZ', 'J3590 JZ', 'J3590JZ' in the code column (PM systems that print code and
    modifier together): the code and its modifier, the same findings as separate columns."""
    rows = []
    for row in REPORT_ROWS:
        row = list(row)
        if row[5]:
            row[4], row[5] = glued.format(code=row[4], mod=row[5]), ""
        rows.append(row)
    path = tmp_path / f"glued-{glued.replace('{', '').replace('}', '').replace(' ', '_')}.csv"
    path.write_bytes(csv_bytes([REPORT_HEADER, *rows]))
    checked = check(path)
    assert_report_findings(checked)  # JZ read: no JW_JZ_MISSING on EXP1


def test_glued_modifiers_with_a_second_modifier_column(check, tmp_path):
    """'J2350-JZ' in the code column and '59' in Modifiers: both modifiers kept."""
    rows = [list(row) for row in REPORT_ROWS]
    rows[0][4], rows[0][5] = "J2350-JZ", "59"
    path = tmp_path / "glued-two.csv"
    path.write_bytes(csv_bytes([REPORT_HEADER, *rows]))
    checked = check(path)
    assert_report_findings(checked)
    with duckdb.connect(str(checked.settings.db_path), read_only=True) as con:
        mods = con.execute("SELECT modifiers FROM claim_lines l JOIN claim_files f USING "
                           "(file_id) WHERE f.file_name = 'glued-two.csv' AND hcpcs = 'J2350'"
                           ).fetchone()[0]
    assert sorted(mods) == ["59", "JZ"]


def xlsx_report(path: Path, rows: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "Charges"
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_xlsx_report_with_serial_dates_numeric_ndcs_and_totals(check, tmp_path):
    """An XLSX from a PM system whose DOS column is unformatted (Excel serial 45945 =
    2025-10-15) and whose NDC column is numeric (Vyloy's 00469342510 stored as 469342510):
    the serial is the date; the NDC's one reading in the CMS crosswalk restores it. VYL1:
    J1326 x 300 (600 mg at 2 mg), NDC 6 UN x 50 = 300, 96413, JZ. EXP2 as above."""
    header = ["Encounter", "Patient Name", "DOS", "POS", "CPT Code", "Modifiers", "Units",
              "Charge Amount", "Description", "NDC", "NDC Qty", "NDC UOM", "Auth #"]
    rows = [["Charge Detail Report"], [],
            header,
            ["VYL1", PATIENT_CELLS[0], 45945, 11, "J1326", "JZ", 300, 10112.70,
             "VYLOY 600MG", 469342510, 6, "UN", "PA1"],
            ["VYL1", PATIENT_CELLS[0], 45945, 11, "96413", None, 1, 300.0, None, None, None,
             None, "PA1"],
            ["EXP2", PATIENT_CELLS[0], 45945, 11, "J3590", "JZ", 1, 1800.0,
             "PAVBLU AFLIBERCEPT-AYYH 2MG OD", int(PAVBLU), 1, "UN", None],
            ["EXP2", PATIENT_CELLS[0], 45945, 11, "67028", None, 1, 150.0],
            [None, None, None, None, "Total", None, 303, 12362.70]]
    checked = check(xlsx_report(tmp_path / "charges.xlsx", rows))
    assert checked.result.exit_code == 0, checked.output
    # expectation corrected after the run: the 9 digits are what the file carries, so
    # NDC_INVALID (a documented rule: the claim still carries the raw form) names the
    # 11-digit NDC the crosswalk restores; the line is otherwise judged on it (no mismatch)
    assert checked.found() == {**EXPECTED_REPORT, "VYL1": {"NDC_INVALID"}}
    assert "9 digits" in checked.row("VYL1", "NDC_INVALID")["message"]
    assert "(00469342510)" in checked.row("VYL1", "NDC_INVALID")["message"]
    with duckdb.connect(str(checked.settings.db_path), read_only=True) as con:
        got = con.execute("SELECT DISTINCT date_of_service, ndc11 FROM claim_lines l JOIN "
                          "claim_files f USING (file_id) WHERE f.file_name = 'charges.xlsx' "
                          "AND hcpcs = 'J1326'").fetchall()
    assert got == [(OCT15, VYLOY)]
    checked.assert_no_patient_detail()


def test_claim_id_printed_only_on_a_claims_first_line_is_refused_by_row(check, tmp_path):
    """A grouped report prints the encounter only on its first line. Guessing the claim
    would be guessing which claim an administration code is on: refused (exit 2) naming
    row 3 and claim_id, no patient detail on the terminal."""
    rows = [list(row) for row in REPORT_ROWS]
    rows[1][0] = ""
    path = tmp_path / "grouped.csv"
    path.write_bytes(csv_bytes([REPORT_HEADER, *rows]))
    checked = check(path)
    assert checked.result.exit_code == 2
    assert "grouped.csv, row 3, field 'claim_id'" in checked.output
    checked.assert_no_patient_detail()


def test_a_blank_line_between_claims_and_lowercase_uom(check, tmp_path):
    """Blank lines between claims and 'un' written lowercase: read as the same lines."""
    rows = [list(row) for row in REPORT_ROWS]
    rows[0][11] = rows[2][11] = "un"
    path = tmp_path / "spaced.csv"
    path.write_bytes(csv_bytes([REPORT_HEADER, rows[0], rows[1], [], [], rows[2], rows[3],
                                []]))
    assert_report_findings(check(path))


# =============================================================================================
# The command line: sensible output, exit 0 with findings, 2 for unreadable input


def test_cli_prints_counts_findings_and_the_workbook(check, tmp_path):
    path = write_837(tmp_path, "week-43.837", cb.x12_837p([pavblu_claim("CLI1")]))
    checked = check(path)
    assert checked.result.exit_code == 0
    out = checked.result.output
    assert "week-43.837 (837p): 1 claim(s), 2 line(s) checked against the 2025Q4 release" in out
    assert re.search(r"NOC_AFTER_EFFECTIVE\s+error\s+1", out)
    assert re.search(r"PA_MISSING\s+warning\s+1", out)
    assert "claims-check-week-43.xlsx" in out


@pytest.mark.parametrize("name, content, named", [
    ("empty.csv", b"", "empty.csv"),
    ("scan.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n" * 20,
     "scan.csv"),
    ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 200, "broken.xlsx"),
    ("isa-only.837", b"ISA*00*          *00*          *ZZ*NORTHSIDEINF   *ZZ*", "isa-only.837"),
    ("utf16.837", "ISA*00*".encode("utf-16"), "utf16.837"),
])
def test_cli_unreadable_input_exits_2_naming_the_file(check, tmp_path, name, content, named):
    path = tmp_path / name
    path.write_bytes(content)
    checked = check(path)
    assert checked.result.exit_code == 2, checked.output
    assert named in checked.output


def test_cli_cut_837p_names_the_segment_and_still_checks_the_other_file(warehouse_copy,
                                                                        tmp_path):
    good = write_837(tmp_path, "good.837", cb.x12_837p([pavblu_claim("GOOD1")]))
    text = cb.x12_837p([pavblu_claim("CUT1")]).decode("ascii")
    cut = tmp_path / "cut.837"
    cut.write_text(text[:text.index("LX*2") + 3])
    result = CliRunner().invoke(
        main, ["claims", "check", "--data-dir", str(warehouse_copy.data_dir), str(cut),
               str(good)])
    assert result.exit_code == 2
    assert re.search(r"cut\.837 segment \d+", result.stderr), result.output
    assert "Traceback" not in result.output
    assert "good.837 (837p): 1 claim(s)" in result.output
