"""Renewals: how many subscribers renew at their 1st, 2nd, 3rd … renewal, and what sBG expects.

In a contractual business a customer says yes or no at each renewal, so the renewal rate at
tenure ``t`` is a plain count: of the customers still subscribed and due at their ``t``-th
renewal, the share who renewed. The shifted-beta-geometric model (Fader & Hardie 2007, "How
to project customer retention") explains why it rises: every subscriber cancels with their
own probability θ, θ differs between people (θ ~ Beta(α, β)), and the fragile ones leave
first, so the survivors at a later renewal are steadier. For one segment the expected rate
is ``r(t) = (β + t − 1) / (α + β + t − 1)``.

The table is rebuilt exactly from the customers table: a renewal falls every ``every`` days
after acquisition (the engines keep that clock), a cancellation is seen at a renewal, and a
renewal on or after the horizon lies outside the run (it belongs to the next period, as in
the ``retention_*`` KPIs).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sim.results.run_result import RunResult

__all__ = [
    "COLUMNS",
    "MIN_DUE",
    "contract_terms",
    "drawn",
    "renewal_table",
    "renewals_of",
    "sbg_rate",
    "wilson",
]

#: The columns of :func:`renewal_table`, in order.
COLUMNS = ("renewal", "day", "due", "renewed", "cancelled", "rate", "low", "high", "sbg")

#: Renewal days are sums of floats: within this many days of a renewal is at the renewal,
#: and this close to the horizon is on it.
_EPS = 1e-6

_Z95 = NormalDist().inv_cdf(0.975)

#: Fewest customers due at a renewal for the report to draw and quote it: below that the
#: 95 % interval spans tens of points and the eye reads noise as a trend.
MIN_DUE = 20


def wilson(k: np.ndarray, n: np.ndarray, z: float = _Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial share ``k / n`` (NaN where ``n`` is 0).

    Chosen over the textbook ``p ± z·se`` because renewal rates sit near 100 %, where that
    interval runs past 100 % and is too narrow; Wilson's stays inside [0, 1].
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high


def sbg_rate(dropout: Mapping[str, Any], t: np.ndarray) -> np.ndarray:
    """Expected renewal rate at renewal ``t`` for customers of one segment still due at it.

    ``sbg``: ``(β + t − 1) / (α + β + t − 1)``, rising with ``t`` by sorting; ``constant``:
    ``1 − θ`` at every renewal. Any other model (none is allowed in the contractual setting
    today) gives NaN rather than a guess.
    """
    t = np.asarray(t, dtype=float)
    model = dropout.get("model")
    if model == "sbg":
        a, b = float(dropout["alpha"]), float(dropout["beta"])
        return (b + t - 1.0) / (a + b + t - 1.0)
    if model == "constant":
        return np.full(t.shape, 1.0 - float(dropout["theta"]))
    return np.full(t.shape, math.nan)


def renewal_table(
    customers: pd.DataFrame,
    every: float,
    horizon: float,
    dropout: Mapping[str, Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """The empirical renewal rate by tenure, with binomial intervals and the sBG expectation.

    Each customer's renewals fall at ``acquired + t·every`` for ``t = 1, 2, …``; only those
    strictly before ``horizon`` are observed. A customer is *due* at renewal ``t`` when it
    is observed and they were still subscribed just before it. Their history reads off the
    customers table:

    * still active (``churned`` is NaN): renewed at every observed renewal;
    * left at a renewal (``churned − acquired`` a whole number ``k`` of contract periods,
      any reason but ``fired``): renewed at 1 … k − 1, cancelled at ``k``;
    * let go by the firm (``churn_reason == "fired"``) or gone between renewals: renewed at
      every renewal before they left, and not due after. The firm plans a period before the
      renewals in it, so a customer fired on a renewal day was not due at that renewal.

    Customers ever won back (``won_back > 0``) are left out: the table keeps their last
    churn only, so when their first subscription ended is not known.

    Args:
        customers: the customers table (needs ``segment``, ``acquired``, ``churned``,
            ``churn_reason`` and ``won_back``).
        every: the contract period in days (``contract.every``).
        horizon: the run's horizon in days.
        dropout: segment name → its ``dropout`` section (``{"model": "sbg", "alpha": …,
            "beta": …}`` or ``{"model": "constant", "theta": …}``), for the expected rate;
            ``None`` leaves the ``sbg`` column NaN.

    Returns:
        One row per renewal at which at least one customer was due, columns
        :data:`COLUMNS`:

        * ``renewal`` (int): the renewal's number ``t`` since acquisition (1 is the first
          renewal, one contract period after joining);
        * ``day`` (float): tenure at that renewal in days, ``t · every``;
        * ``due`` (int): customers subscribed just before renewal ``t`` and observed at it;
        * ``renewed`` (int): of those, customers who renewed;
        * ``cancelled`` (int): of those, customers who cancelled at it (``due − renewed``);
        * ``rate`` (float): ``renewed / due``, the renewal rate at tenure ``t``;
        * ``low``, ``high`` (float): its 95 % Wilson interval;
        * ``sbg`` (float): the rate the dropout model alone expects for the customers due
          (``Σ_s due_s · r_s(t) / due`` over segments ``s``, with ``r_s`` from
          :func:`sbg_rate`): what θ-sorting gives without any behavioural churn. Given the
          segments of those due, it is the exact expectation of ``rate`` in a run with
          ``behaviour.enabled: false``. NaN without ``dropout`` or for a segment it lacks.

        Empty, with these columns, when no customer was due at any renewal.
    """
    kept = customers[customers["won_back"].to_numpy() == 0]
    acquired = kept["acquired"].to_numpy(dtype=float)
    churned = kept["churned"].to_numpy(dtype=float)
    fired = kept["churn_reason"].to_numpy() == "fired"
    seen = np.floor((horizon - acquired - _EPS) / every)  # renewals before the horizon
    gone = ~np.isnan(churned)
    span = np.where(gone, churned - acquired, 0.0)
    k = np.rint(span / every)
    on_renewal = gone & ~fired & (k >= 1) & (np.abs(span - k * every) <= _EPS)
    before = np.floor((span - _EPS) / every)  # renewals strictly before leaving
    due_n = np.where(on_renewal, k, np.where(gone, before, seen))
    due_n = np.maximum(due_n, 0).astype(np.int64)
    longest = int(due_n.max()) if due_n.size else 0
    if longest == 0:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in COLUMNS})
    t = np.arange(1, longest + 1)
    # due(t) = customers whose count of due renewals reaches t.
    reach = np.bincount(due_n, minlength=longest + 1)
    due = reach[::-1].cumsum()[::-1][1:]
    cancelled = np.bincount(due_n[on_renewal], minlength=longest + 1)[1:]
    renewed = due - cancelled
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(due > 0, renewed / np.maximum(due, 1), np.nan)
    low, high = wilson(renewed, due)
    expected = _expected(kept["segment"].to_numpy(), due_n, t, due, dropout)
    frame = pd.DataFrame(
        {
            "renewal": t,
            "day": t * float(every),
            "due": due,
            "renewed": renewed,
            "cancelled": cancelled,
            "rate": rate,
            "low": low,
            "high": high,
            "sbg": expected,
        }
    )
    return frame[frame["due"] > 0].reset_index(drop=True)


def _expected(
    segments: np.ndarray,
    due_n: np.ndarray,
    t: np.ndarray,
    due: np.ndarray,
    dropout: Mapping[str, Mapping[str, Any]] | None,
) -> np.ndarray:
    """``Σ_s due_s(t) · r_s(t) / due(t)``: each segment's sBG rate, weighted by who is due."""
    if dropout is None:
        return np.full(t.shape, math.nan)
    total = np.zeros(t.shape)
    for name in np.unique(segments):
        spec = dropout.get(str(name))
        if spec is None:
            return np.full(t.shape, math.nan)
        reach = np.bincount(due_n[segments == name], minlength=t.size + 1)
        due_s = reach[::-1].cumsum()[::-1][1:]
        total += due_s * sbg_rate(spec, t)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(due > 0, total / np.maximum(due, 1), np.nan)


def contract_terms(result: RunResult) -> tuple[float, float, dict[str, dict[str, Any]]] | None:
    """``(every, horizon, dropout by segment)`` of a contractual run, from its manifest.

    None when the run is not contractual (or its manifest does not say): then there are no
    renewals to tabulate.
    """
    sc = result.manifest.get("scenario") or {}
    if sc.get("setting") != "contractual":
        return None
    try:
        every = float(sc["contract"]["every"])
        horizon = float(sc["horizon"])
        segments = sc["population"]["segments"]
    except (KeyError, TypeError, ValueError):
        return None
    dropout = {str(s["name"]): dict(s.get("dropout") or {}) for s in segments}
    return every, horizon, dropout


def renewals_of(result: RunResult) -> pd.DataFrame | None:
    """:func:`renewal_table` of a run, or None when the run is not contractual."""
    terms = contract_terms(result)
    if terms is None:
        return None
    every, horizon, dropout = terms
    return renewal_table(result.customers, every, horizon, dropout)


def drawn(table: pd.DataFrame, min_due: int = MIN_DUE) -> pd.DataFrame:
    """The renewals the report draws and its caption quotes: those with ``min_due`` or more due."""
    return table[table["due"] >= min_due].reset_index(drop=True)
