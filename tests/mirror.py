"""A CMS-shaped website on 127.0.0.1 for tests and benchmarks: real HTTP, faults on demand.

Registered as a pytest plugin from tests/conftest.py (`pytest_plugins = ["mirror"]`), so any
test can ask for the fixtures:

    cms_mirror           a running CmsMirror (fresh per test)
    mirror_settings      the `settings` fixture pointed at it (cms_url = cms_mirror.base_url)

Outside pytest (benchmarks, scripts): `with CmsMirror() as mirror: ...`.

CmsMirror API
-------------
    mirror.base_url                      "http://127.0.0.1:PORT" (use as Settings.cms_url)
    mirror.url(path)                     base_url + path
    mirror.publish_quarter(quarter, kinds=REQUIRED_KINDS, zips=None, preliminary=False)
        -> dict[kind, path]
        posts the standard link + zip of each kind for a quarter, the way CMS names them
        ("October 2025 Alpha-Numeric HCPCS File (ZIP)" -> /files/zip/october-2025-alpha-
        numeric-hcpcs-file.zip). kinds may include "noc_pricing", "noc_crosswalk". The zips
        hold cms_builders.sample_release(quarter) unless `zips` gives bytes for a kind
        (e.g. `sample_release(q)` edited, then `.zips()`). preliminary=True also lists
        "... - 09/06/25 - preliminary file" postings of the ASP pricing file and crosswalk.
    standard_zip(kind, quarter) / standard_posting(kind, quarter) -> (link text, file name)
    mirror.post(kind, link_text, file_name, body, href=None) -> path
        one more link on that kind's listing page (newest first, as CMS lists them) and the
        file behind it; href defaults to /files/zip/<file_name> (give an absolute URL to link
        another host).
    mirror.put(path, body, content_type="application/zip") -> path
        (re)publish bytes at a path without a link: a re-post gets a new ETag and a later
        Last-Modified, exactly like CMS replacing a file behind an unchanged URL.
    mirror.body(path) -> bytes           what is served at path now
    mirror.add_link(page_path, text, href)
    mirror.remove_link(page_path, text)  CMS withdraws a posting: its link leaves the page (the
                                         file stays served, as CMS's often does)
    mirror.set_page(page_path, html, content_type="text/html; charset=utf-8")
    mirror.fault(path, kind, times=None, **options)   times=None: every request
        "404"       HTTP 404 page
        "500"       HTTP 500 (status=503 etc. to vary); times=N then success
        "429"       HTTP 429 with Retry-After: retry_after (default "0")
        "slow"      sleep delay seconds (default 2.0) before answering (read timeouts)
        "truncate"  Content-Length of the whole body, then only keep bytes (default half)
        "html"      HTTP 200, text/html error page, where a zip is expected
        "corrupt"   HTTP 200, complete transfer of the zip with its central directory cut off
        "stall"     HTTP 200, half the body, then a pause of delay seconds (default 30)
                    before the rest: a download caught mid-transfer (to kill it there)
        "unsized"   HTTP 200, the page or file without Content-Length: the body ends when the
                    connection closes, so only the client can bound what it reads
    mirror.requests_log                  list[Hit(method, path, status, headers)]
    mirror.downloads(prefix="/files/")   paths answered 200 with a body (what was fetched)
    mirror.clear_log()

Listing pages (sources.HCPCS_PAGE, sources.ASP_PAGE) look like cms.gov's: a Downloads list,
newest posting first, plus decoys (archive pages, an "October 2025 HCPCS Level II Coding
Decisions (PDF)", an OPPS NDC-HCPCS crosswalk, navigation links to medicare.gov). Any other
path is a 404. ETag / Last-Modified are sent for every file; If-None-Match /
If-Modified-Since get a 304. Requests are served one per connection (HTTP/1.0), each on its
own thread, so a slow answer does not hold up the others.

Zip contents come from tests/cms_builders.py (real CMS layouts, shared sample data set).
"""

from __future__ import annotations

import email.utils
import functools
import hashlib
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator
from urllib.parse import unquote, urlsplit

import pytest

from crosswalk.quarters import Quarter
from crosswalk.settings import Settings
from crosswalk.sources import REQUIRED_KINDS, SOURCES

