"""Executors on hostile settings: bad schedulers fail fast, plans stay lazy, workers stay few.

A scheduler address that is closed, an HTTP server or another service must answer with a
plain error in seconds; an absurd replication count is refused before anything is built,
and a forced one is planned lazily; a worker count above the cores is cut down; the pool
workers of a killed ``crmsim compare`` end with it.
"""

from __future__ import annotations

import http.server
import itertools
import signal
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sim.cli.commands import app
from sim.errors import UserError
from sim.experiments import DaskExecutor, ProcessPool, compare, make_executor, replicate
from sim.experiments.executors import cores, execute
from sim.experiments.plan import MAX_REPLICATIONS, run_tasks, stack_tasks
from sim.experiments.scheduler import check_scheduler
from sim.scenario.spec import load_scenario

psutil = pytest.importorskip("psutil")

#: Every bad scheduler must be answered well within this (the probe allows 3 s + 3 s).
FAST = 10.0

TINY = {"population.initial": 100, "horizon": "6mo"}


@pytest.fixture(scope="module")
def arms():
    return {
        "A": load_scenario("baseline", TINY),
        "B": load_scenario("baseline", {**TINY, "strategy.service.staff": 4}),
    }


def _within(seconds: float, fn: Callable[[], Any]) -> Any:
    """``fn()``'s result (or exception), failing the test if it takes longer than ``seconds``.

    It runs in a daemon thread, so a regression that hangs fails the test instead of
    stalling the suite.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the test below
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"still running after {seconds:g} s")
    if "error" in box:
        raise box["error"]
    return box.get("value")


# ------------------------------------------------------------------ peers that are not Dask


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


class _Banner(socketserver.BaseRequestHandler):
    """Greets first, as SSH or SMTP do, with a line that is no Dask message."""

    def handle(self) -> None:
        self.request.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")
        self.request.recv(1024)


class _HugeLength(socketserver.BaseRequestHandler):
    """Claims a first message of 2**62 bytes: read naively, a MemoryError."""

    def handle(self) -> None:
        self.request.sendall(struct.pack("Q", 2**62))
        self.request.recv(1024)


class _Quiet(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        """Keep the test output clean."""


def _serve(server: socketserver.BaseServer) -> Iterator[str]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"tcp://{host!s}:{port}"
    finally:
        server.shutdown()
        server.server_close()


def _tcp(
    handler: type[socketserver.BaseRequestHandler],
) -> Callable[[], AbstractContextManager[str]]:
    @contextmanager
    def serve() -> Iterator[str]:
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        yield from _serve(server)

    return serve


@contextmanager
def _http() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    server.daemon_threads = True
    yield from _serve(server)


@contextmanager
def _closed() -> Iterator[str]:
    yield f"tcp://127.0.0.1:{_closed_port()}"


PEERS = {
    "closed port": (_closed, "nothing listens"),
    "HTTP server": (_http, "sent no Dask handshake"),
    "echo server": (_tcp(_Echo), "sent no Dask handshake"),
    "banner": (_tcp(_Banner), "not a Dask handshake"),
    "huge length": (_tcp(_HugeLength), "not a Dask handshake"),
}


@pytest.mark.parametrize("peer", list(PEERS))
def test_a_bad_scheduler_is_refused_in_seconds_with_a_message(peer: str) -> None:
    pytest.importorskip("distributed")
    serve, message = PEERS[peer]
    with serve() as address:
        with pytest.raises(UserError, match=message) as caught:
            _within(FAST, lambda: DaskExecutor(address))
        assert repr(address) in str(caught.value)


def test_the_cli_answers_a_bad_scheduler_with_exit_2_and_no_traceback(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    with _http() as address:
        args = ["compare", "complaint_handling", "-n", "2", "--scheduler", address]
        args += ["--set", "population.initial=100", "--out", str(tmp_path / "out")]
        result = _within(FAST, lambda: CliRunner().invoke(app, args))
    assert result.exit_code == 2, result.output
    assert "not a Dask scheduler" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "address", ["tcp://127.0.0.1", "127.0.0.1:http", "tcp://:8786", "host:99999", "tcp://"]
)
def test_a_malformed_scheduler_address_is_refused(address: str) -> None:
    with pytest.raises(UserError, match="host:port"):
        check_scheduler(address)


def test_a_real_scheduler_passes_the_check_and_connects() -> None:
    distributed = pytest.importorskip("distributed")
    # A scheduler and one thread worker in this process: the leanest real cluster.
    with distributed.LocalCluster(
        n_workers=1, processes=False, threads_per_worker=1, protocol="tcp://",
        host="127.0.0.1", dashboard_address=None,
    ) as cluster:  # fmt: skip
        check_scheduler(cluster.scheduler_address)
        check_scheduler(cluster.scheduler_address.removeprefix("tcp://"))
        with DaskExecutor(cluster.scheduler_address) as dask:
            # An endless stream of tasks: only a few are ever submitted ahead.
            got = _within(
                FAST, lambda: list(itertools.islice(dask.map(abs, itertools.count(-3)), 6))
            )
        assert got == [3, 2, 1, 0, 1, 2]


# ------------------------------------------------------------------------ lazy, bounded plans


class _Taker:
    """An executor that takes a few tasks, notes what it was handed, then stops the work."""

    workers = 2

    def __init__(self, take: int) -> None:
        self.take = take
        self.handed: list[Iterable[Any]] = []
        self.taken: list[Any] = []

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        self.handed.append(tasks)
        self.taken = list(itertools.islice(tasks, self.take))
        raise _Stop


class _Stop(Exception):
    pass


def test_an_absurd_count_is_refused_before_anything_is_built(arms) -> None:
    taker = _Taker(1)
    seen: list[tuple[int, int]] = []
    start = time.monotonic()
    with pytest.raises(UserError, match=r"1,000,000,000 replications per arm .*ceiling"):
        compare(arms, n=10**9, executor=taker, progress=lambda d, t: seen.append((d, t)))
    with pytest.raises(UserError, match="ceiling"):
        compare(arms, target="profit:1%", max_n=10**9, executor=taker)
    with pytest.raises(UserError, match="ceiling"):
        replicate(arms["A"], n=MAX_REPLICATIONS + 1, executor=taker)
    assert time.monotonic() - start < 5
    assert taker.handed == [] and seen == []


def test_the_cli_refuses_an_absurd_count_at_once(tmp_path: Path) -> None:
    args = ["compare", "complaint_handling", "-n", "1000000000", "--workers", "2"]
    args += ["--set", "population.initial=100", "--out", str(tmp_path / "out")]
    result = _within(FAST, lambda: CliRunner().invoke(app, args))
    assert result.exit_code == 2, result.output
    assert "ceiling" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("engine", ["agent", "vector"])
def test_a_forced_huge_experiment_is_planned_lazily(arms, engine: str) -> None:
    taker = _Taker(3)
    tracemalloc.start()
    start = time.monotonic()
    try:
        with pytest.raises(_Stop):
            execute(arms, range(10**12), 7, taker, engine=engine, force=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - start < 5
    assert peak < 50 * 2**20  # a list of the specs would need terabytes
    (handed,) = taker.handed
    assert not isinstance(handed, list | tuple)
    assert len(taker.taken) == 3


def test_plans_are_generators_in_the_documented_order(arms) -> None:
    first = list(itertools.islice(run_tasks(arms, range(10**15), 1), 4))
    assert [(t.arm, t.replication) for t in first] == [("A", 0), ("B", 0), ("A", 1), ("B", 1)]
    stack = next(stack_tasks(arms, range(10**15), 1, workers=2))
    assert stack.tasks[0].arm == "A" and [t.replication for t in stack.tasks[:2]] == [0, 1]


# --------------------------------------------------------------------------- worker counts


def test_more_workers_than_cores_are_cut_down_and_said_so() -> None:
    asked = cores() + 998
    pool = ProcessPool(asked)
    assert pool.workers == cores()
    assert f"capped from {asked}" in repr(pool)
    assert make_executor(asked).workers == cores()
    assert "capped" not in repr(ProcessPool(cores()))
    # Asked for explicitly, the count stands (no process starts before a map).
    assert ProcessPool(asked, oversubscribe=True).workers == asked


def _workers_of(parent: Any) -> list[Any]:
    """The pool workers among a process's children (spawned interpreters)."""
    out = []
    for child in parent.children(recursive=True):
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                out.append(child)
        except psutil.NoSuchProcess:
            continue
    return out


