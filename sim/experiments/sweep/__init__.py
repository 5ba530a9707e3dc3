"""Sweeps: many design points of one scenario, resumable, on any executor, then analysed.

A researcher's question is seldom "which of these two?" but "across all these worlds and
settings, what matters, and which setting holds up?". A sweep spec (YAML in
``scenarios/sweeps/``) names a base scenario, the factors to vary (their ranges from
:mod:`sim.scenario.space`), a design, replications on common random numbers and the KPIs
to keep. The modules import one way: :mod:`.spec` (the spec's shape) ← :mod:`.checks`
(reading and checking it) ← :mod:`.design` (the points) ← :mod:`.store` (the folder) ←
:mod:`.runner` (running and resuming) ← :mod:`.analysis` (SALib indices, tables).
"""

from __future__ import annotations

from sim.experiments.sweep.analysis import COLUMNS, best_levers, indices, outcomes
from sim.experiments.sweep.checks import MAX_RUNS, load_sweep
from sim.experiments.sweep.design import Points, design_points, salib_problem
from sim.experiments.sweep.identity import check_same_plan, spec_from_plan
from sim.experiments.sweep.runner import (
    FunctionModel,
    SweepTask,
    resume_sweep,
    run_sweep,
    run_sweep_task,
)
from sim.experiments.sweep.spec import DESIGNS, Design, SweepError, SweepSpec, spec_hash
from sim.experiments.sweep.store import Status, SweepFolder

__all__ = [
    "COLUMNS",
    "DESIGNS",
    "MAX_RUNS",
    "Design",
    "FunctionModel",
    "Points",
    "Status",
    "SweepError",
    "SweepFolder",
    "SweepSpec",
    "SweepTask",
    "best_levers",
    "check_same_plan",
    "design_points",
    "indices",
    "load_sweep",
    "outcomes",
    "resume_sweep",
    "run_sweep",
    "run_sweep_task",
    "salib_problem",
    "spec_from_plan",
    "spec_hash",
]
