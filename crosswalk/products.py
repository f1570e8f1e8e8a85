"""Which CMS product codes a line of the practice's list names: the identification behind
every verdict, written so that a messy list can never switch a drug to another product's code.

Each permanent drug code is known by names (`Entry`): the generic part of its HCPCS descriptor
("Injection, nivolumab, 2 mg and hyaluronidase-nvhy" -> nivolumab, hyaluronidase-nvhy), each
brand in its parentheses, and the crosswalk's Drug Names. A list row is a bag of words (drug
name and brand cells together, through crosswalk.drug_names). Then:

- a name is **found** in the row when every one of its words is there, with the same biosimilar
  suffix (a row without a suffix still finds a suffixed name, marked "suffix missing"); INN
  prefixes (ado-, fam-, ziv-), "recombinant", "human" and salts may be left out by the row;
- a code explaining a strict subset of the row words another found code explains is
  **outranked** ("nivolumab and hyaluronidase" outranks plain nivolumab; "Tecvayli
  teclistamab-cqyv" outranks the interim C-code that only matches the generic; a salt or a
  manufacturer written on the row tells one code from another);
- identified by its generic words alone, a code has **siblings**: the other codes carrying all
  of those words (nivolumab -> J9299, J9289 nivolumab and hyaluronidase, J9298 nivolumab and
  relatlimab). Siblings make the row ambiguous; a brand or an NDC settles it;
- a code CMS restricts to a use ("for hospitalized ... covid-19", an insulin pump) gives way
  to the same product's unrestricted code, and alone never settles a row;
- the row's route picks between one product's IV and SC codes, and a route the only code's
  descriptor contradicts (SC against "intravenous"), or SC beside a brand whose subcutaneous
  twin CMS codes apart (Darzalex SC: J9144, not J9145), leaves the row unsettled;
- "<reference brand> biosimilar" is one of the reference's biosimilars, never the reference;
- a row word no found name explains leaves the row unsettled when it looks like a drug (a CMS
  drug word, a suffixed word, an INN stem) or, beside a brand, when CMS never uses it at all
  ("Keytruda Qlex" is not Keytruda); notes, labelers and codes typed beside a brand are words
  CMS uses and do not;
- a row that finds nothing is read once more with each unknown word replaced by the CMS word
  it resembles (a spelling to confirm), and then as part of longer CMS names (travoprost ->
  J7355 travoprost intracameral implant; Abilify -> Abilify Maintena, Abilify Asimtufii):
  both only ever lead to REVIEW.

The outcome lists codes, never a verdict: crosswalk.match decides with dates and settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from rapidfuzz import fuzz, process

from crosswalk.drug_names import (INJECTED, PARENTERAL, SALT_WORDS, DrugWords, Lexicon, Word,
                                  drug_words, placeholder_suffix, routes_fit, routes_named,
                                  split_names)

GENERIC, BRAND = "generic_name", "brand_name"
DESCRIPTOR_FIELD, CROSSWALK_FIELD = "hcpcs_codes.long_description", "asp_ndc_crosswalk.drug_name"
# Descriptor clauses and parenthesised groups that qualify a code instead of naming the drug.
_QUALIFIER = re.compile(
    r"^\s*(?:(?:for|only|not|fda|administered|includ|excludes|when|which|that|used|code may|"
    r"list separately|eg|see|per|up to|greater than|less than|each additional|requires|"
    r"with or without|any type)\b|e\.g\.|i\.e\.)|\betc\b")
# '(non-esrd use)' (J0881, Q0138, Q9973) is a use like '(for esrd on dialysis)', no brand
# 'esrd' that a row saying "ESRD on dialysis" would find ('non-depot form' is a name clause).
_USE_GROUP = re.compile(r"^\s*non\b")
_FOR = re.compile(r"\s+for\s+")  # 'Insulin for administration through dme': a use, mid-clause
# Codes CMS restricts to a use, a population or a device: they never compete with an
# unrestricted code and never settle a row alone.
_RESTRICTED = re.compile(r"hospitali[sz]ed|covid|only for use|for use (?:as|in|with)|\besrd\b|"
                         r"dialysis|pre-exposure|prophylaxis|through dme|insulin pump",
                         re.IGNORECASE)
# The words of a restriction a row may write to mean that use ('... through DME', 'pump').
_RESTRICTION_WORDS = frozenset({"hospitalized", "hospitalised", "covid", "esrd", "dialysis",
                                "prophylaxis", "prep", "dme", "pump"})
# Word endings of international nonproprietary names: an unexplained word ending so is a drug.
_INN_STEMS = tuple("""
    mab cept stim ase kin tide parin vir nib lib tug fusp gene cel poetin ermin plase irsen
    siran platin taxel rubicin mycin cillin azole tecan mustine parib zomib tansine vedotin
    ozogamicin relin tocin pressin lutide prazole statin sartan oxacin cycline toxin toxina
    apine idone afil ciclib degib lisib rsen
