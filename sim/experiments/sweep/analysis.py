"""Analysing a finished sweep: tidy tables, SALib indices, the best lever under uncertainty.

Three tables leave a sweep, each documented column by column in :data:`COLUMNS`:

* ``experiments``: one row per design point, its factor values;
* ``outcomes``: one row per run and output (long form: ``point, replication, output,
  value``), ready for a groupby;
* ``indices``: one row per output, method, factor and index: Sobol first-order ``S1`` and
  total ``ST`` with bootstrap confidence intervals, or Morris ``mu_star`` and ``sigma``.

Indices are computed on each point's mean over its replications: with common random numbers
every point sees the same worlds, so the mean is the factor's effect, not the luck of the
draw. The bootstrap intervals are SALib's, over the design's points; they say how far the
design's finite sample leaves the index uncertain.

:func:`best_levers` answers a strategist: for each lever setting, its mean outcome and its
regret across the worlds it met (a world is one uncertainty sample and one replication):
how much worse it did than the best setting in that same world. A setting with a good mean
and a small largest regret is robust; one that wins on average but loses badly in some
worlds is a bet.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from sim.experiments.sweep.design import Points, salib_problem
from sim.experiments.sweep.spec import SweepSpec
from sim.results.catalogue import kpi

__all__ = ["COLUMNS", "CONF_LEVEL", "best_levers", "indices", "outcomes", "point_means"]

#: Confidence level of the bootstrap intervals of every index.
CONF_LEVEL = 0.95
#: Bootstrap resamples per index.
RESAMPLES = 1000

#: Every column of the tables a sweep writes: table → column → meaning.
COLUMNS: dict[str, dict[str, str]] = {
    "experiments": {
        "point": "design point number, in the sampler's order (0, 1, …)",
        "<factor>": "one column per factor, named by the factor's name: its value at the "
        "point, in the factor's unit (sweep.json lists each factor's path and unit)",
    },
    "runs": {
        "task": "the task that ran the point (tasks group consecutive points)",
        "point": "design point number (joins experiments)",
        "replication": "replication number r; every point's replication r ran on the same "
        "seed (common random numbers)",
        "seed": "the experiment seed, the SeedSequence entropy of every run",
        "seed_key": "the run's SeedSequence spawn key (r): run = SeedSequence(seed, (r,))",
        "<kpi>": "one column per KPI of the run (docs/results.md, the KPI catalogue)",
        "seconds": "wall time of the run in its worker (a stack's time shared equally); the "
        "one column that differs between two executions of the same sweep",
    },
    "outcomes": {
        "point": "design point number (joins experiments)",
        "replication": "replication number (common random numbers across points)",
        "output": "the KPI's name (one of the spec's outputs)",
        "value": "the KPI's value in that run, in the KPI's unit",
    },
    "indices": {
        "output": "the KPI analysed",
        "method": "sobol (variance-based, Saltelli design) or morris (elementary effects)",
        "factor": "the factor's name",
        "index": "S1 (first-order Sobol: share of the output's variance due to the factor "
        "alone), ST (total: with all its interactions), mu_star (mean absolute elementary "
        "effect, in the output's unit per unit-cube step), sigma (spread of the effects: "
        "interactions or non-linearity)",
        "value": "the index's estimate, on the points' means over replications",
        "low": f"low end of the {CONF_LEVEL:.0%} bootstrap interval (NaN for sigma)",
        "high": f"high end of the {CONF_LEVEL:.0%} bootstrap interval (NaN for sigma)",
    },
    "best_levers": {
        "<lever>": "one column per lever: the setting's value",
        "mean": "the output's mean over every world the setting met",
        "regret_mean": "mean over worlds of (best setting's output − this one's), with "
        "'best' in the KPI's better direction: 0 means best in every world",
        "regret_max": "the largest regret over the worlds: the worst surprise",
        "worlds": "worlds the setting was judged in (uncertainty samples × replications)",
    },
}


def outcomes(dataset: pd.DataFrame, outputs: tuple[str, ...]) -> pd.DataFrame:
    """The ``outcomes`` table: one row per run and output."""
    long = dataset.melt(
        id_vars=["point", "replication"], value_vars=list(outputs), var_name="output"
    )
    return long.sort_values(["output", "point", "replication"], ignore_index=True)


def point_means(dataset: pd.DataFrame, output: str, points: int) -> np.ndarray:
    """Each point's mean of ``output`` over its replications, in point order."""
    means = dataset.groupby("point")[output].mean()
    return means.reindex(range(points)).to_numpy(dtype=float)


