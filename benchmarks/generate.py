"""Inputs of realistic size for benchmarks/run.py, written in the real CMS layouts.

One "universe" of codes is drawn once, then printed as each quarter's release would show it,
so 40 consecutive releases drift the way real ones do: a few dozen codes added each quarter
(ACTION CD A, add date on the quarter's first day), some discontinued (TERM DT, then ACTION
CD D), some descriptors revised. Sizes of one release follow the Oct 2025 files: about 9,000
codes and modifiers in about 17,000 fixed-width records (long descriptions span 1-4 records),
about 2,500 drug codes named the way CMS names them ("Injection, <name>, <dose>",
"Injection, <name>-<sfx> (<brand>), biosimilar, <dose>"), an 8,000-row NDC-HCPCS crosswalk
padded to 250 columns, a 1,000-row payment limit file, and the two NOC files.

Practice lists reuse benchmarks/match_benchmark.build_list: exact generics, case/salt/word
order variants, brand-only rows, NDC-only rows, biosimilar-suffix decoys, names never coded.
Files are written with tests/cms_builders.py (the same builders the tests use).
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
for folder in (REPO, REPO / "tests", REPO / "benchmarks"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import cms_builders as cms  # noqa: E402
from crosswalk.quarters import Quarter, quarter_range  # noqa: E402
from match_benchmark import build_list, made_up_name, suffix  # noqa: E402

FILLER = ("injection", "device", "intravenous", "subcutaneous", "administered", "hospital",
          "outpatient", "extended", "prefilled", "supplies", "infusion", "solution",
          "including", "accessory", "replacement", "orthotic", "each", "patient", "implant",
          "custom", "fabricated", "adjustable", "component", "pediatric", "per", "visit")
DOSES = ("1 mg", "10 mg", "0.5 mg", "2 mg", "5 mg", "100 units", "1 microgram", "per ml")
NON_DRUG_LETTERS = "ABEGKLV"  # never J, Q or C: those are the drug codes here
NOC = set(cms.NOC_CODES)


@dataclass(frozen=True)
class Drawn:
    """One code of the universe and the quarters (indexes into the series) of its events."""

    code: cms.HcpcsCode
    added: int            # first release (index) that prints it; 0 = before the series
    ended: int | None     # release from which it shows a termination date
    revised: int | None   # release from which its descriptor carries a revision
    generic: str = ""
    brand: str = ""


@dataclass(frozen=True)
class Universe:
    """Every code any release of the series prints, with its NDCs and prices."""

    quarters: tuple[Quarter, ...]
    drawn: tuple[Drawn, ...]
    ndcs: dict[str, list[str]]   # drug code -> NDCs (5-4-2 with dashes)

    def release(self, quarter: Quarter) -> list[cms.HcpcsCode]:
        """The codes as `quarter`'s ANWEB file prints them."""
        index = self.quarters.index(quarter)
        return [shown for item in self.drawn
                if (shown := _as_of(item, index, self.quarters)) is not None]

    def drugs(self, quarter: Quarter) -> list[Drawn]:
        index = self.quarters.index(quarter)
        return [item for item in self.drawn if item.generic and item.added <= index]


def draw_universe(quarters: list[Quarter], codes: int = 9_000, drug_codes: int = 2_500,
                  modifiers: int = 400, added_per_quarter: int = 20,
                  seed: int = 20251001) -> Universe:
    """Draw `codes` codes (of which `drug_codes` drugs) as printed by the LAST release.

    The newest `added_per_quarter` x (releases - 1) codes enter one quarter at a time; about
    1% of the others end somewhere in the series and 1% get a revised descriptor.
    """
    rng = random.Random(seed)
    span = len(quarters)
    made = [_modifier(rng, index) for index in range(modifiers)]
    made += [_drug(rng, index, drug_codes) for index in range(drug_codes)]
    made += [_other(rng, index) for index in range(codes - modifiers - drug_codes - len(NOC))]
    made += [(cms.HcpcsCode(code, "Not otherwise classified drug or biological",
                            add_date=date(2003, 1, 1)), "", "") for code in sorted(NOC)]
    rng.shuffle(made)
    newcomers = added_per_quarter * (span - 1)
    drawn = []
    for position, (code, generic, brand) in enumerate(made):
        added = 0
        if position < newcomers and not code.is_modifier and code.code not in NOC:
            added = 1 + position // added_per_quarter
        ended, revised = _later_event(rng, added, span), _later_event(rng, added, span)
        drawn.append(Drawn(code, added, ended, revised, generic, brand))
    ndcs = {item.code.code: [f"{rng.randint(10000, 99999)}-{rng.randint(0, 9999):04d}-"
                             f"{rng.randint(0, 99):02d}" for _ in range(rng.randint(1, 6))]
            for item in drawn if item.generic}
    return Universe(tuple(quarters), tuple(drawn), ndcs)


