"""The quarterly job as plain steps: find the release, download, parse, write, match, report.

Each step is a short function over `Settings`; `run_quarter` and `load_releases` chain them.
The Prefect flows (flows/) run the very same functions as tasks by handing in a `Steps` whose
members are task-wrapped versions of these functions, so `crosswalk run --no-prefect` and the
scheduled flow cannot drift apart. `load_releases` is the one load path: `crosswalk load`,
`load --all`, `backfill`, `run` and both flows load through it, under the run lock.

One run at a time per data directory: `run_lock` holds an exclusive lock on
`<data dir>/crosswalk.lock` for the whole run, so a scheduled re-check and a manual run never
interleave their downloads, loads and match runs. DuckDB's own file lock (warehouse.open_writer)
still guards the database against anything else, e.g. an analyst's read-write session.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import logging
import os
import time
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, NamedTuple, Protocol, Sequence

from crosswalk import datadir, manifest
from crosswalk.errors import BadInput, Busy
from crosswalk.manifest import ManifestEntry
from crosswalk.quarters import Quarter, quarter_range
from crosswalk.settings import DEFAULT_WAIT_SECONDS, EXAMPLE_DRUGS, PROJECT_ROOT, SQL_DIR, Settings
from crosswalk.verdicts import NAMES as VERDICTS

if TYPE_CHECKING:
    from crosswalk.claim_checks import ClaimsOutcome
    from crosswalk.fetch import FetchResult
    from crosswalk.local_files import Given
    from crosswalk.match import MatchOutcome
    from crosswalk.warehouse import LoadSummary, ParsedRelease

LOCK_FILE_NAME = "crosswalk.lock"
LOCK_POLL_SECONDS = 0.2
DEFAULT_FORMATS = ("xlsx",)
BACKFILL_WORKERS = 2  # parsing is CPU and I/O; more threads than cores only add memory
log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# One run at a time


@contextmanager
def run_lock(settings: Settings, wait_seconds: float = DEFAULT_WAIT_SECONDS) -> Iterator[Path]:
    """Hold `<data dir>/crosswalk.lock` for the whole run; Busy after `wait_seconds`.

    flock is released by the kernel when the process dies, so a killed run never leaves a
    stale lock behind; the file's text (pid, start time) only serves the Busy message. A
    killed download does leave its partial file: those are removed once the lock is held.
    """
    path = datadir.prepare(settings) / LOCK_FILE_NAME
    with open(path, "a+", encoding="utf-8") as handle:
        _acquire(handle, path, wait_seconds)
        try:
            for partial in manifest.remove_stale_partials(settings):
                log.info("removed %s, left by a download that was killed", partial)
            handle.truncate(0)
            handle.write(f"pid {os.getpid()} since {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC\n")
            handle.flush()
            yield path
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def wait_for_turn(settings: Settings, wait_seconds: float = DEFAULT_WAIT_SECONDS) -> None:
    """Wait (bounded) until no other run holds the data directory, else Busy; then let go.

    The CLI calls it before paying Prefect's start-up (10-15 s) for a run that would only
    find the lock taken; the run itself still takes the lock for its whole duration.
    """
    with run_lock(settings, wait_seconds):
        pass


def _acquire(handle: Any, path: Path, wait_seconds: float) -> None:
    deadline = time.monotonic() + max(wait_seconds, 0.0)
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise Busy(f"another crosswalk run ({holder}) holds {path}; waited "
                           f"{wait_seconds:g} s. Try again when it finishes, or pass a longer "
                           "--wait") from None
            time.sleep(LOCK_POLL_SECONDS)


# ---------------------------------------------------------------------------------------------
# The steps (each one line of real work in crosswalk/)


def newest_quarter(settings: Settings) -> Quarter:
    """The newest release CMS lists: the default quarter of a scheduled run."""
    from crosswalk import fetch

    return fetch.newest_posted_quarter(settings)


def download(settings: Settings, quarter: Quarter,
             given: "Given | None" = None) -> list["FetchResult"]:
    """Fetch the release's files into the raw archive (the files given by hand, the rest
    from CMS unless the files are local); unchanged files are not re-downloaded."""
    from crosswalk import fetch

    return fetch.download_quarter(quarter, settings, given)


def loaded_versions(settings: Settings, quarter: Quarter,
                    wait_seconds: float = DEFAULT_WAIT_SECONDS) -> dict[str, str]:
    """kind -> sha256 already in the database for the release (what parsing may skip);
    nothing when there is no database yet (not created just to be asked)."""
    from crosswalk import warehouse

    if not settings.db_path.is_file():
        return {}

    with warehouse.open_writer(settings, wait_seconds) as con:
        return warehouse.loaded_versions(con, quarter)


def parse_release(settings: Settings, quarter: Quarter, loaded: Mapping[str, str],
                  wait_seconds: float = DEFAULT_WAIT_SECONDS) -> "ParsedRelease":
    """Read the archived files of a release (no database): the slow, parallel-safe half.

    A file that fails to parse is noted in load_runs (its file, line and field message beside
    the successful loads) before the error goes on up.
    """
    from crosswalk import warehouse

    started = datetime.now(timezone.utc)
    try:
        return warehouse.parse_quarter(settings, quarter, loaded)
    except Exception as error:
        try:
            with warehouse.open_writer(settings, wait_seconds) as con:
                warehouse.record_failure(con, quarter, started, error)
        except Busy as busy:  # the reason the load failed matters more than its record
            error.add_note(f"(the failed run could not be recorded in load_runs: {busy})")
        raise


def write_release(settings: Settings, parsed: "ParsedRelease",
                  wait_seconds: float = DEFAULT_WAIT_SECONDS) -> "LoadSummary":
    """Write one parsed release in one transaction: the half DuckDB allows one writer for."""
    from crosswalk import warehouse

    with warehouse.open_writer(settings, wait_seconds) as con:
        return warehouse.write_release(con, parsed)


def match_drugs(settings: Settings, quarter: Quarter, drugs: Path,
                wait_seconds: float = DEFAULT_WAIT_SECONDS) -> "MatchOutcome":
    """Match the practice drug list against the release; records a match run."""
    from crosswalk import match

    return match.match_practice(settings, quarter, drugs, wait_seconds=wait_seconds)


def write_workbooks(settings: Settings, quarter: Quarter,
                    formats: Sequence[str] = DEFAULT_FORMATS) -> list[Path]:
    """The billing lead's workbooks (and analyst exports) from the database alone."""
    from crosswalk import reports

    return reports.write_reports(settings, quarter, tuple(formats))


