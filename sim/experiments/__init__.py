"""Experiments: replications, comparisons and the executors that run them.

A model is a function of its parameters: ``run(scenario, seed)``. Replications and
comparisons are lists of small picklable tasks handed to an executor (in-process, a process
pool on all cores, or Dask distributed); common random numbers pair the arms.
"""

from __future__ import annotations

from sim.experiments.executors import (
    DaskExecutor,
    Executor,
    InProcess,
    ProcessPool,
    RunTask,
    make_executor,
)
from sim.experiments.progress import ProgressBar
from sim.experiments.runs import (
    AUTO_VECTOR_FROM,
    BASE_ARM,
    DEFAULT_N,
    ENGINES,
    Comparison,
    Replications,
    arms_from_scenario,
    choose_engine,
    compare,
    replicate,
    run,
)

__all__ = [
    "AUTO_VECTOR_FROM",
    "BASE_ARM",
    "DEFAULT_N",
    "ENGINES",
    "Comparison",
    "DaskExecutor",
    "Executor",
    "InProcess",
    "ProcessPool",
    "ProgressBar",
    "Replications",
    "RunTask",
    "arms_from_scenario",
    "choose_engine",
    "compare",
    "make_executor",
    "replicate",
    "run",
]
