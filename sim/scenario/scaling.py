"""Scaling a scenario to another population size, keeping its economics and service levels.

Shrinking ``population.initial`` alone leaves the same desk staff, account managers and
fixed costs serving fewer customers: utilisation collapses, contacts pile onto the few key
accounts and profit turns negative — a different firm, not a smaller copy. ``scaled``
multiplies everything that grows with the customer base by the same factor.
"""

from __future__ import annotations

from typing import Any

from sim.scenario.spec import Scenario, with_overrides

__all__ = ["scaled"]


def _count(value: int, factor: float) -> int:
    """A headcount scaled and rounded, never dropping a function that exists to zero."""
    return max(1, round(value * factor)) if value > 0 else 0


def scaled(scenario: Scenario, customers: int) -> Scenario:
    """``scenario`` resized to ``customers`` initial customers.

    Scales: the initial population, the paid-acquisition budget, service staff, account
    managers, fixed costs (firm and loyalty programme) and the Bass market potential.
    Rates per customer, prices and every behavioural parameter stay as they are.

    Args:
        scenario: the scenario to resize.
        customers: the new ``population.initial`` (> 0).

    Returns:
        A new, validated scenario.
    """
    if customers <= 0:
        raise ValueError(f"customers must be positive, got {customers}")
    base = scenario.population.initial
    if base == 0:
        raise ValueError("a scenario without initial customers cannot be scaled by population")
    f = customers / base
    st = scenario.strategy
    ov: dict[str, Any] = {
        "population.initial": customers,
        "strategy.acquisition.budget_per_period": st.acquisition.budget_per_period * f,
        "strategy.account_managers.count": _count(st.account_managers.count, f),
        "economics.fixed_cost_per_period": scenario.economics.fixed_cost_per_period * f,
        "strategy.loyalty.fixed_cost_per_period": st.loyalty.fixed_cost_per_period * f,
    }
    if st.service.staff is not None:
        ov["strategy.service.staff"] = _count(st.service.staff, f)
    if st.acquisition.bass is not None:
        ov["strategy.acquisition.bass.market_potential"] = max(
            1, round(st.acquisition.bass.market_potential * f)
        )
    return with_overrides(scenario, ov)
