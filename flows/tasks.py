"""The pipeline steps as Prefect tasks: each is a crosswalk.pipeline function, wrapped once.

Only `parse_release` is cached across runs: it is a pure function of the archived files'
bytes (keyed on their sha256, see pipeline.parse_cache_key), and its result is persisted
under `<data dir>/prefect/results` so the next run, or a backfill into a fresh database, gets
it back instead of re-reading the zips. Downloading must ask CMS again (re-posts), and match
and report must run again (they are cheap and each run records its own match run), so they
are never cached. Reading which versions are loaded (one query) is not a task at all: a task
costs Prefect bookkeeping and would add nothing there (no retry, no cache, no artifact).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import TaskRun
from prefect.serializers import CompressedSerializer, PickleSerializer, Serializer
from pydantic import Field
from prefect.states import State
from prefect.tasks import exponential_backoff

from crosswalk import claim_checks, pipeline
from crosswalk.errors import SourceUnavailable, Unreachable
from crosswalk.settings import Settings

DOWNLOAD_RETRIES = 2
DOWNLOAD_BACKOFF_SECONDS = 10.0  # 10 s, then 20 s (+-50% jitter), on top of the HTTP retries


class ZlibPickleSerializer(CompressedSerializer):  # type: ignore[type-arg]
    """Pickle, compressed with zlib. Prefect's "compressed/pickle" uses lzma, which took
    longer to store a full-size parsed release than parsing it (benchmarks/run_overhead.py
    measures both). A type of its own, every field defaulted: Prefect records only the type
    of a result's serializer and rebuilds it from that."""

    type: str = Field(default="compressed/pickle-zlib", frozen=True)
    serializer: Serializer = Field(default_factory=PickleSerializer)  # type: ignore[type-arg]
    compressionlib: str = "zlib"


PARSE_SERIALIZER = ZlibPickleSerializer()


def cms_was_unavailable(_task: Task[Any, Any], _run: TaskRun, state: State[Any]) -> bool:
    """Retry only when a CMS source was unavailable (a 503 that outlasted the HTTP retries,
    no link for the quarter yet). Bad input will not fix itself, nor will a CMS this machine
    cannot reach (DNS, a refused connection, a 403 from CMS's web front): those fail at once
    with what to do."""
    error = state.result(raise_on_failure=False)
    return isinstance(error, SourceUnavailable) and not isinstance(error, Unreachable)


def _parse_key(_context: Any, parameters: dict[str, Any]) -> str:
    return pipeline.parse_cache_key(parameters["settings"], parameters["quarter"],
                                    parameters["loaded"])


_retrying = dict(retries=DOWNLOAD_RETRIES, retry_condition_fn=cms_was_unavailable,
                 retry_delay_seconds=exponential_backoff(DOWNLOAD_BACKOFF_SECONDS),
                 retry_jitter_factor=0.5, cache_policy=NO_CACHE)

find_newest_release = task(pipeline.newest_quarter, name="find-newest-release", **_retrying)
download_release = task(pipeline.download, name="download-release", **_retrying)
parse_release = task(pipeline.parse_release, name="parse-release", cache_key_fn=_parse_key,
                     persist_result=True, result_serializer=PARSE_SERIALIZER)
write_release = task(pipeline.write_release, name="write-release", cache_policy=NO_CACHE)
match_drugs = task(pipeline.match_drugs, name="match-practice-drugs", cache_policy=NO_CACHE)
write_workbooks = task(pipeline.write_workbooks, name="write-workbooks", cache_policy=NO_CACHE)
find_new_claim_files = task(claim_checks.new_claim_files, name="find-new-claim-files",
                            cache_policy=NO_CACHE)
check_claim_file = task(claim_checks.check_or_refuse, name="check-claim-file",
                        cache_policy=NO_CACHE)


def check_claims_subflow(settings: Settings, folder: Path) -> claim_checks.ClaimsOutcome:
    """pipeline.Steps.check_claims in a Prefect run: the claims-check flow as a subflow
    (its parameters are plain strings: Settings never goes into a flow's parameters)."""
    from flows.claims_check import claims_check

    return claims_check(folder=str(folder), data_dir=str(settings.data_dir))


def result_storage(settings: Settings) -> Path:
    """Persisted task results live with the data they were computed from."""
    return settings.prefect_home.resolve() / "results"


def task_steps(settings: Settings) -> pipeline.Steps:
    """pipeline.Steps made of these tasks, with results stored under the data directory."""
    return pipeline.Steps(
        newest_quarter=find_newest_release, download=download_release,
        loaded_versions=pipeline.loaded_versions,
        parse_release=parse_release.with_options(result_storage=result_storage(settings)),
        write_release=write_release, match_drugs=match_drugs, write_workbooks=write_workbooks,
        check_claims=check_claims_subflow)


def submit_task(step: Task[Any, Any], *args: Any) -> Any:
    """pipeline.load_releases' `submit`: run the task on the flow's task runner (threads)."""
    return step.submit(*args)
