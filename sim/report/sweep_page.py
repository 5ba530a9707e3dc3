"""The sweep report: indices, tornado, heatmap and the best lever setting, on one page.

:func:`write_analysis` reads a complete sweep folder and publishes ``DIR/analysis`` whole
(a :class:`~sim.results.folder.ResultFolder`, with its own manifest): the tidy tables
``experiments``, ``outcomes``, ``indices`` and ``best_levers`` as Parquet and CSV, one
PNG per figure, and ``report.html`` in the house style, with every column of every table
explained at the bottom. Every string from the spec is escaped for HTML here and for
matplotlib in :mod:`sim.report.sweep_plots`.
"""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from sim.errors import UserError
from sim.experiments.sweep import (
    COLUMNS,
    SweepFolder,
    SweepSpec,
    best_levers,
    design_points,
    indices,
    outcomes,
    spec_from_plan,
)
from sim.report.stylesheet import page_css
from sim.report.sweep_plots import heatmap, swings, tornado
from sim.results.catalogue import kpi
from sim.results.folder import ResultFolder

__all__ = ["ANALYSIS", "analysis_tables", "write_analysis"]

#: The folder of a sweep that holds its analysis.
ANALYSIS = "analysis"

_CSS = page_css(
    "72rem",
    "th,td{text-align:right}th:first-child,td:first-child{text-align:left}"
    "figure{display:inline-block;margin:.5rem}",
)


def _esc(x: Any) -> str:
    return html.escape(str(x))


def _label(output: str) -> str:
    try:
        entry = kpi(output)
    except LookupError:
        return output
    return f"{entry.label} ({entry.unit})"


def _table(frame: pd.DataFrame, digits: int = 4) -> str:
    def cell(v: Any) -> str:
        return _esc(f"{v:,.{digits}g}" if isinstance(v, float) else v)

    head = "".join(f"<th>{_esc(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


def analysis_tables(folder: str | Path) -> tuple[SweepSpec, dict[str, pd.DataFrame]]:
    """The spec and the tidy tables of a complete sweep folder.

    Raises:
        UserError: the folder holds no sweep, or one that is not complete.
    """
    store = SweepFolder(folder)
    status = store.status()
    if not status.complete:
        raise UserError(
            f"the sweep in {folder} is not complete ({status.runs_done:,} of {status.runs:,} "
            f"runs); finish it with crmsim sweep resume {folder}"
        )
    spec = spec_from_plan(store.plan())
    experiments = store.experiments()
    dataset = store.dataset()
    points = design_points(spec)
    best = [
        best_levers(spec, experiments, dataset, output).assign(output=output)
        for output in spec.outputs
    ]
    return spec, {
        "experiments": experiments,
        "outcomes": outcomes(dataset, spec.outputs),
        "indices": indices(spec, points, dataset),
        "best_levers": pd.concat(best, ignore_index=True),
    }


def write_analysis(folder: str | Path) -> Path:
    """Publish ``DIR/analysis`` (tables, figures, report) and return the report's path."""
    spec, tables = analysis_tables(folder)
    means = tables["outcomes"].pivot_table(
        index="point", columns="output", values="value", aggfunc="mean"
    )
    means = tables["experiments"].set_index("point").join(means).reset_index()
    names = [f.name for f in spec.factors]
    figures: dict[str, Figure] = {}
    for output in spec.outputs:
        slug = re.sub(r"[^A-Za-z0-9_]+", "_", output)
        figures[f"tornado_{slug}"] = tornado(means, names, output, _label(output))
        if len(names) >= 2:
            top = swings(means, names, output)["factor"].tolist()[:2]
            figures[f"heatmap_{slug}"] = heatmap(means, top[0], top[1], output, _label(output))
    images = {name: _png(fig) for name, fig in figures.items()}
    target = Path(folder) / ANALYSIS
    with ResultFolder(target, force=True) as result:
        for name, frame in tables.items():
            frame.to_parquet(result.staging / f"{name}.parquet", index=False)
            frame.to_csv(result.staging / f"{name}.csv", index=False)
        for name, png in images.items():
            (result.staging / f"{name}.png").write_bytes(png)
        page = _page(spec, tables, images)
        (result.staging / "report.html").write_text(page, encoding="utf-8")
        result.publish({"kind": "sweep analysis", "name": spec.name})
    return target / "report.html"


def _page(spec: SweepSpec, tables: dict[str, pd.DataFrame], images: dict[str, bytes]) -> str:
    factors = pd.DataFrame(
        [{"factor": f.name, "path": f.path, "kind": f.kind, "unit": f.unit,
          "values": ", ".join(map(str, f.levels)) if f.levels else f"{f.low:g} to {f.high:g}",
          "scale": f.scale} for f in spec.factors]
    )  # fmt: skip
    runs = len(tables["experiments"]) * spec.replications
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Sweep: {_esc(spec.name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Sweep: {_esc(spec.name)}</h1>",
        f"<p>{_esc(spec.description)}</p>" if spec.description else "",
        f"<p>{_esc(spec.design.kind.replace('_', ' '))} design, {len(tables['experiments']):,} "
        f"points × {spec.replications} replications = {runs:,} runs on the "
        f"{_esc(spec.engine)} engine, base scenario <b>{_esc(spec.base)}</b>. Replication "
        f"<i>r</i> of every point ran on seed key ({spec.seed}, <i>r</i>): common random "
        "numbers, so points differ by their factors, not by luck.</p>",
        "<h2>Factors</h2>",
        _table(factors),
    ]
    if not tables["indices"].empty:
        parts += ["<h2>Sensitivity indices</h2>",
                  "<p>On each point's mean over replications; intervals are SALib's 95 % "
                  "bootstrap intervals over the design's points.</p>",
                  _table(tables["indices"])]  # fmt: skip
    for output in spec.outputs:
        parts.append(f"<h2>{_esc(_label(output))}</h2>")
        for name, png in images.items():
            if name.endswith("_" + re.sub(r"[^A-Za-z0-9_]+", "_", output)):
                data = base64.b64encode(png).decode("ascii")
                parts.append(f"<figure><img alt='{_esc(name)}' src='data:image/png;base64,"
                             f"{data}'></figure>")  # fmt: skip
        best = tables["best_levers"]
        best = best[best["output"] == output].drop(columns=["output"])
        if not best.empty:
            parts += ["<h3>Best lever setting under uncertainty</h3>",
                      "<p>Mean over the worlds every setting met, and regret: how far each "
                      "setting fell short of the best one in the same world.</p>",
                      _table(best)]  # fmt: skip
    parts.append("<h2>Columns of the tables</h2>")
    for table, columns in COLUMNS.items():
        rows = pd.DataFrame({"column": list(columns), "meaning": list(columns.values())})
        parts += [f"<h3>{_esc(table)}</h3>", _table(rows)]
    parts.append("</body></html>")
    return "".join(parts)
