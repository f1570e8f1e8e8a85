"""Match the practice's NOC drugs against a loaded release: verdicts, dates, units.

For each drug on the list we ask what a billing lead asks each quarter: has CMS given it a
permanent code, from which date of service must we use it, how do the billing units change,
and how sure are we. Evidence comes from two directions and both are kept:

- NDC: the practice NDC (11-digit) in any ASP NDC-HCPCS crosswalk up to the run's quarter;
- name: the generic name (its biosimilar suffix must agree exactly) or brand, scored with
  rapidfuzz against the generic part of HCPCS long descriptions, the brands they name in
  parentheses and the crosswalk's Drug Name column.

Candidates are blocked in SQL (sql/match/: shared word and same suffix) before rapidfuzz
scores them, so no full cross product is ever formed; the number of comparisons is stored
with the run. The verdict rules (below, `decide`) prefer no silent pick: NDC and name
disagreeing, several live codes, or only a medium/low score all mean REVIEW.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping

import duckdb
import pandas as pd
from rapidfuzz import fuzz, process

from crosswalk import practice, warehouse
from crosswalk.archive import file_sha256
from crosswalk.errors import BadInput
from crosswalk.quarters import Quarter
from crosswalk.settings import SQL_DIR, Settings

VERDICTS = ("NEW_CODE", "PAST_DUE", "NO_CODE_YET", "REVIEW", "CODE_ENDED")
HIGH, MEDIUM, LOW = 90.0, 75.0, 60.0  # name score thresholds for high/medium/low confidence
_PARAMETER = re.compile(r"\$([A-Za-z_]\w*)")
_UNIT = re.compile(r"(?:per\s+|up\s+to\s+)?(\d+(?:\.\d+)?)?\s*([a-z]+)")
# dose units that convert into one another, to a base unit of their dimension
_UNIT_SCALE = {"mg": ("mass", 1.0), "mcg": ("mass", 0.001), "g": ("mass", 1000.0),
               "ml": ("volume", 1.0), "l": ("volume", 1000.0), "units": ("units", 1.0),
               "meq": ("meq", 1.0), "mci": ("activity", 1000.0), "uci": ("activity", 1.0)}
_BIOLOGIC_STEM = re.compile(r"(mab|cept|kin|ase|stim|poetin|cogene|leucel)(-[a-z]{4})?\b")
_SUFFIXED = re.compile(r"-[a-z]{4}\b")

CANDIDATE_COLUMNS = ("row_no", "code", "basis", "matched_field", "matched_text", "score",
                     "confidence")
ALERT_COLUMNS = ("quarter", "row_no", "drug_name", "brand_name", "ndc11", "current_code",
                 "setting", "verdict", "new_code", "new_code_descriptor", "effective_date",
                 "term_date", "successor_code", "dos_rule", "billing_unit",
                 "units_per_package", "units_for_dose", "asp_payment_limit", "match_basis",
                 "confidence", "evidence", "action", "hints", "candidate_codes", "units_note",
                 "active")


@dataclass
class Matching:
    """The result of matching a list against one release, before it is saved."""

    quarter: Quarter
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

    def table(self) -> str:
        """A short terminal table: drug, verdict, new code, effective date; then bad rows."""
        rows = [("drug", "verdict", "new code", "effective")]
        for alert in plain_records(self.alerts):
            code = alert["new_code"] or (alert["candidate_codes"] or "")
            rows.append((_shorten(alert["drug_name"], 34), alert["verdict"], code,
                         _day(alert["effective_date"])))
        widths = [max(len(str(row[i])) for row in rows) for i in range(4)]
        lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip()
                 for row in rows]
        counts = self.alerts["verdict"].value_counts()
        lines.append("")
        lines.append(f"{len(self.alerts)} drug(s) matched against the {self.quarter} release "
                     f"(match run {self.run_id}, {self.comparisons:,} candidate comparisons): "
                     + ", ".join(f"{counts.get(v, 0)} {v}" for v in VERDICTS if counts.get(v)))
        if self.problems:
            lines.append(f"{len(self.problems)} problem(s) in {self.drugs_file.name}; those "
                         "rows were not matched:")
            lines += [f"  {problem}" for problem in self.problems]
        return "\n".join(lines)


def match_practice(settings: Settings, quarter: Quarter | str | None,
                   drugs_path: Path | str) -> MatchOutcome:
    """Match a drug list against a loaded release and save the run in one transaction.

    quarter=None means the newest loaded HCPCS release. Bad rows in the list are reported
    in the outcome and left out; a list without one good row is refused.
    """
    drugs_path = Path(drugs_path)
    if not settings.db_path.is_file():  # opening it would create it: a match creates nothing
        raise BadInput(f"nothing is loaded yet ({settings.db_path} does not exist): run "
                       f"`{warehouse.load_command(settings, quarter)}` first", field="quarter")
    drug_list = practice.read_drug_list(drugs_path)
    if drug_list.drugs.empty:
        detail = "; ".join(str(problem) for problem in drug_list.problems[:5])
        raise BadInput(f"no usable drug rows{': ' + detail if detail else ''}",
                       file=str(drugs_path))
    started = datetime.now(timezone.utc)
    with warehouse.open_writer(settings) as con:
        run_quarter = release_quarter(con, quarter, warehouse.load_command(settings, quarter))
        result = match_drugs(con, run_quarter, drug_list.drugs)
        run_id = save_run(con, result, drug_list, started)
    alerts = result.alerts.assign(run_id=run_id)
    return MatchOutcome(run_id, run_quarter, alerts, result.comparisons, drugs_path,
                        drug_list.problems)


def release_quarter(con: duckdb.DuckDBPyConnection, quarter: Quarter | str | None,
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
    wanted = Quarter.parse(quarter)
    if wanted not in loaded:
        raise BadInput(f"the {wanted} HCPCS release is not loaded (loaded: "
                       f"{', '.join(map(str, loaded))}): run `{load_command}`", field="quarter")
    return wanted


def match_drugs(con: duckdb.DuckDBPyConnection, quarter: Quarter,
                drugs: pd.DataFrame) -> Matching:
    """Candidates and verdicts for `drugs` (practice_drugs columns) against one release."""
    params = {"quarter": str(quarter)}
    con.register("practice_input", drugs)
    try:
        run_sql(con, "00_name_macros", params)
        run_sql(con, "10_cms_drug_names", params)
        pairs = run_sql(con, "20_name_pairs", params).df()
        by_ndc = run_sql(con, "30_ndc_candidates", params).df()
    finally:
        con.unregister("practice_input")
    by_name = score_name_pairs(pairs)
    candidates = pd.concat([by_name, by_ndc.assign(confidence="high")], ignore_index=True)
    facts = code_facts(con, quarter, candidates["code"])
    by_drug = candidates_by_drug(candidates)
    alerts = [decide(drug, by_drug.get(drug["row_no"], []), facts, quarter)
              for drug in plain_records(drugs)]
    saved = (candidates[list(CANDIDATE_COLUMNS)]
             .sort_values(["row_no", "score", "code"], ascending=[True, False, True])
             .drop_duplicates(["row_no", "code", "basis", "matched_field", "matched_text"])
             .reset_index(drop=True))
    return Matching(quarter, saved, pd.DataFrame(alerts, columns=list(ALERT_COLUMNS)),
                    len(pairs) + len(by_ndc))


def score_name_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """Score blocked pairs with rapidfuzz; keep those at or above LOW, with a confidence.

    The score averages token_set_ratio (word order and extra words forgiven) with
    token_sort_ratio (extra words cost), so 'rituximab' beats 'rituximab and hyaluronidase'
    for a list that says rituximab, while word order never matters.
    """
    if pairs.empty:
        return pd.DataFrame(columns=[*CANDIDATE_COLUMNS, "practice_field"])
    # suffixes already agree (SQL); splitting them off lets word order be forgiven fully
    left = pairs["practice_key"].str.replace("-", " ").tolist()
    right = pairs["cms_key"].str.replace("-", " ").tolist()
    set_scores = process.cpdist(left, right, scorer=fuzz.token_set_ratio, workers=-1)
    sort_scores = process.cpdist(left, right, scorer=fuzz.token_sort_ratio, workers=-1)
    scored = pairs.assign(score=((set_scores + sort_scores) / 2).round(1))
    scored = scored[scored["score"] >= LOW]
    return scored.assign(confidence=scored["score"].map(confidence_of))


def confidence_of(score: float) -> str:
    return "high" if score >= HIGH else "medium" if score >= MEDIUM else "low"


def code_facts(con: duckdb.DuckDBPyConnection, quarter: Quarter,
               codes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Per candidate code: dates, successor, dose descriptor, package facts, ASP limit."""
    wanted = pd.DataFrame({"code": sorted(set(codes))}, dtype="object")
    con.register("candidate_codes", wanted)
    try:
        result = run_sql(con, "40_code_facts", {"quarter": str(quarter)})
        names = [column[0] for column in result.description]
        rows = result.fetchall()
    finally:
        con.unregister("candidate_codes")
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


