"""A new user's messy practice list against the real October 2025 release (issue 10).

One list of 63 drug rows as a billing office exports it from its practice-management system
(Kareo, AdvancedMD, athena, eClinicalWorks) or keeps it in Excel: a title above the header,
PM column names ("Medication", "NDC #", "HCPCS Code", "Status"), a column the tool does not
use, brand-only names with strengths and package words, brand and generic in either order,
FDA suffixes after spaced dashes, en dashes and spaces in any case, NDCs in 10-digit 4-4-2 /
5-3-2 / 5-4-1 forms, with spaces or asterisks, as a float, in Excel's scientific notation or
with their leading zeros dropped, HCPCS descriptors that name a drug differently from its
label (Botox, Kenalog-40, vitamin B-12), compounded drugs, payer rules and inactive rows
spelt every way, duplicate rows, blank rows and the notes an export adds under the list.
It is read twice: as the CSV Excel saves on Windows (Windows-1252) and as an XLSX workbook
(a hidden old sheet and an instructions sheet before the list, NDCs typed as numbers, Status
as TRUE/FALSE cells, "Drug Description" as the drug column).

Each row's answer was written from the CMS files in ../shared/data/cms-samples (the Oct 2025
ANWEB workbook, the Oct 2025 and Jan 2025 ASP NDC-HCPCS crosswalks, looked up by hand with
DuckDB) and the rules of docs/matching.md before the matcher ran; the comment beside each row
cites the CMS rows behind it. Where the rules allow more than one answer (a REVIEW or the
switch) every allowed answer is listed, the expected one first.
`test_messy_answers_agree_with_the_cms_files` checks the citations against the raw files.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from crosswalk import match
from crosswalk.quarters import Quarter
from crosswalk.settings import Settings
from test_match_real_lists import (KEEP, NO_CODE, PAST, SWITCHES, Answer,
                                   alerts_by_row, cms_codes, crosswalk_codes_by_ndc,
                                   crosswalk_rows, keep, notes_text, problems_with, review,
                                   switch)

pytestmark = pytest.mark.real_samples

D = date
TITLE = "Riverside Oncology & Retina - NOC drug master (export 10/01/2025)"
CSV_HEADER = ["Medication", "Brand", "NDC #", "HCPCS Code", "Status", "Payer", "POS",
              "Keep NOC", "Notes", "Qty On Hand"]
XLSX_HEADER = ["Drug Description", "Brand Name", "NDC11", "HCPCS", "Active?", "Payer",
               "Site of Service", "Payer rule", "Comments", "Qty On Hand"]
FOOTER = [["Total: 63 medications", "", "", "", "", "", "", "", "", "63"],
          ["Prepared by: M. Lopez, CPC  10/02/2025"],
          ["CONFIDENTIAL - internal use only"]]


@dataclass(frozen=True)
class Row:
    """One list line and every answer the CMS files allow for it (the expected one first)."""

    id: str
    drug: str
    right: tuple[Answer, ...]
    brand: str = ""
    ndc: str = ""
    code: str = "J3590"
    status: str = "Active"
    payer: str = ""
    pos: str = ""
    keep: str = ""
    notes: str = ""
    qty: str = ""
    says: tuple[str, ...] = ()   # words the row's notes must carry
    ndc11: str | None = None     # an NDC the crosswalk restores
    xlsx_ndc: Any = None         # the NDC cell as a workbook holds it (a number), if not text
    xlsx_status: Any = None      # the Status cell as a workbook holds it (TRUE/FALSE, 0)

    @property
    def inactive(self) -> bool:
        return self.status.strip().lower() in ("inactive", "false", "0", "n", "no", "d/c", "i")

    def cells(self) -> list[str]:
        return [self.drug, self.brand, self.ndc, self.code, self.status, self.payer, self.pos,
                self.keep, self.notes, self.qty]

    def xlsx_cells(self) -> list[Any]:
        cells: list[Any] = self.cells()
        if self.xlsx_ndc is not None:
            cells[2] = self.xlsx_ndc
        if self.xlsx_status is not None:
            cells[4] = self.xlsx_status
        return [None if cell == "" else cell for cell in cells]


def either(*answers: Answer) -> tuple[Answer, ...]:
    return answers


ROWS: list[Row] = [
    # --- brand only, with strength, package and route words -------------------------------
    # Enhertu 65597-0406-01 -> J9358 fam-trastuzumab deruxtecan-nxki ADD 20200701; NDC 5-3-2
    Row("brand-caps-sdv", "ENHERTU 100MG SDV", (switch("J9358", D(2020, 7, 1)),),
        ndc="65597-406-01", code="J9999 JZ"),
    # Padcev 51144-0020-01 -> J9177 enfortumab vedotin-ejfv ADD 20200701; NDC 5-3-2
    Row("brand-vial-532", "Padcev 30 mg vial (lyophilized)", (switch("J9177", D(2020, 7, 1)),),
        ndc="51144-020-01", code="j9999"),
    # Imjudo 00310-4505-25 -> J9347 tremelimumab-actl ADD 20230701; C9147 ended 20230630
    Row("brand-hopd", "IMJUDO 300MG/15ML INJ", (switch("J9347", D(2023, 7, 1)),),
        code="C9399", payer="Medicare", pos="POS 22"),
    # Vabysmo 50242-0096-01 -> J2777 faricimab-svoa ADD 20221001 (C9097 ended 20220930)
    Row("brand-intravitreal-spaced-ndc", "Vabysmo 6mg/0.05mL intravitreal",
        (switch("J2777", D(2022, 10, 1)),), ndc="50242 0096 01"),
    # Imdelltra -> J9026 tarlatamab-dlle ADD 20250101 (C9170 ended 20241231)
    Row("brand-only-new", "IMDELLTRA 10MG SDV", (switch("J9026", D(2025, 1, 1)),), code="J9999"),
    # Xolair -> J2357 omalizumab ADD 20050101 (Q5154 omalizumab-igec is Omlyclo)
    Row("brand-pfs", "XOLAIR 150MG/ML PFS", (switch("J2357", D(2005, 1, 1)),)),
    # Herceptin Hylecta 50242-0077-01 -> J9356 trastuzumab and hyaluronidase-oysk ADD 20190701
    Row("two-word-brand-sc", "Herceptin Hylecta 600mg/5mL SC", (switch("J9356", D(2019, 7, 1)),),
        code="J9999"),
    # Rituxan Hycela 50242-0108-01 -> J9311 rituximab and hyaluronidase ADD 20190101
    Row("two-word-brand-caps", "RITUXAN HYCELA 1400MG/11.7ML", (switch("J9311", D(2019, 1, 1)),),
        code="J9999"),
    # Eylea 61755-0005-01 -> J0178 aflibercept ADD 20130101 (Eylea HD is J0177)
    Row("brand-eylea", "EYLEA 2MG/0.05ML", (switch("J0178", D(2013, 1, 1)),)),
    # Neulasta 55513-0190-01 -> J2506 pegfilgrastim, excludes biosimilar ADD 20220101; "Onpro"
    # (the on-body injector kit) is a word CMS never writes: a possible sub-brand (REVIEW)
    Row("brand-with-device-word", "Neulasta Onpro kit 6mg",
        either(review("J2506"), switch("J2506", D(2022, 1, 1)))),

    # --- brand and generic, in either order ----------------------------------------------
    # J1323 elranatamab-bcmm ADD 20240401; C9165 ended 20240331
    Row("brand-then-generic", "Elrexfio (elranatamab-bcmm) 44 mg/1.1 mL",
        (switch("J1323", D(2024, 4, 1)),), code="J9999"),
    # J9321 epcoritamab-bysp ADD 20240101; C9155 ended 20231231
    Row("generic-then-brand", "epcoritamab-bysp (Epkinly) 4mg/0.8mL",
        (switch("J9321", D(2024, 1, 1)),), code="J9999"),
    # J9286 glofitamab-gxbm ADD 20240101
    Row("generic-then-brand-caps", "GLOFITAMAB-GXBM (COLUMVI) 2.5MG/2.5ML",
        (switch("J9286", D(2024, 1, 1)),), code="J9999"),
    # J9382 zenocutuzumab-zbco ADD 20250701 (Bizengri in the Oct crosswalk)
    Row("brand-generic-decimal-strength", "Bizengri (zenocutuzumab-zbco) 375mg/18.75mL",
        (switch("J9382", D(2025, 7, 1)),), code="J9999"),
    # J9329 tislelizumab-jsgr ADD 20241001 (Tevimbra); ® as Windows-1252 0xAE in the CSV
    Row("registered-brand-generic", "TEVIMBRA\u00ae (tislelizumab-jsgr) 100MG/10ML",
        (switch("J9329", D(2024, 10, 1)),), code="J9999"),
    # generic in its column, brand beside it: Q5127 pegfilgrastim-fpgk (stimufend) ADD 20230401
    Row("brand-column-tm", "pegfilgrastim 6 mg/0.6 mL", (switch("Q5127", D(2023, 4, 1)),),
        brand="Stimufend\u2122"),
    # J3402 remestemcel-l-rknd ADD 20251001: the label name "remestemcel-L" lacks the suffix;
    # Ryoncil (Oct crosswalk) -> J3402 settles it
    Row("brand-generic-without-suffix", "Ryoncil (remestemcel-L) 2.5 million cells/mL",
        (switch("J3402", D(2025, 10, 1)),)),

    # --- FDA suffixes: odd dashes, spaces and case ----------------------------------------
    # Q5147 aflibercept-ayyh (pavblu) ADD 20250401
    Row("suffix-spaced-dash", "aflibercept - ayyh", (switch("Q5147", D(2025, 4, 1)),)),
    # Q5114 trastuzumab-dkst (ogivri) ADD 20190701
    Row("suffix-caps-mdv", "TRASTUZUMAB-DKST 420MG MDV", (switch("Q5114", D(2019, 7, 1)),),
        code="J9999"),
    # Q5126 bevacizumab-maly (alymsys) ADD 20230101; C9142 (the same) ended 20221231
    Row("suffix-after-space", "bevacizumab maly 400mg/16mL", (switch("Q5126", D(2023, 1, 1)),),
        code="J9999"),
    # Q5128 ranibizumab-eqrn (cimerli) ADD 20230401
    Row("suffix-upper", "Ranibizumab-EQRN 0.3mg", (switch("Q5128", D(2023, 4, 1)),)),
    # Q5129 bevacizumab-adcd (vegzelma) ADD 20230401; the en dash is 0x96 in the CSV
    Row("suffix-spaced-en-dash", "bevacizumab \u2013 adcd (Vegzelma)",
        (switch("Q5129", D(2023, 4, 1)),), code="J9999"),
    # Q5104 infliximab-abda (renflexis) ADD 20180401
    Row("suffix-dash-then-space", "infliximab- abda (Renflexis) 100mg",
        (switch("Q5104", D(2018, 4, 1)),)),
    # J9276 zanidatamab-hrii ADD 20250701 (C9302 ended 20250630)
    Row("brand-first-spaced-suffix", "Ziihera (zanidatamab - hrii) 300mg",
        (switch("J9276", D(2025, 7, 1)),), code="J9999"),

    # --- a bare generic several products carry: REVIEW listing them all -------------------
    # J2357 omalizumab (20050101), Q5154 omalizumab-igec (omlyclo) (20251001)
    Row("bare-omalizumab", "omalizumab 150 mg/mL PFS", (review("J2357", "Q5154"),)),
    # J2778 ranibizumab, J2779 ranibizumab via intravitreal implant (susvimo), Q5124 -nuna,
    # Q5128 -eqrn; C9093 ended 20220630
    Row("bare-ranibizumab", "ranibizumab 0.5mg/0.05mL",
        (review("J2778", "J2779", "Q5124", "Q5128"),)),
    # J0178 aflibercept, J0177 aflibercept hd, Q5147 -ayyh, Q5149 -abzv, Q5150 -mrbb,
    # Q5153 -yszy, Q5155 -jbvf; J9400 ziv-aflibercept (Zaltrap) tolerated
    Row("bare-aflibercept", "Aflibercept 2mg/0.05ml",
        (review("J0177", "J0178", "Q5147", "Q5149", "Q5150", "Q5153", "Q5155",
                tolerated=("J9400",)),)),
    # J9035 bevacizumab, Q5107 -awwb, Q5118 -bvzr, Q5126 -maly, Q5129 -adcd; C9257
    # bevacizumab 0.25 mg (hospital outpatient) tolerated
    Row("bare-bevacizumab", "BEVACIZUMAB 100MG/4ML",
        (review("J9035", "Q5107", "Q5118", "Q5126", "Q5129", tolerated=("C9257",)),),
        code="J9999"),

    # --- NDCs as exports write them --------------------------------------------------------
    # 6175500501: 5-3-2 -> 61755-0005-01 Eylea (J0178), 5-4-1 -> 61755-0050-01 Eylea HD
    # (J0177): two readings, so ignored; the brand says J0177 aflibercept hd ADD 20240401
    Row("ndc-two-readings", "EYLEA HD 8MG/0.07ML", (switch("J0177", D(2024, 4, 1)),),
        ndc="6175500501", says=("ndc",), xlsx_ndc=6175500501),
    # 5-3-2 50242-080-03 = 50242-0080-03 Lucentis -> J2778 ranibizumab ADD 20080101
    Row("ndc-532-settles", "ranibizumab", (switch("J2778", D(2008, 1, 1)),),
        ndc="50242-080-03"),
    # 4-4-2 0003-3734-13 = 00003-3734-13 Opdivo -> J9299 nivolumab ADD 20160101
    Row("ndc-442-settles", "nivolumab 240mg/24mL", (switch("J9299", D(2016, 1, 1)),),
        ndc="0003-3734-13", code="J9999"),
    # 5-4-1 55513-0056-1 = 55513-0056-01 Pavblu -> Q5147 aflibercept-ayyh ADD 20250401
    Row("ndc-541-settles", "aflibercept", (switch("Q5147", D(2025, 4, 1)),),
        ndc="55513-0056-1"),
    # 50242-0214-01 Xolair -> J2357 (spaces for hyphens)
    Row("ndc-spaces-settles", "omalizumab", (switch("J2357", D(2005, 1, 1)),),
        ndc="50242 0214 01"),
    # 55513-0710-01 Prolia -> J0897 denosumab ADD 20120101 (asterisks around it)
    Row("ndc-asterisks-settles", "denosumab 60mg/mL", (switch("J0897", D(2012, 1, 1)),),
        ndc="*55513-0710-01*"),
    # 50242-0060-01 Avastin -> J9035 bevacizumab ADD 20050101, as a float
    Row("ndc-float-settles", "bevacizumab", (switch("J9035", D(2005, 1, 1)),),
        ndc="50242006001.0", code="J9999", xlsx_ndc=50242006001.0),
    # "5.02421E+10": Excel's display of 50242-0917-01, digits lost in the CSV (a warning);
    # the workbook keeps the number. Tecentriq -> J9022 atezolizumab ADD 20180101
    # (Tecentriq Hybreza is J9024)
    Row("ndc-scientific", "Tecentriq 1200mg/20mL", (switch("J9022", D(2018, 1, 1)),),
        ndc="5.02421E+10", code="J9999", xlsx_ndc=50242091701),
    # 3377211: 00003-3772-11 Opdivo with Excel's leading zeros dropped, the only reading in
    # the crosswalks -> J9299
    Row("ndc-seven-digits", "nivolumab", (switch("J9299", D(2016, 1, 1)),), ndc="3377211",
        code="J9999", ndc11="00003377211", xlsx_ndc=3377211),
    # no NDC yet: J9275 cosibelimab-ipdl ADD 20250701
    Row("ndc-pending", "Unloxcyt (cosibelimab-ipdl) 200mg/3.33mL",
        (switch("J9275", D(2025, 7, 1)),), ndc="pending", code="J9999", says=("ndc",)),
    # a placeholder NDC no crosswalk has: Zynyz -> J9345 retifanlimab-dlwr ADD 20231001
    Row("ndc-placeholder", "Zynyz 500mg/20mL", (switch("J9345", D(2023, 10, 1)),),
        ndc="00000-0000-00", code="J9999"),

    # --- descriptors naming the drug differently from its label ---------------------------
    # Botox (crosswalk) -> J0585 onabotulinumtoxina ADD 19910101
    Row("descriptor-differs-botox", "Botox 100 Units", (switch("J0585", D(1991, 1, 1)),),
        code="J3490"),
    # Reclast (crosswalk) -> J3489 zoledronic acid ADD 20140101
    Row("brand-then-generic-acid", "Reclast (zoledronic acid) 5mg/100mL",
        (switch("J3489", D(2014, 1, 1)),), code="J3490"),
    # Kenalog-40 (crosswalk) -> J3301 triamcinolone acetonide, not otherwise specified
    # ADD 19910101 (J3299 Xipere, J3300 preservative free, J3304 ER are other products)
    Row("brand-with-number", "Kenalog-40 (triamcinolone acetonide) 40mg/mL",
        (switch("J3301", D(1991, 1, 1)),), code="J3490"),
    # J1050 medroxyprogesterone acetate ADD 20130101, the only code; "Depo-Provera" is a
    # brand CMS does not write (REVIEW allowed)
    Row("generic-unknown-brand", "medroxyprogesterone acetate 150 mg/mL (Depo-Provera)",
        either(switch("J1050", D(2013, 1, 1)), review("J1050")), code="J3490"),
    # J1071 testosterone cypionate ADD 20150101 and J1072 testosterone cypionate (azmiro)
    # ADD 20250401: two products; generic J1071 is a fair switch too
    Row("generic-two-products", "Testosterone Cypionate 200mg/mL",
        either(review("J1071", "J1072"), switch("J1071", D(2015, 1, 1))), code="J3490"),
    # J1885 ketorolac tromethamine ADD 19930101; J1097 phenylephrine and ketorolac is an
    # ophthalmic irrigation (not IM/IV)
    Row("inj-prefix-route", "Inj. Ketorolac 30mg/mL IM/IV",
        either(switch("J1885", D(1993, 1, 1)), review("J1885", "J1097")), code="J3490"),
    # J1100 dexamethasone sodium phosphate ADD 19820101; "SOD PHOS" is the PM abbreviation
    Row("abbreviated-salt", "DEXAMETHASONE SOD PHOS 4MG/ML",
        either(switch("J1100", D(1982, 1, 1)),
               review("J1100", tolerated=("J1095", "J1096", "J7312", "J8540", "J8541",
                                          "J7637", "J7638"))), code="J3490"),
    # J3420 vitamin b-12 cyanocobalamin ADD 19860101 (A9546/A9559 cobalt diagnostics)
    Row("generic-descriptor-second-word", "Cyanocobalamin 1000mcg/mL",
        either(switch("J3420", D(1986, 1, 1)),
               review("J3420", tolerated=("A9546", "A9559"))), code="J3490"),
    Row("common-name-vitamin", "Vitamin B-12 1000 mcg/mL",
        either(switch("J3420", D(1986, 1, 1)), review("J3420")), code="J3490"),

    # --- compounded and uncoded drugs --------------------------------------------------------
    # no methylcobalamin, glutathione in the ANWEB file or either crosswalk
    Row("compounded-uncoded", "Methylcobalamin 5mg/mL (compounded)",
        either(NO_CODE, review("J3420")), code="J3490"),
    Row("compounded-uncoded-inj", "Glutathione 200mg/mL inj (compounded)", (NO_CODE,),
        code="J3490"),
    # three coded drugs mixed by a pharmacy: J2440 papaverine hcl, J2760 phentolamine
    # mesylate, J0270 alprostadil (J0275 urethral suppository tolerated): never one of them
    Row("compounded-mix", "Tri-Mix (papaverine 30mg/phentolamine 1mg/alprostadil 10mcg) "
        "compounded", (review("J0270", "J2440", "J2760", tolerated=("J0275",)),),
        code="J3490"),
    # C9306 telisotuzumab vedotin-tllv ADD 20251001, no J/Q code: the office keeps J9999
    Row("office-c-code-only", "Emrelis (telisotuzumab vedotin-tllv) 100mg", (NO_CODE,),
        code="J9999", says=("C9306", "hospital outpatient")),

    # --- payer rules, spelt as offices spell them ---------------------------------------
    # the J3590 guide's BCBSM rule; Avastin -> J9035
    Row("keep-yes-with-reason", "Avastin (bevacizumab) 1.25mg/0.05mL intravitreal",
        (keep("J9035"),), payer="BCBS of Michigan", keep="Yes - BCBSMI",
        notes="off-label intravitreal; BCBSM requires J3590 (June 2024 alert)"),
    # Riabni -> Q5123 rituximab-arrx ADD 20210701
    Row("keep-x", "Riabni 100mg/10mL", (keep("Q5123"),), payer="NC Medicaid", keep="X",
        notes="NC Medicaid PADP: J3590"),
    # Briumvi -> J2329 ublituximab-xiiy ADD 20230701
    Row("keep-true", "Briumvi (ublituximab-xiiy) 150mg/6mL", (keep("J2329"),),
        payer="NC Medicaid", keep="TRUE", notes="NC Medicaid PADP"),
    # keep "No": J9272 dostarlimab-gxly ADD 20220101 (C9082 ended 20211231)
    Row("keep-no", "Jemperli (dostarlimab-gxly) 500mg/10mL", (switch("J9272", D(2022, 1, 1)),),
        code="J9999", keep="No"),

    # --- inactive rows, every spelling: a verdict, reported apart --------------------------
    # Kisunla -> J0175 donanemab-azbt ADD 20240702
    Row("inactive-word", "Kisunla (donanemab-azbt) 350mg/20mL",
        (switch("J0175", D(2024, 7, 2)),), status="Inactive"),
    # Beovu -> J0179 brolucizumab-dbll ADD 20200101
    Row("inactive-false", "Beovu 6mg/0.05mL", (switch("J0179", D(2020, 1, 1)),),
        status="FALSE", xlsx_status=False),
    # Byooviz -> Q5124 ranibizumab-nuna ADD 20220401
    Row("inactive-zero", "Byooviz (ranibizumab-nuna)", (switch("Q5124", D(2022, 4, 1)),),
        status="0", xlsx_status=0),
    # Zaltrap -> J9400 ziv-aflibercept ADD 20140101
    Row("inactive-n", "Zaltrap 100mg/4mL", (switch("J9400", D(2014, 1, 1)),), status="N",
        code="J9999"),
    # Cimerli -> Q5128 ranibizumab-eqrn ADD 20230401
    Row("inactive-dc", "Cimerli 0.5mg", (switch("Q5128", D(2023, 4, 1)),), status="D/C"),
    # Ogivri -> Q5114 trastuzumab-dkst ADD 20190701; "I" for inactive, "A" for active
    Row("inactive-i", "Ogivri 150mg", (switch("Q5114", D(2019, 7, 1)),), status="I",
        code="J9999"),
    Row("active-a", "Lucentis 0.5mg PFS", (switch("J2778", D(2008, 1, 1)),), status="A",
        xlsx_status=True),
]

# Lines of the list that are not drugs of their own: (the row they repeat, the line).
DUPLICATES = [
    ("brand-caps-sdv", ["ENHERTU 100MG SDV", "", "65597-406-01", "J9999 JZ", "Active", "", "",
                        "", "", ""]),
    ("brand-caps-sdv", ["Enhertu 100mg SDV", "", "65597-406-01", "J9999", "Active", "", "",
                        "", "re-entered", ""]),
]
BLANK_AFTER = "ndc-placeholder"   # two blank lines follow this row
DATA_START = 4                    # title on row 1, a blank row 2, the header on row 3


def layout() -> tuple[list[list[str]], dict[str, int], list[int], list[int]]:
    """The list's lines under the header, each drug row's spreadsheet row number, the
    duplicates' and the footer's row numbers."""
    lines: list[list[str]] = []
    at: dict[str, int] = {}
    for row in ROWS:
        at[row.id] = DATA_START + len(lines)
        lines.append(row.cells())
        if row.id == BLANK_AFTER:
            lines += [[""] * len(CSV_HEADER), [""] * len(CSV_HEADER)]
    duplicates = []
    for _, cells in DUPLICATES:
        duplicates.append(DATA_START + len(lines))
        lines.append(cells)
    lines.append([""] * len(CSV_HEADER))
    footer = [DATA_START + len(lines) + index for index in range(len(FOOTER))]
    return lines + FOOTER, at, duplicates, footer


def write_csv(path: Path) -> Path:
    """The list as Excel saves "CSV (Comma delimited)" on Windows: Windows-1252, CRLF, the
    title and a blank line above the header."""
    lines, *_ = layout()
    with path.open("w", encoding="cp1252", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow([TITLE] + [""] * (len(CSV_HEADER) - 1))
        writer.writerow([""] * len(CSV_HEADER))
        writer.writerow(CSV_HEADER)
        writer.writerows(lines)
    return path


def write_xlsx(path: Path) -> Path:
    """The list as a workbook: a hidden old list first, an instructions sheet, then the
    list under a title; NDCs typed as numbers, Status as TRUE/FALSE, "Drug Description"."""
    book = Workbook()
    old = book.active
    old.title = "Old list 2023"
    old.append(["Drug Name", "NDC"])
    old.append(["ranibizumab", "50242008003"])
    old.sheet_state = "hidden"
    book.create_sheet("Instructions").append(["Add new drugs at the bottom; keep NDCs 11 digits"])
    sheet = book.create_sheet("Drug Master")
    sheet.append([TITLE])
    sheet.append([])
    sheet.append(XLSX_HEADER)
    by_line = {tuple(row.cells()): row for row in ROWS}
    lines, *_ = layout()
    for cells in lines:
        row = by_line.get(tuple(cells))
        sheet.append(row.xlsx_cells() if row else [None if c == "" else c for c in cells])
    for cell in sheet["C"]:
        if cell.value == 50242091701:
            cell.number_format = "0.00E+00"
    book.save(path)
    return path


def run(settings: Settings, path: Path) -> match.MatchOutcome:
    return match.match_practice(settings, Quarter.parse("2025Q4"), path)


@pytest.fixture(scope="module")
def csv_outcome(real_2025q4: Settings, tmp_path_factory: pytest.TempPathFactory
                ) -> match.MatchOutcome:
    return run(real_2025q4, write_csv(tmp_path_factory.mktemp("messy") / "drug-master.csv"))


@pytest.fixture(scope="module")
def xlsx_outcome(real_2025q4: Settings, tmp_path_factory: pytest.TempPathFactory
                 ) -> match.MatchOutcome:
    return run(real_2025q4, write_xlsx(tmp_path_factory.mktemp("messy") / "drug-master.xlsx"))


def row_problems(alert: dict[str, Any] | str | None, row: Row, csv_file: bool) -> list[str]:
    """How a matched row differs from every answer it allows (empty when it agrees with one)."""
    tried = [problems_with(alert, answer) for answer in row.right]
    if all(tried):
        return [f"none of the answers: {' / '.join('; '.join(p) for p in tried)}"]
    if not isinstance(alert, dict):
        return []
    wrong = []
    text = notes_text(alert).lower()
    says = [word for word in row.says if csv_file or word != "ndc" or row.xlsx_ndc is None]
    wrong += [f"the notes do not mention {word!r}" for word in says if word.lower() not in text]
    if row.ndc11 and alert.get("ndc11") != row.ndc11:
        wrong.append(f"NDC {row.ndc!r} not restored to {row.ndc11} (got {alert.get('ndc11')})")
    if bool(alert["active"]) == row.inactive:
        wrong.append(f"active is {alert['active']}, the Status cell says {row.status!r}")
    return wrong


@pytest.fixture(scope="module")
def outcomes(csv_outcome: match.MatchOutcome, xlsx_outcome: match.MatchOutcome
             ) -> dict[str, match.MatchOutcome]:
    return {"csv": csv_outcome, "xlsx": xlsx_outcome}


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_messy_row(row: Row, kind: str, outcomes: dict[str, match.MatchOutcome]) -> None:
    alert = alerts_by_row(outcomes[kind]).get(layout()[1][row.id])
    wrong = row_problems(alert, row, kind == "csv")
    assert not wrong, (row.drug, wrong)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_no_wrong_switch_on_the_whole_list(kind: str,
                                           outcomes: dict[str, match.MatchOutcome]) -> None:
    """The first promise in one place: every switch names a code the row's answers allow."""
    outcome = outcomes[kind]
    alerts, at = alerts_by_row(outcome), layout()[1]
    wrong = []
    for row in ROWS:
        alert = alerts.get(at[row.id])
        allowed = {answer.code for answer in row.right if answer.code}
        if isinstance(alert, dict) and alert["verdict"] in SWITCHES + (KEEP,) \
                and alert["new_code"] not in allowed:
            wrong.append(f"{row.id}: {alert['verdict']} {alert['new_code']}")
    assert not wrong
    assert sum(isinstance(alert, dict) for alert in alerts.values()) == len(ROWS)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_duplicates_are_refused_by_row(kind: str,
                                       outcomes: dict[str, match.MatchOutcome]) -> None:
    """A line entered twice (once in other case) is named as a duplicate of the first."""
    outcome = outcomes[kind]
    _, at, duplicates, _ = layout()
    refused = {problem.row: str(problem) for problem in outcome.problems}
    for row_no in duplicates:
        assert f"duplicate of row {at['brand-caps-sdv']}" in refused.get(row_no, ""), row_no


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_notes_under_the_list_are_not_drugs(kind: str,
                                            outcomes: dict[str, match.MatchOutcome]) -> None:
    """"Total: 63 medications", "Prepared by ..." and "CONFIDENTIAL" under the list are
    no drugs: no verdict, no refused row, one warning naming the lines left out."""
    outcome = outcomes[kind]
    footer = layout()[3]
    assert not set(footer) & set(alerts_by_row(outcome))
    said = " ".join(outcome.warnings)
    assert all(f"row {row_no}" in said or f"rows {footer[0]}" in said for row_no in footer), \
        outcome.warnings


