"""The quarterly update flow: download, load, match and report one CMS release.

The body is crosswalk.pipeline.run_quarter run with task-wrapped steps (flows/tasks.py), so it
is the same code as `crosswalk run --no-prefect`; the flow adds retries, cross-run caching of
parsed files, run history, and two artifacts per release and data directory:

- `crosswalk-<data dir>-<quarter>-summary` (markdown): alerts per verdict, each file loaded
  with its sha256, what the download found, where the workbooks are;
- `crosswalk-<data dir>-<quarter>-alerts` (table): one row per practice drug and its verdict.

The run's work comes first: the verdicts and workbook paths are printed as soon as they exist,
and Prefect's bookkeeping after that (artifacts, the final state) is best effort, so a Prefect
server that dies mid-run costs a warning, not the finished run. URLs reach the flow with their
credentials redacted (Prefect stores parameters in its database); the credentials travel in
the environment (crosswalk.redaction.withhold / reveal).
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.exceptions import PrefectHTTPStatusError

import flows
from crosswalk import pipeline
from crosswalk.errors import CrosswalkError
from crosswalk.fetch import parse_overrides
from crosswalk.quarters import Quarter
from crosswalk.redaction import reveal, withhold
from crosswalk.reports import ALERTS_SHEET
from crosswalk.settings import DEFAULT_WAIT_SECONDS, Settings, load_settings
from flows.tasks import task_steps

flows.redact_prefect_logs()  # Prefect configured its logging when imported above
flows.quiet_expected_failures()

API_ERRORS = (httpx.HTTPError, PrefectHTTPStatusError)
ARTIFACT_CHECK_SECONDS = 2.0
# Runs this process finished, by data directory: what run_with_prefect still reports when the
# Prefect API fails after the work is done.
_finished: dict[str, pipeline.RunSummary] = {}


@flow(name="quarterly-update", persist_result=False)
def quarterly_update(quarter: str | None = None, drugs: str | None = None,
                     cms_url: str | None = None, data_dir: str | None = None,
                     urls: list[str] | None = None, formats: list[str] | None = None,
                     wait_seconds: float = DEFAULT_WAIT_SECONDS,
                     claims: str | None = None, from_dir: str | None = None,
                     force_quarter: bool = False,
                     user_agent: str | None = None) -> pipeline.RunSummary:
    """Bring one release (default: the newest CMS lists) into the warehouse and report on it.

    quarter: e.g. 2025Q4; drugs: practice list (default: the example list); cms_url, data_dir:
    as `crosswalk run` (default: CROSSWALK_* environment, then cms.gov and ./crosswalk-data);
    urls: KIND=URL or KIND=PATH overrides; formats: xlsx, csv, parquet; wait_seconds: how long
    to wait for another run holding the data directory; claims: a folder of claim files to
    check after the release is loaded (each file once, by SHA-256; the claims-check flow as a
    subflow); from_dir: a folder of CMS files downloaded by hand (nothing is fetched);
    force_quarter: load the files given as `quarter` even when they state another release;
    user_agent: the User-Agent sent to CMS (default: CROSSWALK_USER_AGENT, then the tool's
    own). A URL with a redacted credential (`***`) is restored from the environment
    (CROSSWALK_CMS_URL, or what `crosswalk run` withheld).
    """
    settings = load_settings(data_dir=data_dir, cms_url=reveal(cms_url) if cms_url else None,
                             user_agent=user_agent)
    summary = pipeline.run_quarter(
        settings, Quarter.parse(quarter) if quarter else None, Path(drugs) if drugs else None,
        overrides=parse_overrides([reveal(url) for url in urls or ()]),
        folder=Path(from_dir) if from_dir else None, force_quarter=force_quarter,
        formats=formats or pipeline.DEFAULT_FORMATS, wait_seconds=wait_seconds,
        steps=task_steps(settings), claims=Path(claims) if claims else None)
    announce(settings, summary)
    publish_artifacts(settings, summary)
    get_run_logger().info("%s", summary.headline())
    return summary


def run_with_prefect(settings: Settings, quarter: Quarter | None, drugs: Path | None,
                     urls: tuple[str, ...], wait_seconds: float,
                     claims: Path | None = None, folder: Path | None = None,
                     force_quarter: bool = False) -> pipeline.RunSummary:
    """`crosswalk run` as the flow: parameters carry redacted URLs only; the flow prints the
    verdicts itself; a Prefect API that stops answering once the work is done is a warning."""
    key = str(settings.data_dir.resolve())
    _finished.pop(key, None)
    try:
        return quarterly_update(
            quarter=str(quarter) if quarter else None, drugs=str(drugs) if drugs else None,
            cms_url=withhold(settings.cms_url), data_dir=str(settings.data_dir),
            urls=[withhold(url) for url in urls], wait_seconds=wait_seconds,
            claims=str(claims) if claims else None, from_dir=str(folder) if folder else None,
            force_quarter=force_quarter, user_agent=settings.user_agent)
    except API_ERRORS as error:
        summary = _finished.pop(key, None)
        problem = f"{type(error).__name__}: {error}"
        if summary is None:
            raise CrosswalkError(f"the Prefect API stopped answering before the run finished "
                                 f"({problem}): run it again, or with --no-prefect") from error
        warn(f"the Prefect API stopped answering once the work was done ({problem}); the "
             "run's state in Prefect may be wrong, the database and workbooks are complete")
        return summary


def announce(settings: Settings, summary: pipeline.RunSummary) -> None:
    """Print where the workbooks are and each drug's verdict, once, the moment they exist."""
    print(summary.describe(), flush=True)
    _finished[str(settings.data_dir.resolve())] = summary


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


def artifact_key(settings: Settings, quarter: Quarter, what: str) -> str:
    """The release's artifacts: keys name the data directory (flows.artifact_key)."""
    return flows.artifact_key(settings, f"{quarter}-{what}")


def publish_artifacts(settings: Settings, summary: pipeline.RunSummary) -> None:
    """The markdown summary and the alerts table of one run: best effort, after a quick
    check that the API answers (Prefect's own retries would hold the run up for seconds)."""
    url = flows.api_url()
    problem = flows.api_problem(url, ARTIFACT_CHECK_SECONDS) if url else None
    if problem is None:
        try:
            _create_artifacts(settings, summary)
            return
        except API_ERRORS as error:
            problem = f"{type(error).__name__}: {error}"
    warn(f"the run's artifacts were not saved in Prefect ({problem}); the workbooks hold "
         "the same facts")


def _create_artifacts(settings: Settings, summary: pipeline.RunSummary) -> None:
    create_markdown_artifact(
        key=artifact_key(settings, summary.quarter, "summary"), markdown=summary.markdown(),
        description=f"HCPCS crosswalk run for {summary.quarter} in {settings.data_dir}: "
                    "verdicts and source files")
    rows = summary.alert_rows()
    # what the workbook's Alerts sheet shows (declared there once), as far as the run's rows hold it
    shown = [column.key for column in ALERTS_SHEET if rows and column.key in rows[0]]
    create_table_artifact(
        key=artifact_key(settings, summary.quarter, "alerts"),
        table=[{column: row[column] for column in shown} for row in rows] if shown else rows,
        description=f"Practice drugs and their verdicts for {summary.quarter} in "
                    f"{settings.data_dir}")
