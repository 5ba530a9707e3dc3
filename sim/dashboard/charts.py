"""Charts: one ECharts option per live view, and the key numbers the page prints under it.

The page plays ten periods a second, and rendering nine matplotlib figures to PNG on the
server took over a second a period; so the server sends each chart as a small ECharts
``option`` (plain JSON: lists of numbers and strings, NaN as ``None``) and the browser
draws it (``solara.FigureEcharts``; the echarts script itself is served offline, see
:mod:`sim.dashboard.assets`).

A projector at the back of a classroom blurs a thin line, and a test cannot read a picture,
so every chart comes with its key numbers written out as text (:func:`view_numbers`), each
with a ``data-testid`` the browser test reads. Charts use the print-safe palette of the
reports (:mod:`sim.report.palette`): lines differ in dash and marker as well as colour, and
bars carry ECharts' decal patterns (its ``aria.decal``), so no two series differ by colour
alone. Every word on them comes from the catalogue in the page's language.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from agents.economics import COST_LINES
from sim.dashboard.state import cap, fmt_count, fmt_hours, fmt_money, fmt_number, fmt_share, say
from sim.report.palette import COLOURS

if TYPE_CHECKING:
    from sim.dashboard.views import Views

__all__ = ["CHARTS", "Option", "line", "option", "plain", "view_numbers", "zero_line"]

#: One number under a chart: its hook (``data-testid="view-<view>-<key>"``), label, text.
Number = tuple[str, str, str]

#: An ECharts option: nested dicts and lists of str, int, float, bool and None only.
Option = dict[str, Any]

#: The palette's line styles and markers in ECharts' words (``-``, ``--``, ``-.``, ``:``;
#: ``o s ^ D v x P *``), so the n-th line looks as the n-th line of a report does.
_DASHES: tuple[Any, ...] = ("solid", "dashed", [8, 3, 2, 3], "dotted")
_SYMBOLS = ("circle", "rect", "triangle", "diamond", "pin", "arrow", "roundRect", "emptyCircle")


def plain(values: Iterable[Any]) -> list[float | None]:
    """Numbers as JSON floats: numpy and pandas scalars converted; missing and inf as ``None``."""
    out: list[float | None] = []
    for v in values:
        x = None if pd.isna(v) else float(v)  # pd.isna: None, NaN, NaT and pd.NA alike
        out.append(None if x is None or math.isinf(x) else x)
    return out


def _periods(x: Iterable[Any]) -> list[str]:
    """Period numbers as the page counts them (from 1), the labels of a category axis."""
    return [str(int(p) + 1) for p in x]


def line(name: str, data: Iterable[Any], i: int, **extra: Any) -> Option:
    """The ``i``-th line series, styled as :func:`sim.report.palette.series_style`'s."""
    lap = i // len(_SYMBOLS)
    colour = COLOURS[i % len(COLOURS)]
    return {
        "type": "line", "name": name, "data": plain(data), "symbol": _SYMBOLS[i % len(_SYMBOLS)],
        "symbolSize": 5, "itemStyle": {"color": colour},
        "lineStyle": {"color": colour, "type": _DASHES[(i + lap) % len(_DASHES)], "width": 2},
        **extra,
    }  # fmt: skip


def _bar(name: str, data: Iterable[Any], i: int, **extra: Any) -> Option:
    return {"type": "bar", "name": name, "data": plain(data),
            "itemStyle": {"color": COLOURS[i % len(COLOURS)]}, **extra}  # fmt: skip


def zero_line(axis: str = "yAxis") -> Option:
    """A thin black line at zero (a gain and a loss read apart at a glance)."""
    return {"silent": True, "symbol": "none", "label": {"show": False},
            "lineStyle": {"color": "black", "type": "solid", "width": 1},
            "data": [{axis: 0}]}  # fmt: skip


def _frame(title: str, x_name: str, y_name: str, x: list[str], **y: Any) -> Option:
    """Title, grid, tooltip, a category x axis (periods) and a value y axis."""
    return {
        "animation": False,  # redrawn ten times a second: an animation would never finish
        "aria": {"enabled": True, "decal": {"show": True}},
        "color": list(COLOURS),
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 60, "right": 20, "top": 72, "bottom": 45},
        "xAxis": {"type": "category", "name": x_name, "nameLocation": "middle",
                  "nameGap": 25, "data": x},
        # the name starts over the axis and runs right, so a long one is not cut at the edge
        "yAxis": {"type": "value", "name": y_name, "nameTextStyle": {"align": "left"}, **y},
        "series": [],
    }  # fmt: skip


