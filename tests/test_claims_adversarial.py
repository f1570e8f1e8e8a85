"""The claim-line pre-check under attack: claim files as practice systems and clearinghouses
really write them, and the answers the CMS files say are right.

Each case states its expected findings from the October 2025 CMS files in
../shared/data/cms-samples (HCPC2025_OCT_ANWEB.xlsx: ADD DT, TERM DT, XREF1, descriptors; the
Oct 2025 ASP pricing file; the Oct 2025 and Jan 2025 ASP NDC-HCPCS crosswalks, all loaded by
the `real_2025q4` fixture) and the rules of issue 15 and the J3590 billing guide, in a comment
beside it, and was written before the check was run. Every 837P is built by
tests/claim_builders.py and validated by pyx12 as it is built, unless a case says it is
deliberately outside what pyx12 reads. Cases that pass are kept too: they pin behaviour the
check gets right where it is easy to get wrong.

Sections: (a) patient details, (b) findings, (c) input the reader must take or refuse cleanly.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner
from openpyxl import Workbook

import claim_builders as cb
from crosswalk import claim_checks, x12
from crosswalk.cli import main
from crosswalk.errors import BadInput
from crosswalk.settings import Settings

pytestmark = pytest.mark.real_samples
D = date
OCT15 = D(2025, 10, 15)
# NDCs of the Oct 2025 / Jan 2025 ASP NDC-HCPCS crosswalks
BRIUMVI = "73150015006"   # J2329, 150 billing units (1 mg) per 150 mg vial
SOLIRIS = "25682000101"   # Jan 2025: J1300, 30 units (10 mg) per vial; Oct 2025: J1299, 150 (2 mg)
DATROWAY = "65597080101"  # Oct 2025: J9011, 100 units (1 mg) per vial
IMDELLTRA = "55513007701"  # Oct 2025: J9026, 10 units (1 mg) per vial
BOTOX = "00023114501"     # J0585, 100 units per vial
SUBSCRIBER = cb.Patient()  # ZZQUIXOTE MARGARETHA, member XQZ998877A, born 1958-03-14


def with_admin(claim_id: str, line: cb.ServiceLine, admin: str = "96365", *, pos: str = "11",
               prior_auth: str | None = "PA1") -> cb.Claim:
    """The drug line with an administration code on the same claim and day and a prior
    authorisation, so only the drug line's own faults remain."""
    return cb.Claim(claim_id, [line, cb.ServiceLine(admin, 1, line.dos)], pos=pos,
                    prior_auth=prior_auth)


def stored_findings(settings: Settings, file_id: int) -> list[dict[str, Any]]:
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        cursor = con.execute(
            "SELECT l.claim_id, l.line_no, l.date_of_service, l.hcpcs, l.units, l.modifiers, "
            "l.narrative, x.finding, x.severity, x.message, x.correct_code, x.correct_units, "
            "x.amount_at_risk FROM claim_findings x JOIN claim_lines l USING (file_id, line_seq) "
            "WHERE file_id = ? ORDER BY l.line_seq, x.finding", [file_id])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def of_claim(rows: list[dict[str, Any]], claim_id: str, line: int = 1) -> dict[str, dict]:
    """finding -> row, for one line of one claim."""
    return {row["finding"]: row for row in rows
            if row["claim_id"] == claim_id and row["line_no"] == line}


def check_both(settings: Settings, folder: Path, stem: str, claims: list[cb.Claim]
               ) -> dict[str, list[dict[str, Any]]]:
    """The claims as an 837P (pyx12-valid) and as the CSV export, checked: kind -> findings."""
    files = cb.write_both(folder, stem, claims)
    return {kind: stored_findings(settings, claim_checks.check_file(settings, path).file_id)
            for kind, path in files.items()}


def table_text(settings: Settings) -> str:
    """Every row of every table, as text, and the database file's bytes."""
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        tables = [name for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()]
        dump = repr({t: con.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables})
    return dump + settings.db_path.read_bytes().decode("latin-1")


def workbook_text(path: Path) -> str:
    with zipfile.ZipFile(path) as book:
        return " ".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


# =============================================================================================
# (a) Patient details: never in DuckDB, a workbook, the terminal, a log or a Prefect artifact


@pytest.fixture
def own_warehouse(real_2025q4: Settings, tmp_path: Path) -> Settings:
    """A copy of the real release's data directory: a case that may leak patient details
    must not leave them in the session's shared database, which other tests grep."""
    data_dir = tmp_path / "data"
    shutil.copytree(real_2025q4.data_dir, data_dir, ignore=shutil.ignore_patterns("reports"))
    return Settings(data_dir=data_dir)


# A practice-management export whose "Patient" cell is written "LAST, FIRST" without quotes
# (a common export bug): the row has one cell more than the header, so every value right of
# the name sits under the next column's header. The reader notes "values in columns without a
# header name are ignored" and reads on.
SHIFT_HEADER = "Claim #,DOS,CPT/HCPCS,Mod,Units,Patient,Description,NDC,NDC Qty,Unit Qualifier,Auth #"
NAME_BEFORE_DOS_HEADER = "Claim #,Patient,DOS,CPT/HCPCS,Mod,Units,Description,NDC,NDC Qty,Unit Qualifier,Auth #"


def test_a_shifted_export_row_never_stores_the_patient_name(own_warehouse, tmp_path):
    """Expected: the row is refused (it has more cells than the header: its values are not
    where the header says) or read without the name; either way 'MARGARETHA' (the first name,
    pushed under 'Description') reaches neither DuckDB, the workbook nor the terminal.
    Found: the file is accepted (exit 0) and claim_lines.narrative holds 'MARGARETHA'; the NDC
    column holds the drug text and the NDC quantity the NDC."""
    path = tmp_path / "charges-shifted.csv"
    path.write_text(
        f"{SHIFT_HEADER}\n"
        "ACCT20417,10/15/2025,J3590,JZ,1,ZZQUIXOTE, MARGARETHA,"
        "ublituximab-xiiy (Briumvi) 450 mg,73150015006,3,UN,PA1\n"
        'ACCT20417,10/15/2025,96365,,1,"ZZQUIXOTE, MARGARETHA",,,,,PA1\n')
    result = CliRunner().invoke(main, ["claims", "check", "--data-dir",
                                       str(own_warehouse.data_dir), str(path)])
    assert result.exit_code in (0, 2), result.output
    outputs = {"terminal": result.output, "database": table_text(own_warehouse)}
    report = own_warehouse.reports_dir / "claims" / "claims-check-charges-shifted.xlsx"
    if report.exists():
        outputs["workbook"] = workbook_text(report)
    for where, text in outputs.items():
        leaked = [detail for detail in SUBSCRIBER.details() if detail in text]
        assert not leaked, f"{where} holds {leaked}"


def test_a_shifted_export_row_never_prints_the_patient_name(own_warehouse, tmp_path):
    """Expected: a refusal names row 2 and its fields, without quoting the values that are
    a patient's. Found: "field 'date_of_service': 'MARGARETHA' is not a date" on the terminal,
    and the same text in ClaimsOutcome.describe(), which the claims-check Prefect flow logs
    (flows/claims_check.py: get_run_logger().info(outcome.describe()))."""
    path = tmp_path / "charges-name-first.csv"
    path.write_text(
        f"{NAME_BEFORE_DOS_HEADER}\n"
        "ACCT20417,ZZQUIXOTE, MARGARETHA,10/15/2025,J3590,JZ,1,"
        "ublituximab-xiiy (Briumvi) 450 mg,73150015006,3,UN,PA1\n")
    result = CliRunner().invoke(main, ["claims", "check", "--data-dir",
                                       str(own_warehouse.data_dir), str(path)])
    assert result.exit_code == 2 and "row 2" in result.output
    flow_log = claim_checks.check_files(own_warehouse, [path]).describe()
    for where, text in {"terminal": result.output, "Prefect flow log": flow_log}.items():
        leaked = [detail for detail in SUBSCRIBER.details() if detail in text]
        assert not leaked, f"{where} holds {leaked}"


