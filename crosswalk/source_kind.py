"""What a CMS file kind is made of (the declaration every module of crosswalk.kinds fills
in), and what reading one file of a kind gives. Types only: the readers build these values
without importing the kinds themselves."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crosswalk.readers.layouts import Layout, MemberRule
    from crosswalk.readers.sheets import Table
    from crosswalk.settings import Settings


HCPCS_PAGE = "/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update"
ASP_PAGE = "/medicare/payment/part-b-drugs/asp-pricing-files"
ASP_PAGE_OLD = ("/medicare/payment/all-fee-service-providers/"
                "medicare-part-b-drug-average-sales-price/asp-pricing-files")


def words(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern) for pattern in patterns)


@dataclass(frozen=True)
class Rows:
    """A reader's rows for one table, column by column, in the table's column order: plain
    Python values (str, date, float, bool, int), None where missing.

    Plain lists rather than a DataFrame: a release is some thousand rows that are checked
    once and handed to DuckDB, and pandas' import alone cost `crosswalk load` 0.3 s of CPU,
    more than all the checks (docs/performance.md). sqlfiles.registered hands them to SQL."""

    columns: dict[str, list[Any]]

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()), ()))

    def __getitem__(self, column: str) -> list[Any]:
        return self.columns[column]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.columns)

    def records(self) -> Iterator[dict[str, Any]]:
        """Row by row, as column -> value."""
        names = self.names
        return (dict(zip(names, values)) for values in zip(*self.columns.values()))


@dataclass(frozen=True)
class TableRows:
    """Rows a reader produced for one table, and the zip member they came from."""

    member: str
    rows: Rows


@dataclass(frozen=True)
class KindRead:
    """One file of a kind, read: its tables' rows (main table first) and the reader's notes."""

    tables: dict[str, TableRows]
    notes: list[str] = field(default_factory=list)

    @property
    def members(self) -> dict[str, str]:
        """table -> the zip member its rows came from."""
        return {table: rows.member for table, rows in self.tables.items()}

    def rows(self, table: str) -> Rows | None:
        """The rows read for `table`, None when the zip had no member for it."""
        found = self.tables.get(table)
        return found.rows if found else None


Reader = Callable[[Path, "Settings", "SourceKind"], KindRead]


@dataclass(frozen=True)
class SourceKind:
    """One CMS file kind, declared once.

    Listing: `listing_paths` are the CMS pages that link it; a link is this kind when any
    `includes` pattern and no `excludes` pattern match its normalised text and file name.
    Reading: `members` finds each table's member in the zip, `layouts` say how each table's
    header reads, and `read` turns the zip into rows. A kind with one table in one member uses
    the generic table reader (crosswalk.readers.asp.read_table_zip) and gives only `parse`,
    which turns its located table into rows.
    Loading: `tables` are the warehouse tables it fills, its main table first (row counts and
    the member recorded in release_files are the main table's).
    Completeness: a `required` kind is posted for every release, and named when it is not
    there yet; the one kind that `makes_release` (HCPCS) is the release itself: without it a
    quarter neither downloads (exit 3) nor loads, while the others may come weeks later.
    """

    name: str
    title: str
    position: int
    listing_paths: tuple[str, ...]
    includes: tuple[re.Pattern[str], ...]
    excludes: tuple[re.Pattern[str], ...]
    members: tuple["MemberRule", ...]
    tables: tuple[str, ...]
    read: Reader
    required: bool = True
    makes_release: bool = False
    layouts: Mapping[str, "Layout"] = field(default_factory=dict)    # table -> header
    parse: "Callable[[Table], dict[str, list[Any]]] | None" = None    # located table -> columns

    def read_zip(self, path: Path, settings: "Settings") -> KindRead:
        """Read one archived zip of this kind."""
        return self.read(path, settings, self)

    @property
    def label(self) -> str:
        """How messages name the kind: words for people, the key for scripts."""
        return f"{self.title} [{self.name}]"

    @property
    def main_table(self) -> str:
        return self.tables[0]

    def describes(self, normalised: str) -> bool:
        """Does a link's normalised text and file name name this kind?"""
        return (any(p.search(normalised) for p in self.includes)
                and not any(p.search(normalised) for p in self.excludes))


