"""Running the model: ``run`` is the one function every other tool calls.

A model is a function of its parameters (EMA Workbench's habit): ``run(scenario, seed)``
returns a :class:`RunResult` and touches no state outside itself, so replications, policy
comparisons and sweeps on any executor are just many calls of it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from sim.results import RunResult
from sim.scenario import Scenario, load_scenario

__all__ = ["ENGINES", "run"]

ENGINES = ("agent",)

Progress = Callable[[int, int], None]


def run(
    scenario: Scenario | str | Path,
    seed: int | np.random.SeedSequence | None = None,
    engine: str = "agent",
    progress: Progress | None = None,
) -> RunResult:
    """Run one scenario once.

    Args:
        scenario: a :class:`Scenario`, a library name (``"baseline"``) or a YAML path.
        seed: root seed (int or ``SeedSequence``); defaults to the scenario's ``seed``.
        engine: ``"agent"`` (the reference engine).
        progress: optional callback ``progress(done_periods, total_periods)``.

    Returns:
        The run's tables, KPIs and manifest.
    """
    from sim.collect import collect
    from sim.model import CRMModel

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; available: {', '.join(ENGINES)}")
    used: Any = sc.seed if seed is None else seed
    model = CRMModel(sc, seed=used)
    model.run_all(progress)
    return collect(model, used, engine)
