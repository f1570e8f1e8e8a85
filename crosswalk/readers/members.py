"""Which member of a CMS zip holds which table, read through the safe zip reader.

Members are picked by each kind's member rules (crosswalk.kinds; CMS renames them every few
quarters: `_v2`, `_12172024`, `_w_disclaimer`, `CONTR`, "verision"), never by position.
What a desktop adds when it re-zips a folder (`__MACOSX/._<member>` resource forks named
like the member, `.DS_Store`) is not a member at all. Every byte goes through `crosswalk.archive` (zip-slip, zip-bomb, corrupt-zip checks).

A file saved from inside a zip (the TXT, CSV or workbook a browser keeps, under any name)
reads as a zip of one member named as the file: the member rules pick it when its name says
what it is, else its form does (a workbook is the kind's first workbook table, text its first
text table), and the checks that apply to one file (size cap; a workbook's parts) still run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from crosswalk.archive import check_single_file, is_single_file, read_member, zip_members
from crosswalk.errors import BadInput
from crosswalk.readers.layouts import SECTION_508, MemberRule
from crosswalk.readers.sheets import is_workbook
from crosswalk.settings import Settings

_VERSION = re.compile(r"_v(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Pick:
    """The member chosen for a table and, when there was a choice, why."""

    table: str
    member: str
    note: str | None = None


class ReleaseZip:
    """A CMS zip opened for reading: its member names and their bytes, checked first. A file
    given on its own is a zip of one member, `single` is then True."""

    def __init__(self, path: Path | str, settings: Settings) -> None:
        self.path = Path(path)
        self.settings = settings
        self.single = is_single_file(self.path)
        if self.single:
            check_single_file(self.path, settings)
            self.names = [self.path.name]
        else:
            self.names = [info.filename for info in zip_members(self.path, self.settings)
                          if not info.is_dir() and not is_desktop_litter(info.filename)]

    def read(self, member: str) -> bytes:
        if self.single:
            return self.path.read_bytes()
        return read_member(self.path, member, self.settings)

    def where(self, member: str) -> str:
        """`zipname!member`, as every error names a file inside a zip (a file given on its
        own: its name)."""
        return self.path.name if self.single else f"{self.path.name}!{member}"

    def pick(self, rules: tuple[MemberRule, ...]) -> dict[str, Pick]:
        """rule's table -> chosen member, for every rule (a kind's `members`) the zip meets."""
        picks = {}
        for rule in rules:
            chosen = pick_member(self.names, rule)
            if chosen is not None:
                picks[rule.table] = chosen
        if self.single and not picks:
            return self._by_form(rules)
        return picks

    def _by_form(self, rules: tuple[MemberRule, ...]) -> dict[str, Pick]:
        """A file on its own whose name no rule knows (`download.xlsx`, `hcpcs (1).txt`): the
        first rule whose suffixes fit its content, a workbook or text."""
        with self.path.open("rb") as stream:
            workbook = is_workbook(stream.read(8))
        forms = (".xlsx", ".xls") if workbook else (".txt", ".csv")
        for rule in rules:
            if any(suffix in rule.prefer for suffix in forms):
                return {rule.table: Pick(rule.table, self.path.name,
                                         f"{self.path.name}: read as {rule.table} (a file on "
                                         "its own, its name is not a CMS member name)")}
        return {}


def base_name(member: str) -> str:
    return PurePosixPath(member.replace("\\", "/")).name


def is_desktop_litter(member: str) -> bool:
    """What a Mac or Windows desktop adds when it re-zips a folder: `__MACOSX/._<member>`
    resource forks (binary, and named like the member, so a member rule would pick one),
    `.DS_Store`, `Thumbs.db`. Never a CMS table."""
    parts = PurePosixPath(member.replace("\\", "/")).parts
    name = parts[-1] if parts else ""
    return ("__MACOSX" in parts or name.startswith("._")
            or name.lower() in (".ds_store", "thumbs.db", "desktop.ini"))


def version_of(member: str) -> int:
    """The `_vN` a CMS member name carries (0 without one): v3 re-posts v2."""
    return max((int(v) for v in _VERSION.findall(base_name(member))), default=0)


def _matches(rule: MemberRule, member: str) -> bool:
    name = base_name(member)
    return (re.fullmatch(rule.include, name, re.IGNORECASE) is not None
            and re.search(rule.exclude, name, re.IGNORECASE) is None)


def _rank(rule: MemberRule, member: str) -> tuple[int, int, int]:
    """Lower is better: preferred suffix, section 508 form, highest _vN."""
    name = base_name(member).lower()
    suffix = next((i for i, s in enumerate(rule.prefer) if name.endswith(s)), len(rule.prefer))
    return (suffix, 0 if SECTION_508.search(name) else 1, -version_of(name))


def pick_member(names: list[str], rule: MemberRule) -> Pick | None:
    """The best member for `rule`, or None when the zip has none."""
    newest_name_first = sorted((n for n in names if _matches(rule, n)), reverse=True)
    candidates = sorted(newest_name_first, key=lambda n: _rank(rule, n))
    if not candidates:
        return None
    note = None
    if len(candidates) > 1:
        note = (f"{rule.table}: chose {candidates[0]!r} over "
                f"{', '.join(repr(n) for n in candidates[1:])}")
    return Pick(rule.table, candidates[0], note)


def require(picks: dict[str, Pick], table: str, archive: ReleaseZip, what: str) -> Pick:
    """The pick for `table`, or a BadInput listing what the zip holds instead."""
    if table not in picks:
        if archive.single:
            problem = f"not the {what} (a file on its own: its name and form say otherwise)"
        elif not archive.names:
            problem = f"the zip holds no file, so no {what}: download it again"
        else:
            problem = f"no {what} member found; members are: {', '.join(archive.names)}"
            if any(name.lower().endswith(".zip") for name in archive.names):
                problem += " (a zip inside the zip is not read: unzip it and give the inner zip)"
        raise BadInput(problem, file=archive.path.name)
    return picks[table]
