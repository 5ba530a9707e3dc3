"""Architecture rules: one-way dependencies, this repository's packages, the public surface."""

from __future__ import annotations

import ast
from pathlib import Path

import agents
import scenarios
import sim

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_agents_never_import_sim() -> None:
    offenders = {
        p.name: sorted(_imports(p) & {"sim", "scenarios"})
        for p in (ROOT / "agents").glob("*.py")
        if _imports(p) & {"sim", "scenarios"}
    }
    assert offenders == {}


def test_scenarios_package_only_locates_files() -> None:
    allowed = {"__future__", "pathlib", "difflib", "typing", "yaml", "collections"}
    assert _imports(ROOT / "scenarios" / "__init__.py") <= allowed


def test_packages_resolve_to_this_repository() -> None:
    """PyPI has other packages called sim/agents/scenarios: ours must win."""
    for module in (sim, agents, scenarios):
        assert module.__file__ is not None
        assert Path(module.__file__).resolve().parent.parent == ROOT


def test_no_global_random_state_in_library_code() -> None:
    """Randomness only through seeded streams: no `random` module, no np.random.* calls."""
    bad: list[str] = []
    for folder in ("sim", "agents"):
        for p in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(p.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    names = [a.name for a in node.names]
                    mod = getattr(node, "module", None) or ""
                    if "random" in names or mod == "random":
                        bad.append(f"{p.name}:{node.lineno} imports random")
                if (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Attribute)
                    and node.value.attr == "random"
                    and isinstance(node.value.value, ast.Name)
                    and node.value.value.id == "np"
                    and node.attr
                    not in {"SeedSequence", "Generator", "PCG64", "default_rng", "BitGenerator"}
                ):
                    bad.append(f"{p.name}:{node.lineno} uses np.random.{node.attr}")
    assert bad == []


def test_public_surface_is_pinned() -> None:
    assert sim.__all__ == ["RunResult", "Scenario", "load_scenario", "run", "run_stack"]
    assert agents.__all__ == [
        "AccountParams",
        "BehaviourParams",
        "ChurnReason",
        "Customer",
        "Kano",
        "LadderParams",
        "Ledger",
        "Level",
        "Reason",
        "SegmentParams",
        "Stage",
        "StrategyParams",
        "Traits",
        "World",
        "draw_traits",
        "ladder_step",
        "lifecycle_stage",
    ]
    for module in (sim, agents):
        for name in module.__all__:
            assert hasattr(module, name), name


def test_modules_stay_small() -> None:
    """Split a module near 400 lines (house style); a little slack for docstrings."""
    big = {
        str(p.relative_to(ROOT)): n
        for folder in ("sim", "agents")
        for p in (ROOT / folder).rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 520
    }
    assert big == {}
