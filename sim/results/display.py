"""Display: how a KPI's value, a difference and an interval are written for people.

One language of units for the terminal, the HTML reports and the notebooks, read from the
KPI catalogue (:mod:`sim.results.catalogue`) so that no page invents its own:

* shares read in percent (``79.8 %``) and their differences in percentage points
  (``+3.2 pts``), never as a relative change of a percentage;
* waits are stored in days (the clock's unit) and read in hours (``2.44 h``);
* money carries the scenario's currency symbol (``¥2,538,019``; none when it is empty);
* counts, trust points and the 0–1 scale read in their own units.

A relative difference ("+4.1 %") is offered only for ratio-scale quantities, money and counts
and waits, and only against a positive baseline (:func:`relative_applies`): a percentage of a
percentage or of a negative profit says nothing a reader can use.

Every number keeps about three significant digits and its sign, so a bound of an interval that
excludes zero never prints as ``0`` (:func:`number`); verdicts built on these texts can then
always be checked against the interval printed beside them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from agents.units import format_duration
from sim.results.catalogue import kpi, kpi_unit

__all__ = [
    "SHARE",
    "Reading",
    "change_text",
    "duration_words",
    "interval_text",
    "labelled",
    "mean_text",
    "number",
    "reading",
    "relative_applies",
    "unit_name",
    "value_text",
]

_HOURS_PER_DAY = 24.0
_MINUS = "−"


@dataclass(frozen=True)
class Reading:
    """How one KPI reads.

    Attributes:
        scale: factor from the stored value to the shown one (100 for shares, 24 for days).
        unit: the unit after a shown value (``"%"``, ``"h"``, ``"customers"``; empty for
            money, which carries its symbol in front).
        change_unit: the unit after a shown difference (``"pts"`` for shares).
        money: whether the value is money (the currency symbol goes in front).
        ratio: whether the quantity has a true zero and no negative values, so that a
            relative difference against a positive baseline means something.
    """

    scale: float
    unit: str
    change_unit: str
    money: bool = False
    ratio: bool = False


_BY_UNIT: dict[str, Reading] = {
    "customers": Reading(1.0, "customers", "customers", ratio=True),
    "money": Reading(1.0, "", "", money=True, ratio=True),
    "money per customer": Reading(1.0, "per customer", "per customer", money=True, ratio=True),
    "days": Reading(_HOURS_PER_DAY, "h", "h", ratio=True),
    "0–1 scale": Reading(1.0, "on the 0–1 scale", "on the 0–1 scale"),
    "trust points": Reading(1.0, "trust points", "trust points"),
}
#: How every share reads: in percent, and its differences in percentage points.
SHARE = Reading(100.0, "%", "pts")


def reading(metric: str) -> Reading:
    """How the KPI ``metric`` reads (its catalogue unit decides).

    Raises:
        LookupError: ``metric`` is not in the catalogue.
    """
    entry = kpi(metric)
    if entry.share:
        return SHARE
    return _BY_UNIT[entry.unit]


def number(x: float, signed: bool = False) -> str:
    """``x`` with thousands separators, about three significant digits and a true minus.

    A nonzero number never prints as zero (``0.000412`` → ``0.000412``), so the sign of
    every bound survives rounding. NaN reads ``n/a``, infinities ``∞`` and ``−∞``.
    """
    if not math.isfinite(x):
        return "n/a" if math.isnan(x) else ("∞" if x > 0 else f"{_MINUS}∞")
    a = abs(x)
    if a >= 100:
        text = f"{a:,.0f}"
    elif a >= 10:
        text = f"{a:.1f}"
    elif a >= 1:
        text = f"{a:.2f}"
    elif a == 0:
        return "0"
    else:
        text = f"{a:.3g}"
        if "e" in text:  # below 1e-4: keep the digits readable rather than scientific
            text = f"{a:.{2 - math.floor(math.log10(a))}f}"
    if x < 0:
        return _MINUS + text
    return ("+" + text) if signed else text


def _money(x: float, currency: str, signed: bool) -> str:
    body = number(abs(x)) if math.isfinite(x) else number(x)
    if not math.isfinite(x):
        return body
    sign = _MINUS if x < 0 else ("+" if signed and x > 0 else "")
    return f"{sign}{currency}{body}"


def _join(text: str, unit: str) -> str:
    if not unit:
        return text
    return f"{text} {unit}" if unit != "%" else f"{text} %"


def value_text(metric: str, value: float, currency: str = "", bare: bool = False) -> str:
    """One KPI value as people read it: ``79.8 %``, ``2.44 h``, ``¥2,538,019``, ``n/a``.

    With ``bare`` the unit after the number is left off (a table with a unit column); money
    keeps its symbol and a share its ``%``.
    """
    r = reading(metric)
    if value is None or not math.isfinite(float(value)):
        return number(float("nan") if value is None else float(value))
    shown = float(value) * r.scale
    unit = "" if bare and r.unit != "%" else r.unit
    if r.money:
        return _join(_money(shown, currency, False), unit)
    return _join(number(shown), unit)


_WORDS = (("y", "year"), ("mo", "month"), ("w", "week"), ("d", "day"), ("h", "hour"),
          ("min", "minute"))  # fmt: skip


def duration_words(days: float) -> str:
    """A duration as people say it: ``3 years``, ``18 months``, ``1 week``, ``36.5 days``."""
    short = format_duration(float(days))
    if days >= 2 and short.endswith(("h", "min")):  # 876 hours reads better as 36.5 days
        return f"{float(days):,.4g} days"
    for unit, word in _WORDS:
        if short.endswith(unit) and short[: -len(unit)].isdigit():
            count = int(short[: -len(unit)])
            return f"{count:,} {word}{'s' if count != 1 else ''}"
    return f"{float(days):g} days"


def labelled(metric: str) -> str:
    """The metric's name with the unit its bare numbers are in.

    ``balance_end (trust points)``, ``mean_wait (hours)``; a share's numbers carry their own
    ``%`` (points for a difference) and money its symbol, so their names stand alone.
    """
    r = reading(metric)
    if r.money or r is SHARE:
        return metric
    return f"{metric} ({unit_name(metric)})"


def unit_name(metric: str) -> str:
    """The unit of the shown value in words, for a table's unit column.

    ``% of cohort`` for a share of the cohort, ``hours`` for a wait, the catalogue's unit
    otherwise (``money per customer``, ``customers``, ``0–1 scale``).
    """
    return kpi_unit(metric)  # the English of the catalogue's unit column, written once


def change_text(
    metric: str, diff: float, currency: str = "", signed: bool = True, bare: bool = False
) -> str:
    """A difference of the KPI in its change unit: ``+3.2 pts``, ``−0.44 h``, ``+¥12,345``.

    With ``bare`` the unit after the number is left off (money keeps its symbol).
    """
    r = reading(metric)
    shown = float(diff) * r.scale
    unit = "" if bare else r.change_unit
    if r.money:
        return _join(_money(shown, currency, signed), unit)
    return _join(number(shown, signed=signed), unit)


def interval_text(
    metric: str, low: float, high: float, currency: str = "", with_unit: bool = True
) -> str:
    """An interval in the KPI's change unit, bounds as :func:`number` writes them.

    ``[0.12, 6.3] pts``; money bounds carry the symbol (``[¥2,300, ¥22,100]``). Without
    ``with_unit`` the unit is left off, for a sentence that has just named it.
    """
    r = reading(metric)
    lo, hi = float(low) * r.scale, float(high) * r.scale
    if r.money:
        inner = f"{_money(lo, currency, False)}, {_money(hi, currency, False)}"
    else:
        inner = f"{number(lo)}, {number(hi)}"
    return _join(f"[{inner}]", r.change_unit if with_unit else "")


def mean_text(
    metric: str, mean: float, low: float, high: float, currency: str = "", bare: bool = False
) -> str:
    """A mean with its interval in the KPI's value unit: ``79.8 % [78.1, 81.5]``.

    With ``bare`` the unit after the mean is left off (a table names it once per row).
    """
    r = reading(metric)
    head = value_text(metric, mean, currency, bare=bare)
    if r.money:
        lo, hi = _money(low * r.scale, currency, False), _money(high * r.scale, currency, False)
    else:
        lo, hi = number(low * r.scale), number(high * r.scale)
    return f"{head} [{lo}, {hi}]"


def relative_applies(metric: str, baseline_mean: float) -> bool:
    """Whether a relative difference of ``metric`` against this baseline means something.

    Only ratio-scale quantities qualify (money totals, counts, waits; not shares, scores or
    trust points), and only against a positive baseline: "+100 % customers won back" from
    zero, or a percentage of a loss, would mislead.
    """
    return bool(reading(metric).ratio and math.isfinite(baseline_mean) and baseline_mean > 0)