def test_a_headerless_export_never_prints_a_patient_value(own_warehouse, tmp_path):
    """An export saved without its header row ("include column headings" unticked): the first
    row is a patient's. Expected: refused for want of a header, naming what is missing,
    quoting no cell of that row. Found: "column 'CODY' is close: rename it" (the patient's
    first name is close enough to the alias 'code')."""
    path = tmp_path / "no-header.csv"
    path.write_text("ACCT20417,SMITHWICK,CODY,1958-03-14,2025-10-15,J3590,1\n")
    result = CliRunner().invoke(main, ["claims", "check", "--data-dir",
                                       str(own_warehouse.data_dir), str(path)])
    assert result.exit_code == 2 and "no claim_id" in result.output
    for value in ("CODY", "SMITHWICK", "1958-03-14"):
        assert value not in result.output


def with_subscriber_ssn(content: bytes, ssn: str) -> bytes:
    """The interchange with REF*SY (the subscriber's SSN, 2010BA) after the subscriber's DMG,
    and SE01 counting it."""
    text = content.decode("ascii")
    dmg = f"DMG*D8*{SUBSCRIBER.birth_date}*{SUBSCRIBER.gender}~\n"
    text = text.replace(dmg, f"{dmg}REF*SY*{ssn}~\n", 1)
    start = text.index("\nSE*") + 4
    count, rest = text[start:].split("*", 1)
    return (text[:start] + f"{int(count) + 1}*" + rest).encode("ascii")


def test_patient_loops_with_ssn_and_other_subscriber_never_stay(own_warehouse, tmp_path):
    """Passing case: an 837P whose subscriber loop carries REF*SY (SSN), the patient loop a
    dependant, and a secondary payer's 2330A other subscriber: none of it is kept."""
    claim = cb.Claim("ACCT55501", [
        cb.ServiceLine("J2329", 450, OCT15, ("JZ",), "Briumvi 450 mg", ndc=BRIUMVI,
                       ndc_quantity=3, ndc_unit="UN"),
        cb.ServiceLine("96365", 1, OCT15)], prior_auth="PA1", other_payer="AETNA",
        patient=cb.Patient(last="YYBRIGHTWATER", first="OTTOLINE", member_id="",
                           street="9 QUAIL RUN", city="MEADOWBRIAR", birth_date="20100505"))
    path = tmp_path / "with-ssn.837"
    path.write_bytes(with_subscriber_ssn(cb.x12_837p([claim]), "987654329"))
    assert b"REF*SY*987654329~" in path.read_bytes()
    assert cb.pyx12_problems(path) == []
    result = CliRunner().invoke(main, ["claims", "check", "--data-dir",
                                       str(own_warehouse.data_dir), str(path)])
    assert result.exit_code == 0, result.output
    outputs = [result.output, table_text(own_warehouse),
               workbook_text(own_warehouse.reports_dir / "claims" / "claims-check-with-ssn.xlsx")]
    details = [*SUBSCRIBER.details(), "987654329", "YYBRIGHTWATER", "OTTOLINE", "20100505"]
    for text in outputs:
        assert not [detail for detail in details if detail in text]


# =============================================================================================
# (b) Findings: right code, right date side, right family, right units

