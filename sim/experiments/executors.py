"""Executors: where the runs of a replication or comparison happen.

An experiment is a list of small, picklable tasks (:mod:`sim.experiments.tasks`), planned by
:mod:`sim.experiments.plan`. Any object with ``map(fn, tasks) -> iterator of results in
task order`` can execute the list:

* :class:`InProcess` — one after the other, in this process;
* :class:`ProcessPool` — local worker processes started with the ``"spawn"`` method (a
  context created here; the global start method is never touched);
* :class:`DaskExecutor` — a dask.distributed cluster: an existing scheduler, or a
  ``LocalCluster`` on loopback started (and closed) by the executor.

They behave on hostile settings too. Local workers are capped at the :func:`cores` this
process may use (a run is all computation, so more workers only add interpreters): a
larger count is cut down, and the executor's ``repr`` says so, unless ``oversubscribe``
asks for it. Tasks are taken from their (lazy) iterable a few per worker at a time, so
nothing lists an experiment's specs. A pool worker ends itself when its parent process
is gone (killed, so that no clean-up ran). A scheduler address is checked with plain
sockets before Dask gets it (:mod:`sim.experiments.scheduler`), so a closed port, an
HTTP server or another service fails in seconds with a message.

Because every run is a pure function of its spec, the answer does not depend on the
executor, the number of workers, the stacking or the order in which workers finish.
:func:`execute` plans and runs the tasks of an experiment on an executor.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from typing import Any, Protocol, TypeVar

from sim import jit
from sim.errors import UserError
from sim.experiments.plan import check_experiment, run_tasks, stack_tasks, stacks
from sim.experiments.scheduler import check_scheduler
from sim.experiments.tasks import RunOutput, run_stack_task, run_task
from sim.scenario.spec import Scenario

__all__ = [
    "DaskExecutor",
    "Executor",
    "InProcess",
    "ProcessPool",
    "Progress",
    "cores",
    "execute",
    "make_executor",
]

T = TypeVar("T")
R = TypeVar("R")

#: A progress callback: ``progress(done_runs, total_runs)``.
Progress = Callable[[int, int], None]

#: Tasks submitted ahead per worker: enough that no worker waits for its next task while
#: the results are handed over in order, few enough that nothing piles up.
IN_FLIGHT = 4

#: Seconds between a pool worker's looks at its parent process.
PARENT_POLL = 0.25

#: Seconds Dask may take to connect to a scheduler that has already greeted.
CLIENT_SECONDS = 10


def cores() -> int:
    """The number of CPUs this process may run on (its affinity mask, where there is one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _worker_count(workers: int | None, oversubscribe: bool) -> tuple[int, int]:
    """``(workers to start, workers asked for)``.

    None asks for every core; more than the cores get the cores, unless ``oversubscribe``.
    """
    asked = workers if workers is not None else cores()
    if asked < 1:
        raise UserError(f"workers must be at least 1, got {asked}")
    return (asked if oversubscribe else min(asked, cores())), asked


def _capped(workers: int, asked: int) -> str:
    """The ``repr`` note of a worker count that was capped, empty if it was not."""
    return f", capped from {asked} at the cores" if asked > workers else ""


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
    force: bool = False,
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
        force: go past the soft ceilings: :data:`sim.experiments.plan.MAX_REPLICATIONS`
            replications per arm, and each run's (or stack's) size; the workers' runs are
            forced too, so that none refuses what the plan accepted.

    Returns:
        One output per task, in the order of :func:`sim.experiments.plan.run_tasks`.

    Raises:
        UserError: ``replications`` past the ceiling, or an arm past a size ceiling
            (:func:`sim.experiments.plan.check_experiment`), before any task reaches the
            executor.
    """
    workers = int(getattr(executor, "workers", 1) or 1)
    check_experiment(arms, replications, engine, workers, force)
    total = done + len(arms) * len(replications) if total is None else total
    if progress is not None:
        progress(done, total)
    if stacks(engine, len(replications)):
        planned = stack_tasks(arms, replications, seed, workers, keep_results, engine, force)
        got: dict[tuple[str, int], RunOutput] = {}
        for outs in executor.map(run_stack_task, planned):
            for out in outs:
                got[(out.arm, out.replication)] = out
            if progress is not None:
                progress(done + len(got), total)
        return [got[(arm, i)] for i in replications for arm in arms]
    outputs: list[RunOutput] = []
    tasks = run_tasks(arms, replications, seed, keep_results, engine, force)
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
    a ``with`` block), so a comparison in several batches pays the start-up once. Each
    worker watches its parent and exits once the parent is gone: a parent killed by
    SIGKILL or SIGTERM runs no clean-up, and an orphaned worker would otherwise wait for
    work forever.

    Args:
        workers: number of worker processes; None uses every core (:func:`cores`). More
            than the cores are cut down to the cores (``repr`` says so), unless
            ``oversubscribe``.
        oversubscribe: start ``workers`` processes even if there are fewer cores.

    Raises:
        UserError: fewer than one worker.
    """

    def __init__(self, workers: int | None = None, oversubscribe: bool = False) -> None:
        self.workers, self.asked = _worker_count(workers, oversubscribe)
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """Yield ``fn(task)`` in task order, a few tasks per worker submitted ahead."""
        if self._pool is None:
            jit.warm()  # compile once, here: the workers only read the cache
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_watch_parent,
                initargs=(os.getpid(),),
            )
        pool = self._pool
        return _in_order(
            lambda t: pool.submit(fn, t), tasks, IN_FLIGHT * self.workers,
            lambda fs: [f.cancel() for f in fs],
        )  # fmt: skip

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
        return f"ProcessPool(workers={self.workers}{_capped(self.workers, self.asked)})"


