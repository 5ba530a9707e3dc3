"""Derived tables behind the report's figures: small, pure functions of the result tables.

A trainer reads a figure; a test reads the table it was drawn from. Every function here
takes plain DataFrames (the documented tables of :mod:`sim.results.schema`, or hand-made ones with
the same columns) and returns a new DataFrame, so each figure's numbers can be checked
against a hand computation and against the run's own totals.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from agents.units import DAYS_PER_MONTH, DAYS_PER_YEAR

if TYPE_CHECKING:
    from sim.results.run_result import RunResult

__all__ = [
    "CAPTIONS",
    "CHURN_LABELS",
    "DAYS_PER_QUARTER",
    "churn_reasons",
    "churned_examples",
    "cohort_label",
    "cohort_retention",
    "cost_lines",
    "fmt_money",
    "level_shares",
    "prefixed",
    "trust_waterfall",
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
    like churners; they are *retained* at ``m`` when they have not churned by then
    (``churned`` is NaN or later than ``acquired + m·month_days``). ``churned`` holds the
    last churn, so a won-back customer who is active at the end counts as retained.

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
            kept = seen & (np.isnan(chu) | (chu > at))
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


# ============================================================================ captions
# One sentence per figure, reading the finding from the run's own numbers.


def fmt_money(value: float) -> str:
    """Money with thousands separators and no cents (``-606795.2`` → ``"-606,795"``)."""
    return f"{value:,.0f}"


def _pct(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.0f} %" if whole else "n/a"


def _nice(name: str) -> str:
    return name.replace("_", " ")


def caption_retention(result: RunResult) -> str:
    """The first cohort's retention at (up to) 12 months, and later cohorts at that age."""
    end = float(result.periods["end"].max()) if len(result.periods) else 0.0
    table = cohort_retention(result.customers, end)
    table = table[table["observed"] * 2 >= table["size"]]
    if table.empty:
        return "No customer was acquired in this run."
    first = table[table["cohort"] == table["cohort"].min()]
    age = int(min(12, int(first["months"].max())))
    row = first[first["months"] == age].iloc[0]
    text = (
        f"Of the {int(row['size'])} customers acquired in {row['label']}, "
        f"{100.0 * float(row['share']):.0f} % were still active {age} months after acquisition"
    )
    later = table[(table["cohort"] != row["cohort"]) & (table["months"] == age)]
    if len(later):
        lo, hi = 100.0 * later["share"].min(), 100.0 * later["share"].max()
        span = f"{lo:.0f} %" if round(lo) == round(hi) else f"{lo:.0f}–{hi:.0f} %"
        text += f"; later cohorts at the same age: {span}"
    return text + "."


def caption_flows(result: RunResult) -> str:
    """Active customers from first to last period and the flows in between."""
    p = result.periods
    months = float(p["end"].iloc[-1]) / DAYS_PER_MONTH
    return (
        f"Active customers went from {int(p['active'].iloc[0]):,} at the end of the first "
        f"period to {int(p['active'].iloc[-1]):,} after {months:.0f} months: "
        f"{int(p['new'].sum()):,} acquired, {int(p['churned'].sum()):,} churned and "
        f"{int(p['won_back'].sum()):,} won back."
    )


def caption_economics(result: RunResult) -> str:
    """Revenue, costs, profit, the largest cost line and the final NPV."""
    p = result.periods
    lines = cost_lines(p).sum()
    costs = float(p["costs"].sum())
    text = (
        f"Revenue of {fmt_money(float(p['revenue'].sum()))} against costs of "
        f"{fmt_money(costs)} left a profit of {fmt_money(float(p['profit'].sum()))}"
    )
    if len(lines) and costs:
        top = str(lines.idxmax())
        text += f"; the largest cost line was {_nice(top)} ({_pct(float(lines[top]), costs)})"
    npv = float(p["cum_discounted_profit"].iloc[-1])
    return text + f", and discounted profit (NPV) ended at {fmt_money(npv)}."


def caption_satisfaction(result: RunResult) -> str:
    """Median satisfaction from first to last period and the overdrawn share at the end."""
    p = result.periods
    active = int(p["active"].iloc[-1])
    over = int(p["overdrawn"].iloc[-1])
    return (
        f"Median satisfaction went from {float(p['satisfaction_p50'].iloc[0]):.2f} to "
        f"{float(p['satisfaction_p50'].iloc[-1]):.2f}; at the end {over:,} of {active:,} "
        f"active customers ({_pct(over, active)}) had an overdrawn trust account."
    )


