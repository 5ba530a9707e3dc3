"""Experiments: replications, comparisons and the executors that run them.

A model is a function of its parameters: ``run(scenario, seed)``. Replications and
comparisons are lists of small picklable tasks handed to an executor (in-process, a process
pool on all cores, or Dask distributed); common random numbers pair the arms.

The modules import one way: :mod:`~sim.experiments.tasks` (the specs and what runs them)
← :mod:`~sim.experiments.plan` (which tasks an experiment makes, and the stacks) ←
:mod:`~sim.experiments.executors` (where they run) ← :mod:`~sim.experiments.replications`
and :mod:`~sim.experiments.comparison`.
"""

from __future__ import annotations

from sim.engines import AUTO_VECTOR_FROM, ENGINES, choose_engine, run, run_stack
from sim.experiments.comparison import (
    BASE_ARM,
    DEFAULT_N,
    Comparison,
    arms_from_scenario,
    compare,
)
from sim.experiments.executors import (
    DaskExecutor,
    Executor,
    InProcess,
    ProcessPool,
    make_executor,
)
from sim.experiments.progress import ProgressBar
from sim.experiments.replications import Replications, replicate
from sim.experiments.tasks import RunOutput, RunTask, StackTask
from sim.rng import DEFAULT_SEED

__all__ = [
    "AUTO_VECTOR_FROM",
    "BASE_ARM",
    "DEFAULT_N",
    "DEFAULT_SEED",
    "ENGINES",
    "Comparison",
    "DaskExecutor",
    "Executor",
    "InProcess",
    "ProcessPool",
    "ProgressBar",
    "Replications",
    "RunOutput",
    "RunTask",
    "StackTask",
    "arms_from_scenario",
    "choose_engine",
    "compare",
    "make_executor",
    "replicate",
    "run",
    "run_stack",
]
