"""The live views of a run so far: one tidy table per dashboard chart.

Each view is a long ("tidy") table, one observation a row, so a chart maps columns to axes
and colours without reshaping, and a test can check a view against the tables it was cut
from: the flows and the money against the periods table, the waterfall against the ledger.
Names in the tables are the code's own (``Reason``, ``ChurnReason``, ``Level`` and money
line names), so a page labels them from the catalogue (``f"reason.{name}"``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from agents.economics import COST_LINES
from agents.emotional_account import DEPOSITS, Reason
from agents.rules import ChurnReason
from agents.traits import Level

__all__ = ["BALANCE_BINS", "LEVEL_NAMES", "Views", "build_views", "plain_strings", "profit_view"]

#: Bins of the trust-balance histogram.
BALANCE_BINS = 20

#: Level names, lowest first (``agents.traits.Level``).
LEVEL_NAMES = tuple(lv.name for lv in Level)

_FLOWS = (
    "period", "start", "end", "active", "new", "new_paid", "new_referral", "new_bass",
    "churned", "won_back", "acquired_total", "churned_total", "won_back_total",
)  # fmt: skip
_SERVICE = (
    "period", "tickets", "wait_mean", "wait_p90", "waits_over_promise", "utilisation",
    "complaints", "complaints_resolved", "am_utilisation",
)  # fmt: skip


@dataclass(frozen=True)
class Views:
    """Every live view of a run after its latest period close.

    Attributes:
        flows: customers in and out, one row per period: ``period``, ``start`` and ``end``
            (days), ``active`` at the end, ``new`` acquired (``new_paid``,
            ``new_referral``, ``new_bass`` by channel; the launch cohort counts in period
            0's ``new`` only), ``churned``, ``won_back``, and the running totals
            ``acquired_total``, ``churned_total``, ``won_back_total``
            (acquired_total = active + churned_total − won_back_total at every end).
        cohorts: retention by acquisition cohort, one row per cohort and period close:
            ``cohort`` (period acquired), ``age`` (periods since), ``period`` (of the
            close), ``customers`` (the cohort's size), ``active`` (of them, active at the
            close) and ``share_active`` = active / customers.
        profit: money per period: ``period``, ``revenue``, one ``cost_<line>`` column per
            cost line (``agents.economics.COST_LINES``), ``costs``, ``profit``,
            ``cumulative_profit`` (summed in cents, exact), ``discounted_profit`` and
            ``cumulative_discounted_profit`` (the run's discount rate, mid-period).
        balance: histogram of the trust (emotional-account) balance of the customers
            active at the latest close: ``bin_left``, ``bin_right`` (trust points; the
            last bin includes its right edge), ``count``; :data:`BALANCE_BINS` equal bins
            over the balances' range (none before the first close).
        ladder: relationship levels of the active customers, one row per period and level:
            ``period``, ``level`` (name), ``count``, ``share`` (of the active; NaN when
            nobody is active).
        churn_reasons: churns so far by reason: ``reason`` (``ChurnReason`` name, every
            reason in order), ``count``, ``share`` (of all churns; NaN before the first).
        service: the desk per period: ``period``, ``tickets``, ``wait_mean`` and
            ``wait_p90`` (days; NaN without tickets), ``waits_over_promise``,
            ``utilisation``, ``complaints``, ``complaints_resolved``, ``am_utilisation``.
        waterfall: the trust ledger so far by reason: ``reason`` (``Reason`` name, every
            reason in order: deposits first), ``kind`` (``"deposit"`` or
            ``"withdrawal"``), ``count`` of entries and ``amount`` (signed sum: deposits
            > 0, withdrawals < 0).
    """

    flows: pd.DataFrame
    cohorts: pd.DataFrame
    profit: pd.DataFrame
    balance: pd.DataFrame
    ladder: pd.DataFrame
    churn_reasons: pd.DataFrame
    service: pd.DataFrame
    waterfall: pd.DataFrame


def build_views(
    periods: pd.DataFrame,
    cohorts: pd.DataFrame,
    balances: np.ndarray,
    totals: dict[str, np.ndarray],
) -> Views:
    """The views from the periods table, the cohort rows, the balances and ledger totals.

    Args:
        periods: the periods table so far.
        cohorts: the cohort rows recorded at each close (columns of :attr:`Views.cohorts`).
        balances: trust balances of the customers active at the latest close.
        totals: ledger totals per period and reason (``period, reason, count, amount``).
    """
    views = {
        "flows": periods[list(_FLOWS)].reset_index(drop=True),
        "cohorts": _cohorts(cohorts),
        "profit": profit_view(periods),
        "balance": _balance(balances),
        "ladder": _ladder(periods),
        "churn_reasons": _churn_reasons(periods),
        "service": periods[list(_SERVICE)].reset_index(drop=True),
        "waterfall": _waterfall(totals),
    }
    return Views(**{name: plain_strings(frame) for name, frame in views.items()})


def plain_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text columns as plain Python objects (None stays None).

    The run's own tables hold names so (:func:`sim.results.run_result.conform`); pandas
    would otherwise infer its string type, and a view would not compare equal to them.
    """
    for name in frame.columns:
        if pd.api.types.is_string_dtype(frame[name]) and frame[name].dtype != object:
            frame[name] = frame[name].astype(object)
    return frame


def profit_view(periods: pd.DataFrame) -> pd.DataFrame:
    """The profit view (:attr:`Views.profit`) of a periods table."""
    cents = np.rint(periods["profit"].to_numpy(float) * 100.0).astype(np.int64)
    out = periods[["period", "revenue", *(f"cost_{k}" for k in COST_LINES), "costs", "profit"]]
    out = out.reset_index(drop=True)
    out["cumulative_profit"] = np.cumsum(cents) / 100.0
    out["discounted_profit"] = periods["discounted_profit"].to_numpy(float)
    out["cumulative_discounted_profit"] = periods["cum_discounted_profit"].to_numpy(float)
    return out


def _cohorts(rows: pd.DataFrame) -> pd.DataFrame:
    names = ["cohort", "age", "period", "customers", "active", "share_active"]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype=float if c == "share_active" else np.int64)
                             for c in names})  # fmt: skip
    return rows[names].sort_values(["cohort", "age"], ignore_index=True)


