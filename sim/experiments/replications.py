"""Replications: one scenario run many times on independent seeds.

Replication ``i`` runs on ``replication_seed(seed, i)`` — the same seeds
:func:`sim.experiments.compare` uses — so replications of two scenarios pair up.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.engines import choose_engine, run
from sim.errors import UserError, check_callback, check_seed, check_source
from sim.experiments.executors import Executor, InProcess, Progress, execute
from sim.experiments.inputs import as_scenario, check_count, check_executor, chosen_metrics
from sim.experiments.stats import describe
from sim.experiments.tasks import tabulate
from sim.results.run_result import RunResult
from sim.rng import DEFAULT_SEED, replication_seed
from sim.scenario.spec import Scenario

__all__ = ["Replications", "replicate"]


@dataclass
class Replications:
    """Independent replications of one scenario.

    Attributes:
        scenario: the scenario that was replicated.
        seed: the experiment seed; replication ``i`` ran on ``replication_seed(seed, i)``.
        engine: the engine every replication ran on (``"agent"`` or ``"vector"``, never
            ``"auto"``); :meth:`result` re-runs on it.
        table: one row per replication: ``arm`` (the scenario's name), ``replication``,
            then one column per KPI.
        curves: retention of the day-0 cohort: ``arm``, ``replication``, ``period``
            (0 = day 0), ``day``, ``retention``.
        results: full results by replication, kept only with ``keep_results=True``.
        seconds: wall time of the whole experiment.
    """

    scenario: Scenario
    seed: int
    engine: str
    table: pd.DataFrame
    curves: pd.DataFrame
    results: dict[int, RunResult] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def n(self) -> int:
        """Number of replications."""
        return len(self.table)

    @property
    def metrics(self) -> list[str]:
        """The KPI columns of :attr:`table`."""
        return [c for c in self.table.columns if c not in ("arm", "replication")]

    def result(self, replication: int) -> RunResult:
        """The full result of one replication: kept, or re-run on its seed and engine.

        A re-run is identical to the replication (its KPIs are those in :attr:`table`), and
        is not held to the soft size ceilings again: the experiment already ran it.
        """
        if replication in self.results:
            return self.results[replication]
        if not 0 <= replication < self.n:
            raise UserError(f"replication {replication} is not in 0..{self.n - 1}")
        seed = replication_seed(self.seed, replication)
        return run(self.scenario, seed, engine=self.engine, force=True)

    def summary(self, metrics: Iterable[str] | None = None, level: float = 0.95) -> pd.DataFrame:
        """Per metric: ``metric, n, mean, sd, low, high, half_width`` (t-interval)."""
        rows = [
            {"metric": m, **describe(self.table[m].to_numpy(dtype=float), level)}
            for m in chosen_metrics(self.metrics, metrics)
        ]
        return pd.DataFrame(rows)


def replicate(
    scenario: Scenario | str | Path,
    n: int,
    seed: int = DEFAULT_SEED,
    executor: Executor | None = None,
    keep_results: bool = False,
    progress: Progress | None = None,
    engine: str = "agent",
    force: bool = False,
) -> Replications:
    """Run one scenario ``n`` times on independent seeds.

    Args:
        scenario: a :class:`Scenario`, a library name or a YAML path.
        n: number of replications (≥ 2).
        seed: experiment seed (:data:`sim.rng.DEFAULT_SEED` by default); replication ``i``
            runs on ``replication_seed(seed, i)``, the same seeds :func:`compare` uses, so
            replications of two scenarios pair up.
        executor: where to run (:mod:`sim.experiments.executors`); in this process by
            default. An executor passed in is left open.
        keep_results: keep every full :class:`RunResult` (memory grows with ``n``); without
            it :meth:`Replications.result` re-runs a replication on demand.
        progress: optional callback ``progress(done_runs, total_runs)``.
        engine: ``"agent"``, ``"vector"`` or ``"auto"`` (the vector engine for experiments).
        force: go past the soft ceilings: more than
            :data:`sim.experiments.plan.MAX_REPLICATIONS` replications, and a run past the
            soft size ceilings of :func:`sim.scenario.size.check_size`, both checked before
            any replication runs.

    Returns:
        The per-replication table and retention curves.

    Raises:
        ArgumentError: ``scenario`` of another type, a ``seed`` that is not a whole number
            ≥ 0 (``True`` included), an ``executor`` without ``map``, a ``progress`` that
            cannot be called.
        ScenarioError: a scenario name or file that does not load.
        UserError: ``n`` below 2, or above the ceiling without ``force``; a run past a size
            ceiling (a hard one, or a soft one without ``force``); an unknown ``engine``.
    """
    if not isinstance(scenario, Scenario):
        check_source(scenario)
    seed = check_seed(seed)
    check_executor(executor)
    check_callback(progress)
    check_count("n", n)
    sc = as_scenario(scenario)
    start = time.perf_counter()
    ex: Executor = executor if executor is not None else InProcess()
    chosen = choose_engine(sc, engine, experiment=True)
    outputs = execute(
        {sc.name: sc}, range(n), seed, ex, keep_results, progress, engine=chosen, force=force
    )
    table, curves, kept = tabulate(outputs, [sc.name])
    results = {i: r for (_, i), r in kept.items()}
    return Replications(
        scenario=sc,
        seed=seed,
        engine=chosen,
        table=table,
        curves=curves,
        results=results,
        seconds=time.perf_counter() - start,
    )
