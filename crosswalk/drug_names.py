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

# Words that never identify a product: dosage forms, packages, filler.
FILLER_WORDS = frozenset("""
    injection injections injectable inj inject infusion instillation for and of the with per up
    to or in on as by each a an via solution soln sol suspension susp powder pwdr lyophilized
    lyoph reconstituted vial vials vl kit kits pen pens syringe syringes syr prefilled pfs pf
    sdv mdv single multi multiple dose doses use only autoinjector auto injector cartridge
    cartridges bag bags ampule ampul amp bottle btl carton pack pk device concentrate
    preservative free excludes product products drug drugs brand generic rx supply mg mcg ml g
    gm kg unit units iu meq mmol mci uci ea box tube usp ndc non form excl
""".split()) | frozenset("""
    soln solr susr sosy susy soaj sopn suaj supn soct socr emul srer suer ajkt pnkt pskt prsy
    crtg impl pllt insr nebu inhl aero ptch supp tabs caps oint crea lotn liqd conc ij
""".split())  # First Databank dosage forms and Epic's route 'IJ' ('... 100 MG IJ SUSR')
# Words that say a drug is injected (the route of a row that names no other): they tell an
# injectable drug from an oral-only code ('INJ, DEXMEDETOMIDINE' is not the oral J1105).
INJECTION_WORDS = frozenset({"injection", "injections", "injectable", "inj", "inject",
                             "ij"})  # 'IJ': Epic's injection route ('... 100 MG IJ SUSR')
# The abbreviations charge masters and pharmacy systems write for salts, solutions and
# formulations, read as the words CMS writes (on both sides: CMS writes 'hcl' and
# 'hydrochloride', 'liposome' and 'liposomal'): 'METHYLPREDNISOLONE ACET', 'KETOROLAC TROM',
# 'DOXORUBICIN HCL LIPO' (liposomal, never the conventional J9000), 'EPINEPHRINE IN NACL'.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "hcl": ("hydrochloride",), "sod": ("sodium",), "acet": ("acetate",),
    "succ": ("succinate",), "trom": ("tromethamine",), "phos": ("phosphate",),
    "sulf": ("sulfate",), "lipo": ("liposomal",), "liposome": ("liposomal",),
    "nacl": ("sodium", "chloride"), "kcl": ("potassium", "chloride"),
}
# A suffix of one letter four times is a placeholder, no FDA suffix: CMS itself wrote
# 'bamlanivimab-xxxx' before the suffix was assigned, and formularies write 'infliximab-xxxx'
# for "any biosimilar"; it marks a biosimilar whose suffix the row does not give.
_PLACEHOLDER_SUFFIX = re.compile(r"^([a-z])\1{3}$")
# Devices for self-injection under the skin: a row naming one names the subcutaneous route.
SUBCUTANEOUS_DEVICES = frozenset({"pen", "pens", "autoinjector", "sensoready"})
# The word that makes "<reference brand> biosimilar" a biosimilar, never the reference...
BIOSIMILAR_WORDS = frozenset({"biosimilar", "biosimilars", "biosim"})
# ...unless it is negated, as J9355's own descriptor does ('trastuzumab, excludes biosimilar',
# which charge masters copy: 'INJ TRASTUZUMAB EXCL BIOSIMILAR 10MG', 'non-biosimilar')
NEGATIONS = frozenset({"excludes", "exclude", "excluding", "excl", "not", "no", "non"})
# Salt and hydrate words: a name may leave them out (argatroban hydrochloride = argatroban),
# but when written they tell products apart (methylprednisolone acetate vs sodium succinate)
# and some are the drug itself (calcium gluconate, magnesium sulfate).
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
# Units a strength or concentration is written in ("100MCG/0.5ML", "1,000 units", "2 mg/kg",
# a cell therapy's "2.5 million cells/mL").
_UNITS = (r"(?:mg|mgs|milligrams?|mcg|µg|μg|ug|micrograms?|g|gm|grams?|ml|millilit(?:er|re)s?|"
          r"l|cc|(?:million\s+|usp\s+)?units?|u|iu|i\.u\.|international\s+units?|meq|mmol|"
          r"(?:(?:million|billion)\s+)?(?:viable\s+)?cells?|"
          r"mci|uci|millicuries?|microcuries?|%|kg|m2|hr|h|day|actuation|spray)")
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


# The route of a row that only says "injection": any parenteral route fits it, oral does not.
INJECTED = "injection"
PARENTERAL = frozenset({"intravenous", "subcutaneous", "intramuscular", "intravitreal",
                        "intrathecal", "intradermal", "intravesical", INJECTED})


def routes_fit(route: str, routes: frozenset[str]) -> bool:
    """Does a row's route fit a code's routes? 'injection' fits any parenteral one."""
    return route in routes or (route == INJECTED and bool(routes & PARENTERAL))


class Word(NamedTuple):
    """One identifying word and the biosimilar suffix attached to it (None when none)."""

    text: str
    suffix: str | None = None

    def __str__(self) -> str:
        return f"{self.text}-{self.suffix}" if self.suffix else self.text


@dataclass(frozen=True)
class DrugWords:
    """What a name says about the product: its identifying words, the route if it names one,
    and whether it calls itself a biosimilar."""

    words: tuple[Word, ...]
    route: str | None = None
    routes: frozenset[str] = field(default_factory=frozenset)
    biosimilar: bool = False

    @cached_property
    def texts(self) -> frozenset[str]:
        return frozenset(word.text for word in self.words)

    @cached_property
    def suffixes(self) -> dict[str, str | None]:
        return {word.text: word.suffix for word in self.words}

    def __str__(self) -> str:
        return " ".join(map(str, self.words))


