"""Prefect flows over crosswalk.pipeline: the quarterly update, the backfill, the schedule.

Prefect reads its settings once, when `prefect` is first imported, and reads pyproject.toml
only from the current directory. `configure_prefect` therefore sets the project's Prefect
defaults in the environment, and must run before anything imports prefect (the CLI calls it
first). This module itself never imports prefect.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from crosswalk.errors import CrosswalkError

if TYPE_CHECKING:
    import logging

    from crosswalk.settings import Settings

# What a 2-core machine with no Prefect server and no internet needs. The same values sit in
# pyproject.toml ([tool.prefect...]) for `prefect` commands run from the project folder.
PREFECT_DEFAULTS = {
    # The temporary local API needs 9-12 s here, longer the first time (it creates its
    # database); Prefect's default of 20 s was seen to fail.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    # No anonymous usage reports from the temporary server: no network beyond loopback.
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    # Prefect's client retries an API call 5 times with doubling waits (about 75 s) before
    # giving up; a server that died mid-run then held a finished run for 163 s. Two retries
    # (about 6 s) ride out a busy server without hanging a run whose work is done.
    "PREFECT_CLIENT_MAX_RETRIES": "2",
}
API_CHECK_SECONDS = 5.0  # a Prefect server answers /health in milliseconds
NO_SERVER_HELP = ("start it (`prefect server start`), unset PREFECT_API_URL to run on a "
                  "temporary local API, or run with --no-prefect")


def user_configured_prefect() -> bool:
    """True when the user chose a Prefect home or profile: theirs wins over ours."""
    return bool(os.environ.get("PREFECT_HOME") or os.environ.get("PREFECT_PROFILES_PATH")
                or (Path.home() / ".prefect" / "profiles.toml").is_file())


def prefect_environment(settings: "Settings") -> dict[str, str]:
    """The environment defaults for running the flows against the settings' data directory:
    Prefect's database and profiles go to `settings.prefect_home` unless the user set up
    Prefect."""
    values = dict(PREFECT_DEFAULTS)
    if not user_configured_prefect():
        values["PREFECT_HOME"] = str(settings.prefect_home.resolve())
    return values


def configure_prefect(settings: "Settings") -> dict[str, str]:
    """Apply the defaults the user has not set; returns the ones applied.

    Setting PREFECT_HOME under the data directory keeps a fresh machine's Prefect database
    (flow-run history) beside the warehouse it describes, instead of in ~/.prefect.
    """
    if "prefect" in sys.modules:
        raise RuntimeError("configure_prefect must run before prefect is imported")
    applied = {key: value for key, value in prefect_environment(settings).items()
               if key not in os.environ}
    if "PREFECT_HOME" in applied:
        Path(applied["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    os.environ.update(applied)
    return applied


def api_url() -> str | None:
    """The Prefect server the flows will talk to (PREFECT_API_URL or the user's profile);
    None when Prefect will start its temporary local API instead."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


def api_problem(url: str, timeout: float = API_CHECK_SECONDS) -> str | None:
    """Why the Prefect API at `url` does not answer its health check within `timeout`
    seconds (refused, timed out, an error status), or None when it does."""
    import requests

    try:
        response = requests.get(url.rstrip("/") + "/health", timeout=(timeout, timeout))
    except requests.ConnectionError as error:
        return f"no answer: {type(error).__name__}"
    except requests.Timeout:
        return f"connected, but no answer within {timeout:g} s"
    except requests.RequestException as error:
        return f"{type(error).__name__}: {error}"
    return None if response.ok else f"HTTP {response.status_code}"


def check_api(help_text: str = NO_SERVER_HELP, timeout: float = API_CHECK_SECONDS) -> str | None:
    """Fail in seconds, in one line, when PREFECT_API_URL names a server that does not
    answer, rather than after Prefect's own retries (minutes, and a traceback). Returns the
    API URL (None: the temporary local API)."""
    url = api_url()
    if url is None:
        return None
    problem = api_problem(url, timeout)
    if problem is not None:
        raise CrosswalkError(f"the Prefect server at {url} does not answer ({problem}): "
                             f"{help_text}")
    return url


def redact_prefect_logs() -> None:
    """Put crosswalk.redaction's filter on Prefect's log handlers (the terminal and the API,
    which stores run logs in Prefect's database): a failed download's traceback quotes the
    library's own message, URL and token included."""
    import logging

    from crosswalk.redaction import RedactingFilter

    for name in ("", "prefect", "prefect.flow_runs", "prefect.task_runs"):
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())


class QuietExpectedFailures:
    """A filter for Prefect's terminal handler: a failed task or flow logs its traceback
    there, and for an expected failure (a CrosswalkError: bad input, a CMS source unavailable
    or unreachable, a busy data directory) the command prints the one line that says what to
    do. Prefect's API log handlers sit on the flow and task run loggers and see each record
    first, so Prefect's own logs keep the traceback."""

    def filter(self, record: "logging.LogRecord") -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, CrosswalkError)


def quiet_expected_failures() -> None:
    """Put QuietExpectedFailures on Prefect's terminal handler (configured when Prefect was
    imported)."""
    import logging

    from prefect.logging.handlers import PrefectConsoleHandler

    for handler in logging.getLogger().handlers:
        if isinstance(handler, PrefectConsoleHandler) and not any(
                isinstance(f, QuietExpectedFailures) for f in handler.filters):
            handler.addFilter(QuietExpectedFailures())


def artifact_key(settings: "Settings", what: str) -> str:
    """Prefect artifact keys allow lowercase letters, digits and dashes. They name the data
    directory (folder name and a hash of its full path) as well as what they hold, so two
    data directories reporting to one Prefect server keep their own latest artifacts."""
    folder = settings.data_dir.resolve()
    name = re.sub(r"[^a-z0-9]+", "-", folder.name.lower()).strip("-")[:24] or "data"
    identity = hashlib.sha256(str(folder).encode()).hexdigest()[:8]
    return f"crosswalk-{name}-{identity}-{re.sub(r'[^a-z0-9]+', '-', what.lower())}"
