"""The KPI catalogue: what each headline number of a run is, in one place.

A run's ``summary`` table is a column of names and a column of numbers. This module is its
legend, the way the notes to a balance sheet explain each line once: a plain label and the
unit the value is stored in (both from the message catalogue, :mod:`sim.i18n`, in English
and Chinese: ``kpis.yaml`` and ``common.yaml``), which way is better, whether it headlines
a comparison or the short ``crmsim run`` table, and what exactly it measures.
:func:`sim.results.metrics.summarise` computes the numbers; the run page and the command
line read the labels and units, the comparison statistics the direction, the comparison
report the headline set, and ``docs/results.md`` its KPI table (``python -m sim.docgen.kpis``).

A name that is not here is a bug, not a new kind of KPI: :func:`kpi` refuses it instead of
guessing a label or a direction from its spelling.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from agents.rules import ChurnReason
from agents.traits import Level
from sim.i18n import DEFAULT_LANG, text

__all__ = ["CHURN_SHARES", "KPIS", "RETENTION_MONTHS", "Kpi", "kpi", "kpi_label", "kpi_unit"]

#: Months after launch at which the retention of the day-0 cohort is measured.
RETENTION_MONTHS: tuple[int, ...] = (12, 24, 36, 60)

#: The catalogue key prefix of a unit that is a fraction of something (reports show percent).
_SHARE_UNIT = "unit.share_of_"


@dataclass(frozen=True)
class Kpi:
    """One headline KPI of a run.

    Its words live in the message catalogue (:mod:`sim.i18n`), in English and Chinese:
    the label under ``kpi.<name>`` (or ``label_key``), the unit under ``unit_key``.

    Attributes:
        name: the ``metric`` in the ``summary`` table (the key of :attr:`RunResult.kpis`).
        unit_key: the catalogue key of the unit the value is stored in. A ``unit.share_of_…``
            is a fraction between 0 and 1 of what follows (reports show it in percent);
            ``unit.days`` are days of the run's clock; ``unit.money`` is in currency units.
        better: +1 when higher is better, −1 when lower is better, 0 when neither (a mix,
            a utilisation: more is not better by itself).
        description: what exactly is measured, and when the value is undefined (NaN).
        headline: shown in a comparison when the user names no metrics.
        short: shown in the short table ``crmsim run`` prints (the report shows them all).
        label_key: the catalogue key of the label when it is a word the model already has
            (revenue is ``money.revenue``); ``kpi.<name>`` otherwise.
    """

    name: str
    unit_key: str
    better: int
    description: str
    headline: bool = False
    short: bool = False
    label_key: str = ""

    @property
    def label(self) -> str:
        """Plain-language name for a report, in English."""
        return self.label_in(DEFAULT_LANG)

    @property
    def unit(self) -> str:
        """The unit of the stored value, in English (``"share of cohort"``, ``"days"``)."""
        return text(self.unit_key, DEFAULT_LANG)

    def label_in(self, lang: str) -> str:
        """The label in ``lang``, starting with a capital as a table's first column does."""
        words = text(self.label_key or f"kpi.{self.name}", lang)
        return words[:1].upper() + words[1:]

    @property
    def share(self) -> bool:
        """Whether the value is a fraction between 0 and 1 (its unit reads "share of …")."""
        return self.unit_key.startswith(_SHARE_UNIT)


_HIGHER, _LOWER, _NEITHER = 1, -1, 0

#: What each churn reason means in a sentence ("churn caused by …"), for the descriptions.
_CHURN_WORDS: dict[ChurnReason, str] = {
    ChurnReason.baseline: "baseline drift",
    ChurnReason.dissatisfaction: "dissatisfaction",
    ChurnReason.overdrawn: "overdrawn trust",
    ChurnReason.price: "price",
    ChurnReason.neglect: "neglect",
    ChurnReason.fired: "firing by the firm",
}

#: Which way is better for the share of active customers at each level of the ladder: the
#: climb is the point of relationship management, so only the bottom rung is neutral.
_LEVEL_BETTER: dict[Level, int] = {
    Level.transactional: _NEITHER,
    Level.collaborative: _HIGHER,
    Level.trust: _HIGHER,
    Level.strategic: _HIGHER,
}

