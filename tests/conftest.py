"""Shared fixtures: a fresh data directory and database per test, and the real CMS samples."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crosswalk import warehouse
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
    from test_warehouse import archive

    for quarter, by_kind in zips.items():
        for kind, content in by_kind.items():
            slug = Quarter.parse(quarter).slug
            archive(settings, kind, quarter, f"{slug}-{kind.replace('_', '-')}.zip", content)
        warehouse.load_quarter(settings, quarter)


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
