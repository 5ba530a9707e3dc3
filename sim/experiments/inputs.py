"""What a user hands an experiment, checked: scenarios, counts and metric names.

Replications and comparisons take the same kinds of arguments and fail on them with the
same plain-words messages; the checks live here once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from sim.errors import ArgumentError, UserError
from sim.scenario.spec import Scenario, load_scenario

__all__ = ["as_scenario", "check_count", "check_executor", "chosen_metrics", "unknown_metric"]


def as_scenario(scenario: Scenario | str | Path) -> Scenario:
    """A :class:`Scenario` as given, or loaded from a library name or YAML path."""
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def check_count(name: str, n: int, least: int = 2) -> None:
    """Raise a :class:`UserError` unless ``n`` is a whole number of at least ``least``."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < least:
        raise UserError(f"{name} must be a whole number ≥ {least}, got {n!r}")


def check_executor(executor: object) -> None:
    """Raise an :class:`ArgumentError` unless ``executor`` is None or has a ``map`` method."""
    if executor is not None and not callable(getattr(executor, "map", None)):
        raise ArgumentError(f"executor must have a map method, got {executor!r:.60}")


def unknown_metric(metric: str, known: list[str]) -> str:
    """The message for an unknown metric name, with the closest known one as a hint."""
    close = difflib.get_close_matches(metric, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown metric {metric!r}{hint} Known: {', '.join(known)}"


def chosen_metrics(known: list[str], metrics: Iterable[str] | None) -> list[str]:
    """The metrics asked for (one name or several), all of ``known`` when None.

    Raises:
        UserError: a name that is not in ``known``.
    """
    if metrics is None:
        return list(known)
    chosen = [metrics] if isinstance(metrics, str) else list(metrics)
    for m in chosen:
        if m not in known:
            raise UserError(unknown_metric(m, known))
    return chosen
