"""Match the practice's NOC drugs against a loaded release: verdicts, dates, units.

For each drug on the list we ask what a billing lead asks each quarter: has CMS given it a
permanent code, from which date of service must we use it, how do the billing units change,
and how sure are we. The first promise is **never a wrong switch**: a verdict names a code only
when the row identifies that one product; otherwise it is REVIEW with every candidate.

- Names: crosswalk.products finds the row's drug and brand words in the names CMS gives each
  code (HCPCS descriptors, crosswalk Drug Names), through the one normaliser in
  crosswalk.drug_names (dashes, case, strengths, package words, brand first or last...).
- NDC: the row's 11-digit NDC in any ASP NDC-HCPCS crosswalk up to the run's quarter
  (sql/match/30_ndc_candidates.sql); an NDC Excel shortened is restored only when exactly one
  reading of it is there (25_ndc_readings.sql).
- NOC pricing: a drug CMS prices as a NOC drug this quarter is confirmed NO_CODE_YET, with its
  NOC payment limit (50_noc_prices.sql).

The rules that turn the evidence into a verdict are `decide` below; every candidate and its
evidence is stored with the run (match_candidates).
"""

from __future__ import annotations

import gc
import math
import re
from contextlib import contextmanager
from functools import partial
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

import duckdb
import pandas as pd

from crosswalk import practice, products, schema, sqlfiles, text_table, warehouse
from crosswalk.drug_names import DrugWords, routes_named
from crosswalk.errors import BadInput
from crosswalk.ndc import readings, usable_ndcs
from crosswalk.quarters import Quarter
from crosswalk.settings import DEFAULT_WAIT_SECONDS, Settings
from crosswalk.text_table import shorten
from crosswalk.verdicts import NAMES as VERDICTS, early_warning

_UNIT = re.compile(r"(?:per\s+|up\s+to\s+)?(\d+(?:\.\d+)?)?\s*([a-z]+)")
# dose units that convert into one another, to a base unit of their dimension
_UNIT_SCALE = {"mg": ("mass", 1.0), "mcg": ("mass", 0.001), "g": ("mass", 1000.0),
               "ml": ("volume", 1.0), "l": ("volume", 1000.0), "units": ("units", 1.0),
               "meq": ("meq", 1.0), "mci": ("activity", 1000.0), "uci": ("activity", 1.0)}
_BIOLOGIC_STEM = re.compile(r"(mab|cept|kin|ase|stim|poetin|cogene|leucel)(-[a-z]{4})?\b")
_SUFFIXED = re.compile(r"-[a-z]{4}\b")
_COMPOUNDED = re.compile(r"(?<!non-)(?<!non )\bcompound(?:ed|ing)\b", re.IGNORECASE)

# how sure each way of finding a code is (match_candidates.score / confidence)
_FOUND_SCORE = {"exact": (100.0, "high"), "suffix missing": (95.0, "high"),
                "spelling": (85.0, "medium")}


@dataclass(frozen=True)
class Release:
    """The release a run matches against, as the verdict rules need it: its quarter, the day
    of the run (a code effective later is announced ahead, the early warning), and whether its
    ASP files are loaded yet (CMS posts them weeks after the HCPCS file)."""

    quarter: Quarter
    today: date
    asp_loaded: bool
    crosswalk_loaded: bool

    @classmethod
    def of(cls, con: duckdb.DuckDBPyConnection, quarter: Quarter,
           today: date | None = None) -> "Release":
        # fetchall: a fetchone leaves DuckDB 2.0's result open, and register() then refuses
        (asp, crosswalk), = sqlfiles.run_file(con, "match", "05_release_state",
                                              {"quarter": str(quarter)}).fetchall()
        return cls(quarter, today or date.today(), asp, crosswalk)


@dataclass
class Matching:
    """The result of matching a list against one release, before it is saved."""

    quarter: Quarter
    drugs: pd.DataFrame       # the list as matched (an NDC Excel shortened restored)
    candidates: pd.DataFrame
    alerts: pd.DataFrame
    comparisons: int


@dataclass
class MatchOutcome:
    """A saved match run: what `crosswalk match` prints and the reports read back."""

    run_id: int
    quarter: Quarter
    alerts: pd.DataFrame
    comparisons: int
    drugs_file: Path
    problems: list[BadInput] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # how the list was read (practice.py)
    today: date | None = None  # the day the list was matched as of

    def early_warning(self) -> str | None:
        """Matched before the release takes effect: when its new codes start; None once the
        release is in force."""
        ahead = None if self.today is None else early_warning(self.quarter.first_day, self.today)
        return f"Early warning: the {self.quarter} release {ahead}" if ahead else None

    def table(self) -> str:
        """A short terminal table: drug, verdict, new code, effective date; then bad rows."""
        rows = []
        for alert in plain_records(self.alerts):
            code = alert["new_code"] or (alert["candidate_codes"] or "")
            verdict = alert["verdict"] + ("" if alert["active"] is not False else " (inactive)")
            rows.append((shorten(alert["drug_name"], 34), verdict, code,
                         alert["effective_date"]))
        lines = text_table.render(("drug", "verdict", "new code", "effective"), rows,
                                  max_width=40).splitlines()
        active = self.alerts[self.alerts["active"] != False]  # noqa: E712 (pandas mask)
        counts = active["verdict"].value_counts()
        inactive = len(self.alerts) - len(active)
        lines.append("")
        lines.append(f"{len(self.alerts)} drug(s) matched against the {self.quarter} release "
                     f"(match run {self.run_id}, {self.comparisons:,} candidate comparisons): "
                     + ", ".join(f"{counts.get(v, 0)} {v}" for v in VERDICTS if counts.get(v))
                     + (f"; {inactive} inactive on your list (not counted)" if inactive else ""))
        if warning := self.early_warning():
            lines.append(warning)
        if self.problems:
            lines.append(f"{len(self.problems)} problem(s) in {self.drugs_file.name}; those "
                         "rows were not matched:")
            lines += [f"  {problem}" for problem in self.problems]
        lines += [f"warning: {self.drugs_file.name}: {warning}" for warning in self.warnings]
        return "\n".join(lines)


