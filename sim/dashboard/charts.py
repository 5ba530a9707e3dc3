"""Charts: one matplotlib figure per live view, and the key numbers the page prints under it.

A projector at the back of a classroom blurs a thin line, and a test cannot read a picture,
so every chart comes with its key numbers written out as text (:func:`view_numbers`), each
with a ``data-testid`` the browser test reads. Figures use the print-safe palette of the
reports (:mod:`sim.report.palette`: no two series by colour alone) and take Chinese glyphs
from Noto Sans CJK SC (:func:`sim.report.fonts.cjk_fonts`); every word on them comes from the
catalogue in the page's language.

Figures are built with :class:`matplotlib.figure.Figure`, not pyplot: the play loop and
several browser tabs draw at once, and pyplot's global current figure is not for threads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from agents.economics import COST_LINES
from sim.dashboard.state import cap, fmt_count, fmt_hours, fmt_money, fmt_number, fmt_share, say
from sim.report.fonts import cjk_fonts
from sim.report.palette import COLOURS, HATCHES, series_style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from sim.dashboard.views import Views

__all__ = ["CHARTS", "figure", "view_numbers"]

#: One number under a chart: its hook (``data-testid="view-<view>-<key>"``), label, text.
Number = tuple[str, str, str]


def _frame(title: str) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(4.8, 3.0), dpi=90, layout="constrained")
    ax = fig.subplots()
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # periods are whole numbers
    return fig, ax


def _flows(v: Views, lang: str) -> Figure:
    t, f = say(lang), v.flows
    fig, ax = _frame(t("dash.chart.flows"))
    x = f["period"] + 1
    ax.plot(x, f["active"], label=cap(t("word.active_customers")), **series_style(0))
    twin = ax.twinx()
    for i, (col, key) in enumerate(
        (
            ("new", "dash.kpi.new"),
            ("churned", "word.churned_customers"),
            ("won_back", "stage.won_back"),
        )
    ):
        twin.plot(x, f[col], label=t(key), **series_style(i + 1))
    ax.set_ylim(bottom=0)
    ax.set_xlim(0.5, max(1, int(x.max())) + 0.5)
    ax.set_xlabel(t("dash.kpi.period"))
    ax.set_ylabel(t("dash.axis.customers"))
    lines = ax.get_lines() + twin.get_lines()
    ax.legend(lines, [str(ln.get_label()) for ln in lines], fontsize=7, loc="lower left")
    return fig


def _cohorts(v: Views, lang: str) -> Figure:
    t, c = say(lang), v.cohorts
    fig, ax = _frame(t("dash.chart.cohorts"))
    cohorts = sorted(c["cohort"].unique())
    # Every sixth cohort and the launch cohort: a legend of 36 lines says nothing.
    shown = [k for k in cohorts if k % 6 == 0][:8]
    for i, k in enumerate(shown):
        one = c[c["cohort"] == k]
        ax.plot(one["age"], one["share_active"], label=t("dash.cohort", cohort=int(k) + 1),
                **series_style(i))  # fmt: skip
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(t("dash.axis.age"))
    ax.set_ylabel(t("dash.axis.share_active"))
    if shown:
        ax.legend(fontsize=7, loc="lower left")
    return fig


def _profit(v: Views, lang: str) -> Figure:
    t, p = say(lang), v.profit
    fig, ax = _frame(t("dash.chart.profit"))
    x = p["period"] + 1
    ax.bar(x, p["profit"], color=COLOURS[5], label=t("dash.kpi.profit"))
    ax.plot(x, p["cumulative_profit"], label=t("dash.kpi.cum_profit"), **series_style(0))
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlabel(t("dash.kpi.period"))
    ax.set_ylabel(t("unit.money"))
    ax.legend(fontsize=7, loc="upper left")
    return fig


def _costs(v: Views, lang: str) -> Figure:
    t, p = say(lang), v.profit
    fig, ax = _frame(t("dash.chart.costs"))
    x = (p["period"] + 1).to_numpy()
    bottom = np.zeros(len(p))
    for i, line in enumerate(COST_LINES):
        y = p[f"cost_{line}"].to_numpy(float)
        if not y.any():
            continue  # a line this strategy never pays stays out of the legend
        ax.bar(x, y, bottom=bottom, label=t(f"money.{line}"), color=COLOURS[i % len(COLOURS)],
               hatch=HATCHES[i % len(HATCHES)], edgecolor="white", linewidth=0.3)  # fmt: skip
        bottom += y
    ax.set_xlabel(t("dash.kpi.period"))
    ax.set_ylabel(t("unit.money"))
    if bottom.any():
        ax.legend(fontsize=6, loc="upper left", ncol=2)
    return fig


def _balance(v: Views, lang: str) -> Figure:
    t, b = say(lang), v.balance
    fig, ax = _frame(t("dash.chart.balance"))
    if not b.empty:
        ax.bar(b["bin_left"], b["count"], width=b["bin_right"] - b["bin_left"], align="edge",
               color=COLOURS[0], edgecolor="white")  # fmt: skip
        ax.axvline(0, color=COLOURS[1], linestyle="--")
    ax.set_xlabel(t("dash.axis.balance"))
    ax.set_ylabel(t("dash.axis.customers"))
    return fig


def _ladder(v: Views, lang: str) -> Figure:
    t, lad = say(lang), v.ladder
    fig, ax = _frame(t("dash.chart.ladder"))
    wide = lad.pivot(index="period", columns="level", values="share").fillna(0.0)
    x = wide.index.to_numpy() + 1
    bottom = np.zeros(len(wide))
    for i, level in enumerate(c for c in lad["level"].unique()):
        y = wide[level].to_numpy(float)
        ax.bar(x, y, bottom=bottom, label=t(f"level.{level}"), color=COLOURS[i],
               hatch=HATCHES[i], edgecolor="white", linewidth=0.3)  # fmt: skip
        bottom += y
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(t("dash.kpi.period"))
    ax.set_ylabel(t("unit.share_of_active_customers"))
    ax.legend(fontsize=7, loc="lower left")
    return fig


def _churn(v: Views, lang: str) -> Figure:
    t, c = say(lang), v.churn_reasons
    fig, ax = _frame(t("dash.chart.churn"))
    labels = [t(f"churn.{r}") for r in c["reason"]]
    ax.barh(labels, c["count"], color=[COLOURS[i % len(COLOURS)] for i in range(len(c))])
    ax.invert_yaxis()
    ax.set_xlabel(t("dash.axis.customers"))
    return fig


def _service(v: Views, lang: str) -> Figure:
    t, s = say(lang), v.service
    fig, ax = _frame(t("dash.chart.service"))
    x = s["period"] + 1
    # Waits are stored in days, the clock's unit, and read in hours, as in every report.
    ax.plot(x, s["wait_mean"] * 24.0, label=t("dash.axis.wait"), **series_style(0))
    ax.set_ylabel(t("dash.axis.wait"))
    twin = ax.twinx()
    twin.plot(x, s["utilisation"], label=t("dash.kpi.utilisation"), **series_style(1))
    twin.set_ylim(0, 1.05)
    twin.set_ylabel(t("dash.kpi.utilisation"))
    ax.set_xlabel(t("dash.kpi.period"))
    lines = ax.get_lines() + twin.get_lines()
    ax.legend(lines, [str(ln.get_label()) for ln in lines], fontsize=7, loc="upper left")
    return fig


def _waterfall(v: Views, lang: str) -> Figure:
    t, w = say(lang), v.waterfall
    fig, ax = _frame(t("dash.chart.waterfall"))
    w = w[w["count"] > 0]
    amounts = w["amount"].to_numpy(float)
    starts = np.concatenate([[0.0], np.cumsum(amounts)[:-1]])
    colours = [COLOURS[2] if a >= 0 else COLOURS[1] for a in amounts]
    labels = [t(f"reason.{r}") for r in w["reason"]]
    ax.bar(range(len(w)), amounts, bottom=starts, color=colours, edgecolor="black",
           linewidth=0.3)  # fmt: skip
    total = float(amounts.sum())
    ax.bar(len(w), total, color=COLOURS[0], hatch="//", label=t("word.net_change"))
    ax.set_xticks(range(len(w) + 1), [*labels, t("word.net_change")], rotation=60, ha="right",
                  fontsize=7)  # fmt: skip
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel(t("unit.trust_points"))
    return fig


#: The charts in page order: view name → figure of the views in a language.
CHARTS: dict[str, Callable[[Views, str], Figure]] = {
    "flows": _flows,
    "cohorts": _cohorts,
    "profit": _profit,
    "costs": _costs,
    "balance": _balance,
    "ladder": _ladder,
    "churn": _churn,
    "service": _service,
    "waterfall": _waterfall,
}


def figure(view: str, views: Views, lang: str) -> Figure:
    """The figure of ``view`` drawn from ``views`` (:class:`sim.dashboard.views.Views`)."""
    with cjk_fonts():
        fig = CHARTS[view](views, lang)
    return fig


def view_numbers(views: Views, periods: pd.DataFrame, lang: str) -> dict[str, list[Number]]:
    """The key numbers of each chart after the latest close, formatted as the page shows.

    Each entry is ``(hook, label, text)``; the hook is the ``data-testid`` suffix, stable
    across languages. Empty lists before the first step.
    """
    t = say(lang)
    out: dict[str, list[Number]] = {name: [] for name in CHARTS}
    if periods.empty:
        return out
    v = views
    last = periods.iloc[-1]
    flows = v.flows.iloc[-1]
    out["flows"] = [
        ("active", cap(t("word.active_customers")), fmt_count(flows["active"])),
        ("new", t("dash.kpi.new"), fmt_count(flows["new"])),
        ("churned", t("word.churned_customers"), fmt_count(flows["churned"])),
        ("won-back", t("stage.won_back"), fmt_count(flows["won_back"])),
    ]
    c = v.cohorts
    first = c[c["cohort"] == 0]
    out["cohorts"] = [
        ("cohorts", t("dash.kpi.cohorts"), fmt_count(c["cohort"].nunique())),
        ("first", t("dash.kpi.first_cohort"),
         fmt_share(first["share_active"].iloc[-1]) if len(first) else "–"),
    ]  # fmt: skip
    p = v.profit.iloc[-1]
    out["profit"] = [
        ("revenue", t("money.revenue"), fmt_money(p["revenue"])),
        ("profit", t("dash.kpi.profit"), fmt_money(p["profit"])),
        ("cum-profit", t("dash.kpi.cum_profit"), fmt_money(p["cumulative_profit"])),
    ]
    out["costs"] = [("costs", t("dash.kpi.costs"), fmt_money(p["costs"]))] + [
        (f"cost-{line.replace('_', '-')}", t(f"money.{line}"), fmt_money(p[f"cost_{line}"]))
        for line in COST_LINES
        if p[f"cost_{line}"] != 0
    ]
    out["balance"] = [
        (key.replace("_", "-"), t(f"dash.kpi.{key}"), fmt_number(last[key]))
        for key in ("balance_mean", "balance_p10", "balance_p90")
    ]
    lad = v.ladder
    now = lad[lad["period"] == lad["period"].max()]
    out["ladder"] = [(f"level-{r.level}", t(f"level.{r.level}"), fmt_share(r.share))
                     for r in now.itertuples()]  # fmt: skip
    churns = v.churn_reasons
    out["churn"] = [
        (f"churn-{reason}", t(f"churn.{reason}"), fmt_count(count))
        for reason, count in zip(churns["reason"], churns["count"], strict=True)
    ]
    s = v.service.iloc[-1]
    out["service"] = [
        ("wait-mean", t("dash.kpi.wait_mean"), fmt_hours(s["wait_mean"])),
        ("utilisation", t("dash.kpi.utilisation"), fmt_share(s["utilisation"])),
    ]
    w = v.waterfall
    deposits = float(w.loc[w["kind"] == "deposit", "amount"].sum())
    withdrawals = float(w.loc[w["kind"] == "withdrawal", "amount"].sum())
    out["waterfall"] = [
        ("deposits", t("kpi.trust_deposits"), fmt_number(deposits, 1)),
        ("withdrawals", t("kpi.trust_withdrawals"), fmt_number(withdrawals, 1)),
        ("net", t("word.net_change"), fmt_number(deposits + withdrawals, 1)),
    ]
    return out
