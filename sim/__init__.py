"""CRM Sandbox: the simulation engine, experiments and everything around them.

Running a scenario is one line::

    import sim
    result = sim.run(sim.load_scenario("baseline"), seed=1)

``run`` and ``RunResult`` are imported on first use, so ``crmsim --help`` and scenario
validation start quickly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.scenario.spec import Scenario, load_scenario

__all__ = ["RunResult", "Scenario", "load_scenario", "run", "run_stack"]

if TYPE_CHECKING:
    from sim.engines import run_stack
    from sim.experiments.runs import run
    from sim.results.run_result import RunResult


def __getattr__(name: str) -> Any:
    if name == "run":
        from sim.experiments.runs import run

        return run
    if name == "run_stack":
        from sim.engines import run_stack

        return run_stack
    if name == "RunResult":
        from sim.results.run_result import RunResult

        return RunResult
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