NOC_CLAIMS = [
    # J1300 (eculizumab, 10 mg) applied 2008-01-01..2025-03-31 (TERM DT, no XREF); J1299
    # (eculizumab, 2 mg) only from 2025-04-01. Soliris on J3590 on 2025-02-15: bill J1300 x 90
    # (900 mg / 10 mg; the Jan 2025 crosswalk: Soliris NDC = J1300, 30 units per vial x 3).
    with_admin("SOLIRIS-Q1", cb.ServiceLine("J3590", 1, D(2025, 2, 15), ("JZ",),
                                            "eculizumab (Soliris) 900 mg", ndc=SOLIRIS,
                                            ndc_quantity=3, ndc_unit="UN")),
    # Q5139 (eculizumab-aeeb (bkemv), 10 mg) applied 2025-01-01..2025-03-31; Q5152 (bkemv,
    # 2 mg) only from 2025-04-01: Bkemv on J3590 on 2025-02-15: bill Q5139 x 90.
    with_admin("BKEMV-Q1", cb.ServiceLine("J3590", 1, D(2025, 2, 15), ("JZ",),
                                          "eculizumab-aeeb (Bkemv) 900 mg")),
    # C9174 (datopotamab deruxtecan-dlnk, 1 mg) applied 2025-07-01..2025-09-30 (hospital
    # outpatient); J9011 only from 2025-10-01. C9399 in POS 22 on 2025-09-15: bill C9174 x 360.
    with_admin("DATROWAY-HOPD-SEP", cb.ServiceLine("C9399", 1, D(2025, 9, 15), ("JZ",),
                                                   "datopotamab deruxtecan-dlnk (Datroway) "
                                                   "360 mg", ndc=DATROWAY, ndc_quantity=360,
                                                   ndc_unit="ME"), "96413", pos="22"),
    # C9170 (tarlatamab-dlle, 1 mg) applied 2024-10-01..2024-12-31; J9026 from 2025-01-01.
    # C9399 in POS 22 on 2024-11-15: bill C9170 x 10.
    with_admin("IMDELLTRA-HOPD-NOV", cb.ServiceLine("C9399", 1, D(2024, 11, 15), ("JZ",),
                                                    "tarlatamab-dlle (Imdelltra) 10 mg",
                                                    ndc=IMDELLTRA, ndc_quantity=1,
                                                    ndc_unit="UN"), "96413", pos="22"),
    # J0177 'Injection, aflibercept hd, 1 mg' from 2024-04-01; J0178 'aflibercept, 1 mg' is
    # Eylea 2 mg (crosswalk: Eylea HD NDC 61755005001 = J0177, Eylea = J0178). Eylea HD on
    # J3590 on 2024-04-15: bill J0177 x 8, never J0178.
    with_admin("EYLEA-HD", cb.ServiceLine("J3590", 1, D(2024, 4, 15), ("JZ",),
                                          "Eylea HD 8 mg intravitreal"), "67028"),
    with_admin("EYLEA-HD-GENERIC-FIRST", cb.ServiceLine("J3590", 1, D(2024, 4, 15), ("JZ",),
                                                        "aflibercept (Eylea HD) 8 mg"),
               "67028"),
    # J2329 is 1 mg; the dose is 150 mg x 3 = 450 mg, and the NDC quantity agrees (3 UN x
    # 150 units each): bill J2329 x 450, not x 150.
    with_admin("BRIUMVI-150-X3", cb.ServiceLine("J3590", 1, OCT15, ("JZ",),
                                                "Briumvi 150 mg x 3 vials", ndc=BRIUMVI,
                                                ndc_quantity=3, ndc_unit="UN")),
    with_admin("J2329-150-X3", cb.ServiceLine("J2329", 450, OCT15, ("JZ",),
                                              "Briumvi 150 mg x 3 vials", ndc=BRIUMVI,
                                              ndc_quantity=3, ndc_unit="UN")),
    # Before J2329 (2023-07-01) ublituximab-xiiy, an anti-CD20 antibody for MS whose
    # permanent code is outside the J9 antineoplastic range, was an unclassified biologic:
    # J3590, not J9999 (NOC_FAMILY).
    with_admin("BRIUMVI-J9999-2023", cb.ServiceLine("J9999", 1, D(2023, 5, 15), ("JZ",),
                                                    "ublituximab-xiiy (Briumvi) 450 mg",
                                                    ndc=BRIUMVI, ndc_quantity=3,
                                                    ndc_unit="UN")),
    # Famotidine (a small molecule) had no code before J1308 (2025-04-01): J3490, not J3590
    # (the guide's "wrong NOC code selected": J3590 for a conventional small-molecule drug).
    with_admin("FAMOTIDINE-J3590-MAR", cb.ServiceLine("J3590", 1, D(2025, 3, 15), ("JZ",),
                                                      "famotidine 20 mg IV"), "96374"),
    # Product names with digits in them name a drug: 'Kenalog-40' (the ASP crosswalk's drug
    # name for J3301 NDCs such as 50090236000), 'Visco-3' (in J7321's own descriptor:
    # 'hyalgan, supartz or visco-3'), 'B12' (cyanocobalamin, J3420), '5-FU' (fluorouracil,
    # J9190). None of these lines lacks a drug name.
    with_admin("KENALOG-40", cb.ServiceLine("J3490", 1, OCT15, ("JZ",), "Kenalog-40 40 mg"),
               "20610"),
    with_admin("VISCO-3", cb.ServiceLine("J3490", 1, OCT15, ("JZ",), "Visco-3 1 dose"),
               "20610"),
    with_admin("B12", cb.ServiceLine("J3490", 1, OCT15, (), "B12 1000 mcg IM"), "96372"),
    with_admin("5-FU", cb.ServiceLine("J9999", 1, OCT15, (), "5-FU 500 mg"), "96409"),
    # Narratives billers write that name no drug at all (the guide's top denial reason):
    # each must be NOC_NARRATIVE_MISSING, as 'inj 1 vial' is.
    *[with_admin(f"NO-DRUG-{number}", cb.ServiceLine("J3590", 1, OCT15, ("JZ",), text))
      for number, text in enumerate(["see attached invoice", "inj 1 vial IV push",
                                     "injection right knee", "NDC on file",
                                     "medication given in office"], start=1)],
    # --- passing cases -----------------------------------------------------------------
    # Keytruda Qlex (pembrolizumab and berahyaluronidase alfa-pmph, SC) has no code in Oct
    # 2025; J9271 is IV pembrolizumab: no code may be suggested.
    with_admin("KEYTRUDA-QLEX", cb.ServiceLine("J9999", 1, OCT15, ("JZ",),
                                               "pembrolizumab and berahyaluronidase alfa-pmph "
                                               "(Keytruda Qlex) 790 mg SC"), "96401"),
    # J9289 (nivolumab, 2 mg and hyaluronidase-nvhy) from 2025-07-01; J9299 (IV nivolumab)
    # is another product: nothing on 2025-06-30, J9289 x 300 on 2025-07-01.
    with_admin("QVANTIG-JUN30", cb.ServiceLine("J9999", 1, D(2025, 6, 30), ("JZ",),
                                               "nivolumab and hyaluronidase-nvhy (Opdivo "
                                               "Qvantig) 600 mg SC"), "96401"),
    with_admin("QVANTIG-JUL1", cb.ServiceLine("J9999", 1, D(2025, 7, 1), ("JZ",),
                                              "nivolumab and hyaluronidase-nvhy (Opdivo "
                                              "Qvantig) 600 mg SC"), "96401"),
    # J2351 (ocrelizumab, 1 mg and hyaluronidase-ocsq) from 2025-04-01, J2350 is IV Ocrevus.
    with_admin("ZUNOVO-MAR", cb.ServiceLine("J3590", 1, D(2025, 3, 31), ("JZ",),
                                            "ocrelizumab and hyaluronidase-ocsq (Ocrevus "
                                            "Zunovo) 920 mg SC"), "96401"),
    with_admin("ZUNOVO-OCT", cb.ServiceLine("J3590", 1, OCT15, ("JZ",),
                                            "Ocrevus Zunovo 920 mg SC"), "96401"),
    # J9356 (trastuzumab, 10 mg and hyaluronidase-oysk), not J9355 (IV Herceptin): x 60.
    with_admin("HERCEPTIN-HYLECTA", cb.ServiceLine("J9999", 1, OCT15, ("JZ",),
                                                   "Herceptin Hylecta 600 mg SC"), "96401"),
    # A premedication named beside the NOC drug: J1200 (diphenhydramine) must not be the
    # answer; naming J2329 or saying REVIEW are both honest.
    with_admin("PREMED-IN-NOTE", cb.ServiceLine("J3590", 1, OCT15, ("JZ",), "Briumvi 450 mg",
                                                note="premed diphenhydramine 50 mg IV",
                                                ndc=BRIUMVI, ndc_quantity=3, ndc_unit="UN")),
    # The drug only in NTE*ADD (SV101-7 empty): it names the drug, no NOC_NARRATIVE_MISSING;
    # 2023-05-15 is before J2329 (2023-07-01) and J3590 is the biologic NOC: nothing at all.
    with_admin("NAME-IN-NTE-ONLY", cb.ServiceLine("J3590", 1, D(2023, 5, 15), ("JZ",),
                                                  note="ublituximab-xiiy (Briumvi) 450 mg IV",
                                                  ndc=BRIUMVI, ndc_quantity=3,
                                                  ndc_unit="UN")),
    # C9305 (nipocalimab-aahu) is a hospital outpatient code: in the office (POS 11) J3590 is
    # still the code on 2025-10-15, so no NOC_AFTER_EFFECTIVE.
    with_admin("IMAAVY-OFFICE", cb.ServiceLine("J3590", 1, OCT15, ("JZ",),
                                               "nipocalimab-aahu (Imaavy) 1200 mg")),
]


@pytest.fixture(scope="module")
def noc_rows(real_2025q4, tmp_path_factory) -> dict[str, list[dict[str, Any]]]:
    return check_both(real_2025q4, tmp_path_factory.mktemp("noc"), "noc-adversarial",
                      NOC_CLAIMS)


@pytest.fixture(params=["837p", "csv"])
def noc(request, noc_rows) -> list[dict[str, Any]]:
    return noc_rows[request.param]


@pytest.mark.parametrize("claim_id, code, units", [
    ("SOLIRIS-Q1", "J1300", 90), ("BKEMV-Q1", "Q5139", 90),
    ("DATROWAY-HOPD-SEP", "C9174", 360), ("IMDELLTRA-HOPD-NOV", "C9170", 10)])
def test_noc_after_effective_finds_the_code_that_applied_before_todays_code(noc, claim_id,
                                                                            code, units):
    """Found: nothing. The drug is identified against the newest release (J1299, Q5152,
    J9011, J9026), whose codes start after the date of service; the code that did apply then
    (ended since, with no XREF pointing back) is never looked at."""
    found = of_claim(noc, claim_id)
    assert "NOC_AFTER_EFFECTIVE" in found, sorted(found)
    assert (found["NOC_AFTER_EFFECTIVE"]["correct_code"],
            found["NOC_AFTER_EFFECTIVE"]["correct_units"]) == (code, units)


@pytest.mark.parametrize("claim_id", ["EYLEA-HD", "EYLEA-HD-GENERIC-FIRST"])
def test_eylea_hd_is_never_switched_to_eylea(noc, claim_id):
    """Found: 'bill J0178 x 8 units' (Eylea 2 mg's code; $6,172.46 at risk at J0178's limit,
    where J0177 x 8 is $2,491.05): a wrong switch. J0177 x 8, or REVIEW, is right."""
    found = of_claim(noc, claim_id)
    suggested = {row["correct_code"] for row in found.values()} - {None}
    assert "J0178" not in suggested
    assert suggested <= {"J0177"}
    if "NOC_AFTER_EFFECTIVE" in found:
        assert found["NOC_AFTER_EFFECTIVE"]["correct_units"] == 8


