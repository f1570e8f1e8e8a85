"""The NOC claim narrative: what a payer must read on a NOC drug line to pay it.

A NOC code (J3590, J3490, J9999, C9399, J7999) says nothing about the drug, so the claim line
must: the J3590 billing guide's first denial reason is a NOC line without the drug's name,
dose and NDC. The text goes in CMS-1500 item 19 on paper, and in the 837P service line's
SV101-7 (the procedure description, at most 80 characters), with what does not fit in the
line note (loop 2400 NTE*ADD). This module writes that text from the practice's list, and only
from it: nothing is looked up, guessed or filled in.

    generic-with-suffix (Brand) dose route N4<ndc11> <qualifier><quantity>
    ublituximab-xiiy (Briumvi) 450 mg IV N473150015006 ML18

- the drug: the list's name as written (marks, strengths and package words trimmed), the part
  carrying an FDA suffix as the generic, the brand cell (or the rest of the name) in
  parentheses;
- the dose when the list gives an amount and unit ("450 mg"); a per-weight dose ("8 mg/kg")
  or none gives the placeholder `<dose>`: the dose given goes there;
- the route when the list gives one, else nothing;
- `N4` + the 11-digit NDC + a space + the unit qualifier (F2, GR, ME, ML, UN) + the quantity
  when the list gives the NDC; `<unit>` and `<qty>` stand for a qualifier or quantity the list
  lacks;
- X12-safe: ASCII only, none of the usual delimiters (* : ~ ^ >) nor < inside list text (the
  placeholders are the only <...> in a narrative, so a claim check can find any left);
- whole words fill SV101-7 up to 80 characters, in order; the rest goes to NTE.

Pure functions; crosswalk.reports registers `narrative` as the SQL function noc_narrative.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from crosswalk.drug_names import FILLER_WORDS, NOT_SUFFIXES, printable_name, split_names
from crosswalk.practice import NDC_UNITS, parse_dose

SV101_7_LIMIT = 80  # 837P SV101-7, the line's description
NTE_LIMIT = 80      # 837P NTE02, the line note
DRUG, DOSE, UNIT, QUANTITY = "<drug>", "<dose>", "<unit>", "<qty>"
PLACEHOLDERS = (DRUG, DOSE, UNIT, QUANTITY)
# X12 separators in common use (element *, component : or >, segment ~, repetition ^), and
# the placeholders' brackets: none may come from list text.
_NOT_IN_X12_TEXT = str.maketrans({character: " " for character in "*:~^<>"})
_NDC11 = re.compile(r"[0-9]{11}")
_EDGE_PUNCTUATION = ",;/.&+-'\"()[]{}"
# a dash and four letters ending a word: an FDA suffix unless it is a word ("high-dose")
_SUFFIX = re.compile(r"(?<=[a-z0-9])-([a-z]{4})(?![a-z0-9])", re.IGNORECASE)


@dataclass(frozen=True)
class ClaimDrug:
    """What the list says about one drug, as the narrative needs it."""

    drug_name: str
    brand_name: str | None = None
    dose: str | None = None
    route: str | None = None
    ndc11: str | None = None
    ndc_unit: str | None = None
    ndc_quantity: float | None = None


@dataclass(frozen=True)
class Narrative:
    """The narrative split as the 837P carries it: SV101-7 first, the rest in NTE."""

    sv101_7: str
    nte: str | None = None

    @property
    def text(self) -> str:
        """The workbook cell: the narrative alone when it fits SV101-7, else both parts
        labelled, one a line."""
        return self.sv101_7 if self.nte is None else f"SV101-7: {self.sv101_7}\nNTE: {self.nte}"

    @property
    def placement(self) -> str:
        """Where it goes, in characters: the lead checks this before pasting."""
        where = f"SV101-7 ({len(self.sv101_7)} of {SV101_7_LIMIT} characters)"
        if self.nte is None:
            return where
        over = (f": over {NTE_LIMIT}, shorten the drug name on your list"
                if len(self.nte) > NTE_LIMIT else "")
        return f"{where} + NTE ({len(self.nte)} characters{over})"

    @property
    def placeholders(self) -> list[str]:
        """Placeholders still to replace with what was given."""
        whole = f"{self.sv101_7} {self.nte or ''}"
        return [mark for mark in PLACEHOLDERS if mark in whole]


def narrative(drug: ClaimDrug) -> Narrative:
    """The narrative of one drug, split for SV101-7 and NTE (see the module docstring)."""
    return split_for_claim([*drug_label(drug.drug_name, drug.brand_name).split(),
                            *dose_text(drug.dose).split(), *x12_text(drug.route).split(),
                            *([ndc_text(drug.ndc11, drug.ndc_unit, drug.ndc_quantity)]
                              if _NDC11.fullmatch(drug.ndc11 or "") else [])])


def drug_label(drug_name: str | None, brand_name: str | None = None) -> str:
    """'Tecvayli (teclistamab-cqyv) 30mg/3ml vial' -> 'teclistamab-cqyv (Tecvayli)';
    'ublituximab-xiiy' with brand 'Briumvi' -> 'ublituximab-xiiy (Briumvi)'.

    The generic is the first part of the name carrying an FDA suffix (else the name's first
    part); the brand is the brand cell, else the other parts of the name."""
    parts = [trimmed(x12_text(part)) for part in split_names(printable_name(drug_name))]
    parts = [part for part in parts if part]
    if not parts:
        return DRUG
    at = next((i for i, part in enumerate(parts) if _has_suffix(part)), 0)
    generic, others = parts[at], parts[:at] + parts[at + 1:]
    brand = trimmed(x12_text(printable_name(brand_name))) or " ".join(others)
    if not brand or brand.lower() in generic.lower():
        return generic
    return f"{generic} ({brand})"


def dose_text(dose: str | None) -> str:
    """'450mg' -> '450 mg'; '1,000 units' -> '1000 units'; '8 mg/kg' or nothing -> <dose>
    (a dose per kg or m2 is the patient's, not the list's)."""
    amount, unit = parse_dose(x12_text(dose))
    if amount is None or not unit or "/" in unit:
        return DOSE
    return f"{plain_number(amount)} {unit}"


def ndc_text(ndc11: str, unit: str | None, quantity: float | None) -> str:
    """'N473150015006 ML18': N4, the NDC's 11 digits, the unit qualifier and the quantity."""
    qualifier = unit if unit in NDC_UNITS else UNIT
    amount = plain_number(quantity) if quantity is not None and quantity > 0 else QUANTITY
    return f"N4{ndc11} {qualifier}{amount}"


