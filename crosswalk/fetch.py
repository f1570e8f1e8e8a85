"""Download CMS files into the raw archive, keep every version, and record where each came from.

A file lands in `<data dir>/raw/<kind>/<quarter>/<original name>` only after it streamed
completely (length checked against Content-Length), hashed, and passed the zip checks; until
then it is a hidden temporary file in the same directory, so the rename is atomic and a failed
or truncated download leaves nothing behind (a download killed outright leaves its temporary
file, which the next run removes: `manifest.remove_stale_partials`). CMS re-posts new bytes under old
names: a second version is kept beside the first as `<stem>.<sha256[:12]><suffix>`, never over
it.

The manifest (JSON lines, columns of the `source_files` table) is the provenance every later
row points back to: one line per event, a version seen for the first time or a version CMS
serves again after serving another one (a revert). What CMS serves now is the release, so
the last line of a kind and quarter names the version `load` reads. Archive paths in it are
relative to the data directory, so the directory can be moved.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Iterator, Mapping
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from tqdm import tqdm
from urllib3.util.retry import Retry

from crosswalk import __version__, datadir, kinds, manifest, sources
from crosswalk.archive import file_sha256, read_member, verify_zip, zip_members
from crosswalk.errors import BadInput, SourceUnavailable
from crosswalk.quarters import Quarter
from crosswalk.redaction import redact, redact_library_logs
from crosswalk.settings import Settings

__all__ = ["FetchResult", "archive_name", "download_quarter", "make_session",
           "newest_posted_quarter", "parse_overrides", "read_member", "redirect_allowed",
           "zip_members"]

USER_AGENT = f"hcpcs-crosswalk/{__version__} (quarterly CMS HCPCS/ASP file download)"
RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_RETRY_AFTER = 120.0  # seconds: a Retry-After of an hour would stall a scheduled run
CHUNK = 64 * 1024
MAX_NAME_BYTES = 240  # a file system's 255, less room for a second version's .<sha[:12]>


@dataclass(frozen=True)
class FetchResult:
    """What happened to one file kind: new, new version, unchanged, or not posted (optional)."""

    kind: str
    quarter: Quarter
    status: str
    entry: manifest.ManifestEntry | None = None
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


DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS.get(scheme)


def redirect_allowed(start: str, target: str) -> bool:
    """A redirect stays on the origin it was sent to: same scheme, host and port, or http to
    https on the same host and the default https port (CMS's own upgrade). Never another
    port: a server's other ports are other services."""
    here, there = _origin(start), _origin(target)
    if there == here:
        return True
    return (here[0], there[0]) == ("http", "https") and there[1:] == (here[1], 443)


class _SameOriginSession(requests.Session):
    """Follows a redirect only on the origin it was sent to (see redirect_allowed): a listed
    CMS file must come from the configured site, never from wherever a redirect points."""

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        target = super().get_redirect_target(resp)
        if target is None:
            return None
        there = urljoin(resp.url, target)
        if not redirect_allowed(resp.url, there):
            scheme, host, port = _origin(there)
            raise SourceUnavailable(
                f"{redact(resp.url)} redirects to {scheme}://{host}:{port}, another origin "
                "(scheme, host and port must stay; only http to https on port 443 is "
                "followed); not followed")
        return target


def make_session(settings: Settings) -> requests.Session:
    """A session that retries 429/5xx and connection errors with backoff and Retry-After."""
    retry = _CappedRetry(total=settings.retries, connect=settings.retries,
                         read=settings.retries, status=settings.retries,
                         backoff_factor=settings.backoff_factor, status_forcelist=RETRY_STATUSES,
                         allowed_methods=frozenset({"GET"}), respect_retry_after_header=True,
                         raise_on_status=False)
    session = _SameOriginSession()
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
        if kind not in kinds.BY_NAME:
            raise BadInput(f"unknown file kind {kind!r}: use one of {', '.join(kinds.NAMES)}",
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
    datadir.prepare(settings)  # refused before anything is asked of CMS
    overrides = overrides or {}
    show = _wants_progress() if progress is None else progress
    with make_session(settings) as session:
        discovered = {posting.kind: posting for posting in sources.discover(
            quarter, settings, session, tuple(k for k in kinds.NAMES if k not in overrides))}
        results = []
        for kind in kinds.NAMES:
            if kind in overrides:
                results.append(_fetch_override(kind, quarter, overrides[kind], settings,
                                               session, show))
            elif kind in discovered:
                results.append(_fetch_posting(discovered[kind], settings, session, show))
            else:
                results.append(FetchResult(kind, quarter, "not posted", reason=(
                    f"optional: no {kinds.get(kind).title} link for {quarter}")))
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
    label = f"{kinds.get(posting.kind).label} for {posting.quarter}"
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
    known = manifest.latest(manifest.read_manifest(settings), posting.kind, posting.quarter,
                    url=redact(posting.url))
    # identity: the bytes on disk are the bytes CMS posted, and Content-Length counts them
    headers = {"Accept-Encoding": "identity", **_conditional_headers(known)}
    response = _get(session, posting.url, settings, label, headers)
    with response:
        origin = _Origin(posting.kind, posting.quarter, posting.file_name, posting.url,
                         posting.link_text, posting.reason, posting.notes)
        if response.status_code == 304 and known is not None:
            with manifest.archive_lock(settings):
                return _not_modified(known, origin, response.headers, settings)
        if response.status_code != 200:
            raise SourceUnavailable(f"{label} ({posting.quarter.month_name} "
                                    f"{posting.quarter.year}): HTTP {response.status_code} "
                                    f"{response.reason} at {posting.url}")
        expected = _content_length(response)
        sources.refuse_over_cap(expected, settings.max_download_bytes, posting.url, "download")
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


def _conditional_headers(known: manifest.ManifestEntry | None) -> dict[str, str]:
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
    """Stream into a temp file beside the target, check it, then rename it into place.

    The temp file stays open and flock-ed until it is placed, so `manifest.remove_stale_partials`
    never takes the file of a download still running.
    """
    folder = settings.raw_dir / origin.kind / str(origin.quarter)
    folder.mkdir(parents=True, exist_ok=True)
    with manifest.archive_lock(settings):  # created and locked before a cleaner can see it
        handle = tempfile.NamedTemporaryFile(dir=folder, prefix=manifest.PARTIAL_PREFIX,
                                             suffix=manifest.PARTIAL_SUFFIX, delete=False)
        manifest.lock_file(handle)
    temp = Path(handle.name)
    try:
        with handle:
            with tqdm(total=expected, unit="B", unit_scale=True, desc=origin.file_name,
                      disable=not show, leave=False) as bar:
                digest, size = _copy(chunks, handle, bar, settings, origin.file_name)
            handle.flush()
            _check_complete(size, expected, origin.file_name)
            _check_zip(temp, origin.file_name, headers.get("Content-Type", ""), settings)
            with manifest.archive_lock(settings):
                return _place(temp, digest, size, origin, headers, settings)
    finally:
        temp.unlink(missing_ok=True)


def _copy(chunks: Iterator[bytes], target: BinaryIO, bar: tqdm, settings: Settings,
          file_name: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        size += len(chunk)
        sources.refuse_over_cap(size, settings.max_download_bytes, file_name, "download",
                                counted=True)
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
    """Rename into the archive and record the event; an earlier version is never replaced.

    Bytes equal to the current release are unchanged; bytes equal to an earlier version are
    a revert: CMS serves them now, so they are the release again (a new manifest line that
    points at the copy already archived).
    """
    versions = manifest.versions(manifest.read_manifest(settings), origin.kind, origin.quarter)
    if versions and versions[-1].sha256 == digest:
        _restore(temp, versions[-1].path)  # deleted from the archive: the same bytes go back
        return FetchResult(origin.kind, origin.quarter, "unchanged", versions[-1],
                           f"same bytes as the archived copy; {origin.reason}", origin.notes)
    earlier = next((e for e in versions if e.sha256 == digest), None)
    if earlier is not None:
        _restore(temp, earlier.path)
        return _reverted(earlier, origin, headers, settings, size)
    folder = temp.parent
    name = Path(archive_name(origin.file_name, f"{origin.kind}-{origin.quarter}.zip"))
    target = folder / name
    if target.exists() and file_sha256(target) != digest:
        target = folder / f"{name.stem}.{digest[:12]}{name.suffix}"
    if not target.exists():  # else: same bytes landed before the manifest line was written
        os.replace(temp, target)
    entry = _event(origin, digest, size, headers, target.resolve())
    manifest.append(settings, entry)
    return FetchResult(origin.kind, origin.quarter, "new version" if versions else "new",
                       entry, origin.reason, origin.notes)


def _not_modified(known: manifest.ManifestEntry, origin: _Origin, headers: Mapping[str, str],
                  settings: Settings) -> FetchResult:
    """A 304 for the URL of `known`: unchanged, or a revert when CMS served another version
    of the kind since (a withdrawn v2 link leaves v1's link, and v1's bytes, as the release)."""
    versions = manifest.versions(manifest.read_manifest(settings), origin.kind, origin.quarter)
    if versions[-1].sha256 == known.sha256:
        return FetchResult(origin.kind, origin.quarter, "unchanged", versions[-1],
                           f"not modified since the last fetch; {origin.reason}", origin.notes)
    kept = {"ETag": known.etag, "Last-Modified": known.last_modified}
    merged = {**{k: v for k, v in kept.items() if v}, **headers}
    return _reverted(known, replace(origin, file_name=known.file_name), merged, settings,
                     known.bytes)


def _reverted(earlier: manifest.ManifestEntry, origin: _Origin, headers: Mapping[str, str],
              settings: Settings, size: int) -> FetchResult:
    entry = _event(origin, earlier.sha256, size, headers, earlier.path)
    manifest.append(settings, entry)
    reason = (f"CMS serves again the version first archived {earlier.fetched_at[:19]} "
              f"(sha256 {earlier.sha256[:12]}): it is the release again; {origin.reason}")
    return FetchResult(origin.kind, origin.quarter, "reverted", entry, reason, origin.notes)


def _restore(temp: Path, path: Path) -> None:
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, path)


def _event(origin: _Origin, digest: str, size: int, headers: Mapping[str, str],
           path: Path) -> manifest.ManifestEntry:
    """One manifest line; fetched_at to the microsecond orders (and keys) the events."""
    return manifest.ManifestEntry(
        sha256=digest, source_kind=origin.kind, quarter=str(origin.quarter),
        file_name=origin.file_name, url=origin.url and redact(origin.url),
        link_text=origin.link_text,
        http_date=headers.get("Date"), last_modified=headers.get("Last-Modified"),
        etag=headers.get("ETag"), bytes=size,
        fetched_at=datetime.now(timezone.utc).isoformat(timespec="microseconds"),
        archive_path=str(path), picked_reason=redact(origin.reason))


def archive_name(posted: str, fallback: str) -> str:
    """A posted name as one safe path component: CMS once posted `...-12/19/24-final-file.zip`,
    and a hostile `..%2F..%2Fx.zip` must not climb out of the archive. A name longer than a
    file system allows (255 bytes) is shortened, keeping its start, a hash of the whole name
    and its extension; the manifest keeps the name as posted."""
    cleaned = re.sub(r"[/\\:\x00-\x1f]", "_", posted).lstrip(". ") or fallback
    if len(cleaned.encode()) <= MAX_NAME_BYTES:
        return cleaned
    suffix = Path(cleaned).suffix if len(Path(cleaned).suffix) <= 9 else ""  # .zip, .xlsx
    stem = cleaned[:len(cleaned) - len(suffix)]
    tag = f"~{hashlib.sha256(posted.encode()).hexdigest()[:12]}"
    room = MAX_NAME_BYTES - len(tag.encode()) - len(suffix.encode())
    return stem.encode()[:room].decode("utf-8", "ignore") + tag + suffix
