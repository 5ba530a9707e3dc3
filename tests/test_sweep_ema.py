"""The EMA Workbench adapter, driven by EMA's own perform_experiments."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from sim.engines import run
from sim.experiments.ema import ema_model, ema_name
from sim.rng import replication_seed
from sim.scenario import load_scenario, with_overrides
from sim.scenario.space import Factor, default_factor

pytestmark = pytest.mark.xdist_group("executors")
ew = pytest.importorskip("ema_workbench")


@pytest.fixture(scope="module")
def setup():
    sc = load_scenario("baseline", {"population.initial": 60, "horizon": "2mo"})
    factors = [
        default_factor("market.price"),
        Factor("strategy.selection.policy", name="policy", kind="lever", scale="categorical",
               levels=("none", "fire")),  # a reserved name: EMA's own column
        default_factor("strategy.service.staff"),
    ]  # fmt: skip
    return sc, factors


def check(sc, experiments, outcomes, replications):
    assert {"scenario", "policy", "model"} <= set(experiments.columns)
    assert "strategy_selection_policy" in experiments.columns
    row = experiments.iloc[0]
    settings = {"market.price": float(row["market_price"]),
                "strategy.selection.policy": row["strategy_selection_policy"],
                "strategy.service.staff": int(row["staff"])}  # fmt: skip
    for r in range(replications):
        expect = run(with_overrides(sc, settings), replication_seed(5, r), engine="vector").kpis
        got = outcomes["profit"][0][r]
        assert got == pytest.approx(expect["profit"], rel=1e-12)


def test_reserved_names_are_renamed(setup):
    _, factors = setup
    assert [ema_name(f) for f in factors] == ["market_price", "strategy_selection_policy", "staff"]


def test_sequential_evaluator_with_replications(setup):
    sc, factors = setup
    model = ema_model(sc, factors, ["profit", "retention_12m"], replications=2, seed=5)
    assert isinstance(model, ew.ReplicatorModel)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ew.SequentialEvaluator(model) as evaluator:
            experiments, outcomes = ew.perform_experiments(
                model, scenarios=2, policies=1, evaluator=evaluator
            )
    assert np.asarray(outcomes["profit"]).shape == (2, 2)
    check(sc, experiments, outcomes, 2)


def test_multiprocessing_evaluator(setup):
    sc, factors = setup
    model = ema_model(sc, factors, ["profit"], seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ew.MultiprocessingEvaluator(model, n_processes=2) as evaluator:
            experiments, outcomes = ew.perform_experiments(
                model, scenarios=2, policies=1, evaluator=evaluator
            )
    assert np.asarray(outcomes["profit"]).shape == (2, 1)
    check(sc, experiments, outcomes, 1)
