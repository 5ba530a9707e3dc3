"""Derived tables behind the report's figures: small, pure functions of the result tables.

A trainer reads a figure; a test reads the table it was drawn from. Every function here
takes plain DataFrames (the documented tables of :mod:`sim.results.schema`, or hand-made ones with
the same columns) and returns a new DataFrame, so each figure's numbers can be checked
against a hand computation and against the run's own totals.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from agents.units import DAYS_PER_MONTH, DAYS_PER_YEAR

__all__ = [
    "CHURN_LABELS",
    "DAYS_PER_QUARTER",
    "churn_reasons",
    "churned_examples",
    "cohort_label",
    "cohort_retention",
    "cost_lines",
    "level_shares",
    "prefixed",
    "trust_waterfall",
    "value_by_segment",
]

#: Length of an acquisition cohort: one calendar quarter, in days.
DAYS_PER_QUARTER: float = DAYS_PER_YEAR / 4.0

#: Plain-language names of the churn reasons recorded in ``customers.churn_reason``.
CHURN_LABELS: dict[str, str] = {
    "baseline": "baseline drift",
    "dissatisfaction": "dissatisfaction",
    "overdrawn": "overdrawn trust",
    "price": "price",
    "neglect": "neglect",
    "fired": "firing by the firm",
}

# Tolerance for "observed long enough": period ends are sums of floats.
_EPS = 1e-9


def cohort_label(cohort: int) -> str:
    """Readable name of a 0-based acquisition quarter, e.g. ``0`` → ``"y1 Q1"``."""
    return f"y{cohort // 4 + 1} Q{cohort % 4 + 1}"


def cohort_retention(
    customers: pd.DataFrame,
    end_day: float,
    *,
    cohort_days: float = DAYS_PER_QUARTER,
    month_days: float = DAYS_PER_MONTH,
) -> pd.DataFrame:
    """Share of each acquisition cohort still active, by whole months since acquisition.

    A cohort is the customers acquired in the same quarter (``floor(acquired /
    cohort_days)``). A customer counts at month ``m`` only once the run has observed them
    for ``m`` months (``acquired + m·month_days ≤ end_day``), so late joiners never look
    like churners; they are *retained* at ``m`` when they have not churned before then
    (``churned`` is NaN or at or after ``acquired + m·month_days``: an event at exactly that
    day belongs to the next period, as in the ``retention_*`` KPIs). ``churned`` holds the
    last churn, so a won-back customer who is active at the end counts as retained (the
    KPIs, which have the run's churn and win-back logs, count them as they stood then).

    Args:
        customers: the customers table (needs ``acquired`` and ``churned``).
        end_day: last observed day (the run's horizon).
        cohort_days: cohort width in days (a quarter by default).
        month_days: length of a month in days.

    Returns:
        One row per cohort and month with columns ``cohort`` (0-based quarter), ``label``,
        ``size`` (customers in the cohort), ``months``, ``observed`` (customers observed that
        long), ``retained`` and ``share`` (= retained / observed). Months run from 0 to the
        longest any member was observed. Empty (same columns) without customers.
    """
    cols = ["cohort", "label", "size", "months", "observed", "retained", "share"]
    if customers.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols})
    acquired = customers["acquired"].to_numpy(dtype=float)
    churned = customers["churned"].to_numpy(dtype=float)
    quarter = np.floor(acquired / cohort_days + _EPS).astype(np.int64)
    rows: list[tuple[int, str, int, int, int, int, float]] = []
    for q in np.unique(quarter):
        members = quarter == q
        acq = acquired[members]
        chu = churned[members]
        longest = math.floor(float(end_day - acq.min()) / month_days + _EPS)
        for m in range(max(longest, 0) + 1):
            at = acq + m * month_days
            seen = at <= end_day + _EPS
            kept = seen & (np.isnan(chu) | (chu >= at))
            n_seen = int(seen.sum())
            n_kept = int(kept.sum())
            share = n_kept / n_seen if n_seen else float("nan")
            rows.append(
                (int(q), cohort_label(int(q)), int(members.sum()), m, n_seen, n_kept, share)
            )
    return pd.DataFrame(rows, columns=cols)


def prefixed(periods: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """The ``prefix``-named columns of ``periods`` with the prefix stripped, indexed by period.

    ``prefixed(periods, "level_")`` gives one column per relationship level,
    ``prefixed(periods, "stage_")`` one per lifecycle stage.
    """
    picked = [c for c in periods.columns if str(c).startswith(prefix)]
    out = periods[picked].copy()
    out.columns = pd.Index([str(c)[len(prefix) :] for c in picked])
    out.index = pd.Index(periods["period"].to_numpy(), name="period")
    return out


def cost_lines(periods: pd.DataFrame, *, drop_zero: bool = True) -> pd.DataFrame:
    """Each cost line per period (``cost_*`` columns, prefix stripped), indexed by period.

    Args:
        periods: the periods table.
        drop_zero: leave out lines that are zero in every period (levers not in use).

    Returns:
        One column per cost line, in schema order; the row sums equal ``periods.costs``
        (up to the dropped all-zero lines, which add nothing).
    """
    lines = prefixed(periods, "cost_")
    if drop_zero:
        lines = lines.loc[:, (lines != 0).any(axis=0)]
    return lines


def level_shares(periods: pd.DataFrame) -> pd.DataFrame:
    """Share of active customers on each relationship-ladder level, per period.

    Returns:
        One column per level (lowest first), indexed by period; each row sums to 1
        (rows with no active customer are all NaN).
    """
    counts = prefixed(periods, "level_").astype(float)
    total = counts.sum(axis=1)
    return counts.div(total.where(total > 0), axis=0)


def trust_waterfall(ledger: pd.DataFrame) -> pd.DataFrame:
    """Emotional-account totals by reason, ordered as a waterfall.

    Works on the full ledger and on the per-period aggregate alike (both have ``reason``,
    ``kind`` and signed ``amount``). Deposits come first, largest first; withdrawals follow,
    largest first; each bar starts where the previous one ended, so the last ``end`` is the
    net change of all accounts.

    Returns:
        Columns ``reason``, ``kind``, ``amount`` (signed total), ``start`` and ``end``
        (running total before and after the bar). Empty (same columns) for an empty ledger.
    """
    cols = ["reason", "kind", "amount", "start", "end"]
    if ledger.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols})
    totals = ledger.groupby(["reason", "kind"], sort=False)["amount"].sum().reset_index()
    totals["is_deposit"] = totals["kind"] == "deposit"
    totals["size"] = totals["amount"].abs()
    totals = totals.sort_values(
        ["is_deposit", "size", "reason"], ascending=[False, False, True], kind="stable"
    )
    end = totals["amount"].cumsum()
    out = pd.DataFrame(
        {
            "reason": totals["reason"].astype(str).to_numpy(),
            "kind": totals["kind"].astype(str).to_numpy(),
            "amount": totals["amount"].to_numpy(dtype=float),
            "start": (end - totals["amount"]).to_numpy(dtype=float),
            "end": end.to_numpy(dtype=float),
        }
    )
    return out.reset_index(drop=True)


def churn_reasons(customers: pd.DataFrame) -> pd.DataFrame:
    """Churned customers by reason and segment (from each customer's last churn).

    Returns:
        Indexed by reason (most frequent first, ties by name), one count column per segment
        (in order of first appearance), then ``total`` and ``share`` (of all churned
        customers). Empty (columns ``total`` and ``share``) when nobody churned.
    """
    gone = customers[customers["churn_reason"].astype(str) != ""]
    if gone.empty:
        empty = pd.DataFrame({"total": pd.Series(dtype="int64"), "share": pd.Series(dtype=float)})
        empty.index.name = "reason"
        return empty
    segments = list(dict.fromkeys(customers["segment"].astype(str)))
    table = pd.crosstab(gone["churn_reason"].astype(str), gone["segment"].astype(str))
    table = table.reindex(columns=segments, fill_value=0).astype("int64")
    table["total"] = table.sum(axis=1)
    table = table.assign(_name=table.index).sort_values(
        ["total", "_name"], ascending=[False, True], kind="stable"
    )
    table = table.drop(columns="_name")
    table["share"] = table["total"] / float(table["total"].sum())
    table.index.name = "reason"
    table.columns.name = None
    return table


def churned_examples(
    customers: pd.DataFrame, ledger: pd.DataFrame, n: int = 2, *, target_entries: int = 8
) -> list[int]:
    """Churned customers whose ledger tells a readable story, one per top churn reason.

    For each of the ``n`` most frequent churn reasons, picks the churned customer with that
    reason whose number of ledger entries is closest to ``target_entries`` (at least one
    entry; ties go to the lowest id), so the story fits a small table.

    Args:
        customers: the customers table.
        ledger: the full ledger (with ``customer_id``); an aggregate ledger gives ``[]``.
        n: how many stories at most.
        target_entries: preferred story length.

    Returns:
        Customer ids, most frequent reason first; fewer than ``n`` when reasons or stories
        run out.
    """
    if "customer_id" not in ledger.columns or ledger.empty:
        return []
    reasons = churn_reasons(customers)
    entries = ledger.groupby("customer_id").size()
    picked: list[int] = []
    for reason in list(reasons.index)[:n]:
        ids = customers.loc[customers["churn_reason"].astype(str) == reason, "customer_id"]
        counts = entries.reindex(ids.to_numpy()).dropna()
        counts = counts[counts > 0]
        if counts.empty:
            continue
        ranked = pd.DataFrame(
            {"id": counts.index.to_numpy(), "gap": (counts - target_entries).abs().to_numpy()}
        ).sort_values(["gap", "id"], kind="stable")
        picked.append(int(ranked["id"].iloc[0]))
    return picked


def value_by_segment(customers: pd.DataFrame) -> pd.DataFrame:
    """Each segment's customers ever acquired, revenue and gross margin, and their shares.

    Args:
        customers: the customers table (``segment``, ``revenue``, ``margin``).

    Returns:
        Indexed by segment in the order customers first appear; columns ``customers``,
        ``revenue``, ``margin`` and a ``*_share`` of the whole run for each (NaN shares when
        the whole is zero). Empty without customers.
    """
    if customers.empty:
        return pd.DataFrame()
    order = list(dict.fromkeys(customers["segment"].astype(str)))
    grouped = customers.assign(segment=customers["segment"].astype(str)).groupby("segment")
    table = pd.DataFrame(
        {
            "customers": grouped.size(),
            "revenue": grouped["revenue"].sum(),
            "margin": grouped["margin"].sum(),
        }
    ).reindex(order)
    for col in ("customers", "revenue", "margin"):
        total = float(table[col].sum())
        table[f"{col}_share"] = table[col] / total if total else np.nan
    return table
