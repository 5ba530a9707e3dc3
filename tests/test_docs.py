"""The reference docs cannot drift from the code they describe.

``docs/parameters.md`` and ``docs/results.md`` each end in a block generated from the code
(``python -m sim.docgen.parameters`` and ``python -m sim.results.schema``) between two markers, and
``docs/lessons.md`` in one generated from the scenario headers and the measured effects
(``python -m sim.docgen.lessons``); these tests check that the blocks are current and that every
scenario parameter is documented.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from sim.docgen import lessons as lessondoc
from sim.docgen import parameters as paramdoc
from sim.results import schema

DOCS = Path(__file__).resolve().parent.parent / "docs"
BEGIN = "<!-- BEGIN GENERATED -->"
END = "<!-- END GENERATED -->"


def _generated(name: str) -> str:
    """The text between the markers of ``docs/<name>``, surrounding blank lines stripped."""
    text = (DOCS / name).read_text(encoding="utf-8")
    assert text.count(BEGIN) == 1, f"docs/{name} needs exactly one {BEGIN} marker"
    assert text.count(END) == 1, f"docs/{name} needs exactly one {END} marker"
    inner = text.split(BEGIN, 1)[1].split(END, 1)[0]
    return inner.strip("\n")


def test_every_parameter_has_a_description() -> None:
    missing = [p.path for p in paramdoc.parameters() if not p.description.strip()]
    assert not missing, (
        "these scenario fields have no description= (MODEL.md: every parameter has a unit, "
        "a default with a rationale and a range):\n  " + "\n  ".join(missing)
    )


@pytest.mark.parametrize(
    ("name", "generate", "command"),
    [
        ("parameters.md", paramdoc.markdown, "python -m sim.docgen.parameters"),
        ("results.md", schema.markdown, "python -m sim.results.schema"),
        ("lessons.md", lessondoc.markdown, "python -m sim.docgen.lessons"),
    ],
)
def test_generated_block_is_current(name: str, generate: Callable[[], str], command: str) -> None:
    want = generate().strip("\n")
    assert _generated(name) == want, (
        f"docs/{name} is out of date: replace the block between {BEGIN} and {END} with the "
        f"output of `{command}`"
    )


def test_every_kpi_is_listed_in_results_doc() -> None:
    import sim

    result = sim.run(sim.load_scenario("baseline", {"population.initial": 40, "horizon": "2mo"}))
    text = (DOCS / "results.md").read_text(encoding="utf-8").split(BEGIN, 1)[0]
    listed = set(re.findall(r"`([a-z0-9_]+)`", text))
    missing = [m for m in result.summary["metric"] if m not in listed]
    assert not missing, f"KPIs missing from the KPI list of docs/results.md: {missing}"


def test_every_lesson_with_arms_has_measured_effects() -> None:
    import json

    import scenarios

    measured = json.loads(lessondoc.EFFECTS.read_text(encoding="utf-8"))
    with_arms = [n for n in scenarios.names() if n in lessondoc.HEADLINES]
    missing = [n for n in with_arms if n not in measured]
    assert not missing, f"no measured effects in {lessondoc.EFFECTS.name} for {missing}"
    for name in with_arms:
        comparisons = {r["comparison"] for r in measured[name]["rows"]}
        want = {f"{a} - {b}" for a, b, _ in lessondoc.HEADLINES[name]}
        assert want <= comparisons, f"{name}: measured {sorted(comparisons)}, need {sorted(want)}"
