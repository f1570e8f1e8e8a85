"""The ASP NOC NDC-HCPCS crosswalk: NDCs of drugs that have no HCPCS code yet, with their
generic names. Optional, like NOC pricing (layout from a third-party description: 9 preamble
rows).
"""

from __future__ import annotations

from typing import Any

from crosswalk.source_kind import ASP_PAGE, ASP_PAGE_OLD, SourceKind, words
from crosswalk.readers.asp import AMOUNTS, identifiers, read_table_zip, require_text
from crosswalk.readers.layouts import Column, Layout, MemberRule
from crosswalk.readers.sheets import Table

LAYOUT = Layout("noc_crosswalk", (
    Column("generic_name", r"DRUG GENERIC NAME", required=True),
    Column("labeler_name", r"LABELER NAME"),
    Column("ndc_raw", r"NDC OR ALTERNATE ID|NDC ?2?", required=True),
    Column("drug_name", r"DRUG NAME", required=True),
    Column("dosage", r"DOSAGE|HCPCS DOSAGE"),
    *(Column(name, alias) for name, alias in AMOUNTS),
))


def parse(table: Table) -> dict[str, list[Any]]:
    columns = table.cleaned()
    require_text(table, columns, "generic_name")
    identifiers(table, columns)
    return columns


KIND = SourceKind(
    name="noc_crosswalk", title="ASP NOC NDC-HCPCS crosswalk", position=50,
    listing_paths=(ASP_PAGE, ASP_PAGE_OLD),
    includes=words(r"\bnoc\b.*\bcrosswalk\b"),
    excludes=words(r"\bpricing files?\b"), required=False,
    members=(MemberRule("noc_crosswalk", r".*noc.*crosswalk.*\.(csv|xlsx?)",
                        prefer=(".csv", ".xlsx", ".xls")),),
    tables=("noc_crosswalk",), read=read_table_zip,
    layouts={"noc_crosswalk": LAYOUT}, parse=parse)
