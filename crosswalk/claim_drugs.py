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
weight), times a count written beside it ("150 mg x 3 vials", "3 x 150 mg" = 450 mg), read
with `practice.parse_dose` and turned into units with `match.units_for_dose`.

Whether a narrative names a drug at all (NOC_NARRATIVE_MISSING, the guide's top denial
reason) is judged against what CMS knows (`drug_named`): a word of a CMS drug name or brand,
a biosimilar suffix or an INN stem, a product name with a number in it (Kenalog-40, Visco-3,
5-FU, B12), or a word CMS never uses at all (a product too new to be coded). English CMS
writes elsewhere ("right knee", "office", "push") and the words billers write around a drug
(CLAIM_WORDS: "see attached invoice") name none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from crosswalk import drug_names, match, practice, products
from crosswalk.practice import drug_columns
from crosswalk.quarters import Quarter

IDENTIFYING_VERDICTS = ("NEW_CODE", "PAST_DUE", "CODE_ENDED")
# the NOC codes and the kind of drug each is for (J7999 and C9399 are left to other rules)
BIOLOGIC_NOC, DRUG_NOC, ANTINEOPLASTIC_NOC = "J3590", "J3490", "J9999"
_DOSE_UNITS = r"(?:mg|mcg|ug|µg|g|gm|grams?|milligrams?|micrograms?|ml|cc|units?|iu|meq|mci)"
# an amount with its unit, not part of a ratio; a count of packages or doses may stand before
# it ("3 x 150 mg") or after it ("150 mg x 3 vials"), never a second amount ("x 3 ml")
_DOSE_IN_TEXT = re.compile(
    r"(?<![\w./])(?:(\d{1,2})\s*[x×*]\s*)?(\d+(?:,\d{3})*(?:\.\d+)?)\s*"
    r"(" + _DOSE_UNITS + r")\b(?!\s*/)"
    r"(?:\s*[x×*]\s*(\d{1,2})\b(?!\s*(?:[./]|" + _DOSE_UNITS + r"\b)))?",
    re.IGNORECASE)
# product names with a number in them: Kenalog-40, Visco-3 (a name, a dash, a number);
# 5-FU, 6-MP (a number, a dash, an abbreviation); vitamins B1..B12
_NAME_WITH_NUMBER = re.compile(
    r"[a-z]{3,}-\d{1,3}|\d{1,2}-[a-z]{2,3}|b-?(?:1|2|3|5|6|7|9|12)", re.IGNORECASE)
