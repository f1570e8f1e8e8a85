"""NDC normalisation: the 11-digit 5-4-2 billing form, refusing what cannot be known."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crosswalk.ndc import first_ndc, normalize_ndc, readings, usable_ndcs


@pytest.mark.parametrize("raw, ndc11", [
    ("0002-7597-01", "00002759701"),      # 4-4-2: labeler padded
    ("50242-051-21", "50242005121"),      # 5-3-2: product padded
    ("60505-2519-1", "60505251901"),      # 5-4-1: package padded
    ("50242-0051-21", "50242005121"),     # 5-4-2 already
    ("50242005121", "50242005121"),       # 11 bare digits
    (" 50242-0051-21\u00a0", "50242005121"),  # crosswalk cells carry NBSP and spaces
    ("*55513-0710-01*", "55513071001"),   # marks an export puts around it
    ('"0003-3772-11"', "00003377211"),    # quoted 4-4-2
    ("55513.0710.01", "55513071001"),     # dots for hyphens
    ("55513\u20130710\u201301", "55513071001"),  # en dashes pasted from a web page
    ("NDC# 50242-0060-01", "50242006001"),
    # the claim form a charge master stores: N4, the NDC, the unit qualifier and quantity
    ("N400006302602 UN1", "00006302602"),
    ("N442023015925ML1", "42023015925"),
    ("N4 55513-0710-01 UN2.5", "55513071001"),
    ("55513-0710-01 F2 1000", "55513071001"),
])
def test_billing_form(raw: str, ndc11: str) -> None:
    result = normalize_ndc(raw)
    assert (result.ndc11, result.ok, result.raw) == (ndc11, True, raw)
    assert result.hyphenated == f"{ndc11[:5]}-{ndc11[5:9]}-{ndc11[9:]}"


@pytest.mark.parametrize("raw, reason", [
    ("5024205121", "ambiguous 10-digit"),
    ("GG100", "not an NDC"),
    ("RZT-18.21", "not an NDC"),
    ("50200F01B0D", "not an NDC"),
    ("012345678905", "12 digits"),            # UPC
    ("00312345678906", "14 digits"),          # GTIN
    ("1234-567-89", "segments 4-3-2"),
    ("", "empty"),
    (None, "empty"),
    ("***", "empty"),
    ("5.02421E+10", "scientific notation"),   # Excel's display: digits lost
    ("3377211", "7 digits"),                  # leading zeros dropped: only readings() helps
])
def test_refused_with_a_reason(raw: object, reason: str) -> None:
    result = normalize_ndc(raw)
    assert result.ndc11 is None and not result.ok and result.hyphenated is None
    assert reason in result.reason


def digits(count: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=count, max_size=count)


ten_digit_forms = st.sampled_from([(4, 4, 2), (5, 3, 2), (5, 4, 1)]).flatmap(
    lambda widths: st.tuples(*(digits(w) for w in widths)))


@given(ten_digit_forms)
def test_ten_digit_forms_gain_one_zero_in_the_short_segment(segments: tuple[str, ...]) -> None:
    result = normalize_ndc("-".join(segments))
    assert result.ndc11 is not None and len(result.ndc11) == 11 and result.ndc11.isdigit()
    resplit = (result.ndc11[:5], result.ndc11[5:9], result.ndc11[9:])
    for original, billed in zip(segments, resplit):
        assert billed == original.zfill(len(billed))  # same digits, one leading zero at most
    assert sum(len(a) != len(b) for a, b in zip(segments, resplit)) == 1


@given(digits(5), digits(4), digits(2))
def test_eleven_digit_forms_are_kept(labeler: str, product: str, package: str) -> None:
    assert normalize_ndc(f"{labeler}-{product}-{package}").ndc11 == labeler + product + package
    assert normalize_ndc(labeler + product + package).ndc11 == labeler + product + package


@pytest.mark.parametrize("raw, reading", [
    ("3377211", "00003377211"),       # 00003-3772-11 typed as a number: four zeros dropped
    ("3377211.0", "00003377211"),     # the same through pandas
    ("143937701", "00143937701"),
    ("6175500501", "61755000501"),    # 10 digits: 5-3-2 ...
    ("6175500501", "61755005001"),    # ... or 5-4-1
])
def test_readings_of_a_shortened_ndc(raw: str, reading: str) -> None:
    assert reading in readings(raw)


@pytest.mark.parametrize("raw", ["337721", "50242006001", "5.02421E+10", "GG100", ""])
def test_no_readings_where_no_zeros_can_be_missing(raw: str) -> None:
    """Six digits are shorter than any labeler leaves; 11 digits need nothing restored."""
    assert readings(raw) == []


def test_a_claim_quantity_alone_or_before_the_ndc_is_no_ndc() -> None:
    assert "not an NDC" in normalize_ndc("UN1").reason
    assert not normalize_ndc("ML12345678901").ok


def test_every_usable_ndc_of_a_cell_in_order() -> None:
    """A charge line may hold several products' NDCs: each is kept, the unusable left out."""
    cell = "0006-3026-02; 0006-3029-02, N455513071001 UN1 / pending / 0006-3026-02"
    assert usable_ndcs(cell) == ["00006302602", "00006302902", "55513071001"]
    assert usable_ndcs("50242-0132-01") == ["50242013201"]
    assert usable_ndcs("") == [] and usable_ndcs(None) == []
    chosen, others = first_ndc(cell)
    assert chosen.ndc11 == "00006302602" and "pending" in others