""".split())
_CODE_LIKE = re.compile(r"^[a-z]\d{4}$")
SPELLING_CUTOFF = 85.0
# Words a name may leave out: INN prefixes that tell products apart (ado-trastuzumab
# emtansine, ziv-aflibercept) and words FDA names add ("recombinant", "human").
OPTIONAL_WORDS = frozenset({"ado", "fam", "ziv", "recombinant", "human"})


@dataclass(frozen=True)
class Entry:
    """One name CMS gives a code: what the matcher finds in a list row."""

    entry_id: int
    code: str
    basis: str              # generic_name | brand_name
    matched_field: str
    matched_text: str
    words: DrugWords


@dataclass(frozen=True)
class Found:
    """An entry found in a row; `suffix_missing` when the row lacks the entry's suffix."""

    entry: Entry
    suffix_missing: bool = False


@dataclass
class Identification:
    """What a row names: the codes, how they were reached, and the evidence for both.

    how: generic | brand (a brand name was found) | spelling (found after reading a
    misspelt word as the CMS word it resembles) | partial (the row's words are only part of
    longer CMS names: `siblings` lists them) | none. `conflict` (generic and brand name
    different products) and `doubt` (a route, a restriction or "biosimilar" the codes do not
    fit) keep the row from being settled.
    """

    codes: list[str]
    found: list[Found]
    how: str
    siblings: list[str] = field(default_factory=list)
    outranked: list[Found] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)
    conflict: str | None = None
    doubt: str | None = None
    near_misses: list[tuple[str, str]] = field(default_factory=list)
    compared: int = 0

    @property
    def settled(self) -> bool:
        """True when the row names exactly one code beyond doubt."""
        return (len(self.codes) == 1 and not self.siblings and not self.unexplained
                and self.how in ("brand", "generic") and self.conflict is None
                and self.doubt is None)

    def candidates(self) -> list[str]:
        return sorted(set(self.codes) | set(self.siblings))


@dataclass
class Catalog:
    """Every name of every candidate code, and what the normaliser and the rules need."""

    entries: list[Entry]
    lexicon: Lexicon
    restricted_codes: frozenset[str]
    routes: Mapping[str, frozenset[str]]
    ended_codes: frozenset[str] = frozenset()
    # words a code's descriptor adds beside its names (manufacturers, "(human)"): they tell
    # codes apart when a row writes them, but never find a code alone
    extra_words: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # the words of the labelers whose NDCs the crosswalks list under each code
    labelers: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # (ended code, live code effective the day after it ended): a possible successor
    successions: frozenset[tuple[str, str]] = frozenset()
    # codes whose descriptor names an injection and no route: never an oral or topical drug
    injected: frozenset[str] = frozenset()
    index: dict[str, list[Entry]] = field(default_factory=dict, init=False)
    by_code: dict[str, list[Entry]] = field(default_factory=dict, init=False)
    # name words of 5 letters or more by their first two letters: a misspelling keeps those
    by_opening: dict[str, list[str]] = field(default_factory=dict, init=False)
    respelt: dict[str, str | None] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        for entry in self.entries:
            self.by_code.setdefault(entry.code, []).append(entry)
            for text in entry.words.texts:
                self.index.setdefault(text, []).append(entry)
        for word in sorted(self.index):
            if len(word) >= 5 and word not in SALT_WORDS:
                self.by_opening.setdefault(word[:2], []).append(word)

    @cached_property
    def labeler_words(self) -> frozenset[str]:
        return frozenset().union(*self.labelers.values())

    @property
    def vocabulary(self) -> frozenset[str]:
        """The words of drug codes' generic names: drug words."""
        return self.lexicon.drugs

    def entries_for(self, words: Iterable[str]) -> list[Entry]:
        """Entries sharing at least one word with `words` (the only ones worth comparing)."""
        chosen = {entry.entry_id: entry for word in words for entry in self.index.get(word, ())}
        return list(chosen.values())

    def generic_entry(self, code: str) -> Entry | None:
        """The code's descriptor generic name ('mosunetuzumab-axgb' for J9350)."""
        return next((entry for entry in self.by_code.get(code, ())
                     if entry.basis == GENERIC and entry.matched_field == DESCRIPTOR_FIELD), None)

    def generic_name(self, code: str) -> DrugWords | None:
        entry = self.generic_entry(code)
        return entry.words if entry else None

    def product(self, code: str) -> frozenset[Word]:
        """The code's product: its generic name's words with their suffixes, in any order."""
        name = self.generic_name(code)
        return frozenset(name.words) if name else frozenset()

    def row_words(self, *cells: str | None, route: str | None = None) -> DrugWords:
        """A list row's cells as one bag of words; a route column wins over route words."""
        parsed = [drug_words(cell, self.lexicon) for cell in cells]
        words = tuple(dict.fromkeys(word for part in parsed for word in part.words))
        named = frozenset().union(*(part.routes for part in parsed))
        chosen = route or (next(iter(named)) if len(named) == 1 else None)
        return DrugWords(words, chosen, named | ({route} if route else frozenset()),
                         any(part.biosimilar for part in parsed))

    def spelled_like(self, word: str) -> str | None:
        """The CMS name word a misspelt row word resembles ('rituxumab' -> 'rituximab',
        'keytrudda' -> 'keytruda'); only words with the same first two letters are compared."""
        if len(word) < 5 or word in self.index or word in self.lexicon.words:
            return None
        if word not in self.respelt:
            best = process.extractOne(word, self.by_opening.get(word[:2], ()),
                                      scorer=fuzz.ratio, score_cutoff=SPELLING_CUTOFF)
            self.respelt[word] = best[0] if best else None
        return self.respelt[word]


