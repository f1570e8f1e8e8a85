"""crosswalk.claim_drugs: what a NOC line's free text says, the NOC family, units by NDC."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from crosswalk import claim_drugs
from crosswalk.claim_drugs import Narrative, expected_noc, read_narrative, units_from_ndc


@pytest.mark.parametrize(("text", "reading"), [
    ("ublituximab-xiiy (Briumvi) 450 mg IV",
     Narrative("ublituximab-xiiy", "Briumvi", "450 mg", 450.0, "mg", "intravenous")),
    ("rituximab-arrx 700mg", Narrative("rituximab-arrx", None, "700 mg", 700.0, "mg")),
    ("Riabni 1,000 mg; N455513022401 ML100", Narrative("Riabni", None, "1,000 mg", 1000.0, "mg")),
    ("INJ, TEBENTAFUSP-TEBN 100MCG/0.5ML",  # the normaliser reads INJ as a route
     Narrative("TEBENTAFUSP-TEBN", None, None, None, None, "injection")),
    ("lecanemab-irmb 10 mg/kg IV over 1 hour every 2 weeks",
     Narrative("lecanemab-irmb", None, None, None, None, "intravenous")),
    ("ustekinumab-auub (Wezlana) 90 mg SC",
     Narrative("ustekinumab-auub", "Wezlana", "90 mg", 90.0, "mg", "subcutaneous")),
    ("J3590 inj 1 vial", Narrative("", None, None, None, None, "injection")),
    ("unclassified biologic, see note", Narrative("", None, None, None, None)),
    (None, Narrative("", None, None, None, None)),
])
def test_a_narrative_gives_the_drug_brand_and_dose(text, reading):
    assert read_narrative(text) == reading


def test_a_narrative_that_names_no_drug_says_so():
    assert not read_narrative("drug per note 450 mg").names_a_drug
    assert read_narrative("Briumvi").names_a_drug
    assert read_narrative("(Briumvi)").label == "Briumvi"


@given(st.text(max_size=80))
def test_any_text_reads_without_error_and_no_word_with_digits_names_a_drug(text):
    reading = read_narrative(text)
    assert not any(char.isdigit() for char in reading.name)
    assert (reading.dose is None) == (reading.dose_amount is None)


@pytest.mark.parametrize(("billed", "name", "code", "descriptor", "expected"), [
    ("J3590", "datopotamab deruxtecan-dlnk", "J9011",
     "Injection, datopotamab deruxtecan-dlnk, 1 mg", "J9999"),
    ("J3490", "trastuzumab", "Q5999", "Injection, chemotherapy agent, 10 mg", "J9999"),
    ("J3490", "nipocalimab-aahu", None, None, "J3590"),
    ("J3490", "lecanemab-irmb", "J0174", "Injection, lecanemab-irmb, 1 mg", "J3590"),
    ("J3490", "argatroban", None, None, None),
    ("J3590", "ublituximab-xiiy", "J2329", "Injection, ublituximab-xiiy, 1mg", None),
    ("J9999", "rituximab-arrx", "Q5123", "Injection, rituximab-arrx, biosimilar, 10 mg", None),
])
def test_the_noc_family_a_drug_belongs_to(billed, name, code, descriptor, expected):
    found, why = expected_noc(billed, name, code, descriptor)
    assert found == expected
    assert (why is None) == (expected is None)


@pytest.mark.parametrize(("quantity", "unit", "billing_unit", "each", "units"), [
    (3, "UN", "1 mg", 150, 450),        # Briumvi: 3 vials x 150 units
    (360, "ME", "1 mg", None, 360),     # milligrams at 1 mg a unit
    (1.8, "GR", "2 mg", None, 900),     # grams at 2 mg a unit
    (10, "ML", "per ml", None, 10),
    (10, "ML", "1 mg", None, None),     # a volume says nothing about milligrams
    (6000, "F2", "1000 units", None, 6),
    (3, "UN", "1 mg", None, None),      # no crosswalk row: no units
    (None, "UN", "1 mg", 150, None),
])
def test_units_from_an_ndc_quantity(quantity, unit, billing_unit, each, units):
    found, how = units_from_ndc(quantity, unit, billing_unit, each)
    assert found == units
    assert (how is None) == (units is None)
    if units:
        assert claim_drugs.number_text(units) in how