def test_a_dose_given_as_vials_times_strength_counts_every_vial(noc):
    """Found: 'bill J2329 x 150 units' on the NOC line, and UNITS_MISMATCH on the J2329 line
    billed (rightly) 450: the first amount in the text is taken as the dose, although the
    text says x 3 and the NDC quantity says 450 units."""
    noc_line = of_claim(noc, "BRIUMVI-150-X3")["NOC_AFTER_EFFECTIVE"]
    assert noc_line["correct_units"] in (450, None)
    assert "UNITS_MISMATCH" not in of_claim(noc, "J2329-150-X3")


@pytest.mark.parametrize("claim_id, right_noc", [("BRIUMVI-J9999-2023", "J3590"),
                                                 ("FAMOTIDINE-J3590-MAR", "J3490")])
def test_the_wrong_noc_family_is_named_both_ways(noc, claim_id, right_noc):
    """Found: nothing. Only antineoplastics under J3590/J3490 and biologics under J3490 are
    looked for; a non-cancer biologic under J9999 and a small molecule under J3590 pass."""
    found = of_claim(noc, claim_id)
    assert "NOC_FAMILY" in found, sorted(found)
    assert found["NOC_FAMILY"]["correct_code"] == right_noc


@pytest.mark.parametrize("claim_id", ["KENALOG-40", "VISCO-3", "B12", "5-FU"])
def test_a_product_name_with_digits_names_a_drug(noc, claim_id):
    """Found: NOC_NARRATIVE_MISSING (error: "has a description ('Kenalog-40 40 mg') that names
    no drug ... payers return it as unprocessable"): every word with a digit in it is dropped
    as a code, NDC or amount, and these names go with it."""
    assert "NOC_NARRATIVE_MISSING" not in of_claim(noc, claim_id)


@pytest.mark.parametrize("number", range(1, 6))
def test_a_narrative_of_invoice_route_and_site_words_names_no_drug(noc, number):
    """Found: no NOC_NARRATIVE_MISSING (and no other drug finding): any word outside the
    filler lists counts as a drug name ('invoice', 'push', 'right knee', 'file', 'office'),
    and the matcher, finding no such drug, says nothing."""
    assert "NOC_NARRATIVE_MISSING" in of_claim(noc, f"NO-DRUG-{number}")


def test_products_without_their_own_code_yet_get_no_code(noc):
    """Passing: Keytruda Qlex is REVIEW (no code); Opdivo Qvantig on 2025-06-30 and Ocrevus
    Zunovo on 2025-03-31, the day before their codes, get no NOC_AFTER_EFFECTIVE (and no IV
    sibling's code)."""
    qlex = of_claim(noc, "KEYTRUDA-QLEX")
    assert "NOC_AFTER_EFFECTIVE" not in qlex and "NOC_DRUG_NOT_IDENTIFIED" in qlex
    assert all(row["correct_code"] is None for row in qlex.values())
    for claim_id in ("QVANTIG-JUN30", "ZUNOVO-MAR"):
        assert not {row["correct_code"] for row in of_claim(noc, claim_id).values()} - {None}


@pytest.mark.parametrize("claim_id, code, units", [
    ("QVANTIG-JUL1", "J9289", 300), ("ZUNOVO-OCT", "J2351", 920),
    ("HERCEPTIN-HYLECTA", "J9356", 60)])
def test_subcutaneous_co_formulations_get_their_own_code(noc, claim_id, code, units):
    """Passing: the hyaluronidase products are told from their IV siblings (J9299, J2350,
    J9355), on their effective date to the day."""
    found = of_claim(noc, claim_id)["NOC_AFTER_EFFECTIVE"]
    assert (found["correct_code"], found["correct_units"]) == (code, units)


def test_premedication_in_the_note_is_never_the_answer(noc):
    """Passing: the line says REVIEW (or J2329); J1200 (diphenhydramine) is not suggested."""
    found = of_claim(noc, "PREMED-IN-NOTE")
    assert {row["correct_code"] for row in found.values()} <= {None, "J2329"}
    assert found


def test_the_drug_named_in_the_note_only_is_a_narrative(noc):
    """Passing: NTE*ADD (the 837P) and the export's narrative carry the name."""
    assert of_claim(noc, "NAME-IN-NTE-ONLY") == {}


def test_a_hospital_outpatient_code_is_not_suggested_in_the_office(noc):
    """Passing: C9305 applies in hospital outpatient only; the office line keeps J3590."""
    assert "NOC_AFTER_EFFECTIVE" not in of_claim(noc, "IMAAVY-OFFICE")


# ---------------------------------------------------------------------------------------------
# Administration codes

ADMIN_CLAIMS = [
    # Q2035 (Afluria) is given with G0008 'Administration of influenza virus vaccine'
    # (Oct 2025 HCPCS file), Medicare's vaccine administration code.
    with_admin("FLU-G0008", cb.ServiceLine("Q2035", 1, OCT15, (), "Afluria 0.5 ml IM"),
               "G0008"),
    # J3301 (triamcinolone acetonide, 10 mg) and J7321 (Hyalgan, per dose) into a knee:
    # CPT 20610 (arthrocentesis, aspiration and/or injection, major joint) is the service
    # that administers them.
    with_admin("KENALOG-KNEE", cb.ServiceLine("J3301", 4, OCT15, ("JZ",), "Kenalog-40 40 mg"),
               "20610"),
    with_admin("HYALGAN-KNEE", cb.ServiceLine("J7321", 1, OCT15, ("JZ",), "Hyalgan 20 mg"),
               "20610"),
    # J0585 (onabotulinumtoxinA, 1 unit) with CPT 64615 (chemodenervation for migraine).
    with_admin("BOTOX-MIGRAINE", cb.ServiceLine("J0585", 155, OCT15, ("JZ",),
                                                "Botox 155 units", ndc=BOTOX,
                                                ndc_quantity=2, ndc_unit="UN"), "64615"),
    # J9030 (BCG live intravesical, 1 mg) with CPT 51720 (bladder instillation).
    with_admin("BCG-BLADDER", cb.ServiceLine("J9030", 50, OCT15, ("JZ",), "TICE BCG 50 mg"),
               "51720"),
    # An infusion billed once for two days (RD8 2025-10-15..2025-10-16, 2 units) covers the
    # drug given on 2025-10-16.
    cb.Claim("INFUSION-RANGE", [
        cb.ServiceLine("J2329", 150, D(2025, 10, 16), ("JZ",), "Briumvi 150 mg", ndc=BRIUMVI,
                       ndc_quantity=1, ndc_unit="UN"),
        cb.ServiceLine("96365", 2, OCT15, dos_through=D(2025, 10, 16))], prior_auth="PA1"),
    # --- passing cases -----------------------------------------------------------------
    # The administration code on another claim of the same day: the drug's claim has none.
    cb.Claim("DRUG-ONLY", [cb.ServiceLine("J2329", 450, OCT15, ("JZ",), "Briumvi 450 mg",
                                          ndc=BRIUMVI, ndc_quantity=3, ndc_unit="UN")],
             prior_auth="PA1"),
    cb.Claim("ADMIN-ONLY", [cb.ServiceLine("96365", 1, OCT15)]),
    # The administration code as the claim's third line, after a JW wastage line.
    cb.Claim("ADMIN-THIRD", [
        cb.ServiceLine("J2329", 300, OCT15, ("JW",), "Briumvi 300 mg discarded", ndc=BRIUMVI,
                       ndc_quantity=2, ndc_unit="UN"),
        cb.ServiceLine("J2329", 150, OCT15, ("JZ",), "Briumvi 150 mg", ndc=BRIUMVI,
                       ndc_quantity=1, ndc_unit="UN"),
        cb.ServiceLine("96365", 1, OCT15)], prior_auth="PA1"),
]


