"""Which CMS product codes a line of the practice's list names: the identification behind
every verdict, written so that a messy list can never switch a drug to another product's code.

Each permanent drug code is known by names (`Entry`): the generic part of its HCPCS descriptor
("Injection, nivolumab, 2 mg and hyaluronidase-nvhy" -> nivolumab, hyaluronidase-nvhy), each
brand in its parentheses, and the crosswalk's Drug Names. A list row is a bag of words (drug
name and brand cells together, through crosswalk.drug_names). Then:

- a name is **found** in the row when every one of its words is there, with the same biosimilar
  suffix; a row without a suffix still finds a suffixed name, marked "suffix missing";
- a code explaining a strict subset of the row words another found code explains is
  **outranked** ("nivolumab and hyaluronidase" outranks plain nivolumab; "Tecvayli
  teclistamab-cqyv" outranks the interim C-code that only matches the generic);
- identified by its generic words alone, a code has **siblings**: the other codes carrying all
  of those words (nivolumab -> J9299, J9289 nivolumab and hyaluronidase, J9298 nivolumab and
  relatlimab). Siblings make the row ambiguous; a brand or an NDC settles it;
- codes CMS restricts to a use ("for hospitalized ... covid-19") give way to the same
  product's unrestricted code; the row's route picks between one product's IV and SC codes;
- a row word no found name explains leaves the row unsettled when it looks like a drug (a CMS
  drug word, a suffixed word, an INN stem) or, beside a brand, when CMS does not know it at
  all ("Keytruda Qlex" is not Keytruda);
- a row that finds nothing is read once more with each unknown word replaced by the CMS word
  it resembles (a spelling to confirm), and then as part of longer CMS names (travoprost ->
  J7355 travoprost intracameral implant): both only ever lead to REVIEW.

The outcome lists codes, never a verdict: crosswalk.match decides with dates and settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from crosswalk.drug_names import DrugWords, Word, drug_words, routes_named, split_names

GENERIC, BRAND = "generic_name", "brand_name"
DESCRIPTOR_FIELD, CROSSWALK_FIELD = "hcpcs_codes.long_description", "asp_ndc_crosswalk.drug_name"
# Descriptor clauses and parenthesised groups that qualify a code instead of naming the drug.
_QUALIFIER = re.compile(
    r"^\s*(?:for|only|not|fda|administered|includ|excludes|when|which|that|used|code may|"
    r"list separately|e\.g\.|i\.e\.|see|per|up to|greater than|less than|each additional|"
    r"requires|with or without|any type)\b")
# Codes CMS restricts to a use or a population: they never compete with an unrestricted code.
_RESTRICTED = re.compile(r"hospitali[sz]ed|covid|only for use|for use (?:as|in|with)|\besrd\b|"
                         r"dialysis|pre-exposure|prophylaxis", re.IGNORECASE)
# Word endings of international nonproprietary names: an unexplained word ending so is a drug.
_INN_STEMS = tuple("""
    mab cept stim ase kin tide parin vir nib lib tug fusp gene cel poetin ermin plase irsen
    siran platin taxel rubicin mycin cillin azole tecan mustine parib zomib tansine vedotin
    ozogamicin relin tocin pressin lutide prazole statin sartan oxacin cycline toxin toxina
    apine idone afil ciclib degib lisib rsen
""".split())
SPELLING_CUTOFF = 85.0
# INN prefixes that tell products apart (ado-trastuzumab emtansine, ziv-aflibercept) and that
# lists often leave out: a name is still found without them.
OPTIONAL_WORDS = frozenset({"ado", "fam", "ziv"})


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
    longer CMS names: `siblings` lists them) | none.
    """

    codes: list[str]
    found: list[Found]
    how: str
    siblings: list[str] = field(default_factory=list)
    outranked: list[Found] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)
    conflict: str | None = None
    near_misses: list[tuple[str, str]] = field(default_factory=list)
    compared: int = 0

    @property
    def settled(self) -> bool:
        """True when the row names exactly one code beyond doubt."""
        return (len(self.codes) == 1 and not self.siblings and not self.unexplained
                and self.how in ("brand", "generic") and self.conflict is None)

    def candidates(self) -> list[str]:
        return sorted(set(self.codes) | set(self.siblings))