def build_catalog(descriptors: Iterable[tuple[str, str]],
                  crosswalk_names: Iterable[tuple[str, str]],
                  ended_codes: Iterable[str] = (), cms_words: Iterable[str] = (),
                  labelers: Iterable[tuple[str, str]] = (),
                  successions: Iterable[tuple[str, str]] = ()) -> Catalog:
    """Entries from (code, long description) and (code, crosswalk Drug Name) pairs.

    `cms_words` are the words CMS uses anywhere (every descriptor, labeler names): a row word
    among them is never taken for an unknown product name. A parenthesised group or crosswalk
    name made only of generic words ('Pemetrexed') names the drug generically, not a brand;
    one that names several products ('hospira', 'human') is a manufacturer or a qualifier and
    only helps tell codes apart.
    """
    texts = dict(descriptors)
    parts = {code: _descriptor_parts(text) for code, text in texts.items()}
    suffixes = frozenset(found for generic, _, _ in parts.values()
                         for found in re.findall(r"-([a-z]{4})\b", generic.lower())
                         if not placeholder_suffix(found))
    bare = Lexicon(suffixes)
    generics = {code: drug_words(generic, bare) for code, (generic, _, _) in parts.items()}
    drugs = frozenset(word.text for words in generics.values() for word in words.words)
    lexicon = Lexicon(suffixes, frozenset(cms_words) | drugs, drugs)
    entries: list[Entry] = []

    def add(code: str, basis: str, where: str, text: str, words: DrugWords) -> None:
        if words.words:
            entries.append(Entry(len(entries), code, basis, where, text, words))

    for code, words in generics.items():
        if any(word.suffix in lexicon.words for word in words.words):
            words = drug_words(parts[code][0], lexicon)  # a "suffix" was a CMS word after all
        add(code, GENERIC, DESCRIPTOR_FIELD, texts[code], words)
    aliases, extra = _aliases(parts, lexicon, generics)
    for code, alias in aliases:
        add(code, BRAND, DESCRIPTOR_FIELD, texts[code], alias)
    for code, name in dict.fromkeys(crosswalk_names):
        named = drug_words(name, lexicon)
        add(code, GENERIC if named.texts <= drugs else BRAND, CROSSWALK_FIELD, name, named)
    restricted = frozenset(code for code, (_, _, qualifiers) in parts.items()
                           if _RESTRICTED.search(" ".join(qualifiers)))
    routes = {code: (generics[code].routes | routes_named(" ".join(parts[code][2])))
              - {INJECTED} for code in parts}
    makers: dict[str, set[str]] = {}
    for code, labeler in labelers:
        makers.setdefault(code, set()).update(re.findall(r"[a-z]+", labeler.lower()))
    injected = frozenset(code for code, words in generics.items() if INJECTED in words.routes)
    return Catalog(entries, lexicon, restricted, routes, frozenset(ended_codes), extra,
                   {code: frozenset(words) for code, words in makers.items()},
                   frozenset(successions), injected)


