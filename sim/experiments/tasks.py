"""Tasks: the small, picklable specs of the runs of an experiment, and what turns them into outputs.

An experiment ships its runs to workers as :class:`RunTask` specs — the scenario as JSON,
the replication's seed entropy and spawn key, the engine — and a worker turns a spec into a
:class:`RunOutput` (the KPI dict and a retention curve; the full
:class:`~sim.results.run_result.RunResult` only when asked for) with :func:`run_task`. On
the vector engine several replications of one arm travel together as a :class:`StackTask`
and run in one vectorised pass (:func:`run_stack_task`), each identical to its lone run.

Every run is a pure function of its spec, so the answer does not depend on where it ran.
:func:`tabulate` turns the outputs of an experiment into tidy tables.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from sim.engines import run, run_stack
from sim.results.run_result import RunResult
from sim.rng import replication_seed
from sim.scenario.spec import Scenario, scenario_to_dict

__all__ = [
    "RunOutput",
    "RunTask",
    "StackTask",
    "launch_cohort_survival",
    "run_stack_task",
    "run_task",
    "scenario_from_json",
    "scenario_json",
    "tabulate",
]


def scenario_json(scenario: Scenario) -> str:
    """A resolved scenario as compact JSON, keys in the scenario's own order.

    Key order is kept because some mappings are ordered (the acquisition funnel's stages
    run in the order written), so sorted keys would change the run.
    """
    return json.dumps(scenario_to_dict(scenario), separators=(",", ":"))


@lru_cache(maxsize=16)
def scenario_from_json(text: str) -> Scenario:
    """The scenario of :func:`scenario_json`'s text, validated once per worker.

    The tasks of one arm share the same JSON, so the cache saves a validation per run.
    """
    return Scenario.model_validate(json.loads(text))


@dataclass(frozen=True)
class RunTask:
    """One run of one arm, as shipped to a worker.

    Attributes:
        arm: the arm's name.
        replication: the replication index.
        scenario_json: the resolved scenario as JSON (:func:`scenario_json`).
        entropy: the experiment seed (the ``SeedSequence`` entropy).
        spawn_key: the replication's spawn key (``(replication,)``).
        keep_result: whether to send the full :class:`RunResult` back.
        engine: the simulation engine (``"agent"``, ``"vector"`` or ``"auto"``).
        force: run past the soft size ceilings (:func:`sim.scenario.size.check_size`): the
            experiment was forced, and a worker must not refuse what its plan accepted.
    """

    arm: str
    replication: int
    scenario_json: str
    entropy: int
    spawn_key: tuple[int, ...]
    keep_result: bool = False
    engine: str = "agent"
    force: bool = False

    @classmethod
    def build(
        cls,
        arm: str,
        replication: int,
        scenario: Scenario,
        seed: int,
        keep_result: bool = False,
        engine: str = "agent",
        force: bool = False,
    ) -> RunTask:
        """The task for replication ``replication`` of ``scenario`` in an experiment ``seed``.

        The seed is :func:`sim.rng.replication_seed` ``(seed, replication)``, so every arm's
        replication ``i`` shares customers and shocks (common random numbers).
        """
        text = scenario_json(scenario)
        return cls.from_json(arm, replication, text, seed, keep_result, engine, force)

    @classmethod
    def from_json(
        cls,
        arm: str,
        replication: int,
        text: str,
        seed: int,
        keep_result: bool = False,
        engine: str = "agent",
        force: bool = False,
    ) -> RunTask:
        """As :meth:`build`, from the scenario's :func:`scenario_json` text.

        An experiment serialises each arm once and builds its tasks from the text, one at a
        time as the executor asks for them.
        """
        root = replication_seed(seed, replication)
        entropy = root.entropy
        if not isinstance(entropy, int):
            raise TypeError(f"an experiment seed is one integer, got {seed!r}")
        key = tuple(root.spawn_key)
        return cls(arm, replication, text, entropy, key, keep_result, engine, force)

    def seed_sequence(self) -> np.random.SeedSequence:
        """The run's root ``SeedSequence``, rebuilt exactly."""
        return np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key)


@dataclass(frozen=True)
class StackTask:
    """Replications of one arm run together in one vector-engine pass.

    Attributes:
        tasks: the replications' tasks (one arm, one engine: ``"vector"``).
    """

    tasks: tuple[RunTask, ...]


