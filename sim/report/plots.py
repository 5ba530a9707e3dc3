"""The report's figures: one function per figure, each returning a matplotlib ``Figure``.

Figures are built as :class:`matplotlib.figure.Figure` objects, never through ``pyplot``,
so no global state is touched and nothing depends on a display: a caller saves them
(``fig.savefig``) or shows them in a notebook. Every figure is meant to survive a
black-and-white photocopy handed out in class, so its series take their colour, line style,
marker and hatch from :mod:`sim.report.palette`.

Each title names what is plotted and its unit; the numbers behind a figure come from the
pure functions of :mod:`sim.report.analysis`, which the tests check by hand. Every word on a
figure comes from the message catalogue (``report.fig.*``, :mod:`sim.i18n`) in the language
asked for; Chinese needs the fonts of :mod:`sim.report.fonts` when the figure is drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np
from matplotlib.figure import Figure

from sim.i18n import DEFAULT_LANG, catalogue
from sim.report.analysis import (
    cohort_retention,
    cost_lines,
    level_shares,
    prefixed,
    trust_waterfall,
)
from sim.report.breakdowns import plot_churn_reasons, plot_service, plot_value
from sim.report.canvas import TALL, WIDE, months, new_figure, no_data, shade_promotions, thousands
from sim.report.captions import word
from sim.report.palette import COLOURS, HATCHES, percentile_band, series_style, stacked_areas

if TYPE_CHECKING:
    from sim.results.run_result import RunResult

__all__ = [
    "FIGURES",
    "Drawing",
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


class Drawing(Protocol):
    """A figure function: the run, and the language of the figure's words."""

    def __call__(self, result: RunResult, lang: str = ..., /) -> Figure:
        """The figure."""
        ...


