"""A third messy list: the shapes a hospital and its pharmacy keep, through `crosswalk match`.

Three lists as they come out of the systems that hold a hospital's drugs, 59 drug rows:

- a charge-master (CDM) export: "Charge Code", "Rev Code", "CPT/HCPCS", "Charge Description"
  in capitals with the abbreviations CDMs use (INJ, HCL, SOD, ACET, TROM, LIPO, NACL, KCL),
  several NDCs in one cell, NDCs in claim form ("N400006302602 UN1"), manufacturers in
  parentheses, rows on C9399 in the hospital outpatient department, rows already on a permanent
  code, a compounded drug on J7999, and the notes a report writer prints under the list;
- an Epic medication build export: First Databank names ("AZACITIDINE 100 MG IJ SUSR",
  "DENOSUMAB 60 MG/ML SC SOSY"), whose dosage-form abbreviations are four letters after a
  drug name, and "-XXXX" where a formulary means "any biosimilar";
- a pharmacy buyer's order guide: "Description", "Manufacturer", package sizes and strengths
  ("KEYTRUDA® 100MG/4ML 1VL", "Pavblu 2mg/0.05mL vial × 1").

Each is read twice, as the CSV Excel saves on Windows (Windows-1252) and as an XLSX workbook,
by `crosswalk match` itself (the CLI, end to end) against the real October 2025 release
(`real_2025q4`, conftest.py); the verdicts are read back from the run's practice_alerts.

Each row's answer was written from the CMS files in ../shared/data/cms-samples (the Oct 2025
ANWEB workbook, the Oct 2025 and Jan 2025 ASP NDC-HCPCS crosswalks, looked up by hand with
DuckDB) and the rules of docs/matching.md before the matcher ran; the comment above each row
cites the CMS rows behind it (code, ADD DT / TERM DT, NDC, crosswalk Drug Name). Where the
files allow more than one answer, every allowed answer is listed, the expected one first.
`test_lists3_answers_agree_with_the_cms_files` checks those citations against the raw files.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from crosswalk import match, practice
from crosswalk.cli import main
from crosswalk.practice import NOC_CODES
from crosswalk.quarters import Quarter
from crosswalk.settings import Settings
from test_match_adversarial import ReviewOf, review_naming, review_of, review_within
from test_match_real_lists import (ENDED, KEEP, NO_CODE, SWITCHES, Answer, cms_codes,
                                   crosswalk_codes_by_ndc, crosswalk_rows, office_descriptors,
                                   problems_with, review, switch)

pytestmark = pytest.mark.real_samples

D = date
Right = Answer | ReviewOf


def ended(code: str, term: date) -> Answer:
    """CODE_ENDED: the row names a code whose TERM DT has passed."""
    return Answer(ENDED, code, term=term)


@dataclass(frozen=True)
class Refused:
    """The reader refuses the row, and its reason holds `words`."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class Row:
    """One list line, and every answer the CMS files allow for it (the expected one first)."""

    id: str
    drug: str
    right: tuple[Right | Refused, ...]
    code: str = "J3590"
    ndc: str = ""
    site: str = ""        # CDM: the department; Epic: the route column
    maker: str = ""       # buyer's list: the Manufacturer column
    active: str = "A"
    says: tuple[str, ...] = ()  # words the row's action, evidence or hints must carry

    @property
    def inactive(self) -> bool:
        return self.active in ("I", "No")


def one_of(*answers: Right | Refused) -> tuple[Right | Refused, ...]:
    return answers


# Trastuzumab, bortezomib, fulvestrant, pemetrexed and infliximab code sets (ANWEB Oct 2025,
# all live): J9355 trastuzumab excludes biosimilar (20000101), J9356 and hyaluronidase-oysk,
# J9316 pertuzumab, trastuzumab and hyaluronidase-zzxf (20210101), Q5112 -dttb, Q5113 -pkrb,
# Q5114 -dkst, Q5116 -qyyp (trazimera, 20191001), Q5117 -anns (kanjinti, 20191001), Q5146
# -strf; J9354 ado-trastuzumab emtansine and J9358 fam-trastuzumab deruxtecan-nxki are other
# molecules holding the word.
TRASTUZUMAB_ALL = ("J9316", "J9355", "J9356", "Q5112", "Q5113", "Q5114", "Q5116", "Q5117",
                   "Q5146", "J9354", "J9358")
TRASTUZUMAB_BIOSIMILARS = ("Q5112", "Q5113", "Q5114", "Q5116", "Q5117", "Q5146")
# bortezomib: J9041 (20050101), J9046 (dr. reddy's), J9048 (fresenius kabi), J9049 (hospira)
# (all 20230101), J9051 (maia, 20231001), J9054 (boruzu, 20250401); J9044 ended 20221231.
BORTEZOMIB = ("J9041", "J9046", "J9048", "J9049", "J9051", "J9054")
# fulvestrant: J9395 (20040101), J9393 (teva), J9394 (fresenius kabi) (both 20230101, "not
# therapeutically equivalent to j9395")
FULVESTRANT = ("J9393", "J9394", "J9395")
# pemetrexed (disodium): J9294 (hospira), J9296 (accord), J9297 (sandoz), J9304 (pemfexy),
# J9305 not otherwise specified, J9314 (teva), J9322 (bluepoint), J9324 (pemrydi rtu); J9292
# pemetrexed dipotassium and J9323 pemetrexed ditromethamine are other salts.
PEMETREXED = ("J9294", "J9296", "J9297", "J9304", "J9305", "J9314", "J9322", "J9324")
# infliximab biosimilars: Q5103 -dyyb (inflectra), Q5104 -abda, Q5109 -qbtx, Q5121 -axxq;
# J1745 is the reference (excludes biosimilar), J1748 infliximab-dyyb (zymfentra, SC)
INFLIXIMAB_BIOSIMILARS = ("Q5103", "Q5104", "Q5109", "Q5121")

