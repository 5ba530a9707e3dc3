"""Canvas: the frame every report figure shares — size, title, time axis, number format.

The figures of :mod:`sim.report.plots` and :mod:`sim.report.breakdowns` are drawn on the
same canvas: two sizes, a title that names what is plotted and its unit, months since the
start on the time axis, money with thousands separators, and the competitor's promotion
windows shaded wherever time runs along the axis, so that a price war's wave of churn sits
visibly inside its cause.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from agents.units import DAYS_PER_MONTH
from sim.i18n import DEFAULT_LANG, text

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from sim.results.run_result import RunResult

__all__ = ["TALL", "WIDE", "months", "new_figure", "no_data", "shade_promotions", "thousands"]

#: Figure sizes in inches: one panel, and two stacked panels.
WIDE = (9.0, 4.8)
TALL = (9.0, 7.0)


def months(periods: pd.DataFrame) -> np.ndarray:
    """Period ends as months since the start of the run (the figures' time axis)."""
    return periods["end"].to_numpy(dtype=float) / DAYS_PER_MONTH


def new_figure(size: tuple[float, float], title: str) -> Figure:
    """An empty figure of ``size`` with its title, laid out so nothing overlaps."""
    fig = Figure(figsize=size, layout="constrained")
    fig.suptitle(title)
    return fig


def thousands(ax: Axes) -> None:
    """Plain numbers with thousands separators on the y axis (no ``1e6`` offset)."""
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def no_data(ax: Axes, what: str = "", lang: str = DEFAULT_LANG, *, message: str = "") -> None:
    """Say on an empty panel that the run has nothing of ``what`` (already in ``lang``).

    ``message`` replaces the whole sentence where ``what`` would not read well in it.
    """
    words = message or text("report.no_data", lang, what=what)
    ax.text(0.5, 0.5, words, ha="center", va="center", transform=ax.transAxes)


def shade_promotions(
    ax: Axes, result: RunResult, label: bool = True, lang: str = DEFAULT_LANG
) -> None:
    """Shade each competitor promotion of the run's scenario on a months-since-start axis."""
    try:
        promotions = result.manifest["scenario"]["market"]["promotions"] or []
    except (KeyError, TypeError):
        return
    for k, promo in enumerate(promotions):
        start = float(promo["start"]) / DAYS_PER_MONTH
        end = start + float(promo["duration"]) / DAYS_PER_MONTH
        name = text("report.promotion", lang) if label and k == 0 else None
        ax.axvspan(start, end, color="#999999", alpha=0.18, linewidth=0, label=name)
