"""The classroom's pages: Jinja templates, escaping, and what a round's result looks like.

Every page is a template under ``sim/classroom/templates/`` rendered with ``autoescape``
on, so a team named ``<script>`` is shown as those characters, never run. Data a page's
script needs (the ECharts options of the charts) travels in a ``<script
type="application/json">`` block written by :func:`json_script`, which escapes ``<``,
``>`` and ``&`` inside the JSON so no string in it can close the block; the script reads
it with ``JSON.parse``. Every word comes from the message catalogue in the page's language,
a refusal's too: a problem that carries its catalogue key (:mod:`sim.classroom.said`) is
written in the page's language by the ``words`` filter, a plain one as it was written.

A team's result entry (:func:`sim.classroom.world.simulate`) is rendered generically:
whatever KPIs it holds become rows (labels from the catalogue, values in the units the
reports use), and its ``periods`` rows are turned into the dashboard's own chart options
(:mod:`sim.dashboard.charts`), so a team sees its world drawn as the live dashboard draws it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

from sim.classroom import said
from sim.dashboard.charts import CHARTS, Option
from sim.dashboard.views import build_views
from sim.errors import Problem
from sim.i18n import LANGS, catalogue
from sim.i18n.catalogue import LANGUAGE_NAMES, Catalogue
from sim.results.catalogue import kpi, kpi_unit
from sim.results.display import number, reading, value_text

__all__ = [
    "CHART_VIEWS",
    "chart_options",
    "json_script",
    "kpi_label",
    "kpi_rows",
    "problems_of",
    "render",
    "shown_value",
]

#: The dashboard views a team's periods table is enough to draw, in page order.
CHART_VIEWS = ("profit", "flows", "ladder", "service", "costs", "churn")

#: KPIs of the classroom world that are shares (read in percent), not in the KPI catalogue.
_SHARES = frozenset({"retention"})
_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
                 0x2028: "\\u2028", 0x2029: "\\u2029"}  # fmt: skip


def json_script(value: Any, element_id: str) -> Markup:
    """``value`` as JSON inside a ``<script type="application/json">`` block, safely.

    NaN and infinities become ``null`` (a browser's JSON.parse refuses them).
    """
    text = json.dumps(_finite(value), ensure_ascii=False, allow_nan=False).translate(_JSON_ESCAPES)
    return Markup('<script type="application/json" id="{}">{}</script>').format(
        escape(element_id), Markup(text)
    )


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


_ENV = Environment(
    loader=PackageLoader("sim.classroom", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["json_script"] = json_script
_ENV.filters["words"] = lambda problem, t: said.words(problem, t.lang)


def render(
    template: str, lang: str, status: int = 200, headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:  # fmt: skip
    """The page ``template`` in ``lang``, with ``t`` (the catalogue) and the language switch."""
    page = _ENV.get_template(template).render(
        t=catalogue(lang), lang=lang, langs=[(k, LANGUAGE_NAMES[k]) for k in LANGS], **context
    )
    out = HTMLResponse(page, status_code=status, headers=dict(headers or {}))
    # Pages hold codes, tokens and a team's own results: never keep them in a cache.
    out.headers["Cache-Control"] = "no-store"
    out.headers["X-Content-Type-Options"] = "nosniff"
    out.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
    )
    return out


def kpi_label(name: str, t: Catalogue) -> str:
    """The KPI's label from the catalogue, tried in order: its own key, a money word, ours."""
    for key in (f"kpi.{name}", f"money.{name}", f"classroom.kpi.{name}"):
        if t.has(key):
            words = t(key)
            return words[:1].upper() + words[1:]  # "revenue", a word in a sentence, as a label
    return name


def shown_value(name: str, value: object) -> str:
    """A KPI value as the reports write it: percent for shares, hours for waits, ``n/a``."""
    if value is None or not isinstance(value, int | float) or isinstance(value, bool):
        return number(float("nan"))
    if name in _SHARES:
        return number(float(value) * 100.0) + " %"
    try:
        kpi(name)
    except LookupError:
        return number(float(value))
    return value_text(name, float(value), bare=True)  # the unit, translated, is in the label


def _unit_label(name: str, t: Catalogue) -> str:
    """The KPI's label, with its unit in the page's language when the number has none."""
    label = kpi_label(name, t)
    try:
        entry = kpi(name)
    except LookupError:
        return label
    if entry.share or reading(name).money:
        return label  # a share carries its %, money needs no word
    return f"{label} ({kpi_unit(name, t.lang)})"


def kpi_rows(entry: Mapping[str, Any], t: Catalogue) -> list[tuple[str, str, str]]:
    """``(label, this round, to date)`` per KPI of a team's result entry (``round`` left out)."""
    now: Mapping[str, Any] = entry.get("kpis") or {}
    total: Mapping[str, Any] = entry.get("cumulative") or {}
    names = [n for n in dict.fromkeys([*now, *total]) if n != "round"]
    return [
        (_unit_label(n, t), shown_value(n, now.get(n)), shown_value(n, total.get(n))) for n in names
    ]


def chart_options(periods: Iterable[Mapping[str, Any]], lang: str) -> list[tuple[str, Option]]:
    """The dashboard's chart options for a team's periods rows, ``(view, option)`` each.

    Only views the periods table alone can draw; none when the rows lack their columns.
    """
    table = pd.DataFrame(list(periods))
    if table.empty:
        return []
    no_ledger = {"period": np.zeros(0), "reason": np.zeros(0), "count": np.zeros(0),
                 "amount": np.zeros(0)}  # fmt: skip
    try:
        views = build_views(table, pd.DataFrame(), np.zeros(0), no_ledger)
    except KeyError:  # rows of another shape: the KPI table still says everything
        return []
    return [(view, CHARTS[view](views, lang)) for view in CHART_VIEWS]


def problems_of(err: Exception) -> list[Problem]:
    """The problems of a refused input, one per field (:func:`sim.classroom.said.problems_of`)."""
    return said.problems_of(err)
