"""Plain-text tables for the terminal: the verdict table of `crosswalk match` and the result
of `crosswalk sql`. Columns are padded to their widest cell (cut at `max_width` with an
ellipsis), so a table reads in any terminal and pastes into an email as it is."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def cell_text(value: Any) -> str:
    """What a cell shows: blank for NULL, ISO dates, decimals as printed."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (float, Decimal)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return str(value).replace("\n", " ")


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render(header: Sequence[str], rows: Sequence[Sequence[Any]], max_width: int = 60) -> str:
    """The header, then one line per row, columns separated by two spaces."""
    cells = [[shorten(cell_text(value), max_width) for value in row]
             for row in [list(header), *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
                     for row in cells)
