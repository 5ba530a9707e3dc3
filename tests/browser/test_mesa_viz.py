"""Mesa's own visualisation drives ``CRMModel`` unchanged, offline, on our pinned stack.

docs/ARCHITECTURE claims that Mesa's step counter is only a period index, so Mesa's
``SolaraViz`` drives ``CRMModel`` as it is; the issue adds that Mesa 3.3's SolaraViz crashes
with ipyvuetify 3 / ipyvue 3, so those are pinned. Here :mod:`tests.browser.mesa_app` (Mesa's
``SolaraViz``, Mesa's Step and Reset buttons, Mesa's matplotlib plot) is served by our own
server with no route out; the test presses Step and reads what the page shows: Mesa's
"Step: N", the plot, and the DataCollector's values, which must equal the same model run
here for as many periods on the same seed. The non-browser tests check that the installed
widget libraries satisfy pyproject's pins and that pyproject brings what
``mesa.visualization`` imports.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import re
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from packaging.requirements import Requirement

pytestmark = [
    pytest.mark.xdist_group("browser"),
    # Mesa 3.3's ComponentsView calls use_state after an early return; Solara says so on
    # import. Mesa's code, not ours, and harmless here: the component list never changes.
    pytest.mark.filterwarnings("ignore:.*found despite early return:UserWarning"),
]

HERE = Path(__file__).resolve().parent
PYPROJECT = HERE.parents[1] / "pyproject.toml"

#: Presses of Mesa's Step button: one period each (the render interval stays at 1).
STEPS = 3

#: The widget libraries whose major version Mesa 3.3's SolaraViz depends on.
PINNED = ("ipyvuetify", "ipyvue")


def browser_conftest(config: pytest.Config) -> ModuleType:
    """This folder's conftest module, for its server helpers.

    Without ``__init__.py`` files it has no importable name (``import conftest`` finds
    whichever conftest pytest loaded last), so it is taken from pytest's registered plugins.
    """
    path = str(HERE / "conftest.py")
    for plugin in config.pluginmanager.get_plugins():
        if isinstance(plugin, ModuleType) and getattr(plugin, "__file__", None) == path:
            return plugin
    raise LookupError(f"{path} is not loaded")


@pytest.fixture(scope="module")
def mesa_server(
    request: pytest.FixtureRequest, offline_env: Callable[..., dict[str, str]]
) -> Iterator[str]:
    """``mesa_app`` served by ``sim.dashboard.server.serve`` offline; yields its base URL."""
    from sim.dashboard import assets

    if assets.missing():  # as dashboard_server: the server itself cannot fetch them
        assets.fill()
    helpers = browser_conftest(request.config)
    port = helpers.free_port()
    code = (
        "from sim.dashboard.server import serve\n"
        f"serve(port={port}, open_browser=False, app='tests.browser.mesa_app')\n"
    )
    served = helpers.start_server(
        code, port, helpers.ARTIFACTS / "mesa-server.log", env=offline_env()
    )
    yield served.url
    helpers.stop(served.process)


def outside_readout(steps: int) -> str:
    """The readout line of ``mesa_app``'s model stepped ``steps`` times in this process."""
    from browser import mesa_app  # tests/ is on sys.path (tests/conftest.py)

    from sim.agent_engine.model import CRMModel

    model = CRMModel(scenario=mesa_app.scenario(), seed=mesa_app.SEED)
    for _ in range(steps):
        model.step()
    assert model.steps == steps
    return mesa_app.readout_line(model.datacollector.get_model_vars_dataframe())


def plot_source(page: Any) -> str:
    """The address of Mesa's matplotlib plot (a PNG, as a data: or blob: URL)."""
    image = page.locator(".v-application img").first
    image.wait_for(state="visible", timeout=30_000)
    return str(image.get_attribute("src") or "")


def press_step(page: Any, expect: int) -> None:
    """Press Mesa's Step once and wait until Mesa's counter says ``Step: expect``."""
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text(f"Step: {expect}", exact=True).wait_for(timeout=30_000)


def test_mesa_solaraviz_steps_crmmodel_offline(
    mesa_server: str, page: Any, traffic: Any, shot: Callable[[Any, str], Path]
) -> None:
    page.goto(mesa_server + "/")
    page.get_by_text("Step: 0", exact=True).wait_for(timeout=60_000)
    readout = page.get_by_text(re.compile(r"^readout periods="))
    try:  # Mesa's components sit in a GridDraggable, whose script comes from the cache
        readout.wait_for(timeout=20_000)
    except Exception:
        traffic.settle(page)
        traffic.assert_offline()  # names the asset that failed, if one did
        raise
    assert readout.inner_text() == "readout periods=0"
    before = plot_source(page)

    for k in range(1, STEPS + 1):
        press_step(page, k)
    expected = outside_readout(STEPS)
    page.get_by_text(expected, exact=True).wait_for(timeout=10_000)
    # the plot was redrawn from the three periods collected (Mesa re-renders it per step)
    assert plot_source(page) != before, "Mesa's plot was not redrawn"
    assert page.get_by_text(re.compile("^error in")).count() == 0  # Mesa's step errors

    traffic.settle(page)
    shot(page, "mesa-solaraviz")
    traffic.assert_offline()

    # Reset rebuilds the model from model_params: the same small world, the same numbers
    page.get_by_role("button", name="Reset", exact=True).click()
    page.get_by_text("Step: 0", exact=True).wait_for(timeout=30_000)
    press_step(page, 1)
    page.get_by_text(outside_readout(1), exact=True).wait_for(timeout=10_000)
    traffic.settle(page)
    traffic.assert_offline()


def declared() -> dict[str, Requirement]:
    """pyproject's runtime dependencies, by normalised name."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    reqs = (Requirement(line) for line in project["dependencies"])
    return {r.name.lower().replace("_", "-"): r for r in reqs}


@pytest.mark.parametrize("name", PINNED)
def test_installed_widget_libraries_satisfy_the_pins(name: str) -> None:
    requirement = declared()[name]
    installed = importlib.metadata.version(name)
    assert requirement.specifier, f"pyproject does not pin {name}"
    assert requirement.specifier.contains(installed), (name, installed, str(requirement))
    # the bound: SolaraViz crashes from major version 3 on
    assert not requirement.specifier.contains("3.0.0"), str(requirement)


def test_pyproject_brings_what_mesa_visualization_imports() -> None:
    """Mesa's ``rec`` extra (its visualisation stack) is declared, and the import works.

    Mesa itself requires none of it: ``mesa>=3.3`` alone installs a Mesa whose
    ``import mesa.visualization`` fails (it imports altair and networkx at module level).
    """
    deps = declared()
    extras = deps["mesa"].extras
    rec = [
        Requirement(line.split(";")[0])
        for line in importlib.metadata.requires("mesa") or []
        if "extra == 'rec'" in line or 'extra == "rec"' in line
    ]
    assert rec, "Mesa no longer has a 'rec' extra: read its METADATA"
    missing = [r.name for r in rec if "rec" not in extras and r.name.lower() not in deps]
    assert not missing, f"pyproject does not declare {missing} (mesa.visualization needs them)"
    viz = importlib.import_module("mesa.visualization")
    assert callable(viz.SolaraViz) and callable(viz.make_plot_component)
