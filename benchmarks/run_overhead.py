"""Run benchmark: what Prefect adds to `crosswalk run`, cold and warm, beside --no-prefect.

Serves a standard release on the local CMS mirror (tests/mirror.py) and times the README's
main command as a user runs it (the console script in a fresh process, fresh data directory,
no Prefect set-up, no PREFECT_API_URL):

- plain, first run      `crosswalk run --no-prefect`: download, parse, load, match, report
- plain, re-run         same files: 304s, nothing parsed or written
- prefect, first run    `crosswalk run`: temporary local API started, its database created
- prefect, re-run       temporary API started again (database exists), cached parse
- prefect, lost db      database deleted: rebuilt from the raw archive with the cached parse

and prints seconds per case and Prefect's extra over the plain run.

Run: .venv/bin/python benchmarks/run_overhead.py [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

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
               "prefect, first run": timed_run(mirror, prefect),
               "prefect, re-run": timed_run(mirror, prefect)}
    (prefect / "crosswalk.duckdb").unlink()
    figures["prefect, lost db"] = timed_run(mirror, prefect)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with CmsMirror() as mirror:
        mirror.publish_quarter("2025Q4")
        for attempt in range(1, args.repeat + 1):
            with tempfile.TemporaryDirectory() as tmp:
                figures = measure(mirror, Path(tmp))
            print(f"attempt {attempt} ({os.cpu_count()} cores), seconds per `crosswalk run`:")
            for case, seconds in figures.items():
                print(f"  {case:<20} {seconds:6.1f}")
            print(f"  Prefect's extra: first run {figures['prefect, first run'] - figures['plain, first run']:+.1f} s, "
                  f"re-run {figures['prefect, re-run'] - figures['plain, re-run']:+.1f} s")


if __name__ == "__main__":
    main()
