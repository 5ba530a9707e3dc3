"""Ranking: how likely each arm of a comparison is to be the best on one metric.

A paired bootstrap over replications keeps the arms' shared noise shared, the way the
experiment did; :mod:`sim.experiments.stats` re-exports :func:`prob_best` with the other
statistics of a comparison.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = ["prob_best"]

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]


def prob_best(
    values: ArrayLike,
    sense: int = 1,
    n_boot: int = 4000,
    rng: np.random.Generator | None = None,
) -> FloatArray:
    """Probability that each arm has the best mean, by a paired bootstrap over replications.

    Each bootstrap draw resamples replication indices with replacement and uses the *same*
    indices for every arm, so the arms' shared noise stays shared (as in the experiment).
    The arm with the best resampled mean wins the draw; ties split the draw equally.

    Args:
        values: array of shape (replications, arms). Replications with a non-finite value
            in any arm are dropped.
        sense: +1 when higher is better, −1 when lower is better.
        n_boot: number of bootstrap draws.
        rng: generator to draw with; a fixed default (``default_rng(0)``) keeps reports
            reproducible.

    Returns:
        One probability per arm (they sum to 1); NaN when ``sense`` is 0 or no replication
        is usable.
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"values must be (replications, arms), got shape {x.shape}")
    k = x.shape[1]
    x = x[np.all(np.isfinite(x), axis=1)]
    if sense == 0 or x.shape[0] == 0:
        return np.full(k, math.nan)
    if sense not in (1, -1):
        raise ValueError(f"sense must be +1, -1 or 0, got {sense}")
    gen = rng if rng is not None else np.random.default_rng(0)
    n = x.shape[0]
    idx = gen.integers(0, n, size=(n_boot, n))
    means = sense * x[idx].mean(axis=1)  # (n_boot, arms)
    best = means >= means.max(axis=1, keepdims=True)
    wins = (best / best.sum(axis=1, keepdims=True)).sum(axis=0)
    return np.asarray(wins / n_boot, dtype=float)


# ----------------------------------------------------------------- per-metric summaries