def _legend(names: list[str], **where: Any) -> Option:
    """One line of legend under the title; a long one scrolls rather than covering the axis."""
    return {"data": names, "type": "scroll", "top": 24, "textStyle": {"fontSize": 10},
            "itemHeight": 8, **where}  # fmt: skip


def _flows(v: Views, lang: str) -> Option:
    t, f = say(lang), v.flows
    opt = _frame(t("dash.chart.flows"), t("dash.kpi.period"), t("dash.axis.customers"),
                 _periods(f["period"]), min=0)  # fmt: skip
    # The flows are far smaller than the stock: on the stock's axis they would lie flat.
    opt["yAxis"] = [opt["yAxis"], {"type": "value", "min": 0, "splitLine": {"show": False}}]
    opt["grid"]["right"] = 45
    series = [line(cap(t("word.active_customers")), f["active"], 0)]
    for i, (col, key) in enumerate(
        (("new", "dash.kpi.new"), ("churned", "word.churned_customers"),
         ("won_back", "stage.won_back"))
    ):  # fmt: skip
        series.append(line(t(key), f[col], i + 1, yAxisIndex=1))
    opt["series"] = series
    opt["legend"] = _legend([s["name"] for s in series])
    return opt


def _cohorts(v: Views, lang: str) -> Option:
    t, c = say(lang), v.cohorts
    ages = list(range(int(c["age"].max()) + 1)) if len(c) else []
    opt = _frame(t("dash.chart.cohorts"), t("dash.axis.age"), t("dash.axis.share_active"),
                 [str(a) for a in ages], min=0, max=1)  # fmt: skip
    cohorts = sorted(int(k) for k in c["cohort"].unique())
    # Every sixth cohort and the launch cohort: a legend of 36 lines says nothing.
    shown = [k for k in cohorts if k % 6 == 0][:8]
    for i, k in enumerate(shown):
        one = c[c["cohort"] == k].set_index("age")["share_active"]
        name = t("dash.cohort", cohort=k + 1)
        opt["series"].append(line(name, one.reindex(ages), i))
    opt["legend"] = {**_legend([s["name"] for s in opt["series"]]), "top": "auto", "bottom": 0}
    opt["grid"]["bottom"] = 70
    opt["xAxis"]["nameGap"] = 22
    return opt


def _profit(v: Views, lang: str) -> Option:
    t, p = say(lang), v.profit
    opt = _frame(t("dash.chart.profit"), t("dash.kpi.period"), t("unit.money"),
                 _periods(p["period"]))  # fmt: skip
    opt["series"] = [
        _bar(t("dash.kpi.profit"), p["profit"], 5, markLine=zero_line()),
        line(t("dash.kpi.cum_profit"), p["cumulative_profit"], 0),
    ]
    opt["legend"] = _legend([s["name"] for s in opt["series"]])
    return opt


def _costs(v: Views, lang: str) -> Option:
    t, p = say(lang), v.profit
    opt = _frame(t("dash.chart.costs"), t("dash.kpi.period"), t("unit.money"),
                 _periods(p["period"]), min=0)  # fmt: skip
    for i, name in enumerate(COST_LINES):
        y = p[f"cost_{name}"].to_numpy(float)
        if not y.any():
            continue  # a line this strategy never pays stays out of the legend
        opt["series"].append(_bar(t(f"money.{name}"), y, i, stack="costs"))
    opt["legend"] = _legend([s["name"] for s in opt["series"]])
    return opt


def _balance(v: Views, lang: str) -> Option:
    t, b = say(lang), v.balance
    centres = (b["bin_left"] + b["bin_right"]) / 2.0
    opt = _frame(t("dash.chart.balance"), t("dash.axis.balance"), t("dash.axis.customers"),
                 [f"{x:.1f}" for x in centres], min=0)  # fmt: skip
    opt["tooltip"] = {"trigger": "item"}
    # Zero, the line between trust and distrust, in the bin that holds it.
    holds = np.flatnonzero((b["bin_left"] <= 0.0) & (b["bin_right"] > 0.0))
    mark = {**zero_line("xAxis"), "data": [{"xAxis": int(holds[0])}],
            "lineStyle": {"color": COLOURS[1], "type": "dashed"}}  # fmt: skip
    opt["series"] = [_bar(t("dash.axis.customers"), b["count"], 0, barCategoryGap="2%",
                          **({"markLine": mark} if len(holds) else {}))]  # fmt: skip
    return opt


def _ladder(v: Views, lang: str) -> Option:
    t, lad = say(lang), v.ladder
    wide = lad.pivot(index="period", columns="level", values="share").fillna(0.0)
    opt = _frame(
        t("dash.chart.ladder"),
        t("dash.kpi.period"),
        t("unit.share_of_active_customers"),
        _periods(wide.index),
        min=0,
        max=1,
    )
    for i, level in enumerate(lad["level"].unique()):
        opt["series"].append(_bar(t(f"level.{level}"), wide[level], i, stack="levels"))
    opt["legend"] = _legend([s["name"] for s in opt["series"]])
    return opt


