"""Captions: one sentence per figure of the report, reading its finding from the run's numbers.

A figure handed out in class is read in a hurry; the sentence under it says what to see
("Overdrawn trust caused 41 % of churn") so that nobody has to read a chart to learn the
headline. A caption reads the same table as its figure (the derived tables of
:mod:`sim.report.analysis` where the figure draws one), so sentence and picture cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from agents.units import DAYS_PER_MONTH
from sim.report.analysis import (
    CHURN_LABELS,
    churn_reasons,
    cohort_retention,
    cost_lines,
    level_shares,
    prefixed,
    trust_waterfall,
    value_by_segment,
)
from sim.report.renewals import MIN_DUE, drawn, renewals_of
from sim.report.staffing import money_text, staff_words
from sim.results.display import duration_words

if TYPE_CHECKING:
    from sim.results.run_result import RunResult

__all__ = ["CAPTIONS", "fmt_money"]


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
    return text + "." + _salary_sentence(result)


def _salary_sentence(result: RunResult) -> str:
    """The desk's salary over the run (what the waits above were bought with), or nothing."""
    paid = float(result.periods["cost_service_staff"].sum())
    sc = result.manifest.get("scenario") or {}
    try:
        staff = sc["strategy"]["service"]["staff"]
    except (KeyError, TypeError):
        return ""
    if staff is None or not paid:
        return ""
    currency = str((sc.get("economics") or {}).get("currency") or "")
    return (
        f" The desk's {staff_words(float(staff))} cost {money_text(paid, currency)} in "
        "salary over the run."
    )


def _rate(share: float) -> str:
    return f"{100.0 * share:.1f} %"


def caption_renewals(result: RunResult) -> str:
    """The renewal rate at the first and the last drawn renewal, and what sBG expects."""
    table = renewals_of(result)
    if table is None:
        return "This run has no contract renewals."
    shown = drawn(table)
    if shown.empty:
        return f"No renewal in this run had {MIN_DUE} or more customers due."
    first, last = shown.iloc[0], shown.iloc[-1]
    text = (
        f"At the first renewal, {_rate(float(first['rate']))} of the "
        f"{int(first['due']):,} customers due renewed"
    )
    if len(shown) > 1:
        text += (
            f"; at renewal {int(last['renewal'])} ({duration_words(float(last['day']))} "
            f"after joining), {_rate(float(last['rate']))} of {int(last['due']):,} renewed."
        )
        if float(last["low"]) > float(first["high"]):
            text += (
                " The rate rises with tenure: the customers most likely to cancel leave "
                "first, so those who stay are steadier."
            )
        elif float(last["high"]) < float(first["low"]):
            text += " The rate falls with tenure."
        else:
            text += " With this many customers, the two rates cannot be told apart."
        if np.isfinite([first["sbg"], last["sbg"]]).all():
            text += (
                " The sBG model alone, without customer behaviour, expects "
                f"{_rate(float(first['sbg']))} and {_rate(float(last['sbg']))}."
            )
    else:
        text += "."
    won = int((result.customers["won_back"] > 0).sum())
    if won:
        text += f" {won:,} customers who were won back are left out."
    return text


def caption_value(result: RunResult) -> str:
    """Which segment brings the largest share of revenue, against its share of customers."""
    table = value_by_segment(result.customers)
    if table.empty or not np.isfinite(table["revenue_share"]).any():
        return "No revenue in this run."
    top = str(table["revenue_share"].idxmax())
    cols = ["customers_share", "revenue_share", "margin_share"]
    customers, revenue, margin = 100.0 * table.loc[top, cols].to_numpy(dtype=float)
    return (
        f"The {top} segment is {customers:.0f} % of the customers ever acquired and brought "
        f"{revenue:.0f} % of revenue ({margin:.0f} % of gross margin)."
    )


#: One caption function per figure key of :data:`sim.report.plots.FIGURES` and of the
#: lesson figures (:data:`sim.report.lesson_figures.RUN_FIGURES`).
CAPTIONS: dict[str, Callable[[RunResult], str]] = {
    "retention": caption_retention,
    "renewals": caption_renewals,
    "flows": caption_flows,
    "economics": caption_economics,
    "value": caption_value,
    "satisfaction": caption_satisfaction,
    "ladder": caption_ladder,
    "lifecycle": caption_lifecycle,
    "trust": caption_trust,
    "churn": caption_churn,
    "service": caption_service,
}
