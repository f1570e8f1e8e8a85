"""Security of the whole run: hostile text in every output, secrets and patient data kept out
of logs and records, downloads only from the configured host.

Already tested beside their modules (not repeated here): zip-slip members and absolute paths
(test_fetch::test_zip_slip_is_refused, test_readers_hcpcs::test_zip_slip_members_are_refused_
before_reading, test_fetch::test_posted_names_cannot_leave_the_archive), zip bombs and size caps
(test_fetch::test_zip_bomb_ratio_is_refused, test_oversized_zip_is_refused,
test_download_size_cap), links to another host never followed (test_sources::test_link_to_
another_host_is_noted_not_followed, test_off_host_only_link_is_unavailable_and_named), an
explicit --url on another host followed (test_fetch::test_explicit_url_on_another_host_is_
followed), formula text in the practice list kept as text (test_practice::test_formula_
looking_cells_stay_text) and in the Alerts sheet (test_reports::test_formula_looking_text_
arrives_as_a_string).
"""

from __future__ import annotations

import logging
import threading
import urllib.request
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import openpyxl
import pytest

from crosswalk import fetch, pipeline, sources
from crosswalk.errors import SourceUnavailable
from crosswalk.quarters import Quarter
from crosswalk.settings import Settings
from mirror import CmsMirror, standard_posting, standard_zip

Q4 = Quarter(2025, 4)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PASSWORD, TOKEN = "s3cret-Pa55", "tok-9f8e7d6c"
PATIENT = "Jane Roe DOB 1961-02-03 MRN 00123456"


def hostile_list(folder: Path) -> Path:
    """A practice list whose cells try to become formulas (and one that is a real drug)."""
    path = folder / "drugs.csv"
    path.write_text(
        "drug_name,brand_name,ndc,current_code,dose,payer,setting,notes\n"
        'ublituximab-xiiy,"=HYPERLINK(""http://evil.example"",""Briumvi"")",73150-0150-06,'
        "J3590,450 mg,@SUM(A1:A9),office,+cmd|' /C calc'!A0\n"
        '"=1+1",-2+3,,J3590,,,office,=WEBSERVICE("http://evil.example")\n'
        "@rituximab-arrx,Riabni,55513-0224-01,J9999,700 mg,,office,-see chart\n",
        encoding="utf-8")
    return path


def cell_problems(path: Path) -> list[str]:
    """Cells of every sheet that Excel would run: formula-looking text not stored as a quoted
    string, or any formula element at all in the sheet XML."""
    problems = []
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                    if cell.data_type != "s" or not cell.quotePrefix:
                        problems.append(f"{sheet.title}!{cell.coordinate} {cell.value!r}")
    with zipfile.ZipFile(path) as archive:
        problems += [name for name in archive.namelist()
                     if name.startswith("xl/worksheets/") and b"<f>" in archive.read(name)]
    return problems


def test_formula_text_is_inert_in_every_workbook_sheet(mirror_settings, cms_mirror, tmp_path):
    cms_mirror.publish_quarter(Q4, kinds=("asp_pricing", "asp_crosswalk"))
    text, name = standard_posting("hcpcs", Q4)
    cms_mirror.post("hcpcs", f'=HYPERLINK("http://evil.example","{text}")', name,
                    standard_zip("hcpcs", Q4))  # a link text lands in the Summary sheet

    summary = pipeline.run_quarter(mirror_settings, Q4, hostile_list(tmp_path))

    assert len(summary.workbooks) == 2
    with duckdb.connect(str(mirror_settings.db_path), read_only=True) as con:
        posting = con.execute("SELECT link_text FROM source_files WHERE source_kind = 'hcpcs'"
                              ).fetchone()[0]
    assert posting.startswith("=HYPERLINK")
    shown = []
    for path in summary.workbooks:
        assert cell_problems(path) == []
        book = openpyxl.load_workbook(path)
        shown += [cell.value for sheet in book.worksheets for row in sheet.iter_rows()
                  for cell in row if isinstance(cell.value, str)]
    # the hostile text is there, as text, in the sheets that show it
    assert posting in shown and "=1+1" in shown and "@rituximab-arrx" in shown
    assert '=HYPERLINK("http://evil.example","Briumvi")' in shown


def exported_drug_names(path: Path, reader: str) -> set[str]:
    with duckdb.connect() as con:
        return {name for (name,) in con.execute(f"SELECT drug_name FROM {reader}($p)",
                                                {"p": str(path)}).fetchall()}