@dataclass(frozen=True)
class RunOutput:
    """What a worker sends back: small by default.

    Attributes:
        arm: the arm's name.
        replication: the replication index.
        kpis: the run's headline KPIs (:attr:`RunResult.kpis`).
        days: day 0 and the end day of every reporting period.
        retention: share of the day-0 cohort still active at each of ``days``.
        seconds: wall time of the run in the worker.
        result: the full result when the task asked for it, else None.
    """

    arm: str
    replication: int
    kpis: dict[str, float]
    days: tuple[float, ...]
    retention: tuple[float, ...]
    seconds: float
    result: RunResult | None = None


def launch_cohort_survival(result: RunResult) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Share of the day-0 cohort active at day 0 and at the end of every period.

    A customer counts as active at day t until their last churn, and a churn at exactly t
    belongs to the period that starts at t (the ``retention_*`` KPIs' convention). The
    curve has only the customers table, so a customer won back and active at the end counts
    as active throughout; the KPIs, which read the churn and win-back logs, count the state
    as it stood at t, and differ from the curve only in scenarios with win-back.

    Args:
        result: a finished run.

    Returns:
        The days and the shares (empty shares are NaN when there was no day-0 cohort).
    """
    days = np.concatenate([[0.0], result.periods["end"].to_numpy(dtype=float)])
    cohort = result.customers[result.customers["channel"] == "initial"]
    if cohort.empty:
        return tuple(days.tolist()), tuple([float("nan")] * days.size)
    churned = cohort["churned"].to_numpy(dtype=float)
    alive = np.isnan(churned)[None, :] | (churned[None, :] >= days[:, None])
    return tuple(days.tolist()), tuple(alive.mean(axis=1).tolist())


def _output(task: RunTask, result: RunResult, seconds: float) -> RunOutput:
    days, share = launch_cohort_survival(result)
    kept = result if task.keep_result else None
    return RunOutput(task.arm, task.replication, result.kpis, days, share, seconds, kept)


def run_task(task: RunTask) -> RunOutput:
    """Execute one task (in whichever process the executor chose).

    Args:
        task: the run's spec.

    Returns:
        Its KPIs and retention curve, plus the full result if ``task.keep_result``.

    Raises:
        UserError: a run past a hard size ceiling, or a soft one without ``task.force``
            (:func:`sim.scenario.size.check_size`; the experiment checks before it starts).
    """
    start = time.perf_counter()
    sc = scenario_from_json(task.scenario_json)
    result = run(sc, task.seed_sequence(), engine=task.engine, force=task.force)
    return _output(task, result, time.perf_counter() - start)


def run_stack_task(stack: StackTask) -> list[RunOutput]:
    """Execute a stack: one output per task, each identical to :func:`run_task`'s.

    ``seconds`` is the stack's wall time shared equally among its replications.
    """
    start = time.perf_counter()
    sc = scenario_from_json(stack.tasks[0].scenario_json)
    seeds = [t.seed_sequence() for t in stack.tasks]
    results = run_stack(sc, seeds, force=stack.tasks[0].force)
    per_run = (time.perf_counter() - start) / len(results)
    return [_output(t, r, per_run) for t, r in zip(stack.tasks, results, strict=True)]


def tabulate(
    outputs: Iterable[RunOutput], arm_order: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, dict[tuple[str, int], RunResult]]:
    """Outputs as tidy tables, sorted by arm (in ``arm_order``) and replication.

    Returns:
        The KPI table (``arm``, ``replication``, one column per KPI), the retention curves
        (``arm``, ``replication``, ``period``, ``day``, ``retention``) and the kept results
        by ``(arm, replication)``.
    """
    rank = {a: k for k, a in enumerate(arm_order)}
    ordered = sorted(outputs, key=lambda o: (rank[o.arm], o.replication))
    metrics: dict[str, None] = {}
    for o in ordered:
        metrics.update(dict.fromkeys(o.kpis))
    columns: dict[str, pd.Series] = {
        "arm": pd.Series([o.arm for o in ordered], dtype="object"),
        "replication": pd.Series([o.replication for o in ordered], dtype="int64"),
    }
    for m in metrics:
        columns[m] = pd.Series([o.kpis.get(m, np.nan) for o in ordered], dtype="float64")
    rows = [
        (o.arm, o.replication, p, day, share)
        for o in ordered
        for p, (day, share) in enumerate(zip(o.days, o.retention, strict=True))
    ]
    curves = pd.DataFrame(rows, columns=["arm", "replication", "period", "day", "retention"])
    curves = curves.astype({"arm": "object", "replication": "int64", "period": "int64",
                            "day": "float64", "retention": "float64"})  # fmt: skip
    kept = {(o.arm, o.replication): o.result for o in ordered if o.result is not None}
    return pd.DataFrame(columns), curves, kept
