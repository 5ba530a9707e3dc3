"""Executors: order, lifecycle, small transfers, and the same answer wherever runs happen."""

from __future__ import annotations

import math
import multiprocessing
import pickle

import numpy as np
import pandas as pd
import pytest

from sim.errors import UserError
from sim.experiments import (
    DaskExecutor,
    InProcess,
    ProcessPool,
    RunTask,
    compare,
    make_executor,
)
from sim.experiments.executors import cores
from sim.experiments.tasks import run_task
from sim.rng import replication_seed
from sim.scenario.spec import load_scenario


@pytest.fixture(scope="module")
def tiny():
    # The brief's tiny world: 150 customers at day 0, six months.
    return load_scenario("baseline", {"population.initial": 150, "horizon": "6mo"})


@pytest.fixture(scope="module")
def tiny_arms(tiny):
    more_staff = load_scenario(
        "baseline",
        {"population.initial": 150, "horizon": "6mo", "strategy.service.staff": 4},
    )
    return {"A": tiny, "B": more_staff}


def test_in_process_is_lazy_and_ordered():
    seen: list[int] = []

    def fn(x: int) -> int:
        seen.append(x)
        return x * x

    it = InProcess().map(fn, [3, 1, 2])
    assert seen == []  # nothing runs before it is asked for
    assert list(it) == [9, 1, 4]


def test_process_pool_keeps_task_order_and_global_start_method():
    # Spawning fixes the global default as a side effect of CPython's spawn preparation;
    # what must hold is that the pool never changes which method that default is.
    before = multiprocessing.get_start_method()
    with ProcessPool(2, oversubscribe=True) as pool:
        assert pool.workers == 2
        assert list(pool.map(math.factorial, [5, 0, 3, 7, 1])) == [120, 1, 6, 5040, 1]
        # The pool is reused across calls until closed.
        assert list(pool.map(abs, [-2, 3])) == [2, 3]
        assert pool._pool is not None
        assert pool._pool._mp_context.get_start_method() == "spawn"
    assert pool._pool is None
    assert multiprocessing.get_start_method() == before


def test_process_pool_defaults_to_every_core():
    assert ProcessPool().workers == cores()
    with pytest.raises(UserError):
        ProcessPool(0)


def test_make_executor_choices():
    assert isinstance(make_executor(), InProcess)
    assert isinstance(make_executor(1), InProcess)
    pool = make_executor(3)
    assert isinstance(pool, ProcessPool) and pool.workers == min(3, cores())
    all_cores = make_executor(0)
    assert isinstance(all_cores, ProcessPool) and all_cores.workers == cores()
    with pytest.raises(UserError, match="workers"):
        make_executor(-1)


def test_task_rebuilds_the_replication_seed_and_is_small(tiny):
    task = RunTask.build("A", 7, tiny, 123)
    want = replication_seed(123, 7)
    got = task.seed_sequence()
    assert got.entropy == want.entropy and got.spawn_key == want.spawn_key
    assert np.array_equal(got.generate_state(4), want.generate_state(4))
    assert len(pickle.dumps(task)) < 20_000


def test_worker_sends_back_only_kpis_by_default(tiny):
    out = run_task(RunTask.build("A", 0, tiny, 1))
    assert out.result is None
    assert set(out.kpis) >= {"profit", "revenue", "costs"}
    assert out.days[0] == 0.0 and out.retention[0] == 1.0
    assert len(out.days) == len(out.retention) == tiny.n_periods + 1
    assert len(pickle.dumps(out)) < 10_000
    kept = run_task(RunTask.build("A", 0, tiny, 1, keep_result=True))
    assert kept.result is not None
    np.testing.assert_array_equal(
        np.array(list(kept.kpis.values())), np.array(list(out.kpis.values()))
    )


def test_task_json_keeps_the_order_of_ordered_mappings(tiny):
    # The acquisition funnel is an ordered mapping; sorting its keys changes the run.
    task = RunTask.build("A", 0, tiny, 0)
    stages = list(tiny.strategy.acquisition.funnel)
    text = task.scenario_json
    positions = [text.index(f'"{s}"') for s in stages]
    assert positions == sorted(positions)


def _assert_same(a, b):
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.curves, b.curves)


@pytest.fixture(scope="module")
def reference(tiny_arms):
    """The comparison run in this process: what every executor must reproduce."""
    return compare(tiny_arms, n=3, seed=11)


def test_same_answer_in_process_and_process_pool(tiny_arms, reference):
    with ProcessPool(2) as pool:
        got = compare(tiny_arms, n=3, seed=11, executor=pool)
    _assert_same(reference, got)


def test_same_answer_on_a_dask_local_cluster(tiny_arms, reference):
    pytest.importorskip("distributed")
    ref = reference
    with DaskExecutor("local", workers=2) as dask:
        assert dask.address.startswith("tcp://127.0.0.1")
        got = compare(tiny_arms, n=3, seed=11, executor=dask)
        cluster = dask._cluster
    _assert_same(ref, got)
    assert dask._client is None and dask._cluster is None
    assert cluster.status.name == "closed"


def test_vector_engine_same_answer_in_process_process_pool_and_dask(tiny_arms):
    """Same scenario + seed → identical outputs on the vector engine, wherever it runs."""
    pytest.importorskip("distributed")
    here = compare(tiny_arms, n=2, seed=5, engine="vector")
    assert set(here.table["arm"]) == {"A", "B"}
    with ProcessPool(2) as pool:
        _assert_same(here, compare(tiny_arms, n=2, seed=5, executor=pool, engine="vector"))
    with DaskExecutor("local", workers=2) as dask:
        _assert_same(here, compare(tiny_arms, n=2, seed=5, executor=dask, engine="vector"))
    # ...and it is the vector engine that ran: its results differ from the agent engine's.
    agent = compare(tiny_arms, n=2, seed=5)
    assert not agent.table["profit"].equals(here.table["profit"])


def test_dask_executor_connects_to_an_existing_scheduler_and_leaves_it_running():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:  # fmt: skip
        with DaskExecutor(cluster.scheduler_address) as dask:
            assert dask.workers == 1
            assert list(dask.map(math.factorial, [4, 2, 0])) == [24, 2, 1]
        assert cluster.status.name == "running"