def _aliases(parts: Mapping[str, tuple[str, list[str], list[str]]], lexicon: Lexicon,
             generics: Mapping[str, DrugWords]
             ) -> tuple[list[tuple[str, DrugWords]], dict[str, frozenset[str]]]:
    """The brands in descriptors' parentheses, and each code's extra words: groups of generic
    words ('(human)', '(antihemophilic factor, recombinant)') and names several products share
    (manufacturers: '(hospira)', '(baxter)')."""
    named: dict[str, list[tuple[str, DrugWords]]] = {}
    extra: dict[str, set[str]] = {}
    for code, (_, groups, _) in parts.items():
        for alias in (alias for group in groups for alias in re.split(r"/|,|\bor\b", group)):
            words = drug_words(alias, lexicon)
            if not any(len(word.text) >= 3 for word in words.words):
                continue  # a letter of 'rho(d)', not a name
            if words.texts <= lexicon.drugs:
                extra.setdefault(code, set()).update(_long_words(words))
            else:
                named.setdefault(str(words), []).append((code, words))
    aliases = []
    for holders in named.values():
        if len({frozenset(generics[code].words) for code, _ in holders}) > 1:
            for code, words in holders:
                extra.setdefault(code, set()).update(_long_words(words))
        else:
            aliases += holders
    return aliases, {code: frozenset(words) for code, words in extra.items()}


def _long_words(words: DrugWords) -> set[str]:
    """The words of a manufacturer or qualifier that can tell codes apart: not the 's' of
    "(dr. reddy's)" a row truncated at '(S' would hold."""
    return {word for word in words.texts if len(word) >= 3}


def _descriptor_parts(text: str) -> tuple[str, list[str], list[str]]:
    """'Injection, tocilizumab-anoh (avtozma), biosimilar, for hospitalized ..., 1 mg' ->
    (the generic clauses, the parenthesised names, the qualifying clauses and groups).

    The first clause that qualifies ('for hospitalized...', 'not therapeutically equivalent
    to...', 'per 10 mg') and every clause after it describe use and dose, not the drug; so
    does ' for ...' inside a clause ('Insulin for administration through dme')."""
    outside, *groups = split_names(text) or [""]
    generic: list[str] = []
    qualifiers: list[str] = []
    for clause in re.split(r"[,;]", outside):
        if qualifiers or _QUALIFIER.search(clause.lower()):
            qualifiers.append(clause)
            continue
        head, *use = _FOR.split(clause, maxsplit=1)
        generic.append(head)
        qualifiers += [f"for {tail}" for tail in use]
    uses = [group for group in groups
            if _QUALIFIER.search(group.lower()) or _USE_GROUP.match(group.lower())]
    names = [group for group in groups if group not in uses]
    qualifiers += uses
    return " ".join(generic), names, qualifiers


# ---------------------------------------------------------------------------------------------
# Identifying one row
# ---------------------------------------------------------------------------------------------


def find(row: DrugWords, entry: Entry) -> Found | None:
    """The entry as found in the row, or None: every needed entry word present, suffixes
    agreeing.

    A brand carries no suffix, so only a generic name's suffixes are compared, as a set over
    the words the name covers ('Deruxtecan Datopotamab-DLNK' finds datopotamab
    deruxtecan-dlnk): equal sets find it; a row without any suffix still finds a suffixed name
    (suffix missing); a row suffix the name lacks never does (rituximab-arrx never finds
    plain rituximab).
    """
    have = row.suffixes
    if any(word.text not in have for word in _needed(entry.words)):
        return None
    if entry.basis == BRAND:
        return Found(entry)
    mine = {have[w.text] for w in entry.words.words if have.get(w.text)}
    theirs = {w.suffix for w in entry.words.words if w.suffix}
    if mine == theirs:
        return Found(entry)
    return Found(entry, suffix_missing=True) if not mine else None


def _needed(words: DrugWords) -> list[Word]:
    """The words a row must have to find a name: all but the optional ones (INN prefixes,
    'recombinant', 'human', and salts beside a drug's own name)."""
    core = [w for w in words.words if w.suffix or w.text not in OPTIONAL_WORDS]
    named = [w for w in core if w.suffix or w.text not in SALT_WORDS]
    return named or core


