"""Wording: the sentences and labels of the reports, as people read them.

A verdict names a winner only when the paired interval printed beside it says so, in the
KPI's own unit (:mod:`sim.results.display`); a pairing gain comes with its interval or says
that there are too few pairs to tell. The terminal and the HTML report both speak through
these functions, so they cannot word the same comparison differently. A user's string on
a figure goes through :func:`plain`, so matplotlib draws it literally.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sim.errors import printable
from sim.experiments.stats import MIN_GAIN_PAIRS, direction
from sim.results.display import change_text, interval_text, number, relative_applies

if TYPE_CHECKING:
    from sim.experiments.comparison import Comparison

__all__ = [
    "CLAIM_STATUS",
    "claim_line",
    "claim_status",
    "fewer_customers_note",
    "fmt",
    "fmt_factor",
    "gain_text",
    "plain",
    "verdict",
]


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


def gain_text(row: Mapping[Any, Any], short: bool = False, with_factor: bool = True) -> str:
    """The pairing gain of one difference row with its interval, or withheld with a note.

    Below :data:`sim.experiments.stats.MIN_GAIN_PAIRS` pairs a gain is mostly noise (at four
    pairs it swings by tens of points from seed to seed), so it is withheld and the note
    says why; ``short`` gives the note in a few characters, for a table with a caption.
    The replication factor follows in brackets unless ``with_factor`` is false.
    """
    reduction = float(row["reduction"])
    if not math.isfinite(reduction):
        return "n/a"
    factor = f" ({fmt_factor(float(row['factor']))})" if with_factor else ""
    if reduction == 1.0:
        return f"{_pct(100.0)} %{factor}"
    low = float(row.get("reduction_low", math.nan))
    high = float(row.get("reduction_high", math.nan))
    if not (math.isfinite(low) and math.isfinite(high)):
        n = int(row["n"])
        if short:
            return f"withheld (n = {n} < {MIN_GAIN_PAIRS})"
        return f"withheld: {n} pairs are too few to estimate it (it needs {MIN_GAIN_PAIRS})"
    point = f"{_pct(100.0 * reduction)} %"
    return f"{point} [{_pct(100.0 * low)}, {_pct(100.0 * high)}]{factor}"


def fmt_factor(x: float) -> str:
    """A pairing factor (unpaired replications needed per paired one) for people."""
    if not math.isfinite(x):
        return "× ∞" if x > 0 else "n/a"
    return "× > 1,000" if x > 1000 else f"× {fmt(x)}"


def verdict(row: Mapping[Any, Any], currency: str = "") -> str:
    """One sentence for one row of :meth:`Comparison.differences`.

    The paired interval printed in the sentence decides, and nothing else: when it lies
    wholly above or below zero the sentence names the winner and the size of the gap in the
    KPI's own unit (points for shares, hours for waits, money with ``currency``), otherwise
    it says there is no detectable difference. Bounds keep their sign when rounded
    (:func:`sim.results.display.number`), so the words can always be checked against the
    numbers. A relative size follows in brackets only where it means something
    (:func:`sim.results.display.relative_applies`).
    """
    arm, base, metric = str(row["arm"]), str(row["baseline"]), str(row["metric"])
    diff, low, high = float(row["diff"]), float(row["low"]), float(row["high"])
    if not (low > 0.0 or high < 0.0):
        return (
            f"no detectable difference between {arm} and {base} on {metric}: "
            f"{change_text(metric, diff, currency)} "
            f"{interval_text(metric, low, high, currency, with_unit=False)}"
        )
    up = low > 0.0
    mag, mlo, mhi = (diff, low, high) if up else (-diff, -high, -low)
    size = (
        f"{change_text(metric, mag, currency, signed=False)} "
        f"{interval_text(metric, mlo, mhi, currency, with_unit=False)}"
    )
    rel = float(row.get("rel_pct", math.nan))
    if math.isfinite(rel) and relative_applies(metric, float(row.get("base_mean", math.nan))):
        size += f" ({number(abs(rel))} % {'more' if up else 'less'})"
    sense = int(row["direction"])
    if sense == 0:
        return f"{arm} is {'higher' if up else 'lower'} than {base} on {metric} by {size}"
    word = "beats" if (1 if up else -1) * sense > 0 else "trails"
    note = "; lower is better" if sense < 0 else ""
    return f"{arm} {word} {base} on {metric} by {size}{note}"


def plain(text: object) -> str:
    r"""A user's string as matplotlib should draw it: literally.

    Matplotlib reads text between two ``$`` as mathtext (an arm named ``$x$`` would be
    typeset, one named ``$\frac`` would fail to render), and control characters draw as
    boxes or break the layout; ``$`` is escaped and control characters are shown as their
    escapes (:func:`sim.errors.printable`).
    """
    return printable(str(text)).replace("$", r"\$")


def fewer_customers_note(comparison: Comparison, metric: str, arm: str) -> str:
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
    change = change_text("active_end", float(r["diff"]))
    iv = interval_text("active_end", float(r["low"]), float(r["high"]), with_unit=False)
    return f"with fewer customers at the end ({change} {iv})"


#: What a measured paired interval says of a claimed direction.
CLAIM_STATUS = {
    "holds": "as claimed",
    "unclear": "not detectable at this number of replications",
    "fails": "the opposite of the claim",
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


def claim_line(row: Mapping[Any, Any], currency: str = "") -> str:
    """One headline metric, claimed against measured, in one line.

    ``lescant − basic, recovery_rate: claimed higher; measured +30.1 pts [28.0, 32.1]
    (n = 8): as claimed``. Without a claim the line gives the measurement alone.
    """
    metric = str(row["metric"])
    measured = (
        f"{change_text(metric, float(row['diff']), currency)} "
        f"{interval_text(metric, float(row['low']), float(row['high']), currency, with_unit=False)}"
        f" (n = {int(row['n'])})"
    )
    head = f"{row['arm']} − {row['baseline']}, {metric}: "
    status = claim_status(row)
    if not status:
        return f"{head}measured {measured}"
    return f"{head}claimed {row['expect']}; measured {measured}: {CLAIM_STATUS[status]}"