import cms_builders

_CLOCK_START = datetime(2025, 1, 2, 12, 0, tzinfo=timezone.utc)


@dataclass
class Hit:
    """One request the mirror answered."""

    method: str
    path: str
    status: int
    headers: dict[str, str]


@dataclass
class _File:
    body: bytes
    content_type: str
    etag: str
    last_modified: str


@dataclass
class _Fault:
    kind: str
    times: int | None
    options: dict[str, object] = field(default_factory=dict)


def standard_posting(kind: str, quarter: Quarter) -> tuple[str, str]:
    """(link text, file name) as CMS posts a kind for a quarter."""
    month, slug = f"{quarter.month_name} {quarter.year}", quarter.slug
    return {
        "hcpcs": (f"{month} Alpha-Numeric HCPCS File (ZIP)",
                  f"{slug}-alpha-numeric-hcpcs-file.zip"),
        "asp_pricing": (f"{month} ASP Pricing File (ZIP)", f"{slug}-asp-pricing-file.zip"),
        "asp_crosswalk": (f"{month} ASP NDC-HCPCS Crosswalk (ZIP)",
                          f"{slug}-asp-ndc-hcpcs-crosswalk.zip"),
        "noc_pricing": (f"{month} ASP NOC Pricing File (ZIP)", f"{slug}-noc-pricing-file.zip"),
        "noc_crosswalk": (f"{month} ASP NOC NDC-HCPCS Crosswalk (ZIP)",
                          f"{slug}-noc-ndc-hcpcs-crosswalk.zip"),
    }[kind]


@functools.lru_cache(maxsize=64)
def _sample_zips(quarter: Quarter) -> dict[str, bytes]:
    return cms_builders.sample_release(quarter).zips()


def standard_zip(kind: str, quarter: Quarter | str) -> bytes:
    """The zip of `kind` for a quarter in the real CMS layout, holding the shared sample data
    set of tests/cms_builders.py (`sample_release(quarter)`)."""
    return _sample_zips(Quarter.parse(quarter))[kind]


_DECOYS = {
    SOURCES["hcpcs"].listing_paths[0]: [
        ("HCPCS Quarterly Update archive",
         "/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update/archive"),
        ("October 2025 HCPCS Level II Coding Decisions (PDF)",
         "/files/document/october-2025-hcpcs-decisions.pdf"),
        ("HCPCS Level II Coding Procedures (PDF)", "/files/document/hcpcs-coding-procedures.pdf"),
    ],
    SOURCES["asp_pricing"].listing_paths[0]: [
        ("ASP Pricing Files archive", "/medicare/payment/part-b-drugs/asp-pricing-files/archive"),
        ("October 2025 OPPS NDC-HCPCS Crosswalk (ZIP)",
         "/files/zip/october-2025-opps-ndc-hcpcs-crosswalk.zip"),
        ("ASP Methodology (PDF)", "/files/document/asp-methodology.pdf"),
    ],
}

_PAGE = """<!DOCTYPE html>
<html lang="en" dir="ltr"><head><meta charset="utf-8"><title>{title} | CMS</title></head>
<body><header><nav><a href="/">CMS.gov</a> <a href="/medicare">Medicare</a>
<a href="https://www.medicare.gov/">Medicare.gov</a></nav></header>
<main><h1>{title}</h1>
<div class="field--name-field-related-links"><h2>Downloads</h2><ul>
{items}
</ul></div>
<div class="field--name-field-related-links"><h2>Related Links</h2><ul>
{decoys}
</ul></div></main>
<footer><a href="/about-cms/web-policies-important-links">Web Policies</a></footer>
</body></html>
"""


