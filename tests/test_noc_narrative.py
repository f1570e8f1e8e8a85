"""The NOC claim narrative: never over 80 characters in SV101-7, nothing invented.

Property tests (hypothesis) hold the builder to its two promises on any list text; the
examples below them pin the exact text for spellings a practice system produces.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

from crosswalk.noc_narrative import (DOSE, DRUG, NTE_LIMIT, PLACEHOLDERS, QUANTITY,
                                     SV101_7_LIMIT, UNIT, ClaimDrug, Narrative, drug_label,
                                     dose_text, narrative, plain_number, split_for_claim,
                                     x12_text)
from crosswalk.practice import NDC_UNITS, parse_dose

LETTERS = "abcdefghijklmnopqrstuvwxyz"
# list text as practices type it: any Unicode, marks, dashes, strengths, delimiters, brackets
ANY_TEXT = st.text(max_size=120)
NAMES = st.one_of(ANY_TEXT, st.builds(
    lambda stem, suffix, extra: f"{stem}-{suffix}{extra}",
    st.text(LETTERS, min_size=5, max_size=40), st.text(LETTERS, min_size=4, max_size=4),
    st.sampled_from(["", " 100MCG/0.5ML vial", "®", " (Brandx) SDV", " *:~^<>"])))
DOSES = st.one_of(st.none(), ANY_TEXT, st.sampled_from(
    ["450 mg", "1,000 units", "8 mg/kg", "0.5 mL", "2 g", "mg", "1e-5 mg", "60mg"]))
NDCS = st.one_of(st.none(), st.from_regex(r"\d{11}", fullmatch=True), ANY_TEXT)
UNITS = st.one_of(st.none(), st.sampled_from(NDC_UNITS), st.text(max_size=4))
QUANTITIES = st.one_of(st.none(), st.floats(min_value=1e-6, max_value=1e6),
                       st.sampled_from([18.0, 2.5, 0.001, 70.0]))
DRUGS = st.builds(ClaimDrug, NAMES, st.one_of(st.none(), NAMES), DOSES,
                  st.one_of(st.none(), ANY_TEXT), NDCS, UNITS, QUANTITIES)


def given_text(drug: ClaimDrug) -> str:
    """Everything a narrative may quote, as the builder cleans it."""
    from crosswalk.drug_names import printable_name

    return " ".join(x12_text(printable_name(text)) + " " + x12_text(text)
                    for text in (drug.drug_name, drug.brand_name, drug.route) if text)


def invented(drug: ClaimDrug, built: Narrative) -> list[str]:
    """Tokens of the narrative that come from neither the list nor the fixed vocabulary."""
    source = given_text(drug)
    amount, unit = parse_dose(x12_text(drug.dose))
    allowed = set(PLACEHOLDERS) | {"(", ")"}
    if amount is not None and unit:
        allowed |= {plain_number(amount), unit}
    if drug.ndc11 and re.fullmatch(r"[0-9]{11}", drug.ndc11):
        qualifier = drug.ndc_unit if drug.ndc_unit in NDC_UNITS else UNIT
        quantity = plain_number(drug.ndc_quantity) if drug.ndc_quantity else QUANTITY
        allowed |= {f"N4{drug.ndc11}", f"{qualifier}{quantity}"}
    tokens = f"{built.sv101_7} {built.nte or ''}".split()
    return [token for token in tokens
            if token not in allowed and token.strip("()") not in source]


@hypothesis_settings(max_examples=400, deadline=None)
@given(drug=DRUGS)
def test_sv101_7_never_holds_more_than_80_characters(drug: ClaimDrug) -> None:
    built = narrative(drug)
    assert 0 < len(built.sv101_7) <= SV101_7_LIMIT
    assert built.nte is None or built.nte  # never an empty note
    if built.nte is None:
        assert built.text == built.sv101_7
    else:
        assert built.text == f"SV101-7: {built.sv101_7}\nNTE: {built.nte}"


@hypothesis_settings(max_examples=400, deadline=None)
@given(drug=DRUGS)
def test_nothing_invented_and_nothing_an_837_cannot_carry(drug: ClaimDrug) -> None:
    built = narrative(drug)
    assert invented(drug, built) == []
    whole = f"{built.sv101_7} {built.nte or ''}"
    assert whole.isascii() and whole.isprintable()
    assert not set("*:~^") & set(whole)
    # brackets only around the placeholders, so a claim check can find what is left to fill
    assert re.sub("|".join(map(re.escape, PLACEHOLDERS)), "", whole).count("<") == 0
    assert ">" not in re.sub("|".join(map(re.escape, PLACEHOLDERS)), "", whole)


@hypothesis_settings(max_examples=300, deadline=None)
@given(drug=DRUGS)
def test_what_the_list_gives_is_there_and_placeholders_mark_the_rest(drug: ClaimDrug) -> None:
    whole = " ".join(filter(None, [narrative(drug).sv101_7, narrative(drug).nte]))
    has_ndc = bool(drug.ndc11 and re.fullmatch(r"[0-9]{11}", drug.ndc11))
    assert (f"N4{drug.ndc11} " in whole) == has_ndc
    assert (UNIT in whole) == (has_ndc and drug.ndc_unit not in NDC_UNITS)
    assert (QUANTITY in whole) == (has_ndc and drug.ndc_quantity is None)
    if has_ndc and drug.ndc_unit in NDC_UNITS and drug.ndc_quantity:
        assert f" {drug.ndc_unit}{plain_number(drug.ndc_quantity)}" in whole
    amount, unit = parse_dose(x12_text(drug.dose))
    assert (DOSE in whole) == (amount is None or not unit or "/" in unit)


WORDS = st.text(st.characters(blacklist_categories=("Z", "C")), min_size=1, max_size=90)


@hypothesis_settings(max_examples=300, deadline=None)
@given(tokens=st.lists(st.one_of(WORDS, WORDS.map(lambda word: f"N4{word} UN1")), min_size=1,
                       max_size=30))
def test_the_split_keeps_every_word_in_order_and_fills_sv101_7(tokens: list[str]) -> None:
    built = split_for_claim(tokens)
    assert len(built.sv101_7) <= SV101_7_LIMIT
    if len(tokens[0]) > SV101_7_LIMIT:  # one word longer than the field: cut, never lost
        assert built.sv101_7 == tokens[0][:SV101_7_LIMIT]
        assert built.nte == " ".join([tokens[0][SV101_7_LIMIT:], *tokens[1:]])
        return
    assert " ".join(filter(None, [built.sv101_7, built.nte])) == " ".join(tokens)
    if built.nte is not None:  # SV101-7 holds whole tokens, and the next one did not fit
        kept = _tokens_in(built.sv101_7, tokens)
        assert len(built.sv101_7) + 1 + len(tokens[kept]) > SV101_7_LIMIT


def _tokens_in(first: str, tokens: list[str]) -> int:
    """How many whole tokens make up `first`."""
    for count in range(len(tokens) + 1):
        if " ".join(tokens[:count]) == first:
            return count
    raise AssertionError(f"{first!r} is not a run of whole tokens")


@pytest.mark.parametrize(("drug", "text"), [
    (ClaimDrug("ublituximab-xiiy", "Briumvi", "450 mg", "IV", "73150015006", "ML", 18.0),
     "ublituximab-xiiy (Briumvi) 450 mg IV N473150015006 ML18"),
    (ClaimDrug("Tecvayli (teclistamab-cqyv) 30mg/3ml vial", None, "1.5mg", "SC"),
     "teclistamab-cqyv (Tecvayli) 1.5 mg SC"),
    (ClaimDrug("INJ, TEBENTAFUSP-TEBN 100MCG/0.5ML", "Kimmtrak", "68 mcg", None,
               "80446040001"),
     "TEBENTAFUSP-TEBN (Kimmtrak) 68 mcg N480446040001 <unit><qty>"),
    (ClaimDrug("tocilizumab–anoh", "Avtozma®", "8 mg/kg", "intravenous"),
     "tocilizumab-anoh (Avtozma) <dose> intravenous"),
    (ClaimDrug("KEYTRUDA® 100MG/4ML SDV", None, "1,000 units"), "KEYTRUDA 1000 units"),
    (ClaimDrug("Riabni", "Riabni", None, None, "55513022401", "ML", 70.0),
     "Riabni <dose> N455513022401 ML70"),
    (ClaimDrug("nivolumab and hyaluronidase-nvhy", "Opdivo Qvantig", "600 mg", "SC"),
     "nivolumab and hyaluronidase-nvhy (Opdivo Qvantig) 600 mg SC"),
    (ClaimDrug("®", None, "2 g"), "<drug> 2 g"),
])
def test_narratives_of_list_spellings(drug: ClaimDrug, text: str) -> None:
    built = narrative(drug)
    assert (built.text, built.nte) == (text, None)
    assert built.placement == f"SV101-7 ({len(text)} of {SV101_7_LIMIT} characters)"


def test_a_long_narrative_goes_on_in_nte_and_says_so() -> None:
    built = narrative(ClaimDrug("datopotamab deruxtecan-dlnk", "Datroway", "360 mg",
                                "intravenous infusion", "65597080101", "UN", 3.6))
    assert built.sv101_7 == "datopotamab deruxtecan-dlnk (Datroway) 360 mg intravenous infusion"
    assert built.nte == "N465597080101 UN3.6"  # the NDC part is never split
    assert built.text == f"SV101-7: {built.sv101_7}\nNTE: {built.nte}"
    assert built.placement == "SV101-7 (66 of 80 characters) + NTE (19 characters)"
    assert built.placeholders == []


def test_an_overlong_name_is_cut_at_80_and_the_note_says_when_nte_overflows() -> None:
    built = narrative(ClaimDrug("x" * 200 + "-abcd", None, "1 mg"))
    assert len(built.sv101_7) == SV101_7_LIMIT and built.sv101_7 == "x" * 80
    assert built.nte is not None and built.nte.endswith("x-abcd 1 mg")
    assert len(built.nte) > NTE_LIMIT
    assert built.placement.endswith(f"over {NTE_LIMIT}, shorten the drug name on your list)")


def test_pieces_alone() -> None:
    assert drug_label("  ") == DRUG
    assert drug_label("rituximab-arrx (Riabni)", "Riabni") == "rituximab-arrx (Riabni)"
    assert drug_label("Prolia PFS") == "Prolia"
    assert dose_text(None) == DOSE and dose_text("6 mg/m2") == DOSE
    assert dose_text("0.5 mL") == "0.5 ml"
    assert plain_number(1e-05) == "0.00001" and plain_number(18.0) == "18"
    assert x12_text("Avtozma™ é*:~^<>") == "AvtozmaTM e"
