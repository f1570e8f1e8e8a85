"""Where CMS posts each quarterly file, and how we pick the right link off its listing page.

CMS has no API: the files are links on two pages (the HCPCS quarterly update page and the ASP
pricing files page) whose texts and file names drift from quarter to quarter ("File" or
"Files", v2..v5, date stamps such as 122024, preliminary then final, "Updated"/"Revised",
the 2026 rename to "Medicare Part B Payment Limit File"). Each source kind is one declarative
`SourceSpec`; one generic matcher reads the page and ranks the candidates, so a new quirk is a
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

from crosswalk.errors import BadInput, SourceUnavailable
from crosswalk.quarters import Quarter
from crosswalk.settings import Settings

HCPCS_PAGE = "/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update"
ASP_PAGE = "/medicare/payment/part-b-drugs/asp-pricing-files"
ASP_PAGE_OLD = ("/medicare/payment/all-fee-service-providers/"
                "medicare-part-b-drug-average-sales-price/asp-pricing-files")


def _words(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern) for pattern in patterns)


@dataclass(frozen=True)
class SourceSpec:
    """One CMS file kind: the pages that list it and the words that tell its links apart.

    Patterns run on the normalised link text and file name (lower case, separators as
    spaces): a link is this kind when any `includes` pattern and no `excludes` pattern match.
    """

    kind: str
    title: str
    listing_paths: tuple[str, ...]
    includes: tuple[re.Pattern[str], ...]
    excludes: tuple[re.Pattern[str], ...]
    required: bool = True

    @property
    def label(self) -> str:
        """How messages name the kind: words for people, the key for scripts."""
        return f"{self.title} [{self.kind}]"

    def describes(self, normalised: str) -> bool:
        return (any(p.search(normalised) for p in self.includes)
                and not any(p.search(normalised) for p in self.excludes))


SOURCES: dict[str, SourceSpec] = {spec.kind: spec for spec in (
    SourceSpec("hcpcs", "HCPCS alpha-numeric file", (HCPCS_PAGE,),
               includes=_words(r"\balpha ?numeric hcpcs\b"),
               # a separately posted corrections list is not the release file
               excludes=_words(r"\bcorrections?\b", r"\basp\b", r"\bcrosswalk\b")),
    SourceSpec("asp_pricing", "ASP pricing (payment limit) file", (ASP_PAGE, ASP_PAGE_OLD),
               includes=_words(r"\basp pricing files?\b", r"\bpayment limit files?\b"),
               excludes=_words(r"\bnoc\b", r"\bcrosswalk\b")),
    SourceSpec("asp_crosswalk", "ASP NDC-HCPCS crosswalk", (ASP_PAGE, ASP_PAGE_OLD),
               includes=_words(r"\bndc ?hcpcs crosswalk\b"),
               excludes=_words(r"\bnoc\b", r"\bopps\b", r"\bawp\b", r"\bpricing files?\b")),
    SourceSpec("noc_pricing", "ASP NOC pricing file", (ASP_PAGE, ASP_PAGE_OLD),
               includes=_words(r"\bnoc pricing files?\b", r"\bnoc payment limit files?\b"),
               excludes=_words(r"\bcrosswalk\b"), required=False),
    SourceSpec("noc_crosswalk", "ASP NOC NDC-HCPCS crosswalk", (ASP_PAGE, ASP_PAGE_OLD),
               includes=_words(r"\bnoc\b.*\bcrosswalk\b"),
               excludes=_words(r"\bpricing files?\b"), required=False),
)}
KINDS = tuple(SOURCES)
REQUIRED_KINDS = tuple(kind for kind, spec in SOURCES.items() if spec.required)

_RELEASE_MONTH = r"(january|jan|april|apr|july|jul|october|oct)"
_MONTH_YEAR = re.compile(rf"\b{_RELEASE_MONTH}\s*((?:19|20)\d{{2}})\b")
_YEAR_MONTH = re.compile(rf"\b((?:19|20)\d{{2}})\s*{_RELEASE_MONTH}\b")
_ANNUAL = re.compile(r"\b((?:19|20)\d{2}) (?:annual )?alpha ?numeric\b")
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
    """The release a link names by month word and year, or None; digits alone never count."""
    words = normalise(text)
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
        kinds = [kind for kind, spec in SOURCES.items() if spec.describes(words)]
        if len(kinds) == 1:
            return kinds[0]
    return None


def same_host(url: str, base_url: str) -> bool:
    return urlsplit(url).netloc.lower() == urlsplit(base_url).netloc.lower()


def matching_links(spec: SourceSpec, quarter: Quarter, links: list[Link]) -> list[Link]:
    """Links of this kind naming this quarter, each URL once, in page order."""
    found: dict[str, Link] = {}
    for link in links:
        if link_kind(link) == spec.kind and link_quarter(link) == quarter:
            found.setdefault(link.url, link)
    return list(found.values())


def choose(spec: SourceSpec, quarter: Quarter, links: list[Link], base_url: str) -> Posting | None:
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
    return Posting(spec.kind, quarter, best.url, best.text, best.file_name, reason, notes)


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


def _listing(spec: SourceSpec, settings: Settings, session: requests.Session,
             pages: Pages) -> tuple[str, list[Link]]:
    """The first of the spec's listing pages that answers (CMS moved the ASP page once).

    `pages` remembers each page read (or failed) so kinds sharing a page ask for it once.
    """
    for path in spec.listing_paths:
        if path not in pages:
            try:
                pages[path] = read_listing(path, settings, session)
            except SourceUnavailable as error:
                pages[path] = error
        if not isinstance(pages[path], SourceUnavailable):
            return pages[path]  # type: ignore[return-value]
    failures = "; ".join(str(pages[path]) for path in spec.listing_paths)
    raise SourceUnavailable(f"{spec.label}: no listing page answered: {failures}")


def discover(quarter: Quarter, settings: Settings, session: requests.Session,
             kinds: tuple[str, ...] = KINDS) -> list[Posting]:
    """The newest posting of each kind for `quarter`; a required kind missing is an error.

    Optional kinds (NOC pricing and crosswalk) missing from the page are simply left out.
    """
    pages: Pages = {}
    postings = []
    for kind in kinds:
        spec = SOURCES[kind]
        page_url, links = _listing(spec, settings, session, pages)
        posting = choose(spec, quarter, links, settings.cms_url)
        if posting is None and spec.required:
            off_host = [link.url for link in matching_links(spec, quarter, links)]
            ignored = f"; ignored links to another host: {', '.join(off_host)}" if off_host else ""
            raise SourceUnavailable(
                f"no {spec.label} link for {quarter} ({quarter.month_name} {quarter.year}) "
                f"on {page_url}{ignored}")
        if posting is not None:
            postings.append(posting)
    return postings


def newest_posted_quarter(settings: Settings, session: requests.Session) -> Quarter:
    """The newest quarter whose HCPCS file is listed: what an unattended run should fetch."""
    spec = SOURCES["hcpcs"]
    page_url, links = _listing(spec, settings, session, {})
    quarters = [link_quarter(link) for link in links
                if link_kind(link) == "hcpcs" and same_host(link.url, settings.cms_url)]
    found = [q for q in quarters if q is not None]
    if not found:
        raise SourceUnavailable(f"no {spec.label} link for any quarter on {page_url}")
    return max(found)
