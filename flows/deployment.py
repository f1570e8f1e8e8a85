"""The scheduled deployment of the quarterly flow, and `crosswalk serve`.

CMS posts each quarter's HCPCS and ASP files in the weeks before January, April, July and
October 1, and re-posts corrected files during the quarter. So the flow runs on the 2nd of
those months and again on the 15th to catch re-posts (a re-run over unchanged files is cheap:
conditional downloads, cached parses). The next quarter's HCPCS file is posted weeks before
it takes effect (the January file in November or December), so a pre-release check runs on
the 15th of February, May, August and November: a run without a quarter takes the newest
HCPCS release CMS lists, and once the next one is there the billing lead hears about its new
codes, with the date they start, before they start. Cron strings and time zone come from the
arguments, then CROSSWALK_CRON / CROSSWALK_RECHECK_CRON / CROSSWALK_PRERELEASE_CRON /
CROSSWALK_TZ, then the defaults below.

Scheduling needs a Prefect server: against Prefect's temporary local API, serving only warns
and no run ever starts. `serve` therefore checks PREFECT_API_URL first and says how to start
one rather than starting a long-lived server behind the user's back.
"""

from __future__ import annotations

import os
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prefect import serve as prefect_serve
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron
from prefect.types.entrypoint import EntrypointType

import flows
from crosswalk.errors import BadInput, CrosswalkError
from flows.quarterly_update import quarterly_update

DEPLOYMENT_NAME = "quarterly"
DEFAULT_CRON = "0 6 2 1,4,7,10 *"           # 06:00 on Jan 2, Apr 2, Jul 2, Oct 2
DEFAULT_RECHECK_CRON = "0 6 15 1,4,7,10 *"  # 06:00 on the 15th: CMS re-posts
DEFAULT_PRERELEASE_CRON = "0 6 15 2,5,8,11 *"  # 06:00 on Feb, May, Aug, Nov 15: next quarter
DEFAULT_TIMEZONE = "America/New_York"
# A scheduled run that finds the data directory busy (a manual `crosswalk run`, a backfill)
# waits for it to finish instead of failing until the next schedule, weeks later.
SERVED_WAIT_SECONDS = 6 * 3600.0
SERVER_HELP = """\
Scheduling needs a running Prefect server (the temporary local API cannot schedule).
In another terminal:
    prefect server start
then, here:
    export PREFECT_API_URL=http://127.0.0.1:4200/api
    crosswalk serve"""


def schedule_values(cron: str | None = None, recheck_cron: str | None = None,
                    timezone: str | None = None,
                    prerelease_cron: str | None = None) -> tuple[str, str, str, str]:
    """(cron, re-check cron, pre-release cron, time zone): arguments, then CROSSWALK_*
    environment, then defaults."""
    return (cron or os.environ.get("CROSSWALK_CRON") or DEFAULT_CRON,
            recheck_cron or os.environ.get("CROSSWALK_RECHECK_CRON") or DEFAULT_RECHECK_CRON,
            prerelease_cron or os.environ.get("CROSSWALK_PRERELEASE_CRON")
            or DEFAULT_PRERELEASE_CRON,
            timezone or os.environ.get("CROSSWALK_TZ") or DEFAULT_TIMEZONE)


def build_deployment(cron: str | None = None, recheck_cron: str | None = None,
                     timezone: str | None = None,
                     parameters: dict[str, Any] | None = None, *,
                     prerelease_cron: str | None = None) -> RunnerDeployment:
    """The deployment `serve` runs: three cron schedules in one time zone, and flow
    parameters.

    Pure (no server, no clock), so the schedule can be asserted from the object.
    """
    cron, recheck_cron, prerelease_cron, timezone = schedule_values(
        cron, recheck_cron, timezone, prerelease_cron)
    _check_timezone(timezone)
    schedules = [_cron(cron, timezone, "quarterly-release", "--cron"),
                 _cron(recheck_cron, timezone, "mid-quarter-recheck", "--recheck-cron"),
                 _cron(prerelease_cron, timezone, "pre-release-check", "--prerelease-cron")]
    return quarterly_update.to_deployment(
        name=DEPLOYMENT_NAME, schedules=schedules, concurrency_limit=1,
        parameters={"wait_seconds": SERVED_WAIT_SECONDS, **(parameters or {})},
        entrypoint_type=EntrypointType.MODULE_PATH,  # the same from whatever folder we serve
        description="Download, load, match and report the newest CMS HCPCS/ASP release.",
        tags=["hcpcs-crosswalk"])


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise BadInput(f"unknown time zone {name!r}: use an IANA name such as "
                       f"{DEFAULT_TIMEZONE}", field="--timezone") from error


def _cron(expression: str, timezone: str, slug: str, option: str) -> Any:
    try:
        return Cron(expression, timezone=timezone, slug=slug)
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        raise BadInput(f"invalid cron schedule {expression!r}", field=option) from error


def require_server() -> str:
    """The Prefect API URL, after checking a server answers there; instructions if not."""
    if not flows.api_url():
        raise CrosswalkError(f"PREFECT_API_URL is not set.\n{SERVER_HELP}")
    return flows.check_api(f"\n{SERVER_HELP}")  # type: ignore[return-value]


def serve(deployment: RunnerDeployment) -> None:
    """Register the deployment and run its scheduled flow runs here, one at a time (the
    deployment's concurrency limit says so to the server too, as prefect.yaml does)."""
    require_server()
    prefect_serve(deployment, limit=1)
