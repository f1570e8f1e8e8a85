"""Download CMS files into the raw archive, keep every version, and record where each came from.

A file lands in `<data dir>/raw/<kind>/<quarter>/<original name>` only after it streamed
completely (length checked against Content-Length), hashed, and passed the zip checks; until
then it is a hidden temporary file in the same directory, so the rename is atomic and a failed
or truncated download leaves nothing behind. CMS re-posts new bytes under old names: a second
version is kept beside the first as `<stem>.<sha256[:12]><suffix>`, never over it. The manifest
(JSON lines, one object per file version, columns of the `source_files` table) is the
provenance every later row points back to.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Iterator, Mapping
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from tqdm import tqdm
from urllib3.util.retry import Retry

from crosswalk import __version__, sources
from crosswalk.archive import file_sha256, read_member, verify_zip, zip_members
from crosswalk.errors import BadInput, SourceUnavailable
from crosswalk.quarters import Quarter
from crosswalk.redaction import redact, redact_library_logs
from crosswalk.settings import Settings

try:
    import fcntl
except ImportError:  # Windows: no advisory locks, runs must not overlap
    fcntl = None  # type: ignore[assignment]

__all__ = ["FetchResult", "ManifestEntry", "archive_name", "archived_files", "archived_quarters",
           "download_quarter", "make_session", "newest_posted_quarter", "parse_overrides",
           "read_manifest", "read_member", "zip_members"]

USER_AGENT = f"hcpcs-crosswalk/{__version__} (quarterly CMS HCPCS/ASP file download)"
RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_RETRY_AFTER = 120.0  # seconds: a Retry-After of an hour would stall a scheduled run
CHUNK = 64 * 1024


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
        return Path(self.archive_path)


@dataclass(frozen=True)
class FetchResult:
    """What happened to one file kind: new, new version, unchanged, or not posted (optional)."""

    kind: str
    quarter: Quarter
    status: str
    entry: ManifestEntry | None = None
    reason: str | None = None
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        """The line the CLI prints: what landed (file, size, hash) and which posting and why."""
        if self.entry is None:
            return redact(f"{self.kind:<13} {self.status:<11} {self.reason}")
        entry = self.entry
        line = (f"{self.kind:<13} {self.status:<11} {entry.file_name}  {entry.bytes:,} bytes  "
                f"sha256 {entry.sha256[:12]}  {self.reason}")
        return redact("; ".join((line, *self.notes)))


class _CappedRetry(Retry):
    """urllib3 Retry that honours Retry-After but never sleeps longer than MAX_RETRY_AFTER."""

    def get_retry_after(self, response):  # type: ignore[no-untyped-def]
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, MAX_RETRY_AFTER)


redact_library_logs("urllib3.connectionpool", "urllib3.util.retry")


class _SameHostSession(requests.Session):
    """Follows a redirect only on the host it was sent to (http -> https allowed): a listed
    CMS file must come from the configured host, never from wherever a redirect points."""

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        target = super().get_redirect_target(resp)
        if target is None:
            return None
        here, there = urlsplit(resp.url), urlsplit(urljoin(resp.url, target))
        if there.hostname != here.hostname or (there.port != here.port
                                               and there.scheme == here.scheme):
            raise SourceUnavailable(f"{redact(resp.url)} redirects to another host "
                                    f"({there.hostname}); not followed")
        return target


def make_session(settings: Settings) -> requests.Session:
    """A session that retries 429/5xx and connection errors with backoff and Retry-After."""
    retry = _CappedRetry(total=settings.retries, connect=settings.retries,
                         read=settings.retries, status=settings.retries,
                         backoff_factor=settings.backoff_factor, status_forcelist=RETRY_STATUSES,
                         allowed_methods=frozenset({"GET"}), respect_retry_after_header=True,
                         raise_on_status=False)
    session = _SameHostSession()
    session.headers["User-Agent"] = USER_AGENT  # a CMS CDN refuses default agents
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def newest_posted_quarter(settings: Settings) -> Quarter:
    """The newest quarter whose HCPCS file CMS lists (the default for `download`)."""
    with make_session(settings) as session:
        return sources.newest_posted_quarter(settings, session)


def parse_overrides(values: tuple[str, ...] | list[str]) -> dict[str, str]:
    """`("hcpcs=URL_or_path", ...)` -> {kind: URL or path}; unknown kinds are refused."""
    overrides: dict[str, str] = {}
    for value in values:
        kind, sep, target = value.partition("=")
        kind, target = kind.strip(), target.strip()
        if not sep or not target:
            raise BadInput(f"expected KIND=URL or KIND=PATH, got {value!r}", field="--url")
        if kind not in sources.SOURCES:
            raise BadInput(f"unknown file kind {kind!r}: use one of {', '.join(sources.KINDS)}",
                           field="--url")
        if kind in overrides:
            raise BadInput(f"{kind} given twice", field="--url")
        overrides[kind] = target
    return overrides


def download_quarter(quarter: Quarter, settings: Settings, overrides: dict[str, str] | None = None,
                     progress: bool | None = None) -> list[FetchResult]:
    """Fetch every kind for one release: discovered links, or the URLs/paths in `overrides`.

    `progress=None` shows a bar only on a terminal outside CI.
    """
    overrides = overrides or {}
    show = _wants_progress() if progress is None else progress
    with make_session(settings) as session:
        discovered = {posting.kind: posting for posting in sources.discover(
            quarter, settings, session, tuple(k for k in sources.KINDS if k not in overrides))}
        results = []
        for kind in sources.KINDS:
            if kind in overrides:
                results.append(_fetch_override(kind, quarter, overrides[kind], settings,
                                               session, show))
            elif kind in discovered:
                results.append(_fetch_posting(discovered[kind], settings, session, show))
            else:
                results.append(FetchResult(kind, quarter, "not posted", reason=(
                    f"optional: no {sources.SOURCES[kind].title} link for {quarter}")))
    return results


def _wants_progress() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


def _fetch_override(kind: str, quarter: Quarter, target: str, settings: Settings,
                    session: requests.Session, show: bool) -> FetchResult:
    """An explicit URL (any host: the user asked for it) or a local file, archived alike."""
    if target.startswith(("http://", "https://")):
        name = sources.Link("", target).file_name or f"{kind}-{quarter}.zip"
        posting = sources.Posting(kind, quarter, target, None, name,
                                  f"picked {target}: URL given with --url")
        return _fetch_posting(posting, settings, session, show)
    path = Path(target).expanduser()
    if not path.is_file():
        raise BadInput("no such file", file=str(path), field=kind)
    origin = _Origin(kind, quarter, path.name, None, None,
                     f"picked {path.resolve()}: local file given with --url")
    with path.open("rb") as stream:
        return _land(origin, _chunks(stream), path.stat().st_size, {}, settings, show)


class _BrokenOff(SourceUnavailable):
    """The body stopped short of its Content-Length or the connection dropped mid-stream."""


def _fetch_posting(posting: sources.Posting, settings: Settings, session: requests.Session,
                   show: bool) -> FetchResult:
    """Download one posting; a body that breaks off is fetched again (settings.retries times).

    urllib3 retries what fails before the body starts (5xx, 429, timeouts); a transfer that
    breaks off half-way is retried here, since it never reaches urllib3's retry logic.
    """
    label = f"{sources.SOURCES[posting.kind].label} for {posting.quarter}"
    attempts = 0
    while True:
        try:
            return _fetch_once(posting, settings, session, show, label)
        except _BrokenOff as error:
            attempts += 1
            if attempts > settings.retries:
                raise SourceUnavailable(f"{label}: {error} (tried {attempts} times); "
                                        "nothing was archived") from error
            time.sleep(settings.backoff_factor * 2 ** (attempts - 1))


def _fetch_once(posting: sources.Posting, settings: Settings, session: requests.Session,
                show: bool, label: str) -> FetchResult:
    known = _latest(read_manifest(settings), posting.kind, posting.quarter,
                    url=redact(posting.url))
    # identity: the bytes on disk are the bytes CMS posted, and Content-Length counts them
    headers = {"Accept-Encoding": "identity", **_conditional_headers(known)}
    response = _get(session, posting.url, settings, label, headers)
    with response:
        if response.status_code == 304 and known is not None:
            return FetchResult(posting.kind, posting.quarter, "unchanged", known,
                               f"not modified since the last fetch; {posting.reason}",
                               posting.notes)
        if response.status_code != 200:
            raise SourceUnavailable(f"{label} ({posting.quarter.month_name} "
                                    f"{posting.quarter.year}): HTTP {response.status_code} "
                                    f"{response.reason} at {posting.url}")
        expected = _content_length(response)
        _refuse_oversize(expected, posting.url, settings)
        origin = _Origin(posting.kind, posting.quarter, posting.file_name, posting.url,
                         posting.link_text, posting.reason, posting.notes)
        try:
            return _land(origin, response.iter_content(CHUNK), expected, response.headers,
                         settings, show)
        except requests.RequestException as error:
            raise _BrokenOff(f"download from {posting.url} broke off ({error})") from error


def _get(session: requests.Session, url: str, settings: Settings, label: str,
         headers: dict[str, str]) -> requests.Response:
    try:
        return session.get(url, headers=headers, stream=True,
                           timeout=(settings.connect_timeout, settings.read_timeout))
    except requests.RequestException as error:
        raise SourceUnavailable(f"{label}: cannot fetch {url} after {settings.retries} "
                                f"retries ({error})") from error


def _conditional_headers(known: ManifestEntry | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from the last time we fetched this URL."""
    if known is None or not known.path.is_file():
        return {}
    headers = {}
    if known.etag:
        headers["If-None-Match"] = known.etag
    if known.last_modified:
        headers["If-Modified-Since"] = known.last_modified
    return headers


