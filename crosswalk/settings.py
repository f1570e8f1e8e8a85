"""Settings in one typed place: flags first, then CROSSWALK_* environment, then defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from crosswalk import __version__

DEFAULT_CMS_URL = "https://www.cms.gov"
DEFAULT_DATA_DIR = "crosswalk-data"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = PROJECT_ROOT / "sql"
EXAMPLE_DRUGS = PROJECT_ROOT / "data" / "example-practice-drugs.csv"
# What the downloader calls itself; a proxy or CMS's web front may expect a browser's agent
# (--user-agent, CROSSWALK_USER_AGENT).
DEFAULT_USER_AGENT = f"hcpcs-crosswalk/{__version__} (quarterly CMS HCPCS/ASP file download)"
# How long a command waits for another run to let go of the data directory or the database.
DEFAULT_WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class Settings:
    """Where files live and how we talk to CMS. Paths derive from `data_dir` unless set."""

    data_dir: Path = Path(DEFAULT_DATA_DIR)
    cms_url: str = DEFAULT_CMS_URL
    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 4
    backoff_factor: float = 1.0
    max_download_bytes: int = 200 * 1024 * 1024
    max_listing_bytes: int = 16 * 1024 * 1024  # cms.gov's listing pages are a few hundred KB
    max_unzipped_bytes: int = 1024 * 1024 * 1024
    db_file: Path | None = field(default=None)

    @property
    def raw_dir(self) -> Path:
        """Every version of every CMS file we ever fetched: raw/<source>/<quarter>/<name>."""
        return self.data_dir / "raw"

    @property
    def manifest_path(self) -> Path:
        return self.raw_dir / "manifest.jsonl"

    @property
    def db_path(self) -> Path:
        return self.db_file or self.data_dir / "crosswalk.duckdb"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def prefect_home(self) -> Path:
        """Prefect's own files for runs on this data directory (its temporary API, results)."""
        return self.data_dir / "prefect"

    def with_overrides(self, **values: object) -> "Settings":
        """Apply non-None flag values on top of these settings."""
        given = {k: v for k, v in values.items() if v is not None}
        for key in ("data_dir", "db_file"):
            if key in given:
                given[key] = Path(given[key])  # type: ignore[arg-type]
        return replace(self, **given)  # type: ignore[arg-type]


def load_settings(**flags: object) -> Settings:
    """Defaults, overridden by CROSSWALK_DATA_DIR / CROSSWALK_CMS_URL / CROSSWALK_DB /
    CROSSWALK_USER_AGENT, then flags."""
    env = {
        "data_dir": os.environ.get("CROSSWALK_DATA_DIR"),
        "cms_url": os.environ.get("CROSSWALK_CMS_URL"),
        "db_file": os.environ.get("CROSSWALK_DB"),
        "user_agent": os.environ.get("CROSSWALK_USER_AGENT") or None,
    }
    settings = Settings().with_overrides(**env).with_overrides(**flags)
    return replace(settings, cms_url=settings.cms_url.rstrip("/"))