CDM: list[Row] = [
    # --- NDC cells as a charge master holds them ------------------------------------------
    # J9271 pembrolizumab ADD 20160101 (C9027 ended 20151231); 00006-3026-02 Keytruda -> J9271
    # (Oct, Jan); 00006-3029-02 is in no crosswalk: an NDC CMS does not list names nothing
    Row("cdm/two-ndcs-one-unknown", "INJ PEMBROLIZUMAB 1MG", one_of(switch("J9271", D(2016, 1, 1))),
        code="C9399", ndc="0006-3026-02; 0006-3029-02", site="HOPD Infusion"),
    # the claim form of an NDC (N4 + 11 digits + unit qualifier and quantity): 55513-0710-01
    # Prolia -> J0897 denosumab ADD 20120101; bare denosumab is REVIEW (J0897, Q5136, Q5157,
    # Q5158, Q5159), so only the NDC settles it
    Row("cdm/n4-ndc-settles-generic", "INJ DENOSUMAB 1MG", one_of(switch("J0897", D(2012, 1, 1))),
        ndc="N455513071001 UN1", site="HOPD Infusion"),
    # Q5136 denosumab-bbdz (jubbonti/wyost) ADD 20241001; "INJ" last, as a CDM writes it
    Row("cdm/suffix-caps-inj-last", "DENOSUMAB-BBDZ 1 MG INJ",
        one_of(switch("Q5136", D(2024, 10, 1))), code="C9399", site="HOPD Infusion"),
    # one charge line for two products: 50242-0132-01 Herceptin -> J9355, 55513-0132-01
    # Kanjinti -> Q5117 (both crosswalks): never one of them alone
    Row("cdm/two-products-in-one-ndc-cell", "INJ TRASTUZUMAB 10MG",
        one_of(review_of("J9355", "Q5117", may=TRASTUZUMAB_ALL)), code="J9999",
        ndc="50242-0132-01; 55513-0132-01", site="HOPD Infusion"),
    # one labeler's two bortezomib products: 00409-1700-01 -> J9041, 00409-1703-01 -> J9049
    # (Pfizer Inc, both crosswalks)
    Row("cdm/two-codes-one-labeler-ndc-cell", "INJ BORTEZOMIB 0.1MG",
        one_of(review_of("J9041", "J9049", may=BORTEZOMIB)), code="J9999",
        ndc="00409-1700-01, 00409-1703-01", site="HOPD Infusion"),

    # --- one generic, several products on their own codes ---------------------------------
    # J9048 "bortezomib (fresenius kabi), not therapeutically equivalent to j9041", but the
    # crosswalks list Fresenius Kabi's bortezomib 63323-0821-10 (FreseniUS Kabi USA, LLC) under
    # J9041, and no NDC under J9048: "Fresenius Kabi" names two products
    Row("cdm/manufacturer-makes-two-products", "BORTEZOMIB 3.5MG VL (FRESENIUS KABI)",
        one_of(review_of("J9041", "J9048", may=BORTEZOMIB)), code="J9999",
        site="HOPD Infusion"),
    # J9049 "bortezomib (hospira)" ADD 20230101: the only code CMS gives a Hospira bortezomib
    # (the crosswalk's labeler is Pfizer Inc, which the files do not tie to Hospira)
    Row("cdm/manufacturer-in-parentheses", "INJ BORTEZOMIB 0.1MG (HOSPIRA)",
        one_of(switch("J9049", D(2023, 1, 1)), review_naming("J9049")), code="J9999",
        site="HOPD Infusion"),
    Row("cdm/bare-generic-six-products", "BORTEZOMIB 3.5MG INJ", one_of(review_of(*BORTEZOMIB)),
        code="J9999", site="HOPD Infusion"),
    # a generic fulvestrant's NDC: Sandoz 00781-9055-12 -> J9395 (both crosswalks)
    Row("cdm/generic-ndc-on-reference-code", "FULVESTRANT 250MG/5ML SYR",
        one_of(switch("J9395", D(2004, 1, 1))), code="J9999", ndc="00781-9055-12",
        site="HOPD Infusion"),
    # J0167 "epinephrine (hospira), not therapeutically equivalent to j0165" ADD 20250701;
    # J0165 NOS, J0166 (bpi), J0168 (ims), J0169 (adrenalin) 20250701, J0163/J0164 epinephrine
    # in sodium chloride (endo/baxter) 20251001; J0171 and J0173 ended 20250630. The µ is 0xB5
    # in the CSV. Widened after the first run: J2004 "lidocaine hcl with epinephrine" carries
    # the row's drug and more, a sibling by the documented rule (nivolumab -> J9289, J9298).
    Row("cdm/manufacturer-micrograms", "EPINEPHRINE 100\u00b5G/ML 10ML SYR (HOSPIRA)",
        one_of(switch("J0167", D(2025, 7, 1)), review_of("J0167", "J2004")), code="J3490",
        site="HOPD Infusion"),
    # NACL = sodium chloride: J0164 "epinephrine in sodium chloride (baxter)" ADD 20251001
    Row("cdm/nacl-abbreviation-new-code", "EPINEPHRINE IN NACL 16MG/250ML (BAXTER)",
        one_of(switch("J0164", D(2025, 10, 1))), code="J3490", site="HOPD Infusion"),
    # 42023-0159-25 Adrenalin -> J0169 (Oct 2025 crosswalk) and J0171 (Jan 2025, TERM
    # 20250630): the live code carries the NDC now
    Row("cdm/n4-ndc-moved-to-new-code", "ADRENALIN 1MG/ML 1ML VL",
        one_of(switch("J0169", D(2025, 7, 1))), code="J3490", ndc="N442023015925 ML1",
        site="HOPD Infusion"),
    # crosswalk "Adrenalin" -> J0163 (42023-0315-10, 42023-0500-10: the premixed bags) and
    # J0169 (00404-9810-01, 42023-0159-25): the brand alone names two live codes (J0169 is the
    # vial a person would pick from "MDV")
    Row("cdm/brand-on-two-live-codes", "ADRENALIN 30MG/30ML MDV",
        one_of(review_of("J0163", "J0169"), switch("J0169", D(2025, 7, 1))), code="J3490",
        site="HOPD Infusion"),

    # --- discontinued drugs: the code's TERM DT has passed ---------------------------------
    # J9037 belantamab mafodotin-blmf ADD 20210401 TERM 20250331, no XREF1
    Row("cdm/ended-no-successor", "INJ BELANTAMAB MAFODOTIN-BLMF 0.5MG",
        one_of(ended("J9037", D(2025, 3, 31))), code="J9999", site="HOPD Infusion"),
    # J9247 melphalan flufenamide TERM 20250331 (C9080 melphalan flufenamide hydrochloride
    # ended 20210930); the live melphalan codes J9245 (hydrochloride, NOS), J9246 (evomela),
    # J9248 (hepzato), J9249 (apotex) are other products: never one of them. "Pepaxto" is in
    # no CMS file.
    Row("cdm/ended-product-beside-live-namesakes", "PEPAXTO (MELPHALAN FLUFENAMIDE) 20MG",
        one_of(ended("J9247", D(2025, 3, 31)), review_within("J9247", "C9080")), code="J9999",
        site="HOPD Infusion"),
    # SOD = sodium: J2503 pegaptanib sodium ADD 20060101 TERM 20250930, no XREF1
    Row("cdm/ended-last-quarter", "INJ PEGAPTANIB SOD 0.3MG",
        one_of(ended("J2503", D(2025, 9, 30))), code="J3490", site="Eye Clinic (POS 11)"),
    # crosswalk Soliris 25682-0001-01 -> J1299 eculizumab, 2 mg ADD 20250401 (Oct) and J1300
    # eculizumab, 10 mg TERM 20250331 (Jan): the live code
    Row("cdm/brand-on-new-and-ended-code", "SOLIRIS 300MG/30ML VL",
        one_of(switch("J1299", D(2025, 4, 1))), site="HOPD Infusion"),

    # --- C-codes in the hospital outpatient department -------------------------------------
    # J9347 tremelimumab-actl ADD 20230701; C9147 (the same) TERM 20230630. The en dash is
    # 0x96 in the CSV.
    Row("cdm/en-dash-suffix-c-code-ended", "INJ TREMELIMUMAB\u2013ACTL 1MG",
        one_of(switch("J9347", D(2023, 7, 1))), code="C9399", site="HOPD Infusion"),
    # C9306 telisotuzumab vedotin-tllv ADD 20251001, no J/Q code: OPPS claims bill C9306
    Row("cdm/c-code-only-hospital", "TELISOTUZUMAB VEDOTIN-TLLV 100MG (EMRELIS)",
        one_of(switch("C9306", D(2025, 10, 1))), code="C9399",
        site="Cancer Center - Outpatient Hospital"),
    # a description cut at 29 characters: J9011 datopotamab deruxtecan-dlnk ADD 20251001
    # (C9174 TERM 20250930), the only datopotamab product
    Row("cdm/truncated-suffix", "INJ DATOPOTAMAB DERUXTECAN-DL",
        one_of(switch("J9011", D(2025, 10, 1))), code="J9999", site="HOPD Infusion"),
    # J0614 treosulfan ADD 20251001 (C9175 TERM 20250930); crosswalk Grafapex -> J0614
    Row("cdm/new-code-brand-in-parentheses", "TREOSULFAN 1G INJ (GRAFAPEX)",
        one_of(switch("J0614", D(2025, 10, 1))), code="J9999", site="HOPD Infusion"),

    # --- combination products, and a regimen that is not one --------------------------------
    # J9316 pertuzumab, trastuzumab, and hyaluronidase-zzxf ADD 20210101 (Phesgo)
    Row("cdm/combination-slashes", "PERTUZUMAB/TRASTUZUMAB/HYALURONIDASE-ZZXF 600MG-600MG",
        one_of(switch("J9316", D(2021, 1, 1))), code="J9999", site="HOPD Infusion"),
    # two drugs given together: J9306 pertuzumab and the trastuzumab codes, never J9316 (which
    # needs hyaluronidase-zzxf) or one of them alone
    Row("cdm/regimen-not-a-combination", "PERTUZUMAB + TRASTUZUMAB (SEPARATE VIALS)",
        one_of(review_naming("J9306")), code="J9999", site="HOPD Infusion"),
    # J2543 piperacillin sodium/tazobactam sodium ADD 20000101 (crosswalk Zosyn)
    Row("cdm/combination-hyphen", "PIPERACILLIN-TAZOBACTAM 3.375G IVPB",
        one_of(switch("J2543", D(2000, 1, 1))), code="J3490", site="HOPD Infusion"),

    # --- the abbreviations of a charge master --------------------------------------------------
    # KCL = potassium chloride: J3480 potassium chloride, per 2 meq ADD 19960101
    Row("cdm/kcl-abbreviation", "KCL 20MEQ/100ML IVPB", one_of(switch("J3480", D(1996, 1, 1))),
        code="J3490", site="HOPD Infusion"),
    # ACET = acetate: J1010 methylprednisolone acetate ADD 20240401 (J2919 sodium succinate,
    # J7509 oral are the other methylprednisolone products)
    Row("cdm/acet-abbreviation", "INJ METHYLPREDNISOLONE ACET 40MG",
        one_of(switch("J1010", D(2024, 4, 1))), code="J3490", site="HOPD Infusion"),
    # TROM = tromethamine: J1885 ketorolac tromethamine ADD 19930101; J1097 phenylephrine and
    # ketorolac (an ophthalmic irrigation) may be listed beside it
    Row("cdm/trom-abbreviation", "INJ KETOROLAC TROM 30MG",
        one_of(switch("J1885", D(1993, 1, 1)), review("J1885", "J1097")), code="J3490",
        site="HOPD Infusion"),
    # LIPO = liposomal: Q2050 doxorubicin hydrochloride, liposomal, not otherwise specified ADD
    # 20130701 (crosswalk Doxil); Q2049 imported lipodox is liposomal too. J9000 doxorubicin
    # hydrochloride (conventional) is another product: never it.
    Row("cdm/lipo-abbreviation", "INJ DOXORUBICIN HCL LIPO 20MG",
        one_of(switch("Q2050", D(2013, 7, 1)), review_within("Q2049", "Q2050")), code="J9999",
        site="HOPD Infusion"),
    # J9205 irinotecan liposome ADD 20170101 (crosswalk Onivyde); J9206 irinotecan is another
    # product; C9474 ended 20161231
    Row("cdm/lipo-with-brand", "IRINOTECAN LIPO 43MG/10ML (ONIVYDE)",
        one_of(switch("J9205", D(2017, 1, 1))), code="J9999", site="HOPD Infusion"),

    # --- suffixes as formularies write them ------------------------------------------------------
    # "-XXXX": the formulary's "any biosimilar"; every infliximab biosimilar has a code
    Row("cdm/placeholder-suffix", "INFLIXIMAB-XXXX 100MG (BIOSIMILAR PER FORMULARY)",
        one_of(review_of(*INFLIXIMAB_BIOSIMILARS, may=("J1745", "J1748"))),
        site="HOPD Infusion"),

    # --- rows the list does not watch, and a compounded drug ---------------------------------
    # rows already on a permanent code: J9299 nivolumab (live), J1300 eculizumab 10 mg (TERM
    # 20250331): not NOC codes, refused with the row named
    Row("cdm/permanent-code-live", "INJ NIVOLUMAB 1MG", one_of(Refused(("J9299",
                                                                       "not a NOC code"))),
        code="J9299", site="HOPD Infusion"),
    Row("cdm/permanent-code-ended", "INJ ECULIZUMAB 10MG", one_of(Refused(("J1300",
                                                                         "not a NOC code"))),
        code="J1300", site="HOPD Infusion"),
    # J7999 "Compounded drug, not otherwise classified" (ADD 20160101); J2440 "Injection,
    # papaverine hcl, up to 60 mg" (19860101) is the manufactured drug, and CMS codes compounded
    # products apart ("compounded product" vs "fda-approved final product, non-compounded",
    # J7604/J7608): a 503B syringe billed on J7999 is never switched to J2440
    Row("cdm/compounded-on-j7999", "PAPAVERINE 30MG/ML 10ML SYR (COMPOUNDED 503B)",
        one_of(review_naming("J2440"), NO_CODE), code="J7999", site="Urology Clinic (POS 11)"),
    # Status "I": Q5116 trastuzumab-qyyp (trazimera) ADD 20191001, reported apart
    Row("cdm/inactive", "INJ TRASTUZUMAB-QYYP 10MG (TRAZIMERA)",
        one_of(switch("Q5116", D(2019, 10, 1))), code="J9999", site="HOPD Infusion", active="I"),
]

