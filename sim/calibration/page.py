"""The calibration report: does the calibrated world look like the customers it came from?

One self-contained ``calibration.html`` (figures embedded, and saved beside it as PNG): the
fitted values with their standard errors and sources, the holdout error as a number, and
three figures drawn on the report's canvas and palette (:mod:`sim.report.canvas`,
:mod:`sim.report.palette`) so that they survive a black-and-white photocopy:

* the tracking chart, cumulative repeat purchases week by week, observed against the
  model's forecast and the simulated world, with the calibration window and the holdout
  marked;
* the distribution of repeat purchases per customer in the calibration window;
* the retention curve, observed against simulated.

This module draws what :mod:`sim.calibration.tracking` computed; it sits with the report
layer (it imports :mod:`sim.report`), above the rest of the package.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.calibration.views import CalibrationPage
from sim.report.canvas import WIDE, new_figure, no_data, thousands
from sim.report.palette import COLOURS, HATCHES, series_style
from sim.report.stylesheet import page_css
from sim.results.run_result import atomic_write_bytes

__all__ = ["PAGE", "write_page"]

PAGE = "calibration.html"
_CSS = page_css()


def _tracking_figure(table: pd.DataFrame) -> Figure:
    fig = new_figure(WIDE, "Cumulative repeat purchases by week: observed, forecast, simulated")
    ax = fig.subplots()
    for i, (col, label) in enumerate(
        (("observed", "observed"), ("expected", "model forecast"), ("simulated", "simulated world"))
    ):
        if table[col].notna().any():
            style = {**series_style(i), "marker": None}
            ax.plot(table["week"], table[col], label=label, **style)
    cal = table.loc[table["phase"] == "calibration", "week"]
    if len(cal) and len(cal) < len(table):
        ax.axvspan(
            float(cal.max()),
            float(table["week"].max()),
            color="#999999",
            alpha=0.15,
            linewidth=0,
            label="holdout",
        )
    ax.set_xlabel("weeks since the first purchase in the data")
    ax.set_ylabel("repeat purchases (cumulative)")
    thousands(ax)
    ax.legend(loc="upper left")
    return fig


def _repeats_figure(table: pd.DataFrame) -> Figure:
    fig = new_figure(WIDE, "Customers by repeat purchases in the calibration window")
    ax = fig.subplots()
    x = table["repeat_purchases"].to_numpy(dtype=float)
    labels = [str(int(v)) for v in x[:-1]] + [f"{int(x[-1])}+"]
    for i, col in enumerate(("observed", "simulated")):
        if table[col].notna().any():
            ax.bar(
                x + (i - 0.5) * 0.4,
                table[col],
                width=0.4,
                label=col,
                color=COLOURS[i],
                hatch=HATCHES[i],
                edgecolor="black",
                linewidth=0.5,
            )
    ax.set_xticks(x, labels)
    ax.set_xlabel("repeat purchases")
    ax.set_ylabel("customers")
    thousands(ax)
    ax.legend()
    return fig


def _retention_figure(table: pd.DataFrame | None, what: str) -> Figure:
    fig = new_figure(WIDE, f"Retention: share of the cohort {what} (%)")
    ax = fig.subplots()
    if table is None or table.empty:
        no_data(ax, "retention data")
        return fig
    for i, col in enumerate(("observed", "simulated")):
        if table[col].notna().any():
            ax.plot(table["period"], 100.0 * table[col], label=col, **series_style(i))
    ax.set_xlabel(str(table.attrs.get("unit", "period")))
    ax.set_ylabel("% of the cohort")
    ax.legend()
    return fig


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def write_page(folder: Path, page: CalibrationPage) -> Path:
    """Write ``calibration.html`` and its figures' PNGs into ``folder``; return the page's path."""
    folder.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Figure] = {}
    if page.tracking is not None:
        figures["tracking"] = _tracking_figure(page.tracking)
    if page.repeats is not None:
        figures["repeat_purchases"] = _repeats_figure(page.repeats)
    what = "still seen buying" if page.tracking is not None else "still subscribed"
    figures["retention"] = _retention_figure(page.retention, what)
    rows = "".join(
        f"<tr><td><code>{_e(e.path)}</code></td>"
        f"<td class=num>{e.value:.4g}{'d' if e.days else ''}</td>"
        f"<td class=num>{e.se:.3g}</td><td>{_e(e.model)}</td><td>{_e(e.source)}</td></tr>"
        for e in page.estimates
    )
    parts = [
        f"<!doctype html><html><head><meta charset=utf-8><title>{_e(page.title)}</title>",
        f"<style>{_CSS}</style></head><body><h1>Calibration: {_e(page.title)}</h1>",
        f"<p>Fitted to {_e(page.data)}.</p><h2>Fitted values</h2>",
        "<table><tr><th>field</th><th>value</th><th>s.e.</th><th>model</th><th>data</th></tr>",
        rows,
        "</table>",
        *(f"<p class=note>{_e(n)}</p>" for n in page.notes),
    ]
    if page.holdout is not None:
        h = page.holdout
        sim = "" if np.isnan(h.simulated) else f"; the simulated world made {h.simulated:,.0f}"
        parts.append(
            f"<h2>Holdout</h2><p>At week {h.week:.0f} the model forecasts {h.forecast:,.0f} "
            f"cumulative repeat purchases against {h.actual:,.0f} observed: an error of "
            f"{h.error:+,.0f} ({h.relative:+.1%}){sim}.</p>"
        )
    parts.append("<h2>Observed and simulated</h2>")
    for name, fig in figures.items():
        png = _png(fig)
        atomic_write_bytes(folder / f"{name}.png", png)
        data = base64.b64encode(png).decode("ascii")
        parts.append(f"<figure><img alt='{name}' src='data:image/png;base64,{data}'></figure>")
    parts.append("</body></html>")
    target = folder / PAGE
    atomic_write_bytes(target, "\n".join(parts).encode("utf-8"))
    return target
