"""Reference closed forms and statistical checks for the simulation's statistical tests.

Everything here is written independently of the simulation code so that the
simulation can be tested against it:

* shifted-beta-geometric (sBG) contractual retention: survival, retention,
  cohort log-likelihood, maximum-likelihood fit and likelihood-ratio test;
* BG/NBD and Pareto/NBD non-contractual purchasing: log-likelihoods, fits,
  likelihood-ratio tests and continuous-time reference generators;
* M/M/c queues (Erlang C), Bass diffusion, constant-retention CLV;
* small statistical helpers (Welch z, binomial intervals, Holm, two-sample KS).

Conventions: every random function takes an explicit ``numpy.random.Generator``;
the Gamma rate parameters of the purchase and dropout rates (BG/NBD and Pareto/NBD
``alpha``, Pareto/NBD ``beta``) are in the same time unit as the data (``recency`` and
``T``), e.g. days; the fits rescale time internally and convert back.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import optimize, special, stats

FloatArray = npt.NDArray[np.float64]

BGNBD_PARAM_NAMES: tuple[str, ...] = ("r", "alpha", "a", "b")
"""Parameter order of the BG/NBD model (``alpha`` is in data time units)."""

PARETO_PARAM_NAMES: tuple[str, ...] = ("r", "alpha", "s", "beta")
"""Parameter order of the Pareto/NBD model (``alpha`` and ``beta`` in data time units)."""

ParamsLike = Mapping[str, float] | Sequence[float] | npt.NDArray[np.float64]


class ModelFit(NamedTuple):
    """Result of a maximum-likelihood fit.

    Attributes:
        params: Fitted parameters by name, in the data's time unit.
        loglik: Total log-likelihood at ``params`` on the original data.
    """

    params: dict[str, float]
    loglik: float


# ---------------------------------------------------------------------------
# small internal helpers
# ---------------------------------------------------------------------------


def _scalar_or_array(x: FloatArray) -> float | FloatArray:
    """Return a Python float for 0-d arrays and the array otherwise."""
    return float(x) if x.ndim == 0 else x


def _positive(name: str, value: float) -> float:
    """Validate that ``value`` is a finite positive number."""
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    return v


def _integer_times(t: npt.ArrayLike, minimum: int) -> npt.NDArray[np.int64]:
    """Validate integer-valued times ``>= minimum`` and return them as an int array."""
    arr = np.asarray(t, dtype=float)
    if np.any(~np.isfinite(arr)) or np.any(arr != np.round(arr)) or np.any(arr < minimum):
        raise ValueError(f"t must be integers >= {minimum}, got {t!r}")
    return np.round(arr).astype(np.int64)


def _params_tuple(params: ParamsLike, names: tuple[str, ...]) -> tuple[float, ...]:
    """Turn a mapping or sequence of parameters into a validated tuple in ``names`` order."""
    if isinstance(params, Mapping):
        missing = [n for n in names if n not in params]
        if missing:
            raise ValueError(f"missing parameters {missing}")
        values = [params[n] for n in names]
    else:
        values = list(np.asarray(params, dtype=float).ravel())
        if len(values) != len(names):
            raise ValueError(f"expected {len(names)} parameters {names}, got {len(values)}")
    return tuple(_positive(n, v) for n, v in zip(names, values, strict=True))


def _minimize_multistart(
    objective: Callable[[FloatArray], float],
    starts: Sequence[npt.ArrayLike],
) -> FloatArray:
    """Minimise a smooth ``objective`` from several starts and return the best point.

    Every start is run through BFGS (finite-difference gradients); the best result is
    then re-examined with a small Nelder-Mead simplex (robust where BFGS stops early on
    a flat ridge) and polished by BFGS again. Non-finite values count as very large.

    Args:
        objective: Function of an unconstrained parameter vector.
        starts: Starting points.

    Returns:
        The best parameter vector found.

    Raises:
        RuntimeError: If the objective is non-finite everywhere the optimiser looked.
    """
    big = 1e100

    def safe(z: FloatArray) -> float:
        if np.any(np.abs(z) > 30):
            return big
        with np.errstate(all="ignore"):
            v = objective(np.asarray(z, dtype=float))
        return float(v) if math.isfinite(v) else big

    def bfgs(x0: FloatArray) -> tuple[FloatArray, float]:
        res = optimize.minimize(safe, x0, method="BFGS", options={"gtol": 1e-6})
        x = np.asarray(res.x, dtype=float)
        fx, f0 = safe(x), safe(x0)
        return (x, fx) if fx <= f0 else (x0, f0)

    candidates = [bfgs(np.asarray(start, dtype=float)) for start in starts]
    best_x, best_f = min(candidates, key=lambda c: c[1])
    if best_f >= big:
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


# ---------------------------------------------------------------------------
# 1. shifted-beta-geometric (contractual retention)
# ---------------------------------------------------------------------------


def sbg_survival(alpha: float, beta: float, t: npt.ArrayLike) -> float | FloatArray:
    """Shifted-beta-geometric survival function.

    Each customer churns at the end of every period with a fixed probability
    ``theta ~ Beta(alpha, beta)``; the survival function is
    ``S(t) = P(T > t) = B(alpha, beta + t) / B(alpha, beta)``.

    Args:
        alpha: First Beta shape parameter (> 0).
        beta: Second Beta shape parameter (> 0).
        t: Integer number(s) of periods, ``>= 0`` (scalar or array).

    Returns:
        ``S(t)``, a float for scalar ``t`` and an array otherwise.
    """
    alpha = _positive("alpha", alpha)
    beta = _positive("beta", beta)
    ti = _integer_times(t, 0)
    out = np.exp(special.betaln(alpha, beta + ti) - special.betaln(alpha, beta))
    return _scalar_or_array(np.asarray(out, dtype=float))


def sbg_retention(alpha: float, beta: float, t: npt.ArrayLike) -> float | FloatArray:
    """Shifted-beta-geometric retention rate ``r(t) = S(t) / S(t - 1)``.

    Closed form: ``r(t) = (beta + t - 1) / (alpha + beta + t - 1)``, increasing in ``t``
    because of sorting (the churn-prone customers leave first).

    Args:
        alpha: First Beta shape parameter (> 0).
        beta: Second Beta shape parameter (> 0).
        t: Integer period(s), ``>= 1``.

    Returns:
        ``r(t)``, a float for scalar ``t`` and an array otherwise.
    """
    alpha = _positive("alpha", alpha)
    beta = _positive("beta", beta)
    ti = _integer_times(t, 1)
    out = (beta + ti - 1.0) / (alpha + beta + ti - 1.0)
    return _scalar_or_array(np.asarray(out, dtype=float))


def _sbg_log_pmf(alpha: float, beta: float, t: npt.NDArray[np.int64]) -> FloatArray:
    """Log of ``P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)`` for ``t >= 1``."""
    return np.asarray(
        special.betaln(alpha + 1.0, beta + t - 1.0) - special.betaln(alpha, beta), dtype=float
    )


def _sbg_cohort(
    n_survived_by_t: npt.ArrayLike, n_lost_at_t: npt.ArrayLike
) -> tuple[FloatArray, float]:
    """Validate a single-cohort table and return (lost per period 1..k, survivors after k)."""
    alive = np.asarray(n_survived_by_t, dtype=float).ravel()
    lost = np.asarray(n_lost_at_t, dtype=float).ravel()
    if lost.size == 0:
        raise ValueError("n_lost_at_t must contain at least one period")
    if np.any(lost < 0) or np.any(alive < 0):
        raise ValueError("counts must be non-negative")
    if alive.size == lost.size + 1:
        alive_before = alive[:-1]
        alive_after = alive[1:]
    elif alive.size == lost.size:
        alive_before = np.concatenate(([alive[0] + lost[0]], alive[:-1]))
        alive_after = alive
    else:
        raise ValueError(
            "n_survived_by_t must have the same length as n_lost_at_t (survivors after "
            "periods 1..k) or one more (cohort size first)"
        )
    if not np.allclose(alive_before - alive_after, lost):
        raise ValueError(
            "inconsistent cohort table: n_lost_at_t[t] != survivors[t-1] - survivors[t]"
        )
    return lost, float(alive_after[-1])


def sbg_loglik(
    alpha: float,
    beta: float,
    n_survived_by_t: npt.ArrayLike,
    n_lost_at_t: npt.ArrayLike,
) -> float:
    """Log-likelihood of a single-cohort retention table under the sBG model.

    The cohort table follows Fader & Hardie (2007): ``n_lost_at_t[i]`` customers churn
    in period ``i + 1`` (i.e. ``T = i + 1``) and ``n_survived_by_t[i]`` are still active
    after period ``i + 1``. ``n_survived_by_t`` may also start with the cohort size (one
    element longer than ``n_lost_at_t``). The likelihood is
    ``sum_t n_lost[t] log P(T=t) + n_survived[k] log S(k)``; the table is checked for
    consistency (``lost[t] == survived[t-1] - survived[t]``).

    Args:
        alpha: First Beta shape parameter (> 0).
        beta: Second Beta shape parameter (> 0).
        n_survived_by_t: Survivors after periods 1..k (optionally preceded by the cohort size).
        n_lost_at_t: Churners in periods 1..k.

    Returns:
        The total log-likelihood (multinomial constant omitted).

    Raises:
        ValueError: If the table is malformed or inconsistent.
    """
    alpha = _positive("alpha", alpha)
    beta = _positive("beta", beta)
    lost, still_alive = _sbg_cohort(n_survived_by_t, n_lost_at_t)
    t = np.arange(1, lost.size + 1)
    ll = float(np.sum(lost * _sbg_log_pmf(alpha, beta, t)))
    log_surv = special.betaln(alpha, beta + lost.size) - special.betaln(alpha, beta)
    return ll + still_alive * float(log_surv) if still_alive > 0 else ll


def fit_sbg(
    n_survived_by_t: npt.ArrayLike,
    n_lost_at_t: npt.ArrayLike,
    initial_params: Sequence[float] | None = None,
) -> ModelFit:
    """Maximum-likelihood fit of the sBG model to a single-cohort table.

    Optimises over ``(log alpha, log beta)`` from several starts.

    Args:
        n_survived_by_t: Survivors after periods 1..k (see :func:`sbg_loglik`).
        n_lost_at_t: Churners in periods 1..k.
        initial_params: Optional extra starting point ``(alpha, beta)``.

    Returns:
        ``ModelFit(params={"alpha": ..., "beta": ...}, loglik=...)``.
    """
    _sbg_cohort(n_survived_by_t, n_lost_at_t)

    def objective(z: FloatArray) -> float:
        a, b = np.exp(z)
        return -sbg_loglik(a, b, n_survived_by_t, n_lost_at_t)

    starts = [np.zeros(2), np.array([-1.0, 1.0]), np.array([1.0, 2.0])]
    if initial_params is not None:
        starts.append(np.log(_params_tuple(initial_params, ("alpha", "beta"))))
    z = _minimize_multistart(objective, starts)
    alpha, beta = (float(v) for v in np.exp(z))
    ll = sbg_loglik(alpha, beta, n_survived_by_t, n_lost_at_t)
    return ModelFit({"alpha": alpha, "beta": beta}, ll)


def sbg_lrt(
    data: tuple[npt.ArrayLike, npt.ArrayLike], alpha0: float, beta0: float
) -> tuple[float, float]:
    """Likelihood-ratio test of ``H0: (alpha, beta) = (alpha0, beta0)`` for a cohort table.

    Args:
        data: ``(n_survived_by_t, n_lost_at_t)`` as for :func:`sbg_loglik`.
        alpha0: Hypothesised ``alpha``.
        beta0: Hypothesised ``beta``.

    Returns:
        ``(stat, pvalue)`` with ``stat = 2 (loglik_hat - loglik_0)`` referred to a
        chi-square distribution with 2 degrees of freedom.
    """
    n_survived_by_t, n_lost_at_t = data
    ll0 = sbg_loglik(alpha0, beta0, n_survived_by_t, n_lost_at_t)
    fit = fit_sbg(n_survived_by_t, n_lost_at_t, initial_params=(alpha0, beta0))
    stat = max(0.0, 2.0 * (fit.loglik - ll0))
    return stat, float(stats.chi2.sf(stat, 2))


def simulate_sbg(
    n: int, alpha: float, beta: float, periods: int, rng: np.random.Generator
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Simulate a single-cohort sBG retention table from the generative definition.

    Each of ``n`` customers draws ``theta ~ Beta(alpha, beta)`` and churns at the end of
    each period with probability ``theta``, so its lifetime is ``Geometric(theta)``.

    Args:
        n: Cohort size.
        alpha: First Beta shape parameter.
        beta: Second Beta shape parameter.
        periods: Number of observed periods ``k``.
        rng: Random generator.

    Returns:
        ``(n_survived_by_t, n_lost_at_t)``, both of length ``periods`` (survivors after
        and churners in periods ``1..k``).
    """
    theta = rng.beta(_positive("alpha", alpha), _positive("beta", beta), size=n)
    lifetime = rng.geometric(theta)
    if int(periods) != periods or periods < 1:
        raise ValueError(f"periods must be a positive integer, got {periods!r}")
    periods = int(periods)
    counts = np.bincount(np.minimum(lifetime, periods + 1), minlength=periods + 2)
    lost = counts[1 : periods + 1].astype(np.int64)
    survived = (n - np.cumsum(lost)).astype(np.int64)
    return survived, lost