@pytest.fixture(scope="module")
def admin_rows(real_2025q4, tmp_path_factory) -> dict[str, list[dict[str, Any]]]:
    folder = tmp_path_factory.mktemp("admin")
    x12 = folder / "admin-adversarial.837"
    x12.write_bytes(cb.x12_837p(ADMIN_CLAIMS))
    export = folder / "admin-adversarial.csv"
    export.write_bytes(cb.export_csv(ADMIN_CLAIMS[:-4]))  # an export has no date ranges
    return {kind: stored_findings(real_2025q4, claim_checks.check_file(real_2025q4, path).file_id)
            for kind, path in (("837p", x12), ("csv", export))}


@pytest.mark.parametrize("kind", ["837p", "csv"])
@pytest.mark.parametrize("claim_id", ["FLU-G0008", "KENALOG-KNEE", "HYALGAN-KNEE",
                                      "BOTOX-MIGRAINE", "BCG-BLADDER"])
def test_drugs_given_by_a_procedure_are_not_missing_their_administration(admin_rows, kind,
                                                                         claim_id):
    """Found: ADMIN_CODE_MISSING (error, 'denies as an incomplete claim') on every one: only
    96360-96379, 96401-96549 and 67028 count, so a flu shot with G0008, a knee injection with
    20610, Botox with 64615 and BCG with 51720 all read as drug lines without an
    administration code."""
    assert "ADMIN_CODE_MISSING" not in of_claim(admin_rows[kind], claim_id)


def test_an_administration_billed_over_a_date_range_covers_its_days(admin_rows):
    """Found: ADMIN_CODE_MISSING on the 2025-10-16 drug line: the range's first day alone is
    compared."""
    assert "ADMIN_CODE_MISSING" not in of_claim(admin_rows["837p"], "INFUSION-RANGE")


def test_administration_on_another_claim_does_not_count_on_the_same_claim_does(admin_rows):
    """Passing: the issue's rule is per claim; a JW line and the line after it share the
    claim's administration code."""
    rows = admin_rows["837p"]
    assert "ADMIN_CODE_MISSING" in of_claim(rows, "DRUG-ONLY")
    assert not [r for r in rows if r["claim_id"] == "ADMIN-THIRD"
                and r["finding"] == "ADMIN_CODE_MISSING"]
    assert not [r for r in rows if r["claim_id"] == "ADMIN-THIRD"
                and r["finding"] == "UNITS_MISMATCH"]  # the JW line is not counted


# ---------------------------------------------------------------------------------------------
# Dates at the edges, NDCs and places of service

EDGE_CLAIMS = [
    # J1299 applies from 2025-04-01 and J1300 ended 2025-03-31. No Apr 2025 crosswalk is
    # loaded, so the check reads the Jan 2025 one (Soliris NDC = J1300): whatever it says, it
    # must not tell the practice to bill J1300, a code that had ended on 2025-05-15.
    with_admin("J1299-MAY", cb.ServiceLine("J1299", 450, D(2025, 5, 15), ("JZ",),
                                           "Soliris 900 mg", ndc=SOLIRIS, ndc_quantity=3,
                                           ndc_unit="UN")),
    # --- passing cases -----------------------------------------------------------------
    # J0174 lecanemab-irmb ADD DT 2023-07-06 (mid-quarter): billed on 07-05 is too early.
    with_admin("J0174-JUL5", cb.ServiceLine("J0174", 500, D(2023, 7, 5), ("JZ",),
                                            "Leqembi 500 mg")),
    with_admin("J0174-JUL6", cb.ServiceLine("J0174", 500, D(2023, 7, 6), ("JZ",),
                                            "Leqembi 500 mg")),
    # J0175 donanemab-azbt ADD DT 2024-07-02 (mid-quarter, a Tuesday).
    with_admin("J0175-JUL1", cb.ServiceLine("J0175", 350, D(2024, 7, 1), ("JZ",),
                                            "Kisunla 700 mg")),
    with_admin("J0175-JUL2", cb.ServiceLine("J0175", 350, D(2024, 7, 2), ("JZ",),
                                            "Kisunla 700 mg")),
    # C9302 zanidatamab-hrii 2025-04-01..2025-06-30, XREF J9276 from 2025-07-01.
    with_admin("C9302-JUN30", cb.ServiceLine("C9302", 900, D(2025, 6, 30), ("JZ",),
                                             "Ziihera 1800 mg"), "96413", pos="22"),
    with_admin("C9302-JUL1", cb.ServiceLine("C9302", 900, D(2025, 7, 1), ("JZ",),
                                            "Ziihera 1800 mg"), "96413", pos="22"),
    with_admin("J9276-JUN30", cb.ServiceLine("J9276", 900, D(2025, 6, 30), ("JZ",),
                                             "Ziihera 1800 mg"), "96413", pos="22"),
    # J9011 from 2025-10-01: the NOC is right on 09-30 (in the office C9174 does not apply),
    # wrong on 10-01.
    with_admin("DATROWAY-SEP30", cb.ServiceLine("J9999", 1, D(2025, 9, 30), ("JZ",),
                                                "Datroway 360 mg", ndc=DATROWAY,
                                                ndc_quantity=360, ndc_unit="ME"), "96413"),
    with_admin("DATROWAY-OCT1", cb.ServiceLine("J9999", 1, D(2025, 10, 1), ("JZ",),
                                               "Datroway 360 mg", ndc=DATROWAY,
                                               ndc_quantity=360, ndc_unit="ME"), "96413"),
    # The NDC quantity in ME (mg), GR (g) and F2 (units) at the code's billing unit agrees
    # with the billed units: J2329 450 = 450 ME = 0.45 GR; J0585 100 = 100 F2.
    with_admin("NDC-ME", cb.ServiceLine("J2329", 450, OCT15, ("JZ",), ndc=BRIUMVI,
                                        ndc_quantity=450, ndc_unit="ME")),
    with_admin("NDC-GR", cb.ServiceLine("J2329", 450, OCT15, ("JZ",), ndc=BRIUMVI,
                                        ndc_quantity=0.45, ndc_unit="GR")),
    with_admin("NDC-F2", cb.ServiceLine("J0585", 100, OCT15, ("JZ",), ndc=BOTOX,
                                        ndc_quantity=100, ndc_unit="F2"), "96372"),
    # SV105 (the line's place of service) beats CLM05-1: POS 22 claim, line 11 -> C-code in
    # the office; POS 11 claim, line 22 -> hospital outpatient.
    cb.Claim("CLAIM22-LINE11", [cb.ServiceLine("C9305", 400, OCT15, ("JZ",), "Imaavy 1200 mg",
                                               pos="11"), cb.ServiceLine("96365", 1, OCT15)],
             pos="22", prior_auth="PA1"),
    cb.Claim("CLAIM11-LINE22", [cb.ServiceLine("C9305", 400, OCT15, ("JZ",), "Imaavy 1200 mg",
                                               pos="22"), cb.ServiceLine("96365", 1, OCT15)],
             pos="11", prior_auth="PA1"),
]


@pytest.fixture(scope="module")
def edges(real_2025q4, tmp_path_factory) -> list[dict[str, Any]]:
    path = tmp_path_factory.mktemp("edges") / "edges-adversarial.837"
    path.write_bytes(cb.x12_837p(EDGE_CLAIMS))
    return stored_findings(real_2025q4, claim_checks.check_file(real_2025q4, path).file_id)


