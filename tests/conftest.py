"""Shared fixtures: a fresh data directory and database per test, the raw archive as the
downloader leaves it, and the real CMS samples."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from crosswalk import manifest, pipeline, warehouse
from crosswalk.manifest import ManifestEntry
from crosswalk.quarters import Quarter
from crosswalk.settings import Settings

pytest_plugins = ["mirror"]  # tests/mirror.py: the CMS-shaped site (fixture cms_mirror)

REPO_ROOT = Path(__file__).resolve().parent.parent
CMS_SAMPLES = REPO_ROOT.parent / "shared" / "data" / "cms-samples"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose data directory (raw archive, database, reports) is private to the test."""
    return Settings(data_dir=tmp_path / "data", retries=2, backoff_factor=0.0,
                    connect_timeout=2.0, read_timeout=5.0)


@pytest.fixture
def fresh_db(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """The test's own warehouse, created with every table and view and open read-write for
    the test (closed after it)."""
    with warehouse.open_writer(settings) as con:
        yield con


def rows(settings: Settings, sql: str, params: list[Any] | None = None) -> list[tuple]:
    """A query's rows from a test's warehouse, the connection closed again (so the code under
    test can open it)."""
    with warehouse.open_writer(settings) as con:
        return con.execute(sql, params or []).fetchall()


def archive(settings: Settings, kind: str, quarter: str, name: str, content: bytes,
            url: str | None = None) -> ManifestEntry:
    """Place a file version in the raw archive and append its manifest line, as fetch does
    (a second version under the same name is kept beside the first, suffixed by its hash)."""
    sha256 = hashlib.sha256(content).hexdigest()
    folder = settings.raw_dir / kind / quarter
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if target.exists():
        target = folder / f"{Path(name).stem}.{sha256[:12]}{Path(name).suffix}"
    target.write_bytes(content)
    entry = ManifestEntry(
        sha256=sha256, source_kind=kind, quarter=quarter, file_name=name, url=url,
        link_text=None, http_date=None, last_modified=None, etag=None, bytes=len(content),
        fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        archive_path=str(target.resolve()), picked_reason="test archive")
    settings.raw_dir.mkdir(parents=True, exist_ok=True)
    manifest.append(settings, entry)
    return entry


# For a child process that must die (or pause) at a chosen point of a load, inside its open
# transaction: prepended to its script, it runs `on_step(step)` after each sql/load file, step
# being '<file>:<table or source kind>' ('insert_release_rows:hcpcs_codes',
# 'record_release_file:asp_pricing'). The script defines on_step before loading.
SQL_STEP_HOOK = textwrap.dedent("""
    from crosswalk import sqlfiles as _sqlfiles
    _run_file = _sqlfiles.run_file
    def _run_file_then_step(con, folder, name, params=None, *, table=None):
        result = _run_file(con, folder, name, params, table=table)
        if folder == "load":
            on_step(f"{name}:{table or (params or {}).get('source_kind', '')}")
        return result
    _sqlfiles.run_file = _run_file_then_step
""")


def free_port() -> int:
    """A port of 127.0.0.1 nothing listens on any more: a connection there is refused."""
    import socket

    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


@pytest.fixture
def connection_attempts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every TCP connection the downloader tries, (host, port), in order: urllib3's own
    create_connection, counted and then called as it is."""
    import urllib3.util.connection as connection

    attempts: list[tuple[str, int]] = []
    real = connection.create_connection

    def counted(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        attempts.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(connection, "create_connection", counted)
    return attempts


@pytest.fixture
def cms_samples() -> Path:
    """The real CMS files in ../shared/data/cms-samples; the test is skipped when absent."""
    if not CMS_SAMPLES.is_dir():
        pytest.skip(f"real CMS samples not present at {CMS_SAMPLES}")
    return CMS_SAMPLES


# The real files the acceptance tests load: quarter -> {kind: (folder under cms-samples, name)}
REAL_FILES = {
    "2025Q4": {
        "hcpcs": ("hcpcs", "HCPC2025_OCT_ANWEB.xlsx"),
        "asp_pricing": ("asp/pricing", "section 508 version of Oct 2025 ASP Pricing File 091725.csv"),
        "asp_crosswalk": ("asp/crosswalk",
                          "section 508 version of October 2025 ASP NDC-HCPCS Crosswalk 090525.csv"),
    },
    "2025Q1": {
        "asp_crosswalk": ("asp/crosswalk",
                          "section 508 version of January 2025 ASP NDC-HCPCS Crosswalk 122024.csv"),
    },
}


def archive_and_load(settings: Settings, zips: dict[str, dict[str, bytes]]) -> None:
    """Put zips in the raw archive with manifest lines (as fetch does) and load them."""
    for quarter, by_kind in zips.items():
        for kind, content in by_kind.items():
            slug = Quarter.parse(quarter).slug
            archive(settings, kind, quarter, f"{slug}-{kind.replace('_', '-')}.zip", content)
        pipeline.load_release(settings, Quarter.parse(quarter))


@pytest.fixture(scope="session")
def real_2025q4(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The real Oct 2025 ANWEB workbook, Oct 2025 ASP files and the Jan 2025 crosswalk, each
    zipped under its CMS name and loaded by the warehouse (readers included). Loaded once per
    session: every module that matches against the real release shares it (runs only add)."""
    import cms_builders as cms

    if not CMS_SAMPLES.is_dir():
        pytest.skip(f"real CMS samples not present at {CMS_SAMPLES}")
    settings = Settings(data_dir=tmp_path_factory.mktemp("real") / "data")
    member_names = {"HCPC2025_OCT_ANWEB.xlsx": "HCPC2025_OCT_ANWEB_v3.xlsx"}
    archive_and_load(settings, {
        quarter: {kind: cms.build_zip({member_names.get(name, name):
                                       (CMS_SAMPLES / folder / name).read_bytes()})
                  for kind, (folder, name) in kinds.items()}
        for quarter, kinds in REAL_FILES.items()})
    return settings


@pytest.fixture
def hold_run_lock() -> Iterator[Callable[[Path], subprocess.Popen]]:
    """Start another process holding a data directory's run lock until its stdin closes:
    `holder = hold_run_lock(data_dir)`, then `holder.communicate("")` lets go (done at the
    end of the test otherwise)."""
    holders: list[subprocess.Popen] = []

    def hold(data_dir: Path) -> subprocess.Popen:
        script = textwrap.dedent(f"""
            import sys
            from pathlib import Path
            from crosswalk.pipeline import run_lock
            from crosswalk.settings import Settings
            with run_lock(Settings(data_dir=Path({str(data_dir)!r})), 0):
                print("held", flush=True)
                sys.stdin.read()
        """)
        holder = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        holders.append(holder)
        assert holder.stdout.readline().strip() == "held"
        return holder

    yield hold
    for holder in holders:
        if holder.poll() is None:
            holder.communicate("")
