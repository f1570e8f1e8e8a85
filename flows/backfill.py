"""The backfill flow: load a range of archived releases (default: the whole raw archive).

Parsing runs on the flow's thread pool, two releases at a time; writing runs one release at a
time in quarter order, because DuckDB has one writer. It is crosswalk.pipeline.load_archive with
task-wrapped steps, the same code as `crosswalk backfill --no-prefect` and `load --all`.
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.task_runners import ThreadPoolTaskRunner

import flows
from crosswalk import pipeline
from crosswalk.quarters import Quarter
from crosswalk.settings import DEFAULT_WAIT_SECONDS, load_settings
from flows.tasks import submit_task, task_steps

flows.redact_prefect_logs()  # Prefect configured its logging when imported above
flows.quiet_expected_failures()


@flow(name="backfill", persist_result=False,
      task_runner=ThreadPoolTaskRunner(max_workers=pipeline.BACKFILL_WORKERS))
def backfill(first: str | None = None, last: str | None = None, data_dir: str | None = None,
             wait_seconds: float = DEFAULT_WAIT_SECONDS) -> pipeline.Loads:
    """Load every archived release from `first` to `last` (e.g. 2024Q1 to 2025Q4)."""
    settings = load_settings(data_dir=data_dir)
    summary = pipeline.load_archive(
        settings, Quarter.parse(first) if first else None, Quarter.parse(last) if last else None,
        wait_seconds=wait_seconds, steps=task_steps(settings), submit=submit_task)
    get_run_logger().info("%s", summary.describe())
    return summary