def identify(catalog: Catalog, row: DrugWords) -> Identification:
    """The codes a row names (see the module docstring for the rules)."""
    entries = catalog.entries_for(row.texts)
    result = _from_found(catalog, row, [hit for entry in entries
                                        if (hit := find(row, entry)) is not None], "generic")
    result.compared = len(entries)
    if result.codes:
        return result
    result.near_misses = suffix_near_misses(catalog, row)
    guessed = _respelt(catalog, row)
    if guessed is not None:
        guessed.compared += result.compared
        return guessed
    result.siblings = _longer_names(catalog, row)
    result.how = "partial" if result.siblings else "none"
    return result


def _respelt(catalog: Catalog, row: DrugWords) -> Identification | None:
    """The row read with each misspelt word as the CMS word it resembles, if that finds a
    code; never settled (how = spelling)."""
    spelling = {word.text: cms for word in row.words if (cms := catalog.spelled_like(word.text))}
    if not spelling:
        return None
    corrected = DrugWords(tuple(Word(spelling.get(w.text, w.text), w.suffix) for w in row.words),
                          row.route, row.routes, row.biosimilar)
    guessed = identify(catalog, corrected)
    if not guessed.codes:
        return None
    guessed.how = "spelling"
    guessed.notes.insert(0, "spelling differs from CMS: " + ", ".join(
        f"'{mine}' looks like '{cms}'" for mine, cms in spelling.items()))
    return guessed


def _from_found(catalog: Catalog, row: DrugWords, found: list[Found],
                how: str) -> Identification:
    if not found:
        return Identification([], [], "none", unexplained=_drug_like(catalog, row, set()))
    explained = _explained(catalog, row, {hit.entry.code for hit in found})
    best = sorted(code for code in explained
                  if not any(_outranks(catalog, explained, other, code) for other in explained))
    kept = [hit for hit in found if hit.entry.code in best]
    branded = {hit.entry.code for hit in kept if hit.entry.basis == BRAND}
    result = Identification(best, kept, "brand" if branded else how,
                            outranked=[hit for hit in found if hit.entry.code not in best])
    if branded and branded != set(best):
        result.conflict = (f"the generic name matches {', '.join(sorted(set(best) - branded))} "
                           f"but the brand matches {', '.join(sorted(branded))}")
    if not branded:  # a code found and outranked (by a manufacturer...) is no sibling
        beaten = set(explained) - set(best)
        result.siblings = [code for code in _siblings(catalog, row, kept, set(best))
                           if code not in beaten]
    _maker_elsewhere(catalog, result, explained)
    _prefer_route(catalog, row, result)  # before: an oral row keeps Q0161, the oral code
    _prefer_unrestricted(catalog, row, result)
    for check in (_restricted_alone, _biosimilar_of_reference, _longer_brand,
                  _route_against_code):
        if result.doubt is None:
            check(catalog, row, result)
    live = [code for code in result.codes + result.siblings if code not in catalog.ended_codes]
    if any(hit.suffix_missing for hit in kept) and len(live) == 1 and live[0] in result.codes:
        name = catalog.generic_name(live[0]) or live[0]
        result.notes.append(f"suffix missing on your list: {name} is the only product CMS "
                            "codes under that name")
    result.unexplained = _unexplained(catalog, row, result, set().union(*explained.values()))
    return result


def _outranks(catalog: Catalog, explained: Mapping[str, set[str]], other: str,
              code: str) -> bool:
    """`other` explains the row words `code` does and more. An ended code outranks a live one
    only by a drug word the live one lacks (J9247 melphalan flufenamide, ended, over J9245
    melphalan hydrochloride), and never the live code that started the day after it ended:
    a fuller old descriptor never hides its successor (C9159 'prothrombin complex concentrate
    (human), balfaxar', ended 2024-03-31, and J7165 'human-lans' from 2024-04-01)."""
    if not explained[code] < explained[other]:
        return False
    if other not in catalog.ended_codes or code in catalog.ended_codes:
        return True
    return (other, code) not in catalog.successions and any(
        looks_like_drug(catalog, Word(word)) for word in explained[other] - explained[code])


