"""Lesson figures: pictures a report shows only when the run or comparison has their lesson in it.

Two lessons need a picture the general report does not draw. A subscription business sees
its renewal rate rise with tenure (:func:`plot_renewals`, in the run report of every
contractual run, beside the cohort retention it explains); a staffing decision sets the
salary saved against the waits and customers it costs (:func:`plot_salary`, on the
comparison page whenever the arms' desks differ). Which figures apply is read from the data,
never from a lesson's name, so any scenario with the same shape gets them. They share the
canvas and palette of :mod:`sim.report.plots`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from sim.i18n import DEFAULT_LANG, catalogue
from sim.report.canvas import TALL, new_figure, no_data, thousands
from sim.report.palette import COLOURS, HATCHES, series_style
from sim.report.plots import FIGURES, Drawing
from sim.report.renewals import MIN_DUE, contract_terms, drawn, renewals_of
from sim.report.staffing import SERVICE_METRICS, money_text, staff_words
from sim.report.wording import duration_text, plain

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from sim.results.run_result import RunResult

__all__ = ["RUN_FIGURES", "LessonFigure", "plot_renewals", "plot_salary", "run_figures"]


def plot_renewals(result: RunResult, lang: str = DEFAULT_LANG) -> Figure:
    """Renewal rate by tenure with 95 % intervals, the sBG expectation, and the customers due."""
    words = catalogue(lang)
    table = renewals_of(result)
    fig = new_figure(TALL, words("report.fig.renewals.title"))
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    shown = drawn(table) if table is not None else None
    terms = contract_terms(result)
    every = (
        duration_text(terms[0], lang) if terms is not None else words("report.fig.renewals.period")
    )
    bottom.set_xlabel(words("report.fig.renewals.x", every=every))
    top.set_ylabel(words("report.fig.renewals.y"))
    bottom.set_ylabel(words("report.fig.renewals.due"))
    if shown is None or shown.empty:
        no_data(top, words("report.fig.renewals.none", min_due=MIN_DUE), lang)
        return fig
    t = shown["renewal"].to_numpy()
    rate = 100.0 * shown["rate"].to_numpy(dtype=float)
    low = 100.0 * shown["low"].to_numpy(dtype=float)
    high = 100.0 * shown["high"].to_numpy(dtype=float)
    style = series_style(0)
    top.errorbar(
        t, rate, yerr=[rate - low, high - rate], fmt=style["marker"], color=style["color"],
        markersize=4, capsize=2, linewidth=0.9, label=words("report.fig.renewals.observed"),
    )  # fmt: skip
    expected = 100.0 * shown["sbg"].to_numpy(dtype=float)
    if np.isfinite(expected).all():
        top.plot(
            t, expected, color="black", linestyle="--", linewidth=1.2,
            label=words("report.fig.renewals.sbg"),
        )  # fmt: skip
    floor = float(np.nanmin(np.concatenate([low, expected])))  # the sBG line may run lower
    top.set_ylim(max(0.0, floor - 3.0), 100.5)
    top.grid(alpha=0.3)
    top.legend(fontsize="small", loc="lower right")
    bottom.bar(
        t, shown["due"].to_numpy(), width=0.8, color=COLOURS[5], hatch=HATCHES[1],
        edgecolor="black", linewidth=0.4,
    )  # fmt: skip
    bottom.set_ylim(bottom=0)
    bottom.grid(alpha=0.3, axis="y")
    thousands(bottom)
    return fig


def plot_salary(
    table: pd.DataFrame, baseline: str, currency: str = "", promise: float | None = None
) -> Figure:
    """Desk salary per arm beside its mean wait, customers at the end and discounted profit.

    Args:
        table: :func:`sim.report.staffing.salary_table`.
        baseline: the arm the others are compared with (marked "reference" on its tick).
        currency: the symbol in front of money on the axis labels.
        promise: the service promise in days (a dotted line on the wait panel), if any.
    """
    money = f"money{f' ({currency})' if currency else ''}"
    fig = new_figure(
        TALL, f"Desk salary against service and customers: per arm ({money}, hours, customers)"
    )
    axes = fig.subplots(2, 2, sharex=True).ravel()
    pos = np.arange(len(table))
    ticks = [
        f"{plain(a)}{' (reference)' if a == baseline else ''}\n{staff_words(float(s))}"
        for a, s in zip(table["arm"], table["staff"], strict=True)
    ]
    salary = axes[0]
    bars = salary.bar(
        pos, table["salary"].to_numpy(dtype=float), width=0.6, edgecolor="black", linewidth=0.5,
        color=[COLOURS[i % len(COLOURS)] for i in pos],
    )  # fmt: skip
    for i, bar in enumerate(bars):
        bar.set_hatch(HATCHES[i % len(HATCHES)])
    salary.bar_label(bars, labels=[money_text(v, currency) for v in table["salary"]],
                     fontsize="small", padding=1)  # fmt: skip
    salary.set_ylabel(f"desk salary over the run, {money}")
    salary.margins(y=0.15)
    thousands(salary)
    panels = {
        "mean_wait": ("mean wait of a ticket (hours)", 24.0),
        "active_end": ("customers active at the end", 1.0),
        "discounted_profit": (f"discounted profit (NPV), {money}", 1.0),
    }
    for ax, metric in zip(axes[1:], SERVICE_METRICS, strict=True):
        label, scale = panels[metric]
        ax.set_ylabel(label)
        if metric not in table.columns:
            no_data(ax, metric)
            continue
        _means(ax, table, metric, scale)
        if metric == "mean_wait" and promise is not None:
            ax.axhline(24.0 * promise, color="black", linestyle=":", linewidth=1.2,
                       label=f"promise ({24.0 * promise:g} h)")  # fmt: skip
            ax.legend(fontsize="small", loc="upper left")
        if metric != "mean_wait":
            thousands(ax)
    for ax in axes:
        ax.grid(alpha=0.3, axis="y")
    for ax in axes[2:]:
        ax.set_xticks(list(pos), ticks, fontsize="small")
        ax.set_xlabel("arm (agents at the desk)")
    return fig


def _means(ax: Axes, table: pd.DataFrame, metric: str, scale: float) -> None:
    """Each arm's mean of ``metric`` with its 95 % interval, one marker style per arm."""
    for i, row in enumerate(table.to_dict("records")):
        mean, low, high = (scale * float(row[k]) for k in (metric, f"{metric}_low",
                                                             f"{metric}_high"))  # fmt: skip
        style = series_style(i)
        err = [[mean - low], [high - mean]] if math.isfinite(low) else None
        ax.errorbar([i], [mean], yerr=err, fmt=style["marker"], color=style["color"],
                    markersize=6, capsize=4)  # fmt: skip
    ax.margins(x=0.3, y=0.15)


@dataclass(frozen=True)
class LessonFigure:
    """A run-report figure that only some runs can draw.

    Attributes:
        after: the key of :data:`sim.report.plots.FIGURES` it is shown after (its neighbour
            in meaning).
        applies: whether the run has what the figure shows.
        make: the figure.
    """

    after: str
    applies: Callable[[RunResult], bool]
    make: Drawing


def _contractual(result: RunResult) -> bool:
    return contract_terms(result) is not None


#: The run report's lesson figures by key (also the PNG file's stem); captions are in
#: :data:`sim.report.captions.CAPTIONS` under the same key.
RUN_FIGURES: dict[str, LessonFigure] = {
    "renewals": LessonFigure("retention", _contractual, plot_renewals),
}


def run_figures(result: RunResult) -> dict[str, Drawing]:
    """The run report's figures in reading order, keyed like the registries.

    :data:`~sim.report.plots.FIGURES`, with each lesson figure that applies to ``result``
    placed after its neighbour.
    """
    out: dict[str, Drawing] = {}
    for key, make in FIGURES.items():
        out[key] = make
        for extra, figure in RUN_FIGURES.items():
            if figure.after == key and figure.applies(result):
                out[extra] = figure.make
    return out
