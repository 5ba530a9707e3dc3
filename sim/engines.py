"""Running one scenario once, on the engine that suits it.

``run(scenario, seed)`` is the one function every other tool calls (a model is a function
of its parameters: EMA Workbench's habit). Two engines run the same model: ``"agent"``, the
reference (Mesa agents on a SimPy clock, :mod:`sim.agent_engine.model`), and ``"vector"``, the same
rules
over numpy columns for large worlds (:mod:`sim.vector_engine.model`); ``"auto"`` chooses between
them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import ArgumentError, UserError, check_callback, check_seed, check_source
from sim.results.run_result import RunResult
from sim.scenario.size import check_size
from sim.scenario.spec import Scenario, load_scenario

__all__ = ["AUTO_VECTOR_FROM", "ENGINES", "choose_engine", "run", "run_stack"]

#: Engine names ``run`` accepts.
ENGINES = ("agent", "vector", "auto")


def run(
    scenario: Scenario | str | Path,
    seed: int | np.random.SeedSequence | None = None,
    engine: str = "agent",
    progress: Callable[[int, int], None] | None = None,
    force: bool = False,
) -> RunResult:
    """Run one scenario once.

    Args:
        scenario: a :class:`Scenario`, a library name (``"baseline"``) or a YAML path.
        seed: root seed (int or ``SeedSequence``); defaults to the scenario's ``seed``.
        engine: ``"agent"`` (the reference engine), ``"vector"`` (the same model over
            numpy columns, for large populations) or ``"auto"`` (see :func:`choose_engine`).
        progress: optional callback ``progress(done_periods, total_periods)``.
        force: go past the soft size ceilings (:func:`sim.scenario.size.check_size`: a
            million customers, 200 million events, half the machine's memory …).

    Returns:
        The run's tables, KPIs and manifest (``manifest["engine"]`` names the engine used).

    Raises:
        ArgumentError: ``scenario`` of another type, a ``seed`` that is not a whole number
            ≥ 0 or a ``SeedSequence`` (``True`` included), a ``progress`` that cannot be
            called.
        ScenarioError: a scenario name or file that does not load (see
            :func:`sim.load_scenario`).
        UserError: an unknown ``engine``; a run past a hard size ceiling, or past a soft
            one without ``force``, refused before anything is allocated; a scenario the
            vector engine cannot run.
    """
    from sim.agent_engine.model import CRMModel
    from sim.results.collect import collect

    if not isinstance(scenario, Scenario):
        check_source(scenario)
    used: Any = None if seed is None else check_seed(seed, sequence=True)
    check_callback(progress)
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    used = sc.seed if used is None else used
    chosen = choose_engine(sc, engine)
    check_size(sc, chosen, force)
    model: Any
    if chosen == "vector":
        from sim.vector_engine.model import VectorModel

        vm = VectorModel(sc, seed=used)
        vm.run_all(progress)
        return collect(vm.view(0), used, chosen)
    model = CRMModel(sc, seed=used)
    model.run_all(progress)
    return collect(model, used, chosen)


def run_stack(
    scenario: Scenario | str | Path,
    seeds: Sequence[int | np.random.SeedSequence],
    progress: Callable[[int, int], None] | None = None,
    force: bool = False,
) -> list[RunResult]:
    """Run one scenario once per seed, all in one vector-engine pass (see ``vector_engine.lanes``).

    Result ``i`` is identical to ``run(scenario, seeds[i], engine="vector")`` — stacking
    only shares the engine's fixed cost per round among the replications.

    Args:
        scenario: a :class:`Scenario`, a library name or a YAML path.
        seeds: one root seed per replication.
        progress: optional callback ``progress(done_periods, total_periods)``.
        force: go past the soft size ceilings (:func:`sim.scenario.size.check_size`); the
            stack's replications share one process, so its memory is theirs together.

    Returns:
        One result per seed, in order (``manifest["stack"]`` gives the stack's size).

    Raises:
        ArgumentError: ``scenario`` of another type, ``seeds`` that is not a non-empty
            sequence of seeds (whole numbers ≥ 0 or ``SeedSequence``), a ``progress`` that
            cannot be called.
        ScenarioError: a scenario name or file that does not load.
        UserError: a stack past a hard size ceiling, or past a soft one without ``force``,
            refused before anything is allocated; a scenario the vector engine cannot run.
    """
    from sim.results.collect import collect
    from sim.vector_engine.model import VectorModel

    if not isinstance(scenario, Scenario):
        check_source(scenario)
    if isinstance(seeds, str | bytes) or not isinstance(seeds, Sequence) or not seeds:
        raise ArgumentError(f"seeds must be a non-empty list of seeds, got {seeds!r:.60}")
    seeds = [check_seed(s, f"seeds[{i}]", sequence=True) for i, s in enumerate(seeds)]
    check_callback(progress)
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    check_size(sc, "vector", force, replications=len(seeds))
    vm = VectorModel(sc, seeds=seeds)
    vm.run_all(progress)
    out = []
    for i, seed in enumerate(seeds):
        res = collect(vm.view(i), seed, "vector")
        res.manifest["stack"] = len(seeds)
        out.append(res)
    return out


#: ``engine="auto"`` runs populations at least this large on the vector engine.
AUTO_VECTOR_FROM = 5_000


def choose_engine(sc: Scenario, engine: str, experiment: bool = False) -> str:
    """The engine that runs ``sc``: ``engine`` itself, or for ``"auto"`` the sensible one.

    ``auto`` picks the agent engine when the scenario asks for the per-event log (only the
    agent engine keeps it) and for small single runs (classrooms, where every ledger entry
    is explained); the vector engine for large populations and for experiments.
    """
    if engine not in ENGINES:
        raise UserError(f"unknown engine {engine!r} (allowed: {', '.join(ENGINES)})")
    if engine != "auto":
        return engine
    if sc.output.events:
        return "agent"
    if experiment or sc.population.initial >= AUTO_VECTOR_FROM:
        return "vector"
    return "agent"
