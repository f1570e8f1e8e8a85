"""ASC X12 at the token level: delimiters from the ISA header, segments streamed from a file.

An X12 interchange declares its own delimiters in the fixed-width ISA segment: the element
separator is the character after "ISA", the component separator is ISA16, the segment
terminator is the character after ISA16 (often "~", optionally followed by a newline), and
the repetition separator is ISA11 (5010). Everything after that is "split on the terminator,
then on the element separator".

We tokenise ourselves rather than through pyx12 because of speed: pyx12 (which knows the 837P
map and validates against it) reads about 400 service lines a second here, so a day's
100,000-line file would take minutes; splitting segments in chunks of a megabyte reads the
same file in about a second (figures: benchmarks/claims_benchmark.py, docs/claims.md). pyx12
still validates every 837P fixture in the tests, so the files this reads are real 837Ps.

The file is read in chunks, never whole, so memory stays flat however large the file is.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from crosswalk.errors import BadInput

ISA_ELEMENTS = 16
CHUNK_BYTES = 1 << 20
HEAD_BYTES = 4096  # the ISA (106 characters) with room for a BOM and blank lines before it
_BOM = "\ufeff"


@dataclass(frozen=True)
class Delimiters:
    """The four separators an interchange declares in its ISA segment."""

    element: str
    component: str
    repetition: str
    segment: str


def looks_like_x12(head: bytes) -> bool:
    """True when the bytes open an X12 interchange (an ISA segment), whatever the file's
    extension: practice systems save 837P files as .txt, .dat, .837, .x12 or nothing."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"ISA")


def read_delimiters(text: str, file: str) -> Delimiters:
    """The delimiters declared by the ISA segment at the start of `text`.

    ISA is fixed width (106 characters with its terminator) in a conforming file, but the
    separators are found by position in the element list, so a header padded wrongly by a
    practice system is still read.
    """
    start = text.lstrip(_BOM + " \t\r\n")
    if not start.startswith("ISA") or len(start) < 4:
        raise BadInput("not an X12 file: it does not start with an ISA segment",
                       file=f"{file} segment 1")
    element = start[3]
    parts = start.split(element, ISA_ELEMENTS)
    if len(parts) <= ISA_ELEMENTS or len(parts[ISA_ELEMENTS]) < 2:
        raise BadInput(f"the ISA segment is cut short: expected {ISA_ELEMENTS} elements "
                       f"separated by {element!r}", file=f"{file} segment 1 (ISA)")
    component, segment = parts[ISA_ELEMENTS][0], parts[ISA_ELEMENTS][1]
    repetition = parts[11][:1]
    if len({element, component, segment}) < 3 or segment.isalnum() or element.isalnum():
        raise BadInput(f"the ISA segment declares unusable delimiters (element {element!r}, "
                       f"component {component!r}, segment {segment!r})",
                       file=f"{file} segment 1 (ISA)", field="ISA16")
    return Delimiters(element, component, repetition, segment)


def open_segments(path: Path, chunk_bytes: int = CHUNK_BYTES
                  ) -> tuple[Delimiters, Iterator[list[str]]]:
    """The file's delimiters, and its segments in order as element lists (elements[0] is
    the tag). The ISA header is read at once, so a file that is no X12 fails here.

    Line breaks after terminators are dropped (unless a line break is the terminator). A
    file that ends in the middle of a segment is refused: a cut-short transfer must not
    look like a short day.
    """
    stream = path.open("rb")
    try:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        head = decoder.decode(stream.read(max(chunk_bytes, HEAD_BYTES)))
        delimiters = read_delimiters(head, path.name)
    except BaseException:
        stream.close()
        raise
    return delimiters, _split(stream, decoder, head, delimiters, path.name, chunk_bytes)


def _split(stream: BinaryIO, decoder: codecs.IncrementalDecoder, head: str,
           delimiters: Delimiters, name: str, chunk_bytes: int) -> Iterator[list[str]]:
    """The segments, split a chunk at a time. A later interchange may declare other
    delimiters than the first (two practice systems' files joined into one upload): at each
    later ISA the declared delimiters are read, and the rest is split on them."""
    terminator, separator = delimiters.segment, delimiters.element
    clean = _line_break_remover(terminator)
    rest = clean(head.lstrip(_BOM + " \t\r\n"))
    number = 0
    with stream:
        final = False
        while not final:
            chunk = stream.read(chunk_bytes)
            final = not chunk
            rest += clean(decoder.decode(chunk, final=final))
            while True:
                later_isa = "ISA" in rest
                pieces = rest.split(terminator)
                rest = pieces.pop()
                at, declared = (_next_interchange(pieces, number, terminator, separator, rest,
                                                  final, name) if later_isa else (None, None))
                for piece in pieces[:at]:
                    yield piece.split(separator)
                if at is None:
                    number += len(pieces)
                    break
                number += at
                rest = terminator.join([*pieces[at:], rest])
                if declared is None:
                    break  # the ISA is read whole once the next chunk is in
                terminator, separator = declared.segment, declared.element
    if rest.strip(" \t\r\n\x1a"):  # DOS-era systems end a file with Ctrl-Z (0x1A)
        raise BadInput(f"the file ends in the middle of a segment ({rest[:3]!r}...): was it "
                       "cut short in transfer?", file=f"{name} segment {number + 1}")


def _next_interchange(pieces: list[str], number: int, terminator: str, separator: str,
                      rest: str, final: bool, name: str) -> tuple[int | None, Delimiters | None]:
    """(position among `pieces`, its delimiters) of the first later ISA declaring other
    delimiters than those in use; (position, None) when its text is not all read yet;
    (None, None) when there is none. The unterminated `rest` counts as the last position:
    an interchange ending its segments with another character holds none of the current
    terminators, so all of it (its ISA first) stays there. A terminator that changes between
    a line break and a character is refused: line breaks were already dropped, or kept, as
    the first said."""
    for at, piece in enumerate([*pieces, rest]):
        if piece[:3] != "ISA" or not (number or at):
            continue
        text = terminator.join([*pieces[at:], rest])
        if len(text) < HEAD_BYTES and not final:
            return at, None
        where = f"{name} segment {number + at + 1}"
        declared = read_delimiters(text, where)
        if (declared.segment in "\r\n") != (terminator in "\r\n"):
            raise BadInput("this interchange ends its segments differently from the first "
                           "one (a line break against a character): check its file on its own",
                           file=f"{where} (ISA)", field="ISA16")
        if (declared.segment, declared.element) != (terminator, separator):
            return at, declared
    return None, None


def _line_break_remover(terminator: str) -> Callable[[str], str]:
    """Drop CR/LF between segments; when the terminator itself is a line break, drop only
    the other kind (a CRLF file split on LF leaves a CR to remove)."""
    if terminator == "\n":
        return lambda text: text.replace("\r", "")
    if terminator == "\r":
        return lambda text: text.replace("\n", "")
    return lambda text: text.replace("\r", "").replace("\n", "")