def _content_length(response: requests.Response) -> int | None:
    """The body length to check, unless a server compressed it anyway (urllib3 checks that)."""
    value = response.headers.get("Content-Length")
    if response.headers.get("Content-Encoding", "identity") != "identity":
        return None
    return int(value) if value and value.isdigit() else None


def _refuse_oversize(size: int | None, source: str, settings: Settings) -> None:
    if size is not None and size > settings.max_download_bytes:
        raise BadInput(f"{size:,} bytes is over the {settings.max_download_bytes:,}-byte "
                       "download cap", file=source)


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk


@dataclass(frozen=True)
class _Origin:
    """Where bytes came from: what the manifest line says besides hash and size."""

    kind: str
    quarter: Quarter
    file_name: str
    url: str | None
    link_text: str | None
    reason: str
    notes: tuple[str, ...] = ()


def _land(origin: _Origin, chunks: Iterator[bytes], expected: int | None,
          headers: Mapping[str, str], settings: Settings, show: bool) -> FetchResult:
    """Stream into a temp file beside the target, check it, then rename it into place."""
    folder = settings.raw_dir / origin.kind / str(origin.quarter)
    folder.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=folder, prefix=".partial-", suffix=".tmp",
                                         delete=False)
    temp = Path(handle.name)
    try:
        with handle, tqdm(total=expected, unit="B", unit_scale=True, desc=origin.file_name,
                          disable=not show, leave=False) as bar:
            digest, size = _copy(chunks, handle, bar, settings, origin.file_name)
        _check_complete(size, expected, origin.file_name)
        _check_zip(temp, origin.file_name, headers.get("Content-Type", ""), settings)
        with _archive_lock(settings):
            return _place(temp, digest, size, origin, headers, settings)
    finally:
        temp.unlink(missing_ok=True)


