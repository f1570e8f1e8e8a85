"""Files downloaded by hand: which CMS file kind each one is, and which release it states.

A billing lead behind a hospital proxy saves CMS's files from a browser: the zip, or the TXT,
CSV or workbook inside it, under whatever name the browser gives it. `--url KIND=PATH` names
one file's kind; `--from DIR` hands over a folder, and each file's kind and release are
recognised from its name AND its content, read by the kind's own reader: an ANWEB file's
member or sheet name and its newest ADD DT, an ASP file's "Effective <start> through <end>"
line. A folder holding two files of one kind, or a file no kind reads, is refused by name:
guessing which one was meant could load the wrong release.

A file is never loaded as another release than the one it states: the quarter asked for
(`--quarter`) must be the files' own, else the files' own is the quarter; `--force-quarter`
is there for the rare real exception and is recorded in the manifest (picked_reason).

When the files are local (`--from DIR`, or every required kind given with `--url`), nothing
goes to the network: kinds not given are skipped with a note, never looked up online.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


from crosswalk import kinds, sources
from crosswalk.errors import BadInput
from crosswalk.quarters import Quarter
from crosswalk.readers.members import ReleaseZip, base_name, pick_member
from crosswalk.readers.sheets import is_workbook, sheet_names
from crosswalk.settings import Settings
from crosswalk.source_kind import KindRead, Rows, SourceKind


def is_url(target: str) -> bool:
    """`--url` takes a URL or a path; a URL is fetched, a path is a file downloaded by hand."""
    return target.startswith(("http://", "https://"))


def is_offline(local_kinds: Iterable[str], folder: Path | None) -> bool:
    """Nothing goes to the network when a folder of files is given, or every required kind
    is a local file."""
    return folder is not None or set(kinds.REQUIRED) <= set(local_kinds)


@dataclass(frozen=True)
class Statement:
    """One thing a file says about its release, and where it says it."""

    quarter: Quarter
    where: str   # "its name", "member HCPC2025_OCT_ANWEB_v3.txt", "its newest ADD DT 2025-10-01"

    def __str__(self) -> str:
        return f"{self.quarter} by {self.where}"


@dataclass(frozen=True)
class LocalFile:
    """A file given by hand, recognised: its kind, how that was told, what release it states."""

    path: Path
    kind: str
    how: str                              # how the kind was recognised
    statements: tuple[Statement, ...]
    given_with: str                       # "--url", or "--from <folder>"

    @property
    def quarters(self) -> set[Quarter]:
        return {statement.quarter for statement in self.statements}

    def says(self) -> str:
        """'release 2025Q4 by its name, 2025Q4 by its newest ADD DT 2025-10-01'"""
        return ("release " + ", ".join(map(str, self.statements)) if self.statements
                else "it states no release")

    def describe(self) -> str:
        """The line listing it: kind and release, with the reasons."""
        return f"{self.path.name}: {self.how}; {self.says()}"


@dataclass(frozen=True)
class Given:
    """What the user gave for one release: local files and URLs by kind, the folder they came
    from, and whether a release other than the files' own was forced."""

    files: Mapping[str, LocalFile] = field(default_factory=dict)
    urls: Mapping[str, str] = field(default_factory=dict)
    folder: Path | None = None
    force_quarter: bool = False

    @property
    def offline(self) -> bool:
        return is_offline(self.files, self.folder)

    def release(self, asked: Quarter | None) -> Quarter | None:
        """The release to fetch and load: the one asked for (which every file must state,
        unless forced), else the one the files state (one release between them), else None:
        the newest CMS lists. Files that state nothing leave an offline run needing
        --quarter."""
        if self.force_quarter and asked is None:
            raise BadInput("--force-quarter needs --quarter: the release to load the files as",
                           field="--force-quarter")
        if asked is not None:
            self.check(asked)
            return asked
        stated = {quarter for _, _, statements in self._stated() for quarter in
                  (s.quarter for s in statements)}
        if len(stated) > 1:
            listed = "; ".join(f"{Path(name).name}: {', '.join(map(str, statements))}"
                               for name, _, statements in self._stated() if statements)
            raise BadInput(f"the files given state different releases ({listed}): give the "
                           "files of one release, or --quarter", field="--quarter")
        if stated:
            return stated.pop()
        if self.offline:
            raise BadInput("none of the files given states its release: give --quarter",
                           field="--quarter")
        return None

    def check(self, quarter: Quarter) -> None:
        """Refuse a file or URL that states another release than `quarter` (BadInput naming
        both), unless --force-quarter."""
        if self.force_quarter:
            return
        for name, kind, statements in self._stated():
            other = sorted({s.quarter for s in statements} - {quarter})
            if other:
                theirs = ", ".join(map(str, other))
                raise BadInput(
                    f"this is the {theirs} release ({', '.join(map(str, statements))}), not "
                    f"{quarter}: give the {quarter} file, or --quarter {other[0]}; "
                    f"--force-quarter loads it as {quarter} anyway", file=name, field=kind)

    def _stated(self) -> list[tuple[str, str, tuple[Statement, ...]]]:
        """(file or URL, kind, what it states) for everything given."""
        files = [(str(f.path), kind, f.statements) for kind, f in self.files.items()]
        urls = [(url, kind, _name_statements(sources.Link("", url).file_name))
                for kind, url in self.urls.items()]
        return files + urls

    def picked_reason(self, kind: str, quarter: Quarter) -> str:
        """The manifest's picked_reason for a local file: where it came from, how it was
        recognised, and a forced release when it was one."""
        found = self.files[kind]
        reason = (f"picked {found.path.resolve()}: local file given with {found.given_with}; "
                  f"{found.how}; {found.says()}")
        forced = sorted(found.quarters - {quarter})
        if forced:
            reason += (f"; release forced with --force-quarter: the file states "
                       f"{', '.join(map(str, forced))}, loaded as {quarter}")
        return reason

    def not_given(self, kind: str) -> str:
        """Why a kind is skipped when the files are local."""
        where = (f"not in {self.folder}" if self.folder is not None
                 else "not given with --url")
        note = (f"{where}: skipped, nothing is fetched when the files are local")
        if kinds.get(kind).required and kind != kinds.RELEASE:
            note += "; matching and the workbook say 'ASP files not posted yet'"
        return note


