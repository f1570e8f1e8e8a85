"""Download into the raw archive against the CMS-shaped mirror: real HTTP, real files, faults."""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from crosswalk import fetch, kinds, manifest
from crosswalk.errors import BadInput, SourceUnavailable, Unreachable
from crosswalk.quarters import Quarter
from crosswalk.local_files import gather
from crosswalk.settings import DEFAULT_USER_AGENT, SQL_DIR, Settings
import cms_builders as cms
from mirror import CmsMirror, standard_zip

Q4 = Quarter(2025, 4)
HCPCS_PATH = "/files/zip/october-2025-alpha-numeric-hcpcs-file.zip"


def zip_of(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def archive_files(settings: Settings) -> list[Path]:
    """Everything under raw/ except the manifest and its lock, hidden temp files included."""
    return sorted(p for p in settings.raw_dir.rglob("*") if p.is_file() and p.stem != "manifest")


def source_files_columns() -> list[str]:
    ddl = (SQL_DIR / "schema" / "01_provenance.sql").read_text()
    body = re.search(r"CREATE TABLE IF NOT EXISTS source_files \((.*?)\n\);", ddl, re.S).group(1)
    return [line.split()[0] for line in body.splitlines()
            if line.strip() and not line.strip().startswith(("--", "PRIMARY KEY"))]


@pytest.fixture
def published(cms_mirror: CmsMirror) -> dict[str, str]:
    cms_mirror.publish_quarter("2025Q3")
    return cms_mirror.publish_quarter("2025Q4")


def test_downloads_three_kinds_into_the_archive_with_provenance(cms_mirror, mirror_settings, published) -> None:
    results = fetch.download_quarter(Q4, mirror_settings)
    landed = {r.kind: r for r in results if r.entry}
    assert set(landed) == {"hcpcs", "asp_pricing", "asp_crosswalk"}
    assert [r.status for r in results if not r.entry] == ["not posted", "not posted"]
    for kind, result in landed.items():
        served = cms_mirror.body(published[kind])
        entry = result.entry
        assert result.status == "new"
        assert entry.path == mirror_settings.raw_dir.resolve() / kind / "2025Q4" / Path(published[kind]).name
        assert entry.path.read_bytes() == served
        assert entry.sha256 == hashlib.sha256(served).hexdigest() and entry.bytes == len(served)
        assert entry.url == cms_mirror.url(published[kind]) and "October 2025" in entry.link_text
        assert entry.etag and entry.last_modified and entry.http_date and entry.picked_reason
    lines = mirror_settings.manifest_path.read_text().splitlines()
    assert [list(json.loads(line)) for line in lines] == [source_files_columns()] * 3
    assert manifest.archived_files(mirror_settings, Q4) == {k: r.entry for k, r in landed.items()}
    assert manifest.archived_quarters(mirror_settings) == [Q4]
    # a CMS CDN refuses default client agents
    assert {h.headers["User-Agent"] for h in cms_mirror.requests_log} == {DEFAULT_USER_AGENT}
    assert {h.headers["Accept-Encoding"] for h in cms_mirror.requests_log if h.path.startswith("/files/")} == {"identity"}


def test_second_run_downloads_nothing(cms_mirror, mirror_settings, published) -> None:
    fetch.download_quarter(Q4, mirror_settings)
    manifest = mirror_settings.manifest_path.read_text()
    cms_mirror.clear_log()
    results = fetch.download_quarter(Q4, mirror_settings)
    assert [r.status for r in results if r.entry] == ["unchanged"] * 3
    assert cms_mirror.downloads() == []
    file_hits = [h for h in cms_mirror.requests_log if h.path.startswith("/files/")]
    assert {h.status for h in file_hits} == {304} and all("If-None-Match" in h.headers for h in file_hits)
    assert mirror_settings.manifest_path.read_text() == manifest


def test_deleted_archive_file_is_restored_without_a_second_manifest_line(
        cms_mirror, mirror_settings, published) -> None:
    entry = fetch.download_quarter(Q4, mirror_settings)[0].entry
    entry.path.unlink()
    cms_mirror.clear_log()
    result = fetch.download_quarter(Q4, mirror_settings)[0]
    assert result.status == "unchanged" and result.entry == entry
    assert entry.path.read_bytes() == cms_mirror.body(HCPCS_PATH)
    assert cms_mirror.downloads() == [HCPCS_PATH]  # asked without If-None-Match: file was gone
    assert len(manifest.read_manifest(mirror_settings)) == 3


def test_repost_with_new_bytes_is_kept_beside_the_old(cms_mirror, mirror_settings, published) -> None:
    first = fetch.download_quarter(Q4, mirror_settings)[0].entry
    old_bytes = cms_mirror.body(HCPCS_PATH)
    new_bytes = standard_zip("asp_pricing", Q4)  # different content under the HCPCS name
    cms_mirror.put(HCPCS_PATH, new_bytes)
    result = fetch.download_quarter(Q4, mirror_settings)[0]
    assert result.status == "new version"
    digest = hashlib.sha256(new_bytes).hexdigest()
    assert result.entry.path.name == f"october-2025-alpha-numeric-hcpcs-file.{digest[:12]}.zip"
    assert result.entry.file_name == "october-2025-alpha-numeric-hcpcs-file.zip"
    assert first.path.read_bytes() == old_bytes != new_bytes
    assert result.entry.path.read_bytes() == new_bytes
    assert manifest.archived_files(mirror_settings, Q4)["hcpcs"] == result.entry
    assert [e.sha256 for e in manifest.read_manifest(mirror_settings) if e.source_kind == "hcpcs"] == [first.sha256, digest]


def test_a_withdrawn_repost_makes_the_earlier_posting_the_release_again(
        cms_mirror, mirror_settings, published) -> None:
    """CMS lists a v2 link, then takes it down: the v1 link answers 304 (nothing to fetch),
    and v1 is the release again: a new manifest event, which `load` then reads."""
    first = fetch.download_quarter(Q4, mirror_settings)[0].entry
    v2_text = "October 2025 Alpha-Numeric HCPCS File v2 (ZIP)"
    cms_mirror.post("hcpcs", v2_text, "october-2025-alpha-numeric-hcpcs-file-v2.zip",
                    standard_zip("asp_pricing", Q4))
    second = fetch.download_quarter(Q4, mirror_settings)[0]
    assert second.status == "new version"
    cms_mirror.remove_link(kinds.HCPCS_PAGE, v2_text)
    cms_mirror.clear_log()

    third = fetch.download_quarter(Q4, mirror_settings)[0]

    assert [h.status for h in cms_mirror.requests_log if h.path == HCPCS_PATH] == [304]
    assert third.status == "reverted" and third.entry.sha256 == first.sha256
    assert third.entry.fetched_at > second.entry.fetched_at
    assert manifest.archived_files(mirror_settings, Q4)["hcpcs"] == third.entry
    assert [e.sha256 for e in manifest.read_manifest(mirror_settings) if e.source_kind == "hcpcs"
            ] == [first.sha256, second.entry.sha256, first.sha256]
    again = fetch.download_quarter(Q4, mirror_settings)[0]  # and that is now unchanged
    assert again.status == "unchanged" and again.entry == third.entry


def test_server_errors_are_retried_then_succeed(cms_mirror, mirror_settings, published) -> None:
    cms_mirror.fault(HCPCS_PATH, "500", times=2)
    result = fetch.download_quarter(Q4, mirror_settings)[0]
    assert result.status == "new"
    assert [h.status for h in cms_mirror.requests_log if h.path == HCPCS_PATH] == [500, 500, 200]


def test_rate_limit_waits_for_retry_after(cms_mirror, mirror_settings, published) -> None:
    cms_mirror.fault(HCPCS_PATH, "429", times=1, retry_after="1")
    started = time.monotonic()
    result = fetch.download_quarter(Q4, mirror_settings)[0]
    assert result.status == "new"
    assert time.monotonic() - started >= 1.0  # backoff_factor is 0: only Retry-After waits
    assert [h.status for h in cms_mirror.requests_log if h.path == HCPCS_PATH] == [429, 200]


def test_persistent_server_error_is_source_unavailable(cms_mirror, mirror_settings, published) -> None:
    cms_mirror.fault(HCPCS_PATH, "500")
    with pytest.raises(SourceUnavailable, match=r"\[hcpcs\] for 2025Q4.*HTTP 500"):
        fetch.download_quarter(Q4, mirror_settings)
    assert len([h for h in cms_mirror.requests_log if h.path == HCPCS_PATH]) == mirror_settings.retries + 1
    assert archive_files(mirror_settings) == []


def test_404_names_quarter_and_kind(cms_mirror, mirror_settings, published) -> None:
    cms_mirror.fault(published["asp_crosswalk"], "404")
    with pytest.raises(SourceUnavailable) as raised:
        fetch.download_quarter(Q4, mirror_settings)
    assert "2025Q4" in str(raised.value) and "[asp_crosswalk]" in str(raised.value)
    assert "404" in str(raised.value)


def test_slow_answer_times_out_then_retries(cms_mirror, mirror_settings, published) -> None:
    settings = replace(mirror_settings, read_timeout=0.3)
    cms_mirror.fault(HCPCS_PATH, "slow", times=1, delay=1.0)
    assert fetch.download_quarter(Q4, settings)[0].status == "new"
    cms_mirror.fault(published["asp_pricing"], "slow", delay=1.0)
    with pytest.raises(SourceUnavailable, match=r"\[asp_pricing\] for 2025Q4"):
        fetch.download_quarter(Q4, settings)


def test_truncated_body_never_lands(cms_mirror, mirror_settings, published) -> None:
    cms_mirror.fault(HCPCS_PATH, "truncate")
    with pytest.raises(SourceUnavailable, match=r"\[hcpcs\] for 2025Q4.*tried 3 times.*nothing was archived"):
        fetch.download_quarter(Q4, mirror_settings)
    assert archive_files(mirror_settings) == [] and manifest.read_manifest(mirror_settings) == []


def test_truncated_body_is_fetched_again(cms_mirror, mirror_settings, published) -> None:
    cms_mirror.fault(HCPCS_PATH, "truncate", times=1)
    result = fetch.download_quarter(Q4, mirror_settings)[0]
    assert result.status == "new" and result.entry.path.read_bytes() == cms_mirror.body(HCPCS_PATH)
    assert [h.status for h in cms_mirror.requests_log if h.path == HCPCS_PATH] == [200, 200]
    assert list(result.entry.path.parent.iterdir()) == [result.entry.path]  # no temp file left


def test_posted_names_cannot_leave_the_archive(cms_mirror, mirror_settings) -> None:
    """CMS once posted `...-12/19/24-final-file.zip`; a hostile `..%2F` name must stay inside."""
    cms_mirror.publish_quarter("2025Q1", kinds=("hcpcs", "asp_crosswalk"))
    pricing = standard_zip("asp_pricing", "2025Q1")
    cms_mirror.post("asp_pricing", "January 2025 ASP Pricing File - 12/19/24 - final file",
                    "january-2025-asp-pricing-file-12%2F19%2F24-final-file.zip", pricing)
    cms_mirror.post("asp_crosswalk", "January 2025 ASP NDC-HCPCS Crosswalk - final file",
                    "..%2F..%2F..%2Fcrosswalk.zip", standard_zip("asp_crosswalk", "2025Q1"))
    results = {r.kind: r.entry for r in fetch.download_quarter(Quarter(2025, 1), mirror_settings) if r.entry}
    assert results["asp_pricing"].path.name == "january-2025-asp-pricing-file-12_19_24-final-file.zip"
    assert results["asp_pricing"].file_name == "january-2025-asp-pricing-file-12/19/24-final-file.zip"
    assert results["asp_crosswalk"].path.parent == mirror_settings.raw_dir.resolve() / "asp_crosswalk" / "2025Q1"
    assert results["asp_crosswalk"].path.name == "_.._.._crosswalk.zip"


def test_a_posted_name_over_255_bytes_is_archived_under_a_shorter_name(cms_mirror,
                                                                        mirror_settings) -> None:
    """File systems refuse names over 255 bytes (the download used to end in a traceback):
    the archived copy gets a shortened name with a hash of the posted one; the manifest keeps
    the name as posted."""
    cms_mirror.publish_quarter(Q4, kinds=("asp_pricing", "asp_crosswalk"))
    posted = "october-2025-alpha-numeric-hcpcs-file-" + "é" * 120 + "-final.zip"  # 287 bytes
    cms_mirror.post("hcpcs", "October 2025 Alpha-Numeric HCPCS File (ZIP)", posted,
                    standard_zip("hcpcs", Q4))

    first = fetch.download_quarter(Q4, mirror_settings)[0]
    cms_mirror.put(f"/files/zip/{posted}", standard_zip("asp_crosswalk", Q4))  # a v2, same name
    second = fetch.download_quarter(Q4, mirror_settings)[0]

    assert (first.status, second.status) == ("new", "new version")
    for result in (first, second):
        assert result.entry.file_name == posted
        assert len(result.entry.path.name.encode()) <= 255 and result.entry.path.is_file()
        assert result.entry.path.name.startswith("october-2025-alpha-numeric-hcpcs-file-é")
        assert result.entry.path.suffix == ".zip"
    assert first.entry.path != second.entry.path


def test_html_page_served_as_zip_is_refused(cms_mirror, mirror_settings, published) -> None:
    cms_mirror.fault(HCPCS_PATH, "html")
    with pytest.raises(SourceUnavailable, match="HTML page where a zip was expected"):
        fetch.download_quarter(Q4, mirror_settings)
    assert archive_files(mirror_settings) == []


def test_html_body_without_html_content_type_is_refused(cms_mirror, mirror_settings, published) -> None:
    cms_mirror.put(HCPCS_PATH, b"\r\n<!DOCTYPE html><html><body>Access denied</body></html>")
    with pytest.raises(SourceUnavailable, match="HTML page"):
        fetch.download_quarter(Q4, mirror_settings)
    assert archive_files(mirror_settings) == []


@pytest.mark.parametrize("body, complaint", [
    (standard_zip("hcpcs", Q4)[:-30], "not a readable zip"),           # cut-off central directory
    (b"PK\x03\x04 not really a zip at all", "not a readable zip"),
])
def test_corrupt_zip_never_lands(cms_mirror, mirror_settings, published, body: bytes, complaint: str) -> None:
    cms_mirror.put(HCPCS_PATH, body)
    with pytest.raises(BadInput, match=complaint) as raised:
        fetch.download_quarter(Q4, mirror_settings)
    assert raised.value.file == "october-2025-alpha-numeric-hcpcs-file.zip"
    assert archive_files(mirror_settings) == []


def test_corrupt_fault_then_success(cms_mirror, mirror_settings, published) -> None:
    cms_mirror.fault(HCPCS_PATH, "corrupt", times=1)
    with pytest.raises(BadInput, match="not a readable zip"):
        fetch.download_quarter(Q4, mirror_settings)
    assert archive_files(mirror_settings) == []
    assert fetch.download_quarter(Q4, mirror_settings)[0].status == "new"


def test_member_failing_its_crc_never_lands(cms_mirror, mirror_settings, published) -> None:
    good = zip_of({"HCPC2025_OCT_ANWEB.txt": b"J9999" * 200}, zipfile.ZIP_STORED)
    broken = good.replace(b"J9999J9999", b"J9999X9999", 1)
    cms_mirror.put(HCPCS_PATH, broken)
    with pytest.raises(BadInput, match="CRC") as raised:
        fetch.download_quarter(Q4, mirror_settings)
    assert raised.value.field == "HCPC2025_OCT_ANWEB.txt"
    assert archive_files(mirror_settings) == []


@pytest.mark.parametrize("member", ["../../etc/cron.d/evil", "/etc/passwd", "C:\\evil.txt", "ok/..\\..\\evil"])
def test_zip_slip_is_refused(cms_mirror, mirror_settings, published, member: str) -> None:
    cms_mirror.put(HCPCS_PATH, zip_of({"HCPC2025_OCT_ANWEB.txt": b"x", member: b"owned"}))
    with pytest.raises(BadInput, match="zip-slip") as raised:
        fetch.download_quarter(Q4, mirror_settings)
    assert raised.value.field == member
    assert archive_files(mirror_settings) == []


def test_oversized_zip_is_refused(cms_mirror, mirror_settings, published) -> None:
    settings = replace(mirror_settings, max_unzipped_bytes=10_000)
    cms_mirror.put(HCPCS_PATH, zip_of({"a.txt": bytes(6_000), "b.txt": bytes(6_000)}))
    with pytest.raises(BadInput, match="10,000-byte cap"):
        fetch.download_quarter(Q4, settings)
    assert archive_files(settings) == []


def test_zip_bomb_ratio_is_refused(cms_mirror, mirror_settings, published) -> None:
    cms_mirror.put(HCPCS_PATH, zip_of({"bomb.txt": bytes(8 * 1024 * 1024)}))
    with pytest.raises(BadInput, match="zip bomb"):
        fetch.download_quarter(Q4, mirror_settings)
    assert archive_files(mirror_settings) == []


def test_download_size_cap(cms_mirror, mirror_settings, published) -> None:
    settings = replace(mirror_settings, max_download_bytes=100)
    with pytest.raises(BadInput, match="100-byte download cap"):
        fetch.download_quarter(Q4, settings)
    assert archive_files(settings) == []


def test_explicit_url_on_another_host_is_followed(mirror_settings, published) -> None:
    body = standard_zip("hcpcs", Q4)
    with CmsMirror() as proxy:
        proxy.put("/mirror/hcpcs-oct-2025.zip", body)
        overrides = fetch.parse_overrides((f"hcpcs={proxy.url('/mirror/hcpcs-oct-2025.zip')}",))
        result = fetch.download_quarter(Q4, mirror_settings, gather(mirror_settings, overrides))[0]
        assert proxy.downloads(prefix="/") == ["/mirror/hcpcs-oct-2025.zip"]
    assert result.entry.url == proxy.url("/mirror/hcpcs-oct-2025.zip") and result.entry.link_text is None
    assert result.entry.path.read_bytes() == body


def test_local_file_override_is_archived_and_then_unchanged(cms_mirror, mirror_settings, tmp_path) -> None:
    cms_mirror.publish_quarter("2025Q4", kinds=("asp_pricing", "asp_crosswalk"))  # no HCPCS posted
    local = tmp_path / "HCPC2025_OCT.zip"
    local.write_bytes(standard_zip("hcpcs", Q4))
    given = gather(mirror_settings, fetch.parse_overrides((f"hcpcs={local}",)))
    first = fetch.download_quarter(Q4, mirror_settings, given)[0]
    assert (first.status, first.entry.url, first.entry.file_name) == ("new", None, "HCPC2025_OCT.zip")
    assert first.entry.path.read_bytes() == local.read_bytes()
    again = fetch.download_quarter(Q4, mirror_settings, given)[0]
    assert again.status == "unchanged" and again.entry == first.entry
    assert len(manifest.read_manifest(mirror_settings)) == 3
    assert not any(h.path.endswith("hcpcs-file.zip") for h in cms_mirror.requests_log)


def test_a_missing_local_file_is_refused_before_cms_is_asked(cms_mirror, tmp_path) -> None:
    cms_mirror.publish_quarter("2025Q4")
    with pytest.raises(BadInput, match="no such file") as raised:
        fetch.parse_overrides([f"asp_pricing={tmp_path / 'october-2025-asp-pricing-file.zip'}"])
    assert raised.value.field == "--url asp_pricing"
    assert cms_mirror.requests_log == []


@pytest.mark.parametrize("values, complaint", [
    (("hcpcs",), "expected KIND=URL"),
    (("hcpcs=",), "expected KIND=URL"),
    (("asp=https://x/y.zip",), "unknown file kind 'asp'"),
    (("hcpcs=https://x/a.zip", "hcpcs=https://x/b.zip"), "given twice"),
    (("hcpcs=no-such-folder/a.zip",), "no such file"),
])
def test_parse_overrides_refuses_bad_values(values: tuple[str, ...], complaint: str) -> None:
    with pytest.raises(BadInput, match=complaint):
        fetch.parse_overrides(values)


def test_parse_overrides(tmp_path) -> None:
    local = tmp_path / "n.zip"
    local.write_bytes(b"")
    assert fetch.parse_overrides(("hcpcs = https://x/a.zip", f"noc_pricing={local}")) == {
        "hcpcs": "https://x/a.zip", "noc_pricing": str(local)}


def test_optional_noc_files_are_fetched_when_posted(cms_mirror, mirror_settings) -> None:
    cms_mirror.publish_quarter("2025Q4", kinds=("hcpcs", "asp_pricing", "asp_crosswalk", "noc_pricing"))
    statuses = {r.kind: r.status for r in fetch.download_quarter(Q4, mirror_settings)}
    assert statuses["noc_pricing"] == "new" and statuses["noc_crosswalk"] == "not posted"


def test_describe_names_pick_file_size_hash_and_reason(cms_mirror, mirror_settings, published) -> None:
    cms_mirror.post("hcpcs", "October 2025 Alpha-Numeric HCPCS File v2 (ZIP)",
                    "october-2025-alpha-numeric-hcpcs-file-v2.zip", standard_zip("hcpcs", Q4))
    result = fetch.download_quarter(Q4, mirror_settings)[0]
    line = result.describe()
    for part in ("hcpcs", "new", "october-2025-alpha-numeric-hcpcs-file-v2.zip",
                 f"{result.entry.bytes:,} bytes", result.entry.sha256[:12],
                 '"October 2025 Alpha-Numeric HCPCS File v2 (ZIP)"', "v2 beats no version mark"):
        assert part in line


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("ci, shown", [(None, True), ("true", False)])
def test_progress_bar_on_a_terminal_quiet_in_ci(cms_mirror, mirror_settings, published, monkeypatch,
                                                 ci: str | None, shown: bool) -> None:
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    fetch.download_quarter(Q4, mirror_settings)
    assert ("october-2025-alpha-numeric-hcpcs-file.zip" in terminal.getvalue()) is shown


def test_unreadable_manifest_line_names_the_row(mirror_settings) -> None:
    mirror_settings.manifest_path.parent.mkdir(parents=True)
    mirror_settings.manifest_path.write_text('{"sha256": "x"}\n')
    with pytest.raises(BadInput) as raised:
        manifest.read_manifest(mirror_settings)
    assert raised.value.row == 1


def test_read_member_checks_first_and_names_members(tmp_path, settings) -> None:
    path = tmp_path / "release.zip"
    path.write_bytes(zip_of({"HCPC2025_OCT_ANWEB.txt": b"J9999", "NOC codes_OCT2025.xlsx": b"x"}))
    assert [m.filename for m in fetch.zip_members(path, settings)] == [
        "HCPC2025_OCT_ANWEB.txt", "NOC codes_OCT2025.xlsx"]
    assert fetch.read_member(path, "HCPC2025_OCT_ANWEB.txt", settings) == b"J9999"
    with pytest.raises(BadInput, match="NOC codes_OCT2025.xlsx"):
        fetch.read_member(path, "HCPC2025_JAN_ANWEB.txt", settings)
    path.write_bytes(zip_of({"../escape.txt": b"x"}))
    with pytest.raises(BadInput, match="zip-slip"):
        fetch.read_member(path, "../escape.txt", settings)


def test_read_member_reports_a_corrupt_member_as_zip_bang_member(tmp_path, settings) -> None:
    path = tmp_path / "release.zip"
    path.write_bytes(zip_of({"a.txt": b"J9999" * 100}, zipfile.ZIP_STORED).replace(b"J9999J", b"X9999J", 1))
    with pytest.raises(BadInput) as raised:
        fetch.read_member(path, "a.txt", settings)
    assert raised.value.file == "release.zip!a.txt"


def test_retry_after_is_capped_so_a_scheduled_run_cannot_stall_for_hours(mirror_settings) -> None:
    from urllib3 import HTTPResponse

    retry = fetch.make_session(mirror_settings).get_adapter("https://www.cms.gov").max_retries
    asked = HTTPResponse(status=429, headers={"Retry-After": "3600"})
    assert retry.get_retry_after(asked) == fetch.MAX_RETRY_AFTER
    assert retry.get_retry_after(HTTPResponse(status=429, headers={"Retry-After": "2"})) == 2
    assert retry.total == mirror_settings.retries and 429 in retry.status_forcelist


def test_overlapping_runs_record_each_version_once(cms_mirror, mirror_settings, published,
                                                    monkeypatch) -> None:
    from concurrent.futures import ThreadPoolExecutor

    unhurried = manifest.read_manifest

    def slow_read(settings: Settings) -> list[manifest.ManifestEntry]:
        entries = unhurried(settings)
        time.sleep(0.05)  # widen the read-then-append window two runs could race through
        return entries

    monkeypatch.setattr(manifest, "read_manifest", slow_read)
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(lambda _: fetch.download_quarter(Q4, mirror_settings), range(4)))
    statuses = sorted(r.status for run in runs for r in run if r.entry)
    assert statuses.count("new") == 3 and statuses.count("unchanged") == 9
    entries = manifest.read_manifest(mirror_settings)
    assert len(entries) == len({e.sha256 for e in entries}) == 3
    assert len(archive_files(mirror_settings)) == 3


