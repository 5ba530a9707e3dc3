"""Reference closed forms and statistical checks for the simulation's statistical tests.

Everything here is written independently of the simulation code so that the
simulation can be tested against it:

* shifted-beta-geometric (sBG), BG/NBD and Pareto/NBD: survival, likelihoods, fits,
  likelihood-ratio tests and continuous-time reference generators, re-exported from
  :mod:`sim.calibration` (the engines never import it);
* M/M/c queues (Erlang C), Bass diffusion, constant-retention CLV;
* small statistical helpers (Welch z, binomial intervals, Holm, two-sample KS).

Conventions: every random function takes an explicit ``numpy.random.Generator``;
the Gamma rate parameters of the purchase and dropout rates (BG/NBD and Pareto/NBD
``alpha``, Pareto/NBD ``beta``) are in the same time unit as the data (``recency`` and
``T``), e.g. days; the fits rescale time internally and convert back.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import stats

# The BTYD likelihoods, fits, tests and generators live in the package now (still written
# independently of the engines, which never import it); re-exported for the tests.
from sim.calibration import (  # noqa: F401
    BGNBD_PARAM_NAMES,
    PARETO_PARAM_NAMES,
    ModelFit,
    bgnbd_loglik,
    bgnbd_loglik_individual,
    fit_bgnbd,
    fit_pareto,
    fit_sbg,
    lrt_bgnbd,
    lrt_pareto,
    pareto_loglik,
    pareto_loglik_individual,
    sbg_loglik,
    sbg_lrt,
    sbg_retention,
    sbg_survival,
    simulate_bgnbd,
    simulate_pareto,
    simulate_sbg,
)
from sim.calibration.estimation import FloatArray, ParamsLike  # noqa: F401

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


# ---------------------------------------------------------------------------
# 1. M/M/c queue
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
# 2. Bass diffusion
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
# 3. customer lifetime value
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
# 4. statistical helpers
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
