"""Executors: where the runs of a replication or comparison happen.

An experiment is a list of small, picklable :class:`RunTask` specs — the scenario as JSON,
the replication's seed entropy and spawn key — and one function, :func:`run_task`, that
turns a spec into a :class:`RunOutput` (the KPI dict and a retention curve; the full
:class:`~sim.results.run_result.RunResult` only when asked for). Any object with
``map(fn, tasks) -> iterator of results in task order`` can execute the list:

* :class:`InProcess` — one after the other, in this process;
* :class:`ProcessPool` — local worker processes started with the ``"spawn"`` method (a
  context created here; the global start method is never touched);
* :class:`DaskExecutor` — a dask.distributed cluster: an existing scheduler, or a
  ``LocalCluster`` on loopback started (and closed) by the executor.

On the vector engine, :func:`execute` ships the replications of an arm in *stacks*
(:mod:`sim.experiments.stacks`, :mod:`sim.vector_engine.lanes`): one vectorised pass runs several
replications,
each identical to its lone run, so stacking changes the speed and never a number.

Because every run is a pure function of its spec, the answer does not depend on the
executor, the number of workers, the stacking or the order in which workers finish. :func:`execute`
builds and runs the tasks of an experiment, :func:`tabulate` turns the outputs into tidy
tables.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np
import pandas as pd

from sim.errors import UserError

if TYPE_CHECKING:
    from sim.results.run_result import RunResult
    from sim.scenario.spec import Scenario

__all__ = [
    "DaskExecutor",
    "Executor",
    "InProcess",
    "ProcessPool",
    "RunOutput",
    "RunTask",
    "cohort_retention",
    "execute",
    "make_executor",
    "run_task",
    "tabulate",
]

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """Anything that maps a function over tasks and yields the results in task order."""

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """Apply ``fn`` to every task; yield the results in the order of ``tasks``."""
        ...


# ----------------------------------------------------------------------------- tasks
@dataclass(frozen=True)
class RunTask:
    """One run of one arm, as shipped to a worker.

    Attributes:
        arm: the arm's name.
        replication: the replication index.
        scenario_json: the resolved scenario as JSON (keys in the scenario's own order).
        entropy: the experiment seed (the ``SeedSequence`` entropy).
        spawn_key: the replication's spawn key (``(replication,)``).
        keep_result: whether to send the full :class:`RunResult` back.
        engine: the simulation engine (``"agent"``, ``"vector"`` or ``"auto"``).
    """

    arm: str
    replication: int
    scenario_json: str
    entropy: int
    spawn_key: tuple[int, ...]
    keep_result: bool = False
    engine: str = "agent"

    @classmethod
    def build(
        cls,
        arm: str,
        replication: int,
        scenario: Scenario,
        seed: int,
        keep_result: bool = False,
        engine: str = "agent",
    ) -> RunTask:
        """The task for replication ``replication`` of ``scenario`` in an experiment ``seed``.

        The seed is :func:`sim.rng.replication_seed` ``(seed, replication)``, so every arm's
        replication ``i`` shares customers and shocks (common random numbers).
        """
        from sim.rng import replication_seed
        from sim.scenario.spec import scenario_to_dict

        root = replication_seed(seed, replication)
        entropy = root.entropy
        if not isinstance(entropy, int):
            raise TypeError(f"an experiment seed is one integer, got {seed!r}")
        # Keep key order: some mappings are ordered (the acquisition funnel's stages run in
        # the order written), so sorted keys would change the run.
        text = json.dumps(scenario_to_dict(scenario), separators=(",", ":"))
        return cls(arm, replication, text, entropy, tuple(root.spawn_key), keep_result, engine)

    def seed_sequence(self) -> np.random.SeedSequence:
        """The run's root ``SeedSequence``, rebuilt exactly."""
        return np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key)


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


@lru_cache(maxsize=16)
def _scenario(text: str) -> Scenario:
    """Validate a scenario once per worker (tasks of one arm share the same JSON)."""
    from sim.scenario.spec import Scenario

    return Scenario.model_validate(json.loads(text))


def cohort_retention(result: RunResult) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Share of the day-0 cohort active at day 0 and at the end of every period.

    A customer counts as active until their last churn (a customer won back and active at
    the end counts as active throughout), as for the ``retention_*`` KPIs.

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
    alive = np.isnan(churned)[None, :] | (churned[None, :] > days[:, None])
    return tuple(days.tolist()), tuple(alive.mean(axis=1).tolist())


def run_task(task: RunTask) -> RunOutput:
    """Execute one task (in whichever process the executor chose).

    Args:
        task: the run's spec.

    Returns:
        Its KPIs and retention curve, plus the full result if ``task.keep_result``.
    """
    from sim.experiments.runs import run

    start = time.perf_counter()
    result = run(_scenario(task.scenario_json), task.seed_sequence(), engine=task.engine)
    days, share = cohort_retention(result)
    return RunOutput(
        task.arm,
        task.replication,
        result.kpis,
        days,
        share,
        time.perf_counter() - start,
        result if task.keep_result else None,
    )


