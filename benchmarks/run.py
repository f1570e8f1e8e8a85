"""Benchmarks in one sitting: load, backfill, match, report, beside the baseline and the floor.

Generates realistic inputs (benchmarks/generate.py: a 9,000-code release in ~17,000
fixed-width records, an 8,000-row crosswalk, a 1,000-row payment limit file, practice lists
of 100, 1,000 and 10,000 drugs, 40 drifting quarterly releases), then measures in this one
process, with the same functions `crosswalk run --no-prefect` calls (crosswalk.pipeline):

  parse + load one quarter   pipeline.loaded_versions + parse_release + write_release
  match N drugs              match.match_practice (read the list, match, save the run)
  report                     reports.write_reports (the two xlsx workbooks) of the 1,000-drug
                             run; and of a 100,000-drug run (10,000 with --quick) in a fresh
                             process, for its peak memory
  one quarter end to end     load + match 1,000 drugs + report (no Prefect start-up)
  backfill N quarters        pipeline.backfill (parse 2 at a time, write one at a time)

Beside each: the baseline (benchmarks/baseline.py: Python loops, pandas, openpyxl cell by
cell) and the floor (DuckDB reading the same bytes, no project logic). Then Prefect's own
cost: import, the temporary API's start, and a flow run beside the same steps without it.

Seconds are wall-clock (time.perf_counter) of one run each (the machine is shared: re-run to
see the spread). Peak MB is the growth of the process's resident memory over its value at the
step's start, sampled every 5 ms from /proc/self/statm (DuckDB's native memory included;
memory already held from an earlier step and reused is not counted again).

Run: .venv/bin/python benchmarks/run.py [--quick] [--skip-prefect] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
for folder in (REPO, REPO / "tests", REPO / "benchmarks"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import duckdb  # noqa: E402
import pandas as pd  # noqa: E402

import baseline  # noqa: E402
import generate  # noqa: E402
from crosswalk import fetch, local_files, match, pipeline, reports  # noqa: E402
import crosswalk.readers.asp  # noqa: E402,F401  (imported before any timing)
import crosswalk.readers.hcpcs  # noqa: E402,F401
from crosswalk.quarters import Quarter  # noqa: E402
from crosswalk.settings import Settings  # noqa: E402
from load_benchmark import measure_floor  # noqa: E402

FULL = dict(codes=9_000, drug_codes=2_500, crosswalk=8_000, pricing=1_000,
            lists=(100, 1_000, 10_000), quarters=40, baseline_drugs=40, baseline_quarters=3,
            large_report=100_000)
QUICK = dict(codes=3_000, drug_codes=800, crosswalk=2_000, pricing=300,
             lists=(100, 1_000, 2_000), quarters=8, baseline_drugs=20, baseline_quarters=2,
             large_report=10_000)
REPORT_MEMORY_MB = 500  # the largest report's whole process, at most
PAGE = os.sysconf("SC_PAGE_SIZE")


# ---------------------------------------------------------------------------------------------
# Measuring


@dataclass
class Timing:
    seconds: float = 0.0
    peak_mb: float = 0.0


def _resident_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * PAGE


@contextmanager
def measured() -> Iterator[Timing]:
    """Wall-clock seconds and peak resident-memory growth of the block."""
    timing, stop = Timing(), threading.Event()
    start_rss = peak = _resident_bytes()

    def sample() -> None:
        nonlocal peak
        while not stop.wait(0.005):
            peak = max(peak, _resident_bytes())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        yield timing
    finally:
        timing.seconds = time.perf_counter() - started
        stop.set()
        sampler.join()
        timing.peak_mb = (max(peak, _resident_bytes()) - start_rss) / 2**20


def timed(job: Callable[[], Any]) -> tuple[Any, Timing]:
    with measured() as timing:
        result = job()
    return result, timing


@dataclass
class Row:
    step: str
    ours: Timing
    baseline: float | None = None
    floor: float | None = None
    note: str = ""


def print_table(rows: list[Row]) -> None:
    print(f"\n{'step':<34}{'seconds':>9}{'peak MB':>9}{'baseline s':>12}{'floor s':>9}"
          f"{'x faster than baseline':>24}{'x floor':>9}")
    for row in rows:
        faster = f"{row.baseline / row.ours.seconds:.1f}" if row.baseline else "-"
        floor = f"{row.ours.seconds / row.floor:.1f}" if row.floor else "-"
        print(f"{row.step:<34}{row.ours.seconds:>9.2f}{row.ours.peak_mb:>9.0f}"
              f"{_s(row.baseline):>12}{_s(row.floor):>9}{faster:>24}{floor:>9}"
              + (f"  {row.note}" if row.note else ""))


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


# ---------------------------------------------------------------------------------------------
# The steps


def load_one(settings: Settings, quarter: Quarter) -> Any:
    """parse + load exactly as pipeline.run_quarter does it."""
    loaded = pipeline.loaded_versions(settings, quarter)
    parsed = pipeline.parse_release(settings, quarter, loaded)
    return pipeline.write_release(settings, parsed)


def archive(settings: Settings, quarter: Quarter, zips: dict[str, Path]) -> None:
    # the generated universe dates codes across all 40 quarters, so an early release's newest
    # ADD DT can be later than the release: force the quarter (real files never need it)
    given = local_files.gather(settings, {k: str(p) for k, p in zips.items()},
                               force_quarter=True)
    fetch.download_quarter(quarter, settings, given, progress=False)


def one_quarter(sizes: dict[str, Any], universe: generate.Universe, quarter: Quarter,
                work: Path) -> tuple[list[Row], dict[str, Any]]:
    """Load, match each list, report: ours, baseline and floor; returns rows and facts."""
    zips = generate.write_release(universe, quarter, work / "zips" / str(quarter),
                                  crosswalk_rows=sizes["crosswalk"], pricing_rows=sizes["pricing"])
    lists = {n: generate.practice_list(universe, quarter, n, work / f"drugs-{n}.csv")
             for n in sizes["lists"]}
    settings = Settings(data_dir=work / "one")
    archive(settings, quarter, zips)

    summary, load = timed(lambda: load_one(settings, quarter))
    with duckdb.connect(str(work / "baseline.duckdb")) as con:
        _, load_base = timed(lambda: baseline.load_release(zips, con, str(quarter)))
    _, load_floor = timed(lambda: measure_floor(settings.data_dir))
    rows = [Row("parse + load one quarter", load, load_base.seconds, load_floor.seconds,
                _rows_of(summary, "hcpcs")), with_workbook_twin(sizes, universe, quarter, work)]

    matched: dict[int, Timing] = {}
    for count in sorted(sizes["lists"], key=lambda n: n == 1_000):  # 1,000 last: it is reported
        outcome, matched[count] = timed(lambda: match.match_practice(settings, quarter,
                                                                      lists[count]))
    _, report = timed(lambda: reports.write_reports(settings, quarter, ("xlsx",)))

    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        names = baseline.cms_names(con, str(quarter))
        ndcs = dict(con.execute("SELECT ndc_raw, hcpcs_code FROM asp_ndc_crosswalk "
                                "WHERE quarter = ?", [str(quarter)]).fetchall())
        for count in sizes["lists"]:
            drugs = pd.read_csv(lists[count], dtype=str, keep_default_na=False)
            base_seconds, comparisons = baseline.match_loop(drugs, names, ndcs,
                                                            sizes["baseline_drugs"])
            _, floor = timed(lambda: baseline.match_floor(con, lists[count], str(quarter)))
            rows.append(Row(f"match {count:,} drugs", matched[count], base_seconds,
                            floor.seconds, f"baseline: {comparisons:,} comparisons, from "
                            f"{sizes['baseline_drugs']} drugs extrapolated"))
        _, report_base = timed(lambda: baseline.write_workbooks(con, str(quarter),
                                                                work / "baseline-reports"))
        _, report_floor = timed(lambda: baseline.report_floor(con, outcome.run_id,
                                                              work / "floor-reports"))
    rows.append(Row("report (1,000-drug run, 2 xlsx)", report, report_base.seconds,
                    report_floor.seconds, "baseline: openpyxl, the same rows, no styles"))
    parts = [rows[0], next(r for r in rows if r.step == "match 1,000 drugs"), rows[-1]]
    # (the TXT-only load: what the floor reads too)
    end_to_end = Timing(sum(r.ours.seconds for r in parts), max(r.ours.peak_mb for r in parts))
    rows.append(Row("one quarter end to end", end_to_end,
                    sum(r.baseline or 0 for r in parts), sum(r.floor or 0 for r in parts),
                    "load + match 1,000 + report"))
    facts = {"settings": settings, "zips": zips, "lists": lists, "end_to_end": end_to_end,
             "report": report.seconds, "report_baseline": report_base.seconds,
             "load": load.seconds,
             "parse_floor": load_floor.seconds, "baseline_e2e": rows[-1].baseline,
             "match_10k": matched.get(10_000)}
    return rows, facts


def with_workbook_twin(sizes: dict[str, Any], universe: generate.Universe, quarter: Quarter,
                       work: Path) -> Row:
    """The zips as CMS ships them (TXT and XLSX twin): the project reads the TXT and
    cross-checks the workbook (calamine); the baseline reads the workbook with openpyxl."""
    zips = generate.write_release(universe, quarter, work / "twin-zips", with_xlsx=True,
                                  crosswalk_rows=sizes["crosswalk"], pricing_rows=sizes["pricing"])
    settings = Settings(data_dir=work / "twin")
    archive(settings, quarter, zips)
    _, ours = timed(lambda: load_one(settings, quarter))
    with duckdb.connect(str(work / "baseline-twin.duckdb")) as con:
        _, base = timed(lambda: baseline.load_release(zips, con, str(quarter), workbook=True))
    return Row("  same, zip with the XLSX twin", ours, base.seconds, None,
               "baseline reads the workbook with openpyxl")


def large_report(count: int, universe: generate.Universe, quarter: Quarter, loaded: Settings,
                 work: Path) -> tuple[Row, float]:
    """A `count`-drug list matched (not timed) in a copy of the loaded warehouse, then its
    report in a fresh process: seconds and the process's peak resident memory, all of it
    (Python, DuckDB, the workbooks), its VmHWM from /proc."""
    settings = Settings(data_dir=work / "large")
    settings.data_dir.mkdir(parents=True)
    shutil.copyfile(loaded.db_path, settings.db_path)
    drugs = generate.practice_list(universe, quarter, count, work / f"drugs-{count}.csv")
    match.match_practice(settings, quarter, drugs)
    # VmHWM, the peak of this process's own memory: ru_maxrss would include this (large)
    # parent's, which Linux carries over into a child through fork and exec
    script = ("import json, re, sys, time\n"
              "from pathlib import Path\n"
              "from crosswalk import reports\n"
              "from crosswalk.settings import Settings\n"
              "started = time.perf_counter()\n"
              "reports.write_reports(Settings(data_dir=Path(sys.argv[1])), sys.argv[2])\n"
              "seconds = time.perf_counter() - started\n"
              "status = Path('/proc/self/status').read_text()\n"
              "peak = int(re.search(r'VmHWM:\\s+(\\d+) kB', status)[1]) / 1024\n"
              "print(json.dumps([seconds, peak]))")
    done = subprocess.run([sys.executable, "-c", script, str(settings.data_dir), str(quarter)],
                          capture_output=True, text=True, cwd=REPO)
    if done.returncode:
        raise RuntimeError(f"the {count:,}-drug report failed:\n{done.stderr}")
    seconds, peak_mb = json.loads(done.stdout.splitlines()[-1])
    return (Row(f"report ({count:,}-drug run, 2 xlsx)", Timing(seconds, peak_mb), None, None,
                "fresh process: peak MB is the whole process"), peak_mb)


def backfill(sizes: dict[str, Any], universe: generate.Universe, work: Path) -> tuple[Row, float]:
    """Archive every quarter (not timed), then pipeline.backfill over all of them."""
    settings = Settings(data_dir=work / "backfill")
    zips = {}
    for quarter in universe.quarters:
        zips[quarter] = generate.write_release(
            universe, quarter, work / "zips" / str(quarter), crosswalk_rows=sizes["crosswalk"],
            pricing_rows=sizes["pricing"])
        archive(settings, quarter, zips[quarter])
    loads, ours = timed(lambda: pipeline.load_releases(settings, list(universe.quarters)))
    sample = list(universe.quarters)[:sizes["baseline_quarters"]]
    with duckdb.connect(str(work / "baseline-backfill.duckdb")) as con:
        _, base = timed(lambda: [baseline.load_release(zips[q], con, str(q)) for q in sample])
    _, floor = timed(lambda: measure_floor(settings.data_dir))
    count = len(universe.quarters)
    loaded = sum(1 for load in loads.loaded if load.status == "loaded")
    return (Row(f"backfill {count} quarters", ours, base.seconds * count / len(sample),
                floor.seconds, f"{loaded} loaded; baseline from {len(sample)} quarters, "
                "extrapolated"), ours.seconds)


# ---------------------------------------------------------------------------------------------
# Prefect's own cost


def prefect_overhead(quarter: Quarter, zips: dict[str, Path], drugs: Path, work: Path) -> None:
    """Import, temporary API start (first flow run) and per-run bookkeeping, beside plain."""
    from flows import configure_prefect

    configure_prefect(Settings(data_dir=work / "prefect-first"))  # a fresh machine's own home
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    urls = [f"{kind}={path}" for kind, path in zips.items()]
    _, plain = timed(lambda: pipeline.run_quarter(
        Settings(data_dir=work / "plain"), quarter, drugs,
        overrides={k: str(p) for k, p in zips.items()}))
    started = time.perf_counter()
    import prefect  # noqa: F401
    from flows.quarterly_update import quarterly_update
    imported = time.perf_counter() - started

    def flow_run(folder: str) -> Any:
        with redirect_stdout(io.StringIO()):  # the flow prints 1,000 verdicts
            return quarterly_update(quarter=str(quarter), drugs=str(drugs),
                                    data_dir=str(work / folder), urls=urls)

    _, first = timed(lambda: flow_run("prefect-first"))
    _, second = timed(lambda: flow_run("prefect-second"))
    print("\nPrefect's own cost (one release, 1,000 drugs, files from local paths):")
    print(f"  same steps without Prefect (pipeline.run_quarter)  {plain.seconds:6.2f} s")
    print(f"  import prefect and the flows                       {imported:6.2f} s")
    print(f"  first flow run (starts the temporary API, creates  {first.seconds:6.2f} s")
    print("    its database in a fresh PREFECT_HOME)")
    print(f"  second flow run (API already up, fresh data dir)   {second.seconds:6.2f} s")
    print(f"  => temporary API start ~{first.seconds - second.seconds:.1f} s; bookkeeping per "
          f"flow run ~{second.seconds - plain.seconds:+.1f} s over the plain steps")


# ---------------------------------------------------------------------------------------------
# Targets and profiling


def print_targets(facts: dict[str, Any], backfill_seconds: float, quarters: int) -> None:
    e2e = facts["end_to_end"].seconds
    match_10k = facts["match_10k"]
    report, report_base = facts["report"], facts["report_baseline"]
    targets = [
        ("report no slower than the baseline", report <= report_base,
         f"{report:.2f} s vs {report_base:.2f} s ({report_base / report:.1f}x faster)"),
        (f"{facts['large_report_drugs']:,}-drug report within {REPORT_MEMORY_MB} MB",
         facts["large_report_mb"] <= REPORT_MEMORY_MB, f"{facts['large_report_mb']:.0f} MB"),
        ("one quarter end to end < 2 s", e2e < 2.0, f"{e2e:.2f} s"),
        ("end to end < 3x the parse floor", e2e < 3 * facts["parse_floor"],
         f"{e2e / facts['parse_floor']:.1f}x ({facts['parse_floor']:.2f} s floor)"),
        ("  parse + load alone < 3x the floor", facts["load"] < 3 * facts["parse_floor"],
         f"{facts['load'] / facts['parse_floor']:.1f}x"),
        (">= 5x faster than the baseline", facts["baseline_e2e"] >= 5 * e2e,
         f"{facts['baseline_e2e'] / e2e:.1f}x"),
        (f"backfill of {quarters} quarters < 60 s", backfill_seconds < 60,
         f"{backfill_seconds:.1f} s"),
    ]
    if match_10k is not None:
        targets.append(("10,000-drug match < 1 s", match_10k.seconds < 1.0,
                        f"{match_10k.seconds:.2f} s"))
    print("\ntargets (2 cores; informational):")
    for name, met, value in targets:
        print(f"  {'PASS' if met else 'MISS'}  {name:<36} {value}")


def profile(facts: dict[str, Any], quarter: Quarter, work: Path) -> None:
    """cProfile of load, match (largest list) and report, on a fresh database."""
    settings = Settings(data_dir=work / "profiled")
    archive(settings, quarter, facts["zips"])
    largest = max(facts["lists"])
    for name, job in (("parse + load", lambda: load_one(settings, quarter)),
                      (f"match {largest:,}", lambda: match.match_practice(
                          settings, quarter, facts["lists"][largest])),
                      ("report", lambda: reports.write_reports(settings, quarter))):
        profiler = cProfile.Profile()
        profiler.runcall(job)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(18)
        print(f"\n--- cProfile: {name} (cumulative, top 18) ---")
        print("\n".join(line for line in out.getvalue().splitlines()[5:] if line.strip()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, 8 quarters")
    parser.add_argument("--skip-prefect", action="store_true",
                        help="do not measure Prefect's overhead (it costs 15-30 s)")
    parser.add_argument("--profile", action="store_true",
                        help="also print cProfile summaries of load, match and report")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    quarters = generate.series(count=sizes["quarters"])
    universe = generate.draw_universe(quarters, codes=sizes["codes"],
                                      drug_codes=sizes["drug_codes"])
    newest = quarters[-1]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        lists = ", ".join(f"{n:,}" for n in sizes["lists"])
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; inputs: "
              f"{len(universe.release(newest)):,} codes in {newest}, {sizes['crosswalk']:,} "
              f"crosswalk rows, {sizes['pricing']:,} payment limits, lists of {lists} drugs, "
              f"{len(quarters)} quarters {quarters[0]}..{newest}", flush=True)
        rows, facts = one_quarter(sizes, universe, newest, work)
        large_row, facts["large_report_mb"] = large_report(
            sizes["large_report"], universe, newest, facts["settings"], work)
        facts["large_report_drugs"] = sizes["large_report"]
        rows.append(large_row)
        records = _records(facts["zips"]["hcpcs"])
        print(f"HCPCS TXT of {newest}: {records:,} records", flush=True)
        backfill_row, backfill_seconds = backfill(sizes, universe, work)
        rows.append(backfill_row)
        print_table(rows)
        print_targets(facts, backfill_seconds, len(quarters))
        print("\nseconds: wall clock, one run each; peak MB: resident-memory growth over the "
              "step's start, sampled every 5 ms; x floor = ours / floor; load average now "
              f"{os.getloadavg()[0]:.2f} (other work on the machine inflates every figure)")
        if args.profile:
            profile(facts, newest, work)
        if not args.skip_prefect:
            prefect_overhead(newest, facts["zips"], facts["lists"][1_000], work)


def _rows_of(summary: Any, kind: str) -> str:
    rows = [file.rows for file in summary.files if file.kind == kind]
    return f"{rows[0]:,} codes" if rows else ""


def _records(path: Path) -> int:
    import zipfile

    with zipfile.ZipFile(path) as archive_zip:
        member = next(n for n in archive_zip.namelist() if "ANWEB" in n and n.endswith(".txt"))
        return archive_zip.read(member).count(b"\r\n") - 1


if __name__ == "__main__":
    main()