EPIC: list[Row] = [
    # First Databank dosage forms (SUSR, SOSY, SUSY, SOLR, SOLN) are four letters after the
    # drug: not FDA suffixes. J9025 azacitidine ADD 20060101, the only azacitidine code.
    Row("epic/form-susr", "AZACITIDINE 100 MG IJ SUSR", one_of(switch("J9025", D(2006, 1, 1))),
        code="J9999", site="Subcutaneous"),
    Row("epic/form-after-bare-generic", "FULVESTRANT 250 MG/5ML IM SOSY",
        one_of(review_of(*FULVESTRANT)), code="J9999", site="Intramuscular"),
    # 55513-0710-01 Prolia -> J0897
    Row("epic/form-beside-ndc", "DENOSUMAB 60 MG/ML SC SOSY",
        one_of(switch("J0897", D(2012, 1, 1))), ndc="55513-0710-01", site="Subcutaneous"),
    # J1050 medroxyprogesterone acetate ADD 20130101
    Row("epic/form-after-salt", "MEDROXYPROGESTERONE ACETATE 150 MG/ML IM SUSY",
        one_of(switch("J1050", D(2013, 1, 1))), code="J3490", site="Intramuscular"),
    # J1650 enoxaparin sodium ADD 19960101 (crosswalk Lovenox, Enoxaparin Sodium)
    Row("epic/form-after-sodium", "ENOXAPARIN SODIUM 40 MG/0.4ML SC SOSY",
        one_of(switch("J1650", D(1996, 1, 1))), code="J3490", site="Subcutaneous"),
    # Q5108 pegfilgrastim-jmdb (fulphila) ADD 20181001
    Row("epic/form-after-suffix", "PEGFILGRASTIM-JMDB 6 MG/0.6ML SC SOSY",
        one_of(switch("Q5108", D(2018, 10, 1))), site="Subcutaneous"),
    # crosswalk "Octreotide Acetate" -> J2353 (depot form for intramuscular injection) and
    # J2354 (non-depot, subcutaneous or intravenous): IM names the depot. ADD 20040101.
    Row("epic/route-picks-depot", "OCTREOTIDE ACETATE 20 MG IM KIT",
        one_of(switch("J2353", D(2004, 1, 1))), code="J3490", site="Intramuscular"),
    # crosswalk "Sandostatin" -> J2354 (00078-0180-01), "Sandostatin Lar Depot" -> J2353
    # (00078-0818-81): "LAR" is the depot, never J2354
    Row("epic/sub-brand-of-three-letters", "SANDOSTATIN LAR 30 MG IM KIT",
        one_of(switch("J2353", D(2004, 1, 1)), review_naming("J2353")), code="J3490",
        site="Intramuscular"),
    Row("epic/placeholder-suffix-iv", "TRASTUZUMAB-XXXX 150 MG IV SOLR",
        one_of(review_of(*TRASTUZUMAB_BIOSIMILARS,
                         may=("J9355", "J9316", "J9356", "J9354", "J9358"))),
        code="J9999", site="Intravenous"),
    Row("epic/form-solr-several-products", "PEMETREXED DISODIUM 500 MG IV SOLR",
        one_of(review_of(*PEMETREXED, may=("J9292", "J9323"))), code="J9999",
        site="Intravenous"),
    # J0289 amphotericin b liposome ADD 20030101 (crosswalk Ambisome); J0285 amphotericin b,
    # J0287 lipid complex, J0288 cholesteryl sulfate complex are other products
    Row("epic/form-after-liposome", "AMPHOTERICIN B LIPOSOME 50 MG IV SOLR",
        one_of(switch("J0289", D(2003, 1, 1))), code="J3490", site="Intravenous"),
    # Epic's newer format: generic (BRAND) strength form
    Row("epic/generic-then-brand-caps", "pembrolizumab (KEYTRUDA) 100 mg/4 mL injection",
        one_of(switch("J9271", D(2016, 1, 1))), code="J9999", site="Intravenous"),
]

