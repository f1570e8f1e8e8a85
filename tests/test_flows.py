"""flows/: the Prefect flows, the schedule, prefect.yaml and the project's Prefect settings.

Only the tests marked `prefect` start Prefect's API (about 10-20 s each on 2 cores): one
module-scoped run of both flows under `prefect_test_harness`, and the README's main command
in a real process. Everything else asserts on objects, without a server or a clock.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import duckdb
import openpyxl
import pandas as pd
import pytest
import yaml

from crosswalk import pipeline
from crosswalk.errors import BadInput, SourceUnavailable, Unreachable
from crosswalk.quarters import Quarter
from crosswalk.settings import EXAMPLE_DRUGS, Settings
from flows import deployment
from flows.quarterly_update import artifact_key, quarterly_update
from conftest import free_port
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
    for name in ("CROSSWALK_CRON", "CROSSWALK_RECHECK_CRON", "CROSSWALK_PRERELEASE_CRON",
                 "CROSSWALK_TZ"):
        monkeypatch.delenv(name, raising=False)
    built = deployment.build_deployment(parameters={"data_dir": "/srv/crosswalk"})
    assert schedules_of(built) == [
        ("quarterly-release", "0 6 2 1,4,7,10 *", "America/New_York"),
        ("mid-quarter-recheck", "0 6 15 1,4,7,10 *", "America/New_York"),
        ("pre-release-check", "0 6 15 2,5,8,11 *", "America/New_York")]
    assert all(s.active for s in built.schedules)
    assert built.name == "quarterly"
    assert built.entrypoint == "flows.quarterly_update.quarterly_update"  # any folder
    assert built.parameters == {"data_dir": "/srv/crosswalk",
                                "wait_seconds": deployment.SERVED_WAIT_SECONDS}


def test_the_schedule_follows_the_environment_and_options_beat_it(monkeypatch):
    monkeypatch.setenv("CROSSWALK_CRON", "30 7 3 1,4,7,10 *")
    monkeypatch.setenv("CROSSWALK_RECHECK_CRON", "30 7 20 1,4,7,10 *")
    monkeypatch.setenv("CROSSWALK_PRERELEASE_CRON", "30 7 20 2,5,8,11 *")
    monkeypatch.setenv("CROSSWALK_TZ", "America/Chicago")
    assert schedules_of(deployment.build_deployment()) == [
        ("quarterly-release", "30 7 3 1,4,7,10 *", "America/Chicago"),
        ("mid-quarter-recheck", "30 7 20 1,4,7,10 *", "America/Chicago"),
        ("pre-release-check", "30 7 20 2,5,8,11 *", "America/Chicago")]
    built = deployment.build_deployment(cron="0 5 1 1,4,7,10 *", timezone="UTC",
                                        prerelease_cron="0 5 1 12 *")
    assert schedules_of(built) == [
        ("quarterly-release", "0 5 1 1,4,7,10 *", "UTC"),
        ("mid-quarter-recheck", "30 7 20 1,4,7,10 *", "UTC"),
        ("pre-release-check", "0 5 1 12 *", "UTC")]


def test_the_pre_release_check_runs_weeks_before_each_quarter_starts(monkeypatch):
    """CMS posts the next quarter's HCPCS file weeks before it takes effect: the pre-release
    check falls in the second month of each quarter, between the re-check and the next
    release, so the early warning comes before the codes start."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from cronsim import CronSim  # Prefect's own cron arithmetic

    monkeypatch.delenv("CROSSWALK_PRERELEASE_CRON", raising=False)
    built = deployment.build_deployment(timezone="America/New_York")
    slugs = {s.slug: s.schedule.cron for s in built.schedules}
    start = datetime(2025, 12, 31, tzinfo=ZoneInfo("America/New_York"))
    runs = CronSim(slugs["pre-release-check"], start)
    dates = [next(runs) for _ in range(4)]
    assert [(d.month, d.day, d.hour) for d in dates] == [(2, 15, 6), (5, 15, 6), (8, 15, 6),
                                                         (11, 15, 6)]
    for day in dates:  # each falls 6 to 7 weeks before the next quarter's first day
        starts = Quarter.containing(day.date()).next().first_day
        assert 40 <= (starts - day.date()).days <= 50


