"""Which drug a NOC claim line is for, and how many units its dose is.

A NOC line (J3590, J3490, J9999, C9399, J7999) names its drug only in free text: SV101-7 or
the line note on an 837P, the narrative column of an export ("ublituximab-xiiy (Briumvi)
450 mg IV", "INJ, TEBENTAFUSP-TEBN 100MCG/0.5ML"), and by its NDC. To say "this line should
have been J2329 x 450 units" we identify the drug with the practice drug-list matcher, so a
claim is judged by exactly the rules the quarterly audit uses, including "never a wrong
switch": `crosswalk.match.match_drugs` is called with one row per distinct NOC drug of the
file (NDC, the narrative's name and brand, its dose, the NOC code billed, the setting), and
only a verdict that names one code (NEW_CODE, PAST_DUE, CODE_ENDED) identifies the drug.
REVIEW means "could not identify": the line says so and no code is ever guessed.

Doses: the first amount with a unit in the narrative that is not part of a ratio ("450 mg",
"1,000 units"; not "100MCG/0.5ML" or "8 mg/kg", which describe a concentration or a dose per
weight), read with `practice.parse_dose` and turned into units with `match.units_for_dose`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from crosswalk import drug_names, match, practice
from crosswalk.practice import DRUG_COLUMNS
from crosswalk.quarters import Quarter

IDENTIFYING_VERDICTS = ("NEW_CODE", "PAST_DUE", "CODE_ENDED")
# the NOC codes and the kind of drug each is for (J7999 and C9399 are left to other rules)
BIOLOGIC_NOC, DRUG_NOC, ANTINEOPLASTIC_NOC = "J3590", "J3490", "J9999"
_DOSE_IN_TEXT = re.compile(
    r"(?<![\w./])(\d+(?:,\d{3})*(?:\.\d+)?)\s*"
    r"(mg|mcg|ug|µg|g|gm|grams?|milligrams?|micrograms?|ml|cc|units?|iu|meq|mci)\b(?!\s*/)",
    re.IGNORECASE)
_BRAND = re.compile(r"\(([^()]*[A-Za-z][^()]*)\)")
# Words of claim narratives that never name a drug, beyond the drug-list normaliser's filler,
# salts and route words (crosswalk.drug_names): what a biller writes around the drug.
CLAIM_WORDS = frozenset("""
    unclassified biologic biologics biological biologicals see note notes attached noc med
    meds medication medications other unlisted not otherwise classified specified total
    wasted waste discarded given administered admin dosed dosage container qty quantity new
    every week weeks weekly day days daily month months monthly hour hours hrs minute minutes
    min over once twice loading maintenance initial then
    """.split())


@dataclass(frozen=True)
class Narrative:
    """What a line's free text says: the drug's name and brand, and the dose given."""

    name: str
    brand: str | None
    dose: str | None
    dose_amount: float | None
    dose_unit: str | None
    route: str | None = None

    @property
    def names_a_drug(self) -> bool:
        return bool(self.name or self.brand)

    @property
    def label(self) -> str | None:
        return self.name or self.brand


def read_narrative(text: str | None) -> Narrative:
    """'ublituximab-xiiy (Briumvi) 450 mg IV' -> name ublituximab-xiiy, brand Briumvi,
    dose 450 mg. A narrative of filler alone ('J3590 inj 1 vial') names no drug."""
    text = (text or "").replace("\xa0", " ")
    found = _DOSE_IN_TEXT.search(text)
    dose = f"{found[1]} {found[2]}" if found else None
    amount, unit = practice.parse_dose(dose) if dose else (None, None)
    brands = [b.strip() for b in _BRAND.findall(text)]
    without = _DOSE_IN_TEXT.sub(" ", _BRAND.sub(" ", text))
    name = " ".join(word for word in _drug_words(without))
    brand = " ".join(word for b in brands for word in _drug_words(b)) or None
    return Narrative(name, brand, dose, amount, unit, drug_names.drug_words(text).route)


def _drug_words(text: str) -> list[str]:
    """Words that can name a drug, as written: neither a code, NDC or amount (anything with
    digits), nor a word the drug-list normaliser drops (filler, salt beside a name, route),
    nor one of CLAIM_WORDS."""
    kept = []
    for token in text.split():
        word = token.strip(",.;:!?\"'")
        if (len(word) >= 3 and not any(char.isdigit() for char in word)
                and word.lower() not in CLAIM_WORDS and drug_names.drug_words(word).words):
            kept.append(word)
    return kept


def identify(con: duckdb.DuckDBPyConnection, quarter: Quarter,
             keys: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct NOC drug (`keys`: hcpcs, narrative, ndc11, hospital_outpatient,
    with any other columns carried through) with what the matcher made of it.

    Added columns: names_drug, drug_label, dose, dose_amount, dose_unit, verdict, code,
    code_descriptor, billing_unit, units_for_dose, candidate_codes, reason, expected_noc,
    family_reason.
    """
    rows = match.plain_records(keys)
    readings = [read_narrative(row["narrative"]) for row in rows]
    drugs = pd.DataFrame([_drug_row(number, row, reading) for number, (row, reading)
                          in enumerate(zip(rows, readings), start=1)],
                         columns=list(DRUG_COLUMNS))
    alerts = {alert["row_no"]: alert for alert in
              match.plain_records(match.match_drugs(con, quarter, drugs).alerts)} \
        if rows else {}
    result = [{**row, **_identified(row, reading, alerts[number])}
              for number, (row, reading) in enumerate(zip(rows, readings), start=1)]
    return pd.DataFrame(result, columns=[*keys.columns, *IDENTIFIED_COLUMNS])


