"""Statistics of a policy comparison: intervals, paired differences, pairing gain, P(best).

A comparison runs every arm on the same replication seeds, so replication ``i`` of arm A and
replication ``i`` of arm B see the same customers and the same shocks (common random
numbers). Their difference is then a *paired* quantity: the noise both arms share cancels,
and an interval on the per-replication differences is much narrower than one on two
independent samples. Think of weighing two parcels on a scale that drifts through the day:
weighing them one after the other and subtracting beats weighing each on a different day.

Everything here is a pure function of numpy arrays (one value per replication):

* :func:`mean_interval` — the arm mean with its Student-t interval;
* :func:`paired_difference` — mean of ``b − a`` with the t-interval of the differences;
* :func:`unpaired_difference` — Welch's interval on the same runs, for contrast;
* :func:`relative_difference` — ``(mean b − mean a) / |mean a|`` in %, delta method;
* :func:`pairing_gain` — variance removed by pairing and the equivalent replication factor;
* :func:`prob_best` — probability each arm is best, by a paired bootstrap
  (:mod:`sim.experiments.ranking`);
* :func:`describe` and :func:`contrast` — the per-metric rows of a comparison's tables.

The precision targets of an adaptive comparison, built on :class:`Interval`, live in
:mod:`sim.experiments.targets`.

Values that are not finite (a KPI undefined in one run, such as a recovery rate without
complaints) are dropped; in paired functions the whole pair is dropped.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from sim.experiments.ranking import prob_best
from sim.results.catalogue import kpi

__all__ = [
    "MIN_GAIN_PAIRS",
    "Interval",
    "PairingGain",
    "contrast",
    "describe",
    "direction",
    "mean_interval",
    "paired_difference",
    "pairing_gain",
    "pairing_gain_interval",
    "prob_best",
    "relative_difference",
    "unpaired_difference",
]

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]


def direction(metric: str) -> int:
    """Which way is better for the KPI ``metric``: +1 (higher), −1 (lower) or 0 (neither).

    Read from :mod:`sim.results.catalogue`, the one place that says what each KPI means.

    Raises:
        LookupError: ``metric`` is not a KPI of the catalogue (its direction is unknown,
            and guessing it from the name would silently mislabel winners).
    """
    return kpi(metric).better


class Interval(NamedTuple):
    """A point estimate with its two-sided confidence interval.

    Attributes:
        estimate: the point estimate (NaN with fewer than two usable values).
        low: lower end of the interval.
        high: upper end of the interval.
        se: standard error of the estimate.
        n: number of values (or pairs) used.
    """

    estimate: float
    low: float
    high: float
    se: float
    n: int

    @property
    def half_width(self) -> float:
        """Half the interval's width."""
        return (self.high - self.low) / 2.0

    def excludes(self, value: float = 0.0) -> bool:
        """Whether ``value`` lies outside the interval (False when it is undefined)."""
        return bool(self.low > value or self.high < value)


#: Relative variance below which paired differences count as constant (float rounding).
_NEGLIGIBLE = 1e-12

_NAN_INTERVAL = Interval(math.nan, math.nan, math.nan, math.nan, 0)


def _finite(x: ArrayLike) -> FloatArray:
    arr = np.asarray(x, dtype=float).ravel()
    return arr[np.isfinite(arr)]


def _finite_pairs(a: ArrayLike, b: ArrayLike) -> tuple[FloatArray, FloatArray]:
    xa = np.asarray(a, dtype=float).ravel()
    xb = np.asarray(b, dtype=float).ravel()
    if xa.shape != xb.shape:
        raise ValueError(f"paired samples need equal lengths, got {xa.size} and {xb.size}")
    ok = np.isfinite(xa) & np.isfinite(xb)
    return xa[ok], xb[ok]


@lru_cache(maxsize=1024)
def _t_quantile(p: float, df: float) -> float:
    return float(sps.t.ppf(p, df))


def _t_interval(estimate: float, se: float, df: float, n: int, level: float) -> Interval:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if not (math.isfinite(estimate) and math.isfinite(se) and df > 0):
        return Interval(estimate, math.nan, math.nan, se, n)
    h = _t_quantile(0.5 + level / 2.0, df) * se
    return Interval(estimate, estimate - h, estimate + h, se, n)


def mean_interval(x: ArrayLike, level: float = 0.95) -> Interval:
    """Mean of ``x`` with its Student-t interval (``n − 1`` degrees of freedom).

    Args:
        x: one value per replication.
        level: confidence level.

    Returns:
        The interval ``mean ± t(n−1) · sd / √n``; NaN bounds with fewer than two values.
    """
    v = _finite(x)
    n = int(v.size)
    if n == 0:
        return _NAN_INTERVAL
    m = float(v.mean())
    if n < 2:
        return Interval(m, math.nan, math.nan, math.nan, n)
    se = float(v.std(ddof=1)) / math.sqrt(n)
    return _t_interval(m, se, n - 1, n, level)


