"""The release quarter: the unit CMS publishes in (January, April, July, October).

`2025Q4`, `2025-Q4`, `oct-2025`, `October 2025`, `OCT2025` all parse to the same Quarter.
The first day is the release's nominal effective date; real effective dates of codes always
come from the files themselves.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import total_ordering

from crosswalk.errors import BadInput

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_RELEASE_MONTHS = (1, 4, 7, 10)

_NUMERIC = re.compile(r"^(?P<year>\d{4})\s*[-_ ]?\s*Q(?P<q>[1-4])$", re.IGNORECASE)
_NUMERIC_REVERSED = re.compile(r"^Q(?P<q>[1-4])\s*[-_ ]?\s*(?P<year>\d{4})$", re.IGNORECASE)
_WORDY = re.compile(r"^(?P<month>[a-z]+)\.?\s*[-_ ,]?\s*(?P<year>\d{4})$", re.IGNORECASE)
_WORDY_REVERSED = re.compile(r"^(?P<year>\d{4})\s*[-_ ]?\s*(?P<month>[a-z]+)$", re.IGNORECASE)

FORMS_HELP = "use one of 2025Q4, 2025-Q4, oct-2025, October 2025"


@total_ordering
@dataclass(frozen=True)
class Quarter:
    """A CMS release quarter: year and quarter number 1-4."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise BadInput(f"quarter number must be 1-4, got {self.number}", field="quarter")
        if not 1980 <= self.year <= 2200:
            raise BadInput(f"year {self.year} is out of range", field="quarter")

    @classmethod
    def parse(cls, text: "str | Quarter") -> "Quarter":
        """Parse any of the spellings people and CMS use; a bad value is a BadInput."""
        if isinstance(text, Quarter):
            return text
        value = str(text).strip()
        for pattern in (_NUMERIC, _NUMERIC_REVERSED):
            found = pattern.match(value)
            if found:
                return cls(int(found["year"]), int(found["q"]))
        for pattern in (_WORDY, _WORDY_REVERSED):
            found = pattern.match(value)
            if found:
                return cls.from_month(int(found["year"]), _month_number(found["month"], value))
        raise BadInput(f"cannot read {value!r} as a quarter: {FORMS_HELP}", field="quarter")

    @classmethod
    def from_month(cls, year: int, month: int) -> "Quarter":
        """The release whose first month is `month`; other months are refused, not rounded."""
        if month not in _RELEASE_MONTHS:
            raise BadInput(
                f"{calendar.month_name[month]} is not a CMS release month "
                "(releases are January, April, July, October)", field="quarter")
        return cls(year, _RELEASE_MONTHS.index(month) + 1)

    @classmethod
    def containing(cls, day: date) -> "Quarter":
        """The release in force on `day` (its quarter of the year)."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def first_day(self) -> date:
        """Nominal effective date of the release (first day of the quarter)."""
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    @property
    def month(self) -> int:
        return _RELEASE_MONTHS[self.number - 1]

    @property
    def month_name(self) -> str:
        """January, April, July, October: as in CMS link texts."""
        return calendar.month_name[self.month]

    @property
    def month_abbr(self) -> str:
        """Jan, Apr, Jul, Oct."""
        return calendar.month_abbr[self.month]

    @property
    def month_code(self) -> str:
        """JAN, APR, JUL, OCT: as in member names (HCPC2025_OCT_ANWEB)."""
        return self.month_abbr.upper()

    @property
    def slug(self) -> str:
        """october-2025: as in cms.gov zip names."""
        return f"{self.month_name.lower()}-{self.year}"

    def next(self) -> "Quarter":
        return Quarter(self.year + self.number // 4, self.number % 4 + 1)

    def previous(self) -> "Quarter":
        return Quarter(self.year - (self.number == 1), (self.number - 2) % 4 + 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    def __lt__(self, other: "Quarter") -> bool:
        return (self.year, self.number) < (other.year, other.number)


def quarter_range(first: Quarter, last: Quarter) -> list[Quarter]:
    """Every release from `first` to `last`, both included."""
    quarters, current = [], first
    while current <= last:
        quarters.append(current)
        current = current.next()
    return quarters


def _month_number(word: str, whole: str) -> int:
    month = _MONTHS.get(word.lower().rstrip("."))
    if month is None:
        raise BadInput(f"cannot read {whole!r} as a quarter: unknown month {word!r}; {FORMS_HELP}",
                       field="quarter")
    return month
