"""Discovery: which link on CMS's listing pages is the file for a quarter, and why."""

from __future__ import annotations

from datetime import date

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from crosswalk import kinds, sources
from crosswalk.errors import SourceUnavailable
from crosswalk.quarters import Quarter
from crosswalk.sources import Link, Rank, link_kind, page_links, posting_date, quarter_named

BASE = "https://www.cms.gov"
Q1_2025, Q3_2025, Q4_2025 = Quarter(2025, 1), Quarter(2025, 3), Quarter(2025, 4)


def links(*pairs: tuple[str, str]) -> list[Link]:
    html = "".join(f'<li><a href="{href}">{text}</a></li>' for text, href in pairs)
    return page_links(f"<ul>{html}</ul>", BASE + kinds.ASP_PAGE)


def pick(kind: str, quarter: Quarter, *pairs: tuple[str, str]) -> sources.Posting | None:
    return sources.choose(kinds.get(kind), quarter, links(*pairs), BASE)


@pytest.mark.parametrize("text, quarter", [
    ("January 2025 ASP Pricing File (ZIP)", Q1_2025),
    ("october-2025-alpha-numeric-hcpcs-file.zip", Q4_2025),
    ("2019-Oct-ASP-Pricing-File.zip", Quarter(2019, 4)),
    ("jul_2019_asp_pricing_file_updated_052920.zip", Quarter(2019, 3)),
    ("2020-Alpha-Numeric-HCPCS-File.zip", Quarter(2020, 1)),
    ("section 508 version of January 2025 ASP NDC-HCPCS Crosswalk 122024.csv", Q1_2025),
    ("section 508 verision of JUL 2025 ASP Pricing File 062325.csv", Q3_2025),
    ("HCPC2025_OCT_ANWEB_v3.txt", Q4_2025),       # an ANWEB name: year, then month code
    ("HCPC2016_CONTR_ANWEB.txt", Quarter(2016, 1)),  # an annual ANWEB file: January
    ("HCPC2025_JAN_ANWEB_12172024.txt", Q1_2025),  # the date stamp is not the release
    ("HCPCS2016_recordlayout.txt", None),          # a companion, no ANWEB name
    ("ASP NDC-HCPCS Crosswalk 122024.csv", None),  # a date stamp is not a quarter
    ("Medicare Part B Drug ASP", None),
])
def test_quarter_is_read_from_month_word_and_year_only(text: str, quarter: Quarter | None) -> None:
    assert quarter_named(text) == quarter


@given(st.builds(Quarter, st.integers(2000, 2099), st.integers(1, 4)),
       st.dates(date(2000, 1, 1), date(2099, 12, 31)),
       st.sampled_from(["%m%d%y", "%m%d%Y", "%m/%d/%y", "%m_%d_%y", "%m-%d-%Y"]),
       st.sampled_from(["{month} {year} ASP NDC-HCPCS Crosswalk {stamp}.csv",
                        "{slug}-asp-pricing-file-{stamp}-final-file.zip",
                        "section 508 version of {abbr} {year} ASP Pricing File {stamp}.csv"]))
def test_no_posting_date_changes_the_quarter(quarter: Quarter, posted: date, form: str,
                                             template: str) -> None:
    stamp = posted.strftime(form)
    text = template.format(month=quarter.month_name, year=quarter.year, slug=quarter.slug,
                           abbr=quarter.month_abbr.upper(), stamp=stamp)
    assert quarter_named(text) == quarter
    assert posting_date(text) == posted


@pytest.mark.parametrize("text, kind", [
    ("October 2025 Alpha-Numeric HCPCS File (ZIP)", "hcpcs"),
    ("April 2024 Alpha-Numeric HCPCS Files (ZIP)", "hcpcs"),
    ("October 2026 HCPCS Corrections to Alpha-Numeric HCPCS File (ZIP)", None),
    ("January 2025 ASP Pricing File (ZIP)", "asp_pricing"),
    ("April 2009 ASP Pricing File - Updated 3/17/09 [ZIP, 41KB]", "asp_pricing"),
    ("January 2026 Medicare Part B Payment Limit Files (ZIP)", "asp_pricing"),
    ("July 2025 ASP NDC-HCPCS Crosswalk - 06/11/25 - preliminary file", "asp_crosswalk"),
    ("July 2026 NDC-HCPCS Crosswalk (ZIP)", "asp_crosswalk"),
    ("April 2009 ASP NOC Pricing File - Revised 04/13/09", "noc_pricing"),
    ("October 2025 ASP NOC NDC-HCPCS Crosswalk (ZIP)", "noc_crosswalk"),
    ("October 2025 OPPS NDC-HCPCS Crosswalk (ZIP)", None),
    ("October 2025 HCPCS Level II Coding Decisions (PDF)", None),
])
def test_kind_tells_pricing_crosswalk_and_noc_apart(text: str, kind: str | None) -> None:
    assert link_kind(Link(text, BASE + "/files/zip/x.zip")) == kind