BUYER: list[Row] = [
    # 00006-3026-02 Keytruda -> J9271; ® is 0xAE in the CSV
    Row("buyer/brand-registered-pack", "KEYTRUDA\u00ae 100MG/4ML 1VL",
        one_of(switch("J9271", D(2016, 1, 1))), code="J9999", ndc="00006-3026-02",
        maker="Merck Sharp & Dohme"),
    # crosswalk "Sandostatin" -> J2354 octreotide non-depot ADD 20040101 (the shorter brand
    # of Sandostatin LAR Depot)
    Row("buyer/brand-prefix-of-a-longer-one", "Sandostatin 100mcg/mL 1mL amp 10pk",
        one_of(switch("J2354", D(2004, 1, 1))), code="J3490", maker="Novartis"),
    # 63323-0715-05 Fulvestrant (FreseniUS Kabi) -> J9394 ADD 20230101
    Row("buyer/ndc-of-a-manufacturer-code", "Fulvestrant 250mg/5mL PFS 2pk",
        one_of(switch("J9394", D(2023, 1, 1))), code="J9999", ndc="63323-0715-05",
        maker="Fresenius Kabi"),
    # Teva's fulvestrant: J9393 "fulvestrant (teva)" (no crosswalk NDC); the manufacturer is in
    # its own column, which the list does not read: REVIEW of the three, or J9393
    Row("buyer/manufacturer-column-only", "Fulvestrant 250mg/5mL PFS 2pk",
        one_of(review_of(*FULVESTRANT), switch("J9393", D(2023, 1, 1))), code="J9999",
        maker="Teva"),
    # 63323-0821-10 Bortezomib (FreseniUS Kabi) -> J9041 ADD 20050101, not J9048
    Row("buyer/ndc-beats-manufacturer-code", "Bortezomib 3.5mg SDV",
        one_of(switch("J9041", D(2005, 1, 1))), code="J9999", ndc="63323-0821-10",
        maker="Fresenius Kabi"),
    # 70121-2484-01 Boruzu -> J9054 bortezomib (boruzu) ADD 20250401
    Row("buyer/brand-ready-to-use", "Boruzu 3.5mg/1.4mL vial",
        one_of(switch("J9054", D(2025, 4, 1))), code="J9999", ndc="70121-2484-01",
        maker="Amneal"),
    # J1952 "Leuprolide injectable, camcevi, 1 mg" ADD 20220101 (crosswalk Camcevi)
    Row("buyer/brand-kit", "Camcevi 42mg kit", one_of(switch("J1952", D(2022, 1, 1))),
        code="J9999", maker="Foresee"),
    # Wyost is Q5136 denosumab-bbdz (jubbonti/wyost); -bmwo is Q5157 (stoboclo/osenvelt)
    Row("buyer/brand-with-another-products-suffix", "Wyost (denosumab-bmwo) 120mg/1.7mL",
        one_of(review_of("Q5136", "Q5157")), maker="Sandoz"),
    # Q5147 aflibercept-ayyh (pavblu) ADD 20250401; × is 0xD7 in the CSV
    Row("buyer/multiplication-sign", "Pavblu 2mg/0.05mL vial \u00d7 1",
        one_of(switch("Q5147", D(2025, 4, 1))), maker="Amgen"),
    # J9248 melphalan (hepzato) ADD 20240401 (crosswalk Hepzato Kit)
    Row("buyer/brand-with-kit", "Hepzato Kit 200mg", one_of(switch("J9248", D(2024, 4, 1))),
        code="J9999", maker="Delcath"),
    # "Blenrep" is in no CMS file (J9037 belantamab mafodotin-blmf, ended, names no brand)
    Row("buyer/brand-cms-never-named", "Blenrep 100mg vial", one_of(NO_CODE,
                                                                   review_naming("J9037")),
        code="J9999", maker="GSK"),
    # added after the first run showed the same words with an IM route were REVIEW naming
    # J2354 only: crosswalk "Sandostatin Lar Depot" 00078-0818-81 -> J2353, "Sandostatin"
    # -> J2354: "LAR" names the depot, never J2354
    Row("buyer/sub-brand-without-route", "Sandostatin LAR 20mg kit",
        one_of(switch("J2353", D(2004, 1, 1)), review_naming("J2353")), code="J3490",
        maker="Novartis"),
    # Q5116 trastuzumab-qyyp (trazimera) ADD 20191001; "Trazimera" crosswalk -> Q5116
    Row("buyer/brand-biosimilar", "Trazimera 420mg MDV", one_of(switch("Q5116", D(2019, 10, 1))),
        code="J9999", maker="Pfizer"),
]


