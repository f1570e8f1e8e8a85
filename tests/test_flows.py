"""flows/: the Prefect flows, the schedule, prefect.yaml and the project's Prefect settings.

Only the tests marked `prefect` start Prefect's API (about 10-20 s each on 2 cores): one
module-scoped run of both flows under `prefect_test_harness`, and the README's main command
in a real process. Everything else asserts on objects, without a server or a clock.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Iterator

import duckdb
import openpyxl
import pytest
import yaml

from crosswalk import pipeline
from crosswalk.errors import BadInput, SourceUnavailable
from crosswalk.quarters import Quarter
from crosswalk.settings import EXAMPLE_DRUGS, Settings
from flows import deployment
from flows.quarterly_update import quarterly_update
from mirror import CmsMirror

REPO_ROOT = Path(__file__).resolve().parent.parent
CROSSWALK = Path(sys.executable).with_name("crosswalk")
Q3, Q4 = Quarter(2025, 3), Quarter(2025, 4)


def clean_environment(home: Path) -> dict[str, str]:
    """The environment of a user who never set Prefect up (no API URL, no home, no profile)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PREFECT_", "CROSSWALK_"))}
    env["HOME"] = str(home)
    return env


# ---------------------------------------------------------------------------------------------
# The schedule, from the deployment object


def schedules_of(built: Any) -> list[tuple[str, str, str]]:
    return [(s.slug, s.schedule.cron, s.schedule.timezone) for s in built.schedules]


def test_the_deployment_runs_early_in_each_release_month_and_rechecks_mid_month(monkeypatch):
    for name in ("CROSSWALK_CRON", "CROSSWALK_RECHECK_CRON", "CROSSWALK_TZ"):
        monkeypatch.delenv(name, raising=False)
    built = deployment.build_deployment(parameters={"data_dir": "/srv/crosswalk"})
    assert schedules_of(built) == [
        ("quarterly-release", "0 6 2 1,4,7,10 *", "America/New_York"),
        ("mid-quarter-recheck", "0 6 15 1,4,7,10 *", "America/New_York")]
    assert all(s.active for s in built.schedules)
    assert built.name == "quarterly"
    assert built.entrypoint == "flows.quarterly_update.quarterly_update"  # any folder
    assert built.parameters == {"data_dir": "/srv/crosswalk"}


def test_the_schedule_follows_the_environment_and_options_beat_it(monkeypatch):
    monkeypatch.setenv("CROSSWALK_CRON", "30 7 3 1,4,7,10 *")
    monkeypatch.setenv("CROSSWALK_RECHECK_CRON", "30 7 20 1,4,7,10 *")
    monkeypatch.setenv("CROSSWALK_TZ", "America/Chicago")
    assert schedules_of(deployment.build_deployment()) == [
        ("quarterly-release", "30 7 3 1,4,7,10 *", "America/Chicago"),
        ("mid-quarter-recheck", "30 7 20 1,4,7,10 *", "America/Chicago")]
    built = deployment.build_deployment(cron="0 5 1 1,4,7,10 *", timezone="UTC")
    assert schedules_of(built) == [
        ("quarterly-release", "0 5 1 1,4,7,10 *", "UTC"),
        ("mid-quarter-recheck", "30 7 20 1,4,7,10 *", "UTC")]


@pytest.mark.parametrize(("options", "field"), [
    ({"cron": "0 6 32 1,4,7,10 *"}, "--cron"),
    ({"recheck_cron": "every quarter"}, "--recheck-cron"),
    ({"timezone": "Eastern Standard Time"}, "--timezone"),
])
def test_a_bad_schedule_is_refused_naming_the_option(options, field):
    with pytest.raises(BadInput) as refused:
        deployment.build_deployment(**options)
    assert refused.value.field == field


