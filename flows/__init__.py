"""Prefect flows over crosswalk.pipeline: the quarterly update, the backfill, the schedule.

Prefect reads its settings once, when `prefect` is first imported, and reads pyproject.toml
only from the current directory. `configure_prefect` therefore sets the project's Prefect
defaults in the environment, and must run before anything imports prefect (the CLI calls it
first). This module itself never imports prefect.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# What a 2-core machine with no Prefect server and no internet needs. The same values sit in
# pyproject.toml ([tool.prefect...]) for `prefect` commands run from the project folder.
PREFECT_DEFAULTS = {
    # The temporary local API needs 9-12 s here, longer the first time (it creates its
    # database); Prefect's default of 20 s was seen to fail.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    # No anonymous usage reports from the temporary server: no network beyond loopback.
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
}


def prefect_home(data_dir: Path) -> Path:
    """Where Prefect keeps its database and profiles when the user has not set up Prefect."""
    return Path(data_dir).resolve() / "prefect"


def user_configured_prefect() -> bool:
    """True when the user chose a Prefect home or profile: theirs wins over ours."""
    return bool(os.environ.get("PREFECT_HOME") or os.environ.get("PREFECT_PROFILES_PATH")
                or (Path.home() / ".prefect" / "profiles.toml").is_file())


def prefect_environment(data_dir: Path) -> dict[str, str]:
    """The environment defaults for running the flows against `data_dir`."""
    values = dict(PREFECT_DEFAULTS)
    if not user_configured_prefect():
        values["PREFECT_HOME"] = str(prefect_home(data_dir))
    return values


def configure_prefect(data_dir: Path) -> dict[str, str]:
    """Apply the defaults the user has not set; returns the ones applied.

    Setting PREFECT_HOME under the data directory keeps a fresh machine's Prefect database
    (flow-run history) beside the warehouse it describes, instead of in ~/.prefect.
    """
    if "prefect" in sys.modules:
        raise RuntimeError("configure_prefect must run before prefect is imported")
    applied = {key: value for key, value in prefect_environment(data_dir).items()
               if key not in os.environ}
    if "PREFECT_HOME" in applied:
        Path(applied["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    os.environ.update(applied)
    return applied