@dataclass
class Catalog:
    """Every name of every candidate code, and what the normaliser and the rules need."""

    entries: list[Entry]
    known_suffixes: frozenset[str]
    vocabulary: frozenset[str]          # words of the generic names: drug words
    restricted_codes: frozenset[str]
    routes: Mapping[str, frozenset[str]]
    ended_codes: frozenset[str] = frozenset()
    index: dict[str, list[Entry]] = field(default_factory=dict, init=False)
    by_code: dict[str, list[Entry]] = field(default_factory=dict, init=False)
    known_words: frozenset[str] = field(default=frozenset(), init=False)
    # drug words of 5 letters or more by their first two letters: a misspelling keeps those
    by_opening: dict[str, list[str]] = field(default_factory=dict, init=False)
    respelt: dict[str, str | None] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        for entry in self.entries:
            self.by_code.setdefault(entry.code, []).append(entry)
            for text in entry.words.texts:
                self.index.setdefault(text, []).append(entry)
        self.known_words = frozenset(self.index)
        for word in sorted(self.vocabulary):
            if len(word) >= 5:
                self.by_opening.setdefault(word[:2], []).append(word)

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
        parsed = [drug_words(cell, self.known_suffixes, self.vocabulary) for cell in cells]
        words = tuple(dict.fromkeys(word for part in parsed for word in part.words))
        named = frozenset().union(*(part.routes for part in parsed))
        chosen = route or (next(iter(named)) if len(named) == 1 else None)
        return DrugWords(words, chosen, named | ({route} if route else frozenset()))

    def spelled_like(self, word: str) -> str | None:
        """The CMS drug word a misspelt row word resembles ('rituxumab' -> 'rituximab');
        only words with the same first two letters are compared."""
        if len(word) < 5 or word in self.known_words:
            return None
        if word not in self.respelt:
            best = process.extractOne(word, self.by_opening.get(word[:2], ()),
                                      scorer=fuzz.ratio, score_cutoff=SPELLING_CUTOFF)
            self.respelt[word] = best[0] if best else None
        return self.respelt[word]


def build_catalog(descriptors: Iterable[tuple[str, str]],
                  crosswalk_names: Iterable[tuple[str, str]],
                  ended_codes: Iterable[str] = ()) -> Catalog:
    """Entries from (code, long description) and (code, crosswalk Drug Name) pairs.

    A parenthesised group or crosswalk name made only of generic words ('(recombinant)',
    'Pemetrexed') names the drug generically, not a brand: it must not settle a row the way
    a brand does.
    """
    texts = dict(descriptors)
    parts = {code: _descriptor_parts(text) for code, text in texts.items()}
    suffixes = frozenset(found for generic, _, _ in parts.values()
                         for found in re.findall(r"-([a-z]{4})\b", generic.lower()))
    first = {code: drug_words(generic, suffixes) for code, (generic, _, _) in parts.items()}
    vocabulary = frozenset(word.text for words in first.values() for word in words.words)
    entries: list[Entry] = []
    routes: dict[str, frozenset[str]] = {}
    restricted = set()

    def add(code: str, where: str, text: str, words: DrugWords, basis: str = "") -> None:
        if words.words:
            basis = basis or (GENERIC if words.texts <= vocabulary else BRAND)
            entries.append(Entry(len(entries), code, basis, where, text, words))

    for code, (generic, groups, qualifiers) in parts.items():
        text = texts[code]
        if _RESTRICTED.search(" ".join(qualifiers)):
            restricted.add(code)
        words = first[code]  # read again only if a "suffix" turned out to be a CMS word
        if any(word.suffix in vocabulary for word in words.words):
            words = drug_words(generic, suffixes, vocabulary)
        routes[code] = words.routes | routes_named(" ".join(qualifiers))
        add(code, DESCRIPTOR_FIELD, text, words, GENERIC)
        for alias in (alias for group in groups for alias in re.split(r"/|,|\bor\b", group)):
            add(code, DESCRIPTOR_FIELD, text, drug_words(alias, suffixes, vocabulary))
    for code, name in dict.fromkeys(crosswalk_names):
        add(code, CROSSWALK_FIELD, name, drug_words(name, suffixes, vocabulary))
    return Catalog(entries, suffixes, vocabulary, frozenset(restricted), routes,
                   frozenset(ended_codes))