# ---------------------------------------------------------------------------------------------
# A CMS this machine cannot reach: once per host, then what to do


def test_a_refused_connection_is_tried_once_per_host_and_says_what_to_do(
        settings, connection_attempts) -> None:
    """A DNS failure or a refused connection used to be retried like a 503: 12 attempts over
    93 s. Now one attempt per host for the whole download (both listing pages, every kind)."""
    from conftest import free_port

    port = free_port()
    closed = settings.with_overrides(cms_url=f"http://127.0.0.1:{port}")
    with pytest.raises(Unreachable) as refused:
        fetch.download_quarter(Q4, closed)
    assert connection_attempts == [("127.0.0.1", port)]
    message = str(refused.value)
    assert message.startswith(f"cannot reach http://127.0.0.1:{port} (connection refused). ")
    for advice in ("HTTPS_PROXY", "--cms-url", "--from DIR", "--url KIND=PATH"):
        assert advice in message
    assert refused.value.exit_code == 3
    assert archive_files(closed) == []


def test_the_session_remembers_an_unreachable_host_and_names_the_proxy(settings, monkeypatch,
                                                                      connection_attempts):
    from conftest import free_port

    proxy = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with fetch.make_session(settings) as session:
        for _ in range(3):
            with pytest.raises(Unreachable) as refused:
                session.get("http://cms.example/medicare/x", timeout=(2, 2))
    assert len(connection_attempts) == 1  # to the proxy, once
    assert f"the proxy does not answer, through the proxy {proxy} from the environment" in (
        str(refused.value))


