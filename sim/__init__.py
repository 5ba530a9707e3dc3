"""CRM Sandbox: the simulation engine, experiments and everything around them.

Running a scenario is one line (here on a 200-customer copy of the baseline firm):

>>> import sim
>>> result = sim.run(sim.scenario.scaled(sim.load_scenario("baseline"), 200), seed=1)
>>> result.kpis["customers_acquired"] >= 200
True
>>> list(result.periods.columns[:3])
['period', 'start', 'end']

``run`` and ``RunResult`` are imported on first use, so ``crmsim --help`` and scenario
validation start quickly.

Whatever a caller can get wrong raises a :class:`sim.errors.UserError`, never a built-in
error from deep inside: an :class:`~sim.errors.ArgumentError` for an argument of the wrong
type or out of range (checked before any work starts), a :class:`~sim.errors.ScenarioError`
for a scenario that does not load, with every problem in it, a
:class:`~sim.results.FolderError` for a saved result whose files do not match its manifest.
Each function's docstring lists what it raises:

>>> sim.run("baseline", seed=True)
Traceback (most recent call last):
...
sim.errors.ArgumentError: seed must be a whole number ≥ 0 or a numpy SeedSequence, got True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.scenario.spec import Scenario, load_scenario

__all__ = ["RunResult", "Scenario", "load_scenario", "run", "run_stack"]

if TYPE_CHECKING:
    from sim.engines import run, run_stack
    from sim.results.run_result import RunResult


def __getattr__(name: str) -> Any:
    if name == "run":
        from sim.engines import run

        return run
    if name == "run_stack":
        from sim.engines import run_stack

        return run_stack
    if name == "RunResult":
        from sim.results.run_result import RunResult

        return RunResult
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
