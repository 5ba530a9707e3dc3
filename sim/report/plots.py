"""The report's figures: one function per figure, each returning a matplotlib ``Figure``.

Figures are built as :class:`matplotlib.figure.Figure` objects, never through ``pyplot``,
so no global state is touched and nothing depends on a display: a caller saves them
(``fig.savefig``) or shows them in a notebook. Every figure is meant to survive a
black-and-white photocopy handed out in class, so its series take their colour, line style,
marker and hatch from :mod:`sim.report.palette`.

Each title names what is plotted and its unit; the numbers behind a figure come from the
pure functions of :mod:`sim.report.analysis`, which the tests check by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from sim.report.analysis import (
    cohort_retention,
    cost_lines,
    level_shares,
    prefixed,
    trust_waterfall,
)
from sim.report.breakdowns import plot_churn_reasons, plot_service, plot_value
from sim.report.canvas import TALL, WIDE, months, new_figure, no_data, shade_promotions, thousands
from sim.report.palette import COLOURS, HATCHES, percentile_band, series_style, stacked_areas

if TYPE_CHECKING:
    from sim.results.run_result import RunResult

__all__ = [
    "FIGURES",
    "plot_churn_reasons",
    "plot_economics",
    "plot_flows",
    "plot_ladder",
    "plot_lifecycle",
    "plot_retention",
    "plot_satisfaction",
    "plot_service",
    "plot_trust",
    "plot_value",
]


def plot_retention(result: RunResult) -> Figure:
    """Retention curves by acquisition cohort (quarter of acquisition).

    Each line is one quarter's cohort: the share still active against whole months since
    acquisition. Months that fewer than half of a cohort has lived through are not drawn,
    so a curve's tail is never carried by a handful of early members.
    """
    periods = result.periods
    end = float(periods["end"].max()) if len(periods) else 0.0
    table = cohort_retention(result.customers, end)
    fig = new_figure(WIDE, "Retention by acquisition cohort: share still active (%) by month")
    ax = fig.subplots()
    shown = table[table["observed"] * 2 >= table["size"]]
    if shown.empty:
        no_data(ax, "customers")
    for i, (label, curve) in enumerate(shown.groupby("label", sort=False)):
        n = int(curve["size"].iloc[0])
        ax.plot(
            curve["months"],
            100.0 * curve["share"],
            label=f"{label} (n={n})",
            markevery=max(1, len(curve) // 12),
            **series_style(i),
        )
    ax.set_xlabel("months since acquisition")
    ax.set_ylabel("customers still active (% of cohort)")
    ax.set_ylim(0, 105)
    ax.grid(alpha=0.3)
    if not shown.empty:
        ax.legend(
            title="acquired in", fontsize="small", ncol=2 if shown["label"].nunique() > 6 else 1
        )
    return fig


def plot_flows(result: RunResult) -> Figure:
    """Active customers (top) and the flows that move them (bottom), per period."""
    p = result.periods
    x = months(p)
    fig = new_figure(TALL, "Active customers and flows: customers per period")
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(x, p["active"], label="active at period end", **series_style(0))
    top.set_ylabel("active customers")
    top.set_ylim(bottom=0)
    top.legend(fontsize="small")
    top.grid(alpha=0.3)
    # The day-0 cohort arrives all at once: drawn as "new" it would be one spike a hundred
    # times the monthly flows and flatten them to the axis. It is named in a note instead.
    launch = (p["new"] - p["new_paid"] - p["new_referral"] - p["new_bass"]).to_numpy()
    flows = {
        "new (acquired)": p["new"].to_numpy() - launch,
        "churned": p["churned"].to_numpy(),
        "won back": p["won_back"].to_numpy(),
    }
    for i, (label, values) in enumerate(flows.items(), start=1):
        bottom.plot(x, values, label=label, **series_style(i))
    shade_promotions(bottom, result)
    if launch.sum() > 0:
        bottom.annotate(
            f"plus the launch cohort: {int(launch.sum()):,} customers at day 0",
            xy=(0.01, 0.97), xycoords="axes fraction", va="top", fontsize="small",
        )  # fmt: skip
    bottom.set_xlabel("months since start")
    bottom.set_ylabel("customers per period")
    bottom.set_ylim(bottom=0)
    bottom.legend(fontsize="small")
    bottom.grid(alpha=0.3)
    return fig


def plot_economics(result: RunResult) -> Figure:
    """Revenue, each cost line (stacked bars), profit per period and cumulative NPV."""
    p = result.periods
    x = months(p)
    lines = cost_lines(p)
    fig = new_figure(TALL, "Revenue, costs and profit: money per period and cumulative")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    shade_promotions(top, result)
    width = 0.8 * float(np.median(np.diff(x))) if len(x) > 1 else 0.8
    base = np.zeros(len(x))
    for i, col in enumerate(lines.columns):
        h = lines[col].to_numpy(dtype=float)
        top.bar(
            x,
            h,
            width=width,
            bottom=base,
            label=f"cost: {col.replace('_', ' ')}",
            color=COLOURS[i % len(COLOURS)],
            hatch=HATCHES[i % len(HATCHES)],
            edgecolor="black",
            linewidth=0.4,
            alpha=0.8,
        )
        base = base + h
    top.plot(x, p["revenue"], label="revenue", color="black", linestyle="-", marker="o", ms=4)
    top.plot(x, p["profit"], label="profit", color="black", linestyle="--", marker="s", ms=4)
    top.axhline(0.0, color="grey", linewidth=0.8)
    top.set_ylabel("money per period")
    top.legend(fontsize="x-small", ncol=3, loc="upper left", bbox_to_anchor=(0.0, -0.02))
    top.grid(alpha=0.3, axis="y")
    bottom.plot(
        x, p["cum_discounted_profit"], label="cumulative discounted profit (NPV)", **series_style(0)
    )
    bottom.axhline(0.0, color="grey", linewidth=0.8)
    bottom.set_xlabel("months since start")
    bottom.set_ylabel("money, discounted")
    thousands(top)
    thousands(bottom)
    bottom.legend(fontsize="small")
    bottom.grid(alpha=0.3)
    return fig


def plot_satisfaction(result: RunResult) -> Figure:
    """Satisfaction (0–1) and emotional-account balance distributions over time."""
    p = result.periods
    x = months(p)
    fig = new_figure(
        TALL, "Satisfaction and trust: spread among active customers (0–1 scale, trust points)"
    )
    top, bottom = fig.subplots(2, 1, sharex=True)
    percentile_band(top, x, p, "satisfaction", "satisfaction", 0)
    top.set_ylabel("satisfaction (0–1)")
    top.set_ylim(0, 1)
    top.legend(fontsize="small", loc="lower left")
    top.grid(alpha=0.3)
    percentile_band(bottom, x, p, "balance", "balance", 1)
    bottom.axhline(0.0, color="black", linewidth=0.8, linestyle=":", label="overdrawn below 0")
    bottom.set_xlabel("months since start")
    bottom.set_ylabel("emotional-account balance (trust points)")
    bottom.legend(fontsize="small", loc="lower left")
    bottom.grid(alpha=0.3)
    return fig


def plot_ladder(result: RunResult) -> Figure:
    """Relationship-ladder mix of active customers over time (stacked shares)."""
    p = result.periods
    shares = 100.0 * level_shares(p)
    fig = new_figure(WIDE, "Relationship ladder: share of active customers on each level (%)")
    ax = fig.subplots()
    stacked_areas(ax, months(p), shares, list(shares.columns))
    ax.set_xlabel("months since start")
    ax.set_ylabel("active customers (%)")
    ax.set_ylim(0, 100)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(
        handles[::-1],
        labels[::-1],
        title="level",
        fontsize="small",
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
    )
    return fig


def plot_lifecycle(result: RunResult) -> Figure:
    """Customers in each lifecycle stage over time (stacked counts)."""
    p = result.periods
    stages = prefixed(p, "stage_")
    fig = new_figure(WIDE, "Lifecycle stages: customers in each stage at period end")
    ax = fig.subplots()
    stacked_areas(ax, months(p), stages, [s.replace("_", " ") for s in stages.columns])
    ax.set_xlabel("months since start")
    ax.set_ylabel("customers")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(
        handles[::-1],
        labels[::-1],
        title="stage",
        fontsize="small",
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
    )
    return fig


def plot_trust(result: RunResult) -> Figure:
    """Trust waterfall: every deposit and withdrawal reason, ending at the net change."""
    table = trust_waterfall(result.ledger)
    fig = new_figure(WIDE, "Trust waterfall: emotional-account totals by reason (trust points)")
    ax = fig.subplots()
    if table.empty:
        no_data(ax, "ledger entries")
    else:
        n = len(table)
        pos = np.arange(n)
        dep = (table["kind"] == "deposit").to_numpy()
        amount = table["amount"].to_numpy(dtype=float)
        start = table["start"].to_numpy(dtype=float)
        ax.bar(
            pos[dep],
            amount[dep],
            bottom=start[dep],
            color=COLOURS[2],
            hatch="//",
            edgecolor="black",
            linewidth=0.5,
            label="deposit",
        )
        ax.bar(
            pos[~dep],
            amount[~dep],
            bottom=start[~dep],
            color=COLOURS[1],
            hatch="xx",
            edgecolor="black",
            linewidth=0.5,
            label="withdrawal",
        )
        net = float(table["end"].iloc[-1])
        ax.bar(
            [n],
            [net],
            color="white",
            hatch="..",
            edgecolor="black",
            linewidth=0.8,
            label="net change",
        )
        ax.set_xticks(list(range(n + 1)))
        ax.set_xticklabels(
            [r.replace("_", " ") for r in table["reason"]] + ["net"], rotation=40, ha="right"
        )
        ax.axhline(0.0, color="black", linewidth=0.8)
        # Floating bars would otherwise pin the axis to their edges with no headroom.
        ax.use_sticky_edges = False
        ax.margins(y=0.06)
        ax.autoscale_view()
        ax.legend(fontsize="small")
        ax.grid(alpha=0.3, axis="y")
    ax.set_xlabel("reason")
    ax.set_ylabel("total over all customers (trust points)")
    thousands(ax)
    return fig


#: Every figure of the report, in reading order: key (also the PNG file's stem) → function.
FIGURES: dict[str, Callable[[RunResult], Figure]] = {
    "retention": plot_retention,
    "flows": plot_flows,
    "economics": plot_economics,
    "value": plot_value,
    "satisfaction": plot_satisfaction,
    "ladder": plot_ladder,
    "lifecycle": plot_lifecycle,
    "trust": plot_trust,
    "churn": plot_churn_reasons,
    "service": plot_service,
}