def test_prefect_yaml_describes_the_same_deployment():
    spec = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text())
    (entry,) = spec["deployments"]
    built = deployment.build_deployment(cron=None, recheck_cron=None, timezone=None)
    path, function = entry["entrypoint"].split(":")
    assert f"{path.removesuffix('.py').replace('/', '.')}.{function}" == built.entrypoint
    assert entry["name"] == built.name
    assert [(s["slug"], s["cron"], s["timezone"]) for s in entry["schedules"]] == [
        ("quarterly-release", deployment.DEFAULT_CRON, deployment.DEFAULT_TIMEZONE),
        ("mid-quarter-recheck", deployment.DEFAULT_RECHECK_CRON, deployment.DEFAULT_TIMEZONE)]
    assert entry["work_pool"]["name"] and entry["concurrency_limit"] == 1
    assert set(entry["parameters"]) <= set(inspect.signature(quarterly_update.fn).parameters)


def test_serve_without_a_prefect_server_says_how_to_start_one(tmp_path):
    result = subprocess.run([str(CROSSWALK), "serve", "--data-dir", str(tmp_path / "data")],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            env=clean_environment(tmp_path))
    assert result.returncode == 1
    assert "PREFECT_API_URL is not set" in result.stderr
    assert "prefect server start" in result.stderr
    assert "export PREFECT_API_URL=http://127.0.0.1:4200/api" in result.stderr


# ---------------------------------------------------------------------------------------------
# Prefect settings on a fresh machine, from any folder


SHOW_SETTINGS = textwrap.dedent("""
    import sys
    from pathlib import Path
    import flows
    flows.configure_prefect(Path(sys.argv[1]))
    from prefect.settings import get_current_settings
    s = get_current_settings()
    print(s.server.ephemeral.startup_timeout_seconds, s.server.analytics_enabled, s.home)
""")


def test_the_cli_settings_reach_prefect_from_any_folder(tmp_path):
    data_dir = tmp_path / "data"
    shown = subprocess.run([sys.executable, "-c", SHOW_SETTINGS, str(data_dir)], cwd=tmp_path,
                           env=clean_environment(tmp_path), capture_output=True, text=True,
                           timeout=60, check=True).stdout.split()
    assert shown == ["120", "False", str((data_dir / "prefect").resolve())]


def test_a_users_own_prefect_home_and_values_are_kept(tmp_path):
    env = clean_environment(tmp_path) | {
        "PREFECT_HOME": str(tmp_path / "mine"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300"}
    shown = subprocess.run([sys.executable, "-c", SHOW_SETTINGS, str(tmp_path / "data")],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
                           check=True).stdout.split()
    assert shown == ["300", "False", str(tmp_path / "mine")]


def test_pyproject_carries_the_same_prefect_settings_for_prefect_commands(tmp_path):
    shown = subprocess.run(
        [sys.executable, "-c", "from prefect.settings import get_current_settings as g; "
         "s = g(); print(s.server.ephemeral.startup_timeout_seconds, s.server.analytics_enabled)"],
        cwd=REPO_ROOT, env=clean_environment(tmp_path), capture_output=True, text=True,
        timeout=60, check=True).stdout.split()
    assert shown == ["120", "False"]


# ---------------------------------------------------------------------------------------------
# The flows under prefect_test_harness (one module-scoped session: the harness costs 20-30 s)


class HarnessRuns:
    """What the module's flow runs produced, for the tests below to inspect."""

    def __init__(self, settings: Settings, mirror: CmsMirror) -> None:
        self.settings, self.mirror = settings, mirror
        self.first: pipeline.RunSummary | None = None
        self.artifacts: dict[str, Any] = {}
        self.rebuilt_task_states: dict[str, str] = {}
        self.backfill: pipeline.BackfillSummary | None = None
        self.claims_folder: Path | None = None
        self.claims_again: Any = None      # the claims-check flow over the same folder
        self.logs: list[str] = []          # every log line the API holds
        self.claim_artifacts: list[str] = []


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HarnessRuns]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (ArtifactFilter, ArtifactFilterKey,
                                                FlowRunFilter, FlowRunFilterId)
    from prefect.testing.utilities import prefect_test_harness

    from flows.backfill import backfill
    from flows.claims_check import ARTIFACT_KEY, claims_check
    from test_pipeline import claims_folder

    data_dir = tmp_path_factory.mktemp("harness") / "data"
    folder = claims_folder(tmp_path_factory.mktemp("claims"))
    with CmsMirror() as mirror, prefect_test_harness(server_startup_timeout=180):
        settings = Settings().with_overrides(data_dir=data_dir, cms_url=mirror.base_url)
        mirror.publish_quarter(Q3)
        mirror.publish_quarter(Q4)
        runs = HarnessRuns(settings, mirror)
        runs.claims_folder = folder
        runs.first = quarterly_update(cms_url=mirror.base_url, data_dir=str(data_dir),
                                      claims=str(folder))
        runs.claims_again = claims_check(folder=str(folder), data_dir=str(data_dir))
        with get_client(sync_client=True) as client:
            keys = [f"crosswalk-2025q4-{what}" for what in ("summary", "alerts")] + [ARTIFACT_KEY]
            found = client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=keys)))
            runs.artifacts = {artifact.key: artifact for artifact in found}
            runs.claim_artifacts = [artifact.data for artifact in found
                                    if artifact.key == ARTIFACT_KEY]
            runs.logs = [log.message for log in client.read_logs()]

            settings.db_path.unlink()  # lose the database: rebuild it from the archive
            state = quarterly_update(quarter="2025Q4", cms_url=mirror.base_url,
                                     data_dir=str(data_dir), return_state=True)
            task_runs = client.read_task_runs(flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=[state.state_details.flow_run_id])))
            runs.rebuilt_task_states = {run.name.rsplit("-", 1)[0]: run.state.name
                                        for run in task_runs}
        pipeline.download(settings, Q3)
        runs.backfill = backfill(data_dir=str(data_dir))
        yield runs


