"""Build claim files for tests: 837P (ASC X12 5010, 005010X222A1) and claim-line exports.

One claim description (`Claim` with `ServiceLine`s and a `Patient`) is written either as an
837P interchange or as the CSV/XLSX export a practice-management system produces, so every
finding can be tested through both paths on the same facts.

837P (`x12_837p(claims, ...) -> bytes`, validated by pyx12 as it is built): ISA/GS/ST ... SE/GE/IEA with the loops a
clearinghouse expects: 1000A submitter (with PER), 1000B receiver, 2000A/2010AA billing
provider (NPI, address, EIN), 2000B subscriber with 2010BA (subscriber name, member id,
address, birth date: the patient details that must never be kept) and 2010BB payer, 2000C/
2010CA when the patient is not the subscriber, 2300 CLM (+ REF*G1 prior authorisation, HI
diagnosis), 2400 LX/SV1/DTP*472 (+ NTE*ADD), 2410 LIN/CTP. Delimiters are parameters, so a
test can use `|` or `!` instead of `*` and `~`; `per_transaction` splits claims over several
ST/SE transactions. `pyx12_problems(path or bytes)` runs pyx12's validator (x12valid's
x12n_document) and returns its errors: every 837P built here goes through it, and tests of
broken files ask it to agree they are broken.

Export (`export_csv(claims) -> bytes`, `export_xlsx(claims) -> bytes`): the columns issue 15
names, one row per service line.

Codes, NDCs and dates in the tests come from the October 2025 CMS files; names, member ids,
addresses and birth dates are made up (and distinctive, so a grep for them means something).
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Iterable, Sequence

from openpyxl import Workbook

EXPORT_COLUMNS = ("claim_id", "line", "date_of_service", "dos_through", "place_of_service",
                  "hcpcs", "modifiers", "units", "narrative", "ndc", "ndc_quantity", "ndc_unit",
                  "prior_auth", "payer")
BILLING_NPI = "1234567893"  # passes the NPI check digit (Luhn with the 80840 prefix)
RENDERING_NPI = "1245319599"


@dataclass(frozen=True)
class Patient:
    """Made-up patient details, chosen so a grep of every output finds them if they leak."""

    last: str = "ZZQUIXOTE"
    first: str = "MARGARETHA"
    member_id: str = "XQZ998877A"
    street: str = "4417 WHISPERING MAPLE LN"
    city: str = "PLOVERVILLE"
    state: str = "IL"
    zip_code: str = "627040000"
    birth_date: str = "19580314"
    gender: str = "F"

    def details(self) -> tuple[str, ...]:
        """Every identifying value as it appears in the file (for the leak grep)."""
        born = self.birth_date
        values = (self.last, self.first, self.member_id, self.street, self.city, born,
                  f"{born[:4]}-{born[4:6]}-{born[6:]}", f"{born[4:6]}/{born[6:]}/{born[:4]}")
        return tuple(value for value in values if value)


@dataclass(frozen=True)
class ServiceLine:
    code: str
    units: float
    dos: date
    modifiers: tuple[str, ...] = ()
    description: str | None = None   # SV101-7
    note: str | None = None          # NTE*ADD
    ndc: str | None = None           # LIN03
    ndc_qualifier: str = "N4"        # LIN02
    ndc_quantity: float | None = None
    ndc_unit: str | None = None      # CTP05-1
    pos: str | None = None           # SV105
    dos_through: date | None = None  # RD8
    prior_auth: str | None = None    # 2400 REF*G1
    charge: float = 100.0

    @property
    def narrative(self) -> str:
        return "; ".join(part for part in (self.description, self.note) if part)


@dataclass(frozen=True)
class Claim:
    claim_id: str
    lines: Sequence[ServiceLine]
    pos: str = "11"
    prior_auth: str | None = None
    payer: str = "MEDICARE PART B"
    subscriber: Patient = field(default_factory=Patient)
    patient: Patient | None = None  # a dependant: 2000C/2010CA
    other_payer: str | None = None  # a secondary payer: 2320 SBR, 2330A, 2330B NM1*PR
    frequency: str = "1"  # CLM05-3: 1 original, 7 replacement, 8 void
    payer_claim: str | None = None  # REF*F8, the payer's number of the claim replaced/voided

    @property
    def charge(self) -> float:
        return round(sum(line.charge for line in self.lines), 2)


@dataclass(frozen=True)
class Delimiters:
    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"
    newline: str = "\n"  # written after each terminator ("" for one long line)


def _amount(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _quantity(value: float) -> str:
    return f"{value:g}"


def _d8(day: date) -> str:
    return day.strftime("%Y%m%d")


def x12_837p(claims: Sequence[Claim], *, per_transaction: int | None = None,
             delimiters: Delimiters = Delimiters(), control: int = 1,
             validate: bool = True) -> bytes:
    """An 837P interchange holding `claims` (several ST/SE transactions when
    `per_transaction` is given), as bytes with the given delimiters.

    Every interchange built here goes through pyx12's validator before a test sees it
    (`validate=False` only for the benchmark's 100,000-line files, which it times pyx12 on,
    and for a bare header)."""
    d = delimiters
    groups = ([claims[i:i + per_transaction] for i in range(0, len(claims), per_transaction)]
              if per_transaction else [claims])
    isa = (f"ISA{d.element}00{d.element}{'':10}{d.element}00{d.element}{'':10}{d.element}ZZ"
           f"{d.element}{'NORTHSIDEINF':<15}{d.element}ZZ{d.element}{'CLEARHOUSE01':<15}"
           f"{d.element}251020{d.element}1200{d.element}{d.repetition}{d.element}00501"
           f"{d.element}{control:09d}{d.element}0{d.element}T{d.element}{d.component}")
    segments = [isa, _join(d, "GS", "HC", "NORTHSIDEINF", "CLEARHOUSE01", "20251020", "1200",
                           str(control), "X", "005010X222A1")]
    for number, group in enumerate(groups, start=1):
        body = _transaction(group, d, f"{number:04d}")
        segments += body
    segments += [_join(d, "GE", str(len(groups)), str(control)),
                 _join(d, "IEA", "1", f"{control:09d}")]
    text = "".join(segment + d.segment + d.newline for segment in segments)
    content = text.encode("ascii")  # pyx12 reads X12 as ASCII (the basic character set)
    if validate:
        problems = pyx12_problems(content)
        assert not problems, f"pyx12 refuses the built 837P: {problems}"
    return content


def _join(d: Delimiters, *elements: str) -> str:
    values = list(elements)
    while values and values[-1] == "":
        values.pop()
    return d.element.join(values)


def _transaction(claims: Sequence[Claim], d: Delimiters, control: str) -> list[str]:
    j = lambda *elements: _join(d, *elements)  # noqa: E731
    body = [
        j("ST", "837", control, "005010X222A1"),
        j("BHT", "0019", "00", f"BATCH{control}", "20251020", "1200", "CH"),
        j("NM1", "41", "2", "NORTHSIDE INFUSION CLINIC", "", "", "", "", "46", "SUBMIT123"),
        j("PER", "IC", "BILLING OFFICE", "TE", "2175550100"),
        j("NM1", "40", "2", "CLEARINGHOUSE INC", "", "", "", "", "46", "RECV456"),
        j("HL", "1", "", "20", "1"),
        j("NM1", "85", "2", "NORTHSIDE INFUSION CLINIC", "", "", "", "", "XX", BILLING_NPI),
        j("N3", "100 CLINIC WAY"),
        j("N4", "SPRINGFIELD", "IL", "627010000"),
        j("REF", "EI", "371234567"),
    ]
    hl = 1
    for claim in claims:
        hl += 1
        subscriber_hl = hl
        dependant = claim.patient is not None
        s = claim.subscriber
        body += [
            j("HL", str(hl), "1", "22", "1" if dependant else "0"),
            j("SBR", "P", "" if dependant else "18", "", "", "", "", "", "", "MB"),
            j("NM1", "IL", "1", s.last, s.first, "", "", "", "MI", s.member_id),
            j("N3", s.street),
            j("N4", s.city, s.state, s.zip_code),
            j("DMG", "D8", s.birth_date, s.gender),
            j("NM1", "PR", "2", claim.payer, "", "", "", "", "PI", "00952"),
        ]
        if dependant:
            p = claim.patient
            hl += 1
            body += [
                j("HL", str(hl), str(subscriber_hl), "23", "0"),
                j("PAT", "19"),
                j("NM1", "QC", "1", p.last, p.first),
                j("N3", p.street),
                j("N4", p.city, p.state, p.zip_code),
                j("DMG", "D8", p.birth_date, p.gender),
            ]
        body += _claim_segments(claim, d)
    body.append(j("SE", str(len(body) + 1), control))
    return body


def _claim_segments(claim: Claim, d: Delimiters) -> list[str]:
    j = lambda *elements: _join(d, *elements)  # noqa: E731
    c = d.component
    out = [j("CLM", claim.claim_id, _amount(claim.charge), "", "",
             f"{claim.pos}{c}B{c}{claim.frequency}", "Y", "A", "Y", "Y")]
    if claim.payer_claim:
        out.append(j("REF", "F8", claim.payer_claim))
    if claim.prior_auth:
        out.append(j("REF", "G1", claim.prior_auth))
    out += [j("HI", f"ABK{c}G35"),
            j("NM1", "82", "1", "RIVERA", "ANA", "", "", "", "XX", RENDERING_NPI),
            j("PRV", "PE", "PXC", "207RH0003X")]
    if claim.other_payer:
        s = claim.subscriber
        out += [j("SBR", "S", "18", "", "", "", "", "", "", "CI"),
                j("OI", "", "", "Y", "", "", "Y"),
                j("NM1", "IL", "1", s.last, s.first, "", "", "", "MI", s.member_id),
                j("NM1", "PR", "2", claim.other_payer, "", "", "", "", "PI", "99999")]
    for number, line in enumerate(claim.lines, start=1):
        mods = list(line.modifiers) + [""] * (4 - len(line.modifiers))
        composite = c.join(["HC", line.code, *mods, line.description or ""]).rstrip(c)
        out += [j("LX", str(number)),
                j("SV1", composite, _amount(line.charge), "UN", _quantity(line.units),
                  line.pos or "", "", "1")]
        if line.dos_through:
            out.append(j("DTP", "472", "RD8", f"{_d8(line.dos)}-{_d8(line.dos_through)}"))
        else:
            out.append(j("DTP", "472", "D8", _d8(line.dos)))
        if line.prior_auth:
            out.append(j("REF", "G1", line.prior_auth))
        if line.note:
            out.append(j("NTE", "ADD", line.note))
        if line.ndc:
            out.append(j("LIN", "", line.ndc_qualifier, line.ndc))
            out.append(j("CTP", "", "", "", _quantity(line.ndc_quantity or 1),
                         line.ndc_unit or "UN"))
    return out


# ---------------------------------------------------------------------------------------------
# The export: one row per service line


def export_rows(claims: Iterable[Claim]) -> list[list[str]]:
    """Header and rows of the claim-line export, values as a practice system writes them."""
    rows = [list(EXPORT_COLUMNS)]
    for claim in claims:
        for number, line in enumerate(claim.lines, start=1):
            rows.append([
                claim.claim_id, str(number), line.dos.isoformat(),
                line.dos_through.isoformat() if line.dos_through else "", line.pos or claim.pos,
                line.code, ",".join(line.modifiers), _quantity(line.units), line.narrative,
                line.ndc or "", _quantity(line.ndc_quantity) if line.ndc else "",
                (line.ndc_unit or "UN") if line.ndc else "", line.prior_auth or claim.prior_auth or "",
                claim.payer])
    return rows


def export_csv(claims: Iterable[Claim], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(export_rows(claims))
    return buffer.getvalue().encode(encoding)


def export_xlsx(claims: Iterable[Claim]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Claim lines"
    for row in export_rows(claims):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_both(folder: Path, stem: str, claims: Sequence[Claim], **options: object
               ) -> dict[str, Path]:
    """The same claims as `<stem>.837` and `<stem>.csv` in `folder`: {'837p': ..., 'csv': ...}."""
    folder.mkdir(parents=True, exist_ok=True)
    x12 = folder / f"{stem}.837"
    x12.write_bytes(x12_837p(claims, **options))  # type: ignore[arg-type]
    export = folder / f"{stem}.csv"
    export.write_bytes(export_csv(claims))
    return {"837p": x12, "csv": export}


# ---------------------------------------------------------------------------------------------
# pyx12: the validator every 837P fixture must pass


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def pyx12_problems(source: Path | bytes) -> list[str]:
    """What pyx12 4.0's validator finds wrong in an X12 file or its bytes ([] when it says OK).

    The same call x12valid makes (x12n_document with the 837 5010 map pyx12 ships); its
    errors arrive as ERROR log records and in the 999 acknowledgement it writes.
    """
    import pyx12.error_handler
    import pyx12.params
    import pyx12.x12n_document

    logger = logging.getLogger("pyx12")
    collect = _Collect()
    logger.addHandler(collect)
    try:
        ack = io.StringIO()
        src = (io.StringIO(source.decode("ascii")) if isinstance(source, bytes)
               else str(source))
        ok = pyx12.x12n_document.x12n_document(
            param=pyx12.params.params(), src_file=src, fd_997=ack, fd_html=None)
    finally:
        logger.removeHandler(collect)
    problems = list(collect.messages)
    if not ok and not problems:
        problems.append("pyx12 reports a failure (see its 999):\n" + ack.getvalue())
    return problems