# ---------------------------------------------------------------------------------------------
# The three lists as their systems write them
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Shape:
    """A list's layout: lines above the header, the header, a row's cells, lines below."""

    name: str
    rows: list[Row]
    above: list[list[Any]]
    header: list[str]
    cells: Callable[[int, Row], list[Any]]
    below: list[list[Any]]

    @property
    def first_row(self) -> int:
        return len(self.above) + 2  # spreadsheet rows: the lines above, then the header

    def at(self, row: Row) -> int:
        return self.first_row + self.rows.index(row)

    def lines(self) -> list[list[Any]]:
        width = len(self.header)
        pad = lambda cells: list(cells) + [None] * (width - len(cells))  # noqa: E731
        return ([pad(line) for line in self.above] + [self.header]
                + [self.cells(at, row) for at, row in enumerate(self.rows)]
                + [pad(line) for line in self.below])

    @property
    def below_rows(self) -> list[int]:
        start = self.first_row + len(self.rows)
        return [start + at for at, line in enumerate(self.below) if any(line)]


def _cdm_cells(at: int, row: Row) -> list[Any]:
    return [27000100 + at, 636, row.code, row.drug, row.ndc or None, row.site or None,
            round(12.5 * (at + 1), 2), row.active]


def _epic_cells(at: int, row: Row) -> list[Any]:
    return [410000 + at, row.drug, row.site or None, row.ndc or None, row.code,
            "No" if row.inactive else "Yes"]