class Lexicon(NamedTuple):
    """What CMS's own files say about words, for reading a name against them.

    suffixes: the FDA suffixes CMS codes use; words: every word CMS uses anywhere (a
    four-letter word found there is a word, not a suffix); drugs: the words of drug codes'
    generic names (a word after which an unknown four-letter word is an unknown suffix, and
    pairs such as 'peg' + 'filgrastim' that join into one).
    """

    suffixes: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()
    drugs: frozenset[str] = frozenset()


NO_LEXICON = Lexicon()


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


def drug_words(text: str | None, lexicon: Lexicon = NO_LEXICON) -> DrugWords:
    """The identifying words of a name, each with its suffix, and the route it names.

    With a lexicon, a four-letter word after a drug name is a suffix even when a space stands
    for the dash: one CMS knows ('tocilizumab anoh'), or one CMS has never used as a word
    ('teclistamab cqyy', a typo or a new biosimilar, never the suffix-less reference); two
    words that join into a CMS drug word are one ('PEG filgrastim' = pegfilgrastim).
    """
    cleaned = _STRENGTH.sub(" ", plain_text(text))
    cleaned = _DASH_SUFFIX.sub(lambda m: _dash_or_word(m, lexicon), cleaned)
    words: list[Word] = []
    routes: list[str] = []
    biosimilar = injected = False
    previous = ""
    for stem, suffix in _tokens(cleaned, lexicon):
        negated, previous = previous in NEGATIONS, stem
        injected = injected or stem in INJECTION_WORDS
        if _placeholder(suffix, lexicon):
            biosimilar, suffix = True, ""
        if stem in ROUTES or stem in SUBCUTANEOUS_DEVICES:
            routes.append(ROUTES.get(stem, "subcutaneous"))
        elif stem in BIOSIMILAR_WORDS:
            biosimilar = biosimilar or not negated
        elif stem.isdigit() or stem in FILLER_WORDS:
            continue
        elif _is_spaced_suffix(stem, words, lexicon):
            if _placeholder(stem, lexicon):
                biosimilar = True
            else:
                words[-1] = Word(words[-1].text, stem)
        elif words and _joins(words[-1], stem, lexicon):
            words[-1] = Word(words[-1].text + stem, suffix or None)
        else:
            words.append(Word(stem, suffix or None))
    found = frozenset(routes) or (frozenset({INJECTED}) if injected else frozenset())
    return DrugWords(tuple(dict.fromkeys(words)),
                     next(iter(found)) if len(found) == 1 else None, found, biosimilar)


def _tokens(cleaned: str, lexicon: Lexicon) -> list[tuple[str, str]]:
    """(word, suffix) per token, each abbreviation read as the words it stands for, and 'non'
    joined to the word it negates: J2354's 'non-depot form' is not J2353's 'depot form'."""
    found: list[tuple[str, str]] = []
    for token in _TOKEN.findall(cleaned):
        stem, _, suffix = token.partition("-")
        if stem == "non" and suffix:  # 'non-esrd', read as a suffix without a lexicon
            stem, suffix = "non" + suffix, ""
        elif found and found[-1] == ("non", "") and stem not in BIOSIMILAR_WORDS:
            found.pop()
            stem = "non" + stem
        spelled = ABBREVIATIONS.get(stem) if stem not in lexicon.suffixes else None
        found += [(word, "") for word in spelled[:-1]] + [(spelled[-1], suffix)] if spelled \
            else [(stem, suffix)]
    return found


def _joins(previous: Word, stem: str, lexicon: Lexicon) -> bool:
    """'PEG filgrastim' is pegfilgrastim: two words that make a CMS drug word when the first
    is no drug word itself ('immune globulin' stays two)."""
    return (not previous.suffix and previous.text not in lexicon.drugs
            and previous.text + stem in lexicon.drugs)


def routes_named(text: str | None) -> frozenset[str]:
    """The routes a text names ('for intravenous injection' -> {'intravenous'}), cheaply."""
    return frozenset(ROUTES[token] for token in _TOKEN.findall(plain_text(text))
                     if token in ROUTES)


def _dash_or_word(found: re.Match[str], lexicon: Lexicon) -> str:
    """'x - abcd' -> 'x-abcd' (a suffix), unless abcd is a word ('high-dose' stays 2 words)."""
    four = found[1]
    is_word = _never_suffix(four) or (four in lexicon.words and four not in lexicon.suffixes
                                       and not placeholder_suffix(four))
    return f" {four}" if is_word else f"-{four}"


def _is_spaced_suffix(stem: str, words: list[Word], lexicon: Lexicon) -> bool:
    """'tocilizumab anoh' (a suffix CMS knows) or 'teclistamab cqyy' (four letters CMS never
    uses as a word, after a drug name): a suffix, right after a word without one."""
    if len(stem) != 4 or not words or words[-1].suffix or _never_suffix(stem):
        return False
    if placeholder_suffix(stem):
        return True
    if stem in lexicon.words and stem not in lexicon.suffixes:
        return False
    return stem in lexicon.suffixes or (words[-1].text in lexicon.drugs and stem.isalpha())


def placeholder_suffix(four: str) -> bool:
    """'xxxx', 'zzzz': a suffix not given yet ('bamlanivimab-xxxx'), no product's suffix."""
    return bool(_PLACEHOLDER_SUFFIX.match(four))


def _placeholder(suffix: str, lexicon: Lexicon) -> bool:
    return placeholder_suffix(suffix) and suffix not in lexicon.suffixes


def _never_suffix(four: str) -> bool:
    """Four letters that are a word, a package or dosage form, or an abbreviation."""
    return four in NOT_SUFFIXES or four in FILLER_WORDS or four in ABBREVIATIONS


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