@contextlib.contextmanager
def _archive_lock(settings: Settings) -> Iterator[None]:
    """One writer at a time places files and appends to the manifest, so two overlapping
    runs cannot record the same version twice (no lock where fcntl is missing: Windows)."""
    with settings.manifest_path.with_suffix(".lock").open("a") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _copy(chunks: Iterator[bytes], target: BinaryIO, bar: tqdm, settings: Settings,
          file_name: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        size += len(chunk)
        if size > settings.max_download_bytes:
            raise BadInput(f"over the {settings.max_download_bytes:,}-byte download cap; "
                           "nothing was archived", file=file_name)
        digest.update(chunk)
        target.write(chunk)
        bar.update(len(chunk))
    return digest.hexdigest(), size


def _check_complete(size: int, expected: int | None, file_name: str) -> None:
    if expected is not None and size != expected:
        raise _BrokenOff(f"{file_name}: truncated download, got {size:,} of {expected:,} bytes")


def _check_zip(temp: Path, file_name: str, content_type: str, settings: Settings) -> None:
    """CMS posts zips: an HTML page (error, login or licence page) is refused, not archived."""
    if not zipfile.is_zipfile(temp):
        with temp.open("rb") as stream:
            head = stream.read(512).lstrip().lower()
        if "html" in content_type.lower() or head.startswith((b"<!doctype", b"<html")):
            raise SourceUnavailable(f"{file_name}: the server sent an HTML page where a zip "
                                    "was expected (an error or licence-agreement page?); "
                                    "nothing was archived")
    try:
        verify_zip(temp, settings)
    except BadInput as error:  # name the posted file, not our temporary one
        raise BadInput(f"{error.reason}; nothing was archived", file=file_name,
                       field=error.field) from error


def _place(temp: Path, digest: str, size: int, origin: _Origin, headers: Mapping[str, str],
           settings: Settings) -> FetchResult:
    """Rename into the archive and record it; an earlier different file is never replaced."""
    versions = [e for e in read_manifest(settings)
                if e.source_kind == origin.kind and e.quarter == str(origin.quarter)]
    same = next((e for e in versions if e.sha256 == digest), None)
    if same is not None:
        if not same.path.is_file():  # deleted from the archive: the same bytes go back
            same.path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp, same.path)
        return FetchResult(origin.kind, origin.quarter, "unchanged", same,
                           f"same bytes as the archived copy; {origin.reason}", origin.notes)
    folder = temp.parent
    name = Path(archive_name(origin.file_name, f"{origin.kind}-{origin.quarter}.zip"))
    target = folder / name
    if target.exists() and file_sha256(target) != digest:
        target = folder / f"{name.stem}.{digest[:12]}{name.suffix}"
    if not target.exists():  # else: same bytes landed before the manifest line was written
        os.replace(temp, target)
    entry = ManifestEntry(
        sha256=digest, source_kind=origin.kind, quarter=str(origin.quarter),
        file_name=origin.file_name, url=origin.url and redact(origin.url),
        link_text=origin.link_text,
        http_date=headers.get("Date"), last_modified=headers.get("Last-Modified"),
        etag=headers.get("ETag"), bytes=size,
        fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        archive_path=str(target.resolve()), picked_reason=redact(origin.reason))
    with settings.manifest_path.open("a", encoding="utf-8") as stream:
        stream.write(json.dumps(asdict(entry), ensure_ascii=False) + "\n")
    return FetchResult(origin.kind, origin.quarter, "new version" if versions else "new",
                       entry, origin.reason, origin.notes)


