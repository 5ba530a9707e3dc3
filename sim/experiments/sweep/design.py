"""Designs: the points of a sweep, drawn in the unit cube and turned into field values.

* **full factorial**: every combination of every factor's levels (a trainer's grid);
* **Latin hypercube** (:class:`scipy.stats.qmc.LatinHypercube`): n points, each factor's
  range cut into n strata and each stratum used once; with ``levers: grid`` the
  uncertainties are sampled and every lever setting of a full factorial is crossed with
  every sample, so each strategy meets the same worlds (a strategist's robustness table);
* **Sobol / Saltelli** (:func:`SALib.sample.sobol.sample`): N·(k + 2) points whose
  structure lets :func:`SALib.analyze.sobol.analyze` split the output's variance into
  first-order and total indices (a researcher's question: what matters);
* **Morris** (:func:`SALib.sample.morris.sample`): r trajectories of k + 1 points, one
  factor moved per step, for elementary effects μ* and σ: a cheap ranking of many factors.

The unit-cube coordinates are kept with the values: Sobol and Morris analyses read them in
the sampler's order. Everything is a pure function of the spec (the design's own seed), so
the same spec gives the same points in any process, and a resumed sweep finds its points
again.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.sweep.spec import SweepSpec
from sim.scenario.space import Factor

__all__ = ["Points", "design_points", "salib_problem"]


class Points:
    """The design points of a sweep.

    Attributes:
        unit: coordinates in the unit cube, one row per point, one column per factor
            (NaN for a full factorial's points, which come from levels, not coordinates).
        table: the ``experiments`` table: ``point`` and one column per factor (its value).
    """

    def __init__(self, unit: np.ndarray, table: pd.DataFrame) -> None:
        self.unit = unit
        self.table = table

    def __len__(self) -> int:
        return len(self.table)

    def settings(self, spec: SweepSpec, point: int) -> dict[str, Any]:
        """Dotted path → value of one point (what the run's scenario overrides)."""
        row = self.table.iloc[point]
        return {f.path: _plain(row[f.name]) for f in spec.factors}


def salib_problem(factors: tuple[Factor, ...]) -> dict[str, Any]:
    """The SALib problem of a design in the unit cube: every factor on [0, 1]."""
    return {
        "num_vars": len(factors),
        "names": [f.name for f in factors],
        "bounds": [[0.0, 1.0]] * len(factors),
    }


def design_points(spec: SweepSpec) -> Points:
    """The design points of ``spec``, in the sampler's order.

    Raises:
        ValueError: a design kind this module does not know (the spec checks it first).
    """
    design, factors = spec.design, spec.factors
    k = len(factors)
    if design.kind == "full_factorial":
        grids = [f.grid(design.levels) for f in factors]
        rows = list(itertools.product(*grids))
        return _points(factors, np.full((len(rows), k), np.nan), rows)
    if design.kind == "latin_hypercube" and design.levers == "grid":
        return _crossed(spec)
    if design.kind == "latin_hypercube":
        unit = _lhs(k, design.points, design.seed)
    elif design.kind == "sobol":
        from SALib.sample import sobol

        unit = sobol.sample(
            salib_problem(factors), design.points, calc_second_order=False, seed=design.seed
        )
    elif design.kind == "morris":
        from SALib.sample import morris

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            unit = morris.sample(
                salib_problem(factors), design.points, num_levels=design.levels, seed=design.seed
            )
    else:
        raise ValueError(f"unknown design {design.kind!r}")
    rows = [tuple(f.value(u) for f, u in zip(factors, row, strict=True)) for row in unit]
    return _points(factors, np.asarray(unit, dtype=float), rows)


def _lhs(k: int, n: int, seed: int) -> np.ndarray:
    from scipy.stats import qmc

    return np.asarray(qmc.LatinHypercube(d=k, rng=np.random.default_rng(seed)).random(n))


def _crossed(spec: SweepSpec) -> Points:
    """Uncertainty samples (LHS) × every lever setting, sample by sample."""
    factors = spec.factors
    worlds = spec.uncertainties
    levers = spec.levers
    unit_worlds = _lhs(max(len(worlds), 1), spec.design.points, spec.design.seed)
    grid = list(itertools.product(*(f.grid(spec.design.levels) for f in levers)))
    rows, unit = [], []
    for sample in unit_worlds:
        world = {f.name: f.value(u) for f, u in zip(worlds, sample, strict=False)}
        coords = dict(zip((f.name for f in worlds), sample, strict=False))
        for setting in grid:
            values = {**world, **dict(zip((f.name for f in levers), setting, strict=True))}
            rows.append(tuple(values[f.name] for f in factors))
            unit.append([coords.get(f.name, np.nan) for f in factors])
    return _points(factors, np.asarray(unit, dtype=float), rows)


def _points(factors: tuple[Factor, ...], unit: np.ndarray, rows: list[tuple[Any, ...]]) -> Points:
    columns: dict[str, Any] = {"point": np.arange(len(rows), dtype=np.int64)}
    for j, f in enumerate(factors):
        values = [r[j] for r in rows]
        if f.scale == "integer" and not f.categorical:
            columns[f.name] = np.asarray(values, dtype=np.int64)
        elif all(isinstance(v, float | int) and not isinstance(v, bool) for v in values):
            columns[f.name] = np.asarray(values, dtype=float)
        else:
            columns[f.name] = pd.Series(values, dtype="object")
    return Points(unit, pd.DataFrame(columns))


def _plain(value: Any) -> Any:
    """A numpy scalar as the plain Python value a scenario override expects."""
    return value.item() if isinstance(value, np.generic) else value