def test_csv_exports_quote_formula_text_and_parquet_keeps_it_raw(mirror_settings, cms_mirror,
                                                                 tmp_path):
    """A csv is opened in Excel by a double-click, so formula-looking text gets a leading
    apostrophe there; parquet (typed analyst data, no spreadsheet opens it) holds raw values."""
    cms_mirror.publish_quarter(Q4)
    pipeline.run_quarter(mirror_settings, Q4, hostile_list(tmp_path),
                         formats=("xlsx", "csv", "parquet"))
    folder = mirror_settings.reports_dir / "2025Q4"
    in_csv = exported_drug_names(folder / "crosswalk-2025Q4.csv", "read_csv")
    in_parquet = exported_drug_names(folder / "crosswalk-2025Q4.parquet", "read_parquet")
    assert {"'=1+1", "'@rituximab-arrx", "ublituximab-xiiy"} <= in_csv
    assert not any(name.startswith(FORMULA_STARTS) for name in in_csv)
    assert {"=1+1", "@rituximab-arrx", "ublituximab-xiiy"} <= in_parquet


# ---------------------------------------------------------------------------------------------
# Secrets and patient data


@pytest.fixture
def secret_run(cms_mirror, settings, tmp_path, caplog, capsys) -> Iterator[tuple[Settings, str]]:
    """A run against a mirror URL carrying a password, one file given by a URL carrying a
    token, a practice list whose notes hold patient details; everything logged at DEBUG."""
    paths = cms_mirror.publish_quarter(Q4)
    base = cms_mirror.base_url.replace("http://", f"http://analyst:{PASSWORD}@")
    secret = settings.with_overrides(cms_url=base)
    drugs = tmp_path / "drugs.csv"
    drugs.write_text("drug_name,ndc,current_code,notes\n"
                     f"ublituximab-xiiy,73150-0150-06,J3590,{PATIENT}\n"
                     f"rituximab-arrx,5551322401,J9999,{PATIENT}\n", encoding="utf-8")
    overrides = {"asp_pricing": f"{cms_mirror.url(paths['asp_pricing'])}?token={TOKEN}"}
    caplog.set_level(logging.DEBUG)
    summary = pipeline.run_quarter(secret, Q4, drugs, overrides=overrides)
    printed = "\n".join([summary.describe(), summary.markdown(), str(summary.alert_rows()),
                         caplog.text, *capsys.readouterr()])
    yield secret, printed


def test_no_password_or_patient_detail_in_logs_or_printed_output(secret_run):
    _, printed = secret_run
    assert "2025Q4: loaded" in printed and "ublituximab-xiiy" in printed  # it did run
    for secret in (PASSWORD, "MRN 00123456", "Jane Roe"):
        assert secret not in printed


def test_no_password_or_token_in_the_manifest_database_workbooks_or_printed_urls(secret_run):
    settings, printed = secret_run
    recorded = printed + settings.manifest_path.read_text(encoding="utf-8")
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        recorded += str(con.execute("SELECT * FROM source_files").fetchall())
    for path in (settings.reports_dir / "2025Q4").glob("*.xlsx"):
        book = openpyxl.load_workbook(path)
        recorded += str([c.value for s in book.worksheets for r in s.iter_rows() for c in r])
    assert "127.0.0.1" in recorded  # the URLs are recorded, without their secrets
    assert PASSWORD not in recorded and TOKEN not in recorded


def test_an_unreachable_file_is_named_without_the_password(cms_mirror, settings):
    paths = cms_mirror.publish_quarter(Q4)
    cms_mirror.fault(paths["hcpcs"], "500")
    secret = settings.with_overrides(
        cms_url=cms_mirror.base_url.replace("http://", f"http://analyst:{PASSWORD}@"))
    with pytest.raises(SourceUnavailable) as raised:
        fetch.download_quarter(Q4, secret)
    assert "HTTP 500" in str(raised.value) and PASSWORD not in str(raised.value)


def test_an_undecodable_notes_cell_is_named_by_row_and_field_not_by_its_text(tmp_path):
    from crosswalk import practice

    path = tmp_path / "drugs.csv"
    path.write_bytes(b"drug_name,notes\r\nublituximab-xiiy,Jane Roe MRN 0012\x81\r\n")
    problem = practice.read_drug_list(path).problems[0]
    assert (problem.row, problem.field) == (2, "notes")
    assert "Jane Roe" not in str(problem)