def _maker_elsewhere(catalog: Catalog, result: Identification,
                     explained: Mapping[str, set[str]]) -> None:
    """A manufacturer written on the row picks the code CMS names after it ('bortezomib
    (fresenius kabi)', 'heparin sodium (pfizer)'), unless the crosswalk lists that company's
    NDCs of the drug under another code the row's name found too (Fresenius Kabi's generic
    bortezomib is on J9041, Pfizer's Hospira heparin on J1644): then both, for review."""
    if len(result.codes) != 1:
        return
    code = result.codes[0]
    core = _core(catalog, code)
    makers = {word for word in explained[code] - core if word in catalog.labeler_words}
    drug = core - SALT_WORDS
    others = sorted(other for other in explained if other != code and makers
                    and other not in catalog.ended_codes and drug <= explained[other]
                    and makers <= catalog.labelers.get(other, frozenset()))
    if others:
        result.siblings = sorted(set(result.siblings) | set(others))
        result.doubt = (f"your list names {' '.join(sorted(makers)).title()}, whose NDCs of "
                        f"this drug the CMS crosswalk lists under {', '.join(others)} as well "
                        f"as {code}: give the NDC")


def _explained(catalog: Catalog, row: DrugWords, codes: set[str]) -> dict[str, set[str]]:
    """Per code found, the row words any of its names (or its descriptor's extra words, such
    as a manufacturer) use: what outranking compares."""
    return {code: {word for entry in catalog.by_code[code] for word in _supported(row, entry)}
            | (row.texts & catalog.extra_words.get(code, frozenset())) for code in codes}


def _supported(row: DrugWords, entry: Entry) -> set[str]:
    """The row words an entry uses: a brand's only when the whole brand is there ('liquid'
    alone is no support for 'Gammagard Liquid'); a generic name's unless the row gives them a
    suffix the name lacks (rituximab-arrx is no support for rituximab-abbs)."""
    shared = row.texts & entry.words.texts
    if entry.basis == BRAND:
        return shared if shared == entry.words.texts else set()
    mine = {row.suffixes[word] for word in shared if row.suffixes[word]}
    theirs = {word.suffix for word in entry.words.words if word.suffix}
    return shared if mine <= theirs else set()


def supports(catalog: Catalog, row: DrugWords, code: str) -> bool:
    """True when some name of `code` uses one of the row's drug words: an NDC's code must
    fit the name beside it (the reference's NDC beside an uncoded biosimilar's name does not)."""
    named = {w.text for w in row.words if looks_like_drug(catalog, w)}
    return any(_supported(row, entry) & named for entry in catalog.by_code.get(code, ()))


def _siblings(catalog: Catalog, row: DrugWords, kept: list[Found],
              best: set[str]) -> list[str]:
    """Other codes whose generic name holds every word the row was identified by (and the
    row's suffixes on them, when it gives any)."""
    words = {w.text for hit in kept for w in hit.entry.words.words if w.text in row.texts}
    return _holding(catalog, row, words, best)


def _longer_names(catalog: Catalog, row: DrugWords) -> list[str]:
    """Codes with a name holding all the row's name words, when no name was found:
    'travoprost' is only part of J7355's 'travoprost, intracameral implant', 'Abilify' of
    'Abilify Maintena' and 'Abilify Asimtufii'."""
    if not row.texts or not row.texts <= catalog.index.keys():
        return []  # a word no CMS name has ('Depo-Provera'): the row names something else
    words = {word for word in row.texts if word not in SALT_WORDS}
    return _holding(catalog, row, words, set(), any_basis=True) if words else []


def _holding(catalog: Catalog, row: DrugWords, words: set[str], besides: set[str],
             any_basis: bool = False) -> list[str]:
    mine = {row.suffixes[w] for w in words if row.suffixes.get(w)}
    return sorted({entry.code for entry in catalog.entries_for(words)
                   if entry.code not in besides and (any_basis or entry.basis == GENERIC)
                   and words <= entry.words.texts
                   and mine <= {w.suffix for w in entry.words.words}})


def _prefer_unrestricted(catalog: Catalog, row: DrugWords, result: Identification) -> None:
    """Q0237 (tocilizumab-anoh for hospitalized COVID-19 patients) gives way to Q5156, the
    same product's code without a restriction; different products never give way."""
    if row.texts & _RESTRICTION_WORDS:
        return  # the row names the restricted use itself
    live = [code for code in result.codes + result.siblings if code not in catalog.ended_codes]
    free = {catalog.product(code) for code in live if code not in catalog.restricted_codes}
    dropped = sorted(code for code in live
                     if code in catalog.restricted_codes and catalog.product(code) in free)
    if dropped and set(result.codes) - set(dropped):
        result.codes = [code for code in result.codes if code not in dropped]
        result.siblings = [code for code in result.siblings if code not in dropped]
        result.notes.append(f"{', '.join(dropped)}: restricted by CMS to a use (see the "
                            "descriptor), not considered")


