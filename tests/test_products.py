"""Which codes a row names: found names, outranking, siblings, restricted uses, routes.

The catalog is built from real Oct 2025 HCPCS descriptors and crosswalk Drug Names (copied
verbatim); the verdicts these identifications lead to are tested in test_match.py and on the
real files in test_match_real_lists.py.
"""

from __future__ import annotations

import pytest

from crosswalk import products

DESCRIPTORS = [  # (code, long description, ended?) from HCPC2025_OCT_ANWEB.xlsx
    ("J9299", "Injection, nivolumab, 1 mg", False),
    ("J9289", "Injection, nivolumab, 2 mg and hyaluronidase-nvhy", False),
    ("J9298", "Injection, nivolumab and relatlimab-rmbw, 3 mg/1 mg", False),
    ("C9453", "Injection, nivolumab, 1 mg", True),
    ("J3262", "Injection, tocilizumab, 1 mg", False),
    ("Q5133", "Injection, tocilizumab-bavi (tofidence), biosimilar, 1 mg", False),
    ("Q5135", "Injection, tocilizumab-aazg (tyenne), biosimilar, 1 mg", False),
    ("Q5156", "Injection, tocilizumab-anoh (avtozma), biosimilar, 1 mg", False),
    ("Q0237", "Injection, tocilizumab-anoh, for hospitalized adult patients with covid-19 who "
              "are receiving systemic corticosteroids and require supplemental oxygen, "
              "non-invasive or invasive mechanical ventilation, or extracorporeal membrane "
              "oxygenation (ecmo) only, 1 mg", False),
    ("J9380", "Injection, teclistamab-cqyv, 0.5 mg", False),
    ("C9148", "Injection, teclistamab-cqyv, 0.5 mg", True),
    ("J9350", "Injection, mosunetuzumab-axgb, 1 mg", False),
    ("Q5137", "Injection, ustekinumab-auub (wezlana), biosimilar, subcutaneous, 1 mg", False),
    ("Q5138", "Injection, ustekinumab-auub (wezlana), biosimilar, intravenous, 1 mg", False),
    ("J0883", "Injection, argatroban, 1 mg (for non-esrd use)", False),
    ("J0884", "Injection, argatroban, 1 mg (for esrd on dialysis)", False),
    ("J9355", "Injection, trastuzumab, excludes biosimilar, 10 mg", False),
    ("Q5117", "Injection, trastuzumab-anns, biosimilar, (kanjinti), 10 mg", False),
    ("J9358", "Injection, fam-trastuzumab deruxtecan-nxki, 1 mg", False),
    ("J9354", "Injection, ado-trastuzumab emtansine, 1 mg", False),
    ("J9312", "Injection, rituximab, 10 mg", False),
    ("Q5123", "Injection, rituximab-arrx, biosimilar, (riabni), 10 mg", False),
    ("Q5115", "Injection, rituximab-abbs, biosimilar, (truxima), 10 mg", False),
    ("J9311", "Injection, rituximab 10 mg and hyaluronidase", False),
]
CROSSWALK_NAMES = [("J9299", "Opdivo"), ("J9289", "Opdivo Qvantig"), ("J9298", "Opdualag"),
                   ("J9380", "Tecvayli"), ("J9355", "Herceptin"), ("Q5123", "Riabni"),
                   ("J9312", "Rituxan"), ("J9311", "Rituxan Hycela")]


@pytest.fixture(scope="module")
def catalog() -> products.Catalog:
    return products.build_catalog([(code, text) for code, text, _ in DESCRIPTORS],
                                  CROSSWALK_NAMES,
                                  [code for code, _, ended in DESCRIPTORS if ended])


def identify(catalog: products.Catalog, *cells: str, route: str | None = None
             ) -> products.Identification:
    return products.identify(catalog, catalog.row_words(*cells, route=route))


@pytest.mark.parametrize("name", ["tocilizumab-anoh", "tocilizumab\u2013anoh",
                                  "TOCILIZUMAB \u2014 ANOH", "tocilizumab\u2011anoh",
                                  "tocilizumab anoh", "Avtozma", "Avtozma (tocilizumab-anoh)"])
