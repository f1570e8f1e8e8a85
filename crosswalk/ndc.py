"""National Drug Codes in billing form: 11 digits, 5-4-2, stored as text.

Claims carry the 11-digit form. Labels print 10-digit forms (4-4-2, 5-3-2, 5-4-1) whose short
segment gets one leading zero. A bare 10-digit string is ambiguous (which segment is short?),
so we refuse it with a reason instead of padding blindly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# segments joined by hyphens, by any dash a copy from a web page or Word brings, or by dots
_HYPHENATED = re.compile(r"^(\d{4,5})[-.\u2010-\u2015\u2212](\d{3,4})[-.\u2010-\u2015\u2212]"
                         r"(\d{1,2})$")
_SEPARATORS = re.compile(r"[\s\u00a0]+")
_LABELS = re.compile(r"^(?:ndc|n4)[:#]?|\.0$", re.IGNORECASE)
# the claim form's unit qualifier and quantity after the NDC: 'N400006302602 UN1' (CMS-1500
# item 24A, 837P LIN/CTP), as charge masters store it
_CLAIM_QUANTITY = re.compile(r"(?<=\d)(?:F2|GR|ME|ML|UN)\d+(?:\.\d+)?$", re.IGNORECASE)
# marks an export or a typist puts around a number: '*55513-0710-01*', '"00003-3772-11"'
_DECORATION = "*#'\"()[]{}<>"
# Excel's display of a long number in a General column: the last digits are gone
_SCIENTIFIC = re.compile(r"^\d(?:\.\d+)?e\+?\d+$", re.IGNORECASE)
# several NDCs typed into one cell: '61314-0866-01; 61314-0866-02'
_LIST_SEPARATORS = re.compile(r"[;,/|\n]+")
_TARGET = (5, 4, 2)


@dataclass(frozen=True)
class NdcResult:
    """Outcome of normalising one identifier: `ndc11` or a `reason` it is not one."""

    raw: str
    ndc11: str | None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.ndc11 is not None

    @property
    def hyphenated(self) -> str | None:
        """5-4-2 with hyphens, as printed on reports."""
        if self.ndc11 is None:
            return None
        return f"{self.ndc11[:5]}-{self.ndc11[5:9]}-{self.ndc11[9:]}"


def normalize_ndc(raw: object) -> NdcResult:
    """Return the 11-digit form of `raw`, or a reason it cannot be one.

    Labels a cell may carry around the number are dropped: 'NDC 55513-0224-01', the claim
    form 'N4' + NDC + unit qualifier and quantity ('N400006302602 UN1'), and the '.0' a
    database or pandas appends to a number (61314086601.0).
    """
    text = _cleaned(raw)
    if not text:
        return NdcResult(str(raw or ""), None, "empty")
    if text.isdigit():
        return _from_digits(str(raw), text)
    if _SCIENTIFIC.match(text):
        return NdcResult(str(raw), None, "shown in Excel's scientific notation, its last "
                                         "digits lost: format the NDC column as Text and "
                                         "type the NDC again")
    found = _HYPHENATED.match(text)
    if not found:
        return NdcResult(str(raw), None, "not an NDC: expected 5-4-2, 4-4-2, 5-3-2, 5-4-1 or 11 digits")
    return _from_segments(str(raw), found.groups())


def _cleaned(raw: object) -> str:
    """The cell without spaces, the marks around it and its labels ('NDC', 'N4', '.0', a
    claim's 'UN1')."""
    text = _SEPARATORS.sub("", "" if raw is None else str(raw)).strip(_DECORATION)
    return _CLAIM_QUANTITY.sub("", _LABELS.sub("", text)).strip(_DECORATION)


def _from_digits(raw: str, digits: str) -> NdcResult:
    if len(digits) == 11:
        return NdcResult(raw, digits)
    if len(digits) == 10:
        return NdcResult(raw, None, "ambiguous 10-digit NDC without hyphens: write it as "
                                    "4-4-2, 5-3-2 or 5-4-1 so the short segment is known")
    return NdcResult(raw, None, f"not an NDC: {len(digits)} digits (an NDC has 10 or 11)")


def _from_segments(raw: str, segments: tuple[str, ...]) -> NdcResult:
    lengths = tuple(len(part) for part in segments)
    if sum(lengths) == 11 and lengths == _TARGET:
        return NdcResult(raw, "".join(segments))
    if sum(lengths) != 10:
        return NdcResult(raw, None, f"not an NDC: segments {'-'.join(map(str, lengths))}")
    padded = [part.zfill(width) for part, width in zip(segments, _TARGET)]
    return NdcResult(raw, "".join(padded))


def readings(raw: object) -> list[str]:
    """Every 11-digit NDC an unusable cell could have been, before Excel or a typist cut it.

    Excel stores an NDC typed as a number without its leading zeros (00143937701 ->
    143937701; a labeler such as 00003 or 00006 loses four: 00003-3772-11 -> 3377211), and a
    bare 10-digit label NDC could be 4-4-2, 5-3-2 or 5-4-1. So a digit string of 7 to 10
    digits (the shortest a real labeler leaves) reads as: the 11-digit form with its leading
    zeros restored, and each 10-digit label form (leading zeros restored to 10 first) with
    its short segment padded. Only the CMS crosswalk can tell which reading is real (the
    matcher restores an NDC when exactly one reading is there); this never guesses.
    """
    digits = _cleaned(raw).replace("-", "")
    if not digits.isdigit() or not 7 <= len(digits) <= 10:
        return []
    ten = digits.zfill(10)
    found = [digits.zfill(11), "0" + ten, ten[:5] + "0" + ten[5:], ten[:9] + "0" + ten[9:]]
    return list(dict.fromkeys(found))


def first_ndc(raw: object) -> tuple[NdcResult, list[str]]:
    """The first usable NDC of a cell that may list several (a product's package sizes, or a
    charge master's products on one charge line), and the other entries, which the caller
    mentions rather than drops silently."""
    pieces = _pieces(raw)
    results = [normalize_ndc(piece) for piece in pieces] or [normalize_ndc(raw)]
    chosen = next((result for result in results if result.ok), results[0])
    return chosen, [piece for piece in pieces if piece != chosen.raw]


def usable_ndcs(raw: object) -> list[str]:
    """Every usable 11-digit NDC of a cell, in order: a charge line may hold the NDCs of
    different products, and each one's code counts."""
    found = (normalize_ndc(piece) for piece in _pieces(raw) or [str(raw or "")])
    return list(dict.fromkeys(result.ndc11 for result in found if result.ok))


def _pieces(raw: object) -> list[str]:
    return [piece.strip() for piece in _LIST_SEPARATORS.split(str(raw or "")) if piece.strip()]