def decide(drug: Mapping[str, Any], candidates: list[dict[str, Any]],
           facts: Mapping[str, dict[str, Any]], quarter: Quarter) -> dict[str, Any]:
    """One drug's alert row: verdict, the DOS rule, units advice and the evidence.

    Rules, in order: NDC codes and high-scoring name codes that share nothing, or generic and
    brand pointing to different codes -> REVIEW (conflict). The pool is their agreement (or whichever side spoke). Office drugs drop
    C-codes (OPPS only). Live codes beat ended ones; several live codes -> REVIEW; one live
    code -> NEW_CODE (effective on/after the release's first day) or PAST_DUE; only ended
    codes -> CODE_ENDED with the XREF successor. Medium names alone -> REVIEW; low ones are
    kept as evidence but do not stop NO_CODE_YET.
    """
    alert = _blank_alert(drug, quarter)
    by_ndc = {c["code"] for c in candidates if c["basis"] == "ndc"}
    by_name = {c["code"] for c in candidates if c["basis"] != "ndc" and c["score"] >= HIGH}
    hints = family_hints(drug, set())
    by_generic, by_brand = ({c["code"] for c in candidates
                             if c["basis"] == basis and c["score"] >= HIGH}
                            for basis in ("generic_name", "brand_name"))
    for one, other, what in ((by_ndc, by_name, "the NDC maps to {} but the name matches {}"),
                             (by_generic, by_brand,
                              "the generic name matches {} but the brand matches {}")):
        if one and other and not one & other:
            return _review(alert, candidates, sorted(one | other), hints, "conflict: "
                           + what.format(", ".join(sorted(one)), ", ".join(sorted(other))))
    pool = (by_ndc & by_name) or by_ndc or by_name
    if not pool:
        near = sorted({c["code"] for c in candidates if c["score"] >= MEDIUM})
        if near:
            return _review(alert, candidates, near, hints,
                           f"no name scores {HIGH:g} or more (closest: "
                           f"{_closest(candidates)}): confirm or correct the name")
        closest = f"; closest, not a match: {_closest(candidates)}" if candidates else ""
        return _no_code(alert, hints, f"no NDC or name match among permanent codes in "
                                      f"releases through {quarter}{closest}")
    pool, site_note = _for_setting(drug, pool)
    if not pool:
        return _no_code(alert, hints + [site_note], "matched only hospital outpatient C-codes")
    live = {code for code in pool if not facts.get(code, {}).get("term_date")}
    if len(live) > 1 or (not live and len(pool) > 1 and _distinct_successors(pool, facts)):
        reason = (f"the NDC maps to {len(by_ndc)} codes" if len(by_ndc) > 1 and by_ndc >= pool
                  else "several codes match equally well")
        return _review(alert, candidates, sorted(live or pool), hints + [site_note],
                       f"{reason}: {', '.join(sorted(live or pool))}; pick the one that fits "
                       "the product and route")
    code = sorted(live)[0] if live else max(pool, key=lambda c: facts[c]["term_date"])
    return _verdict_for(alert, drug, code, candidates, facts, quarter,
                        hints + [site_note] + family_hints(drug, {code}, facts))