#: The KPIs a run reports, in the order of its ``summary`` table.
KPIS: tuple[Kpi, ...] = (
    Kpi("customers_acquired", "unit.customers", _HIGHER,
        "customers ever acquired, the day-0 cohort included", short=True),
    Kpi("active_end", "unit.customers", _HIGHER,
        "active customers at the end of the last period", headline=True, short=True),
    *(
        Kpi(f"retention_{m}m", "unit.share_of_cohort", _HIGHER,
            f"share of the day-0 cohort active {m} months in (NaN beyond the horizon; a "
            "won-back customer active then counts as retained)",
            headline=m <= 36, short=m == 12)
        for m in RETENTION_MONTHS
    ),
    Kpi("revenue", "unit.money", _HIGHER,
        "gross revenue at list price over the run", headline=True, short=True,
        label_key="money.revenue"),
    Kpi("costs", "unit.money", _LOWER,
        "all cost lines over the run, discounts and offers included", headline=True),
    Kpi("profit", "unit.money", _HIGHER,
        "revenue − costs over the run", headline=True, short=True),
    Kpi("discounted_profit", "unit.money", _HIGHER,
        "sum of each period's profit × the discount factor at mid-period",
        headline=True, short=True),
    Kpi("mean_clv", "unit.money_per_customer", _HIGHER,
        "mean over all customers ever acquired of discounted margin − cost to serve from "
        "acquisition (NaN without customers)", headline=True, short=True),
    Kpi("complaint_rate", "unit.share_of_purchases", _LOWER,
        "complaints voiced per purchase (0 without purchases)", headline=True, short=True),
    Kpi("recovery_rate", "unit.share_of_complaints", _HIGHER,
        "share of voiced complaints resolved (NaN without complaints)", short=True),
    Kpi("mean_wait", "unit.days", _LOWER,
        "ticket-weighted mean wait at the service desk (0 without tickets)",
        headline=True, short=True),
    Kpi("utilisation", "unit.share_of_staffed_time", _NEITHER,
        "mean desk utilisation over the periods (NaN with unbounded staff)", short=True),
    *(
        Kpi(f"share_{lv.name}", "unit.share_of_active_customers", _LEVEL_BETTER[lv],
            f"share of the active customers at the {lv.name} level of the relationship "
            "ladder at the end (NaN without active customers)")
        for lv in Level
    ),
    Kpi("satisfaction_end", "unit.scale", _HIGHER,
        "mean satisfaction of the active customers at the end", headline=True, short=True),
    Kpi("balance_end", "unit.trust_points", _HIGHER,
        "mean emotional-account balance of the active customers at the end"),
    *(
        Kpi(f"churn_share_{r.name}", "unit.share_of_churn_events", _NEITHER,
            f"share of all churn events whose dominant reason was {_CHURN_WORDS[r]} "
            "(0 when nobody churned)")
        for r in ChurnReason
    ),
    Kpi("referrals", "unit.customers", _HIGHER,
        "customers acquired through referrals"),
    Kpi("won_back", "unit.customers", _HIGHER,
        "lapsed customers reactivated by win-back"),
    Kpi("warning_precision", "unit.share_of_flags", _HIGHER,
        "share of early-warning flags followed by churn within the window (NaN without "
        "flags)"),
    Kpi("warning_recall", "unit.share_of_churn_events", _HIGHER,
        "share of the churn events within the horizon preceded by a flag within the window "
        "(NaN without flags or without churn events)"),
    Kpi("trust_deposits", "unit.trust_points", _HIGHER,
        "total of all emotional-account deposits"),
    Kpi("trust_withdrawals", "unit.trust_points", _HIGHER,
        "total of all withdrawals; negative, so higher means less trust withdrawn"),
)  # fmt: skip

#: The churn-reason mix, one KPI per :class:`~agents.rules.ChurnReason`.
CHURN_SHARES: tuple[str, ...] = tuple(f"churn_share_{r.name}" for r in ChurnReason)

_BY_NAME: dict[str, Kpi] = {k.name: k for k in KPIS}


def kpi(name: str) -> Kpi:
    """The catalogue entry of the KPI ``name``.

    Raises:
        LookupError: ``name`` is not in the catalogue (with the closest name as a hint).
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(_BY_NAME), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise LookupError(
            f"{name!r} is not a KPI of sim.results.catalogue{hint}: every KPI a run reports "
            "needs an entry there, with its label, unit and direction"
        ) from None


def kpi_label(name: str, lang: str = DEFAULT_LANG) -> str:
    """The label of the KPI ``name`` in ``lang``: ``kpi_label("profit", "zh")`` → ``"利润"``."""
    return kpi(name).label_in(lang)


def kpi_unit(name: str, lang: str = DEFAULT_LANG) -> str:
    """The unit the KPI's *shown* value reads in, in ``lang``, for a table's unit column.

    A share reads in percent (``"% of cohort"``), a wait in hours, anything else in the unit
    it is stored in (:func:`sim.results.display.unit_name` is its English).
    """
    entry = kpi(name)
    if entry.unit_key == "unit.days":
        return text("unit.hours", lang)
    if entry.share:
        return text(f"{entry.unit_key}.shown", lang)
    return text(entry.unit_key, lang)