def paired_difference(a: ArrayLike, b: ArrayLike, level: float = 0.95) -> Interval:
    """Mean of ``b − a`` over replications, with the t-interval of the differences.

    Args:
        a: the baseline arm, one value per replication.
        b: the other arm, on the same replications (same order).
        level: confidence level.

    Returns:
        The paired-t interval (equal to ``scipy.stats.ttest_rel(b, a)``'s).
    """
    xa, xb = _finite_pairs(a, b)
    return mean_interval(xb - xa, level)


def unpaired_difference(a: ArrayLike, b: ArrayLike, level: float = 0.95) -> Interval:
    """Welch's interval for ``mean b − mean a`` treating the samples as independent.

    Shown next to the paired interval to make the gain from common random numbers visible.

    Args:
        a: the baseline arm's values.
        b: the other arm's values.
        level: confidence level.

    Returns:
        The interval with Welch–Satterthwaite degrees of freedom.
    """
    xa, xb = _finite(a), _finite(b)
    na, nb = int(xa.size), int(xb.size)
    if na < 2 or nb < 2:
        est = float(xb.mean() - xa.mean()) if na and nb else math.nan
        return Interval(est, math.nan, math.nan, math.nan, min(na, nb))
    va, vb = float(xa.var(ddof=1)) / na, float(xb.var(ddof=1)) / nb
    se = math.sqrt(va + vb)
    est = float(xb.mean() - xa.mean())
    if se == 0.0:
        return Interval(est, est, est, 0.0, min(na, nb))
    df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    return _t_interval(est, se, df, min(na, nb), level)


def relative_difference(a: ArrayLike, b: ArrayLike, level: float = 0.95) -> Interval:
    """``100 · (mean b − mean a) / |mean a|`` with a paired delta-method t-interval.

    The estimate is a ratio of means. Its standard error comes from the first-order (delta)
    expansion around the sample means, computed on the pairs so the pairing is kept: with
    ``d = b − a`` and ``r`` the estimate as a fraction, the linearised per-replication values
    are ``e_i = (d_i − r · sign(ā) · a_i) / |ā|`` and ``se = sd(e) / √n``. The interval uses
    ``n − 1`` degrees of freedom like the paired-t interval it refines. When ``ā > 0`` this
    is the classical ratio-estimator interval for ``b̄ / ā − 1``.

    Args:
        a: the baseline arm, one value per replication.
        b: the other arm, on the same replications.
        level: confidence level.

    Returns:
        The relative difference in percent of the baseline's magnitude; NaN when the
        baseline mean is zero or fewer than two pairs are usable.
    """
    xa, xb = _finite_pairs(a, b)
    n = int(xa.size)
    if n == 0:
        return _NAN_INTERVAL
    ma = float(xa.mean())
    if ma == 0.0:
        return Interval(math.nan, math.nan, math.nan, math.nan, n)
    d = xb - xa
    r = float(d.mean()) / abs(ma)
    if n < 2:
        return Interval(100.0 * r, math.nan, math.nan, math.nan, n)
    e = (d - r * math.copysign(1.0, ma) * xa) / abs(ma)
    se = float(e.std(ddof=1)) / math.sqrt(n)
    iv = _t_interval(r, se, n - 1, n, level)
    return Interval(100.0 * iv.estimate, 100.0 * iv.low, 100.0 * iv.high, 100.0 * se, n)


class PairingGain(NamedTuple):
    """What pairing on common random numbers bought for one metric.

    Attributes:
        reduction: ``1 − Var(b − a) / (Var(a) + Var(b))``: the share of the unpaired
            variance of a difference that pairing removed (equals the correlation of the
            arms when their variances are equal; negative if pairing hurt).
        factor: ``(Var(a) + Var(b)) / Var(b − a)``: an unpaired comparison would need
            ``factor`` times as many replications per arm for the same interval width
            (``inf`` when the paired differences do not vary beyond float rounding).
    """

    reduction: float
    factor: float


def pairing_gain(a: ArrayLike, b: ArrayLike) -> PairingGain:
    """Variance reduction achieved by pairing arm ``b`` with the baseline ``a``.

    Args:
        a: the baseline arm, one value per replication.
        b: the other arm, on the same replications.

    Returns:
        The reduction and the equivalent replication factor (NaN when undefined: fewer than
        two pairs, or neither arm varies).
    """
    xa, xb = _finite_pairs(a, b)
    if xa.size < 2:
        return PairingGain(math.nan, math.nan)
    total = float(xa.var(ddof=1) + xb.var(ddof=1))
    vd = float((xb - xa).var(ddof=1))
    if total == 0.0:
        return PairingGain(math.nan, math.nan)
    if vd <= _NEGLIGIBLE * total:
        # Differences constant up to rounding (a pure cost lever): pairing removed it all.
        return PairingGain(1.0, math.inf)
    return PairingGain(1.0 - vd / total, total / vd)


