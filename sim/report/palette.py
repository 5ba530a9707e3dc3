"""Palette: the print-safe colours, line styles, markers and hatches every figure's series use.

A report figure is photocopied in black and white for a class, and some readers cannot tell
red from green, so no two series may differ by colour alone. The colours are the Okabe–Ito
palette (safe for colour-blind readers), and the n-th series also takes the n-th line style,
marker or hatch. The helpers below apply that rule once, for lines, stacked areas and
percentile bands, so that every figure of :mod:`sim.report.plots` follows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.i18n import text

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "COLOURS",
    "HATCHES",
    "LINESTYLES",
    "MARKERS",
    "percentile_band",
    "series_style",
    "stacked_areas",
]

#: Okabe–Ito colours, then line styles, markers and hatches: the n-th series uses the n-th of
#: each, so two series never differ by colour alone.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
LINESTYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "x", "P", "*")
HATCHES = ("", "//", "..", "xx", "\\\\", "++", "oo", "--", "**", "||", "OO", "/.", "x.", "+/")


def series_style(i: int) -> dict[str, Any]:
    """Colour, line style and marker of the ``i``-th line series.

    Colour and marker cycle together; the line style shifts by one after each full cycle,
    so the first 32 series differ in line style or marker even when printed in grey.
    """
    lap = i // len(MARKERS)
    return {
        "color": COLOURS[i % len(COLOURS)],
        "linestyle": LINESTYLES[(i + lap) % len(LINESTYLES)],
        "marker": MARKERS[i % len(MARKERS)],
        "markersize": 4,
    }


def stacked_areas(ax: Axes, x: np.ndarray, frame: pd.DataFrame, labels: Sequence[str]) -> None:
    """Stacked areas with a distinct hatch per layer (readable without colour)."""
    ys = [frame[c].fillna(0.0).to_numpy(dtype=float) for c in frame.columns]
    polys = ax.stackplot(
        x,
        *ys,
        labels=list(labels),
        colors=[COLOURS[i % len(COLOURS)] for i in range(len(ys))],
        alpha=0.75,
        edgecolor="black",
        linewidth=0.5,
    )
    for i, poly in enumerate(polys):
        poly.set_hatch(HATCHES[i % len(HATCHES)])


def percentile_band(
    ax: Axes, x: np.ndarray, p: pd.DataFrame, stem: str, label: str, i: int, lang: str = "en"
) -> None:
    """A series' median as a line over its 10th–90th percentile band, hatched for print.

    Reads the columns ``{stem}_p10``, ``{stem}_p50`` and ``{stem}_p90`` of ``p``; the band
    takes the ``i``-th series style and the hatch after it, so two bands on one axes differ
    in grey as well as in colour.
    """
    style = series_style(i)
    ax.fill_between(
        x,
        p[f"{stem}_p10"],
        p[f"{stem}_p90"],
        facecolor=style["color"],
        alpha=0.2,
        hatch=HATCHES[i + 1],
        edgecolor=style["color"],
        label=text("report.band.range", lang, label=label),
    )
    ax.plot(x, p[f"{stem}_p50"], label=text("report.band.median", lang, label=label), **style)
