"""The few errors a user can act on, each mapped to one exit code in the CLI.

Exit codes: 0 ok, 1 unexpected, 2 bad input, 3 source unavailable, 4 busy (another run holds
the database).
"""

from __future__ import annotations

from crosswalk.redaction import redact


class CrosswalkError(Exception):
    """Base class: an error whose message is meant for the person running the tool."""

    exit_code = 1

    def __str__(self) -> str:
        # messages reach terminals, logs and Prefect: never with a URL's password or token
        return redact(super().__str__())


class BadInput(CrosswalkError):
    """Input we refuse: names the file, row and field so the user can fix it."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 field: str | None = None, sheet: str | None = None,
                 cell: str | None = None) -> None:
        self.file, self.row, self.field, self.reason = file, row, field, message
        self.sheet, self.cell = sheet, cell  # a workbook's sheet; a cell such as XFD1048576
        super().__init__(self._render())

    def _render(self) -> str:
        where = [part for part in (
            self.file and f"{self.file}",
            self.sheet is not None and f"sheet {self.sheet!r}",
            self.cell and f"cell {self.cell}",
            self.row is not None and not self.cell and f"row {self.row}",
            self.field and f"field {self.field!r}",
        ) if part]
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


class SourceUnavailable(CrosswalkError):
    """A CMS file could not be found or fetched (404, no link for the quarter, network)."""

    exit_code = 3


class Unreachable(SourceUnavailable):
    """CMS cannot be reached from this machine: a DNS lookup that fails, a refused connection,
    a proxy that does not answer, or CMS's web front refusing the machine (HTTP 403).

    Retrying does not help (the same host refuses the same way seconds later), so it is tried
    once per host and never retried by the flows; the message says what to do instead.
    """

    ADVICE = ("Behind a proxy: set HTTPS_PROXY (e.g. export HTTPS_PROXY=http://proxy.example:8080)"
              " or point --cms-url (CROSSWALK_CMS_URL) at a mirror; without internet access: "
              "give the files downloaded by hand with --from DIR or --url KIND=PATH (README, "
              "'Without internet access')")

    def __init__(self, problem: str, hint: str = "") -> None:
        super().__init__(f"{problem}. {self.ADVICE}{hint}")


class Busy(CrosswalkError):
    """Another run holds the database; we wait or step aside rather than corrupt it."""

    exit_code = 4
