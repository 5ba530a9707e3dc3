"""Headline KPIs and table assembly shared by every engine.

Engines differ in *when* rules fire, never in what is measured: both hand their raw state
to the functions here, which build the documented tables and the summary. What each KPI
means (label, unit, which way is better) is said once, in :mod:`sim.results.catalogue`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from agents.emotional_account import DEPOSITS
from agents.rules import ChurnReason
from agents.traits import Level
from sim.results.catalogue import RETENTION_MONTHS
from sim.results.schema import columns

__all__ = ["churn_truth", "summarise"]


def churn_truth(
    warnings: list[tuple[float, int, float]],
    churn_log: list[tuple[float, int]],
    window: float,
) -> pd.DataFrame:
    """Early-warning flags with whether the customer really churned within ``window`` days."""
    times: dict[int, list[float]] = {}
    for t, cid in churn_log:
        times.setdefault(cid, []).append(t)
    rows = []
    for t, cid, score in warnings:
        hit = any(t < tc <= t + window for tc in times.get(cid, ()))
        rows.append((t, cid, score, hit))
    frame = pd.DataFrame(rows, columns=columns("warnings"))
    return frame.astype({"time": "float64", "customer_id": "int64", "score": "float64",
                         "churned_within_window": "bool"})  # fmt: skip


def _count_before(ids: np.ndarray, log: list[tuple[float, int]], t: float) -> np.ndarray:
    """How often each of the customers ``ids`` (sorted) is in ``log`` (day, id) before day ``t``."""
    if not log:
        return np.zeros(ids.size, dtype=np.int64)
    times, who = (np.asarray(x) for x in zip(*log, strict=True))
    who = who[times < t].astype(np.int64)
    pos = np.minimum(np.searchsorted(ids, who), max(ids.size - 1, 0))
    mine = ids[pos] == who
    return np.bincount(pos[mine], minlength=ids.size)


def _retention_at(
    customers: pd.DataFrame,
    churn_log: list[tuple[float, int]],
    winback_log: list[tuple[float, int]],
    months: int,
    horizon: float,
) -> float:
    """Share of the day-0 cohort active ``months`` months in (NaN beyond the horizon).

    Active at day t means active once every event *before* t has happened: an event at
    exactly t (a renewal on the month) belongs to the period that starts at t, as in the
    periods table, so the value is the same whether the run stops at t or goes on. The
    state at t is rebuilt from the churn and win-back logs, not from the state at the end
    of the run, so a customer who lapsed before t and came back later is not retained.
    """
    ids = np.sort(customers.loc[customers["channel"] == "initial", "customer_id"].to_numpy())
    t = months * 365.25 / 12.0
    if ids.size == 0 or horizon < t - 1e-9:
        return float("nan")
    left = _count_before(ids, churn_log, t)
    back = _count_before(ids, winback_log, t)
    return float(np.mean(left == back))


def summarise(
    periods: pd.DataFrame,
    customers: pd.DataFrame,
    ledger_totals: pd.DataFrame,
    warnings: pd.DataFrame,
    churn_log: list[tuple[float, int]],
    window: float,
    horizon: float,
    winback_log: list[tuple[float, int]],
) -> pd.DataFrame:
    """Headline KPIs, one row per KPI of :data:`sim.results.catalogue.KPIS`, in its order.

    Args:
        periods: the periods table.
        customers: the customers table.
        ledger_totals: emotional-account totals by ``reason`` (an ``amount`` column).
        warnings: the early-warning flags with their truth (:func:`churn_truth`).
        churn_log: every churn as (day, customer id).
        window: the early-warning window, days.
        horizon: the run's horizon, days.
        winback_log: every win-back as (day, customer id).

    Returns:
        The ``summary`` table: a ``metric`` and a ``value`` column.
    """
    k: dict[str, float] = {}
    k["customers_acquired"] = float(len(customers))
    k["active_end"] = float(periods["active"].iloc[-1])
    for m in RETENTION_MONTHS:
        k[f"retention_{m}m"] = _retention_at(customers, churn_log, winback_log, m, horizon)
    k["revenue"] = float(periods["revenue"].sum())
    k["costs"] = float(periods["costs"].sum())
    k["profit"] = float(periods["profit"].sum())
    k["discounted_profit"] = float(periods["discounted_profit"].sum())
    k["mean_clv"] = float(customers["clv"].mean()) if len(customers) else float("nan")
    purchases = float(periods["purchases"].sum())
    k["complaint_rate"] = float(periods["complaints"].sum()) / purchases if purchases else 0.0
    comp = float(periods["complaints"].sum())
    k["recovery_rate"] = (
        float(periods["complaints_resolved"].sum()) / comp if comp else float("nan")
    )
    tickets = periods["tickets"].to_numpy(dtype=float)
    waits = periods["wait_mean"].to_numpy(dtype=float)
    ok = tickets > 0
    k["mean_wait"] = float(np.average(waits[ok], weights=tickets[ok])) if ok.any() else 0.0
    util = periods["utilisation"].to_numpy(dtype=float)
    k["utilisation"] = float(np.nanmean(util)) if np.isfinite(util).any() else float("nan")
    last = periods.iloc[-1]
    active = float(last["active"])
    for lv in Level:
        share = float(last[f"level_{lv.name}"]) / active if active else float("nan")
        k[f"share_{lv.name}"] = share
    k["satisfaction_end"] = float(last["satisfaction_mean"])
    k["balance_end"] = float(last["balance_mean"])
    churned = float(periods["churned"].sum())
    for r in ChurnReason:
        n = float(periods[f"churned_{r.name}"].sum())
        k[f"churn_share_{r.name}"] = n / churned if churned else 0.0
    k["referrals"] = float(periods["referrals"].sum())
    k["won_back"] = float(periods["won_back"].sum())
    # Early warning precision / recall against the known truth.
    if len(warnings):
        k["warning_precision"] = float(warnings["churned_within_window"].mean())
        flagged: dict[int, list[float]] = {}
        for t, cid in zip(warnings["time"], warnings["customer_id"], strict=True):
            flagged.setdefault(int(cid), []).append(float(t))
        eligible = [(t, c) for t, c in churn_log if t <= horizon]
        caught = sum(1 for t, c in eligible if any(t - window <= f < t for f in flagged.get(c, ())))
        k["warning_recall"] = caught / len(eligible) if eligible else float("nan")
    else:
        k["warning_precision"] = float("nan")
        k["warning_recall"] = float("nan")
    dep = ledger_totals[ledger_totals["reason"].isin([r.name for r in DEPOSITS])]["amount"].sum()
    wdr = ledger_totals[~ledger_totals["reason"].isin([r.name for r in DEPOSITS])]["amount"].sum()
    k["trust_deposits"] = float(dep)
    k["trust_withdrawals"] = float(wdr)
    return pd.DataFrame({"metric": list(k), "value": list(k.values())}).astype(
        {"metric": "object", "value": "float64"}
    )
