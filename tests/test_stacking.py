"""Replication stacking (sim.vector_engine.lanes): many replications in one vector-engine pass.

The contract is identity, not resemblance: replication ``i`` of a stack is the lone run on
its seed, table for table and bit for bit. That makes stacking invisible to every result
(experiments may group replications however suits the machine), so it is tested exactly —
on every library scenario and arm, and on random worlds.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scenarios
import sim
from sim.engines import run_stack
from sim.experiments import InProcess, arms_from_scenario, plan, replicate
from sim.experiments.plan import stack_size
from sim.rng import replication_seed

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_conservation import scenarios as random_worlds

TABLES = ("periods", "customers", "ledger", "mix", "warnings", "summary")


def _assert_identical(lone: sim.RunResult, stacked: sim.RunResult, label: str) -> None:
    for t in TABLES:
        pd.testing.assert_frame_equal(
            getattr(lone, t), getattr(stacked, t), check_exact=True, obj=f"{label}: {t}"
        )
    a, b = lone.kpis, stacked.kpis
    assert a.keys() == b.keys()
    differ = {k: (a[k], b[k]) for k in a if not (a[k] == b[k] or (a[k] != a[k] and b[k] != b[k]))}
    assert not differ, f"{label}: KPIs differ {differ}"
    assert lone.manifest["events_processed"] == stacked.manifest["events_processed"], label


def _arms() -> list[tuple[str, str]]:
    out = []
    for name in scenarios.names():
        base = sim.load_scenario(name)
        arms = list(arms_from_scenario(base)) if base.arms else [name]
        out += [(name, arm) for arm in arms]
    return out


@pytest.mark.parametrize(("name", "arm"), _arms())
def test_each_replication_of_a_stack_is_its_lone_run(name: str, arm: str) -> None:
    size = {"population.initial": 60, "horizon": "4mo", "output.ledger": "full"}
    base = sim.load_scenario(name, size)
    sc = arms_from_scenario(base)[arm] if base.arms else base
    seeds = [replication_seed(17, i) for i in range(3)]
    stacked = run_stack(sc, seeds)
    for i, seed in enumerate(seeds):
        lone = sim.run(sc, seed=seed, engine="vector")
        _assert_identical(lone, stacked[i], f"{arm} replication {i}")
        assert stacked[i].manifest["stack"] == 3


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(spec=random_worlds(), seeds=st.lists(st.integers(0, 2**31 - 1), min_size=2, max_size=3))
def test_stacks_of_random_worlds_are_their_lone_runs(
    spec: dict[str, Any], seeds: list[int]
) -> None:
    spec["output"] = {"ledger": "full", "events": False}
    sc = sim.load_scenario(spec)
    stacked = run_stack(sc, seeds)
    for i, seed in enumerate(seeds):
        _assert_identical(sim.run(sc, seed=seed, engine="vector"), stacked[i], f"lane {i}")


def test_a_lane_of_one_is_the_plain_run() -> None:
    sc = sim.load_scenario("win_back", {"population.initial": 80, "horizon": "3mo"})
    _assert_identical(sim.run(sc, seed=5, engine="vector"), run_stack(sc, [5])[0], "one lane")


def test_lanes_keep_their_own_customer_numbers() -> None:
    sc = sim.load_scenario("baseline", {"population.initial": 40, "horizon": "3mo"})
    for r in run_stack(sc, [1, 2, 3]):
        ids = r.customers["customer_id"].to_numpy()
        assert (ids == np.arange(ids.size)).all()
        referrers = r.customers["referrer_id"].to_numpy()
        assert ((referrers == -1) | ((referrers >= 0) & (referrers < ids.size))).all()


def test_stack_size_fills_the_customer_budget_but_feeds_every_worker() -> None:
    budget = plan.STACK_CUSTOMERS
    assert stack_size(budget // 10, 100, 1) == 10
    assert stack_size(budget // 10, 6, 1) == 6
    assert stack_size(budget // 10, 100, 20) == 5  # 20 workers get a stack each
    assert stack_size(budget * 2, 100, 1) == 1  # a world larger than the budget runs alone
    assert stack_size(100, 1, 4) == 1


def test_experiments_do_not_depend_on_how_replications_are_stacked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sc = sim.load_scenario("complaint_handling", {"population.initial": 50, "horizon": "3mo"})
    stacked = replicate(sc, n=5, seed=3, engine="vector")
    monkeypatch.setattr(plan, "STACK_CUSTOMERS", 1)  # every replication alone
    alone = replicate(sc, n=5, seed=3, engine="vector")
    pd.testing.assert_frame_equal(stacked.table, alone.table, check_exact=True)
    pd.testing.assert_frame_equal(stacked.curves, alone.curves, check_exact=True)


def test_stacked_experiment_reports_progress_per_stack() -> None:
    sc = sim.load_scenario("baseline", {"population.initial": 50, "horizon": "2mo"})
    seen: list[tuple[int, int]] = []
    replicate(sc, n=4, seed=1, engine="vector", executor=InProcess(),
              progress=lambda d, t: seen.append((d, t)))  # fmt: skip
    assert seen[0] == (0, 4) and seen[-1] == (4, 4)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
