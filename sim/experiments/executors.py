"""Executors: where the runs of a replication or comparison happen.

An experiment is a list of small, picklable tasks (:mod:`sim.experiments.tasks`), planned by
:mod:`sim.experiments.plan`. Any object with ``map(fn, tasks) -> iterator of results in
task order`` can execute the list:

* :class:`InProcess` — one after the other, in this process;
* :class:`ProcessPool` — local worker processes started with the ``"spawn"`` method (a
  context created here; the global start method is never touched);
* :class:`DaskExecutor` — a dask.distributed cluster: an existing scheduler, or a
  ``LocalCluster`` on loopback started (and closed) by the executor.

Because every run is a pure function of its spec, the answer does not depend on the
executor, the number of workers, the stacking or the order in which workers finish.
:func:`execute` plans and runs the tasks of an experiment on an executor.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Protocol, TypeVar

from sim.errors import UserError
from sim.experiments.plan import run_tasks, stack_tasks, stacks
from sim.experiments.tasks import RunOutput, run_stack_task, run_task
from sim.scenario.spec import Scenario

__all__ = [
    "DaskExecutor",
    "Executor",
    "InProcess",
    "ProcessPool",
    "Progress",
    "execute",
    "make_executor",
]

T = TypeVar("T")
R = TypeVar("R")

#: A progress callback: ``progress(done_runs, total_runs)``.
Progress = Callable[[int, int], None]


class Executor(Protocol):
    """Anything that maps a function over tasks and yields the results in task order."""

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """Apply ``fn`` to every task; yield the results in the order of ``tasks``."""
        ...


def execute(
    arms: Mapping[str, Scenario],
    replications: range,
    seed: int,
    executor: Executor,
    keep_results: bool = False,
    progress: Progress | None = None,
    done: int = 0,
    total: int | None = None,
    engine: str = "agent",
) -> list[RunOutput]:
    """Run every arm on every replication in ``replications``; outputs in task order.

    Args:
        arms: arm name → scenario.
        replications: replication indices to run.
        seed: the experiment seed.
        executor: where the runs happen.
        keep_results: ship the full results back.
        progress: optional ``progress(done_runs, total_runs)``, called after each run (or
            each stack of runs).
        done: runs already done before this call (for the progress count).
        total: total runs to report; ``done`` plus this call's runs by default.
        engine: the simulation engine of every run (a resolved one: ``"vector"`` stacks).

    Returns:
        One output per task, in the order of :func:`sim.experiments.plan.run_tasks`.
    """
    tasks = run_tasks(arms, replications, seed, keep_results, engine)
    total = done + len(tasks) if total is None else total
    if progress is not None:
        progress(done, total)
    if stacks(engine, len(replications)):
        workers = int(getattr(executor, "workers", 1) or 1)
        got: dict[tuple[str, int], RunOutput] = {}
        for outs in executor.map(run_stack_task, stack_tasks(arms, tasks, workers)):
            for out in outs:
                got[(out.arm, out.replication)] = out
            if progress is not None:
                progress(done + len(got), total)
        return [got[(t.arm, t.replication)] for t in tasks]
    outputs: list[RunOutput] = []
    for out in executor.map(run_task, tasks):
        outputs.append(out)
        if progress is not None:
            progress(done + len(outputs), total)
    return outputs


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
        # Imported here: dask.distributed is an optional extra, and slow to import.
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