def _buyer_cells(at: int, row: Row) -> list[Any]:
    return [f"{1920000 + at}", row.drug, row.maker or None, row.ndc or None, "1 EA",
            round(99.95 * (at + 1), 2), row.code]


SHAPES = {
    "cdm": Shape("cdm", CDM,
                 [["RIVERSIDE REGIONAL MEDICAL CENTER"],
                  ["Charge Description Master - Pharmacy (Rev 0636) - exported 10/03/2025"],
                  []],
                 ["Charge Code", "Rev Code", "CPT/HCPCS", "Charge Description", "NDC", "Site",
                  "Unit Price", "Status"], _cdm_cells,
                 [[], ["*** END OF REPORT ***"], ["Printed: 10/03/2025 07:14 AM  User: JSMITH"]]),
    "epic": Shape("epic", EPIC, [],
                  ["ERX", "Medication Name", "Route", "NDC", "HCPCS Code", "Active?"],
                  _epic_cells, []),
    "buyer": Shape("buyer", BUYER,
                   [["McKesson Connect - Order Guide - Riverside Infusion"], []],
                   ["Item #", "Description", "Manufacturer", "NDC", "Pkg Size", "Unit Cost",
                    "HCPCS"], _buyer_cells,
                   [["Total: 13 items"]]),
}


