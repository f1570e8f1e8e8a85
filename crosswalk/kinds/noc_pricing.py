"""The ASP NOC pricing file: payment limits for drugs billed under NOC codes, by generic
(trade) name. Optional: CMS does not post it every quarter, and its layout comes from a
third-party description (12 preamble rows).
"""

from __future__ import annotations

from typing import Any

from crosswalk.source_kind import ASP_PAGE, ASP_PAGE_OLD, SourceKind, words
from crosswalk.readers.asp import NO_LIMIT, read_table_zip, require_text
from crosswalk.readers.layouts import Column, Layout, MemberRule
from crosswalk.readers.sheets import Table, parse_number

LAYOUT = Layout("noc_pricing", (
    Column("drug_name", r"DRUG GENERIC NAME( \(TRADE NAME\))?", required=True),
    Column("dosage", r"DOSAGE", required=True),
    Column("payment_limit_raw", r"PAYMENT (LIMIT|ALLOWANCE LIMIT)", required=True),
    Column("notes", r"NOTES?"),
))


def parse(table: Table) -> dict[str, list[Any]]:
    columns = table.cleaned()
    require_text(table, columns, "drug_name")
    columns["payment_limit"] = parse_number(table, "payment_limit_raw", NO_LIMIT, decimals=3)
    return columns


KIND = SourceKind(
    name="noc_pricing", title="ASP NOC pricing file", position=40,
    listing_paths=(ASP_PAGE, ASP_PAGE_OLD),
    includes=words(r"\bnoc pricing files?\b", r"\bnoc payment limit files?\b"),
    excludes=words(r"\bcrosswalk\b"), required=False,
    members=(MemberRule("noc_pricing", r".*noc.*pricing.*\.(csv|xlsx?)",
                        prefer=(".csv", ".xlsx", ".xls")),),
    tables=("noc_pricing",), read=read_table_zip,
    layouts={"noc_pricing": LAYOUT}, parse=parse)
