"""Wording: the sentences and labels of the reports, as people read them.

A verdict names a winner only when the paired interval printed beside it says so, in the
KPI's own unit (:mod:`sim.results.display`); a pairing gain comes with its interval or says
that there are too few pairs to tell. The terminal and the HTML report both speak through
these functions, so they cannot word the same comparison differently. A user's string on
a figure goes through :func:`plain`, so matplotlib draws it literally.

Every sentence is a template of the message catalogue (``report.verdict.*``, ``report.claim.*``
in :mod:`sim.i18n`), in English or Chinese. Numbers are written the same way in both; in
Chinese a KPI is named by its label and a unit after a number comes from the catalogue
(:func:`change_words`), so no English unit is left in a Chinese sentence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from agents.units import format_duration
from sim.errors import printable
from sim.experiments.stats import MIN_GAIN_PAIRS, direction
from sim.i18n import DEFAULT_LANG, catalogue
from sim.results.catalogue import kpi_label
from sim.results.display import (
    change_text,
    duration_words,
    interval_text,
    mean_text,
    number,
    reading,
    relative_applies,
)

if TYPE_CHECKING:
    from sim.experiments.comparison import Comparison

__all__ = [
    "CLAIM_STATUS",
    "change_words",
    "claim_line",
    "claim_status",
    "duration_text",
    "fewer_customers_note",
    "fmt",
    "fmt_factor",
    "gain_text",
    "mean_words",
    "metric_name",
    "plain",
    "verdict",
]

#: The catalogue key of each unit :mod:`sim.results.display` writes after a number
#: (``Reading.unit`` and ``Reading.change_unit``; ``%`` reads alike in both languages).
_UNIT_KEYS = {
    "pts": "unit.points",
    "h": "unit.hours",
    "customers": "unit.customers",
    "per customer": "unit.per_customer",
    "on the 0–1 scale": "unit.on_scale",
    "trust points": "unit.trust_points",
}


def metric_name(metric: str, lang: str = DEFAULT_LANG) -> str:
    """A KPI as a sentence names it: its code name in English, its label in Chinese."""
    return metric if lang == DEFAULT_LANG else kpi_label(metric, lang)


def change_words(
    metric: str, diff: float, currency: str = "", signed: bool = True, lang: str = DEFAULT_LANG
) -> str:
    """:func:`sim.results.display.change_text` in ``lang`` (the unit from the catalogue)."""
    if lang == DEFAULT_LANG:
        return change_text(metric, diff, currency, signed=signed)
    bare = change_text(metric, diff, currency, signed=signed, bare=True)
    key = _UNIT_KEYS.get(reading(metric).change_unit)
    return f"{bare} {catalogue(lang)(key)}" if key else bare


def mean_words(
    metric: str, mean: float, low: float, high: float, currency: str = "", lang: str = DEFAULT_LANG
) -> str:
    """:func:`sim.results.display.mean_text` in ``lang``: ``0.657 （0–1 分制） [0.643, 0.671]``."""
    if lang == DEFAULT_LANG:
        return mean_text(metric, mean, low, high, currency)
    bare = mean_text(metric, mean, low, high, currency, bare=True)
    key = _UNIT_KEYS.get(reading(metric).unit)
    if not key:
        return bare
    head, sep, tail = bare.partition(" [")
    return f"{head} {catalogue(lang)(key)}{sep}{tail}"


def duration_text(days: float, lang: str = DEFAULT_LANG) -> str:
    """:func:`sim.results.display.duration_words` in ``lang``: ``3 years``, ``3 年``."""
    if lang == DEFAULT_LANG:
        return duration_words(days)
    t = catalogue(lang)
    short = format_duration(float(days))
    if days >= 2 and short.endswith(("h", "min")):
        return t("report.duration.days", days=float(days))
    for unit in ("min", "mo", "y", "w", "d", "h"):
        if short.endswith(unit) and short[: -len(unit)].isdigit():
            return t(f"report.duration.{unit}", count=int(short[: -len(unit)]))
    return t("report.duration.days", days=float(days))


def fmt(x: float) -> str:
    """A number for people: thousands separated, about three significant digits."""
    if x is None or not math.isfinite(x):
        return "n/a" if x is None or math.isnan(x) else ("∞" if x > 0 else "−∞")
    a = abs(x)
    if a >= 1000:
        text = f"{x:,.0f}"
    elif a >= 100:
        text = f"{x:.0f}"
    elif a >= 10:
        text = f"{x:.1f}"
    elif a >= 1:
        text = f"{x:.2f}"
    elif a == 0:
        text = "0"
    else:
        text = f"{x:.3g}"
    return text.replace("-", "−")


def _pct(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:.1f}".replace("-", "−")


def gain_text(
    row: Mapping[Any, Any], short: bool = False, with_factor: bool = True, lang: str = DEFAULT_LANG
) -> str:
    """The pairing gain of one difference row with its interval, or withheld with a note.

    Below :data:`sim.experiments.stats.MIN_GAIN_PAIRS` pairs a gain is mostly noise (at four
    pairs it swings by tens of points from seed to seed), so it is withheld and the note
    says why; ``short`` gives the note in a few characters, for a table with a caption.
    The replication factor follows in brackets unless ``with_factor`` is false.
    """
    t = catalogue(lang)
    reduction = float(row["reduction"])
    if not math.isfinite(reduction):
        return t("report.na")
    factor = f" ({fmt_factor(float(row['factor']))})" if with_factor else ""
    if reduction == 1.0:
        return f"{_pct(100.0)} %{factor}"
    low = float(row.get("reduction_low", math.nan))
    high = float(row.get("reduction_high", math.nan))
    if not (math.isfinite(low) and math.isfinite(high)):
        n = int(row["n"])
        key = "report.gain.withheld_short" if short else "report.gain.withheld"
        return t(key, n=n, need=MIN_GAIN_PAIRS)
    point = f"{_pct(100.0 * reduction)} %"
    return f"{point} [{_pct(100.0 * low)}, {_pct(100.0 * high)}]{factor}"


def fmt_factor(x: float) -> str:
    """A pairing factor (unpaired replications needed per paired one) for people."""
    if not math.isfinite(x):
        return "× ∞" if x > 0 else "n/a"
    return "× > 1,000" if x > 1000 else f"× {fmt(x)}"


def verdict(row: Mapping[Any, Any], currency: str = "", lang: str = DEFAULT_LANG) -> str:
    """One sentence for one row of :meth:`Comparison.differences`.

    The paired interval printed in the sentence decides, and nothing else: when it lies
    wholly above or below zero the sentence names the winner and the size of the gap in the
    KPI's own unit (points for shares, hours for waits, money with ``currency``), otherwise
    it says there is no detectable difference. Bounds keep their sign when rounded
    (:func:`sim.results.display.number`), so the words can always be checked against the
    numbers. A relative size follows in brackets only where it means something
    (:func:`sim.results.display.relative_applies`).
    """
    t = catalogue(lang)
    arm, base, metric = str(row["arm"]), str(row["baseline"]), str(row["metric"])
    name = metric_name(metric, lang)
    diff, low, high = float(row["diff"]), float(row["low"]), float(row["high"])
    if not (low > 0.0 or high < 0.0):
        change = change_words(metric, diff, currency, lang=lang)
        interval = interval_text(metric, low, high, currency, with_unit=False)
        return t("report.verdict.none", arm=arm, base=base, metric=name, change=change,
                 interval=interval)  # fmt: skip
    up = low > 0.0
    mag, mlo, mhi = (diff, low, high) if up else (-diff, -high, -low)
    size = (
        f"{change_words(metric, mag, currency, signed=False, lang=lang)} "
        f"{interval_text(metric, mlo, mhi, currency, with_unit=False)}"
    )
    rel = float(row.get("rel_pct", math.nan))
    if math.isfinite(rel) and relative_applies(metric, float(row.get("base_mean", math.nan))):
        more = t(
            "report.verdict.more" if up else "report.verdict.less", size=f"{number(abs(rel))} %"
        )
        size += f" ({more})"
    sense = int(row["direction"])
    if sense == 0:
        key = "report.verdict.higher" if up else "report.verdict.lower"
        return t(key, arm=arm, base=base, metric=name, size=size)
    key = "report.verdict.beats" if (1 if up else -1) * sense > 0 else "report.verdict.trails"
    note = t("report.verdict.lower_better") if sense < 0 else ""
    return t(key, arm=arm, base=base, metric=name, size=size, note=note)


def plain(text: object) -> str:
    r"""A user's string as matplotlib should draw it: literally.

    Matplotlib reads text between two ``$`` as mathtext (an arm named ``$x$`` would be
    typeset, one named ``$\frac`` would fail to render), and control characters draw as
    boxes or break the layout; ``$`` is escaped and control characters are shown as their
    escapes (:func:`sim.errors.printable`).
    """
    return printable(str(text)).replace("$", r"\$")


def fewer_customers_note(
    comparison: Comparison, metric: str, arm: str, lang: str = DEFAULT_LANG
) -> str:
    """A warning when ``arm`` looks better on a lower-is-better KPI by losing customers.

    Costs fall, waits shorten and complaints thin out when there are fewer customers to
    serve: a "better" cost bought by shrinking the firm is no win. When ``metric`` is lower
    -is-better and ``arm`` ends with detectably fewer active customers than the baseline
    (paired interval of ``active_end`` wholly below zero), the note says so; otherwise it is
    empty.
    """
    if arm == comparison.baseline or direction(metric) >= 0:
        return ""
    if "active_end" not in comparison.metrics:
        return ""
    rows = comparison.differences(["active_end"])
    row = rows[rows["arm"] == arm]
    if row.empty or not float(row["high"].iloc[0]) < 0.0:
        return ""
    r = row.iloc[0]
    change = change_words("active_end", float(r["diff"]), lang=lang)
    iv = interval_text("active_end", float(r["low"]), float(r["high"]), with_unit=False)
    return catalogue(lang)("report.verdict.fewer", change=change, interval=iv)


#: What a measured paired interval says of a claimed direction, in English (the catalogue's
#: ``report.claim.<status>``).
CLAIM_STATUS = {
    status: catalogue()(f"report.claim.{status}") for status in ("holds", "unclear", "fails")
}


def claim_status(row: Mapping[Any, Any]) -> str:
    """What the paired interval says of the claim ``row["expect"]``.

    Returns:
        ``"holds"``, ``"unclear"`` or ``"fails"``, read from ``[low, high]`` (the interval
        a verdict prints); ``""`` without a claim.
    """
    expect = str(row.get("expect", "") or "")
    if not expect:
        return ""
    low, high = float(row["low"]), float(row["high"])
    if not (low > 0.0 or high < 0.0):
        return "unclear"
    return "holds" if (low > 0.0) == (expect == "higher") else "fails"


def claim_line(row: Mapping[Any, Any], currency: str = "", lang: str = DEFAULT_LANG) -> str:
    """One headline metric, claimed against measured, in one line.

    ``lescant − basic, recovery_rate: claimed higher; measured +30.1 pts [28.0, 32.1]
    (n = 8): as claimed``. Without a claim the line gives the measurement alone.
    """
    t = catalogue(lang)
    metric = str(row["metric"])
    iv = interval_text(metric, float(row["low"]), float(row["high"]), currency, with_unit=False)
    change = change_words(metric, float(row["diff"]), currency, lang=lang)
    measured = f"{change} {iv} (n = {int(row['n'])})"
    head = f"{row['arm']} − {row['baseline']}, {metric_name(metric, lang)}: "
    status = claim_status(row)
    if not status:
        return t("report.claim.measured", head=head, measured=measured)
    expect = str(row["expect"])
    if t.has(f"report.claim.{expect}"):
        expect = t(f"report.claim.{expect}")
    return t("report.claim.line", head=head, expect=expect, measured=measured,
             status=t(f"report.claim.{status}"))  # fmt: skip
