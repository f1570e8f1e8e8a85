"""The ASP NDC-HCPCS crosswalk: which NDCs bill under which HCPCS code, and how many billing
units a package holds. One row per file line (an NDC may sit under several codes).

The code column is headed `_YYYY_CODE`, its year lagging the quarter at times; NDC2 holds
NDCs, UPCs, GTINs or free-form ids (ndc11 only where it is an NDC).
"""

from __future__ import annotations

from typing import Any

from crosswalk.source_kind import ASP_PAGE, ASP_PAGE_OLD, SourceKind, words
from crosswalk.readers.asp import AMOUNTS, hcpcs_codes, identifiers, read_table_zip
from crosswalk.readers.layouts import Column, Layout, MemberRule
from crosswalk.readers.sheets import Table

LAYOUT = Layout("asp_ndc_crosswalk", (
    Column("hcpcs_code", r"\d{4} CODE|HCPCS( CODE)?", required=True),
    Column("short_description", r"SHORT DESC(RIPTION|RIPTOR)?"),
    Column("labeler_name", r"LABELER NAME"),
    Column("ndc_raw", r"NDC ?2?|NDC OR ALTERNATE ID", required=True),
    Column("drug_name", r"DRUG NAME", required=True),
    Column("hcpcs_dosage", r"HCPCS DOSAGE", required=True),
    *(Column(name, alias) for name, alias in AMOUNTS),
))


def parse(table: Table) -> dict[str, list[Any]]:
    columns = table.cleaned()
    columns["hcpcs_code"] = hcpcs_codes(table)
    identifiers(table, columns)
    return columns


KIND = SourceKind(
    name="asp_crosswalk", title="ASP NDC-HCPCS crosswalk", position=30,
    listing_paths=(ASP_PAGE, ASP_PAGE_OLD),
    includes=words(r"\bndc ?hcpcs crosswalk\b"),
    excludes=words(r"\bnoc\b", r"\bopps\b", r"\bawp\b", r"\bpricing files?\b"),
    members=(MemberRule("asp_ndc_crosswalk", r".*asp.*crosswalk.*\.(csv|xlsx?)",
                        r"noc|opps|awp|prep", (".csv", ".xlsx", ".xls")),),
    tables=("asp_ndc_crosswalk",), read=read_table_zip,
    layouts={"asp_ndc_crosswalk": LAYOUT}, parse=parse)