# ---------------------------------------------------------------------------------------------
# Downloads only from the configured host


class RedirectingFront:
    """The configured 'CMS' host: relays every request to a mirror, except that one file
    answers with a redirect to another host."""

    def __init__(self, behind: CmsMirror, path: str, elsewhere: str) -> None:
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if self.path == path:
                    self.send_response(302)
                    self.send_header("Location", elsewhere)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with urllib.request.urlopen(behind.url(self.path)) as answer:
                    body = answer.read()
                    self.send_response(answer.status)
                    self.send_header("Content-Type", answer.headers["Content-Type"])
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                relay.hits += 1

        self.hits = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_redirect_to_another_host_is_not_followed(cms_mirror, settings):
    paths = cms_mirror.publish_quarter(Q4)
    with CmsMirror() as elsewhere:
        elsewhere.put(paths["hcpcs"], standard_zip("hcpcs", Q4))
        front = RedirectingFront(cms_mirror, paths["hcpcs"], elsewhere.url(paths["hcpcs"]))
        try:
            configured = settings.with_overrides(cms_url=front.base_url)
            with pytest.raises(SourceUnavailable, match="another origin"):
                fetch.download_quarter(Q4, configured)
            assert elsewhere.downloads() == []
            assert not any(e.source_kind == "hcpcs" for e in fetch.read_manifest(configured))
        finally:
            front.close()


def test_the_redirect_front_relays_the_site(cms_mirror, settings):
    """The fixture above is a faithful front: without the redirect the run is ordinary."""
    paths = cms_mirror.publish_quarter(Q4)
    front = RedirectingFront(cms_mirror, "/nowhere", "http://example.invalid/")
    try:
        results = fetch.download_quarter(Q4, settings.with_overrides(cms_url=front.base_url))
    finally:
        front.close()
    assert {r.kind: r.status for r in results if r.kind in sources.REQUIRED_KINDS} == {
        kind: "new" for kind in sources.REQUIRED_KINDS}
    assert front.hits >= 5 and set(paths) >= set(sources.REQUIRED_KINDS)


class CountingListener:
    """A TCP port on 127.0.0.1 that counts the connections made to it (and answers none):
    proof that a redirect was or was not followed, whatever the scheme."""

    def __init__(self) -> None:
        import socket

        self.connections = 0
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.1)
        self.port = self.socket.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self._count, daemon=True)
        self.thread.start()

    def _count(self) -> None:
        while self.running:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.socket.close()


@pytest.mark.parametrize("target", ["https://127.0.0.1:{port}", "http://127.0.0.1:{port}",
                                    "https://localhost:{port}"],
                         ids=["http-to-https-on-another-port", "another-port",
                              "another-host-name"])
def test_a_redirect_off_the_configured_origin_is_not_followed(cms_mirror, settings, target):
    """http -> https on the same host used to be followed to any port; now scheme, host and
    port must stay (only http -> https on the default https port is allowed)."""
    paths = cms_mirror.publish_quarter(Q4)
    other = CountingListener()
    front = RedirectingFront(cms_mirror, paths["hcpcs"],
                             target.format(port=other.port) + paths["hcpcs"])
    try:
        configured = settings.with_overrides(cms_url=front.base_url)
        with pytest.raises(SourceUnavailable, match="another origin"):
            fetch.download_quarter(Q4, configured)
        assert other.connections == 0
        assert not any(e.source_kind == "hcpcs" for e in fetch.read_manifest(configured))
    finally:
        front.close()
        other.close()


@pytest.mark.parametrize("start, target, followed", [
    ("http://cms.example/a", "http://cms.example/b", True),
    ("http://CMS.example/a", "http://cms.example:80/b", True),
    ("http://cms.example/a", "https://cms.example/b", True),
    ("http://cms.example:8080/a", "https://cms.example:443/b", True),
    ("https://cms.example/a", "https://cms.example:443/b", True),
    ("http://cms.example/a", "https://cms.example:8443/b", False),
    ("https://cms.example/a", "http://cms.example/b", False),
    ("http://cms.example/a", "http://cms.example:8080/b", False),
    ("http://cms.example/a", "http://evil.example/b", False),
    ("http://cms.example/a", "https://cms.example.evil.example/b", False),
    ("http://user:pw@cms.example/a", "https://cms.example/b", True),
])
def test_redirects_keep_scheme_host_and_port(start, target, followed):
    assert fetch.redirect_allowed(start, target) is followed
