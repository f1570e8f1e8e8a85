"""Shared fixtures: a fresh data directory and database per test, and the real CMS samples."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

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