def _balance(balances: np.ndarray) -> pd.DataFrame:
    if balances.size == 0:
        return pd.DataFrame({"bin_left": pd.Series(dtype=float),
                             "bin_right": pd.Series(dtype=float),
                             "count": pd.Series(dtype=np.int64)})  # fmt: skip
    counts, edges = np.histogram(balances, bins=BALANCE_BINS)
    return pd.DataFrame(
        {"bin_left": edges[:-1], "bin_right": edges[1:], "count": counts.astype(np.int64)}
    )


def _ladder(periods: pd.DataFrame) -> pd.DataFrame:
    active = periods["active"].to_numpy(float)
    parts = []
    for name in LEVEL_NAMES:
        count = periods[f"level_{name}"].to_numpy(np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(active > 0, count / np.where(active > 0, active, 1.0), np.nan)
        parts.append(
            pd.DataFrame(
                {
                    "period": periods["period"].to_numpy(np.int64),
                    "level": name,
                    "count": count,
                    "share": share,
                }
            )
        )
    return pd.concat(parts).sort_values(["period"], kind="stable", ignore_index=True)


def _churn_reasons(periods: pd.DataFrame) -> pd.DataFrame:
    names = [r.name for r in ChurnReason]
    count = np.array([int(periods[f"churned_{n}"].sum()) for n in names], dtype=np.int64)
    total = count.sum()
    share = count / total if total else np.full(count.size, np.nan)
    return pd.DataFrame({"reason": names, "count": count, "share": share})


def _waterfall(totals: dict[str, np.ndarray]) -> pd.DataFrame:
    reasons = sorted(Reason, key=lambda r: (r not in DEPOSITS, int(r)))
    code = np.asarray(totals["reason"], dtype=np.int64)
    count = np.zeros(len(Reason), dtype=np.int64)
    amount = np.zeros(len(Reason))
    # Cell by cell in period order, the order the run's own totals are read in.
    np.add.at(count, code, np.asarray(totals["count"], dtype=np.int64))
    np.add.at(amount, code, np.asarray(totals["amount"], dtype=float))
    return pd.DataFrame(
        {
            "reason": [r.name for r in reasons],
            "kind": ["deposit" if r in DEPOSITS else "withdrawal" for r in reasons],
            "count": np.array([count[r] for r in reasons], dtype=np.int64),
            "amount": np.array([amount[r] for r in reasons], dtype=float),
        }
    )
