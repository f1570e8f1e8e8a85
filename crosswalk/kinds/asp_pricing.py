"""The ASP pricing file: Medicare Part B payment limits, one row per HCPCS code.

Posted on the ASP page as "ASP Pricing File" (since 2026 "Medicare Part B Payment Limit
File"); the zip holds a section 508 CSV (8 preamble rows, header on line 9) and its workbook
twin, the CSV preferred. 'N/A' limits load as NULL with the printed text kept.
"""

from __future__ import annotations

from typing import Any

from crosswalk.source_kind import ASP_PAGE, ASP_PAGE_OLD, SourceKind, words
from crosswalk.readers.asp import NO_LIMIT, hcpcs_codes, read_table_zip
from crosswalk.readers.layouts import Column, Layout, MemberRule
from crosswalk.readers.sheets import Table, parse_number, refuse_duplicates

LAYOUT = Layout("asp_payment_limits", (
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


def parse(table: Table) -> dict[str, list[Any]]:
    """One row per code; a code listed twice is refused with both lines."""
    columns = table.cleaned()
    columns["hcpcs_code"] = hcpcs_codes(table)
    # CMS publishes limits to 3 decimals; the workbook twin holds the unrounded values.
    columns["payment_limit"] = parse_number(table, "payment_limit_raw", NO_LIMIT, decimals=3)
    refuse_duplicates(table, {"hcpcs_code": columns["hcpcs_code"]})
    return columns


KIND = SourceKind(
    name="asp_pricing", title="ASP pricing (payment limit) file", position=20,
    listing_paths=(ASP_PAGE, ASP_PAGE_OLD),
    includes=words(r"\basp pricing files?\b", r"\bpayment limit files?\b"),
    excludes=words(r"\bnoc\b", r"\bcrosswalk\b"),
    members=(MemberRule("asp_payment_limits", r".*(pricing file|payment limit).*\.(csv|xlsx?)",
                        r"noc|opps|awp crosswalk", (".csv", ".xlsx", ".xls")),),
    tables=("asp_payment_limits",), read=read_table_zip,
    layouts={"asp_payment_limits": LAYOUT}, parse=parse)
