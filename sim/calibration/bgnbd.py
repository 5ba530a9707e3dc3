"""The BG/NBD model: customers who buy at their own pace and may quietly drift away.

A CD shop's customer buys as a Poisson process with a private rate λ ~ Gamma(r, α); after
every repeat purchase she may lose interest for good with a private chance p ~ Beta(a, b)
(Fader, Hardie & Lee 2005, "Counting your customers the easy way"). Nobody tells the shop
she has gone, so a long silence is the only evidence. Here: the likelihood, its maximum-
likelihood fit with standard errors, the likelihood-ratio test, the expected number of
repeat purchases of a newcomer (the tracking-chart forecast), and a continuous-time
reference generator.

The Gamma rate ``alpha`` is in the data's time unit (days, throughout the sandbox).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import special

from sim.calibration.estimation import FloatArray, ModelFit, ParamsLike, params_tuple
from sim.calibration.summaries import (
    check_rft,
    fit_purchase_model,
    last_of_uniform_events,
    lrt,
    observation_ages,
)

__all__ = [
    "BGNBD_PARAM_NAMES",
    "bgnbd_expected",
    "bgnbd_loglik",
    "bgnbd_loglik_individual",
    "fit_bgnbd",
    "lrt_bgnbd",
    "simulate_bgnbd",
]

BGNBD_PARAM_NAMES: tuple[str, ...] = ("r", "alpha", "a", "b")
"""Parameter order of the BG/NBD model (``alpha`` is in data time units)."""


def bgnbd_core(p: FloatArray, x: FloatArray, tx: FloatArray, age: FloatArray) -> FloatArray:
    """Unvalidated per-customer BG/NBD log-likelihood (see :func:`bgnbd_loglik_individual`)."""
    r, alpha, a, b = p
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    common = common - special.betaln(a, b)
    term_alive = special.betaln(a, b + x) - (r + x) * np.log(alpha + age)
    x_safe = np.maximum(x, 1.0)
    term_dead = special.betaln(a + 1.0, b + x_safe - 1.0) - (r + x) * np.log(alpha + tx)
    term_dead = np.where(x > 0, term_dead, -np.inf)
    return np.asarray(common + np.logaddexp(term_alive, term_dead), dtype=float)


def bgnbd_loglik_individual(
    params: ParamsLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> FloatArray:
    """Per-customer BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6).

    ``L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
    + [x > 0] B(a+1, b+x−1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))``, a density in the
    purchase times, so it depends on the time unit.

    Args:
        params: ``(r, alpha, a, b)`` or a mapping with those keys.
        frequency: repeat purchases ``x``.
        recency: time of the last repeat purchase since the first ``t_x``.
        T: time since the first purchase.
    """
    p = np.array(params_tuple(params, BGNBD_PARAM_NAMES))
    return bgnbd_core(p, *check_rft(frequency, recency, T))


def bgnbd_loglik(
    params: ParamsLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> float:
    """Total BG/NBD log-likelihood: the sum of :func:`bgnbd_loglik_individual`."""
    return float(np.sum(bgnbd_loglik_individual(params, frequency, recency, T)))


def fit_bgnbd(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    initial_params: Sequence[ParamsLike] = (),
) -> ModelFit:
    """Maximum-likelihood fit of the BG/NBD model, with standard errors.

    Args:
        frequency: repeat purchases per customer.
        recency: time of the last repeat purchase since the first (0 if none).
        T: time since the first purchase.
        initial_params: extra starting points ``(r, alpha, a, b)`` in data time units.

    Returns:
        ``ModelFit`` with ``params`` ``r, alpha, a, b`` (``alpha`` in data time units).
    """
    return fit_purchase_model(
        bgnbd_core, BGNBD_PARAM_NAMES, (1,), (frequency, recency, T), initial_params, (1.0, 1.0)
    )


def lrt_bgnbd(
    frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike, true_params: ParamsLike
) -> tuple[float, float]:
    """Likelihood-ratio test that the data come from BG/NBD with ``true_params``.

    Returns:
        ``(stat, pvalue)``: ``2 (ll_hat − ll_true)`` against χ² with 4 degrees of freedom.
    """
    ll0 = bgnbd_loglik(true_params, frequency, recency, T)
    return lrt(fit_bgnbd(frequency, recency, T, initial_params=[true_params]), ll0, 4)


def bgnbd_expected(params: ParamsLike, t: npt.ArrayLike) -> FloatArray:
    """Expected repeat purchases of a newcomer in ``(0, t]`` (Fader, Hardie & Lee 2005, eq. 9).

    ``E[X(t)] = (a+b−1)/(a−1) · [1 − (α/(α+t))^r · ₂F₁(r, b; a+b−1; t/(α+t))]``; the tracking
    chart's forecast is this summed over customers, each from the day of its first purchase.
    """
    r, alpha, a, b = params_tuple(params, BGNBD_PARAM_NAMES)
    tt = np.clip(np.asarray(t, dtype=float), 0.0, None)
    hyp = special.hyp2f1(r, b, a + b - 1.0, tt / (alpha + tt))
    return np.asarray((a + b - 1.0) / (a - 1.0) * (1.0 - (alpha / (alpha + tt)) ** r * hyp))


def simulate_bgnbd(
    n: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: npt.ArrayLike,
    rng: np.random.Generator,
) -> tuple[npt.NDArray[np.int64], FloatArray, FloatArray]:
    """BG/NBD customers in continuous time, from the generative definition.

    Each customer has ``λ ~ Gamma(r, rate α)`` and ``p ~ Beta(a, b)``; she makes at most
    ``K ~ Geometric(p)`` repeat purchases, so ``x = min(N(T), K)`` with ``N(T) ~ Poisson(λT)``,
    and the recency is the ``x``-th of those event times. Nothing is discretised.

    Returns:
        ``(frequency, recency, T)`` arrays of length ``n``.
    """
    r, alpha, a, b = params_tuple((r, alpha, a, b), BGNBD_PARAM_NAMES)
    age = observation_ages(n, T)
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    p = rng.beta(a, b, size=n)
    n_events = rng.poisson(lam * age)
    max_purchases = rng.geometric(p)
    x = np.minimum(n_events, max_purchases).astype(np.int64)
    recency = last_of_uniform_events(n_events, x, age, rng)
    return x, recency, age