def archive_name(posted: str, fallback: str) -> str:
    """A posted name as one safe path component: CMS once posted `...-12/19/24-final-file.zip`,
    and a hostile `..%2F..%2Fx.zip` must not climb out of the archive."""
    cleaned = re.sub(r"[/\\:\x00-\x1f]", "_", posted).lstrip(". ")
    return cleaned or fallback


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
                entries.append(ManifestEntry(**{k: v for k, v in record.items() if k in names}))
            except (ValueError, TypeError) as error:
                raise BadInput(f"unreadable manifest line ({error})", file=str(path),
                               row=number) from error
    return entries


def _latest(entries: list[ManifestEntry], kind: str, quarter: Quarter,
            url: str | None = None) -> ManifestEntry | None:
    """The most recently fetched entry of a kind and quarter (optionally from one URL)."""
    matching = [e for e in entries if e.source_kind == kind and e.quarter == str(quarter)
                and (url is None or e.url == url)]
    return matching[-1] if matching else None


def archived_files(settings: Settings, quarter: Quarter) -> dict[str, ManifestEntry]:
    """The newest archived version of each kind for a release: what `load` reads."""
    entries = read_manifest(settings)
    newest = {kind: _latest(entries, kind, quarter) for kind in sources.KINDS}
    return {kind: entry for kind, entry in newest.items() if entry is not None}


def archived_quarters(settings: Settings) -> list[Quarter]:
    """Every release with at least one archived file, oldest first."""
    return sorted({Quarter.parse(entry.quarter) for entry in read_manifest(settings)})
