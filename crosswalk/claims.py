"""Claim lines from the files a practice has: 837P interchanges and claim-line exports.

A claim check needs, per service line, what a payer will judge the drug line on: claim id,
line number, date of service, place of service, code and modifiers, units, the narrative
(drug name and dose), the NDC with its quantity and unit, the prior-authorisation number and
the payer. Nothing else is read: the 837P's subscriber and patient loops (2010BA/2010CA:
names, member ids, addresses, birth dates) are skipped segment by segment and never reach
memory beyond the split, and an export's other columns are never selected.

- 837P (ASC X12 5010, 005010X222A1), recognised by content (an ISA header), any extension,
  any number of ST/SE transactions and claims: 2300 CLM (CLM01 claim id, CLM05-1 place of
  service; a claim whose CLM05-3 frequency is 8, a void, bills nothing and is passed over
  with a note), 2300/2400 REF*G1 (prior authorisation; the line's wins), 2010BB NM1*PR
  (payer name), 2400 LX, SV1 (SV101-2 code, -3..-6 modifiers, -7 description; SV104
  units; SV105 line place of service), DTP*472 (D8 or RD8), NTE (line note), 2410 LIN (LIN02 qualifier,
  LIN03 NDC) and CTP (CTP04 quantity, CTP05-1 unit). Segments come from crosswalk.x12.
- Exports (CSV or XLSX): the columns in EXPORT_COLUMNS, spelled as a practice system spells
  them (COLUMN_ALIASES), one row per service line; see crosswalk.claim_exports.

Readers return Arrow record batches whose columns are exactly claim_lines' minus file_id
and ndc11 (LINE_COLUMNS); the check normalises NDCs and stores them. Unreadable input is
refused whole with BadInput naming the file and the segment (837P) or row and field
(exports): a half-read file would check the wrong claims.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NoReturn

import pyarrow as pa

from crosswalk import x12
from crosswalk.errors import BadInput

BATCH_LINES = 50_000
HEAD_BYTES = 4096
VOID_FREQUENCY = "8"  # CLM05-3: the claim cancels an earlier one (7 replaces it: checked)
MAX_NAMED = 20
# claim_lines columns minus file_id and ndc11, in table order (the readers' contract);
# modifiers travel comma-separated ('JW,59') and become a list as they are stored
LINE_SCHEMA = pa.schema([
    ("line_seq", pa.int32()), ("claim_seq", pa.int32()), ("claim_id", pa.string()),
    ("line_no", pa.int32()), ("source_line", pa.int32()), ("transaction_id", pa.string()),
    ("date_of_service", pa.date32()), ("dos_through", pa.date32()),
    ("place_of_service", pa.string()), ("hcpcs", pa.string()),
    ("modifiers", pa.string()), ("units", pa.float64()), ("narrative", pa.string()),
    ("ndc_raw", pa.string()), ("ndc_qualifier", pa.string()), ("ndc_quantity", pa.float64()),
    ("ndc_unit", pa.string()), ("prior_auth", pa.string()), ("payer", pa.string()),
])
LINE_COLUMNS = tuple(LINE_SCHEMA.names)


@dataclass
class ClaimFile:
    """A claim file being read: its kind, and its lines as Arrow batches (read lazily, so
    the caller stores each batch before the next is read). Counts fill in as it reads."""

    path: Path
    kind: str  # 837p | csv | xlsx
    batches: Iterator[pa.RecordBatch]
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # e.g. an export's columns left unused

    @property
    def position_word(self) -> str:
        """What source_line counts: X12 segments or spreadsheet rows."""
        return "segment" if self.kind == "837p" else "row"


def file_kind(path: Path) -> str:
    """837p when the content opens with ISA (any extension), else xlsx or csv by content
    (a zip is a workbook) and then by extension."""
    if not path.is_file():
        raise BadInput("no such file", file=str(path))
    with path.open("rb") as stream:
        head = stream.read(HEAD_BYTES)
    if x12.looks_like_x12(head):
        return "837p"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if path.suffix.lower() in (".xls", ".xlsb", ".ods"):
        raise BadInput(f"{path.suffix} workbooks are not read: save the export as .xlsx or "
                       ".csv", file=path.name)
    return "csv"


def read_claim_file(path: Path | str, batch_lines: int = BATCH_LINES) -> ClaimFile:
    """Open a claim file of any kind; its batches are read when iterated."""
    path = Path(path)
    kind = file_kind(path)
    if kind == "837p":
        counts: dict[str, int] = {}
        notes: list[str] = []
        return ClaimFile(path, kind, read_837p(path, counts, batch_lines, notes), counts,
                         notes)
    from crosswalk import claim_exports

    return claim_exports.read_export(path, kind, batch_lines)


# ---------------------------------------------------------------------------------------------
# 837P


def read_837p(path: Path, counts: dict[str, int] | None = None,
              batch_lines: int = BATCH_LINES, notes: list[str] | None = None
              ) -> Iterator[pa.RecordBatch]:
    """The service lines of an 837P file as record batches of LINE_SCHEMA; `notes` hears
    of what was passed over (void claims)."""
    delimiters, segments = x12.open_segments(path)
    walk = _Walk837(path.name, delimiters)
    handlers = walk.handlers
    for number, elements in enumerate(segments, start=1):
        handler = handlers.get(elements[0])
        if handler is not None:
            handler(number, elements)
            if len(walk.rows) >= batch_lines:
                yield walk.flush()
    walk.finish_file()
    if walk.rows:
        yield walk.flush()
    if counts is not None:
        counts.update(walk.counts())
    if notes is not None and walk.voided:
        notes.append(_void_note(walk.voided))


class _Walk837:
    """Follows the loops of an 837P segment by segment, keeping only what LINE_SCHEMA holds.

    One method per segment tag that matters; every other tag (the subscriber's and patient's
    NM1/N3/N4/DMG above all) is passed over without being looked at.
    """

    def __init__(self, name: str, delimiters: x12.Delimiters) -> None:
        self.name, self.component = name, delimiters.component
        self.rows: list[tuple[object, ...]] = []
        self.handlers: dict[str, Callable[[int, list[str]], None]] = {
            "ISA": self._isa, "ST": self._st, "SE": self._se, "HL": self._hl, "NM1": self._nm1,
            "CLM": self._clm, "REF": self._ref, "LX": self._lx, "SV1": self._sv1,
            "DTP": self._dtp, "NTE": self._nte, "LIN": self._lin, "CTP": self._ctp,
            "IEA": self._iea}
        self.transactions = self.claims = self.lines = 0
        self.interchanges = self.closed = 0
        self.transaction: str | None = None
        self.transaction_start = 0
        self.payer: str | None = None
        self.claim: list[object] | None = None  # [claim_seq, claim_id, pos, prior_auth]
        self.void = False  # the claim in hand voids an earlier one: its lines are not kept
        self.voided: list[str] = []
        self.line: dict[str, object] | None = None

    # -- the segments ---------------------------------------------------------------------

    def _isa(self, number: int, elements: list[str]) -> None:
        # each interchange declares its own delimiters (x12 re-splits on them): ISA16
        self.interchanges += 1
        self.component = _element(elements, 16)[:1] or self.component

    def _iea(self, number: int, elements: list[str]) -> None:
        self.closed += 1

    def _st(self, number: int, elements: list[str]) -> None:
        if self.transaction is not None:
            self._bad(number, "ST", "ST01", "a transaction starts before the previous one "
                                             "ended (no SE)")
        if _element(elements, 1) != "837":
            self._bad(number, "ST", "ST01", f"transaction set {_element(elements, 1)!r} is "
                                             "not an 837 claim")
        self.transaction, self.transaction_start = _element(elements, 2), number
        self.transactions += 1

    def _se(self, number: int, elements: list[str]) -> None:
        self._end_claim()
        if self.transaction is None:
            self._bad(number, "SE", "SE02", "SE without ST")
        declared, counted = _element(elements, 1), number - self.transaction_start + 1
        if declared != str(counted):
            self._bad(number, "SE", "SE01", f"SE says the transaction has {declared} "
                                             f"segments, the file has {counted}: segments "
                                             "are missing or extra")
        self.transaction = None

    def _hl(self, number: int, elements: list[str]) -> None:
        self._end_claim()
        if _element(elements, 3) == "22":  # a new subscriber: a new payer follows
            self.payer = None

    def _nm1(self, number: int, elements: list[str]) -> None:
        # 2010BB payer name; the 2330B other-payer NM1*PR comes after CLM and is not ours
        if self.claim is None and _element(elements, 1) == "PR":
            self.payer = _element(elements, 3) or None

    def _clm(self, number: int, elements: list[str]) -> None:
        self._end_claim()
        claim_id = _element(elements, 1)
        if not claim_id:
            self._bad(number, "CLM", "CLM01", "claim without a claim id")
        facility = _element(elements, 5).split(self.component)
        pos = facility[0]
        self.void = facility[2:3] == [VOID_FREQUENCY]
        if self.void:
            self.voided.append(claim_id)
        self.claims += 1
        self.claim = [self.claims, claim_id, pos or None, None]

    def _ref(self, number: int, elements: list[str]) -> None:
        if _element(elements, 1) != "G1" or self.claim is None:
            return
        if self.line is not None:
            self.line["prior_auth"] = _element(elements, 2) or None
        else:
            self.claim[3] = _element(elements, 2) or None

    def _lx(self, number: int, elements: list[str]) -> None:
        self._end_line()
        if self.claim is None:
            self._bad(number, "LX", "LX01", "service line outside a claim (no CLM before it)")
        line_no = _element(elements, 1)
        if not line_no.isdigit():
            self._bad(number, "LX", "LX01", f"line number {line_no!r} is not a number")
        self.line = {"line_no": int(line_no), "segment": number}

    def _sv1(self, number: int, elements: list[str]) -> None:
        line = self._in_line(number, "SV1")
        if "hcpcs" in line:
            self._bad(number, "SV1", "SV101", "a second SV1 in one service line (LX)")
        composite = _element(elements, 1).split(self.component)
        code = composite[1].strip().upper() if len(composite) > 1 else ""
        if not code:
            self._bad(number, "SV1", "SV101-2", "no procedure code")
        line["hcpcs"] = code
        line["modifiers"] = ",".join(m.strip().upper() for m in composite[2:6]
                                     if m.strip()) or None
        line["description"] = composite[6].strip() if len(composite) > 6 else ""
        line["units"] = _number(_element(elements, 4), self.name, number, "SV1", "SV104")
        line["pos"] = _element(elements, 5) or None
        line["segment"] = number

    def _dtp(self, number: int, elements: list[str]) -> None:
        if self.line is None or _element(elements, 1) != "472":
            return
        where = (self.name, number, "DTP", "DTP03")
        qualifier, value = _element(elements, 2), _element(elements, 3)
        if qualifier == "D8":
            self.line["dos"], self.line["through"] = _d8(value, *where), None
        elif qualifier == "RD8" and "-" in value:
            first, last = value.split("-", 1)
            self.line["dos"], self.line["through"] = _d8(first, *where), _d8(last, *where)
        else:
            self._bad(number, "DTP", "DTP02", f"date qualifier {qualifier!r}: expected D8 "
                                               "or RD8")

    def _nte(self, number: int, elements: list[str]) -> None:
        if self.line is not None:
            note = _element(elements, 2).strip()
            if note:
                self.line.setdefault("notes", []).append(note)  # type: ignore[union-attr]

    def _lin(self, number: int, elements: list[str]) -> None:
        line = self._in_line(number, "LIN")
        line["ndc_qualifier"] = _element(elements, 2) or None
        line["ndc"] = _element(elements, 3).strip() or None

    def _ctp(self, number: int, elements: list[str]) -> None:
        line = self._in_line(number, "CTP")
        line["ndc_quantity"] = _number(_element(elements, 4), self.name, number, "CTP",
                                       "CTP04")
        line["ndc_unit"] = _element(elements, 5).split(self.component)[0] or None

    # -- assembling lines ---------------------------------------------------------------

    def _in_line(self, number: int, tag: str) -> dict[str, object]:
        if self.line is None:
            self._bad(number, tag, None, f"{tag} outside a service line (no LX before it)")
        return self.line  # type: ignore[return-value]

    def _end_claim(self) -> None:
        self._end_line()
        self.claim = None

    def _end_line(self) -> None:
        line, self.line = self.line, None
        if line is None:
            return
        claim = self.claim
        assert claim is not None
        at = int(line["segment"])  # type: ignore[call-overload]
        if "hcpcs" not in line:
            self._bad(at, "LX", None, "service line without SV1")
        if "dos" not in line:
            self._bad(at, "SV1", None, "service line without a date of service (DTP*472)")
        if self.void:
            return
        narrative = "; ".join(filter(None, [line["description"],
                                            *line.get("notes", ())]))  # type: ignore[list-item]
        self.lines += 1
        self.rows.append((
            self.lines, claim[0], claim[1], line["line_no"], at, self.transaction,
            line["dos"], line["through"], line["pos"] or claim[2], line["hcpcs"],
            line["modifiers"], line["units"], narrative or None, line.get("ndc"),
            line.get("ndc_qualifier"), line.get("ndc_quantity"), line.get("ndc_unit"),
            line.get("prior_auth") or claim[3], self.payer))

    def flush(self) -> pa.RecordBatch:
        rows, self.rows = self.rows, []
        columns = list(zip(*rows))
        return pa.RecordBatch.from_arrays(
            [pa.array(values, type=column.type) for values, column in zip(columns, LINE_SCHEMA)],
            schema=LINE_SCHEMA)

    def finish_file(self) -> None:
        if self.transaction is not None:
            self._bad(self.transaction_start, "ST", None, "the last transaction has no SE: "
                                                          "the file is cut short")
        if self.interchanges == 0 or self.closed < self.interchanges:
            raise BadInput("no IEA closes the interchange: the file is cut short",
                           file=self.name)
        if self.transactions == 0:
            raise BadInput("no ST*837 transaction in the file", file=self.name)

    def counts(self) -> dict[str, int]:
        return {"transactions": self.transactions, "claims": self.claims, "lines": self.lines}

    def _bad(self, number: int, tag: str, field_name: str | None, reason: str) -> NoReturn:
        raise BadInput(reason, file=f"{self.name} segment {number} ({tag})", field=field_name)


def _void_note(claim_ids: list[str]) -> str:
    """A void bills nothing: its lines judged as billed would be findings and amounts at
    risk on a claim the payer only cancels."""
    named = ", ".join(claim_ids[:MAX_NAMED]) + (" ..." if len(claim_ids) > MAX_NAMED else "")
    return (f"{len(claim_ids)} void claim(s) passed over (CLM05-3 = 8: it cancels an earlier "
            f"claim and bills nothing): {named}")


def _element(elements: list[str], index: int) -> str:
    return elements[index] if index < len(elements) else ""


def _number(text: str, name: str, number: int, tag: str, field_name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadInput(f"{text!r} is not a number", file=f"{name} segment {number} ({tag})",
                       field=field_name) from None
    if value < 0 or value != value:
        raise BadInput(f"{text!r} is not a quantity", file=f"{name} segment {number} ({tag})",
                       field=field_name)
    return value


def _d8(text: str, name: str, number: int, tag: str, field_name: str) -> date:
    """CCYYMMDD -> date, without strptime (a 100,000-line file has 100,000 of them). A
    year before 1900 (a century left out: 00251015) is refused, not read as the year 25."""
    if len(text) == 8 and text.isdigit() and text[:2] in ("19", "20"):
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            pass
    raise BadInput(f"{text!r} is not a date (CCYYMMDD)", file=f"{name} segment {number} ({tag})",
                   field=field_name)