def check_claims(settings: Settings, folder: Path) -> "ClaimsOutcome":
    """Check the claim files of a folder not checked before (by SHA-256), against the
    release just loaded; a file that cannot be read is reported, not fatal."""
    from crosswalk import claim_checks

    return claim_checks.check_folder(settings, folder)


class Steps(NamedTuple):
    """The job's steps; the Prefect flows pass task-wrapped versions of the same functions."""

    newest_quarter: Callable[..., Quarter] = newest_quarter
    download: Callable[..., list[Any]] = download
    loaded_versions: Callable[..., dict[str, str]] = loaded_versions
    parse_release: Any = parse_release  # a Prefect task adds .submit; see backfill
    write_release: Callable[..., Any] = write_release
    match_drugs: Callable[..., Any] = match_drugs
    write_workbooks: Callable[..., list[Path]] = write_workbooks
    check_claims: Callable[..., Any] = check_claims


PLAIN_STEPS = Steps()


# ---------------------------------------------------------------------------------------------
# The quarterly run


@dataclass(frozen=True)
class RunSummary:
    """What one quarterly run did: the files it used, the load, the verdicts, the workbooks."""

    quarter: Quarter
    fetched: tuple[Any, ...]          # FetchResult per file kind
    files: tuple[Any, ...]            # ManifestEntry of each kind used (newest archived)
    load: Any                         # LoadSummary
    outcome: Any                      # MatchOutcome
    workbooks: tuple[Path, ...]
    drugs: Path = field(default=EXAMPLE_DRUGS)
    claims: Any = None                # ClaimsOutcome when a claims folder was given

    def verdict_counts(self) -> dict[str, int]:
        """Alerts per verdict, every verdict listed (zeros included) in the documented order."""
        counted = Counter(self.outcome.alerts["verdict"]) if len(self.outcome.alerts) else Counter()
        extra = sorted(set(counted) - set(VERDICTS))
        return {verdict: int(counted.get(verdict, 0)) for verdict in (*VERDICTS, *extra)}

    def describe(self) -> str:
        """What `crosswalk run` prints: where the workbooks are, then the verdict table."""
        lines = [result.describe() for result in self.fetched]
        lines += [f"{self.quarter}: {self.load.status} (load run {self.load.run_id}); "
                  f"matched {self.drugs}"]
        lines += [f"  note: {note}" for note in self.load.notes]
        lines += [f"wrote {path}" for path in self.workbooks]
        lines += ["", self.outcome.table()]
        if self.claims is not None:
            lines += ["", self.claims.describe()]
        return "\n".join(lines)

    def headline(self) -> str:
        """One line for a run log: the load, the verdict counts, where the workbooks are."""
        counts = ", ".join(f"{count} {verdict}" for verdict, count in
                           self.verdict_counts().items() if count)
        folders = sorted({str(path.parent) for path in self.workbooks})
        return (f"{self.quarter}: {self.load.status} (load run {self.load.run_id}); "
                f"{sum(self.verdict_counts().values())} drug(s): {counts or 'none'}; "
                f"workbooks in {', '.join(folders)}")

    def markdown(self) -> str:
        """The run's Prefect summary: verdict counts, then every file with its sha256."""
        counts = self.verdict_counts()
        rows = [f"| {verdict} | {count} |" for verdict, count in counts.items()]
        files = [f"| {entry.source_kind} | {entry.file_name} | `{entry.sha256}` | {entry.bytes:,} |"
                 for entry in self.files]
        fetched = [f"- {result.describe()}" for result in self.fetched]
        problems = list(getattr(self.outcome, "problems", []))
        skipped = ([f"{len(problems)} row(s) of the list were not matched:", "",
                    *[f"- {problem}" for problem in problems], ""] if problems else [])
        return "\n".join([
            f"# HCPCS crosswalk, release {self.quarter}", "",
            f"Practice list `{self.drugs}`: {sum(counts.values())} drug(s) matched; "
            f"load {self.load.status} (run {self.load.run_id}).", "",
            *([warning, ""] if (warning := self.outcome.early_warning()) else []), *skipped,
            "| Verdict | Drugs |", "|---|---:|", *rows, "",
            "## Files loaded", "", "| Kind | File | sha256 | Bytes |", "|---|---|---|---:|",
            *files, "", "## Download", "", *fetched, "",
            "## Workbooks", "", *[f"- `{path}`" for path in self.workbooks], "",
            *([self.claims.markdown()] if self.claims is not None else [])])

    def alert_rows(self) -> list[dict[str, Any]]:
        """The alerts as JSON-ready rows (dates as ISO text, blanks as None)."""
        frame = self.outcome.alerts
        return [{column: _plain(value) for column, value in row.items()}
                for row in frame.to_dict(orient="records")]


