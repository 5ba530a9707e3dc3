"""Architecture rules: one-way layers, no private reach-ins, no cycles, small modules.

The layer, private-name, cycle and size checks read every ``.py`` file under ``sim/`` and
``agents/`` with :mod:`ast` and never import them, so they judge the code as written, imports
under ``if TYPE_CHECKING:`` and inside functions included, and still run when the package
itself fails to import. Each checker is a plain function of parsed modules, tested below on
small synthetic sources so that a rule which stopped catching its violation would show.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The layers, lowest first (docs/design.md, "Layers and the module map"). A module may
#: import modules of its own entry (sideways) and of any entry in an earlier layer; entries
#: that share a layer never import each other (the two engines; ``errors``, ``rng`` and
#: ``streams``; the behaviour and the scenario library). ``"sim"`` stands for the face,
#: ``sim/__init__.py``, alone; every other entry covers its submodules. The face re-exports
#: runs and experiments, so it sits above them and below what presents their results.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("agents", "scenarios"),
    ("sim.jit",),
    ("sim.philox",),
    ("sim.errors", "sim.rng", "sim.streams"),
    ("sim.i18n",),
    ("sim.scenario",),
    ("sim.results",),
    ("sim.agent_engine", "sim.vector_engine", "sim.calibration"),
    ("sim.engines",),
    ("sim.experiments",),
    ("sim.experiments.sweep",),
    ("sim",),
    ("sim.report",),
    ("sim.calibration.page",),
    ("sim.dashboard",),
    ("sim.classroom",),
    ("sim.docgen",),
    ("sim.cli",),
)

#: The top-level packages of this repository; imports of anything else are not judged here.
PROJECT = frozenset({"agents", "scenarios", "sim"})

#: House style splits a module at about 400 lines.
MAX_LINES = 400

#: Modules allowed over MAX_LINES, each with the reason it stays whole.
LONG_MODULES: dict[str, str] = {
    "agents/customer.py": "one Mesa agent class; its methods are the customer's reactions, "
    "which tests/test_twins.py pairs one by one with sim/vector_engine/reactions.py",
    "sim/vector_engine/reactions.py": "the array twin of agents.customer.Customer, one "
    "function per method in the same order, so a reader and the twin test map them 1:1",
}


@dataclass(frozen=True)
class Module:
    """One parsed source file: its dotted name, its path for messages, its syntax tree."""

    name: str
    path: str
    tree: ast.Module
    is_package: bool
    lines: int


@dataclass(frozen=True)
class Import:
    """One imported name: where the statement is, what it says, and the module it reaches."""

    module: Module
    line: int
    text: str
    target: str
    typing_only: bool = False  #: under ``if TYPE_CHECKING:``: read by type checkers only

    def where(self) -> str:
        """``path:line: `statement``` for a message."""
        return f"{self.module.path}:{self.line}: `{self.text}`"


def parse_module(name: str, source: str, path: str | None = None) -> Module:
    """Parse ``source`` as module ``name`` (a name ending in ``.__init__`` is a package)."""
    is_package = name.endswith(".__init__")
    dotted = name.removesuffix(".__init__")
    return Module(
        name=dotted,
        path=path or dotted.replace(".", "/") + ("/__init__.py" if is_package else ".py"),
        tree=ast.parse(source, filename=path or dotted),
        is_package=is_package,
        lines=len(source.splitlines()),
    )


def project_modules() -> dict[str, Module]:
    """Every module under ``sim/`` and ``agents/``, parsed, keyed by dotted name."""
    found: dict[str, Module] = {}
    for folder in ("sim", "agents"):
        for file in sorted((ROOT / folder).rglob("*.py")):
            rel = file.relative_to(ROOT)
            name = ".".join(rel.with_suffix("").parts)
            module = parse_module(name, file.read_text(encoding="utf-8"), rel.as_posix())
            found[module.name] = module
    return found


def index(sources: Iterable[Module]) -> dict[str, Module]:
    """Modules keyed by dotted name, as :func:`project_modules` returns them."""
    return {m.name: m for m in sources}


def _absolute(module: Module, node: ast.ImportFrom) -> str:
    """The absolute module a ``from`` statement names, relative levels resolved."""
    if node.level == 0:
        return node.module or ""
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    parts = package.split(".")
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(module: Module, known: Mapping[str, Module]) -> list[Import]:
    """Every project import of ``module``, wherever it stands in the file.

    ``from a import b`` reaches module ``a.b`` when that is a module of the tree, and ``a``
    otherwise (``b`` is then a name defined in ``a``).
    """
    found: list[Import] = []
    typing_only = {
        id(inner)
        for node in ast.walk(module.tree)
        if isinstance(node, ast.If) and _is_type_checking(node.test)
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, node)
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        text = ast.unparse(node)
        found.extend(
            Import(module, node.lineno, text, t, id(node) in typing_only)
            for t in dict.fromkeys(targets)
            if t.split(".")[0] in PROJECT
        )
    return sorted(found, key=lambda i: (i.line, i.target))


def _is_type_checking(test: ast.expr) -> bool:
    """``TYPE_CHECKING`` or ``typing.TYPE_CHECKING``."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def layer_of(name: str) -> tuple[int, str] | None:
    """The layer index and entry a dotted module name belongs to, or None if it has none."""
    best: tuple[int, str] | None = None
    for rank, entries in enumerate(LAYERS):
        for entry in entries:
            covers = name == entry or (entry != "sim" and name.startswith(entry + "."))
            if covers and (best is None or len(entry) > len(best[1])):
                best = (rank, entry)
    return best


