"""crosswalk.kinds: one declaration per CMS file kind, and everything that reads it."""

from __future__ import annotations

import pytest

from crosswalk import kinds, schema
from crosswalk.errors import BadInput
from crosswalk.sources import Link, link_kind


def test_the_kinds_in_report_order_with_the_required_ones():
    assert kinds.NAMES == ("hcpcs", "asp_pricing", "asp_crosswalk", "noc_pricing",
                           "noc_crosswalk")
    assert kinds.REQUIRED == ("hcpcs", "asp_pricing", "asp_crosswalk")
    assert [kind.position for kind in kinds.KINDS] == sorted(k.position for k in kinds.KINDS)


@pytest.mark.parametrize("kind", kinds.KINDS, ids=lambda kind: kind.name)
def test_each_declaration_holds_together(kind):
    """Tables exist in sql/schema; every layout column is a column its table loads (or the
    raw text a reader turns into one); one-table kinds give the generic reader a parse."""
    for table in kind.tables:
        assert schema.read_columns(table)  # KeyError when the DDL lacks it
    assert set(kind.layouts) <= set(kind.tables) and kind.main_table in kind.layouts
    for table, layout in kind.layouts.items():
        loaded = set(schema.read_columns(table)) | {"recid"}  # RECID becomes is_modifier
        assert {column.name for column in layout.columns} <= loaded, table
        assert layout.required, table
    if len(kind.tables) == 1:
        assert kind.parse is not None and kind.members[0].table == kind.main_table
    assert kind.label == f"{kind.title} [{kind.name}]"


@pytest.mark.parametrize("text, name", [
    ("October 2025 Alpha-Numeric HCPCS File (ZIP)", "hcpcs"),
    ("October 2025 ASP Pricing File (ZIP)", "asp_pricing"),
    ("January 2026 Medicare Part B Payment Limit File", "asp_pricing"),
    ("October 2025 ASP NDC-HCPCS Crosswalk (ZIP)", "asp_crosswalk"),
    ("October 2025 NOC Pricing File (ZIP)", "noc_pricing"),
    ("October 2025 NOC NDC-HCPCS Crosswalk (ZIP)", "noc_crosswalk"),
    ("October 2025 OPPS NDC-HCPCS Crosswalk (ZIP)", None),
    ("HCPCS corrections list October 2025", None),
])
def test_a_link_is_told_apart_by_its_kind_declaration(text, name):
    assert link_kind(Link(text, "https://www.cms.gov/files/zip/x.zip")) == name


def test_an_unknown_kind_is_refused_listing_the_kinds():
    with pytest.raises(BadInput, match="unknown file kind 'asp'.*hcpcs, asp_pricing"):
        kinds.get("asp")


def test_the_source_kinds_table_is_seeded_from_the_declarations(fresh_db):
    rows = fresh_db.execute("SELECT name, title, position, required FROM source_kinds "
                            "ORDER BY position").fetchall()
    assert rows == kinds.rows()
