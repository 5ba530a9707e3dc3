"""Sweep figures: a tornado of what moves an output, and a two-factor response heatmap.

Both work on any design, because both read only the points' means and the factors' values:

* the **tornado** shows, per factor, how far the output's mean moves across the factor's
  levels (a categorical factor's levels, or a numeric factor's values cut into thirds):
  the bar runs from the lowest to the highest group mean, factors sorted by the bar's
  length, the overall mean marked. Wide bars are the factors that matter; a Sobol or Morris
  sweep's indices say the same with intervals;
* the **heatmap** shows the output's mean over a grid of two factors (each in at most six
  groups), each cell labelled with its value and coloured on a colour-blind safe scale.

Names come from the spec, so every label passes through :func:`sim.report.wording.plain`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.report.canvas import WIDE, new_figure
from sim.report.palette import COLOURS
from sim.report.wording import plain

__all__ = ["groups", "heatmap", "swings", "tornado"]

#: Groups a numeric factor is cut into for the tornado (thirds: low, middle, high).
TORNADO_GROUPS = 3
#: Groups per axis of the heatmap at most.
HEATMAP_GROUPS = 6


def groups(values: pd.Series, count: int) -> pd.Series:
    """The group label of each value: itself for few distinct values, else a quantile bin."""
    if values.nunique() <= count or not pd.api.types.is_numeric_dtype(values):
        return values.astype(str) if not pd.api.types.is_numeric_dtype(values) else values
    binned = pd.qcut(values.rank(method="first"), count, labels=False)
    edges = values.groupby(binned).agg(["min", "max"])
    names = {k: f"{lo:.3g}–{hi:.3g}" for k, (lo, hi) in edges.iterrows()}
    return binned.map(names)


def swings(means: pd.DataFrame, factors: list[str], output: str) -> pd.DataFrame:
    """Per factor: the lowest and highest group mean of ``output``, widest first."""
    rows = []
    for name in factors:
        by = means.groupby(groups(means[name], TORNADO_GROUPS), sort=True)[output].mean()
        rows.append({"factor": name, "low": float(by.min()), "high": float(by.max())})
    frame = pd.DataFrame(rows, columns=["factor", "low", "high"])
    frame["swing"] = frame["high"] - frame["low"]
    return frame.sort_values("swing", ascending=False, ignore_index=True)


def tornado(means: pd.DataFrame, factors: list[str], output: str, label: str) -> Figure:
    """The tornado figure of ``output`` (``label``: its name and unit for the title)."""
    table = swings(means, factors, output).iloc[::-1]
    fig = new_figure((WIDE[0], max(2.5, 0.45 * len(table) + 1.5)), plain(f"What moves {label}"))
    ax = fig.subplots()
    ax.barh(
        [plain(f) for f in table["factor"]], table["swing"], left=table["low"],
        color=COLOURS[0], edgecolor="black", hatch="//",
    )  # fmt: skip
    overall = float(means[output].mean())
    ax.axvline(overall, color="black", linestyle="--", label=f"overall mean {overall:,.3g}")
    ax.set_xlabel(plain(f"{label}: range of group means across each factor's levels"))
    ax.legend(loc="lower right", frameon=False)
    return fig


def heatmap(means: pd.DataFrame, x: str, y: str, output: str, label: str) -> Figure:
    """Mean ``output`` over the grid of factors ``x`` and ``y``."""
    frame = means.assign(_x=groups(means[x], HEATMAP_GROUPS), _y=groups(means[y], HEATMAP_GROUPS))
    grid = frame.pivot_table(index="_y", columns="_x", values=output, aggfunc="mean")
    fig = new_figure(WIDE, plain(f"{label} over {x} and {y}"))
    ax = fig.subplots()
    image = ax.imshow(grid.to_numpy(dtype=float), cmap="cividis", aspect="auto", origin="lower")
    ax.set_xticks(range(grid.shape[1]), [plain(c) for c in grid.columns], rotation=30)
    ax.set_yticks(range(grid.shape[0]), [plain(r) for r in grid.index])
    ax.set_xlabel(plain(x))
    ax.set_ylabel(plain(y))
    values = grid.to_numpy(dtype=float)
    middle = np.nanmean(values) if np.isfinite(values).any() else 0.0
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, f"{v:,.3g}", ha="center", va="center",
                    color="white" if v < middle else "black", fontsize=8)  # fmt: skip
    fig.colorbar(image, ax=ax, label=plain(label))
    return fig
