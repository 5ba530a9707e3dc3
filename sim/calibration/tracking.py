"""Tracking: observed against simulated, week by week, for the calibration report.

The classic check of a purchase model (Fader, Hardie & Lee 2005, figure 4) is the tracking
chart: cumulative repeat transactions of the calibration cohort, week by week, through the
calibration window and on into a holdout the fit never saw. Three curves are drawn from the
same customers: what they did, what the fitted model expects (the sum over customers of
``E[X(t)]`` from each one's first purchase) and what the calibrated scenario's simulated
world did when each simulated customer is given a real customer's first-purchase date
(:func:`simulated_log`). The holdout error is the forecast minus the actual at the last week.

Tables (every function returns a DataFrame with these columns):

``tracking``: ``week`` (weeks since the log's first purchase, at the week's end), ``phase``
(``calibration`` or ``holdout``), ``observed`` (cumulative repeat purchases), ``expected``
(the fitted model's forecast), ``simulated`` (the simulated world, NaN without one).

``repeats``: ``repeat_purchases`` (0, 1, …; the last row counts that many or more),
``observed`` and ``simulated`` (customers with that many repeat purchases in the
calibration window).

``retention``: ``period`` (renewals, or months for a log), ``observed`` and ``simulated``
(share of the cohort still active; for a log, still seen buying after the month).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.calibration.bgnbd import bgnbd_expected
from sim.calibration.estimation import ModelFit
from sim.calibration.pareto import pareto_expected
from sim.calibration.transactions import TransactionLog
from sim.results.run_result import RunResult

__all__ = [
    "Holdout",
    "repeat_fit_test",
    "repeats_table",
    "seen_buying",
    "simulated_log",
    "tracking_table",
]

_WEEK = pd.Timedelta(days=7)
_DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class Holdout:
    """The forecast at the holdout's last week against what happened.

    Attributes:
        week: the last week.
        forecast: the model's cumulative repeat purchases at that week.
        actual: the observed ones.
        simulated: the simulated world's (NaN without one).
    """

    week: float
    forecast: float
    actual: float
    simulated: float

    @property
    def error(self) -> float:
        """Forecast minus actual."""
        return self.forecast - self.actual

    @property
    def relative(self) -> float:
        """The error as a share of the actual."""
        return self.error / self.actual if self.actual else float("nan")


def _repeat_times(frame: pd.DataFrame, cohort: pd.Index) -> pd.Series:
    """Dates of every repeat purchase of the cohort's customers."""
    mine = frame[frame["customer_id"].isin(cohort)]
    first = mine.groupby("customer_id")["date"].transform("min")
    return mine.loc[mine["date"] > first, "date"]


def tracking_table(
    log: TransactionLog,
    summary: pd.DataFrame,
    fit: ModelFit,
    model: str,
    end: pd.Timestamp,
    simulated: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, Holdout]:
    """Week-by-week cumulative repeat purchases of the calibration cohort (see the module).

    Args:
        log: the observed log (its whole span: calibration and holdout).
        summary: the calibration summary (its customers are the cohort).
        fit: the purchase model's fit.
        model: ``"bg"`` or ``"pareto"``.
        end: the calibration window's end.
        simulated: a simulated log of the same cohort (:func:`simulated_log`), or None.
    """
    start = log.start.normalize()
    weeks = int(np.ceil((log.last.normalize() + _DAY - start) / _WEEK))
    edge_days = 7.0 * np.arange(1, weeks + 1)  # each week's end, in days since the start
    cohort = pd.Index(summary["customer_id"])

    def days(dates: pd.Series) -> np.ndarray:
        return np.sort(((pd.to_datetime(dates) - start) / _DAY).to_numpy(dtype=float))

    counts = np.searchsorted(days(_repeat_times(log.frame, cohort)), edge_days, side="left")
    expect = bgnbd_expected if model == "bg" else pareto_expected
    firsts = ((summary["first"] - start) / _DAY).to_numpy(dtype=float)
    expected = [float(np.sum(expect(fit.params, e - firsts))) for e in edge_days]
    cut = float((end + _DAY - start) / _DAY)
    table = pd.DataFrame(
        {
            "week": np.arange(1, weeks + 1, dtype=float),
            "phase": np.where(edge_days <= cut, "calibration", "holdout"),
            "observed": counts.astype(float),
            "expected": expected,
            "simulated": np.nan,
        }
    )
    if simulated is not None:
        sim_times = _repeat_times(simulated, pd.Index(simulated["customer_id"].unique()))
        table["simulated"] = np.searchsorted(days(sim_times), edge_days).astype(float)
    last = table.iloc[-1]
    holdout = Holdout(
        float(last["week"]),
        float(last["expected"]),
        float(last["observed"]),
        float(last["simulated"]),
    )
    return table, holdout