def split_for_claim(tokens: list[str]) -> Narrative:
    """Whole tokens fill SV101-7 (80 characters) in order; the rest goes to NTE. A single
    token longer than 80 characters is cut at 80, the remainder leading the NTE."""
    first = ""
    for at, token in enumerate(tokens):
        joined = f"{first} {token}" if first else token
        if len(joined) > SV101_7_LIMIT:
            if not first:
                first, rest = token[:SV101_7_LIMIT], [token[SV101_7_LIMIT:], *tokens[at + 1:]]
            else:
                rest = tokens[at:]
            return Narrative(first, " ".join(rest))
        first = joined
    return Narrative(first)


def x12_text(text: str | None) -> str:
    """Text an 837 can carry: accents dropped (é -> e), other non-ASCII and the delimiters
    gone, spaces single."""
    text = text or ""
    if not (text.isascii() and text.isprintable()):  # most list text is plain already
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        text = "".join(character if character.isprintable() else " " for character in text)
    return " ".join(text.translate(_NOT_IN_X12_TEXT).split())


def trimmed(part: str) -> str:
    """A name part without the dosage-form and package words at its ends ('INJ,' ... 'vial',
    'SDV'), nor stray punctuation there; words inside the name stay ('nivolumab and
    hyaluronidase'). A part made only of such words is kept whole."""
    words = part.split()
    while words and _filler(words[0]):
        words.pop(0)
    while words and _filler(words[-1]):
        words.pop()
    return (" ".join(words).strip(_EDGE_PUNCTUATION + " ")
            or part.strip(_EDGE_PUNCTUATION + " "))


def plain_number(value: float) -> str:
    """18.0 -> '18', 2.5 -> '2.5', 1e-05 -> '0.00001': never an exponent, never rounded."""
    return format(Decimal(repr(float(value))).normalize(), "f")


def _filler(word: str) -> bool:
    bare = word.strip(_EDGE_PUNCTUATION).lower()
    return not bare or bare in FILLER_WORDS


def _has_suffix(part: str) -> bool:
    """Whether the part names a biologic with its suffix ('teclistamab-cqyv'), as
    crosswalk.drug_names reads a dash before four letters."""
    return any(found.lower() not in NOT_SUFFIXES for found in _SUFFIX.findall(part))