class CmsMirror:
    """The site: pages with CMS-style link lists, files with ETags, and injectable faults."""

    def __init__(self) -> None:
        self.requests_log: list[Hit] = []
        self._links: dict[str, list[tuple[str, str]]] = {path: [] for path in _DECOYS}
        self._pages: dict[str, tuple[str, str]] = {}
        self._files: dict[str, _File] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._lock = threading.Lock()
        self._posts = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)  # short poll: quick shutdown per test

    # lifecycle
    def __enter__(self) -> "CmsMirror":
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    # content
    def put(self, path: str, body: bytes, content_type: str = "application/zip") -> str:
        with self._lock:
            self._posts += 1
            stamp = _CLOCK_START + timedelta(hours=self._posts)
            self._files[path] = _File(body, content_type,
                                      f'"{hashlib.sha256(body).hexdigest()[:20]}"',
                                      email.utils.format_datetime(stamp, usegmt=True))
        return path

    def body(self, path: str) -> bytes:
        """The bytes served now at `path`."""
        return self._files[path].body

    def add_link(self, page_path: str, text: str, href: str) -> None:
        """Newest first, as CMS lists postings."""
        with self._lock:
            self._links.setdefault(page_path, []).insert(0, (text, href))

    def remove_link(self, page_path: str, text: str) -> None:
        """CMS withdraws a posting: the link with this text leaves the listing page."""
        with self._lock:
            self._links[page_path] = [(t, h) for t, h in self._links[page_path] if t != text]

    def set_page(self, page_path: str, html: str,
                 content_type: str = "text/html; charset=utf-8") -> None:
        """Serve exactly this HTML at a page path (a page CMS restyled, or one without charset)."""
        self._pages[page_path] = (html, content_type)

    def post(self, kind: str, link_text: str, file_name: str, body: bytes,
             href: str | None = None) -> str:
        path = f"/files/zip/{file_name}"
        self.put(path, body)
        self.add_link(SOURCES[kind].listing_paths[0], link_text, href or path)
        return path

    def publish_quarter(self, quarter: Quarter | str, kinds: tuple[str, ...] = REQUIRED_KINDS,
                        zips: dict[str, bytes] | None = None,
                        preliminary: bool = False) -> dict[str, str]:
        """Post each kind the way CMS names it; bytes from `zips` or the shared sample set.

        `preliminary=True` first posts a "- preliminary file" link for the ASP pricing file
        and crosswalk (listed below the final one, as on CMS's page after the final lands).
        """
        quarter = Quarter.parse(quarter)
        paths = {}
        for kind in kinds:
            text, name = standard_posting(kind, quarter)
            body = (zips or {}).get(kind) or standard_zip(kind, quarter)
            if preliminary and kind in ("asp_pricing", "asp_crosswalk"):
                stamp = quarter.first_day - timedelta(days=25)
                self.post(kind, f"{text.removesuffix(' (ZIP)')} - {stamp:%m/%d/%y} - "
                          "preliminary file", name.replace(".zip", "-preliminary.zip"), body)
            paths[kind] = self.post(kind, text, name, body)
        return paths

    def fault(self, path: str, kind: str, times: int | None = None, **options: object) -> None:
        if kind not in ("404", "500", "429", "slow", "truncate", "html", "corrupt", "unsized",
                        "stall"):
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            self._faults.setdefault(path, []).append(_Fault(kind, times, options))

    # what happened
    def downloads(self, prefix: str = "/files/") -> list[str]:
        return [hit.path for hit in self.requests_log
                if hit.status == 200 and hit.path.startswith(prefix)]

    def clear_log(self) -> None:
        self.requests_log.clear()

    # serving (called from the handler thread)
    def _known_path(self, raw: str) -> str:
        """The path as published: as sent when published that way (`%2F` in a CMS name),
        else percent-decoded as a web server does (a name with `é`)."""
        known = raw in self._files or raw in self._pages or raw in self._links
        return raw if known else unquote(raw)

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults.get(path, []):
                if fault.times is None or fault.times > 0:
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def _page(self, path: str) -> tuple[str, str] | None:
        """(HTML, Content-Type) of a listing page, or None."""
        if path in self._pages:
            return self._pages[path]
        if path not in self._links:
            return None
        def listed(pairs: list[tuple[str, str]]) -> str:
            return "\n".join(f'<li><a href="{href}">{text}</a></li>' for text, href in pairs)

        items, decoys = listed(self._links[path]), listed(_DECOYS.get(path, []))
        title = "Quarterly Update" if "quarterly" in path else "ASP Pricing Files"
        return _PAGE.format(title=title, items=items, decoys=decoys), "text/html; charset=utf-8"


