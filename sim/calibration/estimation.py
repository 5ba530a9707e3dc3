"""Estimation: maximum likelihood from several starts, and standard errors from the Hessian.

Every textbook fit of this package is the same recipe: write the negative log-likelihood over
the logarithms of the parameters (so that a positive parameter can never go negative),
minimise it with scipy from a few starting points, and read the standard errors off the
curvature at the optimum. A sharp peak means the data pin the parameter down; a flat one
means they do not, and a fit whose Hessian is not positive definite has not found a peak at
all: it is reported as not converged rather than given a meaningless standard error.

The optimisers are scipy's (BFGS, polished by a Nelder–Mead simplex); the only arithmetic
written here is the central-difference Hessian, four evaluations per entry.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import optimize

__all__ = [
    "FloatArray",
    "ModelFit",
    "ParamsLike",
    "log_hessian",
    "minimize_multistart",
    "params_tuple",
    "positive",
    "standard_errors",
]

FloatArray = npt.NDArray[np.float64]
ParamsLike = Mapping[str, float] | Sequence[float] | npt.NDArray[np.float64]

#: Largest |log parameter| the optimiser may visit: e^30 ≈ 1e13, far past any real value.
_LOG_BOUND = 30.0
_BIG = 1e100


class ModelFit(NamedTuple):
    """Result of a maximum-likelihood fit.

    Attributes:
        params: fitted parameters by name, in the data's time unit.
        loglik: total log-likelihood at ``params`` on the original data.
        se: standard error of each parameter (delta method from the Hessian of the
            log-likelihood in log-parameters); NaN where the curvature is not positive.
        converged: True when the optimum is an interior peak (positive-definite Hessian,
            parameters inside the search box); False means the numbers are not estimates.
        n: number of observations the likelihood summed over.
    """

    params: dict[str, float]
    loglik: float
    se: Mapping[str, float] = MappingProxyType({})
    converged: bool = True
    n: int = 0


def positive(name: str, value: float) -> float:
    """``value`` as a float, checked finite and > 0.

    Raises:
        ValueError: anything else, with the parameter's name.
    """
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    return v


def params_tuple(params: ParamsLike, names: tuple[str, ...]) -> tuple[float, ...]:
    """A mapping or sequence of parameters as a validated tuple in ``names`` order.

    Raises:
        ValueError: a missing parameter, a wrong count, or a value that is not > 0.
    """
    if isinstance(params, Mapping):
        missing = [n for n in names if n not in params]
        if missing:
            raise ValueError(f"missing parameters {missing}")
        values = [params[n] for n in names]
    else:
        values = list(np.asarray(params, dtype=float).ravel())
        if len(values) != len(names):
            raise ValueError(f"expected {len(names)} parameters {names}, got {len(values)}")
    return tuple(positive(n, v) for n, v in zip(names, values, strict=True))


def minimize_multistart(
    objective: Callable[[FloatArray], float],
    starts: Sequence[npt.ArrayLike],
) -> FloatArray:
    """Minimise a smooth ``objective`` from several starts and return the best point.

    Every start is run through BFGS (finite-difference gradients); the best result is then
    re-examined with a small Nelder–Mead simplex (robust where BFGS stops early on a flat
    ridge) and polished by BFGS again. Non-finite values count as very large.

    Args:
        objective: function of an unconstrained (log-parameter) vector.
        starts: starting points.

    Returns:
        The best parameter vector found.

    Raises:
        RuntimeError: the objective is non-finite everywhere the optimiser looked.
    """

    def safe(z: FloatArray) -> float:
        if np.any(np.abs(z) > _LOG_BOUND):
            return _BIG
        with np.errstate(all="ignore"):
            v = objective(np.asarray(z, dtype=float))
        return float(v) if math.isfinite(v) else _BIG

    def bfgs(x0: FloatArray) -> tuple[FloatArray, float]:
        res = optimize.minimize(safe, x0, method="BFGS", options={"gtol": 1e-6})
        x = np.asarray(res.x, dtype=float)
        fx, f0 = safe(x), safe(x0)
        return (x, fx) if fx <= f0 else (x0, f0)

    candidates = [bfgs(np.asarray(start, dtype=float)) for start in starts]
    best_x, best_f = min(candidates, key=lambda c: c[1])
    if best_f >= _BIG:
        raise RuntimeError("optimisation failed from every starting point")
    simplex = best_x + np.vstack([np.zeros(best_x.size), 0.1 * np.eye(best_x.size)])
    res = optimize.minimize(
        safe,
        best_x,
        method="Nelder-Mead",
        options={"initial_simplex": simplex, "xatol": 1e-5, "fatol": 1e-10, "maxfev": 2000},
    )
    x, fx = bfgs(np.asarray(res.x, dtype=float))
    return x if fx < best_f else best_x


def log_hessian(
    negloglik: Callable[[FloatArray], float], z: FloatArray, step: float = 1e-3
) -> FloatArray:
    """Central-difference Hessian of a negative log-likelihood over log-parameters at ``z``.

    ``H[i, j] = (f(z+h_i+h_j) − f(z+h_i−h_j) − f(z−h_i+h_j) + f(z−h_i−h_j)) / 4h²``; a step
    of 1e-3 in a logarithm is a 0.1 % change of the parameter, small against any standard
    error a real sample gives and large against rounding in a sum over thousands of rows.
    """
    k = z.size
    eye = np.eye(k) * step
    hess = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            value = (
                negloglik(z + eye[i] + eye[j])
                - negloglik(z + eye[i] - eye[j])
                - negloglik(z - eye[i] + eye[j])
                + negloglik(z - eye[i] - eye[j])
            ) / (4.0 * step * step)
            hess[i, j] = hess[j, i] = value
    return hess


def standard_errors(
    negloglik: Callable[[FloatArray], float], z: FloatArray, names: tuple[str, ...]
) -> tuple[dict[str, float], bool]:
    """Standard errors of ``exp(z)`` by name, and whether ``z`` is an interior peak.

    The covariance of the log-parameters is the inverse Hessian (the observed information);
    the delta method turns the standard error of ``log θ`` into ``θ · se(log θ)``. The peak
    counts as found when the Hessian is finite and positive definite and no log-parameter
    sits near the search box's edge.
    """
    with np.errstate(all="ignore"):
        hess = log_hessian(negloglik, z)
    nan = dict.fromkeys(names, math.nan)
    if not np.all(np.isfinite(hess)) or np.any(np.abs(z) > _LOG_BOUND - 1.0):
        return nan, False
    try:
        np.linalg.cholesky(hess)
    except np.linalg.LinAlgError:
        return nan, False
    cov = np.linalg.inv(hess)
    se_log = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    values = np.exp(z) * se_log
    return {n: float(v) for n, v in zip(names, values, strict=True)}, True