def _churn(v: Views, lang: str) -> Option:
    t, c = say(lang), v.churn_reasons
    labels = [t(f"churn.{r}") for r in c["reason"]]
    opt = _frame(t("dash.chart.churn"), "", "", [])
    opt["tooltip"] = {"trigger": "item"}
    opt["grid"].update(left=10, top=40, containLabel=True)
    opt["xAxis"] = {"type": "value", "name": t("dash.axis.customers"), "min": 0,
                    "nameLocation": "middle", "nameGap": 25, "minInterval": 1}  # fmt: skip
    opt["yAxis"] = {"type": "category", "data": labels, "inverse": True}
    data = [{"value": x, "itemStyle": {"color": COLOURS[i % len(COLOURS)]}}
            for i, x in enumerate(plain(c["count"]))]  # fmt: skip
    opt["series"] = [{"type": "bar", "name": t("dash.axis.customers"), "data": data}]
    return opt


def _service(v: Views, lang: str) -> Option:
    t, s = say(lang), v.service
    opt = _frame(t("dash.chart.service"), t("dash.kpi.period"), t("dash.axis.wait"),
                 _periods(s["period"]), min=0)  # fmt: skip
    opt["yAxis"] = [opt["yAxis"], {"type": "value", "name": t("dash.kpi.utilisation"),
                                   "min": 0, "max": 1, "splitLine": {"show": False},
                                   "nameTextStyle": {"align": "right"}}]  # fmt: skip
    opt["grid"]["right"] = 50
    # Waits are stored in days, the clock's unit, and read in hours, as in every report.
    opt["series"] = [
        line(t("dash.axis.wait"), s["wait_mean"] * 24.0, 0),
        line(t("dash.kpi.utilisation"), s["utilisation"], 1, yAxisIndex=1),
    ]
    opt["legend"] = _legend([x["name"] for x in opt["series"]])
    return opt


def _waterfall(v: Views, lang: str) -> Option:
    t, w = say(lang), v.waterfall
    w = w[w["count"] > 0]
    amounts = [float(a) for a in w["amount"]]
    labels = [t(f"reason.{r}") for r in w["reason"]] + [t("word.net_change")]
    opt = _frame(t("dash.chart.waterfall"), "", t("unit.trust_points"), labels)
    opt["tooltip"] = {"trigger": "item"}
    opt["grid"].update(bottom=10, containLabel=True)
    opt["xAxis"].update(axisLabel={"rotate": 60, "fontSize": 9, "interval": 0})
    # ECharts has no floating bar: each step stands on an invisible one, the positive and
    # the negative parts of a step stacked apart (a step across zero has both).
    rise_base: list[float] = []
    rise: list[Any] = []
    fall_base: list[float] = []
    fall: list[Any] = []
    start = 0.0
    for a in amounts:
        low, high = sorted((start, start + a))
        colour = {"color": COLOURS[2] if a >= 0 else COLOURS[1]}
        rise_base.append(max(low, 0.0))
        rise.append({"value": max(high, 0.0) - max(low, 0.0), "itemStyle": colour})
        fall_base.append(min(high, 0.0))
        fall.append({"value": min(low, 0.0) - min(high, 0.0), "itemStyle": colour})
        start += a
    net = {"itemStyle": {"color": COLOURS[0], "decal": {"symbol": "rect", "rotation": 0.8}}}
    rise_base.append(0.0)
    rise.append({"value": max(start, 0.0), **net})
    fall_base.append(0.0)
    fall.append({"value": min(start, 0.0), **net})
    hidden = {"itemStyle": {"color": "transparent", "decal": {"symbol": "none"}},
              "tooltip": {"show": False}, "silent": True}  # fmt: skip
    name = t("unit.trust_points")
    opt["series"] = [
        {"type": "bar", "name": "", "stack": "up", "data": rise_base, **hidden},
        {"type": "bar", "name": name, "stack": "up", "data": rise, "markLine": zero_line()},
        {"type": "bar", "name": "", "stack": "down", "data": fall_base, **hidden},
        {"type": "bar", "name": name, "stack": "down", "data": fall},
    ]
    return opt


#: The charts in page order: view name → ECharts option of the views in a language.
CHARTS: dict[str, Callable[[Views, str], Option]] = {
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


def option(view: str, views: Views, lang: str) -> Option:
    """The ECharts option of ``view`` drawn from ``views`` (:class:`sim.dashboard.views.Views`)."""
    return CHARTS[view](views, lang)


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