_BRAND = re.compile(r"\(([^()]*[A-Za-z][^()]*)\)")
# Words of claim narratives that never name a drug, beyond the drug-list normaliser's filler,
# salts and route words (crosswalk.drug_names): what a biller writes around the drug.
CLAIM_WORDS = frozenset("""
    unclassified biologic biologics biological biologicals see note notes attached noc med
    meds medication medications other unlisted not otherwise classified specified total
    wasted waste discarded given administered admin dosed dosage container qty quantity new
    every week weeks weekly day days daily month months monthly hour hours hrs minute minutes
    min over once twice loading maintenance initial then invoice invoices attachment
    documentation documented chart record records file pharmacy stock supplied
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
        """Words that may name a drug are left once the filler is gone (`drug_named` says
        whether CMS's names bear that out)."""
        return bool(self.name or self.brand)

    @property
    def label(self) -> str | None:
        return self.name or self.brand


def read_narrative(text: str | None) -> Narrative:
    """'ublituximab-xiiy (Briumvi) 450 mg IV' -> name ublituximab-xiiy, brand Briumvi,
    dose 450 mg. A narrative of filler alone ('J3590 inj 1 vial') names no drug."""
    text = (text or "").replace("\xa0", " ")
    found = _DOSE_IN_TEXT.search(text)
    dose = _dose_text(found) if found else None
    amount, unit = practice.parse_dose(dose) if dose else (None, None)
    brands = [b.strip() for b in _BRAND.findall(text)]
    without = _DOSE_IN_TEXT.sub(" ", _BRAND.sub(" ", text))
    name = " ".join(word for word in _drug_words(without))
    brand = " ".join(word for b in brands for word in _drug_words(b)) or None
    return Narrative(name, brand, dose, amount, unit, drug_names.drug_words(text).route)


def _dose_text(found: re.Match[str]) -> str:
    """'450 mg', or with a count beside it ('150 mg x 3', '3 x 150 mg') the total: '450 mg'."""
    count = found[1] or found[4]
    if not count:
        return f"{found[2]} {found[3]}"
    total = float(found[2].replace(",", "")) * int(count)
    return f"{total:g} {found[3]}"


def _drug_words(text: str) -> list[str]:
    """Words that can name a drug, as written: neither a code, NDC or amount (a word with
    digits, unless it is a product name with a number: Kenalog-40, 5-FU, B12), nor a word
    the drug-list normaliser drops (filler, salt beside a name, route), nor one of
    CLAIM_WORDS. Two letters can name a product ('Eylea HD' is not Eylea)."""
    kept = []
    for token in text.split():
        word = token.strip(",.;:!?\"'")
        if (len(word) >= 2 and word.lower() not in CLAIM_WORDS
                and (not any(char.isdigit() for char in word)
                     or _NAME_WITH_NUMBER.fullmatch(word))
                and drug_names.drug_words(word).words):
            kept.append(word)
    return kept


def drug_named(catalog: products.Catalog, reading: Narrative) -> bool:
    """Does the narrative name a drug? A product name with a number in it, or a word that is
    part of a CMS drug name (a generic word, or a whole brand or crosswalk name), carries a
    biosimilar suffix or an INN stem, or that CMS never uses at all (too new to be coded:
    'Imaavy'); English CMS writes elsewhere ('knee', 'office', 'push') names none."""
    if not reading.names_a_drug:
        return False
    if any(_NAME_WITH_NUMBER.fullmatch(word) for word in
           f"{reading.name} {reading.brand or ''}".split()):
        return True
    row = catalog.row_words(reading.name, reading.brand)
    return any(products.looks_like_drug(catalog, word) or _whole_name(catalog, word, row)
               or products.unknown_to_cms(catalog, word) for word in row.words)


def _whole_name(catalog: products.Catalog, word: drug_names.Word,
                row: drug_names.DrugWords) -> bool:
    """The word is part of a CMS name whose every word the narrative has ('Briumvi')."""
    return any(entry.words.texts <= row.texts for entry in catalog.index.get(word.text, ()))


def identify(con: duckdb.DuckDBPyConnection, quarter: Quarter,
             keys: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct NOC drug (`keys`: hcpcs, narrative, ndc11, hospital_outpatient,
    with any other columns carried through) with what the matcher made of it.

    Added columns: names_drug, drug_label, dose, dose_amount, dose_unit, verdict, code,
    code_descriptor, billing_unit, units_for_dose, candidate_codes, reason, expected_noc,
    family_reason.
    """
    rows = match.plain_records(keys)
    catalog = match.load_catalog(con, quarter) if rows else None
    readings = [_named_only(catalog, read_narrative(row["narrative"])) for row in rows]
    drugs = pd.DataFrame([_drug_row(number, row, reading) for number, (row, reading)
                          in enumerate(zip(rows, readings), start=1)],
                         columns=drug_columns())
    alerts = {alert["row_no"]: alert for alert in
              match.plain_records(match.match_drugs(con, quarter, drugs).alerts)} \
        if rows else {}
    result = [{**row, **_identified(row, reading, alerts[number])}
              for number, (row, reading) in enumerate(zip(rows, readings), start=1)]
    return pd.DataFrame(result, columns=[*keys.columns, *IDENTIFIED_COLUMNS])


def _named_only(catalog: products.Catalog | None, reading: Narrative) -> Narrative:
    """The reading as the matcher gets it: its words only when they name a drug (the NDC
    alone then identifies it)."""
    if catalog is None or drug_named(catalog, reading):
        return reading
    return Narrative("", None, reading.dose, reading.dose_amount, reading.dose_unit,
                     reading.route)


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
    under J3490 belongs on J3590. The other way round only where the permanent code says so
    for sure: a biologic whose own J-code is outside J9 (ublituximab-xiiy, J2329) was no
    unclassified antineoplastic, so J3590, not J9999; a drug with a J-code outside J9 and no
    sign of a biologic in its name or descriptor (famotidine, J1308) was no unclassified
    biologic, so J3490, not J3590. Q-, C- and other codes say nothing of the family (Q5
    biosimilars of cancer drugs, C-codes of any drug): no advice from them.
    """
    text = (descriptor or "").lower()
    antineoplastic = bool(code) and (code.startswith("J9") or "antineoplastic" in text
                                     or "chemotherapy" in text)
    if code and billed in (BIOLOGIC_NOC, DRUG_NOC) and antineoplastic:
        return ANTINEOPLASTIC_NOC, (f"its permanent code {code} is in the antineoplastic range, "
                                    "and unclassified antineoplastics go under J9999")
    biologic = _biologic(name, text)
    if billed == DRUG_NOC and name and match.is_biologic(name.lower()):
        return BIOLOGIC_NOC, (f"{name} is a biologic (its name has a biologic stem or an FDA "
                              "suffix), and unclassified biologics go under J3590")
    outside_j9 = bool(code) and code.startswith("J") and not antineoplastic
    if billed == ANTINEOPLASTIC_NOC and outside_j9 and biologic:
        return BIOLOGIC_NOC, (f"it is a biologic whose permanent code {code} is outside the "
                              "antineoplastic range (J9), and unclassified biologics go under "
                              "J3590")
    if billed == BIOLOGIC_NOC and outside_j9 and not biologic:
        return DRUG_NOC, (f"nothing in its name or in {code}'s descriptor says biologic (no "
                          "biologic stem, FDA suffix or biologic product word), and "
                          "unclassified drugs that are not biologics go under J3490")
    return None, None


# descriptor words of biologics without a biologic stem or suffix in their name
_BIOLOGIC_WORDS = re.compile(
    r"biosimilar|globulin|vaccine|toxin|insulin|factor|albumin|interferon|somatropin|"
    r"antivenin|antivenom|recombinant|\bhuman\b|botulinum|pegylated|\bpeg|antibod|enzyme|"
    r"cellular|gene therapy|plasma|serum|leucel|autotemcel")


def _biologic(name: str | None, descriptor: str) -> bool:
    """A biologic by its name (stem, suffix) or its code's descriptor."""
    return (match.is_biologic((name or "").lower()) or match.is_biologic(descriptor)
            or bool(_BIOLOGIC_WORDS.search(descriptor)))


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
