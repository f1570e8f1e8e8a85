"""The claim-line pre-check: which drug lines of a claim file will deny, and why.

A file is read (crosswalk.claims), stored and checked in ONE transaction: its earlier check
is forgotten, its lines are stored batch by batch as they are read, the rules run as set
work in sql/claims/ against the CMS releases in the warehouse, and the file's row in
claim_files is written last. Unreadable input rolls everything back and leaves the database
as it was. The workbook (crosswalk.claim_report) is then written from the database alone.

Python does only what needs Python, once per distinct value rather than once per line: the
NDC forms (crosswalk.ndc, and the drug list's restoring of shortened NDCs), the drug behind each distinct NOC narrative and NDC (the
drug-list matcher, crosswalk.claim_drugs) and the units a dose or NDC quantity stands for
(crosswalk.match.units_for_dose). The findings and their severities are in FINDINGS.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from crosswalk import claim_drugs, claims, match, sqlfiles, warehouse
from crosswalk.archive import file_sha256
from crosswalk.errors import BadInput
from crosswalk.ndc import normalize_ndc
from crosswalk.quarters import Quarter
from crosswalk.settings import DEFAULT_WAIT_SECONDS, PROJECT_ROOT, Settings

ADMIN_CODES = PROJECT_ROOT / "data" / "admin-codes.csv"
MESSAGE_RANGES = 3  # administration ranges a finding's message names; the rest are counted
SEVERITIES = ("error", "warning", "info")
# finding -> (severity, what it means); NDC_MISSING is an error on NOC lines only
FINDINGS: dict[str, tuple[str, str]] = {
    "NOC_AFTER_EFFECTIVE": ("error", "A NOC code for a drug that had a permanent code on the "
                                     "date of service: bill the permanent code and its units."),
    "CODE_NOT_YET_EFFECTIVE": ("error", "A permanent code billed before its HCPCS add date."),
    "CODE_ENDED": ("error", "A code billed after its HCPCS termination date; the successor "
                            "(XREF) is named when CMS lists one."),
    "UNKNOWN_CODE": ("error", "A HCPCS Level II code in none of the loaded releases."),
    "C_CODE_OFFICE": ("error", "A C-code on a claim whose place of service is not hospital "
                               "outpatient (19/22)."),
    "NOC_NARRATIVE_MISSING": ("error", "A NOC line whose description does not name the drug."),
    "NDC_MISSING": ("error", "No NDC: an error on NOC lines, a warning on other drug lines."),
    "NDC_INVALID": ("error", "An NDC that is not 11 digits, or a bad qualifier, unit or "
                             "quantity."),
    "NDC_CODE_MISMATCH": ("error", "The NDC is crosswalked to another code than the one billed "
                                   "(CMS crosswalk of the date of service's quarter)."),
    "ADMIN_CODE_MISSING": ("error", "A drug line on a claim without an administration code on "
                                    "the same date."),
    "NOC_FAMILY": ("warning", "The wrong NOC code for the kind of drug (antineoplastics under "
                              "J9999, biologics under J3590)."),
    "UNITS_MISMATCH": ("warning", "Units disagree with the narrative's dose or the NDC "
                                  "quantity at the code's billing unit; NOC lines bill 1 unit."),
    "PA_MISSING": ("warning", "A NOC line on a claim without a prior authorisation number."),
    "JW_JZ_MISSING": ("warning", "A separately payable drug line without JW or JZ (required "
                                 "since 2023-07-01 for single-dose containers), unless the "
                                 "claim bills its discarded amount on a JW line."),
    "NOC_DRUG_NOT_IDENTIFIED": ("warning", "The matcher could not tell for sure which drug a "
                                           "NOC line is for (REVIEW): no code is suggested."),
    "MODIFIER_INVALID": ("error", "A modifier the payer rejects: outside its HCPCS dates (JG "
                                  "after 2024-12-31), or JZ with an amount discarded (JW)."),
}
UNIT_KEYS = ["billing_unit", "narrative", "ndc_quantity", "ndc_unit", "units_each"]


@dataclass
class CheckedFile:
    """One checked claim file: where its rows are, what was found, where the workbook is."""

    file_id: int
    path: Path
    kind: str
    hcpcs_release: Quarter
    counts: dict[str, int]
    findings: dict[str, dict[str, int]]  # finding -> severity -> lines
    report: Path | None = None
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """What `crosswalk claims check` prints for the file."""
        total = sum(sum(by.values()) for by in self.findings.values())
        lines = [f"{self.path.name} ({self.kind}): {self.counts.get('claims', 0):,} claim(s), "
                 f"{self.counts.get('lines', 0):,} line(s) checked against the "
                 f"{self.hcpcs_release} release: {total:,} finding(s)"]
        for name in FINDINGS:
            for severity, count in sorted(self.findings.get(name, {}).items(),
                                          key=lambda item: SEVERITIES.index(item[0])):
                lines.append(f"  {name:<24} {severity:<8} {count:>7,}")
        lines += [f"  note: {note}" for note in self.notes]
        if self.report:
            lines.append(f"wrote {self.report}")
        return "\n".join(lines)


def check_file(settings: Settings, path: Path | str,
               wait_seconds: float = DEFAULT_WAIT_SECONDS) -> CheckedFile:
    """Read, store and check one claim file in one transaction, then write its workbook."""
    from crosswalk import claim_report

    path = Path(path).resolve()
    claim_file = claims.read_claim_file(path)
    sha256 = file_sha256(path)
    admin = admin_codes()
    command = warehouse.load_command(settings)
    if not settings.db_path.is_file():  # opening it would create it: a check creates nothing
        raise BadInput(f"no CMS release is loaded yet ({settings.db_path} does not exist): "
                       f"run `{command}` first", field="quarter")
    with warehouse.open_writer(settings, wait_seconds) as con:
        release = match.release_quarter(con, None, command)
        file_id = _in_transaction(con, lambda: _store_and_check(con, claim_file, sha256,
                                                                release, admin))
        checked = _checked(con, file_id, claim_file, release)
    checked.report = claim_report.write_report(settings, file_id)
    return checked


def check_or_refuse(settings: Settings, path: Path | str,
                    wait_seconds: float = DEFAULT_WAIT_SECONDS
                    ) -> CheckedFile | BadInput:
    """check_file, with a file that cannot be read returned as its BadInput (not raised), so
    one bad file in a batch does not stop the others."""
    try:
        return check_file(settings, path, wait_seconds)
    except BadInput as error:
        return error


@dataclass
class ClaimsOutcome:
    """What a batch of claim files came to: checked, refused, skipped as already checked."""

    checked: list[CheckedFile] = field(default_factory=list)
    refused: list[BadInput] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)

    def describe(self) -> str:
        lines = [done.describe() for done in self.checked]
        lines += [f"error: {error}" for error in self.refused]
        if self.skipped:
            lines.append(f"{len(self.skipped)} claim file(s) already checked (same SHA-256): "
                         + ", ".join(path.name for path in self.skipped))
        return "\n".join(lines) or "no claim files to check"

    def markdown(self) -> str:
        """Counts only (file names, findings per severity): no claim or patient detail."""
        rows = [f"| {done.path.name} | {done.counts.get('lines', 0):,} | "
                + " | ".join(str(sum(by.get(severity, 0) for by in done.findings.values()))
                             for severity in SEVERITIES) + f" | `{done.report}` |"
                for done in self.checked]
        refused = [f"- {error.file}: refused ({error.reason.splitlines()[0]})"
                   for error in self.refused]
        return "\n".join(["## Claim files", "",
                          "| File | Lines | Errors | Warnings | Info | Workbook |",
                          "|---|---:|---:|---:|---:|---|", *rows, "", *refused,
                          f"{len(self.skipped)} file(s) already checked.", ""])


def check_files(settings: Settings, paths: Iterable[Path | str],
                on_done: Callable[[CheckedFile | BadInput], None] | None = None,
                check: Callable[..., CheckedFile | BadInput] = check_or_refuse
                ) -> ClaimsOutcome:
    """Check each file on its own (one bad file does not stop the others); `on_done` hears
    of each file as it finishes (progress on a terminal)."""
    outcome = ClaimsOutcome()
    for path in paths:
        result = check(settings, Path(path))
        if isinstance(result, BadInput):
            outcome.refused.append(result)
        else:
            outcome.checked.append(result)
        if on_done:
            on_done(result)
    return outcome


def new_claim_files(settings: Settings, folder: Path | str) -> tuple[list[Path], list[Path]]:
    """(claim files in `folder` not checked yet, those already checked), by SHA-256.

    A claim file is an X12 file whatever its name, or a .csv/.xlsx export; other files
    (a README, a clearinghouse report) are passed over. Hidden files are ignored.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise BadInput("no such folder", file=str(folder), field="--claims")
    candidates = [path for path in sorted(folder.iterdir())
                  if path.is_file() and not path.name.startswith(".") and is_claim_file(path)]
    seen: set[str] = set()
    if settings.db_path.is_file():
        with warehouse.open_writer(settings) as con:
            seen = {sha for (sha,) in con.execute("SELECT sha256 FROM claim_files").fetchall()}
    fresh, done = [], []
    for path in candidates:
        (done if file_sha256(path) in seen else fresh).append(path)
    return fresh, done


