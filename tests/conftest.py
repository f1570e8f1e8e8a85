"""Shared fixtures: a fresh data directory and database per test, and the real CMS samples."""

from __future__ import annotations

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
