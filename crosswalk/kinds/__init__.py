"""The CMS file kinds, one module each: where CMS lists the kind, which zip member holds each
of its tables and how its header reads, the reader, and the warehouse tables it fills.

Everything that handles a kind reads its declaration here: discovery (crosswalk.sources), the
member picker (crosswalk.readers.members), the loader (crosswalk.warehouse), the reports (the
`source_kinds` table, seeded from `KINDS` like `verdicts`). Adding a kind is one module in this
package (found by name, ordered by `position`) plus its DDL in sql/schema/: see
docs/architecture.md, "How to add a CMS file kind".
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping

from crosswalk.errors import BadInput
from crosswalk.source_kind import (ASP_PAGE, ASP_PAGE_OLD, HCPCS_PAGE, KindRead, Reader,
                                  SourceKind, TableRows, words)

__all__ = ["ASP_PAGE", "ASP_PAGE_OLD", "BY_NAME", "HCPCS_PAGE", "KINDS", "KindRead", "NAMES",
           "RELEASE", "REQUIRED", "Reader", "SourceKind", "TABLES", "TableRows", "get", "rows", "words"]

def _declared() -> tuple[SourceKind, ...]:
    found = []
    for module in pkgutil.iter_modules(__path__):
        declared = getattr(importlib.import_module(f"{__name__}.{module.name}"), "KIND", None)
        if isinstance(declared, SourceKind):
            found.append(declared)
    return tuple(sorted(found, key=lambda kind: kind.position))


KINDS: tuple[SourceKind, ...] = _declared()
BY_NAME: Mapping[str, SourceKind] = {kind.name: kind for kind in KINDS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
REQUIRED: tuple[str, ...] = tuple(kind.name for kind in KINDS if kind.required)
TABLES: tuple[str, ...] = tuple(table for kind in KINDS for table in kind.tables)
# The kind that is the release (HCPCS): a quarter downloads and loads only with it.
(RELEASE,) = (kind.name for kind in KINDS if kind.makes_release)


def get(name: str) -> SourceKind:
    """The kind named `name`, or BadInput listing the kinds there are."""
    if name not in BY_NAME:
        raise BadInput(f"unknown file kind {name!r}: use one of {', '.join(NAMES)}",
                       field="kind")
    return BY_NAME[name]


def rows() -> list[tuple[str, str, int, bool]]:
    """The kinds as rows of the `source_kinds` table (name, title, position, required)."""
    return [(kind.name, kind.title, kind.position, kind.required) for kind in KINDS]