def test_check_reachable_passes_any_answer_and_names_a_403(cms_mirror, mirror_settings) -> None:
    """The check `crosswalk run` makes before Prefect starts: one request, no retries."""
    fetch.check_reachable(mirror_settings)
    cms_mirror.fault(kinds.HCPCS_PAGE, "500", times=1, status=503)
    fetch.check_reachable(mirror_settings)  # CMS answers, if badly: the run deals with it
    cms_mirror.fault(kinds.HCPCS_PAGE, "500", times=1, status=403)
    with pytest.raises(Unreachable, match="answered HTTP 403 Forbidden: CMS's web front"):
        fetch.check_reachable(mirror_settings)
    assert [hit.status for hit in cms_mirror.requests_log] == [200, 503, 403]


def test_a_403_from_cms_s_web_front_says_so_and_offers_a_user_agent(cms_mirror, mirror_settings,
                                                                     published) -> None:
    cms_mirror.fault(HCPCS_PATH, "500", status=403)
    with pytest.raises(Unreachable) as refused:
        fetch.download_quarter(Q4, mirror_settings)
    message = str(refused.value)
    assert "october-2025-alpha-numeric-hcpcs-file.zip answered HTTP 403 Forbidden" in message
    assert "--user-agent 'Mozilla/5.0 ...' (CROSSWALK_USER_AGENT)" in message
    assert "HTTPS_PROXY" in message and archive_files(mirror_settings) == []


