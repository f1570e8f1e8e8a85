"""crosswalk.claim_drugs: what a NOC line's free text says, the NOC family, units by NDC."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from crosswalk import claim_drugs, products
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


@pytest.mark.parametrize(("text", "name", "dose"), [
    ("Kenalog-40 40 mg", "Kenalog-40", "40 mg"),   # the ASP crosswalk's Drug Name for J3301
    ("Visco-3 1 dose", "Visco-3", None),            # J7321's descriptor: 'visco-3'
    ("B12 1000 mcg IM", "B12", "1000 mcg"),
    ("5-FU 500 mg", "5-FU", "500 mg"),
    ("J3590 NDC 73150-0150-06 N473150015006 ME450", "", None),  # codes and NDCs name nothing
    ("Eylea HD 8 mg intravitreal", "Eylea HD", "8 mg"),          # HD is part of the name
])
def test_a_product_name_with_a_number_or_two_letters_is_kept(text, name, dose):
    reading = read_narrative(text)
    assert (reading.name, reading.dose) == (name, dose)


@pytest.mark.parametrize(("text", "dose", "amount"), [
    ("Briumvi 150 mg x 3 vials", "450 mg", 450.0),
    ("Briumvi 3 x 150 mg", "450 mg", 450.0),
    ("Lupron Depot 3.75 mg x 2", "7.5 mg", 7.5),
    ("Briumvi 150mg x3", "450 mg", 450.0),
    ("Briumvi 150 mg x 3 ml", "150 mg", 150.0),   # a second amount is no count
    ("Briumvi 450 mg every 2 weeks", "450 mg", 450.0),
])
def test_a_dose_counted_in_packages_is_the_total(text, dose, amount):
    reading = read_narrative(text)
    assert (reading.dose, reading.dose_amount) == (dose, amount)


@given(st.text(max_size=80))
def test_any_text_reads_without_error_and_a_word_with_digits_is_only_a_numbered_name(text):
    """No code, NDC or amount is ever read as a drug's name; only a product name with a
    number in it (Kenalog-40, 5-FU, B12) keeps its digits."""
    reading = read_narrative(text)
    assert all(claim_drugs._NAME_WITH_NUMBER.fullmatch(word.strip(",.;:!?\"'"))
               for word in reading.name.split() if any(char.isdigit() for char in word))
    assert (reading.dose is None) == (reading.dose_amount is None)


@pytest.fixture(scope="module")
def catalog():
    """A few CMS names, as the matcher's catalog holds them."""
    return products.build_catalog(
        [("J2329", "Injection, ublituximab-xiiy, 1mg"), ("J1308", "Injection, famotidine, 0.25 mg"),
         ("J7321", "Hyaluronan or derivative, hyalgan, supartz or visco-3, for intra-articular "
                   "injection, per dose")],
        [("J2329", "Briumvi"), ("J3301", "Kenalog-40")],
        cms_words="injection right knee office push file given in on of see hd".split())


@pytest.mark.parametrize(("text", "named"), [
    ("Briumvi 450 mg", True), ("ublituximab-xiiy 450 mg", True), ("famotidine 20 mg", True),
    ("Kenalog-40 40 mg", True), ("Visco-3 1 dose", True), ("B12 1000 mcg", True),
    ("5-FU 500 mg", True),
    ("nipocalimab-aahu (Imaavy) 1200 mg", True),   # a suffix: a biologic CMS has not coded
    ("Imaavy 1200 mg", True),                      # a word CMS never uses: a new product
    ("see attached invoice", False), ("inj 1 vial IV push", False),
    ("injection right knee", False), ("NDC on file", False),
    ("medication given in office", False), ("J3590 1 unit", False), (None, False),
])
def test_a_narrative_names_a_drug_only_by_words_cms_bears_out(catalog, text, named):
    assert claim_drugs.drug_named(catalog, read_narrative(text)) == named


@pytest.mark.parametrize(("billed", "name", "code", "descriptor", "expected"), [
    ("J3590", "datopotamab deruxtecan-dlnk", "J9011",
     "Injection, datopotamab deruxtecan-dlnk, 1 mg", "J9999"),
    ("J3490", "trastuzumab", "Q5999", "Injection, chemotherapy agent, 10 mg", "J9999"),
    ("J3490", "nipocalimab-aahu", None, None, "J3590"),
    ("J3490", "lecanemab-irmb", "J0174", "Injection, lecanemab-irmb, 1 mg", "J3590"),
    ("J3490", "argatroban", None, None, None),
    ("J3590", "ublituximab-xiiy", "J2329", "Injection, ublituximab-xiiy, 1mg", None),
    ("J9999", "rituximab-arrx", "Q5123", "Injection, rituximab-arrx, biosimilar, 10 mg", None),
    # the other way: a biologic coded outside J9 was no antineoplastic; a small molecule
    # coded outside J9 with no biologic word was no biologic
    ("J9999", "Briumvi", "J2329", "Injection, ublituximab-xiiy, 1mg", "J3590"),
    ("J3590", "famotidine", "J1308", "Injection, famotidine, 0.25 mg", "J3490"),
    ("J3590", "Humulin", "J1815", "Injection, insulin, per 5 units", None),
    ("J9999", "treosulfan", "J0614", "Injection, treosulfan, 50 mg", None),  # not a biologic
    ("J9999", "pembrolizumab", "J9271", "Injection, pembrolizumab, 1 mg", None),
    ("J9999", "trastuzumab-dkst", "Q5114", "Injection, trastuzumab-dkst, biosimilar, 10 mg",
     None),  # a Q-code says nothing of the family
    ("J9999", "nipocalimab-aahu", "C9305", "Injection, nipocalimab-aahu, 3 mg", None),
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
