"""The space a sweep explores: which scenario fields are the world and which are the strategy.

EMA Workbench taught the habit: keep the *uncertainties* (what the firm cannot choose: the
market's price, how loss-averse customers are, how fast trust decays) apart from the
*levers* (what it decides: staff, quality, the complaint policy, the acquisition budget).
A strategy is judged across many worlds, never in the one world someone assumed.

A :class:`Factor` is one field of the scenario named by its dotted path, with its kind, the
unit its values are written in, a default range (or its levels) and a sampling scale:

* ``linear``: evenly between low and high;
* ``log``: evenly in the logarithm (a budget from 3,000 to 48,000 spends as much of the
  design between 3,000 and 12,000 as between 12,000 and 48,000);
* ``integer``: whole numbers from low to high, both included, each equally likely;
* ``categorical``: one of the listed levels, each equally likely.

A design works in the unit cube; :meth:`Factor.value` turns a coordinate ``u`` in [0, 1]
into the field's value, so the same Sobol or Morris design serves every scale.

:data:`DEFAULT_SPACE` is the baseline's space; a sweep may name any other field by its
path, with a range of its own. :func:`factor_problems` checks a factor against the scenario
schema by loading the base scenario with each end of its range (or each level) set: a path
the schema does not have, or a value the field does not accept, is found before any run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from sim.errors import ScenarioError

__all__ = [
    "DEFAULT_SPACE",
    "KINDS",
    "SCALES",
    "UNCERTAIN_SECTIONS",
    "Factor",
    "default_factor",
    "factor_problems",
    "kind_of",
    "with_range",
]

#: The kinds of factor.
KINDS = ("uncertainty", "lever")
#: The sampling scales.
SCALES = ("linear", "log", "integer", "categorical")

#: Sections of a scenario that describe the world rather than the firm's choices.
UNCERTAIN_SECTIONS = ("market", "population", "behaviour", "economics", "contract")

Kind = Literal["uncertainty", "lever"]
Scale = Literal["linear", "log", "integer", "categorical"]


@dataclass(frozen=True)
class Factor:
    """One scenario field a sweep varies.

    Attributes:
        path: the field's dotted path (``strategy.service.staff``).
        name: a short unique name, used as a column name (default: the path's last part).
        kind: ``"uncertainty"`` (the world) or ``"lever"`` (the strategy).
        unit: the unit values are written in, as a reader would say it.
        low: the low end of a numeric range (None for a categorical factor).
        high: the high end of a numeric range (None for a categorical factor).
        scale: ``linear``, ``log``, ``integer`` or ``categorical``.
        levels: explicit levels: the categories of a categorical factor, or the grid of
            a numeric one in a full-factorial design (empty: derived from the range).
    """

    path: str
    name: str = ""
    kind: Kind = "lever"
    unit: str = ""
    low: float | None = None
    high: float | None = None
    scale: Scale = "linear"
    levels: tuple[Any, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.path.rsplit(".", 1)[-1])

    @property
    def categorical(self) -> bool:
        """Whether the factor takes one of its levels rather than a number in a range."""
        return self.scale == "categorical"

    def value(self, u: float) -> Any:
        """The factor's value at coordinate ``u`` of the unit interval.

        ``u`` = 1 maps to ``high`` (or the last level); integers and levels split the
        interval into equal parts, so each is drawn equally often.
        """
        u = min(max(float(u), 0.0), 1.0)
        if self.categorical:
            return self.levels[min(int(u * len(self.levels)), len(self.levels) - 1)]
        low, high = float(self.low or 0.0), float(self.high or 0.0)
        if self.scale == "integer":
            lo, hi = math.ceil(low), math.floor(high)
            return int(min(lo + int(u * (hi - lo + 1)), hi))
        if self.scale == "log":
            return float(math.exp(math.log(low) + u * (math.log(high) - math.log(low))))
        return float(low + u * (high - low))

    def grid(self, count: int) -> tuple[Any, ...]:
        """Levels of a full-factorial design: the explicit ones, or ``count`` over the range.

        Integers are rounded and repeated ones dropped; a log scale spaces them evenly in
        the logarithm.
        """
        if self.levels:
            return self.levels
        if count < 2:
            return (self.value(0.5),)
        if self.scale == "integer":
            lo, hi = math.ceil(float(self.low or 0)), math.floor(float(self.high or 0))
            points = [round(lo + k * (hi - lo) / (count - 1)) for k in range(count)]
            return tuple(dict.fromkeys(int(p) for p in points))
        return tuple(self.value(k / (count - 1)) for k in range(count))

    def describe(self) -> str:
        """``staff (lever, people): 1 to 6, integer`` for a listing."""
        what = ", ".join(p for p in (self.kind, self.unit) if p)
        if self.categorical:
            span = "one of " + ", ".join(str(v) for v in self.levels)
        else:
            span = f"{self.low:g} to {self.high:g}, {self.scale}"
        return f"{self.name} ({what}): {span}"


def kind_of(path: str) -> Kind:
    """The kind of a field by its section: the world's sections are uncertainties."""
    return "uncertainty" if path.split(".", 1)[0] in UNCERTAIN_SECTIONS else "lever"


def _u(path: str, name: str, unit: str, low: float, high: float) -> Factor:
    return Factor(path, name, kind="uncertainty", unit=unit, low=low, high=high)


def _lever(
    path: str, name: str, unit: str, low: float, high: float, scale: Scale = "linear"
) -> Factor:
    return Factor(path, name, kind="lever", unit=unit, low=low, high=high, scale=scale)


#: The baseline's space: the world's plausible spread around the baseline's values, and
#: the levers a CRM manager actually holds, each over the range a lesson would try.
DEFAULT_SPACE: tuple[Factor, ...] = (
    _u(
        "market.price",
        "market_price",
        "index of the market average price (1 = ours today)",
        0.85,
        1.15,
    ),
    _u(
        "behaviour.loss_aversion",
        "loss_aversion",
        "ratio of a loss's weight to an equal gain's",
        1.5,
        3.0,
    ),
    _u("behaviour.tolerance", "tolerance", "satisfaction points shrugged off", 0.02, 0.10),
    _u(
        "behaviour.hazard.dissatisfaction",
        "dissatisfaction_hazard",
        "multiplier of the churn hazard",
        1.0,
        4.0,
    ),
    _u("behaviour.hazard.price", "price_hazard", "churn hazard per unit of price gap", 5.0, 20.0),
    _u("behaviour.account.half_life", "trust_half_life", "days", 90.0, 365.0),
    _u("economics.cogs_share", "cogs_share", "share of revenue", 0.5, 0.7),
    _lever("strategy.service.staff", "staff", "people at the service desk", 1, 6, "integer"),
    _lever("strategy.quality.product", "quality", "quality score (0 to 1)", 0.55, 0.80),
    _lever("strategy.account_managers.count", "account_managers", "people", 1, 10, "integer"),
    _lever(
        "strategy.acquisition.budget_per_period",
        "acquisition_budget",
        "money per period",
        3000,
        48000,
        "log",
    ),
    _lever("strategy.pricing.list_price", "list_price", "index of the market price", 0.9, 1.1),
    Factor(
        "strategy.complaints.handling",
        name="complaint_handling",
        kind="lever",
        unit="complaint policy",
        scale="categorical",
        levels=("basic", "lescant"),
    ),
    Factor(
        "strategy.early_warning.enabled",
        name="early_warning",
        kind="lever",
        unit="on or off",
        scale="categorical",
        levels=(False, True),
    ),
    Factor(
        "strategy.selection.policy",
        name="selection",
        kind="lever",
        unit="what to do with unprofitable customers",
        scale="categorical",
        levels=("none", "migrate", "fire"),
    ),
)


def default_factor(path: str) -> Factor | None:
    """The :data:`DEFAULT_SPACE` factor of ``path``, or None when the space has none."""
    return next((f for f in DEFAULT_SPACE if f.path == path), None)


def factor_problems(
    factor: Factor,
    base: str | Path | Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
) -> list[tuple[str, str, str | None]]:
    """What is wrong with ``factor`` on the scenario ``base``, checked against the schema.

    The range's ends (or every level) are set on the base scenario one at a time and the
    scenario validated: the schema decides, so a duration, a share or a literal choice is
    judged exactly as a scenario file would be.

    Args:
        factor: the factor.
        base: the base scenario (library name, path or mapping).
        overrides: the sweep's own settings on the base, applied first.

    Returns:
        ``(part, message, allowed)`` per problem; ``part`` is ``"path"``, ``"range"`` or
        ``"levels"``, the part of the factor at fault. Empty when the factor is sound.
    """
    from sim.scenario.fields import root, slot_at
    from sim.scenario.spec import Scenario, load_scenario

    problems: list[tuple[str, str, str | None]] = []
    if not factor.categorical and factor.low is not None and factor.high is not None:
        if factor.low > factor.high:
            problems.append(
                ("range", f"low {factor.low:g} is above high {factor.high:g}", "low ≤ high")
            )
        if factor.scale == "log" and factor.low <= 0:
            problems.append(("range", "a log scale needs a range above 0", "0 < low ≤ high"))
        if factor.scale == "integer" and math.ceil(factor.low) > math.floor(factor.high):
            problems.append(("range", "the range holds no whole number", "low ≤ n ≤ high"))
    if problems:
        return problems
    part = "levels" if factor.levels else "range"
    candidates: Sequence[Any] = factor.levels or (
        (factor.value(0.0), factor.value(0.37), factor.value(1.0)) if factor.low is not None else ()
    )
    for value in candidates:
        try:
            load_scenario(base, {**(overrides or {}), factor.path: value})
        except ScenarioError as exc:
            mine = [p for p in exc.problems if p.path.startswith(factor.path)] or exc.problems
            if slot_at(root(Scenario), factor.path) is None:
                return [("path", mine[0].message, mine[0].allowed)]
            problems.append((part, f"{value!r}: {mine[0].message}", mine[0].allowed))
    return problems


def with_range(factor: Factor, **changes: Any) -> Factor:
    """``factor`` with some attributes replaced (a sweep's own range on a default factor)."""
    return replace(factor, **changes)