def _later_event(rng: random.Random, added: int, span: int) -> int | None:
    """A release after the code's first one, for 1% of codes (an end or a revision)."""
    return rng.randrange(added + 1, span) if rng.random() < 0.01 and added + 1 < span else None


def _modifier(rng: random.Random, index: int) -> tuple[cms.HcpcsCode, str, str]:
    code = f"{chr(65 + index // 26 % 26)}{chr(65 + index % 26)}"
    return (cms.HcpcsCode(code, _filler(rng, rng.randint(3, 9)).capitalize(), is_modifier=True,
                          anest_bu="", add_date=date(2010, 1, 1)), "", "")


def _drug(rng: random.Random, index: int, count: int) -> tuple[cms.HcpcsCode, str, str]:
    """A drug code: J or Q (Q5 for biosimilars), 5% C9; about 1 record each."""
    name, brand = made_up_name(rng), made_up_name(rng).capitalize()[:10]
    dose = rng.choice(DOSES[:6])
    if index % 3 == 0:
        generic = f"{name}-{suffix(rng)}"
        text = f"Injection, {generic} ({brand.lower()}), biosimilar, {dose}"
        code = f"Q5{index % 1000:03d}" if index < 1000 else f"Q{index:04d}"
    else:
        generic, text = name, f"Injection, {name}, {dose}"
        code = f"C9{index // 20:03d}" if index % 20 == 1 else f"J{index:04d}"
    if code in NOC:
        code = f"J{9000 + index % 1000:04d}"
    added = date(2005 + index % 15, 1 + 3 * (index % 4), 1)
    return (cms.HcpcsCode(code, text, f"Inj {generic} {dose}"[:28], prices=("51",), multi_pi="A",
                          betos="O1E", tos=("1", "P"), add_date=added, action_eff_date=added),
            generic, brand)


def _other(rng: random.Random, index: int) -> tuple[cms.HcpcsCode, str, str]:
    """A supply, device or service code whose descriptor spans 1-4 records (2.3 on average)."""
    words = rng.choices((5, 8, 14, 20, 30), weights=(15, 15, 35, 22, 13))[0]
    letter = NON_DRUG_LETTERS[index % len(NON_DRUG_LETTERS)]
    added = date(2000 + index % 20, 1 + 3 * (index % 4), 1)
    return (cms.HcpcsCode(f"{letter}{index // len(NON_DRUG_LETTERS):04d}",
                          f"{_filler(rng, words).capitalize()}, {rng.choice(DOSES)}",
                          prices=("46",), betos="D1F", tos=("P",), add_date=added,
                          action_eff_date=added), "", "")


def _filler(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(FILLER) for _ in range(words))


def _as_of(item: Drawn, index: int, quarters: tuple[Quarter, ...]) -> cms.HcpcsCode | None:
    """The code as release `index` prints it, or None before it was added."""
    if item.added > index:
        return None
    code = item.code
    if item.added:
        first = quarters[item.added].first_day
        code = replace(code, add_date=first, action_eff_date=first)
    code = replace(code, action_cd="A" if item.added == index and item.added else "N")
    if item.revised is not None and index >= item.revised:
        code = replace(code, long_description=f"{code.long_description} (revised)",
                       action_eff_date=quarters[item.revised].first_day,
                       action_cd="C" if index == item.revised else code.action_cd)
    if item.ended is not None and index >= item.ended:
        code = replace(code, term_date=quarters[item.ended].first_day - timedelta(days=1),
                       action_cd="D" if index == item.ended else code.action_cd)
    return code


