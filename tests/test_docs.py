"""The reference docs cannot drift from the code they describe.

``docs/parameters.md`` and ``docs/results.md`` each end in a block generated from the code
(``python -m sim.docgen.parameters`` and ``python -m sim.results.schema``) between two markers, and
``docs/lessons.md`` in one generated from the scenario headers and the measured effects
(``python -m sim.docgen.lessons``). ``docs/results.md`` also holds a named block, its KPI table
from the KPI catalogue (``python -m sim.docgen.kpis``), and ``docs/design.md`` the module map
(``python -m sim.docgen.modules``). These tests check that the blocks are current and that
every scenario parameter is documented.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sim.docgen import kpis as kpidoc
from sim.docgen import lessons as lessondoc
from sim.docgen import modules as moduledoc
from sim.docgen import parameters as paramdoc
from sim.results import schema

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _markers(block: str) -> tuple[str, str]:
    """The markers of the unnamed block (``block == ""``) or of the block named ``block``."""
    tag = f"GENERATED: {block}" if block else "GENERATED"
    return f"<!-- BEGIN {tag} -->", f"<!-- END {tag} -->"


def _generated(name: str, block: str = "") -> str:
    """The text between the markers of ``docs/<name>``, surrounding blank lines stripped."""
    begin, end = _markers(block)
    text = (DOCS / name).read_text(encoding="utf-8")
    assert text.count(begin) == 1, f"docs/{name} needs exactly one {begin} marker"
    assert text.count(end) == 1, f"docs/{name} needs exactly one {end} marker"
    inner = text.split(begin, 1)[1].split(end, 1)[0]
    return inner.strip("\n")


def test_every_parameter_has_a_description() -> None:
    missing = [p.path for p in paramdoc.parameters() if not p.description.strip()]
    assert not missing, (
        "these scenario fields have no description= (MODEL.md: every parameter has a unit, "
        "a default with a rationale and a range):\n  " + "\n  ".join(missing)
    )


@pytest.mark.parametrize(
    ("name", "block", "generate", "command"),
    [
        ("parameters.md", "", paramdoc.markdown, "python -m sim.docgen.parameters"),
        ("results.md", "", schema.markdown, "python -m sim.results.schema"),
        ("results.md", "kpis", kpidoc.markdown, "python -m sim.docgen.kpis"),
        ("lessons.md", "", lessondoc.markdown, "python -m sim.docgen.lessons"),
        ("design.md", "", moduledoc.markdown, "python -m sim.docgen.modules"),
    ],
)
def test_generated_block_is_current(
    name: str, block: str, generate: Callable[[], str], command: str
) -> None:
    want = generate().strip("\n")
    begin, end = _markers(block)
    assert _generated(name, block) == want, (
        f"docs/{name} is out of date: replace the block between {begin} and {end} with the "
        f"output of `{command}` (or run `python scripts/regen_docs.py`)"
    )


def test_every_lesson_with_arms_has_measured_effects() -> None:
    import json

    import scenarios

    measured = json.loads(lessondoc.EFFECTS.read_text(encoding="utf-8"))
    with_arms = [n for n in scenarios.names() if lessondoc.load_lesson(n).headlines]
    missing = [n for n in with_arms if n not in measured]
    assert not missing, f"no measured effects in {lessondoc.EFFECTS.name} for {missing}"
    for name in with_arms:
        comparisons = {r["comparison"] for r in measured[name]["rows"]}
        want = {f"{h.arm} - {h.against}" for h in lessondoc.load_lesson(name).headlines}
        assert want <= comparisons, f"{name}: measured {sorted(comparisons)}, need {sorted(want)}"