def _descriptor_parts(text: str) -> tuple[str, list[str], list[str]]:
    """'Injection, tocilizumab-anoh (avtozma), biosimilar, for hospitalized ..., 1 mg' ->
    (the generic clauses, the parenthesised names, the qualifying clauses and groups).

    The first clause that qualifies ('for hospitalized...', 'not therapeutically equivalent
    to...', 'per 10 mg') and every clause after it describe use and dose, not the drug."""
    outside, *groups = split_names(text) or [""]
    clauses = re.split(r"[,;]", outside)
    first = next((i for i, c in enumerate(clauses) if _QUALIFIER.match(c.lower())), len(clauses))
    names = [group for group in groups if not _QUALIFIER.match(group.lower())]
    qualifiers = clauses[first:] + [group for group in groups if _QUALIFIER.match(group.lower())]
    return " ".join(clauses[:first]), names, qualifiers


# ---------------------------------------------------------------------------------------------
# Identifying one row
# ---------------------------------------------------------------------------------------------


def find(row: DrugWords, entry: Entry) -> Found | None:
    """The entry as found in the row, or None: every entry word present, suffixes agreeing.

    A brand carries no suffix, so only a generic name's suffixes are compared, as a set over
    the words the name covers ('Deruxtecan Datopotamab-DLNK' finds datopotamab
    deruxtecan-dlnk): equal sets find it; a row without any suffix still finds a suffixed name
    (suffix missing); a row suffix the name lacks never does (rituximab-arrx never finds
    plain rituximab). INN prefixes such as fam- and ado- may be left out by the row.
    """
    have = row.suffixes
    if any(w.text not in have and w.text not in OPTIONAL_WORDS for w in entry.words.words):
        return None
    if entry.basis == BRAND:
        return Found(entry)
    mine = {have[w.text] for w in entry.words.words if have.get(w.text)}
    theirs = {w.suffix for w in entry.words.words if w.suffix}
    if mine == theirs:
        return Found(entry)
    return Found(entry, suffix_missing=True) if not mine else None


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
                          row.route, row.routes)
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
    explained: dict[str, set[str]] = {}
    for hit in found:  # a code found by any name explains the row words any of its names use
        explained.setdefault(hit.entry.code, set()).update(
            word for entry in catalog.by_code[hit.entry.code] for word in _supported(row, entry))
    best = sorted(code for code, words in explained.items()
                  if not any(words < other for other in explained.values()))
    kept = [hit for hit in found if hit.entry.code in best]
    branded = {hit.entry.code for hit in kept if hit.entry.basis == BRAND}
    result = Identification(best, kept, "brand" if branded else how,
                            outranked=[hit for hit in found if hit.entry.code not in best])
    if branded and branded != set(best):
        result.conflict = (f"the generic name matches {', '.join(sorted(set(best) - branded))} "
                           f"but the brand matches {', '.join(sorted(branded))}")
    if not branded:
        result.siblings = _siblings(catalog, row, kept, set(best))
    _prefer_unrestricted(catalog, result)
    _prefer_route(catalog, row, result)
    live = [code for code in result.codes + result.siblings if code not in catalog.ended_codes]
    if any(hit.suffix_missing for hit in kept) and len(live) == 1 and live[0] in result.codes:
        name = catalog.generic_name(live[0]) or live[0]
        result.notes.append(f"suffix missing on your list: {name} is the only product CMS "
                            "codes under that name")
    result.unexplained = _unexplained(catalog, row, result, set().union(*explained.values()))
    return result