def release_zips(universe: Universe, quarter: Quarter, crosswalk_rows: int = 8_000,
                 pricing_rows: int = 1_000, with_xlsx: bool = False,
                 seed: int = 7) -> dict[str, bytes]:
    """kind -> zip bytes of one quarter (TXT only unless `with_xlsx`: see run.py)."""
    rng = random.Random(f"{seed}-{quarter}")
    drugs = universe.drugs(quarter)
    live = [item for item in drugs if item.code.code not in NOC]
    pricing = [cms.AspPrice(item.code.code, item.code.short_description, "10 MG",
                            f"{rng.uniform(1, 900):.3f}")
               for item in sorted(live, key=lambda d: d.code.code)[:pricing_rows]]
    rows = []
    for item in rng.choices(live, k=crosswalk_rows):
        ndc = rng.choice(universe.ndcs[item.code.code])
        rows.append(cms.CrosswalkRow(item.code.code, item.code.short_description, "Labeler Inc",
                                     ndc, f"{item.brand}\xae ", "10 MG", 10, 1, 10, 10))
    noc_pricing = [cms.NocPrice(f"Drug{i} (Brand{i})", "1 MG", "1.000") for i in range(60)]
    noc_crosswalk = [cms.NocCrosswalkRow(f"Drug{i}", "Labeler", f"12345-{1000 + i}-01",
                                         f"Brand{i}", "1 MG") for i in range(60)]
    return {
        "hcpcs": cms.build_hcpcs_zip(quarter, universe.release(quarter), with_xlsx=with_xlsx),
        "asp_pricing": cms.build_asp_pricing_zip(quarter, pricing),
        "asp_crosswalk": cms.build_asp_crosswalk_zip(quarter, rows, pad_columns=240),
        "noc_pricing": cms.build_noc_pricing_zip(quarter, noc_pricing),
        "noc_crosswalk": cms.build_noc_crosswalk_zip(quarter, noc_crosswalk),
    }


def write_release(universe: Universe, quarter: Quarter, folder: Path,
                  **options: object) -> dict[str, Path]:
    """Write one quarter's zips under `folder`; kind -> path (for download overrides)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    zips = release_zips(universe, quarter, **options)  # type: ignore[arg-type]
    for kind, payload in zips.items():
        paths[kind] = folder / f"{quarter.slug}-{kind.replace('_', '-')}.zip"
        paths[kind].write_bytes(payload)
    return paths


def practice_list(universe: Universe, quarter: Quarter, count: int, path: Path,
                  seed: int = 11) -> Path:
    """A practice drug list CSV of `count` drugs drawn against `quarter`'s release."""
    rng = random.Random(seed + count)
    drugs = [item for item in universe.drugs(quarter) if item.code.code not in NOC]
    codes = pd.DataFrame({"code": [d.code.code for d in drugs],
                          "generic": [d.generic for d in drugs],
                          "brand": [d.brand for d in drugs]})
    crosswalk = pd.DataFrame([{"drug_name": d.brand, "ndc_raw": ndc}
                              for d in drugs for ndc in universe.ndcs[d.code.code]])
    listed = build_list(codes, crosswalk, count, rng)
    while len(listed) < count:  # more rows than distinct drugs: repeat under other names
        extra = build_list(codes, crosswalk, count - len(listed), rng)
        extra["drug_name"] = extra["drug_name"] + f" {len(listed)}"
        listed = pd.concat([listed, extra], ignore_index=True)
    listed.to_csv(path, index=False)
    return path


def series(last: Quarter = Quarter(2025, 4), count: int = 40) -> list[Quarter]:
    """`count` consecutive release quarters ending with `last`."""
    first = last
    for _ in range(count - 1):
        first = first.previous()
    return list(quarter_range(first, last))