@pytest.mark.prefect
def test_the_flow_loads_matches_and_writes_the_workbooks(harness):
    summary = harness.first
    assert summary.quarter == Q4 and summary.load.status == "loaded"
    with duckdb.connect(str(harness.settings.db_path), read_only=True) as con:
        loaded = dict(con.execute("SELECT source_kind, sha256 FROM release_files "
                                  "WHERE quarter = '2025Q4'").fetchall())
        alerts = con.execute("SELECT count(*) FROM practice_alerts WHERE run_id = ?",
                             [summary.outcome.run_id]).fetchone()[0]
    assert loaded == {entry.source_kind: entry.sha256 for entry in summary.files}
    assert alerts == len(summary.outcome.alerts) > 0
    books = {path.name: workbook_cells(path) for path in summary.workbooks}
    assert sorted(books) == ["crosswalk-2025Q4.xlsx", "noc-alerts-2025Q4.xlsx"]
    alerts = summary.outcome.alerts
    assert set(alerts["drug_name"]) <= books["crosswalk-2025Q4.xlsx"]  # every drug
    past_due = set(alerts.loc[alerts["verdict"] == "PAST_DUE", "drug_name"])
    assert past_due and past_due <= books["noc-alerts-2025Q4.xlsx"]  # the ones to act on


def workbook_cells(path: Path) -> set[str]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {str(cell).strip() for sheet in book.worksheets
                for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None}
    finally:
        book.close()


@pytest.mark.prefect
def test_the_flow_publishes_a_summary_and_an_alerts_table(harness):
    summary = harness.first
    markdown = harness.artifacts["crosswalk-2025q4-summary"]
    assert markdown.type == "markdown"
    for verdict, count in summary.verdict_counts().items():
        assert f"| {verdict} | {count} |" in markdown.data
    for entry in summary.files:
        assert entry.file_name in markdown.data and entry.sha256 in markdown.data

    table = harness.artifacts["crosswalk-2025q4-alerts"]
    assert table.type == "table"
    rows = json.loads(table.data)
    assert len(rows) == len(summary.outcome.alerts)
    expected = summary.outcome.alerts.sort_values("drug_name")
    assert [row["drug_name"] for row in sorted(rows, key=lambda r: r["drug_name"])] == \
        list(expected["drug_name"])
    assert [row["verdict"] for row in sorted(rows, key=lambda r: r["drug_name"])] == \
        list(expected["verdict"])


