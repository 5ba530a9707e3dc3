"""Scaling a scenario keeps the firm's shape: staff, budgets and fixed costs follow customers."""

from __future__ import annotations

import pytest

import sim
from sim.scenario.scaling import scaled


def test_scaled_multiplies_what_grows_with_the_customer_base() -> None:
    base = sim.load_scenario("baseline")
    half = scaled(base, base.population.initial // 2)
    assert half.population.initial == base.population.initial // 2
    assert half.strategy.acquisition.budget_per_period == pytest.approx(
        base.strategy.acquisition.budget_per_period / 2
    )
    assert half.economics.fixed_cost_per_period == pytest.approx(
        base.economics.fixed_cost_per_period / 2
    )
    assert base.strategy.service.staff is not None
    assert half.strategy.service.staff == max(1, round(base.strategy.service.staff / 2))
    # Behaviour and per-customer economics are untouched.
    assert half.behaviour == base.behaviour
    assert half.population.segments == base.population.segments
    assert half.strategy.pricing == base.strategy.pricing


def test_scaling_never_removes_a_function_that_exists() -> None:
    base = sim.load_scenario("baseline")
    tiny = scaled(base, 10)
    assert tiny.strategy.service.staff == 1
    assert tiny.strategy.account_managers.count == 1


def test_scaling_rejects_nonsense() -> None:
    base = sim.load_scenario("baseline")
    with pytest.raises(ValueError, match="positive"):
        scaled(base, 0)
    empty = sim.load_scenario("baseline", {"population.initial": 0})
    with pytest.raises(ValueError, match="without initial customers"):
        scaled(empty, 100)
