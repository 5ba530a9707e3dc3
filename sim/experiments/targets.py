"""Precision targets: how narrow each paired difference must get, and how many runs that takes.

An adaptive comparison does not fix its replication count in advance. It is given a target
such as ``profit:2%`` ("every arm's profit difference from the baseline known to within ±2 %
of the baseline's profit"), runs a first batch, and keeps adding batches until every paired
difference's interval is that narrow or a cap is reached, like a surveyor who keeps
measuring until the error bar is small enough to sign the plan. The target is on the
difference because the difference is what a comparison is for: with common random numbers
it is known far sooner than either arm's mean.

* :class:`Target` and :func:`parse_target` — the ``"profit:2%"`` / ``"profit:5000"`` forms;
* :class:`TargetStatus` — whether, and from which replication count, an arm met it;
* :func:`needed` and :func:`next_batch` — how many replications the target needs, and how
  many the comparison runs next.

The intervals themselves come from :mod:`sim.experiments.stats`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sim.errors import UserError
from sim.experiments.stats import Interval

__all__ = ["Target", "TargetStatus", "needed", "next_batch", "parse_target"]


@dataclass(frozen=True)
class Target:
    """A precision target for adaptive replication.

    Attributes:
        metric: the KPI whose arm means must be precise.
        value: the allowed half-width of each arm mean's 95 % interval: in percent of the
            mean's magnitude when ``relative``, otherwise in the metric's unit.
        relative: whether ``value`` is a percentage.
    """

    metric: str
    value: float
    relative: bool

    def allowed(self, scale: float) -> float:
        """The half-width allowed against a reference value ``scale``.

        ``scale`` is the baseline's mean for a paired difference (or the arm's own mean for
        an arm mean); a relative target allows that percentage of its magnitude.
        """
        return self.value / 100.0 * abs(scale) if self.relative else self.value

    def met(self, interval: Interval, scale: float | None = None) -> bool:
        """Whether ``interval`` is as narrow as the target asks against ``scale``.

        Without ``scale`` the interval's own estimate is the reference (an arm mean).
        """
        hw = interval.half_width
        ref = interval.estimate if scale is None else scale
        return bool(math.isfinite(hw) and hw <= self.allowed(ref))

    def __str__(self) -> str:
        return f"{self.metric}:{self.value:g}{'%' if self.relative else ''}"


@dataclass(frozen=True)
class TargetStatus:
    """Whether one arm reached the precision target.

    Attributes:
        arm: the arm's name (each arm but the baseline: its difference from the baseline).
        met: whether the paired difference's interval was narrow enough at the final ``n``.
        n_met: the replication count from which the target held (None if not met).
        half_width: the final half-width of the paired difference's interval.
        allowed: the half-width the target allows at the baseline's final mean.
    """

    arm: str
    met: bool
    n_met: int | None
    half_width: float
    allowed: float


_TARGET_HINT = "write METRIC:VALUE, e.g. profit:2% (relative half-width) or profit:5000"


def parse_target(text: str) -> Target:
    """Parse ``"profit:2%"`` (relative) or ``"profit:5000"`` (absolute) into a :class:`Target`.

    Args:
        text: the metric name, a colon, and a positive half-width; a trailing ``%`` makes it
            relative to the arm mean's magnitude (at most 100 %).

    Returns:
        The target. The metric name is checked against the run's KPIs later, when known.

    Raises:
        UserError: the text is not of that form, or the value is not a positive number.
    """
    raw = text.strip() if isinstance(text, str) else ""
    if raw.count(":") != 1:
        raise UserError(
            f"target {text!r}: expected one ':' between metric and value; {_TARGET_HINT}"
        )
    metric, value_text = (p.strip() for p in raw.split(":"))
    if not re.fullmatch(r"[A-Za-z_]\w*", metric):
        raise UserError(f"target {text!r}: {metric!r} is not a metric name; {_TARGET_HINT}")
    relative = value_text.endswith("%")
    number = value_text[:-1].strip() if relative else value_text
    try:
        value = float(number)
    except ValueError:
        raise UserError(
            f"target {text!r}: {value_text!r} is not a number; {_TARGET_HINT}"
        ) from None
    if not math.isfinite(value) or value <= 0.0:
        raise UserError(f"target {text!r}: the half-width must be a positive number")
    if relative and value > 100.0:
        raise UserError(f"target {text!r}: a relative half-width must be at most 100%")
    return Target(metric, value, relative)


def needed(done: int, intervals: Iterable[tuple[Interval, float]], target: Target) -> int:
    """Replications the target needs, projected from ``done`` so far (at least ``done``).

    The half-width shrinks like 1/√n, so an interval of half-width ``h`` against an allowed
    ``w`` needs about ``n · (h / w)²`` runs; aim 10 % above the neediest. Undefined widths
    ask for twice as many.

    Args:
        done: replications run so far.
        intervals: ``(interval, scale)`` per arm: each paired difference's interval and the
            value a relative target is a percentage of (the baseline's mean).
        target: the precision target.
    """
    need = done
    for iv, scale in intervals:
        if target.met(iv, scale):
            continue
        allowed = target.allowed(scale)
        if allowed > 0 and math.isfinite(iv.half_width):
            need = max(need, math.ceil(done * (iv.half_width / allowed) ** 2 * 1.1))
        else:
            need = max(need, 2 * done)
    return need


def next_batch(
    done: int, intervals: Iterable[tuple[Interval, float]], target: Target, max_n: int
) -> int:
    """Replications to have after the next batch of an adaptive comparison.

    Aim at :func:`needed`, but at least a quarter more runs than so far and at most twice
    as many, so that a noisy early estimate can neither stall the loop nor overshoot
    wildly; never beyond ``max_n``.

    Args:
        done: replications run so far.
        intervals: ``(interval, scale)`` per arm (see :func:`needed`).
        target: the precision target.
        max_n: the replication cap.

    Returns:
        The new total number of replications.
    """
    need = needed(done, intervals, target)
    return min(max_n, min(max(need, done + max(1, done // 4)), 2 * done))