def test_a_capped_pool_starts_no_more_interpreters_than_cores() -> None:
    with ProcessPool(1000) as pool:
        # Endless tasks: the pool takes them a few at a time and yields in order.
        got = _within(60, lambda: list(itertools.islice(pool.map(abs, itertools.count(-10)), 40)))
        started = _workers_of(psutil.Process())
    assert got == [abs(i) for i in range(-10, 30)]
    assert 1 <= len(started) <= cores()


# --------------------------------------------------------------------- a killed parent


def _gone(proc: Any) -> bool:
    try:
        return bool(proc.status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killing_compare_leaves_no_worker_running(tmp_path: Path, sig: signal.Signals) -> None:
    args = [sys.executable, "-m", "sim.cli", "compare", "complaint_handling", "-n", "40"]
    args += ["--workers", "2", "--set", "population.initial=300", "--out", str(tmp_path)]
    parent = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    everyone: list[Any] = []
    try:
        me = psutil.Process(parent.pid)
        deadline = time.monotonic() + 40
        workers: list[Any] = []
        # Mid-run: both workers started, and past their imports into the runs.
        while time.monotonic() < deadline and parent.poll() is None:
            workers = _workers_of(me)
            busy = [w for w in workers if not _gone(w) and w.cpu_times().user > 2.5]
            if len(busy) >= 2:
                break
            time.sleep(0.2)
        assert parent.poll() is None, "the comparison ended before it could be killed"
        assert len(workers) >= 2, "no pool workers were seen"
        everyone = me.children(recursive=True)
        parent.send_signal(sig)
        parent.wait(timeout=10)
        end = time.monotonic() + 5
        while time.monotonic() < end and not all(_gone(p) for p in everyone):
            time.sleep(0.1)
        left = [p.pid for p in everyone if not _gone(p)]
        assert not left, f"children still running after the parent died: {left}"
    finally:  # whatever the outcome, leave nothing of this test running
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for proc in everyone:
            if not _gone(proc):
                proc.kill()