def execute(
    arms: Mapping[str, Scenario],
    replications: range,
    seed: int,
    executor: Executor,
    keep_results: bool = False,
    progress: Callable[[int, int], None] | None = None,
    done: int = 0,
    total: int | None = None,
    engine: str = "agent",
) -> list[RunOutput]:
    """Run every arm on every replication in ``replications``; outputs in task order.

    Tasks go replication by replication (every arm of replication 0, then of 1 …) so that
    a progress bar fills evenly across arms.

    Args:
        arms: arm name → scenario.
        replications: replication indices to run.
        seed: the experiment seed.
        executor: where the runs happen.
        keep_results: ship the full results back.
        progress: optional ``progress(done_runs, total_runs)``, called after each run.
        done: runs already done before this call (for the progress count).
        total: total runs to report; ``done`` plus this call's runs by default.
        engine: the simulation engine of every run.

    Returns:
        One output per task.
    """
    tasks = [
        RunTask.build(arm, i, sc, seed, keep_results, engine)
        for i in replications
        for arm, sc in arms.items()
    ]
    total = done + len(tasks) if total is None else total
    outputs: list[RunOutput] = []
    if progress is not None:
        progress(done, total)
    if engine == "vector" and len(replications) > 1:
        from sim.experiments.stacks import execute_stacked

        return execute_stacked(arms, tasks, executor, progress, done, total)
    for out in executor.map(run_task, tasks):
        outputs.append(out)
        if progress is not None:
            progress(done + len(outputs), total)
    return outputs


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


# ------------------------------------------------------------------------- executors
class InProcess:
    """Run tasks one after the other in this process (the default; easiest to debug)."""

    workers = 1

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """Yield ``fn(task)`` for each task, lazily and in order."""
        for task in tasks:
            yield fn(task)

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> InProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return "InProcess()"


class ProcessPool:
    """Local worker processes (``concurrent.futures`` with a ``"spawn"`` context).

    Workers start on the first :meth:`map` and are reused until :meth:`close` (or the end of
    a ``with`` block), so a comparison in several batches pays the start-up once.

    Args:
        workers: number of worker processes; None uses ``os.cpu_count()``.
    """

    def __init__(self, workers: int | None = None) -> None:
        n = workers if workers is not None else (os.cpu_count() or 1)
        if n < 1:
            raise UserError(f"workers must be at least 1, got {n}")
        self.workers = n
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """Submit every task, then yield the results in task order."""
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)
        futures: list[Future[R]] = [self._pool.submit(fn, t) for t in tasks]
        return _in_order(futures, lambda fs: [f.cancel() for f in fs])

    def close(self) -> None:
        """Shut the worker processes down."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> ProcessPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ProcessPool(workers={self.workers})"


class DaskExecutor:
    """Run tasks on a dask.distributed cluster.

    Args:
        address: a scheduler address (``"tcp://host:8786"``) to connect to; ``"local"`` or
            None to start a ``LocalCluster`` on loopback (worker processes with one thread
            each, no dashboard), which :meth:`close` shuts down again.
        workers: number of workers of a local cluster; None uses ``os.cpu_count()``.

    Raises:
        UserError: dask.distributed is not installed, or the scheduler cannot be reached.
    """

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - depends on the environment
            raise UserError(
                "the Dask executor needs dask.distributed: pip install 'crm-sandbox[distributed]'"
            ) from None
        self._cluster: Any = None
        if address is None or address == "local":
            n = workers if workers is not None else (os.cpu_count() or 1)
            if n < 1:
                raise UserError(f"workers must be at least 1, got {n}")
            self._cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
            self.workers = n
            try:
                self._client: Any = Client(self._cluster)
            except BaseException:
                self._cluster.close()
                raise
        else:
            try:
                self._client = Client(address, timeout=30)
            except OSError as exc:
                raise UserError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
            self.workers = len(self._client.scheduler_info().get("workers", {})) or 1
        self.address = str(self._client.scheduler.address)

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """Submit every task to the cluster, then yield the results in task order."""
        futures = self._client.map(fn, list(tasks), pure=False)
        return _in_order(futures, self._client.cancel)

    def close(self) -> None:
        """Close the client, and the local cluster if this executor started it."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"DaskExecutor(address={self.address!r}, workers={self.workers})"


def _in_order(futures: list[Any], cancel: Callable[[list[Any]], Any]) -> Iterator[Any]:
    """Yield each future's result in order; cancel what is left if the consumer stops."""
    try:
        for i, future in enumerate(futures):
            yield future.result()
            futures[i] = None  # let the result go once it has been handed over
    finally:
        pending = [f for f in futures if f is not None]
        if pending:
            cancel(pending)


def make_executor(
    workers: int | None = None, scheduler: str | None = None
) -> InProcess | ProcessPool | DaskExecutor:
    """Pick an executor from command-line style settings.

    Args:
        workers: None or 1 → :class:`InProcess`; 0 → a :class:`ProcessPool` on every core;
            N ≥ 2 → a :class:`ProcessPool` of N workers (or the size of a local Dask
            cluster when ``scheduler`` is ``"local"``).
        scheduler: a Dask scheduler address, or ``"local"`` for a ``LocalCluster`` on
            loopback; None for no Dask.

    Returns:
        The executor; close it (or use it in a ``with`` block) when done.

    Raises:
        UserError: a negative worker count.
    """
    if workers is not None and workers < 0:
        raise UserError(f"--workers must be 0 (all cores) or a positive number, got {workers}")
    n = None if workers == 0 else workers
    if scheduler:
        return DaskExecutor(scheduler, n)
    if workers is None or workers == 1:
        return InProcess()
    return ProcessPool(n)