def gather(settings: Settings, overrides: Mapping[str, str], folder: Path | None = None,
           force_quarter: bool = False) -> Given:
    """Recognise every file given (`--url KIND=PATH` values in `overrides`, the files of
    `folder`), before anything is asked of CMS. A kind given twice is refused."""
    files = folder_files(settings, folder) if folder is not None else {}
    urls = {}
    for kind, target in overrides.items():
        if kind in files:
            raise BadInput(f"{kind} given twice: {files[kind].path.name} in {folder}, and "
                           f"{target} with --url", field="--url")
        if is_url(target):
            urls[kind] = target
        else:
            files[kind] = recognise(Path(target).expanduser(), settings, kind)
    return Given(files, urls, folder, force_quarter)


def folder_files(settings: Settings, folder: Path) -> dict[str, LocalFile]:
    """kind -> the folder's file of that kind. Every file must be recognised, and each kind
    found once: the refusal lists every file that is not, by name."""
    if not folder.is_dir():
        raise BadInput("not a folder", file=str(folder), field="--from")
    paths = sorted(path for path in folder.iterdir()
                   if path.is_file() and not path.name.startswith("."))
    if not paths:
        raise BadInput("the folder holds no file", file=str(folder), field="--from")
    found: dict[str, list[LocalFile]] = {}
    problems = []
    for path in paths:
        try:
            recognised = recognise(path, settings, given_with=f"--from {folder}")
        except BadInput as error:
            problems.append(f"{path.name}: {error.reason}")
            continue
        found.setdefault(recognised.kind, []).append(recognised)
    problems += [f"{len(same)} files of one kind, {kinds.get(kind).label}: "
                 f"{', '.join(f.path.name for f in same)}: keep one (a TXT or CSV and its "
                 "workbook twin hold the same rows; of two versions, the newer)"
                 for kind, same in found.items() if len(same) > 1]
    if problems:
        raise BadInput("cannot tell what to load:\n  " + "\n  ".join(problems) + "\nMove "
                       "these out of the folder (companions such as record layouts and NOC "
                       "code lists are read from the zip: give the zip instead)",
                       file=str(folder), field="--from")
    return {kind: same[0] for kind, same in sorted(
        found.items(), key=lambda item: kinds.get(item[0]).position)}


