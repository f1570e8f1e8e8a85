"""crosswalk.x12: delimiters from ISA, segments streamed in chunks, cut-short files refused.

Fixtures are 837P files from tests/claim_builders.py, each validated by pyx12 first, written
with the usual delimiters and with others (any character the ISA declares is a delimiter).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

import claim_builders as cb
from crosswalk import x12
from crosswalk.errors import BadInput

LINE = cb.ServiceLine("J2329", 450, date(2025, 10, 15), ("JZ",), "ublituximab-xiiy 450 mg",
                      ndc="73150015006", ndc_quantity=3, ndc_unit="UN")
CLAIMS = [cb.Claim("ACCT1001", [LINE, cb.ServiceLine("96365", 1, date(2025, 10, 15))])]


def write(tmp_path: Path, content: bytes, name: str = "claims.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("delimiters", [
    cb.Delimiters(),
    cb.Delimiters(newline=""),
    cb.Delimiters(newline="\r\n"),
    cb.Delimiters(element="|", component=">", repetition="{", segment="!"),
    cb.Delimiters(element="^", component="\\", repetition="}", segment="\n", newline=""),
], ids=["tilde-lf", "one-line", "tilde-crlf", "pipe-bang", "newline-terminator"])
def test_delimiters_come_from_isa_and_every_segment_is_split(tmp_path, delimiters):
    path = write(tmp_path, cb.x12_837p(CLAIMS, delimiters=delimiters))
    assert cb.pyx12_problems(path) == []
    found, segments = x12.open_segments(path)
    assert (found.element, found.component, found.repetition, found.segment) == (
        delimiters.element, delimiters.component, delimiters.repetition, delimiters.segment)
    tags = [elements[0] for elements in segments]
    assert tags[:3] == ["ISA", "GS", "ST"] and tags[-2:] == ["GE", "IEA"]
    assert tags.count("SV1") == 2 and tags.count("LX") == 2
    sv1 = next(e for e in x12.open_segments(path)[1] if e[0] == "SV1")
    assert sv1[1].split(delimiters.component)[:3] == ["HC", "J2329", "JZ"]
    assert sv1[4] == "450"


def test_segments_split_across_chunk_boundaries_arrive_whole(tmp_path):
    path = write(tmp_path, cb.x12_837p(CLAIMS * 40))
    whole = list(x12.open_segments(path)[1])
    for chunk in (7, 64, 1000):
        assert list(x12.open_segments(path, chunk_bytes=chunk)[1]) == whole


def test_a_byte_order_mark_and_blank_lines_before_isa_are_tolerated(tmp_path):
    path = write(tmp_path, b"\xef\xbb\xbf\r\n" + cb.x12_837p(CLAIMS))
    assert x12.looks_like_x12(path.read_bytes())
    assert next(x12.open_segments(path)[1])[0] == "ISA"


def test_a_file_without_isa_is_not_x12(tmp_path):
    path = write(tmp_path, b"claim_id,line\nA1,1\n", "claims.csv")
    assert not x12.looks_like_x12(path.read_bytes())
    with pytest.raises(BadInput, match="does not start with an ISA segment") as error:
        x12.open_segments(path)
    assert "claims.csv segment 1" in str(error.value)


def test_a_cut_short_isa_is_refused(tmp_path):
    path = write(tmp_path, b"ISA*00*          *00*   ")
    with pytest.raises(BadInput, match="ISA segment is cut short"):
        x12.open_segments(path)


def test_a_file_cut_mid_segment_is_refused_naming_the_segment(tmp_path):
    content = cb.x12_837p(CLAIMS)
    cut = content[: content.index(b"SV1") + 12]
    path = write(tmp_path, cut)
    assert cb.pyx12_problems(path)  # pyx12 agrees the file is broken
    with pytest.raises(BadInput, match="ends in the middle of a segment") as error:
        list(x12.open_segments(path)[1])
    number = cut.decode().count("~") + 1
    assert f"segment {number}" in str(error.value)
    assert "SV1" in str(error.value) and "J2329" not in str(error.value)


elements = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Nd"),
                                          whitelist_characters=" .-"), max_size=12)


@hypothesis_settings(max_examples=60, deadline=None)
@given(segments=st.lists(st.lists(elements, min_size=1, max_size=6), min_size=1, max_size=30),
       chunk=st.integers(min_value=1, max_value=300),
       separators=st.sampled_from([("*", ":", "^", "~"), ("|", ">", "{", "!"),
                                   ("^", "\\", "}", "'")]))
def test_segments_round_trip_whatever_the_chunk_size(tmp_path_factory, segments, chunk,
                                                     separators):
    element, component, repetition, terminator = separators
    isa = cb.x12_837p([], delimiters=cb.Delimiters(element, component, repetition, terminator,
                                                   "\n"), validate=False)  # its ISA only
    header = isa.decode().split(terminator)[0]
    body = [["ZZ" + "".join(parts[:1])] + parts[1:] for parts in segments]
    text = header + terminator + "".join(element.join(seg) + terminator + "\n" for seg in body)
    path = tmp_path_factory.mktemp("x12") / "round-trip.x12"
    path.write_text(text, encoding="utf-8")  # UTF-8 split across chunks decodes whole
    read = list(x12.open_segments(path, chunk_bytes=chunk)[1])
    assert read[1:] == body


@pytest.mark.parametrize("chunk", [7, 300, x12.CHUNK_BYTES])
def test_a_later_interchange_ending_segments_with_another_character(tmp_path, chunk):
    """The second interchange ends its segments with "'" and never uses the first one's
    '~', and the third goes back to '~' with no line break after its last segment: every
    interchange is split on its own delimiters (the later ISA was looked for only among
    whole segments, so an interchange holding none of the current terminator stayed one
    unterminated tail: 'the file ends in the middle of a segment')."""
    first = cb.x12_837p(CLAIMS)
    second = cb.x12_837p(CLAIMS, control=2, delimiters=cb.Delimiters(
        element="|", component="\\", repetition="}", segment="'", newline=""))
    third = cb.x12_837p(CLAIMS, control=3).rstrip(b"\n")
    path = write(tmp_path, first + second + third)
    tags = [elements[0] for elements in x12.open_segments(path, chunk_bytes=chunk)[1]]
    assert tags.count("ISA") == tags.count("IEA") == 3
    assert tags.count("SV1") == 6 and tags[-1] == "IEA"