@pytest.mark.prefect
def test_the_quarterly_run_checks_the_claims_folder_once_per_file(harness):
    checked = harness.first.claims
    assert sorted(done.path.name for done in checked.checked) == ["week-42.csv", "week-42.dat"]
    assert [error.file for error in checked.refused] == ["broken.csv"]
    assert all(done.findings["NOC_AFTER_EFFECTIVE"] == {"error": 1} for done in checked.checked)
    again = harness.claims_again  # the claims-check flow on its own, same folder
    assert again.checked == [] and len(again.skipped) == 2
    assert len(harness.claim_artifacts) == 2
    assert any("| week-42.dat | 2 | 1 | 0 | 0 |" in data for data in harness.claim_artifacts)


@pytest.mark.prefect
def test_no_patient_detail_reaches_prefect_artifacts_or_logs(harness):
    import claim_builders as cb

    published = " ".join([*harness.logs, *(str(a.data) for a in harness.artifacts.values()),
                          *harness.claim_artifacts])
    assert "week-42.dat" in published  # the claims were there to leak
    assert cb.Patient().last in (harness.claims_folder / "week-42.dat").read_text()
    assert not [detail for detail in cb.Patient().details() if detail in published]


@pytest.mark.prefect
def test_rebuilding_a_lost_database_reuses_the_cached_parse(harness):
    states = harness.rebuilt_task_states
    assert states["parse-release"] == "Cached"
    assert states["write-release"] == "Completed"
    assert states["download-release"] == "Completed"  # CMS is always asked again
    with duckdb.connect(str(harness.settings.db_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM hcpcs_codes WHERE quarter = '2025Q4'"
                           ).fetchone()[0] > 0
    assert any((harness.settings.data_dir / "prefect" / "results").iterdir())


@pytest.mark.prefect
def test_the_backfill_flow_loads_the_archive_in_quarter_order(harness):
    summary = harness.backfill
    assert [(str(load.quarter), load.status) for load in summary.loads] == [
        ("2025Q3", "loaded"), ("2025Q4", "unchanged")]
    assert summary.missing == ()


# ---------------------------------------------------------------------------------------------
# The README's main command, in a real process, with Prefect


@pytest.mark.prefect
def test_crosswalk_run_with_prefect_on_a_fresh_machine(tmp_path):
    with CmsMirror() as mirror:
        mirror.publish_quarter(Q4)
        result = subprocess.run(
            [str(CROSSWALK), "run", "--cms-url", mirror.base_url, "--data-dir", "data"],
            capture_output=True, text=True, timeout=300, cwd=tmp_path,
            env=clean_environment(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    reports = tmp_path / "data" / "reports" / "2025Q4"
    for name in ("noc-alerts-2025Q4.xlsx", "crosswalk-2025Q4.xlsx"):
        assert f"wrote {(reports / name)}" in result.stdout or f"wrote data/reports/2025Q4/{name}" \
            in result.stdout
        assert (reports / name).is_file()
    assert (tmp_path / "data" / "prefect" / "prefect.db").is_file()  # Prefect home: data dir
    assert not (tmp_path / ".prefect").exists()
    assert "Flow run" in result.stderr and "quarterly-update" in result.stderr
    assert EXAMPLE_DRUGS.name in result.stdout


# ---------------------------------------------------------------------------------------------
# Retries


@pytest.mark.parametrize(("error", "retried"), [
    (SourceUnavailable("CMS listing page answered 503"), True),
    (BadInput("cannot read 'Q5' as a quarter", field="quarter"), False),
    (ValueError("a bug"), False),
])
def test_only_an_unreachable_cms_is_retried(error, retried):
    from prefect.states import Failed

    from flows.tasks import cms_was_unavailable, download_release

    assert cms_was_unavailable(download_release, None, Failed(data=error)) is retried
    assert download_release.retries == 2 and len(download_release.retry_delay_seconds) == 2
