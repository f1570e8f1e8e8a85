"""Where CMS posts each quarterly file, and how we pick the right link off its listing page.

CMS has no API: the files are links on two pages (the HCPCS quarterly update page and the ASP
pricing files page) whose texts and file names drift from quarter to quarter ("File" or
"Files", v2..v5, date stamps such as 122024, preliminary then final, "Updated"/"Revised",
the 2026 rename to "Medicare Part B Payment Limit File"). Each source kind is one
declaration in crosswalk.kinds (its listing pages and the words that tell its links
apart); one generic matcher reads the page and ranks the candidates, so a new quirk is a
pattern, not a new branch. A quarter is read only from a month word next to a year
("January 2025", "2019-Oct"): stray digits such as the posting date 122024 never name it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

import requests

from crosswalk import kinds
from crosswalk.errors import BadInput, SourceUnavailable, Unreachable
from crosswalk.quarters import Quarter
from crosswalk.settings import Settings
from crosswalk.source_kind import SourceKind

_RELEASE_MONTH = r"(january|jan|april|apr|july|jul|october|oct)"
_MONTH_YEAR = re.compile(rf"\b{_RELEASE_MONTH}\s*((?:19|20)\d{{2}})\b")
_YEAR_MONTH = re.compile(rf"\b((?:19|20)\d{{2}})\s*{_RELEASE_MONTH}\b")
_ANNUAL = re.compile(r"\b((?:19|20)\d{2}) (?:annual )?alpha ?numeric\b")
# ANWEB file and sheet names: HCPC2025_OCT_ANWEB_v3, HCPC2016_CONTR_ANWEB (annual: January)
_ANWEB = re.compile(r"\bhcpcs?((?:19|20)\d{2}) (?:(jan|apr|jul|oct) )?(?:[a-z]+ )*?anweb\b")
_ANY_MONTH = re.compile(r"\b(feb|mar|may|jun|aug|sep|nov|dec)[a-z]*\s*\d{4}\b")
_STAGES = (("preliminary", re.compile(r"\bprelim(inary)?\b")), ("final", re.compile(r"\bfinal\b")))
_VERSION = re.compile(r"\b(?:v|ver|version|verision)\s*(\d{1,2})\b")
_REVISED = re.compile(r"\b(updated|revised|corrected|re ?posted)\b")
_SLASHED_DATE = re.compile(r"(?<!\d)(\d{1,2})[/_-](\d{1,2})[/_-](\d{4}|\d{2})(?!\d)")
_PACKED_DATE = re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{4}|\d{2})(?!\d)")


def normalise(text: str) -> str:
    """Lower case, separators as single spaces.

    'NDC-HCPCS_Crosswalk.zip' -> 'ndc hcpcs crosswalk zip'
    """
    return re.sub(r"[\s\-_./,:;()\[\]%]+", " ", unquote(text).lower()).strip()


def quarter_named(text: str) -> Quarter | None:
    """The release a link or file names by month word and year, or None; digits alone never
    count. ANWEB names count too: HCPC2025_OCT_ANWEB is October 2025, HCPC2016_CONTR_ANWEB
    the 2016 annual (January) release."""
    words = normalise(text)
    anweb = _ANWEB.search(words)
    if anweb:
        month = ("jan", "apr", "jul", "oct").index(anweb.group(2) or "jan") * 3 + 1
        return Quarter.from_month(int(anweb.group(1)), month)
    for pattern, year_group in ((_MONTH_YEAR, 2), (_YEAR_MONTH, 1)):
        found = pattern.search(words)
        if found:
            month = found.group(3 - year_group)[:3]
            return Quarter.from_month(int(found.group(year_group)),
                                      ("jan", "apr", "jul", "oct").index(month) * 3 + 1)
    annual = _ANNUAL.search(words)
    if annual and not _ANY_MONTH.search(words):
        return Quarter(int(annual.group(1)), 1)
    return None


@dataclass(frozen=True)
class Link:
    """An anchor on a listing page, its href already resolved to an absolute URL."""

    text: str
    url: str

    @property
    def file_name(self) -> str:
        return unquote(PurePosixPath(urlsplit(self.url).path).name)


@dataclass(frozen=True)
class Rank:
    """What makes one posting newer than another, compared in this order."""

    stage: int          # 0 preliminary, 1 unmarked, 2 final
    version: int        # vN, 0 when absent
    stamp: date         # posting date in the text or name, date.min when absent
    revised: bool       # "Updated" / "Revised" re-posting

    @classmethod
    def of(cls, link: Link) -> "Rank":
        words = normalise(f"{link.text} {link.file_name}")
        stage = 1
        for name, pattern in _STAGES:
            if pattern.search(words):
                stage = 0 if name == "preliminary" else 2
        versions = [int(v) for v in _VERSION.findall(words)]
        return cls(stage, max(versions, default=0), posting_date(f"{link.text} {link.file_name}"),
                   bool(_REVISED.search(words)))

    def key(self) -> tuple[int, int, date, bool]:
        return (self.stage, self.version, self.stamp, self.revised)

    def why_beats(self, other: "Rank") -> str:
        stages = ("preliminary", "an unmarked posting", "final")
        if self.stage != other.stage:
            return f"{stages[self.stage]} beats {stages[other.stage]}"
        if self.version != other.version:
            return (f"v{self.version} beats "
                    f"{f'v{other.version}' if other.version else 'no version mark'}")
        if self.stamp != other.stamp:
            earlier = "undated" if other.stamp == date.min else str(other.stamp)
            return f"dated {self.stamp}, later than {earlier}"
        if self.revised != other.revised:
            return "an Updated/Revised re-posting beats the original"
        return "listed first on the page (same version markers)"


def posting_date(text: str) -> date:
    """The latest posting date stamp in a text (12/19/24, 12_19_24, 122024, 06012020)."""
    found = [_as_date(*m.groups()) for pattern in (_SLASHED_DATE, _PACKED_DATE)
             for m in pattern.finditer(unquote(text))]
    return max((d for d in found if d), default=date.min)


def _as_date(month: str, day: str, year: str) -> date | None:
    try:
        return date(int(year) + (2000 if len(year) == 2 else 0), int(month), int(day))
    except ValueError:
        return None


@dataclass(frozen=True)
class Posting:
    """The link discovery chose for one kind and quarter, with the reason a person can check."""

    kind: str
    quarter: Quarter
    url: str
    link_text: str | None
    file_name: str
    reason: str
    notes: tuple[str, ...] = field(default=())


class _Anchors(HTMLParser):
    """Collects (href, text) of every anchor; CMS pages are plain enough for the stdlib."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href, self._text = dict(attrs).get("href"), []

    def handle_data(self, text: str) -> None:
        if self._href is not None:
            self._text.append(text)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.anchors.append((self._href, " ".join("".join(self._text).split())))
            self._href = None