def write_csv(shape: Shape, path: Path) -> Path:
    """As Excel saves "CSV (Comma delimited)" on Windows: Windows-1252, CRLF."""
    with path.open("w", encoding="cp1252", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerows(["" if cell is None else cell for cell in line]
                         for line in shape.lines())
    return path


def write_xlsx(shape: Shape, path: Path) -> Path:
    """As a workbook: a summary sheet without a drug column first, then the list with its
    numbers as number cells (charge codes, revenue codes, prices)."""
    book = Workbook()
    book.active.title = "Summary"
    book.active.append(["Drugs exported", len(shape.rows)])
    sheet = book.create_sheet(shape.name.upper())
    for line in shape.lines():
        sheet.append(line)
    book.save(path)
    return path


# ---------------------------------------------------------------------------------------------
# Running `crosswalk match` on each list and reading the run back
# ---------------------------------------------------------------------------------------------

@dataclass
class Run:
    """One `crosswalk match`: its terminal output, and each list row's alert or refusal."""

    exit_code: int
    output: str
    by_row: dict[int, dict[str, Any] | str]


_PROBLEM = re.compile(r"^  \S.*?, row (\d+), field '\w+': (.*)$", re.MULTILINE)


def run_match(settings: Settings, path: Path) -> Run:
    result = CliRunner().invoke(main, ["match", "--quarter", "2025Q4", "--drugs", str(path),
                                       "--data-dir", str(settings.data_dir)])
    found = re.search(r"\(match run (\d+),", result.output)
    by_row: dict[int, dict[str, Any] | str] = {
        int(row): reason for row, reason in _PROBLEM.findall(result.output)}
    if found:
        with duckdb.connect(str(settings.db_path), read_only=True) as con:
            cursor = con.execute("SELECT * FROM practice_alerts WHERE run_id = ?",
                                 [int(found[1])])
            names = [column[0] for column in cursor.description]
            by_row |= {row["row_no"]: row for row in
                       (dict(zip(names, values)) for values in cursor.fetchall())}
    return Run(result.exit_code, result.output, by_row)


@pytest.fixture(scope="module")
def runs(real_2025q4: Settings, tmp_path_factory: pytest.TempPathFactory
         ) -> dict[tuple[str, str], Run]:
    folder = tmp_path_factory.mktemp("lists3")
    done = {}
    for name, shape in SHAPES.items():
        done[name, "csv"] = run_match(real_2025q4, write_csv(shape, folder / f"{name}.csv"))
        done[name, "xlsx"] = run_match(real_2025q4, write_xlsx(shape, folder / f"{name}.xlsx"))
    return done


def row_problems(got: dict[str, Any] | str | None, row: Row) -> list[str]:
    """Empty when the row got one of its answers; else the first answer's differences, with
    a WRONG SWITCH line when the matcher switched to a code no answer allows."""
    if got is None:
        return ["the row got no verdict and no refusal"]
    reasons = []
    for answer in row.right:
        if isinstance(answer, Refused):
            reasons.append([] if isinstance(got, str) and all(w in got for w in answer.words)
                           else [f"expected a refusal naming {answer.words}, got {got!r:.200}"])
        elif not isinstance(got, dict):
            reasons.append([f"refused: {got}"])
        elif isinstance(answer, ReviewOf):
            reasons.append(answer.problems(got))
        else:
            reasons.append(problems_with(got, answer))
    if any(not why for why in reasons):
        wrong = []
    else:
        wrong = reasons[0]
        allowed = {a.code for a in row.right if isinstance(a, Answer) and a.code}
        if isinstance(got, dict) and got["verdict"] in SWITCHES + (KEEP,) \
                and got["new_code"] not in allowed:
            wrong = [f"WRONG SWITCH: {got['verdict']} {got['new_code']}"] + wrong
    if isinstance(got, dict):
        if bool(got["active"]) == row.inactive:
            wrong.append(f"active is {got['active']}, the status cell says {row.active!r}")
        text = " ".join(str(got.get(key) or "") for key in ("action", "evidence", "hints"))
        wrong += [f"nothing says {word!r}" for word in row.says if word not in text]
    return wrong


CASES = [(name, row) for name, shape in SHAPES.items() for row in shape.rows]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("name, row", CASES, ids=[row.id for _, row in CASES])
def test_lists3_row(name: str, row: Row, kind: str, runs: dict[tuple[str, str], Run]) -> None:
    run = runs[name, kind]
    got = run.by_row.get(SHAPES[name].at(row))
    assert not row_problems(got, row), (row.drug, row_problems(got, row), run.output[-2000:])


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_lists3_no_wrong_switch_anywhere(kind: str, runs: dict[tuple[str, str], Run]) -> None:
    """The first promise over all three lists: every switch names a code an answer allows,
    and every list line got a verdict or a refusal naming its row."""
    wrong, missing = [], []
    for name, shape in SHAPES.items():
        run = runs[name, kind]
        for row in shape.rows:
            got = run.by_row.get(shape.at(row))
            allowed = {a.code for a in row.right if isinstance(a, Answer) and a.code}
            if got is None:
                missing.append(row.id)
            elif isinstance(got, dict) and got["verdict"] in SWITCHES + (KEEP,) \
                    and got["new_code"] not in allowed:
                wrong.append(f"{row.id}: {got['verdict']} {got['new_code']}")
    print(f"{len(CASES)} rows ({kind}): {len(wrong)} wrong switches, {len(missing)} lost")
    assert not wrong and not missing, (wrong, missing)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("name", list(SHAPES))
def test_lists3_are_read_as_their_systems_write_them(name: str, kind: str,
                                                     runs: dict[tuple[str, str], Run]) -> None:
    """The header is found under the title; the columns the list does not use are named; the
    notes a report writer prints under the list (in its first column, which the list does
    not use) are no drugs and no refused rows; a workbook's summary sheet is passed over."""
    shape, run = SHAPES[name], runs[name, kind]
    assert "Traceback" not in run.output
    assert run.exit_code == 0, run.output
    assert not set(shape.below_rows) & set(run.by_row), run.output
    warnings = "\n".join(line for line in run.output.splitlines() if line.startswith("warning"))
    unused = {"cdm": ("Charge Code", "Rev Code", "Unit Price"), "epic": ("ERX",),
              "buyer": ("Item #", "Manufacturer", "Pkg Size", "Unit Cost")}[name]
    assert all(f"column {column!r} ignored" in warnings for column in unused), warnings
    assert f"header on row {shape.first_row - 1}" in warnings or not shape.above, warnings
    if kind == "xlsx":
        assert f"read sheet {name.upper()!r}" in warnings, warnings


def test_a_charge_master_copying_every_descriptor_never_switches_elsewhere(
        real_2025q4: Settings) -> None:
    """Charge masters copy HCPCS descriptors into their descriptions. Every live J, Q, C9 and
    A9 code's own long descriptor, in capitals, as a list row (hospital outpatient, J3590):
    never a switch to another code. This sweep found J2354 'non-depot' switched to J2353,
    J0882 'for esrd on dialysis' to J0881 and J9355 'excludes biosimilar' read as a
    biosimilar."""
    codes = [c for c in cms_codes().values() if c.term is None
             and c.code.startswith(("J", "Q", "C9", "A9")) and c.code not in NOC_CODES]
    drugs = pd.DataFrame([practice.parse_row({"drug_name": c.description.upper(),
                                              "setting": "HOPD"}, "cdm", at)[0]
                          for at, c in enumerate(codes, start=2)],
                         columns=practice.drug_columns())
    with duckdb.connect(str(real_2025q4.db_path), read_only=True) as con:
        alerts = match.match_drugs(con, Quarter.parse("2025Q4"), drugs, D(2026, 12, 1)).alerts
    wrong = [f"{code.code} -> {a['verdict']} {a['new_code']}"
             for code, a in zip(codes, match.plain_records(alerts))
             if a["verdict"] in SWITCHES and a["new_code"] != code.code]
    switched = int(alerts["new_code"].eq(pd.Series([c.code for c in codes])).sum())
    print(f"{len(codes)} descriptors: {switched} to their own code, {len(wrong)} elsewhere")
    assert len(codes) > 1000 and switched > len(codes) // 2 and not wrong, wrong


# ---------------------------------------------------------------------------------------------
# The answers against the raw CMS files
# ---------------------------------------------------------------------------------------------

# NDCs the rows cite -> the codes the Oct 2025 and Jan 2025 crosswalks give them
CITED_NDCS = {
    "00006302602": {"J9271"}, "00006302604": {"J9271"}, "55513071001": {"J0897"},
    "50242013201": {"J9355"}, "55513013201": {"Q5117"}, "00409170001": {"J9041"},
    "00409170301": {"J9049"}, "63323082110": {"J9041"}, "00781905512": {"J9395"},
    "42023015925": {"J0169", "J0171"}, "42023031510": {"J0163"}, "42023050010": {"J0163"},
    "00404981001": {"J0169", "J0171"}, "25682000101": {"J1299", "J1300"},
    "63323071505": {"J9394"}, "70121248401": {"J9054"}, "00078018001": {"J2354"},
    "00078081881": {"J2353"},
}
# crosswalk Drug Name (lower case) -> its codes
CITED_BRANDS = {
    "keytruda": {"J9271"}, "prolia": {"J0897"}, "herceptin": {"J9355"}, "kanjinti": {"Q5117"},
    "adrenalin": {"J0163", "J0169", "J0171"}, "soliris": {"J1299", "J1300"},
    "grafapex": {"J0614"}, "phesgo": {"J9316"}, "zosyn": {"J2543"}, "doxil": {"Q2050"},
    "onivyde": {"J9205"}, "octreotide acetate": {"J2353", "J2354"}, "sandostatin": {"J2354"},
    "sandostatin lar depot": {"J2353"}, "lovenox": {"J1650"}, "fulphila": {"Q5108"},
    "ambisome": {"J0289"}, "faslodex": {"J9395"}, "boruzu": {"J9054"}, "camcevi": {"J1952"},
    "pavblu": {"Q5147"}, "hepzato kit": {"J9248"}, "trazimera": {"Q5116"},
    "vidaza": {"J9025"}, "datroway": {"J9011"},
}
# words in no CMS descriptor and no crosswalk Drug Name
NOT_IN_CMS = ("pepaxto", "blenrep", "emrelis", "sosy", "susr", "susy", "solr", "trom", "acet",
              "lipo", "kcl")


def test_lists3_answers_agree_with_the_cms_files(cms_samples: Path) -> None:
    """Every switch cites a live code with that effective date, every ended code its TERM
    DT, every REVIEW code exists; the cited NDCs and brands map as the comments say."""
    codes = cms_codes()
    for _, row in CASES:
        for answer in row.right:
            if isinstance(answer, ReviewOf):
                for code in answer.must | (answer.may or frozenset()):
                    assert code in codes, (row.id, code)
            elif isinstance(answer, Answer) and answer.verdict in SWITCHES[:2]:
                assert codes[answer.code].effective == answer.effective, row.id
                assert codes[answer.code].term is None, row.id
            elif isinstance(answer, Answer) and answer.verdict == ENDED:
                assert codes[answer.code].term == answer.term, row.id
            elif isinstance(answer, Answer) and answer.candidates:
                assert answer.candidates <= codes.keys(), row.id
    by_ndc = crosswalk_codes_by_ndc()
    for ndc, expected in CITED_NDCS.items():
        assert by_ndc[ndc] == expected, ndc
    assert "00006302902" not in by_ndc
    names = crosswalk_rows().assign(key=crosswalk_rows()["drug_name"].str.replace(
        "\xa0", " ").str.strip().str.lower())
    for brand, expected in CITED_BRANDS.items():
        assert set(names.loc[names["key"] == brand, "code"]) == expected, brand
    # J9048 (fresenius kabi) has no crosswalk NDC; Fresenius Kabi's bortezomib is on J9041
    assert "J9048" not in set(names["code"])
    fresenius = names[names["labeler"].str.lower().str.startswith("fresenius")
                      & (names["key"] == "bortezomib")]
    assert set(fresenius["code"]) == {"J9041"}
    # Pfizer Inc's heparin is under J1643 (pfizer) and J1644 (test_match_adversarial's
    # holds/heparin-pfizer); no labeler named Hospira or Baxter has epinephrine or bortezomib
    # under another code than the descriptor's
    pfizer = names[(names["labeler"] == "Pfizer Inc") & names["key"].str.contains("heparin")]
    assert set(pfizer["code"]) == {"J1643", "J1644"}
    for maker, drug, code in (("hospira", "epinephrine", "J0167"),
                              ("hospira", "bortezomib", "J9049"),
                              ("baxter", "epinephrine", "J0164")):
        rows = names[names["labeler"].str.lower().str.contains(maker)
                     & names["key"].str.contains(drug)]
        assert set(rows["code"]) <= {code}, (maker, drug)
    text = " | ".join([*office_descriptors().values(), *names["key"],
                       *(c.description.lower() for c in codes.values())])
    assert not [word for word in NOT_IN_CMS if re.search(rf"\b{word}\b", text)]
    # CMS writes "-xxxx" itself for a suffix not assigned yet: Q0239 bamlanivimab-xxxx
    assert set(re.findall(r"[a-z]+-xxxx\b", text)) == {"bamlanivimab-xxxx"}
    for code, words in (("J9247", "melphalan flufenamide"), ("J2503", "pegaptanib sodium"),
                        ("J9037", "belantamab mafodotin-blmf"), ("J7999", "compounded drug"),
                        ("J0164", "epinephrine in sodium chloride (baxter)"),
                        ("J0167", "epinephrine (hospira)"), ("J9049", "bortezomib (hospira)"),
                        ("J2004", "lidocaine hcl with epinephrine"),
                        ("J9048", "bortezomib (fresenius kabi)"),
                        ("J2353", "depot form for intramuscular"),
                        ("Q2050", "liposomal"), ("J3480", "potassium chloride")):
        assert words in codes[code].description.lower(), code
    for code in ("J9037", "J9247", "J2503", "J1300", "J0171", "C9147", "C9174", "C9175"):
        assert codes[code].term is not None and codes[code].term < D(2025, 10, 1), code
    for code in ("J9245", "J9246", "J9248", "J9249"):
        assert "melphalan" in codes[code].description.lower() and codes[code].term is None