def is_claim_file(path: Path) -> bool:
    return path.suffix.lower() in (".csv", ".xlsx", ".xlsm") or claims.file_kind(path) == "837p"


def check_folder(settings: Settings, folder: Path | str,
                 find: Callable[..., tuple[list[Path], list[Path]]] = new_claim_files,
                 check: Callable[..., CheckedFile | BadInput] = check_or_refuse
                 ) -> ClaimsOutcome:
    """Check the claim files of a folder not checked before (each file once, by SHA-256).

    `find` and `check` are the steps; the Prefect flow hands in task-wrapped versions.
    """
    fresh, done = find(settings, folder)
    outcome = check_files(settings, fresh, check=check)
    outcome.skipped = list(done)
    return outcome


def admin_codes(path: Path = ADMIN_CODES) -> pd.DataFrame:
    """The administration code ranges (code_from, code_to, what) of data/admin-codes.csv."""
    with path.open(encoding="utf-8", newline="") as stream:
        rows = [row for row in csv.reader(stream) if row and not row[0].startswith("#")]
    header, body = rows[0], rows[1:]
    frame = pd.DataFrame(body, columns=header)
    shape = r"\d{4}[0-9A-Z]|[A-Z]\d{4}"  # CPT (96372, 0001A) or HCPCS Level II (G0008)
    bad = frame[~(frame["code_from"].str.fullmatch(shape) & frame["code_to"].str.fullmatch(shape)
                  & (frame["code_from"].str[0].str.isdigit()
                     == frame["code_to"].str[0].str.isdigit())
                  & (frame["code_from"] <= frame["code_to"]))]
    if len(bad):
        raise BadInput("administration code ranges must be two 5-character CPT codes (or "
                       "two HCPCS codes such as G0008), lowest first", file=str(path),
                       row=int(bad.index[0]) + 1, field="code_from")
    return frame