def caption_ladder(result: RunResult) -> str:
    """Shares on the lowest and highest rung at the end, and the lowest rung's change."""
    shares = level_shares(result.periods)
    if shares.empty or shares.iloc[-1].isna().all():
        return "No active customer at the end of the run."
    low, high = str(shares.columns[0]), str(shares.columns[-1])
    first, last = shares.iloc[0], shares.iloc[-1]
    return (
        f"At the end, {100.0 * float(last[low]):.0f} % of active customers were {low} "
        f"(from {100.0 * float(first[low]):.0f} % in the first period) and "
        f"{100.0 * float(last[high]):.0f} % had reached the {high} level."
    )


def caption_lifecycle(result: RunResult) -> str:
    """Customers at risk and advocates at the end."""
    stages = prefixed(result.periods, "stage_").iloc[-1]
    total = float(stages.sum())
    at_risk = int(stages.get("at_risk", 0))
    advocacy = int(stages.get("advocacy", 0))
    return (
        f"At the end, {at_risk:,} customers ({_pct(at_risk, total)}) were at risk and "
        f"{advocacy:,} ({_pct(advocacy, total)}) were advocates."
    )


def caption_trust(result: RunResult) -> str:
    """Total deposits and withdrawals and the largest withdrawal reason."""
    table = trust_waterfall(result.ledger)
    if table.empty:
        return "No trust was deposited or withdrawn in this run."
    dep = float(table.loc[table["kind"] == "deposit", "amount"].sum())
    wdr_rows = table[table["kind"] != "deposit"]
    wdr = float(wdr_rows["amount"].sum())
    text = f"Deposits added {dep:,.0f} trust points and withdrawals took {-wdr:,.0f}"
    if len(wdr_rows):
        top = wdr_rows.iloc[0]
        text += (
            f"; the largest withdrawal was {_nice(str(top['reason']))} "
            f"({-float(top['amount']):,.0f} points, {_pct(float(top['amount']), wdr)} of all "
            "withdrawals)"
        )
    return text + f", for a net change of {float(table['end'].iloc[-1]):+,.0f}."


def caption_churn(result: RunResult) -> str:
    """The leading churn reason and its share, e.g. "Overdrawn trust caused 41 % of churn"."""
    table = churn_reasons(result.customers)
    if table.empty:
        return "No customer churned in this run."
    reason = str(table.index[0])
    label = CHURN_LABELS.get(reason, _nice(reason))
    total = int(table["total"].sum())
    n = int(table["total"].iloc[0])
    return (
        f"{label[0].upper()}{label[1:]} caused {100.0 * float(table['share'].iloc[0]):.0f} % "
        f"of churn ({n:,} of {total:,} churned customers)."
    )


def caption_service(result: RunResult) -> str:
    """Ticket-weighted mean wait against the promise, late tickets and utilisation."""
    p = result.periods
    tickets = p["tickets"].to_numpy(dtype=float)
    n = float(tickets.sum())
    if not n:
        return "No service ticket was raised in this run."
    waits = p["wait_mean"].fillna(0.0).to_numpy(dtype=float)
    mean_h = 24.0 * float((waits * tickets).sum()) / n
    late = int(p["waits_over_promise"].sum())
    text = f"Tickets waited {mean_h:.1f} h on average"
    try:
        promise = float(result.manifest["scenario"]["strategy"]["service"]["promise"])
        text += f" against a promise of {24.0 * promise:g} h"
    except (KeyError, TypeError, ValueError):
        pass
    text += f"; {late:,} of {int(n):,} tickets ({_pct(late, n)}) waited longer"
    util = p["utilisation"].to_numpy(dtype=float)
    if np.isfinite(util).any():
        text += f", and service staff were busy {100.0 * float(np.nanmean(util)):.0f} % of the time"
    return text + "."


#: One caption function per figure key of :data:`sim.report.plots.FIGURES`.
CAPTIONS: dict[str, Callable[[RunResult], str]] = {
    "retention": caption_retention,
    "flows": caption_flows,
    "economics": caption_economics,
    "satisfaction": caption_satisfaction,
    "ladder": caption_ladder,
    "lifecycle": caption_lifecycle,
    "trust": caption_trust,
    "churn": caption_churn,
    "service": caption_service,
}