def _verdict_for(alert: dict[str, Any], drug: Mapping[str, Any], code: str,
                 candidates: list[dict[str, Any]], facts: Mapping[str, dict[str, Any]],
                 quarter: Quarter, hints: list[str | None]) -> dict[str, Any]:
    fact = facts.get(code) or {}
    chosen = [c for c in candidates if c["code"] == code]
    alert.update(new_code=code, new_code_descriptor=fact.get("long_description"),
                 match_basis="+".join(sorted({c["basis"] for c in chosen})),
                 confidence="high", evidence=_evidence(chosen, candidates, code),
                 candidate_codes=", ".join(sorted({c["code"] for c in candidates})))
    effective = fact.get("effective_date")
    if effective is None:
        return _review(alert, candidates, [code], hints,
                       f"{code} is not in the HCPCS releases loaded through {quarter}")
    current = drug["current_code"]
    alert["effective_date"] = effective
    alert.update(billing_advice(drug, fact, chosen))
    alert["asp_payment_limit"] = fact.get("payment_limit")
    if fact.get("payment_limit") is None:
        hints = hints + [_price_note(code, fact, quarter)]
    if fact.get("term_date"):
        return _code_ended(alert, code, fact, current, hints)
    on = effective.isoformat()
    alert["dos_rule"] = f"DOS before {on}: keep {current}; on or after {on}: bill {code}"
    if effective >= quarter.first_day:
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