def match_practice(settings: Settings, quarter: Quarter | None, drugs_path: Path,
                   today: date | None = None,
                   wait_seconds: float = DEFAULT_WAIT_SECONDS) -> MatchOutcome:
    """Match a drug list against a loaded release and save the run in one transaction.

    quarter=None means the newest loaded HCPCS release. Bad rows in the list are reported
    in the outcome and left out; a list without one good row is refused. `today` (default:
    the real date) decides which new codes are announced ahead of their effective date.
    """
    if not settings.db_path.is_file():  # opening it would create it: a match creates nothing
        raise BadInput(f"nothing is loaded yet ({settings.db_path} does not exist): run "
                       f"`{warehouse.load_command(settings, quarter)}` first", field="quarter")
    drug_list = practice.read_drug_list(drugs_path)
    if drug_list.drugs.empty:
        detail = "; ".join(str(problem) for problem in drug_list.problems[:5])
        raise BadInput(f"no usable drug rows{': ' + detail if detail else ''}",
                       file=str(drugs_path))
    started = datetime.now(timezone.utc)
    as_of = today or date.today()
    with warehouse.open_writer(settings, wait_seconds) as con:
        run_quarter = release_quarter(con, quarter, warehouse.load_command(settings, quarter))
        result = match_drugs(con, run_quarter, drug_list.drugs, as_of)
        run_id = save_run(con, result, drug_list, started)
    alerts = result.alerts.assign(run_id=run_id)
    return MatchOutcome(run_id, run_quarter, alerts, result.comparisons, drugs_path,
                        drug_list.problems,
                        drug_list.warnings + practice.ndc_warnings(result.drugs), as_of)


def release_quarter(con: duckdb.DuckDBPyConnection, quarter: Quarter | None,
                    load_command: str) -> Quarter:
    """The run's release: the one asked for (it must be loaded) or the newest loaded;
    `load_command` is what the user should run when it is not."""
    loaded = [Quarter.parse(q) for (q,) in con.execute(
        "SELECT DISTINCT quarter FROM hcpcs_codes ORDER BY quarter").fetchall()]
    if not loaded:
        raise BadInput(f"no HCPCS release is loaded: run `{load_command}` first",
                       field="quarter")
    if quarter is None:
        return loaded[-1]
    if quarter not in loaded:
        if _loaded_without_hcpcs(con, quarter):  # CMS posted its ASP files first
            raise BadInput(f"the {quarter} release is loaded without its HCPCS file (not "
                           f"posted, or not downloaded yet): run `crosswalk download --quarter "
                           f"{quarter}` once CMS posts it, then `{load_command}`; the newest "
                           f"release with HCPCS codes is {loaded[-1]}", field="quarter")
        raise BadInput(f"the {quarter} HCPCS release is not loaded (loaded: "
                       f"{', '.join(map(str, loaded))}): run `{load_command}`", field="quarter")
    return quarter


def _loaded_without_hcpcs(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> bool:
    """Some of the release's files (its ASP files) are loaded, its HCPCS file is not."""
    return con.execute("SELECT count(*) > 0 FROM release_files WHERE quarter = ?",
                       [str(quarter)]).fetchone()[0]


def match_drugs(con: duckdb.DuckDBPyConnection, quarter: Quarter,
                drugs: pd.DataFrame, today: date | None = None) -> Matching:
    """Candidates and verdicts for `drugs` (practice_drugs columns) against one release, as
    of `today` (default: the real date)."""
    with _no_cycle_collection():
        return _match_drugs(con, quarter, drugs, today)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Matching allocates hundreds of thousands of small objects (names, words, candidates)
    that hold no reference cycles; CPython's cycle collector would re-scan them over and over
    (about a third of a 10,000-drug match). Reference counting still frees everything."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _match_drugs(con: duckdb.DuckDBPyConnection, quarter: Quarter,
                 drugs: pd.DataFrame, today: date | None) -> Matching:
    catalog = load_catalog(con, quarter)
    drugs = restore_ndcs(con, quarter, drugs)
    by_ndc = candidates_by_drug(_with_practice_input(
        con, ndc_lookups(drugs), lambda: sqlfiles.run_file(con, "match", "30_ndc_candidates",
                                                           {"quarter": str(quarter)}).df()))
    noc = NocPrices.load(con, quarter)
    records = plain_records(drugs)
    words = {drug["row_no"]: _row_words(catalog, drug) for drug in records}
    found = {row_no: products.identify(catalog, row) for row_no, row in words.items()}
    evidence = {row_no: evidence_rows(row_no, words[row_no], hit, by_ndc.get(row_no, []),
                                      catalog) for row_no, hit in found.items()}
    facts = code_facts(con, quarter, {c["code"] for rows in evidence.values() for c in rows})
    release = Release.of(con, quarter, today)
    alerts = [decide(drug, found[row_no], evidence[row_no], facts, release, noc.find(drug),
                     partial(products.supports, catalog, words[row_no]))
              for drug in records for row_no in (drug["row_no"],)]
    saved = (pd.DataFrame([row for rows in evidence.values() for row in rows],
                          columns=list(schema.run_columns("match_candidates")))
             .sort_values(["row_no", "score", "code"], ascending=[True, False, True])
             .drop_duplicates(["row_no", "code", "basis", "matched_field", "matched_text"])
             .reset_index(drop=True))
    comparisons = sum(found[r].compared for r in found) + sum(map(len, by_ndc.values()))
    table = pd.DataFrame(alerts, columns=list(schema.run_columns("practice_alerts")))
    return Matching(quarter, drugs, saved, table, comparisons)