def admin_text(admin: pd.DataFrame) -> str:
    """'96360-96379, 96401-96549 or 67028, nor any of the 12 other procedures in
    data/admin-codes.csv': the file's first three ranges (injection and infusion,
    chemotherapy, intravitreal), and how many more it lists, as a message names them."""
    ranges = [row.code_from if row.code_from == row.code_to else f"{row.code_from}-{row.code_to}"
              for row in admin.itertuples()]
    named, more = ranges[:MESSAGE_RANGES], len(ranges) - MESSAGE_RANGES
    text = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} or {named[-1]}"
    return text + (f", nor any of the {more} other procedures in {ADMIN_CODES.parent.name}/"
                   f"{ADMIN_CODES.name}" if more > 0 else "")


# ---------------------------------------------------------------------------------------------
# The transaction


def _in_transaction(con: duckdb.DuckDBPyConnection, work: Callable[[], int]) -> int:
    con.execute("BEGIN TRANSACTION")
    try:
        result = work()
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return result


def _store_and_check(con: duckdb.DuckDBPyConnection, claim_file: claims.ClaimFile,
                     sha256: str, release: Quarter, admin: pd.DataFrame) -> int:
    path = claim_file.path
    sqlfiles.run_file(con, "claims", "01_forget_file", {"file_path": str(path)})
    (file_id,), = con.execute("SELECT nextval('claim_file_ids')").fetchall()
    for batch in claim_file.batches:
        _store_lines(con, file_id, batch)
    sqlfiles.run_file(con, "claims", "03_number_lines", {"file_id": file_id})
    _refuse_repeated_lines(con, claim_file, file_id)
    params = {"file_id": file_id, "admin_text": admin_text(admin),
              "releases_text": _releases_text(con), "file_kind": claim_file.kind}
    with sqlfiles.registered(con, {"ndc_forms": _ndc_forms(con, file_id, release),
                                   "admin_codes": admin}):
        sqlfiles.run_file(con, "claims", "05_ndc11", params)
        sqlfiles.run_file(con, "claims", "10_line_facts", params)
    keys = sqlfiles.run_file(con, "claims", "20_noc_drug_keys", params).df()
    with sqlfiles.registered(con, {"noc_drugs": claim_drugs.identify(con, release, keys)}):
        sqlfiles.run_file(con, "claims", "30_noc_lines", params)
    sqlfiles.run_file(con, "claims", "40_unit_inputs", params)
    with sqlfiles.registered(con, {"unit_readings": _unit_readings(con)}):
        sqlfiles.run_file(con, "claims", "45_line_units", params)
    sqlfiles.run_file(con, "claims", "50_findings", params)
    sqlfiles.run_file(con, "claims", "60_amounts", params)
    sqlfiles.run_file(con, "claims", "70_file_row", {
        "file_id": file_id, "file_path": str(path), "file_name": path.name, "sha256": sha256,
        "file_kind": claim_file.kind, "checked_at": datetime.now(timezone.utc),
        "hcpcs_release": str(release), "match_run_id": _newest_match_run(con),
        "transactions": claim_file.counts.get("transactions")})
    return file_id


