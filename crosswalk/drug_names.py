"""Drug names as words: the one normaliser the matcher reads both sides through.

A practice list writes a drug the way its practice-management system or a spreadsheet stores
it ("INJ, TEBENTAFUSP-TEBN 100MCG/0.5ML", "Tecvayli (teclistamab-cqyv) 30mg/3ml vial",
"tocilizumab–anoh", "KEYTRUDA® 100MG/4ML SDV"); CMS writes it as a HCPCS descriptor
("Injection, teclistamab-cqyv, 0.5 mg") or a crosswalk Drug Name ("Tecvayli"). Which product
a name means depends only on its words and on the FDA's 4-letter biosimilar suffix attached to
them, so both sides are reduced to exactly that:

- case, (R)/(TM)/®/™, NBSP and width variants never matter (NFKC, casefold);
- any Unicode dash (category Pd, U+2212, a soft hyphen) with or without spaces around it
  before four letters marks a suffix, and so does a plain space before a suffix CMS knows
  ("tocilizumab anoh"); other hyphens separate words ("ado-trastuzumab" -> ado, trastuzumab);
- strengths and concentrations (100MCG/0.5ML), package words (vial, kit, pen, syringe, PF,
  SDV, MDV), dosage-form filler (injection, INJ, solution), salts beside a drug's name and
  route words never count as identity; the route is kept apart, because it tells an IV code from an SC one.

Nothing here knows about codes or verdicts: crosswalk.match decides with these words.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

# Words that never identify a product: dosage forms, packages, filler, salts.
FILLER_WORDS = frozenset("""
    injection injections injectable inj inject infusion instillation for and of the with per up to or in on
    as by each a an via solution soln sol suspension susp powder pwdr lyophilized lyoph
    reconstituted vial vials vl kit kits pen pens syringe syringes syr prefilled pfs pf sdv mdv
    single multi multiple dose doses use only autoinjector auto injector cartridge cartridges
    bag bags ampule ampul amp bottle btl carton pack pk device concentrate preservative free
    biosimilar excludes product products drug drugs brand generic rx supply mg mcg ml g gm kg
    unit units iu meq mmol mci uci ea box tube
""".split())
# Salt and hydrate words: dropped beside a drug's name (argatroban hydrochloride = argatroban),
# kept when they are the drug (calcium gluconate, magnesium sulfate).
SALT_WORDS = frozenset("""
    sodium disodium potassium calcium magnesium hydrochloride dihydrochloride hcl acetate
    sulfate phosphate citrate mesylate tartrate bitartrate maleate succinate chloride bromide
    besylate fumarate hyclate lactate gluconate tromethamine dihydrate monohydrate trihydrate
    anhydrous base salt
""".split())
# Route words, each to one route name; the route picks between a product's IV and SC codes.
ROUTES = {
    "intravenous": "intravenous", "iv": "intravenous", "ivpb": "intravenous",
    "intravenously": "intravenous",
    "subcutaneous": "subcutaneous", "subcutaneously": "subcutaneous", "sc": "subcutaneous",
    "subq": "subcutaneous", "sq": "subcutaneous", "subcut": "subcutaneous",
    "intramuscular": "intramuscular", "intramuscularly": "intramuscular", "im": "intramuscular",
    "intravitreal": "intravitreal", "ivt": "intravitreal", "intraocular": "intravitreal",
    "intrathecal": "intrathecal", "oral": "oral", "po": "oral", "topical": "topical",
    "inhalation": "inhalation", "inhaled": "inhalation", "nasal": "nasal",
    "intranasal": "nasal", "intravesical": "intravesical", "intradermal": "intradermal",
    "ophthalmic": "ophthalmic",
}
# Four-letter words that are words, never biosimilar suffixes, wherever they stand.
NOT_SUFFIXES = frozenset("""
    dose high free only with unit form base plus more less half full like oral type kit
    pack vial beta alfa zinc iron acid gold test rate time once dual long term