# ---------------------------------------------------------------------------
# 2. BG/NBD and Pareto/NBD (non-contractual purchasing)
# ---------------------------------------------------------------------------


def _check_rft(
    frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate (frequency, recency, T) summaries and return float arrays."""
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


def bgnbd_loglik_individual(
    params: ParamsLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> FloatArray:
    """Per-customer BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6).

    ``L = B(a, b+x)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
    + [x > 0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))``.
    This is a density in the purchase times, so it depends on the time unit.

    Args:
        params: ``(r, alpha, a, b)`` or a mapping with those keys.
        frequency: Number of repeat purchases ``x``.
        recency: Time of the last repeat purchase since the first purchase ``t_x``.
        T: Time since the first purchase.

    Returns:
        Array of per-customer log-likelihoods.
    """
    r, alpha, a, b = _params_tuple(params, BGNBD_PARAM_NAMES)
    x, tx, age = _check_rft(frequency, recency, T)
    return _bgnbd_ll_core(np.array([r, alpha, a, b]), x, tx, age)


def _bgnbd_ll_core(p: FloatArray, x: FloatArray, tx: FloatArray, age: FloatArray) -> FloatArray:
    """Unvalidated per-customer BG/NBD log-likelihood (see :func:`bgnbd_loglik_individual`)."""
    r, alpha, a, b = p
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    common = common - special.betaln(a, b)
    term_alive = special.betaln(a, b + x) - (r + x) * np.log(alpha + age)
    x_safe = np.maximum(x, 1.0)
    term_dead = special.betaln(a + 1.0, b + x_safe - 1.0) - (r + x) * np.log(alpha + tx)
    term_dead = np.where(x > 0, term_dead, -np.inf)
    return np.asarray(common + np.logaddexp(term_alive, term_dead), dtype=float)


def bgnbd_loglik(
    params: ParamsLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> float:
    """Total BG/NBD log-likelihood at given parameters.

    Args:
        params: ``(r, alpha, a, b)`` or a mapping with those keys; ``alpha`` in data time units.
        frequency: Number of repeat purchases per customer.
        recency: Time of last repeat purchase since first purchase (0 if none).
        T: Time since first purchase.

    Returns:
        Sum of :func:`bgnbd_loglik_individual`.
    """
    return float(np.sum(bgnbd_loglik_individual(params, frequency, recency, T)))


def pareto_loglik_individual(
    params: ParamsLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> FloatArray:
    """Per-customer Pareto/NBD log-likelihood.

    Uses ``lifetimes.ParetoNBDFitter._conditional_log_likelihood`` (equation 18 of
    Fader & Hardie's 2005 note "A Note on Deriving the Pareto/NBD Model and Related
    Expressions"), a density in the purchase times.

    Args:
        params: ``(r, alpha, s, beta)`` or a mapping with those keys.
        frequency: Number of repeat purchases ``x``.
        recency: Time of the last repeat purchase since the first purchase ``t_x``.
        T: Time since the first purchase.

    Returns:
        Array of per-customer log-likelihoods.
    """
    p = _params_tuple(params, PARETO_PARAM_NAMES)
    x, tx, age = _check_rft(frequency, recency, T)
    return _pareto_ll_core(np.array(p), x, tx, age)


def _pareto_ll_core(p: FloatArray, x: FloatArray, tx: FloatArray, age: FloatArray) -> FloatArray:
    """Unvalidated per-customer Pareto/NBD log-likelihood via ``lifetimes``."""
    with warnings.catch_warnings():  # lifetimes' import pokes at deprecated pandas options
        warnings.simplefilter("ignore")
        from lifetimes import ParetoNBDFitter

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ll = ParetoNBDFitter._conditional_log_likelihood(tuple(float(v) for v in p), x, tx, age)
    return np.asarray(ll, dtype=float)


def pareto_loglik(
    params: ParamsLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> float:
    """Total Pareto/NBD log-likelihood at given parameters.

    Args:
        params: ``(r, alpha, s, beta)`` or a mapping with those keys; ``alpha`` and ``beta``
            in data time units.
        frequency: Number of repeat purchases per customer.
        recency: Time of last repeat purchase since first purchase (0 if none).
        T: Time since first purchase.

    Returns:
        Sum of :func:`pareto_loglik_individual`.
    """
    return float(np.sum(pareto_loglik_individual(params, frequency, recency, T)))


def _fit_purchase_model(
    loglik: Callable[[FloatArray, FloatArray, FloatArray, FloatArray], FloatArray],
    names: tuple[str, ...],
    time_index: tuple[int, ...],
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    initial_params: Sequence[ParamsLike] | Mapping[str, float],
) -> ModelFit:
    """Fit a purchase model by maximum likelihood with internal time rescaling.

    Time is rescaled so that the largest ``T`` is 10 units; the optimisation runs over
    log-parameters in that unit, time-scale parameters (positions ``time_index``) are
    converted back, and the log-likelihood is recomputed on the original data.
    """
    x, tx, age = _check_rft(frequency, recency, T)
    scale = 10.0 / float(np.max(age))
    tx_s, age_s = tx * scale, age * scale
    n = x.size

    def to_scaled(p: tuple[float, ...]) -> FloatArray:
        z = np.log(np.asarray(p, dtype=float))
        z[list(time_index)] += math.log(scale)
        return z

    def objective(z: FloatArray) -> float:
        return -float(np.sum(loglik(np.exp(z), x, tx_s, age_s))) / n

    mean_rate = max(float(np.sum(x) / np.sum(age_s)), 1e-3)
    starts: list[FloatArray] = []
    for r0 in (0.5, 2.0):
        base = np.log(np.array([r0, r0 / mean_rate, 1.0, 1.0]))
        if time_index == (1, 3):  # Pareto/NBD (s, beta): dropout rate ~ 1/10 per unit
            base[2:] = np.log([1.0, 10.0])
        starts.append(base)
    if isinstance(initial_params, Mapping):  # a single mapping, not a list of starts
        initial_params = [initial_params]
    starts.extend(to_scaled(_params_tuple(p, names)) for p in initial_params)
    z = _minimize_multistart(objective, starts)
    z = z.copy()
    z[list(time_index)] -= math.log(scale)
    fitted = {name: float(v) for name, v in zip(names, np.exp(z), strict=True)}
    return ModelFit(fitted, float(np.sum(loglik(np.exp(z), x, tx, age))))


def fit_bgnbd(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    initial_params: Sequence[ParamsLike] = (),
) -> ModelFit:
    """Maximum-likelihood fit of the BG/NBD model.

    Time is rescaled internally (largest ``T`` becomes 10) so the optimiser works in any
    unit; ``alpha`` is returned in the data's time unit.

    Args:
        frequency: Number of repeat purchases per customer.
        recency: Time of last repeat purchase since first purchase (0 if none).
        T: Time since first purchase.
        initial_params: Extra starting points ``(r, alpha, a, b)`` in data time units.

    Returns:
        ``ModelFit(params={"r", "alpha", "a", "b"}, loglik)`` with the total
        log-likelihood on the original data.
    """
    return _fit_purchase_model(
        _bgnbd_ll_core, BGNBD_PARAM_NAMES, (1,), frequency, recency, T, initial_params
    )


def fit_pareto(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    initial_params: Sequence[ParamsLike] = (),
) -> ModelFit:
    """Maximum-likelihood fit of the Pareto/NBD model.

    Time is rescaled internally (largest ``T`` becomes 10); ``alpha`` and ``beta`` are
    returned in the data's time unit.

    Args:
        frequency: Number of repeat purchases per customer.
        recency: Time of last repeat purchase since first purchase (0 if none).
        T: Time since first purchase.
        initial_params: Extra starting points ``(r, alpha, s, beta)`` in data time units.

    Returns:
        ``ModelFit(params={"r", "alpha", "s", "beta"}, loglik)`` with the total
        log-likelihood on the original data.
    """
    return _fit_purchase_model(
        _pareto_ll_core, PARETO_PARAM_NAMES, (1, 3), frequency, recency, T, initial_params
    )


def lrt_bgnbd(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    true_params: ParamsLike,
) -> tuple[float, float]:
    """Likelihood-ratio test that the data come from BG/NBD with ``true_params``.

    Args:
        frequency: Number of repeat purchases per customer.
        recency: Time of last repeat purchase since first purchase.
        T: Time since first purchase.
        true_params: Hypothesised ``(r, alpha, a, b)`` (``alpha`` in data time units).

    Returns:
        ``(stat, pvalue)`` with ``stat = 2 (loglik_hat - loglik_true)`` referred to a
        chi-square distribution with 4 degrees of freedom.
    """
    ll0 = bgnbd_loglik(true_params, frequency, recency, T)
    fit = fit_bgnbd(frequency, recency, T, initial_params=[true_params])
    stat = max(0.0, 2.0 * (fit.loglik - ll0))
    return stat, float(stats.chi2.sf(stat, 4))


def lrt_pareto(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    true_params: ParamsLike,
) -> tuple[float, float]:
    """Likelihood-ratio test that the data come from Pareto/NBD with ``true_params``.

    Args:
        frequency: Number of repeat purchases per customer.
        recency: Time of last repeat purchase since first purchase.
        T: Time since first purchase.
        true_params: Hypothesised ``(r, alpha, s, beta)`` (``alpha``, ``beta`` in data
            time units).

    Returns:
        ``(stat, pvalue)`` with ``stat = 2 (loglik_hat - loglik_true)`` referred to a
        chi-square distribution with 4 degrees of freedom.
    """
    ll0 = pareto_loglik(true_params, frequency, recency, T)
    fit = fit_pareto(frequency, recency, T, initial_params=[true_params])
    stat = max(0.0, 2.0 * (fit.loglik - ll0))
    return stat, float(stats.chi2.sf(stat, 4))


def _observation_ages(n: int, T: npt.ArrayLike) -> FloatArray:
    """Broadcast ``T`` (scalar or length-``n``) to a validated float array."""
    age = np.broadcast_to(np.asarray(T, dtype=float), (n,)).astype(float)
    if np.any(~np.isfinite(age)) or np.any(age <= 0):
        raise ValueError("T must be finite and > 0")
    return age


def _last_of_uniform_events(
    n_events: npt.NDArray[np.int64],
    k: npt.NDArray[np.int64],
    window: FloatArray,
    rng: np.random.Generator,
) -> FloatArray:
    """Time of the ``k``-th of ``n_events`` uniform points on ``[0, window]`` (0 if k = 0).

    Given ``N(w) = n`` events, a homogeneous Poisson process's event times are ``n``
    i.i.d. uniforms on ``[0, w]``, and the ``k``-th order statistic is
    ``w * Beta(k, n - k + 1)``.
    """
    k_safe = np.maximum(k, 1)
    draws = rng.beta(k_safe, np.maximum(n_events - k_safe + 1, 1))
    return np.where(k > 0, window * draws, 0.0)


def simulate_bgnbd(
    n: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: npt.ArrayLike,
    rng: np.random.Generator,
) -> tuple[npt.NDArray[np.int64], FloatArray, FloatArray]:
    """Simulate BG/NBD customers in continuous time from the generative definition.

    Each customer has ``lambda ~ Gamma(shape r, rate alpha)`` and
    ``p ~ Beta(a, b)``; after the (uncounted) first purchase at time 0 repeat purchases
    follow a Poisson(``lambda``) process, and after each repeat purchase the customer
    dies with probability ``p``. So the customer makes at most ``K ~ Geometric(p)``
    repeat purchases and ``x = min(N(T), K)``, where ``N(T) ~ Poisson(lambda T)`` counts
    the would-be purchases in ``[0, T]``; the recency is the ``x``-th of those event
    times. (Unlike ``lifetimes.generate_data`` nothing is discretised.)

    Args:
        n: Number of customers.
        r: Gamma shape of the purchase rate.
        alpha: Gamma rate of the purchase rate (in the time unit of ``T``).
        a: First Beta shape of the dropout probability.
        b: Second Beta shape of the dropout probability.
        T: Observation length(s) since the first purchase, scalar or length ``n``.
        rng: Random generator.

    Returns:
        ``(frequency, recency, T)`` arrays of length ``n``.
    """
    r, alpha, a, b = _params_tuple((r, alpha, a, b), BGNBD_PARAM_NAMES)
    age = _observation_ages(n, T)
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    p = rng.beta(a, b, size=n)
    n_events = rng.poisson(lam * age)
    max_purchases = rng.geometric(p)
    x = np.minimum(n_events, max_purchases).astype(np.int64)
    recency = _last_of_uniform_events(n_events, x, age, rng)
    return x, recency, age


def simulate_pareto(
    n: int,
    r: float,
    alpha: float,
    s: float,
    beta: float,
    T: npt.ArrayLike,
    rng: np.random.Generator,
) -> tuple[npt.NDArray[np.int64], FloatArray, FloatArray]:
    """Simulate Pareto/NBD customers in continuous time from the generative definition.

    Each customer has ``lambda ~ Gamma(shape r, rate alpha)`` and
    ``mu ~ Gamma(shape s, rate beta)``, an unobserved lifetime ``tau ~ Exp(mu)`` after
    the (uncounted) first purchase at 0, and makes repeat purchases as a
    Poisson(``lambda``) process while alive. Observation ends at ``T``.

    Args:
        n: Number of customers.
        r: Gamma shape of the purchase rate.
        alpha: Gamma rate of the purchase rate (in the time unit of ``T``).
        s: Gamma shape of the dropout rate.
        beta: Gamma rate of the dropout rate (in the time unit of ``T``).
        T: Observation length(s) since the first purchase, scalar or length ``n``.
        rng: Random generator.

    Returns:
        ``(frequency, recency, T)`` arrays of length ``n``.
    """
    r, alpha, s, beta = _params_tuple((r, alpha, s, beta), PARETO_PARAM_NAMES)
    age = _observation_ages(n, T)
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    mu = rng.gamma(s, 1.0 / beta, size=n)
    lifetime = rng.exponential(1.0 / mu)
    window = np.minimum(lifetime, age)
    x = rng.poisson(lam * window).astype(np.int64)
    recency = _last_of_uniform_events(x, x, window, rng)
    return x, recency, age


# ---------------------------------------------------------------------------
# 3. M/M/c queue
# ---------------------------------------------------------------------------


def _check_mmc(arrival_rate: float, service_rate: float, servers: int) -> tuple[float, float, int]:
    """Validate M/M/c inputs."""
    lam = _positive("arrival_rate", arrival_rate)
    mu = _positive("service_rate", service_rate)
    if int(servers) != servers or servers < 1:
        raise ValueError(f"servers must be a positive integer, got {servers!r}")
    return lam, mu, int(servers)


def mmc_utilisation(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Server utilisation ``rho = lambda / (c mu)`` of an M/M/c queue.

    Args:
        arrival_rate: Poisson arrival rate ``lambda``.
        service_rate: Exponential service rate ``mu`` of one server.
        servers: Number of servers ``c``.

    Returns:
        ``rho``; the queue is stable iff ``rho < 1``.
    """
    lam, mu, c = _check_mmc(arrival_rate, service_rate, servers)
    return lam / (c * mu)


def erlang_c(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Erlang C: probability that an arriving customer has to wait in an M/M/c queue.

    Computed stably through the Erlang B recursion ``B_k = a B_{k-1} / (k + a B_{k-1})``
    with offered load ``a = lambda / mu``, then ``C = c B_c / (c - a (1 - B_c))``.

    Args:
        arrival_rate: Poisson arrival rate ``lambda``.
        service_rate: Exponential service rate ``mu`` of one server.
        servers: Number of servers ``c``.

    Returns:
        ``P(wait > 0)`` in steady state; 1.0 for an unstable queue (``lambda >= c mu``).
    """
    lam, mu, c = _check_mmc(arrival_rate, service_rate, servers)
    load = lam / mu
    if load >= c:
        return 1.0
    erlang_b = 1.0
    for k in range(1, c + 1):
        erlang_b = load * erlang_b / (k + load * erlang_b)
    return c * erlang_b / (c - load * (1.0 - erlang_b))


def mmc_mean_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in queue (before service) of an M/M/c queue, ``Wq = C / (c mu - lambda)``.

    Args:
        arrival_rate: Poisson arrival rate ``lambda``.
        service_rate: Exponential service rate ``mu`` of one server.
        servers: Number of servers ``c``.

    Returns:
        ``Wq`` in the time unit of the rates; ``inf`` for an unstable queue.
    """
    lam, mu, c = _check_mmc(arrival_rate, service_rate, servers)
    if lam >= c * mu:
        return math.inf
    return erlang_c(lam, mu, c) / (c * mu - lam)


def mmc_wait_tail(
    arrival_rate: float, service_rate: float, servers: int, t: npt.ArrayLike
) -> float | FloatArray:
    """Waiting-time tail of an M/M/c queue, ``P(Wq > t) = C exp(-(c mu - lambda) t)``.

    Args:
        arrival_rate: Poisson arrival rate ``lambda``.
        service_rate: Exponential service rate ``mu`` of one server.
        servers: Number of servers ``c``.
        t: Waiting time threshold(s), ``>= 0``.

    Returns:
        ``P(Wq > t)``; 1.0 everywhere for an unstable queue.
    """
    lam, mu, c = _check_mmc(arrival_rate, service_rate, servers)
    tt = np.asarray(t, dtype=float)
    if np.any(tt < 0):
        raise ValueError("t must be >= 0")
    if lam >= c * mu:
        return _scalar_or_array(np.ones_like(tt))
    out = erlang_c(lam, mu, c) * np.exp(-(c * mu - lam) * tt)
    return _scalar_or_array(np.asarray(out, dtype=float))


# ---------------------------------------------------------------------------
# 4. Bass diffusion
# ---------------------------------------------------------------------------


def bass_cumulative(t: npt.ArrayLike, p: float, q: float, m: float) -> float | FloatArray:
    """Cumulative adopters ``m F(t)`` of the Bass diffusion model.

    ``F(t) = (1 - exp(-(p+q) t)) / (1 + (q/p) exp(-(p+q) t))`` solves
    ``dN/dt = (p + q N/m)(m - N)`` with ``N(0) = 0``.

    Args:
        t: Time(s) since launch, ``>= 0``.
        p: Coefficient of innovation (> 0).
        q: Coefficient of imitation (>= 0).
        m: Market potential (> 0).

    Returns:
        ``N(t) = m F(t)``, a float for scalar ``t`` and an array otherwise.
    """
    p = _positive("p", p)
    m = _positive("m", m)
    if not (math.isfinite(q) and q >= 0):
        raise ValueError(f"q must be finite and >= 0, got {q!r}")
    tt = np.asarray(t, dtype=float)
    if np.any(tt < 0):
        raise ValueError("t must be >= 0")
    decay = np.exp(-(p + q) * tt)
    out = m * (1.0 - decay) / (1.0 + (q / p) * decay)
    return _scalar_or_array(np.asarray(out, dtype=float))


# ---------------------------------------------------------------------------
# 5. customer lifetime value
# ---------------------------------------------------------------------------


def clv_constant(
    margin: float, retention: float, discount_rate: float, paid_at_start: bool = True
) -> float:
    """Closed-form customer lifetime value for constant margin, retention and discounting.

    The customer is active in period 0 for sure and in period ``t`` with probability
    ``r^t`` (``r`` = retention); money in period ``t`` is discounted by ``(1 + d)^-t``.

    * ``paid_at_start=True``: the margin ``m`` arrives at the start of every period the
      customer is active, the first one immediately and undiscounted:
      ``CLV = sum_{t>=0} m r^t / (1+d)^t = m (1 + d) / (1 + d - r)``.
    * ``paid_at_start=False``: the margin arrives at the end of each period
      ``t = 1, 2, ...``, only if the customer is retained through it:
      ``CLV = sum_{t>=1} m r^t / (1+d)^t = m r / (1 + d - r)``.

    Args:
        margin: Constant per-period margin ``m``.
        retention: Per-period retention probability ``r`` in ``[0, 1]``.
        discount_rate: Per-period discount rate ``d`` (> -1), with ``r < 1 + d``.
        paid_at_start: Timing convention, see above.

    Returns:
        The expected discounted value.

    Raises:
        ValueError: If ``r`` is outside ``[0, 1]`` or the series diverges.
    """
    m, r, d = float(margin), float(retention), float(discount_rate)
    if not 0.0 <= r <= 1.0:
        raise ValueError(f"retention must be in [0, 1], got {retention!r}")
    if not d > -1.0 or not 1.0 + d - r > 0.0:
        raise ValueError("need discount_rate > -1 and retention < 1 + discount_rate")
    return m * (1.0 + d) / (1.0 + d - r) if paid_at_start else m * r / (1.0 + d - r)


# ---------------------------------------------------------------------------
# 6. statistical helpers
# ---------------------------------------------------------------------------


def welch_z(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Difference of sample means over its (unpooled, Welch) standard error.

    ``z = (mean(a) - mean(b)) / sqrt(var(a)/n_a + var(b)/n_b)`` with ``ddof=1``
    variances; approximately standard normal under equal means for large samples.

    Args:
        a: First sample (at least 2 values).
        b: Second sample (at least 2 values).

    Returns:
        The z statistic; ``0.0`` if both samples are constant and equal, ``+-inf`` if
        they are constant and differ.
    """
    xa = np.asarray(a, dtype=float).ravel()
    xb = np.asarray(b, dtype=float).ravel()
    if xa.size < 2 or xb.size < 2:
        raise ValueError("each sample needs at least 2 values")
    diff = float(xa.mean() - xb.mean())
    se = math.sqrt(float(xa.var(ddof=1)) / xa.size + float(xb.var(ddof=1)) / xb.size)
    if se == 0.0:
        return 0.0 if diff == 0.0 else math.copysign(math.inf, diff)
    return diff / se


def binom_interval(
    k: int, n: int, alpha: float = 0.05, method: str = "wilson"
) -> tuple[float, float]:
    """Two-sided ``1 - alpha`` confidence interval for a binomial proportion.

    Args:
        k: Number of successes, ``0 <= k <= n``.
        n: Number of trials (> 0).
        alpha: Total error rate of the two-sided interval.
        method: ``"wilson"`` (score interval) or ``"clopper-pearson"`` (exact,
            conservative; ``"exact"`` is accepted as an alias).

    Returns:
        ``(lower, upper)``.
    """
    if int(n) != n or n < 1 or int(k) != k or not 0 <= k <= n:
        raise ValueError(f"need integers 0 <= k <= n, n >= 1; got k={k!r}, n={n!r}")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    k, n = int(k), int(n)
    if method == "wilson":
        z = float(stats.norm.isf(alpha / 2.0))
        phat = k / n
        denom = 1.0 + z * z / n
        centre = (phat + z * z / (2.0 * n)) / denom
        half = z * math.sqrt(phat * (1.0 - phat) / n + z * z / (4.0 * n * n)) / denom
        lo = 0.0 if k == 0 else max(0.0, centre - half)
        hi = 1.0 if k == n else min(1.0, centre + half)
        return lo, hi
    if method in ("clopper-pearson", "exact"):
        lo = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2.0, k, n - k + 1))
        hi = 1.0 if k == n else float(stats.beta.isf(alpha / 2.0, k + 1, n - k))
        return lo, hi
    raise ValueError(f"unknown method {method!r}")


def holm(pvalues: npt.ArrayLike) -> FloatArray:
    """Holm-Bonferroni adjusted p-values.

    With sorted p-values ``p_(1) <= ... <= p_(m)`` the adjusted values are
    ``max_{j <= i} min(1, (m - j + 1) p_(j))``, returned in the input order; rejecting
    where the adjusted value is ``<= alpha`` is Holm's step-down procedure, controlling
    the family-wise error rate at ``alpha``.

    Args:
        pvalues: Raw p-values in ``[0, 1]``.

    Returns:
        Adjusted p-values, same shape as the input.
    """
    p = np.asarray(pvalues, dtype=float)
    flat = p.ravel()
    if np.any(np.isnan(flat)) or np.any(flat < 0) or np.any(flat > 1):
        raise ValueError("p-values must be in [0, 1]")
    m = flat.size
    order = np.argsort(flat, kind="stable")
    scaled = np.minimum(1.0, (m - np.arange(m)) * flat[order])
    adjusted = np.empty(m, dtype=float)
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted.reshape(p.shape)


def ks_2samp_p(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Two-sided two-sample Kolmogorov-Smirnov p-value (``scipy.stats.ks_2samp``).

    Args:
        a: First sample.
        b: Second sample.

    Returns:
        The p-value for the hypothesis that both samples share one continuous distribution.
    """
    return float(stats.ks_2samp(np.asarray(a, dtype=float), np.asarray(b, dtype=float)).pvalue)
