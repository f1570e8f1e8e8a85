"""Load benchmark: seconds and memory to parse and load one full quarter, beside the floor.

Generates a release the size of a real one with tests/cms_builders.py (about 9,000 HCPCS
codes and modifiers in about 17,000 fixed-width records; an 8,000-row NDC-HCPCS crosswalk
padded to 250 columns like the 2025 files; a 1,000-row payment limit file; NOC files),
archives it through crosswalk.fetch (local files, as `crosswalk download --url` does), then
measures, each in a fresh process so peak memory is its own:

- project: warehouse.parse_quarter + warehouse.write_release (readers, checks, one transaction)
- floor:   DuckDB reading the same bytes with no project logic: each zip member unzipped
           and read with read_csv into a table (the TXT as one VARCHAR column per line)

and prints seconds, peak RSS (resource.getrusage: the whole process, and its growth during
the measured step; imports happen before timing in both) and the ratio project / floor.

Run: .venv/bin/python benchmarks/load_benchmark.py [--generated] [--with-xlsx] [--codes 9000]
(--with-xlsx adds the ANWEB workbook twin to the HCPCS zip, as CMS ships it; the TXT is
authoritative and the workbook is only cross-checked, but reading it costs time.)

`--workbook PATH` measures one real workbook instead (the Oct 2025 ANWEB in
../shared/data/cms-samples/hcpcs), each in a fresh process: calamine alone (the plain
baseline: what the reader did before its sheet guard), readers.hcpcs.read_hcpcs_xlsx (guard
included, with the guard's own share), and the same workbook with one value added at
XFD1048576, which calamine alone would answer with a 512 GiB allocation and an abort.

When ../shared/data/cms-samples is present (and no generated-quarter option is given) it
measures the real October 2025 release instead: the whole ANWEB workbook and the Oct 2025 ASP
pricing and NDC-HCPCS crosswalk CSVs, each zipped under its CMS member name and archived as
tests/conftest.py does (`REAL_FILES`), then three whole processes, interleaved, `--repeat`
times each (5 by default), wall and CPU time (user + system, from the kernel's child rusage,
so a busy machine shows as wall >> CPU):

- ours:   `crosswalk load --quarter 2025Q4` on a fresh database (readers, every check,
          provenance, expected facts, one transaction), interpreter start and imports included
- floor:  calamine reading the workbook's first sheet + DuckDB read_csv of the two CSV
          members into a fresh database file (bytes read from the same zips; DuckDB reads no
          Windows-1252, so the CSV bytes are transcoded to UTF-8 first)
- pandas: pandas.read_excel of the workbook + pandas.read_csv of the two CSVs (the obvious
          way, no checks, nothing stored)

and prints best and median of each, the ratios, PASS/MISS against "ours < 2x the floor" and
the load average before and after. `--profile` adds a cProfile of our load (in process).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import cms_builders as cms  # noqa: E402
import duckdb  # noqa: E402

from crosswalk import fetch, local_files, pipeline, warehouse  # noqa: E402
import crosswalk.readers.asp  # noqa: E402,F401  (readers imported before timing)
import crosswalk.readers.hcpcs  # noqa: E402,F401
from crosswalk.quarters import Quarter  # noqa: E402
from crosswalk.settings import Settings  # noqa: E402

QUARTER = "2025Q4"
WORDS = ("injection", "biosimilar", "intravenous", "subcutaneous", "administered", "hospital",
         "outpatient", "extended-release", "prefilled", "syringe", "infusion", "solution",
         "lyophilized", "powder", "including", "supplies", "device", "per", "implant", "oral")
DOSES = ("1 mg", "10 mg", "0.1 mg", "0.5 mg", "5 mg", "1 microgram", "per ml", "100 units")


def generate(folder: Path, codes: int, with_xlsx: bool, seed: int = 2025) -> dict[str, Path]:
    """Write the five zips of one quarter; returns kind -> zip path."""
    rng = random.Random(seed)
    hcpcs = [_code(rng, index) for index in range(codes - 400 - len(cms.NOC_CODES))]
    hcpcs += [cms.HcpcsCode(code, "Not otherwise classified drug", add_date=date(2003, 1, 1))
              for code in cms.NOC_CODES]  # the NOC codes workbook lists these
    hcpcs += [cms.HcpcsCode(f"{chr(65 + i // 26)}{chr(65 + i % 26)}", _text(rng, 6, 30),
                            is_modifier=True, add_date=date(2010, 1, 1)) for i in range(400)]
    drugs = [c for c in hcpcs if c.code[0] in "JQ"]
    pricing = [cms.AspPrice(c.code, c.short_description, "10 MG", f"{rng.uniform(1, 900):.3f}")
               for c in drugs[:1000]]
    crosswalk = [cms.CrosswalkRow(c.code, c.short_description, "Labeler Inc",
                                  f"{rng.randrange(10000, 99999)}-{rng.randrange(1000, 9999)}-"
                                  f"{rng.randrange(10, 99)}", "Brand\xae ", "10 MG", 10, 1, 10, 10)
                 for c in rng.choices(drugs[:1000], k=8000)]
    zips = {
        "hcpcs": cms.build_hcpcs_zip(QUARTER, hcpcs, with_xlsx=with_xlsx),
        "asp_pricing": cms.build_asp_pricing_zip(QUARTER, pricing),
        "asp_crosswalk": cms.build_asp_crosswalk_zip(QUARTER, crosswalk, pad_columns=240),
        "noc_pricing": cms.build_noc_pricing_zip(
            QUARTER, [cms.NocPrice(f"Drug{i} (Brand{i})", "1 MG", "1.000") for i in range(60)]),
        "noc_crosswalk": cms.build_noc_crosswalk_zip(QUARTER, [cms.NocCrosswalkRow(
            f"Drug{i}", "Labeler", f"12345-{1000 + i}-01", f"Brand{i}", "1 MG")
            for i in range(60)]),
    }
    paths = {}
    for kind, payload in zips.items():
        paths[kind] = folder / f"october-2025-{kind.replace('_', '-')}.zip"
        paths[kind].write_bytes(payload)
    return paths


def _code(rng: random.Random, index: int) -> cms.HcpcsCode:
    """A code whose long description spans 1-4 records (about 1.9 on average, as in 2025)."""
    letter = "ABCEGJKLQ"[index % 9]
    words = rng.choices((5, 8, 14, 20, 30), weights=(40, 15, 27, 12, 6))[0]
    return cms.HcpcsCode(f"{letter}{index:04d}", f"{_text(rng, words, 0)}, {rng.choice(DOSES)}",
                         add_date=date(2000 + index % 25, 1 + 3 * (index % 4), 1),
                         term_date=date(2024, 12, 31) if index % 7 == 0 else None)


def _text(rng: random.Random, words: int, limit: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()
    return text[:limit] if limit else text


def measure_project(data_dir: Path) -> dict[str, float]:
    """parse_quarter, then write_release under the writer lock."""
    settings = Settings(data_dir=data_dir)
    started = time.perf_counter()
    parsed = warehouse.parse_quarter(settings, Quarter.parse(QUARTER))
    parsed_at = time.perf_counter()
    with warehouse.open_writer(settings) as con:
        warehouse.write_release(con, parsed)
    finished = time.perf_counter()
    return {"seconds": finished - started, "parse": parsed_at - started,
            "write": finished - parsed_at}


# Fixed-width TXT: one VARCHAR per line; CSV: DuckDB's own sniffing, padded rows allowed.
FLOOR_TXT = ("read_csv(?, columns={'line': 'VARCHAR'}, delim='\\x1f', quote='', header=false, "
             "encoding='latin-1')")
FLOOR_CSV = ("read_csv(?, header=false, all_varchar=true, null_padding=true, parallel=false, "
             "strict_mode=false, encoding='latin-1')")


def measure_floor(data_dir: Path) -> dict[str, float]:
    """DuckDB reading the same members: unzip, read_csv into tables, nothing else."""

    zips = sorted((data_dir / "raw").rglob("*.zip"))
    started = time.perf_counter()
    con = duckdb.connect(str(data_dir / "floor.duckdb"))
    with tempfile.TemporaryDirectory() as scratch:
        for number, path in enumerate(zips):
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.namelist() if m.lower().endswith((".txt", ".csv"))]
                for index, member in enumerate(members):
                    target = Path(scratch) / f"{number}-{index}-{Path(member).name}"
                    target.write_bytes(archive.read(member))
                    con.execute(f"CREATE TABLE t{number}_{index} AS SELECT * FROM "
                                + (FLOOR_TXT if member.lower().endswith(".txt") else FLOOR_CSV),
                                [str(target)])
    con.close()
    return {"seconds": time.perf_counter() - started}


def measure_workbook(which: str, path: Path) -> dict[str, float]:
    """One workbook read: 'calamine' alone, our 'reader', or the 'hostile' copy (refused)."""
    from python_calamine import CalamineWorkbook

    from crosswalk import kinds
    from crosswalk.errors import BadInput
    from crosswalk.readers.hcpcs import read_hcpcs_xlsx
    from crosswalk.readers.sheets import refuse_sparse_sheet
    from xlsx_builders import with_stray_cell

    data = path.read_bytes()
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names[0]
    if which == "hostile":
        data = with_stray_cell(data, "XFD1048576")
    steps = {"calamine": lambda: CalamineWorkbook.from_filelike(io.BytesIO(data))
             .get_sheet_by_index(0).to_python(skip_empty_area=False),
             "reader": lambda: read_hcpcs_xlsx(data, path.name,
                                               kinds.get("hcpcs").layouts["hcpcs_codes"]),
             "guard": lambda: refuse_sparse_sheet(data, path.name, sheet)}
    figures = {}
    for name in (["guard", "reader"] if which == "reader" else [which]):
        timings = []
        for _ in range(1 if which == "hostile" else 3):
            started = time.perf_counter()
            try:
                steps["reader" if which == "hostile" else name]()
            except BadInput as error:
                figures["refusal"] = str(error)[:120]
            timings.append(time.perf_counter() - started)
        figures[name if which == "reader" else "seconds"] = min(timings)
    if which == "reader":
        figures["seconds"] = figures.pop("reader")
    return figures


def run_measurement(which: str, target: Path) -> None:
    """Child process: one measurement, printed as JSON."""
    before = _peak_rss_mb()
    if which in ("calamine", "reader", "hostile"):
        figures = measure_workbook(which, target)
    else:
        figures = (measure_project if which == "project" else measure_floor)(target)
    print(json.dumps({**figures, "rss_mb": _peak_rss_mb(), "baseline_mb": before}))


def workbook_report(path: Path) -> None:
    """Print the three workbook measurements and the guard's share (PASS/MISS)."""
    print(f"{path.name}: {path.stat().st_size / 1e6:.1f} MB")
    print(f"{'':<34}{'seconds':>9}{'peak RSS growth MB':>20}")
    figures = {which: child(which, path) for which in ("calamine", "reader", "hostile")}
    labels = {"calamine": "calamine alone (plain baseline)",
              "reader": "read_hcpcs_xlsx (guard included)",
              "hostile": "+ a value at XFD1048576"}
    for which, label in labels.items():
        found = figures[which]
        print(f"{label:<34}{found['seconds']:>9.2f}{found['rss_mb'] - found['baseline_mb']:>20.0f}")
    guard, reader = figures["reader"]["guard"], figures["reader"]["seconds"]
    share = guard / reader
    print(f"the sheet guard: {guard:.3f} s, {share:.0%} of the workbook read "
          f"({guard / figures['calamine']['seconds']:.0%} of calamine alone)")
    print(f"{'PASS' if share <= 0.25 else 'MISS'} guard within 25% of the workbook read")
    print(f"hostile copy: {figures['hostile'].get('refusal', 'NOT refused')}...")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(which: str, target: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--measure", which, str(target)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{which} measurement failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- the real October 2025 release ---------------------------------------------------------

CMS_SAMPLES = REPO.parent / "shared" / "data" / "cms-samples"
# kind -> (folder under cms-samples, file, the member name CMS ships it under)
REAL_RELEASE = {
    "hcpcs": ("hcpcs", "HCPC2025_OCT_ANWEB.xlsx", "HCPC2025_OCT_ANWEB_v3.xlsx"),
    "asp_pricing": ("asp/pricing", "section 508 version of Oct 2025 ASP Pricing File 091725.csv",
                    None),
    "asp_crosswalk": ("asp/crosswalk",
                      "section 508 version of October 2025 ASP NDC-HCPCS Crosswalk 090525.csv",
                      None),
}
TARGET_RATIO = 2.0

# Each a whole process: `python -c SCRIPT ARGS`. Ours is the command a user types.
OURS = ("import sys; from crosswalk.cli import main; "
        "main(['load', '--quarter', sys.argv[1], '--data-dir', sys.argv[2]])")
# What `crosswalk load` imports before it reads a byte: the part of ours no work can shrink.
OUR_IMPORTS = ("import crosswalk.cli, crosswalk.warehouse, crosswalk.readers.hcpcs, "
               "crosswalk.readers.asp")
FLOOR_REAL = """
import io, sys, tempfile, zipfile
import duckdb
from python_calamine import CalamineWorkbook
con = duckdb.connect(sys.argv[1])
for number, path in enumerate(sys.argv[2:]):
    with zipfile.ZipFile(path) as archive:
        member = archive.namelist()[0]
        data = archive.read(member)
    if member.endswith(".xlsx"):
        CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python(
            skip_empty_area=False)
        continue
    with tempfile.NamedTemporaryFile(suffix=".csv") as text:
        text.write(data.decode("cp1252").encode())
        text.flush()
        con.execute(f"CREATE TABLE t{number} AS SELECT * FROM read_csv(?, header=false, "
                    "all_varchar=true, null_padding=true, parallel=false, strict_mode=false)",
                    [text.name])
con.close()
"""
PANDAS_REAL = """
import io, sys, zipfile
import pandas as pd
for path in sys.argv[1:]:
    with zipfile.ZipFile(path) as archive:
        member = archive.namelist()[0]
        data = archive.read(member)
    if member.endswith(".xlsx"):
        pd.read_excel(io.BytesIO(data), sheet_name=0, dtype=str)
    else:
        pd.read_csv(io.BytesIO(data), skiprows=8, encoding="cp1252", dtype=str)
"""


def archive_real_release(data_dir: Path) -> dict[str, Path]:
    """Zip the real files under their CMS names into the raw archive with manifest lines, as
    tests/conftest.py's real_2025q4 does; returns kind -> archived zip."""
    from test_warehouse import archive

    settings = Settings(data_dir=data_dir)
    zips = {}
    for kind, (folder, name, member) in REAL_RELEASE.items():
        payload = cms.build_zip({member or name: (CMS_SAMPLES / folder / name).read_bytes()})
        entry = archive(settings, kind, QUARTER, f"october-2025-{kind.replace('_', '-')}.zip",
                        payload)
        zips[kind] = Path(entry.archive_path)
    return zips


def timed(command: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system) of one whole child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{command[2][:40]!r}... failed:\n{done.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def real_report(repeat: int, profile: bool) -> None:
    """Ours, the floor and pandas on the real Oct 2025 release, interleaved, best and median."""
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder) / "data"
        zips = archive_real_release(data_dir)
        paths = [str(zips[kind]) for kind in REAL_RELEASE]
        database = data_dir / "crosswalk.duckdb"
        floor_db = Path(folder) / "floor.duckdb"
        commands = {
            "ours": [sys.executable, "-c", OURS, QUARTER, str(data_dir)],
            "floor": [sys.executable, "-c", FLOOR_REAL, str(floor_db), *paths],
            "pandas": [sys.executable, "-c", PANDAS_REAL, *paths],
            "imports": [sys.executable, "-c", OUR_IMPORTS],
        }
        sizes = ", ".join(f"{kind} {Path(path).stat().st_size / 1e6:.2f} MB"
                          for kind, path in zip(REAL_RELEASE, paths))
        print(f"real {QUARTER} release ({sizes} zipped); {repeat} runs each, interleaved",
              flush=True)
        load_before = os.getloadavg()
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(repeat):
            for name, command in commands.items():
                for stale in (database, database.with_suffix(".duckdb.wal"), floor_db):
                    stale.unlink(missing_ok=True)  # a fresh database every run
                runs[name].append(timed(command))
        load_after = os.getloadavg()
        if profile:
            database.unlink(missing_ok=True)
            profile_load(data_dir)
    print_real_figures(runs)
    print(f"load average before {_load_text(load_before)}, after {_load_text(load_after)} "
          f"(2 cores shared: read CPU seconds when wall >> CPU)")


def print_real_figures(runs: dict[str, list[tuple[float, float]]]) -> None:
    """best/median wall and CPU per command, ratios to the floor, PASS/MISS on the target."""
    labels = {"ours": "ours: crosswalk load (fresh database)",
              "imports": "  of which its imports alone",
              "floor": "floor: calamine + DuckDB read_csv",
              "pandas": "pandas: read_excel + read_csv"}
    best = {name: (min(w for w, _ in found), min(c for _, c in found))
            for name, found in runs.items()}
    median = {name: (statistics.median(w for w, _ in found),
                     statistics.median(c for _, c in found)) for name, found in runs.items()}
    print(f"{'':<40}{'wall best':>10}{'median':>8}{'CPU best':>10}{'median':>8}"
          f"{'x floor (wall/CPU)':>20}")
    for name, label in labels.items():
        ratio = f"{best[name][0] / best['floor'][0]:.2f} / {best[name][1] / best['floor'][1]:.2f}"
        print(f"{label:<40}{best[name][0]:>10.2f}{median[name][0]:>8.2f}{best[name][1]:>10.2f}"
              f"{median[name][1]:>8.2f}{ratio:>20}")
    for metric, at in (("wall", 0), ("CPU", 1)):
        ratio = best["ours"][at] / best["floor"][at]
        print(f"{'PASS' if ratio < TARGET_RATIO else 'MISS'} ours < {TARGET_RATIO:g}x the floor "
              f"({metric}, best of each): {ratio:.2f}x; median {median['ours'][at]:.2f} s vs "
              f"{median['floor'][at]:.2f} s = {median['ours'][at] / median['floor'][at]:.2f}x")
    print(f"ours is {best['pandas'][0] / best['ours'][0]:.1f}x faster than pandas (wall, best; "
          f"CPU {best['pandas'][1] / best['ours'][1]:.1f}x)")


def profile_load(data_dir: Path, top: int = 25) -> None:
    """cProfile of pipeline.load_release in this process (imports already done), by own time."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(pipeline.load_release, Settings(data_dir=data_dir), Quarter.parse(QUARTER))
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def _load_text(load: tuple[float, float, float]) -> str:
    return " ".join(f"{figure:.2f}" for figure in load)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--codes", type=int, default=9000)
    parser.add_argument("--with-xlsx", action="store_true")
    parser.add_argument("--workbook", type=Path, metavar="PATH",
                        help="measure one real ANWEB workbook instead of a generated quarter")
    parser.add_argument("--generated", action="store_true",
                        help="measure a generated quarter even when ../shared is present")
    parser.add_argument("--repeat", type=int, default=5,
                        help="runs of each process on the real release (default 5)")
    parser.add_argument("--profile", action="store_true",
                        help="also cProfile our load of the real release")
    parser.add_argument("--measure", nargs=2, metavar=("WHICH", "TARGET"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        run_measurement(args.measure[0], Path(args.measure[1]))
        return
    if args.workbook:
        workbook_report(args.workbook)
        return
    generated = args.generated or args.with_xlsx or args.codes != parser.get_default("codes")
    if CMS_SAMPLES.is_dir() and not generated:
        real_report(args.repeat, args.profile)
        return
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder) / "data"
        settings = Settings(data_dir=data_dir)
        paths = generate(Path(folder), args.codes, args.with_xlsx)
        given = local_files.gather(settings, {kind: str(path) for kind, path in paths.items()})
        fetch.download_quarter(Quarter.parse(QUARTER), settings, given, progress=False)
        _describe_input(paths)
        project, floor = child("project", data_dir), child("floor", data_dir)
    print(f"{'':<9}{'seconds':>9}{'peak RSS MB':>13}{'of which the load':>19}")
    for name, figures in (("project", project), ("floor", floor)):
        print(f"{name:<9}{figures['seconds']:>9.2f}{figures['rss_mb']:>13.0f}"
              f"{figures['rss_mb'] - figures['baseline_mb']:>19.0f}")
    print(f"project: parse {project['parse']:.2f} s (readers, outside the lock), "
          f"write {project['write']:.2f} s (one transaction)")
    print(f"ratio project/floor: {project['seconds'] / floor['seconds']:.1f}x time, "
          f"{project['rss_mb'] / floor['rss_mb']:.1f}x peak RSS")
    print("(peak RSS is the whole process after imports; 'of which the load' is the growth "
          "during the measured step)")


def _describe_input(paths: dict[str, Path]) -> None:
    with zipfile.ZipFile(paths["hcpcs"]) as archive:
        txt = next(n for n in archive.namelist() if "ANWEB" in n and n.endswith(".txt"))
        records = archive.read(txt).count(b"\r\n") - 1
    sizes = ", ".join(f"{kind} {path.stat().st_size / 1024:,.0f} KB"
                      for kind, path in paths.items())
    print(f"one quarter ({QUARTER}): {records:,} HCPCS records; zips: {sizes}", flush=True)


if __name__ == "__main__":
    main()
