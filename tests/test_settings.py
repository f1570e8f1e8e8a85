"""crosswalk.settings: flags over CROSSWALK_* environment over defaults; derived paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from crosswalk.settings import DEFAULT_CMS_URL, DEFAULT_DATA_DIR, Settings, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("CROSSWALK_DATA_DIR", "CROSSWALK_CMS_URL", "CROSSWALK_DB"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_without_flags_or_environment():
    settings = load_settings()
    assert settings.data_dir == Path(DEFAULT_DATA_DIR) and settings.cms_url == DEFAULT_CMS_URL
    assert settings.db_path == Path(DEFAULT_DATA_DIR) / "crosswalk.duckdb"


def test_environment_over_defaults_and_flags_over_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CROSSWALK_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("CROSSWALK_CMS_URL", "http://127.0.0.1:9/")
    from_env = load_settings()
    assert from_env.data_dir == tmp_path / "env"
    assert from_env.cms_url == "http://127.0.0.1:9"  # trailing slash dropped
    flagged = load_settings(data_dir=tmp_path / "flag", cms_url=None)
    assert flagged.data_dir == tmp_path / "flag"  # a flag wins; an absent flag (None) does not
    assert flagged.cms_url == "http://127.0.0.1:9"


def test_the_database_can_live_outside_the_data_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("CROSSWALK_DB", str(tmp_path / "elsewhere" / "w.duckdb"))
    settings = load_settings(data_dir=str(tmp_path / "data"))
    assert settings.db_path == tmp_path / "elsewhere" / "w.duckdb"
    assert isinstance(settings.data_dir, Path)


def test_every_place_derives_from_the_data_directory(tmp_path):
    settings = Settings(data_dir=tmp_path)
    assert settings.raw_dir == tmp_path / "raw"
    assert settings.manifest_path == tmp_path / "raw" / "manifest.jsonl"
    assert settings.reports_dir == tmp_path / "reports"
    assert settings.prefect_home == tmp_path / "prefect"
