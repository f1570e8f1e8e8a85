"""The one drug-name normaliser: spellings that never change which product a name means."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

from crosswalk.drug_names import (ABBREVIATIONS, FILLER_WORDS, NOT_SUFFIXES, ROUTES as ROUTE_WORDS,
                                  SALT_WORDS, SUBCUTANEOUS_DEVICES, Lexicon, Word, drug_words,
                                  plain_text, split_names)

LETTERS = "abcdefghijklmnopqrstuvwxyz"
stems = st.text(LETTERS, min_size=5, max_size=14).map(lambda s: s + "mab")
# FDA suffixes are meaningless by design: never a word, a route, filler, an abbreviation or
# a placeholder ('xxxx')
suffixes = st.text(LETTERS, min_size=4, max_size=4).filter(
    lambda s: s not in NOT_SUFFIXES and s not in ROUTE_WORDS and s not in FILLER_WORDS
    and s not in ABBREVIATIONS and len(set(s)) > 1)
# every character Unicode calls a dash, the minus sign and the soft hyphen
DASHES = sorted({chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Pd"}
                | {"\u2212", "\u00ad"})
SPACES = ["", " ", "  ", "\u00a0"]
NOISE = st.sampled_from(["", "100MCG/0.5ML", "30mg/3ml", "450 mg", "1,000 units", "10 MG/ML",
                         "2.5 million cells/mL"])
PACKAGES = st.sampled_from(["", "vial", "SDV", "MDV", "PF", "kit", "pen", "syringe",
                            "single-dose vial"])
PREFIXES = st.sampled_from(["", "INJ, ", "inj. ", "Injection ", "INJECTION, "])
ROUTES = st.sampled_from(["", "IV", "intravenous", "SC", "subcutaneous"])
MARKS = st.sampled_from(["", "®", "™", " (R)", "(TM)"])


def words(text: str, known: tuple[str, ...] = ()) -> tuple[Word, ...]:
    return drug_words(text, Lexicon(frozenset(known))).words


@hypothesis_settings(max_examples=150, deadline=None)
@given(stem=stems, suffix=suffixes, dash=st.sampled_from(DASHES),
       before=st.sampled_from(SPACES), after=st.sampled_from(SPACES))
def test_any_dash_with_or_without_spaces_keeps_the_suffix(stem, suffix, dash, before,
                                                          after) -> None:
    assert words(f"{stem}{before}{dash}{after}{suffix}") == (Word(stem, suffix),)


@hypothesis_settings(max_examples=150, deadline=None)
@given(stem=stems, suffix=suffixes, prefix=PREFIXES, strength=NOISE, package=PACKAGES,
       route=ROUTES, mark=MARKS, upper=st.booleans(), nbsp=st.booleans())
def test_case_marks_strengths_packages_and_prefixes_never_change_the_words(
        stem, suffix, prefix, strength, package, route, mark, upper, nbsp) -> None:
    text = f"{prefix}{stem}-{suffix}{mark} {strength} {package} {route}"
    text = text.upper() if upper else text
    text = text.replace(" ", "\u00a0") if nbsp else text
    assert words(text) == (Word(stem, suffix),)


@hypothesis_settings(max_examples=100, deadline=None)
@given(stem=stems, suffix=suffixes, brand=st.text(LETTERS, min_size=6, max_size=10).filter(
    lambda s: s not in ROUTE_WORDS and s not in FILLER_WORDS and s not in SALT_WORDS
    and s not in SUBCUTANEOUS_DEVICES))  # 'sensoready' is a device (a route), not a brand
def test_brand_and_generic_in_either_order_in_or_out_of_parentheses(stem, suffix,
                                                                    brand) -> None:
    spellings = [f"{brand} ({stem}-{suffix})", f"{stem}-{suffix} ({brand})",
                 f"{brand.upper()} {stem}-{suffix}", f"({stem}-{suffix}) {brand}"]
    found = {frozenset(words(text)) for text in spellings}
    assert found == {frozenset({Word(stem, suffix), Word(brand)})}


@hypothesis_settings(max_examples=100, deadline=None)
@given(stem=stems, suffix=suffixes)
def test_a_space_stands_for_the_dash_before_a_suffix_cms_knows(stem, suffix) -> None:
    assert words(f"{stem} {suffix}", known=(suffix,)) == (Word(stem, suffix),)
    assert words(f"{stem} {suffix}") == (Word(stem), Word(suffix))  # unknown: two words


@hypothesis_settings(max_examples=100, deadline=None)
@given(stem=stems, first=suffixes, second=suffixes)
def test_different_suffixes_stay_different(stem, first, second) -> None:
    assert (words(f"{stem}-{first}") == words(f"{stem}-{second}")) == (first == second)
    assert words(stem) == (Word(stem),)  # the reference product has none


@pytest.mark.parametrize(("text", "expected"), [
    ("Injection, rituximab-arrx, biosimilar, (riabni), 10 mg", "rituximab-arrx riabni"),
    ("fam-trastuzumab deruxtecan-nxki", "fam trastuzumab deruxtecan-nxki"),
    ("INJ, TEBENTAFUSP-TEBN 100MCG/0.5ML", "tebentafusp-tebn"),
    ("Tecvayli (teclistamab-cqyv) 30mg/3ml vial", "tecvayli teclistamab-cqyv"),
    ("KEYTRUDA® 100MG/4ML SDV", "keytruda"),
    ("Briumvi\xa0", "briumvi"), ("Rituxan\u00ae ", "rituxan"),
    ("epoetin alfa-epbx", "epoetin alfa-epbx"),
    ("Fluzone High-Dose", "fluzone high"),  # a 4-letter word is not a suffix
    ("argatroban hydrochloride", "argatroban hydrochloride"),  # salts kept: they can tell
    ("Injection, nivolumab, 2 mg and hyaluronidase-nvhy", "nivolumab hyaluronidase-nvhy"),
    # a cell therapy's strength is counted in cells
    ("Ryoncil (remestemcel-L) 2.5 million cells/mL", "ryoncil remestemcel l"),
])
def test_known_names(text: str, expected: str) -> None:
    assert str(drug_words(text)) == expected


def test_route_words_are_kept_apart() -> None:
    found = drug_words("Ustekinumab, for intravenous injection, 1 mg")
    assert (str(found), found.route) == ("ustekinumab", "intravenous")
    assert drug_words("ustekinumab-auub SC vs IV").route is None  # two routes: none chosen


def test_plain_text_and_parentheses() -> None:
    assert plain_text("TOCILIZUMAB\u2013ANOH\u2122") == "tocilizumab-anoh "
    assert split_names("Tecvayli (teclistamab-cqyv) 30mg/3ml vial") == [
        "Tecvayli 30mg/3ml vial", "teclistamab-cqyv"]
    assert split_names("factor viii (antihemophilic factor (porcine)), per i.u.") == [
        "factor viii , per i.u.", "antihemophilic factor (porcine)"]


def test_a_soft_hyphen_inside_a_word_is_only_a_line_break_hint() -> None:
    assert str(drug_words("ritu\u00adximab-arrx")) == "rituximab-arrx"


def test_with_cms_words_a_space_before_an_unknown_suffix_is_still_a_suffix() -> None:
    """'teclistamab cqyy' is a typo or a new biosimilar, never the reference product."""
    lexicon = Lexicon(frozenset({"cqyv"}), frozenset({"injection", "lock", "heparin"}),
                      frozenset({"teclistamab", "pegfilgrastim", "heparin"}))
    assert drug_words("teclistamab cqyy", lexicon).words == (Word("teclistamab", "cqyy"),)
    assert drug_words("heparin lock flush", lexicon).words == (
        Word("heparin"), Word("lock"), Word("flush"))  # a word CMS uses is no suffix
    assert drug_words("Keytruda Qlex", lexicon).words == (Word("keytruda"), Word("qlex"))


def test_words_that_join_into_a_cms_drug_word_are_one() -> None:
    lexicon = Lexicon(frozenset({"bmez"}), frozenset(), frozenset({"pegfilgrastim"}))
    assert drug_words("PEG filgrastim bmez", lexicon).words == (Word("pegfilgrastim", "bmez"),)
    assert drug_words("Peg-filgrastim 6 mg", lexicon).words == (Word("pegfilgrastim"),)


def test_biosimilar_on_the_row_is_kept_as_a_flag() -> None:
    found = drug_words("Herceptin biosimilar 150 mg")
    assert (str(found), found.biosimilar) == ("herceptin", True)


FORMS = ["SOLN", "SOLR", "SUSP", "SUSR", "SOSY", "SUSY", "SOAJ", "SOPN", "AJKT", "PNKT", "IMPL",
         "PLLT", "NEBU", "CONC"]


@hypothesis_settings(max_examples=100, deadline=None)
@given(stem=stems, form=st.sampled_from(FORMS), route=st.sampled_from(["SC", "IM", "IV", "IJ"]),
       strength=NOISE)
def test_an_ehr_dosage_form_after_a_drug_is_no_suffix(stem, form, route, strength) -> None:
    """Epic's First Databank names end in a four-letter dosage form ('DENOSUMAB 60 MG/ML SC
    SOSY'): never read as an FDA suffix (which would find no code), before or after a salt,
    with or without a route between."""
    lexicon = Lexicon(frozenset({"bbdz"}), frozenset(), frozenset({stem, "sodium"}))
    for text in (f"{stem.upper()} {strength} {route} {form}", f"{stem} sodium {form}",
                 f"{stem}-bbdz {strength} {form}"):
        found = drug_words(text, lexicon)
        assert all(word.suffix in (None, "bbdz") for word in found.words), text
        assert [w.text for w in found.words] in ([stem], [stem, "sodium"]), text


@pytest.mark.parametrize("text, spelled", [
    ("INJ METHYLPREDNISOLONE ACET 40MG", ["methylprednisolone", "acetate"]),
    ("INJ KETOROLAC TROM 30MG", ["ketorolac", "tromethamine"]),
    ("INJ PEGAPTANIB SOD 0.3MG", ["pegaptanib", "sodium"]),
    ("INJ DOXORUBICIN HCL LIPO 20MG", ["doxorubicin", "hydrochloride", "liposomal"]),
    ("amphotericin b liposome", ["amphotericin", "b", "liposomal"]),  # CMS's own word
    ("EPINEPHRINE IN NACL 16MG/250ML", ["epinephrine", "sodium", "chloride"]),
    ("KCL 20MEQ/100ML IVPB", ["potassium", "chloride"]),
    ("DEXAMETHASONE SOD PHOS 4MG/ML", ["dexamethasone", "sodium", "phosphate"]),
])
def test_charge_master_abbreviations_are_the_words_cms_writes(text: str,
                                                              spelled: list[str]) -> None:
    """Read the same on both sides, so 'DOXORUBICIN HCL LIPO' meets Q2050's 'doxorubicin
    hydrochloride, liposomal' and not only J9000's 'doxorubicin hydrochloride'; and never a
    suffix after a drug name ('METHYLPREDNISOLONE ACET' is not methylprednisolone-acet)."""
    drugs = frozenset({"methylprednisolone", "ketorolac", "pegaptanib", "doxorubicin",
                       "epinephrine", "dexamethasone", "amphotericin"})
    found = drug_words(text, Lexicon(frozenset(), frozenset(), drugs))
    assert [w.text for w in found.words] == spelled and not any(w.suffix for w in found.words)


@pytest.mark.parametrize("text", ["infliximab-xxxx", "INFLIXIMAB-XXXX 100 MG IV SOLR",
                                  "trastuzumab - zzzz", "Infliximab xxxx"])
def test_a_placeholder_suffix_is_a_biosimilar_not_named(text: str) -> None:
    """'-xxxx' (CMS wrote 'bamlanivimab-xxxx' before the suffix was assigned; formularies
    write it for "any biosimilar"): a biosimilar whose suffix the row does not give."""
    found = drug_words(text, Lexicon(frozenset({"anoh"}), frozenset(),
                                     frozenset({"infliximab", "trastuzumab"})))
    assert found.biosimilar and [w.suffix for w in found.words] == [None]


def test_a_repeated_letter_suffix_cms_codes_is_a_suffix() -> None:
    found = drug_words("examplemab-aaaa", Lexicon(frozenset({"aaaa"})))
    assert found.words == (Word("examplemab", "aaaa"),) and not found.biosimilar


@pytest.mark.parametrize("text, spelled, biosimilar", [
    ("Injection, octreotide, non-depot form for subcutaneous or intravenous injection",
     ["octreotide", "nondepot"], False),
    ("octreotide depot form", ["octreotide", "depot"], False),
    ("darbepoetin alfa (non-esrd use)", ["darbepoetin", "alfa", "nonesrd"], False),
    ("Injection, trastuzumab, excludes biosimilar, 10 mg", ["trastuzumab"], False),
    ("INJ TRASTUZUMAB EXCL BIOSIMILAR 10MG", ["trastuzumab"], False),
    ("Remicade (non-biosimilar)", ["remicade"], False),
    ("Herceptin biosimilar", ["herceptin"], True),
])
def test_a_negation_belongs_to_the_word_it_negates(text: str, spelled: list[str],
                                                   biosimilar: bool) -> None:
    """'non-depot' is no 'depot' (J2354 vs J2353), and 'excludes biosimilar' (J9355's own
    descriptor, copied by charge masters) is no biosimilar."""
    found = drug_words(text)
    assert [w.text for w in found.words] == spelled and found.biosimilar == biosimilar