def _store_lines(con: duckdb.DuckDBPyConnection, file_id: int, batch: Any) -> None:
    with sqlfiles.registered(con, {"claim_line_batch": batch}):
        sqlfiles.run_file(con, "claims", "02_store_lines", {"file_id": file_id})


def _refuse_repeated_lines(con: duckdb.DuckDBPyConnection, claim_file: claims.ClaimFile,
                           file_id: int) -> None:
    """A line number twice in one claim: the file cannot be checked line by line."""
    repeated = sqlfiles.query(con, "claims", "04_repeated_lines", {"file_id": file_id})
    if repeated:
        where = claim_file.position_word
        listed = [f"line {r['line_no']} of claim {r['claim_id']} is on {where}s "
                  f"{', '.join(map(str, r['source_lines']))}" for r in repeated]
        raise BadInput("a line number repeats within a claim; nothing from this file was "
                       "checked or stored:\n  " + "\n  ".join(listed),
                       file=claim_file.path.name, row=repeated[0]["source_lines"][-1],
                       field="LX01" if where == "segment" else "line")


def _ndc_forms(con: duckdb.DuckDBPyConnection, file_id: int, release: Quarter) -> pd.DataFrame:
    """Each distinct raw NDC of the file and the 11-digit NDC it stands for: its normal form,
    else, like the drug list, the one reading of a shortened NDC (143937701, or a bare 10
    digits) that the CMS crosswalk holds (match.restore_ndcs); None when there is no such
    single reading. The claim still carries the raw form: NDC_INVALID says so."""
    raws = [raw for (raw,) in con.execute(
        "SELECT DISTINCT ndc_raw FROM claim_lines WHERE file_id = ? AND ndc_raw IS NOT NULL",
        [file_id]).fetchall()]
    found = [normalize_ndc(raw) for raw in raws]
    forms = pd.DataFrame({"row_no": range(len(raws)), "ndc_raw": raws,
                          "ndc11": [result.ndc11 for result in found],
                          "ndc_note": [result.reason or "" for result in found]}, dtype="object")
    return match.restore_ndcs(con, release, forms)[["ndc_raw", "ndc11"]]


