"""Run benchmark: what Prefect adds to `crosswalk run`, cold and warm, beside --no-prefect.

Serves a standard release on the local CMS mirror (tests/mirror.py) and times the README's
main command as a user runs it (the console script in a fresh process, fresh data directory,
no Prefect set-up, no PREFECT_API_URL):

- plain, first run      `crosswalk run --no-prefect`: download, parse, load, match, report
- plain, re-run         same files: 304s, nothing parsed or written
- prefect, first run    `crosswalk run`: temporary local API started, its database created
- prefect, re-run       temporary API started again (database exists), cached parse
- prefect, lost db      database deleted: rebuilt from the raw archive with the cached parse

and prints seconds per case and Prefect's extra over the plain run. Then what of Prefect's
cost is ours, each beside what it replaced:

- imports     seconds to import what the Prefect path needs (flows.quarterly_update)
              beside what --no-prefect needs (crosswalk.pipeline), fresh processes
- tasks       task runs one quarterly run records (read back from the run's prefect.db)
- persistence storing the cached parse of a full-size release (benchmarks/load_benchmark.py
              sizes): the serializer in flows/tasks.py beside Prefect's "compressed/pickle"
              (lzma, what the project used before), and the parse itself

Run: .venv/bin/python benchmarks/run_overhead.py [--repeat 1] [--skip-runs]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "benchmarks")]

from mirror import CmsMirror  # noqa: E402

CROSSWALK = Path(sys.executable).with_name("crosswalk")


def timed_run(mirror: CmsMirror, data_dir: Path, *extra: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CROSSWALK_"))}
    env["HOME"] = str(data_dir.parent)  # no ~/.prefect profile: a fresh machine
    started = time.perf_counter()
    subprocess.run([str(CROSSWALK), "run", "--cms-url", mirror.base_url, "--data-dir",
                    str(data_dir), *extra], check=True, env=env, cwd=data_dir.parent,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def measure(mirror: CmsMirror, workdir: Path) -> dict[str, float]:
    plain, prefect = workdir / "plain", workdir / "prefect"
    figures = {"plain, first run": timed_run(mirror, plain, "--no-prefect"),
               "plain, re-run": timed_run(mirror, plain, "--no-prefect"),
               "prefect, first run": timed_run(mirror, prefect)}
    with sqlite3.connect(prefect / "prefect" / "prefect.db") as con:
        figures["task runs per run"] = con.execute("SELECT count(*) FROM task_run").fetchone()[0]
    figures["prefect, re-run"] = timed_run(mirror, prefect)
    (prefect / "crosswalk.duckdb").unlink()
    figures["prefect, lost db"] = timed_run(mirror, prefect)
    return figures


def import_seconds(module: str) -> float:
    """Seconds to import `module` in a fresh interpreter (best of three)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    return min(float(subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO,
                                    capture_output=True, text=True).stdout) for _ in range(3))


def persistence_seconds() -> dict[str, float]:
    """Parse a full-size release once, then store it with each serializer (best of three)."""
    import load_benchmark
    from prefect.serializers import CompressedSerializer

    from crosswalk import fetch, local_files, warehouse
    from crosswalk.quarters import Quarter
    from crosswalk.settings import Settings
    from flows.tasks import PARSE_SERIALIZER

    with tempfile.TemporaryDirectory() as tmp:
        paths = load_benchmark.generate(Path(tmp), 9000, with_xlsx=False)
        settings = Settings(data_dir=Path(tmp) / "data")
        given = local_files.gather(settings, {kind: str(path) for kind, path in paths.items()})
        fetch.download_quarter(Quarter.parse(load_benchmark.QUARTER), settings, given,
                               progress=False)
        started = time.perf_counter()
        parsed = warehouse.parse_quarter(settings, Quarter.parse(load_benchmark.QUARTER))
        figures = {"parse": time.perf_counter() - started}
    for name, serializer in (("lzma (compressed/pickle)", CompressedSerializer(
            serializer="pickle")), ("ours", PARSE_SERIALIZER)):
        times = []
        for _ in range(3):
            started = time.perf_counter()
            stored = serializer.dumps(parsed)
            times.append(time.perf_counter() - started)
        figures[name] = min(times)
        figures[f"{name} MB"] = len(stored) / 1e6
    return figures


def ours(skip_runs: bool, figures: dict[str, float] | None) -> None:
    """What of Prefect's cost the project controls, with PASS/MISS against what it replaced."""
    prefect_path = import_seconds("flows.quarterly_update")
    plain_path = import_seconds("crosswalk.pipeline")
    print(f"imports: Prefect path {prefect_path:.2f} s, --no-prefect path {plain_path:.2f} s "
          f"(Prefect's own import is the difference)")
    if figures is not None:
        tasks = int(figures["task runs per run"])
        print(f"  {'PASS' if tasks <= 6 else 'MISS'}  task runs per quarterly run: {tasks} "
              "(7 before: reading the loaded versions is no longer a task)")
    stored = persistence_seconds()
    lzma, zlib = stored["lzma (compressed/pickle)"], stored["ours"]
    print(f"persistence of a full-size parse ({stored['parse']:.2f} s to parse): "
          f"lzma {lzma:.2f} s, {stored['lzma (compressed/pickle) MB']:.1f} MB; "
          f"zlib {zlib:.2f} s, {stored['ours MB']:.1f} MB; {lzma / max(zlib, 1e-6):.0f}x faster")
    print(f"  {'PASS' if zlib * 5 <= lzma else 'MISS'}  storing the cached parse at least 5x "
          f"faster than Prefect's compressed/pickle ({zlib / stored['parse']:.0%} of the parse "
          f"it saves, was {lzma / stored['parse']:.0%})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--skip-runs", action="store_true",
                        help="only the imports and persistence figures")
    args = parser.parse_args()
    figures = None
    with CmsMirror() as mirror:
        mirror.publish_quarter("2025Q4")
        for attempt in range(1, 0 if args.skip_runs else args.repeat + 1):
            with tempfile.TemporaryDirectory() as tmp:
                figures = measure(mirror, Path(tmp))
            print(f"attempt {attempt} ({os.cpu_count()} cores, load average "
                  f"{os.getloadavg()[0]:.1f}), seconds per `crosswalk run`:")
            for case, seconds in figures.items():
                if case != "task runs per run":
                    print(f"  {case:<20} {seconds:6.1f}")
            print(f"  Prefect's extra: first run {figures['prefect, first run'] - figures['plain, first run']:+.1f} s, "
                  f"re-run {figures['prefect, re-run'] - figures['plain, re-run']:+.1f} s")
    ours(args.skip_runs, figures)


if __name__ == "__main__":
    main()