def _review(alert: dict[str, Any], candidates: list[dict[str, Any]], codes: list[str],
            hints: list[str | None], reason: str) -> dict[str, Any]:
    alert.update(verdict="REVIEW", new_code=None, new_code_descriptor=None, effective_date=None,
                 billing_unit=None, units_per_package=None, units_for_dose=None,
                 asp_payment_limit=None, units_note=None,
                 candidate_codes=", ".join(codes),
                 match_basis="+".join(sorted({c["basis"] for c in candidates
                                              if c["code"] in codes})) or None,
                 confidence=max((c["confidence"] for c in candidates if c["code"] in codes),
                                key=["low", "medium", "high"].index, default="low"),
                 evidence=_evidence([c for c in candidates if c["code"] in codes], candidates),
                 dos_rule=f"keep {alert['current_code']} until the code is confirmed; "
                          "then bill the confirmed code from its effective date",
                 action=f"Review: {reason}.", hints=_joined(hints))
    return alert


def _no_code(alert: dict[str, Any], hints: list[str | None], why: str) -> dict[str, Any]:
    current = alert["current_code"]
    alert.update(verdict="NO_CODE_YET", dos_rule=f"all DOS: keep {current} (1 unit per line)",
                 billing_unit="1 unit per claim line (NOC)", units_for_dose=1.0,
                 action=f"Keep billing {current} with the drug name, NDC and dose on the claim.",
                 evidence=why, hints=_joined(hints))
    return alert


def _blank_alert(drug: Mapping[str, Any], quarter: Quarter) -> dict[str, Any]:
    alert: dict[str, Any] = dict.fromkeys(ALERT_COLUMNS)
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
            "drugs_file": str(drug_list.path), "drugs_sha256": file_sha256(drug_list.path),
            "started_at": started, "drug_count": len(drug_list.drugs),
            "comparisons": result.comparisons}]),
        "drug_rows": drug_list.drugs.assign(run_id=run_id),
        "candidate_rows": result.candidates.assign(run_id=run_id),
        "alert_rows": result.alerts.assign(run_id=run_id),
    }
    for name, frame in frames.items():
        con.register(name, frame)
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            run_sql(con, "90_save_run", {})
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        for name in frames:
            con.unregister(name)
    return run_id


def run_sql(con: duckdb.DuckDBPyConnection, name: str,
            params: Mapping[str, Any]) -> duckdb.DuckDBPyConnection:
    """Run sql/match/<name>.sql statement by statement with the parameters each one names."""
    text = (SQL_DIR / "match" / f"{name}.sql").read_text(encoding="utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    result = con
    for statement in filter(str.strip, code.split(";")):
        result = con.execute(statement, {k: params[k] for k in _PARAMETER.findall(statement)})
    return result


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


def _closest(candidates: list[dict[str, Any]]) -> str:
    best = max(candidates, key=lambda c: c["score"])
    return f"{best['code']} '{best['matched_text']}', {_num(best['score'])}"


def _price_note(code: str, fact: Mapping[str, Any], quarter: Quarter) -> str:
    if fact.get("latest_payment_limit") is not None:
        return (f"{code} has no payment limit in the {quarter} ASP file; newest known "
                f"{fact['latest_payment_limit']} ({fact['latest_asp_quarter']})")
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


def _day(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else ""


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