def indices(spec: SweepSpec, points: Points, dataset: pd.DataFrame) -> pd.DataFrame:
    """The ``indices`` table for a Sobol or Morris sweep (empty for other designs)."""
    rows: list[dict[str, object]] = []
    problem = salib_problem(spec.factors)
    for output in spec.outputs:
        y = point_means(dataset, output, len(points))
        if spec.design.kind == "sobol":
            from SALib.analyze import sobol

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                got = sobol.analyze(problem, y, calc_second_order=False, num_resamples=RESAMPLES,
                                    conf_level=CONF_LEVEL, seed=spec.design.seed)  # fmt: skip
            for j, f in enumerate(spec.factors):
                for name in ("S1", "ST"):
                    value, half = float(got[name][j]), float(got[f"{name}_conf"][j])
                    rows.append(_row(output, "sobol", f.name, name, value, half))
        elif spec.design.kind == "morris":
            from SALib.analyze import morris

            got = morris.analyze(problem, points.unit, y, num_resamples=RESAMPLES,
                                 conf_level=CONF_LEVEL, num_levels=spec.design.levels,
                                 seed=spec.design.seed)  # fmt: skip
            for j, f in enumerate(spec.factors):
                mu, half = float(got["mu_star"][j]), float(got["mu_star_conf"][j])
                rows.append(_row(output, "morris", f.name, "mu_star", mu, half))
                rows.append(_row(output, "morris", f.name, "sigma", float(got["sigma"][j])))
    columns = list(COLUMNS["indices"])
    return pd.DataFrame(rows, columns=columns)


def _row(output: str, method: str, factor: str, index: str, value: float,
         half: float = float("nan")) -> dict[str, object]:  # fmt: skip
    return {"output": output, "method": method, "factor": factor, "index": index,
            "value": value, "low": value - half, "high": value + half}  # fmt: skip


def best_levers(
    spec: SweepSpec, experiments: pd.DataFrame, dataset: pd.DataFrame, output: str
) -> pd.DataFrame:
    """Mean and regret of every lever setting across the worlds it met.

    A world is one combination of the uncertainties' values and one replication. Only
    worlds in which every setting ran are judged, so each setting faces the same worlds.
    Returns an empty table when the design does not cross lever settings with worlds
    (each point its own setting, as in Sobol or Morris designs).
    """
    levers = [f.name for f in spec.levers]
    worlds = [f.name for f in spec.uncertainties] + ["replication"]
    if not levers:
        return pd.DataFrame(columns=[*COLUMNS["best_levers"]])
    frame = dataset[["point", "replication", output]].merge(experiments, on="point")
    empty = pd.DataFrame(columns=[*levers, *list(COLUMNS["best_levers"])[1:]])
    if len(frame[levers].drop_duplicates()) < 2:
        return empty
    sign = _direction(output)
    frame["_setting"] = frame.groupby(levers, sort=False, dropna=False).ngroup()
    frame["_world"] = frame.groupby(worlds, sort=False, dropna=False).ngroup()
    wide = frame.pivot_table(index="_world", columns="_setting", values=output, aggfunc="mean")
    wide = wide.dropna()
    if wide.empty or wide.shape[1] < 2:  # no world met two settings: nothing to compare
        return empty
    best = (wide * sign).max(axis=1)
    regret = best.to_numpy()[:, None] - (wide * sign).to_numpy()
    table = frame.drop_duplicates("_setting").set_index("_setting")[levers]
    table = table.loc[wide.columns].reset_index(drop=True)
    table["mean"] = wide.mean(axis=0).to_numpy()
    table["regret_mean"] = regret.mean(axis=0)
    table["regret_max"] = regret.max(axis=0)
    table["worlds"] = len(wide)
    return table.sort_values(["regret_mean", "regret_max"], ignore_index=True)


def _direction(output: str) -> int:
    """+1 when more of ``output`` is better, −1 when less is (0, neither, counts as more)."""
    try:
        better = kpi(output).better
    except LookupError:  # a function model's output: higher counts as better
        return 1
    return -1 if better < 0 else 1
