"""Headlines: the comparisons a lesson reports, and the check that they name real things.

A lesson scenario says in its own file what it demonstrates — LESCANT against basic
complaint handling, on the recovery rate and discounted profit — so that
``scripts/measure_lessons.py`` measures it and ``docs/lessons.md`` reports it without a
list kept in code. :class:`Headline` fixes the shape; :func:`headline_problems` checks the
names once the scenario is valid: the arms are a sibling field, and the KPI names come from
the caller, because the KPI catalogue lives in :mod:`sim.results`, above this layer.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence
from typing import Literal

from pydantic import Field

from agents.units import Frozen
from sim.errors import Problem
from sim.scenario.intake import show
from sim.scenario.sources import Origin, Origins

__all__ = ["Headline", "headline_problems", "reference_problems"]


class Headline(Frozen):
    """One headline comparison of a lesson: an arm against a reference arm on a few KPIs."""

    arm: str = Field(min_length=1, description="the arm whose effect is reported (one of arms)")
    against: str = Field(
        min_length=1, description="the reference arm it is compared with (one of arms)"
    )
    metrics: tuple[str, ...] = Field(
        min_length=1,
        description="KPI names (the summary KPIs of docs/results.md) reported for this "
        "comparison, in order",
    )
    expect: dict[str, Literal["higher", "lower"]] = Field(
        default_factory=dict,
        description="the lesson's claim, metric by metric: the arm's value is higher or "
        "lower than the reference arm's; reports set each claim beside what was measured",
    )
    claim: str = Field(
        default="",
        description="the claim in the course's words (\"the deck claims ~70 % of complainers "
        'stay"), printed with the measured line; does not affect the run',
    )


def headline_problems(
    headlines: Sequence[Headline],
    arms: Collection[str],
    origins: Origins,
    kpis: Collection[str] | None,
) -> list[Problem]:
    """Headlines naming an arm not in ``arms``, or a metric outside ``kpis`` (if given).

    A scenario without arms can have no headlines: there is nothing to compare.
    """
    problems: list[Problem] = []
    names = list(arms)
    for i, headline in enumerate(headlines):
        for key in ("arm", "against"):
            name = getattr(headline, key)
            if name not in names:
                problems.append(
                    _located(
                        f"headlines.{i}.{key}",
                        name,
                        "is not an arm of this scenario",
                        f"one of the arms: {', '.join(names)}"
                        if names
                        else "an arm of an arms: block (this scenario has none)",
                        names,
                        origins,
                    )
                )
        for metric in headline.expect:
            if metric not in headline.metrics:
                problems.append(
                    _located(
                        f"headlines.{i}.expect.{metric}",
                        metric,
                        "is not one of this headline's metrics",
                        f"one of: {', '.join(headline.metrics)}",
                        list(headline.metrics),
                        origins,
                    )
                )
        for j, metric in enumerate(headline.metrics):
            if kpis is not None and metric not in kpis:
                problems.append(
                    _located(
                        f"headlines.{i}.metrics.{j}",
                        metric,
                        "is not a KPI",
                        "a KPI name of the summary table (docs/results.md lists them)",
                        list(kpis),
                        origins,
                    )
                )
    return problems


def reference_problems(
    reference: str | None, arms: Collection[str], origins: Origins
) -> list[Problem]:
    """A ``reference`` that names no arm (or is given without arms)."""
    if reference is None or reference in arms:
        return []
    names = list(arms)
    allowed = f"one of the arms: {', '.join(names)}" if names else "an arm of an arms: block"
    return [
        _located("reference", reference, "is not an arm of this scenario", allowed, names, origins)
    ]


def _located(
    path: str, value: str, message: str, allowed: str, names: list[str], origins: Origins
) -> Problem:
    """A problem with a name at ``path``, placed where the file (or nearest parent) set it."""
    close = difflib.get_close_matches(value, names, n=1)
    if close:
        allowed += f"; did you mean {close[0]!r}?"
    parts = path.split(".")
    origin = Origin(None, None)
    while parts:
        found = origins.get(".".join(parts))
        if found is not None:
            origin = found
            break
        parts.pop()
    return Problem(path, origin.line, show(value), message, allowed, origin.file, origin.override)
