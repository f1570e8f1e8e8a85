"""Expected facts per release, kept as data and checked on every read.

A member whose bytes we have counted before (the real samples in ../shared/data/cms-samples,
README section 1) must read to the same counts: a reader change that shifts a header or drops
a continuation is refused with the difference shown instead of loading a short table. Members
are identified by content (sha256 prefix), not by name, because CMS re-posts new bytes under
old names and test fixtures reuse real names. Unknown members are read unchecked; a newly
counted release is one more row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from crosswalk.errors import BadInput
from crosswalk.source_kind import Rows


@dataclass(frozen=True)
class Expected:
    """Row counts of one exact member as CMS posted it (`modifiers`: HCPCS only)."""

    sha256: str  # first 16 hex digits of the member's sha256
    table: str
    rows: int
    modifiers: int | None = None
    member: str = ""  # the name CMS posted it under, for the reader of this table


KNOWN: tuple[Expected, ...] = (
    Expected("1e3e902810899f40", "hcpcs_codes", 6293, 337,
             member="HCPC2016_CONTR_ANWEB.txt"),
    Expected("552122441e68f18a", "hcpcs_codes", 6293, 337,
             member="HCPC2016_CONTR_ANWEB.xlsx"),
    Expected("6fcd04186caa69af", "hcpcs_codes", 8846, 383,
             member="HCPC2025_OCT_ANWEB.xlsx"),
    Expected("ea3de405ff7d1482", "noc_codes", 163,
             member="NOC codes_JUL2025.xlsx"),
    Expected("2a46b3ce0c07a46c", "hcpcs_transactions", 6292,
             member="HCPC2016_TransactionReport_Alpha.xlsx"),
    Expected("b763885db3a19003", "asp_payment_limits", 823,
             member="section 508 version of January 2024 ASP Pricing File 121223.csv"),
    Expected("8d54aca9f221444d", "asp_payment_limits", 819,
             member="section 508 version of April 2024 ASP Pricing File 032124.csv"),
    Expected("df85679125a8aeff", "asp_payment_limits", 846,
             member="section 508 version of Jul 2024 ASP Pricing File 062024.csv"),
    Expected("64561458c9da89d6", "asp_payment_limits", 865,
             member="section 508 version of Oct 2024 ASP Pricing File 091824.csv"),
    Expected("3608299eea0f2c43", "asp_payment_limits", 877,
             member="section 508 version of Jan 2025 ASP Pricing File 121924.csv"),
    Expected("985ccc576cd85614", "asp_payment_limits", 877,
             member="section 508 version of Jan 2025 ASP Pricing File updated 030725.csv"),
    Expected("e4c534b1af0e7ec9", "asp_payment_limits", 877,
             member="Jan 2025 ASP Pricing File updated 030725.xls"),
    Expected("dfaf1d7cbeb7f1f6", "asp_payment_limits", 942,
             member="section 508 version of APR 2025 ASP Pricing File 032725.csv"),
    Expected("7b3ce4fd1f11500d", "asp_payment_limits", 970,
             member="section 508 verision of JUL 2025 ASP Pricing File 062325.csv"),
    Expected("8a523f0ad8df9ca8", "asp_payment_limits", 1012,
             member="section 508 version of Oct 2025 ASP Pricing File 091725.csv"),
    Expected("e065bb278bebb217", "asp_ndc_crosswalk", 6684,
             member="section 508 version of January 2024 ASP NDC-HCPCS Crosswalk 122023.csv"),
    Expected("627a5d776b1e754f", "asp_ndc_crosswalk", 6746,
             member="section 508 version of April 2024 ASP NDC-HCPCS Crosswalk 032124.csv"),
    Expected("e7857dc4bfee2e8c", "asp_ndc_crosswalk", 7171,
             member="section 508 version of July 2024 ASP NDC-HCPCS Crosswalk 061824.csv"),
    Expected("6257f21c8f839046", "asp_ndc_crosswalk", 7429,
             member="section 508 version of October 2024 ASP NDC-HCPCS Crosswalk 092724.csv"),
    Expected("804887f0b52cec4b", "asp_ndc_crosswalk", 7172,
             member="section 508 version of January 2025 ASP NDC-HCPCS Crosswalk 122024.csv"),
    Expected("c22f3d0b751f7c7a", "asp_ndc_crosswalk", 7585,
             member="section 508 version of April 2025 ASP NDC-HCPCS Crosswalk 032625.csv"),
    Expected("bd9dbc053ab17298", "asp_ndc_crosswalk", 7873,
             member="section 508 version of July 2025 ASP NDC-HCPCS Crosswalk 062325.csv"),
    Expected("008b6518b9b999c6", "asp_ndc_crosswalk", 8245,
             member="section 508 version of October 2025 ASP NDC-HCPCS Crosswalk 090525.csv"),
)
_BY_CONTENT = {(fact.sha256, fact.table): fact for fact in KNOWN}


def check_expected(data: bytes, table: str, rows: Rows, where: str) -> None:
    """Refuse rows whose counts differ from what these exact bytes are known to hold."""
    fact = _BY_CONTENT.get((hashlib.sha256(data).hexdigest()[:16], table))
    if fact is None:
        return
    found = _counts(rows, fact.modifiers is not None)
    wanted = _counts_text(fact.rows, fact.modifiers)
    if found != wanted:
        raise BadInput(f"{table}: read {found}, but these bytes are known to hold {wanted} "
                       "(a misread: has the reader or the layout changed?)", file=where,
                       field="row count")


def _counts(rows: Rows, with_modifiers: bool) -> str:
    modifiers = sum(rows["is_modifier"]) if with_modifiers else None
    return _counts_text(len(rows), modifiers)


def _counts_text(rows: int, modifiers: int | None) -> str:
    return f"{rows} rows" + (f" ({modifiers} modifiers)" if modifiers is not None else "")