def plot_retention(result: RunResult, lang: str = DEFAULT_LANG) -> Figure:
    """Retention curves by acquisition cohort (quarter of acquisition).

    Each line is one quarter's cohort: the share still active against whole months since
    acquisition. Months that fewer than half of a cohort has lived through are not drawn,
    so a curve's tail is never carried by a handful of early members.
    """
    periods = result.periods
    end = float(periods["end"].max()) if len(periods) else 0.0
    table = cohort_retention(result.customers, end)
    t = catalogue(lang)
    fig = new_figure(WIDE, t("report.fig.retention.title"))
    ax = fig.subplots()
    shown = table[table["observed"] * 2 >= table["size"]]
    if shown.empty:
        no_data(ax, message=t("report.no_customers"))
    for i, (label, curve) in enumerate(shown.groupby("label", sort=False)):
        n = int(curve["size"].iloc[0])
        ax.plot(
            curve["months"],
            100.0 * curve["share"],
            label=t("report.fig.retention.cohort", label=label, n=n),
            markevery=max(1, len(curve) // 12),
            **series_style(i),
        )
    ax.set_xlabel(t("report.fig.retention.x"))
    ax.set_ylabel(t("report.fig.retention.y"))
    ax.set_ylim(0, 105)
    ax.grid(alpha=0.3)
    if not shown.empty:
        ax.legend(
            title=t("report.fig.retention.legend"),
            fontsize="small",
            ncol=2 if shown["label"].nunique() > 6 else 1,
        )
    return fig


def plot_flows(result: RunResult, lang: str = DEFAULT_LANG) -> Figure:
    """Active customers (top) and the flows that move them (bottom), per period."""
    t = catalogue(lang)
    p = result.periods
    x = months(p)
    fig = new_figure(TALL, t("report.fig.flows.title"))
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(x, p["active"], label=t("report.fig.flows.active"), **series_style(0))
    top.set_ylabel(t("word.active_customers"))
    top.set_ylim(bottom=0)
    top.legend(fontsize="small")
    top.grid(alpha=0.3)
    # The day-0 cohort arrives all at once: drawn as "new" it would be one spike a hundred
    # times the monthly flows and flatten them to the axis. It is named in a note instead.
    launch = (p["new"] - p["new_paid"] - p["new_referral"] - p["new_bass"]).to_numpy()
    flows = {
        t("report.fig.flows.new"): p["new"].to_numpy() - launch,
        t("report.fig.flows.churned"): p["churned"].to_numpy(),
        t("stage.won_back"): p["won_back"].to_numpy(),
    }
    for i, (label, values) in enumerate(flows.items(), start=1):
        bottom.plot(x, values, label=label, **series_style(i))
    shade_promotions(bottom, result, lang=lang)
    if launch.sum() > 0:
        bottom.annotate(
            t("report.fig.flows.launch", count=int(launch.sum())),
            xy=(0.01, 0.97), xycoords="axes fraction", va="top", fontsize="small",
        )  # fmt: skip
    bottom.set_xlabel(t("report.months_since_start"))
    bottom.set_ylabel(t("report.fig.flows.y"))
    bottom.set_ylim(bottom=0)
    bottom.legend(fontsize="small")
    bottom.grid(alpha=0.3)
    return fig


def plot_economics(result: RunResult, lang: str = DEFAULT_LANG) -> Figure:
    """Revenue, each cost line (stacked bars), profit per period and cumulative NPV."""
    t = catalogue(lang)
    p = result.periods
    x = months(p)
    lines = cost_lines(p)
    fig = new_figure(TALL, t("report.fig.economics.title"))
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    shade_promotions(top, result, lang=lang)
    width = 0.8 * float(np.median(np.diff(x))) if len(x) > 1 else 0.8
    base = np.zeros(len(x))
    for i, col in enumerate(lines.columns):
        h = lines[col].to_numpy(dtype=float)
        top.bar(
            x,
            h,
            width=width,
            bottom=base,
            label=t("report.fig.economics.cost", line=word(t, "money", str(col))),
            color=COLOURS[i % len(COLOURS)],
            hatch=HATCHES[i % len(HATCHES)],
            edgecolor="black",
            linewidth=0.4,
            alpha=0.8,
        )
        base = base + h
    top.plot(x, p["revenue"], label=t("money.revenue"), color="black", marker="o", ms=4)
    top.plot(x, p["profit"], label=t("kpi.profit"), color="black", linestyle="--", marker="s",
             ms=4)  # fmt: skip
    top.axhline(0.0, color="grey", linewidth=0.8)
    top.set_ylabel(t("word.money_per_period"))
    top.legend(fontsize="x-small", ncol=3, loc="upper left", bbox_to_anchor=(0.0, -0.02))
    top.grid(alpha=0.3, axis="y")
    bottom.plot(
        x, p["cum_discounted_profit"], label=t("report.fig.economics.npv"), **series_style(0)
    )
    bottom.axhline(0.0, color="grey", linewidth=0.8)
    bottom.set_xlabel(t("report.months_since_start"))
    bottom.set_ylabel(t("report.fig.economics.y_npv"))
    thousands(top)
    thousands(bottom)
    bottom.legend(fontsize="small")
    bottom.grid(alpha=0.3)
    return fig


def plot_satisfaction(result: RunResult, lang: str = DEFAULT_LANG) -> Figure:
    """Satisfaction (0–1) and emotional-account balance distributions over time."""
    t = catalogue(lang)
    p = result.periods
    x = months(p)
    fig = new_figure(TALL, t("report.fig.satisfaction.title"))
    top, bottom = fig.subplots(2, 1, sharex=True)
    percentile_band(top, x, p, "satisfaction", t("report.fig.satisfaction.band"), 0, lang)
    top.set_ylabel(t("report.fig.satisfaction.y"))
    top.set_ylim(0, 1)
    top.legend(fontsize="small", loc="lower left")
    top.grid(alpha=0.3)
    percentile_band(bottom, x, p, "balance", t("word.balance"), 1, lang)
    bottom.axhline(0.0, color="black", linewidth=0.8, linestyle=":",
                   label=t("report.fig.satisfaction.overdrawn"))  # fmt: skip
    bottom.set_xlabel(t("report.months_since_start"))
    bottom.set_ylabel(t("report.fig.satisfaction.y_balance"))
    bottom.legend(fontsize="small", loc="lower left")
    bottom.grid(alpha=0.3)
    return fig


def plot_ladder(result: RunResult, lang: str = DEFAULT_LANG) -> Figure:
    """Relationship-ladder mix of active customers over time (stacked shares)."""
    t = catalogue(lang)
    p = result.periods
    shares = 100.0 * level_shares(p)
    fig = new_figure(WIDE, t("report.fig.ladder.title"))
    ax = fig.subplots()
    stacked_areas(ax, months(p), shares, [word(t, "level", str(c)) for c in shares.columns])
    ax.set_xlabel(t("report.months_since_start"))
    ax.set_ylabel(t("report.fig.ladder.y"))
    ax.set_ylim(0, 100)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(
        handles[::-1],
        labels[::-1],
        title=t("report.fig.ladder.legend"),
        fontsize="small",
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
    )
    return fig


def plot_lifecycle(result: RunResult, lang: str = DEFAULT_LANG) -> Figure:
    """Customers in each lifecycle stage over time (stacked counts)."""
    t = catalogue(lang)
    p = result.periods
    stages = prefixed(p, "stage_")
    fig = new_figure(WIDE, t("report.fig.lifecycle.title"))
    ax = fig.subplots()
    stacked_areas(ax, months(p), stages, [word(t, "stage", str(s)) for s in stages.columns])
    ax.set_xlabel(t("report.months_since_start"))
    ax.set_ylabel(t("report.fig.lifecycle.y"))
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(
        handles[::-1],
        labels[::-1],
        title=t("report.fig.lifecycle.legend"),
        fontsize="small",
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
    )
    return fig


def plot_trust(result: RunResult, lang: str = DEFAULT_LANG) -> Figure:
    """Trust waterfall: every deposit and withdrawal reason, ending at the net change."""
    t = catalogue(lang)
    table = trust_waterfall(result.ledger)
    fig = new_figure(WIDE, t("report.fig.trust.title"))
    ax = fig.subplots()
    if table.empty:
        no_data(ax, t("report.fig.trust.ledger"), lang)
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
            label=t("word.deposit"),
        )
        ax.bar(
            pos[~dep],
            amount[~dep],
            bottom=start[~dep],
            color=COLOURS[1],
            hatch="xx",
            edgecolor="black",
            linewidth=0.5,
            label=t("word.withdrawal"),
        )
        net = float(table["end"].iloc[-1])
        ax.bar(
            [n],
            [net],
            color="white",
            hatch="..",
            edgecolor="black",
            linewidth=0.8,
            label=t("word.net_change"),
        )
        ax.set_xticks(list(range(n + 1)))
        ax.set_xticklabels(
            [word(t, "reason", str(r)) for r in table["reason"]] + [t("report.fig.trust.net")],
            rotation=40,
            ha="right",
        )
        ax.axhline(0.0, color="black", linewidth=0.8)
        # Floating bars would otherwise pin the axis to their edges with no headroom.
        ax.use_sticky_edges = False
        ax.margins(y=0.06)
        ax.autoscale_view()
        ax.legend(fontsize="small")
        ax.grid(alpha=0.3, axis="y")
    ax.set_xlabel(t("word.reason"))
    ax.set_ylabel(t("report.fig.trust.y"))
    thousands(ax)
    return fig


#: Every figure of the report, in reading order: key (also the PNG file's stem) → function.
FIGURES: dict[str, Drawing] = {
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