def _restricted_alone(catalog: Catalog, row: DrugWords, result: Identification) -> None:
    """Only a use-restricted code fits (Humulin's NDCs are crosswalked to J1817, insulin for a
    pump): never a switch; the same drug's unrestricted codes are listed beside it."""
    live = [code for code in result.codes if code not in catalog.ended_codes]
    if not live or not all(code in catalog.restricted_codes for code in live) \
            or row.texts & _RESTRICTION_WORDS:
        return
    words = set().union(*(_core(catalog, code) for code in live))
    others = [code for code in _holding(catalog, row, words, set(live))
              if code not in catalog.restricted_codes and code not in catalog.ended_codes]
    result.siblings = sorted(set(result.siblings) | set(others))
    result.doubt = (f"{', '.join(live)} {'is' if len(live) == 1 else 'are'} restricted by "
                    f"CMS to a use (see {'its' if len(live) == 1 else 'their'} descriptor"
                    f"{'' if len(live) == 1 else 's'}); confirm how the drug is given")


def _biosimilar_of_reference(catalog: Catalog, row: DrugWords,
                             result: Identification) -> None:
    """'Herceptin biosimilar' is one of trastuzumab's biosimilars, never J9355 itself (whose
    descriptor says 'excludes biosimilar'): the biosimilar codes are listed instead."""
    if not row.biosimilar:
        return
    references = [code for code in result.codes if code not in catalog.ended_codes
                  and (name := catalog.generic_name(code)) and not any(w.suffix for w in name.words)]
    if not references:
        return
    cores = set().union(*(_core(catalog, code) for code in references))
    biosimilars = sorted({entry.code for entry in catalog.entries_for(cores)
                          if entry.basis == GENERIC and entry.words.texts == cores
                          and any(w.suffix for w in entry.words.words)})
    result.codes = [code for code in result.codes if code not in references] or references
    result.siblings = sorted(set(result.siblings) | set(biosimilars))
    result.doubt = (f"your list says biosimilar, but {', '.join(references)} is the reference "
                    "product: pick the biosimilar's own code")


def _longer_brand(catalog: Catalog, row: DrugWords, result: Identification) -> None:
    """'Sandostatin LAR': a row word the found brand lacks that a longer brand of it holds
    (crosswalk 'Sandostatin Lar Depot', J2353, the depot; 'Sandostatin' is J2354): the row
    may name the longer brand's product, so its codes are listed beside, for review."""
    if result.how != "brand":
        return
    brands = [hit.entry.words.texts for hit in result.found if hit.entry.basis == BRAND]
    left = row.texts - {word for hit in result.found for word in hit.entry.words.texts}
    longer = sorted({(entry.code, entry.matched_text, word) for brand in brands
                     for entry in catalog.entries_for(brand)
                     if entry.basis == BRAND and brand < entry.words.texts
                     and entry.code not in result.codes and entry.code not in catalog.ended_codes
                     for word in sorted(entry.words.texts & left)})
    if longer:
        result.siblings = sorted(set(result.siblings) | {code for code, _, _ in longer})
        result.doubt = "; ".join(f"'{word}' on your list is part of the brand {name} ({code})"
                                 for code, name, word in longer) + ": confirm the product"


def _route_against_code(catalog: Catalog, row: DrugWords, result: Identification) -> None:
    """The row's route against the one code it names: a descriptor naming another route
    (SC against 'intravenous'), or SC beside a code whose subcutaneous twin CMS codes apart
    (Darzalex SC: J9144 daratumumab and hyaluronidase, not J9145)."""
    live = [code for code in result.codes + result.siblings if code not in catalog.ended_codes]
    if not row.route or len(live) != 1:
        return
    code, routes = live[0], catalog.routes.get(live[0], frozenset())
    if routes and not routes_fit(row.route, routes):
        result.doubt = (f"your list says {row.route}, but {code}'s descriptor says "
                        f"{', '.join(sorted(routes))}")
    elif not routes and code in catalog.injected and row.route not in PARENTERAL:
        result.doubt = f"your list says {row.route}, but {code} is an injection"
    elif not routes and row.route == "subcutaneous":
        twins = [twin for twin in _twins(catalog, row, result, code)
                 if twin not in catalog.ended_codes and _subcutaneous_form(catalog, twin)]
        if twins:
            result.siblings = sorted(set(result.siblings) | set(twins))
            result.doubt = (f"your list says subcutaneous: CMS codes the subcutaneous form "
                            f"apart ({', '.join(twins)})")