def layer_violations(modules: Mapping[str, Module]) -> list[str]:
    """One message per import that points up a layer or across entries of one layer."""
    problems: list[str] = []
    for module in modules.values():
        own = layer_of(module.name)
        if own is None:
            problems.append(f"{module.path}: module {module.name} is in no layer of LAYERS")
            continue
        for imp in imports_of(module, modules):
            theirs = layer_of(imp.target)
            if theirs is None:
                problems.append(f"{imp.where()}: {imp.target} is in no layer of LAYERS")
            elif theirs[1] != own[1] and theirs[0] >= own[0]:
                way = "up" if theirs[0] > own[0] else "across its layer"
                problems.append(
                    f"{imp.where()}: {own[1]} (layer {own[0]}) may not import {theirs[1]} "
                    f"(layer {theirs[0]}), {way}"
                )
    return problems


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_names(module: Module, known: Mapping[str, Module]) -> dict[str, str]:
    """Local names that are bound to imported modules, mapped to the module they name."""
    bound: dict[str, str] = {}
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    bound[top] = top
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, node)
            for alias in node.names:
                if f"{base}.{alias.name}" in known:
                    bound[alias.asname or alias.name] = f"{base}.{alias.name}"
    return bound


def private_name_violations(modules: Mapping[str, Module]) -> list[str]:
    """One message per ``from x import _y`` and per ``x._y`` on an imported module ``x``."""
    problems: list[str] = []
    for module in modules.values():
        bound = _module_names(module, modules)
        for node in ast.walk(module.tree):
            if isinstance(node, ast.ImportFrom):
                text = ast.unparse(node)
                problems.extend(
                    f"{module.path}:{node.lineno}: `{text}` imports the private name "
                    f"{alias.name} from {_absolute(module, node)}"
                    for alias in node.names
                    if _is_private(alias.name)
                )
            elif isinstance(node, ast.Attribute) and _is_private(node.attr):
                chain: list[str] = []
                root = node.value
                while isinstance(root, ast.Attribute) and not _is_private(root.attr):
                    chain.insert(0, root.attr)
                    root = root.value
                if isinstance(root, ast.Name) and root.id in bound:
                    reached = ".".join([bound[root.id], *chain])
                    problems.append(
                        f"{module.path}:{node.lineno}: `{ast.unparse(node)}` reaches the "
                        f"private name {node.attr} of the imported module {reached}"
                    )
    return problems


def import_graph(modules: Mapping[str, Module]) -> dict[str, dict[str, Import]]:
    """Module → imported module → the first statement that imports it when the code runs.

    Imports under ``if TYPE_CHECKING:`` are left out: they never execute, so they cannot
    close a circle of imports. A module typed against the engine that calls it (a handler
    module naming its model in annotations) is the one back-reference they allow, and only
    sideways: the layer check reads them like every other import.
    """
    graph: dict[str, dict[str, Import]] = {name: {} for name in modules}
    for module in modules.values():
        for imp in imports_of(module, modules):
            if imp.typing_only:
                continue
            target = imp.target
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target:
                graph[module.name].setdefault(target, imp)
    return graph


