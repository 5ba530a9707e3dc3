"""CRM Sandbox: the simulation engine, experiments and everything around them.

Running a scenario is one line::

    import sim
    result = sim.run(sim.load_scenario("baseline"), seed=1)
"""

from __future__ import annotations

from sim.experiments import run
from sim.results import RunResult
from sim.scenario import Scenario, load_scenario

__all__ = ["RunResult", "Scenario", "load_scenario", "run"]