def recognise(path: Path, settings: Settings, kind: str | None = None,
              given_with: str = "--url") -> LocalFile:
    """A file's kind (the one given, or told from its name and content) and the release it
    states. The file is read whole by its kind's reader: a file that does not read as its
    kind is refused here, before anything is archived or fetched."""
    if not path.is_file():
        raise BadInput("no such file", file=str(path), field=kind or "--from")
    named = kinds_named(path.name)
    if kind is not None:
        read = _read_as(path, settings, kind, named)
        how = f"{kind} as given" + (" and as its name says" if kind in named else "")
    else:
        kind, read, how = _identify(path, settings, named)
        how = f"{kind} by {how}"
    return LocalFile(path, kind, how, _statements(path, settings, kinds.get(kind), read),
                     given_with)


def kinds_named(name: str) -> list[str]:
    """The kinds a file name names: by a kind's member rules (HCPC2025_OCT_ANWEB_v3.xlsx,
    "section 508 version of ... ASP Pricing File ....csv") or its posting's words
    (october-2025-alpha-numeric-hcpcs-file.zip). Companions (NOC codes, transaction
    reports) name no kind: they are read from the HCPCS zip."""
    words = sources.normalise(name)
    return [kind.name for kind in kinds.KINDS
            if kind.describes(words) or any(pick_member([name], rule) for rule in kind.members
                                            if rule.table not in kind.tables[1:])]


def _identify(path: Path, settings: Settings, named: list[str]) -> tuple[str, KindRead, str]:
    """The kind a file is: the one its name says, read to prove it; else the one kind whose
    reader reads it."""
    if len(named) == 1:
        return named[0], _read_as(path, settings, named[0], named), "its name and content"
    readable = []
    for candidate in named or kinds.NAMES:
        try:
            readable.append((candidate, kinds.get(candidate).read_zip(path, settings)))
        except BadInput:
            continue
    if len(readable) == 1:
        return readable[0][0], readable[0][1], "its content"
    if readable:
        raise BadInput(f"reads as several kinds ({', '.join(k for k, _ in readable)})",
                       file=path.name)
    raise BadInput("not a CMS file this tool reads: its name is no CMS file name and it "
                   f"reads as none of {', '.join(named or kinds.NAMES)}", file=path.name)


def _read_as(path: Path, settings: Settings, kind: str, named: list[str]) -> KindRead:
    """The file read by `kind`'s reader; a failure says when the name named another kind."""
    try:
        return kinds.get(kind).read_zip(path, settings)
    except BadInput as error:
        others = [name for name in named if name != kind]
        if not others:
            raise
        raise BadInput(f"its name says {', '.join(others)}, not {kind}; read as {kind}: "
                       f"{error.reason}", file=error.file or path.name, row=error.row,
                       field=error.field) from error


def _statements(path: Path, settings: Settings, kind: SourceKind,
                read: KindRead) -> tuple[Statement, ...]:
    """Every release the file states: its name, the member read (and a workbook's sheet
    name), and its content: the Effective line of an ASP file, the newest ADD DT of an
    ANWEB file (its release adds codes from its first day)."""
    found = list(_name_statements(path.name))
    member = read.members.get(kind.main_table)
    if member is not None and base_name(member) != path.name:
        found += _name_statements(base_name(member), f"member {base_name(member)}")
    if member is not None:
        found += _sheet_statements(path, settings, member)
    rows = read.rows(kind.main_table)
    if rows is not None:
        found += _content_statements(rows)
    return tuple(dict.fromkeys(found))


def _name_statements(name: str, where: str = "its name") -> tuple[Statement, ...]:
    quarter = sources.quarter_named(name)
    return (Statement(quarter, where),) if quarter else ()


def _sheet_statements(path: Path, settings: Settings, member: str) -> list[Statement]:
    """A workbook's first sheet is often named as the ANWEB file (HCPC2025_OCT_ANWEB)."""
    archive = ReleaseZip(path, settings)
    data = archive.read(member)
    if not is_workbook(data):
        return []
    sheet = sheet_names(data, archive.where(member))[0]
    return list(_name_statements(sheet, f"sheet {sheet}"))


def _content_statements(rows: Rows) -> list[Statement]:
    starts = [day for day in rows.columns.get("effective_start", ()) if day is not None]
    if starts:
        start = min(starts)
        return [Statement(Quarter.containing(start),
                          f"its 'Effective {start:%B} {start.day}, {start.year}' line")]
    added = [day for day in rows.columns.get("add_date", ()) if day is not None]
    if added:
        newest = max(added)
        return [Statement(Quarter.containing(newest), f"its newest ADD DT {newest}")]
    return []