def test_an_ndc_mismatch_never_suggests_a_code_that_had_ended(edges):
    """Found: NDC_CODE_MISMATCH 'crosswalked to J1300 in the 2025Q1 CMS NDC-HCPCS crosswalk,
    not to J1299: bill J1300' (error, $20,169.45 at risk) on a J1299 line that is right."""
    found = of_claim(edges, "J1299-MAY")
    assert all(row["correct_code"] != "J1300" for row in found.values()), found


@pytest.mark.parametrize("claim_id, expected", [
    ("J0174-JUL5", {"CODE_NOT_YET_EFFECTIVE"}), ("J0174-JUL6", set()),
    ("J0175-JUL1", {"CODE_NOT_YET_EFFECTIVE"}), ("J0175-JUL2", set()),
    ("C9302-JUN30", set()), ("C9302-JUL1", {"CODE_ENDED"}),
    ("J9276-JUN30", {"CODE_NOT_YET_EFFECTIVE"}),
    ("DATROWAY-SEP30", set()), ("DATROWAY-OCT1", {"NOC_AFTER_EFFECTIVE"}),
    ("NDC-ME", set()), ("NDC-GR", set()), ("NDC-F2", set()),
    ("CLAIM22-LINE11", {"C_CODE_OFFICE"}), ("CLAIM11-LINE22", set())])
def test_dates_ndc_units_and_place_of_service_at_the_edges(edges, claim_id, expected):
    """Passing: each code judged on its own side of ADD DT / TERM DT to the day, the NDC
    quantity in every unit, the line's place of service over the claim's (NDC_MISSING and
    JW/JZ are not the subject here)."""
    found = set(of_claim(edges, claim_id)) - {"NDC_MISSING"}
    assert found == expected


def test_an_ended_code_names_its_successor_from_its_first_day(edges):
    ended = of_claim(edges, "C9302-JUL1")["CODE_ENDED"]
    assert ended["correct_code"] == "J9276" and "from 2025-07-01" in ended["message"]


# =============================================================================================
# (c) Input the reader must take or refuse cleanly

def briumvi_claim(claim_id: str) -> cb.Claim:
    """J3590 for Briumvi on 2025-10-15: NOC_AFTER_EFFECTIVE, bill J2329 x 450, nothing else."""
    return with_admin(claim_id, cb.ServiceLine("J3590", 1, OCT15, ("JZ",),
                                               "ublituximab-xiiy (Briumvi) 450 mg", ndc=BRIUMVI,
                                               ndc_quantity=3, ndc_unit="UN"))


def summary(settings: Settings, path: Path) -> tuple[int, dict[str, set[str]]]:
    """(claims checked, claim -> findings) for one file."""
    checked = claim_checks.check_file(settings, path)
    found: dict[str, set[str]] = {}
    for row in stored_findings(settings, checked.file_id):
        found.setdefault(row["claim_id"], set()).add(row["finding"])
    return checked.counts["claims"], found


DELIMITER_SETS = {
    "pipe-caret": cb.Delimiters(element="|", component="^", repetition="!", segment="~"),
    "greater-than component": cb.Delimiters(component=">"),
    "newline terminator": cb.Delimiters(segment="\n", newline=""),
    "CRLF after each segment": cb.Delimiters(newline="\r\n"),
    "one long line": cb.Delimiters(newline=""),
}


@pytest.mark.parametrize("name", list(DELIMITER_SETS))
def test_delimiters_come_from_the_isa(real_2025q4, tmp_path, name):
    """Passing: every delimiter set pyx12 accepts gives the same finding."""
    path = tmp_path / f"delims-{name.replace(' ', '-')}.837"
    path.write_bytes(cb.x12_837p([briumvi_claim("DELIMS")], delimiters=DELIMITER_SETS[name]))
    assert summary(real_2025q4, path) == (1, {"DELIMS": {"NOC_AFTER_EFFECTIVE"}})


def test_several_interchanges_with_the_same_delimiters_are_all_read(real_2025q4, tmp_path):
    """Passing: two ISA..IEA interchanges in one file (a clearinghouse batch; pyx12 reads it)."""
    path = tmp_path / "two-interchanges.837"
    path.write_bytes(cb.x12_837p([briumvi_claim("FIRST")])
                     + cb.x12_837p([briumvi_claim("SECOND")], control=2))
    assert cb.pyx12_problems(path) == []
    assert summary(real_2025q4, path) == (2, {"FIRST": {"NOC_AFTER_EFFECTIVE"},
                                              "SECOND": {"NOC_AFTER_EFFECTIVE"}})


def test_a_second_interchange_with_its_own_delimiters_is_read_or_refused(real_2025q4,
                                                                         tmp_path):
    """Two practice systems' files concatenated into one upload: the second ISA declares '|'
    and '^'. Each interchange is valid for pyx12 on its own (pyx12 reads a file's delimiters
    once, so it cannot read the pair). Expected: both claims checked, or the file refused.
    Found: exit 0 with 1 claim: the second interchange (its ISA, CLM, SV1 and IEA alike) is
    split on the first one's '*' and passed over as unknown tags, silently."""
    second = cb.x12_837p([briumvi_claim("SECOND")], control=2,
                         delimiters=DELIMITER_SETS["pipe-caret"])
    path = tmp_path / "two-systems.837"
    path.write_bytes(cb.x12_837p([briumvi_claim("FIRST")]) + second)
    try:
        claims_checked, found = summary(real_2025q4, path)
    except BadInput as refused:
        assert "two-systems.837" in str(refused)
        return
    assert claims_checked == 2 and found.get("SECOND") == {"NOC_AFTER_EFFECTIVE"}


def test_a_ctrl_z_after_the_last_iea_is_not_a_cut_short_file(real_2025q4, tmp_path):
    """Some DOS-era practice systems end a file with Ctrl-Z (0x1A) after IEA; pyx12 reads it
    as whole. Expected: checked (1 claim). Found: refused as 'the file ends in the middle of
    a segment ... was it cut short in transfer?'."""
    path = tmp_path / "ctrl-z.837"
    path.write_bytes(cb.x12_837p([briumvi_claim("CTRLZ")]) + b"\x1a")
    assert cb.pyx12_problems(path) == []
    assert summary(real_2025q4, path) == (1, {"CTRLZ": {"NOC_AFTER_EFFECTIVE"}})


@pytest.mark.parametrize("mangle, where", [
    (lambda t: t.replace("005010X222A1", "005010X223A2").replace("SV1*HC:", "SV2*0636*HC:"),
     "segment 25 (LX)"),  # an 837I: revenue code lines (SV2), no SV1
    (lambda t: t.replace("ST*837*0001*005010X222A1", "ST*835*0001*005010X221A1")
     .replace("GS*HC", "GS*HP"), "segment 3 (ST)"),  # an 835 remittance
    (lambda t: t[:t.index("LX*2")], "segment 3 (ST)"),  # cut at a segment boundary
    (lambda t: t[:t.index("LX*2") + 3], "segment 30"),  # cut inside a segment
    (lambda t: t[:t.index("GE*")], "no IEA"),  # cut after SE
])
def test_the_wrong_transaction_or_a_cut_file_is_refused_by_segment(real_2025q4, tmp_path,
                                                                   mangle, where):
    """Passing: refused with the segment named, nothing stored (exit 2 on the CLI)."""
    text = cb.x12_837p([briumvi_claim("A1"), briumvi_claim("A2")]).decode("ascii")
    path = tmp_path / "wrong.837"
    path.write_text(mangle(text))
    with pytest.raises(BadInput, match=re.escape(where)):
        claim_checks.check_file(real_2025q4, path)


