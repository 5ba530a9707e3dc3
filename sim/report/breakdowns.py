"""Breakdowns: the figures that split the customers by segment, reason and service.

Who brings the value, why they left, how the desk served them.
Value is concentrated (seed 001: the key 10 % bring most of the revenue), and a lesson about
key accounts or customer selection is read off that split; churn reasons are stacked by
segment so that "who left" and "why" sit in one picture; the service figure sets the waits
against the promise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from sim.i18n import DEFAULT_LANG, catalogue
from sim.report.analysis import churn_reasons, value_by_segment
from sim.report.canvas import TALL, WIDE, months, new_figure, no_data
from sim.report.palette import COLOURS, HATCHES, series_style
from sim.report.wording import plain

if TYPE_CHECKING:
    from sim.i18n import Catalogue
    from sim.results.run_result import RunResult

__all__ = ["plot_churn_reasons", "plot_service", "plot_value"]


def plot_value(result: RunResult, lang: str = DEFAULT_LANG) -> Figure:
    """Each segment's share of the customers ever acquired, of revenue and of margin."""
    t = catalogue(lang)
    table = value_by_segment(result.customers)
    fig = new_figure(WIDE, t("report.fig.value.title"))
    ax = fig.subplots()
    if table.empty:
        no_data(ax, message=t("report.no_customers"))
        return fig
    pos = np.arange(len(table))
    width = 0.27
    for i, (col, label) in enumerate(
        (
            ("customers", t("report.fig.value.customers")),
            ("revenue", t("money.revenue")),
            ("margin", t("report.fig.value.margin")),
        )
    ):
        values = 100.0 * table[f"{col}_share"].to_numpy(dtype=float)
        bars = ax.bar(
            pos + (i - 1) * width, values, width, label=label,
            color=COLOURS[i], hatch=HATCHES[i], edgecolor="black", linewidth=0.5,
        )  # fmt: skip
        ax.bar_label(bars, fmt="%.0f", fontsize="small", padding=1)
    ax.set_xticks(list(pos), [plain(s) for s in table.index])
    ax.set_xlabel(t("word.segment"))
    ax.set_ylabel(t("report.fig.value.y"))
    ax.set_ylim(0, 110)
    ax.legend(fontsize="small", loc="upper right")
    ax.grid(alpha=0.3, axis="y")
    return fig


def plot_churn_reasons(result: RunResult, lang: str = DEFAULT_LANG) -> Figure:
    """Churned customers by reason (horizontal bars, stacked by segment)."""
    t = catalogue(lang)
    table = churn_reasons(result.customers)
    fig = new_figure(WIDE, t("report.fig.churn.title"))
    ax = fig.subplots()
    if table.empty:
        no_data(ax, t("word.churned_customers"), lang)
    else:
        segments = [c for c in table.columns if c not in ("total", "share")]
        pos = np.arange(len(table))[::-1]
        left = np.zeros(len(table))
        for i, seg in enumerate(segments):
            w = table[seg].to_numpy(dtype=float)
            ax.barh(
                pos,
                w,
                left=left,
                label=plain(seg),
                color=COLOURS[i % len(COLOURS)],
                hatch=HATCHES[i % len(HATCHES)],
                edgecolor="black",
                linewidth=0.5,
            )
            left = left + w
        ax.set_yticks(list(pos))
        ax.set_yticklabels([_churn_word(t, str(r)) for r in table.index])
        for y, total, share in zip(pos, table["total"], table["share"], strict=True):
            ax.text(float(total), float(y), f" {int(total)} ({100 * share:.0f} %)", va="center")
        ax.set_xlim(0, 1.2 * float(table["total"].max()))
        ax.legend(title=t("word.segment"), fontsize="small", loc="lower right")
        ax.grid(alpha=0.3, axis="x")
    ax.set_xlabel(t("report.fig.churn.x"))
    ax.set_ylabel(t("report.fig.churn.y"))
    return fig


def _churn_word(t: Catalogue, reason: str) -> str:
    """A churn reason in the catalogue's words (``churn.*``), or as recorded."""
    return t(f"churn.{reason}") if t.has(f"churn.{reason}") else reason


def _promise(result: RunResult) -> float | None:
    """The service promise in days, read from the manifest's resolved scenario."""
    try:
        value = result.manifest["scenario"]["strategy"]["service"]["promise"]
    except (KeyError, TypeError):
        return None
    return float(value) if value is not None else None


def plot_service(result: RunResult, lang: str = DEFAULT_LANG) -> Figure:
    """Service waits (mean, 90th percentile, the promise) and staff utilisation."""
    t = catalogue(lang)
    p = result.periods
    x = months(p)
    fig = new_figure(TALL, t("report.fig.service.title"))
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(x, 24.0 * p["wait_mean"], label=t("report.fig.service.mean"), **series_style(0))
    top.plot(x, 24.0 * p["wait_p90"], label=t("report.fig.service.p90"), **series_style(1))
    promise = _promise(result)
    if promise is not None:
        top.axhline(
            24.0 * promise,
            color="black",
            linestyle=":",
            linewidth=1.2,
            label=t("report.promise", hours=24.0 * promise),
        )
    top.set_ylabel(t("report.fig.service.y"))
    top.set_ylim(bottom=0)
    top.legend(fontsize="small")
    top.grid(alpha=0.3)
    bottom.plot(x, 100.0 * p["utilisation"], label=t("money.service_staff"), **series_style(2))
    bottom.plot(x, 100.0 * p["am_utilisation"], label=t("money.am_staff"), **series_style(3))
    bottom.set_xlabel(t("report.months_since_start"))
    bottom.set_ylabel(t("report.fig.service.y_util"))
    bottom.set_ylim(0, 105)
    bottom.legend(fontsize="small")
    bottom.grid(alpha=0.3)
    return fig