""".split())
# Units a strength or concentration is written in ("100MCG/0.5ML", "1,000 units", "2 mg/kg").
_UNITS = (r"(?:mg|mgs|milligrams?|mcg|µg|μg|ug|micrograms?|g|gm|grams?|ml|millilit(?:er|re)s?|"
          r"l|cc|units?|u|iu|i\.u\.|international\s+units?|meq|mmol|mci|uci|millicuries?|"
          r"microcuries?|%|kg|m2|hr|h|day|actuation|spray)")
_STRENGTH = re.compile(
    r"(?<![a-z0-9])\d+(?:[.,]\d+)*\s*" + _UNITS +
    r"(?:\s*/\s*(?:\d+(?:[.,]\d+)*\s*)?" + _UNITS + r")?(?![a-z])")
_MARKS = re.compile(r"\((?:r|tm|c)\)|[®™℠©]")
_DASH_SUFFIX = re.compile(r"(?<=[a-z0-9])\s*-\s*([a-z]{4})(?![a-z0-9])")
_TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z]{4}(?![a-z0-9]))?")
# every character Unicode calls a dash (category Pd), and the minus sign, read as "-"
_DASHES = {code: "-" for code in range(sys.maxunicode + 1)
           if unicodedata.category(chr(code)) == "Pd" or code == 0x2212}
_SOFT_HYPHEN_SUFFIX = re.compile(r"\u00ad(?=\s*[a-z]{4}(?![a-z0-9]))", re.IGNORECASE)
_STRENGTH_ANY_CASE = re.compile(_STRENGTH.pattern, re.IGNORECASE)
_MARKS_ANY_CASE = re.compile(_MARKS.pattern, re.IGNORECASE)


class Word(NamedTuple):
    """One identifying word and the biosimilar suffix attached to it (None when none)."""

    text: str
    suffix: str | None = None

    def __str__(self) -> str:
        return f"{self.text}-{self.suffix}" if self.suffix else self.text


@dataclass(frozen=True)
class DrugWords:
    """What a name says about the product: its identifying words, and the route if named."""

    words: tuple[Word, ...]
    route: str | None = None
    routes: frozenset[str] = field(default_factory=frozenset)

    @cached_property
    def texts(self) -> frozenset[str]:
        return frozenset(word.text for word in self.words)

    @cached_property
    def suffixes(self) -> dict[str, str | None]:
        return {word.text: word.suffix for word in self.words}

    def __str__(self) -> str:
        return " ".join(map(str, self.words))


def plain_text(text: str | None) -> str:
    """Case, marks, NBSP, width variants and every kind of dash reduced to one spelling."""
    text = (text or "").replace("(R)", " ").replace("(TM)", " ")
    if text.isascii():  # most names: nothing to fold but case
        return _MARKS.sub(" ", text.lower())
    text = _MARKS.sub(" ", _SOFT_HYPHEN_SUFFIX.sub("-", text).replace("\u00ad", ""))
    return unicodedata.normalize("NFKC", text).casefold().translate(_DASHES)


def printable_name(text: str | None) -> str:
    """The name as the list writes it, to print on a claim: its words and their case kept;
    marks ((R), ®, ™), soft hyphens and width variants gone, every dash a plain '-',
    strengths and concentrations ('100MCG/0.5ML': the dose is stated apart) removed."""
    text = _SOFT_HYPHEN_SUFFIX.sub("-", text or "").replace("\u00ad", "")
    text = unicodedata.normalize("NFKC", _MARKS_ANY_CASE.sub(" ", text)).translate(_DASHES)
    return " ".join(_STRENGTH_ANY_CASE.sub(" ", text).split())


def drug_words(text: str | None, known_suffixes: frozenset[str] = frozenset(),
               vocabulary: frozenset[str] = frozenset()) -> DrugWords:
    """The identifying words of a name, each with its suffix, and the route it names.

    `known_suffixes` are the suffixes CMS uses: such a word after a name is a suffix even
    when a space stands for the dash. `vocabulary` holds words CMS uses as words: a
    4-letter word found there is never taken for a suffix.
    """
    known, words_known = known_suffixes, vocabulary
    cleaned = _STRENGTH.sub(" ", plain_text(text))
    cleaned = _DASH_SUFFIX.sub(lambda m: _dash_or_word(m, words_known), cleaned)
    words: list[Word] = []
    routes: list[str] = []
    for token in _TOKEN.findall(cleaned):
        stem, _, suffix = token.partition("-")
        if stem in ROUTES:
            routes.append(ROUTES[stem])
        elif stem.isdigit() or stem in FILLER_WORDS:
            continue
        elif _is_spaced_suffix(stem, words, known, words_known):
            words[-1] = Word(words[-1].text, stem)
        else:
            words.append(Word(stem, suffix or None))
    named = [word for word in words if word.text not in SALT_WORDS] or words
    found = frozenset(routes)
    return DrugWords(tuple(dict.fromkeys(named)), next(iter(found)) if len(found) == 1 else None,
                     found)


def routes_named(text: str | None) -> frozenset[str]:
    """The routes a text names ('for intravenous injection' -> {'intravenous'}), cheaply."""
    return frozenset(ROUTES[token] for token in _TOKEN.findall(plain_text(text))
                     if token in ROUTES)


def _dash_or_word(found: re.Match[str], vocabulary: frozenset[str]) -> str:
    """'x - abcd' -> 'x-abcd' (a suffix), unless abcd is a word ('high-dose' stays 2 words)."""
    four = found[1]
    return f" {four}" if four in NOT_SUFFIXES or four in vocabulary else f"-{four}"


def _is_spaced_suffix(stem: str, words: list[Word], known: frozenset[str],
                      vocabulary: frozenset[str]) -> bool:
    """'tocilizumab anoh': a suffix CMS knows, right after a word without one."""
    return (len(stem) == 4 and stem in known and stem not in vocabulary
            and stem not in NOT_SUFFIXES and bool(words) and words[-1].suffix is None)


def split_names(text: str | None) -> list[str]:
    """'Tecvayli (teclistamab-cqyv) 30mg/3ml' -> ['Tecvayli 30mg/3ml', 'teclistamab-cqyv']:
    the text outside parentheses and each parenthesised group, for evidence and brands."""
    outside, groups = [], []
    depth, current = 0, ""
    for char in text or "":
        if char == "(":
            if depth == 0:
                outside.append(current)
                current = ""
            else:
                current += char
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if depth == 0:
                groups.append(current)
                current = ""
            else:
                current += char
        else:
            current += char
    (groups if depth else outside).append(current)
    return [" ".join(part.split()) for part in [" ".join(outside), *groups] if part.strip()]