def _handler_for(mirror: CmsMirror) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # one request per connection: truncation is visible

        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            self._answer(mirror._known_path(urlsplit(self.path).path))

        def _answer(self, path: str) -> int:
            fault = mirror._take_fault(path)
            if fault is not None and fault.kind == "slow":
                time.sleep(float(fault.options.get("delay", 2.0)))  # type: ignore[arg-type]
            elif fault is not None:
                return self._faulty(path, fault)
            page = mirror._page(path)
            if page is not None:
                return self._send(200, page[0].encode(), page[1])
            posted = mirror._files.get(path)
            if posted is None:
                return self._send(404, b"<html><body>Page Not Found</body></html>", "text/html")
            if self._not_modified(posted):
                return self._send(304, b"", None, posted)
            return self._send(200, posted.body, posted.content_type, posted)

        def _faulty(self, path: str, fault: _Fault) -> int:
            if fault.kind == "html":
                return self._send(200, b"<!DOCTYPE html><html><body>We're sorry, an error "
                                       b"occurred.</body></html>", "text/html")
            if fault.kind == "corrupt":
                return self._send(200, mirror.body(path)[:-40], "application/zip")
            if fault.kind == "stall":
                body = mirror.body(path)
                return self._send(200, body, "application/zip", mirror._files[path],
                                  pause=(len(body) // 2,
                                         float(fault.options.get("delay", 30.0))))  # type: ignore[arg-type]
            if fault.kind == "unsized":
                page = mirror._page(path)
                body, content_type = ((page[0].encode(), page[1]) if page else
                                      (mirror.body(path), "application/zip"))
                return self._send(200, body, content_type, length=-1)
            if fault.kind == "truncate":
                body = mirror._files[path].body
                keep = int(fault.options.get("keep", len(body) // 2))  # type: ignore[arg-type]
                return self._send(200, body[:keep], "application/zip", length=len(body))
            status = {"404": 404, "429": 429}.get(
                fault.kind, int(fault.options.get("status", 500)))  # type: ignore[arg-type]
            extra = ({"Retry-After": str(fault.options.get("retry_after", "0"))}
                     if status == 429 else {})
            return self._send(status, b"<html><body>error</body></html>", "text/html", extra=extra)

        def _not_modified(self, posted: _File) -> bool:
            tag = self.headers.get("If-None-Match")
            if tag is not None:
                return tag == posted.etag
            since = self.headers.get("If-Modified-Since")
            if since is None:
                return False
            return (email.utils.parsedate_to_datetime(since)
                    >= email.utils.parsedate_to_datetime(posted.last_modified))

        def _send(self, status: int, body: bytes, content_type: str | None,
                  posted: _File | None = None, length: int | None = None,
                  extra: dict[str, str] | None = None,
                  pause: tuple[int, float] | None = None) -> int:
            # logged before answering, so a client that has its answer sees the log entry
            mirror.requests_log.append(Hit("GET", mirror._known_path(urlsplit(self.path).path), status,
                                           dict(self.headers.items())))
            try:
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                if posted is not None:
                    self.send_header("ETag", posted.etag)
                    self.send_header("Last-Modified", posted.last_modified)
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                if length != -1:  # -1: no length, the body ends when the connection closes
                    self.send_header("Content-Length",
                                     str(len(body) if length is None else length))
                self.end_headers()
                if pause is not None:  # (bytes first, seconds of silence) then the rest
                    self.wfile.write(body[:pause[0]])
                    self.wfile.flush()
                    time.sleep(pause[1])
                    body = body[pause[0]:]
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (read timeout): nothing to do
            return status

        def log_message(self, *_args: object) -> None:
            """Quiet: tests read mirror.requests_log instead."""

    return Handler


@pytest.fixture
def cms_mirror() -> Iterator[CmsMirror]:
    """A running CMS-shaped site on 127.0.0.1 (empty: tests publish what they need)."""
    with CmsMirror() as mirror:
        yield mirror


@pytest.fixture
def mirror_settings(settings: Settings, cms_mirror: CmsMirror) -> Settings:
    """The test's private settings, with every CMS URL derived from the mirror."""
    return settings.with_overrides(cms_url=cms_mirror.base_url)
