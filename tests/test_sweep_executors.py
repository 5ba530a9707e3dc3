"""The same sweep dataset wherever it runs, and a Dask worker killed mid-sweep loses nothing."""

from __future__ import annotations

import os
import signal
import warnings

import pandas as pd
import pytest

from sim.experiments import DaskExecutor, ProcessPool
from sim.experiments.sweep import SweepFolder, load_sweep, run_sweep

pytestmark = pytest.mark.xdist_group("executors")

SPEC = {
    "name": "tiny_lhs",
    "base": "baseline",
    "set": {"population.initial": 80, "horizon": "2mo"},
    "factors": [{"path": "strategy.service.staff"}, {"path": "market.price"},
                {"path": "strategy.complaints.handling"}],
    "design": {"kind": "latin_hypercube", "points": 6, "seed": 2},
    "replications": 2,
    "outputs": ["profit"],
}  # fmt: skip


@pytest.fixture(scope="module")
def spec():
    return load_sweep(SPEC)


@pytest.fixture(scope="module")
def here(spec, tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("here") / "sweep"
    assert run_sweep(spec, out).complete
    return SweepFolder(out).dataset()


def test_same_dataset_on_the_process_pool(spec, here, tmp_path):
    with ProcessPool(2, oversubscribe=True) as pool:
        assert run_sweep(spec, tmp_path / "pool", pool).complete
    pd.testing.assert_frame_equal(SweepFolder(tmp_path / "pool").dataset(), here)


def test_same_dataset_on_dask_with_a_worker_killed_mid_sweep(spec, here, tmp_path):
    pytest.importorskip("distributed")
    killed: list[int] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # distributed warns about the lost worker
        with DaskExecutor("local", workers=2, oversubscribe=True) as dask:
            client = dask._client

            def kill_one(done: int, total: int) -> None:
                if 0 < done < total and not killed:
                    pids = client.run(os.getpid)
                    pid = sorted(pids.values())[0]
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)

            status = run_sweep(spec, tmp_path / "dask", dask, progress=kill_one)
    assert killed, "no worker was killed: the sweep finished before the first callback"
    assert status.complete and not status.failed
    pd.testing.assert_frame_equal(SweepFolder(tmp_path / "dask").dataset(), here)