# ---------------------------------------------------------------------------------------------
# Exports

EXPORT_HEADER = ["Claim #", "DOS", "CPT/HCPCS", "Mod", "Units", "Description", "NDC",
                 "NDC Qty", "Unit Qualifier", "Auth #"]


def export_row(claim_id: str, dos: str, code: str, units: str, narrative: str = "",
               ndc: str = "", quantity: str = "", unit: str = "") -> list[str]:
    """A row under EXPORT_HEADER; drug lines (with an NDC) carry JZ."""
    return [claim_id, dos, code, "JZ" if ndc else "", units, narrative, ndc, quantity, unit,
            "PA1"]


@pytest.mark.parametrize("dos", ["10/15/2025", "20251015", "2025-10-15", "2025/10/15"])
def test_dates_in_the_formats_practice_systems_write(real_2025q4, tmp_path, dos):
    """Passing: MM/DD/YYYY, YYYYMMDD and ISO dates give the 2025-10-15 finding."""
    path = tmp_path / f"dates-{dos.replace('/', '-')}.csv"
    path.write_bytes(csv_bytes([EXPORT_HEADER,
                                export_row("D1", dos, "J3590", "1", "Briumvi 450 mg", BRIUMVI,
                                           "3", "UN"),
                                export_row("D1", dos, "96365", "1")]))
    assert summary(real_2025q4, path) == (1, {"D1": {"NOC_AFTER_EFFECTIVE"}})


def test_excel_date_cells_and_a_serial_number_in_text(real_2025q4, tmp_path):
    """Passing: an XLSX date cell is the date; a bare Excel serial (45945 = 2025-10-15) in a
    CSV is refused by row and field, not guessed."""
    book = Workbook()
    sheet = book.active
    sheet.append(EXPORT_HEADER)
    sheet.append(["D2", D(2025, 10, 15), "J3590", "JZ", 1, "Briumvi 450 mg", BRIUMVI, 3, "UN",
                  "PA1"])
    sheet.append(["D2", D(2025, 10, 15), "96365", None, 1, None, None, None, None, "PA1"])
    xlsx = tmp_path / "excel-dates.xlsx"
    book.save(xlsx)
    assert summary(real_2025q4, xlsx) == (1, {"D2": {"NOC_AFTER_EFFECTIVE"}})
    serial = tmp_path / "serial-dates.csv"
    serial.write_bytes(csv_bytes([EXPORT_HEADER, export_row("D3", "45945", "96365", "1")]))
    with pytest.raises(BadInput, match=r"row 2, field 'date_of_service': '45945' is not a date"):
        claim_checks.check_file(real_2025q4, serial)


