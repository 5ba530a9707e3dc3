"""The Gamma–Gamma model of spend per purchase (Fader, Hardie & Lee 2005, "RFM and CLV").

Each customer has her own typical basket: a purchase's amount is z ~ Gamma(p, ν) with a
private ν ~ Gamma(q, γ), so the population's mean basket is p·γ/(q − 1) and a customer's
average over many purchases settles at her own p/ν. Only the number of repeat purchases
``x`` and their mean amount ``m`` enter the likelihood (the mean of Gamma draws with one
rate is sufficient for it), which is why the BTYD summaries carry ``monetary_value`` and
nothing more. The first purchase is left out, as in the purchase models.

Parameter names follow the scenario's ``population.segments[].spend``: ``p``, ``q`` and
``gamma`` (money).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import special

from sim.calibration.estimation import (
    FloatArray,
    ModelFit,
    ParamsLike,
    minimize_multistart,
    params_tuple,
    standard_errors,
)
from sim.calibration.summaries import lrt

__all__ = [
    "SPEND_PARAM_NAMES",
    "fit_spend",
    "lrt_spend",
    "simulate_spend",
    "spend_loglik",
    "spend_mean",
]

SPEND_PARAM_NAMES: tuple[str, ...] = ("p", "q", "gamma")
"""Parameter order of the Gamma–Gamma model (``gamma`` in money)."""


def _check(frequency: npt.ArrayLike, monetary_value: npt.ArrayLike) -> tuple[FloatArray, ...]:
    """The customers with at least one repeat purchase: (x, m), validated."""
    x = np.atleast_1d(np.asarray(frequency, dtype=float))
    m = np.atleast_1d(np.asarray(monetary_value, dtype=float))
    x, m = np.broadcast_arrays(x, m)
    keep = x > 0
    x, m = x[keep], m[keep]
    if x.size == 0:
        raise ValueError("no customer with a repeat purchase: spend cannot be fitted")
    if not (np.all(np.isfinite(m)) and np.all(m > 0)):
        raise ValueError("monetary_value must be finite and > 0 for every repeat buyer")
    return x, m


def _core(params: FloatArray, x: FloatArray, m: FloatArray) -> FloatArray:
    p, q, gamma = params
    px = p * x
    return np.asarray(
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + m * x)
    )


def spend_loglik(
    params: ParamsLike, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike
) -> float:
    """Total Gamma–Gamma log-likelihood of the repeat buyers' mean spends.

    ``f(m | x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q m^(px−1) x^(px) / (γ + m x)^(px+q)``, summed in
    logs over customers with ``x > 0`` (the others carry no spend information).

    Args:
        params: ``(p, q, gamma)`` or a mapping with those keys.
        frequency: repeat purchases per customer.
        monetary_value: mean amount of those repeat purchases.
    """
    p = np.array(params_tuple(params, SPEND_PARAM_NAMES))
    return float(np.sum(_core(p, *_check(frequency, monetary_value))))


def fit_spend(
    frequency: npt.ArrayLike,
    monetary_value: npt.ArrayLike,
    initial_params: Sequence[ParamsLike] = (),
) -> ModelFit:
    """Maximum-likelihood fit of the Gamma–Gamma spend model, with standard errors.

    Money is rescaled internally (mean spend becomes 1) and ``gamma`` converted back.

    Returns:
        ``ModelFit`` with ``params`` ``p, q, gamma`` over the repeat buyers (``n``).
    """
    x, m = _check(frequency, monetary_value)
    scale = 1.0 / float(np.mean(m))
    ms = m * scale

    def objective(z: FloatArray) -> float:
        return -float(np.sum(_core(np.exp(z), x, ms))) / x.size

    starts = [np.log([p0, q0, p0 * (q0 - 1.0)]) for p0, q0 in ((2.0, 3.0), (6.0, 4.0), (1.0, 10.0))]
    for start in initial_params:
        p0, q0, g0 = params_tuple(start, SPEND_PARAM_NAMES)
        starts.append(np.log([p0, q0, g0 * scale]))
    z = minimize_multistart(objective, starts).copy()
    z[2] -= np.log(scale)

    def total(zz: FloatArray) -> float:
        return -float(np.sum(_core(np.exp(zz), x, m)))

    se, converged = standard_errors(total, z, SPEND_PARAM_NAMES)
    fitted = {n: float(v) for n, v in zip(SPEND_PARAM_NAMES, np.exp(z), strict=True)}
    return ModelFit(fitted, -total(z), se, converged, int(x.size))


def lrt_spend(
    frequency: npt.ArrayLike, monetary_value: npt.ArrayLike, true_params: ParamsLike
) -> tuple[float, float]:
    """Likelihood-ratio test of a Gamma–Gamma truth: ``(stat, pvalue)`` against χ²(3)."""
    ll0 = spend_loglik(true_params, frequency, monetary_value)
    return lrt(fit_spend(frequency, monetary_value, [true_params]), ll0, 3)


def spend_mean(params: ParamsLike) -> float:
    """The population's mean spend per purchase, ``p·γ / (q − 1)`` (infinite for q ≤ 1)."""
    p, q, gamma = params_tuple(params, SPEND_PARAM_NAMES)
    return p * gamma / (q - 1.0) if q > 1.0 else float("inf")


def simulate_spend(
    frequency: npt.ArrayLike, params: ParamsLike, rng: np.random.Generator
) -> FloatArray:
    """Mean repeat spend of customers with the given ``frequency`` (0 where x = 0).

    Each customer draws ``ν ~ Gamma(q, rate γ)``; the sum of her ``x`` amounts is then
    ``Gamma(p·x, rate ν)``.
    """
    p, q, gamma = params_tuple(params, SPEND_PARAM_NAMES)
    x = np.asarray(frequency, dtype=float)
    nu = rng.gamma(q, 1.0 / gamma, size=x.shape)
    total = rng.gamma(np.maximum(p * x, 1e-12), 1.0 / nu)
    return np.where(x > 0, total / np.maximum(x, 1.0), 0.0)