def page_links(html: str, page_url: str) -> list[Link]:
    """Every anchor of a listing page in page order, hrefs resolved against the page URL."""
    parser = _Anchors()
    parser.feed(html)
    return [Link(text, urljoin(page_url, href)) for href, text in parser.anchors
            if href and not href.startswith(("#", "mailto:", "javascript:"))]


def link_quarter(link: Link) -> Quarter | None:
    """The link text names the quarter; the file name is asked only when the text is silent."""
    return quarter_named(link.text) or quarter_named(link.file_name)


def link_kind(link: Link) -> str | None:
    """The kind the link text describes, else the kind its file name describes."""
    for words in (normalise(link.text), normalise(link.file_name)):
        named = [kind.name for kind in kinds.KINDS if kind.describes(words)]
        if len(named) == 1:
            return named[0]
    return None


def same_host(url: str, base_url: str) -> bool:
    return urlsplit(url).netloc.lower() == urlsplit(base_url).netloc.lower()


def matching_links(spec: SourceKind, quarter: Quarter, links: list[Link]) -> list[Link]:
    """Links of this kind naming this quarter, each URL once, in page order."""
    found: dict[str, Link] = {}
    for link in links:
        if link_kind(link) == spec.name and link_quarter(link) == quarter:
            found.setdefault(link.url, link)
    return list(found.values())


def choose(spec: SourceKind, quarter: Quarter, links: list[Link], base_url: str) -> Posting | None:
    """The newest posting of one kind for one quarter among a page's links, or None.

    Links to another host are never followed (downloads come from the configured base URL
    only); they are named in the posting's notes so a user sees what was skipped.
    """
    matches = matching_links(spec, quarter, links)
    notes = tuple(f"ignored {link.url}: not on the configured CMS host {urlsplit(base_url).netloc}"
                  for link in matches if not same_host(link.url, base_url))
    ranked = sorted(((Rank.of(link), link) for link in matches if same_host(link.url, base_url)),
                    key=lambda pair: pair[0].key(), reverse=True)  # stable: page order on ties
    if not ranked:
        return None
    best_rank, best = ranked[0]
    if len(ranked) == 1:
        reason = (f'picked "{best.text}", the only {spec.title} link for '
                  f"{quarter.month_name} {quarter.year}")
    else:
        runner_rank, runner = ranked[1]
        reason = (f'picked "{best.text}" over "{runner.text}" because '
                  f"{best_rank.why_beats(runner_rank)}")
    return Posting(spec.name, quarter, best.url, best.text, best.file_name, reason, notes)


