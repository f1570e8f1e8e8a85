"""The verdicts a drug can get, declared once: the matcher, the reports, the workbooks' colours,
the terminal and the SQL (through the seeded `verdicts` table) all read this list.

A verdict answers the billing lead's question for one drug on the list: switch code or not,
from which date of service, and how sure we are. Order is urgency: the order a lead works
through them. To add one, add a `Verdict` here; the warehouse re-seeds `verdicts` on the next
open, and every report lists it.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields
from datetime import date, timedelta


@dataclass(frozen=True)
class Verdict:
    """One verdict and everything the reports say about it."""

    name: str
    label: str            # a few words: the terminal's and --help's one line
    meaning: str
    todo: str
    fill: str             # the workbook fill (RGB hex), light enough to print black text on
    needs_action: bool    # counted in "Drugs needing action"
    on_alerts: bool       # listed on the Alerts sheet
    switches_code: bool   # the crosswalk gives the permanent code a date-of-service window


VERDICTS: tuple[Verdict, ...] = (
    Verdict("PAST_DUE", "a permanent code applied before this release: switch now",
            "A permanent code has applied since before this release: NOC claims with dates of "
            "service on or after its effective date are wrong and may deny.",
            "Switch now; review claims billed under the NOC code since the effective date.",
            "F4B183", True, True, True),
    Verdict("NEW_CODE", "a permanent code takes effect in this release",
            "CMS assigned a permanent code that takes effect in this release.",
            "Bill the new code from the effective date; update the charge master and standing "
            "orders before then.",
            "FFE699", True, True, True),
    Verdict("CODE_ENDED", "the drug's code ended: its successor is named",
            "The drug's permanent code was discontinued.",
            "Bill the successor code (when CMS lists one) for later dates of service.",
            "D9C3E9", True, True, True),
    Verdict("REVIEW", "the list does not identify one product: candidates listed",
            "Your list does not identify one product (several codes fit, names and NDC "
            "disagree, or the spelling differs from CMS).",
            "Check the candidate codes and the evidence; add the brand, the NDC or the full "
            "name with its suffix to your list, then run again.",
            "BDD7EE", True, True, False),
    Verdict("KEEP_PAYER_RULE",
            "keep_code = yes on the list: the payer's rule keeps the NOC code",
            "Your list says a payer rule keeps the NOC code (keep_code = yes), although CMS "
            "has a permanent code for the drug.",
            "Keep billing the NOC code for that payer as the rule says; other payers follow "
            "the permanent code shown.",
            "E2EFDA", False, True, False),
    Verdict("NO_CODE_YET", "no permanent code: keep the NOC code",
            "No permanent code yet.",
            "Keep billing the NOC code with its NOC claim narrative (drug name, dose, NDC) on "
            "the claim line.",
            "E7E6E6", False, False, False),
)
BY_NAME = {verdict.name: verdict for verdict in VERDICTS}
NAMES = tuple(BY_NAME)
COLUMNS = tuple(field.name for field in fields(Verdict))


def rows() -> list[tuple[object, ...]]:
    """The declaration as rows of the `verdicts` table (urgency = position, 1 first)."""
    return [(*astuple(verdict), urgency) for urgency, verdict in enumerate(VERDICTS, start=1)]


def help_lines() -> str:
    """The verdicts as `crosswalk match --help` lists them, most urgent first."""
    width = max(len(name) for name in NAMES) + 2
    return "\n".join(f"  {verdict.name:<{width}}{verdict.label}" for verdict in VERDICTS)


def needing_action(names: list[str] | tuple[str, ...]) -> list[str]:
    return [name for name in names if BY_NAME[name].needs_action]


def early_warning(first_day: date, today: date) -> str | None:
    """What a run before a release takes effect tells the billing lead (CMS posts the HCPCS
    file weeks ahead): the day its new codes start; None once it is in force. The terminal,
    the Summary sheet and Prefect's summary say the same words."""
    if today >= first_day:
        return None
    return (f"takes effect on {first_day}: bill the new code for dates of service from then; "
            f"keep the NOC code through {first_day - timedelta(days=1)}")