def test_kind_falls_back_to_the_file_name_when_the_text_is_silent() -> None:
    link = Link("Download (ZIP)", BASE + "/files/zip/october-2025-asp-ndc-hcpcs-crosswalk.zip")
    assert (link_kind(link), sources.link_quarter(link)) == ("asp_crosswalk", Q4_2025)


@pytest.mark.parametrize("text, stamp", [
    ("July 2025 ASP NDC-HCPCS Crosswalk - 06/11/25 - preliminary file", date(2025, 6, 11)),
    ("january-2025-asp-pricing-file-12_19_24-final-file.zip", date(2024, 12, 19)),
    ("ASP NDC-HCPCS Crosswalk 122024.csv", date(2024, 12, 20)),
    ("july-2020-asp-pricing-file-updated-06012020.zip", date(2020, 6, 1)),
    ("april-2026-medicare-part-b-payment-limit-files-03-30-2026-final-file.zip", date(2026, 3, 30)),
    ("october-2025-asp-pricing-file.zip", date.min),
])
def test_posting_dates_are_read_from_stamps(text: str, stamp: date) -> None:
    assert posting_date(text) == stamp


def test_final_beats_preliminary_and_says_so() -> None:
    posting = pick("asp_crosswalk", Q3_2025,
                   ("July 2025 ASP NDC-HCPCS Crosswalk - 06/11/25 - preliminary file",
                    "/files/zip/july-2025-asp-ndc-hcpcs-crosswalk-preliminary.zip"),
                   ("July 2025 ASP NDC-HCPCS Crosswalk - 06/23/25 - final file",
                    "/files/zip/july-2025-asp-ndc-hcpcs-crosswalk-final-file.zip"))
    assert posting is not None
    assert posting.file_name == "july-2025-asp-ndc-hcpcs-crosswalk-final-file.zip"
    assert "final beats preliminary" in posting.reason
    assert "06/11/25 - preliminary file" in posting.reason  # names what it passed over


def test_higher_version_wins() -> None:
    posting = pick("hcpcs", Q4_2025,
                   ("October 2025 Alpha-Numeric HCPCS File v2 (ZIP)", "/files/zip/october-2025-alpha-numeric-hcpcs-file-v2.zip"),
                   ("October 2025 Alpha-Numeric HCPCS File v3 (ZIP)", "/files/zip/october-2025-alpha-numeric-hcpcs-file-v3.zip"),
                   ("October 2025 Alpha-Numeric HCPCS File (ZIP)", "/files/zip/october-2025-alpha-numeric-hcpcs-file.zip"))
    assert posting is not None and posting.file_name.endswith("-v3.zip")
    assert "v3 beats v2" in posting.reason


def test_updated_posting_beats_the_original() -> None:
    posting = pick("asp_pricing", Quarter(2009, 2),
                   ("April 2009 ASP Pricing File [ZIP, 40KB]", "/files/zip/april-2009-asp-pricing-file.zip"),
                   ("April 2009 ASP Pricing File - Updated 3/17/09 [ZIP, 41KB]",
                    "/files/zip/april-2009-asp-pricing-file-updated.zip"))
    assert posting is not None and posting.file_name == "april-2009-asp-pricing-file-updated.zip"
    assert "dated 2009-03-17" in posting.reason


def test_date_stamp_never_names_the_quarter() -> None:
    """`...122024.csv` is the January 2025 crosswalk, not a 2024 file."""
    pairs = (("section 508 version of January 2025 ASP NDC-HCPCS Crosswalk 122024.csv",
              "/files/csv/jan-2025-crosswalk-122024.csv"),)
    assert pick("asp_crosswalk", Q1_2025, *pairs) is not None
    for quarter in (Quarter(2024, 1), Quarter(2024, 4)):
        assert pick("asp_crosswalk", quarter, *pairs) is None


