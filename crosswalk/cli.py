"""The `crosswalk` command: parses options and calls the library; nothing else lives here.

Exit codes: 0 ok, 1 unexpected, 2 bad input, 3 source unavailable, 4 busy.
"""

from __future__ import annotations

import functools
import gc
import os
import sys

# numpy's OpenBLAS starts one spinning thread per core when imported (by pandas, or to hand
# rows to DuckDB), 0.06 s CPU a command on 2 cores, and no command does linear algebra; a
# user's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
from pathlib import Path
from typing import Any, Callable

import click

from crosswalk import datadir, verdicts
from crosswalk.errors import CrosswalkError
from crosswalk.quarters import FORMS_HELP, Quarter
from crosswalk.settings import (DEFAULT_CMS_URL, DEFAULT_DATA_DIR, DEFAULT_WAIT_SECONDS,
                                EXAMPLE_DRUGS, load_settings)

CYCLE_COLLECTION_EVERY = 50_000  # allocations; CPython's default, 700, is tuned for small heaps

EPILOG = """\b
Typical quarter (January, April, July, October):
  crosswalk run                         download, load, match, report (newest release)
  crosswalk run --quarter 2025Q4 --drugs my-drugs.xlsx
  crosswalk run --from ~/Downloads/cms  files downloaded by hand (no internet needed)
\b
Step by step:
  crosswalk download --quarter 2025Q4   fetch CMS files into <data dir>/raw
  crosswalk load --quarter 2025Q4       parse them into the DuckDB warehouse
  crosswalk drugs check my-drugs.csv    validate a practice drug list
  crosswalk match --quarter 2025Q4 --drugs my-drugs.csv
  crosswalk report --quarter 2025Q4     write the XLSX workbooks
  crosswalk runs                        list match runs and the drug list of each
  crosswalk claims check claims.837     check claim lines against the loaded releases
\b
Exit codes: 0 ok, 1 unexpected error, 2 bad input, 3 CMS source unavailable,
4 another run holds the database.
"""


def _quarter(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Quarter | None:
    if value is None:
        return None
    try:
        return Quarter.parse(value)
    except CrosswalkError as error:
        raise click.BadParameter(str(error)) from error


quarter_option = click.option(
    "--quarter", "-q", callback=_quarter, metavar="QUARTER",
    help=f"CMS release quarter ({FORMS_HELP}).")
data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path),
    help=f"Where raw downloads, the database and reports live "
         f"[env CROSSWALK_DATA_DIR; default ./{DEFAULT_DATA_DIR}].")
cms_url_option = click.option(
    "--cms-url", metavar="URL",
    help=f"Base URL every CMS link derives from [env CROSSWALK_CMS_URL; default {DEFAULT_CMS_URL}].")
url_option = click.option(
    "--url", "urls", multiple=True, metavar="KIND=URL|PATH",
    help="Skip discovery for one file kind (hcpcs, asp_pricing, asp_crosswalk, noc_pricing, "
         "noc_crosswalk): an explicit URL (e.g. through a proxy) or a file already "
         "downloaded: the zip, or the TXT, CSV, XLSX or XLS inside it, under any name. "
         "Repeatable.")
from_option = click.option(
    "--from", "from_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
    metavar="DIR",
    help="A folder of CMS files downloaded by hand (zips, or the files inside them): each "
         "file's kind and release are told from its name and content and listed; nothing is "
         "fetched, --quarter may be left out. Two files of one kind, or a file no kind reads, "
         "are refused by name.")
force_quarter_option = click.option(
    "--force-quarter", is_flag=True,
    help="Load the files given as --quarter even when they state another release (refused "
         "otherwise, exit 2); recorded in the manifest.")
user_agent_option = click.option(
    "--user-agent", metavar="TEXT",
    help="User-Agent sent to CMS, for a proxy or a CMS web front that refuses this tool's "
         "own [env CROSSWALK_USER_AGENT].")