def _supported(row: DrugWords, entry: Entry) -> set[str]:
    """The row words an entry uses, unless the row gives them a suffix the entry lacks
    (rituximab-arrx is no support for rituximab-abbs)."""
    shared = row.texts & entry.words.texts
    mine = {row.suffixes[word] for word in shared if row.suffixes[word]}
    theirs = {word.suffix for word in entry.words.words if word.suffix}
    return shared if entry.basis == BRAND or mine <= theirs else set()


def _siblings(catalog: Catalog, row: DrugWords, kept: list[Found],
              best: set[str]) -> list[str]:
    """Other codes whose generic name holds every word the row was identified by (and the
    row's suffixes on them, when it gives any)."""
    words = {w.text for hit in kept for w in hit.entry.words.words if w.text in row.texts}
    return _holding(catalog, row, words, best)


def _longer_names(catalog: Catalog, row: DrugWords) -> list[str]:
    """Codes whose generic name holds all the row's drug words, when no name was found:
    'travoprost' is only part of J7355's 'travoprost, intracameral implant'."""
    words = row.texts & catalog.vocabulary
    return _holding(catalog, row, words, set()) if words else []


def _holding(catalog: Catalog, row: DrugWords, words: set[str], besides: set[str]) -> list[str]:
    mine = {row.suffixes[w] for w in words if row.suffixes[w]}
    return sorted({entry.code for entry in catalog.entries_for(words)
                   if entry.code not in besides and entry.basis == GENERIC
                   and words <= entry.words.texts
                   and mine <= {w.suffix for w in entry.words.words}})


def _prefer_unrestricted(catalog: Catalog, result: Identification) -> None:
    """Q0237 (tocilizumab-anoh for hospitalized COVID-19 patients) gives way to Q5156, the
    same product's code without a restriction; different products never give way."""
    live = [code for code in result.codes + result.siblings if code not in catalog.ended_codes]
    free = {catalog.product(code) for code in live if code not in catalog.restricted_codes}
    dropped = sorted(code for code in live
                     if code in catalog.restricted_codes and catalog.product(code) in free)
    if dropped and set(result.codes) - set(dropped):
        result.codes = [code for code in result.codes if code not in dropped]
        result.siblings = [code for code in result.siblings if code not in dropped]
        result.notes.append(f"{', '.join(dropped)}: restricted by CMS to a use (see the "
                            "descriptor), not considered")


def _prefer_route(catalog: Catalog, row: DrugWords, result: Identification) -> None:
    """One product with IV and SC codes: the row's route picks the code, when it names one."""
    pool = result.codes + result.siblings
    if not row.route or len(pool) < 2 or len({catalog.product(c) for c in pool}) > 1:
        return
    fitting = [code for code in pool if row.route in catalog.routes.get(code, frozenset())]
    if fitting and len(fitting) < len(pool):
        result.codes = [c for c in result.codes if c in fitting] or fitting
        result.siblings = [c for c in result.siblings if c in fitting]
        result.notes.append(f"route {row.route} on your list picks {', '.join(fitting)}")


def _unexplained(catalog: Catalog, row: DrugWords, result: Identification,
                 explained: set[str]) -> list[str]:
    """Row words the found names leave unexplained that make the row name more than the code:
    drug-like words, and beside a brand any word CMS does not know (a sub-brand). A misspelt
    form of the codes' own words is not one of them."""
    named = {w.text for code in result.codes for entry in catalog.by_code[code]
             for w in entry.words.words}
    left = [word for word in row.words if word.text not in explained]
    return [str(word) for word in left
            if (_looks_like_drug(catalog, word) or (result.how == "brand"
                                                    and word.text not in catalog.known_words))
            and catalog.spelled_like(word.text) not in named]


def _drug_like(catalog: Catalog, row: DrugWords, explained: set[str]) -> list[str]:
    return [str(word) for word in row.words
            if word.text not in explained and _looks_like_drug(catalog, word)]


def _looks_like_drug(catalog: Catalog, word: Word) -> bool:
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