def test_header_under_a_title_and_unused_columns(csv_outcome: match.MatchOutcome,
                                                 xlsx_outcome: match.MatchOutcome) -> None:
    """The header is found under the title; the column the tool does not use is named with
    the nearest accepted one; the workbook's hidden and instructions sheets are passed over."""
    for outcome in (csv_outcome, xlsx_outcome):
        said = "\n".join(outcome.warnings)
        assert "'Qty On Hand' ignored" in said, outcome.warnings
    assert "'Drug Master'" in "\n".join(xlsx_outcome.warnings)
    text = csv_outcome.table()
    assert "ENHERTU 100MG SDV" in text and "Total: 63" not in text


def test_messy_answers_agree_with_the_cms_files(cms_samples: Path) -> None:
    """Every switch and payer-rule code is live with the cited effective date, every REVIEW
    code exists, the cited NDCs map as the comments say, the uncoded drugs are nowhere."""
    codes = cms_codes()
    for row in ROWS:
        for answer in row.right:
            if answer.verdict in (PAST, "NEW_CODE"):
                assert codes[answer.code].effective == answer.effective, row.id
            if answer.code:
                assert codes[answer.code].term is None, row.id
            for code in answer.candidates | answer.tolerated:
                assert code in codes and codes[code].term is None, (row.id, code)
    by_ndc = crosswalk_codes_by_ndc()
    cited = {"65597040601": {"J9358"}, "51144002001": {"J9177"}, "50242009601": {"J2777"},
             "61755000501": {"J0178"}, "61755005001": {"J0177"}, "50242008003": {"J2778"},
             "00003373413": {"J9299"}, "55513005601": {"Q5147"}, "50242021401": {"J2357"},
             "55513071001": {"J0897"}, "50242006001": {"J9035"}, "50242091701": {"J9022"},
             "00003377211": {"J9299"}}
    for ndc, expected in cited.items():
        assert by_ndc[ndc] == expected, ndc
    assert "06175500501" not in by_ndc and "00000000000" not in by_ndc
    names = crosswalk_rows()["drug_name"].str.strip().str.lower()
    brands = {"imdelltra": "J9026", "xolair": "J2357", "herceptin hylecta": "J9356",
              "rituxan hycela": "J9311", "eylea": "J0178", "eylea hd": "J0177",
              "neulasta": "J2506", "bizengri": "J9382", "tevimbra": "J9329",
              "ryoncil": "J3402", "botox": "J0585", "reclast": "J3489", "kenalog-40": "J3301",
              "riabni": "Q5123", "briumvi": "J2329", "jemperli": "J9272", "kisunla": "J0175",
              "beovu": "J0179", "byooviz": "Q5124", "zaltrap": "J9400", "cimerli": "Q5128",
              "ogivri": "Q5114", "lucentis pfs": "J2778", "avastin": "J9035",
              "zynyz": "J9345", "tecentriq": "J9022"}
    for brand, code in brands.items():
        assert set(crosswalk_rows().loc[names == brand, "code"]) == {code}, brand
    text = " | ".join([*names, *(c.description.lower() for c in codes.values())])
    assert not [word for word in ("methylcobalamin", "glutathione", "emrelis", "onpro",
                                  "depo-provera") if re.search(rf"\b{word}\b", text)]
    assert codes["C9306"].term is None and "telisotuzumab" in codes["C9306"].description