def _watch_parent(parent: int) -> None:
    """Pool initializer: a daemon thread that ends this worker once ``parent`` is gone.

    An orphan is adopted by another process, so its parent pid changes; the thread sees it
    within :data:`PARENT_POLL` seconds, even while the worker is busy with a run, and kills
    the worker outright: nobody is left to want its result or its clean-up.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class DaskExecutor:
    """Run tasks on a dask.distributed cluster.

    Args:
        address: a scheduler address (``"tcp://host:8786"``) to connect to; ``"local"`` or
            None to start a ``LocalCluster`` on loopback (worker processes with one thread
            each, no dashboard), which :meth:`close` shuts down again.
        workers: number of workers of a local cluster; None uses every core, more than
            the cores are cut down to the cores unless ``oversubscribe``.
        oversubscribe: start ``workers`` local workers even if there are fewer cores.

    Raises:
        UserError: dask.distributed is not installed; the scheduler address is malformed,
            unreachable or not a Dask scheduler (found out in seconds, see
            :func:`sim.experiments.scheduler.check_scheduler`).
    """

    def __init__(
        self, address: str | None = None, workers: int | None = None, oversubscribe: bool = False
    ) -> None:
        # Imported here: dask.distributed is an optional extra, and slow to import.
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - depends on the environment
            raise UserError(
                "the Dask executor needs dask.distributed: pip install 'crm-sandbox[distributed]'"
            ) from None
        self._cluster: Any = None
        if address is None or address == "local":
            n, self.asked = _worker_count(workers, oversubscribe)
            jit.warm()  # the local workers share this machine's cache: fill it first
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
            check_scheduler(address)
            try:
                self._client = Client(address, timeout=CLIENT_SECONDS)
            except (OSError, ValueError) as exc:
                raise UserError(f"cannot reach the Dask scheduler at {address!r}: {exc}") from None
            self.workers = len(self._client.scheduler_info().get("workers", {})) or 1
            self.asked = self.workers
        self.address = str(self._client.scheduler.address)

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """Yield ``fn(task)`` in task order, a few tasks per worker submitted ahead."""
        client = self._client
        return _in_order(
            lambda t: client.submit(fn, t, pure=False), tasks, IN_FLIGHT * self.workers,
            client.cancel,
        )  # fmt: skip

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
        capped = _capped(self.workers, self.asked)
        return f"DaskExecutor(address={self.address!r}, workers={self.workers}{capped})"


def _in_order(
    submit: Callable[[Any], Any],
    tasks: Iterable[Any],
    ahead: int,
    cancel: Callable[[list[Any]], Any],
) -> Iterator[Any]:
    """Yield the results of ``tasks`` in order, with at most ``ahead`` of them submitted.

    Tasks are taken from the iterable only as places free up, so a lazy plan stays lazy;
    whatever is still submitted is cancelled if the consumer stops early.
    """
    todo = iter(tasks)
    pending = deque(submit(t) for t in islice(todo, max(ahead, 1)))
    try:
        while pending:
            result = pending.popleft().result()
            pending.extend(submit(t) for t in islice(todo, 1))
            yield result
    finally:
        if pending:
            cancel(list(pending))


def make_executor(
    workers: int | None = None, scheduler: str | None = None
) -> InProcess | ProcessPool | DaskExecutor:
    """Pick an executor from command-line style settings.

    Args:
        workers: None or 1 → :class:`InProcess`; 0 → a :class:`ProcessPool` on every core;
            N ≥ 2 → a :class:`ProcessPool` of N workers (or the size of a local Dask
            cluster when ``scheduler`` is ``"local"``), at most one per core: a larger N is
            cut down to the cores, and the executor's ``repr`` says so.
        scheduler: a Dask scheduler address, or ``"local"`` for a ``LocalCluster`` on
            loopback; None for no Dask.

    Returns:
        The executor; close it (or use it in a ``with`` block) when done.

    Raises:
        UserError: a negative worker count, or a scheduler that cannot be used.
    """
    if workers is not None and workers < 0:
        raise UserError(f"--workers must be 0 (all cores) or a positive number, got {workers}")
    n = None if workers == 0 else workers
    if scheduler:
        return DaskExecutor(scheduler, n)
    if workers is None or workers == 1:
        return InProcess()
    return ProcessPool(n)
