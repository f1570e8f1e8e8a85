"""The manifest: one JSON line per event of the raw archive, the provenance every loaded row
points back to.

An event is a file version seen for the first time, or a version CMS serves again after
serving another one (a revert). What CMS serves now is the release, so the last event of a
kind and quarter names the version `load` reads. The fields of `ManifestEntry` are the columns
of the `source_files` table (a test holds the two together). Archive paths are stored relative
to the data directory, so the directory can be moved; lines written before that hold absolute
paths, still read.

The downloader writes the manifest; the warehouse and the pipeline only read it, so neither
needs the downloader (requests, urllib3, tqdm) to load a release. The raw archive's locks live
here too: one writer at a time places files and appends events (`archive_lock`), and a
download's partial file stays locked while it lives, so a run that takes the data directory
can remove the partial files of downloads that died (`remove_stale_partials`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path, PurePosixPath
from typing import Any

from crosswalk import kinds
from crosswalk.errors import BadInput
from crosswalk.quarters import Quarter
from crosswalk.settings import Settings

try:
    import fcntl
except ImportError:  # Windows: no advisory locks, runs must not overlap
    fcntl = None  # type: ignore[assignment]

PARTIAL_PREFIX, PARTIAL_SUFFIX = ".partial-", ".tmp"


@dataclass(frozen=True)
class ManifestEntry:
    """One file version we archived: exactly the columns of the `source_files` table."""

    sha256: str
    source_kind: str
    quarter: str
    file_name: str
    url: str | None
    link_text: str | None
    http_date: str | None
    last_modified: str | None
    etag: str | None
    bytes: int
    fetched_at: str
    archive_path: str
    picked_reason: str | None

    @property
    def path(self) -> Path:
        """The archived file (read_manifest resolved `archive_path` in the data directory)."""
        return Path(self.archive_path)

    def record(self, settings: Settings) -> dict[str, Any]:
        """The entry as a manifest line and a source_files row hold it: the archive path
        relative to the data directory, so the directory can move."""
        values = asdict(self)
        with contextlib.suppress(ValueError):
            values["archive_path"] = self.path.relative_to(_root(settings)).as_posix()
        return values


COLUMNS = tuple(field.name for field in fields(ManifestEntry))


def append(settings: Settings, entry: ManifestEntry) -> None:
    """Add one event to the manifest (the downloader holds the archive lock)."""
    with settings.manifest_path.open("a", encoding="utf-8") as stream:
        stream.write(json.dumps(entry.record(settings), ensure_ascii=False) + "\n")


def read_manifest(settings: Settings) -> list[ManifestEntry]:
    """Every file version ever archived, in the order it was fetched."""
    path = settings.manifest_path
    if not path.is_file():
        return []
    names = {f.name for f in fields(ManifestEntry)}
    entries = []
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                record["archive_path"] = _located(settings, record["archive_path"])
                entries.append(ManifestEntry(**{k: v for k, v in record.items() if k in names}))
            except (ValueError, TypeError, KeyError) as error:
                raise BadInput(f"unreadable manifest line ({error})", file=str(path),
                               row=number) from error
    return entries


def _root(settings: Settings) -> Path:
    return settings.data_dir.resolve()


def _located(settings: Settings, stored: str) -> str:
    """Where an archived file is now: manifest paths are relative to the data directory;
    lines written before that hold absolute paths, whose last four parts
    (raw/<kind>/<quarter>/<name>) are found in the data directory wherever it moved."""
    path = PurePosixPath(stored)
    if path.is_absolute():
        if len(path.parts) < 5 or path.parts[-4] != "raw":
            return stored
        path = PurePosixPath(*path.parts[-4:])
    return str(_root(settings) / path)


def versions(entries: list[ManifestEntry], kind: str, quarter: Quarter) -> list[ManifestEntry]:
    """The manifest events of one kind and quarter, oldest first."""
    return [e for e in entries if e.source_kind == kind and e.quarter == str(quarter)]


def latest(entries: list[ManifestEntry], kind: str, quarter: Quarter,
            url: str | None = None) -> ManifestEntry | None:
    """The most recent event of a kind and quarter (optionally from one URL)."""
    matching = [e for e in versions(entries, kind, quarter) if url is None or e.url == url]
    return matching[-1] if matching else None


def newest_versions(entries: list[ManifestEntry], quarter: Quarter) -> dict[str, ManifestEntry]:
    """The version of each kind CMS served last for a release: what `load` reads."""
    newest = {kind: latest(entries, kind, quarter) for kind in kinds.NAMES}
    return {kind: entry for kind, entry in newest.items() if entry is not None}


def archived_files(settings: Settings, quarter: Quarter) -> dict[str, ManifestEntry]:
    """newest_versions, read from the manifest file."""
    return newest_versions(read_manifest(settings), quarter)


def archived_quarters(settings: Settings) -> list[Quarter]:
    """Every release with at least one archived file, oldest first."""
    return sorted({Quarter.parse(entry.quarter) for entry in read_manifest(settings)})


def lock_file(handle: Any, wait: bool = True) -> bool:
    """flock a file exclusively; without `wait`, False when another open file holds it."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def archive_lock(settings: Settings) -> Iterator[None]:
    """One writer at a time places files and appends to the manifest, so two overlapping
    runs cannot record the same version twice (no lock where fcntl is missing: Windows)."""
    with settings.manifest_path.with_suffix(".lock").open("a") as handle:
        lock_file(handle)
        yield


def remove_stale_partials(settings: Settings) -> list[Path]:
    """Delete the temporary files of downloads that died (SIGKILL, power loss): no live
    download holds their lock. Called when a run takes the data directory; returns them."""
    if not settings.raw_dir.is_dir():
        return []
    removed = []
    with archive_lock(settings):
        for path in settings.raw_dir.glob(f"*/*/{PARTIAL_PREFIX}*{PARTIAL_SUFFIX}"):
            with path.open("rb") as handle:
                if lock_file(handle, wait=False):
                    path.unlink(missing_ok=True)
                    removed.append(path)
    return removed