def load_catalog(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> products.Catalog:
    """Every name CMS gives a permanent drug code in releases up to the run's quarter."""
    params = {"quarter": str(quarter)}
    descriptors = sqlfiles.run_file(con, "match", "10_cms_descriptors", params).fetchall()
    names = sqlfiles.run_file(con, "match", "15_crosswalk_names", params).fetchall()
    words = [word for (word,) in
             sqlfiles.run_file(con, "match", "16_cms_words", params).fetchall()]
    labelers = sqlfiles.run_file(con, "match", "17_crosswalk_labelers", params).fetchall()
    return products.build_catalog(
        ((code, text) for code, text, _, _ in descriptors), names,
        ended_codes=[code for code, _, term_date, _ in descriptors if term_date is not None],
        cms_words=words, labelers=labelers,
        successions=_successions(descriptors))


def _successions(descriptors: list[tuple[str, str, date | None, date | None]]
                 ) -> list[tuple[str, str]]:
    """(ended code, live code effective the day after it ended): C9159 -> J7165 (Balfaxar),
    J1300 -> J1299; the live code may carry the product on under other words."""
    starting: dict[date, list[str]] = {}
    for code, _, term_date, effective in descriptors:
        if term_date is None and effective is not None:
            starting.setdefault(effective, []).append(code)
    return [(code, live) for code, _, term_date, _ in descriptors if term_date is not None
            for live in starting.get(term_date + timedelta(days=1), ())]


def _row_words(catalog: products.Catalog, drug: Mapping[str, Any]) -> DrugWords:
    return catalog.row_words(drug["drug_name"], drug.get("brand_name"),
                             route=_route(drug.get("route")))


def _route(text: str | None) -> str | None:
    routes = routes_named(text) if text else frozenset()
    return next(iter(routes)) if len(routes) == 1 else None


def evidence_rows(row_no: int, row: DrugWords, found: products.Identification,
                  by_ndc: list[dict[str, Any]],
                  catalog: products.Catalog) -> list[dict[str, Any]]:
    """match_candidates rows for one drug: each code its NDC maps to, each name found, each
    name outranked by a fuller one (low), then each sibling (a code whose generic name holds
    the row's words and more), so a verdict shows what it beat and a REVIEW its reasons."""
    columns = schema.run_columns("match_candidates")
    rows = [{key: row[key] for key in columns} | {"bill_units_pkg": row.get(
        "bill_units_pkg"), "ndc11": row.get("ndc11")} for row in by_ndc]
    how = "spelling" if found.how == "spelling" else None
    for hit in found.found:
        score, confidence = _FOUND_SCORE[how or ("suffix missing" if hit.suffix_missing
                                                 else "exact")]
        rows.append(_candidate(row_no, hit.entry, score, confidence))
    rows += [_candidate(row_no, hit.entry, _FOUND_SCORE["spelling"][0], "low")
             for hit in found.outranked]
    for code in found.siblings:
        entry = catalog.generic_entry(code)
        if entry is not None:  # the share of its generic name the row holds
            share = len(row.texts & entry.words.texts) / len(entry.words.texts)
            rows.append(_candidate(row_no, entry, round(100.0 * share, 1), "low"))
    return rows


def _candidate(row_no: int, entry: products.Entry, score: float,
               confidence: str) -> dict[str, Any]:
    return {"row_no": row_no, "code": entry.code, "basis": entry.basis,
            "matched_field": entry.matched_field, "matched_text": entry.matched_text,
            "score": score, "confidence": confidence, "bill_units_pkg": None}


def restore_ndcs(con: duckdb.DuckDBPyConnection, quarter: Quarter,
                 drugs: pd.DataFrame) -> pd.DataFrame:
    """Restore an NDC Excel shortened (143937701) when exactly one 11-digit reading of it is
    in the CMS crosswalk; otherwise the drug keeps no NDC and its note says why."""
    unusable = drugs[drugs["ndc11"].isna() & drugs["ndc_raw"].notna()]
    wanted = pd.DataFrame([(row_no, reading) for row_no, raw in
                           zip(unusable["row_no"], unusable["ndc_raw"])
                           for reading in readings(raw)], columns=["row_no", "ndc11"])
    if wanted.empty:
        return drugs
    with sqlfiles.registered(con, {"ndc_readings": wanted}):
        found = sqlfiles.run_file(con, "match", "25_ndc_readings",
                                  {"quarter": str(quarter)}).fetchall()
    by_row: dict[int, list[str]] = {}
    for row_no, ndc11 in found:
        by_row.setdefault(row_no, []).append(ndc11)
    restored = drugs.copy()
    for index, row_no, raw in zip(unusable.index, unusable["row_no"], unusable["ndc_raw"]):
        hits = by_row.get(row_no, [])
        if len(hits) == 1:
            restored.loc[index, "ndc11"] = hits[0]
            restored.loc[index, "ndc_note"] = (
                f"NDC {raw!r} restored as {_ndc_542(hits[0])}: the only reading of it in the "
                "CMS NDC-HCPCS crosswalk")
        elif hits:
            restored.loc[index, "ndc_note"] += (
                f"; {len(hits)} readings are in the CMS crosswalk "
                f"({', '.join(map(_ndc_542, hits))}): give the 11-digit NDC")
    return restored


def ndc_lookups(drugs: pd.DataFrame) -> pd.DataFrame:
    """(row_no, ndc11) for every NDC of every drug to look up in the crosswalk: each usable NDC
    of its cell (a charge line may hold the NDCs of several products, and each one's code
    counts), or the NDC restored from a shortened one."""
    pairs = [(row_no, ndc) for row_no, raw, restored in
             zip(drugs["row_no"], drugs["ndc_raw"], drugs["ndc11"])
             for ndc in (usable_ndcs(raw) if isinstance(raw, str) else [])
             or ([restored] if isinstance(restored, str) else [])]
    return pd.DataFrame(pairs, columns=["row_no", "ndc11"], dtype="object")


def _with_practice_input(con: duckdb.DuckDBPyConnection, drugs: pd.DataFrame,
                         query: Any) -> pd.DataFrame:
    with sqlfiles.registered(con, {"practice_input": drugs}):
        return query()


@dataclass
class NocPrices:
    """The quarter's NOC pricing lines as names to find, and the NDCs its crosswalk lists."""

    catalog: products.Catalog | None
    lines: dict[str, dict[str, Any]]
    by_ndc: dict[str, str]

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection, quarter: Quarter) -> "NocPrices":
        rows = [dict(zip(("line_no", "drug_name", "dosage", "payment_limit", "ndcs"), row))
                for row in sqlfiles.run_file(con, "match", "50_noc_prices",
                                             {"quarter": str(quarter)}).fetchall()]
        lines = {f"NOC line {row['line_no']}": row for row in rows}
        catalog = products.build_catalog(((key, row["drug_name"]) for key, row in lines.items()),
                                         ()) if lines else None
        by_ndc = {ndc: key for key, row in lines.items() for ndc in row["ndcs"] or ()}
        return cls(catalog, lines, by_ndc)

    def find(self, drug: Mapping[str, Any]) -> dict[str, Any] | None:
        """The NOC pricing line the drug is on (by NDC, else by name), or None."""
        if not self.lines or self.catalog is None:
            return None
        key = self.by_ndc.get(drug.get("ndc11") or "")
        if key is None:
            named = products.identify(self.catalog, _row_words(self.catalog, drug))
            key = named.codes[0] if named.settled else None
        return self.lines.get(key) if key else None


