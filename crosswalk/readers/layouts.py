"""Layout drift is data: which zip member holds a table, how to spot its header, what its
columns have been called. The types live here; each kind's values live in its module of
crosswalk.kinds, so a new CMS quirk is one more alias or rule there, not a new branch.

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


def numbered(name: str, alias: str, count: int) -> tuple[Column, ...]:
    """Columns CMS numbers (PRICE1..PRICE4, XREF1..XREF5)."""
    return tuple(Column(f"{name}{i}", alias.format(i=i)) for i in range(1, count + 1))


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


# The 508 CSV is preferred over its workbook twin because it is the accessible, text form
# CMS revises together with the workbook; both carry the same rows.
SECTION_508 = re.compile(r"section\s*508", re.IGNORECASE)
