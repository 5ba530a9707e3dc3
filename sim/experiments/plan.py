"""The plan of an experiment: which runs it makes, and which of them travel together.

An experiment of arms × replications becomes one :class:`~sim.experiments.tasks.RunTask`
per run, replication by replication (every arm of replication 0, then of 1 …) so that a
progress bar fills evenly across arms. On the vector engine an arm's consecutive
replications are grouped into :class:`~sim.experiments.tasks.StackTask` s, each run in one
vectorised pass (:func:`sim.engines.run_stack`, :mod:`sim.vector_engine.lanes`) with every
replication identical to its lone run: how they are grouped decides the speed, never a
number.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import zip_longest

from sim.experiments.tasks import RunTask, StackTask
from sim.scenario.spec import Scenario

__all__ = ["STACK_CUSTOMERS", "run_tasks", "stack_size", "stack_tasks", "stacks"]

#: A stack holds replications up to about this many customers at launch: beyond it the
#: per-round cost is already shared and a bigger stack only delays the progress bar.
STACK_CUSTOMERS = 40_000


def run_tasks(
    arms: Mapping[str, Scenario],
    replications: range,
    seed: int,
    keep_results: bool = False,
    engine: str = "agent",
) -> list[RunTask]:
    """One task per arm and replication, replication by replication.

    Args:
        arms: arm name → scenario.
        replications: replication indices to run.
        seed: the experiment seed.
        keep_results: ask the workers to send the full results back.
        engine: the simulation engine of every run.
    """
    return [
        RunTask.build(arm, i, sc, seed, keep_results, engine)
        for i in replications
        for arm, sc in arms.items()
    ]


def stacks(engine: str, replications: int) -> bool:
    """Whether the runs go in stacks: on the vector engine, when there is more than one."""
    return engine == "vector" and replications > 1


def stack_size(initial: int, replications: int, workers: int) -> int:
    """Replications per stack for an arm of ``initial`` customers.

    As many as fit :data:`STACK_CUSTOMERS`, but never so few stacks that a worker idles:
    at least ``workers`` stacks when there are that many replications.
    """
    fit = max(1, STACK_CUSTOMERS // max(initial, 1))
    spread = -(-replications // max(workers, 1))
    return max(1, min(fit, spread, replications))


def stack_tasks(
    arms: Mapping[str, Scenario], tasks: list[RunTask], workers: int
) -> list[StackTask]:
    """The tasks in stacks of one arm's consecutive replications, the arms interleaved.

    Interleaving the arms' stacks keeps a progress bar filling evenly across arms.
    """
    chunks: list[list[StackTask]] = []
    for arm, sc in arms.items():
        mine = [t for t in tasks if t.arm == arm]
        size = stack_size(sc.population.initial, len(mine), workers)
        chunks.append([StackTask(tuple(mine[i : i + size])) for i in range(0, len(mine), size)])
    return [s for group in zip_longest(*chunks) for s in group if s is not None]