def _plain(value: Any) -> Any:
    """A cell a JSON table can hold: None for blanks, ISO text for dates, floats for decimals."""
    import pandas as pd  # the alerts are a DataFrame: pandas is loaded by then

    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value if isinstance(value, (str, int, float, bool)) else str(value)


def run_quarter(settings: Settings, quarter: Quarter | None = None,
                drugs: Path | None = None, *,
                overrides: Mapping[str, str] | None = None,
                folder: Path | None = None, force_quarter: bool = False,
                formats: Sequence[str] = DEFAULT_FORMATS,
                wait_seconds: float = DEFAULT_WAIT_SECONDS,
                steps: Steps = PLAIN_STEPS,
                claims: Path | None = None) -> RunSummary:
    """Download, load, match and report one release, holding the run lock throughout; then
    check the claim files of the `claims` folder not checked before.

    `overrides` are `--url KIND=URL|PATH` values, `folder` a `--from` folder of files
    downloaded by hand (recognised, and checked against the release, before anything is
    asked of CMS). `quarter=None` means the release the files state, else the newest CMS
    lists; `drugs=None` the example practice list.
    """
    from crosswalk import local_files

    drugs_path = drugs or EXAMPLE_DRUGS
    if not drugs_path.is_file():
        raise BadInput("practice drug list not found", file=str(drugs_path), field="--drugs")
    if claims is not None and not claims.is_dir():
        raise BadInput("claims folder not found", file=str(claims), field="--claims")
    given = local_files.gather(settings, overrides or {}, folder, force_quarter)
    with run_lock(settings, wait_seconds):
        chosen = given.release(quarter) or steps.newest_quarter(settings)
        fetched = steps.download(settings, chosen, given)
        load = _load_locked(settings, [chosen], steps, wait_seconds).only()
        outcome = steps.match_drugs(settings, chosen, drugs_path, wait_seconds)
        workbooks = steps.write_workbooks(settings, chosen, tuple(formats))
        checked = steps.check_claims(settings, claims) if claims is not None else None
    return RunSummary(chosen, tuple(fetched), tuple(release_files(settings, chosen).values()),
                      load, outcome, tuple(workbooks), drugs_path, checked)


