"""Summaries: the (frequency, recency, T) triple every purchase model reads, checked.

A customer's purchase history enters the non-contractual models only through three numbers
counted from the first purchase (which the models do not count): ``frequency`` ``x``, the
repeat purchases; ``recency`` ``t_x``, when the last of them happened; and ``T``, how long
the customer has been watched. The fits rescale time so that the optimiser works in any
unit, and :func:`fit_purchase_model` is that shared recipe for BG/NBD and Pareto/NBD.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt
from scipy import stats

from sim.calibration.estimation import (
    FloatArray,
    ModelFit,
    ParamsLike,
    minimize_multistart,
    params_tuple,
    standard_errors,
)

__all__ = ["check_rft", "fit_purchase_model", "last_of_uniform_events", "lrt", "observation_ages"]

#: A per-customer log-likelihood over (params, x, t_x, T), unvalidated.
Core = Callable[[FloatArray, FloatArray, FloatArray, FloatArray], FloatArray]


def check_rft(
    frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validated float arrays of (frequency, recency, T).

    Raises:
        ValueError: empty or non-finite data, a negative or fractional frequency, ``T ≤ 0``,
            a recency outside ``[0, T]``, or a recency without a repeat purchase.
    """
    x = np.atleast_1d(np.asarray(frequency, dtype=float))
    tx = np.atleast_1d(np.asarray(recency, dtype=float))
    age = np.atleast_1d(np.asarray(T, dtype=float))
    x, tx, age = np.broadcast_arrays(x, tx, age)
    if x.size == 0:
        raise ValueError("empty data")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(tx)) and np.all(np.isfinite(age))):
        raise ValueError("frequency, recency and T must be finite")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("frequency must be non-negative integers")
    if np.any(age <= 0):
        raise ValueError("T must be > 0")
    if np.any(tx < 0) or np.any(tx > age):
        raise ValueError("recency must satisfy 0 <= recency <= T")
    if np.any(tx[x == 0] != 0):
        raise ValueError("recency must be 0 when frequency is 0")
    return x.astype(float), tx.astype(float), age.astype(float)


def fit_purchase_model(
    core: Core,
    names: tuple[str, ...],
    time_index: tuple[int, ...],
    data: tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike],
    initial_params: Sequence[ParamsLike] | Mapping[str, float],
    dropout_start: tuple[float, float],
) -> ModelFit:
    """Fit a purchase model by maximum likelihood with internal time rescaling.

    Time is rescaled so that the largest ``T`` is 10 units; the optimisation runs over
    log-parameters in that unit, the time-scale parameters (positions ``time_index``) are
    converted back, and the log-likelihood and its Hessian are computed on the original data.

    Args:
        core: the per-customer log-likelihood.
        names: parameter names in ``core``'s order.
        time_index: positions of the parameters measured in time units (Gamma rates).
        data: ``(frequency, recency, T)``.
        initial_params: extra starting points in data time units.
        dropout_start: default start of the two dropout parameters, in the scaled unit.
    """
    x, tx, age = check_rft(*data)
    scale = 10.0 / float(np.max(age))
    tx_s, age_s = tx * scale, age * scale
    n = x.size

    def to_scaled(p: tuple[float, ...]) -> FloatArray:
        z = np.log(np.asarray(p, dtype=float))
        z[list(time_index)] += math.log(scale)
        return z

    def objective(z: FloatArray) -> float:
        return -float(np.sum(core(np.exp(z), x, tx_s, age_s))) / n

    mean_rate = max(float(np.sum(x) / np.sum(age_s)), 1e-3)
    starts: list[FloatArray] = [
        np.log(np.array([r0, r0 / mean_rate, *dropout_start])) for r0 in (0.5, 2.0)
    ]
    if isinstance(initial_params, Mapping):  # a single mapping, not a list of starts
        initial_params = [initial_params]
    starts.extend(to_scaled(params_tuple(p, names)) for p in initial_params)
    z = minimize_multistart(objective, starts).copy()
    z[list(time_index)] -= math.log(scale)

    def total(zz: FloatArray) -> float:
        return -float(np.sum(core(np.exp(zz), x, tx, age)))

    se, converged = standard_errors(total, z, names)
    fitted = {name: float(v) for name, v in zip(names, np.exp(z), strict=True)}
    return ModelFit(fitted, -total(z), se, converged, n)


def lrt(fit: ModelFit, loglik_0: float, dof: int) -> tuple[float, float]:
    """``(stat, pvalue)`` of a likelihood-ratio test: ``2 (ll_hat − ll_0)`` against χ²(dof)."""
    stat = max(0.0, 2.0 * (fit.loglik - loglik_0))
    return stat, float(stats.chi2.sf(stat, dof))


def observation_ages(n: int, T: npt.ArrayLike) -> FloatArray:
    """``T`` (scalar or length ``n``) broadcast to a validated float array."""
    age = np.broadcast_to(np.asarray(T, dtype=float), (n,)).astype(float)
    if np.any(~np.isfinite(age)) or np.any(age <= 0):
        raise ValueError("T must be finite and > 0")
    return age


def last_of_uniform_events(
    n_events: npt.NDArray[np.int64],
    k: npt.NDArray[np.int64],
    window: FloatArray,
    rng: np.random.Generator,
) -> FloatArray:
    """Time of the ``k``-th of ``n_events`` uniform points on ``[0, window]`` (0 if k = 0).

    Given ``N(w) = n`` events, a homogeneous Poisson process's event times are ``n``
    i.i.d. uniforms on ``[0, w]``, and the ``k``-th order statistic is
    ``w · Beta(k, n − k + 1)``.
    """
    k_safe = np.maximum(k, 1)
    draws = rng.beta(k_safe, np.maximum(n_events - k_safe + 1, 1))
    return np.where(k > 0, window * draws, 0.0)