IDENTIFIED_COLUMNS = ("names_drug", "drug_label", "dose", "dose_amount", "dose_unit",
                      "verdict", "code", "code_descriptor", "billing_unit", "units_for_dose",
                      "candidate_codes", "reason", "expected_noc", "family_reason")


def _drug_row(number: int, row: Mapping[str, Any], reading: Narrative) -> dict[str, Any]:
    """The practice_drugs row the matcher reads for one NOC drug of the file."""
    return {
        "row_no": number, "drug_name": reading.name, "brand_name": reading.brand,
        "ndc_raw": row["ndc11"], "ndc11": row["ndc11"], "current_code": row["hcpcs"],
        "dose": reading.dose, "dose_amount": reading.dose_amount,
        "dose_unit": reading.dose_unit, "payer": None,
        "setting": "hospital_outpatient" if row["hospital_outpatient"] else "office",
        "notes": None, "active": True, "keep_code": False, "route": reading.route,
        "ndc_unit": None, "ndc_quantity": None, "ndc_note": None,
    }


def _identified(row: Mapping[str, Any], reading: Narrative,
                alert: Mapping[str, Any]) -> dict[str, Any]:
    verdict = alert["verdict"]
    code = alert["new_code"] if verdict in IDENTIFYING_VERDICTS else None
    expected, why = expected_noc(row["hcpcs"], reading.label, code,
                                 alert["new_code_descriptor"])
    return {
        "names_drug": reading.names_a_drug, "drug_label": reading.label or _generic(alert),
        "dose": reading.dose, "dose_amount": reading.dose_amount, "dose_unit": reading.dose_unit,
        "verdict": verdict, "code": code,
        "code_descriptor": alert["new_code_descriptor"] if code else None,
        "billing_unit": alert["billing_unit"] if code else None,
        "units_for_dose": alert["units_for_dose"] if code else None,
        "candidate_codes": alert["candidate_codes"],
        "reason": alert["action"] if verdict == "REVIEW" else None,
        "expected_noc": expected, "family_reason": why,
    }


def _generic(alert: Mapping[str, Any]) -> str | None:
    """'Injection, ublituximab-xiiy, 1mg' -> 'ublituximab-xiiy': a label when the line's
    text names no drug (identified by NDC alone)."""
    parts = [part.strip() for part in (alert["new_code_descriptor"] or "").split(",")]
    return parts[1] if len(parts) > 2 and parts[0].lower() == "injection" else None


def expected_noc(billed: str, name: str | None, code: str | None,
                 descriptor: str | None) -> tuple[str | None, str | None]:
    """The NOC code the drug belongs under when `billed` is the wrong one, and why.

    An antineoplastic (its permanent code in the J9 range, or a descriptor saying so) under
    J3590/J3490 belongs on J9999; a biologic (a biologic stem or an FDA suffix in its name)
    under J3490 belongs on J3590.
    """
    text = (descriptor or "").lower()
    if code and billed in (BIOLOGIC_NOC, DRUG_NOC) and (
            code.startswith("J9") or "antineoplastic" in text or "chemotherapy" in text):
        return ANTINEOPLASTIC_NOC, (f"its permanent code {code} is in the antineoplastic range, "
                                    "and unclassified antineoplastics go under J9999")
    if billed == DRUG_NOC and name and match.is_biologic(name.lower()):
        return BIOLOGIC_NOC, (f"{name} is a biologic (its name has a biologic stem or an FDA "
                              "suffix), and unclassified biologics go under J3590")
    return None, None


# ---------------------------------------------------------------------------------------------
# Units from an NDC quantity

_NDC_UNIT_WORDS = {"ME": "mg", "GR": "g", "F2": "units", "ML": "ml"}


def units_from_ndc(quantity: float | None, unit: str | None, billing_unit: str | None,
                   units_each: float | None) -> tuple[float | None, str | None]:
    """Billing units the NDC quantity stands for, and how they were worked out.

    ME (milligrams), GR (grams), F2 (international units) and ML convert through the code's
    billing unit when the dimensions agree; UN (each: vials, syringes) counts packages of the
    NDC, times the crosswalk's billing units per package size (`units_each`).
    """
    if quantity is None or not unit:
        return None, None
    if unit == "UN":
        if units_each is None:
            return None, None
        units = quantity * units_each
        return units, (f"the NDC quantity is {number_text(quantity)} UN x "
                       f"{number_text(units_each)} units each (CMS crosswalk) = "
                       f"{number_text(units)} units")
    word = _NDC_UNIT_WORDS.get(unit)
    if word is None or not billing_unit:
        return None, None
    units, how = match.units_for_dose(quantity, word, billing_unit)
    if units is None:
        return None, None
    return units, f"the NDC quantity is {number_text(quantity)} {unit}: {how}"


def number_text(value: float) -> str:
    """450.0 -> '450', 0.5 -> '0.5': units as a billing lead writes them."""
    return f"{value:g}"