def _twins(catalog: Catalog, row: DrugWords, result: Identification, code: str) -> list[str]:
    """Codes of the same product in another form: by a brand, those whose brand extends it
    ('Darzalex Faspro' for 'Darzalex'); by a generic name, those whose name holds it."""
    if result.how != "brand":
        return _holding(catalog, row, _core(catalog, code), {code})
    brands = [hit.entry.words.texts for hit in result.found if hit.entry.basis == BRAND]
    return sorted({entry.code for brand in brands for entry in catalog.entries_for(brand)
                   if entry.code != code and entry.basis == BRAND
                   and brand < entry.words.texts})


def _core(catalog: Catalog, code: str) -> set[str]:
    name = catalog.generic_name(code)
    return set(name.texts) if name else set()


def _subcutaneous_form(catalog: Catalog, code: str) -> bool:
    """A code for a product's subcutaneous form: its descriptor says so, or it is the
    'X and hyaluronidase' twin (Darzalex Faspro, Herceptin Hylecta, Opdivo Qvantig...)."""
    return ("subcutaneous" in catalog.routes.get(code, frozenset())
            or "hyaluronidase" in _core(catalog, code))


def _prefer_route(catalog: Catalog, row: DrugWords, result: Identification) -> None:
    """One product with IV and SC codes, or forms of a drug whose descriptors each state
    their routes (J2353 octreotide depot 'for intramuscular injection', J2354 non-depot 'for
    subcutaneous or intravenous injection'): the row's route picks the code, when it names
    one."""
    pool = result.codes + result.siblings
    if not row.route or len(pool) < 2:
        return
    if len({catalog.product(c) for c in pool}) > 1 and not all(
            catalog.routes.get(code) for code in pool):
        return
    fitting = [code for code in pool if row.route != INJECTED
               and row.route in catalog.routes.get(code, frozenset())]
    if fitting and len(fitting) < len(pool):
        result.codes = [c for c in result.codes if c in fitting] or fitting
        result.siblings = [c for c in result.siblings if c in fitting]
        result.notes.append(f"route {row.route} on your list picks {', '.join(fitting)}")


def _unexplained(catalog: Catalog, row: DrugWords, result: Identification,
                 explained: set[str]) -> list[str]:
    """Row words the found names leave unexplained that make the row name more than the code:
    drug-like words, and beside a brand a word CMS never uses (a sub-brand such as 'Qlex').
    A misspelt form of the codes' own words is not one of them."""
    named = {w.text for code in result.codes for entry in catalog.by_code[code]
             for w in entry.words.words}
    left = [word for word in row.words if word.text not in explained]
    return [str(word) for word in left
            if (looks_like_drug(catalog, word) or (result.how == "brand"
                                                    and unknown_to_cms(catalog, word)))
            and catalog.spelled_like(word.text) not in named]


def unknown_to_cms(catalog: Catalog, word: Word) -> bool:
    """A word of four letters or more in no CMS name and no CMS text: a product name CMS has
    not coded yet ('Qlex', 'Imaavy'), or a word of the row's own."""
    return (len(word.text) >= 4 and word.text.isalpha() and word.text not in catalog.index
            and word.text not in catalog.lexicon.words and not _CODE_LIKE.match(word.text))


def _drug_like(catalog: Catalog, row: DrugWords, explained: set[str]) -> list[str]:
    return [str(word) for word in row.words
            if word.text not in explained and looks_like_drug(catalog, word)]


def looks_like_drug(catalog: Catalog, word: Word) -> bool:
    """A word of a CMS drug code's generic name, a suffixed word or one with an INN stem."""
    if word.text in SALT_WORDS or word.text in OPTIONAL_WORDS or len(word.text) < 4:
        return False
    return bool(word.text in catalog.vocabulary or word.suffix
                or word.text.endswith(_INN_STEMS))


def suffix_near_misses(catalog: Catalog, row: DrugWords) -> list[tuple[str, str]]:
    """(row word, CMS code) where the row's suffix is one letter away from a CMS product's
    suffix on the same word: a typo to review, not a new product to keep on the NOC code."""
    misses = set()
    for word in (w for w in row.words if w.suffix):
        for entry in catalog.index.get(word.text, ()):
            theirs = entry.words.suffixes.get(word.text)
            if entry.basis == GENERIC and theirs and theirs != word.suffix and \
                    sum(a != b for a, b in zip(theirs, word.suffix)) == 1:
                misses.add((str(word), entry.code))
    return sorted(misses)