def release_files(settings: Settings, quarter: Quarter) -> dict[str, ManifestEntry]:
    """The newest archived version of each kind: the files a load reads."""
    return manifest.archived_files(settings, quarter)


# ---------------------------------------------------------------------------------------------
# Loading releases: the one path


class _Pending(Protocol):
    def result(self) -> Any: ...


Submit = Callable[..., _Pending]


@dataclass(frozen=True)
class Loads:
    """What loading some releases did: each release loaded, each refused with the reason
    (file, line or cell named; the refusal is in load_runs too), and the releases of the
    range the raw archive lacks."""

    loaded: tuple[Any, ...]                              # LoadSummary, oldest first
    refused: tuple[tuple[Quarter, BadInput], ...] = ()
    missing: tuple[Quarter, ...] = ()

    def describe(self) -> str:
        lines = [summary.describe() for summary in self.loaded]
        lines += [f"{quarter}: refused: {error}" for quarter, error in self.refused]
        if self.missing:
            lines.append(f"not in the raw archive (run `crosswalk download --quarter Q`): "
                         f"{', '.join(map(str, self.missing))}")
        return "\n".join(lines)

    def refusal(self) -> BadInput | None:
        """One error naming every refused release, for the exit code; None when none was."""
        if not self.refused:
            return None
        quarters = ", ".join(str(quarter) for quarter, _ in self.refused)
        return BadInput(f"{len(self.refused)} release(s) refused ({quarters}), each named above "
                        f"and recorded in load_runs; {len(self.loaded)} other(s) loaded")

    def only(self) -> "LoadSummary":
        """The one release asked for: its summary, or its refusal raised as it was."""
        if self.refused:
            raise self.refused[0][1]
        return self.loaded[0]


def archived_range(settings: Settings, first: Quarter | None = None,
                   last: Quarter | None = None) -> tuple[list[Quarter], list[Quarter]]:
    """(archived releases in the range, oldest first; releases in the range not archived).

    Without bounds the range is the whole raw archive; a bound given alone is open-ended.
    """
    archived = manifest.archived_quarters(settings)
    if first and last and first > last:
        raise BadInput(f"--from {first} is after --to {last}", field="--from")
    chosen = [q for q in archived if (not first or q >= first) and (not last or q <= last)]
    if not chosen:
        where = f" between {first or 'the first'} and {last or 'the last'}" if first or last else ""
        raise BadInput(f"no release archived under {settings.raw_dir}{where}; run "
                       "`crosswalk download --quarter QUARTER` first", field="--from")
    missing = [q for q in quarter_range(first or chosen[0], last or chosen[-1]) if q not in chosen]
    return chosen, missing


def load_archive(settings: Settings, first: Quarter | None = None, last: Quarter | None = None,
                 *, wait_seconds: float = DEFAULT_WAIT_SECONDS, steps: Steps = PLAIN_STEPS,
                 submit: Submit | None = None) -> Loads:
    """Load the archived releases from `first` to `last` (default: all of them): `crosswalk
    load --all` and `crosswalk backfill`."""
    quarters, missing = archived_range(settings, first, last)
    loads = load_releases(settings, quarters, wait_seconds=wait_seconds, steps=steps,
                          submit=submit)
    return replace(loads, missing=tuple(missing))


def load_release(settings: Settings, quarter: Quarter, *,
                 wait_seconds: float = DEFAULT_WAIT_SECONDS) -> "LoadSummary":
    """Load one release (`crosswalk load --quarter`); its refusal is raised as it was."""
    return load_releases(settings, [quarter], wait_seconds=wait_seconds).only()


