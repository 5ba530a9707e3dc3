"""The plan of an experiment: which runs it makes, and which of them travel together.

An experiment of arms × replications becomes one :class:`~sim.experiments.tasks.RunTask`
per run, replication by replication (every arm of replication 0, then of 1 …) so that a
progress bar fills evenly across arms. On the vector engine an arm's consecutive
replications are grouped into :class:`~sim.experiments.tasks.StackTask` s, each run in one
vectorised pass (:func:`sim.engines.run_stack`, :mod:`sim.vector_engine.lanes`) with every
replication identical to its lone run: how they are grouped decides the speed, never a
number.

Tasks and stacks are generated as the executor takes them, never listed up front. An
experiment past :data:`MAX_REPLICATIONS` replications per arm, or with an arm past the size
ceilings of :mod:`sim.scenario.size` (one run, or one stack of them), is refused before
anything is built unless it is forced past the soft ones (:func:`check_experiment`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import zip_longest

from sim.engines import choose_engine
from sim.errors import UserError
from sim.experiments.tasks import RunTask, StackTask, scenario_json
from sim.scenario.size import check_size
from sim.scenario.spec import Scenario

__all__ = [
    "MAX_REPLICATIONS",
    "STACK_CUSTOMERS",
    "check_experiment",
    "check_replications",
    "experiment_engine",
    "run_tasks",
    "stack_size",
    "stack_tasks",
    "stacks",
]

#: A stack holds replications up to about this many customers at launch: beyond it the
#: per-round cost is already shared and a bigger stack only delays the progress bar.
STACK_CUSTOMERS = 40_000

#: Replications per arm an experiment runs without being forced. Intervals shrink with
#: the square root of the count, so past this point more runs buy almost nothing, and a
#: count this large is far more often a slip of the keyboard (``-n 1000000000``) than a
#: plan: it would hold the machine for days.
MAX_REPLICATIONS = 100_000


def check_replications(count: int, arms: int, force: bool = False) -> None:
    """Refuse more than :data:`MAX_REPLICATIONS` replications per arm, unless forced.

    Checked before any task is built or any run starts.

    Args:
        count: replications per arm the experiment would reach.
        arms: number of arms (to state the number of runs).
        force: go past the ceiling.

    Raises:
        UserError: ``count`` is above the ceiling and ``force`` is not set.
    """
    if count > MAX_REPLICATIONS and not force:
        raise UserError(
            f"{count:,} replications per arm ({count * arms:,} runs) is above the ceiling of "
            f"{MAX_REPLICATIONS:,} per arm; ask for fewer, or pass force=True (--force on "
            "the command line) to run them all"
        )


def experiment_engine(arms: Mapping[str, Scenario], engine: str) -> str:
    """The one engine every arm runs on: paired arms share it, the agent engine if one needs it.

    Args:
        arms: arm name → scenario (at least one).
        engine: ``"agent"``, ``"vector"`` or ``"auto"`` (see :func:`sim.engines.choose_engine`).

    Returns:
        ``"agent"`` or ``"vector"``.

    Raises:
        UserError: an unknown ``engine``.
    """
    engines = {choose_engine(sc, engine, experiment=True) for sc in arms.values()}
    return "agent" if "agent" in engines else engines.pop()


def check_experiment(
    arms: Mapping[str, Scenario],
    replications: range,
    engine: str,
    workers: int = 1,
    force: bool = False,
) -> None:
    """Refuse an experiment past its ceilings before any task is built or any run starts.

    The replications per arm (:func:`check_replications`), and each arm's size
    (:func:`sim.scenario.size.check_size`): one run, or on the vector engine the largest
    stack of replications the plan would give it (:func:`stack_size`), whose memory the
    stacked replications share.

    Args:
        arms: arm name → scenario.
        replications: replication indices to run (the largest batch, for a growing one).
        engine: the engine of every run.
        workers: the executor's workers (they decide how replications are stacked).
        force: go past the soft ceilings; the hard ones hold.

    Raises:
        UserError: a ceiling passed, naming the arm.
    """
    check_replications(replications.stop, len(arms), force)
    stacked = stacks(engine, len(replications))
    for arm, sc in arms.items():
        lanes = stack_size(sc.population.initial, len(replications), workers) if stacked else 1
        try:
            check_size(sc, choose_engine(sc, engine, experiment=True), force, lanes)
        except UserError as exc:
            raise UserError(f"arm {arm!r}: {exc}") from None


def run_tasks(
    arms: Mapping[str, Scenario],
    replications: range,
    seed: int,
    keep_results: bool = False,
    engine: str = "agent",
    force: bool = False,
) -> Iterator[RunTask]:
    """One task per arm and replication, replication by replication, made as they are asked for.

    Each arm is serialised once; a task is built only when the executor takes it, so a
    long experiment holds no list of specs.

    Args:
        arms: arm name → scenario.
        replications: replication indices to run.
        seed: the experiment seed.
        keep_results: ask the workers to send the full results back.
        engine: the simulation engine of every run.
        force: let the workers' runs past the soft size ceilings (the experiment was forced).
    """
    texts = {arm: scenario_json(sc) for arm, sc in arms.items()}
    for i in replications:
        for arm, text in texts.items():
            yield RunTask.from_json(arm, i, text, seed, keep_results, engine, force)


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
    arms: Mapping[str, Scenario],
    replications: range,
    seed: int,
    workers: int,
    keep_results: bool = False,
    engine: str = "vector",
    force: bool = False,
) -> Iterator[StackTask]:
    """Stacks of one arm's consecutive replications, the arms interleaved, made as asked for.

    Interleaving the arms' stacks keeps a progress bar filling evenly across arms. The
    arguments are those of :func:`run_tasks`, plus the number of ``workers`` to feed.
    """
    chunks = [
        _arm_stacks(arm, sc, replications, seed, workers, keep_results, engine, force)
        for arm, sc in arms.items()
    ]
    for group in zip_longest(*chunks):
        yield from (s for s in group if s is not None)


def _arm_stacks(
    arm: str,
    scenario: Scenario,
    replications: range,
    seed: int,
    workers: int,
    keep_results: bool,
    engine: str,
    force: bool = False,
) -> Iterator[StackTask]:
    """One arm's stacks, in replication order."""
    text = scenario_json(scenario)
    size = stack_size(scenario.population.initial, len(replications), workers)
    for start in range(0, len(replications), size):
        chunk = replications[start : start + size]
        yield StackTask(
            tuple(RunTask.from_json(arm, i, text, seed, keep_results, engine, force) for i in chunk)
        )