def simulated_log(result: RunResult, summary: pd.DataFrame, until: pd.Timestamp) -> pd.DataFrame:
    """A simulated world's purchases as a log of the real cohort's calendar.

    Simulated launch-cohort customer ``i`` (in id order) takes real customer ``i``'s first-
    purchase date: a simulated purchase at day ``s`` is dated first + ``s``. Purchases after
    ``until`` are dropped. Needs the run's event log (``output.events: true``).

    Returns:
        Columns ``customer_id``, ``date``, ``amount`` (NaN: the event log keeps no amounts).
    """
    events = result.events
    if events.empty or "event" not in events.columns:
        raise ValueError("the simulated run kept no event log (output.events: true)")
    cohort = result.customers[result.customers["channel"] == "initial"]["customer_id"].sort_values()
    n = min(len(cohort), len(summary))
    first_of = dict(zip(cohort.to_numpy()[:n], summary["first"].to_numpy()[:n], strict=True))
    buys = events[
        events["event"].isin(["first_purchase", "purchase"]) & events["customer_id"].isin(first_of)
    ]
    base = buys["customer_id"].map(first_of)
    dates = pd.to_datetime(base) + pd.to_timedelta(buys["time"].to_numpy(), unit="D")
    out = pd.DataFrame(
        {
            "customer_id": buys["customer_id"].astype(str).to_numpy(),
            "date": dates.to_numpy(),
            "amount": np.nan,
        }
    )
    return out[out["date"] <= until].drop_duplicates(["customer_id", "date"]).reset_index(drop=True)


def repeats_table(observed: pd.Series, simulated: pd.Series | None, top: int = 7) -> pd.DataFrame:
    """Customers by repeat purchases, ``top`` and more pooled in the last row (see the module)."""
    rows = np.arange(top + 1)

    def counts(freq: pd.Series) -> np.ndarray:
        return np.bincount(np.minimum(freq.to_numpy(dtype=int), top), minlength=top + 1)

    return pd.DataFrame(
        {
            "repeat_purchases": rows,
            "observed": counts(observed),
            "simulated": counts(simulated) if simulated is not None else np.full(top + 1, np.nan),
        }
    )


def repeat_fit_test(
    observed: pd.Series, simulated: pd.Series, min_expected: float = 5.0
) -> tuple[float, int, float]:
    """χ² test that two samples of repeat-purchase counts share one distribution.

    The counts form a 2 × K contingency table; cells are kept from 0 upwards while each, and the
    pool of all above it, expects at least ``min_expected`` in both rows, and the rest are
    pooled: the usual condition for the χ² approximation.

    Returns:
        ``(statistic, degrees of freedom, p-value)``.
    """
    top = int(max(observed.max(), simulated.max()))
    a = np.bincount(observed.to_numpy(dtype=int), minlength=top + 1).astype(float)
    b = np.bincount(simulated.to_numpy(dtype=int), minlength=top + 1).astype(float)
    total = a + b
    least = min_expected / min(a.sum(), b.sum()) * (a.sum() + b.sum())  # cell total needed
    k = 0  # cells 0..k-1 stay; k and above are pooled
    while k + 1 < total.size and total[k] >= least and total[k + 1 :].sum() >= least:
        k += 1
    a = np.append(a[:k], a[k:].sum())
    b = np.append(b[:k], b[k:].sum())
    stat, p, dof, _ = stats.chi2_contingency(np.vstack([a, b]), correction=False)
    return float(stat), int(dof), float(p)


def seen_buying(frame: pd.DataFrame, summary: pd.DataFrame, months: int) -> pd.Series:
    """Share of the cohort seen buying again later than ``1..months`` months after joining.

    In a non-contractual business nobody announces leaving; the share who still buy after
    month ``m`` is the observable stand-in for retention that a log allows.
    """
    first = summary.set_index("customer_id")["first"]
    mine = frame[frame["customer_id"].isin(first.index)]
    last = mine.groupby("customer_id")["date"].max().reindex(first.index)
    tenure = (last - first).dt.total_seconds() / (86400.0 * 365.25 / 12)
    shares = [float(np.mean(tenure.to_numpy() > m)) for m in range(1, months + 1)]
    return pd.Series(shares, index=pd.RangeIndex(1, months + 1, name="period"))
