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
from typing import Any, BinaryIO, Iterator, Mapping
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from tqdm import tqdm
from urllib3.util.retry import Retry

from urllib3.exceptions import NameResolutionError, NewConnectionError

from crosswalk import datadir, kinds, local_files, manifest, sources
from crosswalk.archive import (check_single_file, file_sha256, is_single_file, read_member,
                               verify_zip, zip_members)
from crosswalk.errors import BadInput, SourceUnavailable, Unreachable
from crosswalk.local_files import Given
from crosswalk.quarters import Quarter
from crosswalk.redaction import redact, redact_library_logs
from crosswalk.settings import Settings

__all__ = ["FetchResult", "archive_name", "check_reachable", "download_quarter",
           "make_session", "newest_posted_quarter", "parse_overrides", "read_member",
           "redirect_allowed", "zip_members"]

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
    CMS file must come from the configured site, never from wherever a redirect points.

    A host that cannot be reached (DNS, a refused connection, no answer to connect, a proxy
    that does not answer) is tried once: the session remembers it and every later request
    to it fails at once with the same Unreachable, so a run without network ends in seconds
    (it used to retry 12 times over 93 s)."""

    def __init__(self, connect_timeout: float) -> None:
        super().__init__()
        self.connect_timeout = connect_timeout
        self.unreachable: dict[tuple[str, str, int | None], Unreachable] = {}

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        origin = _origin(url)
        if origin in self.unreachable:
            raise self.unreachable[origin]
        try:
            return super().request(method, url, *args, **kwargs)
        except requests.ConnectionError as error:
            problem = _connection_problem(error, self.connect_timeout)
            if problem is None:
                raise
            scheme, host, port = origin
            where = f"{scheme}://{host}" + (f":{port}" if port != DEFAULT_PORTS.get(scheme) else "")
            self.unreachable[origin] = failure = Unreachable(
                f"cannot reach {where} ({problem}{_proxy_in_use(url)})")
            raise failure from error

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


def _connection_problem(error: requests.ConnectionError, connect_timeout: float) -> str | None:
    """Why a request never reached the server, or None when it did (a connection dropped
    mid-answer is retried like a 503, not taken for an unreachable host)."""
    if isinstance(error, requests.exceptions.ProxyError):
        return "the proxy does not answer"
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return f"no answer to the connection within {connect_timeout:g} s"
    reason = getattr(error.args[0], "reason", None) if error.args else None
    if isinstance(reason, NameResolutionError):
        return "DNS lookup failed: the name does not resolve from this machine"
    if isinstance(reason, NewConnectionError):
        return ("connection refused" if "refused" in str(reason).lower()
                else "no connection could be made")
    return None


def _proxy_in_use(url: str) -> str:
    proxy = requests.utils.get_environ_proxies(url).get(urlsplit(url).scheme)
    return f", through the proxy {redact(proxy)} from the environment" if proxy else ""


def make_session(settings: Settings) -> requests.Session:
    """A session that retries 429/5xx and read errors with backoff and Retry-After, and tries
    each host's connection once (a DNS failure or a refused connection does not heal in the
    seconds a retry waits)."""
    retry = _CappedRetry(total=settings.retries, connect=0,
                         read=settings.retries, status=settings.retries,
                         backoff_factor=settings.backoff_factor, status_forcelist=RETRY_STATUSES,
                         allowed_methods=frozenset({"GET"}), respect_retry_after_header=True,
                         raise_on_status=False)
    session = _SameOriginSession(settings.connect_timeout)
    session.headers["User-Agent"] = settings.user_agent  # a CMS CDN refuses some agents
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def check_reachable(settings: Settings) -> None:
    """Ask CMS's HCPCS listing page once, without retries: Unreachable (exit 3, what to do)
    when this machine cannot reach CMS or its web front refuses it. `crosswalk run` asks
    before Prefect's start-up (10-20 s), so a machine without network hears it in seconds.
    Any other answer counts as reachable: the run itself deals with it."""
    url = settings.cms_url.rstrip("/") + kinds.get(kinds.RELEASE).listing_paths[0]
    with make_session(replace(settings, retries=0)) as session:
        with session.get(url, stream=True,
                         timeout=(settings.connect_timeout, settings.read_timeout)) as response:
            if response.status_code == 403:
                raise sources.refused_by_cdn(url)


def newest_posted_quarter(settings: Settings) -> Quarter:
    """The newest quarter whose HCPCS file CMS lists (the default for `download`)."""
    with make_session(settings) as session:
        return sources.newest_posted_quarter(settings, session)


def parse_overrides(values: tuple[str, ...] | list[str]) -> dict[str, str]:
    """`("hcpcs=URL_or_path", ...)` -> {kind: URL or path}; unknown kinds are refused, and so
    is a path that is not a file (checked here, before anything is asked of CMS)."""
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
        if not local_files.is_url(target) and not Path(target).expanduser().is_file():
            raise BadInput("no such file", file=target, field=f"--url {kind}")
        overrides[kind] = target
    return overrides


def download_quarter(quarter: Quarter, settings: Settings, given: Given | None = None,
                     progress: bool | None = None) -> list[FetchResult]:
    """Fetch every kind of one release that is there: the files and URLs `given` by hand,
    and the postings discovery finds for the rest (none when the files are local).

    A release is often half-posted: CMS posts the HCPCS file weeks before the ASP files, and
    the ASP files may come first for a quarter whose HCPCS file is late. Each kind that is not
    there is a result naming why; without the HCPCS file the release is unavailable
    (SourceUnavailable, exit 3) once the other kinds are archived. `progress=None` shows a
    bar only on a terminal outside CI.
    """
    datadir.prepare(settings)  # refused before anything is asked of CMS
    given = given or Given()
    given.check(quarter)
    show = _wants_progress() if progress is None else progress
    wanted = () if given.offline else tuple(
        kind for kind in kinds.NAMES if kind not in given.files and kind not in given.urls)
    with make_session(settings) as session:
        found = (sources.discover(quarter, settings, session, wanted) if wanted
                 else sources.Discovery({}, {}))
        results = [_fetch_kind(kind, quarter, given, found, settings, session, show)
                   for kind in kinds.NAMES]
    _refuse_without_release(results, quarter)
    return results


def _fetch_kind(kind: str, quarter: Quarter, given: Given, found: sources.Discovery,
                settings: Settings, session: requests.Session, show: bool) -> FetchResult:
    """One kind: the file given by hand, the URL given, the posting found, or why not."""
    if kind in given.files:
        local = given.files[kind]
        origin = _Origin(kind, quarter, local.path.name, None, None,
                         given.picked_reason(kind, quarter))
        with local.path.open("rb") as stream:
            return _land(origin, _chunks(stream), local.path.stat().st_size, {}, settings, show)
    if kind in given.urls:
        url = given.urls[kind]
        name = sources.Link("", url).file_name or f"{kind}-{quarter}.zip"
        return _fetch_posting(sources.Posting(kind, quarter, url, None, name,
                                              f"picked {url}: URL given with --url"),
                              settings, session, show)
    if kind in found.postings:
        return _fetch_posting(found.postings[kind], settings, session, show)
    spec = kinds.get(kind)
    if given.offline:
        return FetchResult(kind, quarter, "not given", reason=given.not_given(kind))
    if spec.required and kind != kinds.RELEASE:
        why = (f"not posted yet: {found.missing[kind]} (CMS posts the ASP files after the "
               "HCPCS file; until they are loaded, matching and the workbook say 'ASP files "
               "not posted yet')")
    else:
        why = found.missing[kind] if spec.required else f"optional: {found.missing[kind]}"
    return FetchResult(kind, quarter, "not posted", reason=why)


def _refuse_without_release(results: list[FetchResult], quarter: Quarter) -> None:
    """No HCPCS file, no release: SourceUnavailable naming why, and what was kept."""
    missing = next((r for r in results if r.kind == kinds.RELEASE and r.entry is None), None)
    if missing is None:
        return
    kept = [f"{r.kind} ({r.entry.file_name})" for r in results if r.entry is not None]
    raise SourceUnavailable(
        f"{quarter}: {missing.reason}: no release to match without its "
        f"{kinds.get(kinds.RELEASE).title}: run again once CMS posts it"
        + (f"; kept in the raw archive meanwhile: {', '.join(kept)}" if kept else ""))


def _wants_progress() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


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
        if response.status_code == 403:
            raise sources.refused_by_cdn(posting.url)
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
            _check_landed(temp, origin, headers.get("Content-Type", ""), settings)
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


def _check_landed(temp: Path, origin: _Origin, content_type: str, settings: Settings) -> None:
    """CMS posts zips; a file saved from inside one (the TXT, CSV or workbook itself) is
    taken as it is, when its name does not say zip. An HTML page (an error, login or
    licence page) is refused, never archived."""
    single = is_single_file(temp, origin.file_name)
    if single or not zipfile.is_zipfile(temp):
        with temp.open("rb") as stream:
            head = stream.read(512).lstrip().lower()
        if "html" in content_type.lower() or head.startswith((b"<!doctype", b"<html")):
            if origin.url is None:
                raise BadInput("an HTML page (a saved error or login page?), not a CMS file; "
                               "nothing was archived", file=origin.file_name)
            raise SourceUnavailable(f"{origin.file_name}: the server sent an HTML page where "
                                    "a zip was expected (an error or licence-agreement "
                                    "page?); nothing was archived")
    try:
        if single:
            check_single_file(temp, settings, origin.file_name)
        else:
            verify_zip(temp, settings)
    except BadInput as error:  # name the posted file, not our temporary one
        raise BadInput(f"{error.reason}; nothing was archived", file=origin.file_name,
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
