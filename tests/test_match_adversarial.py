"""Adversarial rows for issue 10's first promise, "never a wrong switch", on the real Oct 2025
release (the `real_2025q4` session fixture, conftest.py).

Each row is something a billing lead's spreadsheet or a PM-system export can hold. Its right
answer was written from the CMS files in ../shared/data/cms-samples (the Oct 2025 ANWEB
workbook, the Oct 2025 and Jan 2025 ASP NDC-HCPCS crosswalks) and the rules of
docs/matching.md before the row was run; the comment above each group cites the CMS rows that
make it right (code, ADD DT, TERM DT, descriptor words, crosswalk NDC and Drug Name).
`test_adversarial_answers_agree_with_the_cms_files` checks those citations against the raw
files, without the loader.

A row may have several right answers (a REVIEW naming the right codes, or the switch itself,
or NO_CODE_YET for a product CMS has not coded): `Case.right` lists every one the CMS files
allow. Anything else is a defect; a switch to a code outside `right` is the worst kind.

Groups (the test id starts with the group):
- ndc-vs-name: the NDC's code is another product than the one the name identifies;
- route: the row's route (or its "pen", "INJ") contradicts the only code's descriptor;
- iv-brand-sc: an IV brand with "SC": the subcutaneous product has its own code (or none);
- insulin: the crosswalk lists insulin NDCs only under J1817 (insulin *pump*, per 50 units);
- brand-biosimilar: "<reference brand> biosimilar" is not the reference ("excludes biosimilar");
- spaced-suffix: an FDA suffix CMS does not know, after a space, is still a suffix;
- brand-part / brand-typo / brand-note: brands as lists write them (part, typo, notes);
- salt / strength / human: words that identify the product or must not pull in others;
- reading: cells a PM export writes (modifiers, status words, two NDCs in a cell...);
- holds: hard rows the matcher already gets right (kept so a fix does not break them).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Iterable

import pytest

from crosswalk import match
from crosswalk.settings import Settings
from crosswalk.quarters import Quarter
from test_match_real_lists import (KEEP, NEW, NONE, NO_CODE, PAST, REVIEW, SWITCHES, Answer,
                                   alerts_by_row, candidate_set, cms_codes,
                                   crosswalk_codes_by_ndc, crosswalk_rows, keep,
                                   office_descriptors, problems_with, switch)

pytestmark = pytest.mark.real_samples

D = date
HEADER = ["Drug Name", "Brand", "NDC", "HCPCS", "Site of Service", "Route", "Payer", "Notes",
          "Active", "keep_code"]


@dataclass(frozen=True)
class ReviewOf:
    """A REVIEW that lists every code of `must`; `may` bounds the other codes it may list
    (None: any other code is tolerated, the row only has to be sent to review)."""

    must: frozenset[str]
    may: frozenset[str] | None = frozenset()

    def problems(self, alert: dict[str, Any]) -> list[str]:
        found = candidate_set(alert)
        wrong = []
        if alert["verdict"] != REVIEW:
            wrong.append(f"verdict {alert['verdict']} {alert['new_code'] or ''}, expected "
                         f"REVIEW listing {sorted(self.must)}")
        if alert["new_code"] is not None:
            wrong.append(f"a REVIEW names new code {alert['new_code']}")
        if self.must - found:
            wrong.append(f"REVIEW candidates {sorted(found)} miss {sorted(self.must - found)}")
        if self.may is not None and found - self.must - self.may:
            wrong.append(f"REVIEW lists codes of other products: "
                         f"{sorted(found - self.must - self.may)}")
        return wrong


def review_of(*codes: str, may: Iterable[str] = ()) -> ReviewOf:
    """REVIEW listing exactly `codes` (plus any of `may`)."""
    return ReviewOf(frozenset(codes), frozenset(may))


def review_naming(*codes: str) -> ReviewOf:
    """REVIEW listing at least `codes`; other candidates are tolerated."""
    return ReviewOf(frozenset(codes), None)


def review_within(*codes: str) -> ReviewOf:
    """REVIEW listing only codes among `codes` (none of them required)."""
    return ReviewOf(frozenset(), frozenset(codes))


Right = Answer | ReviewOf


@dataclass(frozen=True)
class Case:
    """One list row and every answer the CMS files allow for it."""

    id: str
    drug: str
    right: tuple[Right, ...]
    brand: str = ""
    ndc: str = ""
    current: str = "J3590"
    setting: str = ""
    route: str = ""
    payer: str = ""
    notes: str = ""
    active: str = ""
    keep_code: str = ""
    inactive: bool = False  # the Active cell says the drug is no longer used

    def cells(self) -> list[str]:
        return [self.drug, self.brand, self.ndc, self.current, self.setting, self.route,
                self.payer, self.notes, self.active, self.keep_code]


def one_of(*answers: Right) -> tuple[Right, ...]:
    return answers


def problems(alert: dict[str, Any] | str | None, case: Case) -> list[str]:
    """Empty when the row got one of its right answers; else why not (the first answer's
    reasons, and a plain "WRONG SWITCH" line when the matcher switched elsewhere)."""
    if not isinstance(alert, dict):
        return [f"the row got no verdict: {alert or 'dropped without a word'}"]
    reasons = [answer.problems(alert) if isinstance(answer, ReviewOf)
               else problems_with(alert, answer) for answer in case.right]
    if any(not why for why in reasons):
        wrong: list[str] = []
    else:
        wrong = reasons[0]
        allowed = {a.code for a in case.right if isinstance(a, Answer) and a.code}
        if alert["verdict"] in SWITCHES + (KEEP,) and alert["new_code"] \
                and alert["new_code"] not in allowed:
            wrong = [f"WRONG SWITCH: {alert['verdict']} {alert['new_code']} from "
                     f"{alert.get('effective_date')}; right: {describe(case.right)}"] + wrong
    if case.inactive and alert.get("active") is not False:
        wrong.append("the Active cell says the drug is no longer used; it is counted as active")
    return wrong


def describe(right: Iterable[Right]) -> str:
    parts = []
    for answer in right:
        if isinstance(answer, ReviewOf):
            parts.append(f"REVIEW with {sorted(answer.must)}" if answer.must
                         else f"REVIEW within {sorted(answer.may or ())}")
        elif answer.verdict == NONE:
            parts.append("NO_CODE_YET")
        else:
            parts.append(f"{answer.verdict} {answer.code}")
    return " or ".join(parts)


# ---------------------------------------------------------------------------------------------
# The rows. Dates are ANWEB ADD DT (else ACT EFF DT); the run quarter is 2025Q4.
# ---------------------------------------------------------------------------------------------

# Trastuzumab / pegfilgrastim / infliximab / denosumab biosimilar codes (ANWEB, all live):
# Q5112 -dttb, Q5113 -pkrb, Q5114 -dkst (20190701), Q5116 -qyyp, Q5117 -anns (20191001),
# Q5146 -strf (20250101); Q5108 -jmdb, Q5111 -cbqv, Q5120 -bmez, Q5122 -apgf, Q5127 -fpgk,
# Q5130 -pbbk; Q5103 -dyyb, Q5104 -abda, Q5109 -qbtx, Q5121 -axxq; Q5136 -bbdz,
# Q5157 -bmwo, Q5158 -bnht, Q5159 -dssb.
TRASTUZUMAB_BIOSIMILARS = ("Q5112", "Q5113", "Q5114", "Q5116", "Q5117", "Q5146")
PEGFILGRASTIM_BIOSIMILARS = ("Q5108", "Q5111", "Q5120", "Q5122", "Q5127", "Q5130")
INFLIXIMAB_BIOSIMILARS = ("Q5103", "Q5104", "Q5109", "Q5121")
DENOSUMAB_BIOSIMILARS = ("Q5136", "Q5157", "Q5158", "Q5159")
# rituximab: J9311 and hyaluronidase, J9312, Q5115 -abbs, Q5119 -pvvr, Q5123 -arrx
RITUXIMAB = review_of("J9311", "J9312", "Q5115", "Q5119", "Q5123")
# insulin: J1815 "Injection, insulin, per 5 units" (20030101) is the office code; J1817
# "Insulin for administration through dme (i.e., insulin pump) per 50 units" is the pump
# code, and the crosswalks list Humulin R/N, Humalog (KwikPen), Novolog, "Insulin Lispro" and
# "insulin aspart" NDCs only under J1817 (J1815 has no crosswalk row).
INSULIN_INJECTED = one_of(switch("J1815", D(2003, 1, 1)), review_naming("J1815"))

CASES: list[Case] = [
    # --- ndc-vs-name: the NDC's code is another product than the name's -----------------------
    # The list keeps the reference product's NDC after the practice moved to a biosimilar CMS
    # has not coded (or a sort of one column scrambled the NDCs): the name has an FDA suffix no
    # CMS code carries, so the NDC cannot settle it: REVIEW (conflict) or NO_CODE_YET, never
    # the reference's code. 57894-0060-03 Stelara -> J3357 (Jan 2025 crosswalk); no
    # ustekinumab-hmny code in ANWEB.
    Case("ndc-vs-name/starjemza-with-stelara-ndc", "ustekinumab-hmny (Starjemza) 45mg/0.5mL",
         one_of(NO_CODE, review_naming("J3357")), ndc="57894-0060-03"),
    # 55513-0710-01 Prolia -> J0897; no denosumab-nxxp code (denosumab: J0897, Q5136, Q5157,
    # Q5158, Q5159)
    Case("ndc-vs-name/bildyos-with-prolia-ndc", "Bildyos (denosumab-nxxp) 60 mg/mL PFS",
         one_of(NO_CODE, review_naming("J0897")), ndc="55513-0710-01"),
    # 50242-0060-01 Avastin -> J9035; no bevacizumab-nwgd code (bevacizumab: J9035, Q5107,
    # Q5118, Q5126, Q5129, C9257)
    Case("ndc-vs-name/jobevne-with-avastin-ndc", "bevacizumab-nwgd (Jobevne) 400 mg/16 mL",
         one_of(NO_CODE, review_naming("J9035")), ndc="50242-0060-01", current="J9999"),
    # another molecule altogether: 55513-0224-01 Riabni -> Q5123 (rituximab-arrx); no
    # garadacimab anywhere in CMS
    Case("ndc-vs-name/garadacimab-with-riabni-ndc", "Andembry (garadacimab-gxii) 200mg",
         one_of(NO_CODE, review_naming("Q5123")), ndc="55513-0224-01"),
    # 61314-0866-01 Ziextenzo -> Q5120 (pegfilgrastim-bmez); no linvoseltamab in CMS
    Case("ndc-vs-name/linvoseltamab-with-ziextenzo-ndc", "linvoseltamab-gcpt 200mg/10mL",
         one_of(NO_CODE, review_naming("Q5120")), ndc="61314-0866-01", current="J9999"),
    # holds: a name CMS knows against another product's NDC is a conflict.
    # 00003-3772-11 Opdivo -> J9299; Keytruda -> J9271
    Case("holds/keytruda-with-opdivo-ndc", "Keytruda 100mg/4mL",
         one_of(review_of("J9271", "J9299")), ndc="00003-3772-11", current="J9999"),

    # --- route: the row's route contradicts the only code's descriptor -----------------------
    # J3380 "Injection, vedolizumab, intravenous, 1 mg" (20160101); crosswalk Entyvio
    # 64764-0300-20 (the IV vial) -> J3380. The SC pen (Entyvio Pen, self-administered) has no
    # code: NO_CODE_YET, or REVIEW naming J3380 so a person decides.
    Case("route/vedolizumab-sc-pen", "vedolizumab 108 mg/0.68 mL pen SC",
         one_of(NO_CODE, review_naming("J3380"))),
    Case("route/entyvio-route-column-sc", "Entyvio 108 mg", one_of(NO_CODE,
                                                                   review_naming("J3380")),
         route="subcutaneous"),
    # J1602 "Injection, golimumab, 1 mg, for intravenous use" (20140101); crosswalk only
    # Simponi Aria (57894-0350-01). Simponi SC (autoinjector) has no code.
    Case("route/golimumab-sc-autoinjector", "golimumab 50 mg/0.5 mL SC autoinjector",
         one_of(NO_CODE, review_naming("J1602"))),
    # J3247 "Injection, secukinumab, intravenous, 1 mg" (20240701); crosswalk Cosentyx
    # 00078-1168-61 is the IV vial. The Sensoready pen is subcutaneous.
    Case("route/secukinumab-sc", "secukinumab 150 mg/mL SC",
         one_of(NO_CODE, review_naming("J3247"))),
    Case("route/cosentyx-pen", "Cosentyx 150 mg/mL pen",
         one_of(NO_CODE, review_naming("J3247"))),
    # J2327 "Injection, risankizumab-rzaa, intravenous, 1 mg" (20230101); crosswalk Skyrizi
    # 00074-5015-01 (the IV vial)
    Case("route/risankizumab-route-column-sc", "risankizumab-rzaa 150 mg/mL",
         one_of(NO_CODE, review_naming("J2327")), route="SC"),
    Case("route/skyrizi-pen-sc", "Skyrizi 150 mg/mL pen SC",
         one_of(NO_CODE, review_naming("J2327"))),
    # J1105 "Dexmedetomidine, oral, 1 mcg" (20240101, the Igalmi film) is the only
    # dexmedetomidine code; IV dexmedetomidine (Precedex and generics) has none.
    Case("route/dexmedetomidine-inj", "INJ, DEXMEDETOMIDINE HCL 200MCG/2ML",
         one_of(NO_CODE, review_naming("J1105")), current="J3490"),
    Case("route/dexmedetomidine-iv-premix", "dexmedetomidine 400 mcg/100 mL IV premix",
         one_of(NO_CODE, review_naming("J1105")), current="J3490"),
    # A9153 "Multiple vitamins, with or without minerals and trace elements, oral, per dose,
    # not otherwise specified" (20050101): IV multivitamins are not it.
    Case("route/multivitamin-iv", "Multiple vitamins IV 10 mL",
         one_of(NO_CODE, review_naming("A9153")), current="J3490"),
    # holds: the same row without a contradicting route is sent to review
    Case("holds/multivitamin-infuvite", "Infuvite Adult multiple vitamins injection",
         one_of(NO_CODE, review_naming("A9153")), current="J3490"),

    # --- iv-brand-sc: the subcutaneous product of an IV brand has its own code -------------------
    # Darzalex 57894-0502/-0505 -> J9145 daratumumab (IV, 20170101); Darzalex Faspro
    # 57894-0503-01 -> J9144 daratumumab and hyaluronidase-fihj (SC, 20210101)
    Case("iv-brand-sc/darzalex-sc", "Darzalex SC",
         one_of(switch("J9144", D(2021, 1, 1)), review_naming("J9144")), current="J9999"),
    Case("iv-brand-sc/darzalex-sq-strength", "Darzalex SQ 1800mg/15mL",
         one_of(switch("J9144", D(2021, 1, 1)), review_naming("J9144")), current="J9999"),
    Case("iv-brand-sc/darzalex-sc-hopd", "Darzalex SC 1800 mg",
         one_of(switch("J9144", D(2021, 1, 1)), review_naming("J9144")), current="C9399",
         setting="HOPD"),
    # Vyvgart 73475-3041-05 -> J9332 efgartigimod alfa-fcab (IV, 20220701); Vyvgart Hytrulo
    # -> J9334 efgartigimod alfa and hyaluronidase-qvfc (SC, 20240101)
    Case("iv-brand-sc/vyvgart-sc", "Vyvgart SC",
         one_of(switch("J9334", D(2024, 1, 1)), review_naming("J9334"))),
    # Herceptin -> J9355 (IV); Herceptin Hylecta 50242-0077-01 -> J9356 (SC, 20190701)
    Case("iv-brand-sc/herceptin-subq", "Herceptin SubQ",
         one_of(switch("J9356", D(2019, 7, 1)), review_naming("J9356")), current="J9999"),
    # Rituxan -> J9312; Rituxan Hycela -> J9311 rituximab and hyaluronidase (20190101)
    Case("iv-brand-sc/rituxan-sc", "Rituxan SC",
         one_of(switch("J9311", D(2019, 1, 1)), review_naming("J9311")), current="J9999"),
    # Opdivo -> J9299; Opdivo Qvantig 00003-6120-01 -> J9289 (20250701)
    Case("iv-brand-sc/opdivo-sc", "Opdivo SC",
         one_of(switch("J9289", D(2025, 7, 1)), review_naming("J9289")), current="J9999"),
    # Ocrevus -> J2350; Ocrevus Zunovo 50242-0554-01 -> J2351 (20250401)
    Case("iv-brand-sc/ocrevus-sc", "Ocrevus SC",
         one_of(switch("J2351", D(2025, 4, 1)), review_naming("J2351"))),
    # Tecentriq -> J9022; Tecentriq Hybreza 50242-0933-01 -> J9024 (20250401)
    Case("iv-brand-sc/tecentriq-sc", "Tecentriq SC",
         one_of(switch("J9024", D(2025, 4, 1)), review_naming("J9024")), current="J9999"),
    # Keytruda -> J9271 pembrolizumab (IV); the SC Keytruda (Keytruda Qlex, pembrolizumab and
    # berahyaluronidase alfa) has no code in ANWEB or either crosswalk
    Case("iv-brand-sc/keytruda-sc", "Keytruda SC",
         one_of(NO_CODE, review_naming("J9271")), current="J9999"),
    # holds: the generic with SC is sent to review (J9144, J9145 both carry daratumumab)
    Case("holds/daratumumab-sc", "daratumumab 1800 mg SC",
         one_of(switch("J9144", D(2021, 1, 1)), review_of("J9144", "J9145")), current="J9999"),
    Case("holds/darzalex-faspro", "Darzalex Faspro 1800 mg/15 mL",
         one_of(switch("J9144", D(2021, 1, 1))), current="J9999"),
    Case("holds/simponi-aria", "Simponi Aria 50mg/4mL", one_of(switch("J1602", D(2014, 1, 1)))),
    Case("holds/simponi-sc-pen", "Simponi 50 mg pen", one_of(NO_CODE, review_naming("J1602"))),
    # Stelara -> J3357 (SC, Jan 2025 crosswalk) and J3358 (IV, 20180101)
    Case("holds/stelara-no-route", "Stelara 45 mg/0.5 mL", one_of(review_of("J3357", "J3358"))),
    Case("holds/stelara-iv", "Stelara 130 mg/26 mL IV", one_of(switch("J3358", D(2018, 1, 1)))),
    # Q5137 ustekinumab-auub (wezlana), biosimilar, subcutaneous (20240701); Q5138 the IV one
    Case("holds/ustekinumab-auub-route-column", "ustekinumab-auub 45 mg/0.5 mL",
         one_of(switch("Q5137", D(2024, 7, 1))), route="SC"),

    # --- insulin: the office injects insulin (J1815), it does not fill a pump (J1817) -----------
    Case("insulin/humulin-r-vial", "Humulin R 100 units/mL vial", INSULIN_INJECTED),
    Case("insulin/humalog-kwikpen", "Humalog KwikPen 100 units/mL", INSULIN_INJECTED),
    Case("insulin/novolog-vial", "Novolog 100 units/mL vial", INSULIN_INJECTED),
    Case("insulin/insulin-lispro", "insulin lispro", INSULIN_INJECTED),
    Case("insulin/insulin-aspart", "insulin aspart 100 units/mL", INSULIN_INJECTED),
    # a payer rule keeps J3490; the row must still name the code that applies, J1815
    Case("insulin/payer-rule-humulin-n", "Humulin N", one_of(keep("J1815")), current="J3490",
         payer="State Medicaid", keep_code="yes", notes="Medicaid requires J3490 for insulin"),

    # --- brand-biosimilar: "<reference brand> biosimilar" is one of the biosimilars ----------
    # J9355 "Injection, trastuzumab, excludes biosimilar, 10 mg" (crosswalk Herceptin)
    Case("brand-biosimilar/herceptin", "Herceptin biosimilar",
         one_of(review_naming(*TRASTUZUMAB_BIOSIMILARS)), current="J9999"),
    # J2506 "Injection, pegfilgrastim, excludes biosimilar, 0.5 mg" (crosswalk Neulasta)
    Case("brand-biosimilar/neulasta", "Neulasta biosimilar 6mg",
         one_of(review_naming(*PEGFILGRASTIM_BIOSIMILARS))),
    # J1745 "Injection, infliximab, excludes biosimilar, 10 mg" (crosswalk Remicade)
    Case("brand-biosimilar/remicade", "Remicade biosimilar",
         one_of(review_naming(*INFLIXIMAB_BIOSIMILARS))),
    # J0897 denosumab (crosswalk Prolia, Xgeva); the biosimilars have their own Q codes
    Case("brand-biosimilar/prolia", "Prolia biosimilar 60 mg",
         one_of(review_naming(*DENOSUMAB_BIOSIMILARS))),

    # --- spaced-suffix: an unknown 4-letter suffix after a space is still a suffix -----------
    # The dash spelling "teclistamab-cqyy" is REVIEW (one letter from J9380's -cqyv): the
    # space spelling must not become "suffix missing" and switch. J9380 teclistamab-cqyv
    # 20230701; J9350 mosunetuzumab-axgb 20230701; J0174 lecanemab-irmb 20230706.
    Case("spaced-suffix/teclistamab-typo", "teclistamab cqyy",
         one_of(NO_CODE, review_naming("J9380")), current="J9999"),
    Case("spaced-suffix/mosunetuzumab-typo", "mosunetuzumab axgc",
         one_of(NO_CODE, review_naming("J9350")), current="J9999"),
    Case("spaced-suffix/lecanemab-typo", "lecanemab irmp 500mg/5mL",
         one_of(NO_CODE, review_naming("J0174"))),
    # a new biosimilar of a one-code reference: J1602 golimumab (no suffix) is the only
    # golimumab code; "bpzx" is no CMS suffix. Issue 10: never the reference product's code.
    Case("spaced-suffix/uncoded-golimumab-biosimilar", "golimumab bpzx 50 mg/4 mL",
         one_of(NO_CODE, review_naming("J1602"))),
    # holds: a known suffix after an underscore or in parentheses.
    # Q5154 omalizumab-igec (omlyclo) 20251001; J2329 ublituximab-xiiy 20230701
    Case("holds/underscore-suffix", "omalizumab_igec", one_of(switch("Q5154", D(2025, 10, 1)))),
    Case("holds/parenthesised-suffix", "Omalizumab (IGEC) 150 mg",
         one_of(switch("Q5154", D(2025, 10, 1)))),
    Case("holds/underscore-suffix-xiiy", "ublituximab_xiiy", one_of(switch("J2329",
                                                                           D(2023, 7, 1)))),
    # holds: suffixes CMS has not coded, with a dash: J9306/J9316 pertuzumab; adalimumab-atto
    # (J0139, Q5140-Q5145 carry other suffixes); bevacizumab-nwgd
    Case("holds/pertuzumab-dpzb", "pertuzumab-dpzb (Poherdy)", one_of(NO_CODE)),
    Case("holds/pertuzumab-dpzb-space", "pertuzumab dpzb (Poherdy) 420 mg",
         one_of(NO_CODE, review_naming("J9306"))),
    Case("holds/amjevita", "Amjevita (adalimumab-atto) 40mg/0.8mL", one_of(NO_CODE)),
    Case("holds/jobevne-no-ndc", "bevacizumab-nwgd (Jobevne)", one_of(NO_CODE),
         current="J9999"),
    # Q5142 adalimumab-ryvk 20250101
    Case("holds/adalimumab-ryvk", "adalimumab-ryvk", one_of(switch("Q5142", D(2025, 1, 1)))),

    # --- brand-part: a brand that is the first word of CMS's only brand names ----------------
    # J0401 aripiprazole (abilify maintena) 20140101, J0402 (abilify asimtufii) 20240101;
    # crosswalk "Abilify Maintena", "Abilify Asimtufii". "Abilify" alone is one of them:
    # REVIEW, not "no permanent code" (a 400 mg dose is Maintena).
    Case("brand-part/abilify", "Abilify 400 mg",
         one_of(review_of("J0401", "J0402"), switch("J0401", D(2014, 1, 1)))),
    # J2426 (invega sustenna) 20110101, J2427 (invega hafyera, or invega trinza) 20230701;
    # 234 mg is a Sustenna dose
    Case("brand-part/invega", "Invega 234 mg",
         one_of(review_of("J2426", "J2427"), switch("J2426", D(2011, 1, 1)))),
    # J7198 "Anti-inhibitor, per i.u." 20000101; crosswalk "Feiba NF" 64193-0424-02 etc.
    Case("brand-part/feiba", "Feiba 1000 units",
         one_of(switch("J7198", D(2000, 1, 1)), review_of("J7198"))),
    # holds: a presentation name beside the brand may be a new product to the matcher
    # ("Keytruda Qlex"): REVIEW naming the code is right too. Crosswalk Neulasta
    # 55513-0192-01 (the Onpro kit NDC) -> J2506 20220101; J1612 "Injection, glucagon
    # (gvoke), 0.01 mg" 20251001
    Case("holds/neulasta-onpro", "Neulasta Onpro kit",
         one_of(switch("J2506", D(2022, 1, 1)), review_of("J2506"))),
    Case("holds/gvoke-hypopen", "Gvoke HypoPen 1 mg",
         one_of(switch("J1612", D(2025, 10, 1)), review_of("J1612")), current="J3490"),
    # holds: the full brand names. J0401; J1943 (aristada initio) 20191001; J9217 Eligard;
    # Lupron Depot -> J1950 and J9217; Feiba NF -> J7198; J2353 Sandostatin LAR Depot
    Case("holds/abilify-maintena", "Abilify Maintena 400 mg",
         one_of(switch("J0401", D(2014, 1, 1)))),
    Case("holds/aristada-initio", "Aristada Initio 675 mg",
         one_of(switch("J1943", D(2019, 10, 1)))),
    Case("holds/eligard", "Eligard 22.5 mg", one_of(switch("J9217", D(1991, 1, 1)))),
    Case("holds/lupron-depot", "Lupron Depot 7.5 mg", one_of(review_of("J1950", "J9217"))),
    Case("holds/feiba-nf", "Feiba NF 1000 units", one_of(switch("J7198", D(2000, 1, 1)))),
    Case("holds/sandostatin-lar", "Sandostatin LAR Depot 30 mg",
         one_of(switch("J2353", D(2004, 1, 1)))),
    # J2353 octreotide depot, J2354 octreotide non-depot (Sandostatin)
    Case("holds/octreotide-bare", "octreotide 100 mcg/mL", one_of(review_of("J2353", "J2354"))),

    # --- brand-typo: a misspelt brand is a spelling to confirm, not "no permanent code" ---------
    # Keytruda -> J9271 (20160101); Opdivo -> J9299; Ruxience -> Q5119 (20200701)
    Case("brand-typo/keytrudda", "Keytrudda 100mg/4mL", one_of(review_naming("J9271")),
         current="J9999"),
    Case("brand-typo/opdivio", "Opdivio 240mg", one_of(review_naming("J9299")),
         current="J9999"),
    Case("brand-typo/ruxiance", "Ruxiance 500 mg", one_of(review_naming("Q5119"))),

    # --- brand-note: notes, manufacturers and codes typed beside a brand --------------------
    Case("brand-note/pa-required", "Keytruda *PA req*", one_of(switch("J9271", D(2016, 1, 1))),
         current="J9999"),
    Case("brand-note/office-only", "Keytruda 100mg/4mL (office only)",
         one_of(switch("J9271", D(2016, 1, 1))), current="J9999"),
    Case("brand-note/do-not-use", "Ruxience - do not use",
         one_of(switch("Q5119", D(2020, 7, 1)))),
    # Riabni 55513-0224-01 (labeler Amgen) -> Q5123 20210701
    Case("brand-note/manufacturer", "Riabni (Amgen)", one_of(switch("Q5123", D(2021, 7, 1)))),
    Case("brand-note/manufacturer-caps", "RIABNI 100MG/10ML VL (AMGEN)",
         one_of(switch("Q5123", D(2021, 7, 1)))),
    # Truxima 63459-0103-10 (labeler Cephalon, LLC: Teva) -> Q5115 20190701; "teva" is also
    # the manufacturer in four other descriptors (J1456, J9258, J9314, J9393)
    Case("brand-note/manufacturer-teva", "Truxima (Teva)",
         one_of(switch("Q5115", D(2019, 7, 1)))),
    Case("brand-note/code-in-name", "J9999 Truxima 500mg",
         one_of(switch("Q5115", D(2019, 7, 1))), current="J9999"),
    Case("brand-note/ndc-in-name", "Riabni 100mg/10mL NDC 55513-0224-01",
         one_of(switch("Q5123", D(2021, 7, 1)))),
    # holds: the generic with the same notes
    Case("holds/generic-ndc-in-name", "rituximab-arrx NDC 55513-0224-01",
         one_of(switch("Q5123", D(2021, 7, 1)))),
    Case("holds/pm-export-caps", "INJ RITUXIMAB-ARRX 10MG/ML (RIABNI) 50ML SDV",
         one_of(switch("Q5123", D(2021, 7, 1)))),
    Case("holds/spaced-suffix-with-brand", "rituximab arrx (Riabni)",
         one_of(switch("Q5123", D(2021, 7, 1)))),

    # --- salt / strength / human: words that identify a product or pull in others ----------
    # J1010 methylprednisolone acetate 1 mg (20240401), J2919 methylprednisolone sodium
    # succinate 5 mg (20240401), J7509 methylprednisolone oral: the salt names the product.
    Case("salt/methylprednisolone-acetate", "Methylprednisolone acetate 40 mg/mL",
         one_of(switch("J1010", D(2024, 4, 1)))),
    Case("salt/methylprednisolone-succinate", "Methylprednisolone sodium succinate 125 mg",
         one_of(switch("J2919", D(2024, 4, 1)))),
    # J1100 "Injection, dexamethasone sodium phosphate, 1 mg" (19820101) is the only
    # dexamethasone sodium phosphate code (J8540/J8541 oral, J7312 implant, J1095 9%
    # intraocular, J1096 insert, J7637/J7638 inhalation)
    Case("salt/dexamethasone-sodium-phosphate", "Dexamethasone sodium phosphate 4 mg/mL",
         one_of(switch("J1100", D(1982, 1, 1))), current="J3490"),
    # J9214 "Injection, interferon, alfa-2b, recombinant, 1 million units" (19930101): the
    # only interferon alfa-2b code
    Case("strength/interferon-alfa-2b", "interferon alfa-2b",
         one_of(switch("J9214", D(1993, 1, 1))), current="J9999"),
    # crosswalk Bicillin L-A -> J0561 penicillin g benzathine, 100,000 units (20110101)
    Case("strength/million-units", "Bicillin L-A 1.2 million units",
         one_of(switch("J0561", D(2011, 1, 1))), current="J3490"),
    # crosswalk Vitrase -> J3471 (20060101) only; J3472 is ovine per 1000 units
    Case("strength/usp-units", "Vitrase 200 USP units/mL",
         one_of(switch("J3471", D(2006, 1, 1)), review_of("J3471", "J3472"))),
    # "peg-filgrastim" is pegfilgrastim, never filgrastim (J1442, Q5101, Q5110, Q5125, Q5148)
    Case("salt/peg-filgrastim", "Peg-filgrastim 6 mg/0.6 mL",
         one_of(review_of("J2506", *PEGFILGRASTIM_BIOSIMILARS))),
    Case("salt/peg-filgrastim-bmez", "PEG filgrastim bmez",
         one_of(switch("Q5120", D(2020, 7, 1)), review_naming("Q5120"))),
    # FDA names say "(human)": 17 descriptors carry "(human)" for other products. Privigen
    # -> J1459 (20090101); Hizentra J1559 (20110101); Rituxan Hycela -> J9311 (20190101);
    # Hylenex -> J3473 hyaluronidase, recombinant (20070101); Cinryze -> J0598 (20100101)
    Case("human/privigen", "Privigen (immune globulin intravenous, human) 10% liquid",
         one_of(switch("J1459", D(2009, 1, 1)))),
    Case("human/hizentra", "Hizentra (immune globulin subcutaneous [human]) 20%",
         one_of(switch("J1559", D(2011, 1, 1)))),
    Case("human/rituxan-hycela", "Rituxan Hycela (rituximab and hyaluronidase human)",
         one_of(switch("J9311", D(2019, 1, 1))), current="J9999"),
    Case("human/hylenex-label-name",
         "Hylenex recombinant (hyaluronidase human injection) 150 USP units/mL",
         one_of(switch("J3473", D(2007, 1, 1)))),
    Case("human/cinryze", "Cinryze (C1 esterase inhibitor [human]) 500 units",
         one_of(switch("J0598", D(2010, 1, 1)))),
    # manufacturer names that are also other descriptors' parentheses: gemcitabine is J9201
    # (NOS, 19980101), J9196 (accord), J9198 (infugem); heparin J1644 (per 1000 units),
    # J1643 (pfizer), J1642 (lock flush), J0911 (taurolidine and heparin lock)
    Case("human/gemcitabine-hospira", "Gemcitabine HCl 1 g vial (Hospira)",
         one_of(switch("J9201", D(1998, 1, 1)), review_within("J9196", "J9198", "J9201")),
         current="J9999"),
    Case("human/heparin-fresenius", "Heparin sodium 1,000 units/mL (Fresenius Kabi)",
         one_of(switch("J1644", D(1995, 1, 1)),
                review_within("J0911", "J1642", "J1643", "J1644")), current="J3490"),
    # single letters from "(e.g., ...)", "rho(d)" and "type" (VAD supplies Q0478...) are no
    # drug: vitamin E / D have no code (A9152 is the oral single-vitamin code); albumin is
    # P9041-P9047 (not drug codes the matcher reads); botulinum toxins are J0585, J0586,
    # J0588, J0589; Depo-Provera is J1050 medroxyprogesterone acetate (no crosswalk row)
    Case("human/vitamin-e", "Vitamin E 400 IU", one_of(NO_CODE, review_within("A9152")),
         current="J3490"),
    Case("human/vitamin-d", "Vitamin D 50,000 units", one_of(NO_CODE, review_within("A9152")),
         current="J3490"),
    Case("human/albumin", "Albumin (Human) 25% 50 mL",
         one_of(NO_CODE, review_within("P9041", "P9045", "P9046", "P9047")), current="J3490"),
    Case("human/botulinum-toxin-type-a", "botulinum toxin type A 100 units",
         one_of(NO_CODE, review_within("J0585", "J0586", "J0588", "J0589")), current="J3490"),
    Case("human/depo-provera", "Depo-Provera CI 150 mg/mL",
         one_of(NO_CODE, review_within("J1050")), current="J3490"),
    # A9156 "Oral mucoadhesive, any type (liquid, gel, paste, etc.)": ultrasound gel is not one
    Case("human/ultrasound-gel", "Ultrasound gel", one_of(NO_CODE, review_naming("A9156")),
         current="J3490"),
    # holds: Kcentra J7168 (20210701), Balfaxar J7165 human-lans (20240401), RhoGAM J2790
    # (19860101), Berinert J0597 (20110101), Hylenex J3473, Amphadase J3470 (19820101)
    Case("holds/kcentra", "Kcentra (prothrombin complex concentrate, human) 500 units",
         one_of(switch("J7168", D(2021, 7, 1)))),
    Case("holds/balfaxar", "Balfaxar (prothrombin complex concentrate, human-lans)",
         one_of(switch("J7165", D(2024, 4, 1)))),
    Case("holds/pcc-bare", "prothrombin complex concentrate",
         one_of(review_of("J7165", "J7168"))),
    Case("holds/rhogam", "RhoGAM 300 mcg", one_of(switch("J2790", D(1986, 1, 1)))),
    Case("holds/berinert", "Berinert 500 units", one_of(switch("J0597", D(2011, 1, 1)))),
    Case("holds/hylenex", "Hylenex 150 units/mL", one_of(switch("J3473", D(2007, 1, 1)))),
    Case("holds/amphadase", "Amphadase 150 units/mL", one_of(switch("J3470", D(1982, 1, 1)))),
    # holds: salts that are the drug, and brands of salts. J3480 potassium chloride
    # (19960101), J3475 magnesium sulfate (19960101), J0618 calcium chloride (20250701),
    # J2916 sodium ferric gluconate (Ferrlecit, 20030101), J1756 iron sucrose (Venofer,
    # 20030101), J1010 Depo-Medrol, J2919 Solu-Medrol, J1050 medroxyprogesterone acetate
    # (20130101), J1642 heparin lock flush (19950101), J1643 heparin (pfizer) (20230101)
    Case("holds/potassium-chloride", "Potassium chloride 20 mEq/100 mL",
         one_of(switch("J3480", D(1996, 1, 1))), current="J3490"),
    Case("holds/magnesium-sulfate", "Magnesium sulfate 50% 2 mL",
         one_of(switch("J3475", D(1996, 1, 1))), current="J3490"),
    Case("holds/calcium-chloride", "Calcium chloride 10%", one_of(switch("J0618",
                                                                         D(2025, 7, 1))),
         current="J3490"),
    Case("holds/ferrlecit", "sodium ferric gluconate complex in sucrose (Ferrlecit)",
         one_of(switch("J2916", D(2003, 1, 1))), current="J3490"),
    Case("holds/venofer", "iron sucrose (Venofer) 20 mg/mL",
         one_of(switch("J1756", D(2003, 1, 1))), current="J3490"),
    Case("holds/depo-medrol", "Depo-Medrol 40 mg/mL", one_of(switch("J1010", D(2024, 4, 1))),
         current="J3490"),
    Case("holds/solu-medrol", "Solu-Medrol 125 mg", one_of(switch("J2919", D(2024, 4, 1))),
         current="J3490"),
    Case("holds/medroxyprogesterone", "medroxyprogesterone acetate 150 mg/mL",
         one_of(switch("J1050", D(2013, 1, 1))), current="J3490"),
    Case("holds/heparin-lock-flush", "heparin lock flush 100 units/mL",
         one_of(switch("J1642", D(1995, 1, 1))), current="J3490"),
    # J1643 "heparin sodium (pfizer), not therapeutically equivalent to j1644" names Pfizer,
    # but the crosswalks list Pfizer Inc's heparin under J1643 (00069-0058-01 ...) and under
    # J1644 (34 NDCs: 00409-..., the Hospira-made vials): "(Pfizer)" names two products. The
    # first pass expected J1643 alone; the third pass (test_match_messy_lists3.py) found it a
    # wrong switch by the crosswalk's labelers.
    Case("holds/heparin-pfizer", "Heparin 1000 units/mL (Pfizer)",
         one_of(review_of("J1643", "J1644")), current="J3490"),

    # --- substring molecules: filgrastim / tbo- / peg-, epoetin / darbepoetin / Mircera ------
    # J1442 filgrastim excludes biosimilars (20140101), J1447 tbo-filgrastim (20160101, Granix)
    Case("holds/filgrastim-bare", "filgrastim",
         one_of(review_of("J1442", "Q5101", "Q5110", "Q5125", "Q5148", may=("J1447",)))),
    Case("holds/tbo-filgrastim", "tbo-filgrastim", one_of(switch("J1447", D(2016, 1, 1)))),
    Case("holds/granix", "Granix 480 mcg", one_of(switch("J1447", D(2016, 1, 1)))),
    Case("holds/neupogen", "Neupogen 300 mcg", one_of(switch("J1442", D(2014, 1, 1)))),
    # Aranesp -> J0881 (non-esrd, 20060101) and J0882 (for esrd on dialysis): the office
    # code is J0881 (rule 4); Mircera -> J0887 and J0888 (esrd / non esrd)
    Case("holds/aranesp", "Aranesp 40 mcg", one_of(switch("J0881", D(2006, 1, 1)),
                                                   review_of("J0881", "J0882"))),
    Case("holds/mircera", "Mircera (methoxy polyethylene glycol-epoetin beta)",
         one_of(review_of("J0887", "J0888"))),
    # J2323 natalizumab, Q5134 natalizumab-sztn
    Case("holds/natalizumab-bare", "natalizumab 300 mg/15 mL",
         one_of(review_of("J2323", "Q5134"))),

    # --- more holds on PM-style names -------------------------------------------------------
    Case("holds/eylea-hd", "Eylea HD 8 mg", one_of(switch("J0177", D(2024, 4, 1)))),
    Case("holds/zaltrap", "Zaltrap 100mg/4mL", one_of(switch("J9400", D(2014, 1, 1))),
         current="J9999"),
    Case("holds/advate", "Advate 1000 IU", one_of(switch("J7192", D(1994, 1, 1)))),
    Case("holds/hemlibra", "Hemlibra 150 mg/mL", one_of(switch("J7170", D(2019, 1, 1)))),
    Case("holds/novoseven", "NovoSeven RT 2 mg", one_of(switch("J7189", D(2006, 1, 1)))),
    Case("holds/kenalog-40", "Kenalog-40", one_of(switch("J3301", D(1991, 1, 1))),
         current="J3490"),
    Case("holds/triesence", "Triesence 40 mg/mL", one_of(switch("J3300", D(2009, 1, 1))),
         current="J3490"),
    Case("holds/zilretta", "Zilretta 32 mg", one_of(switch("J3304", D(2019, 1, 1))),
         current="J3490"),
    Case("holds/lovenox-pfs", "Lovenox 40 MG/0.4ML PFS", one_of(switch("J1650", D(1996, 1, 1))),
         current="J3490"),
    # J2405 ondansetron injection; Q0162 oral is "for use as a complete therapeutic
    # substitute for an iv anti-emetic" (rule 4)
    Case("holds/ondansetron-inj", "ondansetron 4 mg/2 mL",
         one_of(switch("J2405", D(1993, 1, 1)), review_of("J2405", "Q0162")), current="J3490"),
    Case("holds/injectafer", "Injectafer 750 mg/15 mL", one_of(switch("J1439", D(2015, 1, 1))),
         current="J3490"),
    # Feraheme -> Q0138 (non-esrd, 20100101) and Q0139 (esrd)
    Case("holds/feraheme", "Feraheme 510 mg/17 mL", one_of(switch("Q0138", D(2010, 1, 1)),
                                                           review_of("Q0138", "Q0139")),
         current="J3490"),
    Case("holds/khapzory", "Khapzory (levoleucovorin) 175 mg",
         one_of(switch("J0642", D(2019, 10, 1))), current="J9999"),
    # J0668 "Instillation, bupivacaine and meloxicam, 1 mg/0.03 mg" ADD 20251001
    Case("holds/zynrelef", "Zynrelef (bupivacaine and meloxicam)",
         one_of(switch("J0668", D(2025, 10, 1))), current="J3490"),
    Case("holds/exparel", "Exparel 266 mg/20 mL", one_of(switch("J0666", D(2025, 1, 1))),
         current="J3490"),
    Case("holds/xgeva", "Xgeva 120 mg/1.7 mL", one_of(switch("J0897", D(2012, 1, 1)))),
    # Q2035 influenza virus vaccine ... (afluria) 20110101; Fluzone High-Dose is not Q2038's
    # "(fluzone)" standard dose: never that switch
    Case("holds/afluria", "Afluria 2025-2026 0.5 mL", one_of(switch("Q2035", D(2011, 1, 1))),
         current="J3490"),
    Case("holds/fluzone-high-dose", "Fluzone High-Dose 2025-2026",
         one_of(NO_CODE, review_naming("Q2038")), current="J3490"),
    # Rule: a bare generic with several products; the rituximab set with NDCs that cannot be
    # used (scientific notation, a UPC): the name decides, REVIEW
    Case("holds/ndc-scientific", "rituximab 10 mg/mL", (RITUXIMAB,), ndc="5.5513E+10",
         current="J9999"),
    Case("holds/ndc-upc", "rituximab 100 mg", (RITUXIMAB,), ndc="355513224016",
         current="J9999"),
    # NDCs in label forms: 55513-224-01 (5-3-2), 5551322401 (10 digits, one reading in the
    # crosswalks), 55513-0224-1 (5-4-1), 55513 0224 01 (spaces) -> 55513-0224-01 Riabni Q5123
    Case("holds/ndc-5-3-2", "rituximab", one_of(switch("Q5123", D(2021, 7, 1))),
         ndc="55513-224-01", current="J9999"),
    Case("holds/ndc-10-digits", "rituximab 500mg", one_of(switch("Q5123", D(2021, 7, 1))),
         ndc="5551322401", current="J9999"),
    Case("holds/ndc-5-4-1", "rituximab 500 mg/50 mL", one_of(switch("Q5123", D(2021, 7, 1))),
         ndc="55513-0224-1", current="J9999"),
    Case("holds/ndc-spaces", "Riabni", one_of(switch("Q5123", D(2021, 7, 1))),
         ndc="55513 0224 01"),

    # --- reading: cells as PM exports write them ---------------------------------------------
    # JZ/JW are the required single-dose-container modifiers (since 2023): the code is J9999
    Case("reading/code-with-jz-modifier", "Riabni 500 mg/50 mL",
         one_of(switch("Q5123", D(2021, 7, 1))), current="J9999 JZ"),
    Case("reading/code-with-jw-modifier", "Truxima 100 mg/10 mL",
         one_of(switch("Q5115", D(2019, 7, 1))), current="J9999-JW"),
    # a status column says "Discontinued": an inactive drug, reported apart, not a lost row
    Case("reading/status-discontinued", "Ruxience 100 mg/10 mL",
         one_of(switch("Q5119", D(2020, 7, 1))), active="Discontinued", inactive=True),
    # Kanjinti 55513-0132-01 -> Q5117 (20191001); the site cell as a PM system prints it
    Case("reading/setting-office-pos-11", "Kanjinti 150 mg",
         one_of(switch("Q5117", D(2019, 10, 1))), setting="Office (POS 11)"),
    # two NDCs of one product in one cell (Ziextenzo 61314-0866-01 and -02 -> Q5120)
    Case("reading/two-ndcs-in-a-cell", "pegfilgrastim",
         one_of(switch("Q5120", D(2020, 7, 1))), ndc="61314-0866-01; 61314-0866-02"),
    # an NDC exported as a float by a database or pandas
    Case("reading/ndc-as-float-text", "pegfilgrastim 6 mg/0.6 mL",
         one_of(switch("Q5120", D(2020, 7, 1))), ndc="61314086601.0"),
    # an NDC cell with its label word
    Case("reading/ndc-with-label-word", "rituximab 100 mg/10 mL",
         one_of(switch("Q5123", D(2021, 7, 1))), ndc="NDC 55513-0224-01", current="J9999"),
]

BY_ID = {case.id: case for case in CASES}
# Rows the matcher cannot get right from CMS's files, each with the reason (docs/matching.md,
# "Known limits"). Kept as strict xfails: the day one passes, the test says so.
KNOWN_LIMITS = {
    "iv-brand-sc/keytruda-sc": (
        "an SC form CMS has not coded, named by the IV brand plus 'SC': J9271's descriptor "
        "states no route and CMS codes no subcutaneous pembrolizumab yet, so nothing in the "
        "CMS files tells Keytruda SC from Keytruda; SC on every route-silent code would send "
        "Prolia SC, Xolair SC or Eligard SC to review"),
}

# NDCs the rows cite -> the codes the Oct 2025 and Jan 2025 crosswalks give them
CITED_NDCS = {
    "57894-0060-03": {"J3357"}, "55513-0710-01": {"J0897"}, "50242-0060-01": {"J9035"},
    "55513-0224-01": {"Q5123"}, "61314-0866-01": {"Q5120"}, "61314-0866-02": {"Q5120"},
    "00003-3772-11": {"J9299"}, "64764-0300-20": {"J3380"}, "57894-0350-01": {"J1602"},
    "00078-1168-61": {"J3247"}, "00074-5015-01": {"J2327"}, "57894-0503-01": {"J9144"},
    "73475-3041-05": {"J9332"}, "50242-0077-01": {"J9356"}, "00003-6120-01": {"J9289"},
    "50242-0554-01": {"J2351"}, "50242-0933-01": {"J9024"}, "63459-0103-10": {"Q5115"},
    "55513-0132-01": {"Q5117"}, "55513-0192-01": {"J2506"}, "64193-0424-02": {"J7198"},
    "00002-8215-01": {"J1817"}, "00002-7737-01": {"J1817"}, "00169-7501-11": {"J1817"},
}
# brand (crosswalk Drug Name, lower case) -> its codes, as the comments cite them
CITED_BRANDS = {
    "stelara": {"J3357", "J3358"}, "entyvio": {"J3380"}, "skyrizi": {"J2327"},
    "cosentyx": {"J3247"}, "darzalex": {"J9145"}, "darzalex faspro": {"J9144"},
    "vyvgart": {"J9332"}, "vyvgart hytrulo": {"J9334"}, "herceptin": {"J9355"},
    "herceptin hylecta": {"J9356"}, "rituxan": {"J9312"}, "rituxan hycela": {"J9311"},
    "opdivo": {"J9299"}, "opdivo qvantig": {"J9289"}, "ocrevus": {"J2350"},
    "ocrevus zunovo": {"J2351"}, "tecentriq": {"J9022"}, "tecentriq hybreza": {"J9024"},
    "keytruda": {"J9271"}, "simponi aria": {"J1602"}, "humulin r": {"J1817"},
    "humalog kwikpen": {"J1817"}, "novolog": {"J1817"}, "insulin lispro": {"J1817"},
    "insulin aspart": {"J1817"}, "neulasta": {"J2506"}, "remicade": {"J1745"},
    "prolia": {"J0897"}, "abilify maintena": {"J0401"}, "abilify asimtufii": {"J0402"},
    "invega sustenna": {"J2426"}, "invega trinza": {"J2427"}, "feiba nf": {"J7198"},
    "ruxience": {"Q5119"}, "riabni": {"Q5123"}, "truxima": {"Q5115"}, "privigen": {"J1459"},
    "hylenex": {"J3473"}, "cinryze": {"J0598"}, "vitrase": {"J3471"}, "bicillin l-a": {"J0561"},
}
# names CMS has no code or crosswalk row for (new products, typos, unknown suffixes)
NOT_IN_CMS = ("starjemza", "hmny", "bildyos", "nxxp", "jobevne", "nwgd", "garadacimab",
              "linvoseltamab", "bpzx", "cqyy", "axgc", "irmp", "qlex", "berahyaluronidase",
              "keytrudda", "opdivio", "ruxiance", "dpzb", "poherdy", "atto", "amjevita")


# ---------------------------------------------------------------------------------------------
# Running the rows
# ---------------------------------------------------------------------------------------------

def write_list(path: Path, cases: Iterable[Case]) -> Path:
    """A list as Excel saves "CSV UTF-8" (BOM, CRLF), with a Route column."""
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(case.cells() for case in cases)
    return path


@pytest.fixture(scope="module")
def adversarial_run(real_2025q4: Settings, tmp_path_factory: pytest.TempPathFactory
                    ) -> dict[int, dict[str, Any] | str]:
    path = write_list(tmp_path_factory.mktemp("adversarial") / "practice-drugs.csv", CASES)
    return alerts_by_row(match.match_practice(real_2025q4, Quarter.parse("2025Q4"), path))


@pytest.mark.parametrize("case", [
    pytest.param(case, id=case.id, marks=[pytest.mark.xfail(strict=True,
                                                             reason=KNOWN_LIMITS[case.id])]
                 if case.id in KNOWN_LIMITS else []) for case in CASES])
def test_adversarial_row(case: Case, adversarial_run: dict[int, dict[str, Any] | str]) -> None:
    alert = adversarial_run.get(CASES.index(case) + 2)  # header is row 1
    assert not problems(alert, case), (case.drug, problems(alert, case))


def test_the_rows_are_distinct_list_lines() -> None:
    """No two rows are one line to the list reader (same name, NDC, code and payer)."""
    keys = [(c.drug.lower(), c.ndc, c.current, c.payer) for c in CASES]
    assert len(set(keys)) == len(keys) >= 80


@pytest.mark.parametrize("column, values", [
    ("route", ("SC", "IV")), ("setting", ("office", "HOPD"))])
def test_a_drug_listed_per_route_or_site_is_two_lines(
        real_2025q4: Settings, tmp_path: Path, column: str, values: tuple[str, str]) -> None:
    """One product listed twice, once per route or per site of service, is two lines of the
    list: Q5137 ustekinumab-auub subcutaneous / Q5138 intravenous (ANWEB, both 20240701);
    Darzalex Faspro -> J9144 in the office and in the hospital outpatient department."""
    drug = "ustekinumab-auub" if column == "route" else "Darzalex Faspro"
    rows = [Case(f"{column}-{value}", drug, (), current="J9999", **{column: value})
            for value in values]
    alerts = alerts_by_row(match.match_practice(
        real_2025q4, Quarter.parse("2025Q4"), write_list(tmp_path / "twice.csv", rows)))
    got = {row: (a["verdict"], a["new_code"]) if isinstance(a, dict) else a
           for row, a in alerts.items()}
    expected = ({2: (PAST, "Q5137"), 3: (PAST, "Q5138")} if column == "route"
                else {2: (PAST, "J9144"), 3: (PAST, "J9144")})
    assert got == expected


def test_no_row_switches_to_a_code_it_does_not_identify(
        adversarial_run: dict[int, dict[str, Any] | str]) -> None:
    """The first promise over the whole list, in one place: every wrong switch, listed."""
    wrong = []
    for index, case in enumerate(CASES):
        alert = adversarial_run.get(index + 2)
        allowed = {a.code for a in case.right if isinstance(a, Answer) and a.code}
        if isinstance(alert, dict) and alert["verdict"] in SWITCHES + (KEEP,) \
                and alert["new_code"] and alert["new_code"] not in allowed:
            wrong.append(f"{case.id}: {case.drug!r} -> {alert['verdict']} {alert['new_code']}")
    print(f"{len(CASES)} adversarial rows, {len(wrong)} wrong switches "
          f"({len(KNOWN_LIMITS)} known limits)")
    assert sorted(w.split(":")[0] for w in wrong) == sorted(KNOWN_LIMITS), "\n".join(wrong)


# ---------------------------------------------------------------------------------------------
# The answers against the raw CMS files
# ---------------------------------------------------------------------------------------------

def test_adversarial_answers_agree_with_the_cms_files(cms_samples: Path) -> None:
    """Every switch cites a live code with that effective date; every REVIEW code exists;
    the cited NDCs and brands map as the comments say; the no-code names are nowhere in
    CMS's descriptors or crosswalk names."""
    codes = cms_codes()
    for case in CASES:
        for answer in case.right:
            if isinstance(answer, ReviewOf):
                for code in answer.must | (answer.may or frozenset()):
                    assert code in codes, (case.id, code)
            elif answer.verdict in (NEW, PAST):
                assert codes[answer.code].effective == answer.effective, case.id
                assert codes[answer.code].term is None, case.id
            elif answer.verdict == KEEP:
                assert codes[answer.code].term is None, case.id
    by_ndc = crosswalk_codes_by_ndc()
    for ndc, expected in CITED_NDCS.items():
        assert by_ndc[ndc.replace("-", "")] == expected, ndc
    names = crosswalk_rows().assign(key=crosswalk_rows()["drug_name"].str.replace(
        "\xa0", " ").str.strip().str.lower())
    for brand, expected in CITED_BRANDS.items():
        assert set(names.loc[names["key"] == brand, "code"]) == expected, brand
    text = " | ".join([*office_descriptors().values(), *names["key"],
                       *(c.description.lower() for c in codes.values())])
    assert not [word for word in NOT_IN_CMS if re.search(rf"\b{word}\b", text)]
    # the codes the route rows contradict say so in their descriptors
    for code, route in (("J3380", "intravenous"), ("J1602", "intravenous"),
                        ("J3247", "intravenous"), ("J2327", "intravenous"), ("J1105", "oral"),
                        ("A9153", "oral"), ("J1817", "insulin pump")):
        assert route in codes[code].description.lower(), code
    for code in ("J9355", "J2506", "J1745"):
        assert "excludes biosimilar" in codes[code].description.lower(), code
    # the two-lines test: Q5137 (subcutaneous) and Q5138 (intravenous) ustekinumab-auub,
    # J9144 Darzalex Faspro, all live and effective before 2025Q4
    for code, route in (("Q5137", "subcutaneous"), ("Q5138", "intravenous"), ("J9144", "")):
        assert codes[code].term is None and codes[code].effective < D(2025, 10, 1), code
        assert route in codes[code].description.lower(), code