def test_other_quarters_and_other_kinds_are_not_taken() -> None:
    pairs = (("October 2025 ASP NOC Pricing File (ZIP)", "/files/zip/october-2025-noc-pricing-file.zip"),
             ("October 2025 ASP NDC-HCPCS Crosswalk (ZIP)", "/files/zip/october-2025-asp-ndc-hcpcs-crosswalk.zip"),
             ("July 2025 ASP Pricing File (ZIP)", "/files/zip/july-2025-asp-pricing-file.zip"))
    assert pick("asp_pricing", Q4_2025, *pairs) is None
    noc = pick("noc_pricing", Q4_2025, *pairs)
    assert noc is not None and noc.file_name == "october-2025-noc-pricing-file.zip"


def test_the_2026_rename_is_the_pricing_file() -> None:
    posting = pick("asp_pricing", Quarter(2026, 1),
                   ("January 2026 Medicare Part B Payment Limit Files (ZIP)",
                    "/files/zip/january-2026-medicare-part-b-payment-limit-files.zip"))
    assert posting is not None and posting.url == BASE + "/files/zip/january-2026-medicare-part-b-payment-limit-files.zip"


def test_link_to_another_host_is_noted_not_followed() -> None:
    posting = pick("hcpcs", Q4_2025,
                   ("October 2025 Alpha-Numeric HCPCS File v9 (ZIP)", "https://evil.example/october-2025-alpha-numeric-hcpcs-file.zip"),
                   ("October 2025 Alpha-Numeric HCPCS File (ZIP)", "/files/zip/october-2025-alpha-numeric-hcpcs-file.zip"))
    assert posting is not None and posting.url.startswith(BASE)
    assert any("evil.example" in note for note in posting.notes)


def test_rank_orders_stage_then_version_then_date_then_revision() -> None:
    def rank(text: str) -> Rank:
        return Rank.of(Link(text, BASE + "/x.zip"))
    ordered = ["X preliminary", "X", "X final", "X final v2", "X final v2 06/01/25",
               "X final v2 06/01/25 updated"]
    assert sorted(ordered, key=lambda t: rank(t).key()) == ordered


# discovery against the CMS-shaped mirror: real HTTP


def test_discover_reads_both_listing_pages(cms_mirror, mirror_settings) -> None:
    cms_mirror.publish_quarter("2025Q3")
    paths = cms_mirror.publish_quarter("2025Q4", kinds=kinds.NAMES)
    with requests.Session() as session:
        found = sources.discover(Q4_2025, mirror_settings, session)
    assert {k: p.url for k, p in found.postings.items()} == {
        k: cms_mirror.url(v) for k, v in paths.items()}
    assert all(p.link_text and "October 2025" in p.link_text for p in found.postings.values())
    assert found.missing == {}


def test_a_kind_not_listed_yet_is_named_with_quarter_and_page(cms_mirror, mirror_settings) -> None:
    """A half-posted release is not an error here: the downloader decides (the ASP files
    come weeks after the HCPCS file)."""
    cms_mirror.publish_quarter("2025Q3")
    cms_mirror.publish_quarter("2025Q4", kinds=("asp_pricing", "asp_crosswalk"))
    with requests.Session() as session:
        found = sources.discover(Q4_2025, mirror_settings, session)
    assert sorted(found.postings) == ["asp_crosswalk", "asp_pricing"]
    assert sorted(found.missing) == ["hcpcs", "noc_crosswalk", "noc_pricing"]
    assert found.missing["hcpcs"].startswith("no HCPCS alpha-numeric file [hcpcs] link for 2025Q4 "
                                             "(October 2025) on http://127.0.0.1:")


def test_an_off_host_only_link_is_missing_and_named(cms_mirror, mirror_settings) -> None:
    cms_mirror.publish_quarter("2025Q4", kinds=("asp_pricing", "asp_crosswalk"))
    cms_mirror.add_link(kinds.HCPCS_PAGE, "October 2025 Alpha-Numeric HCPCS File (ZIP)",
                        "https://www.cms.gov/files/zip/october-2025-alpha-numeric-hcpcs-file.zip")
    with requests.Session() as session:
        found = sources.discover(Q4_2025, mirror_settings, session)
    assert "ignored links to another host: https://www.cms.gov/files/zip/" in found.missing["hcpcs"]
    assert not cms_mirror.downloads()


def test_old_asp_page_is_tried_when_the_new_one_is_gone(cms_mirror, mirror_settings) -> None:
    cms_mirror.publish_quarter("2025Q4")
    cms_mirror.fault(kinds.ASP_PAGE, "404")
    cms_mirror.set_page(kinds.ASP_PAGE_OLD, '<a href="/files/zip/october-2025-asp-pricing-file.zip">'
                        'October 2025 ASP Pricing File (ZIP)</a>')
    with requests.Session() as session:
        found = sources.discover(Q4_2025, mirror_settings, session, wanted=("asp_pricing",))
    assert found.postings["asp_pricing"].url == cms_mirror.url(
        "/files/zip/october-2025-asp-pricing-file.zip")