def _unit_readings(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Units each distinct (billing unit, narrative, NDC quantity, unit, units each) stands
    for: by the narrative's dose and by the NDC quantity, with how they were worked out."""
    inputs = con.execute(f"SELECT DISTINCT {', '.join(UNIT_KEYS)} FROM drug_units_in "
                         "WHERE billing_unit IS NOT NULL").df()
    rows = []
    for row in match.plain_records(inputs):
        reading = claim_drugs.read_narrative(row["narrative"])
        by_dose, how = match.units_for_dose(reading.dose_amount, reading.dose_unit,
                                            row["billing_unit"])
        by_ndc, ndc_how = claim_drugs.units_from_ndc(row["ndc_quantity"], row["ndc_unit"],
                                                     row["billing_unit"], row["units_each"])
        rows.append({**row, "units_by_dose": by_dose,
                     "dose_how": f"the description's dose is {how}" if by_dose else None,
                     "units_by_ndc": by_ndc, "ndc_how": ndc_how})
    return pd.DataFrame(rows, columns=[*UNIT_KEYS, "units_by_dose", "dose_how", "units_by_ndc",
                                       "ndc_how"])


def _releases_text(con: duckdb.DuckDBPyConnection) -> str:
    quarters = [q for (q,) in con.execute(
        "SELECT DISTINCT quarter FROM hcpcs_codes ORDER BY quarter").fetchall()]
    return quarters[0] if len(quarters) == 1 else f"{quarters[0]} to {quarters[-1]}"


def _newest_match_run(con: duckdb.DuckDBPyConnection) -> int | None:
    found = con.execute("SELECT run_id FROM match_runs ORDER BY started_at DESC, run_id DESC "
                        "LIMIT 1").fetchall()
    return found[0][0] if found else None


def _checked(con: duckdb.DuckDBPyConnection, file_id: int, claim_file: claims.ClaimFile,
             release: Quarter) -> CheckedFile:
    """What the check stored, read back: counts, findings per severity, notes."""
    (claims_count, lines, last), = con.execute(
        "SELECT claims, lines, last_service FROM claim_files WHERE file_id = ?",
        [file_id]).fetchall()
    findings: dict[str, dict[str, int]] = {}
    for name, severity, count in con.execute(
            "SELECT finding, severity, count(*) FROM claim_findings WHERE file_id = ? "
            "GROUP BY ALL", [file_id]).fetchall():
        findings.setdefault(name, {})[severity] = count
    notes = list(claim_file.notes)
    if last is not None and last > release.last_day:
        newest = Quarter(last.year, (last.month - 1) // 3 + 1)
        notes.append(f"lines dated up to {last} are after the newest loaded release "
                     f"({release}): codes CMS added since are unknown; load "
                     f"{release.next()}{'..' + str(newest) if newest > release.next() else ''}"
                     " and check again")
    namesakes = sorted(name for (name,) in con.execute(
        "SELECT file_name FROM claim_files WHERE file_path <> ?", [str(claim_file.path)]
    ).fetchall() if Path(name).stem == claim_file.path.stem)
    if namesakes:
        notes.append(f"the workbook is named after the file stem, which {', '.join(namesakes)} "
                     "share(s): it now holds this file's findings (theirs stay in the database)")
    return CheckedFile(file_id, claim_file.path, claim_file.kind, release,
                       {"claims": claims_count, "lines": lines,
                        **{k: v for k, v in claim_file.counts.items() if k == "transactions"}},
                       findings, notes=notes)
