"""The shifted-beta-geometric model (sBG): contractual retention that rises with tenure.

Picture a gym's January cohort. Every member has a private chance θ of cancelling at each
renewal, and θ differs from member to member (θ ~ Beta(α, β)). The fragile members leave
first, so the cohort that is left is ever sturdier and the renewal rate climbs with tenure,
although nobody's own θ ever changes (Fader & Hardie 2007, "How to project customer
retention"). Survival after ``t`` renewals is ``S(t) = B(α, β + t) / B(α, β)`` and the
renewal rate ``r(t) = S(t) / S(t − 1) = (β + t − 1) / (α + β + t − 1)``.

Data reach the likelihood in one shape, a churn-by-tenure table: at each renewal ``t``, how
many customers were due (``at_risk``) and how many cancelled (``lost``). The chance to
cancel at ``t`` given survival to ``t − 1`` is ``1 − r(t)``, so the log-likelihood is a sum
of binomial terms, and a pooled table of many cohorts, each followed for a different span,
is just as valid as one cohort followed to the end. A single cohort's survival table
(:func:`sbg_loglik`) is the same likelihood written the other way.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from sim.calibration.estimation import (
    FloatArray,
    ModelFit,
    minimize_multistart,
    params_tuple,
    positive,
    standard_errors,
)

__all__ = [
    "SBG_PARAM_NAMES",
    "fit_sbg",
    "fit_sbg_tenure",
    "sbg_loglik",
    "sbg_lrt",
    "sbg_retention",
    "sbg_survival",
    "sbg_tenure_loglik",
    "simulate_sbg",
]

SBG_PARAM_NAMES: tuple[str, ...] = ("alpha", "beta")
"""Parameter order of the sBG model."""


def _scalar_or_array(x: FloatArray) -> float | FloatArray:
    return float(x) if x.ndim == 0 else x


def _integer_times(t: npt.ArrayLike, minimum: int) -> npt.NDArray[np.int64]:
    """Integer-valued times ``>= minimum`` as an int array."""
    arr = np.asarray(t, dtype=float)
    if np.any(~np.isfinite(arr)) or np.any(arr != np.round(arr)) or np.any(arr < minimum):
        raise ValueError(f"t must be integers >= {minimum}, got {t!r}")
    return np.round(arr).astype(np.int64)


def sbg_survival(alpha: float, beta: float, t: npt.ArrayLike) -> float | FloatArray:
    """Survival ``S(t) = P(T > t) = B(α, β + t) / B(α, β)`` after ``t`` renewals (t ≥ 0)."""
    alpha, beta = positive("alpha", alpha), positive("beta", beta)
    ti = _integer_times(t, 0)
    out = np.exp(special.betaln(alpha, beta + ti) - special.betaln(alpha, beta))
    return _scalar_or_array(np.asarray(out, dtype=float))


def sbg_retention(alpha: float, beta: float, t: npt.ArrayLike) -> float | FloatArray:
    """Renewal rate ``r(t) = (β + t − 1) / (α + β + t − 1)`` at renewal ``t`` (t ≥ 1)."""
    alpha, beta = positive("alpha", alpha), positive("beta", beta)
    ti = _integer_times(t, 1)
    out = (beta + ti - 1.0) / (alpha + beta + ti - 1.0)
    return _scalar_or_array(np.asarray(out, dtype=float))


def _cohort(
    n_survived_by_t: npt.ArrayLike, n_lost_at_t: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """A single-cohort survival table as (at risk, lost) at renewals 1..k, checked."""
    alive = np.asarray(n_survived_by_t, dtype=float).ravel()
    lost = np.asarray(n_lost_at_t, dtype=float).ravel()
    if lost.size == 0:
        raise ValueError("n_lost_at_t must contain at least one period")
    if np.any(lost < 0) or np.any(alive < 0):
        raise ValueError("counts must be non-negative")
    if alive.size == lost.size + 1:
        before, after = alive[:-1], alive[1:]
    elif alive.size == lost.size:
        before = np.concatenate(([alive[0] + lost[0]], alive[:-1]))
        after = alive
    else:
        raise ValueError(
            "n_survived_by_t must have the same length as n_lost_at_t (survivors after "
            "periods 1..k) or one more (cohort size first)"
        )
    if not np.allclose(before - after, lost):
        raise ValueError(
            "inconsistent cohort table: n_lost_at_t[t] != survivors[t-1] - survivors[t]"
        )
    return before, lost


def _check_tenure(at_risk: npt.ArrayLike, lost: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    n = np.asarray(at_risk, dtype=float).ravel()
    d = np.asarray(lost, dtype=float).ravel()
    if n.size == 0 or n.size != d.size:
        raise ValueError("at_risk and lost need one value per renewal 1..k, at least one")
    if np.any(~np.isfinite(n)) or np.any(d < 0) or np.any(d > n):
        raise ValueError("need 0 <= lost <= at_risk at every renewal")
    return n, d


def sbg_tenure_loglik(
    alpha: float, beta: float, at_risk: npt.ArrayLike, lost: npt.ArrayLike
) -> float:
    """Log-likelihood of a churn-by-tenure table: ``Σ_t d_t log(1 − r_t) + (n_t − d_t) log r_t``.

    Args:
        alpha: first Beta shape (> 0).
        beta: second Beta shape (> 0).
        at_risk: customers due at renewals 1..k (``n_t``).
        lost: customers who cancelled at those renewals (``d_t``).

    Returns:
        The log-likelihood (binomial constants omitted).
    """
    alpha, beta = positive("alpha", alpha), positive("beta", beta)
    n, d = _check_tenure(at_risk, lost)
    return _tenure_core(np.array([alpha, beta]), n, d)


def _tenure_core(p: FloatArray, n: FloatArray, d: FloatArray) -> float:
    alpha, beta = p
    t = np.arange(1, n.size + 1, dtype=float)
    log_churn = np.log(alpha) - np.log(alpha + beta + t - 1.0)
    log_stay = np.log(beta + t - 1.0) - np.log(alpha + beta + t - 1.0)
    return float(np.sum(d * log_churn + (n - d) * log_stay))


def sbg_loglik(
    alpha: float, beta: float, n_survived_by_t: npt.ArrayLike, n_lost_at_t: npt.ArrayLike
) -> float:
    """Log-likelihood of a single-cohort survival table under the sBG model.

    ``n_lost_at_t[i]`` customers churn at renewal ``i + 1`` and ``n_survived_by_t[i]`` are
    still active after it; ``n_survived_by_t`` may start with the cohort size. The table is
    checked for consistency (``lost[t] == survived[t-1] - survived[t]``).

    Raises:
        ValueError: a malformed or inconsistent table.
    """
    before, lost = _cohort(n_survived_by_t, n_lost_at_t)
    return sbg_tenure_loglik(alpha, beta, before, lost)


def fit_sbg_tenure(
    at_risk: npt.ArrayLike, lost: npt.ArrayLike, initial_params: npt.ArrayLike | None = None
) -> ModelFit:
    """Maximum-likelihood fit of the sBG model to a churn-by-tenure table, with standard errors.

    Args:
        at_risk: customers due at renewals 1..k.
        lost: cancellations at those renewals.
        initial_params: an extra starting point ``(alpha, beta)``.

    Returns:
        The fit; ``converged`` is False when the curvature shows no interior peak (e.g. a
        table without a single cancellation, where β runs off to infinity).
    """
    n, d = _check_tenure(at_risk, lost)

    def objective(z: FloatArray) -> float:
        return -_tenure_core(np.exp(z), n, d)

    starts = [np.zeros(2), np.array([-1.0, 1.0]), np.array([1.0, 2.0])]
    if initial_params is not None:
        extra = np.asarray(initial_params, dtype=float)
        starts.append(np.log(params_tuple(extra, SBG_PARAM_NAMES)))
    z = minimize_multistart(objective, starts)
    se, converged = standard_errors(objective, z, SBG_PARAM_NAMES)
    alpha, beta = (float(v) for v in np.exp(z))
    ll = _tenure_core(np.exp(z), n, d)
    return ModelFit({"alpha": alpha, "beta": beta}, ll, se, converged, int(n[0]))


def fit_sbg(
    n_survived_by_t: npt.ArrayLike,
    n_lost_at_t: npt.ArrayLike,
    initial_params: npt.ArrayLike | None = None,
) -> ModelFit:
    """Maximum-likelihood fit of the sBG model to a single-cohort survival table."""
    before, lost = _cohort(n_survived_by_t, n_lost_at_t)
    return fit_sbg_tenure(before, lost, initial_params)


def sbg_lrt(
    data: tuple[npt.ArrayLike, npt.ArrayLike], alpha0: float, beta0: float
) -> tuple[float, float]:
    """Likelihood-ratio test of ``(α, β) = (alpha0, beta0)`` for a single-cohort table.

    Returns:
        ``(stat, pvalue)``: ``2 (ll_hat − ll_0)`` against χ² with 2 degrees of freedom.
    """
    n_survived_by_t, n_lost_at_t = data
    ll0 = sbg_loglik(alpha0, beta0, n_survived_by_t, n_lost_at_t)
    fit = fit_sbg(n_survived_by_t, n_lost_at_t, initial_params=(alpha0, beta0))
    stat = max(0.0, 2.0 * (fit.loglik - ll0))
    return stat, float(stats.chi2.sf(stat, 2))


def simulate_sbg(
    n: int, alpha: float, beta: float, periods: int, rng: np.random.Generator
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """A single-cohort sBG table from the generative definition (θ ~ Beta, geometric lives).

    Returns:
        ``(n_survived_by_t, n_lost_at_t)`` for renewals ``1..periods``.
    """
    theta = rng.beta(positive("alpha", alpha), positive("beta", beta), size=n)
    lifetime = rng.geometric(theta)
    if int(periods) != periods or periods < 1:
        raise ValueError(f"periods must be a positive integer, got {periods!r}")
    periods = int(periods)
    counts = np.bincount(np.minimum(lifetime, periods + 1), minlength=periods + 2)
    lost = counts[1 : periods + 1].astype(np.int64)
    survived = (n - np.cumsum(lost)).astype(np.int64)
    return survived, lost