def test_a_two_digit_year_is_refused_by_row_not_a_traceback(real_2025q4, tmp_path):
    """'10/15/25' is what many practice systems print. Expected: refused naming row 2 and
    date_of_service (exit 2), or read as 2025-10-15. Found: read as the year 25 AD, then
    DuckDB fails on quarter '25Q4' ("Could not convert string '25Q4' to INT32"): exit 1
    and a Python traceback on the terminal."""
    path = tmp_path / "two-digit-year.csv"
    path.write_bytes(csv_bytes([EXPORT_HEADER,
                                export_row("Y1", "10/15/25", "J3590", "1", "Briumvi 450 mg",
                                           BRIUMVI, "3", "UN"),
                                export_row("Y1", "10/15/25", "96365", "1")]))
    result = CliRunner().invoke(main, ["claims", "check", "--data-dir",
                                       str(real_2025q4.data_dir), str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert "row 2" in result.output and "date_of_service" in result.output
    else:
        assert result.exit_code == 0
        assert summary(real_2025q4, path) == (1, {"Y1": {"NOC_AFTER_EFFECTIVE"}})


@pytest.mark.parametrize("names", [("Mod 1", "Mod 2"), ("Modifier 1", "Modifier 2"),
                                   ("Mod1", "Mod2")])
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_modifiers_in_several_columns_are_read_or_the_file_refused(real_2025q4, tmp_path,
                                                                   names, kind):
    """Most practice systems export one column per modifier. Expected: JZ and 59 both read
    (no JW_JZ_MISSING), or the file refused. Found: the columns are ignored with a note
    ('did you mean modifiers?') and every drug line gets JW_JZ_MISSING, its JW lines counted
    as given."""
    header = ["Claim #", "DOS", "CPT/HCPCS", names[0], names[1], "Units", "Description",
              "NDC", "NDC Qty", "Unit Qualifier", "Auth #"]
    rows = [header, ["M1", "2025-10-15", "J2329", "JZ", "59", "450", "Briumvi 450 mg", BRIUMVI,
                     "3", "UN", "PA1"],
            ["M1", "2025-10-15", "96365", "", "", "1", "", "", "", "", "PA1"]]
    path = tmp_path / f"mods-{names[0].replace(' ', '')}.{kind}"
    if kind == "csv":
        path.write_bytes(csv_bytes(rows))
    else:
        book = Workbook()
        for row in rows:
            book.active.append(row)
        book.save(path)
    try:
        checked = claim_checks.check_file(real_2025q4, path)
    except BadInput:
        return
    rows_found = stored_findings(real_2025q4, checked.file_id)
    assert not [row for row in rows_found if row["finding"] == "JW_JZ_MISSING"]
    with duckdb.connect(str(real_2025q4.db_path), read_only=True) as con:
        (modifiers,), = con.execute("SELECT modifiers FROM claim_lines WHERE file_id = ? AND "
                                    "hcpcs = 'J2329'", [checked.file_id]).fetchall()
    assert modifiers == ["JZ", "59"]


def test_modifiers_in_one_cell_in_any_separator(real_2025q4, tmp_path):
    """Passing: 'JZ,59', 'JZ 59' and 'JZ;59' are read as JZ and 59."""
    header = ["Claim #", "DOS", "CPT/HCPCS", "Modifiers", "Units", "Description", "NDC",
              "NDC Qty", "Unit Qualifier", "Auth #"]
    rows = [header]
    for number, cell in enumerate(("JZ,59", "JZ 59", "JZ;59"), start=1):
        rows += [[f"S{number}", "2025-10-15", "J2329", cell, "450", "Briumvi 450 mg", BRIUMVI,
                  "3", "UN", "PA1"], [f"S{number}", "2025-10-15", "96365", "", "1", "", "", "",
                                      "", "PA1"]]
    path = tmp_path / "mods-one-cell.csv"
    path.write_bytes(csv_bytes(rows))
    checked = claim_checks.check_file(real_2025q4, path)
    assert stored_findings(real_2025q4, checked.file_id) == []
    with duckdb.connect(str(real_2025q4.db_path), read_only=True) as con:
        mods = con.execute("SELECT DISTINCT modifiers FROM claim_lines WHERE file_id = ? AND "
                           "hcpcs = 'J2329'", [checked.file_id]).fetchall()
    assert mods == [(["JZ", "59"],)]


def test_an_ndc_unit_of_measure_column_is_read_or_the_file_refused(real_2025q4, tmp_path):
    """'NDC Unit of Measure' is how several practice systems head the qualifier. Expected: read
    as ndc_unit, or the file refused. Found: ignored with a note, and every NDC line gets
    NDC_INVALID (error) 'unit (none) is not one of F2, GR, ME, ML, UN'."""
    header = ["Claim #", "DOS", "CPT/HCPCS", "Modifiers", "Units", "NDC", "NDC Units",
              "NDC Unit of Measure", "Auth #"]
    path = tmp_path / "ndc-uom.csv"
    path.write_bytes(csv_bytes([header,
                                ["U1", "2025-10-15", "J2329", "JZ", "450", BRIUMVI, "3", "UN",
                                 "PA1"],
                                ["U1", "2025-10-15", "96365", "", "1", "", "", "", "PA1"]]))
    try:
        checked = claim_checks.check_file(real_2025q4, path)
    except BadInput:
        return
    assert not [row for row in stored_findings(real_2025q4, checked.file_id)
                if row["finding"] == "NDC_INVALID"]


def test_a_second_description_column_is_not_dropped(real_2025q4, tmp_path):
    """An export with the fee schedule's 'Description' (J3590: 'UNCLASSIFIED BIOLOGICS') and
    the biller's 'NOC Description'. The 837P joins SV101-7 and NTE*ADD; the export should read
    both (or refuse). Found: 'NOC Description' ignored ('Description' already gives
    narrative), so NOC_NARRATIVE_MISSING (error) sits beside a NOC_AFTER_EFFECTIVE that
    identified the drug by its NDC."""
    header = ["Claim #", "DOS", "CPT/HCPCS", "Modifiers", "Units", "Description",
              "NOC Description", "NDC", "NDC Qty", "Unit Qualifier", "Auth #"]
    path = tmp_path / "two-descriptions.csv"
    path.write_bytes(csv_bytes([
        header,
        ["T1", "10/15/2025", "J3590", "JZ", "1", "UNCLASSIFIED BIOLOGICS",
         "ublituximab-xiiy (Briumvi) 450 mg", BRIUMVI, "3", "UN", "PA1"],
        ["T1", "10/15/2025", "96365", "", "1", "IV INFUSION THERAPY 1ST HR", "", "", "", "",
         "PA1"]]))
    try:
        assert summary(real_2025q4, path) == (1, {"T1": {"NOC_AFTER_EFFECTIVE"}})
    except BadInput:
        pass


def test_a_decimal_comma_is_not_read_as_ten_times_the_units(real_2025q4, tmp_path):
    """A semicolon-delimited export (as European-locale Excel writes it, which the reader
    accepts) with '2,5' units of J1950 (leuprolide, per 3.75 mg). Expected: 2.5 units, or the
    row refused: '2,5' is no thousands grouping. Found: 25 units (the comma dropped),
    UNITS_MISMATCH 'billed 25 units' and $43,258.10 at risk."""
    path = tmp_path / "decimal-comma.csv"
    path.write_text("claim_id;date_of_service;hcpcs;modifiers;units;narrative;prior_auth\n"
                    "E1;2025-10-15;J1950;JZ;2,5;Lupron Depot 3.75 mg x 2;PA1\n"
                    "E1;2025-10-15;96402;;1;;PA1\n")
    try:
        checked = claim_checks.check_file(real_2025q4, path)
    except BadInput as refused:
        assert "row 2" in str(refused) and "units" in str(refused)
        return
    with duckdb.connect(str(real_2025q4.db_path), read_only=True) as con:
        (units,), = con.execute("SELECT units FROM claim_lines WHERE file_id = ? AND "
                                "hcpcs = 'J1950'", [checked.file_id]).fetchall()
    assert units == 2.5


def test_thousands_and_decimal_points_in_units(real_2025q4, tmp_path):
    """Passing: '1,000' is 1000 and '0.5' is 0.5 (comma-delimited, quoted as Excel writes)."""
    path = tmp_path / "units-forms.csv"
    path.write_bytes(csv_bytes([["claim_id", "date_of_service", "hcpcs", "modifiers", "units"],
                                ["K1", "2025-10-15", "J0585", "JZ", "1,000"],
                                ["K1", "2025-10-15", "J2778", "JZ", "0.5"],
                                ["K1", "2025-10-15", "96372", "", "1"]]))
    checked = claim_checks.check_file(real_2025q4, path)
    with duckdb.connect(str(real_2025q4.db_path), read_only=True) as con:
        units = dict(con.execute("SELECT hcpcs, units FROM claim_lines WHERE file_id = ?",
                                 [checked.file_id]).fetchall())
    assert units == {"J0585": 1000.0, "J2778": 0.5, "96372": 1.0}


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16", "utf-8-sig"])
def test_export_encodings(real_2025q4, tmp_path, encoding):
    """Passing: Windows-1252 (an en dash and a registered sign in the narrative), UTF-16 and
    UTF-8 with BOM give the same finding."""
    path = tmp_path / f"enc-{encoding}.csv"
    text = ("claim_id,date_of_service,hcpcs,modifiers,units,narrative,ndc,ndc_quantity,"
            "ndc_unit,prior_auth\r\n"
            "W1,10/15/2025,J3590,JZ,1,Briumvi\u00ae \u2013 ublituximab-xiiy 450 mg,"
            f"{BRIUMVI},3,UN,PA1\r\n"
            "W1,10/15/2025,96365,,1,,,,,PA1\r\n")
    path.write_bytes(text.encode(encoding))
    assert summary(real_2025q4, path) == (1, {"W1": {"NOC_AFTER_EFFECTIVE"}})


def test_segments_split_across_read_chunks_are_whole(tmp_path):
    """Passing: a long file is read a megabyte at a time; with 7-byte chunks every CRLF, '~'
    and element falls on a seam somewhere, and the segments are the same as read whole."""
    path = tmp_path / "seams.837"
    path.write_bytes(cb.x12_837p([briumvi_claim(f"SEAM{n}") for n in range(20)],
                                 delimiters=cb.Delimiters(newline="\r\n")))
    assert path.stat().st_size > 2 * x12.HEAD_BYTES  # past the header read, in 7-byte chunks
    whole = list(x12.open_segments(path)[1])
    assert list(x12.open_segments(path, chunk_bytes=7)[1]) == whole
    assert [s[0] for s in whole].count("CLM") == 20
    assert all("\r" not in "".join(s) and "\n" not in "".join(s) for s in whole)


def test_a_file_wrapped_at_80_columns_is_read_as_one_stream(real_2025q4, tmp_path):
    """Passing: older transmissions wrap the X12 stream at 80 characters a line, CRLF in the
    middle of segments (the ISA too). pyx12 validates the unwrapped interchange; it does not
    read wrapped files at all. The check reads it whole."""
    flat = cb.x12_837p([briumvi_claim("WRAP")], delimiters=cb.Delimiters(newline=""))
    path = tmp_path / "wrapped.837"
    path.write_bytes(b"\r\n".join(flat[at:at + 80] for at in range(0, len(flat), 80)) + b"\r\n")
    assert summary(real_2025q4, path) == (1, {"WRAP": {"NOC_AFTER_EFFECTIVE"}})


@pytest.mark.parametrize("ndc", ["73150-0150-06", "73150 0150 06"])
def test_an_ndc_with_hyphens_or_spaces_in_lin03_is_invalid(real_2025q4, tmp_path, ndc):
    """LIN03 carries the NDC as 11 digits, 5-4-2, with no hyphens or spaces (the MACs' and
    Medicaid programs' NDC billing instructions); pyx12 lets the characters through, the
    payer does not. Expected: NDC_INVALID naming 73150015006. Found: nothing (the digits are
    counted, not the characters sent)."""
    claim = with_admin("HYPHENS", cb.ServiceLine("J2329", 450, OCT15, ("JZ",), "Briumvi 450 mg",
                                                 ndc=ndc, ndc_quantity=3, ndc_unit="UN"))
    path = tmp_path / "ndc-hyphens.837"
    path.write_bytes(cb.x12_837p([claim]))
    checked = claim_checks.check_file(real_2025q4, path)
    found = of_claim(stored_findings(real_2025q4, checked.file_id), "HYPHENS")
    assert "NDC_INVALID" in found and "73150015006" in found["NDC_INVALID"]["message"]