drugs_option = click.option(
    "--drugs", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Practice drug list, CSV or XLSX (see `crosswalk drugs check --help`).")


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into a one-line message and the documented exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except CrosswalkError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(error.exit_code)
        except OSError as error:  # a disk that fills up or turns read-only mid-run
            if not datadir.is_file_system_error(error):
                raise
            click.echo(f"error: {datadir.refusal(error)}", err=True)
            sys.exit(2)

    return wrapper


@click.group(epilog=EPILOG)
@click.version_option(package_name="hcpcs-crosswalk")
def main() -> None:
    """Keep a practice's NOC drug codes (J3590, J3490, J9999, C9399, J7999) current with
    the CMS quarterly HCPCS and ASP files, and tell billing leads what to change."""
    # A command creates hundreds of thousands of container objects (pandas' import, the rows
    # of a release), next to none of them in reference cycles; CPython 3.11 runs its cycle
    # collector every 700 net new containers, over 200 times in a load (0.05-0.1 s CPU of
    # 1.3 s). Every 50,000 still collects cycles (docs/performance.md).
    gc.set_threshold(CYCLE_COLLECTION_EVERY)


wait_option = click.option(
    "--wait", "wait_seconds", type=click.FloatRange(min=0), default=DEFAULT_WAIT_SECONDS,
    show_default=True, metavar="SECONDS",
    help="How long to wait for another run holding the data directory before giving up "
         "(exit code 4).")

@main.command(epilog="""\b
Without internet access (files downloaded by hand in a browser):
  crosswalk download --from ~/Downloads/cms-2025q4
  crosswalk download --quarter 2025Q4 --url hcpcs=HCPC2025_OCT_ANWEB.xlsx \\
      --url asp_pricing="section 508 version of Oct 2025 ASP Pricing File 091725.csv" \\
      --url asp_crosswalk=october-2025-asp-ndc-hcpcs-crosswalk.zip""")
@quarter_option
@url_option
@from_option
@force_quarter_option
@cms_url_option
@user_agent_option
@data_dir_option
@reports_errors
def download(quarter: Quarter | None, urls: tuple[str, ...], from_dir: Path | None,
             force_quarter: bool, cms_url: str | None, user_agent: str | None,
             data_dir: Path | None) -> None:
    """Fetch one release's CMS files into the raw archive (every version kept).

    Reads the CMS HCPCS quarterly-update and ASP pricing pages, picks the newest posting
    of each file kind for the quarter and says why, and downloads only what changed. A kind
    CMS has not posted yet is named (the ASP files come weeks after the HCPCS file); without
    the HCPCS file the command exits 3, keeping what it fetched. Files given with --url or
    --from are archived as given; when they are local nothing is asked of CMS.
    """
    from crosswalk import fetch, local_files

    settings = load_settings(data_dir=data_dir, cms_url=cms_url, user_agent=user_agent)
    datadir.prepare(settings)  # before CMS is asked anything
    given = local_files.gather(settings, fetch.parse_overrides(urls), from_dir, force_quarter)
    quarter = given.release(quarter) or fetch.newest_posted_quarter(settings)
    for result in fetch.download_quarter(quarter, settings, given):
        click.echo(result.describe())


@main.command()
@quarter_option
@click.option("--all", "load_everything", is_flag=True,
              help="Load every release found in the raw archive.")
@data_dir_option
@wait_option
@reports_errors
def load(quarter: Quarter | None, load_everything: bool, data_dir: Path | None,
         wait_seconds: float) -> None:
    """Parse a downloaded release into the DuckDB warehouse, in one transaction.

    Re-loading the same bytes changes nothing; a new version of a release replaces that
    release's rows; a failure leaves the database as it was and names file, line and field.
    With --all, a release refused as bad input is named and the others still load (exit 2).
    Same path as `crosswalk backfill` and `crosswalk run`, under the same run lock.
    """
    from crosswalk import pipeline

    if not quarter and not load_everything:
        raise click.UsageError("give --quarter QUARTER or --all")
    settings = load_settings(data_dir=data_dir)
    if not load_everything:
        click.echo(pipeline.load_release(settings, quarter, wait_seconds=wait_seconds)
                   .describe())
        return
    loads = pipeline.load_archive(settings, wait_seconds=wait_seconds)
    click.echo(loads.describe())
    if refusal := loads.refusal():
        raise refusal


@main.command(help=f"""Match the practice drug list against a loaded release and print the
verdicts.

\b
Verdicts, most urgent first:
{verdicts.help_lines()}
A drug is switched only when its row identifies the product (NDC, brand, or generic with its
suffix); see docs/matching.md.""")
@quarter_option
@drugs_option
@data_dir_option
@wait_option
@reports_errors
def match(quarter: Quarter | None, drugs: Path | None, data_dir: Path | None,
          wait_seconds: float) -> None:
    from crosswalk import match as matching

    settings = load_settings(data_dir=data_dir)
    outcome = matching.match_practice(settings, quarter, drugs or EXAMPLE_DRUGS,
                                      wait_seconds=wait_seconds)
    click.echo(outcome.table())


@main.command()
@quarter_option
@click.option("--run", "run_id", type=click.IntRange(min=1), metavar="ID",
              help="Rebuild from this match run (see `crosswalk runs`) instead of the newest "
                   "run of the quarter.")
@click.option("--format", "formats", multiple=True, default=("xlsx",), show_default=True,
              type=click.Choice(["xlsx", "csv", "parquet"]),
              help="xlsx for billing leads; csv or parquet for analysts. Repeatable.")
@data_dir_option
@wait_option
@reports_errors
def report(quarter: Quarter | None, run_id: int | None, formats: tuple[str, ...],
           data_dir: Path | None, wait_seconds: float) -> None:
    """Rebuild the alerts and crosswalk workbooks from the database alone.

    Writes <data dir>/reports/<quarter>/noc-alerts-<quarter>.xlsx (Summary; Alerts, the
    worklist that prints one page wide, with the NOC claim narrative, payment per dose and
    "new in" / "open since" from earlier runs of the same list; Evidence; New drug codes) and
    crosswalk-<quarter>.xlsx (codes by date-of-service window), from the newest match run of
    the quarter (or the one --run names), and first prints which run and which drug list
    (file name, SHA-256, drug count) that is. The same database gives the same bytes.
    """
    from crosswalk import reports

    settings = load_settings(data_dir=data_dir)
    run = reports.find_run(settings, quarter, run_id)
    click.echo(run.describe())
    for path in reports.write_reports(settings, run.quarter, formats, run_id=run.run_id,
                                      wait_seconds=wait_seconds):
        click.echo(f"wrote {path}")


@main.command(epilog="""\b
Examples:
  crosswalk sql "SELECT code, long_description, add_date FROM hcpcs_current WHERE code LIKE 'Q51%'"
  crosswalk sql "SELECT verdict, count(*) FROM practice_alerts GROUP BY ALL" --format csv
  crosswalk sql "DESCRIBE practice_alerts"
Tables and views: README.md, section "For analysts".""")
@click.argument("query")
@click.option("--format", "output", type=click.Choice(["table", "csv"]), default="table",
              show_default=True, help="table for the terminal, csv for a file or a spreadsheet.")
@data_dir_option
@reports_errors
def sql(query: str, output: str, data_dir: Path | None) -> None:
    """Run one read-only SQL query on the DuckDB warehouse and print the result.

    No DuckDB client needs installing (nor the same DuckDB version as the one that wrote the
    file); the connection is read-only, so a query can never change the warehouse.
    """
    import csv
    import io

    from crosswalk import text_table, warehouse

    settings = load_settings(data_dir=data_dir)
    result = warehouse.read_only_query(settings, query)
    if output == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([[text_table.cell_text(value) for value in row] for row in result.rows])
        click.echo(buffer.getvalue(), nl=False)
        return
    click.echo(text_table.render(result.columns, result.rows) if result.columns else "")
    click.echo(f"({len(result.rows):,} row{'s' if len(result.rows) != 1 else ''})")


@main.command()
@quarter_option
@data_dir_option
@reports_errors
def runs(quarter: Quarter | None, data_dir: Path | None) -> None:
    """List the match runs, newest first: release, time, drug list, drugs and alerts.

    Marks the run `crosswalk report` rebuilds each release from; `crosswalk report --run ID`
    picks another (a throwaway `crosswalk match --drugs test.csv` makes a run too).
    """
    from crosswalk import reports

    click.echo(reports.runs_table(reports.match_runs(load_settings(data_dir=data_dir), quarter)))


@main.group()
def drugs() -> None:
    """Work with the practice drug list."""


@drugs.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@reports_errors
def drugs_check(file: Path) -> None:
    """Validate a practice drug list (CSV or XLSX) and list every bad row.

    \b
    Columns (header row; common spellings such as "Drug Name", "NDC", "HCPCS" accepted):
      drug_name     required: generic name with biosimilar suffix (rituximab-arrx)
      brand_name    e.g. Riabni
      ndc           11-digit 5-4-2, or hyphenated 4-4-2 / 5-3-2 / 5-4-1
      current_code  J3590 (default), J3490, J9999, C9399 or J7999
      dose          e.g. "450 mg"
      payer, setting (office | hospital outpatient), notes, active (yes/no)
    """
    from crosswalk import practice

    outcome = practice.check_file(file)
    click.echo(outcome.describe())
    sys.exit(0 if outcome.ok else 2)


@main.group()
def claims() -> None:
    """Check claim files for drug lines that will deny."""


@claims.command("check", epilog="""\b
Findings (error = will deny or is wrong; warning = payer-dependent or needs a look):
  NOC_AFTER_EFFECTIVE     NOC code for a drug with a permanent code on the date of service
  CODE_NOT_YET_EFFECTIVE  code billed before its HCPCS add date
  CODE_ENDED              code billed after its termination date (successor named)
  UNKNOWN_CODE            HCPCS Level II code in no loaded release
  C_CODE_OFFICE           C-code outside hospital outpatient (place of service 19/22)
  NOC_NARRATIVE_MISSING   NOC line whose description names no drug
  NDC_MISSING, NDC_INVALID, NDC_CODE_MISMATCH, ADMIN_CODE_MISSING,
  NOC_FAMILY, UNITS_MISMATCH, PA_MISSING, JW_JZ_MISSING, NOC_DRUG_NOT_IDENTIFIED
\b
Exit codes: 0 checked (with or without findings), 2 a file could not be read (file and
segment or row named; nothing from it is stored), 4 another run holds the database.""")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@data_dir_option
@reports_errors
def claims_check(files: tuple[Path, ...], data_dir: Path | None) -> None:
    """Check 837P files and claim-line exports against the loaded CMS releases.

    \b
    FILE is an 837P (ASC X12 5010, recognised by its ISA header, any extension) or a
    claim-line export (CSV or XLSX, header row first; "DOS", "CPT/HCPCS", "Qty" and other
    spellings accepted) with the columns
      claim_id, date_of_service, hcpcs, units       (required)
      line, place_of_service, modifiers, narrative, ndc, ndc_quantity, ndc_unit,
      prior_auth, payer
    Each drug line is checked by its date of service; the findings go to the DuckDB tables
    claim_files, claim_lines and claim_findings (re-checking a file replaces its rows) and
    to <data dir>/reports/claims/claims-check-<file stem>.xlsx. Patient names, member ids,
    birth dates and addresses are never read into either.
    """
    from crosswalk import claim_checks

    settings = load_settings(data_dir=data_dir)
    outcome = claim_checks.check_files(
        settings, files, on_done=lambda done: click.echo(
            done.describe() if isinstance(done, claim_checks.CheckedFile) else f"error: {done}",
            err=not isinstance(done, claim_checks.CheckedFile)))
    if outcome.refused:
        sys.exit(outcome.refused[0].exit_code)


no_prefect_option = click.option(
    "--no-prefect", is_flag=True,
    help="Run the same steps as plain Python: no Prefect API start-up (about 10 s), no run "
         "history, retries or artifacts.")


def _prefect_ready(settings: Any, wait_seconds: float | None = None,
                   check_api: bool = True) -> None:
    """Prefect reads its settings on import: point it at the project's defaults first.

    With `wait_seconds`, a busy data directory is reported before Prefect starts; with
    `check_api`, a Prefect server named by PREFECT_API_URL that does not answer.
    """
    import flows
    from crosswalk import pipeline

    if wait_seconds is not None:
        pipeline.wait_for_turn(settings, wait_seconds)
    datadir.prepare(settings)  # Prefect's home goes under it
    flows.configure_prefect(settings)
    if check_api:
        flows.check_api()  # a server that is down: one line in seconds, not minutes


@main.command()
@quarter_option
@drugs_option
@url_option
@from_option
@force_quarter_option
@click.option("--claims", "claims_dir",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder of claim files (837P, CSV or XLSX exports) to check against the "
                   "release once it is loaded; each file is checked once (by SHA-256), so a "
                   "folder the practice keeps adding to can be given every quarter.")
@cms_url_option
@user_agent_option
@data_dir_option
@wait_option
@no_prefect_option
@reports_errors
def run(quarter: Quarter | None, drugs: Path | None, urls: tuple[str, ...],
        from_dir: Path | None, force_quarter: bool, claims_dir: Path | None,
        cms_url: str | None, user_agent: str | None, data_dir: Path | None,
        wait_seconds: float, no_prefect: bool) -> None:
    """Download, load, match and report one release end to end.

    \b
    Default quarter: the release the files given state, else the newest HCPCS release CMS
    lists, even before it takes effect (the early warning: new codes are announced with the
    date they start). Default drug list: the example list data/example-practice-drugs.csv.
    Writes the DuckDB file and the workbooks under the data directory, prints where the
    workbooks are and each drug's verdict.
    \b
    Without internet access: --from DIR (files downloaded by hand) or --url KIND=PATH; a
    machine that cannot reach CMS is told so in seconds (exit 3) with what to do.
    \b
    Runs as the Prefect flow `quarterly-update` (retries, cached parses, run history and
    artifacts) on Prefect's temporary local API unless PREFECT_API_URL names a server; no
    Prefect set-up is needed. One run at a time per data directory.
    \b
    With --claims DIR, the claim files of DIR not checked before are then checked (the
    `claims-check` flow, as in `crosswalk claims check`); a claim file that cannot be read is
    reported and the run exits with code 2 once everything else is done.
    """
    from crosswalk import fetch, local_files, pipeline

    settings = load_settings(data_dir=data_dir, cms_url=cms_url, user_agent=user_agent)
    overrides = fetch.parse_overrides(urls)
    if no_prefect:
        summary = pipeline.run_quarter(settings, quarter, drugs, overrides=overrides,
                                       folder=from_dir, force_quarter=force_quarter,
                                       wait_seconds=wait_seconds, claims=claims_dir)
        click.echo(summary.describe())
    else:
        # files given by hand are recognised and checked against --quarter before Prefect's
        # start-up (10-20 s), as without Prefect; the flow recognises them again for itself
        given = local_files.gather(settings, overrides, from_dir, force_quarter)
        given.release(quarter)
        _prefect_ready(settings, wait_seconds)
        if not given.offline:
            fetch.check_reachable(settings)  # said in seconds, before Prefect's API starts
        from flows.quarterly_update import run_with_prefect

        summary = run_with_prefect(settings, quarter, drugs, urls, wait_seconds, claims_dir,
                                   from_dir, force_quarter)  # prints as it goes
    if summary.claims is not None and summary.claims.refused:
        sys.exit(summary.claims.refused[0].exit_code)


@main.command()
@click.option("--from", "first", callback=_quarter, metavar="QUARTER", help="First release.")
@click.option("--to", "last", callback=_quarter, metavar="QUARTER", help="Last release.")
@data_dir_option
@wait_option
@no_prefect_option
@reports_errors
def backfill(first: Quarter | None, last: Quarter | None, data_dir: Path | None,
             wait_seconds: float, no_prefect: bool) -> None:
    """Load a range of releases (default: the whole raw archive).

    Parses two releases at a time and writes them one at a time, oldest first (DuckDB has
    one writer). Releases of the range missing from the archive are listed at the end; a
    release refused as bad input is named and the others still load (exit 2), as with
    `crosswalk load --all`.
    """
    from crosswalk import pipeline

    settings = load_settings(data_dir=data_dir)
    if no_prefect:
        summary = pipeline.load_archive(settings, first, last, wait_seconds=wait_seconds)
    else:
        _prefect_ready(settings, wait_seconds)
        from flows.backfill import backfill as backfill_flow

        summary = backfill_flow(first=str(first) if first else None,
                                last=str(last) if last else None,
                                data_dir=str(settings.data_dir), wait_seconds=wait_seconds)
    click.echo(summary.describe())
    if refusal := summary.refusal():
        raise refusal


@main.command(epilog="""\b
Scheduling needs a Prefect server; `serve` does not start one (it would outlive the command):
  prefect server start                                  (another terminal)
  export PREFECT_API_URL=http://127.0.0.1:4200/api
  crosswalk serve --drugs my-drugs.csv
Without a reachable server, `serve` prints these steps and exits with code 1.
prefect.yaml describes the same deployment for a work pool (`prefect deploy`).""")
@click.option("--cron", metavar="CRON",
              help="When the quarterly run starts [env CROSSWALK_CRON; default "
                   "'0 6 2 1,4,7,10 *': 06:00 on January, April, July and October 2].")
@click.option("--recheck-cron", metavar="CRON",
              help="Mid-quarter re-check for CMS re-posts [env CROSSWALK_RECHECK_CRON; default "
                   "'0 6 15 1,4,7,10 *': 06:00 on the 15th of those months].")
@click.option("--prerelease-cron", metavar="CRON",
              help="Pre-release check for the next quarter's HCPCS file, posted weeks before "
                   "it takes effect [env CROSSWALK_PRERELEASE_CRON; default '0 6 15 2,5,8,11 "
                   "*': 06:00 on February, May, August and November 15].")
@click.option("--timezone", metavar="TZ",
              help="IANA time zone of the schedules [env CROSSWALK_TZ; default "
                   "America/New_York].")
@drugs_option
@cms_url_option
@data_dir_option
@reports_errors
def serve(cron: str | None, recheck_cron: str | None, prerelease_cron: str | None,
          timezone: str | None, drugs: Path | None, cms_url: str | None,
          data_dir: Path | None) -> None:
    """Serve the quarterly flow on its January/April/July/October schedule.

    Registers the deployment `quarterly-update/quarterly` with the Prefect server named by
    PREFECT_API_URL and runs its scheduled runs in this process until stopped (Ctrl-C),
    one at a time, with the drug list and data directory given here. Three schedules: the
    quarter's release, a mid-quarter re-check for CMS re-posts, and a pre-release check that
    runs on the next quarter's HCPCS file as soon as CMS posts it (the early warning).
    """
    from crosswalk.redaction import withhold

    settings = load_settings(data_dir=data_dir, cms_url=cms_url)
    _prefect_ready(settings, check_api=False)  # serve says more when there is no server
    from flows import deployment

    parameters = {"data_dir": str(settings.data_dir.resolve()),
                  "cms_url": withhold(settings.cms_url),  # served runs inherit the credential
                  "drugs": str((drugs or EXAMPLE_DRUGS).resolve())}
    deployment.serve(deployment.build_deployment(cron, recheck_cron, timezone, parameters,
                                                 prerelease_cron=prerelease_cron))


if __name__ == "__main__":
    main()
