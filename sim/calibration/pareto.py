"""The Pareto/NBD model: purchases at a private pace during a private, unseen lifetime.

The original of the buy-till-you-die family (Schmittlein, Morrison & Colombo 1987): a
customer buys as a Poisson process with rate λ ~ Gamma(r, α) while alive, and her lifetime
is exponential with rate μ ~ Gamma(s, β), independent of her purchases. The likelihood is
equation (18) of Fader & Hardie's note "A note on deriving the Pareto/NBD model and related
expressions" (2005), written here in log space with scipy's Gauss hypergeometric function;
the test suite checks it against the ``lifetimes`` package's implementation.

The Gamma rates ``alpha`` and ``beta`` are in the data's time unit (days in the sandbox).
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
    "PARETO_PARAM_NAMES",
    "fit_pareto",
    "lrt_pareto",
    "pareto_expected",
    "pareto_loglik",
    "pareto_loglik_individual",
    "simulate_pareto",
]

PARETO_PARAM_NAMES: tuple[str, ...] = ("r", "alpha", "s", "beta")
"""Parameter order of the Pareto/NBD model (``alpha`` and ``beta`` in data time units)."""


def _log_a0(p: FloatArray, x: FloatArray, tx: FloatArray, age: FloatArray) -> FloatArray:
    """``log A₀`` of Fader & Hardie's note, equations (19)–(20).

    ``A₀ = F(t_x) − F(T)`` with ``F(u) = ₂F₁(r+s+x, c; r+s+x+1; |α−β| / (m+u)) / (m+u)^(r+s+x)``,
    ``m = max(α, β)`` and ``c = r + x`` when ``α < β``, else ``s + 1``. ``F`` falls with ``u``,
    so the difference is computed as ``log F(t_x) + log1p(−F(T)/F(t_x))``.
    """
    r, alpha, s, beta = p
    rsx = r + s + x
    high = max(alpha, beta)
    c = r + x if alpha < beta else np.full_like(x, s + 1.0)
    gap = abs(alpha - beta)

    def log_f(u: FloatArray) -> FloatArray:
        return np.asarray(
            np.log(special.hyp2f1(rsx, c, rsx + 1.0, gap / (high + u))) - rsx * np.log(high + u)
        )

    at_tx, at_t = log_f(tx), log_f(age)
    return np.asarray(at_tx + np.log1p(-np.exp(np.minimum(at_t - at_tx, 0.0))))


def pareto_core(p: FloatArray, x: FloatArray, tx: FloatArray, age: FloatArray) -> FloatArray:
    """Unvalidated per-customer Pareto/NBD log-likelihood (see :func:`pareto_loglik_individual`).

    ``log L = log A₁ + log[(α+T)^−(r+x) (β+T)^−s + s/(r+s+x) · A₀]`` with
    ``A₁ = Γ(r+x) α^r β^s / Γ(r)``. A customer seen at ``t_x = T`` has ``A₀ = 0``.
    """
    r, alpha, s, beta = p
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + age) - s * np.log(beta + age)
    with np.errstate(divide="ignore", invalid="ignore"):
        dead = np.log(s) + _log_a0(p, x, tx, age) - np.log(r + s + x)
    dead = np.where(tx < age, dead, -np.inf)
    return np.asarray(a1 + np.logaddexp(alive, dead), dtype=float)


def pareto_loglik_individual(
    params: ParamsLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> FloatArray:
    """Per-customer Pareto/NBD log-likelihood, a density in the purchase times.

    Args:
        params: ``(r, alpha, s, beta)`` or a mapping with those keys.
        frequency: repeat purchases ``x``.
        recency: time of the last repeat purchase since the first ``t_x``.
        T: time since the first purchase.
    """
    p = np.array(params_tuple(params, PARETO_PARAM_NAMES))
    return pareto_core(p, *check_rft(frequency, recency, T))


def pareto_loglik(
    params: ParamsLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> float:
    """Total Pareto/NBD log-likelihood: the sum of :func:`pareto_loglik_individual`."""
    return float(np.sum(pareto_loglik_individual(params, frequency, recency, T)))


def fit_pareto(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    initial_params: Sequence[ParamsLike] = (),
) -> ModelFit:
    """Maximum-likelihood fit of the Pareto/NBD model, with standard errors.

    Returns:
        ``ModelFit`` with ``params`` ``r, alpha, s, beta`` (rates in data time units).
    """
    return fit_purchase_model(
        pareto_core,
        PARETO_PARAM_NAMES,
        (1, 3),
        (frequency, recency, T),
        initial_params,
        (1.0, 10.0),
    )


def lrt_pareto(
    frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike, true_params: ParamsLike
) -> tuple[float, float]:
    """Likelihood-ratio test that the data come from Pareto/NBD with ``true_params``.

    Returns:
        ``(stat, pvalue)``: ``2 (ll_hat − ll_true)`` against χ² with 4 degrees of freedom.
    """
    ll0 = pareto_loglik(true_params, frequency, recency, T)
    return lrt(fit_pareto(frequency, recency, T, initial_params=[true_params]), ll0, 4)


def pareto_expected(params: ParamsLike, t: npt.ArrayLike) -> FloatArray:
    """Expected repeat purchases of a newcomer in ``(0, t]``.

    ``E[X(t)] = r β / (α (s − 1)) · [1 − (β / (β + t))^(s−1)]``, and ``(r/α) β log(1 + t/β)``
    in the limit ``s = 1``.
    """
    r, alpha, s, beta = params_tuple(params, PARETO_PARAM_NAMES)
    tt = np.clip(np.asarray(t, dtype=float), 0.0, None)
    if abs(s - 1.0) < 1e-9:
        return np.asarray(r / alpha * beta * np.log1p(tt / beta))
    return np.asarray(r * beta / (alpha * (s - 1.0)) * (1.0 - (beta / (beta + tt)) ** (s - 1.0)))


def simulate_pareto(
    n: int,
    r: float,
    alpha: float,
    s: float,
    beta: float,
    T: npt.ArrayLike,
    rng: np.random.Generator,
) -> tuple[npt.NDArray[np.int64], FloatArray, FloatArray]:
    """Pareto/NBD customers in continuous time, from the generative definition.

    ``λ ~ Gamma(r, rate α)``, ``μ ~ Gamma(s, rate β)``, an unseen lifetime ``τ ~ Exp(μ)``
    after the (uncounted) first purchase at 0, Poisson(λ) repeat purchases while alive.

    Returns:
        ``(frequency, recency, T)`` arrays of length ``n``.
    """
    r, alpha, s, beta = params_tuple((r, alpha, s, beta), PARETO_PARAM_NAMES)
    age = observation_ages(n, T)
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    mu = rng.gamma(s, 1.0 / beta, size=n)
    window = np.minimum(rng.exponential(1.0 / mu), age)
    x = rng.poisson(lam * window).astype(np.int64)
    recency = last_of_uniform_events(x, x, window, rng)
    return x, recency, age