def test_the_user_agent_comes_from_the_settings(cms_mirror, mirror_settings, published,
                                                monkeypatch) -> None:
    monkeypatch.setenv("CROSSWALK_USER_AGENT", "Mozilla/5.0 (practice PC)")
    from crosswalk.settings import load_settings

    agent = load_settings(data_dir=mirror_settings.data_dir, cms_url=cms_mirror.base_url)
    fetch.download_quarter(Q4, replace(mirror_settings, user_agent=agent.user_agent))
    assert {h.headers["User-Agent"] for h in cms_mirror.requests_log} == {
        "Mozilla/5.0 (practice PC)"}


# ---------------------------------------------------------------------------------------------
# A half-posted release


def test_a_release_without_its_asp_files_yet_downloads_and_names_them(cms_mirror,
                                                                     mirror_settings) -> None:
    cms_mirror.publish_quarter("2026Q1", kinds=("hcpcs",))
    results = {r.kind: r for r in fetch.download_quarter(Quarter(2026, 1), mirror_settings)}
    assert results["hcpcs"].status == "new"
    for kind in ("asp_pricing", "asp_crosswalk"):
        assert results[kind].status == "not posted" and results[kind].entry is None
        assert results[kind].reason.startswith(f"not posted yet: no {kinds.get(kind).label} "
                                               "link for 2026Q1 (January 2026) on http://")
        assert "the workbook say 'ASP files not posted yet'" in results[kind].describe()
    assert results["noc_pricing"].reason.startswith("optional: no ASP NOC pricing file")