def test_one_product_however_it_is_spelled(catalog, name: str) -> None:
    found = identify(catalog, name)
    assert found.codes == ["Q5156"] and found.settled
    assert "J3262" not in found.candidates()  # never the reference product


def test_a_use_restricted_code_gives_way(catalog) -> None:
    found = identify(catalog, "tocilizumab-anoh")
    assert "Q0237: restricted by CMS to a use" in found.notes[0]


@pytest.mark.parametrize(("name", "codes", "siblings"), [
    ("tocilizumab", ["J3262", "Q5133", "Q5135", "Q5156"], []),
    ("nivolumab", ["C9453", "J9299"], ["J9289", "J9298"]),
    ("rituximab", ["J9312", "Q5115", "Q5123"], ["J9311"]),
    ("trastuzumab", ["J9355", "Q5117"], ["J9354", "J9358"]),
])
def test_a_bare_generic_several_codes_carry_is_never_settled(catalog, name, codes,
                                                             siblings) -> None:
    found = identify(catalog, name)
    assert (found.codes, found.siblings) == (codes, siblings)
    assert not found.settled


@pytest.mark.parametrize(("cells", "code", "how"), [
    (("nivolumab and hyaluronidase",), "J9289", "generic"),   # the distinguishing word
    (("nivolumab", "Opdualag"), "J9298", "brand"),            # the brand settles
    (("Opdivo",), "J9299", "brand"),                          # Opdivo Qvantig is broader
    (("Tecvayli (teclistamab-cqyv) 30mg/3ml vial",), "J9380", "brand"),
    (("trastuzumab emtansine",), "J9354", "generic"),         # ado- may be left out
    (("Rituxan Hycela",), "J9311", "brand"),
])
def test_the_fullest_name_found_wins(catalog, cells, code: str, how: str) -> None:
    found = identify(catalog, *cells)
    assert (found.codes, found.how, found.settled) == ([code], how, True)


def test_a_missing_suffix_finds_the_only_product_with_a_note(catalog) -> None:
    found = identify(catalog, "mosunetuzumab")
    assert found.codes == ["J9350"] and found.settled
    assert found.notes == ["suffix missing on your list: mosunetuzumab-axgb is the only "
                           "product CMS codes under that name"]


def test_a_suffix_never_finds_another_product(catalog) -> None:
    assert identify(catalog, "rituximab-arrx").codes == ["Q5123"]
    assert identify(catalog, "rituximab-pvvr").codes == []           # not coded here
    assert identify(catalog, "tocilizumab-bvzx").codes == []          # a new biosimilar


def test_a_placeholder_suffix_lists_the_biosimilars_never_settles(catalog) -> None:
    """'tocilizumab-xxxx' (a formulary's "any biosimilar"): each coded biosimilar, for review;
    never the reference J3262 nor 'no code'."""
    found = identify(catalog, "tocilizumab-xxxx")
    assert found.codes == ["Q5133", "Q5135", "Q5156"] and not found.settled
    assert "J3262 is the reference product" in found.doubt


def test_generic_and_brand_of_different_products_conflict(catalog) -> None:
    found = identify(catalog, "rituximab-arrx", "Truxima")
    assert found.codes == ["Q5115", "Q5123"] and not found.settled
    assert found.conflict == "the generic name matches Q5123 but the brand matches Q5115"


def test_the_route_picks_between_a_products_iv_and_sc_codes(catalog) -> None:
    assert identify(catalog, "ustekinumab-auub").codes == ["Q5137", "Q5138"]
    assert identify(catalog, "ustekinumab-auub SC").codes == ["Q5137"]
    assert identify(catalog, "Wezlana", route="intravenous").codes == ["Q5138"]


def test_uses_that_both_restrict_stay_for_review(catalog) -> None:
    assert identify(catalog, "argatroban").codes == ["J0883", "J0884"]


def test_a_drug_word_no_code_explains_leaves_the_row_unsettled(catalog) -> None:
    found = identify(catalog, "nivolumab and pembrolizumab")
    assert found.unexplained == ["pembrolizumab"] and not found.settled


