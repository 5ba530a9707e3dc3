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

from sim.report.analysis import CHURN_LABELS, churn_reasons, value_by_segment
from sim.report.canvas import TALL, WIDE, months, new_figure, no_data
from sim.report.palette import COLOURS, HATCHES, series_style
from sim.report.wording import plain

if TYPE_CHECKING:
    from sim.results.run_result import RunResult

__all__ = ["plot_churn_reasons", "plot_service", "plot_value"]


def plot_value(result: RunResult) -> Figure:
    """Each segment's share of the customers ever acquired, of revenue and of margin."""
    table = value_by_segment(result.customers)
    fig = new_figure(
        WIDE, "Who brings the value: each segment's share of customers and revenue (%)"
    )
    ax = fig.subplots()
    if table.empty:
        no_data(ax, "customers")
        return fig
    pos = np.arange(len(table))
    width = 0.27
    for i, (col, label) in enumerate(
        (("customers", "customers"), ("revenue", "revenue"), ("margin", "gross margin"))
    ):
        values = 100.0 * table[f"{col}_share"].to_numpy(dtype=float)
        bars = ax.bar(
            pos + (i - 1) * width, values, width, label=label,
            color=COLOURS[i], hatch=HATCHES[i], edgecolor="black", linewidth=0.5,
        )  # fmt: skip
        ax.bar_label(bars, fmt="%.0f", fontsize="small", padding=1)
    ax.set_xticks(list(pos), [plain(s) for s in table.index])
    ax.set_xlabel("segment")
    ax.set_ylabel("share of the whole run (%)")
    ax.set_ylim(0, 110)
    ax.legend(fontsize="small", loc="upper right")
    ax.grid(alpha=0.3, axis="y")
    return fig


def plot_churn_reasons(result: RunResult) -> Figure:
    """Churned customers by reason (horizontal bars, stacked by segment)."""
    table = churn_reasons(result.customers)
    fig = new_figure(WIDE, "Why customers left: churned customers by reason and segment")
    ax = fig.subplots()
    if table.empty:
        no_data(ax, "churned customers")
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
        ax.set_yticklabels([CHURN_LABELS.get(str(r), str(r)) for r in table.index])
        for y, total, share in zip(pos, table["total"], table["share"], strict=True):
            ax.text(float(total), float(y), f" {int(total)} ({100 * share:.0f} %)", va="center")
        ax.set_xlim(0, 1.2 * float(table["total"].max()))
        ax.legend(title="segment", fontsize="small", loc="lower right")
        ax.grid(alpha=0.3, axis="x")
    ax.set_xlabel("churned customers (count)")
    ax.set_ylabel("reason of the last churn")
    return fig


def _promise(result: RunResult) -> float | None:
    """The service promise in days, read from the manifest's resolved scenario."""
    try:
        value = result.manifest["scenario"]["strategy"]["service"]["promise"]
    except (KeyError, TypeError):
        return None
    return float(value) if value is not None else None


def plot_service(result: RunResult) -> Figure:
    """Service waits (mean, 90th percentile, the promise) and staff utilisation."""
    p = result.periods
    x = months(p)
    fig = new_figure(TALL, "Service: ticket waits (hours) and staff utilisation (%) per period")
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(x, 24.0 * p["wait_mean"], label="mean wait", **series_style(0))
    top.plot(x, 24.0 * p["wait_p90"], label="90th-percentile wait", **series_style(1))
    promise = _promise(result)
    if promise is not None:
        top.axhline(
            24.0 * promise,
            color="black",
            linestyle=":",
            linewidth=1.2,
            label=f"promise ({24.0 * promise:g} h)",
        )
    top.set_ylabel("wait of tickets served (hours)")
    top.set_ylim(bottom=0)
    top.legend(fontsize="small")
    top.grid(alpha=0.3)
    bottom.plot(x, 100.0 * p["utilisation"], label="service staff", **series_style(2))
    bottom.plot(x, 100.0 * p["am_utilisation"], label="account managers", **series_style(3))
    bottom.set_xlabel("months since start")
    bottom.set_ylabel("utilisation (% of staffed time)")
    bottom.set_ylim(0, 105)
    bottom.legend(fontsize="small")
    bottom.grid(alpha=0.3)
    return fig
