"""The claims-check flow: check the claim files of a folder (each file once, by SHA-256) or
the files given, against the CMS releases in the warehouse.

The body is crosswalk.claim_checks.check_folder / check_files with task-wrapped steps (find
the files not checked yet; check one file), the same code as `crosswalk claims check` and
`crosswalk run --claims DIR --no-prefect`. The quarterly flow runs it as a subflow after the
release is loaded (flows/tasks.py). One artifact per run: a markdown table of counts per file
(file names, lines, findings per severity, the workbook): no claim or patient detail.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

import flows
from crosswalk import claim_checks, pipeline
from crosswalk.settings import Settings, load_settings
from flows.tasks import check_claim_file, find_new_claim_files



def artifact_key(settings: Settings) -> str:
    """The claim check's artifact, one per data directory (flows.artifact_key)."""
    return flows.artifact_key(settings, "claims-check")


@flow(name="claims-check", persist_result=False)
def claims_check(folder: str | None = None, files: list[str] | None = None,
                 data_dir: str | None = None,
                 wait_seconds: float = pipeline.DEFAULT_WAIT_SECONDS
                 ) -> claim_checks.ClaimsOutcome:
    """Check the new claim files of `folder`, or exactly `files` (837P, CSV or XLSX).

    data_dir: as `crosswalk claims check` (default: CROSSWALK_DATA_DIR, then
    ./crosswalk-data); wait_seconds: how long to wait for another run holding the database.
    """
    settings = load_settings(data_dir=data_dir)
    check = check_claim_file.with_options(name="check-claim-file")
    if folder is not None:
        outcome = claim_checks.check_folder(settings, Path(folder), find=find_new_claim_files,
                                            check=lambda s, path: check(s, path, wait_seconds))
    else:
        outcome = claim_checks.check_files(settings, files or [],
                                           check=lambda s, path: check(s, path, wait_seconds))
    create_markdown_artifact(key=artifact_key(settings), markdown=outcome.markdown(),
                             description="Claim files checked: findings per severity")
    get_run_logger().info("%s", outcome.describe())
    return outcome
