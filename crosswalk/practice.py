"""The practice's drug list: the NOC-billed drugs a billing lead wants watched each quarter.

A list arrives as CSV or XLSX and is read by crosswalk/tabular.py: UTF-8, UTF-16 or
Windows-1252; comma, semicolon, tab or pipe; the first visible sheet with a drug column.
Column names follow `COLUMN_ALIASES`, so "Drug Name", "NDC11" or "Current HCPCS" work as well
as the documented `drug_name`, `ndc`, `current_code`; any other column is a warning naming the
nearest accepted one (a header "NCD" would otherwise lose every NDC).

Bad rows are listed (file, spreadsheet row with header = row 1, field) and left out; good rows
are always kept, so one typo or a broken quote never hides the rest of the list. Cell text is
taken literally: a cell starting with =, +, - or @ stays text and is never evaluated (an XLSX
formula comes in as its formula text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from crosswalk import schema, tabular
from crosswalk.archive import file_sha256
from crosswalk.errors import BadInput
from crosswalk.ndc import NdcResult, first_ndc, usable_ndcs
from crosswalk.tabular import folded as _folded

# Codes the list may hold: the NOC family, billed until CMS assigns a permanent code.
NOC_CODES = ("J3590", "J3490", "J9999", "C9399", "J7999")
DEFAULT_CODE = "J3590"

# Accepted header spellings, compared after lower-casing and folding punctuation to spaces.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "drug_name": ("drug name", "drug", "generic name", "generic", "drug generic name",
                  "medication", "medication name", "name", "nonproprietary name",
                  "drug description", "medication description", "drug desc",
                  # a hospital charge master, a wholesaler's order guide
                  "charge description", "charge desc", "item description",
                  "product description", "description"),
    "brand_name": ("brand name", "brand", "trade name", "proprietary name", "product name",
                   "product"),
    "ndc": ("ndc", "ndc11", "ndc 11", "ndc code", "ndc number", "national drug code", "ndc2"),
    "current_code": ("current code", "hcpcs", "current hcpcs", "hcpcs code", "code",
                     "billing code", "noc code", "billed code", "current hcpcs code",
                     "cpt hcpcs", "hcpcs cpt", "cpt hcpcs code", "hcpcs cpt code"),
    "dose": ("dose", "dosage", "typical dose", "usual dose", "dose given"),
    "payer": ("payer", "payor", "insurance", "plan"),
    "setting": ("setting", "site of service", "place of service", "pos", "site"),
    "notes": ("notes", "note", "comments", "comment"),
    "active": ("active", "in use", "is active", "status"),
    "keep_code": ("keep code", "keep noc", "keep noc code", "payer rule", "keep"),
    "route": ("route", "route of administration", "admin route"),
    "ndc_unit": ("ndc unit", "unit qualifier", "ndc unit qualifier", "ndc qualifier"),
    "ndc_quantity": ("ndc quantity", "ndc qty", "quantity", "ndc units"),
}

SETTING_VALUES: dict[str, str] = {
    "": "office", "office": "office", "physician office": "office", "clinic": "office",
    "pos 11": "office", "11": "office",
    "hospital outpatient": "hospital_outpatient", "hospital_outpatient": "hospital_outpatient",
    "hopd": "hospital_outpatient", "opps": "hospital_outpatient",
    "outpatient hospital": "hospital_outpatient", "hospital": "hospital_outpatient",
    "pos 22": "hospital_outpatient", "22": "hospital_outpatient", "19": "hospital_outpatient",
}
# A yes/no cell (keep_code): words, TRUE/FALSE as Excel shows them, and the x a ticked box gets
YES_NO_VALUES: dict[str, bool] = {
    "yes": True, "y": True, "true": True, "1": True, "x": True,
    "no": False, "n": False, "false": False, "0": False,
}
CHECK_MARKS = frozenset("\u2713\u2714\u2611\u2705")  # a ticked box pasted as a character
# A status cell (active): yes/no, or the status words and letters PM systems print (A/I)
ACTIVE_VALUES: dict[str, bool] = YES_NO_VALUES | {
    "active": True, "current": True, "in use": True, "a": True,
    "inactive": False, "i": False, "discontinued": False, "dc": False, "d c": False,
    "retired": False, "stopped": False, "not in use": False, "no longer used": False,
    "on hold": False, "hold": False,
}
# 'Yes - BCBSMI requires J3590', 'Inactive (since 2024)': the answer, then its reason
_ANSWER_THEN_REASON = re.compile(r"^\s*([^-\u2013\u2014(:;,]+?)\s*[-\u2013\u2014(:;,]")
# Lines an export or a spreadsheet keeps under (or between) the drugs: 'Total: 63
# medications', 'Prepared by ...', 'Page 1 of 2', 'CONFIDENTIAL'. Never a drug name ('Total
# parenteral nutrition' is one), and only when no other cell of the row says more.
# A report writer frames them in stars or rules ('*** END OF REPORT ***') and stamps them
# ('Printed: 10/03/2025 07:14 AM  User: JSMITH').
_NOTE_LINE = re.compile(
    r"^[\s*=#~_-]*(?:(?:grand\s+|sub\s*)?total(?!\s+parenteral)\b\s*(?:[:#=(-]|\d|$|(?:drugs?|"
    r"medications?|items?|rows?|count|records?|products?)\b)|prepared\s+by\b|"
    r"(?:printed|generated|exported|updated|created|reviewed)\s*(?:(?:by|on|from)\b|:|\d)|"
    r"report\s+(?:generated|printed|run|date)\b|run\s+date\b|last\s+updated\b|"
    r"page\s+\d+\s+of\s+\d+|confidential\b|source\s*:|"
    r"end\s+of\s+(?:report|list|file|data)\b)",
    re.IGNORECASE)
_NUMBERS_ONLY = re.compile(r"^[\d\s$.,%]*$")
# 'Office (POS 11)', 'Hospital outpatient - POS 22': a site cell as PM systems print it
_OFFICE = re.compile(r"\b(office|clinic|pos 11)\b")
_HOSPITAL = re.compile(r"\b(hospital|hopd|opps|outpatient|pos 22|pos 19)\b")
# 'J9999 JZ', 'J9999-JW': the code with its (required) single-dose modifiers
_CODE_WITH_MODIFIERS = re.compile(r"^([A-Z]\d{4})(?:[\s:-]*[A-Z0-9]{2})*$")
# 'J3590 - UNCLASSIFIED BIOLOGICS', 'J-3590', 'C9399 / HOPD': a charge master's code with its
# description or a note after it (and no second code, which would make the cell ambiguous)
_CODE_THEN_WORDS = re.compile(r"^([A-Z])\s*-?\s*(\d{4})\b(.*)$")
_ANOTHER_CODE = re.compile(r"\b[A-Z]\s*-?\s*\d{4}\b|\b\d{5}\b")
_PERMANENT_CODE = re.compile(r"^[A-V]\d{4}$")  # a HCPCS Level II code

# NDC unit qualifiers a claim may carry (837P CTP05-1, CMS-1500 item 24A)
NDC_UNITS = ("F2", "GR", "ME", "ML", "UN")



def drug_columns() -> list[str]:
    """practice_drugs columns minus run_id, in table order (from sql/schema)."""
    return list(schema.run_columns("practice_drugs"))

_DOSE = re.compile(r"^\s*(\d+(?:[.,]\d+)*)\s*([a-zA-Zµμ%]+(?:\s*/\s*[a-zA-Z]+)?)?\s*$")
_UNIT_WORDS = {"mg": "mg", "mgs": "mg", "milligram": "mg", "milligrams": "mg",
               "mcg": "mcg", "ug": "mcg", "µg": "mcg", "μg": "mcg", "microgram": "mcg",
               "micrograms": "mcg", "g": "g", "gm": "g", "gram": "g", "grams": "g",
               "ml": "ml", "cc": "ml", "l": "l", "unit": "units", "units": "units",
               "u": "units", "iu": "units", "meq": "meq", "mci": "mci", "uci": "uci",
               "each": "each", "vial": "vial", "vials": "vial"}


@dataclass
class DrugList:
    """The rows that passed (`drugs`, practice_drugs columns minus run_id) and the problems."""

    path: Path
    drugs: pd.DataFrame
    sha256: str | None = None   # of the bytes the rows were read from
    problems: list[BadInput] = field(default_factory=list)
    blank_rows: int = 0
    header_row: int = 1
    warnings: list[str] = field(default_factory=list)  # ignored columns, sheet, encoding
    sheet: str | None = None  # the XLSX sheet read

    @property
    def bad_rows(self) -> int:
        """Data rows refused (a header or file problem is not a bad row)."""
        return len({p.row for p in self.problems if p.row is not None and p.row > self.header_row})


@dataclass
class CheckResult:
    """What `crosswalk drugs check` prints: counts, then one line per problem."""

    drug_list: DrugList

    @property
    def ok(self) -> bool:
        return not self.drug_list.problems

    def describe(self) -> str:
        found = self.drug_list
        sheet = f", sheet {found.sheet!r}" if found.sheet else ""
        lines = [f"{found.path.name}{sheet}: {len(found.drugs)} drug(s) ok, "
                 f"{found.bad_rows} bad row(s), {found.blank_rows:,} blank row(s) skipped"]
        lines += [f"warning: {warning}" for warning in found.warnings]
        lines += [str(problem) for problem in found.problems]
        lines += [f"{found.path.name}, {warning}" for warning in ndc_warnings(found.drugs)]
        return "\n".join(lines)


def ndc_warnings(drugs: pd.DataFrame) -> list[str]:
    """One line per drug whose NDC cell is unusable or holds several NDCs, 'row N, field
    'ndc': what was done': a drug without a usable NDC is kept and matched by name (or by the
    NDC the matcher restored, which its note says)."""
    notes = drugs.dropna(subset=["ndc_note"])
    return [f"row {row_no}, field 'ndc': {note}"
            + ("" if isinstance(ndc11, str) else "; the drug is matched by name")
            for row_no, note, ndc11 in zip(notes["row_no"], notes["ndc_note"], notes["ndc11"])]


def check_file(path: Path | str) -> CheckResult:
    """Validate a drug list without touching the database (a header problem is one line too)."""
    path = Path(path)
    try:
        return CheckResult(read_drug_list(path))
    except BadInput as error:
        empty = pd.DataFrame(columns=drug_columns())
        return CheckResult(DrugList(path, empty, problems=[error]))


def read_drug_list(path: Path | str) -> DrugList:
    """Read and validate a CSV or XLSX drug list; raises BadInput only for a file-level fault.

    The file is hashed before and after it is read: a list saved again half-way through is
    refused, so the SHA-256 a match run records is always that of the rows it matched."""
    path = Path(path)
    before = file_sha256(path) if path.is_file() else None
    drugs, problems, notes = [], [], []
    seen: dict[tuple[str, ...], int] = {}
    with tabular.open_table(path, COLUMN_ALIASES, required=("drug_name",)) as table:
        for row_no, values in table.rows():
            if is_note_line(values):
                notes.append(row_no)
                continue
            drug, row_problems = _checked_row(values, path.name, row_no, seen)
            problems.extend(row_problems)
            if not row_problems:
                drugs.append(drug)
    if file_sha256(path) != before:
        raise BadInput("the file changed while it was being read: save it, close it and run "
                       "again", file=str(path))
    problems = sorted(table.problems + problems, key=lambda problem: problem.row or 0)
    frame = pd.DataFrame(drugs, columns=drug_columns())
    warnings = table.warnings + ([
        f"row{'s' if len(notes) > 1 else ''} {', '.join(map(str, notes))} left out: a note "
        "on the list (Total, Prepared by, Page 1 of 2, Confidential...), not a drug"]
        if notes else [])
    return DrugList(path, frame, before, problems, table.blank_rows, table.header_row,
                    warnings, table.sheet)


def is_note_line(values: dict[str, str]) -> bool:
    """A total, a 'Prepared by' or a 'Confidential' line in the drug column, with nothing
    but numbers in the row's other columns: a note the export or the spreadsheet keeps
    beside the drugs, not a drug to match."""
    return bool(_NOTE_LINE.match(values.get("drug_name", ""))) and all(
        _NUMBERS_ONLY.match(text) for name, text in values.items() if name != "drug_name")


def _checked_row(values: dict[str, str], file: str, row_no: int,
                 seen: dict[tuple[str, ...], int]
                 ) -> tuple[dict[str, Any] | None, list[BadInput]]:
    """parse_row, then the list-wide rule: the same drug, NDC, code, payer, route and site
    twice is a mistake (one drug for two payers, routes or sites is not)."""
    drug, row_problems = parse_row(values, file, row_no)
    if drug is not None:
        key = (drug["drug_name"].lower(), drug["ndc_raw"] or "", drug["current_code"],
               drug["payer"] or "", drug["route"] or "", drug["setting"])
        if key in seen:
            row_problems.append(BadInput(f"duplicate of row {seen[key]} (same drug name, "
                                         "NDC, code, payer, route and site)", file=file, row=row_no,
                                         field="drug_name"))
        else:
            seen[key] = row_no
    return drug, row_problems


def parse_row(values: dict[str, str], file: str, row_no: int
              ) -> tuple[dict[str, Any] | None, list[BadInput]]:
    """One spreadsheet row -> a practice_drugs row, or the reasons it cannot be one.

    An unusable NDC never costs the row: the drug is still matched by name, and `ndc_note`
    says what was wrong (the matcher may restore an NDC Excel shortened, see match.py).
    """
    problems: list[BadInput] = []

    def bad(field_name: str, reason: str) -> None:
        problems.append(BadInput(reason, file=file, row=row_no, field=field_name))

    # kept verbatim ('Riabni (rituximab-arrx)'): the matcher reads brand and generic from it
    name, brand = values.get("drug_name", ""), values.get("brand_name", "")
    if not name:
        bad("drug_name", "empty drug name")
    ndc_raw = values.get("ndc", "")
    ndc, other_ndcs = first_ndc(ndc_raw) if ndc_raw else (None, [])
    code = _code(values.get("current_code", ""))
    if code not in NOC_CODES:
        bad("current_code", _not_noc(values.get("current_code", ""), code))
    setting = _setting(values.get("setting", ""))
    if setting is None:
        bad("setting", f"{values['setting']!r}: use office or hospital outpatient "
                       "(HOPD, OPPS)")
    active = _yes_no(values, "active", True, bad, ACTIVE_VALUES)
    keep = _yes_no(values, "keep_code", False, bad, YES_NO_VALUES)
    unit = values.get("ndc_unit", "").upper().replace(" ", "") or None
    if unit is not None and unit not in NDC_UNITS:
        bad("ndc_unit", f"{values['ndc_unit']!r}: use one of {', '.join(NDC_UNITS)}")
    quantity = _quantity(values.get("ndc_quantity", ""), bad)
    if problems:
        return None, problems
    amount, dose_unit = parse_dose(values.get("dose", ""))
    return {
        "row_no": row_no, "drug_name": name, "brand_name": brand or None,
        "ndc_raw": ndc_raw or None, "ndc11": ndc.ndc11 if ndc else None, "current_code": code,
        "dose": values.get("dose") or None, "dose_amount": amount, "dose_unit": dose_unit,
        "payer": values.get("payer") or None, "setting": setting,
        "notes": values.get("notes") or None, "active": active, "keep_code": keep,
        "route": values.get("route") or None, "ndc_unit": unit, "ndc_quantity": quantity,
        "ndc_note": _ndc_note(ndc_raw, ndc, other_ndcs),
    }, problems


def _code(text: str) -> str:
    """The NOC code of a cell, without the JW/JZ modifiers a PM export may print beside it
    or the description a charge master keeps with it."""
    cleaned = text.upper().strip()
    found = _CODE_WITH_MODIFIERS.match(cleaned)
    if found:
        return found[1]
    labelled = _CODE_THEN_WORDS.match(cleaned)
    if labelled and not _ANOTHER_CODE.search(labelled[3]):
        return labelled[1] + labelled[2]
    return cleaned.replace(" ", "") or DEFAULT_CODE


def _not_noc(cell: str, code: str) -> str:
    """Why a code is refused, quoting the cell as written; a charge master lists drugs on
    their permanent codes too, which the list does not watch."""
    reason = (f"{cell!r} is not a NOC code: the list holds drugs billed under "
              f"{', '.join(NOC_CODES)} until CMS assigns a permanent code")
    if _PERMANENT_CODE.match(code):
        reason += f"; {code} is a permanent code, and rows on one are not matched"
    return reason


def _setting(text: str) -> str | None:
    folded = _folded(text)
    if folded in SETTING_VALUES:
        return SETTING_VALUES[folded]
    hospital, office = bool(_HOSPITAL.search(folded)), bool(_OFFICE.search(folded))
    return None if hospital == office else "hospital_outpatient" if hospital else "office"


def _ndc_note(raw: str, ndc: NdcResult | None, others: list[str]) -> str | None:
    """Why the NDC cell was not used, or how a cell of several NDCs was: each usable one is
    looked up (a charge line may hold several products), the first is printed on claims."""
    notes = [f"NDC {raw!r} not used: {ndc.reason}"] if ndc and not ndc.ok else []
    if ndc and ndc.ok and others:
        usable = usable_ndcs(raw)
        unusable = [piece for piece in others if not usable_ndcs(piece)]
        if len(usable) > 1:
            notes.append(f"{len(usable)} NDCs in one cell, each looked up in the CMS crosswalk; "
                         f"{ndc.hyphenated}, the first, is the one printed on claims")
        if unusable:
            notes.append(f"{', '.join(unusable)} in the same cell not an NDC")
    return "; ".join(notes) or None


def _yes_no(values: dict[str, str], name: str, default: bool, bad: Any,
            words: dict[str, bool]) -> bool:
    """A yes/no cell as offices fill them in: a word of `words`, a tick (x, a check mark),
    or the answer with its reason after it ('Yes - BCBSMI requires J3590')."""
    text = values.get(name, "").strip()
    if not text:
        return default
    reasoned = _ANSWER_THEN_REASON.match(text)
    answer = True if text in CHECK_MARKS else words.get(_folded(text))
    if answer is None and reasoned:
        answer = words.get(_folded(reasoned[1]))
    if answer is None:
        bad(name, f"{values[name]!r}: use yes/no, true/false, 1/0, y/n or x"
                  + (", active/inactive or A/I" if words is ACTIVE_VALUES else ""))
        return default
    return answer


def _quantity(text: str, bad: Any) -> float | None:
    if not text.strip():
        return None
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        value = -1.0
    if value <= 0:
        bad("ndc_quantity", f"{text!r}: the NDC quantity is a positive number (e.g. 2.5)")
        return None
    return value


def parse_dose(text: str) -> tuple[float | None, str | None]:
    """'450 mg' -> (450.0, 'mg'); '1,000 units' -> (1000.0, 'units'); a per-weight dose such
    as '6 mg/kg' keeps its unit so the units advice can say why it cannot count units."""
    found = _DOSE.match(text or "")
    if not found:
        return None, None
    amount = float(found[1].replace(",", ""))
    unit = (found[2] or "").lower().replace(" ", "")
    if not unit:
        return amount, None
    base, _, per = unit.partition("/")
    base = _UNIT_WORDS.get(base, base)
    return amount, f"{base}/{per}" if per else base


def normalize_unit(word: str) -> str:
    """Spellings of a dose unit in CMS descriptors and lists ('MG', 'cc', 'IU') -> one form."""
    key = word.strip().lower()
    return _UNIT_WORDS.get(key, key)
