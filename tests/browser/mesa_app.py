"""Mesa's own SolaraViz over ``CRMModel``: the page ``test_mesa_viz.py`` serves and clicks.

docs/ARCHITECTURE says Mesa's visualisation drives ``CRMModel`` unchanged; this app is that
claim in its plainest form: ``mesa.visualization.SolaraViz`` with Mesa's Step/Reset
controls, Mesa's matplotlib plot of two DataCollector reporters, and nothing of ours in
between. The plot is Mesa's matplotlib backend because it reaches the page as a PNG; the
Altair backend renders through vega-embed, which Solara loads from the CDN (not in the
offline asset cache). SolaraViz lays its components out with ``solara.GridDraggable``,
whose ``@widgetti/vue-grid-layout`` script must be in that cache, or nothing but the
sidebar renders.

A plot is a picture, so the page also shows the reporters' values as text (:func:`Readout`,
a plain ``(model) -> component`` function, the kind SolaraViz re-renders after each step):
the test reads them and compares them with the same model run outside the browser.
"""

from __future__ import annotations

from typing import Any

import solara
from mesa.visualization import SolaraViz, make_plot_component

from sim.agent_engine.model import CRMModel
from sim.scenario.spec import Scenario, load_scenario

#: The root seed of the page's model (and of the test's run outside the browser).
SEED = 20240611

#: The reporters Mesa plots (``CRMModel``'s DataCollector columns; counts, on one scale).
PLOTTED = ("active", "churned")

#: The reporters the page prints as text: the plotted ones and two money columns, whose
#: cents show any difference between the page's run and the run outside the browser.
READ = (*PLOTTED, "revenue", "profit")


def scenario() -> Scenario:
    """Baseline scaled to a classroom demo: about 200 customers over one year (12 periods)."""
    return load_scenario("baseline", {"population.initial": 200, "horizon": "1y"})


def readout_line(df: Any) -> str:
    """What :func:`Readout` prints for a DataCollector table; the test builds the same line.

    Every period of each measure, as ``repr``: the page's numbers must equal those of the
    run outside the browser to the last bit.
    """
    series = " ".join(f"{m}=" + ",".join(repr(float(v)) for v in df[m]) for m in READ)
    return f"readout periods={len(df)} {series}".rstrip()


def Readout(model: CRMModel) -> Any:
    """The DataCollector's columns :data:`READ`, every period, as one line of text."""
    df = model.datacollector.get_model_vars_dataframe()
    if df.empty:
        return solara.Text("readout periods=0")
    return solara.Text(readout_line(df))


@solara.component
def Page() -> None:
    """Mesa's SolaraViz; the model is built once per browser session, not per module import.

    ``model_params`` carry the scenario and seed as fixed values, so Mesa's Reset rebuilds
    this same small world (with none, it would build ``CRMModel()``: the full baseline).
    """
    params: dict[str, Any] = solara.use_memo(lambda: {"scenario": scenario(), "seed": SEED}, [])
    model = solara.use_memo(lambda: CRMModel(**params), [])
    SolaraViz(
        model,
        components=[make_plot_component(list(PLOTTED)), Readout],
        model_params=params,
        name="CRMModel in Mesa's SolaraViz",
    )
