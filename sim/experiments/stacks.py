"""Stacked experiments: an arm's replications shipped to workers in vector-engine stacks.

On the vector engine a stack of replications runs in one vectorised pass
(:func:`sim.engines.run_stack`, :mod:`sim.vector_engine.lanes`) with each replication identical to
its
lone run, so :func:`sim.experiments.executors.execute` ships an arm's consecutive replications as
one
:class:`StackTask`. How they are grouped decides the speed, never a number.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import zip_longest
from typing import TYPE_CHECKING

from sim.experiments.executors import Executor, RunOutput, RunTask, _scenario, cohort_retention

if TYPE_CHECKING:
    from sim.scenario.spec import Scenario

__all__ = ["STACK_CUSTOMERS", "StackTask", "execute_stacked", "run_stack_task", "stack_size"]


@dataclass(frozen=True)
class StackTask:
    """Replications of one arm run together in one vector-engine pass.

    Attributes:
        tasks: the replications' tasks (one arm, one engine: ``"vector"``).
    """

    tasks: tuple[RunTask, ...]


def run_stack_task(stack: StackTask) -> list[RunOutput]:
    """Execute a stack: one output per task, each identical to :func:`run_task`'s.

    ``seconds`` is the stack's wall time shared equally among its replications.
    """
    from sim.engines import run_stack

    start = time.perf_counter()
    first = stack.tasks[0]
    results = run_stack(_scenario(first.scenario_json), [t.seed_sequence() for t in stack.tasks])
    per_run = (time.perf_counter() - start) / len(results)
    outputs = []
    for task, result in zip(stack.tasks, results, strict=True):
        days, share = cohort_retention(result)
        kept = result if task.keep_result else None
        outputs.append(RunOutput(task.arm, task.replication, result.kpis, days, share, per_run,
                                 kept))  # fmt: skip
    return outputs


#: A stack holds replications up to about this many customers at launch: beyond it the
#: per-round cost is already shared and a bigger stack only delays the progress bar.
STACK_CUSTOMERS = 40_000


def stack_size(initial: int, replications: int, workers: int) -> int:
    """Replications per stack for an arm of ``initial`` customers.

    As many as fit :data:`STACK_CUSTOMERS`, but never so few stacks that a worker idles:
    at least ``workers`` stacks when there are that many replications.
    """
    fit = max(1, STACK_CUSTOMERS // max(initial, 1))
    spread = -(-replications // max(workers, 1))
    return max(1, min(fit, spread, replications))


def execute_stacked(
    arms: Mapping[str, Scenario],
    tasks: list[RunTask],
    executor: Executor,
    progress: Callable[[int, int], None] | None,
    done: int,
    total: int,
) -> list[RunOutput]:
    """Run the tasks in stacks of one arm's consecutive replications; outputs in task order."""
    workers = int(getattr(executor, "workers", 1) or 1)
    chunks: list[list[StackTask]] = []
    for arm, sc in arms.items():
        mine = [t for t in tasks if t.arm == arm]
        size = stack_size(sc.population.initial, len(mine), workers)
        chunks.append([StackTask(tuple(mine[i : i + size])) for i in range(0, len(mine), size)])
    # Interleave the arms' stacks so that the progress bar fills evenly across arms.
    stacks = [s for group in zip_longest(*chunks) for s in group if s is not None]
    got: dict[tuple[str, int], RunOutput] = {}
    for outs in executor.map(run_stack_task, stacks):
        for out in outs:
            got[(out.arm, out.replication)] = out
        if progress is not None:
            progress(done + len(got), total)
    return [got[(t.arm, t.replication)] for t in tasks]
