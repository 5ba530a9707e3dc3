"""Sweeps end to end: known answers recovered, nothing lost to a SIGKILL, the report written."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import sweep_models
from typer.testing import CliRunner

from sim.cli import app
from sim.experiments.sweep import (
    SweepFolder,
    design_points,
    indices,
    load_sweep,
    resume_sweep,
    run_sweep,
)

ROOT = Path(__file__).resolve().parents[1]

TINY = """\
name: tiny_grid
description: "<b>not bold</b> & escaped"
base: baseline
set: {population.initial: 100, horizon: 3mo}
factors:
  - path: strategy.service.staff
    levels: [1, 2, 3, 4]
  - path: strategy.complaints.handling
    levels: [basic, lescant]
design: {kind: full_factorial}
replications: 2
seed: 4
outputs: [profit, mean_wait]
"""


@pytest.fixture(scope="module")
def tiny_spec(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(tiny_spec, tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """The tiny sweep run uninterrupted in this process."""
    out = tmp_path_factory.mktemp("ref") / "sweep"
    status = run_sweep(tiny_spec, out)
    assert status.complete and status.runs_done == 16
    return out, SweepFolder(out).dataset()


def ishigami_spec(kind: str, points: int):
    factors = [{"path": p, "range": [-math.pi, math.pi]} for p in ("x1", "x2", "x3")]
    data = {"name": "ishigami", "factors": factors, "outputs": ["y"],
            "design": {"kind": kind, "points": points, "seed": 3}}  # fmt: skip
    return load_sweep(data, function_model=True)


def test_ishigami_sobol_indices_within_their_intervals(tmp_path):
    spec = ishigami_spec("sobol", 1024)
    run_sweep(spec, tmp_path / "ish", model=sweep_models.ishigami)
    got = indices(spec, design_points(spec), SweepFolder(tmp_path / "ish").dataset())
    got = got.set_index(["factor", "index"])
    for factor, (s1, st) in sweep_models.ishigami_indices().items():
        for name, truth in (("S1", s1), ("ST", st)):
            row = got.loc[(factor, name)]
            assert row["low"] <= truth <= row["high"], (factor, name, row.to_dict(), truth)
            assert row["high"] - row["low"] < 0.2  # the intervals are informative


def test_morris_ranks_a_function_of_known_order(tmp_path):
    factors = [{"path": p, "range": [0.0, 1.0]} for p in "abcd"]
    spec = load_sweep({"name": "order", "factors": factors, "outputs": ["y"],
                       "design": {"kind": "morris", "points": 10, "levels": 4}},
                      function_model=True)  # fmt: skip
    run_sweep(spec, tmp_path / "m", model=sweep_models.ordered)
    got = indices(spec, design_points(spec), SweepFolder(tmp_path / "m").dataset())
    mu = got[got["index"] == "mu_star"].set_index("factor")["value"]
    assert list(mu.sort_values(ascending=False).index) == ["a", "b", "c", "d"]
    assert mu["a"] == pytest.approx(8.0) and mu["d"] == pytest.approx(0.0)


def test_sigkill_mid_sweep_then_resume_gives_the_same_dataset(tiny_spec, reference, tmp_path):
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "sim.cli", "sweep", "run", str(tiny_spec), "--out", str(out),
           "-w", "1", "-q"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list((out / "runs").glob("task-*.parquet"))) >= 2:
            break
        time.sleep(0.02)
    assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    status = SweepFolder(out).status()
    assert 2 <= len(status.done) < status.tasks and not status.complete
    assert status.running == ()  # the lock died with the process
    got = CliRunner().invoke(app, ["sweep", "status", str(out)])
    assert got.exit_code == 0 and "missing" in got.output
    seen: list[int] = []
    final = resume_sweep(out, progress=lambda done, total: seen.append(done))
    assert final.complete and seen[0] == status.runs_done  # only the missing runs ran
    pd.testing.assert_frame_equal(SweepFolder(out).dataset(), reference[1])


def test_dataset_rows_seeds_and_common_random_numbers(reference):
    _, data = reference
    assert len(data) == 16 and not data.duplicated(["point", "replication"]).any()
    assert set(data["seed"]) == {4} and (data["seed_key"] == data["replication"]).all()
    # Common random numbers: replication r of every point meets the same launch cohort.
    start = data.groupby("replication")["customers_acquired"].nunique()
    assert (start < 8).all()


def test_analyze_writes_tables_report_and_escapes(reference):
    out, _ = reference
    got = CliRunner().invoke(app, ["sweep", "analyze", str(out)])
    assert got.exit_code == 0, got.output
    analysis = out / "analysis"
    page = (analysis / "report.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; escaped" in page and "<b>not bold" not in page
    best = pd.read_parquet(analysis / "best_levers.parquet")
    profit = best[best["output"] == "profit"]
    assert len(profit) == 8 and profit["regret_mean"].min() >= 0
    assert (analysis / "tornado_profit.png").is_file() and (analysis / "manifest.json").is_file()
    outcomes = pd.read_parquet(analysis / "outcomes.parquet")
    assert list(outcomes.columns) == ["point", "replication", "output", "value"]


def test_analyze_refuses_an_incomplete_sweep(tmp_path):
    got = CliRunner().invoke(app, ["sweep", "analyze", str(tmp_path / "none")])
    assert got.exit_code == 2 and "holds no sweep" in got.output
