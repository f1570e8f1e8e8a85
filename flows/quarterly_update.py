"""The quarterly update flow: download, load, match and report one CMS release.

The body is crosswalk.pipeline.run_quarter run with task-wrapped steps (flows/tasks.py), so it
is the same code as `crosswalk run --no-prefect`; the flow adds retries, cross-run caching of
parsed files, run history, and two artifacts per release:

- `crosswalk-<quarter>-summary` (markdown): alerts per verdict, each file loaded with its
  sha256, what the download found, where the workbooks are;
- `crosswalk-<quarter>-alerts` (table): one row per practice drug and its verdict.
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from crosswalk import pipeline
from crosswalk.fetch import parse_overrides
from crosswalk.settings import load_settings
from flows.tasks import task_steps

# The alert columns a billing lead scans in the Prefect UI (the workbook has them all).
ALERT_COLUMNS = ("drug_name", "brand_name", "ndc11", "current_code", "verdict", "new_code",
                 "effective_date", "dos_rule", "action", "confidence")


@flow(name="quarterly-update", persist_result=False)
def quarterly_update(quarter: str | None = None, drugs: str | None = None,
                     cms_url: str | None = None, data_dir: str | None = None,
                     urls: list[str] | None = None, formats: list[str] | None = None,
                     wait_seconds: float = pipeline.DEFAULT_WAIT_SECONDS,
                     claims: str | None = None) -> pipeline.RunSummary:
    """Bring one release (default: the newest CMS lists) into the warehouse and report on it.

    quarter: e.g. 2025Q4; drugs: practice list (default: the example list); cms_url, data_dir:
    as `crosswalk run` (default: CROSSWALK_* environment, then cms.gov and ./crosswalk-data);
    urls: KIND=URL overrides; formats: xlsx, csv, parquet; wait_seconds: how long to wait for
    another run holding the data directory; claims: a folder of claim files to check after the
    release is loaded (each file once, by SHA-256; the claims-check flow as a subflow).
    """
    settings = load_settings(data_dir=data_dir, cms_url=cms_url)
    summary = pipeline.run_quarter(
        settings, quarter, drugs, overrides=parse_overrides(urls or ()),
        formats=formats or pipeline.DEFAULT_FORMATS, wait_seconds=wait_seconds,
        steps=task_steps(settings), claims=claims)
    publish_artifacts(summary)
    get_run_logger().info("%s", summary.describe())
    return summary


def artifact_key(summary: pipeline.RunSummary, what: str) -> str:
    """Prefect artifact keys allow lowercase letters, digits and dashes only."""
    return f"crosswalk-{str(summary.quarter).lower()}-{what}"


def publish_artifacts(summary: pipeline.RunSummary) -> None:
    """The markdown summary and the alerts table of one run."""
    create_markdown_artifact(
        key=artifact_key(summary, "summary"), markdown=summary.markdown(),
        description=f"HCPCS crosswalk run for {summary.quarter}: verdicts and source files")
    rows = summary.alert_rows()
    shown = [column for column in ALERT_COLUMNS if rows and column in rows[0]]
    create_table_artifact(
        key=artifact_key(summary, "alerts"),
        table=[{column: row[column] for column in shown} for row in rows] if shown else rows,
        description=f"Practice drugs and their verdicts for {summary.quarter}")
