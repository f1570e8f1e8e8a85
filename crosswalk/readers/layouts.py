"""Layout drift is data: which zip member holds a table, how to spot its header, what its
columns have been called. A new CMS quirk should be one more row here, not a new branch.

Header cells are compared after `header_key`: upper case, NBSP/underscores/runs of spaces
folded to one space, trimmed (`ACT_EFF_DT`, `Act Eff Dt` and `ACT EFF DT` are one key). Each
alias is a regular expression that must match the whole key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FOLD = re.compile(r"[\s\u00a0_]+")


def header_key(cell: object) -> str:
    """The comparable form of a header cell."""
    return _FOLD.sub(" ", str(cell or "")).strip().upper()


@dataclass(frozen=True)
class Column:
    """One target column: the header spellings seen for it, and whether a file must have it."""

    name: str
    aliases: str
    required: bool = False

    def matches(self, key: str) -> bool:
        return re.fullmatch(self.aliases, key) is not None


@dataclass(frozen=True)
class Layout:
    """A table inside a CMS file: its columns and how far down its header may sit."""

    table: str
    columns: tuple[Column, ...]
    max_header_row: int = 40

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.required)


def _numbered(name: str, alias: str, count: int) -> tuple[Column, ...]:
    return tuple(Column(f"{name}{i}", alias.format(i=i)) for i in range(1, count + 1))


# ANWEB workbook (48 columns; header on row 1 since ~2021, row 11 in the 2020 XLS).
HCPCS_XLSX = Layout("hcpcs_codes", (
    Column("code", r"HCPCS?( CODE)?", required=True),
    Column("seq_num", r"SEQ ?NUM(BER)?|SEQUENCE NUMBER"),
    Column("recid", r"REC ?ID|RECORD ID"),
    Column("long_description", r"LONG ?DESC(RIPTION|RIPTOR)?", required=True),
    Column("short_description", r"SHORT ?DESC(RIPTION|RIPTOR)?"),
    *_numbered("price_cd", r"PRICE ?{i}|PRICING IND(ICATOR)? ?{i}", 4),
    Column("multi_pi", r"MULTI?( PI| PRICING IND(ICATOR)?)"),
    *_numbered("xref", r"XREF ?{i}|CROSS ?REF(ERENCE)? ?{i}", 5),
    Column("coverage", r"COV(ERAGE)?"),
    Column("asc_group", r"ASC ?GRP|ASC GROUP"),
    Column("betos", r"BETOS"),
    *_numbered("tos", r"TOS ?{i}", 5),
    Column("anest_bu", r"ANES(T|THESIA)? ?(BU|BASE UNITS?)"),
    Column("add_date", r"ADD ?(DT|DATE)|CODE ADDED DATE", required=True),
    Column("action_eff_date", r"ACT(ION)? EFF(ECTIVE)? ?(DT|DATE)", required=True),
    Column("term_date", r"TERM(INATION)? ?(DT|DATE)", required=True),
    Column("action_cd", r"ACTION ?(CD|CODE)", required=True),
))

# "NOC codes_<MON><YYYY>.xlsx": title in B1, header on row 3, data from row 5.
NOC_CODES = Layout("noc_codes", (
    Column("code", r"HCPCS?( CODE)?", required=True),
    Column("long_description", r"LONG ?DESC(RIPTION|RIPTOR)?", required=True),
    Column("add_date", r"ADD ?(DT|DATE)", required=True),
    Column("term_date", r"TERM(INATION)? ?(DT|DATE)", required=True),
))

# Transaction report: TXT (tab-separated) or a workbook sheet, two columns.
TRANSACTIONS = Layout("hcpcs_transactions", (
    Column("code", r"HCPCS?(/MODIFIER)?( CODE)?", required=True),
    Column("change_type", r"TYPE OF CHANGE|CHANGE TYPE|ACTION", required=True),
))

# Section 508 payment limit file: 8 preamble rows, header on line 9.
PAYMENT_LIMITS = Layout("asp_payment_limits", (
    Column("hcpcs_code", r"HCPCS( CODE)?", required=True),
    Column("short_description", r"SHORT DESC(RIPTION|RIPTOR)?", required=True),
    Column("dosage", r"HCPCS CODE DOSAGE|DOSAGE", required=True),
    Column("payment_limit_raw", r"PAYMENT (LIMIT|ALLOWANCE LIMIT)", required=True),
    Column("coinsurance_pct", r"CO-?INSURANCE( PERCENTAGE| %)?"),
    Column("vaccine_awp_pct", r"VACCINE AWP ?%"),
    Column("vaccine_limit", r"VACCINE LIMIT"),
    Column("blood_awp_pct", r"BLOOD AWP ?%"),
    Column("blood_limit", r"BLOOD LIMIT"),
    Column("clotting_factor", r"CLOTTING FACTOR"),
    Column("notes", r"NOTES?"),
))

# ASP NDC-HCPCS crosswalk: the code column is `_YYYY_CODE`, its year can lag the quarter.
NDC_CROSSWALK = Layout("asp_ndc_crosswalk", (
    Column("hcpcs_code", r"\d{4} CODE|HCPCS( CODE)?", required=True),
    Column("short_description", r"SHORT DESC(RIPTION|RIPTOR)?"),
    Column("labeler_name", r"LABELER NAME"),
    Column("ndc_raw", r"NDC ?2?|NDC OR ALTERNATE ID", required=True),
    Column("drug_name", r"DRUG NAME", required=True),
    Column("hcpcs_dosage", r"HCPCS DOSAGE", required=True),
    Column("pkg_size", r"PKG SIZE"),
    Column("pkg_qty", r"PKG QTY"),
    Column("bill_units", r"BILLUNITS|BILL UNITS"),
    Column("bill_units_pkg", r"BILLUNITSPKG|BILL UNITS PKG"),
))

# NOC pricing (layout from a third-party description: 12 preamble rows).
NOC_PRICING = Layout("noc_pricing", (
    Column("drug_name", r"DRUG GENERIC NAME( \(TRADE NAME\))?", required=True),
    Column("dosage", r"DOSAGE", required=True),
    Column("payment_limit_raw", r"PAYMENT (LIMIT|ALLOWANCE LIMIT)", required=True),
    Column("notes", r"NOTES?"),
))

# NOC NDC crosswalk (third-party description: 9 preamble rows).
NOC_CROSSWALK = Layout("noc_crosswalk", (
    Column("generic_name", r"DRUG GENERIC NAME", required=True),
    Column("labeler_name", r"LABELER NAME"),
    Column("ndc_raw", r"NDC OR ALTERNATE ID|NDC ?2?", required=True),
    Column("drug_name", r"DRUG NAME", required=True),
    Column("dosage", r"DOSAGE|HCPCS DOSAGE"),
    Column("pkg_size", r"PKG SIZE"),
    Column("pkg_qty", r"PKG QTY"),
    Column("bill_units", r"BILLUNITS|BILL UNITS"),
    Column("bill_units_pkg", r"BILLUNITSPKG|BILL UNITS PKG"),
))


@dataclass(frozen=True)
class MemberRule:
    """How to find one table's member in a CMS zip (matched on the base name, any case).

    `prefer` orders the suffixes tried; among several matches with the same suffix the
    highest `_vN` (then the last name in sort order) wins, and the choice becomes a note.
    """

    table: str
    include: str
    exclude: str = r"(?!x)x"
    prefer: tuple[str, ...] = (".txt", ".xlsx", ".xls")


_NOT_COMPANIONS = r"trans|correction|layout|proc_?notes|readme"
MEMBER_RULES: dict[str, tuple[MemberRule, ...]] = {
    "hcpcs": (
        MemberRule("hcpcs_txt", r"hcpc\d{4}.*anweb.*\.txt", _NOT_COMPANIONS, (".txt",)),
        MemberRule("hcpcs_xlsx", r"hcpc\d{4}.*anweb.*\.xlsx?", _NOT_COMPANIONS,
                   (".xlsx", ".xls")),
        MemberRule("noc_codes", r"noc[ _]codes.*\.xlsx?", prefer=(".xlsx", ".xls")),
        MemberRule("hcpcs_transactions", r"hcpc\d{4}.*trans.*\.(txt|xlsx?)",
                   prefer=(".xlsx", ".txt", ".xls")),
    ),
    "asp_pricing": (MemberRule(
        "asp_payment_limits", r".*(pricing file|payment limit).*\.(csv|xlsx?)",
        r"noc|opps|awp crosswalk", (".csv", ".xlsx", ".xls")),),
    "asp_crosswalk": (MemberRule(
        "asp_ndc_crosswalk", r".*asp.*crosswalk.*\.(csv|xlsx?)", r"noc|opps|awp|prep",
        (".csv", ".xlsx", ".xls")),),
    "noc_pricing": (MemberRule(
        "noc_pricing", r".*noc.*pricing.*\.(csv|xlsx?)", prefer=(".csv", ".xlsx", ".xls")),),
    "noc_crosswalk": (MemberRule(
        "noc_crosswalk", r".*noc.*crosswalk.*\.(csv|xlsx?)", prefer=(".csv", ".xlsx", ".xls")),),
}

# The 508 CSV is preferred over its workbook twin because it is the accessible, text form
# CMS revises together with the workbook; both carry the same rows.
SECTION_508 = re.compile(r"section\s*508", re.IGNORECASE)