def test_a_spelling_slip_is_read_but_never_settled(catalog) -> None:
    found = identify(catalog, "rituxumab-arrx")
    assert (found.codes, found.how, found.settled) == (["Q5123"], "spelling", False)
    assert found.notes[0] == "spelling differs from CMS: 'rituxumab' looks like 'rituximab'"


def test_a_suffix_one_letter_off_is_a_near_miss(catalog) -> None:
    found = identify(catalog, "rituximab-arrz")
    assert found.codes == [] and found.near_misses == [("rituximab-arrz", "Q5123")]


# --- a hospital's list (third pass): ended products, manufacturers, longer brands ---------------
# Oct 2025 ANWEB descriptors (TERM DT where ended), crosswalk Drug Names and the labelers the
# Oct/Jan 2025 crosswalks give each code's NDCs.
HOSPITAL_DESCRIPTORS = [
    ("J9245", "Injection, melphalan hydrochloride, not otherwise specified, 50 mg", False),
    ("J9246", "Injection, melphalan (evomela), 1 mg", False),
    ("J9247", "Injection, melphalan flufenamide, 1mg", True),
    ("C9159", "Injection, prothrombin complex concentrate (human), balfaxar, per i.u. of "
              "factor ix activity", True),
    ("J7165", "Injection, prothrombin complex concentrate, human-lans, per i.u. of factor ix "
              "activity", False),
    ("J9041", "Injection, bortezomib, 0.1 mg", False),
    ("J9048", "Injection, bortezomib (fresenius kabi), not therapeutically equivalent to j9041, "
              "0.1 mg", False),
    ("J9049", "Injection, bortezomib (hospira), not therapeutically equivalent to j9041, "
              "0.1 mg", False),
    ("J0165", "Injection, epinephrine, not otherwise specified, 0.1 mg", False),
    ("J0167", "Injection, epinephrine (hospira), not therapeutically equivalent to j0165, "
              "0.1 mg", False),
    ("J1643", "Injection, heparin sodium (pfizer), not therapeutically equivalent to j1644, "
              "per 1000 units", False),
    ("J1644", "Injection, heparin sodium, per 1000 units", False),
    ("J2353", "Injection, octreotide, depot form for intramuscular injection, 1 mg", False),
    ("J2354", "Injection, octreotide, non-depot form for subcutaneous or intravenous "
              "injection, 25 mcg", False),
    ("J0881", "Injection, darbepoetin alfa, 1 microgram (non-esrd use)", False),
    ("J0882", "Injection, darbepoetin alfa, 1 microgram (for esrd on dialysis)", False),
    ("J3230", "Injection, chlorpromazine hcl, up to 50 mg", False),
    ("Q0161", "Chlorpromazine hydrochloride, 5 mg, oral, fda approved prescription "
              "anti-emetic, for use as a complete therapeutic substitute for an iv anti-emetic "
              "at the time of chemotherapy treatment, not to exceed a 48 hour dosage regimen",
     False),
    ("J9073", "Injection, cyclophosphamide (dr. reddy's), 5 mg", False),
    ("J9074", "Injection, cyclophosphamide (sandoz), 5 mg", False),
    ("J9075", "Injection, cyclophosphamide, not otherwise specified, 5 mg", False),
]
HOSPITAL_NAMES = [("J9246", "Evomela"), ("J9041", "Bortezomib"), ("J9049", "Bortezomib"),
                  ("J0881", "Aranesp"), ("J0882", "Aranesp"), ("J2353", "Octreotide Acetate"),
                  ("J2354", "Octreotide Acetate"),
                  ("J1643", "Heparin Sodium (Porcine)"), ("J1644", "Heparin Sodium"),
                  ("J2354", "Sandostatin"), ("J2353", "Sandostatin Lar Depot")]
HOSPITAL_LABELERS = [("J9041", "FreseniUS Kabi USA, LLC"), ("J9041", "Pfizer Inc"),
                     ("J9049", "Pfizer Inc"), ("J1643", "Pfizer Inc"), ("J1644", "Pfizer Inc"),
                     ("J1644", "B. Braun Medical Inc."), ("J0167", "Pfizer Inc")]