@pytest.mark.parametrize(("options", "field"), [
    ({"cron": "0 6 32 1,4,7,10 *"}, "--cron"),
    ({"recheck_cron": "every quarter"}, "--recheck-cron"),
    ({"prerelease_cron": "0 6 15 13 *"}, "--prerelease-cron"),
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
        ("mid-quarter-recheck", deployment.DEFAULT_RECHECK_CRON, deployment.DEFAULT_TIMEZONE),
        ("pre-release-check", deployment.DEFAULT_PRERELEASE_CRON, deployment.DEFAULT_TIMEZONE)]
    assert schedules_of(built) == [(s["slug"], s["cron"], s["timezone"])
                                   for s in entry["schedules"]]
    assert entry["work_pool"]["name"] and entry["concurrency_limit"] == 1
    assert set(entry["parameters"]) <= set(inspect.signature(quarterly_update.fn).parameters)
    assert entry["parameters"]["wait_seconds"] == built.parameters["wait_seconds"]


def test_serve_runs_one_at_a_time_and_a_busy_directory_is_waited_for_not_failed():
    """prefect.yaml limits the deployment to one run at a time; `serve` used to register it
    without a limit. A served run that met a busy data directory failed after 30 s and waited
    for the next schedule (weeks); it now waits for the busy run to end."""
    built = deployment.build_deployment(parameters={"data_dir": "/srv/crosswalk"})
    limit = built.concurrency_limit
    assert (limit if isinstance(limit, int) else limit.limit) == 1
    assert built.parameters["wait_seconds"] >= 3600 > pipeline.DEFAULT_WAIT_SECONDS


def test_serve_without_a_prefect_server_says_how_to_start_one(tmp_path):
    result = subprocess.run([str(CROSSWALK), "serve", "--data-dir", str(tmp_path / "data")],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            env=clean_environment(tmp_path))
    assert result.returncode == 1
    assert "PREFECT_API_URL is not set" in result.stderr
    assert "prefect server start" in result.stderr
    assert "export PREFECT_API_URL=http://127.0.0.1:4200/api" in result.stderr


def test_artifact_keys_name_the_data_directory_so_two_directories_keep_their_own(tmp_path):
    """Keys used to name only the quarter: two data directories on one Prefect server
    overwrote each other's latest artifact."""
    import re

    one = Settings(data_dir=tmp_path / "clinic-a" / "data")
    other = Settings(data_dir=tmp_path / "clinic-b" / "data")
    keys = {artifact_key(s, Q4, what) for s in (one, other) for what in ("summary", "alerts")}
    assert len(keys) == 4
    assert all(re.fullmatch(r"[a-z0-9-]+", key) and "-data-" in key and key.startswith(
        "crosswalk-") and "-2025q4-" in key for key in keys)
    assert artifact_key(one, Q4, "summary") == artifact_key(
        Settings(data_dir=tmp_path / "clinic-a" / "." / "data"), Q4, "summary")


# ---------------------------------------------------------------------------------------------
# Prefect settings on a fresh machine, from any folder


SHOW_SETTINGS = textwrap.dedent("""
    import sys
    from pathlib import Path
    import flows
    from crosswalk.settings import Settings
    flows.configure_prefect(Settings(data_dir=Path(sys.argv[1])))
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
    from flows.claims_check import artifact_key as claims_artifact_key, claims_check
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
            keys = [artifact_key(settings, Q4, what) for what in ("summary", "alerts")] + [
                claims_artifact_key(settings)]
            found = client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=keys)))
            runs.artifacts = {artifact.key: artifact for artifact in found}
            runs.claim_artifacts = [artifact.data for artifact in found
                                    if artifact.key == claims_artifact_key(settings)]
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
    key = functools.partial(artifact_key, harness.settings, Q4)
    markdown = harness.artifacts[key("summary")]
    assert markdown.type == "markdown"
    for verdict, count in summary.verdict_counts().items():
        assert f"| {verdict} | {count} |" in markdown.data
    for entry in summary.files:
        assert entry.file_name in markdown.data and entry.sha256 in markdown.data

    table = harness.artifacts[key("alerts")]
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
    assert [(str(load.quarter), load.status) for load in summary.loaded] == [
        ("2025Q3", "loaded"), ("2025Q4", "unchanged")]
    assert summary.missing == ()


# ---------------------------------------------------------------------------------------------
# The README's main command, in a real process, with Prefect: credentials in both URLs

PASSWORD, TOKEN = "p@ss w0rd:x", "tok-9f8e7d6c"  # an @ and a space: the hard cases


class FreshMachineRun:
    """`crosswalk run` with Prefect on a machine never set up for it, given a CMS URL with a
    password and an explicit file URL with a token."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.data_dir = folder, folder / "data"
        with CmsMirror() as mirror:
            paths = mirror.publish_quarter(Q4)
            cms_url = mirror.base_url.replace("http://", f"http://analyst:{PASSWORD}@")
            pricing = f"asp_pricing={mirror.url(paths['asp_pricing'])}?token={TOKEN}"
            self.result = subprocess.run(
                [str(CROSSWALK), "run", "--cms-url", cms_url, "--url", pricing,
                 "--data-dir", "data"], capture_output=True, text=True, timeout=300,
                cwd=folder, env=clean_environment(folder))
            self.requests = list(mirror.requests_log)

    def secrets(self) -> list[bytes]:
        """The credentials in every form they could be written: as typed, percent-encoded as
        requests sends them, and inside the Basic authorisation header."""
        from base64 import b64encode
        from urllib.parse import quote

        forms = {PASSWORD, quote(PASSWORD), quote(PASSWORD, safe=""), TOKEN,
                 b64encode(f"analyst:{PASSWORD}".encode()).decode()}
        return [form.encode() for form in forms]


@pytest.fixture(scope="module")
def fresh_machine(tmp_path_factory: pytest.TempPathFactory) -> FreshMachineRun:
    return FreshMachineRun(tmp_path_factory.mktemp("fresh"))


@pytest.mark.prefect
def test_crosswalk_run_with_prefect_on_a_fresh_machine(fresh_machine):
    result, data_dir = fresh_machine.result, fresh_machine.data_dir
    assert result.returncode == 0, result.stderr[-3000:]
    reports = data_dir / "reports" / "2025Q4"
    for name in ("noc-alerts-2025Q4.xlsx", "crosswalk-2025Q4.xlsx"):
        assert f"wrote data/reports/2025Q4/{name}" in result.stdout
        assert (reports / name).is_file()
    assert (data_dir / "prefect" / "prefect.db").is_file()  # Prefect home: data dir
    assert not (fresh_machine.folder / ".prefect").exists()
    assert "Flow run" in result.stderr and "quarterly-update" in result.stderr
    assert EXAMPLE_DRUGS.name in result.stdout
    assert any(hit.headers.get("Authorization") for hit in fresh_machine.requests)  # it was used


@pytest.mark.prefect
def test_no_credential_reaches_prefects_database_results_logs_or_artifacts(fresh_machine):
    """Prefect stores a flow's parameters in its database: they used to hold the CMS URL's
    password and the file URL's token. Every file Prefect wrote is read back, raw."""
    prefect_home = fresh_machine.data_dir / "prefect"
    written = {path: path.read_bytes() for path in prefect_home.rglob("*") if path.is_file()}
    assert prefect_home / "prefect.db" in written and len(written) > 1  # results too
    for path, content in written.items():
        for secret in fresh_machine.secrets():
            assert secret not in content, f"{secret!r} in {path}"
    printed = (fresh_machine.result.stdout + fresh_machine.result.stderr).encode()
    assert not [secret for secret in fresh_machine.secrets() if secret in printed]
    with sqlite3.connect(prefect_home / "prefect.db") as con:
        (parameters,), = con.execute("SELECT parameters FROM flow_run").fetchall()
        artifacts = con.execute("SELECT count(*) FROM artifact").fetchone()[0]
    shown = json.loads(parameters)
    assert shown["cms_url"].startswith("http://***@127.0.0.1:")  # redacted, not dropped
    assert shown["urls"] == [f"asp_pricing=http://127.0.0.1:{shown['cms_url'].rsplit(':', 1)[1]}"
                             f"/files/zip/october-2025-asp-pricing-file.zip?token=***"]
    assert artifacts == 2


@pytest.mark.prefect
def test_the_verdict_table_is_printed_once(fresh_machine):
    """The flow logged the table and the CLI printed it again: two copies on the terminal."""
    result = fresh_machine.result
    assert result.returncode == 0
    both = result.stdout + result.stderr
    assert both.count("ustekinumab-auub") == 1 and both.count("wrote data/reports") == 2
    assert "ustekinumab-auub" in result.stdout


def prefect_handlers() -> list[Any]:
    """Prefect's log handlers: the terminal's (root) and the API's (flow and task runs)."""
    import logging

    return [handler for name in ("", "prefect.flow_runs", "prefect.task_runs")
            for handler in logging.getLogger(name).handlers
            if type(handler).__module__.startswith("prefect.")]  # not pytest's own


def failure_record(error: BaseException) -> Any:
    """The record Prefect's flow engine logs for a failed run, with `error`'s traceback."""
    import logging

    logger = logging.getLogger("prefect.flow_runs")
    try:
        raise error
    except BaseException:
        exc_info = sys.exc_info()
    return logger.makeRecord(logger.name, logging.ERROR, __file__, 1,
                             "Encountered exception during execution", (), exc_info,
                             extra={"flow_run_name": "quarterly-run", "flow_run_id": None,
                                    "task_run_name": None, "task_run_id": None})


def test_a_failed_downloads_traceback_reaches_prefects_logs_redacted():
    """Prefect logs a failed run's traceback to the terminal and, through its API handler, to
    its database; the chained library error quotes the URL with its token (seen in a real
    failed `crosswalk run`: 8 times on the terminal, once in prefect.db). Each of Prefect's
    handlers now redacts, and formats the traceback itself: what each would write is checked
    here (a real failed run retries for over a minute). An unexpected error is shown on the
    terminal too (expected ones are not: next test)."""
    import requests

    try:
        raise requests.ConnectionError(f"Max retries exceeded with url: /x.zip?token={TOKEN}"
                                       f" (from http://analyst:{PASSWORD}@127.0.0.1:9/x.zip)")
    except requests.ConnectionError as cause:
        error = RuntimeError(f"cannot fetch http://127.0.0.1:9/x.zip?token={TOKEN}")
        error.__cause__ = cause
    handlers = prefect_handlers()
    assert len(handlers) == 3
    for handler in handlers:  # as Prefect's flow engine logs it, through each handler
        record = failure_record(error)
        assert handler.filter(record)
        shown = handler.format(record)
        assert "Encountered exception during execution" in shown
        assert "Max retries exceeded with url: /x.zip?token=***" in shown  # the chained cause
        assert TOKEN not in shown and PASSWORD not in shown


@pytest.mark.parametrize("error", [
    Unreachable("cannot reach https://www.cms.gov (DNS lookup failed)"),
    SourceUnavailable("no HCPCS alpha-numeric file [hcpcs] link for 2026Q1"),
    BadInput("not a readable zip", file="hcpcs.zip")], ids=lambda error: type(error).__name__)
def test_an_expected_failure_keeps_its_traceback_in_prefects_logs_not_on_the_terminal(error):
    """A run that could not reach CMS printed two ~30-line Prefect tracebacks and then the
    error. Expected failures (the CLI prints their one line, with what to do) now leave the
    terminal alone; Prefect's API handlers, which see each record first, keep the detail."""
    from prefect.logging.handlers import APILogHandler, PrefectConsoleHandler

    handlers = prefect_handlers()
    terminal = [h for h in handlers if isinstance(h, PrefectConsoleHandler)]
    api = [h for h in handlers if isinstance(h, APILogHandler)]
    assert len(terminal) == 1 and len(api) == 2
    assert not terminal[0].filter(failure_record(error))
    for handler in api:
        record = failure_record(error)
        assert handler.filter(record)
        assert "Traceback" in handler.format(record) and type(error).__name__ in (
            handler.format(record))


# ---------------------------------------------------------------------------------------------
# A Prefect server named by PREFECT_API_URL that does not answer: one line, in seconds


class SilentServer:
    """A port that accepts connections (the kernel's backlog) and never answers."""

    def __init__(self) -> None:
        import socket

        self.socket = socket.create_server(("127.0.0.1", 0), backlog=16)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/api"

    def close(self) -> None:
        self.socket.close()


def closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}/api"  # nothing listens there any more


@pytest.mark.parametrize(("command", "server"), [
    ("run", "down"), ("run", "never-answers"), ("backfill", "down"), ("serve", "never-answers")])
def test_an_unreachable_prefect_server_fails_in_one_line_offering_no_prefect(tmp_path, server,
                                                                             command):
    """Down: exit 1 after 4.7 s and a 125-line traceback; accepting connections but never
    answering: 424 s of silence. The subprocess timeout (60 s, imports included) bounds both."""
    silent = SilentServer() if server == "never-answers" else None
    url = silent.url if silent else closed_port_url()
    args = {"run": ["run", "--cms-url", "http://127.0.0.1:9"], "backfill": ["backfill"],
            "serve": ["serve"]}[command]
    try:
        result = subprocess.run([str(CROSSWALK), *args, "--data-dir", str(tmp_path / "data")],
                                capture_output=True, text=True, timeout=60, cwd=tmp_path,
                                env=clean_environment(tmp_path) | {"PREFECT_API_URL": url})
    finally:
        if silent:
            silent.close()
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[0].startswith(f"error: the Prefect server at {url} does not answer (")
    assert "Traceback" not in result.stderr
    if command == "serve":
        assert "prefect server start" in result.stderr
    else:
        assert len(lines) == 1 and "--no-prefect" in lines[0]


# ---------------------------------------------------------------------------------------------
# Retries


@pytest.mark.parametrize(("error", "retried"), [
    (SourceUnavailable("CMS listing page answered 503"), True),
    (Unreachable("cannot reach https://www.cms.gov (connection refused)"), False),
    (Unreachable("https://www.cms.gov/x answered HTTP 403 Forbidden"), False),
    (BadInput("cannot read 'Q5' as a quarter", field="quarter"), False),
    (ValueError("a bug"), False),
])
def test_only_a_cms_source_unavailable_for_a_while_is_retried(error, retried):
    """A 503 or a quarter not listed yet may change in the minutes the retries wait; a host
    this machine cannot reach (DNS, refused, CMS's web front saying 403) will not: one
    attempt, then the message with what to do (it took 12 attempts over 93 s)."""
    from prefect.states import Failed

    from flows.tasks import cms_was_unavailable, download_release

    assert cms_was_unavailable(download_release, None, Failed(data=error)) is retried
    assert download_release.retries == 2 and len(download_release.retry_delay_seconds) == 2


# ---------------------------------------------------------------------------------------------
# A real Prefect server (`prefect server start`, once for the module: 15-30 s): served runs,
# two data directories on one server, and the server killed mid-run (that one stops it: last)


class PrefectServer:
    """`prefect server start` on a free port with its own home, in its own process group."""

    def __init__(self, home: Path) -> None:
        port = int(closed_port_url().rsplit(":", 1)[1].split("/")[0])
        self.url = f"http://127.0.0.1:{port}/api"
        env = clean_environment(home) | {"PREFECT_HOME": str(home / "prefect-server"),
                                         "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        self.process = subprocess.Popen(
            [str(CROSSWALK.with_name("prefect")), "server", "start", "--host", "127.0.0.1",
             "--port", str(port)], env=env, cwd=home, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_until(self.answers, 180, "the Prefect server")
        except BaseException:
            self.stop()  # never leave a server behind
            raise

    def answers(self) -> bool:
        import requests

        try:
            return requests.get(self.url + "/health", timeout=1).ok
        except requests.RequestException:
            return False

    def api(self, method: str, path: str, **body: Any) -> Any:
        import requests

        answer = requests.request(method, self.url + path, json=body if method == "POST" else None,
                                  timeout=10)
        answer.raise_for_status()
        return answer.json()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)


def wait_until(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    server = PrefectServer(tmp_path_factory.mktemp("server"))
    try:
        yield server
    finally:
        server.stop()


def server_environment(folder: Path, server: PrefectServer) -> dict[str, str]:
    return clean_environment(folder) | {"PREFECT_API_URL": server.url,
                                        "PREFECT_RUNNER_POLL_FREQUENCY": "1"}


@pytest.mark.prefect
def test_a_served_run_that_finds_the_directory_busy_runs_when_it_is_free(prefect_server,
                                                                         tmp_path,
                                                                         hold_run_lock):
    """`serve` registers the deployment with a concurrency limit of 1 (as prefect.yaml does),
    and its runs wait for a busy data directory instead of failing after 30 s."""
    data_dir = tmp_path / "data"
    with CmsMirror() as mirror:
        mirror.publish_quarter(Q4)
        holder = hold_run_lock(data_dir)
        served = subprocess.Popen(
            [str(CROSSWALK), "serve", "--cms-url", mirror.base_url, "--data-dir", str(data_dir)],
            env=server_environment(tmp_path, prefect_server), cwd=tmp_path,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            found: dict[str, Any] = {}
            wait_until(lambda: found.update(served_deployment(prefect_server)) or found, 120,
                       "the served deployment")
            run = prefect_server.api("POST", f"/deployments/{found['id']}/create_flow_run")
            state = lambda: prefect_server.api("GET", f"/flow_runs/{run['id']}")["state"]["type"]
            wait_until(lambda: state() == "RUNNING", 120, "the served run to start")
            time.sleep(2)  # it is waiting for the lock now
            assert state() == "RUNNING" and mirror.requests_log == []
            holder.communicate("")  # the busy run ends
            wait_until(lambda: state() in ("COMPLETED", "FAILED", "CRASHED"), 120,
                       "the served run to finish")
            assert state() == "COMPLETED"
        finally:
            os.killpg(served.pid, signal.SIGTERM)
            output = served.communicate(timeout=60)[0]
    assert found["global_concurrency_limit"]["limit"] == 1
    assert found["parameters"]["wait_seconds"] == deployment.SERVED_WAIT_SECONDS
    assert (data_dir / "reports" / "2025Q4" / "noc-alerts-2025Q4.xlsx").is_file()
    assert output.count("ustekinumab-auub") == 1  # the verdict table, once


def served_deployment(server: PrefectServer) -> dict[str, Any]:
    import requests

    try:
        return server.api("GET", "/deployments/name/quarterly-update/quarterly")
    except requests.HTTPError:
        return {}


@pytest.mark.prefect
def test_two_data_directories_on_one_server_keep_their_own_artifacts(prefect_server, tmp_path):
    with CmsMirror() as mirror:
        mirror.publish_quarter(Q4)
        for name in ("clinic-a", "clinic-b"):
            done = subprocess.run(
                [str(CROSSWALK), "run", "--cms-url", mirror.base_url, "--data-dir",
                 str(tmp_path / name / "data")], capture_output=True, text=True, timeout=300,
                cwd=tmp_path, env=server_environment(tmp_path, prefect_server))
            assert done.returncode == 0, done.stderr[-2000:]
    keys = {artifact["key"] for artifact in prefect_server.api("POST", "/artifacts/filter")}
    for name in ("clinic-a", "clinic-b"):
        settings = Settings(data_dir=tmp_path / name / "data")
        assert {artifact_key(settings, Q4, "summary"), artifact_key(settings, Q4, "alerts")
                } <= keys


@pytest.mark.prefect
def test_a_prefect_server_killed_mid_run_costs_a_warning_not_the_finished_run(prefect_server,
                                                                              tmp_path):
    """The server killed during the downloads: the work used to complete, then artifact
    writes and the state update retried for ~150 s and the run exited 1 with a traceback and
    no verdicts. Now the verdicts come first, the bookkeeping is a warning, exit 0 (the
    subprocess timeout of 120 s bounds the whole run)."""
    data_dir = tmp_path / "data"
    with CmsMirror() as mirror:
        paths = mirror.publish_quarter(Q4)
        mirror.fault(paths["asp_crosswalk"], "slow", delay=3)  # time to kill the server
        killer = threading.Thread(target=lambda: (
            wait_until(lambda: paths["hcpcs"] in [hit.path for hit in mirror.requests_log],
                       120, "the first download"), prefect_server.stop()))
        killer.start()
        result = subprocess.run(
            [str(CROSSWALK), "run", "--cms-url", mirror.base_url, "--data-dir", str(data_dir)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120,
            cwd=tmp_path, env=server_environment(tmp_path, prefect_server))
        killer.join(10)
    assert prefect_server.process.poll() is not None  # it really was killed mid-run
    assert result.returncode == 0, result.stdout[-3000:]
    printed = result.stdout
    table, warning = printed.index("ustekinumab-auub"), printed.index(
        "warning: the Prefect API stopped answering once the work was done")
    assert table < warning and printed.count("ustekinumab-auub") == 1
    for name in ("noc-alerts-2025Q4.xlsx", "crosswalk-2025Q4.xlsx"):
        assert f"wrote {data_dir / 'reports' / '2025Q4' / name}" in printed
        assert (data_dir / "reports" / "2025Q4" / name).is_file()
    assert "warning: the run's artifacts were not saved in Prefect" in printed
    with duckdb.connect(str(data_dir / "crosswalk.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM practice_alerts").fetchone()[0] == len(
            pd.read_csv(EXAMPLE_DRUGS))  # every drug of the example list, matched once


# ---------------------------------------------------------------------------------------------
# CMS out of reach, or a file of another release: one line, with or without Prefect


def test_crosswalk_run_without_network_fails_in_seconds_before_prefect_starts(tmp_path):
    """It took 93 s of retries and two ~30-line Prefect tracebacks. Now the CMS host is
    asked once before Prefect's temporary API starts (10-20 s), and the answer is one line
    with what to do. The subprocess timeout bounds the time loosely; what is asserted is
    that Prefect's API never started."""
    data_dir = tmp_path / "data"
    result = subprocess.run(
        [str(CROSSWALK), "run", "--cms-url", f"http://127.0.0.1:{free_port()}", "--data-dir",
         str(data_dir)], capture_output=True, text=True, timeout=60, cwd=tmp_path,
        env=clean_environment(tmp_path))
    assert result.returncode == 3
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("error: cannot reach http://127.0.0.1:")
    assert "(connection refused). Behind a proxy: set HTTPS_PROXY" in lines[0]
    assert "--from DIR or --url KIND=PATH" in lines[0]
    assert not (data_dir / "prefect" / "prefect.db").exists()  # Prefect's API never started


def test_a_file_of_another_release_is_refused_before_prefect_starts(tmp_path):
    """Files given by hand are recognised, and checked against --quarter, before Prefect's
    temporary API starts (10-20 s) and before CMS is asked anything: one line, exit 2."""
    from test_local_files import hand_downloaded

    hand_downloaded(tmp_path / "cms")
    data_dir = tmp_path / "data"
    result = subprocess.run(
        [str(CROSSWALK), "run", "--quarter", "2026Q1", "--from", str(tmp_path / "cms"),
         "--data-dir", str(data_dir), "--cms-url", f"http://127.0.0.1:{free_port()}"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env=clean_environment(tmp_path))
    assert result.returncode == 2, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr + result.stdout
    assert "this is the 2025Q4 release" in lines[0] and "not 2026Q1" in lines[0]
    assert "--force-quarter loads it as 2026Q1" in lines[0]
    assert not (data_dir / "prefect" / "prefect.db").exists()  # Prefect's API never started


@pytest.mark.prefect
def test_a_refused_file_inside_the_flow_is_one_line_on_the_terminal(tmp_path):
    """A failure only the flow can meet (CMS serves a broken zip): Prefect logs it with its
    traceback to its own database, the terminal gets the one line that says what failed."""
    data_dir = tmp_path / "data"
    with CmsMirror() as mirror:
        paths = mirror.publish_quarter(Q4)
        mirror.fault(paths["hcpcs"], "corrupt")
        result = subprocess.run(
            [str(CROSSWALK), "run", "--quarter", "2025Q4", "--data-dir", str(data_dir),
             "--cms-url", mirror.base_url], capture_output=True, text=True, timeout=300,
            cwd=tmp_path, env=clean_environment(tmp_path))
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "not a readable zip" in errors[0]
    with sqlite3.connect(data_dir / "prefect" / "prefect.db") as con:
        logged = "\n".join(message for (message,) in con.execute("SELECT message FROM log"))
    assert "Traceback" in logged and "not a readable zip" in logged


@pytest.mark.prefect
def test_the_early_warning_with_prefect_on_the_terminal_and_in_the_summary_artifact(tmp_path):
    """The pre-release check is a Prefect run without a quarter: it takes the next quarter's
    HCPCS file, says on the terminal when the release takes effect and that the ASP files
    are not posted yet, and the run's summary artifact carries the same early warning."""
    from test_pipeline import publish_next_quarter

    data_dir = tmp_path / "data"
    with CmsMirror() as mirror:
        upcoming, drugs = publish_next_quarter(mirror, tmp_path)
        result = subprocess.run(
            [str(CROSSWALK), "run", "--drugs", str(drugs), "--data-dir", str(data_dir),
             "--cms-url", mirror.base_url], capture_output=True, text=True, timeout=300,
            cwd=tmp_path, env=clean_environment(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    warning = (f"Early warning: the {upcoming} release takes effect on {upcoming.first_day}: "
               "bill the new code for dates of service from then")
    assert result.stdout.count(warning) == 1
    assert "asp_pricing   not posted" in result.stdout
    assert "Traceback" not in result.stderr
    with sqlite3.connect(data_dir / "prefect" / "prefect.db") as con:
        (summary,), = con.execute("SELECT data FROM artifact WHERE key = ?", [
            artifact_key(Settings(data_dir=data_dir), upcoming, "summary")]).fetchall()
    assert warning in summary and "not posted" in summary
