"""Comparisons that resume: a SIGKILL costs the runs in flight, never the table.

``crmsim compare`` keeps every finished run in ``OUT.partial`` (one Parquet page per task,
:mod:`sim.experiments.checkpoint`). The contract is stated as identity: a comparison killed
midway and run again publishes the same replications table, byte for byte, as one that was
never stopped, and the second attempt reads the saved runs instead of running them again.
A work folder of another comparison is refused, never mixed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.errors import UserError
from sim.experiments import compare
from sim.experiments.checkpoint import Checkpoint
from sim.results.folder import read_folder
from sim.scenario.spec import load_scenario

ROOT = Path(__file__).resolve().parents[1]
#: A lesson world small enough for a test: four arms, 60 customers, one quarter.
SMALL = {"population.initial": 60, "horizon": "3mo"}
#: The same on the command line, reporting one metric (two figures to draw, not twenty).
TINY = [a for path, value in SMALL.items() for a in ("--set", f"{path}={value}")] + ["-m", "profit"]
N = 6  # replications per arm: 4 arms x 6 = 24 runs, each its own page on the agent engine


def crmsim(*args: str) -> list[str]:
    return [sys.executable, "-m", "sim.cli", "compare", "complaint_handling", *args, *TINY]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        crmsim(*args), env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def pages(folder: Path) -> int:
    return len(list((folder / "runs").glob("task-*.parquet")))


@pytest.fixture(scope="module")
def lesson():
    return load_scenario("complaint_handling", SMALL)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ref") / "cmp"
    got = run("-n", str(N), "--out", str(out))
    assert got.returncode == 0, got.stderr
    return out


def test_sigkill_then_the_same_command_gives_the_same_table(uninterrupted, tmp_path):
    out = tmp_path / "cmp"
    work = tmp_path / "cmp.partial"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(crmsim("-n", str(N), "--out", str(out)), env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None and pages(work) < 3:
        time.sleep(0.02)
    assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved = pages(work)
    assert 3 <= saved < 4 * N and not out.exists()

    other = run("-n", str(N), "--seed", "7", "--out", str(out))  # another comparison
    assert other.returncode == 2, other.stderr
    assert "holds the work of another comparison" in other.stderr and "seed" in other.stderr
    assert pages(work) == saved and not out.exists()  # left alone, nothing mixed in

    again = run("-n", str(N), "--out", str(out))
    assert again.returncode == 0, again.stderr
    # Only the missing runs ran: the progress started at the pages the kill left.
    assert f"{saved} runs already done are read, not run again" in " ".join(again.stderr.split())
    assert not work.exists()  # its runs are in the published table now
    manifest, files = read_folder(out, ["replications.csv"])
    assert manifest["kind"] == "comparison" and manifest["replications"] == N
    assert files["replications.csv"] == (uninterrupted / "replications.csv").read_bytes()
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "replications.parquet"),
        pd.read_parquet(uninterrupted / "replications.parquet"),
    )


def test_python_store_resumes_a_stopped_comparison(lesson, tmp_path):
    store = tmp_path / "store"
    reference = compare(lesson, n=4)

    def stop(done: int, total: int) -> None:
        if done >= 5:
            raise KeyboardInterrupt  # as a Ctrl-C lands between two runs

    with pytest.raises(KeyboardInterrupt):
        compare(lesson, n=4, store=store, progress=stop)
    assert pages(store) == 5 and not (store / "manifest.json").exists()
    seen: list[int] = []
    got = compare(lesson, n=4, store=store, progress=lambda done, total: seen.append(done))
    assert seen[0] == 5 and pages(store) == 16  # read five, ran eleven
    pd.testing.assert_frame_equal(got.table, reference.table)
    pd.testing.assert_frame_equal(got.curves, reference.curves)
    manifest, _ = read_folder(store)  # sealed: every page listed with its sha256
    assert manifest["kind"] == "comparison" and manifest["runs"] == 16
    seen.clear()
    again = compare(lesson, n=4, store=store, progress=lambda done, total: seen.append(done))
    assert seen == [16]  # a finished store answers without running anything
    pd.testing.assert_frame_equal(again.table, reference.table)


def test_adaptive_comparison_resumes_its_finished_batches(lesson, tmp_path):
    store = tmp_path / "store"
    args = {"target": "complaint_rate:1%", "min_n": 3, "max_n": 16, "engine": "vector"}
    reference = compare(lesson, **args)
    assert reference.n > 6  # three batches at least: the stop lands inside the second

    def stop(done: int, total: int) -> None:
        if done > 12:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        compare(lesson, store=store, progress=stop, **args)
    saved = len(pd.concat(pd.read_parquet(p) for p in Checkpoint(store).pages()))
    assert 12 < saved < 24
    seen: list[int] = []
    got = compare(lesson, store=store, progress=lambda done, total: seen.append(done), **args)
    assert seen[0] == 12  # the first batch read; the second batch reads the rest it had
    assert saved in seen and seen.index(saved) == 1
    pd.testing.assert_frame_equal(got.table, reference.table)
    assert got.target_status == reference.target_status


@pytest.fixture(scope="module")
def stopped(lesson, tmp_path_factory) -> Path:
    """A store of ``n=4`` on the agent engine, stopped after two runs."""
    store = tmp_path_factory.mktemp("stopped") / "store"

    def stop(done: int, total: int) -> None:
        if done >= 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        compare(lesson, n=4, store=store, progress=stop)
    return store


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"n": 5}, "its -n is 4, this comparison's is 5"),
        ({"seed": 3}, "its seed is 0, this comparison's is 3"),
        ({"engine": "vector"}, "its engine is agent, this comparison's is vector"),
        (
            {"n": None, "target": "profit:5%"},
            "made with -n 4, this comparison with the target profit:5%",
        ),
        ({"arms": {"population.initial": 61}}, "arm 'none' had another scenario"),
    ],
)
def test_a_store_of_another_comparison_is_refused(lesson, stopped, change, named):
    kept = pages(stopped)
    args = {"n": 4, **change}
    arms = load_scenario("complaint_handling", {**SMALL, **args.pop("arms", {})})
    with pytest.raises(UserError, match="holds the work of another comparison") as caught:
        compare(arms, store=stopped, **args)
    assert named in str(caught.value)
    assert pages(stopped) == kept  # left as it was


def test_a_comparison_refused_before_it_runs_leaves_no_store(lesson, tmp_path):
    with pytest.raises(UserError):
        compare(lesson, n=1, store=tmp_path / "store")
    assert not (tmp_path / "store").exists()


def test_a_store_in_use_is_refused(lesson, tmp_path):
    store = tmp_path / "store"
    holder = Checkpoint(store)
    holder.lock()  # as another process running this comparison would
    try:
        with pytest.raises(UserError, match="another crmsim is running the comparison"):
            compare(lesson, n=2, store=store)
    finally:
        holder.unlock()