def load_releases(settings: Settings, quarters: Sequence[Quarter], *,
                  wait_seconds: float = DEFAULT_WAIT_SECONDS, steps: Steps = PLAIN_STEPS,
                  submit: Submit | None = None) -> Loads:
    """Load releases under the run lock: parse in parallel, write one at a time in quarter
    order. A release refused as bad input does not stop the others (one hostile posting must
    not keep every other quarter out); anything else (the database busy, a fault of ours)
    stops the run.

    One release has nothing to overlap its parse with, so it is parsed in this thread; in a
    worker thread `crosswalk load` took 0.04 s more CPU (best of 10 paired runs,
    docs/performance.md)."""
    if submit is None and len(quarters) > 1:
        with ThreadPoolExecutor(max_workers=BACKFILL_WORKERS) as pool:
            return load_releases(settings, quarters, wait_seconds=wait_seconds, steps=steps,
                                 submit=pool.submit)
    with run_lock(settings, wait_seconds):
        return _load_locked(settings, quarters, steps, wait_seconds, submit)


def _load_locked(settings: Settings, quarters: Sequence[Quarter], steps: Steps,
                 wait_seconds: float, submit: Submit | None = None) -> Loads:
    """load_releases for a caller that holds the run lock.

    DuckDB allows one writer, and quarter order keeps load run ids in release order. Parsing
    runs at most BACKFILL_WORKERS releases ahead of the writer, so memory holds a few parsed
    releases, not the whole archive. `submit` runs a step in the background and returns
    something with `.result()`: a thread pool, or Prefect's task runner in flows/backfill.py;
    without one, each release is parsed in turn.
    """
    ordered = sorted(quarters)
    loaded = {q: steps.loaded_versions(settings, q, wait_seconds) for q in ordered}
    pending: deque[tuple[Quarter, _Pending]] = deque()
    summaries: list[Any] = []
    refused: list[tuple[Quarter, BadInput]] = []
    for position, quarter in enumerate(ordered):
        args = (steps.parse_release, settings, quarter, loaded[quarter], wait_seconds)
        pending.append((quarter, submit(*args) if submit else _Done(*args)))
        while pending and (len(pending) > BACKFILL_WORKERS or position == len(ordered) - 1):
            done, parsing = pending.popleft()
            try:
                summaries.append(steps.write_release(settings, parsing.result(), wait_seconds))
            except BadInput as error:
                refused.append((done, error))
    return Loads(tuple(summaries), tuple(refused))


class _Done:
    """A step run now, its outcome kept for `.result()` (the shape of a submitted future)."""

    def __init__(self, step: Callable[..., Any], *args: Any) -> None:
        try:
            self._value, self._error = step(*args), None
        except Exception as error:  # noqa: BLE001 - handed on by result(), as a future does
            self._value, self._error = None, error

    def result(self) -> Any:
        if self._error is not None:
            raise self._error
        return self._value


# ---------------------------------------------------------------------------------------------
# Cache keys (used by the Prefect tasks; pure, so tested here)


def parse_cache_key(settings: Settings, quarter: Quarter, loaded: Mapping[str, str]) -> str:
    """A key that changes whenever a parse of this release could come out differently.

    It hashes the sha256 of every archived file version of the release (CMS re-posts new
    bytes under old names, so URLs and names are not enough), which versions are newest, the
    versions already loaded (they are skipped), and the source of the parsing code.
    """
    entries = manifest.read_manifest(settings)
    versions = sorted((e.source_kind, e.sha256, e.file_name) for e in entries
                      if e.quarter == str(quarter))
    newest = sorted((kind, e.sha256) for kind, e in
                    manifest.newest_versions(entries, quarter).items())
    payload = json.dumps([str(quarter), versions, newest, sorted(loaded.items()), code_version()])
    return f"parse-{quarter}-{hashlib.sha256(payload.encode()).hexdigest()[:32]}"


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """sha256 of the package's Python and SQL sources: an upgrade invalidates cached parses."""
    digest = hashlib.sha256()
    sources = sorted((PROJECT_ROOT / "crosswalk").rglob("*.py")) + sorted(SQL_DIR.rglob("*.sql"))
    for path in sources:
        digest.update(path.relative_to(PROJECT_ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