@pytest.fixture(scope="module")
def hospital() -> products.Catalog:
    return products.build_catalog(
        [(code, text) for code, text, _ in HOSPITAL_DESCRIPTORS], HOSPITAL_NAMES,
        [code for code, _, ended in HOSPITAL_DESCRIPTORS if ended],
        cms_words=["fresenius", "kabi", "pfizer", "hospira"], labelers=HOSPITAL_LABELERS,
        successions=[("C9159", "J7165")])  # C9159 ended 2024-03-31, J7165 from 2024-04-01


def test_an_ended_product_is_not_its_live_namesakes(hospital) -> None:
    """Pepaxto (melphalan flufenamide, J9247, ended) is none of the live melphalan codes;
    but an ended interim code never hides the code that took over the next day."""
    found = identify(hospital, "PEPAXTO (MELPHALAN FLUFENAMIDE) 20MG")
    assert found.codes == ["J9247"] and not found.siblings
    balfaxar = identify(hospital, "Balfaxar (prothrombin complex concentrate, human-lans)")
    assert balfaxar.codes == ["C9159", "J7165"]


def test_a_manufacturer_settles_unless_its_ndcs_are_under_another_code(hospital) -> None:
    """'(Hospira)' picks J9049 / J0167 (the other makers' codes are outranked, not
    siblings); Fresenius Kabi's and Pfizer's NDCs of the drug are also under J9041 / J1644."""
    for text, code in (("INJ BORTEZOMIB 0.1MG (HOSPIRA)", "J9049"),
                       ("EPINEPHRINE 1MG/10ML SYR (HOSPIRA)", "J0167")):
        found = identify(hospital, text)
        assert found.codes == [code] and found.settled, text
    for text, codes, maker in (("BORTEZOMIB 3.5MG VL (FRESENIUS KABI)", ["J9041", "J9048"],
                                "Fresenius Kabi"),
                               ("Heparin 1000 units/mL (Pfizer)", ["J1643", "J1644"], "Pfizer")):
        found = identify(hospital, text)
        assert found.candidates() == codes and not found.settled, text
        assert f"your list names {maker}, whose NDCs of this drug" in found.doubt


def test_a_word_of_a_longer_brand_lists_that_brand(hospital) -> None:
    """'Sandostatin LAR' is not Sandostatin (J2354): 'lar' is in Sandostatin Lar Depot."""
    found = identify(hospital, "Sandostatin LAR 20mg kit")
    assert found.candidates() == ["J2353", "J2354"] and not found.settled
    assert "'lar' on your list is part of the brand Sandostatin Lar Depot (J2353)" in found.doubt
    assert identify(hospital, "Sandostatin 100mcg/mL").settled


def test_what_a_descriptor_negates_or_restricts_is_never_the_other_code(hospital) -> None:
    """Found by sweeping every live code's own descriptor through the matcher: 'non-depot'
    is not 'depot' (J2354, never J2353); '(non-esrd use)' is a use, no brand 'esrd' that an
    ESRD row would find (J0881 was switched to for 'Aranesp (ESRD on dialysis)'); an oral
    row is never the injection code (J3230 for an oral chlorpromazine); the 's' of
    "(dr. reddy's)" never picks J9073 for a description cut at '(S'."""
    assert identify(hospital, "Octreotide inj, non-depot").codes == ["J2354"]
    assert identify(hospital, "octreotide depot 20 mg").codes == ["J2353"]
    assert identify(hospital, "OCTREOTIDE ACETATE 20 MG IM KIT").codes == ["J2353"]
    esrd = identify(hospital, "Aranesp 100mcg (ESRD on dialysis)")
    assert esrd.codes == ["J0881", "J0882"] and not esrd.settled
    oral = identify(hospital, "Chlorpromazine hcl 5mg oral")
    assert oral.codes == ["Q0161"] and not oral.settled and "J3230" in oral.siblings
    cut = identify(hospital, "INJECTION, CYCLOPHOSPHAMIDE (S")
    assert cut.codes == ["J9073", "J9074", "J9075"] and not cut.settled