def test_a_release_without_its_hcpcs_file_keeps_what_is_posted_and_fails(cms_mirror,
                                                                         mirror_settings) -> None:
    q1 = Quarter(2026, 1)
    paths = cms_mirror.publish_quarter(q1, kinds=("asp_pricing", "asp_crosswalk"))
    with pytest.raises(SourceUnavailable) as refused:
        fetch.download_quarter(q1, mirror_settings)
    message = str(refused.value)
    assert message.startswith("2026Q1: no HCPCS alpha-numeric file [hcpcs] link for 2026Q1")
    assert ("no release to match without its HCPCS alpha-numeric file: run again once CMS "
            "posts it; kept in the raw archive meanwhile: asp_pricing (january-2026-asp-pricing-file.zip), "
            "asp_crosswalk (january-2026-asp-ndc-hcpcs-crosswalk.zip)") in message
    assert sorted(manifest.archived_files(mirror_settings, q1)) == ["asp_crosswalk", "asp_pricing"]
    assert sorted(cms_mirror.downloads()) == sorted(paths.values())


def test_a_bare_csv_given_by_url_is_archived_as_served(cms_mirror, mirror_settings) -> None:
    """A proxy or mirror may serve the CSV itself: a name that is not .zip may be one file."""
    from crosswalk.local_files import gather

    cms_mirror.publish_quarter("2025Q4", kinds=("hcpcs", "asp_crosswalk"))
    name = "section 508 version of October 2025 ASP Pricing File 091725.csv"
    body = cms.asp_pricing_csv(Q4, cms.sample_release(Q4).pricing)
    cms_mirror.put(f"/mirror/{name}", body, content_type="text/csv")
    given = gather(mirror_settings, {"asp_pricing": cms_mirror.url(f"/mirror/{name}")})
    result = {r.kind: r for r in fetch.download_quarter(Q4, mirror_settings, given)}
    assert result["asp_pricing"].entry.file_name == name
    assert result["asp_pricing"].entry.path.read_bytes() == body