def strongly_connected(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, each sorted, in order of their first name."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        order[node] = low[node] = len(order)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in order:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], order[nxt])
        if low[node] == order[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            components.append(sorted(component))

    for node in sorted(graph):
        if node not in order:
            visit(node)
    return sorted(components)


def _cycle_through(start: str, members: set[str], graph: Mapping[str, Iterable[str]]) -> list[str]:
    """A shortest path from ``start`` back to itself inside one component."""
    paths: dict[str, list[str]] = {start: [start]}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for nxt in sorted(graph[node]):
                if nxt == start:
                    return [*paths[node], start]
                if nxt in members and nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"{start} is on no cycle of its component")


def import_cycles(modules: Mapping[str, Module]) -> list[str]:
    """One message per import cycle: the modules on it and the statement of every step.

    A tangle of modules holds many cycles; each module of it is shown on its shortest one,
    each cycle once, so that breaking every cycle listed untangles it.
    """
    graph = import_graph(modules)
    problems: list[str] = []
    for component in strongly_connected(graph):
        if len(component) == 1 and component[0] not in graph[component[0]]:
            continue
        seen: set[tuple[str, ...]] = set()
        for start in component:
            cycle = _cycle_through(start, set(component), graph)
            turn = cycle.index(min(cycle))
            key = tuple(cycle[turn:-1] + cycle[:turn])
            if key in seen:
                continue
            seen.add(key)
            steps = "".join(f"\n    {graph[a][b].where()}" for a, b in pairwise(cycle))
            problems.append(f"import cycle {' -> '.join(cycle)}:{steps}")
    return problems


def oversized(modules: Mapping[str, Module], allowed: Mapping[str, str]) -> list[str]:
    """One message per module over :data:`MAX_LINES` that ``allowed`` does not name."""
    return [
        f"{m.path}: {m.lines} lines, over {MAX_LINES}; split it, or add it to LONG_MODULES "
        "with the reason it stays whole"
        for m in sorted(modules.values(), key=lambda m: m.path)
        if m.lines > MAX_LINES and m.path not in allowed
    ]


def stale_allowances(modules: Mapping[str, Module], allowed: Mapping[str, str]) -> list[str]:
    """One message per allowance for a module that is gone, small again, or has no reason."""
    by_path = {m.path: m for m in modules.values()}
    problems: list[str] = []
    for path, reason in sorted(allowed.items()):
        module = by_path.get(path)
        if module is None:
            problems.append(f"{path}: in LONG_MODULES but no such module")
        elif module.lines <= MAX_LINES:
            problems.append(f"{path}: in LONG_MODULES but {module.lines} lines; drop the entry")
        if not reason.strip():
            problems.append(f"{path}: in LONG_MODULES without a reason")
    return problems


def _report(problems: list[str]) -> str:
    return f"{len(problems)} found:\n" + "\n".join(problems)


# -- the rules, on the tree ---------------------------------------------------------------


def test_imports_point_down_the_layers() -> None:
    problems = layer_violations(project_modules())
    assert not problems, _report(problems)


def test_no_private_name_crosses_a_module() -> None:
    problems = private_name_violations(project_modules())
    assert not problems, _report(problems)


def test_no_import_cycle() -> None:
    problems = import_cycles(project_modules())
    assert not problems, _report(problems)


def test_modules_stay_small() -> None:
    problems = oversized(project_modules(), LONG_MODULES)
    assert not problems, _report(problems)


def test_long_module_allowances_are_current() -> None:
    problems = stale_allowances(project_modules(), LONG_MODULES)
    assert not problems, _report(problems)


def test_every_module_of_the_tree_is_read() -> None:
    """The walk sees the packages it judges: a wrong root would make every rule pass."""
    modules = project_modules()
    assert {"agents", "sim", "sim.engines", "sim.results", "sim.cli.__main__"} <= set(modules)
    assert all(layer_of(name) for name in ("agents.rules", "sim.rng", "sim.cli.commands"))


# -- the checkers, on synthetic sources ---------------------------------------------------


def test_layers_catch_an_upward_import_wherever_it_stands() -> None:
    modules = index(
        [
            parse_module("agents.fake", "from sim.rng import streams\n"),
            parse_module(
                "sim.results.fake",
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from sim.agent_engine.model import CRMModel\n",
            ),
            parse_module("sim.scenario.fake", "def f():\n    import sim.engines\n"),
            parse_module("sim.vector_engine.fake", "from ..agent_engine import model\n"),
            parse_module("sim.rng", "from sim import errors\n"),
            parse_module("sim.errors", ""),
        ]
    )
    problems = layer_violations(modules)
    assert problems == [
        "agents/fake.py:1: `from sim.rng import streams`: agents (layer 0) may not import "
        "sim.rng (layer 3), up",
        "sim/results/fake.py:3: `from sim.agent_engine.model import CRMModel`: sim.results "
        "(layer 6) may not import sim.agent_engine (layer 7), up",
        "sim/scenario/fake.py:2: `import sim.engines`: sim.scenario (layer 5) may not import "
        "sim.engines (layer 8), up",
        "sim/vector_engine/fake.py:1: `from ..agent_engine import model`: sim.vector_engine "
        "(layer 7) may not import sim.agent_engine (layer 7), across its layer",
        "sim/rng.py:1: `from sim import errors`: sim.rng (layer 3) may not import sim.errors "
        "(layer 3), across its layer",
    ]


def test_layers_allow_downward_and_sideways_imports() -> None:
    modules = index(
        [
            parse_module("sim.results.__init__", "from .books import Books\n"),
            parse_module("sim.results.books", "from . import schema\nimport agents.rules\n"),
            parse_module("sim.results.schema", "import numpy as np\n"),
            parse_module("sim.cli.fake", "import sim\nfrom sim.report import plots\n"),
            parse_module("sim.__init__", "from sim.engines import run\n"),
        ]
    )
    assert layer_violations(modules) == []


def test_layers_name_a_module_that_has_none() -> None:
    modules = index([parse_module("sim.lobby.app", "from sim.nowhere import x\n")])
    assert layer_violations(modules) == [
        "sim/lobby/app.py: module sim.lobby.app is in no layer of LAYERS"
    ]
    modules = index([parse_module("sim.cli.fake", "from sim.nowhere import x\n")])
    assert layer_violations(modules) == [
        "sim/cli/fake.py:1: `from sim.nowhere import x`: sim.nowhere is in no layer of LAYERS"
    ]


def test_relative_imports_resolve_from_the_package() -> None:
    package = parse_module("sim.results.__init__", "from . import books\nfrom ..rng import x\n")
    module = parse_module("sim.results.books", "from .schema import y\nfrom .. import rng\n")
    known = index([package, module, parse_module("sim.rng", "")])
    assert [i.target for i in imports_of(package, known)] == ["sim.results.books", "sim.rng"]
    assert [i.target for i in imports_of(module, known)] == ["sim.results.schema", "sim.rng"]


def test_private_names_are_caught_imported_or_reached() -> None:
    modules = index(
        [
            parse_module("sim.rng", "_ROOT = 1\n"),
            parse_module(
                "sim.engines",
                "from sim.rng import _ROOT, streams\n"
                "import sim.rng as rng\n"
                "from sim import rng as r2\n"
                "import sim.results.books\n"
                "a = rng._ROOT\n"
                "b = r2._ROOT\n"
                "c = sim.results.books._cents\n",
            ),
            parse_module("sim.results.books", "def _cents(): ...\n"),
        ]
    )
    assert private_name_violations(modules) == [
        "sim/engines.py:1: `from sim.rng import _ROOT, streams` imports the private name "
        "_ROOT from sim.rng",
        "sim/engines.py:5: `rng._ROOT` reaches the private name _ROOT of the imported "
        "module sim.rng",
        "sim/engines.py:6: `r2._ROOT` reaches the private name _ROOT of the imported "
        "module sim.rng",
        "sim/engines.py:7: `sim.results.books._cents` reaches the private name _cents of "
        "the imported module sim.results.books",
    ]


def test_private_names_leave_own_attributes_and_dunders_alone() -> None:
    source = (
        "from agents import __version__\n"
        "from agents.traits import Traits\n"
        "class A:\n"
        "    def f(self):\n"
        "        return self._x, Traits._fields, __name__\n"
    )
    modules = index([parse_module("sim.engines", source), parse_module("agents.traits", "")])
    assert private_name_violations(modules) == []


def test_cycles_are_found_and_shown_step_by_step() -> None:
    modules = index(
        [
            parse_module("sim.results.books", "from sim.results.collect import collect\n"),
            parse_module("sim.results.collect", "def f():\n    from sim.results import books\n"),
            parse_module("sim.rng", "import sim.errors\n"),
            parse_module("sim.errors", "def f():\n    import sim.rng\n"),
            parse_module("sim.engines", "import sim.rng\n"),
        ]
    )
    assert import_cycles(modules) == [
        "import cycle sim.errors -> sim.rng -> sim.errors:"
        "\n    sim/errors.py:2: `import sim.rng`"
        "\n    sim/rng.py:1: `import sim.errors`",
        "import cycle sim.results.books -> sim.results.collect -> sim.results.books:"
        "\n    sim/results/books.py:1: `from sim.results.collect import collect`"
        "\n    sim/results/collect.py:2: `from sim.results import books`",
    ]


def test_type_only_back_references_close_no_cycle() -> None:
    modules = index(
        [
            parse_module("sim.vector_engine.model", "from sim.vector_engine import reactions\n"),
            parse_module(
                "sim.vector_engine.reactions",
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from sim.vector_engine.model import VectorModel\n",
            ),
        ]
    )
    assert import_cycles(modules) == []
    imports = imports_of(modules["sim.vector_engine.reactions"], modules)
    assert [i.typing_only for i in imports] == [True]


def test_cycles_through_a_package_init_and_longer_rings() -> None:
    modules = index(
        [
            parse_module("sim.results.__init__", "from sim.results.books import Books\n"),
            parse_module("sim.results.books", "from sim.results.schema import COLUMNS\n"),
            parse_module("sim.results.schema", "from sim.results import RunResult\n"),
        ]
    )
    assert import_cycles(modules) == [
        "import cycle sim.results -> sim.results.books -> sim.results.schema -> sim.results:"
        "\n    sim/results/__init__.py:1: `from sim.results.books import Books`"
        "\n    sim/results/books.py:1: `from sim.results.schema import COLUMNS`"
        "\n    sim/results/schema.py:1: `from sim.results import RunResult`"
    ]


def test_an_acyclic_graph_has_no_cycle() -> None:
    modules = index(
        [
            parse_module("sim.results.__init__", "from sim.results.books import Books\n"),
            parse_module("sim.results.books", "from sim.results import schema\n"),
            parse_module("sim.results.schema", "import sim.rng\n"),
            parse_module("sim.rng", ""),
        ]
    )
    assert import_cycles(modules) == []


def test_size_rule_and_its_allowances() -> None:
    modules = index(
        [
            parse_module("sim.big", "x = 1\n" * (MAX_LINES + 1)),
            parse_module("sim.edge", "x = 1\n" * MAX_LINES),
            parse_module("sim.shrunk", "x = 1\n"),
        ]
    )
    assert oversized(modules, {}) == [
        f"sim/big.py: {MAX_LINES + 1} lines, over {MAX_LINES}; split it, or add it to "
        "LONG_MODULES with the reason it stays whole"
    ]
    assert oversized(modules, {"sim/big.py": "one table"}) == []
    assert stale_allowances(modules, {"sim/big.py": "one table"}) == []
    assert stale_allowances(modules, {"sim/shrunk.py": "was long", "sim/gone.py": " "}) == [
        "sim/gone.py: in LONG_MODULES but no such module",
        "sim/gone.py: in LONG_MODULES without a reason",
        "sim/shrunk.py: in LONG_MODULES but 1 lines; drop the entry",
    ]


# -- what the package is and shows --------------------------------------------------------


def test_packages_resolve_to_this_repository() -> None:
    """PyPI has other packages called sim/agents/scenarios: ours must win."""
    import agents
    import scenarios
    import sim

    for package in (sim, agents, scenarios):
        assert package.__file__ is not None
        assert Path(package.__file__).resolve().parent.parent == ROOT


def test_scenarios_package_only_locates_files() -> None:
    allowed = {"__future__", "pathlib", "difflib", "typing", "yaml", "collections"}
    tree = ast.parse((ROOT / "scenarios" / "__init__.py").read_text(encoding="utf-8"))
    found = {
        name.split(".")[0]
        for node in ast.walk(tree)
        for name in (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom) and node.level == 0
            else []
        )
    }
    assert found <= allowed, sorted(found - allowed)


def test_no_global_random_state_in_library_code() -> None:
    """Randomness only through seeded streams: no `random` module, no np.random.* calls."""
    seeded = {"SeedSequence", "Generator", "PCG64", "default_rng", "BitGenerator"}
    bad: list[str] = []
    for module in project_modules().values():
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names]
                if "random" in names or getattr(node, "module", None) == "random":
                    bad.append(f"{module.path}:{node.lineno}: imports random")
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "random"
                and isinstance(node.value.value, ast.Name)
                and node.value.value.id == "np"
                and node.attr not in seeded
            ):
                bad.append(f"{module.path}:{node.lineno}: uses np.random.{node.attr}")
    assert not bad, _report(bad)


def test_public_surface_is_pinned() -> None:
    import agents
    import sim

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
    for package in (sim, agents):
        for name in package.__all__:
            assert hasattr(package, name), name
