"""Sweep specs and the space: every bad input named by file, line and field, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.experiments.sweep import SweepError, design_points, load_sweep, run_sweep
from sim.scenario.space import DEFAULT_SPACE, Factor, factor_problems

SPECS = Path(__file__).resolve().parents[1] / "scenarios" / "sweeps"

GOOD = """\
name: tiny
base: baseline
set: {population.initial: 100, horizon: 3mo}
factors:
  - path: strategy.service.staff
    levels: [2, 3]
  - path: market.price
design: {kind: full_factorial, levels: 2}
replications: 2
outputs: [profit]
"""


def write(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(SweepError) as caught:
        load_sweep(path)
    return [p.render(path) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "words"),
    [
        ("strategy.service.staff\n", "strategy.service.stuff\n", 5, "factors.0.path",
         "did you mean 'staff'"),
        ("  - path: market.price\n", "  - path: market.price\n    range: [1.2, 0.9]\n", 8,
         "factors.1.range", "low 1.2 is above high 0.9"),
        ("levels: [2, 3]", "levels: [2.5, 3]", 6, "factors.0.levels", "whole number"),
        ("kind: full_factorial, levels: 2", "kind: sobol, points: 100", 8, "design.points",
         "power of two"),
        ("kind: full_factorial, levels: 2", "kind: latin_hypercube, points: 0", 8,
         "design.points", "zero points"),
        ("kind: full_factorial, levels: 2", "kind: full_factorial, levels: 0", 8,
         "design.levels", "zero points"),
        ("outputs: [profit]", "outputs: [profit, proft]", 10, "outputs.1",
         "is not a KPI"),
    ],
)  # fmt: skip
def test_each_bad_input_names_file_line_and_field(tmp_path, old, new, line, field, words):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new))
    found = problems(path)
    assert len(found) == 1, found
    assert found[0].startswith(f"{path}:{line}: {field}"), found[0]
    assert words in found[0]


def test_every_problem_at_once_and_the_cli_writes_nothing(tmp_path):
    text = GOOD.replace("strategy.service.staff", "strategy.service.stuff").replace(
        "outputs: [profit]", "outputs: [proft]"
    )
    path = write(tmp_path, text)
    assert len(problems(path)) == 2
    out = tmp_path / "out"
    got = CliRunner().invoke(app, ["sweep", "run", str(path), "--out", str(out), "-w", "1"])
    assert got.exit_code == 2, got.output
    assert "factors.0.path" in got.output and "outputs.0" in got.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.yaml"]


def test_unknown_keys_and_a_level_of_the_wrong_type(tmp_path):
    text = GOOD.replace("replications: 2", "replicatons: 2").replace(
        "  - path: market.price\n",
        "  - path: strategy.complaints.handling\n    levels: [basic, 7]\n",
    )
    found = problems(write(tmp_path, text))
    assert any("replicatons" in p and "did you mean 'replications'" in p for p in found)
    assert any(":8: factors.1.levels" in p and "one type" in p for p in found)
    wrong = GOOD.replace(
        "  - path: market.price\n",
        "  - path: strategy.complaints.handling\n    levels: [basic, nice]\n",
    )
    assert any(":8: factors.1.levels" in p and "valid choice" in p
               for p in problems(write(tmp_path, wrong, "w.yaml")))  # fmt: skip


def test_resume_refuses_a_folder_of_another_spec(tmp_path):
    spec = write(tmp_path, GOOD)
    out = tmp_path / "sweep"
    run_sweep(spec, out)
    other = write(tmp_path, GOOD.replace("levels: [2, 3]", "levels: [2, 4]"), "other.yaml")
    got = CliRunner().invoke(app, ["sweep", "resume", str(out), "--spec", str(other), "-w", "1"])
    assert got.exit_code == 2, got.output
    assert f"{other}:6: factors.0.levels" in got.output.replace("\n", "")
    got = CliRunner().invoke(app, ["sweep", "run", str(other), "--out", str(out), "-w", "1"])
    assert got.exit_code == 2 and "another spec" in got.output
    again = CliRunner().invoke(app, ["sweep", "run", str(spec), "--out", str(out), "-w", "1"])
    assert again.exit_code == 2 and "sweep resume" in again.output


def test_default_space_is_valid_on_the_baseline():
    names = [f.name for f in DEFAULT_SPACE]
    assert len(set(names)) == len(names)
    assert {f.kind for f in DEFAULT_SPACE} == {"uncertainty", "lever"}
    for factor in DEFAULT_SPACE:
        assert factor_problems(factor, "baseline") == [], factor.path


def test_scales_map_the_unit_interval():
    staff = Factor("strategy.service.staff", low=1, high=4, scale="integer")
    assert [staff.value(u) for u in (0.0, 0.24, 0.26, 0.99, 1.0)] == [1, 1, 2, 4, 4]
    budget = Factor("b", low=1000, high=100000, scale="log")
    assert budget.value(0.5) == pytest.approx(10000)
    pick = Factor("h", scale="categorical", levels=("a", "b", "c"))
    assert [pick.value(u) for u in (0.0, 0.34, 0.67, 1.0)] == ["a", "b", "c", "c"]
    assert budget.grid(3) == pytest.approx((1000, 10000, 100000))


@pytest.mark.parametrize("spec", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.name)
def test_library_sweep_specs_load_and_design(spec):
    checked = load_sweep(spec)
    assert len(design_points(checked)) >= 2
    assert checked.outputs


def test_scenario_library_ignores_the_sweeps_folder():
    import scenarios

    assert "staffing_grid" not in scenarios.names()