#: Pairs below which the pairing gain's interval is withheld. The gain behaves like a
#: correlation, whose standard error is about (1 − ρ²)/√(n − 1): ±0.58 at n = 4 for ρ = 0,
#: so at class sizes a printed gain of −66 % or +9 % is noise and reads as if pairing failed;
#: at n = 8 it is ±0.38, and the bootstrap interval starts to say something.
MIN_GAIN_PAIRS = 8


def pairing_gain_interval(
    a: ArrayLike, b: ArrayLike, level: float = 0.95, n_boot: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """A paired-bootstrap percentile interval for :attr:`PairingGain.reduction`.

    Replications are resampled with replacement, the same indices for both arms, and the
    reduction recomputed on each resample.

    Args:
        a: the baseline arm, one value per replication.
        b: the other arm, on the same replications.
        level: confidence level.
        n_boot: bootstrap resamples.
        seed: seed of the bootstrap's own generator (reports are reproducible).

    Returns:
        ``(low, high)``; NaN for both below :data:`MIN_GAIN_PAIRS` usable pairs, when
        neither arm varies, or when the differences are constant (the gain is then exact).
    """
    xa, xb = _finite_pairs(a, b)
    n = int(xa.size)
    point = pairing_gain(xa, xb).reduction
    if n < MIN_GAIN_PAIRS or not math.isfinite(point) or point == 1.0:
        return math.nan, math.nan
    idx = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
    ra, rb = xa[idx], xb[idx]
    total = ra.var(axis=1, ddof=1) + rb.var(axis=1, ddof=1)
    vd = (rb - ra).var(axis=1, ddof=1)
    ok = total > 0.0
    reductions = 1.0 - vd[ok] / total[ok]
    if reductions.size == 0:
        return math.nan, math.nan
    tail = 100.0 * (1.0 - level) / 2.0
    low, high = np.percentile(reductions, [tail, 100.0 - tail])
    return float(low), float(high)


def describe(x: ArrayLike, level: float = 0.95) -> dict[str, float]:
    """Count, mean, sd and t-interval of one arm's values (non-finite values dropped).

    Returns:
        Keys ``n, mean, sd, low, high, half_width``.
    """
    v = _finite(x)
    iv = mean_interval(v, level)
    sd = float(v.std(ddof=1)) if v.size > 1 else math.nan
    return {"n": iv.n, "mean": iv.estimate, "sd": sd, "low": iv.low, "high": iv.high,
            "half_width": iv.half_width}  # fmt: skip


def _base_mean(a: ArrayLike, b: ArrayLike) -> float:
    xa, _ = _finite_pairs(a, b)
    return float(xa.mean()) if xa.size else math.nan


def contrast(a: ArrayLike, b: ArrayLike, sense: int, level: float = 0.95) -> dict[str, float]:
    """Everything said about arm ``b`` against the baseline ``a`` on one metric.

    Args:
        a: the baseline's values, one per replication.
        b: the arm's values on the same replications.
        sense: the metric's :func:`direction`.
        level: confidence level.

    Returns:
        Keys ``n, base_mean`` (the baseline's mean over the usable pairs), ``diff, low,
        high`` (paired), ``rel_pct, rel_low, rel_high`` (relative, %),
        ``unpaired_low, unpaired_high`` (Welch), ``reduction, factor`` (pairing gain),
        ``reduction_low, reduction_high`` (its bootstrap interval; NaN below
        :data:`MIN_GAIN_PAIRS` pairs),
        ``direction``, ``detected`` (the paired interval excludes zero) and ``better``
        (+1 the arm is better, −1 worse, 0 no detectable difference or a neutral metric).
    """
    d = paired_difference(a, b, level)
    r = relative_difference(a, b, level)
    u = unpaired_difference(a, b, level)
    g = pairing_gain(a, b)
    g_low, g_high = pairing_gain_interval(a, b, level)
    detected = d.excludes(0.0)
    return {
        "n": d.n, "base_mean": _base_mean(a, b),
        "diff": d.estimate, "low": d.low, "high": d.high,
        "rel_pct": r.estimate, "rel_low": r.low, "rel_high": r.high,
        "unpaired_low": u.low, "unpaired_high": u.high,
        "reduction": g.reduction, "factor": g.factor,
        "reduction_low": g_low, "reduction_high": g_high, "direction": sense,
        "detected": detected, "better": int(np.sign(d.estimate)) * sense if detected else 0,
    }  # fmt: skip