def code_facts(con: duckdb.DuckDBPyConnection, quarter: Quarter,
               codes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Per candidate code: dates, successor, dose descriptor, package facts, ASP limit."""
    wanted = pd.DataFrame({"code": sorted(set(codes))}, dtype="object")
    with sqlfiles.registered(con, {"candidate_codes": wanted}):
        result = sqlfiles.run_file(con, "match", "40_code_facts", {"quarter": str(quarter)})
        names = [column[0] for column in result.description]
        rows = result.fetchall()
    return {row[0]: dict(zip(names, row)) for row in rows}


def plain_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with missing values (NaN, NaT, NA) as None, so rules test them plainly."""
    columns = {name: [None if _missing(value) else value for value in frame[name].tolist()]
               for name in frame.columns}
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


def candidates_by_drug(candidates: pd.DataFrame) -> dict[int, list[dict[str, Any]]]:
    """row_no -> its candidate rows as plain dicts (missing values as None), in one pass."""
    grouped: dict[int, list[dict[str, Any]]] = {}
    for row in plain_records(candidates):
        grouped.setdefault(int(row["row_no"]), []).append(row)
    return grouped


# --------------------------------------------------------------------------------------------
# Verdicts
# --------------------------------------------------------------------------------------------


@dataclass
class _Choice:
    """The codes a row names, the codes it does not rule out, and why it is not settled."""

    codes: set[str]
    others: set[str] = field(default_factory=set)
    doubt: str | None = None


def choose(found: products.Identification, evidence: list[dict[str, Any]],
           fits_name: Callable[[str], bool]) -> _Choice:
    """Names and NDC together: an NDC settles among the names' candidates; the two
    disagreeing is a conflict, and so is an NDC whose code does not fit a drug name the row
    gives (the reference's NDC beside an uncoded biosimilar); a spelling to confirm, drug
    words the codes do not explain, a generic several codes carry or a doubt leave the row
    unsettled."""
    ndc = {c["code"] for c in evidence if c["basis"] == "ndc"}
    named, others = set(found.codes), set(found.siblings)
    if split := _ndcs_of_different_products(evidence):
        return _Choice(ndc | (named if found.settled else set()), doubt=split)
    if ndc and (named or others):
        both = ndc & (named | others)
        if both:
            return _Choice(both)
        return _Choice(ndc | named, doubt=(f"conflict: the NDC maps to {_list(ndc)} but the "
                                           f"name matches {_list(named | others)}"))
    if ndc and found.unexplained and not any(fits_name(code) for code in ndc):
        return _Choice(ndc, doubt=(f"conflict: the NDC maps to {_list(ndc)} but the name "
                                   f"says {', '.join(found.unexplained)}"))
    if ndc:
        return _Choice(ndc)
    if found.doubt:
        return _Choice(named, others, found.doubt)
    if found.how == "partial":
        return _Choice(others, doubt=f"the name on your list is only part of the names CMS "
                                     f"gives {_list(others)}: confirm the product")
    if found.conflict:
        return _Choice(named, doubt=f"conflict: {found.conflict}")
    if found.how == "spelling":
        return _Choice(named, others, f"{found.notes[0]}: confirm the name")
    if found.unexplained and named:
        return _Choice(named, others, f"your list names more than {_list(named)} covers "
                                      f"({', '.join(found.unexplained)}): confirm the product")
    return _Choice(named, others)


def decide(drug: Mapping[str, Any], found: products.Identification,
           evidence: list[dict[str, Any]], facts: Mapping[str, dict[str, Any]],
           release: "Release", noc: Mapping[str, Any] | None = None,
           fits_name: Callable[[str], bool] = lambda code: True) -> dict[str, Any]:
    """One drug's alert row: verdict, the DOS rule, units advice and the evidence.

    Rules, in order: `choose` (names and NDC). Office drugs drop C-codes (OPPS only); hospital
    outpatient drugs prefer a J/Q code to a C-code. Live codes beat ended ones. One live code
    the row settles -> NEW_CODE (effective on/after the release's first day) or PAST_DUE;
    several, or a doubt -> REVIEW listing them; only ended codes -> CODE_ENDED with the XREF
    successor; nothing -> NO_CODE_YET. A payer rule on the row (keep_code) turns any of
    these into KEEP_PAYER_RULE, still naming the code.
    """
    alert = _blank_alert(drug, release.quarter)
    hints = family_hints(drug, set()) + [drug.get("ndc_note"), *found.notes]
    if drug.get("ndc11") and not release.crosswalk_loaded:
        hints.append(f"ASP files not posted yet: no {release.quarter} NDC-HCPCS crosswalk is "
                     "loaded, the NDC was looked up in earlier ones")
    choice = choose(found, evidence, fits_name)
    codes, site_note = _for_setting(drug, choice.codes)
    others, _ = _for_setting(drug, choice.others)
    hints.append(site_note)
    if not codes:
        alert = _nothing_found(alert, drug, found, evidence, hints, choice, noc, release)
    else:
        doubt = _compounded(drug, codes | others, facts) or choice.doubt
        alert = _from_codes(alert, drug, codes, others, doubt, evidence, facts, release, hints)
    if noc and alert["verdict"] != "NO_CODE_YET":
        alert["hints"] = _joined([alert["hints"], f"CMS's {release.quarter} NOC pricing file "
                                  f"also lists {noc['drug_name']}"])
    return _payer_rule(alert, drug) if drug.get("keep_code") else alert


def _from_codes(alert: dict[str, Any], drug: Mapping[str, Any], codes: set[str],
                others: set[str], doubt: str | None, evidence: list[dict[str, Any]],
                facts: Mapping[str, dict[str, Any]], release: "Release",
                hints: list[str | None]) -> dict[str, Any]:
    live = {c for c in codes if not facts.get(c, {}).get("term_date")}
    live_others = {c for c in others if not facts.get(c, {}).get("term_date")}
    if live:
        pool = live | live_others
        if doubt or len(pool) > 1:
            return _review(alert, evidence, sorted(pool), hints, doubt or _several(
                live, live_others, evidence))
        code = next(iter(live))
    elif doubt or live_others or (len(codes) > 1 and _distinct_successors(codes, facts)):
        pool = codes | live_others
        return _review(alert, evidence, sorted(pool), hints,
                       doubt or _several(codes, live_others, evidence))
    else:
        code = max(codes, key=lambda c: facts[c]["term_date"])
    return _verdict_for(alert, drug, code, evidence, facts, release,
                        hints + family_hints(drug, {code}, facts))


def _compounded(drug: Mapping[str, Any], codes: set[str],
                facts: Mapping[str, dict[str, Any]]) -> str | None:
    """A compounded drug (billed on J7999, or called compounded on the list) is never switched
    to a code for the manufactured product: CMS codes compounded preparations apart (J7604
    'compounded product' vs J7608 'fda-approved final product, non-compounded'), and J7999
    is 'Compounded drug, not otherwise classified'."""
    said = " ".join(str(drug.get(key) or "") for key in ("drug_name", "brand_name", "notes"))
    if drug["current_code"] != "J7999" and not _COMPOUNDED.search(said):
        return None
    manufactured = sorted(code for code in codes if not _COMPOUNDED.search(
        facts.get(code, {}).get("long_description") or ""))
    if not manufactured:
        return None
    return (f"a compounded preparation ({drug['current_code']}): {', '.join(manufactured)} "
            "describes the manufactured drug, and a compounded drug stays on J7999 unless a "
            "code names the compounded product; confirm with the payer")


def _ndcs_of_different_products(evidence: list[dict[str, Any]]) -> str | None:
    """A charge line holding the NDCs of two products (no code in common: Herceptin's J9355
    and Kanjinti's Q5117, Truxima's and Riabni's) names neither alone, whatever its name
    says: why, or None when the NDCs agree (package sizes of one product)."""
    ndcs: dict[str, set[str]] = {}
    for candidate in (c for c in evidence if c["basis"] == "ndc"):
        ndcs.setdefault(candidate["ndc11"], set()).add(candidate["code"])
    if not any(not mine & theirs for mine in ndcs.values() for theirs in ndcs.values()):
        return None
    return ("the NDCs on your list name different codes (" + "; ".join(
        f"{_ndc_542(ndc)}: {_list(codes)}" for ndc, codes in sorted(ndcs.items()))
        + "): list each product on a line of its own")


def _several(codes: set[str], others: set[str], evidence: list[dict[str, Any]]) -> str:
    by_ndc = {c["code"] for c in evidence if c["basis"] == "ndc"}
    if codes <= by_ndc and not others:
        return (f"the NDC maps to {len(codes)} codes: {_list(codes)}; pick the one that fits "
                "the product and route")
    if others:
        return (f"several codes carry this name ({_list(codes | others)}): add the brand, the "
                "NDC or the full product name to your list")
    return (f"several codes match equally well: {_list(codes)}; pick the one that fits the "
            "product and route")


def _nothing_found(alert: dict[str, Any], drug: Mapping[str, Any],
                   found: products.Identification, evidence: list[dict[str, Any]],
                   hints: list[str | None], choice: _Choice, noc: Mapping[str, Any] | None,
                   release: "Release") -> dict[str, Any]:
    """NO_CODE_YET, unless the row's suffix is one letter from a coded product's (REVIEW)."""
    if choice.codes:  # only OPPS C-codes, and the drug is given in the office
        return _no_code(alert, hints, "matched only hospital outpatient C-codes", noc,
                        release.quarter)
    near = found.near_misses
    if near:
        return _review(alert, evidence, sorted({code for _, code in near}), hints,
                       "; ".join(f"the suffix of {mine} is one letter away from {code}'s"
                                 for mine, code in near) + ": check the suffix")
    why = f"no NDC or name match among permanent codes in releases through {release.quarter}"
    if found.unexplained:
        why += f" (looked for {', '.join(found.unexplained)})"
    return _no_code(alert, hints, why, noc, release.quarter)


def _verdict_for(alert: dict[str, Any], drug: Mapping[str, Any], code: str,
                 evidence: list[dict[str, Any]], facts: Mapping[str, dict[str, Any]],
                 release: "Release", hints: list[str | None]) -> dict[str, Any]:
    fact = facts.get(code) or {}
    chosen = [c for c in evidence if c["code"] == code]
    alert.update(new_code=code, new_code_descriptor=fact.get("long_description"),
                 match_basis="+".join(sorted({c["basis"] for c in chosen})),
                 confidence="high", evidence=_evidence(chosen, evidence, code),
                 candidate_codes=", ".join(sorted({c["code"] for c in evidence})))
    effective = fact.get("effective_date")
    if effective is None:
        return _review(alert, evidence, [code], hints,
                       f"{code} is not in the HCPCS releases loaded through "
                       f"{release.quarter}")
    current = drug["current_code"]
    alert["effective_date"] = effective
    alert.update(billing_advice(drug, fact, chosen))
    alert["asp_payment_limit"] = fact.get("payment_limit")
    if fact.get("payment_limit") is None:
        hints = hints + [_price_note(code, fact, release)]
    if fact.get("term_date"):
        return _code_ended(alert, code, fact, current, hints)
    on = effective.isoformat()
    alert["dos_rule"] = f"DOS before {on}: keep {current}; on or after {on}: bill {code}"
    if effective > release.today:  # early warning: the code is not in force yet
        alert.update(verdict="NEW_CODE", action=(
            f"Takes effect on {on}: bill {code} for dates of service from then "
            f"({_unit_phrase(alert)} instead of 1 unit of {current}); keep {current} until "
            f"{effective - timedelta(days=1)}; update the chargemaster before {on}."))
    elif effective >= release.quarter.first_day:
        alert.update(verdict="NEW_CODE", action=(
            f"Switch to {code} for dates of service on or after {on}; bill "
            f"{_unit_phrase(alert)} instead of 1 unit of {current}; update the chargemaster."))
    else:
        alert.update(verdict="PAST_DUE", action=(
            f"Switch to {code} now: it has applied since {on}, so {current} claims with "
            f"dates of service on or after {on} are wrong and may deny; review them."))
    alert["hints"] = _joined(hints)
    return alert


def _code_ended(alert: dict[str, Any], code: str, fact: Mapping[str, Any], current: str,
                hints: list[str | None]) -> dict[str, Any]:
    ended = fact["term_date"].isoformat()
    successor = fact.get("successor_code")
    after = (f"bill successor {successor}" if successor
             else f"no successor in XREF: check the release notes (keep {current} only if no "
                  "code applies)")
    alert.update(verdict="CODE_ENDED", term_date=fact["term_date"], successor_code=successor,
                 dos_rule=f"DOS through {ended}: bill {code}; after {ended}: {after}",
                 action=(f"{code} ended {ended}: use {successor} for later dates of service."
                         if successor else f"{code} ended {ended} with no successor listed."),
                 hints=_joined(hints))
    return alert


def _review(alert: dict[str, Any], evidence: list[dict[str, Any]], codes: list[str],
            hints: list[str | None], reason: str) -> dict[str, Any]:
    alert.update(verdict="REVIEW", new_code=None, new_code_descriptor=None, effective_date=None,
                 billing_unit=None, units_per_package=None, units_for_dose=None,
                 asp_payment_limit=None, units_note=None,
                 candidate_codes=", ".join(codes),
                 match_basis="+".join(sorted({c["basis"] for c in evidence
                                              if c["code"] in codes})) or None,
                 confidence=max((c["confidence"] for c in evidence if c["code"] in codes),
                                key=["low", "medium", "high"].index, default="low"),
                 evidence=_evidence([c for c in evidence if c["code"] in codes], evidence),
                 dos_rule=f"keep {alert['current_code']} until the code is confirmed; "
                          "then bill the confirmed code from its effective date",
                 action=f"Review: {reason}.", hints=_joined(hints))
    return alert


def _no_code(alert: dict[str, Any], hints: list[str | None], why: str,
             noc: Mapping[str, Any] | None, quarter: Quarter) -> dict[str, Any]:
    current = alert["current_code"]
    action = (f"Keep billing {current} with the NOC claim narrative (drug name, dose, NDC) "
              "on the claim.")
    if noc:
        limit = noc["payment_limit"]
        priced = f"{limit} per {noc['dosage']}" if limit is not None else "no limit printed"
        why = (f"CMS prices {noc['drug_name']} as a NOC drug in {quarter} ({priced}): no "
               "permanent code yet")
        alert.update(noc_payment_limit=limit, noc_dosage=noc["dosage"])
        action = (f"Keep billing {current}: CMS prices it as a NOC drug this quarter "
                  f"({priced}); put the NOC claim narrative on the claim.")
    alert.update(verdict="NO_CODE_YET", dos_rule=f"all DOS: keep {current} (1 unit per line)",
                 billing_unit="1 unit per claim line (NOC)", units_for_dose=1.0,
                 action=action, evidence=why, hints=_joined(hints))
    return alert


def _payer_rule(alert: dict[str, Any], drug: Mapping[str, Any]) -> dict[str, Any]:
    """keep_code = yes on the list: the payer's rule wins over the switch, never silently."""
    current, payer = drug["current_code"], drug.get("payer") or "this payer"
    reason = f" ({drug['notes']})" if drug.get("notes") else ""
    code, since = alert.get("new_code"), alert.get("effective_date")
    exists = (f"; CMS's permanent code {code} has applied since {since.isoformat()} for "
              "other payers" if code and since else
              f"; candidate codes: {alert['candidate_codes']}" if alert.get("candidate_codes")
              else "; CMS has no permanent code for it yet")
    alert.update(verdict="KEEP_PAYER_RULE",
                 dos_rule=f"all DOS for {payer}: keep {current} (payer rule on your list)",
                 action=f"Keep billing {current} for {payer}: payer rule on your list{reason}"
                        f"{exists}.")
    return alert


def _blank_alert(drug: Mapping[str, Any], quarter: Quarter) -> dict[str, Any]:
    alert: dict[str, Any] = dict.fromkeys(schema.run_columns("practice_alerts"))
    alert.update({key: drug.get(key) for key in (
        "row_no", "drug_name", "brand_name", "ndc11", "current_code", "setting", "active")})
    alert["quarter"] = str(quarter)
    return alert


def _for_setting(drug: Mapping[str, Any], pool: set[str]) -> tuple[set[str], str | None]:
    """C-codes are OPPS-only: an office drug cannot switch to one; a hospital outpatient drug
    with both a C-code and a J/Q code is steered to the permanent J/Q code."""
    c_codes = {code for code in pool if code.startswith("C")}
    if not c_codes:
        return pool, None
    if drug["setting"] == "office":
        listed = ", ".join(sorted(c_codes))
        return pool - c_codes, (f"{listed} is for hospital outpatient claims only; office "
                                f"claims keep {drug['current_code']} until a J/Q code is "
                                "assigned")
    if pool - c_codes:
        return pool - c_codes, None
    return pool, None


def _distinct_successors(pool: set[str], facts: Mapping[str, dict[str, Any]]) -> bool:
    return len({facts.get(code, {}).get("successor_code") for code in pool}) > 1


def family_hints(drug: Mapping[str, Any], codes: set[str],
                 facts: Mapping[str, dict[str, Any]] | None = None) -> list[str | None]:
    """Hints when the NOC code on the list looks wrong for the drug or the setting."""
    current, name = drug["current_code"], (drug.get("drug_name") or "").lower()
    hints: list[str | None] = []
    if current == "C9399" and drug["setting"] == "office":
        hints.append("C9399 is for hospital outpatient (OPPS) claims only; office claims use "
                     "J3590 (biologics), J3490 (other drugs) or J9999 (antineoplastics)")
    if current == "J3490" and is_biologic(name):
        hints.append("looks like a biologic (its name has a biologic stem or an FDA suffix): "
                     "unclassified biologics go under J3590, not J3490")
    descriptors = " ".join((facts or {}).get(code, {}).get("long_description") or ""
                           for code in codes).lower()
    antineoplastic = any(code.startswith("J9") for code in codes) or any(
        word in descriptors for word in ("antineoplastic", "chemotherapy"))
    if codes and antineoplastic and current in ("J3590", "J3490", "J7999"):
        hints.append(f"{', '.join(sorted(codes))} is in the antineoplastic range: while it was "
                     f"billed as NOC, J9999 (not {current}) was the right NOC code")
    return hints


def is_biologic(name: str) -> bool:
    """Biologic names carry an FDA 4-letter suffix or a biologic stem (-mab, -cept, ...)."""
    return bool(_SUFFIXED.search(name) or _BIOLOGIC_STEM.search(name))


# --------------------------------------------------------------------------------------------
# Billing units
# --------------------------------------------------------------------------------------------


def billing_advice(drug: Mapping[str, Any], fact: Mapping[str, Any],
                   chosen: list[dict[str, Any]]) -> dict[str, Any]:
    """Billing unit, units per package (the practice's NDC when crosswalked, else the
    code's only package value) and units for the practice's dose, with a note saying how."""
    unit_text = fact.get("billing_unit") or (fact.get("crosswalk_dosage") or "").lower() or None
    notes = []
    per_package = next((c["bill_units_pkg"] for c in chosen
                        if c["basis"] == "ndc" and c.get("bill_units_pkg") is not None), None)
    packages = fact.get("units_per_package") or []
    if per_package is None and len(packages) == 1:
        per_package = packages[0]
    elif per_package is None and packages:
        notes.append(f"units per package vary by NDC ({_num(min(packages))} to "
                     f"{_num(max(packages))}); give the NDC for one figure")
    units, how = units_for_dose(drug.get("dose_amount"), drug.get("dose_unit"), unit_text)
    if drug.get("dose"):
        notes.append(how)
    return {"billing_unit": unit_text, "units_per_package": per_package,
            "units_for_dose": units, "units_note": _joined(notes)}


def units_for_dose(amount: float | None, unit: str | None,
                   billing_unit: str | None) -> tuple[float | None, str]:
    """450 mg at '1 mg' -> 450; at '10 mg' -> 45; a fraction rounds up to whole units."""
    size, per = parse_billing_unit(billing_unit)
    if amount is None or not unit:
        return None, "dose has no amount and unit (e.g. '450 mg'): units not computed"
    if "/" in unit:
        return None, (f"dose is per {unit.split('/', 1)[1]}: units depend on the patient "
                      f"(1 unit = {billing_unit})")
    if size is None or per not in _UNIT_SCALE or unit not in _UNIT_SCALE:
        return None, f"billing unit {billing_unit!r} cannot be converted from {unit}"
    (have, have_scale), (want, want_scale) = _UNIT_SCALE[unit], _UNIT_SCALE[per]
    if have != want:
        return None, f"dose in {unit} cannot be converted to the billing unit {billing_unit!r}"
    exact = round(amount * have_scale / (size * want_scale), 6)
    units = float(math.ceil(exact))
    rounded = "" if units == exact else f", rounded up from {_num(exact)}"
    return units, f"{_num(amount)} {unit} / {billing_unit} = {_num(units)} units{rounded}"


def parse_billing_unit(text: str | None) -> tuple[float | None, str | None]:
    """'10 mg' -> (10, 'mg'); 'per ml' -> (1, 'ml'); 'up to 50 mg' -> (50, 'mg')."""
    found = _UNIT.search((text or "").lower())
    if not found:
        return None, None
    return float(found[1] or 1), practice.normalize_unit(found[2])


# --------------------------------------------------------------------------------------------
# Saving a run
# --------------------------------------------------------------------------------------------


def save_run(con: duckdb.DuckDBPyConnection, result: Matching, drug_list: practice.DrugList,
             started: datetime) -> int:
    """Write the run, the list, the candidates and the alerts in ONE transaction."""
    (run_id,), = con.execute("SELECT nextval('match_run_ids')").fetchall()
    frames = {
        "run_row": pd.DataFrame([{
            "run_id": run_id, "quarter": str(result.quarter),
            "drugs_file": str(drug_list.path), "drugs_sha256": drug_list.sha256,
            "started_at": started, "drug_count": len(drug_list.drugs),
            "comparisons": result.comparisons}]),
        "drug_rows": drug_list.drugs.assign(run_id=run_id),
        "candidate_rows": result.candidates.assign(run_id=run_id),
        "alert_rows": result.alerts.assign(run_id=run_id),
    }
    with sqlfiles.registered(con, frames):
        con.execute("BEGIN TRANSACTION")
        try:
            sqlfiles.run_file(con, "match", "90_save_run")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return run_id


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _evidence(chosen: list[dict[str, Any]], everything: list[dict[str, Any]],
              code: str | None = None) -> str:
    """The best few reasons, then a word on the runners-up, so a reviewer sees both sides."""
    best = sorted(chosen, key=lambda c: (-c["score"], c["basis"]))[:4]
    parts = [f"{c['basis']}: {c['matched_field']} '{c['matched_text']}' -> {c['code']} "
             f"({_num(c['score'])})" for c in best]
    others = sorted({c["code"] for c in everything} - {code} - {c["code"] for c in chosen})
    if code and others:
        parts.append(f"also considered: {', '.join(others)}")
    return "; ".join(parts)


def _list(codes: Iterable[str]) -> str:
    return ", ".join(sorted(codes))


def _ndc_542(ndc11: str) -> str:
    return f"{ndc11[:5]}-{ndc11[5:9]}-{ndc11[9:]}"


def _price_note(code: str, fact: Mapping[str, Any], release: "Release") -> str:
    if not release.asp_loaded:
        where = f"ASP files not posted yet: no {release.quarter} payment limit file is loaded"
    else:
        where = f"{code} has no payment limit in the {release.quarter} ASP file"
    if fact.get("latest_payment_limit") is not None:
        return (f"{where}; newest known {fact['latest_payment_limit']} "
                f"({fact['latest_asp_quarter']})")
    if not release.asp_loaded:
        return where
    return f"{code} has no ASP payment limit yet (ASP lists new codes a quarter or more later)"


def _unit_phrase(alert: Mapping[str, Any]) -> str:
    unit = alert.get("billing_unit") or "its dose descriptor"
    if alert.get("units_for_dose"):
        return f"{_num(alert['units_for_dose'])} units (1 unit = {unit})"
    return f"units of {unit}"


def _joined(parts: Iterable[str | None]) -> str | None:
    kept = [part for part in dict.fromkeys(parts) if part]
    return "; ".join(kept) or None


def _missing(value: Any) -> bool:
    return value is None or value is pd.NaT or value is pd.NA or (
        isinstance(value, float) and math.isnan(value))


def _num(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