def read_listing(path: str, settings: Settings,
                 session: requests.Session) -> tuple[str, list[Link]]:
    """(page URL, links) of a listing page under the configured base URL.

    Read with a size cap (settings.max_listing_bytes), announced or counted, like a zip: a
    broken or hostile server must not fill a small machine's memory with one page.
    """
    url = settings.cms_url.rstrip("/") + path
    try:
        response = session.get(url, timeout=(settings.connect_timeout, settings.read_timeout),
                               stream=True)
        with response:
            if response.status_code == 403:
                raise refused_by_cdn(url)
            if response.status_code != 200:
                raise SourceUnavailable(f"CMS listing page {url} answered HTTP "
                                        f"{response.status_code}")
            body = _capped_body(response, settings.max_listing_bytes, url)
    except requests.RequestException as error:
        raise SourceUnavailable(f"cannot read the CMS listing page {url}: {error}") from error
    # requests would assume Latin-1 for text/html without a charset; CMS pages are UTF-8
    charset = (response.encoding if "charset" in response.headers.get("Content-Type", "").lower()
               else "utf-8")
    return url, page_links(body.decode(charset or "utf-8", errors="replace"), url)


def refused_by_cdn(url: str) -> Unreachable:
    """A 403: CMS's web front (a CDN) refuses some networks and non-browser user agents, as
    public scrapers of cms.gov report; asking again will not change its mind."""
    return Unreachable(
        f"{url} answered HTTP 403 Forbidden: CMS's web front (its CDN) refuses some networks "
        "and non-browser user agents",
        hint="; if it wants a browser's user agent: --user-agent 'Mozilla/5.0 ...' "
             "(CROSSWALK_USER_AGENT)")


def _capped_body(response: requests.Response, cap: int, url: str) -> bytes:
    announced = response.headers.get("Content-Length", "")
    refuse_over_cap(int(announced) if announced.isdigit() else None, cap, url, "listing page")
    body, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        refuse_over_cap(size, cap, url, "listing page", counted=True)
        body.append(chunk)
    return b"".join(body)


def refuse_over_cap(size: int | None, cap: int, source: str, what: str,
                    counted: bool = False) -> None:
    """BadInput when a body is over its cap: `size` announced (Content-Length) or, with
    `counted`, the bytes read so far (reading stops there)."""
    if size is not None and size > cap:
        amount = f"more than {cap:,} bytes" if counted else f"{size:,} bytes"
        raise BadInput(f"{amount}: over the {cap:,}-byte {what} cap; nothing was kept",
                       file=source)


Pages = dict[str, "tuple[str, list[Link]] | SourceUnavailable"]


def _listing(spec: SourceKind, settings: Settings, session: requests.Session,
             pages: Pages) -> tuple[str, list[Link]]:
    """The first of the spec's listing pages that answers (CMS moved the ASP page once).

    `pages` remembers each page read (or failed) so kinds sharing a page ask for it once.
    """
    for path in spec.listing_paths:
        if path not in pages:
            try:
                pages[path] = read_listing(path, settings, session)
            except Unreachable:
                raise  # the host, not the page: another page of it will not answer either
            except SourceUnavailable as error:
                pages[path] = error
        if not isinstance(pages[path], SourceUnavailable):
            return pages[path]  # type: ignore[return-value]
    failures = "; ".join(str(pages[path]) for path in spec.listing_paths)
    raise SourceUnavailable(f"{spec.label}: no listing page answered: {failures}")


@dataclass(frozen=True)
class Discovery:
    """What the listing pages hold for a quarter: the posting chosen for each kind found, and
    for each kind not found, why (CMS posts the ASP files weeks after the HCPCS file)."""

    postings: dict[str, Posting]
    missing: dict[str, str]


def discover(quarter: Quarter, settings: Settings, session: requests.Session,
             wanted: tuple[str, ...] = kinds.NAMES) -> Discovery:
    """The newest posting of each wanted kind for `quarter`, and why each other is missing.

    A listing page that does not answer is an error; a kind the page does not list yet is
    not: the caller decides what a release needs (crosswalk.fetch.download_quarter).
    """
    pages: Pages = {}
    postings, missing = {}, {}
    for name in wanted:
        spec = kinds.get(name)
        page_url, links = _listing(spec, settings, session, pages)
        posting = choose(spec, quarter, links, settings.cms_url)
        if posting is not None:
            postings[name] = posting
            continue
        off_host = [link.url for link in matching_links(spec, quarter, links)]
        ignored = f"; ignored links to another host: {', '.join(off_host)}" if off_host else ""
        missing[name] = (f"no {spec.label} link for {quarter} ({quarter.month_name} "
                         f"{quarter.year}) on {page_url}{ignored}")
    return Discovery(postings, missing)


def newest_posted_quarter(settings: Settings, session: requests.Session) -> Quarter:
    """The newest quarter whose HCPCS file is listed: what an unattended run should fetch."""
    spec = kinds.get("hcpcs")
    page_url, links = _listing(spec, settings, session, {})
    quarters = [link_quarter(link) for link in links
                if link_kind(link) == "hcpcs" and same_host(link.url, settings.cms_url)]
    found = [q for q in quarters if q is not None]
    if not found:
        raise SourceUnavailable(f"no {spec.label} link for any quarter on {page_url}")
    return max(found)