def test_newest_posted_quarter(cms_mirror, mirror_settings) -> None:
    for quarter in ("2025Q2", "2025Q4", "2025Q3"):
        cms_mirror.publish_quarter(quarter, kinds=("hcpcs",))
    with requests.Session() as session:
        assert sources.newest_posted_quarter(mirror_settings, session) == Q4_2025


def test_listing_page_down_is_asked_once_per_run_and_named(cms_mirror, mirror_settings) -> None:
    from crosswalk.fetch import make_session

    cms_mirror.publish_quarter("2025Q4")
    cms_mirror.fault(kinds.ASP_PAGE, "500")
    with make_session(mirror_settings) as session, pytest.raises(SourceUnavailable) as raised:
        sources.discover(Q4_2025, mirror_settings, session)
    assert "[asp_pricing]" in str(raised.value) and "HTTP 500" in str(raised.value)
    asked = [hit.status for hit in cms_mirror.requests_log if hit.path == kinds.ASP_PAGE]
    assert asked == [500] * (mirror_settings.retries + 1)  # retried, but not again per kind


def test_listing_page_without_charset_is_read_as_utf8(cms_mirror, mirror_settings) -> None:
    cms_mirror.set_page(kinds.HCPCS_PAGE, '<a href="/files/zip/a.zip">October 2025 Alpha\u2011Numeric '
                        'HCPCS File\u00a0(ZIP)</a>', content_type="text/html")
    with requests.Session() as session:
        url, links = sources.read_listing(kinds.HCPCS_PAGE, mirror_settings, session)
    assert links[0].text == "October 2025 Alpha\u2011Numeric HCPCS File (ZIP)"


@pytest.mark.real_samples
def test_real_cms_file_names_name_their_quarter_and_kind(cms_samples) -> None:
    """Every real 508 CSV name (Jan/January/APR, 'verision', date stamps) reads as its quarter."""
    expected = [Quarter(2024, n) for n in range(1, 5)] + [Quarter(2025, n) for n in range(1, 5)]
    for folder, kind in (("pricing", "asp_pricing"), ("crosswalk", "asp_crosswalk")):
        names = [path.name for path in (cms_samples / "asp" / folder).glob("*.csv")]
        assert sorted(quarter_named(name) for name in names) == expected
        assert {link_kind(Link(name, BASE + "/x")) for name in names} == {kind}
    real_zip = "january-2025-asp-pricing-file-12_19_24-final-file.zip"
    assert (quarter_named(real_zip), posting_date(real_zip)) == (Q1_2025, date(2024, 12, 19))


# ---------------------------------------------------------------------------------------------
# A listing page is read with a size cap, like a zip


@pytest.mark.parametrize("sized", [True, False], ids=["content-length", "no-content-length"])
def test_an_oversized_listing_page_is_refused_like_an_oversized_zip(cms_mirror, mirror_settings,
                                                                    sized):
    """A hostile or broken page (1.5 GB was seen to take 3.1 GB of memory) is refused at the
    cap, whether the server announces its length or streams until it closes."""
    from dataclasses import replace

    from crosswalk import fetch
    from crosswalk.errors import BadInput

    cms_mirror.publish_quarter(Q4_2025)
    padding = "<p>" + "x" * 1000 + "</p>\n"
    cms_mirror.set_page(kinds.HCPCS_PAGE, "<html><body>" + padding * 300 + "</body></html>")
    if not sized:
        cms_mirror.fault(kinds.HCPCS_PAGE, "unsized")
    capped = replace(mirror_settings, max_listing_bytes=100_000)

    with pytest.raises(BadInput) as refused:
        fetch.download_quarter(Q4_2025, capped)

    assert kinds.HCPCS_PAGE in refused.value.file
    assert "100,000-byte listing page cap" in str(refused.value)
    assert cms_mirror.downloads() == []
    assert not capped.manifest_path.exists()


def test_the_default_listing_cap_leaves_room_for_a_real_cms_page():
    """cms.gov's listing pages are a few hundred KB; the cap is far above that and far below
    what would strain a small machine."""
    from crosswalk.settings import Settings

    assert 5_000_000 <= Settings().max_listing_bytes <= 50_000_000
